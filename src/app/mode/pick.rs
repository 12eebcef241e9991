//! Lists to choose from: the cursor every list moves the same way, and the list of scenes to
//! copy into the current section.

use std::time::Instant;

use super::{Host, Mode, Next};
use crate::app::action::Action;
use crate::app::context::Context;
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
    pub fn open<H: Host>(app: &mut H) -> Option<Self> {
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

impl<H: Host> Mode<H> for CopyScene {
    fn context(&self) -> Context {
        Context::List
    }

    fn update(&mut self, action: Action, app: &mut H, _now: Instant) -> Next {
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

    fn overlay(&self, app: &H) -> Overlay {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::effect::Effect;
    use crate::app::mode::testing::{Console, app_with, console_of, keymap_with, sectioned, up};
    use crate::app::state::Outcome;
    use crate::session::Section;
    use crate::units::Decibels;
    use std::path::Path;

    /// Intro, Verse, Chorus (Keys -7 dB, Bass muted) and Outro, the play head in the Outro.
    fn song() -> crate::session::Session {
        let mut session = sectioned(
            Path::new("s.toml"),
            &["Intro", "Verse", "Chorus", "Outro"],
            &[0.0, 2.0, 4.0, 6.0],
        );
        session.sections[2].gain_db = vec![("Keys".to_string(), Decibels(-7.0))];
        session.sections[2].mute = vec!["Bass".to_string()];
        session
    }

    /// `c` pressed in the Outro: the list of the other sections is open.
    fn picking(console: &mut Console) {
        console.at(7.0);
        assert_eq!(console.key("c"), Outcome::Continue);
    }

    fn pick(console: &Console) -> (String, Vec<String>, usize, String) {
        match console.overlay() {
            Some(Overlay::Pick {
                title,
                items,
                selected,
                hint,
            }) => (title, items, selected, hint),
            other => panic!("expected a list, got {other:?}"),
        }
    }

    fn selected(console: &Console) -> usize {
        pick(console).2
    }

    fn sections(console: &Console) -> Vec<Section> {
        console.app.mixer().session().sections.clone()
    }

    /// The cursor moves one up or down, stopping at the ends, and jumps to the first or last;
    /// other actions are not moves.
    #[test]
    fn moved_stops_at_the_ends() {
        assert_eq!(moved(0, 3, Action::ListUp), Some(0));
        assert_eq!(moved(1, 3, Action::ListUp), Some(0));
        assert_eq!(moved(1, 3, Action::ListDown), Some(2));
        assert_eq!(moved(2, 3, Action::ListDown), Some(2));
        assert_eq!(moved(1, 3, Action::ListFirst), Some(0));
        assert_eq!(moved(0, 3, Action::ListLast), Some(2));
        assert_eq!(moved(0, 0, Action::ListDown), Some(0));
        assert_eq!(moved(0, 3, Action::Confirm), None);
    }

    /// The list names every other section (those without a scene say they play the base mix)
    /// with the keys in its hint; Up/Down (and k/j), Home and End move the highlight and
    /// nothing else.
    #[test]
    fn the_list_moves_with_up_down_home_and_end() {
        let mut console = console_of(song());
        picking(&mut console);
        let (title, items, at, hint) = pick(&console);
        assert_eq!(title, "Copy which section's scene into Outro?");
        assert_eq!(
            items,
            [
                "Intro (no scene: the base mix)",
                "Verse (no scene: the base mix)",
                "Chorus"
            ]
        );
        assert_eq!(at, 0);
        assert_eq!(hint, "Up/Down choose, Enter copies, Esc cancels");
        let before = console.app.mixer().session().clone();
        for (key, expected) in [
            ("Down", 1),
            ("Down", 2),
            ("Down", 2),
            ("Up", 1),
            ("Up", 0),
            ("Up", 0),
            ("End", 2),
            ("Home", 0),
            ("j", 1),
            ("k", 0),
        ] {
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert_eq!(selected(&console), expected, "after {key}");
        }
        assert_eq!(console.app.mixer().session(), &before);
        assert!(console.take_effects().is_empty());
    }

    /// Enter copies the highlighted section's scene (faders and mutes) into the current one,
    /// sends the scenes to the engine once, and one undo takes all of it back.
    #[test]
    fn enter_copies_the_scene_as_one_undo_step() {
        let mut console = console_of(song());
        picking(&mut console);
        console.key("End");
        assert_eq!(console.key("Enter"), Outcome::Continue);
        assert!(console.overlay().is_none());
        let outro = &sections(&console)[3];
        assert_eq!(outro.scene_gain("Keys"), Some(Decibels(-7.0)));
        assert!(outro.is_muted("Bass"));
        assert_eq!(console.message(), "Copied the scene of Chorus into Outro");
        let effects = console.take_effects();
        assert_eq!(effects.len(), 1, "{effects:?}");
        match &effects[0] {
            Effect::Scenes(session) => assert_eq!(session.sections, sections(&console)),
            other => panic!("expected the scenes, got {other:?}"),
        }
        console.act(Action::Undo);
        assert_eq!(
            sections(&console),
            song().sections,
            "one undo takes it all back"
        );
        console.act(Action::Redo);
        assert!(sections(&console)[3].is_muted("Bass"));
        assert_eq!(
            sections(&console)[3].scene_gain("Keys"),
            Some(Decibels(-7.0))
        );
    }

    /// Esc and `q` close the list and copy nothing (`q` does not quit here); the status line
    /// says so.
    #[test]
    fn esc_and_q_copy_nothing() {
        for key in ["Esc", "q"] {
            let mut console = console_of(song());
            picking(&mut console);
            console.key("End");
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert!(console.overlay().is_none(), "{key}");
            assert_eq!(console.message(), "Nothing copied", "{key}");
            assert_eq!(sections(&console), song().sections, "{key}");
            assert!(console.take_effects().is_empty(), "{key}");
        }
    }

    /// Keys that are not the list's, and other actions handed to it, do nothing: the list
    /// stays and the mix is untouched.
    #[test]
    fn other_keys_do_nothing() {
        let mut console = console_of(song());
        picking(&mut console);
        for key in ["m", "a", "x", "Space"] {
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert_eq!(selected(&console), 0, "{key}");
        }
        for action in [Action::Mute, Action::Quit, Action::Yes] {
            assert_eq!(console.act(action), Outcome::Continue, "{action:?}");
            assert_eq!(selected(&console), 0, "{action:?}");
        }
        assert_eq!(console.app.mixer().session(), &song());
        assert!(console.take_effects().is_empty());
    }

    /// ctrl+c quits from the list; with unsaved edits the quit question asks first.
    #[test]
    fn ctrl_c_quits_from_the_list() {
        let mut clean = console_of(song());
        picking(&mut clean);
        assert_eq!(clean.key("ctrl+c"), Outcome::Quit);

        let mut edited = console_of(song());
        edited.act(up());
        picking(&mut edited);
        assert_eq!(edited.key("ctrl+c"), Outcome::Continue);
        assert_eq!(edited.question().0, "Quit with unsaved edits?");
    }

    /// No list opens before the first section or when there is no other section; the status
    /// line says why.
    #[test]
    fn no_list_without_a_section_to_copy_from() {
        let mut session = song();
        session.sections[0].start = crate::units::Seconds(1.0);
        let mut console = console_of(session);
        console.at(0.5);
        console.key("c");
        assert!(console.overlay().is_none());
        assert_eq!(
            console.message(),
            "The play head is before the first section"
        );

        let mut console = console_of(sectioned(Path::new("s.toml"), &["Only"], &[0.0]));
        console.key("c");
        assert!(console.overlay().is_none());
        assert_eq!(console.message(), "There is no other section to copy from");
    }

    /// Rebound list keys are shown in the hint and move the highlight.
    #[test]
    fn rebound_list_keys_show_in_the_hint_and_move() {
        let keys =
            keymap_with("list_up = [\"ctrl+p\"]\nlist_down = [\"ctrl+n\"]\ncancel = [\"ctrl+g\"]");
        let mut console = Console::new(app_with(song(), keys, None, None));
        picking(&mut console);
        assert_eq!(
            pick(&console).3,
            "ctrl+p/ctrl+n choose, Enter copies, ctrl+g cancels"
        );
        console.key("ctrl+n");
        assert_eq!(selected(&console), 1);
        console.key("ctrl+p");
        assert_eq!(selected(&console), 0);
        console.key("ctrl+g");
        assert!(console.overlay().is_none());
    }
}
