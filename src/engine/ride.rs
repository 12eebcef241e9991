//! Rides (level automation) on the mixing thread: the level each strip's ride adds to its
//! fader at each frame, and holding a ride while it is being recorded. The [`RideTable`] is
//! built off the audio thread (from a [`Session`], or by hand in tests); [`RideCurve::fill`]
//! and [`RideHold`] run on whichever thread mixes (audio thread or bounce thread) and are
//! realtime-safe.
//!
//! **The curve.** A strip's ride is the channel's own ride plus the ride of every group the
//! channel is in, summed in dB. Each ride's points are placed on frames at the mix rate (the
//! nearest frame; of two points landing on one frame the later one counts), and a ride is a
//! straight line in dB between its points, holding its first level before the first point and
//! its last after the last. The sum of such lines is again one: its points are the union of
//! the rides' points, each holding the sum of the rides' levels there.
//!
//! **The gain.** The ride's gain at frame `f` is computed from `f` alone, so playback and the
//! bounce agree bit for bit however the frames are cut into blocks. Knots are the curve's points
//! and every multiple of [`RIDE_GRID`] frames. At a point, at every [`RIDE_CHECKPOINT`] frames
//! and at the first grid knot after a point the gain is computed as `10^(dB/20)` (in `f64`,
//! rounded to `f32`); at the grid knots between, as the last of those times the ratio from one
//! grid knot to the next on that stretch, multiplied once per knot in order (the same product
//! however the knot is reached, and within `2e-14` of `10^(dB/20)` after at most 63
//! multiplications, far below what `f32` holds: after rounding, at most one `f32` step from
//! it). A power per knot cost more than the mixing itself. Between two neighbouring
//! knots the gain is a straight
//! line in amplitude (the left knot's gain plus the span's slope times the frames since the
//! knot, in `f32`). Where the curve is flat this is the exact level; on a slope of `s` dB per
//! second at rate `r` the straight amplitude line lies above the dB line (a hair louder) by at
//! most `x^2 / 8` of the level, with `x = ln(10) / 20 * s * RIDE_GRID / r` (the span's change
//! in natural-log units; within 4% of that up to `x = 0.9`): at 48 kHz about `3e-9` at 1 dB/s,
//! `1.2e-6` at 20 dB/s, and `1.7e-4` for a 6 dB move in 25 ms (240 dB/s), quicker than a hand
//! moves a fader. The `f32` arithmetic adds at most `3e-7` of the level.
//!
//! **Holding.** While a strip's ride is recorded the app holds it at the level the hand sets;
//! the ride's gain glides there over 10 ms (straight in amplitude, like a fader) and follows the
//! held level; let go, it glides back onto the ride over 10 ms.

use super::smoother::Smoother;
use crate::session::automation::{RIDE_MAX_DB, RIDE_MIN_DB};
use crate::session::{RidePoint, Session};
use crate::units::Decibels;

/// The grid, in frames from the start of the timeline, on which the ride's gain is computed
/// exactly (besides the ride's own points).
pub const RIDE_GRID: u64 = 64;

/// Every this many frames (a multiple of [`RIDE_GRID`]) a grid knot's gain is computed from
/// its level afresh; the grid knots between are reached by multiplying (see the module docs).
pub const RIDE_CHECKPOINT: u64 = 64 * RIDE_GRID;

/// One strip's summed ride: points in frames at the mix rate (strictly increasing) with the
/// level in dB there.
#[derive(Debug, Clone, PartialEq)]
pub struct RideCurve {
    points: Vec<(u64, f64)>,
}

/// A ride's level in dB at `frame`: straight between points, ends held.
fn db_at(points: &[(u64, f64)], frame: u64) -> f64 {
    let next = points.partition_point(|p| p.0 <= frame);
    if next == 0 {
        return points.first().map_or(0.0, |p| p.1);
    }
    let (fa, a) = points[next - 1];
    let Some(&(fb, b)) = points.get(next) else {
        return a;
    };
    a + (b - a) * ((frame - fa) as f64 / (fb - fa) as f64)
}

