//! The monitor section. Built on the UI thread, run on the audio thread after the mix; the
//! offline bounce never passes through it.
//!
//! The monitor changes only what you hear, never what you bounce. It works on the stereo output
//! buffers in place, in this order:
//!
//! 1. **Stereo image.** *Stereo* passes both sides. *Mono* plays `(L + R) * g` on both speakers
//!    and *Side* plays `(L - R) * g` on both, with `g = 10^(-3/20)` (about 0.708, "-3 dB
//!    compensated"). What you hear in mono: a centred source (the same signal at the same level
//!    in both sides) comes out 3 dB louder than it was on either side; a hard-panned source
//!    comes out 3 dB quieter on each speaker (so two speakers give roughly the power one gave
//!    before); wide, uncorrelated material keeps its level; anything in opposite polarity
//!    between the sides cancels. *Side* is what a mono listener loses: a centred source
//!    vanishes, a hard-panned source plays 3 dB down on both speakers.
//! 2. **Swap** exchanges left and right (after mono or side, where both sides are equal, it
//!    changes nothing).
//! 3. **Preset**: a playback-system curve (see [`Preset`]: small speaker, laptop, earbuds, car),
//!    the same on both sides, followed by its level compensation, so switching presets changes
//!    the tone, not the loudness: each preset is turned up or down so that pink noise measures
//!    the same K-weighted (BS.1770 / LUFS) loudness through it as on the flat path.
//! 4. **Dim** (default -20 dB) and **mute all** (exact silence, the panic button). Both glide
//!    over 10 ms.
//! 5. **Safety ceiling**, always last: no sample ever leaves louder than the ceiling (default
//!    -1 dBFS), so a blind or scrambled mix that comes up hot cannot hurt ears or speakers. Gain
//!    drops instantly on a peak over the ceiling and recovers smoothly (exponentially, 150 ms
//!    time constant). Under the ceiling it does nothing at all. [`MonitorMeter`] tells the UI
//!    how hard it worked since the last look.
//!
//! **Switching without clicks.** A change of stereo image, swap or preset fades the monitor out
//! over 5 ms, switches (the preset filters start from silence), and fades back in over 5 ms. A
//! further change during the fade re-targets it: the output keeps fading out until it reaches
//! silence and then fades in on the latest choice; changing back before silence just fades in
//! again with nothing switched. Dim and mute glide on their own and never wait for a fade.
//!
//! **True bypass.** With everything off ([`MonitorState::default`]) and a mix under the
//! ceiling, the output is bit-identical to the input. A NaN or infinite sample always comes out
//! as silence.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::biquad::{BUTTERWORTH_2, BUTTERWORTH_4, Coeffs, Shape, State};
use super::smoother::{Smoother, ramp_frames};
use crate::units::Decibels;

/// The gain of the mono and side sums: `10^(-3/20)`.
pub const MONO_GAIN: f32 = 0.707_945_784_384_137_9_f64 as f32;

/// How long the output takes to fade out (and again to fade back in) around a switch.
pub const SWITCH_FADE_SECONDS: f64 = 0.005;

/// The safety ceiling's release time constant.
pub const CEILING_RELEASE_SECONDS: f64 = 0.150;

/// The most filter sections a preset uses.
const MAX_SECTIONS: usize = 5;

/// Once the ceiling's released gain is this close to unity it snaps to exactly 1 (2^-25: closer
/// than this, the gain rounds to 1 in `f32` anyway).
const RELEASE_SNAP: f64 = 1.0 / 33_554_432.0;

/// Stereo image on the monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StereoMode {
    /// Left and right as mixed.
    #[default]
    Stereo,
    /// `(L + R) * 10^(-3/20)` on both speakers.
    Mono,
    /// `(L - R) * 10^(-3/20)` on both speakers.
    Side,
}

impl StereoMode {
    /// The next mode in the cycle stereo -> mono -> side -> stereo.
    ///
    /// Realtime-safe.
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            Self::Stereo => Self::Mono,
            Self::Mono => Self::Side,
            Self::Side => Self::Stereo,
        }
    }

    /// The name shown to the user.
    ///
    /// Realtime-safe.
    pub fn label(self) -> &'static str {
        match self {
            Self::Stereo => "stereo",
            Self::Mono => "mono",
            Self::Side => "side",
        }
    }
}

