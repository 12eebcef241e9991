//! Reference Deconstruction: the user rebuilds the session's reference mix by ear from the
//! same stems, levels only (faders, trims, section scenes), flipping to the reference
//! (loudness-matched) at will. At the end the mix as it stands and the reference are measured
//! section by section (`exercise::deconstruct`), next to how far each part moved and, where the
//! reference's hidden balance is known (the band demo), the drill's score.

use std::time::SystemTime;

use super::{
    Bench, ExerciseFlow, Finished, Handled, Keep, Measuring, Setup, Step, arrived, db, db_opt,
    in_background,
};
use crate::app::action::Action;
use crate::app::edit::MixEdit;
use crate::app::effect::Effect;
use crate::app::keymap::Keymap;
use crate::app::mixer::Mixer;
use crate::config::ExerciseConfig;
use crate::exercise::Exercise;
use crate::exercise::deconstruct::{self, Comparison};
use crate::exercise::drill::{self, TargetSource};
use crate::exercise::history::{ChannelResult, Record};
use crate::exercise::score;
use crate::session::Session;
use crate::ui::view::{BlindLevel, ResultRow, ResultsView};
use crate::units::Decibels;

/// A channel's level as the exercise counts it: trim plus fader (dB; -inf when off).
fn level(session: &Session, i: usize) -> f64 {
    let c = &session.channels[i];
    c.trim_db.0 + c.gain_db.0
}

/// The lines the instruction panel adds: how the faders start, and whether a score comes.
pub fn intro(setup: &Setup, config: &ExerciseConfig, session: &Session) -> Vec<String> {
    let mut lines = vec![if setup.scrambled {
        format!(
            "The faders start scrambled, up to {:.0} dB either way (s: start flat).",
            config.scramble_db
        )
    } else {
        "The faders start flat: every part at 0 dB (s: start scrambled).".to_string()
    }];
    if hidden_balance(session).is_some() {
        lines.push(
            "earmix knows the balance this reference was mixed at, so you get a score too."
                .to_string(),
        );
    }
    lines
}

/// The reference's balance when earmix knows it (the band demo): each channel's fader.
fn hidden_balance(session: &Session) -> Option<Vec<Decibels>> {
    drill::target_sources(session)
        .iter()
        .any(|(source, _)| *source == TargetSource::Reference)
        .then(|| drill::target_faders(session, &TargetSource::Reference))
}

/// The exercise under way.
pub struct Reference {
    /// The faders start scrambled (else flat).
    scrambled: bool,
    /// Each channel's level (trim plus fader) where the exercise started.
    start: Vec<f64>,
    /// The mix and the reference being measured, once Enter is pressed.
    comparing: Option<Measuring<Comparison>>,
}

impl Reference {
    /// The exercise `setup` describes.
    pub fn new(setup: &Setup) -> Self {
        Self {
            scrambled: setup.scrambled,
            start: Vec::new(),
            comparing: None,
        }
    }

    /// The results: how far each part moved (and the score, when the hidden balance is
    /// known), then the sections page, then the reading.
    fn results(&self, bench: &Bench<'_>, comparison: &Comparison) -> Finished {
        let session = &bench.mixer.session;
        let before = bench.before;
        let start = &self.start;
        let n = session.channels.len();
        let now: Vec<f64> = (0..n).map(|i| level(session, i)).collect();
        let hidden = hidden_balance(before);
        let scored = hidden.as_ref().and_then(|target| {
            let own: Vec<Decibels> = now.iter().map(|&l| Decibels(l)).collect();
            score::score(&own, target).ok()
        });
        let mut columns = vec!["Start".to_string(), "Now".to_string(), "Moved".to_string()];
        if scored.is_some() {
            columns.extend(["Ref".to_string(), "Error".to_string()]);
        }
        let rows = (0..n)
            .map(|i| {
                let c = &session.channels[i];
                let moved = now[i] - start[i];
                let mut cells = vec![
                    db(start[i]),
                    db(now[i]),
                    db_opt(moved.is_finite().then_some(moved)),
                ];
                let mut bar = moved.is_finite().then_some(moved);
                if let (Some(score), Some(target)) = (&scored, &hidden) {
                    cells.push(db(target[i].0));
                    cells.push(format!("{:+.1}", score.bias(i)));
                    bar = Some(score.bias(i));
                }
                ResultRow {
                    name: c.name.clone(),
                    role: c.role,
                    cells,
                    bar_db: bar,
                }
            })
            .collect();
        let mut headline = Vec::new();
        if let Some(score) = &scored {
            headline.push(format!(
                "Score against the reference's balance: {} points (error {:.1} dB RMS, overall \
                 level left out).",
                score.points, score.rms_db
            ));
        }
        headline.push(scene_summary(before, session));
        let mut reading = deconstruct::reading(comparison);
        reading.insert(0, moved_reading(session, start, &now));
        let view = ResultsView {
            title: "Reference Deconstruction: what you did".to_string(),
            headline,
            columns,
            rows,
            chart: if scored.is_some() {
                "Against the reference's balance, overall offset removed".to_string()
            } else {
                "How far each part moved from where it started".to_string()
            },
            reading,
            answers: bench.answers(&[
                (Action::Keep, "keep these levels"),
                (Action::Confirm, "close"),
            ]),
        };
        let mut record = Record::new(Exercise::Reference.id(), &before.path, SystemTime::now())
            .with_channels(
                (0..n)
                    .map(|i| {
                        ChannelResult::new(
                            session.channels[i].name.clone(),
                            scored.as_ref().map(|s| s.bias(i)),
                            Some(now[i]),
                            hidden.as_ref().map(|t| t[i].0),
                        )
                    })
                    .collect(),
            );
        if let Some(score) = &scored {
            record = record
                .with_score(f64::from(score.points))
                .with_rms_db(score.rms_db);
        }
        Finished {
            view,
            more: vec![sections_page(comparison)],
            keep: keep(before, session),
            record,
        }
    }
}

