//! The exercises' boxes, each a mode: the list of exercises, an exercise's panel (its
//! instructions and set-up), the lists the set-up offers, and "Leave the exercise?".

use std::time::Instant;

use super::{Choice, Setup};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::exercises::abx::TRIAL_CHOICES;
use crate::app::mode::pick::moved;
use crate::app::mode::{Mode, Next, answers};
use crate::app::state::App;
use crate::exercise::Exercise;
use crate::ui::view::Overlay;

/// The list of exercises (`E`).
#[derive(Debug, Clone, Default)]
pub struct ExercisePick {
    selected: usize,
}

impl Mode<App> for ExercisePick {
    fn context(&self) -> Context {
        Context::List
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
        if let Some(selected) = moved(self.selected, Exercise::ALL.len(), action) {
            self.selected = selected;
            return Next::Stay;
        }
        match action {
            Action::Confirm => {
                if let Some(setup) = app.setup_for(Exercise::ALL[self.selected]) {
                    app.open(ExerciseIntro { setup });
                }
                Next::Close
            }
            Action::Cancel | Action::Back => Next::Close,
            Action::QuitNow => app.quit_from_box(),
            _ => Next::Stay,
        }
    }

    fn overlay(&self, app: &App) -> Overlay {
        Overlay::Pick {
            title: "Exercises: train your ear".to_string(),
            items: Exercise::ALL
                .iter()
                .map(|e| format!("{}: {}", e.title(), e.summary()))
                .collect(),
            selected: self.selected,
            hint: list_hint(app, "opens", "cancels"),
        }
    }
}

/// An exercise's instruction panel, before it starts.
#[derive(Debug, Clone)]
pub struct ExerciseIntro {
    pub(super) setup: Setup,
}

impl Mode<App> for ExerciseIntro {
    fn context(&self) -> Context {
        Context::ExerciseIntro
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
        let setup = &mut self.setup;
        let choose = |setup: &Setup, choice: Choice, selected: usize| ExerciseChoose {
            setup: setup.clone(),
            choice,
            selected,
        };
        match action {
            Action::Confirm => {
                let setup = setup.clone();
                app.start_exercise(&setup);
                return Next::Close;
            }
            Action::Cancel | Action::Back => {
                app.mixer_mut().message = Some(format!("{}: not started", setup.kind.title()));
                return Next::Close;
            }
            Action::QuitNow => return app.quit_from_box(),
            Action::SetUp if setup.kind == Exercise::Guess => {
                setup.sizes = !setup.sizes;
            }
            Action::SetUp if setup.kind == Exercise::Reference => {
                setup.scrambled = !setup.scrambled;
                setup.note = None;
            }
            Action::SetUp if setup.kind == Exercise::Abx && setup.versions.len() > 1 => {
                setup.version = (setup.version + 1) % setup.versions.len();
            }
            Action::ChooseTarget if setup.kind == Exercise::Abx && !setup.against.is_empty() => {
                setup.versus = (setup.versus + 1) % setup.against.len();
            }
            Action::ChooseLevel if setup.kind == Exercise::Abx => {
                let at = TRIAL_CHOICES.iter().position(|&n| n == setup.trials);
                setup.trials = TRIAL_CHOICES[at.map_or(0, |i| (i + 1) % TRIAL_CHOICES.len())];
            }
            Action::SetUp if setup.kind == Exercise::Arc => {
                let first = setup.pair.map_or(0, |p| p.0);
                app.open(choose(setup, Choice::First, first));
                return Next::Close;
            }
            Action::ChooseLevel if setup.kind == Exercise::Drill && setup.unlocked > 1 => {
                app.open(choose(setup, Choice::Level, setup.level as usize - 1));
                return Next::Close;
            }
            Action::ChooseTarget
                if matches!(setup.kind, Exercise::Drill | Exercise::Pan)
                    && setup.sources.len() > 1 =>
            {
                app.open(choose(setup, Choice::Target, setup.source));
                return Next::Close;
            }
            _ => {}
        }
        Next::Stay
    }

    fn overlay(&self, app: &App) -> Overlay {
        let setup = &self.setup;
        let mut list = vec![(Action::Confirm, "start")];
        match setup.kind {
            Exercise::Blindfold | Exercise::Consistency => {}
            Exercise::Guess => list.push((
                Action::SetUp,
                if setup.sizes {
                    "which way only"
                } else {
                    "say how much too"
                },
            )),
            Exercise::Abx => {
                if setup.versions.len() > 1 {
                    list.push((Action::SetUp, "other snapshot"));
                }
                list.push((Action::ChooseTarget, "other B"));
                list.push((Action::ChooseLevel, "trials"));
            }
            Exercise::Reference => list.push((
                Action::SetUp,
                if setup.scrambled {
                    "start flat"
                } else {
                    "start scrambled"
                },
            )),
            Exercise::Arc => list.push((Action::SetUp, "other sections")),
            Exercise::Drill => {
                if setup.unlocked > 1 {
                    list.push((Action::ChooseLevel, "level"));
                }
                if setup.sources.len() > 1 {
                    list.push((Action::ChooseTarget, "target"));
                }
            }
            Exercise::Pan => {
                if setup.sources.len() > 1 {
                    list.push((Action::ChooseTarget, "target"));
                }
            }
        }
        list.push((Action::Cancel, "cancel"));
        Overlay::Question {
            title: setup.kind.title().to_string(),
            lines: app.intro_lines(setup),
            answers: answers(app.keymap(), &list),
        }
    }
}

