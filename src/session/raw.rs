//! The session file as written: serde structs that keep every value's span, before validation.
//!
//! Keys a file must have are still `Option` here so that validation can report every missing
//! one at once. Reading reports unknown keys and values of the wrong type, all of them: each
//! value is read on its own ([`read`]).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::SessionError;
use super::file::serde_error;
use super::locate::{Source, join_key};

mod snapshot;

use snapshot::read_snapshot;
pub(crate) use snapshot::{NameList, RawSnapshot};

/// The keys allowed at the top of a session file, in documentation order.
pub(crate) const TOP_KEYS: &[&str] = &[
    "version",
    "name",
    "sample_rate",
    "tempo",
    "meter",
    "master_db",
    "ramp_ms",
    "tempo_change",
    "channel",
    "group",
    "section",
    "ride",
    "snapshot",
    "reference",
];
/// The keys allowed in a `[[channel]]` table.
pub(crate) const CHANNEL_KEYS: &[&str] = &[
    "name", "file", "role", "trim_db", "gain_db", "pan", "mute", "solo", "start",
];
/// The keys allowed in a `[[group]]` table.
pub(crate) const GROUP_KEYS: &[&str] = &["name", "members", "gain_db", "pan", "mute", "solo"];
/// The keys allowed in a `[[ride]]` table.
pub(crate) const RIDE_KEYS: &[&str] = &["channel", "group", "points"];
/// The keys allowed in a `[[section]]` table.
pub(crate) const SECTION_KEYS: &[&str] = &["name", "start", "gain_db", "mute", "ramp_ms"];
/// The keys allowed in a `[[tempo_change]]` table.
pub(crate) const TEMPO_CHANGE_KEYS: &[&str] = &["bar", "tempo", "meter"];
/// The keys allowed in the `[reference]` table.
pub(crate) const REFERENCE_KEYS: &[&str] = &["file", "offset", "sections"];

/// A whole session file.
#[derive(Debug, Default)]
pub(crate) struct RawSession {
    pub name: Option<Spanned<String>>,
    pub sample_rate: Option<Spanned<Number>>,
    pub tempo: Option<Spanned<Number>>,
    pub meter: Option<Spanned<String>>,
    pub master_db: Option<Spanned<Number>>,
    pub ramp_ms: Option<Spanned<Number>>,
    pub tempo_change: Vec<Spanned<RawTempoChange>>,
    pub channel: Vec<Spanned<RawChannel>>,
    pub group: Vec<Spanned<RawGroup>>,
    pub section: Vec<Spanned<RawSection>>,
    pub ride: Vec<Spanned<RawRide>>,
    pub snapshot: Vec<Spanned<RawSnapshot>>,
    pub reference: Option<Spanned<RawReference>>,
    /// The keys (paths like `channel[2].name`) written in the file whose values could not be
    /// read (already reported): validation does not call them missing.
    pub unreadable: Vec<String>,
}

/// One `[[tempo_change]]` table.
#[derive(Debug, Default)]
pub(crate) struct RawTempoChange {
    pub bar: Option<Spanned<Number>>,
    pub tempo: Option<Spanned<Number>>,
    pub meter: Option<Spanned<String>>,
}

/// One `[[channel]]` table.
#[derive(Debug, Default)]
pub(crate) struct RawChannel {
    pub name: Option<Spanned<String>>,
    pub file: Option<Spanned<StemFile>>,
    pub role: Option<Spanned<String>>,
    pub trim_db: Option<Spanned<Number>>,
    pub gain_db: Option<Spanned<Number>>,
    pub pan: Option<Spanned<Number>>,
    pub mute: Option<Spanned<bool>>,
    pub solo: Option<Spanned<bool>>,
    pub start: Option<Spanned<Time>>,
}

