//! Measuring what each channel contributed to the mix over a played span, offline (UI thread;
//! not realtime-safe: opens files, renders and measures).
//!
//! The span is rendered by the engine's [`Processor`] (the code the bounce and playback run,
//! stems read in blocking mode, section scenes included), with [`Processor::process_tapped`]
//! giving each strip's own contribution after trim, fader, section scene, pan and mute/solo.
//! Each contribution is multiplied by the master fader's amplitude, as `earmix report` does, so
//! a channel's figures are what it adds to the mix the user hears.
//!
//! Per channel, over exactly the span's frames:
//!
//! - **peak**: the sample peak of the louder side, dBFS;
//! - **RMS**: the RMS of the louder side over the span, dBFS;
//! - **loudness**: the integrated loudness (EBU R128 / BS.1770, gated) of the channel's stereo
//!   contribution, LUFS.
//!
//! The loudness meter is seeded with up to 100 ms of the song before the span (its filters
//! start where the song left them; nothing of it is counted), like `earmix report`'s span
//! meters. A channel that is silent over the span (every sample zero: muted, soloed out, faded
//! off or with nothing in its stem there) has no figures, not even the faint loudness its
//! meter's filters would ring with after the song before the span; loudness below the -70 LUFS
//! gate, or a span too short for one 400 ms block, has no loudness either.

use ebur128::{EbuR128, Mode};

use crate::engine::processor::{Processor, StripTaps};
use crate::engine::source::{MAX_BLOCK, ReadMode};
use crate::engine::streams::{StreamConfig, StreamError};
use crate::session::Session;
use crate::units::{Decibels, Seconds};

/// One channel's level in the mix over a span; `None` = silent (or muted) there.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ChannelLevel {
    /// The sample peak of the louder side, dBFS.
    pub peak_dbfs: Option<f64>,
    /// The RMS of the louder side over the span, dBFS.
    pub rms_dbfs: Option<f64>,
    /// The integrated loudness of the channel's stereo contribution (EBU R128), LUFS; `None`
    /// when silent, below the gate, or the span is shorter than one 400 ms block.
    pub loudness_lufs: Option<f64>,
}

/// Why a span could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    /// The span holds no frames of the session.
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
    /// A stem could not be opened.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// Stem reads failed partway through the render, so the figures would be wrong.
    #[error(
        "{failures} stem read(s) failed while measuring (a stem file changed or became \
         unreadable?); the levels would be wrong, so none are given"
    )]
    StemReads {
        /// How many reads failed.
        failures: u32,
    },
    /// The loudness meter refused the audio or the sample rate.
    #[error("loudness measurement at {sample_rate} Hz failed: {reason}")]
    Loudness {
        /// The session's sample rate.
        sample_rate: u32,
        /// What `ebur128` said.
        reason: String,
    },
}

/// How much of the song before the span warms the loudness meter's filters: 100 ms.
fn seed_frames(rate: u32) -> u64 {
    u64::from(rate).div_ceil(10)
}

/// One channel's meters: sample peak and sum of squares per side, and a loudness meter.
struct ChannelMeter {
    ebu: EbuR128,
    peak: [f32; 2],
    squares: [f64; 2],
}

impl ChannelMeter {
    fn new(rate: u32) -> Result<Self, ebur128::Error> {
        Ok(Self {
            ebu: EbuR128::new(2, rate, Mode::I)?,
            peak: [0.0; 2],
            squares: [0.0; 2],
        })
    }

    /// Audio from before the span: warms the loudness filters, counts nothing.
    fn seed(&mut self, left: &[f32], right: &[f32]) -> Result<(), ebur128::Error> {
        self.ebu.seed_frames_planar_f32(&[left, right])
    }

    /// Audio from the span.
    fn add(&mut self, left: &[f32], right: &[f32]) -> Result<(), ebur128::Error> {
        for (side, samples) in [left, right].into_iter().enumerate() {
            for &x in samples {
                self.peak[side] = self.peak[side].max(x.abs());
                self.squares[side] += f64::from(x) * f64::from(x);
            }
        }
        self.ebu.add_frames_planar_f32(&[left, right])
    }

