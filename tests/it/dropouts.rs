//! Realtime priority and honest dropouts, through the real binary (`earmix play --no-ui`): the
//! audio thread's scheduling read from /proc, with and without the permission to raise it; and
//! gaps forced by stopping earmix (SIGSTOP/SIGCONT) while it plays a sine to a paced `PipeWire`
//! null sink, found in a recording of what the sink received and compared with what earmix
//! counted. These run as root here and in CI (so earmix may set `SCHED_FIFO`); the refused case
//! drops the capability and the limit for the child with `setpriv` and `prlimit` (util-linux).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::servers::{PIPEWIRE_SINK, PipeWire};
use crate::support::{TempSession, earmix_in};

/// `SCHED_FIFO` in /proc/PID/task/TID/stat.
const SCHED_FIFO: u32 = 1;

/// One `PipeWire` test at a time: two servers and two players at once on two cores would make
/// the very gaps these tests count.
static ONE_SERVER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_server() -> std::sync::MutexGuard<'static, ()> {
    ONE_SERVER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A session of one continuous 441 Hz stereo sine at 48 kHz, `seconds` long, made by sox (no
/// run of exact zeros anywhere, so every run of zeros in a recording is a gap).
fn sine_session(ts: &TempSession, seconds: u32) -> PathBuf {
    std::fs::create_dir_all(ts.path("stems")).unwrap();
    let status = Command::new("sox")
        .args([
            "-n",
            "-r",
            "48000",
            "-c",
            "2",
            "-b",
            "32",
            "-e",
            "floating-point",
        ])
        .arg(ts.path("stems/sine.wav"))
        .args(["synth", &seconds.to_string(), "sine", "441", "gain", "-6"])
        .status()
        .expect("sox runs (apt install sox)");
    assert!(status.success(), "sox failed");
    ts.write_session(
        "version = 1\nname = \"Sine\"\nsample_rate = 48000\n\n[[channel]]\nname = \"Sine\"\n\
         file = \"stems/sine.wav\"\n",
    )
}

/// `earmix play SESSION --no-ui ARGS`, with HOME inside `ts` and no system D-Bus (so rtkit
/// never answers, whatever runs on this machine).
fn play(ts: &TempSession, session: &Path, args: &[&str]) -> Command {
    let mut c = earmix_in(&ts.path("home"));
    c.env(
        "DBUS_SYSTEM_BUS_ADDRESS",
        "unix:path=/nonexistent/earmix-test-bus",
    )
    .arg("play")
    .arg(session)
    .arg("--no-ui")
    .args(args);
    c
}

/// A running earmix whose stderr lines are collected by a thread. Killed when dropped.
struct Playing {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Playing {
    fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// Waits up to `timeout` for a line holding `text`.
    fn wait_for(&mut self, text: &str, timeout: Duration) -> Option<String> {
        if let Some(line) = self.seen.iter().find(|l| l.contains(text)) {
            return Some(line.clone());
        }
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(line) = self.lines.recv_timeout(left) else {
                return None;
            };
            self.seen.push(line.clone());
            if line.contains(text) {
                return Some(line);
            }
        }
        None
    }

    /// Waits for earmix to exit (up to `timeout`, then kills it) and returns all it printed.
    fn finish(mut self, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        while self.child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(line);
        }
        self.seen.join("\n")
    }
}

impl Drop for Playing {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each thread of process `pid`: its name, scheduling policy and realtime priority, from
/// /proc/PID/task/TID/stat (fields 40 and 41).
fn threads(pid: Pid) -> Vec<(String, u32, u32)> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let (Ok(comm), Ok(stat)) = (
            std::fs::read_to_string(task.path().join("comm")),
            std::fs::read_to_string(task.path().join("stat")),
        ) else {
            continue;
        };
        // Fields after the ")" closing the name start at field 3 (the state).
        let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse().ok()).unwrap_or(0);
        out.push((comm.trim().to_string(), field(41), field(40)));
    }
    out
}

