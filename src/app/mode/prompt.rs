//! A line of text to type: a new section's name, or the file name to save the mix as.

use std::time::Instant;

use super::{Host, Mode, Next, answers};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::mixer::Version;
use crate::ui::view::Overlay;
use crate::units::Seconds;

/// A section or snapshot name is at most this many characters.
const NAME_MAX: usize = 40;

/// What the typed text is for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Purpose {
    /// The name of a section to add at this time.
    NewSection(Seconds),
    /// The file name to save the mix as, beside the session; asked because the session file
    /// changed on disk (at this version, decided on later when the prompt is cancelled).
    SaveAs(Option<Version>),
    /// The name of a snapshot of the mix to take (`None`) or of snapshot `i` to rename.
    Snapshot(Option<usize>),
}

/// A prompt: the text typed so far and why it could not be taken.
#[derive(Debug, Clone)]
pub struct Prompt {
    purpose: Purpose,
    text: String,
    error: Option<String>,
}

impl Prompt {
    /// A prompt for `purpose`, starting with `text`.
    pub fn new(purpose: Purpose, text: String) -> Self {
        Self {
            purpose,
            text,
            error: None,
        }
    }
}

impl<H: Host> Mode<H> for Prompt {
    fn context(&self) -> Context {
        Context::Prompt
    }

    fn update(&mut self, action: Action, app: &mut H, _now: Instant) -> Next {
        let mixer = app.mixer_mut();
        match action {
            Action::Confirm => {
                let taken = match self.purpose {
                    Purpose::NewSection(at) => mixer.add_section(at, self.text.trim()),
                    Purpose::SaveAs(_) => mixer.save_as(&self.text),
                    Purpose::Snapshot(None) => mixer.take_snapshot(&self.text),
                    Purpose::Snapshot(Some(i)) => mixer.rename_snapshot(i, &self.text),
                };
                match taken {
                    Ok(()) => Next::Close,
                    Err(why) => {
                        self.error = Some(why.to_string());
                        Next::Stay
                    }
                }
            }
            Action::Cancel => {
                if let Purpose::SaveAs(Some(version)) = self.purpose {
                    // Cancelling the new name is deciding later, as Esc on the question is.
                    mixer.decide_later(version);
                }
                mixer.message = Some(
                    match self.purpose {
                        Purpose::NewSection(_) => "No section added",
                        Purpose::SaveAs(_) => "Not saved",
                        Purpose::Snapshot(None) => "No snapshot taken",
                        Purpose::Snapshot(Some(_)) => "Not renamed",
                    }
                    .to_string(),
                );
                Next::Close
            }
            Action::DeleteBack => {
                self.text.pop();
                self.error = None;
                Next::Stay
            }
            Action::QuitNow => app.quit_from_box(),
            _ => Next::Stay,
        }
    }

    fn typed(&mut self, c: char, _app: &mut H) -> Next {
        let full = matches!(self.purpose, Purpose::NewSection(_) | Purpose::Snapshot(_))
            && self.text.chars().count() >= NAME_MAX;
        if !full {
            self.text.push(c);
            self.error = None;
        }
        Next::Stay
    }

