//! Second-order IIR filters. Designed on any thread (construction), run on the audio thread.
//!
//! The designs are the RBJ Audio EQ Cookbook's (Robert Bristow-Johnson): Butterworth-style high-
//! and low-pass, peaking EQ and shelves, all bilinear-transformed with frequency pre-warping, so
//! the centre or corner frequency lands exactly where it is asked for at any sample rate. A 4th-
//! order Butterworth filter is two 2nd-order sections with Q = 0.5412 and Q = 1.3066
//! ([`BUTTERWORTH_4`]). Filters run in transposed direct form II in `f64`.
//!
//! [`Coeffs::magnitude`] is the closed-form magnitude response `|H(e^jw)|` of a section, used to
//! document curves and to compute level compensation without running audio.

use std::f64::consts::PI;

/// The Q of a 2nd-order Butterworth section (`1/sqrt(2)`).
pub const BUTTERWORTH_2: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// The Qs of the two sections of a 4th-order Butterworth filter: `1 / (2 cos(pi/8))` and
/// `1 / (2 cos(3 pi/8))`.
pub const BUTTERWORTH_4: [f64; 2] = [0.541_196_100_146_197, 1.306_562_964_876_376_4];

/// Normalised coefficients of one section: `H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 +
/// a2 z^-2)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coeffs {
    pub b0: f64,
    pub b1: f64,
    pub b2: f64,
    pub a1: f64,
    pub a2: f64,
}

/// One filter section as a user describes it; [`Shape::design`] turns it into coefficients.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// 2nd-order high-pass at `freq` Hz with quality `q`.
    HighPass { freq: f64, q: f64 },
    /// 2nd-order low-pass at `freq` Hz with quality `q`.
    LowPass { freq: f64, q: f64 },
    /// Peaking EQ (bell) at `freq` Hz, `gain_db`, quality `q`.
    Peak { freq: f64, q: f64, gain_db: f64 },
    /// Low shelf with its midpoint at `freq` Hz, `gain_db`, quality `q`.
    LowShelf { freq: f64, q: f64, gain_db: f64 },
    /// High shelf with its midpoint at `freq` Hz, `gain_db`, quality `q`.
    HighShelf { freq: f64, q: f64, gain_db: f64 },
}

impl Coeffs {
    /// A section that passes its input unchanged.
    pub const IDENTITY: Self = Self {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    /// Normalises raw cookbook coefficients by `a0`.
    fn from_raw(b: [f64; 3], a: [f64; 3]) -> Self {
        Self {
            b0: b[0] / a[0],
            b1: b[1] / a[0],
            b2: b[2] / a[0],
            a1: a[1] / a[0],
            a2: a[2] / a[0],
        }
    }

    /// The magnitude response `|H(e^jw)|` at `freq` Hz for a sample rate of `sample_rate` Hz.
    ///
    /// Realtime-safe.
    pub fn magnitude(&self, sample_rate: f64, freq: f64) -> f64 {
        self.magnitude_squared(sample_rate, freq).sqrt()
    }

    /// `|H(e^jw)|^2` at `freq` Hz for a sample rate of `sample_rate` Hz.
    ///
    /// Realtime-safe.
    pub fn magnitude_squared(&self, sample_rate: f64, freq: f64) -> f64 {
        let w = 2.0 * PI * freq / sample_rate;
        let (s1, c1) = w.sin_cos();
        let (s2, c2) = (2.0 * w).sin_cos();
        // e^{-jw} = cos w - j sin w.
        let num_re = self.b0 + self.b1 * c1 + self.b2 * c2;
        let num_im = -(self.b1 * s1 + self.b2 * s2);
        let den_re = 1.0 + self.a1 * c1 + self.a2 * c2;
        let den_im = -(self.a1 * s1 + self.a2 * s2);
        (num_re * num_re + num_im * num_im) / (den_re * den_re + den_im * den_im)
    }
}

impl Shape {
    /// The corner or centre frequency.
    ///
    /// Realtime-safe.
    pub fn freq(self) -> f64 {
        match self {
            Self::HighPass { freq, .. }
            | Self::LowPass { freq, .. }
            | Self::Peak { freq, .. }
            | Self::LowShelf { freq, .. }
            | Self::HighShelf { freq, .. } => freq,
        }
    }

