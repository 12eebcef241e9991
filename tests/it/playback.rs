//! The real binary playing through a real cpal/ALSA device with no sound card: ALSA's `file`
//! plugin as the default device, configured in a temporary HOME (never the user's), captures
//! exactly what the audio callback wrote. The plugin is not paced, so playback stops on a frame
//! count (`--seconds` is device time), never on a wall-clock time.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{TempSession, read_wav, signal, write_wav_f32, write_wav_i24};

const RATE: u32 = 48_000;

/// A temporary HOME whose `.asoundrc` makes the default ALSA device a file capture.
struct AlsaCapture {
    home: tempfile::TempDir,
}

impl AlsaCapture {
    fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        let capture = home.path().join("capture.raw");
        std::fs::write(
            home.path().join(".asoundrc"),
            format!(
                "pcm.!default {{\n    type file\n    slave.pcm \"null\"\n    file \"{}\"\n    \
                 format \"raw\"\n}}\n",
                capture.display()
            ),
        )
        .unwrap();
        Self { home }
    }

    fn capture_path(&self) -> PathBuf {
        self.home.path().join("capture.raw")
    }

    /// The captured interleaved f32 stereo, as planar channels, with the leading silence the
    /// device may add skipped.
    fn captured(&self) -> (Vec<f32>, Vec<f32>) {
        let bytes = std::fs::read(self.capture_path()).unwrap();
        let samples: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let first = samples.iter().position(|&x| x != 0.0).unwrap_or(0) & !1;
        let (l, r): (Vec<f32>, Vec<f32>) = samples[first..]
            .chunks_exact(2)
            .map(|f| (f[0], f[1]))
            .unzip();
        (l, r)
    }

    fn earmix(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_earmix"));
        c.env("HOME", self.home.path())
            .env("XDG_STATE_HOME", self.home.path().join("state"))
            .env("XDG_DATA_HOME", self.home.path().join("data"))
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env_remove("ALSA_CONFIG_PATH")
            // No sound server: earmix would pick a PipeWire or JACK running on the machine
            // over ALSA. No PipeWire socket in HOME, and a JACK server name nobody uses.
            .env("XDG_RUNTIME_DIR", self.home.path())
            .env("PIPEWIRE_RUNTIME_DIR", self.home.path())
            .env(
                "JACK_DEFAULT_SERVER",
                format!("earmix-no-server-{}", std::process::id()),
            )
            .env("JACK_NO_START_SERVER", "1");
        c
    }
}

