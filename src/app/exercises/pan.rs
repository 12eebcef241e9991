//! The pan drill: hear a target stereo picture, then put each part back in its place by ear
//! from scrambled pans, blind, and see it scored in pan units
//! ([`crate::exercise::pan_score`]).
//!
//! 1. **Target.** A picture with its own pans ([`sources`]): the band demo's hidden
//!    reference balance, a section's scene or the mix as saved. The faders are set to the
//!    target's levels (the drill's [`drill::target_faders`]) and stay there, so only the pans
//!    are the task; the channels that do not play in the target are muted for the round. The
//!    loop is the scene's section, else the first chorus, else the song.
//! 2. **Measure.** Each channel's loudness over the loop is measured once at the target, in the
//!    background. The parts are the channels heard in the loop (all that play, should the
//!    measurement fail); the others stay at their target pans and do not count.
//! 3. **Listen.** The target plays; Enter scrambles the parts' pans (the rules are in
//!    `pan/scramble.rs`).
//! 4. **Rebuild.** The pan keys move the selected part (a group strip's pan, or a part that
//!    sits out, is refused; so are the faders). `=` flips between the target and the user's
//!    picture, loudness-matched as the level drill does ([`drill::match_gain_db`]): the
//!    pictures' loudness is estimated from the measurement with each part's level change from
//!    its heard pan (`pan/target.rs`: none for a mono stem, panned at constant power; a
//!    balanced stereo stem loses up to 3 dB), and the target played that much louder or
//!    quieter.
//! 5. **Score.** Enter scores the parts' pans against the target's with
//!    [`pan_score`] and records it: per part its pan,
//!    the target's and the error ([`ChannelResult::with_pans`]), and the points.
//!
//! A group's pan is added to its members' in what is heard, in the target and in the user's
//! picture alike; it stays as it is and only the channels' own pans are scored.

mod scramble;
mod target;

pub use self::target::sources;

use std::time::SystemTime;

use super::{
    Bench, ExerciseFlow, Finished, Handled, Keep, Measuring, Setup, Step, arrived,
    measure_in_background, without_scenes,
};
use crate::analysis::levels::ChannelLevel;
use crate::app::action::Action;
use crate::app::edit::MixEdit;
use crate::app::effect::Effect;
use crate::app::keymap::Keymap;
use crate::app::mixer::{Mixer, StripKind};
use crate::app::undo::UndoStack;
use crate::exercise::Exercise;
use crate::exercise::drill::{self, TargetSource};
use crate::exercise::emotional;
use crate::exercise::history::{ChannelResult, Record};
use crate::exercise::pan_score::{PanScore, pan_score};
use crate::session::Session;
use crate::ui::view::{ResultRow, ResultsView};
use crate::units::{Decibels, Pan, Seconds};

/// Where the drill is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The target is measured (which parts are heard in the loop, and for the loudness
    /// matching) before it plays.
    Preparing,
    /// The target plays; Enter scrambles.
    Listen,
    /// The user rebuilds the picture.
    Balance,
}

/// The pan drill under way.
pub struct PanDrill {
    /// The target chosen, and its label.
    source: Option<(TargetSource, String)>,
    stage: Stage,
    /// What loops.
    span: (Seconds, Seconds),
    /// The channels that play in the target, ascending; once measured, the parts.
    parts: Vec<usize>,
    /// Every channel's target pan (session order).
    target: Vec<Pan>,
    /// Every channel's loudness at the target over the loop; `None` until measured (or when
    /// the measurement failed: the flip is then not loudness-matched).
    levels: Option<Vec<ChannelLevel>>,
    /// The measurement of the target on its way.
    measuring: Option<Measuring<Vec<ChannelLevel>>>,
    /// The target is playing in place of the user's picture.
    hearing_target: bool,
}

impl PanDrill {
    /// The pan drill `setup` describes.
    pub fn new(setup: &Setup) -> Self {
        Self {
            source: setup.sources.get(setup.source).cloned(),
            stage: Stage::Preparing,
            span: (Seconds(0.0), Seconds(0.0)),
            parts: Vec::new(),
            target: Vec::new(),
            levels: None,
            measuring: None,
            hearing_target: true,
        }
    }

    fn label(&self) -> String {
        self.source
            .as_ref()
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    }

