//! The guided exercises as the console runs them (UI thread; not realtime-safe: measuring
//! threads, history file). Each exercise is one [`ExerciseFlow`] in a file of its own in this
//! folder; one runner (in the console model, `App`) does what they share:
//!
//! 1. **Set-up.** The exercise list and each exercise's panel (instructions, the choices its
//!    [`Setup`] offers) are boxes over the mixer.
//! 2. **Start.** The runner puts the user's mix aside (the session, undo history, crash
//!    journal, selection, modes, loop, the monitor and what is heard: mix or reference), clears
//!    the solos and hides the numbers; then [`ExerciseFlow::start`] sets its faders and starts
//!    playing. From here every fader move is the exercise's own: not journalled, not in the
//!    user's undo history.
//! 3. **Steps.** Keys become actions; [`ExerciseFlow::action`] takes those it handles or
//!    refuses, the runner applies the mixer actions every exercise allows (select, faders,
//!    mute, solo, undo, transport, loop, monitor). Enter is [`ExerciseFlow::done`]: the next step,
//!    a measurement in the background ([`ExerciseFlow::tick`] takes it when it arrives), or the
//!    results.
//! 4. **Results.** A [`Finished`] exercise gives its results pages, what `k` keeps, and the
//!    history record. The runner records it, shows the pages, and on leaving brings the user's
//!    mix back exactly as it was heard; keeping applies [`Keep::Edits`] as one undo step and
//!    saves.
//!
//! # Adding an exercise
//!
//! Write one file here with a type implementing [`ExerciseFlow`], then register it: a variant
//! of [`Exercise`] (its id, title, summary and instructions in `crate::exercise`) and its arm in
//! [`flow_for`]. The runner, the boxes, the history and the results screen need no change.

pub mod abx;
pub mod arc;
pub mod blindfold;
pub mod consistency;
pub mod drill;
pub mod guess;
pub mod pan;
pub mod reference;

use std::sync::mpsc::{self, Receiver};

use super::action::Action;
use super::edit::MixEdit;
use super::keymap::Keymap;
use super::mixer::{FADER_FLOOR_DB, FADER_MAX_DB, Mixer, round2};
use crate::analysis::levels::{self, ChannelLevel};
use crate::config::ExerciseConfig;
use crate::exercise::Exercise;
use crate::exercise::drill::TargetSource;
use crate::exercise::history::Record;
use crate::exercise::targets::Targets;
use crate::session::Session;
use crate::ui::view::ResultsView;
use crate::units::{Decibels, Seconds};

/// An exercise being set up: what its panel offers before it starts.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Which exercise.
    pub kind: Exercise,
    /// Emotional Arc: the two sections (indices), in the order they are balanced. Consistency
    /// drill: the section balanced in between, then the one balanced twice.
    pub pair: Option<(usize, usize)>,
    /// Drill: the level chosen.
    pub level: u32,
    /// Drill: the highest level unlocked.
    pub unlocked: u32,
    /// Drill and pan drill: what the target can be.
    pub sources: Vec<(TargetSource, String)>,
    /// Drill and pan drill: which target is chosen (an index into `sources`).
    pub source: usize,
    /// Reference Deconstruction: the faders start scrambled (else flat, at 0 dB).
    pub scrambled: bool,
    /// Guess mode: the listener also says by how much (a little or a lot).
    pub sizes: bool,
    /// Blind A/B/X: the snapshots A can be, by name.
    pub versions: Vec<String>,
    /// Blind A/B/X: which snapshot is A (an index into `versions`).
    pub version: usize,
    /// Blind A/B/X: what B can be.
    pub against: Vec<abx::Versus>,
    /// Blind A/B/X: which one B is (an index into `against`).
    pub versus: usize,
    /// Blind A/B/X: how many trials.
    pub trials: usize,
    /// Why the panel opens at another drill level than the one asked for.
    pub note: Option<String>,
}

/// The exercise `setup` describes, ready to start.
pub fn flow_for(setup: &Setup) -> Box<dyn ExerciseFlow> {
    match setup.kind {
        Exercise::Blindfold => Box::new(blindfold::Blindfold::new()),
        Exercise::Arc => Box::new(arc::Arc::new(setup)),
        Exercise::Drill => Box::new(drill::Drill::new(setup)),
        Exercise::Reference => Box::new(reference::Reference::new(setup)),
        Exercise::Consistency => Box::new(consistency::Consistency::new(setup)),
        Exercise::Pan => Box::new(pan::PanDrill::new(setup)),
        Exercise::Guess => Box::new(guess::Guess::new(setup.sizes)),
        Exercise::Abx => Box::new(abx::AbxFlow::new(setup)),
    }
}

