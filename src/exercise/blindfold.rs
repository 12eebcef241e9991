//! The Blindfold Balance Test's results: the balance the user made by ear, measured over the
//! loop ([`crate::analysis::levels`]), against the textbook peak level of each channel's role
//! ([`Targets`]).
//!
//! For each channel that played in the loop:
//!
//! 1. **Difference**: its peak minus its role's target, in dB.
//! 2. **Common offset**: the mean difference. The whole mix being louder or quieter than the
//!    textbook is not a balance matter, so it is taken out.
//! 3. **Deviation**: the difference minus the common offset. At least +1.5 dB makes the channel
//!    a *leader* (the user lifted it above the textbook), at most -1.5 dB a *follower*; anything
//!    between sits *close* to the textbook.
//!
//! This is [`score`] over the channels that played (their peaks against their targets), so the
//! score and the deviations are the scoring's own: a difference beyond ±24 dB counts as 24 dB
//! ([`super::score::MAX_ERROR_DB`]). Channels silent over the loop (muted, off, or with nothing
//! in their stem there) are shown but left out of the offset and the score.
//!
//! The module also holds the small number and list formatting the exercise readings share.

use crate::analysis::levels::ChannelLevel;
use crate::exercise::score::{Score, score};
use crate::exercise::targets::Targets;
use crate::session::{Role, Session};
use crate::units::Decibels;

/// A deviation from the textbook of at least this many dB (either way) makes a channel a leader
/// or a follower.
pub const LEAD_DB: f64 = 1.5;

/// One channel's result.
#[derive(Debug, Clone, PartialEq)]
pub struct BlindfoldChannel {
    /// The channel's name.
    pub name: String,
    /// Its role (which picks its target).
    pub role: Option<Role>,
    /// Where the user left its fader, dB; `-inf` = off.
    pub fader_db: f64,
    /// Its peak in the mix over the loop, dBFS; `None` when silent there.
    pub peak_dbfs: Option<f64>,
    /// Its RMS in the mix over the loop, dBFS; `None` when silent there.
    pub rms_dbfs: Option<f64>,
    /// The textbook peak for its role, dBFS.
    pub target_dbfs: f64,
    /// Peak minus target, dB; `None` when silent.
    pub difference_db: Option<f64>,
    /// The difference minus the common offset, dB: positive means the user made it louder
    /// against the rest than the textbook does. `None` when silent.
    pub deviation_db: Option<f64>,
}

/// The whole result.
#[derive(Debug, Clone, PartialEq)]
pub struct BlindfoldResult {
    /// Every channel, in session order.
    pub channels: Vec<BlindfoldChannel>,
    /// How much louder (dB) the whole mix peaks than the textbook, over the channels that
    /// played; `None` when none did.
    pub common_offset_db: Option<f64>,
    /// The balance scored against the textbook; `None` with fewer than two channels playing.
    pub score: Option<Score>,
    /// What the result means, in short paragraphs for the user.
    pub reading: Vec<String>,
}

/// Compares the balance in `session` (its faders) as measured in `levels` (one per channel,
/// session order; a missing one counts as silent) with the role targets.
pub fn analyse(session: &Session, levels: &[ChannelLevel], targets: &Targets) -> BlindfoldResult {
    let mut channels: Vec<BlindfoldChannel> = session
        .channels
        .iter()
        .enumerate()
        .map(|(i, channel)| {
            let level = levels.get(i).copied().unwrap_or_default();
            let target_dbfs = targets.peak_dbfs(channel.role).0;
            BlindfoldChannel {
                name: channel.name.clone(),
                role: channel.role,
                fader_db: channel.gain_db.0,
                peak_dbfs: level.peak_dbfs,
                rms_dbfs: level.rms_dbfs,
                target_dbfs,
                difference_db: level.peak_dbfs.map(|peak| peak - target_dbfs),
                deviation_db: None,
            }
        })
        .collect();
    let counted: Vec<usize> = (0..channels.len())
        .filter(|&i| channels[i].difference_db.is_some_and(f64::is_finite))
        .collect();
    let peaks: Vec<Decibels> = counted
        .iter()
        .map(|&i| Decibels(channels[i].peak_dbfs.unwrap_or(f64::NEG_INFINITY)))
        .collect();
    let goals: Vec<Decibels> = counted
        .iter()
        .map(|&i| Decibels(channels[i].target_dbfs))
        .collect();
    let scored = if counted.is_empty() {
        None
    } else {
        score(&peaks, &goals).ok()
    };
    if let Some(s) = &scored {
        for (k, &i) in counted.iter().enumerate() {
            channels[i].deviation_db = Some(s.bias(k));
        }
    }
    let common_offset_db = scored.as_ref().map(|s| s.common_offset_db);
    let score = scored.filter(|_| counted.len() >= 2);
    let reading = reading(&channels, common_offset_db, score.as_ref());
    BlindfoldResult {
        channels,
        common_offset_db,
        score,
        reading,
    }
}

