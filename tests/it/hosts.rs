//! Which sound server earmix plays through and what it asks of it, on the paced servers of
//! `servers.rs`: PipeWire is picked when it answers, else JACK when a server runs, else ALSA;
//! the PipeWire stream is a proper client (node name, media role, quantum, rate); the status
//! names the real server and the buffer granted; a buffer the device refuses is negotiated to
//! the nearest one it takes instead of falling back to silence; probing prints nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::servers::{Jack, PipeWire};
use crate::support::{TempSession, earmix_in, write_wav_f32};

const RATE: u32 = 48_000;

/// A 10 s stereo sine session at 48 kHz.
fn sine_session(ts: &TempSession) -> PathBuf {
    sine_session_at(ts, RATE)
}

/// A 10 s stereo sine session at `rate` Hz (its stem and its `sample_rate`).
fn sine_session_at(ts: &TempSession, rate: u32) -> PathBuf {
    let n = rate as usize * 10;
    let sine: Vec<f32> = (0..n)
        .map(|i| 0.25 * (i as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin())
        .collect();
    write_wav_f32(&ts.path("stems/sine.wav"), rate, &[sine.clone(), sine]);
    ts.write_session(&format!(
        "version = 1\nname = \"Sine\"\nsample_rate = {rate}\n\n[[channel]]\nname = \"Sine\"\n\
         file = \"stems/sine.wav\"\n"
    ))
}

/// earmix with its own HOME (no user file, no `.asoundrc` unless the test writes one), no
/// PipeWire socket and no JACK server unless the test points it at one.
fn earmix(home: &Path) -> Command {
    let run = home.join("run");
    std::fs::create_dir_all(&run).unwrap();
    let mut c = earmix_in(home);
    c.env("XDG_RUNTIME_DIR", &run)
        .env("PIPEWIRE_RUNTIME_DIR", &run)
        .env(
            "JACK_DEFAULT_SERVER",
            format!("earmix-no-server-{}", std::process::id()),
        )
        .env("JACK_NO_START_SERVER", "1")
        .env_remove("ALSA_CONFIG_PATH")
        .env_remove("PIPEWIRE_PROPS")
        .env_remove("PIPEWIRE_LATENCY")
        .env_remove("PIPEWIRE_RATE")
        .env_remove("PIPEWIRE_QUANTUM");
    c
}

/// How long one earmix run in these tests may take before it is killed and the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// An earmix process whose output goes to files.
struct Running {
    child: std::process::Child,
    dir: tempfile::TempDir,
}

/// Starts earmix with its stdout and stderr going to files.
fn start(c: &mut Command) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let child = c
        .stdout(std::fs::File::create(dir.path().join("stdout")).unwrap())
        .stderr(std::fs::File::create(dir.path().join("stderr")).unwrap())
        .spawn()
        .unwrap();
    Running { child, dir }
}

impl Running {
    /// Waits for earmix to end (killing it and failing after [`RUN_LIMIT`]) and fails the test
    /// unless it succeeded.
    fn finish(mut self) -> Output {
        let deadline = Instant::now() + RUN_LIMIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout = std::fs::read(self.dir.path().join("stdout")).unwrap_or_default();
        let stderr = std::fs::read(self.dir.path().join("stderr")).unwrap_or_default();
        let text = String::from_utf8_lossy(&stderr).into_owned();
        let Some(status) = status else {
            panic!("earmix ran longer than {RUN_LIMIT:?}: {text}");
        };
        assert!(
            status.success(),
            "earmix failed: {}\n{text}",
            String::from_utf8_lossy(&stdout)
        );
        Output {
            status,
            stdout,
            stderr,
        }
    }
}

/// Runs earmix to the end; see [`Running::finish`].
fn run(c: &mut Command) -> Output {
    start(c).finish()
}

/// The "playing ... on ..." line of `play --no-ui`.
fn playing_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .find(|l| l.starts_with("playing "))
        .unwrap_or_else(|| panic!("no playing line in: {stderr}"))
        .to_string()
}

