//! MIDI control surfaces through a JACK dummy server: a test client plays the controller (its
//! `out` port sends, its `in` port receives the feedback), `earmix midi` lists it, and the
//! MIDI surface reads it, drives it and survives it vanishing.
//!
//! libjack finds its server by `JACK_DEFAULT_SERVER`, which a test process cannot set for
//! itself without `unsafe`; so each test runs its body in a child copy of this test binary
//! with the variable set.

use std::process::Command;
use std::time::{Duration, Instant};

use earmix::config::{MidiConfig, MidiOutputChoice};
use earmix::control::midi::ports::Short;
use earmix::control::{
    FaderState, Feedback, Input, Level, Press, Running, Source, StripRef, StripState, Surfaces,
    Target,
};

use crate::servers::Jack;

/// Runs the ignored test `name` in a child of this binary pointed at `jack`.
pub(crate) fn in_child(jack: &Jack, name: &str) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    jack.client(&mut command).env("EARMIX_MIDI_CHILD", "1");
    let out = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("1 passed"),
        "child {name} failed:\n{text}"
    );
}

/// The controller's side: a JACK client with a MIDI `out` (what earmix reads) and `in` (what
/// earmix sends), passing messages through rings.
pub(crate) struct Controller {
    client: Option<jack::AsyncClient<(), Process>>,
    send: rtrb::Producer<Short>,
    received: rtrb::Consumer<Short>,
}

struct Process {
    out: jack::Port<jack::MidiOut>,
    input: jack::Port<jack::MidiIn>,
    to_send: rtrb::Consumer<Short>,
    received: rtrb::Producer<Short>,
}

impl jack::ProcessHandler for Process {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        for event in self.input.iter(ps) {
            if let Some(short) = Short::new(event.bytes) {
                let _ = self.received.push(short);
            }
        }
        let mut writer = self.out.writer(ps);
        while let Ok(short) = self.to_send.pop() {
            let _ = writer.write(&jack::RawMidi {
                time: 0,
                bytes: short.bytes(),
            });
        }
        jack::Control::Continue
    }
}

impl Controller {
    pub(crate) fn open() -> Self {
        let (client, _) =
            jack::Client::new("nanoctl", jack::ClientOptions::NO_START_SERVER).unwrap();
        let out = client
            .register_port("out", jack::MidiOut::default())
            .unwrap();
        let input = client.register_port("in", jack::MidiIn::default()).unwrap();
        let (send, to_send) = rtrb::RingBuffer::new(256);
        let (to_test, received) = rtrb::RingBuffer::new(4096);
        let process = Process {
            out,
            input,
            to_send,
            received: to_test,
        };
        Self {
            client: Some(client.activate_async((), process).unwrap()),
            send,
            received,
        }
    }

    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.send.push(Short::new(bytes).unwrap()).unwrap();
    }

    /// Everything received until `done` holds for it, or panics after 5 s.
    pub(crate) fn receive_until(&mut self, done: impl Fn(&[Vec<u8>]) -> bool) -> Vec<Vec<u8>> {
        let start = Instant::now();
        let mut all = Vec::new();
        while !done(&all) {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "received {all:02x?}"
            );
            while let Ok(short) = self.received.pop() {
                all.push(short.bytes().to_vec());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        all
    }

    pub(crate) fn close(&mut self) {
        if let Some(client) = self.client.take() {
            drop(client.deactivate());
        }
    }
}

fn inputs_until(surfaces: &Surfaces, want: &[Input]) -> Vec<Input> {
    let start = Instant::now();
    let mut all = Vec::new();
    while !want.iter().all(|w| all.contains(w)) {
        assert!(start.elapsed() < Duration::from_secs(5), "got {all:?}");
        all.extend(surfaces.drain().into_iter().map(|a| a.input));
        std::thread::sleep(Duration::from_millis(5));
    }
    all
}

fn notice_until(running: &mut Box<dyn Running>, text: &str) -> Vec<String> {
    let start = Instant::now();
    let mut all = Vec::new();
    while !all.iter().any(|n: &String| n.contains(text)) {
        assert!(start.elapsed() < Duration::from_secs(5), "notices {all:?}");
        all.extend(running.notices());
        std::thread::sleep(Duration::from_millis(20));
    }
    all
}

