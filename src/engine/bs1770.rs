//! The pieces of the offline meters (the report's and the exercises' in
//! [`crate::analysis::meter`], the bounce's in [`super::render`]), after ITU-R BS.1770 and EBU Tech 3341
//! and 3342: the K-weighting filter, 100 ms block energies and what is read from them
//! (integrated loudness, short-term loudness, loudness range), and the 4x true-peak
//! interpolator. Not realtime-safe (they allocate when made and as gating blocks come).
//!
//! They compute what the `ebur128` crate computes (its figures are the tests' oracle), arranged
//! so that one filter per source serves the whole-song meter and every span's, and so that the
//! true peak is interpolated only where it could rise: an interpolated sample is at most the
//! highest input magnitude in its window times the sum of the magnitudes of its phase's taps,
//! so a stretch whose sample peak times that bound stays under the peak found so far is
//! skipped, exactly.

/// The energy of the absolute gate, -70 LUFS: gating blocks and short-term windows below it
/// are not kept (as `ebur128` does).
fn absolute_gate() -> f64 {
    energy_of(-70.0)
}

/// The mean square of a loudness (the inverse of BS.1770's `-0.691 + 10 log10`).
pub(crate) fn energy_of(lufs: f64) -> f64 {
    if lufs.is_finite() {
        10f64.powf((lufs + 0.691) / 10.0)
    } else {
        0.0
    }
}

/// The loudness of a mean square, LUFS; `-inf` for none.
pub(crate) fn loudness_of(energy: f64) -> f64 {
    if energy > 0.0 {
        10.0 * energy.log10() - 0.691
    } else {
        f64::NEG_INFINITY
    }
}

/// The K-weighting filter (BS.1770's high-shelf pre-filter, then its RLB high-pass) of one
/// stereo source, in `f64`, two biquads per channel; the coefficients are those BS.1770 gives
/// at 48 kHz, re-derived for the rate from the analogue prototypes (as `ebur128` does).
pub(crate) struct KWeighting {
    /// The shelf: b0, b1, b2, a1, a2.
    shelf: [f64; 5],
    /// The high-pass: a1, a2 (its numerator is 1, -2, 1).
    high: [f64; 2],
    /// Per channel: the shelf's last two internal values, then the high-pass's.
    state: [[f64; 4]; 2],
}

impl KWeighting {
    /// The filter at `rate` Hz, at rest.
    pub(crate) fn new(rate: u32) -> Self {
        let rate = f64::from(rate);
        // The shelf: +4 dB above about 1.7 kHz.
        let (f0, gain_db, q) = (
            1_681.974_450_955_533,
            3.999_843_853_973_347,
            0.707_175_236_955_419_6,
        );
        let k = (std::f64::consts::PI * f0 / rate).tan();
        let vh = 10f64.powf(gain_db / 20.0);
        let vb = vh.powf(0.499_666_774_154_541_6);
        let a0 = 1.0 + k / q + k * k;
        let shelf = [
            (vh + vb * k / q + k * k) / a0,
            2.0 * (k * k - vh) / a0,
            (vh - vb * k / q + k * k) / a0,
            2.0 * (k * k - 1.0) / a0,
            (1.0 - k / q + k * k) / a0,
        ];
        // The high-pass at about 38 Hz.
        let (f0, q) = (38.135_470_876_024_44, 0.500_327_037_323_877_3);
        let k = (std::f64::consts::PI * f0 / rate).tan();
        let a0 = 1.0 + k / q + k * k;
        let high = [2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0];
        Self {
            shelf,
            high,
            state: [[0.0; 4]; 2],
        }
    }

    /// Filters the next frames and returns the sum over them of both channels' squared
    /// output.
    pub(crate) fn run(&mut self, left: &[f32], right: &[f32]) -> f64 {
        let [sum] = Self::run_many([self], [(left, right)], [None]);
        sum
    }

