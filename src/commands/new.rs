//! `earmix new DIR`: a session from a folder of stems. The folder is scanned
//! ([`crate::scan`]), optionally gain-staged ([`crate::scan::gain`]), and the session is written
//! atomically, never over an existing file unless asked to. What was found and decided is
//! printed as a table.

mod groups;

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

use crate::engine::streams::{StemInfo, StreamError};
use crate::markers::{self, MarkerError};
use crate::scan::gain::{self, StemLevel};
use crate::scan::roles::{RoleRules, RolesError};
use crate::scan::{self, Plan, ScanError, Skipped, khz};
use crate::session::{SESSION_VERSION, SaveError};
use crate::text::escape;

/// The session file `earmix new DIR` writes when not told otherwise.
pub const DEFAULT_FILE: &str = "session.toml";

/// What `earmix new` is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOptions {
    /// The folder of stems.
    pub dir: PathBuf,
    /// The session file to write (default: `DIR/session.toml`).
    pub output: Option<PathBuf>,
    /// The song's tempo in BPM, written as `tempo`.
    pub tempo: Option<f64>,
    /// Measure the stems and set trims ([`crate::scan::gain`]).
    pub gain_stage: bool,
    /// Replace an existing session file.
    pub force: bool,
    /// A marker file whose markers become the session's sections ([`crate::markers`]).
    pub labels: Option<PathBuf>,
}

impl NewOptions {
    /// The session file to write.
    pub fn session_path(&self) -> PathBuf {
        self.output
            .clone()
            .unwrap_or_else(|| self.dir.join(DEFAULT_FILE))
    }
}

