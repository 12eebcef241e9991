//! The "textbook" peak level of each channel role, which the Blindfold Balance Test's reveal
//! compares a balance with: `config/targets.toml` (built into the binary) overlaid by the
//! user's `targets.toml` in the XDG config directory. A role the user lists replaces that
//! role's value; every other role keeps the built-in one. Unknown roles and keys, wrong types,
//! values outside -60..=0 dBFS and a wrong version are errors naming the file, line, column, key
//! and value, all reported at once.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml_edit::{Item, TableLike};

use crate::session::locate::{Source, join_key, key_path_by_text};
use crate::session::{Role, SessionError, SessionErrors};
use crate::units::Decibels;

/// The shipped targets, documented for users to copy.
pub const DEFAULT_TARGETS: &str = include_str!("../../config/targets.toml");

/// The targets file version this earmix reads.
pub const TARGETS_VERSION: i64 = 1;

/// The lowest peak target a file may give, in dBFS.
pub const MIN_PEAK_DBFS: f64 = -60.0;

/// The highest peak target a file may give, in dBFS (full scale).
pub const MAX_PEAK_DBFS: f64 = 0.0;

/// The one key a role's table has.
const PEAK_KEY: &str = "peak_dbfs";

/// Every problem found in a targets file, in file order, one per line
/// (`file:line:col: key = value: message`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetsError(pub SessionErrors);

impl TargetsError {
    /// The problems, in file order.
    pub fn problems(&self) -> &[SessionError] {
        &self.0.0
    }
}

/// The peak level each role aims for.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// One entry per role, in [`Role::ALL`] order.
    peaks: [(Role, Decibels); Role::ALL.len()],
}

impl Targets {
    /// The peak target of a role, in dBFS; a channel with no role uses the `other` entry.
    pub fn peak_dbfs(&self, role: Option<Role>) -> Decibels {
        let role = role.unwrap_or(Role::Other);
        self.peaks
            .iter()
            .find(|(r, _)| *r == role)
            .map_or(Decibels(FALLBACK_PEAK_DBFS), |(_, peak)| *peak)
    }

    /// The shipped targets, `config/targets.toml`.
    pub fn builtin() -> Targets {
        let mut targets = Self::fallback();
        // The shipped file is tested to load and to list every role; it can only fail in a
        // broken build.
        if let Err(errors) = targets.overlay(Path::new("config/targets.toml"), DEFAULT_TARGETS) {
            tracing::error!("the built-in config/targets.toml is invalid: {errors:?}");
        }
        targets
    }

    /// The shipped targets overlaid by the user's file, if one is given. A file that does not
    /// exist is not an error: the shipped targets alone are the usual case. On any error in the
    /// user's file, every problem in it is reported.
    pub fn load(user_file: Option<&Path>) -> Result<Targets, TargetsError> {
        let mut targets = Self::builtin();
        let Some(path) = user_file else {
            return Ok(targets);
        };
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(targets),
            Err(e) => {
                return Err(TargetsError(SessionErrors(vec![SessionError::whole_file(
                    path,
                    format!("cannot read the targets file: {e}"),
                )])));
            }
        };
        let text = crate::text::decode(bytes).map_err(|e| {
            TargetsError(SessionErrors(vec![crate::session::file::not_text(path, e)]))
        })?;
        targets
            .overlay(path, &text)
            .map_err(|errors| TargetsError(SessionErrors(errors)))?;
        Ok(targets)
    }

    /// The user's targets file in the XDG config directory (`~/.config/earmix/targets.toml`).
    pub fn user_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "earmix")
            .map(|d| d.config_dir().join("targets.toml"))
    }

    /// Every role at [`FALLBACK_PEAK_DBFS`], before the shipped file is read.
    fn fallback() -> Self {
        Self {
            peaks: Role::ALL.map(|role| (role, Decibels(FALLBACK_PEAK_DBFS))),
        }
    }

    /// Applies the roles one targets file lists over the current values and returns those
    /// roles, in file order. On any error nothing changes.
    fn overlay(&mut self, path: &Path, text: &str) -> Result<Vec<Role>, Vec<SessionError>> {
        let src = Source::new(path, text);
        let doc = toml_edit::Document::parse(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            vec![src.error_at(
                offset,
                key_path_by_text(text, offset),
                e.message().to_string(),
            )]
        })?;
        let table = doc.as_table();
        let mut errors = Vec::new();
        let mut version_seen = false;
        let mut entries: Vec<(Role, Decibels)> = Vec::new();
        for (name, item) in table {
            let key_start = table
                .key(name)
                .and_then(toml_edit::Key::span)
                .map_or(0, |s| s.start);
            if name == "version" {
                version_seen = true;
                if item.as_integer() != Some(TARGETS_VERSION) {
                    let span = item.span().unwrap_or(key_start..key_start);
                    errors.push(src.error(
                        &span,
                        "version",
                        format!(
                            "this earmix reads targets files of version {TARGETS_VERSION} only"
                        ),
                    ));
                }
                continue;
            }
            let Some(role) = Role::parse(name) else {
                let mut error = src.error_at(key_start, join_key("", name), unknown_role(name));
                error.value = value_text(&src, item);
                errors.push(error);
                continue;
            };
            match peak_of(&src, name, item, key_start) {
                Ok(peak) => entries.push((role, peak)),
                Err(mut bad) => errors.append(&mut bad),
            }
        }
        if !version_seen {
            errors.push(src.error_at(
                0,
                "version",
                format!("missing: a targets file starts with `version = {TARGETS_VERSION}`"),
            ));
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| (e.line, e.column));
            return Err(errors);
        }
        for (role, peak) in &entries {
            if let Some(entry) = self.peaks.iter_mut().find(|(r, _)| r == role) {
                entry.1 = *peak;
            }
        }
        Ok(entries.into_iter().map(|(role, _)| role).collect())
    }
}

