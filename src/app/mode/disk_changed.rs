//! The session file changed on disk, by another program: reload it (the edits on top),
//! overwrite it with this mix, save this mix as a new file, or decide later.

use std::time::Instant;

use super::prompt::{Prompt, Purpose};
use super::{Mode, Next, answers};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::edit::{Change, differences};
use crate::app::mixer::{Version, file_name};
use crate::app::state::App;
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
    pub fn new(app: &App, version: Version, at_save: bool) -> Self {
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

impl Mode for DiskChanged {
    fn context(&self) -> Context {
        Context::DiskChanged
    }

    fn unbidden(&self) -> bool {
        !self.at_save
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
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
                app.open(Prompt::new(Purpose::SaveAs, name));
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

    fn overlay(&self, app: &App) -> Overlay {
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
            answers: answers(app, &list),
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
            && o.file != c.file
        {
            lines.push(format!("{} plays {}", c.name, c.file.display()));
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
