//! What the modes' tests share: a console that hands keys and actions to an [`App`] the way the
//! real one does (the screen drawn before each key, the effects taken after), keymaps with a
//! user's rebinding, and sessions saved on disk.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};

use crate::app::action::{Action, Direction, Step};
use crate::app::edit::test_session;
use crate::app::effect::{Effect, Transport};
use crate::app::journal::{Journal, Recovery};
use crate::app::keymap::{Key, Keymap};
use crate::app::state::{App, Outcome};
use crate::session::{self, Section, Session};
use crate::ui::view::Overlay;
use crate::units::Seconds;

/// The console around an [`App`]: the clock, what the engine is doing, and every effect the
/// model queued for it.
pub(crate) struct Console {
    pub(crate) app: App,
    now: Instant,
    transport: Transport,
    /// The effects taken from the model since the last [`Console::take_effects`].
    effects: Vec<Effect>,
}

impl Console {
    /// A console over `app`, stopped at the start.
    pub(crate) fn new(app: App) -> Self {
        Self {
            app,
            now: Instant::now(),
            transport: Transport::default(),
            effects: Vec::new(),
        }
    }

    /// The play head is at `seconds` from now on.
    pub(crate) fn at(&mut self, seconds: f64) {
        self.transport.position = Seconds(seconds);
    }

    /// The screen is drawn, then the key `spec` (as the keymap writes it: "q", "R", "ctrl+c",
    /// "Esc") is typed.
    pub(crate) fn key(&mut self, spec: &str) -> Outcome {
        self.now += Duration::from_millis(20);
        self.app.drawn(self.now);
        self.now += Duration::from_millis(5);
        self.typed_now(spec)
    }

    /// The key `spec` typed before the screen was drawn again (a key typed ahead).
    pub(crate) fn key_before_drawn(&mut self, spec: &str) -> Outcome {
        self.now += Duration::from_millis(1);
        self.typed_now(spec)
    }

    fn typed_now(&mut self, spec: &str) -> Outcome {
        let outcome = self.app.key(&key_event(spec), self.now, self.transport);
        self.absorb();
        outcome
    }

    /// Each character of `text` typed as a key, after the screen was drawn.
    pub(crate) fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let outcome = self.key(&c.to_string());
            assert_eq!(outcome, Outcome::Continue, "typing {c:?}");
        }
    }

    /// An action, as the console hands it to the model.
    pub(crate) fn act(&mut self, action: Action) -> Outcome {
        self.now += Duration::from_millis(20);
        let outcome = self.app.update(action, self.now, self.transport);
        self.absorb();
        outcome
    }

    /// A frame: the console tells the model what the engine is doing.
    pub(crate) fn tick(&mut self) {
        self.now += Duration::from_millis(33);
        self.app.tick(self.now, self.transport);
        self.absorb();
    }

    /// The terminal comes back into focus (earmix looks at the session file then).
    pub(crate) fn focus_gained(&mut self) {
        self.now += Duration::from_millis(20);
        self.app.focus_gained(self.now);
        self.absorb();
    }

    /// The effects queued since the last call.
    pub(crate) fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// Takes the model's effects as the engine would, keeping the transport up to date.
    fn absorb(&mut self) {
        for effect in self.app.take_effects() {
            self.transport.after(&effect);
            self.effects.push(effect);
        }
    }

    /// The box on top.
    pub(crate) fn overlay(&self) -> Option<Overlay> {
        self.app.overlay()
    }

    /// The question on top: its title, lines and answers (key, what it does).
    pub(crate) fn question(&self) -> (String, Vec<String>, Vec<(String, String)>) {
        match self.app.overlay() {
            Some(Overlay::Question {
                title,
                lines,
                answers,
            }) => (title, lines, answers),
            other => panic!("expected a question, got {other:?}"),
        }
    }

    /// The info box on top: its title and lines.
    pub(crate) fn info(&self) -> (String, Vec<String>) {
        match self.app.overlay() {
            Some(Overlay::Info { title, lines }) => (title, lines),
            other => panic!("expected an info box, got {other:?}"),
        }
    }

    /// The status line's message.
    pub(crate) fn message(&self) -> String {
        self.app.message().unwrap_or_default().to_string()
    }

    /// Channel `i`'s fader, dB.
    pub(crate) fn gain(&self, i: usize) -> f64 {
        self.app.mixer().session().channels[i].gain_db.0
    }
}