    /// The figures over `frames` measured frames.
    fn finish(&self, frames: u64) -> Result<ChannelLevel, ebur128::Error> {
        let peak = f64::from(self.peak[0].max(self.peak[1]));
        let mean_square = self.squares[0].max(self.squares[1]) / frames.max(1) as f64;
        Ok(ChannelLevel {
            peak_dbfs: level_db(peak),
            rms_dbfs: level_db(mean_square.sqrt()),
            // Digital silence has no loudness, even while the filters still ring from the
            // song before the span.
            loudness_lufs: Some(self.ebu.loudness_global()?)
                .filter(|l| l.is_finite() && peak > 0.0),
        })
    }
}

/// A linear level in dB; `None` for silence.
fn level_db(linear: f64) -> Option<f64> {
    if linear > 0.0 {
        Some(Decibels::from_amplitude(linear).0).filter(|db| db.is_finite())
    } else {
        None
    }
}

/// Renders frames `[start_frame, end_frame)` of `session` (session-rate frames) offline with
/// the same processing code the bounce uses and measures each channel's contribution to the
/// mix (after trim, fader, scene, pan, mute/solo and the master fader), in session order.
///
/// The span is clamped to the session length; a span with no frames left is
/// [`MeasureError::EmptySpan`]. Not realtime-safe.
pub fn measure_span(
    session: &Session,
    start_frame: u64,
    end_frame: u64,
) -> Result<Vec<ChannelLevel>, MeasureError> {
    let rate = session.sample_rate;
    let end = end_frame.min(session.length_frames);
    if start_frame >= end {
        return Err(MeasureError::EmptySpan {
            start: start_frame,
            end: end_frame,
            length: session.length_frames,
            rate,
        });
    }
    let loudness_error = |e: ebur128::Error| MeasureError::Loudness {
        sample_rate: rate,
        reason: e.to_string(),
    };
    let from = start_frame - start_frame.min(seed_frames(rate));
    let mut processor = Processor::for_session(session, rate, from, &[], StreamConfig::BOUNCE)?;
    let strips = processor.strip_count();
    let mut meters = (0..strips)
        .map(|_| ChannelMeter::new(rate))
        .collect::<Result<Vec<_>, _>>()
        .map_err(loudness_error)?;
    // The master fader is constant during a render.
    let master = session.master_db.to_amplitude();
    let mut taps = StripTaps::new(strips, MAX_BLOCK);
    let mut mix = [vec![0.0f32; MAX_BLOCK], vec![0.0f32; MAX_BLOCK]];
    let mut scaled = [vec![0.0f32; MAX_BLOCK], vec![0.0f32; MAX_BLOCK]];
    let mut failures = 0;
    let mut pos = from;
    while pos < end {
        let seeding = pos < start_frame;
        let limit = if seeding { start_frame } else { end };
        let n = (limit - pos).min(MAX_BLOCK as u64) as usize;
        let [mix_l, mix_r] = &mut mix;
        let status = processor.process_tapped(
            &mut mix_l[..n],
            &mut mix_r[..n],
            ReadMode::Blocking,
            &mut taps,
        );
        failures += status.failures;
        for (strip, meter) in meters.iter_mut().enumerate() {
            let [left, right] = &mut scaled;
            for (out, tap) in [
                (&mut left[..n], taps.left(strip)),
                (&mut right[..n], taps.right(strip)),
            ] {
                for (o, t) in out.iter_mut().zip(tap) {
                    *o = t * master;
                }
            }
            let result = if seeding {
                meter.seed(&left[..n], &right[..n])
            } else {
                meter.add(&left[..n], &right[..n])
            };
            result.map_err(loudness_error)?;
        }
        pos += n as u64;
    }
    if failures > 0 {
        return Err(MeasureError::StemReads { failures });
    }
    let frames = end - start_frame;
    meters
        .iter()
        .map(|meter| meter.finish(frames))
        .collect::<Result<Vec<_>, _>>()
        .map_err(loudness_error)
}

/// The last `capacity` frames a source produced, to seed the next span's loudness meter with
/// (`earmix report`'s span meters, Reference Deconstruction's section meters).
pub(crate) struct Tail {
    pub(crate) left: Vec<f32>,
    pub(crate) right: Vec<f32>,
    capacity: usize,
}