/// A list an exercise's set-up offers (sections, level, target).
#[derive(Debug, Clone)]
pub struct ExerciseChoose {
    setup: Setup,
    choice: Choice,
    selected: usize,
}

impl Mode<App> for ExerciseChoose {
    fn context(&self) -> Context {
        Context::List
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
        let count = app.choice_items(&self.setup, self.choice).len();
        if let Some(selected) = moved(self.selected, count, action) {
            self.selected = selected;
            return Next::Stay;
        }
        match action {
            Action::Cancel | Action::Back => {
                app.open(ExerciseIntro {
                    setup: self.setup.clone(),
                });
                Next::Close
            }
            Action::Confirm => self.take(app),
            Action::QuitNow => app.quit_from_box(),
            _ => Next::Stay,
        }
    }

    fn overlay(&self, app: &App) -> Overlay {
        Overlay::Pick {
            title: match self.choice {
                Choice::First => "Which section first?".to_string(),
                Choice::Second => "And which section to contrast it with?".to_string(),
                Choice::Level => "Which level?".to_string(),
                Choice::Target if self.setup.kind == Exercise::Pan => {
                    "Which stereo picture to rebuild?".to_string()
                }
                Choice::Target => "Which balance to match?".to_string(),
            },
            items: app.choice_items(&self.setup, self.choice),
            selected: self.selected,
            hint: list_hint(app, "takes it", "goes back"),
        }
    }
}

impl ExerciseChoose {
    /// Takes the item picked: on to the second section, or back to the panel; or stays with
    /// a message when the item cannot be taken.
    fn take(&mut self, app: &mut App) -> Next {
        let setup = &mut self.setup;
        let selected = self.selected;
        let sections = app.mixer().session.sections.len();
        match self.choice {
            Choice::First => {
                let second = setup.pair.map_or(1, |p| p.1);
                // The second defaults to the section after the first (or before the last).
                let second = if second == selected {
                    if selected + 1 < sections {
                        selected + 1
                    } else {
                        selected.saturating_sub(1)
                    }
                } else {
                    second
                };
                setup.pair = Some((selected, second));
                self.choice = Choice::Second;
                self.selected = second;
                return Next::Stay;
            }
            Choice::Second => {
                let first = setup.pair.map_or(0, |p| p.0);
                if selected == first {
                    app.mixer_mut().message =
                        Some("Pick a different section from the first".to_string());
                    return Next::Stay;
                }
                setup.pair = Some((first, selected));
            }
            Choice::Level => {
                let number = selected as u32 + 1;
                if number > setup.unlocked {
                    app.mixer_mut().message = Some(format!(
                        "Level {number} is locked: pass level {} first",
                        number - 1
                    ));
                    return Next::Stay;
                }
                setup.level = number;
                setup.note = None;
            }
            Choice::Target => setup.source = selected.min(setup.sources.len().saturating_sub(1)),
        }
        app.open(ExerciseIntro {
            setup: setup.clone(),
        });
        Next::Close
    }
}

/// "Leave the exercise?"
#[derive(Debug, Clone, Default)]
pub struct LeaveExercise;

impl Mode<App> for LeaveExercise {
    fn context(&self) -> Context {
        Context::LeaveExercise
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
        match action {
            Action::Yes => {
                app.finish_exercise(None);
                app.mixer_mut().message =
                    Some("Left the exercise: the mix is as it was".to_string());
                Next::Close
            }
            Action::QuitNow => {
                app.finish_exercise(None);
                app.quit_from_box()
            }
            Action::No | Action::Cancel => Next::Close,
            _ => Next::Stay,
        }
    }

    fn overlay(&self, app: &App) -> Overlay {
        Overlay::Question {
            title: "Leave the exercise?".to_string(),
            lines: vec!["Nothing is recorded and the mix goes back to how it was.".to_string()],
            answers: answers(
                app.keymap(),
                &[(Action::Yes, "leave"), (Action::No, "carry on")],
            ),
        }
    }
}

/// The keys line under a list: "Up/Down choose, Enter opens, Esc cancels".
fn list_hint(app: &App, confirm: &str, cancel: &str) -> String {
    let keys = app.keymap();
    format!(
        "{}/{} choose, {} {confirm}, {} {cancel}",
        keys.key_label(Action::ListUp),
        keys.key_label(Action::ListDown),
        keys.key_label(Action::Confirm),
        keys.key_label(Action::Cancel)
    )
}
