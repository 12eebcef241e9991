//! `earmix progress`: what the progress history holds, per exercise: how often it was done, the
//! best score, the last few scores (up to [`RECENT`], labelled with how many), and the score
//! over time as a sparkline (0 to 100, oldest on the left). An exercise that records how far
//! two answers were apart (the consistency drill's `consistency_db`) adds the latest and the
//! best (smallest) distance and a sparkline of the distance over time (0 to
//! [`DISTANCE_SCALE_DB`], a taller bar further apart). Lines of the history that cannot be
//! read are skipped with a warning (the caller prints them); they never stop the summary.
//!
//! Guess mode records no score: its lines are the smallest level change heard per part, over
//! the runs ([`estimates`]).
//!
//! [`RECENT`]: crate::exercise::history::RECENT

pub mod estimates;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

use crate::exercise::history::{Loaded, Record, summarise};
use crate::text::escape;
use crate::ui::widgets::text::{ASCII_BLOCKS, BLOCKS};

/// The widest a sparkline gets (the latest scores when there are more).
pub const SPARK_WIDTH: usize = 70;

/// The distance between two answers that fills a sparkline's bar: 6 dB, where the score
/// reaches 0 points.
pub const DISTANCE_SCALE_DB: f64 = 6.0;

/// The name an exercise is shown by: its title, or for an exercise this earmix does not know,
/// the name the history gives it with control characters escaped ([`escape`]).
pub fn display_name(exercise: &str) -> Cow<'_, str> {
    match exercise {
        "blindfold" => "Blindfold Balance Test".into(),
        "arc" => "Emotional Arc Exercise".into(),
        "drill" => "Level-matching drill".into(),
        "reference" => "Reference Deconstruction".into(),
        "consistency" => "Consistency drill".into(),
        "pan" => "Pan drill".into(),
        "guess" => "Guess mode".into(),
        "abx" => "Blind A/B/X".into(),
        other => escape(other),
    }
}

/// Scores from 0 to 100 as bars of eight heights (below 12.5 the lowest, from 87.5 the
/// highest), the latest [`SPARK_WIDTH`] of them.
pub fn sparkline(scores: &[f64], ascii: bool) -> String {
    let bars = if ascii { &ASCII_BLOCKS } else { &BLOCKS };
    let start = scores.len().saturating_sub(SPARK_WIDTH);
    scores[start..]
        .iter()
        .map(|&s| bars[((s.clamp(0.0, 100.0) / 12.5) as usize).min(7)])
        .collect()
}

/// Distances in dB (0 to [`DISTANCE_SCALE_DB`]) as bars of eight heights, the latest
/// [`SPARK_WIDTH`] of them.
pub fn distance_sparkline(distances: &[f64], ascii: bool) -> String {
    let scaled: Vec<f64> = distances
        .iter()
        .map(|d| d / DISTANCE_SCALE_DB * 100.0)
        .collect();
    sparkline(&scaled, ascii)
}

/// The consistency lines of `exercise`'s block: the latest and best distance between two
/// answers and their sparkline; none when its records hold no distance.
fn distance_lines(records: &[Record], exercise: &str, ascii: bool) -> Vec<String> {
    let distances: Vec<f64> = records
        .iter()
        .filter(|r| r.exercise == exercise)
        .filter_map(|r| r.consistency_db)
        .filter(|d| d.is_finite())
        .collect();
    let (Some(latest), Some(best)) = (distances.last(), distances.iter().copied().reduce(f64::min))
    else {
        return Vec::new();
    };
    let shown = distances.len().min(SPARK_WIDTH);
    vec![
        format!("your two answers apart: latest {latest:.1} dB, best {best:.1} dB"),
        format!(
            "{}  ({shown} distance{}, oldest first, 0-{DISTANCE_SCALE_DB:.0} dB, lower is \
             steadier)",
            distance_sparkline(&distances, ascii),
            if shown == 1 { "" } else { "s" }
        ),
    ]
}

/// The last scores, labelled with how many they are: "last 3 scores, oldest first: 40 82 60",
/// or "last score: 80".
fn recent_scores(recent: &[f64]) -> String {
    let scores: Vec<String> = recent.iter().map(|s| format!("{s:.0}")).collect();
    match recent.len() {
        1 => format!("last score: {}", scores.join(" ")),
        n => format!("last {n} scores, oldest first: {}", scores.join(" ")),
    }
}

