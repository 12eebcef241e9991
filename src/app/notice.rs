//! What the mixer model tells the user on the status line, as data (UI thread). The mixer
//! says *what happened* ([`Notice`]); the words are here, in one place, next to nothing else,
//! so the model holds no sentences and a message can be reworded (or translated) without
//! reading the mixer.

use std::fmt;

use crate::ui::view::BlindLevel;
use crate::units::Seconds;

/// Something that happened in the mixer model, for the status line.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// Words a box or an exercise composed (they live with it).
    Said(String),
    /// "Clear solos" with no channel soloed.
    NoSolo,
    /// Undo or redo with nothing to undo or redo.
    NothingTo {
        /// Redo (else undo).
        redo: bool,
    },
    /// An undo or redo, and what it changed (worded by the edit's description).
    Replayed {
        /// Redo (else undo).
        redo: bool,
        /// What changed.
        what: String,
    },
    /// A strip-only control asked of the master.
    MasterHasNo(&'static str),
    /// A nudge that cannot go further.
    AtEnd {
        /// The fader at its top (else any control at its end).
        fader_top: bool,
    },
    /// An edit the session refused, and why.
    Refused(String),
    /// The crash journal could not be written.
    JournalFailed(String),
    /// The next section was asked for in the last one.
    LastSection {
        /// Say that `n` adds one here.
        can_add: bool,
    },
    /// A section key in a session without sections.
    NoSections,
    /// The play head is before the first section.
    BeforeFirstSection,
    /// The loop was switched off.
    LoopOff,
    /// A section (or, `None`, the whole session) loops.
    Looping(Option<String>),
    /// Trim mode on or off.
    TrimMode(bool),
    /// Scene mode on, editing this section's scene (`None`: the play head is in none).
    SceneMode(Option<String>),
    /// Base mode: the keys edit the base mix.
    BaseMode,
    /// A section without a scene cannot be cleared.
    NoScene(String),
    /// A section's scene was cleared.
    SceneCleared(String),
    /// A section already starts at the play head.
    AlreadyStarts(String),
    /// A section now starts elsewhere.
    StartMoved {
        /// The section.
        section: String,
        /// Where it starts now.
        at: Seconds,
        /// Where it started.
        was: Seconds,
    },
    /// A section cannot start at or before the one before it.
    CannotStartBefore {
        /// The section being moved.
        section: String,
        /// The section before it.
        before: String,
    },
    /// A save found the file already holding this mix.
    NothingToSave,
    /// Saved to this file name.
    Saved(String),
    /// The save failed, and why.
    NotSaved(String),
    /// Saved as a new file; the old one keeps another program's version.
    SavedAs {
        /// The new file's name.
        name: String,
        /// The old file's name.
        old: String,
    },
    /// The file was reloaded, with the unsaved edits on top where they fit.
    Reloaded {
        /// The file's name.
        name: String,
        /// How many edits were kept on top.
        kept: usize,
        /// The edits that no longer fit, described.
        lost: Vec<String>,
    },
    /// The crash journal was set aside under this name.
    SetAside(String),
    /// The crash journal could not be set aside, and why.
    NotSetAside(String),
    /// Edits recovered from the crash journal.
    Recovered {
        /// How many.
        count: usize,
        /// How many did not fit and were left out.
        skipped: usize,
    },
    /// A new section's name was left empty.
    NameMissing,
    /// A section of that name exists.
    SectionExists(String),
    /// A section cannot be added at the end of the session.
    AtSessionEnd,
    /// A section already starts at this time.
    SectionStartsAt(Seconds),
    /// A file name was left empty.
    FileNameMissing,
    /// A path was typed where only a file name goes.
    FileNameOnly,
    /// A file of that name exists.
    FileExists(String),
    /// The file is open in another earmix.
    FileOpenElsewhere {
        /// The file's name.
        name: String,
        /// Who has it.
        owner: String,
    },
    /// A base fader moved where the section under the play head has a scene that sets that
    /// channel's fader: what is heard here is the scene's.
    SceneSetsFader {
        /// The channel.
        channel: String,
        /// The section whose scene sets it.
        section: String,
    },
    /// Blind mode switched to this level.
    Blind(BlindLevel),
    /// Blind mode left, keeping the faders (else taking the offsets out).
    BlindLeft {
        /// The faders keep what was heard.
        kept: bool,
    },
}

impl From<String> for Notice {
    fn from(text: String) -> Self {
        Notice::Said(text)
    }
}

/// "1 edit", "3 edits".
fn edits(n: usize) -> String {
    if n == 1 {
        "1 edit".to_string()
    } else {
        format!("{n} edits")
    }
}

