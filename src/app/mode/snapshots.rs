//! The list of mix snapshots: recall one, take, rename or delete (see
//! [`crate::app::snapshots`]).

use std::time::Instant;

use super::compare::Compare;
use super::pick::moved;
use super::prompt::{Prompt, Purpose};
use super::{Host, Mode, Next};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::ui::view::Overlay;

/// The snapshot list, with the highlighted snapshot.
#[derive(Debug, Clone)]
pub struct Snapshots {
    selected: usize,
}

impl Snapshots {
    /// The list, or `None` (with a message saying how to take one) when there is none.
    pub fn open<H: Host>(app: &mut H) -> Option<Self> {
        let key = app.keymap().key_label(Action::TakeSnapshot);
        let mixer = app.mixer_mut();
        if mixer.session.snapshots.is_empty() {
            mixer.message = Some(format!("No snapshots yet: {key} takes one"));
            return None;
        }
        Some(Self {
            selected: mixer.session.snapshots.len() - 1,
        })
    }
}

impl<H: Host> Mode<H> for Snapshots {
    fn context(&self) -> Context {
        Context::Snapshots
    }

    fn update(&mut self, action: Action, app: &mut H, _now: Instant) -> Next {
        let count = app.mixer().session.snapshots.len();
        if let Some(selected) = moved(self.selected, count, action) {
            self.selected = selected;
            return Next::Stay;
        }
        match action {
            Action::Confirm => {
                app.mixer_mut().recall_snapshot(self.selected);
                Next::Close
            }
            Action::CompareVersions => match Compare::open(app, self.selected) {
                Some(compare) => {
                    app.open_box(Box::new(compare));
                    Next::Close
                }
                None => Next::Stay,
            },
            Action::TakeSnapshot => {
                let name = app.mixer().default_snapshot_name();
                app.open_box(Box::new(Prompt::new(Purpose::Snapshot(None), name)));
                Next::Close
            }
            Action::RenameSnapshot => {
                let name = app.mixer().session.snapshots[self.selected].name.clone();
                let purpose = Purpose::Snapshot(Some(self.selected));
                app.open_box(Box::new(Prompt::new(purpose, name)));
                Next::Close
            }
            Action::DeleteSnapshot => {
                let mixer = app.mixer_mut();
                mixer.delete_snapshot(self.selected);
                let left = mixer.session.snapshots.len();
                if left == 0 {
                    return Next::Close;
                }
                self.selected = self.selected.min(left - 1);
                Next::Stay
            }
            Action::Cancel | Action::Back => Next::Close,
            Action::QuitNow => app.quit_from_box(),
            _ => Next::Stay,
        }
    }

