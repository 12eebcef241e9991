//! `cargo bench --bench desktop` (run by `just bench` after the bounce and realtime benches):
//! the real earmix binary on the sound servers of a Linux desktop, each started here in a
//! temporary folder: a headless PipeWire with a paced null sink (`--host pipewire`) and a JACK
//! dummy server (`--host jack` when cpal's jack host is built in, else ALSA's jack plugin with
//! a private ALSA configuration). For each it measures:
//!
//! - **Key to sound at the server**, for 128, 256 and 1024 frames: the console in a
//!   pseudo-terminal plays a steady 1 kHz sine (made by sox); `m` (mute, and again to unmute)
//!   is written at a known `CLOCK_MONOTONIC` time, and a capture client on the server (this
//!   binary again, see `common/capture.rs`) stamps every frame that reaches it with the same
//!   clock. Reported: the time from the key to the first frame that moved 5% of the sine's
//!   peak away from the old level (the change starts) and to the first within 5% of the new
//!   level (earmix's 10 ms de-zipper glide included), p50 and p99 over 30 presses.
//! - **CPU** of the earmix process playing and paused in the console, from /proc/PID/stat
//!   (utime + stime) over 10 s each, as a share of one core, with its busiest threads. Paused
//!   for more than a second, earmix parks its stream; the paused CPU is measured from 1 s after
//!   earmix's release delay (`RELEASE_AFTER`), by when it has let go of a parked JACK client.
//! - **Play to sound**: Space on the paused console, 0.3 s after pausing (the stream still
//!   running), 1.6 s after (the stream parked: the host restarts it first) and 1.6 s past the
//!   release delay (on JACK, where earmix then lets go of its parked client, a new client is
//!   built), timed from the key to the first frame of the sine at the server, p50 and p99 over
//!   10 plays each (3 for the last kind). On JACK a
//!   follower (this binary again) connects each new client's ports to the capture as they
//!   appear.
//! - **Dropouts per minute**, with and without a load of two busy loops (two spinning child
//!   processes), each run 60 s of wall-clock time ended with ctrl-c: what earmix counted
//!   (`play --no-ui`'s last status line, read loosely: every "underruns N", "xruns N", "late
//!   N", "restarts N" ... in it) next to the gaps in the recording (silence between stretches of
//!   full-level sine) and the time the recording has no frames for (the server, or the capture,
//!   fell behind).
//!
//! The capture runs under `chrt -f 70` where the user may ask for it, so that under load it is
//! not the part that falls behind.
//!
//! Knobs for short runs while developing: `EARMIX_BENCH_SECONDS` (each dropout run, default
//! 60), `EARMIX_BENCH_PRESSES` (per buffer size, default 30), `EARMIX_BENCH_PLAYS` (each
//! kind of play per buffer size, default 10), `EARMIX_BENCH_CPU_SECONDS`
//! (default 10), `EARMIX_BENCH_BUFFERS` (default `128,256,1024`), `EARMIX_BENCH_DROPOUT_BUFFERS`
//! (default `256`) and `EARMIX_BENCH_HOSTS` (default `pipewire,jack`).

// The docs name PipeWire, WirePlumber and RLIMIT_RTPRIO in prose.
#![allow(clippy::doc_markdown)]

use std::error::Error;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

#[path = "common/capture.rs"]
mod capture;
#[path = "common/console.rs"]
mod console;
#[path = "common/procfs.rs"]
mod procfs;
#[path = "common/servers.rs"]
mod servers;

use capture::{Direction, monotonic_ns};
use console::Console;
use earmix::engine::output::RELEASE_AFTER;
use servers::{Jack, PIPEWIRE_SINK, PipeWire};

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The earmix binary cargo built for this bench.
const EARMIX: &str = env!("CARGO_BIN_EXE_earmix");

/// Tells a child process what it is: `capture` or `spin`.
const CHILD_ENV: &str = "EARMIX_DESKTOP_CHILD";

/// The sine's frequency and peak (-6 dBFS).
const SINE_HZ: u32 = 1000;
const SINE_PEAK: f64 = 0.5;

/// How long to wait for anything to start before giving up on a run.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a key may take to be heard before the press counts as missed.
const KEY_TIMEOUT: Duration = Duration::from_secs(2);

/// The bench's settings, from the environment.
struct Settings {
    presses: usize,
    plays: usize,
    cpu_seconds: f64,
    dropout_seconds: f64,
    buffers: Vec<u32>,
    dropout_buffers: Vec<u32>,
    hosts: Vec<HostKind>,
}

fn env_number(name: &str, default: f64) -> BoxResult<f64> {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| *v > 0.0)
            .ok_or_else(|| format!("{name}='{text}' is not a positive number").into()),
        Err(_) => Ok(default),
    }
}

fn env_list<T>(name: &str, default: &str, parse: impl Fn(&str) -> Option<T>) -> BoxResult<Vec<T>> {
    let text = std::env::var(name).unwrap_or_else(|_| default.to_string());
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).ok_or_else(|| format!("{name}: '{s}' is not allowed").into()))
        .collect()
}