/// A playback-system preset: how the mix might sound on a listener's speakers. Each is a chain
/// of RBJ cookbook biquads ([`Preset::shapes`]) with a documented curve
/// ([`Preset::documented_db`]) and a make-up gain ([`Preset::compensation_db`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// A phone or a small Bluetooth speaker: 4th-order Butterworth high-pass at 350 Hz, +4 dB
    /// peak at 2.5 kHz (Q 1), 4th-order Butterworth low-pass at 7 kHz.
    SmallSpeaker,
    /// Laptop speakers: 4th-order Butterworth high-pass at 200 Hz, +3 dB peak at 1 kHz (Q 0.9),
    /// 2nd-order Butterworth low-pass at 12 kHz.
    Laptop,
    /// Consumer earbuds: 2nd-order Butterworth high-pass at 40 Hz, +4 dB low shelf at 120 Hz,
    /// +3 dB peak at 3 kHz (Q 1.5), -4 dB high shelf at 8 kHz (shelves with Q 0.707).
    Earbuds,
    /// A car: +6 dB low shelf at 80 Hz (cabin gain), -3 dB peak at 300 Hz (Q 1), -5 dB high
    /// shelf at 6 kHz (shelves with Q 0.707).
    Car,
}

/// The filters of each preset, in processing order.
const SMALL_SPEAKER: [Shape; 5] = [
    Shape::HighPass {
        freq: 350.0,
        q: BUTTERWORTH_4[0],
    },
    Shape::HighPass {
        freq: 350.0,
        q: BUTTERWORTH_4[1],
    },
    Shape::Peak {
        freq: 2500.0,
        q: 1.0,
        gain_db: 4.0,
    },
    Shape::LowPass {
        freq: 7000.0,
        q: BUTTERWORTH_4[0],
    },
    Shape::LowPass {
        freq: 7000.0,
        q: BUTTERWORTH_4[1],
    },
];
const LAPTOP: [Shape; 4] = [
    Shape::HighPass {
        freq: 200.0,
        q: BUTTERWORTH_4[0],
    },
    Shape::HighPass {
        freq: 200.0,
        q: BUTTERWORTH_4[1],
    },
    Shape::Peak {
        freq: 1000.0,
        q: 0.9,
        gain_db: 3.0,
    },
    Shape::LowPass {
        freq: 12_000.0,
        q: BUTTERWORTH_2,
    },
];
const EARBUDS: [Shape; 4] = [
    Shape::HighPass {
        freq: 40.0,
        q: BUTTERWORTH_2,
    },
    Shape::LowShelf {
        freq: 120.0,
        q: BUTTERWORTH_2,
        gain_db: 4.0,
    },
    Shape::Peak {
        freq: 3000.0,
        q: 1.5,
        gain_db: 3.0,
    },
    Shape::HighShelf {
        freq: 8000.0,
        q: BUTTERWORTH_2,
        gain_db: -4.0,
    },
];
const CAR: [Shape; 3] = [
    Shape::LowShelf {
        freq: 80.0,
        q: BUTTERWORTH_2,
        gain_db: 6.0,
    },
    Shape::Peak {
        freq: 300.0,
        q: 1.0,
        gain_db: -3.0,
    },
    Shape::HighShelf {
        freq: 6000.0,
        q: BUTTERWORTH_2,
        gain_db: -5.0,
    },
];

/// The documented curves: the response at 48 kHz before level compensation, rounded to 0.1 dB.
const SMALL_SPEAKER_DB: [(f64, f64); 9] = [
    (50.0, -67.6),
    (100.0, -43.5),
    (200.0, -19.5),
    (500.0, -0.1),
    (1000.0, 0.7),
    (2000.0, 3.3),
    (5000.0, 1.0),
    (10_000.0, -15.3),
    (15_000.0, -38.5),
];
const LAPTOP_DB: [(f64, f64); 9] = [
    (50.0, -48.2),
    (100.0, -24.1),
    (200.0, -2.9),
    (500.0, 1.1),
    (1000.0, 3.0),
    (2000.0, 1.1),
    (5000.0, 0.1),
    (10_000.0, -1.3),
    (15_000.0, -7.8),
];
const EARBUDS_DB: [(f64, f64); 9] = [
    (50.0, 2.4),
    (100.0, 2.6),
    (200.0, 0.5),
    (500.0, 0.1),
    (1000.0, 0.2),
    (2000.0, 1.1),
    (5000.0, 0.4),
    (10_000.0, -2.9),
    (15_000.0, -3.9),
];
const CAR_DB: [(f64, f64); 9] = [
    (50.0, 5.1),
    (100.0, 1.4),
    (200.0, -1.6),
    (500.0, -1.4),
    (1000.0, -0.3),
    (2000.0, -0.1),
    (5000.0, -1.6),
    (10_000.0, -4.6),
    (15_000.0, -5.0),
];

impl Preset {
    /// Every preset, in cycling order.
    pub const ALL: [Preset; 4] = [Self::SmallSpeaker, Self::Laptop, Self::Earbuds, Self::Car];

