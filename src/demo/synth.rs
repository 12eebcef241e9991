//! Sample-level building blocks for the demo synthesiser: deterministic maths, a seeded random
//! source, filters, envelopes and a small reverb. The instruments in `instruments.rs` are built
//! from these.
//!
//! Everything here is bit-reproducible on every machine: only IEEE-754 `+ - * /`, `sqrt`,
//! and integer casts are used on audio paths (all correctly rounded), never the platform's
//! `sin`/`exp`/`powf`, whose last bits differ between C libraries. [`sin_turns`] and [`exp2`]
//! are polynomial approximations accurate to well below the 24-bit noise floor.

// The tests build this crate at opt-level 1, where LLVM inlines only `#[inline(always)]`
// functions; the tiny per-sample helpers here are marked so, which halves the test-profile
// generation time and changes nothing in an optimised build.
#![allow(clippy::inline_always)]

use rand_core::{Rng as _, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The sample rate every demo stem is synthesised at.
pub const SAMPLE_RATE: u32 = 48_000;

/// What audio buffers hold. Synthesis runs in `f64`; parts are summed into `f32` buffers, which
/// keeps precision far beyond 24 bits and halves the memory (and page faults) of a stem.
pub type Sample = f32;

/// [`SAMPLE_RATE`] as a float, for the arithmetic.
pub const SR: f64 = 48_000.0;

/// `sin(2 pi x)`: the sine of `x` turns (cycles), so oscillator phases never need wrapping.
/// Absolute error below 1e-9 (-180 dB).
#[inline(always)]
pub fn sin_turns(x: f64) -> f64 {
    // Reduce to r in [-1/2, 1/2] (an integer cast, not the libm `round` call), then fold into
    // [-1/4, 1/4] with sin(pi - a) = sin(a).
    let mut r = x - (x as i64) as f64;
    if r > 0.5 {
        r -= 1.0;
    } else if r < -0.5 {
        r += 1.0;
    }
    if r > 0.25 {
        r = 0.5 - r;
    } else if r < -0.25 {
        r = -0.5 - r;
    }
    let t = r * std::f64::consts::TAU;
    let t2 = t * t;
    // Taylor series to t^13 (Horner form); at |t| = pi/2 the first omitted term is 7e-10.
    let mut p = 1.0 / 6_227_020_800.0;
    p = -1.0 / 39_916_800.0 + t2 * p;
    p = 1.0 / 362_880.0 + t2 * p;
    p = -1.0 / 5040.0 + t2 * p;
    p = 1.0 / 120.0 + t2 * p;
    p = -1.0 / 6.0 + t2 * p;
    t + t * t2 * p
}

/// `cos(2 pi x)`.
#[inline(always)]
pub fn cos_turns(x: f64) -> f64 {
    sin_turns(x + 0.25)
}

/// `2^x`, relative error below 1e-11 (0 below 2^-1000).
#[inline(always)]
pub fn exp2(x: f64) -> f64 {
    if x < -1000.0 {
        return 0.0;
    }
    let x = x.min(1000.0);
    // Nearest integer n, so the fraction y is in [-1/2, 1/2] and the series is short.
    let n = round_to_i64(x);
    let y = (x - n as f64) * std::f64::consts::LN_2;
    // e^y by its Taylor series to y^10 in Horner form; the first omitted term is below 1e-11.
    let mut p = 1.0 / 3_628_800.0;
    for c in [
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = c + y * p;
    }
    p * f64::from_bits(((n + 1023) as u64) << 52)
}

/// `e^x`.
pub fn exp(x: f64) -> f64 {
    exp2(x * std::f64::consts::LOG2_E)
}

/// The amplitude factor of a level in dB: `10^(db/20)`.
pub fn db_to_amp(db: f64) -> f64 {
    exp2(db / 20.0 * std::f64::consts::LOG2_10)
}

/// The frequency of a MIDI note number (A4 = 69 = 440 Hz; fractional notes bend).
#[inline(always)]
pub fn midi_to_hz(midi: f64) -> f64 {
    440.0 * exp2((midi - 69.0) / 12.0)
}

/// A cheap soft clipper shaped like `tanh` (its Padé approximant), exactly +-1 beyond +-3.
#[inline(always)]
pub fn soft_clip(x: f64) -> f64 {
    if x >= 3.0 {
        1.0
    } else if x <= -3.0 {
        -1.0
    } else {
        let x2 = x * x;
        x * (27.0 + x2) / (27.0 + 9.0 * x2)
    }
}

/// The per-sample multiplier of an exponential decay that falls by 60 dB in `t60` seconds.
pub fn decay_per_sample(t60: f64) -> f64 {
    exp2(-3.0 * std::f64::consts::LOG2_10 / (t60.max(1e-4) * SR))
}

/// The per-sample coefficient of a one-pole smoother with time constant `tau` seconds
/// (`y += k * (target - y)`).
pub fn smoothing_coeff(tau: f64) -> f64 {
    1.0 - exp(-1.0 / (tau.max(1e-6) * SR))
}

/// A seconds value as a sample index (negative times clamp to 0).
pub fn to_samples(seconds: f64) -> usize {
    (seconds.max(0.0) * SR).round() as usize
}

/// The seeded pseudo-random source every part uses: xoshiro256++, so the same seed gives the
/// same numbers on every platform.
#[derive(Debug, Clone)]
pub struct Rng(Xoshiro256PlusPlus);

impl Rng {
    /// A generator for one part, from its fixed seed.
    pub fn new(seed: u64) -> Self {
        Self(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    /// Uniform in `[0, 1)`.
    #[inline(always)]
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in `[-1, 1)`.
    #[inline(always)]
    pub fn bipolar(&mut self) -> f64 {
        self.unit() * 2.0 - 1.0
    }

    /// Roughly normal with standard deviation 1 (a sum of four uniforms, bounded at +-3.5).
    pub fn normal(&mut self) -> f64 {
        let s = self.unit() + self.unit() + self.unit() + self.unit();
        (s - 2.0) * 1.732_050_807_568_877_2
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// Small deterministic imperfections: when a player hits, and how hard.
#[derive(Debug, Clone)]
pub struct Humanize {
    rng: Rng,
    /// Standard deviation of the timing error, in seconds.
    pub timing: f64,
    /// Standard deviation of the velocity error, as a fraction of the velocity.
    pub velocity: f64,
}

impl Humanize {
    /// A humaniser with its own seed.
    pub fn new(seed: u64, timing: f64, velocity: f64) -> Self {
        Self {
            rng: Rng::new(seed),
            timing,
            velocity,
        }
    }

    /// A time moved slightly off the grid (never before 0).
    pub fn time(&mut self, t: f64) -> f64 {
        (t + self.rng.normal() * self.timing).max(0.0)
    }

    /// A velocity varied slightly, kept in `0.05..=1`.
    pub fn vel(&mut self, v: f64) -> f64 {
        (v * (1.0 + self.rng.normal() * self.velocity)).clamp(0.05, 1.0)
    }

    /// The underlying generator, for other random choices of the same part.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }
}

/// Values this small are flushed to zero in filter state, so long silences never run on
/// denormal numbers (slow on some CPUs).
const TINY: f64 = 1e-30;

/// A one-pole low-pass filter (`y += a (x - y)`); its high-pass output is `x - y`.
#[derive(Debug, Clone, Copy)]
pub struct OnePole {
    a: f64,
    y: f64,
}

impl OnePole {
    /// A low-pass with its -3 dB point near `cutoff` Hz.
    pub fn new(cutoff: f64) -> Self {
        Self {
            a: 1.0 - exp(-std::f64::consts::TAU * cutoff / SR),
            y: 0.0,
        }
    }

    /// Filters one sample, returning the low-pass output.
    #[inline(always)]
    pub fn lowpass(&mut self, x: f64) -> f64 {
        self.y += self.a * (x - self.y);
        if self.y.abs() < TINY {
            self.y = 0.0;
        }
        self.y
    }

    /// Filters one sample, returning the high-pass output.
    #[inline(always)]
    pub fn highpass(&mut self, x: f64) -> f64 {
        x - self.lowpass(x)
    }
}

/// A second-order filter (RBJ cookbook designs), transposed direct form II.
#[derive(Debug, Clone, Copy, Default)]
pub struct Biquad {
    b0: f64,
    b1: f64,
    b2: f64,
    a1: f64,
    a2: f64,
    z1: f64,
    z2: f64,
}

impl Biquad {
    fn normalised(b: [f64; 3], a: [f64; 3], keep: &Self) -> Self {
        Self {
            b0: b[0] / a[0],
            b1: b[1] / a[0],
            b2: b[2] / a[0],
            a1: a[1] / a[0],
            a2: a[2] / a[0],
            z1: keep.z1,
            z2: keep.z2,
        }
    }

    fn omega(freq: f64, q: f64) -> (f64, f64) {
        let w = (freq / SR).clamp(1e-5, 0.49);
        let alpha = sin_turns(w) / (2.0 * q);
        (cos_turns(w), alpha)
    }

    /// A 12 dB/octave low-pass at `freq` Hz with resonance `q` (0.707 is flat).
    pub fn lowpass(freq: f64, q: f64) -> Self {
        let mut f = Self::default();
        f.set_lowpass(freq, q);
        f
    }

    /// Retunes a low-pass in place, keeping its state (for sweeps).
    pub fn set_lowpass(&mut self, freq: f64, q: f64) {
        let (c, alpha) = Self::omega(freq, q);
        let b1 = 1.0 - c;
        *self = Self::normalised(
            [b1 / 2.0, b1, b1 / 2.0],
            [1.0 + alpha, -2.0 * c, 1.0 - alpha],
            self,
        );
    }

    /// A 12 dB/octave high-pass at `freq` Hz.
    pub fn highpass(freq: f64, q: f64) -> Self {
        let (c, alpha) = Self::omega(freq, q);
        let b1 = -(1.0 + c);
        Self::normalised(
            [-b1 / 2.0, b1, -b1 / 2.0],
            [1.0 + alpha, -2.0 * c, 1.0 - alpha],
            &Self::default(),
        )
    }

    /// A band-pass with 0 dB gain at its centre `freq` Hz.
    pub fn bandpass(freq: f64, q: f64) -> Self {
        let mut f = Self::default();
        f.set_bandpass(freq, q);
        f
    }

    /// Retunes a band-pass in place, keeping its state (for moving formants).
    pub fn set_bandpass(&mut self, freq: f64, q: f64) {
        let (c, alpha) = Self::omega(freq, q);
        *self = Self::normalised(
            [alpha, 0.0, -alpha],
            [1.0 + alpha, -2.0 * c, 1.0 - alpha],
            self,
        );
    }

    /// A peaking equaliser: `gain_db` at `freq` Hz, bandwidth set by `q`.
    pub fn peaking(freq: f64, q: f64, gain_db: f64) -> Self {
        let (c, alpha) = Self::omega(freq, q);
        let a = db_to_amp(gain_db / 2.0);
        Self::normalised(
            [1.0 + alpha * a, -2.0 * c, 1.0 - alpha * a],
            [1.0 + alpha / a, -2.0 * c, 1.0 - alpha / a],
            &Self::default(),
        )
    }

    /// Filters one sample.
    #[inline(always)]
    pub fn process(&mut self, x: f64) -> f64 {
        let y = self.b0 * x + self.z1;
        self.z1 = self.b1 * x - self.a1 * y + self.z2;
        self.z2 = self.b2 * x - self.a2 * y;
        if self.z1.abs() < TINY {
            self.z1 = 0.0;
        }
        if self.z2.abs() < TINY {
            self.z2 = 0.0;
        }
        y
    }
}

/// A sine oscillator that rotates a unit vector instead of calling `sin`: a few multiplies per
/// sample. Over a note's length the rounding drift stays far below audibility.
#[derive(Debug, Clone, Copy)]
pub struct Rotor {
    c: f64,
    s: f64,
    cw: f64,
    sw: f64,
}

impl Rotor {
    /// A sine at `freq` Hz starting at phase 0.
    pub fn new(freq: f64) -> Self {
        let step = (freq / SR).min(0.5);
        Self {
            c: 1.0,
            s: 0.0,
            cw: cos_turns(step),
            sw: sin_turns(step),
        }
    }

    /// The next sample of `sin(2 pi freq t)`.
    #[inline(always)]
    pub fn next_sample(&mut self) -> f64 {
        let (c, s) = (self.c, self.s);
        self.c = c * self.cw - s * self.sw;
        self.s = s * self.cw + c * self.sw;
        s
    }
}

/// Runs a chain of filters over a buffer, all filters per sample in one pass (much faster than
/// one pass per filter: the filters' recursions overlap in the CPU).
pub fn run_chain(buf: &mut [Sample], filters: &mut [Biquad]) {
    for x in buf {
        let mut y = f64::from(*x);
        for f in filters.iter_mut() {
            y = f.process(y);
        }
        *x = y as Sample;
    }
}

/// Rounds half away from zero with an integer cast (no libm call on the hot path).
#[inline(always)]
pub fn round_to_i64(x: f64) -> i64 {
    if x >= 0.0 {
        (x + 0.5) as i64
    } else {
        (x - 0.5) as i64
    }
}

/// The length of every reverb delay buffer: a power of two, so positions wrap with a mask.
const ROOM_BUF: usize = 1024;
const ROOM_MASK: usize = ROOM_BUF - 1;
/// Unused padding after each buffer, so the buffers' write positions do not all fall in the
/// same cache set (1024 doubles are exactly 8 KiB).
const ROOM_STRIDE: usize = ROOM_BUF + 24;
/// The room runs at half the sample rate: a tail has little above 10 kHz, and this halves
/// the cost of the most expensive effect in the demos.
const ROOM_RATE: f64 = SR / 2.0;

/// The core of [`Reverb`], at [`ROOM_RATE`]: two all-pass diffusers into an eight-line feedback
/// delay network (Hadamard mixing, per-line decay set from the reverb time, a damping low-pass
/// in each line). Every line is independent within a sample.
#[derive(Debug, Clone)]
struct Room {
    /// The two diffusers' buffers and the eight lines, all written at `pos`.
    diffusers: Box<[[f64; ROOM_STRIDE]]>,
    lines: Box<[[f64; ROOM_STRIDE]]>,
    pos: usize,
    gain: [f64; 8],
    damp: [f64; 8],
    damp_a: f64,
    out_gain: f64,
}

impl Room {
    const DIFFUSERS: [usize; 2] = [113, 173];
    const LINES: [usize; 8] = [521, 577, 641, 701, 769, 829, 893, 977];
    /// 1/sqrt(8): keeps the Hadamard mix lossless.
    const SCALE: f64 = 0.353_553_390_593_273_8;

    fn new(t60: f64, damp_hz: f64) -> Self {
        let gain = Self::LINES.map(|n| {
            exp2(-3.0 * std::f64::consts::LOG2_10 * n as f64 / (t60.max(0.05) * ROOM_RATE))
        });
        Self {
            diffusers: vec![[0.0; ROOM_STRIDE]; 2].into_boxed_slice(),
            lines: vec![[0.0; ROOM_STRIDE]; 8].into_boxed_slice(),
            pos: 0,
            gain,
            damp: [0.0; 8],
            damp_a: 1.0 - exp(-std::f64::consts::TAU * damp_hz.min(0.4 * ROOM_RATE) / ROOM_RATE),
            // Measured: the raw tail's energy is about -17 dB at 1.2 s and grows with the time.
            out_gain: 0.5 * 6.8 * (1.2 / t60.max(0.05)).sqrt(),
        }
    }

    // Index loops: the eight lines are walked in step, and plain indexing optimises well even
    // at the test profile's opt-level 1 (iterator chains there cost twice the time).
    #[allow(clippy::needless_range_loop)]
    fn process(&mut self, x: f64) -> (f64, f64) {
        let w = self.pos;
        // Two Schroeder all-passes smear the input into a dense cloud.
        let mut input = x;
        for (buf, d) in self.diffusers.iter_mut().zip(Self::DIFFUSERS) {
            let delayed = buf[(w.wrapping_sub(d)) & ROOM_MASK];
            let v = input + 0.5 * delayed;
            buf[w & ROOM_MASK] = v;
            input = delayed - 0.5 * v;
        }
        let input = input * 0.25;
        let mut v = [0.0; 8];
        for k in 0..8 {
            let y = self.lines[k][(w.wrapping_sub(Self::LINES[k])) & ROOM_MASK];
            self.damp[k] += self.damp_a * (y - self.damp[k]);
            v[k] = self.damp[k] * self.gain[k];
        }
        let left = v[0] - v[2] + v[4] - v[6];
        let right = v[1] - v[3] + v[5] - v[7];
        // Fast Walsh–Hadamard transform, scaled by 1/sqrt(8) to stay lossless.
        let [a0, a1, a2, a3, a4, a5, a6, a7] = v;
        let (b0, b1, b2, b3) = (a0 + a1, a0 - a1, a2 + a3, a2 - a3);
        let (b4, b5, b6, b7) = (a4 + a5, a4 - a5, a6 + a7, a6 - a7);
        let (c0, c1, c2, c3) = (b0 + b2, b1 + b3, b0 - b2, b1 - b3);
        let (c4, c5, c6, c7) = (b4 + b6, b5 + b7, b4 - b6, b5 - b7);
        let mixed = [
            c0 + c4,
            c1 + c5,
            c2 + c6,
            c3 + c7,
            c0 - c4,
            c1 - c5,
            c2 - c6,
            c3 - c7,
        ];
        for k in 0..8 {
            let feed = if k % 2 == 0 { input } else { -input };
            self.lines[k][w & ROOM_MASK] = mixed[k] * Self::SCALE + feed;
        }
        self.pos = (w + 1) & ROOM_MASK;
        (left * self.out_gain, right * self.out_gain)
    }

    fn clear(&mut self) {
        for buf in self.diffusers.iter_mut().chain(self.lines.iter_mut()) {
            buf.fill(0.0);
        }
        self.damp = [0.0; 8];
    }
}

/// A small stereo room. It runs at half rate (pairs of input samples averaged in, its output
/// interpolated back out) and idles through long silences: once its input has been exactly zero
/// for `2 * t60` (the tail is 120 dB down) it is emptied and skipped until sound returns, which
/// also keeps its feedback out of denormal numbers. The wet signal is scaled so an impulse's
/// tail has about the impulse's energy: a `wet` of 0.25 puts the room 12 dB under the dry
/// sound.
#[derive(Debug, Clone)]
pub struct Reverb {
    room: Room,
    quiet: usize,
    dead_after: usize,
    /// The first sample of the pair being collected, when there is one.
    pending: Option<f64>,
    last: (f64, f64),
    now: (f64, f64),
}

impl Reverb {
    /// A room whose tail falls 60 dB in `t60` seconds, darker above `damp_hz`.
    pub fn new(t60: f64, damp_hz: f64) -> Self {
        Self {
            room: Room::new(t60, damp_hz),
            quiet: 0,
            dead_after: to_samples(t60 * 2.0) + 1,
            pending: None,
            last: (0.0, 0.0),
            now: (0.0, 0.0),
        }
    }

    /// The wet output, left and right, for one input sample; `None` while idle (silent).
    pub fn process(&mut self, x: f64) -> Option<(f64, f64)> {
        if x == 0.0 {
            self.quiet += 1;
            if self.quiet == self.dead_after {
                self.room.clear();
                (self.pending, self.last, self.now) = (None, (0.0, 0.0), (0.0, 0.0));
            }
            if self.quiet >= self.dead_after {
                return None;
            }
        } else {
            self.quiet = 0;
        }
        Some(match self.pending.take() {
            None => {
                self.pending = Some(x);
                self.now
            }
            Some(first) => {
                self.last = self.now;
                self.now = self.room.process(0.5 * (first + x));
                (
                    0.5 * (self.last.0 + self.now.0),
                    0.5 * (self.last.1 + self.now.1),
                )
            }
        })
    }
}

/// Adds a mono reverb to a buffer in place: `x + wet * reverb(x)`.
pub fn add_reverb(buf: &mut [Sample], t60: f64, damp_hz: f64, wet: f64) {
    let mut rev = Reverb::new(t60, damp_hz);
    for x in buf {
        if let Some((l, r)) = rev.process(f64::from(*x)) {
            *x += (wet * 0.5 * (l + r)) as Sample;
        }
    }
}

/// Adds a stereo reverb of the sum of a stereo pair to both sides.
pub fn add_stereo_reverb(
    left: &mut [Sample],
    right: &mut [Sample],
    t60: f64,
    damp_hz: f64,
    wet: f64,
) {
    let mut rev = Reverb::new(t60, damp_hz);
    for (l, r) in left.iter_mut().zip(right.iter_mut()) {
        if let Some((wl, wr)) = rev.process(0.5 * f64::from(*l + *r)) {
            *l += (wet * wl) as Sample;
            *r += (wet * wr) as Sample;
        }
    }
}

/// A feedback echo, added in place: repeats every `delay` seconds, each `feedback` times the
/// last, darkened by a low-pass at `tone` Hz.
pub fn add_echo(buf: &mut [Sample], delay: f64, feedback: f64, wet: f64, tone: f64) {
    let n = to_samples(delay).max(1);
    let mut line = vec![0.0; n];
    let mut lp = OnePole::new(tone);
    let mut idx = 0;
    for x in buf {
        let delayed = line[idx];
        line[idx] = lp.lowpass(f64::from(*x) + delayed * feedback);
        idx = (idx + 1) % n;
        *x += (wet * delayed) as Sample;
    }
}

/// A linear gain ramp over the first `fade_in` and last `fade_out` samples of a region, so
/// nothing starts or stops with a click.
#[inline(always)]
pub fn edge_fade(i: usize, len: usize, fade_in: usize, fade_out: usize) -> f64 {
    let mut g = 1.0;
    if i < fade_in {
        g = i as f64 / fade_in as f64;
    }
    let left = len.saturating_sub(i);
    if left < fade_out {
        g = g.min(left as f64 / fade_out as f64);
    }
    g
}

/// The `PolyBLEP` correction for a naive sawtooth at `phase` (0..1) stepping `dt` per sample;
/// subtracting it removes most of the aliasing.
#[inline(always)]
pub fn poly_blep(phase: f64, dt: f64) -> f64 {
    if phase < dt {
        let t = phase / dt;
        t + t - t * t - 1.0
    } else if phase > 1.0 - dt {
        let t = (phase - 1.0) / dt;
        t * t + t + t + 1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The polynomial sine and exp2 agree with the platform's to far below 24-bit noise, and the
    /// soft clipper stays close to tanh.
    #[test]
    fn deterministic_maths_is_accurate() {
        for i in -2000..2000 {
            let x = f64::from(i) * 0.001_37;
            assert!(
                (sin_turns(x) - (x * std::f64::consts::TAU).sin()).abs() < 1e-9,
                "sin {x}"
            );
            assert!(
                (cos_turns(x) - (x * std::f64::consts::TAU).cos()).abs() < 1e-9,
                "cos {x}"
            );
            let e = x * 10.0;
            assert!((exp2(e) / e.exp2() - 1.0).abs() < 1e-10, "exp2 {e}");
            assert!((soft_clip(x) - x.tanh()).abs() < 0.025, "soft clip {x}");
        }
        assert!((midi_to_hz(69.0) - 440.0).abs() < 1e-9);
        assert!((db_to_amp(-6.0) - 0.501_187_233_627_272_2).abs() < 1e-12);
    }

    /// The same seed gives the same numbers, and uniform draws stay in range.
    #[test]
    fn rng_is_seeded_and_bounded() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..1000 {
            let x = a.unit();
            assert!((0.0..1.0).contains(&x));
            assert!(x.to_bits() == b.unit().to_bits());
        }
    }

    /// A band-pass passes its centre at 0 dB and rejects DC.
    #[test]
    fn bandpass_has_unity_peak() {
        let mut f = Biquad::bandpass(1000.0, 2.0);
        let mut peak: f64 = 0.0;
        for i in 0..48_000 {
            let y = f.process(sin_turns(f64::from(i) * 1000.0 / SR));
            if i > 24_000 {
                peak = peak.max(y.abs());
            }
        }
        assert!((peak - 1.0).abs() < 0.01, "peak {peak}");
        let mut f = Biquad::bandpass(1000.0, 2.0);
        let mut last = 1.0;
        for _ in 0..48_000 {
            last = f.process(1.0);
        }
        assert!(last.abs() < 1e-6);
    }
}
