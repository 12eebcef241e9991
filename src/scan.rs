//! A folder of stems made into a session plan, for `earmix new`: which files are stems, in
//! what order, under what names and roles, which mono files pair into one stereo channel, and
//! where stems that start later than the song begin. Nothing here writes a file.

pub mod bwf;
pub mod gain;
pub mod names;
pub mod roles;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::engine::streams::{StemInfo, probe};
use crate::session::Role;
use crate::units::Seconds;
use names::{CleanName, Side, clean, natural_cmp, side_of};
use roles::RoleRules;

/// Folders below the scanned one that hold stems too (matched ignoring case): the usual
/// export folder, and Pro Tools' `Audio Files`.
pub const STEM_FOLDERS: [&str; 3] = ["stems", "audio", "audio files"];

/// File extensions read as stems (ignoring case).
pub const AUDIO_EXTENSIONS: [&str; 9] = [
    "wav", "wave", "bwf", "flac", "mp3", "ogg", "oga", "aif", "aiff",
];

/// What the scan made of a folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The folder scanned.
    pub dir: PathBuf,
    /// The folders stems were looked for in (the folder and its stem folders).
    pub looked_in: Vec<PathBuf>,
    /// The song's name: the folder's.
    pub song: String,
    /// The session's rate: the rate most stems have (the first stem's on a tie).
    pub sample_rate: u32,
    /// Whether stems come at more than one rate (the session then states its rate).
    pub mixed_rates: bool,
    /// The channels, in natural order of their file names.
    pub channels: Vec<PlannedChannel>,
    /// Files that are not made channels, and why, in name order.
    pub skipped: Vec<Skipped>,
}

/// One channel to be.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedChannel {
    /// The channel's name, unique in the plan.
    pub name: String,
    /// The stem file, relative to the scanned folder; two for a split-stereo pair (left, right).
    pub files: Vec<PathBuf>,
    /// What each file holds (same order as `files`).
    pub infos: Vec<StemInfo>,
    /// The role guessed from the name (`Other` when no rule matched).
    pub role: Role,
    /// The rule's name that matched, e.g. "bass di"; `None` when none did.
    pub matched: Option<String>,
    /// Where the stem starts in the song, from its BWF time stamp (0: with the song).
    pub start: Seconds,
    /// What the table says about the channel besides its name, role and files.
    pub notes: Vec<String>,
}

impl PlannedChannel {
    /// The stem's rate.
    pub fn sample_rate(&self) -> u32 {
        self.infos.first().map_or(0, |i| i.sample_rate)
    }
}

/// A file that is not a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file, relative to the scanned folder.
    pub file: PathBuf,
    /// Why.
    pub reason: String,
}

/// Why a folder cannot be scanned.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The folder is not there or not a folder.
    #[error("{path}: {reason}")]
    NotAFolder { path: PathBuf, reason: String },
    /// Listing a folder failed.
    #[error("cannot list {path}: {error}")]
    List {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
}

/// A stem file found, probed.
struct Found {
    rel: PathBuf,
    info: StemInfo,
    clean: CleanName,
    /// Samples since midnight at the file's rate (BWF), when the file says.
    time_reference: Option<u64>,
}

