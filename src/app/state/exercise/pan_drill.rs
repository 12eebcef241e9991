//! The pan drill in the console model: from the panel to the recorded score, on a small song
//! on disk (the target is measured before it plays, as in the console).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::app::action::{Action, Direction, Step as Stride};
use crate::app::effect::{Effect, Transport};
use crate::app::journal::Journal;
use crate::app::keymap::Keymap;
use crate::app::state::App;
use crate::app::state::tests::{blind_config, steps};
use crate::exercise::Exercise;
use crate::exercise::history::History;
use crate::session::Session;
use crate::ui::view::{BlindLevel, Overlay, ResultsView};
use crate::units::{Decibels, Pan};

/// A song on disk: three mono tone stems of 6 s, Bass (-3 dB, centre), Keys (L40) and Shaker
/// (-6 dB, R60), and a group "Top" (Keys, Shaker) panned R10; sections Verse (from 0 s) and
/// Chorus (from 3 s, its scene with Bass at -9 dB: the first target offered).
fn song(dir: &Path) -> Session {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let tone = |hz: f64, i: u32| (f64::from(i) / 48_000.0 * hz * std::f64::consts::TAU).sin();
    for (name, hz) in [("bass", 110.0), ("keys", 440.0), ("shaker", 3000.0)] {
        let mut w = hound::WavWriter::create(dir.join(format!("{name}.wav")), spec).unwrap();
        for i in 0..6 * 48_000 {
            w.write_sample((tone(hz, i) * 6000.0) as i16).unwrap();
        }
        w.finalize().unwrap();
    }
    let text = r#"version = 1
name = "Song"
[[channel]]
name = "Bass"
file = "bass.wav"
role = "bass"
gain_db = -3.0
[[channel]]
name = "Keys"
file = "keys.wav"
role = "keys"
pan = -0.4
[[channel]]
name = "Shaker"
file = "shaker.wav"
role = "drums"
gain_db = -6.0
pan = 0.6
[[group]]
name = "Top"
members = ["Keys", "Shaker"]
pan = 0.1
[[section]]
name = "Verse"
start = "0:00.000"
[[section]]
name = "Chorus"
start = "0:03.000"
gain_db = { Bass = -9.0 }
"#;
    let path = dir.join("session.toml");
    std::fs::write(&path, text).unwrap();
    crate::session::load(&path).unwrap()
}

/// An app on `session` with its crash journal and a history file in `dir`.
fn console(session: Session, dir: &Path) -> App {
    let journal = Journal::open(&session.path).ok();
    let mut app = App::new(
        session,
        Keymap::default(),
        steps(),
        blind_config(),
        journal,
        None,
    );
    app.set_history(Some(History::at(dir.join("history.jsonl"))));
    app.mixer_mut().seed(5);
    app
}

use crate::app::mode::testing::act_on as act;

/// Opens the pan drill and starts it, then ticks until the target is measured (at most 20 s).
fn start(app: &mut App, transport: &mut Transport) {
    app.open_exercise(Exercise::Pan, None);
    assert!(
        matches!(app.overlay(), Some(Overlay::Question { .. })),
        "{:?}",
        app.message()
    );
    act(app, Action::Confirm, transport);
    assert!(app.in_exercise(), "{:?}", app.message());
    assert!(
        app.exercise_banner()
            .unwrap()
            .step
            .starts_with("Getting the target ready")
    );
    let until = Instant::now() + Duration::from_secs(20);
    while app.exercise_waiting() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
        app.tick(Instant::now(), *transport);
        for effect in app.take_effects() {
            transport.after(&effect);
        }
    }
    assert!(!app.exercise_waiting(), "the measurement never came");
}

fn pans(app: &App) -> Vec<Pan> {
    app.mixer().session.channels.iter().map(|c| c.pan).collect()
}

fn faders(app: &App) -> Vec<Decibels> {
    app.mixer()
        .session
        .channels
        .iter()
        .map(|c| c.gain_db)
        .collect()
}

fn results(app: &App) -> ResultsView {
    match app.overlay() {
        Some(Overlay::Results(view)) => view,
        other => panic!("expected the results, got {other:?}"),
    }
}

