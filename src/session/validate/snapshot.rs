//! The `[[snapshot]]` tables of a session file: each snapshot's name and the mix it keeps,
//! every name it gives checked against the session's channels, groups and sections.

use toml::Spanned;

use super::super::Section;
use super::super::automation::Ride;
use super::super::limits::{FADER, Limits, MASTER, PAN, TRIM};
use super::super::locate::join_key;
use super::super::raw::{GainMap, NameList, RawSnapshot};
use super::super::snapshot::{SceneSnapshot, Snapshot};
use super::Checker;
use super::automation::{Named, check_points, listed};
use crate::units::{Decibels, Pan, Seconds};

/// What the names of a snapshot may be: the session's channels, groups and sections.
pub(super) struct Names<'n, 'r> {
    pub channels: &'n [Named<'r>],
    pub groups: &'n [Named<'r>],
    pub sections: &'n [Section],
}

impl Names<'_, '_> {
    fn is_channel(&self, name: &str) -> bool {
        self.channels.iter().any(|n| n.name == name)
    }

    fn is_group(&self, name: &str) -> bool {
        self.groups.iter().any(|n| n.name == name)
    }

    /// Why `name` is not a channel or group, or `None` when it is one.
    fn not_a_strip(&self, name: &str) -> Option<String> {
        if self.is_channel(name) || self.is_group(name) {
            return None;
        }
        let groups = if self.groups.is_empty() {
            String::new()
        } else {
            format!("; {}", listed(self.groups, "group"))
        };
        Some(format!(
            "no channel or group is named {name:?}; {}{groups}",
            listed(self.channels, "channel")
        ))
    }

    /// Why `name` is not a section, or `None` when it is one.
    fn not_a_section(&self, name: &str) -> Option<String> {
        if self.sections.iter().any(|s| s.name == name) {
            return None;
        }
        if self.sections.is_empty() {
            return Some(format!(
                "no section is named {name:?}; the session has no sections"
            ));
        }
        let quoted: Vec<String> = self
            .sections
            .iter()
            .map(|s| format!("{:?}", s.name))
            .collect();
        Some(format!(
            "no section is named {name:?}; the sections are {}",
            quoted.join(", ")
        ))
    }
}

/// Checks every `[[snapshot]]`: a unique, non-empty name; its faders (`gain_db`, which it must
/// have: the channels and groups it knows), trims (channels only), pans and mutes naming
/// channels or groups, each within its range; scenes naming sections; rides naming channels or
/// groups, with points as a `[[ride]]` has them (up to `length`, when known).
pub(super) fn check_snapshots(
    check: &mut Checker<'_, '_>,
    tables: &[Spanned<RawSnapshot>],
    (channels, groups, sections): (&[Named<'_>], &[Named<'_>], &[Section]),
    length: Option<Seconds>,
) -> Vec<Snapshot> {
    let names = &Names {
        channels,
        groups,
        sections,
    };
    let mut out: Vec<Snapshot> = Vec::with_capacity(tables.len());
    for (i, table) in tables.iter().enumerate() {
        let prefix = format!("snapshot[{}]", i + 1);
        let key = |k: &str| join_key(&prefix, k);
        let at = table.span().start;
        let raw = table.get_ref();
        let name = check.name(raw.name.as_ref(), at, &key("name"), "[[snapshot]]");
        if let Some(written) = raw.name.as_ref().filter(|_| !name.is_empty())
            && let Some(first) = tables[..i]
                .iter()
                .position(|t| t.get_ref().name.as_ref().map(Spanned::get_ref) == Some(&name))
        {
            check.bad(
                &written.span(),
                &key("name"),
                format!(
                    "snapshot[{}] already has this name; snapshot names must be unique",
                    first + 1
                ),
            );
        }
        let master_db = check.number(raw.master_db.as_ref(), &key("master_db"), &MASTER, 0.0);
        if raw.gain_db.is_none() {
            check.missing(
                at,
                &key("gain_db"),
                "missing: every [[snapshot]] needs the faders it keeps, like \
                 gain_db = { Kick = -3.0, Vox = 0.0 }",
            );
        }
        let strip = |n: &str| names.not_a_strip(n);
        let gain_db = levels(check, raw.gain_db.as_ref(), &key("gain_db"), &FADER, strip);
        let trim_db = levels(check, raw.trim_db.as_ref(), &key("trim_db"), &TRIM, |n| {
            if names.is_group(n) {
                Some(format!("{n:?} is a group, and a group has no trim"))
            } else {
                names.not_a_strip(n)
            }
        });
        let pan = levels(check, raw.pan.as_ref(), &key("pan"), &PAN, strip);
        let mute = name_list(check, raw.mute.as_ref(), &key("mute"), names);
        let scenes = check_scenes(check, raw, &prefix, names);
        let rides = check_rides(check, raw, &prefix, names, length);
        out.push(Snapshot {
            name,
            master_db: Decibels(master_db),
            gain_db: gain_db.into_iter().map(|(n, v)| (n, Decibels(v))).collect(),
            trim_db: trim_db.into_iter().map(|(n, v)| (n, Decibels(v))).collect(),
            pan: pan.into_iter().map(|(n, v)| (n, Pan(v))).collect(),
            mute,
            scenes,
            rides,
        });
    }
    out
}

