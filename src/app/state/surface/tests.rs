//! The surfaces' inputs on the real model: undo, takeover, banks, blind mode, feedback.

use std::path::Path;
use std::time::{Duration, Instant};

use super::*;
use crate::app::edit::{test_blind, test_session, test_steps};
use crate::app::keymap::Keymap;
use crate::app::mode::help::Help;
use crate::config::BlindOnExit;
use crate::control::Arrival;
use crate::session::{Section, Session};
use crate::ui::view::Catch;

/// The model, a clock and what the engine was told, pass by pass.
struct Rig {
    app: App,
    start: Instant,
    transport: Transport,
}

impl Rig {
    fn new(session: Session) -> Self {
        let mut app = App::new(
            session,
            Keymap::default(),
            test_steps(),
            test_blind(BlindOnExit::Keep),
            None,
            None,
        );
        app.mixer_mut().seed(7);
        Self {
            app,
            start: Instant::now(),
            transport: Transport::default(),
        }
    }

    fn at(&self, ms: u64) -> Instant {
        self.start + Duration::from_millis(ms)
    }

    /// One pass of the console: these inputs (from `source`, arrived at these times), and the
    /// effects they queued.
    fn pass(&mut self, source: &Source, inputs: Vec<(u64, Input)>) -> Vec<Effect> {
        let arrivals = inputs
            .into_iter()
            .map(|(ms, input)| Arrival {
                source: source.clone(),
                input,
                at: self.at(ms),
            })
            .collect();
        self.app.surface(arrivals, self.transport);
        self.app.take_effects()
    }

    /// One input, alone in its pass.
    fn one(&mut self, source: &Source, ms: u64, input: Input) -> Vec<Effect> {
        self.pass(source, vec![(ms, input)])
    }

    fn gain(&self, i: usize) -> f64 {
        self.app.mixer().session().channels[i].gain_db.0
    }

    fn message(&self) -> String {
        self.app.message().unwrap_or_default().to_string()
    }
}

fn midi() -> Source {
    Source::Midi("nanoKONTROL2".into())
}

fn slot(n: usize) -> Target {
    Target::Strip(StripRef::Slot(n))
}

fn strip(i: usize) -> Target {
    Target::Strip(StripRef::Index(i))
}

fn position(target: Target, position: f64) -> Input {
    Input::FaderPosition { target, position }
}

fn gains(effects: &[Effect]) -> Vec<(usize, f64)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Gain(i, db) => Some((*i, db.0)),
            _ => None,
        })
        .collect()
}

/// `test_session` with `n` channels (Bass at -3 dB, Keys at 0 dB, then Ch3... at 0 dB).
fn session_of(n: usize) -> Session {
    let mut session = test_session(Path::new("s.toml"));
    while session.channels.len() < n {
        let mut channel = session.channels[1].clone();
        channel.name = format!("Ch{}", session.channels.len() + 1);
        session.channels.push(channel);
        session.stems.push(session.stems[1].clone());
    }
    session
}

