//! Section markers made by other programs, read into named start times for a session's
//! sections: Audacity label files, REAPER marker/region CSV exports, the `cue ` and `LIST`/`adtl`
//! chunks of a WAV file, and marker (and cue point) events in a Standard MIDI File.
//!
//! [`read`] reads a file (the format is told by its contents) into [`Markers`]; [`plan`] turns
//! them into section names and starts that follow the section rules (sorted, unique names, each
//! start inside the session), with a note for each change it made; [`write_sections`] writes
//! the result into a session file's TOML document, keeping its comments and layout.

pub mod audacity;
pub mod midi;
pub mod reaper;
pub mod wav;

use std::fmt;
use std::path::{Path, PathBuf};

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use crate::units::Seconds;

/// Where in a marker file something is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A line of a text file, counted from 1.
    Line(usize),
    /// A byte offset into a binary file (counted from 0), and what is there (`cue  chunk`,
    /// `track 2`).
    Byte { offset: u64, what: String },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(line) => write!(f, "line {line}"),
            Place::Byte { offset, what } => write!(f, "byte {offset} ({what})"),
        }
    }
}

/// One marker as the file gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// The name (label, region name, marker text), with surrounding spaces removed and control
    /// characters made spaces; empty when the marker has none.
    pub name: String,
    /// Where it is on the timeline.
    pub start: Seconds,
    /// Where the file says it is.
    pub at: Place,
}

/// The kinds of marker file [`read`] understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Audacity's exported labels (`start<TAB>end<TAB>label`).
    Audacity,
    /// REAPER's marker/region list exported as CSV (`#,Name,Start,End,Length`).
    ReaperCsv,
    /// A WAV file's `cue ` chunk, named by `labl` entries of its `LIST`/`adtl` chunk.
    WavCue,
    /// Marker and cue point meta events of a Standard MIDI File.
    Midi,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Audacity => "Audacity labels",
            Format::ReaperCsv => "REAPER marker/region CSV",
            Format::WavCue => "WAV cue markers",
            Format::Midi => "MIDI markers",
        })
    }
}

/// The markers of one file, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Markers {
    /// The file they were read from.
    pub path: PathBuf,
    /// What kind of file it is.
    pub format: Format,
    /// The markers, in the order the file gives them.
    pub markers: Vec<Marker>,
}

/// What is wrong with a marker file, or with its markers as sections.
#[derive(Debug, thiserror::Error)]
pub enum MarkerError {
    /// The file could not be read.
    #[error("{}: cannot read the marker file: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Something at one place in the file is wrong.
    #[error("{}{}: {message}", path.display(), place_suffix(at))]
    At {
        path: PathBuf,
        at: Place,
        message: String,
    },
    /// Something about the whole file is wrong.
    #[error("{}: {message}", path.display())]
    File { path: PathBuf, message: String },
}

/// `:12` after a file name for a line (as editors expect), `: byte 40 (cue  chunk)` for a byte.
fn place_suffix(at: &Place) -> String {
    match at {
        Place::Line(line) => format!(":{line}"),
        Place::Byte { .. } => format!(": {at}"),
    }
}

/// A problem a format's reader found, before the file's path is attached.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fault {
    /// At one place.
    At(Place, String),
    /// In the whole file.
    File(String),
}

impl Fault {
    fn in_file(self, path: &Path) -> MarkerError {
        match self {
            Fault::At(at, message) => MarkerError::At {
                path: path.to_path_buf(),
                at,
                message,
            },
            Fault::File(message) => MarkerError::File {
                path: path.to_path_buf(),
                message,
            },
        }
    }
}

