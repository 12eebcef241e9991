//! Parking the output while the transport is idle: the engine parks its stream a second after
//! the transport stops and wakes it for any command (play, a nudge, a seek) before the audio
//! thread takes it; the meters and the loudness readout are not disturbed; a paused console
//! on a headless PipeWire costs next to no CPU (its loudness thread rests too), then plays again
//! without a dropout; and on JACK, whose paused clients are still called every period, the
//! parked console leaves the server and comes back for Space.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use earmix::engine::handle::{Engine, EngineOptions};
use earmix::engine::output::{
    FaultHandle, OutputRequest, OutputState, Pacing, RELEASE_AFTER, Recording, ScriptedBackend,
    ScriptedConfig,
};
use earmix::units::{Decibels, Seconds, StripId};

use crate::support::{TempSession, write_wav_f32};

const RATE: u32 = 48_000;

/// A stereo 1 kHz sine session, `seconds` long, at -12 dBFS.
fn sine_session(ts: &TempSession, seconds: usize) -> PathBuf {
    let n = RATE as usize * seconds;
    let sine: Vec<f32> = (0..n)
        .map(|i| 0.25 * (i as f32 * 1000.0 * std::f32::consts::TAU / RATE as f32).sin())
        .collect();
    write_wav_f32(&ts.path("stems/sine.wav"), RATE, &[sine.clone(), sine]);
    ts.write_session(
        "version = 1\nname = \"Sine\"\nsample_rate = 48000\n\n[[channel]]\nname = \"Sine\"\n\
         file = \"stems/sine.wav\"\n",
    )
}