/// The paragraphs of the reading.
fn reading(
    channels: &[BlindfoldChannel],
    offset: Option<f64>,
    score: Option<&Score>,
) -> Vec<String> {
    let silent: Vec<String> = channels
        .iter()
        .filter(|c| c.deviation_db.is_none())
        .map(|c| c.name.clone())
        .collect();
    let heard: Vec<(&BlindfoldChannel, f64)> = channels
        .iter()
        .filter_map(|c| c.deviation_db.map(|d| (c, d)))
        .collect();
    let silent_note = match silent.len() {
        0 => None,
        1 => Some(format!(
            "{} was silent in the loop, so it is left out.",
            join_list(&silent)
        )),
        _ => Some(format!(
            "{} were silent in the loop, so they are left out.",
            join_list(&silent)
        )),
    };
    let (Some(offset), Some(score)) = (offset, score) else {
        let first = match heard.first() {
            None => "Nothing played during the loop, so there is no balance to compare with \
                     the textbook."
                .to_string(),
            Some((channel, _)) => format!(
                "Only {} played during the loop, so there is no balance to compare: a balance \
                 needs at least two parts.",
                channel.name
            ),
        };
        return std::iter::once(first).chain(silent_note).collect();
    };

    let mut leaders: Vec<(&BlindfoldChannel, f64)> =
        heard.iter().copied().filter(|c| c.1 >= LEAD_DB).collect();
    leaders.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut followers: Vec<(&BlindfoldChannel, f64)> =
        heard.iter().copied().filter(|c| c.1 <= -LEAD_DB).collect();
    followers.sort_by(|a, b| a.1.total_cmp(&b.1));

    let mut paragraphs = Vec::with_capacity(5);
    paragraphs.push(overall(offset));
    paragraphs.push(roles(&leaders, &followers));
    let near: Vec<String> = heard
        .iter()
        .filter(|c| c.1.abs() < LEAD_DB)
        .map(|c| c.0.name.clone())
        .collect();
    let mut close = Vec::with_capacity(2);
    // When nothing leads or follows, the paragraph before has said they are all close.
    if !near.is_empty() && (!leaders.is_empty() || !followers.is_empty()) {
        close.push(format!(
            "{} sat close to the textbook, within {LEAD_DB} dB.",
            join_list(&near)
        ));
    }
    close.extend(silent_note);
    if !close.is_empty() {
        paragraphs.push(close.join(" "));
    }
    let vocal_follows = followers
        .iter()
        .any(|(c, _)| matches!(c.role, Some(Role::Vocal | Role::LeadVocal)));
    paragraphs.push(note(vocal_follows).to_string());
    paragraphs.push(verdict(score));
    paragraphs
}

/// The paragraph on the whole mix's level against the textbook.
fn overall(offset: f64) -> String {
    if offset.abs() < 1.0 {
        "Overall, your mix peaks right around the textbook levels. That is the volume of the \
         whole mix, not its balance, so it does not count either way."
            .to_string()
    } else {
        format!(
            "Overall, your mix peaks {} {} the textbook levels. That is the volume of the whole \
             mix, not its balance, so it does not count against you.",
            magnitude_db(offset),
            if offset > 0.0 { "above" } else { "below" }
        )
    }
}

