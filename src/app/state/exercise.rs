//! The guided exercises in the console: the list (`E`), each exercise's set-up and instruction
//! panel, the blind balancing steps, the results screen, the history record, and keeping a
//! result.
//!
//! An exercise works on the mix in the console but never leaves a trace in it unless the user
//! keeps the result: when it starts, the mix, the undo history, the crash journal and the
//! console's modes are put aside; the exercise's fader moves are neither journalled nor in the
//! user's undo history; when it ends, everything put aside comes back and the engine is told
//! the restored mix. Keeping a result then applies it as one undo step and saves the session
//! (atomically, like `ctrl-s`).

mod reference;

use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Instant, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Controls, FADER_FLOOR_DB, FADER_MAX_DB, Modal, Outcome, round2};
use crate::analysis::levels::{self, ChannelLevel};
use crate::app::action::Action;
use crate::app::edit::MixEdit;
use crate::app::journal::Journal;
use crate::app::undo::UndoStack;
use crate::exercise::Exercise;
use crate::exercise::blindfold;
use crate::exercise::deconstruct;
use crate::exercise::drill::{self, Level, TargetSource};
use crate::exercise::emotional;
use crate::exercise::history::{ChannelResult, History, Record};
use crate::session::{Role, Session};
use crate::ui::view::{BlindLevel, ExerciseBanner, Focus, Overlay, ResultRow, ResultsView};
use crate::units::{Decibels, Seconds};

/// Plays shorter than this are too little to measure: the blindfold results then measure the
/// loop (or the song).
const MIN_MEASURED_SPAN: f64 = 3.0;

/// An exercise being set up: what the instruction panel offers before it starts.
#[derive(Debug, Clone)]
pub(super) struct Setup {
    kind: Exercise,
    /// Emotional Arc: the two sections (indices), in the order they are balanced.
    pair: Option<(usize, usize)>,
    /// Drill: the level chosen, and the highest one unlocked.
    level: u32,
    unlocked: u32,
    /// Drill: what the target can be, and which one is chosen.
    sources: Vec<(TargetSource, String)>,
    source: usize,
    /// Reference Deconstruction: the faders start scrambled (else flat, at 0 dB).
    scrambled: bool,
}

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
}

/// The drill's own state.
struct DrillRun {
    level: Level,
    source_label: String,
    /// The drilled channels (session indices), ascending.
    channels: Vec<usize>,
    /// Their target faders, in dB (-inf: off).
    target: Vec<f64>,
    /// Every channel's loudness at the target faders over the loop (for loudness matching);
    /// `None` until measured.
    levels: Option<Vec<ChannelLevel>>,
    /// The target is playing in place of the user's mix.
    hearing_target: bool,
    /// Memory mode: the target has played through once.
    heard: bool,
}

/// Where an exercise is.
enum Stage {
    /// Drill: the target's parts are measured (to pick parts that play in the loop, and for
    /// the loudness matching) before it plays.
    Preparing,
    /// Drill: the target plays; Enter scrambles.
    Listen,
    /// The user balances blind; `step` is the Emotional Arc's section (0 or 1), else 0.
    Balance { step: usize },
    /// Blindfold: the played span is being measured.
    Measuring {
        receiver: Receiver<Result<Vec<ChannelLevel>, String>>,
    },
    /// Reference Deconstruction: the mix and the reference are being measured.
    Comparing {
        receiver: Receiver<Result<deconstruct::Comparison, String>>,
    },
    /// The results screen, a page at a time (Tab turns): the table and chart with as much of
    /// the reading as fits, then `more` pages (another table: the same box with other rows),
    /// then the reading on its own.
    Results {
        view: Box<ResultsView>,
        more: Vec<ResultsView>,
        keep: Keep,
        page: usize,
    },
}

/// What keeping a result does.
#[derive(Debug, Clone)]
enum Keep {
    /// Nothing to keep (the drill).
    Nothing,
    /// These edits, as one undo step, then save.
    Edits { edits: Vec<MixEdit>, done: String },
}

/// An exercise in progress.
pub(super) struct Run {
    kind: Exercise,
    stage: Stage,
    stash: Stash,
    /// The scrambled faders every step starts from (session order).
    start: Vec<Decibels>,
    /// The span heard during the current step, in seconds.
    played: Option<(f64, f64)>,
    /// Where the step loops.
    span: (Seconds, Seconds),
    /// Emotional Arc: the two sections, and the first one's balance once confirmed.
    pair: Option<(usize, usize)>,
    first: Option<Vec<Decibels>>,
    drill: Option<DrillRun>,
    /// Measurements on their way for the drill's loudness matching.
    drill_levels: Option<Receiver<Result<Vec<ChannelLevel>, String>>>,
}

/// What the keys of an exercise step may do.
struct StepKeys {
    kind: Exercise,
    /// The drill's target is playing (before the scramble).
    listening: bool,
    /// The drill is in memory mode.
    memory: bool,
    /// The drilled channels, in the drill.
    drilled: Option<Vec<usize>>,
}

/// An exercise's instructions as box lines: each paragraph, then a blank line.
fn instruction_lines(kind: Exercise) -> Vec<String> {
    kind.instructions()
        .iter()
        .flat_map(|p| [(*p).to_string(), String::new()])
        .collect()
}

/// A key's character, lower-cased, or Enter / Esc.
fn key_char(event: &KeyEvent) -> Option<char> {
    match event.code {
        KeyCode::Char(c) => Some(c.to_ascii_lowercase()),
        KeyCode::Esc => Some('\u{1b}'),
        KeyCode::Enter => Some('\n'),
        _ => None,
    }
}

fn is_ctrl_c(event: &KeyEvent) -> bool {
    event.code == KeyCode::Char('c') && event.modifiers == KeyModifiers::CONTROL
}

/// A dB figure for the results table: one decimal, "off" for -inf.
fn db(value: f64) -> String {
    if value == f64::NEG_INFINITY {
        "off".to_string()
    } else if value.abs() < 0.05 {
        // No "-0.0".
        "0.0".to_string()
    } else {
        format!("{value:+.1}")
    }
}

fn db_opt(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), db)
}

/// A level in dBFS (no sign needed, they are all negative or 0).
fn dbfs(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"))
}

