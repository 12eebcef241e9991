//! Writing a [`Session`] back as TOML while keeping a hand-written file's comments and layout:
//! only values that differ from the model are replaced, missing keys and tables are added, and
//! tables that no longer exist are removed.

use std::path::Path;

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, TableLike, Value};

mod automation;
mod snapshot;

use super::tempo::{BarBeat, Meter, TempoMap};
use super::{Channel, SESSION_VERSION, Section, Session};
use crate::units::{Decibels, Seconds};

/// The comment a freshly written session file starts with.
const FRESH_HEADER: &str = "# earmix session\n\n";

/// The session as a new, well-formatted TOML document.
pub fn to_toml_string(session: &Session) -> String {
    let mut doc = DocumentMut::new();
    doc.decor_mut().set_prefix(FRESH_HEADER);
    update_document(&mut doc, session);
    doc.to_string()
}

/// The session written into an existing session file's text, keeping its comments and layout.
pub fn update_toml_string(
    existing: &str,
    session: &Session,
) -> Result<String, toml_edit::TomlError> {
    let mut doc: DocumentMut = existing.parse()?;
    update_document(&mut doc, session);
    Ok(doc.to_string())
}

/// Makes `doc` say what `session` says, touching as little as possible.
pub fn update_document(doc: &mut DocumentMut, session: &Session) {
    let root = doc.as_table_mut();
    let version = i64::from(SESSION_VERSION);
    put(root, "version", Value::from(version), |v| {
        v.as_integer() == Some(version)
    });
    put_str(root, "name", &session.name);
    if session.sample_rate_explicit {
        let rate = i64::from(session.sample_rate);
        put(root, "sample_rate", Value::from(rate), |v| {
            number(v) == Some(rate as f64)
        });
    } else {
        root.remove("sample_rate");
    }
    put_number(root, "master_db", session.master_db.0, Some(0.0));
    put_ramp(root, session.ramp_ms);
    update_tempo(root, session.tempo.as_ref());

    let names: Vec<&str> = session.channels.iter().map(|c| c.name.as_str()).collect();
    update_array(
        root,
        "channel",
        &names,
        table_name,
        (|_: &Table, _| false, true),
        |table, i| update_channel(table, &session.channels[i]),
    );
    automation::update_groups(root, &session.groups);
    let names: Vec<&str> = session.sections.iter().map(|s| s.name.as_str()).collect();
    // A section renamed in the same save as others were added or removed is still found: it
    // kept its start.
    let tempo = session.tempo.as_ref();
    let same_start = |table: &Table, i: usize| {
        let start = table.get("start").and_then(Item::as_value);
        start.is_some_and(|v| same_time(v, session.sections[i].start, tempo))
    };
    update_array(
        root,
        "section",
        &names,
        table_name,
        (same_start, true),
        |table, i| {
            update_section(table, &session.sections[i], tempo);
        },
    );
    let is_group = |name: &str| session.group_index(name).is_some();
    automation::update_rides(root, &session.rides, is_group, tempo);
    snapshot::update_snapshots(root, &session.snapshots, tempo);
    update_reference(root, session);
}

/// The song's tempo: `tempo`, `meter` (left out for 4/4) and one `[[tempo_change]]` per change.
/// A file that already gives a tempo keeps its own words: the console does not change the tempo,
/// so what the file says is what the session has.
fn update_tempo(root: &mut Table, tempo: Option<&TempoMap>) {
    let Some(map) = tempo else {
        for key in ["tempo", "meter", "tempo_change"] {
            root.remove(key);
        }
        return;
    };
    if root.contains_key("tempo") {
        return;
    }
    let mut changes = map.changes();
    let Some((_, first)) = changes.next() else {
        return;
    };
    root.insert("tempo", Item::Value(number_value(first.bpm, true)));
    if first.meter != Meter::COMMON {
        root.insert("meter", Item::Value(Value::from(first.meter.to_string())));
    }
    let mut tables = ArrayOfTables::new();
    let mut before = first;
    for (bar, tempo) in changes {
        let mut table = new_table();
        table.insert("bar", Item::Value(Value::from(i64::from(bar))));
        if tempo.bpm != before.bpm {
            table.insert("tempo", Item::Value(number_value(tempo.bpm, true)));
        }
        if tempo.meter != before.meter {
            table.insert("meter", Item::Value(Value::from(tempo.meter.to_string())));
        }
        tables.push(table);
        before = tempo;
    }
    if !tables.is_empty() {
        root.insert("tempo_change", Item::ArrayOfTables(tables));
    }
}

