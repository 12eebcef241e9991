//! Parameter smoothing. Runs on whichever thread mixes (audio thread or bounce thread).
//!
//! Every continuous gain in earmix glides **linearly in amplitude** to a new target over a fixed
//! time, [`GAIN_RAMP_SECONDS`] (10 ms: 480 samples at 48 kHz). A new target that arrives mid-glide
//! starts a fresh glide from the value reached so far, so a fast series of changes (a held key)
//! is a continuous curve with no step larger than `|target - start| / ramp_frames` per sample.
//! The last sample of a glide is the target exactly, so unity stays bit-exact and a muted channel
//! reaches exact zero. The value is a function of the sample count only, never of block sizes,
//! which keeps realtime playback and offline bounce sample-identical.
//!
//! A long, musical glide (a section scene's, over hundreds of milliseconds) is heard as a level
//! change, and the ear hears level in decibels: a straight line in amplitude spends most of a cut
//! near the start level (a 20 dB cut is only 5 dB down halfway through). Such a glide, given its
//! length with [`Smoother::set_target_over`] or [`Smoother::set_glide`], takes equal steps in dB
//! instead, so halfway through it is halfway in dB. Silence has no level in dB; a glide to or from it runs in dB between the audible end and
//! [`SILENCE_SPAN_DB`] below it, and its last frame (a fade-out's) or the frame before its first
//! (a fade-in's) is exact zero.

/// How far below the audible end a glide to or from silence runs in decibels before the
/// exact zero: 60 dB, the span in which a sound dies away by the reverberation-time convention
/// (RT60). Less would end a fade-out with an audible step; more would spend the glide on levels
/// nobody hears, so the audible part would rush by.
pub const SILENCE_SPAN_DB: f64 = 60.0;

/// The natural logs of a decibel glide's two ends (silence counted [`SILENCE_SPAN_DB`] below the
/// audible end), or `None` when the glide cannot run in decibels (both ends silent, or a value
/// that is not a finite gain of zero or more).
fn log_ends(start: f32, target: f32) -> Option<(f64, f64)> {
    let span = SILENCE_SPAN_DB / 20.0 * std::f64::consts::LN_10;
    let ln = |x: f32| f64::from(x).ln();
    let usable = |x: f32| x.is_finite() && x >= 0.0;
    if !usable(start) || !usable(target) {
        return None;
    }
    match (start > 0.0, target > 0.0) {
        (true, true) => Some((ln(start), ln(target))),
        (false, true) => Some((ln(target) - span, ln(target))),
        (true, false) => Some((ln(start), ln(start) - span)),
        (false, false) => None,
    }
}

/// How long a gain, pan or mute change takes to reach its target.
pub const GAIN_RAMP_SECONDS: f64 = 0.010;

/// The number of frames a gain glide lasts at a sample rate (at least 1).
pub fn ramp_frames(sample_rate: u32) -> u32 {
    ((f64::from(sample_rate) * GAIN_RAMP_SECONDS).round() as u32).max(1)
}