/// Polls the threads of `pid` until `done` holds for them (up to 5 s); returns the last look.
fn threads_until(
    pid: Pid,
    done: impl Fn(&[(String, u32, u32)]) -> bool,
) -> Vec<(String, u32, u32)> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = threads(pid);
        if done(&now) || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Allowed to (as root), earmix runs its audio thread (here the null output's) at
/// `SCHED_FIFO` 70, says so on its status line and in its summary, and leaves every other
/// thread (main, supervisor, meters, stem I/O, creek's readers) out of the realtime class.
#[test]
fn the_audio_thread_alone_gets_realtime_priority() {
    let ts = TempSession::new();
    let session = sine_session(&ts, 10);
    let mut playing = Playing::spawn(play(&ts, &session, &["--output", "null", "--seconds", "2"]));
    let line = playing.wait_for("output: ", Duration::from_secs(10));
    assert_eq!(
        line.as_deref(),
        Some("output: realtime priority: SCHED_FIFO 70, set by earmix")
    );
    let seen = threads_until(playing.pid(), |t| {
        t.iter()
            .any(|(name, policy, _)| name == "earmix-null-out" && *policy == SCHED_FIFO)
    });
    let realtime: Vec<_> = seen
        .iter()
        .filter(|(_, policy, _)| *policy != 0 && *policy != 3)
        .collect();
    assert_eq!(
        realtime,
        [&("earmix-null-out".to_string(), SCHED_FIFO, 70)],
        "threads: {seen:?}"
    );
    let status = playing
        .wait_for("  playing  ", Duration::from_secs(5))
        .unwrap();
    assert!(status.ends_with("  running  RT"), "{status}");
    let out = playing.finish(Duration::from_secs(10));
    let summary = out.lines().find(|l| l.starts_with("dropouts: "));
    assert!(
        summary.is_some_and(|l| l.ends_with("; realtime priority: SCHED_FIFO 70, set by earmix")),
        "{out}"
    );
}

/// Without `CAP_SYS_NICE`, with `RLIMIT_RTPRIO` at 0 and no rtkit to ask, the audio thread
/// stays at normal priority and earmix says why on its status line and in its summary.
#[test]
fn without_permission_the_status_line_says_why() {
    let ts = TempSession::new();
    let session = sine_session(&ts, 10);
    let earmix = play(&ts, &session, &["--output", "null", "--seconds", "1.5"]);
    let mut c = Command::new("setpriv");
    c.args([
        "--inh-caps=-sys_nice",
        "--bounding-set=-sys_nice",
        "prlimit",
        "--rtprio=0",
    ])
    .arg(earmix.get_program())
    .args(earmix.get_args());
    for (key, value) in earmix.get_envs() {
        match value {
            Some(value) => c.env(key, value),
            None => c.env_remove(key),
        };
    }
    let mut playing = Playing::spawn(c);
    let status = playing
        .wait_for("  playing  ", Duration::from_secs(10))
        .unwrap();
    assert!(
        status.ends_with("  running  no RT: RLIMIT_RTPRIO is 0 and rtkit did not answer"),
        "{status}"
    );
    let seen = threads(playing.pid());
    assert!(
        seen.iter().any(|(name, _, _)| name == "earmix-null-out"),
        "{seen:?}"
    );
    assert!(
        seen.iter().all(|(_, policy, _)| *policy != SCHED_FIFO),
        "{seen:?}"
    );
    let out = playing.finish(Duration::from_secs(10));
    assert!(
        out.contains(
            "output: no realtime priority: RLIMIT_RTPRIO is 0 and rtkit did not answer \
             (SCHED_FIFO: Operation not permitted"
        ),
        "{out}"
    );
}

/// pw-record capturing the null sink's monitor into `path` (32-bit float stereo WAV).
fn record(pw: &PipeWire, path: &Path) -> Child {
    let child = pw
        .command("pw-record")
        .args(["--target", PIPEWIRE_SINK, "-P", "stream.capture.sink=true"])
        .args(["--format", "f32", "--rate", "48000", "--channels", "2"])
        .arg(path)
        .spawn()
        .unwrap();
    // Recording before earmix starts: the file grows past its header.
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::metadata(path).map_or(0, |m| m.len()) < 4096 {
        assert!(Instant::now() < deadline, "pw-record did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Stops pw-record (it finishes its file on SIGINT) and returns the stereo frames it wrote.
fn stop_recording(mut child: Child, path: &Path) -> Vec<[f32; 2]> {
    let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGINT);
    let _ = child.wait();
    let bytes = std::fs::read(path).unwrap();
    let data = bytes
        .windows(4)
        .position(|w| w == b"data")
        .expect("a data chunk")
        + 8;
    bytes[data..]
        .chunks_exact(8)
        .map(|f| {
            [
                f32::from_le_bytes([f[0], f[1], f[2], f[3]]),
                f32::from_le_bytes([f[4], f[5], f[6], f[7]]),
            ]
        })
        .collect()
}

/// earmix's buffer in these tests (its default), which the server takes as its quantum.
const PERIOD: usize = 256;

/// The stream's first moments, which earmix does not judge on `PipeWire`: the step from its
/// first callback to its second, while the server links the new node (see the heartbeat's
/// notes), lasts up to about four cycles and a gap there is not counted. Gaps beginning within
/// this many frames of the first sound are left out of the comparison (100 ms).
const START_UNJUDGED: usize = 4_800;

/// The gaps of `heard` that earmix judges: those past the stream's first moments.
fn judged(frames: &[[f32; 2]], heard: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let first = frames
        .iter()
        .position(|f| f[0] != 0.0 || f[1] != 0.0)
        .unwrap_or(0);
    heard
        .iter()
        .copied()
        .filter(|&(start, _)| start >= first + START_UNJUDGED)
        .collect()
}

/// Runs of silence of at least 16 frames (a third of a millisecond) in both channels, between
/// the first and the last sound: (first frame, frames).
fn gaps(frames: &[[f32; 2]]) -> Vec<(usize, usize)> {
    let sound = |f: &[f32; 2]| f[0] != 0.0 || f[1] != 0.0;
    let (Some(first), Some(last)) = (
        frames.iter().position(sound),
        frames.iter().rposition(sound),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut run: Option<usize> = None;
    for (n, frame) in frames.iter().enumerate().take(last + 1).skip(first) {
        match (sound(frame), run) {
            (false, None) => run = Some(n),
            (true, Some(start)) => {
                if n - start >= 16 {
                    out.push((start, n - start));
                }
                run = None;
            }
            _ => {}
        }
    }
    out
}

/// The numbers in `play --no-ui`'s closing line: (xruns, late callbacks, restarts).
fn dropouts(out: &str) -> (u64, u64, u64) {
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("dropouts: "))
        .unwrap_or_else(|| panic!("no dropouts line in:\n{out}"));
    let numbers: Vec<u64> = line
        .split([' ', '('])
        .filter_map(|w| w.parse().ok())
        .collect();
    (numbers[0], numbers[1], numbers[3])
}

/// earmix playing a sine to a paced `PipeWire` sink is stopped (SIGSTOP, then SIGCONT) four
/// times, for 50 to 450 ms: the recording of the sink shows the gaps, and earmix counted at
/// least as many dropouts (past the stream's first moments, see [`START_UNJUDGED`]). The 450
/// ms stop is longer than the old 300 ms stall timeout: the server still answers, so it is a
/// late callback, not a lost device.
#[test]
fn gaps_heard_at_the_server_are_counted() {
    let _one = one_server();
    let ts = TempSession::new();
    let session = sine_session(&ts, 30);
    let pw = PipeWire::start();
    let recording = pw.dir().join("sink.wav");
    let recorder = record(&pw, &recording);
    let mut command = play(&ts, &session, &["--host", "pipewire", "--seconds", "5"]);
    pw.client(&mut command);
    let mut playing = Playing::spawn(command);
    assert!(
        playing
            .wait_for("  playing  ", Duration::from_secs(10))
            .is_some(),
        "{:?}",
        playing.seen
    );
    for stop in [50, 120, 200, 450] {
        kill(playing.pid(), Signal::SIGSTOP).unwrap();
        std::thread::sleep(Duration::from_millis(stop));
        kill(playing.pid(), Signal::SIGCONT).unwrap();
        std::thread::sleep(Duration::from_millis(400));
    }
    let out = playing.finish(Duration::from_secs(15));
    let frames = stop_recording(recorder, &recording);
    let heard = gaps(&frames);
    let (xruns, late, restarts) = dropouts(&out);
    eprintln!(
        "gaps at the sink (frame, frames): {heard:?}; earmix: {xruns} xruns, {late} late, {restarts} restarts"
    );
    assert!(
        heard.len() >= 4,
        "the stops left {heard:?} in the recording"
    );
    let judged = judged(&frames, &heard);
    assert!(
        xruns + late + restarts >= judged.len() as u64,
        "the sink had {} gaps past the stream's first moments, earmix counted {xruns} xruns, \
         {late} late callbacks and {restarts} restarts:\n{out}",
        judged.len()
    );
    assert!(!out.contains("audio device lost"), "{out}");
    assert_eq!(restarts, 0, "{out}");
}

/// The same sine played for 5 s without stops: earmix counts (close to) no dropouts: at least
/// the gaps the sink heard past the stream's first moments (a loaded machine may cause some;
/// see [`START_UNJUDGED`]) and at most two more than the
/// periods those gaps span (earmix counts each skipped cycle, and one silent stretch of the
/// recording may hold several; a stall of the whole machine delays the server too, so its
/// recording has no gap where earmix's clock saw one).
#[test]
fn a_run_without_stops_counts_no_dropouts() {
    let _one = one_server();
    let ts = TempSession::new();
    let session = sine_session(&ts, 30);
    let pw = PipeWire::start();
    let recording = pw.dir().join("sink.wav");
    let recorder = record(&pw, &recording);
    let mut command = play(&ts, &session, &["--host", "pipewire", "--seconds", "5"]);
    pw.client(&mut command);
    let playing = Playing::spawn(command);
    let out = playing.finish(Duration::from_secs(20));
    let frames = stop_recording(recorder, &recording);
    let heard = gaps(&frames);
    let (xruns, late, restarts) = dropouts(&out);
    assert!(
        frames.len() > 48_000 * 5,
        "recorded only {} frames",
        frames.len()
    );
    let counted = xruns + late;
    let heard_n = judged(&frames, &heard).len() as u64;
    let heard_periods: u64 = heard
        .iter()
        .map(|&(_, frames)| frames.div_ceil(PERIOD) as u64)
        .sum();
    assert!(
        heard_n <= counted && counted <= heard_periods + 2 && restarts == 0,
        "the sink heard gaps {heard:?}; earmix counted {xruns} xruns, {late} late callbacks, \
         {restarts} restarts:\n{out}"
    );
}

/// A `PipeWire` daemon frozen for 600 ms (SIGSTOP, as a server starved under load) calls back
/// late but still answers: earmix counts the gap and keeps its stream (before, it called the
/// device lost after 300 ms and restarted, itself another long gap).
#[test]
fn a_frozen_server_is_slow_not_lost() {
    let _one = one_server();
    let ts = TempSession::new();
    let session = sine_session(&ts, 30);
    let pw = PipeWire::start();
    let mut command = play(&ts, &session, &["--host", "pipewire", "--seconds", "3"]);
    pw.client(&mut command);
    let mut playing = Playing::spawn(command);
    assert!(
        playing
            .wait_for("  playing  ", Duration::from_secs(10))
            .is_some(),
        "{:?}",
        playing.seen
    );
    let daemon = Pid::from_raw(pw.daemon_pid() as i32);
    kill(daemon, Signal::SIGSTOP).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    kill(daemon, Signal::SIGCONT).unwrap();
    let out = playing.finish(Duration::from_secs(15));
    let (_, late, restarts) = dropouts(&out);
    assert!(!out.contains("audio device lost"), "{out}");
    assert_eq!(restarts, 0, "{out}");
    assert!(late >= 1, "{out}");
}

/// When the `PipeWire` daemon dies mid-play (its socket left behind), earmix reports the device
/// lost within a second and a half, because the server no longer answers.
#[test]
fn a_killed_server_is_a_lost_device() {
    let _one = one_server();
    let ts = TempSession::new();
    let session = sine_session(&ts, 30);
    let mut pw = PipeWire::start();
    let mut command = play(&ts, &session, &["--host", "pipewire", "--seconds", "20"]);
    pw.client(&mut command);
    let mut playing = Playing::spawn(command);
    assert!(
        playing
            .wait_for("  playing  ", Duration::from_secs(10))
            .is_some(),
        "{:?}",
        playing.seen
    );
    let killed = Instant::now();
    pw.kill_daemon();
    let lost = playing.wait_for("output: audio device lost", Duration::from_secs(5));
    let after = killed.elapsed();
    assert!(lost.is_some(), "{:?}", playing.seen);
    assert!(
        after < Duration::from_millis(1500),
        "lost after {after:?}: {lost:?}"
    );
}

/// The console's status line shows `RT` once the audio thread runs at realtime priority.
#[test]
fn the_console_shows_rt() {
    let ts = TempSession::new();
    let session = sine_session(&ts, 10);
    let mut c = crate::console::Console::open(&crate::console::home_in(&ts), &session, 140, 30);
    c.wait_for("the RT lamp", |screen| {
        screen
            .contents()
            .lines()
            .any(|line| line.contains("256 frames  RT  xruns 0"))
    });
}

/// The feeder's heartbeat and its publication of the audio thread allocate nothing, judging by
/// arrival (a first callback, which publishes the thread, then one 250 ms late: past the
/// warm-up, counted) or by the host's graph cycles (two callbacks, then one whose cycle came
/// 250 ms later: counted; the audio is a steady level, since a late callback bringing silence
/// is not counted).
#[test]
fn the_heartbeat_does_not_allocate() {
    use earmix::engine::output::heartbeat::monotonic_now;
    use earmix::engine::output::{Render, RendererSlot, StreamFeeder, StreamHealth};
    use std::sync::Arc;

    struct Level;
    impl Render for Level {
        fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
            left.fill(0.1);
            right.fill(0.1);
        }
    }
    let feeder = |health: &Arc<StreamHealth>| {
        let (home, _back) = mpsc::channel();
        health.set_rate(48_000);
        StreamFeeder::new(
            RendererSlot::new(Box::new(Level), home),
            Arc::clone(health),
            2,
        )
    };
    let mut data = vec![0.0f32; 256 * 2];
    let health = Arc::new(StreamHealth::new());
    let mut by_arrival = feeder(&health);
    crate::support::assert_realtime("the heartbeat", || {
        by_arrival.fill(&mut data);
        std::thread::sleep(Duration::from_millis(250));
        by_arrival.fill(&mut data);
    });
    let counters = health.counters();
    assert_eq!((counters.callbacks, counters.late), (2, 1));
    assert!(counters.late_nanos > 200_000_000, "{counters:?}");
    let thread = health.audio_thread().expect("the thread was published");
    assert_eq!(thread.seq, 1);

    let health = Arc::new(StreamHealth::new());
    let mut by_cycle = feeder(&health);
    let start = monotonic_now().expect("the monotonic clock");
    let period = Duration::from_nanos(5_333_333);
    crate::support::assert_realtime("the heartbeat on graph cycles", || {
        by_cycle.fill_in_cycle(&mut data, Some(start));
        by_cycle.fill_in_cycle(&mut data, Some(start + period));
        by_cycle.fill_in_cycle(&mut data, Some(start + period + Duration::from_millis(250)));
    });
    let counters = health.counters();
    assert_eq!((counters.callbacks, counters.late), (3, 1));
    assert!(counters.late_nanos > 240_000_000, "{counters:?}");
}
