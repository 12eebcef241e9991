//! The OSC remote control end to end: the real binary in a pseudo-terminal with `--osc PORT`,
//! OSC sent to it over loopback from a test socket, the mix read off the screen and the
//! session file, feedback read by a subscribing socket; flags and settings checked before the
//! console takes the terminal; the shipped example speaking only addresses earmix answers.

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rosc::{OscMessage, OscPacket, OscType};

use crate::console::{
    BOUND, Console, channel, flag, flagged, float, home_in, read_session, shows_in_strip, trio,
};
use crate::support::{TempSession, earmix_in};

/// A test's OSC peer: a socket on loopback talking to earmix's server.
struct Remote {
    socket: UdpSocket,
    to: SocketAddr,
}

impl Remote {
    /// Pings earmix on `port` until it answers (the server starts once the console is up).
    fn connect(port: u16) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let remote = Self {
            socket,
            to: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + BOUND;
        loop {
            remote.send("/earmix/ping", vec![]);
            if let Some(m) = remote.receive() {
                assert_eq!(m.addr, "/earmix/pong");
                return remote;
            }
            assert!(Instant::now() < deadline, "earmix never answered the ping");
        }
    }

    fn send(&self, addr: &str, args: Vec<OscType>) {
        let packet = OscPacket::Message(OscMessage {
            addr: addr.into(),
            args,
        });
        let bytes = rosc::encoder::encode(&packet).unwrap();
        self.socket.send_to(&bytes, self.to).unwrap();
    }

    /// The next message, or `None` after the read timeout.
    fn receive(&self) -> Option<OscMessage> {
        let mut buffer = [0_u8; 4096];
        let (n, _) = self.socket.recv_from(&mut buffer).ok()?;
        match rosc::decoder::decode_udp(&buffer[..n]).ok()?.1 {
            OscPacket::Message(m) => Some(m),
            OscPacket::Bundle(_) => None,
        }
    }