/// A value that glides to its target over a number of frames: linearly over a fixed length on
/// each change ([`Smoother::set_target`]), or in equal steps of decibels over a length given
/// with the change ([`Smoother::set_target_over`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Smoother {
    start: f32,
    target: f32,
    pos: u32,
    /// The length of the glide under way.
    len: u32,
    /// The length of a glide started by [`Smoother::set_target`].
    ramp: u32,
    /// The glide under way, in the natural logs of its ends, when it runs in decibels.
    log: Option<(f64, f64)>,
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
            log: None,
        }
    }

    /// The value the glide has reached (the next sample continues from here).
    ///
    /// Realtime-safe.
    #[inline]
    pub fn current(&self) -> f32 {
        if self.pos >= self.len {
            self.target
        } else if let Some((from, to)) = self.log
            && self.pos > 0
        {
            let t = f64::from(self.pos) / f64::from(self.len);
            (from + (to - from) * t).exp() as f32
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
        self.log = None;
    }

    /// Starts a glide in equal steps of decibels from the current value to `target` over `len`
    /// frames (0: a jump). Unlike [`Smoother::set_target`], a glide under way starts afresh even towards the
    /// same target; resting at `target` already, nothing happens.
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
        let start = self.current();
        self.set_glide(start, target, len, 0);
    }

    /// Places the smoother `pos` frames into a glide in equal steps of decibels of `len` frames
    /// from `start` to `target` (where playback lands after a jump into the middle of a glide). The value
    /// at each frame is the same as when the glide is run from its start.
    ///
    /// Realtime-safe.
    pub fn set_glide(&mut self, start: f32, target: f32, len: u32, pos: u32) {
        self.start = start;
        self.target = target;
        self.len = len.max(1);
        self.pos = pos.min(self.len);
        self.log = log_ends(start, target);
    }

    /// Jumps to `value` with no glide (used when playback starts or jumps).
    ///
    /// Realtime-safe.
    pub fn set_immediate(&mut self, value: f32) {
        self.start = value;
        self.target = value;
        self.len = self.ramp;
        self.pos = self.len;
        self.log = None;
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

    /// A decibel glide takes equal steps in dB: from 0 dB to -20 dB over 100 frames it is at
    /// -10 dB halfway, every step divides the amplitude by the same ratio, and the last frame is
    /// the target exactly.
    #[test]
    fn decibel_glide_takes_equal_steps_in_db() {
        let mut s = Smoother::new(1.0, 480);
        s.set_target_over(0.1, 100);
        let values: Vec<f32> = (0..100).map(|_| s.next_value()).collect();
        let db = |x: f32| 20.0 * f64::from(x).log10();
        assert!((db(values[49]) + 10.0).abs() < 1e-4, "{}", db(values[49]));
        assert!((db(values[0]) + 0.2).abs() < 1e-4);
        for w in values.windows(2) {
            assert!((db(w[1]) - db(w[0]) + 0.2).abs() < 1e-3, "{w:?}");
        }
        assert_eq!(values[99], 0.1);
    }

    /// A decibel glide to silence runs down to 60 dB below its start and ends on exact zero; one
    /// from silence starts 60 dB below its target; between two silences nothing moves.
    #[test]
    fn decibel_glide_to_and_from_silence() {
        let db = |x: f32| 20.0 * f64::from(x).log10();
        let mut s = Smoother::new(0.5, 480);
        s.set_target_over(0.0, 100);
        let down: Vec<f32> = (0..100).map(|_| s.next_value()).collect();
        assert!((db(down[49]) - (db(0.5) - 30.0)).abs() < 1e-4);
        assert!((db(down[98]) - (db(0.5) - 59.4)).abs() < 1e-4);
        assert_eq!(down[99], 0.0);
        s.set_target_over(0.5, 100);
        let up: Vec<f32> = (0..100).map(|_| s.next_value()).collect();
        assert!((db(up[0]) - (db(0.5) - 59.4)).abs() < 1e-4);
        assert!((db(up[49]) - (db(0.5) - 30.0)).abs() < 1e-4);
        assert_eq!(up[99], 0.5);
        let mut quiet = Smoother::new(0.0, 480);
        quiet.set_glide(0.0, 0.0, 100, 0);
        assert!((0..100).all(|_| quiet.next_value() == 0.0));
    }

    /// Landing partway into a decibel glide gives, frame for frame, the values a glide run from
    /// its start has there (a bounce from inside a scene change continues it exactly).
    #[test]
    fn landing_in_a_decibel_glide_matches_running_it() {
        let mut run = Smoother::new(0.0, 480);
        run.set_glide(0.8, 0.05, 1000, 0);
        let whole: Vec<f32> = (0..1000).map(|_| run.next_value()).collect();
        for at in [1u32, 377, 999] {
            let mut landed = Smoother::new(0.0, 480);
            landed.set_glide(0.8, 0.05, 1000, at);
            for (i, want) in whole[at as usize..].iter().enumerate() {
                assert_eq!(
                    landed.next_value().to_bits(),
                    want.to_bits(),
                    "at {at} + {i}"
                );
            }
        }
    }

    /// Ramp length is 10 ms of frames.
    #[test]
    fn ramp_is_ten_milliseconds() {
        assert_eq!(ramp_frames(48_000), 480);
        assert_eq!(ramp_frames(44_100), 441);
        assert_eq!(ramp_frames(10), 1);
    }
}
