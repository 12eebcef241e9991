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
//! crash at most the last line is torn (cut short); reading ignores a last line without its
//! newline.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use toml_edit::{InlineTable, Value};

use super::edit::{Change, EditError, MixEdit, differences};
use crate::session::{Section, Session};
use crate::units::{Decibels, Pan, Seconds};

/// What is appended to the session file's name to name its journal.
pub const JOURNAL_SUFFIX: &str = ".earmix-journal";

/// The journal format this build writes and reads.
const FORMAT_VERSION: i64 = 1;

/// The journal beside a session file: `song.toml` -> `song.toml.earmix-journal`.
pub fn journal_path(session_path: &Path) -> PathBuf {
    let mut name = OsString::from(session_path.as_os_str());
    name.push(JOURNAL_SUFFIX);
    PathBuf::from(name)
}

/// What went wrong with a crash journal; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Reading or writing a file failed.
    #[error("{}: {action}: {error}", path.display())]
    Io {
        /// The journal, or the session file when fingerprinting it failed.
        path: PathBuf,
        /// What was being done, e.g. "cannot append to the crash journal".
        action: &'static str,
        /// The operating system's error.
        error: io::Error,
    },
    /// A complete line of the journal is not one earmix writes.
    #[error(
        "{}:{line}: not a line of an earmix crash journal ({message}); move the file aside to \
         start afresh",
        path.display()
    )]
    Corrupt {
        /// The journal.
        path: PathBuf,
        /// The line, counted from 1.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The journal was written against another version of the session file.
    #[error("{}: {reason}; its edits were not applied", path.display())]
    Stale {
        /// The journal.
        path: PathBuf,
        /// How the session file differs from the one the journal began with.
        reason: String,
    },
    /// A journalled edit does not fit the session.
    #[error("{}: edit {number}: {error}", path.display())]
    Edit {
        /// The journal.
        path: PathBuf,
        /// The edit, counted from 1 in journal order.
        number: usize,
        /// Why it does not apply.
        error: EditError,
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

/// The open crash journal of one session.
///
/// The file is created by the first edit, so a session opened and closed without edits leaves
/// no journal behind.
#[derive(Debug)]
pub struct Journal {
    session_path: PathBuf,
    path: PathBuf,
    /// The session file as the journal's edits apply to it.
    base: Option<Fingerprint>,
    /// The journal, open for appending, once it holds a header line for `base`.
    file: Option<File>,
}

impl Journal {
    /// Starts journalling edits to the session at `session_path`, as it is on disk now (call it
    /// right after loading the session).
    ///
    /// Call [`recover`] first and act on its answer: a journal left by a crash that matches the
    /// session file is continued (a torn last line is cut off first), so edits recovered from
    /// it and applied stay journalled; any other journal is replaced by the first edit. To
    /// discard recovered edits instead, [`clear`](Journal::clear) the journal.
    pub fn open(session_path: &Path) -> Result<Journal, JournalError> {
        let path = journal_path(session_path);
        let base = Fingerprint::of_file(session_path)?;
        let mut journal = Journal {
            session_path: session_path.to_path_buf(),
            path,
            base,
            file: None,
        };
        journal.file = journal.continue_existing()?;
        Ok(journal)
    }

    /// The existing journal, opened for appending after its last complete line, when its
    /// header matches `base`.
    fn continue_existing(&self) -> Result<Option<File>, JournalError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(self.io("cannot read the crash journal", error)),
        };
        let Some(header_end) = bytes.iter().position(|&b| b == b'\n') else {
            return Ok(None);
        };
        let matches = std::str::from_utf8(&bytes[..header_end])
            .ok()
            .and_then(|line| parse_header(line).ok())
            .is_some_and(|header| header.base == self.base);
        if !matches {
            return Ok(None);
        }
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(|e| self.io("cannot open the crash journal", e))?;
        if complete < bytes.len() {
            file.set_len(complete as u64)
                .map_err(|e| self.io("cannot cut the torn last line off the crash journal", e))?;
        }
        Ok(Some(file))
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one edit and flushes it to disk (`fdatasync`) before returning, creating the
    /// journal with its header line on the first edit.
    pub fn append(&mut self, edit: &MixEdit) -> Result<(), JournalError> {
        let mut text = String::new();
        let created = self.file.is_none();
        if created {
            text.push_str(&header_line(&self.session_path, self.base));
            text.push('\n');
        }
        text.push_str(&edit_line(edit));
        text.push('\n');
        let file = match self.file.take() {
            Some(file) => file,
            None => File::create(&self.path)
                .map_err(|e| self.io("cannot create the crash journal", e))?,
        };
        let path = &self.path;
        let file = self.file.insert(file);
        let failed = |error| JournalError::Io {
            path: path.clone(),
            action: "cannot append to the crash journal",
            error,
        };
        file.write_all(text.as_bytes()).map_err(failed)?;
        file.sync_data().map_err(failed)?;
        if created {
            sync_dir(path).map_err(failed)?;
        }
        Ok(())
    }

    /// Removes the journal after the session has been saved: the edits are in the file now.
    /// Later edits start a new journal against the file as saved.
    pub fn clear(&mut self) -> Result<(), JournalError> {
        self.file = None;
        self.base = Fingerprint::of_file(&self.session_path)?;
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io("cannot remove the crash journal", e)),
        }
    }

    fn io(&self, action: &'static str, error: io::Error) -> JournalError {
        JournalError::Io {
            path: self.path.clone(),
            action,
            error,
        }
    }
}

