//! Snapshots of a mix: a named copy of everything that makes the balance, kept in the session
//! file (`[[snapshot]]`) so versions of a mix can be recalled and compared.
//!
//! A snapshot holds the master fader, every channel's and group's fader, pan and mute, every
//! channel's trim, every section's scene (fader values and mutes) and every ride. It leaves
//! out the solos: a solo is for listening while mixing, not part of the mix (the exercises
//! clear them too).
//!
//! Recalling a snapshot ([`Snapshot::applied_to`]) sets what the snapshot knows and leaves the
//! rest: a channel or group added after it was taken keeps its controls and its ride, and a
//! section added after keeps its scene. A channel or group the snapshot knows takes its fader,
//! trim (0 dB when not written), pan (centre when not written), mute (muted only when listed)
//! and ride (none when not written); a section it knows takes its scene (no mutes when not
//! written).

use super::Session;
use super::automation::Ride;
use crate::units::{Decibels, Pan};

/// One section's scene as a snapshot keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneSnapshot {
    /// The section, by name.
    pub section: String,
    /// Its scene fader values (channels and groups), in order.
    pub gain_db: Vec<(String, Decibels)>,
    /// The channels and groups its scene mutes.
    pub mute: Vec<String>,
}

/// A named copy of a mix (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Unique among the session's snapshots, not empty.
    pub name: String,
    /// The master fader.
    pub master_db: Decibels,
    /// Every channel's and group's fader: the names it knows.
    pub gain_db: Vec<(String, Decibels)>,
    /// Channels' trims that are not 0 dB.
    pub trim_db: Vec<(String, Decibels)>,
    /// Channels' and groups' pans that are not centred.
    pub pan: Vec<(String, Pan)>,
    /// The channels and groups muted.
    pub mute: Vec<String>,
    /// Every section's scene (empty ones too: the sections it knows).
    pub scenes: Vec<SceneSnapshot>,
    /// Every ride, by channel or group.
    pub rides: Vec<Ride>,
}

impl Snapshot {
    /// The mix of `session` now, named `name`.
    pub fn take(session: &Session, name: impl Into<String>) -> Self {
        let channels = session
            .channels
            .iter()
            .map(|c| (c.name.as_str(), c.gain_db, c.pan, c.mute));
        let groups = session
            .groups
            .iter()
            .map(|g| (g.name.as_str(), g.gain_db, g.pan, g.mute));
        let strips: Vec<_> = channels.chain(groups).collect();
        Self {
            name: name.into(),
            master_db: session.master_db,
            gain_db: strips
                .iter()
                .map(|(n, db, _, _)| ((*n).to_string(), *db))
                .collect(),
            trim_db: session
                .channels
                .iter()
                .filter(|c| c.trim_db != Decibels::UNITY)
                .map(|c| (c.name.clone(), c.trim_db))
                .collect(),
            pan: strips
                .iter()
                .filter(|(_, _, pan, _)| *pan != Pan::CENTRE)
                .map(|(n, _, pan, _)| ((*n).to_string(), *pan))
                .collect(),
            mute: strips
                .iter()
                .filter(|(_, _, _, mute)| *mute)
                .map(|(n, _, _, _)| (*n).to_string())
                .collect(),
            scenes: session
                .sections
                .iter()
                .map(|s| SceneSnapshot {
                    section: s.name.clone(),
                    gain_db: s.gain_db.clone(),
                    mute: s.mute.clone(),
                })
                .collect(),
            rides: session.rides.clone(),
        }
    }

    /// Whether the snapshot knows a channel or group (it was there when it was taken).
    pub fn knows(&self, name: &str) -> bool {
        self.gain_db.iter().any(|(n, _)| n == name)
    }

