//! The exercise runner in the console: what every guided exercise shares (see
//! [`crate::app::exercises`] for the steps and how an exercise plugs in). The list, the panels
//! and "Leave the exercise?" are boxes (`boxes`); each exercise's own steps, measurements and
//! results are its [`ExerciseFlow`].
//!
//! An exercise works on the mix in the console but never leaves a trace in it unless the user
//! keeps the result: when it starts, the mix, the undo history, the crash journal, the
//! console's modes, the loop, the monitor and what is heard (the mix or the reference) are put
//! aside; the exercise's fader moves are neither journalled nor in the user's undo history;
//! when it ends, everything put aside comes back and the engine is told the restored mix and
//! listening. Keeping a result then applies it as one undo step and saves the session
//! (atomically, like `ctrl-s`).

mod boxes;
#[cfg(test)]
mod pan_drill;

use std::time::Instant;

use self::boxes::{ExerciseIntro, ExercisePick, LeaveExercise};
use super::{App, Outcome};
use crate::app::action::{Action, Direction, Step as Stride};
use crate::app::context::Context;
use crate::app::effect::Effect;
use crate::app::exercises::abx::{TRIAL_CHOICES, Versus, setup as abx_setup};
use crate::app::exercises::{
    Bench, ExerciseFlow, Finished, Handled, Keep, Setup, consistency, flow_for, guess,
    instruction_lines, pan, reference,
};
use crate::app::journal::Journal;
use crate::app::mixer::Mixer;
use crate::app::mode::info::Info;
use crate::app::undo::UndoStack;
use crate::engine::monitor::MonitorState;
use crate::engine::protocol::Listen;
use crate::exercise::Exercise;
use crate::exercise::drill::{self, TargetSource};
use crate::exercise::emotional;
use crate::exercise::history::History;
use crate::session::Session;
use crate::ui::view::{BlindLevel, ExerciseBanner, Focus, Overlay, ResultsView};
use crate::units::Seconds;

/// Which list a set-up choice shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Choice {
    /// The Emotional Arc's first section.
    First,
    /// The Emotional Arc's second section.
    Second,
    /// The drill's level.
    Level,
    /// The drill's target.
    Target,
}

/// What the console had before the exercise, put back when it ends.
#[allow(clippy::struct_excessive_bools)] // the console's switches, each its own
struct Stash {
    session: Session,
    undo: UndoStack,
    journal: Option<Journal>,
    blind: BlindLevel,
    comparing: bool,
    scene_mode: bool,
    trim_mode: bool,
    focus: Focus,
    selected: usize,
    loop_region: Option<(Seconds, Seconds)>,
    monitor: MonitorState,
    listen: Listen,
    reference_free: bool,
}

impl Stash {
    /// Puts aside what the user had in `mixer` (the session stays, as the exercise's start).
    fn take(mixer: &mut Mixer, monitor: MonitorState) -> Self {
        let transport = mixer.transport;
        Self {
            session: mixer.session.clone(),
            undo: std::mem::take(&mut mixer.undo),
            journal: mixer.journal.take(),
            blind: mixer.blind,
            comparing: mixer.comparing,
            scene_mode: mixer.scene_mode,
            trim_mode: mixer.trim_mode,
            focus: mixer.focus,
            selected: mixer.selected,
            loop_region: transport.loop_region,
            monitor,
            listen: transport.listen,
            reference_free: transport.reference_free,
        }
    }
}

/// The results screen, a page at a time (Tab turns): the table and chart with as much of the
/// reading as fits, then `more` pages (another table: the same box with other rows), then the
/// reading on its own.
struct Results {
    view: Box<ResultsView>,
    more: Vec<ResultsView>,
    keep: Keep,
    page: usize,
}

/// An exercise in progress.
pub(super) struct Run {
    flow: Box<dyn ExerciseFlow>,
    stash: Stash,
    /// Once finished.
    results: Option<Results>,
}

/// Takes the drill level asked for (`earmix exercise drill --level N`) when it can open;
/// otherwise the set-up keeps its level and the sentence returned says which level opens and
/// why, for the top of the panel.
fn setup_level(setup: &mut Setup, level: u32) -> Option<String> {
    if setup.kind != Exercise::Drill {
        return Some(format!(
            "--level is for the level-matching drill only; the {} has no levels.",
            setup.kind.title()
        ));
    }
    let opens = setup.level;
    if drill::level(level).is_none() {
        return Some(format!(
            "There is no level {level} (the drill has levels 1 to {}): level {opens} opens, \
             the highest you have unlocked.",
            drill::LADDER.len()
        ));
    }
    if level > setup.unlocked {
        return Some(format!(
            "Level {level} is locked: level {opens} opens, the highest you have unlocked. Pass \
             level {} to unlock level {}.",
            setup.unlocked,
            setup.unlocked + 1
        ));
    }
    setup.level = level;
    None
}

/// The exercise runner: the set-up, the steps, the results and what is kept.
impl App {
    /// Sets the history file finished exercises are recorded in (`None`: not recorded).
    pub fn set_history(&mut self, history: Option<History>) {
        self.history = history;
    }

    /// Whether an exercise is running (from its first blind step to its results screen).
    pub fn in_exercise(&self) -> bool {
        self.exercise.is_some()
    }

    /// Opens the exercise list (`E`).
    pub(super) fn open_exercise_list(&mut self) {
        if self.exercise.is_some() {
            self.mixer.message = Some("An exercise is running (Esc leaves it)".to_string());
            return;
        }
        self.open(ExercisePick::default());
    }

    /// Opens the instruction panel of `kind` (the command line's `earmix exercise NAME`), at
    /// drill level `level` when given.
    pub fn open_exercise(&mut self, kind: Exercise, level: Option<u32>) {
        if let Some(mut setup) = self.setup_for(kind) {
            if let Some(level) = level {
                setup.note = setup_level(&mut setup, level);
            }
            self.open(ExerciseIntro { setup });
        }
    }

    /// The set-up of `kind` for this session, or a message saying why it cannot run here.
    fn setup_for(&mut self, kind: Exercise) -> Option<Setup> {
        if self.mixer.blind.hides_numbers() {
            self.mixer.message =
                Some("Leave blind mode first (b): an exercise runs its own".to_string());
            return None;
        }
        let playing = self
            .mixer
            .session
            .channels
            .iter()
            .filter(|c| !c.mute && !c.gain_db.is_off())
            .count();
        if playing < 2 {
            self.mixer.message = Some(format!(
                "The {} needs at least two channels that play (not muted, fader not off)",
                kind.title()
            ));
            return None;
        }
        let mut setup = Setup {
            kind,
            pair: None,
            level: 1,
            unlocked: 1,
            sources: Vec::new(),
            source: 0,
            scrambled: false,
            sizes: false,
            versions: Vec::new(),
            version: 0,
            against: Vec::new(),
            versus: 0,
            trials: TRIAL_CHOICES[0],
            note: None,
        };
        match self.prepare(&mut setup) {
            Ok(()) => Some(setup),
            Err(why) => {
                self.mixer.message = Some(why);
                None
            }
        }
    }