impl ExerciseFlow for Reference {
    fn kind(&self) -> Exercise {
        Exercise::Reference
    }

    /// Every playing part at 0 dB, or scrambled around the mix's faders; the section scenes
    /// play (they are part of the levels to rebuild).
    fn start(&mut self, bench: &mut Bench<'_>) -> Result<(), String> {
        if bench.mixer.session.reference.is_none() {
            return Err("Reference Deconstruction needs a session with a [reference]".to_string());
        }
        let playing = bench.playing_channels();
        let faders = if self.scrambled {
            bench.scrambled(&playing, bench.config.scramble_db)
        } else {
            let mut faders = bench.faders();
            for i in playing {
                faders[i] = Decibels::UNITY;
            }
            faders
        };
        bench.set_faders(&faders);
        let session = &bench.mixer.session;
        self.start = (0..session.channels.len())
            .map(|i| level(session, i))
            .collect();
        bench.mixer.emit(Effect::ScenesBypassed(false));
        let span = (crate::units::Seconds(0.0), bench.mixer.session.length());
        bench.play_span(span);
        Ok(())
    }

    fn step(&self, _mixer: &Mixer, keymap: &Keymap) -> Step {
        let busy = self.comparing.is_some();
        let mut step = Step {
            title: Exercise::Reference.title().to_string(),
            text: if busy {
                "Measuring your mix and the reference...".to_string()
            } else {
                "Match the reference by ear".to_string()
            },
            balancing: !busy,
            ..Step::default()
        };
        if !busy {
            step.keys.push((
                keymap.key_label(Action::Reference),
                "reference/yours".to_string(),
            ));
        }
        step
    }

    /// Levels in trims and scenes, the reference flip, and blind mode on and off, beyond what
    /// every exercise allows; pan stays put.
    fn action(&mut self, action: Action, bench: &mut Bench<'_>) -> Handled {
        match action {
            Action::TrimMode
            | Action::EditMode
            | Action::Compare
            | Action::CopyScene
            | Action::ClearScene
            | Action::Reference
            | Action::ReferenceFree
            | Action::ReferenceBack
            | Action::ReferenceForward => Handled::Mixer,
            Action::Blind | Action::BlindMetersOff => {
                // The exercise's own blind mode: no hidden offsets, nothing to sum up.
                let wanted = if action == Action::Blind {
                    BlindLevel::Numbers
                } else {
                    BlindLevel::MetersOff
                };
                let mixer = &mut *bench.mixer;
                mixer.blind = if mixer.blind == wanted {
                    BlindLevel::Off
                } else {
                    wanted
                };
                mixer.message = Some(
                    match mixer.blind {
                        BlindLevel::Off => "Numbers and meters shown (b hides them again)",
                        BlindLevel::Numbers => "Numbers hidden, meters shown",
                        BlindLevel::MetersOff => "Numbers and meters hidden",
                    }
                    .to_string(),
                );
                Handled::Done
            }
            Action::PanLeft | Action::PanRight => Handled::Refused(
                "Levels only in this exercise: faders, trims and scenes; pan stays put".to_string(),
            ),
            _ => Handled::Shared,
        }
    }

    /// Measures the mix as it stands and the reference, off the UI thread.
    fn done(&mut self, bench: &mut Bench<'_>) -> Option<Finished> {
        if self.comparing.is_some() {
            return None;
        }
        let session = bench.mixer.session.clone();
        self.comparing = Some(in_background(move || {
            deconstruct::compare(&session).map_err(|e| e.to_string())
        }));
        bench.mixer.message = Some("Measuring your mix and the reference...".to_string());
        None
    }

