//! Scoring a balance against a target balance: the maths of the level-matching drill.
//!
//! Input: for each channel `i`, the user's level `L_i` and the target level `T_i`, in dB. Either
//! may be off (`-inf`).
//!
//! 1. **Difference.** `d_i = L_i − T_i`, clamped to `±MAX_ERROR_DB` (24 dB). A channel off on
//!    exactly one side has an infinite difference, so it counts as a capped 24 dB too loud
//!    (target off) or too quiet (level off) instead of swamping everything else. A channel off
//!    on both sides is left out: its error is 0 and it is not in the mean or the RMS.
//! 2. **Common offset.** `c = mean_j(d_j)` over the counted channels. Turning the whole mix up or
//!    down is not a balance change, so it is removed: `e_i = d_i − c`.
//! 3. **Score.** `rms_db = sqrt(mean_i(e_i²))` over the counted channels. With fewer than two
//!    counted channels there is nothing to balance and it is 0.
//! 4. **Points.** `points = round(100 × clamp(1 − rms_db / ZERO_POINTS_DB, 0, 1))` with
//!    `ZERO_POINTS_DB` = 6 dB: 0 dB → 100, 1.5 dB → 75, 3 dB → 50, 6 dB or worse → 0.
//!
//! Because of the clamp in step 1, moving every level by the same amount leaves the errors and
//! points unchanged as long as no difference reaches the 24 dB cap.

use crate::units::Decibels;

/// The largest difference, in dB, one channel counts with (step 1 in the module docs).
pub const MAX_ERROR_DB: f64 = 24.0;

/// The RMS error, in dB, that scores 0 points (step 4 in the module docs).
pub const ZERO_POINTS_DB: f64 = 6.0;

/// How a balance compares with its target.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Per channel, the error after removing the common offset, in dB: positive means louder
    /// than the target relative to the rest of the mix. 0 for channels off on both sides.
    pub errors_db: Vec<f64>,
    /// How much louder, in dB, the whole mix is than the target (the mean difference).
    pub common_offset_db: f64,
    /// The RMS of the errors over the counted channels, in dB.
    pub rms_db: f64,
    /// 0 to 100; 100 is a perfect balance.
    pub points: u32,
}

impl Score {
    /// The signed error of channel `i` in dB: positive means louder than its target relative to
    /// the rest. 0 for a channel index the score does not have.
    pub fn bias(&self, i: usize) -> f64 {
        self.errors_db.get(i).copied().unwrap_or(0.0)
    }
}

/// Why a balance could not be scored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError {
    /// The two lists are not the same channels.
    #[error("{levels} levels but {targets} targets: every channel needs both")]
    LengthMismatch { levels: usize, targets: usize },
    /// A value is NaN or +inf (off is -inf and is allowed).
    #[error("the {side} of channel {channel} is {value}: a level is a number of dB or -inf (off)")]
    NotALevel {
        /// "level" or "target".
        side: &'static str,
        /// 1-based channel number.
        channel: usize,
        value: f64,
    },
}

/// Scores the user's `levels` against `targets`, channel by channel (see the module docs).
pub fn score(levels: &[Decibels], targets: &[Decibels]) -> Result<Score, ScoreError> {
    if levels.len() != targets.len() {
        return Err(ScoreError::LengthMismatch {
            levels: levels.len(),
            targets: targets.len(),
        });
    }
    for (side, values) in [("level", levels), ("target", targets)] {
        if let Some((i, value)) = values
            .iter()
            .enumerate()
            .find(|(_, v)| v.0.is_nan() || v.0 == f64::INFINITY)
        {
            return Err(ScoreError::NotALevel {
                side,
                channel: i + 1,
                value: value.0,
            });
        }
    }
    // The capped difference of each counted channel; None for channels off on both sides.
    let differences: Vec<Option<f64>> = levels
        .iter()
        .zip(targets)
        .map(|(level, target)| {
            if level.is_off() && target.is_off() {
                None
            } else {
                Some((level.0 - target.0).clamp(-MAX_ERROR_DB, MAX_ERROR_DB))
            }
        })
        .collect();
    let counted: Vec<f64> = differences.iter().flatten().copied().collect();
    let common_offset_db = if counted.is_empty() {
        0.0
    } else {
        counted.iter().sum::<f64>() / counted.len() as f64
    };
    let errors_db: Vec<f64> = differences
        .iter()
        .map(|d| d.map_or(0.0, |d| d - common_offset_db))
        .collect();
    let rms_db = if counted.len() < 2 {
        0.0
    } else {
        let squares: f64 = counted.iter().map(|d| (d - common_offset_db).powi(2)).sum();
        (squares / counted.len() as f64).sqrt()
    };
    Ok(Score {
        errors_db,
        common_offset_db,
        rms_db,
        points: points_for(rms_db),
    })
}

