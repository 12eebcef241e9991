//! The guess mode's adaptive staircase: how big a level change is played next, and what the
//! answers say about the smallest change the listener hears (their just-noticeable difference,
//! JND), per role, with weak roles brought back more often.
//!
//! # One staircase
//!
//! A trial plays one part moved up or down by the *level* `x` dB; the listener says which way.
//! There are two answers, so guessing is right half the time.
//!
//! - **Rule: 2-down/1-up.** Two right answers in a row make the next change smaller, one wrong
//!   answer makes it bigger. The level stops drifting where going down is as likely as going up:
//!   where two right in a row happen half the time, `p² = 1/2`, so `p = √½ ≈ 70.7%` right
//!   (Levitt's transformed up-down rule). That is well above guessing (50%) and below certainty,
//!   where a listener is hearing the change but only just: the JND we estimate is *the change
//!   heard right 70.7% of the time*. A 1-up/1-down rule would settle on 50%, which here is
//!   guessing; 3-down/1-up (79.4%) needs three right answers for every step down, so more
//!   trials for the same number of reversals.
//! - **Steps are ratios.** The level moves by a factor, `x → x·2^(∓step)`, with `step` in
//!   octaves of the level (1 octave: halve or double). Changes between 0.5 and 6 dB span a
//!   factor of 12; a 1 dB step would leap from 0.5 dB to 1.5 dB and crawl from 6 dB to 5 dB,
//!   while a ratio is as fine at either end.
//! - **Steps shrink.** At every reversal (the level turning from going down to going up, or back)
//!   the step halves, down to a floor: from 1 octave (×2) to ½ (×1.41) to ¼ (×1.19) with the
//!   defaults. The move that makes a reversal already uses the halved step.
//! - **Held within bounds.** The level stays within `min_db..=max_db` (0.5..=6 dB by default):
//!   below 0.5 dB level changes are hard to play honestly among other parts, above 6 dB the
//!   task is no longer a listening test.
//! - **The estimate** is the geometric mean of the levels at the last reversals (the mean of
//!   their logarithms), leaving out the reversals made before the step reached its floor (with
//!   the defaults, the first two): the steps are ratios, so the level swings evenly around the
//!   70.7% point in logarithms, and the geometric mean is the middle of that swing. At most
//!   `estimate_reversals` (6) reversals count.
//! - **Confidence** comes from how many reversals count and how much they scatter: `s` is the
//!   standard deviation of their log₂ levels and `se = s / √n` its standard error, so the JND is
//!   likely within `jnd·2^(±se)` ([`Estimate::low_db`], [`Estimate::high_db`]). *Firm*: at least
//!   6 reversals and `se ≤ 0.1` (within ±7%); *fair*: at least 4 and `se ≤ 0.2` (±15%); else
//!   *rough*.
//!   Before the first reversal the estimate is the level it would play next, rough.
//! - **Stop rule.** A staircase is done after `stop_reversals` reversals (8: the two that shrink
//!   the step and six that count) or `max_trials` trials (60), whichever comes first, or when
//!   it is pinned at a bound: the last [`PINNED_TRIALS`] (8) trials all right at the smallest
//!   level, or all wrong at the largest. Such a listener hears at least that well, or not even
//!   that: more trials there would tell nothing more.
//!
//! # How close it gets
//!
//! Simulated listeners (the tests: right `0.5 + 0.5·F(log₂(x/θ)/s)` of the time, `F` logistic)
//! over 200 seeded runs each, with the defaults: a run takes about 30 trials (at most 60).
//! Where the 70.7% point `x*` is 1.3 to 2.7 dB and the slope `s` ¼ to ½ octave, the average
//! estimate is within 6% of `x*` and 83% to 94% of single runs are within a factor 1.5. Near
//! the 0.5 dB floor the estimate reads high (`x*` = 0.8 dB: +11% on average), as the swings
//! below the floor are cut off; a listener with a shallow slope (1 octave) scatters more (58%
//! of runs within 1.5×, +19% on average). One run is a fair first answer; the history's
//! estimates over several sessions are the better one.
//!
//! # Several roles: weak-point focus
//!
//! [`Roles`] keeps one staircase per role (a role is any label the flow uses: a [`Role`]'s
//! word, a group's name) and picks which role comes next at random with weights
//!
//! ```text
//! w_r = (m_r + 1) / (n_r + 2) × x_r / x̄
//! ```
//!
//! where `n_r` is the number of answers for role `r`, `m_r` how many were wrong (so the first
//! factor is the miss rate, starting at ½ before any answer and never 0), `x_r` the level the
//! role's staircase would play next and `x̄` the geometric mean of those levels over the roles
//! not yet done. A role missed twice as often, or heard only at twice the level, comes back
//! twice as often. Finished roles weigh 0.
//!
//! [`Role`]: crate::session::Role