/// Edits found in a journal left behind by a crash.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovery {
    /// The journal file.
    pub journal: PathBuf,
    /// The session file as the journal's header names it.
    pub recorded_session: String,
    /// The journalled edits, oldest first; applied in order to the saved session they
    /// reproduce the mix as it was at the crash.
    pub edits: Vec<MixEdit>,
    /// Whether a torn (partly written) last line was ignored.
    pub torn_tail: bool,
    /// Why the journal does not belong to the session file as it is on disk now, when it does
    /// not (the file was saved, edited or replaced since): its edits may not fit.
    pub stale: Option<String>,
}

impl Recovery {
    /// Whether the journal was written against another version of the session file.
    pub fn is_stale(&self) -> bool {
        self.stale.is_some()
    }

    /// What the recovered mix changes in `on_disk` (the session freshly loaded from its file),
    /// control by control.
    pub fn changes(&self, on_disk: &Session) -> Result<Vec<Change>, JournalError> {
        let mut recovered = on_disk.clone();
        self.apply_to(&mut recovered)?;
        Ok(differences(on_disk, &recovered))
    }

    /// [`changes`](Recovery::changes) in a user's words, e.g. "Bass fader +0.0 dB -> -4.5 dB;
    /// Keys muted", or "no differences from the saved file".
    pub fn summary(&self, on_disk: &Session) -> Result<String, JournalError> {
        let changes = self.changes(on_disk)?;
        if changes.is_empty() {
            return Ok("no differences from the saved file".to_string());
        }
        let parts: Vec<String> = changes.iter().map(ToString::to_string).collect();
        Ok(parts.join("; "))
    }

    /// Applies the recovered edits to `session` (freshly loaded from its file). A stale journal
    /// is refused; nothing changes unless every edit applies.
    pub fn apply(&self, session: &mut Session) -> Result<(), JournalError> {
        if let Some(reason) = &self.stale {
            return Err(JournalError::Stale {
                path: self.journal.clone(),
                reason: reason.clone(),
            });
        }
        self.apply_even_if_stale(session)
    }

    /// Applies the recovered edits even when the journal is stale (once the user has seen the
    /// [`summary`](Recovery::summary) and asked for it); nothing changes unless every edit
    /// applies.
    pub fn apply_even_if_stale(&self, session: &mut Session) -> Result<(), JournalError> {
        let mut recovered = session.clone();
        self.apply_to(&mut recovered)?;
        *session = recovered;
        Ok(())
    }

    /// Applies the edits in order, skipping those a later edit supersedes
    /// ([`MixEdit::supersedes`]): a scene edit followed by a new section list is overwritten by
    /// it, and may name a section only a list in between had.
    fn apply_to(&self, session: &mut Session) -> Result<(), JournalError> {
        for (i, edit) in self.edits.iter().enumerate() {
            let later = &self.edits[i + 1..];
            if later
                .iter()
                .any(|l| matches!(l, MixEdit::Sections { .. }) && l.supersedes(edit))
            {
                continue;
            }
            edit.apply(session).map_err(|error| JournalError::Edit {
                path: self.journal.clone(),
                number: i + 1,
                error,
            })?;
        }
        Ok(())
    }
}

