//! The crash journal (UI thread; not realtime-safe: file I/O): every mixer edit is appended to
//! `<session file>.earmix-journal` beside the session and flushed to disk at once, so a crash,
//! `kill -9` or a dropped SSH connection loses nothing. A successful save removes the journal.
//!
//! The journal is text, one self-describing TOML inline table per line. The first line names
//! the session file and fingerprints it as it was on disk when the journal began (its length
//! and FNV-1a hash), so a journal written against another version of the file is recognised as
//! stale instead of being applied to the wrong mix:
//!
//! ```text
//! { earmix_journal = 1, session = "song.toml", length = 1873, fnv1a64 = "9c0e4b7a1d2f3e40" }
//! { edit = "fader", channel = "Bass", db = -4.5 }
//! { edit = "mute", channel = "Keys", on = true }
//! { edit = "scene-fader", section = "Chorus 1", channel = "Bass", db = -3.0 }
//! { edit = "scene-mute", section = "Verse 1", channel = "Snare", on = true }
//! { edit = "sections", sections = [{ name = "Intro", start = 0.0 }, { name = "Verse 1", start = 10.0, gain_db = { Bass = -3.0 }, mute = ["Keys"], ramp_ms = 300 }] }
//! ```
//!
//! A scene fader line without `db` removes the section's value (the channel follows its base
//! fader there). A `sections` line replaces the whole section list, scenes included.
//!
//! Each line is written with a single `write` and the file is then `fdatasync`ed, so after a
//! crash at most the last line is torn (cut short). A write cut short while earmix runs (a full
//! disk) is cut off again, or else the next line starts on a fresh line, so one damaged line
//! never swallows the next.
//!
//! Reading is forgiving: a damaged line (not UTF-8, not an edit earmix writes, cut short) is
//! skipped and named, and every valid edit before and after it is recovered. Only the last edit
//! of each control matters ([`Latest`]), so reading is linear in the journal's length, and the
//! journal rewrites itself (atomically) with only those when it grows, so it stays short however
//! long a session runs.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use line::{Header, edit_line, header_line, parse_edit, parse_header, salvage};

use super::edit::{Change, EditError, MixEdit, differences};
use crate::session::Session;

mod line;

/// What is appended to the session file's name to name its journal.
pub const JOURNAL_SUFFIX: &str = ".earmix-journal";

/// The journal beside a session file: `song.toml` -> `song.toml.earmix-journal`.
pub fn journal_path(session_path: &Path) -> PathBuf {
    let mut name = OsString::from(session_path.as_os_str());
    name.push(JOURNAL_SUFFIX);
    PathBuf::from(name)
}

/// What went wrong with a crash journal; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Reading, writing or renaming a file failed.
    #[error("{}: {action}: {error}", path.display())]
    Io {
        /// The journal, or the session file when fingerprinting it failed.
        path: PathBuf,
        /// What was being done, e.g. "cannot append to the crash journal".
        action: &'static str,
        /// The operating system's error.
        error: io::Error,
    },
    /// The journal was written against another version of the session file.
    #[error("{}: {reason}; its edits were not applied", path.display())]
    Stale {
        /// The journal.
        path: PathBuf,
        /// How the session file differs from the one the journal began with.
        reason: String,
    },
}

/// A session file's identity as saved: its length and the FNV-1a (64-bit) hash of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    /// Length in bytes.
    pub length: u64,
    /// FNV-1a 64-bit hash of the contents (fixed by its definition, so it means the same to
    /// every build).
    pub fnv1a64: u64,
}

impl Fingerprint {
    /// The fingerprint of some bytes.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0100_0000_01b3;
        let fnv1a64 = bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(PRIME)
        });
        Self {
            length: bytes.len() as u64,
            fnv1a64,
        }
    }

    /// The fingerprint of a file as it is on disk now; `None` when it does not exist.
    pub fn of_file(path: &Path) -> Result<Option<Self>, JournalError> {
        match fs::read(path) {
            Ok(bytes) => Ok(Some(Self::of_bytes(&bytes))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(JournalError::Io {
                path: path.to_path_buf(),
                action: "cannot read the session file to check it against its crash journal",
                error,
            }),
        }
    }
}

/// Which control an edit sets: edits of the same control replace each other.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Control {
    kind: std::mem::Discriminant<MixEdit>,
    channel: Option<String>,
    section: Option<String>,
}

impl Control {
    fn of(edit: &MixEdit) -> Self {
        Self {
            kind: std::mem::discriminant(edit),
            channel: edit.channel().map(str::to_string),
            section: edit.section().map(str::to_string),
        }
    }
}

/// The last edit of each control, in the order of their last change: a log of edits with every
/// superseded edit ([`MixEdit::supersedes`]) dropped, which replays to the same session as the
/// whole log. Adding an edit costs the same however long the log is.
#[derive(Debug, Clone, Default)]
pub struct Latest {
    /// Edits in order; `None` where a later edit replaced one.
    slots: Vec<Option<MixEdit>>,
    /// Where each control's edit is in `slots`.
    index: HashMap<Control, usize>,
    /// The scene controls in `index` (a new section list drops them all).
    scenes: Vec<Control>,
}

impl Latest {
    /// No edits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an edit, dropping the edits it supersedes.
    pub fn push(&mut self, edit: MixEdit) {
        if matches!(edit, MixEdit::Sections { .. }) {
            for control in std::mem::take(&mut self.scenes) {
                if let Some(at) = self.index.remove(&control) {
                    self.slots[at] = None;
                }
            }
        }
        let control = Control::of(&edit);
        let scene = matches!(edit, MixEdit::SceneGain { .. } | MixEdit::SceneMute { .. });
        match self.index.insert(control.clone(), self.slots.len()) {
            Some(old) => self.slots[old] = None,
            None if scene => self.scenes.push(control),
            None => {}
        }
        self.slots.push(Some(edit));
        if self.slots.len() > 2 * self.index.len() + 64 {
            self.squeeze();
        }
    }

