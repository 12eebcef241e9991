//! Guess mode: one part moves up or down by a few dB for a short excerpt; the listener says
//! which part and which way. One adaptive staircase per role
//! ([`crate::exercise::staircase`]) makes the change smaller after two right answers and bigger
//! after a miss, and brings the roles the listener misses back more often; the results are the
//! smallest change heard per role, recorded in the history.
//!
//! # What is heard
//!
//! A trial is a pair: an excerpt of 3 s of the loop (`excerpts.rs` in this folder)
//! plays **as it is**, then the **same** excerpt again with one part moved. Comparing the same
//! bars twice keeps the music's own changes (a fill, a voice coming in) from passing for a level
//! change, as they would if the part moved half-way through one playing. The change is made
//! during the engine's 10 ms fade between the two playings (the jump back to the excerpt's
//! start), and the part's level glides there over the engine's usual 10 ms, so neither playing
//! has a step or a click in it. The excerpt is one where the part plays (see
//! `excerpts.rs`). Nothing else changes: the mix is not loudness-matched, since the change of
//! one part's level *is* the question (matching would turn "the voice up" into "everything
//! else down"); the mix moves by less than the part does.
//!
//! The panel's lit tag says which playing is on ("AS IT IS", "MOVED"). Space stops the pair,
//! or plays it again from the start; an answer is taken once the moved playing has started.
//!
//! # Answering
//!
//! The strip keys pick the part (a channel, or a group whose members all play, as one part, as
//! in the drill); the fader keys answer: up for louder, down for quieter (any step size). No
//! fader moves. Right means the right part *and* the right way.
//!
//! **By how much** (the harder level, `s` on the panel): the step of the fader key says the
//! size too: a fine (or the finest) step for a little, under [`SIZE_SPLIT_DB`], a coarse step
//! for a lot, that or more. The staircase still follows the part and the way only, so its 71%
//! point keeps its meaning; the sizes are counted on their own, shown in the results, and the
//! history records such a run at level 2 (level 1: which way only).
//!
//! # What is shown
//!
//! The console stays blind (no fader, level or meter numbers). Before an answer nothing says
//! which part moved or by how much. After it, the panel says whether it was right, which part
//! moved, which way and by how much, while the next pair's first playing is on (the next pair
//! plays at once): the size is what the exercise teaches, so it is shown once it can no longer
//! help the answer. It is on the panel, not the status line, which hides numbers while blind.
//!
//! # The end
//!
//! The run ends when every role's staircase has stopped (see the staircase's stop rule), or
//! earlier with Enter, with what the answers so far say. The results give each role's smallest
//! change heard (about 71% right), its likely range and how sure it is, and a reading that
//! says where to listen next.

mod excerpts;

use std::time::SystemTime;

use self::excerpts::Loudness;
use super::drill::parts;
use super::{
    Bench, ExerciseFlow, Finished, Handled, Keep, Measuring, Step, arrived, without_scenes,
};
use crate::app::action::{Action, Direction, Step as Stride};
use crate::app::effect::Effect;
use crate::app::keymap::Keymap;
use crate::app::mixer::{Mixer, StripKind};
use crate::exercise::Exercise;
use crate::exercise::emotional;
use crate::exercise::history::{Record, RoleEstimate};
use crate::exercise::staircase::{Confidence, Roles, Settings};
use crate::session::Role;
use crate::ui::view::{ResultRow, ResultsView};
use crate::units::{Decibels, Seconds};

/// A change this big or bigger is "a lot" when the listener says by how much, dB; smaller is
/// "a little". Near the middle of the 0.5 to 6 dB the changes span, on a ratio scale.
pub const SIZE_SPLIT_DB: f64 = 2.0;

/// A position this far past an excerpt's start shows its playing is under way (and not the
/// last playing's place, read before the engine took the jump).
const UNDER_WAY_S: f64 = 0.02;

/// One part: a strip, the channels it plays, and the role it trains.
#[derive(Debug, Clone, PartialEq)]
struct Part {
    /// The strip, as the console counts them.
    strip: usize,
    /// Its name.
    name: String,
    /// The channels it plays.
    channels: Vec<usize>,
    /// Its role's label: the channel's role word (its name when it has none), or the group's
    /// name.
    role: String,
    /// The excerpts it plays in (indices).
    excerpts: Vec<usize>,
}

/// Which playing of a pair is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The excerpt as it is.
    AsItIs,
    /// The same excerpt, the part moved.
    Moved,
    /// Stopped; whether the moved playing had started.
    Stopped { moved_heard: bool },
}

