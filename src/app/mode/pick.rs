//! Lists to choose from: the cursor every list moves the same way, and the list of scenes to
//! copy into the current section.

use std::time::Instant;

use super::{Mode, Next};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::state::App;
use crate::ui::view::Overlay;

/// Where a list action moves the highlight among `len` items (`None`: not a move).
pub fn moved(selected: usize, len: usize, action: Action) -> Option<usize> {
    let last = len.saturating_sub(1);
    Some(match action {
        Action::ListUp => selected.saturating_sub(1),
        Action::ListDown => (selected + 1).min(last),
        Action::ListFirst => 0,
        Action::ListLast => last,
        _ => return None,
    })
}

/// Which section's scene to copy into section `into`.
#[derive(Debug, Clone)]
pub struct CopyScene {
    into: usize,
    /// Section indices.
    choices: Vec<usize>,
    selected: usize,
}

impl CopyScene {
    /// The list for the section under the play head, or `None` (with a message) when there
    /// is nothing to copy.
    pub fn open(app: &mut App) -> Option<Self> {
        let mixer = app.mixer_mut();
        let into = mixer.section_here()?;
        let choices: Vec<usize> = (0..mixer.session.sections.len())
            .filter(|&k| k != into)
            .collect();
        if choices.is_empty() {
            mixer.message = Some("There is no other section to copy from".to_string());
            return None;
        }
        Some(Self {
            into,
            choices,
            selected: 0,
        })
    }
}

impl Mode for CopyScene {
    fn context(&self) -> Context {
        Context::List
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
        if let Some(selected) = moved(self.selected, self.choices.len(), action) {
            self.selected = selected;
            return Next::Stay;
        }
        let mixer = app.mixer_mut();
        match action {
            Action::Confirm => {
                let (from, into) = (self.choices[self.selected], self.into);
                let mut sections = mixer.session.sections.clone();
                let source = sections[from].clone();
                sections[into].gain_db = source.gain_db;
                sections[into].mute = source.mute;
                let done = format!(
                    "Copied the scene of {} into {}",
                    source.name, sections[into].name
                );
                mixer.edit_sections(sections, done);
                Next::Close
            }
            Action::Cancel | Action::Back => {
                mixer.message = Some("Nothing copied".to_string());
                Next::Close
            }
            Action::QuitNow => app.quit_from_box(),
            _ => Next::Stay,
        }
    }

    fn overlay(&self, app: &App) -> Overlay {
        let sections = &app.mixer().session.sections;
        let keys = app.keymap();
        Overlay::Pick {
            title: format!(
                "Copy which section's scene into {}?",
                sections[self.into].name
            ),
            items: self
                .choices
                .iter()
                .map(|&k| {
                    let section = &sections[k];
                    if section.has_scene() {
                        section.name.clone()
                    } else {
                        format!("{} (no scene: the base mix)", section.name)
                    }
                })
                .collect(),
            selected: self.selected,
            hint: format!(
                "{}/{} choose, {} copies, {} cancels",
                keys.key_label(Action::ListUp),
                keys.key_label(Action::ListDown),
                keys.key_label(Action::Confirm),
                keys.key_label(Action::Cancel)
            ),
        }
    }
}