/// The history's records, parsed.
fn history(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("history.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Presses the pan keys on strip `strip` (1-based) until channel `strip - 1` sits at `pan`.
fn pan_to(app: &mut App, strip: usize, pan: f64, transport: &mut Transport) {
    act(app, Action::SelectStrip(strip as u8), transport);
    for _ in 0..40 {
        let now = app.mixer().session.channels[strip - 1].pan.0;
        if (now - pan).abs() < 1e-9 {
            return;
        }
        let key = if now < pan {
            Action::PanRight
        } else {
            Action::PanLeft
        };
        act(app, key, transport);
    }
    panic!("strip {strip} never reached {pan}: {:?}", app.message());
}

/// The results after the first test's round: each part's pans as the console writes them, no
/// dB chart, the reading; one "pan" record with the pans.
fn shows_and_records(app: &App, dir: &Path, scrambled: &[Pan]) {
    let view = results(app);
    assert_eq!(view.title, "Pan drill: your stereo picture");
    assert!(
        view.headline[0].starts_with("Score: ") && view.headline[0].contains("the scene of Chorus"),
        "{:?}",
        view.headline
    );
    let names: Vec<&str> = view.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Bass", "Keys", "Shaker"]);
    assert_eq!(view.rows[1].cells[1], "L40");
    assert_eq!(view.rows[2].cells[1], "R60");
    assert_eq!(view.rows[1].cells[0], Pan(scrambled[1].0).to_string());
    assert!(view.rows.iter().all(|r| r.bar_db.is_none()));
    assert!(
        view.reading[0].starts_with("You scored"),
        "{:?}",
        view.reading
    );
    let records = history(dir);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["exercise"], "pan");
    let channels = records[0]["channels"].as_array().unwrap();
    assert_eq!(channels[2]["target_pan"], 0.6);
    assert_eq!(channels[2]["pan"], scrambled[2].0);
}

/// The target plays at its own pans and levels; Enter scrambles every part's pan (never to
/// the target, never all centre) and leaves the levels; the flip plays the target's pans
/// (with the group's pan added, as heard) and back; faders and a part that sits out are
/// refused; Enter scores, shows each part's pans as the console writes them and records.
#[test]
fn the_pan_drill_hears_the_target_scrambles_and_scores() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = console(song(dir.path()), dir.path());
    let mut transport = Transport::default();
    let target = pans(&app);
    start(&mut app, &mut transport);
    // The scene's levels.
    let target_faders = vec![Decibels(-9.0), Decibels::UNITY, Decibels(-6.0)];
    let banner = app.exercise_banner().unwrap();
    assert_eq!(banner.title, "Pan drill");
    assert_eq!(banner.hearing.as_deref(), Some("TARGET"));
    assert_eq!(app.mixer().blind(), BlindLevel::MetersOff);
    assert!(transport.playing, "the target plays once measured");
    // The target is heard: its pans and the scene's levels, the Chorus looping.
    assert_eq!(pans(&app), target);
    assert_eq!(faders(&app), target_faders);
    assert_eq!(transport.loop_region.map(|l| l.0.0), Some(3.0));
    act(&mut app, Action::PanLeft, &mut transport);
    assert!(
        app.message().unwrap().starts_with("This is the target"),
        "{:?}",
        app.message()
    );
    assert_eq!(pans(&app), target);

    act(&mut app, Action::Confirm, &mut transport);
    assert_eq!(app.message(), Some("Scrambled: put the parts back by ear"));
    let scrambled = pans(&app);
    for (own, t) in scrambled.iter().zip(&target) {
        assert!(
            (own.0 - t.0).abs() >= 0.3 - 1e-9,
            "{scrambled:?} {target:?}"
        );
    }
    assert!(scrambled.iter().any(|p| p.0 != 0.0));
    assert_eq!(faders(&app), target_faders, "only the pans are the task");
    let banner = app.exercise_banner().unwrap();
    assert_eq!(banner.hearing.as_deref(), Some("YOUR MIX"));
    assert!(banner.keys.iter().any(|(k, a)| k == "</>" && a == "pan"));

    let up = Action::Nudge {
        direction: Direction::Up,
        step: Stride::Fine,
    };
    act(&mut app, up, &mut transport);
    assert!(
        app.message().unwrap().starts_with("Pans only"),
        "{:?}",
        app.message()
    );
    assert_eq!(faders(&app), target_faders);
    // The group strip (after the three channels) keeps its pan.
    act(&mut app, Action::SelectStrip(4), &mut transport);
    act(&mut app, Action::PanRight, &mut transport);
    assert_eq!(
        app.message(),
        Some("Top is a group: pan its channels, its own pan stays")
    );

    // The flip: the target's pans as heard (Keys L40 + R10 = L30, Shaker R60 + R10 = R70).
    let effects = act(&mut app, Action::Compare, &mut transport);
    for (i, heard) in [(0, 0.0), (1, -0.3), (2, 0.7)] {
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Pan(s, p) if *s == i && (p.0 - heard).abs() < 1e-9)),
            "{i}: {effects:?}"
        );
    }
    // Mono parts are panned at constant power: the loudness match leaves the level alone.
    assert!(
        effects.contains(&Effect::Master(Decibels::UNITY)),
        "{effects:?}"
    );
    assert_eq!(
        app.exercise_banner().unwrap().hearing.as_deref(),
        Some("TARGET")
    );
    assert_eq!(app.message(), Some("The target, as loud as your picture"));
    assert_eq!(pans(&app), scrambled, "the flip changes what is heard only");
    // A pan key goes back to the user's picture first, then moves the part.
    act(&mut app, Action::SelectStrip(1), &mut transport);
    let effects = act(&mut app, Action::PanRight, &mut transport);
    assert_eq!(
        app.exercise_banner().unwrap().hearing.as_deref(),
        Some("YOUR MIX")
    );
    let moved = app.mixer().session.channels[0].pan;
    assert!((moved.0 - (scrambled[0].0 + 0.1).min(1.0)).abs() < 1e-9);
    assert!(effects.contains(&Effect::Pan(0, moved)), "{effects:?}");
    assert!(!app.unsaved(), "the drill's moves are not the user's");

    act(&mut app, Action::Confirm, &mut transport);
    shows_and_records(&app, dir.path(), &scrambled);
}

