//! `cargo bench --bench bounce` (run by `just bench`): earmix's offline bounce timed next to sox
//! and ffmpeg doing the same mix of the same stems, and a check that all three wrote the same
//! samples (so the comparison is of equal work).
//!
//! Two stem sets are generated (deterministic, music-like: filtered noise plus decaying tones):
//! 16 stereo stems x 180 s, and 64 stems x 60 s, half of them mono; all 24-bit, 48 kHz. Every pan
//! is centre, so the references can reproduce the mix exactly: a stereo stem at centre passes at
//! unity on both sides, and a mono stem at centre is copied to both sides at -3.01 dB.
//!
//! Then the cost of rides: a 5-minute song of 16 stereo stems bounced by earmix with no rides,
//! with rides as a hand records them on every strip (a move of 2 s every 15 s, the level held
//! between), and with rides that never rest (a point every second, so every frame is on a
//! slope), the three alternating in one run; the ratios of the medians are reported. `cargo
//! bench --bench bounce -- rides` runs only that part (and needs neither sox nor ffmpeg).
//!
//! Set `EARMIX_BENCH_DIR` to keep the stems between runs (later runs skip the generation).

use std::error::Error;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use earmix::engine::render::{self, BounceOptions};
use earmix::session::{Ride, RidePoint};
use earmix::units::{Decibels, Pan};

#[path = "common/procfs.rs"]
mod procfs;
#[path = "common/stems.rs"]
mod stems;
use procfs::{clock_ticks_per_second, cpu_model};
use stems::{SAMPLE_RATE, write_stem};

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Timed runs per tool and set; the median is reported.
const RUNS: usize = 3;
/// earmix should be at least this many times faster than the faster reference.
const TARGET_SPEEDUP: f64 = 3.0;
/// The largest difference between earmix and a reference that still counts as the same mix.
const MAX_DIFF: f32 = 1e-4;
/// Bumped whenever the generated stems change, so kept stems are regenerated.
const STEMS_VERSION: u32 = 1;

/// One generated stem set.
struct StemSet {
    name: &'static str,
    stems: usize,
    seconds: u32,
    /// Whether odd-numbered stems are mono (the rest are stereo).
    mono_odd: bool,
}

const SETS: [StemSet; 2] = [
    StemSet {
        name: "bench16",
        stems: 16,
        seconds: 180,
        mono_odd: false,
    },
    StemSet {
        name: "bench64",
        stems: 64,
        seconds: 60,
        mono_odd: true,
    },
];

/// The song the rides are timed on.
const RIDES_SET: StemSet = StemSet {
    name: "rides16",
    stems: 16,
    seconds: 300,
    mono_odd: false,
};
/// Timed bounces of each kind (with and without rides) in the rides comparison.
const RIDE_RUNS: usize = 5;

/// One stem of a set, as the session file and the reference command lines see it.
struct Stem {
    name: String,
    /// Relative to the session folder.
    file: String,
    channels: u16,
    gain_db: f64,
    seed: u64,
}

impl StemSet {
    fn frames(&self) -> u64 {
        u64::from(self.seconds) * u64::from(SAMPLE_RATE)
    }

    fn describe(&self) -> String {
        let mono = if self.mono_odd { self.stems / 2 } else { 0 };
        format!(
            "{} stems x {} s ({} stereo, {} mono), 24-bit, {} kHz",
            self.stems,
            self.seconds,
            self.stems - mono,
            mono,
            SAMPLE_RATE / 1000
        )
    }

    fn stem_list(&self) -> Vec<Stem> {
        (0..self.stems)
            .map(|i| Stem {
                name: format!("s{:02}", i + 1),
                file: format!("stems/s{:02}.wav", i + 1),
                channels: if self.mono_odd && i % 2 == 1 { 1 } else { 2 },
                // -3 .. -12 dB in half-dB steps, spread over the stems.
                gain_db: -3.0 - ((i * 7) % 19) as f64 * 0.5,
                seed: ((self.stems as u64) << 32) | (i as u64 + 1),
            })
            .collect()
    }
}

