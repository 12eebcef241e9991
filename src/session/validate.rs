//! The validation pass: from the file as written ([`RawSession`]) to a [`Session`], collecting
//! every problem rather than stopping at the first.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::limits::{FADER, Limits, MASTER, PAN, TRIM, scene_ramp_allowed};
use super::locate::{Source, join_key};
use super::raw::{Number, RawChannel, RawReference, RawSession, StemFile, Time, TimeMap};
use super::tempo::{BarBeat, TempoMap};
use super::{Channel, MAX_SCENE_RAMP_MS, Reference, Role, Section, Session, SessionError};
use crate::engine::streams::{StemInfo, StreamError};
use crate::units::{Decibels, Pan, Seconds};

mod automation;
mod musical;
mod section_tables;
mod snapshot;
use automation::{channel_names, check_groups, check_rides, group_names};
use musical::check_tempo;
use section_tables::check_sections;

/// Lowest sample rate a session may ask for, in Hz.
pub const MIN_SAMPLE_RATE: u32 = 8_000;
/// Highest sample rate a session may ask for, in Hz.
pub const MAX_SAMPLE_RATE: u32 = 384_000;

/// What a time given as a number of seconds must be.
const TIME_RULE: &str = "a time must be a finite number of seconds, 0 or more";

/// Opens a stem far enough to learn what it holds ([`crate::engine::streams::probe`] in
/// production; tests may pass a fake).
pub(crate) type Probe<'p> = &'p mut dyn FnMut(&Path) -> Result<StemInfo, StreamError>;

/// Collects problems while checking a raw session.
struct Checker<'s, 'a> {
    src: &'s Source<'a>,
    /// Keys written with a value that could not be read (already reported): not missing.
    unreadable: &'s [String],
    errors: Vec<SessionError>,
    /// What times in bars are read through.
    tempo: TempoState,
}

/// The session's tempo as far as reading times in bars goes.
enum TempoState {
    /// The file gives no tempo: a time in bars is an error that says to add one.
    Absent,
    /// The tempo or a change is wrong (already reported): times in bars are not judged.
    Broken,
    Map(TempoMap),
}

impl Checker<'_, '_> {
    /// A problem with a value: points at it and quotes it.
    fn bad(&mut self, span: &Range<usize>, key: &str, message: impl Into<String>) {
        self.errors.push(self.src.error(span, key, message));
    }

    /// A problem at a place with no value to quote: a missing key (pointing at the table it
    /// belongs in) or a key naming something that does not exist.
    fn missing(&mut self, at: usize, key: &str, message: impl Into<String>) {
        if self.unreadable.iter().any(|k| k == key) {
            return;
        }
        self.errors.push(self.src.error_at(at, key, message));
    }

    /// A number within limits, or `default` when absent (and after reporting it when bad).
    fn number(
        &mut self,
        value: Option<&Spanned<Number>>,
        key: &str,
        limits: &Limits,
        default: f64,
    ) -> f64 {
        let Some(value) = value else { return default };
        let v = value.get_ref().0;
        if limits.allows(v) {
            v
        } else {
            self.bad(&value.span(), key, limits.rule);
            default
        }
    }

    /// A non-empty name, or an empty string after reporting why.
    fn name(
        &mut self,
        value: Option<&Spanned<String>>,
        at: usize,
        key: &str,
        what: &str,
    ) -> String {
        match value {
            None => {
                self.missing(at, key, format!("missing: every {what} needs a name"));
                String::new()
            }
            Some(name) if name.get_ref().trim().is_empty() => {
                self.bad(&name.span(), key, "a name cannot be empty");
                String::new()
            }
            Some(name) => name.get_ref().clone(),
        }
    }

    /// A time at or after 0.
    fn time(&mut self, value: &Spanned<Time>, key: &str) -> Option<Seconds> {
        let seconds = self.read_time(value, key)?;
        if seconds.0.is_finite() && seconds.0 >= 0.0 {
            Some(seconds)
        } else {
            self.bad(&value.span(), key, TIME_RULE);
            None
        }
    }

    /// A time as written: text that reads as a time (after reporting it when it does not), a
    /// place in bars read through the tempo map, or a number of seconds, which is not judged
    /// here.
    fn read_time(&mut self, value: &Spanned<Time>, key: &str) -> Option<Seconds> {
        match value.get_ref() {
            Time::Text(text) if BarBeat::parse(text).is_some() => self.bar_time(value, text, key),
            Time::Text(text) => {
                let seconds = Seconds::parse(text);
                if seconds.is_none() {
                    self.bad(
                        &value.span(),
                        key,
                        "not a time; write minutes:seconds like \"1:23.500\" (or \
                         \"h:mm:ss.mmm\"), a number of seconds like 83.5, or a bar like \
                         \"bar 9\" or \"bar 9 beat 3\"",
                    );
                }
                seconds
            }
            Time::Seconds(s) => Some(Seconds(*s)),
        }
    }

