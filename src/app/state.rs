//! The console's model (UI thread): the mix being edited, the selection, blind mode, undo, the
//! crash journal and the questions the console asks. Keys arrive through [`App::key`]; every
//! mixer edit goes to the session model, the undo history, the journal and the engine at once.
//!
//! The engine is reached through [`Controls`], so the model can be tested without audio.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use rand_core::{Rng as _, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::action::{Action, Direction, Step};
use super::edit::{Change, MixEdit, differences};
use super::journal::{Journal, Recovery};
use super::keymap::Keymap;
use super::undo::{BurstId, UndoStack};
use crate::config::{BlindConfig, ExerciseConfig, StepsConfig};
use crate::engine::monitor::MonitorState;
use crate::engine::protocol::Listen;
use crate::exercise::history::History;
use crate::exercise::targets::Targets;
use crate::session::lock::{Owner, SessionLock};
use crate::session::{Section, Session};
use crate::ui::view::{ArcChannel, ArcView, BlindLevel, Focus, Overlay};
use crate::units::{Decibels, Pan, Seconds, StripId};

mod disk;
mod exercise;
mod monitor;

pub use disk::DISK_CHECK;

/// The upper end of a fader (channel and master).
pub const FADER_MAX_DB: f64 = 12.0;
/// The lowest fader value above off: a nudge down from here turns the fader off, a nudge up from
/// off lands here.
pub const FADER_FLOOR_DB: f64 = -60.0;
/// The ends of the trim control.
pub const TRIM_MAX_DB: f64 = 24.0;
/// How far one pan key moves the pan (10 %).
pub const PAN_STEP: f64 = 0.1;
/// How long the hidden blind-mode offsets take to glide in, so the change is never a jump.
pub const BLIND_GLIDE: Duration = Duration::from_secs(2);
/// Key repeats closer together than this on the same control are one undo step.
pub const BURST_GAP: Duration = Duration::from_millis(600);
/// How many help lines the help key moves on by when the help is longer than the screen.
const HELP_PAGE: usize = 12;
/// Jumping to the previous section from further into a section than this goes to the start of
/// the section instead.
const SECTION_RESTART: f64 = 1.0;

/// What the model asks of the audio engine. [`crate::engine::handle::Engine`] implements it;
/// tests use a recorder.
pub trait Controls {
    /// Sets a strip's input trim.
    fn set_trim(&mut self, strip: usize, db: Decibels);
    /// Sets a strip's fader.
    fn set_gain(&mut self, strip: usize, db: Decibels);
    /// Sets a strip's pan.
    fn set_pan(&mut self, strip: usize, pan: Pan);
    /// Mutes or unmutes a strip.
    fn set_mute(&mut self, strip: usize, on: bool);
    /// Solos or unsolos a strip.
    fn set_solo(&mut self, strip: usize, on: bool);
    /// Sets the master fader.
    fn set_master(&mut self, db: Decibels);
    /// Starts playback.
    fn play(&mut self);
    /// Pauses playback.
    fn pause(&mut self);
    /// Whether playback runs.
    fn is_playing(&self) -> bool;
    /// Moves the play head.
    fn seek(&mut self, to: Seconds);
    /// Where the play head is.
    fn position(&self) -> Seconds;
    /// Loops a region, or stops looping.
    fn set_loop(&mut self, region: Option<(Seconds, Seconds)>);
    /// The loop region, when looping.
    fn loop_region(&self) -> Option<(Seconds, Seconds)>;
    /// Restarts integrated loudness.
    fn reset_loudness(&mut self);
    /// Hands the engine the section scenes `session` now has (after a scene or section edit).
    fn set_scenes(&mut self, session: &Session);
    /// Compare: plays the base mix in place of the section scenes (true), or the scenes.
    fn set_scenes_bypassed(&mut self, on: bool);
    /// Whether the session's reference plays next to the mix.
    fn has_reference(&self) -> bool {
        false
    }
    /// Which one is heard: the mix or the reference.
    fn listen(&self) -> Listen {
        Listen::Mix
    }
    /// Hears the mix or the reference.
    fn set_listen(&mut self, listen: Listen) {
        let _ = listen;
    }
    /// Whether the reference runs free of the play head.
    fn reference_free(&self) -> bool {
        false
    }
    /// Lets the reference run free of the play head, or locks it to it.
    fn set_reference_free(&mut self, free: bool) {
        let _ = free;
    }
    /// Where the reference is, in its own time.
    fn reference_position(&self) -> Option<Seconds> {
        None
    }
    /// Moves a free-running reference.
    fn seek_reference(&mut self, to: Seconds) {
        let _ = to;
    }
    /// Switches the monitor section.
    fn set_monitor(&mut self, state: MonitorState) {
        let _ = state;
    }
}

impl Controls for crate::engine::handle::Engine {
    fn set_trim(&mut self, strip: usize, db: Decibels) {
        crate::engine::handle::Engine::set_trim(self, StripId(strip), db);
    }
    fn set_gain(&mut self, strip: usize, db: Decibels) {
        crate::engine::handle::Engine::set_gain(self, StripId(strip), db);
    }
    fn set_pan(&mut self, strip: usize, pan: Pan) {
        crate::engine::handle::Engine::set_pan(self, StripId(strip), pan);
    }
    fn set_mute(&mut self, strip: usize, on: bool) {
        crate::engine::handle::Engine::set_mute(self, StripId(strip), on);
    }
    fn set_solo(&mut self, strip: usize, on: bool) {
        crate::engine::handle::Engine::set_solo(self, StripId(strip), on);
    }
    fn set_master(&mut self, db: Decibels) {
        crate::engine::handle::Engine::set_master(self, db);
    }
    fn play(&mut self) {
        crate::engine::handle::Engine::play(self);
    }
    fn pause(&mut self) {
        crate::engine::handle::Engine::pause(self);
    }
    fn is_playing(&self) -> bool {
        crate::engine::handle::Engine::is_playing(self)
    }
    fn seek(&mut self, to: Seconds) {
        crate::engine::handle::Engine::seek(self, to);
    }
    fn position(&self) -> Seconds {
        crate::engine::handle::Engine::position(self)
    }
    fn set_loop(&mut self, region: Option<(Seconds, Seconds)>) {
        crate::engine::handle::Engine::set_loop(self, region);
    }
    fn loop_region(&self) -> Option<(Seconds, Seconds)> {
        crate::engine::handle::Engine::loop_region(self)
    }
    fn reset_loudness(&mut self) {
        crate::engine::handle::Engine::reset_loudness(self);
    }
    fn set_scenes(&mut self, session: &Session) {
        let rate = self.mix_rate();
        crate::engine::handle::Engine::set_scenes(
            self,
            crate::engine::scene::SceneTimeline::for_session(session, rate),
        );
    }
    fn set_scenes_bypassed(&mut self, on: bool) {
        crate::engine::handle::Engine::set_scenes_bypassed(self, on);
    }
    fn has_reference(&self) -> bool {
        crate::engine::handle::Engine::has_reference(self)
    }
    fn listen(&self) -> Listen {
        crate::engine::handle::Engine::listen(self)
    }
    fn set_listen(&mut self, listen: Listen) {
        crate::engine::handle::Engine::set_listen(self, listen);
    }
    fn reference_free(&self) -> bool {
        crate::engine::handle::Engine::reference_free(self)
    }
    fn set_reference_free(&mut self, free: bool) {
        crate::engine::handle::Engine::set_reference_free(self, free);
    }
    fn reference_position(&self) -> Option<Seconds> {
        crate::engine::handle::Engine::reference_position(self)
    }
    fn seek_reference(&mut self, to: Seconds) {
        crate::engine::handle::Engine::seek_reference(self, to);
    }
    fn set_monitor(&mut self, state: MonitorState) {
        crate::engine::handle::Engine::set_monitor(self, state);
    }
}

/// The box the console shows over the mixer, and what its keys do.
#[derive(Debug, Clone)]
enum Modal {
    /// The key help, from its `skip`th line on.
    Help { skip: usize },
    /// "Quit with unsaved edits?"
    ConfirmQuit,
    /// Edits found in a crash journal, waiting for the user's answer.
    Recover {
        recovery: Recovery,
        lines: Vec<String>,
    },
    /// The crash journal is being read (bytes read so far, of `total`).
    ReadingJournal {
        progress: std::sync::Arc<std::sync::atomic::AtomicU64>,
        total: u64,
    },
    /// The crash journal cannot be read at all: set it aside, or quit.
    JournalUnreadable { error: String },
    /// The session is open in another earmix: listen read-only, or quit.
    AlreadyOpen { owner: Owner },
    /// Another program changed the session file on disk.
    DiskChanged(disk::DiskChange),
    /// The name of a new file to save the mix as, being typed.
    SaveAs { text: String, error: Option<String> },
    /// Something to read, closed by any key.
    Info { title: String, lines: Vec<String> },
    /// The name of a section to add at `at`, being typed.
    NewSection {
        at: Seconds,
        text: String,
        error: Option<String>,
    },
    /// Which section's scene to copy into section `into`: `choices` are section indices.
    CopyScene {
        into: usize,
        choices: Vec<usize>,
        selected: usize,
    },
    /// The arc view.
    Arc,
    /// The list of exercises.
    ExercisePick { selected: usize },
    /// An exercise's instruction panel, before it starts.
    ExerciseIntro { setup: exercise::Setup },
    /// A list an exercise's set-up offers (sections, level, target).
    ExerciseChoose {
        setup: exercise::Setup,
        choice: exercise::Choice,
        selected: usize,
    },
    /// "Leave the exercise?"
    LeaveExercise,
}

impl Modal {
    /// Whether the box is about the session's files (answered in `disk`).
    fn is_disk(&self) -> bool {
        matches!(
            self,
            Modal::Recover { .. }
                | Modal::ReadingJournal { .. }
                | Modal::JournalUnreadable { .. }
                | Modal::AlreadyOpen { .. }
                | Modal::DiskChanged(_)
                | Modal::SaveAs { .. }
        )
    }

