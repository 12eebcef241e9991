//! Scoring the pan drill: the listener rebuilds a target's stereo picture by ear, and each
//! part's pan is compared with the target's, in pan units (−1 hard left, 0 centre, +1 hard
//! right).
//!
//! # The formula
//!
//! For each part `i`, the listener's pan `P_i` and the target's `T_i`, each held to −1..=+1
//! (a value that is not a number counts as centre):
//!
//! 1. **Error.** `e_i = P_i − T_i`, from −2 to +2: negative means too far left.
//! 2. **Total.** `rms = sqrt(mean_i(e_i²))`, 0 with no parts.
//! 3. **Points.** `points = round(100 × clamp(1 − rms / ZERO_POINTS_PAN, 0, 1))` with
//!    [`ZERO_POINTS_PAN`] = 0.5 (a quarter of the way across the field): 0 → 100, 0.125 → 75,
//!    0.25 → 50, 0.5 or worse → 0.
//! 4. **Lean**, reported, not removed: `c = mean_i(e_i)`. From 0.1 either way the reading says
//!    the whole picture leans, and names the parts by `e_i − c` (against the rest).
//! 5. **Mirror**, reported, not removed: `rms_m = sqrt(mean_i((−P_i − T_i)²))`, the total had
//!    every pan been flipped side for side. When the picture is off (`rms ≥ 0.2`) and the
//!    flipped one fits at least twice as well (`rms_m ≤ rms / 2`), the reading says so.
//!
//! # Which offsets mean nothing
//!
//! The level drill removes the common offset: the whole mix louder is a turn of the monitor
//! volume, and the balance between the parts is the same. Nothing like that holds for pan. A
//! picture moved bodily to one side is a mix that leans: one speaker (one ear on headphones)
//! carries more, the centre is no longer where the vocal and bass usually sit, and the bounce
//! would lean the same way. So the lean counts in full, and is named apart so the listener
//! knows it is one mistake and not five.
//!
//! A mirror image is a closer call: widths and distances between the parts are kept, and which
//! side the guitar sits on is an arrangement choice more than a fault. But the drill asks for
//! *this* target's picture, sides are plainly heard (unlike the monitor volume), and forgiving
//! mirrors would score a listener who cannot tell left from right as perfect. So a mirror
//! counts as wrong in the points, and the reading says that the listener got the distances
//! right and the sides swapped.

use crate::exercise::blindfold::join_list;
use crate::units::Pan;

/// The RMS error, in pan units, that scores 0 points (step 3 in the module docs).
pub const ZERO_POINTS_PAN: f64 = 0.5;

/// A part off by at least this much (pan units) is named in the reading; a lean of this much
/// is reported.
pub const NAMED_ERROR_PAN: f64 = 0.1;

/// One part's result.
#[derive(Debug, Clone, PartialEq)]
pub struct PanPart {
    /// The part's name.
    pub name: String,
    /// Where the listener put it, −1..=+1.
    pub own: f64,
    /// Where the target has it, −1..=+1.
    pub target: f64,
    /// `own − target`: negative means too far left.
    pub error: f64,
}

/// A scored stereo picture.
#[derive(Debug, Clone, PartialEq)]
pub struct PanScore {
    /// The parts, in the order given.
    pub parts: Vec<PanPart>,
    /// The RMS of the errors, pan units.
    pub rms: f64,
    /// 0 to 100.
    pub points: u32,
    /// The mean error: negative means the whole picture leans left.
    pub lean: f64,
    /// The RMS had every own pan been flipped side for side.
    pub mirror_rms: f64,
    /// Whether the picture looks like the target's mirror image (step 5).
    pub mirrored: bool,
    /// What the result means, in short paragraphs for the user.
    pub reading: Vec<String>,
}

/// A pan held to −1..=+1, centre for a value that is not a number.
fn held(pan: Pan) -> f64 {
    if pan.0.is_nan() {
        0.0
    } else {
        pan.0.clamp(-1.0, 1.0)
    }
}

/// The 0–100 figure for an RMS pan error (step 3 in the module docs).
pub fn points_for(rms: f64) -> u32 {
    (100.0 * (1.0 - rms / ZERO_POINTS_PAN).clamp(0.0, 1.0)).round() as u32
}

