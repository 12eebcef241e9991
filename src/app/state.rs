//! The console's model (UI thread): the mix being edited, the selection, blind mode, undo, the
//! crash journal and the questions the console asks. Keys arrive through [`App::key`]; every
//! mixer edit goes to the session model, the undo history, the journal and the engine at once.
//!
//! The model never calls the engine: it queues [`Effect`]s the console applies after each update,
//! and learns what the engine is doing from a [`Transport`] handed in with each key, action and
//! tick, so it is tested without audio.

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;
use super::context::Context;
use super::edit::{MixEdit, differences};
use super::effect::{Effect, Transport};
use super::journal::{Journal, Recovery};
use super::keymap::Keymap;
use super::mixer::{Mixer, PAN_STEP, round_ms};
use super::mode::arc::Arc;
use super::mode::blind_exit::BlindExit;
use super::mode::help::Help;
use super::mode::pick::CopyScene;
use super::mode::prompt::{Prompt, Purpose};
use super::mode::quit::ConfirmQuit;
use super::mode::snapshots::Snapshots;
use super::mode::{Host, Mode, Next};
use crate::config::{BlindConfig, ExerciseConfig, StepsConfig};
use crate::engine::monitor::MonitorState;
use crate::exercise::history::History;
use crate::exercise::targets::Targets;
use crate::session::Session;
use crate::ui::view::{BlindLevel, Focus, Overlay};
use crate::units::{Decibels, Seconds};

mod disk;
mod exercise;
mod monitor;
mod surface;

pub use surface::DEFAULT_SLOTS;

pub use super::mixer::DISK_CHECK;

/// What the console should do after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Keep going.
    Continue,
    /// Leave the console.
    Quit,
}

/// A box open over the mixer, and when it was first drawn.
struct Opened {
    mode: Box<dyn Mode<App>>,
    drawn: Option<Instant>,
}

/// The console's model: the mix being edited ([`Mixer`], which every mode borrows), the keys,
/// the stack of boxes over the mixer (each a [`Mode`]), and the exercise in progress.
///
/// Keys reach it through [`App::key`], which turns them into [`Action`]s with the keymap in the
/// context of the top box (or the mixer, or the exercise step); [`App::update`] is where every
/// action changes the model. Changes for the engine are queued as [`Effect`]s
/// ([`App::take_effects`]); the console applies them in one place.
pub struct App {
    /// The mix being edited (shared by every mode).
    mixer: Mixer,
    keymap: Keymap,
    /// The boxes over the mixer, the top one last: only it gets keys.
    modes: Vec<Opened>,
    /// Set by [`Action::ResetPeaks`]; the console resets its meters and clears it.
    peaks_reset: bool,
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
    /// The control surfaces' banks, soft takeover and gestures.
    surfaces: surface::SurfaceState,
}

