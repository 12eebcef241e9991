//! The `[[group]]` and `[[ride]]` tables of a session file: each group's name, members and
//! controls, each ride's target and points, judged with every problem reported at its place.
//! Channels and groups share one set of names.

use toml::Spanned;

use super::super::automation::{Group, RIDE_LEVEL, Ride, RidePoint};
use super::super::limits::{FADER, PAN};
use super::super::locate::join_key;
use super::super::raw::{RawChannel, RawGroup, RawPoints, RawRide};
use super::{Checker, TIME_RULE};
use crate::units::{Decibels, Pan, Seconds};

/// Half a millisecond, in seconds: how far past the session's end a ride point written to the
/// millisecond may land.
const HALF_MS: f64 = 0.000_5;

/// A name as the file first gives it: the name, the table that gives it (`channel[2]`) and
/// the line it is on.
pub(super) struct Named<'r> {
    pub name: &'r str,
    table: String,
    line: usize,
}

/// The first table of each name among `tables` (`kind` is the table's key, `channel` or
/// `group`), skipping names that are missing or empty (reported elsewhere).
fn first_names<'r, T>(
    check: &Checker<'_, '_>,
    tables: &'r [Spanned<T>],
    kind: &str,
    name: impl Fn(&'r T) -> Option<&'r Spanned<String>>,
) -> Vec<Named<'r>> {
    let mut out: Vec<Named<'r>> = Vec::with_capacity(tables.len());
    for (i, table) in tables.iter().enumerate() {
        let Some(written) = name(table.get_ref()) else {
            continue;
        };
        let text = written.get_ref().as_str();
        if text.trim().is_empty() || out.iter().any(|n| n.name == text) {
            continue;
        }
        let (line, _) = check.src.line_column(written.span().start);
        out.push(Named {
            name: text,
            table: format!("{kind}[{}]", i + 1),
            line,
        });
    }
    out
}

/// The channels' names as the file first gives them.
pub(super) fn channel_names<'r>(
    check: &Checker<'_, '_>,
    tables: &'r [Spanned<RawChannel>],
) -> Vec<Named<'r>> {
    first_names(check, tables, "channel", |c| c.name.as_ref())
}

/// The groups' names as the file first gives them.
pub(super) fn group_names<'r>(
    check: &Checker<'_, '_>,
    tables: &'r [Spanned<RawGroup>],
) -> Vec<Named<'r>> {
    first_names(check, tables, "group", |g| g.name.as_ref())
}

/// `names` quoted and listed, for messages: "the channels are \"A\", \"B\"".
pub(super) fn listed(names: &[Named<'_>], kind: &str) -> String {
    if names.is_empty() {
        return format!("the session has no {kind}s");
    }
    let quoted: Vec<String> = names.iter().map(|n| format!("{:?}", n.name)).collect();
    format!("the {kind}s are {}", quoted.join(", "))
}

fn find<'n, 'r>(names: &'n [Named<'r>], name: &str) -> Option<&'n Named<'r>> {
    names.iter().find(|n| n.name == name)
}

