//! "Quit with unsaved edits?": save and quit, quit without saving, or stay.

use std::time::Instant;

use super::{Host, Mode, Next, answers};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::ui::view::Overlay;

/// The question before quitting with edits not saved.
#[derive(Debug, Clone, Default)]
pub struct ConfirmQuit;

impl<H: Host> Mode<H> for ConfirmQuit {
    fn context(&self) -> Context {
        Context::ConfirmQuit
    }

    fn update(&mut self, action: Action, app: &mut H, _now: Instant) -> Next {
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

    fn overlay(&self, app: &H) -> Overlay {
        Overlay::Question {
            title: "Quit with unsaved edits?".to_string(),
            lines: vec![
                "The mix has edits that are not saved to the session file.".to_string(),
                "Quitting without saving throws them away.".to_string(),
            ],
            answers: answers(
                app.keymap(),
                &[
                    (Action::SaveAndQuit, "save and quit"),
                    (Action::Yes, "quit without saving"),
                    (Action::No, "stay"),
                ],
            ),
        }
    }
}
