//! The rules a session's section list follows, in one place: every section has a name no other
//! section has (edits address sections by name); starts are times of 0 or more, each after the
//! one before and before the session's end; a scene names existing channels, each once per
//! list, with fader values in the fader's range; a scene ramp is in range. The session loader
//! reports every broken rule at its place in the file; a section-list edit is refused with the
//! first.

use super::Section;
use super::limits::{FADER, scene_ramp_allowed};
use crate::units::{Decibels, Seconds};

/// A section as the rules see it. A value that is `None` is not judged: the session loader
/// leaves out a name or a start it has already reported (missing, or a time it could not read).
#[derive(Debug, Clone, Default)]
pub(crate) struct Draft<'a> {
    /// The name as written.
    pub name: Option<&'a str>,
    /// The start, which may be any number of seconds here.
    pub start: Option<Seconds>,
    /// The scene's fader values, by channel name, in order.
    pub gain_db: Vec<(&'a str, Decibels)>,
    /// The scene's muted channels, in order.
    pub mute: Vec<&'a str>,
    /// The scene ramp in milliseconds (a file may hold any number here).
    pub ramp_ms: Option<f64>,
}

impl<'a> From<&'a Section> for Draft<'a> {
    fn from(section: &'a Section) -> Self {
        Draft {
            name: Some(&section.name),
            start: Some(section.start),
            gain_db: section
                .gain_db
                .iter()
                .map(|(channel, db)| (channel.as_str(), *db))
                .collect(),
            mute: section.mute.iter().map(String::as_str).collect(),
            ramp_ms: section.ramp_ms.map(f64::from),
        }
    }
}

/// Which list of a section's scene an entry is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SceneList {
    /// `gain_db`: the scene's fader values.
    Gain,
    /// `mute`: the channels the scene mutes.
    Mute,
}

/// One broken rule. `section` is the section's index in the list, `entry` an entry's index in
/// the scene list named.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Problem {
    /// The name is empty (or only spaces).
    NoName { section: usize },
    /// The section `first`, earlier in the list, has the same name.
    NameTaken { section: usize, first: usize },
    /// The start is not a finite time of 0 or more.
    StartNotATime { section: usize },
    /// The start is at or after the session's end.
    StartPastEnd { section: usize, end: Seconds },
    /// The start is not after the start of `previous`, the latest section before it with a
    /// start inside the session.
    StartOutOfOrder { section: usize, previous: usize },
    /// A scene entry names a channel the session does not have.
    UnknownChannel {
        section: usize,
        list: SceneList,
        entry: usize,
    },
    /// A scene entry names the same channel as the earlier entry `first` of the same list.
    ChannelTwice {
        section: usize,
        list: SceneList,
        entry: usize,
        first: usize,
    },
    /// A scene fader value outside [`FADER`].
    FaderOutOfRange { section: usize, entry: usize },
    /// A scene ramp [`scene_ramp_allowed`] refuses.
    RampOutOfRange { section: usize },
}