/// Checks every `[[group]]`: a name no channel and no other group has, at least one member,
/// each a channel named once (groups do not nest), and its fader and pan in range.
pub(super) fn check_groups(
    check: &mut Checker<'_, '_>,
    tables: &[Spanned<RawGroup>],
    channels: &[Named<'_>],
    groups: &[Named<'_>],
) -> Vec<Group> {
    let mut out = Vec::with_capacity(tables.len());
    for (i, table) in tables.iter().enumerate() {
        let prefix = format!("group[{}]", i + 1);
        let key = |k: &str| join_key(&prefix, k);
        let at = table.span().start;
        let raw = table.get_ref();
        let name = check.name(raw.name.as_ref(), at, &key("name"), "[[group]]");
        if let Some(written) = raw.name.as_ref().filter(|_| !name.is_empty()) {
            let first_group = find(groups, &name).filter(|g| g.table != prefix);
            if let Some(channel) = find(channels, &name) {
                check.bad(
                    &written.span(),
                    &key("name"),
                    format!(
                        "{} (line {}) is a channel with this name; channels and groups share \
                         names, so a group needs a name no channel has",
                        channel.table, channel.line
                    ),
                );
            } else if let Some(group) = first_group {
                check.bad(
                    &written.span(),
                    &key("name"),
                    format!(
                        "{} (line {}) already has this name; group names must be unique",
                        group.table, group.line
                    ),
                );
            }
        }
        let members = check_members(check, raw, at, &prefix, channels, groups);
        let gain_db = check.number(raw.gain_db.as_ref(), &key("gain_db"), &FADER, 0.0);
        let pan = check.number(raw.pan.as_ref(), &key("pan"), &PAN, 0.0);
        out.push(Group {
            name,
            members,
            gain_db: Decibels(gain_db),
            mute: raw.mute.as_ref().is_some_and(|m| *m.get_ref()),
            solo: raw.solo.as_ref().is_some_and(|s| *s.get_ref()),
            pan: Pan(pan),
        });
    }
    out
}

/// A group's `members`: channels, at least one, each once.
fn check_members(
    check: &mut Checker<'_, '_>,
    raw: &RawGroup,
    at: usize,
    prefix: &str,
    channels: &[Named<'_>],
    groups: &[Named<'_>],
) -> Vec<String> {
    let key = join_key(prefix, "members");
    let Some(list) = raw.members.as_ref() else {
        check.missing(
            at,
            &key,
            "missing: every [[group]] needs its members, the channels it moves, like \
             members = [\"Kick\", \"Snare\"]",
        );
        return Vec::new();
    };
    if list.get_ref().is_empty() {
        check.bad(
            &list.span(),
            &key,
            "a group needs at least one member channel, like members = [\"Kick\", \"Snare\"]",
        );
        return Vec::new();
    }
    let mut members: Vec<String> = Vec::with_capacity(list.get_ref().len());
    for (j, member) in list.get_ref().iter().enumerate() {
        let name = member.get_ref();
        let entry = format!("{key}[{}]", j + 1);
        let message = if find(channels, name).is_some() {
            let Some(first) = list.get_ref()[..j].iter().position(|m| m.get_ref() == name) else {
                members.push(name.clone());
                continue;
            };
            format!(
                "{name:?} is already in this list ({key}[{}]); name each channel once",
                first + 1
            )
        } else if find(groups, name).is_some() {
            format!("{name:?} is a group, and groups do not nest: list its channels instead")
        } else {
            format!(
                "no channel is named {name:?}; {}",
                listed(channels, "channel")
            )
        };
        check.bad(&member.span(), &entry, message);
    }
    members
}

/// Checks every `[[ride]]`: it names one channel (`channel`) or one group (`group`) that has
/// no other ride, and its points are `[time, dB]` pairs, at least one, in strictly increasing
/// time from 0 up to the session's end (`length`, when known), each level within
/// [`RIDE_LEVEL`].
pub(super) fn check_rides(
    check: &mut Checker<'_, '_>,
    tables: &[Spanned<RawRide>],
    channels: &[Named<'_>],
    groups: &[Named<'_>],
    length: Option<Seconds>,
) -> Vec<Ride> {
    let mut out: Vec<Ride> = Vec::with_capacity(tables.len());
    // The rides' targets so far: the name, the ride's key and the line it is named on.
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        let prefix = format!("ride[{}]", i + 1);
        let raw = table.get_ref();
        let target = check_target(check, raw, table.span().start, &prefix, channels, groups);
        let target = target.and_then(|(key, written)| {
            let name = written.get_ref();
            if let Some((_, other, line)) = seen.iter().find(|(n, _, _)| n == name) {
                check.bad(
                    &written.span(),
                    &key,
                    format!(
                        "{other} (line {line}) already rides {name:?}; a channel or group has \
                         one ride: put all its points in that one"
                    ),
                );
                return None;
            }
            let (line, _) = check.src.line_column(written.span().start);
            seen.push((name.clone(), prefix.clone(), line));
            Some(name.clone())
        });
        let points = check_points(
            check,
            raw.points.as_ref(),
            table.span().start,
            &prefix,
            "points",
            length,
        );
        if let Some(target) = target {
            out.push(Ride { target, points });
        }
    }
    out
}

/// What a ride rides: the key that names it and the name as written, or `None` after
/// reporting both keys, neither, or a name that is not a channel (`channel`) or not a group
/// (`group`).
fn check_target<'r>(
    check: &mut Checker<'_, '_>,
    raw: &'r RawRide,
    at: usize,
    prefix: &str,
    channels: &[Named<'_>],
    groups: &[Named<'_>],
) -> Option<(String, &'r Spanned<String>)> {
    let key = |k: &str| join_key(prefix, k);
    match (&raw.channel, &raw.group) {
        (Some(channel), Some(group)) => {
            check.bad(
                &group.span(),
                &key("group"),
                format!(
                    "a ride belongs to one channel or one group, and this one also names \
                     channel {:?}: keep one of the two keys",
                    channel.get_ref()
                ),
            );
            None
        }
        (None, None) => {
            if !check.unreadable.contains(&key("group")) {
                check.missing(
                    at,
                    &key("channel"),
                    "missing: every [[ride]] names what it rides: channel = \"Lead vocal\" or \
                     group = \"Guitars\"",
                );
            }
            None
        }
        (Some(channel), None) => {
            let name = channel.get_ref();
            if find(channels, name).is_some() {
                return Some((key("channel"), channel));
            }
            let message = if find(groups, name).is_some() {
                format!("{name:?} is a group: write group = {name:?}")
            } else {
                format!(
                    "no channel is named {name:?}; {}",
                    listed(channels, "channel")
                )
            };
            check.bad(&channel.span(), &key("channel"), message);
            None
        }
        (None, Some(group)) => {
            let name = group.get_ref();
            if find(groups, name).is_some() {
                return Some((key("group"), group));
            }
            let message = if find(channels, name).is_some() {
                format!("{name:?} is a channel: write channel = {name:?}")
            } else {
                format!("no group is named {name:?}; {}", listed(groups, "group"))
            };
            check.bad(&group.span(), &key("group"), message);
            None
        }
    }
}

/// A ride's points: at least one; each time from 0 up to `length` (and the half millisecond a
/// time written to the millisecond may round up by), later than the one before;
/// each level within [`RIDE_LEVEL`]; `field` is the key the points are under in `prefix`.
/// Returns the points that pass.
pub(super) fn check_points(
    check: &mut Checker<'_, '_>,
    points: Option<&Spanned<RawPoints>>,
    at: usize,
    prefix: &str,
    field: &str,
    length: Option<Seconds>,
) -> Vec<RidePoint> {
    let key = join_key(prefix, field);
    let Some(points) = points else {
        check.missing(
            at,
            &key,
            "missing: every [[ride]] needs its points, each a time and a level in dB, like \
             points = [[\"0:12.000\", 0.0], [\"0:14.500\", 2.0]]",
        );
        return Vec::new();
    };
    if points.get_ref().written == 0 {
        check.bad(
            &points.span(),
            &key,
            "a ride needs at least one point, a time and a level in dB, like \
             [[\"0:12.000\", 0.0]]",
        );
        return Vec::new();
    }
    let mut out: Vec<RidePoint> = Vec::with_capacity(points.get_ref().read.len());
    // The last point with a usable time: its number in the list and its time.
    let mut previous: Option<(usize, Seconds)> = None;
    for point in &points.get_ref().read {
        let entry = format!("{key}[{}]", point.index + 1);
        let time = check.read_time(&point.at, &entry).and_then(|t| {
            if !(t.0.is_finite() && t.0 >= 0.0) {
                check.bad(&point.at.span(), &entry, TIME_RULE);
                return None;
            }
            // A point recorded at the very end is saved to the millisecond, which may round
            // up past it by up to half a millisecond.
            if let Some(end) = length.filter(|end| t.0 > end.0 + HALF_MS) {
                check.bad(
                    &point.at.span(),
                    &entry,
                    format!(
                        "this point is at {t}, but the session ends at {end} (its longest \
                         stem); a ride's points go up to the end"
                    ),
                );
                return None;
            }
            Some(t)
        });
        if let Some(t) = time {
            if let Some((before, before_at)) = previous.filter(|(_, p)| t <= *p) {
                check.bad(
                    &point.at.span(),
                    &entry,
                    format!(
                        "a ride's points go in time order, each later than the one before: \
                         this one is at {t}, not after {key}[{}] at {before_at}",
                        before + 1
                    ),
                );
            }
            previous = Some((point.index, t));
        }
        let db = point.db.get_ref().0;
        let level_ok = RIDE_LEVEL.allows(db);
        if !level_ok {
            check.bad(&point.db.span(), &entry, RIDE_LEVEL.rule);
        }
        if let (Some(t), true) = (time, level_ok) {
            out.push(RidePoint::new(t.0, db));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{messages, run};
    use crate::session::{Group, RidePoint};
    use crate::units::{Decibels, Pan};

    /// Three channels, "Kick", "Snare" and "Vox", each a 10 s stem; `rest` starts on line 12.
    fn with(rest: &str) -> String {
        format!(
            "version = 1\nname = \"S\"\n\
             [[channel]]\nname = \"Kick\"\nfile = \"48k.wav\"\n\
             [[channel]]\nname = \"Snare\"\nfile = \"48k.wav\"\n\
             [[channel]]\nname = \"Vox\"\nfile = \"48k.wav\"\n{rest}"
        )
    }

    /// Groups and rides load in file order with their defaults; ride times take every form a
    /// section start takes, and a point may sit at the session's very end; scenes may name
    /// groups.
    #[test]
    fn groups_and_rides_load() {
        let session = run(&with(
            "[[group]]\nname = \"Drums\"\nmembers = [\"Kick\", \"Snare\"]\ngain_db = -3\n\
             pan = 0.25\nmute = true\n\
             [[group]]\nname = \"All\"\nmembers = [\"Vox\", \"Kick\"]\nsolo = true\n\
             [[ride]]\ngroup = \"Drums\"\n\
             points = [[\"0:01.000\", 0.0], [2.5, -2], [\"bar 3\", 1.5], [\"0:10\", -60]]\n\
             [[ride]]\nchannel = \"Vox\"\npoints = [[0, 24]]\n\
             [[section]]\nname = \"V\"\nstart = 0\ngain_db = { Drums = -6, Vox = 1 }\n\
             mute = [\"All\"]\n",
        )
        .replace("name = \"S\"\n", "name = \"S\"\ntempo = 120\n"))
        .unwrap();
        assert_eq!(
            session.groups,
            [
                Group {
                    gain_db: Decibels(-3.0),
                    pan: Pan(0.25),
                    mute: true,
                    ..Group::new("Drums", vec!["Kick".into(), "Snare".into()])
                },
                Group {
                    solo: true,
                    ..Group::new("All", vec!["Vox".into(), "Kick".into()])
                },
            ]
        );
        let targets: Vec<&str> = session.rides.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(targets, ["Drums", "Vox"]);
        assert_eq!(
            session.rides[0].points,
            [
                RidePoint::new(1.0, 0.0),
                RidePoint::new(2.5, -2.0),
                RidePoint::new(4.0, 1.5),
                RidePoint::new(10.0, -60.0)
            ]
        );
        assert_eq!(session.rides[1].points, [RidePoint::new(0.0, 24.0)]);
        assert_eq!(
            session.sections[0].gain_db,
            [
                ("Drums".to_string(), Decibels(-6.0)),
                ("Vox".to_string(), Decibels(1.0))
            ]
        );
        assert_eq!(session.sections[0].mute, ["All"]);
    }

    /// Every group mistake is reported at its value with the key: a name a channel or an
    /// earlier group has, a member that is a group, no channel, or listed twice, no members or
    /// an empty list, a missing name, a fader or pan out of range.
    #[test]
    fn group_mistakes_are_located() {
        let errors = messages(&with(
            "[[group]]\nname = \"Kick\"\nmembers = [\"Snare\", \"Drums\", \"Tom\", \"Snare\"]\n\
             gain_db = 13\npan = -2\n\
             [[group]]\nname = \"Drums\"\nmembers = []\n\
             [[group]]\nname = \"Drums\"\n\
             [[group]]\nmembers = [\"Vox\"]\n",
        ));
        assert_eq!(
            errors,
            [
                "/songs/s.toml:13:8: group[1].name = \"Kick\": channel[1] (line 4) is a channel \
                 with this name; channels and groups share names, so a group needs a name no \
                 channel has",
                "/songs/s.toml:14:21: group[1].members[2] = \"Drums\": \"Drums\" is a group, and \
                 groups do not nest: list its channels instead",
                "/songs/s.toml:14:30: group[1].members[3] = \"Tom\": no channel is named \"Tom\"; \
                 the channels are \"Kick\", \"Snare\", \"Vox\"",
                "/songs/s.toml:14:37: group[1].members[4] = \"Snare\": \"Snare\" is already in \
                 this list (group[1].members[1]); name each channel once",
                "/songs/s.toml:15:11: group[1].gain_db = 13: the fader goes from -inf (off) to \
                 +12 dB",
                "/songs/s.toml:16:7: group[1].pan = -2: pan goes from -1 (left) to +1 (right)",
                "/songs/s.toml:19:11: group[2].members = []: a group needs at least one member \
                 channel, like members = [\"Kick\", \"Snare\"]",
                "/songs/s.toml:20:1: group[3].members: missing: every [[group]] needs its \
                 members, the channels it moves, like members = [\"Kick\", \"Snare\"]",
                "/songs/s.toml:21:8: group[3].name = \"Drums\": group[2] (line 18) already has \
                 this name; group names must be unique",
                "/songs/s.toml:22:1: group[4].name: missing: every [[group]] needs a name",
            ]
        );
    }

    /// Every ride mistake is reported with its key and value: a channel key naming a group and
    /// the reverse, both keys, neither, a second ride for one target, no points or an empty
    /// list, names of nothing; and, per point, times out of order, before 0 or past the end,
    /// levels out of range or not numbers.
    #[test]
    fn ride_mistakes_are_located() {
        let errors = messages(&with(
            "[[group]]\nname = \"Drums\"\nmembers = [\"Kick\", \"Snare\"]\n\
             [[ride]]\nchannel = \"Drums\"\npoints = [[0, 1]]\n\
             [[ride]]\ngroup = \"Vox\"\npoints = [[0, 1]]\n\
             [[ride]]\nchannel = \"Vox\"\ngroup = \"Drums\"\npoints = [[0, 1]]\n\
             [[ride]]\npoints = [[0, 1]]\n\
             [[ride]]\nchannel = \"Vox\"\n\
             points = [[\"0:02\", 1], [\"0:01\", 0], [-1, 0], [\"0:11\", 0], [3, 25], [4, nan]]\n\
             [[ride]]\nchannel = \"Vox\"\npoints = []\n\
             [[ride]]\ngroup = \"Drums\"\n\
             [[ride]]\nchannel = \"Guitar\"\npoints = [[0, 0]]\n\
             [[ride]]\ngroup = \"Keys\"\npoints = [[0, 0]]\n",
        ));
        let order = "a ride's points go in time order, each later than the one before";
        let level = "a ride point's level goes from -60 to +24 dB";
        assert_eq!(
            errors,
            [
                "/songs/s.toml:16:11: ride[1].channel = \"Drums\": \"Drums\" is a group: write \
                 group = \"Drums\""
                    .to_string(),
                "/songs/s.toml:19:9: ride[2].group = \"Vox\": \"Vox\" is a channel: write \
                 channel = \"Vox\""
                    .to_string(),
                "/songs/s.toml:23:9: ride[3].group = \"Drums\": a ride belongs to one channel or \
                 one group, and this one also names channel \"Vox\": keep one of the two keys"
                    .to_string(),
                "/songs/s.toml:25:1: ride[4].channel: missing: every [[ride]] names what it \
                 rides: channel = \"Lead vocal\" or group = \"Guitars\""
                    .to_string(),
                format!(
                    "/songs/s.toml:29:25: ride[5].points[2] = \"0:01\": {order}: this one is at \
                     0:01.000, not after ride[5].points[1] at 0:02.000"
                ),
                "/songs/s.toml:29:38: ride[5].points[3] = -1: a time must be a finite number \
                 of seconds, 0 or more"
                    .to_string(),
                "/songs/s.toml:29:47: ride[5].points[4] = \"0:11\": this point is at 0:11.000, \
                 but the session ends at 0:10.000 (its longest stem); a ride's points go up to \
                 the end"
                    .to_string(),
                format!("/songs/s.toml:29:63: ride[5].points[5] = 25: {level}"),
                format!("/songs/s.toml:29:72: ride[5].points[6] = nan: {level}"),
                "/songs/s.toml:31:11: ride[6].channel = \"Vox\": ride[5] (line 28) already \
                 rides \"Vox\"; a channel or group has one ride: put all its points in that one"
                    .to_string(),
                "/songs/s.toml:32:10: ride[6].points = []: a ride needs at least one point, a \
                 time and a level in dB, like [[\"0:12.000\", 0.0]]"
                    .to_string(),
                "/songs/s.toml:33:1: ride[7].points: missing: every [[ride]] needs its points, \
                 each a time and a level in dB, like points = [[\"0:12.000\", 0.0], \
                 [\"0:14.500\", 2.0]]"
                    .to_string(),
                "/songs/s.toml:36:11: ride[8].channel = \"Guitar\": no channel is named \
                 \"Guitar\"; the channels are \"Kick\", \"Snare\", \"Vox\""
                    .to_string(),
                "/songs/s.toml:39:9: ride[9].group = \"Keys\": no group is named \"Keys\"; the \
                 groups are \"Drums\""
                    .to_string(),
            ]
        );
    }

    /// A ride time in bars without a tempo, or not a time at all, is reported as a section
    /// start would be; a ride naming a group in a session without groups says there are none.
    #[test]
    fn ride_times_are_read_like_section_starts() {
        let errors = messages(&with(
            "[[ride]]\nchannel = \"Vox\"\npoints = [[\"bar 2\", 0], [\"soon\", 1]]\n\
             [[ride]]\ngroup = \"Drums\"\npoints = [[0, 0]]\n",
        ));
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(
            errors[0].starts_with(
                "/songs/s.toml:14:12: ride[1].points[1] = \"bar 2\": a time in bars needs the \
                 song's tempo"
            ),
            "{errors:#?}"
        );
        assert!(
            errors[1].starts_with(
                "/songs/s.toml:14:26: ride[1].points[2] = \"soon\": not a time; write \
                 minutes:seconds"
            ),
            "{errors:#?}"
        );
        assert_eq!(
            errors[2],
            "/songs/s.toml:16:9: ride[2].group = \"Drums\": no group is named \"Drums\"; the \
             session has no groups"
        );
    }

    /// A point recorded at the session's very end may be saved up to half a millisecond past
    /// it (times are written to the millisecond) and still loads; a millisecond past does not.
    #[test]
    fn a_point_may_round_up_past_the_end_by_half_a_millisecond() {
        let ride = |at: &str| {
            with(&format!(
                "[[ride]]\nchannel = \"Vox\"\npoints = [[0, 0], [{at}, 1]]\n"
            ))
        };
        let session = run(&ride("10.0004")).unwrap();
        assert_eq!(session.rides[0].points[1], RidePoint::new(10.0004, 1.0));
        let errors = messages(&ride("\"0:10.001\""));
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(
            errors[0].contains(
                "ride[1].points[2] = \"0:10.001\": this point is at 0:10.001, but the session \
                 ends at 0:10.000"
            ),
            "{errors:#?}"
        );
    }

    /// A scene naming neither a channel nor a group lists both kinds of name.
    #[test]
    fn scenes_may_name_groups() {
        let errors = messages(&with(
            "[[group]]\nname = \"Drums\"\nmembers = [\"Kick\"]\n\
             [[section]]\nname = \"V\"\nstart = 0\ngain_db = { Drums = -2, Bongos = 1 }\n",
        ));
        assert_eq!(
            errors,
            [
                "/songs/s.toml:18:25: section[1].gain_db.Bongos: no channel or group is named \
                 \"Bongos\"; the channels are \"Kick\", \"Snare\", \"Vox\", and the groups are \
                 \"Drums\""
            ]
        );
    }
}
