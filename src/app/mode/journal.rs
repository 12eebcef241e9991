//! The crash journal's boxes: reading it (with progress), a journal that cannot be read, and
//! "Recover unsaved edits?".

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::{Host, Mode, Next, answers};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::journal::Recovery;
use crate::app::mixer::file_name;
use crate::session::Session;
use crate::ui::view::Overlay;

/// The crash journal is being read in the background (bytes read so far, of `total`); only
/// quitting is possible meanwhile.
#[derive(Debug, Clone)]
pub struct ReadingJournal {
    progress: Arc<AtomicU64>,
    total: u64,
}

impl ReadingJournal {
    /// The box for a read that has got `progress` bytes of `total` so far.
    pub fn new(progress: Arc<AtomicU64>, total: u64) -> Self {
        Self { progress, total }
    }
}

impl<H: Host> Mode<H> for ReadingJournal {
    fn context(&self) -> Context {
        Context::ReadingJournal
    }

    fn unbidden(&self) -> bool {
        true
    }

    fn update(&mut self, action: Action, _app: &mut H, _now: Instant) -> Next {
        // The journal stays as it is.
        match action {
            Action::Quit => Next::Quit,
            _ => Next::Stay,
        }
    }

    fn overlay(&self, app: &H) -> Overlay {
        let read = self.progress.load(Ordering::Relaxed);
        let percent = (read as f64 / self.total.max(1) as f64 * 100.0).min(100.0);
        Overlay::Question {
            title: "Reading the crash journal".to_string(),
            lines: vec![
                format!(
                    "earmix stopped without saving last time; reading what its journal holds \
                     ({percent:.0}% of {}).",
                    size_text(self.total)
                ),
                "You can quit meanwhile: the journal stays as it is.".to_string(),
            ],
            answers: answers(app.keymap(), &[(Action::Quit, "quit")]),
        }
    }

    fn is_reading_journal(&self) -> bool {
        true
    }
}

/// The crash journal cannot be read at all: set it aside, or quit.
#[derive(Debug, Clone)]
pub struct JournalUnreadable {
    error: String,
}

impl JournalUnreadable {
    /// The box for a journal that failed with `error`.
    pub fn new(error: String) -> Self {
        Self { error }
    }
}

impl<H: Host> Mode<H> for JournalUnreadable {
    fn context(&self) -> Context {
        Context::JournalUnreadable
    }

    fn unbidden(&self) -> bool {
        true
    }

    fn update(&mut self, action: Action, app: &mut H, _now: Instant) -> Next {
        match action {
            Action::SetAside => {
                app.mixer_mut().set_journal_aside();
                Next::Close
            }
            Action::Quit => Next::Quit,
            _ => Next::Stay,
        }
    }

    fn overlay(&self, app: &H) -> Overlay {
        Overlay::Question {
            title: "The crash journal cannot be read".to_string(),
            lines: vec![
                self.error.clone(),
                "Set it aside to open the session as saved; the journal is kept under another \
                 name, nothing in it is lost."
                    .to_string(),
            ],
            answers: answers(
                app.keymap(),
                &[
                    (Action::SetAside, "set it aside and open"),
                    (Action::Quit, "quit"),
                ],
            ),
        }
    }
}

/// Edits found in a crash journal, waiting for the user's answer.
#[derive(Debug, Clone)]
pub struct Recover {
    recovery: Recovery,
    lines: Vec<String>,
}

impl Recover {
    /// The question about `recovery`, against the session as saved.
    pub fn new(recovery: Recovery, saved: &Session) -> Self {
        Self {
            lines: recovery_lines(&recovery, saved),
            recovery,
        }
    }
}

impl<H: Host> Mode<H> for Recover {
    fn context(&self) -> Context {
        Context::Recover
    }

    fn unbidden(&self) -> bool {
        true
    }

