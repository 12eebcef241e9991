//! Writing groups (`[[group]]`) and rides (`[[ride]]`) into a session file, keeping what did
//! not change as written. A changed ride's points are written as `["m:ss.mmm", dB]` pairs,
//! [`POINTS_PER_LINE`] to a line, levels to at most two decimals.

use toml_edit::{Array, Item, Table, Value};

use super::super::automation::{Group, RIDE_MAX_DB, RIDE_MIN_DB, Ride, RidePoint};
use super::super::tempo::TempoMap;
use super::{number, put, put_bool, put_number, put_str, same_time, update_array};
use crate::units::Seconds;

/// How many points a line of a written ride holds.
pub const POINTS_PER_LINE: usize = 4;

/// The session's groups as `[[group]]` tables, matched to the file's by name; new ones go
/// after the last channel.
pub(super) fn update_groups(root: &mut Table, groups: &[Group]) {
    let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    let anchor = last_position(root.get("channel"));
    update_array(
        root,
        "group",
        &names,
        |table| text_of(table, "name"),
        (|_: &Table, _| false, true),
        |table, i| update_group(table, &groups[i]),
    );
    place_new_tables(root, "group", anchor);
}

/// The session's rides as `[[ride]]` tables, matched to the file's by what they ride (or, for a
/// renamed channel or group, by their points); a new one is a new table at the end of the file
/// and a removed one's table goes. `is_group` tells a group's name from a channel's.
pub(super) fn update_rides(
    root: &mut Table,
    rides: &[Ride],
    is_group: impl Fn(&str) -> bool,
    tempo: Option<&TempoMap>,
) {
    let names: Vec<&str> = rides.iter().map(|r| r.target.as_str()).collect();
    let anchor = root
        .iter()
        .filter_map(|(_, item)| last_position(Some(item)))
        .max();
    // A ride whose channel or group was renamed is known by its points.
    let same_ride = |table: &Table, i: usize| {
        let points = table.get("points").and_then(Item::as_value);
        points.is_some_and(|v| same_points(v, &rides[i].points, tempo))
    };
    update_array(
        root,
        "ride",
        &names,
        |table| text_of(table, "channel").or_else(|| text_of(table, "group")),
        (same_ride, false),
        |table, i| update_ride(table, &rides[i], is_group(&rides[i].target), tempo),
    );
    place_new_tables(root, "ride", anchor);
}

fn text_of(table: &Table, key: &str) -> Option<String> {
    table.get(key)?.as_str().map(str::to_string)
}

/// The last document position among the tables of `item` (a table or an array of tables),
/// the tables inside them included.
pub(super) fn last_position(item: Option<&Item>) -> Option<isize> {
    match item? {
        Item::Table(table) => table_end(table),
        Item::ArrayOfTables(array) => array.iter().filter_map(table_end).max(),
        _ => None,
    }
}

/// The last document position of a table and the tables inside it (a snapshot's
/// `[snapshot.rides]` prints after the snapshot).
pub(super) fn table_end(table: &Table) -> Option<isize> {
    let inner = table
        .iter()
        .filter_map(|(_, item)| last_position(Some(item)))
        .max();
    table.position().max(inner)
}

/// Gives each table of the array under `key` that has no place in the document yet the place
/// of the table before it, the first one `anchor`, so new tables print there rather than
/// wherever the key falls (a table without a place prints after the last one before it in key
/// order, and a new key comes last).
pub(super) fn place_new_tables(root: &mut Table, key: &str, anchor: Option<isize>) {
    let Some(Item::ArrayOfTables(array)) = root.get_mut(key) else {
        return;
    };
    let mut last = anchor;
    for table in array.iter_mut() {
        match table.position() {
            Some(position) => last = Some(position),
            None => table.set_position(last),
        }
    }
}

fn update_group(table: &mut Table, group: &Group) {
    put_str(table, "name", &group.name);
    let members = &group.members;
    let same = |v: &Value| {
        v.as_array().is_some_and(|array| {
            array.len() == members.len()
                && array
                    .iter()
                    .zip(members)
                    .all(|(a, name)| a.as_str() == Some(name.as_str()))
        })
    };
    let mut array: Array = members.iter().map(String::as_str).collect();
    array.fmt();
    put(table, "members", Value::Array(array), same);
    put_number(table, "gain_db", group.gain_db.0, Some(0.0));
    put_number(table, "pan", group.pan.0, Some(0.0));
    put_bool(table, "mute", group.mute);
    put_bool(table, "solo", group.solo);
}