/// A ride level held within [`RIDE_MIN_DB`]..[`RIDE_MAX_DB`] (a fader pulled off while
/// recording is -inf; NaN, which no file can hold, counts as 0 dB), so every level mixes to a
/// finite gain.
fn held_within(db: f64) -> f64 {
    if db.is_nan() {
        0.0
    } else {
        db.clamp(RIDE_MIN_DB, RIDE_MAX_DB)
    }
}

/// `10^(db/20)`, as `e^(db * ln(10) / 20)` (quicker than a power, and as exact in `f64`).
fn amplitude(db: f64) -> f64 {
    (db * (std::f64::consts::LN_10 / 20.0)).exp()
}

impl RideCurve {
    /// The sum of `rides` (each a list of points in time order), placed on frames at
    /// `mix_rate`, each level held within -60..+24 dB. `None` when no ride has a point.
    ///
    /// Not realtime-safe (allocates).
    pub fn sum(rides: &[&[RidePoint]], mix_rate: u32) -> Option<Self> {
        let placed: Vec<Vec<(u64, f64)>> = rides
            .iter()
            .map(|points| {
                let mut out: Vec<(u64, f64)> = Vec::with_capacity(points.len());
                for p in *points {
                    let (frame, db) = (p.at.to_frames(mix_rate), held_within(p.db.0));
                    match out.last_mut() {
                        Some(last) if last.0 >= frame => last.1 = db,
                        _ => out.push((frame, db)),
                    }
                }
                out
            })
            .filter(|p| !p.is_empty())
            .collect();
        if placed.is_empty() {
            return None;
        }
        let mut frames: Vec<u64> = placed.iter().flatten().map(|p| p.0).collect();
        frames.sort_unstable();
        frames.dedup();
        let points = frames
            .into_iter()
            .map(|f| (f, placed.iter().map(|ride| db_at(ride, f)).sum()))
            .collect();
        Some(Self { points })
    }

    /// A curve through `points` (frame, dB), which must be in strictly increasing frame order
    /// (others are dropped), levels held within -60..+24 dB. `None` for no points.
    ///
    /// Not realtime-safe (allocates).
    pub fn from_frames(points: &[(u64, f64)]) -> Option<Self> {
        let mut out: Vec<(u64, f64)> = Vec::with_capacity(points.len());
        for &(frame, db) in points {
            if out.last().is_none_or(|last| last.0 < frame) {
                out.push((frame, held_within(db)));
            }
        }
        (!out.is_empty()).then_some(Self { points: out })
    }

    /// The points, frame and dB.
    ///
    /// Realtime-safe.
    pub fn points(&self) -> &[(u64, f64)] {
        &self.points
    }

    /// The level the ride adds at `frame`, in dB (a straight line between points).
    ///
    /// Realtime-safe.
    pub fn db_at(&self, frame: u64) -> f64 {
        db_at(&self.points, frame)
    }

    /// The gain the ride gives at `frame` (see the module docs: exact at the knots, straight in
    /// amplitude between them).
    ///
    /// Realtime-safe.
    pub fn gain_at(&self, frame: u64) -> f32 {
        let mut one = [0.0];
        self.fill(frame, &mut one);
        one[0]
    }

    /// Writes the ride's gain for the frames `start..start + out.len()` into `out`.
    ///
    /// Realtime-safe.
    pub fn fill(&self, start: u64, out: &mut [f32]) {
        self.spans(start, out.len(), |span| {
            let out = &mut out[span.offset..span.offset + span.len];
            if span.slope == 0.0 {
                out.fill(span.gain);
            } else {
                for (x, k) in out.iter_mut().zip(span.ramp()) {
                    *x = span.gain + span.slope * k;
                }
            }
        });
    }

