//! Deterministic synthesis of the demo sessions' stems.
//!
//! Two demo songs ship as session files in `demo-sessions/<name>/session.toml` (embedded in the
//! binary); their stems are not shipped but synthesised on demand by [`generate`]:
//!
//! - `folk-arc`: a fingerpicked folk song in G major at 96 BPM whose parts enter and leave with
//!   its sections (for the arc exercise);
//! - `band`: a pop-rock band in A minor at 120 BPM, plus `reference.wav`, a mix of the same
//!   stems at a hidden balance ([`BAND_REFERENCE_BALANCE`], for the reference exercise).
//!
//! The output is the same bytes on every run and every machine: every random choice comes from
//! a seeded xoshiro256++ generator (one seed per part), nothing depends on the clock, on hash
//! order or on which worker thread made a stem, and the synthesis uses only correctly rounded
//! floating-point operations, with its own polynomial `sin` and `exp2` instead of the
//! platform's (see `demo/synth.rs`). The one exception is `reference.wav`: it is mixed by the
//! engine, whose pan law and dB conversion use the standard library's `cos`, `sin` and `powf`;
//! those agree on the common platforms but are not guaranteed to the last bit everywhere.
//!
//! Tempo, chords and section starts live in one place per song (`demo/folk.rs`,
//! `demo/band.rs`); a unit test checks the session files' section starts against them.
//! Stems are written as 48 kHz 24-bit WAV, each peak-normalised to its own level between -6 and
//! -1 dBFS. All stems of both demos take about 2 s with an optimised build on two cores.

mod band;
mod folk;
mod instruments;
mod music;
mod output;
mod synth;

use std::path::{Path, PathBuf};

use crate::engine::processor::Processor;
use crate::engine::source::{MemorySource, ReadMode, Source};
use crate::engine::strip::StripParams;
use crate::units::{Decibels, Pan, Seconds};

use music::Arrangement;
use synth::Sample;

/// The demo sessions, in the order `earmix demo` generates them.
pub const DEMOS: &[&str] = &["folk-arc", "band"];

/// The `folk-arc` session file as shipped.
pub const FOLK_ARC_SESSION: &str = include_str!("../demo-sessions/folk-arc/session.toml");

/// The `band` session file as shipped.
pub const BAND_SESSION: &str = include_str!("../demo-sessions/band/session.toml");

/// The file name of a demo's reference mix, beside its `session.toml`.
pub const REFERENCE_FILE: &str = "reference.wav";

/// The peak level the reference mix is normalised to, in dBFS.
pub const REFERENCE_PEAK_DBFS: f64 = -1.0;

/// One channel of a hidden reference balance: the fader and pan the reference was mixed at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalanceEntry {
    /// The channel's name in the session file.
    pub channel: &'static str,
    /// Fader level.
    pub gain: Decibels,
    /// Pan (mono stems) or balance (stereo stems).
    pub pan: Pan,
}

/// The balance `band/reference.wav` was mixed at, one entry per session channel in session
/// order. The session file starts elsewhere on purpose: the exercise is to find this balance
/// by ear. The mix is peak-normalised to [`REFERENCE_PEAK_DBFS`] afterwards, so only the
/// differences between the gains are audible, not their absolute values.
pub const BAND_REFERENCE_BALANCE: &[BalanceEntry] = band::REFERENCE_BALANCE;

/// The session file text of a demo, as embedded in the binary.
pub fn session_toml(name: &str) -> Option<&'static str> {
    spec(name).map(|s| s.session_toml)
}

/// The hidden balance a demo's reference mix was made at, for demos that have one.
pub fn reference_balance(name: &str) -> Option<&'static [BalanceEntry]> {
    spec(name).and_then(|s| s.reference)
}

/// A demo's sections and where they start, from the arrangement the stems are made from
/// (the session files must agree; a unit test checks that they do).
pub fn section_starts(name: &str) -> Option<Vec<(&'static str, Seconds)>> {
    spec(name).map(|s| s.arrangement.section_starts())
}