/// Scans `dir` (and its stem folders) and plans a session. `ignore` is a file not to list (the
/// session file being written). Files that cannot be read are skipped with the reason.
///
/// Not realtime-safe (file I/O).
pub fn plan(dir: &Path, ignore: Option<&Path>, rules: &RoleRules) -> Result<Plan, ScanError> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(ScanError::NotAFolder {
                path: dir.to_path_buf(),
                reason: "not a folder".into(),
            });
        }
        Err(e) => {
            return Err(ScanError::NotAFolder {
                path: dir.to_path_buf(),
                reason: e.to_string(),
            });
        }
    }
    let song = song_name(dir);
    let (looked_in, files) = list(dir)?;
    let ignore = ignore.and_then(|p| std::fs::canonicalize(p).ok());
    let mut skipped = Vec::new();
    let mut found = Vec::new();
    for rel in files {
        let path = dir.join(&rel);
        if ignore.is_some() && std::fs::canonicalize(&path).ok() == ignore {
            continue;
        }
        if !is_audio_name(&rel) {
            skipped.push(Skipped {
                file: rel,
                reason: "not an audio file (earmix takes WAV, FLAC, MP3, Ogg Vorbis and AIFF)"
                    .into(),
            });
            continue;
        }
        let info = match probe(&path) {
            Ok(info) => info,
            Err(e) => {
                skipped.push(Skipped {
                    file: rel,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        if info.frames == 0 {
            skipped.push(Skipped {
                file: rel,
                reason: "it holds no audio (0 frames)".into(),
            });
            continue;
        }
        let time_reference = bwf::time_reference(&path).ok().flatten();
        let stem = rel
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        found.push(Found {
            clean: clean(&stem, &song),
            rel,
            info,
            time_reference,
        });
    }
    let mut channels = unique_names(pair(&found, rules));
    let sample_rate = session_rate(&channels);
    let mixed_rates = channels.iter().any(|c| c.sample_rate() != sample_rate);
    if mixed_rates {
        for channel in &mut channels {
            let rate = channel.sample_rate();
            if rate != sample_rate {
                channel.notes.push(format!(
                    "{} kHz: resampled to the session's {} kHz",
                    khz(rate),
                    khz(sample_rate)
                ));
            }
        }
    }
    Ok(Plan {
        dir: dir.to_path_buf(),
        looked_in,
        song,
        sample_rate,
        mixed_rates,
        channels,
        skipped,
    })
}

/// A rate in kHz as engineers write it: 44.1, 48, 96.
pub fn khz(rate: u32) -> String {
    let k = f64::from(rate) / 1000.0;
    format!("{k}")
}

/// The song's name: the folder's name (of the absolute path, so `.` has one).
fn song_name(dir: &Path) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.file_name().map_or_else(
        || "Untitled".to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The files in `dir` and in its stem folders, relative to `dir`, in natural order of their
/// names (then of their folders); hidden files are left out. Returns the folders looked in too.
fn list(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), ScanError> {
    let mut folders = vec![PathBuf::new()];
    let mut files = Vec::new();
    let entries = |folder: &Path| {
        std::fs::read_dir(dir.join(folder)).map_err(|error| ScanError::List {
            path: dir.join(folder),
            error,
        })
    };
    let mut i = 0;
    while i < folders.len() {
        let folder = folders[i].clone();
        i += 1;
        for entry in entries(&folder)? {
            let entry = entry.map_err(|error| ScanError::List {
                path: dir.join(&folder),
                error,
            })?;
            let name = entry.file_name();
            let text = name.to_string_lossy();
            if text.starts_with('.') {
                continue;
            }
            let rel = folder.join(&name);
            // Follows symbolic links, as opening the file will.
            let Ok(meta) = std::fs::metadata(dir.join(&rel)) else {
                files.push(rel);
                continue;
            };
            if meta.is_dir() {
                let stems = STEM_FOLDERS.iter().any(|f| text.eq_ignore_ascii_case(f));
                if folder.as_os_str().is_empty() && stems {
                    folders.push(rel);
                }
            } else {
                files.push(rel);
            }
        }
    }
    files.sort_by(|a, b| {
        let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
        natural_cmp(&name(a).unwrap_or_default(), &name(b).unwrap_or_default())
            .then_with(|| a.cmp(b))
    });
    let looked_in = folders.iter().map(|f| dir.join(f)).collect();
    Ok((looked_in, files))
}

fn is_audio_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| e.eq_ignore_ascii_case(a)))
}

/// Channels from the stems found: left/right halves of one name become one stereo channel
/// when both are mono at one rate. Then roles and start times.
fn pair(found: &[Found], rules: &RoleRules) -> Vec<(CleanName, PlannedChannel)> {
    let sides: Vec<Option<(String, Side)>> = found.iter().map(|f| side_of(&f.clean.name)).collect();
    // For each base name, where its left and right halves are (only when there is one of each).
    let mut halves: HashMap<&str, (Vec<usize>, Vec<usize>)> = HashMap::new();
    for (i, side) in sides.iter().enumerate() {
        if let Some((base, side)) = side {
            let entry = halves.entry(base.as_str()).or_default();
            match side {
                Side::Left => entry.0.push(i),
                Side::Right => entry.1.push(i),
            }
        }
    }
    let mut partner: Vec<Option<usize>> = vec![None; found.len()];
    let mut why_not: Vec<Option<String>> = vec![None; found.len()];
    for (left, right) in halves.values() {
        let (&[l], &[r]) = (left.as_slice(), right.as_slice()) else {
            continue;
        };
        let (a, b) = (&found[l].info, &found[r].info);
        let reason = if a.channels != 1 || b.channels != 1 {
            Some("not paired with its other side: only two mono files make one stereo channel")
        } else if a.sample_rate != b.sample_rate {
            Some("not paired with its other side: the two files have different sample rates")
        } else {
            None
        };
        match reason {
            None => {
                partner[l] = Some(r);
                partner[r] = Some(l);
            }
            Some(reason) => {
                why_not[l] = Some(reason.to_string());
                why_not[r] = Some(reason.to_string());
            }
        }
    }
    let mut taken = vec![false; found.len()];
    let mut channels = Vec::with_capacity(found.len());
    let mut references = Vec::with_capacity(found.len());
    for i in 0..found.len() {
        if taken[i] {
            continue;
        }
        taken[i] = true;
        let stem = &found[i];
        let mut notes: Vec<String> = why_not[i].take().into_iter().collect();
        let (name, files, infos, reference) = match (partner[i], &sides[i]) {
            (Some(j), Some((base, side))) => {
                taken[j] = true;
                let (left, right) = if *side == Side::Left {
                    (&found[i], &found[j])
                } else {
                    (&found[j], &found[i])
                };
                notes.push("split stereo: two mono files as one stereo channel".into());
                if left.info.frames != right.info.frames {
                    notes.push("the two sides differ in length".into());
                }
                let reference = match (left.time_reference, right.time_reference) {
                    (Some(l_ref), Some(r_ref)) => Some(l_ref.min(r_ref)),
                    (l_ref, r_ref) => l_ref.or(r_ref),
                };
                (
                    CleanName {
                        name: base.clone(),
                        with_take: base.clone(),
                    },
                    vec![left.rel.clone(), right.rel.clone()],
                    vec![left.info.clone(), right.info.clone()],
                    reference,
                )
            }
            _ => (
                stem.clean.clone(),
                vec![stem.rel.clone()],
                vec![stem.info.clone()],
                stem.time_reference,
            ),
        };
        let guess = rules.guess(&name.name);
        if guess.is_none() {
            notes.push("role other: no rule knows the name".into());
        }
        references.push(reference.map(|r| r as f64 / f64::from(infos[0].sample_rate.max(1))));
        channels.push((
            name,
            PlannedChannel {
                name: String::new(),
                files,
                infos,
                role: guess.as_ref().map_or(Role::Other, |g| g.0),
                matched: guess.map(|g| g.1),
                start: Seconds(0.0),
                notes,
            },
        ));
    }
    place(&mut channels, &references);
    channels
}

/// Start times from BWF time stamps (seconds since midnight): when stems carry different ones,
/// the earliest is the song's start and each later stem starts that much later.
fn place(channels: &mut [(CleanName, PlannedChannel)], references: &[Option<f64>]) {
    let stamped: Vec<f64> = references.iter().flatten().copied().collect();
    let Some(first) = stamped.iter().copied().reduce(f64::min) else {
        return;
    };
    if stamped.iter().all(|&r| (r - first).abs() < 1e-9) {
        return;
    }
    for ((_, channel), reference) in channels.iter_mut().zip(references) {
        match reference {
            Some(r) if *r > first => {
                // Whole microseconds, so the session file reads cleanly.
                let start = ((r - first) * 1e6).round() / 1e6;
                channel.start = Seconds(start);
                channel
                    .notes
                    .push(format!("starts at {} (its BWF time stamp)", Seconds(start)));
            }
            Some(_) => {}
            None => channel
                .notes
                .push("no BWF time stamp: starts with the song".into()),
        }
    }
}

/// Makes channel names unique. A name several stems share takes the take numbers their files
/// had ("Gtr 01", "Gtr 02") when that tells them apart, else a number after it ("Gtr 2").
fn unique_names(channels: Vec<(CleanName, PlannedChannel)>) -> Vec<PlannedChannel> {
    let (forms, mut channels): (Vec<(String, String)>, Vec<PlannedChannel>) = channels
        .into_iter()
        .map(|(clean, channel)| ((clean.name, clean.with_take), channel))
        .unzip();
    let count = |name: &str, pick: &dyn Fn(&(String, String)) -> &str| {
        forms.iter().filter(|f| pick(f) == name).count()
    };
    let mut names: Vec<String> = Vec::with_capacity(forms.len());
    for (name, with_take) in &forms {
        if count(name, &|f| &f.0) == 1 {
            names.push(name.clone());
        } else if count(with_take, &|f| &f.1) == 1 && count(with_take, &|f| &f.0) == 0 {
            names.push(with_take.clone());
        } else {
            names.push(String::new());
        }
    }
    for (i, (name, _)) in forms.iter().enumerate() {
        if !names[i].is_empty() {
            continue;
        }
        let mut n = 1;
        let unique = loop {
            let candidate = format!("{name} {n}");
            let used = names.contains(&candidate) || forms.iter().any(|f| f.0 == candidate);
            if !used {
                break candidate;
            }
            n += 1;
        };
        channels[i].notes.push(format!(
            "named \"{unique}\": other stems are called \"{name}\" too"
        ));
        names[i] = unique;
    }
    for (channel, name) in channels.iter_mut().zip(names) {
        channel.name = name;
    }
    channels
}

/// The rate most channels have; on a tie, the first channel's among the most common.
fn session_rate(channels: &[PlannedChannel]) -> u32 {
    let mut best = (0usize, 0u32);
    for channel in channels {
        let rate = channel.sample_rate();
        let n = channels.iter().filter(|c| c.sample_rate() == rate).count();
        if n > best.0 {
            best = (n, rate);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(channels: u16, rate: u32) -> StemInfo {
        StemInfo {
            format: "WAV".into(),
            channels,
            sample_rate: rate,
            frames: 48_000,
        }
    }

    fn found(file: &str, channels: u16, rate: u32, reference: Option<u64>) -> Found {
        let rel = PathBuf::from(file);
        let stem = rel.file_stem().unwrap().to_string_lossy().into_owned();
        Found {
            clean: clean(&stem, "Song"),
            rel,
            info: info(channels, rate),
            time_reference: reference,
        }
    }

    fn channels(found: &[Found]) -> Vec<PlannedChannel> {
        unique_names(pair(found, &RoleRules::builtin()))
    }

    /// Left and right mono halves at one rate pair into one channel named for both, in the
    /// left's place; stereo halves or halves at different rates stay apart, saying why.
    #[test]
    fn split_stereo_pairs_when_both_are_mono_at_one_rate() {
        let c = channels(&[
            found("01 Kick.wav", 1, 48_000, None),
            found("Piano L.wav", 1, 48_000, None),
            found("Piano R.wav", 1, 48_000, None),
            found("Pad.L.wav", 2, 48_000, None),
            found("Pad.R.wav", 2, 48_000, None),
            found("Str_L.wav", 1, 48_000, None),
            found("Str_R.wav", 1, 44_100, None),
            found("OH Right.wav", 1, 48_000, None),
            found("OH Left.wav", 1, 48_000, None),
        ]);
        let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["Kick", "Piano", "Pad.L", "Pad.R", "Str L", "Str R", "OH"]
        );
        assert_eq!(
            c[1].files,
            [PathBuf::from("Piano L.wav"), PathBuf::from("Piano R.wav")]
        );
        assert_eq!(c[1].role, Role::Piano);
        assert_eq!(
            c[6].files,
            [PathBuf::from("OH Left.wav"), PathBuf::from("OH Right.wav")]
        );
        assert_eq!(c[6].role, Role::Drums);
        assert!(
            c[2].notes[0].contains("only two mono files"),
            "{:?}",
            c[2].notes
        );
        assert!(
            c[4].notes[0].contains("different sample rates"),
            "{:?}",
            c[4].notes
        );
        assert_eq!(c[4].role, Role::Strings);
    }

    /// Names several stems share take their take numbers when those differ, else a number;
    /// a number never lands on a name another stem has.
    #[test]
    fn clashing_names_are_told_apart() {
        let c = channels(&[
            found("Gtr_01.wav", 1, 48_000, None),
            found("Gtr_02.wav", 1, 48_000, None),
            found("01 Vox.wav", 1, 48_000, None),
            found("02 Vox.wav", 1, 48_000, None),
            found("Vox 1.wav", 1, 48_000, None),
            found("Bass.wav", 1, 48_000, None),
            found("Bass.flac", 1, 48_000, None),
        ]);
        let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Gtr 01", "Gtr 02", "Vox 2", "Vox 3", "Vox 1", "Bass 1", "Bass 2"
            ]
        );
        assert_eq!(
            c[2].notes.last().unwrap(),
            "named \"Vox 2\": other stems are called \"Vox\" too"
        );
        assert!(c[0].notes.iter().all(|n| !n.starts_with("named")));
    }

    /// Stems stamped later than the earliest start that much later, at each file's rate;
    /// unstamped stems start with the song and say so; equal stamps place nothing.
    #[test]
    fn bwf_stamps_place_later_stems() {
        let hour = 3600 * 48_000;
        let c = channels(&[
            found("Drums.wav", 2, 48_000, Some(hour)),
            found("Vox.wav", 1, 48_000, Some(hour + 48_000 * 12 + 24_000)),
            found("Gtr.wav", 1, 44_100, Some(3600 * 44_100 + 44_100 * 3)),
            found("Keys.flac", 2, 48_000, None),
        ]);
        let starts: Vec<f64> = c.iter().map(|c| c.start.0).collect();
        assert_eq!(starts, [0.0, 12.5, 3.0, 0.0]);
        assert!(
            c[1].notes
                .contains(&"starts at 0:12.500 (its BWF time stamp)".to_string())
        );
        assert!(
            c[3].notes
                .contains(&"no BWF time stamp: starts with the song".to_string())
        );
        let same = channels(&[
            found("Drums.wav", 2, 48_000, Some(hour)),
            found("Vox.wav", 1, 48_000, Some(hour)),
            found("Keys.flac", 2, 48_000, None),
        ]);
        assert!(
            same.iter().all(|c| c.start.0 == 0.0 && c.notes.is_empty()),
            "{same:?}"
        );
    }

    /// Unknown names get `other` and a note saying so; the session runs at the most common
    /// rate.
    #[test]
    fn unknown_names_and_the_session_rate() {
        let c = channels(&[
            found("Click.wav", 1, 44_100, None),
            found("Kick.wav", 1, 48_000, None),
            found("Snare.wav", 1, 48_000, None),
        ]);
        assert_eq!(c[0].role, Role::Other);
        assert_eq!(c[0].notes, ["role other: no rule knows the name"]);
        assert_eq!(c[1].matched.as_deref(), Some("kick*"));
        assert_eq!(session_rate(&c), 48_000);
        assert_eq!(session_rate(&c[..1]), 44_100);
    }
}
