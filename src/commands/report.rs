//! `earmix report SESSION`: loudness and peaks of the mix and of every channel, per section and
//! for the whole song, measured on one offline render.
//!
//! # What is measured
//!
//! The session is rendered once by the engine's [`Processor`] (the code the bounce and playback
//! run, stems read in blocking mode, section scenes included), with
//! [`Processor::process_tapped`] giving each strip's own contribution (after trim, fader,
//! section scene and pan). Each contribution is multiplied by the master fader's amplitude, so a
//! channel's figures and the mix's are on one scale. "Sources" are the mix and each channel.
//!
//! The timeline is cut into *spans* at exact frames: one per `[[section]]` (from its start, at
//! [`Seconds::to_frames`], to the next section's start or the session end) and, when the first
//! section starts after 0, one before it named "(before NAME)". A session without sections has
//! no spans: only the whole song is reported.
//!
//! Per (span, source), one `ebur128` instance (modes `I | S | LRA | SAMPLE_PEAK | TRUE_PEAK`),
//! seeded with the 100 ms of the source before the span (`seed_frames_*`: the K-weighting
//! filters and the true-peak interpolator start where the song left them, nothing is counted)
//! and fed the span's frames only:
//!
//! - integrated loudness (LUFS, BS.1770 gating over the span's 400 ms blocks);
//! - short-term max (LUFS): the highest 3 s short-term loudness, read every 100 ms once 3 s of
//!   the span have been fed (windows lie inside the span, so a span under 3 s has none);
//! - loudness range (LU, EBU Tech 3342, from the span's own short-term windows);
//! - sample peak (dBFS) and true peak (dBTP, 4x oversampled), the higher of the two channels.
//!
//! For the whole song, per source, one more instance (I | S | LRA) is fed every frame, so its
//! integrated loudness, loudness range and short-term max count the blocks and windows that
//! straddle section boundaries and equal what a single meter over the song reads (the mix's
//! integrated loudness is the one `earmix bounce` prints). Whole-song sample and true peaks are
//! the highest of the spans'. (Combining the span instances with `loudness_global_multiple`
//! would drop the blocks straddling boundaries and keep every span instance, 3 s of audio
//! each, alive to the end.)
//!
//! A damaged stem is measured as it plays: silent from where its data ends early or decoding
//! failed, and its NaN or infinite samples as silence ([`measure_until`] names such stems).
//!
//! Derived figures: a channel's *relative level* in a span is its integrated loudness minus the
//! mix's (LU); between consecutive sections (the span before the first section is left out) a
//! channel's *level change* is the change of its integrated loudness, and its *relative change*
//! the change of its relative level.
//!
//! Nothing to measure (a stem silent in a span, loudness below the -70 LUFS gate, digital
//! silence for peaks, a span too short for a short-term window) is "—" in the table, an empty
//! field in CSV and `null` in JSON; no figure is ever `-inf` or NaN.
//!
//! # JSON (`--format json`), version 1
//!
//! ```text
//! {
//!   "format": "earmix-report", "version": 1,
//!   "session": { "path": str, "name": str, "sample_rate": int, "frames": int, "seconds": num },
//!   "channels": [str, ...],                         // channel names, in session order
//!   "song": SPAN,                                   // the whole song (kind "song")
//!   "spans": [SPAN, ...],                           // in time order; [] without sections
//!   "changes": [                                    // consecutive sections, in time order
//!     { "from": str, "to": str, "mix_lu": num|null,
//!       "channels": [ { "name": str, "level_lu": num|null, "relative_lu": num|null }, ... ] }
//!   ]
//! }
//! SPAN = { "name": str, "kind": "song"|"before"|"section",
//!          "start_frame": int, "end_frame": int, "start_s": num, "end_s": num,
//!          "mix": MEASURES,
//!          "channels": [ { "name": str, MEASURES..., "relative_lu": num|null }, ... ] }
//! MEASURES = { "integrated_lufs", "short_term_max_lufs", "loudness_range_lu",
//!              "sample_peak_dbfs", "true_peak_dbtp" }   // each num|null
//! ```
//!
//! # CSV (`--format csv`)
//!
//! A header, then one row per (span, source): the whole song first, then the spans in time
//! order; in each, the mix and then the channels in session order. Columns: `span`,
//! `span_kind` (song, before, section), `start_s`, `end_s`, `source` ("mix" or the channel's
//! name), `source_kind` (mix, channel), the five measures, `relative_lu`, and `change_lu`,
//! `relative_change_lu` (from the previous section; empty for the song, the span before the
//! first section and the first section). Decibel figures have three decimals; a field with
//! nothing measured is empty.
//!
//! # Names
//!
//! Session, section and channel names are printed with control characters written visibly
//! ([`escape`]: `\e`, `\n`, `\u{9b}`) in the table and in CSV, so a name cannot drive the
//! terminal. JSON keeps every name exactly, writing such characters as `\u` escapes.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use ebur128::{EbuR128, Mode};
use serde::Serialize;

use crate::engine::processor::{Processor, StripTaps};
use crate::engine::render::{DamagedStem, StopFlag, damaged_stems, signal_name};
use crate::engine::source::{MAX_BLOCK, ReadMode};
use crate::engine::streams::{StreamConfig, StreamError};
use crate::exercise::measure::Tail;
use crate::session::Session;
use crate::text::{escape, json_safe};
use crate::units::{Decibels, Seconds};

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Aligned text blocks that fit 80 columns.
    #[default]
    Table,
    /// JSON (pretty), the structure the module docs describe.
    Json,
    /// CSV, one row per (span, source).
    Csv,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(format!(
                "'{other}' is not a report format; use table, json or csv"
            )),
        }
    }
}