impl fmt::Display for Notice {
    #[allow(clippy::too_many_lines)] // one arm per notice: all the wording in one place
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Said(text) => f.write_str(text),
            Notice::NoSolo => f.write_str("No channel is soloed"),
            Notice::NothingTo { redo } => f.write_str(if *redo {
                "Nothing to redo"
            } else {
                "Nothing to undo"
            }),
            Notice::Replayed { redo, what } => {
                write!(f, "{}: {what}", if *redo { "Redone" } else { "Undone" })
            }
            Notice::MasterHasNo(what) => {
                write!(f, "The master has no {what} (Tab goes back to the strips)")
            }
            Notice::AtEnd { fader_top } => f.write_str(if *fader_top {
                "The fader is at its top"
            } else {
                "The control is at its end"
            }),
            Notice::Refused(why) => f.write_str(why),
            Notice::JournalFailed(why) => write!(f, "Crash journal: {why}"),
            Notice::LastSection { can_add } => f.write_str(if *can_add {
                "This is the last section (n adds one here)"
            } else {
                "This is the last section"
            }),
            Notice::NoSections => f.write_str("This session has no sections"),
            Notice::BeforeFirstSection => f.write_str("The play head is before the first section"),
            Notice::LoopOff => f.write_str("Loop off"),
            Notice::Looping(Some(name)) => write!(f, "Looping {name}"),
            Notice::Looping(None) => f.write_str("Looping the whole session"),
            Notice::TrimMode(true) => f.write_str("Trim mode: the fader keys move the input trim"),
            Notice::TrimMode(false) => f.write_str("Fader mode"),
            Notice::SceneMode(Some(section)) => write!(
                f,
                "Scene mode: the fader and mute keys edit the scene of {section} (0 gives a \
                 fader back to the base mix)"
            ),
            Notice::SceneMode(None) => {
                f.write_str("Scene mode: play into a section to edit its scene")
            }
            Notice::BaseMode => f.write_str("Base mode: the fader and mute keys edit the base mix"),
            Notice::NoScene(section) => write!(f, "{section} has no scene: it plays the base mix"),
            Notice::SceneCleared(section) => write!(
                f,
                "Cleared the scene of {section}: it plays the base mix (u undoes)"
            ),
            Notice::AlreadyStarts(section) => write!(f, "{section} already starts here"),
            Notice::StartMoved { section, at, was } => {
                write!(f, "{section} now starts at {at} (was {was})")
            }
            Notice::CannotStartBefore { section, before } => {
                write!(f, "{section} cannot start at or before {before} starts")
            }
            Notice::NothingToSave => f.write_str("Nothing to save: the file already has this mix"),
            Notice::Saved(name) => write!(f, "Saved {name}"),
            Notice::NotSaved(why) => write!(f, "Not saved: {why}"),
            Notice::SavedAs { name, old } => {
                write!(
                    f,
                    "Saved as {name}; {old} keeps the other program's version"
                )
            }
            Notice::Reloaded { name, kept, lost } => match (kept, lost.len()) {
                (0, 0) => write!(f, "Reloaded {name}"),
                (k, 0) => write!(
                    f,
                    "Reloaded {name} with your {} on top (unsaved)",
                    edits(*k)
                ),
                (k, _) => write!(
                    f,
                    "Reloaded {name} with your {} on top; left out, they no longer fit: {}",
                    edits(*k),
                    lost.join("; ")
                ),
            },
            Notice::SetAside(name) => write!(
                f,
                "Set the crash journal aside as {name}; the session is as saved"
            ),
            Notice::NotSetAside(why) => write!(
                f,
                "Could not set the crash journal aside ({why}); edits are not journalled"
            ),
            Notice::Recovered { count, skipped } => {
                write!(
                    f,
                    "Recovered {count} unsaved edit{} (ctrl-s saves them, u undoes)",
                    if *count == 1 { "" } else { "s" }
                )?;
                if *skipped > 0 {
                    write!(f, "; {skipped} did not fit and were left out")?;
                }
                Ok(())
            }
            Notice::NameMissing => f.write_str("type a name, like Bridge"),
            Notice::SectionExists(name) => write!(f, "there is already a section named {name}"),
            Notice::AtSessionEnd => f.write_str("the play head is at the end of the session"),
            Notice::SectionStartsAt(at) => write!(f, "a section already starts at {at}"),
            Notice::FileNameMissing => f.write_str("type a file name"),
            Notice::FileNameOnly => f.write_str(
                "a file name only: the new file goes beside the session, so its stems stay \
                 where it says",
            ),
            Notice::FileExists(name) => write!(f, "{name} exists; choose another name"),
            Notice::FileOpenElsewhere { name, owner } => {
                write!(f, "{name} is open in earmix ({owner})")
            }
            Notice::SceneSetsFader { channel, section } => write!(
                f,
                "Base fader not heard here: {section}'s scene sets {channel} (e edits the scene)"
            ),
            Notice::Blind(level) => f.write_str(match level {
                BlindLevel::Off => "Blind mode off",
                BlindLevel::Numbers => "Blind: numbers hidden, faders scrambled. Balance by ear",
                BlindLevel::MetersOff => "Blind, meters off: only problem lamps. Balance by ear",
            }),
            Notice::BlindLeft { kept } => f.write_str(if *kept {
                "Blind mode off: the faders keep what you heard"
            } else {
                "Blind mode off: the hidden offsets glide out"
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Notices word what happened: counts agree in number, a recovery names what was left
    /// out, and a reload lists the edits that no longer fit.
    #[test]
    fn notices_read_as_sentences() {
        assert_eq!(
            Notice::Recovered {
                count: 1,
                skipped: 0
            }
            .to_string(),
            "Recovered 1 unsaved edit (ctrl-s saves them, u undoes)"
        );
        assert_eq!(
            Notice::Recovered {
                count: 3,
                skipped: 2
            }
            .to_string(),
            "Recovered 3 unsaved edits (ctrl-s saves them, u undoes); 2 did not fit and were \
             left out"
        );
        assert_eq!(
            Notice::Reloaded {
                name: "s.toml".into(),
                kept: 2,
                lost: vec!["Voice muted".into()]
            }
            .to_string(),
            "Reloaded s.toml with your 2 edits on top; left out, they no longer fit: Voice muted"
        );
        assert_eq!(
            Notice::StartMoved {
                section: "Chorus 1".into(),
                at: Seconds(62.5),
                was: Seconds(60.0)
            }
            .to_string(),
            format!(
                "Chorus 1 now starts at {} (was {})",
                Seconds(62.5),
                Seconds(60.0)
            )
        );
        assert_eq!(
            Notice::Looping(None).to_string(),
            "Looping the whole session"
        );
    }
}