/// The linear gain earmix applies to a stem at centre pan, computed with earmix's own formulas
/// so the references get the very same `f32` factor.
fn stem_gain(stem: &Stem) -> f32 {
    let level = Decibels(stem.gain_db).to_amplitude();
    if stem.channels == 1 {
        level * Pan::CENTRE.mono_gains().0
    } else {
        level
    }
}

// ---------------------------------------------------------------------------------------------
// Stem generation

/// Generates a set's stems into `dir/stems/` on every core, unless a previous run left them
/// complete. Returns whether anything was generated.
fn generate(set: &StemSet, dir: &Path) -> BoxResult<bool> {
    let marker = dir.join(".complete");
    let stamp = format!("earmix bench stems v{STEMS_VERSION}: {}\n", set.describe());
    if fs::read_to_string(&marker).is_ok_and(|s| s == stamp) {
        return Ok(false);
    }
    let _ = fs::remove_file(&marker);
    fs::create_dir_all(dir.join("stems"))?;
    let stems = set.stem_list();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    std::thread::scope(|scope| -> BoxResult<()> {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> io::Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(stem) = stems.get(i) else {
                            return Ok(());
                        };
                        write_stem(
                            &dir.join(&stem.file),
                            stem.channels,
                            set.frames(),
                            stem.seed,
                        )?;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().map_err(|_| "a generator thread panicked")??;
        }
        Ok(())
    })?;
    fs::write(&marker, stamp)?;
    Ok(true)
}

/// Writes the session file for a set and returns its path.
fn write_session(set: &StemSet, dir: &Path) -> BoxResult<PathBuf> {
    let mut toml = format!("version = 1\nname = \"{}\"\n", set.name);
    for stem in set.stem_list() {
        write!(
            toml,
            "\n[[channel]]\nname = \"{}\"\nfile = \"{}\"\ngain_db = {:.1}\npan = 0.0\n",
            stem.name, stem.file, stem.gain_db
        )?;
    }
    let path = dir.join("session.toml");
    fs::write(&path, toml)?;
    Ok(path)
}

/// Reads every stem once so the timed runs all start with a warm page cache.
fn warm_cache(set: &StemSet, dir: &Path) -> BoxResult<()> {
    for stem in set.stem_list() {
        io::copy(&mut File::open(dir.join(&stem.file))?, &mut io::sink())?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The three mixers

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Earmix,
    Sox,
    Ffmpeg,
}

impl Tool {
    const ALL: [Tool; 3] = [Tool::Earmix, Tool::Sox, Tool::Ffmpeg];

    fn name(self) -> &'static str {
        match self {
            Tool::Earmix => "earmix",
            Tool::Sox => "sox",
            Tool::Ffmpeg => "ffmpeg",
        }
    }
}

/// A gain as the references parse it: the shortest text that reads back as the same `f32`.
fn gain_text(gain: f32) -> String {
    format!("{gain}")
}

/// `sox -m -v G1 a.wav -v G2 b.wav ... -e floating-point -b 32 out.wav`. sox's mix puts a mono
/// input into the first output channel only, so each mono stem comes through a pipe that copies
/// it to both channels (`"|sox m.wav -p remix 1 1"`); its `-v` carries the -3 dB centre pan.
fn sox_args(set: &StemSet, dir: &Path, out: &Path) -> Vec<String> {
    let mut args = vec!["-m".to_string()];
    for stem in set.stem_list() {
        args.push("-v".into());
        args.push(gain_text(stem_gain(&stem)));
        let path = dir.join(&stem.file).display().to_string();
        args.push(if stem.channels == 1 {
            format!("|sox \"{path}\" -p remix 1 1")
        } else {
            path
        });
    }
    for a in ["-e", "floating-point", "-b", "32"] {
        args.push(a.into());
    }
    args.push(out.display().to_string());
    args
}