/// Scores the listener's pans `own` against `target`, part by part; `names`, `own` and
/// `target` go together by position (extra entries in the longer ones are ignored).
pub fn pan_score(names: &[String], own: &[Pan], target: &[Pan]) -> PanScore {
    let parts: Vec<PanPart> = names
        .iter()
        .zip(own)
        .zip(target)
        .map(|((name, own), target)| {
            let (own, target) = (held(*own), held(*target));
            PanPart {
                name: name.clone(),
                own,
                target,
                error: own - target,
            }
        })
        .collect();
    let mean = |values: &mut dyn Iterator<Item = f64>| {
        if parts.is_empty() {
            0.0
        } else {
            values.sum::<f64>() / parts.len() as f64
        }
    };
    let rms = mean(&mut parts.iter().map(|p| p.error.powi(2))).sqrt();
    let lean = mean(&mut parts.iter().map(|p| p.error));
    let mirror_rms = mean(&mut parts.iter().map(|p| (-p.own - p.target).powi(2))).sqrt();
    let mirrored = rms >= 0.2 && mirror_rms <= rms / 2.0;
    let points = points_for(rms);
    let reading = reading(&parts, rms, points, lean, mirrored);
    PanScore {
        parts,
        rms,
        points,
        lean,
        mirror_rms,
        mirrored,
        reading,
    }
}

/// A pan amount for a sentence: two decimals, a trailing zero dropped ("0.3", "0.25").
fn amount(x: f64) -> String {
    let text = format!("{:.2}", x.abs());
    text.strip_suffix('0').map_or(text.clone(), str::to_owned)
}