/// Reads the journal a crash left beside the session file, if there is one with edits in it.
///
/// A torn last line is ignored ([`Recovery::torn_tail`]); any other unreadable line is an
/// error naming the journal and the line. A journal whose header does not match the session
/// file on disk comes back marked [`stale`](Recovery::stale), for the user to decide.
pub fn recover(session_path: &Path) -> Result<Option<Recovery>, JournalError> {
    let path = journal_path(session_path);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(JournalError::Io {
                path,
                action: "cannot read the crash journal",
                error,
            });
        }
    };
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let torn_tail = complete < bytes.len();
    let corrupt = |line: usize, message: String| JournalError::Corrupt {
        path: path.clone(),
        line,
        message,
    };
    // Complete lines only, without the newline that ends the last of them. With none, even
    // the header was torn, so nothing after it was written.
    let Some(body) = complete.checked_sub(1).map(|end| &bytes[..end]) else {
        return Ok(None);
    };
    let mut lines = body.split(|&b| b == b'\n').enumerate().map(|(i, line)| {
        std::str::from_utf8(line)
            .map(|text| (i + 1, text))
            .map_err(|_| corrupt(i + 1, "not UTF-8 text".to_string()))
    });
    let Some(header) = lines.next() else {
        return Ok(None);
    };
    let (number, header) = header?;
    let header = parse_header(header).map_err(|m| corrupt(number, m))?;
    let mut edits = Vec::new();
    for line in lines {
        let (number, text) = line?;
        edits.push(parse_edit(text).map_err(|m| corrupt(number, m))?);
    }
    if edits.is_empty() {
        return Ok(None);
    }
    let now = Fingerprint::of_file(session_path)?;
    Ok(Some(Recovery {
        journal: path,
        recorded_session: header.session,
        edits,
        torn_tail,
        stale: stale_reason(header.base, now),
    }))
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

/// A journal's first line, parsed.
struct Header {
    session: String,
    base: Option<Fingerprint>,
}

fn header_line(session_path: &Path, base: Option<Fingerprint>) -> String {
    let mut line = format!(
        "{{ earmix_journal = {FORMAT_VERSION}, session = {}",
        toml_string(&session_path.to_string_lossy())
    );
    match base {
        Some(base) => {
            let _ = write!(
                line,
                ", length = {}, fnv1a64 = \"{:016x}\" }}",
                base.length, base.fnv1a64
            );
        }
        None => line.push_str(", missing = true }"),
    }
    line
}

fn parse_header(line: &str) -> Result<Header, String> {
    let table = parse_table(
        line,
        &["earmix_journal", "session", "length", "fnv1a64", "missing"],
    )?;
    match table.get("earmix_journal").and_then(Value::as_integer) {
        Some(FORMAT_VERSION) => {}
        Some(other) => {
            return Err(format!(
                "journal format {other}; this earmix reads format {FORMAT_VERSION}"
            ));
        }
        None => return Err("the first line does not start an earmix journal".to_string()),
    }
    let session = str_field(&table, "session")?.to_string();
    if table.get("missing").and_then(Value::as_bool) == Some(true) {
        return Ok(Header {
            session,
            base: None,
        });
    }
    let length = table
        .get("length")
        .and_then(Value::as_integer)
        .and_then(|n| u64::try_from(n).ok())
        .ok_or("'length' must be a byte count")?;
    let fnv1a64 = u64::from_str_radix(str_field(&table, "fnv1a64")?, 16)
        .map_err(|_| "'fnv1a64' must be 16 hex digits")?;
    Ok(Header {
        session,
        base: Some(Fingerprint { length, fnv1a64 }),
    })
}

