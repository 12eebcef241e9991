//! Mix snapshots and blind A/B/X end to end, in a pseudo-terminal: a snapshot taken in the
//! console is saved into the session file, and `earmix exercise abx` runs a short blind
//! comparison of it against the changed mix, shows the result and records it; the plain
//! compare flips between a snapshot and the mix, loudness-matched, and saves nothing.

use crate::console::{Console, home_in, open_trio, read_session};
use crate::support::{TempSession, earmix};

/// P takes a snapshot, K moves a fader, ctrl-s saves both (the snapshot as a [[snapshot]]
/// table); `earmix exercise abx` then runs five trials (l three times: 10, 16, 20, 5), shows
/// the score with its sentence and the reveal, adds an A/B/X line to the history, and
/// `earmix progress` lists it.
#[test]
fn take_a_snapshot_change_the_mix_and_run_a_short_abx() {
    let ts = TempSession::new();
    let (mut c, session) = open_trio(&ts);
    c.send("P");
    c.wait_for_text(&["Take a snapshot of the mix", "0:00"]);
    c.send("\r");
    c.wait_for_text(&["Took snapshot 0:00"]);
    c.send("K");
    c.send("\x13");
    c.wait_for_text(&["Saved"]);
    c.send("q");
    c.wait_success();
    let (text, file) = read_session(&session);
    let snapshots = file["snapshot"].as_array().unwrap();
    assert_eq!(snapshots.len(), 1, "{text}");
    assert_eq!(snapshots[0]["name"].as_str(), Some("0:00"), "{text}");
    assert_eq!(
        snapshots[0]["gain_db"]["Bass"].as_float(),
        Some(-3.0),
        "{text}"
    );

    let home = home_in(&ts);
    let args = [
        "exercise".to_string(),
        "abx".to_string(),
        session.display().to_string(),
    ];
    let mut c = Console::spawn(&home, &args, 80, 24);
    c.wait_for_text(&["Blind A/B/X", "A: snapshot 0:00", "10 trials", "start"]);
    for _ in 0..3 {
        c.send("l");
    }
    c.wait_for_text(&["5 trials"]);
    c.send("\r");
    c.wait_for_text(&["Matched in loudness"]);
    for trial in 1..=5 {
        c.wait_for_text(&[&format!("trial {trial} of 5")]);
        c.send("3");
        c.send("1");
        c.wait_for_text(&["Hearing A"]);
        c.send("\r");
    }
    c.wait_for_text(&["Blind A/B/X:", "of 5 right", "X was", "You said", "Trial 5"]);
    c.wait_for_text(&["guessing would do this"]);

    let history = home.join("data/earmix/history.jsonl");
    let lines = std::fs::read_to_string(&history).unwrap();
    let record: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(record["exercise"], "abx");
    assert_eq!(record["abx"]["a"], "0:00");
    assert_eq!(record["abx"]["trials"], 5);
    let right = record["abx"]["right"].as_u64().unwrap();
    assert!(
        c.text().contains(&format!("{right} of 5 right")),
        "{}",
        c.dump()
    );

    c.send("\r");
    c.wait_for_text(&["Back to your mix"]);
    c.send("q");
    c.wait_success();
    let out = earmix()
        .args(["progress", "--history"])
        .arg(&history)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "Blind A/B/X: done 1 time, no scores\n  last: {right} of 5 right, snapshot 0:00 \
             against the current mix"
        )),
        "{stdout}"
    );
}

/// P takes a snapshot, K moves a fader; in the snapshot list c compares the snapshot (A) with
/// the mix as it is (B): the box names both, the loudness match says by how much the louder
/// one is turned down, c flips to B and the status line says so; Esc leaves with the mix as
/// it is back, and quitting without saving leaves the session file as it was: a compare saves
/// nothing.
#[test]
fn take_a_snapshot_change_a_fader_and_compare() {
    let ts = TempSession::new();
    let (mut c, session) = open_trio(&ts);
    let before = std::fs::read_to_string(&session).unwrap();
    c.send("P");
    c.wait_for_text(&["Take a snapshot of the mix", "0:00"]);
    c.send("\r");
    c.wait_for_text(&["Took snapshot 0:00"]);
    c.send("K");
    c.send("p");
    c.wait_for_text(&["Mix snapshots (1)", "c compare"]);
    c.send("c");
    c.wait_for_text(&[
        "Compare, not blind: A: 0:00 plays",
        "A: snapshot 0:00 (playing)",
        "B: your mix as it is",
    ]);
    c.wait_for_text(&["B is turned down", "dB to match A."]);
    c.send("c");
    c.wait_for_text(&["Compare, not blind: B: mix now plays", "Hearing B: mix now"]);
    c.send("\x1b");
    c.wait_for_text(&["Back to your mix as it is"]);
    assert!(!c.text().contains("Compare, not blind"), "{}", c.dump());
    c.send("q");
    c.wait_for_text(&["[y] quit without saving"]);
    c.send("y");
    c.wait_success();
    assert_eq!(std::fs::read_to_string(&session).unwrap(), before);
}