fn update_channel(table: &mut Table, channel: &Channel) {
    put_str(table, "name", &channel.name);
    match &channel.right_file {
        None => put_str(table, "file", &path_text(&channel.file)),
        Some(right) => put_files(table, &path_text(&channel.file), &path_text(right)),
    }
    match channel.role {
        Some(role) => put_str(table, "role", role.as_str()),
        None => {
            table.remove("role");
        }
    }
    put_number(table, "trim_db", channel.trim_db.0, Some(0.0));
    put_number(table, "gain_db", channel.gain_db.0, Some(0.0));
    put_number(table, "pan", channel.pan.0, Some(0.0));
    put_bool(table, "mute", channel.mute);
    put_bool(table, "solo", channel.solo);
}

fn update_section(table: &mut Table, section: &Section, tempo: Option<&TempoMap>) {
    put_str(table, "name", &section.name);
    put_time(table, "start", section.start, None, true, tempo);
    update_gain_map(table, &section.gain_db);
    update_mute_list(table, &section.mute);
    put_ramp(table, section.ramp_ms);
}

/// A scene glide time: an integer number of milliseconds, left out when not set.
fn put_ramp(table: &mut dyn TableLike, ramp_ms: Option<u32>) {
    match ramp_ms {
        Some(ms) => put(table, "ramp_ms", Value::from(i64::from(ms)), |v| {
            number(v) == Some(f64::from(ms))
        }),
        None => {
            table.remove("ramp_ms");
        }
    }
}

/// A section's mute list: an inline array of channel names, left out when empty. A list that
/// already says the same is left as written.
fn update_mute_list(table: &mut Table, names: &[String]) {
    if names.is_empty() {
        table.remove("mute");
        return;
    }
    let same = |v: &Value| {
        v.as_array().is_some_and(|array| {
            array.len() == names.len()
                && array
                    .iter()
                    .zip(names)
                    .all(|(a, name)| a.as_str() == Some(name.as_str()))
        })
    };
    let mut array: Array = names.iter().map(String::as_str).collect();
    array.fmt();
    put(table, "mute", Value::Array(array), same);
}

fn update_reference(root: &mut Table, session: &Session) {
    let Some(reference) = session.reference.as_ref() else {
        root.remove("reference");
        return;
    };
    let item = root
        .entry("reference")
        .or_insert_with(|| Item::Table(new_table()));
    if !item.is_table_like() {
        *item = Item::Table(new_table());
    }
    if let Some(table) = item.as_table_like_mut() {
        put_str(table, "file", &path_text(&reference.file));
        let tempo = session.tempo.as_ref();
        put_time(
            table,
            "offset",
            reference.offset,
            Some(Seconds(0.0)),
            false,
            tempo,
        );
        let aligned: Vec<&(String, Seconds)> = reference
            .sections
            .iter()
            .filter(|(name, _)| session.section_index(name).is_some())
            .collect();
        update_alignment(table, &aligned, tempo);
    }
}

/// The reference's `sections` table (kept in the form the file uses; a new one is inline), with
/// exactly the `aligned` entries.
fn update_alignment(
    table: &mut dyn TableLike,
    aligned: &[&(String, Seconds)],
    tempo: Option<&TempoMap>,
) {
    if aligned.is_empty() {
        table.remove("sections");
        return;
    }
    if !table.get("sections").is_some_and(Item::is_table_like) {
        table.insert(
            "sections",
            Item::Value(Value::InlineTable(InlineTable::new())),
        );
    }
    let Some(map) = table.get_mut("sections").and_then(Item::as_table_like_mut) else {
        return;
    };
    let stale: Vec<String> = map
        .iter()
        .map(|(key, _)| key.to_string())
        .filter(|key| !aligned.iter().any(|(name, _)| name == key))
        .collect();
    for key in stale {
        map.remove(&key);
    }
    for (name, at) in aligned {
        put_time(map, name, *at, None, true, tempo);
    }
    if let Some(Item::Value(Value::InlineTable(inline))) = table.get_mut("sections") {
        inline.fmt();
    }
}

