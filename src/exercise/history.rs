//! The progress history (UI thread; not realtime-safe: file I/O): every finished exercise
//! appends one record to `history.jsonl` in the XDG data directory, which `earmix progress`
//! summarises ([`summarise`]).
//!
//! The file is JSON Lines, one self-describing object per line:
//!
//! ```text
//! {"version":1,"date":"2026-11-24T04:31:07Z","exercise":"blindfold","session":"demo-sessions/funk/session.toml","level":2,"channels":[{"name":"Bass","error_db":-1.5,"level_db":-9.5,"target_db":-8.0}],"score":82.5,"rms_db":-18.2}
//! ```
//!
//! Version 2 added what the newer exercises record, each left out of a line when it has
//! nothing: a channel's `pan`, `target_pan` and `pan_error` (the pan drill), `estimates` (guess
//! mode: the smallest level change heard per role), `consistency_db` (the consistency drill: how
//! far two answers to one task were apart) and `abx` (a blind A/B/X of two mix versions).
//! Version 1 lines read as they always did.
//!
//! Each record is written with a single `write` and the file is then `fdatasync`ed, so after a
//! crash at most the last line is torn (cut short). Reading skips a torn last line, a damaged
//! line or a record from a newer earmix with a warning naming the file and the line, and keeps
//! every other record: a history is never lost to one bad line. The next append cuts a torn
//! last line off so the new record starts on a line of its own.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::session::file::{folder_of, sync_dir};

/// The record format this build writes and reads.
pub const RECORD_VERSION: u32 = 2;

/// The oldest record format this build reads.
pub const OLDEST_VERSION: u32 = 1;

/// The history's file name inside the data directory.
pub const FILE_NAME: &str = "history.jsonl";

/// How many of the latest scores [`Summary::recent`] holds.
pub const RECENT: usize = 5;

/// One finished exercise.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The record format, [`RECORD_VERSION`].
    pub version: u32,
    /// When the exercise finished, RFC 3339 in UTC to the second: `2026-11-24T04:31:07Z`.
    pub date: String,
    /// Which exercise: "blindfold", "arc", "drill", "reference", ...
    pub exercise: String,
    /// The session file the exercise ran on, as text.
    pub session: String,
    /// The difficulty level, for exercises that have levels.
    pub level: Option<u32>,
    /// How each channel came out.
    pub channels: Vec<ChannelResult>,
    /// The score in points, 0 to 100.
    pub score: Option<f64>,
    /// The loudness of the mix in dB RMS.
    pub rms_db: Option<f64>,
    /// Guess mode: the just-noticeable level difference estimated per role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub estimates: Vec<RoleEstimate>,
    /// The consistency drill: how far the two answers were apart, dB RMS with the common
    /// offset removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency_db: Option<f64>,
    /// A blind A/B/X of two mix versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abx: Option<AbxRecord>,
}

/// Guess mode's estimate for one role (see `crate::exercise::staircase`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RoleEstimate {
    /// The role ("vocal", "bass", a group's name...).
    pub role: String,
    /// The smallest level change heard right about 71% of the time, dB.
    pub jnd_db: f64,
    /// The likely range of that estimate, dB.
    pub low_db: f64,
    /// The likely range of that estimate, dB.
    pub high_db: f64,
    /// How many trials the role had.
    pub trials: u32,
    /// How many reversals counted in the estimate.
    pub reversals: u32,
    /// "firm", "fair" or "rough".
    pub confidence: String,
}

/// A blind A/B/X comparison of two mix versions.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AbxRecord {
    /// What A was (a snapshot's name, "current mix", "saved file").
    pub a: String,
    /// What B was.
    pub b: String,
    /// How many trials were answered.
    pub trials: u32,
    /// How many of them were right.
    pub right: u32,
    /// The chance of getting at least that many right by guessing.
    pub p_value: f64,
}