/// 200 hardware fader messages over 2 s, handed over pass by pass as the console would (every
/// 30 ms), are one undo step, at most one gain change per strip per pass, and end where the
/// fader ended; the session saved after has that level.
#[test]
fn a_fader_stream_is_one_undo_step_and_one_gain_per_pass() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.toml");
    let session = test_session(&path);
    crate::session::save(&session).expect("first save");
    let mut rig = Rig::new(session);
    let from = position_of(Some(-3.0));
    let to = 0.95;
    let moves: Vec<(u64, Input)> = (0..200)
        .map(|k| {
            let p = from + (to - from) * k as f64 / 199.0;
            (k * 10, position(strip(0), p))
        })
        .collect();
    let mut passes = 0;
    for batch in moves.chunks(3) {
        let effects = rig.pass(&midi(), batch.to_vec());
        assert!(gains(&effects).len() <= 1, "{effects:?}");
        passes += 1;
    }
    assert!(passes >= 60);
    let expected = fader_level(db_at(to)).expect("a level").0;
    assert!((rig.gain(0) - expected).abs() < 1e-9, "{}", rig.gain(0));
    rig.app.update(Action::Save, rig.at(2100), rig.transport);
    let saved: toml::Table = std::fs::read_to_string(&path)
        .expect("saved")
        .parse()
        .expect("toml");
    let first = &saved["channel"].as_array().expect("channels")[0];
    assert_eq!(first["gain_db"].as_float(), Some(expected));
    rig.app.update(Action::Undo, rig.at(2200), rig.transport);
    assert_eq!(rig.gain(0), -3.0, "one undo takes the whole gesture back");
    rig.app.update(Action::Undo, rig.at(2300), rig.transport);
    assert!(
        rig.message().contains("Nothing to undo"),
        "{}",
        rig.message()
    );
}

/// Of a pass's moves only the latest per fader per source is applied; moves of two faders in
/// one pass are each applied, and a bank change between two moves keeps both.
#[test]
fn moves_coalesce_per_fader_per_source() {
    let arrival = |source: Source, input: Input| Arrival {
        source,
        input,
        at: Instant::now(),
    };
    let osc = Source::Osc("127.0.0.1:9000".parse().expect("address"));
    let db = |target: Target| Input::FaderDb {
        target,
        db: Some(-1.0),
    };
    let batch = vec![
        arrival(midi(), position(slot(0), 0.1)),
        arrival(midi(), position(slot(1), 0.1)),
        arrival(osc.clone(), db(slot(0))),
        arrival(midi(), position(slot(0), 0.2)),
        arrival(osc.clone(), db(slot(0))),
        arrival(midi(), Input::Press(Press::BankRight)),
        arrival(midi(), position(slot(0), 0.3)),
    ];
    assert_eq!(
        latest_moves(&batch),
        vec![false, true, false, true, true, true, true]
    );
}

/// A hardware fader that disagrees with the mix moves nothing until it crosses the mix's
/// value; the strip shows which way to go, and the feedback where it will catch.
#[test]
fn a_disagreeing_fader_waits_until_it_crosses_the_mix() {
    let mut rig = Rig::new(session_of(2));
    let mix = position_of(Some(-3.0));
    assert!(gains(&rig.one(&midi(), 0, position(strip(0), 0.2))).is_empty());
    assert_eq!(rig.gain(0), -3.0);
    assert_eq!(rig.app.catch(0), Some(Catch::Up));
    assert_eq!(rig.app.feedback().strips[0].fader.waiting, Some(mix));
    assert!(gains(&rig.one(&midi(), 10, position(strip(0), 0.5))).is_empty());
    // Crossing it: from here the fader has the mix.
    let effects = rig.one(&midi(), 20, position(strip(0), 0.72));
    assert_eq!(gains(&effects).len(), 1);
    assert_eq!(rig.app.catch(0), None);
    assert_eq!(rig.app.feedback().strips[0].fader.waiting, None);
    let effects = rig.one(&midi(), 30, position(strip(0), 0.6));
    assert_eq!(gains(&effects).len(), 1);
    let expected = fader_level(db_at(0.6)).expect("a level").0;
    assert_eq!(rig.gain(0), expected);
}