/// One guided exercise, as the runner drives it (see the module docs for the steps).
pub trait ExerciseFlow {
    /// Which exercise this is.
    fn kind(&self) -> Exercise;

    /// The first step, with the user's mix put aside: sets the faders and starts playing.
    /// An error says why it cannot start (the runner then puts everything back).
    fn start(&mut self, bench: &mut Bench<'_>) -> Result<(), String>;

    /// What the panel says now, over the exercise's mix.
    fn step(&self, mixer: &Mixer, keymap: &Keymap) -> Step;

    /// An action during a step, before the runner's own handling.
    fn action(&mut self, _action: Action, _bench: &mut Bench<'_>) -> Handled {
        Handled::Shared
    }

    /// Enter during a step: on to the next step, a measurement, or the results.
    fn done(&mut self, bench: &mut Bench<'_>) -> Option<Finished>;

    /// Between frames: what it follows (the span played) and measurements arriving.
    fn tick(&mut self, _bench: &mut Bench<'_>) -> Option<Finished> {
        None
    }

    /// Whether it waits for a measurement: the console keeps ticking, and only play, help and
    /// leave act meanwhile.
    fn waiting(&self) -> bool {
        false
    }

    /// Lines its help adds after the instructions and the shared keys.
    fn help(&self, _keymap: &Keymap) -> Vec<String> {
        Vec::new()
    }

    /// The drill level and target to run again from the results (`r`, `n`), if it has levels.
    fn retry(&self) -> Option<(u32, String)> {
        None
    }
}

/// What the panel shows for the step under way.
#[derive(Debug, Clone, Default)]
pub struct Step {
    /// The title, e.g. "Emotional Arc Exercise: Verse 1, first of two".
    pub title: String,
    /// What to do now.
    pub text: String,
    /// The keys that matter (the runner adds done, play, help and leave).
    pub keys: Vec<(String, String)>,
    /// What is heard when that can change ("TARGET", "YOUR MIX").
    pub hearing: Option<String>,
    /// The step takes faders and Enter (not while listening to a target or measuring).
    pub balancing: bool,
}

/// What an exercise did with an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Nothing of its own: the runner's shared rules apply.
    Shared,
    /// Applied as the mixer applies it, beyond the shared rules (e.g. trims in Reference
    /// Deconstruction).
    Mixer,
    /// Done by the exercise.
    Done,
    /// Refused, saying why.
    Refused(String),
}

/// A finished exercise: its results and what it leaves.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The first results page (table, chart, reading, the answers it offers).
    pub view: ResultsView,
    /// More tables, each a page after the first.
    pub more: Vec<ResultsView>,
    /// What keeping the result does.
    pub keep: Keep,
    /// What goes into the history.
    pub record: Record,
}

/// What keeping a result does.
#[derive(Debug, Clone, PartialEq)]
pub enum Keep {
    /// Nothing to keep (the drill).
    Nothing,
    /// These edits to the user's mix, as one undo step, then save.
    Edits {
        /// The edits.
        edits: Vec<MixEdit>,
        /// What the status line says once kept.
        done: String,
    },
}

/// What an exercise works with: the mix it plays (the user's is put aside), the user's mix as
/// it was, the settings and the keys.
pub struct Bench<'a> {
    /// The exercise's mix: its fader moves go here and to the engine.
    pub mixer: &'a mut Mixer,
    /// The user's mix, put aside until the exercise ends.
    pub before: &'a Session,
    /// How the exercises scramble.
    pub config: &'a ExerciseConfig,
    /// The role targets the Blindfold Balance Test compares with.
    pub targets: &'a Targets,
    /// The keys, for the panel and the results.
    pub keymap: &'a Keymap,
}

