//! The level-matching drill: hear a target balance, then rebuild it by ear from scrambled
//! faders, at levels that grow harder (more stems, wider scrambles, no flipping back, the
//! target heard only once). A whole group of the session is one part, its members moving
//! together (see `drill/parts.rs`).

pub(super) mod parts;

use std::time::SystemTime;

use super::{
    Bench, ExerciseFlow, Finished, Handled, Keep, Measuring, Setup, Step, arrived, db,
    measure_in_background, without_scenes,
};
use crate::analysis::levels::ChannelLevel;
use crate::app::action::Action;
use crate::app::edit::MixEdit;
use crate::app::effect::Effect;
use crate::app::keymap::Keymap;
use crate::app::mixer::{FADER_FLOOR_DB, FADER_MAX_DB, round2};
use crate::app::mixer::{Mixer, StripKind};
use crate::app::undo::UndoStack;
use crate::exercise::Exercise;
use crate::exercise::drill::{self, Level, TargetSource};
use crate::exercise::emotional;
use crate::exercise::history::{ChannelResult, Record};
use crate::session::Role;
use crate::ui::view::{ResultRow, ResultsView};
use crate::units::{Decibels, Seconds};

/// Where the drill is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The target's parts are measured (to pick parts that play in the loop, and for the
    /// loudness matching) before it plays.
    Preparing,
    /// The target plays; Enter scrambles.
    Listen,
    /// The user rebuilds the target.
    Balance,
}

/// The drill under way.
pub struct Drill {
    /// The level number asked for.
    number: u32,
    /// The target chosen, and its label.
    source: Option<(TargetSource, String)>,
    level: Option<Level>,
    stage: Stage,
    /// What loops.
    span: (Seconds, Seconds),
    /// The drilled parts: strips as the console counts them (a channel's index, or a group's
    /// strip after the channels), ascending.
    channels: Vec<usize>,
    /// Their target faders, in dB (-inf: off).
    target: Vec<f64>,
    /// Every channel's loudness at the target faders over the loop (for loudness matching);
    /// `None` until measured.
    levels: Option<Vec<ChannelLevel>>,
    /// The measurement of the target on its way.
    measuring: Option<Measuring<Vec<ChannelLevel>>>,
    /// The target is playing in place of the user's mix.
    hearing_target: bool,
    /// Memory mode: the target has played through once.
    heard: bool,
}

impl Drill {
    /// The drill `setup` describes.
    pub fn new(setup: &Setup) -> Self {
        Self {
            number: setup.level,
            source: setup.sources.get(setup.source).cloned(),
            level: drill::level(setup.level),
            stage: Stage::Preparing,
            span: (Seconds(0.0), Seconds(0.0)),
            channels: Vec::new(),
            target: Vec::new(),
            levels: None,
            measuring: None,
            hearing_target: true,
            heard: false,
        }
    }

    fn label(&self) -> String {
        self.source
            .as_ref()
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    }

