//! The snapshot list as a journal line: `{ edit = "snapshots", snapshots = [{ name = "A",
//! master_db = 0.0, gain_db = { Bass = -3.0 }, trim_db = {}, pan = {}, mute = [], scenes =
//! { Verse = { gain_db = {}, mute = [] } }, rides = { Bass = [[1.0, 2.0]] } }] }`, every number
//! written so it reads back bit for bit.

use std::fmt::Write as _;

use toml_edit::{InlineTable, Value};

use super::{float, number, parse_points, parse_table, str_field, toml_key, toml_string};
use crate::session::automation::Ride;
use crate::session::{SceneSnapshot, Snapshot};
use crate::units::{Decibels, Pan};

/// The edit line for a new snapshot list.
pub(super) fn snapshots_line(snapshots: &[Snapshot]) -> String {
    let list: Vec<String> = snapshots.iter().map(snapshot_table).collect();
    format!(
        "{{ edit = \"snapshots\", snapshots = [{}] }}",
        list.join(", ")
    )
}

fn map_text(entries: impl Iterator<Item = (String, f64)>) -> String {
    let parts: Vec<String> = entries
        .map(|(name, v)| format!("{} = {}", toml_key(&name), float(v)))
        .collect();
    if parts.is_empty() {
        "{}".to_string()
    } else {
        format!("{{ {} }}", parts.join(", "))
    }
}

fn names_text(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| toml_string(n)).collect();
    format!("[{}]", quoted.join(", "))
}

fn snapshot_table(snapshot: &Snapshot) -> String {
    let dbs = |list: &[(String, Decibels)]| map_text(list.iter().map(|(n, db)| (n.clone(), db.0)));
    let mut line = format!(
        "{{ name = {}, master_db = {}, gain_db = {}, trim_db = {}, pan = {}, mute = {}",
        toml_string(&snapshot.name),
        float(snapshot.master_db.0),
        dbs(&snapshot.gain_db),
        dbs(&snapshot.trim_db),
        map_text(snapshot.pan.iter().map(|(n, pan)| (n.clone(), pan.0))),
        names_text(&snapshot.mute),
    );
    let scenes: Vec<String> = snapshot
        .scenes
        .iter()
        .map(|s| {
            format!(
                "{} = {{ gain_db = {}, mute = {} }}",
                toml_key(&s.section),
                dbs(&s.gain_db),
                names_text(&s.mute)
            )
        })
        .collect();
    let _ = write!(line, ", scenes = {{ {} }}", scenes.join(", "));
    let rides: Vec<String> = snapshot
        .rides
        .iter()
        .map(|r| {
            let pairs: Vec<String> = r
                .points
                .iter()
                .map(|p| format!("[{}, {}]", float(p.at.0), float(p.db.0)))
                .collect();
            format!("{} = [{}]", toml_key(&r.target), pairs.join(", "))
        })
        .collect();
    let _ = write!(line, ", rides = {{ {} }} }}", rides.join(", "));
    line
}

/// Reads the `snapshots` of a snapshot list line.
pub(super) fn parse_snapshots(value: Option<&Value>) -> Result<Vec<Snapshot>, String> {
    value
        .and_then(Value::as_array)
        .ok_or("'snapshots' must be an array of snapshots")?
        .iter()
        .map(parse_snapshot)
        .collect()
}

fn parse_snapshot(value: &Value) -> Result<Snapshot, String> {
    let table = value
        .as_inline_table()
        .ok_or("a snapshot must be an inline table")?;
    let text = table.to_string();
    let table = parse_table(
        text.trim(),
        &[
            "name",
            "master_db",
            "gain_db",
            "trim_db",
            "pan",
            "mute",
            "scenes",
            "rides",
        ],
    )?;
    let map = |key: &str| table.get(key).and_then(Value::as_inline_table);
    let scenes = map("scenes")
        .ok_or("'scenes' must be a table")?
        .iter()
        .map(|(section, scene)| {
            let scene = scene.as_inline_table().ok_or("a scene must be a table")?;
            Ok(SceneSnapshot {
                section: section.to_string(),
                gain_db: levels(scene.get("gain_db").and_then(Value::as_inline_table))?
                    .into_iter()
                    .map(|(n, v)| (n, Decibels(v)))
                    .collect(),
                mute: names(scene.get("mute"))?,
            })
        })
        .collect::<Result<_, String>>()?;
    let rides = map("rides")
        .ok_or("'rides' must be a table")?
        .iter()
        .map(|(target, points)| {
            Ok(Ride {
                target: target.to_string(),
                points: parse_points(points)?,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Snapshot {
        name: str_field(&table, "name")?.to_string(),
        master_db: Decibels(
            table
                .get("master_db")
                .and_then(number)
                .ok_or("'master_db' must be a number")?,
        ),
        gain_db: levels(map("gain_db"))?
            .into_iter()
            .map(|(n, v)| (n, Decibels(v)))
            .collect(),
        trim_db: levels(map("trim_db"))?
            .into_iter()
            .map(|(n, v)| (n, Decibels(v)))
            .collect(),
        pan: levels(map("pan"))?
            .into_iter()
            .map(|(n, v)| (n, Pan(v)))
            .collect(),
        mute: names(table.get("mute"))?,
        scenes,
        rides,
    })
}

fn levels(map: Option<&InlineTable>) -> Result<Vec<(String, f64)>, String> {
    map.ok_or("a snapshot's levels must be a table")?
        .iter()
        .map(|(name, v)| {
            let v = number(v).ok_or("a snapshot's level must be a number")?;
            Ok((name.to_string(), v))
        })
        .collect()
}

fn names(value: Option<&Value>) -> Result<Vec<String>, String> {
    value
        .and_then(Value::as_array)
        .ok_or("a snapshot's mutes must be a list of names")?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| "a snapshot's mutes must be names".to_string())
        })
        .collect()
}