/// A key moving the fader takes it from the hardware fader, which waits to catch it again; a
/// level set from OSC does the same.
#[test]
fn a_change_from_elsewhere_rearms_takeover() {
    let mut rig = Rig::new(session_of(2));
    let mix = position_of(Some(0.0));
    rig.one(&midi(), 0, position(strip(1), mix));
    rig.one(&midi(), 10, position(strip(1), mix + 0.01));
    assert!(rig.gain(1) > 0.0);
    let coarse_up = Action::Nudge {
        direction: Direction::Up,
        step: Step::Coarse,
    };
    rig.app
        .update(Action::SelectNext, rig.at(20), rig.transport);
    rig.app.update(coarse_up, rig.at(30), rig.transport);
    let after_key = rig.gain(1);
    rig.app.take_effects();
    assert!(gains(&rig.one(&midi(), 40, position(strip(1), mix + 0.02))).is_empty());
    assert_eq!(rig.gain(1), after_key);
    assert_eq!(rig.app.catch(1), Some(Catch::Up));
    let osc = Source::Osc("127.0.0.1:9000".parse().expect("address"));
    let db = Input::FaderDb {
        target: strip(1),
        db: Some(-20.0),
    };
    assert_eq!(gains(&rig.one(&osc, 50, db)), vec![(1, -20.0)]);
    assert_eq!(rig.app.catch(1), Some(Catch::Down));
}

/// Touching a motor fader catches the mix at once, and the moves between touch and release
/// are one undo step however slow they are.
#[test]
fn a_touched_gesture_is_one_undo_step() {
    let mut rig = Rig::new(session_of(2));
    let touch = |touched| Input::FaderTouch {
        target: strip(0),
        touched,
    };
    rig.one(&midi(), 0, touch(true));
    for (k, p) in [0.5, 0.45, 0.4].into_iter().enumerate() {
        let ms = 1000 * (k as u64 + 1);
        assert_eq!(gains(&rig.one(&midi(), ms, position(strip(0), p))).len(), 1);
    }
    rig.one(&midi(), 4000, touch(false));
    rig.one(&midi(), 4100, touch(true));
    rig.one(&midi(), 4200, position(strip(0), 0.3));
    rig.app.update(Action::Undo, rig.at(5000), rig.transport);
    assert_eq!(rig.gain(0), fader_level(db_at(0.4)).expect("a level").0);
    rig.app.update(Action::Undo, rig.at(5100), rig.transport);
    assert_eq!(rig.gain(0), -3.0);
}

/// Banks move by the surface's slots, never past the strips; a slot names the strip of the
/// bank; each surface has its own bank, in the feedback.
#[test]
fn banks_move_by_slots_and_stop_at_the_strips() {
    let mut rig = Rig::new(session_of(11));
    let other = Source::Mouse;
    rig.one(&midi(), 0, Input::Slots(4));
    rig.one(&midi(), 10, Input::Press(Press::BankRight));
    assert_eq!(rig.app.feedback().bank_of(&midi()), 4);
    assert!(rig.message().contains("strips 5 to 8"), "{}", rig.message());
    rig.one(&midi(), 20, Input::Press(Press::BankRight));
    rig.one(&midi(), 30, Input::Press(Press::BankRight));
    assert_eq!(
        rig.app.feedback().bank_of(&midi()),
        7,
        "the last bank ends at strip 11"
    );
    rig.one(&midi(), 40, Input::Press(Press::ChannelLeft));
    assert_eq!(rig.app.feedback().bank_of(&midi()), 6);
    assert_eq!(rig.app.feedback().bank_of(&other), 0);
    let db = Input::FaderDb {
        target: slot(1),
        db: Some(-6.0),
    };
    assert_eq!(gains(&rig.one(&midi(), 50, db)), vec![(7, -6.0)]);
    rig.one(&midi(), 60, Input::Press(Press::BankLeft));
    rig.one(&midi(), 70, Input::Press(Press::BankLeft));
    rig.one(&midi(), 80, Input::Press(Press::BankLeft));
    assert_eq!(rig.app.feedback().bank_of(&midi()), 0);
    let far = Input::FaderDb {
        target: slot(11),
        db: Some(-6.0),
    };
    assert!(rig.one(&midi(), 90, far).is_empty());
    assert!(
        rig.message().contains("fader 12 has no strip"),
        "{}",
        rig.message()
    );
}