/// Why no session was written.
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    /// The folder cannot be scanned.
    #[error(transparent)]
    Scan(#[from] ScanError),
    /// The user's role rules are wrong.
    #[error(transparent)]
    Roles(#[from] RolesError),
    /// No stem could be read.
    #[error("{}", no_stems(.looked_in, .skipped))]
    NoStems {
        /// The folders looked in.
        looked_in: Vec<PathBuf>,
        /// The files found that are not stems, and why.
        skipped: Vec<Skipped>,
    },
    /// The session file exists and `--force` was not given.
    #[error(
        "{} already exists; earmix new does not replace it: add --force to replace it, or \
         -o FILE to write another file",
        .0.display()
    )]
    Exists(PathBuf),
    /// The tempo is not a number of beats per minute earmix takes.
    #[error("--tempo {0}: a tempo is from 1 to 999 BPM")]
    Tempo(f64),
    /// The `--labels` file cannot be read or its markers cannot be sections.
    #[error(transparent)]
    Markers(#[from] MarkerError),
    /// Writing failed (nothing was written).
    #[error(transparent)]
    Save(#[from] SaveError),
}

fn no_stems(looked_in: &[PathBuf], skipped: &[Skipped]) -> String {
    let folders: Vec<String> = looked_in
        .iter()
        .map(|f| escape(&f.display().to_string()).into_owned())
        .collect();
    let mut text = format!(
        "no stems found: no audio file could be read in {}",
        folders.join(", ")
    );
    for s in skipped {
        let _ = write!(
            text,
            "\n  {}: {}",
            escape(&s.file.display().to_string()),
            escape(&s.reason)
        );
    }
    text
}

/// A session ready to be written: the plan, the gain staging when asked for, and the text.
#[derive(Debug)]
pub struct Prepared {
    /// What the scan found and decided.
    pub plan: Plan,
    /// Where the session goes.
    pub session_path: PathBuf,
    /// Each channel's measured level (with `--gain-stage`), in channel order.
    pub levels: Option<Vec<Result<StemLevel, StreamError>>>,
    /// The sections made from the `--labels` file's markers.
    pub sections: Option<markers::Plan>,
    /// The session file's text.
    pub text: String,
}

/// Scans the folder, measures the stems when asked, and makes the session's text. Fails early,
/// before any measuring, when the session file exists and `force` is not set.
///
/// Not realtime-safe (file I/O, threads).
pub fn prepare(options: &NewOptions, rules: &RoleRules) -> Result<Prepared, NewError> {
    if let Some(tempo) = options.tempo
        && !(1.0..=999.0).contains(&tempo)
    {
        return Err(NewError::Tempo(tempo));
    }
    let session_path = options.session_path();
    if !options.force && std::fs::symlink_metadata(&session_path).is_ok() {
        return Err(NewError::Exists(session_path));
    }
    let plan = scan::plan(&options.dir, Some(&session_path), rules)?;
    if plan.channels.is_empty() {
        return Err(NewError::NoStems {
            looked_in: plan.looked_in,
            skipped: plan.skipped,
        });
    }
    // Markers are read before anything is measured, so a bad marker file fails at once.
    let sections = match &options.labels {
        Some(labels) => Some(markers::plan(
            &markers::read(labels)?,
            Some(song_end(&plan)),
        )?),
        None => None,
    };
    let levels = options.gain_stage.then(|| {
        let stems: Vec<Vec<PathBuf>> = plan
            .channels
            .iter()
            .map(|c| c.files.iter().map(|f| plan.dir.join(f)).collect())
            .collect();
        gain::measure_all(&stems)
    });
    let mut doc = session_doc(&plan, &session_path, levels.as_deref(), options.tempo);
    if let Some(sections) = &sections {
        markers::write_sections(&mut doc, &sections.sections);
    }
    let text = doc.to_string();
    Ok(Prepared {
        plan,
        session_path,
        levels,
        sections,
        text,
    })
}

/// Where the song ends: where the last stem ends.
fn song_end(plan: &Plan) -> crate::units::Seconds {
    let end = plan
        .channels
        .iter()
        .map(|c| c.start.0 + c.infos.iter().map(StemInfo::seconds).fold(0.0, f64::max))
        .fold(0.0, f64::max);
    crate::units::Seconds(end)
}

/// The session file for a plan, written at `session_path` (stem paths are made relative to its
/// folder where they can be).
pub fn session_text(
    plan: &Plan,
    session_path: &Path,
    levels: Option<&[Result<StemLevel, StreamError>]>,
    tempo: Option<f64>,
) -> String {
    session_doc(plan, session_path, levels, tempo).to_string()
}

/// The session file for a plan, as a document (see [`session_text`]).
fn session_doc(
    plan: &Plan,
    session_path: &Path,
    levels: Option<&[Result<StemLevel, StreamError>]>,
    tempo: Option<f64>,
) -> DocumentMut {
    let mut doc = DocumentMut::new();
    doc.decor_mut().set_prefix(
        "# Made by `earmix new` from a folder of stems. The names and roles are guesses from the\n\
         # file names: check them. See the README's \"Session files\" for every key.\n",
    );
    doc["version"] = value(i64::from(SESSION_VERSION));
    doc["name"] = value(plan.song.as_str());
    if let Some(tempo) = tempo {
        doc["tempo"] = if tempo.fract() == 0.0 {
            value(tempo as i64)
        } else {
            value(tempo)
        };
    }
    if plan.mixed_rates {
        doc["sample_rate"] = value(i64::from(plan.sample_rate));
    }
    let session_dir = crate::session::file::folder_of(session_path);
    let mut channels = ArrayOfTables::new();
    for (i, channel) in plan.channels.iter().enumerate() {
        let mut table = Table::new();
        table["name"] = value(channel.name.as_str());
        let files: Vec<String> = channel
            .files
            .iter()
            .map(|f| path_text(&relative_to(&plan.dir.join(f), session_dir)))
            .collect();
        table["file"] = match files.as_slice() {
            [one] => value(one.as_str()),
            _ => Item::Value(files.iter().map(String::as_str).collect::<Array>().into()),
        };
        table["role"] = value(channel.role.as_str());
        if let Some(Ok(level)) = levels.and_then(|l| l.get(i)) {
            table["trim_db"] = value(level.staging().trim_db);
        }
        if channel.start.0 > 0.0 {
            table["start"] = value(channel.start.0);
        }
        channels.push(table);
    }
    doc["channel"] = Item::ArrayOfTables(channels);
    groups::write(&mut doc, &groups::propose(&plan.channels));
    doc
}

/// A path as written in a session file (`/` between folders).
fn path_text(path: &Path) -> String {
    if path.is_absolute() {
        return path.to_string_lossy().into_owned();
    }
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// `path` relative to `dir` when it lies inside it, else absolute.
fn relative_to(path: &Path, dir: &Path) -> PathBuf {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (path, dir) = (canonical(path), canonical(dir));
    path.strip_prefix(&dir)
        .map_or_else(|_| path.clone(), Path::to_path_buf)
}

/// What `earmix new` found and decided, as printed: one line per channel, its notes below it,
/// the skipped files, and with gain staging each stem's level before and after.
pub fn table(prepared: &Prepared) -> String {
    let plan = &prepared.plan;
    let mut out = String::new();
    let stems: usize = plan.channels.iter().map(|c| c.files.len()).sum();
    let _ = writeln!(
        out,
        "{} stem{} in {}: {} channel{}",
        stems,
        plural(stems),
        escape(&plan.dir.display().to_string()),
        plan.channels.len(),
        plural(plan.channels.len()),
    );
    let name_width = plan
        .channels
        .iter()
        .map(|c| escape(&c.name).chars().count())
        .max()
        .unwrap_or(0)
        .max("Channel".len());
    let role_width = plan
        .channels
        .iter()
        .map(|c| c.role.as_str().len())
        .max()
        .unwrap_or(0)
        .max("Role".len());
    let _ = writeln!(
        out,
        "\n  #  {:name_width$}  {:role_width$}  Stem",
        "Channel", "Role"
    );
    let indent = 4 + 1 + name_width + 2 + role_width + 2;
    for (i, channel) in plan.channels.iter().enumerate() {
        let files: Vec<String> = channel
            .files
            .iter()
            .map(|f| escape(&f.display().to_string()).into_owned())
            .collect();
        let info = &channel.infos[0];
        let shape = if channel.files.len() == 2 {
            "stereo".to_string()
        } else if info.channels == 1 {
            "mono".to_string()
        } else {
            "stereo".to_string()
        };
        let _ = writeln!(
            out,
            "{:>3}  {}  {:role_width$}  {}  ({shape}, {} kHz, {})",
            i + 1,
            pad(&escape(&channel.name), name_width),
            channel.role.as_str(),
            files.join(" + "),
            khz(info.sample_rate),
            crate::units::Seconds(info.seconds()),
        );
        for note in &channel.notes {
            let _ = writeln!(out, "{:indent$}{}", "", escape(note));
        }
    }
    let proposed = groups::propose(&plan.channels);
    if !proposed.is_empty() {
        let _ = writeln!(
            out,
            "\nGroups proposed from the roles (a group's fader adds to its members'; written at \
             0 dB):"
        );
        for group in &proposed {
            let members: Vec<String> = group
                .members
                .iter()
                .map(|m| escape(m).into_owned())
                .collect();
            let _ = writeln!(out, "  {}: {}", escape(&group.name), members.join(", "));
        }
    }
    if !plan.skipped.is_empty() {
        let _ = writeln!(out, "\nNot used:");
        for s in &plan.skipped {
            let _ = writeln!(
                out,
                "  {}: {}",
                escape(&s.file.display().to_string()),
                escape(&s.reason)
            );
        }
    }
    if let Some(levels) = &prepared.levels {
        out.push_str(&staging_table(plan, levels, name_width));
    }
    if let Some(sections) = &prepared.sections {
        out.push_str("\nSections, from the markers:\n");
        out.push_str(&crate::commands::sections::table(sections));
        for note in &sections.notes {
            let _ = writeln!(out, "  {}", escape(note));
        }
    }
    out
}

/// The gain-staging table: each stem's loud-passage level, its trim and the level after.
fn staging_table(
    plan: &Plan,
    levels: &[Result<StemLevel, StreamError>],
    name_width: usize,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nGain staging: each stem's loud passages (the {:.0}th percentile of its momentary\n\
         loudness) trimmed to {:.0} LUFS; faders stay at 0 dB.\n",
        gain::PERCENTILE,
        gain::REFERENCE_LUFS
    );
    let _ = writeln!(
        out,
        "  {}  {:>10}  {:>8}  {:>10}  {:>10}",
        pad("Channel", name_width),
        "before",
        "trim",
        "after",
        "peak after"
    );
    for (channel, level) in plan.channels.iter().zip(levels) {
        let name = pad(&escape(&channel.name), name_width);
        let level = match level {
            Ok(level) => level,
            Err(e) => {
                let _ = writeln!(
                    out,
                    "  {name}  not measured: {}; trim left at 0 dB",
                    escape(&e.to_string())
                );
                continue;
            }
        };
        let staging = level.staging();
        let Some(before) = level.loud_lufs else {
            let _ = writeln!(out, "  {name}  silent: trim left at 0 dB");
            continue;
        };
        let after = before + staging.trim_db;
        let peak = level.peak_dbfs.map_or_else(
            || "-".to_string(),
            |p| format!("{:.1} dBFS", p + staging.trim_db),
        );
        let _ = write!(
            out,
            "  {name}  {:>10}  {:>8}  {:>10}  {:>10}",
            format!("{before:.1} LUFS"),
            format!("{:+.1} dB", staging.trim_db),
            format!("{after:.1} LUFS"),
            peak
        );
        if let Some(wanted) = staging.wanted_db {
            let _ = write!(
                out,
                "  needs {wanted:+.1} dB: more than the trim's {:+.0}..{:+.0} dB",
                crate::session::limits::TRIM.low,
                crate::session::limits::TRIM.high
            );
        }
        out.push('\n');
    }
    out
}

/// `text` padded with spaces to `width` characters.
fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(n)))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Writes the prepared session: atomically (a temporary file beside it, flushed, renamed), and
/// when `force` is not set, only if no file is there by then.
///
/// Not realtime-safe (file I/O).
pub fn write(prepared: &Prepared, force: bool) -> Result<(), NewError> {
    let path = &prepared.session_path;
    if force {
        return Ok(crate::session::file::write_atomically(
            path,
            prepared.text.as_bytes(),
        )?);
    }
    let failed = |action: &'static str| {
        move |error: io::Error| SaveError::Write {
            path: path.clone(),
            action,
            error,
        }
    };
    let dir = crate::session::file::folder_of(path);
    let name = path
        .file_name()
        .map_or_else(|| "session".into(), |n| n.to_string_lossy());
    let mut tmp = crate::session::file::user_temp_file(dir, &format!(".{name}."), ".tmp")
        .map_err(failed("creating a temporary file beside it"))?;
    tmp.write_all(prepared.text.as_bytes())
        .and_then(|()| tmp.flush())
        .map_err(failed("writing the temporary file"))?;
    tmp.as_file()
        .sync_all()
        .map_err(failed("flushing the temporary file to disk"))?;
    match tmp.persist_noclobber(path) {
        Ok(_) => {}
        Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
            return Err(NewError::Exists(path.clone()));
        }
        Err(e) => return Err(failed("moving the temporary file into place")(e.error).into()),
    }
    crate::session::file::sync_dir(dir)
        .map_err(failed("flushing the folder to disk"))
        .map_err(NewError::from)
}

