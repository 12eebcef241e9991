//! Groups on the console (UI thread): strips after the channels, and what the engine hears.
//!
//! The console counts **strips**: the channels in session order, then the groups in session
//! order (strip `channels.len() + g` is group `g`). The selection, the number keys, the mouse
//! and the control surfaces' strip numbers and banks all count strips this way. The engine
//! knows nothing of groups: it has one strip per channel and plays each channel's *heard*
//! levels ([`Session::heard_levels`](crate::session::Session::heard_levels)): its own fader
//! plus every group's, pans summed, muted or soloed when it or a group is. So every edit of a
//! fader, pan, mute or solo, a channel's or a group's, sends the heard values of the channels
//! it reaches, and a fader edit sends the scenes again when a section's scene sets a level the
//! engine folds with it.

use super::Mixer;
use crate::app::effect::Effect;
use crate::session::automation::add_db;
use crate::units::{Decibels, Pan};

/// What a strip of the console is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripKind {
    /// A channel, by index in the session.
    Channel(usize),
    /// A group, by index in the session's groups.
    Group(usize),
}

/// A strip's own controls (a group's: its fader, pan, mute and solo; it has no trim).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StripControls {
    /// The fader.
    pub gain: Decibels,
    /// The pan.
    pub pan: Pan,
    /// Muted.
    pub mute: bool,
    /// Soloed.
    pub solo: bool,
}

impl Mixer {
    /// How many strips the console has: channels, then groups.
    pub fn strip_count(&self) -> usize {
        self.session.channels.len() + self.session.groups.len()
    }

    /// What strip `strip` is (`None` past the last).
    pub fn strip_kind(&self, strip: usize) -> Option<StripKind> {
        let channels = self.session.channels.len();
        if strip < channels {
            Some(StripKind::Channel(strip))
        } else {
            (strip - channels < self.session.groups.len())
                .then_some(StripKind::Group(strip - channels))
        }
    }

    /// The name of strip `strip` (a channel's or a group's).
    pub fn strip_name(&self, strip: usize) -> Option<&str> {
        match self.strip_kind(strip)? {
            StripKind::Channel(i) => Some(&self.session.channels[i].name),
            StripKind::Group(g) => Some(&self.session.groups[g].name),
        }
    }

    /// The strip of the channel or group named `name`.
    pub fn strip_index(&self, name: &str) -> Option<usize> {
        self.session.channel_index(name).or_else(|| {
            self.session
                .group_index(name)
                .map(|g| self.session.channels.len() + g)
        })
    }

    /// Strip `strip`'s own fader, pan, mute and solo (its base mix, not the heard ones).
    pub fn strip_controls(&self, strip: usize) -> Option<StripControls> {
        Some(match self.strip_kind(strip)? {
            StripKind::Channel(i) => {
                let c = &self.session.channels[i];
                StripControls {
                    gain: c.gain_db,
                    pan: c.pan,
                    mute: c.mute,
                    solo: c.solo,
                }
            }
            StripKind::Group(g) => {
                let group = &self.session.groups[g];
                StripControls {
                    gain: group.gain_db,
                    pan: group.pan,
                    mute: group.mute,
                    solo: group.solo,
                }
            }
        })
    }

