//! Groups and rides in the session model: VCA-style groups that move several channels as one,
//! and rides (level automation recorded by ear), with what the two make of each channel's
//! levels.
//!
//! - A **group** (`[[group]]` in the file) has a fader, mute, solo and pan of its own and a list
//!   of member channels. Members keep their own faders: a member plays at its own fader plus the
//!   fader of every group it is in (in dB), so a channel in two groups adds both. A group's mute
//!   mutes its members, its solo solos them (in place, like a channel's solo), and its pan is
//!   added to each member's pan (the sum held within hard left and hard right). Groups do not
//!   nest: members are channels.
//! - A **ride** (`[[ride]]`) belongs to a channel or a group and is a list of points, each a time
//!   and a level in dB. The level is added to the channel's fader (or the section scene's value
//!   for it), and to every member's for a group's ride. Between two points it moves in a straight
//!   line in dB; before the first point it holds the first point's level and after the last the
//!   last point's.

use super::limits::Limits;
use crate::units::{Decibels, Pan, Seconds};

/// How far a thinned ride may stray from the moves that were recorded, in dB: a recorded pass
/// keeps only the points needed to stay within this of every move (0.1 dB is well below the
/// smallest level change anyone hears, about 0.5 dB).
pub const RIDE_TOLERANCE_DB: f64 = 0.1;

/// The lowest level a ride point may hold, in dB.
pub const RIDE_MIN_DB: f64 = -60.0;

/// The highest level a ride point may hold, in dB.
pub const RIDE_MAX_DB: f64 = 24.0;

/// What a ride point's level allows, in a user's words (the session loader and the console judge
/// levels by it): [`RIDE_MIN_DB`]..=[`RIDE_MAX_DB`], finite.
pub const RIDE_LEVEL: Limits = Limits {
    low: RIDE_MIN_DB,
    high: RIDE_MAX_DB,
    rule: "a ride point's level goes from -60 to +24 dB",
};

/// A VCA-style group of channels.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Unique among channels and groups.
    pub name: String,
    /// The member channels, by name, in file order (at least one, each once).
    pub members: Vec<String>,
    /// The group fader, added to every member's fader, -inf (off)..+12 dB.
    pub gain_db: Decibels,
    /// Mutes every member.
    pub mute: bool,
    /// Solos every member.
    pub solo: bool,
    /// Added to every member's pan, -1..+1.
    pub pan: Pan,
}

impl Group {
    /// A group of `members` at unity, unmuted, centred.
    pub fn new(name: impl Into<String>, members: Vec<String>) -> Self {
        Self {
            name: name.into(),
            members,
            gain_db: Decibels::UNITY,
            mute: false,
            solo: false,
            pan: Pan::CENTRE,
        }
    }

    /// Whether `channel` is a member.
    pub fn has_member(&self, channel: &str) -> bool {
        self.members.iter().any(|m| m == channel)
    }
}

/// One point of a ride: at this time, this many dB on top of the fader.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RidePoint {
    /// Where on the session timeline.
    pub at: Seconds,
    /// The level added to the fader there, [`RIDE_MIN_DB`]..[`RIDE_MAX_DB`].
    pub db: Decibels,
}

impl RidePoint {
    /// A point at `at` seconds holding `db` dB.
    pub fn new(at: f64, db: f64) -> Self {
        Self {
            at: Seconds(at),
            db: Decibels(db),
        }
    }
}

/// A channel's or a group's ride.
#[derive(Debug, Clone, PartialEq)]
pub struct Ride {
    /// The channel or group it belongs to, by name.
    pub target: String,
    /// Its points, in strictly increasing time order (at least one).
    pub points: Vec<RidePoint>,
}

impl Ride {
    /// The level the ride adds at time `t`: a straight line in dB between the points around
    /// it, the first point's level before the first and the last's after the last (0 dB for a
    /// ride without points).
    pub fn db_at(&self, t: Seconds) -> Decibels {
        ride_db_at(&self.points, t)
    }
}

/// The level a list of ride points gives at `t` (see [`Ride::db_at`]).
pub fn ride_db_at(points: &[RidePoint], t: Seconds) -> Decibels {
    let Some(first) = points.first() else {
        return Decibels::UNITY;
    };
    let next = points.partition_point(|p| p.at.0 <= t.0);
    if next == 0 {
        return first.db;
    }
    let a = points[next - 1];
    let Some(b) = points.get(next) else {
        return a.db;
    };
    let span = b.at.0 - a.at.0;
    if span <= 0.0 {
        return b.db;
    }
    let x = (t.0 - a.at.0) / span;
    Decibels(a.db.0 + (b.db.0 - a.db.0) * x)
}

/// The points of `points` (in time order) that a ride needs to stay within `tolerance` dB of
/// every one of them: the first and the last always, and between two kept points the one
/// farthest from the straight line joining them whenever it is farther than `tolerance`
/// (Ramer-Douglas-Peucker, measured in dB at the point's time). A point less than a
/// millisecond after the one before it replaces that one's level, as a ride file could not tell
/// them apart.
pub fn thin(points: &[RidePoint], tolerance: f64) -> Vec<RidePoint> {
    let mut sorted: Vec<RidePoint> = Vec::with_capacity(points.len());
    for p in points {
        match sorted.last_mut() {
            Some(last) if p.at.0 - last.at.0 < 0.001 => last.db = p.db,
            _ => sorted.push(*p),
        }
    }
    if sorted.len() <= 2 {
        return sorted;
    }
    let mut keep = vec![false; sorted.len()];
    keep[0] = true;
    keep[sorted.len() - 1] = true;
    let mut spans = vec![(0, sorted.len() - 1)];
    while let Some((a, b)) = spans.pop() {
        if b <= a + 1 {
            continue;
        }
        let line = [sorted[a], sorted[b]];
        let (far, distance) = (a + 1..b)
            .map(|i| {
                (
                    i,
                    (ride_db_at(&line, sorted[i].at).0 - sorted[i].db.0).abs(),
                )
            })
            .fold((a, -1.0), |best, x| if x.1 > best.1 { x } else { best });
        if distance > tolerance {
            keep[far] = true;
            spans.push((a, far));
            spans.push((far, b));
        }
    }
    sorted
        .into_iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(p))
        .collect()
}

