//! Loading session files (read, check the version, read the values, validate, probe the stems) and
//! saving them atomically.

use std::fs;
use std::io::{self, Write as _};
use std::path::Path;

use serde::Deserialize as _;
use toml::de::{DeTable, ValueDeserializer};

use super::edit::{to_toml_string, update_toml_string};
use super::locate::{Source, key_path_at, key_path_by_text};
use super::raw;
use super::validate::{Probe, validate};
use super::{SESSION_VERSION, SaveError, Session, SessionError, SessionErrors};

/// Loads a session file, checks everything in it, and probes its stems and reference.
///
/// Returns every problem found, each naming the file, line and column, key and value.
/// Not realtime-safe (file I/O).
pub fn load(path: &Path) -> Result<Session, SessionErrors> {
    load_with(path, &mut crate::engine::streams::probe)
}

/// [`load`] with another way to probe stems (tests use fakes).
pub(crate) fn load_with(path: &Path, probe: Probe<'_>) -> Result<Session, SessionErrors> {
    let bytes = fs::read(path).map_err(|e| {
        SessionError::whole_file(path, format!("cannot read the session file: {e}"))
    })?;
    let text = crate::text::decode(bytes).map_err(|e| not_text(path, e))?;
    let src = Source::new(path, &text);

    let root = match DeTable::parse(&text) {
        Ok(root) => root,
        Err(e) => return Err(serde_error(&src, &e).into()),
    };
    let mut errors = Vec::new();
    match root.get_ref().get("version") {
        None => errors.push(src.error_at(
            0,
            "version",
            format!(
                "missing: a session file starts with `version = {SESSION_VERSION}` (this earmix \
                 reads version {SESSION_VERSION})"
            ),
        )),
        Some(version) => {
            let number = i64::deserialize(ValueDeserializer::from(version.clone())).ok();
            if number != Some(i64::from(SESSION_VERSION)) {
                let error = src.error(
                    &version.span(),
                    "version",
                    format!(
                        "this earmix reads session files of version {SESSION_VERSION} only \
                         (supported versions: {SESSION_VERSION})"
                    ),
                );
                return Err(error.into());
            }
        }
    }

    let (raw, unreadable) = raw::read(&src, root.get_ref());
    errors.extend(unreadable);
    match validate(&src, &raw, probe) {
        Ok(session) if errors.is_empty() => Ok(session),
        Ok(_) => {
            errors.sort_by_key(|e| (e.line, e.column));
            Err(SessionErrors(errors))
        }
        Err(more) => {
            errors.extend(more);
            errors.sort_by_key(|e| (e.line, e.column));
            Err(SessionErrors(errors))
        }
    }
}

/// Turns a TOML syntax error, or a value of the wrong type, into a located [`SessionError`] in
/// the house format.
pub(crate) fn serde_error(src: &Source<'_>, error: &toml::de::Error) -> SessionError {
    let message = error.message();
    let span = error.span().unwrap_or(0..0);
    let doc = toml_edit::Document::parse(src.text()).ok();
    let key = doc
        .as_ref()
        .and_then(|doc| key_path_at(doc, span.start))
        .unwrap_or_else(|| key_path_by_text(src.text(), span.start));

    if doc.is_none() {
        return src.error_at(span.start, key, format!("not valid TOML: {message}"));
    }
    if let Some((found, expected)) = message
        .strip_prefix("invalid type: ")
        .and_then(|m| m.split_once(", expected "))
    {
        let last_key = key.rsplit('.').next().unwrap_or(&key);
        let expected = match expected {
            "a sequence" if last_key == "mute" => {
                "a list of channel names, like mute = [\"Bass\", \"Keys\"]".to_string()
            }
            "a sequence" if last_key == "members" => {
                "a list of channel names, like members = [\"Kick\", \"Snare\"]".to_string()
            }
            "a sequence" => format!(
                "an array of tables, written [[{}]] (double brackets) before each one",
                last_key.split('[').next().unwrap_or(last_key)
            ),
            "a boolean" => "true or false".to_string(),
            "a string" => "a string in quotes".to_string(),
            e if e.starts_with("struct Raw") => "a table".to_string(),
            e => e.to_string(),
        };
        let found_kind = found.split(' ').next().unwrap_or(found);
        let found_text = match found_kind {
            "string" => "text",
            "integer" | "floating" => "a number",
            "boolean" => "true/false",
            "map" => "a table",
            "sequence" => "an array",
            other => other,
        };
        let message = format!("expected {expected}, not {found_text}");
        return if found_kind == "map" {
            src.error_at(span.start, key, message)
        } else {
            src.error(&span, key, message)
        };
    }
    src.error(&span, key, message)
}

