//! The role rules `earmix new` guesses channel roles with: `config/roles.toml` (built into the
//! binary), with the user's `roles.toml` in the XDG config directory tried first.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::names::words;
use crate::session::Role;

/// The shipped rules, documented for users to copy.
pub const DEFAULT_ROLES: &str = include_str!("../../config/roles.toml");

/// The role rules file version this earmix reads.
pub const ROLES_VERSION: i64 = 1;

/// What is wrong with a role rules file, naming the file (and, from the TOML parser, the line
/// and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RolesError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong, and where.
    pub message: String,
}

/// The role rules, in the order they are tried.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleRules {
    rules: Vec<Rule>,
}

/// One rule: a role and the names that give it.
#[derive(Debug, Clone, PartialEq)]
struct Rule {
    role: Role,
    /// Each name as its words; a word ending in `*` matches any word it begins.
    names: Vec<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    version: Option<i64>,
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    role: String,
    names: Vec<String>,
}

impl RoleRules {
    /// The shipped rules, `config/roles.toml`.
    pub fn builtin() -> RoleRules {
        // The shipped file is tested to load; it can only fail in a broken build.
        Self::parse(Path::new("config/roles.toml"), DEFAULT_ROLES).unwrap_or_else(|e| {
            tracing::error!("the built-in config/roles.toml is invalid: {e}");
            RoleRules { rules: Vec::new() }
        })
    }

    /// The user's rules (when `user_file` is given and exists) followed by the shipped ones.
    pub fn load(user_file: Option<&Path>) -> Result<RoleRules, RolesError> {
        let mut rules = Self::builtin();
        let Some(path) = user_file else {
            return Ok(rules);
        };
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(rules),
            Err(e) => {
                return Err(RolesError {
                    path: path.to_path_buf(),
                    message: format!("cannot read the role rules: {e}"),
                });
            }
        };
        let text = crate::text::decode(bytes).map_err(|e| RolesError {
            path: path.to_path_buf(),
            message: crate::session::file::not_text(path, e).to_string(),
        })?;
        let mut mine = Self::parse(path, &text)?;
        mine.rules.append(&mut rules.rules);
        Ok(mine)
    }

    /// The user's role rules file in the XDG config directory (`~/.config/earmix/roles.toml`).
    pub fn user_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "earmix").map(|d| d.config_dir().join("roles.toml"))
    }

    /// Reads one rules file.
    fn parse(path: &Path, text: &str) -> Result<RoleRules, RolesError> {
        let error = |message: String| RolesError {
            path: path.to_path_buf(),
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        if raw.version != Some(ROLES_VERSION) {
            return Err(error(format!(
                "a role rules file starts with `version = {ROLES_VERSION}`"
            )));
        }
        let mut rules = Vec::with_capacity(raw.rule.len());
        for (i, rule) in raw.rule.into_iter().enumerate() {
            let role = Role::parse(&rule.role).ok_or_else(|| {
                let words: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                error(format!(
                    "rule[{}].role = \"{}\": not a role; use one of {}",
                    i + 1,
                    rule.role,
                    words.join(", ")
                ))
            })?;
            let mut names = Vec::with_capacity(rule.names.len());
            for name in &rule.names {
                let pattern: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
                if pattern.is_empty() || pattern.iter().any(|w| w == "*") {
                    return Err(error(format!(
                        "rule[{}].names: \"{name}\" is not a name to match; write words, \
                         e.g. \"lead vox\" or \"gtr*\"",
                        i + 1
                    )));
                }
                names.push(pattern);
            }
            rules.push(Rule { role, names });
        }
        Ok(RoleRules { rules })
    }

    /// The role the first matching rule gives `name`, and the rule's name that matched; `None`
    /// when no rule matches.
    pub fn guess(&self, name: &str) -> Option<(Role, String)> {
        let words = words(name);
        self.rules.iter().find_map(|rule| {
            rule.names
                .iter()
                .find(|pattern| contains(&words, pattern))
                .map(|pattern| (rule.role, pattern.join(" ")))
        })
    }
}

