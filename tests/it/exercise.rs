//! The guided exercises end to end: `earmix exercise NAME SESSION` in a pseudo-terminal on a
//! small session, balanced blind with real keys; the results screen, the history record, and
//! the session file (untouched unless the result is kept).

use std::path::{Path, PathBuf};

use crate::console::{Console, channel, float, home_in, read_session, screen_text};
use crate::support::drills::{assert_no_digits, ensemble, history};
use crate::support::{TempSession, signal, write_wav_f32};

/// Starts `earmix exercise NAME SESSION [extra]` at 80x24.
fn start(ts: &TempSession, name: &str, extra: &[&str]) -> (Console, PathBuf, PathBuf) {
    let session = ensemble(ts);
    let home = home_in(ts);
    let mut args = vec!["exercise".to_string(), name.to_string()];
    args.push(session.display().to_string());
    args.extend(extra.iter().map(ToString::to_string));
    let console = Console::spawn(&home, &args, 80, 24);
    (console, session, home)
}

/// Fails when the screen shows a number other than the transport times and the drill's
/// "level N" (no fader value, level or scale may show while the exercise is blind).
fn assert_blind(c: &Console) {
    let mut text = c.text();
    for n in 1..=5 {
        text = text
            .replace(&format!("level {n}"), "level")
            .replace(&format!("Level {n}"), "Level");
    }
    assert_no_digits(c, &text);
}

/// Quits (no question: nothing is unsaved) and checks the session file is still `before`.
fn quit_leaving(c: &mut Console, session: &Path, before: &[u8]) {
    c.send("q");
    c.wait_success();
    assert_eq!(
        std::fs::read(session).unwrap(),
        before,
        "the session changed"
    );
}

/// Nudges the faders of the first two strips around, checking the screen stays blind.
fn balance_blind(c: &mut Console) {
    for keys in ["k", "k", "K", "l", "j", "J", "h"] {
        c.send(keys);
        assert_blind(c);
    }
    c.wait_for("the play head to move", |s| {
        !screen_text(s).contains("0:00.0 /")
    });
    assert_blind(c);
}

#[test]
fn blindfold_balance_reveals_records_and_leaves_the_session_alone() {
    let ts = TempSession::new();
    let (mut c, session, home) = start(&ts, "blindfold", &[]);
    let before = std::fs::read(&session).unwrap();
    c.wait_for_text(&["Blindfold Balance Test", "start", "cancel"]);
    c.send("\r");
    c.wait_for_text(&["Balance the mix by ear", "playing"]);
    balance_blind(&mut c);
    c.send("\r");
    c.wait_for_text(&["what you did", "Target", "Diff", "keep this balance"]);
    let text = c.text();
    for name in ["Bass", "Keys", "Voice"] {
        assert!(text.contains(name), "{}", c.dump());
    }
    // The role targets from config/targets.toml: bass -15, keys -18, vocal -6 dBFS.
    for target in ["-15.0", "-18.0", "-6.0"] {
        assert!(
            text.contains(target),
            "target {target} missing\n{}",
            c.dump()
        );
    }

    let records = history(&home);
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(record["exercise"], "blindfold");
    assert!(
        record["session"]
            .as_str()
            .unwrap()
            .ends_with("session.toml")
    );
    assert_eq!(record["channels"].as_array().unwrap().len(), 3, "{record}");
    let score = record["score"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&score), "{record}");
    assert_eq!(
        std::fs::read(&session).unwrap(),
        before,
        "the session changed"
    );

    c.send("\r");
    c.wait_for_text(&["Back to your mix"]);
    // Back as it was: the faders show their numbers again, and quitting asks nothing.
    c.wait_for_text(&["-3.0 dB", "-6.0 dB"]);
    quit_leaving(&mut c, &session, &before);
}

#[test]
fn a_kept_blindfold_balance_is_saved_with_the_comments() {
    let ts = TempSession::new();
    let (mut c, session, _home) = start(&ts, "blindfold", &[]);
    c.wait_for_text(&["Blindfold Balance Test", "start"]);
    c.send("\r");
    c.wait_for_text(&["Balance the mix by ear"]);
    c.send("k");
    c.send("\r");
    c.wait_for_text(&["keep this balance"]);
    c.send("k");
    c.wait_for_text(&["saved"]);
    let (text, file) = read_session(&session);
    assert!(text.contains("# Ensemble: a small session"), "{text}");
    let moved = ["Bass", "Keys", "Voice"]
        .iter()
        .zip([-3.0, -6.0, 0.0])
        .filter(|(name, was)| (float(channel(&file, name), "gain_db") - was).abs() > 0.01)
        .count();
    assert!(moved >= 2, "the scrambled balance was not kept:\n{text}");
    // Kept as one undo step: u takes the whole balance back (unsaved until ctrl-s).
    c.send("u");
    c.wait_for_text(&["Undone", "-3.0 dB", "-6.0 dB", "0.0 dB"]);
    c.send("\x13");
    c.wait_for_text(&["Saved"]);
    c.send("q");
    c.wait_success();
    let (text, file) = read_session(&session);
    for (name, was) in [("Bass", -3.0), ("Keys", -6.0), ("Voice", 0.0)] {
        assert_eq!(float(channel(&file, name), "gain_db"), was, "{text}");
    }
}