    /// The cookbook coefficients at a sample rate. A frequency above 0.45 of the rate is moved
    /// down to 0.45 of the rate (the design needs it below Nyquist); a rate of 0 gives a section
    /// that passes its input unchanged.
    ///
    /// Realtime-safe.
    pub fn design(self, sample_rate: f64) -> Coeffs {
        if sample_rate.is_nan() || sample_rate <= 0.0 {
            return Coeffs::IDENTITY;
        }
        let f0 = self.freq().clamp(1e-3, 0.45 * sample_rate);
        let w0 = 2.0 * PI * f0 / sample_rate;
        let (sin, cos) = w0.sin_cos();
        match self {
            Self::HighPass { q, .. } => {
                let alpha = sin / (2.0 * q);
                Coeffs::from_raw(
                    [
                        f64::midpoint(1.0, cos),
                        -(1.0 + cos),
                        f64::midpoint(1.0, cos),
                    ],
                    [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
                )
            }
            Self::LowPass { q, .. } => {
                let alpha = sin / (2.0 * q);
                Coeffs::from_raw(
                    [(1.0 - cos) / 2.0, 1.0 - cos, (1.0 - cos) / 2.0],
                    [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
                )
            }
            Self::Peak { q, gain_db, .. } => {
                let a = 10f64.powf(gain_db / 40.0);
                let alpha = sin / (2.0 * q);
                Coeffs::from_raw(
                    [1.0 + alpha * a, -2.0 * cos, 1.0 - alpha * a],
                    [1.0 + alpha / a, -2.0 * cos, 1.0 - alpha / a],
                )
            }
            Self::LowShelf { q, gain_db, .. } => {
                let a = 10f64.powf(gain_db / 40.0);
                let k = 2.0 * a.sqrt() * sin / (2.0 * q);
                Coeffs::from_raw(
                    [
                        a * ((a + 1.0) - (a - 1.0) * cos + k),
                        2.0 * a * ((a - 1.0) - (a + 1.0) * cos),
                        a * ((a + 1.0) - (a - 1.0) * cos - k),
                    ],
                    [
                        (a + 1.0) + (a - 1.0) * cos + k,
                        -2.0 * ((a - 1.0) + (a + 1.0) * cos),
                        (a + 1.0) + (a - 1.0) * cos - k,
                    ],
                )
            }
            Self::HighShelf { q, gain_db, .. } => {
                let a = 10f64.powf(gain_db / 40.0);
                let k = 2.0 * a.sqrt() * sin / (2.0 * q);
                Coeffs::from_raw(
                    [
                        a * ((a + 1.0) + (a - 1.0) * cos + k),
                        -2.0 * a * ((a - 1.0) + (a + 1.0) * cos),
                        a * ((a + 1.0) + (a - 1.0) * cos - k),
                    ],
                    [
                        (a + 1.0) - (a - 1.0) * cos + k,
                        2.0 * ((a - 1.0) - (a + 1.0) * cos),
                        (a + 1.0) - (a - 1.0) * cos - k,
                    ],
                )
            }
        }
    }
}

/// The memory of one section on one channel (transposed direct form II).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct State {
    s1: f64,
    s2: f64,
}

impl State {
    /// Filters one sample.
    ///
    /// Realtime-safe.
    #[inline]
    pub fn process(&mut self, c: &Coeffs, x: f64) -> f64 {
        let y = c.b0 * x + self.s1;
        self.s1 = c.b1 * x - c.a1 * y + self.s2;
        self.s2 = c.b2 * x - c.a2 * y;
        y
    }

