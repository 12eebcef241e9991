//! The session's files as the console sees them (UI thread; not realtime-safe: file I/O): the
//! crash journal a crash left (read in the background, then asked about), a session already
//! open in another earmix (read-only listening), the session file changed on disk by another
//! program, and saving. The boxes themselves are modes (`mode::journal`, `mode::already_open`,
//! `mode::disk_changed`).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use super::App;
use crate::app::journal::{JournalError, Recovery};
use crate::app::mixer::{Saved, Version};
use crate::app::mode::already_open::AlreadyOpen;
use crate::app::mode::disk_changed::DiskChanged;
use crate::app::mode::info::Info;
use crate::app::mode::journal::{JournalUnreadable, ReadingJournal, Recover};
use crate::session::lock::Owner;

/// The session's files: the crash journal, the lock, the file changed on disk, saving.
impl App {
    /// Opens the session read-only because another earmix has it: the question comes first,
    /// nothing is journalled, and nothing can be saved.
    pub fn open_read_only(&mut self, owner: Owner) {
        self.mixer.journal = None;
        self.open(AlreadyOpen::new(owner.clone()));
        self.mixer.read_only = Some(owner);
    }

    /// Shows that the crash journal is being read (`progress` counts bytes read of `total`);
    /// until [`App::journal_read`] only quitting is possible.
    pub fn journal_reading(&mut self, progress: Arc<AtomicU64>, total: u64) {
        self.open(ReadingJournal::new(progress, total));
    }

    /// What reading the crash journal found: the question about it, if there is anything.
    pub fn journal_read(&mut self, result: Result<Option<Recovery>, JournalError>) {
        self.modes.retain(|m| !m.mode.is_reading_journal());
        match result {
            Ok(Some(recovery)) => {
                let question = Recover::new(recovery, &self.mixer.saved);
                self.open(question);
            }
            Ok(None) => {}
            Err(error) => {
                tracing::error!("{error}");
                self.open(JournalUnreadable::new(error.to_string()));
            }
        }
    }

    /// The terminal came back into focus: a good moment to look at the session file.
    pub fn focus_gained(&mut self, now: Instant) {
        self.watch_disk(now, true);
    }

    /// Looks at the session file every [`DISK_CHECK`](super::DISK_CHECK) (or now when
    /// `force`), and asks what to do when another program changed it. While a box is open or
    /// an exercise runs, the question waits.
    pub(super) fn watch_disk(&mut self, now: Instant, force: bool) {
        if !self.modes.is_empty() || self.exercise.is_some() {
            return;
        }
        if let Some(version) = self.mixer.disk_changed(now, force) {
            self.ask_disk_change(version, false);
        }
    }

    /// Saves the mix (see [`Mixer::save`](crate::app::mixer::Mixer::save)); says why not when
    /// it cannot, and asks first when another program changed the file. Returns whether it
    /// saved.
    pub(crate) fn save(&mut self) -> bool {
        match self.mixer.save() {
            Saved::Done => true,
            Saved::ReadOnly(owner) => {
                self.mixer.message = Some(format!(
                    "Read-only ({owner} has the session): nothing is saved here"
                ));
                false
            }
            Saved::ChangedOnDisk(version) => {
                self.ask_disk_change(version, true);
                false
            }
            Saved::Failed(error) => {
                self.not_saved(error);
                false
            }
        }
    }

    /// Says that the session could not be saved, and why.
    pub(crate) fn not_saved(&mut self, error: String) {
        self.open(Info::new("The session was not saved", vec![error]));
    }

    /// Opens the question about the file on disk, which is at `version` now.
    fn ask_disk_change(&mut self, version: Version, at_save: bool) {
        let question = DiskChanged::new(self, version, at_save);
        self.open(question);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::action::{Action, Direction, Step};
    use crate::app::edit::test_session;
    use crate::app::journal;
    use crate::app::mixer::DISK_CHECK;
    use crate::app::state::Outcome;
    use crate::app::state::tests::{Recorder, app_for, gain, press};
    use crate::session::{self, Session};
    use crate::ui::view::Overlay;
    use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};

    /// A session saved in a folder of its own with real (short) stems, loaded back.
    fn saved_session() -> (tempfile::TempDir, Session) {
        let dir = tempfile::tempdir().unwrap();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        for name in ["bass.wav", "keys.wav"] {
            let mut w = hound::WavWriter::create(dir.path().join(name), spec).unwrap();
            for _ in 0..4800 {
                w.write_sample(0i16).unwrap();
            }
            w.finalize().unwrap();
        }
        let path = dir.path().join("s.toml");
        session::save(&test_session(&path)).unwrap();
        let loaded = session::load(&path).unwrap();
        (dir, loaded)
    }