    /// The target is measured: picks the stems among the parts that play in the loop, sits the
    /// others out, and plays the target.
    fn ready(&mut self, bench: &mut Bench<'_>, measured: Option<Vec<ChannelLevel>>) {
        let Some(level) = self.level else {
            return;
        };
        let candidates = self.channels.clone();
        let count = level.stems.unwrap_or(candidates.len());
        let audible: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&part| {
                parts::channels_of(bench.mixer, part).iter().any(|&i| {
                    measured
                        .as_ref()
                        .and_then(|m| m.get(i))
                        .is_some_and(|l| l.loudness_lufs.is_some())
                })
            })
            .collect();
        let pool = if audible.len() >= 2 {
            audible
        } else {
            candidates.clone()
        };
        let mut random = || bench.mixer.random_unit();
        let chosen = drill::choose_stems(&pool, count, &mut random);
        let playing: Vec<usize> = chosen
            .iter()
            .flat_map(|&part| parts::channels_of(bench.mixer, part))
            .collect();
        for i in 0..bench.mixer.session.channels.len() {
            if !playing.contains(&i) && !bench.mixer.session.channels[i].mute {
                let channel = bench.mixer.session.channels[i].name.clone();
                bench.quietly(&MixEdit::Mute { channel, on: true });
            }
        }
        self.target = chosen
            .iter()
            .filter_map(|i| candidates.iter().position(|c| c == i))
            .map(|k| self.target[k])
            .collect();
        // Only the drilled parts count in the loudness matching.
        self.levels = measured.map(|mut levels| {
            for (i, level) in levels.iter_mut().enumerate() {
                if !playing.contains(&i) {
                    *level = ChannelLevel::default();
                }
            }
            levels
        });
        bench.mixer.selected = chosen.first().copied().unwrap_or(0);
        self.channels = chosen;
        self.stage = Stage::Listen;
        if level.is_memory() {
            // Memory mode: the target plays once, through (the tick pauses at its end).
            bench.mixer.emit(Effect::Loop(None));
            bench.mixer.emit(Effect::Seek(self.span.0));
            bench.mixer.emit(Effect::Play);
        } else {
            bench.play_span(self.span);
        }
    }

    /// After listening: the drilled faders are scrambled around the target and the user
    /// rebuilds it.
    fn scramble(&mut self, bench: &mut Bench<'_>) {
        let Some(level) = self.level else {
            return;
        };
        let mut random = || bench.mixer.random_unit();
        let offsets = drill::scramble(self.channels.len(), level.scramble_db, &mut random);
        for ((&part, t), offset) in self.channels.iter().zip(&self.target).zip(offsets) {
            let Some(channel) = bench.mixer.strip_name(part).map(str::to_string) else {
                continue;
            };
            let db = Decibels(round2((t + offset).clamp(FADER_FLOOR_DB, FADER_MAX_DB)));
            bench.quietly(&MixEdit::Gain { channel, db });
        }
        self.stage = Stage::Balance;
        self.hearing_target = false;
        bench.mixer.undo = UndoStack::new();
        if level.is_memory() {
            // The target was heard once; the user's mix loops from here on.
            bench.play_span(self.span);
        }
        bench.mixer.message = Some("Scrambled: rebuild the target by ear".to_string());
    }

    /// The flip between the target and the user's mix (loudness-matched).
    fn flip(&mut self, bench: &mut Bench<'_>) -> Handled {
        if self.stage == Stage::Listen {
            return Handled::Refused(
                "This is the target: Enter scrambles it for you to rebuild".into(),
            );
        }
        if !self.level.is_some_and(|l| l.flip) {
            return Handled::Refused(
                "Memory mode: no going back to the target. Trust your ear".to_string(),
            );
        }
        if self.hearing_target {
            self.hear_own_mix(bench);
            bench.mixer.message = Some("Your mix".to_string());
        } else {
            self.hear_target(bench);
        }
        Handled::Done
    }

    /// Plays the target (loudness-matched to the user's mix).
    fn hear_target(&mut self, bench: &mut Bench<'_>) {
        // Heard faders (each channel's own plus its groups'), the parts at their targets or
        // where the user has them.
        let own = parts::heard_with(bench.mixer, &[], &[]);
        let target_all = parts::heard_with(bench.mixer, &self.channels, &self.target);
        let master = bench.mixer.session.master_db;
        let matched = self
            .levels
            .as_ref()
            .map(|levels| drill::match_gain_db(levels, &target_all, &own));
        self.hearing_target = true;
        for i in self.playing(bench) {
            bench.mixer.emit(Effect::Gain(i, Decibels(target_all[i])));
        }
        bench
            .mixer
            .emit(Effect::Master(Decibels(master.0 + matched.unwrap_or(0.0))));
        bench.mixer.message = Some(if matched.is_some() {
            "The target, as loud as your mix".to_string()
        } else {
            "The target (still measuring: not loudness-matched yet)".to_string()
        });
    }

    /// Plays the user's own mix again after the target.
    fn hear_own_mix(&mut self, bench: &mut Bench<'_>) {
        if !self.hearing_target || self.stage != Stage::Balance {
            return;
        }
        self.hearing_target = false;
        for i in self.playing(bench) {
            if let Some(heard) = bench.mixer.session.heard_levels(i) {
                bench.mixer.emit(Effect::Gain(i, heard.gain));
            }
        }
        let master = bench.mixer.session.master_db;
        bench.mixer.emit(Effect::Master(master));
    }

    /// The channels the drilled parts play, ascending.
    fn playing(&self, bench: &Bench<'_>) -> Vec<usize> {
        let mut channels: Vec<usize> = self
            .channels
            .iter()
            .flat_map(|&part| parts::channels_of(bench.mixer, part))
            .collect();
        channels.sort_unstable();
        channels.dedup();
        channels
    }

    /// The results: the score.
    fn results(&self, bench: &Bench<'_>) -> Option<Finished> {
        let level = self.level?;
        let mixer = &bench.mixer;
        let session = &mixer.session;
        let channels: Vec<(String, Option<Role>)> = self
            .channels
            .iter()
            .map(|&part| {
                let name = mixer.strip_name(part).unwrap_or_default().to_string();
                (name, session.channels.get(part).and_then(|c| c.role))
            })
            .collect();
        let own: Vec<Decibels> = self
            .channels
            .iter()
            .map(|&part| mixer.strip_controls(part).map_or(Decibels::OFF, |c| c.gain))
            .collect();
        let target: Vec<Decibels> = self.target.iter().map(|&t| Decibels(t)).collect();
        let result = drill::analyse(level, &channels, &own, &target);
        let rows = result
            .channels
            .iter()
            .map(|c| ResultRow {
                name: c.name.clone(),
                role: c.role,
                cells: vec![db(c.own_db), db(c.target_db), format!("{:+.1}", c.error_db)],
                bar_db: Some(c.error_db),
            })
            .collect();
        let verdict = if result.passed {
            "passed"
        } else {
            "not passed"
        };
        let mut answers = vec![(Action::Retry, "again")];
        if result.passed && drill::level(level.number + 1).is_some() {
            answers.push((Action::NextLevel, "next level"));
        }
        answers.push((Action::Confirm, "close"));
        let view = ResultsView {
            title: format!("Level-matching drill, level {}: {verdict}", level.number),
            headline: vec![
                format!(
                    "Score: {} points (error {:.1} dB RMS; {} to pass). Target: {}.",
                    result.score.points,
                    result.score.rms_db,
                    level.pass_points,
                    self.label()
                ),
                format!(
                    "Your whole mix sat {:+.1} dB from the target: that costs nothing.",
                    result.score.common_offset_db
                ),
            ],
            columns: ["You", "Target", "Error"]
                .iter()
                .map(ToString::to_string)
                .collect(),
            rows,
            chart: "Your level against the target, overall offset removed".to_string(),
            reading: result.reading.clone(),
            answers: bench.answers(&answers),
        };
        let record = Record::new(Exercise::Drill.id(), &session.path, SystemTime::now())
            .with_level(level.number)
            .with_score(f64::from(result.score.points))
            .with_rms_db(result.score.rms_db)
            .with_channels(
                result
                    .channels
                    .iter()
                    .map(|c| {
                        ChannelResult::new(
                            c.name.clone(),
                            Some(c.error_db),
                            Some(c.own_db),
                            Some(c.target_db),
                        )
                    })
                    .collect(),
            );
        Some(Finished {
            view,
            more: Vec::new(),
            keep: Keep::Nothing,
            record,
        })
    }
}

