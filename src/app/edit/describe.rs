//! Section-list changes in a user's words (UI thread): what a new section list changed, and
//! what undoing or redoing such a change did, for the status line.

use super::{Change, MixEdit};
use crate::session::{Section, Snapshot};
use crate::units::Seconds;

/// A change of the list naming more parts than this reads in general terms.
const MOST_PARTS: usize = 3;

/// One thing a new section list changed. Sections are matched by name (one section gone and
/// one new at the same place is a rename); `name` is a section's name in the new list, `was`
/// its name in the old one.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Part<'a> {
    Added {
        name: &'a str,
        start: Seconds,
    },
    Removed {
        name: &'a str,
        start: Seconds,
    },
    Renamed {
        was: &'a str,
        name: &'a str,
    },
    Moved {
        was: &'a str,
        name: &'a str,
        from: Seconds,
        to: Seconds,
    },
    Ramp {
        was: &'a str,
        name: &'a str,
        from: Option<u32>,
        to: Option<u32>,
    },
    SceneCleared {
        was: &'a str,
        name: &'a str,
    },
    SceneCopied {
        was: &'a str,
        from: &'a str,
        into: &'a str,
    },
    SceneChanged {
        was: &'a str,
        name: &'a str,
    },
}

/// What changed from `before` to `after`, in order: removed sections first, then section by
/// section of the new list.
fn parts<'a>(before: &'a [Section], after: &'a [Section]) -> Vec<Part<'a>> {
    let named = |list: &[Section], name: &str| list.iter().position(|s| s.name == name);
    let added: Vec<usize> = (0..after.len())
        .filter(|&i| named(before, &after[i].name).is_none())
        .collect();
    let removed: Vec<usize> = (0..before.len())
        .filter(|&i| named(after, &before[i].name).is_none())
        .collect();
    let renamed = match (&added[..], &removed[..]) {
        (&[new], &[old]) if new == old => Some((old, new)),
        _ => None,
    };
    let mut parts = Vec::new();
    if renamed.is_none() {
        parts.extend(removed.iter().map(|&i| Part::Removed {
            name: &before[i].name,
            start: before[i].start,
        }));
    }
    for (i, new) in after.iter().enumerate() {
        let old = match renamed {
            Some((old, at)) if at == i => &before[old],
            _ => {
                let Some(j) = named(before, &new.name) else {
                    parts.push(Part::Added {
                        name: &new.name,
                        start: new.start,
                    });
                    continue;
                };
                &before[j]
            }
        };
        let (was, name) = (old.name.as_str(), new.name.as_str());
        if was != name {
            parts.push(Part::Renamed { was, name });
        }
        if old.start != new.start {
            parts.push(Part::Moved {
                was,
                name,
                from: old.start,
                to: new.start,
            });
        }
        if old.ramp_ms != new.ramp_ms {
            parts.push(Part::Ramp {
                was,
                name,
                from: old.ramp_ms,
                to: new.ramp_ms,
            });
        }
        if old.gain_db != new.gain_db || old.mute != new.mute {
            let source = after.iter().enumerate().find(|&(j, s)| {
                j != i && s.has_scene() && s.gain_db == new.gain_db && s.mute == new.mute
            });
            parts.push(match source {
                _ if !new.has_scene() => Part::SceneCleared { was, name },
                Some((_, source)) => Part::SceneCopied {
                    was,
                    from: &source.name,
                    into: name,
                },
                None => Part::SceneChanged { was, name },
            });
        }
    }
    parts
}

/// A scene ramp in a user's words: "500 ms", "the session's".
fn ramp(ms: Option<u32>) -> String {
    ms.map_or("the session's".to_string(), |ms| format!("{ms} ms"))
}