    /// The target is measured: the parts are the channels heard in the loop; the target plays.
    fn ready(&mut self, bench: &mut Bench<'_>, measured: Option<Vec<ChannelLevel>>) {
        let heard: Vec<usize> = self
            .parts
            .iter()
            .copied()
            .filter(|&i| {
                measured
                    .as_ref()
                    .and_then(|m| m.get(i))
                    .is_some_and(|l| l.loudness_lufs.is_some())
            })
            .collect();
        if !heard.is_empty() {
            self.parts = heard;
        }
        self.levels = measured;
        bench.mixer.selected = self.parts.first().copied().unwrap_or(0);
        self.stage = Stage::Listen;
        bench.play_span(self.span);
    }

    /// After listening: the parts' pans are scrambled and the user rebuilds the picture.
    fn scramble(&mut self, bench: &mut Bench<'_>) {
        let targets: Vec<f64> = self.parts.iter().map(|&i| self.target[i].0).collect();
        let mut random = || bench.mixer.random_unit();
        let start = scramble::scramble(&targets, &mut random);
        for (&i, pan) in self.parts.iter().zip(start) {
            let channel = bench.mixer.session.channels[i].name.clone();
            bench.quietly(&MixEdit::Pan {
                channel,
                pan: Pan(pan),
            });
        }
        self.stage = Stage::Balance;
        self.hearing_target = false;
        bench.mixer.undo = UndoStack::new();
        bench.mixer.message = Some("Scrambled: put the parts back by ear".into());
    }

    /// The flip between the target and the user's picture (loudness-matched).
    fn flip(&mut self, bench: &mut Bench<'_>) -> Handled {
        if self.stage == Stage::Listen {
            return Handled::Refused(
                "This is the target: Enter scrambles it for you to rebuild".into(),
            );
        }
        if self.hearing_target {
            self.hear_own(bench);
            bench.mixer.message = Some("Your picture".to_string());
        } else {
            self.hear_target(bench);
        }
        Handled::Done
    }

    /// Plays the target's pans, as loud as the user's picture.
    fn hear_target(&mut self, bench: &mut Bench<'_>) {
        let session = &bench.mixer.session;
        let mut heard_target = session.clone();
        for &i in &self.parts {
            heard_target.channels[i].pan = self.target[i];
        }
        let matched = self
            .levels
            .as_ref()
            .map(|levels| target::match_gain_db(levels, &heard_target, session));
        let master = session.master_db;
        self.hearing_target = true;
        for &i in &self.parts {
            if let Some(heard) = heard_target.heard_levels(i) {
                bench.mixer.emit(Effect::Pan(i, heard.pan));
            }
        }
        bench
            .mixer
            .emit(Effect::Master(Decibels(master.0 + matched.unwrap_or(0.0))));
        bench.mixer.message = Some(if matched.is_some() {
            "The target, as loud as your picture".to_string()
        } else {
            "The target (not loudness-matched: it was not measured)".to_string()
        });
    }

    /// Plays the user's own picture again after the target.
    fn hear_own(&mut self, bench: &mut Bench<'_>) {
        if !self.hearing_target || self.stage != Stage::Balance {
            return;
        }
        self.hearing_target = false;
        for &i in &self.parts {
            if let Some(heard) = bench.mixer.session.heard_levels(i) {
                bench.mixer.emit(Effect::Pan(i, heard.pan));
            }
        }
        let master = bench.mixer.session.master_db;
        bench.mixer.emit(Effect::Master(master));
    }

    /// Why a pan move on the selected strip is refused, if it is.
    fn refuse_pan(&self, mixer: &Mixer) -> Option<String> {
        let selected = mixer.selected;
        let name = mixer.strip_name(selected).unwrap_or_default();
        match mixer.strip_kind(selected) {
            Some(StripKind::Group(_)) => Some(format!(
                "{name} is a group: pan its channels, its own pan stays"
            )),
            _ if !self.parts.contains(&selected) => Some(format!("{name} sits this drill out")),
            _ => None,
        }
    }

    /// The score of the user's picture.
    fn score(&self, session: &Session) -> PanScore {
        let names: Vec<String> = self
            .parts
            .iter()
            .map(|&i| session.channels[i].name.clone())
            .collect();
        let own: Vec<Pan> = self
            .parts
            .iter()
            .map(|&i| session.channels[i].pan)
            .collect();
        let target: Vec<Pan> = self.parts.iter().map(|&i| self.target[i]).collect();
        pan_score(&names, &own, &target)
    }

