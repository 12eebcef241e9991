//! Level meters. Written on the audio thread (or the bounce thread), read on the UI thread.
//!
//! The audio thread measures each block and folds it into a [`MeterCell`] as "max since last
//! read": the highest sample peak, the highest RMS, and the number of samples at or above full
//! scale. The UI takes the cell's contents (resetting it) at its own rate and does hold and decay
//! itself, per second, not per frame. Cells are atomics only: no locks, no allocation.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The RMS detector's time constant: 300 ms, the usual integration time of an RMS meter.
pub const RMS_SECONDS: f64 = 0.300;

/// What a meter saw since it was last read.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MeterReading {
    /// Highest absolute sample value (linear, 1.0 = full scale).
    pub peak: f32,
    /// Highest RMS level reached (linear, 300 ms integration).
    pub rms: f32,
    /// Samples at or above full scale.
    pub clips: u64,
}

impl MeterReading {
    /// The peak in dBFS (`-inf` for silence).
    pub fn peak_dbfs(&self) -> f64 {
        20.0 * f64::from(self.peak).log10()
    }

    /// The RMS level in dBFS (`-inf` for silence).
    pub fn rms_dbfs(&self) -> f64 {
        20.0 * f64::from(self.rms).log10()
    }

    /// Folds another reading into this one (max of levels, sum of clips).
    pub fn merge(&mut self, other: MeterReading) {
        self.peak = self.peak.max(other.peak);
        self.rms = self.rms.max(other.rms);
        self.clips += other.clips;
    }
}

/// One meter's "max since last read" state, shared between the audio and UI threads.
#[derive(Debug, Default)]
pub struct MeterCell {
    peak: AtomicU32,
    rms: AtomicU32,
    clips: AtomicU64,
}

/// Raises an atomic f32 (stored as bits) to at least `value`. Non-negative finite floats order
/// like their bit patterns, so an integer max is a float max.
fn raise(cell: &AtomicU32, value: f32) {
    if value > 0.0 {
        let bits = if value.is_finite() {
            value.to_bits()
        } else {
            f32::MAX.to_bits()
        };
        cell.fetch_max(bits, Ordering::Relaxed);
    }
}

impl MeterCell {
    /// Folds one block's measurements into the cell.
    ///
    /// Realtime-safe.
    pub fn publish(&self, peak: f32, rms: f32, clips: u64) {
        raise(&self.peak, peak);
        raise(&self.rms, rms);
        if clips > 0 {
            self.clips.fetch_add(clips, Ordering::Relaxed);
        }
    }

    /// Everything since the last `take`, and starts afresh.
    ///
    /// Realtime-safe (the UI calls it; it never blocks the audio thread).
    pub fn take(&self) -> MeterReading {
        MeterReading {
            peak: f32::from_bits(self.peak.swap(0, Ordering::Relaxed)),
            rms: f32::from_bits(self.rms.swap(0, Ordering::Relaxed)),
            clips: self.clips.swap(0, Ordering::Relaxed),
        }
    }
}

/// Every strip's meter and the master's.
#[derive(Debug)]
pub struct MeterBank {
    strips: Box<[MeterCell]>,
    master: MeterCell,
}

impl MeterBank {
    /// Meters for `strips` strips and the master. Not realtime-safe (allocates).
    pub fn new(strips: usize) -> Self {
        Self {
            strips: (0..strips).map(|_| MeterCell::default()).collect(),
            master: MeterCell::default(),
        }
    }

    /// The number of strip meters.
    pub fn strip_count(&self) -> usize {
        self.strips.len()
    }

    /// A strip's meter (`None` past the last strip).
    ///
    /// Realtime-safe.
    pub fn strip(&self, index: usize) -> Option<&MeterCell> {
        self.strips.get(index)
    }

    /// The master meter.
    ///
    /// Realtime-safe.
    pub fn master(&self) -> &MeterCell {
        &self.master
    }
}

/// Block measurements of one signal on the audio thread: sample peak, a 300 ms RMS detector and
/// a clip count, published to a [`MeterCell`] after each block.
#[derive(Debug, Clone, Copy)]
pub struct BlockMeter {
    peak: f32,
    sum_squares: f64,
    frames: u64,
    clips: u64,
    mean_square: f64,
    tau_frames: f64,
}

