//! Guess mode end to end: `earmix exercise guess SESSION` in a pseudo-terminal, pairs answered
//! with the real keys (a strip's number, then a fader key), Enter for the results, and the
//! history record with its per-role estimates; the session file is left alone.

use crate::console::{Console, home_in};
use crate::support::TempSession;
use crate::support::drills::{ensemble, history};

#[test]
fn guess_mode_answers_pairs_with_the_keys_and_records_estimates() {
    let ts = TempSession::new();
    let session = ensemble(&ts);
    let before = std::fs::read(&session).unwrap();
    let home = home_in(&ts);
    let args = [
        "exercise".to_string(),
        "guess".to_string(),
        session.display().to_string(),
    ];
    let mut c = Console::spawn(&home, &args, 80, 24);
    c.wait_for_text(&["Guess mode", "start", "cancel"]);
    c.send("\r");
    c.wait_for_text(&["Guess mode, pair 1", "AS IT IS"]);
    // Too early: the part moves in the second playing.
    c.send("k");
    c.wait_for_text(&["Listen first"]);
    for (pair, keys) in [(1, ["1", "k"]), (2, ["2", "j"]), (3, ["3", "\x1b[A"])] {
        c.wait_for_text(&[&format!("Guess mode, pair {pair}"), "MOVED"]);
        for key in keys {
            c.send(key);
        }
        c.wait_for_text(&[&format!("Guess mode, pair {}", pair + 1)]);
        let text = c.text();
        assert!(
            text.contains("Right: ") || text.contains("Missed: "),
            "no word on the answer\n{}",
            c.dump()
        );
    }
    c.send("\r");
    c.wait_for_text(&["the smallest change you hear", "Heard", "Likely", "close"]);
    let records = history(&home);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["exercise"], "guess");
    let estimates = records[0]["estimates"].as_array().unwrap();
    assert!(!estimates.is_empty(), "{records:?}");
    let trials: u64 = estimates
        .iter()
        .map(|e| e["trials"].as_u64().unwrap())
        .sum();
    assert_eq!(trials, 3, "{records:?}");
    for estimate in estimates {
        assert!(
            ["bass", "keys", "vocal"].contains(&estimate["role"].as_str().unwrap()),
            "{records:?}"
        );
        let jnd = estimate["jnd_db"].as_f64().unwrap();
        assert!((0.5..=6.0).contains(&jnd), "{records:?}");
    }
    c.send("\r");
    c.wait_for_text(&["Back to your mix"]);
    c.send("q");
    c.wait_success();
    assert_eq!(
        std::fs::read(&session).unwrap(),
        before,
        "the session changed"
    );
}
