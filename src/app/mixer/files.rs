//! The session's files as the mixer model sees them (UI thread; not realtime-safe: file I/O):
//! saving (atomically, never over another program's change), the session file watched for such
//! changes, reloading it, save-as, the crash journal taken over, set aside or discarded, and the
//! session lock.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::{Mixer, file_name};
use crate::app::edit::{MixEdit, differences};
use crate::app::effect::Effect;
use crate::app::journal::{self, Fingerprint, Recovery};
use crate::app::notice::Notice;
use crate::session::lock::{self, Acquired, SessionLock};
use crate::session::{self, Session};

/// How often the session file is looked at for changes made by other programs (a `stat`;
/// the file is read only when that changed).
pub const DISK_CHECK: Duration = Duration::from_secs(2);

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
pub(crate) struct DiskWatch {
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
pub struct Version(Option<Fingerprint>);

impl Version {
    /// Whether the file is gone (removed or renamed).
    pub fn is_gone(&self) -> bool {
        self.0.is_none()
    }
}

/// How a save writes the session file.
enum Write {
    /// Into the file as it is on disk (keeping its comments and layout).
    InPlace,
    /// Over whatever is there, from the file's text as earmix loaded it (`None`: no file then).
    Over(Option<String>),
}

impl DiskWatch {
    /// The file at `path` as it is now.
    pub(crate) fn read(path: &Path) -> Self {
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

/// What a save did.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved {
    /// Saved (or nothing needed saving); the message says which.
    Done,
    /// Nothing is saved: another earmix has the session (this one).
    ReadOnly(crate::session::lock::Owner),
    /// Not saved: another program changed the file on disk (its version now).
    ChangedOnDisk(Version),
    /// Not saved: writing failed (why).
    Failed(String),
}

impl Mixer {
    /// Sets the session lock this console holds (released when the model is dropped).
    pub fn set_lock(&mut self, lock: SessionLock) {
        self.lock = Some(lock);
    }

    /// Whether this console only listens (the session is open in another earmix).
    pub fn read_only(&self) -> bool {
        self.read_only.is_some()
    }

    /// Whether the engine must be opened again for the session as it is now (a reload changed
    /// its channels or stems); asking clears it.
    pub fn take_engine_reopen(&mut self) -> bool {
        std::mem::take(&mut self.engine_reopen)
    }

    /// Looks at the session file every [`DISK_CHECK`] (or now when `force`): its version on disk
    /// when another program changed it (and the user has not put that version off for later).
    pub(crate) fn disk_changed(&mut self, now: Instant, force: bool) -> Option<Version> {
        let due = force
            || self
                .disk
                .checked
                .is_none_or(|at| now.duration_since(at) >= DISK_CHECK);
        if !due {
            return None;
        }
        self.disk.checked = Some(now);
        let path = self.session.path.clone();
        let stamp = Stamp::of(&path);
        if stamp == self.disk.stamp && !force {
            return None;
        }
        self.disk.stamp = stamp;
        let version = self.disk.changed(&path)?;
        (self.disk.later != Some(version)).then_some(version)
    }

    /// Puts this version of the file on disk off for later: not asked about again until it
    /// changes again, or at a save.
    pub(crate) fn decide_later(&mut self, version: Version) {
        self.disk.later = Some(version);
    }

    /// Saves the mix to the session file, atomically and keeping its comments and layout,
    /// unless another program changed the file since earmix loaded or saved it.
    pub(crate) fn save(&mut self) -> Saved {
        self.flush_journal();
        if let Some(owner) = &self.read_only {
            return Saved::ReadOnly(owner.clone());
        }
        let path = self.session.path.clone();
        if let Some(version) = self.disk.changed(&path) {
            return Saved::ChangedOnDisk(version);
        }
        if !self.unsaved() && path.is_file() {
            self.notify(Notice::NothingToSave);
            return Saved::Done;
        }
        match self.write_session(Write::InPlace) {
            Ok(()) => Saved::Done,
            Err(e) => Saved::Failed(e),
        }
    }

    /// Writes the mix to the session file.
    fn write_session(&mut self, how: Write) -> Result<(), String> {
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
                self.notify(Notice::Saved(file_name(&self.session.path)));
                Ok(())
            }
            Err(e) => {
                self.notify(Notice::NotSaved(e.to_string()));
                Err(e.to_string())
            }
        }
    }

    /// "Overwrite": the mix replaces what another program wrote.
    pub(crate) fn overwrite(&mut self) -> Result<(), String> {
        self.flush_journal();
        let text = self.disk.text.clone();
        self.write_session(Write::Over(text))
    }

