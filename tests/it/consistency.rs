//! The consistency drill end to end: `earmix exercise consistency SESSION` in a pseudo-terminal,
//! balanced blind with real keys through its three steps to the results, the history line, and
//! `earmix progress` reading it back.

use crate::console::{Console, home_in};
use crate::support::drills::{assert_blind, ensemble, history};
use crate::support::{TempSession, earmix_in};

/// Sends `keys` one at a time, checking the screen stays blind after each.
fn press_blind(c: &mut Console, keys: &[&str]) {
    for key in keys {
        c.send(key);
        assert_blind(c);
    }
}

/// Every part at 0 dB both times (the unity key on each strip) with another balance in
/// between: the results score 100 points, 0 dB apart; the history line says the same, the
/// session file is untouched, and `earmix progress` shows the distance line.
#[test]
fn the_same_answer_twice_scores_100_and_progress_tracks_it() {
    let ts = TempSession::new();
    let session = ensemble(&ts);
    let home = home_in(&ts);
    let before = std::fs::read(&session).unwrap();
    let args = [
        "exercise".to_string(),
        "consistency".to_string(),
        session.display().to_string(),
    ];
    let mut c = Console::spawn(&home, &args, 80, 24);
    c.wait_for_text(&[
        "Consistency drill",
        "Chorus twice, Verse in between",
        "start",
    ]);
    c.send("\r");
    c.wait_for_text(&["Chorus, first time", "Balance Chorus by ear"]);
    assert_blind(&c);
    let unity = ["1", "0", "2", "0", "3", "0"];
    press_blind(&mut c, &unity);
    c.send("\r");
    c.wait_for_text(&["Verse, in between", "not scored"]);
    press_blind(&mut c, &["1", "K", "K", "2", "J", "3", "k"]);
    c.send("\r");
    c.wait_for_text(&["Chorus, second time", "as you hear it now"]);
    press_blind(&mut c, &unity);
    c.send("\r");
    c.wait_for_text(&[
        "Consistency drill: Chorus, twice",
        "Score: 100 points",
        "First",
        "Second",
        "Diff",
    ]);

    let records = history(&home);
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(record["exercise"], "consistency");
    assert_eq!(record["score"], 100.0);
    assert_eq!(record["consistency_db"], 0.0);
    let channels = record["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 3, "{record}");
    for channel in channels {
        assert_eq!(channel["level_db"], 0.0, "{record}");
        assert_eq!(channel["target_db"], 0.0, "{record}");
    }

    c.send("\r");
    c.wait_for_text(&["Back to your mix"]);
    c.send("q");
    c.wait_success();
    assert_eq!(std::fs::read(&session).unwrap(), before);

    let out = earmix_in(&home)
        .args(["progress", "--ascii"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Consistency drill: done 1 time, best 100\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  your two answers apart: latest 0.0 dB, best 0.0 dB\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  _  (1 distance, oldest first, 0-6 dB, lower is steadier)\n"),
        "{stdout}"
    );
}