impl Settings {
    fn from_env() -> BoxResult<Self> {
        let buffer = |s: &str| s.parse::<u32>().ok().filter(|b| (16..=16384).contains(b));
        Ok(Self {
            presses: env_number("EARMIX_BENCH_PRESSES", 30.0)?.round() as usize,
            plays: env_number("EARMIX_BENCH_PLAYS", 10.0)?.round() as usize,
            cpu_seconds: env_number("EARMIX_BENCH_CPU_SECONDS", 10.0)?,
            dropout_seconds: env_number("EARMIX_BENCH_SECONDS", 60.0)?,
            buffers: env_list("EARMIX_BENCH_BUFFERS", "128,256,1024", buffer)?,
            dropout_buffers: env_list("EARMIX_BENCH_DROPOUT_BUFFERS", "256", buffer)?,
            hosts: env_list("EARMIX_BENCH_HOSTS", "pipewire,jack", |s| {
                match s.to_ascii_lowercase().as_str() {
                    "pipewire" => Some(HostKind::PipeWire),
                    "jack" => Some(HostKind::Jack),
                    _ => None,
                }
            })?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostKind {
    PipeWire,
    Jack,
}

/// Whether cpal's JACK host is built in (then earmix plays with `--host jack`).
fn native_jack() -> bool {
    cpal::ALL_HOSTS
        .iter()
        .any(|h| h.name().eq_ignore_ascii_case("jack"))
}

impl HostKind {
    fn label(self) -> &'static str {
        match self {
            HostKind::PipeWire => "PipeWire null sink",
            HostKind::Jack if native_jack() => "JACK dummy",
            HostKind::Jack => "JACK dummy (ALSA jack plugin)",
        }
    }
}

/// A running server of either kind, with what earmix and the capture need to reach it.
enum Server {
    PipeWire(PipeWire),
    Jack(Jack),
}

impl Server {
    fn start(kind: HostKind, buffer: u32) -> BoxResult<Self> {
        Ok(match kind {
            HostKind::PipeWire => Server::PipeWire(PipeWire::start()?),
            HostKind::Jack => Server::Jack(Jack::start(buffer)?),
        })
    }

    /// earmix's `--host` and its environment.
    fn earmix_client(&self) -> BoxResult<(&'static str, Vec<(String, String)>)> {
        Ok(match self {
            Server::PipeWire(pw) => ("pipewire", pw.client_env()),
            Server::Jack(jack) if native_jack() => ("jack", jack.client_env()),
            Server::Jack(jack) => {
                let mut env = jack.client_env();
                let conf = jack.alsa_config("earmix-asound.conf", None)?;
                env.push(("ALSA_CONFIG_PATH".into(), conf.display().to_string()));
                ("alsa", env)
            }
        })
    }

    /// Starts the capture client on what reaches the server. For JACK it reads earmix's
    /// ports, so earmix must be running already.
    fn start_capture(&self) -> BoxResult<Capture> {
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.env(CHILD_ENV, "capture");
        let source = match self {
            Server::PipeWire(pw) => {
                cmd.envs(pw.client_env())
                    .env(capture::HOST_ENV, "pipewire")
                    .env(capture::SINK_ENV, PIPEWIRE_SINK);
                format!("the sink {PIPEWIRE_SINK}")
            }
            Server::Jack(jack) => {
                let ports = earmix_jack_ports(jack)?;
                let conf = jack.alsa_config("capture-asound.conf", Some(&ports))?;
                cmd.envs(jack.client_env())
                    .env("ALSA_CONFIG_PATH", conf)
                    .env(capture::HOST_ENV, "alsa")
                    .env(capture::BUFFER_ENV, jack.period().to_string());
                format!("the JACK ports {}", ports.join(", "))
            }
        };
        Capture::start(realtime(cmd), source)
    }

    /// On cpal's JACK host, starts a [`Follower`] that keeps the capture on earmix's ports
    /// when earmix builds its client again.
    fn follow_earmix(&self) -> BoxResult<Option<Follower>> {
        let Server::Jack(jack) = self else {
            return Ok(None);
        };
        if !native_jack() {
            return Ok(None);
        }
        let earmix_ports = earmix_jack_ports(jack)?;
        let child = Command::new(std::env::current_exe()?)
            .env(CHILD_ENV, "follow")
            .envs(jack.client_env())
            .env(FOLLOW_PORTS_ENV, earmix_ports.join(","))
            .env(FOLLOW_CAPTURE_ENV, JACK_CAPTURE_CLIENT)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        Ok(Some(Follower(child)))
    }
}

/// The follower child's settings: earmix's JACK ports (comma-separated, as `jack_lsp` names
/// them) and the capture client whose inputs they go to.
const FOLLOW_PORTS_ENV: &str = "EARMIX_DESKTOP_FOLLOW_PORTS";
const FOLLOW_CAPTURE_ENV: &str = "EARMIX_DESKTOP_FOLLOW_CAPTURE";

/// The client name the capture's ALSA configuration gives it (`common/servers.rs`).
const JACK_CAPTURE_CLIENT: &str = "earmix-bench-capture";

/// A child process (this binary again) that keeps the capture on earmix's JACK ports while
/// earmix lets go of its client and builds it again (it does while parked: cpal's paused JACK
/// client is still called every period). Its own JACK client hears each port registered, and
/// connects each new port of earmix's to the capture's input of the same number as it appears:
/// earmix registers its ports before it activates its client and asks for audio, so the
/// connection is normally made before the first frame. Killed when dropped.
struct Follower(Child);

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The follower's notification handler: passes each port registered to its main thread.
struct Registrations(mpsc::Sender<jack::PortId>);

impl jack::NotificationHandler for Registrations {
    fn port_registration(&mut self, _: &jack::Client, port_id: jack::PortId, registered: bool) {
        if registered {
            let _ = self.0.send(port_id);
        }
    }
}

/// The follower child's body (see [`Follower`]): runs until it is killed.
fn follow() -> BoxResult<()> {
    let earmix: Vec<String> = std::env::var(FOLLOW_PORTS_ENV)?
        .split(',')
        .map(str::to_string)
        .collect();
    let capture = std::env::var(FOLLOW_CAPTURE_ENV)?;
    let (client, _) =
        jack::Client::new("earmix-bench-follow", jack::ClientOptions::NO_START_SERVER)?;
    let (tx, rx) = mpsc::channel();
    let client = client.activate_async(Registrations(tx), ())?;
    while let Ok(id) = rx.recv() {
        let bench = client.as_client();
        let Some(name) = bench.port_by_id(id).and_then(|p| p.name().ok()) else {
            continue;
        };
        let Some(n) = earmix.iter().position(|p| *p == name) else {
            continue;
        };
        let mut inputs = bench.ports(
            Some(&format!("^{capture}:")),
            None,
            jack::PortFlags::IS_INPUT,
        );
        inputs.sort();
        if let Some(input) = inputs.get(n) {
            bench.connect_ports_by_name(&name, input)?;
        }
    }
    Ok(())
}

/// `cmd` under `chrt -f 70` when this user may ask for realtime scheduling (root, or an
/// RLIMIT_RTPRIO that allows it), so the capture keeps up under load: the recording has to
/// hold every frame the server got, or a gap could hide in what it missed.
fn realtime(cmd: Command) -> Command {
    let allowed = servers::on_path("chrt").is_some()
        && Command::new("chrt")
            .args(["-f", "70", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !allowed {
        return cmd;
    }
    let mut chrt = Command::new("chrt");
    chrt.args(["-f", "70"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => chrt.env(key, value),
            None => chrt.env_remove(key),
        };
    }
    chrt
}

/// earmix's two output ports on the JACK server: the ports of the one client besides the
/// dummy's own `system` and the bench's capture, waited for until they appear.
fn earmix_jack_ports(jack: &Jack) -> BoxResult<Vec<String>> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let ports: Vec<String> = jack
            .ports()
            .into_iter()
            .filter(|p| !p.starts_with("system:") && !p.starts_with(JACK_CAPTURE_CLIENT))
            .collect();
        if ports.len() >= 2 {
            return Ok(ports.into_iter().take(2).collect());
        }
        if Instant::now() >= deadline {
            return Err(format!("earmix's JACK ports did not appear (ports: {ports:?})").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------------
// The capture child, seen from here

/// A line from the capture child.
#[derive(Debug, Clone, Copy)]
enum Heard {
    Armed,
    Onset(Direction, u64),
    Level(Direction, u64),
    Gap {
        at: u64,
        frames: u64,
    },
    /// The recording's net loss so far (ns).
    Loss(i64),
    Errors(u64),
}

fn parse_heard(line: &str) -> Option<Heard> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let number = |i: usize| words.get(i).and_then(|w| w.parse::<u64>().ok());
    let dir = |i: usize| match words.get(i) {
        Some(&"up") => Some(Direction::Up),
        Some(&"down") => Some(Direction::Down),
        _ => None,
    };
    match *words.first()? {
        "armed" => Some(Heard::Armed),
        "onset" => Some(Heard::Onset(dir(1)?, number(2)?)),
        "level" => Some(Heard::Level(dir(1)?, number(2)?)),
        "gap" => Some(Heard::Gap {
            at: number(1)?,
            frames: number(2)?,
        }),
        "capture-loss" => Some(Heard::Loss(words.get(1)?.parse().ok()?)),
        "capture-errors" => Some(Heard::Errors(number(1)?)),
        _ => None,
    }
}

/// The running capture child and what it has said.
struct Capture {
    child: Child,
    heard: Receiver<Heard>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    /// What it listens to, for messages.
    source: String,
}

impl Capture {
    fn start(mut cmd: Command, source: String) -> BoxResult<Self> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no capture stdout")?;
        let mut stderr = child.stderr.take().ok_or("no capture stderr")?;
        let (tx, heard) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let Some(h) = parse_heard(&line)
                    && tx.send(h).is_err()
                {
                    return;
                }
            }
        });
        let errors = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        {
            let errors = std::sync::Arc::clone(&errors);
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text);
                if let Ok(mut e) = errors.lock() {
                    *e = text;
                }
            });
        }
        Ok(Self {
            child,
            heard,
            stderr: errors,
            source,
        })
    }

    /// Waits until the capture has heard a steady sine.
    fn wait_armed(&mut self) -> BoxResult<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self
                .heard
                .recv_timeout(left.min(Duration::from_millis(200)))
            {
                Ok(Heard::Armed) => return Ok(()),
                Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                let err = self.stderr.lock().map(|e| e.clone()).unwrap_or_default();
                return Err(format!("the capture exited ({status}): {}", err.trim()).into());
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
        let err = self.stderr.lock().map(|e| e.clone()).unwrap_or_default();
        Err(format!(
            "the capture heard no steady sine at the server ({}){}",
            self.source,
            if err.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", err.trim())
            }
        )
        .into())
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Key to sound, and CPU, in the console