/// One `[[group]]` table.
#[derive(Debug, Default)]
pub(crate) struct RawGroup {
    pub name: Option<Spanned<String>>,
    pub members: Option<Spanned<Vec<Spanned<String>>>>,
    pub gain_db: Option<Spanned<Number>>,
    pub pan: Option<Spanned<Number>>,
    pub mute: Option<Spanned<bool>>,
    pub solo: Option<Spanned<bool>>,
}

/// One `[[ride]]` table.
#[derive(Debug, Default)]
pub(crate) struct RawRide {
    pub channel: Option<Spanned<String>>,
    pub group: Option<Spanned<String>>,
    pub points: Option<Spanned<RawPoints>>,
}

/// A ride's `points` as written: the points that could be read (each a time and a level), and
/// how many the list holds, read or not.
#[derive(Debug, Default)]
pub(crate) struct RawPoints {
    pub read: Vec<RawPoint>,
    pub written: usize,
}

/// One ride point that could be read: where it stands in the list (from 0), its time and its
/// level.
#[derive(Debug)]
pub(crate) struct RawPoint {
    pub index: usize,
    pub at: Spanned<Time>,
    pub db: Spanned<Number>,
}

/// One `[[section]]` table.
#[derive(Debug, Default)]
pub(crate) struct RawSection {
    pub name: Option<Spanned<String>>,
    pub start: Option<Spanned<Time>>,
    pub gain_db: Option<Spanned<GainMap>>,
    pub mute: Option<Spanned<Vec<Spanned<String>>>>,
    pub ramp_ms: Option<Spanned<Number>>,
}

/// The `[reference]` table.
#[derive(Debug, Default)]
pub(crate) struct RawReference {
    pub file: Option<Spanned<String>>,
    pub offset: Option<Spanned<Time>>,
    pub sections: Option<Spanned<TimeMap>>,
}

/// Reads a parsed session file into a [`RawSession`], reporting every key that is not allowed
/// where it is and every value of the wrong type (each value is read on its own, so one
/// problem does not hide the others). Values that cannot be read are left out of the result
/// and listed in [`RawSession::unreadable`]. `version` is read before, by the caller.
pub(crate) fn read(src: &Source<'_>, root: &DeTable<'_>) -> (RawSession, Vec<SessionError>) {
    let mut reader = Reader {
        src,
        errors: Vec::new(),
        unreadable: Vec::new(),
    };
    let mut raw = RawSession::default();
    for (key, value, path) in reader.entries(root, "", TOP_KEYS, "the top level") {
        let r = &mut reader;
        match key {
            "version" => {}
            "name" => raw.name = r.value(value, path),
            "sample_rate" => raw.sample_rate = r.value(value, path),
            "tempo" => raw.tempo = r.value(value, path),
            "meter" => raw.meter = r.value(value, path),
            "master_db" => raw.master_db = r.value(value, path),
            "ramp_ms" => raw.ramp_ms = r.value(value, path),
            "tempo_change" => {
                raw.tempo_change = r.array_of_tables(value, path, |r, table, prefix| {
                    let mut change = RawTempoChange::default();
                    for (key, value, path) in
                        r.entries(table, prefix, TEMPO_CHANGE_KEYS, "[[tempo_change]]")
                    {
                        match key {
                            "bar" => change.bar = r.value(value, path),
                            "tempo" => change.tempo = r.value(value, path),
                            _ => change.meter = r.value(value, path),
                        }
                    }
                    change
                });
            }
            "channel" => raw.channel = r.array_of_tables(value, path, read_channel),
            "group" => raw.group = r.array_of_tables(value, path, read_group),
            "section" => raw.section = r.array_of_tables(value, path, read_section),
            "ride" => raw.ride = r.array_of_tables(value, path, read_ride),
            "snapshot" => raw.snapshot = r.array_of_tables(value, path, read_snapshot),
            _ => raw.reference = r.table(value, path, read_reference),
        }
    }
    raw.unreadable = reader.unreadable;
    let mut errors = reader.errors;
    errors.sort_by_key(|e| (e.line, e.column));
    (raw, errors)
}

