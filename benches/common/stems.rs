//! Stem generation shared by the benchmarks (included with `#[path]`): deterministic,
//! music-like 24-bit PCM WAV stems at 48 kHz.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// The rate every generated stem is written at.
pub const SAMPLE_RATE: u32 = 48_000;

/// A deterministic music-like signal: low-passed noise (per channel) plus two tones struck on a
/// stem-specific beat with an exponential decay.
struct Voice {
    rng: u64,
    lp: [f32; 2],
    lp_coef: f32,
    noise_gain: f32,
    osc: [(f64, f64); 2],
    rot: [(f64, f64); 2],
    tone_gain: f32,
    env: f32,
    decay: f32,
    beat: u32,
    until_beat: u32,
}

impl Voice {
    fn new(seed: u64) -> Self {
        let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut uniform = || {
            rng = xorshift(rng);
            (rng >> 11) as f64 / (1u64 << 53) as f64
        };
        // Cut-off between ~100 Hz and ~8 kHz; the noise gain keeps its RMS near 0.025.
        let lp_coef = (0.013 + 0.6 * uniform() * uniform()) as f32;
        let white_rms = 1.0 / 3f32.sqrt();
        let noise_gain = 0.025 / (white_rms * (lp_coef / (2.0 - lp_coef)).sqrt());
        let semitone = (uniform() * 36.0).floor();
        let f0 = 55.0 * 2f64.powf(semitone / 12.0);
        let rotation = |f: f64| {
            let w = std::f64::consts::TAU * f / f64::from(SAMPLE_RATE);
            (w.cos(), w.sin())
        };
        let beat = (f64::from(SAMPLE_RATE) * (0.3 + 0.5 * uniform())) as u32;
        let until_beat = 1 + (uniform() * f64::from(beat)) as u32;
        let decay = (-1.0 / (f64::from(SAMPLE_RATE) * (0.05 + 0.3 * uniform()))).exp() as f32;
        Self {
            rng,
            lp: [0.0; 2],
            lp_coef,
            noise_gain,
            osc: [(1.0, 0.0); 2],
            rot: [rotation(f0), rotation(f0 * 3.01)],
            tone_gain: 0.05,
            env: 0.0,
            decay,
            beat,
            until_beat,
        }
    }

    /// A white sample in [-1, 1).
    fn white(&mut self) -> f32 {
        self.rng = xorshift(self.rng);
        ((self.rng >> 40) as f32).mul_add(2.0 / 16_777_216.0, -1.0)
    }

    /// Appends `frames` frames of 24-bit little-endian PCM for `channels` channels to `out`.
    fn render(&mut self, frames: usize, channels: usize, out: &mut Vec<u8>) {
        for _ in 0..frames {
            self.until_beat -= 1;
            if self.until_beat == 0 {
                self.until_beat = self.beat;
                self.env = 1.0;
            }
            self.env *= self.decay;
            let mut tone = 0.0;
            for (k, ((c, s), (rc, rs))) in self.osc.iter_mut().zip(self.rot).enumerate() {
                (*c, *s) = (*c * rc - *s * rs, *c * rs + *s * rc);
                tone += *s as f32 / (k + 1) as f32;
            }
            let tone = tone * self.env * self.tone_gain;
            for ch in 0..channels {
                let white = self.white();
                self.lp[ch] += self.lp_coef * (white - self.lp[ch]);
                let x = self.lp[ch].mul_add(self.noise_gain, tone);
                let v = (x * 8_388_608.0).round().clamp(-8_388_608.0, 8_388_607.0) as i32;
                out.extend_from_slice(&v.to_le_bytes()[..3]);
            }
        }
        // Keep the oscillators on the unit circle (the recursion drifts slowly).
        for (c, s) in &mut self.osc {
            let norm = c.hypot(*s);
            *c /= norm;
            *s /= norm;
        }
    }
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// Writes a 24-bit PCM WAV file with a plain 44-byte header.
pub fn write_stem(path: &Path, channels: u16, frames: u64, seed: u64) -> io::Result<()> {
    const BLOCK: usize = 16_384;
    let block_align = u32::from(channels) * 3;
    let data_len = u32::try_from(frames * u64::from(block_align))
        .map_err(|_| io::Error::other("stem too long for a WAV file"))?;
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    w.write_all(b"RIFF")?;
    w.write_all(&(36 + data_len).to_le_bytes())?;
    w.write_all(b"WAVEfmt ")?;
    w.write_all(&16u32.to_le_bytes())?;
    w.write_all(&1u16.to_le_bytes())?; // PCM
    w.write_all(&channels.to_le_bytes())?;
    w.write_all(&SAMPLE_RATE.to_le_bytes())?;
    w.write_all(&(SAMPLE_RATE * block_align).to_le_bytes())?;
    w.write_all(&(block_align as u16).to_le_bytes())?;
    w.write_all(&24u16.to_le_bytes())?;
    w.write_all(b"data")?;
    w.write_all(&data_len.to_le_bytes())?;
    let mut voice = Voice::new(seed);
    let mut buf = Vec::with_capacity(BLOCK * block_align as usize);
    let mut left = frames;
    while left > 0 {
        let n = left.min(BLOCK as u64) as usize;
        buf.clear();
        voice.render(n, usize::from(channels), &mut buf);
        w.write_all(&buf)?;
        left -= n as u64;
    }
    w.flush()
}
