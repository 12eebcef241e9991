//! Addressed edits (UI thread): the strip edits the keys make on the selected strip, made on a
//! strip a control surface names, without moving the selection.
//!
//! A surface's fader is a fader: it moves the channel fader, or the scene's level for it in
//! scene mode, as the fader keys do, but never the trim (trim mode is a keyboard mode for gain
//! staging; a fader box with trims under its faders would make a fader jump by 24 dB). The
//! master fader is addressed as the master.

use super::{FADER_FLOOR_DB, FADER_MAX_DB, Mixer, round2};
use crate::app::edit::MixEdit;
use crate::ui::view::Focus;
use crate::units::{Decibels, Seconds};

/// A fader a surface moves, resolved to the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fader {
    /// A strip, counted from 0 as the console counts them: the channels in session order,
    /// then the groups.
    Strip(usize),
    /// The master fader.
    Master,
}

/// What [`Mixer::address`] put aside, for [`Mixer::restore`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Addressed {
    selected: usize,
    focus: Focus,
    trim_mode: bool,
}

impl Mixer {
    /// Points the strip edits at `fader` (selection, focus, and trim mode off), so the keys'
    /// own code and rules edit it; give what it returns to [`Mixer::restore`] after.
    pub(crate) fn address(&mut self, fader: Fader) -> Addressed {
        let was = Addressed {
            selected: self.selected,
            focus: self.focus,
            trim_mode: self.trim_mode,
        };
        self.trim_mode = false;
        match fader {
            Fader::Strip(i) => {
                self.selected = i;
                self.focus = Focus::Strip;
            }
            Fader::Master => self.focus = Focus::Master,
        }
        was
    }

    /// Puts back the selection, focus and trim mode [`Mixer::address`] put aside.
    pub(crate) fn restore(&mut self, was: Addressed) {
        self.selected = was.selected;
        self.focus = was.focus;
        self.trim_mode = was.trim_mode;
    }

    /// The level of `fader` a surface moves: the channel fader, or in scene mode the level
    /// the scene of the section at `at` gives it (its base fader when the scene does not set
    /// it); the master fader.
    pub fn fader_value(&self, fader: Fader, at: Seconds) -> Decibels {
        match fader {
            Fader::Master => self.session.master_db,
            Fader::Strip(i) => {
                let (Some(name), Some(controls)) = (self.strip_name(i), self.strip_controls(i))
                else {
                    return Decibels::OFF;
                };
                let level = self
                    .scene_mode
                    .then(|| self.current_section(at))
                    .flatten()
                    .and_then(|k| self.session.sections[k].scene_gain(name))
                    .unwrap_or(controls.gain);
                // While its ride records, the fader follows the level heard.
                let offset = self.rides.take_offset(name);
                if offset.abs() < 1e-12 {
                    level
                } else {
                    crate::session::automation::add_db(level, Decibels(offset))
                }
            }
        }
    }

    /// The edit that sets `fader` to `db` (as [`Mixer::fader_value`] reads it), in the section
    /// under the play head in scene mode.
    pub(crate) fn fader_edit(&mut self, fader: Fader, db: Decibels) -> MixEdit {
        let was = self.address(fader);
        let edit = self.focused_edit(db);
        self.restore(was);
        edit
    }
}

/// A level from outside (a surface, in dB) as a fader takes it: off below
/// [`FADER_FLOOR_DB`], at most [`FADER_MAX_DB`], to 0.01 dB as the session stores it. `None`
/// for a value that is not a number.
pub fn fader_level(db: Option<f64>) -> Option<Decibels> {
    match db {
        None => Some(Decibels::OFF),
        Some(d) if d.is_nan() => None,
        Some(d) if d < FADER_FLOOR_DB - 1e-9 => Some(Decibels::OFF),
        Some(d) => Some(Decibels(round2(d.min(FADER_MAX_DB)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::{test_blind, test_session, test_steps};
    use crate::config::BlindOnExit;
    use std::path::Path;

    /// Levels from outside are clamped to the fader's range and rounded as the session stores
    /// them; below the floor is off; not-a-number is refused.
    #[test]
    fn levels_from_outside_are_clamped_and_rounded() {
        assert_eq!(fader_level(Some(-2.3456)), Some(Decibels(-2.35)));
        assert_eq!(fader_level(Some(40.0)), Some(Decibels(FADER_MAX_DB)));
        assert_eq!(fader_level(Some(-60.0)), Some(Decibels(-60.0)));
        assert_eq!(fader_level(Some(-61.0)), Some(Decibels::OFF));
        assert_eq!(fader_level(None), Some(Decibels::OFF));
        assert_eq!(fader_level(Some(f64::NAN)), None);
    }

    /// Addressing a strip edits that strip's fader (never its trim, even in trim mode) and
    /// leaves the selection, focus and trim mode as they were.
    #[test]
    fn an_addressed_edit_leaves_the_selection_alone() {
        let session = test_session(Path::new("s.toml"));
        let mut mixer = Mixer::new(session, test_steps(), test_blind(BlindOnExit::Keep), None);
        mixer.trim_mode = true;
        mixer.focus = Focus::Master;
        let edit = mixer.fader_edit(Fader::Strip(1), Decibels(-3.0));
        let name = mixer.session.channels[1].name.clone();
        assert_eq!(
            edit,
            MixEdit::Gain {
                channel: name,
                db: Decibels(-3.0)
            }
        );
        assert!(mixer.trim_mode);
        assert_eq!(mixer.focus, Focus::Master);
        assert_eq!(mixer.selected, 0);
        assert_eq!(
            mixer.fader_edit(Fader::Master, Decibels(1.0)),
            MixEdit::Master { db: Decibels(1.0) }
        );
    }
}