    /// A time written in bars (`text` starts with the word `bar`), read through the tempo map.
    fn bar_time(&mut self, value: &Spanned<Time>, text: &str, key: &str) -> Option<Seconds> {
        let Some(Some(at)) = BarBeat::parse(text) else {
            self.bad(
                &value.span(),
                key,
                "not a place in bars; write \"bar 9\" or \"bar 9 beat 3\" (bars and beats \
                 count from 1, bar 1 starts at 0:00)",
            );
            return None;
        };
        let map = match &self.tempo {
            TempoState::Map(map) => map,
            TempoState::Broken => return None,
            TempoState::Absent => {
                self.bad(
                    &value.span(),
                    key,
                    "a time in bars needs the song's tempo: add `tempo = 120` (beats per \
                     minute) and, unless it is 4/4, `meter = \"3/4\"` at the top of the file",
                );
                return None;
            }
        };
        let seconds = map.seconds(at);
        if seconds.is_none() {
            let tempo = map.tempo_at_bar(at.bar);
            self.bad(
                &value.span(),
                key,
                format!(
                    "bar {} is in {}: its beats go from 1 to {} (a fraction like beat {}.5 is \
                     allowed)",
                    at.bar, tempo.meter, tempo.meter.beats, tempo.meter.beats
                ),
            );
        }
        seconds
    }

    /// Resolves and probes a file named in the session; `None` after reporting a problem.
    fn file(
        &mut self,
        value: Option<&Spanned<String>>,
        at: usize,
        key: &str,
        what: &str,
        dir: &Path,
        probe: Probe<'_>,
    ) -> Option<(PathBuf, Spanned<String>, Option<StemInfo>)> {
        let Some(file) = value else {
            self.missing(at, key, format!("missing: {what}"));
            return None;
        };
        self.probe_file(&file.span(), file.get_ref(), key, dir, probe)
            .map(|(written, info)| (written, file.clone(), info))
    }

    /// Resolves and probes the file name `text`, written at `span`: the name as written and
    /// what the file holds (`None` after reporting why it cannot be read); `None` after
    /// reporting an empty name.
    fn probe_file(
        &mut self,
        span: &Range<usize>,
        text: &str,
        key: &str,
        dir: &Path,
        probe: Probe<'_>,
    ) -> Option<(PathBuf, Option<StemInfo>)> {
        if text.trim().is_empty() {
            self.bad(span, key, "the file name is empty");
            return None;
        }
        let written = PathBuf::from(text);
        let resolved = if written.is_absolute() {
            written.clone()
        } else {
            dir.join(&written)
        };
        match probe(&resolved) {
            Ok(info) => Some((written, Some(info))),
            Err(e) => {
                self.bad(span, key, e.to_string());
                Some((written, None))
            }
        }
    }
}

/// What was learnt about one channel's stem.
struct StemCheck {
    /// `None` when the file could not be read (already reported).
    info: Option<StemInfo>,
    /// The channel's `start`, when written and valid.
    start: Option<Seconds>,
}

/// Checks a raw session and builds the [`Session`], or returns every problem found.
pub(crate) fn validate(
    src: &Source<'_>,
    raw: &RawSession,
    probe: Probe<'_>,
) -> Result<Session, Vec<SessionError>> {
    let mut check = Checker {
        src,
        unreadable: &raw.unreadable,
        errors: Vec::new(),
        tempo: TempoState::Absent,
    };
    let dir = src
        .path()
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .to_path_buf();

    let name = check.name(raw.name.as_ref(), 0, "name", "session");
    let sample_rate = raw
        .sample_rate
        .as_ref()
        .and_then(|rate| check_sample_rate(&mut check, rate));
    check.tempo = check_tempo(&mut check, raw);
    let master_db = check.number(raw.master_db.as_ref(), "master_db", &MASTER, 0.0);
    let (mut channels, stems) = check_channels(&mut check, &raw.channel, &dir, probe);
    let rate = session_rate(sample_rate, raw.sample_rate.is_some(), &stems);
    if let Some(rate) = rate {
        place_channels(&mut channels, &stems, rate);
    }

    // Where the last stem ends, at the session's rate.
    let length_frames = rate.map_or(0, |rate| {
        channels
            .iter()
            .zip(&stems)
            .filter_map(|(channel, s)| {
                let info = s.as_ref()?.info.as_ref()?;
                Some(channel.start_frames + info.frames_at(rate))
            })
            .max()
            .unwrap_or(0)
    });
    // Sections are judged against the length only when the rate is known and every stem was
    // read; otherwise the length is not known.
    let length = rate
        .filter(|_| {
            stems
                .iter()
                .all(|s| s.as_ref().is_some_and(|s| s.info.is_some()))
        })
        .map(|rate| Seconds::from_frames(length_frames, rate));

    let ramp_ms = raw
        .ramp_ms
        .as_ref()
        .and_then(|value| check_ramp(&mut check, value, "ramp_ms"));
    let written_channels = channel_names(&check, &raw.channel);
    let written_groups = group_names(&check, &raw.group);
    let groups = check_groups(&mut check, &raw.group, &written_channels, &written_groups);
    let sections = check_sections(
        &mut check,
        &raw.section,
        &written_channels,
        &written_groups,
        length,
    );
    let rides = check_rides(
        &mut check,
        &raw.ride,
        &written_channels,
        &written_groups,
        length,
    );

    let names = (&written_channels[..], &written_groups[..], &sections[..]);
    let snapshots = snapshot::check_snapshots(&mut check, &raw.snapshot, names, length);
    let reference = raw
        .reference
        .as_ref()
        .and_then(|table| check_reference(&mut check, table, &dir, probe, &sections));

    let tempo = match check.tempo {
        TempoState::Map(map) => Some(map),
        TempoState::Absent | TempoState::Broken => None,
    };
    let mut errors = check.errors;
    if !errors.is_empty() {
        errors.sort_by_key(|e| (e.line, e.column));
        return Err(errors);
    }
    Ok(Session {
        path: src.path().to_path_buf(),
        name,
        sample_rate: rate.unwrap_or(MIN_SAMPLE_RATE),
        sample_rate_explicit: raw.sample_rate.is_some(),
        master_db: Decibels(master_db),
        tempo,
        channels,
        sections,
        ramp_ms,
        groups,
        rides,
        snapshots,
        reference,
        stems: stems.into_iter().flatten().filter_map(|s| s.info).collect(),
        length_frames,
    })
}

