//! What a key asks the console to do (UI thread). The keymap turns key events into an
//! [`Action`]; `App::update` applies it. Each action has a stable config name (the key in
//! `keymap.toml`) and a one-line description for the help screen.

/// Which way a nudge moves the fader (or the trim, in trim mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Louder.
    Up,
    /// Quieter.
    Down,
}

/// How far one nudge moves; the sizes in dB are settings (`config/default.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// The everyday step (0.5 dB by default).
    Fine,
    /// The big step (3 dB by default).
    Coarse,
    /// The smallest step (0.1 dB by default).
    Finer,
}

/// Everything a key can ask the console to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Select the strip to the left.
    SelectPrevious,
    /// Select the strip to the right.
    SelectNext,
    /// Select a strip by its number on screen, counted from 1 (keys exist for 1 to 9).
    SelectStrip(u8),
    /// Move the focus between the selected strip and the master.
    CycleFocus,
    /// Move the focused fader (or trim, in trim mode) by one step.
    Nudge {
        /// Louder or quieter.
        direction: Direction,
        /// How far.
        step: Step,
    },
    /// Set the focused fader (or trim) to 0 dB.
    Unity,
    /// Mute or unmute the selected strip.
    Mute,
    /// Solo or unsolo the selected strip.
    Solo,
    /// Clear every solo.
    ClearSolos,
    /// Toggle trim mode: nudges and unity edit the trim instead of the fader.
    TrimMode,
    /// Pan the selected strip to the left by one step.
    PanLeft,
    /// Pan the selected strip to the right by one step.
    PanRight,
    /// Start or pause playback.
    PlayPause,
    /// Go back to the start of the session.
    ToStart,
    /// Jump to the previous section.
    PreviousSection,
    /// Jump to the next section.
    NextSection,
    /// Loop the current section, or stop looping.
    LoopSection,
    /// Switch what the fader and mute keys edit: the base mix or the current section's scene.
    EditMode,
    /// Compare: play the base mix in place of the section scenes, or the scenes again.
    Compare,
    /// Copy another section's scene into the current section (asks which).
    CopyScene,
    /// Clear the current section's scene: every fader follows the base mix there.
    ClearScene,
    /// The current section starts at the play head.
    SectionStartHere,
    /// The next section starts at the play head.
    NextSectionHere,
    /// Add a section starting at the play head (asks for its name).
    AddSection,
    /// Open the list of mix snapshots (recall, rename, delete).
    Snapshots,
    /// Take a snapshot of the mix (asks for its name).
    TakeSnapshot,
    /// Remove the current section (its time joins the section before).
    RemoveSection,
    /// Show or hide the arc view: every channel's level across the sections.
    ArcView,
    /// Cycle the selected strip's ride mode: read, touch, latch, off. Touch and latch arm the
    /// strip: while playing, its fader moves record its ride.
    RideMode,
    /// Clear the selected strip's ride inside the current section.
    ClearRideSection,
    /// Clear the selected strip's whole ride.
    ClearRide,
    /// Raise (or lower) the selected strip's ride inside the current section by 0.5 dB.
    TrimRide(Direction),
    /// Reset peak holds and clip latches.
    ResetPeaks,
    /// Undo the last mixer edit.
    Undo,
    /// Redo the last undone edit.
    Redo,
    /// Save the session file.
    Save,
    /// Quit (asks first when there are unsaved edits).
    Quit,
    /// Enter or leave blind mode: every number is hidden.
    Blind,
    /// Enter or leave blind mode with the meters hidden as well.
    BlindMetersOff,
    /// Open the list of guided exercises.
    Exercises,
    /// Learn a MIDI control: bind a fader, a knob or a button of the controller to the
    /// selected strip's fader, pan, mute, solo or select, or to a transport or bank button.
    Learn,
    /// Hear the reference instead of the mix, or the mix again (loudness-matched).
    Reference,
    /// The reference follows the play head, or runs free of it.
    ReferenceFree,
    /// Move a free-running reference back.
    ReferenceBack,
    /// Move a free-running reference forward.
    ReferenceForward,
    /// Monitor: stereo, mono (L+R) or side (L-R).
    MonitorStereo,
    /// Monitor: swap left and right.
    MonitorSwap,
    /// Monitor: dim by 20 dB.
    MonitorDim,
    /// Monitor: mute everything (the panic key).
    MonitorMute,
    /// Monitor: the next playback-system preset.
    MonitorPreset,
    /// Monitor: back to plain stereo, no preset, no dim, no mute.
    MonitorReset,
    /// Show or hide the help screen.
    Help,
    /// In a question, list or prompt: take the answer, the item or the text (an exercise
    /// step: done, on to the next step).
    Confirm,
    /// Close a question, list or prompt without doing anything (an exercise step: asks to
    /// leave the exercise).
    Cancel,
    /// Close a list, an exercise's panel or its results.
    Back,
    /// Quit from a question, list or prompt (asks when there are unsaved edits).
    QuitNow,
    /// Answer yes.
    Yes,
    /// Answer no.
    No,
    /// Quitting with unsaved edits: save, then quit.
    SaveAndQuit,
    /// Recover the edits a crash left in the journal.
    Recover,
    /// Set the crash journal aside under another name, keeping it.
    SetAside,
    /// Discard the edits a crash left in the journal.
    Discard,
    /// The session is open in another earmix: listen read-only.
    ListenReadOnly,
    /// The session file changed on disk: load it (your edits on top).
    Reload,
    /// The session file changed on disk: write this mix over it.
    Overwrite,
    /// The session file changed on disk: save this mix as a new file.
    SaveAsNew,
    /// In a prompt: delete the character before the cursor.
    DeleteBack,
    /// Snapshots: rename the highlighted one (asks for the name).
    RenameSnapshot,
    /// Snapshots: delete the highlighted one.
    DeleteSnapshot,
    /// Snapshots: compare the highlighted one with the mix; while comparing, flip A and B.
    CompareVersions,
    /// In a list: the item above.
    ListUp,
    /// In a list: the item below.
    ListDown,
    /// In a list: the first item.
    ListFirst,
    /// In a list: the last item.
    ListLast,
    /// Results: the next page.
    NextPage,
    /// Results: the page before.
    PreviousPage,
    /// An exercise's panel: change how it is set up (its sections, or how the faders start).
    SetUp,
    /// The drill's panel: choose the level.
    ChooseLevel,
    /// The drill's panel: choose the balance to match.
    ChooseTarget,
    /// Results: keep the balance found (one undo step, saved).
    Keep,
    /// Results: the same drill level again.
    Retry,
    /// Results: the next drill level.
    NextLevel,
    /// Leaving blind mode: take the hidden offsets back out, keeping the moves made by ear.
    Revert,
}

