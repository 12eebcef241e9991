//! The consistency drill: the same balance task twice, with another in between, and no
//! target: the score is how far the two answers are from each other
//! ([`crate::exercise::consistency`] has the formula).
//!
//! # The steps
//!
//! 1. **First time.** Every part that plays (a channel not muted, fader not off) is scrambled
//!    around the user's mix and the task section loops (the first chorus after the first
//!    verse by default, as in the Emotional Arc). The user balances it by ear; Enter.
//! 2. **In between.** The other section (the verse) loops from a scramble of its own, and the
//!    user balances that. It is a real balance of a different arrangement, not a wait: hearing
//!    and setting other levels for the same parts is what makes the ear let go of the first
//!    answer. Its answer is not scored and not kept.
//! 3. **Second time.** The task section loops again, scrambled differently from the first time
//!    (both starting points are kept, for the pull of the start); Enter shows the results.
//!
//! Each step starts afresh: its faders, every part playing (no mutes, no solos) and an empty
//! undo history. A part muted when Enter is pressed counts as off in that answer. The console
//! is blind throughout; there is nothing to flip to, so no loudness matching is needed.

#[cfg(test)]
mod tests;

use std::time::SystemTime;

use super::{Bench, ExerciseFlow, Finished, Keep, Setup, Step, db};
use crate::app::action::Action;
use crate::app::edit::MixEdit;
use crate::app::keymap::Keymap;
use crate::app::mixer::Mixer;
use crate::app::undo::UndoStack;
use crate::config::ExerciseConfig;
use crate::exercise::Exercise;
use crate::exercise::consistency::consistency;
use crate::exercise::emotional;
use crate::exercise::history::{ChannelResult, Record};
use crate::session::Session;
use crate::ui::view::{ResultRow, ResultsView};
use crate::units::Decibels;

/// How many times the second scramble is drawn again when it comes out the same as the first.
const REDRAWS: usize = 8;

/// Where the drill is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The task section, the first time.
    First,
    /// The other section, in between.
    Between,
    /// The task section again.
    Second,
}

/// The drill under way.
pub struct Consistency {
    /// The section balanced in between, then the task section (indices).
    pair: (usize, usize),
    stage: Stage,
    /// The parts: channel indices, ascending.
    parts: Vec<usize>,
    /// Every fader (session order) at the start of each step: first, in between, second.
    starts: Vec<Vec<Decibels>>,
    /// The first answer (the parts' levels; -inf: off or muted).
    first: Option<Vec<Decibels>>,
}

/// The two sections of the drill for `session`: the one balanced in between, then the task
/// section; or why it cannot run.
pub fn sections(session: &Session) -> Result<(usize, usize), String> {
    emotional::default_pair(&session.sections)
        .ok_or_else(|| "The consistency drill needs a session with two sections or more".into())
}

/// The lines the instruction panel adds: which section twice, which in between, how far the
/// faders move.
pub fn intro(setup: &Setup, config: &ExerciseConfig, session: &Session) -> Vec<String> {
    let Some((between, task)) = setup.pair else {
        return Vec::new();
    };
    let name = |k: usize| session.sections.get(k).map_or("", |s| s.name.as_str());
    vec![format!(
        "{} twice, {} in between. The faders move up to {:.0} dB either way.",
        name(task),
        name(between),
        config.scramble_db
    )]
}

impl Consistency {
    /// The drill `setup` describes.
    pub fn new(setup: &Setup) -> Self {
        Self {
            pair: setup.pair.unwrap_or((0, 1)),
            stage: Stage::First,
            parts: Vec::new(),
            starts: Vec::new(),
            first: None,
        }
    }

    /// The section looping in this step.
    fn section(&self) -> usize {
        if self.stage == Stage::Between {
            self.pair.0
        } else {
            self.pair.1
        }
    }

    /// Starts the step under way: its scrambled faders, every part playing, no solos, no
    /// undo, and its section looping.
    fn begin(&self, bench: &mut Bench<'_>) {
        let k = match self.stage {
            Stage::First => 0,
            Stage::Between => 1,
            Stage::Second => 2,
        };
        if let Some(faders) = self.starts.get(k) {
            bench.set_faders(faders);
        }
        let channels = bench.mixer.session.channels.clone();
        for (i, channel) in channels.iter().enumerate() {
            if channel.solo {
                bench.quietly(&MixEdit::Solo {
                    channel: channel.name.clone(),
                    on: false,
                });
            }
            if channel.mute && self.parts.contains(&i) {
                bench.quietly(&MixEdit::Mute {
                    channel: channel.name.clone(),
                    on: false,
                });
            }
        }
        bench.mixer.undo = UndoStack::new();
        let span = bench.section_span(self.section());
        bench.play_span(span);
    }

    /// The parts' levels now: the fader, or off when muted.
    fn answer(&self, bench: &Bench<'_>) -> Vec<Decibels> {
        let channels = &bench.mixer.session.channels;
        self.parts
            .iter()
            .map(|&i| {
                channels.get(i).map_or(Decibels::OFF, |c| {
                    if c.mute { Decibels::OFF } else { c.gain_db }
                })
            })
            .collect()
    }