    fn update(&mut self, action: Action, app: &mut H, _now: Instant) -> Next {
        let mixer = app.mixer_mut();
        match action {
            Action::Recover => mixer.recover(&self.recovery),
            Action::SetAside => mixer.set_journal_aside(),
            Action::Discard => {
                mixer.discard_journal();
                mixer.message = Some("Discarded the recovered edits".to_string());
            }
            // The journal stays for the next time.
            Action::Quit => return Next::Quit,
            _ => return Next::Stay,
        }
        Next::Close
    }

    fn overlay(&self, app: &H) -> Overlay {
        Overlay::Question {
            title: "Recover unsaved edits?".to_string(),
            lines: self.lines.clone(),
            answers: answers(
                app.keymap(),
                &[
                    (
                        Action::Recover,
                        if self.recovery.is_stale() {
                            "recover anyway"
                        } else {
                            "recover"
                        },
                    ),
                    (Action::SetAside, "set the journal aside"),
                    (Action::Discard, "discard them"),
                    (Action::Quit, "quit, decide later"),
                ],
            ),
        }
    }
}

/// The lines of the recovery question: what the journal holds against the saved file.
pub fn recovery_lines(recovery: &Recovery, on_disk: &Session) -> Vec<String> {
    let mut lines = vec![format!(
        "earmix stopped without saving last time; its journal ({}) holds the edits below.",
        file_name(&recovery.journal)
    )];
    if let Some(reason) = &recovery.stale {
        lines.push(format!("Careful: {reason}."));
    }
    if recovery.torn_tail {
        lines.push("(The last, half-written line of the journal was left out.)".to_string());
    }
    if recovery.damaged_count > 0 {
        let named: Vec<String> = recovery
            .damaged
            .iter()
            .take(3)
            .map(ToString::to_string)
            .collect();
        let more = recovery.damaged_count - named.len();
        lines.push(format!(
            "{} damaged line{} skipped ({}{}); every other edit is below.",
            recovery.damaged_count,
            if recovery.damaged_count == 1 { "" } else { "s" },
            named.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    let (changes, skipped) = recovery.changes(on_disk);
    if changes.is_empty() {
        lines.push("They make no difference to the saved file.".to_string());
    } else {
        lines.extend(changes.iter().map(|c| format!("  {c}")));
    }
    if !skipped.is_empty() {
        lines.push(format!(
            "Left out, they no longer fit this session: {}",
            skipped
                .iter()
                .take(3)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    lines
}

/// A byte count in a user's words ("12 KB", "3.4 MB").
fn size_text(bytes: u64) -> String {
    if bytes < 10_000 {
        format!("{bytes} bytes")
    } else if bytes < 10_000_000 {
        format!("{} KB", bytes / 1000)
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::gain;
    use crate::app::effect::Effect;
    use crate::app::journal::{self, Journal, JournalError};
    use crate::app::keymap::Keymap;
    use crate::app::mode::testing::{Console, app_with, keymap_with, saved_session, up};
    use crate::app::state::Outcome;
    use crate::units::Decibels;
    use std::path::{Path, PathBuf};

    fn pairs(answers: &[(String, String)]) -> Vec<(&str, &str)> {
        answers
            .iter()
            .map(|(k, a)| (k.as_str(), a.as_str()))
            .collect()
    }

    /// The journals set aside beside the session at `path`, with their contents.
    fn set_aside(path: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let journal = journal::journal_path(path);
        let prefix = format!(
            "{}.set-aside-",
            journal.file_name().unwrap().to_string_lossy()
        );
        let mut found: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&prefix)
            })
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (p, bytes)
            })
            .collect();
        found.sort();
        found
    }

    /// A saved session whose crash journal holds Keys at -7.5 dB and Bass at -1 dB, opened
    /// with `keys` as earmix opens it after a crash: the recovery question first.
    fn after_crash(keys: Keymap) -> (tempfile::TempDir, PathBuf, Console) {
        let (dir, path, session) = saved_session();
        {
            let mut journal = Journal::open(&path).unwrap();
            journal.append(&gain("Keys", -7.5)).unwrap();
            journal.append(&gain("Bass", -1.0)).unwrap();
        }
        let recovery = journal::recover(&path).unwrap();
        assert!(recovery.is_some());
        let journal = Journal::open(&path).unwrap();
        let console = Console::new(app_with(session, keys, Some(journal), recovery));
        (dir, path, console)
    }

    /// While the journal is read only quitting is possible: the box shows how far the reading
    /// is, other keys do nothing, `q` typed before the box showed does not quit, `q` after it
    /// does and leaves the journal as it is; the box goes when the reading ends.
    #[test]
    fn reading_the_journal_only_quits() {
        let (_dir, path, session) = saved_session();
        std::fs::write(journal::journal_path(&path), "left by a crash\n").unwrap();
        let mut console = Console::new(app_with(session, Keymap::default(), None, None));
        let progress = Arc::new(AtomicU64::new(50));
        console.app.journal_reading(Arc::clone(&progress), 200);
        assert!(console.app.reading_journal());
        assert_eq!(
            console.key_before_drawn("q"),
            Outcome::Continue,
            "typed ahead"
        );
        let (title, lines, answers) = console.question();
        assert_eq!(title, "Reading the crash journal");
        assert!(lines[0].contains("(25% of 200 bytes)"), "{lines:?}");
        assert_eq!(pairs(&answers), [("q", "quit")]);
        for key in ["Esc", "Enter", "r", "a", "d", "k", "ctrl+s"] {
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert!(console.app.reading_journal(), "{key}");
        }
        assert_eq!(console.gain(1), 0.0);
        assert!(console.take_effects().is_empty());
        progress.store(200, Ordering::Relaxed);
        assert!(console.question().1[0].contains("(100% of 200 bytes)"));
        assert_eq!(console.key("q"), Outcome::Quit);
        assert_eq!(
            std::fs::read_to_string(journal::journal_path(&path)).unwrap(),
            "left by a crash\n"
        );
    }

    /// When the reading ends with nothing to recover the reading box goes, and the mixer's
    /// keys work again.
    #[test]
    fn the_reading_box_goes_when_the_reading_ends() {
        let (_dir, _path, session) = saved_session();
        let mut console = Console::new(app_with(session, Keymap::default(), None, None));
        console.app.journal_reading(Arc::new(AtomicU64::new(0)), 10);
        console.key("k");
        assert_eq!(console.gain(0), -3.0, "no fader moves while reading");
        console.app.journal_read(Ok(None));
        assert!(!console.app.reading_journal());
        assert!(console.overlay().is_none());
        console.key("k");
        assert_eq!(console.gain(0), -2.5);
    }

    /// The unreadable-journal box says why; `a` renames the journal out of the way (its bytes
    /// kept) and opens the session as saved, and edits are journalled afresh after it.
    #[test]
    fn an_unreadable_journal_set_aside_is_renamed_and_kept() {
        let (_dir, path, session) = saved_session();
        let journal_file = journal::journal_path(&path);
        std::fs::write(&journal_file, b"\xff\xfe kept bytes\n").unwrap();
        let journal = Journal::open(&path).unwrap();
        let mut console = Console::new(app_with(session, Keymap::default(), Some(journal), None));
        // Root reads every file, so the error a reader without permission gets is handed in.
        console.app.journal_read(Err(JournalError::Io {
            path: journal_file.clone(),
            action: "cannot read the crash journal",
            error: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        }));
        let (title, lines, answers) = console.question();
        assert_eq!(title, "The crash journal cannot be read");
        assert!(
            lines[0].contains("s.toml.earmix-journal: cannot read the crash journal"),
            "{lines:?}"
        );
        assert_eq!(
            pairs(&answers),
            [("a", "set it aside and open"), ("q", "quit")]
        );
        for key in ["Esc", "Enter", "r", "d", "ctrl+s"] {
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert_eq!(console.question().0, title, "{key}");
        }
        assert_eq!(console.key("a"), Outcome::Continue);
        assert!(console.overlay().is_none());
        assert!(!journal_file.exists());
        let aside = set_aside(&path);
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert_eq!(aside[0].1, b"\xff\xfe kept bytes\n");
        assert!(
            console
                .message()
                .starts_with("Set the crash journal aside as s.toml.earmix-journal.set-aside-"),
            "{}",
            console.message()
        );
        assert_eq!(
            console.app.mixer().session(),
            &crate::session::load(&path).unwrap()
        );
        console.act(up());
        console.app.flush_journal();
        assert_eq!(journal::recover(&path).unwrap().unwrap().edits.len(), 1);
    }

    /// `q` at the unreadable-journal box quits and leaves the journal where it is.
    #[test]
    fn an_unreadable_journal_quits_on_q_and_stays() {
        let (_dir, path, session) = saved_session();
        let journal_file = journal::journal_path(&path);
        std::fs::write(&journal_file, "kept\n").unwrap();
        let mut console = Console::new(app_with(session, Keymap::default(), None, None));
        console.app.journal_read(Err(JournalError::Io {
            path: journal_file.clone(),
            action: "cannot read the crash journal",
            error: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        }));
        assert_eq!(console.key("q"), Outcome::Quit);
        assert_eq!(std::fs::read_to_string(&journal_file).unwrap(), "kept\n");
        assert!(set_aside(&path).is_empty());
    }

    /// The recovery question lists the journal's edits against the saved file and offers its
    /// four answers; a key typed before it showed, and keys and actions that are not answers,
    /// do nothing.
    #[test]
    fn the_recovery_question_lists_the_edits_and_waits_for_an_answer() {
        let (_dir, _path, mut console) = after_crash(Keymap::default());
        let (title, lines, answers) = console.question();
        assert_eq!(title, "Recover unsaved edits?");
        assert_eq!(
            lines,
            [
                "earmix stopped without saving last time; its journal \
                 (s.toml.earmix-journal) holds the edits below.",
                "  Bass fader -3.0 dB -> -1.0 dB",
                "  Keys fader +0.0 dB -> -7.5 dB"
            ]
        );
        assert_eq!(
            pairs(&answers),
            [
                ("r", "recover"),
                ("a", "set the journal aside"),
                ("d", "discard them"),
                ("q", "quit, decide later")
            ]
        );
        assert_eq!(console.key_before_drawn("r"), Outcome::Continue);
        for key in ["k", "Esc", "Enter", "y", "ctrl+s"] {
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert_eq!(console.question().0, title, "{key}");
        }
        for action in [Action::Confirm, Action::Reload, Action::Mute] {
            assert_eq!(console.act(action), Outcome::Continue, "{action:?}");
            assert_eq!(console.question().0, title, "{action:?}");
        }
        assert_eq!((console.gain(0), console.gain(1)), (-3.0, 0.0));
        assert!(console.take_effects().is_empty());
    }

    /// `r` applies the journal's edits as one undo step, sends them to the engine and starts
    /// the journal again with them (a second crash would recover them again).
    #[test]
    fn r_recovers_the_edits_as_one_undo_step() {
        let (_dir, path, mut console) = after_crash(Keymap::default());
        assert_eq!(console.key("r"), Outcome::Continue);
        assert!(console.overlay().is_none());
        assert_eq!((console.gain(0), console.gain(1)), (-1.0, -7.5));
        let mut effects = console.take_effects();
        effects.sort_by_key(|e| format!("{e:?}"));
        assert_eq!(
            effects,
            [
                Effect::Gain(0, Decibels(-1.0)),
                Effect::Gain(1, Decibels(-7.5))
            ]
        );
        assert_eq!(console.app.unsaved_count(), 2);
        assert!(
            console.message().starts_with("Recovered 2 unsaved edits"),
            "{}",
            console.message()
        );
        let again = journal::recover(&path).unwrap().expect("journalled again");
        assert_eq!(again.edits.len(), 2);
        console.act(Action::Undo);
        assert_eq!((console.gain(0), console.gain(1)), (-3.0, 0.0));
    }

    /// `a` sets the journal aside (renamed, its bytes kept) and opens the session as saved.
    #[test]
    fn a_sets_the_journal_aside() {
        let (_dir, path, mut console) = after_crash(Keymap::default());
        let bytes = std::fs::read(journal::journal_path(&path)).unwrap();
        assert_eq!(console.key("a"), Outcome::Continue);
        assert!(console.overlay().is_none());
        assert!(!journal::journal_path(&path).exists());
        let aside = set_aside(&path);
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert_eq!(aside[0].1, bytes);
        assert_eq!((console.gain(0), console.gain(1)), (-3.0, 0.0));
        assert!(!console.app.unsaved());
        assert!(console.take_effects().is_empty());
    }

    /// `d` discards the edits: the journal is removed and the session is as saved.
    #[test]
    fn d_discards_the_edits() {
        let (_dir, path, mut console) = after_crash(Keymap::default());
        assert_eq!(console.key("d"), Outcome::Continue);
        assert!(console.overlay().is_none());
        assert!(!journal::journal_path(&path).exists());
        assert!(set_aside(&path).is_empty());
        assert_eq!((console.gain(0), console.gain(1)), (-3.0, 0.0));
        assert_eq!(console.message(), "Discarded the recovered edits");
        assert!(console.take_effects().is_empty());
    }

    /// `q` quits and keeps the journal for the next time, unchanged.
    #[test]
    fn q_quits_and_keeps_the_journal() {
        let (_dir, path, mut console) = after_crash(Keymap::default());
        let bytes = std::fs::read(journal::journal_path(&path)).unwrap();
        assert_eq!(console.key("q"), Outcome::Quit);
        assert_eq!(std::fs::read(journal::journal_path(&path)).unwrap(), bytes);
        assert_eq!(journal::recover(&path).unwrap().unwrap().edits.len(), 2);
    }

    /// With `recover = ["R"]` in the user's keymap the question shows R, R recovers, and `r`
    /// does nothing there.
    #[test]
    fn a_rebound_recover_key_is_shown_and_answers() {
        let (_dir, _path, mut console) = after_crash(keymap_with(r#"recover = ["R"]"#));
        let (_, _, answers) = console.question();
        assert_eq!(answers[0], ("R".to_string(), "recover".to_string()));
        assert_eq!(console.key("r"), Outcome::Continue);
        assert_eq!(console.question().0, "Recover unsaved edits?");
        assert_eq!(console.gain(1), 0.0);
        console.key("R");
        assert!(console.overlay().is_none());
        assert_eq!(console.gain(1), -7.5);
    }

    /// A journal written against another version of the file says so, and its answer is
    /// "recover anyway".
    #[test]
    fn a_stale_journal_is_recovered_only_anyway() {
        let (_dir, path, session) = saved_session();
        {
            let mut journal = Journal::open(&path).unwrap();
            journal.append(&gain("Keys", -7.5)).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}# saved elsewhere since\n")).unwrap();
        let recovery = journal::recover(&path).unwrap();
        let journal = Journal::open(&path).unwrap();
        let mut console = Console::new(app_with(
            session,
            Keymap::default(),
            Some(journal),
            recovery,
        ));
        let (_, lines, answers) = console.question();
        assert!(
            lines.iter().any(|l| l.starts_with("Careful: ")),
            "{lines:?}"
        );
        assert_eq!(answers[0].1, "recover anyway");
        console.key("r");
        assert_eq!(console.gain(1), -7.5);
    }
}