/// Keys, actions and the boxes: the model's one update path.
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
        let mut app = Self {
            mixer: Mixer::new(session, steps, blind, journal),
            keymap,
            modes: Vec::new(),
            peaks_reset: false,
            exercise: None,
            exercise_config: ExerciseConfig { scramble_db: 8.0 },
            history: None,
            targets: Targets::builtin(),
            monitor: MonitorState::default(),
            surfaces: surface::SurfaceState::default(),
        };
        if let Some(recovery) = recovery.filter(|r| !r.edits.is_empty() || r.damaged_count > 0) {
            app.journal_read(Ok(Some(recovery)));
        }
        app
    }

    /// The mix being edited, as every mode shares it.
    pub fn mixer(&self) -> &Mixer {
        &self.mixer
    }

    /// The mix being edited, to change (the modes; the console: the lock, messages).
    pub fn mixer_mut(&mut self) -> &mut Mixer {
        &mut self.mixer
    }

    /// The changes for the engine queued since the last call, in order: the console applies
    /// them after each batch of keys and each tick.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        self.mixer.take_effects()
    }

    /// Writes the edits made since the last call to the crash journal.
    pub fn flush_journal(&mut self) {
        self.mixer.flush_journal();
    }

    /// Whether the engine must be opened again for the session as it is now.
    pub fn take_engine_reopen(&mut self) -> bool {
        self.mixer.take_engine_reopen()
    }

    /// The session file's path.
    pub fn path(&self) -> &std::path::Path {
        self.mixer.path()
    }

    /// Sets how the exercises scramble (`[exercise]` in the settings).
    pub fn set_exercise_config(&mut self, config: ExerciseConfig) {
        self.exercise_config = config;
    }

    /// Sets the role targets the Blindfold Balance Test compares with.
    pub fn set_targets(&mut self, targets: Targets) {
        self.targets = targets;
    }

    /// Sets how rides record (`[rides]` in the settings).
    pub fn set_rides_config(&mut self, config: crate::config::RidesConfig) {
        self.mixer.rides.set_config(config);
    }

    /// The last message for the status line.
    pub fn message(&self) -> Option<&str> {
        self.mixer.message.as_deref()
    }

    /// Sets the status line's message.
    pub fn set_message(&mut self, message: impl Into<String>) {
        self.mixer.message = Some(message.into());
    }

    /// Whether the mix differs from the file on disk.
    pub fn unsaved(&self) -> bool {
        self.unsaved_count() > 0
    }

    /// How many controls of the user's mix differ from the file on disk.
    pub fn unsaved_count(&self) -> usize {
        differences(&self.mixer.saved, self.users_mix()).len()
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

    /// Whether a fader is still gliding (the console keeps calling [`App::tick`]).
    pub fn is_gliding(&self) -> bool {
        self.mixer.is_gliding() || self.exercise_waiting() || self.mixer.rides.any_recording()
    }

    /// Opens a box on top of the others.
    pub fn open(&mut self, mode: impl Mode<App> + 'static) {
        self.open_box(Box::new(mode));
    }

    /// The console drew the screen at `now`: the top box has been seen from then on.
    pub fn drawn(&mut self, now: Instant) {
        if let Some(top) = self.modes.last_mut() {
            top.drawn.get_or_insert(now);
        }
    }

    /// Whether a box is open (a question, help, a list).
    pub fn is_asking(&self) -> bool {
        !self.modes.is_empty()
    }

    /// Whether the crash journal is still being read.
    pub fn reading_journal(&self) -> bool {
        self.modes.iter().any(|m| m.mode.is_reading_journal())
    }

    /// One help line per action, keys then description, from the keymap: the mixer's
    /// actions, then those of the boxes under a heading. The nine "select strip N" lines are
    /// one line when each has a single key.
    pub fn help_lines(&self) -> Vec<(String, String)> {
        let lines = self.keymap.help_lines();
        let strips: Vec<&[super::keymap::Key]> = (1..=9)
            .map(|n| self.keymap.keys_for(Action::SelectStrip(n)))
            .collect();
        let merge = strips.iter().all(|keys| keys.len() == 1);
        let mut out = Vec::with_capacity(lines.len() + 2);
        let mut boxes = Vec::new();
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
                _ if action.is_box_action() => boxes.push((keys, desc.to_string())),
                _ => out.push((keys, desc.to_string())),
            }
        }
        out.push((String::new(), String::new()));
        out.push((
            String::new(),
            "In questions, lists, prompts and the exercises:".to_string(),
        ));
        out.extend(boxes);
        // The console's marks, with the screen that draws them.
        out.push((String::new(), String::new()));
        for (mark, meaning) in [
            crate::ui::widgets::strip::RIDE_MARK_HELP,
            crate::ui::widgets::strip::SCENE_MARK_HELP,
        ] {
            out.push((mark.to_string(), meaning.to_string()));
        }
        out
    }

    /// Enters, changes or leaves blind mode; leaving it shows what changed while blind.
    fn set_blind(&mut self, next: BlindLevel, now: Instant) {
        use super::mixer::BlindSwitch;
        match self.mixer.set_blind(next, now) {
            BlindSwitch::Switched => {}
            BlindSwitch::Left(reveal) => {
                self.open(super::mode::blind_exit::reveal_box(&reveal));
            }
            BlindSwitch::Ask => self.open(BlindExit),
        }
    }

    /// The box over the mixer, for the view.
    pub fn overlay(&self) -> Option<Overlay> {
        match self.modes.last() {
            Some(top) => Some(top.mode.overlay(self)),
            None => self.results_overlay(),
        }
    }

    /// Handles one key event, typed at `now`. Key releases are ignored; repeats are nudges
    /// like presses. The keymap turns the key into an action of the context it is pressed in:
    /// the top box, the exercise step, or the mixer.
    ///
    /// `transport` is what the engine is doing now; the changes for the engine are queued (see
    /// [`App::take_effects`]).
    pub fn key(&mut self, event: &KeyEvent, now: Instant, transport: Transport) -> Outcome {
        self.mixer.transport = transport;
        if event.kind == KeyEventKind::Release || matches!(event.code, KeyCode::Modifier(_)) {
            return Outcome::Continue;
        }
        let context = match self.modes.last() {
            Some(top) => {
                // A box that opened by itself takes no key typed before the user could see it.
                if top.mode.unbidden() && top.drawn.is_none_or(|drawn| now < drawn) {
                    tracing::info!("a key typed before the box was drawn is ignored");
                    return Outcome::Continue;
                }
                top.mode.context()
            }
            None => self.exercise_context().unwrap_or(Context::Mixer),
        };
        if context == Context::Prompt
            && let KeyCode::Char(c) = event.code
            && !event
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return self.with_top(|mode, app| mode.typed(c, app));
        }
        if let Some(action) = self.keymap.action_in(event, context) {
            return self.update(action, now, transport);
        }
        if !self.modes.is_empty() {
            return self.with_top(|mode, app| mode.other_key(app));
        }
        self.mixer.message = Some(if self.exercise.is_some() {
            format!(
                "{} does nothing in the exercise ({} shows what to do)",
                super::keymap::Key::from_event(event),
                self.keymap.key_label(Action::Help)
            )
        } else {
            format!(
                "{} does nothing here ({} lists the keys)",
                super::keymap::Key::from_event(event),
                self.keymap.key_label(Action::Help)
            )
        });
        Outcome::Continue
    }

    /// Applies one action: the top box's, the exercise's, or the mixer's. This is the one
    /// place the model changes.
    ///
    /// `transport` is what the engine is doing now; the changes for the engine are queued (see
    /// [`App::take_effects`]).
    pub fn update(&mut self, action: Action, now: Instant, transport: Transport) -> Outcome {
        self.mixer.transport = transport;
        self.mixer.rides.suspended = self.exercise.is_some();
        if !self.modes.is_empty() {
            return self.with_top(|mode, app| mode.update(action, app, now));
        }
        if self.exercise.is_some() {
            return self.exercise_update(action, now);
        }
        if action.is_box_action() {
            return Outcome::Continue;
        }
        self.apply(action, now)
    }

    /// Runs `f` on the top box with the rest of the model, and keeps, closes or quits after.
    /// A box the top one opens goes above it.
    fn with_top(&mut self, f: impl FnOnce(&mut dyn Mode<App>, &mut App) -> Next) -> Outcome {
        let Some(mut top) = self.modes.pop() else {
            return Outcome::Continue;
        };
        let at = self.modes.len();
        match f(top.mode.as_mut(), self) {
            Next::Stay => {
                self.modes.insert(at, top);
                Outcome::Continue
            }
            Next::Close => Outcome::Continue,
            Next::Quit => Outcome::Quit,
        }
    }

    /// Quits, or asks first when there are unsaved edits. A clean quit leaves no journal.
    pub(crate) fn quit(&mut self) -> Outcome {
        // A take still recording is kept, as if playback had stopped.
        self.mixer.end_pass();
        self.mixer.flush_journal();
        if self.mixer.read_only.is_some() {
            return Outcome::Quit;
        }
        if self.unsaved() {
            self.open(ConfirmQuit);
            Outcome::Continue
        } else {
            // Undone back to the saved file: nothing to recover next time.
            self.mixer.discard_journal();
            Outcome::Quit
        }
    }

    /// A box's quit key: the box closes, then the console quits (or asks first).
    pub(crate) fn quit_from_box(&mut self) -> Next {
        match self.quit() {
            Outcome::Quit => Next::Quit,
            Outcome::Continue => Next::Close,
        }
    }

    /// Applies one action, with the transport as the model knows it.
    fn apply(&mut self, action: Action, now: Instant) -> Outcome {
        if !matches!(action, Action::Nudge { .. } | Action::TrimRide(_)) {
            self.mixer.end_burst();
        }
        self.mixer.playhead = self.mixer.transport.position;
        let outcome = self.apply_mixer(action, now);
        // A stop (or a jump back) ends what was being recorded.
        self.mixer.tick_rides(now);
        outcome
    }

    /// The mixer's actions.
    fn apply_mixer(&mut self, action: Action, now: Instant) -> Outcome {
        match action {
            Action::SelectPrevious => self.mixer.select(self.mixer.selected.saturating_sub(1)),
            Action::SelectNext => self.mixer.select(self.mixer.selected + 1),
            Action::SelectStrip(n) => {
                let index = usize::from(n).saturating_sub(1);
                if index < self.mixer.strip_count() {
                    self.mixer.select(index);
                } else {
                    self.mixer.message = Some(format!("There is no strip {n}"));
                }
            }
            Action::CycleFocus => {
                self.mixer.focus = match self.mixer.focus {
                    Focus::Strip => Focus::Master,
                    Focus::Master => Focus::Strip,
                };
            }
            Action::Nudge { direction, step } => self.mixer.nudge(direction, step, now),
            Action::Unity => {
                let edit = match self.mixer.focused_edit(Decibels::UNITY) {
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
                self.mixer.edit(edit);
            }
            Action::Mute => self.mixer.toggle(false),
            Action::Solo => self.mixer.toggle(true),
            Action::ClearSolos => self.mixer.clear_solos(),
            Action::TrimMode => self.mixer.toggle_trim_mode(),
            Action::PanLeft => self.mixer.pan(-PAN_STEP),
            Action::PanRight => self.mixer.pan(PAN_STEP),
            Action::PlayPause => self.mixer.play_pause(),
            Action::ToStart => {
                self.mixer.emit(Effect::Seek(Seconds(0.0)));
                self.mixer.emit(Effect::ResetLoudness);
            }
            Action::PreviousSection => self.mixer.previous_section(),
            Action::NextSection => self.mixer.next_section(),
            Action::LoopSection => self.mixer.loop_section(),
            Action::EditMode
            | Action::Compare
            | Action::CopyScene
            | Action::ClearScene
            | Action::SectionStartHere
            | Action::NextSectionHere
            | Action::AddSection
            | Action::RemoveSection
            | Action::Snapshots
            | Action::TakeSnapshot
            | Action::ArcView => self.section_action(action),
            Action::ResetPeaks => {
                self.peaks_reset = true;
                self.mixer.message = Some("Peaks and clip lamps reset".to_string());
            }
            Action::RideMode => self.mixer.cycle_ride_mode(),
            Action::ClearRideSection => self.mixer.clear_ride(false),
            Action::ClearRide => self.mixer.clear_ride(true),
            Action::TrimRide(direction) => self.mixer.trim_ride(direction, now),
            Action::Undo => {
                self.mixer.end_pass();
                self.mixer.undo_redo(false);
            }
            Action::Redo => {
                self.mixer.end_pass();
                self.mixer.undo_redo(true);
            }
            Action::Save => {
                self.save();
            }
            Action::Quit => return self.quit(),
            Action::Blind => {
                let next = if self.mixer.blind == BlindLevel::Off {
                    BlindLevel::Numbers
                } else {
                    BlindLevel::Off
                };
                self.set_blind(next, now);
            }
            Action::BlindMetersOff => {
                let next = if self.mixer.blind == BlindLevel::MetersOff {
                    BlindLevel::Off
                } else {
                    BlindLevel::MetersOff
                };
                self.set_blind(next, now);
            }
            Action::Help => self.open(Help::default()),
            Action::Exercises => self.open_exercise_list(),
            Action::Learn => self.open_learn(),
            // The reference and the monitor keys (what is heard only).
            _ => self.monitor_action(action),
        }
        Outcome::Continue
    }

    /// Moves gliding faders along (call every frame while [`App::is_gliding`]).
    ///
    /// `transport` is what the engine is doing now.
    pub fn tick(&mut self, now: Instant, transport: Transport) {
        self.mixer.transport = transport;
        if !self.modes.is_empty() {
            self.with_top(|mode, app| mode.tick(app, now));
        }
        self.exercise_tick();
        self.watch_disk(now, false);
        self.mixer.tick_glides(now);
        self.mixer.tick_rides(now);
    }

    /// The section and scene keys.
    fn section_action(&mut self, action: Action) {
        match action {
            Action::EditMode => self.mixer.toggle_scene_mode(),
            Action::Compare => {
                self.mixer.comparing = !self.mixer.comparing;
                self.mixer
                    .emit(Effect::ScenesBypassed(self.mixer.comparing));
                self.mixer.message = Some(
                    if self.mixer.comparing {
                        "Compare: the base mix, without scenes and rides (= again for them)"
                    } else {
                        "Compare off: the scenes and rides play"
                    }
                    .to_string(),
                );
            }
            Action::CopyScene => {
                if let Some(list) = CopyScene::open(self) {
                    self.open(list);
                }
            }
            Action::ClearScene => self.mixer.clear_scene(),
            Action::SectionStartHere => self.mixer.move_boundary(false),
            Action::NextSectionHere => self.mixer.move_boundary(true),
            Action::AddSection => {
                let at = round_ms(self.mixer.transport.position);
                self.open(Prompt::new(Purpose::NewSection(at), String::new()));
            }
            Action::RemoveSection => self.mixer.remove_section(),
            Action::Snapshots => {
                if let Some(list) = Snapshots::open(self) {
                    self.open(list);
                }
            }
            Action::TakeSnapshot => {
                let name = self.mixer.default_snapshot_name();
                self.open(Prompt::new(Purpose::Snapshot(None), name));
            }
            Action::ArcView => {
                if self.mixer.blind.hides_numbers() {
                    self.mixer.message =
                        Some("The arc view shows levels, so it is closed while blind".to_string());
                } else if self.mixer.session.sections.is_empty() {
                    self.mixer.no_sections();
                } else {
                    self.open(Arc);
                }
            }
            _ => {}
        }
    }
}

