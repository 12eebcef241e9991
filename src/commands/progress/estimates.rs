//! `earmix progress` for guess mode: the smallest level change heard, per role, over the runs
//! (the history's `estimates`). One line per role, in the order the roles first appear: the
//! latest estimate, the best (smallest) and a sparkline of the estimate per run, oldest first,
//! the latest [`SPARK_RUNS`] runs. The bars span 0.5 to 6 dB (the range guess mode plays) on a
//! ratio scale: each of the eight heights is about 1.36 times the one below, so halving the
//! change heard drops a bar by about two heights wherever it starts. Lower is keener.

use crate::exercise::history::Record;
use crate::text::escape;
use crate::ui::widgets::text::{ASCII_BLOCKS, BLOCKS};

/// The most runs a role's sparkline shows (the latest), so a line fits 80 columns.
pub const SPARK_RUNS: usize = 24;

/// The widest a role's name is shown.
const NAME_WIDTH: usize = 16;

/// The smallest and largest change the bars span, dB.
const SCALE_DB: (f64, f64) = (0.5, 6.0);

/// Estimates in dB as bars of eight heights on a ratio scale from 0.5 to 6 dB (clamped), the
/// latest [`SPARK_RUNS`] of them.
pub fn sparkline(estimates: &[f64], ascii: bool) -> String {
    let bars = if ascii { &ASCII_BLOCKS } else { &BLOCKS };
    let span = (SCALE_DB.1 / SCALE_DB.0).log2();
    let start = estimates.len().saturating_sub(SPARK_RUNS);
    estimates[start..]
        .iter()
        .map(|&db| {
            let octaves = (db.clamp(SCALE_DB.0, SCALE_DB.1) / SCALE_DB.0).log2();
            bars[((octaves / span * 8.0) as usize).min(7)]
        })
        .collect()
}

/// The lines `earmix progress` adds for `exercise` when its records hold per-role estimates:
/// a heading, then one line per role. Empty when they hold none.
pub fn lines(records: &[Record], exercise: &str, ascii: bool) -> Vec<String> {
    let mut roles: Vec<(String, Vec<f64>)> = Vec::new();
    for record in records.iter().filter(|r| r.exercise == exercise) {
        for estimate in &record.estimates {
            if !estimate.jnd_db.is_finite() {
                continue;
            }
            match roles.iter_mut().find(|(role, _)| *role == estimate.role) {
                Some((_, list)) => list.push(estimate.jnd_db),
                None => roles.push((estimate.role.clone(), vec![estimate.jnd_db])),
            }
        }
    }
    if roles.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = roles
        .iter()
        .map(|(role, _)| {
            escape(&role.replace('_', " "))
                .chars()
                .take(NAME_WIDTH)
                .collect()
        })
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let mut out = vec!["  The smallest change heard per part, dB (lower is keener):".to_string()];
    for (name, (_, list)) in names.iter().zip(&roles) {
        let latest = list.last().copied().unwrap_or_default();
        let best = list.iter().copied().fold(f64::INFINITY, f64::min);
        let runs = list.len();
        out.push(format!(
            "  {name:<width$}  latest {latest:.1}  best {best:.1}  {}  ({runs} run{})",
            sparkline(list, ascii),
            if runs == 1 { "" } else { "s" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercise::history::RoleEstimate;
    use std::path::Path;
    use std::time::SystemTime;

    fn run(estimates: &[(&str, f64)]) -> Record {
        let mut record = Record::new("guess", Path::new("s.toml"), SystemTime::UNIX_EPOCH);
        record.estimates = estimates
            .iter()
            .map(|&(role, jnd_db)| RoleEstimate {
                role: role.to_string(),
                jnd_db,
                low_db: jnd_db * 0.8,
                high_db: jnd_db * 1.25,
                trials: 20,
                reversals: 6,
                confidence: "fair".to_string(),
            })
            .collect();
        record
    }

    /// 0.5 dB is the lowest bar and 6 dB the highest, on a ratio scale (1 dB: height 3 of 8,
    /// 2 dB: 5, 3 dB: 6); out-of-range values are clamped; only the latest runs are drawn.
    #[test]
    fn bars_follow_a_ratio_scale() {
        assert_eq!(sparkline(&[0.5, 1.0, 2.0, 3.0, 6.0], false), "▁▃▅▆█");
        assert_eq!(sparkline(&[0.1, 0.8, 20.0], true), "_.#");
        let many: Vec<f64> = (0..40).map(|k| if k < 39 { 6.0 } else { 0.5 }).collect();
        let line = sparkline(&many, true);
        assert_eq!(line.chars().count(), SPARK_RUNS);
        assert!(line.ends_with('_'));
    }

    /// One line per role in first-seen order: the latest estimate, the best, the bars over
    /// the runs and how many; roles missing from a run just have fewer; other exercises'
    /// records and a non-finite estimate are left out; the lines fit 80 columns.
    #[test]
    fn one_line_per_role_over_the_runs() {
        let mut records = vec![
            run(&[("bass", 3.0), ("lead_vocal", 1.0)]),
            run(&[("bass", 2.0)]),
            run(&[("lead_vocal", 0.8), ("bass", 2.5), ("Drums", f64::NAN)]),
        ];
        records.insert(
            1,
            Record::new("drill", Path::new("s.toml"), SystemTime::UNIX_EPOCH),
        );
        let text = lines(&records, "guess", true);
        assert_eq!(
            text,
            [
                "  The smallest change heard per part, dB (lower is keener):",
                "  bass        latest 2.5  best 2.0  +=+  (3 runs)",
                "  lead vocal  latest 0.8  best 0.8  ,.  (2 runs)",
            ]
        );
        assert!(lines(&records, "drill", true).is_empty());
        let long: Vec<Record> = (0..30)
            .map(|_| run(&[("a very long group name indeed", 1.5)]))
            .collect();
        for line in lines(&long, "guess", false) {
            assert!(line.chars().count() <= 80, "{line}");
        }
    }
}
