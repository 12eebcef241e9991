//! Recording and editing rides through the model, as the console drives it.

use super::*;
use crate::app::action::Direction;
use crate::app::rides::RideMode;
use crate::session::{Ride, RidePoint};

/// The points of `app`'s ride for `target`, as (time, dB) pairs rounded to 0.1 ms / 0.001 dB.
fn ride(app: &App, target: &str) -> Option<Vec<(f64, f64)>> {
    app.mixer().session().ride(target).map(|r| {
        r.points
            .iter()
            .map(|p| {
                (
                    (p.at.0 * 10_000.0).round() / 10_000.0,
                    (p.db.0 * 1000.0).round() / 1000.0,
                )
            })
            .collect()
    })
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The test session playing from `at` seconds with Bass armed in `presses` presses of A
/// (1: touch, 2: latch).
fn armed(presses: usize, at: f64) -> (App, Recorder, Instant) {
    let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
    for _ in 0..presses {
        eng.update(&mut app, Action::RideMode, t);
    }
    eng.update(&mut app, Action::PlayPause, t);
    eng.position = at;
    (app, eng, t)
}

/// A touch take holds the strip at the ride level it records (the fader stays), lets go the
/// release time after the last nudge, and its ride glides back to 0 dB over 300 ms; the pass
/// is one undo step once playback stops.
#[test]
fn a_touch_take_lets_go_and_glides_back() {
    let (mut app, mut eng, t) = armed(1, 2.0);
    assert_eq!(app.mixer().ride_mode("Bass"), RideMode::Touch);
    eng.update(&mut app, up(), t);
    assert_eq!(eng.holds, vec![(0, Some(0.5))]);
    assert!(app.mixer().ride_recording("Bass"));
    eng.position = 2.1;
    eng.update(&mut app, up(), t + ms(100));
    assert_eq!(eng.holds.last(), Some(&(0, Some(1.0))));
    assert!(eng.gains.is_empty(), "the base fader is not moved");
    assert_eq!(gain(&app, 0), -3.0);
    // Not yet: 599 ms after the last nudge.
    eng.position = 2.699;
    eng.tick(&mut app, t + ms(699));
    assert!(eng.rides.is_empty());
    assert!(app.mixer().ride_recording("Bass"));
    eng.position = 2.7;
    eng.tick(&mut app, t + ms(700));
    let recorded = vec![
        (2.0, 0.0),
        (2.01, 0.5),
        (2.1, 0.5),
        (2.11, 1.0),
        (2.7, 1.0),
        (3.0, 0.0),
    ];
    assert_eq!(ride(&app, "Bass"), Some(recorded.clone()));
    assert_eq!(eng.holds.last(), Some(&(0, None)));
    assert_eq!(eng.rides.len(), 1);
    assert_eq!(eng.rides[0][0].target, "Bass");
    assert!(!app.mixer().ride_recording("Bass"));
    // Stopping makes the pass one undo step; undo takes the ride away, redo brings it back.
    eng.update(&mut app, Action::PlayPause, t + ms(900));
    eng.update(&mut app, Action::Undo, t + ms(1000));
    assert_eq!(ride(&app, "Bass"), None);
    assert_eq!(eng.rides.last(), Some(&Vec::new()));
    eng.update(&mut app, Action::Redo, t + ms(1100));
    assert_eq!(ride(&app, "Bass"), Some(recorded));
}

/// A latch take keeps its last level however long no nudge comes, until playback stops; its
/// recording then replaces the old ride over the time it covers and no further.
#[test]
fn a_latch_take_holds_until_the_stop() {
    let mut session = test_session(Path::new("s.toml"));
    session.rides.push(Ride {
        target: "Bass".into(),
        points: vec![RidePoint::new(0.5, -2.0), RidePoint::new(8.0, -2.0)],
    });
    let (mut app, mut eng, t) = (app_for(session), Recorder::default(), Instant::now());
    eng.update(&mut app, Action::RideMode, t);
    eng.update(&mut app, Action::RideMode, t);
    assert_eq!(app.mixer().ride_mode("Bass"), RideMode::Latch);
    eng.update(&mut app, Action::PlayPause, t);
    eng.position = 1.0;
    eng.update(&mut app, down(Step::Coarse), t);
    assert_eq!(eng.holds, vec![(0, Some(-5.0))], "from the ride's -2 dB");
    eng.position = 5.0;
    eng.tick(&mut app, t + Duration::from_secs(4));
    assert!(app.mixer().ride_recording("Bass"));
    assert!(eng.rides.is_empty());
    eng.position = 6.0;
    eng.update(&mut app, Action::PlayPause, t + Duration::from_secs(5));
    assert_eq!(
        ride(&app, "Bass"),
        Some(vec![
            (0.5, -2.0),
            (1.0, -2.0),
            (1.01, -5.0),
            (6.0, -5.0),
            (6.3, -2.0),
            (8.0, -2.0),
        ])
    );
    assert_eq!(eng.holds.last(), Some(&(0, None)));
    assert_eq!(eng.rides.len(), 1);
    eng.update(&mut app, Action::Undo, t + Duration::from_secs(6));
    assert_eq!(ride(&app, "Bass"), Some(vec![(0.5, -2.0), (8.0, -2.0)]));
}

/// Several strips can be armed at once; each nudge records the selected one, and the whole
/// pass (both strips, two touch takes of one) is a single undo step.
#[test]
fn several_strips_record_in_one_pass_and_undo_as_one_step() {
    let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
    eng.update(&mut app, up(), t);
    eng.update(&mut app, Action::RideMode, t);
    eng.update(&mut app, Action::SelectNext, t);
    eng.update(&mut app, Action::RideMode, t);
    eng.update(&mut app, Action::RideMode, t);
    assert_eq!(app.mixer().ride_mode("Keys"), RideMode::Latch);
    eng.update(&mut app, Action::PlayPause, t);
    eng.position = 1.0;
    eng.update(&mut app, up(), t + ms(10));
    eng.update(&mut app, Action::SelectPrevious, t + ms(20));
    eng.update(&mut app, down(Step::Fine), t + ms(30));
    assert_eq!(eng.holds, vec![(1, Some(0.5)), (0, Some(-0.5))]);
    // Bass's touch lets go; a second touch later in the same pass.
    eng.position = 2.0;
    eng.tick(&mut app, t + ms(700));
    assert_eq!(eng.holds.last(), Some(&(0, None)));
    assert!(app.mixer().ride_recording("Keys"));
    eng.position = 3.0;
    eng.update(&mut app, up(), t + ms(1700));
    eng.position = 4.0;
    eng.tick(&mut app, t + ms(2400));
    eng.position = 4.5;
    eng.update(&mut app, Action::PlayPause, t + ms(2500));
    let bass = ride(&app, "Bass").unwrap();
    assert_eq!(bass.first(), Some(&(1.0, 0.0)));
    assert!(bass.contains(&(3.01, 0.5)), "{bass:?}");
    assert_eq!(
        ride(&app, "Keys"),
        Some(vec![(1.0, 0.0), (1.01, 0.5), (4.5, 0.5), (4.8, 0.0)])
    );
    assert_eq!(
        gain(&app, 0),
        -2.5,
        "only the nudge made before playing moved the fader"
    );
    eng.update(&mut app, Action::Undo, t + ms(3000));
    assert!(app.mixer().session().rides.is_empty());
    assert_eq!(gain(&app, 0), -2.5);
    eng.update(&mut app, Action::Undo, t + ms(3100));
    assert_eq!(gain(&app, 0), -3.0);
}

/// Stopped, an armed strip's nudge moves its fader; off gives the engine the rides without
/// the strip's, and read gives it back.
#[test]
fn stopped_nudges_move_the_fader_and_off_silences_the_ride() {
    let mut session = test_session(Path::new("s.toml"));
    session.rides.push(Ride {
        target: "Bass".into(),
        points: vec![RidePoint::new(0.5, -2.0)],
    });
    let (mut app, mut eng, t) = (app_for(session), Recorder::default(), Instant::now());
    eng.update(&mut app, Action::RideMode, t);
    eng.update(&mut app, up(), t);
    assert_eq!(gain(&app, 0), -2.5);
    assert!(eng.holds.is_empty());
    eng.update(&mut app, Action::RideMode, t);
    eng.update(&mut app, Action::RideMode, t);
    assert_eq!(app.mixer().ride_mode("Bass"), RideMode::Off);
    assert_eq!(
        eng.rides.last(),
        Some(&Vec::new()),
        "the engine hears no ride"
    );
    assert!(
        app.mixer().session().ride("Bass").is_some(),
        "the ride is kept"
    );
    eng.update(&mut app, Action::RideMode, t);
    assert_eq!(app.mixer().ride_mode("Bass"), RideMode::Read);
    let heard = eng.rides.last().expect("rides sent");
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0].target, "Bass");
    assert!(eng.holds.is_empty(), "no hold: {:?}", eng.holds);
    // Read does not record either.
    eng.update(&mut app, Action::PlayPause, t);
    eng.update(&mut app, up(), t + Duration::from_secs(1));
    assert_eq!(gain(&app, 0), -2.0);
    assert_eq!(app.mixer().session().rides.len(), 1);
}