/// What one console run measured.
struct ConsoleRun {
    host: HostKind,
    buffer: u32,
    /// Key to the change starting, and to the new level, per press heard (ms).
    onsets: Vec<f64>,
    levels: Vec<f64>,
    /// Presses not heard within [`KEY_TIMEOUT`].
    missed: usize,
    /// Presses with a gap in the recording between the key and the new level (left out).
    disturbed: usize,
    cpu_playing: Option<CpuUse>,
    cpu_paused: Option<CpuUse>,
    /// Space to the sine's first frame (ms), the stream still running and parked.
    plays_running: Vec<f64>,
    plays_parked: Vec<f64>,
    /// Space to the sine's first frame (ms), past the release delay.
    plays_released: Vec<f64>,
    /// Plays not heard within [`KEY_TIMEOUT`].
    plays_missed: usize,
}

/// A small deterministic generator for the pauses between presses (so presses do not lock
/// to the period).
struct Jitter(u64);

impl Jitter {
    fn next_ms(&mut self, from: u64, to: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        from + self.0 % (to - from)
    }
}

/// CPU time so far (utime + stime, seconds) from a /proc stat file.
fn cpu_seconds(stat_file: &str, ticks: f64) -> BoxResult<f64> {
    let stat = fs::read_to_string(stat_file)?;
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or("unreadable /proc stat")?;
    // After the name: state is field 3; utime and stime are fields 14 and 15.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> BoxResult<f64> {
        Ok(fields
            .get(n - 3)
            .ok_or("short /proc stat")?
            .parse::<f64>()?)
    };
    Ok((field(14)? + field(15)?) / ticks)
}

