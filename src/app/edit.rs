//! Mixer edits (UI thread): one change to the mix, addressed by channel name, which undo, redo and
//! the crash journal all record.
//!
//! Edits carry absolute values ("Bass fader to -4.5 dB", not "down 1.5 dB"), so replaying them in
//! order on the saved session reproduces the mix whatever happened in between. Section scenes
//! are addressed by section name; changes to the section list itself (add, remove, rename, move
//! a start, copy or clear a scene) replace the whole list.

mod describe;
mod group;
mod ride;

use std::fmt;

use describe::describe_sections;
pub use describe::replay_text;

use crate::session::automation::RidePoint;
use crate::session::limits::{FADER, MASTER, PAN, TRIM};
use crate::session::sections::{Problem, SceneList, section_problems};
use crate::session::{MAX_SCENE_RAMP_MS, Section, Session, Snapshot};
use crate::units::{Decibels, Pan};

/// One mixer change. Channels are addressed by name, which stays the same across sessions
/// (their position in the strip list does not have to).
#[derive(Debug, Clone, PartialEq)]
pub enum MixEdit {
    /// Set a channel's input trim (-24..+24 dB).
    Trim { channel: String, db: Decibels },
    /// Set a channel's fader (-inf (off)..+12 dB).
    Gain { channel: String, db: Decibels },
    /// Set a channel's pan (-1 left..+1 right).
    Pan { channel: String, pan: Pan },
    /// Mute or unmute a channel.
    Mute { channel: String, on: bool },
    /// Solo or unsolo a channel.
    Solo { channel: String, on: bool },
    /// Set the master fader (-inf (off)..+12 dB).
    Master { db: Decibels },
    /// Set (`Some`, -inf (off)..+12 dB) or remove (`None`: the channel follows its base fader)
    /// a section's scene fader value for a channel.
    SceneGain {
        section: String,
        channel: String,
        db: Option<Decibels>,
    },
    /// Mute or unmute a channel in one section's scene only.
    SceneMute {
        section: String,
        channel: String,
        on: bool,
    },
    /// Replace the whole section list (add, remove, rename, move a start, copy or clear a
    /// scene). Refused unless the list could be a session file's: non-empty unique names,
    /// strictly increasing starts from 0 to before the session's end, scenes naming existing
    /// channels once each, fader values and ramps in range.
    Sections { sections: Vec<Section> },
    /// Replace a channel's ride (`Some`: its points, in strictly increasing time order, each
    /// level in -60..+24 dB) or remove it (`None`: no ride).
    Ride {
        channel: String,
        points: Option<Vec<RidePoint>>,
    },
    /// Replace the list of mix snapshots (take, rename or delete one). Refused unless every
    /// name is unique and not empty.
    Snapshots { snapshots: Vec<Snapshot> },
}

/// Why an edit cannot be applied to a session.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    /// The session has no channel of that name.
    #[error("there is no channel named '{channel}' in this session")]
    UnknownChannel {
        /// The name the edit asked for.
        channel: String,
    },
    /// The session has no section of that name.
    #[error("there is no section named '{section}' in this session")]
    UnknownSection {
        /// The name the edit asked for.
        section: String,
    },
    /// A new section list that a session file could not hold.
    #[error("the sections cannot be set: {problem}")]
    InvalidSections {
        /// What is wrong, naming the section.
        problem: String,
    },
    /// A snapshot list that a session file could not hold.
    #[error("the snapshots cannot be set: {problem}")]
    InvalidSnapshots {
        /// What is wrong, naming the snapshot.
        problem: String,
    },
    /// A trim edit naming a group (groups have a fader, pan, mute and solo, no trim).
    #[error("{group} is a group: a group has no trim")]
    GroupHasNoTrim {
        /// The group's name.
        group: String,
    },
    /// The value is outside what the control allows (or is not a number).
    #[error("{edit}: {rule}")]
    OutOfRange {
        /// The edit, in a user's words.
        edit: String,
        /// What is allowed.
        rule: &'static str,
    },
}

impl MixEdit {
    /// The channel the edit addresses (in a section's scene, for scene edits); `None` for the
    /// master fader and the section list.
    pub fn channel(&self) -> Option<&str> {
        match self {
            MixEdit::Trim { channel, .. }
            | MixEdit::Gain { channel, .. }
            | MixEdit::Pan { channel, .. }
            | MixEdit::Mute { channel, .. }
            | MixEdit::Solo { channel, .. }
            | MixEdit::SceneGain { channel, .. }
            | MixEdit::SceneMute { channel, .. }
            | MixEdit::Ride { channel, .. } => Some(channel),
            MixEdit::Master { .. } | MixEdit::Sections { .. } | MixEdit::Snapshots { .. } => None,
        }
    }

    /// The section whose scene the edit changes; `None` for every other edit (including
    /// [`MixEdit::Sections`], which changes them all).
    pub fn section(&self) -> Option<&str> {
        match self {
            MixEdit::SceneGain { section, .. } | MixEdit::SceneMute { section, .. } => {
                Some(section)
            }
            _ => None,
        }
    }