    /// Drops the gaps left by replaced edits.
    fn squeeze(&mut self) {
        self.slots.retain(Option::is_some);
        for (at, edit) in self.slots.iter().enumerate() {
            if let Some(edit) = edit {
                self.index.insert(Control::of(edit), at);
            }
        }
    }

    /// How many controls have an edit.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether there are no edits.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The edits, in order.
    pub fn edits(&self) -> impl Iterator<Item = &MixEdit> {
        self.slots.iter().flatten()
    }

    /// The edits, in order, owned.
    pub fn into_edits(self) -> Vec<MixEdit> {
        self.slots.into_iter().flatten().collect()
    }
}

impl FromIterator<MixEdit> for Latest {
    fn from_iter<I: IntoIterator<Item = MixEdit>>(iter: I) -> Self {
        let mut latest = Self::new();
        for edit in iter {
            latest.push(edit);
        }
        latest
    }
}

/// A journal rewrites itself with only the last edit of each control once it holds more than
/// this many lines and more than [`COMPACT_RATIO`] times as many as it needs.
const COMPACT_MIN_LINES: usize = 1024;

/// See [`COMPACT_MIN_LINES`].
const COMPACT_RATIO: usize = 4;

/// The open crash journal of one session.
///
/// The file is created by the first edit (replacing any journal there), so a session opened and
/// closed without edits leaves no journal behind. Read what a crash left with [`recover`]
/// before the first edit, and act on it ([`Journal::rewrite`] with the edits taken over,
/// [`Journal::clear`], or [`set_aside`]).
#[derive(Debug)]
pub struct Journal {
    session_path: PathBuf,
    path: PathBuf,
    /// The session file as the journal's edits apply to it.
    base: Option<Fingerprint>,
    /// The journal, open for appending, once it holds a header line for `base`.
    file: Option<File>,
    /// What the journal holds, as the last edit of each control.
    latest: Latest,
    /// Edit lines in the file.
    lines: usize,
    /// The file's length after the last complete write.
    length: u64,
    /// A write was cut short and could not be cut off: the next line starts with a newline.
    torn: bool,
    /// The journal rewrites itself once it holds more lines than this (and more than
    /// [`COMPACT_RATIO`] times as many as it needs).
    compact_min: usize,
}

impl Journal {
    /// Starts journalling edits to the session at `session_path`, as it is on disk now (call it
    /// right after loading the session). Nothing is written until the first edit.
    pub fn open(session_path: &Path) -> Result<Journal, JournalError> {
        Ok(Journal {
            session_path: session_path.to_path_buf(),
            path: journal_path(session_path),
            base: Fingerprint::of_file(session_path)?,
            file: None,
            latest: Latest::new(),
            lines: 0,
            length: 0,
            torn: false,
            compact_min: COMPACT_MIN_LINES,
        })
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one edit and flushes it to disk (`fdatasync`) before returning, creating the
    /// journal with its header line on the first edit. When the journal has grown to many
    /// times what it needs, it is rewritten with the last edit of each control.
    pub fn append(&mut self, edit: &MixEdit) -> Result<(), JournalError> {
        self.latest.push(edit.clone());
        if self.file.is_none() {
            return self.write_whole();
        }
        if self.lines >= self.compact_min && self.lines > COMPACT_RATIO * self.latest.len() {
            return self.write_whole();
        }
        let mut text = String::new();
        if self.torn {
            text.push('\n');
        }
        text.push_str(&edit_line(edit));
        text.push('\n');
        self.write_line(&text)
    }

    /// Writes `text` (one line) at the end, cutting it off again when the write fails part way.
    fn write_line(&mut self, text: &str) -> Result<(), JournalError> {
        let Some(file) = self.file.as_mut() else {
            return self.write_whole();
        };
        let path = &self.path;
        let failed = |error| JournalError::Io {
            path: path.clone(),
            action: "cannot append to the crash journal",
            error,
        };
        let written = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_data());
        if let Err(error) = written {
            // Take the partial line back off; when even that fails, the next line starts
            // afresh so this one does not swallow it.
            self.torn = file
                .set_len(self.length)
                .and_then(|()| file.sync_data())
                .is_err();
            return Err(failed(error));
        }
        self.torn = false;
        self.length += text.len() as u64;
        self.lines += 1;
        Ok(())
    }

    /// Writes the whole journal (header and the last edit of each control) atomically in place
    /// of what is there, and keeps it open for appending.
    fn write_whole(&mut self) -> Result<(), JournalError> {
        self.file = None;
        let mut text = header_line(&self.session_path, self.base);
        text.push('\n');
        for edit in self.latest.edits() {
            text.push_str(&edit_line(edit));
            text.push('\n');
        }
        crate::session::file::write_atomically(&self.path, text.as_bytes()).map_err(|e| {
            JournalError::Io {
                path: self.path.clone(),
                action: "cannot write the crash journal",
                error: io::Error::other(e.to_string()),
            }
        })?;
        let file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(|e| self.io("cannot open the crash journal", e))?;
        self.length = text.len() as u64;
        self.lines = self.latest.len();
        self.torn = false;
        self.file = Some(file);
        Ok(())
    }

    /// Starts the journal afresh against the session file as it is on disk now, holding
    /// `edits` (the edits taken over from a crash, or kept across a reload), written
    /// atomically. With no edits the journal is removed.
    pub fn rewrite(
        &mut self,
        edits: impl IntoIterator<Item = MixEdit>,
    ) -> Result<(), JournalError> {
        self.base = Fingerprint::of_file(&self.session_path)?;
        self.latest = edits.into_iter().collect();
        if self.latest.is_empty() {
            return self.clear();
        }
        self.write_whole()
    }

    /// Removes the journal after the session has been saved: the edits are in the file now.
    /// Later edits start a new journal against the file as saved.
    pub fn clear(&mut self) -> Result<(), JournalError> {
        self.file = None;
        self.latest = Latest::new();
        self.lines = 0;
        self.length = 0;
        self.torn = false;
        self.base = Fingerprint::of_file(&self.session_path)?;
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io("cannot remove the crash journal", e)),
        }
    }

    /// Follows the session to another file (after "save as"): later edits go to that file's
    /// journal, against it as it is on disk now. This session's journal is removed.
    pub fn move_to(&mut self, session_path: &Path) -> Result<(), JournalError> {
        self.clear()?;
        self.session_path = session_path.to_path_buf();
        self.path = journal_path(session_path);
        self.base = Fingerprint::of_file(session_path)?;
        Ok(())
    }

    fn io(&self, action: &'static str, error: io::Error) -> JournalError {
        JournalError::Io {
            path: self.path.clone(),
            action,
            error,
        }
    }
}