/// A session path as written in the file.
fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A table added to the document, set off from the one before by a blank line.
fn new_table() -> Table {
    let mut table = Table::new();
    table.decor_mut().set_prefix("\n");
    table
}

/// A table's `name`.
fn table_name(table: &Table) -> Option<String> {
    table.get("name")?.as_str().map(str::to_string)
}

/// Rebuilds the array of tables under `key` so it has one table per name, in that order.
///
/// Existing tables are reused, matched by their name (`name_of`: a channel's `name`, a ride's
/// `channel` or `group`) first; then, for a table whose name
/// is no longer used (a rename), by `same.0` (whether an old table is the model's item `i` by
/// some other mark, such as a section's start), and last, when `same.1`, by position. Tables nobody claims are
/// dropped. `update` fills table `i` from the model.
fn update_array(
    root: &mut Table,
    key: &str,
    names: &[&str],
    name_of: impl Fn(&Table) -> Option<String>,
    (same, by_position): (impl Fn(&Table, usize) -> bool, bool),
    mut update: impl FnMut(&mut Table, usize),
) {
    let existing = root.get_mut(key).map(std::mem::take);
    let mut old: Vec<Option<Table>> = match existing {
        Some(Item::ArrayOfTables(array)) => array.into_iter().map(Some).collect(),
        _ => Vec::new(),
    };
    let old_names: Vec<Option<String>> =
        old.iter().map(|t| t.as_ref().and_then(&name_of)).collect();
    let mut claimed = vec![false; old.len()];
    let mut chosen: Vec<Option<usize>> = vec![None; names.len()];
    for (i, name) in names.iter().enumerate() {
        let found = (0..old.len()).find(|&j| !claimed[j] && old_names[j].as_deref() == Some(name));
        if let Some(j) = found {
            claimed[j] = true;
            chosen[i] = Some(j);
        }
    }
    // Only tables whose names are no longer used may be renamed.
    let orphan = |j: usize, claimed: &[bool]| {
        !claimed[j] && !old_names[j].as_deref().is_some_and(|n| names.contains(&n))
    };
    for (i, choice) in chosen.iter_mut().enumerate() {
        if choice.is_some() {
            continue;
        }
        let found = (0..old.len())
            .find(|&j| orphan(j, &claimed) && old[j].as_ref().is_some_and(|t| same(t, i)));
        if let Some(j) = found {
            claimed[j] = true;
            *choice = Some(j);
        }
    }
    for (i, choice) in chosen.iter_mut().enumerate() {
        let renamed = by_position
            && i < old.len()
            && !claimed[i]
            && !old_names[i].as_deref().is_some_and(|n| names.contains(&n));
        if choice.is_none() && renamed {
            claimed[i] = true;
            *choice = Some(i);
        }
    }

    let mut tables: Vec<Table> = chosen
        .iter()
        .enumerate()
        .map(|(i, choice)| {
            let mut table = choice.and_then(|j| old[j].take()).unwrap_or_else(new_table);
            update(&mut table, i);
            table
        })
        .collect();
    // Tables print in the order of their document positions; hand the positions the reused
    // tables had out again in the new order so a reorder shows in the file.
    let mut positions: Vec<isize> = tables.iter().filter_map(Table::position).collect();
    positions.sort_unstable();
    let mut positions = positions.into_iter();
    for table in &mut tables {
        if table.position().is_some() {
            table.set_position(positions.next());
        }
    }

    if tables.is_empty() {
        root.remove(key);
        return;
    }
    let mut array = ArrayOfTables::new();
    for table in tables {
        array.push(table);
    }
    match root.get_mut(key) {
        Some(item) => *item = Item::ArrayOfTables(array),
        None => {
            root.insert(key, Item::ArrayOfTables(array));
        }
    }
}

/// A section's fader map: an inline table, in the model's order.
fn update_gain_map(table: &mut Table, gains: &[(String, Decibels)]) {
    if gains.is_empty() {
        table.remove("gain_db");
        return;
    }
    let order = |key: &str| {
        gains
            .iter()
            .position(|(name, _)| name == key)
            .unwrap_or(usize::MAX)
    };
    match table.get_mut("gain_db") {
        Some(Item::Value(Value::InlineTable(map))) => {
            let changed_keys = sync_map(map, gains);
            map.sort_values_by(|a, _, b, _| order(a.get()).cmp(&order(b.get())));
            if changed_keys {
                map.fmt();
            }
        }
        Some(Item::Table(map)) => {
            sync_map(map, gains);
            map.sort_values_by(|a, _, b, _| order(a.get()).cmp(&order(b.get())));
        }
        _ => {
            let mut map = InlineTable::new();
            for (name, db) in gains {
                map.insert(name, number_value(db.0, false));
            }
            map.fmt();
            table.insert("gain_db", Item::Value(Value::InlineTable(map)));
        }
    }
}

