//! What each control of a session allows, in one place: the session loader judges a file's
//! values by these, and a mixer edit is refused by the same ones, with the same words.

use super::MAX_SCENE_RAMP_MS;

/// The span a control allows, both ends included, and how to say it to a user.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The lowest value allowed (`-inf` for a fader, which then is off).
    pub low: f64,
    /// The highest value allowed.
    pub high: f64,
    /// What is allowed, in a user's words ("the fader goes from -inf (off) to +12 dB").
    pub rule: &'static str,
}

impl Limits {
    /// Whether `value` is inside the span; NaN never is.
    pub fn allows(&self, value: f64) -> bool {
        // NaN fails both comparisons.
        value >= self.low && value <= self.high
    }
}

/// A channel's fader, and a section's scene fader value, in dB.
pub const FADER: Limits = Limits {
    low: f64::NEG_INFINITY,
    high: 12.0,
    rule: "the fader goes from -inf (off) to +12 dB",
};

/// The master fader, in dB.
pub const MASTER: Limits = Limits {
    low: f64::NEG_INFINITY,
    high: 12.0,
    rule: "the master fader goes from -inf (off) to +12 dB",
};

/// A channel's input trim, in dB.
pub const TRIM: Limits = Limits {
    low: -24.0,
    high: 24.0,
    rule: "trim goes from -24 to +24 dB",
};

/// A channel's pan position.
pub const PAN: Limits = Limits {
    low: -1.0,
    high: 1.0,
    rule: "pan goes from -1 (left) to +1 (right)",
};

/// Whether `ms` is a scene glide time a session may hold: a whole number of milliseconds from
/// 0 (a cut) to [`MAX_SCENE_RAMP_MS`].
pub fn scene_ramp_allowed(ms: f64) -> bool {
    ms.fract() == 0.0 && (0.0..=f64::from(MAX_SCENE_RAMP_MS)).contains(&ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both ends of a span are allowed, the values just outside and NaN are not, and -inf is a
    /// fader value (off) but not a trim value.
    #[test]
    fn spans_include_their_ends_and_refuse_nan() {
        assert!(FADER.allows(12.0) && FADER.allows(f64::NEG_INFINITY));
        assert!(!FADER.allows(12.000_001) && !FADER.allows(f64::INFINITY));
        assert!(TRIM.allows(-24.0) && TRIM.allows(24.0) && !TRIM.allows(-24.5));
        assert!(!TRIM.allows(f64::NEG_INFINITY));
        assert!(PAN.allows(-1.0) && PAN.allows(1.0) && !PAN.allows(1.5));
        for limits in [FADER, MASTER, TRIM, PAN] {
            assert!(!limits.allows(f64::NAN), "{}", limits.rule);
        }
    }

    /// A scene ramp is whole milliseconds from 0 to the longest ramp.
    #[test]
    fn scene_ramps_are_whole_milliseconds_in_range() {
        assert!(scene_ramp_allowed(0.0) && scene_ramp_allowed(f64::from(MAX_SCENE_RAMP_MS)));
        for ms in [
            -1.0,
            2.5,
            f64::from(MAX_SCENE_RAMP_MS) + 1.0,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert!(!scene_ramp_allowed(ms), "{ms}");
        }
    }
}