    /// The name shown to the user.
    ///
    /// Realtime-safe.
    pub fn label(self) -> &'static str {
        match self {
            Self::SmallSpeaker => "small speaker",
            Self::Laptop => "laptop",
            Self::Earbuds => "earbuds",
            Self::Car => "car",
        }
    }

    /// The curve in one line, in a user's words.
    ///
    /// Realtime-safe.
    pub fn describe(self) -> &'static str {
        match self {
            Self::SmallSpeaker => {
                "phone-like: no bass (4th-order high-pass at 350 Hz), +4 dB presence at 2.5 kHz, \
                 no air (4th-order low-pass at 7 kHz)"
            }
            Self::Laptop => {
                "laptop: thin (4th-order high-pass at 200 Hz), +3 dB boxy mids at 1 kHz, \
                 dull top (2nd-order low-pass at 12 kHz)"
            }
            Self::Earbuds => {
                "earbuds: gentle high-pass at 40 Hz, +4 dB bass shelf at 120 Hz, +3 dB peak at \
                 3 kHz, -4 dB treble shelf at 8 kHz"
            }
            Self::Car => {
                "car: +6 dB cabin boom below 80 Hz, -3 dB dip at 300 Hz, -5 dB treble shelf at \
                 6 kHz"
            }
        }
    }

    /// The filter sections, in processing order.
    ///
    /// Realtime-safe.
    pub fn shapes(self) -> &'static [Shape] {
        match self {
            Self::SmallSpeaker => &SMALL_SPEAKER,
            Self::Laptop => &LAPTOP,
            Self::Earbuds => &EARBUDS,
            Self::Car => &CAR,
        }
    }

    /// The documented curve: `(frequency Hz, response dB)` at 48 kHz before level compensation,
    /// rounded to 0.1 dB.
    ///
    /// Realtime-safe.
    pub fn documented_db(self) -> &'static [(f64, f64)] {
        match self {
            Self::SmallSpeaker => &SMALL_SPEAKER_DB,
            Self::Laptop => &LAPTOP_DB,
            Self::Earbuds => &EARBUDS_DB,
            Self::Car => &CAR_DB,
        }
    }

    /// The exact magnitude response of the filter chain at `freq` Hz when running at
    /// `sample_rate`, in dB, before level compensation.
    ///
    /// Realtime-safe.
    pub fn response_db(self, sample_rate: u32, freq: f64) -> f64 {
        10.0 * Chain::new(self, sample_rate)
            .power(f64::from(sample_rate), freq)
            .log10()
    }

    /// The make-up gain, in dB, that gives pink noise through this preset the same K-weighted
    /// (ITU-R BS.1770) power as pink noise on the flat path, so switching presets keeps the
    /// loudness. Computed by integrating `|H(f)|^2 |K(f)|^2` over log-frequency (pink noise has
    /// equal power per octave) from 20 Hz to 20 kHz or 0.95 of Nyquist, whichever is lower.
    ///
    /// Not realtime-safe: it does not allocate, but evaluates the responses at thousands of
    /// frequencies; the monitor computes it at construction.
    pub fn compensation_db(self, sample_rate: u32) -> f64 {
        let rate = f64::from(sample_rate);
        let lo: f64 = 20.0;
        let hi = 20_000f64.min(0.5 * rate * 0.95);
        if hi <= lo {
            return 0.0;
        }
        let chain = Chain::new(self, sample_rate);
        let k = k_weighting(rate);
        let steps = 4000;
        let (ln_lo, ln_hi) = (lo.ln(), hi.ln());
        let (mut flat, mut through) = (0.0, 0.0);
        for i in 0..=steps {
            let f = (ln_lo + (ln_hi - ln_lo) * f64::from(i) / f64::from(steps)).exp();
            let weight = if i == 0 || i == steps { 0.5 } else { 1.0 };
            let kk = k[0].magnitude_squared(rate, f) * k[1].magnitude_squared(rate, f);
            flat += weight * kk;
            through += weight * kk * chain.power(rate, f);
        }
        10.0 * (flat / through).log10()
    }

    /// The position in [`Preset::ALL`].
    fn index(self) -> usize {
        match self {
            Self::SmallSpeaker => 0,
            Self::Laptop => 1,
            Self::Earbuds => 2,
            Self::Car => 3,
        }
    }
}

/// The next preset in the cycle off -> small speaker -> laptop -> earbuds -> car -> off
/// (`None` is off: the flat path).
///
/// Realtime-safe.
pub fn next_preset(p: Option<Preset>) -> Option<Preset> {
    match p {
        None => Some(Preset::SmallSpeaker),
        Some(Preset::SmallSpeaker) => Some(Preset::Laptop),
        Some(Preset::Laptop) => Some(Preset::Earbuds),
        Some(Preset::Earbuds) => Some(Preset::Car),
        Some(Preset::Car) => None,
    }
}