    /// Whether two edits set the same control (the same kind of edit on the same channel, and
    /// for scene edits in the same section), so the later one overrides the earlier. Two
    /// [`MixEdit::Sections`] edits are the same control: the section list.
    pub fn same_control(&self, other: &MixEdit) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.channel() == other.channel()
            && self.section() == other.section()
    }

    /// Whether applying this edit makes an `earlier` one irrelevant: it sets the same control
    /// ([`same_control`](MixEdit::same_control)), or it replaces the section list, which
    /// overwrites every earlier scene edit. Dropping superseded edits from a log and keeping the
    /// rest in order leaves a log that replays to the same session; dropping only edits of the
    /// same control does not (a scene edit of a section a later list no longer has would be
    /// replayed on a session without it).
    pub fn supersedes(&self, earlier: &MixEdit) -> bool {
        self.same_control(earlier)
            || matches!(self, MixEdit::Sections { .. })
                && matches!(
                    earlier,
                    MixEdit::SceneGain { .. } | MixEdit::SceneMute { .. }
                )
    }

    /// Sets the control in `session`. Nothing changes when the edit is refused: an unknown
    /// channel or section, a value outside the control's range (the same ranges a session file
    /// allows), or a section list a session file could not hold.
    pub fn apply(&self, session: &mut Session) -> Result<(), EditError> {
        self.check_range()?;
        match self {
            MixEdit::Master { db } => {
                session.master_db = *db;
                return Ok(());
            }
            MixEdit::SceneGain {
                section,
                channel,
                db,
            } => return apply_scene_gain(session, section, channel, *db),
            MixEdit::SceneMute {
                section,
                channel,
                on,
            } => return apply_scene_mute(session, section, channel, *on),
            MixEdit::Sections { sections } => {
                check_sections(session, sections)?;
                session.sections.clone_from(sections);
                return Ok(());
            }
            MixEdit::Ride { channel, points } => {
                return ride::apply_ride(session, channel, points.as_deref());
            }
            MixEdit::Snapshots { snapshots } => {
                check_snapshot_names(snapshots)?;
                session.snapshots.clone_from(snapshots);
                return Ok(());
            }
            _ => {}
        }
        let name = self.channel().unwrap_or_default();
        if session.channel_index(name).is_none()
            && let Some(g) = session.group_index(name)
        {
            return group::apply(self, &mut session.groups[g]);
        }
        let channel = session
            .channels
            .iter_mut()
            .find(|c| c.name == name)
            .ok_or_else(|| EditError::UnknownChannel {
                channel: name.to_string(),
            })?;
        match self {
            MixEdit::Trim { db, .. } => channel.trim_db = *db,
            MixEdit::Gain { db, .. } => channel.gain_db = *db,
            MixEdit::Pan { pan, .. } => channel.pan = *pan,
            MixEdit::Mute { on, .. } => channel.mute = *on,
            MixEdit::Solo { on, .. } => channel.solo = *on,
            MixEdit::Master { .. }
            | MixEdit::SceneGain { .. }
            | MixEdit::SceneMute { .. }
            | MixEdit::Sections { .. }
            | MixEdit::Ride { .. }
            | MixEdit::Snapshots { .. } => {}
        }
        Ok(())
    }

    /// The edit that puts this edit's control back to its value in `session` (apply it to
    /// undo this edit once it has been applied).
    pub fn inverse_from(&self, session: &Session) -> Result<MixEdit, EditError> {
        let master = MixEdit::Master {
            db: session.master_db,
        };
        match self {
            MixEdit::Master { .. } => return Ok(master),
            MixEdit::Sections { .. } => {
                return Ok(MixEdit::Sections {
                    sections: session.sections.clone(),
                });
            }
            MixEdit::SceneGain {
                section, channel, ..
            } => {
                let (section, channel) = scene_target(session, section, channel)?;
                return Ok(MixEdit::SceneGain {
                    db: section.scene_gain(channel),
                    section: section.name.clone(),
                    channel: channel.to_string(),
                });
            }
            MixEdit::SceneMute {
                section, channel, ..
            } => {
                let (section, channel) = scene_target(session, section, channel)?;
                return Ok(MixEdit::SceneMute {
                    on: section.is_muted(channel),
                    section: section.name.clone(),
                    channel: channel.to_string(),
                });
            }
            MixEdit::Ride { channel, .. } => return ride::ride_now(session, channel),
            MixEdit::Snapshots { .. } => {
                return Ok(MixEdit::Snapshots {
                    snapshots: session.snapshots.clone(),
                });
            }
            _ => {}
        }
        let name = self.channel().unwrap_or_default();
        if session.channel_index(name).is_none()
            && let Some(g) = session.group_index(name)
        {
            return group::inverse(self, &session.groups[g]);
        }
        let channel = session
            .channels
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| EditError::UnknownChannel {
                channel: name.to_string(),
            })?;
        let channel_name = channel.name.clone();
        Ok(match self {
            MixEdit::Trim { .. } => MixEdit::Trim {
                channel: channel_name,
                db: channel.trim_db,
            },
            MixEdit::Gain { .. } => MixEdit::Gain {
                channel: channel_name,
                db: channel.gain_db,
            },
            MixEdit::Pan { .. } => MixEdit::Pan {
                channel: channel_name,
                pan: channel.pan,
            },
            MixEdit::Mute { .. } => MixEdit::Mute {
                channel: channel_name,
                on: channel.mute,
            },
            MixEdit::Solo { .. } => MixEdit::Solo {
                channel: channel_name,
                on: channel.solo,
            },
            MixEdit::Master { .. }
            | MixEdit::SceneGain { .. }
            | MixEdit::SceneMute { .. }
            | MixEdit::Sections { .. }
            | MixEdit::Ride { .. }
            | MixEdit::Snapshots { .. } => master,
        })
    }

    /// Refuses values a session file could not hold.
    fn check_range(&self) -> Result<(), EditError> {
        let (value, limits) = match self {
            MixEdit::Gain { db, .. } | MixEdit::SceneGain { db: Some(db), .. } => (db.0, FADER),
            MixEdit::Master { db } => (db.0, MASTER),
            MixEdit::Trim { db, .. } => (db.0, TRIM),
            MixEdit::Pan { pan, .. } => (pan.0, PAN),
            MixEdit::Mute { .. }
            | MixEdit::Solo { .. }
            | MixEdit::SceneGain { db: None, .. }
            | MixEdit::SceneMute { .. }
            | MixEdit::Sections { .. }
            | MixEdit::Snapshots { .. } => return Ok(()),
            MixEdit::Ride { points, .. } => return ride::check_points(self, points.as_deref()),
        };
        if limits.allows(value) {
            Ok(())
        } else {
            Err(EditError::OutOfRange {
                edit: self.to_string(),
                rule: limits.rule,
            })
        }
    }

    /// What the edit sets, in a user's words: "Bass fader", "Keys pan", "Master",
    /// "Chorus 1: Bass", "Chorus 1: Bass mute", "Sections".
    fn control_name(&self) -> String {
        match self {
            MixEdit::SceneGain {
                section, channel, ..
            } => format!("{section}: {channel}"),
            MixEdit::SceneMute {
                section, channel, ..
            } => format!("{section}: {channel} mute"),
            MixEdit::Sections { .. } => "Sections".to_string(),
            MixEdit::Snapshots { .. } => "Snapshots".to_string(),
            MixEdit::Ride { channel, .. } => format!("{channel} ride"),
            MixEdit::Trim { channel, .. } => format!("{channel} trim"),
            MixEdit::Gain { channel, .. } => format!("{channel} fader"),
            MixEdit::Pan { channel, .. } => format!("{channel} pan"),
            MixEdit::Mute { channel, .. } => format!("{channel} mute"),
            MixEdit::Solo { channel, .. } => format!("{channel} solo"),
            MixEdit::Master { .. } => "Master".to_string(),
        }
    }

    /// The value the edit sets, in a user's words: "-4.5 dB", "L30", "on", "base mix" (a scene
    /// fader that follows the channel's own), "Intro, Verse 1" (the section names).
    fn value_text(&self) -> String {
        match self {
            MixEdit::Trim { db, .. }
            | MixEdit::Gain { db, .. }
            | MixEdit::Master { db }
            | MixEdit::SceneGain { db: Some(db), .. } => db.to_string(),
            MixEdit::SceneGain { db: None, .. } => "base mix".to_string(),
            MixEdit::Pan { pan, .. } => pan.to_string(),
            MixEdit::Mute { on, .. } | MixEdit::Solo { on, .. } | MixEdit::SceneMute { on, .. } => {
                if *on { "on" } else { "off" }.to_string()
            }
            MixEdit::Sections { sections } if sections.is_empty() => "none".to_string(),
            MixEdit::Sections { sections } => {
                let names: Vec<&str> = sections.iter().map(|s| s.name.as_str()).collect();
                names.join(", ")
            }
            MixEdit::Ride { points, .. } => ride::points_text(points.as_deref()),
            MixEdit::Snapshots { snapshots } if snapshots.is_empty() => "none".to_string(),
            MixEdit::Snapshots { snapshots } => {
                let names: Vec<&str> = snapshots.iter().map(|s| s.name.as_str()).collect();
                names.join(", ")
            }
        }
    }
}