    /// The results: the score, part by part, and the record.
    fn results(&self, bench: &Bench<'_>) -> Finished {
        let session = &bench.mixer.session;
        let score = self.score(session);
        let rows = score
            .parts
            .iter()
            .zip(&self.parts)
            .map(|(part, &i)| ResultRow {
                name: part.name.clone(),
                role: session.channels[i].role,
                cells: vec![
                    Pan(part.own).to_string(),
                    Pan(part.target).to_string(),
                    error_label(part.error),
                ],
                bar_db: None,
            })
            .collect();
        let view = ResultsView {
            title: format!("{}: your stereo picture", Exercise::Pan.title()),
            headline: vec![
                format!("Score: {} points. Target: {}.", score.points, self.label()),
                "L100 is hard left, R100 hard right: 0.1 in the reading is 10 here.".to_string(),
            ],
            columns: ["You", "Target", "Error"]
                .iter()
                .map(ToString::to_string)
                .collect(),
            rows,
            chart: String::new(),
            reading: score.reading.clone(),
            answers: bench.answers(&[(Action::Retry, "again"), (Action::Confirm, "close")]),
        };
        let record = Record::new(Exercise::Pan.id(), &session.path, SystemTime::now())
            .with_score(f64::from(score.points))
            .with_channels(
                score
                    .parts
                    .iter()
                    .map(|p| {
                        ChannelResult::new(p.name.clone(), None, None, None)
                            .with_pans(p.own, p.target)
                    })
                    .collect(),
            );
        Finished {
            view,
            more: Vec::new(),
            keep: Keep::Nothing,
            record,
        }
    }
}

/// The panel's lines after the instructions: the target and how far the parts start.
pub fn intro(setup: &Setup) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some((_, label)) = setup.sources.get(setup.source) {
        lines.push(format!("The target: {label}."));
    }
    lines.push(format!(
        "Each part starts {} to {} presses of a pan key from its place.",
        scramble::MIN_STEPS,
        scramble::MAX_STEPS
    ));
    lines
}

/// A pan error as the console counts pans: "30 left" (too far left by L30's worth), "5 right",
/// "0".
fn error_label(error: f64) -> String {
    let steps = (error.clamp(-2.0, 2.0) * 100.0).round() as i32;
    match steps {
        0 => "0".to_string(),
        s if s < 0 => format!("{} left", -s),
        s => format!("{s} right"),
    }
}

impl ExerciseFlow for PanDrill {
    fn kind(&self) -> Exercise {
        Exercise::Pan
    }

    /// Sets the target's levels and pans, mutes what does not play in it, and measures it
    /// before it plays.
    fn start(&mut self, bench: &mut Bench<'_>) -> Result<(), String> {
        let Some((source, _)) = self.source.clone() else {
            return Err("This session has no stereo picture to rebuild".to_string());
        };
        let session = &bench.mixer.session;
        let faders = drill::target_faders(session, &source);
        self.target = target::pans(session, &source);
        self.span = drill::target_span(session, &source)
            .or_else(|| {
                emotional::default_pair(&session.sections).map(|(_, b)| bench.section_span(b))
            })
            .unwrap_or((Seconds(0.0), session.length()));
        self.parts = (0..faders.len())
            .filter(|&i| !faders[i].is_off() && !session.channels[i].mute)
            .collect();
        let mut edits = Vec::new();
        for (i, channel) in session.channels.iter().enumerate() {
            let name = channel.name.clone();
            if self.parts.contains(&i) {
                edits.push(MixEdit::Gain {
                    channel: name.clone(),
                    db: faders[i],
                });
                edits.push(MixEdit::Pan {
                    channel: name,
                    pan: self.target[i],
                });
            } else if !channel.mute {
                edits.push(MixEdit::Mute {
                    channel: name,
                    on: true,
                });
            }
        }
        // A scene's group faders are part of its levels.
        if let TargetSource::Scene { section } = source
            && let Some(section) = session.sections.get(section)
        {
            for group in &session.groups {
                if let Some(db) = section.scene_gain(&group.name) {
                    edits.push(MixEdit::Gain {
                        channel: group.name.clone(),
                        db,
                    });
                }
            }
        }
        for edit in &edits {
            bench.quietly(edit);
        }
        self.measuring = Some(measure_in_background(
            without_scenes(&bench.mixer.session),
            self.span,
        ));
        self.stage = Stage::Preparing;
        bench.mixer.emit(Effect::Pause);
        Ok(())
    }