fn run(mut c: Command) -> Output {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "earmix failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A 2 s session at 48 kHz: a 24-bit mono stem, a float stereo stem, and a stereo stem at
/// 44.1 kHz that must be resampled; the second section has a scene.
///
/// Short on purpose: the `file` device is not paced (it takes audio hundreds of times faster
/// than real time), so creek's I/O threads, starved of CPU on a loaded machine, cannot refill
/// blocks in time. Every play position here lies in creek's caches (8 blocks of 16384 frames
/// from the session start and from each section start), so no refill is ever needed.
fn session(ts: &TempSession) -> PathBuf {
    let n = RATE as usize * 2;
    write_wav_i24(&ts.path("stems/bass.wav"), RATE, &[signal(n, 21, 0.4)]);
    write_wav_f32(
        &ts.path("stems/keys.wav"),
        RATE,
        &[signal(n, 22, 0.3), signal(n, 23, 0.3)],
    );
    let m = 44_100 * 2;
    write_wav_f32(
        &ts.path("stems/pad.wav"),
        44_100,
        &[signal(m, 24, 0.3), signal(m, 25, 0.3)],
    );
    ts.write_session(
        r#"version = 1
name = "Capture"
sample_rate = 48000

[[channel]]
name = "Bass"
file = "stems/bass.wav"
gain_db = -2.0
pan = -0.3

[[channel]]
name = "Keys"
file = "stems/keys.wav"
trim_db = 1.5

[[channel]]
name = "Pad"
file = "stems/pad.wav"
gain_db = -4.0
pan = 0.4

[[section]]
name = "A"
start = 0

# A scene: the levels glide over 250 ms centred on 1.0 s, so playback crosses a glide.
[[section]]
name = "B"
start = 1.0
gain_db = { Bass = -9.0 }
mute = ["Pad"]
"#,
    )
}

fn bounce(alsa: &AlsaCapture, session: &Path, from: &str, out: &Path) -> Vec<Vec<f32>> {
    let mut c = alsa.earmix();
    c.arg("bounce")
        .arg(session)
        .arg("-o")
        .arg(out)
        .args(["--from", from]);
    run(c);
    read_wav(out).1
}

fn assert_same(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    if let Some(i) = (0..got.len()).find(|&i| got[i].to_bits() != want[i].to_bits()) {
        panic!(
            "{what}: first difference at frame {i}: played {} but the bounce has {}",
            got[i], want[i]
        );
    }
}

/// `earmix play` through the ALSA default device writes exactly the offline bounce, sample for
/// sample: from a start time, across a loop wrap back to that start (a seek), with one stem
/// resampled from 44.1 kHz, stopping after the requested 3.5 s of device time.
#[test]
fn device_capture_equals_the_bounce_across_a_loop_wrap() {
    let ts = TempSession::new();
    let session = session(&ts);
    let alsa = AlsaCapture::new();
    let mut c = alsa.earmix();
    c.arg("play")
        .arg(&session)
        .args(["--no-ui", "--from", "1.0", "--seconds", "3.5", "--loop"]);
    let out = run(c);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("48000 Hz"), "{stderr}");
    assert!(stderr.contains("loop: back to 0:01.000"), "{stderr}");
    assert!(!stderr.contains("null output"), "{stderr}");

    let want = bounce(&alsa, &session, "1.0", &ts.path("from1.wav"));
    let pass = want[0].len();
    assert_eq!(pass, 48_000, "the bounce covers 1.0 s to 2.0 s");
    let (l, r) = alsa.captured();
    let total = (3.5 * f64::from(RATE)) as usize;
    assert!(
        l.len() >= total,
        "captured {} frames, want {total}",
        l.len()
    );
    // Pass 1: 1.0..2.0; the loop wraps to 1.0; passes 2 and 3 the same; then 0.5 s more.
    for (k, start) in [0, pass, 2 * pass, 3 * pass].into_iter().enumerate() {
        let len = pass.min(total - start);
        assert_same(
            &format!("pass {} left", k + 1),
            &l[start..start + len],
            &want[0][..len],
        );
        assert_same(
            &format!("pass {} right", k + 1),
            &r[start..start + len],
            &want[1][..len],
        );
    }
}

/// Playing to the end without looping stops by itself at the end of the session; what the
/// device received is the whole bounce.
#[test]
fn device_capture_of_the_whole_session_equals_the_bounce() {
    let ts = TempSession::new();
    let session = session(&ts);
    let alsa = AlsaCapture::new();
    let mut c = alsa.earmix();
    c.arg("play").arg(&session).arg("--no-ui");
    let out = run(c);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("end of session"), "{stderr}");
    let want = bounce(&alsa, &session, "0", &ts.path("all.wav"));
    let (l, r) = alsa.captured();
    let n = want[0].len();
    assert!(l.len() >= n, "captured {} frames, want {n}", l.len());
    assert_same("left", &l[..n], &want[0]);
    assert_same("right", &r[..n], &want[1]);
}