/// Refuses a snapshot list a session file could not hold: an empty name, or one name twice.
fn check_snapshot_names(snapshots: &[Snapshot]) -> Result<(), EditError> {
    for (i, snapshot) in snapshots.iter().enumerate() {
        if snapshot.name.trim().is_empty() {
            return Err(EditError::InvalidSnapshots {
                problem: "a snapshot needs a name".to_string(),
            });
        }
        if snapshots[..i].iter().any(|s| s.name == snapshot.name) {
            return Err(EditError::InvalidSnapshots {
                problem: format!("two snapshots are named '{}'", snapshot.name),
            });
        }
    }
    Ok(())
}

/// The section and the channel or group (both as the session spells them) a scene edit
/// addresses.
fn scene_target<'s>(
    session: &'s Session,
    section: &str,
    channel: &str,
) -> Result<(&'s Section, &'s str), EditError> {
    let section = session
        .sections
        .iter()
        .find(|s| s.name == section)
        .ok_or_else(|| EditError::UnknownSection {
            section: section.to_string(),
        })?;
    let channel = session
        .channels
        .iter()
        .map(|c| &c.name)
        .chain(session.groups.iter().map(|g| &g.name))
        .find(|name| *name == channel)
        .ok_or_else(|| EditError::UnknownChannel {
            channel: channel.to_string(),
        })?;
    Ok((section, channel))
}

/// Where a new entry for `channel` goes in a list of channel (and group) names so the list
/// keeps the session's strip order, channels then groups: before the first entry of a later
/// strip.
fn channel_order_slot<'a>(
    session: &Session,
    mut entries: impl Iterator<Item = &'a str>,
    channel: &str,
) -> Option<usize> {
    let rank = |name: &str| {
        session
            .channel_index(name)
            .or_else(|| {
                session
                    .group_index(name)
                    .map(|g| session.channels.len() + g)
            })
            .unwrap_or(usize::MAX)
    };
    let new = rank(channel);
    entries.position(|name| rank(name) > new)
}

fn apply_scene_gain(
    session: &mut Session,
    section: &str,
    channel: &str,
    db: Option<Decibels>,
) -> Result<(), EditError> {
    let (target, _) = scene_target(session, section, channel)?;
    let slot = channel_order_slot(
        session,
        target.gain_db.iter().map(|(name, _)| name.as_str()),
        channel,
    );
    let Some(target) = session.sections.iter_mut().find(|s| s.name == section) else {
        return Ok(());
    };
    let existing = target.gain_db.iter().position(|(name, _)| name == channel);
    match (db, existing) {
        (Some(db), Some(i)) => target.gain_db[i].1 = db,
        (Some(db), None) => {
            let at = slot.unwrap_or(target.gain_db.len());
            target.gain_db.insert(at, (channel.to_string(), db));
        }
        (None, Some(i)) => {
            target.gain_db.remove(i);
        }
        (None, None) => {}
    }
    Ok(())
}

fn apply_scene_mute(
    session: &mut Session,
    section: &str,
    channel: &str,
    on: bool,
) -> Result<(), EditError> {
    let (target, _) = scene_target(session, section, channel)?;
    let slot = channel_order_slot(session, target.mute.iter().map(String::as_str), channel);
    let Some(target) = session.sections.iter_mut().find(|s| s.name == section) else {
        return Ok(());
    };
    let existing = target.mute.iter().position(|name| name == channel);
    match (on, existing) {
        (true, None) => {
            let at = slot.unwrap_or(target.mute.len());
            target.mute.insert(at, channel.to_string());
        }
        (false, Some(i)) => {
            target.mute.remove(i);
        }
        _ => {}
    }
    Ok(())
}

/// Refuses a section list a session file could not hold (the section rules the session loader
/// applies, [`crate::session::sections`]), with the first problem, naming the section.
fn check_sections(session: &Session, sections: &[Section]) -> Result<(), EditError> {
    // A scene may name groups as well as channels, as in the file.
    let names: Vec<&str> = session
        .channels
        .iter()
        .map(|c| c.name.as_str())
        .chain(session.groups.iter().map(|g| g.name.as_str()))
        .collect();
    match section_problems(sections, &names, session.length()).first() {
        None => Ok(()),
        Some(problem) => Err(EditError::InvalidSections {
            problem: section_problem_text(problem, sections),
        }),
    }
}

/// A broken section rule in a user's words, naming the section (`problem` is one of the
/// problems of `sections`, so its indices are inside the list).
fn section_problem_text(problem: &Problem, sections: &[Section]) -> String {
    let name = |i: usize| &sections[i].name;
    let start = |i: usize| sections[i].start;
    let gain = |i: usize, entry: usize| {
        let (channel, db) = &sections[i].gain_db[entry];
        (channel.as_str(), *db)
    };
    let channel = |i: usize, list: SceneList, entry: usize| match list {
        SceneList::Gain => gain(i, entry).0,
        SceneList::Mute => sections[i].mute[entry].as_str(),
    };
    match *problem {
        Problem::NoName { section } => {
            format!(
                "section {} has no name; every section needs one",
                section + 1
            )
        }
        Problem::NameTaken { section, .. } => format!(
            "two sections are named '{}'; section names must be unique",
            name(section)
        ),
        Problem::StartNotATime { section } => format!(
            "{} starts at {} s; a start is a time of 0 or more",
            name(section),
            start(section).0
        ),
        Problem::StartPastEnd { section, end } => format!(
            "{} starts at {}, but the session ends at {end}; a section must start before the \
             end",
            name(section),
            start(section)
        ),
        Problem::StartOutOfOrder { section, previous } => format!(
            "sections must start in time order: {} starts at {}, not after {} at {}",
            name(section),
            start(section),
            name(previous),
            start(previous)
        ),
        Problem::UnknownChannel {
            section,
            list,
            entry,
        } => format!(
            "{}'s {} name '{}', but there is no channel of that name",
            name(section),
            match list {
                SceneList::Gain => "fader values",
                SceneList::Mute => "mutes",
            },
            channel(section, list, entry)
        ),
        Problem::ChannelTwice {
            section,
            list: SceneList::Gain,
            entry,
            ..
        } => format!(
            "{} gives {} two fader values",
            name(section),
            gain(section, entry).0
        ),
        Problem::ChannelTwice {
            section,
            list: SceneList::Mute,
            entry,
            ..
        } => format!(
            "{} mutes {} twice",
            name(section),
            channel(section, SceneList::Mute, entry)
        ),
        Problem::FaderOutOfRange { section, entry } => {
            let (channel, db) = gain(section, entry);
            format!("{}: {channel} {db}: {}", name(section), FADER.rule)
        }
        Problem::RampOutOfRange { section } => format!(
            "{} ramps over {} ms; a scene ramp goes from 0 (a cut) to {MAX_SCENE_RAMP_MS} ms",
            name(section),
            sections[section].ramp_ms.unwrap_or_default()
        ),
    }
}