/// Makes a table-like map hold exactly `gains`; true when keys were added or removed.
fn sync_map(map: &mut dyn TableLike, gains: &[(String, Decibels)]) -> bool {
    let stale: Vec<String> = map
        .iter()
        .map(|(key, _)| key.to_string())
        .filter(|key| !gains.iter().any(|(name, _)| name == key))
        .collect();
    let mut changed = !stale.is_empty();
    for key in stale {
        map.remove(&key);
    }
    for (name, db) in gains {
        changed |= !map.contains_key(name);
        put_number(map, name, db.0, None);
    }
    changed
}

/// Sets `key` to `new` unless its value is already the `same`; a replaced value keeps its
/// decoration (the spacing and the comment after it).
fn put(table: &mut dyn TableLike, key: &str, mut new: Value, same: impl Fn(&Value) -> bool) {
    match table.get_mut(key) {
        Some(Item::Value(old)) if same(old) => {}
        Some(Item::Value(old)) => {
            *new.decor_mut() = old.decor().clone();
            *old = new;
        }
        Some(item) => *item = Item::Value(new),
        None => {
            table.insert(key, Item::Value(new));
        }
    }
}

fn put_str(table: &mut dyn TableLike, key: &str, text: &str) {
    put(table, key, Value::from(text), |v| v.as_str() == Some(text));
}

/// Sets a split-stereo channel's `file` to its two files, left then right.
fn put_files(table: &mut dyn TableLike, left: &str, right: &str) {
    let files: toml_edit::Array = [left, right].into_iter().collect();
    put(table, "file", Value::Array(files), |v| {
        v.as_array().is_some_and(|a| {
            let texts: Vec<Option<&str>> = a.iter().map(Value::as_str).collect();
            texts == [Some(left), Some(right)]
        })
    });
}

/// Sets a boolean that defaults to false.
fn put_bool(table: &mut dyn TableLike, key: &str, flag: bool) {
    if !flag && !table.contains_key(key) {
        return;
    }
    put(table, key, Value::from(flag), |v| v.as_bool() == Some(flag));
}

/// Sets a number, leaving the key out when it is absent and at its `default`.
fn put_number(table: &mut dyn TableLike, key: &str, value: f64, default: Option<f64>) {
    if default == Some(value) && !table.contains_key(key) {
        return;
    }
    let was_integer = table
        .get(key)
        .and_then(Item::as_value)
        .is_some_and(Value::is_integer);
    put(table, key, number_value(value, was_integer), |v| {
        number(v) == Some(value)
    });
}

/// Sets a time, in the form the file already uses for it: `"m:ss.mmm"` (when that is exact) or
/// seconds; a new key uses text when `text_if_new`.
fn put_time(
    table: &mut dyn TableLike,
    key: &str,
    time: Seconds,
    default: Option<Seconds>,
    text_if_new: bool,
    tempo: Option<&TempoMap>,
) {
    if default == Some(time) && !table.contains_key(key) {
        return;
    }
    let old = table.get(key).and_then(Item::as_value);
    let as_text = old.map_or(text_if_new, Value::is_str);
    let was_integer = old.is_some_and(Value::is_integer);
    let text = time.to_string();
    let new = if as_text && Seconds::parse(&text) == Some(time) {
        Value::from(text)
    } else {
        number_value(time.0, was_integer)
    };
    put(table, key, new, |v| same_time(v, time, tempo));
}

/// Whether a TOML value (text, bars read through `tempo`, or seconds) is the time `time`.
fn same_time(value: &Value, time: Seconds, tempo: Option<&TempoMap>) -> bool {
    match value.as_str() {
        Some(text) => match BarBeat::parse(text) {
            Some(at) => at
                .and_then(|at| tempo?.seconds(at))
                .is_some_and(|at| at == time),
            None => Seconds::parse(text) == Some(time),
        },
        None => number(value) == Some(time.0),
    }
}

