//! The `[[section]]` tables of a session file: each read as written, then the list judged by
//! the section rules ([`problems`]), each broken rule reported at its place in the file.

use std::ops::Range;

use toml::Spanned;

use super::super::Section;
use super::super::limits::{FADER, scene_ramp_allowed};
use super::super::locate::{Source, join_key};
use super::super::raw::RawSection;
use super::super::sections::{Draft, Problem, SceneList, problems};
use super::automation::{Named, listed};
use super::{Checker, TIME_RULE, ramp_rule};
use crate::units::{Decibels, Seconds};

/// Reads every section, then judges the list by the section rules ([`problems`]), reporting
/// each broken rule at its place in the file. A scene may name channels and groups (a group's
/// scene value applies to its members as its fader does).
pub(super) fn check_sections(
    check: &mut Checker<'_, '_>,
    tables: &[Spanned<RawSection>],
    channels: &[Named<'_>],
    groups: &[Named<'_>],
    length: Option<Seconds>,
) -> Vec<Section> {
    let drafts: Vec<Draft<'_>> = tables
        .iter()
        .enumerate()
        .map(|(i, table)| read_section(check, table, &section_key(i)))
        .collect();
    let names: Vec<&str> = channels.iter().chain(groups).map(|n| n.name).collect();
    let strips = Strips { channels, groups };
    for problem in problems(&drafts, &names, length) {
        if let Some(place) = locate(check.src, tables, &drafts, &strips, &problem) {
            match place.value {
                Some(span) => check.bad(&span, &place.key, place.message),
                None => check.missing(place.at, &place.key, place.message),
            }
        }
    }
    drafts
        .iter()
        .map(|draft| Section {
            name: draft.name.unwrap_or_default().to_string(),
            start: draft.start.unwrap_or_default(),
            gain_db: draft
                .gain_db
                .iter()
                .map(|(channel, db)| ((*channel).to_string(), *db))
                .collect(),
            mute: draft.mute.iter().map(|name| (*name).to_string()).collect(),
            ramp_ms: draft
                .ramp_ms
                .filter(|ms| scene_ramp_allowed(*ms))
                .map(|ms| ms as u32),
        })
        .collect()
}

/// The key of the section at index `i`: `section[1]` for the first.
fn section_key(i: usize) -> String {
    format!("section[{}]", i + 1)
}

/// Reads one `[[section]]` table as written, reporting what is missing or is not a time; the
/// section rules judge the rest.
fn read_section<'t>(
    check: &mut Checker<'_, '_>,
    table: &'t Spanned<RawSection>,
    prefix: &str,
) -> Draft<'t> {
    let at = table.span().start;
    let raw = table.get_ref();
    let key = |k: &str| join_key(prefix, k);
    if raw.name.is_none() {
        check.missing(at, &key("name"), "missing: every [[section]] needs a name");
    }
    let start = match &raw.start {
        None => {
            check.missing(
                at,
                &key("start"),
                "missing: every [[section]] needs a start, like start = \"0:12.500\"",
            );
            None
        }
        Some(value) => check.read_time(value, &key("start")),
    };
    Draft {
        name: raw.name.as_ref().map(|name| name.get_ref().as_str()),
        start,
        gain_db: raw
            .gain_db
            .as_ref()
            .map(|map| {
                map.get_ref()
                    .0
                    .iter()
                    .map(|(name, db)| (name.get_ref().as_str(), Decibels(db.get_ref().0)))
                    .collect()
            })
            .unwrap_or_default(),
        mute: raw
            .mute
            .as_ref()
            .map(|list| {
                list.get_ref()
                    .iter()
                    .map(|n| n.get_ref().as_str())
                    .collect()
            })
            .unwrap_or_default(),
        ramp_ms: raw.ramp_ms.as_ref().map(|ms| ms.get_ref().0),
    }
}

/// Where in the file a broken section rule is reported, and how.
struct Place {
    /// The value to point at and quote; `None` to point at `at` with no value.
    value: Option<Range<usize>>,
    at: usize,
    key: String,
    message: String,
}

impl Place {
    /// At a value, quoting it.
    fn value(span: Range<usize>, key: String, message: String) -> Place {
        Place {
            at: span.start,
            value: Some(span),
            key,
            message,
        }
    }

    /// At a key (an entry of a table), quoting no value.
    fn key(at: usize, key: String, message: String) -> Place {
        Place {
            value: None,
            at,
            key,
            message,
        }
    }
}

