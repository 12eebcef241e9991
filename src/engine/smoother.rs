//! Parameter smoothing. Runs on whichever thread mixes (audio thread or bounce thread).
//!
//! Every continuous gain in earmix glides **linearly in amplitude** to a new target over a fixed
//! time, [`GAIN_RAMP_SECONDS`] (10 ms: 480 samples at 48 kHz). A new target that arrives mid-glide
//! starts a fresh glide from the value reached so far, so a fast series of changes (a held key)
//! is a continuous curve with no step larger than `|target - start| / ramp_frames` per sample.
//! The last sample of a glide is the target exactly, so unity stays bit-exact and a muted channel
//! reaches exact zero. The value is a function of the sample count only, never of block sizes,
//! which keeps realtime playback and offline bounce sample-identical.

/// How long a gain, pan or mute change takes to reach its target.
pub const GAIN_RAMP_SECONDS: f64 = 0.010;

/// The number of frames a gain glide lasts at a sample rate (at least 1).
pub fn ramp_frames(sample_rate: u32) -> u32 {
    ((f64::from(sample_rate) * GAIN_RAMP_SECONDS).round() as u32).max(1)
}

/// A value that glides linearly to its target over a fixed number of frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Smoother {
    start: f32,
    target: f32,
    pos: u32,
    /// The length of the glide under way.
    len: u32,
    /// The length of a glide started by [`Smoother::set_target`].
    ramp: u32,
}

impl Smoother {
    /// A smoother resting at `value`, gliding over `len` frames on each change.
    pub fn new(value: f32, len: u32) -> Self {
        Self {
            start: value,
            target: value,
            pos: len.max(1),
            len: len.max(1),
            ramp: len.max(1),
        }
    }

    /// The value the glide has reached (the next sample continues from here).
    ///
    /// Realtime-safe.
    #[inline]
    pub fn current(&self) -> f32 {
        if self.pos >= self.len {
            self.target
        } else {
            self.start + (self.target - self.start) * (self.pos as f32 / self.len as f32)
        }
    }

    /// The value being glided to.
    ///
    /// Realtime-safe.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// Starts a glide from the current value to `target`. Setting the same target again does
    /// nothing (a repeated command does not restart a glide).
    ///
    /// Realtime-safe.
    pub fn set_target(&mut self, target: f32) {
        if target == self.target {
            return;
        }
        self.start = self.current();
        self.target = target;
        self.pos = 0;
        self.len = self.ramp;
    }

    /// Starts a glide from the current value to `target` over `len` frames (0: a jump). Unlike
    /// [`Smoother::set_target`], a glide under way starts afresh even towards the same target;
    /// resting at `target` already, nothing happens.
    ///
    /// Realtime-safe.
    pub fn set_target_over(&mut self, target: f32, len: u32) {
        if target == self.target && self.is_settled() {
            return;
        }
        if len == 0 {
            self.set_immediate(target);
            return;
        }
        self.start = self.current();
        self.target = target;
        self.pos = 0;
        self.len = len;
    }

    /// Places the smoother `pos` frames into a glide of `len` frames from `start` to `target`
    /// (where playback lands after a jump into the middle of a glide).
    ///
    /// Realtime-safe.
    pub fn set_glide(&mut self, start: f32, target: f32, len: u32, pos: u32) {
        self.start = start;
        self.target = target;
        self.len = len.max(1);
        self.pos = pos.min(self.len);
    }

    /// Jumps to `value` with no glide (used when playback starts or jumps).
    ///
    /// Realtime-safe.
    pub fn set_immediate(&mut self, value: f32) {
        self.start = value;
        self.target = value;
        self.len = self.ramp;
        self.pos = self.len;
    }

    /// True when the value has reached its target.
    ///
    /// Realtime-safe.
    #[inline]
    pub fn is_settled(&self) -> bool {
        self.pos >= self.len
    }

    /// The length of a glide started by [`Smoother::set_target`].
    pub fn ramp_len(&self) -> u32 {
        self.ramp
    }

    /// Frames left until the glide reaches its target (0 when settled).
    ///
    /// Realtime-safe.
    pub fn remaining(&self) -> u32 {
        self.len.saturating_sub(self.pos)
    }

    /// The value for the next sample, advancing the glide by one frame.
    ///
    /// Realtime-safe.
    #[inline]
    pub fn next_value(&mut self) -> f32 {
        if self.pos >= self.len {
            return self.target;
        }
        self.pos += 1;
        self.current()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A glide ends exactly on its target after `len` samples and rises monotonically.
    #[test]
    fn glide_reaches_target_exactly() {
        let mut s = Smoother::new(0.0, 480);
        s.set_target(1.0);
        let values: Vec<f32> = (0..480).map(|_| s.next_value()).collect();
        assert_eq!(values[479], 1.0);
        assert!(values.windows(2).all(|w| w[1] > w[0]));
        assert!(s.is_settled());
        assert_eq!(s.next_value(), 1.0);
    }

    /// Retargeting mid-glide continues from the reached value, without a jump.
    #[test]
    fn retarget_mid_glide_is_continuous() {
        let mut s = Smoother::new(0.0, 100);
        s.set_target(1.0);
        for _ in 0..50 {
            s.next_value();
        }
        let before = s.current();
        s.set_target(0.0);
        let first = s.next_value();
        assert!((before - 0.5).abs() < 1e-6);
        assert!((first - before).abs() <= 0.5 / 100.0 + 1e-6);
    }

    /// Ramp length is 10 ms of frames.
    #[test]
    fn ramp_is_ten_milliseconds() {
        assert_eq!(ramp_frames(48_000), 480);
        assert_eq!(ramp_frames(44_100), 441);
        assert_eq!(ramp_frames(10), 1);
    }
}