/// A report that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A stem could not be opened.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// Stem reads failed partway through the render, so the figures would be wrong.
    #[error(
        "{failures} stem read(s) failed partway through the render (a stem file changed or \
         became unreadable?); no report, as its figures would be wrong"
    )]
    StemReads {
        /// How many reads failed.
        failures: u32,
    },
    /// A signal asked the report to stop.
    #[error("interrupted by {}", signal_name(*.signal))]
    Interrupted {
        /// The signal's number.
        signal: usize,
    },
    /// The measuring threads could not be started or stopped unexpectedly.
    #[error("the measuring threads failed: {0}")]
    Threads(String),
    /// The loudness meter refused the audio or the sample rate.
    #[error("loudness measurement at {sample_rate} Hz failed: {reason}")]
    Loudness {
        /// The session's sample rate.
        sample_rate: u32,
        /// What `ebur128` said.
        reason: String,
    },
}

/// The figures of one source over one span; `None`: nothing to measure.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Measures {
    /// Integrated loudness, LUFS.
    pub integrated_lufs: Option<f64>,
    /// The highest short-term (3 s) loudness, LUFS.
    pub short_term_max_lufs: Option<f64>,
    /// Loudness range, LU.
    pub loudness_range_lu: Option<f64>,
    /// Sample peak of the louder channel, dBFS.
    pub sample_peak_dbfs: Option<f64>,
    /// True peak of the louder channel, dBTP.
    pub true_peak_dbtp: Option<f64>,
}

/// One channel's figures over one span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelMeasures {
    /// The channel's name.
    pub name: String,
    /// Its figures (after trim, fader, scene, pan and the master fader).
    #[serde(flatten)]
    pub measures: Measures,
    /// Its integrated loudness minus the mix's, LU.
    pub relative_lu: Option<f64>,
}

/// What a span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    /// The whole song.
    Song,
    /// From 0 to the first section, when that starts later.
    Before,
    /// A `[[section]]`.
    Section,
}

impl SpanKind {
    fn as_str(self) -> &'static str {
        match self {
            SpanKind::Song => "song",
            SpanKind::Before => "before",
            SpanKind::Section => "section",
        }
    }
}

/// The figures of one span of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanReport {
    /// The section's name, "(before NAME)", or "Whole song".
    pub name: String,
    /// What the span is.
    pub kind: SpanKind,
    /// First frame (at the session rate).
    pub start_frame: u64,
    /// One past the last frame.
    pub end_frame: u64,
    /// First frame, in seconds.
    pub start_s: f64,
    /// End, in seconds.
    pub end_s: f64,
    /// The mix.
    pub mix: Measures,
    /// Each channel, in session order.
    pub channels: Vec<ChannelMeasures>,
}

/// How one channel moved from one section to the next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelChange {
    /// The channel's name.
    pub name: String,
    /// The change of its integrated loudness, LU.
    pub level_lu: Option<f64>,
    /// The change of its level relative to the mix, LU.
    pub relative_lu: Option<f64>,
}

/// The changes between two consecutive sections.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The earlier section.
    pub from: String,
    /// The later section.
    pub to: String,
    /// The change of the mix's integrated loudness, LU.
    pub mix_lu: Option<f64>,
    /// Each channel, in session order.
    pub channels: Vec<ChannelChange>,
}

/// The session a report is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionInfo {
    /// The session file.
    pub path: PathBuf,
    /// The session's name.
    pub name: String,
    /// The rate the mix was rendered and measured at.
    pub sample_rate: u32,
    /// The session length in frames.
    pub frames: u64,
    /// The session length in seconds.
    pub seconds: f64,
}

/// A whole report; its JSON form is the structure in the module docs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Always "earmix-report".
    pub format: &'static str,
    /// The JSON structure's version (1).
    pub version: u32,
    /// The session.
    pub session: SessionInfo,
    /// The channel names, in session order.
    pub channels: Vec<String>,
    /// The whole song.
    pub song: SpanReport,
    /// The spans, in time order (empty for a session without sections).
    pub spans: Vec<SpanReport>,
    /// Consecutive sections' changes, in time order.
    pub changes: Vec<Change>,
}

/// A span of the timeline before measuring: name, kind, `[start, end)` frames.
#[derive(Debug, Clone, PartialEq)]
struct Span {
    name: String,
    kind: SpanKind,
    start: u64,
    end: u64,
}

/// The spans a session is cut into (empty without sections).
fn spans_of(session: &Session) -> Vec<Span> {
    let rate = session.sample_rate;
    let length = session.length_frames;
    let mut spans = Vec::with_capacity(session.sections.len() + 1);
    if let Some(first) = session.sections.first() {
        let start = first.start.to_frames(rate).min(length);
        if start > 0 {
            spans.push(Span {
                name: format!("(before {})", first.name),
                kind: SpanKind::Before,
                start: 0,
                end: start,
            });
        }
    }
    for (i, section) in session.sections.iter().enumerate() {
        let start = section.start.to_frames(rate).min(length);
        let end = session
            .sections
            .get(i + 1)
            .map_or(length, |next| next.start.to_frames(rate).min(length))
            .max(start);
        spans.push(Span {
            name: section.name.clone(),
            kind: SpanKind::Section,
            start,
            end,
        });
    }
    spans
}

