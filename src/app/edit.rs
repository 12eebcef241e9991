//! Mixer edits (UI thread): one change to the mix, addressed by channel name, which undo, redo and
//! the crash journal all record.
//!
//! Edits carry absolute values ("Bass fader to -4.5 dB", not "down 1.5 dB"), so replaying them in
//! order on the saved session reproduces the mix whatever happened in between.

use std::fmt;

use crate::session::Session;
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
    /// The value is outside what the control allows (or is not a number).
    #[error("{edit}: {rule}")]
    OutOfRange {
        /// The edit, in a user's words.
        edit: String,
        /// What is allowed.
        rule: &'static str,
    },
}

/// The upper end of a fader and of the master fader; the lower end is -inf (off).
const FADER_MAX_DB: f64 = 12.0;
/// The ends of the trim control.
const TRIM_MAX_DB: f64 = 24.0;

impl MixEdit {
    /// The channel the edit addresses; `None` for the master fader.
    pub fn channel(&self) -> Option<&str> {
        match self {
            MixEdit::Trim { channel, .. }
            | MixEdit::Gain { channel, .. }
            | MixEdit::Pan { channel, .. }
            | MixEdit::Mute { channel, .. }
            | MixEdit::Solo { channel, .. } => Some(channel),
            MixEdit::Master { .. } => None,
        }
    }

    /// Whether two edits set the same control (the same kind of edit on the same channel), so
    /// the later one overrides the earlier.
    pub fn same_control(&self, other: &MixEdit) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.channel() == other.channel()
    }

    /// Sets the control in `session`. Nothing changes when the edit is refused: an unknown
    /// channel, or a value outside the control's range (the same ranges a session file allows).
    pub fn apply(&self, session: &mut Session) -> Result<(), EditError> {
        self.check_range()?;
        if let MixEdit::Master { db } = self {
            session.master_db = *db;
            return Ok(());
        }
        let name = self.channel().unwrap_or_default();
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
            MixEdit::Master { .. } => {}
        }
        Ok(())
    }

    /// The edit that puts this edit's control back to its value in `session` (apply it to
    /// undo this edit once it has been applied).
    pub fn inverse_from(&self, session: &Session) -> Result<MixEdit, EditError> {
        let master = MixEdit::Master {
            db: session.master_db,
        };
        if let MixEdit::Master { .. } = self {
            return Ok(master);
        }
        let name = self.channel().unwrap_or_default();
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
            MixEdit::Master { .. } => master,
        })
    }

    /// Refuses values a session file could not hold.
    fn check_range(&self) -> Result<(), EditError> {
        // Written so that NaN fails every comparison.
        let (ok, rule) = match self {
            MixEdit::Gain { db, .. } => (
                db.0 <= FADER_MAX_DB,
                "the fader goes from -inf (off) to +12 dB",
            ),
            MixEdit::Master { db } => (
                db.0 <= FADER_MAX_DB,
                "the master fader goes from -inf (off) to +12 dB",
            ),
            MixEdit::Trim { db, .. } => (
                db.0 >= -TRIM_MAX_DB && db.0 <= TRIM_MAX_DB,
                "trim goes from -24 to +24 dB",
            ),
            MixEdit::Pan { pan, .. } => (
                pan.0 >= -1.0 && pan.0 <= 1.0,
                "pan goes from -1 (left) to +1 (right)",
            ),
            MixEdit::Mute { .. } | MixEdit::Solo { .. } => (true, ""),
        };
        if ok {
            Ok(())
        } else {
            Err(EditError::OutOfRange {
                edit: self.to_string(),
                rule,
            })
        }
    }

    /// What the edit sets, in a user's words: "Bass fader", "Keys pan", "Master".
    fn control_name(&self) -> String {
        match self {
            MixEdit::Trim { channel, .. } => format!("{channel} trim"),
            MixEdit::Gain { channel, .. } => format!("{channel} fader"),
            MixEdit::Pan { channel, .. } => format!("{channel} pan"),
            MixEdit::Mute { channel, .. } => format!("{channel} mute"),
            MixEdit::Solo { channel, .. } => format!("{channel} solo"),
            MixEdit::Master { .. } => "Master".to_string(),
        }
    }

    /// The value the edit sets, in a user's words: "-4.5 dB", "L30", "on".
    fn value_text(&self) -> String {
        match self {
            MixEdit::Trim { db, .. } | MixEdit::Gain { db, .. } | MixEdit::Master { db } => {
                db.to_string()
            }
            MixEdit::Pan { pan, .. } => pan.to_string(),
            MixEdit::Mute { on, .. } | MixEdit::Solo { on, .. } => {
                if *on { "on" } else { "off" }.to_string()
            }
        }
    }
}

impl fmt::Display for MixEdit {
    /// "Bass fader -4.5 dB", "Bass pan L30", "Keys muted", "Keys solo off", "Master -1.0 dB".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
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
    /// "Bass fader -3.0 dB -> -4.5 dB", "Bass pan C -> L30", "Keys muted".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.after {
            MixEdit::Mute { .. } | MixEdit::Solo { .. } => self.after.fmt(f),
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

/// Every control whose value differs between two versions of a session, as changes from
/// `before` to `after`: per channel (in `after`'s order) trim, fader, pan, mute and solo, then
/// the master fader. Channels present in only one of the two are skipped.
pub fn differences(before: &Session, after: &Session) -> Vec<Change> {
    let mut changes = Vec::new();
    for new in &after.channels {
        let Some(old) = before.channels.iter().find(|c| c.name == new.name) else {
            continue;
        };
        let name = || new.name.clone();
        let pairs = [
            (
                MixEdit::Trim {
                    channel: name(),
                    db: old.trim_db,
                },
                MixEdit::Trim {
                    channel: name(),
                    db: new.trim_db,
                },
            ),
            (
                MixEdit::Gain {
                    channel: name(),
                    db: old.gain_db,
                },
                MixEdit::Gain {
                    channel: name(),
                    db: new.gain_db,
                },
            ),
            (
                MixEdit::Pan {
                    channel: name(),
                    pan: old.pan,
                },
                MixEdit::Pan {
                    channel: name(),
                    pan: new.pan,
                },
            ),
            (
                MixEdit::Mute {
                    channel: name(),
                    on: old.mute,
                },
                MixEdit::Mute {
                    channel: name(),
                    on: new.mute,
                },
            ),
            (
                MixEdit::Solo {
                    channel: name(),
                    on: old.solo,
                },
                MixEdit::Solo {
                    channel: name(),
                    on: new.solo,
                },
            ),
        ];
        changes.extend(
            pairs
                .into_iter()
                .filter(|(b, a)| b != a)
                .map(|(before, after)| Change { before, after }),
        );
    }
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
        channels: vec![
            channel("Bass", Role::Bass, -3.0),
            channel("Keys", Role::Keys, 0.0),
        ],
        sections: Vec::new(),
        reference: None,
        stems: vec![stem.clone(), stem],
        length_frames: 480_000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
