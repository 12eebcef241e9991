//! `earmix exercise` without a name: the guided exercises, what each trains, and where the
//! history says you stand on the drill's ladder.

use std::fmt::Write as _;

use crate::exercise::Exercise;
use crate::exercise::drill;
use crate::exercise::history::Record;
use crate::ui::widgets::text::wrap;

/// The width the list is wrapped to.
const WIDTH: usize = 78;

/// The list, for `records` (the history as read).
pub fn list(records: &[Record]) -> String {
    let mut out = String::from("Exercises (start one with `earmix exercise NAME [SESSION]`):\n");
    for exercise in Exercise::ALL {
        out.push('\n');
        // The id column fits the longest id ("consistency").
        let _ = writeln!(out, "  {:<12} {}", exercise.id(), exercise.title());
        for line in wrap(exercise.summary(), WIDTH - 15, "") {
            let _ = writeln!(out, "               {line}");
        }
        let done = records
            .iter()
            .filter(|r| r.exercise == exercise.id())
            .count();
        let mut status = match done {
            0 => "Not done yet.".to_string(),
            1 => "Done once.".to_string(),
            n => format!("Done {n} times."),
        };
        if exercise == Exercise::Drill {
            let unlocked = drill::highest_unlocked(records);
            let _ = write!(
                status,
                " Levels unlocked: 1 to {unlocked} of {}.",
                drill::LADDER.len()
            );
        }
        let _ = writeln!(out, "               {status}");
    }
    out.push_str(
        "\nWithout SESSION the folk-arc demo is used (the band demo for reference and pan).\n\
         In the console, E opens this list for the open session. `earmix progress` shows\n\
         your scores over time.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::time::SystemTime;

    #[test]
    fn lists_every_exercise_with_its_count_and_the_drill_ladder() {
        let text = list(&[]);
        for exercise in Exercise::ALL {
            assert!(text.contains(exercise.id()), "{text}");
            assert!(text.contains(exercise.title()), "{text}");
        }
        assert!(text.contains("Levels unlocked: 1 to 1 of 5."), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        let passed = Record::new("drill", Path::new("s.toml"), SystemTime::UNIX_EPOCH)
            .with_level(1)
            .with_score(95.0);
        let blind = Record::new("blindfold", Path::new("s.toml"), SystemTime::UNIX_EPOCH);
        let text = list(&[passed, blind.clone(), blind]);
        assert!(text.contains("Levels unlocked: 1 to 2 of 5."), "{text}");
        assert!(
            text.contains("Done twice.") || text.contains("Done 2 times."),
            "{text}"
        );
    }
}
