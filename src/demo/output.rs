//! Turning a synthesised part into a stem file: DC removal, edge fades, peak normalisation,
//! 24-bit quantisation, and an atomic WAV write (temporary file beside the target, fsync,
//! rename), so an interrupted run never leaves a truncated stem.
//!
//! The WAV bytes are exactly what `hound` writes for a 24-bit integer spec (a
//! `WAVE_FORMAT_EXTENSIBLE` header, little-endian packed samples; a unit test compares the
//! two), but packed in bulk: hound's per-sample writer was a large share of generation time.

use std::io::Write as _;
use std::path::Path;

use super::DemoError;
use super::synth::{OnePole, SAMPLE_RATE, Sample, db_to_amp, round_to_i64, to_samples};

/// Full scale of a 24-bit sample: `x = 1.0` maps to `2^23`.
pub const FULL_SCALE_24: f64 = 8_388_608.0;

/// A finished part: planar channels at 48 kHz and the gain that brings its peak to the stem's
/// level. Samples become 24-bit integers only on the way out ([`sample_24`]).
#[derive(Debug, Clone)]
pub struct Finished {
    pub channels: Vec<Vec<Sample>>,
    pub gain: f64,
}

/// Finishes a part: removes DC, fades the first 2 ms and last 50 ms, and finds the gain that
/// puts the loudest sample of any channel at `peak_dbfs` (0 for a silent part).
pub fn finish(mut channels: Vec<Vec<Sample>>, peak_dbfs: f64) -> Finished {
    let mut peak: f64 = 0.0;
    for ch in &mut channels {
        let len = ch.len();
        let (fade_in, fade_out) = (to_samples(0.002).min(len), to_samples(0.05).min(len));
        let mut dc = OnePole::new(8.0);
        for (i, x) in ch.iter_mut().enumerate() {
            let mut y = dc.highpass(f64::from(*x));
            if i < fade_in {
                y *= i as f64 / fade_in as f64;
            } else if i >= len - fade_out {
                y *= (len - 1 - i) as f64 / fade_out as f64;
            }
            peak = peak.max(y.abs());
            *x = y as Sample;
        }
    }
    let gain = if peak > 0.0 {
        db_to_amp(peak_dbfs) / peak
    } else {
        0.0
    };
    Finished { channels, gain }
}

/// A sample scaled by `gain` and rounded to 24 bits, saturating at full scale.
#[inline(always)] // see the note in synth.rs
#[allow(clippy::inline_always)]
pub fn sample_24(x: Sample, gain: f64) -> i32 {
    const MAX: i64 = (1 << 23) - 1;
    round_to_i64(f64::from(x) * gain * FULL_SCALE_24).clamp(-MAX - 1, MAX) as i32
}

/// What a decoder reads back from the 24-bit file: each sample quantised, as `i / 2^23`.
pub fn decoded(samples: &[Sample], gain: f64) -> Vec<f32> {
    samples
        .iter()
        .map(|&x| (f64::from(sample_24(x, gain)) / FULL_SCALE_24) as f32)
        .collect()
}

/// The 68-byte header hound writes for 24-bit integer samples: RIFF, a 40-byte
/// `WAVE_FORMAT_EXTENSIBLE` fmt chunk (PCM sub-format, first channels in the mask), and the
/// data chunk's header.
fn wav_header(channels: u16, data_bytes: u32) -> Vec<u8> {
    const PCM_GUID: [u8; 16] = [
        1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71,
    ];
    let block_align = channels * 3;
    let mut h = Vec::with_capacity(68);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(60 + data_bytes).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&40_u32.to_le_bytes());
    h.extend_from_slice(&0xfffe_u16.to_le_bytes());
    h.extend_from_slice(&channels.to_le_bytes());
    h.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    h.extend_from_slice(&(SAMPLE_RATE * u32::from(block_align)).to_le_bytes());
    h.extend_from_slice(&block_align.to_le_bytes());
    h.extend_from_slice(&24_u16.to_le_bytes()); // container bits
    h.extend_from_slice(&22_u16.to_le_bytes()); // extension size
    h.extend_from_slice(&24_u16.to_le_bytes()); // valid bits
    h.extend_from_slice(&((1_u32 << channels) - 1).to_le_bytes());
    h.extend_from_slice(&PCM_GUID);
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_bytes.to_le_bytes());
    h
}