/// Every rule `sections` breaks, section by section in list order and, within a section, in the
/// order name, start, scene fader values, scene mutes, ramp. `channels` are the session's
/// channel names; `end` is the session's length, `None` when it is not known (then no start is
/// judged against it).
pub(crate) fn problems(
    sections: &[Draft<'_>],
    channels: &[&str],
    end: Option<Seconds>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    // The section the next start must come after, and its start.
    let mut previous: Option<(usize, Seconds)> = None;
    for (i, section) in sections.iter().enumerate() {
        if let Some(name) = section.name {
            if name.trim().is_empty() {
                problems.push(Problem::NoName { section: i });
            } else if let Some(first) = sections[..i].iter().position(|s| s.name == Some(name)) {
                problems.push(Problem::NameTaken { section: i, first });
            }
        }
        if let Some(start) = section.start {
            if !(start.0.is_finite() && start.0 >= 0.0) {
                problems.push(Problem::StartNotATime { section: i });
            } else if let Some(end) = end.filter(|end| start >= *end) {
                problems.push(Problem::StartPastEnd { section: i, end });
            } else {
                if let Some((before, before_start)) = previous
                    && start <= before_start
                {
                    problems.push(Problem::StartOutOfOrder {
                        section: i,
                        previous: before,
                    });
                }
                previous = Some((i, start));
            }
        }
        let gains: Vec<&str> = section
            .gain_db
            .iter()
            .map(|(channel, _)| *channel)
            .collect();
        for (entry, (_, db)) in section.gain_db.iter().enumerate() {
            problems.extend(scene_entry(i, SceneList::Gain, &gains, entry, channels));
            if !FADER.allows(db.0) {
                problems.push(Problem::FaderOutOfRange { section: i, entry });
            }
        }
        for entry in 0..section.mute.len() {
            problems.extend(scene_entry(
                i,
                SceneList::Mute,
                &section.mute,
                entry,
                channels,
            ));
        }
        if let Some(ms) = section.ramp_ms
            && !scene_ramp_allowed(ms)
        {
            problems.push(Problem::RampOutOfRange { section: i });
        }
    }
    problems
}

/// What is wrong with the name of entry `entry` of a scene list: it must name a channel of the
/// session, and one no earlier entry of the list names.
fn scene_entry(
    section: usize,
    list: SceneList,
    names: &[&str],
    entry: usize,
    channels: &[&str],
) -> Option<Problem> {
    let name = names[entry];
    if !channels.contains(&name) {
        return Some(Problem::UnknownChannel {
            section,
            list,
            entry,
        });
    }
    let first = names[..entry].iter().position(|n| *n == name)?;
    Some(Problem::ChannelTwice {
        section,
        list,
        entry,
        first,
    })
}

/// Every rule a list of sections breaks ([`problems`]) in a session with these channels and this
/// length.
pub(crate) fn section_problems(
    sections: &[Section],
    channels: &[&str],
    end: Seconds,
) -> Vec<Problem> {
    let drafts: Vec<Draft<'_>> = sections.iter().map(Draft::from).collect();
    problems(&drafts, channels, Some(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(name: &'static str, start: f64) -> Draft<'static> {
        Draft {
            name: Some(name),
            start: Some(Seconds(start)),
            ..Draft::default()
        }
    }

    const CHANNELS: &[&str] = &["Bass", "Keys"];

    /// A valid list has no problems; each broken rule is named once, with the section and the
    /// entry at fault, in list order and within a section in the order the edit reports them.
    #[test]
    fn every_broken_rule_is_named_in_order() {
        let valid = [draft("Intro", 0.0), draft("Verse", 2.0)];
        assert_eq!(problems(&valid, CHANNELS, Some(Seconds(10.0))), []);

        let list = [
            Draft {
                gain_db: vec![
                    ("Keys", Decibels(12.5)),
                    ("Drums", Decibels(f64::NAN)),
                    ("Keys", Decibels::OFF),
                ],
                mute: vec!["Bass", "Bass", "Drums"],
                ramp_ms: Some(10_000.5),
                ..draft(" ", -1.0)
            },
            draft("Verse", 2.0),
            draft("Verse", 2.0),
            draft("Chorus", 10.0),
            draft("Outro", 3.0),
        ];
        let (gain, mute) = (SceneList::Gain, SceneList::Mute);
        assert_eq!(
            problems(&list, CHANNELS, Some(Seconds(10.0))),
            [
                Problem::NoName { section: 0 },
                Problem::StartNotATime { section: 0 },
                Problem::FaderOutOfRange {
                    section: 0,
                    entry: 0
                },
                Problem::UnknownChannel {
                    section: 0,
                    list: gain,
                    entry: 1
                },
                Problem::FaderOutOfRange {
                    section: 0,
                    entry: 1
                },
                Problem::ChannelTwice {
                    section: 0,
                    list: gain,
                    entry: 2,
                    first: 0
                },
                Problem::ChannelTwice {
                    section: 0,
                    list: mute,
                    entry: 1,
                    first: 0
                },
                Problem::UnknownChannel {
                    section: 0,
                    list: mute,
                    entry: 2
                },
                Problem::RampOutOfRange { section: 0 },
                Problem::NameTaken {
                    section: 2,
                    first: 1
                },
                Problem::StartOutOfOrder {
                    section: 2,
                    previous: 1
                },
                Problem::StartPastEnd {
                    section: 3,
                    end: Seconds(10.0)
                },
            ]
        );
    }

    /// A start is judged against the latest earlier start that is a time inside the session: a
    /// start that is not a time, is past the end or was not given does not count, and an
    /// unknown end judges no start against it. A name that was not given is not judged.
    #[test]
    fn starts_follow_the_latest_start_inside_the_session() {
        let list = [
            draft("A", 4.0),
            draft("B", 12.0),
            draft("C", f64::INFINITY),
            Draft {
                name: None,
                start: None,
                ..Draft::default()
            },
            draft("D", 5.0),
            draft("E", 4.5),
        ];
        assert_eq!(
            problems(&list, CHANNELS, Some(Seconds(10.0))),
            [
                Problem::StartPastEnd {
                    section: 1,
                    end: Seconds(10.0)
                },
                Problem::StartNotATime { section: 2 },
                Problem::StartOutOfOrder {
                    section: 5,
                    previous: 4
                },
            ]
        );
        assert_eq!(
            problems(&list, CHANNELS, None),
            [
                Problem::StartNotATime { section: 2 },
                Problem::StartOutOfOrder {
                    section: 4,
                    previous: 1
                },
                Problem::StartOutOfOrder {
                    section: 5,
                    previous: 4
                },
            ]
        );
    }
}