/// Whether `pattern` appears as consecutive words of `words`.
fn contains(words: &[String], pattern: &[String]) -> bool {
    words.windows(pattern.len()).any(|run| {
        run.iter()
            .zip(pattern)
            .all(|(word, want)| match want.strip_suffix('*') {
                Some(prefix) => word.starts_with(prefix),
                None => word == want,
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped rules load and name only real roles; every role but `other` has a rule.
    #[test]
    fn builtin_rules_load_and_cover_the_roles() {
        let rules = RoleRules::parse(Path::new("config/roles.toml"), DEFAULT_ROLES).unwrap();
        for role in Role::ALL {
            let has = rules.rules.iter().any(|r| r.role == role);
            assert_eq!(has, role != Role::Other, "{}", role.as_str());
        }
    }

    /// Real-world stem names from studio sessions and DAW exports get the role an engineer
    /// would give them; names no rule knows get none (the caller writes `other`).
    #[test]
    #[allow(clippy::too_many_lines, reason = "one line per stem name")]
    fn studio_names_get_their_roles() {
        let rules = RoleRules::builtin();
        let cases: &[(&str, Option<Role>)] = &[
            ("Kick In", Some(Role::Kick)),
            ("Kick Out", Some(Role::Kick)),
            ("Kik", Some(Role::Kick)),
            ("BD", Some(Role::Kick)),
            ("Bass Drum", Some(Role::Kick)),
            ("Sub Kick", Some(Role::Kick)),
            ("Sn Top", Some(Role::Snare)),
            ("Sn Bottom", Some(Role::Snare)),
            ("SnareBot", Some(Role::Snare)),
            ("Snr", Some(Role::Snare)),
            ("OH", Some(Role::Drums)),
            ("Overheads", Some(Role::Drums)),
            ("Tom 1", Some(Role::Drums)),
            ("Floor Tom", Some(Role::Drums)),
            ("Hat", Some(Role::Drums)),
            ("HiHat", Some(Role::Drums)),
            ("Hi-Hat", Some(Role::Drums)),
            ("HH", Some(Role::Drums)),
            ("Ride", Some(Role::Drums)),
            ("Drums", Some(Role::Drums)),
            ("Drum Bus", Some(Role::Drums)),
            ("Room", Some(Role::Room)),
            ("Drum Room", Some(Role::Room)),
            ("Rooms", Some(Role::Room)),
            ("Amb", Some(Role::Room)),
            ("Shaker", Some(Role::Percussion)),
            ("Tamb", Some(Role::Percussion)),
            ("Congas", Some(Role::Percussion)),
            ("Claps", Some(Role::Percussion)),
            ("Perc Loop", Some(Role::Percussion)),
            ("Bass DI", Some(Role::Bass)),
            ("Bass Amp", Some(Role::Bass)),
            ("Bass", Some(Role::Bass)),
            ("Synth Bass", Some(Role::Bass)),
            ("Sub", Some(Role::Bass)),
            ("808", Some(Role::Bass)),
            ("Upright Bass", Some(Role::Bass)),
            ("Gtr", Some(Role::Guitar)),
            ("Gtrs", Some(Role::Guitar)),
            ("Ac Gtr", Some(Role::Guitar)),
            ("Electric Guitar L", Some(Role::Guitar)),
            ("Lead Gtr", Some(Role::Guitar)),
            ("AG", Some(Role::Guitar)),
            ("Banjo", Some(Role::Guitar)),
            ("Keys", Some(Role::Keys)),
            ("Organ", Some(Role::Keys)),
            ("Hammond B3", Some(Role::Keys)),
            ("Rhodes", Some(Role::Keys)),
            ("Wurlitzer", Some(Role::Keys)),
            ("E Piano", Some(Role::Keys)),
            ("EP", Some(Role::Keys)),
            ("Clav", Some(Role::Keys)),
            ("Piano", Some(Role::Piano)),
            ("Grand Piano", Some(Role::Piano)),
            ("Pno", Some(Role::Piano)),
            ("Synth", Some(Role::Synth)),
            ("Lead Synth", Some(Role::Synth)),
            ("Arp", Some(Role::Synth)),
            ("Synth Pad", Some(Role::Pad)),
            ("Pad", Some(Role::Pad)),
            ("Pads", Some(Role::Pad)),
            ("Strings", Some(Role::Strings)),
            ("Violin 1", Some(Role::Strings)),
            ("Cello", Some(Role::Strings)),
            ("Str", Some(Role::Strings)),
            ("Brass", Some(Role::Brass)),
            ("Horns", Some(Role::Brass)),
            ("Trumpet", Some(Role::Brass)),
            ("Trombone", Some(Role::Brass)),
            ("Sax", Some(Role::Woodwind)),
            ("Tenor Sax", Some(Role::Woodwind)),
            ("Flute", Some(Role::Woodwind)),
            ("Clarinet", Some(Role::Woodwind)),
            ("Bassoon", Some(Role::Woodwind)),
            ("Lead Vox", Some(Role::LeadVocal)),
            ("LeadVox", Some(Role::LeadVocal)),
            ("Ld Vox", Some(Role::LeadVocal)),
            ("Lead Vocal", Some(Role::LeadVocal)),
            ("Main Vocal", Some(Role::LeadVocal)),
            ("LV", Some(Role::LeadVocal)),
            ("BV", Some(Role::BackingVocal)),
            ("BVs", Some(Role::BackingVocal)),
            ("BGVs", Some(Role::BackingVocal)),
            ("Backing Vocals", Some(Role::BackingVocal)),
            ("Harmony", Some(Role::BackingVocal)),
            ("Choir", Some(Role::BackingVocal)),
            ("Vox", Some(Role::Vocal)),
            ("Vox2", Some(Role::Vocal)),
            ("Vocals", Some(Role::Vocal)),
            ("Voice", Some(Role::Vocal)),
            ("FX", Some(Role::Fx)),
            ("SFX", Some(Role::Fx)),
            ("Riser", Some(Role::Fx)),
            ("Reverse FX", Some(Role::Fx)),
            ("Verb Return", Some(Role::Fx)),
            ("Click", None),
            ("Guide", None),
            ("Track 7", None),
            ("Audio 1", None),
        ];
        let mut wrong = Vec::new();
        for &(name, want) in cases {
            let got = rules.guess(name).map(|(role, _)| role);
            if got != want {
                wrong.push(format!("{name}: {got:?}, want {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        assert_eq!(rules.guess("Sn Top"), Some((Role::Snare, "sn".to_string())));
    }

    /// A user's rules are tried before the shipped ones; a missing file is the shipped set; a
    /// bad role or version is an error naming the file and the rule.
    #[test]
    fn user_rules_come_first_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roles.toml");
        std::fs::write(
            &path,
            "version = 1\n[[rule]]\nrole = \"lead_vocal\"\nnames = [\"anna\", \"vox\"]\n",
        )
        .unwrap();
        let rules = RoleRules::load(Some(&path)).unwrap();
        assert_eq!(rules.guess("Anna 2").map(|g| g.0), Some(Role::LeadVocal));
        assert_eq!(rules.guess("Vox").map(|g| g.0), Some(Role::LeadVocal));
        assert_eq!(rules.guess("Kick").map(|g| g.0), Some(Role::Kick));
        let missing = RoleRules::load(Some(&dir.path().join("absent.toml"))).unwrap();
        assert_eq!(missing, RoleRules::builtin());

        std::fs::write(
            &path,
            "version = 1\n[[rule]]\nrole = \"vocalz\"\nnames = [\"x\"]\n",
        )
        .unwrap();
        let error = RoleRules::load(Some(&path)).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!(
                "{}: rule[1].role = \"vocalz\": not a role",
                path.display()
            )),
            "{error}"
        );
        std::fs::write(&path, "[[rule]]\nrole = \"kick\"\nnames = [\"x\"]\n").unwrap();
        let error = RoleRules::load(Some(&path)).unwrap_err().to_string();
        assert!(error.contains("version = 1"), "{error}");
        std::fs::write(
            &path,
            "version = 1\n[[rule]]\nrole = \"kick\"\nname = [\"x\"]\n",
        )
        .unwrap();
        let error = RoleRules::load(Some(&path)).unwrap_err().to_string();
        assert!(error.contains("line 4"), "{error}");
    }
}