/// A perfect rebuild with the pan keys scores 100 and is recorded so; leaving the results
/// puts the user's pans and levels back as they were, with nothing unsaved; "again" runs the
/// pan drill anew.
#[test]
fn a_perfect_rebuild_scores_100_and_leaving_restores_the_mix() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = console(song(dir.path()), dir.path());
    let mut transport = Transport::default();
    let before = app.mixer().session.clone();
    start(&mut app, &mut transport);
    assert_ne!(
        faders(&app)[0],
        before.channels[0].gain_db,
        "the scene's level"
    );
    act(&mut app, Action::Confirm, &mut transport);
    assert_ne!(pans(&app), pans_of(&before));
    for (strip, pan) in [(1, 0.0), (2, -0.4), (3, 0.6)] {
        pan_to(&mut app, strip, pan, &mut transport);
    }
    act(&mut app, Action::Confirm, &mut transport);
    let view = results(&app);
    assert!(
        view.headline[0].starts_with("Score: 100 points"),
        "{:?}",
        view.headline
    );
    assert!(
        view.rows.iter().all(|r| r.cells[2] == "0"),
        "{:?}",
        view.rows
    );
    assert_eq!(
        view.reading[1],
        "Every part is within 0.1 of where the target has it."
    );
    let records = history(dir.path());
    assert_eq!(records[0]["score"], 100.0);
    for channel in records[0]["channels"].as_array().unwrap() {
        assert_eq!(channel["pan_error"], 0.0, "{channel}");
    }

    act(&mut app, Action::Retry, &mut transport);
    assert!(app.in_exercise());
    assert_eq!(app.exercise_banner().unwrap().title, "Pan drill");
    act(&mut app, Action::Cancel, &mut transport);
    act(&mut app, Action::Yes, &mut transport);
    assert!(!app.in_exercise());
    assert_eq!(app.mixer().session.channels, before.channels);
    assert_eq!(app.mixer().session.groups, before.groups);
    assert!(!app.unsaved());
    assert_eq!(history(dir.path()).len(), 1, "leaving records nothing");
}

fn pans_of(session: &Session) -> Vec<Pan> {
    session.channels.iter().map(|c| c.pan).collect()
}

/// A session whose parts all sit in the centre has no picture to rebuild: the panel does not
/// open and the message says where one is.
#[test]
fn a_centred_session_offers_no_pan_drill() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = song(dir.path());
    for channel in &mut session.channels {
        channel.pan = Pan::CENTRE;
    }
    let mut app = console(session, dir.path());
    app.open_exercise(Exercise::Pan, None);
    assert!(app.overlay().is_none());
    assert!(
        app.message()
            .unwrap()
            .starts_with("The pan drill needs a part"),
        "{:?}",
        app.message()
    );
}