    /// Whether the box belongs to the exercises (answered in `exercise`).
    fn is_exercise(&self) -> bool {
        matches!(
            self,
            Modal::ExercisePick { .. }
                | Modal::ExerciseIntro { .. }
                | Modal::ExerciseChoose { .. }
                | Modal::LeaveExercise
        )
    }
}

/// Blind mode's hidden state.
#[derive(Debug, Clone)]
struct BlindSession {
    /// Each channel's fader when blind mode started (session order).
    before: Vec<Decibels>,
    /// The hidden offset each fader started from.
    offsets: Vec<f64>,
}

/// A fader gliding to a new value over [`BLIND_GLIDE`] (UI side: the engine hears the steps).
#[derive(Debug, Clone, Copy)]
struct Glide {
    strip: usize,
    from: f64,
    to: f64,
    start: Instant,
}

/// What the console should do after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Keep going.
    Continue,
    /// Leave the console.
    Quit,
}

/// The console's model.
#[allow(clippy::struct_excessive_bools)] // independent switches, each a key
pub struct App {
    session: Session,
    /// The session as it is on disk (what "unsaved" compares against).
    saved: Session,
    keymap: Keymap,
    steps: StepsConfig,
    blind_config: BlindConfig,
    selected: usize,
    focus: Focus,
    trim_mode: bool,
    blind: BlindLevel,
    blind_session: Option<BlindSession>,
    glides: Vec<Glide>,
    undo: UndoStack,
    journal: Option<Journal>,
    /// Edits waiting to be written to the journal (written by [`App::flush_journal`]).
    journal_pending: Vec<MixEdit>,
    modal: Option<Modal>,
    message: Option<String>,
    /// The burst the last nudge belonged to: its control and when it came.
    burst: Option<(MixEdit, Instant, BurstId)>,
    next_burst: u64,
    rng: Xoshiro256PlusPlus,
    /// Set by [`Action::ResetPeaks`]; the console resets its meters and clears it.
    peaks_reset: bool,
    /// The fader and mute keys edit the scene of the section under the play head.
    scene_mode: bool,
    /// The base mix plays in place of the section scenes.
    comparing: bool,
    /// The play head when the current action began (scene edits address its section).
    playhead: Seconds,
    /// The exercise in progress.
    exercise: Option<exercise::Run>,
    /// How the exercises scramble.
    exercise_config: ExerciseConfig,
    /// Where finished exercises are recorded.
    history: Option<History>,
    /// The role targets the Blindfold Balance Test compares with.
    targets: Targets,
    /// The monitor section's switches (what is heard only).
    monitor: MonitorState,
    /// The session is open in another earmix (who): nothing is journalled or saved here.
    read_only: Option<Owner>,
    /// The lock on the session file this console holds.
    lock: Option<SessionLock>,
    /// The session file as last loaded or saved, to notice other programs' changes.
    disk: disk::DiskWatch,
    /// A reload changed the strips: the console opens the engine again.
    engine_reopen: bool,
}