/// The trial under way.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Trial {
    /// Which part moves (an index into the parts).
    part: usize,
    /// Its role's staircase (an index into the roles).
    role: usize,
    /// The change, dB (positive).
    level_db: f64,
    /// Up (else down).
    up: bool,
    /// The excerpt.
    window: (Seconds, Seconds),
    /// Which playing is on.
    phase: Phase,
    /// Whether the playing on has been seen under way.
    under_way: bool,
}

/// Guess mode under way.
pub struct Guess {
    /// The listener also says by how much.
    sizes: bool,
    /// Sizes said and how many were right.
    sizes_right: usize,
    /// What loops: the excerpts are taken from it.
    span: (Seconds, Seconds),
    /// The excerpts.
    windows: Vec<(Seconds, Seconds)>,
    /// The parts asked about.
    parts: Vec<Part>,
    /// The candidate parts (strips) before measuring.
    candidates: Vec<usize>,
    /// One staircase per role.
    roles: Roles,
    /// The excerpts' loudness on its way.
    measuring: Option<Measuring<Loudness>>,
    trial: Option<Trial>,
    /// Each answer so far: right or not.
    answers: Vec<bool>,
    /// What the last answer was (shown on the panel while the next pair's first playing is
    /// on: the status line hides numbers while blind).
    last: Option<String>,
    /// Every staircase has stopped: the next tick shows the results.
    complete: bool,
}

impl Guess {
    /// Guess mode, not started; `sizes`: the listener also says by how much.
    pub fn new(sizes: bool) -> Self {
        Self {
            sizes,
            sizes_right: 0,
            span: (Seconds(0.0), Seconds(0.0)),
            windows: Vec::new(),
            parts: Vec::new(),
            candidates: Vec::new(),
            roles: Roles::new(&[], Settings::default()),
            measuring: None,
            trial: None,
            answers: Vec::new(),
            last: None,
            complete: false,
        }
    }

    /// The excerpts are measured: the parts that play somewhere in the loop are asked about
    /// (all of them, in every excerpt, when fewer than two do or the measurement failed), and
    /// the first pair plays.
    fn ready(&mut self, bench: &mut Bench<'_>, loudness: Option<&Loudness>) {
        let make = |strip: usize, excerpts: Vec<usize>| {
            let mixer: &Mixer = bench.mixer;
            Part {
                strip,
                name: mixer.strip_name(strip).unwrap_or_default().to_string(),
                channels: parts::channels_of(mixer, strip),
                role: role_label(mixer, strip),
                excerpts,
            }
        };
        let all: Vec<usize> = (0..self.windows.len()).collect();
        let mut chosen: Vec<Part> = Vec::new();
        if let Some(loudness) = loudness {
            for &strip in &self.candidates {
                let channels = parts::channels_of(bench.mixer, strip);
                let excerpts: Vec<usize> = (0..self.windows.len())
                    .filter(|&k| {
                        loudness
                            .get(k)
                            .is_some_and(|l| excerpts::plays_in(l, &channels))
                    })
                    .collect();
                if !excerpts.is_empty() {
                    chosen.push(make(strip, excerpts));
                }
            }
        }
        if chosen.len() < 2 {
            chosen = self
                .candidates
                .iter()
                .map(|&strip| make(strip, all.clone()))
                .collect();
        }
        let labels: Vec<String> = chosen.iter().map(|p| p.role.clone()).collect();
        self.roles = Roles::new(&labels, Settings::default());
        self.parts = chosen;
        bench.mixer.selected = self.parts.first().map_or(0, |p| p.strip);
        self.next_trial(bench);
    }

    /// Draws the next trial (role by weight, a part of that role, an excerpt where it plays)
    /// and plays its pair; with every staircase stopped, ends the run.
    fn next_trial(&mut self, bench: &mut Bench<'_>) {
        let mut random = || bench.mixer.random_unit();
        let Some(guess) = self.roles.next(&mut random) else {
            self.stop(bench);
            self.complete = true;
            return;
        };
        let role = &self.roles.stairs()[guess.index].role;
        let candidates: Vec<usize> = (0..self.parts.len())
            .filter(|&p| &self.parts[p].role == role)
            .collect();
        let part = candidates[pick(candidates.len(), &mut random)];
        let excerpts = &self.parts[part].excerpts;
        let window = self.windows[excerpts[pick(excerpts.len(), &mut random)]];
        self.restore(bench);
        self.trial = Some(Trial {
            part,
            role: guess.index,
            level_db: guess.level_db,
            up: guess.up,
            window,
            phase: Phase::AsItIs,
            under_way: false,
        });
        self.play_pair(bench);
    }