fn update_ride(table: &mut Table, ride: &Ride, is_group: bool, tempo: Option<&TempoMap>) {
    let (key, other) = if is_group {
        ("group", "channel")
    } else {
        ("channel", "group")
    };
    table.remove(other);
    put_str(table, key, &ride.target);
    put(table, "points", points_value(&ride.points), |v| {
        same_points(v, &ride.points, tempo)
    });
}

/// A level as written: held within [`RIDE_MIN_DB`]..[`RIDE_MAX_DB`] (a fader pulled off while
/// recording, -inf, is written as the lowest level), rounded to two decimals (0.01 dB), never
/// `-0.0`.
fn written_db(db: f64) -> f64 {
    let rounded = (db.clamp(RIDE_MIN_DB, RIDE_MAX_DB) * 100.0).round() / 100.0;
    if rounded == 0.0 { 0.0 } else { rounded }
}

/// A time as written, in whole milliseconds.
fn written_ms(at: Seconds) -> u64 {
    (at.0.max(0.0) * 1000.0).round() as u64
}

/// Whether a file's `points` value says `points`: the same number of pairs, each at the same
/// time (as written, or to the millisecond) with the same level (as written, or to 0.01 dB).
pub(super) fn same_points(value: &Value, points: &[RidePoint], tempo: Option<&TempoMap>) -> bool {
    let Some(array) = value.as_array() else {
        return false;
    };
    array.len() == points.len()
        && array.iter().zip(points).all(|(written, point)| {
            let Some(pair) = written.as_array().filter(|pair| pair.len() == 2) else {
                return false;
            };
            let (Some(at), Some(db)) = (pair.get(0), pair.get(1).and_then(number)) else {
                return false;
            };
            let same_at = same_time(at, point.at, tempo)
                || at.as_str().and_then(Seconds::parse).map(written_ms)
                    == Some(written_ms(point.at));
            same_at && (db == point.db.0 || db == written_db(point.db.0))
        })
}