/// Something went wrong generating a demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// No demo has that name.
    #[error("there is no demo called '{name}'; the demos are: {}", DEMOS.join(", "))]
    Unknown { name: String },
    /// A file or folder could not be created or written.
    #[error("cannot write {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// What [`generate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    /// The demo's name.
    pub name: &'static str,
    /// The session file (`<root>/<name>/session.toml`).
    pub session: PathBuf,
    /// Whether the session file was written (it is only written when missing).
    pub session_written: bool,
    /// Audio files written, in session channel order, then the reference mix.
    pub written: Vec<PathBuf>,
    /// Audio files that already existed and were left alone.
    pub skipped: Vec<PathBuf>,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.session.display())?;
        if self.session_written {
            f.write_str(" (session file written)")?;
        }
        match (self.written.len(), self.skipped.len()) {
            (0, skipped) => write!(
                f,
                "\n  all {skipped} audio files already there (--force regenerates)"
            ),
            (written, 0) => write!(f, "\n  {written} audio files generated"),
            (written, skipped) => write!(
                f,
                "\n  {written} audio files generated, {skipped} already there"
            ),
        }
    }
}

/// One stem of a demo: its file (relative to the session folder), its peak level, and the
/// function that synthesises it (planar channels at 48 kHz, any scale).
pub(crate) struct StemSpec {
    pub file: &'static str,
    pub peak_dbfs: f64,
    pub render: fn() -> Vec<Vec<Sample>>,
}

/// Everything that defines a demo.
pub(crate) struct DemoSpec {
    pub name: &'static str,
    pub session_toml: &'static str,
    pub arrangement: &'static Arrangement,
    pub stems: &'static [StemSpec],
    /// The hidden balance of `reference.wav`, in stem order, if the demo has a reference.
    pub reference: Option<&'static [BalanceEntry]>,
}

const SPECS: [DemoSpec; 2] = [
    DemoSpec {
        name: "folk-arc",
        session_toml: FOLK_ARC_SESSION,
        arrangement: &folk::ARRANGEMENT,
        stems: folk::STEMS,
        reference: None,
    },
    DemoSpec {
        name: "band",
        session_toml: BAND_SESSION,
        arrangement: &band::ARRANGEMENT,
        stems: band::STEMS,
        reference: Some(band::REFERENCE_BALANCE),
    },
];

fn spec(name: &str) -> Option<&'static DemoSpec> {
    const ALL: &[DemoSpec] = &SPECS;
    ALL.iter().find(|s| s.name == name)
}

/// Generates one demo into `<root>/<name>/`: writes `session.toml` if it is missing (a user's
/// session file is never replaced), and each stem (and the reference mix) when it is missing
/// or `force` is set. Every file is written atomically.
pub fn generate(root: &Path, name: &str, force: bool) -> Result<DemoReport, DemoError> {
    let spec = spec(name).ok_or_else(|| DemoError::Unknown {
        name: name.to_string(),
    })?;
    let dir = root.join(spec.name);
    let stems_dir = dir.join("stems");
    std::fs::create_dir_all(&stems_dir).map_err(|error| DemoError::Io {
        path: stems_dir.clone(),
        error,
    })?;
    let session = dir.join("session.toml");
    let session_written = output::write_text_if_missing(&session, spec.session_toml)?;

    let stem_paths: Vec<PathBuf> = spec.stems.iter().map(|s| dir.join(s.file)).collect();
    let stem_due: Vec<bool> = stem_paths.iter().map(|p| force || !p.exists()).collect();
    let reference_path = dir.join(REFERENCE_FILE);
    let reference_due = spec.reference.is_some() && (force || !reference_path.exists());

    let mut report = DemoReport {
        name: spec.name,
        session,
        session_written,
        written: Vec::new(),
        skipped: Vec::new(),
    };
    // The reference needs every stem's samples, so then every stem is synthesised (only the
    // missing ones are written).
    let jobs: Vec<usize> = (0..spec.stems.len())
        .filter(|&i| stem_due[i] || reference_due)
        .collect();
    let rendered = render_stems(spec, &jobs, &stem_paths, &stem_due, reference_due)?;
    for (path, due) in stem_paths.into_iter().zip(&stem_due) {
        if *due {
            report.written.push(path);
        } else {
            report.skipped.push(path);
        }
    }
    if let Some(balance) = spec.reference {
        if reference_due {
            let stems: Vec<Vec<Vec<f32>>> = rendered.into_iter().flatten().collect();
            let mix = reference_mix(stems, balance);
            output::write_wav(&reference_path, &mix.channels, mix.gain)?;
            report.written.push(reference_path);
        } else {
            report.skipped.push(reference_path);
        }
    }
    Ok(report)
}

