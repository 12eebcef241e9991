//! The session file changed on disk, by another program: reload it (the edits on top),
//! overwrite it with this mix, save this mix as a new file, or decide later.

use std::time::Instant;

use super::prompt::{Prompt, Purpose};
use super::{Host, Mode, Next, answers};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::edit::{Change, differences};
use crate::app::mixer::{Version, file_name};
use crate::session::{self, Session};
use crate::ui::view::Overlay;

/// At most this many changes are listed in the question; the rest are counted.
const LISTED: usize = 8;

/// The question about the session file changed on disk.
#[derive(Debug, Clone)]
pub struct DiskChanged {
    /// The file as it is on disk now, loaded (`None`: gone, or it no longer loads).
    disk: Option<Box<Session>>,
    /// Its version.
    version: Version,
    /// What the question says.
    lines: Vec<String>,
    /// Asked because of a save (the mix was not saved).
    at_save: bool,
}

impl DiskChanged {
    /// The question about the file on disk, which is at `version` now; `at_save` when a save
    /// found it changed.
    pub fn new<H: Host>(app: &H, version: Version, at_save: bool) -> Self {
        let mixer = app.mixer();
        let path = mixer.session.path.clone();
        let name = file_name(&path);
        let mut lines = Vec::new();
        let disk = if version.is_gone() {
            lines.push(format!(
                "{name} was removed or renamed by another program since earmix loaded it."
            ));
            None
        } else {
            match session::load(&path) {
                Ok(disk) => {
                    lines.push(format!(
                        "Another program changed {name} since earmix loaded it:"
                    ));
                    lines.extend(
                        describe_changes(&mixer.saved, &disk)
                            .into_iter()
                            .map(|l| format!("  {l}")),
                    );
                    Some(Box::new(disk))
                }
                Err(errors) => {
                    lines.push(format!(
                        "Another program changed {name}, and it no longer loads:"
                    ));
                    lines.extend(errors.0.iter().take(3).map(|e| format!("  {e}")));
                    None
                }
            }
        };
        if mixer.read_only.is_none() {
            lines.push(match app.unsaved_count() {
                0 => "You have no unsaved edits here.".to_string(),
                1 => "You have 1 unsaved edit here.".to_string(),
                n => format!("You have {n} unsaved edits here."),
            });
        }
        if at_save {
            lines.push("Nothing was saved yet.".to_string());
        }
        Self {
            disk,
            version,
            lines,
            at_save,
        }
    }
}

impl<H: Host> Mode<H> for DiskChanged {
    fn context(&self) -> Context {
        Context::DiskChanged
    }

    fn unbidden(&self) -> bool {
        !self.at_save
    }

    fn update(&mut self, action: Action, app: &mut H, _now: Instant) -> Next {
        let writable = app.mixer().read_only.is_none();
        match action {
            Action::Reload => match self.disk.take() {
                Some(disk) => app.mixer_mut().reload(*disk),
                None => return Next::Stay,
            },
            Action::Overwrite if writable => {
                if let Err(error) = app.mixer_mut().overwrite() {
                    app.not_saved(error);
                }
            }
            Action::SaveAsNew if writable => {
                let name = app.mixer().suggested_name();
                app.open_box(Box::new(Prompt::new(
                    Purpose::SaveAs(Some(self.version)),
                    name,
                )));
            }
            Action::Cancel => {
                let mixer = app.mixer_mut();
                mixer.decide_later(self.version);
                mixer.message = Some(if self.at_save {
                    "Not saved: the file on disk changed (ctrl-s asks again)".to_string()
                } else {
                    "The session file changed on disk; ctrl-s asks what to do".to_string()
                });
            }
            _ => return Next::Stay,
        }
        Next::Close
    }

    fn overlay(&self, app: &H) -> Overlay {
        let read_only = app.mixer().read_only.is_some();
        let mut list = Vec::new();
        if self.disk.is_some() {
            list.push((
                Action::Reload,
                if app.unsaved_count() == 0 || read_only {
                    "reload it"
                } else {
                    "reload it, your edits on top"
                },
            ));
        }
        if !read_only {
            list.push((Action::Overwrite, "overwrite it with this mix"));
            list.push((Action::SaveAsNew, "save this mix as a new file"));
        }
        list.push((Action::Cancel, "decide later"));
        Overlay::Question {
            title: "The session file changed on disk".to_string(),
            lines: self.lines.clone(),
            answers: answers(app.keymap(), &list),
        }
    }
}