/// Scans, measures when asked, and writes; returns the table to print.
///
/// Not realtime-safe (file I/O, threads).
pub fn run(options: &NewOptions, rules: &RoleRules) -> Result<String, NewError> {
    let prepared = prepare(options, rules)?;
    write(&prepared, options.force)?;
    let mut out = table(&prepared);
    let _ = writeln!(
        out,
        "\nWrote {}. Check it with `earmix check`, open it with `earmix`.",
        escape(&prepared.session_path.display().to_string())
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::streams::StemInfo;
    use crate::scan::PlannedChannel;
    use crate::session::Role;
    use crate::units::Seconds;

    fn plan(dir: &Path) -> Plan {
        let info = |channels| StemInfo {
            format: "WAV".into(),
            channels,
            sample_rate: 48_000,
            frames: 48_000,
        };
        let channel = |name: &str, files: &[&str], role, start| PlannedChannel {
            name: name.into(),
            files: files.iter().map(PathBuf::from).collect(),
            infos: files.iter().map(|_| info(1)).collect(),
            role,
            matched: None,
            start: Seconds(start),
            notes: Vec::new(),
        };
        Plan {
            dir: dir.to_path_buf(),
            looked_in: vec![dir.to_path_buf()],
            song: "Say \"When\"".into(),
            sample_rate: 44_100,
            mixed_rates: true,
            channels: vec![
                channel("Bass DI", &["02_Bass_DI.wav"], Role::Bass, 0.0),
                channel(
                    "Piano",
                    &["stems/Piano L.wav", "stems/Piano R.wav"],
                    Role::Piano,
                    0.0,
                ),
                channel("Vox", &["Vox.wav"], Role::LeadVocal, 12.5),
            ],
            skipped: Vec::new(),
        }
    }

    /// The session names every channel with its file (two for a split pair, relative to the
    /// session's folder), role, start when later than the song, trim when gain staged; tempo
    /// and a mixed-rate session's rate at the top; names are TOML-escaped.
    #[test]
    fn session_text_says_what_was_decided() {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan(dir.path());
        let levels = vec![
            Ok(StemLevel {
                loud_lufs: Some(-12.0),
                peak_dbfs: Some(-3.0),
            }),
            Err(StreamError::Open {
                path: "x".into(),
                reason: "gone".into(),
            }),
            Ok(StemLevel {
                loud_lufs: None,
                peak_dbfs: None,
            }),
        ];
        let text = session_text(
            &plan,
            &dir.path().join("session.toml"),
            Some(&levels),
            Some(96.0),
        );
        assert_eq!(
            text,
            "# Made by `earmix new` from a folder of stems. The names and roles are guesses \
             from the\n# file names: check them. See the README's \"Session files\" for every \
             key.\nversion = 1\nname = 'Say \"When\"'\ntempo = 96\nsample_rate = 44100\n\n\
             [[channel]]\nname = \"Bass DI\"\nfile = \"02_Bass_DI.wav\"\nrole = \"bass\"\n\
             trim_db = -6.0\n\n\
             [[channel]]\nname = \"Piano\"\nfile = [\"stems/Piano L.wav\", \"stems/Piano R.wav\"]\n\
             role = \"piano\"\n\n\
             [[channel]]\nname = \"Vox\"\nfile = \"Vox.wav\"\nrole = \"lead_vocal\"\n\
             trim_db = 0.0\nstart = 12.5\n"
        );
        // A session written elsewhere names its stems by absolute path.
        let other = tempfile::tempdir().unwrap();
        let text = session_text(&plan, &other.path().join("s.toml"), None, None);
        let abs = std::fs::canonicalize(dir.path()).unwrap().join("Vox.wav");
        assert!(
            text.contains(&format!("file = \"{}\"", abs.display())),
            "{text}"
        );
        assert!(
            !text.contains("tempo") && !text.contains("trim_db"),
            "{text}"
        );
    }

    /// Writing without force never replaces a file that appeared meanwhile and leaves no
    /// temporary file; with force it replaces it.
    #[test]
    fn write_never_replaces_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.toml");
        let prepared = Prepared {
            plan: plan(dir.path()),
            session_path: path.clone(),
            levels: None,
            sections: None,
            text: "new".into(),
        };
        std::fs::write(&path, "mine").unwrap();
        let error = write(&prepared, false).unwrap_err();
        assert!(matches!(error, NewError::Exists(_)), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write(&prepared, true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        std::fs::remove_file(&path).unwrap();
        write(&prepared, false).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }
}