impl Bench<'_> {
    /// The first key of `action`, as the panel shows it.
    pub fn key(&self, action: Action) -> String {
        self.keymap.key_label(action)
    }

    /// The channels that play (not muted, fader not off), by index.
    pub fn playing_channels(&self) -> Vec<usize> {
        let channels = &self.mixer.session.channels;
        (0..channels.len())
            .filter(|&i| !channels[i].mute && !channels[i].gain_db.is_off())
            .collect()
    }

    /// Every fader (session order), the channels in `which` moved by a random offset of up to
    /// `range` dB either way (kept within the fader's range).
    pub fn scrambled(&mut self, which: &[usize], range: f64) -> Vec<Decibels> {
        let mut random = || self.mixer.random_unit();
        let offsets = crate::exercise::drill::scramble(which.len(), range, &mut random);
        let mut faders = self.faders();
        for (&i, offset) in which.iter().zip(offsets) {
            faders[i] = Decibels(round2(
                (faders[i].0 + offset).clamp(FADER_FLOOR_DB, FADER_MAX_DB),
            ));
        }
        faders
    }

    /// Section `k`'s span, from its start to the next section's (or the end).
    pub fn section_span(&self, k: usize) -> (Seconds, Seconds) {
        let session = &self.mixer.session;
        let start = session.sections[k].start;
        let end = session
            .sections
            .get(k + 1)
            .map_or_else(|| session.length(), |s| s.start);
        (start, end)
    }

    /// Loops `span` from its start and plays.
    pub fn play_span(&mut self, span: (Seconds, Seconds)) {
        use super::effect::Effect;
        if span.1.0 - span.0.0 > 0.0 {
            self.mixer.emit(Effect::Loop(Some(span)));
        }
        self.mixer.emit(Effect::Seek(span.0));
        self.mixer.emit(Effect::Play);
    }

    /// Applies an edit to the exercise's mix and the engine, outside the undo history and the
    /// journal.
    pub fn quietly(&mut self, edit: &MixEdit) {
        if edit.apply(&mut self.mixer.session).is_ok() {
            self.mixer.send(edit);
        }
    }

    /// Sets every fader (session order) quietly.
    pub fn set_faders(&mut self, faders: &[Decibels]) {
        for (i, db) in faders.iter().enumerate() {
            if let Some(channel) = self.mixer.session.channels.get(i) {
                let channel = channel.name.clone();
                self.quietly(&MixEdit::Gain { channel, db: *db });
            }
        }
    }

    /// The faders now (session order).
    pub fn faders(&self) -> Vec<Decibels> {
        self.mixer
            .session
            .channels
            .iter()
            .map(|c| c.gain_db)
            .collect()
    }

    /// The answers line of a results page: each action's first key and what it does.
    pub fn answers(&self, list: &[(Action, &str)]) -> Vec<(String, String)> {
        super::mode::answers(self.keymap, list)
    }
}

/// A dB figure for a results table: one decimal, "off" for -inf.
pub fn db(value: f64) -> String {
    if value == f64::NEG_INFINITY {
        "off".to_string()
    } else if value.abs() < 0.05 {
        // No "-0.0".
        "0.0".to_string()
    } else {
        format!("{value:+.1}")
    }
}

/// A dB figure, or "-" when there is none.
pub fn db_opt(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), db)
}

/// A level in dBFS (no sign needed, they are all negative or 0).
pub fn dbfs(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"))
}

/// What an exercise receives from a measurement on its own thread.
pub type Measuring<T> = Receiver<Result<T, String>>;

/// Runs `work` on a thread of its own; its result (or why it failed) arrives on the receiver.
pub fn in_background<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Measuring<T> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("earmix-measure".into())
        .spawn(move || {
            let _ = tx.send(work());
        });
    if let Err(e) = spawned {
        let (tx, rx) = mpsc::channel();
        let _ = tx.send(Err(format!("cannot start the measuring thread: {e}")));
        return rx;
    }
    rx
}

/// Measures `span` of `session` on a thread of its own: each channel's level.
pub fn measure_in_background(
    session: Session,
    span: (Seconds, Seconds),
) -> Measuring<Vec<ChannelLevel>> {
    let rate = f64::from(session.sample_rate);
    let start = (span.0.0.max(0.0) * rate).round() as u64;
    let end = ((span.1.0 * rate).round() as u64).min(session.length_frames);
    in_background(move || levels::measure_span(&session, start, end).map_err(|e| e.to_string()))
}

/// What a measurement on its way has brought: `None` while it is not there yet; then the
/// result, or why there is none (the thread ended without a word: "stopped").
pub fn arrived<T>(receiver: &Measuring<T>) -> Option<Result<T, String>> {
    match receiver.try_recv() {
        Ok(result) => Some(result),
        Err(mpsc::TryRecvError::Empty) => None,
        Err(mpsc::TryRecvError::Disconnected) => Some(Err("the measurement stopped".to_string())),
    }
}

/// `session` with every section scene taken out (what an exercise plays: the base faders).
pub fn without_scenes(session: &Session) -> Session {
    let mut plain = session.clone();
    for section in &mut plain.sections {
        section.gain_db.clear();
        section.mute.clear();
    }
    plain
}

/// An exercise's instructions as box lines: each paragraph, then a blank line.
pub fn instruction_lines(kind: Exercise) -> Vec<String> {
    kind.instructions()
        .iter()
        .flat_map(|p| [(*p).to_string(), String::new()])
        .collect()
}