impl fmt::Display for MixEdit {
    /// "Bass fader -4.5 dB", "Bass pan L30", "Keys muted", "Keys solo off", "Master -1.0 dB",
    /// "Chorus 1: Bass -3.0 dB", "Chorus 1: Bass follows the base mix", "Chorus 1: Bass muted",
    /// "Sections: Intro, Verse 1, Chorus 1".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MixEdit::SceneGain {
                section,
                channel,
                db: None,
            } => write!(f, "{section}: {channel} follows the base mix"),
            MixEdit::SceneMute {
                section,
                channel,
                on,
            } => write!(
                f,
                "{section}: {channel} {}",
                if *on { "muted" } else { "unmuted" }
            ),
            MixEdit::Sections { .. } => write!(f, "Sections: {}", self.value_text()),
            MixEdit::Mute { channel, on } => {
                write!(f, "{channel} {}", if *on { "muted" } else { "unmuted" })
            }
            MixEdit::Solo { channel, on } => {
                write!(f, "{channel} {}", if *on { "soloed" } else { "solo off" })
            }
            _ => write!(f, "{} {}", self.control_name(), self.value_text()),
        }
    }
}

/// One applied edit together with the value it replaced: what undo and the recovery summary
/// show, and what undo needs to put things back.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The control's value before the edit (applying it undoes the change).
    pub before: MixEdit,
    /// The edit itself (applying it redoes the change).
    pub after: MixEdit,
}

impl Change {
    /// The change `edit` would make to `session` (call it before applying the edit).
    pub fn of(edit: MixEdit, session: &Session) -> Result<Change, EditError> {
        Ok(Change {
            before: edit.inverse_from(session)?,
            after: edit,
        })
    }

    /// Whether the edit leaves its control as it was (a nudge against the end of a fader).
    pub fn is_noop(&self) -> bool {
        self.before == self.after
    }
}

impl fmt::Display for Change {
    /// "Bass fader -3.0 dB -> -4.5 dB", "Bass pan C -> L30", "Keys muted", "Chorus 1: Bass
    /// base mix -> -3.0 dB", "Chorus 1: Bass muted", and for the section list what changed:
    /// "added section Bridge at 1:05.000", "Chorus 1 starts at 0:29.500 (was 0:30.000)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.before, &self.after) {
            (MixEdit::Sections { sections: before }, MixEdit::Sections { sections: after }) => {
                return f.write_str(&describe_sections(before, after));
            }
            (_, MixEdit::Sections { .. }) => return self.after.fmt(f),
            (MixEdit::Snapshots { snapshots: before }, MixEdit::Snapshots { snapshots: after }) => {
                return f.write_str(&describe::describe_snapshots(before, after));
            }
            _ => {}
        }
        match &self.after {
            MixEdit::Mute { .. } | MixEdit::Solo { .. } | MixEdit::SceneMute { .. } => {
                self.after.fmt(f)
            }
            after => write!(
                f,
                "{} {} -> {}",
                after.control_name(),
                self.before.value_text(),
                after.value_text()
            ),
        }
    }
}

/// A channel's or group's fader, pan, mute and solo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Controls {
    pub gain: Decibels,
    pub pan: Pan,
    pub mute: bool,
    pub solo: bool,
}

/// The changes from `old` to `new` of the channel or group named `name`: its fader, pan, mute
/// and solo, in that order, those that differ.
pub(super) fn control_changes(name: &str, old: Controls, new: Controls) -> Vec<Change> {
    let edits = |c: Controls| {
        let channel = || name.to_string();
        [
            MixEdit::Gain {
                channel: channel(),
                db: c.gain,
            },
            MixEdit::Pan {
                channel: channel(),
                pan: c.pan,
            },
            MixEdit::Mute {
                channel: channel(),
                on: c.mute,
            },
            MixEdit::Solo {
                channel: channel(),
                on: c.solo,
            },
        ]
    };
    edits(old)
        .into_iter()
        .zip(edits(new))
        .filter(|(b, a)| b != a)
        .map(|(before, after)| Change { before, after })
        .collect()
}

/// Every control whose value differs between two versions of a session, as changes from
/// `before` to `after`: per channel (in `after`'s order) trim, fader, pan, mute and solo; per
/// group (likewise) fader, pan, mute and solo; then the master fader; then the sections. When
/// the section lists differ in more than their scenes (count, names, starts or ramps), that is
/// one [`MixEdit::Sections`] change; otherwise each section's scene changes, section by
/// section and channel by channel (in `after`'s channel order): [`MixEdit::SceneGain`], then
/// [`MixEdit::SceneMute`]; then the rides; then the snapshot list, as one
/// [`MixEdit::Snapshots`] change when it differs. The order of entries in a scene is not a
/// difference. Channels (and groups) present in only one of the two are skipped.
pub fn differences(before: &Session, after: &Session) -> Vec<Change> {
    let mut changes = Vec::new();
    for new in &after.channels {
        let Some(old) = before.channels.iter().find(|c| c.name == new.name) else {
            continue;
        };
        if old.trim_db != new.trim_db {
            changes.push(Change {
                before: MixEdit::Trim {
                    channel: new.name.clone(),
                    db: old.trim_db,
                },
                after: MixEdit::Trim {
                    channel: new.name.clone(),
                    db: new.trim_db,
                },
            });
        }
        let controls = |c: &crate::session::Channel| Controls {
            gain: c.gain_db,
            pan: c.pan,
            mute: c.mute,
            solo: c.solo,
        };
        changes.extend(control_changes(&new.name, controls(old), controls(new)));
    }
    changes.extend(group::differences(before, after));
    if before.master_db != after.master_db {
        changes.push(Change {
            before: MixEdit::Master {
                db: before.master_db,
            },
            after: MixEdit::Master {
                db: after.master_db,
            },
        });
    }
    changes.extend(section_differences(before, after));
    changes.extend(ride::ride_differences(before, after));
    if before.snapshots != after.snapshots {
        changes.push(Change {
            before: MixEdit::Snapshots {
                snapshots: before.snapshots.clone(),
            },
            after: MixEdit::Snapshots {
                snapshots: after.snapshots.clone(),
            },
        });
    }
    changes
}

