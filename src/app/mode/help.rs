//! The help screen: every action with its keys, a page at a time.

use std::time::Instant;

use super::{Mode, Next};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::state::App;
use crate::ui::view::Overlay;

/// How many help lines the help key moves on by when the help is longer than the screen.
pub const HELP_PAGE: usize = 12;

/// The help, from its `skip`th line on.
#[derive(Debug, Clone, Default)]
pub struct Help {
    skip: usize,
}

impl Mode for Help {
    fn context(&self) -> Context {
        Context::Help
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
        match action {
            Action::Help => {
                let next = self.skip + HELP_PAGE;
                if next < app.help_lines().len() {
                    self.skip = next;
                    Next::Stay
                } else {
                    Next::Close
                }
            }
            Action::QuitNow => app.quit_from_box(),
            _ => Next::Close,
        }
    }

    fn other_key(&mut self, _app: &mut App) -> Next {
        Next::Close
    }

    fn overlay(&self, app: &App) -> Overlay {
        Overlay::Help(
            app.help_lines()
                .split_off(self.skip.min(app.help_lines().len())),
        )
    }
}