fn feedback(positions: &[f64], blind: bool) -> Feedback {
    let fader = |p: f64| FaderState {
        position: (!blind).then_some(p),
        level: if blind { Level::Hidden } else { Level::Db(0.0) },
        waiting: None,
    };
    Feedback {
        strips: positions
            .iter()
            .enumerate()
            .map(|(n, p)| StripState {
                name: format!("strip {n}"),
                fader: fader(*p),
                pan: (!blind).then_some(0.0),
                mute: n == 1,
                solo: false,
                selected: n == 0,
            })
            .collect(),
        master: fader(0.5),
        banks: Vec::new(),
        playing: false,
        blind,
        section: None,
    }
}

/// `earmix midi` lists a JACK server's MIDI ports: a controller's output among the inputs
/// earmix can read, its input among the outputs.
#[test]
fn earmix_midi_lists_jack_ports() {
    let jack = Jack::start(256);
    in_child(&jack, "midi::child_earmix_midi_lists_jack_ports");
}

/// (Run by `earmix_midi_lists_jack_ports` in a child pointed at its server.)
#[test]
#[ignore = "run by earmix_midi_lists_jack_ports in a child pointed at its JACK server"]
fn child_earmix_midi_lists_jack_ports() {
    assert!(std::env::var_os("EARMIX_MIDI_CHILD").is_some());
    let mut controller = Controller::open();
    let out = Command::new(env!("CARGO_BIN_EXE_earmix"))
        .arg("midi")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let jack = &text[text.find("JACK:").expect("a JACK section")..];
    assert!(
        jack.starts_with("JACK:\n  inputs:\n    nanoctl:out\n  outputs:\n    nanoctl:in\n"),
        "{text}"
    );
    controller.close();
}

/// A Mackie Control surface on JACK: pitch bend, touch and mute notes from the controller
/// arrive as inputs for the console; feedback drives the motor faders (14-bit pitch bend per
/// channel) and lamps, and while blind every fader parks at the bottom whatever the mix; the
/// controller vanishing and coming back is noticed and its inputs arrive again.
#[test]
fn mackie_surface_round_trip_through_jack() {
    let jack = Jack::start(256);
    in_child(&jack, "midi::child_mackie_surface_round_trip_through_jack");
}

/// (Run by `mackie_surface_round_trip_through_jack` in a child pointed at its server.)
#[test]
#[ignore = "run by mackie_surface_round_trip_through_jack in a child pointed at its JACK server"]
fn child_mackie_surface_round_trip_through_jack() {
    assert!(std::env::var_os("EARMIX_MIDI_CHILD").is_some());
    let mut controller = Controller::open();
    let surfaces = Surfaces::new();
    let config = MidiConfig {
        input: Some("NANOCTL".into()),
        output: MidiOutputChoice::Same,
        controller: "mackie-control".into(),
    };
    let mut running = earmix::control::midi::starter(&config)(surfaces.sender(), surfaces.board())
        .expect("the surface starts");
    assert_eq!(
        running.describe(),
        "MIDI in from nanoctl:out (JACK), feedback out to nanoctl:in, mapping mackie-control"
    );
    let slot = |n| Target::Strip(StripRef::Slot(n));

    controller.send(&[0x90, 104, 127]);
    controller.send(&[0xe0, 0x7f, 0x7f]);
    controller.send(&[0x90, 17, 127]);
    let got = inputs_until(
        &surfaces,
        &[
            Input::FaderTouch {
                target: slot(0),
                touched: true,
            },
            Input::FaderPosition {
                target: slot(0),
                position: 1.0,
            },
            Input::Press(Press::Mute(StripRef::Slot(1))),
        ],
    );
    assert_eq!(got.len(), 3, "{got:?}");
    let arrivals_from = |s: &Surfaces| s.drain().into_iter().map(|a| a.source).collect::<Vec<_>>();
    controller.send(&[0x90, 104, 0]);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        arrivals_from(&surfaces),
        vec![Source::Midi("nanoctl:out".into())]
    );

    surfaces.publish(feedback(&[0.0, 0.25, 0.5, 1.0], false));
    let sent =
        controller.receive_until(|all| all.iter().filter(|m| m[0] & 0xf0 == 0xe0).count() >= 9);
    let quarter = (0.25 * 16383.0_f64).round() as u16;
    for expected in [
        vec![0xe0, 0, 0],
        vec![0xe1, (quarter & 0x7f) as u8, (quarter >> 7) as u8],
        vec![0xe3, 0x7f, 0x7f],
        vec![0xe4, 0, 0],
        vec![0x90, 17, 127],
        vec![0x90, 24, 127],
    ] {
        assert!(
            sent.contains(&expected),
            "no {expected:02x?} in {sent:02x?}"
        );
    }

    surfaces.publish(feedback(&[0.9, 0.8, 0.7, 0.6], true));
    let sent = controller.receive_until(|all| all.iter().any(|m| m == &[0xe2, 0, 0]));
    for message in &sent {
        if message[0] & 0xf0 == 0xe0 {
            assert_eq!(&message[1..], &[0, 0], "parked at the bottom: {sent:02x?}");
        }
    }

    controller.close();
    notice_until(&mut running, "MIDI input nanoctl:out gone; waiting for it");
    let mut controller = Controller::open();
    notice_until(&mut running, "MIDI input nanoctl:out back");
    controller.send(&[0x90, 18, 127]);
    inputs_until(&surfaces, &[Input::Press(Press::Mute(StripRef::Slot(2)))]);
    drop(running);
    controller.close();
}