impl BlockMeter {
    /// A detector for a signal at `sample_rate`.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            peak: 0.0,
            sum_squares: 0.0,
            frames: 0,
            clips: 0,
            mean_square: 0.0,
            tau_frames: RMS_SECONDS * f64::from(sample_rate.max(1)),
        }
    }

    /// Measures a block of stereo samples (both channels count towards peak and clips; RMS is
    /// the mean of the two channels' mean squares).
    ///
    /// Realtime-safe.
    pub fn measure(&mut self, left: &[f32], right: &[f32]) {
        let mut peak = self.peak;
        let mut sum = 0.0f64;
        let mut clips = 0u64;
        for (&l, &r) in left.iter().zip(right) {
            let (al, ar) = (l.abs(), r.abs());
            peak = peak.max(al).max(ar);
            sum += f64::from(l * l) + f64::from(r * r);
            clips += u64::from(al >= 1.0) + u64::from(ar >= 1.0);
        }
        self.add(peak, sum * 0.5, left.len() as u64, clips);
    }

    /// Adds a block measured elsewhere: its peak, the sum of its per-frame mean squares, its
    /// length and its clipped samples.
    ///
    /// Realtime-safe.
    pub fn add(&mut self, peak: f32, sum_squares: f64, frames: u64, clips: u64) {
        self.peak = self.peak.max(peak);
        self.sum_squares += sum_squares;
        self.frames += frames;
        self.clips += clips;
    }

    /// Folds the blocks measured since the last call into the RMS detector and publishes them.
    ///
    /// Realtime-safe.
    pub fn publish(&mut self, cell: &MeterCell) {
        if self.frames == 0 {
            return;
        }
        let n = self.frames as f64;
        let block_ms = self.sum_squares / n;
        let keep = (-n / self.tau_frames).exp();
        self.mean_square = keep * self.mean_square + (1.0 - keep) * block_ms;
        cell.publish(self.peak, self.mean_square.sqrt() as f32, self.clips);
        self.peak = 0.0;
        self.sum_squares = 0.0;
        self.frames = 0;
        self.clips = 0;
    }

    /// Forgets the RMS history (after a seek: the old material is gone).
    ///
    /// Realtime-safe.
    pub fn reset(&mut self) {
        self.mean_square = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell keeps the maximum of everything published until it is read, then starts from zero.
    #[test]
    fn cell_is_max_since_last_read() {
        let cell = MeterCell::default();
        cell.publish(0.5, 0.1, 0);
        cell.publish(0.25, 0.3, 2);
        cell.publish(0.75, 0.2, 1);
        let r = cell.take();
        assert_eq!((r.peak, r.rms, r.clips), (0.75, 0.3, 3));
        assert_eq!(cell.take(), MeterReading::default());
    }

    /// A block meter reports the sample peak, counts samples at or above full scale, and its
    /// RMS of a steady sine settles at amplitude / sqrt(2).
    #[test]
    fn block_meter_peak_clips_and_rms() {
        let rate = 48_000;
        let mut meter = BlockMeter::new(rate);
        let cell = MeterCell::default();
        let sine: Vec<f32> = (0..rate as usize * 3)
            .map(|i| 0.5 * (i as f32 * 2.0 * std::f32::consts::PI * 1000.0 / rate as f32).sin())
            .collect();
        for block in sine.chunks(256) {
            meter.measure(block, block);
            meter.publish(&cell);
        }
        let r = cell.take();
        assert!((r.peak - 0.5).abs() < 1e-3, "peak {}", r.peak);
        assert!(
            (r.rms_dbfs() - (-9.03)).abs() < 0.05,
            "rms {} dBFS",
            r.rms_dbfs()
        );
        assert_eq!(r.clips, 0);

        meter.measure(&[1.0, -1.5, 0.2], &[0.9, 0.99, -1.0]);
        meter.publish(&cell);
        let r = cell.take();
        assert_eq!(r.clips, 3);
        assert_eq!(r.peak, 1.5);
    }

    /// The RMS detector rises with a 300 ms time constant: after 300 ms of a steady signal it
    /// holds about 63% of the final mean square.
    #[test]
    fn rms_time_constant() {
        let rate = 1000;
        let mut meter = BlockMeter::new(rate);
        let cell = MeterCell::default();
        let ones = vec![1.0f32; 10];
        for _ in 0..30 {
            meter.measure(&ones, &ones);
            meter.publish(&cell);
        }
        let ms = f64::from(cell.take().rms).powi(2);
        assert!(
            (ms - (1.0 - (-1.0f64).exp())).abs() < 1e-3,
            "mean square {ms}"
        );
    }
}