/// A TOML number, or `None` for other values.
fn number(value: &Value) -> Option<f64> {
    value
        .as_float()
        .or_else(|| value.as_integer().map(|i| i as f64))
}

/// A number as TOML: an integer when the file used one here and the value is whole, else a float
/// (`-inf` for off).
fn number_value(value: f64, prefer_integer: bool) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if prefer_integer && value.fract() == 0.0 && value.abs() < EXACT {
        Value::from(value as i64)
    } else {
        Value::from(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::streams::{StemInfo, StreamError};
    use crate::session::file::load_with;
    use crate::session::{Reference, Role, SessionErrors};
    use crate::units::Pan;

    const HAND_WRITTEN: &str = r#"# Folk Arc — rough mix notes
version = 1
name = "Folk Arc"   # working title

[[channel]]
# the bed
name = "Guitar"
file = "guitar.wav"
gain_db = -6        # sits under the vocal

[[channel]]
name = "Vocal"
file = "vocal.wav"
role = "vocal"

# Arrangement
[[section]]
name = "Verse"
start = "0:00.000"

[[section]]
name = "Chorus"
start = 12.5
gain_db = { Guitar = -3.0 }   # lift in the chorus
"#;

    #[allow(clippy::unnecessary_wraps)] // the signature `load_with` needs
    fn fake_probe(_: &Path) -> Result<StemInfo, StreamError> {
        Ok(StemInfo {
            format: "WAV".into(),
            channels: 2,
            sample_rate: 48_000,
            frames: 4_800_000,
        })
    }

    /// Writes `text` as a session file in a temporary folder and loads it with fake stems.
    pub(super) fn load_text(dir: &tempfile::TempDir, text: &str) -> Result<Session, SessionErrors> {
        let path = dir.path().join("s.toml");
        std::fs::write(&path, text).unwrap();
        load_with(&path, &mut fake_probe)
    }

    /// The lines of `after` that are not in `before`, in order.
    pub(super) fn changed_lines<'a>(before: &str, after: &'a str) -> Vec<&'a str> {
        after
            .lines()
            .filter(|line| !before.lines().any(|b| b == *line))
            .collect()
    }

    /// Saving an unchanged session reproduces the hand-written file byte for byte.
    #[test]
    fn unchanged_session_is_written_back_verbatim() {
        let dir = tempfile::tempdir().unwrap();
        let session = load_text(&dir, HAND_WRITTEN).unwrap();
        assert_eq!(
            update_toml_string(HAND_WRITTEN, &session).unwrap(),
            HAND_WRITTEN
        );
    }

    /// Changing values rewrites only their lines, keeping trailing comments and number style.
    #[test]
    fn changed_values_keep_comments_and_style() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, HAND_WRITTEN).unwrap();
        session.channels[0].gain_db = Decibels(-7.0);
        session.channels[1].mute = true;
        session.sections[1].gain_db[0].1 = Decibels(-2.5);
        let text = update_toml_string(HAND_WRITTEN, &session).unwrap();
        assert_eq!(
            changed_lines(HAND_WRITTEN, &text),
            [
                "gain_db = -7        # sits under the vocal",
                "mute = true",
                "gain_db = { Guitar = -2.5 }   # lift in the chorus",
            ]
        );
        assert_eq!(HAND_WRITTEN.lines().count() + 1, text.lines().count());
        assert_eq!(load_text(&dir, &text).unwrap(), session);
    }

    /// Adding, renaming and removing channels and sections edits only those tables.
    #[test]
    fn tables_are_added_renamed_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, HAND_WRITTEN).unwrap();
        session.channels[1].name = "Lead vocal".into();
        session.channels[1].role = None;
        session.channels.push(Channel {
            name: "Bass".into(),
            file: "bass.wav".into(),
            role: Some(Role::Bass),
            trim_db: Decibels(0.0),
            gain_db: Decibels::OFF,
            pan: Pan(-0.25),
            mute: false,
            solo: false,
            start_frames: 0,
            right_file: None,
        });
        session.stems.push(session.stems[0].clone());
        session.sections.remove(0);
        session.sections[0]
            .gain_db
            .push(("Lead vocal".into(), Decibels(1.0)));
        let text = update_toml_string(HAND_WRITTEN, &session).unwrap();
        assert!(
            text.contains("name = \"Lead vocal\"\nfile = \"vocal.wav\"\n\n"),
            "{text}"
        );
        assert!(text.contains("[[channel]]\nname = \"Bass\"\nfile = \"bass.wav\"\nrole = \"bass\"\ngain_db = -inf\npan = -0.25\n"), "{text}");
        assert!(!text.contains("Verse"), "{text}");
        assert!(
            text.contains("gain_db = { Guitar = -3.0, \"Lead vocal\" = 1.0 }"),
            "{text}"
        );
        for comment in [
            "# Folk Arc — rough mix notes",
            "# the bed",
            "# working title",
        ] {
            assert!(text.contains(comment), "{comment} lost:\n{text}");
        }
        assert_eq!(load_text(&dir, &text).unwrap(), session);
    }

    /// A split-stereo channel's two files are written as an array, left then right: an
    /// unchanged one keeps its text, a changed one is rewritten, and both reload as saved.
    #[test]
    fn split_stereo_files_are_saved_as_an_array() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        let text = "version = 1\nname = \"S\"\n\n[[channel]]\nname = \"P\"\nfile = [\"L.wav\", \"R.wav\"]\n";
        std::fs::write(&path, text).unwrap();
        let mut mono = |_: &Path| -> Result<StemInfo, StreamError> {
            Ok(StemInfo {
                format: "WAV".into(),
                channels: 1,
                sample_rate: 48_000,
                frames: 48_000,
            })
        };
        let mut session = load_with(&path, &mut mono).unwrap();
        assert_eq!(session.channels[0].right_file, Some("R.wav".into()));
        assert_eq!(update_toml_string(text, &session).unwrap(), text);
        session.channels[0].right_file = Some("R2.wav".into());
        let changed = update_toml_string(text, &session).unwrap();
        assert!(
            changed.contains("file = [\"L.wav\", \"R2.wav\"]\n"),
            "{changed}"
        );
        std::fs::write(&path, &changed).unwrap();
        assert_eq!(load_with(&path, &mut mono).unwrap(), session);
        std::fs::write(&path, to_toml_string(&session)).unwrap();
        assert_eq!(load_with(&path, &mut mono).unwrap(), session);
    }

    /// Reordering channels shows in the file and survives a reload.
    #[test]
    fn reordered_channels_reload_in_the_new_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, HAND_WRITTEN).unwrap();
        session.channels.swap(0, 1);
        session.stems.swap(0, 1);
        let text = update_toml_string(HAND_WRITTEN, &session).unwrap();
        assert!(
            text.find("\"Vocal\"").unwrap() < text.find("\"Guitar\"").unwrap(),
            "{text}"
        );
        assert!(text.contains("# the bed\nname = \"Guitar\""), "{text}");
        assert_eq!(load_text(&dir, &text).unwrap(), session);
    }

    const SCENES: &str = r#"# Scenes