/// A group strip is ridden like a channel: its take is held through each member, at the
/// member's own ride plus the take's level, and the recorded ride is the group's.
#[test]
fn a_group_strip_records_the_groups_ride() {
    let mut session = test_session(Path::new("s.toml"));
    let names: Vec<String> = session.channels.iter().map(|c| c.name.clone()).collect();
    session
        .groups
        .push(crate::session::Group::new("Band", names[..2].to_vec()));
    session.rides.push(Ride {
        target: names[1].clone(),
        points: vec![RidePoint::new(0.0, 1.0)],
    });
    let group_strip = session.channels.len();
    let (mut app, mut eng, t) = (app_for(session), Recorder::default(), Instant::now());
    let number = u8::try_from(group_strip + 1).expect("a few strips");
    eng.update(&mut app, Action::SelectStrip(number), t);
    eng.update(&mut app, Action::RideMode, t);
    assert_eq!(app.mixer().ride_mode("Band"), RideMode::Touch);
    eng.update(&mut app, Action::PlayPause, t);
    eng.position = 2.0;
    eng.update(&mut app, up(), t);
    assert_eq!(eng.holds, vec![(0, Some(0.5)), (1, Some(1.5))]);
    assert_eq!(gain(&app, 0), -3.0, "the fader stays");
    eng.position = 3.0;
    app.tick(t + ms(5000), eng.transport());
    eng.absorb(&mut app);
    assert_eq!(eng.holds[eng.holds.len() - 2..], [(0, None), (1, None)]);
    let band = ride(&app, "Band").expect("the group's ride");
    assert_eq!(band.first(), Some(&(2.0, 0.0)));
    assert!(ride(&app, &names[0]).is_none(), "no member's ride recorded");
}

