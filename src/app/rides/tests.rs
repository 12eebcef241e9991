use super::*;

fn points(list: &[(f64, f64)]) -> Vec<RidePoint> {
    list.iter()
        .map(|&(at, db)| RidePoint::new(at, db))
        .collect()
}

/// A ride's mean over a span is exact for its straight lines, and holds its ends outside.
#[test]
fn the_mean_of_a_ride_over_a_span() {
    let ride = points(&[(1.0, 0.0), (3.0, 4.0)]);
    assert!((mean_ride_db(&ride, 1.0, 3.0) - 2.0).abs() < 1e-12);
    // 0-1 s at 0 dB, 1-3 s averaging 2 dB, 3-4 s at 4 dB: (0 + 4 + 4) / 4.
    assert!((mean_ride_db(&ride, 0.0, 4.0) - 2.0).abs() < 1e-12);
    assert!((mean_ride_db(&ride, 5.0, 9.0) - 4.0).abs() < 1e-12);
    assert!((mean_ride_db(&ride, 2.0, 2.0) - 2.0).abs() < 1e-12);
    assert_eq!(mean_ride_db(&[], 0.0, 10.0), 0.0);
}

/// A take letting go near the session's end keeps its points up to the end, the last one at
/// the end with the level the glide back has there.
#[test]
fn a_ride_stops_at_the_sessions_end() {
    let ride = points(&[(4.0, 0.0), (4.9, 2.0), (5.2, 0.0)]);
    let clipped = clip_to_end(ride.clone(), 5.0);
    assert_eq!(clipped.len(), 3);
    assert_eq!(clipped[2].at, Seconds(5.0));
    assert!((clipped[2].db.0 - 2.0 * 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(clip_to_end(ride.clone(), 6.0), ride);
}

/// Reshaping a section keeps the ride outside it exactly, glides 50 ms inside each edge, and
/// leaves no ride when what is left is 0 dB throughout.
#[test]
fn reshaping_a_section_leaves_the_rest_alone() {
    let old = points(&[(0.0, 1.0), (10.0, 1.0)]);
    let up = reshape(&old, 4.0, 6.0, |db| db + 0.5).unwrap();
    assert_eq!(
        up,
        points(&[
            (0.0, 1.0),
            (4.0, 1.0),
            (4.05, 1.5),
            (5.95, 1.5),
            (6.0, 1.0),
            (10.0, 1.0)
        ])
    );
    for t in [0.0, 2.0, 4.0, 6.0, 8.0, 10.0] {
        assert_eq!(ride_db_at(&up, Seconds(t)), ride_db_at(&old, Seconds(t)));
    }
    let bump = points(&[(4.0, 0.0), (5.0, 2.0), (6.0, 0.0)]);
    assert_eq!(reshape(&bump, 3.0, 7.0, |_| 0.0), None);
}
