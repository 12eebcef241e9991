//! Scoring the consistency drill: the same balance task twice, scrambled differently each
//! time, with something else in between. There is no target: the score is how far the
//! listener's two answers are from each other.
//!
//! # The formula
//!
//! For each part `i`, the fader the listener left it at the first time, `F_i`, and the second
//! time, `S_i`, in dB (`-inf` = off):
//!
//! 1. **Distance.** The two answers are compared with [`score`], the level drill's maths, the
//!    second answer as the level and the first as the target: `d_i = S_i − F_i` (capped at
//!    ±24 dB, a part off in one answer only counting as the cap), the common offset
//!    `c = mean(d_i)` removed, `e_i = d_i − c`. Ending louder or quieter overall the second
//!    time is not a different balance, exactly as in the level drill. `rms = sqrt(mean(e_i²))`
//!    and the points (0 dB → 100, 3 dB → 50, 6 dB → 0) are the level drill's too, so the two
//!    drills' figures read the same way.
//! 2. **Pull of the start** (when the two starting points are known). With the starting faders
//!    `A_i` (first) and `B_i` (second), `a_i = (B_i − A_i) − mean(B − A)` is how differently the
//!    two scrambles placed each part, and the pull `k = Σ e_i·a_i / Σ a_i²` is how much of that
//!    survived into the answers: 0 means the answers do not depend on where the faders
//!    started, 1 that the listener moved the faders by the same amounts both times. It is
//!    reported from 0.25 up, when the answers differ by at least 1 dB: the starting place is
//!    then a likely reason.

use crate::exercise::blindfold::{join_list, magnitude_db};
use crate::exercise::score::{Score, score};
use crate::units::Decibels;

/// A part whose two answers differ by at least this many dB against the rest is named.
pub const NAMED_DIFFERENCE_DB: f64 = 1.0;

/// The pull of the start (step 2) is reported from this value up.
pub const NAMED_PULL: f64 = 0.25;

/// One part's two answers.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsistencyPart {
    /// The part's name.
    pub name: String,
    /// Its fader in the first answer, dB; `-inf` = off.
    pub first_db: f64,
    /// Its fader in the second answer, dB; `-inf` = off.
    pub second_db: f64,
    /// How much louder it was the second time against the rest, dB (`e_i`).
    pub difference_db: f64,
}

/// How far apart two answers are.
#[derive(Debug, Clone, PartialEq)]
pub struct Consistency {
    /// The parts, in the order given.
    pub parts: Vec<ConsistencyPart>,
    /// The two answers compared as a level-drill score (the second against the first).
    pub score: Score,
    /// How much of the difference between the two starting points survived into the answers
    /// (step 2); `None` without the starting points or when they did not differ.
    pub pull: Option<f64>,
    /// What the result means, in short paragraphs for the user.
    pub reading: Vec<String>,
}

/// A value that is not a level (NaN, +inf) counts as off.
fn level_or_off(db: Decibels) -> Decibels {
    if db.0.is_finite() { db } else { Decibels::OFF }
}

/// Compares the two answers `first` and `second` for the parts `names` (the three go together
/// by position; extra entries in the longer ones are ignored). `starts` are the two starting
/// points (first, second), when known, for the pull of the start; they must be as long as the
/// answers or are not used.
pub fn consistency(
    names: &[String],
    first: &[Decibels],
    second: &[Decibels],
    starts: Option<(&[Decibels], &[Decibels])>,
) -> Consistency {
    let n = names.len().min(first.len()).min(second.len());
    let first: Vec<Decibels> = first[..n].iter().copied().map(level_or_off).collect();
    let second: Vec<Decibels> = second[..n].iter().copied().map(level_or_off).collect();
    // Cannot fail: the lists are as long as each other and hold numbers or -inf only.
    let score = score(&second, &first).unwrap_or_else(|_| Score {
        errors_db: vec![0.0; n],
        common_offset_db: 0.0,
        rms_db: 0.0,
        points: 100,
    });
    let parts: Vec<ConsistencyPart> = names[..n]
        .iter()
        .enumerate()
        .map(|(i, name)| ConsistencyPart {
            name: name.clone(),
            first_db: first[i].0,
            second_db: second[i].0,
            difference_db: score.bias(i),
        })
        .collect();
    let pull = starts.and_then(|(a, b)| pull(&score.errors_db, a, b));
    let reading = reading(&parts, &score, pull);
    Consistency {
        parts,
        score,
        pull,
        reading,
    }
}

