//! Scrambling the pan drill's picture (UI thread; pure: the random numbers come in).
//!
//! # The rules
//!
//! Each part moves away from its target pan by a whole number of pan key presses (`k` steps of
//! [`PAN_STEP`], 0.1, written L10 or R10 in the console), with `MIN_STEPS ≤ |k| ≤ MAX_STEPS`
//! (3 to 10) and the result within hard left..hard right; every allowed `k` is equally likely.
//! So:
//!
//! - the target is never the start: every part is at least 0.3 from its place (the start
//!   scores at most 40 points);
//! - the target can always be rebuilt exactly with the pan keys, even a target between two
//!   steps (the reference's guitar at L55 starts at L25, L85, ...);
//! - the start is never every part in the centre (that draw is taken again), so the picture to
//!   rebuild never starts as "all mono".

use crate::app::mixer::{PAN_STEP, round2};

/// The fewest pan key presses a part starts from its place.
pub const MIN_STEPS: i32 = 3;

/// The most pan key presses a part starts from its place.
pub const MAX_STEPS: i32 = 10;

/// How many draws before the all-centre start is mended by hand (only a broken random source
/// gets there).
const ATTEMPTS: usize = 100;

/// The step counts a part at `target` may start at: `MIN_STEPS ≤ |k| ≤ MAX_STEPS`, within
/// −1..=+1, ascending.
fn allowed(target: f64) -> Vec<i32> {
    (-MAX_STEPS..=MAX_STEPS)
        .filter(|k| k.abs() >= MIN_STEPS)
        .filter(|&k| (-1.0 - 1e-9..=1.0 + 1e-9).contains(&(target + f64::from(k) * PAN_STEP)))
        .collect()
}

/// The start pans for parts whose targets are `targets` (held to −1..=+1; a NaN is centre),
/// by the rules in the module docs, to two decimals as the console keeps pans. `random` gives
/// numbers in [0, 1).
pub fn scramble(targets: &[f64], random: &mut dyn FnMut() -> f64) -> Vec<f64> {
    let targets: Vec<f64> = targets
        .iter()
        .map(|t| if t.is_nan() { 0.0 } else { t.clamp(-1.0, 1.0) })
        .collect();
    let choices: Vec<Vec<i32>> = targets.iter().map(|&t| allowed(t)).collect();
    let place = |t: f64, k: i32| round2((t + f64::from(k) * PAN_STEP).clamp(-1.0, 1.0)) + 0.0;
    let mut start = Vec::new();
    for _ in 0..ATTEMPTS {
        start = targets
            .iter()
            .zip(&choices)
            .map(|(&t, ks)| {
                let r = random();
                let r = if r.is_nan() { 0.0 } else { r.clamp(0.0, 1.0) };
                let i = ((r * ks.len() as f64) as usize).min(ks.len() - 1);
                place(t, ks[i])
            })
            .collect();
        if start.iter().any(|p| *p != 0.0) {
            return start;
        }
    }
    // Every part landed in the centre each time: the first moves to its other extreme.
    if let (Some(&t), Some(ks)) = (targets.first(), choices.first()) {
        let k = if place(t, ks[0]) == 0.0 {
            ks[ks.len() - 1]
        } else {
            ks[0]
        };
        start[0] = place(t, k);
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A generator of numbers in [0, 1) from a seed (xorshift), standing in for the mixer's.
    fn numbers(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed | 1;
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Every target has at least eight start places, all whole steps away.
    #[test]
    fn every_target_has_room() {
        assert_eq!(allowed(1.0), (-10..=-3).collect::<Vec<_>>());
        assert_eq!(
            allowed(0.0),
            [-10, -9, -8, -7, -6, -5, -4, -3, 3, 4, 5, 6, 7, 8, 9, 10]
        );
        // L55: from L95 (4 steps left; 5 would pass hard left) to R45 (10 right).
        let ks = allowed(-0.55);
        assert_eq!((ks[0], ks[ks.len() - 1]), (-4, 10));
        assert_eq!(ks.len(), 10);
    }

    /// A random source stuck at 0 would start every part at hard left of its range; with
    /// every target hard right that is all centre, which is mended.
    #[test]
    fn a_stuck_source_never_starts_all_centred() {
        let start = scramble(&[1.0, 1.0], &mut || 0.0);
        assert_eq!(start, [0.7, 0.0]);
        let start = scramble(&[f64::NAN, 7.0], &mut || f64::NAN);
        assert_eq!(start, [-1.0, 0.0]);
        assert!(scramble(&[], &mut || 0.5).is_empty());
    }

    proptest! {
        /// Each part starts 3 to 10 whole steps from its target, within the field; never the
        /// target, never all centre.
        #[test]
        fn starts_follow_the_rules(
            targets in proptest::collection::vec(-1.0..=1.0f64, 1..8),
            seed in any::<u64>(),
        ) {
            let targets: Vec<f64> = targets.iter().map(|t| round2(*t)).collect();
            let start = scramble(&targets, &mut numbers(seed));
            prop_assert_eq!(start.len(), targets.len());
            prop_assert!(start.iter().any(|p| *p != 0.0));
            for (p, t) in start.iter().zip(&targets) {
                let steps = (p - t) / PAN_STEP;
                prop_assert!((steps - steps.round()).abs() < 1e-6, "{} from {}", p, t);
                let steps = steps.round().abs();
                prop_assert!((3.0..=10.0).contains(&steps), "{} from {}", p, t);
                prop_assert!((-1.0..=1.0).contains(p));
            }
        }
    }
}