/// ebur128's 100 ms block at a rate, in frames.
fn block_frames(rate: u32) -> usize {
    (rate as usize + 5) / 10
}

/// Modes of the per-span meters (LRA includes S, which includes M).
const SPAN_MODE: Mode = Mode::I
    .union(Mode::LRA)
    .union(Mode::SAMPLE_PEAK)
    .union(Mode::TRUE_PEAK);

/// Modes of the whole-song meters.
const SONG_MODE: Mode = Mode::I.union(Mode::LRA);

/// The 100 ms blocks in a short-term (3 s) window.
const SHORT_TERM_BLOCKS: usize = 30;

/// One `ebur128` instance that also keeps the highest short-term loudness, read every 100 ms
/// once 3 s have been fed.
///
/// Reading `loudness_shortterm` every 100 ms would sum 3 s of audio each time; instead each
/// 100 ms block's energy is read (`loudness_window(100)`, 100 ms of audio) and the last 30 are
/// averaged. The blocks are equally long, so the mean of their energies is the 3 s window's
/// energy, as ebur128 computes it. (At rates where 100 ms is not a whole number of frames
/// ebur128's block and window lengths differ, and `loudness_shortterm` is read instead.)
struct Meter {
    ebu: EbuR128,
    fed: usize,
    block: usize,
    /// Whether `loudness_window(100)` covers exactly one block.
    by_blocks: bool,
    /// The energies of the last 30 blocks (a ring, indexed by block number).
    energies: [f64; SHORT_TERM_BLOCKS],
    short_term_max: f64,
}

/// The mean square of a loudness (the inverse of BS.1770's `-0.691 + 10 log10`).
fn energy_of(lufs: f64) -> f64 {
    if lufs.is_finite() {
        10f64.powf((lufs + 0.691) / 10.0)
    } else {
        0.0
    }
}

impl Meter {
    fn new(rate: u32, mode: Mode) -> Result<Self, ebur128::Error> {
        let block = block_frames(rate);
        Ok(Self {
            ebu: EbuR128::new(2, rate, mode)?,
            fed: 0,
            block,
            by_blocks: rate as usize * 100 / 1000 == block,
            energies: [0.0; SHORT_TERM_BLOCKS],
            short_term_max: f64::NEG_INFINITY,
        })
    }

    /// Warms the filters with audio that came before (not measured).
    fn seed(&mut self, left: &[f32], right: &[f32]) -> Result<(), ebur128::Error> {
        if left.is_empty() {
            return Ok(());
        }
        self.ebu.seed_frames_planar_f32(&[left, right])
    }

    fn add(&mut self, left: &[f32], right: &[f32]) -> Result<(), ebur128::Error> {
        let mut at = 0;
        while at < left.len() {
            let n = (self.block - self.fed % self.block).min(left.len() - at);
            self.ebu
                .add_frames_planar_f32(&[&left[at..at + n], &right[at..at + n]])?;
            self.fed += n;
            at += n;
            if self.fed.is_multiple_of(self.block) {
                self.block_done()?;
            }
        }
        Ok(())
    }

    /// After each whole 100 ms block: the short-term loudness, once there are 3 s.
    fn block_done(&mut self) -> Result<(), ebur128::Error> {
        let blocks = self.fed / self.block;
        let short_term = if self.by_blocks {
            self.energies[blocks % SHORT_TERM_BLOCKS] = energy_of(self.ebu.loudness_window(100)?);
            if blocks < SHORT_TERM_BLOCKS {
                return Ok(());
            }
            let energy = self.energies.iter().sum::<f64>() / SHORT_TERM_BLOCKS as f64;
            if energy > 0.0 {
                10.0 * energy.log10() - 0.691
            } else {
                f64::NEG_INFINITY
            }
        } else {
            if blocks < SHORT_TERM_BLOCKS {
                return Ok(());
            }
            self.ebu.loudness_shortterm()?
        };
        if short_term > self.short_term_max {
            self.short_term_max = short_term;
        }
        Ok(())
    }

    /// Integrated loudness, short-term max and loudness range (the peaks left empty).
    fn loudness(&self) -> Result<Measures, ebur128::Error> {
        let integrated = finite(self.ebu.loudness_global()?);
        let short_term = finite(self.short_term_max);
        let range = if integrated.is_some() && self.fed >= SHORT_TERM_BLOCKS * self.block {
            finite(self.ebu.loudness_range()?)
        } else {
            None
        };
        Ok(Measures {
            integrated_lufs: integrated,
            short_term_max_lufs: short_term,
            loudness_range_lu: range,
            ..Measures::default()
        })
    }

    /// Sample and true peak of the louder channel, linear.
    fn peaks(&self) -> Result<(f64, f64), ebur128::Error> {
        let sample = self.ebu.sample_peak(0)?.max(self.ebu.sample_peak(1)?);
        let truep = self.ebu.true_peak(0)?.max(self.ebu.true_peak(1)?);
        Ok((sample, truep))
    }
}