/// One edit as a journal line (without the newline).
fn edit_line(edit: &MixEdit) -> String {
    let channel = |name: &str| format!("channel = {}, ", toml_string(name));
    let (kind, channel, value) = match edit {
        MixEdit::SceneGain {
            section,
            channel: c,
            db,
        } => {
            let mut line = format!(
                "{{ edit = \"scene-fader\", section = {}, channel = {}",
                toml_string(section),
                toml_string(c)
            );
            if let Some(db) = db {
                let _ = write!(line, ", db = {}", float(db.0));
            }
            line.push_str(" }");
            return line;
        }
        MixEdit::SceneMute {
            section,
            channel: c,
            on,
        } => {
            return format!(
                "{{ edit = \"scene-mute\", section = {}, channel = {}, on = {on} }}",
                toml_string(section),
                toml_string(c)
            );
        }
        MixEdit::Sections { sections } => {
            let list: Vec<String> = sections.iter().map(section_table).collect();
            return format!(
                "{{ edit = \"sections\", sections = [{}] }}",
                list.join(", ")
            );
        }
        MixEdit::Trim { channel: c, db } => ("trim", channel(c), format!("db = {}", float(db.0))),
        MixEdit::Gain { channel: c, db } => ("fader", channel(c), format!("db = {}", float(db.0))),
        MixEdit::Pan { channel: c, pan } => ("pan", channel(c), format!("pan = {}", float(pan.0))),
        MixEdit::Mute { channel: c, on } => ("mute", channel(c), format!("on = {on}")),
        MixEdit::Solo { channel: c, on } => ("solo", channel(c), format!("on = {on}")),
        MixEdit::Master { db } => ("master", String::new(), format!("db = {}", float(db.0))),
    };
    format!("{{ edit = \"{kind}\", {channel}{value} }}")
}

/// One section as an inline table: name and start always; the scene and the ramp when set.
fn section_table(section: &Section) -> String {
    let mut text = format!(
        "{{ name = {}, start = {}",
        toml_string(&section.name),
        float(section.start.0)
    );
    if !section.gain_db.is_empty() {
        let gains: Vec<String> = section
            .gain_db
            .iter()
            .map(|(channel, db)| format!("{} = {}", toml_key(channel), float(db.0)))
            .collect();
        let _ = write!(text, ", gain_db = {{ {} }}", gains.join(", "));
    }
    if !section.mute.is_empty() {
        let names: Vec<String> = section.mute.iter().map(|n| toml_string(n)).collect();
        let _ = write!(text, ", mute = [{}]", names.join(", "));
    }
    if let Some(ms) = section.ramp_ms {
        let _ = write!(text, ", ramp_ms = {ms}");
    }
    text.push_str(" }");
    text
}

/// Parses one section of a `sections` line.
fn parse_section(value: &Value) -> Result<Section, String> {
    let Value::InlineTable(table) = value else {
        return Err("each of 'sections' must be an inline table { ... }".to_string());
    };
    let allowed = ["name", "start", "gain_db", "mute", "ramp_ms"];
    if let Some((key, _)) = table.iter().find(|(key, _)| !allowed.contains(key)) {
        return Err(format!("unknown key '{key}' in a section"));
    }
    let name = str_field(table, "name")?.to_string();
    let start = table
        .get("start")
        .and_then(number)
        .ok_or("a section's 'start' must be a number")?;
    let gain_db = match table.get("gain_db") {
        None => Vec::new(),
        Some(Value::InlineTable(gains)) => gains
            .iter()
            .map(|(channel, db)| {
                let db =
                    number(db).ok_or_else(|| format!("'gain_db.{channel}' must be a number"))?;
                Ok((channel.to_string(), Decibels(db)))
            })
            .collect::<Result<_, String>>()?,
        Some(_) => return Err("a section's 'gain_db' must be an inline table".to_string()),
    };
    let mute = match table.get("mute") {
        None => Vec::new(),
        Some(Value::Array(names)) => names
            .iter()
            .map(|name| {
                name.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| "a section's 'mute' must list names".to_string())
            })
            .collect::<Result<_, String>>()?,
        Some(_) => return Err("a section's 'mute' must be an array of names".to_string()),
    };
    let ramp_ms = table
        .get("ramp_ms")
        .map(|ms| {
            ms.as_integer()
                .and_then(|ms| u32::try_from(ms).ok())
                .ok_or("a section's 'ramp_ms' must be a whole number of milliseconds")
        })
        .transpose()?;
    Ok(Section {
        name,
        start: Seconds(start),
        gain_db,
        mute,
        ramp_ms,
    })
}

/// A TOML integer or float as `f64`.
fn number(value: &Value) -> Option<f64> {
    value
        .as_float()
        .or_else(|| value.as_integer().map(|n| n as f64))
}

