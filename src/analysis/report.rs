//! The measurements `earmix report` prints: the mix and every channel, for the whole song and
//! per span ([`span::sections`]), with each channel's level relative to the mix and the
//! changes from section to section. Not realtime-safe.
//!
//! Derived figures: a channel's *relative level* in a span is its integrated loudness minus the
//! mix's (LU); between consecutive sections (the lead-in is left out) a channel's *level
//! change* is the change of its integrated loudness, and its *relative change* the change of
//! its relative level.
//!
//! The printed forms (table, JSON, CSV), and the JSON structure these types serialise to, are
//! documented with the command, in `commands::report`.

use std::path::PathBuf;

use serde::Serialize;

use super::MeasureError;
use super::meter::{Figures, Measures};
use super::pass::{self, Plan, Source};
use super::span::{self, Span, SpanKind};
use crate::engine::render::{DamagedStem, StopFlag};
use crate::session::Session;
use crate::units::Seconds;

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

/// The figures of one span of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanReport {
    /// The section's name, the lead-in's, or the whole song's ([`span::WHOLE_SONG`]).
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

/// A whole report; its JSON form is the structure `commands::report` documents.
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

/// Renders the session once and measures the mix and every channel, per span and for the whole
/// song. `progress` is called after each block with (frames done, frames total).
///
/// Not realtime-safe.
pub fn measure(
    session: &Session,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, MeasureError> {
    measure_until(session, progress, &StopFlag::new(0)).map(|(report, _)| report)
}

/// [`measure`], stopping when `stop` asks ([`MeasureError::Interrupted`]), and returning the
/// stems that were damaged (the report measures them as they play: silent where their data is
/// missing or was not finite).
///
/// Not realtime-safe.
pub fn measure_until(
    session: &Session,
    progress: &mut dyn FnMut(u64, u64),
    stop: &StopFlag,
) -> Result<(Report, Vec<DamagedStem>), MeasureError> {
    // Without sections the song is measured in one span, for its peaks.
    let plan = Plan {
        spans: span::cuts(session).iter().map(Span::frames).collect(),
        sources: std::iter::once(Source::Mix)
            .chain((0..session.channels.len()).map(Source::Channel))
            .collect(),
        figures: Figures::Ebu,
        song: true,
        readings: Vec::new(),
    };
    let measured = pass::run(session, &plan, progress, stop)?;
    let song: Vec<Measures> = measured.sources.iter().map(|s| s.song).collect();
    let spans = span::sections(session);
    let per_span: Vec<Vec<Measures>> = measured
        .sources
        .iter()
        .map(|s| s.spans.iter().map(|f| f.measures).collect())
        .collect();
    Ok((
        assemble(session, &spans, &song, &per_span),
        measured.damaged,
    ))
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
    let song_report = span_report(&span::whole_song(session), &|source| song[source]);
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
pub fn difference(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? - b?)
}