    fn tick(&mut self, bench: &mut Bench<'_>) -> Option<Finished> {
        let receiver = self.comparing.as_ref()?;
        let result = arrived(receiver)?;
        self.comparing = None;
        match result {
            Ok(comparison) => Some(self.results(bench, &comparison)),
            Err(e) => {
                tracing::error!("reference comparison: {e}");
                bench.mixer.message = Some(format!("Could not measure: {e}"));
                None
            }
        }
    }

    fn waiting(&self) -> bool {
        self.comparing.is_some()
    }
}

/// Keeping the result: every fader, trim and the section scenes as the exercise left them.
fn keep(before: &Session, after: &Session) -> Keep {
    let mut edits = Vec::new();
    for (old, new) in before.channels.iter().zip(&after.channels) {
        if old.gain_db != new.gain_db {
            edits.push(MixEdit::Gain {
                channel: new.name.clone(),
                db: new.gain_db,
            });
        }
        if old.trim_db != new.trim_db {
            edits.push(MixEdit::Trim {
                channel: new.name.clone(),
                db: new.trim_db,
            });
        }
    }
    if before.sections != after.sections {
        edits.push(MixEdit::Sections {
            sections: after.sections.clone(),
        });
    }
    Keep::Edits {
        edits,
        done: "Kept the levels from Reference Deconstruction".to_string(),
    }
}

/// The first paragraph of the reading: the parts that moved most.
fn moved_reading(session: &Session, start: &[f64], now: &[f64]) -> String {
    let mut moves: Vec<(usize, f64)> = start
        .iter()
        .zip(now)
        .map(|(a, b)| b - a)
        .enumerate()
        .filter(|(_, m)| m.is_finite() && m.abs() >= 0.5)
        .collect();
    if moves.is_empty() {
        return "You left every part within half a dB of where it started.".to_string();
    }
    moves.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let named: Vec<String> = moves
        .iter()
        .take(3)
        .map(|&(i, m)| {
            format!(
                "{} {} {:.1} dB",
                session.channels[i].name,
                if m > 0.0 { "up" } else { "down" },
                m.abs()
            )
        })
        .collect();
    format!(
        "To get close to the reference you moved {}{}.",
        named.join(", "),
        if moves.len() > 3 { ", and more" } else { "" }
    )
}

/// A line on the section scenes the user set during the exercise.
fn scene_summary(before: &Session, after: &Session) -> String {
    let changed: Vec<&str> = after
        .sections
        .iter()
        .filter(|s| {
            before
                .sections
                .iter()
                .find(|b| b.name == s.name)
                .is_none_or(|b| b.gain_db != s.gain_db || b.mute != s.mute)
        })
        .map(|s| s.name.as_str())
        .collect();
    if changed.is_empty() {
        "One balance for the whole song: you set no section scenes.".to_string()
    } else {
        format!("Section scenes you set: {}.", changed.join(", "))
    }
}

/// The sections page: per section, the loudness of each side against its own song (so a
/// louder or peak-normalised reference compares fairly), the loudness range and the shape.
fn sections_page(comparison: &Comparison) -> ResultsView {
    let lu = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:+.1}"));
    let range = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"));
    let song = |side: &deconstruct::Loudness| {
        side.integrated_lufs.map_or_else(
            || "silent".to_string(),
            |l| format!("{l:.1} LUFS, range {} LU", range(side.range_lu)),
        )
    };
    let (usual_mix, usual_reference) = comparison.usual_levels();
    let rows = comparison
        .sections
        .iter()
        .map(|section| {
            let both = section
                .mix
                .integrated_lufs
                .zip(section.reference.integrated_lufs);
            let mix = both.map(|(m, _)| m - usual_mix);
            let reference = both.map(|(_, r)| r - usual_reference);
            let (mix_shape, reference_shape) =
                comparison.sparklines(&section.mix, &section.reference);
            ResultRow {
                name: section.name.clone(),
                role: None,
                cells: vec![
                    lu(mix),
                    lu(reference),
                    range(section.mix.range_lu),
                    range(section.reference.range_lu),
                    mix_shape,
                    reference_shape,
                ],
                bar_db: mix.zip(reference).map(|(m, r)| m - r),
            }
        })
        .collect();
    ResultsView {
        title: "Reference Deconstruction: section by section".to_string(),
        headline: vec![
            format!(
                "Whole song: yours {}; the reference {}.",
                song(&comparison.song_mix),
                song(&comparison.song_reference)
            ),
            "Each section against its side's usual level (the middle of its sections), LU; \
             range in LU; shape: short-term loudness across the section."
                .to_string(),
        ],
        columns: ["You", "Ref", "Range", "Ref", "Your shape", "Ref shape"]
            .iter()
            .map(ToString::to_string)
            .collect(),
        rows,
        chart: "Your section's lift against the reference's".to_string(),
        reading: Vec::new(),
        answers: Vec::new(),
    }
}