impl ExerciseFlow for Drill {
    fn kind(&self) -> Exercise {
        Exercise::Drill
    }

    /// Picks the stems, sets the target's faders and measures them before the target plays.
    fn start(&mut self, bench: &mut Bench<'_>) -> Result<(), String> {
        let (Some(_), Some((source, _))) = (self.level, self.source.clone()) else {
            return Err(format!("There is no drill level {}", self.number));
        };
        let session = &bench.mixer.session;
        let target_all = drill::target_faders(session, &source);
        let candidates: Vec<usize> = (0..session.channels.len())
            .filter(|&i| !target_all[i].is_off() && !session.channels[i].mute)
            .collect();
        // A scene's section loops; otherwise the first chorus (or the song).
        self.span = drill::target_span(session, &source)
            .or_else(|| {
                emotional::default_pair(&session.sections).map(|(_, b)| bench.section_span(b))
            })
            .unwrap_or((Seconds(0.0), session.length()));
        for &i in &candidates {
            let channel = bench.mixer.session.channels[i].name.clone();
            bench.quietly(&MixEdit::Gain {
                channel,
                db: target_all[i],
            });
        }
        // A whole group is one part, its fader at its target.
        let drilled = parts::parts(bench.mixer, &candidates);
        let mut target = Vec::with_capacity(drilled.len());
        for &part in &drilled {
            let db = match bench.mixer.strip_kind(part) {
                Some(StripKind::Group(g)) => {
                    let db = parts::group_target(&bench.mixer.session, g, &source);
                    let channel = bench.mixer.session.groups[g].name.clone();
                    bench.quietly(&MixEdit::Gain { channel, db });
                    db
                }
                _ => target_all[part],
            };
            target.push(db.0);
        }
        self.measuring = Some(measure_in_background(
            without_scenes(&bench.mixer.session),
            self.span,
        ));
        self.target = target;
        self.channels = drilled;
        self.stage = Stage::Preparing;
        // The drill plays once its target is measured.
        bench.mixer.emit(Effect::Pause);
        Ok(())
    }