use crate::exercise::blindfold::join_list;

/// A staircase whose last this-many trials were all right at its smallest level, or all
/// wrong at its largest, is done (see the module docs).
pub const PINNED_TRIALS: usize = 8;

/// How a staircase runs (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// The first level played, dB.
    pub start_db: f64,
    /// The smallest level played, dB.
    pub min_db: f64,
    /// The largest level played, dB.
    pub max_db: f64,
    /// The first step, in octaves of the level (1: halve or double).
    pub start_step: f64,
    /// The smallest step, in octaves of the level.
    pub min_step: f64,
    /// At most this many reversals count in the estimate.
    pub estimate_reversals: usize,
    /// The staircase is done after this many reversals...
    pub stop_reversals: usize,
    /// ...or after this many trials.
    pub max_trials: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            start_db: 6.0,
            min_db: 0.5,
            max_db: 6.0,
            start_step: 1.0,
            min_step: 0.25,
            estimate_reversals: 6,
            stop_reversals: 8,
            max_trials: 60,
        }
    }
}

impl Settings {
    /// The settings made usable: levels positive and in order (defaults for numbers that are
    /// not), the start within the bounds, steps positive with the floor at most the first step,
    /// at least one reversal counted, the stop at least as many reversals as are counted, and at
    /// least one trial.
    fn sane(self) -> Self {
        let d = Self::default();
        let positive = |x: f64, or: f64| if x.is_finite() && x > 0.0 { x } else { or };
        let min_db = positive(self.min_db, d.min_db);
        let max_db = positive(self.max_db, d.max_db).max(min_db);
        let start_step = positive(self.start_step, d.start_step);
        let estimate_reversals = self.estimate_reversals.max(1);
        Self {
            start_db: positive(self.start_db, max_db).clamp(min_db, max_db),
            min_db,
            max_db,
            start_step,
            min_step: positive(self.min_step, d.min_step).min(start_step),
            estimate_reversals,
            stop_reversals: self.stop_reversals.max(estimate_reversals),
            max_trials: self.max_trials.max(1),
        }
    }

    /// How many reversals happen before the step reaches its floor (they do not count).
    fn shrinking_reversals(&self) -> usize {
        let mut step = self.start_step;
        let mut n = 0;
        while step > self.min_step && n < 64 {
            step = (step / 2.0).max(self.min_step);
            n += 1;
        }
        n
    }
}

/// Which way the level moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Smaller: the next change is harder to hear.
    Down,
    /// Bigger: easier.
    Up,
}

/// One answered trial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trial {
    /// The level played, dB.
    pub level_db: f64,
    /// Whether the answer was right.
    pub correct: bool,
}

/// How sure an estimate is (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    /// Few reversals, or scattered ones.
    Rough,
    /// At least 4 reversals within about ±15%.
    Fair,
    /// At least 6 reversals within about ±7%.
    Firm,
}

impl Confidence {
    /// The word for the user.
    pub fn word(self) -> &'static str {
        match self {
            Confidence::Rough => "a rough guess",
            Confidence::Fair => "a fair estimate",
            Confidence::Firm => "a firm estimate",
        }
    }
}

/// What a staircase says about the listener.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The just-noticeable level difference, dB: the change heard right 70.7% of the time.
    pub jnd_db: f64,
    /// Likely no smaller than this, dB (`jnd·2^(−se)`).
    pub low_db: f64,
    /// Likely no larger than this, dB (`jnd·2^(se)`).
    pub high_db: f64,
    /// How many reversals the estimate is made from.
    pub reversals: usize,
    /// The standard deviation of their log₂ levels, octaves.
    pub spread: f64,
    /// How sure it is.
    pub confidence: Confidence,
    /// Whether the JND is within one smallest step of the smallest level: it may be smaller
    /// still.
    pub at_floor: bool,
    /// Whether it is within one smallest step of the largest level: it may be larger still.
    pub at_ceiling: bool,
    /// How many trials were answered.
    pub trials: usize,
}

/// One adaptive staircase (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Staircase {
    settings: Settings,
    level_db: f64,
    step: f64,
    right_in_a_row: u32,
    last_move: Option<Move>,
    trials: Vec<Trial>,
    reversals: Vec<f64>,
}

impl Default for Staircase {
    fn default() -> Self {
        Self::new(Settings::default())
    }
}

impl Staircase {
    /// A staircase at its start (odd settings are made usable, see [`Settings`]).
    pub fn new(settings: Settings) -> Self {
        let settings = settings.sane();
        Self {
            settings,
            level_db: settings.start_db,
            step: settings.start_step,
            right_in_a_row: 0,
            last_move: None,
            trials: Vec::new(),
            reversals: Vec::new(),
        }
    }

