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

#[cfg(test)]
mod tests {
    use crate::app::action::Action;
    use crate::app::edit::test_session;
    use crate::app::journal::{self, Journal};
    use crate::app::keymap::Keymap;
    use crate::app::mode::testing::{
        Console, app_with, console_of, keymap_with, saved_session, up,
    };
    use crate::app::state::Outcome;
    use crate::session;
    use std::path::PathBuf;

    /// A session saved on disk, journalled, with Bass moved from -3 to 0 dB (not saved), and
    /// `q` pressed: the quit question is open.
    fn asking(keys: Keymap) -> (tempfile::TempDir, PathBuf, Console) {
        let (dir, path, session) = saved_session();
        let journal = Journal::open(&path).expect("journal");
        let mut console = Console::new(app_with(session, keys, Some(journal), None));
        console.act(up());
        assert_eq!(console.key("q"), Outcome::Continue, "asks first");
        console.take_effects();
        (dir, path, console)
    }

    fn bass_on_disk(path: &std::path::Path) -> f64 {
        session::load(path).expect("loads").channels[0].gain_db.0
    }

    /// The question says what is at stake and offers its three answers with their keys.
    #[test]
    fn the_question_names_its_answers_with_their_keys() {
        let (_dir, _path, console) = asking(Keymap::default());
        let (title, lines, answers) = console.question();
        assert_eq!(title, "Quit with unsaved edits?");
        assert_eq!(
            lines,
            [
                "The mix has edits that are not saved to the session file.",
                "Quitting without saving throws them away."
            ]
        );
        let answers: Vec<(&str, &str)> = answers
            .iter()
            .map(|(k, a)| (k.as_str(), a.as_str()))
            .collect();
        assert_eq!(
            answers,
            [
                ("s", "save and quit"),
                ("y", "quit without saving"),
                ("n", "stay")
            ]
        );
    }

    /// `s` saves the mix and quits: the file holds the edit and the crash journal is gone.
    #[test]
    fn s_saves_and_quits() {
        let (_dir, path, mut console) = asking(Keymap::default());
        assert!(
            journal::journal_path(&path).exists(),
            "journalled at the question"
        );
        assert_eq!(console.key("s"), Outcome::Quit);
        assert_eq!(bass_on_disk(&path), 0.0);
        assert!(!journal::journal_path(&path).exists());
        assert!(console.take_effects().is_empty());
    }

    /// `y` quits without saving: the file is as it was and the crash journal is gone (nothing
    /// is claimed lost at the next open).
    #[test]
    fn y_quits_without_saving_and_leaves_no_journal() {
        let (_dir, path, mut console) = asking(Keymap::default());
        assert!(journal::journal_path(&path).exists());
        assert_eq!(console.key("y"), Outcome::Quit);
        assert_eq!(bass_on_disk(&path), -3.0);
        assert!(!journal::journal_path(&path).exists());
        assert!(journal::recover(&path).expect("readable").is_none());
    }

    /// `n` and Esc close the question and stay, the edit kept and the journal with it.
    #[test]
    fn n_and_esc_stay_with_the_edits() {
        for key in ["n", "Esc"] {
            let (_dir, path, mut console) = asking(Keymap::default());
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert!(console.overlay().is_none(), "{key} closes the question");
            assert_eq!(console.gain(0), 0.0, "{key}");
            assert!(console.app.unsaved());
            assert_eq!(bass_on_disk(&path), -3.0);
            assert!(journal::journal_path(&path).exists(), "{key}");
            assert!(console.take_effects().is_empty());
        }
    }

    /// Keys that are not its answers do nothing: `q` again, ctrl+c, Enter, the mixer's keys;
    /// nor do other actions handed to it; the question stays until answered.
    #[test]
    fn other_keys_do_nothing() {
        let (_dir, path, mut console) = asking(Keymap::default());
        for key in ["q", "ctrl+c", "Enter", "m", "k", "a", "ctrl+s"] {
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert_eq!(console.question().0, "Quit with unsaved edits?", "{key}");
        }
        for action in [Action::Quit, Action::QuitNow, Action::Mute, Action::Confirm] {
            assert_eq!(console.act(action), Outcome::Continue, "{action:?}");
            assert_eq!(
                console.question().0,
                "Quit with unsaved edits?",
                "{action:?}"
            );
        }
        assert_eq!(console.gain(0), 0.0);
        assert!(!console.app.mixer().session().channels[0].mute);
        assert_eq!(bass_on_disk(&path), -3.0);
        assert!(console.take_effects().is_empty());
        assert_eq!(console.key("y"), Outcome::Quit);
    }

    /// A save that fails does not quit: the question closes and a box says the session was
    /// not saved, and why; after it the mixer is back, the edit still there.
    #[test]
    fn a_failed_save_stays_with_the_not_saved_box() {
        // The session's folder is a plain file: nothing can be written there, even as root.
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("plain");
        std::fs::write(&file, "not a folder").expect("file");
        let mut console = console_of(test_session(&file.join("s.toml")));
        console.act(up());
        console.key("q");
        assert_eq!(console.key("s"), Outcome::Continue);
        let (title, lines) = console.info();
        assert_eq!(title, "The session was not saved");
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("s.toml"), "{lines:?}");
        assert!(
            console.message().starts_with("Not saved: "),
            "{}",
            console.message()
        );
        console.key("Enter");
        assert!(console.overlay().is_none(), "the question is not back");
        assert_eq!(console.gain(0), 0.0);
        assert!(console.app.unsaved());
    }

    /// A save that finds the file changed by another program does not quit: the
    /// changed-on-disk question takes over, and the file keeps the other program's version.
    #[test]
    fn a_save_over_another_programs_change_asks_instead_of_quitting() {
        let (_dir, path, mut console) = asking(Keymap::default());
        let text = std::fs::read_to_string(&path).expect("read");
        let theirs = format!("{text}# theirs\n");
        std::fs::write(&path, &theirs).expect("write");
        assert_eq!(console.key("s"), Outcome::Continue);
        let (title, lines, _) = console.question();
        assert_eq!(title, "The session file changed on disk");
        assert!(
            lines.contains(&"Nothing was saved yet.".to_string()),
            "{lines:?}"
        );
        assert_eq!(std::fs::read_to_string(&path).expect("read"), theirs);
    }

    /// Rebound answers are shown with their new keys and answer; the old keys do nothing.
    #[test]
    fn rebound_answers_show_and_take_their_keys() {
        let keys = keymap_with("save_and_quit = [\"ctrl+w\"]\nyes = [\"Y\"]");
        let (_dir, path, mut console) = asking(keys);
        let (_, _, answers) = console.question();
        let keys: Vec<&str> = answers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["ctrl+w", "Y", "n"]);
        assert_eq!(console.key("y"), Outcome::Continue);
        assert_eq!(console.key("s"), Outcome::Continue);
        assert!(console.overlay().is_some());
        assert_eq!(bass_on_disk(&path), -3.0);
        assert_eq!(console.key("Y"), Outcome::Quit);
        assert_eq!(bass_on_disk(&path), -3.0);

        let keys = keymap_with("save_and_quit = [\"ctrl+w\"]");
        let (_dir, path, mut console) = asking(keys);
        assert_eq!(console.key("ctrl+w"), Outcome::Quit);
        assert_eq!(bass_on_disk(&path), 0.0);
    }
}
