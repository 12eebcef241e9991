//! The Blindfold Balance Test: balance a scrambled mix by ear, blind, then see it measured
//! against textbook levels per role.

use std::time::SystemTime;

use super::{
    Bench, ExerciseFlow, Finished, Keep, Measuring, Step, arrived, db, db_opt, dbfs,
    measure_in_background, without_scenes,
};
use crate::analysis::levels::ChannelLevel;
use crate::app::action::Action;
use crate::app::edit::MixEdit;
use crate::app::keymap::Keymap;
use crate::app::mixer::Mixer;
use crate::exercise::Exercise;
use crate::exercise::blindfold;
use crate::exercise::history::{ChannelResult, Record};
use crate::ui::view::{ResultRow, ResultsView};
use crate::units::Seconds;

/// Plays shorter than this are too little to measure: the results then measure the loop (or
/// the song).
const MIN_MEASURED_SPAN: f64 = 3.0;

/// The test under way.
#[derive(Default)]
pub struct Blindfold {
    /// What the step loops (the song), then what was measured.
    span: (Seconds, Seconds),
    /// The span heard while balancing, in seconds.
    played: Option<(f64, f64)>,
    /// The mix being measured, once Enter is pressed.
    measuring: Option<Measuring<Vec<ChannelLevel>>>,
}

impl Blindfold {
    /// A test about to start.
    pub fn new() -> Self {
        Self::default()
    }

    /// The results, from the levels measured.
    fn results(&self, bench: &Bench<'_>, levels: &[ChannelLevel]) -> Finished {
        let session = &bench.mixer.session;
        let result = blindfold::analyse(session, levels, bench.targets);
        let rows = result
            .channels
            .iter()
            .map(|c| ResultRow {
                name: c.name.clone(),
                role: c.role,
                cells: vec![
                    db(c.fader_db),
                    dbfs(c.peak_dbfs),
                    dbfs(c.rms_dbfs),
                    format!("{:.1}", c.target_dbfs),
                    db_opt(c.difference_db),
                ],
                bar_db: c.deviation_db,
            })
            .collect();
        let mut headline = vec![format!(
            "Measured over {} to {} with your final faders.",
            self.span.0, self.span.1
        )];
        if let Some(score) = &result.score {
            headline.push(format!(
                "Against the textbook: {} points (typical deviation {:.1} dB).",
                score.points, score.rms_db
            ));
        }
        let edits: Vec<MixEdit> = session
            .channels
            .iter()
            .zip(&bench.before.channels)
            .filter(|(now, was)| now.gain_db != was.gain_db)
            .map(|(now, _)| MixEdit::Gain {
                channel: now.name.clone(),
                db: now.gain_db,
            })
            .collect();
        let view = ResultsView {
            title: "Blindfold Balance Test: what you did".to_string(),
            headline,
            columns: ["Fader", "Peak", "RMS", "Target", "Diff"]
                .iter()
                .map(ToString::to_string)
                .collect(),
            rows,
            chart: "Peak against the textbook, overall offset removed".to_string(),
            reading: result.reading.clone(),
            answers: bench.answers(&[
                (Action::Keep, "keep this balance"),
                (Action::Confirm, "close (back to your mix)"),
            ]),
        };
        let mut record = Record::new(Exercise::Blindfold.id(), &session.path, SystemTime::now())
            .with_channels(
                result
                    .channels
                    .iter()
                    .map(|c| {
                        ChannelResult::new(
                            c.name.clone(),
                            c.deviation_db,
                            c.peak_dbfs,
                            Some(c.target_dbfs),
                        )
                    })
                    .collect(),
            );
        if let Some(score) = &result.score {
            record = record
                .with_score(f64::from(score.points))
                .with_rms_db(score.rms_db);
        }
        Finished {
            view,
            more: Vec::new(),
            keep: Keep::Edits {
                edits,
                done: "Kept the balance from the Blindfold Balance Test".to_string(),
            },
            record,
        }
    }
}

impl ExerciseFlow for Blindfold {
    fn kind(&self) -> Exercise {
        Exercise::Blindfold
    }

    fn start(&mut self, bench: &mut Bench<'_>) -> Result<(), String> {
        let playing = bench.playing_channels();
        let start = bench.scrambled(&playing, bench.config.scramble_db);
        bench.set_faders(&start);
        self.span = (Seconds(0.0), bench.mixer.session.length());
        bench.play_span(self.span);
        Ok(())
    }

    fn step(&self, _mixer: &Mixer, _keymap: &Keymap) -> Step {
        let busy = self.measuring.is_some();
        Step {
            title: Exercise::Blindfold.title().to_string(),
            text: if busy {
                "Measuring your mix...".to_string()
            } else {
                "Balance the mix by ear".to_string()
            },
            balancing: !busy,
            ..Step::default()
        }
    }

    fn done(&mut self, bench: &mut Bench<'_>) -> Option<Finished> {
        if self.measuring.is_some() {
            return None;
        }
        let span = match self.played {
            Some((a, b)) if b - a >= MIN_MEASURED_SPAN => (Seconds(a), Seconds(b)),
            _ => self.span,
        };
        self.span = span;
        self.measuring = Some(measure_in_background(
            without_scenes(&bench.mixer.session),
            span,
        ));
        bench.mixer.message = Some("Measuring...".to_string());
        None
    }

    fn tick(&mut self, bench: &mut Bench<'_>) -> Option<Finished> {
        let transport = bench.mixer.transport;
        let Some(receiver) = &self.measuring else {
            if transport.playing {
                let at = transport.position.0;
                self.played = Some(
                    self.played
                        .map_or((at, at), |(a, b)| (a.min(at), b.max(at))),
                );
            }
            return None;
        };
        match arrived(receiver)? {
            Ok(levels) => {
                self.measuring = None;
                Some(self.results(bench, &levels))
            }
            Err(e) => {
                tracing::error!("blindfold measurement: {e}");
                bench.mixer.message = Some(format!("Could not measure the mix: {e}"));
                self.measuring = None;
                None
            }
        }
    }

    fn waiting(&self) -> bool {
        self.measuring.is_some()
    }
}
