//! Writing snapshots (`[[snapshot]]`) into a session file, keeping what did not change as
//! written. The faders, trims, pans, scenes and scene mutes are inline tables, the mutes an
//! inline list, and the rides a `[snapshot.rides]` table of their own, one line per ride.

use toml_edit::{Array, InlineTable, Item, Table, Value};

use super::super::snapshot::Snapshot;
use super::super::tempo::TempoMap;
use super::automation::{points_value, same_points, table_end};
use super::{number, number_value, put, put_number, put_str, table_name, update_array};
use crate::units::Decibels;

/// The session's snapshots as `[[snapshot]]` tables, matched to the file's by name (a renamed
/// one by its faders); new ones go at the end of the file.
pub(super) fn update_snapshots(root: &mut Table, snapshots: &[Snapshot], tempo: Option<&TempoMap>) {
    let names: Vec<&str> = snapshots.iter().map(|s| s.name.as_str()).collect();
    let anchor = root
        .iter()
        .filter_map(|(_, item)| super::automation::last_position(Some(item)))
        .max();
    let same_faders = |table: &Table, i: usize| {
        let faders = table.get("gain_db").and_then(Item::as_value);
        faders.is_some_and(|v| same_map(v, &levels(&snapshots[i].gain_db)))
    };
    update_array(
        root,
        "snapshot",
        &names,
        table_name,
        (same_faders, false),
        |table, i| update_snapshot(table, &snapshots[i], tempo),
    );
    place_new_snapshots(root, anchor);
}

/// Gives each new snapshot table (and its rides table) the place after the one before it, the
/// tables inside that one included, so a new snapshot never lands between an old one and its
/// `[snapshot.rides]`.
fn place_new_snapshots(root: &mut Table, anchor: Option<isize>) {
    let Some(Item::ArrayOfTables(array)) = root.get_mut("snapshot") else {
        return;
    };
    let mut last = anchor;
    for table in array.iter_mut() {
        if table.position().is_some() {
            last = table_end(table).max(last);
            continue;
        }
        table.set_position(last);
        if let Some(Item::Table(rides)) = table.get_mut("rides")
            && rides.position().is_none()
        {
            rides.set_position(last);
        }
    }
}

fn levels(entries: &[(String, Decibels)]) -> Vec<(String, f64)> {
    entries
        .iter()
        .map(|(name, db)| (name.clone(), db.0))
        .collect()
}

fn update_snapshot(table: &mut Table, snapshot: &Snapshot, tempo: Option<&TempoMap>) {
    put_str(table, "name", &snapshot.name);
    put_number(table, "master_db", snapshot.master_db.0, Some(0.0));
    put_map(table, "gain_db", &levels(&snapshot.gain_db), true);
    put_map(table, "trim_db", &levels(&snapshot.trim_db), false);
    let pans: Vec<(String, f64)> = snapshot
        .pan
        .iter()
        .map(|(name, pan)| (name.clone(), pan.0))
        .collect();
    put_map(table, "pan", &pans, false);
    put_list(table, "mute", &snapshot.mute);
    let scenes: Vec<(String, Vec<(String, f64)>)> = snapshot
        .scenes
        .iter()
        .map(|s| (s.section.clone(), levels(&s.gain_db)))
        .collect();
    if scenes.is_empty() {
        table.remove("scenes");
    } else {
        let mut value = InlineTable::new();
        for (section, gains) in &scenes {
            value.insert(section, Value::InlineTable(map_value(gains)));
        }
        value.fmt();
        put(table, "scenes", Value::InlineTable(value), |v| {
            v.as_inline_table().is_some_and(|t| {
                t.len() == scenes.len()
                    && scenes
                        .iter()
                        .all(|(section, gains)| t.get(section).is_some_and(|v| same_map(v, gains)))
            })
        });
    }
    let muted: Vec<(&str, &[String])> = snapshot
        .scenes
        .iter()
        .filter(|s| !s.mute.is_empty())
        .map(|s| (s.section.as_str(), s.mute.as_slice()))
        .collect();
    if muted.is_empty() {
        table.remove("scene_mute");
    } else {
        let mut value = InlineTable::new();
        for (section, names) in &muted {
            value.insert(*section, Value::Array(list_value(names)));
        }
        value.fmt();
        put(table, "scene_mute", Value::InlineTable(value), |v| {
            v.as_inline_table().is_some_and(|t| {
                t.len() == muted.len()
                    && muted
                        .iter()
                        .all(|(section, names)| t.get(section).is_some_and(|v| same_list(v, names)))
            })
        });
    }
    update_rides(table, snapshot, tempo);
}

/// The snapshot's rides as a `[snapshot.rides]` table, one key per channel or group.
fn update_rides(table: &mut Table, snapshot: &Snapshot, tempo: Option<&TempoMap>) {
    if snapshot.rides.is_empty() {
        table.remove("rides");
        return;
    }
    if !matches!(table.get("rides"), Some(Item::Table(_))) {
        table.insert("rides", Item::Table(Table::new()));
    }
    let Some(Item::Table(rides)) = table.get_mut("rides") else {
        return;
    };
    let stale: Vec<String> = rides
        .iter()
        .map(|(key, _)| key.to_string())
        .filter(|key| snapshot.ride(key).is_none())
        .collect();
    for key in stale {
        rides.remove(&key);
    }
    for ride in &snapshot.rides {
        put(rides, &ride.target, points_value(&ride.points), |v| {
            same_points(v, &ride.points, tempo)
        });
    }
}