/// Blind, a ride records with no level in the message.
#[test]
fn a_blind_take_shows_no_numbers() {
    let (mut app, mut eng, t) = armed(1, 1.0);
    eng.update(&mut app, Action::Blind, t);
    eng.update(&mut app, up(), t);
    assert_eq!(app.message(), Some("Recording the Bass ride"));
    let (_, Some(level)) = eng.holds[0] else {
        panic!("{:?}", eng.holds);
    };
    assert!((0.34..=0.66).contains(&level), "{level}");
}

/// `+` and `-` trim the ride in the section under the play head (a held key's burst is one
/// undo step, the section's edges glide over 50 ms, the rest is unchanged); `X` clears it in
/// the section, `ctrl+x` everywhere.
#[test]
fn rides_are_trimmed_and_cleared_in_a_section() {
    let mut session = sectioned(&["Verse", "Chorus", "Outro"], &[0.0, 4.0, 8.0]);
    session.rides.push(Ride {
        target: "Bass".into(),
        points: vec![RidePoint::new(1.0, 2.0), RidePoint::new(9.0, 2.0)],
    });
    let (mut app, mut eng, t) = (app_for(session), Recorder::default(), Instant::now());
    eng.position = 5.0;
    eng.update(&mut app, Action::TrimRide(Direction::Up), t);
    eng.update(&mut app, Action::TrimRide(Direction::Up), t + ms(100));
    let trimmed = vec![
        (1.0, 2.0),
        (4.0, 2.0),
        (4.05, 3.0),
        (7.95, 3.0),
        (8.0, 2.0),
        (9.0, 2.0),
    ];
    assert_eq!(ride(&app, "Bass"), Some(trimmed.clone()));
    assert_eq!(eng.rides.len(), 2);
    eng.update(&mut app, Action::Undo, t + ms(200));
    assert_eq!(ride(&app, "Bass"), Some(vec![(1.0, 2.0), (9.0, 2.0)]));
    eng.update(&mut app, Action::Redo, t + ms(300));
    eng.update(&mut app, Action::TrimRide(Direction::Down), t + ms(400));
    assert!(ride(&app, "Bass").unwrap().contains(&(4.05, 2.5)));
    eng.update(&mut app, Action::Undo, t + ms(500));
    assert_eq!(ride(&app, "Bass"), Some(trimmed));
    eng.update(&mut app, Action::ClearRideSection, t + ms(600));
    assert_eq!(
        ride(&app, "Bass"),
        Some(vec![
            (1.0, 2.0),
            (4.0, 2.0),
            (4.05, 0.0),
            (7.95, 0.0),
            (8.0, 2.0),
            (9.0, 2.0),
        ])
    );
    assert_eq!(
        app.message(),
        Some("Cleared the Bass ride in Chorus (u undoes)")
    );
    eng.update(&mut app, Action::ClearRide, t + ms(700));
    assert_eq!(ride(&app, "Bass"), None);
    eng.update(&mut app, Action::ClearRide, t + ms(800));
    assert_eq!(app.message(), Some("Bass has no ride to clear"));
    eng.update(&mut app, Action::Undo, t + ms(900));
    eng.update(&mut app, Action::Undo, t + ms(1000));
    assert_eq!(ride(&app, "Bass").map(|r| r.len()), Some(6));
    assert!(app.unsaved());
}