    /// Fills in what `setup`'s exercise offers on this session, or says why it cannot run
    /// here.
    fn prepare(&self, setup: &mut Setup) -> Result<(), String> {
        let session = &self.mixer.session;
        match setup.kind {
            Exercise::Blindfold | Exercise::Guess => {}
            Exercise::Abx => abx_setup(session, setup)?,
            Exercise::Reference => {
                if session.reference.is_none() {
                    return Err(
                        "Reference Deconstruction needs a session with a [reference] \
                                (the band demo has one: earmix exercise reference)"
                            .to_string(),
                    );
                }
            }
            Exercise::Arc => {
                let pair = emotional::default_pair(&session.sections).ok_or_else(|| {
                    "The Emotional Arc Exercise needs a session with at least two sections"
                        .to_string()
                })?;
                setup.pair = Some(pair);
            }
            Exercise::Consistency => setup.pair = Some(consistency::sections(session)?),
            Exercise::Drill => {
                let records = self
                    .history
                    .as_ref()
                    .and_then(|h| h.read().ok())
                    .map(|loaded| loaded.records)
                    .unwrap_or_default();
                setup.unlocked = drill::highest_unlocked(&records);
                setup.level = setup.unlocked;
                setup.sources = drill::target_sources(session);
                // The fullest balance first: the reference, then a chorus's scene.
                let sections = &session.sections;
                setup.sources.sort_by_key(|(source, _)| match source {
                    TargetSource::Reference => 0,
                    TargetSource::Scene { section }
                        if sections[*section].name.to_lowercase().contains("chorus") =>
                    {
                        1
                    }
                    TargetSource::Scene { .. } => 2,
                    TargetSource::Saved => 3,
                });
                if setup.sources.is_empty() {
                    return Err("This session offers no balance to match".to_string());
                }
            }
            Exercise::Pan => {
                setup.sources = pan::sources(session);
                if setup.sources.is_empty() {
                    return Err(
                        "The pan drill needs a part that plays off centre (the band \
                                demo has a stereo picture: earmix exercise pan)"
                            .to_string(),
                    );
                }
            }
        }
        Ok(())
    }