/// The value every role has if the shipped file could not be read (a broken build only).
const FALLBACK_PEAK_DBFS: f64 = -18.0;

/// The peak of one role's table (`[vocal]` with `peak_dbfs = -6.0`).
fn peak_of(
    src: &Source<'_>,
    name: &str,
    item: &Item,
    key_start: usize,
) -> Result<Decibels, Vec<SessionError>> {
    let path = join_key("", name);
    let Some(table) = item.as_table_like() else {
        let mut error = src.error_at(
            key_start,
            path,
            format!("a role is a table: [{name}] followed by `{PEAK_KEY} = -18.0`"),
        );
        error.value = value_text(src, item);
        return Err(vec![error]);
    };
    let mut errors = Vec::new();
    let mut peak = None;
    for (key, value) in table.iter() {
        let key_span = table_key_span(table, key).unwrap_or(key_start..key_start);
        let value_span = value.span().unwrap_or_else(|| key_span.clone());
        let key_path = join_key(&path, key);
        if key != PEAK_KEY {
            let mut error = src.error_at(
                key_span.start,
                key_path,
                format!("a role has one key, `{PEAK_KEY}`; `{key}` is not one"),
            );
            error.value = value_text(src, value);
            errors.push(error);
            continue;
        }
        let number = value
            .as_float()
            .or_else(|| value.as_integer().map(|i| i as f64));
        match number {
            Some(db) if (MIN_PEAK_DBFS..=MAX_PEAK_DBFS).contains(&db) => peak = Some(Decibels(db)),
            Some(_) => errors.push(src.error(
                &value_span,
                key_path,
                format!(
                    "a peak target is from {MIN_PEAK_DBFS:.0} to {MAX_PEAK_DBFS:.0} dBFS, \
                     e.g. {PEAK_KEY} = -18.0"
                ),
            )),
            None => errors.push(src.error(
                &value_span,
                key_path,
                format!("a peak target is a number of dBFS, e.g. {PEAK_KEY} = -18.0"),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    peak.ok_or_else(|| {
        vec![src.error_at(
            key_start,
            join_key(&path, PEAK_KEY),
            format!("missing: a role's table gives its `{PEAK_KEY}`, e.g. {PEAK_KEY} = -18.0"),
        )]
    })
}

/// Where a key of a table is written.
fn table_key_span(table: &dyn TableLike, key: &str) -> Option<Range<usize>> {
    table.key(key).and_then(toml_edit::Key::span)
}

/// The value as written, for an error; none for a table given by a `[header]`, whose key
/// already says what it is.
fn value_text(src: &Source<'_>, item: &Item) -> Option<String> {
    match item {
        Item::Value(value) => value.span().map(|span| src.snippet(&span)),
        _ => None,
    }
}

/// What to say about a table name that is not a role.
fn unknown_role(name: &str) -> String {
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    format!(
        "there is no role `{name}`; the roles are {}",
        roles.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// Loads `text` as a user file named targets.toml and returns the error lines.
    fn user(text: &str) -> Result<Targets, Vec<String>> {
        let mut targets = Targets::builtin();
        targets
            .overlay(Path::new("targets.toml"), text)
            .map(|_| targets)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect())
    }

    /// The shipped file parses and lists every role, with the values its comments document.
    #[test]
    fn builtin_file_parses_and_covers_every_role() {
        let mut targets = Targets::fallback();
        let listed = targets
            .overlay(Path::new("config/targets.toml"), DEFAULT_TARGETS)
            .unwrap();
        for role in Role::ALL {
            assert!(listed.contains(&role), "{} is missing", role.as_str());
        }
        assert_eq!(listed.len(), Role::ALL.len());
        assert_eq!(targets, Targets::builtin());
        let peak = |role| targets.peak_dbfs(Some(role)).0;
        assert_eq!(peak(Role::Kick), -18.0);
        assert_eq!(peak(Role::Snare), -12.0);
        assert_eq!(peak(Role::Vocal), -6.0);
        assert_eq!(peak(Role::Guitar), -15.0);
        assert_eq!(peak(Role::Drums), -10.0);
        assert_eq!(peak(Role::Bass), -15.0);
        assert_eq!(peak(Role::Keys), -18.0);
        assert_eq!(peak(Role::Pad), -20.0);
        assert_eq!(peak(Role::Fx), -20.0);
        assert_eq!(peak(Role::Other), -18.0);
        assert_eq!(peak(Role::Room), -20.0);
        assert_eq!(peak(Role::Percussion), -18.0);
        assert_eq!(peak(Role::Piano), -15.0);
        assert_eq!(peak(Role::Synth), -18.0);
        assert_eq!(peak(Role::Strings), -18.0);
        assert_eq!(peak(Role::Brass), -15.0);
        assert_eq!(peak(Role::Woodwind), -18.0);
        assert_eq!(peak(Role::LeadVocal), -6.0);
        assert_eq!(peak(Role::BackingVocal), -12.0);
    }

    /// A channel with no role gets the `other` target.
    #[test]
    fn no_role_uses_other() {
        let targets = user("version = 1\n[other]\npeak_dbfs = -33\n").unwrap();
        assert_eq!(targets.peak_dbfs(None), Decibels(-33.0));
        assert_eq!(targets.peak_dbfs(Some(Role::Other)), Decibels(-33.0));
    }

    /// A user file changes only the roles it lists; a missing file or none is the shipped set.
    #[test]
    fn user_file_overlays_only_its_roles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("targets.toml");
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(b"version = 1\nbass.peak_dbfs = -14\n[vocal]\npeak_dbfs = -8.5\n")
            .unwrap();
        let targets = Targets::load(Some(&path)).unwrap();
        let builtin = Targets::builtin();
        for role in Role::ALL {
            let expected = match role {
                Role::Vocal => Decibels(-8.5),
                Role::Bass => Decibels(-14.0),
                _ => builtin.peak_dbfs(Some(role)),
            };
            assert_eq!(targets.peak_dbfs(Some(role)), expected, "{}", role.as_str());
        }
        let missing = Targets::load(Some(&dir.path().join("absent.toml"))).unwrap();
        assert_eq!(missing, builtin);
        assert_eq!(Targets::load(None).unwrap(), builtin);
    }

    /// A file that cannot be read (here a directory) is an error naming the file.
    #[test]
    fn unreadable_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = Targets::load(Some(dir.path())).unwrap_err();
        assert_eq!(error.problems().len(), 1);
        assert!(
            error.to_string().contains("cannot read the targets file"),
            "{error}"
        );
    }

    /// An unknown role names the file, line, column and role, and lists the roles.
    #[test]
    fn unknown_role_is_an_error() {
        let errors = user("version = 1\n[kik]\npeak_dbfs = -18.0\n").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("targets.toml:2:2: kik: there is no role `kik`; the roles are kick"),
            "{errors:?}"
        );
        let errors = user("version = 1\nlead = -6\n").unwrap_err();
        assert!(
            errors[0].contains("targets.toml:2:1: lead = -6: there is no role `lead`"),
            "{errors:?}"
        );
    }

    /// Values of the wrong type are errors naming the key and value.
    #[test]
    fn wrong_type_is_an_error() {
        let errors = user("version = 1\n[kick]\npeak_dbfs = \"loud\"\n").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains(
                "targets.toml:3:13: kick.peak_dbfs = \"loud\": a peak target is a number of dBFS"
            ),
            "{errors:?}"
        );
        let errors = user("version = 1\nsnare = -12.0\n").unwrap_err();
        assert!(
            errors[0].contains("targets.toml:2:1: snare = -12.0: a role is a table"),
            "{errors:?}"
        );
    }

    /// Values outside -60..=0 dBFS (and nan) are errors; the ends themselves are allowed.
    #[test]
    fn out_of_range_is_an_error() {
        let errors = user(
            "version = 1\n[kick]\npeak_dbfs = 3.0\n[snare]\npeak_dbfs = -61\n[pad]\npeak_dbfs = nan\n",
        )
        .unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors[0].contains(
                "targets.toml:3:13: kick.peak_dbfs = 3.0: a peak target is from -60 to 0 dBFS"
            ),
            "{errors:?}"
        );
        assert!(
            errors[1].contains(":5:13: snare.peak_dbfs = -61: "),
            "{errors:?}"
        );
        assert!(
            errors[2].contains(":7:13: pad.peak_dbfs = nan: "),
            "{errors:?}"
        );
        let ends = user("version = 1\n[kick]\npeak_dbfs = 0\n[pad]\npeak_dbfs = -60.0\n").unwrap();
        assert_eq!(ends.peak_dbfs(Some(Role::Kick)), Decibels(0.0));
        assert_eq!(ends.peak_dbfs(Some(Role::Pad)), Decibels(-60.0));
    }

    /// A wrong or missing version is an error.
    #[test]
    fn wrong_version_is_an_error() {
        let errors = user("version = 2\n").unwrap_err();
        assert!(
            errors[0].contains(
                "targets.toml:1:11: version = 2: this earmix reads targets files of version 1"
            ),
            "{errors:?}"
        );
        let errors = user("[kick]\npeak_dbfs = -18.0\n").unwrap_err();
        assert!(errors[0].contains("version: missing"), "{errors:?}");
    }

    /// An unknown key in a role's table is an error (a misspelt `peak_dbfs` is reported once,
    /// as unknown); a role's table with no `peak_dbfs` is an error too.
    #[test]
    fn unknown_or_missing_key_is_an_error() {
        let errors = user("version = 1\n[kick]\npeak_db = -18.0\n").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains(
                "targets.toml:3:1: kick.peak_db = -18.0: a role has one key, `peak_dbfs`"
            ),
            "{errors:?}"
        );
        let errors = user("version = 1\n[kick]\n[snare]\npeak_dbfs = -12.0\n").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("targets.toml:2:2: kick.peak_dbfs: missing"),
            "{errors:?}"
        );
    }

    /// Every problem in a file is reported at once, in file order, and nothing changes.
    #[test]
    fn all_errors_are_reported_at_once() {
        let mut targets = Targets::builtin();
        let errors = targets
            .overlay(
                Path::new("targets.toml"),
                "version = 3\n[vocal]\npeak_dbfs = -3\n[kik]\npeak_dbfs = 1\n[snare]\n\
                 peak_dbfs = true\nloud = 1\n",
            )
            .unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 4, 7, 8], "{errors:?}");
        assert_eq!(targets, Targets::builtin());
        let error = TargetsError(SessionErrors(errors));
        assert!(
            error.to_string().ends_with("4 problems in targets.toml"),
            "{error}"
        );
    }

    /// A file that is not TOML is an error at the place it goes wrong.
    #[test]
    fn invalid_toml_is_an_error() {
        let errors = user("version = 1\n[kick]\npeak_dbfs = = -1\n").unwrap_err();
        assert!(errors[0].contains("targets.toml:3:"), "{errors:?}");
        assert!(errors[0].contains("kick.peak_dbfs"), "{errors:?}");
    }
}
