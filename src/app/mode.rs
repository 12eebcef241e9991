//! The boxes over the mixer, as a stack of modes (UI thread; not realtime-safe).
//!
//! A mode is one box: a question, a list, a prompt, the help, the arc view. It takes the
//! actions of its [`Context`] (the keymap turns keys into them), changes the model through the
//! [`App`] it is given, and draws its own [`Overlay`]. Only the top mode of the stack gets
//! keys; a mode can open another on top of it ([`App::open`]) and says after each action
//! whether it stays, closes or quits the console ([`Next`]).
//!
//! A mode that opens by itself (the crash-journal question, the file changed on disk) is
//! *unbidden*: keys typed before it was first drawn were meant for something else, and it
//! ignores them.
//!
//! Each mode lives in a file of its own under `mode/`; the exercises' boxes live with the
//! exercises.

pub mod already_open;
pub mod arc;
pub mod disk_changed;
pub mod help;
pub mod info;
pub mod journal;
pub mod pick;
pub mod prompt;
pub mod quit;
#[cfg(test)]
pub(crate) mod testing;

use std::time::Instant;

use super::action::Action;
use super::context::Context;
use super::state::App;
use crate::ui::view::Overlay;

/// What becomes of a mode after an action or a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// It stays open.
    Stay,
    /// It closes.
    Close,
    /// The console quits.
    Quit,
}

/// One box over the mixer.
pub trait Mode {
    /// Where its keys are pressed: which actions it takes.
    fn context(&self) -> Context;

    /// Whether it opened by itself rather than at a key: then it ignores keys typed before it
    /// was first drawn.
    fn unbidden(&self) -> bool {
        false
    }

    /// Applies one of its context's actions.
    fn update(&mut self, action: Action, app: &mut App, now: Instant) -> Next;

    /// A plain character typed into it (only prompts take text).
    fn typed(&mut self, _c: char, _app: &mut App) -> Next {
        Next::Stay
    }

    /// A key that is none of its actions: a box to read closes, a question waits for its
    /// answer.
    fn other_key(&mut self, _app: &mut App) -> Next {
        Next::Stay
    }

    /// Its box.
    fn overlay(&self, app: &App) -> Overlay;

    /// Whether this is the "reading the crash journal" box.
    fn is_reading_journal(&self) -> bool {
        false
    }
}

/// The answers line of a question: each action's first key and what it does.
pub fn answers(app: &App, list: &[(Action, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(action, text)| (app.keymap().key_label(*action), (*text).to_string()))
        .collect()
}