/// Sets a map of names and numbers as an inline table (left out when empty, unless
/// `always`); a map that already says the same is left as written.
fn put_map(table: &mut Table, key: &str, entries: &[(String, f64)], always: bool) {
    if entries.is_empty() && !always {
        table.remove(key);
        return;
    }
    put(table, key, Value::InlineTable(map_value(entries)), |v| {
        same_map(v, entries)
    });
}

fn map_value(entries: &[(String, f64)]) -> InlineTable {
    let mut map = InlineTable::new();
    for (name, v) in entries {
        map.insert(name, number_value(*v, false));
    }
    map.fmt();
    map
}

/// Whether a file's inline table holds exactly `entries` (in any order).
fn same_map(value: &Value, entries: &[(String, f64)]) -> bool {
    value.as_inline_table().is_some_and(|map| {
        map.len() == entries.len()
            && entries
                .iter()
                .all(|(name, v)| map.get(name).and_then(number) == Some(*v))
    })
}

/// Sets a list of names, left out when empty.
fn put_list(table: &mut Table, key: &str, names: &[String]) {
    if names.is_empty() {
        table.remove(key);
        return;
    }
    put(table, key, Value::Array(list_value(names)), |v| {
        same_list(v, names)
    });
}

fn list_value(names: &[String]) -> Array {
    let mut array: Array = names.iter().map(String::as_str).collect();
    array.fmt();
    array
}

fn same_list(value: &Value, names: &[String]) -> bool {
    value.as_array().is_some_and(|array| {
        array.len() == names.len()
            && array
                .iter()
                .zip(names)
                .all(|(a, name)| a.as_str() == Some(name.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{changed_lines, load_text};
    use super::super::{to_toml_string, update_toml_string};
    use crate::session::{Group, Ride, RidePoint, Snapshot};
    use crate::units::{Decibels, Pan};

    const WITH_SNAPSHOT: &str = r#"version = 1
name = "Song"

[[channel]]
name = "Guitar"
file = "guitar.wav"

[[channel]]
name = "Bass"
file = "bass.wav"

[[section]]
name = "Verse"
start = 0

[[section]]
name = "Chorus"
start = 10

# the rough mix from Tuesday
[[snapshot]]
name = "Tuesday"
gain_db = { Guitar = -3, Bass = 0 }   # guitar tucked in
mute = ["Bass"]
scenes = { Verse = {}, Chorus = { Guitar = -1.5 } }

[snapshot.rides]
Guitar = [["0:01.000", 0.0], ["0:02.000", -2.0]]
"#;

    /// A hand-written snapshot, with comments, is written back byte for byte when nothing
    /// changed.
    #[test]
    fn unchanged_snapshots_are_written_back_verbatim() {
        let dir = tempfile::tempdir().unwrap();
        let session = load_text(&dir, WITH_SNAPSHOT).unwrap();
        assert_eq!(session.snapshots.len(), 1);
        assert_eq!(
            session.snapshots[0].rides[0].points[1],
            RidePoint::new(2.0, -2.0)
        );
        assert_eq!(
            update_toml_string(WITH_SNAPSHOT, &session).unwrap(),
            WITH_SNAPSHOT
        );
    }

    /// A snapshot taken of a mix with a group, trims, pans, mutes, scenes and a ride is saved
    /// (into the hand-written file and into a fresh one) and loads back equal; the old
    /// snapshot's lines and comments stay as they were.
    #[test]
    fn taken_snapshots_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, WITH_SNAPSHOT).unwrap();
        session.groups.push(Group {
            gain_db: Decibels(-2.5),
            pan: Pan(0.25),
            mute: true,
            ..Group::new("Band", vec!["Guitar".into(), "Bass".into()])
        });
        session.channels[0].trim_db = Decibels(3.0);
        session.channels[1].pan = Pan(-0.5);
        session.channels[1].gain_db = Decibels(f64::NEG_INFINITY);
        session.master_db = Decibels(-1.0);
        session.sections[1].mute = vec!["Bass".into()];
        session.rides.push(Ride {
            target: "Band".into(),
            points: vec![RidePoint::new(0.5, 1.25), RidePoint::new(4.0, -3.0)],
        });
        session
            .snapshots
            .push(Snapshot::take(&session, "Wednesday \"late\""));
        let saved = update_toml_string(WITH_SNAPSHOT, &session).unwrap();
        let old = &WITH_SNAPSHOT[WITH_SNAPSHOT.find("# the rough").unwrap()..];
        assert!(saved.contains(old), "{saved}");
        let reloaded = load_text(&dir, &saved).unwrap();
        assert_eq!(reloaded.snapshots, session.snapshots, "{saved}");
        let fresh = load_text(&dir, &to_toml_string(&session)).unwrap();
        assert_eq!(fresh.snapshots, session.snapshots);
    }

    /// Renaming a snapshot changes its name line only; removing one takes its lines and its
    /// rides table with it.
    #[test]
    fn renamed_and_removed_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, WITH_SNAPSHOT).unwrap();
        session.snapshots[0].name = "Tue".into();
        let renamed = update_toml_string(WITH_SNAPSHOT, &session).unwrap();
        assert_eq!(changed_lines(WITH_SNAPSHOT, &renamed), ["name = \"Tue\""]);
        session.snapshots.clear();
        let removed = update_toml_string(WITH_SNAPSHOT, &session).unwrap();
        assert!(!removed.contains("snapshot") && !removed.contains("Guitar = [["));
        assert!(removed.contains("start = 10\n"), "{removed}");
    }
}