/// The pull of the start (step 2 in the module docs): `None` unless both starts are as long as
/// the errors, finite, and differ other than by a common offset.
fn pull(errors: &[f64], a: &[Decibels], b: &[Decibels]) -> Option<f64> {
    if a.len() != errors.len() || b.len() != errors.len() || errors.is_empty() {
        return None;
    }
    let moved: Vec<f64> = a.iter().zip(b).map(|(a, b)| b.0 - a.0).collect();
    if moved.iter().any(|m| !m.is_finite()) {
        return None;
    }
    let mean = moved.iter().sum::<f64>() / moved.len() as f64;
    let centred: Vec<f64> = moved.iter().map(|m| m - mean).collect();
    let squares: f64 = centred.iter().map(|a| a * a).sum();
    if squares < 1e-9 {
        return None;
    }
    Some(errors.iter().zip(&centred).map(|(e, a)| e * a).sum::<f64>() / squares)
}

/// The paragraphs of the reading.
fn reading(parts: &[ConsistencyPart], score: &Score, pull: Option<f64>) -> Vec<String> {
    if parts.len() < 2 {
        return vec!["With fewer than two parts there is no balance to compare.".to_owned()];
    }
    let meaning = if score.rms_db < 1.0 {
        "That is very consistent: you hear this balance the same way each time."
    } else if score.rms_db < 2.0 {
        "That is fairly consistent, with some parts placed differently."
    } else {
        "Your judgement of this balance is still moving: the same song got two different mixes."
    };
    let mut paragraphs = vec![format!(
        "Your two answers are {} apart on average, with the overall level taken out ({} \
         points). {meaning}",
        magnitude_db(score.rms_db),
        score.points
    )];
    let mut named: Vec<&ConsistencyPart> = parts
        .iter()
        .filter(|p| p.difference_db.abs() >= NAMED_DIFFERENCE_DB)
        .collect();
    named.sort_by(|a, b| b.difference_db.abs().total_cmp(&a.difference_db.abs()));
    let moved: Vec<String> = named
        .iter()
        .map(|p| {
            let way = if p.difference_db > 0.0 {
                "louder"
            } else {
                "quieter"
            };
            format!("{} {} {way}", p.name, magnitude_db(p.difference_db))
        })
        .collect();
    if !moved.is_empty() {
        paragraphs.push(format!(
            "The second time you had {} against the rest.",
            join_list(&moved)
        ));
    }
    if let Some(k) = pull.filter(|k| *k >= NAMED_PULL && score.rms_db >= 1.0) {
        paragraphs.push(format!(
            "About {:.0}% of the difference between where the faders started stayed in your \
             answers: where they start pulls your balance. Try bringing every fader down first \
             and building the mix up from the part that matters most.",
            (k.min(1.0) * 100.0).round()
        ));
    }
    paragraphs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn db(values: &[f64]) -> Vec<Decibels> {
        values.iter().copied().map(Decibels).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// The same balance twice, 4 dB lower the second time, is perfectly consistent.
    #[test]
    fn same_balance_lower_is_consistent() {
        let c = consistency(
            &names(&["Vocal", "Bass", "Drums"]),
            &db(&[-3.0, -8.0, -6.0]),
            &db(&[-7.0, -12.0, -10.0]),
            None,
        );
        assert_eq!((c.score.rms_db, c.score.points), (0.0, 100));
        assert!(close(c.score.common_offset_db, -4.0));
        assert_eq!(c.reading.len(), 1);
        assert!(c.reading[0].starts_with("Your two answers are 0.0 dB apart"));
        assert!(c.reading[0].contains("very consistent"));
    }

    /// The worked example: differences with the common offset removed, the RMS, the points
    /// and the parts named, largest first.
    #[test]
    fn hand_computed_three_parts() {
        // d = S − F = [2, -1, -1]; c = 0; e = [2, -1, -1]; rms = sqrt(6/3) = 1.414;
        // points = round(100·(1 − 1.414/6)) = round(76.43) = 76.
        let c = consistency(
            &names(&["Vocal", "Bass", "Drums"]),
            &db(&[-4.0, -6.0, -8.0]),
            &db(&[-2.0, -7.0, -9.0]),
            None,
        );
        let e: Vec<f64> = c.parts.iter().map(|p| p.difference_db).collect();
        assert!(
            close(e[0], 2.0) && close(e[1], -1.0) && close(e[2], -1.0),
            "{e:?}"
        );
        assert!(close(c.score.rms_db, 2f64.sqrt()));
        assert_eq!(c.score.points, 76);
        assert_eq!(c.pull, None);
        assert_eq!(
            c.reading,
            [
                "Your two answers are 1.4 dB apart on average, with the overall level taken out \
                 (76 points). That is fairly consistent, with some parts placed differently.",
                "The second time you had Vocal 2.0 dB louder, Bass 1.0 dB quieter and Drums 1.0 \
                 dB quieter against the rest.",
            ]
        );
    }

    /// The pull of the start by hand: the answers moved half as far as the starts.
    #[test]
    fn pull_of_the_start_by_hand() {
        // Starts: first [0, 0, 0], second [6, -6, 0] → a = [6, -6, 0] (mean 0), Σa² = 72.
        // Answers differ by e = [3, -3, 0] (mean 0): Σe·a = 36, k = 0.5. rms = sqrt(18/3) =
        // 2.449 dB.
        let c = consistency(
            &names(&["Gtr", "Keys", "Bass"]),
            &db(&[-6.0, -6.0, -6.0]),
            &db(&[-3.0, -9.0, -6.0]),
            Some((&db(&[0.0, 0.0, 0.0]), &db(&[6.0, -6.0, 0.0]))),
        );
        assert!(close(c.pull.unwrap(), 0.5));
        assert!(c.reading[0].contains("still moving"));
        assert!(c.reading[2].starts_with("About 50% of the difference between where the faders"));
        // Starts that differ only by a common offset, or of the wrong length, give no pull.
        let same = db(&[0.0, 0.0, 0.0]);
        let up = db(&[2.0, 2.0, 2.0]);
        let first = db(&[-6.0, -6.0, -6.0]);
        let second = db(&[-3.0, -9.0, -6.0]);
        let labels = names(&["Gtr", "Keys", "Bass"]);
        assert_eq!(
            consistency(&labels, &first, &second, Some((&same, &up))).pull,
            None
        );
        assert_eq!(
            consistency(&labels, &first, &second, Some((&same, &up[..2]))).pull,
            None
        );
        // A small pull, or a small difference, is not worded.
        let c = consistency(
            &labels,
            &first,
            &db(&[-5.5, -6.5, -6.0]),
            Some((&same, &db(&[6.0, -6.0, 0.0]))),
        );
        assert!(close(c.pull.unwrap(), 6.0 / 72.0));
        assert_eq!(c.reading.len(), 1);
    }

    /// A part off in one answer counts with the capped 24 dB, NaN counts as off, extra entries
    /// are ignored and one part gives a reading, not a panic.
    #[test]
    fn odd_input() {
        // d = [0, -24]; c = -12; e = [12, -12].
        let c = consistency(
            &names(&["A", "B"]),
            &db(&[-6.0, -6.0, 0.0]),
            &db(&[-6.0, f64::NAN]),
            None,
        );
        assert_eq!(c.parts.len(), 2);
        assert!(c.parts[1].second_db == f64::NEG_INFINITY);
        assert!(close(c.parts[0].difference_db, 12.0) && close(c.parts[1].difference_db, -12.0));
        let c = consistency(&names(&["A"]), &db(&[0.0]), &db(&[3.0]), None);
        assert_eq!(
            c.reading,
            ["With fewer than two parts there is no balance to compare."]
        );
    }
}