/// The PipeWire version the installed server reports (`pipewire --version`).
fn pipewire_version() -> String {
    let out = Command::new("pipewire").arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Compiled with libpipewire "))
        .unwrap_or_else(|| panic!("no version in: {text}"))
        .trim()
        .to_string()
}

/// The properties of the node called `name` in the server's graph, if there is one.
fn node_props(pw: &PipeWire, name: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let out = pw
        .command("pw-dump")
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let objects: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).ok()?;
    objects.into_iter().find_map(|o| {
        let props = o.get("info")?.get("props")?.as_object()?.clone();
        (props.get("node.name")?.as_str()? == name).then_some(props)
    })
}

/// While `earmix play SESSION --no-ui --host pipewire --buffer 256` runs, the PipeWire graph
/// holds a node named "earmix" with media role "Production", the requested quantum as its
/// latency (256/48000) and the session's rate asked for (node.rate 1/48000); earmix names the
/// server with its version.
#[test]
fn pipewire_stream_is_a_named_production_client() {
    let pw = PipeWire::start();
    let ts = TempSession::new();
    let session = sine_session(&ts);
    // earmix's HOME inside the server's folder: both go when the server is dropped.
    let home = pw.dir().join("earmix-home");
    let mut c = earmix(&home);
    pw.client(&mut c)
        .arg("play")
        .arg(&session)
        .args(["--no-ui", "--host", "pipewire", "--buffer", "256"])
        .args(["--seconds", "3"]);
    let running = start(&mut c);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut props = None;
    while props.is_none() && Instant::now() < deadline {
        props = node_props(&pw, "earmix");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = running.finish();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let props = props.unwrap_or_else(|| panic!("no earmix node in the graph; earmix: {stderr}"));
    let prop = |key: &str| props.get(key).and_then(|v| v.as_str()).unwrap_or("(none)");
    assert_eq!(prop("media.role"), "Production", "{props:?}");
    assert_eq!(prop("node.latency"), "256/48000", "{props:?}");
    assert_eq!(prop("node.rate"), "1/48000", "{props:?}");
    let line = playing_line(&out);
    let version = pipewire_version();
    assert!(
        line.contains(&format!(" on PipeWire {version}: ")),
        "{line}"
    );
    assert!(line.contains("256-frame buffer (5.3 ms)"), "{line}");
}

/// The console on `session` in a pseudo-terminal of `cols` x `rows`, playing through `pw`
/// (`--host pipewire`), its HOME in the server's folder (both go when the server is dropped).
pub(crate) fn console_on_pipewire(
    pw: &PipeWire,
    session: &std::path::Path,
    cols: u16,
    rows: u16,
) -> crate::console::Console {
    let home = pw.dir().join("earmix-home");
    std::fs::create_dir_all(&home).unwrap();
    let run = pw.runtime_dir();
    // The console's terminal gets a clean environment: `env` points earmix at the server.
    let args = [
        format!("PIPEWIRE_RUNTIME_DIR={}", run.display()),
        format!("XDG_RUNTIME_DIR={}", run.display()),
        env!("CARGO_BIN_EXE_earmix").to_string(),
        session.display().to_string(),
        "--host".into(),
        "pipewire".into(),
    ];
    crate::console::Console::spawn_program(&home, std::ffi::OsStr::new("env"), &args, cols, rows)
}

/// The console asks PipeWire for the session's rate too (it reads the session after it starts
/// its threads, so it used to ask for none): a 44.1 kHz session's node asks for 1/44100.
#[test]
fn the_console_asks_pipewire_for_the_session_rate() {
    let pw = PipeWire::start();
    let ts = TempSession::new();
    let session = sine_session_at(&ts, 44_100);
    let mut console = console_on_pipewire(&pw, &session, 100, 30);
    console.wait_for_text(&["Sine"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut props = None;
    while props.is_none() && Instant::now() < deadline {
        props = node_props(&pw, "earmix");
        std::thread::sleep(Duration::from_millis(100));
    }
    console.send("q");
    let props = props.unwrap_or_else(|| panic!("no earmix node; screen:\n{}", console.text()));
    let prop = |key: &str| props.get(key).and_then(|v| v.as_str()).unwrap_or("(none)");
    assert_eq!(prop("node.rate"), "1/44100", "{props:?}");
    assert_eq!(prop("media.role"), "Production", "{props:?}");
}

/// With PipeWire answering and no host named, earmix plays through PipeWire (and `earmix
/// devices` marks it as the default); a buffer below the server's smallest quantum (raised to
/// 64 in its settings) is raised to it, as advertised, and the status says so, instead of
/// falling back to the null output.
#[test]
fn pipewire_is_the_default_and_a_too_small_buffer_is_raised() {
    let pw = PipeWire::start();
    let ts = TempSession::new();
    let session = sine_session(&ts);
    // earmix's HOME inside the server's folder: both go when the server is dropped.
    let home = pw.dir().join("earmix-home");
    let set = pw
        .command("pw-metadata")
        .args(["-n", "settings", "0", "clock.min-quantum", "64"])
        .status()
        .unwrap();
    assert!(set.success(), "pw-metadata failed");

    let out = run(pw.client(&mut earmix(&home)).arg("devices"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let version = pipewire_version();
    assert!(
        stdout.contains(&format!(
            "Host pipewire: PipeWire {version} (earmix's default)\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains(" f32") && l.contains(", buffer 64-")),
        "{stdout}"
    );

    let out = run(pw
        .client(&mut earmix(&home))
        .arg("play")
        .arg(&session)
        .args(["--no-ui", "--buffer", "32", "--seconds", "0.5"]));
    let line = playing_line(&out);
    assert!(line.contains(" on PipeWire "), "{line}");
    assert!(
        line.contains("64-frame buffer (1.3 ms; asked 32; the server's smallest)"),
        "{line}"
    );
}

/// With a JACK server running and no PipeWire, earmix plays through JACK by default, at the
/// server's period, and says that the 128 frames asked for became the server's 256.
#[test]
fn jack_is_the_default_when_a_server_runs() {
    let jack = Jack::start(256);
    let ts = TempSession::new();
    let session = sine_session(&ts);
    let home = tempfile::tempdir().unwrap();
    let out = run(jack
        .client(&mut earmix(home.path()))
        .arg("play")
        .arg(&session)
        .args(["--no-ui", "--buffer", "128", "--seconds", "0.5"]));
    let line = playing_line(&out);
    assert!(line.contains(" on JACK: "), "{line}");
    assert!(
        line.contains("256-frame buffer (5.3 ms; asked 128; the server's period)"),
        "{line}"
    );
}

/// Through ALSA's jack plugin (JACK dummy at 256 frames), `--buffer 128` is refused at build
/// time although the device advertises 21 frames and up; earmix takes the range the refusal
/// names, plays at 256 frames, and names JACK behind ALSA, instead of falling back to the
/// silent null output.
#[test]
fn alsa_jack_plugin_negotiates_the_buffer() {
    let jack = Jack::start(256);
    let ts = TempSession::new();
    let session = sine_session(&ts);
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".asoundrc"),
        "pcm.jackout { type jack playback_ports { 0 system:playback_1 1 system:playback_2 } }\n\
         pcm.!default { type plug slave.pcm \"jackout\" }\n",
    )
    .unwrap();
    let out = run(jack
        .client(&mut earmix(home.path()))
        .arg("play")
        .arg(&session)
        .args([
            "--no-ui",
            "--host",
            "alsa",
            "--buffer",
            "128",
            "--seconds",
            "0.5",
        ]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("null output"), "{stderr}");
    let line = playing_line(&out);
    assert!(line.contains(" on ALSA → JACK: "), "{line}");
    assert!(
        line.contains("256-frame buffer (5.3 ms; asked 128; the server's smallest)"),
        "{line}"
    );
}

/// With no sound server running and the system's ALSA configuration (whose `jack` device
/// loads libjack when it is enumerated), `earmix devices` prints nothing to stderr: libjack's
/// "Cannot connect to server socket" goes to the log.
#[test]
fn devices_probes_quietly() {
    let home = tempfile::tempdir().unwrap();
    let out = run(earmix(home.path()).arg("devices"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Host alsa: "), "{stdout}");
    assert!(
        stdout.contains("Host jack:\n  no JACK server is running\n"),
        "{stdout}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