#[test]
fn emotional_arc_balances_two_sections_and_keeps_them_as_scenes() {
    let ts = TempSession::new();
    let (mut c, session, home) = start(&ts, "arc", &[]);
    let before = std::fs::read(&session).unwrap();
    c.wait_for_text(&["Emotional Arc Exercise", "Verse first, then Chorus"]);
    c.send("\r");
    c.wait_for_text(&["Balance Verse by ear"]);
    balance_blind(&mut c);
    c.send("\r");
    c.wait_for_text(&["Balance Chorus by ear"]);
    assert_blind(&c);
    for keys in ["l", "K", "K", "l", "j"] {
        c.send(keys);
        assert_blind(&c);
    }
    c.send("\r");
    c.wait_for_text(&["Emotional Arc: Verse to Chorus", "Change", "keep them"]);
    let records = history(&home);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["exercise"], "arc");
    assert_eq!(records[0]["channels"].as_array().unwrap().len(), 3);
    assert_eq!(
        std::fs::read(&session).unwrap(),
        before,
        "the session changed"
    );

    c.send("k");
    c.wait_for_text(&["scenes of Verse and Chorus"]);
    c.send("q");
    c.wait_success();
    let (text, file) = read_session(&session);
    let sections = file["section"].as_array().unwrap();
    let scenes: Vec<usize> = sections
        .iter()
        .map(|s| {
            s.get("gain_db")
                .and_then(|g| g.as_table())
                .map_or(0, toml::Table::len)
        })
        .collect();
    assert!(
        scenes.iter().all(|&n| n >= 1),
        "no scenes kept: {scenes:?}\n{text}"
    );
    // The base faders are as they were.
    assert_eq!(float(channel(&file, "Bass"), "gain_db"), -3.0, "{text}");
    assert_eq!(float(channel(&file, "Voice"), "gain_db"), 0.0, "{text}");
}

#[test]
fn drill_level_one_flips_scores_and_records() {
    let ts = TempSession::new();
    let (mut c, session, home) = start(&ts, "drill", &[]);
    let before = std::fs::read(&session).unwrap();
    c.wait_for_text(&["Level-matching drill", "Level 1", "start"]);
    c.send("\r");
    c.wait_for_text(&["Listen to the target", "TARGET"]);
    assert_blind(&c);
    c.send("\r");
    c.wait_for_text(&["Rebuild the target", "YOUR MIX"]);
    assert_blind(&c);
    c.send("=");
    c.wait_for_text(&["TARGET", "as loud as your mix"]);
    c.send("=");
    c.wait_for_text(&["YOUR MIX"]);
    balance_blind(&mut c);
    c.send("\r");
    c.wait_for_text(&["Level-matching drill, level 1", "Score:", "Error"]);

    let records = history(&home);
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(record["exercise"], "drill");
    assert_eq!(record["level"], 1);
    assert_eq!(record["channels"].as_array().unwrap().len(), 2, "{record}");
    assert!(record["score"].as_f64().is_some(), "{record}");
    assert_eq!(
        std::fs::read(&session).unwrap(),
        before,
        "the session changed"
    );

    c.send("\r");
    c.wait_for_text(&["Back to your mix"]);
    quit_leaving(&mut c, &session, &before);
}

#[test]
fn leaving_an_exercise_records_nothing() {
    let ts = TempSession::new();
    let (mut c, session, home) = start(&ts, "blindfold", &[]);
    let before = std::fs::read(&session).unwrap();
    c.wait_for_text(&["Blindfold Balance Test", "start"]);
    c.send("\r");
    c.wait_for_text(&["Balance the mix by ear"]);
    c.send("k");
    c.send("\x1b");
    c.wait_for_text(&["Leave the exercise?"]);
    c.send("y");
    c.wait_for_text(&["the mix is as it was"]);
    c.send("q");
    c.wait_success();
    assert!(history(&home).is_empty());
    assert_eq!(std::fs::read(&session).unwrap(), before);
}

#[test]
fn e_in_the_console_opens_the_list_for_the_open_session() {
    let ts = TempSession::new();
    let session = ensemble(&ts);
    let mut c = Console::open(&home_in(&ts), &session, 80, 24);
    c.wait_for_text(&["Bass", "Keys", "Voice", "MASTER"]);
    c.send("E");
    c.wait_for_text(&["Exercises: train your ear", "Blindfold Balance Test"]);
    c.send("\x1b[B");
    c.send("\r");
    c.wait_for_text(&[
        "Emotional Arc Exercise",
        "Verse first, then Chorus",
        "cancel",
    ]);
    c.send("\x1b");
    c.wait_for_text(&["not started"]);
    c.send("q");
    c.wait_success();
}

