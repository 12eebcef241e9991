//! Blind A/B/X: a snapshot of the mix (A) against the mix as it is (B). Both are measured in
//! the background over the loop first, then play equally loud (the louder one turned down on
//! the master); in each trial X is A or B at random ([`crate::exercise::abx`]). The listener
//! flips between A, B and X at will (the play head keeps its place: only the levels change)
//! and answers by flipping to the one X sounds like and pressing Enter. What is heard goes to
//! the engine only: the console's faders stay as they are, so they give nothing away.

use std::time::SystemTime;

use super::{Bench, ExerciseFlow, Finished, Handled, Keep, Setup, Step};
use crate::app::action::Action;
use crate::app::keymap::Keymap;
use crate::app::mixer::Mixer;
pub use crate::app::versions::Versus;
use crate::app::versions::sounds_the_same;
use crate::app::versions::{Matching, hear};
use crate::exercise::Exercise;
use crate::exercise::abx::{Abx, Side};
use crate::exercise::history::{AbxRecord, Record};
use crate::session::Session;
use crate::ui::view::{ResultRow, ResultsView};
use crate::units::Seconds;

/// The trial counts the set-up offers, the default first.
pub const TRIAL_CHOICES: [usize; 4] = [10, 16, 20, 5];

/// What plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hearing {
    A,
    B,
    X,
}

/// A blind A/B/X run under way.
pub struct AbxFlow {
    /// The snapshot that is A.
    snapshot: String,
    /// What B is.
    versus: Versus,
    trials: usize,
    abx: Option<Abx>,
    /// A's and B's mixes.
    versions: Option<(Session, Session)>,
    span: (Seconds, Seconds),
    /// A's and B's loudness being measured.
    measuring: Option<Matching>,
    /// What each side's master gets added to be as loud as the other, dB (A, B).
    offsets: (f64, f64),
    hearing: Hearing,
}

impl AbxFlow {
    /// The run `setup` describes.
    pub fn new(setup: &Setup) -> Self {
        Self {
            snapshot: setup
                .versions
                .get(setup.version)
                .cloned()
                .unwrap_or_default(),
            versus: setup
                .against
                .get(setup.versus)
                .cloned()
                .unwrap_or(Versus::Current),
            trials: setup.trials,
            abx: None,
            versions: None,
            span: (Seconds(0.0), Seconds(0.0)),
            measuring: None,
            offsets: (0.0, 0.0),
            hearing: Hearing::X,
        }
    }

    /// Plays `hearing`: its version's whole mix goes to the engine, the master offset for the
    /// loudness match included; the console's own mix stays as it is.
    fn hear(&mut self, hearing: Hearing, bench: &mut Bench<'_>) {
        let (Some((a, b)), Some(abx)) = (self.versions.as_ref(), self.abx.as_ref()) else {
            return;
        };
        let side = match hearing {
            Hearing::A => Side::A,
            Hearing::B => Side::B,
            Hearing::X => abx.x().unwrap_or(Side::A),
        };
        match side {
            Side::A => hear(bench.mixer, a, self.offsets.0),
            Side::B => hear(bench.mixer, b, self.offsets.1),
        }
        self.hearing = hearing;
    }

    fn trial_text(&self) -> String {
        let abx = self.abx.as_ref();
        let n = abx.and_then(Abx::current).map_or(0, |t| t + 1);
        format!("trial {n} of {}", self.trials)
    }
}

/// Fills in what the set-up panel offers: A among the snapshots (the latest first), B among
/// the mix as it is, the saved file and the snapshots; an error says why it cannot run.
pub fn setup(session: &Session, setup: &mut Setup) -> Result<(), String> {
    if session.snapshots.is_empty() {
        return Err("Blind A/B/X compares a snapshot with your mix: P takes one first".to_string());
    }
    setup.versions = session.snapshots.iter().map(|s| s.name.clone()).collect();
    setup.version = setup.versions.len() - 1;
    setup.against = [Versus::Current, Versus::Saved]
        .into_iter()
        .chain(setup.versions.iter().cloned().map(Versus::Snapshot))
        .collect();
    Ok(())
}

impl ExerciseFlow for AbxFlow {
    fn kind(&self) -> Exercise {
        Exercise::Abx
    }