    /// The channels (by index) whose heard levels the control of the channel or group `name`
    /// changes: the channel itself, or the group's members.
    pub(crate) fn reached_by(&self, name: &str) -> Vec<usize> {
        if let Some(i) = self.session.channel_index(name) {
            return vec![i];
        }
        self.session
            .group_index(name)
            .map(|g| {
                self.session.groups[g]
                    .members
                    .iter()
                    .filter_map(|m| self.session.channel_index(m))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether the engine's scene timeline folds the base fader of `name` (a channel or a
    /// group) into a level: some section's scene sets a value for one of the channels it
    /// reaches or for one of their groups.
    fn scenes_fold(&self, name: &str) -> bool {
        let session = &self.session;
        let mut names: Vec<&str> = Vec::new();
        for i in self.reached_by(name) {
            let channel = session.channels[i].name.as_str();
            names.push(channel);
            names.extend(session.groups_of(channel).map(|g| g.name.as_str()));
        }
        session
            .sections
            .iter()
            .any(|s| names.iter().any(|n| s.scene_gain(n).is_some()))
    }

    /// Sends the engine what a changed fader of `name` (a channel or a group) makes it hear:
    /// each reached channel's heard fader, unless a blind-mode glide on it or one of its groups
    /// carries it (the glide moves to the new value and sends it), and the scenes again when
    /// they fold it.
    pub(crate) fn send_gain(&mut self, name: &str, db: Decibels) {
        let Some(strip) = self.strip_index(name) else {
            return;
        };
        if let Some(glide) = self.glides.iter_mut().find(|g| g.strip == strip) {
            if db.is_off() {
                self.glides.retain(|g| g.strip != strip);
            } else {
                glide.to = db.0;
            }
        }
        for i in self.reached_by(name) {
            if !self.glide_reaches(i)
                && let Some(heard) = self.session.heard_levels(i)
            {
                self.emit(Effect::Gain(i, heard.gain));
            }
        }
        if self.scenes_fold(name) {
            self.emit(Effect::Scenes(Box::new(self.session.clone())));
        }
    }

    /// Sends the engine the heard pan, mute or solo (`what`) of each channel the control of
    /// `name` reaches.
    pub(crate) fn send_heard(&mut self, name: &str, what: fn(usize, HeardOf) -> Effect) {
        for i in self.reached_by(name) {
            if let Some(heard) = self.session.heard_levels(i) {
                self.emit(what(i, heard));
            }
        }
    }

    /// Whether a blind-mode glide moves channel `channel`'s heard fader: its own, or one of
    /// its groups'.
    pub(crate) fn glide_reaches(&self, channel: usize) -> bool {
        self.glides.iter().any(|g| {
            g.strip == channel
                || matches!(self.strip_kind(g.strip), Some(StripKind::Group(k))
                    if self.session.groups[k].has_member(&self.session.channels[channel].name))
        })
    }

    /// Channel `channel`'s heard fader with `strip_gain` giving each strip's fader (a gliding
    /// one's value on the way): its own plus its groups'.
    pub(crate) fn heard_gain_with(
        &self,
        channel: usize,
        strip_gain: impl Fn(usize) -> Decibels,
    ) -> Decibels {
        let name = &self.session.channels[channel].name;
        let channels = self.session.channels.len();
        self.session
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.has_member(name))
            .fold(strip_gain(channel), |sum, (k, _)| {
                add_db(sum, strip_gain(channels + k))
            })
    }
}

/// A channel's heard levels, as [`Mixer::send_heard`] hands them on.
pub(crate) type HeardOf = crate::session::automation::HeardLevels;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::{MixEdit, gain, test_blind, test_session, test_steps};
    use crate::config::BlindOnExit;
    use crate::session::Section;
    use crate::session::automation::Group;
    use crate::units::Seconds;
    use std::path::Path;

    /// Channels "Bass" (-3 dB) and "Keys" (0 dB) and "Pad" (-6 dB); group "Band" of Bass and
    /// Keys at -2 dB; group "Low" of Bass at +1 dB.
    fn grouped() -> Mixer {
        let mut session = test_session(Path::new("s.toml"));
        let mut pad = session.channels[1].clone();
        pad.name = "Pad".into();
        pad.gain_db = Decibels(-6.0);
        session.channels.push(pad);
        session.stems.push(session.stems[0].clone());
        let mut band = Group::new("Band", vec!["Bass".into(), "Keys".into()]);
        band.gain_db = Decibels(-2.0);
        let mut low = Group::new("Low", vec!["Bass".into()]);
        low.gain_db = Decibels(1.0);
        session.groups = vec![band, low];
        Mixer::new(session, test_steps(), test_blind(BlindOnExit::Keep), None)
    }

    /// Strips count the channels, then the groups.
    #[test]
    fn strips_are_channels_then_groups() {
        let mixer = grouped();
        assert_eq!(mixer.strip_count(), 5);
        assert_eq!(mixer.strip_kind(2), Some(StripKind::Channel(2)));
        assert_eq!(mixer.strip_kind(3), Some(StripKind::Group(0)));
        assert_eq!(mixer.strip_kind(5), None);
        assert_eq!(mixer.strip_name(4), Some("Low"));
        assert_eq!(mixer.strip_index("Band"), Some(3));
        assert_eq!(mixer.strip_index("Keys"), Some(1));
    }

    /// A group fader edit sends every member's heard fader (its own plus all its groups'),
    /// and nothing for channels outside the group; a member's own edit sends its heard fader.
    #[test]
    fn fader_edits_send_heard_levels() {
        let mut mixer = grouped();
        assert!(mixer.edit(gain("Band", -4.0)));
        assert_eq!(
            mixer.take_effects(),
            [
                Effect::Gain(0, Decibels(-6.0)), // -3 - 4 + 1
                Effect::Gain(1, Decibels(-4.0)),
            ]
        );
        assert!(mixer.edit(gain("Bass", -1.0)));
        assert_eq!(mixer.take_effects(), [Effect::Gain(0, Decibels(-4.0))]);
        assert!(mixer.edit(gain("Pad", -7.0)));
        assert_eq!(mixer.take_effects(), [Effect::Gain(2, Decibels(-7.0))]);
        // An off group fader turns its members off.
        assert!(mixer.edit(gain("Low", f64::NEG_INFINITY)));
        assert_eq!(mixer.take_effects(), [Effect::Gain(0, Decibels::OFF)]);
    }

    /// Group mute, solo and pan reach the members as their heard values: muted or soloed when
    /// the channel or a group is, pans summed within hard left and right.
    #[test]
    fn mute_solo_and_pan_send_heard_values() {
        let mut mixer = grouped();
        let edit = |channel: &str, kind: u8| match kind {
            0 => MixEdit::Mute {
                channel: channel.into(),
                on: true,
            },
            1 => MixEdit::Solo {
                channel: channel.into(),
                on: true,
            },
            _ => MixEdit::Pan {
                channel: channel.into(),
                pan: Pan(0.75),
            },
        };
        mixer.edit(edit("Band", 0));
        assert_eq!(
            mixer.take_effects(),
            [Effect::Mute(0, true), Effect::Mute(1, true)]
        );
        // Unmuting Bass itself leaves it muted by its group.
        mixer.edit(MixEdit::Mute {
            channel: "Bass".into(),
            on: false,
        });
        mixer.edit(edit("Bass", 0));
        mixer.take_effects();
        mixer.edit(MixEdit::Mute {
            channel: "Bass".into(),
            on: false,
        });
        assert_eq!(mixer.take_effects(), [Effect::Mute(0, true)]);
        mixer.edit(edit("Low", 1));
        assert_eq!(mixer.take_effects(), [Effect::Solo(0, true)]);
        mixer.edit(edit("Bass", 2));
        mixer.edit(edit("Band", 2));
        assert_eq!(
            mixer.take_effects(),
            [
                Effect::Pan(0, Pan(0.75)),
                Effect::Pan(0, Pan(1.0)),
                Effect::Pan(1, Pan(0.75)),
            ]
        );
    }

    /// In scene mode the fader and mute keys on a selected group set the group's value and
    /// mute in the section's scene (from its base fader), and the scenes go to the engine.
    #[test]
    fn scene_mode_edits_a_groups_scene() {
        use crate::app::action::{Direction, Step};
        let mut mixer = grouped();
        mixer.session.sections = vec![Section {
            name: "Chorus".into(),
            start: Seconds(0.0),
            gain_db: Vec::new(),
            mute: Vec::new(),
            ramp_ms: None,
        }];
        mixer.scene_mode = true;
        mixer.select(3);
        mixer.nudge(Direction::Up, Step::Fine, std::time::Instant::now());
        mixer.toggle(false);
        let chorus = &mixer.session.sections[0];
        assert_eq!(chorus.scene_gain("Band"), Some(Decibels(-1.5)));
        assert!(chorus.is_muted("Band"));
        assert_eq!(
            mixer.session.groups[0].gain_db,
            Decibels(-2.0),
            "the base stays"
        );
        let effects = mixer.take_effects();
        assert_eq!(effects.len(), 2);
        assert!(effects.iter().all(|e| matches!(e, Effect::Scenes(_))));
    }

    /// A fader edit sends the scenes again when a section's scene sets a level the engine
    /// folds with that fader (the group's, a member's, or another group of a member), and
    /// not otherwise.
    #[test]
    fn fader_edits_resend_scenes_that_fold_them() {
        let mut mixer = grouped();
        mixer.session.sections = vec![Section {
            name: "Chorus".into(),
            start: Seconds(0.0),
            gain_db: vec![("Low".into(), Decibels(3.0))],
            mute: Vec::new(),
            ramp_ms: None,
        }];
        let scenes = |effects: &[Effect]| {
            effects
                .iter()
                .filter(|e| matches!(e, Effect::Scenes(_)))
                .count()
        };
        mixer.edit(gain("Pad", -1.0));
        assert_eq!(scenes(&mixer.take_effects()), 0);
        mixer.edit(gain("Keys", -1.0));
        assert_eq!(scenes(&mixer.take_effects()), 0, "Keys is not in Low");
        mixer.edit(gain("Bass", -1.0));
        assert_eq!(scenes(&mixer.take_effects()), 1, "Bass is in Low");
        mixer.edit(gain("Band", -1.0));
        assert_eq!(scenes(&mixer.take_effects()), 1, "Band holds Bass");
        // A group's scene value is a scene edit: the scenes go to the engine.
        mixer.edit(MixEdit::SceneGain {
            section: "Chorus".into(),
            channel: "Band".into(),
            db: Some(Decibels(2.0)),
        });
        assert_eq!(scenes(&mixer.take_effects()), 1);
        mixer.edit(gain("Keys", -2.0));
        assert_eq!(scenes(&mixer.take_effects()), 1, "Keys is in Band");
    }
}
