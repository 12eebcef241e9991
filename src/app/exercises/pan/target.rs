//! The pan drill's targets (UI thread): which stereo pictures a session offers, each channel's
//! pan in them, and how much louder or quieter a part is heard at another pan (for the
//! loudness-matched flip).
//!
//! The targets are the level-matching drill's ([`drill::target_sources`]) that have a picture
//! to rebuild: the band demo's hidden reference balance with its own pans, and a section's
//! scene or the mix as saved with the session's pans (a scene holds levels and mutes, not
//! pans), each offered only when a channel that plays in it is not centred.

use crate::analysis::levels::ChannelLevel;
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

/// The gain (dB) to add to the target's playback so it is as loud as the user's picture:
/// `levels` is each channel's loudness measured with the pans of `target` (the session with the
/// target's pans); the loudness of each picture is estimated from it with each channel's level
/// change from its heard pan ([`pan_gain_db`], its groups' pans added), as the level drill
/// estimates a mix at other faders ([`drill::match_gain_db`]). 0 when nothing was measured.
pub fn match_gain_db(levels: &[ChannelLevel], target: &Session, own: &Session) -> f64 {
    let change = |s: &Session| -> Vec<f64> {
        (0..s.channels.len())
            .map(|i| {
                let pan = s.heard_levels(i).map_or(Pan::CENTRE, |h| h.pan);
                pan_gain_db(pan, is_stereo(s, i))
            })
            .collect()
    };
    drill::match_gain_db(levels, &change(target), &change(own))
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

    /// The flip's loudness matching, by hand: two parts each measured at -20 LUFS, a mono one
    /// and a stereo one centred in the target. Moving the mono one costs nothing; the stereo
    /// one hard right keeps (0² + 1²)/2 of its power, so the picture is
    /// 10·log10((0.01 + 0.005) / 0.02) = -1.249 dB quieter and the target is played so much
    /// quieter. A group's pan counts: the stereo part centred with its group at R100 is heard
    /// hard right too.
    #[test]
    fn the_target_is_matched_to_the_pictures_loudness() {
        let mut target = test_session(Path::new("s.toml"));
        target.stems[1].channels = 2;
        let level = ChannelLevel {
            loudness_lufs: Some(-20.0),
            ..ChannelLevel::default()
        };
        let levels = [level, level];
        let mut own = target.clone();
        own.channels[0].pan = Pan(-1.0);
        assert!(match_gain_db(&levels, &target, &own).abs() < 1e-12);
        own.channels[1].pan = Pan(1.0);
        let expected = 10.0 * (0.015f64 / 0.02).log10();
        assert!((match_gain_db(&levels, &target, &own) - expected).abs() < 1e-9);
        own.channels[1].pan = Pan::CENTRE;
        let mut group = crate::session::automation::Group::new("Wide", vec!["Keys".into()]);
        group.pan = Pan(1.0);
        own.groups.push(group);
        assert!((match_gain_db(&levels, &target, &own) - expected).abs() < 1e-9);
        assert!(match_gain_db(&[], &target, &own).abs() < 1e-12);
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