    fn start(&mut self, bench: &mut Bench<'_>) -> Result<(), String> {
        let Some(snapshot) = bench
            .before
            .snapshots
            .iter()
            .find(|s| s.name == self.snapshot)
        else {
            return Err("Blind A/B/X needs a snapshot: P takes one".to_string());
        };
        let now = bench.mixer.session.clone();
        let a = snapshot.applied_to(&now);
        let b = self
            .versus
            .session(bench.before, &now, &bench.before.path)?;
        if sounds_the_same(&b, &a) {
            return Err(format!(
                "Snapshot {} is the same mix as {}: there is nothing to tell apart",
                self.snapshot,
                self.versus.describe()
            ));
        }
        let here = bench.mixer.current_section(bench.mixer.playhead);
        self.span = match here {
            Some(k) => bench.section_span(k),
            None => (Seconds(0.0), b.length()),
        };
        self.measuring = Some(Matching::start(&a, &b, self.span));
        let seed = (bench.mixer.random_unit() * 9_007_199_254_740_992.0) as u64;
        self.abx = Some(Abx::new(self.trials, seed));
        self.versions = Some((a, b));
        self.hear(Hearing::X, bench);
        bench.play_span(self.span);
        bench.mixer.message = Some("Matching A and B in loudness...".to_string());
        Ok(())
    }

    fn step(&self, _mixer: &Mixer, keymap: &Keymap) -> Step {
        let key = |n| keymap.key_label(Action::SelectStrip(n));
        let hearing = match self.hearing {
            Hearing::A => "A",
            Hearing::B => "B",
            Hearing::X => "X",
        };
        Step {
            title: format!("Blind A/B/X, {}", self.trial_text()),
            text: if self.measuring.is_some() {
                "Matching A and B in loudness: a moment.".to_string()
            } else {
                "Which is X? Flip to the one it sounds like.".to_string()
            },
            keys: vec![
                (key(1), "A".to_string()),
                (key(2), "B".to_string()),
                (key(3), "X".to_string()),
            ],
            hearing: Some(hearing.to_string()),
            balancing: false,
        }
    }

    fn action(&mut self, action: Action, bench: &mut Bench<'_>) -> Handled {
        match action {
            Action::SelectStrip(n @ 1..=3) => {
                let hearing = [Hearing::A, Hearing::B, Hearing::X][usize::from(n) - 1];
                self.hear(hearing, bench);
                bench.mixer.message =
                    Some(format!("Hearing {}", ["A", "B", "X"][usize::from(n) - 1]));
                Handled::Done
            }
            Action::SelectStrip(_)
            | Action::SelectPrevious
            | Action::SelectNext
            | Action::Nudge { .. }
            | Action::Unity
            | Action::Mute
            | Action::Solo
            | Action::ClearSolos
            | Action::Undo
            | Action::Redo => Handled::Refused(
                "A/B/X compares two mixes as they are: 1, 2 and 3 flip, Enter answers".to_string(),
            ),
            _ => Handled::Shared,
        }
    }

    fn done(&mut self, bench: &mut Bench<'_>) -> Option<Finished> {
        let side = match self.hearing {
            Hearing::A => Side::A,
            Hearing::B => Side::B,
            Hearing::X => {
                bench.mixer.message =
                    Some("Flip to the one X sounds like (1: A, 2: B), then Enter".to_string());
                return None;
            }
        };
        let abx = self.abx.as_mut()?;
        abx.answer(side)?;
        if abx.is_done() {
            return Some(self.finished(bench));
        }
        self.hear(Hearing::X, bench);
        bench.mixer.message = Some("Answered: the next trial, X plays".to_string());
        None
    }

    fn tick(&mut self, bench: &mut Bench<'_>) -> Option<Finished> {
        match self.measuring.as_mut()?.poll()? {
            Ok(offsets) => {
                self.offsets = offsets;
                bench.mixer.message = Some("Matched in loudness: X plays".to_string());
            }
            Err(e) => {
                tracing::warn!("abx loudness: {e}");
                bench.mixer.message = Some(format!("A and B are not loudness-matched: {e}"));
            }
        }
        self.measuring = None;
        self.hear(self.hearing, bench);
        None
    }

    fn waiting(&self) -> bool {
        self.measuring.is_some()
    }
}