    fn overlay(&self, app: &H) -> Overlay {
        let keys = app.keymap();
        let snapshots = &app.mixer().session.snapshots;
        Overlay::Pick {
            title: format!("Mix snapshots ({})", snapshots.len()),
            items: snapshots.iter().map(|s| s.name.clone()).collect(),
            selected: self.selected,
            hint: format!(
                "{} recall, {} compare, {} rename, {} delete, {} close",
                keys.key_label(Action::Confirm),
                keys.key_label(Action::CompareVersions),
                keys.key_label(Action::RenameSnapshot),
                keys.key_label(Action::DeleteSnapshot),
                keys.key_label(Action::Cancel)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::app::mode::testing::{Console, console_of, sectioned, up};
    use crate::app::state::Outcome;

    /// Verse at 0 s and Chorus at 4 s (Bass at -3 dB, Keys at 0 dB), the play head at 5 s.
    fn console() -> Console {
        let mut console = console_of(sectioned(
            Path::new("s.toml"),
            &["Verse", "Chorus"],
            &[0.0, 4.0],
        ));
        console.at(5.0);
        console
    }

    /// The prompt on top: its title, the text typed and its error.
    fn prompt(console: &Console) -> (String, String, Option<String>) {
        match console.overlay() {
            Some(Overlay::Prompt {
                title, text, error, ..
            }) => (title, text, error),
            other => panic!("expected a prompt, got {other:?}"),
        }
    }

    fn names(console: &Console) -> Vec<String> {
        let session = console.app.mixer().session();
        session.snapshots.iter().map(|s| s.name.clone()).collect()
    }

    /// Takes a snapshot with the name the prompt offers.
    fn take(console: &mut Console) {
        assert_eq!(console.key("P"), Outcome::Continue);
        assert_eq!(console.key("Enter"), Outcome::Continue);
    }

    /// P offers a name from the section and the time and takes the snapshot on Enter; after
    /// the mix changes, recalling it from the list (p, Enter) brings back the fader and the
    /// mute as one undo step and sends them to the engine; u undoes the recall, then the take.
    #[test]
    fn take_recall_and_undo() {
        let mut console = console();
        console.key("P");
        assert_eq!(
            prompt(&console),
            (
                "Take a snapshot of the mix".into(),
                "Chorus, 0:05".into(),
                None
            )
        );
        assert!(!console.app.unsaved());
        console.key("Enter");
        assert_eq!(names(&console), ["Chorus, 0:05"]);
        assert_eq!(
            console.message(),
            "Took snapshot Chorus, 0:05 (u undoes, p lists them)"
        );
        // A new snapshot is unsaved until saved: quitting asks, and the status line says so.
        assert!(console.app.unsaved(), "the snapshot counts as unsaved");
        console.act(up());
        console.key("m");
        assert_eq!(console.gain(0), 0.0);
        assert!(console.app.mixer().session().channels[0].mute);
        console.take_effects();

        console.key("p");
        let Some(Overlay::Pick { title, items, .. }) = console.overlay() else {
            panic!("expected the list, got {:?}", console.overlay());
        };
        assert_eq!(title, "Mix snapshots (1)");
        assert_eq!(items, ["Chorus, 0:05"]);
        console.key("Enter");
        assert!(console.overlay().is_none());
        assert_eq!(console.gain(0), -3.0);
        assert!(!console.app.mixer().session().channels[0].mute);
        assert_eq!(
            console.message(),
            "Recalled snapshot Chorus, 0:05: 2 changes (u undoes)"
        );
        assert!(!console.take_effects().is_empty(), "the engine hears it");

        console.key("u");
        assert_eq!(console.gain(0), 0.0);
        assert!(console.app.mixer().session().channels[0].mute);
        assert_eq!(names(&console), ["Chorus, 0:05"]);
        console.key("u");
        console.key("u");
        console.key("u");
        assert!(names(&console).is_empty(), "the take is undone last");
    }

    /// A second snapshot at the same place gets a name of its own; r renames the highlighted
    /// one (a name another has is refused in the prompt); x deletes it and u brings it back.
    #[test]
    fn rename_and_delete() {
        let mut console = console();
        take(&mut console);
        take(&mut console);
        assert_eq!(names(&console), ["Chorus, 0:05", "Chorus, 0:05 (2)"]);

        console.key("p");
        console.key("r");
        assert_eq!(
            prompt(&console).0,
            "Rename snapshot Chorus, 0:05 (2)".to_string()
        );
        for _ in 0..4 {
            console.key("Backspace");
        }
        console.key("Enter");
        assert_eq!(
            prompt(&console).2.as_deref(),
            Some("there is already a snapshot named Chorus, 0:05")
        );
        console.type_text(" loud");
        console.key("Enter");
        assert_eq!(names(&console), ["Chorus, 0:05", "Chorus, 0:05 loud"]);

        console.key("p");
        console.key("Up");
        console.key("x");
        assert_eq!(names(&console), ["Chorus, 0:05 loud"]);
        assert_eq!(
            console.message(),
            "Deleted snapshot Chorus, 0:05 (u undoes)"
        );
        console.key("Esc");
        console.key("u");
        assert_eq!(names(&console), ["Chorus, 0:05", "Chorus, 0:05 loud"]);
    }

    /// Without snapshots the list does not open and the status line says how to take one;
    /// recalling a snapshot the mix already is changes nothing and says so.
    #[test]
    fn empty_list_and_a_recall_that_changes_nothing() {
        let mut console = console();
        console.key("p");
        assert!(console.overlay().is_none());
        assert_eq!(console.message(), "No snapshots yet: P takes one");
        take(&mut console);
        console.key("p");
        console.key("Enter");
        assert_eq!(
            console.message(),
            "The mix is already snapshot Chorus, 0:05"
        );
    }
}
