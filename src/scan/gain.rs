//! Gain staging for `earmix new --gain-stage`: each stem's level on its loud passages, and the
//! trim that brings it to one reference level.
//!
//! **The reference.** A stem's level is the momentary loudness (EBU R 128: K-weighted, 400 ms
//! windows, read every 100 ms) that its loud passages reach: the 90th percentile of its
//! momentary readings above -70 LUFS (silence is not counted), so a single hit does not set it
//! and long quiet stretches do not lower it. The trim brings that level to
//! [`REFERENCE_LUFS`], -18 LUFS, about where an analogue-style console's 0 VU sits, which
//! leaves the faders at 0 dB with room above every stem. Stems are measured as they are in the
//! file (a mono stem as one channel), before pan.

use std::path::PathBuf;

use crate::engine::source::{MAX_BLOCK, ReadMode, Source, StemBuffer};
use crate::engine::streams::{StreamConfig, StreamError, open_stem, probe};
use crate::session::limits::TRIM;

/// The level every stem's loud passages are trimmed to, in LUFS (momentary).
pub const REFERENCE_LUFS: f64 = -18.0;

/// The percentile of a stem's momentary loudness readings taken as its level.
pub const PERCENTILE: f64 = 90.0;

/// Momentary readings below this are silence and not counted (the R 128 absolute gate).
const SILENCE_LUFS: f64 = -70.0;

/// What measuring one stem found.
#[derive(Debug, Clone, PartialEq)]
pub struct StemLevel {
    /// The loud-passage level in LUFS; `None` for a stem that is silent throughout.
    pub loud_lufs: Option<f64>,
    /// The highest sample, in dBFS; `None` for digital silence.
    pub peak_dbfs: Option<f64>,
}

/// The trim a stem gets, and what it needed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Staging {
    /// The trim written, in dB, rounded to 0.1 dB and within the session's trim range.
    pub trim_db: f64,
    /// The trim the reference asked for, when the trim range could not give it.
    pub wanted_db: Option<f64>,
}

impl StemLevel {
    /// The trim that brings this level to [`REFERENCE_LUFS`]: 0 for a silent stem.
    pub fn staging(&self) -> Staging {
        let Some(level) = self.loud_lufs else {
            return Staging {
                trim_db: 0.0,
                wanted_db: None,
            };
        };
        let wanted = ((REFERENCE_LUFS - level) * 10.0).round() / 10.0;
        let trim_db = wanted.clamp(TRIM.low, TRIM.high);
        Staging {
            trim_db,
            wanted_db: (trim_db != wanted).then_some(wanted),
        }
    }
}

/// Measures each stem (one file, or the left and right files of a split-stereo pair), on as
/// many threads as there are cores. Results come back in the order of `stems`.
///
/// Not realtime-safe (reads files, starts threads).
pub fn measure_all(stems: &[Vec<PathBuf>]) -> Vec<Result<StemLevel, StreamError>> {
    crate::parallel::on_all_cores(stems, || true, |files| measure(files))
        .into_iter()
        .map(|(_, level)| level)
        .collect()
}

/// Measures one stem: one file, or two mono files played as left and right.
fn measure(files: &[PathBuf]) -> Result<StemLevel, StreamError> {
    let first = files.first().ok_or_else(|| StreamError::Open {
        path: PathBuf::new(),
        reason: "no file".into(),
    })?;
    let rate = probe(first)?.sample_rate;
    let mut sources: Vec<Box<dyn Source>> = files
        .iter()
        .map(|path| open_stem(path, rate, 0, &[], StreamConfig::BOUNCE))
        .collect::<Result<_, _>>()?;
    for source in &mut sources {
        source.wait_ready()?;
    }
    let channels: usize = sources.iter().map(|s| s.channels()).sum::<usize>().min(2);
    let frames = sources.iter().map(|s| s.len_frames()).max().unwrap_or(0);
    let loudness_error = |e: ebur128::Error| StreamError::Decode {
        path: first.clone(),
        reason: format!("cannot measure its loudness: {e}"),
    };
    let mut meter = ebur128::EbuR128::new(
        channels as u32,
        rate,
        ebur128::Mode::M | ebur128::Mode::SAMPLE_PEAK,
    )
    .map_err(loudness_error)?;
    let hop = (rate as usize / 10).max(1);
    let mut buffers: Vec<StemBuffer> = sources
        .iter()
        .map(|s| StemBuffer::new(s.channels()))
        .collect();
    let mut readings = Vec::new();
    let mut done: u64 = 0;
    let mut in_hop = 0usize;
    while done < frames {
        let n = (frames - done)
            .min(MAX_BLOCK as u64)
            .min((hop - in_hop) as u64) as usize;
        for (source, buffer) in sources.iter_mut().zip(&mut buffers) {
            source.read(n, buffer, ReadMode::Blocking);
        }
        let planes: Vec<&[f32]> = buffers
            .iter()
            .flat_map(|b| (0..b.channels()).map(move |ch| b.channel(ch, n)))
            .take(channels)
            .collect();
        meter
            .add_frames_planar_f32(&planes)
            .map_err(loudness_error)?;
        done += n as u64;
        in_hop += n;
        if in_hop == hop {
            in_hop = 0;
            // The first reading covers a full 400 ms window.
            if done >= 4 * hop as u64 {
                let m = meter.loudness_momentary().map_err(loudness_error)?;
                if m > SILENCE_LUFS {
                    readings.push(m);
                }
            }
        }
    }
    // A stem shorter than one window gets one reading over what it has.
    if done < 4 * hop as u64 && done > 0 {
        let m = meter.loudness_momentary().map_err(loudness_error)?;
        if m > SILENCE_LUFS {
            readings.push(m);
        }
    }
    let mut peak = 0.0f64;
    for ch in 0..channels {
        peak = peak.max(meter.sample_peak(ch as u32).map_err(loudness_error)?);
    }
    Ok(StemLevel {
        loud_lufs: percentile(&mut readings, PERCENTILE),
        peak_dbfs: (peak > 0.0).then(|| 20.0 * peak.log10()),
    })
}