/// Measures `span` of `session` on a thread of its own.
fn measure_in_background(
    session: Session,
    span: (Seconds, Seconds),
) -> Receiver<Result<Vec<ChannelLevel>, String>> {
    let (tx, rx) = mpsc::channel();
    let rate = f64::from(session.sample_rate);
    let start = (span.0.0.max(0.0) * rate).round() as u64;
    let end = ((span.1.0 * rate).round() as u64).min(session.length_frames);
    let spawned = std::thread::Builder::new()
        .name("earmix-measure".into())
        .spawn(move || {
            let result = levels::measure_span(&session, start, end).map_err(|e| e.to_string());
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        let (tx, rx) = mpsc::channel();
        let _ = tx.send(Err(format!("cannot start the measuring thread: {e}")));
        return rx;
    }
    rx
}

/// The sections of `before` with each `(section, balance)` as that section's scene. Values
/// equal to the base fader are left out, so a scene holds only what differs.
fn arc_scenes(
    before: &Session,
    balances: [(usize, &Vec<Decibels>); 2],
) -> Vec<crate::session::Section> {
    let mut sections = before.sections.clone();
    for (k, balance) in balances {
        sections[k].gain_db = before
            .channels
            .iter()
            .zip(balance.iter())
            .filter(|(c, db)| {
                (c.gain_db.0 - db.0).abs() > 0.005 || c.gain_db.is_off() != db.is_off()
            })
            .map(|(c, db)| (c.name.clone(), *db))
            .collect();
    }
    sections
}

/// `session` with every section scene taken out (what an exercise plays: the base faders).
fn without_scenes(session: &Session) -> Session {
    let mut plain = session.clone();
    for section in &mut plain.sections {
        section.gain_db.clear();
        section.mute.clear();
    }
    plain
}

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
            self.message = Some("An exercise is running (Esc leaves it)".to_string());
            return;
        }
        self.modal = Some(Modal::ExercisePick { selected: 0 });
    }

    /// Opens the instruction panel of `kind` (the command line's `earmix exercise NAME`), at
    /// drill level `level` when given.
    pub fn open_exercise(&mut self, kind: Exercise, level: Option<u32>) {
        if let Some(mut setup) = self.setup_for(kind) {
            if let Some(level) = level {
                if level <= setup.unlocked && drill::level(level).is_some() {
                    setup.level = level;
                } else {
                    self.message = Some(format!(
                        "Level {level} is not unlocked yet: starting at level {}",
                        setup.level
                    ));
                }
            }
            self.modal = Some(Modal::ExerciseIntro { setup });
        }
    }

    /// The set-up of `kind` for this session, or a message saying why it cannot run here.
    fn setup_for(&mut self, kind: Exercise) -> Option<Setup> {
        if self.blind.hides_numbers() {
            self.message = Some("Leave blind mode first (b): an exercise runs its own".to_string());
            return None;
        }
        let playing = self
            .session
            .channels
            .iter()
            .filter(|c| !c.mute && !c.gain_db.is_off())
            .count();
        if playing < 2 {
            self.message = Some(format!(
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
        };
        match kind {
            Exercise::Blindfold => {}
            Exercise::Reference => {
                if self.session.reference.is_none() {
                    self.message = Some(
                        "Reference Deconstruction needs a session with a [reference] (the band \
                         demo has one: earmix exercise reference)"
                            .to_string(),
                    );
                    return None;
                }
            }
            Exercise::Arc => {
                let Some(pair) = emotional::default_pair(&self.session.sections) else {
                    self.message = Some(
                        "The Emotional Arc Exercise needs a session with at least two sections"
                            .to_string(),
                    );
                    return None;
                };
                setup.pair = Some(pair);
            }
            Exercise::Drill => {
                let records = self
                    .history
                    .as_ref()
                    .and_then(|h| h.read().ok())
                    .map(|loaded| loaded.records)
                    .unwrap_or_default();
                setup.unlocked = drill::highest_unlocked(&records);
                setup.level = setup.unlocked;
                setup.sources = drill::target_sources(&self.session);
                // The fullest balance first: the reference, then a chorus's scene.
                let sections = &self.session.sections;
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
                    self.message = Some("This session offers no balance to match".to_string());
                    return None;
                }
            }
        }
        Some(setup)
    }

    /// The instruction panel's lines.
    fn intro_lines(&self, setup: &Setup) -> Vec<String> {
        let mut lines = instruction_lines(setup.kind);
        match setup.kind {
            Exercise::Blindfold => lines.push(format!(
                "The faders move up to {:.0} dB either way. The song loops; L loops the \
                 section under the play head instead.",
                self.exercise_config.scramble_db
            )),
            Exercise::Reference => lines.extend(self.reference_intro(setup)),
            Exercise::Arc => {
                if let Some((a, b)) = setup.pair {
                    lines.push(format!(
                        "Sections: {} first, then {}. The faders move up to {:.0} dB either way.",
                        self.session.sections[a].name,
                        self.session.sections[b].name,
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
        }
        lines
    }

    fn intro_answers(setup: &Setup) -> Vec<(String, String)> {
        let mut answers = vec![("Enter".to_string(), "start".to_string())];
        match setup.kind {
            Exercise::Blindfold => {}
            Exercise::Reference => answers.push((
                "s".to_string(),
                if setup.scrambled {
                    "start flat"
                } else {
                    "start scrambled"
                }
                .to_string(),
            )),
            Exercise::Arc => answers.push(("s".to_string(), "other sections".to_string())),
            Exercise::Drill => {
                if setup.unlocked > 1 {
                    answers.push(("l".to_string(), "level".to_string()));
                }
                if setup.sources.len() > 1 {
                    answers.push(("t".to_string(), "target".to_string()));
                }
            }
        }
        answers.push(("Esc".to_string(), "cancel".to_string()));
        answers
    }

    /// The overlay of an exercise modal.
    pub(super) fn exercise_overlay(&self, modal: &Modal) -> Option<Overlay> {
        Some(match modal {
            Modal::ExercisePick { selected } => Overlay::Pick {
                title: "Exercises: train your ear".to_string(),
                items: Exercise::ALL
                    .iter()
                    .map(|e| format!("{}: {}", e.title(), e.summary()))
                    .collect(),
                selected: *selected,
                hint: "Up/Down choose, Enter opens, Esc cancels".to_string(),
            },
            Modal::ExerciseIntro { setup } => Overlay::Question {
                title: setup.kind.title().to_string(),
                lines: self.intro_lines(setup),
                answers: Self::intro_answers(setup),
            },
            Modal::ExerciseChoose {
                setup,
                choice,
                selected,
            } => Overlay::Pick {
                title: match choice {
                    Choice::First => "Which section first?".to_string(),
                    Choice::Second => "And which section to contrast it with?".to_string(),
                    Choice::Level => "Which level?".to_string(),
                    Choice::Target => "Which balance to match?".to_string(),
                },
                items: self.choice_items(setup, *choice),
                selected: *selected,
                hint: "Up/Down choose, Enter takes it, Esc goes back".to_string(),
            },
            Modal::LeaveExercise => Overlay::Question {
                title: "Leave the exercise?".to_string(),
                lines: vec!["Nothing is recorded and the mix goes back to how it was.".to_string()],
                answers: vec![
                    ("y".to_string(), "leave".to_string()),
                    ("n".to_string(), "carry on".to_string()),
                ],
            },
            _ => return None,
        })
    }

    /// A key on an exercise's instruction panel.
    fn answer_intro(
        &mut self,
        setup: Setup,
        key: Option<char>,
        event: &KeyEvent,
        now: Instant,
        controls: &mut dyn Controls,
    ) -> Outcome {
        let choose = |choice: Choice, selected: usize| Modal::ExerciseChoose {
            setup: setup.clone(),
            choice,
            selected,
        };
        match key {
            Some('\n') => {
                self.start_exercise(&setup, controls);
                return Outcome::Continue;
            }
            Some('\u{1b}' | 'q') => {
                self.message = Some(format!("{}: not started", setup.kind.title()));
                return Outcome::Continue;
            }
            Some('s') if setup.kind == Exercise::Reference => {
                let mut setup = setup.clone();
                setup.scrambled = !setup.scrambled;
                self.modal = Some(Modal::ExerciseIntro { setup });
            }
            Some('s') if setup.kind == Exercise::Arc => {
                let first = setup.pair.map_or(0, |p| p.0);
                self.modal = Some(choose(Choice::First, first));
            }
            Some('l') if setup.kind == Exercise::Drill && setup.unlocked > 1 => {
                self.modal = Some(choose(Choice::Level, setup.level as usize - 1));
            }
            Some('t') if setup.kind == Exercise::Drill && setup.sources.len() > 1 => {
                self.modal = Some(choose(Choice::Target, setup.source));
            }
            _ if is_ctrl_c(event) => return self.update(Action::Quit, now, controls),
            _ => self.modal = Some(Modal::ExerciseIntro { setup }),
        }
        Outcome::Continue
    }

    /// The items of a set-up list.
    fn choice_items(&self, setup: &Setup, choice: Choice) -> Vec<String> {
        match choice {
            Choice::First | Choice::Second => self
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

    /// A key while an exercise box is open (any other box is left open).
    pub(super) fn answer_exercise(
        &mut self,
        modal: Modal,
        event: &KeyEvent,
        now: Instant,
        controls: &mut dyn Controls,
    ) -> Outcome {
        let key = key_char(event);
        match modal {
            Modal::ExercisePick { selected } => {
                let last = Exercise::ALL.len() - 1;
                let selected = match event.code {
                    KeyCode::Up | KeyCode::Char('k') => selected.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => (selected + 1).min(last),
                    KeyCode::Esc | KeyCode::Char('q') => return Outcome::Continue,
                    KeyCode::Enter => {
                        if let Some(setup) = self.setup_for(Exercise::ALL[selected]) {
                            self.modal = Some(Modal::ExerciseIntro { setup });
                        }
                        return Outcome::Continue;
                    }
                    _ if is_ctrl_c(event) => return self.update(Action::Quit, now, controls),
                    _ => selected,
                };
                self.modal = Some(Modal::ExercisePick { selected });
                Outcome::Continue
            }
            Modal::ExerciseIntro { setup } => self.answer_intro(setup, key, event, now, controls),
            Modal::ExerciseChoose {
                mut setup,
                choice,
                selected,
            } => {
                let count = self.choice_items(&setup, choice).len();
                let last = count.saturating_sub(1);
                let selected = match event.code {
                    KeyCode::Up | KeyCode::Char('k') => selected.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => (selected + 1).min(last),
                    KeyCode::Home => 0,
                    KeyCode::End => last,
                    KeyCode::Esc => {
                        self.modal = Some(Modal::ExerciseIntro { setup });
                        return Outcome::Continue;
                    }
                    KeyCode::Enter => {
                        self.modal = Some(self.take_choice(&mut setup, choice, selected));
                        return Outcome::Continue;
                    }
                    _ => selected,
                };
                self.modal = Some(Modal::ExerciseChoose {
                    setup,
                    choice,
                    selected,
                });
                Outcome::Continue
            }
            Modal::LeaveExercise => {
                match key {
                    Some('y') => {
                        self.finish_exercise(None, controls);
                        self.message = Some("Left the exercise: the mix is as it was".to_string());
                    }
                    _ if is_ctrl_c(event) => {
                        self.finish_exercise(None, controls);
                        return self.update(Action::Quit, now, controls);
                    }
                    Some('n' | '\u{1b}') => {}
                    _ => self.modal = Some(Modal::LeaveExercise),
                }
                Outcome::Continue
            }
            other => {
                self.modal = Some(other);
                Outcome::Continue
            }
        }
    }

    /// Takes the item picked from a set-up list; the box that follows.
    fn take_choice(&mut self, setup: &mut Setup, choice: Choice, selected: usize) -> Modal {
        match choice {
            Choice::First => {
                let second = setup.pair.map_or(1, |p| p.1);
                // The second defaults to the section after the first (or before the last).
                let second = if second == selected {
                    if selected + 1 < self.session.sections.len() {
                        selected + 1
                    } else {
                        selected.saturating_sub(1)
                    }
                } else {
                    second
                };
                setup.pair = Some((selected, second));
                return Modal::ExerciseChoose {
                    setup: setup.clone(),
                    choice: Choice::Second,
                    selected: second,
                };
            }
            Choice::Second => {
                let first = setup.pair.map_or(0, |p| p.0);
                if selected == first {
                    self.message = Some("Pick a different section from the first".to_string());
                    return Modal::ExerciseChoose {
                        setup: setup.clone(),
                        choice,
                        selected,
                    };
                }
                setup.pair = Some((first, selected));
            }
            Choice::Level => {
                let number = selected as u32 + 1;
                if number > setup.unlocked {
                    self.message = Some(format!(
                        "Level {number} is locked: pass level {} first",
                        number - 1
                    ));
                    return Modal::ExerciseChoose {
                        setup: setup.clone(),
                        choice,
                        selected,
                    };
                }
                setup.level = number;
            }
            Choice::Target => setup.source = selected.min(setup.sources.len().saturating_sub(1)),
        }
        Modal::ExerciseIntro {
            setup: setup.clone(),
        }
    }

    /// Puts the console's state aside and starts the first step of `setup`.
    fn start_exercise(&mut self, setup: &Setup, controls: &mut dyn Controls) {
        self.flush_journal();
        self.end_burst();
        self.glides.clear();
        let length = self.session.length();
        let stash = Stash {
            session: self.session.clone(),
            undo: std::mem::take(&mut self.undo),
            journal: self.journal.take(),
            blind: self.blind,
            comparing: self.comparing,
            scene_mode: self.scene_mode,
            trim_mode: self.trim_mode,
            focus: self.focus,
            selected: self.selected,
            loop_region: controls.loop_region(),
        };
        self.scene_mode = false;
        self.trim_mode = false;
        self.focus = Focus::Strip;
        // The exercise plays the base faders; the section scenes stay out of it.
        self.comparing = false;
        controls.set_scenes_bypassed(setup.kind != Exercise::Reference);
        // Solos would hide parts of the balance: the exercise starts with none.
        let solos: Vec<String> = self
            .session
            .channels
            .iter()
            .filter(|c| c.solo)
            .map(|c| c.name.clone())
            .collect();
        for channel in solos {
            self.quietly(&MixEdit::Solo { channel, on: false }, controls);
        }
        let mut run = Run {
            kind: setup.kind,
            stage: Stage::Balance { step: 0 },
            stash,
            start: Vec::new(),
            played: None,
            span: (Seconds(0.0), length),
            pair: setup.pair,
            first: None,
            drill: None,
            drill_levels: None,
        };
        match setup.kind {
            Exercise::Blindfold => {
                run.start =
                    self.scrambled(&self.playing_channels(), self.exercise_config.scramble_db);
            }
            Exercise::Arc => {
                run.start =
                    self.scrambled(&self.playing_channels(), self.exercise_config.scramble_db);
                if let Some((a, _)) = setup.pair {
                    run.span = self.section_span(a);
                }
            }
            Exercise::Reference => run.start = self.reference_start(setup),
            Exercise::Drill => {
                if !self.start_drill(setup, &mut run, controls) {
                    self.exercise = Some(run);
                    self.finish_exercise(None, controls);
                    return;
                }
            }
        }
        self.blind = BlindLevel::MetersOff;
        self.selected = 0;
        let span = run.span;
        let start = run.start.clone();
        let drill = run.drill.is_some();
        self.exercise = Some(run);
        if !start.is_empty() {
            self.set_faders(&start, controls);
        }
        // The drill plays once its target is measured.
        if drill {
            controls.pause();
        } else {
            Self::play_span(span, controls);
        }
        // The panel says what to do.
        self.message = None;
    }

    /// The drill's first step: picks the stems, sits the others out and plays the target
    /// (measuring its loudness for the flip meanwhile). False when the level does not exist.
    fn start_drill(&mut self, setup: &Setup, run: &mut Run, controls: &mut dyn Controls) -> bool {
        let Some(level) = drill::level(setup.level) else {
            return false;
        };
        let (source, label) = setup.sources[setup.source].clone();
        let target_all = drill::target_faders(&self.session, &source);
        let candidates: Vec<usize> = (0..self.session.channels.len())
            .filter(|&i| !target_all[i].is_off() && !self.session.channels[i].mute)
            .collect();
        // A scene's section loops; otherwise the first chorus (or the song).
        run.span = drill::target_span(&self.session, &source)
            .or_else(|| {
                emotional::default_pair(&self.session.sections).map(|(_, b)| self.section_span(b))
            })
            .unwrap_or(run.span);
        for &i in &candidates {
            let channel = self.session.channels[i].name.clone();
            self.quietly(
                &MixEdit::Gain {
                    channel,
                    db: target_all[i],
                },
                controls,
            );
        }
        run.drill_levels = Some(measure_in_background(
            without_scenes(&self.session),
            run.span,
        ));
        run.drill = Some(DrillRun {
            level,
            source_label: label,
            target: candidates.iter().map(|&i| target_all[i].0).collect(),
            channels: candidates,
            levels: None,
            hearing_target: true,
            heard: false,
        });
        run.stage = Stage::Preparing;
        true
    }

    /// The drill's target is measured: picks the stems among the parts that play in the loop,
    /// sits the others out, and plays the target.
    fn drill_ready(&mut self, measured: Option<Vec<ChannelLevel>>, controls: &mut dyn Controls) {
        let Some(drill) = self.exercise.as_ref().and_then(|r| r.drill.as_ref()) else {
            return;
        };
        let candidates = drill.channels.clone();
        let count = drill.level.stems.unwrap_or(candidates.len());
        let audible: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| {
                measured
                    .as_ref()
                    .and_then(|m| m.get(i))
                    .is_some_and(|l| l.loudness_lufs.is_some())
            })
            .collect();
        let pool = if audible.len() >= 2 {
            audible
        } else {
            candidates.clone()
        };
        let mut random = || self.random_unit();
        let chosen = drill::choose_stems(&pool, count, &mut random);
        for i in 0..self.session.channels.len() {
            if !chosen.contains(&i) && !self.session.channels[i].mute {
                let channel = self.session.channels[i].name.clone();
                self.quietly(&MixEdit::Mute { channel, on: true }, controls);
            }
        }
        let Some(run) = self.exercise.as_mut() else {
            return;
        };
        let Some(drill) = run.drill.as_mut() else {
            return;
        };
        drill.target = chosen
            .iter()
            .filter_map(|i| candidates.iter().position(|c| c == i))
            .map(|k| drill.target[k])
            .collect();
        // Only the drilled parts count in the loudness matching.
        drill.levels = measured.map(|mut levels| {
            for (i, level) in levels.iter_mut().enumerate() {
                if !chosen.contains(&i) {
                    *level = ChannelLevel::default();
                }
            }
            levels
        });
        self.selected = chosen.first().copied().unwrap_or(0);
        drill.channels = chosen;
        let memory = drill.level.is_memory();
        run.stage = Stage::Listen;
        let span = run.span;
        if memory {
            // Memory mode: the target plays once, through (the tick pauses at its end).
            controls.set_loop(None);
            controls.seek(span.0);
            controls.play();
        } else {
            Self::play_span(span, controls);
        }
    }

    /// The channels that play (not muted, fader not off), by index.
    fn playing_channels(&self) -> Vec<usize> {
        (0..self.session.channels.len())
            .filter(|&i| {
                let c = &self.session.channels[i];
                !c.mute && !c.gain_db.is_off()
            })
            .collect()
    }

    /// Every fader (session order), the channels in `which` moved by a random offset of up to
    /// `range` dB either way (kept within the fader's range).
    fn scrambled(&mut self, which: &[usize], range: f64) -> Vec<Decibels> {
        let mut random = || self.random_unit();
        let offsets = drill::scramble(which.len(), range, &mut random);
        let mut faders: Vec<Decibels> = self.session.channels.iter().map(|c| c.gain_db).collect();
        for (&i, offset) in which.iter().zip(offsets) {
            faders[i] = Decibels(round2(
                (faders[i].0 + offset).clamp(FADER_FLOOR_DB, FADER_MAX_DB),
            ));
        }
        faders
    }

    /// Section `k`'s span.
    fn section_span(&self, k: usize) -> (Seconds, Seconds) {
        let start = self.session.sections[k].start;
        let end = self
            .session
            .sections
            .get(k + 1)
            .map_or_else(|| self.session.length(), |s| s.start);
        (start, end)
    }

    /// Loops `span` from its start and plays.
    fn play_span(span: (Seconds, Seconds), controls: &mut dyn Controls) {
        if span.1.0 - span.0.0 > 0.0 {
            controls.set_loop(Some(span));
        }
        controls.seek(span.0);
        controls.play();
    }

    /// Applies an edit to the exercise's mix and the engine, outside the undo history and the
    /// journal.
    fn quietly(&mut self, edit: &MixEdit, controls: &mut dyn Controls) {
        if edit.apply(&mut self.session).is_ok() {
            self.send(edit, controls);
        }
    }

    /// Sets every fader (session order) quietly.
    fn set_faders(&mut self, faders: &[Decibels], controls: &mut dyn Controls) {
        for (i, db) in faders.iter().enumerate() {
            if let Some(channel) = self.session.channels.get(i) {
                let channel = channel.name.clone();
                self.quietly(&MixEdit::Gain { channel, db: *db }, controls);
            }
        }
    }

    /// The faders now (session order).
    fn faders(&self) -> Vec<Decibels> {
        self.session.channels.iter().map(|c| c.gain_db).collect()
    }

    /// The user's mix: while an exercise runs, the one put aside (what saving would write).
    pub(super) fn users_mix(&self) -> &Session {
        self.exercise
            .as_ref()
            .map_or(&self.session, |run| &run.stash.session)
    }

    /// The exercise's panel for the view.
    pub fn exercise_banner(&self) -> Option<ExerciseBanner> {
        let run = self.exercise.as_ref()?;
        let key = |action: Action| {
            self.keymap
                .keys_for(action)
                .first()
                .map_or_else(|| "?".to_string(), ToString::to_string)
        };
        let up = key(Action::Nudge {
            direction: crate::app::action::Direction::Up,
            step: crate::app::action::Step::Fine,
        });
        let down = key(Action::Nudge {
            direction: crate::app::action::Direction::Down,
            step: crate::app::action::Step::Fine,
        });
        let left = key(Action::SelectPrevious);
        let right = key(Action::SelectNext);
        let mut keys = vec![
            (format!("{up}/{down}"), "fader".to_string()),
            (format!("{left}/{right}"), "strip".to_string()),
        ];
        let mut title = run.kind.title().to_string();
        let mut hearing = None;
        let step = match &run.stage {
            Stage::Listen => {
                keys.clear();
                hearing = Some("TARGET".to_string());
                "Listen to the target balance".to_string()
            }
            Stage::Balance { step } => match (run.kind, run.pair) {
                (Exercise::Arc, Some((a, b))) => {
                    let k = if *step == 0 { a } else { b };
                    title = format!(
                        "{title}: {}, {} of two",
                        self.session.sections[k].name,
                        if *step == 0 { "first" } else { "second" }
                    );
                    format!("Balance {} by ear", self.session.sections[k].name)
                }
                (Exercise::Drill, _) => {
                    if let Some(drill) = &run.drill
                        && drill.level.flip
                    {
                        keys.push((key(Action::Compare), "target/yours".to_string()));
                        hearing = Some(
                            if drill.hearing_target {
                                "TARGET"
                            } else {
                                "YOUR MIX"
                            }
                            .to_string(),
                        );
                    }
                    "Rebuild the target by ear".to_string()
                }
                (Exercise::Reference, _) => {
                    keys.push((key(Action::Reference), "reference/yours".to_string()));
                    "Match the reference by ear".to_string()
                }
                _ => "Balance the mix by ear".to_string(),
            },
            Stage::Preparing => {
                keys.clear();
                "Getting the target ready...".to_string()
            }
            Stage::Measuring { .. } => {
                keys.clear();
                "Measuring your mix...".to_string()
            }
            Stage::Comparing { .. } => {
                keys.clear();
                "Measuring your mix and the reference...".to_string()
            }
            Stage::Results { .. } => return None,
        };
        if let Some(drill) = &run.drill {
            title = format!("{title}, level {}", drill.level.number);
        }
        if matches!(run.stage, Stage::Listen | Stage::Balance { .. }) {
            keys.insert(0, ("Enter".to_string(), "done".to_string()));
            keys.push((key(Action::PlayPause), "play".to_string()));
        }
        keys.push((key(Action::Help), "help".to_string()));
        keys.push(("Esc".to_string(), "leave".to_string()));
        Some(ExerciseBanner {
            title,
            step,
            keys,
            hearing,
        })
    }

    /// The results screen, when an exercise shows it.
    pub(super) fn results_overlay(&self) -> Option<Overlay> {
        match &self.exercise.as_ref()?.stage {
            Stage::Results {
                view, more, page, ..
            } => {
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
                shown.answers.insert(0, ("Tab".to_string(), next));
                Some(Overlay::Results(shown))
            }
            _ => None,
        }
    }

    /// A key during an exercise (no box open).
    pub(super) fn exercise_key(
        &mut self,
        event: &KeyEvent,
        now: Instant,
        controls: &mut dyn Controls,
    ) -> Outcome {
        let Some(run) = self.exercise.as_ref() else {
            return Outcome::Continue;
        };
        let key = key_char(event);
        if let Stage::Results { keep, .. } = &run.stage {
            let keep = keep.clone();
            let retry = run.drill.as_ref().map(|d| d.level.number);
            return self.results_key(key, event, keep, retry, now, controls);
        }
        let kind = run.kind;
        let measuring = matches!(
            run.stage,
            Stage::Measuring { .. } | Stage::Comparing { .. } | Stage::Preparing
        );
        let listening = matches!(run.stage, Stage::Listen);
        let drilled: Option<Vec<usize>> = run.drill.as_ref().map(|d| d.channels.clone());
        let memory = run.drill.as_ref().is_some_and(|d| d.level.is_memory());
        match key {
            Some('\n') if !measuring => {
                self.confirm_step(controls);
                return Outcome::Continue;
            }
            Some('\u{1b}') => {
                self.modal = Some(Modal::LeaveExercise);
                return Outcome::Continue;
            }
            _ => {}
        }
        let Some(action) = self.keymap.action_for(event) else {
            if !matches!(event.code, KeyCode::Modifier(_)) {
                self.message = Some(format!(
                    "{} does nothing in the exercise (? shows what to do)",
                    crate::app::keymap::Key::from_event(event)
                ));
            }
            return Outcome::Continue;
        };
        if measuring && !matches!(action, Action::Quit | Action::Help | Action::PlayPause) {
            return Outcome::Continue;
        }
        let step = StepKeys {
            kind,
            listening,
            memory,
            drilled,
        };
        self.exercise_action(action, &step, now, controls)
    }

    /// An action during an exercise step: what the exercise allows, refusing the rest.
    fn exercise_action(
        &mut self,
        action: Action,
        step: &StepKeys,
        now: Instant,
        controls: &mut dyn Controls,
    ) -> Outcome {
        let StepKeys {
            kind,
            listening,
            memory,
            drilled,
        } = step;
        let (kind, listening, memory) = (*kind, *listening, *memory);
        if let Some(outcome) = self.reference_exercise_action(kind, action, now, controls) {
            return outcome;
        }
        match action {
            Action::SelectPrevious
            | Action::SelectNext
            | Action::SelectStrip(_)
            | Action::Nudge { .. }
            | Action::Unity
            | Action::Mute
            | Action::Solo
            | Action::ClearSolos
            | Action::Undo
            | Action::Redo => {
                let edits_fader = matches!(
                    action,
                    Action::Nudge { .. } | Action::Unity | Action::Undo | Action::Redo
                );
                if edits_fader && listening {
                    self.message =
                        Some("This is the target: Enter scrambles it for you to rebuild".into());
                    return Outcome::Continue;
                }
                if let Some(drilled) = &drilled
                    && let Some(index) = self.strip_of(action)
                    && !drilled.contains(&index)
                {
                    self.message = Some(format!(
                        "{} sits this drill out",
                        self.session.channels[index].name
                    ));
                    return Outcome::Continue;
                }
                if edits_fader {
                    self.hear_own_mix(controls);
                }
                self.update(action, now, controls)
            }
            Action::PlayPause
            | Action::ToStart
            | Action::PreviousSection
            | Action::NextSection
            | Action::LoopSection
                if listening && memory =>
            {
                self.message = Some("Memory mode: the target plays once".to_string());
                Outcome::Continue
            }
            Action::PlayPause
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
            | Action::MonitorReset => self.update(action, now, controls),
            Action::Compare => {
                self.flip(controls);
                Outcome::Continue
            }
            Action::Help => {
                self.modal = Some(Modal::Info {
                    title: kind.title().to_string(),
                    lines: self.exercise_help(),
                });
                Outcome::Continue
            }
            Action::Quit => {
                self.modal = Some(Modal::LeaveExercise);
                Outcome::Continue
            }
            _ => {
                self.message = Some(
                    "Not during an exercise: it is faders, mute and solo, by ear (Esc leaves)"
                        .to_string(),
                );
                Outcome::Continue
            }
        }
    }

    /// The strip a select, mute or solo action would touch (for the drill's sit-outs).
    fn strip_of(&self, action: Action) -> Option<usize> {
        match action {
            Action::Nudge { .. } | Action::Unity | Action::Mute | Action::Solo => {
                Some(self.selected)
            }
            _ => None,
        }
    }

    /// The help during an exercise: its instructions and keys.
    fn exercise_help(&self) -> Vec<String> {
        let Some(run) = self.exercise.as_ref() else {
            return Vec::new();
        };
        let mut lines = instruction_lines(run.kind);
        let keys = [
            Action::SelectPrevious,
            Action::SelectNext,
            Action::Nudge {
                direction: crate::app::action::Direction::Up,
                step: crate::app::action::Step::Fine,
            },
            Action::Nudge {
                direction: crate::app::action::Direction::Down,
                step: crate::app::action::Step::Fine,
            },
            Action::Nudge {
                direction: crate::app::action::Direction::Up,
                step: crate::app::action::Step::Coarse,
            },
            Action::Nudge {
                direction: crate::app::action::Direction::Down,
                step: crate::app::action::Step::Coarse,
            },
            Action::Mute,
            Action::Solo,
            Action::PlayPause,
            Action::LoopSection,
            Action::Undo,
        ];
        for action in keys {
            let names: Vec<String> = self
                .keymap
                .keys_for(action)
                .iter()
                .map(ToString::to_string)
                .collect();
            lines.push(format!("{:<14} {}", names.join(" "), action.desc()));
        }
        if run.drill.as_ref().is_some_and(|d| d.level.flip) {
            lines.push(format!(
                "{:<14} Flip between the target and your mix",
                self.keymap
                    .keys_for(Action::Compare)
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        lines.push(format!(
            "{:<14} Done: to the next step or the results",
            "Enter"
        ));
        lines.push(format!(
            "{:<14} Leave the exercise (nothing recorded)",
            "Esc"
        ));
        lines
    }

    /// The drill's flip between the target and the user's mix (loudness-matched).
    fn flip(&mut self, controls: &mut dyn Controls) {
        let Some(run) = self.exercise.as_mut() else {
            return;
        };
        let Some(drill) = run.drill.as_mut() else {
            self.message = Some("There is no target to compare with in this exercise".to_string());
            return;
        };
        if matches!(run.stage, Stage::Listen) {
            self.message = Some("This is the target: Enter scrambles it for you to rebuild".into());
            return;
        }
        if !drill.level.flip {
            self.message =
                Some("Memory mode: no going back to the target. Trust your ear".to_string());
            return;
        }
        if drill.hearing_target {
            self.hear_own_mix(controls);
            self.message = Some("Your mix".to_string());
        } else {
            self.hear_target(controls);
        }
    }

    /// Plays the drill's target (loudness-matched to the user's mix).
    fn hear_target(&mut self, controls: &mut dyn Controls) {
        let own: Vec<f64> = self.faders().iter().map(|d| d.0).collect();
        let master = self.session.master_db;
        let Some(drill) = self.exercise.as_mut().and_then(|r| r.drill.as_mut()) else {
            return;
        };
        let matched = drill.levels.as_ref().map(|levels| {
            let target_all = {
                let mut all = own.clone();
                for (k, &i) in drill.channels.iter().enumerate() {
                    all[i] = drill.target[k];
                }
                all
            };
            drill::match_gain_db(levels, &target_all, &own)
        });
        for (k, &i) in drill.channels.iter().enumerate() {
            controls.set_gain(i, Decibels(drill.target[k]));
        }
        controls.set_master(Decibels(master.0 + matched.unwrap_or(0.0)));
        drill.hearing_target = true;
        self.message = Some(if matched.is_some() {
            "The target, as loud as your mix".to_string()
        } else {
            "The target (still measuring: not loudness-matched yet)".to_string()
        });
    }

    /// Plays the user's own mix again after the target.
    fn hear_own_mix(&mut self, controls: &mut dyn Controls) {
        let Some(drill) = self.exercise.as_mut().and_then(|r| r.drill.as_mut()) else {
            return;
        };
        if !drill.hearing_target {
            return;
        }
        drill.hearing_target = false;
        let channels = drill.channels.clone();
        for i in channels {
            controls.set_gain(i, self.session.channels[i].gain_db);
        }
        controls.set_master(self.session.master_db);
    }

    /// Enter during a step.
    fn confirm_step(&mut self, controls: &mut dyn Controls) {
        let Some(run) = self.exercise.as_ref() else {
            return;
        };
        let kind = run.kind;
        let listening = matches!(run.stage, Stage::Listen);
        let step = match run.stage {
            Stage::Balance { step } => Some(step),
            _ => None,
        };
        let played = run.played;
        let span = run.span;
        if listening {
            self.scramble_drill(controls);
            return;
        }
        match (step, kind) {
            (None, _) => {}
            (Some(0), Exercise::Arc) => self.arc_second_step(controls),
            (Some(_), Exercise::Arc) => self.arc_results(),
            (Some(_), Exercise::Drill) => {
                self.hear_own_mix(controls);
                self.drill_results();
            }
            (Some(_), Exercise::Reference) => self.compare_with_reference(),
            (Some(_), Exercise::Blindfold) => {
                let span = match played {
                    Some((a, b)) if b - a >= MIN_MEASURED_SPAN => (Seconds(a), Seconds(b)),
                    _ => span,
                };
                let receiver = measure_in_background(without_scenes(&self.session), span);
                if let Some(run) = self.exercise.as_mut() {
                    run.span = span;
                    run.stage = Stage::Measuring { receiver };
                }
                self.message = Some("Measuring...".to_string());
            }
        }
    }

    /// The drill after listening: the drilled faders are scrambled around the target and the
    /// user rebuilds it.
    fn scramble_drill(&mut self, controls: &mut dyn Controls) {
        let Some(drill) = self.exercise.as_ref().and_then(|r| r.drill.as_ref()) else {
            return;
        };
        let channels = drill.channels.clone();
        let target = drill.target.clone();
        let range = drill.level.scramble_db;
        let memory = drill.level.is_memory();
        let mut random = || self.random_unit();
        let offsets = drill::scramble(channels.len(), range, &mut random);
        for ((&i, t), offset) in channels.iter().zip(&target).zip(offsets) {
            let channel = self.session.channels[i].name.clone();
            let db = Decibels(round2((t + offset).clamp(FADER_FLOOR_DB, FADER_MAX_DB)));
            self.quietly(&MixEdit::Gain { channel, db }, controls);
        }
        let start = self.faders();
        if let Some(run) = self.exercise.as_mut() {
            run.stage = Stage::Balance { step: 0 };
            run.start = start;
            run.played = None;
            if let Some(drill) = run.drill.as_mut() {
                drill.hearing_target = false;
            }
        }
        self.undo = UndoStack::new();
        if memory {
            // The target was heard once; the user's mix loops from here on.
            let span = self.exercise.as_ref().map(|r| r.span);
            if let Some(span) = span {
                Self::play_span(span, controls);
            }
        }
        self.message = Some("Scrambled: rebuild the target by ear".to_string());
    }

    /// The Emotional Arc after the first section: the second one, from the same start.
    fn arc_second_step(&mut self, controls: &mut dyn Controls) {
        let first = self.faders();
        let Some(run) = self.exercise.as_mut() else {
            return;
        };
        run.first = Some(first);
        run.stage = Stage::Balance { step: 1 };
        let start = run.start.clone();
        let second = run.pair.map(|p| p.1);
        self.set_faders(&start, controls);
        self.undo = UndoStack::new();
        if let Some(k) = second {
            let span = self.section_span(k);
            if let Some(run) = self.exercise.as_mut() {
                run.span = span;
                run.played = None;
            }
            Self::play_span(span, controls);
            // The panel names the section.
            self.message = None;
        }
    }

    /// Moves an exercise along between frames: the played span, measurements arriving.
    pub(super) fn exercise_tick(&mut self, controls: &mut dyn Controls) {
        let playing = controls.is_playing();
        let position = controls.position().0;
        let Some(run) = self.exercise.as_mut() else {
            return;
        };
        if playing && matches!(run.stage, Stage::Balance { .. }) {
            run.played = Some(run.played.map_or((position, position), |(a, b)| {
                (a.min(position), b.max(position))
            }));
        }
        let end = run.span.1.0 - 1e-3;
        if matches!(run.stage, Stage::Listen)
            && position >= end
            && let Some(drill) = run.drill.as_mut()
            && drill.level.is_memory()
            && !drill.heard
        {
            drill.heard = true;
            if playing {
                controls.pause();
            }
            self.message =
                Some("That was the target, once. Enter scrambles it for you to rebuild".into());
        }
        let Some(run) = self.exercise.as_mut() else {
            return;
        };
        if let Some(receiver) = &run.drill_levels {
            let measured = match receiver.try_recv() {
                Ok(Ok(levels)) => Some(Some(levels)),
                Ok(Err(e)) => {
                    tracing::warn!("drill loudness: {e}");
                    self.message = Some(format!("The flip is not loudness-matched: {e}"));
                    Some(None)
                }
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => Some(None),
            };
            if let Some(measured) = measured {
                run.drill_levels = None;
                self.drill_ready(measured, controls);
            }
        }
        let Some(run) = self.exercise.as_mut() else {
            return;
        };
        if let Stage::Measuring { receiver } = &run.stage {
            match receiver.try_recv() {
                Ok(Ok(levels)) => self.blindfold_results(&levels),
                Ok(Err(e)) => {
                    tracing::error!("blindfold measurement: {e}");
                    self.message = Some(format!("Could not measure the mix: {e}"));
                    if let Some(run) = self.exercise.as_mut() {
                        run.stage = Stage::Balance { step: 0 };
                    }
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    run.stage = Stage::Balance { step: 0 };
                }
            }
        }
        self.reference_tick();
    }

    /// Whether an exercise waits for something (the console keeps ticking).
    pub(super) fn exercise_waiting(&self) -> bool {
        self.exercise.as_ref().is_some_and(|r| {
            matches!(r.stage, Stage::Measuring { .. } | Stage::Comparing { .. })
                || r.drill_levels.is_some()
        })
    }

    /// The Blindfold Balance Test's results, from the measured levels.
    fn blindfold_results(&mut self, levels: &[ChannelLevel]) {
        let targets = self.targets.clone();
        let result = blindfold::analyse(&self.session, levels, &targets);
        let Some(run) = self.exercise.as_ref() else {
            return;
        };
        let span = run.span;
        let before = &run.stash.session;
        let rows = result
            .channels
            .iter()
            .map(|c| ResultRow {
                name: c.name.clone(),
                role: c.role,
                cells: vec![
                    db(c.fader_db),
                    dbfs(c.peak_dbfs),
                    dbfs(c.rms_dbfs),
                    format!("{:.1}", c.target_dbfs),
                    db_opt(c.difference_db),
                ],
                bar_db: c.deviation_db,
            })
            .collect();
        let mut headline = vec![format!(
            "Measured over {} to {} with your final faders.",
            span.0, span.1
        )];
        if let Some(score) = &result.score {
            headline.push(format!(
                "Against the textbook: {} points (typical deviation {:.1} dB).",
                score.points, score.rms_db
            ));
        }
        let edits: Vec<MixEdit> = self
            .session
            .channels
            .iter()
            .zip(&before.channels)
            .filter(|(now, was)| now.gain_db != was.gain_db)
            .map(|(now, _)| MixEdit::Gain {
                channel: now.name.clone(),
                db: now.gain_db,
            })
            .collect();
        let view = ResultsView {
            title: "Blindfold Balance Test: what you did".to_string(),
            headline,
            columns: ["Fader", "Peak", "RMS", "Target", "Diff"]
                .iter()
                .map(ToString::to_string)
                .collect(),
            rows,
            chart: "Peak against the textbook, overall offset removed".to_string(),
            reading: result.reading.clone(),
            answers: vec![
                ("k".to_string(), "keep this balance".to_string()),
                ("Enter".to_string(), "close (back to your mix)".to_string()),
            ],
        };
        let mut record = Record::new(
            Exercise::Blindfold.id(),
            &self.session.path,
            SystemTime::now(),
        )
        .with_channels(
            result
                .channels
                .iter()
                .map(|c| ChannelResult {
                    name: c.name.clone(),
                    error_db: c.deviation_db,
                    level_db: c.peak_dbfs,
                    target_db: Some(c.target_dbfs),
                })
                .collect(),
        );
        if let Some(score) = &result.score {
            record = record
                .with_score(f64::from(score.points))
                .with_rms_db(score.rms_db);
        }
        self.record(&record);
        self.show_results(
            view,
            Keep::Edits {
                edits,
                done: "Kept the balance from the Blindfold Balance Test".to_string(),
            },
        );
    }

    /// The Emotional Arc's results, from the two balances.
    fn arc_results(&mut self) {
        let second = self.faders();
        let Some(run) = self.exercise.as_ref() else {
            return;
        };
        let (Some((a, b)), Some(first)) = (run.pair, run.first.clone()) else {
            return;
        };
        let channels: Vec<(String, Option<Role>)> = self
            .session
            .channels
            .iter()
            .map(|c| (c.name.clone(), c.role))
            .collect();
        let sections = &self.session.sections;
        let result = emotional::analyse(
            &channels,
            &first,
            &second,
            &sections[a].name,
            &sections[b].name,
        );
        let rows = result
            .channels
            .iter()
            .map(|c| ResultRow {
                name: c.name.clone(),
                role: c.role,
                cells: vec![db(c.first_db), db(c.second_db), db_opt(c.balance_db)],
                bar_db: c.balance_db,
            })
            .collect();
        let short =
            |name: &str| crate::ui::widgets::text::shorten_numbered(name, 8, "~").into_owned();
        let view = ResultsView {
            title: format!("Emotional Arc: {} to {}", result.first, result.second),
            headline: vec![format!(
                "Your balance moved {:.1} dB (RMS) between the two; the whole mix's {} dB \
                 change is taken out.",
                result.contrast_db,
                db(result.common_db)
            )],
            columns: vec![
                short(&result.first),
                short(&result.second),
                "Change".to_string(),
            ],
            rows,
            chart: format!(
                "{} against {}, overall change removed",
                result.second, result.first
            ),
            reading: result.reading.clone(),
            answers: vec![
                ("k".to_string(), "keep them as the two scenes".to_string()),
                ("Enter".to_string(), "close (back to your mix)".to_string()),
            ],
        };
        let sections_after = arc_scenes(&run.stash.session, [(a, &first), (b, &second)]);
        let record = Record::new(Exercise::Arc.id(), &self.session.path, SystemTime::now())
            .with_rms_db(result.contrast_db)
            .with_channels(
                result
                    .channels
                    .iter()
                    .map(|c| ChannelResult {
                        name: c.name.clone(),
                        error_db: c.balance_db,
                        level_db: Some(c.second_db),
                        target_db: Some(c.first_db),
                    })
                    .collect(),
            );
        let done = format!(
            "Kept your balances as the scenes of {} and {}",
            result.first, result.second
        );
        self.record(&record);
        self.show_results(
            view,
            Keep::Edits {
                edits: vec![MixEdit::Sections {
                    sections: sections_after,
                }],
                done,
            },
        );
    }

    /// The drill's results: the score.
    fn drill_results(&mut self) {
        let Some(run) = self.exercise.as_ref() else {
            return;
        };
        let Some(drill) = run.drill.as_ref() else {
            return;
        };
        let channels: Vec<(String, Option<Role>)> = drill
            .channels
            .iter()
            .map(|&i| {
                let c = &self.session.channels[i];
                (c.name.clone(), c.role)
            })
            .collect();
        let own: Vec<Decibels> = drill
            .channels
            .iter()
            .map(|&i| self.session.channels[i].gain_db)
            .collect();
        let target: Vec<Decibels> = drill.target.iter().map(|&t| Decibels(t)).collect();
        let result = drill::analyse(drill.level, &channels, &own, &target);
        let rows = result
            .channels
            .iter()
            .map(|c| ResultRow {
                name: c.name.clone(),
                role: c.role,
                cells: vec![db(c.own_db), db(c.target_db), format!("{:+.1}", c.error_db)],
                bar_db: Some(c.error_db),
            })
            .collect();
        let verdict = if result.passed {
            "passed"
        } else {
            "not passed"
        };
        let view = ResultsView {
            title: format!(
                "Level-matching drill, level {}: {verdict}",
                drill.level.number
            ),
            headline: vec![
                format!(
                    "Score: {} points (error {:.1} dB RMS; {} to pass). Target: {}.",
                    result.score.points,
                    result.score.rms_db,
                    drill.level.pass_points,
                    drill.source_label
                ),
                format!(
                    "Your whole mix sat {:+.1} dB from the target: that costs nothing.",
                    result.score.common_offset_db
                ),
            ],
            columns: ["You", "Target", "Error"]
                .iter()
                .map(ToString::to_string)
                .collect(),
            rows,
            chart: "Your level against the target, overall offset removed".to_string(),
            reading: result.reading.clone(),
            answers: {
                let mut answers = vec![("r".to_string(), "again".to_string())];
                if result.passed && drill::level(drill.level.number + 1).is_some() {
                    answers.push(("n".to_string(), "next level".to_string()));
                }
                answers.push(("Enter".to_string(), "close".to_string()));
                answers
            },
        };
        let record = Record::new(Exercise::Drill.id(), &self.session.path, SystemTime::now())
            .with_level(drill.level.number)
            .with_score(f64::from(result.score.points))
            .with_rms_db(result.score.rms_db)
            .with_channels(
                result
                    .channels
                    .iter()
                    .map(|c| ChannelResult {
                        name: c.name.clone(),
                        error_db: Some(c.error_db),
                        level_db: Some(c.own_db),
                        target_db: Some(c.target_db),
                    })
                    .collect(),
            );
        self.record(&record);
        self.show_results(view, Keep::Nothing);
    }

    /// Appends a finished exercise to the history.
    fn record(&mut self, record: &Record) {
        if let Some(history) = &self.history
            && let Err(e) = history.append(record)
        {
            tracing::error!("{e}");
            self.message = Some(format!("Not recorded in the history: {e}"));
        }
    }

    /// Shows the results: the console lights up again (the results show numbers).
    fn show_results(&mut self, view: ResultsView, keep: Keep) {
        self.blind = BlindLevel::Off;
        self.message = None;
        if let Some(run) = self.exercise.as_mut() {
            run.stage = Stage::Results {
                view: Box::new(view),
                more: Vec::new(),
                keep,
                page: 0,
            };
        }
    }

    /// A key on the results screen.
    fn results_key(
        &mut self,
        key: Option<char>,
        event: &KeyEvent,
        keep: Keep,
        retry: Option<u32>,
        now: Instant,
        controls: &mut dyn Controls,
    ) -> Outcome {
        if matches!(event.code, KeyCode::Tab | KeyCode::BackTab) {
            if let Some(Run {
                stage: Stage::Results { page, more, .. },
                ..
            }) = self.exercise.as_mut()
            {
                let pages = more.len() + 2;
                *page = if event.code == KeyCode::Tab {
                    (*page + 1) % pages
                } else {
                    (*page + pages - 1) % pages
                };
            }
            return Outcome::Continue;
        }
        match key {
            Some('k') if matches!(keep, Keep::Edits { .. }) => {
                self.finish_exercise(Some(keep), controls);
            }
            Some('\n' | '\u{1b}' | 'q') => {
                self.finish_exercise(None, controls);
                self.message = Some("Back to your mix, as it was".to_string());
            }
            Some(c @ ('r' | 'n')) if retry.is_some() => {
                let level = retry.unwrap_or(1) + u32::from(c == 'n');
                let source = self
                    .exercise
                    .as_ref()
                    .and_then(|r| r.drill.as_ref().map(|d| d.source_label.clone()));
                self.finish_exercise(None, controls);
                if let Some(mut setup) = self.setup_for(Exercise::Drill) {
                    if level <= setup.unlocked && drill::level(level).is_some() {
                        setup.level = level;
                    }
                    if let Some(k) = setup
                        .sources
                        .iter()
                        .position(|(_, l)| Some(l) == source.as_ref())
                    {
                        setup.source = k;
                    }
                    self.start_exercise(&setup, controls);
                }
            }
            _ if is_ctrl_c(event) => {
                self.finish_exercise(None, controls);
                return self.update(Action::Quit, now, controls);
            }
            _ => {}
        }
        Outcome::Continue
    }

    /// Ends the exercise: the console's state comes back and the engine plays the user's mix
    /// again; `keep` is then applied as one undo step and saved.
    fn finish_exercise(&mut self, keep: Option<Keep>, controls: &mut dyn Controls) {
        let Some(run) = self.exercise.take() else {
            return;
        };
        let stash = run.stash;
        self.session = stash.session;
        self.undo = stash.undo;
        self.journal = stash.journal;
        self.journal_pending.clear();
        self.blind = stash.blind;
        self.comparing = stash.comparing;
        self.scene_mode = stash.scene_mode;
        self.trim_mode = stash.trim_mode;
        self.focus = stash.focus;
        self.selected = stash.selected;
        self.glides.clear();
        self.end_burst();
        self.resync(controls);
        controls.set_scenes_bypassed(self.comparing);
        controls.set_loop(stash.loop_region);
        if let Some(Keep::Edits { edits, done }) = keep
            && self.edit_group(edits, controls)
            && self.save()
        {
            self.message = Some(format!("{done}; saved (u undoes)"));
        }
    }

    /// Tells the engine every value of the mix (after the exercise put the mix back).
    fn resync(&mut self, controls: &mut dyn Controls) {
        for (i, c) in self.session.channels.iter().enumerate() {
            controls.set_trim(i, c.trim_db);
            controls.set_gain(i, c.gain_db);
            controls.set_pan(i, c.pan);
            controls.set_mute(i, c.mute);
            controls.set_solo(i, c.solo);
        }
        controls.set_master(self.session.master_db);
        controls.set_scenes(&self.session);
    }
}