/// Renames the journal beside `session_path` out of the way (to
/// `song.toml.earmix-journal.set-aside-2026-12-06T21-40-00Z`, a number added if that exists), so the
/// session opens without it and nothing in it is lost. Returns the new name.
pub fn set_aside(session_path: &Path) -> Result<PathBuf, JournalError> {
    let path = journal_path(session_path);
    // 2026-12-06T21:40:00Z, without the colons some file systems refuse.
    let stamp =
        crate::exercise::history::rfc3339_utc(std::time::SystemTime::now()).replace(':', "-");
    let mut name = OsString::from(path.as_os_str());
    name.push(format!(".set-aside-{stamp}"));
    let mut target = PathBuf::from(&name);
    let mut n = 2;
    while target.exists() {
        let mut numbered = name.clone();
        numbered.push(format!("-{n}"));
        target = PathBuf::from(numbered);
        n += 1;
    }
    let failed = |error| JournalError::Io {
        path: path.clone(),
        action: "cannot set the crash journal aside",
        error,
    };
    fs::rename(&path, &target).map_err(failed)?;
    sync_dir(&target).map_err(failed)?;
    Ok(target)
}

/// A line of a journal that could not be read, skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedLine {
    /// The line, counted from 1.
    pub line: usize,
    /// What is wrong with it.
    pub problem: String,
}

impl std::fmt::Display for DamagedLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

/// A recovered edit that does not fit the session, left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The edit.
    pub edit: MixEdit,
    /// Why it does not apply.
    pub error: EditError,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.edit, self.error)
    }
}

/// At most this many damaged lines are kept by name (the rest are counted).
pub const DAMAGED_NAMED: usize = 20;

/// The longest line kept for reading; longer lines are damaged (a section list of a thousand
/// sections with scenes is far shorter).
const MAX_LINE: usize = 16 << 20;

/// Edits found in a journal left behind by a crash.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovery {
    /// The journal file.
    pub journal: PathBuf,
    /// The session file as the journal's header names it (empty when the header is damaged).
    pub recorded_session: String,
    /// The last edit of each control, in order; applied to the saved session they reproduce
    /// the mix as it was at the crash.
    pub edits: Vec<MixEdit>,
    /// Edit lines read (valid ones).
    pub lines: usize,
    /// Lines that could not be read and were skipped (the first [`DAMAGED_NAMED`] of them).
    pub damaged: Vec<DamagedLine>,
    /// How many lines were damaged in all.
    pub damaged_count: usize,
    /// Whether a torn (partly written) last line was ignored.
    pub torn_tail: bool,
    /// Why the journal does not belong to the session file as it is on disk now, when it does
    /// not (the file was saved, edited or replaced since, or the header is damaged): its edits
    /// may not fit.
    pub stale: Option<String>,
}

impl Recovery {
    /// Whether the journal was written against another version of the session file.
    pub fn is_stale(&self) -> bool {
        self.stale.is_some()
    }

    /// What the recovered mix changes in `on_disk` (the session freshly loaded from its file),
    /// control by control, and the edits that do not fit it.
    pub fn changes(&self, on_disk: &Session) -> (Vec<Change>, Vec<Skipped>) {
        let mut recovered = on_disk.clone();
        let skipped = self.apply_to(&mut recovered);
        (differences(on_disk, &recovered), skipped)
    }

    /// The changes in a user's words, e.g. "Bass fader +0.0 dB -> -4.5 dB; Keys muted", or
    /// "no differences from the saved file".
    pub fn summary(&self, on_disk: &Session) -> String {
        let (changes, _) = self.changes(on_disk);
        if changes.is_empty() {
            return "no differences from the saved file".to_string();
        }
        let parts: Vec<String> = changes.iter().map(ToString::to_string).collect();
        parts.join("; ")
    }

    /// Applies the recovered edits that fit to `session` (freshly loaded from its file) and
    /// returns those that do not. A stale journal is refused.
    pub fn apply(&self, session: &mut Session) -> Result<Vec<Skipped>, JournalError> {
        if let Some(reason) = &self.stale {
            return Err(JournalError::Stale {
                path: self.journal.clone(),
                reason: reason.clone(),
            });
        }
        Ok(self.apply_to(session))
    }

    /// Applies the recovered edits that fit even when the journal is stale (once the user has
    /// seen the [`summary`](Recovery::summary) and asked for it); returns those that do not.
    pub fn apply_even_if_stale(&self, session: &mut Session) -> Vec<Skipped> {
        self.apply_to(session)
    }

    /// Applies the edits in order, skipping (and returning) those that do not fit.
    fn apply_to(&self, session: &mut Session) -> Vec<Skipped> {
        let mut skipped = Vec::new();
        for edit in &self.edits {
            if let Err(error) = edit.apply(session) {
                skipped.push(Skipped {
                    edit: edit.clone(),
                    error,
                });
            }
        }
        skipped
    }
}

/// Reads the journal a crash left beside the session file, if there is one with edits (or
/// damaged lines) in it. See [`recover_with_progress`].
pub fn recover(session_path: &Path) -> Result<Option<Recovery>, JournalError> {
    recover_with_progress(session_path, &AtomicU64::new(0))
}