fn check_sample_rate(check: &mut Checker<'_, '_>, rate: &Spanned<Number>) -> Option<u32> {
    let hz = rate.get_ref().0;
    let range = f64::from(MIN_SAMPLE_RATE)..=f64::from(MAX_SAMPLE_RATE);
    if hz.fract() == 0.0 && range.contains(&hz) {
        return Some(hz as u32);
    }
    check.bad(
        &rate.span(),
        "sample_rate",
        format!(
            "the sample rate is a whole number of Hz from {MIN_SAMPLE_RATE} to \
             {MAX_SAMPLE_RATE}, like 48000; leave it out to use the first stem's rate"
        ),
    );
    None
}

/// Checks every channel, including that names are unique.
fn check_channels(
    check: &mut Checker<'_, '_>,
    tables: &[Spanned<RawChannel>],
    dir: &Path,
    probe: Probe<'_>,
) -> (Vec<Channel>, Vec<Option<StemCheck>>) {
    if tables.is_empty() {
        check.missing(
            check.src.text().len(),
            "channel",
            "no [[channel]] tables; a session needs at least one channel",
        );
    }
    let mut channels = Vec::with_capacity(tables.len());
    let mut stems = Vec::with_capacity(tables.len());
    // Names seen so far: the name, the channel's key and the line it is on.
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        let prefix = format!("channel[{}]", i + 1);
        let (channel, stem) = check_channel(check, table, &prefix, dir, probe);
        let written = table
            .get_ref()
            .name
            .as_ref()
            .filter(|_| !channel.name.is_empty());
        if let Some(name) = written {
            if let Some((_, other, line)) = seen.iter().find(|(n, _, _)| *n == channel.name) {
                check.bad(
                    &name.span(),
                    &join_key(&prefix, "name"),
                    format!(
                        "{other} (line {line}) already has this name; channel names must be unique"
                    ),
                );
            } else {
                let (line, _) = check.src.line_column(name.span().start);
                seen.push((channel.name.clone(), prefix.clone(), line));
            }
        }
        channels.push(channel);
        stems.push(stem);
    }
    (channels, stems)
}

/// Sets each channel's first frame in the song from its `start`, at the session's rate.
fn place_channels(channels: &mut [Channel], stems: &[Option<StemCheck>], rate: u32) {
    for (channel, stem) in channels.iter_mut().zip(stems) {
        if let Some(start) = stem.as_ref().and_then(|s| s.start) {
            channel.start_frames = (start.0 * f64::from(rate)).round() as u64;
        }
    }
}

/// The session's rate: the key, else the rate of the first stem that could be read. Stems at
/// other rates are resampled when played. `None` when the key was written but is not valid, or
/// no stem could be read.
fn session_rate(
    sample_rate: Option<u32>,
    explicit: bool,
    stems: &[Option<StemCheck>],
) -> Option<u32> {
    match (sample_rate, explicit) {
        (Some(rate), _) => Some(rate),
        (None, true) => None,
        (None, false) => stems
            .iter()
            .flatten()
            .find_map(|s| Some(s.info.as_ref()?.sample_rate)),
    }
}

fn check_channel(
    check: &mut Checker<'_, '_>,
    table: &Spanned<RawChannel>,
    prefix: &str,
    dir: &Path,
    probe: Probe<'_>,
) -> (Channel, Option<StemCheck>) {
    let at = table.span().start;
    let raw = table.get_ref();
    let key = |k: &str| join_key(prefix, k);
    let name = check.name(raw.name.as_ref(), at, &key("name"), "[[channel]]");
    let stem = check_stem_file(check, raw.file.as_ref(), at, &key("file"), dir, probe)
        .map(|(written, right, info)| (written, right, StemCheck { info, start: None }));
    let role = raw.role.as_ref().and_then(|word| {
        let role = Role::parse(word.get_ref());
        if role.is_none() {
            let words: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            check.bad(
                &word.span(),
                &key("role"),
                format!("not a role; use one of {}", words.join(", ")),
            );
        }
        role
    });
    let trim_db = check.number(raw.trim_db.as_ref(), &key("trim_db"), &TRIM, 0.0);
    let gain_db = check.number(raw.gain_db.as_ref(), &key("gain_db"), &FADER, 0.0);
    let pan = check.number(raw.pan.as_ref(), &key("pan"), &PAN, 0.0);
    let (file, right_file, stem) = match stem {
        Some((written, right, stem)) => (written, right, Some(stem)),
        None => (PathBuf::new(), None, None),
    };
    let channel = Channel {
        name,
        file,
        right_file,
        role,
        trim_db: Decibels(trim_db),
        gain_db: Decibels(gain_db),
        pan: Pan(pan),
        mute: raw.mute.as_ref().is_some_and(|m| *m.get_ref()),
        solo: raw.solo.as_ref().is_some_and(|s| *s.get_ref()),
        // Set from `start` once the session's rate is known (see `place_channels`).
        start_frames: 0,
    };
    let start = raw
        .start
        .as_ref()
        .and_then(|value| check.time(value, &key("start")));
    (channel, stem.map(|s| StemCheck { start, ..s }))
}