    /// Filters the next frames of `N` sources (`filters[k]` takes `inputs[k]`, all of one
    /// length and rate) in one loop, so that their recurrences overlap, and returns each one's
    /// sum of both channels' squared output, as [`KWeighting::run`] would, bit for bit (the
    /// same operations per channel). Where `squares[k]` is given, the sums of the squared
    /// inputs per channel are carried on in it, in frame order.
    ///
    /// From 4 sources on, the loop runs in the widest vector units the CPU has (AVX2 or AVX-512
    /// on x86-64, picked at run time), with no fused multiply-add, so the bits are those of
    /// the plain loop.
    pub(crate) fn run_many<const N: usize>(
        filters: [&mut KWeighting; N],
        inputs: [(&[f32], &[f32]); N],
        squares: [Option<&mut [f64; 2]>; N],
    ) -> [f64; N] {
        let weigh = Weigh {
            filters,
            inputs,
            squares,
        };
        if N < 4 {
            // Too few lanes to fill a vector: the plain loop.
            pulp::WithSimd::with_simd(weigh, pulp::Scalar::new())
        } else {
            pulp::Arch::new().dispatch(weigh)
        }
    }
}

/// [`KWeighting::run_many`]'s arguments, for the vector units picked at run time.
struct Weigh<'a, 'b, const N: usize> {
    filters: [&'a mut KWeighting; N],
    inputs: [(&'b [f32], &'b [f32]); N],
    squares: [Option<&'a mut [f64; 2]>; N],
}

impl<const N: usize> pulp::WithSimd for Weigh<'_, '_, N> {
    type Output = [f64; N];

    // Inlined into the function compiled for the vector units found, where the loop is
    // vectorised for them (so are `weigh`, `lanes` and `vector`).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) -> [f64; N] {
        weigh(simd, self.filters, self.inputs, self.squares)
    }
}

/// [`KWeighting::run_many`]'s loop, over the sources' channels as flat lanes (`L` = 2 `N`:
/// source `k`'s left is lane `2 k`, its right lane `2 k + 1`), each step one operation over
/// every lane, for the vector units.
#[allow(clippy::inline_always)]
#[inline(always)]
fn weigh<S: pulp::Simd, const N: usize>(
    simd: S,
    mut filters: [&mut KWeighting; N],
    inputs: [(&[f32], &[f32]); N],
    mut squares: [Option<&mut [f64; 2]>; N],
) -> [f64; N] {
    match N {
        1 => lanes::<S, N, 2>(simd, &mut filters, &inputs, &mut squares),
        2 => lanes::<S, N, 4>(simd, &mut filters, &inputs, &mut squares),
        4 => lanes::<S, N, 8>(simd, &mut filters, &inputs, &mut squares),
        8 => lanes::<S, N, 16>(simd, &mut filters, &inputs, &mut squares),
        _ => unreachable!("1, 2, 4 or 8 sources at once"),
    }
}

/// [`weigh`] with `L` = 2 `N` lanes.
#[allow(clippy::inline_always, clippy::too_many_lines)]
#[inline(always)]
fn lanes<S: pulp::Simd, const N: usize, const L: usize>(
    simd: S,
    filters: &mut [&mut KWeighting; N],
    inputs: &[(&[f32], &[f32]); N],
    squares: &mut [Option<&mut [f64; 2]>; N],
) -> [f64; N] {
    debug_assert_eq!(L, 2 * N);
    let Some(first) = filters.first() else {
        return [0.0; N];
    };
    let [b0, b1, b2, a1, a2] = first.shelf;
    let [h1, h2] = first.high;
    debug_assert!(
        filters
            .iter()
            .all(|f| f.shelf == first.shelf && f.high == first.high)
    );
    let frames = inputs[0].0.len();
    let mut channels: [&[f32]; L] = [&[]; L];
    for (k, (left, right)) in inputs.iter().enumerate() {
        channels[2 * k] = &left[..frames];
        channels[2 * k + 1] = &right[..frames];
    }
    // Per lane: the shelf's last two internal values, then the high-pass's.
    let (mut s1, mut s2, mut t1, mut t2) = ([0.0f64; L], [0.0f64; L], [0.0f64; L], [0.0f64; L]);
    for (k, filter) in filters.iter().enumerate() {
        for c in 0..2 {
            [s1[2 * k + c], s2[2 * k + c], t1[2 * k + c], t2[2 * k + c]] = filter.state[c];
        }
    }
    let mut sums = [0.0f64; L];
    let mut inputs_squared = [0.0f64; L];
    for (k, squares) in squares.iter().enumerate() {
        if let Some(squares) = squares {
            [inputs_squared[2 * k], inputs_squared[2 * k + 1]] = **squares;
        }
    }
    let squaring = squares.iter().any(Option::is_some);
    // The lanes in vectors of the CPU's width (the last one filled with zeros if need be).
    let width = S::F64_LANES;
    let vectors = L.div_ceil(width);
    let load = |lanes: &[f64; L]| {
        let mut v = [simd.splat_f64s(0.0); L];
        for (n, v) in v.iter_mut().take(vectors).enumerate() {
            *v = vector(simd, &lanes[n * width..]);
        }
        v
    };
    let (mut s1, mut s2, mut t1, mut t2) = (load(&s1), load(&s2), load(&t1), load(&t2));
    let (mut sums_v, mut squared_v) = (load(&sums), load(&inputs_squared));
    let [b0, b1, b2, a1, a2, h1, h2, two] =
        [b0, b1, b2, a1, a2, h1, h2, 2.0].map(|c| simd.splat_f64s(c));
    let (add, sub, mul) = (
        |a, b| simd.add_f64s(a, b),
        |a, b| simd.sub_f64s(a, b),
        |a, b| simd.mul_f64s(a, b),
    );
    // Frame `i` of every lane.
    #[allow(clippy::needless_range_loop)]
    for i in 0..frames {
        let mut x = [0.0f64; L];
        for j in 0..L {
            x[j] = f64::from(channels[j][i]);
        }
        for n in 0..vectors {
            let x = vector(simd, &x[n * width..]);
            // w = x - a2 s2 - a1 s1; shelved = b0 w + b1 s1 + b2 s2, left to right.
            let w = sub(sub(x, mul(a2, s2[n])), mul(a1, s1[n]));
            let shelved = add(add(mul(b0, w), mul(b1, s1[n])), mul(b2, s2[n]));
            s2[n] = s1[n];
            s1[n] = w;
            // v = shelved - h2 t2 - h1 t1; y = v - 2 t1 + t2.
            let v = sub(sub(shelved, mul(h2, t2[n])), mul(h1, t1[n]));
            let y = add(sub(v, mul(two, t1[n])), t2[n]);
            t2[n] = t1[n];
            t1[n] = v;
            sums_v[n] = add(sums_v[n], mul(y, y));
            if squaring {
                squared_v[n] = add(squared_v[n], mul(x, x));
            }
        }
    }
    let store = |v: &[S::f64s; L], lanes: &mut [f64; L]| {
        for (n, v) in v.iter().take(vectors).enumerate() {
            if L.is_multiple_of(width) {
                let bytes: &mut [u8] =
                    pulp::bytemuck::cast_slice_mut(&mut lanes[n * width..][..width]);
                bytes.copy_from_slice(pulp::bytemuck::bytes_of(v));
            } else {
                simd.partial_store_f64s(&mut lanes[n * width..], *v);
            }
        }
    };
    let (mut s1o, mut s2o, mut t1o, mut t2o) = ([0.0; L], [0.0; L], [0.0; L], [0.0; L]);
    store(&s1, &mut s1o);
    store(&s2, &mut s2o);
    store(&t1, &mut t1o);
    store(&t2, &mut t2o);
    store(&sums_v, &mut sums);
    store(&squared_v, &mut inputs_squared);
    let (s1, s2, t1, t2) = (s1o, s2o, t1o, t2o);
    for (k, filter) in filters.iter_mut().enumerate() {
        for c in 0..2 {
            let j = 2 * k + c;
            let mut state = [s1[j], s2[j], t1[j], t2[j]];
            // Ringing below any audible level would otherwise decay through subnormal numbers,
            // which are slow.
            for v in &mut state {
                if v.abs() < 1e-200 {
                    *v = 0.0;
                }
            }
            filter.state[c] = state;
        }
    }
    for (k, squares) in squares.iter_mut().enumerate() {
        if let Some(squares) = squares {
            **squares = [inputs_squared[2 * k], inputs_squared[2 * k + 1]];
        }
    }
    let mut out = [0.0; N];
    for (k, out) in out.iter_mut().enumerate() {
        *out = sums[2 * k] + sums[2 * k + 1];
    }
    out
}

/// The vector of `simd`'s width at the start of `lanes` (zeros past its end).
#[allow(clippy::inline_always)]
#[inline(always)]
fn vector<S: pulp::Simd>(simd: S, lanes: &[f64]) -> S::f64s {
    if lanes.len() >= S::F64_LANES {
        let bytes: &[u8] = pulp::bytemuck::cast_slice(&lanes[..S::F64_LANES]);
        pulp::bytemuck::pod_read_unaligned(bytes)
    } else {
        simd.partial_load_f64s(lanes)
    }
}

/// 100 ms block energies on one grid (from where a meter starts), and what is read from them:
/// BS.1770's 400 ms gating blocks every 100 ms, short-term (3 s) windows, the highest of them,
/// and EBU Tech 3342's short-term windows every second for the loudness range.
pub(crate) struct Blocks {
    /// Frames in a 100 ms block (`ebur128`'s: the rate over 10, rounded).
    block: usize,
    /// Frames already in the block being filled, and the sum of their squares.
    filled: usize,
    sum: f64,
    /// Blocks completed.
    done: usize,
    /// The sums of the last 30 blocks (a ring, indexed by block number).
    recent: [f64; 30],
    /// Whether to keep short-term windows for the range, and the highest short-term window.
    range: bool,
    short_term: bool,
    gating: Vec<f64>,
    windows: Vec<f64>,
    short_term_max: f64,
}

/// The blocks in a short-term window.
const WINDOW_BLOCKS: usize = 30;

impl Blocks {
    /// Empty blocks of `block` frames; `range`: keep the windows for the loudness range;
    /// `short_term`: keep the highest short-term loudness.
    pub(crate) fn new(block: usize, range: bool, short_term: bool) -> Self {
        Self {
            block,
            filled: 0,
            sum: 0.0,
            done: 0,
            recent: [0.0; WINDOW_BLOCKS],
            range,
            short_term,
            gating: Vec::new(),
            windows: Vec::new(),
            short_term_max: 0.0,
        }
    }