/// Reads the markers of a file. The format is told by the contents: `RIFF`…`WAVE` is a WAV file,
/// `MThd` a MIDI file, text whose first line is REAPER's `#,Name,Start,End,Length` header (or a
/// `M1,`/`R1,` row) a REAPER CSV, any other text Audacity labels.
///
/// A file with no markers, or anything malformed in it, is an error naming the line (text) or the
/// byte offset and chunk (binary). Not realtime-safe (file I/O).
pub fn read(path: &Path) -> Result<Markers, MarkerError> {
    let bytes = std::fs::read(path).map_err(|error| MarkerError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let (format, result) = parse(&bytes);
    let markers = result.map_err(|fault| fault.in_file(path))?;
    if markers.is_empty() {
        return Err(MarkerError::File {
            path: path.to_path_buf(),
            message: format!("no markers in this file (read as {format})"),
        });
    }
    Ok(Markers {
        path: path.to_path_buf(),
        format,
        markers,
    })
}

/// The format of `bytes` and its markers.
fn parse(bytes: &[u8]) -> (Format, Result<Vec<Marker>, Fault>) {
    if bytes.starts_with(b"RIFF") || bytes.starts_with(b"RF64") {
        return (Format::WavCue, wav::parse(bytes));
    }
    if bytes.starts_with(b"MThd") {
        return (Format::Midi, midi::parse(bytes));
    }
    let text = match crate::text::decode_slice(bytes) {
        Ok(text) => text,
        Err(e) => {
            let fault = Fault::At(
                Place::Line(e.line),
                format!(
                    "{e}; a marker file is text (Audacity labels, REAPER CSV), a WAV or a MIDI file"
                ),
            );
            return (Format::Audacity, Err(fault));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if reaper::looks_like(text) {
        (Format::ReaperCsv, reaper::parse(text))
    } else {
        (Format::Audacity, audacity::parse(text))
    }
}

/// A marker's name as a section name: surrounding spaces removed, control characters (tabs,
/// line breaks) made spaces.
pub(crate) fn clean_name(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// A section to write: its name and start, and the marker it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// The section's name (unique in the plan).
    pub name: String,
    /// Its start (increasing through the plan).
    pub start: Seconds,
    /// The marker it came from.
    pub at: Place,
}

/// The sections a file's markers make, and what was changed to make them.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The sections, in time order.
    pub sections: Vec<Planned>,
    /// One sentence per change made: markers sorted, names given or made unique, markers past
    /// the end left out.
    pub notes: Vec<String>,
}

/// Turns markers into sections that follow the section rules: sorted by start (a note says so
/// when the file was not in time order); a marker at or after `end` (the session's length, when
/// known) left out, with a note; an unnamed marker called "Marker N" (N its place in time
/// order) and a name used before given " 2", " 3"…, with a note each.
///
/// Two markers at the same time are an error naming both (sections need different starts), as
/// is a file with no marker inside the session.
pub fn plan(markers: &Markers, end: Option<Seconds>) -> Result<Plan, MarkerError> {
    let mut notes = Vec::new();
    let mut sorted: Vec<&Marker> = markers.markers.iter().collect();
    sorted.sort_by(|a, b| a.start.0.total_cmp(&b.start.0));
    if sorted
        .iter()
        .zip(&markers.markers)
        .any(|(a, b)| !std::ptr::eq(*a, b))
    {
        notes
            .push("the markers are not in time order in the file; they are sorted by start".into());
    }
    for pair in sorted.windows(2) {
        if pair[0].start == pair[1].start {
            return Err(MarkerError::At {
                path: markers.path.clone(),
                at: pair[1].at.clone(),
                message: format!(
                    "{} starts at {}, as {} at {} does; sections need different starts: remove \
                     or move one of them",
                    quoted_or_unnamed(&pair[1].name),
                    pair[1].start,
                    quoted_or_unnamed(&pair[0].name),
                    pair[0].at
                ),
            });
        }
    }
    if let Some(end) = end {
        sorted.retain(|m| {
            let inside = m.start < end;
            if !inside {
                notes.push(format!(
                    "{}: {} at {} is at or after the session's end ({end}); left out",
                    m.at,
                    quoted_or_unnamed(&m.name),
                    m.start
                ));
            }
            inside
        });
        if sorted.is_empty() {
            return Err(MarkerError::File {
                path: markers.path.clone(),
                message: format!(
                    "every marker is at or after the session's end ({end}); none can start a \
                     section"
                ),
            });
        }
    }
    let mut sections: Vec<Planned> = Vec::with_capacity(sorted.len());
    let named: Vec<&str> = sorted.iter().map(|m| m.name.as_str()).collect();
    for (i, marker) in sorted.iter().enumerate() {
        let taken = |name: &str, sections: &[Planned]| {
            sections.iter().any(|s| s.name == name) || named[i + 1..].contains(&name)
        };
        let name = if marker.name.is_empty() {
            let mut name = format!("Marker {}", i + 1);
            let mut n = 2;
            while taken(&name, &sections) {
                name = format!("Marker {} ({n})", i + 1);
                n += 1;
            }
            notes.push(format!(
                "{}: the marker at {} has no name; it is called \"{name}\"",
                marker.at, marker.start
            ));
            name
        } else if sections.iter().any(|s| s.name == marker.name) {
            let mut n = 2;
            let mut name = format!("{} {n}", marker.name);
            while taken(&name, &sections) {
                n += 1;
                name = format!("{} {n}", marker.name);
            }
            notes.push(format!(
                "{}: \"{}\" at {} has the name of an earlier marker; it is called \"{name}\"",
                marker.at, marker.name, marker.start
            ));
            name
        } else {
            marker.name.clone()
        };
        sections.push(Planned {
            name,
            start: marker.start,
            at: marker.at.clone(),
        });
    }
    Ok(Plan { sections, notes })
}

/// `"Verse"`, or `the unnamed marker`.
fn quoted_or_unnamed(name: &str) -> String {
    if name.is_empty() {
        "the unnamed marker".into()
    } else {
        format!("\"{name}\"")
    }
}

/// Makes the `[[section]]` tables of a session file's document the planned sections, in order.
///
/// A table whose `name` a planned section has is kept (its scene, its comments) with its
/// `start` set; the other planned sections get new tables with `name` and `start`; tables no
/// planned section names are removed, and so are `[reference.sections]` entries naming a
/// section that is gone. A new start is written as `"m:ss.mmm"` when that is exact, else as
/// seconds; a kept table's start keeps its form (text or seconds).
/// The rest of the document is left as it is.
pub fn write_sections(doc: &mut DocumentMut, sections: &[Planned]) {
    let root = doc.as_table_mut();
    let mut old: Vec<Table> = match root.get_mut("section").map(std::mem::take) {
        Some(Item::ArrayOfTables(array)) => array.into_iter().collect(),
        _ => Vec::new(),
    };
    let mut tables: Vec<Table> = sections
        .iter()
        .map(|section| {
            let reused = old
                .iter()
                .position(|t| t.get("name").and_then(Item::as_str) == Some(&section.name))
                .map(|j| old.remove(j));
            let mut table = reused.unwrap_or_else(|| {
                let mut table = Table::new();
                table.decor_mut().set_prefix("\n");
                table.insert("name", Item::Value(Value::from(section.name.as_str())));
                table
            });
            match table.get_mut("start") {
                Some(Item::Value(value)) => {
                    let decor = value.decor().clone();
                    *value = time_value(section.start, Some(value));
                    *value.decor_mut() = decor;
                }
                _ => {
                    table.insert("start", Item::Value(time_value(section.start, None)));
                }
            }
            table
        })
        .collect();
    // The sections print together, in order, where the first of the old ones was (toml_edit
    // prints tables by position, keeping array order among equal positions).
    if let Some(first) = tables.iter().filter_map(Table::position).min() {
        for table in &mut tables {
            table.set_position(Some(first));
        }
    }
    if tables.is_empty() {
        root.remove("section");
    } else {
        let mut array = ArrayOfTables::new();
        for table in tables {
            array.push(table);
        }
        match root.get_mut("section") {
            Some(item) => *item = Item::ArrayOfTables(array),
            None => {
                root.insert("section", Item::ArrayOfTables(array));
            }
        }
    }
    if let Some(aligned) = root
        .get_mut("reference")
        .and_then(Item::as_table_like_mut)
        .and_then(|reference| reference.get_mut("sections"))
        .and_then(Item::as_table_like_mut)
    {
        let gone: Vec<String> = aligned
            .iter()
            .map(|(key, _)| key.to_string())
            .filter(|key| !sections.iter().any(|s| s.name == *key))
            .collect();
        for key in gone {
            aligned.remove(&key);
        }
    }
    if let Some(Item::Value(Value::InlineTable(aligned))) = root
        .get_mut("reference")
        .and_then(Item::as_table_like_mut)
        .and_then(|reference| reference.get_mut("sections"))
    {
        aligned.fmt();
    }
}

/// A start as the session file writes it, in the form the `old` value used: seconds when it was
/// a number (a whole number stays one when the time is whole), else `"m:ss.mmm"` when that is
/// exact, else seconds.
fn time_value(time: Seconds, old: Option<&Value>) -> Value {
    match old {
        Some(Value::Integer(_)) if time.0.fract() == 0.0 && time.0 < 1e15 => {
            Value::from(time.0 as i64)
        }
        Some(Value::Integer(_) | Value::Float(_)) => Value::from(time.0),
        _ => {
            let text = time.to_string();
            if Seconds::parse(&text) == Some(time) {
                Value::from(text)
            } else {
                Value::from(time.0)
            }
        }
    }
}

/// Parses a number of seconds as written in a text marker file: digits with an optional
/// fraction, finite and 0 or more.
pub(crate) fn parse_seconds(text: &str) -> Option<Seconds> {
    let text = text.trim();
    if text.is_empty()
        || !text.chars().all(|c| c.is_ascii_digit() || c == '.')
        || text.matches('.').count() > 1
        || text == "."
    {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    value.is_finite().then_some(Seconds(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(name: &str, start: f64, line: usize) -> Marker {
        Marker {
            name: name.into(),
            start: Seconds(start),
            at: Place::Line(line),
        }
    }

    fn markers(list: Vec<Marker>) -> Markers {
        Markers {
            path: PathBuf::from("labels.txt"),
            format: Format::Audacity,
            markers: list,
        }
    }

    /// Markers out of order are sorted (with a note); unnamed markers get "Marker N"; a name
    /// used twice gets " 2" (skipping a name a later marker has); markers at or past the end
    /// are left out, each with a note naming its line.
    #[test]
    fn plan_sorts_names_and_drops_with_notes() {
        let list = markers(vec![
            marker("Chorus", 20.0, 1),
            marker("Intro", 0.0, 2),
            marker("", 10.0, 3),
            marker("Chorus", 30.0, 4),
            marker("Chorus 2", 40.0, 5),
            marker("Tail", 60.0, 6),
        ]);
        let plan = plan(&list, Some(Seconds(50.0))).unwrap();
        let got: Vec<(&str, f64)> = plan
            .sections
            .iter()
            .map(|s| (s.name.as_str(), s.start.0))
            .collect();
        assert_eq!(
            got,
            [
                ("Intro", 0.0),
                ("Marker 2", 10.0),
                ("Chorus", 20.0),
                ("Chorus 3", 30.0),
                ("Chorus 2", 40.0)
            ]
        );
        assert_eq!(
            plan.notes,
            [
                "the markers are not in time order in the file; they are sorted by start",
                "line 6: \"Tail\" at 1:00.000 is at or after the session's end (0:50.000); left \
                 out",
                "line 3: the marker at 0:10.000 has no name; it is called \"Marker 2\"",
                "line 4: \"Chorus\" at 0:30.000 has the name of an earlier marker; it is called \
                 \"Chorus 3\"",
            ]
        );
    }

    /// Two markers at one time are refused, naming both places; so is a file whose markers
    /// are all past the end.
    #[test]
    fn plan_refuses_equal_starts_and_nothing_inside() {
        let list = markers(vec![marker("A", 1.0, 1), marker("B", 1.0, 7)]);
        assert_eq!(
            plan(&list, None).unwrap_err().to_string(),
            "labels.txt:7: \"B\" starts at 0:01.000, as \"A\" at line 1 does; sections need \
             different starts: remove or move one of them"
        );
        let list = markers(vec![marker("A", 10.0, 1)]);
        assert_eq!(
            plan(&list, Some(Seconds(5.0))).unwrap_err().to_string(),
            "labels.txt: every marker is at or after the session's end (0:05.000); none can \
             start a section"
        );
    }

    /// Writing keeps comments, keeps a reused section's scene, removes sections and reference
    /// alignments no marker names, and writes inexact starts as seconds.
    #[test]
    fn write_sections_keeps_the_rest_of_the_document() {
        let text = "# top\nversion = 1\n\n[[section]]\n# about the verse\nname = \"Verse\"\n\
                    start = 5\ngain_db = { Bass = -3.0 }\n\n[[section]]\nname = \"Old\"\n\
                    start = \"0:09.000\"\n\n[reference]\nfile = \"r.wav\"\n\
                    sections = { Verse = 1.0, Old = 2.0 }\n# the end\n";
        let mut doc: DocumentMut = text.parse().unwrap();
        let planned = [
            Planned {
                name: "Intro".into(),
                start: Seconds(0.0),
                at: Place::Line(1),
            },
            Planned {
                name: "Verse".into(),
                start: Seconds(12.5),
                at: Place::Line(2),
            },
            Planned {
                name: "Bridge".into(),
                start: Seconds(100.0 / 3.0),
                at: Place::Line(3),
            },
        ];
        write_sections(&mut doc, &planned);
        let out = doc.to_string();
        assert!(out.starts_with("# top\nversion = 1\n"), "{out}");
        assert!(
            out.contains(
                "# about the verse\nname = \"Verse\"\nstart = 12.5\ngain_db = { Bass = -3.0 }"
            ),
            "{out}"
        );
        assert!(
            out.contains("name = \"Intro\"\nstart = \"0:00.000\""),
            "{out}"
        );
        assert!(
            out.contains("name = \"Bridge\"\nstart = 33.333333333333336"),
            "{out}"
        );
        assert!(!out.contains("Old"), "{out}");
        assert!(out.contains("sections = { Verse = 1.0 }"), "{out}");
        assert!(out.contains("# the end"), "{out}");
        let order: Vec<usize> = ["\"Intro\"", "\"Verse\"", "\"Bridge\""]
            .iter()
            .map(|n| out.find(n).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{out}");
    }

    /// Seconds in text files are plain decimal numbers of 0 or more.
    #[test]
    fn seconds_are_plain_decimals() {
        assert_eq!(parse_seconds("12.5"), Some(Seconds(12.5)));
        assert_eq!(parse_seconds(" 3 "), Some(Seconds(3.0)));
        for bad in ["", ".", "-1", "1e3", "inf", "NaN", "1.2.3", "0:12", "1,5"] {
            assert_eq!(parse_seconds(bad), None, "{bad}");
        }
    }
}
