//! The session's files as the console sees them (UI thread; not realtime-safe: file I/O): the
//! crash journal a crash left (read in the background, recovered, set aside or discarded), a
//! session already open in another earmix (read-only listening), and the session file changed
//! on disk by another program (reload, overwrite or save as a new file).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::{App, Modal, Outcome, answers, file_name};
use crate::app::edit::{Change, MixEdit, differences};
use crate::app::effect::Effect;
use crate::app::journal::{self, Fingerprint, JournalError, Recovery};
use crate::session::lock::{self, Acquired, Owner, SessionLock};
use crate::session::{self, Session};
use crate::ui::view::Overlay;

/// How often the session file is looked at for changes made by other programs (a `stat`;
/// the file is read only when that changed).
pub const DISK_CHECK: Duration = Duration::from_secs(2);

/// At most this many changes are listed in a question; the rest are counted.
const LISTED: usize = 8;

/// What the file on disk looked like to `stat`: a cheap first check for changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
    device: u64,
}

impl Stamp {
    fn of(path: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt as _;
        let meta = std::fs::metadata(path).ok()?;
        Some(Self {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode: meta.ino(),
            device: meta.dev(),
        })
    }
}

/// The session file as earmix last loaded or saved it, to notice another program's changes.
#[derive(Debug, Clone)]
pub(super) struct DiskWatch {
    /// The file's text then (`None`: there was no file).
    text: Option<String>,
    /// Its fingerprint then.
    fingerprint: Option<Fingerprint>,
    /// What `stat` said when it was last looked at.
    stamp: Option<Stamp>,
    /// When it was last looked at.
    checked: Option<Instant>,
    /// A version on disk the user chose to decide on later: not asked about again until the
    /// file changes again, or at a save.
    later: Option<Version>,
}

/// A version of the session file on disk: its fingerprint, `None` when there is no file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Version(Option<Fingerprint>);

/// How a save writes the session file.
enum Write {
    /// Into the file as it is on disk (keeping its comments and layout).
    InPlace,
    /// Over whatever is there, from the file's text as earmix loaded it (`None`: no file then).
    Over(Option<String>),
}

impl DiskWatch {
    /// The file at `path` as it is now.
    pub(super) fn read(path: &Path) -> Self {
        let stamp = Stamp::of(path);
        let text = std::fs::read(path).ok();
        Self {
            fingerprint: text.as_deref().map(Fingerprint::of_bytes),
            text: text.map(|t| String::from_utf8_lossy(&t).into_owned()),
            stamp,
            checked: None,
            later: None,
        }
    }

