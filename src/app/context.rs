//! Where a key is pressed (UI thread): the mixer, an exercise step, or one of the boxes over
//! them. Each context takes its own set of [`Action`]s, so one key may mean different things
//! in different boxes (`r` recovers in the crash question and reloads in the changed-on-disk
//! one) but never two things in one context; the keymap checks that per context.

use super::action::Action;

/// A place keys are pressed in, with the actions it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// The mixer itself, no box open.
    Mixer,
    /// An exercise step: the mixer's keys (the exercise refuses some) plus done and leave.
    ExerciseStep,
    /// The help screen.
    Help,
    /// Something to read (closed by any key).
    Info,
    /// The arc view.
    Arc,
    /// "Quit with unsaved edits?"
    ConfirmQuit,
    /// The crash journal being read.
    ReadingJournal,
    /// The crash journal cannot be read.
    JournalUnreadable,
    /// "Recover unsaved edits?"
    Recover,
    /// The session is open in another earmix.
    AlreadyOpen,
    /// The session file changed on disk.
    DiskChanged,
    /// A line of text being typed (a name); plain characters are always text.
    Prompt,
    /// A list to choose from.
    List,
    /// The list of mix snapshots.
    Snapshots,
    /// Two versions of the mix compared, not blind.
    CompareVersions,
    /// An exercise's panel, before it starts.
    ExerciseIntro,
    /// An exercise's results.
    Results,
    /// "Leave the exercise?"
    LeaveExercise,
    /// Leaving blind mode: keep the balance heard or take the offsets out.
    BlindExit,
}

impl Context {
    /// Every context.
    pub const ALL: &'static [Context] = &[
        Context::Mixer,
        Context::ExerciseStep,
        Context::Help,
        Context::Info,
        Context::Arc,
        Context::ConfirmQuit,
        Context::ReadingJournal,
        Context::JournalUnreadable,
        Context::Recover,
        Context::AlreadyOpen,
        Context::DiskChanged,
        Context::Prompt,
        Context::List,
        Context::Snapshots,
        Context::CompareVersions,
        Context::ExerciseIntro,
        Context::Results,
        Context::LeaveExercise,
        Context::BlindExit,
    ];

    /// The actions keys can ask for here.
    pub fn actions(self) -> Vec<Action> {
        use Action as A;
        let boxed: &[Action] = match self {
            Context::Mixer => return mixer_actions().collect(),
            Context::ExerciseStep => {
                return mixer_actions().chain([A::Confirm, A::Cancel]).collect();
            }
            Context::Help => &[A::Help, A::Cancel, A::QuitNow],
            Context::Info => &[A::Confirm, A::Cancel, A::QuitNow],
            Context::Arc => &[A::ArcView, A::Cancel, A::QuitNow],
            Context::ConfirmQuit => &[A::SaveAndQuit, A::Yes, A::No, A::Cancel],
            Context::ReadingJournal => &[A::Quit],
            Context::JournalUnreadable => &[A::SetAside, A::Quit],
            Context::Recover => &[A::Recover, A::SetAside, A::Discard, A::Quit],
            Context::AlreadyOpen => &[A::ListenReadOnly, A::Quit],
            Context::DiskChanged => &[A::Reload, A::Overwrite, A::SaveAsNew, A::Cancel],
            Context::Prompt => &[A::Confirm, A::Cancel, A::DeleteBack, A::QuitNow],
            Context::List => &[
                A::ListUp,
                A::ListDown,
                A::ListFirst,
                A::ListLast,
                A::Confirm,
                A::Cancel,
                A::Back,
                A::QuitNow,
            ],
            Context::Snapshots => &[
                A::ListUp,
                A::ListDown,
                A::ListFirst,
                A::ListLast,
                A::Confirm,
                A::CompareVersions,
                A::TakeSnapshot,
                A::RenameSnapshot,
                A::DeleteSnapshot,
                A::Cancel,
                A::Back,
                A::QuitNow,
            ],
            Context::CompareVersions => &[
                A::CompareVersions,
                A::SelectStrip(1),
                A::SelectStrip(2),
                A::ChooseTarget,
                A::PlayPause,
                A::PreviousSection,
                A::NextSection,
                A::Confirm,
                A::Cancel,
                A::Back,
                A::QuitNow,
            ],
            Context::ExerciseIntro => &[
                A::Confirm,
                A::SetUp,
                A::ChooseLevel,
                A::ChooseTarget,
                A::Cancel,
                A::Back,
                A::QuitNow,
            ],
            Context::Results => &[
                A::NextPage,
                A::PreviousPage,
                A::Keep,
                A::Retry,
                A::NextLevel,
                A::Confirm,
                A::Cancel,
                A::Back,
                A::QuitNow,
            ],
            Context::LeaveExercise => &[A::Yes, A::No, A::Cancel, A::QuitNow],
            Context::BlindExit => &[A::Keep, A::Revert, A::Cancel],
        };
        boxed.to_vec()
    }

    /// Whether this context takes `action`.
    pub fn takes(self, action: Action) -> bool {
        self.actions().contains(&action)
    }

    /// Where this is, for a keymap error ("in the crash-journal question").
    pub fn describe(self) -> &'static str {
        match self {
            Context::Mixer => "in the mixer",
            Context::ExerciseStep => "in an exercise",
            Context::Help => "in the help",
            Context::Info => "in a message box",
            Context::Arc => "in the arc view",
            Context::ConfirmQuit => "in the quit question",
            Context::ReadingJournal => "while the crash journal is read",
            Context::JournalUnreadable => "in the unreadable-journal question",
            Context::Recover => "in the recovery question",
            Context::AlreadyOpen => "in the already-open question",
            Context::DiskChanged => "in the changed-on-disk question",
            Context::Prompt => "in a prompt",
            Context::List => "in a list",
            Context::Snapshots => "in the snapshot list",
            Context::CompareVersions => "while comparing versions",
            Context::ExerciseIntro => "in an exercise's panel",
            Context::Results => "in the results",
            Context::LeaveExercise => "in the leave-exercise question",
            Context::BlindExit => "in the leaving-blind question",
        }
    }
}

/// The mixer's own actions: every action but those of the boxes.
fn mixer_actions() -> impl Iterator<Item = Action> {
    Action::ALL.iter().copied().filter(|a| !a.is_box_action())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action is taken somewhere (an action no context takes could never be pressed),
    /// and the box actions stay out of the mixer.
    #[test]
    fn every_action_is_taken_in_some_context() {
        for action in Action::ALL {
            assert!(
                Context::ALL.iter().any(|c| c.takes(*action)),
                "{action:?} is taken nowhere"
            );
        }
        assert!(!Context::Mixer.takes(Action::Confirm));
        assert!(Context::Mixer.takes(Action::Quit));
        assert!(Context::ExerciseStep.takes(Action::Confirm));
        assert!(Context::ExerciseStep.takes(Action::Mute));
        assert!(!Context::Prompt.takes(Action::Mute));
    }
}