/// The 0–100 figure for an RMS error in dB (step 4 in the module docs).
pub fn points_for(rms_db: f64) -> u32 {
    (100.0 * (1.0 - rms_db / ZERO_POINTS_DB).clamp(0.0, 1.0)).round() as u32
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn db(values: &[f64]) -> Vec<Decibels> {
        values.iter().copied().map(Decibels).collect()
    }

    fn assert_close(actual: &[f64], expected: &[f64]) {
        assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() < 1e-9, "{actual:?} vs {expected:?}");
        }
    }

    /// The same balance 5 dB louder is a perfect score: the offset is not a balance error.
    #[test]
    fn shifted_identical_balance_scores_100() {
        // differences all +5, mean +5, errors all 0.
        let s = score(&db(&[-1.0, -7.0, -13.0]), &db(&[-6.0, -12.0, -18.0])).unwrap();
        assert_close(&s.errors_db, &[0.0, 0.0, 0.0]);
        assert!((s.common_offset_db - 5.0).abs() < 1e-12);
        assert_eq!(s.rms_db, 0.0);
        assert_eq!(s.points, 100);
    }

    /// The worked example: errors, RMS and points match the hand arithmetic.
    #[test]
    fn hand_computed_three_channels() {
        // d = [0-(-1), -3-(-1), -6-(-1)] = [1, -2, -5]; mean = -6/3 = -2;
        // e = [3, 0, -3]; rms = sqrt((9+0+9)/3) = sqrt(6) ≈ 2.449;
        // points = round(100 * (1 - 2.449/6)) = round(59.18) = 59.
        let s = score(&db(&[0.0, -3.0, -6.0]), &db(&[-1.0, -1.0, -1.0])).unwrap();
        assert_close(&s.errors_db, &[3.0, 0.0, -3.0]);
        assert_eq!(s.common_offset_db, -2.0);
        assert!((s.rms_db - 6f64.sqrt()).abs() < 1e-12);
        assert_eq!(s.points, 59);
        assert_eq!(s.bias(0), 3.0);
        assert_eq!(s.bias(2), -3.0);
        assert_eq!(s.bias(99), 0.0);
    }

    /// A channel off on one side counts with the capped 24 dB difference, in the right sign.
    #[test]
    fn off_on_one_side_counts_capped() {
        // Level off: d = [0, 0, -24]; mean -8; e = [8, 8, -16];
        // rms = sqrt((64+64+256)/3) = sqrt(128) ≈ 11.31 → 0 points.
        let s = score(
            &db(&[0.0, -6.0, f64::NEG_INFINITY]),
            &db(&[0.0, -6.0, -10.0]),
        )
        .unwrap();
        assert_close(&s.errors_db, &[8.0, 8.0, -16.0]);
        assert_eq!(s.common_offset_db, -8.0);
        assert!((s.rms_db - 128f64.sqrt()).abs() < 1e-12);
        assert_eq!(s.points, 0);
        // Target off: d = [0, 0, +24]; mean 8; e = [-8, -8, 16]: the channel is too loud.
        let s = score(
            &db(&[-6.0, -6.0, -20.0]),
            &db(&[-6.0, -6.0, f64::NEG_INFINITY]),
        )
        .unwrap();
        assert_close(&s.errors_db, &[-8.0, -8.0, 16.0]);
        assert!(s.bias(2) > 0.0);
        // A finite difference beyond the cap is capped too: d = [30→24, 0]; mean 12; e = ±12.
        let s = score(&db(&[0.0, -10.0]), &db(&[-30.0, -10.0])).unwrap();
        assert_close(&s.errors_db, &[12.0, -12.0]);
    }

    /// A channel off on both sides is left out of the mean and the RMS and has no error.
    #[test]
    fn off_on_both_sides_is_left_out() {
        // As the worked example plus an off channel: still e = [3, 0, -3], rms sqrt(6) over 3.
        let off = f64::NEG_INFINITY;
        let s = score(&db(&[0.0, -3.0, off, -6.0]), &db(&[-1.0, -1.0, off, -1.0])).unwrap();
        assert_close(&s.errors_db, &[3.0, 0.0, 0.0, -3.0]);
        assert_eq!(s.common_offset_db, -2.0);
        assert!((s.rms_db - 6f64.sqrt()).abs() < 1e-12);
        assert_eq!(s.points, 59);
    }

    /// With fewer than two counted channels there is nothing to balance: 0 dB, 100 points.
    #[test]
    fn one_channel_or_none_scores_100() {
        // d = [-3-(-10)] = [7]; mean 7; e = [0].
        let s = score(&db(&[-3.0]), &db(&[-10.0])).unwrap();
        assert_eq!(s.errors_db, vec![0.0]);
        assert_eq!(s.common_offset_db, 7.0);
        assert_eq!((s.rms_db, s.points), (0.0, 100));
        let off = f64::NEG_INFINITY;
        let s = score(&db(&[-3.0, off]), &db(&[-10.0, off])).unwrap();
        assert_eq!((s.rms_db, s.points), (0.0, 100));
        let s = score(&[], &[]).unwrap();
        assert_eq!((s.common_offset_db, s.rms_db, s.points), (0.0, 0.0, 100));
    }

    /// Mismatched lengths, NaN and +inf are errors, not panics.
    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(
            score(&db(&[0.0, 0.0]), &db(&[0.0])),
            Err(ScoreError::LengthMismatch {
                levels: 2,
                targets: 1
            })
        );
        let error = score(&db(&[0.0, f64::NAN]), &db(&[0.0, 0.0])).unwrap_err();
        assert!(matches!(
            error,
            ScoreError::NotALevel {
                side: "level",
                channel: 2,
                ..
            }
        ));
        assert!(
            error.to_string().contains("level of channel 2 is NaN"),
            "{error}"
        );
        let error = score(&db(&[0.0]), &db(&[f64::INFINITY])).unwrap_err();
        assert!(
            error.to_string().contains("target of channel 1 is inf"),
            "{error}"
        );
    }

    /// The 0–100 mapping: 0 dB → 100, 1.5 → 75, 3 → 50, 6 → 0, and worse than 6 stays 0.
    #[test]
    fn points_mapping() {
        assert_eq!(points_for(0.0), 100);
        assert_eq!(points_for(1.5), 75);
        assert_eq!(points_for(3.0), 50);
        assert_eq!(points_for(6.0), 0);
        assert_eq!(points_for(9.0), 0);
    }

    proptest! {
        /// Moving every level by the same amount changes neither the errors nor the points
        /// (levels and targets within 20 dB of each other, shift within 4 dB: no difference
        /// reaches the 24 dB cap).
        #[test]
        fn common_shift_changes_nothing(
            pairs in proptest::collection::vec((-20.0..0.0f64, -20.0..0.0f64), 0..12),
            shift in -4.0..4.0f64,
        ) {
            let levels: Vec<Decibels> = pairs.iter().map(|p| Decibels(p.0)).collect();
            let targets: Vec<Decibels> = pairs.iter().map(|p| Decibels(p.1)).collect();
            let shifted: Vec<Decibels> = levels.iter().map(|l| Decibels(l.0 + shift)).collect();
            let a = score(&levels, &targets).unwrap();
            let b = score(&shifted, &targets).unwrap();
            for (x, y) in a.errors_db.iter().zip(&b.errors_db) {
                prop_assert!((x - y).abs() < 1e-9, "{:?} vs {:?}", a, b);
            }
            prop_assert_eq!(a.points, b.points);
        }
    }
}
