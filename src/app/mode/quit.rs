//! "Quit with unsaved edits?": save and quit, quit without saving, or stay.

use std::time::Instant;

use super::{Mode, Next, answers};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::state::App;
use crate::ui::view::Overlay;

/// The question before quitting with edits not saved.
#[derive(Debug, Clone, Default)]
pub struct ConfirmQuit;

impl Mode for ConfirmQuit {
    fn context(&self) -> Context {
        Context::ConfirmQuit
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
        match action {
            // A save that fails (or finds the file changed on disk) opens its own box.
            Action::SaveAndQuit => {
                if app.save() {
                    Next::Quit
                } else {
                    Next::Close
                }
            }
            Action::Yes => {
                app.mixer_mut().discard_journal();
                Next::Quit
            }
            Action::No | Action::Cancel => Next::Close,
            // Only the answers offered act.
            _ => Next::Stay,
        }
    }

    fn overlay(&self, app: &App) -> Overlay {
        Overlay::Question {
            title: "Quit with unsaved edits?".to_string(),
            lines: vec![
                "The mix has edits that are not saved to the session file.".to_string(),
                "Quitting without saving throws them away.".to_string(),
            ],
            answers: answers(
                app,
                &[
                    (Action::SaveAndQuit, "save and quit"),
                    (Action::Yes, "quit without saving"),
                    (Action::No, "stay"),
                ],
            ),
        }
    }
}