    /// Plays the trial's pair from its start: the excerpt as it is first.
    fn play_pair(&mut self, bench: &mut Bench<'_>) {
        self.restore(bench);
        let Some(trial) = &mut self.trial else {
            return;
        };
        trial.phase = Phase::AsItIs;
        trial.under_way = false;
        let start = trial.window.0;
        jump_and_play(bench, start);
    }

    /// Follows the play head: at the end of the first playing the part moves and the excerpt
    /// plays again; at the end of the second the pair stops.
    fn follow(&mut self, bench: &mut Bench<'_>) {
        let Some(trial) = &mut self.trial else {
            return;
        };
        if matches!(trial.phase, Phase::Stopped { .. }) {
            return;
        }
        let transport = bench.mixer.transport;
        let (start, end) = (trial.window.0.0, trial.window.1.0);
        let at = transport.position.0;
        if !trial.under_way {
            trial.under_way = transport.playing && at > start + UNDER_WAY_S && at < end;
            return;
        }
        if at < end && transport.playing {
            return;
        }
        if trial.phase == Phase::AsItIs {
            trial.phase = Phase::Moved;
            trial.under_way = false;
            let trial = *trial;
            self.moved_levels(bench, &trial);
            jump_and_play(bench, trial.window.0);
        } else {
            self.stop(bench);
        }
    }

    /// Sends the moved part's channels their heard levels plus (or minus) the change.
    fn moved_levels(&self, bench: &mut Bench<'_>, trial: &Trial) {
        let change = if trial.up {
            trial.level_db
        } else {
            -trial.level_db
        };
        for &c in &self.parts[trial.part].channels {
            if let Some(heard) = bench.mixer.session.heard_levels(c) {
                bench
                    .mixer
                    .emit(Effect::Gain(c, Decibels(heard.gain.0 + change)));
            }
        }
    }

    /// Puts the moved part back at its heard levels.
    fn restore(&self, bench: &mut Bench<'_>) {
        let Some(trial) = &self.trial else {
            return;
        };
        for &c in &self.parts[trial.part].channels {
            if let Some(heard) = bench.mixer.session.heard_levels(c) {
                bench.mixer.emit(Effect::Gain(c, heard.gain));
            }
        }
    }

    /// Stops the pair and puts the part back.
    fn stop(&mut self, bench: &mut Bench<'_>) {
        if let Some(trial) = &mut self.trial
            && !matches!(trial.phase, Phase::Stopped { .. })
        {
            trial.phase = Phase::Stopped {
                moved_heard: trial.phase == Phase::Moved,
            };
            bench.mixer.emit(Effect::Pause);
        }
        self.restore(bench);
    }

    /// Space: stops the pair while it plays, or plays it again.
    fn play_or_stop(&mut self, bench: &mut Bench<'_>) {
        match self.trial.map(|t| t.phase) {
            Some(Phase::AsItIs | Phase::Moved) => self.stop(bench),
            Some(Phase::Stopped { .. }) => self.play_pair(bench),
            None => {}
        }
    }

    /// The answer: the selected part went up (or down), by a lot when `big` (said with a coarse
    /// step).
    fn answer(&mut self, up: bool, big: bool, bench: &mut Bench<'_>) -> Handled {
        let Some(trial) = self.trial else {
            return Handled::Done;
        };
        let heard = matches!(
            trial.phase,
            Phase::Moved | Phase::Stopped { moved_heard: true }
        );
        if !heard {
            return Handled::Refused(
                "Listen first: the part moves in the second playing (Space plays)".to_string(),
            );
        }
        let selected = bench.mixer.selected;
        let Some(picked) = self.parts.iter().position(|p| p.strip == selected) else {
            let name = bench.mixer.strip_name(selected).unwrap_or_default();
            return Handled::Refused(format!("{name} is not asked about here: pick another part"));
        };
        let correct = picked == trial.part && up == trial.up;
        self.roles.answer(trial.role, correct);
        self.answers.push(correct);
        let mut said = feedback(
            &self.parts[trial.part].name,
            &trial,
            picked == trial.part,
            correct,
        );
        if self.sizes {
            let lot = trial.level_db >= SIZE_SPLIT_DB;
            self.sizes_right += usize::from(lot == big);
            said.push_str(&size_feedback(lot, big));
        }
        self.last = Some(said);
        self.next_trial(bench);
        Handled::Done
    }

