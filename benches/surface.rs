//! `cargo bench --bench surface` (run by `just bench` after the desktop bench): a hardware
//! fader move to the change reaching earmix's audio thread, on a JACK dummy server
//! (`jackd --no-realtime -d dummy`, period 128, 256 and 1024 frames) started here in a
//! temporary folder.
//!
//! A child of this bench (`surface/probe.rs`) is a JACK client playing a fader box: earmix's
//! console runs with `--host jack --midi` it and the generic-8 mapping (fader 1 is CC 0 on
//! channel 1), playing one stereo stem of a constant level (DC at 0.5: nothing in earmix's
//! default path filters it, so a level change is exact to the bit), and the child's two audio
//! inputs are connected to earmix's outputs. After a sweep through the mix's level (soft
//! takeover: the fader then has the mix), it moves the fader between 95/127 (-0.08 dB) and
//! 42/127 (-19.95 dB), each move sent from its process callback at frame 0 of a cycle and
//! stamped with that cycle's frame time, 20-60 ms (at random) after the level settled from
//! the move before. The same callback finds the first frame of its input that departs from
//! the level before the move. Reported: p50, p99 and the largest of send to first changed
//! frame, in ms and in periods; and the same for `m` typed into the console (mute, unmute),
//! timed from JACK's estimate of the frame time just before the key.
//!
//! Knobs: `EARMIX_BENCH_MOVES` (fader moves per buffer size, default 200),
//! `EARMIX_BENCH_KEYS` (key presses per buffer size, default 100) and `EARMIX_BENCH_BUFFERS`
//! (default `128,256,1024`).

use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

// The probe uses the console's keys and screen, and the CPU's name is all this bench reads
// from /proc: the rest of these shared files goes unused here.
#[allow(dead_code)]
#[path = "common/console.rs"]
mod console;
#[cfg(target_os = "linux")]
#[path = "surface/probe.rs"]
mod probe;
#[allow(dead_code)]
#[path = "common/procfs.rs"]
mod procfs;
#[path = "common/servers.rs"]
mod servers;

use servers::Jack;

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The earmix binary cargo built for this bench.
const EARMIX: &str = env!("CARGO_BIN_EXE_earmix");

/// Tells the child what it is.
const CHILD_ENV: &str = "EARMIX_SURFACE_CHILD";

/// What the bench hands its child: the session, earmix's home, the counts of moves and
/// presses, and the seed of the pauses between them.
const SESSION_ENV: &str = "EARMIX_SURFACE_SESSION";
const HOME_ENV: &str = "EARMIX_SURFACE_HOME";
const MOVES_ENV: &str = "EARMIX_SURFACE_MOVES";
const KEYS_ENV: &str = "EARMIX_SURFACE_KEYS";
const SEED_ENV: &str = "EARMIX_SURFACE_SEED";

/// The stem's constant level.
const LEVEL: f64 = 0.5;

/// The bench's settings, from the environment.
struct Settings {
    moves: usize,
    keys: usize,
    buffers: Vec<u32>,
}

fn env_count(name: &str, default: usize) -> BoxResult<usize> {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .ok_or_else(|| format!("{name}='{text}' is not a count").into()),
        Err(_) => Ok(default),
    }
}

impl Settings {
    fn from_env() -> BoxResult<Self> {
        let text =
            std::env::var("EARMIX_BENCH_BUFFERS").unwrap_or_else(|_| "128,256,1024".to_string());
        let buffers = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<u32>()
                    .ok()
                    .filter(|b| (16..=1024).contains(b))
                    .ok_or_else(|| format!("EARMIX_BENCH_BUFFERS: '{s}' is not 16 to 1024"))
            })
            .collect::<Result<Vec<u32>, String>>()?;
        Ok(Self {
            moves: env_count("EARMIX_BENCH_MOVES", 200)?,
            keys: env_count("EARMIX_BENCH_KEYS", 100)?,
            buffers,
        })
    }
}