/// The error for a file (a session, settings or keymap file) that stops being UTF-8 text: at
/// the line and column of the first byte that is not.
pub(crate) fn not_text(path: &Path, error: crate::text::NotUtf8) -> SessionError {
    SessionError {
        file: path.to_path_buf(),
        line: error.line,
        column: error.column,
        key: String::new(),
        value: None,
        message: error.to_string(),
    }
}

/// Saves a session to `session.path` atomically, keeping the existing file's comments and
/// layout (see [`update_toml_string`]); a new file gets a fresh layout ([`to_toml_string`]).
///
/// The file on disk is either the old one or the new one, never half-written; on failure it is
/// untouched and no temporary file is left behind. When nothing changed, nothing is written.
/// Not realtime-safe (file I/O).
pub fn save(session: &Session) -> Result<(), SaveError> {
    let path = &session.path;
    let text = match fs::read_to_string(path) {
        Ok(existing) => {
            let updated = update_toml_string(&existing, session).map_err(|e| {
                let (line, column) =
                    Source::new(path, &existing).line_column(e.span().map_or(0, |s| s.start));
                SaveError::NotToml {
                    path: path.clone(),
                    line,
                    column,
                    message: e.message().to_string(),
                }
            })?;
            if updated == existing {
                return Ok(());
            }
            updated
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => to_toml_string(session),
        Err(error) => {
            return Err(SaveError::Read {
                path: path.clone(),
                error,
            });
        }
    };
    write_atomically(path, text.as_bytes())
}

/// Replaces `path` with `contents` atomically: writes a temporary file in the same folder,
/// flushes it to disk, renames it over `path` and flushes the folder. An existing file's
/// permissions are kept, and a symbolic link is followed (the link stays a link). On failure
/// `path` is untouched and the temporary file is removed.
///
/// Not realtime-safe (file I/O).
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), SaveError> {
    let failed = |action: &'static str| {
        move |error: io::Error| SaveError::Write {
            path: path.to_path_buf(),
            action,
            error,
        }
    };
    // Replace what a symbolic link points to, not the link.
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let target = if is_link {
        fs::canonicalize(path).map_err(failed("following the symbolic link"))?
    } else {
        path.to_path_buf()
    };
    let path = target.as_path();
    let dir = folder_of(path);
    let name = path
        .file_name()
        .map_or_else(|| "session".into(), |n| n.to_string_lossy());
    // Dropping `tmp` on any early return deletes the temporary file.
    let mut tmp = user_temp_file(dir, &format!(".{name}."), ".tmp")
        .map_err(failed("creating a temporary file beside it"))?;
    tmp.write_all(contents)
        .map_err(failed("writing the temporary file"))?;
    tmp.flush().map_err(failed("writing the temporary file"))?;
    // A new file keeps the mode it was created with (what the user's umask gives).
    if let Ok(metadata) = fs::metadata(path) {
        tmp.as_file()
            .set_permissions(metadata.permissions())
            .map_err(failed("copying the file's permissions"))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(failed("flushing the temporary file to disk"))?;
    tmp.persist(path)
        .map_err(|e| failed("renaming the temporary file over it")(e.error))?;
    sync_dir(dir).map_err(failed("flushing the folder to disk"))
}

