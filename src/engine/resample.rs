//! Sample-rate conversion of a [`Source`]. A [`Resampled`] is built off the audio thread (it
//! allocates every buffer it will use); `read` and `seek` then run on whichever thread mixes (the
//! audio thread for playback, the bounce thread for a bounce) and are realtime-safe.
//!
//! The conversion is rubato's synchronous FFT resampler, which works in blocks of a fixed number
//! of input and output frames. Output frame `t` is the input at time `t * in_rate / out_rate`:
//! the filter's delay is discarded inside `read`. Converted frames wait in a FIFO, so the output
//! depends only on the input and the seek position, never on how many frames each `read` asks
//! for. A seek starts the resampler one block early, so the output after a seek is bit-identical
//! to reading up to that point without seeking.
//!
//! Rate pairs whose FFT blocks would be too large for one audio callback (rates sharing only a
//! small common factor, like 44101 and 48000 Hz, or a ratio beyond about 16) use rubato's sinc
//! resampler instead. Its output is deterministic in the same way, but its timing is only
//! within about a frame (rubato rounds its delay, and a seek rounds to the nearest output frame;
//! 0.7 frames measured at 44101 -> 48000 Hz), and the output after a seek is not bit-identical
//! to reading through.

use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Resampler, SincInterpolationParameters, WindowFunction,
};

use super::health::StemHealth;
use super::source::{MAX_BLOCK, ReadMode, ReadStatus, Source, StemBuffer, StreamError};
use crate::units::frames_at;

/// FFT blocks hold at least this many input frames (the anti-aliasing filter's length).
const FFT_MIN_BLOCK: u64 = 1024;
/// The largest FFT block, in input or output frames, converted inside one `read`; rate pairs
/// needing larger blocks use the sinc resampler.
const FFT_MAX_BLOCK: u64 = 16_384;
/// The sinc resampler's filter length, in input frames.
const SINC_LEN: usize = 256;
/// Input frames the sinc resampler converts at a time.
const SINC_CHUNK: usize = 1024;

/// A rate pair that cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot resample {in_rate} Hz to {out_rate} Hz: {reason}")]
pub struct ResampleError {
    /// The rate the source was recorded at.
    pub in_rate: u32,
    /// The rate wanted.
    pub out_rate: u32,
    /// What went wrong.
    pub reason: String,
}

/// How a rate pair is converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// FFT resampling in blocks of `block_in` input and `block_out` output frames (both even, so
    /// the filter's delay, half a block, is a whole number of frames on both sides).
    Fft { block_in: u64, block_out: u64 },
    /// Sinc resampling.
    Sinc,
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Plan {
    fn new(in_rate: u32, out_rate: u32) -> Result<Self, ResampleError> {
        if in_rate == 0 || out_rate == 0 {
            return Err(ResampleError {
                in_rate,
                out_rate,
                reason: "a sample rate must be above 0 Hz".into(),
            });
        }
        let (in_rate, out_rate) = (u64::from(in_rate), u64::from(out_rate));
        let common = gcd(in_rate, out_rate);
        let (min_in, min_out) = (in_rate / common, out_rate / common);
        let mut chunks = FFT_MIN_BLOCK.div_ceil(min_in);
        chunks += chunks % 2;
        let (block_in, block_out) = (chunks * min_in, chunks * min_out);
        if block_in <= FFT_MAX_BLOCK && block_out <= FFT_MAX_BLOCK {
            Ok(Plan::Fft {
                block_in,
                block_out,
            })
        } else {
            Ok(Plan::Sinc)
        }
    }

    /// Where the inner source starts, and how many output frames to discard, for the output to
    /// resume at output frame `frame`. `delay` is the sinc resampler's delay (unused for FFT).
    fn start(self, frame: u64, in_rate: u32, out_rate: u32, delay: u64) -> (u64, u64) {
        match self {
            Plan::Fft {
                block_in,
                block_out,
            } => {
                // The raw output frame holding `frame`, and the block before its block: the block
                // before only fills the overlap, so its own output is discarded.
                let raw = frame + block_out / 2;
                let first = (raw / block_out).saturating_sub(1);
                (first * block_in, raw - first * block_out)
            }
            Plan::Sinc => {
                let (t, i, o) = (u128::from(frame), u128::from(in_rate), u128::from(out_rate));
                let source = ((t * i / o) as u64).saturating_sub(SINC_LEN as u64);
                // Output frames from the source frame to `frame`, rounded to the nearest.
                let lead = (t * i - u128::from(source) * o + i / 2) / i;
                (source, lead as u64 + delay)
            }
        }
    }
}