/// The summary `earmix progress` prints for the history at `path`.
pub fn render(loaded: &Loaded, path: &Path, ascii: bool) -> String {
    let mut out = String::new();
    if loaded.records.is_empty() {
        let _ = writeln!(
            out,
            "No exercises finished yet: each one you finish adds a line to {}.",
            escape(&path.display().to_string())
        );
        return out;
    }
    let _ = writeln!(out, "Progress from {}", escape(&path.display().to_string()));
    for summary in summarise(&loaded.records) {
        let times = if summary.count == 1 { "time" } else { "times" };
        let _ = write!(
            out,
            "\n{}: done {} {times}",
            display_name(&summary.exercise),
            summary.count
        );
        if let Some(best) = summary.best {
            let _ = writeln!(out, ", best {best:.0}");
            let _ = writeln!(out, "  {}", recent_scores(&summary.recent));
            let shown = summary.scores.len().min(SPARK_WIDTH);
            let _ = writeln!(
                out,
                "  {}  ({shown} score{}, oldest first, 0-100)",
                sparkline(&summary.scores, ascii),
                if shown == 1 { "" } else { "s" }
            );
        } else {
            let roles = estimates::lines(&loaded.records, &summary.exercise, ascii);
            if roles.is_empty() {
                let _ = writeln!(out, ", no scores");
                if let Some(line) = last_abx(&loaded.records, &summary.exercise) {
                    let _ = writeln!(out, "  {line}");
                }
            } else {
                let _ = writeln!(out);
                for line in roles {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
        for line in distance_lines(&loaded.records, &summary.exercise, ascii) {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

/// The latest blind A/B/X result of `exercise`: "last: 9 of 10 right, snapshot Verse up
/// against the current mix; guessing does this well 1.1% of the time".
fn last_abx(records: &[crate::exercise::history::Record], exercise: &str) -> Option<String> {
    let abx = records
        .iter()
        .rev()
        .filter(|r| r.exercise == exercise)
        .find_map(|r| r.abx.as_ref())?;
    let p = abx.p_value * 100.0;
    let chance = if p < 0.1 {
        "less than 0.1%".to_string()
    } else if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    };
    Some(format!(
        "last: {} of {} right, snapshot {} against the {}; guessing does this well {chance} \
         of the time",
        abx.right,
        abx.trials,
        escape(&abx.a),
        escape(&abx.b)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercise::history::{RECENT, Record};
    use std::time::SystemTime;

    fn record(exercise: &str, score: Option<f64>) -> Record {
        let r = Record::new(exercise, Path::new("s.toml"), SystemTime::UNIX_EPOCH);
        match score {
            Some(s) => r.with_score(s),
            None => r,
        }
    }

    /// Each score picks one of eight bars by its eighth of 0-100; out-of-range scores are
    /// clamped; only the latest `SPARK_WIDTH` are drawn.
    #[test]
    fn sparkline_bars() {
        assert_eq!(
            sparkline(&[0.0, 12.4, 12.5, 50.0, 87.5, 100.0], false),
            "▁▁▂▅██"
        );
        assert_eq!(sparkline(&[-5.0, 130.0, 62.5], true), "_#+");
        let many: Vec<f64> = (0..100).map(f64::from).collect();
        let line = sparkline(&many, true);
        assert_eq!(line.chars().count(), SPARK_WIDTH);
        assert!(line.ends_with('#'));
        assert_eq!(sparkline(&[], false), "");
    }

    /// One block per exercise in first-seen order: count, best, the last scores labelled with
    /// how many they are (a list, not one "latest" score) and the line.
    #[test]
    fn summary_lists_each_exercise() {
        let loaded = Loaded {
            records: vec![
                record("drill", Some(40.0)),
                record("blindfold", None),
                record("drill", Some(81.6)),
                record("drill", Some(60.0)),
                record("arc", Some(55.0)),
            ],
            warnings: Vec::new(),
        };
        let text = render(&loaded, Path::new("/h/history.jsonl"), true);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "Progress from /h/history.jsonl",
                "",
                "Level-matching drill: done 3 times, best 82",
                "  last 3 scores, oldest first: 40 82 60",
                "  -*=  (3 scores, oldest first, 0-100)",
                "",
                "Blindfold Balance Test: done 1 time, no scores",
                "",
                "Emotional Arc Exercise: done 1 time, best 55",
                "  last score: 55",
                "  =  (1 score, oldest first, 0-100)",
            ]
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 80));
    }

    /// An A/B/X record has no score: its block gives the latest result and the chance of
    /// guessing as well.
    #[test]
    fn abx_results_are_listed() {
        let mut r = record("abx", None);
        r.abx = Some(crate::exercise::history::AbxRecord {
            a: "Verse up".into(),
            b: "current mix".into(),
            trials: 10,
            right: 9,
            p_value: 11.0 / 1024.0,
        });
        let loaded = Loaded {
            records: vec![record("abx", None), r],
            ..Loaded::default()
        };
        let text = render(&loaded, Path::new("h.jsonl"), false);
        assert!(
            text.contains(
                "\nBlind A/B/X: done 2 times, no scores\n  last: 9 of 10 right, snapshot Verse \
                 up against the current mix; guessing does this well 1.1% of the time\n"
            ),
            "{text}"
        );
    }

    /// With more scores than are listed, the label counts the listed ones: the last five.
    #[test]
    fn only_the_last_scores_are_listed() {
        let loaded = Loaded {
            records: (1..=7)
                .map(|s| record("drill", Some(f64::from(s) * 10.0)))
                .collect(),
            warnings: Vec::new(),
        };
        let text = render(&loaded, Path::new("/h/history.jsonl"), true);
        assert_eq!(RECENT, 5);
        assert!(
            text.contains("\n  last 5 scores, oldest first: 30 40 50 60 70\n"),
            "{text}"
        );
        assert!(text.contains("(7 scores, oldest first, 0-100)"), "{text}");
    }

    /// The consistency drill's block adds the latest and the best (smallest) distance between
    /// the two answers and their sparkline on the 0-6 dB scale, from hand-made records; other
    /// exercises' blocks have no such line.
    #[test]
    fn consistency_over_time() {
        let drilled = |score: f64, distance: f64| {
            let mut r = record("consistency", Some(score));
            r.consistency_db = Some(distance);
            r
        };
        let loaded = Loaded {
            records: vec![
                drilled(50.0, 3.0),
                record("drill", Some(70.0)),
                drilled(90.0, 0.6),
                drilled(80.0, 1.2),
            ],
            warnings: Vec::new(),
        };
        let text = render(&loaded, Path::new("/h/history.jsonl"), false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[2..],
            [
                "Consistency drill: done 3 times, best 90",
                "  last 3 scores, oldest first: 50 90 80",
                "  ▅█▇  (3 scores, oldest first, 0-100)",
                "  your two answers apart: latest 1.2 dB, best 0.6 dB",
                "  ▅▁▂  (3 distances, oldest first, 0-6 dB, lower is steadier)",
                "",
                "Level-matching drill: done 1 time, best 70",
                "  last score: 70",
                "  ▆  (1 score, oldest first, 0-100)",
            ]
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 80));
        // 3 dB is half the scale (the fifth bar); 6 dB and beyond the tallest; 0 the lowest.
        assert_eq!(distance_sparkline(&[0.0, 3.0, 6.0, 9.0], true), "_=##");
    }

    /// Guess mode has no score: its block lists the smallest change heard per part in place
    /// of "no scores".
    #[test]
    fn guess_mode_lists_each_part() {
        let mut guess = record("guess", None);
        guess.estimates = vec![crate::exercise::history::RoleEstimate {
            role: "bass".to_string(),
            jnd_db: 2.0,
            low_db: 1.6,
            high_db: 2.5,
            trials: 24,
            reversals: 6,
            confidence: "fair".to_string(),
        }];
        let loaded = Loaded {
            records: vec![guess, record("guess", None)],
            warnings: Vec::new(),
        };
        let text = render(&loaded, Path::new("/h/history.jsonl"), true);
        let lines: Vec<&str> = text.lines().skip(2).collect();
        assert_eq!(
            lines,
            [
                "Guess mode: done 2 times",
                "  The smallest change heard per part, dB (lower is keener):",
                "  bass  latest 2.0  best 2.0  =  (1 run)",
            ]
        );
    }

    /// An empty history says so and where it will be.
    #[test]
    fn empty_history() {
        let text = render(&Loaded::default(), Path::new("/h/history.jsonl"), false);
        assert!(text.starts_with("No exercises finished yet"), "{text}");
        assert!(text.contains("/h/history.jsonl"), "{text}");
    }
}