/// CPU time so far of each thread of `pid`: (thread id, name, seconds).
fn thread_cpu(pid: u32, ticks: f64) -> BoxResult<Vec<(String, String, f64)>> {
    let mut threads = Vec::new();
    for entry in fs::read_dir(format!("/proc/{pid}/task"))? {
        let entry = entry?;
        let tid = entry.file_name().to_string_lossy().into_owned();
        let file = format!("/proc/{pid}/task/{tid}/stat");
        let Ok(stat) = fs::read_to_string(&file) else {
            continue;
        };
        let name = stat
            .split_once('(')
            .and_then(|(_, r)| r.rsplit_once(')'))
            .map_or("?", |(n, _)| n)
            .to_string();
        if let Ok(seconds) = cpu_seconds(&file, ticks) {
            threads.push((tid, name, seconds));
        }
    }
    Ok(threads)
}

/// What `pid` used over `seconds`, as shares of one core.
struct CpuUse {
    process: f64,
    /// The main thread (the console's UI).
    main_thread: f64,
    /// The busiest threads by name (threads of one name summed), most first.
    threads: Vec<(String, f64)>,
}

impl CpuUse {
    fn measure(pid: u32, seconds: f64) -> BoxResult<Self> {
        let ticks = procfs::clock_ticks_per_second();
        let process = format!("/proc/{pid}/stat");
        let before = cpu_seconds(&process, ticks)?;
        let threads_before = thread_cpu(pid, ticks)?;
        let start = Instant::now();
        std::thread::sleep(Duration::from_secs_f64(seconds));
        let after = cpu_seconds(&process, ticks)?;
        let threads_after = thread_cpu(pid, ticks)?;
        let wall = start.elapsed().as_secs_f64();
        let main_tid = pid.to_string();
        let mut main_thread = 0.0;
        let mut by_name: Vec<(String, f64)> = Vec::new();
        for (tid, name, t) in threads_after {
            let Some((_, _, t0)) = threads_before.iter().find(|(id, _, _)| *id == tid) else {
                continue;
            };
            let share = (t - t0) / wall;
            if tid == main_tid {
                main_thread = share;
            }
            match by_name.iter_mut().find(|(n, _)| *n == name) {
                Some((_, sum)) => *sum += share,
                None => by_name.push((name, share)),
            }
        }
        by_name.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(Self {
            process: (after - before) / wall,
            main_thread,
            threads: by_name,
        })
    }