/// A channel's `file`: one stem file, or two mono files of the same rate for a split-stereo
/// stem (left, right). Returns the (left or only) file as written, the right file of a split
/// stem, and what the channel's stem holds (a split stem: stereo, as long as the longer file;
/// `None` after reporting why it cannot be used); `None` after reporting a missing or empty
/// name or an array that does not hold two names.
fn check_stem_file(
    check: &mut Checker<'_, '_>,
    value: Option<&Spanned<StemFile>>,
    at: usize,
    key: &str,
    dir: &Path,
    probe: Probe<'_>,
) -> Option<(PathBuf, Option<PathBuf>, Option<StemInfo>)> {
    let Some(value) = value else {
        check.missing(
            at,
            key,
            "missing: every [[channel]] needs a file, the stem's path relative to the session \
             file",
        );
        return None;
    };
    let files = match value.get_ref() {
        StemFile::One(text) => {
            return check
                .probe_file(&value.span(), text, key, dir, probe)
                .map(|(written, info)| (written, None, info));
        }
        StemFile::Split(files) => files,
    };
    let [left, right] = files.as_slice() else {
        check.bad(
            &value.span(),
            key,
            format!(
                "a split-stereo channel names two mono files, left then right, like \
                 [\"Piano L.wav\", \"Piano R.wav\"]; this names {}",
                files.len()
            ),
        );
        return None;
    };
    let left_file = check.probe_file(&left.span(), left.get_ref(), key, dir, probe);
    let right_file = check.probe_file(&right.span(), right.get_ref(), key, dir, probe);
    let ((left_written, left_info), (right_written, right_info)) = (left_file?, right_file?);
    let mut mono = |side: &str, file: &Spanned<String>, info: &Option<StemInfo>| {
        let channels = info.as_ref().map_or(1, |i| i.channels);
        if channels != 1 {
            check.bad(
                &file.span(),
                key,
                format!(
                    "the {side} file of a split-stereo channel must be mono; this one has \
                     {channels} channels"
                ),
            );
        }
        channels == 1
    };
    let both_mono = mono("left", left, &left_info) & mono("right", right, &right_info);
    let info = match (left_info, right_info) {
        (Some(l), Some(r)) if both_mono => {
            if l.sample_rate == r.sample_rate {
                Some(StemInfo {
                    channels: 2,
                    frames: l.frames.max(r.frames),
                    ..l
                })
            } else {
                check.bad(
                    &right.span(),
                    key,
                    format!(
                        "this file is at {} Hz and the left one at {} Hz; both files of a \
                         split-stereo channel must have the same sample rate",
                        r.sample_rate, l.sample_rate
                    ),
                );
                None
            }
        }
        _ => None,
    };
    Some((left_written, Some(right_written), info))
}

/// The scene ramp rule, in a session file's words.
fn ramp_rule() -> String {
    format!(
        "the scene ramp is a whole number of milliseconds from 0 (a cut) to \
         {MAX_SCENE_RAMP_MS}, like 250"
    )
}

/// Checks the session's scene glide time ([`scene_ramp_allowed`]).
fn check_ramp(check: &mut Checker<'_, '_>, value: &Spanned<Number>, key: &str) -> Option<u32> {
    let ms = value.get_ref().0;
    if scene_ramp_allowed(ms) {
        return Some(ms as u32);
    }
    check.bad(&value.span(), key, ramp_rule());
    None
}

fn check_reference(
    check: &mut Checker<'_, '_>,
    table: &Spanned<RawReference>,
    dir: &Path,
    probe: Probe<'_>,
    sections: &[Section],
) -> Option<Reference> {
    let raw = table.get_ref();
    let file = check.file(
        raw.file.as_ref(),
        table.span().start,
        "reference.file",
        "a [reference] needs a file, the reference mix's path relative to the session file",
        dir,
        probe,
    );
    let offset = raw.offset.as_ref().map_or(Some(Seconds(0.0)), |value| {
        let offset = check.time(value, "reference.offset")?;
        if let Some((_, _, Some(info))) = &file {
            let end = Seconds(info.seconds());
            if offset >= end {
                check.bad(
                    &value.span(),
                    "reference.offset",
                    format!("the reference is only {end} long; the offset must be inside it"),
                );
                return None;
            }
        }
        Some(offset)
    });
    let end = file
        .as_ref()
        .and_then(|(_, _, info)| info.as_ref().map(|i| Seconds(i.seconds())));
    let aligned = raw
        .sections
        .as_ref()
        .map(|map| check_alignment(check, map.get_ref(), sections, end))
        .unwrap_or_default();
    let (file, _, _) = file?;
    Some(Reference {
        file,
        offset: offset?,
        sections: aligned,
    })
}