/// The two K-weighting filters of ITU-R BS.1770 (the high-shelf "head" filter and the RLB
/// high-pass), designed for any rate as libebur128 does.
fn k_weighting(rate: f64) -> [Coeffs; 2] {
    let f0 = 1_681.974_450_955_533;
    let g = 3.999_843_853_973_347;
    let q = 0.707_175_236_955_419_6;
    let k = (std::f64::consts::PI * f0 / rate).tan();
    let vh = 10f64.powf(g / 20.0);
    let vb = vh.powf(0.499_666_774_154_541_6);
    let a0 = 1.0 + k / q + k * k;
    let shelf = Coeffs {
        b0: (vh + vb * k / q + k * k) / a0,
        b1: 2.0 * (k * k - vh) / a0,
        b2: (vh - vb * k / q + k * k) / a0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / q + k * k) / a0,
    };
    let f0 = 38.135_470_876_024_44;
    let q = 0.500_327_037_323_877_3;
    let k = (std::f64::consts::PI * f0 / rate).tan();
    let a0 = 1.0 + k / q + k * k;
    let high_pass = Coeffs {
        b0: 1.0,
        b1: -2.0,
        b2: 1.0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / q + k * k) / a0,
    };
    [shelf, high_pass]
}

/// A preset's sections designed for one sample rate.
#[derive(Debug, Clone, Copy)]
struct Chain {
    coeffs: [Coeffs; MAX_SECTIONS],
    len: usize,
}

impl Chain {
    fn new(preset: Preset, sample_rate: u32) -> Self {
        let mut coeffs = [Coeffs::IDENTITY; MAX_SECTIONS];
        let shapes = preset.shapes();
        for (c, shape) in coeffs.iter_mut().zip(shapes) {
            *c = shape.design(f64::from(sample_rate));
        }
        Self {
            coeffs,
            len: shapes.len().min(MAX_SECTIONS),
        }
    }

    /// `|H|^2` of the whole chain.
    fn power(&self, rate: f64, freq: f64) -> f64 {
        self.sections()
            .iter()
            .map(|c| c.magnitude_squared(rate, freq))
            .product()
    }

    fn sections(&self) -> &[Coeffs] {
        &self.coeffs[..self.len]
    }

    #[inline]
    fn run(&self, memory: &mut [State; MAX_SECTIONS], x: f64) -> f64 {
        self.sections()
            .iter()
            .zip(memory.iter_mut())
            .fold(x, |x, (c, m)| m.process(c, x))
    }
}

/// Everything the user can switch on the monitor section.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MonitorState {
    /// Stereo, mono or side.
    pub stereo: StereoMode,
    /// Left and right exchanged.
    pub swap: bool,
    /// Turned down by the dim amount.
    pub dim: bool,
    /// Silence (the panic button).
    pub mute_all: bool,
    /// A playback-system curve; `None` is flat.
    pub preset: Option<Preset>,
}

impl MonitorState {
    /// True when everything is off (the monitor is a true bypass).
    ///
    /// Realtime-safe.
    pub fn is_flat(&self) -> bool {
        *self == Self::default()
    }
}

/// How hard the safety ceiling worked since the last read.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CeilingReading {
    /// The largest gain reduction in dB (>= 0; 0 means the ceiling did not act).
    pub reduction_db: f32,
    /// Frames (one left and one right sample) the ceiling turned down.
    pub samples_limited: u32,
}

/// The ceiling's "max since last read", shared between the audio and UI threads (atomics only).
#[derive(Debug, Default)]
pub struct MonitorMeter {
    reduction_db: AtomicU32,
    samples_limited: AtomicU32,
}

impl MonitorMeter {
    /// Folds one block into the meter.
    fn publish(&self, reduction_db: f32, samples: u32) {
        if samples == 0 {
            return;
        }
        // Non-negative floats order like their bit patterns, so an integer max is a float max.
        let db = if reduction_db.is_finite() {
            reduction_db.max(0.0)
        } else {
            f32::MAX
        };
        self.reduction_db.fetch_max(db.to_bits(), Ordering::Relaxed);
        // The closure never returns `None`, so this cannot fail.
        let _ = self
            .samples_limited
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_add(samples))
            });
    }

    /// Everything since the last `take`, and starts afresh.
    ///
    /// Realtime-safe.
    pub fn take(&self) -> CeilingReading {
        CeilingReading {
            reduction_db: f32::from_bits(self.reduction_db.swap(0, Ordering::Relaxed)),
            samples_limited: self.samples_limited.swap(0, Ordering::Relaxed),
        }
    }
}

/// The part of the state that is switched under a fade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Routing {
    stereo: StereoMode,
    swap: bool,
    preset: Option<Preset>,
}

