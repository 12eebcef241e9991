//! Learning a MIDI control in the real console, through a JACK dummy server: the test client
//! plays the controller (see `midi.rs`), the console runs in a pseudo-terminal.

use std::time::Duration;

use crate::midi::{Controller, console_with_midi, in_child};
use crate::servers::Jack;

/// Learn mode end to end: with `--midi`, ctrl+l on strip 2 (Keys), its fader chosen, an
/// unmapped CC from the controller is shown as heard, Enter binds it and saves it in the
/// user's generic-8 mapping file; at once the CC moves Keys, with soft takeover (far above the
/// mix it waits, crossing the mix it follows), and ctrl+s saves the level it set.
#[test]
fn a_learned_cc_moves_strip_2_at_once_and_is_saved() {
    let jack = Jack::start(256);
    in_child(
        &jack,
        "learn::child_a_learned_cc_moves_strip_2_at_once_and_is_saved",
    );
}

/// (Run by `a_learned_cc_moves_strip_2_at_once_and_is_saved` in a child pointed at its server.)
#[test]
#[ignore = "run by a_learned_cc_moves_strip_2_at_once_and_is_saved in a child pointed at its JACK server"]
fn child_a_learned_cc_moves_strip_2_at_once_and_is_saved() {
    use crate::console::{channel, float, home_in, read_session, shows_in_strip};
    assert!(std::env::var_os("EARMIX_MIDI_CHILD").is_some());
    let mut controller = Controller::open();
    let ts = crate::support::TempSession::new();
    let (mut c, session) = console_with_midi(&ts);
    c.wait_for("Keys at -6.0 dB", |s| shows_in_strip(s, "Keys", "-6.0 dB"));
    // CC 50 is mapped to nothing in generic-8: it moves nothing yet.
    controller.send(&[0xb0, 50, 127]);
    c.send("2");
    c.send("\x0c");
    c.wait_for_text(&["Learn a control for what?", "Keys fader (bank position 2)"]);
    c.send("\r");
    c.wait_for_text(&[
        "Learn: Keys fader (bank position 2)",
        "Move or press a control",
    ]);
    controller.send(&[0xb0, 50, 10]);
    c.wait_for_text(&["Heard: CC 50 on channel 1", "Binds: CC 50 on channel 1"]);
    c.send("\r");
    c.wait_for_text(&["Learned: CC 50 on channel 1 is Keys fader"]);

    let file = home_in(&ts).join("config/earmix/controllers/generic-8.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("# A generic 8-fader controller")
            && text.contains(
                "\n[learned]\nfader-2 = { message = \"cc\", channel = 1, controller = 50 }\n"
            ),
        "{text}"
    );

    // Far above the mix: soft takeover waits.
    controller.send(&[0xb0, 50, 127]);
    std::thread::sleep(Duration::from_millis(500));
    let unmoved = std::cell::Cell::new(false);
    c.wait_for("a look at the screen", |s| {
        unmoved.set(shows_in_strip(s, "Keys", "-6.0 dB"));
        true
    });
    assert!(
        unmoved.get(),
        "the first move waits to catch:\n{}",
        c.dump()
    );
    for value in (64..127u8).rev() {
        controller.send(&[0xb0, 50, value]);
        std::thread::sleep(Duration::from_millis(4));
    }
    // 64 of 127 is 0.504 of the travel: -9.8 dB.
    c.wait_for("Keys at -9.8 dB", |s| shows_in_strip(s, "Keys", "-9.8 dB"));
    c.send("\x13");
    c.wait_for_text(&["Saved"]);
    let (_, table) = read_session(&session);
    let keys = float(channel(&table, "Keys"), "gain_db");
    assert!((keys - -9.84).abs() < 0.05, "Keys saved at {keys}");
    c.send("q");
    c.wait_success();
    controller.close();
}