    /// The busiest threads, e.g. "earmix 2.0%, pw_out 0.8%".
    fn busiest(&self) -> String {
        let named: Vec<String> = self
            .threads
            .iter()
            .filter(|(_, share)| *share >= 0.001)
            .take(5)
            .map(|(name, share)| format!("{name} {:.1}%", share * 100.0))
            .collect();
        if named.is_empty() {
            "none above 0.1%".into()
        } else {
            named.join(", ")
        }
    }
}

/// Waits for the capture to hear the press written at `key`: the onset and then the new level
/// in the same direction. `Ok(None)` when it was not heard in time; the bool says a gap fell
/// in between.
fn hear_press(capture: &Capture, key: u64) -> Option<(u64, u64, bool)> {
    let deadline = Instant::now() + KEY_TIMEOUT;
    let mut onset: Option<(Direction, u64)> = None;
    let mut gap = false;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(heard) = capture.heard.recv_timeout(left) else {
            return None;
        };
        match heard {
            Heard::Gap { at, .. } if at >= key => gap = true,
            Heard::Onset(dir, at) if at >= key && onset.is_none() => onset = Some((dir, at)),
            Heard::Level(dir, at) => {
                if let Some((onset_dir, onset_at)) = onset
                    && dir == onset_dir
                    && at >= onset_at
                {
                    return Some((onset_at - key, at - key, gap));
                }
            }
            _ => {}
        }
    }
    None
}

/// How long after a pause a play counts as one on a running stream, and as one from a parked
/// stream (earmix parks after a second of idle device time, checked every 20 ms).
const PLAY_RUNNING_AFTER: Duration = Duration::from_millis(300);
const PLAY_PARKED_AFTER: Duration = Duration::from_millis(1600);

/// Waits for the capture to hear the sine come back after the play written at `key`: the time
/// from the key to the first frame of it (ns), or `None` when it was not heard in time.
fn hear_play(capture: &Capture, key: u64) -> Option<u64> {
    let deadline = Instant::now() + KEY_TIMEOUT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match capture.heard.recv_timeout(left).ok()? {
            Heard::Onset(Direction::Up, at) if at >= key => return Some(at - key),
            _ => {}
        }
    }
    None
}

fn run_console(
    kind: HostKind,
    buffer: u32,
    sine: &Path,
    work: &Path,
    settings: &Settings,
) -> BoxResult<ConsoleRun> {
    let server = Server::start(kind, buffer)?;
    let (host, env) = server.earmix_client()?;
    let run_dir = work.join(format!("console-{host}-{buffer}"));
    let session = console::write_session(&run_dir, sine, "desktop bench", "sine")?;
    let home = run_dir.join("home");
    fs::create_dir_all(&home)?;
    let args: Vec<OsString> = vec![
        "--host".into(),
        host.into(),
        "--buffer".into(),
        buffer.to_string().into(),
        session.into_os_string(),
    ];
    let mut console = Console::spawn(Path::new(EARMIX), &args, &home, &env)?;
    let pid = console.pid().ok_or("no process id for earmix")?;
    // The console opens paused; Space plays.
    console.wait_for_text("paused", START_TIMEOUT)?;
    console.send(" ", monotonic_ns)?;
    console.wait_for_text("playing", START_TIMEOUT)?;
    let mut capture = server.start_capture()?;
    if let Err(e) = capture.wait_armed() {
        let text = console.text();
        let status = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(format!("{e}; earmix's status line: {}", status.trim()).into());
    }
    let follower = server.follow_earmix()?;

    let mut run = ConsoleRun {
        host: kind,
        buffer,
        onsets: Vec::new(),
        levels: Vec::new(),
        missed: 0,
        disturbed: 0,
        cpu_playing: None,
        cpu_paused: None,
        plays_running: Vec::new(),
        plays_parked: Vec::new(),
        plays_released: Vec::new(),
        plays_missed: 0,
    };
    let mut jitter = Jitter(0x9E37_79B9_7F4A_7C15 ^ u64::from(buffer));
    let mut muted = false;
    for _ in 0..settings.presses {
        std::thread::sleep(Duration::from_millis(jitter.next_ms(150, 350)));
        // Drop what came before the key.
        while capture.heard.try_recv().is_ok() {}
        let key = console.send("m", monotonic_ns)?;
        muted = !muted;
        match hear_press(&capture, key) {
            Some((_, _, true)) => run.disturbed += 1,
            Some((onset, level, false)) => {
                run.onsets.push(onset as f64 / 1e6);
                run.levels.push(level as f64 / 1e6);
            }
            None => run.missed += 1,
        }
    }
    if muted {
        console.send("m", monotonic_ns)?;
    }
    std::thread::sleep(Duration::from_millis(500));
    run.cpu_playing = Some(CpuUse::measure(pid, settings.cpu_seconds)?);
    console.send(" ", monotonic_ns)?;
    std::thread::sleep(Duration::from_secs(1) + RELEASE_AFTER);
    run.cpu_paused = Some(CpuUse::measure(pid, settings.cpu_seconds)?);
    for (idle, plays, count) in [
        (PLAY_RUNNING_AFTER, &mut run.plays_running, settings.plays),
        (PLAY_PARKED_AFTER, &mut run.plays_parked, settings.plays),
        (
            PLAY_PARKED_AFTER + RELEASE_AFTER,
            &mut run.plays_released,
            settings.plays.min(3),
        ),
    ] {
        for _ in 0..count {
            // Paused here: play, let the sine settle, pause, and wait `idle`.
            std::thread::sleep(Duration::from_millis(jitter.next_ms(300, 500)));
            console.send(" ", monotonic_ns)?;
            std::thread::sleep(Duration::from_millis(jitter.next_ms(300, 500)));
            console.send(" ", monotonic_ns)?;
            std::thread::sleep(idle);
            while capture.heard.try_recv().is_ok() {}
            let key = console.send(" ", monotonic_ns)?;
            match hear_play(&capture, key) {
                Some(onset) => plays.push(onset as f64 / 1e6),
                None => run.plays_missed += 1,
            }
            console.send(" ", monotonic_ns)?;
        }
    }
    drop(follower);
    drop(capture);
    drop(console);
    drop(server);
    Ok(run)
}