/// A finite value, or `None` (-inf, NaN).
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// A linear peak in dB, `None` for silence.
fn peak_db(linear: f64) -> Option<f64> {
    if linear > 0.0 {
        finite(Decibels::from_amplitude(linear).0)
    } else {
        None
    }
}

/// Everything measured on one source (the mix or a channel).
struct SourceMeter {
    rate: u32,
    song: Meter,
    /// The span being measured and its meter.
    current: Option<(usize, Meter)>,
    tail: Tail,
    /// Per span: the figures, and the linear sample and true peaks.
    spans: Vec<Option<(Measures, f64, f64)>>,
}

impl SourceMeter {
    fn new(rate: u32, spans: usize) -> Result<Self, ebur128::Error> {
        Ok(Self {
            rate,
            song: Meter::new(rate, SONG_MODE)?,
            current: None,
            tail: Tail::new(block_frames(rate)),
            spans: vec![None; spans],
        })
    }

    /// Measures the next frames, which lie in span `span`.
    fn add(&mut self, span: usize, left: &[f32], right: &[f32]) -> Result<(), ebur128::Error> {
        if self.current.as_ref().map(|(s, _)| *s) != Some(span) {
            self.finish_span()?;
            let mut meter = Meter::new(self.rate, SPAN_MODE)?;
            meter.seed(&self.tail.left, &self.tail.right)?;
            self.current = Some((span, meter));
        }
        if let Some((_, meter)) = &mut self.current {
            meter.add(left, right)?;
        }
        self.tail.push(left, right);
        self.song.add(left, right)
    }

    fn finish_span(&mut self) -> Result<(), ebur128::Error> {
        if let Some((span, meter)) = self.current.take() {
            let mut measures = meter.loudness()?;
            let (sample, truep) = meter.peaks()?;
            measures.sample_peak_dbfs = peak_db(sample);
            measures.true_peak_dbtp = peak_db(truep);
            self.spans[span] = Some((measures, sample, truep));
        }
        Ok(())
    }

    /// The whole song's figures and each span's.
    fn finish(mut self) -> Result<(Measures, Vec<Measures>), ebur128::Error> {
        self.finish_span()?;
        let mut song = self.song.loudness()?;
        let (sample, truep) = self
            .spans
            .iter()
            .flatten()
            .fold((0.0f64, 0.0f64), |(s, t), m| (s.max(m.1), t.max(m.2)));
        song.sample_peak_dbfs = peak_db(sample);
        song.true_peak_dbtp = peak_db(truep);
        let spans = self
            .spans
            .into_iter()
            .map(|m| m.map(|m| m.0).unwrap_or_default())
            .collect();
        Ok((song, spans))
    }
}

/// Renders the session once and measures the mix and every channel, per span and for the whole
/// song. `progress` is called after each block with (frames done, frames total).
///
/// The calling thread renders; the sources are measured on worker threads (as many as there
/// are cores, up to one per source), each owning the meters of some sources.
///
/// Not realtime-safe: the offline clock driving the realtime core, like the bounce.
pub fn measure(
    session: &Session,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, ReportError> {
    measure_until(session, progress, &StopFlag::new(0)).map(|(report, _)| report)
}

/// [`measure`], stopping when `stop` asks ([`ReportError::Interrupted`]), and returning the
/// stems that were damaged (the report measures them as they play: silent where their data is
/// missing or was not finite).
///
/// Not realtime-safe.
pub fn measure_until(
    session: &Session,
    progress: &mut dyn FnMut(u64, u64),
    stop: &StopFlag,
) -> Result<(Report, Vec<DamagedStem>), ReportError> {
    let rate = session.sample_rate;
    let total = session.length_frames;
    let spans = spans_of(session);
    // What the meters cut at: the spans, or the whole song in one piece without sections (its
    // peaks come from span meters).
    let cuts = if spans.is_empty() {
        vec![Span {
            name: String::new(),
            kind: SpanKind::Song,
            start: 0,
            end: total,
        }]
    } else {
        spans.clone()
    };
    let loudness_error = |e: ebur128::Error| ReportError::Loudness {
        sample_rate: rate,
        reason: e.to_string(),
    };
    let sources = session.channels.len() + 1;
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, sources);
    let mut groups: Vec<Vec<(usize, SourceMeter)>> = (0..workers).map(|_| Vec::new()).collect();
    for source in 0..sources {
        let meter = SourceMeter::new(rate, cuts.len()).map_err(loudness_error)?;
        groups[source % workers].push((source, meter));
    }
    let mut processor = Processor::for_session(session, rate, 0, &[], StreamConfig::BOUNCE)?;
    // The master fader is constant during a render.
    let master = session.master_db.to_amplitude();

    let mut figures: Vec<Option<(Measures, Vec<Measures>)>> = vec![None; sources];
    std::thread::scope(|scope| {
        let mut senders = Vec::with_capacity(workers);
        let mut handles = Vec::with_capacity(workers);
        for (w, group) in groups.into_iter().enumerate() {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Arc<Block>>(4);
            let handle = std::thread::Builder::new()
                .name(format!("earmix-report-{w}"))
                .spawn_scoped(scope, move || measure_group(group, &rx))
                .map_err(|e| ReportError::Threads(format!("cannot start one: {e}")))?;
            senders.push(tx);
            handles.push(handle);
        }
        let rendered = render(
            &mut processor,
            &cuts,
            total,
            master,
            &senders,
            progress,
            stop,
        );
        drop(senders);
        for handle in handles {
            let measured = handle
                .join()
                .map_err(|_| ReportError::Threads("one stopped unexpectedly".into()))?;
            for (source, song, per_cut) in measured.map_err(loudness_error)? {
                figures[source] = Some((song, per_cut));
            }
        }
        match rendered {
            Rendered::Done { failures: 0 } => Ok(()),
            Rendered::Done { failures } => Err(ReportError::StemReads { failures }),
            Rendered::WorkerGone => Err(ReportError::Threads("one stopped early".into())),
            Rendered::Interrupted { signal } => Err(ReportError::Interrupted { signal }),
        }
    })?;
    let damaged = damaged_stems(session, &processor.stem_health(), rate, 0, total);

    let mut song = Vec::with_capacity(sources);
    let mut per_cut = Vec::with_capacity(sources);
    for (measured, source) in figures.into_iter().zip(0..) {
        let (s, c) = measured
            .ok_or_else(|| ReportError::Threads(format!("source {source} was not measured")))?;
        song.push(s);
        per_cut.push(c);
    }
    Ok((assemble(session, &spans, &song, &per_cut), damaged))
}