impl AbxFlow {
    /// The score, what it means, and which one X was in every trial.
    fn finished(&self, bench: &Bench<'_>) -> Finished {
        let abx = self.abx.clone().unwrap_or_else(|| Abx::new(0, 0));
        let result = abx.result();
        let rows = abx
            .reveal()
            .iter()
            .enumerate()
            .map(|(i, (x, said))| ResultRow {
                name: format!("Trial {}", i + 1),
                role: None,
                cells: vec![
                    x.letter().to_string(),
                    said.map_or("-", Side::letter).to_string(),
                    if Some(*x) == *said { "right" } else { "wrong" }.to_string(),
                ],
                bar_db: None,
            })
            .collect();
        let view = ResultsView {
            title: format!("Blind A/B/X: {} of {} right", result.right, result.trials),
            headline: vec![
                format!(
                    "A: snapshot {}. B: {}.",
                    self.snapshot,
                    self.versus.describe()
                ),
                format!(
                    "Matched in loudness: A {:+.1} dB, B {:+.1} dB.",
                    self.offsets.0, self.offsets.1
                ),
            ],
            columns: ["X was", "You said", ""]
                .iter()
                .map(ToString::to_string)
                .collect(),
            rows,
            chart: String::new(),
            reading: vec![result.sentence.clone()],
            answers: bench.answers(&[(Action::Confirm, "close")]),
        };
        let mut record = Record::new(Exercise::Abx.id(), &bench.before.path, SystemTime::now());
        record.abx = Some(AbxRecord {
            a: self.snapshot.clone(),
            b: self.versus.record(),
            trials: result.trials as u32,
            right: result.right as u32,
            p_value: result.p_value,
        });
        Finished {
            view,
            more: Vec::new(),
            keep: Keep::Nothing,
            record,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::app::action::{Direction, Step as Stride};
    use crate::app::effect::{Effect, Transport};
    use crate::app::keymap::Keymap;
    use crate::app::state::App;
    use crate::exercise::history::History;
    use crate::ui::view::Overlay;
    use crate::units::Decibels;

    /// Two 4 s tone stems on disk (Bass at 110 Hz, fader -3 dB; Keys at 440 Hz), loaded.
    fn song(dir: &Path) -> Session {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        for (name, hz) in [("bass", 110.0), ("keys", 440.0)] {
            let path = dir.join(format!("{name}.wav"));
            let mut w = hound::WavWriter::create(path, spec).unwrap();
            for i in 0..4 * 48_000 {
                let t = f64::from(i) / 48_000.0;
                w.write_sample(((t * hz * std::f64::consts::TAU).sin() * 6000.0) as i16)
                    .unwrap();
            }
            w.finalize().unwrap();
        }
        let text = "version = 1\nname = \"Song\"\n\
                    [[channel]]\nname = \"Bass\"\nfile = \"bass.wav\"\ngain_db = -3.0\n\
                    [[channel]]\nname = \"Keys\"\nfile = \"keys.wav\"\n";
        let path = dir.join("session.toml");
        std::fs::write(&path, text).unwrap();
        crate::session::load(&path).unwrap()
    }

    use crate::app::mode::testing::act_on as act;

    /// Bass's fader and the master as the engine was last told in `effects`.
    fn heard(effects: &[Effect]) -> (Option<f64>, Option<f64>) {
        let bass = effects.iter().rev().find_map(|e| match e {
            Effect::Gain(0, db) => Some(db.0),
            _ => None,
        });
        let master = effects.iter().rev().find_map(|e| match e {
            Effect::Master(db) => Some(db.0),
            _ => None,
        });
        (bass, master)
    }

    /// B may be the saved file (t in the set-up): a snapshot that is the mix as saved has
    /// nothing to tell apart from it, and the run does not start, saying why.
    #[test]
    fn b_may_be_the_saved_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = App::new(
            song(dir.path()),
            Keymap::default(),
            crate::app::edit::test_steps(),
            crate::app::edit::test_blind(crate::config::BlindOnExit::Ask),
            None,
            None,
        );
        let mut transport = Transport::default();
        act(&mut app, Action::TakeSnapshot, &mut transport);
        act(&mut app, Action::Confirm, &mut transport);
        app.open_exercise(Exercise::Abx, None);
        act(&mut app, Action::ChooseTarget, &mut transport);
        let Some(Overlay::Question { lines, .. }) = app.overlay() else {
            panic!("expected the panel, got {:?}", app.overlay());
        };
        assert!(
            lines.contains(&"A: snapshot 0:00. B: the saved file. 10 trials.".to_string()),
            "{lines:?}"
        );
        act(&mut app, Action::Confirm, &mut transport);
        assert!(!app.in_exercise());
        assert_eq!(
            app.message(),
            Some("Snapshot 0:00 is the same mix as the saved file: there is nothing to tell apart")
        );
    }

    /// A snapshot taken, Bass pushed up 3 dB, and a 5-trial A/B/X run: A and B reach the
    /// engine (not the console's faders) with B, the louder, turned down on the master; Enter
    /// on X is refused; a listener who always picks right scores 5 of 5 with the p-value
    /// sentence, the reveal lists every trial, and the history gets the A/B/X record.
    #[test]
    fn a_run_flips_matched_versions_and_records_the_result() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = App::new(
            song(dir.path()),
            Keymap::default(),
            crate::app::edit::test_steps(),
            crate::app::edit::test_blind(crate::config::BlindOnExit::Ask),
            None,
            None,
        );
        app.mixer_mut().seed(5);
        let history = dir.path().join("history.jsonl");
        app.set_history(Some(History::at(&history)));
        let mut transport = Transport::default();
        act(&mut app, Action::TakeSnapshot, &mut transport);
        act(&mut app, Action::Confirm, &mut transport);
        let up = Action::Nudge {
            direction: Direction::Up,
            step: Stride::Coarse,
        };
        act(&mut app, up, &mut transport);
        assert_eq!(app.mixer().session.channels[0].gain_db, Decibels(0.0));

        app.open_exercise(Exercise::Abx, None);
        let Some(Overlay::Question { lines, .. }) = app.overlay() else {
            panic!("expected the panel, got {:?}", app.overlay());
        };
        assert!(
            lines.contains(&"A: snapshot 0:00. B: your mix as it is. 10 trials.".to_string()),
            "{lines:?}"
        );
        for _ in 0..3 {
            act(&mut app, Action::ChooseLevel, &mut transport);
        }
        act(&mut app, Action::Confirm, &mut transport);
        assert!(app.in_exercise(), "{:?}", app.message());
        let until = Instant::now() + Duration::from_secs(20);
        while app.exercise_waiting() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
            app.tick(Instant::now(), transport);
        }
        assert!(!app.exercise_waiting(), "the measurement never came");
        app.take_effects();

