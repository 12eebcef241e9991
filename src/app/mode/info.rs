//! Something to read (a summary, why a save failed), closed by any key.

use std::time::Instant;

use super::{Host, Mode, Next};
use crate::app::action::Action;
use crate::app::context::Context;
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

impl<H: Host> Mode<H> for Info {
    fn context(&self) -> Context {
        Context::Info
    }

    fn unbidden(&self) -> bool {
        self.unbidden
    }

    fn update(&mut self, action: Action, app: &mut H, _now: Instant) -> Next {
        match action {
            Action::QuitNow => app.quit_from_box(),
            _ => Next::Close,
        }
    }

    fn other_key(&mut self, _app: &mut H) -> Next {
        Next::Close
    }

    fn overlay(&self, _app: &H) -> Overlay {
        Overlay::Info {
            title: self.title.clone(),
            lines: self.lines.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::test_session;
    use crate::app::mode::testing::{Console, console_of, up};
    use crate::app::state::Outcome;
    use std::path::Path;

    fn with_info(info: Info) -> Console {
        let mut console = console_of(test_session(Path::new("s.toml")));
        console.app.open(info);
        console
    }

    fn lines() -> Vec<String> {
        vec!["first line".to_string(), "second line".to_string()]
    }

    /// The box draws its title and lines, and any key closes it and does nothing else (the
    /// mixer's mute, fader and quit keys included); nothing reaches the engine.
    #[test]
    fn any_key_closes_the_box_and_does_only_that() {
        for key in ["Enter", "Esc", "m", "k", "q", "u", "?", "Space"] {
            let mut console = with_info(Info::new("What happened", lines()));
            let (title, shown) = console.info();
            assert_eq!(title, "What happened");
            assert_eq!(shown, lines());
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert!(console.overlay().is_none(), "{key} closes the box");
            assert_eq!(
                console.app.mixer().session(),
                &test_session(Path::new("s.toml")),
                "{key}"
            );
            assert!(console.take_effects().is_empty(), "{key}");
        }
    }

    /// ctrl+c quits from the box; with unsaved edits the box closes and the quit question
    /// asks first.
    #[test]
    fn quit_now_quits_or_asks_when_unsaved() {
        let mut clean = with_info(Info::new("Note", lines()));
        assert_eq!(clean.key("ctrl+c"), Outcome::Quit);

        let mut edited = console_of(test_session(Path::new("s.toml")));
        edited.act(up());
        edited.app.open(Info::new("Note", lines()));
        assert_eq!(edited.key("ctrl+c"), Outcome::Continue);
        assert_eq!(edited.question().0, "Quit with unsaved edits?");
    }

    /// A box that opened by itself stays until a key typed after it was drawn; one opened by
    /// a key closes at the next key, drawn or not.
    #[test]
    fn an_unbidden_box_ignores_keys_typed_before_it_was_drawn() {
        let mut console = with_info(Info::unbidden("Note", lines()));
        console.key_before_drawn("Enter");
        assert!(console.overlay().is_some(), "typed before it was drawn");
        console.key("Enter");
        assert!(console.overlay().is_none());

        let mut console = with_info(Info::new("Note", lines()));
        console.key_before_drawn("Enter");
        assert!(console.overlay().is_none());
    }
}
