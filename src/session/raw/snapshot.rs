//! A `[[snapshot]]` table as written (see [`crate::session::snapshot`] for what it holds).

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{GainMap, NamedMap, RawPoints, Reader, found};
use crate::session::locate::join_key;

/// The keys allowed in a `[[snapshot]]` table.
const SNAPSHOT_KEYS: &[&str] = &[
    "name",
    "master_db",
    "gain_db",
    "trim_db",
    "pan",
    "mute",
    "scenes",
    "scene_mute",
    "rides",
];

/// A list of names as written.
pub(crate) type NameList = Vec<Spanned<String>>;

/// One `[[snapshot]]` table.
#[derive(Debug, Default)]
pub(crate) struct RawSnapshot {
    pub name: Option<Spanned<String>>,
    pub master_db: Option<Spanned<super::Number>>,
    pub gain_db: Option<Spanned<GainMap>>,
    pub trim_db: Option<Spanned<GainMap>>,
    pub pan: Option<Spanned<GainMap>>,
    pub mute: Option<Spanned<NameList>>,
    pub scenes: Option<Spanned<NamedMap<GainMap>>>,
    pub scene_mute: Option<Spanned<NamedMap<NameList>>>,
    /// Each ride as written: what it rides (the key) and its points, when they could be read.
    pub rides: Vec<(Spanned<String>, Option<Spanned<RawPoints>>)>,
}

/// Reads one `[[snapshot]]` table.
pub(super) fn read_snapshot(
    r: &mut Reader<'_, '_>,
    table: &DeTable<'_>,
    prefix: &str,
) -> RawSnapshot {
    let mut snapshot = RawSnapshot::default();
    for (key, value, path) in r.entries(table, prefix, SNAPSHOT_KEYS, "[[snapshot]]") {
        match key {
            "name" => snapshot.name = r.value(value, path),
            "master_db" => snapshot.master_db = r.value(value, path),
            "gain_db" => snapshot.gain_db = r.value(value, path),
            "trim_db" => snapshot.trim_db = r.value(value, path),
            "pan" => snapshot.pan = r.value(value, path),
            "mute" => snapshot.mute = r.value(value, path),
            "scenes" => snapshot.scenes = r.value(value, path),
            "scene_mute" => snapshot.scene_mute = r.value(value, path),
            _ => snapshot.rides = read_rides(r, value, path),
        }
    }
    snapshot
}

/// A snapshot's `rides`: a table of channel or group names, each with its points.
fn read_rides(
    r: &mut Reader<'_, '_>,
    value: &Spanned<DeValue<'_>>,
    path: String,
) -> Vec<(Spanned<String>, Option<Spanned<RawPoints>>)> {
    let DeValue::Table(table) = value.get_ref() else {
        let message = format!(
            "expected a table of rides, each a channel or group and its points, like \
             {{ Vox = [[\"0:12.000\", 0.0], [\"0:14.500\", 2.0]] }}, not {}",
            found(value)
        );
        r.shape_error(value, path, message);
        return Vec::new();
    };
    let mut rides: Vec<(Spanned<String>, Option<Spanned<RawPoints>>)> = table
        .iter()
        .map(|(key, points)| {
            let name = Spanned::new(key.span(), key.get_ref().to_string());
            let points = r.points(points, join_key(&path, key.get_ref()));
            (name, points)
        })
        .collect();
    // The file's order is the spans'.
    rides.sort_by_key(|(name, _)| name.span().start);
    rides
}