    /// The results: each role's smallest change heard.
    fn results(&self, bench: &Bench<'_>) -> Finished {
        let answered = self.answers.len();
        let right = self.answers.iter().filter(|&&a| a).count();
        let mut rows = Vec::new();
        let mut estimates = Vec::new();
        for stair in self.roles.stairs() {
            let Some(e) = stair.stair.estimate() else {
                continue;
            };
            rows.push(ResultRow {
                name: stair.role.replace('_', " "),
                role: Role::ALL.iter().copied().find(|r| r.as_str() == stair.role),
                cells: vec![
                    format!("{:.1} dB", e.jnd_db),
                    format!("{:.1}-{:.1}", e.low_db, e.high_db),
                    e.trials.to_string(),
                    confidence_word(e.confidence).to_string(),
                ],
                bar_db: Some(e.jnd_db),
            });
            estimates.push(RoleEstimate {
                role: stair.role.clone(),
                jnd_db: e.jnd_db,
                low_db: e.low_db,
                high_db: e.high_db,
                trials: e.trials as u32,
                reversals: e.reversals as u32,
                confidence: confidence_word(e.confidence).to_string(),
            });
        }
        let mut reading = self.roles.reading();
        let untried: Vec<String> = self
            .roles
            .stairs()
            .iter()
            .filter(|s| s.stair.trials().is_empty())
            .map(|s| s.role.replace('_', " "))
            .collect();
        if !untried.is_empty() {
            reading.push(format!(
                "Not asked yet: {}.",
                crate::exercise::blindfold::join_list(&untried)
            ));
        }
        let mut headline = vec![
            format!(
                "{answered} pair{}, {right} right. The changes shrink until you hear them \
                 about 7 times in 10: that size is your figure.",
                if answered == 1 { "" } else { "s" }
            ),
            "Likely: where the figure probably lies. Sure: how far to trust it.".to_string(),
        ];
        if self.sizes {
            headline.push(format!(
                "How much: {} of {answered} right (a lot: {SIZE_SPLIT_DB:.0} dB or more).",
                self.sizes_right
            ));
        }
        let view = ResultsView {
            title: format!("{}: the smallest change you hear", Exercise::Guess.title()),
            headline,
            columns: ["Heard", "Likely", "Pairs", "Sure"]
                .iter()
                .map(ToString::to_string)
                .collect(),
            rows,
            chart: "The smallest change heard (shorter is keener)".to_string(),
            reading,
            answers: bench.answers(&[(Action::Confirm, "close")]),
        };
        let mut record = Record::new(
            Exercise::Guess.id(),
            &bench.mixer.session.path,
            SystemTime::now(),
        )
        .with_level(if self.sizes { 2 } else { 1 });
        record.estimates = estimates;
        Finished {
            view,
            more: Vec::new(),
            keep: Keep::Nothing,
            record,
        }
    }
}

/// Plays from `at`: while the transport plays, the jump alone (the engine fades out, jumps and
/// fades in again; a play sent with it would cancel the fade-out and with it the jump),
/// otherwise the jump and play.
fn jump_and_play(bench: &mut Bench<'_>, at: Seconds) {
    bench.mixer.emit(Effect::Seek(at));
    if !bench.mixer.transport.playing {
        bench.mixer.emit(Effect::Play);
    }
}

/// A part's role label: a channel's role word (its name, in lower case, when it has none), or
/// a group's name.
fn role_label(mixer: &Mixer, strip: usize) -> String {
    match mixer.strip_kind(strip) {
        Some(StripKind::Channel(i)) => {
            let channel = &mixer.session().channels[i];
            channel
                .role
                .map_or_else(|| channel.name.to_lowercase(), |r| r.as_str().to_string())
        }
        _ => mixer.strip_name(strip).unwrap_or_default().to_string(),
    }
}

/// An index below `n` drawn from `random` (0 when `n` is 0 or 1).
fn pick(n: usize, random: &mut dyn FnMut() -> f64) -> usize {
    if n <= 1 {
        return 0;
    }
    ((random().clamp(0.0, 1.0) * n as f64) as usize).min(n - 1)
}

/// The word the results and the history use for a confidence.
fn confidence_word(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::Firm => "firm",
        Confidence::Fair => "fair",
        Confidence::Rough => "rough",
    }
}