/// A broken section rule as the file shows it: the key and value at fault and the rule in the
/// file's words. `None` only if the problem names a value the file does not hold.
fn locate(
    src: &Source<'_>,
    tables: &[Spanned<RawSection>],
    drafts: &[Draft<'_>],
    strips: &Strips<'_, '_>,
    problem: &Problem,
) -> Option<Place> {
    let raw = |i: usize| tables.get(i).map(Spanned::get_ref);
    let name_span = |i: usize| raw(i)?.name.as_ref().map(Spanned::span);
    let start_span = |i: usize| raw(i)?.start.as_ref().map(Spanned::span);
    let start = |i: usize| drafts.get(i)?.start;
    let key = |i: usize, k: &str| join_key(&section_key(i), k);
    match *problem {
        Problem::NoName { section } => Some(Place::value(
            name_span(section)?,
            key(section, "name"),
            "a name cannot be empty".to_string(),
        )),
        Problem::NameTaken { section, first } => {
            let (line, _) = src.line_column(name_span(first)?.start);
            Some(Place::value(
                name_span(section)?,
                key(section, "name"),
                format!(
                    "{} (line {line}) already has this name; section names must be unique",
                    section_key(first)
                ),
            ))
        }
        Problem::StartNotATime { section } => Some(Place::value(
            start_span(section)?,
            key(section, "start"),
            TIME_RULE.to_string(),
        )),
        Problem::StartPastEnd { section, end } => Some(Place::value(
            start_span(section)?,
            key(section, "start"),
            format!(
                "starts at {}, but the session ends at {end} (its longest stem); a section \
                 must start before the end",
                start(section)?
            ),
        )),
        Problem::StartOutOfOrder { section, previous } => {
            let before = match drafts.get(previous)?.name {
                Some(name) if !name.trim().is_empty() => {
                    format!("{} ({name:?})", section_key(previous))
                }
                _ => section_key(previous),
            };
            Some(Place::value(
                start_span(section)?,
                key(section, "start"),
                format!(
                    "sections must start in time order: this one starts at {}, not after \
                     {before} at {}",
                    start(section)?,
                    start(previous)?
                ),
            ))
        }
        Problem::RampOutOfRange { section } => Some(Place::value(
            raw(section)?.ramp_ms.as_ref()?.span(),
            key(section, "ramp_ms"),
            ramp_rule(),
        )),
        Problem::UnknownChannel { .. }
        | Problem::ChannelTwice { .. }
        | Problem::FaderOutOfRange { .. } => locate_scene(tables, strips, problem),
    }
}

/// A broken rule of a section's scene as the file shows it (see [`locate`]); `None` for the
/// other problems.
fn locate_scene(
    tables: &[Spanned<RawSection>],
    strips: &Strips<'_, '_>,
    problem: &Problem,
) -> Option<Place> {
    let raw = |i: usize| tables.get(i).map(Spanned::get_ref);
    let gain = |i: usize, entry: usize| raw(i)?.gain_db.as_ref()?.get_ref().0.get(entry);
    let gain_key = |i: usize, name: &str| join_key(&join_key(&section_key(i), "gain_db"), name);
    let mute = |i: usize, entry: usize| raw(i)?.mute.as_ref()?.get_ref().get(entry);
    let mute_key = |i: usize, entry: usize| format!("{}.mute[{}]", section_key(i), entry + 1);
    let no_channel = |name: &str| strips.unknown(name);
    match *problem {
        Problem::UnknownChannel {
            section,
            list: SceneList::Gain,
            entry,
        } => {
            let (name, _) = gain(section, entry)?;
            let key = gain_key(section, name.get_ref());
            Some(Place::key(
                name.span().start,
                key,
                no_channel(name.get_ref()),
            ))
        }
        Problem::UnknownChannel {
            section,
            list: SceneList::Mute,
            entry,
        } => {
            let name = mute(section, entry)?;
            let key = mute_key(section, entry);
            Some(Place::value(name.span(), key, no_channel(name.get_ref())))
        }
        Problem::ChannelTwice {
            section,
            list: SceneList::Gain,
            entry,
            ..
        } => {
            // TOML itself refuses a key written twice in a table, so a file never gets here.
            let (name, _) = gain(section, entry)?;
            let key = gain_key(section, name.get_ref());
            let message = format!("{:?} has two fader values here", name.get_ref());
            Some(Place::key(name.span().start, key, message))
        }
        Problem::ChannelTwice {
            section,
            list: SceneList::Mute,
            entry,
            first,
        } => {
            let name = mute(section, entry)?;
            let message = format!(
                "{:?} is already in this list ({}); name each channel once",
                name.get_ref(),
                mute_key(section, first)
            );
            Some(Place::value(name.span(), mute_key(section, entry), message))
        }
        Problem::FaderOutOfRange { section, entry } => {
            let (name, value) = gain(section, entry)?;
            let key = gain_key(section, name.get_ref());
            Some(Place::value(value.span(), key, FADER.rule.to_string()))
        }
        Problem::NoName { .. }
        | Problem::NameTaken { .. }
        | Problem::StartNotATime { .. }
        | Problem::StartPastEnd { .. }
        | Problem::StartOutOfOrder { .. }
        | Problem::RampOutOfRange { .. } => None,
    }
}

/// The names a scene may use: the session's channels and groups.
struct Strips<'n, 'r> {
    channels: &'n [Named<'r>],
    groups: &'n [Named<'r>],
}

impl Strips<'_, '_> {
    /// What a scene entry naming no channel and no group is told.
    fn unknown(&self, name: &str) -> String {
        if self.groups.is_empty() {
            format!(
                "no channel is named {name:?}; {}",
                listed(self.channels, "channel")
            )
        } else {
            format!(
                "no channel or group is named {name:?}; {}, and {}",
                listed(self.channels, "channel"),
                listed(self.groups, "group")
            )
        }
    }
}