/// One rendered block for the measuring threads: every source's left and right channels.
struct Block {
    /// The span (cut) the block lies in.
    cut: usize,
    frames: usize,
    /// Source `s`'s left channel, then its right, for each source in turn.
    samples: Vec<f32>,
}

impl Block {
    fn channel(&self, source: usize, side: usize) -> &[f32] {
        let at = (2 * source + side) * self.frames;
        &self.samples[at..at + self.frames]
    }
}

/// How a render ended.
enum Rendered {
    /// Every frame was rendered and sent; `failures` stem reads failed.
    Done { failures: u32 },
    /// A measuring thread stopped taking blocks (it failed).
    WorkerGone,
    /// A signal asked the render to stop.
    Interrupted { signal: usize },
}

/// Renders the whole session block by block (never across a cut) and sends each block, the mix
/// and every strip's tap times `master`, to every measuring thread.
fn render(
    processor: &mut Processor,
    cuts: &[Span],
    total: u64,
    master: f32,
    senders: &[std::sync::mpsc::SyncSender<Arc<Block>>],
    progress: &mut dyn FnMut(u64, u64),
    stop: &StopFlag,
) -> Rendered {
    let strips = processor.strip_count();
    let mut taps = StripTaps::new(strips, MAX_BLOCK);
    let mut left = vec![0.0f32; MAX_BLOCK];
    let mut right = vec![0.0f32; MAX_BLOCK];
    let mut failures = 0;
    let mut pos = 0;
    let mut cut = 0;
    while pos < total {
        let signal = stop.load(std::sync::atomic::Ordering::Relaxed);
        if signal != 0 {
            return Rendered::Interrupted { signal };
        }
        while cuts[cut].end <= pos {
            cut += 1;
        }
        let n = (cuts[cut].end - pos).min(MAX_BLOCK as u64) as usize;
        let status = processor.process_tapped(
            &mut left[..n],
            &mut right[..n],
            ReadMode::Blocking,
            &mut taps,
        );
        failures += status.failures;
        let mut samples = Vec::with_capacity(2 * n * (strips + 1));
        samples.extend_from_slice(&left[..n]);
        samples.extend_from_slice(&right[..n]);
        for strip in 0..strips {
            for tap in [taps.left(strip), taps.right(strip)] {
                samples.extend(tap.iter().map(|x| x * master));
            }
        }
        let block = Arc::new(Block {
            cut,
            frames: n,
            samples,
        });
        for tx in senders {
            if tx.send(Arc::clone(&block)).is_err() {
                return Rendered::WorkerGone;
            }
        }
        pos += n as u64;
        progress(pos, total);
    }
    Rendered::Done { failures }
}

/// What one source measured: its index, the whole song's figures and each cut's.
type SourceFigures = (usize, Measures, Vec<Measures>);

/// A measuring thread: feeds every block to its sources' meters, then reads them.
fn measure_group(
    mut group: Vec<(usize, SourceMeter)>,
    blocks: &std::sync::mpsc::Receiver<Arc<Block>>,
) -> Result<Vec<SourceFigures>, ebur128::Error> {
    for block in blocks {
        for (source, meter) in &mut group {
            meter.add(
                block.cut,
                block.channel(*source, 0),
                block.channel(*source, 1),
            )?;
        }
    }
    group
        .into_iter()
        .map(|(source, meter)| meter.finish().map(|(song, cuts)| (source, song, cuts)))
        .collect()
}

