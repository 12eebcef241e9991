//! The session's files as the console sees them (UI thread; not realtime-safe: file I/O): the
//! crash journal a crash left (read in the background, recovered, set aside or discarded), a
//! session already open in another earmix (read-only listening), and the session file changed
//! on disk by another program (reload, overwrite or save as a new file).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::{App, Modal, Outcome, answers};
use crate::app::edit::{Change, differences};
use crate::app::journal::{JournalError, Recovery};
use crate::app::mixer::{Saved, Version, file_name};
use crate::session::lock::Owner;
use crate::session::{self, Session};
use crate::ui::view::Overlay;

/// At most this many changes are listed in a question; the rest are counted.
const LISTED: usize = 8;

/// A question about the session file changed on disk.
#[derive(Debug, Clone)]
pub(super) struct DiskChange {
    /// The file as it is on disk now, loaded (`None`: gone, or it no longer loads).
    disk: Option<Box<Session>>,
    /// Its version.
    version: Version,
    /// What the question says.
    lines: Vec<String>,
    /// Asked because of a save (the mix was not saved).
    at_save: bool,
}

impl App {
    /// Opens the session read-only because another earmix has it: the question comes first,
    /// nothing is journalled, and nothing can be saved.
    pub fn open_read_only(&mut self, owner: Owner) {
        self.mixer.journal = None;
        self.modal = Some(Modal::AlreadyOpen {
            owner: owner.clone(),
        });
        self.mixer.read_only = Some(owner);
    }

    /// Shows that the crash journal is being read (`progress` counts bytes read of `total`);
    /// until [`App::journal_read`] only quitting is possible.
    pub fn journal_reading(&mut self, progress: Arc<AtomicU64>, total: u64) {
        self.modal = Some(Modal::ReadingJournal { progress, total });
    }

    /// What reading the crash journal found: the question about it, if there is anything.
    pub fn journal_read(&mut self, result: Result<Option<Recovery>, JournalError>) {
        if matches!(self.modal, Some(Modal::ReadingJournal { .. })) {
            self.modal = None;
        }
        match result {
            Ok(Some(recovery)) => {
                self.modal = Some(Modal::Recover {
                    lines: recovery_lines(&recovery, &self.mixer.saved),
                    recovery,
                });
            }
            Ok(None) => {}
            Err(error) => {
                tracing::error!("{error}");
                self.modal = Some(Modal::JournalUnreadable {
                    error: error.to_string(),
                });
            }
        }
    }

    /// Whether a box is open (a question, help, a list).
    pub fn is_asking(&self) -> bool {
        self.modal.is_some()
    }

    /// Whether the crash journal is still being read.
    pub fn reading_journal(&self) -> bool {
        matches!(self.modal, Some(Modal::ReadingJournal { .. }))
    }

    /// The terminal came back into focus: a good moment to look at the session file.
    pub fn focus_gained(&mut self, now: Instant) {
        self.watch_disk(now, true);
    }

    /// Looks at the session file every [`DISK_CHECK`] (or now when `force`), and asks what to
    /// do when another program changed it. While a box is open or an exercise runs, the
    /// question waits.
    pub(super) fn watch_disk(&mut self, now: Instant, force: bool) {
        if self.modal.is_some() || self.exercise.is_some() {
            return;
        }
        if let Some(version) = self.mixer.disk_changed(now, force) {
            self.ask_disk_change(version, false);
        }
    }