/// What one channel plays at once its groups are counted: its fader plus its groups' (in dB),
/// its pan plus theirs (within -1..+1), muted or soloed when it or any of its groups is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeardLevels {
    /// Fader, dB (-inf when the channel's or a group's fader is off).
    pub gain: Decibels,
    /// Pan, -1..+1.
    pub pan: Pan,
    /// Muted by itself or a group.
    pub mute: bool,
    /// Soloed by itself or a group.
    pub solo: bool,
}

/// Adds decibel values, where any -inf (a fader off) makes the sum -inf.
pub fn add_db(a: Decibels, b: Decibels) -> Decibels {
    if a.is_off() || b.is_off() {
        Decibels::OFF
    } else {
        Decibels(a.0 + b.0)
    }
}

impl super::Session {
    /// The group named `name`, by index.
    pub fn group_index(&self, name: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.name == name)
    }

    /// The groups `channel` is a member of, in file order.
    pub fn groups_of<'a>(&'a self, channel: &'a str) -> impl Iterator<Item = &'a Group> + 'a {
        self.groups.iter().filter(move |g| g.has_member(channel))
    }

    /// The ride of the channel or group named `target`, if it has one.
    pub fn ride(&self, target: &str) -> Option<&Ride> {
        self.rides.iter().find(|r| r.target == target)
    }

    /// What channel `index` plays with its groups counted (its base levels, before scenes and
    /// rides). `None` for no such channel.
    pub fn heard_levels(&self, index: usize) -> Option<HeardLevels> {
        let channel = self.channels.get(index)?;
        let mut heard = HeardLevels {
            gain: channel.gain_db,
            pan: channel.pan,
            mute: channel.mute,
            solo: channel.solo,
        };
        for group in self.groups_of(&channel.name) {
            heard.gain = add_db(heard.gain, group.gain_db);
            heard.pan = Pan(heard.pan.0 + group.pan.0);
            heard.mute |= group.mute;
            heard.solo |= group.solo;
        }
        heard.pan = Pan(heard.pan.0.clamp(-1.0, 1.0));
        Some(heard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ride_is_a_straight_line_in_db_and_holds_its_ends() {
        let ride = Ride {
            target: "Lead vocal".into(),
            points: vec![
                RidePoint::new(12.0, 0.0),
                RidePoint::new(14.5, 2.0),
                RidePoint::new(20.0, -4.0),
            ],
        };
        assert_eq!(ride.db_at(Seconds(0.0)), Decibels(0.0));
        assert_eq!(ride.db_at(Seconds(12.0)), Decibels(0.0));
        assert!((ride.db_at(Seconds(13.25)).0 - 1.0).abs() < 1e-12);
        assert_eq!(ride.db_at(Seconds(14.5)), Decibels(2.0));
        assert!((ride.db_at(Seconds(17.25)).0 - -1.0).abs() < 1e-12);
        assert_eq!(ride.db_at(Seconds(99.0)), Decibels(-4.0));
        assert_eq!(ride_db_at(&[], Seconds(3.0)), Decibels(0.0));
    }

    #[test]
    fn thinning_keeps_every_point_within_the_tolerance() {
        // A slow rise and a fall sampled every 10 ms, with a corner at 1 s.
        let points: Vec<RidePoint> = (0..=200)
            .map(|i| {
                let t = f64::from(i) * 0.01;
                let db = if t <= 1.0 {
                    3.0 * t
                } else {
                    3.0 - 6.0 * (t - 1.0)
                };
                RidePoint::new(t, db)
            })
            .collect();
        let thinned = thin(&points, RIDE_TOLERANCE_DB);
        assert_eq!(
            thinned,
            [
                RidePoint::new(0.0, 0.0),
                RidePoint::new(1.0, 3.0),
                RidePoint::new(2.0, -3.0)
            ]
        );
        // A curve keeps more points, and every recorded point stays within the tolerance.
        let curve: Vec<RidePoint> = (0..=300)
            .map(|i| {
                let t = f64::from(i) * 0.01;
                RidePoint::new(t, 4.0 * (t * 2.0).sin())
            })
            .collect();
        let thinned = thin(&curve, RIDE_TOLERANCE_DB);
        assert!(thinned.len() > 5 && thinned.len() < 60, "{}", thinned.len());
        for p in &curve {
            let off = (ride_db_at(&thinned, p.at).0 - p.db.0).abs();
            assert!(
                off <= RIDE_TOLERANCE_DB + 1e-9,
                "{off} dB off at {:?}",
                p.at
            );
        }
    }

    #[test]
    fn an_off_fader_stays_off_when_added_to() {
        assert_eq!(add_db(Decibels(-3.0), Decibels(1.5)), Decibels(-1.5));
        assert!(add_db(Decibels::OFF, Decibels(6.0)).is_off());
        assert!(add_db(Decibels(6.0), Decibels::OFF).is_off());
    }
}