/// The real console with `--midi`: a generic-8 controller on JACK gets the mix's fader
/// position as feedback; its fader, far from the mix, does nothing (soft takeover) until it
/// crosses the mix's value, then sets the level shown on the strip and saved by ctrl-s; a mute
/// note mutes the strip and lights its lamp.
#[test]
fn console_takes_a_controller_through_jack() {
    let jack = Jack::start(256);
    in_child(&jack, "midi::child_console_takes_a_controller_through_jack");
}

/// (Run by `console_takes_a_controller_through_jack` in a child pointed at its server.)
#[test]
#[ignore = "run by console_takes_a_controller_through_jack in a child pointed at its JACK server"]
fn child_console_takes_a_controller_through_jack() {
    use crate::console::{channel, flagged, float, read_session, shows_in_strip};
    assert!(std::env::var_os("EARMIX_MIDI_CHILD").is_some());
    let mut controller = Controller::open();
    let ts = crate::support::TempSession::new();
    let (mut c, session) = console_with_midi(&ts);
    c.wait_for("Bass at -3.0 dB", |s| shows_in_strip(s, "Bass", "-3.0 dB"));
    // -3 dB sits at 0.675 of the travel: 86 of 127.
    controller.receive_until(|all| all.iter().any(|m| m == &[0xb0, 0, 86]));

    controller.send(&[0xb0, 0, 127]);
    std::thread::sleep(Duration::from_millis(500));
    let unmoved = std::cell::Cell::new(false);
    c.wait_for("a look at the screen", |s| {
        unmoved.set(shows_in_strip(s, "Bass", "-3.0 dB"));
        true
    });
    assert!(
        unmoved.get(),
        "a fader far above the mix does nothing:\n{}",
        c.dump()
    );
    for value in (64..127u8).rev() {
        controller.send(&[0xb0, 0, value]);
        std::thread::sleep(Duration::from_millis(4));
    }
    // 64 of 127 is 0.504 of the travel: -9.8 dB.
    c.wait_for("Bass at -9.8 dB", |s| shows_in_strip(s, "Bass", "-9.8 dB"));

    controller.send(&[0x90, 1, 127]);
    c.wait_for("Keys muted", |s| flagged(s, "M") == vec!["Keys"]);
    controller.receive_until(|all| all.iter().any(|m| m == &[0x90, 1, 127]));

    c.send("\x13");
    c.wait_for_text(&["Saved"]);
    let (_, table) = read_session(&session);
    let bass = float(channel(&table, "Bass"), "gain_db");
    assert!((bass - -9.84).abs() < 0.05, "Bass saved at {bass}");
    c.send("q");
    c.wait_success();
    controller.close();
}

/// The real console on the trio session with `--midi nanoctl` (the JACK server of
/// `JACK_DEFAULT_SERVER`, the generic-8 mapping), once its strips are drawn; and the session's
/// path.
pub(crate) fn console_with_midi(
    ts: &crate::support::TempSession,
) -> (crate::console::Console, std::path::PathBuf) {
    use crate::console::{Console, home_in};
    let session = crate::console::trio(ts);
    let server = std::env::var("JACK_DEFAULT_SERVER").unwrap();
    let args = [
        format!("JACK_DEFAULT_SERVER={server}"),
        "JACK_NO_START_SERVER=1".into(),
        env!("CARGO_BIN_EXE_earmix").into(),
        session.to_string_lossy().into_owned(),
        "--midi".into(),
        "nanoctl".into(),
        "--output".into(),
        "null".into(),
    ];
    let mut c = Console::spawn_program(
        &home_in(ts),
        std::ffi::OsStr::new("/usr/bin/env"),
        &args,
        100,
        30,
    );
    c.wait_for_text(&["Bass", "Keys", "Voice", "MASTER"]);
    (c, session)
}
