//! The help screen: every action with its keys, a page at a time.

use std::time::Instant;

use super::{Host, Mode, Next};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::ui::view::Overlay;

/// How many help lines the help key moves on by when the help is longer than the screen.
pub const HELP_PAGE: usize = 12;

/// The help, from its `skip`th line on.
#[derive(Debug, Clone, Default)]
pub struct Help {
    skip: usize,
}

impl<H: Host> Mode<H> for Help {
    fn context(&self) -> Context {
        Context::Help
    }

    fn update(&mut self, action: Action, app: &mut H, _now: Instant) -> Next {
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

    fn other_key(&mut self, _app: &mut H) -> Next {
        Next::Close
    }

    fn overlay(&self, app: &H) -> Overlay {
        Overlay::Help(
            app.help_lines()
                .split_off(self.skip.min(app.help_lines().len())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::test_session;
    use crate::app::mode::testing::{Console, app_with, console_of, keymap_with, up};
    use crate::app::state::Outcome;
    use std::path::Path;

    fn shown(console: &Console) -> Vec<(String, String)> {
        match console.overlay() {
            Some(Overlay::Help(lines)) => lines,
            other => panic!("expected the help, got {other:?}"),
        }
    }

    /// The help lists the learn key with what it does (the line comes from the keymap, so
    /// a user's rebinding shows).
    #[test]
    fn the_help_lists_the_learn_key() {
        let console = console_of(test_session(Path::new("s.toml")));
        let lines = console.app.help_lines();
        assert!(
            lines.contains(&(
                "ctrl+l".to_string(),
                "Learn a MIDI control for this strip or a button".to_string()
            )),
            "{lines:?}"
        );
    }

    /// The help key opens the help at its first line, each press moves it on by a page of
    /// [`HELP_PAGE`] lines, and the press after the last page closes it; nothing reaches the
    /// engine.
    #[test]
    fn the_help_key_pages_on_and_closes_after_the_last_page() {
        let mut console = console_of(test_session(Path::new("s.toml")));
        let all = console.app.help_lines();
        assert!(all.len() > 2 * HELP_PAGE, "{} lines", all.len());
        assert_eq!(console.key("?"), Outcome::Continue);
        assert_eq!(shown(&console), all);
        let pages = all.len().div_ceil(HELP_PAGE);
        for page in 1..pages {
            assert_eq!(console.key("?"), Outcome::Continue);
            assert_eq!(shown(&console), all[page * HELP_PAGE..], "page {page}");
        }
        assert_eq!(console.key("?"), Outcome::Continue);
        assert!(console.overlay().is_none(), "closed after the last page");
        assert!(console.take_effects().is_empty());
    }

    /// Any key that is not the help key closes the help and does nothing else: not the
    /// mixer's mute or fader keys, not quit.
    #[test]
    fn any_other_key_closes_the_help_and_does_only_that() {
        for key in ["Esc", "Enter", "m", "q", "k", "Up", "x", "Space"] {
            let mut console = console_of(test_session(Path::new("s.toml")));
            console.key("?");
            console.key("?");
            assert!(matches!(console.overlay(), Some(Overlay::Help(_))));
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert!(console.overlay().is_none(), "{key} closes the help");
            assert_eq!(
                console.app.mixer().session(),
                &test_session(Path::new("s.toml"))
            );
            assert!(console.take_effects().is_empty(), "{key}");
            assert!(!console.app.mixer().is_gliding());
        }
    }

    /// ctrl+c quits from the help; with unsaved edits the help closes and the quit question
    /// asks first.
    #[test]
    fn quit_now_quits_from_the_help_or_asks_when_unsaved() {
        let mut clean = console_of(test_session(Path::new("s.toml")));
        clean.key("?");
        assert_eq!(clean.key("ctrl+c"), Outcome::Quit);

        let mut edited = console_of(test_session(Path::new("s.toml")));
        edited.act(up());
        edited.key("?");
        assert_eq!(edited.key("ctrl+c"), Outcome::Continue);
        let (title, _, _) = edited.question();
        assert_eq!(title, "Quit with unsaved edits?");
    }

    /// With the help rebound to F1 the help lists F1 for itself, F1 pages on, and `?` is just
    /// another key that closes it.
    #[test]
    fn a_rebound_help_key_is_listed_and_pages() {
        let keys = keymap_with(r#"help = ["F1"]"#);
        let mut console = Console::new(app_with(
            test_session(Path::new("s.toml")),
            keys,
            None,
            None,
        ));
        console.key("F1");
        let lines = shown(&console);
        assert!(
            lines
                .iter()
                .any(|(k, d)| k == "F1" && d == Action::Help.desc()),
            "{lines:?}"
        );
        console.key("F1");
        assert_eq!(shown(&console), lines[HELP_PAGE..]);
        console.key("?");
        assert!(console.overlay().is_none());
    }
}
