//! The boxes over the mixer, as a stack of modes (UI thread; not realtime-safe).
//!
//! A mode is one box: a question, a list, a prompt, the help, the arc view. It takes the
//! actions of its [`Context`] (the keymap turns keys into them), changes the model through the
//! [`Host`] it is given (the console model), and draws its own [`Overlay`]. Only the top mode
//! of the stack gets keys; a mode can open another on top of it ([`Host::open_box`]) and says
//! after each action whether it stays, closes or quits the console ([`Next`]).
//!
//! A mode that opens by itself (the crash-journal question, the file changed on disk) is
//! *unbidden*: keys typed before it was first drawn were meant for something else, and it
//! ignores them.
//!
//! Each mode lives in a file of its own under `mode/`; the exercises' boxes live with the
//! exercises.

pub mod already_open;
pub mod arc;
pub mod blind_exit;
pub mod compare;
pub mod disk_changed;
pub mod help;
pub mod info;
pub mod journal;
pub mod learn;
pub mod pick;
pub mod prompt;
pub mod quit;
pub mod snapshots;
#[cfg(test)]
pub(crate) mod testing;

use std::time::Instant;

use super::action::Action;
use super::context::Context;
use super::keymap::Keymap;
use super::mixer::Mixer;
use crate::control::midi::learn::Heard;
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

/// What a box works on: the console's model as the boxes see it (the console model, `App`,
/// is the host; the boxes know it only through this).
pub trait Host {
    /// The mix being edited.
    fn mixer(&self) -> &Mixer;
    /// The mix being edited, to change.
    fn mixer_mut(&mut self) -> &mut Mixer;
    /// The keys.
    fn keymap(&self) -> &Keymap;
    /// Opens a box on top of the others.
    fn open_box(&mut self, mode: Box<dyn Mode<Self>>);
    /// Saves the mix; says why not (in a box or a message) when it cannot. Whether it saved.
    fn save(&mut self) -> bool;
    /// Says in a box that the session could not be saved, and why.
    fn not_saved(&mut self, error: String);
    /// A box's quit key: the box closes, then the console quits (or asks first).
    fn quit_from_box(&mut self) -> Next;
    /// The help: every action with its keys.
    fn help_lines(&self) -> Vec<(String, String)>;
    /// How many controls of the user's mix differ from the file on disk.
    fn unsaved_count(&self) -> usize;
}

/// One box over the mixer, working on a host `H`.
pub trait Mode<H: ?Sized> {
    /// Where its keys are pressed: which actions it takes.
    fn context(&self) -> Context;

    /// Whether it opened by itself rather than at a key: then it ignores keys typed before it
    /// was first drawn.
    fn unbidden(&self) -> bool {
        false
    }

    /// Applies one of its context's actions.
    fn update(&mut self, action: Action, host: &mut H, now: Instant) -> Next;

    /// A plain character typed into it (only prompts take text).
    fn typed(&mut self, _c: char, _host: &mut H) -> Next {
        Next::Stay
    }

    /// A key that is none of its actions: a box to read closes, a question waits for its
    /// answer.
    fn other_key(&mut self, _host: &mut H) -> Next {
        Next::Stay
    }

    /// A frame went by (the console ticks the top box): work it waits for, such as a
    /// measurement in the background, can arrive.
    fn tick(&mut self, _host: &mut H, _now: Instant) -> Next {
        Next::Stay
    }

    /// Its box.
    fn overlay(&self, host: &H) -> Overlay;

    /// Whether this is the "reading the crash journal" box.
    fn is_reading_journal(&self) -> bool {
        false
    }

    /// Whether it listens to the MIDI controls as they arrive (learn mode, waiting for one):
    /// the surfaces then send them ([`Heard`]) and the mixer takes no surface input.
    fn listens(&self) -> bool {
        false
    }

    /// A MIDI control arrived while it [listens](Mode::listens).
    fn heard(&mut self, _heard: Heard, _host: &mut H, _at: Instant) -> Next {
        Next::Stay
    }
}

/// The answers line of a question: each action's first key and what it does.
pub fn answers(keymap: &Keymap, list: &[(Action, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(action, text)| (keymap.key_label(*action), (*text).to_string()))
        .collect()
}
