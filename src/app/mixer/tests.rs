//! The mixer model's own tests: undo and redo messages.

use std::path::Path;
use std::time::Instant;

use super::*;
use crate::app::edit::{test_blind, test_session, test_steps};
use crate::config::BlindOnExit;

/// `test_session` with sections Intro (0 s), Verse 1 (2 s) and Chorus 1 (5 s, a scene with
/// Keys at -2 dB); the session is 10 s long.
fn mixer_with_sections() -> Mixer {
    let mut session = test_session(Path::new("s.toml"));
    let section = |name: &str, start: f64| Section {
        name: name.to_string(),
        start: Seconds(start),
        gain_db: Vec::new(),
        mute: Vec::new(),
        ramp_ms: None,
    };
    session.sections = vec![
        section("Intro", 0.0),
        section("Verse 1", 2.0),
        section("Chorus 1", 5.0),
    ];
    session.sections[2].gain_db = vec![("Keys".into(), Decibels(-2.0))];
    let blind = test_blind(BlindOnExit::Keep);
    let mut mixer = Mixer::new(session, test_steps(), blind, None);
    mixer.seed(7);
    mixer
}

/// Undoes and redoes the last step, returning both messages; the sections end as they were
/// after the step.
fn undo_and_redo(m: &mut Mixer) -> (String, String) {
    let after = m.session.sections.clone();
    m.undo_redo(false);
    let undone = m.message.clone().unwrap_or_default();
    m.undo_redo(true);
    let redone = m.message.clone().unwrap_or_default();
    assert_eq!(m.session.sections, after);
    (undone, redone)
}

/// Undo and redo of a section edit say what changed (a start moved, a section added, removed
/// or renamed, a scene cleared or copied), not the list of every section name.
#[test]
fn section_undo_says_what_changed() {
    let mut m = mixer_with_sections();
    m.playhead = Seconds(4.5);
    m.move_boundary(true);
    assert_eq!(
        undo_and_redo(&mut m),
        (
            "Undone: Chorus 1 starts at 0:05.000 again".to_string(),
            "Redone: Chorus 1 starts at 0:04.500 (was 0:05.000)".to_string()
        )
    );

    let mut m = mixer_with_sections();
    m.add_section(Seconds(8.25), "Bridge").unwrap();
    assert_eq!(
        undo_and_redo(&mut m),
        (
            "Undone: section Bridge is gone again".to_string(),
            "Redone: added section Bridge at 0:08.250".to_string()
        )
    );

    let mut m = mixer_with_sections();
    m.playhead = Seconds(3.0);
    m.remove_section();
    assert_eq!(
        undo_and_redo(&mut m),
        (
            "Undone: section Verse 1 is back at 0:02.000".to_string(),
            "Redone: removed section Verse 1".to_string()
        )
    );

    let mut m = mixer_with_sections();
    m.playhead = Seconds(1.0);
    m.remove_section();
    assert_eq!(
        undo_and_redo(&mut m).0,
        "Undone: section Intro is back at 0:00.000, Verse 1 starts at 0:02.000 again"
    );

    let mut m = mixer_with_sections();
    m.playhead = Seconds(6.0);
    m.clear_scene();
    assert_eq!(
        undo_and_redo(&mut m),
        (
            "Undone: the scene of Chorus 1 is back".to_string(),
            "Redone: Chorus 1 scene cleared".to_string()
        )
    );

    let mut m = mixer_with_sections();
    let mut sections = m.session.sections.clone();
    sections[1].gain_db = sections[2].gain_db.clone();
    m.edit_sections(sections, "copied".to_string());
    assert_eq!(
        undo_and_redo(&mut m),
        (
            "Undone: the scene of Verse 1 is as it was".to_string(),
            "Redone: scene of Chorus 1 copied into Verse 1".to_string()
        )
    );

    let mut m = mixer_with_sections();
    let mut sections = m.session.sections.clone();
    sections[2].name = "Refrain".into();
    m.edit_sections(sections, "renamed".to_string());
    assert_eq!(
        undo_and_redo(&mut m),
        (
            "Undone: Refrain is named Chorus 1 again".to_string(),
            "Redone: renamed Chorus 1 to Refrain".to_string()
        )
    );
}

/// Undo of a level says the value it put back, redo the value it set again; while blind
/// they hide the values, but a section edit (no level in it) is still described.
#[test]
fn level_undo_messages_and_blind() {
    let mut m = mixer_with_sections();
    m.edit(MixEdit::Gain {
        channel: "Bass".into(),
        db: Decibels(-4.5),
    });
    m.undo_redo(false);
    assert_eq!(m.message.as_deref(), Some("Undone: Bass fader -3.0 dB"));
    m.undo_redo(true);
    assert_eq!(m.message.as_deref(), Some("Redone: Bass fader -4.5 dB"));

    m.set_blind(BlindLevel::Numbers, Instant::now());
    m.nudge(Direction::Up, Step::Fine, Instant::now());
    m.undo_redo(false);
    assert_eq!(
        m.message.as_deref(),
        Some("Undone: values hidden while blind")
    );
    m.playhead = Seconds(4.5);
    m.move_boundary(true);
    m.undo_redo(false);
    assert_eq!(
        m.message.as_deref(),
        Some("Undone: Chorus 1 starts at 0:05.000 again")
    );
    m.undo_redo(true);
    m.undo_redo(true);
    assert_eq!(m.message.as_deref(), Some("Nothing to redo"));
}