/// A [`Source`] recorded at one rate, played at another.
pub struct Resampled<S: Source> {
    inner: S,
    resampler: Box<dyn Resampler<f32>>,
    plan: Plan,
    /// The sinc resampler's delay in output frames (0 for FFT, whose delay is in the plan).
    delay: u64,
    in_rate: u32,
    out_rate: u32,
    channels: usize,
    len: u64,
    /// The output frame the next `read` starts at.
    pos: u64,
    /// What the inner source reads into.
    scratch: StemBuffer,
    /// One block of input, per channel.
    input: Vec<Vec<f32>>,
    /// The last converted block, per channel; `output[fifo_start..fifo_end]` is still to play.
    output: Vec<Vec<f32>>,
    fifo_start: usize,
    fifo_end: usize,
    /// Converted frames still to drop (the filter's delay and the seek lead-in).
    discard: u64,
    /// The inner source failed (or conversion did); silence until the next seek.
    failed: bool,
}

impl<S: Source> Resampled<S> {
    /// Plays `inner`, recorded at `in_rate`, at `out_rate`, starting at output frame
    /// `start_frame` (it seeks `inner` to [`Self::source_frame`] of that).
    ///
    /// Not realtime-safe (allocates every buffer `read` and `seek` use).
    pub fn new(
        inner: S,
        in_rate: u32,
        out_rate: u32,
        start_frame: u64,
    ) -> Result<Self, ResampleError> {
        let plan = Plan::new(in_rate, out_rate)?;
        let channels = inner.channels();
        let err = |reason: String| ResampleError {
            in_rate,
            out_rate,
            reason,
        };
        let resampler: Box<dyn Resampler<f32>> = match plan {
            Plan::Fft {
                block_in,
                block_out,
            } => {
                let fft = Fft::<f32>::new_custom(
                    in_rate as usize,
                    out_rate as usize,
                    block_in as usize,
                    1,
                    channels,
                    WindowFunction::BlackmanHarris2,
                    FixedSync::Both,
                )
                .map_err(|e| err(e.to_string()))?;
                let sizes = (
                    fft.input_frames_next() as u64,
                    fft.output_frames_next() as u64,
                    fft.output_delay() as u64,
                );
                if sizes != (block_in, block_out, block_out / 2) {
                    return Err(err(format!(
                        "the FFT resampler chose blocks of {sizes:?}, not ({block_in}, \
                         {block_out}, {})",
                        block_out / 2
                    )));
                }
                Box::new(fft)
            }
            Plan::Sinc => Box::new(
                Async::<f32>::new_sinc(
                    f64::from(out_rate) / f64::from(in_rate),
                    1.0,
                    &SincInterpolationParameters::new(SINC_LEN, WindowFunction::BlackmanHarris2)
                        .oversampling_factor(256),
                    SINC_CHUNK,
                    channels,
                    FixedAsync::Input,
                )
                .map_err(|e| err(e.to_string()))?,
            ),
        };
        let delay = match plan {
            Plan::Fft { .. } => 0,
            Plan::Sinc => resampler.output_delay() as u64,
        };
        let len = frames_at(inner.len_frames(), in_rate, out_rate);
        let mut this = Self {
            input: vec![vec![0.0; resampler.input_frames_max()]; channels],
            output: vec![vec![0.0; resampler.output_frames_max()]; channels],
            inner,
            resampler,
            plan,
            delay,
            in_rate,
            out_rate,
            channels,
            len,
            pos: 0,
            scratch: StemBuffer::new(channels),
            fifo_start: 0,
            fifo_end: 0,
            discard: 0,
            failed: false,
        };
        this.seek(start_frame);
        Ok(this)
    }

    /// The frame of the inner source (at `in_rate`) that a seek to output frame `frame` (at
    /// `out_rate`) reads from first: where a stream should cache to make that seek instant.
    /// It is a little before `frame * in_rate / out_rate` (the resampler starts early).
    ///
    /// Realtime-safe for valid rates (an error allocates its message).
    pub fn source_frame(in_rate: u32, out_rate: u32, frame: u64) -> Result<u64, ResampleError> {
        Ok(Plan::new(in_rate, out_rate)?
            .start(frame, in_rate, out_rate, 0)
            .0)
    }