    /// `session` with this snapshot's mix recalled (see the module docs); the solos, the
    /// channels and groups it does not know, and the sections it does not know stay as they
    /// are.
    pub fn applied_to(&self, session: &Session) -> Session {
        let mut out = session.clone();
        out.master_db = self.master_db;
        let trim = |name: &str| {
            self.trim_db
                .iter()
                .find(|(n, _)| n == name)
                .map_or(Decibels::UNITY, |(_, db)| *db)
        };
        let pan = |name: &str| {
            self.pan
                .iter()
                .find(|(n, _)| n == name)
                .map_or(Pan::CENTRE, |(_, pan)| *pan)
        };
        let muted = |name: &str| self.mute.iter().any(|n| n == name);
        for (name, db) in &self.gain_db {
            if let Some(c) = out.channels.iter_mut().find(|c| &c.name == name) {
                c.gain_db = *db;
                c.trim_db = trim(name);
                c.pan = pan(name);
                c.mute = muted(name);
            } else if let Some(g) = out.groups.iter_mut().find(|g| &g.name == name) {
                g.gain_db = *db;
                g.pan = pan(name);
                g.mute = muted(name);
            }
        }
        for scene in &self.scenes {
            if let Some(s) = out.sections.iter_mut().find(|s| s.name == scene.section) {
                s.gain_db.clone_from(&scene.gain_db);
                s.mute.clone_from(&scene.mute);
            }
        }
        // Rides keep their places: one the snapshot has replaces the one there, one it lacks
        // goes (for what it knows), a new one comes last.
        out.rides
            .retain(|r| !self.knows(&r.target) || self.ride(&r.target).is_some());
        for ride in &mut out.rides {
            if let Some(kept) = self.ride(&ride.target) {
                ride.points.clone_from(&kept.points);
            }
        }
        for ride in &self.rides {
            let known = session.channel_index(&ride.target).is_some()
                || session.groups.iter().any(|g| g.name == ride.target);
            if known && !out.rides.iter().any(|r| r.target == ride.target) {
                out.rides.push(ride.clone());
            }
        }
        out
    }

    /// The ride the snapshot keeps for a channel or group.
    pub fn ride(&self, target: &str) -> Option<&Ride> {
        self.rides.iter().find(|r| r.target == target)
    }
}

/// A name for a new snapshot that no snapshot of `session` has: `wanted`, or `wanted (2)`,
/// `wanted (3)`...
pub fn unique_name(session: &Session, wanted: &str) -> String {
    let taken = |name: &str| session.snapshots.iter().any(|s| s.name == name);
    if !taken(wanted) {
        return wanted.to_string();
    }
    // Of len + 1 numbers, one is free.
    (2..=session.snapshots.len() + 2)
        .map(|n| format!("{wanted} ({n})"))
        .find(|name| !taken(name))
        .unwrap_or_else(|| wanted.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Group, RidePoint, Section};

    fn session() -> Session {
        let mut session = crate::app::edit::test_session(std::path::Path::new("s.toml"));
        session.groups.push(Group::new("Low", vec!["Bass".into()]));
        session.sections = vec![Section {
            name: "Verse".into(),
            start: crate::units::Seconds(0.0),
            gain_db: vec![("Keys".into(), Decibels(-2.0))],
            mute: Vec::new(),
            ramp_ms: None,
        }];
        session.rides.push(Ride {
            target: "Keys".into(),
            points: vec![RidePoint::new(1.0, 2.0)],
        });
        session
    }

    /// Recalling gives back every control the snapshot took (faders, trims, pans, mutes, group
    /// controls, master, scenes, rides) and leaves the solos alone.
    #[test]
    fn recall_gives_back_what_was_taken() {
        let before = session();
        let snapshot = Snapshot::take(&before, "A");
        let mut after = before.clone();
        after.channels[0].gain_db = Decibels(4.0);
        after.channels[0].trim_db = Decibels(-6.0);
        after.channels[1].pan = Pan(0.5);
        after.channels[1].mute = true;
        after.channels[1].solo = true;
        after.groups[0].gain_db = Decibels(-9.0);
        after.master_db = Decibels(-3.0);
        after.sections[0].gain_db.clear();
        after.sections[0].mute.push("Bass".into());
        after.rides.clear();
        after.rides.push(Ride {
            target: "Low".into(),
            points: vec![RidePoint::new(0.0, -1.0)],
        });
        let recalled = snapshot.applied_to(&after);
        let mut expected = before.clone();
        expected.channels[1].solo = true;
        assert_eq!(recalled, expected);
    }

    /// What the snapshot does not know (a channel or section added after it was taken) keeps
    /// its controls, its ride and its scene.
    #[test]
    fn recall_leaves_what_it_does_not_know() {
        let mut before = session();
        before.channels.pop();
        before.rides.clear();
        before.sections.clear();
        let snapshot = Snapshot::take(&before, "Old");
        let mut now = session();
        now.channels[1].gain_db = Decibels(-7.0);
        let recalled = snapshot.applied_to(&now);
        assert_eq!(recalled.channels[1].gain_db, Decibels(-7.0));
        assert_eq!(recalled.rides, now.rides);
        assert_eq!(recalled.sections, now.sections);
        assert_eq!(unique_name(&now, "Old"), "Old");
        now.snapshots.push(snapshot);
        assert_eq!(unique_name(&now, "Old"), "Old (2)");
    }
}