    /// Saves the mix (see [`Mixer::save`]); says why not when it cannot, and asks first when
    /// another program changed the file. Returns whether it saved.
    pub(super) fn save(&mut self) -> bool {
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
    fn not_saved(&mut self, error: String) {
        self.modal = Some(Modal::Info {
            title: "The session was not saved".to_string(),
            lines: vec![error],
        });
    }

    /// Opens the question about the file on disk, which is at `version` now.
    fn ask_disk_change(&mut self, version: Version, at_save: bool) {
        let path = self.mixer.session.path.clone();
        let name = file_name(&path);
        let mut lines = Vec::new();
        let disk = if version.is_gone() {
            lines.push(format!(
                "{name} was removed or renamed by another program since earmix loaded it."
            ));
            None
        } else {
            match session::load(&path) {
                Ok(disk) => {
                    lines.push(format!(
                        "Another program changed {name} since earmix loaded it:"
                    ));
                    lines.extend(
                        describe_changes(&self.mixer.saved, &disk)
                            .into_iter()
                            .map(|l| format!("  {l}")),
                    );
                    Some(Box::new(disk))
                }
                Err(errors) => {
                    lines.push(format!(
                        "Another program changed {name}, and it no longer loads:"
                    ));
                    lines.extend(errors.0.iter().take(3).map(|e| format!("  {e}")));
                    None
                }
            }
        };
        let mine = differences(&self.mixer.saved, self.users_mix()).len();
        if self.mixer.read_only.is_none() {
            lines.push(match mine {
                0 => "You have no unsaved edits here.".to_string(),
                1 => "You have 1 unsaved edit here.".to_string(),
                n => format!("You have {n} unsaved edits here."),
            });
        }
        if at_save {
            lines.push("Nothing was saved yet.".to_string());
        }
        self.modal = Some(Modal::DiskChanged(DiskChange {
            disk,
            version,
            lines,
            at_save,
        }));
    }

    /// The answers the question about the file on disk offers.
    fn disk_answers(&self, change: &DiskChange) -> Vec<(String, String)> {
        let mut list = Vec::new();
        let mine = differences(&self.mixer.saved, self.users_mix()).len();
        if change.disk.is_some() {
            list.push((
                "r",
                if mine == 0 || self.mixer.read_only.is_some() {
                    "reload it".to_string()
                } else {
                    "reload it, your edits on top".to_string()
                },
            ));
        }
        if self.mixer.read_only.is_none() {
            list.push(("o", "overwrite it with this mix".to_string()));
            list.push(("w", "save this mix as a new file".to_string()));
        }
        list.push(("Esc", "decide later".to_string()));
        list.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// The box for one of this file's questions.
    pub(super) fn disk_overlay(&self, modal: &Modal) -> Option<Overlay> {
        Some(match modal {
            Modal::ReadingJournal { progress, total } => {
                let read = progress.load(Ordering::Relaxed);
                let percent = (read as f64 / (*total).max(1) as f64 * 100.0).min(100.0);
                Overlay::Question {
                    title: "Reading the crash journal".to_string(),
                    lines: vec![
                        format!(
                            "earmix stopped without saving last time; reading what its journal \
                             holds ({percent:.0}% of {}).",
                            size_text(*total)
                        ),
                        "You can quit meanwhile: the journal stays as it is.".to_string(),
                    ],
                    answers: answers(&[("q", "quit")]),
                }
            }
            Modal::JournalUnreadable { error } => Overlay::Question {
                title: "The crash journal cannot be read".to_string(),
                lines: vec![
                    error.clone(),
                    "Set it aside to open the session as saved; the journal is kept under \
                     another name, nothing in it is lost."
                        .to_string(),
                ],
                answers: answers(&[("a", "set it aside and open"), ("q", "quit")]),
            },
            Modal::Recover { recovery, lines } => Overlay::Question {
                title: "Recover unsaved edits?".to_string(),
                lines: lines.clone(),
                answers: answers(&[
                    (
                        "r",
                        if recovery.is_stale() {
                            "recover anyway"
                        } else {
                            "recover"
                        },
                    ),
                    ("a", "set the journal aside"),
                    ("d", "discard them"),
                ]),
            },
            Modal::AlreadyOpen { owner } => Overlay::Question {
                title: "Already open in earmix".to_string(),
                lines: already_open_lines(&self.mixer.session.path, owner),
                answers: answers(&[("l", "listen read-only"), ("q", "quit")]),
            },
            Modal::DiskChanged(change) => Overlay::Question {
                title: "The session file changed on disk".to_string(),
                lines: change.lines.clone(),
                answers: self.disk_answers(change),
            },
            Modal::SaveAs { text, error } => Overlay::Prompt {
                title: "Save this mix as a new file, beside the session".to_string(),
                label: "File name:".to_string(),
                text: text.clone(),
                error: error.clone(),
            },
            _ => return None,
        })
    }

    /// A key while one of this file's boxes is open; `None` when the box is not one of them.
    pub(super) fn answer_disk(
        &mut self,
        modal: Modal,
        event: &crossterm::event::KeyEvent,
    ) -> Result<Outcome, Box<Modal>> {
        use crossterm::event::{KeyCode, KeyModifiers};
        let ctrl_c = event.code == KeyCode::Char('c') && event.modifiers == KeyModifiers::CONTROL;
        let key = match event.code {
            KeyCode::Char(c) if !ctrl_c => Some(c.to_ascii_lowercase()),
            KeyCode::Esc => Some('\u{1b}'),
            KeyCode::Enter => Some('\n'),
            _ => None,
        };
        match modal {
            Modal::ReadingJournal { progress, total } => {
                if key == Some('q') || ctrl_c {
                    return Ok(Outcome::Quit);
                }
                self.modal = Some(Modal::ReadingJournal { progress, total });
            }
            Modal::JournalUnreadable { error } => match key {
                Some('a') => self.mixer.set_journal_aside(),
                Some('q') => return Ok(Outcome::Quit),
                _ if ctrl_c => return Ok(Outcome::Quit),
                _ => self.modal = Some(Modal::JournalUnreadable { error }),
            },
            Modal::Recover { recovery, lines } => match key {
                Some('r') => self.mixer.recover(&recovery),
                Some('a') => self.mixer.set_journal_aside(),
                Some('d') => {
                    self.mixer.discard_journal();
                    self.mixer.message = Some("Discarded the recovered edits".to_string());
                }
                _ if ctrl_c => return Ok(Outcome::Quit),
                _ => self.modal = Some(Modal::Recover { recovery, lines }),
            },
            Modal::AlreadyOpen { owner } => match key {
                Some('l') => {
                    self.mixer.message = Some(format!(
                        "Listening read-only ({owner} has the session): nothing is saved here"
                    ));
                }
                Some('q') => return Ok(Outcome::Quit),
                _ if ctrl_c => return Ok(Outcome::Quit),
                _ => self.modal = Some(Modal::AlreadyOpen { owner }),
            },
            Modal::DiskChanged(change) => match key {
                Some('r') if change.disk.is_some() => {
                    if let Some(disk) = change.disk {
                        self.mixer.reload(*disk);
                    }
                }
                Some('o') if self.mixer.read_only.is_none() => {
                    if let Err(error) = self.mixer.overwrite() {
                        self.not_saved(error);
                    }
                }
                Some('w') if self.mixer.read_only.is_none() => {
                    self.modal = Some(Modal::SaveAs {
                        text: self.mixer.suggested_name(),
                        error: None,
                    });
                }
                Some('\u{1b}') => {
                    self.mixer.decide_later(change.version);
                    self.mixer.message = Some(if change.at_save {
                        "Not saved: the file on disk changed (ctrl-s asks again)".to_string()
                    } else {
                        "The session file changed on disk; ctrl-s asks what to do".to_string()
                    });
                }
                _ => self.modal = Some(Modal::DiskChanged(change)),
            },
            Modal::SaveAs { mut text, error } => match event.code {
                KeyCode::Esc => self.mixer.message = Some("Not saved".to_string()),
                KeyCode::Enter => {
                    if let Err(error) = self.mixer.save_as(&text) {
                        self.modal = Some(Modal::SaveAs {
                            text,
                            error: Some(error),
                        });
                    }
                }
                KeyCode::Backspace => {
                    text.pop();
                    self.modal = Some(Modal::SaveAs { text, error: None });
                }
                KeyCode::Char(c)
                    if !event
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                {
                    text.push(c);
                    self.modal = Some(Modal::SaveAs { text, error: None });
                }
                _ => self.modal = Some(Modal::SaveAs { text, error }),
            },
            other => return Err(Box::new(other)),
        }
        Ok(Outcome::Continue)
    }
}

/// What changed from `before` (as earmix loaded it) to `after` (as on disk now), in a user's
/// words, at most [`LISTED`] lines (names as they are: the console escapes what it draws).
fn describe_changes(before: &Session, after: &Session) -> Vec<String> {
    let mut lines = Vec::new();
    if before.name != after.name {
        lines.push(format!(
            "session name \"{}\" -> \"{}\"",
            before.name, after.name
        ));
    }
    if before.sample_rate != after.sample_rate {
        lines.push(format!(
            "sample rate {} Hz -> {} Hz",
            before.sample_rate, after.sample_rate
        ));
    }
    let names =
        |s: &Session| -> Vec<String> { s.channels.iter().map(|c| c.name.clone()).collect() };
    let (old, new) = (names(before), names(after));
    for name in new.iter().filter(|n| !old.contains(n)) {
        lines.push(format!("added channel {name}"));
    }
    for name in old.iter().filter(|n| !new.contains(n)) {
        lines.push(format!("removed channel {name}"));
    }
    let common_old: Vec<&String> = old.iter().filter(|n| new.contains(n)).collect();
    let common_new: Vec<&String> = new.iter().filter(|n| old.contains(n)).collect();
    if common_old != common_new {
        lines.push("channels in another order".to_string());
    }
    for c in &after.channels {
        if let Some(o) = before.channels.iter().find(|o| o.name == c.name)
            && o.file != c.file
        {
            lines.push(format!("{} plays {}", c.name, c.file.display()));
        }
    }
    if before.reference != after.reference {
        lines.push("the reference changed".to_string());
    }
    let changes: Vec<Change> = differences(before, after);
    lines.extend(changes.iter().map(ToString::to_string));
    if lines.is_empty() {
        lines.push("only its comments or layout".to_string());
    }
    if lines.len() > LISTED {
        let more = lines.len() - (LISTED - 1);
        lines.truncate(LISTED - 1);
        lines.push(format!("and {more} more changes"));
    }
    lines
}

/// The lines of the "already open" question.
fn already_open_lines(path: &Path, owner: &Owner) -> Vec<String> {
    let mut lines = vec![format!(
        "{} is already open in earmix ({owner}){}.",
        file_name(path),
        owner
            .since
            .as_deref()
            .map_or(String::new(), |s| format!(", since {s}"))
    )];
    lines.push(
        "Two earmix editing one session would undo each other's work. You can listen here \
         read-only (nothing is journalled or saved), or quit and mix in the other one."
            .to_string(),
    );
    lines
}

/// The lines of the recovery question: what the journal holds against the saved file.
pub(super) fn recovery_lines(recovery: &Recovery, on_disk: &Session) -> Vec<String> {
    let mut lines = vec![format!(
        "earmix stopped without saving last time; its journal ({}) holds the edits below.",
        file_name(&recovery.journal)
    )];
    if let Some(reason) = &recovery.stale {
        lines.push(format!("Careful: {reason}."));
    }
    if recovery.torn_tail {
        lines.push("(The last, half-written line of the journal was left out.)".to_string());
    }
    if recovery.damaged_count > 0 {
        let named: Vec<String> = recovery
            .damaged
            .iter()
            .take(3)
            .map(ToString::to_string)
            .collect();
        let more = recovery.damaged_count - named.len();
        lines.push(format!(
            "{} damaged line{} skipped ({}{}); every other edit is below.",
            recovery.damaged_count,
            if recovery.damaged_count == 1 { "" } else { "s" },
            named.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    let (changes, skipped) = recovery.changes(on_disk);
    if changes.is_empty() {
        lines.push("They make no difference to the saved file.".to_string());
    } else {
        lines.extend(changes.iter().map(|c| format!("  {c}")));
    }
    if !skipped.is_empty() {
        lines.push(format!(
            "Left out, they no longer fit this session: {}",
            skipped
                .iter()
                .take(3)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    lines
}

/// A byte count in a user's words ("12 KB", "3.4 MB").
fn size_text(bytes: u64) -> String {
    if bytes < 10_000 {
        format!("{bytes} bytes")
    } else if bytes < 10_000_000 {
        format!("{} KB", bytes / 1000)
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::action::{Action, Direction, Step};
    use crate::app::edit::test_session;
    use crate::app::journal;
    use crate::app::mixer::DISK_CHECK;
    use crate::app::state::tests::{Recorder, app_for, gain, press};
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
