//! Blind A/B/X between two mix versions: which one is X, trial after trial, and how likely the
//! score would be from guessing.
//!
//! # A run
//!
//! The listener can hear A and B, named, and X, which is one of them. Before each trial earmix
//! flips a fair coin for X ([`Abx::new`] draws the whole sequence from a seed, so a run can be
//! replayed and checked); the listener says whether X is A or B ([`Abx::answer`]). The sides
//! are *not* balanced (eight A and eight B in sixteen): a balanced list lets a listener who
//! keeps count guess the last trials, and the p-value below assumes every trial is an
//! independent fair coin.
//!
//! # The p-value
//!
//! Someone who hears no difference answers right with probability ½ on each trial, so the
//! number right of `n` follows the binomial distribution. The chance of at least `k` right by
//! guessing is
//!
//! ```text
//! p = Σ_{i=k..n} C(n, i) / 2ⁿ
//! ```
//!
//! summed exactly term by term in logarithms ([`p_value`]), so it stays accurate for thousands
//! of trials where `2ⁿ` would overflow. A small `p` says guessing rarely does this well: below
//! 5% the listener most likely hears a difference. It never proves there is none: a high `p`
//! over a few trials only says this run cannot tell.

use rand_core::{Rng as _, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One of the two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The first version.
    A,
    /// The second version.
    B,
}

impl Side {
    /// "A" or "B".
    pub fn letter(self) -> &'static str {
        match self {
            Side::A => "A",
            Side::B => "B",
        }
    }
}

/// A blind A/B/X run (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Abx {
    xs: Vec<Side>,
    answers: Vec<Side>,
}

impl Abx {
    /// A run of `trials` trials with X drawn for each from `seed` (xoshiro256++: the same seed
    /// gives the same sequence).
    pub fn new(trials: usize, seed: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let xs = (0..trials)
            .map(|_| {
                if rng.next_u64() >> 63 == 0 {
                    Side::A
                } else {
                    Side::B
                }
            })
            .collect();
        Self {
            xs,
            answers: Vec::new(),
        }
    }

    /// How many trials the run has.
    pub fn trials(&self) -> usize {
        self.xs.len()
    }

    /// The number (0-based) of the trial waiting for an answer; `None` when done.
    pub fn current(&self) -> Option<usize> {
        (self.answers.len() < self.xs.len()).then_some(self.answers.len())
    }

    /// What X is in the current trial: what the console plays when X is asked for. Never
    /// shown before the reveal. `None` when done.
    pub fn x(&self) -> Option<Side> {
        self.xs.get(self.answers.len()).copied()
    }

    /// Answers the current trial with "X is `side`"; returns whether that was right (the flow
    /// keeps it to itself until the end), `None` when the run is done.
    pub fn answer(&mut self, side: Side) -> Option<bool> {
        let x = self.x()?;
        self.answers.push(side);
        Some(x == side)
    }

    /// Whether every trial is answered.
    pub fn is_done(&self) -> bool {
        self.current().is_none()
    }

    /// How many answers were right.
    pub fn right(&self) -> usize {
        self.xs
            .iter()
            .zip(&self.answers)
            .filter(|(x, a)| x == a)
            .count()
    }

    /// How many trials were answered.
    pub fn answered(&self) -> usize {
        self.answers.len()
    }

    /// Each trial's X and the answer given (`None`: not answered), in order: the reveal.
    pub fn reveal(&self) -> Vec<(Side, Option<Side>)> {
        self.xs
            .iter()
            .enumerate()
            .map(|(i, x)| (*x, self.answers.get(i).copied()))
            .collect()
    }

    /// The result over the answered trials.
    pub fn result(&self) -> AbxResult {
        AbxResult::new(self.answered(), self.right())
    }
}

/// A score and what it means.
#[derive(Debug, Clone, PartialEq)]
pub struct AbxResult {
    /// Trials answered.
    pub trials: usize,
    /// Right answers.
    pub right: usize,
    /// The chance of at least `right` right by guessing ([`p_value`]).
    pub p_value: f64,
    /// The sentence for the listener ([`sentence`]).
    pub sentence: String,
}