    /// The instruction panel's lines: first why it opens at another drill level than the one
    /// asked for, if it does.
    fn intro_lines(&self, setup: &Setup) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(note) = &setup.note {
            lines.push(note.clone());
            lines.push(String::new());
        }
        lines.extend(instruction_lines(setup.kind));
        match setup.kind {
            Exercise::Guess => lines.push(guess::intro(setup.sizes, &self.keymap)),
            Exercise::Blindfold => lines.push(format!(
                "The faders move up to {:.0} dB either way. The song loops; L loops the \
                 section under the play head instead.",
                self.exercise_config.scramble_db
            )),
            Exercise::Abx => lines.push(format!(
                "A: snapshot {}. B: {}. {} trials.",
                setup.versions.get(setup.version).map_or("", String::as_str),
                setup
                    .against
                    .get(setup.versus)
                    .map_or_else(String::new, Versus::describe),
                setup.trials
            )),
            Exercise::Reference => lines.extend(reference::intro(
                setup,
                &self.exercise_config,
                self.users_mix(),
            )),
            Exercise::Consistency => lines.extend(consistency::intro(
                setup,
                &self.exercise_config,
                self.users_mix(),
            )),
            Exercise::Arc => {
                if let Some((a, b)) = setup.pair {
                    lines.push(format!(
                        "Sections: {} first, then {}. The faders move up to {:.0} dB either way.",
                        self.mixer.session.sections[a].name,
                        self.mixer.session.sections[b].name,
                        self.exercise_config.scramble_db
                    ));
                }
            }
            Exercise::Drill => {
                if let Some(level) = drill::level(setup.level) {
                    lines.push(level.describe());
                }
                if let Some((_, label)) = setup.sources.get(setup.source) {
                    lines.push(format!("The target: {label}."));
                }
                if setup.unlocked < drill::LADDER.len() as u32 {
                    let n = setup.unlocked;
                    lines.push(if n == 1 {
                        "Pass level 1 to unlock level 2.".to_string()
                    } else {
                        format!(
                            "Unlocked: levels 1 to {n}. Pass level {n} to unlock level {}.",
                            n + 1
                        )
                    });
                }
            }
            Exercise::Pan => lines.extend(pan::intro(setup)),
        }
        lines
    }

    /// The items of a set-up list.
    fn choice_items(&self, setup: &Setup, choice: Choice) -> Vec<String> {
        match choice {
            Choice::First | Choice::Second => self
                .mixer
                .session
                .sections
                .iter()
                .map(|s| s.name.clone())
                .collect(),
            Choice::Level => drill::LADDER
                .iter()
                .map(|level| {
                    if level.number <= setup.unlocked {
                        level.describe()
                    } else {
                        format!("{} (locked)", level.describe())
                    }
                })
                .collect(),
            Choice::Target => setup.sources.iter().map(|(_, l)| l.clone()).collect(),
        }
    }

    /// Runs `f` on the exercise's flow with its bench: the exercise's mix and the user's put
    /// aside.
    fn with_flow<T>(
        &mut self,
        f: impl FnOnce(&mut dyn ExerciseFlow, &mut Bench<'_>) -> T,
    ) -> Option<T> {
        let run = self.exercise.as_mut()?;
        let mut bench = Bench {
            mixer: &mut self.mixer,
            before: &run.stash.session,
            config: &self.exercise_config,
            targets: &self.targets,
            keymap: &self.keymap,
        };
        Some(f(run.flow.as_mut(), &mut bench))
    }

    /// Puts the console's state aside and starts the first step of `setup`.
    fn start_exercise(&mut self, setup: &Setup) {
        self.mixer.flush_journal();
        self.mixer.end_burst();
        self.mixer.glides.clear();
        let stash = Stash::take(&mut self.mixer, self.monitor);
        self.mixer.scene_mode = false;
        self.mixer.trim_mode = false;
        self.mixer.focus = Focus::Strip;
        self.mixer.selected = 0;
        // The exercise plays the base faders and the mix; the section scenes stay out of it
        // (unless the exercise brings them back) and the reference is not what is heard.
        self.mixer.comparing = false;
        self.mixer.emit(Effect::ScenesBypassed(true));
        if stash.listen == Listen::Reference {
            self.mixer.emit(Effect::Listen(Listen::Mix));
        }
        // Solos would hide parts of the balance: the exercise starts with none.
        let solos: Vec<String> = self
            .mixer
            .session
            .channels
            .iter()
            .filter(|c| c.solo)
            .map(|c| c.name.clone())
            .collect();
        self.exercise = Some(Run {
            flow: flow_for(setup),
            stash,
            results: None,
        });
        let started = self.with_flow(|flow, bench| {
            for channel in solos {
                bench.quietly(&crate::app::edit::MixEdit::Solo { channel, on: false });
            }
            flow.start(bench)
        });
        if let Some(Err(why)) = started {
            self.finish_exercise(None);
            self.mixer.message = Some(why);
            return;
        }
        self.mixer.blind = BlindLevel::MetersOff;
        // The panel says what to do.
        self.mixer.message = None;
    }

    /// The user's mix: while an exercise runs, the one put aside (what saving would write).
    pub(super) fn users_mix(&self) -> &Session {
        self.exercise
            .as_ref()
            .map_or(&self.mixer.session, |run| &run.stash.session)
    }

    /// The exercise's panel for the view.
    pub fn exercise_banner(&self) -> Option<ExerciseBanner> {
        let run = self.exercise.as_ref()?;
        if run.results.is_some() {
            return None;
        }
        let step = run.flow.step(&self.mixer, &self.keymap);
        let key = |action: Action| self.keymap.key_label(action);
        let mut keys = Vec::new();
        if step.balancing {
            let nudge = |direction| Action::Nudge {
                direction,
                step: Stride::Fine,
            };
            keys.push((
                format!(
                    "{}/{}",
                    key(nudge(Direction::Up)),
                    key(nudge(Direction::Down))
                ),
                "fader".to_string(),
            ));
            keys.push((
                format!(
                    "{}/{}",
                    key(Action::SelectPrevious),
                    key(Action::SelectNext)
                ),
                "strip".to_string(),
            ));
        }
        keys.extend(step.keys);
        if !run.flow.waiting() {
            keys.insert(0, (key(Action::Confirm), "done".to_string()));
            keys.push((key(Action::PlayPause), "play".to_string()));
        }
        keys.push((key(Action::Help), "help".to_string()));
        keys.push((key(Action::Cancel), "leave".to_string()));
        Some(ExerciseBanner {
            title: step.title,
            step: step.text,
            keys,
            hearing: step.hearing,
        })
    }

    /// The results screen, when an exercise shows it.
    pub(super) fn results_overlay(&self) -> Option<Overlay> {
        let Results {
            view, more, page, ..
        } = self.exercise.as_ref()?.results.as_ref()?;
        let reading_page = more.len() + 1;
        let next = if *page + 1 == reading_page {
            "the reading".to_string()
        } else if *page == reading_page {
            "the table".to_string()
        } else {
            let title = &more[*page].title;
            title
                .split_once(": ")
                .map_or(title.as_str(), |(_, t)| t)
                .to_string()
        };
        let mut shown = match page.checked_sub(1).and_then(|k| more.get(k)) {
            Some(other) => ResultsView {
                answers: view.answers.clone(),
                ..other.clone()
            },
            None => ResultsView::clone(view),
        };
        if *page == reading_page {
            shown.title = format!("{}: the reading", view.title);
            shown.columns.clear();
            shown.rows.clear();
            shown.chart.clear();
        }
        shown
            .answers
            .insert(0, (self.keymap.key_label(Action::NextPage), next));
        Some(Overlay::Results(shown))
    }

    /// Where keys are pressed during the exercise (no box open): its results, or a step.
    pub(super) fn exercise_context(&self) -> Option<Context> {
        Some(if self.exercise.as_ref()?.results.is_some() {
            Context::Results
        } else {
            Context::ExerciseStep
        })
    }

    /// An action during the exercise (no box open): on its results, or in a step.
    pub(super) fn exercise_update(&mut self, action: Action, now: Instant) -> Outcome {
        let Some(run) = self.exercise.as_ref() else {
            return Outcome::Continue;
        };
        if run.results.is_some() {
            return self.results_action(action);
        }
        let kind = run.flow.kind();
        let busy = run.flow.waiting();
        match action {
            Action::Confirm => {
                if !busy
                    && let Some(Some(finished)) = self.with_flow(|flow, bench| flow.done(bench))
                {
                    self.show_results(finished);
                }
                return Outcome::Continue;
            }
            Action::Cancel | Action::Quit => {
                self.open(LeaveExercise);
                return Outcome::Continue;
            }
            Action::Help => {
                self.open(Info::new(kind.title(), self.exercise_help()));
                return Outcome::Continue;
            }
            _ if action.is_box_action() => return Outcome::Continue,
            _ if busy && action != Action::PlayPause => return Outcome::Continue,
            _ => {}
        }
        match self.with_flow(|flow, bench| flow.action(action, bench)) {
            Some(Handled::Mixer) => self.apply(action, now),
            Some(Handled::Shared) => self.shared_action(action, now),
            Some(Handled::Refused(why)) => {
                self.mixer.message = Some(why);
                Outcome::Continue
            }
            Some(Handled::Done) | None => Outcome::Continue,
        }
    }

    /// What every exercise allows: faders, mute and solo, undo, the transport and the monitor,
    /// by ear; everything else is refused.
    fn shared_action(&mut self, action: Action, now: Instant) -> Outcome {
        if shared(action) {
            self.apply(action, now)
        } else {
            self.refuse_shared(action);
            Outcome::Continue
        }
    }

    /// Whether the exercise step lets a control surface do what `action` does from the keys
    /// (true when no exercise runs); when it does not, the message line says why, as for the
    /// key. The exercise sees the action as it would see the key's (a fader move is a nudge).
    pub(in crate::app) fn exercise_allows(&mut self, action: Action) -> bool {
        let Some(run) = self.exercise.as_ref() else {
            return true;
        };
        if run.results.is_some() {
            self.mixer.message =
                Some("The exercise's results are on the screen: the mixer waits".to_string());
            return false;
        }
        if run.flow.waiting() && action != Action::PlayPause {
            return false;
        }
        match self.with_flow(|flow, bench| flow.action(action, bench)) {
            Some(Handled::Mixer) => true,
            Some(Handled::Shared) if shared(action) => true,
            Some(Handled::Shared) => {
                self.refuse_shared(action);
                false
            }
            Some(Handled::Refused(why)) => {
                self.mixer.message = Some(why);
                false
            }
            Some(Handled::Done) | None => false,
        }
    }

    /// Says why an exercise refuses an action the shared rules do not allow.
    fn refuse_shared(&mut self, action: Action) {
        self.mixer.message = Some(if action == Action::Compare {
            "There is no target to compare with in this exercise".to_string()
        } else {
            format!(
                "Not during an exercise: it is faders, mute and solo, by ear ({} leaves)",
                self.keymap.key_label(Action::Cancel)
            )
        });
    }

    /// The help during an exercise: its instructions and keys.
    fn exercise_help(&self) -> Vec<String> {
        let Some(run) = self.exercise.as_ref() else {
            return Vec::new();
        };
        let mut lines = instruction_lines(run.flow.kind());
        let nudge = |direction, step| Action::Nudge { direction, step };
        let keys = [
            Action::SelectPrevious,
            Action::SelectNext,
            nudge(Direction::Up, Stride::Fine),
            nudge(Direction::Down, Stride::Fine),
            nudge(Direction::Up, Stride::Coarse),
            nudge(Direction::Down, Stride::Coarse),
            Action::Mute,
            Action::Solo,
            Action::PlayPause,
            Action::LoopSection,
            Action::Undo,
        ];
        let names = |action: Action| self.keymap.keys_text(action);
        for action in keys {
            lines.push(format!("{:<14} {}", names(action), action.desc()));
        }
        lines.extend(run.flow.help(&self.keymap));
        lines.push(format!(
            "{:<14} Done: to the next step or the results",
            names(Action::Confirm)
        ));
        lines.push(format!(
            "{:<14} Leave the exercise (nothing recorded)",
            names(Action::Cancel)
        ));
        lines
    }

    /// Moves an exercise along between frames: what it follows, measurements arriving.
    pub(super) fn exercise_tick(&mut self) {
        if self.exercise.as_ref().is_none_or(|r| r.results.is_some()) {
            return;
        }
        if let Some(Some(finished)) = self.with_flow(|flow, bench| flow.tick(bench)) {
            self.show_results(finished);
        }
    }

    /// Whether an exercise waits for something (the console keeps ticking).
    pub(crate) fn exercise_waiting(&self) -> bool {
        self.exercise
            .as_ref()
            .is_some_and(|r| r.results.is_none() && r.flow.waiting())
    }

    /// Records the finished exercise and shows its results: the console lights up again (the
    /// results show numbers).
    fn show_results(&mut self, finished: Finished) {
        self.mixer.blind = BlindLevel::Off;
        self.mixer.message = None;
        if let Some(history) = &self.history
            && let Err(e) = history.append(&finished.record)
        {
            tracing::error!("{e}");
            self.mixer.message = Some(format!("Not recorded in the history: {e}"));
        }
        if let Some(run) = self.exercise.as_mut() {
            run.results = Some(Results {
                view: Box::new(finished.view),
                more: finished.more,
                keep: finished.keep,
                page: 0,
            });
        }
    }

    /// An action on the results screen: turn the page, keep, retry or go on a level, or go
    /// back to the mix.
    fn results_action(&mut self, action: Action) -> Outcome {
        let Some(run) = self.exercise.as_mut() else {
            return Outcome::Continue;
        };
        let retry = run.flow.retry();
        let kind = run.flow.kind();
        let Some(results) = run.results.as_mut() else {
            return Outcome::Continue;
        };
        match action {
            Action::NextPage | Action::PreviousPage => {
                let pages = results.more.len() + 2;
                results.page = if action == Action::NextPage {
                    (results.page + 1) % pages
                } else {
                    (results.page + pages - 1) % pages
                };
            }
            Action::Keep if matches!(results.keep, Keep::Edits { .. }) => {
                let keep = results.keep.clone();
                self.finish_exercise(Some(keep));
            }
            Action::Confirm | Action::Cancel | Action::Back => {
                self.finish_exercise(None);
                self.mixer.message = Some("Back to your mix, as it was".to_string());
            }
            Action::Retry | Action::NextLevel if retry.is_some() => {
                let (number, source) = retry.unwrap_or_default();
                let level = number + u32::from(action == Action::NextLevel);
                self.finish_exercise(None);
                if let Some(mut setup) = self.setup_for(kind) {
                    if level <= setup.unlocked && drill::level(level).is_some() {
                        setup.level = level;
                    }
                    if let Some(k) = setup.sources.iter().position(|(_, l)| *l == source) {
                        setup.source = k;
                    }
                    self.start_exercise(&setup);
                }
            }
            Action::QuitNow => {
                self.finish_exercise(None);
                return self.quit();
            }
            _ => {}
        }
        Outcome::Continue
    }

    /// Ends the exercise: the console's state comes back and the engine plays the user's mix
    /// again, heard as before the exercise (monitor, mix or reference); `keep` is then applied
    /// as one undo step and saved.
    pub(super) fn finish_exercise(&mut self, keep: Option<Keep>) {
        let Some(run) = self.exercise.take() else {
            return;
        };
        let stash = run.stash;
        self.mixer.session = stash.session;
        self.mixer.undo = stash.undo;
        self.mixer.journal = stash.journal;
        self.mixer.journal_pending.clear();
        self.mixer.blind = stash.blind;
        self.mixer.comparing = stash.comparing;
        self.mixer.scene_mode = stash.scene_mode;
        self.mixer.trim_mode = stash.trim_mode;
        self.mixer.focus = stash.focus;
        self.mixer.selected = stash.selected;
        self.mixer.glides.clear();
        self.mixer.end_burst();
        self.mixer.push_whole_mix();
        self.mixer
            .emit(Effect::ScenesBypassed(self.mixer.comparing));
        self.mixer.emit(Effect::Loop(stash.loop_region));
        self.monitor = stash.monitor;
        self.mixer.emit(Effect::Monitor(stash.monitor));
        self.mixer.emit(Effect::Listen(stash.listen));
        self.mixer.emit(Effect::ReferenceFree(stash.reference_free));
        if let Some(Keep::Edits { edits, done }) = keep
            && self.mixer.edit_group(edits)
            && self.save()
        {
            self.mixer.message = Some(format!("{done}; saved (u undoes)"));
        }
    }
}