impl App {
    /// A model of `session` (as loaded from disk) with the given keys and settings. `journal` is
    /// the session's crash journal (`None`: edits are not journalled, e.g. in tests);
    /// `recovery`, edits a crash left behind, which the user is asked about first.
    pub fn new(
        session: Session,
        keymap: Keymap,
        steps: StepsConfig,
        blind: BlindConfig,
        journal: Option<Journal>,
        recovery: Option<Recovery>,
    ) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x5eed, |d| d.as_nanos() as u64);
        let session_path = session.path.clone();
        let mut app = Self {
            saved: session.clone(),
            session,
            keymap,
            steps,
            blind_config: blind,
            selected: 0,
            focus: Focus::Strip,
            trim_mode: false,
            blind: BlindLevel::Off,
            blind_session: None,
            glides: Vec::new(),
            undo: UndoStack::new(),
            journal,
            journal_pending: Vec::new(),
            modal: None,
            message: None,
            burst: None,
            next_burst: 0,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            peaks_reset: false,
            scene_mode: false,
            comparing: false,
            playhead: Seconds(0.0),
            exercise: None,
            exercise_config: ExerciseConfig { scramble_db: 8.0 },
            history: None,
            targets: Targets::builtin(),
            monitor: MonitorState::default(),
            read_only: None,
            lock: None,
            disk: disk::DiskWatch::read(&session_path),
            engine_reopen: false,
        };
        if let Some(recovery) = recovery.filter(|r| !r.edits.is_empty() || r.damaged_count > 0) {
            app.journal_read(Ok(Some(recovery)));
        }
        app
    }

    /// Sets how the exercises scramble (`[exercise]` in the settings).
    pub fn set_exercise_config(&mut self, config: ExerciseConfig) {
        self.exercise_config = config;
    }

    /// Sets the role targets the Blindfold Balance Test compares with.
    pub fn set_targets(&mut self, targets: Targets) {
        self.targets = targets;
    }

    /// Seeds the random numbers blind mode uses (tests).
    pub fn seed(&mut self, seed: u64) {
        self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    }

    /// The mix as edited.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The selected strip.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// Where the fader keys act.
    pub fn focus(&self) -> Focus {
        self.focus
    }

    /// How much blind mode hides.
    pub fn blind(&self) -> BlindLevel {
        self.blind
    }

    /// Whether the fader keys edit the trim.
    pub fn trim_mode(&self) -> bool {
        self.trim_mode
    }

    /// The last message for the status line.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Sets the status line's message.
    pub fn set_message(&mut self, message: impl Into<String>) {
        self.message = Some(message.into());
    }

    /// Whether the mix differs from the file on disk.
    pub fn unsaved(&self) -> bool {
        !differences(&self.saved, self.users_mix()).is_empty()
    }

    /// The keys.
    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    /// Whether a key asked for the meters' peaks and clip latches to be reset since the last
    /// call (the console owns the meters).
    pub fn take_peaks_reset(&mut self) -> bool {
        std::mem::take(&mut self.peaks_reset)
    }

    /// Whether the fader and mute keys edit the current section's scene (else the base mix).
    pub fn scene_mode(&self) -> bool {
        self.scene_mode
    }

    /// Whether the base mix plays in place of the section scenes.
    pub fn comparing(&self) -> bool {
        self.comparing
    }

    /// Whether a fader is still gliding (the console keeps calling [`App::tick`]).
    pub fn is_gliding(&self) -> bool {
        !self.glides.is_empty() || self.exercise_waiting()
    }

    /// One help line per action, keys then description, from the keymap; the nine "select
    /// strip N" lines are one line when each has a single key.
    fn help_lines(&self) -> Vec<(String, String)> {
        let lines = self.keymap.help_lines();
        let strips: Vec<&[super::keymap::Key]> = (1..=9)
            .map(|n| self.keymap.keys_for(Action::SelectStrip(n)))
            .collect();
        let merge = strips.iter().all(|keys| keys.len() == 1);
        let mut out = Vec::with_capacity(lines.len());
        for (action, (keys, desc)) in Action::ALL.iter().zip(lines) {
            match action {
                Action::SelectStrip(1) if merge => out.push((
                    strips
                        .iter()
                        .map(|k| k[0].to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                    "Select strip 1 to 9, counted from the left".to_string(),
                )),
                Action::SelectStrip(_) if merge => {}
                _ => out.push((keys, desc.to_string())),
            }
        }
        out
    }

    /// The box over the mixer, for the view.
    pub fn overlay(&self) -> Option<Overlay> {
        let Some(modal) = self.modal.as_ref() else {
            return self.results_overlay();
        };
        if let Some(overlay) = self.exercise_overlay(modal) {
            return Some(overlay);
        }
        if modal.is_disk() {
            return self.disk_overlay(modal);
        }
        Some(match modal {
            Modal::Help { skip } => Overlay::Help(self.help_lines().split_off(*skip)),
            Modal::ConfirmQuit => Overlay::Question {
                title: "Quit with unsaved edits?".to_string(),
                lines: vec![
                    "The mix has edits that are not saved to the session file.".to_string(),
                    "Quitting without saving throws them away.".to_string(),
                ],
                answers: answers(&[
                    ("s", "save and quit"),
                    ("y", "quit without saving"),
                    ("n", "stay"),
                ]),
            },
            Modal::Info { title, lines } => Overlay::Info {
                title: title.clone(),
                lines: lines.clone(),
            },
            Modal::NewSection { at, text, error } => Overlay::Prompt {
                title: format!("New section at {at}"),
                label: "Name:".to_string(),
                text: text.clone(),
                error: error.clone(),
            },
            Modal::CopyScene {
                into,
                choices,
                selected,
            } => Overlay::Pick {
                title: format!(
                    "Copy which section's scene into {}?",
                    self.session.sections[*into].name
                ),
                items: choices
                    .iter()
                    .map(|&k| {
                        let section = &self.session.sections[k];
                        if section.has_scene() {
                            section.name.clone()
                        } else {
                            format!("{} (no scene: the base mix)", section.name)
                        }
                    })
                    .collect(),
                selected: *selected,
                hint: "Up/Down choose, Enter copies, Esc cancels".to_string(),
            },
            Modal::Arc => Overlay::Arc(self.arc_view()),
            Modal::Recover { .. }
            | Modal::ReadingJournal { .. }
            | Modal::JournalUnreadable { .. }
            | Modal::AlreadyOpen { .. }
            | Modal::DiskChanged(_)
            | Modal::SaveAs { .. }
            | Modal::ExercisePick { .. }
            | Modal::ExerciseIntro { .. }
            | Modal::ExerciseChoose { .. }
            | Modal::LeaveExercise => return None,
        })
    }

    /// Every channel's effective level in every section, for the arc view.
    pub fn arc_view(&self) -> ArcView {
        let sections = &self.session.sections;
        let current = self.current_section(self.playhead);
        ArcView {
            sections: sections.iter().map(|s| s.name.clone()).collect(),
            current,
            channels: self
                .session
                .channels
                .iter()
                .map(|c| ArcChannel {
                    name: c.name.clone(),
                    role: c.role,
                    base_db: c.gain_db.0,
                    levels_db: sections
                        .iter()
                        .map(|s| {
                            let db = s.scene_gain(&c.name).unwrap_or(c.gain_db);
                            (!c.mute && !s.is_muted(&c.name) && !db.is_off()).then_some(db.0)
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// Handles one key event. Key releases are ignored; repeats are nudges like presses.
    pub fn key(&mut self, event: &KeyEvent, now: Instant, controls: &mut dyn Controls) -> Outcome {
        if event.kind == KeyEventKind::Release {
            return Outcome::Continue;
        }
        if let Some(modal) = self.modal.take() {
            return self.answer(modal, event, now, controls);
        }
        if self.exercise.is_some() {
            return self.exercise_key(event, now, controls);
        }
        if let Some(action) = self.keymap.action_for(event) {
            return self.update(action, now, controls);
        }
        if !matches!(event.code, KeyCode::Modifier(_)) {
            self.message = Some(format!(
                "{} does nothing here (? lists the keys)",
                super::keymap::Key::from_event(event)
            ));
        }
        Outcome::Continue
    }

    /// A key while a box is open.
    fn answer(
        &mut self,
        modal: Modal,
        event: &KeyEvent,
        now: Instant,
        controls: &mut dyn Controls,
    ) -> Outcome {
        if modal.is_exercise() {
            return self.answer_exercise(modal, event, now, controls);
        }
        let modal = match self.answer_disk(modal, event, controls) {
            Ok(outcome) => return outcome,
            Err(modal) => *modal,
        };
        let ctrl_c = event.code == KeyCode::Char('c') && event.modifiers == KeyModifiers::CONTROL;
        if ctrl_c && matches!(modal, Modal::NewSection { .. } | Modal::CopyScene { .. }) {
            return Outcome::Continue;
        }
        let modal = match modal {
            Modal::NewSection { at, text, error } => {
                self.type_section_name(at, text, error, event, controls);
                return Outcome::Continue;
            }
            Modal::CopyScene {
                into,
                choices,
                selected,
            } => {
                self.pick_scene(into, choices, selected, event, controls);
                return Outcome::Continue;
            }
            Modal::Arc => {
                if ctrl_c {
                    return self.update(Action::Quit, now, controls);
                }
                return Outcome::Continue;
            }
            other => other,
        };
        let key = match event.code {
            KeyCode::Char(c) => Some(c.to_ascii_lowercase()),
            KeyCode::Esc => Some('\u{1b}'),
            KeyCode::Enter => Some('\n'),
            _ => None,
        };
        match modal {
            Modal::Help { skip } => {
                if ctrl_c {
                    return self.update(Action::Quit, now, controls);
                }
                // The help key pages on through a help longer than the screen; any other key
                // closes it.
                let next = skip + HELP_PAGE;
                if self.keymap.action_for(event) == Some(Action::Help)
                    && next < self.help_lines().len()
                {
                    self.modal = Some(Modal::Help { skip: next });
                }
                Outcome::Continue
            }
            Modal::Info { .. } => {
                if ctrl_c {
                    return self.update(Action::Quit, now, controls);
                }
                Outcome::Continue
            }
            Modal::ConfirmQuit => match key {
                Some('s') => {
                    if self.save() {
                        Outcome::Quit
                    } else {
                        Outcome::Continue
                    }
                }
                // Only the answers offered act (`q` again, say, must not quit without saving).
                Some('y') if !ctrl_c => {
                    self.discard_journal();
                    Outcome::Quit
                }
                Some('n' | '\u{1b}') => Outcome::Continue,
                _ => {
                    self.modal = Some(Modal::ConfirmQuit);
                    Outcome::Continue
                }
            },
            // Answered above.
            Modal::NewSection { .. }
            | Modal::Recover { .. }
            | Modal::ReadingJournal { .. }
            | Modal::JournalUnreadable { .. }
            | Modal::AlreadyOpen { .. }
            | Modal::DiskChanged(_)
            | Modal::SaveAs { .. }
            | Modal::CopyScene { .. }
            | Modal::Arc
            | Modal::ExercisePick { .. }
            | Modal::ExerciseIntro { .. }
            | Modal::ExerciseChoose { .. }
            | Modal::LeaveExercise => Outcome::Continue,
        }
    }

    /// Applies one action.
    pub fn update(&mut self, action: Action, now: Instant, controls: &mut dyn Controls) -> Outcome {
        if !matches!(action, Action::Nudge { .. }) {
            self.end_burst();
        }
        self.playhead = controls.position();
        match action {
            Action::SelectPrevious => self.select(self.selected.saturating_sub(1)),
            Action::SelectNext => self.select(self.selected + 1),
            Action::SelectStrip(n) => {
                let index = usize::from(n).saturating_sub(1);
                if index < self.session.channels.len() {
                    self.select(index);
                } else {
                    self.message = Some(format!("There is no strip {n}"));
                }
            }
            Action::CycleFocus => {
                self.focus = match self.focus {
                    Focus::Strip => Focus::Master,
                    Focus::Master => Focus::Strip,
                };
            }
            Action::Nudge { direction, step } => self.nudge(direction, step, now, controls),
            Action::Unity => {
                let edit = match self.focused_edit(Decibels::UNITY) {
                    // In a scene, the unity key gives the fader back to the base mix.
                    MixEdit::SceneGain {
                        section, channel, ..
                    } => MixEdit::SceneGain {
                        section,
                        channel,
                        db: None,
                    },
                    edit => edit,
                };
                self.edit(edit, controls);
            }
            Action::Mute => self.toggle(false, controls),
            Action::Solo => self.toggle(true, controls),
            Action::ClearSolos => self.clear_solos(controls),
            Action::TrimMode => self.toggle_trim_mode(),
            Action::PanLeft => self.pan(-PAN_STEP, controls),
            Action::PanRight => self.pan(PAN_STEP, controls),
            Action::PlayPause => self.play_pause(controls),
            Action::ToStart => {
                controls.seek(Seconds(0.0));
                controls.reset_loudness();
            }
            Action::PreviousSection => self.previous_section(controls),
            Action::NextSection => self.next_section(controls),
            Action::LoopSection => self.loop_section(controls),
            Action::EditMode
            | Action::Compare
            | Action::CopyScene
            | Action::ClearScene
            | Action::SectionStartHere
            | Action::NextSectionHere
            | Action::AddSection
            | Action::RemoveSection
            | Action::ArcView => self.section_action(action, controls),
            Action::ResetPeaks => {
                self.peaks_reset = true;
                self.message = Some("Peaks and clip lamps reset".to_string());
            }
            Action::Undo => self.undo_redo(false, controls),
            Action::Redo => self.undo_redo(true, controls),
            Action::Save => {
                self.save();
            }
            Action::Quit => {
                self.flush_journal();
                if self.unsaved() && self.read_only.is_none() {
                    self.modal = Some(Modal::ConfirmQuit);
                } else {
                    return Outcome::Quit;
                }
            }
            Action::Blind => {
                let next = if self.blind == BlindLevel::Off {
                    BlindLevel::Numbers
                } else {
                    BlindLevel::Off
                };
                self.set_blind(next, now, controls);
            }
            Action::BlindMetersOff => {
                let next = if self.blind == BlindLevel::MetersOff {
                    BlindLevel::Off
                } else {
                    BlindLevel::MetersOff
                };
                self.set_blind(next, now, controls);
            }
            Action::Help => self.modal = Some(Modal::Help { skip: 0 }),
            Action::Exercises => self.open_exercise_list(),
            // The reference and the monitor keys (what is heard only).
            _ => self.monitor_action(action, controls),
        }
        Outcome::Continue
    }

    /// Mutes (or solos) the selected strip, or undoes that.
    fn toggle(&mut self, solo: bool, controls: &mut dyn Controls) {
        let Some(ch) = self.channel_for_strip_edit(if solo { "solo" } else { "mute" }) else {
            return;
        };
        let channel = &self.session.channels[ch];
        let name = channel.name.clone();
        if !solo && let Some(k) = self.scene_section() {
            let section = &self.session.sections[k];
            let on = !section.is_muted(&name);
            self.edit(
                MixEdit::SceneMute {
                    section: section.name.clone(),
                    channel: name,
                    on,
                },
                controls,
            );
            return;
        }
        let edit = if solo {
            MixEdit::Solo {
                channel: name,
                on: !channel.solo,
            }
        } else {
            MixEdit::Mute {
                channel: name,
                on: !channel.mute,
            }
        };
        self.edit(edit, controls);
    }

    fn clear_solos(&mut self, controls: &mut dyn Controls) {
        let edits: Vec<MixEdit> = self
            .session
            .channels
            .iter()
            .filter(|c| c.solo)
            .map(|c| MixEdit::Solo {
                channel: c.name.clone(),
                on: false,
            })
            .collect();
        if edits.is_empty() {
            self.message = Some("No channel is soloed".to_string());
        } else {
            self.edit_group(edits, controls);
        }
    }

    fn pan(&mut self, delta: f64, controls: &mut dyn Controls) {
        if let Some(ch) = self.channel_for_strip_edit("pan") {
            let pan = round2((self.session.channels[ch].pan.0 + delta).clamp(-1.0, 1.0));
            let channel = self.session.channels[ch].name.clone();
            self.edit(
                MixEdit::Pan {
                    channel,
                    pan: Pan(pan),
                },
                controls,
            );
        }
    }

    fn play_pause(&mut self, controls: &mut dyn Controls) {
        if controls.is_playing() {
            controls.pause();
        } else {
            // Playing again from the end starts from the top, with loudness measured afresh.
            if controls.position().0 >= self.session.length().0 - 1e-3 {
                controls.seek(Seconds(0.0));
                controls.reset_loudness();
            }
            controls.play();
        }
    }

    fn undo_redo(&mut self, redo: bool, controls: &mut dyn Controls) {
        let (edits, done, none) = if redo {
            (self.undo.redo(), "Redone", "Nothing to redo")
        } else {
            (self.undo.undo(), "Undone", "Nothing to undo")
        };
        let Some(edits) = edits else {
            self.message = Some(none.to_string());
            return;
        };
        let what = edits.iter().map(ToString::to_string).collect::<Vec<_>>();
        self.apply_replayed(edits, controls);
        self.message = Some(format!("{done}: {}", self.describe_edits(&what)));
    }

    fn select(&mut self, index: usize) {
        let last = self.session.channels.len().saturating_sub(1);
        self.selected = index.min(last);
        self.focus = Focus::Strip;
    }

    /// The selected channel for a strip-only edit, or a message when the master has the focus.
    fn channel_for_strip_edit(&mut self, what: &str) -> Option<usize> {
        if self.focus == Focus::Master {
            self.message = Some(format!(
                "The master has no {what} (Tab goes back to the strips)"
            ));
            return None;
        }
        (self.selected < self.session.channels.len()).then_some(self.selected)
    }

    /// The edit that sets the focused control (fader, trim or master) to `db`.
    fn focused_edit(&self, db: Decibels) -> MixEdit {
        if self.focus == Focus::Master {
            return MixEdit::Master { db };
        }
        let channel = self.session.channels[self.selected].name.clone();
        if self.trim_mode {
            MixEdit::Trim { channel, db }
        } else if let Some(k) = self.scene_section() {
            MixEdit::SceneGain {
                section: self.session.sections[k].name.clone(),
                channel,
                db: Some(db),
            }
        } else {
            MixEdit::Gain { channel, db }
        }
    }

    /// The focused control's value now.
    fn focused_value(&self) -> Decibels {
        if self.focus == Focus::Master {
            return self.session.master_db;
        }
        let channel = &self.session.channels[self.selected];
        if self.trim_mode {
            channel.trim_db
        } else if let Some(k) = self.scene_section() {
            self.session.sections[k]
                .scene_gain(&channel.name)
                .unwrap_or(channel.gain_db)
        } else {
            channel.gain_db
        }
    }

    /// In scene mode, the section whose scene the keys edit (the one under the play head).
    fn scene_section(&self) -> Option<usize> {
        if self.scene_mode {
            self.current_section(self.playhead)
        } else {
            None
        }
    }

    fn nudge(
        &mut self,
        direction: Direction,
        step: Step,
        now: Instant,
        controls: &mut dyn Controls,
    ) {
        if self.session.channels.is_empty() && self.focus == Focus::Strip {
            return;
        }
        let mut size = match step {
            Step::Fine => self.steps.fine_db,
            Step::Coarse => self.steps.coarse_db,
            Step::Finer => self.steps.finer_db,
        };
        if self.blind.hides_numbers() {
            let (lo, hi) = (
                self.blind_config.step_factor_min,
                self.blind_config.step_factor_max,
            );
            size *= lo + (hi - lo) * self.random_unit();
        }
        let delta = match direction {
            Direction::Up => size,
            Direction::Down => -size,
        };
        let trim = self.trim_mode && self.focus == Focus::Strip;
        let value = nudged(self.focused_value().0, delta, trim);
        let edit = self.focused_edit(Decibels(value));
        // Auto-repeat: the same control again soon after is the same undo step.
        let burst = match &self.burst {
            Some((control, at, id))
                if control.same_control(&edit) && now.duration_since(*at) < BURST_GAP =>
            {
                *id
            }
            _ => {
                self.next_burst += 1;
                BurstId(self.next_burst)
            }
        };
        self.burst = Some((edit.clone(), now, burst));
        let Ok(change) = Change::of(edit.clone(), &self.session) else {
            return;
        };
        if change.is_noop() {
            self.message = Some(
                if value >= FADER_MAX_DB {
                    "The fader is at its top"
                } else {
                    "The control is at its end"
                }
                .to_string(),
            );
            return;
        }
        if edit.apply(&mut self.session).is_ok() {
            self.undo.push(change, Some(burst));
            self.send(&edit, controls);
            self.journal_pending.push(edit);
        }
    }

    fn end_burst(&mut self) {
        self.burst = None;
        self.undo.end_burst();
    }

    /// Applies one edit as its own undo step; false when it was refused (the message says why).
    fn edit(&mut self, edit: MixEdit, controls: &mut dyn Controls) -> bool {
        self.edit_group(vec![edit], controls)
    }

    /// Applies edits as one undo step; false when one was refused (the message says why).
    fn edit_group(&mut self, edits: Vec<MixEdit>, controls: &mut dyn Controls) -> bool {
        let mut accepted = true;
        let mut changes = Vec::new();
        for edit in edits {
            let Ok(change) = Change::of(edit.clone(), &self.session) else {
                continue;
            };
            if change.is_noop() {
                continue;
            }
            if let Err(e) = edit.apply(&mut self.session) {
                self.message = Some(e.to_string());
                accepted = false;
                continue;
            }
            self.send(&edit, controls);
            self.journal_pending.push(edit);
            changes.push(change);
        }
        if !changes.is_empty() {
            self.undo.push_group(changes);
        }
        accepted
    }

    /// Applies edits from undo or redo (already recorded in the history).
    fn apply_replayed(&mut self, edits: Vec<MixEdit>, controls: &mut dyn Controls) {
        for edit in edits {
            if edit.apply(&mut self.session).is_ok() {
                self.send(&edit, controls);
                self.journal_pending.push(edit);
            }
        }
    }

    fn describe_edits(&self, what: &[String]) -> String {
        if self.blind.hides_numbers() {
            return "values hidden while blind".to_string();
        }
        match what {
            [one] => one.clone(),
            many => format!("{} and {} more", many[0], many.len() - 1),
        }
    }

    /// Sends an edit's new value to the engine.
    fn send(&mut self, edit: &MixEdit, controls: &mut dyn Controls) {
        let strip = edit
            .channel()
            .and_then(|name| self.session.channel_index(name));
        match (edit, strip) {
            (MixEdit::Master { db }, _) => controls.set_master(*db),
            (MixEdit::Trim { db, .. }, Some(i)) => controls.set_trim(i, *db),
            (MixEdit::Gain { db, .. }, Some(i)) => {
                // A fader still gliding in blind mode's offset keeps gliding, to the new value.
                if let Some(glide) = self.glides.iter_mut().find(|g| g.strip == i) {
                    if db.is_off() {
                        self.glides.retain(|g| g.strip != i);
                        controls.set_gain(i, *db);
                    } else {
                        glide.to = db.0;
                    }
                } else {
                    controls.set_gain(i, *db);
                }
            }
            (MixEdit::Pan { pan, .. }, Some(i)) => controls.set_pan(i, *pan),
            (MixEdit::Mute { on, .. }, Some(i)) => controls.set_mute(i, *on),
            (MixEdit::Solo { on, .. }, Some(i)) => controls.set_solo(i, *on),
            (
                MixEdit::SceneGain { .. } | MixEdit::SceneMute { .. } | MixEdit::Sections { .. },
                _,
            ) => {
                controls.set_scenes(&self.session);
            }
            _ => {}
        }
    }

    /// Moves gliding faders along (call every frame while [`App::is_gliding`]).
    pub fn tick(&mut self, now: Instant, controls: &mut dyn Controls) {
        self.exercise_tick(controls);
        self.watch_disk(now, false);
        self.glides.retain(|glide| {
            let t = now.duration_since(glide.start).as_secs_f64() / BLIND_GLIDE.as_secs_f64();
            if t >= 1.0 {
                controls.set_gain(glide.strip, Decibels(glide.to));
                false
            } else {
                controls.set_gain(
                    glide.strip,
                    Decibels(glide.from + (glide.to - glide.from) * t.max(0.0)),
                );
                true
            }
        });
    }

    /// Writes the edits made since the last call to the crash journal (one line per control,
    /// its latest value). The console calls it after each batch of keys; quitting calls it too.
    pub fn flush_journal(&mut self) {
        if self.journal_pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.journal_pending);
        let Some(journal) = self.journal.as_mut() else {
            return;
        };
        // Absolute values: only the last edit of each control matters, in order.
        let mut latest: Vec<&MixEdit> = Vec::new();
        for edit in &pending {
            latest.retain(|e| !edit.supersedes(e));
            latest.push(edit);
        }
        for edit in latest {
            if let Err(e) = journal.append(edit) {
                tracing::error!("{e}");
                self.message = Some(format!("Crash journal: {e}"));
                break;
            }
        }
    }

    /// Saves the mix to the session file (atomically, keeping its comments and layout), unless
    /// another program changed the file meanwhile (then it asks first). Returns whether it
    /// saved; the message says what happened either way.
    pub fn save(&mut self) -> bool {
        self.flush_journal();
        if self.read_only.is_none() && !self.unsaved() && self.session.path.is_file() {
            let path = self.session.path.clone();
            if self.disk_unchanged(&path) {
                self.message = Some("Nothing to save: the file already has this mix".to_string());
                return true;
            }
        }
        self.save_checked()
    }

    fn random_unit(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn set_blind(&mut self, next: BlindLevel, now: Instant, controls: &mut dyn Controls) {
        let was = self.blind;
        self.blind = next;
        match (was.hides_numbers(), next.hides_numbers()) {
            (false, true) => self.start_blind(now, controls),
            (true, false) => self.end_blind(),
            _ => {}
        }
        self.message = Some(
            match next {
                BlindLevel::Off => "Blind mode off",
                BlindLevel::Numbers => "Blind: numbers hidden, faders scrambled. Balance by ear",
                BlindLevel::MetersOff => "Blind, meters off: only problem lamps. Balance by ear",
            }
            .to_string(),
        );
    }

    /// Scrambles every fader by a hidden random offset, gliding there so nothing jumps.
    fn start_blind(&mut self, now: Instant, controls: &mut dyn Controls) {
        let before: Vec<Decibels> = self.session.channels.iter().map(|c| c.gain_db).collect();
        let max = self.blind_config.max_offset_db;
        let mut offsets = Vec::with_capacity(before.len());
        let mut edits = Vec::new();
        for (i, gain) in before.iter().enumerate() {
            let offset = if max > 0.0 && !gain.is_off() {
                max * (2.0 * self.random_unit() - 1.0)
            } else {
                0.0
            };
            let target = round2((gain.0 + offset).clamp(FADER_FLOOR_DB, FADER_MAX_DB));
            let offset = if gain.is_off() { 0.0 } else { target - gain.0 };
            offsets.push(offset);
            if offset != 0.0 {
                self.glides.retain(|g| g.strip != i);
                self.glides.push(Glide {
                    strip: i,
                    from: gain.0,
                    to: target,
                    start: now,
                });
                edits.push(MixEdit::Gain {
                    channel: self.session.channels[i].name.clone(),
                    db: Decibels(target),
                });
            }
        }
        self.edit_group(edits, controls);
        self.blind_session = Some(BlindSession { before, offsets });
    }

    /// Reveals what changed while blind.
    fn end_blind(&mut self) {
        let Some(blind) = self.blind_session.take() else {
            return;
        };
        let mut lines = vec!["Moved by ear (hidden offset): before -> now".to_string()];
        for (i, channel) in self.session.channels.iter().enumerate() {
            let (Some(before), Some(offset)) = (blind.before.get(i), blind.offsets.get(i)) else {
                continue;
            };
            let after = channel.gain_db;
            let moved = if before.is_off() || after.is_off() {
                None
            } else {
                Some(after.0 - before.0)
            };
            // What the user did is the change from where the hidden offset left the fader.
            let text = match moved {
                Some(net) => {
                    let yours = net - offset;
                    if yours.abs() < 0.05 {
                        format!(
                            "{}: not moved ({offset:+.1}): {:+.1} -> {:+.1} dB",
                            channel.name, before.0, after.0
                        )
                    } else {
                        format!(
                            "{}: moved by {yours:+.1} dB ({offset:+.1}): {:+.1} -> {:+.1} dB",
                            channel.name, before.0, after.0
                        )
                    }
                }
                None => format!("{}: {before} -> {after}", channel.name),
            };
            lines.push(text);
        }
        lines.push(String::new());
        lines.push("The faders keep what you set by ear; u undoes step by step.".to_string());
        self.modal = Some(Modal::Info {
            title: "What you did while blind".to_string(),
            lines,
        });
    }

    /// The index of the section under the play head (None before the first one).
    pub fn current_section(&self, at: Seconds) -> Option<usize> {
        self.session
            .sections
            .iter()
            .rposition(|s| s.start.0 <= at.0 + 1e-9)
    }

    fn previous_section(&mut self, controls: &mut dyn Controls) {
        let pos = controls.position();
        let Some(i) = self.current_section(pos) else {
            return self.no_sections();
        };
        let start = self.session.sections[i].start;
        let target = if pos.0 - start.0 > SECTION_RESTART || i == 0 {
            start
        } else {
            self.session.sections[i - 1].start
        };
        controls.seek(target);
    }

    fn next_section(&mut self, controls: &mut dyn Controls) {
        let pos = controls.position();
        let next = self
            .session
            .sections
            .iter()
            .find(|s| s.start.0 > pos.0 + 1e-9)
            .map(|s| s.start);
        match next {
            Some(start) => controls.seek(start),
            None if self.session.sections.is_empty() => self.no_sections(),
            None => self.message = Some("This is the last section".to_string()),
        }
    }

    fn no_sections(&mut self) {
        self.message = Some("This session has no sections".to_string());
    }

    fn loop_section(&mut self, controls: &mut dyn Controls) {
        if controls.loop_region().is_some() {
            controls.set_loop(None);
            self.message = Some("Loop off".to_string());
            return;
        }
        let pos = controls.position();
        let length = self.session.length();
        let (start, end, name) = match self.current_section(pos) {
            Some(i) => {
                let section = &self.session.sections[i];
                let end = self.session.sections.get(i + 1).map_or(length, |s| s.start);
                (section.start, end, section.name.clone())
            }
            None => (Seconds(0.0), length, "the whole session".to_string()),
        };
        if end.0 - start.0 <= 0.0 {
            return;
        }
        controls.set_loop(Some((start, end)));
        self.message = Some(format!("Looping {name}"));
    }

    /// The section and scene keys.
    fn section_action(&mut self, action: Action, controls: &mut dyn Controls) {
        match action {
            Action::EditMode => self.toggle_scene_mode(controls),
            Action::Compare => {
                self.comparing = !self.comparing;
                controls.set_scenes_bypassed(self.comparing);
                self.message = Some(
                    if self.comparing {
                        "Compare: the base mix plays in place of the scenes (= again for the scenes)"
                    } else {
                        "Compare off: the section scenes play"
                    }
                    .to_string(),
                );
            }
            Action::CopyScene => self.ask_copy_scene(controls),
            Action::ClearScene => self.clear_scene(controls),
            Action::SectionStartHere => self.move_boundary(false, controls),
            Action::NextSectionHere => self.move_boundary(true, controls),
            Action::AddSection => {
                let at = round_ms(controls.position());
                self.modal = Some(Modal::NewSection {
                    at,
                    text: String::new(),
                    error: None,
                });
            }
            Action::RemoveSection => self.remove_section(controls),
            Action::ArcView => {
                if self.blind.hides_numbers() {
                    self.message =
                        Some("The arc view shows levels, so it is closed while blind".to_string());
                } else if self.session.sections.is_empty() {
                    self.no_sections();
                } else {
                    self.modal = Some(Modal::Arc);
                }
            }
            _ => {}
        }
    }

    fn toggle_trim_mode(&mut self) {
        self.trim_mode = !self.trim_mode;
        self.message = Some(if self.trim_mode {
            "Trim mode: the fader keys move the input trim".to_string()
        } else {
            "Fader mode".to_string()
        });
    }

    fn toggle_scene_mode(&mut self, controls: &mut dyn Controls) {
        if self.session.sections.is_empty() {
            return self.no_sections();
        }
        self.scene_mode = !self.scene_mode;
        self.message = Some(if self.scene_mode {
            match self.current_section(controls.position()) {
                Some(k) => format!(
                    "Scene mode: the fader and mute keys edit the scene of {} (0 gives a fader \
                     back to the base mix)",
                    self.session.sections[k].name
                ),
                None => "Scene mode: play into a section to edit its scene".to_string(),
            }
        } else {
            "Base mode: the fader and mute keys edit the base mix".to_string()
        });
    }

    /// The section under the play head, or a message saying there is none.
    fn section_here(&mut self) -> Option<usize> {
        let found = self.current_section(self.playhead);
        if found.is_none() {
            if self.session.sections.is_empty() {
                self.no_sections();
            } else {
                self.message = Some("The play head is before the first section".to_string());
            }
        }
        found
    }

    /// Replaces the section list as one undo step.
    fn edit_sections(&mut self, sections: Vec<Section>, done: String, controls: &mut dyn Controls) {
        if self.edit(MixEdit::Sections { sections }, controls) {
            self.message = Some(done);
        }
    }

    fn ask_copy_scene(&mut self, _controls: &mut dyn Controls) {
        let Some(into) = self.section_here() else {
            return;
        };
        let choices: Vec<usize> = (0..self.session.sections.len())
            .filter(|&k| k != into)
            .collect();
        if choices.is_empty() {
            self.message = Some("There is no other section to copy from".to_string());
            return;
        }
        self.modal = Some(Modal::CopyScene {
            into,
            choices,
            selected: 0,
        });
    }

    /// A key in the "copy which scene" list.
    fn pick_scene(
        &mut self,
        into: usize,
        choices: Vec<usize>,
        selected: usize,
        event: &KeyEvent,
        controls: &mut dyn Controls,
    ) {
        let last = choices.len().saturating_sub(1);
        let selected = match event.code {
            KeyCode::Up | KeyCode::Char('k') => selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => (selected + 1).min(last),
            KeyCode::Home => 0,
            KeyCode::End => last,
            KeyCode::Esc | KeyCode::Char('q') => {
                self.message = Some("Nothing copied".to_string());
                return;
            }
            KeyCode::Enter => {
                let from = choices[selected];
                let mut sections = self.session.sections.clone();
                let source = sections[from].clone();
                sections[into].gain_db = source.gain_db;
                sections[into].mute = source.mute;
                let done = format!(
                    "Copied the scene of {} into {}",
                    source.name, sections[into].name
                );
                self.edit_sections(sections, done, controls);
                return;
            }
            _ => selected,
        };
        self.modal = Some(Modal::CopyScene {
            into,
            choices,
            selected,
        });
    }

    fn clear_scene(&mut self, controls: &mut dyn Controls) {
        let Some(k) = self.section_here() else {
            return;
        };
        if !self.session.sections[k].has_scene() {
            self.message = Some(format!(
                "{} has no scene: it plays the base mix",
                self.session.sections[k].name
            ));
            return;
        }
        let mut sections = self.session.sections.clone();
        sections[k].gain_db.clear();
        sections[k].mute.clear();
        let done = format!(
            "Cleared the scene of {}: it plays the base mix (u undoes)",
            sections[k].name
        );
        self.edit_sections(sections, done, controls);
    }

    /// `{`: the current section starts at the play head; `}` (`next`): the next one does.
    fn move_boundary(&mut self, next: bool, controls: &mut dyn Controls) {
        let Some(k) = self.section_here() else {
            return;
        };
        let at = round_ms(self.playhead);
        let moved = if next { k + 1 } else { k };
        let mut sections = self.session.sections.clone();
        let Some(section) = sections.get_mut(moved) else {
            self.message = Some("This is the last section (n adds one here)".to_string());
            return;
        };
        if (section.start.0 - at.0).abs() < 1e-9 {
            self.message = Some(format!("{} already starts here", section.name));
            return;
        }
        if moved == 0 || at.0 > sections[moved - 1].start.0 + 1e-9 {
            let section = &mut sections[moved];
            let done = format!(
                "{} now starts at {at} (was {})",
                section.name, section.start
            );
            section.start = at;
            self.edit_sections(sections, done, controls);
        } else {
            self.message = Some(format!(
                "{} cannot start at or before {} starts",
                sections[moved].name,
                sections[moved - 1].name
            ));
        }
    }

    /// A key while the new section's name is typed.
    fn type_section_name(
        &mut self,
        at: Seconds,
        mut text: String,
        mut error: Option<String>,
        event: &KeyEvent,
        controls: &mut dyn Controls,
    ) {
        match event.code {
            KeyCode::Esc => {
                self.message = Some("No section added".to_string());
                return;
            }
            KeyCode::Enter => {
                let name = text.trim().to_string();
                match self.add_section(at, &name, controls) {
                    Ok(()) => return,
                    Err(why) => error = Some(why),
                }
            }
            KeyCode::Backspace => {
                text.pop();
                error = None;
            }
            KeyCode::Char(c)
                if !event
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                    && text.chars().count() < 40 =>
            {
                text.push(c);
                error = None;
            }
            _ => {}
        }
        self.modal = Some(Modal::NewSection { at, text, error });
    }

    /// Adds a section named `name` at `at`, with the scene of the section it splits (so adding
    /// it changes nothing you hear until you edit it).
    fn add_section(
        &mut self,
        at: Seconds,
        name: &str,
        controls: &mut dyn Controls,
    ) -> Result<(), String> {
        if name.is_empty() {
            return Err("type a name, like Bridge".to_string());
        }
        if self.session.sections.iter().any(|s| s.name == name) {
            return Err(format!("there is already a section named {name}"));
        }
        if at.0 >= self.session.length().0 {
            return Err("the play head is at the end of the session".to_string());
        }
        if self
            .session
            .sections
            .iter()
            .any(|s| (s.start.0 - at.0).abs() < 1e-9)
        {
            return Err(format!("a section already starts at {at}"));
        }
        let index = self
            .session
            .sections
            .iter()
            .position(|s| s.start.0 > at.0)
            .unwrap_or(self.session.sections.len());
        let mut section = index.checked_sub(1).map_or_else(
            || Section {
                name: String::new(),
                start: at,
                gain_db: Vec::new(),
                mute: Vec::new(),
                ramp_ms: None,
            },
            |k| self.session.sections[k].clone(),
        );
        section.name = name.to_string();
        section.start = at;
        let mut sections = self.session.sections.clone();
        sections.insert(index, section);
        self.edit_sections(
            sections,
            format!("Added section {name} at {at} (u undoes)"),
            controls,
        );
        Ok(())
    }

    fn remove_section(&mut self, controls: &mut dyn Controls) {
        let Some(k) = self.section_here() else {
            return;
        };
        let mut sections = self.session.sections.clone();
        let removed = sections.remove(k);
        // The first section's time goes to the one after it; any other's to the one before.
        if k == 0
            && let Some(next) = sections.first_mut()
        {
            next.start = removed.start;
        }
        self.edit_sections(
            sections,
            format!("Removed section {} (u undoes)", removed.name),
            controls,
        );
    }

    /// The section under the play head.
    pub fn section_name(&self, at: Seconds) -> Option<&str> {
        self.current_section(at)
            .map(|i| self.session.sections[i].name.as_str())
    }

    /// The session file's path.
    pub fn path(&self) -> &PathBuf {
        &self.session.path
    }
}

/// A fader (or trim) value moved by `delta` dB, kept in range: faders stop at +12 dB and at
/// off (below [`FADER_FLOOR_DB`]); trims stop at +-24 dB. Values are kept to 0.01 dB.
pub fn nudged(value: f64, delta: f64, trim: bool) -> f64 {
    if trim {
        return round2((value + delta).clamp(-TRIM_MAX_DB, TRIM_MAX_DB));
    }
    if value == f64::NEG_INFINITY {
        return if delta > 0.0 {
            FADER_FLOOR_DB
        } else {
            f64::NEG_INFINITY
        };
    }
    let next = value + delta;
    if next < FADER_FLOOR_DB - 1e-9 {
        f64::NEG_INFINITY
    } else {
        round2(next.min(FADER_MAX_DB))
    }
}

/// A time rounded to the millisecond, as session files write it.
fn round_ms(t: Seconds) -> Seconds {
    Seconds((t.0 * 1000.0).round() / 1000.0)
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn answers(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::test_session;
    use crossterm::event::KeyEventState;

    /// The engine, as far as the model can tell: what it was sent.
    #[derive(Debug, Default)]
    pub(super) struct Recorder {
        gains: Vec<(usize, f64)>,
        trims: Vec<(usize, f64)>,
        pans: Vec<(usize, f64)>,
        mutes: Vec<(usize, bool)>,
        solos: Vec<(usize, bool)>,
        master: Vec<f64>,
        playing: bool,
        position: f64,
        seeks: Vec<f64>,
        looping: Option<(Seconds, Seconds)>,
        loudness_resets: u32,
        /// The section list of each scene update sent.
        scenes: Vec<Vec<Section>>,
        bypassed: Option<bool>,
    }

    impl Controls for Recorder {
        fn set_trim(&mut self, strip: usize, db: Decibels) {
            self.trims.push((strip, db.0));
        }
        fn set_gain(&mut self, strip: usize, db: Decibels) {
            self.gains.push((strip, db.0));
        }
        fn set_pan(&mut self, strip: usize, pan: Pan) {
            self.pans.push((strip, pan.0));
        }
        fn set_mute(&mut self, strip: usize, on: bool) {
            self.mutes.push((strip, on));
        }
        fn set_solo(&mut self, strip: usize, on: bool) {
            self.solos.push((strip, on));
        }
        fn set_master(&mut self, db: Decibels) {
            self.master.push(db.0);
        }
        fn play(&mut self) {
            self.playing = true;
        }
        fn pause(&mut self) {
            self.playing = false;
        }
        fn is_playing(&self) -> bool {
            self.playing
        }
        fn seek(&mut self, to: Seconds) {
            self.position = to.0;
            self.seeks.push(to.0);
        }
        fn position(&self) -> Seconds {
            Seconds(self.position)
        }
        fn set_loop(&mut self, region: Option<(Seconds, Seconds)>) {
            self.looping = region;
        }
        fn loop_region(&self) -> Option<(Seconds, Seconds)> {
            self.looping
        }
        fn reset_loudness(&mut self) {
            self.loudness_resets += 1;
        }
        fn set_scenes(&mut self, session: &Session) {
            self.scenes.push(session.sections.clone());
        }
        fn set_scenes_bypassed(&mut self, on: bool) {
            self.bypassed = Some(on);
        }
    }

    pub(super) fn steps() -> StepsConfig {
        StepsConfig {
            fine_db: 0.5,
            coarse_db: 3.0,
            finer_db: 0.1,
        }
    }

    pub(super) fn blind_config() -> BlindConfig {
        BlindConfig {
            max_offset_db: 4.0,
            step_factor_min: 0.7,
            step_factor_max: 1.3,
        }
    }

    pub(super) fn app_for(session: Session) -> App {
        let mut app = App::new(
            session,
            Keymap::default(),
            steps(),
            blind_config(),
            None,
            None,
        );
        app.seed(7);
        app
    }

    fn app() -> App {
        app_for(test_session(Path::new("s.toml")))
    }

    fn up() -> Action {
        Action::Nudge {
            direction: Direction::Up,
            step: Step::Fine,
        }
    }

    fn down(step: Step) -> Action {
        Action::Nudge {
            direction: Direction::Down,
            step,
        }
    }

    pub(super) fn press(c: char) -> KeyEvent {
        KeyEvent {
            code: KeyCode::Char(c),
            modifiers: if c.is_ascii_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            },
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    use std::path::Path;

    pub(super) fn gain(app: &App, i: usize) -> f64 {
        app.session().channels[i].gain_db.0
    }

    #[test]
    fn a_nudge_moves_the_model_and_the_engine_together() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        app.update(up(), t, &mut eng);
        assert_eq!(gain(&app, 0), -2.5);
        assert_eq!(eng.gains, vec![(0, -2.5)]);
        app.update(down(Step::Coarse), t, &mut eng);
        app.update(down(Step::Finer), t, &mut eng);
        assert_eq!(gain(&app, 0), -5.6);
        assert!(app.unsaved());
    }

    #[test]
    fn faders_stop_at_plus_twelve_and_at_off() {
        assert_eq!(nudged(11.8, 0.5, false), 12.0);
        assert_eq!(nudged(12.0, 3.0, false), 12.0);
        assert_eq!(nudged(-59.8, -0.5, false), f64::NEG_INFINITY);
        assert_eq!(nudged(f64::NEG_INFINITY, -0.5, false), f64::NEG_INFINITY);
        assert_eq!(nudged(f64::NEG_INFINITY, 0.1, false), FADER_FLOOR_DB);
        assert_eq!(nudged(23.0, 3.0, true), 24.0);
        assert_eq!(nudged(-23.0, -3.0, true), -24.0);
        // 0.1 dB steps stay on the 0.01 dB grid, with no float drift.
        let mut v = -3.0;
        for _ in 0..30 {
            v = nudged(v, 0.1, false);
        }
        assert_eq!(v, 0.0);
    }

    #[test]
    fn a_held_key_is_one_undo_step_and_a_pause_starts_another() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        for i in 0..10 {
            app.update(up(), t + Duration::from_millis(30 * i), &mut eng);
        }
        assert_eq!(gain(&app, 0), 2.0);
        // A second burst after a gap.
        app.update(up(), t + Duration::from_secs(5), &mut eng);
        assert_eq!(gain(&app, 0), 2.5);
        app.update(Action::Undo, t + Duration::from_secs(6), &mut eng);
        assert_eq!(gain(&app, 0), 2.0);
        app.update(Action::Undo, t + Duration::from_secs(6), &mut eng);
        assert_eq!(gain(&app, 0), -3.0, "the whole burst undone at once");
        assert_eq!(eng.gains.last(), Some(&(0, -3.0)));
        app.update(Action::Redo, t + Duration::from_secs(7), &mut eng);
        assert_eq!(gain(&app, 0), 2.0);
        assert!(app.message().unwrap_or("").starts_with("Redone"));
    }

    #[test]
    fn mute_solo_pan_trim_and_master_reach_the_engine() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        app.update(Action::SelectNext, t, &mut eng);
        app.update(Action::Mute, t, &mut eng);
        app.update(Action::Solo, t, &mut eng);
        app.update(Action::PanLeft, t, &mut eng);
        app.update(Action::PanLeft, t, &mut eng);
        app.update(Action::TrimMode, t, &mut eng);
        app.update(up(), t, &mut eng);
        app.update(Action::TrimMode, t, &mut eng);
        app.update(Action::CycleFocus, t, &mut eng);
        app.update(down(Step::Coarse), t, &mut eng);
        let keys = &app.session().channels[1];
        assert!(keys.mute && keys.solo);
        assert_eq!(keys.pan.0, -0.2);
        assert_eq!(keys.trim_db.0, 0.5);
        assert_eq!(keys.gain_db.0, 0.0);
        assert_eq!(app.session().master_db.0, -3.0);
        assert_eq!(eng.mutes, vec![(1, true)]);
        assert_eq!(eng.solos, vec![(1, true)]);
        assert_eq!(eng.pans, vec![(1, -0.1), (1, -0.2)]);
        assert_eq!(eng.trims, vec![(1, 0.5)]);
        assert_eq!(eng.master, vec![-3.0]);
        // Mute on the master is refused with a message, not applied.
        app.update(Action::Mute, t, &mut eng);
        assert_eq!(eng.mutes.len(), 1);
        assert!(app.message().unwrap_or("").contains("master"));
    }

    #[test]
    fn clearing_solos_is_one_undo_step() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        app.update(Action::Solo, t, &mut eng);
        app.update(Action::SelectStrip(2), t, &mut eng);
        app.update(Action::Solo, t, &mut eng);
        app.update(Action::ClearSolos, t, &mut eng);
        assert!(app.session().channels.iter().all(|c| !c.solo));
        app.update(Action::Undo, t, &mut eng);
        assert!(app.session().channels.iter().all(|c| c.solo));
    }

    #[test]
    fn unity_sets_the_focused_control_to_zero() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        app.update(Action::Unity, t, &mut eng);
        assert_eq!(gain(&app, 0), 0.0);
    }

    #[test]
    fn quitting_with_unsaved_edits_asks_first() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        assert_eq!(app.update(Action::Quit, t, &mut eng), Outcome::Quit);
        app.update(up(), t, &mut eng);
        assert_eq!(app.update(Action::Quit, t, &mut eng), Outcome::Continue);
        assert!(matches!(app.overlay(), Some(Overlay::Question { .. })));
        assert_eq!(app.key(&press('n'), t, &mut eng), Outcome::Continue);
        assert!(app.overlay().is_none());
        app.update(Action::Quit, t, &mut eng);
        assert_eq!(app.key(&press('y'), t, &mut eng), Outcome::Quit);
    }

    #[test]
    fn keys_reach_actions_through_the_keymap() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        app.key(&press('k'), t, &mut eng);
        app.key(&press('m'), t, &mut eng);
        assert_eq!(gain(&app, 0), -2.5);
        assert!(app.session().channels[0].mute);
        app.key(&press('?'), t, &mut eng);
        match app.overlay() {
            Some(Overlay::Help(lines)) => {
                assert_eq!(lines.len(), Action::ALL.len() - 8);
                assert_eq!(lines[2].0, "1 2 3 4 5 6 7 8 9");
            }
            other => panic!("expected help, got {other:?}"),
        }
        // The help key pages on; at the end, or with any other key, the help closes.
        app.key(&press('?'), t, &mut eng);
        match app.overlay() {
            Some(Overlay::Help(lines)) => assert_eq!(lines.len(), Action::ALL.len() - 8 - 12),
            other => panic!("expected the second page, got {other:?}"),
        }
        app.key(&press('m'), t, &mut eng);
        assert!(app.overlay().is_none());
        assert!(app.session().channels[0].mute);
    }

    #[test]
    fn blind_mode_scrambles_by_gliding_and_reveals_what_moved() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        let before: Vec<f64> = (0..2).map(|i| gain(&app, i)).collect();
        app.update(Action::Blind, t, &mut eng);
        assert_eq!(app.blind(), BlindLevel::Numbers);
        let offsets: Vec<f64> = (0..2).map(|i| gain(&app, i) - before[i]).collect();
        assert!(offsets.iter().all(|o| o.abs() <= 4.0 + 1e-9), "{offsets:?}");
        assert!(offsets.iter().any(|o| o.abs() > 0.01), "{offsets:?}");
        // Nothing reaches the engine at once: the offsets glide in.
        assert!(eng.gains.is_empty(), "{:?}", eng.gains);
        let mut last = before.clone();
        let mut now = t;
        while app.is_gliding() {
            now += Duration::from_millis(33);
            eng.gains.clear();
            app.tick(now, &mut eng);
            for &(i, g) in &eng.gains {
                assert!(
                    (g - last[i]).abs() <= 4.0 * 0.034 / 2.0 + 1e-9,
                    "a jump: {g} after {}",
                    last[i]
                );
                last[i] = g;
            }
        }
        for (i, heard) in last.iter().enumerate() {
            assert_eq!(*heard, gain(&app, i));
        }
        // Steps are scaled by a random factor in 0.7..1.3.
        let mut sizes = Vec::new();
        for k in 0..20 {
            let g0 = gain(&app, 0);
            app.update(
                down(Step::Fine),
                now + Duration::from_secs(10 * k),
                &mut eng,
            );
            sizes.push(g0 - gain(&app, 0));
        }
        assert!(sizes.iter().all(|s| (0.34..=0.66).contains(s)), "{sizes:?}");
        assert!(sizes.iter().any(|s| (s - 0.5).abs() > 0.02), "{sizes:?}");
        app.update(Action::Blind, now, &mut eng);
        assert_eq!(app.blind(), BlindLevel::Off);
        match app.overlay() {
            Some(Overlay::Info { lines, .. }) => {
                assert!(lines[1].starts_with("Bass: moved by"), "{lines:?}");
            }
            other => panic!("expected the reveal, got {other:?}"),
        }
        // Nothing jumps when blind mode ends: the faders keep what was heard.
        let heard = gain(&app, 0);
        assert_eq!(eng.gains.last().map(|g| g.1), Some(heard));
    }

    #[test]
    fn blind_meters_off_and_back() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        app.update(Action::BlindMetersOff, t, &mut eng);
        assert_eq!(app.blind(), BlindLevel::MetersOff);
        app.update(Action::Blind, t, &mut eng);
        assert_eq!(app.blind(), BlindLevel::Off);
        assert!(matches!(app.overlay(), Some(Overlay::Info { .. })));
    }

    #[test]
    fn section_keys_jump_and_loop() {
        let mut session = test_session(Path::new("s.toml"));
        session.sections = ["Intro", "Verse", "Chorus"]
            .iter()
            .zip([0.0, 4.0, 8.0])
            .map(|(name, start)| Section {
                name: (*name).to_string(),
                start: Seconds(start),
                gain_db: Vec::new(),
                mute: Vec::new(),
                ramp_ms: None,
            })
            .collect();
        let (mut app, mut eng, t) = (app_for(session), Recorder::default(), Instant::now());
        app.update(Action::NextSection, t, &mut eng);
        assert_eq!(eng.position, 4.0);
        app.update(Action::NextSection, t, &mut eng);
        assert_eq!(eng.position, 8.0);
        eng.position = 8.5;
        app.update(Action::PreviousSection, t, &mut eng);
        assert_eq!(
            eng.position, 4.0,
            "within a second of a start: the previous section"
        );
        eng.position = 6.0;
        app.update(Action::PreviousSection, t, &mut eng);
        assert_eq!(eng.position, 4.0, "further in: the start of this one");
        app.update(Action::LoopSection, t, &mut eng);
        assert_eq!(eng.looping, Some((Seconds(4.0), Seconds(8.0))));
        assert_eq!(app.section_name(Seconds(5.0)), Some("Verse"));
        app.update(Action::LoopSection, t, &mut eng);
        assert_eq!(eng.looping, None);
        app.update(Action::ToStart, t, &mut eng);
        assert_eq!(eng.position, 0.0);
        assert_eq!(eng.loudness_resets, 1);
    }

    fn sectioned(names: &[&str], starts: &[f64]) -> Session {
        let mut session = test_session(Path::new("s.toml"));
        session.sections = names
            .iter()
            .zip(starts)
            .map(|(name, start)| Section {
                name: (*name).to_string(),
                start: Seconds(*start),
                gain_db: Vec::new(),
                mute: Vec::new(),
                ramp_ms: None,
            })
            .collect();
        session
    }

    fn special(code: KeyCode) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    /// In scene mode the fader, unity and mute keys edit the scene of the section under the
    /// play head (never the base fader), each edit reaches the engine as new scenes, and undo
    /// takes it back; base mode edits the base fader again.
    #[test]
    fn scene_mode_edits_the_current_sections_scene() {
        let session = sectioned(&["Verse", "Chorus"], &[0.0, 4.0]);
        let (mut app, mut eng, t) = (app_for(session), Recorder::default(), Instant::now());
        eng.position = 5.0;
        app.update(Action::EditMode, t, &mut eng);
        assert!(app.scene_mode());
        app.update(up(), t, &mut eng);
        let chorus = &app.session().sections[1];
        assert_eq!(chorus.scene_gain("Bass"), Some(Decibels(-2.5)));
        assert_eq!(
            app.session().channels[0].gain_db,
            Decibels(-3.0),
            "base untouched"
        );
        assert!(app.session().sections[0].gain_db.is_empty());
        assert_eq!(eng.scenes.len(), 1);
        assert!(eng.gains.is_empty(), "no base fader sent");
        app.update(Action::Mute, t, &mut eng);
        assert!(app.session().sections[1].is_muted("Bass"));
        assert!(!app.session().channels[0].mute);
        app.update(Action::Unity, t, &mut eng);
        assert_eq!(
            app.session().sections[1].scene_gain("Bass"),
            None,
            "back to the base"
        );
        app.update(Action::Undo, t, &mut eng);
        assert_eq!(
            app.session().sections[1].scene_gain("Bass"),
            Some(Decibels(-2.5))
        );
        // Before the first section (none here) or in base mode, the base fader moves.
        app.update(Action::EditMode, t, &mut eng);
        app.update(up(), t, &mut eng);
        assert_eq!(app.session().channels[0].gain_db, Decibels(-2.5));
        assert_eq!(eng.gains.last(), Some(&(0, -2.5)));
    }

    /// Compare flips the engine to the base mix and back.
    #[test]
    fn compare_bypasses_the_scenes() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        app.update(Action::Compare, t, &mut eng);
        assert!(app.comparing());
        assert_eq!(eng.bypassed, Some(true));
        app.update(Action::Compare, t, &mut eng);
        assert_eq!(eng.bypassed, Some(false));
    }

    /// Copy takes another section's scene (picked from a list), clear empties the current
    /// one; both are one undo step each.
    #[test]
    fn copy_and_clear_scenes() {
        let mut session = sectioned(&["Verse", "Chorus", "Outro"], &[0.0, 4.0, 8.0]);
        session.sections[1].gain_db = vec![("Keys".to_string(), Decibels(-7.0))];
        session.sections[1].mute = vec!["Bass".to_string()];
        let (mut app, mut eng, t) = (app_for(session), Recorder::default(), Instant::now());
        eng.position = 9.0;
        app.update(Action::CopyScene, t, &mut eng);
        let Some(Overlay::Pick { items, .. }) = app.overlay() else {
            panic!("a list of sections");
        };
        assert_eq!(items.len(), 2);
        assert!(items[0].starts_with("Verse (no scene"));
        app.key(&special(KeyCode::Down), t, &mut eng);
        app.key(&special(KeyCode::Enter), t, &mut eng);
        let outro = &app.session().sections[2];
        assert_eq!(outro.scene_gain("Keys"), Some(Decibels(-7.0)));
        assert!(outro.is_muted("Bass"));
        assert_eq!(eng.scenes.len(), 1);
        app.update(Action::ClearScene, t, &mut eng);
        assert!(!app.session().sections[2].has_scene());
        app.update(Action::Undo, t, &mut eng);
        assert!(app.session().sections[2].has_scene());
        // Esc copies nothing.
        app.update(Action::CopyScene, t, &mut eng);
        app.key(&special(KeyCode::Esc), t, &mut eng);
        assert!(app.overlay().is_none());
    }

    /// `{` moves the current section's start to the play head, `}` the next one's; `n` adds a
    /// named section there with the scene of the one it splits; `x` removes the current one.
    #[test]
    fn section_boundaries_are_edited_at_the_play_head() {
        let mut session = sectioned(&["Verse", "Chorus"], &[0.0, 4.0]);
        session.sections[0].gain_db = vec![("Bass".to_string(), Decibels(-1.0))];
        let (mut app, mut eng, t) = (app_for(session), Recorder::default(), Instant::now());
        eng.position = 3.5004;
        app.update(Action::NextSectionHere, t, &mut eng);
        assert_eq!(app.session().sections[1].start, Seconds(3.5));
        eng.position = 3.75;
        app.update(Action::SectionStartHere, t, &mut eng);
        assert_eq!(app.session().sections[1].start, Seconds(3.75));
        app.update(Action::NextSectionHere, t, &mut eng);
        assert!(app.message().is_some_and(|m| m.contains("last section")));

        eng.position = 2.0;
        app.update(Action::AddSection, t, &mut eng);
        assert!(matches!(app.overlay(), Some(Overlay::Prompt { .. })));
        app.key(&special(KeyCode::Enter), t, &mut eng);
        let Some(Overlay::Prompt { error: Some(_), .. }) = app.overlay() else {
            panic!("an empty name is refused");
        };
        for c in "Chorus".chars() {
            app.key(&press(c), t, &mut eng);
        }
        app.key(&special(KeyCode::Enter), t, &mut eng);
        let Some(Overlay::Prompt { error: Some(e), .. }) = app.overlay() else {
            panic!("a taken name is refused");
        };
        assert!(e.contains("already"), "{e}");
        for _ in 0..6 {
            app.key(&special(KeyCode::Backspace), t, &mut eng);
        }
        for c in "Pre".chars() {
            app.key(&press(c), t, &mut eng);
        }
        app.key(&special(KeyCode::Enter), t, &mut eng);
        assert!(app.overlay().is_none());
        let names: Vec<&str> = app
            .session()
            .sections
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["Verse", "Pre", "Chorus"]);
        let pre = &app.session().sections[1];
        assert_eq!(pre.start, Seconds(2.0));
        assert_eq!(
            pre.scene_gain("Bass"),
            Some(Decibels(-1.0)),
            "the split scene"
        );

        app.update(Action::RemoveSection, t, &mut eng);
        let names: Vec<&str> = app
            .session()
            .sections
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["Verse", "Chorus"]);
        app.update(Action::Undo, t, &mut eng);
        assert_eq!(app.session().sections.len(), 3);
        assert!(eng.scenes.len() >= 5, "every edit reached the engine");
    }

    /// The arc view lists each channel's effective level per section and is closed while blind.
    #[test]
    fn arc_view_shows_levels_but_not_while_blind() {
        let mut session = sectioned(&["Verse", "Chorus"], &[0.0, 4.0]);
        session.sections[1].gain_db = vec![("Keys".to_string(), Decibels(2.0))];
        session.sections[1].mute = vec!["Bass".to_string()];
        let (mut app, mut eng, t) = (app_for(session), Recorder::default(), Instant::now());
        app.update(Action::ArcView, t, &mut eng);
        let Some(Overlay::Arc(arc)) = app.overlay() else {
            panic!("the arc view");
        };
        assert_eq!(arc.channels[0].levels_db, [Some(-3.0), None]);
        assert_eq!(arc.channels[1].levels_db, [Some(0.0), Some(2.0)]);
        app.key(&press('a'), t, &mut eng);
        assert!(app.overlay().is_none());
        app.update(Action::Blind, t, &mut eng);
        app.update(Action::ArcView, t, &mut eng);
        assert!(app.overlay().is_none());
        assert!(app.message().is_some_and(|m| m.contains("blind")));
    }

    #[test]
    fn saving_writes_the_file_and_clears_the_journal() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.toml");
        let session = test_session(&path);
        crate::session::save(&session).expect("first save");
        let journal = Journal::open(&path).expect("journal");
        let mut app = App::new(
            session,
            Keymap::default(),
            steps(),
            blind_config(),
            Some(journal),
            None,
        );
        let (mut eng, t) = (Recorder::default(), Instant::now());
        app.update(up(), t, &mut eng);
        app.flush_journal();
        let journal_file = crate::app::journal::journal_path(&path);
        assert!(journal_file.exists());
        // A crash now would leave the edit for the next open.
        let recovery = crate::app::journal::recover(&path)
            .expect("readable")
            .expect("edits");
        assert_eq!(recovery.edits.len(), 1);
        app.update(Action::Save, t, &mut eng);
        assert!(!app.unsaved());
        assert!(!journal_file.exists());
        let text = std::fs::read_to_string(&path).expect("saved file");
        assert!(text.contains("-2.5"), "{text}");
    }

    #[test]
    fn recovered_edits_are_offered_and_applied_on_request() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.toml");
        let session = test_session(&path);
        crate::session::save(&session).expect("first save");
        {
            let mut journal = Journal::open(&path).expect("journal");
            journal
                .append(&crate::app::edit::gain("Keys", -7.5))
                .expect("append");
        }
        let recovery = crate::app::journal::recover(&path).expect("readable");
        let journal = Journal::open(&path).expect("journal");
        let mut app = App::new(
            session,
            Keymap::default(),
            steps(),
            blind_config(),
            Some(journal),
            recovery,
        );
        let (mut eng, t) = (Recorder::default(), Instant::now());
        match app.overlay() {
            Some(Overlay::Question { lines, .. }) => {
                assert!(lines.iter().any(|l| l.contains("Keys fader")), "{lines:?}");
            }
            other => panic!("expected the recovery question, got {other:?}"),
        }
        // Other keys do not dismiss the question.
        app.key(&press('k'), t, &mut eng);
        assert!(app.overlay().is_some());
        app.key(&press('r'), t, &mut eng);
        assert_eq!(gain(&app, 1), -7.5);
        assert_eq!(eng.gains, vec![(1, -7.5)]);
        assert!(app.unsaved());
        app.update(Action::Undo, t, &mut eng);
        assert_eq!(gain(&app, 1), 0.0);
    }
}