/// Strips are found by number and by name; an unknown one is named in the message; mute,
/// solo and pan reach the named strip without moving the selection.
#[test]
fn strips_by_name_and_number_without_moving_the_selection() {
    let mut rig = Rig::new(session_of(2));
    let keys = || StripRef::Name("Keys".into());
    let effects = rig.one(&midi(), 0, Input::Press(Press::Mute(keys())));
    assert_eq!(effects, vec![Effect::Mute(1, true)]);
    let effects = rig.one(&midi(), 10, Input::Press(Press::Solo(StripRef::Index(0))));
    assert_eq!(effects, vec![Effect::Solo(0, true)]);
    let effects = rig.one(
        &midi(),
        20,
        Input::Pan {
            strip: keys(),
            pan: -0.333,
        },
    );
    assert_eq!(effects, vec![Effect::Pan(1, Pan(-0.33))]);
    assert_eq!(rig.app.mixer().selected(), 0);
    rig.one(
        &midi(),
        30,
        Input::Press(Press::Mute(StripRef::Name("Oboe".into()))),
    );
    assert!(
        rig.message().contains("no strip named 'Oboe'"),
        "{}",
        rig.message()
    );
    rig.one(&midi(), 40, Input::Press(Press::Select(StripRef::Index(1))));
    assert_eq!(rig.app.mixer().selected(), 1);
    let play = rig.one(&midi(), 50, Input::Press(Press::Action(Action::PlayPause)));
    assert_eq!(play, vec![Effect::Play]);
}

/// Levels in dB are clamped to the fader's range; a help box open on top stops the surfaces,
/// with a message, as it stops the mixer's keys.
#[test]
fn levels_are_clamped_and_boxes_stop_the_surfaces() {
    let mut rig = Rig::new(session_of(2));
    let db = |db| Input::FaderDb {
        target: Target::Master,
        db,
    };
    assert_eq!(
        rig.one(&midi(), 0, db(Some(30.0))),
        vec![Effect::Master(Decibels(12.0))]
    );
    assert_eq!(
        rig.one(&midi(), 10, db(Some(-70.0))),
        vec![Effect::Master(Decibels::OFF)]
    );
    rig.app.open(Help::default());
    assert!(rig.one(&midi(), 20, db(Some(-1.0))).is_empty());
    assert!(rig.message().contains("box is open"), "{}", rig.message());
    assert!(
        rig.one(&midi(), 30, Input::Press(Press::Mute(StripRef::Index(0))))
            .is_empty()
    );
}

/// While blind, the feedback gives no position, level or pan away; a hardware fader moves its
/// strip by the law's difference from its previous position (the first message only sets
/// it); a level in dB is refused.
#[test]
fn blind_mode_hides_levels_and_moves_faders_relatively() {
    let mut rig = Rig::new(session_of(2));
    rig.app.update(Action::Blind, rig.at(0), rig.transport);
    rig.app.tick(rig.at(3000), rig.transport);
    rig.app.take_effects();
    let feedback = rig.app.feedback();
    assert!(feedback.blind);
    for strip in &feedback.strips {
        assert_eq!(strip.fader.position, None);
        assert_eq!(strip.fader.level, Level::Hidden);
        assert_eq!(strip.pan, None);
    }
    assert_eq!(feedback.master.level, Level::Hidden);
    let hidden = rig.gain(0);
    assert!(gains(&rig.one(&midi(), 3100, position(strip(0), 0.6))).is_empty());
    assert_eq!(
        rig.gain(0),
        hidden,
        "the first move only sets the reference"
    );
    rig.one(&midi(), 3200, position(strip(0), 0.7));
    let moved = db_at(0.7).unwrap_or(0.0) - db_at(0.6).unwrap_or(0.0);
    assert!(
        (rig.gain(0) - round2(hidden + moved)).abs() < 0.011,
        "{hidden} moved by {moved} is {}",
        rig.gain(0)
    );
    let db = Input::FaderDb {
        target: strip(0),
        db: Some(0.0),
    };
    assert!(rig.one(&midi(), 3300, db).is_empty());
    assert!(
        rig.message().contains("blind mode refuses"),
        "{}",
        rig.message()
    );
}

