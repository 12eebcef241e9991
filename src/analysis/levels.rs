//! A channel's level in the mix over a played span, for the Blindfold Balance Test and the
//! level-matching drill: one pass ([`pass::run`]) over the span measuring every channel's
//! contribution (after trim, fader, section scene, pan, mute/solo and the master fader), its
//! meters seeded with up to 100 ms of the song before the span (see the
//! [`analysis`](super) docs). Not realtime-safe.

use super::MeasureError;
use super::meter::Figures;
use super::pass::{self, Plan, Source};
use crate::engine::render::StopFlag;
use crate::session::Session;

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
    let end = end_frame.min(session.length_frames);
    if start_frame >= end {
        return Err(MeasureError::EmptySpan {
            start: start_frame,
            end: end_frame,
            length: session.length_frames,
            rate: session.sample_rate,
        });
    }
    let plan = Plan {
        spans: std::iter::once(start_frame..end).collect(),
        sources: (0..session.channels.len()).map(Source::Channel).collect(),
        figures: Figures::Level,
        song: false,
        readings: Vec::new(),
    };
    let measured = pass::run(session, &plan, &mut |_, _| {}, &StopFlag::new(0))?;
    Ok(measured
        .sources
        .iter()
        .map(|source| {
            let figures = source.spans[0];
            ChannelLevel {
                peak_dbfs: figures.measures.sample_peak_dbfs,
                rms_dbfs: figures.rms_dbfs,
                loudness_lufs: figures.measures.integrated_lufs,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::units::Decibels;

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