impl Routing {
    fn of(state: MonitorState) -> Self {
        Self {
            stereo: state.stereo,
            swap: state.swap,
            preset: state.preset,
        }
    }
}

/// NaN and infinities become silence.
#[inline]
fn finite(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
}

/// The monitor section's DSP (see the module documentation).
pub struct Monitor {
    state: MonitorState,
    /// The routing being heard.
    active: Routing,
    /// The routing asked for (differs from `active` while a switch fades out).
    wanted: Routing,
    /// The switching fade (5 ms each way).
    fade: Smoother,
    /// Dim and mute (10 ms glide).
    level: Smoother,
    dim: f32,
    chains: [Chain; 4],
    compensation: [f64; 4],
    /// Filter memory: `[left, right]`.
    memory: [[State; MAX_SECTIONS]; 2],
    ceiling: f32,
    /// How far below unity the ceiling's gain has released to so far (0 when it is not acting).
    reduction: f64,
    /// Per-sample factor of `reduction` during release.
    release_coef: f64,
    meter: Arc<MonitorMeter>,
}

impl Monitor {
    /// A monitor resting in the flat state. `ceiling` is the output safety ceiling in dBFS
    /// (e.g. -1 dB), `dim` the level of dim (e.g. -20 dB). Designs every preset for the rate.
    ///
    /// Not realtime-safe (allocates).
    pub fn new(sample_rate: u32, ceiling: Decibels, dim: Decibels) -> Self {
        let rate = sample_rate.max(1);
        let fade = ((f64::from(rate) * SWITCH_FADE_SECONDS).round() as u32).max(1);
        let release = (-1.0 / (CEILING_RELEASE_SECONDS * f64::from(rate))).exp();
        let dim = dim.to_amplitude();
        let mut monitor = Self {
            state: MonitorState::default(),
            active: Routing::default(),
            wanted: Routing::default(),
            fade: Smoother::new(1.0, fade),
            level: Smoother::new(1.0, ramp_frames(rate)),
            dim: if dim.is_finite() { dim } else { 1.0 },
            chains: Preset::ALL.map(|p| Chain::new(p, rate)),
            compensation: Preset::ALL.map(|p| 10f64.powf(p.compensation_db(rate) / 20.0)),
            memory: [[State::default(); MAX_SECTIONS]; 2],
            ceiling: 1.0,
            reduction: 0.0,
            release_coef: release,
            meter: Arc::new(MonitorMeter::default()),
        };
        monitor.set_ceiling(ceiling);
        monitor
    }

    /// The ceiling meter the UI reads.
    ///
    /// Realtime-safe (it only counts a reference), but meant for wiring threads at start-up.
    pub fn meter(&self) -> Arc<MonitorMeter> {
        Arc::clone(&self.meter)
    }

    /// Switches the monitor. Dim and mute glide over 10 ms; a change of stereo image, swap or
    /// preset fades out, switches and fades in (5 ms each way). Click-free in any sequence.
    ///
    /// Realtime-safe.
    pub fn set_state(&mut self, state: MonitorState) {
        self.state = state;
        self.level.set_target(if state.mute_all {
            0.0
        } else if state.dim {
            self.dim
        } else {
            1.0
        });
        self.wanted = Routing::of(state);
        self.fade
            .set_target(if self.wanted == self.active { 1.0 } else { 0.0 });
    }

    /// The state last set (what the user asked for, even while a switch is still fading).
    ///
    /// Realtime-safe.
    pub fn state(&self) -> MonitorState {
        self.state
    }

    /// Moves the safety ceiling (dBFS). A lower ceiling applies from the next sample; a higher
    /// one is reached by the usual release. A NaN level is ignored.
    ///
    /// Realtime-safe.
    pub fn set_ceiling(&mut self, ceiling: Decibels) {
        let amplitude = ceiling.to_amplitude();
        if !amplitude.is_nan() {
            self.ceiling = amplitude;
        }
    }

