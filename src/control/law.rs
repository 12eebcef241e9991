//! The fader law (UI thread and surface threads): where on a fader's travel each level sits.
//!
//! A mixing console's fader is not linear in dB: most of its travel is spent around unity, where
//! balances are made, and the bottom quarter runs quickly down to off. earmix's law, by
//! position (0.0 bottom, 1.0 top):
//!
//! | position | 0.0 | just above 0 | 0.05 | 0.125 | 0.2 | 0.33 | 0.5 | 0.75 | 1.0 |
//! |----------|-----|--------------|------|-------|-----|------|-----|------|-----|
//! | dB       | off | -60          | -50  | -40   | -30 | -20  | -10 | 0    | +12 |
//!
//! Straight lines in dB between these points: monotonic both ways, exactly invertible, finest
//! between -10 dB and unity (40 dB to the whole travel), coarsest at the bottom (about 220 dB
//! to the whole travel). A 14-bit fader (16,384 steps) moves by at most 0.014 dB a step
//! anywhere, 0.0025 dB around unity; a 7-bit one (128 steps) by about 0.3 dB around unity.

use crate::app::mixer::{FADER_FLOOR_DB, FADER_MAX_DB};

/// The law's points, (position, dB), bottom to top; off sits below the first one.
const POINTS: [(f64, f64); 8] = [
    (FLOOR_POSITION, FADER_FLOOR_DB),
    (0.05, -50.0),
    (0.125, -40.0),
    (0.2, -30.0),
    (0.33, -20.0),
    (0.5, -10.0),
    (UNITY_POSITION, 0.0),
    (1.0, FADER_MAX_DB),
];

/// Where [`FADER_FLOOR_DB`], the lowest level above off, sits: anything above 0.0 and below
/// it reads as the floor (the first step of a 7-bit fader, 1/127, is above it).
pub const FLOOR_POSITION: f64 = 0.005;

/// Where unity (0 dB) sits.
pub const UNITY_POSITION: f64 = 0.75;

/// The level at `position` (clamped to 0.0..=1.0): `None` (off) at the very bottom.
pub fn db_at(position: f64) -> Option<f64> {
    let p = if position.is_nan() {
        0.0
    } else {
        position.clamp(0.0, 1.0)
    };
    if p <= 0.0 {
        return None;
    }
    if p <= FLOOR_POSITION {
        return Some(FADER_FLOOR_DB);
    }
    let upper = POINTS
        .iter()
        .position(|&(at, _)| at >= p)
        .unwrap_or(POINTS.len() - 1);
    let (p0, d0) = POINTS[upper - 1];
    let (p1, d1) = POINTS[upper];
    Some(d0 + (d1 - d0) * (p - p0) / (p1 - p0))
}

/// Where `db` sits (`None`, off, or anything below [`FADER_FLOOR_DB`]'s position: 0.0), clamped
/// to the fader's range.
pub fn position_of(db: Option<f64>) -> f64 {
    let Some(db) = db.filter(|d| !d.is_nan() && *d != f64::NEG_INFINITY) else {
        return 0.0;
    };
    let d = db.clamp(FADER_FLOOR_DB, FADER_MAX_DB);
    let upper = POINTS
        .iter()
        .position(|&(_, at)| at >= d)
        .unwrap_or(POINTS.len() - 1)
        .max(1);
    let (p0, d0) = POINTS[upper - 1];
    let (p1, d1) = POINTS[upper];
    p0 + (p1 - p0) * (d - d0) / (d1 - d0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The law's landmarks: off at the bottom, the floor just above, unity at three quarters,
    /// +12 dB at the top, and positions outside the travel clamped.
    #[test]
    fn landmarks_sit_where_a_console_puts_them() {
        assert_eq!(db_at(0.0), None);
        assert_eq!(db_at(-0.5), None);
        assert_eq!(db_at(f64::NAN), None);
        assert_eq!(db_at(0.001), Some(FADER_FLOOR_DB));
        assert_eq!(db_at(1.0 / 127.0).map(|d| d > FADER_FLOOR_DB), Some(true));
        assert_eq!(db_at(0.75), Some(0.0));
        assert_eq!(db_at(1.0), Some(FADER_MAX_DB));
        assert_eq!(db_at(2.0), Some(FADER_MAX_DB));
        assert_eq!(position_of(None), 0.0);
        assert_eq!(position_of(Some(f64::NEG_INFINITY)), 0.0);
        assert_eq!(position_of(Some(0.0)), 0.75);
        assert_eq!(position_of(Some(40.0)), 1.0);
        assert_eq!(position_of(Some(-90.0)), FLOOR_POSITION);
    }

    /// Around unity a 14-bit step moves the level less than at the bottom of the travel.
    #[test]
    fn resolution_is_finest_around_unity() {
        let step = 1.0 / 16383.0;
        let span = |p: f64| db_at(p + step).unwrap_or(0.0) - db_at(p).unwrap_or(0.0);
        assert!(span(0.7) < span(0.02));
        assert!(span(0.7) < span(0.9));
        assert!(span(0.02) < 0.014);
    }

    proptest! {
        /// The law rises with the position, everywhere.
        #[test]
        fn the_law_is_monotonic(a in 0.0f64..=1.0, b in 0.0f64..=1.0) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let level = |p| db_at(p).unwrap_or(f64::NEG_INFINITY);
            prop_assert!(level(lo) <= level(hi));
            prop_assert!(position_of(db_at(lo)) <= position_of(db_at(hi)));
        }

        /// A level sent to a 14-bit fader and read back from it is within 0.01 dB.
        #[test]
        fn a_level_survives_a_14_bit_round_trip(db in FADER_FLOOR_DB..=FADER_MAX_DB) {
            let steps = 16383.0;
            let sent = (position_of(Some(db)) * steps).round() / steps;
            let back = db_at(sent).unwrap_or(f64::NEG_INFINITY);
            prop_assert!((back - db).abs() <= 0.01, "{db} came back as {back}");
        }

        /// A position above the floor maps to a level and back to itself.
        #[test]
        fn positions_round_trip(p in FLOOR_POSITION..=1.0) {
            prop_assert!((position_of(db_at(p)) - p).abs() < 1e-9);
        }
    }
}
