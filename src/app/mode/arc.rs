//! The arc view: every channel's level in every section, closed by any key.

use std::time::Instant;

use super::{Host, Mode, Next};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::mixer::Mixer;
use crate::ui::view::{ArcChannel, ArcView, Overlay};

/// The arc view over the mixer.
#[derive(Debug, Clone, Default)]
pub struct Arc;

impl<H: Host> Mode<H> for Arc {
    fn context(&self) -> Context {
        Context::Arc
    }

    fn update(&mut self, action: Action, app: &mut H, _now: Instant) -> Next {
        match action {
            Action::QuitNow => app.quit_from_box(),
            _ => Next::Close,
        }
    }

    fn other_key(&mut self, _app: &mut H) -> Next {
        Next::Close
    }

    fn overlay(&self, app: &H) -> Overlay {
        Overlay::Arc(arc_view(app.mixer()))
    }
}

/// Every channel's effective level in every section: its scene's fader there, else its base
/// fader, plus the mean level its rides add over the section; `None` where it is silent (muted
/// in the mix or the scene, or off). The current section is the one playing now (the view stays
/// open while the song plays on).
pub fn arc_view(mixer: &Mixer) -> ArcView {
    let sections = &mixer.session.sections;
    let length = mixer.session.length().0;
    let end = |k: usize| sections.get(k + 1).map_or(length, |s| s.start.0);
    ArcView {
        sections: sections.iter().map(|s| s.name.clone()).collect(),
        current: mixer.current_section(mixer.transport.position),
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
                    .enumerate()
                    .map(|(k, s)| {
                        let db = s.scene_gain(&c.name).unwrap_or(c.gain_db);
                        let ride = mixer.ride_mean_db(&c.name, s.start.0, end(k));
                        (!c.mute && !s.is_muted(&c.name) && !db.is_off())
                            .then_some(db.0 + (ride * 100.0).round() / 100.0)
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::mode::testing::{Console, console_of, sectioned, up};
    use crate::app::state::Outcome;
    use crate::session::Role;
    use crate::units::Decibels;
    use std::path::Path;

    /// Verse (no scene), Chorus (Keys +2 dB, Bass muted) and Outro (Bass -6 dB, Keys off).
    fn song() -> Console {
        let mut session = sectioned(
            Path::new("s.toml"),
            &["Verse", "Chorus", "Outro"],
            &[0.0, 3.0, 6.0],
        );
        session.sections[1].gain_db = vec![("Keys".to_string(), Decibels(2.0))];
        session.sections[1].mute = vec!["Bass".to_string()];
        session.sections[2].gain_db = vec![
            ("Bass".to_string(), Decibels(-6.0)),
            ("Keys".to_string(), Decibels::OFF),
        ];
        console_of(session)
    }

    fn shown(console: &Console) -> ArcView {
        match console.overlay() {
            Some(Overlay::Arc(arc)) => arc,
            other => panic!("expected the arc view, got {other:?}"),
        }
    }

    /// The arc view lists every section and, per channel, its level in each: the scene's fader
    /// where the scene sets one, else the base fader, and none where the channel is muted in
    /// the scene, off there, or muted in the mix; the section under the play head is marked.
    #[test]
    fn the_arc_shows_each_channels_level_per_section() {
        let mut console = song();
        console.at(4.0);
        assert_eq!(console.key("a"), Outcome::Continue);
        let arc = shown(&console);
        assert_eq!(arc.sections, ["Verse", "Chorus", "Outro"]);
        assert_eq!(arc.current, Some(1));
        let bass = &arc.channels[0];
        assert_eq!((bass.name.as_str(), bass.role), ("Bass", Some(Role::Bass)));
        assert_eq!(bass.base_db, -3.0);
        assert_eq!(bass.levels_db, [Some(-3.0), None, Some(-6.0)]);
        let keys = &arc.channels[1];
        assert_eq!(keys.base_db, 0.0);
        assert_eq!(keys.levels_db, [Some(0.0), Some(2.0), None]);
        assert!(console.take_effects().is_empty());

        // Keys muted in the mix: silent everywhere.
        console.key("Esc");
        console.act(Action::SelectNext);
        console.act(Action::Mute);
        console.key("a");
        assert_eq!(shown(&console).channels[1].levels_db, [None, None, None]);
    }

    /// A ride adds its mean level over each section to the channel's level there: Bass rises
    /// from 0 to +2 dB across the Verse (0-3 s, a mean of +1 dB) and holds +2 dB after; with
    /// its ride off it is not counted.
    #[test]
    fn the_arc_counts_rides() {
        let mut session = sectioned(
            Path::new("s.toml"),
            &["Verse", "Chorus", "Outro"],
            &[0.0, 3.0, 6.0],
        );
        session.rides.push(crate::session::Ride {
            target: "Bass".into(),
            points: vec![
                crate::session::RidePoint::new(0.0, 0.0),
                crate::session::RidePoint::new(3.0, 2.0),
            ],
        });
        let mut console = console_of(session);
        console.key("a");
        assert_eq!(
            shown(&console).channels[0].levels_db,
            [Some(-2.0), Some(-1.0), Some(-1.0)]
        );
        console.key("Esc");
        for _ in 0..3 {
            console.act(Action::RideMode);
        }
        console.key("a");
        assert_eq!(
            shown(&console).channels[0].levels_db,
            [Some(-3.0), Some(-3.0), Some(-3.0)]
        );
    }

    /// The section lit as current follows the play head while the view is open (the song
    /// plays on under it).
    #[test]
    fn the_current_section_follows_the_play_head() {
        let mut console = song();
        console.at(1.0);
        console.key("a");
        assert_eq!(shown(&console).current, Some(0));
        console.at(4.0);
        console.tick();
        assert_eq!(shown(&console).current, Some(1), "the Chorus plays now");
        console.at(7.5);
        console.tick();
        assert_eq!(shown(&console).current, Some(2));
    }

    /// The arc key, Esc or any other key closes the view and does nothing else (`m` does not
    /// mute, `k` moves no fader); the mix is untouched and nothing reaches the engine.
    #[test]
    fn any_key_closes_the_arc_view_and_does_only_that() {
        for key in ["a", "Esc", "m", "k", "q", "Enter"] {
            let mut console = song();
            let before = console.app.mixer().session().clone();
            console.key("a");
            assert!(matches!(console.overlay(), Some(Overlay::Arc(_))));
            assert_eq!(console.key(key), Outcome::Continue, "{key}");
            assert!(console.overlay().is_none(), "{key} closes the arc view");
            assert_eq!(console.app.mixer().session(), &before, "{key}");
            assert!(console.take_effects().is_empty(), "{key}");
        }
    }

    /// ctrl+c quits from the arc view; with unsaved edits the quit question asks first.
    #[test]
    fn quit_now_quits_from_the_arc_view_or_asks_when_unsaved() {
        let mut clean = song();
        clean.key("a");
        assert_eq!(clean.key("ctrl+c"), Outcome::Quit);

        let mut edited = song();
        edited.act(up());
        edited.key("a");
        assert_eq!(edited.key("ctrl+c"), Outcome::Continue);
        assert_eq!(edited.question().0, "Quit with unsaved edits?");
    }

    /// Without sections there is no arc to show: the key says so and opens nothing.
    #[test]
    fn no_sections_no_arc_view() {
        let mut console = console_of(crate::app::edit::test_session(Path::new("s.toml")));
        console.key("a");
        assert!(console.overlay().is_none());
        assert_eq!(console.message(), "This session has no sections");
    }
}