/// The `p`th percentile (nearest rank) of `values`; `None` when there are none.
fn percentile(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    Some(values[rank.clamp(1, values.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a 1 kHz sine of `amplitude` (peak, linear) as 32-bit float WAV.
    fn sine(path: &std::path::Path, channels: u16, rate: u32, seconds: f64, amplitude: f32) {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for i in 0..(seconds * f64::from(rate)) as u64 {
            let t = i as f64 / f64::from(rate);
            let s = amplitude * (2.0 * std::f64::consts::PI * 1000.0 * t).sin() as f32;
            for _ in 0..channels {
                w.write_sample(s).unwrap();
            }
        }
        w.finalize().unwrap();
    }

    /// A 1 kHz sine reads at its peak level in LUFS in stereo and 3 dB lower in mono (the R
    /// 128 definition: a stereo 1 kHz sine at -23 dBFS is -23 LUFS); a split pair of mono
    /// files reads as the stereo file; the trim is the difference to -18 LUFS, clamped to the
    /// trim range with what was wanted kept; silence gets no trim.
    #[test]
    fn a_sine_is_measured_and_trimmed_to_the_reference() {
        let dir = tempfile::tempdir().unwrap();
        let p = |name: &str| dir.path().join(name);
        let amp = |db: f64| 10f64.powf(db / 20.0) as f32;
        sine(&p("stereo.wav"), 2, 48_000, 2.0, amp(-30.0));
        sine(&p("mono.wav"), 1, 44_100, 2.0, amp(-12.0));
        sine(&p("quiet.wav"), 1, 48_000, 1.0, amp(-50.0));
        sine(&p("l.wav"), 1, 48_000, 2.0, amp(-30.0));
        sine(&p("r.wav"), 1, 48_000, 2.0, amp(-30.0));
        sine(&p("silent.wav"), 1, 48_000, 1.0, 0.0);
        let levels = measure_all(&[
            vec![p("stereo.wav")],
            vec![p("mono.wav")],
            vec![p("quiet.wav")],
            vec![p("l.wav"), p("r.wav")],
            vec![p("silent.wav")],
            vec![p("missing.wav")],
        ]);
        let level = |i: usize| levels[i].as_ref().unwrap().clone();
        let close = |got: Option<f64>, want: f64| {
            let got = got.unwrap();
            assert!((got - want).abs() < 0.1, "{got} vs {want}");
        };
        close(level(0).loud_lufs, -30.0);
        close(level(0).peak_dbfs, -30.0);
        close(level(1).loud_lufs, -12.0 - 3.01);
        close(level(3).loud_lufs, -30.0);
        assert_eq!(
            level(0).staging(),
            Staging {
                trim_db: 12.0,
                wanted_db: None
            }
        );
        assert_eq!(level(1).staging().trim_db, -3.0);
        let quiet = level(2).staging();
        assert_eq!(quiet.trim_db, 24.0);
        close(quiet.wanted_db, 35.0);
        assert_eq!(level(4).loud_lufs, None);
        assert_eq!(level(4).peak_dbfs, None);
        assert_eq!(level(4).staging().trim_db, 0.0);
        assert!(levels[5].is_err());
    }

    /// The level is the loud passages', not the average: a stem loud for a fifth of its length
    /// reads at its loud level; one hit in silence does not set it alone.
    #[test]
    fn the_level_is_the_loud_passages() {
        let mut readings: Vec<f64> = (0..80)
            .map(|_| -40.0)
            .chain((0..20).map(|_| -20.0))
            .collect();
        assert_eq!(percentile(&mut readings, PERCENTILE), Some(-20.0));
        let mut one_hit: Vec<f64> = (0..99).map(|_| -40.0).chain([-3.0]).collect();
        assert_eq!(percentile(&mut one_hit, PERCENTILE), Some(-40.0));
        assert_eq!(percentile(&mut [], PERCENTILE), None);
    }
}