        let a = heard(&act(&mut app, Action::SelectStrip(1), &mut transport));
        let b = heard(&act(&mut app, Action::SelectStrip(2), &mut transport));
        assert_eq!(a, (Some(-3.0), Some(0.0)));
        assert_eq!(b.0, Some(0.0));
        let matched = b.1.unwrap();
        assert!(
            -3.0 < matched && matched < -0.5,
            "B turned down {matched} dB"
        );
        assert_eq!(app.mixer().session.channels[0].gain_db, Decibels(0.0));

        for trial in 0..5 {
            let x = heard(&act(&mut app, Action::SelectStrip(3), &mut transport));
            act(&mut app, Action::Confirm, &mut transport);
            assert_eq!(
                app.message(),
                Some("Flip to the one X sounds like (1: A, 2: B), then Enter"),
                "trial {trial}"
            );
            let pick = if x == a { 1 } else { 2 };
            act(&mut app, Action::SelectStrip(pick), &mut transport);
            act(&mut app, Action::Confirm, &mut transport);
        }
        let Some(Overlay::Results(view)) = app.overlay() else {
            panic!("expected the results, got {:?}", app.overlay());
        };
        assert_eq!(view.title, "Blind A/B/X: 5 of 5 right");
        assert!(
            view.reading[0].starts_with("5 of 5 right: guessing would do this well 3.1% of"),
            "{:?}",
            view.reading
        );
        assert_eq!(view.rows.len(), 5);
        assert!(
            view.rows
                .iter()
                .all(|r| r.cells[0] == r.cells[1] && r.cells[2] == "right")
        );
        let records = History::at(&history).read().unwrap().records;
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].exercise, "abx");
        assert_eq!(
            records[0].abx,
            Some(AbxRecord {
                a: "0:00".into(),
                b: "current mix".into(),
                trials: 5,
                right: 5,
                p_value: 1.0 / 32.0,
            })
        );
        act(&mut app, Action::Confirm, &mut transport);
        assert!(!app.in_exercise());
        assert_eq!(app.mixer().session.channels[0].gain_db, Decibels(0.0));
    }
}
