//! Something to read (a summary, why a save failed), closed by any key.

use std::time::Instant;

use super::{Mode, Next};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::state::App;
use crate::ui::view::Overlay;

/// A box of lines under a title.
#[derive(Debug, Clone)]
pub struct Info {
    title: String,
    lines: Vec<String>,
    unbidden: bool,
}

impl Info {
    /// A box the user opened (or caused) with a key.
    pub fn new(title: impl Into<String>, lines: Vec<String>) -> Self {
        Self {
            title: title.into(),
            lines,
            unbidden: false,
        }
    }

    /// A box that opens by itself (keys typed before it is drawn do not close it).
    pub fn unbidden(title: impl Into<String>, lines: Vec<String>) -> Self {
        Self {
            unbidden: true,
            ..Self::new(title, lines)
        }
    }
}

impl Mode for Info {
    fn context(&self) -> Context {
        Context::Info
    }

    fn unbidden(&self) -> bool {
        self.unbidden
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
        match action {
            Action::QuitNow => app.quit_from_box(),
            _ => Next::Close,
        }
    }

    fn other_key(&mut self, _app: &mut App) -> Next {
        Next::Close
    }

    fn overlay(&self, _app: &App) -> Overlay {
        Overlay::Info {
            title: self.title.clone(),
            lines: self.lines.clone(),
        }
    }
}