/// Generates every demo (see [`generate`]).
pub fn generate_all(root: &Path, force: bool) -> Result<Vec<DemoReport>, DemoError> {
    DEMOS
        .iter()
        .map(|name| generate(root, name, force))
        .collect()
}

/// Synthesises the stems in `jobs` on a few worker threads, writes those that are due, and
/// returns each stem's decoded samples (by stem index) when `keep` is set. Every stem has its
/// own seeds, so the result does not depend on which thread made it.
fn render_stems(
    spec: &DemoSpec,
    jobs: &[usize],
    paths: &[PathBuf],
    due: &[bool],
    keep: bool,
) -> Result<Vec<Option<Vec<Vec<f32>>>>, DemoError> {
    let results = crate::parallel::on_all_cores(
        jobs,
        || true,
        |&stem| {
            let spec = &spec.stems[stem];
            let part = output::finish((spec.render)(), spec.peak_dbfs);
            let written = if due[stem] {
                output::write_wav(&paths[stem], &part.channels, part.gain)
            } else {
                Ok(())
            };
            let decoded = || {
                part.channels
                    .iter()
                    .map(|ch| output::decoded(ch, part.gain))
                    .collect()
            };
            written.map(|()| keep.then(decoded))
        },
    );
    let results = results.into_iter().map(|(job, result)| (jobs[job], result));
    let mut stems = vec![None; spec.stems.len()];
    let mut first_error = None;
    for (stem, result) in results {
        match result {
            Ok(samples) => stems[stem] = samples,
            // Report the first failing stem in session order, whichever thread saw it.
            Err(e) if first_error.as_ref().is_none_or(|(s, _)| stem < *s) => {
                first_error = Some((stem, e));
            }
            Err(_) => {}
        }
    }
    match first_error {
        Some((_, e)) => Err(e),
        None => Ok(stems),
    }
}