    /// The gain of every frame in `start..start + frames` when it is one and the same (the
    /// frames lie before the first point, after the last, or between two points at one level),
    /// exactly what [`RideCurve::fill`] would write for each of them; `None` otherwise.
    ///
    /// Realtime-safe.
    pub fn flat_gain(&self, start: u64, frames: usize) -> Option<f32> {
        let points = &self.points;
        let end = start + frames as u64;
        let next = points.partition_point(|p| p.0 <= start);
        let level = if next == points.len() {
            points[next - 1].1
        } else if end > points[next].0 {
            return None;
        } else if next == 0 || points[next - 1].1 == points[next].1 {
            // Between two points at one level every knot's gain is the level's: the ratio
            // from knot to knot is exactly 1.
            points[next].1
        } else {
            return None;
        };
        Some(amplitude(level) as f32)
    }

    /// Calls `each` with the spans that make up the frames `start..start + frames`, in order:
    /// the frames between two neighbouring knots, or a flat stretch before the first point or
    /// after the last (see the module docs). Frame `start + span.offset + j` has the gain
    /// `span.gain + span.slope * span.ramp()[j]`, which is `span.gain` where the slope is 0.
    ///
    /// Realtime-safe.
    pub fn spans(&self, start: u64, frames: usize, mut each: impl FnMut(Span)) {
        let points = &self.points;
        let end = start + frames as u64;
        let mut frame = start;
        let mut next = points.partition_point(|p| p.0 <= frame);
        // The last knot's frame and gain, reused as the next span's left end (a knot's gain
        // depends on its frame alone, so reusing it changes nothing).
        let mut known: Option<(u64, f64)> = None;
        // The gain ratio from one grid knot to the next, for the points it was computed for.
        let mut ratio: Option<(usize, f64)> = None;
        while frame < end {
            while points.get(next).is_some_and(|p| p.0 <= frame) {
                next += 1;
            }
            let offset = (frame - start) as usize;
            // Flat before the first point and after the last: the exact level throughout.
            if next == 0 || next == points.len() {
                let (flat, until) = if next == 0 {
                    (points[0].1, points[0].0.min(end))
                } else {
                    (points[next - 1].1, end)
                };
                each(Span {
                    offset,
                    len: (until - frame) as usize,
                    gain: amplitude(flat) as f32,
                    slope: 0.0,
                    from: 0,
                });
                frame = until;
                continue;
            }
            let (pa, pb) = (points[next - 1], points[next]);
            let grid = frame - frame % RIDE_GRID;
            let left = grid.max(pa.0);
            let right = (grid + RIDE_GRID).min(pb.0);
            let step = match ratio {
                Some((at, r)) if at == next => r,
                _ => {
                    let r = grid_ratio(pa, pb);
                    ratio = Some((next, r));
                    r
                }
            };
            let a = match known {
                Some((f, g)) if f == left => g,
                _ => knot_gain(pa, pb, left, step),
            };
            let b = if right == pb.0 || left == pa.0 || right % RIDE_CHECKPOINT == 0 {
                knot_gain(pa, pb, right, step)
            } else {
                a * step
            };
            known = Some((right, b));
            // Straight in amplitude from `a` at `left` to `b` at `right` (a whole grid span's
            // division by 64 is the multiplication by 1/64, to the bit, and quicker).
            let rise = b - a;
            let slope = if right - left == RIDE_GRID {
                rise * (1.0 / RIDE_GRID as f64)
            } else {
                rise / (right - left) as f64
            };
            let until = right.min(end);
            each(Span {
                offset,
                len: (until - frame) as usize,
                gain: a as f32,
                slope: slope as f32,
                from: (frame - left) as usize,
            });
            frame = until;
        }
    }
}

/// The gain ratio from one grid knot to the next on the straight dB line from `a` to `b`.
fn grid_ratio(a: (u64, f64), b: (u64, f64)) -> f64 {
    amplitude((b.1 - a.1) * (RIDE_GRID as f64 / (b.0 - a.0) as f64))
}