impl Part<'_> {
    /// What making the change did: "added section Bridge at 1:05.000", "Chorus 1 starts at
    /// 0:29.500 (was 0:30.000)".
    fn done(&self) -> String {
        match *self {
            Part::Added { name, start } => format!("added section {name} at {start}"),
            Part::Removed { name, .. } => format!("removed section {name}"),
            Part::Renamed { was, name } => format!("renamed {was} to {name}"),
            Part::Moved { name, from, to, .. } => format!("{name} starts at {to} (was {from})"),
            Part::Ramp { name, from, to, .. } => {
                format!("{name} scene ramp {} (was {})", ramp(to), ramp(from))
            }
            Part::SceneCleared { name, .. } => format!("{name} scene cleared"),
            Part::SceneCopied { from, into, .. } => format!("scene of {from} copied into {into}"),
            Part::SceneChanged { name, .. } => format!("scene of {name} changed"),
        }
    }

    /// What taking the change back did, naming sections as they are named again: "section
    /// Bridge is gone again", "Chorus 1 starts at 0:30.000 again".
    fn undone(&self) -> String {
        match *self {
            Part::Added { name, .. } => format!("section {name} is gone again"),
            Part::Removed { name, start } => format!("section {name} is back at {start}"),
            Part::Renamed { was, name } => format!("{name} is named {was} again"),
            Part::Moved { was, from, .. } => format!("{was} starts at {from} again"),
            Part::Ramp {
                was, from: None, ..
            } => format!("{was} follows the session's scene ramp again"),
            Part::Ramp {
                was,
                from: Some(ms),
                ..
            } => format!("{was} scene ramp {ms} ms again"),
            Part::SceneCleared { was, .. } => format!("the scene of {was} is back"),
            Part::SceneCopied { was, .. } | Part::SceneChanged { was, .. } => {
                format!("the scene of {was} is as it was")
            }
        }
    }
}

/// What changed from one section list to the next, in a user's words, one part per change
/// joined by commas: "added section Bridge at 1:05.000", "removed section Verse 2", "renamed
/// Chorus 1 to Refrain", "Chorus 1 starts at 0:29.500 (was 0:30.000)", "Chorus 1 scene ramp
/// 500 ms (was the session's)", "Chorus 1 scene cleared", "scene of Verse 1 copied into Verse
/// 2", "scene of Chorus 1 changed". More than three parts, or none, read "sections changed".
pub(super) fn describe_sections(before: &[Section], after: &[Section]) -> String {
    if before == after {
        return "sections unchanged".to_string();
    }
    let parts = parts(before, after);
    if parts.is_empty() || parts.len() > MOST_PARTS {
        return "sections changed".to_string();
    }
    parts.iter().map(Part::done).collect::<Vec<_>>().join(", ")
}