/// Reads the journal a crash left beside the session file, if there is one with edits (or
/// damaged lines) in it, adding the bytes read to `progress` as it goes (the journal's length
/// is the total).
///
/// A damaged line is skipped and named ([`Recovery::damaged`]), a torn last line ignored
/// ([`Recovery::torn_tail`]); only an unreadable file is an error. A journal whose header does
/// not match the session file on disk, or is damaged, comes back marked
/// [`stale`](Recovery::stale), for the user to decide. Linear in the journal's length.
pub fn recover_with_progress(
    session_path: &Path,
    progress: &AtomicU64,
) -> Result<Option<Recovery>, JournalError> {
    let path = journal_path(session_path);
    let io = |error| JournalError::Io {
        path: path.clone(),
        action: "cannot read the crash journal",
        error,
    };
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let mut input = io::BufReader::with_capacity(1 << 16, file);
    let mut reading = Reading::default();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let (read, complete, too_long) = read_line(&mut input, &mut buf).map_err(io)?;
        if read == 0 {
            break;
        }
        progress.fetch_add(read as u64, Ordering::Relaxed);
        if !complete {
            // The last line, cut short by a crash: it was never finished.
            reading.torn_tail = true;
            break;
        }
        reading.line(&buf, too_long);
    }
    if reading.latest.is_empty() && reading.damaged_count == 0 {
        return Ok(None);
    }
    let now = Fingerprint::of_file(session_path)?;
    let (recorded_session, stale) = match reading.header {
        Some(Ok(header)) => (header.session, stale_reason(header.base, now)),
        Some(Err(problem)) => (
            String::new(),
            Some(format!(
                "the journal's first line is damaged ({problem}), so it does not say which \
                 version of the session file its edits were made on"
            )),
        ),
        None => (String::new(), None),
    };
    Ok(Some(Recovery {
        journal: path,
        recorded_session,
        edits: reading.latest.into_edits(),
        lines: reading.lines,
        damaged: reading.damaged,
        damaged_count: reading.damaged_count,
        torn_tail: reading.torn_tail,
        stale,
    }))
}

/// A journal being read, line by line.
#[derive(Default)]
struct Reading {
    /// Lines seen so far.
    number: usize,
    /// The header, or what is wrong with the first line.
    header: Option<Result<Header, String>>,
    latest: Latest,
    lines: usize,
    damaged: Vec<DamagedLine>,
    damaged_count: usize,
    torn_tail: bool,
}

impl Reading {
    /// Takes one complete line (without its newline).
    fn line(&mut self, bytes: &[u8], too_long: bool) {
        self.number += 1;
        let text = if too_long {
            Err(format!("longer than {} MiB", MAX_LINE >> 20))
        } else {
            std::str::from_utf8(bytes)
                .map_err(|e| format!("not UTF-8 text (at byte {})", e.valid_up_to() + 1))
                .map(|text| text.trim_end_matches('\r'))
        };
        let text = match text {
            Ok(text) => text,
            Err(problem) => {
                if self.header.is_none() {
                    self.header = Some(Err(problem.clone()));
                }
                return self.damage(problem);
            }
        };
        if text.trim().is_empty() {
            // A blank line (after a write that was cut off): nothing lost.
            return;
        }
        if self.header.is_none() {
            match parse_header(text) {
                Ok(header) => {
                    self.header = Some(Ok(header));
                    return;
                }
                // The header was lost; an edit where it should be is still an edit.
                Err(problem) => self.header = Some(Err(problem)),
            }
        }
        match parse_edit(text) {
            Ok(edit) => self.edit(edit),
            Err(problem) => {
                self.damage(problem);
                // A write cut short and a later one appended to it on the same line (as
                // earlier versions of earmix did on a full disk): the later edit is whole.
                if let Some(edit) = salvage(text) {
                    self.edit(edit);
                }
            }
        }
    }

    fn edit(&mut self, edit: MixEdit) {
        self.latest.push(edit);
        self.lines += 1;
    }

    fn damage(&mut self, problem: String) {
        self.damaged_count += 1;
        if self.damaged.len() < DAMAGED_NAMED {
            self.damaged.push(DamagedLine {
                line: self.number,
                problem,
            });
        }
    }
}

/// Reads one line (without its newline) into `buf`, keeping at most [`MAX_LINE`] bytes of it.
/// Returns the bytes consumed, whether the line ended with a newline, and whether it was longer
/// than [`MAX_LINE`].
fn read_line(reader: &mut impl io::BufRead, buf: &mut Vec<u8>) -> io::Result<(usize, bool, bool)> {
    let mut consumed = 0;
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((consumed, false, too_long));
        }
        let (part, done) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (&available[..end], Some(end + 1)),
            None => (available, None),
        };
        let room = MAX_LINE.saturating_sub(buf.len());
        if part.len() > room {
            too_long = true;
        }
        buf.extend_from_slice(&part[..part.len().min(room)]);
        let used = done.unwrap_or(available.len());
        reader.consume(used);
        consumed += used;
        if done.is_some() {
            return Ok((consumed, true, too_long));
        }
    }
}

/// Why a journal begun against `then` does not fit the session file as it is `now`.
fn stale_reason(then: Option<Fingerprint>, now: Option<Fingerprint>) -> Option<String> {
    match (then, now) {
        (a, b) if a == b => None,
        (None, Some(_)) => Some(
            "the session file did not exist when these edits were made, and now it does"
                .to_string(),
        ),
        (Some(_), None) => Some("the session file is missing".to_string()),
        (Some(then), Some(now)) if then.length != now.length => Some(format!(
            "the session file has changed since these edits were made (it was {} bytes long, \
             now {})",
            then.length, now.length
        )),
        _ => Some(
            "the session file has changed since these edits were made (same length, other \
             contents)"
                .to_string(),
        ),
    }
}