impl AbxResult {
    /// The result of `right` right answers in `trials` trials (`right` is held to `trials`).
    pub fn new(trials: usize, right: usize) -> Self {
        let right = right.min(trials);
        Self {
            trials,
            right,
            p_value: p_value(trials, right),
            sentence: sentence(trials, right),
        }
    }
}

/// The chance of at least `k` right of `n` by guessing (each right with probability ½), exact
/// (see the module docs). 1 for `k = 0`, 0 for `k > n`.
pub fn p_value(n: usize, k: usize) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    // ln(C(n, i) / 2ⁿ) for i = k..=n, from ln C(n, k) built up as a sum of logarithms.
    let ln_half_n = -(n as f64) * std::f64::consts::LN_2;
    let mut ln_choose: f64 = (1..=k)
        .map(|j| ((n - k + j) as f64).ln() - (j as f64).ln())
        .sum();
    let mut terms = Vec::with_capacity(n - k + 1);
    for i in k..=n {
        terms.push(ln_choose + ln_half_n);
        if i < n {
            ln_choose += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
        }
    }
    // Terms fall from i = n/2 on and k ≥ 1: the largest is the first or one near n/2.
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = terms.iter().map(|t| (t - top).exp()).sum();
    (top + sum.ln()).exp().min(1.0)
}

/// A chance as a percentage for a sentence: whole percent from 10%, one decimal below, "less
/// than 0.1%" below that.
fn percent(p: f64) -> String {
    if p < 0.001 {
        "less than 0.1%".to_owned()
    } else if p < 0.1 {
        format!("{:.1}%", p * 100.0)
    } else {
        format!("{:.0}%", p * 100.0)
    }
}