    fn overlay(&self, app: &H) -> Overlay {
        let (title, label) = match self.purpose {
            Purpose::Snapshot(None) => ("Take a snapshot of the mix".to_string(), "Name:"),
            Purpose::Snapshot(Some(i)) => (
                format!(
                    "Rename snapshot {}",
                    app.mixer()
                        .session
                        .snapshots
                        .get(i)
                        .map_or("", |s| s.name.as_str())
                ),
                "Name:",
            ),
            Purpose::NewSection(at) => (format!("New section at {at}"), "Name:"),
            Purpose::SaveAs(_) => (
                "Save this mix as a new file, beside the session".to_string(),
                "File name:",
            ),
        };
        Overlay::Prompt {
            title,
            label: label.to_string(),
            text: self.text.clone(),
            error: self.error.clone(),
            answers: answers(
                app.keymap(),
                &[(Action::Confirm, "ok"), (Action::Cancel, "cancel")],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::effect::Effect;
    use crate::app::mode::testing::{Console, console_of, saved_session, sectioned, up};
    use crate::app::state::Outcome;
    use std::path::Path;

    /// Verse at 0 s and Chorus at 4 s, the play head at 2 s, and `n` pressed: the name prompt
    /// for a section at 0:02.000 is open.
    fn naming() -> Console {
        let mut console = console_of(sectioned(
            Path::new("s.toml"),
            &["Verse", "Chorus"],
            &[0.0, 4.0],
        ));
        console.at(2.0);
        assert_eq!(console.key("n"), Outcome::Continue);
        console
    }

    /// The prompt on top: its title, label, text and error.
    fn prompt(console: &Console) -> (String, String, String, Option<String>) {
        match console.overlay() {
            Some(Overlay::Prompt {
                title,
                label,
                text,
                error,
                ..
            }) => (title, label, text, error),
            other => panic!("expected a prompt, got {other:?}"),
        }
    }

    fn text(console: &Console) -> String {
        prompt(console).2
    }

    fn names(console: &Console) -> Vec<String> {
        console
            .app
            .mixer()
            .session()
            .sections
            .iter()
            .map(|s| s.name.clone())
            .collect()
    }

    /// Typed characters build the name, Backspace takes the last one off, and Enter adds the
    /// section at the play head as one undo step, sent to the engine.
    #[test]
    fn typing_backspace_and_enter_add_the_section() {
        let mut console = naming();
        let (title, label, typed, error) = prompt(&console);
        assert_eq!(title, "New section at 0:02.000");
        assert_eq!(label, "Name:");
        assert_eq!((typed.as_str(), error), ("", None));
        console.type_text("Pre");
        assert_eq!(text(&console), "Pre");
        console.key("Backspace");
        assert_eq!(text(&console), "Pr");
        console.type_text("e ch");
        console.key("Backspace");
        console.key("Backspace");
        console.key("Backspace");
        assert_eq!(text(&console), "Pre");
        assert!(console.take_effects().is_empty(), "nothing before Enter");
        assert_eq!(console.key("Enter"), Outcome::Continue);
        assert!(console.overlay().is_none());
        assert_eq!(names(&console), ["Verse", "Pre", "Chorus"]);
        let effects = console.take_effects();
        assert_eq!(effects.len(), 1, "{effects:?}");
        assert!(matches!(effects[0], Effect::Scenes(_)));
        assert_eq!(
            console.message(),
            "Added section Pre at 0:02.000 (u undoes)"
        );
        console.act(Action::Undo);
        assert_eq!(names(&console), ["Verse", "Chorus"]);
    }

    /// Enter with a name that cannot be taken keeps the prompt open with the text as typed and
    /// says why; typing or Backspace clears the reason.
    #[test]
    fn an_invalid_name_shows_why_and_keeps_the_text() {
        let mut console = naming();
        console.key("Enter");
        assert_eq!(
            prompt(&console).3.as_deref(),
            Some("type a name, like Bridge")
        );
        console.type_text("Chorus");
        assert_eq!(prompt(&console).3, None, "typing clears the reason");
        console.key("Enter");
        let (_, _, typed, error) = prompt(&console);
        assert_eq!(typed, "Chorus");
        assert_eq!(
            error.as_deref(),
            Some("there is already a section named Chorus")
        );
        console.key("Backspace");
        assert_eq!(prompt(&console).3, None, "Backspace clears the reason");
        assert_eq!(names(&console), ["Verse", "Chorus"]);
        assert!(console.take_effects().is_empty());
    }

    /// Esc cancels: no section, no effect, and the status line says so; the save-as prompt
    /// says nothing was saved.
    #[test]
    fn esc_cancels_with_a_message() {
        let mut console = naming();
        console.type_text("Bridge");
        assert_eq!(console.key("Esc"), Outcome::Continue);
        assert!(console.overlay().is_none());
        assert_eq!(console.message(), "No section added");
        assert_eq!(names(&console), ["Verse", "Chorus"]);
        assert!(console.take_effects().is_empty());

        let (dir, _path, session) = saved_session();
        let mut console = crate::app::mode::testing::console_of(session);
        console
            .app
            .open(Prompt::new(Purpose::SaveAs(None), "s-2.toml".to_string()));
        console.key("Esc");
        assert!(console.overlay().is_none());
        assert_eq!(console.message(), "Not saved");
        assert!(!dir.path().join("s-2.toml").exists());
    }

    /// A section name stops at 40 characters; a file name does not.
    #[test]
    fn a_section_name_stops_at_forty_characters() {
        let long: String = "abcdefghij".repeat(5);
        let mut console = naming();
        console.type_text(&long);
        assert_eq!(text(&console), long[..NAME_MAX]);
        console.key("Backspace");
        console.type_text("XY");
        assert_eq!(text(&console), format!("{}X", &long[..NAME_MAX - 1]));

        let mut console = crate::app::mode::testing::console_of(crate::app::edit::test_session(
            Path::new("s.toml"),
        ));
        console
            .app
            .open(Prompt::new(Purpose::SaveAs(None), String::new()));
        console.type_text(&long);
        assert_eq!(text(&console), long);
    }

    /// In a prompt plain characters are text even when the keymap binds them (q quits, r
    /// resets the peaks, m mutes, k moves a fader, ? opens the help, capitals too): nothing
    /// but the text changes.
    #[test]
    fn plain_characters_are_text_even_when_bound() {
        let mut console = naming();
        let before = console.app.mixer().session().clone();
        console.type_text("qr m?kK Ub");
        assert_eq!(text(&console), "qr m?kK Ub");
        assert_eq!(console.app.mixer().session(), &before);
        assert!(!console.app.take_peaks_reset());
        assert!(console.take_effects().is_empty());
        console.key("Enter");
        assert_eq!(names(&console), ["Verse", "qr m?kK Ub", "Chorus"]);
    }

    /// ctrl+c quits from a prompt; with unsaved edits the prompt closes and the quit question
    /// asks first.
    #[test]
    fn ctrl_c_quits_from_a_prompt() {
        let mut clean = naming();
        clean.type_text("Br");
        assert_eq!(clean.key("ctrl+c"), Outcome::Quit);

        let mut edited = console_of(sectioned(Path::new("s.toml"), &["Verse"], &[0.0]));
        edited.act(up());
        edited.at(2.0);
        edited.key("n");
        edited.type_text("Br");
        assert_eq!(edited.key("ctrl+c"), Outcome::Continue);
        assert_eq!(edited.question().0, "Quit with unsaved edits?");
        assert_eq!(names(&edited), ["Verse"]);
    }

    /// The save-as prompt refuses a path with a folder in it, says why and keeps the text; a
    /// plain name is saved beside the session.
    #[test]
    fn save_as_takes_a_file_name_only() {
        let (dir, _path, session) = saved_session();
        let mut console = crate::app::mode::testing::console_of(session);
        console.act(up());
        console
            .app
            .open(Prompt::new(Purpose::SaveAs(None), String::new()));
        console.type_text("mixes/take");
        console.key("Enter");
        let (title, label, typed, error) = prompt(&console);
        assert_eq!(title, "Save this mix as a new file, beside the session");
        assert_eq!(label, "File name:");
        assert_eq!(typed, "mixes/take");
        assert!(error.is_some_and(|e| e.starts_with("a file name only")));
        for _ in 0.."mixes/take".len() {
            console.key("Backspace");
        }
        assert_eq!(text(&console), "");
        console.type_text("take");
        console.key("Enter");
        assert!(console.overlay().is_none());
        let saved = crate::session::load(&dir.path().join("take.toml")).unwrap();
        assert_eq!(saved.channels[0].gain_db.0, 0.0);
    }
}