/// The boxes work on the console model through this.
impl Host for App {
    fn mixer(&self) -> &Mixer {
        &self.mixer
    }

    fn mixer_mut(&mut self) -> &mut Mixer {
        &mut self.mixer
    }

    fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    fn open_box(&mut self, mode: Box<dyn Mode<Self>>) {
        self.modes.push(Opened { mode, drawn: None });
    }

    fn save(&mut self) -> bool {
        App::save(self)
    }

    fn not_saved(&mut self, error: String) {
        App::not_saved(self, error);
    }

    fn quit_from_box(&mut self) -> Next {
        App::quit_from_box(self)
    }

    fn help_lines(&self) -> Vec<(String, String)> {
        App::help_lines(self)
    }

    fn unsaved_count(&self) -> usize {
        App::unsaved_count(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::action::{Direction, Step};
    use crate::app::mixer::{FADER_FLOOR_DB, nudged};
    use crate::session::Section;

    use crate::app::edit::test_session;
    use crossterm::event::KeyEventState;
    use std::time::Duration;

    mod rides;

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
        /// The rides of each ride update sent.
        rides: Vec<Vec<crate::session::Ride>>,
        /// Every ride hold sent, in order.
        holds: Vec<(usize, Option<f64>)>,
    }

    impl Recorder {
        /// What the engine is doing, as the model is told.
        fn transport(&self) -> Transport {
            Transport {
                position: Seconds(self.position),
                playing: self.playing,
                loop_region: self.looping,
                ..Transport::default()
            }
        }

        /// Takes the effects the model queued, as the engine would.
        fn absorb(&mut self, app: &mut App) {
            for effect in app.take_effects() {
                match effect {
                    Effect::Trim(i, db) => self.trims.push((i, db.0)),
                    Effect::Gain(i, db) => self.gains.push((i, db.0)),
                    Effect::Pan(i, pan) => self.pans.push((i, pan.0)),
                    Effect::Mute(i, on) => self.mutes.push((i, on)),
                    Effect::Solo(i, on) => self.solos.push((i, on)),
                    Effect::Master(db) => self.master.push(db.0),
                    Effect::Play => self.playing = true,
                    Effect::Pause => self.playing = false,
                    Effect::Seek(to) => {
                        self.position = to.0;
                        self.seeks.push(to.0);
                    }
                    Effect::Loop(region) => self.looping = region,
                    Effect::ResetLoudness => self.loudness_resets += 1,
                    Effect::Scenes(session) => self.scenes.push(session.sections.clone()),
                    Effect::ScenesBypassed(on) => self.bypassed = Some(on),
                    Effect::Rides(session) => self.rides.push(session.rides.clone()),
                    Effect::RideHold(i, db) => self.holds.push((i, db.map(|d| d.0))),
                    Effect::Listen(_)
                    | Effect::ReferenceFree(_)
                    | Effect::SeekReference(_)
                    | Effect::Monitor(_) => {}
                }
            }
        }

        /// A key, as the console hands it to the model after drawing the screen, and its
        /// effects taken.
        pub(super) fn key(&mut self, app: &mut App, event: &KeyEvent, now: Instant) -> Outcome {
            app.drawn(now);
            let outcome = app.key(event, now, self.transport());
            self.absorb(app);
            outcome
        }

        /// An action, as the console hands it to the model, and its effects taken.
        pub(super) fn update(&mut self, app: &mut App, action: Action, now: Instant) -> Outcome {
            let outcome = app.update(action, now, self.transport());
            self.absorb(app);
            outcome
        }

        /// A frame's tick, and its effects taken.
        pub(super) fn tick(&mut self, app: &mut App, now: Instant) {
            app.tick(now, self.transport());
            self.absorb(app);
        }
    }

    pub(super) fn steps() -> StepsConfig {
        crate::app::edit::test_steps()
    }

    pub(super) fn blind_config() -> BlindConfig {
        crate::app::edit::test_blind(crate::config::BlindOnExit::Ask)
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
        app.mixer_mut().seed(7);
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
        app.mixer().session().channels[i].gain_db.0
    }

    #[test]
    fn a_nudge_moves_the_model_and_the_engine_together() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        eng.update(&mut app, up(), t);
        assert_eq!(gain(&app, 0), -2.5);
        assert_eq!(eng.gains, vec![(0, -2.5)]);
        eng.update(&mut app, down(Step::Coarse), t);
        eng.update(&mut app, down(Step::Finer), t);
        assert_eq!(gain(&app, 0), -5.6);
        assert!(app.unsaved());
    }