/// What undoing the change from `before` to `after` did: "section Bridge is back at
/// 1:05.000", "Chorus 1 starts at 0:30.000 again", "Refrain is named Chorus 1 again", "the
/// scene of Verse 2 is as it was". More than three parts, or none, read "the sections are as
/// they were".
fn describe_undone_sections(before: &[Section], after: &[Section]) -> String {
    let parts = parts(before, after);
    if parts.is_empty() || parts.len() > MOST_PARTS {
        return "the sections are as they were".to_string();
    }
    parts
        .iter()
        .map(Part::undone)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a change to the snapshot list did, in a user's words: "took snapshot A", "deleted
/// snapshot A", "renamed snapshot A to B".
pub(super) fn describe_snapshots(before: &[Snapshot], after: &[Snapshot]) -> String {
    let new: Vec<&Snapshot> = after.iter().filter(|s| !before.contains(s)).collect();
    let gone: Vec<&Snapshot> = before.iter().filter(|s| !after.contains(s)).collect();
    match (gone.as_slice(), new.as_slice()) {
        ([], [taken]) => format!("took snapshot {}", taken.name),
        ([deleted], []) => format!("deleted snapshot {}", deleted.name),
        ([old], [renamed]) => format!("renamed snapshot {} to {}", old.name, renamed.name),
        _ => {
            let names: Vec<&str> = after.iter().map(|s| s.name.as_str()).collect();
            format!("Snapshots: {}", names.join(", "))
        }
    }
}

/// What undoing (`redo` false) or redoing one undo step made of `changes` (oldest first) did,
/// in a user's words: the values undo put back ("Bass fader -3.0 dB") or redo set again, and
/// for the section list what changed ("Chorus 2 starts at 1:02.500 again", "removed section
/// Bridge"). A step of several changes names the one undone or redone first and counts the
/// rest: "Bass fader -3.0 dB and 2 more".
pub fn replay_text(changes: &[Change], redo: bool) -> String {
    let text = |change: &Change| match (&change.before, &change.after) {
        (MixEdit::Sections { sections: before }, MixEdit::Sections { sections: after }) => {
            if redo {
                describe_sections(before, after)
            } else {
                describe_undone_sections(before, after)
            }
        }
        (MixEdit::Snapshots { snapshots: before }, MixEdit::Snapshots { snapshots: after }) => {
            if redo {
                describe_snapshots(before, after)
            } else {
                // Undoing a take deletes it again, and so on: the change read backwards.
                describe_snapshots(after, before)
            }
        }
        (_, after) if redo => after.to_string(),
        (before, _) => before.to_string(),
    };
    let first = if redo {
        changes.first()
    } else {
        changes.last()
    };
    match (first.map(text), changes.len()) {
        (None, _) => "nothing".to_string(),
        (Some(one), 1) => one,
        (Some(first), n) => format!("{first} and {} more", n - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::gain;

    fn section(name: &str, start: f64) -> Section {
        Section {
            name: name.to_string(),
            start: Seconds(start),
            gain_db: Vec::new(),
            mute: Vec::new(),
            ramp_ms: None,
        }
    }

    fn change(before: &[Section], after: &[Section]) -> Change {
        Change {
            before: MixEdit::Sections {
                sections: before.to_vec(),
            },
            after: MixEdit::Sections {
                sections: after.to_vec(),
            },
        }
    }

    /// Undoing a section change names the sections as they are named again and says what is
    /// as before; a change of many parts reads in general terms; a step of several changes
    /// names the one replayed first and counts the rest.
    #[test]
    fn undone_section_changes_read_as_what_is_back() {
        let before = [section("Intro", 0.0), section("Verse", 2.0)];
        let mut after = before.clone();
        after[1].name = "Verse 1".into();
        after[1].start = Seconds(2.5);
        after[1].ramp_ms = Some(500);
        let both = change(&before, &after);
        assert_eq!(
            replay_text(std::slice::from_ref(&both), false),
            "Verse 1 is named Verse again, Verse starts at 0:02.000 again, Verse follows the \
             session's scene ramp again"
        );
        assert_eq!(
            replay_text(std::slice::from_ref(&both), true),
            "renamed Verse to Verse 1, Verse 1 starts at 0:02.500 (was 0:02.000), Verse 1 \
             scene ramp 500 ms (was the session's)"
        );
        let ramp = change(&after, &before);
        assert!(replay_text(&[ramp], false).ends_with("Verse 1 scene ramp 500 ms again"));

        let many = [section("A", 0.0), section("B", 1.0), section("C", 2.0)];
        let moved: Vec<Section> = many
            .iter()
            .map(|s| Section {
                start: Seconds(s.start.0 + 0.5),
                ..s.clone()
            })
            .chain([section("D", 3.0)])
            .collect();
        let many = change(&many, &moved);
        assert_eq!(
            replay_text(std::slice::from_ref(&many), false),
            "the sections are as they were"
        );
        assert_eq!(replay_text(&[many], true), "sections changed");

        let group = [
            Change {
                before: gain("Bass", -3.0),
                after: gain("Bass", -1.0),
            },
            Change {
                before: gain("Keys", 0.0),
                after: gain("Keys", 2.0),
            },
        ];
        assert_eq!(replay_text(&group, false), "Keys fader +0.0 dB and 1 more");
        assert_eq!(replay_text(&group, true), "Bass fader -1.0 dB and 1 more");
        assert_eq!(replay_text(&[], true), "nothing");
    }
}