/// The gain at the knot `x` between the points `a` and `b` (see the module docs): exact at a
/// point, at a checkpoint and at the first grid knot after `a`; at any other grid knot, the
/// exact gain of the last of those before it times `step` (from [`grid_ratio`]) once per grid
/// knot since, multiplied in order, so it is the same number however it is reached.
fn knot_gain(a: (u64, f64), b: (u64, f64), x: u64, step: f64) -> f64 {
    let first = a.0 - a.0 % RIDE_GRID + RIDE_GRID;
    if x == a.0 || x == b.0 || x <= first {
        return amplitude(knot_db(a, b, x));
    }
    let anchor = (x - x % RIDE_CHECKPOINT).max(first);
    let mut gain = amplitude(knot_db(a, b, anchor));
    for _ in 0..(x - anchor) / RIDE_GRID {
        gain *= step;
    }
    gain
}

/// `RAMP[k]` is `k`: the frames since a knot as `f32`, read from a table so that loops over a
/// span vectorise (an integer-to-float conversion per frame does not).
const RAMP: [f32; RIDE_GRID as usize] = {
    let mut ramp = [0.0; RIDE_GRID as usize];
    let mut k = 0;
    while k < ramp.len() {
        ramp[k] = k as f32;
        k += 1;
    }
    ramp
};

/// Frames of a ride with one formula: from frame `offset` of the block, `len` frames whose
/// gains are `gain + slope * k`, `k` counting the frames since the span's left knot from
/// `from` (see [`RideCurve::spans`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    /// The first frame, counted from the start of the block.
    pub offset: usize,
    /// How many frames.
    pub len: usize,
    /// The gain at the left knot (the gain throughout where the slope is 0).
    pub gain: f32,
    /// How much the gain changes per frame; 0 on a flat stretch, which may be longer than
    /// [`RIDE_GRID`].
    pub slope: f32,
    /// The first frame's distance from the left knot, in frames.
    pub from: usize,
}

impl Span {
    /// The frames since the left knot, as `f32`, one per frame of the span (only for a span
    /// with a slope, which lies within one grid cell).
    pub fn ramp(&self) -> &'static [f32] {
        &RAMP[self.from..self.from + self.len]
    }
}

/// The level in dB at the knot `x`, which lies between the points `a` and `b`: a point's own
/// level at a point (so a knot's level never depends on which span asks).
fn knot_db(a: (u64, f64), b: (u64, f64), x: u64) -> f64 {
    if x == a.0 {
        a.1
    } else if x == b.0 {
        b.1
    } else {
        a.1 + (b.1 - a.1) * ((x - a.0) as f64 / (b.0 - a.0) as f64)
    }
}

/// One optional ride curve per strip, at one mix rate.
#[derive(Debug, Clone, PartialEq)]
pub struct RideTable {
    curves: Vec<Option<RideCurve>>,
}

impl RideTable {
    /// No rides on any of `strips` strips.
    ///
    /// Not realtime-safe (allocates).
    pub fn empty(strips: usize) -> Self {
        Self {
            curves: vec![None; strips],
        }
    }

    /// A table with these curves, one per strip.
    ///
    /// Not realtime-safe (built off the audio thread).
    pub fn new(curves: Vec<Option<RideCurve>>) -> Self {
        Self { curves }
    }

    /// The rides a session describes, at the mix rate `mix_rate`: for each channel, its own
    /// ride and the rides of its groups, summed.
    ///
    /// Not realtime-safe (allocates).
    pub fn for_session(session: &Session, mix_rate: u32) -> Self {
        let curves = session
            .channels
            .iter()
            .map(|channel| {
                let own = session.ride(&channel.name);
                let groups = session
                    .groups_of(&channel.name)
                    .filter_map(|g| session.ride(&g.name));
                let rides: Vec<&[RidePoint]> = own
                    .into_iter()
                    .chain(groups)
                    .map(|r| &r.points[..])
                    .collect();
                RideCurve::sum(&rides, mix_rate)
            })
            .collect();
        Self { curves }
    }

