//! Leaving blind mode when `[blind] on_exit = "ask"`: keep the balance heard, or take the
//! hidden offsets back out (the moves made by ear stay), or stay blind.

use std::time::Instant;

use super::info::Info;
use super::{Host, Mode, Next, answers};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::mixer::{BlindChoice, Reveal};
use crate::ui::view::Overlay;

/// The box that shows what changed while blind.
pub fn reveal_box(reveal: &Reveal) -> Info {
    Info::new("What you did while blind", reveal.lines())
}

/// The question on leaving blind mode.
#[derive(Debug, Clone, Default)]
pub struct BlindExit;

impl<H: Host> Mode<H> for BlindExit {
    fn context(&self) -> Context {
        Context::BlindExit
    }

    fn update(&mut self, action: Action, app: &mut H, now: Instant) -> Next {
        let choice = match action {
            Action::Keep => BlindChoice::Keep,
            Action::Revert => BlindChoice::Revert,
            Action::Cancel => {
                app.mixer_mut().message = Some("Still blind".to_string());
                return Next::Close;
            }
            _ => return Next::Stay,
        };
        if let Some(reveal) = app.mixer_mut().finish_blind(choice, now) {
            app.open_box(Box::new(reveal_box(&reveal)));
        }
        Next::Close
    }

    fn overlay(&self, app: &H) -> Overlay {
        Overlay::Question {
            title: "Leaving blind mode".to_string(),
            lines: vec![
                "Every fader started from a hidden offset. Keep the balance you heard, or take \
                 the offsets back out: each fader returns to where it was before blind mode, \
                 plus the moves you made by ear."
                    .to_string(),
                "([blind] on_exit in the settings can make this choice for you.)".to_string(),
            ],
            answers: answers(
                app.keymap(),
                &[
                    (Action::Keep, "keep what I heard"),
                    (Action::Revert, "take the offsets out"),
                    (Action::Cancel, "stay blind"),
                ],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::test_session;
    use crate::app::effect::Transport;
    use crate::app::keymap::Keymap;
    use crate::app::state::App;
    use crate::config::{BlindConfig, BlindOnExit, StepsConfig};
    use crate::ui::view::BlindLevel;
    use std::path::Path;
    use std::time::Duration;

    fn app() -> App {
        let mut app = App::new(
            test_session(Path::new("s.toml")),
            Keymap::default(),
            StepsConfig {
                fine_db: 0.5,
                coarse_db: 3.0,
                finer_db: 0.1,
            },
            BlindConfig {
                max_offset_db: 4.0,
                step_factor_min: 1.0,
                step_factor_max: 1.0,
                on_exit: BlindOnExit::Ask,
            },
            None,
            None,
        );
        app.mixer_mut().seed(3);
        app
    }

    fn faders(app: &App) -> Vec<f64> {
        app.mixer()
            .session
            .channels
            .iter()
            .map(|c| c.gain_db.0)
            .collect()
    }

    fn question(app: &App) -> Option<(String, Vec<(String, String)>)> {
        match app.overlay() {
            Some(Overlay::Question { title, answers, .. }) => Some((title, answers)),
            _ => None,
        }
    }

    /// Bug 6 of issue 16 with `on_exit = "ask"`: `b` `b` asks before anything changes; `r`
    /// takes the hidden offsets back out (the faders glide back to the file's values, nothing
    /// unsaved) and shows the reveal; `k` keeps what was heard; Esc stays blind.
    #[test]
    fn leaving_blind_asks_and_each_answer_does_what_it_says() {
        let t = Instant::now();
        let mut app = app();
        let before = faders(&app);
        app.update(Action::Blind, t, Transport::default());
        app.tick(t + Duration::from_secs(3), Transport::default());
        let scrambled = faders(&app);
        assert_ne!(scrambled, before);
        app.update(Action::Blind, t, Transport::default());
        let (title, answers) = question(&app).expect("the question");
        assert_eq!(title, "Leaving blind mode");
        assert_eq!(
            answers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["k", "r", "Esc"]
        );
        assert_eq!(
            app.mixer().blind(),
            BlindLevel::Numbers,
            "nothing changed yet"
        );
        assert_eq!(faders(&app), scrambled);
        // Esc: still blind.
        app.update(Action::Cancel, t, Transport::default());
        assert!(app.overlay().is_none());
        assert_eq!(app.mixer().blind(), BlindLevel::Numbers);
        // Revert: back to the file's faders.
        app.update(Action::Blind, t, Transport::default());
        app.update(Action::Revert, t, Transport::default());
        app.tick(t + Duration::from_secs(6), Transport::default());
        assert_eq!(app.mixer().blind(), BlindLevel::Off);
        assert_eq!(faders(&app), before);
        assert!(!app.unsaved());
        assert!(matches!(app.overlay(), Some(Overlay::Info { .. })));
        // Keep: the balance heard stays.
        app.update(Action::Confirm, t, Transport::default());
        app.update(Action::Blind, t, Transport::default());
        app.tick(t + Duration::from_secs(10), Transport::default());
        let heard = faders(&app);
        app.update(Action::Blind, t, Transport::default());
        app.update(Action::Keep, t, Transport::default());
        assert_eq!(app.mixer().blind(), BlindLevel::Off);
        assert_eq!(faders(&app), heard);
    }
}