/// Builds the report from the figures of each source (mix first, then the channels): for the
/// whole song, and per span.
fn assemble(
    session: &Session,
    spans: &[Span],
    song: &[Measures],
    per_span: &[Vec<Measures>],
) -> Report {
    let rate = session.sample_rate;
    let names: Vec<String> = session.channels.iter().map(|c| c.name.clone()).collect();
    let span_report = |span: &Span, figures: &dyn Fn(usize) -> Measures| {
        let mix = figures(0);
        SpanReport {
            name: span.name.clone(),
            kind: span.kind,
            start_frame: span.start,
            end_frame: span.end,
            start_s: Seconds::from_frames(span.start, rate).0,
            end_s: Seconds::from_frames(span.end, rate).0,
            mix,
            channels: names
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let measures = figures(i + 1);
                    ChannelMeasures {
                        name: name.clone(),
                        measures,
                        relative_lu: difference(measures.integrated_lufs, mix.integrated_lufs),
                    }
                })
                .collect(),
        }
    };
    let whole = Span {
        name: "Whole song".to_string(),
        kind: SpanKind::Song,
        start: 0,
        end: session.length_frames,
    };
    let song_report = span_report(&whole, &|source| song[source]);
    let span_reports: Vec<SpanReport> = spans
        .iter()
        .enumerate()
        .map(|(k, span)| span_report(span, &|source| per_span[source][k]))
        .collect();
    let sections: Vec<&SpanReport> = span_reports
        .iter()
        .filter(|s| s.kind == SpanKind::Section)
        .collect();
    let changes = sections
        .windows(2)
        .map(|pair| {
            let (a, b) = (pair[0], pair[1]);
            Change {
                from: a.name.clone(),
                to: b.name.clone(),
                mix_lu: difference(b.mix.integrated_lufs, a.mix.integrated_lufs),
                channels: a
                    .channels
                    .iter()
                    .zip(&b.channels)
                    .map(|(ca, cb)| ChannelChange {
                        name: ca.name.clone(),
                        level_lu: difference(
                            cb.measures.integrated_lufs,
                            ca.measures.integrated_lufs,
                        ),
                        relative_lu: difference(cb.relative_lu, ca.relative_lu),
                    })
                    .collect(),
            }
        })
        .collect();
    Report {
        format: "earmix-report",
        version: 1,
        session: SessionInfo {
            path: session.path.clone(),
            name: session.name.clone(),
            sample_rate: rate,
            frames: session.length_frames,
            seconds: session.length().0,
        },
        channels: names,
        song: song_report,
        spans: span_reports,
        changes,
    }
}

/// `a - b` when both were measured.
fn difference(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? - b?)
}

/// The report as text in a format.
pub fn to_text(report: &Report, format: Format) -> String {
    match format {
        Format::Table => table(report),
        Format::Json => json(report),
        Format::Csv => csv(report),
    }
}

/// The report as pretty JSON (the structure in the module docs), ending in a newline. Names
/// keep every character; those a terminal could obey are `\u` escapes ([`json_safe`]).
pub fn json(report: &Report) -> String {
    // Serialising plain structs of strings and numbers cannot fail.
    let mut text = json_safe(serde_json::to_string_pretty(report).unwrap_or_default());
    text.push('\n');
    text
}

/// The width of the text table.
pub const TABLE_WIDTH: usize = 80;

/// "—": nothing to measure.
const NONE: &str = "\u{2014}";

/// A figure with one decimal, or "—".
fn fig(x: Option<f64>) -> String {
    x.map_or_else(
        || NONE.to_string(),
        |x| format!("{:.1}", (x * 10.0).round() / 10.0 + 0.0),
    )
}

/// A signed figure with one decimal, or "—".
fn signed(x: Option<f64>) -> String {
    // `+ 0.0` turns -0.0 into 0.0; a value that rounds to zero prints as "+0.0".
    x.map_or_else(
        || NONE.to_string(),
        |x| {
            let rounded = (x * 10.0).round() / 10.0 + 0.0;
            format!("{rounded:+.1}")
        },
    )
}

/// `text` with control characters escaped ([`escape`]), cut to `width` characters, ending in
/// "…" when cut.
fn shorten(text: &str, width: usize) -> String {
    let text = escape(text);
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(width.saturating_sub(1)).collect();
        t.push('\u{2026}');
        t
    }
}

/// `text` padded with spaces to `width` characters (left-aligned), cut when longer.
fn pad(text: &str, width: usize) -> String {
    let t = shorten(text, width);
    let n = t.chars().count();
    format!("{t}{}", " ".repeat(width - n))
}

/// `text` right-aligned in `width` characters.
fn right(text: &str, width: usize) -> String {
    let n = text.chars().count();
    format!("{}{text}", " ".repeat(width.saturating_sub(n)))
}

/// The text table: a header and legend, the whole song, each span, then the changes between
/// consecutive sections; every line fits [`TABLE_WIDTH`] columns.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let s = &report.session;
    let rate = s.sample_rate;
    let _ = writeln!(
        out,
        "{}",
        shorten(&format!("{}: {}", s.name, s.path.display()), TABLE_WIDTH)
    );
    let sections = report
        .spans
        .iter()
        .filter(|sp| sp.kind == SpanKind::Section)
        .count();
    let _ = writeln!(
        out,
        "{} Hz, {}, {} channel{}, {} section{}",
        rate,
        Seconds::from_frames(s.frames, rate),
        report.channels.len(),
        if report.channels.len() == 1 { "" } else { "s" },
        sections,
        if sections == 1 { "" } else { "s" },
    );
    out.push('\n');
    for line in [
        "I LUFS: integrated loudness   S max: highest short-term (3 s) loudness, LUFS",
        "LRA: loudness range, LU   peak: sample peak, dBFS   TP: true peak, dBTP",
        "rel LU: channel minus mix integrated loudness   \u{2014}: nothing to measure",
        "Channels are measured after trim, fader, section scene, pan and master fader.",
    ] {
        let _ = writeln!(out, "{line}");
    }

    let name_w = report
        .channels
        .iter()
        .map(|n| escape(n).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(10, 24);
    for span in std::iter::once(&report.song).chain(&report.spans) {
        out.push('\n');
        span_block(&mut out, span, rate, name_w);
    }
    if !report.changes.is_empty() {
        out.push('\n');
        changes_block(&mut out, report);
    }
    out
}

