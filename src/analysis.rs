//! Offline loudness and level measurement of a session's render, for `earmix report`
//! ([`report`]), the Blindfold Balance Test and the level-matching drill ([`levels`]) and
//! Reference Deconstruction (`exercise::deconstruct`). Not realtime-safe: opens files, renders
//! and measures; the realtime master meter is `engine::loudness`.
//!
//! # What is measured
//!
//! A measurement is one *pass* ([`pass::run`]): the session rendered once by the engine's
//! [`Processor`](crate::engine::processor::Processor) (the code the bounce and playback run,
//! stems read in blocking mode, section scenes included), with
//! [`Processor::process_tapped`](crate::engine::processor::Processor::process_tapped) giving
//! each strip's own contribution (after trim, fader, section scene, pan and mute/solo) when
//! channels are measured. Each contribution is multiplied by the master fader's amplitude, so a
//! channel's figures and the mix's are on one scale: what the channel adds to the mix heard.
//! Reference Deconstruction measures the session's reference mix alongside, read through the
//! session's reference map exactly as playback places it. The mix, each channel and the
//! reference are *sources*.
//!
//! The timeline is cut into *spans* at exact frames ([`span`]): one per `[[section]]` and the
//! lead-in before the first, named "(before NAME)"; or one span the exercises choose.
//!
//! Per (span, source), one EBU R 128 meter ([`meter`], computing what the `ebur128` crate
//! computes: its figures are the tests' oracle), fed the span's frames only, its K-weighting
//! filters and true-peak interpolator starting where the song left them: they run through the
//! pass from up to 100 ms before the first span, which reads as a meter seeded with the 100 ms
//! of the source before the span (nothing of it counted), within float noise
//! ([`meter::Measures`]):
//!
//! - integrated loudness (LUFS, BS.1770 gating over the span's 400 ms blocks);
//! - short-term max (LUFS): the highest 3 s short-term loudness, read every 100 ms once 3 s of
//!   the span have been fed (windows lie inside the span, so a span under 3 s has none);
//! - loudness range (LU, EBU Tech 3342, from the span's own short-term windows; none without
//!   integrated loudness or under 3 s);
//! - sample peak (dBFS) and true peak (dBTP, 4x oversampled), the higher of the two channels;
//! - for the exercises, the RMS of the louder channel (dBFS).
//!
//! A pass may also meter the whole song per source with one more meter fed every frame, so
//! its integrated loudness, loudness range and short-term max count the blocks and windows
//! that straddle section boundaries and equal what a single meter over the song reads (the
//! mix's integrated loudness is the one `earmix bounce` prints). Whole-song sample and true
//! peaks are the highest of the spans'. The same meter gives short-term readings at chosen
//! moments (Reference Deconstruction's shapes).
//!
//! Nothing to measure is `None`, never `-inf` or NaN: a source that is digitally silent over a
//! span (muted, faded off, or nothing in its stem there) has no figures at all, not even the
//! faint loudness and true peak its meter rings with after the audio it was seeded with;
//! loudness below the -70 LUFS gate, or a span too short for a 400 ms block, has no loudness.
//!
//! A damaged stem is measured as it plays: silent from where its data ends early or decoding
//! failed, and its NaN or infinite samples as silence ([`pass::Measured::damaged`] names such
//! stems).

use std::path::PathBuf;

use crate::engine::render::signal_name;
use crate::engine::streams::StreamError;
use crate::units::Seconds;

pub mod levels;
pub mod meter;
pub mod pass;
pub mod report;
pub mod span;

/// Why a measurement could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    /// The span asked for holds no frames of the session.
    #[error(
        "there is nothing to measure from {} to {}: the session is {} long",
        Seconds::from_frames(*start, *rate),
        Seconds::from_frames(*end, *rate),
        Seconds::from_frames(*length, *rate)
    )]
    EmptySpan {
        /// The first frame asked for.
        start: u64,
        /// The end frame asked for (one past the last).
        end: u64,
        /// The session length in frames.
        length: u64,
        /// The session's sample rate.
        rate: u32,
    },
    /// The reference was to be measured, and the session names none.
    #[error(
        "{} has no reference mix to compare with: add a [reference] with the file of a mix \
         you admire",
        session.display()
    )]
    NoReference {
        /// The session file.
        session: PathBuf,
    },
    /// A stem or the reference could not be opened.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// Stem reads failed partway through the render, so the figures would be wrong.
    #[error(
        "{failures} stem read(s) failed partway through the render (a stem file changed or \
         became unreadable?); nothing is measured, as the figures would be wrong"
    )]
    StemReads {
        /// How many reads failed.
        failures: u32,
    },
    /// Reading the reference failed partway through, so its figures would be wrong.
    #[error(
        "reading the reference {} failed partway through (the file changed or became \
         unreadable?); nothing is measured, as the figures would be wrong",
        file.display()
    )]
    ReferenceRead {
        /// The reference file.
        file: PathBuf,
    },
    /// A signal asked the measurement to stop.
    #[error("interrupted by {}", signal_name(*.signal))]
    Interrupted {
        /// The signal's number.
        signal: usize,
    },
    /// The measuring threads could not be started or stopped unexpectedly.
    #[error("the measuring threads failed: {0}")]
    Threads(String),
}