/// The feedback shows each strip's fader on the law, mute (the scene's in scene mode), solo,
/// selection, the master, play state and the section under the play head.
#[test]
fn feedback_shows_the_mix() {
    let mut session = session_of(2);
    session.sections = vec![
        Section {
            name: "Intro".into(),
            start: Seconds(0.0),
            gain_db: vec![("Keys".into(), Decibels(-6.0))],
            mute: vec!["Bass".into()],
            ramp_ms: None,
        },
        Section {
            name: "Verse".into(),
            start: Seconds(4.0),
            gain_db: Vec::new(),
            mute: Vec::new(),
            ramp_ms: None,
        },
    ];
    let mut rig = Rig::new(session);
    let feedback = rig.app.feedback();
    assert_eq!(feedback.strips[0].fader.level, Level::Db(-3.0));
    assert_eq!(
        feedback.strips[0].fader.position,
        Some(position_of(Some(-3.0)))
    );
    assert_eq!(
        feedback.strips[1].fader.level,
        Level::Db(0.0),
        "base mode: the base fader"
    );
    assert!(!feedback.strips[0].mute);
    assert!(feedback.strips[0].selected);
    assert_eq!(feedback.master.level, Level::Db(0.0));
    assert_eq!(feedback.section, Some((0, "Intro".to_string())));
    assert!(!feedback.playing);
    rig.app.update(Action::EditMode, rig.at(0), rig.transport);
    let feedback = rig.app.feedback();
    assert_eq!(
        feedback.strips[1].fader.level,
        Level::Db(-6.0),
        "scene mode: the scene"
    );
    assert!(feedback.strips[0].mute, "the scene mutes Bass");
    rig.transport.position = Seconds(5.0);
    rig.transport.playing = true;
    rig.app.tick(rig.at(10), rig.transport);
    let feedback = rig.app.feedback();
    assert_eq!(feedback.section, Some((1, "Verse".to_string())));
    assert!(feedback.playing);
    assert_eq!(feedback.strips[1].fader.level, Level::Db(0.0));
}

/// A turn is a nudge per detent: the fine step, the coarse one when asked, and while blind
/// the step blind mode scales at random, as for the keys; the turns of one gesture are one
/// undo step.
#[test]
fn turns_nudge_like_keys() {
    let mut rig = Rig::new(session_of(2));
    let turn = |coarse, steps| Input::Turn {
        turns: Turns::Fader { coarse },
        target: strip(1),
        steps,
    };
    rig.one(&Source::Mouse, 0, turn(false, 2));
    assert_eq!(rig.gain(1), 1.0);
    rig.one(&Source::Mouse, 100, turn(true, -1));
    assert_eq!(rig.gain(1), -2.0);
    rig.app.update(Action::Undo, rig.at(200), rig.transport);
    assert_eq!(rig.gain(1), 0.0);
    rig.app.update(Action::Blind, rig.at(300), rig.transport);
    let hidden = rig.gain(1);
    rig.one(&Source::Mouse, 400, turn(false, 1));
    let step = rig.gain(1) - hidden;
    assert!(
        step > 0.34 && step < 0.66 && (step - 0.5).abs() > 1e-9,
        "{step}"
    );
    let pan = Input::Turn {
        turns: Turns::Pan,
        target: strip(1),
        steps: -3,
    };
    assert_eq!(
        rig.one(&Source::Mouse, 500, pan),
        vec![Effect::Pan(1, Pan(-0.3))]
    );
}

