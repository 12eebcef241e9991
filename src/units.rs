//! Unit newtypes and the one place where units are converted.
//!
//! Session files store decibels, never raw amplitude. Everything that turns a decibel value,
//! a pan position or a time into numbers the mixer multiplies with lives here, so the offline
//! bounce, the realtime engine and the tests all use the same formulas.

use std::fmt;

/// A level in decibels relative to unity gain. `-inf` means "off" (amplitude exactly zero).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Decibels(pub f64);

impl Decibels {
    /// Unity gain, 0 dB.
    pub const UNITY: Self = Self(0.0);
    /// Off: amplitude exactly zero.
    pub const OFF: Self = Self(f64::NEG_INFINITY);

    /// The linear amplitude factor: `10^(dB/20)`; exactly 0 for `-inf` and exactly 1 for 0 dB.
    pub fn to_amplitude(self) -> f32 {
        if self.0 == f64::NEG_INFINITY {
            0.0
        } else if self.0 == 0.0 {
            1.0
        } else {
            10f64.powf(self.0 / 20.0) as f32
        }
    }

    /// The level of a linear amplitude factor (`20 log10 |a|`); `-inf` for zero.
    pub fn from_amplitude(amplitude: f64) -> Self {
        if amplitude == 0.0 {
            Self::OFF
        } else {
            Self(20.0 * amplitude.abs().log10())
        }
    }

    /// True for `-inf` (off).
    pub fn is_off(self) -> bool {
        self.0 == f64::NEG_INFINITY
    }
}

impl fmt::Display for Decibels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_off() {
            f.write_str("-inf dB")
        } else {
            write!(f, "{:+.1} dB", self.0)
        }
    }
}

/// A pan position from -1 (hard left) through 0 (centre) to +1 (hard right).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Pan(pub f64);

impl Pan {
    /// Centre.
    pub const CENTRE: Self = Self(0.0);

    /// Left and right gains for a **mono** source: constant power, -3 dB at centre.
    ///
    /// `t = (pan + 1) * pi / 4`, `L = cos t`, `R = sin t`. The ends are exact: hard left is
    /// `(1, 0)` and hard right `(0, 1)`.
    pub fn mono_gains(self) -> (f32, f32) {
        let p = self.0.clamp(-1.0, 1.0);
        if p <= -1.0 {
            return (1.0, 0.0);
        }
        if p >= 1.0 {
            return (0.0, 1.0);
        }
        let t = (p + 1.0) * std::f64::consts::FRAC_PI_4;
        (t.cos() as f32, t.sin() as f32)
    }

    /// Left and right gains for a **stereo** source: a balance control.
    ///
    /// At centre both sides pass at unity; `p > 0` scales the left side by `1 - p`;
    /// `p < 0` scales the right side by `1 + p`.
    pub fn balance_gains(self) -> (f32, f32) {
        let p = self.0.clamp(-1.0, 1.0);
        if p > 0.0 {
            ((1.0 - p) as f32, 1.0)
        } else if p < 0.0 {
            (1.0, (1.0 + p) as f32)
        } else {
            (1.0, 1.0)
        }
    }
}

/// "C", "L30", "R100"; a value outside -1..+1 (from a damaged file) shows as the end it is
/// past, NaN as the centre.
impl fmt::Display for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = (self.0.clamp(-1.0, 1.0) * 100.0).round() as i32;
        match pct {
            0 => f.write_str("C"),
            p if p < 0 => write!(f, "L{}", -p),
            p => write!(f, "R{p}"),
        }
    }
}

/// The index of a channel strip in a session (its position in the `[[channel]]` list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StripId(pub usize);

/// A time on the session timeline, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Seconds(pub f64);

impl Seconds {
    /// The frame at this time for a sample rate, rounded to the nearest frame.
    pub fn to_frames(self, sample_rate: u32) -> u64 {
        (self.0.max(0.0) * f64::from(sample_rate)).round() as u64
    }

    /// The time of a frame at a sample rate.
    pub fn from_frames(frames: u64, sample_rate: u32) -> Self {
        Self(frames as f64 / f64::from(sample_rate))
    }

    /// Parses `"m:ss.mmm"`, `"h:mm:ss.mmm"` or plain seconds (`"12.5"`).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let mut total = 0.0;
        let parts: Vec<&str> = text.split(':').collect();
        if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let value: f64 = if last {
                part.parse().ok()?
            } else {
                f64::from(part.parse::<u32>().ok()?)
            };
            if !value.is_finite() || value < 0.0 || (i > 0 && value >= 60.0) {
                return None;
            }
            total = total * 60.0 + value;
        }
        Some(Self(total))
    }
}