fn parse_edit(line: &str) -> Result<MixEdit, String> {
    let table = parse_table(
        line,
        &["edit", "section", "channel", "db", "pan", "on", "sections"],
    )?;
    let kind = str_field(&table, "edit")?;
    let channel = || str_field(&table, "channel").map(str::to_string);
    let number = |key: &str| {
        table
            .get(key)
            .and_then(number)
            .ok_or_else(|| format!("'{key}' must be a number"))
    };
    let section = || str_field(&table, "section").map(str::to_string);
    let on = || {
        table
            .get("on")
            .and_then(Value::as_bool)
            .ok_or("'on' must be true or false")
    };
    Ok(match kind {
        "trim" => MixEdit::Trim {
            channel: channel()?,
            db: Decibels(number("db")?),
        },
        "fader" => MixEdit::Gain {
            channel: channel()?,
            db: Decibels(number("db")?),
        },
        "pan" => MixEdit::Pan {
            channel: channel()?,
            pan: Pan(number("pan")?),
        },
        "mute" => MixEdit::Mute {
            channel: channel()?,
            on: on()?,
        },
        "solo" => MixEdit::Solo {
            channel: channel()?,
            on: on()?,
        },
        "master" => MixEdit::Master {
            db: Decibels(number("db")?),
        },
        "scene-fader" => MixEdit::SceneGain {
            section: section()?,
            channel: channel()?,
            db: match table.get("db") {
                None => None,
                Some(_) => Some(Decibels(number("db")?)),
            },
        },
        "scene-mute" => MixEdit::SceneMute {
            section: section()?,
            channel: channel()?,
            on: on()?,
        },
        "sections" => MixEdit::Sections {
            sections: table
                .get("sections")
                .and_then(Value::as_array)
                .ok_or("'sections' must be an array of sections")?
                .iter()
                .map(parse_section)
                .collect::<Result<_, String>>()?,
        },
        other => {
            return Err(format!(
                "unknown edit '{other}'; known: trim, fader, pan, mute, solo, master, \
                 scene-fader, scene-mute, sections"
            ));
        }
    })
}

/// Parses one line as an inline table with only the given keys.
fn parse_table(line: &str, allowed: &[&str]) -> Result<InlineTable, String> {
    let value: Value = line
        .parse()
        .map_err(|e: toml_edit::TomlError| e.message().to_string())?;
    let Value::InlineTable(table) = value else {
        return Err("expected an inline table { ... }".to_string());
    };
    if let Some((key, _)) = table.iter().find(|(key, _)| !allowed.contains(key)) {
        return Err(format!("unknown key '{key}'"));
    }
    Ok(table)
}

fn str_field<'t>(table: &'t InlineTable, key: &str) -> Result<&'t str, String> {
    table
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("'{key}' must be a string"))
}

/// A TOML basic string, always on one line (control characters are escaped).
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key of an inline table: bare when it can be, else a basic string.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        toml_string(key)
    }
}