/// What the status line says after an answer: right or not, which part moved, which way and
/// by how much.
fn feedback(name: &str, trial: &Trial, right_part: bool, correct: bool) -> String {
    let way = if trial.up { "up" } else { "down" };
    let size = format!("{:.1} dB", trial.level_db);
    if correct {
        format!("Right: {name} went {way} {size}")
    } else if right_part {
        format!("Missed: {name} went {way} {size}, the other way")
    } else {
        format!("Missed: it was {name}, {way} {size}")
    }
}

/// What the panel adds after an answer when the listener says by how much: the size it was,
/// and what was said when that was not it.
fn size_feedback(lot: bool, said_lot: bool) -> String {
    let word = |lot: bool| if lot { "a lot" } else { "a little" };
    if lot == said_lot {
        format!("; {}, as you said", word(lot))
    } else {
        format!("; {}, not {}", word(lot), word(said_lot))
    }
}

/// The panel's line on how the answer is given, with the keys: which way only, or by how much
/// too.
pub fn intro(sizes: bool, keymap: &Keymap) -> String {
    let key = |direction, step| keymap.key_label(Action::Nudge { direction, step });
    if sizes {
        format!(
            "Say by how much too: {}/{} for a little (under {SIZE_SPLIT_DB:.0} dB), {}/{} for \
             a lot.",
            key(Direction::Up, Stride::Fine),
            key(Direction::Down, Stride::Fine),
            key(Direction::Up, Stride::Coarse),
            key(Direction::Down, Stride::Coarse),
        )
    } else {
        format!(
            "Which way only: {}/{}. The harder level also asks by how much.",
            key(Direction::Up, Stride::Fine),
            key(Direction::Down, Stride::Fine),
        )
    }
}

impl ExerciseFlow for Guess {
    fn kind(&self) -> Exercise {
        Exercise::Guess
    }

    /// Takes the parts that play, cuts the loop (the first chorus, or the song) into excerpts
    /// and measures them before the first pair plays.
    fn start(&mut self, bench: &mut Bench<'_>) -> Result<(), String> {
        let playing = bench.playing_channels();
        self.candidates = parts::parts(bench.mixer, &playing);
        if self.candidates.len() < 2 {
            return Err(
                "Guess mode needs at least two parts that play (a group counts as one)".to_string(),
            );
        }
        let session = &bench.mixer.session;
        self.span = emotional::default_pair(&session.sections)
            .map_or((Seconds(0.0), session.length()), |(_, b)| {
                bench.section_span(b)
            });
        self.windows = excerpts::windows(self.span);
        if self.windows.is_empty() {
            return Err("Guess mode needs a song that lasts a few seconds".to_string());
        }
        self.measuring = Some(excerpts::measure(
            without_scenes(&bench.mixer.session),
            &self.windows,
        ));
        bench.mixer.emit(Effect::Loop(None));
        bench.mixer.emit(Effect::Pause);
        Ok(())
    }

    fn step(&self, _mixer: &Mixer, keymap: &Keymap) -> Step {
        let title = Exercise::Guess.title().to_string();
        let Some(trial) = &self.trial else {
            return Step {
                title,
                text: "Finding where each part plays...".to_string(),
                ..Step::default()
            };
        };
        let key = |action| keymap.key_label(action);
        let nudge = |direction| Action::Nudge {
            direction,
            step: Stride::Fine,
        };
        let keys = vec![
            (
                format!(
                    "{}/{}",
                    key(Action::SelectPrevious),
                    key(Action::SelectNext)
                ),
                "part".to_string(),
            ),
            (
                format!(
                    "{}/{}",
                    key(nudge(Direction::Up)),
                    key(nudge(Direction::Down))
                ),
                "up/down".to_string(),
            ),
        ];
        let (text, hearing) = match trial.phase {
            Phase::AsItIs => (
                self.last
                    .as_deref()
                    .unwrap_or("Listen: as it is, then one part moves"),
                Some("AS IT IS"),
            ),
            Phase::Moved => ("Which part moved, and which way?", Some("MOVED")),
            Phase::Stopped { moved_heard: true } => ("Which part moved, and which way?", None),
            Phase::Stopped { moved_heard: false } => ("Space plays the pair again", None),
        };
        Step {
            title: format!("{title}, pair {}", self.answers.len() + 1),
            text: text.to_string(),
            keys,
            hearing: hearing.map(ToString::to_string),
            balancing: false,
        }
    }

