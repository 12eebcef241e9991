//! The drill's parts when the session has groups (UI thread).
//!
//! A part is a strip, counted as the console counts them: a channel, or a group. A group whose
//! members all play in the drill's loop is drilled as **one part** in place of its members:
//! its fader is the one scrambled and scored, and moving it moves its members together (they
//! stay at their target faders). A channel in a group that is not drilled as one stays a part
//! of its own. Groups are taken in session order; a group sharing a member with a group
//! already taken stays out.

use crate::app::mixer::{Mixer, StripKind};
use crate::exercise::drill::TargetSource;
use crate::session::Session;
use crate::units::Decibels;

/// The parts (strips, ascending) of a drill whose candidate channels are `candidates`.
pub(in crate::app::exercises) fn parts(mixer: &Mixer, candidates: &[usize]) -> Vec<usize> {
    let session = mixer.session();
    let channels = session.channels.len();
    let mut taken: Vec<usize> = Vec::new();
    let mut groups = Vec::new();
    for (g, group) in session.groups.iter().enumerate() {
        let members: Vec<usize> = group
            .members
            .iter()
            .filter_map(|m| session.channel_index(m))
            .collect();
        let whole = !members.is_empty()
            && members.len() == group.members.len()
            && members
                .iter()
                .all(|m| candidates.contains(m) && !taken.contains(m));
        if whole {
            taken.extend(&members);
            groups.push(channels + g);
        }
    }
    candidates
        .iter()
        .copied()
        .filter(|i| !taken.contains(i))
        .chain(groups)
        .collect()
}

/// The channels part `part` plays: the channel, or the group's members.
pub(in crate::app::exercises) fn channels_of(mixer: &Mixer, part: usize) -> Vec<usize> {
    match mixer.strip_kind(part) {
        Some(StripKind::Channel(i)) => vec![i],
        Some(StripKind::Group(_)) => mixer
            .strip_name(part)
            .map(|name| mixer.reached_by(name))
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

/// A group's target fader for `source`: its fader, or the section scene's value for it (the
/// reference balance has no groups: their faders as they are).
pub(super) fn group_target(session: &Session, group: usize, source: &TargetSource) -> Decibels {
    let group = &session.groups[group];
    match source {
        TargetSource::Scene { section } => session
            .sections
            .get(*section)
            .and_then(|s| s.scene_gain(&group.name))
            .unwrap_or(group.gain_db),
        TargetSource::Saved | TargetSource::Reference => group.gain_db,
    }
}

/// Every channel's heard fader (session order) with the faders of `parts` at `values` (dB)
/// and every other strip's as it is.
pub(super) fn heard_with(mixer: &Mixer, parts: &[usize], values: &[f64]) -> Vec<f64> {
    let fader = |strip: usize| {
        parts
            .iter()
            .position(|p| *p == strip)
            .and_then(|k| values.get(k))
            .map_or_else(
                || {
                    mixer
                        .strip_controls(strip)
                        .map_or(Decibels::UNITY, |c| c.gain)
                },
                |db| Decibels(*db),
            )
    };
    (0..mixer.session().channels.len())
        .map(|i| mixer.heard_gain_with(i, fader).0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::{test_blind, test_session, test_steps};
    use crate::config::BlindOnExit;
    use crate::session::automation::Group;
    use std::path::Path;

    /// Bass, Keys and Pad; group "Band" (Bass, Keys) at -2 dB, group "Low" (Bass).
    fn mixer() -> Mixer {
        let mut session = test_session(Path::new("s.toml"));
        let mut pad = session.channels[1].clone();
        pad.name = "Pad".into();
        session.channels.push(pad);
        let mut band = Group::new("Band", vec!["Bass".into(), "Keys".into()]);
        band.gain_db = Decibels(-2.0);
        session.groups = vec![band, Group::new("Low", vec!["Bass".into()])];
        Mixer::new(session, test_steps(), test_blind(BlindOnExit::Keep), None)
    }

    /// A group whose members all play is one part in place of them; a group sharing a member
    /// with one taken before, or with a member that does not play, is not.
    #[test]
    fn a_whole_group_is_one_part() {
        let mixer = mixer();
        assert_eq!(parts(&mixer, &[0, 1, 2]), [2, 3]);
        assert_eq!(channels_of(&mixer, 3), [0, 1]);
        assert_eq!(channels_of(&mixer, 2), [2]);
        // Keys does not play: Band is not whole, Low (Bass alone) is.
        assert_eq!(parts(&mixer, &[0, 2]), [2, 4]);
    }

    /// The heard faders count a part's value in place of its fader: a group part's value is
    /// added to each member's own fader.
    #[test]
    fn heard_faders_count_part_values() {
        let mixer = mixer();
        // Bass -3 (own) - 5 (Band at -5) + 0 (Low); Keys 0 - 5; Pad at -1 as a part.
        assert_eq!(
            heard_with(&mixer, &[2, 3], &[-1.0, -5.0]),
            [-8.0, -5.0, -1.0]
        );
        assert_eq!(heard_with(&mixer, &[], &[]), [-5.0, -2.0, 0.0]);
    }
}