/// With no ALSA configuration at all, `earmix play` says no device could be opened, plays on
/// the null output instead, and exits cleanly (no panic).
#[test]
fn no_audio_configuration_falls_back_to_the_null_output() {
    let ts = TempSession::new();
    let session = session(&ts);
    let alsa = AlsaCapture::new();
    let empty = alsa.home.path().join("empty.conf");
    std::fs::write(&empty, "").unwrap();
    let mut c = alsa.earmix();
    c.env("ALSA_CONFIG_PATH", &empty)
        .arg("play")
        .arg(&session)
        .args(["--no-ui", "--seconds", "0.3"]);
    let out = run(c);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no audio device could be opened"),
        "{stderr}"
    );
    assert!(stderr.contains("null output"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `earmix devices` lists the ALSA host and its default device, and survives a machine with no
/// ALSA configuration.
#[test]
fn devices_lists_hosts_and_survives_no_configuration() {
    let alsa = AlsaCapture::new();
    let mut c = alsa.earmix();
    c.arg("devices");
    let out = run(c);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.to_lowercase().contains("alsa"), "{stdout}");
    assert!(stdout.contains("default"), "{stdout}");

    let empty = alsa.home.path().join("empty.conf");
    std::fs::write(&empty, "").unwrap();
    let mut c = alsa.earmix();
    c.env("ALSA_CONFIG_PATH", &empty).arg("devices");
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Plays the test session on a scripted device at 4x real time, breaks the device once the
/// transport has passed 0.5 s (with `fault`), waits for the supervisor to report the loss and
/// the resumption, lets the session end, and returns the events seen and what the device got.
fn play_through_a_fault(
    fault: impl Fn(&earmix::engine::output::FaultHandle),
) -> (Vec<String>, Vec<f32>, Vec<Vec<f32>>) {
    use earmix::engine::handle::{Engine, EngineEvent, EngineOptions};
    use earmix::engine::output::{OutputRequest, Pacing, ScriptedBackend, ScriptedConfig};
    use std::time::{Duration, Instant};

    let ts = TempSession::new();
    let path = session(&ts);
    let session = earmix::session::load(&path).unwrap();
    let backend = ScriptedBackend::new(ScriptedConfig {
        pacing: Pacing::Speed(4.0),
        ..ScriptedConfig::default()
    });
    let faults = backend.faults();
    let recording = backend.recording();
    let opts = EngineOptions {
        output: OutputRequest::default(),
        start: earmix::units::Seconds(0.0),
        play: true,
        looping: None,
        ceiling: earmix::units::Decibels(earmix::engine::realtime::DEFAULT_CEILING_DB),
        stream_memory_mib: earmix::engine::stream_plan::DEFAULT_BUDGET_MIB,
    };
    let mut engine = Engine::open_with_backend(&session, &opts, Box::new(backend)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut events = Vec::new();
    let mut broken = false;
    let mut ended = false;
    while !ended {
        assert!(
            Instant::now() < deadline,
            "no end of session; events: {events:?}"
        );
        if !broken && engine.position().0 > 0.5 {
            fault(&faults);
            broken = true;
        }
        for e in engine.update() {
            ended |= matches!(e, EngineEvent::Ended);
            events.push(format!("{e:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(engine);
    let alsa = AlsaCapture::new();
    let want = bounce(&alsa, &path, "0", &ts.path("all.wav"));
    (events, recording.samples(), want)
}

/// Checks that the device received the whole bounce, contiguous: no gap, no repeat, nothing
/// lost across the fault.
fn assert_contiguous_bounce(recorded: &[f32], want: &[Vec<f32>]) {
    let first = recorded.iter().position(|&x| x != 0.0).unwrap_or(0) & !1;
    let (l, r): (Vec<f32>, Vec<f32>) = recorded[first..]
        .chunks_exact(2)
        .map(|f| (f[0], f[1]))
        .unzip();
    let n = want[0].len();
    assert!(l.len() >= n, "device got {} frames, want {n}", l.len());
    assert_same("left", &l[..n], &want[0]);
    assert_same("right", &r[..n], &want[1]);
}

/// Checks that the events report the loss (an event containing `lost`) before the resumption.
fn assert_lost_then_resumed(events: &[String], lost: &str) {
    let lost = events
        .iter()
        .position(|e| e.contains("Lost") && e.contains(lost));
    let resumed = events.iter().position(|e| e.contains("Resumed"));
    assert!(
        matches!((lost, resumed), (Some(a), Some(b)) if a < b),
        "{events:?}"
    );
}

/// A stream error saying the device is gone is detected and reported, the supervisor restarts
/// the stream, and playback resumes at the same sample: what the device got across the fault is
/// exactly the bounce.
#[test]
fn device_loss_by_error_resumes_at_the_same_position() {
    let (events, recorded, want) =
        play_through_a_fault(|f| f.fire_error(cpal::ErrorKind::DeviceNotAvailable));
    assert_lost_then_resumed(&events, "");
    assert_contiguous_bounce(&recorded, &want);
}

/// A callback that simply stops coming (no error at all, as when a JACK server dies) is
/// detected by the heartbeat, reported, and playback resumes at the same sample.
#[test]
fn stalled_callback_is_detected_and_resumes_at_the_same_position() {
    let (events, recorded, want) = play_through_a_fault(earmix::engine::output::FaultHandle::stall);
    assert_lost_then_resumed(&events, "ms without a callback");
    assert_contiguous_bounce(&recorded, &want);
}

/// Ctrl-C (SIGINT) stops headless playback cleanly: the fade-out runs, the last status line says
/// it stopped, and the exit status is success.
#[test]
fn ctrl_c_stops_headless_playback_cleanly() {
    let ts = TempSession::new();
    let session = session(&ts);
    let alsa = AlsaCapture::new();
    let mut c = alsa.earmix();
    c.arg("play")
        .arg(&session)
        .args(["--no-ui", "--output", "null", "--loop"])
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    // Wait until it says it is playing (its ctrl-c handler is installed before that line).
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    let mut stderr = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        stderr.push_str(&line);
        stderr.push('\n');
        if line.starts_with("playing ") {
            break;
        }
    }
    assert!(stderr.contains("playing "), "{stderr}");
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    for line in lines {
        stderr.push_str(&line.unwrap());
        stderr.push('\n');
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.contains("stopped"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The engine opens a session's reference next to the stems, measures both as they play and
/// matches them: a reference that is the mix 6 dB down is matched by turning the mix down
/// 6.0 dB (within 0.1), on integrated loudness once both have 3 s of it; R's flip is heard.
#[test]
fn engine_matches_the_reference_in_loudness() {
    use earmix::engine::handle::{Engine, EngineOptions};
    use earmix::engine::loudness::MatchBasis;
    use earmix::engine::output::{OutputRequest, Pacing, ScriptedBackend, ScriptedConfig};
    use earmix::engine::protocol::Listen;
    use std::time::{Duration, Instant};

    let ts = TempSession::new();
    let n = RATE as usize * 6;
    let noise = signal(n, 51, 0.4);
    write_wav_f32(
        &ts.path("stems/noise.wav"),
        RATE,
        std::slice::from_ref(&noise),
    );
    // The mono stem panned centre plays at -3 dB on each side; the reference is that, 6 dB down.
    let g = 10f32.powf(-3.0 / 20.0) * 10f32.powf(-6.0 / 20.0);
    let side: Vec<f32> = noise.iter().map(|x| x * g).collect();
    write_wav_f32(&ts.path("ref.wav"), RATE, &[side.clone(), side]);
    let path = ts.write_session(
        "version = 1\nname = \"Match\"\n[[channel]]\nname = \"Noise\"\nfile = \"stems/noise.wav\"\n\
         [reference]\nfile = \"ref.wav\"\n",
    );
    let session = earmix::session::load(&path).unwrap();
    let backend = ScriptedBackend::new(ScriptedConfig {
        pacing: Pacing::Speed(4.0),
        ..ScriptedConfig::default()
    });
    let opts = EngineOptions {
        output: OutputRequest::default(),
        start: earmix::units::Seconds(0.0),
        play: true,
        looping: None,
        ceiling: earmix::units::Decibels(earmix::engine::realtime::DEFAULT_CEILING_DB),
        stream_memory_mib: earmix::engine::stream_plan::DEFAULT_BUDGET_MIB,
    };
    let mut engine = Engine::open_with_backend(&session, &opts, Box::new(backend)).unwrap();
    assert!(engine.has_reference());
    let deadline = Instant::now() + Duration::from_secs(30);
    let matched = loop {
        assert!(
            Instant::now() < deadline,
            "never matched on integrated loudness"
        );
        engine.update();
        if let Some(m) = engine.reference_match()
            && m.basis == MatchBasis::Integrated
            && engine.position().0 > 5.0
        {
            break m;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(matched.reference_db, 0.0);
    assert!(
        (matched.mix_db + 6.0).abs() <= 0.1,
        "the mix should be turned down 6 dB: {matched:?}"
    );
    engine.set_listen(Listen::Reference);
    assert_eq!(engine.listen(), Listen::Reference);
    assert!(engine.reference_position().unwrap().0 > 5.0);
}
