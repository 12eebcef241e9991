//! The session is open in another earmix: listen read-only, or quit.

use std::path::Path;
use std::time::Instant;

use super::{Host, Mode, Next, answers};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::mixer::file_name;
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

impl<H: Host> Mode<H> for AlreadyOpen {
    fn context(&self) -> Context {
        Context::AlreadyOpen
    }

    fn unbidden(&self) -> bool {
        true
    }

    fn update(&mut self, action: Action, app: &mut H, _now: Instant) -> Next {
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

    fn overlay(&self, app: &H) -> Overlay {
        Overlay::Question {
            title: "Already open in earmix".to_string(),
            lines: already_open_lines(app.mixer().path(), &self.owner),
            answers: answers(
                app.keymap(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::effect::Effect;
    use crate::app::journal::{self, Journal};
    use crate::app::keymap::Keymap;
    use crate::app::mode::testing::{Console, app_with, keymap_with, saved_session, up};
    use crate::app::state::Outcome;
    use crate::units::Decibels;
    use std::path::PathBuf;

    fn owner() -> Owner {
        Owner {
            pid: 4242,
            host: String::new(),
            since: Some("2026-12-06T21:40:00Z".to_string()),
        }
    }

    /// A saved session opened (journalled) while another earmix holds it.
    fn opened_twice(keys: Keymap) -> (tempfile::TempDir, PathBuf, String, Console) {
        let (dir, path, session) = saved_session();
        let before = std::fs::read_to_string(&path).unwrap();
        let journal = Journal::open(&path).unwrap();
        let mut console = Console::new(app_with(session, keys, Some(journal), None));
        console.app.open_read_only(owner());
        (dir, path, before, console)
    }

    /// The question names the file and the other earmix and offers its two answers; a key
    /// typed before it showed, and keys and actions that are not answers, do nothing.
    #[test]
    fn the_question_names_the_holder_and_waits() {
        let (_dir, _path, _before, mut console) = opened_twice(Keymap::default());
        let (title, lines, answers) = console.question();
        assert_eq!(title, "Already open in earmix");
        assert_eq!(
            lines[0],
            "s.toml is already open in earmix (pid 4242), since 2026-12-06T21:40:00Z."
        );
        assert_eq!(
            answers,
            [
                ("l".to_string(), "listen read-only".to_string()),
                ("q".to_string(), "quit".to_string())
            ]
        );
        assert_eq!(console.key_before_drawn("l"), Outcome::Continue);
        for key in ["Esc", "Enter", "k", "r", "ctrl+s"] {
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert_eq!(console.question().0, title, "{key}");
        }
        for action in [Action::Confirm, Action::Save, Action::Mute] {
            assert_eq!(console.act(action), Outcome::Continue, "{action:?}");
            assert_eq!(console.question().0, title, "{action:?}");
        }
        assert_eq!(console.gain(0), -3.0);
        assert!(console.take_effects().is_empty());
    }

    /// `q` at the question quits, writing nothing.
    #[test]
    fn q_quits() {
        let (_dir, path, before, mut console) = opened_twice(Keymap::default());
        assert_eq!(console.key("q"), Outcome::Quit);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
        assert!(!journal::journal_path(&path).exists());
    }

    /// `l` listens read-only: edits are heard, but a save is refused with a message, nothing
    /// is journalled or written, and quitting asks nothing.
    #[test]
    fn l_listens_read_only_and_saves_nothing() {
        let (_dir, path, before, mut console) = opened_twice(Keymap::default());
        assert_eq!(console.key("l"), Outcome::Continue);
        assert!(console.overlay().is_none());
        assert_eq!(
            console.message(),
            "Listening read-only (pid 4242 has the session): nothing is saved here"
        );
        console.act(up());
        assert_eq!(console.gain(0), 0.0);
        assert_eq!(console.take_effects(), [Effect::Gain(0, Decibels(0.0))]);
        console.key("ctrl+s");
        assert_eq!(
            console.message(),
            "Read-only (pid 4242 has the session): nothing is saved here"
        );
        assert!(console.overlay().is_none());
        console.app.flush_journal();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
        assert!(!journal::journal_path(&path).exists());
        assert_eq!(console.key("q"), Outcome::Quit, "nothing to ask about");
    }

    /// Rebound answers are shown with their new keys and answer.
    #[test]
    fn rebound_answers_show_and_take_their_keys() {
        let (_dir, _path, _before, mut console) =
            opened_twice(keymap_with(r#"listen_read_only = ["L"]"#));
        let (_, _, answers) = console.question();
        assert_eq!(answers[0].0, "L");
        console.key("l");
        assert!(console.overlay().is_some());
        console.key("L");
        assert!(console.overlay().is_none());
        assert!(console.app.mixer().read_only());
    }
}