/// The reference's `sections` table: names of the session's sections, each once, with where
/// that section starts in the reference (inside it, when its length is known).
fn check_alignment(
    check: &mut Checker<'_, '_>,
    map: &TimeMap,
    sections: &[Section],
    end: Option<Seconds>,
) -> Vec<(String, Seconds)> {
    let mut out: Vec<(String, Seconds)> = Vec::with_capacity(map.0.len());
    for (name, value) in &map.0 {
        let key = join_key("reference.sections", name.get_ref());
        if !sections.iter().any(|s| s.name == *name.get_ref()) {
            let known: Vec<String> = sections.iter().map(|s| format!("{:?}", s.name)).collect();
            let known = if known.is_empty() {
                "the session has no sections".to_string()
            } else {
                format!("the sections are {}", known.join(", "))
            };
            check.missing(
                name.span().start,
                &key,
                format!("no section is named {:?}; {known}", name.get_ref()),
            );
            continue;
        }
        let Some(at) = check.time(value, &key) else {
            continue;
        };
        if let Some(end) = end.filter(|end| at >= *end) {
            check.bad(
                &value.span(),
                &key,
                format!("the reference is only {end} long; the section must start inside it"),
            );
            continue;
        }
        out.push((name.get_ref().clone(), at));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stem(rate: u32, frames: u64) -> StemInfo {
        StemInfo {
            format: "WAV, PCM 16-bit".into(),
            channels: 2,
            sample_rate: rate,
            frames,
        }
    }

    /// Validates `text` with stems faked by name: "48k*.wav" at 48 kHz, "44k*.wav" at 44.1 kHz,
    /// each 10 s long, or 20 s when the name has "long" in it; anything else is missing.
    pub(super) fn run(text: &str) -> Result<Session, Vec<SessionError>> {
        let path = Path::new("/songs/s.toml");
        let src = Source::new(path, text);
        let (raw, errors) = crate::session::raw::read_text(text);
        assert_eq!(errors, Vec::<String>::new());
        let mut probe = |p: &Path| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            let seconds = if name.contains("long") { 20 } else { 10 };
            if name.starts_with("48k") {
                Ok(stem(48_000, 48_000 * seconds))
            } else if name.starts_with("44k") {
                Ok(stem(44_100, 44_100 * seconds))
            } else {
                Err(StreamError::Open {
                    path: p.to_path_buf(),
                    reason: "no such file".into(),
                })
            }
        };
        validate(&src, &raw, &mut probe)
    }

    pub(super) fn messages(text: &str) -> Vec<String> {
        run(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// A minimal session builds with defaults, the first stem's rate and the longest stem's length.
    #[test]
    fn minimal_session_builds_with_defaults() {
        let session = run(
            "version = 1\nname = \"S\"\n[[channel]]\nname = \"A\"\nfile = \"48k.wav\"\n\
                           [[section]]\nname = \"V\"\nstart = \"0:01\"\ngain_db = { A = -3 }\n",
        )
        .unwrap();
        assert_eq!(session.sample_rate, 48_000);
        assert!(!session.sample_rate_explicit);
        assert_eq!(session.length_frames, 480_000);
        assert_eq!(session.channels[0].gain_db, Decibels(0.0));
        assert_eq!(session.channels[0].pan, Pan(0.0));
        assert_eq!(session.sections[0].start, Seconds(1.0));
        assert_eq!(
            session.sections[0].gain_db,
            vec![("A".to_string(), Decibels(-3.0))]
        );
        assert_eq!(session.stems.len(), 1);
    }

    /// A channel's `start` places its stem at that frame of the session's rate (rounded), and
    /// the session lasts until the last stem ends; a negative start is refused.
    #[test]
    fn channel_start_places_the_stem_and_lengthens_the_session() {
        let session = run("version = 1\nname = \"S\"\nsample_rate = 48000\n\
             [[channel]]\nname = \"A\"\nfile = \"48k.wav\"\n\
             [[channel]]\nname = \"B\"\nfile = \"44k.wav\"\nstart = \"0:02.5\"\n")
        .unwrap();
        assert_eq!(session.channels[0].start_frames, 0);
        assert_eq!(session.channels[1].start_frames, 120_000);
        assert_eq!(session.length_frames, 120_000 + 480_000);
        let errors = messages(
            "version = 1\nname = \"S\"\n[[channel]]\nname = \"A\"\nfile = \"48k.wav\"\nstart = -1\n",
        );
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(errors[0].contains("channel[1].start = -1"), "{errors:#?}");
    }

    /// -inf is a valid fader value and NaN is not.
    #[test]
    fn fader_accepts_minus_inf_and_rejects_nan() {
        let base = "version = 1\nname = \"S\"\n[[channel]]\nname = \"A\"\nfile = \"48k.wav\"\n";
        let session = run(&format!("{base}gain_db = -inf\n")).unwrap();
        assert!(session.channels[0].gain_db.is_off());
        let errors = messages(&format!("{base}gain_db = nan\n"));
        assert_eq!(
            errors,
            [
                "/songs/s.toml:6:11: channel[1].gain_db = nan: the fader goes from -inf (off) to +12 dB"
            ]
        );
    }

    /// Missing keys are all reported, pointing at their table.
    #[test]
    fn missing_keys_are_all_reported() {
        let errors =
            messages("version = 1\n[[channel]]\nrole = \"bass\"\n[[section]]\n[reference]\n");
        let expected = [
            "/songs/s.toml:1:1: name: missing: every session needs a name",
            "/songs/s.toml:2:1: channel[1].name: missing: every [[channel]] needs a name",
            "/songs/s.toml:2:1: channel[1].file: missing: every [[channel]] needs a file",
            "/songs/s.toml:4:1: section[1].name: missing: every [[section]] needs a name",
            "/songs/s.toml:4:1: section[1].start: missing: every [[section]] needs a start",
            "/songs/s.toml:5:1: reference.file: missing: a [reference] needs a file",
        ];
        assert_eq!(errors.len(), expected.len(), "{errors:#?}");
        for (error, expected) in errors.iter().zip(expected) {
            assert!(error.starts_with(expected), "{error}");
        }
    }

    /// Stems at another rate than an explicit `sample_rate` load (they are resampled), and the
    /// session's length is the longest stem converted to the session's rate, rounded up.
    #[test]
    fn stems_at_another_rate_load_and_count_at_the_session_rate() {
        let session = run(
            "version = 1\nname = \"S\"\nsample_rate = 44100\n[[channel]]\nname = \"A\"\nfile = \"48k.wav\"\n",
        )
        .unwrap();
        assert_eq!(
            (session.sample_rate, session.length_frames),
            (44_100, 441_000)
        );
        assert_eq!(session.stems[0].sample_rate, 48_000);
        let session = run(
            "version = 1\nname = \"S\"\nsample_rate = 96000\n[[channel]]\nname = \"A\"\nfile = \"44k.wav\"\n",
        )
        .unwrap();
        // 441000 * 96000 / 44100 = 960000 exactly; a frame more would round up.
        assert_eq!(session.length_frames, 960_000);
        let mut info = stem(44_100, 441_001);
        assert_eq!(info.frames_at(96_000), 960_003);
        info.sample_rate = 96_000;
        assert_eq!(info.frames_at(96_000), 441_001);
    }

    /// Without the key the first stem sets the rate; the length counts every stem at that rate,
    /// so sections are judged against the longest stem whatever its rate.
    #[test]
    fn first_stem_sets_the_rate_and_sections_see_every_stem() {
        let text = |start: &str| {
            format!(
                "version = 1\nname = \"S\"\n[[channel]]\nname = \"A\"\nfile = \"44k.wav\"\n\
                 [[channel]]\nname = \"B\"\nfile = \"48k-long.wav\"\n\
                 [[section]]\nname = \"V\"\nstart = {start}\n"
            )
        };
        let session = run(&text("15")).unwrap();
        assert_eq!(
            (session.sample_rate, session.sample_rate_explicit),
            (44_100, false)
        );
        assert_eq!(session.length_frames, 882_000);
        let errors = messages(&text("25"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains(
                "section[1].start = 25: starts at 0:25.000, but the session ends at 0:20.000"
            ),
            "{}",
            errors[0]
        );
    }

    /// A session with `top` after its name, channels "Bass" and "Keys", and sections "Intro",
    /// "Verse" (at 2 s, ending with `section_2`) and "Chorus" (at 4 s, ending with `section_3`).
    fn scenes(top: &str, section_2: &str, section_3: &str) -> String {
        format!(
            "version = 1\nname = \"S\"\n{top}\
             [[channel]]\nname = \"Bass\"\nfile = \"48k.wav\"\n\
             [[channel]]\nname = \"Keys\"\nfile = \"48k.wav\"\n\
             [[section]]\nname = \"Intro\"\nstart = 0\n\
             [[section]]\nname = \"Verse\"\nstart = 2\n{section_2}\
             [[section]]\nname = \"Chorus\"\nstart = 4\n{section_3}"
        )
    }

    /// Scene mutes and ramps load in file order, and sections without them get none.
    #[test]
    fn scene_mutes_and_ramps_load() {
        let session = run(&scenes(
            "ramp_ms = 400\n",
            "mute = [\"Keys\", \"Bass\"]\nramp_ms = 0\n",
            "gain_db = { Keys = -2 }\nramp_ms = 10000\n",
        ))
        .unwrap();
        assert_eq!(session.ramp_ms, Some(400));
        let [intro, verse, chorus] = &session.sections[..] else {
            panic!("three sections");
        };
        assert_eq!((intro.mute.len(), intro.ramp_ms), (0, None));
        assert_eq!(verse.mute, ["Keys", "Bass"]);
        assert_eq!(verse.ramp_ms, Some(0));
        assert_eq!(chorus.ramp_ms, Some(10_000));
        assert!(chorus.mute.is_empty());
        assert_eq!(run(&scenes("", "", "")).unwrap().ramp_ms, None);
    }

    /// A scene mute naming no channel, or a channel twice, is reported at the entry, with its
    /// index in the list, the value and what is allowed.
    #[test]
    fn scene_mutes_must_name_channels_once() {
        let errors = messages(&scenes(
            "",
            "mute = [\"Bas\"]\n",
            "mute = [\"Keys\", \"Bass\", \"Keys\"]\n",
        ));
        assert_eq!(
            errors,
            [
                "/songs/s.toml:15:9: section[2].mute[1] = \"Bas\": no channel is named \"Bas\"; \
                 the channels are \"Bass\", \"Keys\"",
                "/songs/s.toml:19:25: section[3].mute[3] = \"Keys\": \"Keys\" is already in this \
                 list (section[3].mute[1]); name each channel once",
            ]
        );
    }

    /// Ramps are whole milliseconds from 0 to 10000, in a section and at the top.
    #[test]
    fn ramps_are_whole_milliseconds_in_range() {
        let errors = messages(&scenes(
            "ramp_ms = 2.5\n",
            "ramp_ms = -1\n",
            "ramp_ms = 10001\n",
        ));
        let rule = "the scene ramp is a whole number of milliseconds from 0 (a cut) to 10000, \
                    like 250";
        assert_eq!(
            errors,
            [
                format!("/songs/s.toml:3:11: ramp_ms = 2.5: {rule}"),
                format!("/songs/s.toml:16:11: section[2].ramp_ms = -1: {rule}"),
                format!("/songs/s.toml:20:11: section[3].ramp_ms = 10001: {rule}"),
            ]
        );
        assert!(messages(&scenes("ramp_ms = nan\n", "", ""))[0].contains("ramp_ms = nan"));
    }

    /// Two sections with the same name are refused (edits address sections by name).
    #[test]
    fn section_names_must_be_unique() {
        let text = scenes("", "", "").replace("name = \"Chorus\"", "name = \"Verse\"");
        assert_eq!(
            messages(&text),
            [
                "/songs/s.toml:16:8: section[3].name = \"Verse\": section[2] (line 13) already has \
              this name; section names must be unique"
            ]
        );
    }

    /// A section start or a reference offset given as a number must be a finite time of 0 or
    /// more; a start is then compared with the latest earlier start that is one, which the
    /// message names by key (and by name when it has one).
    #[test]
    fn numeric_times_must_be_finite_and_not_negative() {
        let errors = messages(
            "version = 1\nname = \"S\"\n[[channel]]\nname = \"A\"\nfile = \"48k.wav\"\n\
             [[section]]\nname = \"\"\nstart = 3\n\
             [[section]]\nname = \"B\"\nstart = -0.5\n\
             [[section]]\nname = \"C\"\nstart = nan\n\
             [[section]]\nname = \"D\"\nstart = 2\n\
             [reference]\nfile = \"48k-ref.wav\"\noffset = -inf\n",
        );
        let rule = "a time must be a finite number of seconds, 0 or more";
        assert_eq!(
            errors,
            [
                "/songs/s.toml:7:8: section[1].name = \"\": a name cannot be empty".to_string(),
                format!("/songs/s.toml:11:9: section[2].start = -0.5: {rule}"),
                format!("/songs/s.toml:14:9: section[3].start = nan: {rule}"),
                "/songs/s.toml:17:9: section[4].start = 2: sections must start in time order: \
                 this one starts at 0:02.000, not after section[1] at 0:03.000"
                    .to_string(),
                format!("/songs/s.toml:20:10: reference.offset = -inf: {rule}"),
            ]
        );
    }

    /// An explicit sample rate outside its range, or not whole, is an error.
    #[test]
    fn explicit_rate_is_checked_against_its_range() {
        let errors = messages(
            "version = 1\nname = \"S\"\nsample_rate = 44100.5\n[[channel]]\nname = \"A\"\nfile = \"48k.wav\"\n",
        );
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("sample_rate = 44100.5: the sample rate is a whole number"));
        let errors = messages(
            "version = 1\nname = \"S\"\nsample_rate = 1000\n[[channel]]\nname = \"A\"\nfile = \"48k.wav\"\n",
        );
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("sample_rate = 1000: the sample rate is a whole number"));
    }

    /// With `tempo = 120` (4/4, 2 s bars) and a change to 3/4 at 60 from bar 5 (3 s bars),
    /// "bar N" and "bar N beat B" place sections, channel starts and the reference through the
    /// map, and the session carries the map.
    #[test]
    fn bar_times_are_read_through_the_tempo_map() {
        let session = run("version = 1\nname = \"S\"\ntempo = 120\n\
             [[tempo_change]]\nbar = 5\ntempo = 60\nmeter = \"3/4\"\n\
             [[channel]]\nname = \"A\"\nfile = \"48k-long.wav\"\n\
             [[channel]]\nname = \"B\"\nfile = \"48k.wav\"\nstart = \"bar 2 beat 3\"\n\
             [[section]]\nname = \"Intro\"\nstart = \"bar 1\"\n\
             [[section]]\nname = \"Verse\"\nstart = \"bar 6 beat 2\"\n\
             [reference]\nfile = \"48k-ref.wav\"\noffset = \"bar 1 beat 2\"\n\
             sections = { Verse = \"bar 5\" }\n")
        .unwrap();
        assert_eq!(session.channels[1].start_frames, 3 * 48_000);
        let starts: Vec<f64> = session.sections.iter().map(|s| s.start.0).collect();
        assert_eq!(starts, [0.0, 8.0 + 3.0 + 1.0]);
        let reference = session.reference.unwrap();
        assert_eq!(reference.offset, Seconds(0.5));
        assert_eq!(reference.sections, [("Verse".to_string(), Seconds(8.0))]);
        let map = session.tempo.unwrap();
        assert_eq!(map.position(Seconds(12.0)).to_string(), "6.2");
    }

    /// A time in bars without a tempo says to add one; a meter or a tempo change without a
    /// tempo says the same at its own place.
    #[test]
    fn bars_without_a_tempo_say_to_add_one() {
        let errors = messages(
            "version = 1\nname = \"S\"\nmeter = \"3/4\"\n\
             [[channel]]\nname = \"A\"\nfile = \"48k.wav\"\nstart = \"bar 2\"\n",
        );
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(
            errors[0].starts_with("/songs/s.toml:3:9: meter = \"3/4\": a meter needs the song's tempo: add `tempo = 120`"),
            "{errors:#?}"
        );
        let errors = messages(
            "version = 1\nname = \"S\"\n\
             [[channel]]\nname = \"A\"\nfile = \"48k.wav\"\nstart = \"bar 2\"\n",
        );
        assert_eq!(
            errors,
            [
                "/songs/s.toml:6:9: channel[1].start = \"bar 2\": a time in bars needs the song's \
              tempo: add `tempo = 120` (beats per minute) and, unless it is 4/4, \
              `meter = \"3/4\"` at the top of the file"
            ]
        );
    }

    /// Bad tempos, meters, change bars and beats past the bar's end are each reported with
    /// key, value and rule, all in one run.
    #[test]
    fn tempo_mistakes_are_all_reported() {
        let errors = messages(
            "version = 1\nname = \"S\"\ntempo = 5\nmeter = \"4/5\"\n\
             [[tempo_change]]\nbar = 1\ntempo = 90\n\
             [[tempo_change]]\nbar = 9\n\
             [[channel]]\nname = \"A\"\nfile = \"48k.wav\"\n",
        );
        assert_eq!(errors.len(), 4, "{errors:#?}");
        assert!(errors[0].contains("3:9: tempo = 5: a tempo is beats per minute from 10 to 1000"));
        assert!(errors[1].contains("4:9: meter = \"4/5\": a meter is beats to the bar"));
        assert!(errors[2].contains(
            "6:7: tempo_change[1].bar = 1: a tempo change starts at a whole bar number from 2"
        ));
        assert!(errors[3].contains("8:1: tempo_change[2]: a tempo change gives a new tempo"));
        let errors = messages(
            "version = 1\nname = \"S\"\ntempo = 120\nmeter = \"6/8\"\n\
             [[tempo_change]]\nbar = 9\nmeter = \"3/4\"\n\
             [[tempo_change]]\nbar = 9\ntempo = 100\n\
             [[channel]]\nname = \"A\"\nfile = \"48k.wav\"\n",
        );
        assert_eq!(
            errors,
            [
                "/songs/s.toml:9:7: tempo_change[2].bar = 9: a tempo change starts at a whole bar \
              number after tempo_change[1]'s bar 9"
            ]
        );
        let errors = messages(
            "version = 1\nname = \"S\"\ntempo = 120\nmeter = \"6/8\"\n\
             [[channel]]\nname = \"A\"\nfile = \"48k.wav\"\n\
             [[section]]\nname = \"V\"\nstart = \"bar 2 beat 7\"\n\
             [[section]]\nname = \"C\"\nstart = \"bar two\"\n",
        );
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert!(errors[0].ends_with(
            "section[1].start = \"bar 2 beat 7\": bar 2 is in 6/8: its beats go from 1 to 6 \
             (a fraction like beat 6.5 is allowed)"
        ));
        assert!(errors[1].ends_with(
            "section[2].start = \"bar two\": not a place in bars; write \
             \"bar 9\" or \"bar 9 beat 3\" (bars and beats count from 1, bar 1 starts at 0:00)"
        ));
    }

    /// The reference's section alignment names sections of the session with times inside the
    /// reference; an unknown section or a time past the reference's end names the key and value.
    #[test]
    fn reference_alignment_is_checked() {
        let base = "version = 1\nname = \"S\"\n[[channel]]\nname = \"A\"\nfile = \"48k.wav\"\n\
                    [[section]]\nname = \"Verse\"\nstart = 0\n[[section]]\nname = \"Chorus\"\nstart = 5\n\
                    [reference]\nfile = \"48k-ref.wav\"\n";
        let session = run(&format!("{base}sections = {{ Chorus = \"0:07.5\" }}\n")).unwrap();
        let reference = session.reference.unwrap();
        assert_eq!(
            reference.sections,
            vec![("Chorus".to_string(), Seconds(7.5))]
        );
        let errors = messages(&format!(
            "{base}[reference.sections]\nBridge = 3\nChorus = 12\n"
        ));
        assert_eq!(
            errors,
            [
                "/songs/s.toml:15:1: reference.sections.Bridge: no section is named \
                 \"Bridge\"; the sections are \"Verse\", \"Chorus\"",
                "/songs/s.toml:16:10: reference.sections.Chorus = 12: the reference is only \
                 0:10.000 long; the section must start inside it"
            ]
        );
    }
}