    /// The frames left in the block being filled: what [`Blocks::add`] may take at once.
    pub(crate) fn room(&self) -> usize {
        self.block - self.filled
    }

    /// Whether the windows for the loudness range are kept.
    pub(crate) fn keeps_range(&self) -> bool {
        self.range
    }

    /// Whether a whole short-term window has been fed.
    pub(crate) fn has_window(&self) -> bool {
        self.done >= WINDOW_BLOCKS
    }

    /// Adds `frames` frames (no more than [`Blocks::room`]) whose squares sum to `sum`.
    pub(crate) fn add(&mut self, frames: usize, sum: f64) {
        debug_assert!(frames <= self.room());
        self.filled += frames;
        self.sum += sum;
        if self.filled < self.block {
            return;
        }
        self.recent[self.done % WINDOW_BLOCKS] = self.sum;
        self.done += 1;
        self.filled = 0;
        self.sum = 0.0;
        let gate = absolute_gate();
        let n = self.done;
        if n >= 4 {
            let sum: f64 = (n - 4..n).map(|b| self.recent[b % WINDOW_BLOCKS]).sum();
            let energy = sum / (4 * self.block) as f64;
            if energy >= gate {
                self.gating.push(energy);
            }
        }
        let range_due = self.range && n >= WINDOW_BLOCKS && n.is_multiple_of(10);
        if n >= WINDOW_BLOCKS && (self.short_term || range_due) {
            let energy = self.recent.iter().sum::<f64>() / (WINDOW_BLOCKS * self.block) as f64;
            if self.short_term && energy > self.short_term_max {
                self.short_term_max = energy;
            }
            if range_due && energy >= gate {
                self.windows.push(energy);
            }
        }
    }