    /// The number of strips the table has a place for.
    ///
    /// Realtime-safe.
    pub fn strips(&self) -> usize {
        self.curves.len()
    }

    /// The number of strips that have a ride.
    ///
    /// Realtime-safe.
    pub fn ridden(&self) -> usize {
        self.curves.iter().filter(|c| c.is_some()).count()
    }

    /// A strip's ride, if it has one.
    ///
    /// Realtime-safe.
    pub fn curve(&self, strip: usize) -> Option<&RideCurve> {
        self.curves.get(strip).and_then(Option::as_ref)
    }
}

/// One strip's hold: while its ride is recorded, the level the app holds it at, and how far the
/// gain has moved from the ride to that level; and while the compare switch plays the base mix,
/// how far it has moved to no ride at all.
#[derive(Debug, Clone)]
pub struct RideHold {
    /// The held level's gain (glides like a fader).
    level: Smoother,
    /// 0: the ride plays; 1: the held level does (glides between them).
    weight: Smoother,
    /// 0: the ride (or the held level) plays; 1: no ride, the base mix (glides between them).
    bypass: Smoother,
}

impl RideHold {
    /// Not held, gliding over `ramp` frames when that changes.
    ///
    /// Realtime-safe.
    pub fn new(ramp: u32) -> Self {
        Self {
            level: Smoother::new(1.0, ramp),
            weight: Smoother::new(0.0, ramp),
            bypass: Smoother::new(0.0, ramp),
        }
    }

    /// Holds the ride at `db` (gliding there), or (`None`) lets it follow the ride again
    /// (gliding back).
    ///
    /// Realtime-safe.
    pub fn set(&mut self, db: Option<Decibels>) {
        match db {
            Some(db) => {
                let gain = db.to_amplitude();
                if self.weight.target() == 0.0 && self.weight.is_settled() {
                    self.level.set_immediate(gain);
                } else {
                    self.level.set_target(gain);
                }
                self.weight.set_target(1.0);
            }
            None => self.weight.set_target(0.0),
        }
    }

    /// Leaves the ride out (true: the compare switch plays the base mix) or plays it again,
    /// gliding over the ramp either way.
    ///
    /// Realtime-safe.
    pub fn set_bypassed(&mut self, bypassed: bool) {
        self.bypass.set_target(if bypassed { 1.0 } else { 0.0 });
    }

    /// True when the ride plays untouched (not held, not left out, and not gliding back).
    ///
    /// Realtime-safe.
    pub fn is_idle(&self) -> bool {
        self.is_unheld() && self.bypass.target() == 0.0 && self.bypass.is_settled()
    }

    /// True when the app holds no level (and none is gliding back to the ride).
    ///
    /// Realtime-safe.
    pub fn is_unheld(&self) -> bool {
        self.weight.target() == 0.0 && self.weight.is_settled()
    }

    /// Ends any glide at once (after a jump).
    ///
    /// Realtime-safe.
    pub fn settle(&mut self) {
        self.level.set_immediate(self.level.target());
        self.weight.set_immediate(self.weight.target());
        self.bypass.set_immediate(self.bypass.target());
    }