    fn action(&mut self, action: Action, bench: &mut Bench<'_>) -> Handled {
        if self.trial.is_none() {
            return Handled::Shared;
        }
        match action {
            Action::Nudge { direction, step } => {
                self.answer(direction == Direction::Up, step == Stride::Coarse, bench)
            }
            Action::PlayPause => {
                self.play_or_stop(bench);
                Handled::Done
            }
            Action::Unity
            | Action::Mute
            | Action::Solo
            | Action::ClearSolos
            | Action::Undo
            | Action::Redo
            | Action::ToStart
            | Action::PreviousSection
            | Action::NextSection
            | Action::LoopSection => Handled::Refused(
                "Guess mode plays the mix as it is: pick a part, answer up or down".to_string(),
            ),
            _ => Handled::Shared,
        }
    }

    fn done(&mut self, bench: &mut Bench<'_>) -> Option<Finished> {
        if self.answers.is_empty() {
            bench.mixer.message = Some("Answer at least one pair first (Esc leaves)".to_string());
            return None;
        }
        self.stop(bench);
        Some(self.results(bench))
    }

    fn tick(&mut self, bench: &mut Bench<'_>) -> Option<Finished> {
        if let Some(receiver) = &self.measuring {
            let loudness = match arrived(receiver)? {
                Ok(loudness) => Some(loudness),
                Err(e) => {
                    tracing::warn!("guess mode excerpts: {e}");
                    bench.mixer.message =
                        Some(format!("Every part is asked about everywhere: {e}"));
                    None
                }
            };
            self.measuring = None;
            self.ready(bench, loudness.as_ref());
        }
        if self.complete {
            return Some(self.results(bench));
        }
        self.follow(bench);
        None
    }

    fn waiting(&self) -> bool {
        self.measuring.is_some()
    }

    fn help(&self, keymap: &Keymap) -> Vec<String> {
        let names = |action: Action| keymap.keys_text(action);
        let nudge = |direction| Action::Nudge {
            direction,
            step: Stride::Fine,
        };
        let mut lines = vec![
            String::new(),
            "In guess mode the fader keys answer for the part picked:".to_string(),
            format!(
                "{:<14} It went up (louder; any fader step)",
                names(nudge(Direction::Up))
            ),
            format!(
                "{:<14} It went down (quieter; any fader step)",
                names(nudge(Direction::Down))
            ),
            format!(
                "{:<14} Stop the pair, or play it again",
                names(Action::PlayPause)
            ),
        ];
        if self.sizes {
            let coarse = |direction| Action::Nudge {
                direction,
                step: Stride::Coarse,
            };
            lines.push(format!(
                "{:<14} Up or down a lot ({SIZE_SPLIT_DB:.0} dB or more)",
                format!(
                    "{} {}",
                    names(coarse(Direction::Up)),
                    names(coarse(Direction::Down))
                )
            ));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Right, the right part the wrong way, and the wrong part each say what moved, which way
    /// and by how much, in a line the status line shows whole.
    #[test]
    fn feedback_says_what_moved() {
        let trial = Trial {
            part: 0,
            role: 0,
            level_db: 2.38,
            up: true,
            window: (Seconds(0.0), Seconds(3.0)),
            phase: Phase::Moved,
            under_way: true,
        };
        assert_eq!(
            feedback("Bass", &trial, true, true),
            "Right: Bass went up 2.4 dB"
        );
        assert_eq!(
            feedback("Bass", &trial, true, false),
            "Missed: Bass went up 2.4 dB, the other way"
        );
        let down = Trial { up: false, ..trial };
        let line = feedback("Backing vocals", &down, false, false);
        assert_eq!(line, "Missed: it was Backing vocals, down 2.4 dB");
        assert!(line.chars().count() <= 80);
    }

    /// Saying by how much: the size it was, and what was said when that was not it.
    #[test]
    fn size_feedback_says_the_size() {
        assert_eq!(size_feedback(true, true), "; a lot, as you said");
        assert_eq!(size_feedback(false, true), "; a little, not a lot");
        let keymap = Keymap::default();
        assert_eq!(
            intro(true, &keymap),
            "Say by how much too: Up/Down for a little (under 2 dB), shift+Up/shift+Down for a \
             lot."
        );
    }

    /// Picks cover every index and stay in range, whatever the draw.
    #[test]
    fn picks_stay_in_range() {
        let mut draws = [0.0, 0.34, 0.99, 1.0, -1.0].into_iter();
        let mut random = || draws.next().unwrap_or(0.5);
        let picked: Vec<usize> = (0..5).map(|_| pick(3, &mut random)).collect();
        assert_eq!(picked, [0, 1, 2, 2, 0]);
        assert_eq!(pick(0, &mut random), 0);
    }
}
