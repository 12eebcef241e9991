//! A line of text to type: a new section's name, or the file name to save the mix as.

use std::time::Instant;

use super::{Mode, Next};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::state::App;
use crate::ui::view::Overlay;
use crate::units::Seconds;

/// A section name is at most this many characters.
const NAME_MAX: usize = 40;

/// What the typed text is for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Purpose {
    /// The name of a section to add at this time.
    NewSection(Seconds),
    /// The file name to save the mix as, beside the session.
    SaveAs,
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

impl Mode for Prompt {
    fn context(&self) -> Context {
        Context::Prompt
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
        let mixer = app.mixer_mut();
        match action {
            Action::Confirm => {
                let taken = match self.purpose {
                    Purpose::NewSection(at) => mixer.add_section(at, self.text.trim()),
                    Purpose::SaveAs => mixer.save_as(&self.text),
                };
                match taken {
                    Ok(()) => Next::Close,
                    Err(why) => {
                        self.error = Some(why);
                        Next::Stay
                    }
                }
            }
            Action::Cancel => {
                mixer.message = Some(
                    match self.purpose {
                        Purpose::NewSection(_) => "No section added",
                        Purpose::SaveAs => "Not saved",
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

    fn typed(&mut self, c: char, _app: &mut App) -> Next {
        let full =
            matches!(self.purpose, Purpose::NewSection(_)) && self.text.chars().count() >= NAME_MAX;
        if !full {
            self.text.push(c);
            self.error = None;
        }
        Next::Stay
    }

    fn overlay(&self, _app: &App) -> Overlay {
        let (title, label) = match self.purpose {
            Purpose::NewSection(at) => (format!("New section at {at}"), "Name:"),
            Purpose::SaveAs => (
                "Save this mix as a new file, beside the session".to_string(),
                "File name:",
            ),
        };
        Overlay::Prompt {
            title,
            label: label.to_string(),
            text: self.text.clone(),
            error: self.error.clone(),
        }
    }
}