    fn step(&self, _mixer: &Mixer, keymap: &Keymap) -> Step {
        let title = Exercise::Pan.title().to_string();
        match self.stage {
            Stage::Preparing => Step {
                title,
                text: "Getting the target ready...".to_string(),
                ..Step::default()
            },
            Stage::Listen => Step {
                title,
                text: "Listen to where each part sits".to_string(),
                hearing: Some("TARGET".to_string()),
                ..Step::default()
            },
            Stage::Balance => Step {
                title,
                text: "Put each part back by ear".to_string(),
                keys: vec![
                    (
                        format!(
                            "{}/{}",
                            keymap.key_label(Action::PanLeft),
                            keymap.key_label(Action::PanRight)
                        ),
                        "pan".to_string(),
                    ),
                    (
                        keymap.key_label(Action::Compare),
                        "target/yours".to_string(),
                    ),
                ],
                hearing: Some(
                    if self.hearing_target {
                        "TARGET"
                    } else {
                        "YOUR MIX"
                    }
                    .to_string(),
                ),
                // The pan keys, not the faders: the runner's fader keys stay off the panel.
                balancing: false,
            },
        }
    }

    fn action(&mut self, action: Action, bench: &mut Bench<'_>) -> Handled {
        let listening = self.stage == Stage::Listen;
        match action {
            Action::Compare => self.flip(bench),
            Action::PanLeft | Action::PanRight | Action::Undo | Action::Redo if listening => {
                Handled::Refused("This is the target: Enter scrambles it for you to rebuild".into())
            }
            Action::Nudge { .. } | Action::Unity => {
                Handled::Refused("Pans only: the levels are the target's".into())
            }
            Action::PanLeft | Action::PanRight => {
                if let Some(why) = self.refuse_pan(bench.mixer) {
                    return Handled::Refused(why);
                }
                // A pan move is heard on the user's own picture.
                self.hear_own(bench);
                Handled::Mixer
            }
            Action::Undo | Action::Redo => {
                self.hear_own(bench);
                Handled::Shared
            }
            _ => Handled::Shared,
        }
    }

    fn done(&mut self, bench: &mut Bench<'_>) -> Option<Finished> {
        match self.stage {
            Stage::Preparing => None,
            Stage::Listen => {
                self.scramble(bench);
                None
            }
            Stage::Balance => {
                self.hear_own(bench);
                Some(self.results(bench))
            }
        }
    }

    fn tick(&mut self, bench: &mut Bench<'_>) -> Option<Finished> {
        let receiver = self.measuring.as_ref()?;
        let measured = match arrived(receiver)? {
            Ok(levels) => Some(levels),
            Err(e) => {
                tracing::warn!("pan drill loudness: {e}");
                bench.mixer.message = Some(format!("The flip is not loudness-matched: {e}"));
                None
            }
        };
        self.measuring = None;
        self.ready(bench, measured);
        None
    }

    fn waiting(&self) -> bool {
        self.measuring.is_some()
    }

    fn help(&self, keymap: &Keymap) -> Vec<String> {
        let names = |action: Action| keymap.keys_text(action);
        vec![
            format!("{:<14} Pan the part left", names(Action::PanLeft)),
            format!("{:<14} Pan the part right", names(Action::PanRight)),
            format!(
                "{:<14} Flip between the target and your picture",
                names(Action::Compare)
            ),
        ]
    }

    fn retry(&self) -> Option<(u32, String)> {
        Some((1, self.label()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Errors read as the console writes pans: hundredths, the side the part is too far to.
    #[test]
    fn errors_read_in_console_pan_units() {
        assert_eq!(error_label(0.0), "0");
        assert_eq!(error_label(-0.3), "30 left");
        assert_eq!(error_label(0.049), "5 right");
        assert_eq!(error_label(-0.004), "0");
        assert_eq!(error_label(2.0), "200 right");
    }
}