    /// The source being converted.
    ///
    /// Realtime-safe.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The rate the source was recorded at.
    ///
    /// Realtime-safe.
    pub fn in_rate(&self) -> u32 {
        self.in_rate
    }

    /// The rate the output plays at.
    ///
    /// Realtime-safe.
    pub fn out_rate(&self) -> u32 {
        self.out_rate
    }

    /// Reads one block from the inner source and converts it into the FIFO. False when the
    /// inner source or the conversion failed.
    fn refill(&mut self, mode: ReadMode, status: &mut ReadStatus) -> bool {
        let need = self.resampler.input_frames_next();
        let mut filled = 0;
        while filled < need {
            let n = (need - filled).min(MAX_BLOCK);
            let read = self.inner.read(n, &mut self.scratch, mode);
            status.underrun |= read.underrun;
            if read.failed {
                return false;
            }
            for (ch, input) in self.input.iter_mut().enumerate() {
                input[filled..filled + n].copy_from_slice(self.scratch.channel(ch, n));
            }
            filled += n;
        }
        let out_frames = self.output[0].len();
        let (Ok(input), Ok(mut output)) = (
            SequentialSliceOfVecs::new(&self.input, self.channels, need),
            SequentialSliceOfVecs::new_mut(&mut self.output, self.channels, out_frames),
        ) else {
            return false;
        };
        match self
            .resampler
            .process_into_buffer(&input, &mut output, None)
        {
            Ok((_, produced)) => {
                self.fifo_start = 0;
                self.fifo_end = produced;
                true
            }
            Err(_) => false,
        }
    }
}

impl<S: Source> Source for Resampled<S> {
    fn channels(&self) -> usize {
        self.channels
    }

    fn health(&self) -> Option<&std::sync::Arc<StemHealth>> {
        self.inner.health()
    }

    /// Caches the inner source where a seek to each frame puts it.
    fn recache(&mut self, frames: &[u64]) {
        let mut inner = [0u64; super::source::MAX_CACHED];
        let n = frames.len().min(inner.len());
        for (to, &frame) in inner.iter_mut().zip(&frames[..n]) {
            *to = self
                .plan
                .start(frame, self.in_rate, self.out_rate, self.delay)
                .0;
        }
        self.inner.recache(&inner[..n]);
    }

    /// `ceil(inner length * out_rate / in_rate)`.
    fn len_frames(&self) -> u64 {
        self.len
    }

    /// Resets the resampler and seeks the inner source to [`Resampled::source_frame`]; the
    /// frames converted before `frame` are discarded by the next reads (bounded: at most two FFT
    /// blocks, or the sinc filter's length and delay).
    ///
    /// Realtime-safe.
    fn seek(&mut self, frame: u64) {
        self.pos = frame;
        self.resampler.reset();
        self.fifo_start = 0;
        self.fifo_end = 0;
        self.failed = false;
        let (source, discard) = self
            .plan
            .start(frame, self.in_rate, self.out_rate, self.delay);
        self.inner.seek(source);
        self.discard = discard;
    }

    /// Past the end it plays silence and reports `ended`; the inner source's `underrun` and
    /// `failed` pass through (an underrun is reported by the read that fetched the block, up to
    /// a block before it is heard). `frames` counts the frames before the end.
    ///
    /// Realtime-safe in [`ReadMode::Realtime`].
    fn read(&mut self, frames: usize, out: &mut StemBuffer, mode: ReadMode) -> ReadStatus {
        let mut status = ReadStatus::default();
        let wanted = if self.failed {
            0
        } else {
            self.len.saturating_sub(self.pos).min(frames as u64) as usize
        };
        let mut done = 0;
        while done < wanted {
            let available = self.fifo_end - self.fifo_start;
            if available == 0 {
                if !self.refill(mode, &mut status) {
                    self.failed = true;
                    break;
                }
            } else if self.discard > 0 {
                let n = self.discard.min(available as u64);
                self.fifo_start += n as usize;
                self.discard -= n;
            } else {
                let n = available.min(wanted - done);
                for ch in 0..self.channels {
                    out.channel_mut(ch, frames)[done..done + n]
                        .copy_from_slice(&self.output[ch][self.fifo_start..self.fifo_start + n]);
                }
                self.fifo_start += n;
                done += n;
            }
        }
        if done < frames {
            out.silence(done, frames - done);
        }
        self.pos += frames as u64;
        status.frames = done;
        status.failed = self.failed;
        status.ended = self.pos >= self.len;
        status
    }