/// The section part of [`differences`].
fn section_differences(before: &Session, after: &Session) -> Vec<Change> {
    let same_structure = before.sections.len() == after.sections.len()
        && before
            .sections
            .iter()
            .zip(&after.sections)
            .all(|(b, a)| b.name == a.name && b.start == a.start && b.ramp_ms == a.ramp_ms);
    if !same_structure {
        return vec![Change {
            before: MixEdit::Sections {
                sections: before.sections.clone(),
            },
            after: MixEdit::Sections {
                sections: after.sections.clone(),
            },
        }];
    }
    let mut changes = Vec::new();
    for (old, new) in before.sections.iter().zip(&after.sections) {
        let names = after
            .channels
            .iter()
            .map(|c| c.name.as_str())
            .filter(|name| before.channel_index(name).is_some())
            .chain(
                after
                    .groups
                    .iter()
                    .map(|g| g.name.as_str())
                    .filter(|name| before.group_index(name).is_some()),
            );
        for channel in names {
            let gain = |db| MixEdit::SceneGain {
                section: new.name.clone(),
                channel: channel.to_string(),
                db,
            };
            let mute = |on| MixEdit::SceneMute {
                section: new.name.clone(),
                channel: channel.to_string(),
                on,
            };
            let pairs = [
                (gain(old.scene_gain(channel)), gain(new.scene_gain(channel))),
                (mute(old.is_muted(channel)), mute(new.is_muted(channel))),
            ];
            changes.extend(
                pairs
                    .into_iter()
                    .filter(|(b, a)| b != a)
                    .map(|(before, after)| Change { before, after }),
            );
        }
    }
    changes
}

/// A fader edit (tests).
#[cfg(test)]
pub(crate) fn gain(channel: &str, db: f64) -> MixEdit {
    MixEdit::Gain {
        channel: channel.into(),
        db: Decibels(db),
    }
}

/// The fader steps the `app` tests use: the shipped 0.5, 3 and 0.1 dB.
#[cfg(test)]
pub(crate) fn test_steps() -> crate::config::StepsConfig {
    crate::config::StepsConfig {
        fine_db: 0.5,
        coarse_db: 3.0,
        finer_db: 0.1,
    }
}

/// The blind settings the `app` tests use: the shipped ones (offsets up to 4 dB, steps times
/// 0.7 to 1.3), leaving blind mode as `on_exit` says.
#[cfg(test)]
pub(crate) fn test_blind(on_exit: crate::config::BlindOnExit) -> crate::config::BlindConfig {
    crate::config::BlindConfig {
        max_offset_db: 4.0,
        step_factor_min: 0.7,
        step_factor_max: 1.3,
        on_exit,
    }
}