fn read_channel(r: &mut Reader<'_, '_>, table: &DeTable<'_>, prefix: &str) -> RawChannel {
    let mut channel = RawChannel::default();
    for (key, value, path) in r.entries(table, prefix, CHANNEL_KEYS, "[[channel]]") {
        match key {
            "name" => channel.name = r.value(value, path),
            "file" => channel.file = r.value(value, path),
            "role" => channel.role = r.value(value, path),
            "trim_db" => channel.trim_db = r.value(value, path),
            "gain_db" => channel.gain_db = r.value(value, path),
            "pan" => channel.pan = r.value(value, path),
            "mute" => channel.mute = r.value(value, path),
            "solo" => channel.solo = r.value(value, path),
            _ => channel.start = r.value(value, path),
        }
    }
    channel
}

fn read_group(r: &mut Reader<'_, '_>, table: &DeTable<'_>, prefix: &str) -> RawGroup {
    let mut group = RawGroup::default();
    for (key, value, path) in r.entries(table, prefix, GROUP_KEYS, "[[group]]") {
        match key {
            "name" => group.name = r.value(value, path),
            "members" => group.members = r.value(value, path),
            "gain_db" => group.gain_db = r.value(value, path),
            "pan" => group.pan = r.value(value, path),
            "mute" => group.mute = r.value(value, path),
            _ => group.solo = r.value(value, path),
        }
    }
    group
}

fn read_ride(r: &mut Reader<'_, '_>, table: &DeTable<'_>, prefix: &str) -> RawRide {
    let mut ride = RawRide::default();
    for (key, value, path) in r.entries(table, prefix, RIDE_KEYS, "[[ride]]") {
        match key {
            "channel" => ride.channel = r.value(value, path),
            "group" => ride.group = r.value(value, path),
            _ => ride.points = r.points(value, path),
        }
    }
    ride
}

fn read_section(r: &mut Reader<'_, '_>, table: &DeTable<'_>, prefix: &str) -> RawSection {
    let mut section = RawSection::default();
    for (key, value, path) in r.entries(table, prefix, SECTION_KEYS, "[[section]]") {
        match key {
            "name" => section.name = r.value(value, path),
            "start" => section.start = r.value(value, path),
            "gain_db" => section.gain_db = r.value(value, path),
            "mute" => section.mute = r.value(value, path),
            _ => section.ramp_ms = r.value(value, path),
        }
    }
    section
}

fn read_reference(r: &mut Reader<'_, '_>, table: &DeTable<'_>, prefix: &str) -> RawReference {
    let mut reference = RawReference::default();
    for (key, value, path) in r.entries(table, prefix, REFERENCE_KEYS, "[reference]") {
        match key {
            "file" => reference.file = r.value(value, path),
            "offset" => reference.offset = r.value(value, path),
            _ => reference.sections = r.value(value, path),
        }
    }
    reference
}

/// Reads values one at a time, collecting what is wrong.
struct Reader<'s, 'a> {
    src: &'s Source<'a>,
    errors: Vec<SessionError>,
    unreadable: Vec<String>,
}