    /// Reads messages until one is `addr` with `args` (failing after [`BOUND`]); returns
    /// everything read on the way, that one last.
    fn expect(&self, addr: &str, args: &[OscType]) -> Vec<OscMessage> {
        let deadline = Instant::now() + BOUND;
        let mut seen = Vec::new();
        loop {
            if let Some(m) = self.receive() {
                let done = m.addr == addr && m.args == args;
                seen.push(m);
                if done {
                    return seen;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no {addr} {args:?} within {BOUND:?}; got {seen:?}"
            );
        }
    }

    /// Everything that arrives within `window`.
    fn gather(&self, window: Duration) -> Vec<OscMessage> {
        let until = Instant::now() + window;
        let mut seen = Vec::new();
        while Instant::now() < until {
            seen.extend(self.receive());
        }
        seen
    }
}

/// A UDP port free on loopback now.
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The trio session with a Verse and a Chorus, open in the console with `--osc` (and
/// `--config config` when given), and a remote that got its pong.
fn open_with_osc(ts: &TempSession, config: Option<&str>) -> (Console, PathBuf, Remote) {
    let session = trio(ts);
    let text = std::fs::read_to_string(&session).unwrap()
        + "\n[[section]]\nname = \"Verse\"\nstart = 0.0\n\n[[section]]\nname = \"Chorus\"\n\
           start = 2.5\n";
    std::fs::write(&session, text).unwrap();
    let port = free_port().to_string();
    let mut args = vec![
        session.to_str().unwrap().to_string(),
        "--osc".into(),
        port.clone(),
    ];
    if let Some(config) = config {
        let path = ts.path("config.toml");
        std::fs::write(&path, config).unwrap();
        args.extend(["--config".into(), path.to_str().unwrap().to_string()]);
    }
    let mut console = Console::spawn(&home_in(ts), &args, 100, 30);
    console.wait_for_text(&["Bass", "Keys", "Voice", "Verse"]);
    let remote = Remote::connect(port.parse().unwrap());
    (console, session, remote)
}

/// Every control address moves the mix as the keys would, by number and by name: faders in
/// dB (float and int) and by position, mute and solo set and toggled, pan, the master, undo
/// and redo; `/earmix/save` writes it all into the session file.
#[test]
fn every_control_address_edits_the_mix_and_saves() {
    let ts = TempSession::new();
    let (mut c, session, remote) = open_with_osc(&ts, None);
    remote.send("/earmix/strip/1/fader", vec![OscType::Float(-1.5)]);
    c.wait_for("Bass at -1.5 dB", |s| shows_in_strip(s, "Bass", "-1.5 dB"));
    remote.send("/earmix/strip/Keys/fader", vec![OscType::Int(-4)]);
    c.wait_for("Keys at -4.0 dB", |s| shows_in_strip(s, "Keys", "-4.0 dB"));
    remote.send("/earmix/strip/3/mute", vec![OscType::Int(1)]);
    c.wait_for("Voice muted", |s| flagged(s, "M") == ["Voice"]);
    remote.send("/earmix/strip/Bass/solo", vec![]);
    c.wait_for("Bass soloed", |s| flagged(s, "S") == ["Bass"]);
    remote.send("/earmix/strip/1/solo", vec![OscType::Int(0)]);
    c.wait_for("no solo", |s| flagged(s, "S").is_empty());
    remote.send("/earmix/strip/2/pan", vec![OscType::Float(-0.5)]);
    // A position that meets the mix (0 dB sits at 0.75) catches it; the next one moves it.
    // (Apart, so that the console does not coalesce them into the second alone.)
    remote.send("/earmix/strip/3/fader/position", vec![OscType::Float(0.75)]);
    std::thread::sleep(Duration::from_millis(150));
    remote.send("/earmix/strip/3/fader/position", vec![OscType::Float(0.6)]);
    remote.send("/earmix/master/position", vec![OscType::Float(0.75)]);
    std::thread::sleep(Duration::from_millis(150));
    remote.send("/earmix/master", vec![OscType::Float(-2.0)]);
    remote.send("/earmix/undo", vec![]);
    remote.send("/earmix/redo", vec![]);
    remote.send("/earmix/save", vec![]);
    c.wait_for_text(&["Saved"]);
    c.send("q");
    c.wait_success();
    let (text, file) = read_session(&session);
    assert_eq!(float(channel(&file, "Bass"), "gain_db"), -1.5, "{text}");
    let keys = channel(&file, "Keys");
    assert_eq!(
        (float(keys, "gain_db"), float(keys, "pan")),
        (-4.0, -0.5),
        "{text}"
    );
    let voice = channel(&file, "Voice");
    assert!(flag(voice, "mute"), "{text}");
    assert!(float(voice, "gain_db") < 0.0, "{text}");
    assert!(!flag(channel(&file, "Bass"), "solo"), "{text}");
    assert_eq!(float(&file, "master_db"), -2.0, "{text}");
    assert!(text.starts_with("# Trio: a small session"), "{text}");
}

/// A subscriber gets the whole mix, then every change: transport, sections, selection and
/// mute, as the OSC buttons and the keys make them. While blind no message carries a level,
/// a fader position or a pan, whatever moves (a key nudge, an OSC position, a dB level the
/// console refuses); leaving blind mode sends the levels again; after unsubscribing nothing
/// comes.
#[test]
fn subscribers_get_the_mix_and_no_level_while_blind() {
    let ts = TempSession::new();
    let keep = "version = 1\n[blind]\non_exit = \"keep\"\n";
    let (mut c, _session, remote) = open_with_osc(&ts, Some(keep));
    remote.send("/earmix/subscribe", vec![]);
    let first = remote.expect("/earmix/section/number", &[OscType::Int(1)]);
    let has = |addr: &str, arg: OscType| {
        first
            .iter()
            .any(|m| m.addr == addr && m.args == [arg.clone()])
    };
    assert!(has("/earmix/strips", OscType::Int(3)), "{first:?}");
    assert!(
        has("/earmix/strip/1/name", OscType::String("Bass".into())),
        "{first:?}"
    );
    assert!(
        has("/earmix/strip/1/fader", OscType::Float(-3.0)),
        "{first:?}"
    );
    assert!(
        has("/earmix/strip/2/pan", OscType::Float(-0.3)),
        "{first:?}"
    );
    assert!(has("/earmix/master", OscType::Float(0.0)), "{first:?}");
    assert!(
        has("/earmix/transport/playing", OscType::Int(0)),
        "{first:?}"
    );
    assert!(has("/earmix/blind", OscType::Int(0)), "{first:?}");
    assert!(
        has("/earmix/section", OscType::String("Verse".into())),
        "{first:?}"
    );

    remote.send("/earmix/transport/play", vec![]);
    remote.expect("/earmix/transport/playing", &[OscType::Int(1)]);
    remote.send("/earmix/transport/play", vec![OscType::Int(1)]);
    remote.send("/earmix/transport/pause", vec![]);
    remote.expect("/earmix/transport/playing", &[OscType::Int(0)]);
    // Play and toggles right after a pause, while the audio thread is still fading out: each
    // one counts.
    remote.send("/earmix/transport/play", vec![]);
    remote.expect("/earmix/transport/playing", &[OscType::Int(1)]);
    remote.send("/earmix/transport/toggle", vec![]);
    remote.expect("/earmix/transport/playing", &[OscType::Int(0)]);
    remote.send("/earmix/transport/toggle", vec![]);
    remote.expect("/earmix/transport/playing", &[OscType::Int(1)]);
    remote.send("/earmix/transport/toggle", vec![OscType::Int(1)]);
    remote.expect("/earmix/transport/playing", &[OscType::Int(0)]);
    remote.send("/earmix/section/2", vec![]);
    remote.expect("/earmix/section", &[OscType::String("Chorus".into())]);
    remote.send("/earmix/section/previous", vec![]);
    remote.expect("/earmix/section", &[OscType::String("Verse".into())]);
    remote.send("/earmix/section/next", vec![]);
    remote.expect("/earmix/section", &[OscType::String("Chorus".into())]);
    remote.send("/earmix/transport/start", vec![]);
    remote.expect("/earmix/section", &[OscType::String("Verse".into())]);
    remote.send("/earmix/strip/3/select", vec![]);
    remote.expect("/earmix/strip/3/select", &[OscType::Int(1)]);

    remote.send("/earmix/blind", vec![OscType::Int(1)]);
    let entering = remote.expect("/earmix/blind", &[OscType::Int(1)]);
    c.send("k");
    remote.send("/earmix/strip/1/fader/position", vec![OscType::Float(0.9)]);
    std::thread::sleep(Duration::from_millis(150));
    remote.send("/earmix/strip/1/fader/position", vec![OscType::Float(0.2)]);
    remote.send("/earmix/strip/2/fader", vec![OscType::Float(-12.0)]);
    remote.send("/earmix/strip/2/pan", vec![OscType::Float(0.7)]);
    remote.send("/earmix/strip/1/mute", vec![OscType::Int(1)]);
    let mut during = entering;
    during.extend(remote.expect("/earmix/strip/1/mute", &[OscType::Int(1)]));
    during.extend(remote.gather(Duration::from_millis(500)));
    let leaks: Vec<&OscMessage> = during
        .iter()
        .filter(|m| {
            m.addr.ends_with("/fader")
                || m.addr.ends_with("/position")
                || m.addr.ends_with("/pan")
                || m.addr == "/earmix/master"
        })
        .collect();
    assert!(leaks.is_empty(), "levels given away while blind: {leaks:?}");
    remote.send("/earmix/blind", vec![OscType::Int(0)]);
    let leaving = remote.expect("/earmix/blind", &[OscType::Int(0)]);
    let leaving = [leaving, remote.gather(Duration::from_millis(300))].concat();
    assert!(
        leaving.iter().any(|m| m.addr == "/earmix/strip/1/fader"),
        "{leaving:?}"
    );

    // Leaving blind mode shows what was done while blind; surfaces wait until it is closed.
    c.wait_for_text(&["any key to close"]);
    c.send("\r");
    c.wait_for("the summary closed", |s| {
        !crate::console::screen_text(s).contains("any key to close")
    });
    remote.send("/earmix/unsubscribe", vec![]);
    std::thread::sleep(Duration::from_millis(300));
    remote.send("/earmix/strip/1/mute", vec![]);
    c.wait_for("Bass unmuted", |s| flagged(s, "M").is_empty());
    assert!(remote.gather(Duration::from_millis(300)).is_empty());
    c.send("q");
}

/// Bad packets of every kind: random bytes, cut messages, known addresses with wrong
/// arguments, unknown addresses and packets too large, as fast as they can be sent. The
/// console shows a count of what it refused, and stays responsive: it answers a ping, takes
/// an OSC fader move and a key press.
#[test]
fn a_fuzz_of_bad_packets_leaves_the_console_responsive() {
    let ts = TempSession::new();
    let (mut c, _session, remote) = open_with_osc(&ts, None);
    let packets = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        (any::<prop::sample::Index>(), any::<f32>()).prop_map(move |(cut, v)| {
            let bytes = rosc::encoder::encode(&OscPacket::Message(OscMessage {
                addr: "/earmix/strip/1/fader".into(),
                args: vec![OscType::Float(v)],
            }))
            .unwrap();
            bytes[..cut.index(bytes.len())].to_vec()
        }),
        ".{0,8}".prop_map(|s| rosc::encoder::encode(&OscPacket::Message(OscMessage {
            addr: "/earmix/strip/2/mute".into(),
            args: vec![OscType::String(s)],
        }))
        .unwrap()),
        "[a-z/]{1,20}".prop_map(|s| rosc::encoder::encode(&OscPacket::Message(OscMessage {
            addr: format!("/earmix/zz/{s}"),
            args: vec![OscType::Int(1)],
        }))
        .unwrap()),
        (16_385_usize..60_000).prop_map(|n| vec![0x2f_u8; n]),
    ];
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    runner
        .run(&packets, |bytes| {
            // Sending may fail for the largest (over the link's limit): that is fine too.
            let _ = socket.send_to(&bytes, remote.to);
            Ok(())
        })
        .unwrap();
    c.wait_for_text(&["OSC: refused"]);
    let pinged = Remote::connect(remote.to.port());
    drop(pinged);
    remote.send("/earmix/strip/1/fader", vec![OscType::Float(-7.5)]);
    c.wait_for("Bass at -7.5 dB", |s| shows_in_strip(s, "Bass", "-7.5 dB"));
    c.send("k");
    c.wait_for("Bass at -7.0 dB", |s| shows_in_strip(s, "Bass", "-7.0 dB"));
    c.send("q");
}

/// Runs earmix with `args` (no terminal) in the test's own HOME; returns its status and stderr.
fn run(ts: &TempSession, args: &[&str]) -> (Option<i32>, String) {
    let out = earmix_in(&ts.path("home"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Listening beyond this machine without an allow-list is refused before the console
/// starts, whether the flags or the settings file ask for it; with an allow-list the same
/// address gets past the check.
#[test]
fn an_open_address_without_an_allow_list_is_refused() {
    let ts = TempSession::new();
    let session = trio(&ts);
    let session = session.to_str().unwrap();
    let (code, stderr) = run(
        &ts,
        &[
            "--output",
            "null",
            "--osc",
            "9000",
            "--osc-address",
            "0.0.0.0",
            session,
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "earmix: the OSC server on 0.0.0.0 needs an allow-list of the peers that may \
             control earmix"
        ),
        "{stderr}"
    );
    let config = ts.path("config.toml");
    std::fs::write(
        &config,
        "version = 1\n[osc]\nenabled = true\naddress = \"0.0.0.0\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let (code, stderr) = run(&ts, &["--config", config, "--output", "null", session]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("config.toml:4:11: osc.address = \"0.0.0.0\": the OSC server on 0.0.0.0"),
        "{stderr}"
    );
}

/// OSC flags given before a command are refused like the console's other options, and a
/// peer that is not an address or a network is named with what is allowed.
#[test]
fn osc_flags_are_checked() {
    let ts = TempSession::new();
    let session = trio(&ts);
    let session = session.to_str().unwrap();
    let (code, stderr) = run(&ts, &["--osc", "9000", "check", session]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.starts_with("earmix: --osc before the command: the command would not use it"),
        "{stderr}"
    );
    let (code, stderr) = run(&ts, &["--osc-allow", "studio", session]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "invalid value 'studio' for '--osc-allow <PEER>': 'studio' is not a peer: write an \
             address"
        ),
        "{stderr}"
    );
    let (code, stderr) = run(&ts, &["--osc", "0", session]);
    assert_eq!(code, Some(2), "{stderr}");
}

/// The addresses quoted in `text` (every `"/earmix/…"` string), `N` made a number.
fn quoted_addresses(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with("/earmix/"))
        .map(|s| s.replace('N', "1"))
        .collect()
}

/// Every address the shipped example (examples/osc/strips.py) sends is one earmix answers,
/// and every address it reads is one earmix sends (to a subscriber, or as the answer to a
/// ping); and the docs list them all.
#[test]
fn the_example_speaks_only_earmix_addresses() {
    use earmix::control::osc::{address, feedback};
    use earmix::control::{FaderState, Feedback, Level, StripState};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(root.join("examples/osc/strips.py")).unwrap();
    let (sends, reads) = script.split_once("\nREADS = [").unwrap();
    let (reads, _) = reads.split_once(']').unwrap();
    let sends = quoted_addresses(sends);
    let reads = quoted_addresses(reads);
    assert!(
        sends.len() >= 18 && reads.len() >= 11,
        "{sends:?} {reads:?}"
    );
    for addr in &sends {
        let message = rosc::OscMessage {
            addr: addr.clone(),
            args: Vec::new(),
        };
        assert_ne!(
            address::request(&message),
            Err(address::Refusal::UnknownAddress),
            "earmix does not answer {addr}"
        );
    }
    let fader = FaderState {
        position: Some(0.5),
        level: Level::Db(-3.0),
        waiting: None,
    };
    let mix = Feedback {
        strips: vec![StripState {
            name: "Bass".into(),
            fader,
            pan: Some(0.0),
            mute: false,
            solo: false,
            selected: true,
        }],
        master: fader,
        banks: Vec::new(),
        playing: false,
        blind: false,
        section: Some((0, "Intro".into())),
    };
    let mut sent: Vec<String> = feedback::changes(None, &mix)
        .into_iter()
        .map(|m| m.addr)
        .collect();
    sent.push("/earmix/pong".into());
    for addr in &reads {
        assert!(sent.contains(addr), "earmix never sends {addr}: {sent:?}");
    }
    let docs = std::fs::read_to_string(root.join("docs/osc.md")).unwrap();
    for addr in sends.iter().chain(&sent) {
        let documented = addr
            .replace("/strip/1/", "/strip/<n>/")
            .replace("/section/1", "/section/<n>");
        assert!(
            docs.contains(&format!("`{documented}`")),
            "docs/osc.md lacks {documented}"
        );
    }
}

/// The transport as the console (and through it an OSC play/pause) sees it answers a pause
/// or a play at once, before the audio thread has taken it and while the pause's fade-out
/// still sounds: a play sent within milliseconds of a pause is a play, never a second pause.
#[test]
fn the_transport_answers_play_and_pause_at_once() {
    use earmix::engine::handle::{Engine, EngineOptions};
    use earmix::engine::output::{OutputRequest, Pacing, ScriptedBackend, ScriptedConfig};
    use earmix::units::{Decibels, Seconds};

    let ts = TempSession::new();
    let rate = 48_000;
    let sine: Vec<f32> = (0..rate * 5)
        .map(|i| 0.25 * (i as f32 * 1000.0 * std::f32::consts::TAU / rate as f32).sin())
        .collect();
    crate::support::write_wav_f32(&ts.path("stems/sine.wav"), 48_000, &[sine.clone(), sine]);
    let path = ts.write_session(
        "version = 1\nname = \"Sine\"\nsample_rate = 48000\n\n[[channel]]\nname = \"Sine\"\n\
         file = \"stems/sine.wav\"\n",
    );
    let session = earmix::session::load(&path).unwrap();
    let backend = ScriptedBackend::new(ScriptedConfig {
        pacing: Pacing::Speed(1.0),
        ..ScriptedConfig::default()
    });
    let opts = EngineOptions {
        output: OutputRequest::default(),
        start: Seconds(0.0),
        play: false,
        looping: None,
        ceiling: Decibels(earmix::engine::realtime::DEFAULT_CEILING_DB),
        stream_memory_mib: earmix::engine::stream_plan::DEFAULT_BUDGET_MIB,
    };
    let mut engine = Engine::open_with_backend(&session, &opts, Box::new(backend)).unwrap();
    let wait = |engine: &Engine, what: &str, done: &dyn Fn(&Engine) -> bool| {
        let deadline = Instant::now() + BOUND;
        while !done(engine) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    engine.play();
    assert!(engine.is_playing(), "a play is a play at once");
    wait(&engine, "the audio thread to play", &|e| {
        e.is_sounding() && e.position().0 > 0.2
    });
    for _ in 0..5 {
        engine.pause();
        assert!(!engine.is_playing(), "a pause is a pause at once");
        std::thread::sleep(Duration::from_millis(3));
        assert!(!engine.is_playing(), "a pause fading out is a pause");
        engine.play();
        assert!(engine.is_playing(), "a play right after a pause is a play");
        let from = engine.position().0;
        wait(&engine, "playing again", &|e| {
            e.is_playing() && e.position().0 > from + 0.1
        });
    }
    engine.pause();
    wait(&engine, "the fade-out to end", &|e| !e.is_sounding());
    assert!(!engine.is_playing());
}

/// The shipped Open Stage Control layout (examples/osc/earmix-open-stage-control.json) is JSON
/// of an Open Stage Control session, and each of its widgets speaks earmix: every fader and
/// button address is one earmix answers with the values that widget sends (a float in dB, a
/// button's on and off values), every fader and text widget's address is one earmix sends
/// back to a subscriber, and docs/osc.md lists them all.
#[test]
fn the_open_stage_control_layout_speaks_only_earmix_addresses() {
    use earmix::control::osc::{address, feedback};
    use earmix::control::{FaderState, Feedback, Level, StripState};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("examples/osc/earmix-open-stage-control.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let session: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(session["type"], "session");
    assert_eq!(session["createdWith"], "Open Stage Control");
    assert_eq!(session["content"]["type"], "root");
    let mut widgets = Vec::new();
    let mut pending = vec![&session["content"]];
    while let Some(w) = pending.pop() {
        for key in ["widgets", "tabs"] {
            if let Some(children) = w[key].as_array() {
                pending.extend(children);
            }
        }
        widgets.push(w);
    }
    let fader = FaderState {
        position: Some(0.5),
        level: Level::Db(-3.0),
        waiting: None,
    };
    let mix = Feedback {
        strips: (1..=8)
            .map(|n| StripState {
                name: format!("Strip {n}"),
                fader,
                pan: Some(0.0),
                mute: false,
                solo: false,
                selected: n == 1,
            })
            .collect(),
        master: fader,
        banks: Vec::new(),
        playing: false,
        blind: false,
        section: Some((0, "Intro".into())),
    };
    let sent: Vec<String> = feedback::changes(None, &mix)
        .into_iter()
        .map(|m| m.addr)
        .collect();
    let answers = |addr: &str, arg: OscType| {
        let message = OscMessage {
            addr: addr.to_string(),
            args: vec![arg.clone()],
        };
        let answer = address::request(&message);
        assert!(answer.is_ok(), "earmix refuses {addr} {arg:?}: {answer:?}");
    };
    let int = |w: &serde_json::Value, key: &str| {
        OscType::Int(i32::try_from(w[key].as_i64().unwrap()).unwrap())
    };
    let docs = std::fs::read_to_string(root.join("docs/osc.md")).unwrap();
    let mut kinds = std::collections::BTreeMap::new();
    for w in widgets {
        let kind = w["type"].as_str().unwrap();
        let Some(addr) = w["address"].as_str() else {
            continue;
        };
        *kinds.entry(kind).or_insert(0) += 1;
        match kind {
            "fader" => {
                assert_eq!(w["typeTags"], "f", "{addr}");
                assert_eq!(w["range"]["max"], 12, "{addr}");
                answers(addr, OscType::Float(-10.0));
                assert!(sent.iter().any(|s| s == addr), "earmix never sends {addr}");
            }
            "button" => {
                assert_eq!(w["typeTags"], "i", "{addr}");
                answers(addr, int(w, "on"));
                if w["mode"] != "tap" {
                    answers(addr, int(w, "off"));
                }
            }
            "text" => assert!(sent.iter().any(|s| s == addr), "earmix never sends {addr}"),
            other => panic!("{addr}: a {other} widget is not expected in the layout"),
        }
        let documented = addr.replace(
            &format!("/strip/{}/", addr.split('/').nth(3).unwrap_or("")),
            "/strip/<n>/",
        );
        assert!(
            docs.contains(&format!("`{documented}`")),
            "docs/osc.md lacks {documented}"
        );
    }
    assert_eq!(kinds.get("fader"), Some(&9), "{kinds:?}");
    assert!(kinds.get("button") >= Some(&24), "{kinds:?}");
}
