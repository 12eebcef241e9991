//! The session is open in another earmix: listen read-only, or quit.

use std::path::Path;
use std::time::Instant;

use super::{Mode, Next, answers};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::mixer::file_name;
use crate::app::state::App;
use crate::session::lock::Owner;
use crate::ui::view::Overlay;

/// The question when another earmix holds the session's lock.
#[derive(Debug, Clone)]
pub struct AlreadyOpen {
    owner: Owner,
}

impl AlreadyOpen {
    /// The question about `owner`'s lock.
    pub fn new(owner: Owner) -> Self {
        Self { owner }
    }
}

impl Mode for AlreadyOpen {
    fn context(&self) -> Context {
        Context::AlreadyOpen
    }

    fn unbidden(&self) -> bool {
        true
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
        match action {
            Action::ListenReadOnly => {
                app.mixer_mut().message = Some(format!(
                    "Listening read-only ({} has the session): nothing is saved here",
                    self.owner
                ));
                Next::Close
            }
            Action::Quit => Next::Quit,
            _ => Next::Stay,
        }
    }

    fn overlay(&self, app: &App) -> Overlay {
        Overlay::Question {
            title: "Already open in earmix".to_string(),
            lines: already_open_lines(app.path(), &self.owner),
            answers: answers(
                app,
                &[
                    (Action::ListenReadOnly, "listen read-only"),
                    (Action::Quit, "quit"),
                ],
            ),
        }
    }
}

/// The lines of the "already open" question.
fn already_open_lines(path: &Path, owner: &Owner) -> Vec<String> {
    let mut lines = vec![format!(
        "{} is already open in earmix ({owner}){}.",
        file_name(path),
        owner
            .since
            .as_deref()
            .map_or(String::new(), |s| format!(", since {s}"))
    )];
    lines.push(
        "Two earmix editing one session would undo each other's work. You can listen here \
         read-only (nothing is journalled or saved), or quit and mix in the other one."
            .to_string(),
    );
    lines
}