// ---------------------------------------------------------------------------------------------
// Dropouts with `play --no-ui`

/// What one dropout run measured.
struct DropoutRun {
    host: HostKind,
    buffer: u32,
    load: bool,
    seconds: f64,
    /// The counts earmix's last status line gave, by name.
    counted: Vec<(String, u64)>,
    /// Gaps in the recording, their total and longest length (frames).
    gaps: usize,
    gap_frames: u64,
    longest_gap: u64,
    /// How much of the run the recording itself has no frames for (ns), and its stream's
    /// errors.
    lost_ns: i64,
    capture_errors: u64,
}

/// Words in earmix's status line that name a dropout count.
const DROPOUT_WORDS: [&str; 8] = [
    "underrun", "xrun", "late", "restart", "gap", "dropout", "lost", "missed",
];

/// The dropout counts in a status line, read loosely: every number next to a word that names
/// a kind of dropout ("underruns 0", "xruns 2", "late 1", "3 restarts"); when the line gives a
/// total ("dropouts 3"), only that, so a total and its parts are not counted twice.
fn dropout_counts(line: &str) -> Vec<(String, u64)> {
    let tokens: Vec<&str> = line
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let is_dropout_word = |t: &str| {
        let t = t.to_ascii_lowercase();
        DROPOUT_WORDS.iter().any(|w| t.starts_with(w))
    };
    let mut counts = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let Ok(n) = t.parse::<u64>() else { continue };
        let before = i.checked_sub(1).and_then(|j| tokens.get(j));
        let after = tokens.get(i + 1);
        if let Some(w) = before.filter(|w| is_dropout_word(w)) {
            counts.push(((*w).to_string(), n));
        } else if let Some(w) = after.filter(|w| is_dropout_word(w)) {
            counts.push(((*w).to_string(), n));
        }
    }
    let is_total = |w: &str| w.to_ascii_lowercase().starts_with("dropout");
    if counts.iter().any(|(w, _)| is_total(w)) {
        counts.retain(|(w, _)| is_total(w));
    }
    counts
}

/// A busy loop in a child process of its own (this binary again).
fn spinner() -> BoxResult<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .env(CHILD_ENV, "spin")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?)
}