version = 1
name = "Folk Arc"
ramp_ms = 300   # glide between scenes

[[channel]]
name = "Guitar"
file = "guitar.wav"

[[channel]]
name = "Vocal"
file = "vocal.wav"

# Arrangement
[[section]]
name = "Intro"       # four bars
start = "0:00.000"

[[section]]
# the first verse is sparse
name = "Verse"
start = "0:10.000"
mute = ["Vocal"]     # instrumental first time

[[section]]
name = "Chorus"      # everything up
start = "0:30.000"
gain_db = { Guitar = 2.0 }
ramp_ms = 500        # a slower swell

[[section]]
name = "Outro"
start = "0:50.000"
"#;

    /// Saves `session` into `SCENES`, checks every comment of a section in `kept` survived
    /// and that the text loads back as `session`, and returns the text.
    fn save_scenes(dir: &tempfile::TempDir, session: &Session, kept: &[&str]) -> String {
        let text = update_toml_string(SCENES, session).unwrap();
        for comment in kept {
            assert!(text.contains(comment), "{comment} lost:\n{text}");
        }
        assert_eq!(&load_text(dir, &text).unwrap(), session, "{text}");
        text
    }

    /// Every comment in `SCENES`.
    const SCENE_COMMENTS: [&str; 7] = [
        "# Arrangement",
        "# four bars",
        "# the first verse is sparse",
        "# instrumental first time",
        "# everything up",
        "# a slower swell",
        "# glide between scenes",
    ];

    /// Scene mutes and ramps are read, and an unchanged file is written back verbatim.
    #[test]
    fn scene_keys_round_trip_verbatim() {
        let dir = tempfile::tempdir().unwrap();
        let session = load_text(&dir, SCENES).unwrap();
        assert_eq!(session.ramp_ms, Some(300));
        assert_eq!(session.sections[1].mute, ["Vocal"]);
        assert_eq!(session.sections[2].ramp_ms, Some(500));
        assert_eq!(update_toml_string(SCENES, &session).unwrap(), SCENES);
    }

    /// Changed mutes and ramps rewrite their own lines keeping the comments after them; an
    /// emptied mute list and an unset ramp are removed; new ones are added to their table.
    #[test]
    fn scene_mutes_and_ramps_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, SCENES).unwrap();
        session.ramp_ms = Some(250);
        session.sections[1].mute.insert(0, "Guitar".into());
        session.sections[2].ramp_ms = Some(0);
        session.sections[3].mute.push("Vocal".into());
        session.sections[3].ramp_ms = Some(1200);
        let text = save_scenes(&dir, &session, &SCENE_COMMENTS);
        assert_eq!(
            changed_lines(SCENES, &text),
            [
                "ramp_ms = 250   # glide between scenes",
                "mute = [\"Guitar\", \"Vocal\"]     # instrumental first time",
                "ramp_ms = 0        # a slower swell",
                "mute = [\"Vocal\"]",
                "ramp_ms = 1200",
            ]
        );

        session.ramp_ms = None;
        session.sections[1].mute.clear();
        session.sections[2].ramp_ms = None;
        let text = update_toml_string(&text, &session).unwrap();
        assert!(!text.contains("glide between scenes"), "{text}");
        assert!(!text.contains("instrumental first time"), "{text}");
        assert!(!text.contains("ramp_ms = 0"), "{text}");
        assert!(text.contains("ramp_ms = 1200"), "{text}");
        assert_eq!(load_text(&dir, &text).unwrap(), session);
    }

    /// A section added between two others is written between them, as a new table, and every
    /// comment stays with its section.
    #[test]
    fn a_section_added_in_the_middle_lands_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, SCENES).unwrap();
        session.sections.insert(
            3,
            Section {
                name: "Bridge".into(),
                start: Seconds(40.0),
                gain_db: vec![("Vocal".into(), Decibels(-2.0))],
                mute: vec!["Guitar".into()],
                ramp_ms: Some(100),
            },
        );
        let text = save_scenes(&dir, &session, &SCENE_COMMENTS);
        let bridge = "\n[[section]]\nname = \"Bridge\"\nstart = \"0:40.000\"\n\
                      gain_db = { Vocal = -2.0 }\nmute = [\"Guitar\"]\nramp_ms = 100\n";
        let swell = "ramp_ms = 500        # a slower swell\n";
        assert!(
            text.contains(&format!("{swell}{bridge}\n[[section]]\nname = \"Outro\"")),
            "{text}"
        );
        assert_eq!(
            changed_lines(SCENES, &text),
            [
                "name = \"Bridge\"",
                "start = \"0:40.000\"",
                "gain_db = { Vocal = -2.0 }",
                "mute = [\"Guitar\"]",
                "ramp_ms = 100"
            ]
        );
    }

    /// Removing a section removes its table (and the comments inside it) and nothing else.
    #[test]
    fn a_removed_section_takes_only_its_own_lines() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, SCENES).unwrap();
        let verse = session.sections.remove(1);
        assert_eq!(verse.name, "Verse");
        let text = save_scenes(
            &dir,
            &session,
            &[
                "# Arrangement",
                "# four bars",
                "# everything up",
                "# a slower swell",
            ],
        );
        let removed: Vec<&str> = SCENES
            .lines()
            .filter(|line| !text.lines().any(|t| t == *line))
            .collect();
        assert_eq!(
            removed,
            [
                "# the first verse is sparse",
                "name = \"Verse\"",
                "start = \"0:10.000\"",
                "mute = [\"Vocal\"]     # instrumental first time"
            ]
        );
        assert!(changed_lines(SCENES, &text).is_empty(), "{text}");
    }

    /// A renamed section keeps its table, its place and its comments; so does a section moved
    /// to a new start, whose line alone changes.
    #[test]
    fn renamed_and_moved_sections_keep_their_tables() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, SCENES).unwrap();
        session.sections[2].name = "Refrain".into();
        let text = save_scenes(&dir, &session, &SCENE_COMMENTS);
        assert_eq!(
            changed_lines(SCENES, &text),
            ["name = \"Refrain\"      # everything up"]
        );

        let mut session = load_text(&dir, SCENES).unwrap();
        session.sections[2].start = Seconds(29.5);
        let text = save_scenes(&dir, &session, &SCENE_COMMENTS);
        assert_eq!(changed_lines(SCENES, &text), ["start = \"0:29.500\""]);
    }

    /// A section renamed in the same save as another is removed is still recognised by its
    /// start, so its comments stay with it rather than with the removed section's table.
    #[test]
    fn a_rename_and_a_removal_in_one_save_keep_the_right_comments() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, SCENES).unwrap();
        session.sections.remove(1);
        session.sections[1].name = "Refrain".into();
        let text = save_scenes(&dir, &session, &["# everything up", "# a slower swell"]);
        assert!(
            text.contains("[[section]]\nname = \"Refrain\"      # everything up\n"),
            "{text}"
        );
        assert!(!text.contains("first verse"), "{text}");
    }

    /// A fresh document is tidy, leaves defaults out, and loads back to the same session.
    #[test]
    fn fresh_document_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, HAND_WRITTEN).unwrap();
        session.sample_rate_explicit = true;
        session.master_db = Decibels(-1.5);
        session.reference = Some(Reference {
            file: "ref.wav".into(),
            offset: Seconds(0.25),
            sections: vec![
                ("Chorus".into(), Seconds(30.5)),
                ("Gone".into(), Seconds(1.0)),
            ],
        });
        session.sections[1].start = Seconds(12.345_678_9);
        session.ramp_ms = Some(300);
        session.sections[1].mute = vec!["Vocal".into(), "Guitar".into()];
        session.sections[1].ramp_ms = Some(0);
        let text = to_toml_string(&session);
        let expected = r#"# earmix session