    /// A group is a strip after the channels: the number key selects it, and its fader,
    /// mute, solo and pan keys reach the engine as each member's heard values (own + group);
    /// trim mode says a group has no trim; undo puts the group back; the change is unsaved.
    #[test]
    fn a_group_strip_moves_its_members() {
        let mut session = test_session(Path::new("s.toml"));
        session.groups.push(crate::session::automation::Group::new(
            "Band",
            vec!["Bass".into(), "Keys".into()],
        ));
        let (mut app, mut eng, t) = (app_for(session), Recorder::default(), Instant::now());
        eng.key(&mut app, &press('3'), t);
        assert_eq!(app.mixer().selected(), 2);
        eng.update(&mut app, Action::SelectNext, t);
        assert_eq!(app.mixer().selected(), 2, "the group is the last strip");
        eng.update(&mut app, up(), t);
        assert_eq!(app.mixer().session().groups[0].gain_db, Decibels(0.5));
        assert_eq!(eng.gains, [(0, -2.5), (1, 0.5)]);
        assert_eq!(gain(&app, 0), -3.0, "members keep their own faders");
        eng.update(&mut app, Action::Mute, t);
        eng.update(&mut app, Action::Solo, t);
        eng.update(&mut app, Action::PanLeft, t);
        assert_eq!(eng.mutes, [(0, true), (1, true)]);
        assert_eq!(eng.solos, [(0, true), (1, true)]);
        assert_eq!(eng.pans, [(0, -0.1), (1, -0.1)]);
        eng.update(&mut app, Action::TrimMode, t);
        eng.update(&mut app, up(), t);
        assert_eq!(app.message(), Some("Band is a group: a group has no trim"));
        assert_eq!(eng.gains.len(), 2);
        eng.update(&mut app, Action::TrimMode, t);
        assert!(app.unsaved());
        for _ in 0..4 {
            eng.update(&mut app, Action::Undo, t);
        }
        let band = &app.mixer().session().groups[0];
        assert_eq!(band.gain_db, Decibels::UNITY);
        assert!(!band.mute && !band.solo);
        assert_eq!(eng.gains[2..], [(0, -3.0), (1, 0.0)]);
        assert!(!app.unsaved());
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
            eng.update(&mut app, up(), t + Duration::from_millis(30 * i));
        }
        assert_eq!(gain(&app, 0), 2.0);
        // A second burst after a gap.
        eng.update(&mut app, up(), t + Duration::from_secs(5));
        assert_eq!(gain(&app, 0), 2.5);
        eng.update(&mut app, Action::Undo, t + Duration::from_secs(6));
        assert_eq!(gain(&app, 0), 2.0);
        eng.update(&mut app, Action::Undo, t + Duration::from_secs(6));
        assert_eq!(gain(&app, 0), -3.0, "the whole burst undone at once");
        assert_eq!(eng.gains.last(), Some(&(0, -3.0)));
        eng.update(&mut app, Action::Redo, t + Duration::from_secs(7));
        assert_eq!(gain(&app, 0), 2.0);
        assert!(app.message().unwrap_or("").starts_with("Redone"));
    }

    #[test]
    fn mute_solo_pan_trim_and_master_reach_the_engine() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        eng.update(&mut app, Action::SelectNext, t);
        eng.update(&mut app, Action::Mute, t);
        eng.update(&mut app, Action::Solo, t);
        eng.update(&mut app, Action::PanLeft, t);
        eng.update(&mut app, Action::PanLeft, t);
        eng.update(&mut app, Action::TrimMode, t);
        eng.update(&mut app, up(), t);
        eng.update(&mut app, Action::TrimMode, t);
        eng.update(&mut app, Action::CycleFocus, t);
        eng.update(&mut app, down(Step::Coarse), t);
        let keys = &app.mixer().session().channels[1];
        assert!(keys.mute && keys.solo);
        assert_eq!(keys.pan.0, -0.2);
        assert_eq!(keys.trim_db.0, 0.5);
        assert_eq!(keys.gain_db.0, 0.0);
        assert_eq!(app.mixer().session().master_db.0, -3.0);
        assert_eq!(eng.mutes, vec![(1, true)]);
        assert_eq!(eng.solos, vec![(1, true)]);
        assert_eq!(eng.pans, vec![(1, -0.1), (1, -0.2)]);
        assert_eq!(eng.trims, vec![(1, 0.5)]);
        assert_eq!(eng.master, vec![-3.0]);
        // Mute on the master is refused with a message, not applied.
        eng.update(&mut app, Action::Mute, t);
        assert_eq!(eng.mutes.len(), 1);
        assert!(app.message().unwrap_or("").contains("master"));
    }

    #[test]
    fn clearing_solos_is_one_undo_step() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        eng.update(&mut app, Action::Solo, t);
        eng.update(&mut app, Action::SelectStrip(2), t);
        eng.update(&mut app, Action::Solo, t);
        eng.update(&mut app, Action::ClearSolos, t);
        assert!(app.mixer().session().channels.iter().all(|c| !c.solo));
        eng.update(&mut app, Action::Undo, t);
        assert!(app.mixer().session().channels.iter().all(|c| c.solo));
    }

    #[test]
    fn unity_sets_the_focused_control_to_zero() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        eng.update(&mut app, Action::Unity, t);
        assert_eq!(gain(&app, 0), 0.0);
    }

    #[test]
    fn quitting_with_unsaved_edits_asks_first() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        assert_eq!(eng.update(&mut app, Action::Quit, t), Outcome::Quit);
        eng.update(&mut app, up(), t);
        assert_eq!(eng.update(&mut app, Action::Quit, t), Outcome::Continue);
        assert!(matches!(app.overlay(), Some(Overlay::Question { .. })));
        assert_eq!(eng.key(&mut app, &press('n'), t), Outcome::Continue);
        assert!(app.overlay().is_none());
        eng.update(&mut app, Action::Quit, t);
        assert_eq!(eng.key(&mut app, &press('y'), t), Outcome::Quit);
    }

    #[test]
    fn keys_reach_actions_through_the_keymap() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        eng.key(&mut app, &press('k'), t);
        eng.key(&mut app, &press('m'), t);
        assert_eq!(gain(&app, 0), -2.5);
        assert!(app.mixer().session().channels[0].mute);
        eng.key(&mut app, &press('?'), t);
        match app.overlay() {
            Some(Overlay::Help(lines)) => {
                // The nine strip keys on one line; a blank line and a heading before the keys
                // of the boxes; a blank line, the ride marks and the fader value's scene mark at
                // the end.
                assert_eq!(lines.len(), Action::ALL.len() - 8 + 2 + 3);
                let last = lines.last().expect("the help's last line");
                assert_eq!(last.0, crate::ui::widgets::strip::SCENE_MARK_HELP.0);
                assert_eq!(lines[2].0, "1 2 3 4 5 6 7 8 9");
                let heading = lines.iter().position(|l| l.1.starts_with("In questions"));
                let first_box = lines.iter().position(|l| l.1 == Action::Confirm.desc());
                assert!(heading.unwrap() + 1 == first_box.unwrap(), "{lines:?}");
            }
            other => panic!("expected help, got {other:?}"),
        }
        // The help key pages on; at the end, or with any other key, the help closes.
        eng.key(&mut app, &press('?'), t);
        match app.overlay() {
            Some(Overlay::Help(lines)) => {
                assert_eq!(lines.len(), Action::ALL.len() - 8 + 2 + 3 - 12);
            }
            other => panic!("expected the second page, got {other:?}"),
        }
        eng.key(&mut app, &press('m'), t);
        assert!(app.overlay().is_none());
        assert!(app.mixer().session().channels[0].mute);
    }

    /// Every action, the boxes' and the exercises' included, has a key in the shipped keymap
    /// and a line in the help that shows that key.
    #[test]
    fn every_action_has_a_shipped_key_and_a_help_line() {
        let app = app();
        let help = app.help_lines();
        for action in Action::ALL {
            let keys = app.keymap().keys_for(*action);
            assert!(
                !keys.is_empty(),
                "{action:?} has no key in config/keymap.toml"
            );
            let line = help
                .iter()
                .find(|(_, desc)| {
                    desc == action.desc()
                        || matches!(action, Action::SelectStrip(_))
                            && desc.starts_with("Select strip 1 to 9")
                })
                .unwrap_or_else(|| panic!("{action:?} is not in the help"));
            assert!(
                line.0.split([',', ' ']).any(|k| k == keys[0].to_string()),
                "{action:?}: {line:?}"
            );
        }
    }

    #[test]
    fn blind_mode_scrambles_by_gliding_and_reveals_what_moved() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        let before: Vec<f64> = (0..2).map(|i| gain(&app, i)).collect();
        eng.update(&mut app, Action::Blind, t);
        assert_eq!(app.mixer().blind(), BlindLevel::Numbers);
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
            eng.tick(&mut app, now);
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
            eng.update(
                &mut app,
                down(Step::Fine),
                now + Duration::from_secs(10 * k),
            );
            sizes.push(g0 - gain(&app, 0));
        }
        assert!(sizes.iter().all(|s| (0.34..=0.66).contains(s)), "{sizes:?}");
        assert!(sizes.iter().any(|s| (s - 0.5).abs() > 0.02), "{sizes:?}");
        eng.update(&mut app, Action::Blind, now);
        // on_exit = "ask": the question first, then keep what was heard.
        assert!(matches!(app.overlay(), Some(Overlay::Question { .. })));
        eng.update(&mut app, Action::Keep, now);
        assert_eq!(app.mixer().blind(), BlindLevel::Off);
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
        eng.update(&mut app, Action::BlindMetersOff, t);
        assert_eq!(app.mixer().blind(), BlindLevel::MetersOff);
        eng.update(&mut app, Action::Blind, t);
        eng.update(&mut app, Action::Keep, t);
        assert_eq!(app.mixer().blind(), BlindLevel::Off);
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
        eng.update(&mut app, Action::NextSection, t);
        assert_eq!(eng.position, 4.0);
        eng.update(&mut app, Action::NextSection, t);
        assert_eq!(eng.position, 8.0);
        eng.position = 8.5;
        eng.update(&mut app, Action::PreviousSection, t);
        assert_eq!(
            eng.position, 4.0,
            "within a second of a start: the previous section"
        );
        eng.position = 6.0;
        eng.update(&mut app, Action::PreviousSection, t);
        assert_eq!(eng.position, 4.0, "further in: the start of this one");
        eng.update(&mut app, Action::LoopSection, t);
        assert_eq!(eng.looping, Some((Seconds(4.0), Seconds(8.0))));
        assert_eq!(app.mixer().section_name(Seconds(5.0)), Some("Verse"));
        eng.update(&mut app, Action::LoopSection, t);
        assert_eq!(eng.looping, None);
        eng.update(&mut app, Action::ToStart, t);
        assert_eq!(eng.position, 0.0);
        assert_eq!(eng.loudness_resets, 1);
    }

    fn sectioned(names: &[&str], starts: &[f64]) -> Session {
        crate::app::mode::testing::sectioned(Path::new("s.toml"), names, starts)
    }

    fn special(code: KeyCode) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    /// A base fader moved where the section under the play head has a scene setting that
    /// channel says so (the move is not heard there); elsewhere, for a channel the scene
    /// leaves alone, or while comparing with the base mix, it says nothing of the kind.
    #[test]
    fn moving_a_base_fader_a_scene_sets_says_so() {
        let session = sectioned(&["Verse", "Chorus"], &[0.0, 4.0]);
        let (mut app, mut eng, t) = (app_for(session), Recorder::default(), Instant::now());
        eng.position = 5.0;
        eng.update(&mut app, Action::EditMode, t);
        eng.update(&mut app, up(), t);
        eng.update(&mut app, Action::EditMode, t);
        assert!(!app.mixer().scene_mode());
        eng.update(&mut app, up(), t + Duration::from_secs(5));
        assert_eq!(
            app.message(),
            Some("Base fader not heard here: Chorus's scene sets Bass (e edits the scene)")
        );
        assert_eq!(app.mixer().session().channels[0].gain_db, Decibels(-2.5));
        eng.update(&mut app, Action::Compare, t);
        eng.update(&mut app, up(), t + Duration::from_secs(10));
        assert!(!app.message().is_some_and(|m| m.contains("scene sets")));
        eng.update(&mut app, Action::Compare, t);
        eng.position = 1.0;
        eng.update(&mut app, up(), t + Duration::from_secs(15));
        assert!(!app.message().is_some_and(|m| m.contains("scene sets")));
    }

    /// In scene mode the fader, unity and mute keys edit the scene of the section under the
    /// play head (never the base fader), each edit reaches the engine as new scenes, and undo
    /// takes it back; base mode edits the base fader again.
    #[test]
    fn scene_mode_edits_the_current_sections_scene() {
        let session = sectioned(&["Verse", "Chorus"], &[0.0, 4.0]);
        let (mut app, mut eng, t) = (app_for(session), Recorder::default(), Instant::now());
        eng.position = 5.0;
        eng.update(&mut app, Action::EditMode, t);
        assert!(app.mixer().scene_mode());
        eng.update(&mut app, up(), t);
        let chorus = &app.mixer().session().sections[1];
        assert_eq!(chorus.scene_gain("Bass"), Some(Decibels(-2.5)));
        assert_eq!(
            app.mixer().session().channels[0].gain_db,
            Decibels(-3.0),
            "base untouched"
        );
        assert!(app.mixer().session().sections[0].gain_db.is_empty());
        assert_eq!(eng.scenes.len(), 1);
        assert!(eng.gains.is_empty(), "no base fader sent");
        eng.update(&mut app, Action::Mute, t);
        assert!(app.mixer().session().sections[1].is_muted("Bass"));
        assert!(!app.mixer().session().channels[0].mute);
        eng.update(&mut app, Action::Unity, t);
        assert_eq!(
            app.mixer().session().sections[1].scene_gain("Bass"),
            None,
            "back to the base"
        );
        eng.update(&mut app, Action::Undo, t);
        assert_eq!(
            app.mixer().session().sections[1].scene_gain("Bass"),
            Some(Decibels(-2.5))
        );
        // Before the first section (none here) or in base mode, the base fader moves.
        eng.update(&mut app, Action::EditMode, t);
        eng.update(&mut app, up(), t);
        assert_eq!(app.mixer().session().channels[0].gain_db, Decibels(-2.5));
        assert_eq!(eng.gains.last(), Some(&(0, -2.5)));
    }

    /// Compare flips the engine to the base mix and back.
    #[test]
    fn compare_bypasses_the_scenes() {
        let (mut app, mut eng, t) = (app(), Recorder::default(), Instant::now());
        eng.update(&mut app, Action::Compare, t);
        assert!(app.mixer().comparing());
        assert_eq!(eng.bypassed, Some(true));
        eng.update(&mut app, Action::Compare, t);
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
        eng.update(&mut app, Action::CopyScene, t);
        let Some(Overlay::Pick { items, .. }) = app.overlay() else {
            panic!("a list of sections");
        };
        assert_eq!(items.len(), 2);
        assert!(items[0].starts_with("Verse (no scene"));
        eng.key(&mut app, &special(KeyCode::Down), t);
        eng.key(&mut app, &special(KeyCode::Enter), t);
        let outro = &app.mixer().session().sections[2];
        assert_eq!(outro.scene_gain("Keys"), Some(Decibels(-7.0)));
        assert!(outro.is_muted("Bass"));
        assert_eq!(eng.scenes.len(), 1);
        eng.update(&mut app, Action::ClearScene, t);
        assert!(!app.mixer().session().sections[2].has_scene());
        eng.update(&mut app, Action::Undo, t);
        assert!(app.mixer().session().sections[2].has_scene());
        // Esc copies nothing.
        eng.update(&mut app, Action::CopyScene, t);
        eng.key(&mut app, &special(KeyCode::Esc), t);
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
        eng.update(&mut app, Action::NextSectionHere, t);
        assert_eq!(app.mixer().session().sections[1].start, Seconds(3.5));
        eng.position = 3.75;
        eng.update(&mut app, Action::SectionStartHere, t);
        assert_eq!(app.mixer().session().sections[1].start, Seconds(3.75));
        eng.update(&mut app, Action::NextSectionHere, t);
        assert!(app.message().is_some_and(|m| m.contains("last section")));

        eng.position = 2.0;
        eng.update(&mut app, Action::AddSection, t);
        assert!(matches!(app.overlay(), Some(Overlay::Prompt { .. })));
        eng.key(&mut app, &special(KeyCode::Enter), t);
        let Some(Overlay::Prompt { error: Some(_), .. }) = app.overlay() else {
            panic!("an empty name is refused");
        };
        for c in "Chorus".chars() {
            eng.key(&mut app, &press(c), t);
        }
        eng.key(&mut app, &special(KeyCode::Enter), t);
        let Some(Overlay::Prompt { error: Some(e), .. }) = app.overlay() else {
            panic!("a taken name is refused");
        };
        assert!(e.contains("already"), "{e}");
        for _ in 0..6 {
            eng.key(&mut app, &special(KeyCode::Backspace), t);
        }
        for c in "Pre".chars() {
            eng.key(&mut app, &press(c), t);
        }
        eng.key(&mut app, &special(KeyCode::Enter), t);
        assert!(app.overlay().is_none());
        let names: Vec<&str> = app
            .mixer()
            .session()
            .sections
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["Verse", "Pre", "Chorus"]);
        let pre = &app.mixer().session().sections[1];
        assert_eq!(pre.start, Seconds(2.0));
        assert_eq!(
            pre.scene_gain("Bass"),
            Some(Decibels(-1.0)),
            "the split scene"
        );

        eng.update(&mut app, Action::RemoveSection, t);
        let names: Vec<&str> = app
            .mixer()
            .session()
            .sections
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["Verse", "Chorus"]);
        eng.update(&mut app, Action::Undo, t);
        assert_eq!(app.mixer().session().sections.len(), 3);
        assert!(eng.scenes.len() >= 5, "every edit reached the engine");
    }

    /// The arc view lists each channel's effective level per section and is closed while blind.
    #[test]
    fn arc_view_shows_levels_but_not_while_blind() {
        let mut session = sectioned(&["Verse", "Chorus"], &[0.0, 4.0]);
        session.sections[1].gain_db = vec![("Keys".to_string(), Decibels(2.0))];
        session.sections[1].mute = vec!["Bass".to_string()];
        let (mut app, mut eng, t) = (app_for(session), Recorder::default(), Instant::now());
        eng.update(&mut app, Action::ArcView, t);
        let Some(Overlay::Arc(arc)) = app.overlay() else {
            panic!("the arc view");
        };
        assert_eq!(arc.channels[0].levels_db, [Some(-3.0), None]);
        assert_eq!(arc.channels[1].levels_db, [Some(0.0), Some(2.0)]);
        eng.key(&mut app, &press('a'), t);
        assert!(app.overlay().is_none());
        eng.update(&mut app, Action::Blind, t);
        eng.update(&mut app, Action::ArcView, t);
        assert!(app.overlay().is_none());
        assert!(app.message().is_some_and(|m| m.contains("blind")));
    }

    /// A session saved as `s.toml` in a folder of its own, opened with its crash journal; with
    /// `crash`, a crash left Keys at that fader in the journal, and the recovery question is
    /// open.
    fn journalled(crash: Option<f64>) -> (tempfile::TempDir, App) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.toml");
        let session = test_session(&path);
        crate::session::save(&session).expect("first save");
        if let Some(db) = crash {
            let mut journal = Journal::open(&path).expect("journal");
            journal
                .append(&crate::app::edit::gain("Keys", db))
                .expect("append");
        }
        let recovery = crate::app::journal::recover(&path).expect("readable");
        let journal = Journal::open(&path).expect("journal");
        let app = App::new(
            session,
            Keymap::default(),
            steps(),
            blind_config(),
            Some(journal),
            recovery,
        );
        (dir, app)
    }

    #[test]
    fn saving_writes_the_file_and_clears_the_journal() {
        let (dir, mut app) = journalled(None);
        let path = dir.path().join("s.toml");
        let (mut eng, t) = (Recorder::default(), Instant::now());
        eng.update(&mut app, up(), t);
        app.flush_journal();
        let journal_file = crate::app::journal::journal_path(&path);
        assert!(journal_file.exists());
        // A crash now would leave the edit for the next open.
        let recovery = crate::app::journal::recover(&path)
            .expect("readable")
            .expect("edits");
        assert_eq!(recovery.edits.len(), 1);
        eng.update(&mut app, Action::Save, t);
        assert!(!app.unsaved());
        assert!(!journal_file.exists());
        let text = std::fs::read_to_string(&path).expect("saved file");
        assert!(text.contains("-2.5"), "{text}");
    }

    #[test]
    fn recovered_edits_are_offered_and_applied_on_request() {
        let (_dir, mut app) = journalled(Some(-7.5));
        let (mut eng, t) = (Recorder::default(), Instant::now());
        match app.overlay() {
            Some(Overlay::Question { lines, .. }) => {
                assert!(lines.iter().any(|l| l.contains("Keys fader")), "{lines:?}");
            }
            other => panic!("expected the recovery question, got {other:?}"),
        }
        // Other keys do not dismiss the question.
        eng.key(&mut app, &press('k'), t);
        assert!(app.overlay().is_some());
        eng.key(&mut app, &press('r'), t);
        assert_eq!(gain(&app, 1), -7.5);
        assert_eq!(eng.gains, vec![(1, -7.5)]);
        assert!(app.unsaved());
        eng.update(&mut app, Action::Undo, t);
        assert_eq!(gain(&app, 1), 0.0);
    }

    /// Bug 2 of issue 16: edit, undo back to the saved state, quit: earmix quits without asking
    /// and leaves no crash journal (the next open used to claim it "stopped without saving").
    #[test]
    fn a_clean_quit_leaves_no_journal() {
        let (dir, mut app) = journalled(None);
        let path = dir.path().join("s.toml");
        let (mut eng, t) = (Recorder::default(), Instant::now());
        eng.update(&mut app, up(), t);
        eng.update(&mut app, Action::Undo, t);
        app.flush_journal();
        let journal_file = crate::app::journal::journal_path(&path);
        assert!(
            journal_file.exists(),
            "the edit and its undo were journalled"
        );
        assert_eq!(eng.update(&mut app, Action::Quit, t), Outcome::Quit);
        assert!(!journal_file.exists());
        assert!(
            crate::app::journal::recover(&path)
                .expect("readable")
                .is_none()
        );
    }

    /// Bug 2 of issue 16: a box that opens by itself (the recovery question) does not take
    /// keys typed before it was drawn: an `r` typed for the mixer before the question showed
    /// does not recover; the same key after the screen showed the question does.
    #[test]
    fn a_question_ignores_keys_typed_before_it_was_drawn() {
        let (_dir, mut app) = journalled(Some(-7.5));
        let typed = Instant::now();
        let drawn = typed + std::time::Duration::from_millis(30);
        let transport = Transport::default();
        // Not drawn yet: the key is not the question's.
        app.key(&press('r'), typed, transport);
        assert!(matches!(app.overlay(), Some(Overlay::Question { .. })));
        assert_eq!(gain(&app, 1), 0.0);
        // Drawn after the key was typed: still not its answer.
        app.drawn(drawn);
        app.key(&press('r'), typed, transport);
        assert!(matches!(app.overlay(), Some(Overlay::Question { .. })));
        assert_eq!(gain(&app, 1), 0.0);
        // Typed after it was drawn: the answer.
        app.key(
            &press('r'),
            drawn + std::time::Duration::from_millis(5),
            transport,
        );
        assert!(app.overlay().is_none());
        assert_eq!(gain(&app, 1), -7.5);
    }

    /// A box opened by a key takes the keys typed right after it, drawn or not: a name typed
    /// quickly after `n` all lands in the prompt.
    #[test]
    fn a_box_opened_by_a_key_takes_the_keys_typed_after_it() {
        let (mut app, t) = (app(), Instant::now());
        let transport = Transport::default();
        app.key(&press('n'), t, transport);
        for c in "Outro".chars() {
            app.key(&press(c), t, transport);
        }
        match app.overlay() {
            Some(Overlay::Prompt { text, .. }) => assert_eq!(text, "Outro"),
            other => panic!("expected the name prompt, got {other:?}"),
        }
    }
}
