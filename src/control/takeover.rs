//! Soft takeover (UI thread): a hardware fader that disagrees with the mix does nothing until it
//! reaches the mix's value, so nothing jumps when a surface is plugged in, banked or moved after
//! the mix changed from elsewhere.
//!
//! One [`Takeover`] per fader per surface. A fader *catches* when a new position crosses the
//! mix's position (it was below and is now above, or the other way), or lands within
//! [`CATCH_WINDOW`] of it. Once caught it moves the mix, and stays caught as long as the mix
//! is where this fader last put it. When the mix changes from elsewhere (a key, undo, a scene
//! change, another surface, a bank change that puts another strip under the fader) the fader
//! disagrees again and waits to catch anew.
//!
//! Motor faders: a surface that reports touch ([`crate::control::Input::FaderTouch`], Mackie
//! Control) has faders the feedback drives. Touching one means the hand takes the fader where
//! the motor left it, at the mix's value, so a touch catches at once: no waiting. A fader that
//! never reported touch is taken as unmotorised and waits.

/// How close (in fader travel) a position may come to the mix's to catch without crossing it:
/// about two steps of a 7-bit fader.
pub const CATCH_WINDOW: f64 = 0.016;

/// How far apart two positions may be and still be the same one (the mix stores levels to
/// 0.01 dB, so its position moves a hair from what the fader sent).
const SAME: f64 = 2e-3;

/// What a new hardware position does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// The fader has the mix: set the mix to the new position.
    Follow,
    /// The fader disagrees with the mix and waits to catch it, at this position of the mix.
    Wait {
        /// Where the mix is (where the fader will catch).
        mix: f64,
        /// Where the hardware is.
        hardware: f64,
    },
}

/// One hardware fader's takeover state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Takeover {
    /// The last position the hardware reported.
    last: Option<f64>,
    /// Where the mix was when this fader last had it (`None`: it does not have it).
    holds: Option<f64>,
}

impl Takeover {
    /// A fader that has not caught yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The hardware reports `hardware` while the mix is at `mix` (both 0.0 to 1.0 of the
    /// travel, on the [`crate::control::law`]).
    pub fn arrive(&mut self, hardware: f64, mix: f64) -> Verdict {
        let last = self.last.replace(hardware);
        if self.holds.is_some_and(|held| (held - mix).abs() > SAME) {
            // The mix moved from elsewhere: catch it again.
            self.holds = None;
        }
        if self.holds.is_none() {
            let crossed = last.is_some_and(|last| (last - mix) * (hardware - mix) <= 0.0);
            if crossed || (hardware - mix).abs() <= CATCH_WINDOW {
                self.holds = Some(mix);
            }
        }
        if self.holds.is_some() {
            Verdict::Follow
        } else {
            Verdict::Wait { mix, hardware }
        }
    }

    /// The fader moved the mix to `mix` (its position after rounding): it holds it.
    pub fn moved(&mut self, mix: f64) {
        self.holds = Some(mix);
    }

    /// A motor fader was touched with the mix at `mix`: the motor put the fader there, so the
    /// hand has it.
    pub fn touched(&mut self, mix: f64) {
        self.holds = Some(mix);
        self.last = Some(mix);
    }

    /// Whether the fader waits to catch the mix at `mix`: where the hardware is, if so.
    pub fn waiting(&self, mix: f64) -> Option<f64> {
        let holds = self.holds.is_some_and(|held| (held - mix).abs() <= SAME);
        if holds { None } else { self.last }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fader far below the mix does nothing while it rises towards it, then follows from the
    /// moment it crosses it.
    #[test]
    fn a_fader_below_the_mix_waits_until_it_crosses() {
        let mut t = Takeover::new();
        let mix = 0.75;
        for p in [0.2, 0.4, 0.6, 0.7] {
            assert_eq!(
                t.arrive(p, mix),
                Verdict::Wait { mix, hardware: p },
                "at {p}"
            );
            assert_eq!(t.waiting(mix), Some(p));
        }
        assert_eq!(t.arrive(0.78, mix), Verdict::Follow);
        t.moved(0.78);
        assert_eq!(t.arrive(0.5, 0.78), Verdict::Follow);
        assert_eq!(t.waiting(0.78), None);
    }

    /// Landing within the catch window catches without crossing; the first message ever
    /// catches only there.
    #[test]
    fn close_enough_catches() {
        let mut t = Takeover::new();
        assert_eq!(t.arrive(0.745, 0.75), Verdict::Follow);
        let mut far = Takeover::new();
        assert!(matches!(far.arrive(0.9, 0.5), Verdict::Wait { .. }));
    }

    /// When the mix changes from elsewhere, the fader that had it lets go and waits again.
    #[test]
    fn a_change_from_elsewhere_rearms() {
        let mut t = Takeover::new();
        assert_eq!(t.arrive(0.5, 0.5), Verdict::Follow);
        t.moved(0.5);
        // A key moved the mix to 0.6: the fader at 0.5 must come up to it.
        assert_eq!(
            t.arrive(0.52, 0.6),
            Verdict::Wait {
                mix: 0.6,
                hardware: 0.52
            }
        );
        assert_eq!(t.waiting(0.6), Some(0.52));
        assert_eq!(t.arrive(0.61, 0.6), Verdict::Follow);
    }

    /// Touching a motor fader catches at once, wherever the mix is.
    #[test]
    fn a_touch_catches() {
        let mut t = Takeover::new();
        assert!(matches!(t.arrive(0.1, 0.7), Verdict::Wait { .. }));
        t.touched(0.7);
        assert_eq!(t.waiting(0.7), None);
        assert_eq!(t.arrive(0.69, 0.7), Verdict::Follow);
    }
}