/// A TOML float that reads back as exactly the same `f64`.
fn float(value: f64) -> String {
    if value.is_nan() {
        "nan".to_string()
    } else if value.is_infinite() {
        if value < 0.0 { "-inf" } else { "inf" }.to_string()
    } else {
        // Debug is the shortest text that reads back exactly, and always has a '.' or 'e'.
        format!("{value:?}")
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

    fn mute(channel: &str, on: bool) -> MixEdit {
        MixEdit::Mute {
            channel: channel.into(),
            on,
        }
    }

    /// Edits of every kind, including awkward names and values.
    fn every_kind() -> Vec<MixEdit> {
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
        ]
    }

    fn scene_fader(section: &str, channel: &str, db: Option<f64>) -> MixEdit {
        MixEdit::SceneGain {
            section: section.into(),
            channel: channel.into(),
            db: db.map(Decibels),
        }
    }

    fn section(name: &str, start: f64) -> Section {
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
        assert!(text.contains("{ edit = \"fader\", channel = \"Bass\", db = -4.5 }\n"));
        for line in [
            "{ edit = \"scene-fader\", section = \"Chorus 1\", channel = \"Bass\", db = -3.0 }",
            "{ edit = \"scene-fader\", section = \"Chorus \\\"1\\\"\", channel = \"Lead vox\" }",
            "{ edit = \"scene-mute\", section = \"Verse 1\", channel = \"Snare\", on = true }",
            "{ edit = \"sections\", sections = [{ name = \"Intro\", start = 0.0 }, { name = \
             \"Verse \\\"1\\\"\\n\", start = 10.333333333333334, gain_db = { Bass = -3.0, \
             \"Lead vox\" = -inf, \"Gtr \\\"L\\\"\" = 0.30000000000000004 }, mute = [\"Keys\", \
             \"Lead vox\"], ramp_ms = 300 }, { name = \"Outro\", start = 60.0, ramp_ms = 0 }] }",
            "{ edit = \"sections\", sections = [] }",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in:\n{text}");
        }

        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(recovery.edits, every_kind());
        assert!(!recovery.torn_tail);
        assert_eq!(recovery.stale, None);
        assert_eq!(recovery.recorded_session, path.to_string_lossy());
        // -0.0 == 0.0, so check the sign survived separately.
        let master = recovery.edits.iter().find_map(|e| match e {
            MixEdit::Master { db } => Some(db),
            _ => None,
        });
        assert!(master.unwrap().0.is_sign_negative());
    }

    /// A partly written last line is ignored and the complete lines before it are kept; opening
    /// the journal again cuts it off so later edits follow on cleanly.
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
        journal.append(&gain("Keys", -1.0)).unwrap();
        let recovery = recover(&path).unwrap().unwrap();
        assert_eq!(recovery.edits, [gain("Bass", -4.5), gain("Keys", -1.0)]);
        assert!(!recovery.torn_tail);
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

    /// A section list with a key earmix does not write is a damaged line, named as such.
    #[test]
    fn a_section_with_an_unknown_key_is_reported() {
        let (_dir, path) = session_file("version = 1\n");
        let header = header_line(&path, Fingerprint::of_file(&path).unwrap());
        let line =
            "{ edit = \"sections\", sections = [{ name = \"A\", start = 0.0, tempo = 96 }] }";
        fs::write(journal_path(&path), format!("{header}\n{line}\n")).unwrap();
        let error = recover(&path).unwrap_err().to_string();
        assert!(
            error.contains(
                ":2: not a line of an earmix crash journal (unknown key 'tempo' in a \
                            section)"
            ),
            "{error}"
        );
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
        assert_eq!(recovery.edits, log);
        assert_eq!(
            recovery.summary(&reopened).unwrap(),
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
        assert_eq!(
            recovery.summary(&load()).unwrap(),
            "Verse: Bass base mix -> -1.5 dB"
        );
    }

    /// A damaged line that is not the last is an error naming the journal and the line.
    #[test]
    fn a_damaged_middle_line_is_reported() {
        let (_dir, path) = session_file("version = 1\n");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(&gain("Bass", -4.5)).unwrap();
        drop(journal);
        let mut text = fs::read_to_string(journal_path(&path)).unwrap();
        text.push_str("{ edit = \"louder\", channel = \"Bass\" }\n");
        text.push_str(&edit_line(&gain("Bass", 1.0)));
        text.push('\n');
        fs::write(journal_path(&path), text).unwrap();
        let error = recover(&path).unwrap_err().to_string();
        let expected = format!(
            "{}:3: not a line of an earmix crash journal (unknown edit 'louder'; known: trim, \
             fader, pan, mute, solo, master, scene-fader, scene-mute, sections); move the file \
             aside to start afresh",
            journal_path(&path).display()
        );
        assert_eq!(error, expected);
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
        recovery.apply_even_if_stale(&mut session).unwrap();
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
            recovery.summary(&reopened).unwrap(),
            "Bass fader -3.0 dB -> -4.5 dB; Keys muted"
        );
        recovery.apply(&mut reopened).unwrap();
        assert_eq!(reopened, live);
    }

    /// A journalled edit naming a channel the session lacks is an error naming the journal and
    /// the edit, and the session is left as it was.
    #[test]
    fn an_edit_that_does_not_fit_is_refused_whole() {
        let (_dir, path) = session_file("version = 1\n");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(&gain("Bass", -4.5)).unwrap();
        journal.append(&gain("Drums", -1.0)).unwrap();
        let recovery = recover(&path).unwrap().unwrap();
        let mut session = test_session(&path);
        let before = session.clone();
        let error = recovery.apply(&mut session).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}: edit 2: there is no channel named 'Drums' in this session",
                journal_path(&path).display()
            )
        );
        assert_eq!(session, before);
    }
}
