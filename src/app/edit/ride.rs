//! The ride edit (UI thread): [`MixEdit::Ride`] replaces a channel's (or a group's) whole ride,
//! so undo, redo and the crash journal record a recorded pass or a ride edit as one value.

use super::{Change, EditError, MixEdit};
use crate::session::Session;
use crate::session::automation::{RIDE_MAX_DB, RIDE_MIN_DB, Ride, RidePoint};

/// Sets (or removes) the ride of the channel or group named `target`.
pub(super) fn apply_ride(
    session: &mut Session,
    target: &str,
    points: Option<&[RidePoint]>,
) -> Result<(), EditError> {
    let target = known_target(session, target)?;
    let end = session.length().0;
    if end > 0.0
        && let Some(late) = points
            .and_then(|p| p.last())
            .filter(|p| p.at.0 > end + 0.0005)
    {
        return Err(EditError::OutOfRange {
            edit: format!("{target} ride point at {}", late.at),
            rule: "a ride's points go up to the session's end",
        });
    }
    let existing = session.rides.iter().position(|r| r.target == target);
    match (points, existing) {
        (Some(points), Some(i)) => session.rides[i].points = points.to_vec(),
        (Some(points), None) => session.rides.push(Ride {
            target,
            points: points.to_vec(),
        }),
        (None, Some(i)) => {
            session.rides.remove(i);
        }
        (None, None) => {}
    }
    Ok(())
}

/// The edit that gives `target` back the ride it has in `session`.
pub(super) fn ride_now(session: &Session, target: &str) -> Result<MixEdit, EditError> {
    let target = known_target(session, target)?;
    Ok(MixEdit::Ride {
        points: session.ride(&target).map(|r| r.points.clone()),
        channel: target,
    })
}

/// The name of the channel or group `target`, or the error naming it.
fn known_target(session: &Session, target: &str) -> Result<String, EditError> {
    if session.channel_index(target).is_some() || session.group_index(target).is_some() {
        Ok(target.to_string())
    } else {
        Err(EditError::UnknownChannel {
            channel: target.to_string(),
        })
    }
}

/// Refuses a ride a session file could not hold: no points, times that are not strictly
/// increasing from 0, levels outside -60..+24 dB.
pub(super) fn check_points(edit: &MixEdit, points: Option<&[RidePoint]>) -> Result<(), EditError> {
    let Some(points) = points else {
        return Ok(());
    };
    let refuse = |rule| {
        Err(EditError::OutOfRange {
            edit: edit.to_string(),
            rule,
        })
    };
    if points.is_empty() {
        return refuse("a ride has at least one point");
    }
    if points
        .iter()
        .any(|p| !(RIDE_MIN_DB..=RIDE_MAX_DB).contains(&p.db.0))
    {
        return refuse("a ride's levels go from -60 to +24 dB");
    }
    if points
        .iter()
        .any(|p| !(p.at.0 >= 0.0 && p.at.0.is_finite()))
        || points.windows(2).any(|w| w[1].at.0 <= w[0].at.0)
    {
        return refuse("a ride's points are at times of 0 s or more, each later than the last");
    }
    Ok(())
}

/// A ride as a user reads it in undo messages: "none", "1 point", "12 points".
pub(super) fn points_text(points: Option<&[RidePoint]>) -> String {
    match points.map(<[RidePoint]>::len) {
        None => "none".to_string(),
        Some(1) => "1 point".to_string(),
        Some(n) => format!("{n} points"),
    }
}

/// The rides that differ between two versions of a session, one change per target (in
/// `after`'s ride order, then the rides only `before` has).
pub(super) fn ride_differences(before: &Session, after: &Session) -> Vec<Change> {
    let points = |session: &Session, target: &str| session.ride(target).map(|r| r.points.clone());
    let mut targets: Vec<&str> = after.rides.iter().map(|r| r.target.as_str()).collect();
    for ride in &before.rides {
        if !targets.contains(&ride.target.as_str()) {
            targets.push(&ride.target);
        }
    }
    targets
        .into_iter()
        .filter_map(|target| {
            let (old, new) = (points(before, target), points(after, target));
            (old != new).then(|| Change {
                before: MixEdit::Ride {
                    channel: target.to_string(),
                    points: old,
                },
                after: MixEdit::Ride {
                    channel: target.to_string(),
                    points: new,
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::test_session;
    use std::path::Path;

    fn ride(points: Option<Vec<RidePoint>>) -> MixEdit {
        MixEdit::Ride {
            channel: "Bass".into(),
            points,
        }
    }

    /// A ride edit sets, replaces and removes the channel's ride; its inverse puts back what
    /// was there; differences list it; bad rides (a point past the 10 s session's end among
    /// them) and unknown names are refused.
    #[test]
    fn a_ride_edit_sets_and_undoes_the_whole_ride() {
        let mut session = test_session(Path::new("s.toml"));
        let first = vec![RidePoint::new(1.0, 0.0), RidePoint::new(2.0, -3.0)];
        let saved = session.clone();
        let change = Change::of(ride(Some(first.clone())), &session).unwrap();
        assert_eq!(change.before, ride(None));
        change.after.apply(&mut session).unwrap();
        assert_eq!(session.ride("Bass").map(|r| r.points.clone()), Some(first));
        assert_eq!(change.to_string(), "Bass ride none -> 2 points");
        assert_eq!(
            super::super::differences(&saved, &session),
            vec![change.clone()]
        );
        change.before.apply(&mut session).unwrap();
        assert!(session.rides.is_empty());
        let unknown = MixEdit::Ride {
            channel: "Tuba".into(),
            points: None,
        };
        assert!(matches!(
            unknown.apply(&mut session),
            Err(EditError::UnknownChannel { .. })
        ));
        for bad in [
            vec![],
            vec![RidePoint::new(1.0, 30.0)],
            vec![RidePoint::new(2.0, 0.0), RidePoint::new(2.0, 1.0)],
            vec![RidePoint::new(-1.0, 0.0)],
            vec![RidePoint::new(9.0, 0.0), RidePoint::new(10.001, 0.0)],
        ] {
            assert!(
                matches!(
                    ride(Some(bad.clone())).apply(&mut session),
                    Err(EditError::OutOfRange { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(session.rides.is_empty());
    }
}