impl Tail {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            left: Vec::with_capacity(capacity),
            right: Vec::with_capacity(capacity),
            capacity,
        }
    }

    /// Adds the frames a source just produced, keeping the last `capacity`.
    pub(crate) fn push(&mut self, left: &[f32], right: &[f32]) {
        for (tail, new) in [(&mut self.left, left), (&mut self.right, right)] {
            if new.len() >= self.capacity {
                tail.clear();
                tail.extend_from_slice(&new[new.len() - self.capacity..]);
            } else {
                let excess = (tail.len() + new.len()).saturating_sub(self.capacity);
                tail.drain(..excess);
                tail.extend_from_slice(new);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    const RATE: u32 = 48_000;

    /// A 1 kHz sine at 48 kHz: every 12th sample is a crest, so the sample peak is `peak`.
    fn sine(frames: usize, peak: f64) -> Vec<f32> {
        (0..frames)
            .map(|i| (peak * (std::f64::consts::TAU * 1000.0 * i as f64 / 48_000.0).sin()) as f32)
            .collect()
    }

    fn write_wav(path: &Path, samples: &[f32]) {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: RATE,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::create(path, spec).unwrap();
        for &s in samples {
            writer.write_sample(s).unwrap();
        }
        writer.finalize().unwrap();
    }

    fn amp(dbfs: f64) -> f64 {
        10f64.powf(dbfs / 20.0)
    }

    /// A session in `dir` with mono stems "Tone" (a -6 dBFS sine for 3 s) and "Steps" (1 s of
    /// a -6 dBFS sine, 1 s at -20 dBFS, 1 s of silence), both at 0 dB, centre; `extra` is
    /// appended to the session file.
    fn session(dir: &Path, extra: &str) -> Session {
        write_wav(&dir.join("tone.wav"), &sine(3 * RATE as usize, amp(-6.0)));
        let second = RATE as usize;
        let mut steps = sine(second, amp(-6.0));
        steps.extend(sine(second, amp(-20.0)));
        steps.extend(vec![0.0; second]);
        write_wav(&dir.join("steps.wav"), &steps);
        let text = format!(
            "version = 1\nname = \"Measure\"\nsample_rate = 48000\n\n\
             [[channel]]\nname = \"Tone\"\nfile = \"tone.wav\"\nrole = \"keys\"\n\
             gain_db = 0.0\npan = 0.0\n\n\
             [[channel]]\nname = \"Steps\"\nfile = \"steps.wav\"\nrole = \"bass\"\n\
             gain_db = 0.0\npan = 0.0\n{extra}"
        );
        let path: PathBuf = dir.join("session.toml");
        std::fs::write(&path, text).unwrap();
        crate::session::load(&path).unwrap()
    }

    fn close(actual: Option<f64>, expected: f64, tolerance: f64) {
        let actual = actual.unwrap_or(f64::NAN);
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} vs {expected}"
        );
    }

    /// A -6 dBFS-peak mono sine at 0 dB, centre: the -3 dB centre of the constant-power pan law
    /// puts -9.03 dBFS on each side; the RMS of a sine is 3.01 dB under its peak; both sides
    /// carry it, so the loudness of a 1 kHz sine is its per-side RMS plus 3.01 dB.
    #[test]
    fn a_centred_sine_measures_its_peak_rms_and_loudness() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(dir.path(), "");
        let levels = measure_span(&s, 0, s.length_frames).unwrap();
        assert_eq!(levels.len(), 2);
        let centre = 20.0 * std::f64::consts::FRAC_1_SQRT_2.log10(); // -3.0103
        let half_power = 10.0 * 0.5f64.log10(); // -3.0103
        close(levels[0].peak_dbfs, -6.0 + centre, 0.01);
        close(levels[0].rms_dbfs, -6.0 + centre + half_power, 0.01);
        close(levels[0].loudness_lufs, -6.0 + centre, 0.1);
    }

    /// Moving the fader by -10 dB moves peak, RMS and loudness by -10 dB; the master fader
    /// counts too.
    #[test]
    fn fader_and_master_moves_move_every_figure() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = session(dir.path(), "");
        let before = measure_span(&s, 0, s.length_frames).unwrap()[0];
        s.channels[0].gain_db = Decibels(-10.0);
        let after = measure_span(&s, 0, s.length_frames).unwrap()[0];
        let moved = |a: Option<f64>, b: Option<f64>| b.unwrap_or(f64::NAN) - a.unwrap_or(0.0);
        for change in [
            moved(before.peak_dbfs, after.peak_dbfs),
            moved(before.rms_dbfs, after.rms_dbfs),
            moved(before.loudness_lufs, after.loudness_lufs),
        ] {
            assert!(
                (change + 10.0).abs() <= 0.05,
                "{change}: {before:?} {after:?}"
            );
        }
        s.master_db = Decibels(-4.0);
        let master = measure_span(&s, 0, s.length_frames).unwrap()[0];
        let change = moved(after.peak_dbfs, master.peak_dbfs);
        assert!((change + 4.0).abs() <= 0.05, "{change}");
    }

    /// Muted, faded off, or soloed out: no figures at all.
    #[test]
    fn silent_channels_measure_none() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = session(dir.path(), "");
        s.channels[0].mute = true;
        let levels = measure_span(&s, 0, s.length_frames).unwrap();
        assert_eq!(levels[0], ChannelLevel::default());
        assert!(levels[1].peak_dbfs.is_some());
        s.channels[0].mute = false;
        s.channels[1].gain_db = Decibels::OFF;
        assert_eq!(
            measure_span(&s, 0, s.length_frames).unwrap()[1],
            ChannelLevel::default()
        );
        s.channels[1].gain_db = Decibels::UNITY;
        s.channels[1].solo = true;
        let levels = measure_span(&s, 0, s.length_frames).unwrap();
        assert_eq!(levels[0], ChannelLevel::default());
        assert!(levels[1].peak_dbfs.is_some());
    }

    /// A span in the middle measures only its own frames: the -20 dBFS second of "Steps", not
    /// the -6 dBFS one before it; its silent last second measures nothing.
    #[test]
    fn a_span_measures_only_its_frames() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(dir.path(), "");
        let second = u64::from(RATE);
        let centre = 20.0 * std::f64::consts::FRAC_1_SQRT_2.log10();
        let middle = measure_span(&s, second, 2 * second).unwrap();
        close(middle[1].peak_dbfs, -20.0 + centre, 0.01);
        close(middle[1].rms_dbfs, -20.0 + centre - 3.0103, 0.01);
        close(middle[1].loudness_lufs, -20.0 + centre, 0.1);
        close(middle[0].peak_dbfs, -6.0 + centre, 0.01);
        let last = measure_span(&s, 2 * second, 3 * second).unwrap();
        assert_eq!(last[1], ChannelLevel::default());
        // A span running past the end is clamped to it.
        let clamped = measure_span(&s, 2 * second, 10 * second).unwrap();
        assert_eq!(clamped, last);
    }

    /// A section's scene applies in its span: "Tone" at -10 dB from 1 s, with no glide.
    #[test]
    fn section_scenes_apply() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(
            dir.path(),
            "\n[[section]]\nname = \"A\"\nstart = 0.0\n\n\
             [[section]]\nname = \"B\"\nstart = 1.0\nramp_ms = 0\ngain_db = { Tone = -10.0 }\n",
        );
        let second = u64::from(RATE);
        let a = measure_span(&s, 0, second).unwrap()[0];
        let b = measure_span(&s, second, 2 * second).unwrap()[0];
        let change = b.peak_dbfs.unwrap_or(0.0) - a.peak_dbfs.unwrap_or(0.0);
        assert!((change + 10.0).abs() <= 0.05, "{change}");
    }

    /// An empty span (or one past the end) is an error naming the times.
    #[test]
    fn an_empty_span_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(dir.path(), "");
        let error = measure_span(&s, 1000, 1000).unwrap_err();
        assert!(matches!(error, MeasureError::EmptySpan { .. }), "{error}");
        let error = measure_span(&s, 4 * u64::from(RATE), 5 * u64::from(RATE)).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("from 0:04.000 to 0:05.000") && text.contains("0:03.000 long"),
            "{text}"
        );
    }

    /// A stem that is gone is a stream error naming the file.
    #[test]
    fn a_missing_stem_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(dir.path(), "");
        std::fs::remove_file(dir.path().join("tone.wav")).unwrap();
        let error = measure_span(&s, 0, s.length_frames).unwrap_err();
        assert!(matches!(error, MeasureError::Stream(_)), "{error}");
        assert!(error.to_string().contains("tone.wav"), "{error}");
    }
}