const COL: usize = 8;

fn span_block(out: &mut String, span: &SpanReport, rate: u32, name_w: usize) {
    let times = format!(
        "  {}\u{2013}{}",
        Seconds::from_frames(span.start_frame, rate),
        Seconds::from_frames(span.end_frame, rate)
    );
    let title_w = TABLE_WIDTH - times.chars().count();
    let _ = writeln!(out, "{}{times}", shorten(&span.name, title_w));
    let mut header = format!("  {}", pad("", name_w));
    for h in ["I LUFS", "S max", "LRA", "peak", "TP", "rel LU"] {
        header.push_str(&right(h, COL));
    }
    let _ = writeln!(out, "{}", header.trim_end());
    let row = |name: &str, m: &Measures, rel: Option<String>| {
        let mut line = format!("  {}", pad(name, name_w));
        for v in [
            fig(m.integrated_lufs),
            fig(m.short_term_max_lufs),
            fig(m.loudness_range_lu),
            fig(m.sample_peak_dbfs),
            fig(m.true_peak_dbtp),
        ] {
            line.push_str(&right(&v, COL));
        }
        if let Some(rel) = rel {
            line.push_str(&right(&rel, COL));
        }
        line
    };
    let _ = writeln!(out, "{}", row("Mix", &span.mix, None));
    for ch in &span.channels {
        let _ = writeln!(
            out,
            "{}",
            row(&ch.name, &ch.measures, Some(signed(ch.relative_lu)))
        );
    }
}

/// Width of a channel's name in the changes block.
const CHANGE_NAME: usize = 18;
/// Width of one section pair's column in the changes block.
const CHANGE_COL: usize = 15;

