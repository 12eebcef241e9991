//! `cargo bench --bench realtime` (run by `just bench` after the bounce bench): how many stems
//! earmix streams from disk and mixes in real time at 48 kHz with a 128-frame buffer (2.667 ms),
//! what they hold in memory, and how long the console takes to open a large session.
//!
//! For 16, 64, 128 and 256 stereo stems with 12 sections, each run plays the session for 60 s
//! on the null output (a thread standing in for a device, paced at 1.0x), on a JACK dummy
//! server through cpal's native JACK host (when `jackd`, package jackd2, is installed) and on
//! the null sink of a headless PipeWire through cpal's native PipeWire host
//! (when pipewire, wireplumber and dbus are installed; the bench starts its own, as
//! `../shared/testing.md` §2b does, with the graph at 128 frames). It reports the audio thread's
//! scheduling, the callback time (p50, p99, max, as a share of the period), underruns, xruns,
//! the process's CPU time and its peak resident memory, then a verdict against the targets: 128
//! stems with no underrun and no xrun, and a callback p99 under half the period.
//!
//! earmix raises its audio thread to real-time priority itself (`SCHED_FIFO` 70 where allowed);
//! the bench runs jackd real-time, as a studio machine would, and gives the audio thread `chrt
//! -f -p 50` only when it did not get it; `EARMIX_BENCH_RT=0` does neither.
//!
//! Then it times the console (the release `earmix` binary in a pseudo-terminal) opening a
//! 200-stem, 5-minute, 12-section session to its first whole screen, three times
//! (`EARMIX_BENCH_OPEN=0` skips it).
//!
//! The engine is put together here the way `Engine::open` does it (a creek stream per stem,
//! opened as the stream plan for the default memory budget says, meters, the loudness thread,
//! the UI-side rings drained every 20 ms), except that the renderer is wrapped in [`Timed`],
//! which times every callback into a preallocated histogram.
//!
//! Every (output, stem count) pair runs in a child process of its own (this binary, run again
//! with `EARMIX_REALTIME_CHILD` set), so CPU time and memory are that run's alone, and the
//! output's configuration (the JACK server's name, the PipeWire server's socket) is in the environment
//! before the libraries load.
//!
//! Stems: 16 distinct 60 s stereo 24-bit files (deterministic, music-like); channel k plays file
//! k % 16 through its own creek stream and I/O thread, and the page cache serves the repeats.
//! Set `EARMIX_BENCH_DIR` to keep them between runs, `EARMIX_BENCH_SECONDS` to change the
//! length of the runs (the reference numbers come from 60 s runs; the 5-minute runs in the
//! README set 300), `EARMIX_BENCH_STEMS` (e.g. `16,128`) to run only some stem counts and
//! `EARMIX_BENCH_OUTPUTS` (e.g. `jack,pipewire`) only some outputs.

use std::collections::HashMap;
use std::error::Error;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use earmix::engine::loudness::LoudnessMeter;
use earmix::engine::meter::{MeterBank, MeterCell};
use earmix::engine::output::{
    Backend, CpalBackend, NullBackend, Output, OutputKind, OutputRequest, Render,
};
use earmix::engine::protocol::{
    EngineCounters, EngineRings, EngineToUi, LoopRegion, UiToEngine, rings,
};
use earmix::engine::realtime::RealtimeProcessor;
use earmix::engine::stem_io::{STEM_IO_THREAD, open_for_playback};
use earmix::engine::stream_plan::{DEFAULT_BUDGET_MIB, MIB, StreamPlan};
use rtrb::{Consumer, Producer};
use serde::{Deserialize, Serialize};

#[path = "realtime/open_time.rs"]
mod open_time;
#[path = "common/procfs.rs"]
mod procfs;
#[path = "common/servers.rs"]
mod servers;
#[path = "common/stems.rs"]
mod stems;
use procfs::{clock_ticks_per_second, cpu_model};
use servers::{Jack as JackServer, PipeWire as PipeWireServer};
use stems::{SAMPLE_RATE, write_stem};

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Frames per device period.
const BUFFER_FRAMES: u32 = 128;
/// The stem counts run, in order.
const STEM_COUNTS: [usize; 4] = [16, 64, 128, 256];
/// Distinct stem files; channel k plays file k % `DISTINCT_STEMS`.
const DISTINCT_STEMS: usize = 16;
const STEM_SECONDS: u32 = 60;
/// How long each run plays unless `EARMIX_BENCH_SECONDS` says otherwise.
const DEFAULT_RUN_SECONDS: f64 = 60.0;
/// The target: this many stems ...
const TARGET_STEMS: usize = 128;
/// ... with a callback p99 under this share of the period (and no underrun or xrun).
const TARGET_P99: f64 = 0.5;
/// How often the UI side drains the rings and reads the meters (as the console does per frame).
const DRAIN_INTERVAL: Duration = Duration::from_millis(20);
/// How often the resident memory is sampled during a run.
const RSS_INTERVAL: Duration = Duration::from_millis(500);
/// Histogram resolution: buckets of 100 ns up to 20 ms; longer calls share the last bucket (the
/// maximum is kept exactly).
const BUCKET_NS: u64 = 100;
const BUCKETS: usize = 200_000;
/// Bumped whenever the generated stems change, so kept stems are regenerated.
const STEMS_VERSION: u32 = 1;

/// Tells a child process which run it is: `<output>:<session file>`.
const CHILD_ENV: &str = "EARMIX_REALTIME_CHILD";
/// The line before a child's result (TOML) on its standard output.
const RESULT_MARKER: &str = "--- earmix realtime result ---";

fn period_ns() -> u64 {
    u64::from(BUFFER_FRAMES) * 1_000_000_000 / u64::from(SAMPLE_RATE)
}

fn period_ms() -> f64 {
    f64::from(BUFFER_FRAMES) * 1000.0 / f64::from(SAMPLE_RATE)
}

// ---------------------------------------------------------------------------------------------
// Stem generation (the generator of the bounce bench, stereo only)

fn stem_file(index: usize) -> String {
    format!("stems/s{:02}.wav", index + 1)
}