    /// Processes one block of the stereo output in place (any length; if the slices differ in
    /// length, only the common part is processed).
    ///
    /// Realtime-safe.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        let mut start = 0;
        while start < n {
            if self.fade.is_settled() && self.fade.target() == 0.0 && self.wanted != self.active {
                self.active = self.wanted;
                self.memory = [[State::default(); MAX_SECTIONS]; 2];
                self.fade.set_target(1.0);
            }
            let run = if self.fade.is_settled() {
                n - start
            } else {
                (self.fade.remaining() as usize).min(n - start)
            };
            let end = start + run;
            self.process_run(&mut left[start..end], &mut right[start..end]);
            start = end;
        }
        for memory in self.memory.iter_mut().flatten() {
            memory.tidy();
        }
        self.apply_ceiling(left, right);
    }

    /// Stereo image, swap, preset, dim/mute and the switching fade over a run of frames in
    /// which the routing does not change.
    fn process_run(&mut self, left: &mut [f32], right: &mut [f32]) {
        let routing = self.active;
        let resting = |s: &Smoother| s.is_settled() && s.target() == 1.0;
        if routing == Routing::default() && resting(&self.fade) && resting(&self.level) {
            return;
        }
        let chain = routing
            .preset
            .map(|p| (&self.chains[p.index()], self.compensation[p.index()]));
        let [memory_l, memory_r] = &mut self.memory;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let (x, y) = (finite(*l), finite(*r));
            let (x, y) = match routing.stereo {
                StereoMode::Stereo => (x, y),
                StereoMode::Mono => {
                    let m = (x + y) * MONO_GAIN;
                    (m, m)
                }
                StereoMode::Side => {
                    let s = (x - y) * MONO_GAIN;
                    (s, s)
                }
            };
            let (x, y) = if routing.swap { (y, x) } else { (x, y) };
            let (x, y) = match chain {
                Some((chain, gain)) => (
                    (chain.run(memory_l, f64::from(x)) * gain) as f32,
                    (chain.run(memory_r, f64::from(y)) * gain) as f32,
                ),
                None => (x, y),
            };
            let g = self.level.next_value() * self.fade.next_value();
            *l = x * g;
            *r = y * g;
        }
    }

    /// The safety ceiling: instant attack, exponential release, bit-transparent at rest.
    fn apply_ceiling(&mut self, left: &mut [f32], right: &mut [f32]) {
        let c = self.ceiling;
        let mut lowest = 1.0f64;
        let mut limited = 0u32;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let (x, y) = (finite(*l), finite(*r));
            let peak = x.abs().max(y.abs());
            let released = 1.0 - self.reduction;
            let gain = if peak > c {
                released.min(f64::from(c) / f64::from(peak))
            } else {
                released
            };
            if gain < 1.0 {
                let g = gain as f32;
                let limit = |v: f32| (v * g).max(-c).min(c);
                *l = limit(x);
                *r = limit(y);
                limited = limited.saturating_add(1);
                lowest = lowest.min(gain);
                let reduction = (1.0 - gain) * self.release_coef;
                self.reduction = if reduction < RELEASE_SNAP {
                    0.0
                } else {
                    reduction
                };
            } else {
                *l = x;
                *r = y;
            }
        }
        if limited > 0 {
            self.meter.publish((-20.0 * lowest.log10()) as f32, limited);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;

    fn monitor() -> Monitor {
        Monitor::new(RATE, Decibels(-1.0), Decibels(-20.0))
    }

    /// Runs a whole signal through the monitor in blocks of `block` frames.
    fn run(m: &mut Monitor, left: &mut [f32], right: &mut [f32], block: usize) {
        for (l, r) in left.chunks_mut(block).zip(right.chunks_mut(block)) {
            m.process(l, r);
        }
    }

    /// `frames` of a sine at `freq` Hz.
    fn sine(frames: usize, freq: f64, amplitude: f64) -> Vec<f32> {
        (0..frames)
            .map(|i| {
                let t = i as f64 / f64::from(RATE);
                (amplitude * (std::f64::consts::TAU * freq * t).sin()) as f32
            })
            .collect()
    }

    /// Asserts two signals are bit-identical, naming the first difference.
    fn assert_same(got: &[f32], want: &[f32]) {
        assert_eq!(got.len(), want.len());
        if let Some(i) = (0..got.len()).find(|&i| got[i].to_bits() != want[i].to_bits()) {
            panic!("sample {i}: {} instead of {}", got[i], want[i]);
        }
    }

    /// Processes 50 ms of silence so that every switch and glide has finished.
    fn settle(m: &mut Monitor) {
        let mut l = vec![0.0; 2400];
        let mut r = vec![0.0; 2400];
        run(m, &mut l, &mut r, 256);
    }

    /// The stereo mode and preset cycles visit every value once and the labels are the
    /// documented words.
    #[test]
    fn cycles_and_labels() {
        let mut mode = StereoMode::default();
        let mut labels = Vec::new();
        for _ in 0..3 {
            labels.push(mode.label());
            mode = mode.next();
        }
        assert_eq!(mode, StereoMode::Stereo);
        assert_eq!(labels, ["stereo", "mono", "side"]);
        let mut preset = None;
        let mut seen = Vec::new();
        loop {
            preset = next_preset(preset);
            match preset {
                Some(p) => seen.push(p),
                None => break,
            }
        }
        assert_eq!(seen, Preset::ALL);
        let names: Vec<_> = Preset::ALL.iter().map(|p| p.label()).collect();
        assert_eq!(names, ["small speaker", "laptop", "earbuds", "car"]);
        assert!(MonitorState::default().is_flat());
        let dimmed = MonitorState {
            dim: true,
            ..MonitorState::default()
        };
        assert!(!dimmed.is_flat());
    }

    /// With everything off, a mix under the ceiling leaves the monitor bit-identical, in any
    /// block size.
    #[test]
    fn flat_is_bit_identical() {
        let mut m = monitor();
        let left: Vec<f32> = sine(10_000, 440.0, 0.891);
        let right: Vec<f32> = sine(10_000, 97.0, 0.5);
        let (mut l, mut r) = (left.clone(), right.clone());
        for block in [1, 7, 64, 4096] {
            run(&mut m, &mut l, &mut r, block);
        }
        assert_same(&l, &left);
        assert_same(&r, &right);
        assert_eq!(m.meter().take(), CeilingReading::default());
    }

    /// Mono is `(L + R) * 10^(-3/20)` and side `(L - R) * 10^(-3/20)` on both outputs, and swap
    /// exchanges the sides exactly.
    #[test]
    fn mono_side_swap_are_exact() {
        let g = 10f64.powf(-3.0 / 20.0);
        let left = sine(4800, 440.0, 0.4);
        let right = sine(4800, 660.0, 0.3);
        let cases = [
            (StereoMode::Mono, false, 1.0),
            (StereoMode::Side, false, -1.0),
            (StereoMode::Mono, true, 1.0),
        ];
        for (stereo, swap, sign) in cases {
            let mut m = monitor();
            m.set_state(MonitorState {
                stereo,
                swap,
                ..MonitorState::default()
            });
            settle(&mut m);
            let (mut l, mut r) = (left.clone(), right.clone());
            run(&mut m, &mut l, &mut r, 333);
            for i in 0..l.len() {
                let want = (f64::from(left[i]) + sign * f64::from(right[i])) * g;
                assert!((f64::from(l[i]) - want).abs() < 1e-6, "{stereo:?} at {i}");
                assert_eq!(l[i], r[i]);
            }
        }
        let mut m = monitor();
        m.set_state(MonitorState {
            swap: true,
            ..MonitorState::default()
        });
        settle(&mut m);
        let (mut l, mut r) = (left.clone(), right.clone());
        run(&mut m, &mut l, &mut r, 100);
        assert_same(&l, &right);
        assert_same(&r, &left);
    }

    /// A centred source comes out 3 dB louder in mono and vanishes in side; a hard-panned one
    /// comes out 3 dB quieter on both speakers in either.
    #[test]
    fn mono_and_side_on_centred_and_panned_sources() {
        let level = |stereo, l: f32, r: f32| {
            let mut m = monitor();
            m.set_state(MonitorState {
                stereo,
                ..MonitorState::default()
            });
            settle(&mut m);
            let (mut a, mut b) = ([l; 16], [r; 16]);
            m.process(&mut a, &mut b);
            (a[15], b[15])
        };
        let db = |x: f32| 20.0 * f64::from(x).log10();
        let (a, b) = level(StereoMode::Mono, 0.25, 0.25);
        assert!((db(a) - db(0.25) - 3.0103).abs() < 0.02 && a == b);
        assert_eq!(level(StereoMode::Side, 0.25, 0.25), (0.0, 0.0));
        for stereo in [StereoMode::Mono, StereoMode::Side] {
            let (a, b) = level(stereo, 0.25, 0.0);
            assert!((db(a) - db(0.25) + 3.0).abs() < 1e-4 && a == b);
        }
    }

    /// Dim is -20 dB once settled, within 0.01 dB; mute all gives exact zeros after its 10 ms
    /// glide; undimmed and unmuted the path is bit-identical again.
    #[test]
    fn dim_and_mute() {
        let mut m = monitor();
        let input = sine(4800, 1000.0, 0.5);
        m.set_state(MonitorState {
            dim: true,
            ..MonitorState::default()
        });
        let (mut l, mut r) = (input.clone(), input.clone());
        run(&mut m, &mut l, &mut r, 128);
        for i in 480..l.len() {
            if input[i].abs() > 0.01 {
                let db = 20.0 * (f64::from(l[i]) / f64::from(input[i])).log10();
                assert!((db + 20.0).abs() < 0.01, "{db} at {i}");
            }
        }
        m.set_state(MonitorState {
            mute_all: true,
            ..MonitorState::default()
        });
        let (mut l, mut r) = (input.clone(), input.clone());
        run(&mut m, &mut l, &mut r, 100);
        assert!(l[480..].iter().chain(&r[480..]).all(|&x| x == 0.0));
        m.set_state(MonitorState::default());
        let (mut l, mut r) = (input.clone(), input.clone());
        run(&mut m, &mut l, &mut r, 100);
        assert_same(&l[480..], &input[480..]);
        assert_same(&r[480..], &input[480..]);
    }

    /// Every preset's exact response matches its documented curve at every documented point:
    /// to the table's rounding at 48 kHz, within 0.05 dB up to 5 kHz at 44.1 kHz.
    #[test]
    fn response_matches_documented_curve() {
        for p in Preset::ALL {
            for &(f, db) in p.documented_db() {
                let got = p.response_db(48_000, f);
                assert!((got - db).abs() <= 0.05 + 1e-9, "{p:?} at {f} Hz: {got}");
                if f <= 5000.0 {
                    let got = p.response_db(44_100, f);
                    assert!((got - db).abs() <= 0.1, "{p:?} at {f} Hz, 44.1 kHz: {got}");
                }
            }
            assert!(!p.describe().is_empty());
        }
    }

    /// A +6 dBFS sine and a full-scale square never leave above the ceiling; the meter reports
    /// the reduction once and then reads zero.
    #[test]
    fn ceiling_holds_hot_signals() {
        let ceiling = Decibels(-1.0).to_amplitude();
        let square: Vec<f32> = (0..9600)
            .map(|i| if i / 48 % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        for input in [sine(9600, 220.0, 2.0), square] {
            let mut m = monitor();
            let meter = m.meter();
            let (mut l, mut r) = (input.clone(), input.clone());
            run(&mut m, &mut l, &mut r, 256);
            let worst = l.iter().chain(&r).fold(0f32, |a, x| a.max(x.abs()));
            assert!(worst <= ceiling + 1e-6, "{worst}");
            let reading = meter.take();
            let peak = input.iter().fold(0f32, |a, x| a.max(x.abs()));
            let want = 20.0 * (f64::from(peak) / f64::from(ceiling)).log10();
            assert!(
                (f64::from(reading.reduction_db) - want).abs() < 1e-3,
                "{reading:?}"
            );
            assert!(reading.samples_limited > 0);
            assert_eq!(meter.take(), CeilingReading::default());
        }
    }

    /// After a hot burst the ceiling releases back to exactly unity, so a quiet signal passes
    /// bit-identical again and the meter stays at zero.
    #[test]
    fn ceiling_releases_to_bit_transparent() {
        let mut m = monitor();
        let meter = m.meter();
        let (mut l, mut r) = (sine(4800, 100.0, 4.0), sine(4800, 100.0, 4.0));
        run(&mut m, &mut l, &mut r, 512);
        settle(&mut m);
        let mut quiet = vec![0f32; 48_000 * 3];
        let (mut ql, mut qr) = (quiet.clone(), quiet.clone());
        run(&mut m, &mut ql, &mut qr, 512);
        assert!(meter.take().reduction_db > 12.0);
        quiet = sine(4800, 1000.0, 0.5);
        let (mut ql, mut qr) = (quiet.clone(), quiet.clone());
        run(&mut m, &mut ql, &mut qr, 512);
        assert_same(&ql, &quiet);
        assert_same(&qr, &quiet);
        assert_eq!(meter.take(), CeilingReading::default());
    }

    /// A lower ceiling applies at once; NaN and infinite samples come out as silence and do not
    /// break the filters.
    #[test]
    fn ceiling_moves_and_bad_samples_are_silenced() {
        let mut m = monitor();
        m.set_ceiling(Decibels(-12.0));
        m.set_ceiling(Decibels(f64::NAN));
        let c = Decibels(-12.0).to_amplitude();
        let (mut l, mut r) = (vec![0.5f32; 64], vec![-0.5f32; 64]);
        m.process(&mut l, &mut r);
        assert!(l.iter().chain(&r).all(|x| x.abs() <= c));
        let mut m = monitor();
        m.set_state(MonitorState {
            preset: Some(Preset::Car),
            ..MonitorState::default()
        });
        settle(&mut m);
        let (mut l, mut r) = (
            [f32::NAN, f32::INFINITY, 0.1],
            [f32::NEG_INFINITY, 0.1, f32::NAN],
        );
        m.process(&mut l, &mut r);
        let (mut l, mut r) = (vec![0.1f32; 4800], vec![0.1f32; 4800]);
        m.process(&mut l, &mut r);
        assert!(l.iter().chain(&r).all(|x| x.is_finite()));
        let db = Preset::Car.response_db(RATE, 0.0) + Preset::Car.compensation_db(RATE);
        assert!(
            (f64::from(l[4799]) - 0.1 * 10f64.powf(db / 20.0)).abs() < 1e-4,
            "{}",
            l[4799]
        );
    }
}