/// A length of `frames` at `from` Hz expressed at `to` Hz: `ceil(frames * to / from)`, rounded
/// up so nothing is cut short (what the resampler plays). The same count when the rates are
/// equal or `from` is unknown (0); at most `u64::MAX`.
pub fn frames_at(frames: u64, from: u32, to: u32) -> u64 {
    if from == to || from == 0 {
        frames
    } else {
        let scaled = (u128::from(frames) * u128::from(to)).div_ceil(u128::from(from));
        u64::try_from(scaled).unwrap_or(u64::MAX)
    }
}

impl fmt::Display for Seconds {
    /// Formats as `m:ss.mmm`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = (self.0.max(0.0) * 1000.0).round() as u64;
        write!(
            f,
            "{}:{:02}.{:03}",
            ms / 60_000,
            (ms / 1000) % 60,
            ms % 1000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pan shows as the product writes it, and a value no file should hold (a crash journal
    /// with `pan = -9223372036854775809` once overflowed the negation here) shows as the end it
    /// is past instead of panicking.
    #[test]
    fn pan_displays_within_its_range() {
        assert_eq!(Pan(0.0).to_string(), "C");
        assert_eq!(Pan(-0.3).to_string(), "L30");
        assert_eq!(Pan(1.0).to_string(), "R100");
        assert_eq!(Pan(-9.223_372_036_854_776e18).to_string(), "L100");
        assert_eq!(Pan(f64::INFINITY).to_string(), "R100");
        assert_eq!(Pan(f64::NAN).to_string(), "C");
    }

    /// Unity and off are exact, and a few dB values match 10^(g/20).
    #[test]
    fn decibel_conversions_are_exact_at_unity_and_off() {
        assert_eq!(Decibels::UNITY.to_amplitude(), 1.0);
        assert_eq!(Decibels::OFF.to_amplitude(), 0.0);
        assert!((Decibels(-6.0).to_amplitude() - 0.501_187_2).abs() < 1e-6);
        assert!((Decibels(12.0).to_amplitude() - 3.981_071_7).abs() < 1e-6);
        assert!((Decibels::from_amplitude(0.5).0 + 6.020_6).abs() < 1e-3);
    }

    /// The mono pan law is constant power with -3 dB at centre and exact ends.
    #[test]
    fn mono_pan_law() {
        assert_eq!(Pan(-1.0).mono_gains(), (1.0, 0.0));
        assert_eq!(Pan(1.0).mono_gains(), (0.0, 1.0));
        let (l, r) = Pan::CENTRE.mono_gains();
        assert!((l - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-7);
        assert!((r - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-7);
        for p in [-0.7, -0.2, 0.3, 0.9] {
            let (l, r) = Pan(p).mono_gains();
            assert!((l * l + r * r - 1.0).abs() < 1e-6, "power at {p}");
        }
    }

    /// The stereo balance law passes both sides at centre and attenuates one side linearly.
    #[test]
    fn stereo_balance_law() {
        assert_eq!(Pan::CENTRE.balance_gains(), (1.0, 1.0));
        assert_eq!(Pan(1.0).balance_gains(), (0.0, 1.0));
        assert_eq!(Pan(-1.0).balance_gains(), (1.0, 0.0));
        assert_eq!(Pan(0.25).balance_gains(), (0.75, 1.0));
        assert_eq!(Pan(-0.25).balance_gains(), (1.0, 0.75));
    }

    /// A length converts between rates rounded up, and stays as it is at the same rate or
    /// from an unknown (0) rate.
    #[test]
    fn frames_convert_between_rates_rounding_up() {
        assert_eq!(frames_at(441_000, 44_100, 96_000), 960_000);
        assert_eq!(frames_at(441_001, 44_100, 96_000), 960_003);
        assert_eq!(frames_at(66_151, 44_100, 48_000), 72_002);
        assert_eq!(frames_at(441_001, 96_000, 96_000), 441_001);
        assert_eq!(frames_at(1_000, 0, 48_000), 1_000);
        assert_eq!(
            frames_at(u64::MAX, 1, 2),
            u64::MAX,
            "saturates at the type's end"
        );
    }

    /// Times parse from m:ss.mmm and plain seconds and print back as m:ss.mmm.
    #[test]
    fn seconds_parse_and_format() {
        assert_eq!(Seconds::parse("0:12.500"), Some(Seconds(12.5)));
        assert_eq!(Seconds::parse("1:02"), Some(Seconds(62.0)));
        assert_eq!(Seconds::parse("1:00:00"), Some(Seconds(3600.0)));
        assert_eq!(Seconds::parse("12.5"), Some(Seconds(12.5)));
        assert_eq!(Seconds::parse("0:75"), None);
        assert_eq!(Seconds::parse("abc"), None);
        assert_eq!(Seconds::parse("-3"), None);
        assert_eq!(Seconds(72.5).to_string(), "1:12.500");
        assert_eq!(Seconds(0.5).to_frames(48_000), 24_000);
    }
}