/// Generates the distinct stems, `seconds` long, into `dir/stems/` on every core, unless a
/// previous run left them complete. Returns whether anything was generated.
fn generate(dir: &Path, seconds: u32) -> BoxResult<bool> {
    let marker = dir.join(".complete");
    let stamp = format!(
        "earmix realtime bench stems v{STEMS_VERSION}: {DISTINCT_STEMS} stereo x {seconds} \
         s, 24-bit, {SAMPLE_RATE} Hz\n"
    );
    if fs::read_to_string(&marker).is_ok_and(|s| s == stamp) {
        return Ok(false);
    }
    let _ = fs::remove_file(&marker);
    fs::create_dir_all(dir.join("stems"))?;
    let frames = u64::from(seconds) * u64::from(SAMPLE_RATE);
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    std::thread::scope(|scope| -> BoxResult<()> {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> io::Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= DISTINCT_STEMS {
                            return Ok(());
                        }
                        let seed = (0x5EA1u64 << 32) | (i as u64 + 1);
                        write_stem(&dir.join(stem_file(i)), 2, frames, seed)?;
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

/// Sections in every session, one every `STEM_SECONDS / SECTIONS` seconds from 0:00.
const SECTIONS: u32 = 12;

/// Writes the session for `stems` channels (channel k plays stem file k % 16, with its own
/// fader and pan) with [`SECTIONS`] sections spread over the stems' length, and returns its
/// path. Every stem keeps each section start loaded as far as the stream plan allows.
fn write_session(dir: &Path, stems: usize) -> BoxResult<PathBuf> {
    let mut toml =
        format!("version = 1\nname = \"realtime {stems}\"\nsample_rate = {SAMPLE_RATE}\n");
    for k in 0..stems {
        // -3 .. -12 dB in half-dB steps and pans from -0.8 to +0.8, spread over the channels.
        let gain_db = -3.0 - ((k * 7) % 19) as f64 * 0.5;
        let pan = ((k * 5) % 9) as f64 * 0.2 - 0.8;
        write!(
            toml,
            "\n[[channel]]\nname = \"c{:03}\"\nfile = \"{}\"\ngain_db = {gain_db:.1}\n\
             pan = {pan:.1}\n",
            k + 1,
            stem_file(k % DISTINCT_STEMS)
        )?;
    }
    for s in 0..SECTIONS {
        let at = s * STEM_SECONDS / SECTIONS;
        write!(
            toml,
            "\n[[section]]\nname = \"S{}\"\nstart = \"{}:{:02}\"\n",
            s + 1,
            at / 60,
            at % 60
        )?;
    }
    let path = dir.join(format!("session-{stems:03}.toml"));
    fs::write(&path, toml)?;
    Ok(path)
}

/// Reads every stem once so all runs stream from a warm page cache.
fn warm_cache(dir: &Path) -> BoxResult<()> {
    for i in 0..DISTINCT_STEMS {
        io::copy(&mut File::open(dir.join(stem_file(i)))?, &mut io::sink())?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The timed renderer (audio thread)

/// Callback statistics, written by the audio thread with relaxed atomics only and read by the
/// main thread after the run.
struct CallbackStats {
    /// Callback durations in `BUCKET_NS` steps; the last bucket takes everything longer.
    buckets: Arc<[AtomicU64]>,
    callbacks: AtomicU64,
    frames: AtomicU64,
    total_ns: AtomicU64,
    max_ns: AtomicU64,
    /// Callbacks that took longer than a period.
    over_period: AtomicU64,
    /// Callbacks that started more than a period behind the schedule set by the first one.
    late: AtomicU64,
    max_late_ns: AtomicU64,
    period_ns: u64,
    /// The id of the thread that made the latest call (0 until the first): the audio thread.
    audio_tid: AtomicU64,
}

impl CallbackStats {
    /// Not realtime-safe (allocates and touches the whole histogram).
    fn new() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            callbacks: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            total_ns: AtomicU64::new(0),
            max_ns: AtomicU64::new(0),
            over_period: AtomicU64::new(0),
            late: AtomicU64::new(0),
            max_late_ns: AtomicU64::new(0),
            period_ns: period_ns(),
            audio_tid: AtomicU64::new(0),
        }
    }

    /// Realtime-safe: relaxed atomic adds only.
    fn record(&self, took_ns: u64, late_ns: u64, frames: u64) {
        let bucket = ((took_ns / BUCKET_NS) as usize).min(BUCKETS - 1);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.callbacks.fetch_add(1, Ordering::Relaxed);
        self.frames.fetch_add(frames, Ordering::Relaxed);
        self.total_ns.fetch_add(took_ns, Ordering::Relaxed);
        self.max_ns.fetch_max(took_ns, Ordering::Relaxed);
        self.max_late_ns.fetch_max(late_ns, Ordering::Relaxed);
        if took_ns > self.period_ns {
            self.over_period.fetch_add(1, Ordering::Relaxed);
        }
        if late_ns > self.period_ns {
            self.late.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The duration under which a share `q` of the callbacks finished (the upper edge of its
    /// bucket, never above the maximum). Not realtime-safe.
    fn percentile_ns(&self, q: f64) -> u64 {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        let max = self.max_ns.load(Ordering::Relaxed);
        let wanted = ((q * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, count) in counts.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return if i == BUCKETS - 1 {
                    max
                } else {
                    ((i as u64 + 1) * BUCKET_NS).min(max)
                };
            }
        }
        max
    }
}

/// The engine's renderer with a stopwatch: times every `render` call with [`Instant`] and
/// records it, and how far behind schedule the call started, into [`CallbackStats`].
///
/// Realtime-safe: two clock reads and a few atomic adds per call, nothing allocated.
struct Timed {
    inner: RealtimeProcessor,
    stats: Arc<CallbackStats>,
    /// When the first call started: call n is due `frames before it / rate` later.
    first: Option<Instant>,
    frames: u64,
}

thread_local! {
    /// The calling thread's id, once [`Timed::render`] has asked for it (0 before).
    static CALLER_TID: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

impl Render for Timed {
    fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        let start = Instant::now();
        // Which thread calls, so the bench can find the audio thread (a host may make the first
        // calls on another thread than the rest): one system call per thread, nothing
        // allocated.
        let tid = CALLER_TID.with(|t| {
            if t.get() == 0 {
                t.set(nix::unistd::gettid().as_raw() as u32);
            }
            t.get()
        });
        self.stats
            .audio_tid
            .store(u64::from(tid), Ordering::Relaxed);
        self.inner.render(left, right);
        let took = start.elapsed();
        let first = *self.first.get_or_insert(start);
        let due =
            first + Duration::from_nanos(self.frames * 1_000_000_000 / u64::from(SAMPLE_RATE));
        let late = start.saturating_duration_since(due);
        let frames = left.len() as u64;
        self.frames += frames;
        self.stats
            .record(took.as_nanos() as u64, late.as_nanos() as u64, frames);
    }
}

// ---------------------------------------------------------------------------------------------
// /proc readings (Linux)

/// Seconds per /proc clock tick.
fn tick_seconds() -> f64 {
    1.0 / clock_ticks_per_second()
}

/// The command name and utime + stime (ticks) from a `/proc/.../stat` line.
fn parse_stat(stat: &str) -> Option<(String, u64)> {
    let (head, rest) = stat.rsplit_once(')')?;
    let (_, comm) = head.split_once('(')?;
    // After the command name, field 3 (`state`) comes first; utime and stime are fields 14, 15.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((comm.to_string(), utime + stime))
}

/// This process's CPU time (all threads), in ticks.
fn process_ticks() -> BoxResult<u64> {
    let stat = fs::read_to_string("/proc/self/stat")?;
    Ok(parse_stat(&stat).ok_or("cannot parse /proc/self/stat")?.1)
}

/// The whole machine's busy time (user, nice, system, irq, softirq, steal), in ticks.
fn machine_ticks() -> BoxResult<u64> {
    let all = fs::read_to_string("/proc/stat")?;
    let cpu: Vec<u64> = all
        .lines()
        .next()
        .ok_or("empty /proc/stat")?
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    Ok([0, 1, 2, 5, 6, 7].iter().filter_map(|&i| cpu.get(i)).sum())
}

/// Every thread of this process: id -> (command name, CPU ticks).
fn thread_ticks() -> BoxResult<HashMap<u32, (String, u64)>> {
    let mut threads = HashMap::new();
    for entry in fs::read_dir("/proc/self/task")? {
        let entry = entry?;
        let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        // A thread may exit between the listing and the read.
        if let Some(parsed) = fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|s| parse_stat(&s))
        {
            threads.insert(tid, parsed);
        }
    }
    Ok(threads)
}

/// A value in kB from /proc/self/status (`VmRSS`, `VmHWM`).
fn status_kb(key: &str) -> BoxResult<u64> {
    let status = fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .ok_or_else(|| format!("no {key} in /proc/self/status"))?;
    Ok(line.trim().trim_end_matches("kB").trim().parse()?)
}

// ---------------------------------------------------------------------------------------------
// One run (in a child process)

/// Which output a run plays on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Device {
    /// `NullBackend`: a thread paced at 1.0x.
    Null,
    /// `CpalBackend` on cpal's native JACK host, connected to a dummy `jackd` the bench starts
    /// (its own timer paces it).
    Jack,
    /// `CpalBackend` on cpal's native PipeWire host, whose default sink is the null sink of a
    /// headless PipeWire the bench starts (its own timer paces it).
    PipeWire,
}

impl Device {
    const ALL: [Device; 3] = [Device::Null, Device::Jack, Device::PipeWire];

    fn name(self) -> &'static str {
        match self {
            Device::Null => "null",
            Device::Jack => "jack",
            Device::PipeWire => "pipewire",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        match name {
            "null" => Some(Device::Null),
            "jack" => Some(Device::Jack),
            "pipewire" => Some(Device::PipeWire),
            _ => None,
        }
    }

    fn backend(self) -> Box<dyn Backend> {
        let request = OutputRequest {
            kind: match self {
                Device::Null => OutputKind::Null,
                Device::Jack | Device::PipeWire => OutputKind::Device,
            },
            host: match self {
                Device::Null => None,
                Device::Jack => Some("jack".to_string()),
                Device::PipeWire => Some("pipewire".to_string()),
            },
            buffer_frames: BUFFER_FRAMES,
            rate: Some(SAMPLE_RATE),
            ..OutputRequest::default()
        };
        match self {
            Device::Null => Box::new(NullBackend::new(&request)),
            Device::Jack | Device::PipeWire => Box::new(CpalBackend::new(&request)),
        }
    }
}

/// What one run measured; a child prints it as TOML for the parent.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Measurement {
    stems: usize,
    /// The output as negotiated.
    device: String,
    wall_s: f64,
    callbacks: u64,
    frames: u64,
    p50_ns: u64,
    p99_ns: u64,
    max_ns: u64,
    /// Sum of all callback durations.
    callback_s: f64,
    over_period: u64,
    late: u64,
    max_late_ns: u64,
    underruns: u64,
    stream_failures: u64,
    dropped_events: u64,
    dropped_master: u64,
    loop_wraps: u64,
    xruns: u64,
    device_lost: u64,
    restarts: u32,
    output_state: String,
    /// CPU seconds of the whole process over the run.
    cpu_s: f64,
    /// ... of the device's audio thread (the thread that made the latest callbacks).
    audio_cpu_s: f64,
    /// ... of the threads named like the process, other than the main one: creek's I/O threads
    /// (libjack's threads take the name of the supervisor thread that opens the device).
    io_cpu_s: f64,
    io_threads: usize,
    /// CPU seconds the rest of the machine used meanwhile (jackd included).
    others_cpu_s: f64,
    rss_before_kb: u64,
    rss_peak_kb: u64,
    /// The audio thread's scheduling during the run ("FIFO 50", "normal").
    audio_priority: String,
}

impl Measurement {
    fn pct_of_period(ns: u64) -> f64 {
        ns as f64 / period_ns() as f64 * 100.0
    }

    fn cpu_pct(&self, seconds: f64) -> f64 {
        seconds / self.wall_s * 100.0
    }

    fn rss_per_stem_mib(&self) -> f64 {
        self.rss_peak_kb.saturating_sub(self.rss_before_kb) as f64 / 1024.0 / self.stems as f64
    }

    /// The share of the machine other processes used during the run.
    fn background_load(&self, cores: usize) -> f64 {
        self.others_cpu_s / (self.wall_s * cores as f64)
    }

    fn p99_fraction(&self) -> f64 {
        self.p99_ns as f64 / period_ns() as f64
    }

    /// What keeps this run from meeting the targets (empty when it meets them).
    fn shortfalls(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.underruns > 0 {
            out.push(format!("{} underruns", self.underruns));
        }
        if self.xruns > 0 {
            out.push(format!("{} xruns", self.xruns));
        }
        if self.p99_fraction() >= TARGET_P99 {
            out.push(format!(
                "p99 {:.1}% of the period",
                self.p99_fraction() * 100.0
            ));
        }
        if self.stream_failures > 0 {
            out.push(format!("{} stream failures", self.stream_failures));
        }
        if self.device_lost > 0 || self.restarts > 0 || self.output_state != "running" {
            out.push(format!(
                "output {} ({} losses, {} restarts)",
                self.output_state, self.device_lost, self.restarts
            ));
        }
        out
    }
}

/// The engine as `Engine::open` builds it, with the renderer wrapped in [`Timed`], and the
/// UI thread's ends of everything.
struct Rig {
    timed: Timed,
    stems: usize,
    meters: Arc<MeterBank>,
    counters: Arc<EngineCounters>,
    loudness: LoudnessMeter,
    /// Kept, as the UI keeps it, though the bench sends nothing after the loop region.
    _to_engine: Producer<UiToEngine>,
    from_engine: Consumer<EngineToUi>,
}

impl Rig {
    /// Opens a creek stream per stem at frame 0 (cached there too), as the stream plan for the
    /// default memory budget says, waits for their first data, and loops the whole session, so
    /// a run may be longer than the stems; the wrap lands on the cache.
    fn open(session_path: &Path, stats: &Arc<CallbackStats>) -> BoxResult<Self> {
        let session = earmix::session::load(session_path)?;
        if session.sample_rate != SAMPLE_RATE {
            return Err(format!("the session runs at {} Hz", session.sample_rate).into());
        }
        let end = session.length_frames;
        let plan = StreamPlan::for_session(
            &session,
            SAMPLE_RATE,
            0,
            u64::from(DEFAULT_BUDGET_MIB) * MIB,
            BUFFER_FRAMES,
        );
        let mut processor = open_for_playback(&session, SAMPLE_RATE, 0, &plan)?;
        processor.wait_ready()?;
        let meters = Arc::new(MeterBank::new(processor.strip_count()));
        processor.attach_meters(Arc::clone(&meters));
        let stems = processor.strip_count();
        let (ui, audio) = rings(SAMPLE_RATE);
        let EngineRings {
            mut to_engine,
            from_engine,
            master,
        } = ui;
        to_engine
            .push(UiToEngine::SetLoop(Some(LoopRegion { start: 0, end })))
            .map_err(|_| "the command ring is full")?;
        let counters = Arc::new(EngineCounters::default());
        let realtime = RealtimeProcessor::new(processor, end, true, audio, Arc::clone(&counters));
        let loudness = LoudnessMeter::spawn(SAMPLE_RATE, master)?;
        Ok(Self {
            timed: Timed {
                inner: realtime,
                stats: Arc::clone(stats),
                first: None,
                frames: 0,
            },
            stems,
            meters,
            counters,
            loudness,
            _to_engine: to_engine,
            from_engine,
        })
    }
}

/// CPU ticks between two thread listings: (the audio thread `audio_tid`, creek's I/O threads,
/// how many of those).
fn thread_split(
    before: &HashMap<u32, (String, u64)>,
    after: &HashMap<u32, (String, u64)>,
    audio_tid: u32,
) -> BoxResult<(u64, u64, usize)> {
    let process_comm = fs::read_to_string("/proc/self/comm")?.trim().to_string();
    let main_tid = std::process::id();
    let (mut audio, mut io, mut io_threads) = (0, 0, 0);
    for (tid, (comm, ticks)) in after {
        let used = ticks.saturating_sub(before.get(tid).map_or(0, |t| t.1));
        if *tid == audio_tid {
            audio += used;
        } else if *comm == STEM_IO_THREAD || (*comm == process_comm && *tid != main_tid) {
            io += used;
            io_threads += 1;
        }
    }
    Ok((audio, io, io_threads))
}

/// The real-time priority the bench gives the audio thread (`chrt -f`), below the sound servers'
/// threads (PipeWire's data thread runs at 88, jackd's at 70 here).
const AUDIO_RT_PRIORITY: u32 = 50;

/// How long after the first callback the bench looks for the thread that keeps calling.
const AUDIO_THREAD_SETTLE: Duration = Duration::from_millis(300);

/// Whether the audio thread runs at real-time priority: yes unless `EARMIX_BENCH_RT=0`.
fn rt_wanted() -> bool {
    std::env::var("EARMIX_BENCH_RT").map_or(true, |v| v.trim() != "0")
}

/// A thread's scheduling from /proc/self/task/TID/stat: "FIFO 50", "RR 10", "normal", "batch".
fn thread_policy(tid: u32) -> String {
    let stat = fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // Fields 40 (rt_priority) and 41 (policy), counted from 1; `rest` starts at field 3.
    let priority = fields.get(37).and_then(|f| f.parse::<u32>().ok());
    match (fields.get(38).copied(), priority) {
        (Some("1"), Some(p)) => format!("FIFO {p}"),
        (Some("2"), Some(p)) => format!("RR {p}"),
        (Some("3"), _) => "batch".to_string(),
        (Some("5"), _) => "idle".to_string(),
        (Some(_), _) => "normal".to_string(),
        (None, _) => "unknown".to_string(),
    }
}

/// Waits for the first callback, which names the audio thread, and, when `rt`, gives that
/// thread real-time priority with `chrt -f -p` unless it has it already (cpal's PipeWire host
/// and the output's supervisor ask for it themselves; this stands in where they did not get it).
/// Returns the thread's id and its scheduling.
fn audio_thread(stats: &CallbackStats, rt: bool) -> BoxResult<(u32, String)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while stats.audio_tid.load(Ordering::Relaxed) == 0 {
        if Instant::now() > deadline {
            return Err("no callback within 10 s of starting the output".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // The thread that keeps calling, once the stream has settled.
    std::thread::sleep(AUDIO_THREAD_SETTLE);
    let tid = stats.audio_tid.load(Ordering::Relaxed) as u32;
    let policy = thread_policy(tid);
    if !rt || policy.starts_with("FIFO") || policy.starts_with("RR") {
        return Ok((tid, policy));
    }
    let chrt = Command::new("chrt")
        .args(["-f", "-p", &AUDIO_RT_PRIORITY.to_string(), &tid.to_string()])
        .stdout(Stdio::null())
        .status();
    let now = thread_policy(tid);
    match chrt {
        Ok(s) if s.success() => Ok((tid, now)),
        Ok(s) => Ok((tid, format!("{now} (chrt failed: {s})"))),
        Err(e) => Ok((tid, format!("{now} (no chrt: {e})"))),
    }
}

/// The thread that made the latest callbacks (a host could move them off `promoted`) and its
/// scheduling.
fn last_audio_thread(stats: &CallbackStats, promoted: u32, priority: String) -> (u32, String) {
    let last = stats.audio_tid.load(Ordering::Relaxed) as u32;
    if last == promoted {
        (last, priority)
    } else {
        let now = thread_policy(last);
        (last, format!("{now} (callbacks moved to another thread)"))
    }
}

/// The child's side: plays `session_path` on `device` for `seconds` and prints the measurement.
fn run_child(device: Device, session_path: &Path, seconds: f64) -> BoxResult<()> {
    let tick = tick_seconds();
    let stats = Arc::new(CallbackStats::new());
    // The output first, as `Engine::open` does it (so alsa-lib and libjack are loaded before
    // the "before" reading), then the stems.
    let pending = Output::negotiate(device.backend(), SAMPLE_RATE)?;
    let info = pending.info().clone();
    if info.sample_rate != SAMPLE_RATE || info.host == "null" && device != Device::Null {
        return Err(format!("the output negotiated {info}, not what the bench needs").into());
    }
    let rss_before_kb = status_kb("VmRSS")?;
    let Rig {
        timed,
        stems,
        meters,
        counters,
        loudness,
        _to_engine,
        mut from_engine,
    } = Rig::open(session_path, &stats)?;
    let threads_before = thread_ticks()?;
    let (cpu_before, machine_before) = (process_ticks()?, machine_ticks()?);
    let started = Instant::now();
    let output = pending.start(Box::new(timed))?;
    let (audio_tid, audio_priority) = audio_thread(&stats, rt_wanted())?;

    let window = Duration::from_secs_f64(seconds);
    let mut rss_peak_kb = rss_before_kb;
    let mut next_rss = started;
    let mut loop_wraps = 0;
    while started.elapsed() < window {
        std::thread::sleep(DRAIN_INTERVAL);
        while let Ok(event) = from_engine.pop() {
            if matches!(event, EngineToUi::LoopWrapped { .. }) {
                loop_wraps += 1;
            }
        }
        for i in 0..stems {
            let _ = meters.strip(i).map(MeterCell::take);
        }
        let _ = meters.master().take();
        let _ = loudness.reading();
        let _ = output.poll_events();
        if Instant::now() >= next_rss {
            rss_peak_kb = rss_peak_kb.max(status_kb("VmRSS")?);
            next_rss += RSS_INTERVAL;
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    let (cpu_after, machine_after) = (process_ticks()?, machine_ticks()?);
    let threads_after = thread_ticks()?;
    rss_peak_kb = rss_peak_kb.max(status_kb("VmRSS")?);
    let (last_tid, audio_priority) = last_audio_thread(&stats, audio_tid, audio_priority);
    let health = output.health();
    let p50_ns = stats.percentile_ns(0.50);
    let p99_ns = stats.percentile_ns(0.99);
    // Stops the stream; the renderer and its creek streams are dropped off the audio thread.
    drop(output);
    drop(loudness);

    let (audio_ticks, io_ticks, io_threads) =
        thread_split(&threads_before, &threads_after, last_tid)?;
    let cpu_ticks = cpu_after.saturating_sub(cpu_before);
    let measurement = Measurement {
        stems,
        device: info.to_string(),
        wall_s,
        callbacks: stats.callbacks.load(Ordering::Relaxed),
        frames: stats.frames.load(Ordering::Relaxed),
        p50_ns,
        p99_ns,
        max_ns: stats.max_ns.load(Ordering::Relaxed),
        callback_s: stats.total_ns.load(Ordering::Relaxed) as f64 * 1e-9,
        over_period: stats.over_period.load(Ordering::Relaxed),
        late: stats.late.load(Ordering::Relaxed),
        max_late_ns: stats.max_late_ns.load(Ordering::Relaxed),
        underruns: counters.underruns.load(Ordering::Relaxed),
        stream_failures: counters.stream_failures.load(Ordering::Relaxed),
        dropped_events: counters.dropped_events.load(Ordering::Relaxed),
        dropped_master: counters.dropped_master.load(Ordering::Relaxed),
        loop_wraps,
        xruns: health.xruns,
        device_lost: health.device_lost,
        restarts: health.restarts,
        output_state: health.state.to_string(),
        cpu_s: cpu_ticks as f64 * tick,
        audio_cpu_s: audio_ticks as f64 * tick,
        io_cpu_s: io_ticks as f64 * tick,
        io_threads,
        others_cpu_s: machine_after
            .saturating_sub(machine_before)
            .saturating_sub(cpu_ticks) as f64
            * tick,
        rss_before_kb,
        rss_peak_kb,
        audio_priority,
    };
    println!("{RESULT_MARKER}\n{}", toml::to_string(&measurement)?);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The parent: set-up, one child per run, JACK server, report

/// `EARMIX_BENCH_SECONDS`, else 60.
fn run_seconds() -> BoxResult<f64> {
    match std::env::var("EARMIX_BENCH_SECONDS") {
        Ok(text) => {
            let seconds: f64 = text
                .trim()
                .parse()
                .map_err(|_| format!("EARMIX_BENCH_SECONDS='{text}' is not a number"))?;
            if seconds > 0.0 && seconds <= 3600.0 {
                Ok(seconds)
            } else {
                Err(format!("EARMIX_BENCH_SECONDS='{text}': allowed is 0 < seconds <= 3600").into())
            }
        }
        Err(_) => Ok(DEFAULT_RUN_SECONDS),
    }
}

/// `EARMIX_BENCH_STEMS` (comma-separated), else 16, 64, 128 and 256.
fn stem_counts() -> BoxResult<Vec<usize>> {
    let Ok(text) = std::env::var("EARMIX_BENCH_STEMS") else {
        return Ok(STEM_COUNTS.to_vec());
    };
    text.split(',')
        .map(|s| match s.trim().parse::<usize>() {
            Ok(n) if (1..=1024).contains(&n) => Ok(n),
            _ => Err(format!(
                "EARMIX_BENCH_STEMS='{text}': allowed is a comma-separated list of 1..1024"
            )
            .into()),
        })
        .collect()
}

/// `EARMIX_BENCH_OUTPUTS` (comma-separated: null, jack, pipewire), else all three.
fn outputs() -> BoxResult<Vec<Device>> {
    let Ok(text) = std::env::var("EARMIX_BENCH_OUTPUTS") else {
        return Ok(Device::ALL.to_vec());
    };
    text.split(',')
        .map(|s| {
            Device::parse(s.trim()).ok_or_else(|| {
                format!(
                    "EARMIX_BENCH_OUTPUTS='{text}': allowed is a comma-separated list of null, \
                     jack and pipewire"
                )
                .into()
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Open time

/// The session the open time is measured on: this many stereo stems ...
const OPEN_STEMS: usize = 200;
/// ... this long ...
const OPEN_SECONDS: u32 = 300;
/// ... with this many sections (one every 25 s).
const OPEN_SECTIONS: u32 = 12;
/// Opens timed.
const OPEN_RUNS: usize = 3;

/// Whether to time the console opening a large session: yes unless `EARMIX_BENCH_OPEN=0`.
fn open_wanted() -> bool {
    std::env::var("EARMIX_BENCH_OPEN").map_or(true, |v| v.trim() != "0")
}

/// Times the console (the release `earmix` binary) opening a [`OPEN_STEMS`]-stem,
/// [`OPEN_SECONDS`] s, [`OPEN_SECTIONS`]-section session to its first whole screen, with the
/// page cache warm (the stems: [`DISTINCT_STEMS`] distinct files, channel k playing file k %
/// 16, read once before), and prints each time and the median.
fn open_time(root: &Path) -> BoxResult<()> {
    let dir = root.join("open");
    let started = Instant::now();
    if generate(&dir, OPEN_SECONDS)? {
        println!(
            "\ngenerated {DISTINCT_STEMS} stereo stems x {OPEN_SECONDS} s for the open time in \
             {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    warm_cache(&dir)?;
    let name = format!("open {OPEN_STEMS}");
    let mut toml = format!("version = 1\nname = \"{name}\"\nsample_rate = {SAMPLE_RATE}\n");
    for k in 0..OPEN_STEMS {
        write!(
            toml,
            "\n[[channel]]\nname = \"c{:03}\"\nfile = \"{}\"\ngain_db = -20.0\n",
            k + 1,
            stem_file(k % DISTINCT_STEMS)
        )?;
    }
    for s in 0..OPEN_SECTIONS {
        let at = s * OPEN_SECONDS / OPEN_SECTIONS;
        write!(
            toml,
            "\n[[section]]\nname = \"S{}\"\nstart = \"{}:{:02}\"\n",
            s + 1,
            at / 60,
            at % 60
        )?;
    }
    let session = dir.join("session-open.toml");
    fs::write(&session, toml)?;
    let home = tempfile::Builder::new().prefix("earmix-open-").tempdir()?;
    let earmix = Path::new(env!("CARGO_BIN_EXE_earmix"));
    let mut times = Vec::new();
    for _ in 0..OPEN_RUNS {
        match open_time::first_screen_seconds(earmix, home.path(), &session, &name) {
            Ok(t) => times.push(t),
            Err(e) => println!("open time: {e}"),
        }
    }
    if times.is_empty() {
        return Err("the console never showed its first screen".into());
    }
    let listed: Vec<String> = times.iter().map(|t| format!("{t:.2} s")).collect();
    times.sort_by(f64::total_cmp);
    println!(
        "\nOpen time: {OPEN_STEMS} stereo stems x {OPEN_SECONDS} s with {OPEN_SECTIONS} sections \
         (default memory budget, page cache warm), `earmix SESSION --output null` in a {}x{} \
         pseudo-terminal, from start to the first whole screen: median {:.2} s of {} ({}).",
        open_time::COLS,
        open_time::ROWS,
        times[times.len() / 2],
        times.len(),
        listed.join(", ")
    );
    Ok(())
}

/// A run's outcome as the parent sees it.
struct RunResult {
    device: Device,
    stems: usize,
    outcome: Result<Measurement, String>,
    /// Lines about xruns from jackd's log during the run (JACK runs only).
    jackd_xruns: Option<usize>,
}

/// Runs one child and reads its measurement; gives up after the run time plus two minutes.
fn spawn_child(
    device: Device,
    session: &Path,
    seconds: f64,
    env: &[(String, PathBuf)],
) -> BoxResult<Measurement> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .env(
            CHILD_ENV,
            format!("{}:{}", device.name(), session.display()),
        )
        .env("EARMIX_BENCH_SECONDS", seconds.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn()?;
    let deadline = Instant::now() + Duration::from_secs_f64(seconds + 120.0);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the run did not finish within its time plus two minutes".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stdout = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_string(&mut stdout)?;
    }
    if !status.success() {
        return Err(format!("the run failed ({status}); its errors are above").into());
    }
    let (_, result) = stdout
        .split_once(RESULT_MARKER)
        .ok_or("the run printed no result")?;
    Ok(toml::from_str(result)?)
}

/// Where the numbers were measured.
fn machine() -> String {
    let cpu = cpu_model();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let memory = status_line("/proc/meminfo", "MemTotal")
        .and_then(|kb| kb.trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(String::new, |kb| {
            format!(", {:.1} GiB", kb as f64 / 1024.0 / 1024.0)
        });
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cpu}, {cores} cores{memory}, Linux {}", kernel.trim())
}

fn status_line(file: &str, key: &str) -> Option<String> {
    fs::read_to_string(file).ok().and_then(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .map(|v| v.trim().to_string())
    })
}

fn describe_run(r: &Measurement) -> String {
    format!(
        "{} callbacks in {:.1} s, p99 {:.1}% of the period, {} underruns, {} xruns, CPU {:.0}% \
         of a core",
        r.callbacks,
        r.wall_s,
        Measurement::pct_of_period(r.p99_ns),
        r.underruns,
        r.xruns,
        r.cpu_pct(r.cpu_s)
    )
}

fn run_all(
    device: Device,
    sessions: &[(usize, PathBuf)],
    seconds: f64,
    jack: Option<&JackServer>,
    pipewire: Option<&PipeWireServer>,
) -> Vec<RunResult> {
    let mut results = Vec::new();
    for (stems, session) in sessions {
        print!("  {:<8} {stems:>3} stems: ", device.name());
        let _ = io::stdout().flush();
        let log_from = jack.map(JackServer::log_len);
        let mut env: Vec<(String, PathBuf)> = jack
            .map(|server| {
                server
                    .client_env()
                    .into_iter()
                    .map(|(key, value)| (key, PathBuf::from(value)))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(server) = pipewire {
            env.extend(
                server
                    .client_env()
                    .into_iter()
                    .map(|(key, value)| (key, PathBuf::from(value))),
            );
        }
        let outcome = spawn_child(device, session, seconds, &env).map_err(|e| e.to_string());
        match &outcome {
            Ok(m) => println!("{}", describe_run(m)),
            Err(e) => println!("FAILED: {e}"),
        }
        let jackd_xruns = jack.zip(log_from).map(|(j, from)| j.xruns_since(from));
        results.push(RunResult {
            device,
            stems: *stems,
            outcome,
            jackd_xruns,
        });
    }
    results
}

fn print_table(results: &[RunResult], cores: usize) {
    println!(
        "| output | stems | audio thread | callback p50 | p99 | max | late > 1 period | underruns \
         | xruns | CPU | audio thread | I/O threads | RSS | RSS per stem | other load |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        match &r.outcome {
            Ok(m) => println!(
                "| {} | {} | {} | {:.1}% | {:.1}% | {:.1}% | {} | {} | {} | {:.0}% | {:.0}% | \
                 {:.0}% | {:.0} MiB | {:.2} MiB | {:.0}% |",
                r.device.name(),
                r.stems,
                m.audio_priority,
                Measurement::pct_of_period(m.p50_ns),
                Measurement::pct_of_period(m.p99_ns),
                Measurement::pct_of_period(m.max_ns),
                // The dummy driver's clock is not the wall clock (it runs a little slow under
                // load), so lateness against the wall clock means nothing there.
                match r.device {
                    Device::Null => m.late.to_string(),
                    Device::Jack | Device::PipeWire => "n/a".to_string(),
                },
                m.underruns,
                m.xruns,
                m.cpu_pct(m.cpu_s),
                m.cpu_pct(m.audio_cpu_s),
                m.cpu_pct(m.io_cpu_s),
                m.rss_peak_kb as f64 / 1024.0,
                m.rss_per_stem_mib(),
                m.background_load(cores) * 100.0
            ),
            Err(e) => println!(
                "| {} | {} | | failed: {} | | | | | | | | | | | |",
                r.device.name(),
                r.stems,
                e.replace('|', "/").replace('\n', " ")
            ),
        }
    }
}

/// Memory per added stem: the slope of peak RSS between the smallest and largest run, which
/// leaves out the fixed cost (libraries, the loudness meter, the rings) that the per-run
/// figure spreads over the stems.
fn print_marginal_rss(results: &[RunResult]) {
    for device in Device::ALL {
        let runs: Vec<(usize, &Measurement)> = results
            .iter()
            .filter(|r| r.device == device)
            .filter_map(|r| r.outcome.as_ref().ok().map(|m| (r.stems, m)))
            .collect();
        let (Some(small), Some(large)) = (
            runs.iter().min_by_key(|(n, _)| *n),
            runs.iter().max_by_key(|(n, _)| *n),
        ) else {
            continue;
        };
        if large.0 > small.0 {
            let slope = (large.1.rss_peak_kb as f64 - small.1.rss_peak_kb as f64)
                / (large.0 - small.0) as f64
                / 1024.0;
            println!(
                "{}: each stem added between {} and {} stems cost {slope:.2} MiB of RSS \
                 (creek's read-ahead, its seek cache and a cache at each of the {SECTIONS} \
                 section starts, as long as the plan's read-ahead, plus the decoder and the \
                 I/O thread).",
                device.name(),
                small.0,
                large.0
            );
        }
    }
}

fn print_details(results: &[RunResult]) {
    for r in results {
        let Ok(m) = &r.outcome else { continue };
        let jackd = r
            .jackd_xruns
            .map_or_else(String::new, |x| format!(", jackd logged {x} xrun lines"));
        // Lateness is against the wall clock, which only the null output keeps to.
        let late = match r.device {
            Device::Null => format!(
                ", latest start {:.2} ms behind schedule",
                m.max_late_ns as f64 * 1e-6
            ),
            Device::Jack | Device::PipeWire => String::new(),
        };
        println!(
            "{} {:>3}: {} callbacks of {:.0} frames on average, device at {:.4}x real time; \
             {} callbacks over a period{late}; {} I/O threads; other processes used {:.0}% of a \
             core{jackd}; RSS {:.0} -> {:.0} MiB; {} loop wraps, {} dropped events, {} dropped \
             master samples, {} stream failures.",
            r.device.name(),
            r.stems,
            m.callbacks,
            m.frames as f64 / m.callbacks.max(1) as f64,
            m.frames as f64 / f64::from(SAMPLE_RATE) / m.wall_s,
            m.over_period,
            m.io_threads,
            m.cpu_pct(m.others_cpu_s),
            m.rss_before_kb as f64 / 1024.0,
            m.rss_peak_kb as f64 / 1024.0,
            m.loop_wraps,
            m.dropped_events,
            m.dropped_master,
            m.stream_failures
        );
    }
}

/// The verdict for one output against the targets.
fn verdict(device: Device, results: &[RunResult]) {
    let runs: Vec<&RunResult> = results.iter().filter(|r| r.device == device).collect();
    if runs.is_empty() {
        return;
    }
    match runs.iter().find(|r| r.stems == TARGET_STEMS) {
        None => println!(
            "{} output: {TARGET_STEMS} stems were not run (EARMIX_BENCH_STEMS).",
            device.name()
        ),
        Some(RunResult {
            outcome: Err(e), ..
        }) => println!(
            "{} output: the {TARGET_STEMS}-stem run failed ({e}): target NOT met.",
            device.name()
        ),
        Some(RunResult { outcome: Ok(m), .. }) => {
            let shortfalls = m.shortfalls();
            if device == Device::Null && m.late > 0 {
                println!(
                    "null output: {TARGET_STEMS} stems: {} callbacks started more than a period \
                     late (latest {:.2} ms); the null output absorbs that, but a device with two \
                     periods of buffer would likely have run dry.",
                    m.late,
                    m.max_late_ns as f64 * 1e-6
                );
            }
            if shortfalls.is_empty() {
                println!(
                    "{} output: {TARGET_STEMS} stems with 0 underruns, 0 xruns and a callback p99 \
                     of {:.1}% of the period: target met.",
                    device.name(),
                    m.p99_fraction() * 100.0
                );
            } else {
                println!(
                    "{} output: {TARGET_STEMS} stems: {}: target NOT met.",
                    device.name(),
                    shortfalls.join(", ")
                );
            }
        }
    }
    let met: Vec<usize> = runs
        .iter()
        .filter(|r| r.outcome.as_ref().is_ok_and(|m| m.shortfalls().is_empty()))
        .map(|r| r.stems)
        .collect();
    let failed: Vec<String> = runs
        .iter()
        .filter_map(|r| match &r.outcome {
            Ok(m) if !m.shortfalls().is_empty() => {
                Some(format!("{} ({})", r.stems, m.shortfalls().join(", ")))
            }
            Err(_) => Some(format!("{} (run failed)", r.stems)),
            Ok(_) => None,
        })
        .collect();
    let met_text = if met.is_empty() {
        "none".to_string()
    } else {
        met.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    print!(
        "{} output: every target met at {met_text} stems",
        device.name()
    );
    if failed.is_empty() {
        println!(".");
    } else {
        println!("; missed at {}.", failed.join("; "));
    }
}

/// Data-driven sentences on what the CPU goes to, from the largest successful run per output.
fn limits(results: &[RunResult], cores: usize) {
    for device in Device::ALL {
        let Some((stems, m)) = results
            .iter()
            .filter(|r| r.device == device)
            .filter_map(|r| r.outcome.as_ref().ok().map(|m| (r.stems, m)))
            .max_by_key(|(stems, _)| *stems)
        else {
            continue;
        };
        let io = m.cpu_pct(m.io_cpu_s);
        println!(
            "{} output, {stems} stems: the process used {:.0}% of a core ({:.0}% of this \
             {cores}-core machine); creek's {} I/O threads, each polling every 1 ms, used {io:.0}% \
             ({:.2}% per stream), the audio thread {:.0}% (the callbacks themselves {:.0}%: \
             {:.1} us per stem per callback at the median).",
            device.name(),
            m.cpu_pct(m.cpu_s),
            m.cpu_pct(m.cpu_s) / cores as f64,
            m.io_threads,
            io / stems as f64,
            m.cpu_pct(m.audio_cpu_s),
            m.cpu_pct(m.callback_s),
            m.p50_ns as f64 / 1000.0 / stems as f64
        );
    }
}

fn report(results: &[RunResult], seconds: f64, jack_alone: Option<usize>) {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("\nMachine: {}", machine());
    println!(
        "Each run: {seconds:.0} s of playback at {SAMPLE_RATE} Hz, {BUFFER_FRAMES}-frame buffer \
         (period {:.3} ms), in a process of its own. Stems: {DISTINCT_STEMS} distinct {STEM_SECONDS} \
         s stereo 24-bit WAV files; channel k plays file k % {DISTINCT_STEMS}, each channel \
         through its own creek stream and I/O thread, buffered as the stream plan for the \
         default memory budget says (README, \"Memory\") with {SECTIONS} section starts kept \
         loaded; the page \
         cache serves the repeated files (they were read once before the runs), so this measures \
         streaming and mixing, not the disk. The session loops, meters and the loudness thread \
         run and the UI-side rings are drained every 20 ms, as in the console.",
        period_ms()
    );
    println!(
        "Audio thread: its scheduling during the run ({}). Callback: time of each render call (wall clock, so preemption counts) as % of the \
         period. late > 1 period: callbacks that started more than a period behind the \
         schedule set by the first (on a device with two periods of buffer that is about where \
         an xrun starts). Underruns: strip-blocks played silent because creek's data was late \
         (EngineCounters). Xruns: the output's health (the null output counts one only when \
         it falls 250 ms behind; cpal reports the server's). CPU: utime + stime of the whole process \
         (/proc/self/stat) over the run, % of one core; audio thread and creek's I/O \
         threads from /proc/self/task. RSS: peak VmRSS during the run (sampled every 0.5 s). \
         RSS per stem: (peak VmRSS during the run - VmRSS before opening the stems) / stems.\n",
        if rt_wanted() {
            format!(
                "earmix raises it to real-time priority itself; where it did not get it the \
                 bench gives it with `chrt -f -p {AUDIO_RT_PRIORITY}` after the first callback, \
                 and it runs jackd real-time; EARMIX_BENCH_RT=0 does neither"
            )
        } else {
            "EARMIX_BENCH_RT=0: left as the output made it".to_string()
        }
    );
    print_table(results, cores);
    println!();
    print_details(results);
    print_marginal_rss(results);
    if let Some(alone) = jack_alone {
        println!(
            "jackd alone: with no client connected, the JACK dummy server logged {alone} xrun \
             lines in {seconds:.0} s (its own timer woke late); xruns in the JACK runs up to that \
             many are the server's, not earmix's."
        );
    }
    let noisy: Vec<String> = results
        .iter()
        .filter_map(|r| {
            let m = r.outcome.as_ref().ok()?;
            let load = m.background_load(cores);
            (load > 0.1).then(|| format!("{} {} ({:.0}%)", r.device.name(), r.stems, load * 100.0))
        })
        .collect();
    if !noisy.is_empty() {
        println!(
            "Other processes used more than 10% of the machine during: {} (jackd included on \
             the JACK runs). Those numbers are noisy; run again on a quiet machine.",
            noisy.join(", ")
        );
    }
    println!();
    println!(
        "Targets: {TARGET_STEMS} stems with 0 underruns, 0 xruns and a callback p99 under {:.0}% \
         of the period ({:.3} ms).",
        TARGET_P99 * 100.0,
        TARGET_P99 * period_ms()
    );
    for device in Device::ALL {
        verdict(device, results);
    }
    limits(results, cores);
    if seconds < DEFAULT_RUN_SECONDS {
        println!(
            "These were {seconds} s runs (EARMIX_BENCH_SECONDS); the reference numbers come \
             from {DEFAULT_RUN_SECONDS} s runs."
        );
    }
}

fn run_parent() -> BoxResult<()> {
    let seconds = run_seconds()?;
    let counts = stem_counts()?;
    let kept = std::env::var_os("EARMIX_BENCH_DIR").map(PathBuf::from);
    let temp;
    let root = if let Some(dir) = kept {
        fs::create_dir_all(&dir)?;
        dir
    } else {
        temp = tempfile::Builder::new().prefix("earmix-bench-").tempdir()?;
        temp.path().to_path_buf()
    };
    let dir = root.join("realtime");
    println!("earmix realtime benchmark; stems in {}", dir.display());
    let start = Instant::now();
    if generate(&dir, STEM_SECONDS)? {
        println!(
            "generated {DISTINCT_STEMS} stereo stems x {STEM_SECONDS} s in {:.1} s",
            start.elapsed().as_secs_f64()
        );
    } else {
        println!("reusing the stems from an earlier run");
    }
    warm_cache(&dir)?;
    let sessions: Vec<(usize, PathBuf)> = counts
        .iter()
        .map(|&n| write_session(&dir, n).map(|p| (n, p)))
        .collect::<BoxResult<_>>()?;

    let outputs = outputs()?;
    let mut results = Vec::new();
    let mut jack_alone = None;
    if outputs.contains(&Device::Null) {
        println!("\nnull output ({seconds} s per run):");
        results.extend(run_all(Device::Null, &sessions, seconds, None, None));
    }
    if outputs.contains(&Device::Jack) {
        println!("\nJACK dummy server through cpal's JACK host ({seconds} s per run):");
        match JackServer::start_with(BUFFER_FRAMES, rt_wanted()) {
            Ok(server) => {
                // jackd's own dummy timer can be late on a busy or virtual machine: what it logs
                // with no client, over as long as one run, is the floor for the runs' xruns.
                let from = server.log_len();
                std::thread::sleep(Duration::from_secs_f64(seconds));
                let alone = server.xruns_since(from);
                println!("  jackd alone, no client, {seconds} s: {alone} xrun lines logged");
                jack_alone = Some(alone);
                results.extend(run_all(
                    Device::Jack,
                    &sessions,
                    seconds,
                    Some(&server),
                    None,
                ));
                drop(server);
            }
            Err(reason) => println!("  skipped: {reason}"),
        }
    }
    if outputs.contains(&Device::PipeWire) {
        println!("\nPipeWire null sink through cpal's PipeWire host ({seconds} s per run):");
        match PipeWireServer::start_with_quantum(Some(BUFFER_FRAMES)) {
            Ok(server) => {
                results.extend(run_all(
                    Device::PipeWire,
                    &sessions,
                    seconds,
                    None,
                    Some(&server),
                ));
                drop(server);
            }
            Err(reason) => println!("  skipped: {reason}"),
        }
    }
    report(&results, seconds, jack_alone);
    if open_wanted() {
        open_time(&root)?;
    }
    if results
        .iter()
        .any(|r| r.device == Device::Null && r.outcome.is_err())
    {
        return Err("a run on the null output failed".into());
    }
    Ok(())
}

fn main() -> ExitCode {
    let outcome = match std::env::var(CHILD_ENV) {
        Ok(spec) => {
            let parsed = spec
                .split_once(':')
                .and_then(|(d, path)| Some((Device::parse(d)?, PathBuf::from(path))));
            match parsed {
                Some((device, session)) => {
                    run_seconds().and_then(|s| run_child(device, &session, s))
                }
                None => Err(
                    format!("{CHILD_ENV}='{spec}' is not <null|jack|pipewire>:<session>").into(),
                ),
            }
        }
        Err(_) => run_parent(),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("realtime bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}
