//! The arc view: every channel's level in every section, closed by any key.

use std::time::Instant;

use super::{Mode, Next};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::mixer::Mixer;
use crate::app::state::App;
use crate::ui::view::{ArcChannel, ArcView, Overlay};

/// The arc view over the mixer.
#[derive(Debug, Clone, Default)]
pub struct Arc;

impl Mode for Arc {
    fn context(&self) -> Context {
        Context::Arc
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
        match action {
            Action::QuitNow => app.quit_from_box(),
            _ => Next::Close,
        }
    }

    fn other_key(&mut self, _app: &mut App) -> Next {
        Next::Close
    }

    fn overlay(&self, app: &App) -> Overlay {
        Overlay::Arc(arc_view(app.mixer()))
    }
}

/// Every channel's effective level in every section: its scene's fader there, else its base
/// fader; `None` where it is silent (muted in the mix or the scene, or off).
pub fn arc_view(mixer: &Mixer) -> ArcView {
    let sections = &mixer.session.sections;
    ArcView {
        sections: sections.iter().map(|s| s.name.clone()).collect(),
        current: mixer.current_section(mixer.playhead),
        channels: mixer
            .session
            .channels
            .iter()
            .map(|c| ArcChannel {
                name: c.name.clone(),
                role: c.role,
                base_db: c.gain_db.0,
                levels_db: sections
                    .iter()
                    .map(|s| {
                        let db = s.scene_gain(&c.name).unwrap_or(c.gain_db);
                        (!c.mute && !s.is_muted(&c.name) && !db.is_off()).then_some(db.0)
                    })
                    .collect(),
            })
            .collect(),
    }
}