version = 1
name = "Folk Arc"
sample_rate = 48000
master_db = -1.5
ramp_ms = 300

[[channel]]
name = "Guitar"
file = "guitar.wav"
gain_db = -6.0

[[channel]]
name = "Vocal"
file = "vocal.wav"
role = "vocal"

[[section]]
name = "Verse"
start = "0:00.000"

[[section]]
name = "Chorus"
start = 12.3456789
gain_db = { Guitar = -3.0 }
mute = ["Vocal", "Guitar"]
ramp_ms = 0

[reference]
file = "ref.wav"
offset = 0.25
sections = { Chorus = "0:30.500" }
"#;
        assert_eq!(text, expected);
        // The alignment of a section the session does not have is left out.
        session.reference.as_mut().unwrap().sections.pop();
        assert_eq!(load_text(&dir, &text).unwrap(), session);
    }

    /// A file whose times are in bars is written back verbatim (bars are not turned into
    /// seconds), and a fresh document writes the tempo map so it loads back the same.
    #[test]
    fn bars_and_the_tempo_map_survive_saving() {
        let dir = tempfile::tempdir().unwrap();
        let text = HAND_WRITTEN
            .replace(
                "name = \"Folk Arc\"   # working title\n",
                "name = \"Folk Arc\"   # working title\ntempo = 96\nmeter = \"3/4\"\n\n\
                 [[tempo_change]]\nbar = 5\ntempo = 120\n\n\
                 [[tempo_change]]\nbar = 9\nmeter = \"6/8\"\n",
            )
            .replace("start = 12.5", "start = \"bar 5 beat 2\"");
        let session = load_text(&dir, &text).unwrap();
        assert_eq!(session.sections[1].start, Seconds(4.0 * 1.875 + 0.5));
        assert_eq!(update_toml_string(&text, &session).unwrap(), text);
        let fresh = to_toml_string(&session);
        assert!(
            fresh.contains(
                "tempo = 96\nmeter = \"3/4\"\n\n[[tempo_change]]\nbar = 5\ntempo = 120\n\n\
                 [[tempo_change]]\nbar = 9\nmeter = \"6/8\"\n"
            ),
            "{fresh}"
        );
        assert_eq!(load_text(&dir, &fresh).unwrap(), session);
    }
}