/// How one channel came out in an exercise. Levels are in dB.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChannelResult {
    /// The channel's name in the session.
    pub name: String,
    /// How far the channel was from its target (level minus target).
    pub error_db: Option<f64>,
    /// Where the user left it.
    pub level_db: Option<f64>,
    /// Where it should have been.
    pub target_db: Option<f64>,
    /// The pan drill: where the user left its pan, -1 (left) to +1 (right).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pan: Option<f64>,
    /// The pan drill: where the target had it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_pan: Option<f64>,
    /// The pan drill: `pan - target_pan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pan_error: Option<f64>,
}

/// `Some(value)` only for a finite number: JSON has no NaN or infinity.
fn finite(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

impl ChannelResult {
    /// A channel's result; a non-finite number (a silent channel's `-inf` dB) becomes `None`.
    pub fn new(
        name: impl Into<String>,
        error_db: Option<f64>,
        level_db: Option<f64>,
        target_db: Option<f64>,
    ) -> ChannelResult {
        ChannelResult {
            name: name.into(),
            error_db: finite(error_db),
            level_db: finite(level_db),
            target_db: finite(target_db),
            pan: None,
            target_pan: None,
            pan_error: None,
        }
    }

    /// Adds the pan drill's pans (the error is computed); non-finite values become `None`.
    #[must_use]
    pub fn with_pans(mut self, pan: f64, target_pan: f64) -> ChannelResult {
        self.pan = finite(Some(pan));
        self.target_pan = finite(Some(target_pan));
        self.pan_error = finite(Some(pan - target_pan));
        self
    }

    /// Replaces every non-finite number with `None`.
    pub fn sanitize(&mut self) {
        self.error_db = finite(self.error_db);
        self.level_db = finite(self.level_db);
        self.target_db = finite(self.target_db);
        self.pan = finite(self.pan);
        self.target_pan = finite(self.target_pan);
        self.pan_error = finite(self.pan_error);
    }
}

impl Record {
    /// A record of `exercise` on the session at `session`, finished at `finished`, with no
    /// level, channels or score yet (add them with the `with_` methods).
    pub fn new(exercise: impl Into<String>, session: &Path, finished: SystemTime) -> Record {
        Record {
            version: RECORD_VERSION,
            date: rfc3339_utc(finished),
            exercise: exercise.into(),
            session: session.to_string_lossy().into_owned(),
            level: None,
            channels: Vec::new(),
            score: None,
            rms_db: None,
            estimates: Vec::new(),
            consistency_db: None,
            abx: None,
        }
    }

    /// Sets the difficulty level.
    #[must_use]
    pub fn with_level(mut self, level: u32) -> Record {
        self.level = Some(level);
        self
    }

    /// Sets the channel results; non-finite numbers in them become `None`.
    #[must_use]
    pub fn with_channels(mut self, channels: Vec<ChannelResult>) -> Record {
        self.channels = channels;
        self.channels.iter_mut().for_each(ChannelResult::sanitize);
        self
    }

    /// Sets the score; a non-finite score becomes `None`.
    #[must_use]
    pub fn with_score(mut self, score: f64) -> Record {
        self.score = finite(Some(score));
        self
    }

    /// Sets the mix loudness; a non-finite value (a silent mix) becomes `None`.
    #[must_use]
    pub fn with_rms_db(mut self, rms_db: f64) -> Record {
        self.rms_db = finite(Some(rms_db));
        self
    }

    /// Replaces every non-finite number with `None` (done by [`History::append`] too).
    pub fn sanitize(&mut self) {
        self.score = finite(self.score);
        self.rms_db = finite(self.rms_db);
        self.consistency_db = finite(self.consistency_db);
        self.channels.iter_mut().for_each(ChannelResult::sanitize);
        self.estimates
            .retain(|e| e.jnd_db.is_finite() && e.low_db.is_finite() && e.high_db.is_finite());
        if let Some(abx) = &mut self.abx {
            abx.p_value = if abx.p_value.is_finite() {
                abx.p_value
            } else {
                1.0
            };
        }
    }
}

/// A time as RFC 3339 in UTC to the second, e.g. `2026-11-24T04:31:07Z` (fractions of a second
/// are dropped; times before 1970 count back correctly).
pub fn rfc3339_utc(time: SystemTime) -> String {
    let seconds: i64 = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            // Round down: 0.5 s before the epoch is 23:59:59 on the day before.
            whole
                .saturating_add(i64::from(before.subsec_nanos() > 0))
                .saturating_neg()
        }
    };
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`,
/// the inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // Clamp so the shift below cannot overflow; such dates are far outside any clock.
    let z = days.clamp(i64::MIN / 2, i64::MAX / 2) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // day of era, [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era, [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year from 1 March, [0, 365]
    let mp = (5 * doy + 2) / 153; // month from March, [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// What went wrong with the history file; every variant names it.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// Reading or writing the file (or making its folder) failed.
    #[error("{}: {action}: {error}", path.display())]
    Io {
        /// The history file.
        path: PathBuf,
        /// What was being done, e.g. "cannot append to the progress history".
        action: &'static str,
        /// The operating system's error.
        error: io::Error,
    },
    /// A record could not be turned into JSON.
    #[error("{}: cannot write the progress record: {error}", path.display())]
    Encode {
        /// The history file.
        path: PathBuf,
        /// `serde_json`'s error.
        error: serde_json::Error,
    },
}

/// The records read from a history, and what was skipped.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Loaded {
    /// The readable records, in file order.
    pub records: Vec<Record>,
    /// One line per skipped line, for the user: `<file>:<line>: skipped: <why>`
    /// (`<file>:<line>:<column>: skipped: not UTF-8 text ...` for a line that is not text).
    pub warnings: Vec<String>,
}

/// The progress history file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    path: PathBuf,
}

impl History {
    /// The history kept in the file at `path`.
    pub fn at(path: impl Into<PathBuf>) -> History {
        History { path: path.into() }
    }

    /// `<XDG data dir>/earmix/history.jsonl`; `None` when there is no home directory.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "earmix").map(|dirs| dirs.data_dir().join(FILE_NAME))
    }

    /// The history file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record (non-finite numbers written as `null`) and flushes it to disk
    /// (`fdatasync`) before returning. Creates the folder and the file when missing; cuts off a
    /// torn last line left by a crash first.
    pub fn append(&self, record: &Record) -> Result<(), HistoryError> {
        let mut record = record.clone();
        record.sanitize();
        let mut line = serde_json::to_string(&record).map_err(|error| HistoryError::Encode {
            path: self.path.clone(),
            error,
        })?;
        line.push('\n');

        let dir = folder_of(&self.path);
        let dir_existed = dir.is_dir();
        if !dir_existed {
            fs::create_dir_all(dir)
                .map_err(|e| self.io("cannot create the folder for the progress history", e))?;
        }
        let (mut file, created) = match OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(&self.path)
        {
            Ok(file) => (file, true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let file = OpenOptions::new()
                    .read(true)
                    .append(true)
                    .open(&self.path)
                    .map_err(|e| self.io("cannot open the progress history", e))?;
                (file, false)
            }
            Err(e) => return Err(self.io("cannot create the progress history", e)),
        };
        if !created {
            cut_torn_tail(&mut file)
                .map_err(|e| self.io("cannot cut a torn last line off the progress history", e))?;
        }
        let failed = |e| self.io("cannot append to the progress history", e);
        file.write_all(line.as_bytes()).map_err(failed)?;
        file.sync_data().map_err(failed)?;
        if created {
            sync_dir(dir).map_err(failed)?;
            if !dir_existed {
                sync_dir(folder_of(dir)).map_err(failed)?;
            }
        }
        Ok(())
    }

    /// Reads every record. A missing file is an empty history. Damaged lines, a torn last line
    /// and records from a newer earmix are skipped with a warning each; only I/O failures are
    /// errors.
    pub fn read(&self) -> Result<Loaded, HistoryError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded::default()),
            Err(e) => return Err(self.io("cannot read the progress history", e)),
        };
        let mut loaded = Loaded::default();
        let torn = !bytes.is_empty() && !bytes.ends_with(b"\n");
        let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        if body.is_empty() && !torn {
            return Ok(loaded);
        }
        let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
        let mut line_start = 0;
        for (index, line) in lines.iter().enumerate() {
            let offset = line_start;
            line_start += line.len() + 1;
            let number = index + 1;
            // `why` may quote the line (serde names an unknown key): escape what it holds.
            let skip = |why: &str| {
                let why = crate::text::escape(why);
                format!("{}:{number}: skipped: {why}", self.path.display())
            };
            if torn && number == lines.len() {
                loaded.warnings.push(skip(
                    "the last line is incomplete (no newline at its end: a write was \
                     interrupted)",
                ));
                continue;
            }
            let text = match crate::text::decode_slice(line) {
                Ok(text) => text,
                Err(mut e) => {
                    e.offset += offset;
                    e.utf16 &= offset == 0;
                    loaded.warnings.push(format!(
                        "{}:{number}:{}: skipped: {e}",
                        self.path.display(),
                        e.column
                    ));
                    continue;
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            match parse_record(text) {
                Ok(record) => loaded.records.push(record),
                Err(why) => loaded.warnings.push(skip(&why)),
            }
        }
        Ok(loaded)
    }

    fn io(&self, action: &'static str, error: io::Error) -> HistoryError {
        HistoryError::Io {
            path: self.path.clone(),
            action,
            error,
        }
    }
}

/// One line of the history as a record, or why it is not one.
fn parse_record(text: &str) -> Result<Record, String> {
    /// Just the version, read first so a newer record is named as such rather than as damaged.
    #[derive(Deserialize)]
    struct Versioned {
        version: u32,
    }
    let Versioned { version } = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if version > RECORD_VERSION {
        return Err(format!(
            "written by a newer earmix (record version {version}; this one reads version \
             {RECORD_VERSION})"
        ));
    }
    if version < OLDEST_VERSION {
        return Err(format!(
            "unknown record version {version} (this earmix reads versions {OLDEST_VERSION} to \
             {RECORD_VERSION})"
        ));
    }
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// Truncates `file` after its last newline when something follows it (a torn line).
fn cut_torn_tail(file: &mut File) -> io::Result<()> {
    let length = file.seek(SeekFrom::End(0))?;
    if length == 0 {
        return Ok(());
    }
    let mut last = [0_u8];
    file.seek(SeekFrom::End(-1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(());
    }
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_end(&mut bytes)?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    file.set_len(complete as u64)
}

/// One exercise's progress, as `earmix progress` draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The exercise's name.
    pub exercise: String,
    /// How many times it was finished, scored or not.
    pub count: usize,
    /// The highest score.
    pub best: Option<f64>,
    /// The last [`RECENT`] scores, oldest first.
    pub recent: Vec<f64>,
    /// Every score, in the order they were recorded.
    pub scores: Vec<f64>,
}

/// One summary per exercise, in the order each exercise first appears in `records`. Records
/// without a score count towards `count` only.
pub fn summarise(records: &[Record]) -> Vec<Summary> {
    let mut summaries: Vec<Summary> = Vec::new();
    for record in records {
        let index = if let Some(i) = summaries.iter().position(|s| s.exercise == record.exercise) {
            i
        } else {
            summaries.push(Summary {
                exercise: record.exercise.clone(),
                count: 0,
                best: None,
                recent: Vec::new(),
                scores: Vec::new(),
            });
            summaries.len() - 1
        };
        let summary = &mut summaries[index];
        summary.count += 1;
        if let Some(score) = finite(record.score) {
            summary.scores.push(score);
            summary.best = Some(summary.best.map_or(score, |best| best.max(score)));
        }
    }
    for summary in &mut summaries {
        let start = summary.scores.len().saturating_sub(RECENT);
        summary.recent = summary.scores[start..].to_vec();
    }
    summaries
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Howard Hinnant's `days_from_civil`: days from 1970-01-01 to a proleptic Gregorian date.
    fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn at_seconds(seconds: i64) -> SystemTime {
        if seconds >= 0 {
            UNIX_EPOCH + Duration::from_secs(seconds as u64)
        } else {
            UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
        }
    }

    fn record(exercise: &str, score: Option<f64>) -> Record {
        let mut record = Record::new(exercise, Path::new("songs/funk.toml"), at_seconds(0));
        record.score = score;
        record
    }

    fn full_record() -> Record {
        Record::new(
            "blindfold",
            Path::new("demo-sessions/funk/session.toml"),
            at_seconds(1_795_494_667),
        )
        .with_level(2)
        .with_channels(vec![
            ChannelResult::new("Bass", Some(-1.5), Some(-9.5), Some(-8.0)),
            ChannelResult::new("Keys", None, Some(-20.25), Some(-18.0)),
        ])
        .with_score(82.5)
        .with_rms_db(-18.2)
    }

    fn history_in(dir: &tempfile::TempDir) -> History {
        History::at(dir.path().join("earmix").join(FILE_NAME))
    }

    /// The formatter gives RFC 3339 UTC for known instants: the epoch, a leap day, the last
    /// second of a leap day, a date before 1970, and a time with a fraction of a second.
    #[test]
    fn dates_format_as_rfc3339_utc() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_utc(at_seconds(1_795_494_667)),
            "2026-11-24T04:31:07Z"
        );
        assert_eq!(rfc3339_utc(at_seconds(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(
            rfc3339_utc(at_seconds(1_709_251_199)),
            "2024-02-29T23:59:59Z"
        );
        assert_eq!(
            rfc3339_utc(at_seconds(-2_203_891_200)),
            "1900-03-01T00:00:00Z"
        );
        assert_eq!(rfc3339_utc(at_seconds(-1)), "1969-12-31T23:59:59Z");
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH - Duration::from_millis(500)),
            "1969-12-31T23:59:59Z"
        );
        assert_eq!(
            rfc3339_utc(at_seconds(1_795_494_667) + Duration::from_millis(999)),
            "2026-11-24T04:31:07Z"
        );
    }

    /// `civil_from_days` inverts `days_from_civil` over four centuries either side of 1970
    /// (every leap rule: 4, 100 and 400 years), and 2100 has no 29 February.
    #[test]
    fn civil_from_days_inverts_days_from_civil() {
        for days in (-146_097 * 2)..(146_097 * 2) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(
            civil_from_days(days_from_civil(2100, 2, 28) + 1),
            (2100, 3, 1)
        );
        assert_eq!(
            civil_from_days(days_from_civil(2000, 2, 28) + 1),
            (2000, 2, 29)
        );
    }

    /// Records appended (creating the folder and file) read back equal and in order, one JSON
    /// object per line.
    #[test]
    fn append_then_read_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let history = history_in(&dir);
        let first = full_record();
        let second = record("arc", None);
        history.append(&first).unwrap();
        history.append(&second).unwrap();

        let loaded = history.read().unwrap();
        assert_eq!(loaded.records, [first, second]);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let text = fs::read_to_string(history.path()).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
        assert!(
            text.starts_with(
                "{\"version\":2,\"date\":\"2026-11-24T04:31:07Z\",\"exercise\":\"blindfold\","
            ),
            "{text}"
        );
    }

    /// A damaged middle line and a torn last line are skipped with warnings naming the file,
    /// the line and why; the good records around them are kept.
    #[test]
    fn damaged_and_torn_lines_are_skipped_with_warnings() {
        let dir = tempfile::tempdir().unwrap();
        let history = history_in(&dir);
        for score in [10.0, 20.0, 30.0] {
            history.append(&record("drill", Some(score))).unwrap();
        }
        let good = fs::read_to_string(history.path()).unwrap();
        let lines: Vec<&str> = good.lines().collect();
        let damaged = &lines[1][..40];
        let torn = &lines[2][..25];
        fs::write(
            history.path(),
            format!("{}\n{damaged}\n{}\n{torn}", lines[0], lines[2]),
        )
        .unwrap();

        let loaded = history.read().unwrap();
        let scores: Vec<_> = loaded.records.iter().map(|r| r.score).collect();
        assert_eq!(scores, [Some(10.0), Some(30.0)]);
        let file = history.path().display();
        assert_eq!(
            loaded.warnings,
            [
                format!("{file}:2: skipped: EOF while parsing a string at line 1 column 40"),
                format!(
                    "{file}:4: skipped: the last line is incomplete (no newline at its end: a \
                     write was interrupted)"
                ),
            ]
        );
    }

    /// Appending after a crash cuts the torn last line off, so the new record is readable and
    /// the torn line gives no warning.
    #[test]
    fn append_cuts_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let history = history_in(&dir);
        history.append(&record("drill", Some(10.0))).unwrap();
        let mut text = fs::read_to_string(history.path()).unwrap();
        text.push_str("{\"version\":1,\"da");
        fs::write(history.path(), text).unwrap();

        history.append(&record("drill", Some(20.0))).unwrap();
        let loaded = history.read().unwrap();
        assert_eq!(
            loaded.records,
            [record("drill", Some(10.0)), record("drill", Some(20.0))]
        );
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }

    /// A record from a newer earmix, a version-0 record and a record with a key this version
    /// does not know are skipped with warnings saying so; the rest are kept.
    #[test]
    fn unknown_versions_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let history = history_in(&dir);
        history.append(&record("arc", Some(50.0))).unwrap();
        let mut text = fs::read_to_string(history.path()).unwrap();
        text.push_str("{\"version\":3,\"date\":\"2030-01-01T00:00:00Z\",\"mood\":\"good\"}\n");
        text.push_str("{\"version\":0}\n");
        text.push_str(
            &text
                .lines()
                .next()
                .unwrap()
                .replace("\"level\"", "\"tempo\""),
        );
        text.push('\n');
        fs::write(history.path(), text).unwrap();

        let loaded = history.read().unwrap();
        assert_eq!(loaded.records, [record("arc", Some(50.0))]);
        let file = history.path().display();
        assert_eq!(loaded.warnings.len(), 3, "{:?}", loaded.warnings);
        assert_eq!(
            loaded.warnings[0],
            format!(
                "{file}:2: skipped: written by a newer earmix (record version 3; this one reads \
                 version 2)"
            )
        );
        assert_eq!(
            loaded.warnings[1],
            format!(
                "{file}:3: skipped: unknown record version 0 (this earmix reads versions 1 to 2)"
            )
        );
        assert!(
            loaded.warnings[2].starts_with(&format!("{file}:4: skipped: unknown field `tempo`")),
            "{}",
            loaded.warnings[2]
        );
    }

    /// A version-1 line (written before the newer exercises) still reads, its new fields
    /// empty; a version-2 record with every new field round-trips, and the fields it does not
    /// use are left out of its line.
    #[test]
    fn version_one_lines_read_and_new_fields_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let history = history_in(&dir);
        fs::create_dir_all(folder_of(history.path())).unwrap();
        fs::write(
            history.path(),
            "{\"version\":1,\"date\":\"2026-11-24T04:31:07Z\",\"exercise\":\"drill\",\
             \"session\":\"s.toml\",\"level\":2,\"channels\":[{\"name\":\"Bass\",\
             \"error_db\":-1.5,\"level_db\":-9.5,\"target_db\":-8.0}],\"score\":82.5,\
             \"rms_db\":null}\n",
        )
        .unwrap();
        let mut newer = record("guess", None);
        newer.estimates.push(RoleEstimate {
            role: "vocal".into(),
            jnd_db: 1.2,
            low_db: 1.0,
            high_db: 1.4,
            trials: 30,
            reversals: 6,
            confidence: "fair".into(),
        });
        newer.consistency_db = Some(f64::NAN);
        newer.abx = Some(AbxRecord {
            a: "verse up".into(),
            b: "current mix".into(),
            trials: 10,
            right: 9,
            p_value: 0.0107,
        });
        newer.channels = vec![ChannelResult::new("Bass", None, None, None).with_pans(0.25, -0.25)];
        history.append(&newer).unwrap();
        let plain = record("drill", Some(3.0));
        history.append(&plain).unwrap();

        let loaded = history.read().unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert_eq!(loaded.records.len(), 3);
        assert_eq!(loaded.records[0].version, 1);
        assert_eq!(loaded.records[0].score, Some(82.5));
        assert!(loaded.records[0].estimates.is_empty());
        assert_eq!(loaded.records[0].channels[0].pan, None);
        newer.consistency_db = None;
        assert_eq!(loaded.records[1], newer);
        assert_eq!(loaded.records[1].channels[0].pan_error, Some(0.5));
        let text = fs::read_to_string(history.path()).unwrap();
        let last = text.lines().last().unwrap();
        for absent in ["estimates", "consistency_db", "abx", "pan"] {
            assert!(!last.contains(absent), "{last}");
        }
    }

    /// A history that does not exist yet, or is empty, is an empty history, not an error.
    #[test]
    fn a_missing_or_empty_file_is_an_empty_history() {
        let dir = tempfile::tempdir().unwrap();
        let history = history_in(&dir);
        assert_eq!(history.read().unwrap(), Loaded::default());
        fs::create_dir_all(folder_of(history.path())).unwrap();
        fs::write(history.path(), "").unwrap();
        assert_eq!(history.read().unwrap(), Loaded::default());
    }

    /// A history that cannot be read (here: a folder) is an error naming the file.
    #[test]
    fn an_unreadable_history_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::at(dir.path());
        let error = history.read().unwrap_err().to_string();
        assert!(
            error.starts_with(&format!(
                "{}: cannot read the progress history: ",
                dir.path().display()
            )),
            "{error}"
        );
    }

    /// NaN and infinities become `None` in the constructors, in `sanitize`, and on the way to
    /// disk, so the file never holds a number JSON cannot express.
    #[test]
    fn non_finite_numbers_are_sanitised() {
        let built = Record::new("reference", Path::new("s.toml"), UNIX_EPOCH)
            .with_channels(vec![ChannelResult::new(
                "Bass",
                Some(f64::NAN),
                Some(f64::NEG_INFINITY),
                Some(-8.0),
            )])
            .with_score(f64::NAN)
            .with_rms_db(f64::NEG_INFINITY);
        assert_eq!(built.score, None);
        assert_eq!(built.rms_db, None);
        assert_eq!(
            built.channels,
            [ChannelResult::new("Bass", None, None, Some(-8.0))]
        );

        let mut raw = built.clone();
        raw.score = Some(f64::INFINITY);
        raw.rms_db = Some(f64::NAN);
        raw.channels[0].error_db = Some(f64::NAN);
        let dir = tempfile::tempdir().unwrap();
        let history = history_in(&dir);
        history.append(&raw).unwrap();
        let text = fs::read_to_string(history.path()).unwrap();
        assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
        assert_eq!(
            history.read().unwrap().records,
            std::slice::from_ref(&built)
        );

        raw.sanitize();
        assert_eq!(raw, built);
    }

    /// Summaries come one per exercise in first-seen order, with the count of all records, the
    /// best score, the last five scores oldest first and every score in order.
    #[test]
    fn summarise_groups_by_exercise() {
        let mut records: Vec<Record> = [12.0, 40.0, 35.0, 60.0, 55.0, 70.0, 65.0]
            .into_iter()
            .map(|s| record("blindfold", Some(s)))
            .collect();
        records.insert(1, record("drill", Some(80.0)));
        records.insert(3, record("drill", None));
        records.push(record("arc", None));

        let summaries = summarise(&records);
        assert_eq!(
            summaries,
            [
                Summary {
                    exercise: "blindfold".into(),
                    count: 7,
                    best: Some(70.0),
                    recent: vec![35.0, 60.0, 55.0, 70.0, 65.0],
                    scores: vec![12.0, 40.0, 35.0, 60.0, 55.0, 70.0, 65.0],
                },
                Summary {
                    exercise: "drill".into(),
                    count: 2,
                    best: Some(80.0),
                    recent: vec![80.0],
                    scores: vec![80.0],
                },
                Summary {
                    exercise: "arc".into(),
                    count: 1,
                    best: None,
                    recent: vec![],
                    scores: vec![],
                },
            ]
        );
        assert!(summarise(&[]).is_empty());
    }

    /// The default history lives in earmix's XDG data directory.
    #[test]
    fn the_default_path_is_in_the_data_directory() {
        if let Some(path) = History::default_path() {
            assert!(
                path.ends_with(Path::new("earmix").join(FILE_NAME)),
                "{}",
                path.display()
            );
        }
    }
}