impl Action {
    /// Every action, in the order the help screen lists them.
    pub const ALL: &'static [Action] = &[
        Action::SelectPrevious,
        Action::SelectNext,
        Action::SelectStrip(1),
        Action::SelectStrip(2),
        Action::SelectStrip(3),
        Action::SelectStrip(4),
        Action::SelectStrip(5),
        Action::SelectStrip(6),
        Action::SelectStrip(7),
        Action::SelectStrip(8),
        Action::SelectStrip(9),
        Action::CycleFocus,
        Action::Nudge {
            direction: Direction::Up,
            step: Step::Fine,
        },
        Action::Nudge {
            direction: Direction::Down,
            step: Step::Fine,
        },
        Action::Nudge {
            direction: Direction::Up,
            step: Step::Coarse,
        },
        Action::Nudge {
            direction: Direction::Down,
            step: Step::Coarse,
        },
        Action::Nudge {
            direction: Direction::Up,
            step: Step::Finer,
        },
        Action::Nudge {
            direction: Direction::Down,
            step: Step::Finer,
        },
        Action::Unity,
        Action::TrimMode,
        Action::Mute,
        Action::Solo,
        Action::ClearSolos,
        Action::PanLeft,
        Action::PanRight,
        Action::PlayPause,
        Action::ToStart,
        Action::PreviousSection,
        Action::NextSection,
        Action::LoopSection,
        Action::EditMode,
        Action::Compare,
        Action::CopyScene,
        Action::ClearScene,
        Action::SectionStartHere,
        Action::NextSectionHere,
        Action::AddSection,
        Action::Snapshots,
        Action::TakeSnapshot,
        Action::RemoveSection,
        Action::ArcView,
        Action::RideMode,
        Action::ClearRideSection,
        Action::ClearRide,
        Action::TrimRide(Direction::Up),
        Action::TrimRide(Direction::Down),
        Action::ResetPeaks,
        Action::Undo,
        Action::Redo,
        Action::Save,
        Action::Blind,
        Action::BlindMetersOff,
        Action::Exercises,
        Action::Learn,
        Action::Reference,
        Action::ReferenceFree,
        Action::ReferenceBack,
        Action::ReferenceForward,
        Action::MonitorStereo,
        Action::MonitorSwap,
        Action::MonitorDim,
        Action::MonitorMute,
        Action::MonitorPreset,
        Action::MonitorReset,
        Action::Help,
        Action::Quit,
        Action::Confirm,
        Action::Cancel,
        Action::Back,
        Action::QuitNow,
        Action::Yes,
        Action::No,
        Action::SaveAndQuit,
        Action::Recover,
        Action::SetAside,
        Action::Discard,
        Action::ListenReadOnly,
        Action::Reload,
        Action::Overwrite,
        Action::SaveAsNew,
        Action::DeleteBack,
        Action::RenameSnapshot,
        Action::DeleteSnapshot,
        Action::CompareVersions,
        Action::ListUp,
        Action::ListDown,
        Action::ListFirst,
        Action::ListLast,
        Action::NextPage,
        Action::PreviousPage,
        Action::SetUp,
        Action::ChooseLevel,
        Action::ChooseTarget,
        Action::Keep,
        Action::Retry,
        Action::NextLevel,
        Action::Revert,
    ];

    /// Whether the action belongs to the boxes over the mixer (questions, lists, prompts, an
    /// exercise's panel and results) rather than to the mixer itself.
    pub fn is_box_action(&self) -> bool {
        matches!(
            self,
            Action::Confirm
                | Action::Cancel
                | Action::Back
                | Action::QuitNow
                | Action::Yes
                | Action::No
                | Action::SaveAndQuit
                | Action::Recover
                | Action::SetAside
                | Action::Discard
                | Action::ListenReadOnly
                | Action::Reload
                | Action::Overwrite
                | Action::SaveAsNew
                | Action::DeleteBack
                | Action::RenameSnapshot
                | Action::DeleteSnapshot
                | Action::CompareVersions
                | Action::ListUp
                | Action::ListDown
                | Action::ListFirst
                | Action::ListLast
                | Action::NextPage
                | Action::PreviousPage
                | Action::SetUp
                | Action::ChooseLevel
                | Action::ChooseTarget
                | Action::Keep
                | Action::Retry
                | Action::NextLevel
                | Action::Revert
        )
    }

    /// The action's name in `keymap.toml`, e.g. `nudge_up_fine` or `select_strip_3`.
    ///
    /// A [`SelectStrip`](Action::SelectStrip) outside 1 to 9 has no key of its own and is named
    /// `select_strip`.
    #[allow(clippy::too_many_lines)] // a flat table: one arm per action
    pub fn name(&self) -> &'static str {
        match self {
            Action::SelectPrevious => "select_previous",
            Action::SelectNext => "select_next",
            Action::SelectStrip(n) => match n {
                1 => "select_strip_1",
                2 => "select_strip_2",
                3 => "select_strip_3",
                4 => "select_strip_4",
                5 => "select_strip_5",
                6 => "select_strip_6",
                7 => "select_strip_7",
                8 => "select_strip_8",
                9 => "select_strip_9",
                _ => "select_strip",
            },
            Action::CycleFocus => "cycle_focus",
            Action::Nudge { direction, step } => match (direction, step) {
                (Direction::Up, Step::Fine) => "nudge_up_fine",
                (Direction::Down, Step::Fine) => "nudge_down_fine",
                (Direction::Up, Step::Coarse) => "nudge_up_coarse",
                (Direction::Down, Step::Coarse) => "nudge_down_coarse",
                (Direction::Up, Step::Finer) => "nudge_up_finer",
                (Direction::Down, Step::Finer) => "nudge_down_finer",
            },
            Action::Unity => "unity",
            Action::Mute => "mute",
            Action::Solo => "solo",
            Action::ClearSolos => "clear_solos",
            Action::TrimMode => "trim_mode",
            Action::PanLeft => "pan_left",
            Action::PanRight => "pan_right",
            Action::PlayPause => "play_pause",
            Action::ToStart => "to_start",
            Action::PreviousSection => "previous_section",
            Action::NextSection => "next_section",
            Action::LoopSection => "loop_section",
            Action::EditMode => "edit_mode",
            Action::Compare => "compare",
            Action::CopyScene => "copy_scene",
            Action::ClearScene => "clear_scene",
            Action::SectionStartHere => "section_start_here",
            Action::NextSectionHere => "next_section_here",
            Action::AddSection => "add_section",
            Action::Snapshots => "snapshots",
            Action::TakeSnapshot => "take_snapshot",
            Action::RemoveSection => "remove_section",
            Action::ArcView => "arc_view",
            Action::RideMode => "ride_mode",
            Action::ClearRideSection => "clear_ride_section",
            Action::ClearRide => "clear_ride",
            Action::TrimRide(Direction::Up) => "ride_up",
            Action::TrimRide(Direction::Down) => "ride_down",
            Action::ResetPeaks => "reset_peaks",
            Action::Undo => "undo",
            Action::Redo => "redo",
            Action::Save => "save",
            Action::Quit => "quit",
            Action::Blind => "blind",
            Action::BlindMetersOff => "blind_meters_off",
            Action::Exercises => "exercises",
            Action::Learn => "learn",
            Action::Reference => "reference",
            Action::ReferenceFree => "reference_free",
            Action::ReferenceBack => "reference_back",
            Action::ReferenceForward => "reference_forward",
            Action::MonitorStereo => "monitor_stereo",
            Action::MonitorSwap => "monitor_swap",
            Action::MonitorDim => "monitor_dim",
            Action::MonitorMute => "monitor_mute",
            Action::MonitorPreset => "monitor_preset",
            Action::MonitorReset => "monitor_reset",
            Action::Help => "help",
            Action::Confirm => "confirm",
            Action::Cancel => "cancel",
            Action::Back => "back",
            Action::QuitNow => "quit_now",
            Action::Yes => "yes",
            Action::No => "no",
            Action::SaveAndQuit => "save_and_quit",
            Action::Recover => "recover",
            Action::SetAside => "set_aside",
            Action::Discard => "discard",
            Action::ListenReadOnly => "listen_read_only",
            Action::Reload => "reload",
            Action::Overwrite => "overwrite",
            Action::SaveAsNew => "save_as_new",
            Action::DeleteBack => "delete_back",
            Action::RenameSnapshot => "rename_snapshot",
            Action::DeleteSnapshot => "delete_snapshot",
            Action::CompareVersions => "compare_versions",
            Action::ListUp => "list_up",
            Action::ListDown => "list_down",
            Action::ListFirst => "list_first",
            Action::ListLast => "list_last",
            Action::NextPage => "next_page",
            Action::PreviousPage => "previous_page",
            Action::SetUp => "set_up",
            Action::ChooseLevel => "choose_level",
            Action::ChooseTarget => "choose_target",
            Action::Keep => "keep",
            Action::Retry => "retry",
            Action::NextLevel => "next_level",
            Action::Revert => "revert",
        }
    }

    /// The action named `name` in `keymap.toml`, if there is one.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// One short line for the help screen, written for the user.
    #[allow(clippy::too_many_lines)] // a flat table: one arm per action
    pub fn desc(&self) -> &'static str {
        match self {
            Action::SelectPrevious => "Select the strip to the left",
            Action::SelectNext => "Select the strip to the right",
            Action::SelectStrip(n) => match n {
                1 => "Select strip 1",
                2 => "Select strip 2",
                3 => "Select strip 3",
                4 => "Select strip 4",
                5 => "Select strip 5",
                6 => "Select strip 6",
                7 => "Select strip 7",
                8 => "Select strip 8",
                9 => "Select strip 9",
                _ => "Select a strip by its number",
            },
            Action::CycleFocus => "Move the focus between the strips and the master",
            Action::Nudge { direction, step } => match (direction, step) {
                (Direction::Up, Step::Fine) => "Fader up a fine step",
                (Direction::Down, Step::Fine) => "Fader down a fine step",
                (Direction::Up, Step::Coarse) => "Fader up a coarse step",
                (Direction::Down, Step::Coarse) => "Fader down a coarse step",
                (Direction::Up, Step::Finer) => "Fader up the finest step",
                (Direction::Down, Step::Finer) => "Fader down the finest step",
            },
            Action::Unity => "Fader to 0 dB (unity)",
            Action::Mute => "Mute or unmute the strip",
            Action::Solo => "Solo or unsolo the strip",
            Action::ClearSolos => "Clear all solos",
            Action::TrimMode => "Trim mode on/off: the fader keys move the trim",
            Action::PanLeft => "Pan left",
            Action::PanRight => "Pan right",
            Action::PlayPause => "Play or pause",
            Action::ToStart => "Back to the start",
            Action::PreviousSection => "Previous section",
            Action::NextSection => "Next section",
            Action::LoopSection => "Loop the current section on/off",
            Action::EditMode => "Edit the base mix or this section's scene",
            Action::Compare => "Compare: base mix, no scenes or rides, on/off",
            Action::CopyScene => "Copy another section's scene into this one",
            Action::ClearScene => "Clear this section's scene",
            Action::SectionStartHere => "This section starts at the play head",
            Action::NextSectionHere => "The next section starts at the play head",
            Action::AddSection => "Add a section at the play head",
            Action::Snapshots => "Mix snapshots: recall, rename, delete",
            Action::TakeSnapshot => "Take a snapshot of the mix",
            Action::RemoveSection => "Remove this section",
            Action::ArcView => "Arc view: levels across the sections",
            Action::RideMode => "Ride mode: read, touch, latch, off",
            Action::ClearRideSection => "Clear the strip's ride in this section",
            Action::ClearRide => "Clear the strip's whole ride",
            Action::TrimRide(Direction::Up) => "Ride up 0.5 dB in this section",
            Action::TrimRide(Direction::Down) => "Ride down 0.5 dB in this section",
            Action::ResetPeaks => "Reset peak holds and clip lamps",
            Action::Undo => "Undo",
            Action::Redo => "Redo",
            Action::Save => "Save the session",
            Action::Quit => "Quit (asks when there are unsaved edits)",
            Action::Blind => "Blind mode on/off: hide every number",
            Action::BlindMetersOff => "Blind mode with the meters hidden too",
            Action::Exercises => "Exercises: train your ear",
            Action::Learn => "Learn a MIDI control for this strip or a button",
            Action::Reference => "Reference or mix, matched in loudness",
            Action::ReferenceFree => "Reference follows the play head or runs free",
            Action::ReferenceBack => "Free-running reference back 5 s",
            Action::ReferenceForward => "Free-running reference forward 5 s",
            Action::MonitorStereo => "Monitor: stereo, mono (L+R), side (L-R)",
            Action::MonitorSwap => "Monitor: swap left and right on/off",
            Action::MonitorDim => "Monitor: dim 20 dB on/off",
            Action::MonitorMute => "Monitor: mute everything on/off (panic)",
            Action::MonitorPreset => "Monitor: next playback system (phone, car...)",
            Action::MonitorReset => "Monitor: plain stereo again",
            Action::Help => "Show or hide this help",
            Action::Confirm => "Confirm: answer, take the item or the text",
            Action::Cancel => "Cancel: close without doing anything",
            Action::Back => "Close a list, a panel or the results",
            Action::QuitNow => "Quit from a box (asks when not saved)",
            Action::Yes => "Answer yes",
            Action::No => "Answer no",
            Action::SaveAndQuit => "Quit question: save, then quit",
            Action::Recover => "Recover the edits a crash left",
            Action::SetAside => "Set the crash journal aside (kept)",
            Action::Discard => "Discard the edits a crash left",
            Action::ListenReadOnly => "Open elsewhere: listen read-only",
            Action::Reload => "Changed on disk: load the file again",
            Action::Overwrite => "Changed on disk: write this mix over it",
            Action::SaveAsNew => "Changed on disk: save as a new file",
            Action::DeleteBack => "Prompt: delete the last character",
            Action::RenameSnapshot => "Snapshots: rename this one",
            Action::DeleteSnapshot => "Snapshots: delete this one",
            Action::CompareVersions => "Snapshots: compare with the mix; flip A/B",
            Action::ListUp => "List: the item above",
            Action::ListDown => "List: the item below",
            Action::ListFirst => "List: the first item",
            Action::ListLast => "List: the last item",
            Action::NextPage => "Results: next page",
            Action::PreviousPage => "Results: page before",
            Action::SetUp => "Exercise: other sections, or how it starts",
            Action::ChooseLevel => "Drill: choose the level",
            Action::ChooseTarget => "Drill: choose the balance to match",
            Action::Keep => "Results: keep this balance (saved)",
            Action::Retry => "Results: this drill level again",
            Action::NextLevel => "Results: the next drill level",
            Action::Revert => "Leaving blind: take the offsets out",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action's config name leads back to that action, and no two actions share a name.
    #[test]
    fn names_round_trip_and_are_unique() {
        for (i, action) in Action::ALL.iter().enumerate() {
            assert_eq!(
                Action::from_name(action.name()),
                Some(*action),
                "{action:?}"
            );
            for other in &Action::ALL[i + 1..] {
                assert_ne!(action.name(), other.name(), "{action:?} and {other:?}");
                assert_ne!(action, other, "listed twice in Action::ALL");
            }
        }
        assert_eq!(Action::from_name("select_strip_10"), None);
        assert_eq!(Action::from_name("select_strip"), None);
        assert_eq!(Action::from_name("Mute"), None);
        assert_eq!(
            Action::from_name("nudge_down_coarse"),
            Some(Action::Nudge {
                direction: Direction::Down,
                step: Step::Coarse
            })
        );
    }

    /// Help descriptions are distinct single short lines that start with a capital letter.
    #[test]
    fn descriptions_are_distinct_short_lines() {
        for (i, action) in Action::ALL.iter().enumerate() {
            let desc = action.desc();
            assert!(!desc.contains('\n'), "{desc}");
            assert!(
                desc.len() <= 50,
                "too long for an 80-column help line: {desc}"
            );
            assert!(desc.starts_with(char::is_uppercase), "{desc}");
            assert!(!desc.ends_with('.'), "{desc}");
            for other in &Action::ALL[i + 1..] {
                assert_ne!(desc, other.desc(), "{action:?} and {other:?}");
            }
        }
    }
}
