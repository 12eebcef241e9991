//! The Emotional Arc Exercise: balance two contrasting sections by ear from the same scrambled
//! start, then see how the balance moved between them; keeping makes the two balances the
//! sections' scenes.

use std::time::SystemTime;

use super::{Bench, ExerciseFlow, Finished, Keep, Setup, Step, db, db_opt};
use crate::app::action::Action;
use crate::app::edit::MixEdit;
use crate::app::keymap::Keymap;
use crate::app::mixer::Mixer;
use crate::exercise::Exercise;
use crate::exercise::emotional;
use crate::exercise::history::{ChannelResult, Record};
use crate::session::{Role, Section, Session};
use crate::ui::view::{ResultRow, ResultsView};
use crate::units::Decibels;

/// One section's balance as heard: every fader, and which channels were muted.
#[derive(Debug, Clone, PartialEq)]
pub struct Heard {
    /// The faders (session order).
    pub faders: Vec<Decibels>,
    /// Whether each channel was muted (session order).
    pub muted: Vec<bool>,
}

impl Heard {
    fn of(session: &Session) -> Self {
        Self {
            faders: session.channels.iter().map(|c| c.gain_db).collect(),
            muted: session.channels.iter().map(|c| c.mute).collect(),
        }
    }
}

/// The exercise under way.
pub struct Arc {
    /// The two sections, in the order they are balanced.
    pair: (usize, usize),
    /// 0: the first section; 1: the second.
    step: usize,
    /// The scrambled start both steps begin from.
    start: Option<Heard>,
    /// The first section's balance, once done.
    first: Option<Heard>,
}

impl Arc {
    /// The exercise `setup` describes.
    pub fn new(setup: &Setup) -> Self {
        Self {
            pair: setup.pair.unwrap_or((0, 1)),
            step: 0,
            start: None,
            first: None,
        }
    }

    /// The section balanced in this step.
    fn section(&self) -> usize {
        if self.step == 0 {
            self.pair.0
        } else {
            self.pair.1
        }
    }

    /// The results, from the two balances.
    fn results(&self, bench: &Bench<'_>, first: &Heard, second: &Heard) -> Finished {
        let (a, b) = self.pair;
        let session = &bench.mixer.session;
        let channels: Vec<(String, Option<Role>)> = session
            .channels
            .iter()
            .map(|c| (c.name.clone(), c.role))
            .collect();
        let sections = &session.sections;
        let result = emotional::analyse(
            &channels,
            &first.faders,
            &second.faders,
            &sections[a].name,
            &sections[b].name,
        );
        let rows = result
            .channels
            .iter()
            .map(|c| ResultRow {
                name: c.name.clone(),
                role: c.role,
                cells: vec![db(c.first_db), db(c.second_db), db_opt(c.balance_db)],
                bar_db: c.balance_db,
            })
            .collect();
        let short =
            |name: &str| crate::ui::widgets::text::shorten_numbered(name, 8, "~").into_owned();
        let view = ResultsView {
            title: format!("Emotional Arc: {} to {}", result.first, result.second),
            headline: vec![format!(
                "Your balance moved {:.1} dB (RMS) between the two; the whole mix's {} dB \
                 change is taken out.",
                result.contrast_db,
                db(result.common_db)
            )],
            columns: vec![
                short(&result.first),
                short(&result.second),
                "Change".to_string(),
            ],
            rows,
            chart: format!(
                "{} against {}, overall change removed",
                result.second, result.first
            ),
            reading: result.reading.clone(),
            answers: bench.answers(&[
                (Action::Keep, "keep them as the two scenes"),
                (Action::Confirm, "close (back to your mix)"),
            ]),
        };
        let record = Record::new(Exercise::Arc.id(), &session.path, SystemTime::now())
            .with_rms_db(result.contrast_db)
            .with_channels(
                result
                    .channels
                    .iter()
                    .map(|c| {
                        ChannelResult::new(
                            c.name.clone(),
                            c.balance_db,
                            Some(c.second_db),
                            Some(c.first_db),
                        )
                    })
                    .collect(),
            );
        let sections = arc_scenes(bench.before, [(a, first), (b, second)]);
        Finished {
            view,
            more: Vec::new(),
            keep: Keep::Edits {
                edits: vec![MixEdit::Sections { sections }],
                done: format!(
                    "Kept your balances as the scenes of {} and {}",
                    result.first, result.second
                ),
            },
            record,
        }
    }
}

impl ExerciseFlow for Arc {
    fn kind(&self) -> Exercise {
        Exercise::Arc
    }

    fn start(&mut self, bench: &mut Bench<'_>) -> Result<(), String> {
        let sections = bench.mixer.session.sections.len();
        if self.pair.0.max(self.pair.1) >= sections || self.pair.0 == self.pair.1 {
            return Err("The Emotional Arc Exercise needs two different sections".to_string());
        }
        let playing = bench.playing_channels();
        let faders = bench.scrambled(&playing, bench.config.scramble_db);
        bench.set_faders(&faders);
        self.start = Some(Heard::of(&bench.mixer.session));
        let span = bench.section_span(self.pair.0);
        bench.play_span(span);
        Ok(())
    }

    fn step(&self, mixer: &Mixer, _keymap: &Keymap) -> Step {
        let name = &mixer.session.sections[self.section()].name;
        Step {
            title: format!(
                "{}: {name}, {} of two",
                Exercise::Arc.title(),
                if self.step == 0 { "first" } else { "second" }
            ),
            text: format!("Balance {name} by ear"),
            balancing: true,
            ..Step::default()
        }
    }

    fn done(&mut self, bench: &mut Bench<'_>) -> Option<Finished> {
        let heard = Heard::of(&bench.mixer.session);
        if self.step == 0 {
            // The second section starts from the same place as the first.
            self.first = Some(heard);
            self.step = 1;
            if let Some(start) = self.start.clone() {
                bench.set_faders(&start.faders);
                for (i, muted) in start.muted.iter().enumerate() {
                    let channel = bench.mixer.session.channels[i].name.clone();
                    bench.quietly(&MixEdit::Mute {
                        channel,
                        on: *muted,
                    });
                }
            }
            bench.mixer.undo = crate::app::undo::UndoStack::new();
            let span = bench.section_span(self.pair.1);
            bench.play_span(span);
            // The panel names the section.
            bench.mixer.message = None;
            return None;
        }
        let first = self.first.clone()?;
        Some(self.results(bench, &first, &heard))
    }
}

/// The sections of `before` with each `(section, balance)` as that section's scene: the
/// faders heard (values equal to the base fader are left out, so a scene holds only what
/// differs) and the mutes heard. The exercise plays without the scenes, so a section's old
/// scene mutes were not heard: a part that played while balancing plays in the kept scene, and
/// a part muted while balancing (not muted in the base mix) is muted there.
pub fn arc_scenes(before: &Session, balances: [(usize, &Heard); 2]) -> Vec<Section> {
    let mut sections = before.sections.clone();
    for (k, heard) in balances {
        sections[k].gain_db = before
            .channels
            .iter()
            .zip(heard.faders.iter())
            .filter(|(c, db)| {
                (c.gain_db.0 - db.0).abs() > 0.005 || c.gain_db.is_off() != db.is_off()
            })
            .map(|(c, db)| (c.name.clone(), *db))
            .collect();
        sections[k].mute = before
            .channels
            .iter()
            .zip(heard.muted.iter())
            .filter(|(c, muted)| **muted && !c.mute)
            .map(|(c, _)| c.name.clone())
            .collect();
    }
    sections
}