/// Polls `engine` (as the console does every frame) until `done` holds; panics after 5 s
/// naming `what`.
fn wait_until(engine: &mut Engine, what: &str, done: impl Fn(&Engine) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        engine.update();
        if done(engine) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; output {:?}",
            engine.output().health()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// An engine on a scripted device at 4x real time, opened paused.
fn paused_engine(ts: &TempSession) -> (Engine, FaultHandle, Recording) {
    let session = earmix::session::load(&sine_session(ts, 20)).unwrap();
    let backend = ScriptedBackend::new(ScriptedConfig {
        pacing: Pacing::Speed(4.0),
        ..ScriptedConfig::default()
    });
    let (faults, recording) = (backend.faults(), backend.recording());
    let opts = EngineOptions {
        output: OutputRequest::default(),
        start: Seconds(0.0),
        play: false,
        looping: None,
        ceiling: Decibels(earmix::engine::realtime::DEFAULT_CEILING_DB),
        stream_memory_mib: earmix::engine::stream_plan::DEFAULT_BUDGET_MIB,
    };
    let engine = Engine::open_with_backend(&session, &opts, Box::new(backend)).unwrap();
    (engine, faults, recording)
}

fn parked(engine: &Engine) -> bool {
    engine.output().health().state == OutputState::Parked
}

/// A paused engine parks its stream (after a second of device time); a nudge, a seek and Play
/// each wake it, and the audio thread takes each command (the nudge and the seek on a stopped
/// transport, then Play, which plays from the place sought). The engine parks again after each
/// of the first two, once idle; playing, it does not. No late callback, xrun or restart is
/// counted across the parks, and playing then pausing parks once more.
#[test]
fn a_paused_engine_parks_and_any_command_wakes_it() {
    let ts = TempSession::new();
    let (mut engine, faults, recording) = paused_engine(&ts);
    wait_until(&mut engine, "the first park", parked);
    assert_eq!(faults.parks(), 1);
    let frames = recording.len();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(recording.len(), frames, "the parked stream played on");

    let commands = |e: &Engine| e.counters().commands.load(Ordering::Relaxed);
    let before = commands(&engine);
    engine.set_gain(StripId(0), Decibels(-3.0));
    wait_until(&mut engine, "the nudge to be taken", |e| {
        commands(e) > before
    });
    assert_eq!(faults.unparks(), 1);
    wait_until(&mut engine, "the park after the nudge", |e| {
        parked(e) && faults.parks() == 2
    });

    let before = commands(&engine);
    engine.seek(Seconds(5.0));
    wait_until(&mut engine, "the seek to be taken", |e| {
        commands(e) > before && e.position_frame() == 5 * u64::from(RATE)
    });
    assert_eq!(faults.unparks(), 2);
    wait_until(&mut engine, "the park after the seek", |e| {
        parked(e) && faults.parks() == 3
    });

    engine.play();
    wait_until(&mut engine, "playing from 5 s", |e| {
        e.is_playing() && e.position().0 > 6.0
    });
    assert_eq!((faults.unparks(), faults.parks()), (3, 3));
    assert_eq!(engine.output().health().state, OutputState::Running);
    engine.pause();
    wait_until(&mut engine, "the park after playing", |e| {
        parked(e) && faults.parks() == 4
    });
    let health = engine.output().health();
    assert_eq!(
        (
            health.late,
            health.xruns,
            health.restarts,
            health.device_lost
        ),
        (0, 0, 0, 0),
        "{health:?}"
    );
    assert_eq!(faults.streams_started(), 1);
    assert_eq!(engine.unsent_commands(), 0);
}

/// While parked the meters read silence (nothing is played, so nothing is metered: the
/// console's ballistics fall as after any pause) and the loudness readout keeps the values it
/// had when the transport stopped.
#[test]
fn meters_fall_and_loudness_holds_while_parked() {
    let ts = TempSession::new();
    let (mut engine, _faults, _recording) = paused_engine(&ts);
    engine.play();
    wait_until(&mut engine, "a second played", |e| e.position().0 > 1.0);
    let (_, master) = engine.take_meters();
    assert!(master.peak > 0.1, "the sine was metered: {master:?}");
    engine.pause();
    wait_until(&mut engine, "the park", parked);
    let loudness = engine.loudness();
    assert!(loudness.momentary_lufs.is_finite(), "{loudness:?}");
    let _ = engine.take_meters();
    std::thread::sleep(Duration::from_millis(300));
    let (strips, master) = engine.take_meters();
    assert_eq!(master.peak, 0.0, "{master:?}");
    assert!(strips.iter().all(|s| s.peak == 0.0), "{strips:?}");
    let now = engine.loudness();
    let held = |r: &earmix::engine::loudness::LoudnessReading| {
        (
            r.momentary_lufs,
            r.short_term_lufs,
            r.integrated_lufs,
            r.loudness_range_lu,
            r.true_peak_dbtp,
            r.frames_measured,
        )
    };
    assert_eq!(held(&now), held(&loudness));
}

/// The earmix process's CPU time so far (utime + stime of /proc/PID/stat), in clock ticks.
fn cpu_ticks(pid: i32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let (_, rest) = stat.rsplit_once(')').unwrap();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name, the state is field 3; utime and stime are fields 14 and 15.
    fields[14 - 3].parse::<u64>().unwrap() + fields[15 - 3].parse::<u64>().unwrap()
}

/// /proc's clock ticks per second (`getconf CLK_TCK`).
fn ticks_per_second() -> u64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Wake-ups (voluntary and involuntary context switches) of `pid`'s thread called `name` so
/// far, from /proc/PID/task/*/status.
fn thread_wakeups(pid: i32, name: &str) -> u64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    for task in tasks {
        let dir = task.unwrap().path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let status = std::fs::read_to_string(dir.join("status")).unwrap();
        return status
            .lines()
            .filter(|l| l.contains("ctxt_switches:"))
            .map(|l| l.split_whitespace().last().unwrap().parse::<u64>().unwrap())
            .sum();
    }
    panic!("earmix has no thread called {name}");
}