    /// The gated integrated loudness (LUFS); `-inf` without a gating block over -70 LUFS.
    pub(crate) fn integrated(&self) -> f64 {
        if self.gating.is_empty() {
            return f64::NEG_INFINITY;
        }
        let relative =
            self.gating.iter().sum::<f64>() / self.gating.len() as f64 * 10f64.powf(-10.0 / 10.0);
        let (count, sum) = self
            .gating
            .iter()
            .filter(|e| **e >= relative)
            .fold((0usize, 0.0), |(n, s), e| (n + 1, s + e));
        if count == 0 {
            f64::NEG_INFINITY
        } else {
            loudness_of(sum / count as f64)
        }
    }

    /// The highest short-term loudness (LUFS), `-inf` for none.
    pub(crate) fn short_term_max(&self) -> f64 {
        loudness_of(self.short_term_max)
    }

    /// The loudness range (LU): from the 10th to the 95th percentile of the short-term windows
    /// over -70 LUFS and no more than 20 LU under their mean; 0 without any.
    pub(crate) fn range(&self) -> f64 {
        if self.windows.is_empty() {
            return 0.0;
        }
        let mut windows = self.windows.clone();
        windows.sort_unstable_by(f64::total_cmp);
        let relative =
            10f64.powf(-20.0 / 10.0) * (windows.iter().sum::<f64>() / windows.len() as f64);
        let below = windows.iter().take_while(|e| **e < relative).count();
        let Some(last) = (windows.len() - below).checked_sub(1) else {
            return 0.0;
        };
        let at = |p: f64| windows[below + (last as f64 * p + 0.5) as usize];
        loudness_of(at(0.95)) - loudness_of(at(0.1))
    }
}

/// The true-peak interpolator of one stereo source: 4x oversampling below 96 kHz, 2x below
/// 192 kHz, none above (the true peak is then the sample peak), with 48 taps of a Hann-windowed
/// sinc in `f32`, as `ebur128` computes it (its figures, bit for bit).
pub(crate) struct TruePeak {
    /// `taps[t * phases + p]`: the tap for the input `t` samples back, output phase `p`.
    taps: Vec<f32>,
    phases: usize,
    /// Per phase (4 at most), the sums of its positive taps and of its negative taps'
    /// magnitudes, with a margin for rounding: its output over inputs between `lo` and `hi` is
    /// at most `positive * hi - negative * lo` and at least `positive * lo - negative * hi`.
    /// Zero for phases beyond `phases`.
    positive: [f32; 4],
    negative: [f32; 4],
    /// Per channel: the last inputs (the taps' reach less one) then the frames being scanned.
    history: [Vec<f32>; 2],
}

/// The interpolator's taps, over all phases.
const TAPS: usize = 48;

/// Input frames scanned per bound check.
const STRETCH: usize = 64;

impl TruePeak {
    /// The interpolator at `rate` Hz, at rest; `None` at 192 kHz and above.
    pub(crate) fn new(rate: u32) -> Option<Self> {
        let phases = if rate < 96_000 {
            4
        } else if rate < 192_000 {
            2
        } else {
            return None;
        };
        let taps: Vec<f32> = (0..TAPS)
            .map(|j| {
                let j = j as f64;
                let window = 0.5 * (1.0 - (std::f64::consts::TAU * j / TAPS as f64).cos());
                let m = j - TAPS as f64 / 2.0;
                let x = m * std::f64::consts::PI / phases as f64;
                (if m.abs() > 1e-6 {
                    window * x.sin() / x
                } else {
                    window
                }) as f32
            })
            .collect();
        let (mut positive, mut negative) = ([0.0; 4], [0.0; 4]);
        for p in 0..phases {
            for &tap in taps.iter().skip(p).step_by(phases) {
                if tap > 0.0 {
                    positive[p] += tap;
                } else {
                    negative[p] -= tap;
                }
            }
            positive[p] *= 1.001;
            negative[p] *= 1.001;
        }
        let reach = TAPS / phases - 1;
        Some(Self {
            taps,
            phases,
            positive,
            negative,
            history: [vec![0.0; reach], vec![0.0; reach]],
        })
    }