    /// Turns the ride's gains in `gains` (1.0 for a strip without a ride) into what is heard
    /// with the hold and the compare switch, frame by frame.
    ///
    /// Realtime-safe.
    pub fn apply(&mut self, gains: &mut [f32]) {
        for g in gains {
            let w = self.weight.next_value();
            let h = self.level.next_value();
            let held = if w == 1.0 { h } else { *g + (h - *g) * w };
            let b = self.bypass.next_value();
            *g = if b == 0.0 {
                held
            } else if b == 1.0 {
                1.0
            } else {
                held + (1.0 - held) * b
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A curve from frame points, for tests.
    fn curve(points: &[(u64, f64)]) -> RideCurve {
        RideCurve::from_frames(points).unwrap()
    }

    /// Two rides sum into one curve over the union of their points.
    #[test]
    fn rides_sum_over_the_union_of_their_points() {
        let a = [RidePoint::new(1.0, 0.0), RidePoint::new(3.0, 4.0)];
        let b = [RidePoint::new(2.0, -2.0), RidePoint::new(4.0, 2.0)];
        let sum = RideCurve::sum(&[&a, &b], 10).unwrap();
        assert_eq!(sum.points(), [(10, -2.0), (20, 0.0), (30, 4.0), (40, 6.0)]);
        assert_eq!(sum.db_at(0), -2.0);
        assert_eq!(sum.db_at(35), 5.0);
        assert_eq!(sum.db_at(99), 6.0);
        assert!(RideCurve::sum(&[&[]], 10).is_none());
        // Two points on one frame: the later counts.
        let close = [RidePoint::new(1.0, 0.0), RidePoint::new(1.01, 3.0)];
        assert_eq!(RideCurve::sum(&[&close], 10).unwrap().points(), [(10, 3.0)]);
        // A fader pulled off while recording (-inf) is the lowest ride level, never a NaN.
        let off = [
            RidePoint::new(1.0, 0.0),
            RidePoint::new(2.0, f64::NEG_INFINITY),
        ];
        let off = RideCurve::sum(&[&off], 10).unwrap();
        assert_eq!(off.points(), [(10, 0.0), (20, RIDE_MIN_DB)]);
        assert!(off.gain_at(15).is_finite() && off.gain_at(15) > 0.0);
    }

    /// The gain is exact `10^(dB/20)` at points and grid frames, flat outside the points, and
    /// above the dB line between knots by no more than the documented bound.
    #[test]
    fn gain_is_exact_at_knots_and_close_between() {
        let c = curve(&[(100, 0.0), (1000, 6.0), (2000, -6.0)]);
        let exact = |f: u64| amplitude(c.db_at(f));
        let mut out = vec![0.0f32; 2300];
        c.fill(0, &mut out);
        for f in [0u64, 99, 100, 128, 192, 1000, 1024, 2000, 2299] {
            assert_eq!(out[f as usize], exact(f) as f32, "frame {f}");
        }
        let off: Vec<f64> = (0..2300u64)
            .map(|f| (f64::from(out[f as usize]) - exact(f)) / exact(f))
            .collect();
        let worst = off.iter().copied().fold(0.0, f64::max);
        // Steepest stretch: 12 dB in 1000 frames, 0.768 dB over a 64-frame span.
        let x = std::f64::consts::LN_10 / 20.0 * 12.0 / 1000.0 * 64.0;
        let bound = x * x / 8.0;
        assert!(worst <= bound * 1.01 + 3e-7, "{worst} > {bound}");
        assert!(worst > bound * 0.9, "the sag is there: {worst}");
        assert!(off.iter().all(|&e| e >= -3e-7), "never below the dB line");
    }

    /// The gain at a frame does not depend on where a block starts or how long it is.
    #[test]
    fn gain_is_a_function_of_the_frame() {
        let c = curve(&[(37, 0.0), (500, 3.0), (501, -3.0), (2000, 1.0)]);
        let mut whole = vec![0.0f32; 2500];
        c.fill(0, &mut whole);
        for block in [1usize, 7, 64, 100, 999] {
            let mut parts = vec![0.0f32; 2500];
            for (k, chunk) in parts.chunks_mut(block).enumerate() {
                c.fill((k * block) as u64, chunk);
            }
            assert!(
                whole
                    .iter()
                    .zip(&parts)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{block}-frame blocks"
            );
        }
        assert_eq!(c.gain_at(1234).to_bits(), whole[1234].to_bits());
    }

    /// Over long stretches crossing checkpoints, every grid knot's gain (reached by multiplying
    /// from the last checkpoint) is within 2e-14 of `10^(dB/20)` before rounding, so within one
    /// `f32` step after it; and the gains do not depend on how the frames are cut into blocks.
    #[test]
    fn multiplied_knots_stay_exact_across_checkpoints() {
        let pa = (37, 0.0);
        let pb = (50_000, 11.5);
        let step = grid_ratio(pa, pb);
        let mut worst = 0.0f64;
        for x in (RIDE_GRID..50_000).step_by(RIDE_GRID as usize) {
            let exact = amplitude(knot_db(pa, pb, x));
            worst = worst.max((knot_gain(pa, pb, x, step) - exact).abs() / exact);
        }
        assert!(worst < 2e-14, "{worst}");
        assert!(
            worst > 0.0,
            "some knots are multiplied, not computed afresh"
        );
        let c = curve(&[pa, (20_000, 6.0), (20_001, -3.0), pb, (60_000, 1.0)]);
        let mut whole = vec![0.0f32; 61_000];
        c.fill(0, &mut whole);
        for x in (0..61_000u64).step_by(RIDE_GRID as usize) {
            let exact = amplitude(c.db_at(x)) as f32;
            let ulps = (whole[x as usize].to_bits() as i64 - exact.to_bits() as i64).abs();
            assert!(ulps <= 1, "frame {x}: {ulps} f32 steps off");
        }
        for block in [1usize, 63, 64, 999, 4097, 8192] {
            let mut parts = vec![0.0f32; 61_000];
            for (k, chunk) in parts.chunks_mut(block).enumerate() {
                c.fill((k * block) as u64, chunk);
            }
            assert!(
                whole
                    .iter()
                    .zip(&parts)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{block}-frame blocks"
            );
        }
    }

    /// A block that lies on one level (before the first point, after the last, between two
    /// points at one level) has that level's gain, exactly as `fill` writes it; a block with a
    /// slope in it, or reaching across a point to another level, has none.
    #[test]
    fn flat_blocks_have_one_gain() {
        let c = curve(&[
            (100, -3.0),
            (500, -3.0),
            (900, 6.0),
            (5000, 6.0),
            (6000, 0.5),
        ]);
        let mut whole = vec![0.0f32; 7000];
        c.fill(0, &mut whole);
        for (start, frames) in [
            (0u64, 100usize),
            (40, 60),
            (100, 400),
            (150, 300),
            (900, 4100),
        ] {
            let flat = c.flat_gain(start, frames);
            let want = whole[start as usize];
            assert_eq!(
                flat.map(f32::to_bits),
                Some(want.to_bits()),
                "{start}+{frames}"
            );
            let span = &whole[start as usize..start as usize + frames];
            assert!(span.iter().all(|g| g.to_bits() == want.to_bits()));
        }
        assert_eq!(c.flat_gain(6000, 1000), Some(whole[6500]));
        for (start, frames) in [(0u64, 101usize), (400, 200), (600, 10), (4990, 20)] {
            assert_eq!(c.flat_gain(start, frames), None, "{start}+{frames}");
        }
    }

    /// A hold glides onto the held level over its ramp and back onto the ride after release.
    #[test]
    fn a_hold_glides_there_and_back() {
        let mut hold = RideHold::new(10);
        assert!(hold.is_idle());
        hold.set(Some(Decibels(-6.0)));
        let mut g = [1.0f32; 20];
        hold.apply(&mut g);
        let level = Decibels(-6.0).to_amplitude();
        assert!((g[0] - (1.0 + (level - 1.0) * 0.1)).abs() < 1e-6);
        assert_eq!(g[9], level);
        assert_eq!(g[19], level);
        hold.set(None);
        let mut g = [0.5f32; 20];
        hold.apply(&mut g);
        assert!(g[0] < level && g[0] > 0.5);
        assert_eq!(g[9], 0.5);
        assert!(hold.is_idle());
    }
}