/// `ffmpeg -i a.wav ... -filter_complex "[0:a]volume=G1[a0];...;[a0][a1]...amix=inputs=N:
/// normalize=0" -c:a pcm_f32le out.wav`. A mono stem goes through `pan=stereo|c0=G*c0|c1=G*c0`
/// instead of `volume`, so its copy to both sides is explicit.
fn ffmpeg_args(set: &StemSet, dir: &Path, out: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["-nostdin", "-y", "-v", "error"]
        .into_iter()
        .map(String::from)
        .collect();
    let stems = set.stem_list();
    let mut graph = String::new();
    for (i, stem) in stems.iter().enumerate() {
        args.push("-i".into());
        args.push(dir.join(&stem.file).display().to_string());
        let g = gain_text(stem_gain(stem));
        // `write!` to a String cannot fail.
        let _ = if stem.channels == 1 {
            write!(graph, "[{i}:a]pan=stereo|c0={g}*c0|c1={g}*c0[a{i}];")
        } else {
            write!(graph, "[{i}:a]volume={g}[a{i}];")
        };
    }
    for i in 0..stems.len() {
        let _ = write!(graph, "[a{i}]");
    }
    let _ = write!(graph, "amix=inputs={}:normalize=0", stems.len());
    for a in ["-filter_complex", &graph, "-c:a", "pcm_f32le"] {
        args.push(a.into());
    }
    args.push(out.display().to_string());
    args
}

/// Flushes every file system (`sync`), untimed.
fn sync() -> BoxResult<()> {
    let status = Command::new("sync").status()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("sync failed ({status})").into())
    }
}

fn run_external(program: &str, args: &[String]) -> BoxResult<()> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {program} (`just bench` installs it): {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("{program} failed ({}):\n{stderr}", output.status).into());
    }
    if !stderr.trim().is_empty() {
        eprintln!("{program} said: {}", stderr.trim());
    }
    Ok(())
}

/// One timed run.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// Wall-clock seconds.
    wall: f64,
    /// CPU seconds of the tool (all its threads and child processes), where /proc tells.
    cpu: Option<f64>,
    /// CPU seconds the rest of the machine was busy meanwhile (other processes, VM steal).
    others: Option<f64>,
}

/// CPU time counters from Linux's /proc, in clock ticks.
#[derive(Debug, Clone, Copy)]
struct CpuCounters {
    /// This process and its waited-for children: utime + stime + cutime + cstime.
    ours: u64,
    /// The whole machine's busy time: user, nice, system, irq, softirq and steal.
    machine: u64,
}

impl CpuCounters {
    fn read() -> Option<Self> {
        let stat = fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the command name (which may hold spaces) start at field 3, `state`;
        // utime, stime, cutime and cstime are fields 14 to 17.
        let (_, rest) = stat.rsplit_once(')')?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ours = fields
            .get(11..15)?
            .iter()
            .map(|f| f.parse::<u64>().ok())
            .sum::<Option<u64>>()?;
        let all = fs::read_to_string("/proc/stat").ok()?;
        let cpu: Vec<u64> = all
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .map(|f| f.parse().ok())
            .collect::<Option<_>>()?;
        // user nice system idle iowait irq softirq steal ...
        let machine = [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| cpu.get(i)).sum();
        Some(Self { ours, machine })
    }
}

/// Mixes a set once with `tool`, writing `out`, and times it.
fn run_tool(tool: Tool, set: &StemSet, dir: &Path, out: &Path, tick: f64) -> BoxResult<Run> {
    let before = CpuCounters::read();
    let start = Instant::now();
    match tool {
        Tool::Earmix => {
            let session = earmix::session::load(&dir.join("session.toml"))?;
            render::bounce(&session, out, &BounceOptions::default(), &mut |_, _| {})?;
        }
        Tool::Sox => run_external("sox", &sox_args(set, dir, out))?,
        Tool::Ffmpeg => run_external("ffmpeg", &ffmpeg_args(set, dir, out))?,
    }
    let wall = start.elapsed().as_secs_f64();
    let (cpu, others) = match (before, CpuCounters::read()) {
        (Some(b), Some(a)) => {
            let ours = a.ours.saturating_sub(b.ours) as f64 * tick;
            let machine = a.machine.saturating_sub(b.machine) as f64 * tick;
            (Some(ours), Some((machine - ours).max(0.0)))
        }
        _ => (None, None),
    };
    Ok(Run { wall, cpu, others })
}

// ---------------------------------------------------------------------------------------------
// Checking and reporting