fn changes_block(out: &mut String, report: &Report) {
    for line in [
        "Changes from section to section, LU: the level change, and in brackets the",
        "change of the level relative to the mix",
    ] {
        let _ = writeln!(out, "{line}");
    }
    let per_block = ((TABLE_WIDTH - 2 - CHANGE_NAME) / CHANGE_COL).max(1);
    for (b, group) in report.changes.chunks(per_block).enumerate() {
        if b > 0 {
            out.push('\n');
        }
        let mut from = format!("  {}", pad("", CHANGE_NAME));
        let mut to = from.clone();
        for change in group {
            let _ = write!(from, " {}", pad(&change.from, CHANGE_COL - 1));
            let arrow = format!("\u{2192} {}", change.to);
            let _ = write!(to, " {}", pad(&arrow, CHANGE_COL - 1));
        }
        let _ = writeln!(out, "{}", from.trim_end());
        let _ = writeln!(out, "{}", to.trim_end());
        let mut mix = format!("  {}", pad("Mix", CHANGE_NAME));
        for change in group {
            mix.push_str(&change_cell(change.mix_lu, None));
        }
        let _ = writeln!(out, "{}", mix.trim_end());
        for (i, name) in report.channels.iter().enumerate() {
            let mut line = format!("  {}", pad(name, CHANGE_NAME));
            for change in group {
                let c = &change.channels[i];
                line.push_str(&change_cell(c.level_lu, Some(Relative(c.relative_lu))));
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
}

/// One cell of the changes block, [`CHANGE_COL`] characters: the level change and, for a
/// channel (`relative` given), the relative change in brackets: " +3.1 (+0.4)".
fn change_cell(level: Option<f64>, relative: Option<Relative>) -> String {
    let mut cell = right(&signed(level), 6);
    if let Some(Relative(rel)) = relative
        && level.is_some()
    {
        let _ = write!(cell, " ({})", signed(rel));
    }
    pad(&cell, CHANGE_COL)
}

/// A channel's change of level relative to the mix, for [`change_cell`].
#[derive(Clone, Copy)]
struct Relative(Option<f64>);

/// The report as CSV (the columns in the module docs), ending in a newline.
pub fn csv(report: &Report) -> String {
    let mut out = String::from(
        "span,span_kind,start_s,end_s,source,source_kind,integrated_lufs,short_term_max_lufs,\
         loudness_range_lu,sample_peak_dbfs,true_peak_dbtp,relative_lu,change_lu,\
         relative_change_lu\n",
    );
    let mut previous: Option<&SpanReport> = None;
    for span in std::iter::once(&report.song).chain(&report.spans) {
        let before = if span.kind == SpanKind::Section {
            previous.replace(span)
        } else {
            None
        };
        let mut row = |source: &str, kind: &str, m: &Measures, rel, change, rel_change| {
            let fields = [
                csv_text(&span.name),
                span.kind.as_str().to_string(),
                span.start_s.to_string(),
                span.end_s.to_string(),
                csv_text(source),
                kind.to_string(),
                csv_num(m.integrated_lufs),
                csv_num(m.short_term_max_lufs),
                csv_num(m.loudness_range_lu),
                csv_num(m.sample_peak_dbfs),
                csv_num(m.true_peak_dbtp),
                csv_num(rel),
                csv_num(change),
                csv_num(rel_change),
            ];
            out.push_str(&fields.join(","));
            out.push('\n');
        };
        row(
            "mix",
            "mix",
            &span.mix,
            None,
            before.and_then(|b| difference(span.mix.integrated_lufs, b.mix.integrated_lufs)),
            None,
        );
        for (i, ch) in span.channels.iter().enumerate() {
            let prev = before.map(|b| &b.channels[i]);
            row(
                &ch.name,
                "channel",
                &ch.measures,
                ch.relative_lu,
                prev.and_then(|p| {
                    difference(ch.measures.integrated_lufs, p.measures.integrated_lufs)
                }),
                prev.and_then(|p| difference(ch.relative_lu, p.relative_lu)),
            );
        }
    }
    out
}

/// A number with three decimals, or an empty field.
fn csv_num(x: Option<f64>) -> String {
    x.map_or_else(String::new, |x| {
        format!("{:.3}", (x * 1000.0).round() / 1000.0 + 0.0)
    })
}

/// A text field with control characters escaped ([`escape`]: a line break in a name reads
/// `\n`), quoted when it holds a comma or a quote (RFC 4180).
fn csv_text(text: &str) -> String {
    let text = escape(text);
    if text.contains([',', '"']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(frames: usize, freq: f64, amp: f64) -> Vec<f32> {
        (0..frames)
            .map(|i| (amp * (std::f64::consts::TAU * freq * i as f64 / 48_000.0).sin()) as f32)
            .collect()
    }

    /// The short-term max from 100 ms block energies equals reading `loudness_shortterm` every
    /// 100 ms (what it replaces), on a signal whose level changes, fed in uneven pieces; and
    /// nothing is read before 3 s.
    #[test]
    fn short_term_max_by_blocks_equals_the_direct_reading() {
        let mut signal = sine(48_000 * 2, 1000.0, 0.1);
        signal.extend(sine(48_000 * 3, 440.0, 0.6));
        signal.extend(sine(48_000 * 2, 2000.0, 0.05));
        let mut meter = Meter::new(48_000, SPAN_MODE).unwrap();
        assert!(meter.by_blocks);
        let mut direct = EbuR128::new(2, 48_000, SPAN_MODE).unwrap();
        let mut direct_max = f64::NEG_INFINITY;
        for (i, chunk) in signal.chunks(4800).enumerate() {
            direct.add_frames_planar_f32(&[chunk, chunk]).unwrap();
            if i + 1 >= 30 {
                direct_max = direct_max.max(direct.loudness_shortterm().unwrap());
            }
        }
        let mut at = 0;
        for (k, piece) in [1000, 7, 4800, 9000, 123].iter().cycle().enumerate() {
            if at >= signal.len() {
                break;
            }
            let end = (at + piece).min(signal.len());
            meter.add(&signal[at..end], &signal[at..end]).unwrap();
            at = end;
            if at < 30 * 4800 {
                assert_eq!(meter.short_term_max, f64::NEG_INFINITY, "piece {k}");
            }
        }
        assert!(
            (meter.short_term_max - direct_max).abs() < 1e-9,
            "{} vs {direct_max}",
            meter.short_term_max
        );
    }

    /// At a rate where 100 ms is not a whole number of frames the direct reading is used.
    #[test]
    fn odd_rates_read_short_term_directly() {
        let meter = Meter::new(11_025, SPAN_MODE).unwrap();
        assert!(!meter.by_blocks);
        assert!(Meter::new(44_100, SPAN_MODE).unwrap().by_blocks);
    }

    /// The tail keeps the last frames whatever the piece sizes.
    #[test]
    fn tail_keeps_the_last_frames() {
        let mut tail = Tail::new(4);
        tail.push(&[1.0, 2.0], &[-1.0, -2.0]);
        assert_eq!(tail.left, [1.0, 2.0]);
        tail.push(&[3.0, 4.0, 5.0], &[-3.0, -4.0, -5.0]);
        assert_eq!(tail.left, [2.0, 3.0, 4.0, 5.0]);
        assert_eq!(tail.right, [-2.0, -3.0, -4.0, -5.0]);
        tail.push(&[6.0, 7.0, 8.0, 9.0, 10.0], &[0.0; 5]);
        assert_eq!(tail.left, [7.0, 8.0, 9.0, 10.0]);
    }

    /// Figures print with one decimal and "—" for none, never "-0.0"; CSV fields are quoted
    /// only when they must be.
    #[test]
    fn figures_and_fields() {
        assert_eq!(fig(Some(-17.24)), "-17.2");
        assert_eq!(fig(Some(-0.04)), "0.0");
        assert_eq!(fig(None), "\u{2014}");
        assert_eq!(signed(Some(-0.04)), "+0.0");
        assert_eq!(signed(Some(3.06)), "+3.1");
        assert_eq!(csv_num(Some(-0.0001)), "0.000");
        assert_eq!(csv_num(None), "");
        assert_eq!(csv_text("Keys"), "Keys");
        assert_eq!(csv_text("Keys, \"wide\""), "\"Keys, \"\"wide\"\"\"");
        assert_eq!(shorten("Rhythm guitar", 6), "Rhyth\u{2026}");
        assert_eq!(pad("Bass", 6), "Bass  ");
        assert_eq!("table".parse(), Ok(Format::Table));
        assert!(
            "xml"
                .parse::<Format>()
                .unwrap_err()
                .contains("table, json or csv")
        );
    }
}