/// The console, paused on a headless PipeWire (cpal's native host), parks its stream: over 5 s
/// cpal's PipeWire thread (`pw_out`, which runs the stream's callbacks) wakes fewer than 25
/// times, where a running stream at 256 frames wakes it about 935 times, and the whole process
/// uses less than 2% of a core in CPU time (utime + stime: under 10 ticks at 100 Hz). Parked,
/// this debug build measured 0.7% (7 ticks in 10 s: the console's UI thread 3, the
/// supervisor, the stem reader and the loudness thread 1 each), and 1.2% in a CI run beside the
/// rest of the suite; with the stream left running it costs about 2% and more. The loudness
/// thread rests meanwhile: under 40 wake-ups in the 5 s (it woke about 330 times, every 15 ms,
/// before it rested). Then Space plays: the status line says playing, the clock runs, the
/// momentary loudness reads the sine's -12.0 LUFS, and no xrun, restart or underrun is counted.
#[test]
fn a_paused_console_on_pipewire_costs_almost_no_cpu_and_plays_again() {
    let pw = crate::servers::PipeWire::start();
    let ts = TempSession::new();
    let session = sine_session(&ts, 30);
    let mut console = crate::hosts::console_on_pipewire(&pw, &session, 120, 30);
    console.wait_for_text(&["Sine", "paused", "PipeWire"]);
    // The console opens paused: a second of idle device time, then the park.
    std::thread::sleep(Duration::from_secs(2));
    let pid = console.pid().as_raw();
    let before = cpu_ticks(pid);
    let loudness_before = thread_wakeups(pid, "earmix-loudness");
    let stream_before = thread_wakeups(pid, "pw_out");
    std::thread::sleep(Duration::from_secs(5));
    let used = cpu_ticks(pid) - before;
    let loudness_wakeups = thread_wakeups(pid, "earmix-loudness") - loudness_before;
    let stream_wakeups = thread_wakeups(pid, "pw_out") - stream_before;
    assert!(
        stream_wakeups < 25,
        "cpal's PipeWire thread woke {stream_wakeups} times in 5 s while parked"
    );
    assert!(
        loudness_wakeups < 40,
        "the loudness thread woke {loudness_wakeups} times in 5 s while parked"
    );
    let share = used as f64 / (5 * ticks_per_second()) as f64;
    assert!(
        share < 0.02,
        "paused, earmix used {used} ticks in 5 s ({:.2}% of a core); screen:\n{}",
        share * 100.0,
        console.text()
    );
    console.send(" ");
    console.wait_for_text(&["playing"]);
    std::thread::sleep(Duration::from_millis(1500));
    let screen = console.text();
    assert!(
        screen.contains("xruns 0") && screen.contains("underruns 0"),
        "{screen}"
    );
    // No restart: the stream resumed. (Late callbacks are not judged here: a loaded machine
    // makes them, and the full suite's load made one or two in these 1.5 s.)
    assert!(!screen.contains("restarts "), "{screen}");
    assert!(screen.contains("0:01"), "the clock did not run: {screen}");
    console.wait_for_text(&["-12.0 LUFS"]);
    console.send("q");
}

/// Whether `ports` (as `jack_lsp` lists them) hold an output port of the console `pid`'s
/// stream (cpal names its client `cpal_client_PID_out`).
fn has_earmix_ports(ports: &[String], pid: i32) -> bool {
    let ours = format!("cpal_client_{pid}_out:");
    ports.iter().any(|p| p.starts_with(&ours))
}

/// The console, paused on a JACK dummy (cpal's JACK host, whose paused client jackd still
/// calls every period), keeps its client for a short pause (its ports are there 5 s in, for a
/// fast resume), then lets go of it ([`RELEASE_AFTER`], 10 s, after parking): `jack_lsp` lists
/// none of its ports.
/// Space builds the client again: its ports come back, the clock runs (the server pulls the
/// audio), the momentary loudness reads the sine's -12.0 LUFS, and no restart is counted.
/// (Xruns are not judged: a non-realtime dummy server on a busy machine makes its own.)
#[test]
fn a_parked_console_on_jack_leaves_the_server_and_comes_back_for_space() {
    let jack = crate::servers::Jack::start(256);
    let ts = TempSession::new();
    let session = sine_session(&ts, 30);
    let home = tempfile::tempdir().unwrap();
    let run = home.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    // The console's terminal gets a clean environment: `env` points earmix at the server.
    let mut args: Vec<String> = jack
        .client_env()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    args.extend([
        format!("XDG_RUNTIME_DIR={}", run.display()),
        env!("CARGO_BIN_EXE_earmix").to_string(),
        session.display().to_string(),
        "--host".into(),
        "jack".into(),
    ]);
    let mut console = crate::console::Console::spawn_program(
        home.path(),
        std::ffi::OsStr::new("env"),
        &args,
        120,
        30,
    );
    console.wait_for_text(&["Sine", "paused", "JACK"]);
    let pid = console.pid().as_raw();
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        has_earmix_ports(&jack.ports(), pid),
        "let go of before the release delay: {:?}",
        jack.ports()
    );
    let deadline = Instant::now() + RELEASE_AFTER + Duration::from_secs(10);
    while has_earmix_ports(&jack.ports(), pid) {
        assert!(
            Instant::now() < deadline,
            "still on the server while paused: {:?}",
            jack.ports()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Still gone a second later: the parked console does not come back on its own.
    std::thread::sleep(Duration::from_secs(1));
    assert!(!has_earmix_ports(&jack.ports(), pid), "{:?}", jack.ports());
    console.send(" ");
    console.wait_for_text(&["playing"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !has_earmix_ports(&jack.ports(), pid) {
        assert!(
            Instant::now() < deadline,
            "no ports after Space: {:?}",
            jack.ports()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let screen = console.text();
    assert!(screen.contains("0:01"), "the clock did not run: {screen}");
    assert!(!screen.contains("restarts "), "{screen}");
    assert!(!screen.contains("device lost"), "{screen}");
    console.wait_for_text(&["-12.0 LUFS"]);
    console.send("q");
}