/// The paragraphs of the reading.
fn reading(parts: &[PanPart], rms: f64, points: u32, lean: f64, mirrored: bool) -> Vec<String> {
    if parts.is_empty() {
        return vec!["There were no parts to place.".to_owned()];
    }
    let meaning = match points {
        90.. => "That is very close to the target's picture.",
        75..=89 => "That is close: the parts sit nearly where the target has them.",
        50..=74 => "You are on the way, but some parts are clearly off.",
        _ => "The picture is still far from the target's.",
    };
    let mut paragraphs = vec![format!(
        "You scored {points} points: your parts are {} from the target's places on average, on \
         a scale from -1 (hard left) through 0 (centre) to +1 (hard right). {meaning}",
        amount(rms)
    )];
    let leans = lean.abs() >= NAMED_ERROR_PAN - 1e-9;
    let shift = if leans { lean } else { 0.0 };
    let mut off: Vec<(&PanPart, f64)> = parts
        .iter()
        .map(|p| (p, p.error - shift))
        .filter(|(_, e)| e.abs() >= NAMED_ERROR_PAN - 1e-9)
        .collect();
    off.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let placed: Vec<String> = off
        .iter()
        .map(|(p, e)| {
            let side = if *e < 0.0 { "left" } else { "right" };
            format!("{} {} too far {side}", p.name, amount(*e))
        })
        .collect();
    let mut sentences = Vec::new();
    if leans {
        let side = if lean < 0.0 { "left" } else { "right" };
        sentences.push(format!(
            "Your whole picture leans {} to the {side}: check the centre first.",
            amount(lean)
        ));
        if !placed.is_empty() {
            sentences.push(format!(
                "Against the rest, you placed {}.",
                join_list(&placed)
            ));
        }
    } else if !placed.is_empty() {
        sentences.push(format!("You placed {}.", join_list(&placed)));
    }
    if sentences.is_empty() {
        sentences.push(format!(
            "Every part is within {NAMED_ERROR_PAN} of where the target has it."
        ));
    }
    paragraphs.push(sentences.join(" "));
    if mirrored {
        paragraphs.push(
            "Your picture is close to the target's mirror image: you heard how far from the \
             centre each part sits, but put it on the other side. Listen to which speaker \
             carries each part."
                .to_owned(),
        );
    }
    paragraphs
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn pans(values: &[f64]) -> Vec<Pan> {
        values.iter().copied().map(Pan).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// The target's own picture scores 100 with nothing named.
    #[test]
    fn the_target_itself_scores_100() {
        let s = pan_score(
            &names(&["A", "B"]),
            &pans(&[-0.4, 0.7]),
            &pans(&[-0.4, 0.7]),
        );
        assert_eq!(
            (s.rms, s.points, s.lean, s.mirrored),
            (0.0, 100, 0.0, false)
        );
        assert_eq!(
            s.reading[1],
            "Every part is within 0.1 of where the target has it."
        );
    }

    /// The worked example: errors, total, points and the parts named, largest first.
    #[test]
    fn hand_computed_three_parts() {
        // e = [-0.3, 0, 0.1]; rms = sqrt(0.10/3) = 0.182574; points = round(63.485) = 63;
        // lean = -0.2/3 = -0.067 (under 0.1: not reported).
        let s = pan_score(
            &names(&["Guitars", "Bass", "Keys"]),
            &pans(&[-0.8, 0.5, 0.1]),
            &pans(&[-0.5, 0.5, 0.0]),
        );
        let errors: Vec<f64> = s.parts.iter().map(|p| p.error).collect();
        assert!(close(errors[0], -0.3) && errors[1] == 0.0 && close(errors[2], 0.1));
        assert!(close(s.rms, (0.1f64 / 3.0).sqrt()));
        assert_eq!(s.points, 63);
        assert!(close(s.lean, -0.2 / 3.0));
        assert!(s.reading[0].starts_with("You scored 63 points: your parts are 0.18 from"));
        assert_eq!(
            s.reading[1],
            "You placed Guitars 0.3 too far left and Keys 0.1 too far right."
        );
        assert_eq!(s.reading.len(), 2);
    }

    /// A picture moved bodily counts in full, and is named as one lean; parts are then named
    /// against the rest.
    #[test]
    fn a_lean_counts_and_is_named() {
        // e = [0.2, 0.2, 0.2]: rms 0.2, points 60, lean 0.2.
        let s = pan_score(
            &names(&["Vocal", "Bass", "Drums"]),
            &pans(&[0.2, 0.2, 0.2]),
            &pans(&[0.0, 0.0, 0.0]),
        );
        assert!(close(s.rms, 0.2) && close(s.lean, 0.2));
        assert_eq!(s.points, 60);
        assert_eq!(
            s.reading[1],
            "Your whole picture leans 0.2 to the right: check the centre first."
        );
        // e = [0.5, 0.24, 0.24, 0.22]: lean 0.3; against the rest [0.2, -0.06, -0.06, -0.08]:
        // Vocal only is 0.2 too far right.
        let s = pan_score(
            &names(&["Vocal", "Bass", "Drums", "Keys"]),
            &pans(&[0.5, 0.24, 0.24, 0.22]),
            &pans(&[0.0, 0.0, 0.0, 0.0]),
        );
        assert_eq!(
            s.reading[1],
            "Your whole picture leans 0.3 to the right: check the centre first. Against the \
             rest, you placed Vocal 0.2 too far right."
        );
    }

    /// A mirror image scores as wrong and the reading says the sides are swapped.
    #[test]
    fn a_mirror_is_wrong_but_recognised() {
        // e = [1.2, -1.2, 0.4]: rms = sqrt(3.04/3) = 1.00664, 0 points; flipped: all 0.
        let s = pan_score(
            &names(&["Gtr L", "Gtr R", "Keys"]),
            &pans(&[0.6, -0.6, 0.2]),
            &pans(&[-0.6, 0.6, -0.2]),
        );
        assert!(close(s.rms, (3.04f64 / 3.0).sqrt()));
        assert_eq!((s.points, s.mirror_rms, s.mirrored), (0, 0.0, true));
        assert!(s.reading[2].starts_with("Your picture is close to the target's mirror image"));
        // Nearly right is not called a mirror even when flipping would fit better.
        let s = pan_score(&names(&["A"]), &pans(&[0.05]), &pans(&[-0.05]));
        assert!(!s.mirrored && s.mirror_rms == 0.0);
    }

    /// Pans outside −1..=+1 are held to it, a NaN is centre, extra entries are ignored, and no
    /// parts give a reading, not a panic.
    #[test]
    fn odd_input() {
        let s = pan_score(
            &names(&["A", "B"]),
            &pans(&[3.0, f64::NAN, 0.4]),
            &pans(&[1.0, 0.0]),
        );
        assert_eq!(s.parts.len(), 2);
        assert_eq!((s.parts[0].own, s.parts[1].own, s.points), (1.0, 0.0, 100));
        let s = pan_score(&[], &[], &[]);
        assert_eq!((s.rms, s.points), (0.0, 100));
        assert_eq!(s.reading, ["There were no parts to place."]);
        assert_eq!(points_for(0.125), 75);
        assert_eq!(points_for(0.25), 50);
        assert_eq!(points_for(0.9), 0);
    }

    proptest! {
        /// Swapping the listener's picture and the target's negates every error and leaves the
        /// total and points unchanged; the total never exceeds 2.
        #[test]
        fn swapping_sides_is_symmetric(
            pairs in proptest::collection::vec((-1.0..=1.0f64, -1.0..=1.0f64), 0..10),
        ) {
            let labels: Vec<String> = (0..pairs.len()).map(|i| i.to_string()).collect();
            let own: Vec<Pan> = pairs.iter().map(|p| Pan(p.0)).collect();
            let target: Vec<Pan> = pairs.iter().map(|p| Pan(p.1)).collect();
            let a = pan_score(&labels, &own, &target);
            let b = pan_score(&labels, &target, &own);
            for (x, y) in a.parts.iter().zip(&b.parts) {
                prop_assert!((x.error + y.error).abs() < 1e-12);
            }
            prop_assert!((a.rms - b.rms).abs() < 1e-12 && a.points == b.points);
            prop_assert!(a.rms <= 2.0);
        }
    }
}