    /// The parts' faders in a start (session order) of step `k`.
    fn start_of(&self, k: usize) -> Vec<Decibels> {
        self.starts.get(k).map_or_else(Vec::new, |faders| {
            self.parts
                .iter()
                .filter_map(|&i| faders.get(i).copied())
                .collect()
        })
    }

    /// The results, from the two answers.
    fn results(&self, bench: &Bench<'_>, first: &[Decibels], second: &[Decibels]) -> Finished {
        let session = &bench.mixer.session;
        let names: Vec<String> = self
            .parts
            .iter()
            .map(|&i| session.channels[i].name.clone())
            .collect();
        let (a, b) = (self.start_of(0), self.start_of(2));
        let result = consistency(&names, first, second, Some((&a, &b)));
        let rows = result
            .parts
            .iter()
            .zip(&self.parts)
            .map(|(p, &i)| ResultRow {
                name: p.name.clone(),
                role: session.channels[i].role,
                cells: vec![
                    db(p.first_db),
                    db(p.second_db),
                    format!("{:+.1}", p.difference_db),
                ],
                bar_db: Some(p.difference_db),
            })
            .collect();
        let section = &session.sections[self.pair.1].name;
        let view = ResultsView {
            title: format!("Consistency drill: {section}, twice"),
            headline: vec![
                format!(
                    "Score: {} points ({:.1} dB RMS between your two answers).",
                    result.score.points, result.score.rms_db
                ),
                format!(
                    "Your second mix sat {} dB from the first overall: that costs nothing.",
                    db(result.score.common_offset_db)
                ),
            ],
            columns: ["First", "Second", "Diff"]
                .iter()
                .map(ToString::to_string)
                .collect(),
            rows,
            chart: "Your second answer against the first, overall offset removed".to_string(),
            reading: result.reading.clone(),
            answers: bench.answers(&[(Action::Confirm, "close (back to your mix)")]),
        };
        let mut record = Record::new(Exercise::Consistency.id(), &session.path, SystemTime::now())
            .with_score(f64::from(result.score.points))
            .with_channels(
                result
                    .parts
                    .iter()
                    .map(|p| {
                        // The second answer as the level, the first as its target.
                        ChannelResult::new(
                            p.name.clone(),
                            Some(p.difference_db),
                            Some(p.second_db),
                            Some(p.first_db),
                        )
                    })
                    .collect(),
            );
        record.consistency_db = Some(result.score.rms_db);
        record.sanitize();
        Finished {
            view,
            more: Vec::new(),
            keep: Keep::Nothing,
            record,
        }
    }
}

impl ExerciseFlow for Consistency {
    fn kind(&self) -> Exercise {
        Exercise::Consistency
    }

    /// Draws the three scrambles (the second time's differs from the first's) and starts the
    /// first time.
    fn start(&mut self, bench: &mut Bench<'_>) -> Result<(), String> {
        let sections = bench.mixer.session.sections.len();
        if self.pair.0.max(self.pair.1) >= sections || self.pair.0 == self.pair.1 {
            return Err("The consistency drill needs two different sections".to_string());
        }
        self.parts = bench.playing_channels();
        if self.parts.len() < 2 {
            return Err("The consistency drill needs two parts that play".to_string());
        }
        let range = bench.config.scramble_db;
        let first = bench.scrambled(&self.parts, range);
        let between = bench.scrambled(&self.parts, range);
        let mut second = bench.scrambled(&self.parts, range);
        for _ in 0..REDRAWS {
            if second != first {
                break;
            }
            second = bench.scrambled(&self.parts, range);
        }
        self.starts = vec![first, between, second];
        self.stage = Stage::First;
        self.begin(bench);
        Ok(())
    }

    fn step(&self, mixer: &Mixer, _keymap: &Keymap) -> Step {
        let name = mixer
            .session
            .sections
            .get(self.section())
            .map_or("", |s| s.name.as_str());
        let (when, text) = match self.stage {
            Stage::First => ("first time", format!("Balance {name} by ear")),
            Stage::Between => ("in between", format!("Balance {name} by ear: not scored")),
            Stage::Second => ("second time", format!("Balance {name} as you hear it now")),
        };
        Step {
            title: format!("{}: {name}, {when}", Exercise::Consistency.title()),
            text,
            balancing: true,
            ..Step::default()
        }
    }

    fn done(&mut self, bench: &mut Bench<'_>) -> Option<Finished> {
        let answer = self.answer(bench);
        let name = |bench: &Bench<'_>, k: usize| bench.mixer.session.sections[k].name.clone();
        match self.stage {
            Stage::First => {
                self.first = Some(answer);
                self.stage = Stage::Between;
                self.begin(bench);
                // The panel says it is not scored; the status line (beside the blind flag)
                // keeps to what fits.
                bench.mixer.message = Some(format!(
                    "Now {}, from a fresh scramble",
                    name(bench, self.pair.0)
                ));
                None
            }
            Stage::Between => {
                self.stage = Stage::Second;
                self.begin(bench);
                bench.mixer.message = Some(format!(
                    "{} again, scrambled differently",
                    name(bench, self.pair.1)
                ));
                None
            }
            Stage::Second => {
                let first = self.first.clone()?;
                Some(self.results(bench, &first, &answer))
            }
        }
    }
}