/// A key allowed in its table, its value, and its path in the file (`channel[2].gain_db`).
type Entry<'t, 'i> = (&'t str, &'t Spanned<DeValue<'i>>, String);

impl Reader<'_, '_> {
    /// The entries of `table` whose keys are in `allowed`, after reporting the others as
    /// unknown keys of the table called `name`.
    fn entries<'t, 'i>(
        &mut self,
        table: &'t DeTable<'i>,
        prefix: &str,
        allowed: &[&str],
        name: &str,
    ) -> Vec<Entry<'t, 'i>> {
        let mut out = Vec::with_capacity(table.len());
        for (key, value) in table {
            let word: &'t str = key.get_ref();
            let path = join_key(prefix, word);
            if allowed.contains(&word) {
                out.push((word, value, path));
            } else {
                self.errors.push(self.src.error_at(
                    key.span().start,
                    path,
                    format!(
                        "unknown key '{word}' in {name}; allowed: {}",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        out
    }

    /// A value read as `T`, or `None` after reporting it (and noting `path` as unreadable).
    fn value<T: DeserializeOwned>(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        path: String,
    ) -> Option<Spanned<T>> {
        match Spanned::<T>::deserialize(ValueDeserializer::from(value.clone())) {
            Ok(read) => Some(read),
            Err(error) => {
                self.errors.push(serde_error(self.src, &error));
                self.unreadable.push(path);
                None
            }
        }
    }

    /// A value that must be a table (`[reference]`), read by `read`.
    fn table<T>(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        path: String,
        read: impl FnOnce(&mut Self, &DeTable<'_>, &str) -> T,
    ) -> Option<Spanned<T>> {
        if let DeValue::Table(table) = value.get_ref() {
            Some(Spanned::new(value.span(), read(self, table, &path)))
        } else {
            let message = format!("expected a table, written [{path}], not {}", found(value));
            self.shape_error(value, path, message);
            None
        }
    }

    /// A value that must be an array of tables (`[[channel]]`), each read by `read`.
    fn array_of_tables<T>(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        path: String,
        mut read: impl FnMut(&mut Self, &DeTable<'_>, &str) -> T,
    ) -> Vec<Spanned<T>> {
        let expected = format!(
            "expected an array of tables, written [[{path}]] (double brackets) before each one"
        );
        let DeValue::Array(items) = value.get_ref() else {
            let message = format!("{expected}, not {}", found(value));
            self.shape_error(value, path, message);
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let prefix = format!("{path}[{}]", i + 1);
            if let DeValue::Table(table) = item.get_ref() {
                out.push(Spanned::new(item.span(), read(self, table, &prefix)));
            } else {
                let message = format!("{expected}, not {}", found(item));
                self.shape_error(item, prefix, message);
            }
        }
        out
    }

    /// A ride's `points`: an array of `[time, dB]` pairs. The list and each point of the wrong
    /// shape are reported here (and noted unreadable), each value of the wrong type by
    /// [`Self::value`]; the points that read are kept.
    fn points(&mut self, value: &Spanned<DeValue<'_>>, path: String) -> Option<Spanned<RawPoints>> {
        let DeValue::Array(items) = value.get_ref() else {
            let message = format!(
                "expected a list of points, each a time and a level in dB, like \
                 [[\"0:12.000\", 0.0], [\"0:14.500\", 2.0]], not {}",
                found(value)
            );
            self.shape_error(value, path, message);
            return None;
        };
        let mut points = RawPoints {
            read: Vec::with_capacity(items.len()),
            written: items.len(),
        };
        for (index, item) in items.iter().enumerate() {
            let key = format!("{path}[{}]", index + 1);
            let pair = match item.get_ref() {
                DeValue::Array(pair) if pair.len() == 2 => pair,
                _ => {
                    let what = match item.get_ref() {
                        DeValue::Array(values) => format!("an array of {}", values.len()),
                        _ => found(item).to_string(),
                    };
                    let message = format!(
                        "a ride point is a time and a level in dB, like [\"0:12.000\", 2.0], \
                         not {what}"
                    );
                    self.shape_error(item, key, message);
                    continue;
                }
            };
            let at = self.value::<Time>(&pair[0], key.clone());
            let db = self.value::<Number>(&pair[1], key);
            if let (Some(at), Some(db)) = (at, db) {
                points.read.push(RawPoint { index, at, db });
            }
        }
        Some(Spanned::new(value.span(), points))
    }

    /// A value of the wrong kind for its place: quoted, unless it is a table (which may span
    /// many lines).
    fn shape_error(&mut self, value: &Spanned<DeValue<'_>>, path: String, message: String) {
        let error = if matches!(value.get_ref(), DeValue::Table(_)) {
            self.src.error_at(value.span().start, &path, message)
        } else {
            self.src.error(&value.span(), &path, message)
        };
        self.errors.push(error);
        self.unreadable.push(path);
    }
}

/// What kind of value a TOML value is, in a session file's words.
fn found(value: &Spanned<DeValue<'_>>) -> &'static str {
    match value.get_ref() {
        DeValue::String(_) => "text",
        DeValue::Integer(_) | DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "true/false",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// A TOML integer or float (`-6`, `-6.0`, `-inf`), as `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Number(pub f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;

        impl Visitor<'_> for NumberVisitor {
            type Value = Number;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number(v))
            }
        }

        deserializer.deserialize_any(NumberVisitor)
    }
}

/// A time: a `"m:ss.mmm"` string (parsed during validation) or a number of seconds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Time {
    Text(String),
    Seconds(f64),
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimeVisitor;

        impl Visitor<'_> for TimeVisitor {
            type Value = Time;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time like \"1:23.500\" or a number of seconds")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Time, E> {
                Ok(Time::Seconds(v as f64))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Time, E> {
                Ok(Time::Seconds(v as f64))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Time, E> {
                Ok(Time::Seconds(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Time, E> {
                Ok(Time::Text(v.to_string()))
            }
        }

        deserializer.deserialize_any(TimeVisitor)
    }
}

/// A channel's `file`: one stem file, or the files of a split-stereo stem as an array (left,
/// right; how many there are is judged by validation).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StemFile {
    One(String),
    Split(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for StemFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StemFileVisitor;

        impl<'de> Visitor<'de> for StemFileVisitor {
            type Value = StemFile;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a file name, or two for a split-stereo stem like [\"Piano L.wav\", \
                     \"Piano R.wav\"]",
                )
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<StemFile, E> {
                Ok(StemFile::One(v.to_string()))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<StemFile, A::Error> {
                let mut files = Vec::new();
                while let Some(file) = seq.next_element()? {
                    files.push(file);
                }
                Ok(StemFile::Split(files))
            }
        }

        deserializer.deserialize_any(StemFileVisitor)
    }
}

/// A table of names and values in file order: a section's per-channel fader values
/// ([`GainMap`]), the reference's per-section alignment ([`TimeMap`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NamedMap<V>(pub Vec<(Spanned<String>, Spanned<V>)>);

impl<V> Default for NamedMap<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

/// A section's per-channel fader values, in file order.
pub(crate) type GainMap = NamedMap<Number>;

/// The reference's section alignment: section names and where each starts in the reference.
pub(crate) type TimeMap = NamedMap<Time>;

impl<'de, V: Deserialize<'de>> Deserialize<'de> for NamedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NamedMapVisitor<V>(std::marker::PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for NamedMapVisitor<V> {
            type Value = NamedMap<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of names and values, like { \"Bass\" = -3.0 }")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NamedMap<V>, A::Error> {
                let mut entries: Vec<(Spanned<String>, Spanned<V>)> = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                // The deserializer may hand keys over sorted; the file's order is the spans'.
                entries.sort_by_key(|(key, _)| key.span().start);
                Ok(NamedMap(entries))
            }
        }

        deserializer.deserialize_map(NamedMapVisitor(std::marker::PhantomData))
    }
}

/// Reads `text` as a session file named `s.toml`: what could be read and every problem.
#[cfg(test)]
pub(crate) fn read_text(text: &str) -> (RawSession, Vec<String>) {
    let path = std::path::Path::new("s.toml");
    let src = Source::new(path, text);
    let root = DeTable::parse(text).expect("valid TOML");
    let (raw, errors) = read(&src, root.get_ref());
    (raw, errors.iter().map(ToString::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Integers, floats and -inf all read as numbers, and times read as text or seconds.
    #[test]
    fn numbers_and_times_accept_integers_and_floats() {
        let (raw, errors) = read_text(
            "version = 1\nmaster_db = -inf\n[[channel]]\ngain_db = -6\ntrim_db = 1.5\n\
             [[section]]\nstart = \"0:12.5\"\n[[section]]\nstart = 30\n",
        );
        assert_eq!(errors, Vec::<String>::new());
        assert_eq!(
            raw.master_db.unwrap().into_inner(),
            Number(f64::NEG_INFINITY)
        );
        let channel = raw.channel[0].get_ref();
        assert_eq!(channel.gain_db.as_ref().unwrap().get_ref(), &Number(-6.0));
        assert_eq!(channel.trim_db.as_ref().unwrap().get_ref(), &Number(1.5));
        let start = |i: usize| raw.section[i].get_ref().start.clone().unwrap().into_inner();
        assert_eq!(start(0), Time::Text("0:12.5".into()));
        assert_eq!(start(1), Time::Seconds(30.0));
    }

    /// A section's fader map keeps the file's order, not alphabetical order.
    #[test]
    fn gain_map_keeps_file_order() {
        let (raw, _) = read_text("version = 1\n[[section]]\ngain_db = { zeta = 1, alpha = -2 }\n");
        let map = raw.section[0]
            .get_ref()
            .gain_db
            .clone()
            .unwrap()
            .into_inner();
        let keys: Vec<&str> = map.0.iter().map(|(k, _)| k.get_ref().as_str()).collect();
        assert_eq!(keys, ["zeta", "alpha"]);
    }

    /// Unknown keys in every table and values of the wrong type are all reported in one
    /// reading, each with its line, column, key and value; the readable values are kept and
    /// the unreadable keys listed.
    #[test]
    fn every_unknown_key_and_wrong_type_is_reported() {
        let (raw, errors) = read_text(
            "version = 1\nname = 5\nbogus = 1\ntempo = \"fast\"\n\
             [[tempo_change]]\nbar = 3\nspeed = 1\n\
             [[channel]]\nname = \"A\"\ncolour = \"red\"\ngain_db = \"loud\"\npan = 0.5\n\
             [[section]]\nname = \"V\"\nmute = [\"A\", 2]\nfade = 1\n\
             [reference]\nfile = 3\nlevel = 0\n",
        );
        assert_eq!(
            errors,
            [
                "s.toml:2:8: name = 5: expected a string in quotes, not a number",
                "s.toml:3:1: bogus: unknown key 'bogus' in the top level; allowed: version, \
                 name, sample_rate, tempo, meter, master_db, ramp_ms, tempo_change, channel, \
                 group, section, ride, snapshot, reference",
                "s.toml:4:9: tempo = \"fast\": expected a number, not text",
                "s.toml:7:1: tempo_change[1].speed: unknown key 'speed' in [[tempo_change]]; \
                 allowed: bar, tempo, meter",
                "s.toml:10:1: channel[1].colour: unknown key 'colour' in [[channel]]; allowed: \
                 name, file, role, trim_db, gain_db, pan, mute, solo, start",
                "s.toml:11:11: channel[1].gain_db = \"loud\": expected a number, not text",
                "s.toml:15:14: section[1].mute[2] = 2: expected a string in quotes, not a number",
                "s.toml:16:1: section[1].fade: unknown key 'fade' in [[section]]; allowed: name, \
                 start, gain_db, mute, ramp_ms",
                "s.toml:18:8: reference.file = 3: expected a string in quotes, not a number",
                "s.toml:19:1: reference.level: unknown key 'level' in [reference]; allowed: \
                 file, offset, sections",
            ]
        );
        assert_eq!(
            raw.channel[0].get_ref().pan.as_ref().unwrap().get_ref(),
            &Number(0.5)
        );
        assert_eq!(
            raw.tempo_change[0]
                .get_ref()
                .bar
                .as_ref()
                .unwrap()
                .get_ref(),
            &Number(3.0)
        );
        let mut unreadable = raw.unreadable.clone();
        unreadable.sort();
        assert_eq!(
            unreadable,
            [
                "channel[1].gain_db",
                "name",
                "reference.file",
                "section[1].mute",
                "tempo"
            ]
        );
    }

    /// A table where an array of tables belongs, and the reverse, say how to write them.
    #[test]
    fn tables_and_arrays_of_tables_are_told_apart() {
        let (raw, errors) = read_text(
            "version = 1\nsection = 3\n[channel]\nname = \"A\"\n[[reference]]\nfile = \"r.wav\"\n",
        );
        assert_eq!(
            errors,
            [
                "s.toml:2:11: section = 3: expected an array of tables, written [[section]] \
                 (double brackets) before each one, not a number",
                "s.toml:3:1: channel: expected an array of tables, written [[channel]] (double \
                 brackets) before each one, not a table",
                "s.toml:5:1: reference = [[reference]]: expected a table, written [reference], \
                 not an array",
            ]
        );
        assert!(raw.channel.is_empty() && raw.reference.is_none());
        assert_eq!(raw.unreadable, ["channel", "reference", "section"]);
    }

    /// Ride points that are not `[time, dB]` pairs, and values of the wrong type inside one,
    /// are each reported with the point's key; the pairs that read are kept with their place
    /// in the list, and the list's length counts every point written.
    #[test]
    fn ride_points_of_the_wrong_shape_are_reported() {
        let (raw, errors) = read_text(
            "version = 1\n[[ride]]\nchannel = \"A\"\n\
             points = [[0, 1], [5], \"6\", [true, 1], [\"0:03\", -2.5]]\n\
             [[ride]]\ngroup = \"G\"\npoints = 3\n\
             [[group]]\nname = \"G\"\nmembers = \"A\"\nfade = 1\n",
        );
        assert_eq!(
            errors,
            [
                "s.toml:4:19: ride[1].points[2] = [5]: a ride point is a time and a level in dB, \
                 like [\"0:12.000\", 2.0], not an array of 1",
                "s.toml:4:24: ride[1].points[3] = \"6\": a ride point is a time and a level in \
                 dB, like [\"0:12.000\", 2.0], not text",
                "s.toml:4:30: ride[1].points[4][1] = true: expected a time like \"1:23.500\" or a \
                 number of seconds, not true/false",
                "s.toml:7:10: ride[2].points = 3: expected a list of points, each a time and a \
                 level in dB, like [[\"0:12.000\", 0.0], [\"0:14.500\", 2.0]], not a number",
                "s.toml:10:11: group[1].members = \"A\": expected a list of channel names, like \
                 members = [\"Kick\", \"Snare\"], not text",
                "s.toml:11:1: group[1].fade: unknown key 'fade' in [[group]]; allowed: name, \
                 members, gain_db, pan, mute, solo",
            ]
        );
        let points = raw.ride[0].get_ref().points.as_ref().unwrap().get_ref();
        assert_eq!(points.written, 5);
        let read: Vec<(usize, Time, f64)> = points
            .read
            .iter()
            .map(|p| (p.index, p.at.get_ref().clone(), p.db.get_ref().0))
            .collect();
        assert_eq!(
            read,
            [
                (0, Time::Seconds(0.0), 1.0),
                (4, Time::Text("0:03".into()), -2.5)
            ]
        );
        assert!(raw.ride[1].get_ref().points.is_none());
        let mut unreadable = raw.unreadable.clone();
        unreadable.sort();
        assert_eq!(
            unreadable,
            [
                "group[1].members",
                "ride[1].points[2]",
                "ride[1].points[3]",
                "ride[1].points[4]",
                "ride[2].points"
            ]
        );
    }
}