    fn step(&self, _mixer: &Mixer, keymap: &Keymap) -> Step {
        let title = format!("{}, level {}", Exercise::Drill.title(), self.number);
        match self.stage {
            Stage::Preparing => Step {
                title,
                text: "Getting the target ready...".to_string(),
                ..Step::default()
            },
            Stage::Listen => Step {
                title,
                text: "Listen to the target balance".to_string(),
                hearing: Some("TARGET".to_string()),
                ..Step::default()
            },
            Stage::Balance => {
                let mut step = Step {
                    title,
                    text: "Rebuild the target by ear".to_string(),
                    balancing: true,
                    ..Step::default()
                };
                if self.level.is_some_and(|l| l.flip) {
                    step.keys.push((
                        keymap.key_label(Action::Compare),
                        "target/yours".to_string(),
                    ));
                    step.hearing = Some(
                        if self.hearing_target {
                            "TARGET"
                        } else {
                            "YOUR MIX"
                        }
                        .to_string(),
                    );
                }
                step
            }
        }
    }

    fn action(&mut self, action: Action, bench: &mut Bench<'_>) -> Handled {
        let listening = self.stage == Stage::Listen;
        let memory = self.level.is_some_and(|l| l.is_memory());
        match action {
            Action::Compare => self.flip(bench),
            Action::Nudge { .. } | Action::Unity | Action::Undo | Action::Redo if listening => {
                Handled::Refused("This is the target: Enter scrambles it for you to rebuild".into())
            }
            Action::Nudge { .. } | Action::Unity | Action::Mute | Action::Solo
                if !self.channels.contains(&bench.mixer.selected) =>
            {
                Handled::Refused(format!(
                    "{} sits this drill out",
                    bench
                        .mixer
                        .strip_name(bench.mixer.selected)
                        .unwrap_or_default()
                ))
            }
            Action::Nudge { .. } | Action::Unity | Action::Undo | Action::Redo => {
                // A fader move is heard on the user's own mix.
                self.hear_own_mix(bench);
                Handled::Shared
            }
            Action::PlayPause
            | Action::ToStart
            | Action::PreviousSection
            | Action::NextSection
            | Action::LoopSection
                if listening && memory =>
            {
                Handled::Refused("Memory mode: the target plays once".to_string())
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
                self.hear_own_mix(bench);
                self.results(bench)
            }
        }
    }

    fn tick(&mut self, bench: &mut Bench<'_>) -> Option<Finished> {
        let transport = bench.mixer.transport;
        if self.stage == Stage::Listen
            && transport.position.0 >= self.span.1.0 - 1e-3
            && self.level.is_some_and(|l| l.is_memory())
            && !self.heard
        {
            self.heard = true;
            if transport.playing {
                bench.mixer.emit(Effect::Pause);
            }
            bench.mixer.message =
                Some("That was the target, once. Enter scrambles it for you to rebuild".into());
        }
        if let Some(receiver) = &self.measuring {
            let measured = match arrived(receiver)? {
                Ok(levels) => Some(levels),
                Err(e) => {
                    tracing::warn!("drill loudness: {e}");
                    bench.mixer.message = Some(format!("The flip is not loudness-matched: {e}"));
                    None
                }
            };
            self.measuring = None;
            self.ready(bench, measured);
        }
        None
    }

    fn waiting(&self) -> bool {
        self.measuring.is_some()
    }

    fn help(&self, keymap: &Keymap) -> Vec<String> {
        if !self.level.is_some_and(|l| l.flip) {
            return Vec::new();
        }
        let keys: Vec<String> = keymap
            .keys_for(Action::Compare)
            .iter()
            .map(ToString::to_string)
            .collect();
        vec![format!(
            "{:<14} Flip between the target and your mix",
            keys.join(" ")
        )]
    }

    fn retry(&self) -> Option<(u32, String)> {
        Some((self.number, self.label()))
    }
}