/// Drives `app` with an action as the console does (with the transport the engine would
/// report, kept up to date from the effects), returning the effects.
pub(crate) fn act_on(app: &mut App, action: Action, transport: &mut Transport) -> Vec<Effect> {
    app.drawn(Instant::now());
    app.update(action, Instant::now(), *transport);
    let effects = app.take_effects();
    for effect in &effects {
        transport.after(effect);
    }
    effects
}

/// The key event a terminal sends for the key `spec` (capitals come with shift).
pub(crate) fn key_event(spec: &str) -> KeyEvent {
    let key: Key = spec
        .parse()
        .unwrap_or_else(|e| panic!("key spec {spec:?}: {e}"));
    let mut modifiers = key.modifiers();
    if let KeyCode::Char(c) = key.code()
        && c.is_uppercase()
    {
        modifiers |= KeyModifiers::SHIFT;
    }
    KeyEvent {
        code: key.code(),
        modifiers,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    }
}

/// The shipped keymap with a user's `keymap.toml` holding `rebound` over it.
pub(crate) fn keymap_with(rebound: &str) -> Keymap {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keymap.toml");
    std::fs::write(&path, format!("version = 1\n{rebound}\n")).expect("keymap file");
    Keymap::load_user(&path).unwrap_or_else(|errors| panic!("{errors:?}"))
}

/// A model of `session` with `keymap`, journalled to `journal`, asked about `recovery` first.
pub(crate) fn app_with(
    session: Session,
    keymap: Keymap,
    journal: Option<Journal>,
    recovery: Option<Recovery>,
) -> App {
    let steps = crate::app::edit::test_steps();
    let blind = crate::app::edit::test_blind(crate::config::BlindOnExit::Ask);
    let mut app = App::new(session, keymap, steps, blind, journal, recovery);
    app.mixer_mut().seed(7);
    app
}

/// A console over `session` with the shipped keys, not journalled.
pub(crate) fn console_of(session: Session) -> Console {
    Console::new(app_with(session, Keymap::default(), None, None))
}

/// The test session (Bass at -3 dB, Keys at 0 dB) at `path`, with sections named `names`
/// starting at `starts` seconds, none with a scene.
pub(crate) fn sectioned(path: &Path, names: &[&str], starts: &[f64]) -> Session {
    let mut session = test_session(path);
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

/// The test session saved as `s.toml` in a folder of its own with real (short) stems, loaded
/// back as earmix loads it; the folder goes when the first value is dropped.
pub(crate) fn saved_session() -> (tempfile::TempDir, PathBuf, Session) {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    for name in ["bass.wav", "keys.wav"] {
        let mut w = hound::WavWriter::create(dir.path().join(name), spec).expect("stem");
        for _ in 0..4800 {
            w.write_sample(0i16).expect("sample");
        }
        w.finalize().expect("stem written");
    }
    let path = dir.path().join("s.toml");
    session::save(&test_session(&path)).expect("first save");
    let loaded = session::load(&path).expect("loads back");
    (dir, path, loaded)
}

/// The test session saved as `s.toml` beside a second of tone stems (Bass at 110 Hz, fader
/// -3 dB; Keys at 440 Hz), loaded back: something to measure in loudness.
pub(crate) fn toned_session() -> (tempfile::TempDir, PathBuf, Session) {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    for (name, hz) in [("bass.wav", 110.0), ("keys.wav", 440.0)] {
        let mut w = hound::WavWriter::create(dir.path().join(name), spec).expect("stem");
        for i in 0..48_000 {
            let t = f64::from(i) / 48_000.0;
            let sample = (t * hz * std::f64::consts::TAU).sin() * 6000.0;
            w.write_sample(sample as i16).expect("sample");
        }
        w.finalize().expect("stem written");
    }
    let path = dir.path().join("s.toml");
    session::save(&test_session(&path)).expect("first save");
    let loaded = session::load(&path).expect("loads back");
    (dir, path, loaded)
}

/// A coarse step up on the selected fader (+3 dB).
pub(crate) fn up() -> Action {
    Action::Nudge {
        direction: Direction::Up,
        step: Step::Coarse,
    }
}
