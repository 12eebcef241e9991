//! The consistency drill in the console model: the steps, the scrambles, the score and the
//! history record, and the user's mix coming back.

use std::path::Path;

use crate::app::action::Action;
use crate::app::effect::Transport;
use crate::app::keymap::Keymap;
use crate::app::state::App;
use crate::exercise::Exercise;
use crate::exercise::history::History;
use crate::session::{Section, Session};
use crate::ui::view::{BlindLevel, Overlay, ResultsView};
use crate::units::{Decibels, Seconds};

/// Three channels (Bass -3 dB, Keys 0 dB, Drums -6 dB) over 10 s, Verse 1 from 0 s and
/// Chorus 1 from 5 s.
fn song(path: &Path) -> Session {
    let mut session = crate::app::edit::test_session(path);
    let mut drums = session.channels[1].clone();
    drums.name = "Drums".to_string();
    drums.file = "drums.wav".into();
    drums.role = Some(crate::session::Role::Drums);
    drums.gain_db = Decibels(-6.0);
    session.channels.push(drums);
    session.stems.push(session.stems[0].clone());
    for (name, start) in [("Verse 1", 0.0), ("Chorus 1", 5.0)] {
        session.sections.push(Section {
            name: name.to_string(),
            start: Seconds(start),
            gain_db: Vec::new(),
            mute: Vec::new(),
            ramp_ms: None,
        });
    }
    session
}

fn console(session: Session) -> App {
    let mut app = App::new(
        session,
        Keymap::default(),
        crate::app::edit::test_steps(),
        crate::app::edit::test_blind(crate::config::BlindOnExit::Ask),
        None,
        None,
    );
    app.mixer_mut().seed(11);
    app
}

use crate::app::mode::testing::act_on as act;

fn start(app: &mut App, transport: &mut Transport) {
    app.open_exercise(Exercise::Consistency, None);
    assert!(
        matches!(app.overlay(), Some(Overlay::Question { .. })),
        "{:?}",
        app.message()
    );
    act(app, Action::Confirm, transport);
    assert!(app.in_exercise(), "{:?}", app.message());
}

fn faders(app: &App) -> Vec<Decibels> {
    app.mixer()
        .session
        .channels
        .iter()
        .map(|c| c.gain_db)
        .collect()
}

fn title(app: &App) -> String {
    app.exercise_banner().map(|b| b.title).unwrap_or_default()
}

fn results(app: &App) -> ResultsView {
    match app.overlay() {
        Some(Overlay::Results(view)) => view,
        other => panic!("expected the results, got {other:?}"),
    }
}

/// Every part's fader to 0 dB (Unity), strip by strip.
fn all_unity(app: &mut App, transport: &mut Transport) {
    for strip in 1..=3 {
        act(app, Action::SelectStrip(strip), transport);
        act(app, Action::Unity, transport);
    }
}

/// The three steps in order: the chorus loops first, scrambled, blind; Enter moves to the
/// verse from a scramble of its own (the step in between, a real balance with its own loop);
/// Enter again loops the chorus from a scramble unlike the first one.
#[test]
fn the_chorus_twice_scrambled_differently_with_the_verse_between() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = console(song(&dir.path().join("s.toml")));
    let mut transport = Transport::default();
    let before = faders(&app);
    start(&mut app, &mut transport);
    assert_eq!(title(&app), "Consistency drill: Chorus 1, first time");
    assert_eq!(app.mixer().blind(), BlindLevel::MetersOff);
    assert!(transport.playing);
    assert_eq!(transport.loop_region, Some((Seconds(5.0), Seconds(10.0))));
    let first = faders(&app);
    assert_ne!(first, before, "the first time starts scrambled");

    act(&mut app, Action::Confirm, &mut transport);
    assert_eq!(title(&app), "Consistency drill: Verse 1, in between");
    assert_eq!(app.message(), Some("Now Verse 1, from a fresh scramble"));
    assert_eq!(
        app.exercise_banner().unwrap().step,
        "Balance Verse 1 by ear: not scored"
    );
    assert_eq!(transport.loop_region, Some((Seconds(0.0), Seconds(5.0))));
    let between = faders(&app);
    assert_ne!(between, first, "the step in between has its own scramble");
    assert_eq!(app.mixer().blind(), BlindLevel::MetersOff);

    act(&mut app, Action::Confirm, &mut transport);
    assert_eq!(title(&app), "Consistency drill: Chorus 1, second time");
    assert_eq!(transport.loop_region, Some((Seconds(5.0), Seconds(10.0))));
    let second = faders(&app);
    assert_ne!(second, first, "the second time is scrambled differently");
    assert_ne!(second, between);
    assert_eq!(app.mixer().blind(), BlindLevel::MetersOff);
}