/// Reads a stereo float WAV into interleaved samples.
fn read_output(path: &Path) -> BoxResult<Vec<f32>> {
    let reader = hound::WavReader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let spec = reader.spec();
    if spec.channels != 2 || spec.sample_format != hound::SampleFormat::Float {
        return Err(format!("{}: expected stereo float, got {spec:?}", path.display()).into());
    }
    Ok(reader.into_samples::<f32>().collect::<Result<_, _>>()?)
}

/// The largest absolute difference between two outputs (`inf` if their lengths differ).
fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return f32::INFINITY;
    }
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Where the numbers were measured, for the README next to the table.
struct Machine {
    cpu: String,
    cores: usize,
    /// Seconds per /proc clock tick (`getconf CLK_TCK`, almost always 100 per second).
    tick: f64,
    sox: String,
    ffmpeg: String,
}

impl Machine {
    /// Reads the CPU model and the reference tools' versions (which also loads both tools
    /// once, so the first timed run does not pay for it). Fails when a tool is missing.
    fn probe() -> BoxResult<Self> {
        let cpu = cpu_model();
        Ok(Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            tick: 1.0 / clock_ticks_per_second(),
            sox: version_of("sox", "--version")?,
            ffmpeg: version_of("ffmpeg", "-version")?,
        })
    }
}

impl std::fmt::Display for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Machine: {}, {} cores", self.cpu, self.cores)?;
        writeln!(f, "sox:     {}", self.sox)?;
        write!(f, "ffmpeg:  {}", self.ffmpeg)
    }
}