    /// Takes the next frames without measuring them (audio before a span).
    pub(crate) fn seed(&mut self, left: &[f32], right: &[f32]) {
        let reach = TAPS / self.phases - 1;
        for (history, new) in self.history.iter_mut().zip([left, right]) {
            history.extend_from_slice(new);
            let excess = history.len() - reach;
            history.drain(..excess);
        }
    }

    /// Scans the next frames of both channels and raises `highest` (linear) to the highest
    /// interpolated magnitude, where that is above `floor`: stretches that cannot beat the
    /// higher of the two are skipped.
    pub(crate) fn scan(&mut self, left: &[f32], right: &[f32], highest: &mut f32, floor: f32) {
        let reach = TAPS / self.phases - 1;
        for (c, new) in [left, right].into_iter().enumerate() {
            let history = &mut self.history[c];
            history.extend_from_slice(new);
            let mut at = reach;
            while at < history.len() {
                let end = (at + STRETCH).min(history.len());
                let (lo, hi) = range(&history[at - reach..end]);
                let mut reachable = [0.0f32; 4];
                for (p, reachable) in reachable.iter_mut().enumerate() {
                    let (positive, negative) = (self.positive[p], self.negative[p]);
                    *reachable = max(positive * hi - negative * lo, negative * hi - positive * lo);
                }
                if reachable.iter().all(|r| *r <= max(*highest, floor)) {
                    at = end;
                    continue;
                }
                for (phase, &reachable) in reachable.iter().enumerate().take(self.phases) {
                    if reachable > max(*highest, floor) {
                        let found = match self.phases {
                            4 => interpolate::<4, 12>(&self.taps, phase, history, at..end),
                            _ => interpolate::<2, 24>(&self.taps, phase, history, at..end),
                        };
                        *highest = max(*highest, found);
                    }
                }
                at = end;
            }
            let excess = history.len() - reach;
            history.drain(..excess);
        }
    }
}

/// A stereo source's sample peaks per channel and true peak (linear) over what it was given.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Peaks {
    sample: [f32; 2],
    /// The highest interpolated magnitude of either channel found above the louder channel's
    /// sample peak (what [`Peaks::louder`] reads), 0 if none.
    true_peak: f32,
}

