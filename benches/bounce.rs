//! `cargo bench --bench bounce` (run by `just bench`): earmix's offline bounce timed next to sox
//! and ffmpeg doing the same mix of the same stems, and a check that all three wrote the same
//! samples (so the comparison is of equal work).
//!
//! Two stem sets are generated (deterministic, music-like: filtered noise plus decaying tones):
//! 16 stereo stems x 180 s, and 64 stems x 60 s, half of them mono; 24-bit WAV, 48 kHz. Each set
//! is then converted (by sox, flac and lame, untimed) into 16-bit WAV, 32-bit float WAV, FLAC
//! and MP3, and every format is bounced by every tool that reads it (sox reads no MP3). Every
//! pan is centre, so the references can reproduce the mix exactly: a stereo stem at centre
//! passes at unity on both sides, and a mono stem at centre is copied to both sides at -3.01
//! dB. Each session has six sections (they change nothing heard), so that `earmix report`,
//! timed on the 24-bit WAV sets next to the bounce, measures what it would on a song.
//!
//! Besides wall and CPU time, each run reports stream-seconds per second (stems x song length /
//! wall time) and how busy it kept the machine's cores; for the WAV sets, the machine's own
//! floor is measured too: every stem read from the page cache, converted to float and summed
//! into a stereo mix by a plain loop on every core, the least any mixer must do.
//!
//! Then the cost of rides: a 5-minute song of 16 stereo stems bounced by earmix with no rides,
//! with rides as a hand records them on every strip (a move of 2 s every 15 s, the level held
//! between), and with rides that never rest (a point every second, so every frame is on a
//! slope), the three alternating in one run; the ratios of the medians are reported. `cargo
//! bench --bench bounce -- rides` runs only that part (and needs neither sox nor ffmpeg).
//! `cargo bench --bench bounce -- wav24` (or `wav16`, `f32`, `flac`, `mp3`) runs one format.
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
/// The largest difference between earmix and a reference that still counts as the same mix
/// (for MP3, see [`Format::max_diff`]).
const MAX_DIFF: f32 = 1e-4;
/// Sections in every bench session, evenly spaced (they change nothing heard; `report` measures
/// each).
const SECTIONS: u32 = 6;
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

/// A file format the stems are bounced from. The 24-bit WAV stems are generated; the others are
/// made from them by other programs (untimed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Wav24,
    Wav16,
    WavFloat,
    Flac,
    Mp3,
}

impl Format {
    const ALL: [Format; 5] = [
        Format::Wav24,
        Format::Wav16,
        Format::WavFloat,
        Format::Flac,
        Format::Mp3,
    ];