    /// Its settings, as made usable.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// The level to play next, dB; `None` when the staircase is done.
    pub fn next_level(&self) -> Option<f64> {
        (!self.is_done()).then_some(self.level_db)
    }

    /// The level the next trial would have, done or not, dB.
    pub fn level_db(&self) -> f64 {
        self.level_db
    }

    /// Whether the stop rule has been met.
    pub fn is_done(&self) -> bool {
        self.reversals.len() >= self.settings.stop_reversals
            || self.trials.len() >= self.settings.max_trials
            || self.is_pinned()
    }

    /// Whether the last [`PINNED_TRIALS`] trials were all right at the smallest level or all
    /// wrong at the largest.
    fn is_pinned(&self) -> bool {
        let Some(start) = self.trials.len().checked_sub(PINNED_TRIALS) else {
            return false;
        };
        let last = &self.trials[start..];
        let s = &self.settings;
        last.iter().all(|t| t.correct && t.level_db <= s.min_db)
            || last.iter().all(|t| !t.correct && t.level_db >= s.max_db)
    }

    /// Records the answer to the trial at [`Self::next_level`] and moves the level; returns the
    /// move made, if any. Ignored (`None`) once the staircase is done.
    pub fn answer(&mut self, correct: bool) -> Option<Move> {
        if self.is_done() {
            return None;
        }
        self.trials.push(Trial {
            level_db: self.level_db,
            correct,
        });
        let to = if correct {
            self.right_in_a_row += 1;
            if self.right_in_a_row < 2 {
                return None;
            }
            Move::Down
        } else {
            Move::Up
        };
        self.right_in_a_row = 0;
        if self.last_move.is_some_and(|last| last != to) {
            self.reversals.push(self.level_db);
            self.step = (self.step / 2.0).max(self.settings.min_step);
        }
        self.last_move = Some(to);
        let octaves = match to {
            Move::Down => -self.step,
            Move::Up => self.step,
        };
        self.level_db =
            (self.level_db * octaves.exp2()).clamp(self.settings.min_db, self.settings.max_db);
        Some(to)
    }

    /// The answered trials, in order.
    pub fn trials(&self) -> &[Trial] {
        &self.trials
    }

    /// The levels at the reversals so far, dB, in order.
    pub fn reversals(&self) -> &[f64] {
        &self.reversals
    }

    /// How many answers were wrong.
    pub fn misses(&self) -> usize {
        self.trials.iter().filter(|t| !t.correct).count()
    }

    /// The estimate so far (see the module docs); `None` before the first answer.
    pub fn estimate(&self) -> Option<Estimate> {
        if self.trials.is_empty() {
            return None;
        }
        let shrinking = self.settings.shrinking_reversals();
        let settled = if self.reversals.len() > shrinking {
            &self.reversals[shrinking..]
        } else {
            &self.reversals[..]
        };
        let used = &settled[settled
            .len()
            .saturating_sub(self.settings.estimate_reversals)..];
        let logs: Vec<f64> = used.iter().map(|x| x.log2()).collect();
        let n = used.len().max(1) as f64;
        let mean = if used.is_empty() {
            self.level_db.log2()
        } else {
            logs.iter().sum::<f64>() / n
        };
        let spread = if used.len() < 2 {
            0.0
        } else {
            (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        };
        let se = spread / n.sqrt();
        let confidence = if used.len() >= 6 && se <= 0.1 {
            Confidence::Firm
        } else if used.len() >= 4 && se <= 0.2 {
            Confidence::Fair
        } else {
            Confidence::Rough
        };
        let jnd_db = mean.exp2();
        let s = &self.settings;
        Some(Estimate {
            jnd_db,
            low_db: jnd_db * (-se).exp2(),
            high_db: jnd_db * se.exp2(),
            reversals: used.len(),
            spread,
            confidence,
            at_floor: jnd_db <= s.min_db * s.min_step.exp2(),
            at_ceiling: jnd_db >= s.max_db * (-s.min_step).exp2(),
            trials: self.trials.len(),
        })
    }
}

/// One role's staircase and name.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleStair {
    /// The role's label, as the flow gave it.
    pub role: String,
    /// Its staircase.
    pub stair: Staircase,
}

/// What to play next in guess mode.
#[derive(Debug, Clone, PartialEq)]
pub struct Guess {
    /// Which role (an index into [`Roles::stairs`]).
    pub index: usize,
    /// The change, dB (positive).
    pub level_db: f64,
    /// Whether the part goes up (else down).
    pub up: bool,
}

/// One staircase per role, with weak-point focus (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Roles {
    stairs: Vec<RoleStair>,
}