    fn esc() -> KeyEvent {
        KeyEvent {
            code: KeyCode::Esc,
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    fn nudge_up() -> Action {
        Action::Nudge {
            direction: Direction::Up,
            step: Step::Coarse,
        }
    }

    fn question(app: &App) -> Option<(String, Vec<String>)> {
        match app.overlay() {
            Some(Overlay::Question { title, lines, .. }) => Some((title, lines)),
            _ => None,
        }
    }

    /// Another program's change is asked about at the next look (every [`DISK_CHECK`]), at
    /// once when the terminal regains focus, and says what changed.
    #[test]
    fn a_change_on_disk_is_asked_about_on_schedule_or_at_focus() {
        let (_dir, session) = saved_session();
        let path = session.path.clone();
        let mut app = app_for(session);
        let (mut eng, t0) = (Recorder::default(), Instant::now());
        eng.tick(&mut app, t0);
        assert!(question(&app).is_none());
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("gain_db = -3.0", "gain_db = -9.0")).unwrap();
        eng.tick(&mut app, t0 + DISK_CHECK / 2);
        assert!(question(&app).is_none(), "not due yet");
        app.focus_gained(t0 + DISK_CHECK / 2);
        let (title, lines) = question(&app).expect("asked at focus");
        assert_eq!(title, "The session file changed on disk");
        assert!(
            lines.contains(&"  Bass fader -3.0 dB -> -9.0 dB".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"You have no unsaved edits here.".to_string()),
            "{lines:?}"
        );
    }

    /// "Decide later" is not asked again for the same version of the file, but a newer one is,
    /// and ctrl-s asks whatever was decided.
    #[test]
    fn later_waits_for_the_next_change_or_a_save() {
        let (_dir, session) = saved_session();
        let path = session.path.clone();
        let mut app = app_for(session);
        let (mut eng, t0) = (Recorder::default(), Instant::now());
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}# one\n")).unwrap();
        eng.tick(&mut app, t0);
        assert!(question(&app).is_some());
        eng.key(&mut app, &esc(), t0);
        assert!(question(&app).is_none());
        app.focus_gained(t0 + DISK_CHECK * 2);
        assert!(
            question(&app).is_none(),
            "the same version is not asked about again"
        );
        eng.update(&mut app, Action::Save, t0);
        assert!(question(&app).is_some(), "a save asks");
        eng.key(&mut app, &esc(), t0);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{text}# one\n")
        );
        std::fs::write(&path, format!("{text}# two\n")).unwrap();
        app.focus_gained(t0 + DISK_CHECK * 3);
        assert!(question(&app).is_some(), "a newer version is asked about");
    }

    /// A reload keeps the unsaved edits that still fit, names those that do not (their channel
    /// is gone), and asks the console to open the engine again when the strips changed.
    #[test]
    fn a_reload_keeps_the_edits_that_still_fit() {
        let (_dir, session) = saved_session();
        let path = session.path.clone();
        let mut app = app_for(session);
        let (mut eng, t0) = (Recorder::default(), Instant::now());
        eng.update(&mut app, nudge_up(), t0);
        eng.update(&mut app, Action::SelectNext, t0);
        eng.update(&mut app, nudge_up(), t0);
        assert_eq!((gain(&app, 0), gain(&app, 1)), (0.0, 3.0));
        // Another program removes Keys and turns Bass's trim down.
        let text = std::fs::read_to_string(&path).unwrap();
        let keys = text.find("[[channel]]\nname = \"Keys\"").unwrap();
        let edited = text[..keys].replace("gain_db = -3.0", "gain_db = -3.0\ntrim_db = -2.0");
        std::fs::write(&path, edited).unwrap();
        app.focus_gained(t0);
        let (_, lines) = question(&app).unwrap();
        assert!(
            lines.contains(&"  removed channel Keys".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"You have 2 unsaved edits here.".to_string()),
            "{lines:?}"
        );
        eng.key(&mut app, &press('r'), t0);
        assert_eq!(app.mixer().session().channels.len(), 1);
        assert_eq!(
            app.mixer().session().channels[0].gain_db.0,
            0.0,
            "the edit on top"
        );
        assert_eq!(
            app.mixer().session().channels[0].trim_db.0,
            -2.0,
            "their change kept"
        );
        assert!(app.unsaved());
        assert!(app.take_engine_reopen());
        let message = app.message().unwrap_or_default().to_string();
        assert!(
            message.contains("left out, they no longer fit: Keys fader"),
            "{message}"
        );
    }

    /// Listening read-only: the question comes first; then edits are heard but nothing is
    /// journalled or saved, and quitting asks nothing.
    #[test]
    fn read_only_listening_writes_nothing() {
        let (dir, session) = saved_session();
        let path = session.path.clone();
        let before = std::fs::read_to_string(&path).unwrap();
        let mut app = App::new(
            session,
            crate::app::keymap::Keymap::default(),
            crate::app::state::tests::steps(),
            crate::app::state::tests::blind_config(),
            Some(crate::app::journal::Journal::open(&path).unwrap()),
            None,
        );
        app.open_read_only(Owner {
            pid: 4242,
            host: String::new(),
            since: None,
        });
        let (mut eng, t0) = (Recorder::default(), Instant::now());
        let (title, lines) = question(&app).unwrap();
        assert_eq!(title, "Already open in earmix");
        assert!(
            lines[0].contains("s.toml is already open in earmix (pid 4242)"),
            "{lines:?}"
        );
        eng.key(&mut app, &press('l'), t0);
        eng.update(&mut app, nudge_up(), t0);
        app.flush_journal();
        assert_eq!(gain(&app, 0), 0.0);
        assert!(!app.save());
        assert!(
            app.message()
                .unwrap_or_default()
                .contains("nothing is saved here")
        );
        assert_eq!(eng.update(&mut app, Action::Quit, t0), Outcome::Quit);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
        assert!(!journal::journal_path(&path).exists());
        drop(dir);
    }
}
