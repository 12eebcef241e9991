//! Guess mode end to end: `earmix exercise guess SESSION` in a pseudo-terminal, pairs answered
//! with the real keys (a strip's number, then a fader key), Enter for the results, and the
//! history record with its per-role estimates; the session file is left alone.

use crate::console::{Console, home_in};
use crate::support::{TempSession, signal, write_wav_f32};

/// Three parts with roles, five seconds; the chorus (the loop) is one excerpt of 2.5 s.
const TRIO: &str = r#"version = 1
name = "Trio"
sample_rate = 48000

[[channel]]
name = "Bass"
file = "stems/bass.wav"
role = "bass"
gain_db = -3.0

[[channel]]
name = "Keys"
file = "stems/keys.wav"
role = "keys"
gain_db = -6.0

[[channel]]
name = "Voice"
file = "stems/voice.wav"
role = "vocal"

[[section]]
name = "Verse"
start = 0.0

[[section]]
name = "Chorus"
start = 2.5
"#;

#[test]
fn guess_mode_answers_pairs_with_the_keys_and_records_estimates() {
    let ts = TempSession::new();
    for (seed, name) in [(51, "bass"), (52, "keys"), (53, "voice")] {
        write_wav_f32(
            &ts.path(&format!("stems/{name}.wav")),
            48_000,
            &[signal(48_000 * 5, seed, 0.3)],
        );
    }
    let session = ts.write_session(TRIO);
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
    let log = std::fs::read_to_string(home.join("data/earmix/history.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1, "{log}");
    assert_eq!(records[0]["exercise"], "guess");
    let estimates = records[0]["estimates"].as_array().unwrap();
    assert!(!estimates.is_empty(), "{log}");
    let trials: u64 = estimates
        .iter()
        .map(|e| e["trials"].as_u64().unwrap())
        .sum();
    assert_eq!(trials, 3, "{log}");
    for estimate in estimates {
        assert!(
            ["bass", "keys", "vocal"].contains(&estimate["role"].as_str().unwrap()),
            "{log}"
        );
        let jnd = estimate["jnd_db"].as_f64().unwrap();
        assert!((0.5..=6.0).contains(&jnd), "{log}");
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
