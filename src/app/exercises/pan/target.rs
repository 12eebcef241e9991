//! The pan drill's targets (UI thread): which stereo pictures a session offers, each channel's
//! pan in them, and how much louder or quieter a part is heard at another pan (for the
//! loudness-matched flip).
//!
//! The targets are the level-matching drill's ([`drill::target_sources`]) that have a picture
//! to rebuild: the band demo's hidden reference balance with its own pans, and a section's
//! scene or the mix as saved with the session's pans (a scene holds levels and mutes, not
//! pans), each offered only when a channel that plays in it is not centred.

use crate::demo;
use crate::exercise::drill::{self, TargetSource};
use crate::session::Session;
use crate::units::Pan;

/// The stereo pictures `session` offers, with a label each, in the drill's order (the
/// reference balance, the scenes, the mix as saved).
pub fn sources(session: &Session) -> Vec<(TargetSource, String)> {
    drill::target_sources(session)
        .into_iter()
        .filter(|(source, _)| {
            let faders = drill::target_faders(session, source);
            pans(session, source)
                .iter()
                .zip(&faders)
                .any(|(pan, fader)| !fader.is_off() && pan.0 != 0.0)
        })
        .collect()
}

/// Each channel's target pan (session order): the reference balance's pan for the band
/// demo's reference (a channel it does not list keeps its own), else the channel's pan.
pub fn pans(session: &Session, source: &TargetSource) -> Vec<Pan> {
    let reference = match source {
        TargetSource::Reference => demo::reference_balance("band"),
        TargetSource::Saved | TargetSource::Scene { .. } => None,
    };
    session
        .channels
        .iter()
        .map(|channel| {
            reference
                .and_then(|entries| entries.iter().find(|e| e.channel == channel.name))
                .map_or(channel.pan, |entry| entry.pan)
        })
        .collect()
}

/// How much louder (dB; negative: quieter) a stem is heard at `pan` than centred, by the
/// console's pan law: a mono stem is panned at constant power, so never; a stereo stem is
/// balanced, the far side turned down by `1 - |pan|`, which with its two sides equally loud
/// (the estimate) leaves `((1 - |pan|)² + 1) / 2` of its power.
pub fn pan_gain_db(pan: Pan, stereo: bool) -> f64 {
    if !stereo {
        return 0.0;
    }
    let (left, right) = pan.balance_gains();
    let power = f64::midpoint(f64::from(left).powi(2), f64::from(right).powi(2));
    10.0 * power.max(1e-12).log10()
}

/// Whether channel `index` of `session` plays a stereo stem (two channels in one file, or a
/// split pair of files).
pub fn is_stereo(session: &Session, index: usize) -> bool {
    session.stems.get(index).is_some_and(|s| s.channels >= 2)
        || session
            .channels
            .get(index)
            .is_some_and(|c| c.right_file.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::test_session;
    use std::path::Path;

    /// The pan law's loudness: a mono stem is as loud anywhere; a stereo stem hard to one side
    /// loses half its power (-3.01 dB), a quarter of the way about 1.2 dB.
    #[test]
    fn panned_stereo_is_quieter_mono_is_not() {
        for p in [-1.0, -0.4, 0.0, 0.7, 1.0] {
            assert!(pan_gain_db(Pan(p), false).abs() < 1e-12);
        }
        assert!(pan_gain_db(Pan(0.0), true).abs() < 1e-12);
        let hard = pan_gain_db(Pan(1.0), true);
        assert!((hard - 10.0 * 0.5f64.log10()).abs() < 1e-9, "{hard}");
        assert!((pan_gain_db(Pan(-1.0), true) - hard).abs() < 1e-9);
        // (0.75² + 1) / 2 = 0.78125: -1.0721 dB.
        assert!((pan_gain_db(Pan(0.25), true) - -1.0721).abs() < 1e-4);
    }

    /// A session whose playing channels are all centred offers no picture; one off-centre
    /// channel that plays offers the saved mix, one that is muted does not.
    #[test]
    fn only_pictures_with_a_channel_off_centre_are_offered() {
        let mut session = test_session(Path::new("s.toml"));
        // Not the band's names ("Bass", "Keys"): its reference would be offered.
        for (channel, name) in session.channels.iter_mut().zip(["Low", "High"]) {
            channel.name = name.to_string();
            channel.pan = Pan::CENTRE;
        }
        assert!(sources(&session).is_empty());
        session.channels[1].pan = Pan(-0.4);
        assert_eq!(
            sources(&session),
            [(TargetSource::Saved, "the mix as saved".into())]
        );
        assert_eq!(pans(&session, &TargetSource::Saved)[1], Pan(-0.4));
        session.channels[1].mute = true;
        assert!(sources(&session).is_empty());
    }

    /// The band demo's reference balance gives its own pans (the guitars spread, the keys a
    /// little right), not the session's.
    #[test]
    fn the_band_reference_has_its_own_pans() {
        let text = demo::session_toml("band").unwrap();
        let raw: toml::Table = toml::from_str(text).unwrap();
        let mut session = test_session(Path::new("s.toml"));
        let template = session.channels[0].clone();
        session.channels = raw["channel"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let mut channel = template.clone();
                channel.name = c["name"].as_str().unwrap().to_string();
                channel.pan = Pan(c["pan"].as_float().unwrap());
                channel
            })
            .collect();
        let offered = sources(&session);
        assert_eq!(offered[0].0, TargetSource::Reference, "{offered:?}");
        let pans = pans(&session, &TargetSource::Reference);
        let names: Vec<&str> = session.channels.iter().map(|c| c.name.as_str()).collect();
        let at = |name: &str| pans[names.iter().position(|n| *n == name).unwrap()];
        assert_eq!(at("Crunch guitar"), Pan(-0.55));
        assert_eq!(at("Clean guitar"), Pan(0.6));
        assert_eq!(at("Keys"), Pan(0.2));
        assert_eq!(
            session.channels[2].pan,
            Pan(-0.3),
            "the session's own differs"
        );
    }
}