/// The paragraph naming the leaders and the followers, each list biggest first.
fn roles(leaders: &[(&BlindfoldChannel, f64)], followers: &[(&BlindfoldChannel, f64)]) -> String {
    let named = |list: &[(&BlindfoldChannel, f64)]| {
        join_list(
            &list
                .iter()
                .map(|(c, d)| format!("{} ({})", c.name, signed_db(*d)))
                .collect::<Vec<_>>(),
        )
    };
    let them = |n: usize| if n == 1 { "it" } else { "them" };
    let mut sentences = Vec::with_capacity(2);
    if !leaders.is_empty() {
        sentences.push(format!(
            "You made {} {}: louder against the rest than the textbook has {}.",
            named(leaders),
            if leaders.len() == 1 {
                "a leader"
            } else {
                "leaders"
            },
            them(leaders.len()),
        ));
    }
    if !followers.is_empty() {
        sentences.push(format!(
            "You let {} follow: quieter against the rest than the textbook has {}.",
            named(followers),
            them(followers.len()),
        ));
    }
    if sentences.is_empty() {
        sentences.push(format!(
            "No part leads or follows more than the textbook: every one is within {LEAD_DB} dB \
             of it against the rest."
        ));
    }
    sentences.join(" ")
}

/// The gentle note that the textbook is not the song; about the voice when the user let a
/// vocal follow.
fn note(vocal_follows: bool) -> &'static str {
    if vocal_follows {
        "The textbook is a starting point, not a rule. In a quiet ballad, for example, a voice \
         that sits back can be just what the song wants."
    } else {
        "The textbook is a starting point, not a rule. A song may want otherwise, like a quiet \
         ballad that keeps the voice soft: where you chose on purpose, trust your ear."
    }
}

/// The one-line verdict, from the RMS deviation.
fn verdict(score: &Score) -> String {
    let rms = score.rms_db;
    let verdict = if rms < 1.5 {
        "very close to the textbook balance"
    } else if rms < 3.0 {
        "near the textbook, with some choices of your own"
    } else if rms < 4.5 {
        "a balance with a clear character of its own"
    } else {
        "far from the textbook; listen again and check each choice is one you meant"
    };
    format!(
        "Verdict: {verdict} (the parts are {} from it on average, {} points).",
        magnitude_db(rms),
        score.points
    )
}

/// A signed level change with one decimal and its unit: "+3.1 dB", "-0.4 dB", "+0.0 dB" (never
/// "-0.0"). Shared by the exercise readings.
pub(crate) fn signed_db(db: f64) -> String {
    format!("{:+.1} dB", round_tenth(db))
}

/// A level difference without its sign, one decimal and its unit: "2.3 dB".
pub(crate) fn magnitude_db(db: f64) -> String {
    format!("{:.1} dB", round_tenth(db.abs()))
}

/// `x` rounded to a tenth, with -0.0 turned into 0.0.
fn round_tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0 + 0.0
}