/// Two identical answers score 100 points and 0 dB, however different the scrambles and the
/// balance in between; the history line records the score, the distance and each part's two
/// answers (the first as the target, the second as the level).
#[test]
fn identical_answers_score_100_and_0_db() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = console(song(&dir.path().join("s.toml")));
    let history = History::at(dir.path().join("history.jsonl"));
    app.set_history(Some(history.clone()));
    let mut transport = Transport::default();
    start(&mut app, &mut transport);
    all_unity(&mut app, &mut transport);
    act(&mut app, Action::Confirm, &mut transport);
    act(&mut app, Action::Confirm, &mut transport);
    all_unity(&mut app, &mut transport);
    act(&mut app, Action::Confirm, &mut transport);
    let view = results(&app);
    assert_eq!(view.title, "Consistency drill: Chorus 1, twice");
    assert_eq!(
        view.headline[0],
        "Score: 100 points (0.0 dB RMS between your two answers)."
    );
    assert_eq!(view.columns, ["First", "Second", "Diff"]);
    let names: Vec<&str> = view.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Bass", "Keys", "Drums"]);
    assert!(view.rows.iter().all(|r| r.cells == ["0.0", "0.0", "+0.0"]));
    assert!(
        view.reading[0].contains("very consistent"),
        "{:?}",
        view.reading
    );
    let records = history.read().unwrap().records;
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record.exercise, "consistency");
    assert_eq!(record.score, Some(100.0));
    assert_eq!(record.consistency_db, Some(0.0));
    assert_eq!(record.channels.len(), 3);
    assert!(
        record
            .channels
            .iter()
            .all(|c| c.level_db == Some(0.0) && c.target_db == Some(0.0))
    );
}

/// A part muted when Enter is pressed is off in that answer (the capped 24 dB against the
/// rest: 0 points), and the next step starts with it playing again.
#[test]
fn a_part_muted_in_one_answer_counts_as_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = console(song(&dir.path().join("s.toml")));
    let mut transport = Transport::default();
    start(&mut app, &mut transport);
    all_unity(&mut app, &mut transport);
    act(&mut app, Action::Confirm, &mut transport);
    act(&mut app, Action::SelectStrip(3), &mut transport);
    act(&mut app, Action::Mute, &mut transport);
    assert!(app.mixer().session.channels[2].mute);
    act(&mut app, Action::Confirm, &mut transport);
    assert!(
        !app.mixer().session.channels[2].mute,
        "each step starts with every part playing"
    );
    all_unity(&mut app, &mut transport);
    act(&mut app, Action::Mute, &mut transport);
    act(&mut app, Action::Confirm, &mut transport);
    let view = results(&app);
    // d = [0, 0, -24]; c = -8; e = [8, 8, -16]; rms = sqrt(128) = 11.3 dB: 0 points.
    assert_eq!(
        view.headline[0],
        "Score: 0 points (11.3 dB RMS between your two answers)."
    );
    assert_eq!(view.rows[2].cells, ["0.0", "off", "-16.0"]);
}

/// Both starting points reach the score: answers left where the two scrambles put them differ
/// exactly as the starts did, so the whole difference is the pull of the start, and the
/// reading says so.
#[test]
fn untouched_faders_are_all_pull_of_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = console(song(&dir.path().join("s.toml")));
    let mut transport = Transport::default();
    start(&mut app, &mut transport);
    for _ in 0..3 {
        act(&mut app, Action::Confirm, &mut transport);
    }
    let view = results(&app);
    let pull = view
        .reading
        .iter()
        .find(|p| p.contains("where they start pulls your balance"))
        .unwrap_or_else(|| panic!("{:?}", view.reading));
    assert!(pull.starts_with("About 100% of the difference"), "{pull}");
}

/// The user's mix comes back after the results and after leaving half-way: faders, mutes and
/// solos as they were, nothing unsaved, and the drill's moves not in the undo history.
#[test]
fn the_users_mix_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = console(song(&dir.path().join("s.toml")));
    let mut transport = Transport::default();
    act(&mut app, Action::SelectStrip(2), &mut transport);
    act(&mut app, Action::Solo, &mut transport);
    let before = app.mixer().session.channels.clone();
    let unsaved = app.unsaved();
    start(&mut app, &mut transport);
    assert!(
        app.mixer().session.channels.iter().all(|c| !c.solo),
        "the drill starts with no solos"
    );
    for _ in 0..3 {
        all_unity(&mut app, &mut transport);
        act(&mut app, Action::Confirm, &mut transport);
    }
    results(&app);
    act(&mut app, Action::Confirm, &mut transport);
    assert!(!app.in_exercise());
    assert_eq!(app.mixer().session.channels, before);
    assert_eq!(app.unsaved(), unsaved);
    assert_eq!(app.mixer().blind(), BlindLevel::Off);

    start(&mut app, &mut transport);
    act(&mut app, Action::Confirm, &mut transport);
    act(&mut app, Action::Cancel, &mut transport);
    act(&mut app, Action::Yes, &mut transport);
    assert!(!app.in_exercise());
    assert_eq!(app.mixer().session.channels, before);
    act(&mut app, Action::Undo, &mut transport);
    assert!(
        !app.mixer().session.channels[1].solo,
        "the user's own last edit is the one undone"
    );
}

/// Without two sections there is nothing to put in between: the drill says so and does not
/// start.
#[test]
fn one_section_is_not_enough() {
    let mut session = song(Path::new("s.toml"));
    session.sections.truncate(1);
    let mut app = console(session);
    app.open_exercise(Exercise::Consistency, None);
    assert!(app.overlay().is_none());
    assert_eq!(
        app.message(),
        Some("The consistency drill needs a session with two sections or more")
    );
}