    /// The name on the command line (`cargo bench --bench bounce -- flac`) and in file names.
    fn tag(self) -> &'static str {
        match self {
            Format::Wav24 => "wav24",
            Format::Wav16 => "wav16",
            Format::WavFloat => "f32",
            Format::Flac => "flac",
            Format::Mp3 => "mp3",
        }
    }

    /// The name in the tables.
    fn name(self) -> &'static str {
        match self {
            Format::Wav24 => "WAV 24-bit",
            Format::Wav16 => "WAV 16-bit",
            Format::WavFloat => "WAV float",
            Format::Flac => "FLAC",
            Format::Mp3 => "MP3 256k",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Wav24 | Format::Wav16 | Format::WavFloat => "wav",
            Format::Flac => "flac",
            Format::Mp3 => "mp3",
        }
    }

    /// The folder of a set's stems in this format.
    fn stem_dir(self) -> String {
        match self {
            Format::Wav24 => "stems".to_string(),
            other => format!("stems-{}", other.tag()),
        }
    }

    fn is_wav(self) -> bool {
        matches!(self, Format::Wav24 | Format::Wav16 | Format::WavFloat)
    }

    /// The tools that read this format (sox reads no MP3), earmix first; `report` and the
    /// exercises' measuring are timed on the 24-bit stems.
    fn tools(self) -> &'static [Tool] {
        match self {
            Format::Wav24 => &[
                Tool::Earmix,
                Tool::Report,
                Tool::Blindfold,
                Tool::Deconstruct,
                Tool::Sox,
                Tool::Ffmpeg,
            ],
            Format::Mp3 => &[Tool::Earmix, Tool::Ffmpeg],
            _ => &Tool::ALL,
        }
    }

    /// How many times faster than the faster reference earmix should be: 5x on WAV, where
    /// reading and mixing is the work; 2x on FLAC and MP3, where decoding is.
    fn target(self) -> f64 {
        if self.is_wav() { 5.0 } else { 2.0 }
    }

    /// The largest difference from a reference that still counts as the same mix. Two MP3
    /// decoders agree only to their float rounding, summed over the stems; lossless formats
    /// decode to the same samples everywhere.
    fn max_diff(self) -> f32 {
        match self {
            Format::Mp3 => 2e-3,
            _ => MAX_DIFF,
        }
    }
}

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

    /// The set without its bit depth (for a format's heading).
    fn shape(&self) -> String {
        let mono = if self.mono_odd { self.stems / 2 } else { 0 };
        format!(
            "{} stems x {} s ({} stereo, {} mono), {} kHz",
            self.stems,
            self.seconds,
            self.stems - mono,
            mono,
            SAMPLE_RATE / 1000
        )
    }

    /// Stem-seconds in the set (stems x song length).
    fn stream_seconds(&self) -> f64 {
        self.stems as f64 * f64::from(self.seconds)
    }

    /// The set's stems, as files of `format`.
    fn stem_list(&self, format: Format) -> Vec<Stem> {
        (0..self.stems)
            .map(|i| Stem {
                name: format!("s{:02}", i + 1),
                file: format!("{}/s{:02}.{}", format.stem_dir(), i + 1, format.extension()),
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
    let stems = set.stem_list(Format::Wav24);
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

/// Makes a set's stems in `format` from its 24-bit WAV stems with sox, flac or lame, on every
/// core, unless an earlier run left them complete. Returns whether anything was made.
fn convert(set: &StemSet, dir: &Path, format: Format) -> BoxResult<bool> {
    if format == Format::Wav24 {
        return Ok(false);
    }
    let marker = dir.join(format!(".complete-{}", format.tag()));
    let stamp = format!(
        "earmix bench stems v{STEMS_VERSION}: {}, {}\n",
        set.describe(),
        format.name()
    );
    if fs::read_to_string(&marker).is_ok_and(|s| s == stamp) {
        return Ok(false);
    }
    let _ = fs::remove_file(&marker);
    fs::create_dir_all(dir.join(format.stem_dir()))?;
    let pairs: Vec<(PathBuf, PathBuf)> = set
        .stem_list(Format::Wav24)
        .into_iter()
        .zip(set.stem_list(format))
        .map(|(from, to)| (dir.join(from.file), dir.join(to.file)))
        .collect();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    std::thread::scope(|scope| -> BoxResult<()> {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> BoxResult<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((from, to)) = pairs.get(i) else {
                            return Ok(());
                        };
                        let (from, to) = (from.display().to_string(), to.display().to_string());
                        let (program, args): (&str, Vec<&str>) = match format {
                            // -D: no dither, so the file is the same in every run.
                            Format::Wav16 => ("sox", vec!["-D", &from, "-b", "16", &to]),
                            Format::WavFloat => {
                                ("sox", vec![&from, "-e", "floating-point", "-b", "32", &to])
                            }
                            Format::Flac => ("flac", vec!["-s", "-f", "-5", "-o", &to, &from]),
                            Format::Mp3 => ("lame", vec!["--silent", "-b", "256", &from, &to]),
                            Format::Wav24 => return Ok(()),
                        };
                        let args: Vec<String> = args.into_iter().map(String::from).collect();
                        run_quietly(program, &args)?;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle
                .join()
                .map_err(|_| "a converting thread panicked")??;
        }
        Ok(())
    })?;
    fs::write(&marker, stamp)?;
    Ok(true)
}

/// Writes the session file for a set in `format` and returns its path.
fn write_session(set: &StemSet, dir: &Path, format: Format) -> BoxResult<PathBuf> {
    let mut toml = format!("version = 1\nname = \"{} {}\"\n", set.name, format.name());
    for stem in set.stem_list(format) {
        write!(
            toml,
            "\n[[channel]]\nname = \"{}\"\nfile = \"{}\"\ngain_db = {:.1}\npan = 0.0\n",
            stem.name, stem.file, stem.gain_db
        )?;
    }
    for k in 0..SECTIONS {
        let start = f64::from(set.seconds) * f64::from(k) / f64::from(SECTIONS);
        write!(
            toml,
            "\n[[section]]\nname = \"Part {}\"\nstart = {start:.3}\n",
            k + 1
        )?;
    }
    if format == Format::Wav24 {
        // Reference Deconstruction's measuring needs a reference mix: any stereo file of the
        // song's length does for timing (the first stem is stereo in every set).
        let reference = &set.stem_list(format)[0].file;
        write!(toml, "\n[reference]\nfile = \"{reference}\"\n")?;
    }
    let path = dir.join(format!("session-{}.toml", format.tag()));
    fs::write(&path, toml)?;
    Ok(path)
}

/// Reads every stem once so the timed runs all start with a warm page cache.
fn warm_cache(set: &StemSet, dir: &Path, format: Format) -> BoxResult<()> {
    for stem in set.stem_list(format) {
        io::copy(&mut File::open(dir.join(&stem.file))?, &mut io::sink())?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The three mixers, and earmix's report

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    /// `earmix bounce`.
    Earmix,
    /// `earmix report`: the same render, measured instead of written (timed on the 24-bit WAV
    /// sets, against the bounce).
    Report,
    /// The Blindfold Balance Test's measuring: every channel's level over the whole song.
    Blindfold,
    /// Reference Deconstruction's measuring: the mix and the reference, per section.
    Deconstruct,
    Sox,
    Ffmpeg,
}

impl Tool {
    /// The bounce and the two references.
    const ALL: [Tool; 3] = [Tool::Earmix, Tool::Sox, Tool::Ffmpeg];

    fn name(self) -> &'static str {
        match self {
            Tool::Earmix => "earmix",
            Tool::Report => "earmix report",
            Tool::Blindfold => "blindfold measure",
            Tool::Deconstruct => "deconstruct measure",
            Tool::Sox => "sox",
            Tool::Ffmpeg => "ffmpeg",
        }
    }

    fn is_reference(self) -> bool {
        matches!(self, Tool::Sox | Tool::Ffmpeg)
    }
}

/// A gain as the references parse it: the shortest text that reads back as the same `f32`.
fn gain_text(gain: f32) -> String {
    format!("{gain}")
}

/// `sox -m -v G1 a.wav -v G2 b.wav ... -e floating-point -b 32 out.wav`. sox's mix puts a mono
/// input into the first output channel only, so each mono stem comes through a pipe that copies
/// it to both channels (`"|sox m.wav -p remix 1 1"`); its `-v` carries the -3 dB centre pan.
fn sox_args(set: &StemSet, dir: &Path, format: Format, out: &Path) -> Vec<String> {
    let mut args = vec!["-m".to_string()];
    for stem in set.stem_list(format) {
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
fn ffmpeg_args(set: &StemSet, dir: &Path, format: Format, out: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["-nostdin", "-y", "-v", "error"]
        .into_iter()
        .map(String::from)
        .collect();
    let stems = set.stem_list(format);
    let mut graph = String::new();
    for (i, stem) in stems.iter().enumerate() {
        args.push("-i".into());
        args.push(dir.join(&stem.file).display().to_string());
        let g = gain_text(stem_gain(stem));
        // `write!` to a String cannot fail.
        let _ = if stem.channels == 1 {
            // In float: on 16-bit input, pan would work (and round) in 16 bits.
            write!(
                graph,
                "[{i}:a]aformat=sample_fmts=flt,pan=stereo|c0={g}*c0|c1={g}*c0[a{i}];"
            )
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

/// Runs `program`, saying nothing unless it fails (flac warns that a plain 24-bit WAV header
/// is "legacy").
fn run_quietly(program: &str, args: &[String]) -> BoxResult<()> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {program} (`just bench` installs it): {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(format!("{program} failed ({}):\n{stderr}", output.status).into())
    }
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

/// What a timed run works on.
struct Job<'a> {
    set: &'a StemSet,
    format: Format,
    dir: &'a Path,
    session: &'a Path,
}

/// Mixes a set once with `tool`, writing `out` (`report` measures instead), and times it.
fn run_tool(tool: Tool, job: &Job, out: &Path, tick: f64) -> BoxResult<Run> {
    let (set, format, dir) = (job.set, job.format, job.dir);
    let before = CpuCounters::read();
    let start = Instant::now();
    match tool {
        Tool::Earmix => {
            let session = earmix::session::load(job.session)?;
            render::bounce(&session, out, &BounceOptions::default(), &mut |_, _| {})?;
        }
        Tool::Report => {
            let session = earmix::session::load(job.session)?;
            let report = earmix::analysis::report::measure(&session, &mut |_, _| {})?;
            std::hint::black_box(report);
        }
        Tool::Blindfold => {
            let session = earmix::session::load(job.session)?;
            let levels =
                earmix::analysis::levels::measure_span(&session, 0, session.length_frames)?;
            std::hint::black_box(levels);
        }
        Tool::Deconstruct => {
            let session = earmix::session::load(job.session)?;
            let comparison = earmix::exercise::deconstruct::compare(&session)?;
            std::hint::black_box(comparison);
        }
        Tool::Sox => run_external("sox", &sox_args(set, dir, format, out))?,
        Tool::Ffmpeg => run_external("ffmpeg", &ffmpeg_args(set, dir, format, out))?,
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
// The machine's floor

/// Where the samples of a plain PCM WAV file lie, and how they are stored.
struct WavData {
    offset: u64,
    len: u64,
    channels: usize,
    /// 2 or 3 bytes of integer, or 4 of float.
    bytes: usize,
}

/// Finds the `fmt ` and `data` chunks of a WAV file the bench made.
fn wav_data(path: &Path) -> BoxResult<WavData> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = File::open(path)?;
    let mut head = [0u8; 12];
    file.read_exact(&mut head)?;
    let (mut channels, mut bytes) = (0, 0);
    let mut at = 12u64;
    loop {
        let mut chunk = [0u8; 8];
        file.seek(SeekFrom::Start(at))?;
        file.read_exact(&mut chunk)?;
        let len = u64::from(u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]));
        match &chunk[..4] {
            b"fmt " => {
                let mut fmt = [0u8; 16];
                file.read_exact(&mut fmt)?;
                channels = usize::from(u16::from_le_bytes([fmt[2], fmt[3]]));
                bytes = usize::from(u16::from_le_bytes([fmt[14], fmt[15]])) / 8;
            }
            b"data" => {
                return Ok(WavData {
                    offset: at + 8,
                    len,
                    channels,
                    bytes,
                });
            }
            _ => {}
        }
        at += 8 + len + (len & 1);
    }
}

/// Adds `gain` times the samples of `raw` (interleaved, `data`'s format) into the stereo mix
/// `mix` (interleaved), a mono stem to both sides. One plain loop per layout, so that each
/// vectorises.
fn add_raw(raw: &[u8], data: &WavData, gain: f32, mix: &mut [f32]) {
    fn add<const BYTES: usize, const CHANNELS: usize>(
        raw: &[u8],
        mix: &mut [f32],
        gain: f32,
        sample: impl Fn(&[u8]) -> f32,
    ) {
        for (frame, out) in raw
            .chunks_exact(BYTES * CHANNELS)
            .zip(mix.chunks_exact_mut(2))
        {
            let left = sample(&frame[..BYTES]);
            let right = sample(&frame[(CHANNELS - 1) * BYTES..CHANNELS * BYTES]);
            out[0] += gain * left;
            out[1] += gain * right;
        }
    }
    let i16 = |b: &[u8]| f32::from(i16::from_le_bytes([b[0], b[1]])) * (1.0 / 32_768.0);
    let i24 =
        |b: &[u8]| (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 * (1.0 / 8_388_608.0);
    let f32 = |b: &[u8]| f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    match (data.bytes, data.channels) {
        (2, 1) => add::<2, 1>(raw, mix, gain, i16),
        (2, _) => add::<2, 2>(raw, mix, gain, i16),
        (3, 1) => add::<3, 1>(raw, mix, gain, i24),
        (3, _) => add::<3, 2>(raw, mix, gain, i24),
        (_, 1) => add::<4, 1>(raw, mix, gain, f32),
        _ => add::<4, 2>(raw, mix, gain, f32),
    }
}

/// Frames of the song a floor thread takes at a time.
const FLOOR_PIECE: usize = 8_192;

/// The least any mixer must do with a WAV set, timed: the song cut into pieces of
/// [`FLOOR_PIECE`] frames, which the machine's cores take in turn; for each piece, every
/// stem's bytes read from the page cache (`pread`), converted to float and summed with its
/// gain into the piece's stereo mix by a plain loop. Nothing is written. Best of `RUNS`.
fn floor(job: &Job) -> BoxResult<f64> {
    use std::os::unix::fs::FileExt;
    let stems: Vec<(File, WavData, f32)> = job
        .set
        .stem_list(job.format)
        .iter()
        .map(|stem| {
            let path = job.dir.join(&stem.file);
            let data = wav_data(&path)?;
            if data.len < job.set.frames() * (data.channels * data.bytes) as u64 {
                return Err(format!("{}: shorter than the song", path.display()).into());
            }
            Ok((File::open(&path)?, data, stem_gain(stem)))
        })
        .collect::<BoxResult<_>>()?;
    let frames = job.set.frames() as usize;
    let pieces = frames.div_ceil(FLOOR_PIECE);
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let mut best = f64::INFINITY;
    for _ in 0..RUNS {
        let next = AtomicUsize::new(0);
        let start = Instant::now();
        std::thread::scope(|scope| -> BoxResult<()> {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| -> BoxResult<f32> {
                        let mut mix = vec![0.0f32; 2 * FLOOR_PIECE];
                        let mut raw = vec![0u8; 4 * 2 * FLOOR_PIECE];
                        let mut heard = 0.0f32;
                        loop {
                            let piece = next.fetch_add(1, Ordering::Relaxed);
                            if piece >= pieces {
                                return Ok(heard);
                            }
                            let first = piece * FLOOR_PIECE;
                            let n = FLOOR_PIECE.min(frames - first);
                            mix[..2 * n].fill(0.0);
                            for (file, data, gain) in &stems {
                                let frame_bytes = data.channels * data.bytes;
                                let bytes = &mut raw[..n * frame_bytes];
                                let at = data.offset + (first * frame_bytes) as u64;
                                file.read_exact_at(bytes, at)?;
                                add_raw(bytes, data, *gain, &mut mix[..2 * n]);
                            }
                            heard = heard.max(mix[..2 * n].iter().fold(0.0, |m, x| m.max(x.abs())));
                        }
                    })
                })
                .collect();
            for handle in handles {
                std::hint::black_box(handle.join().map_err(|_| "a floor thread panicked")??);
            }
            Ok(())
        })?;
        best = best.min(start.elapsed().as_secs_f64());
    }
    Ok(best)
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
    /// The song's length, seconds.
    seconds: u32,
    format: Format,
    /// Stem-seconds in the set.
    stream_seconds: f64,
    /// The tools timed, earmix first.
    tools: &'static [Tool],
    /// Every run, per tool in `tools` order.
    runs: Vec<Vec<Run>>,
    /// Largest difference of each reference (in `tools` order) from earmix.
    diffs: Vec<(Tool, f32)>,
    /// earmix's largest absolute sample.
    peak: f32,
    /// The machine's floor for a WAV set, seconds ([`floor`]).
    floor: Option<f64>,
}

impl SetResult {
    fn median_wall(&self, tool: usize) -> f64 {
        median(self.runs[tool].iter().map(|r| r.wall))
    }

    fn median_cpu(&self, tool: usize) -> Option<f64> {
        let cpu: Option<Vec<f64>> = self.runs[tool].iter().map(|r| r.cpu).collect();
        cpu.map(|c| median(c.into_iter()))
    }

    fn wall_of(&self, tool: Tool) -> Option<f64> {
        let i = self.tools.iter().position(|&t| t == tool)?;
        Some(self.median_wall(i))
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

fn bench_set(
    set: &'static StemSet,
    format: Format,
    dir: &Path,
    machine: &Machine,
) -> BoxResult<SetResult> {
    let session = write_session(set, dir, format)?;
    println!(
        "\n{} {}: {} ({})",
        set.name,
        format.name(),
        set.shape(),
        session.display()
    );
    warm_cache(set, dir, format)?;
    let job = Job {
        set,
        format,
        dir,
        session: &session,
    };
    let out_dir = dir.join("out");
    fs::create_dir_all(&out_dir)?;
    let tools = format.tools();
    let outs: Vec<PathBuf> = tools
        .iter()
        .map(|t| {
            out_dir.join(format!(
                "{}-{}.wav",
                t.name().replace(' ', "-"),
                format.tag()
            ))
        })
        .collect();
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); tools.len()];
    for round in 1..=RUNS {
        for (i, &tool) in tools.iter().enumerate() {
            // Start every run with no dirty pages (e.g. the previous tool's output) waiting to
            // be written back, so earmix's fsync flushes only its own file.
            sync()?;
            let run = run_tool(tool, &job, &outs[i], machine.tick)?;
            let cpu = run
                .cpu
                .map_or_else(String::new, |c| format!(", CPU {c:5.2} s"));
            println!(
                "  run {round}/{RUNS}  {:<14} {:6.2} s{cpu}",
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
    let mut diffs = Vec::new();
    for (i, &tool) in tools.iter().enumerate() {
        if tool.is_reference() {
            diffs.push((tool, max_diff(&earmix, &read_output(&outs[i])?)));
        }
    }
    let floor = if format.is_wav() {
        Some(floor(&job)?)
    } else {
        None
    };
    Ok(SetResult {
        set: set.name,
        seconds: set.seconds,
        format,
        stream_seconds: set.stream_seconds(),
        tools,
        runs,
        diffs,
        peak,
        floor,
    })
}

/// Prints the comparison; returns false when a reference's output differs from earmix's.
fn report(machine: &Machine, results: &[SetResult]) -> bool {
    println!("\n{machine}");
    println!(
        "Wall clock, median of {RUNS} runs, warm page cache, 32-bit float output. CPU = CPU time \
         of all the tool's threads and processes (median); cores = CPU / wall, of {}. stream-s/s \
         = stem-seconds mixed per second of wall clock.",
        machine.cores
    );
    println!(
        "Mono stems: earmix and ffmpeg read them as they are; sox gets each through a pipe \
         (`|sox m.wav -p remix 1 1`), since `sox -m` puts a mono input in the left channel \
         only.\n"
    );
    println!("| set | format | tool | wall | vs earmix | CPU | cores | stream-s/s | runs (s) |");
    println!("|---|---|---|---:|---|---:|---:|---:|---|");
    for r in results {
        let earmix = r.median_wall(0);
        for (i, tool) in r.tools.iter().enumerate() {
            let wall = r.median_wall(i);
            let ratio = match tool {
                Tool::Earmix => "-".to_string(),
                Tool::Report | Tool::Blindfold | Tool::Deconstruct => {
                    format!("= {:.2}x the bounce", wall / earmix)
                }
                _ => format!("= {:.1}x earmix", wall / earmix),
            };
            let (cpu, cores) = r.median_cpu(i).map_or_else(
                || ("n/a".to_string(), "n/a".to_string()),
                |c| (format!("{c:.2} s"), format!("{:.2}", c / wall)),
            );
            let runs: Vec<String> = r.runs[i].iter().map(|t| format!("{:.2}", t.wall)).collect();
            println!(
                "| {} | {} | {} | {wall:.2} s | {ratio} | {cpu} | {cores} | {:.0} | {} |",
                r.set,
                r.format.name(),
                tool.name(),
                r.stream_seconds / wall,
                runs.join(" ")
            );
        }
    }
    println!();
    let mut all_same = true;
    for r in results {
        all_same &= summarise(machine, r);
    }
    all_same
}

/// Prints one set's verdicts; returns whether the references wrote the same mix as earmix.
fn summarise(machine: &Machine, r: &SetResult) -> bool {
    let name = format!("{} {}", r.set, r.format.name());
    let earmix = r.median_wall(0);
    let best = r
        .tools
        .iter()
        .filter(|t| t.is_reference())
        .filter_map(|&t| r.wall_of(t).map(|w| (t, w)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((best, best_time)) = best {
        let speedup = best_time / earmix;
        let target = r.format.target();
        let verdict = if speedup >= target { "met" } else { "NOT met" };
        println!(
            "{name}: earmix is {speedup:.2}x faster than the faster reference ({}): the \
             {target}x target is {verdict}.",
            best.name()
        );
    }
    if let Some(report) = r.wall_of(Tool::Report) {
        let ratio = report / earmix;
        let verdict = if ratio <= 1.5 { "met" } else { "NOT met" };
        println!(
            "{name}: earmix report takes {ratio:.2}x the bounce's time: the 1.5x target is \
             {verdict}."
        );
    }
    for tool in [Tool::Blindfold, Tool::Deconstruct] {
        if let Some(wall) = r.wall_of(tool) {
            let per_3_min = wall * 180.0 / f64::from(r.seconds);
            let verdict = if per_3_min <= 1.0 { "met" } else { "NOT met" };
            println!(
                "{name}: the {} takes {wall:.2} s, {per_3_min:.2} s per 3 minutes of song: \
                 the target of a second is {verdict}.",
                tool.name()
            );
        }
    }
    if let Some(floor) = r.floor {
        println!(
            "{name}: the machine's floor (page-cache read, conversion and sum on {} cores) is \
             {floor:.3} s, {:.0} stream-s/s: earmix's bounce reaches {:.0}% of it.",
            machine.cores,
            r.stream_seconds / floor,
            100.0 * floor / earmix
        );
    }
    let limit = r.format.max_diff();
    let same = |d: f32| if d <= limit { "same" } else { "DIFFERENT" };
    let diffs: Vec<String> = r
        .diffs
        .iter()
        .map(|(t, d)| format!("max |earmix - {}| = {d:.1e} ({})", t.name(), same(*d)))
        .collect();
    println!(
        "{name}: {}; earmix peak {:.3} ({:.1} dBFS).",
        diffs.join(", "),
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
            "{name}: background CPU load during the timed runs {:.0}% of the machine{note}.",
            load * 100.0
        );
    }
    r.diffs.iter().all(|&(_, d)| d <= limit)
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
    let path = write_session(set, dir, Format::Wav24)?;
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
    warm_cache(set, dir, Format::Wav24)?;
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only_rides = args.iter().any(|a| a == "rides");
    let asked: Vec<Format> = Format::ALL
        .into_iter()
        .filter(|f| args.iter().any(|a| a == f.tag()))
        .collect();
    let formats = if asked.is_empty() {
        Format::ALL.to_vec()
    } else {
        asked.clone()
    };
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
    for set in &SETS {
        generate_announced(set, &root.join(set.name))?;
        for &format in &formats {
            convert_announced(set, &root.join(set.name), format)?;
        }
    }
    for &format in &formats {
        for set in &SETS {
            results.push(bench_set(set, format, &root.join(set.name), &machine)?);
        }
    }
    let same = report(&machine, &results);
    if asked.is_empty() {
        generate_announced(&RIDES_SET, &root.join(RIDES_SET.name))?;
        bench_rides(&root.join(RIDES_SET.name), machine.tick)?;
    }
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

/// Makes a set's stems in `format` (unless kept from an earlier run) and says so.
fn convert_announced(set: &StemSet, dir: &Path, format: Format) -> BoxResult<()> {
    let start = Instant::now();
    if convert(set, dir, format)? {
        println!(
            "made {} {} from its WAV stems in {:.1} s (not part of the comparison)",
            set.name,
            format.name(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!(
                "FAILED: earmix's output differs from a reference by more than the format allows; \
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