/// Items as an English list: "A", "A and B", "A, B and C"; empty for none.
pub(crate) fn join_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::session::Channel;
    use crate::units::Pan;

    /// A session with the given (name, role, fader) channels; no stems are needed.
    fn session(channels: &[(&str, Role, f64)]) -> Session {
        Session {
            path: PathBuf::from("s.toml"),
            name: "S".into(),
            sample_rate: 48_000,
            sample_rate_explicit: false,
            master_db: Decibels::UNITY,
            tempo: None,
            channels: channels
                .iter()
                .map(|&(name, role, gain)| Channel {
                    name: name.into(),
                    file: format!("{name}.wav").into(),
                    role: Some(role),
                    trim_db: Decibels::UNITY,
                    gain_db: Decibels(gain),
                    pan: Pan::CENTRE,
                    mute: false,
                    solo: false,
                    start_frames: 0,
                    right_file: None,
                })
                .collect(),
            sections: Vec::new(),
            ramp_ms: None,
            groups: Vec::new(),
            rides: Vec::new(),
            snapshots: Vec::new(),
            reference: None,
            stems: Vec::new(),
            length_frames: 480_000,
        }
    }

    fn peak(db: f64) -> ChannelLevel {
        ChannelLevel {
            peak_dbfs: Some(db),
            rms_dbfs: Some(db - 10.0),
            loudness_lufs: Some(db - 8.0),
        }
    }

    fn close(a: Option<f64>, b: f64) {
        assert!((a.unwrap_or(f64::NAN) - b).abs() < 1e-9, "{a:?} vs {b}");
    }

    /// The built-in targets: vocal -6, drums -10, bass -15, keys -18.
    fn band() -> Session {
        session(&[
            ("Vocal", Role::Vocal, -2.0),
            ("Drums", Role::Drums, 0.0),
            ("Bass", Role::Bass, -4.0),
            ("Keys", Role::Keys, f64::NEG_INFINITY),
        ])
    }

    /// Hand-computed: peaks -8, -14, -16 against -6, -10, -15 give differences -2, -4, -1; the
    /// offset is -7/3; deviations +1/3, -5/3, +4/3; the silent Keys is left out.
    #[test]
    fn differences_offset_deviations_and_score() {
        let levels = [
            peak(-8.0),
            peak(-14.0),
            peak(-16.0),
            ChannelLevel::default(),
        ];
        let r = analyse(&band(), &levels, &Targets::builtin());
        let offset = -7.0 / 3.0;
        close(r.common_offset_db, offset);
        let c = &r.channels;
        assert_eq!(c.len(), 4);
        assert_eq!((c[0].name.as_str(), c[0].fader_db), ("Vocal", -2.0));
        assert_eq!(c[0].target_dbfs, -6.0);
        close(c[0].difference_db, -2.0);
        close(c[1].difference_db, -4.0);
        close(c[2].difference_db, -1.0);
        close(c[0].deviation_db, 1.0 / 3.0);
        close(c[1].deviation_db, -5.0 / 3.0);
        close(c[2].deviation_db, 4.0 / 3.0);
        assert_eq!(c[3].fader_db, f64::NEG_INFINITY);
        assert_eq!((c[3].difference_db, c[3].deviation_db), (None, None));
        assert_eq!(c[3].target_dbfs, -18.0);
        close(c[1].rms_dbfs, -24.0);
        let s = r.score.unwrap();
        // rms = sqrt((1/9 + 25/9 + 16/9) / 3) = sqrt(42/27) ≈ 1.247 → 79 points.
        assert!((s.rms_db - (42.0f64 / 27.0).sqrt()).abs() < 1e-9);
        assert_eq!(s.points, 79);
        assert_eq!(s.errors_db.len(), 3);

        let text = r.reading.join("\n");
        assert!(r.reading.len() >= 3 && r.reading.len() <= 5, "{text}");
        assert!(text.contains("2.3 dB below the textbook"), "{text}");
        assert!(text.contains("not its balance"), "{text}");
        assert!(text.contains("You let Drums (-1.7 dB) follow"), "{text}");
        assert!(!text.contains("leader"), "{text}");
        assert!(text.contains("Vocal and Bass sat close"), "{text}");
        assert!(text.contains("Keys was silent"), "{text}");
        assert!(text.contains("starting point"), "{text}");
        assert!(text.contains("very close to the textbook"), "{text}");
        assert!(text.contains("79 points"), "{text}");
    }

    /// Leaders and followers are named with their amounts, biggest first.
    #[test]
    fn leaders_and_followers_biggest_first() {
        let s = session(&[
            ("Vocal", Role::Vocal, 0.0),
            ("Drums", Role::Drums, 0.0),
            ("Bass", Role::Bass, 0.0),
            ("Keys", Role::Keys, 0.0),
            ("Guitar", Role::Guitar, 0.0),
        ]);
        // Differences against -6, -10, -15, -18, -15: -10, +2, +4, -5, +9 (sum 0, offset 0).
        let levels = [
            peak(-16.0),
            peak(-8.0),
            peak(-11.0),
            peak(-23.0),
            peak(-6.0),
        ];
        let r = analyse(&s, &levels, &Targets::builtin());
        close(r.common_offset_db, 0.0);
        let text = r.reading.join("\n");
        assert!(
            text.contains("You made Guitar (+9.0 dB), Bass (+4.0 dB) and Drums (+2.0 dB) leaders"),
            "{text}"
        );
        assert!(
            text.contains("You let Vocal (-10.0 dB) and Keys (-5.0 dB) follow"),
            "{text}"
        );
        assert!(text.contains("right around the textbook"), "{text}");
        // The vocal follows: the note speaks of a ballad voice that sits back.
        assert!(text.contains("voice that sits back"), "{text}");
        // Nothing sat close: no such paragraph; rms = sqrt(226/5) ≈ 6.7 → far, 0 points.
        assert!(!text.contains("sat close"), "{text}");
        assert!(text.contains("far from the textbook"), "{text}");
        assert_eq!(r.score.map(|s| s.points), Some(0));
        for paragraph in &r.reading {
            assert!(paragraph.matches(". ").count() <= 2, "{paragraph}");
        }
    }

    /// Moving every fader together changes neither the deviations nor the score.
    #[test]
    fn a_louder_mix_is_not_a_different_balance() {
        let quiet = [peak(-8.0), peak(-14.0), peak(-16.0), peak(-30.0)];
        let loud: Vec<ChannelLevel> = quiet
            .iter()
            .map(|l| peak(l.peak_dbfs.unwrap_or(0.0) + 6.0))
            .collect();
        let a = analyse(&band(), &quiet, &Targets::builtin());
        let b = analyse(&band(), &loud, &Targets::builtin());
        close(b.common_offset_db, a.common_offset_db.unwrap_or(0.0) + 6.0);
        for (x, y) in a.channels.iter().zip(&b.channels) {
            close(y.deviation_db, x.deviation_db.unwrap_or(f64::NAN));
        }
        assert_eq!(a.score.map(|s| s.points), b.score.map(|s| s.points));
        assert!(
            b.reading[0].contains("above the textbook"),
            "{:?}",
            b.reading
        );
    }

    /// With one channel playing there is an offset but no score; with none, neither.
    #[test]
    fn fewer_than_two_channels_are_not_scored() {
        let one = [peak(-9.0), ChannelLevel::default(), ChannelLevel::default()];
        let r = analyse(&band(), &one, &Targets::builtin());
        assert_eq!(r.score, None);
        close(r.common_offset_db, -3.0);
        close(r.channels[0].deviation_db, 0.0);
        let text = r.reading.join("\n");
        assert!(text.contains("Only Vocal played"), "{text}");
        assert!(text.contains("Drums, Bass and Keys were silent"), "{text}");
        let r = analyse(&band(), &[], &Targets::builtin());
        assert_eq!((r.score, r.common_offset_db), (None, None));
        assert_eq!(r.channels.len(), 4);
        assert!(r.reading[0].contains("Nothing played"), "{:?}", r.reading);
    }

    /// Numbers and lists read naturally.
    #[test]
    fn words() {
        assert_eq!(signed_db(2.26), "+2.3 dB");
        assert_eq!(signed_db(-0.04), "+0.0 dB");
        assert_eq!(signed_db(-1.66), "-1.7 dB");
        assert_eq!(magnitude_db(-2.34), "2.3 dB");
        assert_eq!(join_list(&[]), "");
        assert_eq!(join_list(&["A".into()]), "A");
        assert_eq!(join_list(&["A".into(), "B".into()]), "A and B");
        assert_eq!(
            join_list(&["A".into(), "B".into(), "C".into()]),
            "A, B and C"
        );
    }
}