/// Level 5 (memory): the target plays once and stops; there is no flipping back to it.
#[test]
fn the_memory_level_plays_the_target_once_and_allows_no_flip() {
    use earmix::exercise::history::{History, Record};
    let ts = TempSession::new();
    let session = ensemble(&ts);
    let home = home_in(&ts);
    let history = History::at(home.join("data/earmix/history.jsonl"));
    for level in 1..=4 {
        let record = Record::new("drill", &session, std::time::SystemTime::now())
            .with_level(level)
            .with_score(100.0);
        history.append(&record).unwrap();
    }
    let args = [
        "exercise".to_string(),
        "drill".to_string(),
        session.display().to_string(),
        "--level".to_string(),
        "5".to_string(),
    ];
    let mut c = Console::spawn(&home, &args, 80, 24);
    c.wait_for_text(&["Level 5", "start"]);
    c.send("\r");
    c.wait_for_text(&["Listen to the target", "TARGET"]);
    c.send(" ");
    c.wait_for_text(&["the target plays once"]);
    // The chorus (2.5 s) plays through once, then the console pauses by itself.
    c.wait_for_text(&["That was the target, once", "paused"]);
    c.send("\r");
    c.wait_for_text(&["Rebuild the target by ear"]);
    assert_blind(&c);
    c.send("=");
    c.wait_for_text(&["Memory mode: no going back"]);
    c.send("\r");
    c.wait_for_text(&["Level-matching drill, level 5", "Score:"]);
    assert_eq!(history.read().unwrap().records.len(), 5);
    c.send("\r");
    c.send("q");
    c.wait_success();
}

/// The ensemble with a reference mix: the same stems at another balance, half a second late
/// in the reference (so `offset = 0.5`).
fn ensemble_with_reference(ts: &TempSession) -> PathBuf {
    let session = ensemble(ts);
    let n = 48_000 * 5;
    let delay = 24_000;
    let parts: Vec<Vec<f32>> = [41, 42, 43].iter().map(|&s| signal(n, s, 0.3)).collect();
    let mut mix = vec![0.0f32; n + delay];
    for (part, gain) in parts.iter().zip([0.5f32, 0.25, 0.9]) {
        for (i, x) in part.iter().enumerate() {
            mix[i + delay] += x * gain;
        }
    }
    write_wav_f32(&ts.path("ref.wav"), 48_000, &[mix.clone(), mix]);
    let text = std::fs::read_to_string(&session).unwrap();
    std::fs::write(
        &session,
        format!("{text}\n[reference]\nfile = \"ref.wav\"\noffset = 0.5\n"),
    )
    .unwrap();
    session
}

/// Reference Deconstruction end to end: the panel, a blind console where R flips to the
/// reference (the status line says which one sounds, without a number), the monitor keys work
/// and show, pan is refused, faders and trims move; Enter shows what moved and the sections
/// page, records the exercise, and closing leaves the session file as it was.
#[test]
fn reference_deconstruction_flips_blind_and_compares_section_by_section() {
    let ts = TempSession::new();
    let session = ensemble_with_reference(&ts);
    let home = home_in(&ts);
    let args = ["exercise", "reference", &session.display().to_string()];
    let mut c = Console::spawn(&home, &args, 80, 24);
    let before = std::fs::read(&session).unwrap();
    c.wait_for_text(&["Reference Deconstruction", "start flat", "start scrambled"]);
    c.send("\r");
    c.wait_for_text(&["Match the reference by ear", "MIX", "playing"]);
    assert_blind(&c);
    c.send("R");
    c.wait_for_text(&["REF", "matched in loudness"]);
    assert_blind(&c);
    c.send("<");
    c.wait_for_text(&["Levels only"]);
    c.send("M");
    c.wait_for_text(&["MONO"]);
    c.send("v");
    c.wait_for_text(&["SMALL SPEAKER"]);
    assert_blind(&c);
    c.send("V");
    c.wait_for_text(&["plain stereo"]);
    c.send("R");
    c.wait_for_text(&["Your mix"]);
    for keys in ["k", "K", "l", "j", "t", "k", "t"] {
        c.send(keys);
        assert_blind(&c);
    }
    c.send("\r");
    c.wait_for_text(&["what you did", "Start", "Moved", "section by section"]);
    let text = c.text();
    for name in ["Bass", "Keys", "Voice"] {
        assert!(text.contains(name), "{}", c.dump());
    }
    c.send("\t");
    c.wait_for_text(&["section by section", "Your shape", "Ref shape", "Range"]);
    let text = c.text();
    for section in ["Verse", "Chorus"] {
        assert!(text.contains(section), "{}", c.dump());
    }
    c.send("\t");
    c.wait_for_text(&["the reading"]);
    let records = history(&home);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["exercise"], "reference");
    assert_eq!(records[0]["channels"].as_array().unwrap().len(), 3);
    c.send("\r");
    c.wait_for_text(&["Back to your mix"]);
    quit_leaving(&mut c, &session, &before);
}

/// Without a reference the exercise says what it needs and does not start.
#[test]
fn reference_deconstruction_needs_a_reference() {
    let ts = TempSession::new();
    let (mut c, session, _home) = start(&ts, "reference", &[]);
    let before = std::fs::read(&session).unwrap();
    c.wait_for_text(&["needs a session with a [reference]"]);
    quit_leaving(&mut c, &session, &before);
}