/// What changed from `before` (as earmix loaded it) to `after` (as on disk now), in a user's
/// words, at most [`LISTED`] lines (names as they are: the console escapes what it draws).
fn describe_changes(before: &Session, after: &Session) -> Vec<String> {
    let mut lines = Vec::new();
    if before.name != after.name {
        lines.push(format!(
            "session name \"{}\" -> \"{}\"",
            before.name, after.name
        ));
    }
    if before.sample_rate != after.sample_rate {
        lines.push(format!(
            "sample rate {} Hz -> {} Hz",
            before.sample_rate, after.sample_rate
        ));
    }
    let names =
        |s: &Session| -> Vec<String> { s.channels.iter().map(|c| c.name.clone()).collect() };
    let (old, new) = (names(before), names(after));
    for name in new.iter().filter(|n| !old.contains(n)) {
        lines.push(format!("added channel {name}"));
    }
    for name in old.iter().filter(|n| !new.contains(n)) {
        lines.push(format!("removed channel {name}"));
    }
    let common_old: Vec<&String> = old.iter().filter(|n| new.contains(n)).collect();
    let common_new: Vec<&String> = new.iter().filter(|n| old.contains(n)).collect();
    if common_old != common_new {
        lines.push("channels in another order".to_string());
    }
    for c in &after.channels {
        if let Some(o) = before.channels.iter().find(|o| o.name == c.name)
            && (o.file != c.file || o.right_file != c.right_file)
        {
            let files = match &c.right_file {
                None => c.file.display().to_string(),
                Some(right) => format!("{} and {}", c.file.display(), right.display()),
            };
            lines.push(format!("{} plays {files}", c.name));
        }
    }
    if before.reference != after.reference {
        lines.push("the reference changed".to_string());
    }
    let changes: Vec<Change> = differences(before, after);
    lines.extend(changes.iter().map(ToString::to_string));
    if lines.is_empty() {
        lines.push("only its comments or layout".to_string());
    }
    if lines.len() > LISTED {
        let more = lines.len() - (LISTED - 1);
        lines.truncate(LISTED - 1);
        lines.push(format!("and {more} more changes"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::test_session;
    use crate::app::effect::Effect;
    use crate::app::journal::{self, Journal};
    use crate::app::keymap::Keymap;
    use crate::app::mode::testing::{Console, app_with, saved_session, up};
    use crate::app::state::Outcome;
    use crate::session::lock::Owner;
    use crate::units::{Decibels, Pan};
    use std::path::{Path, PathBuf};

    /// A saved session with Keys moved to +3 dB here (not saved), whose file another program
    /// then changed (Bass -3 -> -9 dB, and a comment of its own); the returned text is that
    /// file as the other program wrote it.
    fn changed_under_us() -> (tempfile::TempDir, PathBuf, String, Console) {
        let (dir, path, session) = saved_session();
        let journal = Journal::open(&path).unwrap();
        let mut console = Console::new(app_with(session, Keymap::default(), Some(journal), None));
        console.act(Action::SelectNext);
        console.act(up());
        console.take_effects();
        let text = std::fs::read_to_string(&path).unwrap();
        let theirs = format!(
            "# theirs\n{}",
            text.replacen("gain_db = -3.0", "gain_db = -9.0", 1)
        );
        std::fs::write(&path, &theirs).unwrap();
        (dir, path, theirs, console)
    }

    fn on_disk(path: &Path) -> Session {
        session::load(path).unwrap()
    }

    fn keys_of(answers: &[(String, String)]) -> Vec<&str> {
        answers.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// The question says what the other program changed and how many edits are unsaved here,
    /// offers reload, overwrite, save-as and later with their keys, ignores keys typed before
    /// it showed (it opened by itself), and waits through keys and actions that are not
    /// answers.
    #[test]
    fn the_question_says_what_changed_and_waits() {
        let (_dir, path, theirs, mut console) = changed_under_us();
        console.focus_gained();
        let (title, lines, answers) = console.question();
        assert_eq!(title, "The session file changed on disk");
        assert_eq!(
            lines,
            [
                "Another program changed s.toml since earmix loaded it:",
                "  Bass fader -3.0 dB -> -9.0 dB",
                "You have 1 unsaved edit here."
            ]
        );
        assert_eq!(
            answers,
            [
                ("r", "reload it, your edits on top"),
                ("o", "overwrite it with this mix"),
                ("w", "save this mix as a new file"),
                ("Esc", "decide later")
            ]
            .map(|(k, a)| (k.to_string(), a.to_string()))
        );
        assert_eq!(console.key_before_drawn("o"), Outcome::Continue);
        for key in ["q", "Enter", "k", "y", "ctrl+s"] {
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert_eq!(console.question().0, title, "{key}");
        }
        for action in [Action::Confirm, Action::Quit, Action::Recover] {
            assert_eq!(console.act(action), Outcome::Continue, "{action:?}");
            assert_eq!(console.question().0, title, "{action:?}");
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), theirs);
        assert_eq!((console.gain(0), console.gain(1)), (-3.0, 3.0));
        assert!(console.take_effects().is_empty());
    }

    /// `r` reloads the file as the other program wrote it with this console's edit on top,
    /// sends the whole mix to the engine, keeps the edit unsaved (and journalled), and does not
    /// touch the file.
    #[test]
    fn r_reloads_with_the_edits_on_top() {
        let (_dir, path, theirs, mut console) = changed_under_us();
        console.focus_gained();
        assert_eq!(console.key("r"), Outcome::Continue);
        assert!(console.overlay().is_none());
        assert_eq!((console.gain(0), console.gain(1)), (-9.0, 3.0));
        assert_eq!(
            console.message(),
            "Reloaded s.toml with your 1 edit on top (unsaved)"
        );
        assert_eq!(console.app.unsaved_count(), 1);
        let effects = console.take_effects();
        assert_eq!(effects.len(), 2 * 5 + 3, "{effects:?}");
        assert!(
            effects.contains(&Effect::Gain(0, Decibels(-9.0))),
            "{effects:?}"
        );
        assert!(
            effects.contains(&Effect::Gain(1, Decibels(3.0))),
            "{effects:?}"
        );
        assert!(matches!(effects.last(), Some(Effect::Scenes(_))));
        assert!(!console.app.take_engine_reopen(), "same strips");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), theirs);
        console.app.flush_journal();
        let journalled = journal::recover(&path).unwrap().expect("the edit on top");
        assert_eq!(journalled.edits.len(), 1);
        console.focus_gained();
        assert!(
            console.overlay().is_none(),
            "the reloaded file is not asked about again"
        );
        // A save now keeps the other program's comment and Bass, with Keys on top.
        console.key("ctrl+s");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# theirs\n"), "{text}");
        let saved = on_disk(&path);
        assert_eq!(
            (saved.channels[0].gain_db, saved.channels[1].gain_db),
            (Decibels(-9.0), Decibels(3.0))
        );
    }

    /// `o` overwrites the file with this mix (the other program's change is gone), leaves
    /// nothing unsaved, and is not asked about again.
    #[test]
    fn o_overwrites_the_file_with_this_mix() {
        let (_dir, path, _theirs, mut console) = changed_under_us();
        console.focus_gained();
        assert_eq!(console.key("o"), Outcome::Continue);
        assert!(console.overlay().is_none());
        let saved = on_disk(&path);
        assert_eq!(
            (saved.channels[0].gain_db, saved.channels[1].gain_db),
            (Decibels(-3.0), Decibels(3.0))
        );
        assert!(!console.app.unsaved());
        assert_eq!(console.message(), "Saved s.toml");
        assert!(console.take_effects().is_empty());
        assert!(!journal::journal_path(&path).exists());
        console.focus_gained();
        assert!(console.overlay().is_none());
    }

    /// `w` opens the save-as prompt with a free name; Enter writes this mix there and goes on
    /// with the new file, leaving the session file as the other program wrote it.
    #[test]
    fn w_saves_this_mix_as_a_new_file() {
        let (dir, path, theirs, mut console) = changed_under_us();
        console.focus_gained();
        assert_eq!(console.key("w"), Outcome::Continue);
        match console.overlay() {
            Some(Overlay::Prompt {
                title,
                label,
                text,
                error,
                answers,
            }) => {
                assert_eq!(answers[0].0, "Enter");
                assert_eq!(title, "Save this mix as a new file, beside the session");
                assert_eq!(label, "File name:");
                assert_eq!(text, "s-2.toml");
                assert_eq!(error, None);
            }
            other => panic!("expected the save-as prompt, got {other:?}"),
        }
        console.key("Enter");
        assert!(console.overlay().is_none());
        let new = dir.path().join("s-2.toml");
        assert_eq!(console.app.path(), new.as_path());
        let saved = on_disk(&new);
        assert_eq!(
            (saved.channels[0].gain_db, saved.channels[1].gain_db),
            (Decibels(-3.0), Decibels(3.0))
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), theirs);
        assert!(!console.app.unsaved());
        assert_eq!(
            console.message(),
            "Saved as s-2.toml; s.toml keeps the other program's version"
        );
    }

    /// Esc decides later: nothing changes, the same version is not asked about again, and a
    /// save asks again (a question opened by a key takes the keys typed right after it).
    #[test]
    fn esc_decides_later_and_a_save_asks_again() {
        let (_dir, path, theirs, mut console) = changed_under_us();
        console.focus_gained();
        assert_eq!(console.key("Esc"), Outcome::Continue);
        assert!(console.overlay().is_none());
        assert_eq!(
            console.message(),
            "The session file changed on disk; ctrl-s asks what to do"
        );
        assert_eq!((console.gain(0), console.gain(1)), (-3.0, 3.0));
        assert!(console.take_effects().is_empty());
        console.focus_gained();
        assert!(console.overlay().is_none(), "not asked again");
        console.key("ctrl+s");
        let (_, lines, _) = console.question();
        assert_eq!(lines.last().unwrap(), "Nothing was saved yet.");
        console.key_before_drawn("Esc");
        assert!(console.overlay().is_none());
        assert_eq!(
            console.message(),
            "Not saved: the file on disk changed (ctrl-s asks again)"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), theirs);
    }

    /// Cancelling the save-as prompt the question opened is deciding later too: the same
    /// version is not asked about again at the next focus, and the file stays theirs.
    #[test]
    fn cancelling_save_as_decides_later() {
        let (_dir, path, theirs, mut console) = changed_under_us();
        console.focus_gained();
        console.key("w");
        assert!(matches!(console.overlay(), Some(Overlay::Prompt { .. })));
        console.key("Esc");
        assert!(console.overlay().is_none());
        assert_eq!(console.message(), "Not saved");
        console.focus_gained();
        assert!(console.overlay().is_none(), "not asked again");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), theirs);
    }

    /// A file removed by another program offers no reload (`r` does nothing); overwrite
    /// writes the mix back.
    #[test]
    fn a_gone_file_offers_no_reload() {
        let (_dir, path, _theirs, mut console) = changed_under_us();
        std::fs::remove_file(&path).unwrap();
        console.focus_gained();
        let (_, lines, answers) = console.question();
        assert_eq!(
            lines[0],
            "s.toml was removed or renamed by another program since earmix loaded it."
        );
        assert_eq!(keys_of(&answers), ["o", "w", "Esc"]);
        assert_eq!(console.key("r"), Outcome::Continue);
        assert!(console.overlay().is_some(), "r is no answer here");
        assert!(!path.exists());
        console.key("o");
        assert!(console.overlay().is_none());
        assert_eq!(on_disk(&path).channels[1].gain_db, Decibels(3.0));
    }

    /// A file that no longer loads says why and offers no reload.
    #[test]
    fn a_file_that_no_longer_loads_offers_no_reload() {
        let (_dir, path, _theirs, mut console) = changed_under_us();
        std::fs::write(&path, "version = [not toml\n").unwrap();
        console.focus_gained();
        let (_, lines, answers) = console.question();
        assert_eq!(
            lines[0],
            "Another program changed s.toml, and it no longer loads:"
        );
        assert!(lines[1].contains("s.toml"), "{lines:?}");
        assert_eq!(keys_of(&answers), ["o", "w", "Esc"]);
        console.key("r");
        assert!(console.overlay().is_some());
    }

    /// Listening read-only, only reload and later are offered; overwrite and save-as do
    /// nothing.
    #[test]
    fn read_only_offers_only_reload_and_later() {
        let (_dir, path, session) = saved_session();
        let mut console = Console::new(app_with(session, Keymap::default(), None, None));
        console.app.open_read_only(Owner {
            pid: 4242,
            host: String::new(),
            since: None,
        });
        console.key("l");
        let text = std::fs::read_to_string(&path).unwrap();
        let theirs = text.replacen("gain_db = -3.0", "gain_db = -9.0", 1);
        std::fs::write(&path, &theirs).unwrap();
        console.focus_gained();
        let (_, lines, answers) = console.question();
        assert!(!lines.iter().any(|l| l.contains("unsaved")), "{lines:?}");
        assert_eq!(
            answers,
            [("r", "reload it"), ("Esc", "decide later")]
                .map(|(k, a)| (k.to_string(), a.to_string()))
        );
        for key in ["o", "w"] {
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert!(console.overlay().is_some(), "{key}");
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), theirs);
        console.key("r");
        assert_eq!(console.gain(0), -9.0);
    }

    /// More changes than fit are counted in one last line.
    #[test]
    fn many_changes_are_counted_past_the_listed_ones() {
        let before = test_session(Path::new("s.toml"));
        let mut after = before.clone();
        after.name = "Other".into();
        after.sample_rate = 44_100;
        after.channels[0].file = "bass2.wav".into();
        after.channels[0].gain_db = Decibels(-9.0);
        after.channels[0].pan = Pan(-0.5);
        after.channels[0].mute = true;
        after.channels[1].gain_db = Decibels(-1.0);
        after.channels[1].trim_db = Decibels(2.0);
        after.channels[1].solo = true;
        let lines = describe_changes(&before, &after);
        assert_eq!(lines.len(), LISTED, "{lines:?}");
        assert_eq!(lines[0], "session name \"Test\" -> \"Other\"");
        assert_eq!(lines[LISTED - 1], "and 2 more changes");
        assert_eq!(
            describe_changes(&before, &before),
            ["only its comments or layout"]
        );
    }
}