/// A map of names and numbers: each name passes `name_ok` (`None`: allowed, else why not)
/// and is given once, each number is within `limits`. Returns the entries that pass.
fn levels(
    check: &mut Checker<'_, '_>,
    map: Option<&Spanned<GainMap>>,
    key: &str,
    limits: &Limits,
    name_ok: impl Fn(&str) -> Option<String>,
) -> Vec<(String, f64)> {
    let Some(map) = map else {
        return Vec::new();
    };
    let mut out: Vec<(String, f64)> = Vec::with_capacity(map.get_ref().0.len());
    for (name, value) in &map.get_ref().0 {
        let entry = join_key(key, name.get_ref());
        if let Some(why) = name_ok(name.get_ref()) {
            check.bad(&name.span(), &entry, why);
            continue;
        }
        let v = value.get_ref().0;
        if !limits.allows(v) {
            check.bad(&value.span(), &entry, limits.rule);
            continue;
        }
        out.push((name.get_ref().clone(), v));
    }
    out
}

/// A list of channels and groups, each once. Returns the names that pass.
fn name_list(
    check: &mut Checker<'_, '_>,
    list: Option<&Spanned<NameList>>,
    key: &str,
    names: &Names<'_, '_>,
) -> Vec<String> {
    let Some(list) = list else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::with_capacity(list.get_ref().len());
    for (j, item) in list.get_ref().iter().enumerate() {
        let name = item.get_ref();
        let entry = format!("{key}[{}]", j + 1);
        if let Some(why) = names.not_a_strip(name) {
            check.bad(&item.span(), &entry, why);
        } else if out.contains(name) {
            check.bad(
                &item.span(),
                &entry,
                format!("{name:?} is already in this list; name each once"),
            );
        } else {
            out.push(name.clone());
        }
    }
    out
}

/// A snapshot's `scenes` (each section's scene faders) and `scene_mute` (each section's scene
/// mutes), merged: one scene per section named in `scenes`. A section in `scene_mute` must be
/// in `scenes` too.
fn check_scenes(
    check: &mut Checker<'_, '_>,
    raw: &RawSnapshot,
    prefix: &str,
    names: &Names<'_, '_>,
) -> Vec<SceneSnapshot> {
    let key = join_key(prefix, "scenes");
    let mut out: Vec<SceneSnapshot> = Vec::new();
    for (section, gains) in raw.scenes.as_ref().map_or(&[][..], |s| &s.get_ref().0) {
        let entry = join_key(&key, section.get_ref());
        if let Some(why) = names.not_a_section(section.get_ref()) {
            check.bad(&section.span(), &entry, why);
            continue;
        }
        let gain_db = levels(check, Some(gains), &entry, &FADER, |n| names.not_a_strip(n));
        out.push(SceneSnapshot {
            section: section.get_ref().clone(),
            gain_db: gain_db.into_iter().map(|(n, v)| (n, Decibels(v))).collect(),
            mute: Vec::new(),
        });
    }
    let key = join_key(prefix, "scene_mute");
    for (section, list) in raw.scene_mute.as_ref().map_or(&[][..], |s| &s.get_ref().0) {
        let entry = join_key(&key, section.get_ref());
        let muted = name_list(check, Some(list), &entry, names);
        if let Some(scene) = out.iter_mut().find(|s| &s.section == section.get_ref()) {
            scene.mute = muted;
        } else {
            let why = names.not_a_section(section.get_ref()).unwrap_or_else(|| {
                format!(
                    "{:?} has scene mutes but no entry in {prefix}.scenes; add it there, \
                     like scenes = {{ {:?} = {{}} }}",
                    section.get_ref(),
                    section.get_ref()
                )
            });
            check.bad(&section.span(), &entry, why);
        }
    }
    out
}