/// A touch holds only its own fader's gesture: a touch never let go (a cable pulled mid-move)
/// does not make every later move of other faders one undo step.
#[test]
fn a_touch_holds_only_its_own_fader() {
    let mut rig = Rig::new(session_of(2));
    let touch = Input::FaderTouch {
        target: strip(0),
        touched: true,
    };
    rig.one(&midi(), 0, touch);
    let db = |db| Input::FaderDb {
        target: strip(1),
        db: Some(db),
    };
    rig.one(&midi(), 1000, db(-1.0));
    rig.one(&midi(), 2000, db(-2.0));
    rig.app.update(Action::Undo, rig.at(3000), rig.transport);
    assert_eq!(rig.gain(1), -1.0);
}

/// Groups are strips after the channels for the surfaces too, by number and by name; a
/// group's fader, mute and pan reach its members as heard values; the feedback lists
/// the group's own fader after the channels.
#[test]
fn groups_are_strips_after_the_channels() {
    let mut session = session_of(2);
    session.groups.push(crate::session::automation::Group::new(
        "Band",
        vec!["Bass".into(), "Keys".into()],
    ));
    let mut rig = Rig::new(session);
    let effects = rig.one(
        &midi(),
        0,
        Input::FaderDb {
            target: strip(2),
            db: Some(-6.0),
        },
    );
    assert_eq!(gains(&effects), [(0, -9.0), (1, -6.0)]);
    let band = || StripRef::Name("Band".into());
    let effects = rig.one(&midi(), 700, Input::Press(Press::Mute(band())));
    assert_eq!(effects, [Effect::Mute(0, true), Effect::Mute(1, true)]);
    let effects = rig.one(
        &midi(),
        800,
        Input::Pan {
            strip: band(),
            pan: 0.5,
        },
    );
    assert_eq!(
        effects,
        [Effect::Pan(0, Pan(0.5)), Effect::Pan(1, Pan(0.5))]
    );
    assert_eq!(rig.app.mixer().selected(), 0, "the selection stays");
    let feedback = rig.app.feedback();
    let names: Vec<&str> = feedback.strips.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Bass", "Keys", "Band"]);
    assert!(feedback.strips[2].mute);
    assert_eq!(feedback.strips[2].pan, Some(0.5));
}

/// A fader move from a surface (a MIDI fader's position, a mouse drag's level) on an armed
/// strip while playing records its ride by the move it makes, and the fader follows the level
/// heard until the take lets go; the base fader stays.
#[test]
fn a_surface_fader_records_an_armed_strips_ride() {
    let mut rig = Rig::new(test_session(Path::new("s.toml")));
    rig.app.update(Action::RideMode, rig.at(0), rig.transport);
    rig.transport.playing = true;
    rig.transport.position = crate::units::Seconds(1.0);
    let db = |db| Input::FaderDb {
        target: strip(0),
        db: Some(db),
    };
    let effects = rig.one(&midi(), 10, db(-1.0));
    assert!(
        effects.contains(&Effect::RideHold(0, Some(Decibels(2.0)))),
        "{effects:?}"
    );
    assert_eq!(rig.gain(0), -3.0);
    assert_eq!(
        rig.app
            .mixer()
            .fader_value(Fader::Strip(0), rig.transport.position),
        Decibels(-1.0)
    );
    let effects = rig.one(&midi(), 50, db(-4.0));
    assert!(
        effects.contains(&Effect::RideHold(0, Some(Decibels(-1.0)))),
        "{effects:?}"
    );
    // The touch lets go: the fader shows the base again, the ride holds what was recorded.
    rig.transport.position = crate::units::Seconds(2.0);
    rig.app.tick(rig.at(700), rig.transport);
    assert_eq!(
        rig.app
            .mixer()
            .fader_value(Fader::Strip(0), rig.transport.position),
        Decibels(-3.0)
    );
    let ride = rig.app.mixer().session().ride("Bass").expect("a ride");
    assert_eq!(
        ride.db_at(crate::units::Seconds(1.5)),
        Decibels(-1.0),
        "{ride:?}"
    );
}
