//! The reference track in the console, end to end: the real binary in a pseudo-terminal with a
//! session whose reference streams from disk next to the stems.

use std::path::PathBuf;

use crate::console::{Console, home_in, trio};
use crate::support::{TempSession, signal, write_wav_i24};

/// The trio session with a 30 s mono reference that plays 1 s ahead of the mix (`offset = 1.0`).
fn trio_with_reference(ts: &TempSession) -> PathBuf {
    let session = trio(ts);
    write_wav_i24(&ts.path("ref.wav"), 48_000, &[signal(48_000 * 30, 61, 0.3)]);
    let text = std::fs::read_to_string(&session).unwrap();
    std::fs::write(
        &session,
        format!("{text}\n[reference]\nfile = \"ref.wav\"\noffset = 1.0\n"),
    )
    .unwrap();
    session
}

/// How far ahead of the mix the status line says a free-running reference is, in seconds:
/// the number in "ref at m:ss.d (N s ahead)".
fn ahead(text: &str) -> Option<f64> {
    let after = &text[text.find("ref at ")?..];
    let open = after.find('(')?;
    let close = after.find(" s ahead)")?;
    after.get(open + 1..close)?.parse().ok()
}

/// While the reference runs free the status line shows where it is and how far ahead of the
/// mix it plays; `)` moves it 5 s on each time without counting an underrun (each press
/// counted one before, and nothing showed where the reference was); blind, the numbers go and
/// the free tag stays.
#[test]
fn a_free_reference_shows_where_it_is_and_moves_without_underruns() {
    let ts = TempSession::new();
    let session = trio_with_reference(&ts);
    let mut c = Console::open(&home_in(&ts), &session, 140, 30);
    c.wait_for_text(&["MASTER", "MIX", "underruns 0"]);
    assert!(
        !c.text().contains("ref at"),
        "locked: no place\n{}",
        c.dump()
    );

    c.send("f");
    c.wait_for_text(&["MIX (ref free)", "ref at 0:01.0 (1.0 s ahead)"]);
    c.send(" ");
    c.wait_for_text(&["playing"]);
    // Each press waits for the one before to show, so each reads the place the last one left.
    // A move holds the reference (and so brings it nearer the mix) while its data loads, for
    // at most a second.
    for presses in 1..=3 {
        c.send(")");
        let least = 1.0 + 4.0 * f64::from(presses);
        c.wait_for(&format!("the reference {least} s or more ahead"), |s| {
            ahead(&crate::console::screen_text(s)).is_some_and(|by| by >= least)
        });
    }
    let text = c.text();
    let by = ahead(&text).unwrap();
    // 1 s, three moves of 5 s, less the moments the reference held while its data loaded.
    assert!((13.0..=16.0).contains(&by), "{by} s ahead\n{}", c.dump());
    assert!(text.contains("underruns 0"), "{}", c.dump());

    c.send("b");
    c.wait_for_text(&["BLIND", "(ref free)"]);
    assert!(
        !c.text().contains("ref at"),
        "blind: no numbers\n{}",
        c.dump()
    );
}