    /// The file's version on disk now, when it differs from what earmix knows.
    fn changed(&self, path: &Path) -> Option<Version> {
        let now = std::fs::read(path).ok().map(|b| Fingerprint::of_bytes(&b));
        (now != self.fingerprint).then_some(Version(now))
    }
}

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
    /// Sets the session lock this console holds (released when the model is dropped).
    pub fn set_lock(&mut self, lock: SessionLock) {
        self.lock = Some(lock);
    }

    /// Opens the session read-only because another earmix has it: the question comes first,
    /// nothing is journalled, and nothing can be saved.
    pub fn open_read_only(&mut self, owner: Owner) {
        self.journal = None;
        self.modal = Some(Modal::AlreadyOpen {
            owner: owner.clone(),
        });
        self.read_only = Some(owner);
    }

    /// Whether this console only listens (the session is open in another earmix).
    pub fn read_only(&self) -> bool {
        self.read_only.is_some()
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
                    lines: recovery_lines(&recovery, &self.saved),
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

    /// Whether the engine must be opened again for the session as it is now (a reload changed
    /// its channels or stems); asking clears it.
    pub fn take_engine_reopen(&mut self) -> bool {
        std::mem::take(&mut self.engine_reopen)
    }

    /// The terminal came back into focus: a good moment to look at the session file.
    pub fn focus_gained(&mut self, now: Instant) {
        self.watch_disk(now, true);
    }

    /// Looks at the session file every [`DISK_CHECK`] (or now when `force`), and asks what to
    /// do when another program changed it. While a box is open or an exercise runs, the
    /// question waits.
    pub(super) fn watch_disk(&mut self, now: Instant, force: bool) {
        let due = force
            || self
                .disk
                .checked
                .is_none_or(|at| now.duration_since(at) >= DISK_CHECK);
        if !due || self.modal.is_some() || self.exercise.is_some() {
            return;
        }
        self.disk.checked = Some(now);
        let path = self.session.path.clone();
        let stamp = Stamp::of(&path);
        if stamp == self.disk.stamp && !force {
            return;
        }
        self.disk.stamp = stamp;
        let Some(version) = self.disk.changed(&path) else {
            return;
        };
        if self.disk.later == Some(version) {
            return;
        }
        self.ask_disk_change(version, false);
    }

    /// Opens the question about the file on disk, which is at `version` now.
    fn ask_disk_change(&mut self, version: Version, at_save: bool) {
        let path = self.session.path.clone();
        let name = file_name(&path);
        let mut lines = Vec::new();
        let disk = if version.0.is_none() {
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
                        describe_changes(&self.saved, &disk)
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
        let mine = differences(&self.saved, self.users_mix()).len();
        if self.read_only.is_none() {
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
        let mine = differences(&self.saved, self.users_mix()).len();
        if change.disk.is_some() {
            list.push((
                "r",
                if mine == 0 || self.read_only.is_some() {
                    "reload it".to_string()
                } else {
                    "reload it, your edits on top".to_string()
                },
            ));
        }
        if self.read_only.is_none() {
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
                lines: already_open_lines(&self.session.path, owner),
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
                Some('a') => self.set_journal_aside(),
                Some('q') => return Ok(Outcome::Quit),
                _ if ctrl_c => return Ok(Outcome::Quit),
                _ => self.modal = Some(Modal::JournalUnreadable { error }),
            },
            Modal::Recover { recovery, lines } => match key {
                Some('r') => self.recover(&recovery),
                Some('a') => self.set_journal_aside(),
                Some('d') => {
                    self.discard_journal();
                    self.message = Some("Discarded the recovered edits".to_string());
                }
                _ if ctrl_c => return Ok(Outcome::Quit),
                _ => self.modal = Some(Modal::Recover { recovery, lines }),
            },
            Modal::AlreadyOpen { owner } => match key {
                Some('l') => {
                    self.message = Some(format!(
                        "Listening read-only ({owner} has the session): nothing is saved here"
                    ));
                }
                Some('q') => return Ok(Outcome::Quit),
                _ if ctrl_c => return Ok(Outcome::Quit),
                _ => self.modal = Some(Modal::AlreadyOpen { owner }),
            },
            Modal::DiskChanged(change) => match key {
                Some('r') if change.disk.is_some() => self.reload(change),
                Some('o') if self.read_only.is_none() => self.overwrite(),
                Some('w') if self.read_only.is_none() => {
                    self.modal = Some(Modal::SaveAs {
                        text: self.suggested_name(),
                        error: None,
                    });
                }
                Some('\u{1b}') => {
                    self.disk.later = Some(change.version);
                    self.message = Some(if change.at_save {
                        "Not saved: the file on disk changed (ctrl-s asks again)".to_string()
                    } else {
                        "The session file changed on disk; ctrl-s asks what to do".to_string()
                    });
                }
                _ => self.modal = Some(Modal::DiskChanged(change)),
            },
            Modal::SaveAs { mut text, error } => match event.code {
                KeyCode::Esc => self.message = Some("Not saved".to_string()),
                KeyCode::Enter => self.save_as(&text),
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

    /// Whether the session file on disk is as earmix last loaded or saved it.
    pub(super) fn disk_unchanged(&mut self, path: &Path) -> bool {
        self.disk.changed(path).is_none()
    }

    /// Saves the mix to the session file, unless another program changed the file since
    /// earmix loaded or saved it: then it asks first. Returns whether it saved.
    pub(super) fn save_checked(&mut self) -> bool {
        if let Some(owner) = &self.read_only {
            self.message = Some(format!(
                "Read-only ({owner} has the session): nothing is saved here"
            ));
            return false;
        }
        let path = self.session.path.clone();
        if let Some(version) = self.disk.changed(&path) {
            self.ask_disk_change(version, true);
            return false;
        }
        self.write_session(Write::InPlace)
    }

    /// Writes the mix to the session file.
    fn write_session(&mut self, how: Write) -> bool {
        let result = match how {
            Write::InPlace => session::save(&self.session),
            Write::Over(text) => {
                let contents = match text {
                    Some(text) => session::update_toml_string(&text, &self.session)
                        .map_err(|e| e.message().to_string()),
                    None => Ok(session::to_toml_string(&self.session)),
                };
                match contents {
                    Ok(contents) => {
                        session::file::write_atomically(&self.session.path, contents.as_bytes())
                    }
                    Err(problem) => Err(session::SaveError::NotToml {
                        path: self.session.path.clone(),
                        line: 0,
                        column: 0,
                        message: problem,
                    }),
                }
            }
        };
        match result {
            Ok(()) => {
                self.saved = self.session.clone();
                self.disk = DiskWatch::read(&self.session.path);
                if let Some(journal) = self.journal.as_mut()
                    && let Err(e) = journal.clear()
                {
                    tracing::error!("{e}");
                }
                self.message = Some(format!("Saved {}", file_name(&self.session.path)));
                true
            }
            Err(e) => {
                self.message = Some(format!("Not saved: {e}"));
                self.modal = Some(Modal::Info {
                    title: "The session was not saved".to_string(),
                    lines: vec![e.to_string()],
                });
                false
            }
        }
    }

    /// "Overwrite": the mix replaces what another program wrote.
    fn overwrite(&mut self) {
        self.flush_journal();
        let text = self.disk.text.clone();
        self.write_session(Write::Over(text));
    }

    /// A new file name to offer for "save as": the session's, numbered.
    fn suggested_name(&self) -> String {
        let path = &self.session.path;
        let stem = path
            .file_stem()
            .map_or_else(|| "session".into(), |s| s.to_string_lossy().into_owned());
        let dir = session::file::folder_of(path);
        (2..10_000)
            .map(|n| format!("{stem}-{n}.toml"))
            .find(|name| !dir.join(name).exists())
            .unwrap_or_default()
    }

    /// Saves the mix as a new file beside the session and goes on with that file (its lock,
    /// its journal); the session file is left as the other program wrote it.
    fn save_as(&mut self, text: &str) {
        let name = text.trim().to_string();
        let again = |app: &mut App, error: String| {
            app.modal = Some(Modal::SaveAs {
                text: text.to_string(),
                error: Some(error),
            });
        };
        if name.is_empty() {
            return again(self, "type a file name".to_string());
        }
        if name.contains('/') || name == "." || name == ".." {
            return again(
                self,
                "a file name only: the new file goes beside the session, so its stems stay \
                 where it says"
                    .to_string(),
            );
        }
        let name = if Path::new(&name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
        {
            name
        } else {
            format!("{name}.toml")
        };
        let old = self.session.path.clone();
        let new: PathBuf = session::file::folder_of(&old).join(&name);
        if new.exists() {
            return again(self, format!("{name} exists; choose another name"));
        }
        let lock = match lock::acquire(&new) {
            Ok(Acquired::Locked(lock)) => lock,
            Ok(Acquired::Held(owner)) => {
                return again(self, format!("{name} is open in earmix ({owner})"));
            }
            Err(e) => return again(self, e.to_string()),
        };
        self.flush_journal();
        let text = self.disk.text.clone();
        let mut moved = self.session.clone();
        moved.path.clone_from(&new);
        let contents = match &text {
            Some(text) => match session::update_toml_string(text, &moved) {
                Ok(contents) => contents,
                Err(e) => return again(self, e.message().to_string()),
            },
            None => session::to_toml_string(&moved),
        };
        if let Err(e) = session::file::write_atomically(&new, contents.as_bytes()) {
            return again(self, e.to_string());
        }
        // Edits from here on belong to the new file.
        if let Some(journal) = self.journal.as_mut()
            && let Err(e) = journal.move_to(&new)
        {
            tracing::error!("{e}");
        }
        self.lock = Some(lock);
        self.session.path.clone_from(&new);
        self.saved = self.session.clone();
        self.disk = DiskWatch::read(&new);
        self.message = Some(format!(
            "Saved as {name}; {} keeps the other program's version",
            file_name(&old)
        ));
    }

    /// "Reload": the file as on disk now, with this console's unsaved edits on top where they
    /// still fit (a channel that is gone takes its edits with it, and the message says so).
    fn reload(&mut self, change: DiskChange) {
        let Some(disk) = change.disk else {
            return;
        };
        let disk = *disk;
        self.end_burst();
        let mine: Vec<MixEdit> = differences(&self.saved, self.users_mix())
            .into_iter()
            .map(|c| c.after)
            .collect();
        let mut mixed = disk.clone();
        let mut kept = Vec::new();
        let mut lost = Vec::new();
        for edit in mine {
            match edit.apply(&mut mixed) {
                Ok(()) => kept.push(edit),
                Err(e) => lost.push(format!("{edit} ({e})")),
            }
        }
        let same_strips = same_strips(&self.session, &mixed);
        if !same_strips && self.blind != crate::ui::view::BlindLevel::Off {
            // Blind mode's hidden offsets belong to the old strips.
            self.blind_session = None;
            self.glides.clear();
            self.blind = crate::ui::view::BlindLevel::Off;
        }
        self.session = mixed;
        self.saved = disk;
        self.disk = DiskWatch::read(&self.session.path);
        self.undo = crate::app::undo::UndoStack::new();
        self.selected = self
            .selected
            .min(self.session.channels.len().saturating_sub(1));
        if same_strips {
            self.push_whole_mix();
        } else {
            self.engine_reopen = true;
        }
        if let Some(journal) = self.journal.as_mut()
            && let Err(e) = journal.rewrite(kept.iter().cloned())
        {
            tracing::error!("{e}");
        }
        self.journal_pending.clear();
        let name = file_name(&self.session.path);
        let edits = |n: usize| {
            if n == 1 {
                "1 edit".to_string()
            } else {
                format!("{n} edits")
            }
        };
        self.message = Some(match (kept.len(), lost.len()) {
            (0, 0) => format!("Reloaded {name}"),
            (k, 0) => format!("Reloaded {name} with your {} on top (unsaved)", edits(k)),
            (k, _) => format!(
                "Reloaded {name} with your {} on top; left out, they no longer fit: {}",
                edits(k),
                lost.join("; ")
            ),
        });
    }

    /// Sends every value of the mix to the engine (after a reload, or when an exercise puts the
    /// mix back).
    pub(super) fn push_whole_mix(&mut self) {
        for i in 0..self.session.channels.len() {
            let c = &self.session.channels[i];
            let (trim, gain, pan, mute, solo) = (c.trim_db, c.gain_db, c.pan, c.mute, c.solo);
            self.emit(Effect::Trim(i, trim));
            self.emit(Effect::Gain(i, gain));
            self.emit(Effect::Pan(i, pan));
            self.emit(Effect::Mute(i, mute));
            self.emit(Effect::Solo(i, solo));
        }
        self.emit(Effect::Master(self.session.master_db));
        self.emit(Effect::Scenes(Box::new(self.session.clone())));
    }

    /// Renames the crash journal out of the way and opens the session as saved.
    fn set_journal_aside(&mut self) {
        match journal::set_aside(&self.session.path) {
            Ok(aside) => {
                self.message = Some(format!(
                    "Set the crash journal aside as {}; the session is as saved",
                    file_name(&aside)
                ));
            }
            Err(e) => {
                tracing::error!("{e}");
                self.message = Some(format!(
                    "Could not set the crash journal aside ({e}); edits are not journalled"
                ));
                self.journal = None;
            }
        }
    }

    pub(super) fn discard_journal(&mut self) {
        self.journal_pending.clear();
        if let Some(journal) = self.journal.as_mut()
            && let Err(e) = journal.clear()
        {
            tracing::error!("{e}");
        }
    }

    /// Takes over the edits a crash left: those that fit are applied as one undo step and the
    /// journal starts again with them, against the session file as it is now.
    pub(super) fn recover(&mut self, recovery: &Recovery) {
        let mut recovered = self.session.clone();
        let skipped = recovery.apply_even_if_stale(&mut recovered);
        let changes = differences(&self.session, &recovered);
        let count = changes.len();
        for change in &changes {
            if change.after.apply(&mut self.session).is_ok() {
                self.send(&change.after);
            }
        }
        if let Some(journal) = self.journal.as_mut()
            && let Err(e) = journal.rewrite(changes.iter().map(|c| c.after.clone()))
        {
            tracing::error!("{e}");
            self.message = Some(format!("Crash journal: {e}"));
        }
        if !changes.is_empty() {
            self.undo.push_group(changes);
        }
        let mut message = format!(
            "Recovered {count} unsaved edit{} (ctrl-s saves them, u undoes)",
            if count == 1 { "" } else { "s" }
        );
        if !skipped.is_empty() {
            let _ = write!(message, "; {} did not fit and were left out", skipped.len());
        }
        self.message = Some(message);
    }
}

/// Whether two versions of a session have the same strips playing the same stems (so a reload
/// can be sent to the engine value by value, without opening the stems again).
fn same_strips(a: &Session, b: &Session) -> bool {
    a.sample_rate == b.sample_rate
        && a.reference == b.reference
        && a.channels.len() == b.channels.len()
        && a.channels
            .iter()
            .zip(&b.channels)
            .all(|(x, y)| x.name == y.name && x.file == y.file)
        && a.stems == b.stems
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
        assert_eq!(app.session().channels.len(), 1);
        assert_eq!(app.session().channels[0].gain_db.0, 0.0, "the edit on top");
        assert_eq!(
            app.session().channels[0].trim_db.0,
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