impl Peaks {
    /// Raises the peaks with the next frames: the true peak through `interpolator` (`None`:
    /// not measured), which looks only where it could rise above the louder channel's sample
    /// peak, since the true peak read is never below that.
    pub(crate) fn add(&mut self, left: &[f32], right: &[f32], interpolator: Option<&mut TruePeak>) {
        for (peak_so_far, side) in self.sample.iter_mut().zip([left, right]) {
            *peak_so_far = peak_so_far.max(peak(side));
        }
        if let Some(interpolator) = interpolator {
            let floor = self.sample[0].max(self.sample[1]);
            interpolator.scan(left, right, &mut self.true_peak, floor);
        }
    }

    /// The louder channel's sample peak and true peak, linear; the true peak is never below
    /// the sample peak (as `ebur128` reads it).
    pub(crate) fn louder(&self) -> (f64, f64) {
        let sample = self.sample[0].max(self.sample[1]);
        (f64::from(sample), f64::from(sample.max(self.true_peak)))
    }
}

/// Outputs interpolated side by side (for the vector units).
const LANES: usize = 8;

/// The highest magnitude of phase `phase` interpolated from inputs `outputs` of `x` (each
/// with the `TAPS - 1` inputs before it), the sum taken newest input first, as `ebur128` does.
fn interpolate<const PHASES: usize, const TAPS: usize>(
    taps: &[f32],
    phase: usize,
    x: &[f32],
    outputs: std::ops::Range<usize>,
) -> f32 {
    let mut bank = [0.0f32; TAPS];
    for (t, tap) in bank.iter_mut().enumerate() {
        *tap = taps[t * PHASES + phase];
    }
    let mut peaks = [0.0f32; LANES];
    let mut i = outputs.start;
    // LANES consecutive outputs at a time.
    while i + LANES <= outputs.end {
        let mut out = [0.0f32; LANES];
        for (t, tap) in bank.iter().enumerate() {
            let inputs = &x[i - t..i - t + LANES];
            for k in 0..LANES {
                out[k] += tap * inputs[k];
            }
        }
        for k in 0..LANES {
            peaks[k] = max(peaks[k], out[k].abs());
        }
        i += LANES;
    }
    for i in i..outputs.end {
        let mut out = 0.0f32;
        for (t, tap) in bank.iter().enumerate() {
            out += tap * x[i - t];
        }
        peaks[0] = max(peaks[0], out.abs());
    }
    peaks.into_iter().fold(0.0, max)
}

/// The larger of two magnitudes (a comparison the vector units make in one step).
fn max(a: f32, b: f32) -> f32 {
    if b > a { b } else { a }
}

/// The highest magnitude in `x`, 0 for none.
pub(crate) fn peak(x: &[f32]) -> f32 {
    let mut peaks = [0.0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for k in 0..LANES {
            peaks[k] = max(peaks[k], chunk[k].abs());
        }
    }
    for &v in rest {
        peaks[0] = max(peaks[0], v.abs());
    }
    peaks.into_iter().fold(0.0, max)
}

/// The lowest and the highest value in `x` (0 and 0 for none).
fn range(x: &[f32]) -> (f32, f32) {
    let mut lows = [0.0f32; LANES];
    let mut highs = [0.0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    if let Some(&first) = x.first() {
        lows = [first; LANES];
        highs = [first; LANES];
    }
    for chunk in chunks {
        for k in 0..LANES {
            lows[k] = min(lows[k], chunk[k]);
            highs[k] = max(highs[k], chunk[k]);
        }
    }
    for &v in rest {
        lows[0] = min(lows[0], v);
        highs[0] = max(highs[0], v);
    }
    (
        lows.into_iter().fold(lows[0], min),
        highs.into_iter().fold(highs[0], max),
    )
}

/// The smaller of two values (a comparison the vector units make in one step).
fn min(a: f32, b: f32) -> f32 {
    if b < a { b } else { a }
}