    /// A new file name to offer for "save as": the session's, numbered.
    pub(crate) fn suggested_name(&self) -> String {
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

    /// Saves the mix as a new file named `text` beside the session and goes on with that file
    /// (its lock, its journal); the session file is left as the other program wrote it. An
    /// error says why the name cannot be taken.
    pub(crate) fn save_as(&mut self, text: &str) -> Result<(), Notice> {
        let name = text.trim().to_string();
        if name.is_empty() {
            return Err(Notice::FileNameMissing);
        }
        if name.contains('/') || name == "." || name == ".." {
            return Err(Notice::FileNameOnly);
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
            return Err(Notice::FileExists(name));
        }
        let lock = match lock::acquire(&new) {
            Ok(Acquired::Locked(lock)) => lock,
            Ok(Acquired::Held(owner)) => {
                return Err(Notice::FileOpenElsewhere {
                    name,
                    owner: owner.to_string(),
                });
            }
            Err(e) => return Err(Notice::Refused(e.to_string())),
        };
        self.flush_journal();
        let text = self.disk.text.clone();
        let mut moved = self.session.clone();
        moved.path.clone_from(&new);
        let contents = match &text {
            Some(text) => match session::update_toml_string(text, &moved) {
                Ok(contents) => contents,
                Err(e) => return Err(Notice::Refused(e.message().to_string())),
            },
            None => session::to_toml_string(&moved),
        };
        session::file::write_atomically(&new, contents.as_bytes()).map_err(|e| e.to_string())?;
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
        self.notify(Notice::SavedAs {
            name,
            old: file_name(&old),
        });
        Ok(())
    }

    /// "Reload": the file as on disk now, with this console's unsaved edits on top where they
    /// still fit (a channel that is gone takes its edits with it, and the message says so).
    pub(crate) fn reload(&mut self, disk: Session) {
        self.end_burst();
        let mine: Vec<MixEdit> = differences(&self.saved, &self.session)
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
        if let Some(blind) = self.blind_session.as_mut() {
            blind.history_replaced();
        }
        self.selected = self.selected.min(self.strip_count().saturating_sub(1));
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
        self.notify(Notice::Reloaded {
            name,
            kept: kept.len(),
            lost,
        });
    }

    /// Sends every value of the mix to the engine (after a reload, or when an exercise puts the
    /// mix back): each channel's trim and heard levels (its groups counted), the rides and the
    /// scenes.
    pub(crate) fn push_whole_mix(&mut self) {
        for i in 0..self.session.channels.len() {
            let trim = self.session.channels[i].trim_db;
            let Some(heard) = self.session.heard_levels(i) else {
                continue;
            };
            self.emit(Effect::Trim(i, trim));
            self.emit(Effect::Gain(i, heard.gain));
            self.emit(Effect::Pan(i, heard.pan));
            self.emit(Effect::Mute(i, heard.mute));
            self.emit(Effect::Solo(i, heard.solo));
        }
        self.emit(Effect::Master(self.session.master_db));
        self.emit(Effect::Rides(self.heard_rides()));
        self.emit(Effect::Scenes(Box::new(self.session.clone())));
    }

    /// Renames the crash journal out of the way and opens the session as saved.
    pub(crate) fn set_journal_aside(&mut self) {
        match journal::set_aside(&self.session.path) {
            Ok(aside) => {
                self.notify(Notice::SetAside(file_name(&aside)));
            }
            Err(e) => {
                tracing::error!("{e}");
                self.notify(Notice::NotSetAside(e.to_string()));
                self.journal = None;
            }
        }
    }

    pub(crate) fn discard_journal(&mut self) {
        self.journal_pending.clear();
        if let Some(journal) = self.journal.as_mut()
            && let Err(e) = journal.clear()
        {
            tracing::error!("{e}");
        }
    }

    /// Takes over the edits a crash left: those that fit are applied as one undo step and the
    /// journal starts again with them, against the session file as it is now.
    pub(crate) fn recover(&mut self, recovery: &Recovery) {
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
            self.notify(Notice::JournalFailed(e.to_string()));
        }
        if !changes.is_empty() {
            self.undo.push_group(changes);
        }
        self.notify(Notice::Recovered {
            count,
            skipped: skipped.len(),
        });
    }
}

/// Whether two versions of a session have the same strips playing the same stems (so a reload
/// can be sent to the engine value by value, without opening the stems again).
fn same_strips(a: &Session, b: &Session) -> bool {
    a.sample_rate == b.sample_rate
        && a.reference == b.reference
        && a.channels.len() == b.channels.len()
        && a.channels.iter().zip(&b.channels).all(|(x, y)| {
            x.name == y.name
                && x.file == y.file
                && x.right_file == y.right_file
                && x.start_frames == y.start_frames
        })
        && a.stems == b.stems
}
