//! Guess mode's excerpts (UI thread; the measurement runs on a thread of its own): the loop cut
//! into short excerpts, each channel's loudness in each one measured in a single offline pass,
//! and which parts play in which excerpt.
//!
//! A part is asked about only in an excerpt where it plays: where its loudest channel is no more
//! than [`BACKGROUND_DB`] under the loudest channel of that excerpt. A part buried deeper than
//! that is background there, and a level change in it says nothing about the listener's ear.

use std::ops::Range;

use crate::analysis::meter::Figures;
use crate::analysis::pass::{self, Plan, Source};
use crate::app::exercises::{Measuring, in_background};
use crate::engine::render::StopFlag;
use crate::session::Session;
use crate::units::Seconds;

/// How long an excerpt lasts, seconds: about a bar, long enough for a part to be heard, short
/// enough to hold in memory from one playing to the next.
pub const EXCERPT_S: f64 = 3.0;

/// The most excerpts taken from one loop (the first ones).
pub const MAX_EXCERPTS: usize = 16;

/// A part this far under the loudest channel of an excerpt, in LU, or further, sits in the
/// background there and is not asked about.
pub const BACKGROUND_DB: f64 = 20.0;

/// The excerpts of `span`: back to back from its start, each [`EXCERPT_S`] long, at most
/// [`MAX_EXCERPTS`]; a span shorter than one excerpt is one excerpt.
pub fn windows(span: (Seconds, Seconds)) -> Vec<(Seconds, Seconds)> {
    let (start, end) = (span.0.0, span.1.0);
    if end - start < EXCERPT_S {
        return if end > start { vec![span] } else { Vec::new() };
    }
    let count = (((end - start) / EXCERPT_S).floor() as usize).min(MAX_EXCERPTS);
    (0..count)
        .map(|k| {
            let from = start + k as f64 * EXCERPT_S;
            (Seconds(from), Seconds(from + EXCERPT_S))
        })
        .collect()
}

/// Each channel's integrated loudness (LUFS; `None`: silent there) in each excerpt, in the
/// order of `windows`, channels in session order.
pub type Loudness = Vec<Vec<Option<f64>>>;

/// Measures every channel of `session` in each of `windows` (in time order, none overlapping)
/// in one pass, on a thread of its own.
pub fn measure(session: Session, windows: &[(Seconds, Seconds)]) -> Measuring<Loudness> {
    let rate = f64::from(session.sample_rate);
    let frames = |s: Seconds| ((s.0.max(0.0) * rate).round() as u64).min(session.length_frames);
    let spans: Vec<Range<u64>> = windows.iter().map(|w| frames(w.0)..frames(w.1)).collect();
    in_background(move || {
        let plan = Plan {
            spans,
            sources: (0..session.channels.len()).map(Source::Channel).collect(),
            figures: Figures::Level,
            song: false,
            readings: Vec::new(),
        };
        let measured = pass::run(&session, &plan, &mut |_, _| {}, &StopFlag::new(0))
            .map_err(|e| e.to_string())?;
        Ok((0..plan.spans.len())
            .map(|k| {
                measured
                    .sources
                    .iter()
                    .map(|source| source.spans.get(k).and_then(|f| f.measures.integrated_lufs))
                    .collect()
            })
            .collect())
    })
}

/// Whether a part made of `channels` plays in an excerpt whose channels measured `loudness`:
/// its loudest channel is heard and within [`BACKGROUND_DB`] of the excerpt's loudest channel.
pub fn plays_in(loudness: &[Option<f64>], channels: &[usize]) -> bool {
    let loudest = loudness
        .iter()
        .flatten()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let part = channels
        .iter()
        .filter_map(|&c| loudness.get(c).copied().flatten())
        .fold(f64::NEG_INFINITY, f64::max);
    part.is_finite() && part >= loudest - BACKGROUND_DB
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loop is cut into whole excerpts from its start (the rest left out), at most
    /// `MAX_EXCERPTS`; a short loop is one excerpt, an empty one none.
    #[test]
    fn excerpts_are_whole_and_back_to_back() {
        let w = windows((Seconds(10.0), Seconds(20.0)));
        assert_eq!(
            w,
            [
                (Seconds(10.0), Seconds(13.0)),
                (Seconds(13.0), Seconds(16.0)),
                (Seconds(16.0), Seconds(19.0)),
            ]
        );
        assert_eq!(
            windows((Seconds(0.0), Seconds(2.0))),
            [(Seconds(0.0), Seconds(2.0))]
        );
        assert!(windows((Seconds(5.0), Seconds(5.0))).is_empty());
        assert_eq!(windows((Seconds(0.0), Seconds(600.0))).len(), MAX_EXCERPTS);
    }

    /// A part plays where its loudest channel is within 20 LU of the excerpt's loudest; a
    /// silent part, or one buried deeper, does not.
    #[test]
    fn a_part_plays_where_it_is_not_buried() {
        let loudness = [Some(-14.0), Some(-33.0), None, Some(-35.0)];
        assert!(plays_in(&loudness, &[0]));
        assert!(plays_in(&loudness, &[1]));
        assert!(!plays_in(&loudness, &[2]));
        assert!(!plays_in(&loudness, &[3]));
        assert!(
            plays_in(&loudness, &[2, 1]),
            "a group's loudest member counts"
        );
        assert!(!plays_in(&loudness, &[7]));
    }
}