fn run_dropouts(
    kind: HostKind,
    buffer: u32,
    load: bool,
    sine: &Path,
    work: &Path,
    settings: &Settings,
) -> BoxResult<DropoutRun> {
    let server = Server::start(kind, buffer)?;
    let (host, env) = server.earmix_client()?;
    let run_dir = work.join(format!("play-{host}-{buffer}-{load}"));
    let session = console::write_session(&run_dir, sine, "desktop bench", "sine")?;
    let home = run_dir.join("home");
    fs::create_dir_all(&home)?;
    let mut spinners = Vec::new();
    if load {
        spinners.push(spinner()?);
        spinners.push(spinner()?);
    }
    let seconds = settings.dropout_seconds;
    let mut earmix = Command::new(EARMIX)
        .args(["play", "--no-ui", "--host", host, "--buffer"])
        .arg(buffer.to_string())
        .arg(&session)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = earmix.stderr.take().ok_or("no earmix stderr")?;
    let lines = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });
    let result = (|| -> BoxResult<DropoutRun> {
        let mut capture = server.start_capture()?;
        capture.wait_armed()?;
        // Wall-clock time, not `--seconds` (device time, which a starved server stretches).
        std::thread::sleep(Duration::from_secs_f64(seconds));
        if let Some(status) = earmix.try_wait()? {
            let lines = lines.join().map_err(|_| "the stderr reader panicked")?;
            return Err(format!(
                "earmix play stopped early ({status}):\n{}",
                lines.join("\n")
            )
            .into());
        }
        // ctrl-c: earmix stops and prints its last status line.
        let pid = nix::unistd::Pid::from_raw(i32::try_from(earmix.id())?);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT)?;
        let deadline = Instant::now() + START_TIMEOUT;
        while earmix.try_wait()?.is_none() {
            if Instant::now() >= deadline {
                return Err("earmix play did not stop on ctrl-c".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Let the capture hand over its last lines.
        std::thread::sleep(Duration::from_millis(300));
        let lines = lines.join().map_err(|_| "the stderr reader panicked")?;
        let last_status = lines
            .iter()
            .rev()
            .find(|l| !dropout_counts(l).is_empty())
            .ok_or_else(|| format!("no status line from earmix play:\n{}", lines.join("\n")))?;
        let mut run = DropoutRun {
            host: kind,
            buffer,
            load,
            seconds,
            counted: dropout_counts(last_status),
            gaps: 0,
            gap_frames: 0,
            longest_gap: 0,
            lost_ns: 0,
            capture_errors: 0,
        };
        while let Ok(heard) = capture.heard.try_recv() {
            match heard {
                Heard::Gap { frames, .. } => {
                    run.gaps += 1;
                    run.gap_frames += frames;
                    run.longest_gap = run.longest_gap.max(frames);
                }
                Heard::Loss(ns) => run.lost_ns = ns,
                Heard::Errors(n) => run.capture_errors = n,
                _ => {}
            }
        }
        Ok(run)
    })();
    let _ = earmix.kill();
    let _ = earmix.wait();
    for mut s in spinners {
        let _ = s.kill();
        let _ = s.wait();
    }
    result
}

// ---------------------------------------------------------------------------------------------
// Report

/// The `q` quantile of `values` (nearest rank).
fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied()
}

fn percent(share: Option<f64>) -> String {
    share.map_or("-".into(), |s| format!("{:.1}%", s * 100.0))
}

fn p50_p99(values: &[f64]) -> String {
    match (quantile(values, 0.5), quantile(values, 0.99)) {
        (Some(a), Some(b)) => format!("{a:.1} / {b:.1} ms"),
        _ => "-".into(),
    }
}

fn print_console_table(runs: &[ConsoleRun], presses: usize) {
    if runs.is_empty() {
        return;
    }
    println!();
    println!(
        "Key to sound at the server (m on a 1 kHz sine, {presses} presses per row; ms from the \
         key to the first frame that changed by 5% of the peak, and to the first within 5% of \
         the new level), earmix's CPU (share of one core, whole process) playing and paused \
         (parked), and Space on the paused console to the sine's first frame, the stream still \
         running (0.3 s after the pause), parked (1.6 s after) and past the release delay \
         (1.6 s after it; on JACK a new client is built):"
    );
    println!();
    println!(
        "| host | buffer | change starts p50 / p99 | new level p50 / p99 | heard | CPU playing | \
         CPU paused | paused, besides the UI thread | play, stream running | play from parked | \
         play past the release |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in runs {
        let mut heard = format!("{}/{presses}", r.levels.len());
        if r.disturbed > 0 {
            let _ = write!(heard, " ({} with a gap)", r.disturbed);
        }
        let mut parked = p50_p99(&r.plays_parked);
        if r.plays_missed > 0 {
            let _ = write!(parked, " ({} plays not heard)", r.plays_missed);
        }
        println!(
            "| {} | {} ({:.2} ms) | {} | {} | {heard} | {} | {} | {} | {} | {parked} | {} |",
            r.host.label(),
            r.buffer,
            f64::from(r.buffer) * 1000.0 / 48_000.0,
            p50_p99(&r.onsets),
            p50_p99(&r.levels),
            percent(r.cpu_playing.as_ref().map(|c| c.process)),
            percent(r.cpu_paused.as_ref().map(|c| c.process)),
            percent(
                r.cpu_paused
                    .as_ref()
                    .map(|c| (c.process - c.main_thread).max(0.0))
            ),
            p50_p99(&r.plays_running),
            p50_p99(&r.plays_released),
        );
    }
    println!();
    println!("The busiest threads (by name) over the same seconds:");
    println!();
    for r in runs {
        let busiest = |c: &Option<CpuUse>| c.as_ref().map_or("-".into(), CpuUse::busiest);
        println!(
            "- {}, {}: playing {}; paused {}",
            r.host.label(),
            r.buffer,
            busiest(&r.cpu_playing),
            busiest(&r.cpu_paused)
        );
    }
}