/// What `k` right of `n` means, for a musician: "12 of 16 right: guessing would do this well
/// 3.8% of the time, so you most likely hear a difference."
pub fn sentence(n: usize, k: usize) -> String {
    let k = k.min(n);
    if n == 0 {
        return "No trials answered yet.".to_owned();
    }
    let p = p_value(n, k);
    let head = format!("{k} of {n} right");
    // The chance of k or fewer right by guessing: 1 − P(at least k + 1).
    let low = 1.0 - p_value(n, k + 1);
    if p <= 0.05 {
        format!(
            "{head}: guessing would do this well {} of the time, so you most likely hear a \
             difference.",
            percent(p)
        )
    } else if p <= 0.25 {
        format!(
            "{head}: guessing would do this well {} of the time, so you may hear a difference; \
             more trials would tell.",
            percent(p)
        )
    } else if low <= 0.05 {
        format!(
            "{head}: guessing would do this badly only {} of the time. You may hear a \
             difference but take X for the other version: listen again to which is which.",
            percent(low)
        )
    } else {
        format!(
            "{head}: guessing would do this well {} of the time, so this run gives no sign \
             that you hear a difference.",
            percent(p)
        )
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn near(a: f64, b: f64, relative: f64) -> bool {
        (a - b).abs() <= relative * b.abs()
    }

    /// Hand-computed tails: 16/12 = (1820+560+120+16+1)/65536, 10/9 = 11/1024, 5/5 = 1/32, and
    /// the ends.
    #[test]
    fn p_values_by_hand() {
        assert!(near(p_value(16, 12), 2517.0 / 65536.0, 1e-12));
        assert_eq!(format!("{:.4}", p_value(16, 12)), "0.0384");
        assert!(near(p_value(10, 9), 11.0 / 1024.0, 1e-12));
        assert_eq!(format!("{:.4}", p_value(10, 9)), "0.0107");
        assert!(near(p_value(5, 5), 0.03125, 1e-12));
        // 1 of 1: ½; 2 of 4: (6+4+1)/16.
        assert!(near(p_value(1, 1), 0.5, 1e-12));
        assert!(near(p_value(4, 2), 11.0 / 16.0, 1e-12));
        assert_eq!(
            (p_value(16, 0), p_value(0, 0), p_value(16, 17)),
            (1.0, 1.0, 0.0)
        );
    }

    /// Large runs stay accurate: all right of 200 is 2^-200, half of 300 is a little over ½,
    /// and 1000 trials neither overflow nor lose the tail.
    #[test]
    fn p_values_for_long_runs() {
        assert!(near(p_value(200, 200), 0.5f64.powi(200), 1e-9));
        // P(X ≥ 150 of 300) = ½ + C(300,150)/2^301; C(300,150)/2^300 ≈ 0.046 (Stirling:
        // √(2/(π·300)) = 0.0461), so ≈ 0.523.
        let p = p_value(300, 150);
        assert!(p > 0.52 && p < 0.525, "{p}");
        assert!(near(p_value(1000, 1000), 0.5f64.powi(1000), 1e-6));
        let p = p_value(1000, 550);
        assert!(p > 0.0 && p < 0.001, "{p}");
    }

    /// The sentences, with the numbers from the examples.
    #[test]
    fn sentences() {
        assert_eq!(
            sentence(16, 12),
            "12 of 16 right: guessing would do this well 3.8% of the time, so you most likely \
             hear a difference."
        );
        assert!(sentence(10, 9).contains("1.1% of the time, so you most likely"));
        assert!(sentence(5, 5).contains("3.1% of the time"));
        // 10 of 16: (8008+4368+1820+560+120+16+1)/65536 = 14893/65536 = 22.7%.
        assert_eq!(
            sentence(16, 10),
            "10 of 16 right: guessing would do this well 23% of the time, so you may hear a \
             difference; more trials would tell."
        );
        assert!(sentence(16, 8).contains("60% of the time, so this run gives no sign"));
        // 2 of 16 or fewer: (1+16+120)/65536 = 0.2%.
        assert!(sentence(16, 2).contains("do this badly only 0.2% of the time"));
        assert_eq!(sentence(0, 0), "No trials answered yet.");
        assert!(sentence(2000, 2000).contains("less than 0.1%"));
    }

    /// A seeded run: the same seed gives the same X sequence; answers are scored, counted and
    /// revealed; answers past the end are refused.
    #[test]
    fn a_run() {
        let mut run = Abx::new(16, 42);
        assert_eq!(run, Abx::new(16, 42));
        assert_ne!(run.reveal(), Abx::new(16, 43).reveal());
        let xs: Vec<Side> = run.reveal().iter().map(|(x, _)| *x).collect();
        assert!(xs.contains(&Side::A) && xs.contains(&Side::B), "{xs:?}");
        // Right on the first twelve, wrong on the last four.
        for (i, x) in xs.iter().enumerate() {
            assert_eq!(run.current(), Some(i));
            assert_eq!(run.x(), Some(*x));
            let other = if *x == Side::A { Side::B } else { Side::A };
            assert_eq!(run.answer(if i < 12 { *x } else { other }), Some(i < 12));
        }
        assert!(run.is_done());
        assert_eq!(
            (run.current(), run.x(), run.answer(Side::A)),
            (None, None, None)
        );
        let result = run.result();
        assert_eq!((result.trials, result.right), (16, 12));
        assert_eq!(result.sentence, sentence(16, 12));
        assert!(run.reveal().iter().all(|(_, a)| a.is_some()));
        assert_eq!(Side::B.letter(), "B");
    }

    proptest! {
        /// X is a fair coin: over 4000 seeded trials A comes up between 46% and 54% of the time
        /// (5 standard deviations either side of half).
        #[test]
        fn sides_are_even(seed in any::<u64>()) {
            let run = Abx::new(4000, seed);
            let a = run.reveal().iter().filter(|(x, _)| *x == Side::A).count();
            prop_assert!((1840..=2160).contains(&a), "{}", a);
        }

        /// At least k and at most k − 1 right are the whole: p(n, k) + p(n, n − k + 1) = 1 (the
        /// second is the chance of at most k − 1 right, by symmetry); and the tail shrinks as k
        /// grows (to rounding: near 1 the sums differ in their last bits).
        #[test]
        fn tails_are_consistent(n in 1usize..400, k in 1usize..400) {
            let k = k.min(n);
            let sum = p_value(n, k) + p_value(n, n - k + 1);
            prop_assert!((sum - 1.0).abs() < 1e-9, "{} {} {}", n, k, sum);
            prop_assert!(p_value(n, k) + 1e-12 >= p_value(n, k + 1));
        }
    }
}
