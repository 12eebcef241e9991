//! The pan drill end to end: `earmix exercise pan SESSION` in a pseudo-terminal on a small
//! session with a stereo picture, rebuilt blind with the real pan keys; the results screen,
//! the history line, and the session file (untouched).

use crate::console::{Console, home_in};
use crate::support::TempSession;
use crate::support::drills::{assert_blind, history, three_parts};

/// Three mono parts, spread: Bass centred, Keys L40, Voice R20; five seconds long.
const SPREAD: &str = r#"# Spread: a small session with a stereo picture for the pan drill.
version = 1
name = "Spread"
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
pan = -0.4

[[channel]]
name = "Voice"
file = "stems/voice.wav"
role = "vocal"
pan = 0.2
"#;

/// The real binary runs the pan drill: the target plays, Enter scrambles, the pan keys move
/// the parts blind, `=` flips to the target loudness-matched, Enter shows each part's pans as
/// the console writes them, and one "pan" line with the pans lands in the history; the
/// session file is untouched.
#[test]
fn the_pan_drill_rebuilds_blind_scores_and_records() {
    let ts = TempSession::new();
    let session = three_parts(&ts, SPREAD, [41, 42, 43]);
    let before = std::fs::read(&session).unwrap();
    let home = home_in(&ts);
    let args = [
        "exercise".to_string(),
        "pan".to_string(),
        session.display().to_string(),
    ];
    let mut c = Console::spawn(&home, &args, 80, 24);
    c.wait_for_text(&["Pan drill", "The target: the mix as saved.", "start"]);
    c.send("\r");
    c.wait_for_text(&["Listen to where each part sits", "TARGET"]);
    assert_blind(&c);
    c.send("<");
    c.wait_for_text(&["This is the target"]);
    c.send("\r");
    c.wait_for_text(&["Put each part back by ear", "YOUR MIX", "</> pan"]);
    assert_blind(&c);
    c.send("=");
    c.wait_for_text(&["TARGET", "as loud as your picture"]);
    c.send("=");
    c.wait_for_text(&["YOUR MIX", "Your picture"]);
    for keys in ["<", "<", "l", ">", ">", ">", "l", "<"] {
        c.send(keys);
        assert_blind(&c);
    }
    c.send("k");
    c.wait_for_text(&["Pans only: the levels are the target's"]);
    c.send("\r");
    c.wait_for_text(&["Pan drill: your stereo picture", "Score:", "Target", "L40"]);
    let text = c.text();
    assert!(text.contains("R20"), "{}", c.dump());
    assert!(text.contains("You scored"), "{}", c.dump());

    let records = history(&home);
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(record["exercise"], "pan");
    assert!(record["score"].as_f64().is_some(), "{record}");
    let channels = record["channels"].as_array().unwrap();
    let names: Vec<&str> = channels
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bass", "Keys", "Voice"]);
    assert_eq!(channels[1]["target_pan"], -0.4, "{record}");
    for channel in channels {
        let (pan, target) = (
            channel["pan"].as_f64().unwrap(),
            channel["target_pan"].as_f64().unwrap(),
        );
        let error = channel["pan_error"].as_f64().unwrap();
        assert!((error - (pan - target)).abs() < 1e-9, "{channel}");
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