/// A temporary file in `dir` that becomes a file of the user's (a session, a bounce, a demo
/// stem) once renamed: created with the mode the user's umask gives any new file (0666 less the
/// umask, e.g. 0644), not the private 0600 temporary files usually get. Removed when dropped.
///
/// Not realtime-safe (file I/O).
pub fn user_temp_file(
    dir: &Path,
    prefix: &str,
    suffix: &str,
) -> io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // The kernel takes the umask off the mode a file is created with.
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// The folder holding `path` (`.` for a bare file name).
pub(crate) fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Makes a new entry or a rename in the folder `dir` durable (the session file, the crash
/// journal, the progress history).
#[cfg(unix)]
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::streams::{StemInfo, StreamError};

    fn fake_probe(path: &Path) -> Result<StemInfo, StreamError> {
        if path.to_string_lossy().contains("missing") {
            return Err(StreamError::Open {
                path: path.into(),
                reason: "no such file".into(),
            });
        }
        Ok(StemInfo {
            format: "WAV".into(),
            channels: 1,
            sample_rate: 48_000,
            frames: 480_000,
        })
    }

    fn load_text(text: &str) -> Result<Session, SessionErrors> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        fs::write(&path, text).unwrap();
        load_with(&path, &mut fake_probe)
    }

    fn one_error(text: &str) -> String {
        let errors = load_text(text).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors}");
        let line = errors.to_string();
        // Drop the temporary folder from the front.
        line.split_once("s.toml").unwrap().1.to_string()
    }

    /// Serde's unknown-field message becomes "unknown key 'x' in [[channel]]; allowed: ...".
    #[test]
    fn unknown_keys_name_their_table_and_the_allowed_keys() {
        let text = "version = 1\nname = \"S\"\n[[channel]]\nname = \"A\"\nfile = \"a.wav\"\n\
                    [[channel]]\nname = \"B\"\ncolour = \"red\"\nfile = \"b.wav\"\n";
        assert_eq!(
            one_error(text),
            ":8:1: channel[2].colour: unknown key 'colour' in [[channel]]; allowed: name, file, \
             role, trim_db, gain_db, pan, mute, solo, start"
        );
        assert_eq!(
            one_error(
                "version = 1\nname = \"S\"\nbpm = 120\n[[channel]]\nname = \"A\"\nfile = \"a.wav\"\n"
            ),
            ":3:1: bpm: unknown key 'bpm' in the top level; allowed: version, name, \
             sample_rate, tempo, meter, master_db, ramp_ms, tempo_change, channel, group, \
             section, ride, snapshot, reference"
        );
    }

    /// Wrong types say what was expected and what was found, quoting the value.
    #[test]
    fn wrong_types_say_what_was_expected() {
        let text = "version = 1\nname = \"S\"\n[[channel]]\nname = \"A\"\nfile = \"a.wav\"\n\
                    gain_db = \"loud\"\n";
        assert_eq!(
            one_error(text),
            ":6:11: channel[1].gain_db = \"loud\": expected a number, not text"
        );
        assert_eq!(
            one_error("version = 1\nname = \"S\"\n[channel]\nname = \"A\"\n"),
            ":3:1: channel: expected an array of tables, written [[channel]] (double brackets) \
             before each one, not a table"
        );
        let text = "version = 1\nname = \"S\"\n[[channel]]\nname = \"A\"\nfile = \"a.wav\"\n\
                    mute = 1\n";
        assert_eq!(
            one_error(text),
            ":6:8: channel[1].mute = 1: expected true or false, not a number"
        );
    }

    /// A section's `mute` is a list of names: other values say so, and so do non-names in it.
    #[test]
    fn section_mute_must_be_a_list_of_names() {
        let base = "version = 1\nname = \"S\"\n[[channel]]\nname = \"A\"\nfile = \"a.wav\"\n\
                    [[section]]\nname = \"V\"\nstart = 0\n";
        assert_eq!(
            one_error(&format!("{base}mute = true\n")),
            ":9:8: section[1].mute = true: expected a list of channel names, like mute = \
             [\"Bass\", \"Keys\"], not true/false"
        );
        assert_eq!(
            one_error(&format!("{base}mute = \"A\"\n")),
            ":9:8: section[1].mute = \"A\": expected a list of channel names, like mute = \
             [\"Bass\", \"Keys\"], not text"
        );
        assert_eq!(
            one_error(&format!("{base}mute = [\"A\", 2]\n")),
            ":9:14: section[1].mute[2] = 2: expected a string in quotes, not a number"
        );
        assert_eq!(
            one_error(&format!("{base}ramp_ms = \"fast\"\n")),
            ":9:11: section[1].ramp_ms = \"fast\": expected a number, not text"
        );
    }

    /// Broken TOML is reported at its line with the key on that line.
    #[test]
    fn syntax_errors_are_located() {
        let error = one_error("version = 1\n[[channel]]\nname = \n");
        assert!(
            error.starts_with(":3:8: channel[1].name: not valid TOML: "),
            "{error}"
        );
    }

    /// A missing version is reported together with the other problems; another version alone.
    #[test]
    fn version_is_required_and_must_be_1() {
        let errors =
            load_text("name = \"\"\n[[channel]]\nname = \"A\"\nfile = \"a.wav\"\n").unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["version", "name"]);
        let error = one_error("version = 2\nname = \"S\"\nfuture_key = 1\n");
        assert_eq!(
            error,
            ":1:11: version = 2: this earmix reads session files of version 1 only (supported \
             versions: 1)"
        );
    }

    /// A file that cannot be read is named in the error.
    #[test]
    fn unreadable_file_is_named() {
        let errors = load(Path::new("/nonexistent/earmix/s.toml")).unwrap_err();
        assert_eq!(errors.len(), 1);
        let text = errors.to_string();
        assert!(text.starts_with("/nonexistent/earmix/s.toml: cannot read the session file: "));
    }
}
