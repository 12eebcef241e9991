//! The group side of mixer edits (UI thread): a [`MixEdit`] whose `channel` names a group (a
//! VCA-style group, [`crate::session::automation::Group`]) sets the group's fader, pan, mute
//! or solo, as the same edit on a channel sets the channel's. Names are unique across channels
//! and groups, so the name alone says which. A group has no trim.

use super::{Change, Controls, EditError, MixEdit, control_changes};
use crate::session::Session;
use crate::session::automation::Group;

/// Sets the group control `edit` names (the range was checked by the caller).
pub(super) fn apply(edit: &MixEdit, group: &mut Group) -> Result<(), EditError> {
    match edit {
        MixEdit::Gain { db, .. } => group.gain_db = *db,
        MixEdit::Pan { pan, .. } => group.pan = *pan,
        MixEdit::Mute { on, .. } => group.mute = *on,
        MixEdit::Solo { on, .. } => group.solo = *on,
        MixEdit::Trim { .. } => {
            return Err(EditError::GroupHasNoTrim {
                group: group.name.clone(),
            });
        }
        MixEdit::Master { .. }
        | MixEdit::SceneGain { .. }
        | MixEdit::SceneMute { .. }
        | MixEdit::Sections { .. }
        | MixEdit::Ride { .. }
        | MixEdit::Snapshots { .. } => {}
    }
    Ok(())
}

/// The edit that puts the group control `edit` names back to its value in `group`.
pub(super) fn inverse(edit: &MixEdit, group: &Group) -> Result<MixEdit, EditError> {
    let channel = group.name.clone();
    Ok(match edit {
        MixEdit::Gain { .. } => MixEdit::Gain {
            channel,
            db: group.gain_db,
        },
        MixEdit::Pan { .. } => MixEdit::Pan {
            channel,
            pan: group.pan,
        },
        MixEdit::Mute { .. } => MixEdit::Mute {
            channel,
            on: group.mute,
        },
        MixEdit::Solo { .. } => MixEdit::Solo {
            channel,
            on: group.solo,
        },
        _ => return Err(EditError::GroupHasNoTrim { group: channel }),
    })
}

/// Every group control whose value differs between two versions of a session (groups in
/// `after`'s order, each its fader, pan, mute and solo); groups present in only one of the two
/// are skipped.
pub(super) fn differences(before: &Session, after: &Session) -> Vec<Change> {
    let mut changes = Vec::new();
    for new in &after.groups {
        let Some(old) = before.groups.iter().find(|g| g.name == new.name) else {
            continue;
        };
        let controls = |g: &Group| Controls {
            gain: g.gain_db,
            pan: g.pan,
            mute: g.mute,
            solo: g.solo,
        };
        changes.extend(control_changes(&new.name, controls(old), controls(new)));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::{gain, test_session};
    use crate::session::Section;
    use crate::units::Seconds;
    use crate::units::{Decibels, Pan};
    use std::path::Path;

    fn section(name: &str, start: f64) -> Section {
        Section {
            name: name.to_string(),
            start: Seconds(start),
            gain_db: Vec::new(),
            mute: Vec::new(),
            ramp_ms: None,
        }
    }

    /// The test session with a group "Band" of both channels and sections "Verse" and
    /// "Chorus".
    fn grouped() -> Session {
        let mut session = test_session(Path::new("s.toml"));
        session
            .groups
            .push(Group::new("Band", vec!["Bass".into(), "Keys".into()]));
        session.sections.push(section("Verse", 0.0));
        session.sections.push(section("Chorus", 5.0));
        session
    }

    /// An edit naming a group sets the group's control and no channel's; its inverse puts the
    /// group back; a group has no trim.
    #[test]
    fn group_edits_set_the_group_and_are_undone_by_their_inverse() {
        let original = grouped();
        let mut session = original.clone();
        let edits = [
            gain("Band", -4.5),
            MixEdit::Pan {
                channel: "Band".into(),
                pan: Pan(-0.3),
            },
            MixEdit::Mute {
                channel: "Band".into(),
                on: true,
            },
            MixEdit::Solo {
                channel: "Band".into(),
                on: true,
            },
        ];
        let mut undo = Vec::new();
        for edit in &edits {
            undo.push(edit.inverse_from(&session).unwrap());
            edit.apply(&mut session).unwrap();
        }
        let band = &session.groups[0];
        assert_eq!(band.gain_db, Decibels(-4.5));
        assert_eq!(band.pan, Pan(-0.3));
        assert!(band.mute && band.solo);
        assert_eq!(session.channels, original.channels);
        for edit in undo.iter().rev() {
            edit.apply(&mut session).unwrap();
        }
        assert_eq!(session, original);
        let trim = MixEdit::Trim {
            channel: "Band".into(),
            db: Decibels(1.0),
        };
        let error = trim.apply(&mut session).unwrap_err();
        assert_eq!(error.to_string(), "Band is a group: a group has no trim");
        assert!(trim.inverse_from(&session).is_err());
        assert_eq!(session, original);
    }

    /// A group fader takes the channel fader's range; an unknown name is refused as before.
    #[test]
    fn group_edits_refuse_bad_values_and_unknown_names() {
        let mut session = grouped();
        let error = gain("Band", 13.0).apply(&mut session).unwrap_err();
        assert!(matches!(error, EditError::OutOfRange { .. }), "{error}");
        let error = gain("Drums", -1.0).apply(&mut session).unwrap_err();
        assert_eq!(
            error.to_string(),
            "there is no channel named 'Drums' in this session"
        );
        assert_eq!(session, grouped());
    }

    /// A section's scene can set and mute a group; its entries follow the channels'.
    #[test]
    fn scenes_hold_groups_after_channels() {
        let mut session = grouped();
        let scene_gain = |channel: &str, db: Option<f64>| MixEdit::SceneGain {
            section: "Chorus".into(),
            channel: channel.into(),
            db: db.map(Decibels),
        };
        scene_gain("Band", Some(2.0)).apply(&mut session).unwrap();
        scene_gain("Bass", Some(-1.0)).apply(&mut session).unwrap();
        let chorus = &session.sections[1];
        assert_eq!(
            chorus.gain_db,
            [
                ("Bass".to_string(), Decibels(-1.0)),
                ("Band".to_string(), Decibels(2.0))
            ]
        );
        let inverse = scene_gain("Band", Some(5.0))
            .inverse_from(&session)
            .unwrap();
        assert_eq!(inverse, scene_gain("Band", Some(2.0)));
        let mute = MixEdit::SceneMute {
            section: "Chorus".into(),
            channel: "Band".into(),
            on: true,
        };
        mute.apply(&mut session).unwrap();
        assert_eq!(session.sections[1].mute, ["Band"]);
        // A section list whose scene names a group is a list a session can hold.
        let sections = session.sections.clone();
        MixEdit::Sections { sections }.apply(&mut session).unwrap();
    }

    /// Differences list the group controls that changed, so a changed group is unsaved.
    #[test]
    fn differences_cover_groups() {
        let before = grouped();
        let mut after = before.clone();
        after.groups[0].gain_db = Decibels(-2.0);
        after.groups[0].mute = true;
        let changes = super::super::differences(&before, &after);
        let afters: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(afters, ["Band fader +0.0 dB -> -2.0 dB", "Band muted"]);
        let mut scened = before.clone();
        scened.sections[1]
            .gain_db
            .push(("Band".into(), Decibels(1.0)));
        let changes = super::super::differences(&before, &scened);
        let afters: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(afters, ["Chorus: Band base mix -> +1.0 dB"]);
    }
}