/// The first line a tool prints for `arg` (its version).
fn version_of(program: &str, arg: &str) -> BoxResult<String> {
    let output = Command::new(program)
        .arg(arg)
        .output()
        .map_err(|e| format!("cannot run {program} (`just bench` installs it): {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().next().unwrap_or("").trim();
    // sox prints "sox:      SoX v14.4.2".
    Ok(line.trim_start_matches("sox:").trim().to_string())
}

struct SetResult {
    set: &'static str,
    seconds: u32,
    /// Every run, per tool in `Tool::ALL` order.
    runs: [Vec<Run>; 3],
    /// Largest difference of sox and ffmpeg from earmix.
    diffs: [f32; 2],
    /// earmix's largest absolute sample.
    peak: f32,
}

impl SetResult {
    fn median_wall(&self, tool: usize) -> f64 {
        median(self.runs[tool].iter().map(|r| r.wall))
    }

    fn median_cpu(&self, tool: usize) -> Option<f64> {
        let cpu: Option<Vec<f64>> = self.runs[tool].iter().map(|r| r.cpu).collect();
        cpu.map(|c| median(c.into_iter()))
    }

    /// The share of the machine other processes (or the hypervisor) used during the timed runs.
    fn background_load(&self, cores: usize) -> Option<f64> {
        let runs = self.runs.iter().flatten();
        let others: Option<f64> = runs.clone().map(|r| r.others).sum();
        let wall: f64 = runs.map(|r| r.wall).sum();
        others.map(|o| o / (wall * cores as f64))
    }
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut sorted: Vec<f64> = values.collect();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

fn bench_set(set: &StemSet, dir: &Path, machine: &Machine) -> BoxResult<SetResult> {
    let session = write_session(set, dir)?;
    println!("\n{}: {} ({})", set.name, set.describe(), session.display());
    warm_cache(set, dir)?;
    let out_dir = dir.join("out");
    fs::create_dir_all(&out_dir)?;
    let outs = Tool::ALL.map(|t| out_dir.join(format!("{}.wav", t.name())));
    let mut runs: [Vec<Run>; 3] = Default::default();
    for round in 1..=RUNS {
        for (i, tool) in Tool::ALL.into_iter().enumerate() {
            // Start every run with no dirty pages (e.g. the previous tool's output) waiting to
            // be written back, so earmix's fsync flushes only its own file.
            sync()?;
            let run = run_tool(tool, set, dir, &outs[i], machine.tick)?;
            let cpu = run
                .cpu
                .map_or_else(String::new, |c| format!(", CPU {c:5.2} s"));
            println!(
                "  run {round}/{RUNS}  {:<7} {:6.2} s{cpu}",
                tool.name(),
                run.wall
            );
            runs[i].push(run);
        }
    }
    let earmix = read_output(&outs[0])?;
    let frames = set.frames() as usize;
    if earmix.len() != frames * 2 {
        let got = earmix.len() / 2;
        return Err(format!("earmix wrote {got} frames, expected {frames}").into());
    }
    let peak = earmix.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let diffs = [
        max_diff(&earmix, &read_output(&outs[1])?),
        max_diff(&earmix, &read_output(&outs[2])?),
    ];
    Ok(SetResult {
        set: set.name,
        seconds: set.seconds,
        runs,
        diffs,
        peak,
    })
}

/// Prints the comparison; returns false when a reference's output differs from earmix's.
fn report(machine: &Machine, results: &[SetResult]) -> bool {
    println!("\n{machine}");
    println!(
        "Wall clock, median of {RUNS} runs, warm page cache, 32-bit float output. CPU = CPU time \
         of all the tool's threads and processes (median)."
    );
    println!(
        "Mono stems: earmix and ffmpeg read them as they are; sox gets each through a pipe \
         (`|sox m.wav -p remix 1 1`), since `sox -m` puts a mono input in the left channel \
         only.\n"
    );
    println!("| set | tool | wall | vs earmix | CPU | x realtime | runs (s) |");
    println!("|---|---|---:|---|---:|---:|---|");
    let mut all_same = true;
    for r in results {
        let earmix = r.median_wall(0);
        for (i, tool) in Tool::ALL.into_iter().enumerate() {
            let wall = r.median_wall(i);
            let ratio = if i == 0 {
                "-".to_string()
            } else {
                format!("= {:.1}x earmix", wall / earmix)
            };
            let cpu = r
                .median_cpu(i)
                .map_or_else(|| "n/a".to_string(), |c| format!("{c:.2} s"));
            let runs: Vec<String> = r.runs[i].iter().map(|t| format!("{:.2}", t.wall)).collect();
            println!(
                "| {} | {} | {wall:.2} s | {ratio} | {cpu} | {:.0}x | {} |",
                r.set,
                tool.name(),
                f64::from(r.seconds) / wall,
                runs.join(" ")
            );
        }
    }
    println!();
    for r in results {
        let (sox, ffmpeg) = (r.median_wall(1), r.median_wall(2));
        let (best, best_time) = if sox <= ffmpeg {
            ("sox", sox)
        } else {
            ("ffmpeg", ffmpeg)
        };
        let speedup = best_time / r.median_wall(0);
        let verdict = if speedup >= TARGET_SPEEDUP {
            "met"
        } else {
            "NOT met"
        };
        println!(
            "{}: earmix is {speedup:.2}x faster than the faster reference ({best}): \
             the {TARGET_SPEEDUP}x target is {verdict}.",
            r.set
        );
        let same = |d: f32| if d <= MAX_DIFF { "same" } else { "DIFFERENT" };
        println!(
            "{}: max |earmix - sox| = {:.1e} ({}), max |earmix - ffmpeg| = {:.1e} ({}); \
             earmix peak {:.3} ({:.1} dBFS).",
            r.set,
            r.diffs[0],
            same(r.diffs[0]),
            r.diffs[1],
            same(r.diffs[1]),
            r.peak,
            20.0 * r.peak.log10()
        );
        if let Some(load) = r.background_load(machine.cores) {
            let note = if load > 0.1 {
                " - other work was running: these times are noisy, run again on a quiet machine"
            } else {
                ""
            };
            println!(
                "{}: background CPU load during the timed runs {:.0}% of the machine{note}.",
                r.set,
                load * 100.0
            );
        }
        all_same &= r.diffs.iter().all(|&d| d <= MAX_DIFF);
    }
    all_same
}

// ---------------------------------------------------------------------------------------------
// The cost of rides

/// A ride for every channel of `session`: a point every second, levels between -6 and +3 dB
/// (deterministic), so every frame of the song is on a slope.
fn ride_everything(session: &mut earmix::session::Session, seconds: u32) {
    let mut state = 0x9E37_79B9_u32;
    session.rides = session
        .channels
        .iter()
        .map(|channel| Ride {
            target: channel.name.clone(),
            points: (0..=seconds)
                .map(|t| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    RidePoint::new(f64::from(t), -6.0 + f64::from(state % 91) * 0.1)
                })
                .collect(),
        })
        .collect();
}

/// A ride for every channel of `session` as a hand records one: a move of 2 s every 15 s to a
/// level between -6 and +3 dB (deterministic), the level held between moves.
fn ride_now_and_then(session: &mut earmix::session::Session, seconds: u32) {
    let mut state = 0x2545_F491_u32;
    session.rides = session
        .channels
        .iter()
        .enumerate()
        .map(|(i, channel)| {
            let mut level = 0.0;
            let mut points = vec![RidePoint::new(0.0, level)];
            // Each strip moves at its own times: the moves are spread over the song.
            let mut t = 5 + i as u32 % 15;
            while t + 2 <= seconds {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                points.push(RidePoint::new(f64::from(t), level));
                level = -6.0 + f64::from(state % 91) * 0.1;
                points.push(RidePoint::new(f64::from(t + 2), level));
                t += 15;
            }
            Ride {
                target: channel.name.clone(),
                points,
            }
        })
        .collect();
}

/// Saves `ridden` over the text of the session at `path` as earmix saves it, checks that its
/// rides read back, and prints the file's size with and without them.
fn print_file_size(path: &Path, ridden: &earmix::session::Session, dir: &Path) -> BoxResult<()> {
    // What the rides do to the session file (as earmix saves it): still a file to read.
    let text = fs::read_to_string(path)?;
    let saved = earmix::session::update_toml_string(&text, ridden)?;
    let ridden_path = dir.join("rides16-ridden.toml");
    fs::write(&ridden_path, &saved)?;
    let reread = earmix::session::load(&ridden_path)?;
    // Times are written to the millisecond and levels to a hundredth of a dB.
    let same = reread.rides.len() == ridden.rides.len()
        && reread.rides.iter().zip(&ridden.rides).all(|(a, b)| {
            a.target == b.target
                && a.points.len() == b.points.len()
                && a.points.iter().zip(&b.points).all(|(p, q)| {
                    (p.at.0 - q.at.0).abs() <= 0.0005 && (p.db.0 - q.db.0).abs() <= 0.005
                })
        });
    if !same {
        return Err("the saved rides do not read back as they were".into());
    }
    println!(
        "session file: {} lines, {} bytes without rides; {} lines, {} bytes with them ({})",
        text.lines().count(),
        text.len(),
        saved.lines().count(),
        saved.len(),
        ridden_path.display()
    );
    Ok(())
}

/// Bounces the rides set with and without rides, alternating which goes first, and prints the
/// medians and their ratio.
fn bench_rides(dir: &Path, tick: f64) -> BoxResult<()> {
    let set = &RIDES_SET;
    let path = write_session(set, dir)?;
    let plain = earmix::session::load(&path)?;
    let mut ridden = plain.clone();
    ride_everything(&mut ridden, set.seconds);
    let points: usize = ridden.rides.iter().map(|r| r.points.len()).sum();
    println!(
        "
{}: {} ({}); rides: {} strips, {points} points",
        set.name,
        set.describe(),
        path.display(),
        ridden.rides.len()
    );
    print_file_size(&path, &ridden, dir)?;
    let mut recorded = plain.clone();
    ride_now_and_then(&mut recorded, set.seconds);
    warm_cache(set, dir)?;
    let out = dir.join("out");
    fs::create_dir_all(&out)?;
    let names = [
        "no rides",
        "rides moving now and then",
        "rides never resting",
    ];
    let outs = [
        out.join("plain.wav"),
        out.join("recorded.wav"),
        out.join("ridden.wav"),
    ];
    let sessions = [&plain, &recorded, &ridden];
    let mut runs: [Vec<Run>; 3] = Default::default();
    for round in 0..RIDE_RUNS {
        // Each kind goes first, second and third in turn.
        for step in 0..3 {
            let k = (round + step) % 3;
            sync()?;
            let before = CpuCounters::read();
            let start = Instant::now();
            render::bounce(
                sessions[k],
                &outs[k],
                &BounceOptions::default(),
                &mut |_, _| {},
            )?;
            let wall = start.elapsed().as_secs_f64();
            let cpu = before
                .zip(CpuCounters::read())
                .map(|(b, a)| a.ours.saturating_sub(b.ours) as f64 * tick);
            let cpu_text = cpu.map_or_else(String::new, |c| format!(", CPU {c:5.2} s"));
            println!(
                "  run {}/{RIDE_RUNS}  {:<26} {wall:6.2} s{cpu_text}",
                round + 1,
                names[k]
            );
            runs[k].push(Run {
                wall,
                cpu,
                others: None,
            });
        }
    }
    let plain_out = read_output(&outs[0])?;
    for k in 1..3 {
        if max_diff(&plain_out, &read_output(&outs[k])?) == 0.0 {
            return Err(format!("the bounce with {} is the bounce without", names[k]).into());
        }
    }
    let wall = |k: usize| median(runs[k].iter().map(|r| r.wall));
    let cpu = |k: usize| {
        let all: Option<Vec<f64>> = runs[k].iter().map(|r| r.cpu).collect();
        all.map(|c| median(c.into_iter()))
    };
    println!(
        "
| {} | wall (median of {RIDE_RUNS}) | CPU (median) | runs (s) |",
        set.name
    );
    println!("|---|---:|---:|---|");
    for (k, name) in names.into_iter().enumerate() {
        let runs: Vec<String> = runs[k].iter().map(|r| format!("{:.2}", r.wall)).collect();
        let cpu = cpu(k).map_or_else(|| "n/a".to_string(), |c| format!("{c:.2} s"));
        println!("| {name} | {:.2} s | {cpu} | {} |", wall(k), runs.join(" "));
    }
    println!();
    for (k, name) in names.into_iter().enumerate().skip(1) {
        let cpu_ratio = cpu(k)
            .zip(cpu(0))
            .map_or_else(String::new, |(r, p)| format!(", CPU {:.3}x", r / p));
        println!(
            "{}: {name} / no rides: wall {:.3}x{cpu_ratio}.",
            set.name,
            wall(k) / wall(0)
        );
    }
    Ok(())
}

fn run() -> BoxResult<bool> {
    let only_rides = std::env::args().skip(1).any(|a| a == "rides");
    let kept = std::env::var_os("EARMIX_BENCH_DIR").map(PathBuf::from);
    let temp;
    let root = if let Some(dir) = kept {
        fs::create_dir_all(&dir)?;
        dir
    } else {
        temp = tempfile::Builder::new().prefix("earmix-bench-").tempdir()?;
        temp.path().to_path_buf()
    };
    println!("earmix bounce benchmark; stems in {}", root.display());
    if only_rides {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        println!("Machine: {}, {cores} cores", cpu_model());
        generate_announced(&RIDES_SET, &root.join(RIDES_SET.name))?;
        bench_rides(&root.join(RIDES_SET.name), 1.0 / clock_ticks_per_second())?;
        return Ok(true);
    }
    let machine = Machine::probe()?;
    let mut results = Vec::new();
    for set in SETS.iter().chain([&RIDES_SET]) {
        generate_announced(set, &root.join(set.name))?;
    }
    for set in &SETS {
        results.push(bench_set(set, &root.join(set.name), &machine)?);
    }
    let same = report(&machine, &results);
    bench_rides(&root.join(RIDES_SET.name), machine.tick)?;
    Ok(same)
}

/// Generates a set's stems (unless kept from an earlier run) and says so.
fn generate_announced(set: &StemSet, dir: &Path) -> BoxResult<()> {
    let start = Instant::now();
    if generate(set, dir)? {
        println!(
            "generated {}: {} in {:.1} s (not part of the comparison)",
            set.name,
            set.describe(),
            start.elapsed().as_secs_f64()
        );
    } else {
        println!("reusing {} from an earlier run", set.name);
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!(
                "FAILED: earmix's output differs from a reference by more than {MAX_DIFF:e}; \
                 the tools did not do the same work"
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}