/// Ride points as a TOML array of `["m:ss.mmm", dB]` pairs: on one line when there are at most
/// [`POINTS_PER_LINE`], else [`POINTS_PER_LINE`] to an indented line. Times are rounded to the
/// millisecond, each kept at least a millisecond after the one before so the file stays in
/// strictly increasing order.
pub(super) fn points_value(points: &[RidePoint]) -> Value {
    let wrap = points.len() > POINTS_PER_LINE;
    let mut array = Array::new();
    let mut last_ms: Option<u64> = None;
    for (i, point) in points.iter().enumerate() {
        let mut ms = written_ms(point.at);
        if let Some(last) = last_ms
            && ms <= last
        {
            ms = last + 1;
        }
        last_ms = Some(ms);
        let mut pair = Array::new();
        pair.push(Seconds(ms as f64 / 1000.0).to_string());
        pair.push(written_db(point.db.0));
        let mut value = Value::Array(pair);
        let prefix = match (wrap, i) {
            (true, i) if i % POINTS_PER_LINE == 0 => "\n    ",
            (_, 0) => "",
            _ => " ",
        };
        value.decor_mut().set_prefix(prefix);
        value.decor_mut().set_suffix("");
        array.push_formatted(value);
    }
    if wrap {
        array.set_trailing_comma(true);
        array.set_trailing("\n");
    }
    Value::Array(array)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{changed_lines, load_text};
    use super::super::{to_toml_string, update_toml_string};
    use super::*;
    use crate::units::Decibels;

    const AUTOMATED: &str = r#"# Folk Arc with a group and rides
version = 1
name = "Folk Arc"

[[channel]]
name = "Guitar"
file = "guitar.wav"

[[channel]]
name = "Vocal"
file = "vocal.wav"

[[channel]]
name = "Bass"
file = "bass.wav"

# The band moves as one.
[[group]]
name = "Band"
members = ["Guitar", "Bass"]   # not the vocal
gain_db = -2

[[section]]
name = "Verse"
start = "0:00.000"
gain_db = { Band = -1.5 }

# Ridden by ear on Monday.
[[ride]]
channel = "Vocal"
points = [
    ["0:12.000", 0.0], ["0:14.500", 2.0],   # the first line
    ["0:20.000", -1.25],
]

[[ride]]
group = "Band"
points = [[0, 0], [30.5, -3]]
"#;

    /// A file with a group, a scene naming it and rides (one laid out by hand, with a comment
    /// inside) loads, and saving it unchanged gives it back byte for byte.
    #[test]
    fn unchanged_groups_and_rides_are_written_back_verbatim() {
        let dir = tempfile::tempdir().unwrap();
        let session = load_text(&dir, AUTOMATED).unwrap();
        assert_eq!(
            session.groups,
            [Group {
                gain_db: Decibels(-2.0),
                ..Group::new("Band", vec!["Guitar".into(), "Bass".into()])
            }]
        );
        assert_eq!(session.rides.len(), 2);
        assert_eq!(session.rides[0].points[2], RidePoint::new(20.0, -1.25));
        assert_eq!(update_toml_string(AUTOMATED, &session).unwrap(), AUTOMATED);
    }

    /// A group's changed controls rewrite their own lines; a changed ride is rewritten as
    /// "m:ss.mmm" pairs, an added one is a new table at the end of the file (four points to a
    /// line), an unchanged one keeps its text and comments, and everything loads back the same.
    #[test]
    fn changed_and_added_rides_and_groups_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, AUTOMATED).unwrap();
        session.groups[0].gain_db = Decibels(-4.0);
        session.groups[0].mute = true;
        session.groups[0].members.push("Vocal".into());
        session.rides[1].points.push(RidePoint::new(40.0, 1.0));
        session.rides.push(Ride {
            target: "Bass".into(),
            points: (1..=6)
                .map(|i| RidePoint::new(f64::from(i), 0.5 * f64::from(i - 1)))
                .collect(),
        });
        let text = update_toml_string(AUTOMATED, &session).unwrap();
        assert_eq!(
            changed_lines(AUTOMATED, &text),
            [
                "members = [\"Guitar\", \"Bass\", \"Vocal\"]   # not the vocal",
                "gain_db = -4",
                "mute = true",
                "points = [[\"0:00.000\", 0.0], [\"0:30.500\", -3.0], [\"0:40.000\", 1.0]]",
                "channel = \"Bass\"",
                "    [\"0:01.000\", 0.0], [\"0:02.000\", 0.5], [\"0:03.000\", 1.0], \
                 [\"0:04.000\", 1.5],",
                "    [\"0:05.000\", 2.0], [\"0:06.000\", 2.5],",
            ]
        );
        assert!(
            text.ends_with(
                "[\"0:40.000\", 1.0]]\n\n[[ride]]\nchannel = \"Bass\"\npoints = [\n    \
                 [\"0:01.000\", 0.0], [\"0:02.000\", 0.5], [\"0:03.000\", 1.0], \
                 [\"0:04.000\", 1.5],\n    [\"0:05.000\", 2.0], [\"0:06.000\", 2.5],\n]\n"
            ),
            "{text}"
        );
        assert_eq!(load_text(&dir, &text).unwrap(), session);
        // Saving again changes nothing.
        assert_eq!(update_toml_string(&text, &session).unwrap(), text);
    }

    /// Removing a ride or a group removes its table and the comment above it, and nothing else.
    #[test]
    fn removed_rides_and_groups_take_only_their_own_lines() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, AUTOMATED).unwrap();
        session.rides.clear();
        session.groups.clear();
        session.sections[0].gain_db.clear();
        let text = update_toml_string(AUTOMATED, &session).unwrap();
        assert!(changed_lines(AUTOMATED, &text).is_empty(), "{text}");
        assert!(
            text.ends_with("name = \"Verse\"\nstart = \"0:00.000\"\n"),
            "{text}"
        );
        assert!(!text.contains("Band") && !text.contains("Monday"), "{text}");
        assert_eq!(load_text(&dir, &text).unwrap(), session);

        let mut session = load_text(&dir, AUTOMATED).unwrap();
        session.rides.remove(0);
        let text = update_toml_string(AUTOMATED, &session).unwrap();
        let removed: Vec<&str> = AUTOMATED
            .lines()
            .filter(|line| !text.lines().any(|t| t == *line))
            .collect();
        assert_eq!(
            removed,
            [
                "# Ridden by ear on Monday.",
                "channel = \"Vocal\"",
                "points = [",
                "    [\"0:12.000\", 0.0], [\"0:14.500\", 2.0],   # the first line",
                "    [\"0:20.000\", -1.25],",
                "]",
            ]
        );
        assert_eq!(load_text(&dir, &text).unwrap(), session);
    }

    /// A ride removed and another added in one save is a removal and an addition (the
    /// removed ride's comment goes with it); a ride whose channel was renamed keeps its table.
    #[test]
    fn rides_are_known_by_target_or_by_points() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = load_text(&dir, AUTOMATED).unwrap();
        session.rides.remove(0);
        session.rides.push(Ride {
            target: "Guitar".into(),
            points: vec![RidePoint::new(1.0, 1.0)],
        });
        let text = update_toml_string(AUTOMATED, &session).unwrap();
        assert!(!text.contains("Monday"), "{text}");
        assert!(
            text.ends_with(
                "group = \"Band\"\npoints = [[0, 0], [30.5, -3]]\n\n[[ride]]\n\
                 channel = \"Guitar\"\npoints = [[\"0:01.000\", 1.0]]\n"
            ),
            "{text}"
        );
        assert_eq!(load_text(&dir, &text).unwrap(), session);

        let mut session = load_text(&dir, AUTOMATED).unwrap();
        session.channels[1].name = "Lead vocal".into();
        session.rides[0].target = "Lead vocal".into();
        let text = update_toml_string(AUTOMATED, &session).unwrap();
        assert_eq!(
            changed_lines(AUTOMATED, &text),
            ["name = \"Lead vocal\"", "channel = \"Lead vocal\""]
        );
        assert_eq!(load_text(&dir, &text).unwrap(), session);
    }

    /// A group added to a file without groups goes after the last channel, before the
    /// sections, and the file loads back the same.
    #[test]
    fn a_new_group_goes_after_the_channels() {
        let dir = tempfile::tempdir().unwrap();
        let start = AUTOMATED.find("# The band").unwrap();
        let end = AUTOMATED.find("[[section]]").unwrap();
        let without = format!("{}{}", &AUTOMATED[..start], &AUTOMATED[end..])
            .replace("group = \"Band\"", "channel = \"Bass\"")
            .replace("gain_db = { Band = -1.5 }\n", "");
        let mut session = load_text(&dir, &without).unwrap();
        assert!(session.groups.is_empty());
        session
            .groups
            .push(Group::new("Rhythm", vec!["Guitar".into(), "Bass".into()]));
        let text = update_toml_string(&without, &session).unwrap();
        assert!(
            text.contains(
                "file = \"bass.wav\"\n\n[[group]]\nname = \"Rhythm\"\n\
                 members = [\"Guitar\", \"Bass\"]\n\n[[section]]"
            ),
            "{text}"
        );
        assert_eq!(load_text(&dir, &text).unwrap(), session);
    }

    /// A fresh document writes groups after the channels and rides after the sections, and
    /// loads back the same.
    #[test]
    fn a_fresh_document_writes_groups_and_rides() {
        let dir = tempfile::tempdir().unwrap();
        let session = load_text(&dir, AUTOMATED).unwrap();
        let text = to_toml_string(&session);
        assert!(
            text.contains(
                "file = \"bass.wav\"\n\n[[group]]\nname = \"Band\"\n\
                 members = [\"Guitar\", \"Bass\"]\ngain_db = -2.0\n\n[[section]]"
            ),
            "{text}"
        );
        assert!(
            text.ends_with(
                "[[ride]]\nchannel = \"Vocal\"\npoints = [[\"0:12.000\", 0.0], \
                 [\"0:14.500\", 2.0], [\"0:20.000\", -1.25]]\n\n\
                 [[ride]]\ngroup = \"Band\"\npoints = [[\"0:00.000\", 0.0], [\"0:30.500\", -3.0]]\n"
            ),
            "{text}"
        );
        assert_eq!(load_text(&dir, &text).unwrap(), session);
    }

    /// Written points round levels to 0.01 dB (never "-0.0") and times to the millisecond,
    /// keep each time at least a millisecond after the one before, and a written ride counts
    /// as the recorded one it was rounded from, so saving again leaves it alone.
    #[test]
    fn written_points_are_rounded_and_stay_in_order() {
        let points = [
            RidePoint::new(1.000_2, -0.004),
            RidePoint::new(1.000_6, 1.234_9),
            RidePoint::new(2.5, -60.0),
        ];
        let value = points_value(&points);
        assert_eq!(
            value.to_string(),
            "[[\"0:01.000\", 0.0], [\"0:01.001\", 1.23], [\"0:02.500\", -60.0]]"
        );
        // Levels out of range are held at its ends.
        let extremes = [
            RidePoint::new(0.0, f64::NEG_INFINITY),
            RidePoint::new(1.0, 30.0),
        ];
        assert_eq!(
            points_value(&extremes).to_string(),
            "[[\"0:00.000\", -60.0], [\"0:01.000\", 24.0]]"
        );
        let written: Value = "[[\"0:01.000\", 0.0], [\"0:01.001\", 1.23], [2.5, -60]]"
            .parse()
            .unwrap();
        assert!(!same_points(&written, &points[1..], None));
        let exact: Value = "[[\"0:01.001\", 1.23], [2.5, -60]]".parse().unwrap();
        assert!(same_points(&exact, &points[1..], None));
        let moved: Value = "[[\"0:01.002\", 1.23], [2.5, -60]]".parse().unwrap();
        assert!(!same_points(&moved, &points[1..], None));
    }
}
