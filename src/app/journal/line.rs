//! One line of the crash journal (UI thread): an edit, or the header naming the session file,
//! written as one TOML inline table and read back exactly (see [`super`] for the format).

use std::fmt::Write as _;
use std::path::Path;

use toml_edit::{InlineTable, Value};

use super::Fingerprint;

mod snapshot;
use crate::app::edit::MixEdit;
use crate::session::Section;
use crate::session::automation::RidePoint;
use crate::units::{Decibels, Pan, Seconds};

/// The journal format this build writes and reads.
const FORMAT_VERSION: i64 = 1;

/// The whole edit at the end of a damaged line, if one starts after its beginning.
pub(super) fn salvage(text: &str) -> Option<MixEdit> {
    text.match_indices("{ edit = ")
        .filter(|&(at, _)| at > 0)
        .find_map(|(at, _)| parse_edit(&text[at..]).ok())
}

/// A journal's first line, parsed.
pub(super) struct Header {
    /// The session file's path as the journal recorded it.
    pub session: String,
    /// The session file as it was when the journal began; `None`: it did not exist.
    pub base: Option<Fingerprint>,
}

/// The header line (without the newline) of a journal begun against `session_path` as it was
/// then (`base`).
pub(super) fn header_line(session_path: &Path, base: Option<Fingerprint>) -> String {
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

/// Reads a header line.
pub(super) fn parse_header(line: &str) -> Result<Header, String> {
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
pub(super) fn edit_line(edit: &MixEdit) -> String {
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
        MixEdit::Snapshots { snapshots } => return snapshot::snapshots_line(snapshots),
        MixEdit::Ride { channel: c, points } => {
            let mut line = format!("{{ edit = \"ride\", channel = {}", toml_string(c));
            if let Some(points) = points {
                let pairs: Vec<String> = points
                    .iter()
                    .map(|p| format!("[{}, {}]", float(p.at.0), float(p.db.0)))
                    .collect();
                let _ = write!(line, ", points = [{}]", pairs.join(", "));
            }
            line.push_str(" }");
            return line;
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

/// Reads a ride's points: `[[time, dB], ...]`.
fn parse_points(value: &Value) -> Result<Vec<RidePoint>, String> {
    const SHAPE: &str = "'points' must be a list of [time, dB] pairs";
    value
        .as_array()
        .ok_or(SHAPE)?
        .iter()
        .map(|pair| {
            let pair = pair.as_array().filter(|p| p.len() == 2).ok_or(SHAPE)?;
            match (pair.get(0).and_then(number), pair.get(1).and_then(number)) {
                (Some(at), Some(db)) => Ok(RidePoint::new(at, db)),
                _ => Err(SHAPE.to_string()),
            }
        })
        .collect()
}

/// A TOML integer or float as `f64`.
fn number(value: &Value) -> Option<f64> {
    value
        .as_float()
        .or_else(|| value.as_integer().map(|n| n as f64))
}

/// Reads one edit line.
pub(super) fn parse_edit(line: &str) -> Result<MixEdit, String> {
    let table = parse_table(
        line,
        &[
            "edit",
            "section",
            "channel",
            "db",
            "pan",
            "on",
            "sections",
            "points",
            "snapshots",
        ],
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
        "ride" => MixEdit::Ride {
            channel: channel()?,
            points: table.get("points").map(parse_points).transpose()?,
        },
        "snapshots" => MixEdit::Snapshots {
            snapshots: snapshot::parse_snapshots(table.get("snapshots"))?,
        },
        other => {
            return Err(format!(
                "unknown edit '{other}'; known: trim, fader, pan, mute, solo, master, \
                 scene-fader, scene-mute, sections, ride, snapshots"
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::journal::tests::{every_kind, section};

    /// Every kind of edit, with awkward names and values, is written as one line of the format
    /// and reads back exactly, bit for bit.
    #[test]
    fn every_edit_reads_back_exactly() {
        for edit in every_kind() {
            let line = edit_line(&edit);
            assert!(!line.contains('\n'), "{line}");
            assert_eq!(parse_edit(&line), Ok(edit.clone()), "{line}");
        }
        let lines: Vec<String> = every_kind().iter().map(edit_line).collect();
        for line in [
            "{ edit = \"fader\", channel = \"Bass\", db = -4.5 }",
            "{ edit = \"scene-fader\", section = \"Chorus 1\", channel = \"Bass\", db = -3.0 }",
            "{ edit = \"scene-fader\", section = \"Chorus \\\"1\\\"\", channel = \"Lead vox\" }",
            "{ edit = \"scene-mute\", section = \"Verse 1\", channel = \"Snare\", on = true }",
            "{ edit = \"sections\", sections = [{ name = \"Intro\", start = 0.0 }, { name = \
             \"Verse \\\"1\\\"\\n\", start = 10.333333333333334, gain_db = { Bass = -3.0, \
             \"Lead vox\" = -inf, \"Gtr \\\"L\\\"\" = 0.30000000000000004 }, mute = [\"Keys\", \
             \"Lead vox\"], ramp_ms = 300 }, { name = \"Outro\", start = 60.0, ramp_ms = 0 }] }",
            "{ edit = \"sections\", sections = [] }",
            "{ edit = \"ride\", channel = \"Bass\", points = [[12.0, 0.0], [14.5, 2.25]] }",
            "{ edit = \"ride\", channel = \"Keys\" }",
        ] {
            assert!(
                lines.iter().any(|l| l == line),
                "{line} not in:\n{lines:#?}"
            );
        }
        // -0.0 == 0.0, so check the sign survived separately.
        let master = parse_edit(&edit_line(&MixEdit::Master { db: Decibels(-0.0) }));
        assert!(matches!(master, Ok(MixEdit::Master { db }) if db.0.is_sign_negative()));
    }

    /// A section with a key earmix does not write makes its line unreadable, and says which
    /// key.
    #[test]
    fn a_section_with_an_unknown_key_is_refused() {
        let line =
            "{ edit = \"sections\", sections = [{ name = \"A\", start = 0.0, tempo = 96 }] }";
        assert_eq!(
            parse_edit(line),
            Err("unknown key 'tempo' in a section".to_string())
        );
        let mut valid = section("A", 0.0);
        valid.ramp_ms = Some(96);
        let line = line.replace("tempo", "ramp_ms");
        assert_eq!(
            parse_edit(&line),
            Ok(MixEdit::Sections {
                sections: vec![valid]
            })
        );
    }

    /// A header reads back as the session path and fingerprint it was written with, or as a
    /// session file that did not exist; a header of another format version is refused.
    #[test]
    fn headers_read_back() {
        let path = Path::new("/songs/Folk \"Arc\".toml");
        let base = Fingerprint {
            length: 1873,
            fnv1a64: 0x9c0e_4b7a_1d2f_3e40,
        };
        for base in [Some(base), None] {
            let header = parse_header(&header_line(path, base)).unwrap();
            assert_eq!(header.session, path.to_string_lossy());
            assert_eq!(header.base, base);
        }
        let other =
            header_line(path, Some(base)).replace("earmix_journal = 1", "earmix_journal = 2");
        assert_eq!(
            parse_header(&other).err().as_deref(),
            Some("journal format 2; this earmix reads format 1")
        );
    }
}