/// A snapshot's `rides`: each names a channel or group once and has points as a `[[ride]]`
/// has them.
fn check_rides(
    check: &mut Checker<'_, '_>,
    raw: &RawSnapshot,
    prefix: &str,
    names: &Names<'_, '_>,
    length: Option<Seconds>,
) -> Vec<Ride> {
    let key = join_key(prefix, "rides");
    let mut out: Vec<Ride> = Vec::with_capacity(raw.rides.len());
    for (target, points) in &raw.rides {
        let entry = join_key(&key, target.get_ref());
        if let Some(why) = names.not_a_strip(target.get_ref()) {
            check.bad(&target.span(), &entry, why);
            continue;
        }
        let points = check_points(
            check,
            points.as_ref(),
            target.span().start,
            &key,
            target.get_ref(),
            length,
        );
        out.push(Ride {
            target: target.get_ref().clone(),
            points,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{messages, run};
    use crate::session::{RidePoint, SceneSnapshot};
    use crate::units::{Decibels, Pan};

    /// Channels "Kick" and "Vox" (10 s stems), group "Drums", sections "Verse" and "Chorus";
    /// `rest` starts on line 18.
    fn with(rest: &str) -> String {
        format!(
            "version = 1\nname = \"S\"\n\
             [[channel]]\nname = \"Kick\"\nfile = \"48k.wav\"\n\
             [[channel]]\nname = \"Vox\"\nfile = \"48k.wav\"\n\
             [[group]]\nname = \"Drums\"\nmembers = [\"Kick\"]\n\
             [[section]]\nname = \"Verse\"\nstart = 0\n\
             [[section]]\nname = \"Chorus\"\nstart = 5\n{rest}"
        )
    }

    /// A snapshot loads every part of the mix it keeps, in file order, with its defaults
    /// (master at 0 dB, no trims, pans, mutes, scenes or rides when not written).
    #[test]
    fn snapshots_load() {
        let session = run(&with(
            "[[snapshot]]\nname = \"Vocal up\"\nmaster_db = -1.5\n\
             gain_db = { Vox = 2, Kick = -inf, Drums = -3 }\ntrim_db = { Kick = 4 }\n\
             pan = { Vox = -0.25, Drums = 0.5 }\nmute = [\"Drums\"]\n\
             scenes = { Verse = {}, Chorus = { Vox = 3.5 } }\nscene_mute = { Verse = [\"Kick\"] }\n\
             [snapshot.rides]\nVox = [[\"0:01.000\", 0], [2.5, -2]]\n\
             [[snapshot]]\nname = \"Flat\"\ngain_db = { Vox = 0 }\n",
        ))
        .unwrap();
        let [up, flat] = &session.snapshots[..] else {
            panic!("{:?}", session.snapshots);
        };
        assert_eq!(up.name, "Vocal up");
        assert_eq!(up.master_db, Decibels(-1.5));
        assert_eq!(
            up.gain_db,
            [
                ("Vox".to_string(), Decibels(2.0)),
                ("Kick".to_string(), Decibels(f64::NEG_INFINITY)),
                ("Drums".to_string(), Decibels(-3.0)),
            ]
        );
        assert_eq!(up.trim_db, [("Kick".to_string(), Decibels(4.0))]);
        assert_eq!(
            up.pan,
            [
                ("Vox".to_string(), Pan(-0.25)),
                ("Drums".to_string(), Pan(0.5))
            ]
        );
        assert_eq!(up.mute, ["Drums"]);
        assert_eq!(
            up.scenes,
            [
                SceneSnapshot {
                    section: "Verse".into(),
                    gain_db: Vec::new(),
                    mute: vec!["Kick".into()],
                },
                SceneSnapshot {
                    section: "Chorus".into(),
                    gain_db: vec![("Vox".into(), Decibels(3.5))],
                    mute: Vec::new(),
                },
            ]
        );
        assert_eq!(up.rides.len(), 1);
        assert_eq!(up.rides[0].target, "Vox");
        assert_eq!(
            up.rides[0].points,
            [RidePoint::new(1.0, 0.0), RidePoint::new(2.5, -2.0)]
        );
        assert_eq!(flat.master_db, Decibels(0.0));
        assert!(flat.trim_db.is_empty() && flat.mute.is_empty() && flat.rides.is_empty());
    }

    /// Every problem in a snapshot is reported at its place, naming the key and the value and
    /// saying what is allowed: names that are no channel, group or section, a group's trim,
    /// values out of range, a mute given twice, scene mutes for a section without a scene, a
    /// ride point past the end, a missing name and faders, a name used twice.
    #[test]
    fn bad_snapshots_are_reported_at_their_place() {
        let errors = messages(&with(
            "[[snapshot]]\nname = \"A\"\n\
             gain_db = { Bass = 0, Vox = 13 }\ntrim_db = { Drums = 1 }\npan = { Vox = 2 }\n\
             mute = [\"Kick\", \"Kick\"]\nscenes = { Bridge = {} }\n\
             scene_mute = { Chorus = [\"Vox\"] }\n\
             [snapshot.rides]\nKick = [[\"0:11\", 0]]\n\
             [[snapshot]]\n\
             [[snapshot]]\nname = \"A\"\ngain_db = {}\n",
        ));
        assert_eq!(
            errors,
            [
                "/songs/s.toml:20:13: snapshot[1].gain_db.Bass = Bass: no channel or group \
                 is named \"Bass\"; the channels are \"Kick\", \"Vox\"; the groups are \"Drums\"",
                "/songs/s.toml:20:29: snapshot[1].gain_db.Vox = 13: the fader goes from -inf \
                 (off) to +12 dB",
                "/songs/s.toml:21:13: snapshot[1].trim_db.Drums = Drums: \"Drums\" is a \
                 group, and a group has no trim",
                "/songs/s.toml:22:15: snapshot[1].pan.Vox = 2: pan goes from -1 (left) to +1 \
                 (right)",
                "/songs/s.toml:23:17: snapshot[1].mute[2] = \"Kick\": \"Kick\" is already in \
                 this list; name each once",
                "/songs/s.toml:24:12: snapshot[1].scenes.Bridge = Bridge: no section is \
                 named \"Bridge\"; the sections are \"Verse\", \"Chorus\"",
                "/songs/s.toml:25:16: snapshot[1].scene_mute.Chorus = Chorus: \"Chorus\" \
                 has scene mutes but no entry in snapshot[1].scenes; add it there, like \
                 scenes = { \"Chorus\" = {} }",
                "/songs/s.toml:27:10: snapshot[1].rides.Kick[1] = \"0:11\": this point is at \
                 0:11.000, but the session ends at 0:10.000 (its longest stem); a ride's \
                 points go up to the end",
                "/songs/s.toml:28:1: snapshot[2].name: missing: every [[snapshot]] needs a name",
                "/songs/s.toml:28:1: snapshot[2].gain_db: missing: every [[snapshot]] needs the \
                 faders it keeps, like gain_db = { Kick = -3.0, Vox = 0.0 }",
                "/songs/s.toml:30:8: snapshot[3].name = \"A\": snapshot[1] already has this \
                 name; snapshot names must be unique",
            ]
        );
    }
}