fn print_dropout_table(runs: &[DropoutRun]) {
    if runs.is_empty() {
        return;
    }
    println!();
    println!(
        "Dropouts (`earmix play --no-ui`; the load is two busy loops): what earmix counted \
         and the gaps in the recording at the server:"
    );
    println!();
    println!(
        "| host | buffer | load | played | earmix counted | per minute | gaps heard | per \
         minute | longest gap | missing from the recording |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in runs {
        let minutes = r.seconds / 60.0;
        let counted: u64 = r.counted.iter().map(|(_, n)| n).sum();
        let breakdown: Vec<String> = r.counted.iter().map(|(w, n)| format!("{w} {n}")).collect();
        let recording = if r.capture_errors == 0 {
            format!("{:.1} ms", r.lost_ns.max(0) as f64 / 1e6)
        } else {
            format!(
                "{:.1} ms, {} capture errors",
                r.lost_ns.max(0) as f64 / 1e6,
                r.capture_errors
            )
        };
        println!(
            "| {} | {} | {} | {:.0} s | {counted} ({}) | {:.1} | {} ({:.1} ms) | {:.1} | {:.1} ms \
             | {recording} |",
            r.host.label(),
            r.buffer,
            if r.load { "2 busy loops" } else { "none" },
            r.seconds,
            breakdown.join(", "),
            counted as f64 / minutes,
            r.gaps,
            r.gap_frames as f64 / 48.0,
            r.gaps as f64 / minutes,
            r.longest_gap as f64 / 48.0,
        );
    }
}

/// Writes the sine stem (sox) into `dir`; returns its path.
fn write_sine(dir: &Path, seconds: f64) -> BoxResult<PathBuf> {
    let wav = dir.join("sine.wav");
    let status = Command::new("sox")
        .args([
            "-n",
            "-r",
            "48000",
            "-c",
            "2",
            "-b",
            "24",
            "-e",
            "signed-integer",
        ])
        .arg(&wav)
        .args([
            "synth",
            &format!("{seconds:.0}"),
            "sine",
            &SINE_HZ.to_string(),
        ])
        .args(["vol", &SINE_PEAK.to_string()])
        .status()
        .map_err(|e| format!("sox is needed to make the sine stem (apt install sox): {e}"))?;
    if !status.success() {
        return Err(format!("sox failed ({status})").into());
    }
    Ok(wav)
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
    let work = tempfile::Builder::new()
        .prefix("earmix-desktop-bench-")
        .tempdir()?;
    let console_seconds = settings.presses as f64 * 0.5
        + settings.plays as f64 * 2.0
        + settings.cpu_seconds * 2.0
        + 10.0;
    let sine = write_sine(
        work.path(),
        settings.dropout_seconds.max(console_seconds) + 30.0,
    )?;
    println!(
        "earmix desktop bench, {}: {} ({} cores), PipeWire {}, jackd {}; earmix {} (release)",
        today(),
        procfs::cpu_model(),
        std::thread::available_parallelism().map_or(0, usize::from),
        PipeWire::version(),
        Jack::version(),
        env!("CARGO_PKG_VERSION"),
    );
    let mut console_runs = Vec::new();
    let mut dropout_runs = Vec::new();
    let mut failures = Vec::new();
    for &kind in &settings.hosts {
        let unavailable = match kind {
            HostKind::PipeWire => PipeWire::unavailable(),
            HostKind::Jack => Jack::unavailable(),
        };
        if let Some(why) = unavailable {
            println!("{}: skipped: {why}", kind.label());
            continue;
        }
        for &buffer in &settings.buffers {
            eprintln!(
                "{}, {buffer} frames: key to sound and CPU ...",
                kind.label()
            );
            match run_console(kind, buffer, &sine, work.path(), &settings) {
                Ok(run) => console_runs.push(run),
                Err(e) => failures.push(format!("{}, {buffer} frames, console: {e}", kind.label())),
            }
        }
        for &buffer in &settings.dropout_buffers {
            for load in [false, true] {
                eprintln!(
                    "{}, {buffer} frames, {}: dropouts over {} s ...",
                    kind.label(),
                    if load { "loaded" } else { "idle" },
                    settings.dropout_seconds
                );
                match run_dropouts(kind, buffer, load, &sine, work.path(), &settings) {
                    Ok(run) => dropout_runs.push(run),
                    Err(e) => failures.push(format!(
                        "{}, {buffer} frames, dropouts{}: {e}",
                        kind.label(),
                        if load { " under load" } else { "" }
                    )),
                }
            }
        }
    }
    print_console_table(&console_runs, settings.presses);
    print_dropout_table(&dropout_runs);
    if !failures.is_empty() {
        let mut text = String::from("some runs failed:");
        for f in &failures {
            let _ = write!(text, "\n- {f}");
        }
        return Err(text.into());
    }
    Ok(())
}

/// A child that spins until its standard input closes (the bench ended, or was killed).
fn spin() {
    std::thread::spawn(|| {
        let mut x = 0u64;
        loop {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
    });
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

fn main() -> ExitCode {
    let child = std::env::var(CHILD_ENV).unwrap_or_default();
    let result = match child.as_str() {
        "spin" => {
            spin();
            Ok(())
        }
        "follow" => follow(),
        "capture" => {
            // Stop when the bench goes away (its end of our standard input closes).
            std::thread::spawn(|| {
                let _ = std::io::stdin().read_to_end(&mut Vec::new());
                std::process::exit(0);
            });
            capture::run()
        }
        _ => run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("desktop bench: {e}");
            ExitCode::FAILURE
        }
    }
}