/// Writes a 48 kHz 24-bit WAV of planar `channels` scaled by `gain`, atomically: into a
/// temporary `<name>.tmp…` file in the target's folder, synced, then renamed over the target.
pub fn write_wav(path: &Path, channels: &[Vec<Sample>], gain: f64) -> Result<(), DemoError> {
    let io_err = |error: std::io::Error| DemoError::Io {
        path: path.to_path_buf(),
        error,
    };
    let mut tmp = temp_beside(path)?;
    write_wav_to(tmp.as_file_mut(), channels, gain).map_err(io_err)?;
    tmp.as_file().sync_all().map_err(io_err)?;
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// Writes the WAV bytes: the header, then interleaved little-endian 24-bit samples, packed
/// in chunks.
pub fn write_wav_to(
    out: &mut impl std::io::Write,
    channels: &[Vec<Sample>],
    gain: f64,
) -> std::io::Result<()> {
    const CHUNK: usize = 8192;
    let frames = channels.iter().map(Vec::len).min().unwrap_or(0);
    let data_bytes = frames * channels.len() * 3;
    out.write_all(&wav_header(channels.len() as u16, data_bytes as u32))?;
    let n = channels.len();
    let mut chunk = vec![0_u8; 3 * CHUNK * n];
    for start in (0..frames).step_by(CHUNK) {
        let end = (start + CHUNK).min(frames);
        for (c, ch) in channels.iter().enumerate() {
            let mut at = 3 * c;
            for &x in &ch[start..end] {
                let v = sample_24(x, gain);
                chunk[at] = v as u8;
                chunk[at + 1] = (v >> 8) as u8;
                chunk[at + 2] = (v >> 16) as u8;
                at += 3 * n;
            }
        }
        out.write_all(&chunk[..3 * n * (end - start)])?;
    }
    Ok(())
}

/// A temporary file beside `path`, named `<name>.tmp…`.
fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile, DemoError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    crate::session::file::user_temp_file(dir, &format!("{name}.tmp"), "").map_err(|error| {
        DemoError::Io {
            path: path.to_path_buf(),
            error,
        }
    })
}

/// Writes a text file only if nothing is at `path` yet (atomically, never replacing a file that
/// appears meanwhile). Returns whether it wrote.
pub fn write_text_if_missing(path: &Path, text: &str) -> Result<bool, DemoError> {
    let io_err = |error: std::io::Error| DemoError::Io {
        path: path.to_path_buf(),
        error,
    };
    if path.exists() {
        return Ok(false);
    }
    let mut tmp = temp_beside(path)?;
    tmp.write_all(text.as_bytes()).map_err(io_err)?;
    tmp.as_file().sync_all().map_err(io_err)?;
    match tmp.persist_noclobber(path) {
        Ok(_) => Ok(true),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(io_err(e.error)),
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact values are the point
mod tests {
    use super::*;

    /// The WAV writer produces byte for byte what hound writes for a 24-bit spec, mono and
    /// stereo, and hound reads the samples back.
    #[test]
    fn wav_bytes_match_hound() {
        for channels in [1_u16, 2] {
            let data: Vec<Vec<Sample>> = (0..channels)
                .map(|c| {
                    (0..20_001)
                        .map(|i| {
                            ((i * 37) % 2001 - 1000) as Sample / 1000.0 * Sample::from(c * 2) - 0.5
                        })
                        .collect()
                })
                .collect();
            let gain = 0.9;
            let spec = hound::WavSpec {
                channels,
                sample_rate: SAMPLE_RATE,
                bits_per_sample: 24,
                sample_format: hound::SampleFormat::Int,
            };
            let mut cursor = std::io::Cursor::new(Vec::new());
            let mut writer = hound::WavWriter::new(&mut cursor, spec).unwrap();
            for i in 0..20_001 {
                for ch in &data {
                    writer.write_sample(sample_24(ch[i], gain)).unwrap();
                }
            }
            writer.finalize().unwrap();
            let mut ours = Vec::new();
            write_wav_to(&mut ours, &data, gain).unwrap();
            assert_eq!(ours, cursor.into_inner(), "{channels} channels");
            let mut reader = hound::WavReader::new(std::io::Cursor::new(ours)).unwrap();
            let back: Vec<i32> = reader.samples::<i32>().map(Result::unwrap).collect();
            assert_eq!(back.len(), 20_001 * usize::from(channels));
            let decoded = decoded(&data[0], gain);
            assert_eq!(f64::from(back[0]) / FULL_SCALE_24, f64::from(decoded[0]));
        }
    }

    /// Quantising rounds to the nearest step and saturates at full scale.
    #[test]
    fn quantise_rounds_and_saturates() {
        let q: Vec<i32> = [0.0, 0.5 / FULL_SCALE_24, -1.4 / FULL_SCALE_24, 2.0, -2.0]
            .into_iter()
            .map(|x| sample_24(x as Sample, 1.0))
            .collect();
        assert_eq!(q, vec![0, 1, -1, 8_388_607, -8_388_608]);
    }

    /// Finishing scales the loudest sample to the requested level and leaves silence silent.
    #[test]
    fn finish_normalises_the_peak() {
        let mut part = vec![0.0; 48_000];
        part[24_000] = 0.25;
        part[30_000] = -0.5;
        let done = finish(vec![part], -6.0);
        let peak = done.channels[0]
            .iter()
            .fold(0.0_f64, |m, &x| m.max(f64::from(x).abs()))
            * done.gain;
        assert!((peak - db_to_amp(-6.0)).abs() < 1e-3, "{peak}");
        assert_eq!(finish(vec![vec![0.0; 100]], -3.0).gain, 0.0);
    }
}