/// A small session for the `app` tests: channels "Bass" (fader -3 dB) and "Keys", no stems
/// on disk.
#[cfg(test)]
pub(crate) fn test_session(path: &std::path::Path) -> Session {
    use crate::engine::streams::StemInfo;
    use crate::session::{Channel, Role};

    let channel = |name: &str, role: Role, gain: f64| Channel {
        name: name.to_string(),
        file: format!("{}.wav", name.to_lowercase()).into(),
        role: Some(role),
        trim_db: Decibels::UNITY,
        gain_db: Decibels(gain),
        pan: Pan::CENTRE,
        mute: false,
        solo: false,
        start_frames: 0,
        right_file: None,
    };
    let stem = StemInfo {
        format: "WAV".into(),
        channels: 1,
        sample_rate: 48_000,
        frames: 480_000,
    };
    Session {
        path: path.to_path_buf(),
        name: "Test".into(),
        sample_rate: 48_000,
        sample_rate_explicit: false,
        master_db: Decibels::UNITY,
        tempo: None,
        channels: vec![
            channel("Bass", Role::Bass, -3.0),
            channel("Keys", Role::Keys, 0.0),
        ],
        sections: Vec::new(),
        ramp_ms: None,
        groups: Vec::new(),
        rides: Vec::new(),
        snapshots: Vec::new(),
        reference: None,
        stems: vec![stem.clone(), stem],
        length_frames: 480_000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Seconds;
    use std::path::Path;

    /// Each kind of edit sets its own control on the named channel and nothing else.
    #[test]
    fn apply_sets_exactly_the_named_control() {
        let original = test_session(Path::new("s.toml"));
        let mut session = original.clone();
        gain("Keys", -6.5).apply(&mut session).unwrap();
        MixEdit::Trim {
            channel: "Bass".into(),
            db: Decibels(2.0),
        }
        .apply(&mut session)
        .unwrap();
        MixEdit::Pan {
            channel: "Bass".into(),
            pan: Pan(-0.3),
        }
        .apply(&mut session)
        .unwrap();
        MixEdit::Mute {
            channel: "Keys".into(),
            on: true,
        }
        .apply(&mut session)
        .unwrap();
        MixEdit::Solo {
            channel: "Bass".into(),
            on: true,
        }
        .apply(&mut session)
        .unwrap();
        MixEdit::Master { db: Decibels::OFF }
            .apply(&mut session)
            .unwrap();

        let mut expected = original;
        expected.channels[1].gain_db = Decibels(-6.5);
        expected.channels[0].trim_db = Decibels(2.0);
        expected.channels[0].pan = Pan(-0.3);
        expected.channels[1].mute = true;
        expected.channels[0].solo = true;
        expected.master_db = Decibels::OFF;
        assert_eq!(session, expected);
    }

    /// An unknown channel and out-of-range or NaN values are refused, naming the channel or the
    /// rule, and leave the session untouched.
    #[test]
    fn apply_refuses_unknown_channels_and_bad_values() {
        let original = test_session(Path::new("s.toml"));
        let mut session = original.clone();
        let error = gain("Drums", 0.0).apply(&mut session).unwrap_err();
        assert_eq!(
            error.to_string(),
            "there is no channel named 'Drums' in this session"
        );
        let error = gain("Bass", 12.5).apply(&mut session).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Bass fader +12.5 dB: the fader goes from -inf (off) to +12 dB"
        );
        assert!(gain("Bass", f64::NAN).apply(&mut session).is_err());
        let trim = MixEdit::Trim {
            channel: "Bass".into(),
            db: Decibels(-24.5),
        };
        assert!(trim.apply(&mut session).is_err());
        let pan = MixEdit::Pan {
            channel: "Bass".into(),
            pan: Pan(1.5),
        };
        assert!(pan.apply(&mut session).is_err());
        assert_eq!(session, original);
        // The ends themselves are allowed.
        gain("Bass", 12.0).apply(&mut session).unwrap();
        gain("Bass", f64::NEG_INFINITY).apply(&mut session).unwrap();
    }

    /// Applying an edit and then its inverse (taken before) restores the session exactly.
    #[test]
    fn inverse_restores_the_previous_value() {
        let original = test_session(Path::new("s.toml"));
        let edits = [
            gain("Bass", -4.5),
            MixEdit::Trim {
                channel: "Keys".into(),
                db: Decibels(3.0),
            },
            MixEdit::Pan {
                channel: "Keys".into(),
                pan: Pan(0.5),
            },
            MixEdit::Mute {
                channel: "Bass".into(),
                on: true,
            },
            MixEdit::Solo {
                channel: "Keys".into(),
                on: true,
            },
            MixEdit::Master { db: Decibels(-1.0) },
        ];
        for edit in edits {
            let mut session = original.clone();
            let change = Change::of(edit.clone(), &session).unwrap();
            assert!(!change.is_noop(), "{change}");
            change.after.apply(&mut session).unwrap();
            assert_ne!(session, original, "{edit} changed nothing");
            change.before.apply(&mut session).unwrap();
            assert_eq!(session, original, "{edit} was not undone");
        }
        let error = gain("Drums", 0.0).inverse_from(&original).unwrap_err();
        assert!(matches!(error, EditError::UnknownChannel { channel } if channel == "Drums"));
    }

    /// Edits and changes read as a user would say them.
    #[test]
    fn display_in_user_words() {
        let session = test_session(Path::new("s.toml"));
        let change = Change::of(gain("Bass", -4.5), &session).unwrap();
        assert_eq!(change.to_string(), "Bass fader -3.0 dB -> -4.5 dB");
        let pan = MixEdit::Pan {
            channel: "Keys".into(),
            pan: Pan(-0.3),
        };
        assert_eq!(
            Change::of(pan.clone(), &session).unwrap().to_string(),
            "Keys pan C -> L30"
        );
        assert_eq!(pan.to_string(), "Keys pan L30");
        let mute = MixEdit::Mute {
            channel: "Keys".into(),
            on: true,
        };
        assert_eq!(
            Change::of(mute, &session).unwrap().to_string(),
            "Keys muted"
        );
        let solo = MixEdit::Solo {
            channel: "Keys".into(),
            on: false,
        };
        assert_eq!(solo.to_string(), "Keys solo off");
        let master = MixEdit::Master { db: Decibels::OFF };
        assert_eq!(
            Change::of(master, &session).unwrap().to_string(),
            "Master +0.0 dB -> -inf dB"
        );
    }

    /// `differences` lists exactly the controls that differ, in strip order, master last.
    #[test]
    fn differences_lists_changed_controls_only() {
        let before = test_session(Path::new("s.toml"));
        let mut after = before.clone();
        assert!(differences(&before, &after).is_empty());
        MixEdit::Master { db: Decibels(-2.0) }
            .apply(&mut after)
            .unwrap();
        MixEdit::Mute {
            channel: "Keys".into(),
            on: true,
        }
        .apply(&mut after)
        .unwrap();
        gain("Bass", -4.5).apply(&mut after).unwrap();
        let text: Vec<String> = differences(&before, &after)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            [
                "Bass fader -3.0 dB -> -4.5 dB",
                "Keys muted",
                "Master +0.0 dB -> -2.0 dB"
            ]
        );
    }

    /// `test_session` with sections "Intro" (0 s), "Verse 1" (2 s) and "Chorus 1" (5 s, Keys
    /// at -2 dB); the session is 10 s long.
    fn scene_session() -> Session {
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
        session
    }

    fn scene_gain(section: &str, channel: &str, db: Option<f64>) -> MixEdit {
        MixEdit::SceneGain {
            section: section.into(),
            channel: channel.into(),
            db: db.map(Decibels),
        }
    }

    fn scene_mute(section: &str, channel: &str, on: bool) -> MixEdit {
        MixEdit::SceneMute {
            section: section.into(),
            channel: channel.into(),
            on,
        }
    }

    fn sections(list: &[Section]) -> MixEdit {
        MixEdit::Sections {
            sections: list.to_vec(),
        }
    }

    /// A scene fader edit sets, replaces in place or removes one channel's value in one
    /// section; a new value goes where the channel is in the strip order.
    #[test]
    fn scene_gain_sets_and_removes_in_channel_order() {
        let mut session = scene_session();
        scene_gain("Chorus 1", "Bass", Some(-3.0))
            .apply(&mut session)
            .unwrap();
        let chorus = |s: &Session| s.sections[2].gain_db.clone();
        assert_eq!(
            chorus(&session),
            [
                ("Bass".to_string(), Decibels(-3.0)),
                ("Keys".to_string(), Decibels(-2.0))
            ]
        );
        scene_gain("Chorus 1", "Keys", Some(f64::NEG_INFINITY))
            .apply(&mut session)
            .unwrap();
        assert_eq!(chorus(&session)[1], ("Keys".to_string(), Decibels::OFF));
        scene_gain("Chorus 1", "Bass", None)
            .apply(&mut session)
            .unwrap();
        assert_eq!(chorus(&session), [("Keys".to_string(), Decibels::OFF)]);
        scene_gain("Chorus 1", "Bass", None)
            .apply(&mut session)
            .unwrap();
        assert_eq!(chorus(&session).len(), 1);
        // Other sections and the base faders are untouched.
        let mut expected = scene_session();
        expected.sections[2].gain_db[0].1 = Decibels::OFF;
        assert_eq!(session, expected);
    }

    /// A scene mute edit adds a channel once, in strip order, or takes it out.
    #[test]
    fn scene_mute_keeps_channel_order() {
        let mut session = scene_session();
        for edit in [
            scene_mute("Verse 1", "Keys", true),
            scene_mute("Verse 1", "Bass", true),
            scene_mute("Verse 1", "Keys", true),
        ] {
            edit.apply(&mut session).unwrap();
        }
        assert_eq!(session.sections[1].mute, ["Bass", "Keys"]);
        scene_mute("Verse 1", "Bass", false)
            .apply(&mut session)
            .unwrap();
        scene_mute("Verse 1", "Bass", false)
            .apply(&mut session)
            .unwrap();
        assert_eq!(session.sections[1].mute, ["Keys"]);
        assert!(session.channels.iter().all(|c| !c.mute));
    }

    /// Scene edits naming an unknown section or channel, or a fader value out of range, are
    /// refused and change nothing.
    #[test]
    fn scene_edits_refuse_unknown_names_and_bad_values() {
        let original = scene_session();
        let mut session = original.clone();
        let error = scene_gain("Bridge", "Bass", Some(0.0))
            .apply(&mut session)
            .unwrap_err();
        assert_eq!(
            error,
            EditError::UnknownSection {
                section: "Bridge".into()
            }
        );
        assert_eq!(
            error.to_string(),
            "there is no section named 'Bridge' in this session"
        );
        let error = scene_mute("Intro", "Drums", true)
            .apply(&mut session)
            .unwrap_err();
        assert!(matches!(error, EditError::UnknownChannel { channel } if channel == "Drums"));
        let error = scene_gain("Intro", "Bass", Some(12.5))
            .apply(&mut session)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Intro: Bass +12.5 dB: the fader goes from -inf (off) to +12 dB"
        );
        assert!(
            scene_gain("Intro", "Bass", Some(f64::NAN))
                .apply(&mut session)
                .is_err()
        );
        assert!(
            scene_mute("Bridge", "Bass", true)
                .inverse_from(&session)
                .is_err()
        );
        assert_eq!(session, original);
    }

    /// A new section list applies whole; a list a session file could not hold is refused with
    /// a reason naming the section, and changes nothing.
    #[test]
    fn sections_edit_checks_the_whole_list() {
        let original = scene_session();
        let mut session = original.clone();
        let mut list = original.sections.clone();
        list[1].name = "Verse".into();
        list[1].mute = vec!["Bass".into()];
        list[1].ramp_ms = Some(10_000);
        list.push(Section {
            name: "Outro".into(),
            start: Seconds(9.999),
            ..list[0].clone()
        });
        sections(&list).apply(&mut session).unwrap();
        assert_eq!(session.sections, list);

        let bad = |change: &dyn Fn(&mut Vec<Section>)| {
            let mut list = original.sections.clone();
            change(&mut list);
            let mut session = original.clone();
            let error = sections(&list).apply(&mut session).unwrap_err();
            assert_eq!(session, original, "{error}");
            assert!(
                matches!(error, EditError::InvalidSections { .. }),
                "{error}"
            );
            error.to_string()
        };
        assert_eq!(
            bad(&|l| l[2].start = Seconds(2.0)),
            "the sections cannot be set: sections must start in time order: Chorus 1 starts at \
             0:02.000, not after Verse 1 at 0:02.000"
        );
        assert_eq!(
            bad(&|l| l[2].start = Seconds(10.0)),
            "the sections cannot be set: Chorus 1 starts at 0:10.000, but the session ends at \
             0:10.000; a section must start before the end"
        );
        assert_eq!(
            bad(&|l| l[2].name = "Intro".into()),
            "the sections cannot be set: two sections are named 'Intro'; section names must be \
             unique"
        );
        assert_eq!(
            bad(&|l| l[1].name = " ".into()),
            "the sections cannot be set: section 2 has no name; every section needs one"
        );
        assert_eq!(
            bad(&|l| l[1].mute = vec!["Drums".into()]),
            "the sections cannot be set: Verse 1's mutes name 'Drums', but there is no channel \
             of that name"
        );
        assert_eq!(
            bad(&|l| l[2].gain_db.push(("Keys".into(), Decibels(1.0)))),
            "the sections cannot be set: Chorus 1 gives Keys two fader values"
        );
        assert_eq!(
            bad(&|l| l[1].mute = vec!["Bass".into(), "Bass".into()]),
            "the sections cannot be set: Verse 1 mutes Bass twice"
        );
        assert_eq!(
            bad(&|l| l[2].gain_db[0].1 = Decibels(13.0)),
            "the sections cannot be set: Chorus 1: Keys +13.0 dB: the fader goes from -inf (off) \
             to +12 dB"
        );
        assert_eq!(
            bad(&|l| l[0].ramp_ms = Some(10_001)),
            "the sections cannot be set: Intro ramps over 10001 ms; a scene ramp goes from 0 \
             (a cut) to 10000 ms"
        );
        bad(&|l| l[0].start = Seconds(-0.5));
        bad(&|l| l[0].start = Seconds(f64::NAN));
        bad(&|l| l[2].gain_db[0].1 = Decibels(f64::NAN));
        // An empty list is a session without sections.
        sections(&[]).apply(&mut session).unwrap();
        assert!(session.sections.is_empty());
    }

    /// Applying a scene or section edit and then its inverse (taken before) restores the
    /// session exactly.
    #[test]
    fn scene_and_section_edits_are_undone_by_their_inverse() {
        let original = scene_session();
        let mut moved = original.sections.clone();
        moved[1].start = Seconds(2.5);
        for edit in [
            scene_gain("Chorus 1", "Bass", Some(-3.0)),
            scene_gain("Chorus 1", "Keys", None),
            scene_gain("Chorus 1", "Keys", Some(-4.0)),
            scene_mute("Intro", "Keys", true),
            sections(&moved),
            sections(&[]),
        ] {
            let mut session = original.clone();
            let change = Change::of(edit.clone(), &session).unwrap();
            assert!(!change.is_noop(), "{change}");
            change.after.apply(&mut session).unwrap();
            assert_ne!(session, original, "{edit} changed nothing");
            change.before.apply(&mut session).unwrap();
            assert_eq!(session, original, "{edit} was not undone");
        }
        assert!(
            Change::of(scene_mute("Intro", "Keys", false), &original)
                .unwrap()
                .is_noop()
        );
    }

    /// Scene edits and changes read as a user would say them.
    #[test]
    fn scene_edits_display_in_user_words() {
        let session = scene_session();
        assert_eq!(
            scene_gain("Chorus 1", "Bass", Some(-3.0)).to_string(),
            "Chorus 1: Bass -3.0 dB"
        );
        assert_eq!(
            scene_gain("Chorus 1", "Bass", None).to_string(),
            "Chorus 1: Bass follows the base mix"
        );
        assert_eq!(
            scene_mute("Chorus 1", "Bass", true).to_string(),
            "Chorus 1: Bass muted"
        );
        assert_eq!(
            scene_mute("Chorus 1", "Bass", false).to_string(),
            "Chorus 1: Bass unmuted"
        );
        assert_eq!(
            sections(&session.sections).to_string(),
            "Sections: Intro, Verse 1, Chorus 1"
        );
        assert_eq!(sections(&[]).to_string(), "Sections: none");
        let change = |edit: MixEdit| Change::of(edit, &session).unwrap().to_string();
        assert_eq!(
            change(scene_gain("Chorus 1", "Bass", Some(-3.0))),
            "Chorus 1: Bass base mix -> -3.0 dB"
        );
        assert_eq!(
            change(scene_gain("Chorus 1", "Keys", None)),
            "Chorus 1: Keys -2.0 dB -> base mix"
        );
        assert_eq!(
            change(scene_mute("Verse 1", "Keys", true)),
            "Verse 1: Keys muted"
        );
    }

    /// A change of the section list says what changed: one section added, removed, renamed,
    /// moved, re-ramped, its scene cleared, copied or changed; anything else in general terms.
    #[test]
    fn section_list_changes_are_described() {
        let session = scene_session();
        let describe = |change: &dyn Fn(&mut Vec<Section>)| {
            let mut list = session.sections.clone();
            change(&mut list);
            Change::of(sections(&list), &session).unwrap().to_string()
        };
        let bridge = Section {
            name: "Bridge".into(),
            start: Seconds(8.25),
            ..session.sections[0].clone()
        };
        assert_eq!(
            describe(&|l| l.push(bridge.clone())),
            "added section Bridge at 0:08.250"
        );
        assert_eq!(
            describe(&|l| {
                l.remove(1);
            }),
            "removed section Verse 1"
        );
        assert_eq!(
            describe(&|l| l[2].name = "Refrain".into()),
            "renamed Chorus 1 to Refrain"
        );
        assert_eq!(
            describe(&|l| l[2].start = Seconds(4.5)),
            "Chorus 1 starts at 0:04.500 (was 0:05.000)"
        );
        assert_eq!(
            describe(&|l| l[2].ramp_ms = Some(500)),
            "Chorus 1 scene ramp 500 ms (was the session's)"
        );
        assert_eq!(
            describe(&|l| l[2].gain_db.clear()),
            "Chorus 1 scene cleared"
        );
        assert_eq!(
            describe(&|l| l[1].gain_db = l[2].gain_db.clone()),
            "scene of Chorus 1 copied into Verse 1"
        );
        assert_eq!(
            describe(&|l| l[1].mute = vec!["Bass".into()]),
            "scene of Verse 1 changed"
        );
        assert_eq!(
            describe(&|l| {
                l[1].start = Seconds(3.0);
                l[2].start = Seconds(6.0);
            }),
            "Verse 1 starts at 0:03.000 (was 0:02.000), Chorus 1 starts at 0:06.000 (was \
             0:05.000)"
        );
        assert_eq!(
            describe(&|l| {
                l.remove(0);
                l[0].name = "Verse".into();
            }),
            "removed section Intro, removed section Verse 1, added section Verse at 0:02.000"
        );
        assert_eq!(
            describe(&|l| {
                l[0].name = "Start".into();
                l[0].start = Seconds(0.5);
            }),
            "renamed Intro to Start, Start starts at 0:00.500 (was 0:00.000)"
        );
        assert_eq!(
            describe(&|l| l.clear()),
            "removed section Intro, removed section Verse 1, removed section Chorus 1"
        );
        assert_eq!(
            describe(&|l| {
                l.clear();
                l.push(bridge.clone());
            }),
            "sections changed"
        );
        assert_eq!(describe(&|l| l[2].gain_db.swap(0, 0)), "sections unchanged");
        assert_eq!(describe(&|_| {}), "sections unchanged");
    }

    /// Scene edits are the same control only for the same section and channel; section lists
    /// always are; and a section list supersedes every scene edit before it.
    #[test]
    fn scene_controls_and_what_supersedes_them() {
        let a = scene_gain("Intro", "Bass", Some(1.0));
        assert!(a.same_control(&scene_gain("Intro", "Bass", None)));
        assert!(!a.same_control(&scene_gain("Verse 1", "Bass", Some(1.0))));
        assert!(!a.same_control(&scene_gain("Intro", "Keys", Some(1.0))));
        assert!(!a.same_control(&scene_mute("Intro", "Bass", true)));
        assert!(!a.same_control(&gain("Bass", 1.0)));
        assert!(!gain("Bass", 1.0).same_control(&a));
        assert!(sections(&[]).same_control(&sections(&scene_session().sections)));
        let list = sections(&[]);
        assert!(list.supersedes(&a));
        assert!(list.supersedes(&scene_mute("Intro", "Bass", true)));
        assert!(list.supersedes(&sections(&scene_session().sections)));
        assert!(!list.supersedes(&gain("Bass", 1.0)));
        assert!(!a.supersedes(&list));
        assert!(a.supersedes(&scene_gain("Intro", "Bass", None)));
        assert_eq!(a.section(), Some("Intro"));
        assert_eq!(a.channel(), Some("Bass"));
        assert_eq!((list.section(), list.channel()), (None, None));
    }

    /// `differences` lists scene changes section by section in strip order, or one section
    /// list change when more than scenes differ; the order of a scene's entries is no change.
    #[test]
    fn differences_cover_scenes_and_sections() {
        let before = scene_session();
        let mut after = before.clone();
        for edit in [
            scene_mute("Verse 1", "Keys", true),
            scene_gain("Verse 1", "Bass", Some(-1.0)),
            scene_gain("Chorus 1", "Keys", None),
            MixEdit::Master { db: Decibels(-2.0) },
        ] {
            edit.apply(&mut after).unwrap();
        }
        let text: Vec<String> = differences(&before, &after)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            [
                "Master +0.0 dB -> -2.0 dB",
                "Verse 1: Bass base mix -> -1.0 dB",
                "Verse 1: Keys muted",
                "Chorus 1: Keys -2.0 dB -> base mix"
            ]
        );
        // Applying the differences reproduces the scenes.
        let mut replayed = before.clone();
        for change in differences(&before, &after) {
            change.after.apply(&mut replayed).unwrap();
        }
        assert_eq!(replayed, after);

        let mut reordered = before.clone();
        reordered.sections[2].gain_db = vec![
            ("Keys".into(), Decibels(-2.0)),
            ("Bass".into(), Decibels(1.0)),
        ];
        let mut other = reordered.clone();
        other.sections[2].gain_db.reverse();
        assert!(differences(&reordered, &other).is_empty());

        for change in [
            &|s: &mut Session| s.sections[1].start = Seconds(2.5),
            &|s: &mut Session| s.sections[1].ramp_ms = Some(0),
            &|s: &mut Session| s.sections[1].name = "Verse".into(),
            &|s: &mut Session| {
                s.sections.pop();
            },
        ] as [&dyn Fn(&mut Session); 4]
        {
            let mut after = before.clone();
            change(&mut after);
            after.sections[1].mute.push("Bass".into());
            let changes = differences(&before, &after);
            assert_eq!(changes.len(), 1, "{changes:?}");
            assert_eq!(
                changes[0].after,
                MixEdit::Sections {
                    sections: after.sections.clone()
                }
            );
        }
    }
}
