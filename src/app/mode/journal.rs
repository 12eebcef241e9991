//! The crash journal's boxes: reading it (with progress), a journal that cannot be read, and
//! "Recover unsaved edits?".

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::{Mode, Next, answers};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::journal::Recovery;
use crate::app::mixer::file_name;
use crate::app::state::App;
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

impl Mode for ReadingJournal {
    fn context(&self) -> Context {
        Context::ReadingJournal
    }

    fn unbidden(&self) -> bool {
        true
    }

    fn update(&mut self, action: Action, _app: &mut App, _now: Instant) -> Next {
        // The journal stays as it is.
        match action {
            Action::Quit => Next::Quit,
            _ => Next::Stay,
        }
    }

    fn overlay(&self, app: &App) -> Overlay {
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
            answers: answers(app, &[(Action::Quit, "quit")]),
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

impl Mode for JournalUnreadable {
    fn context(&self) -> Context {
        Context::JournalUnreadable
    }

    fn unbidden(&self) -> bool {
        true
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
        match action {
            Action::SetAside => {
                app.mixer_mut().set_journal_aside();
                Next::Close
            }
            Action::Quit => Next::Quit,
            _ => Next::Stay,
        }
    }

    fn overlay(&self, app: &App) -> Overlay {
        Overlay::Question {
            title: "The crash journal cannot be read".to_string(),
            lines: vec![
                self.error.clone(),
                "Set it aside to open the session as saved; the journal is kept under another \
                 name, nothing in it is lost."
                    .to_string(),
            ],
            answers: answers(
                app,
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

impl Mode for Recover {
    fn context(&self) -> Context {
        Context::Recover
    }

    fn unbidden(&self) -> bool {
        true
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
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

    fn overlay(&self, app: &App) -> Overlay {
        Overlay::Question {
            title: "Recover unsaved edits?".to_string(),
            lines: self.lines.clone(),
            answers: answers(
                app,
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