/// Mixes the stems (as a decoder reads them back from their 24-bit files) through earmix's own
/// [`Processor`] at a balance, so the reference obeys the same pan law and gain maths as the
/// mixer, with the master at 0 dB; then finds the one gain that puts the mix's peak at
/// [`REFERENCE_PEAK_DBFS`] (so it cannot clip, whatever the hidden gains add up to).
fn reference_mix(stems: Vec<Vec<Vec<f32>>>, balance: &[BalanceEntry]) -> output::Finished {
    let frames = stems
        .iter()
        .filter_map(|s| s.first())
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    let strips: Vec<(StripParams, Box<dyn Source>)> = stems
        .into_iter()
        .zip(balance)
        .map(|(channels, entry)| {
            let params = StripParams {
                gain: entry.gain,
                pan: entry.pan,
                ..StripParams::default()
            };
            (
                params,
                Box::new(MemorySource::new(channels)) as Box<dyn Source>,
            )
        })
        .collect();
    let mut processor = Processor::new(synth::SAMPLE_RATE, strips, Decibels::UNITY);
    let mut left = vec![0.0_f32; frames];
    let mut right = vec![0.0_f32; frames];
    for (l, r) in left.chunks_mut(4096).zip(right.chunks_mut(4096)) {
        processor.process(l, r, ReadMode::Blocking);
    }
    drop(processor);
    let channels = vec![left, right];
    let peak = channels
        .iter()
        .flatten()
        .fold(0.0_f64, |m, &x| m.max(f64::from(x).abs()));
    let gain = if peak > 0.0 {
        synth::db_to_amp(REFERENCE_PEAK_DBFS) / peak
    } else {
        0.0
    };
    output::Finished { channels, gain }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(spec: &DemoSpec) -> toml::Table {
        spec.session_toml.parse().unwrap()
    }

    fn array<'a>(table: &'a toml::Table, key: &str) -> &'a Vec<toml::Value> {
        table[key].as_array().unwrap()
    }

    /// Each session file's sections have the arrangement's names and start times, to the
    /// millisecond (the session format's precision).
    #[test]
    fn session_sections_match_arrangement() {
        for spec in &SPECS {
            let table = table(spec);
            let sections = array(&table, "section");
            let expected = spec.arrangement.section_starts();
            assert_eq!(sections.len(), expected.len(), "{}", spec.name);
            for (section, (name, start)) in sections.iter().zip(expected) {
                assert_eq!(section["name"].as_str(), Some(name), "{}", spec.name);
                let written = match &section["start"] {
                    toml::Value::String(s) => Seconds::parse(s).unwrap(),
                    v => Seconds(v.as_float().or(v.as_integer().map(|i| i as f64)).unwrap()),
                };
                assert!(
                    (written.0 - start.0).abs() < 0.000_5,
                    "{} {name}: {written} vs {start}",
                    spec.name
                );
            }
        }
    }

    /// Each session file names exactly the stems the synthesiser makes, in the same order, at
    /// 48 kHz, and the band's hidden balance covers the same channels.
    #[test]
    fn session_channels_match_stems() {
        for spec in &SPECS {
            let table = table(spec);
            assert_eq!(
                table["sample_rate"].as_integer(),
                Some(i64::from(synth::SAMPLE_RATE))
            );
            let channels = array(&table, "channel");
            let files: Vec<&str> = channels
                .iter()
                .map(|c| c["file"].as_str().unwrap())
                .collect();
            let stems: Vec<&str> = spec.stems.iter().map(|s| s.file).collect();
            assert_eq!(files, stems, "{}", spec.name);
            for stem in spec.stems {
                assert!((-6.0..=-1.0).contains(&stem.peak_dbfs), "{}", stem.file);
            }
            if let Some(balance) = spec.reference {
                let names: Vec<&str> = channels
                    .iter()
                    .map(|c| c["name"].as_str().unwrap())
                    .collect();
                let hidden: Vec<&str> = balance.iter().map(|b| b.channel).collect();
                assert_eq!(names, hidden, "{}", spec.name);
                let reference = table["reference"].as_table().unwrap();
                assert_eq!(reference["file"].as_str(), Some(REFERENCE_FILE));
                // The hidden balance is not the starting balance.
                for (channel, entry) in channels.iter().zip(balance) {
                    let gain = channel["gain_db"].as_float().unwrap();
                    assert!((gain - entry.gain.0).abs() >= 1.0, "{}", entry.channel);
                }
            } else {
                assert!(table.get("reference").is_none());
            }
        }
    }

    /// Every written melody parses and fills whole bars.
    #[test]
    fn melodies_parse_into_whole_bars() {
        for (name, text) in folk::MELODIES.iter().chain(band::MELODIES) {
            let notes = music::parse_melody(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let beats: f64 = notes.iter().map(|n| n.beats).sum();
            assert!(
                beats > 0.0 && (beats % 4.0).abs() < 1e-9,
                "{name}: {beats} beats"
            );
        }
    }

    /// Both songs last at least 90 seconds.
    #[test]
    fn songs_are_long_enough() {
        for spec in &SPECS {
            assert!(
                spec.arrangement.length_frames() >= 90 * 48_000,
                "{}",
                spec.name
            );
        }
    }
}