    /// Forgets the past (silence before the next sample).
    ///
    /// Realtime-safe.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Flushes a decayed memory to exact zero (no denormals) and clears a memory that overflowed
    /// (infinite or NaN), so one bad sample cannot silence the filter for good.
    ///
    /// Realtime-safe.
    pub fn tidy(&mut self) {
        if !(self.s1.is_finite() && self.s2.is_finite()) {
            self.reset();
        } else if self.s1.abs() < 1e-30 && self.s2.abs() < 1e-30 {
            self.s1 = 0.0;
            self.s2 = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(x: f64) -> f64 {
        20.0 * x.log10()
    }

    /// The cookbook designs hit their defining points: -3 dB at a Butterworth corner, the full
    /// gain at a bell's centre, half the gain at a shelf's midpoint, unity far from a shelf.
    #[test]
    fn designs_hit_their_defining_points() {
        let rate = 48_000.0;
        let hp = Shape::HighPass {
            freq: 1000.0,
            q: BUTTERWORTH_2,
        }
        .design(rate);
        assert!((db(hp.magnitude(rate, 1000.0)) + 3.0103).abs() < 1e-3);
        assert!((db(hp.magnitude(rate, 20_000.0))).abs() < 1e-2);
        let lp = Shape::LowPass {
            freq: 5000.0,
            q: BUTTERWORTH_2,
        }
        .design(rate);
        assert!((db(lp.magnitude(rate, 5000.0)) + 3.0103).abs() < 1e-3);
        assert!((db(lp.magnitude(rate, 20.0))).abs() < 1e-6);
        let pk = Shape::Peak {
            freq: 2000.0,
            q: 1.0,
            gain_db: 6.0,
        }
        .design(rate);
        assert!((db(pk.magnitude(rate, 2000.0)) - 6.0).abs() < 1e-9);
        let ls = Shape::LowShelf {
            freq: 200.0,
            q: BUTTERWORTH_2,
            gain_db: 8.0,
        }
        .design(rate);
        assert!((db(ls.magnitude(rate, 200.0)) - 4.0).abs() < 1e-9);
        assert!((db(ls.magnitude(rate, 5.0)) - 8.0).abs() < 1e-2);
        let hs = Shape::HighShelf {
            freq: 4000.0,
            q: BUTTERWORTH_2,
            gain_db: -6.0,
        }
        .design(rate);
        assert!((db(hs.magnitude(rate, 4000.0)) + 3.0).abs() < 1e-9);
        assert!((db(hs.magnitude(rate, 20.0))).abs() < 1e-3);
    }

    /// Running a sine through a section gives the amplitude the closed form predicts.
    #[test]
    fn running_matches_closed_form() {
        let rate = 48_000.0;
        let c = Shape::Peak {
            freq: 1000.0,
            q: 2.0,
            gain_db: -9.0,
        }
        .design(rate);
        let mut s = State::default();
        let f = 1500.0;
        let mut power = 0.0;
        for i in 0..48_000 {
            let y = s.process(&c, (2.0 * PI * f * f64::from(i) / rate).sin());
            if i >= 24_000 {
                power += y * y;
            }
        }
        let rms = (power / 24_000.0).sqrt();
        assert!((db(rms * 2f64.sqrt()) - db(c.magnitude(rate, f))).abs() < 1e-4);
    }

    /// A memory that overflowed is cleared, and a decayed one is flushed to zero.
    #[test]
    fn tidy_clears_bad_and_tiny_memory() {
        let c = Shape::LowPass {
            freq: 100.0,
            q: BUTTERWORTH_2,
        }
        .design(48_000.0);
        let mut s = State::default();
        s.process(&c, f64::NAN);
        s.tidy();
        assert_eq!(s, State::default());
        s.process(&c, 1e-35);
        s.tidy();
        assert_eq!(s, State::default());
    }
}