/// Writes a stereo 24-bit WAV stem of `seconds` of a constant `LEVEL` (DC) into `dir`.
fn write_stem(dir: &Path, seconds: f64) -> BoxResult<PathBuf> {
    let path = dir.join("level.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut wav = hound::WavWriter::create(&path, spec)?;
    let sample = (LEVEL * f64::from(1 << 23)).round() as i32;
    for _ in 0..(seconds * 48_000.0) as u64 * 2 {
        wav.write_sample(sample)?;
    }
    wav.finalize()?;
    Ok(path)
}

/// What one buffer size measured.
struct Run {
    buffer: u32,
    rate: u32,
    /// Fader move and key to the first changed frame (frames).
    faders: Vec<f64>,
    keys: Vec<f64>,
    /// Changes that ended at the wrong level (left out), by kind.
    disturbed: Vec<String>,
    /// The steady level at the two fader positions.
    levels: String,
    xruns: usize,
}

fn run_buffer(buffer: u32, settings: &Settings, stem: &Path, work: &Path) -> BoxResult<Run> {
    let jack = Jack::start_for("surface", buffer)?;
    let log_from = jack.log_len();
    let dir = work.join(format!("run-{buffer}"));
    let session = console::write_session(&dir, stem, "surface bench", "level")?;
    let home = dir.join("home");
    fs::create_dir_all(&home)?;
    let mut child = Command::new(std::env::current_exe()?);
    jack.client(&mut child)
        .env(CHILD_ENV, "probe")
        .env(SESSION_ENV, &session)
        .env(HOME_ENV, &home)
        .env(MOVES_ENV, settings.moves.to_string())
        .env(KEYS_ENV, settings.keys.to_string())
        .env(SEED_ENV, (0x9E37_79B9_u64 ^ u64::from(buffer)).to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = child.spawn()?;
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    let mut stderr = child.stderr.take().ok_or("no child stderr")?;
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut run = Run {
        buffer,
        rate: 48_000,
        faders: Vec::new(),
        keys: Vec::new(),
        disturbed: Vec::new(),
        levels: String::new(),
        xruns: 0,
    };
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let number = |i: usize| words.get(i).and_then(|w| w.parse::<f64>().ok());
        match words.first().copied() {
            Some("period") => {
                let period = number(1).unwrap_or(0.0) as u32;
                if period != buffer {
                    return Err(format!("the server runs {period} frames, not {buffer}").into());
                }
                run.rate = number(2).map_or(48_000, |r| r as u32);
            }
            Some("fader") => run.faders.extend(number(1)),
            Some("key") => run.keys.extend(number(1)),
            Some("levels") => {
                let db =
                    |v: Option<f64>| v.map_or("-".into(), |v| format!("{:.2}", 20.0 * v.log10()));
                run.levels = format!("{} / {} dBFS", db(number(1)), db(number(2)));
            }
            Some("disturbed" | "lost") => run.disturbed.push(line.clone()),
            _ => {}
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("the probe failed ({status}): {}", errors.trim()).into());
    }
    run.xruns = jack.xruns_since(log_from);
    Ok(run)
}

/// The `q` quantile of `values` (nearest rank).
fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied()
}

/// "p50 / p99 / max" of `frames`, scaled by `per` and written with `digits` decimals.
fn spread(frames: &[f64], per: f64, digits: usize) -> String {
    let max = frames
        .iter()
        .copied()
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    match (quantile(frames, 0.5), quantile(frames, 0.99), max) {
        (Some(a), Some(b), Some(c)) => format!(
            "{:.digits$} / {:.digits$} / {:.digits$}",
            a / per,
            b / per,
            c / per
        ),
        _ => "-".into(),
    }
}

fn print_table(runs: &[Run], settings: &Settings) {
    println!();
    println!(
        "Fader to audio thread on a JACK dummy server: a CC from a JACK MIDI client (fader 1 of \
         the generic-8 mapping, {} moves per row between -0.08 and -19.95 dB) to the first \
         frame of earmix's output that changed; the same for m typed into the console ({} \
         presses, mute and unmute), from JACK's frame time read just before the key:",
        settings.moves, settings.keys
    );
    println!();
    println!(
        "| buffer | fader moves | move p50 / p99 / max | in periods | key presses | key p50 / p99 \
         / max | in periods |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in runs {
        let ms = f64::from(r.rate) / 1000.0;
        let period = f64::from(r.buffer);
        println!(
            "| {} ({:.2} ms) | {} | {} ms | {} | {} | {} ms | {} |",
            r.buffer,
            period / ms,
            r.faders.len(),
            spread(&r.faders, ms, 1),
            spread(&r.faders, period, 2),
            r.keys.len(),
            spread(&r.keys, ms, 1),
            spread(&r.keys, period, 2),
        );
    }
    println!();
    for r in runs {
        let mut notes = format!(
            "- {} frames: levels at the two fader positions {}, xruns logged by jackd {}",
            r.buffer, r.levels, r.xruns
        );
        if !r.disturbed.is_empty() {
            let _ = write!(notes, "; left out: {}", r.disturbed.join("; "));
        }
        println!("{notes}");
    }
}

fn today() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn run() -> BoxResult<()> {
    let settings = Settings::from_env()?;
    if !cfg!(target_os = "linux") {
        println!("surface bench: skipped: earmix reads JACK MIDI on Linux only");
        return Ok(());
    }
    if let Some(why) = Jack::unavailable_native() {
        println!("surface bench: skipped: {why}");
        return Ok(());
    }
    let work = tempfile::Builder::new()
        .prefix("earmix-surface-bench-")
        .tempdir()?;
    let seconds = (settings.moves + settings.keys) as f64 * 0.25 + 60.0;
    let stem = write_stem(work.path(), seconds)?;
    println!(
        "earmix surface bench, {}: {} ({} cores), jackd {}; earmix {} (release)",
        today(),
        procfs::cpu_model(),
        std::thread::available_parallelism().map_or(0, usize::from),
        Jack::version(),
        env!("CARGO_PKG_VERSION"),
    );
    let mut runs = Vec::new();
    let mut failures = Vec::new();
    for &buffer in &settings.buffers {
        eprintln!("JACK dummy, {buffer} frames: fader moves and key presses ...");
        match run_buffer(buffer, &settings, &stem, work.path()) {
            Ok(run) => runs.push(run),
            Err(e) => failures.push(format!("{buffer} frames: {e}")),
        }
    }
    if !runs.is_empty() {
        print_table(&runs, &settings);
    }
    if !failures.is_empty() {
        let mut text = String::from("some runs failed:");
        for f in &failures {
            let _ = write!(text, "\n- {f}");
        }
        return Err(text.into());
    }
    Ok(())
}

fn main() -> ExitCode {
    let result = match std::env::var(CHILD_ENV).as_deref() {
        #[cfg(target_os = "linux")]
        Ok("probe") => probe::run(),
        _ => run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("surface bench: {e}");
            ExitCode::FAILURE
        }
    }
}