/// What every exercise allows: faders, mute and solo, undo, the transport and the monitor, by
/// ear.
fn shared(action: Action) -> bool {
    matches!(
        action,
        Action::SelectPrevious
            | Action::SelectNext
            | Action::SelectStrip(_)
            | Action::Nudge { .. }
            | Action::Unity
            | Action::Mute
            | Action::Solo
            | Action::ClearSolos
            | Action::Undo
            | Action::Redo
            | Action::PlayPause
            | Action::ToStart
            | Action::PreviousSection
            | Action::NextSection
            | Action::LoopSection
            | Action::ResetPeaks
            // What is heard only: the monitor works in every exercise.
            | Action::MonitorStereo
            | Action::MonitorSwap
            | Action::MonitorDim
            | Action::MonitorMute
            | Action::MonitorPreset
            | Action::MonitorReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::effect::Transport;
    use crate::app::keymap::Keymap;
    use crate::app::state::tests::{app_for, blind_config, steps};
    use crate::units::Decibels;
    use std::path::Path;
    use std::time::Duration;

    fn panel(app: &App) -> (String, Vec<String>) {
        match app.overlay() {
            Some(Overlay::Question { title, lines, .. }) => (title, lines),
            other => panic!("expected an exercise's panel, got {other:?}"),
        }
    }

    /// A song on disk: three tone stems of 8 s (Bass, Keys, Shaker), sections Verse 1 (from 0 s,
    /// Shaker muted in its scene) and Chorus 1 (from 4 s), and a reference (the stems mixed).
    fn song(dir: &Path) -> Session {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let tone = |hz: f64, i: u32| (f64::from(i) / 48_000.0 * hz * std::f64::consts::TAU).sin();
        let parts = [("bass", 110.0), ("keys", 440.0), ("shaker", 3000.0)];
        for (name, hz) in parts {
            let mut w = hound::WavWriter::create(dir.join(format!("{name}.wav")), spec).unwrap();
            for i in 0..8 * 48_000 {
                w.write_sample((tone(hz, i) * 6000.0) as i16).unwrap();
            }
            w.finalize().unwrap();
        }
        let mut w = hound::WavWriter::create(dir.join("ref.wav"), spec).unwrap();
        for i in 0..8 * 48_000 {
            let sum: f64 = parts.iter().map(|(_, hz)| tone(*hz, i)).sum();
            w.write_sample((sum * 4000.0) as i16).unwrap();
        }
        w.finalize().unwrap();
        let text = r#"version = 1
name = "Song"
[[channel]]
name = "Bass"
file = "bass.wav"
role = "bass"
gain_db = -3.0
[[channel]]
name = "Keys"
file = "keys.wav"
role = "keys"
[[channel]]
name = "Shaker"
file = "shaker.wav"
role = "drums"
gain_db = -6.0
[[section]]
name = "Verse 1"
start = "0:00.000"
mute = ["Shaker"]
[[section]]
name = "Chorus 1"
start = "0:04.000"
[reference]
file = "ref.wav"
"#;
        let path = dir.join("session.toml");
        std::fs::write(&path, text).unwrap();
        crate::session::load(&path).unwrap()
    }

    /// An app on `session` with its crash journal, as the console opens it.
    fn console(session: Session) -> App {
        let journal = Journal::open(&session.path).ok();
        let mut app = App::new(
            session,
            Keymap::default(),
            steps(),
            blind_config(),
            journal,
            None,
        );
        app.mixer_mut().seed(11);
        app
    }

    use crate::app::mode::testing::act_on as act;

    /// Ticks until the exercise stops waiting for a measurement (at most 20 s).
    fn settle(app: &mut App, transport: &mut Transport) {
        let until = Instant::now() + Duration::from_secs(20);
        while app.exercise_waiting() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
            app.tick(Instant::now(), *transport);
            for effect in app.take_effects() {
                transport.after(&effect);
            }
        }
        assert!(!app.exercise_waiting(), "the measurement never came");
    }

    fn start(app: &mut App, kind: Exercise, transport: &mut Transport) {
        app.open_exercise(kind, None);
        assert!(matches!(app.overlay(), Some(Overlay::Question { .. })));
        act(app, Action::Confirm, transport);
        assert!(app.in_exercise(), "{:?}", app.message());
    }

    /// A coarse step up.
    const UP_COARSE: Action = Action::Nudge {
        direction: Direction::Up,
        step: Stride::Coarse,
    };

    /// Every fader of the mix in the console (session order).
    fn faders(app: &App) -> Vec<Decibels> {
        app.mixer()
            .session
            .channels
            .iter()
            .map(|c| c.gain_db)
            .collect()
    }

    fn results(app: &App) -> ResultsView {
        match app.overlay() {
            Some(Overlay::Results(view)) => view,
            other => panic!("expected the results, got {other:?}"),
        }
    }

    /// A control surface in an exercise step is refused what the keys are refused, with the
    /// same message: a fader while the drill's target plays, a pan by the shared rules; once
    /// the drill scrambles, a turn nudges the mix by ear (a level in dB is refused: the drill
    /// hides the numbers).
    #[test]
    fn surfaces_follow_the_exercise_rules() {
        use crate::control::{Arrival, Input, Source, StripRef, Target};
        let dir = tempfile::tempdir().unwrap();
        let mut app = console(song(dir.path()));
        let mut transport = Transport::default();
        start(&mut app, Exercise::Drill, &mut transport);
        settle(&mut app, &mut transport);
        let send = |app: &mut App, input: Input, transport: Transport| {
            let arrival = Arrival {
                source: Source::Mouse,
                input,
                at: Instant::now(),
            };
            app.surface(vec![arrival], transport);
            app.take_effects()
        };
        let level = |db| Input::FaderDb {
            target: Target::Strip(StripRef::Index(0)),
            db: Some(db),
        };
        let before = faders(&app);
        assert!(send(&mut app, level(-20.0), transport).is_empty());
        assert_eq!(faders(&app), before);
        assert!(
            app.message().unwrap().starts_with("This is the target"),
            "{:?}",
            app.message()
        );
        let pan = Input::Pan {
            strip: StripRef::Index(0),
            pan: 0.5,
        };
        assert!(send(&mut app, pan, transport).is_empty());
        assert!(
            app.message().unwrap().starts_with("Not during an exercise"),
            "{:?}",
            app.message()
        );
        act(&mut app, Action::Confirm, &mut transport);
        // The drill hides the numbers: a level in dB is refused, a turn nudges by ear.
        assert!(send(&mut app, level(-20.0), transport).is_empty());
        let scrambled = faders(&app);
        let turn = Input::Turn {
            turns: crate::control::Turns::Fader { coarse: false },
            target: Target::Strip(StripRef::Index(0)),
            steps: 1,
        };
        let effects = send(&mut app, turn, transport);
        assert!(
            matches!(effects[..], [Effect::Gain(0, db)] if db.0 > scrambled[0].0),
            "{effects:?} {:?}",
            app.message()
        );
    }

    /// Bug 4 of issue 16: `--level 5` on a locked level says, on the panel itself, which level
    /// opens and why (it used to open level 1 with the reason in a status message the panel
    /// covered); a level that does not exist says so; a level unlocked opens as asked.
    #[test]
    fn a_locked_level_says_which_level_opens_and_why() {
        let mut app = app_for(crate::app::edit::test_session(Path::new("s.toml")));
        app.open_exercise(Exercise::Drill, Some(5));
        let (_, lines) = panel(&app);
        assert_eq!(
            lines[0],
            "Level 5 is locked: level 1 opens, the highest you have unlocked. Pass level 1 to \
             unlock level 2."
        );
        let mut app = app_for(crate::app::edit::test_session(Path::new("s.toml")));
        app.open_exercise(Exercise::Drill, Some(9));
        assert!(
            panel(&app).1[0].starts_with("There is no level 9 (the drill has levels 1 to 5)"),
            "{:?}",
            panel(&app).1
        );
        let mut app = app_for(crate::app::edit::test_session(Path::new("s.toml")));
        app.open_exercise(Exercise::Drill, Some(1));
        assert!(!panel(&app).1[0].contains("opens"), "{:?}", panel(&app).1);
    }

    /// The Blindfold Balance Test from start to keep: the start scrambles the faders out of
    /// the user's mix (not journalled), a fader move is the exercise's own, Enter measures and
    /// shows the results (faders, a score against the role targets), and keeping makes the
    /// exercise's faders one undo step of the user's mix, saved; the panel is gone after.
    #[test]
    fn blindfold_runs_from_start_to_keep() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = console(song(dir.path()));
        let mut transport = Transport::default();
        let before = faders(&app);
        start(&mut app, Exercise::Blindfold, &mut transport);
        let banner = app.exercise_banner().unwrap();
        assert_eq!(banner.title, "Blindfold Balance Test");
        assert_eq!(banner.keys[0], ("Enter".to_string(), "done".to_string()));
        assert_eq!(app.mixer().blind(), BlindLevel::MetersOff);
        let scrambled = faders(&app);
        assert_ne!(scrambled, before);
        assert_eq!(app.users_mix().channels[0].gain_db, before[0]);
        assert!(transport.playing);
        act(&mut app, UP_COARSE, &mut transport);
        assert!(!app.unsaved(), "the exercise's moves are not the user's");
        act(&mut app, Action::Confirm, &mut transport);
        settle(&mut app, &mut transport);
        let view = results(&app);
        assert_eq!(view.title, "Blindfold Balance Test: what you did");
        assert_eq!(view.rows.len(), 3);
        assert!(
            view.answers
                .iter()
                .any(|(k, a)| k == "k" && a == "keep this balance"),
            "{:?}",
            view.answers
        );
        let kept = faders(&app);
        act(&mut app, Action::Keep, &mut transport);
        assert!(!app.in_exercise());
        assert_eq!(faders(&app), kept);
        assert!(!app.unsaved(), "kept and saved");
        assert_eq!(app.mixer().blind(), BlindLevel::Off);
        act(&mut app, Action::Undo, &mut transport);
        assert_eq!(faders(&app), before);
    }

    /// Bug 1 of issue 16: the Emotional Arc balances with the sections' own mutes bypassed, so
    /// keeping writes what was heard: a part muted in the old scene that played while the user
    /// balanced plays in the kept scene (its old `mute` entry is gone), and a part the user
    /// muted while balancing is muted there. The second step starts from the same place.
    #[test]
    fn arc_keeps_the_mutes_that_were_heard() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = console(song(dir.path()));
        let mut transport = Transport::default();
        start(&mut app, Exercise::Arc, &mut transport);
        let banner = app.exercise_banner().unwrap();
        assert!(
            banner.title.ends_with("Verse 1, first of two"),
            "{}",
            banner.title
        );
        let start_faders = faders(&app);
        // Verse 1: the shaker (muted in the old scene) is heard and set by ear.
        act(&mut app, Action::SelectStrip(3), &mut transport);
        act(&mut app, UP_COARSE, &mut transport);
        let shaker_verse = app.mixer().session.channels[2].gain_db;
        act(&mut app, Action::Confirm, &mut transport);
        assert!(
            app.exercise_banner()
                .unwrap()
                .title
                .ends_with("Chorus 1, second of two")
        );
        let second_start = faders(&app);
        assert_eq!(
            second_start, start_faders,
            "the second step starts where the first did"
        );
        // Chorus 1: the keys muted by the user.
        act(&mut app, Action::SelectStrip(2), &mut transport);
        act(&mut app, Action::Mute, &mut transport);
        act(&mut app, Action::Confirm, &mut transport);
        let view = results(&app);
        assert!(
            view.title.starts_with("Emotional Arc: Verse 1 to Chorus 1"),
            "{}",
            view.title
        );
        act(&mut app, Action::Keep, &mut transport);
        let sections = &app.mixer().session.sections;
        assert!(sections[0].mute.is_empty(), "{:?}", sections[0].mute);
        assert_eq!(sections[0].scene_gain("Shaker"), Some(shaker_verse));
        assert_eq!(sections[1].mute, vec!["Keys".to_string()]);
        // What is saved is what was kept.
        let saved = crate::session::load(&app.mixer().session.path).unwrap();
        assert!(saved.sections[0].mute.is_empty());
    }

    /// Bug 3 of issue 16: leaving any exercise restores what was heard before it: the
    /// reference heard before Reference Deconstruction (which starts on the mix) is heard
    /// again after Esc, with the monitor as it was; the status line's "as it was" is true.
    #[test]
    fn leaving_an_exercise_restores_listening_and_the_monitor() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = console(song(dir.path()));
        let mut transport = Transport {
            has_reference: true,
            ..Transport::default()
        };
        act(&mut app, Action::MonitorDim, &mut transport);
        act(&mut app, Action::Reference, &mut transport);
        assert_eq!(transport.listen, Listen::Reference);
        start(&mut app, Exercise::Reference, &mut transport);
        assert_eq!(
            transport.listen,
            Listen::Mix,
            "the exercise starts on the mix"
        );
        act(&mut app, Action::Reference, &mut transport);
        assert_eq!(transport.listen, Listen::Reference);
        act(&mut app, Action::ReferenceFree, &mut transport);
        act(&mut app, Action::MonitorReset, &mut transport);
        assert!(!app.monitor().dim);
        act(&mut app, Action::Cancel, &mut transport);
        let effects = act(&mut app, Action::Yes, &mut transport);
        assert!(!app.in_exercise());
        assert_eq!(
            app.message(),
            Some("Left the exercise: the mix is as it was")
        );
        assert_eq!(transport.listen, Listen::Reference);
        assert!(!transport.reference_free);
        assert!(app.monitor().dim);
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Monitor(m) if m.dim)),
            "{effects:?}"
        );
    }

    /// Reference Deconstruction from start to results: the faders start flat at 0 dB, trims
    /// and the reference flip work, pan is refused, Enter measures both sides and the results
    /// have the sections page; leaving from the results puts the mix back untouched.
    #[test]
    fn reference_deconstruction_runs_to_its_results() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = console(song(dir.path()));
        let mut transport = Transport {
            has_reference: true,
            ..Transport::default()
        };
        let before = app.mixer().session.clone();
        start(&mut app, Exercise::Reference, &mut transport);
        assert!(
            app.mixer()
                .session
                .channels
                .iter()
                .all(|c| c.gain_db == Decibels::UNITY)
        );
        act(&mut app, Action::PanLeft, &mut transport);
        assert!(
            app.message().unwrap().starts_with("Levels only"),
            "{:?}",
            app.message()
        );
        act(&mut app, Action::TrimMode, &mut transport);
        act(
            &mut app,
            Action::Nudge {
                direction: Direction::Down,
                step: Stride::Coarse,
            },
            &mut transport,
        );
        // Blind steps are randomised (0.7 to 1.3 times the step), so only the direction is sure.
        assert!(app.mixer().session.channels[0].trim_db.0 < -2.0);
        assert_eq!(app.mixer().session.channels[0].gain_db, Decibels::UNITY);
        act(&mut app, Action::Confirm, &mut transport);
        assert!(app.exercise_banner().unwrap().step.starts_with("Measuring"));
        settle(&mut app, &mut transport);
        let view = results(&app);
        assert_eq!(view.title, "Reference Deconstruction: what you did");
        act(&mut app, Action::NextPage, &mut transport);
        assert_eq!(
            results(&app).title,
            "Reference Deconstruction: section by section"
        );
        act(&mut app, Action::Back, &mut transport);
        assert!(!app.in_exercise());
        assert_eq!(app.mixer().session.channels, before.channels);
        assert!(!app.unsaved());
    }

    /// A group is a drilled part: its fader is scrambled (its member keeps its own fader, and
    /// the engine hears own + group), a nudge on the group strip moves it, and the results
    /// score it by name; leaving puts the group back.
    #[test]
    fn the_drill_drills_a_group_as_one_part() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = song(dir.path());
        let mut low = crate::session::automation::Group::new("Low", vec!["Bass".into()]);
        low.gain_db = Decibels(-1.0);
        session.groups.push(low);
        let mut app = console(session);
        let mut transport = Transport::default();
        start(&mut app, Exercise::Drill, &mut transport);
        settle(&mut app, &mut transport);
        let effects = act(&mut app, Action::Confirm, &mut transport);
        let group = app.mixer().session.groups[0].gain_db;
        let bass = app.mixer().session.channels[0].gain_db;
        assert_eq!(bass, Decibels(-3.0), "the member stays at its target");
        assert!(
            effects.contains(&Effect::Gain(0, Decibels(bass.0 + group.0))),
            "{effects:?}"
        );
        act(&mut app, Action::SelectStrip(4), &mut transport);
        let effects = act(&mut app, UP_COARSE, &mut transport);
        let moved = app.mixer().session.groups[0].gain_db;
        assert!(moved.0 > group.0, "{:?}", app.message());
        assert!(effects.contains(&Effect::Gain(0, Decibels(bass.0 + moved.0))));
        act(&mut app, Action::Confirm, &mut transport);
        let view = results(&app);
        let names: Vec<&str> = view.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Keys", "Low"]);
        act(&mut app, Action::Confirm, &mut transport);
        assert!(!app.in_exercise());
        assert_eq!(app.mixer().session.groups[0].gain_db, Decibels(-1.0));
    }

    /// The drill from start to its score: it measures the target before playing it, refuses
    /// fader moves while the target plays, scrambles on Enter, flips between target and mix,
    /// and scores; "again" starts the same level; nothing is kept.
    #[test]
    fn the_drill_listens_scrambles_and_scores() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = console(song(dir.path()));
        let mut transport = Transport::default();
        start(&mut app, Exercise::Drill, &mut transport);
        assert!(
            app.exercise_banner()
                .unwrap()
                .step
                .starts_with("Getting the target ready")
        );
        settle(&mut app, &mut transport);
        let banner = app.exercise_banner().unwrap();
        assert_eq!(banner.hearing.as_deref(), Some("TARGET"));
        act(
            &mut app,
            Action::Nudge {
                direction: Direction::Up,
                step: Stride::Fine,
            },
            &mut transport,
        );
        assert!(
            app.message().unwrap().starts_with("This is the target"),
            "{:?}",
            app.message()
        );
        act(&mut app, Action::Confirm, &mut transport);
        assert_eq!(app.message(), Some("Scrambled: rebuild the target by ear"));
        act(&mut app, Action::Compare, &mut transport);
        assert_eq!(
            app.exercise_banner().unwrap().hearing.as_deref(),
            Some("TARGET")
        );
        act(&mut app, Action::Compare, &mut transport);
        assert_eq!(
            app.exercise_banner().unwrap().hearing.as_deref(),
            Some("YOUR MIX")
        );
        act(&mut app, Action::Confirm, &mut transport);
        let view = results(&app);
        assert!(
            view.title.starts_with("Level-matching drill, level 1"),
            "{}",
            view.title
        );
        assert!(view.answers.iter().any(|(k, a)| k == "r" && a == "again"));
        act(&mut app, Action::Keep, &mut transport);
        assert!(app.in_exercise(), "the drill has nothing to keep");
        act(&mut app, Action::Retry, &mut transport);
        assert!(app.in_exercise());
        assert!(app.exercise_banner().unwrap().title.ends_with("level 1"));
        act(&mut app, Action::Cancel, &mut transport);
        act(&mut app, Action::Yes, &mut transport);
        assert!(!app.in_exercise());
        assert!(!app.unsaved());
    }

    /// Guess mode: plays the pair to the moved playing (the play head under way, then at the
    /// excerpt's end, 3 s on) and returns each moved channel and its change in dB (signed).
    fn hear_guess_moves(app: &mut App, transport: &mut Transport) -> Vec<(usize, f64)> {
        let start = transport.position.0;
        let mut moved = Vec::new();
        for at in [start + 0.5, start + 3.0] {
            transport.position = Seconds(at);
            app.tick(Instant::now(), *transport);
            for effect in app.take_effects() {
                transport.after(&effect);
                if let Effect::Gain(c, db) = effect {
                    let heard = app.mixer().session.heard_levels(c).unwrap().gain;
                    moved.push((c, db.0 - heard.0));
                }
            }
        }
        assert!(
            (transport.position.0 - start).abs() < 1e-9,
            "the moved playing starts where the first did"
        );
        assert!(!moved.is_empty(), "the part moves for the second playing");
        moved
    }

    /// [`hear_guess_moves`] for parts of one channel: the channel and its change.
    fn hear_guess_pair(app: &mut App, transport: &mut Transport) -> (usize, f64) {
        let moved = hear_guess_moves(app, transport);
        assert_eq!(moved.len(), 1, "{moved:?}");
        moved[0]
    }

    /// Guess mode answers: right and wrong move each role's staircase (two right answers
    /// halve the change from 6 dB to 3 dB, a miss then makes it bigger by a half step, to
    /// 4.2 dB); an answer before the moved playing, or a solo, is refused; the panel says what
    /// moved while the next pair's first playing is on.
    #[test]
    fn guess_mode_answers_move_the_staircase() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = console(song(dir.path()));
        let mut transport = Transport::default();
        start(&mut app, Exercise::Guess, &mut transport);
        settle(&mut app, &mut transport);
        assert!(transport.playing);
        assert_eq!(
            app.exercise_banner().unwrap().hearing.as_deref(),
            Some("AS IT IS")
        );
        act(&mut app, UP_COARSE, &mut transport);
        assert!(
            app.message().unwrap().starts_with("Listen first"),
            "{:?}",
            app.message()
        );
        act(&mut app, Action::Solo, &mut transport);
        assert!(
            app.message()
                .unwrap()
                .starts_with("Guess mode plays the mix as it is")
        );
        // Per channel (each its own role here): the changes heard and the answers given.
        let mut levels: Vec<Vec<f64>> = vec![Vec::new(); 3];
        for _ in 0..40 {
            let (channel, change) = hear_guess_pair(&mut app, &mut transport);
            assert_eq!(
                app.exercise_banner().unwrap().hearing.as_deref(),
                Some("MOVED")
            );
            let seen = &mut levels[channel];
            seen.push(change.abs());
            // Right, right, wrong, then right again.
            let right = seen.len() != 3;
            let up = (change > 0.0) == right;
            act(
                &mut app,
                Action::SelectStrip(channel as u8 + 1),
                &mut transport,
            );
            let direction = if up { Direction::Up } else { Direction::Down };
            act(
                &mut app,
                Action::Nudge {
                    direction,
                    step: Stride::Fine,
                },
                &mut transport,
            );
            let said = app.exercise_banner().unwrap().step;
            assert!(
                said.starts_with(if right { "Right:" } else { "Missed:" }),
                "{said}"
            );
            assert!(said.contains(&format!("{:.1} dB", change.abs())), "{said}");
            if levels.iter().any(|l| l.len() >= 4) {
                break;
            }
        }
        let four = levels
            .iter()
            .find(|l| l.len() >= 4)
            .expect("a role had four pairs");
        let expected = [6.0, 6.0, 3.0, 3.0 * 2f64.sqrt()];
        for (got, want) in four.iter().zip(expected) {
            assert!((got - want).abs() < 1e-9, "{four:?}");
        }
    }

    /// Guess mode's results: Enter ends the run with each role's estimate on the screen and
    /// in the history (version 2 `estimates`), no score; leaving them brings the user's mix
    /// back untouched, with the moved part's level as it was.
    #[test]
    fn guess_mode_records_the_estimates_and_restores_the_mix() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = console(song(dir.path()));
        let history = History::at(dir.path().join("history.jsonl"));
        app.set_history(Some(history.clone()));
        let before = app.mixer().session.clone();
        let mut transport = Transport::default();
        start(&mut app, Exercise::Guess, &mut transport);
        act(&mut app, Action::Confirm, &mut transport);
        assert!(app.in_exercise(), "nothing to show before an answer");
        settle(&mut app, &mut transport);
        act(&mut app, Action::Confirm, &mut transport);
        assert!(
            app.message()
                .unwrap()
                .starts_with("Answer at least one pair"),
            "{:?}",
            app.message()
        );
        let mut roles = std::collections::BTreeSet::new();
        for _ in 0..6 {
            let (channel, change) = hear_guess_pair(&mut app, &mut transport);
            roles.insert(channel);
            act(
                &mut app,
                Action::SelectStrip(channel as u8 + 1),
                &mut transport,
            );
            let direction = if change > 0.0 {
                Direction::Up
            } else {
                Direction::Down
            };
            act(
                &mut app,
                Action::Nudge {
                    direction,
                    step: Stride::Coarse,
                },
                &mut transport,
            );
        }
        // The seventh pair's part is moved when Enter comes.
        let (moved, _) = hear_guess_pair(&mut app, &mut transport);
        let effects = act(&mut app, Action::Confirm, &mut transport);
        let heard = before.heard_levels(moved).unwrap().gain;
        assert!(effects.contains(&Effect::Pause), "{effects:?}");
        assert!(effects.contains(&Effect::Gain(moved, heard)), "{effects:?}");
        let view = results(&app);
        assert_eq!(view.title, "Guess mode: the smallest change you hear");
        assert_eq!(view.rows.len(), roles.len());
        assert!(
            view.headline[0].starts_with("6 pairs, 6 right"),
            "{:?}",
            view.headline
        );
        let records = history.read().unwrap().records;
        assert_eq!(records.len(), 1);
        let record = &records[0];
        assert_eq!(record.exercise, "guess");
        assert_eq!(record.score, None);
        assert_eq!(record.estimates.len(), roles.len());
        for estimate in &record.estimates {
            assert!(["bass", "keys", "drums"].contains(&estimate.role.as_str()));
            assert!((0.5..=6.0).contains(&estimate.jnd_db), "{estimate:?}");
            assert!(estimate.low_db <= estimate.jnd_db && estimate.jnd_db <= estimate.high_db);
            assert_eq!(estimate.confidence, "rough");
        }
        act(&mut app, Action::Confirm, &mut transport);
        assert!(!app.in_exercise());
        assert_eq!(app.mixer().session.channels, before.channels);
        assert!(!app.unsaved());
    }

    /// Guess mode moves a group whose members all play as one part: both members by the same
    /// change, answered on the group's strip; a member's own strip is not asked about.
    #[test]
    fn guess_mode_moves_a_group_as_one_part() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = song(dir.path());
        let mut band =
            crate::session::automation::Group::new("Band", vec!["Bass".into(), "Keys".into()]);
        band.gain_db = Decibels(-1.0);
        session.groups.push(band);
        let mut app = console(session);
        let mut transport = Transport::default();
        start(&mut app, Exercise::Guess, &mut transport);
        settle(&mut app, &mut transport);
        let mut group_pairs = 0;
        for _ in 0..12 {
            let moved = hear_guess_moves(&mut app, &mut transport);
            let change = moved[0].1;
            let strip = if moved.len() == 2 {
                assert_eq!([moved[0].0, moved[1].0], [0, 1], "{moved:?}");
                assert_eq!(moved[0].1, moved[1].1);
                if group_pairs == 0 {
                    act(&mut app, Action::SelectStrip(1), &mut transport);
                    act(&mut app, UP_COARSE, &mut transport);
                    assert!(
                        app.message()
                            .unwrap()
                            .starts_with("Bass is not asked about here"),
                        "{:?}",
                        app.message()
                    );
                }
                group_pairs += 1;
                4
            } else {
                assert_eq!(moved[0].0, 2, "{moved:?}");
                3
            };
            act(&mut app, Action::SelectStrip(strip), &mut transport);
            let direction = if change > 0.0 {
                Direction::Up
            } else {
                Direction::Down
            };
            act(
                &mut app,
                Action::Nudge {
                    direction,
                    step: Stride::Fine,
                },
                &mut transport,
            );
            let said = app.exercise_banner().unwrap().step;
            assert!(said.starts_with("Right:"), "{said}");
        }
        assert!(group_pairs > 0, "the group was never asked about");
        act(&mut app, Action::Confirm, &mut transport);
        let names: Vec<String> = results(&app).rows.iter().map(|r| r.name.clone()).collect();
        assert!(names.contains(&"Band".to_string()), "{names:?}");
    }

    /// Guess mode's harder level (`s` on the panel): the fader key's step says by how much (a
    /// coarse step for 2 dB or more); the panel says whether the size was right, the results
    /// count the sizes and the history records the run at level 2.
    #[test]
    fn guess_mode_can_ask_by_how_much() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = console(song(dir.path()));
        let history = History::at(dir.path().join("history.jsonl"));
        app.set_history(Some(history.clone()));
        let mut transport = Transport::default();
        app.open_exercise(Exercise::Guess, None);
        act(&mut app, Action::SetUp, &mut transport);
        let (_, lines) = panel(&app);
        assert!(
            lines.iter().any(|l| l.starts_with("Say by how much too")),
            "{lines:?}"
        );
        act(&mut app, Action::Confirm, &mut transport);
        settle(&mut app, &mut transport);
        for k in 0..4 {
            let (channel, change) = hear_guess_pair(&mut app, &mut transport);
            act(
                &mut app,
                Action::SelectStrip(channel as u8 + 1),
                &mut transport,
            );
            // The first two sizes said right (all start at 6 dB: a lot), then one wrong.
            let step = if k < 2 || change.abs() < 2.0 {
                Stride::Coarse
            } else {
                Stride::Fine
            };
            let direction = if change > 0.0 {
                Direction::Up
            } else {
                Direction::Down
            };
            act(&mut app, Action::Nudge { direction, step }, &mut transport);
            let said = app.exercise_banner().unwrap().step;
            let expected = if k < 2 || change.abs() < 2.0 {
                if change.abs() >= 2.0 {
                    "; a lot, as you said"
                } else {
                    "; a little, not a lot"
                }
            } else {
                "; a lot, not a little"
            };
            assert!(
                said.starts_with("Right:") && said.ends_with(expected),
                "{said}"
            );
        }
        act(&mut app, Action::Confirm, &mut transport);
        let view = results(&app);
        assert!(
            view.headline
                .iter()
                .any(|l| l.starts_with("How much: 2 of 4 right")),
            "{:?}",
            view.headline
        );
        let records = history.read().unwrap().records;
        assert_eq!(records[0].level, Some(2));
    }
}