/// A draw from `random` kept in [0, 1) (a NaN counts as 0).
fn unit(random: &mut dyn FnMut() -> f64) -> f64 {
    let r = random();
    if r.is_nan() {
        0.0
    } else {
        r.clamp(0.0, 1.0 - f64::EPSILON)
    }
}

impl Roles {
    /// A fresh staircase with `settings` for each role, in the order given (a label given twice
    /// counts once).
    pub fn new(roles: &[String], settings: Settings) -> Self {
        let mut stairs: Vec<RoleStair> = Vec::new();
        for role in roles {
            if !stairs.iter().any(|s| &s.role == role) {
                stairs.push(RoleStair {
                    role: role.clone(),
                    stair: Staircase::new(settings),
                });
            }
        }
        Self { stairs }
    }

    /// The roles and their staircases.
    pub fn stairs(&self) -> &[RoleStair] {
        &self.stairs
    }

    /// Whether every staircase is done.
    pub fn is_done(&self) -> bool {
        self.stairs.iter().all(|s| s.stair.is_done())
    }

    /// Each role's weight for the next pick (see the module docs): 0 for finished roles.
    pub fn weights(&self) -> Vec<f64> {
        let open: Vec<f64> = self
            .stairs
            .iter()
            .filter(|s| !s.stair.is_done())
            .map(|s| s.stair.level_db().log2())
            .collect();
        if open.is_empty() {
            return vec![0.0; self.stairs.len()];
        }
        let mean_log = open.iter().sum::<f64>() / open.len() as f64;
        self.stairs
            .iter()
            .map(|s| {
                if s.stair.is_done() {
                    return 0.0;
                }
                let n = s.stair.trials().len() as f64;
                let m = s.stair.misses() as f64;
                (m + 1.0) / (n + 2.0) * (s.stair.level_db().log2() - mean_log).exp2()
            })
            .collect()
    }

    /// The next trial: a role drawn by weight, its staircase's level, and a direction (even
    /// odds). `None` when every staircase is done. Takes two draws from `random`.
    pub fn next(&self, random: &mut dyn FnMut() -> f64) -> Option<Guess> {
        let weights = self.weights();
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let mut target = unit(random) * total;
        let mut index = weights.iter().rposition(|w| *w > 0.0)?;
        for (i, w) in weights.iter().enumerate() {
            if *w > 0.0 && target < *w {
                index = i;
                break;
            }
            target -= w;
        }
        Some(Guess {
            index,
            level_db: self.stairs[index].stair.level_db(),
            up: unit(random) < 0.5,
        })
    }

    /// Records the answer for role `index` (ignored for an index it does not have).
    pub fn answer(&mut self, index: usize, correct: bool) -> Option<Move> {
        self.stairs.get_mut(index)?.stair.answer(correct)
    }

    /// What the estimates say, for the user: one sentence per role with an estimate, then the
    /// role to listen to next. Empty before any estimate.
    pub fn reading(&self) -> Vec<String> {
        let mut known: Vec<(&str, Estimate)> = self
            .stairs
            .iter()
            .filter_map(|s| Some((s.role.as_str(), s.stair.estimate()?)))
            .collect();
        if known.is_empty() {
            return Vec::new();
        }
        known.sort_by(|a, b| a.1.jnd_db.total_cmp(&b.1.jnd_db));
        let mut lines: Vec<String> = known
            .iter()
            .map(|(role, e)| {
                let size = if e.at_floor {
                    format!("down to {}, the smallest change played", amount(e.jnd_db))
                } else if e.at_ceiling {
                    format!("only from about {}", amount(e.jnd_db))
                } else {
                    format!("down to about {}", amount(e.jnd_db))
                };
                let basis = match e.reversals {
                    0 => String::new(),
                    1 => " from 1 reversal".to_owned(),
                    n => format!(" from {n} reversals"),
                };
                format!(
                    "You hear {} changes {size} ({}{basis}).",
                    role.replace('_', " "),
                    e.confidence.word(),
                )
            })
            .collect();
        if known.len() >= 2 {
            let weakest: Vec<String> = known
                .iter()
                .rev()
                .take_while(|(_, e)| e.jnd_db >= 1.5 * known[0].1.jnd_db)
                .map(|(role, _)| role.replace('_', " "))
                .collect();
            if weakest.is_empty() {
                lines.push("Your ear is about as keen on every part.".to_owned());
            } else {
                let verb = if weakest.len() == 1 { "is" } else { "are" };
                let list = join_list(&weakest);
                let mut chars = list.chars();
                let capital: String = chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default();
                lines.push(format!("{capital} {verb} where to listen next."));
            }
        }
        lines
    }
}

/// A level for a sentence: "1.2 dB", to a tenth.
fn amount(db: f64) -> String {
    format!("{:.1} dB", (db * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests;