/// Makes a new file in the folder of `path` durable.
fn sync_dir(path: &Path) -> io::Result<()> {
    crate::session::file::sync_dir(crate::session::file::folder_of(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::{gain, test_session};
    use crate::session::Section;
    use crate::units::{Decibels, Pan, Seconds};

    fn mute(channel: &str, on: bool) -> MixEdit {
        MixEdit::Mute {
            channel: channel.into(),
            on,
        }
    }

    /// Edits of every kind, including awkward names and values.
    pub(super) fn every_kind() -> Vec<MixEdit> {
        vec![
            gain("Bass", -4.5),
            gain("Bass", f64::NEG_INFINITY),
            gain("Keys", 0.1 + 0.2),
            MixEdit::Trim {
                channel: "Lead \"vox\"\n\tdouble\\".into(),
                db: Decibels(-23.999_999_999),
            },
            MixEdit::Pan {
                channel: "Gtr 'L' \u{1}".into(),
                pan: Pan(-1e-9),
            },
            mute("Keys", true),
            MixEdit::Solo {
                channel: "Keys".into(),
                on: false,
            },
            MixEdit::Master { db: Decibels(-0.0) },
            scene_fader("Chorus 1", "Bass", Some(-3.0)),
            scene_fader("Chorus \"1\"", "Lead vox", None),
            MixEdit::SceneMute {
                section: "Verse 1".into(),
                channel: "Snare".into(),
                on: true,
            },
            MixEdit::Sections {
                sections: vec![
                    section("Intro", 0.0),
                    Section {
                        gain_db: vec![
                            ("Bass".into(), Decibels(-3.0)),
                            ("Lead vox".into(), Decibels(f64::NEG_INFINITY)),
                            ("Gtr \"L\"".into(), Decibels(0.1 + 0.2)),
                        ],
                        mute: vec!["Keys".into(), "Lead vox".into()],
                        ramp_ms: Some(300),
                        ..section("Verse \"1\"\n", 10.0 + 1.0 / 3.0)
                    },
                    Section {
                        ramp_ms: Some(0),
                        ..section("Outro", 60.0)
                    },
                ],
            },
            MixEdit::Sections {
                sections: Vec::new(),
            },
            MixEdit::Ride {
                channel: "Bass".into(),
                points: Some(vec![
                    crate::session::RidePoint::new(12.0, 0.0),
                    crate::session::RidePoint::new(14.5, 2.25),
                ]),
            },
            MixEdit::Ride {
                channel: "Keys".into(),
                points: None,
            },
            MixEdit::Snapshots {
                snapshots: vec![
                    crate::session::Snapshot {
                        name: "Vox \"up\", 1:02".into(),
                        master_db: Decibels(-0.1 - 0.2),
                        gain_db: vec![
                            ("Bass".into(), Decibels(f64::NEG_INFINITY)),
                            ("Lead vox".into(), Decibels(1.25)),
                        ],
                        trim_db: vec![("Bass".into(), Decibels(3.0))],
                        pan: vec![("Lead vox".into(), crate::units::Pan(-0.3))],
                        mute: vec!["Bass".into()],
                        scenes: vec![
                            crate::session::SceneSnapshot {
                                section: "Chorus 1".into(),
                                gain_db: vec![("Bass".into(), Decibels(-2.0))],
                                mute: vec!["Lead vox".into()],
                            },
                            crate::session::SceneSnapshot {
                                section: "Intro".into(),
                                gain_db: Vec::new(),
                                mute: Vec::new(),
                            },
                        ],
                        rides: vec![crate::session::Ride {
                            target: "Lead vox".into(),
                            points: vec![crate::session::RidePoint::new(0.1 + 0.2, -1.5)],
                        }],
                    },
                    crate::session::Snapshot {
                        name: "Empty".into(),
                        master_db: Decibels(0.0),
                        gain_db: Vec::new(),
                        trim_db: Vec::new(),
                        pan: Vec::new(),
                        mute: Vec::new(),
                        scenes: Vec::new(),
                        rides: Vec::new(),
                    },
                ],
            },
        ]
    }

    fn scene_fader(section: &str, channel: &str, db: Option<f64>) -> MixEdit {
        MixEdit::SceneGain {
            section: section.into(),
            channel: channel.into(),
            db: db.map(Decibels),
        }
    }

    pub(super) fn section(name: &str, start: f64) -> Section {
        Section {
            name: name.into(),
            start: Seconds(start),
            gain_db: Vec::new(),
            mute: Vec::new(),
            ramp_ms: None,
        }
    }

    /// A folder with a session file in it (the journal only fingerprints the file).
    fn session_file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("song.toml");
        fs::write(&path, text).unwrap();
        (dir, path)
    }

    /// Edits appended to a journal come back from `recover` exactly, bit for bit, in order,
    /// one line each.
    #[test]
    fn append_then_recover_returns_the_edits() {
        let (_dir, path) = session_file("version = 1\n");
        let mut journal = Journal::open(&path).unwrap();
        assert!(!journal.path().exists(), "no journal before the first edit");
        for edit in every_kind() {
            journal.append(&edit).unwrap();
        }
        drop(journal);
        let text = fs::read_to_string(journal_path(&path)).unwrap();
        assert_eq!(text.lines().count(), 1 + every_kind().len(), "{text}");
        let lines: Vec<String> = every_kind().iter().map(edit_line).collect();
        assert_eq!(text.lines().skip(1).collect::<Vec<_>>(), lines);

        let recovery = recover(&path).unwrap().unwrap();
        // Only the last edit of each control is kept (a new section list drops scene edits).
        let latest: Latest = every_kind().into_iter().collect();
        assert_eq!(recovery.edits, latest.into_edits());
        assert_eq!(recovery.lines, every_kind().len());
        assert!(!recovery.torn_tail);
        assert_eq!(recovery.stale, None);
        assert_eq!(recovery.recorded_session, path.to_string_lossy());
    }

    /// A partly written last line is ignored and the complete lines before it are kept; the
    /// journal started again with the recovered edits holds them and what follows, whole.
    #[test]
    fn a_torn_last_line_is_ignored() {
        let (_dir, path) = session_file("version = 1\n");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(&gain("Bass", -4.5)).unwrap();
        journal.append(&mute("Keys", true)).unwrap();
        drop(journal);
        let full = fs::read(journal_path(&path)).unwrap();
        // Cut the last line short, as a crash in the middle of a write would.
        fs::write(journal_path(&path), &full[..full.len() - 10]).unwrap();

        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(recovery.edits, [gain("Bass", -4.5)]);
        assert!(recovery.torn_tail);

        let mut journal = Journal::open(&path).unwrap();
        journal.rewrite(recovery.edits).unwrap();
        journal.append(&gain("Keys", -1.0)).unwrap();
        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(recovery.edits, [gain("Bass", -4.5), gain("Keys", -1.0)]);
        assert!(!recovery.torn_tail);
        assert!(recovery.damaged.is_empty());
    }

    /// A write cut short in the middle of a session (a full disk) damages one line only: the
    /// next edit starts on a fresh line, and recovery skips the damaged line, names it, and
    /// keeps every edit before and after it. An edit an older earmix glued to a torn line is
    /// taken from its end.
    #[test]
    fn a_line_torn_in_the_middle_loses_only_itself() {
        let (_dir, path) = session_file("version = 1\n");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(&gain("Bass", -4.5)).unwrap();
        // The torn write: part of a line and no newline, as a full disk leaves it, which the
        // journal could not cut off again.
        let torn = edit_line(&mute("Keys", true));
        {
            let mut file = OpenOptions::new()
                .append(true)
                .open(journal_path(&path))
                .unwrap();
            file.write_all(&torn.as_bytes()[..20]).unwrap();
        }
        journal.torn = true;
        journal.append(&gain("Voice", -2.0)).unwrap();
        // An older earmix appended straight after a torn part.
        let mut text = fs::read_to_string(journal_path(&path)).unwrap();
        text.push_str(&torn[..25]);
        text.push_str(&edit_line(&gain("Drums", 1.5)));
        text.push('\n');
        text.push_str(&edit_line(&MixEdit::Master { db: Decibels(-1.0) }));
        text.push('\n');
        fs::write(journal_path(&path), text).unwrap();

        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(
            recovery.edits,
            [
                gain("Bass", -4.5),
                gain("Voice", -2.0),
                gain("Drums", 1.5),
                MixEdit::Master { db: Decibels(-1.0) }
            ]
        );
        assert_eq!(recovery.damaged_count, 2);
        let lines: Vec<usize> = recovery.damaged.iter().map(|d| d.line).collect();
        assert_eq!(lines, [3, 5]);
        assert!(!recovery.torn_tail);
        assert!(!recovery.is_stale());
    }

    /// A damaged header still recovers the edits, marked stale (nothing says which version of
    /// the file they were made on); lines that are not UTF-8 are damaged lines like any other.
    #[test]
    fn a_damaged_header_or_binary_lines_lose_nothing_else() {
        let (_dir, path) = session_file("version = 1\n");
        let mut bytes = b"{ earmix_journ\xff\xfe\n".to_vec();
        bytes.extend_from_slice(edit_line(&gain("Bass", -1.0)).as_bytes());
        bytes.extend_from_slice(b"\n\x00\x01\x02\xc3\x28\n");
        bytes.extend_from_slice(edit_line(&gain("Keys", -2.0)).as_bytes());
        bytes.push(b'\n');
        fs::write(journal_path(&path), bytes).unwrap();
        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(recovery.edits, [gain("Bass", -1.0), gain("Keys", -2.0)]);
        assert_eq!(recovery.damaged_count, 2);
        assert_eq!(recovery.damaged[0].line, 1);
        assert_eq!(
            recovery.damaged[1].problem, "not UTF-8 text (at byte 4)",
            "{:?}",
            recovery.damaged
        );
        let stale = recovery.stale.unwrap_or_default();
        assert!(stale.contains("first line is damaged"), "{stale}");
    }

    /// A journal of many edits stays short: it rewrites itself with the last edit of each
    /// control once it has grown, and recovery gives the last value of each.
    #[test]
    fn a_long_session_keeps_the_journal_compact() {
        let (_dir, path) = session_file("version = 1\n");
        let mut journal = Journal::open(&path).unwrap();
        // Every append is flushed to disk: a small threshold keeps the test quick.
        journal.compact_min = 32;
        let value = |i: usize| -((i % 97) as f64) / 10.0;
        let channels = ["Bass", "Keys", "Voice"];
        let mut most = 0;
        for i in 0..600 {
            journal.append(&gain(channels[i % 3], value(i))).unwrap();
            most = most.max(journal.lines);
        }
        assert!(most <= 32, "{most} lines for 3 controls");
        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(
            recovery.edits,
            [
                gain("Bass", value(597)),
                gain("Keys", value(598)),
                gain("Voice", value(599)),
            ]
        );
        assert_eq!(
            fs::read_to_string(journal_path(&path))
                .unwrap()
                .lines()
                .count(),
            recovery.lines + 1
        );
    }

    /// A torn section list at the end is ignored like any torn line, and so is a torn scene
    /// edit.
    #[test]
    fn a_torn_section_list_is_ignored() {
        let (_dir, path) = session_file("version = 1\n");
        let mut journal = Journal::open(&path).unwrap();
        let edits = every_kind();
        let list = edits
            .iter()
            .find(|e| matches!(e, MixEdit::Sections { sections } if !sections.is_empty()))
            .unwrap();
        journal.append(&gain("Bass", -4.5)).unwrap();
        journal.append(list).unwrap();
        journal
            .append(&scene_fader("Intro", "Bass", Some(1.0)))
            .unwrap();
        drop(journal);
        let full = fs::read(journal_path(&path)).unwrap();
        let last_line = edit_line(&scene_fader("Intro", "Bass", Some(1.0))).len() + 1;
        for cut in [1, last_line - 1] {
            fs::write(journal_path(&path), &full[..full.len() - cut]).unwrap();
            let recovery = recover(&path).unwrap().unwrap();
            assert_eq!(recovery.edits, [gain("Bass", -4.5), list.clone()]);
            assert!(recovery.torn_tail);
        }
        // Cut in the middle of the section list: it is the torn line now.
        fs::write(journal_path(&path), &full[..full.len() - last_line - 40]).unwrap();
        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(recovery.edits, [gain("Bass", -4.5)]);
    }

    /// Scene and section edits journalled before a crash are replayed on the saved session,
    /// also when the log kept only the last edit of each control (a scene edit of a section a
    /// later list moved, and which the saved file does not have yet).
    #[test]
    fn recovered_scene_and_section_edits_reproduce_the_mix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("song.toml");
        let mut saved = test_session(&path);
        saved.sections = vec![section("Intro", 0.0), section("Verse", 4.0)];
        crate::session::save(&saved).unwrap();
        let load = || {
            crate::session::file::load_with(&path, &mut |_: &Path| {
                Ok(crate::engine::streams::StemInfo {
                    format: "WAV".into(),
                    channels: 1,
                    sample_rate: 48_000,
                    frames: 480_000,
                })
            })
            .unwrap()
        };
        let saved = load();
        let mut added = saved.sections.clone();
        added.push(section("Bridge", 8.0));
        let bridge_scene = scene_fader("Bridge", "Bass", Some(2.0));
        let mut live = saved.clone();
        let mut log = Vec::new();
        for edit in [
            MixEdit::Sections {
                sections: added.clone(),
            },
            bridge_scene.clone(),
            MixEdit::SceneMute {
                section: "Verse".into(),
                channel: "Keys".into(),
                on: true,
            },
        ] {
            edit.apply(&mut live).unwrap();
            log.push(edit);
        }
        let mut moved = live.sections.clone();
        moved[2].start = Seconds(7.5);
        let last = MixEdit::Sections { sections: moved };
        last.apply(&mut live).unwrap();
        // What the console's log keeps: the last edit of each control, in order.
        log.remove(0);
        log.push(last);

        let mut journal = Journal::open(&path).unwrap();
        for edit in &log {
            journal.append(edit).unwrap();
        }
        drop(journal);
        let mut reopened = load();
        let recovery = recover(&path).unwrap().unwrap();
        let latest: Latest = log.iter().cloned().collect();
        assert_eq!(recovery.edits, latest.into_edits());
        assert_eq!(
            recovery.summary(&reopened),
            "scene of Verse changed, added section Bridge at 0:07.500"
        );
        recovery.apply(&mut reopened).unwrap();
        assert_eq!(reopened, live);
        assert_eq!(reopened.sections[1].mute, ["Keys"]);
        assert_eq!(
            reopened.sections[2].gain_db,
            [("Bass".to_string(), Decibels(2.0))]
        );

        // Scene edits alone come back as scene changes.
        let mut journal = Journal::open(&path).unwrap();
        journal.clear().unwrap();
        journal
            .append(&scene_fader("Verse", "Bass", Some(-1.5)))
            .unwrap();
        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(recovery.summary(&load()), "Verse: Bass base mix -> -1.5 dB");
    }

    /// A damaged line in the middle is skipped and named; the edits before and after it are
    /// recovered.
    #[test]
    fn a_damaged_middle_line_is_skipped() {
        let (_dir, path) = session_file("version = 1\n");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(&gain("Bass", -4.5)).unwrap();
        drop(journal);
        let mut text = fs::read_to_string(journal_path(&path)).unwrap();
        text.push_str("{ edit = \"louder\", channel = \"Bass\" }\n");
        text.push_str(&edit_line(&gain("Keys", 1.0)));
        text.push('\n');
        fs::write(journal_path(&path), text).unwrap();
        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(recovery.edits, [gain("Bass", -4.5), gain("Keys", 1.0)]);
        assert_eq!(
            recovery
                .damaged
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "line 3: unknown edit 'louder'; known: trim, fader, pan, mute, solo, master, \
                 scene-fader, scene-mute, sections, ride, snapshots"
            ]
        );
    }

    /// `clear` removes the journal, and later edits start a new one against the saved file.
    #[test]
    fn clear_removes_the_journal() {
        let (_dir, path) = session_file("version = 1\n");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(&gain("Bass", -4.5)).unwrap();
        assert!(journal_path(&path).exists());
        fs::write(&path, "version = 1\n# saved\n").unwrap();
        journal.clear().unwrap();
        assert!(!journal_path(&path).exists());
        assert!(recover(&path).unwrap().is_none());
        journal.clear().unwrap();

        journal.append(&mute("Keys", true)).unwrap();
        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(recovery.edits, [mute("Keys", true)]);
        assert_eq!(
            recovery.stale, None,
            "the new journal matches the saved file"
        );
    }

    /// With no journal, or one holding only its header, there is nothing to recover.
    #[test]
    fn recover_without_a_journal_is_none() {
        let (_dir, path) = session_file("version = 1\n");
        assert!(recover(&path).unwrap().is_none());
        let header = header_line(&path, Fingerprint::of_file(&path).unwrap());
        fs::write(journal_path(&path), format!("{header}\n")).unwrap();
        assert!(recover(&path).unwrap().is_none());
        fs::write(journal_path(&path), &header[..20]).unwrap();
        assert!(recover(&path).unwrap().is_none());
    }

    /// A journal begun against another version of the session file is reported as stale with
    /// the reason, and `apply` refuses it.
    #[test]
    fn a_journal_for_another_version_of_the_file_is_stale() {
        let (_dir, path) = session_file("version = 1\n");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(&gain("Bass", -4.5)).unwrap();
        drop(journal);
        fs::write(&path, "version = 1\nname = \"Edited elsewhere\"\n").unwrap();

        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(
            recovery.stale.as_deref(),
            Some(
                "the session file has changed since these edits were made (it was 12 bytes \
                 long, now 38)"
            )
        );
        let mut session = test_session(&path);
        let before = session.clone();
        let error = recovery.apply(&mut session).unwrap_err();
        assert!(matches!(error, JournalError::Stale { .. }), "{error}");
        assert_eq!(session, before);
        recovery.apply_even_if_stale(&mut session);
        assert_eq!(session.channels[0].gain_db, Decibels(-4.5));

        // Same length, other contents.
        fs::write(&path, "version = 1\n").unwrap();
        let mut journal = Journal::open(&path).unwrap();
        journal.append(&gain("Bass", -4.5)).unwrap();
        fs::write(&path, "version = 2\n").unwrap();
        let recovery = recover(&path).unwrap().unwrap();
        assert!(recovery.is_stale());
        // A stale journal is not continued: the next edit starts a fresh one.
        let mut journal = Journal::open(&path).unwrap();
        journal.append(&mute("Keys", true)).unwrap();
        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(recovery.edits, [mute("Keys", true)]);
        assert!(!recovery.is_stale());
    }

    /// Replaying the recovered edits on the session freshly loaded from its file reproduces
    /// the mix as it was at the crash, and the summary says what differs from the file.
    #[test]
    fn applying_the_recovered_edits_reproduces_the_mix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("song.toml");
        crate::session::save(&test_session(&path)).unwrap();
        let load = || {
            crate::session::file::load_with(&path, &mut |_: &Path| {
                Ok(crate::engine::streams::StemInfo {
                    format: "WAV".into(),
                    channels: 1,
                    sample_rate: 48_000,
                    frames: 480_000,
                })
            })
            .unwrap()
        };

        let saved = load();
        let mut live = saved.clone();
        let mut journal = Journal::open(&path).unwrap();
        for edit in [
            gain("Bass", -3.5),
            gain("Bass", -4.0),
            mute("Keys", true),
            MixEdit::Pan {
                channel: "Keys".into(),
                pan: Pan(0.35),
            },
            MixEdit::Pan {
                channel: "Keys".into(),
                pan: Pan::CENTRE,
            },
            gain("Bass", -4.5),
        ] {
            edit.apply(&mut live).unwrap();
            journal.append(&edit).unwrap();
        }
        // The crash: the journal is never cleared and nothing is saved.
        drop(journal);

        let mut reopened = load();
        assert_ne!(reopened, live);
        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(
            recovery.summary(&reopened),
            "Bass fader -3.0 dB -> -4.5 dB; Keys muted"
        );
        recovery.apply(&mut reopened).unwrap();
        assert_eq!(reopened, live);
    }

    /// A journalled edit naming a channel the session lacks is left out and named; the edits
    /// that fit are applied.
    #[test]
    fn an_edit_that_does_not_fit_is_left_out() {
        let (_dir, path) = session_file("version = 1\n");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(&gain("Bass", -4.5)).unwrap();
        journal.append(&gain("Drums", -1.0)).unwrap();
        let recovery = recover(&path).unwrap().unwrap();
        let mut session = test_session(&path);
        let skipped = recovery.apply(&mut session).unwrap();
        assert_eq!(
            skipped.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["Drums fader -1.0 dB: there is no channel named 'Drums' in this session"]
        );
        assert_eq!(session.channels[0].gain_db, Decibels(-4.5));
    }

    /// Journalled edits naming a group (fader, mute, pan, a scene's value) are recovered onto
    /// the group, with the summary naming it; a group the session lacks is left out and named
    /// as an unknown channel is.
    #[test]
    fn group_edits_are_recovered() {
        use crate::session::automation::Group;

        let (_dir, path) = session_file("version = 1\n");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(&gain("Band", -4.5)).unwrap();
        journal
            .append(&MixEdit::Mute {
                channel: "Band".into(),
                on: true,
            })
            .unwrap();
        journal
            .append(&MixEdit::Pan {
                channel: "Band".into(),
                pan: crate::units::Pan(0.25),
            })
            .unwrap();
        journal.append(&gain("Strings", -1.0)).unwrap();
        let recovery = recover(&path).unwrap().unwrap();
        let mut session = test_session(&path);
        session
            .groups
            .push(Group::new("Band", vec!["Bass".into(), "Keys".into()]));
        assert_eq!(
            recovery.summary(&session),
            "Band fader +0.0 dB -> -4.5 dB; Band pan C -> R25; Band muted"
        );
        let skipped = recovery.apply(&mut session).unwrap();
        assert_eq!(
            skipped.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["Strings fader -1.0 dB: there is no channel named 'Strings' in this session"]
        );
        let band = &session.groups[0];
        assert_eq!(band.gain_db, Decibels(-4.5));
        assert!(band.mute);
        assert_eq!(band.pan, crate::units::Pan(0.25));
        assert_eq!(
            session.channels[0].gain_db,
            Decibels(-3.0),
            "members keep theirs"
        );
    }

    proptest::proptest! {
        /// Replaying only the last edit of each control ([`Latest`]) gives the same session as
        /// replaying every edit, whatever the order of fader, mute, scene and section-list
        /// edits (edits that do not fit are skipped in both), and no kept edit is superseded by
        /// a later one.
        #[test]
        fn the_latest_edits_replay_to_the_same_mix(
            picks in proptest::collection::vec((0u8..6, 0usize..3, 0usize..3, -20i32..12), 0..60)
        ) {
            let dir = tempfile::tempdir().unwrap();
            let base = test_session(&dir.path().join("song.toml"));
            let channels = ["Bass", "Keys", "Nobody"];
            let lists = [
                vec![section("Intro", 0.0), section("Verse", 2.0)],
                vec![section("Intro", 0.0), section("Chorus", 3.0)],
                vec![],
            ];
            let sections = ["Intro", "Verse", "Chorus"];
            let edits: Vec<MixEdit> = picks
                .iter()
                .map(|&(kind, a, b, v)| {
                    let db = f64::from(v) / 2.0;
                    match kind {
                        0 => gain(channels[a], db),
                        1 => mute(channels[a], v > 0),
                        2 => MixEdit::Master { db: Decibels(db) },
                        3 => scene_fader(sections[b], channels[a], (v > -15).then_some(db)),
                        4 => MixEdit::SceneMute {
                            section: sections[b].into(),
                            channel: channels[a].into(),
                            on: v > 0,
                        },
                        _ => MixEdit::Sections { sections: lists[b].clone() },
                    }
                })
                .collect();
            let mut every = base.clone();
            for edit in &edits {
                let _ = edit.apply(&mut every);
            }
            let mut latest = base.clone();
            let compact: Latest = edits.iter().cloned().collect();
            for edit in compact.edits() {
                let _ = edit.apply(&mut latest);
            }
            proptest::prop_assert_eq!(latest, every);
            // And it is compact: one edit per control, no scene edit before a section list.
            let kept: Vec<&MixEdit> = compact.edits().collect();
            for (i, edit) in kept.iter().enumerate() {
                for later in &kept[i + 1..] {
                    proptest::prop_assert!(!later.supersedes(edit), "{edit} kept before {later}");
                }
            }

        }
    }
}