    fn wait_ready(&mut self) -> Result<(), StreamError> {
        self.inner.wait_ready()
    }

    fn is_ready(&mut self) -> bool {
        self.inner.is_ready()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::source::MemorySource;
    use proptest::prelude::*;

    fn sine(frames: usize, freq: f64, rate: u32, amp: f64) -> Vec<f32> {
        (0..frames)
            .map(|i| {
                (amp * (std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin()) as f32
            })
            .collect()
    }

    /// Reads `frames` frames of `source` in blocks of the given sizes (cycled, at most
    /// [`MAX_BLOCK`]), per channel.
    fn read_all(source: &mut impl Source, blocks: &[usize], frames: usize) -> Vec<Vec<f32>> {
        let mut buf = StemBuffer::new(source.channels());
        let mut out = vec![Vec::with_capacity(frames); source.channels()];
        let mut done = 0;
        for &n in blocks.iter().cycle() {
            if done >= frames {
                break;
            }
            let n = n.min(frames - done).min(MAX_BLOCK);
            source.read(n, &mut buf, ReadMode::Blocking);
            for (ch, side) in out.iter_mut().enumerate() {
                side.extend_from_slice(buf.channel(ch, n));
            }
            done += n;
        }
        out
    }

    fn resampled(data: Vec<Vec<f32>>, in_rate: u32, out_rate: u32) -> Resampled<MemorySource> {
        Resampled::new(MemorySource::new(data), in_rate, out_rate, 0).unwrap()
    }

    /// Least-squares fit of `amp * sin(w t + phase)` at a known frequency over `range`:
    /// (amplitude, phase, largest residual).
    fn fit(signal: &[f32], freq: f64, rate: u32, range: std::ops::Range<usize>) -> (f64, f64, f64) {
        let omega = std::f64::consts::TAU * freq / f64::from(rate);
        let (mut ss, mut sc, mut cc, mut vs, mut vc) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for t in range.clone() {
            let (sin, cos) = (omega * t as f64).sin_cos();
            let value = f64::from(signal[t]);
            ss += sin * sin;
            sc += sin * cos;
            cc += cos * cos;
            vs += value * sin;
            vc += value * cos;
        }
        let det = ss * cc - sc * sc;
        let sin_part = (vs * cc - vc * sc) / det;
        let cos_part = (vc * ss - vs * sc) / det;
        let residual = range
            .map(|t| {
                let (sin, cos) = (omega * t as f64).sin_cos();
                (f64::from(signal[t]) - sin_part * sin - cos_part * cos).abs()
            })
            .fold(0.0, f64::max);
        (sin_part.hypot(cos_part), cos_part.atan2(sin_part), residual)
    }

    /// Checks a converted 1 kHz sine of amplitude 0.5: level within 0.1 dB, timing within 0.01
    /// output frames of `t * in_rate / out_rate`, and nothing but the sine (so its frequency is
    /// kept) away from the edges.
    fn assert_sine_kept(in_rate: u32, out_rate: u32) {
        let in_frames = in_rate as usize; // one second
        let mut r = resampled(
            vec![sine(in_frames, 1000.0, in_rate, 0.5)],
            in_rate,
            out_rate,
        );
        let out_frames = r.len_frames() as usize;
        assert_eq!(out_frames, out_rate as usize);
        let out = read_all(&mut r, &[4096], out_frames);
        let edge = out_rate as usize / 10;
        let (amp, phase, residual) = fit(&out[0], 1000.0, out_rate, edge..out_frames - edge);
        let db = 20.0 * (amp / 0.5).log10();
        let shift = phase / (std::f64::consts::TAU * 1000.0 / f64::from(out_rate));
        eprintln!(
            "{in_rate} -> {out_rate}: level {db:+.5} dB, shift {shift:+.5} frames, residual {residual:.2e}"
        );
        assert!(db.abs() < 0.1, "level off by {db} dB");
        assert!(shift.abs() < 0.01, "timing off by {shift} frames");
        assert!(residual < 1e-5, "residual {residual}");
    }

    /// A 1 kHz sine at 44.1 kHz played at 48 kHz keeps its frequency, level (0.1 dB) and timing.
    #[test]
    fn sine_44k1_to_48k_keeps_frequency_and_level() {
        assert_sine_kept(44_100, 48_000);
    }

    /// A 1 kHz sine at 48 kHz played at 44.1 kHz keeps its frequency, level (0.1 dB) and timing.
    #[test]
    fn sine_48k_to_44k1_keeps_frequency_and_level() {
        assert_sine_kept(48_000, 44_100);
    }

    /// Common rate pairs take the FFT path with even blocks; rates sharing only a small factor
    /// and extreme ratios take the sinc path.
    #[test]
    fn plan_picks_fft_for_common_rates() {
        assert_eq!(
            Plan::new(44_100, 48_000),
            Ok(Plan::Fft {
                block_in: 1176,
                block_out: 1280
            })
        );
        for (a, b) in [
            (22_050, 96_000),
            (8_000, 44_100),
            (192_000, 44_100),
            (32_000, 48_000),
        ] {
            assert!(
                matches!(Plan::new(a, b), Ok(Plan::Fft { .. })),
                "{a} -> {b}"
            );
            assert!(
                matches!(Plan::new(b, a), Ok(Plan::Fft { .. })),
                "{b} -> {a}"
            );
        }
        assert_eq!(Plan::new(44_101, 48_000), Ok(Plan::Sinc));
        assert_eq!(Plan::new(8_000, 384_000), Ok(Plan::Sinc));
        assert!(Plan::new(0, 48_000).is_err());
    }

    /// The sinc path (an odd rate pair) also keeps a sine's level and frequency, and its
    /// timing within a frame.
    #[test]
    fn sinc_path_keeps_a_sine() {
        let (in_rate, out_rate) = (44_101, 48_000);
        let mut r = resampled(vec![sine(44_101, 1000.0, in_rate, 0.5)], in_rate, out_rate);
        let out = read_all(&mut r, &[1000], 48_000);
        let (amp, phase, residual) = fit(&out[0], 1000.0, out_rate, 4800..43_200);
        let shift = phase / (std::f64::consts::TAU * 1000.0 / f64::from(out_rate));
        let db = 20.0 * (amp / 0.5).log10();
        eprintln!(
            "sinc {in_rate} -> {out_rate}: level {db:+.5} dB, shift {shift:+.5} frames, residual {residual:.2e}"
        );
        assert!(db.abs() < 0.1, "level off by {db} dB");
        assert!(shift.abs() < 1.0, "timing off by {shift} frames");
        assert!(residual < 0.02, "residual {residual}");
    }

    /// Length is `ceil(inner * out / in)`; past it the output is silence with `ended`, and
    /// `frames` counts only the frames before the end.
    #[test]
    fn length_rounds_up_and_the_end_is_silent() {
        let mut r = resampled(vec![vec![0.25; 44_101]], 44_100, 48_000);
        assert_eq!(r.len_frames(), 48_002); // 44101 * 48000 / 44100 = 48001.09
        let mut buf = StemBuffer::new(1);
        r.seek(48_000);
        let status = r.read(10, &mut buf, ReadMode::Blocking);
        assert_eq!((status.frames, status.ended), (2, true));
        assert!(buf.channel(0, 10)[2..].iter().all(|x| *x == 0.0));
        assert!(buf.channel(0, 2)[0] > 0.1, "the last frames carry the stem");
        let status = r.read(10, &mut buf, ReadMode::Blocking);
        assert_eq!((status.frames, status.ended), (0, true));
        assert!(buf.channel(0, 10).iter().all(|x| *x == 0.0));
    }

    /// A source that records seeks and can be told to underrun or fail.
    struct Probe {
        inner: MemorySource,
        seeks: Vec<u64>,
        underrun: bool,
        failed: bool,
    }

    impl Source for Probe {
        fn channels(&self) -> usize {
            self.inner.channels()
        }
        fn len_frames(&self) -> u64 {
            self.inner.len_frames()
        }
        fn seek(&mut self, frame: u64) {
            self.seeks.push(frame);
            self.inner.seek(frame);
        }
        fn read(&mut self, frames: usize, out: &mut StemBuffer, mode: ReadMode) -> ReadStatus {
            let mut status = self.inner.read(frames, out, mode);
            status.underrun = self.underrun;
            status.failed = self.failed;
            status
        }
    }

    /// A seek moves the inner source to exactly `source_frame`, a little before the matching
    /// input time, so caching there makes the seek instant; both paths.
    #[test]
    fn seek_positions_the_inner_source_at_source_frame() {
        for (in_rate, out_rate) in [(44_100, 48_000), (48_000, 44_100), (44_101, 48_000)] {
            let probe = Probe {
                inner: MemorySource::new(vec![vec![0.0; 100_000]]),
                seeks: Vec::new(),
                underrun: false,
                failed: false,
            };
            let mut r = Resampled::new(probe, in_rate, out_rate, 5_000).unwrap();
            r.seek(60_000);
            let want = [5_000u64, 60_000]
                .map(|t| Resampled::<MemorySource>::source_frame(in_rate, out_rate, t).unwrap());
            assert_eq!(r.inner().seeks, want, "{in_rate} -> {out_rate}");
            for (t, s) in [5_000u64, 60_000].into_iter().zip(want) {
                let exact = t * u64::from(in_rate) / u64::from(out_rate);
                assert!(s <= exact && exact - s <= 2 * 1280, "{t}: {s} vs {exact}");
            }
        }
    }

    /// The inner source's underrun and failure flags pass through; a failure plays silence
    /// until the next seek.
    #[test]
    fn underrun_and_failure_pass_through() {
        let probe = Probe {
            inner: MemorySource::new(vec![vec![0.5; 100_000]]),
            seeks: Vec::new(),
            underrun: true,
            failed: false,
        };
        let mut r = Resampled::new(probe, 44_100, 48_000, 0).unwrap();
        let mut buf = StemBuffer::new(1);
        let status = r.read(256, &mut buf, ReadMode::Realtime);
        assert!(status.underrun && !status.failed);
        r.inner.underrun = false;
        r.inner.failed = true;
        let status = r.read(8192, &mut buf, ReadMode::Realtime);
        assert!(status.failed && !status.underrun);
        let status = r.read(64, &mut buf, ReadMode::Realtime);
        assert!(status.failed);
        assert!(buf.channel(0, 64).iter().all(|x| *x == 0.0));
        r.inner.failed = false;
        r.seek(10_000);
        let status = r.read(64, &mut buf, ReadMode::Realtime);
        assert!(!status.failed && status.frames == 64);
        assert!(buf.channel(0, 64).iter().all(|x| (x - 0.5).abs() < 1e-3));
    }

    fn noise(frames: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761) | 1;
        (0..frames)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state as f32 / u32::MAX as f32) - 0.5
            })
            .collect()
    }

    const RATE_PAIRS: [(u32, u32); 3] = [(44_100, 48_000), (48_000, 44_100), (44_101, 48_000)];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// The output does not depend on how many frames each read asks for (1..=8192), on
        /// either path, mono and stereo.
        #[test]
        fn block_size_does_not_change_output(
            pair in 0usize..3,
            stereo in any::<bool>(),
            blocks in prop::collection::vec(1usize..=8192, 1..16),
        ) {
            let (in_rate, out_rate) = RATE_PAIRS[pair];
            let channels = usize::from(stereo) + 1;
            let data: Vec<Vec<f32>> = (0..channels).map(|c| noise(30_000, c as u32 + 1)).collect();
            let mut whole = resampled(data.clone(), in_rate, out_rate);
            let frames = whole.len_frames() as usize + 100;
            let want = read_all(&mut whole, &[frames], frames);
            let mut pieces = resampled(data, in_rate, out_rate);
            let got = read_all(&mut pieces, &blocks, frames);
            prop_assert!(got == want);
        }

        /// After reading anywhere, a seek gives exactly what a fresh resampler started at that
        /// frame gives; on the FFT path that is also exactly what reading through gives.
        #[test]
        fn seek_equals_a_fresh_resampler(
            pair in 0usize..3,
            first in 0usize..20_000,
            target in 0u64..34_000,
        ) {
            let (in_rate, out_rate) = RATE_PAIRS[pair];
            let data = vec![noise(30_000, 7), noise(30_000, 8)];
            let mut used = resampled(data.clone(), in_rate, out_rate);
            read_all(&mut used, &[977], first);
            used.seek(target);
            let got = read_all(&mut used, &[4096], 3_000);
            let mut fresh = Resampled::new(MemorySource::new(data.clone()), in_rate, out_rate, target).unwrap();
            prop_assert!(got == read_all(&mut fresh, &[3_000], 3_000));
            if matches!(used.plan, Plan::Fft { .. }) {
                let mut through = resampled(data, in_rate, out_rate);
                let all = read_all(&mut through, &[8192], target as usize + 3_000);
                for (side, want) in got.iter().zip(&all) {
                    prop_assert!(side[..] == want[target as usize..]);
                }
            }
        }
    }
}
