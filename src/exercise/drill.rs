//! The level-matching drill: hear a hidden target balance, then rebuild it by ear from
//! scrambled faders, scored with [`score`].
//!
//! # The ladder
//!
//! | Level | Stems drilled | Faders scrambled | Flip (=) | Pass with |
//! |-------|---------------|------------------|----------|-----------|
//! | 1     | 2             | up to ±10 dB     | allowed  | 60 points |
//! | 2     | 3             | up to ±10 dB     | allowed  | 70 points |
//! | 3     | 4             | up to ±8 dB      | allowed  | 75 points |
//! | 4     | every channel | up to ±8 dB      | allowed  | 80 points |
//! | 5     | every channel | up to ±8 dB      | none     | 70 points |
//!
//! Level 5 is the *memory* level: the target is heard once, then rebuilt without flipping back
//! to it, so its pass mark is lower. Level 1 is always open; passing level `n` (a "drill" record
//! at level `n` scoring at least its pass mark) opens level `n + 1` ([`highest_unlocked`]).
//!
//! # A round
//!
//! 1. **Target.** The session offers targets ([`target_sources`]): the band demo's hidden
//!    reference balance, a section's scene, or the mix as saved. [`target_faders`] gives each
//!    channel's target fader and [`target_span`] the part of the song that loops.
//! 2. **Stems.** [`choose_stems`] picks the drilled channels at random among those that play
//!    in the looped part (all of them from level 4); the console mutes the others for the
//!    round, so the drilled ones are heard on their own.
//! 3. **Scramble.** [`scramble`] moves the drilled faders away from the target by random
//!    offsets within the level's range, always leaving a balance to fix.
//! 4. **Flip.** While the level allows it, the user flips between the target and their own
//!    mix. The two are matched in loudness so the louder does not win: each channel's loudness
//!    is measured once at the target faders, the loudness of a mix at other faders is
//!    estimated from it ([`mix_loudness`]), and the target is played [`match_gain_db`] louder
//!    or quieter.
//! 5. **Score.** [`analyse`] scores the drilled channels' faders against the target's. The
//!    common offset is removed, so turning everything up or down together costs nothing.

use crate::analysis::levels::ChannelLevel;
use crate::demo;
use crate::exercise::blindfold::{join_list, magnitude_db};
use crate::exercise::history::Record;
use crate::exercise::score::{Score, score};
use crate::session::{Role, Session};
use crate::units::{Decibels, Seconds};

/// One rung of the ladder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    /// 1 to 5.
    pub number: u32,
    /// How many channels are drilled; `None`: every channel.
    pub stems: Option<usize>,
    /// The drilled faders start up to this many dB away from the target, either way.
    pub scramble_db: f64,
    /// Whether the user may flip between the target and their mix.
    pub flip: bool,
    /// The points that pass the level.
    pub pass_points: u32,
}

/// The ladder, easiest first (see the module docs).
pub const LADDER: [Level; 5] = [
    Level {
        number: 1,
        stems: Some(2),
        scramble_db: 10.0,
        flip: true,
        pass_points: 60,
    },
    Level {
        number: 2,
        stems: Some(3),
        scramble_db: 10.0,
        flip: true,
        pass_points: 70,
    },
    Level {
        number: 3,
        stems: Some(4),
        scramble_db: 8.0,
        flip: true,
        pass_points: 75,
    },
    Level {
        number: 4,
        stems: None,
        scramble_db: 8.0,
        flip: true,
        pass_points: 80,
    },
    Level {
        number: 5,
        stems: None,
        scramble_db: 8.0,
        flip: false,
        pass_points: 70,
    },
];

/// The level numbered `number` (1 to 5).
pub fn level(number: u32) -> Option<Level> {
    LADDER.iter().copied().find(|l| l.number == number)
}

impl Level {
    /// One line for the user, e.g. "Level 1: two stems, faders scrambled up to 10 dB, flip
    /// allowed; pass with 60 points".
    pub fn describe(&self) -> String {
        format!(
            "Level {}{}: {}; pass with {} points",
            self.number,
            if self.is_memory() { " (memory)" } else { "" },
            self.challenge(),
            self.pass_points
        )
    }

    /// What the level asks: "two stems, faders scrambled up to 10 dB, flip allowed".
    fn challenge(&self) -> String {
        let stems = match self.stems {
            None => "every stem".to_string(),
            Some(1) => "one stem".to_string(),
            Some(n) => format!("{} stems", number_word(n)),
        };
        format!(
            "{stems}, faders scrambled up to {} dB, {}",
            plain_number(self.scramble_db),
            if self.flip { "flip allowed" } else { "no flip" }
        )
    }

    /// The memory level: no flipping back to the target.
    pub fn is_memory(&self) -> bool {
        !self.flip
    }
}

/// Small counts as words ("two"), larger ones as digits.
fn number_word(n: usize) -> String {
    const WORDS: [&str; 11] = [
        "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    WORDS
        .get(n)
        .map_or_else(|| n.to_string(), |w| (*w).to_string())
}

/// A number of dB without a needless ".0": "10", "7.5".
fn plain_number(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// The highest level unlocked by the history: level 1 always; level `n + 1` once a "drill"
/// record at level `n` scored at least level `n`'s pass points (never above the top of the
/// ladder). Other exercises' records, records without a level or score, and levels not on the
/// ladder are ignored.
pub fn highest_unlocked(records: &[Record]) -> u32 {
    let top = LADDER.len() as u32;
    records
        .iter()
        .filter(|r| r.exercise == "drill")
        .filter_map(|r| {
            let rung = level(r.level?)?;
            (r.score? >= f64::from(rung.pass_points)).then_some(rung.number + 1)
        })
        .fold(1, u32::max)
        .min(top)
}

/// A draw from `random` kept in [0, 1) (a NaN counts as 0).
fn unit(random: &mut dyn FnMut() -> f64) -> f64 {
    let r = random();
    if r.is_nan() {
        0.0
    } else {
        r.clamp(0.0, 1.0 - f64::EPSILON)
    }
}

/// `count` distinct indices from `candidates` (all of them when `count >= len`), in ascending
/// order. Each subset of `count` is equally likely when `random` is uniform in [0, 1).
/// Duplicate candidates count once.
pub fn choose_stems(
    candidates: &[usize],
    count: usize,
    random: &mut dyn FnMut() -> f64,
) -> Vec<usize> {
    let mut pool = candidates.to_vec();
    pool.sort_unstable();
    pool.dedup();
    if count >= pool.len() {
        return pool;
    }
    // A partial Fisher-Yates shuffle: the first `count` places get a random pick each.
    for i in 0..count {
        let left = pool.len() - i;
        let pick = i + ((unit(random) * left as f64) as usize).min(left - 1);
        pool.swap(i, pick);
    }
    pool.truncate(count);
    pool.sort_unstable();
    pool
}

/// How many draws [`scramble`] makes before it settles for the best one it got (only a broken
/// random source gets there).
pub const SCRAMBLE_ATTEMPTS: usize = 1000;

/// Random fader offsets in [-`range_db`, `range_db`], rounded to 0.1 dB, such that there is a
/// balance to fix: after removing their mean, their RMS is at least `range_db` / 4 (redrawn
/// until so; with one value, any offset). A negative range counts as its size; a range that is
/// not a number counts as 0. Should `random` never give such a draw, the draw with the largest
/// RMS of [`SCRAMBLE_ATTEMPTS`] is returned.
pub fn scramble(count: usize, range_db: f64, random: &mut dyn FnMut() -> f64) -> Vec<f64> {
    let range = if range_db.is_finite() {
        range_db.abs()
    } else {
        0.0
    };
    // The largest tenth of a dB within the range, so rounding never leaves it.
    let limit = (range * 10.0).floor() / 10.0;
    let needed = range / 4.0;
    let mut best: Option<(f64, Vec<f64>)> = None;
    for _ in 0..SCRAMBLE_ATTEMPTS {
        let offsets: Vec<f64> = (0..count)
            .map(|_| {
                let x = (2.0 * unit(random) - 1.0) * range;
                ((x * 10.0).round() / 10.0).clamp(-limit, limit) + 0.0
            })
            .collect();
        if count < 2 {
            return offsets;
        }
        let spread = spread(&offsets);
        if spread >= needed {
            return offsets;
        }
        if best.as_ref().is_none_or(|(s, _)| spread > *s) {
            best = Some((spread, offsets));
        }
    }
    best.map(|(_, offsets)| offsets).unwrap_or_default()
}

/// The RMS of `values` after removing their mean (0 for none).
fn spread(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// Where the drill's target balance comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetSource {
    /// The base mix as saved.
    Saved,
    /// A section's scene (section index).
    Scene {
        /// The section's index in the session.
        section: usize,
    },
    /// The band demo's hidden reference balance.
    Reference,
}

/// The targets a session offers, with a label each, best first: the reference balance when
/// every channel of `session` has an entry in `demo::reference_balance("band")` (matched by
/// name); each section that has a scene ("the scene of Chorus 1"); the saved mix ("the mix as
/// saved").
pub fn target_sources(session: &Session) -> Vec<(TargetSource, String)> {
    let mut sources = Vec::with_capacity(session.sections.len() + 2);
    if !session.channels.is_empty()
        && session
            .channels
            .iter()
            .all(|c| reference_gain(&c.name).is_some())
    {
        sources.push((
            TargetSource::Reference,
            "the reference mix's balance".to_string(),
        ));
    }
    for (section, s) in session.sections.iter().enumerate() {
        if s.has_scene() {
            sources.push((
                TargetSource::Scene { section },
                format!("the scene of {}", s.name),
            ));
        }
    }
    sources.push((TargetSource::Saved, "the mix as saved".to_string()));
    sources
}

/// The fader the band demo's reference was mixed at for the channel named `name`.
fn reference_gain(name: &str) -> Option<Decibels> {
    demo::reference_balance("band")?
        .iter()
        .find(|entry| entry.channel == name)
        .map(|entry| entry.gain)
}

/// Each channel's target fader (session order): its base fader, or the section's scene value,
/// or the reference gain; a channel muted (in the session or in that scene) is off (`-inf`).
/// A section that does not exist, or a channel the reference does not list, falls back to the
/// base fader.
pub fn target_faders(session: &Session, source: &TargetSource) -> Vec<Decibels> {
    let section = match source {
        TargetSource::Scene { section } => session.sections.get(*section),
        TargetSource::Saved | TargetSource::Reference => None,
    };
    session
        .channels
        .iter()
        .map(|channel| {
            if channel.mute || section.is_some_and(|s| s.is_muted(&channel.name)) {
                return Decibels::OFF;
            }
            let special = match source {
                TargetSource::Saved => None,
                TargetSource::Scene { .. } => section.and_then(|s| s.scene_gain(&channel.name)),
                TargetSource::Reference => reference_gain(&channel.name),
            };
            special.unwrap_or(channel.gain_db)
        })
        .collect()
}

/// Where the drill loops for a source: the section's span for a scene (its start to the next
/// section's start, or the end of the song), else `None` (the whole song).
pub fn target_span(session: &Session, source: &TargetSource) -> Option<(Seconds, Seconds)> {
    let TargetSource::Scene { section } = source else {
        return None;
    };
    let start = session.sections.get(*section)?.start;
    let end = session
        .sections
        .get(section + 1)
        .map_or_else(|| session.length(), |next| next.start);
    Some((start, end))
}

/// Estimated loudness (LUFS) of the mix with `faders`, from each channel's loudness measured at
/// `target` faders: `10·log10 Σ 10^((lufs_i + faders_i − target_i)/10)` over channels with a
/// loudness and faders not off (the parts counted as uncorrelated, so their powers add). `None`
/// when nothing counts. The three lists go together by position.
pub fn mix_loudness(levels: &[ChannelLevel], target: &[f64], faders: &[f64]) -> Option<f64> {
    let power: f64 = levels
        .iter()
        .zip(target.iter().zip(faders))
        .filter_map(|(level, (&t, &f))| {
            let lufs = level.loudness_lufs?;
            (lufs.is_finite() && t.is_finite() && f.is_finite())
                .then(|| 10f64.powf((lufs + f - t) / 10.0))
        })
        .sum();
    (power > 0.0 && power.is_finite()).then(|| 10.0 * power.log10())
}

/// The largest loudness-matching gain, dB, either way.
pub const MAX_MATCH_DB: f64 = 24.0;

/// The gain (dB) to add to the target's playback so it is as loud as the user's mix:
/// `mix_loudness(own) − mix_loudness(target)`; 0 when either is unknown; clamped to
/// ±[`MAX_MATCH_DB`].
pub fn match_gain_db(levels: &[ChannelLevel], target: &[f64], own: &[f64]) -> f64 {
    match (
        mix_loudness(levels, target, own),
        mix_loudness(levels, target, target),
    ) {
        (Some(own), Some(target)) => (own - target).clamp(-MAX_MATCH_DB, MAX_MATCH_DB),
        _ => 0.0,
    }
}

/// One drilled channel's result.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillChannel {
    /// The channel's name.
    pub name: String,
    /// Its role.
    pub role: Option<Role>,
    /// Where the user left its fader, dB; `-inf` = off.
    pub own_db: f64,
    /// The target fader, dB; `-inf` = off.
    pub target_db: f64,
    /// How far off it is after removing the common offset, dB: positive means too loud against
    /// the rest.
    pub error_db: f64,
}

/// A finished round.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillResult {
    /// The level played.
    pub level: Level,
    /// The drilled channels only, in the order given.
    pub channels: Vec<DrillChannel>,
    /// The score of the drilled channels.
    pub score: Score,
    /// Whether the score reaches the level's pass points.
    pub passed: bool,
    /// What the result means, in short paragraphs for the user.
    pub reading: Vec<String>,
}

/// A channel off by more than this many dB against the rest is named in the reading.
pub const NAMED_ERROR_DB: f64 = 1.0;

/// Scores a round of `level`: `channels`, `own` and `target` are the drilled channels only (the
/// three go together by position; extra entries in the longer ones are ignored). A value that
/// is not a level (NaN, +inf) counts as off.
pub fn analyse(
    level: Level,
    channels: &[(String, Option<Role>)],
    own: &[Decibels],
    target: &[Decibels],
) -> DrillResult {
    let n = channels.len().min(own.len()).min(target.len());
    let level_or_off = |db: &Decibels| {
        if db.0.is_finite() { *db } else { Decibels::OFF }
    };
    let own: Vec<Decibels> = own[..n].iter().map(level_or_off).collect();
    let target: Vec<Decibels> = target[..n].iter().map(level_or_off).collect();
    // Cannot fail: the lists are as long as each other and hold numbers or -inf only.
    let score = score(&own, &target).unwrap_or_else(|_| Score {
        errors_db: vec![0.0; n],
        common_offset_db: 0.0,
        rms_db: 0.0,
        points: 0,
    });
    let drilled: Vec<DrillChannel> = channels[..n]
        .iter()
        .enumerate()
        .map(|(i, (name, role))| DrillChannel {
            name: name.clone(),
            role: *role,
            own_db: own[i].0,
            target_db: target[i].0,
            error_db: score.bias(i),
        })
        .collect();
    let passed = score.points >= level.pass_points;
    let reading = reading(level, &drilled, &score, passed);
    DrillResult {
        level,
        channels: drilled,
        score,
        passed,
        reading,
    }
}

/// The paragraphs of the reading.
fn reading(level: Level, channels: &[DrillChannel], score: &Score, passed: bool) -> Vec<String> {
    let meaning = match score.points {
        90.. => "That is very close: few ears could tell the two apart.",
        75..=89 => "That is close: the parts sit nearly where the target has them.",
        50..=74 => "You are on the way, but some parts are clearly off.",
        _ => "The balance is still far from the target.",
    };
    let mut paragraphs = vec![format!(
        "You scored {} points: your parts are {} from the target on average, with the overall \
         level taken out. {meaning}",
        score.points,
        magnitude_db(score.rms_db)
    )];

    let mut off: Vec<&DrillChannel> = channels
        .iter()
        .filter(|c| c.error_db.abs() > NAMED_ERROR_DB)
        .collect();
    off.sort_by(|a, b| b.error_db.abs().total_cmp(&a.error_db.abs()));
    let mut kept = Vec::new();
    let mut sentences = Vec::new();
    for c in &off {
        let (own_on, target_on) = (c.own_db.is_finite(), c.target_db.is_finite());
        if own_on && !target_on {
            sentences.push(format!(
                "You left {} playing, but the target has it off.",
                c.name
            ));
        } else if !own_on && target_on {
            sentences.push(format!(
                "You turned {} off, but the target has it playing.",
                c.name
            ));
        } else {
            kept.push(format!(
                "{} {} too {}",
                c.name,
                magnitude_db(c.error_db),
                if c.error_db > 0.0 { "loud" } else { "quiet" }
            ));
        }
    }
    if !kept.is_empty() {
        sentences.insert(
            0,
            format!("You kept {} against the rest.", join_list(&kept)),
        );
    }
    if sentences.is_empty() {
        sentences.push(format!(
            "Every part is within {NAMED_ERROR_DB} dB of the target against the rest."
        ));
    }
    paragraphs.push(sentences.join(" "));

    let number = level.number;
    paragraphs.push(if passed {
        match number.checked_add(1).and_then(self::level) {
            Some(next) => format!(
                "You passed level {number}, which needs {} points, so level {} is open: {}.",
                level.pass_points,
                next.number,
                next.challenge()
            ),
            None => format!(
                "You passed level {number}, which needs {} points: the top of the ladder. Keep \
                 your ear sharp with other songs and other targets.",
                level.pass_points
            ),
        }
    } else {
        let first = off
            .first()
            .map_or_else(String::new, |c| format!(" and fix {} first", c.name));
        format!(
            "Level {number} needs {} points, so this is not a pass yet. Try again: listen to \
             the target once more{first}.",
            level.pass_points
        )
    });
    paragraphs
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::SystemTime;

    use proptest::prelude::*;

    use super::*;

    /// A small deterministic source of draws in [0, 1) (xorshift64*).
    fn rng(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let x = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            (x >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn the_ladder() {
        let rungs: Vec<(u32, Option<usize>, f64, bool, u32)> = LADDER
            .iter()
            .map(|l| (l.number, l.stems, l.scramble_db, l.flip, l.pass_points))
            .collect();
        assert_eq!(
            rungs,
            [
                (1, Some(2), 10.0, true, 60),
                (2, Some(3), 10.0, true, 70),
                (3, Some(4), 8.0, true, 75),
                (4, None, 8.0, true, 80),
                (5, None, 8.0, false, 70),
            ]
        );
        assert_eq!(level(0), None);
        assert_eq!(level(6), None);
        assert_eq!(level(3), Some(LADDER[2]));
        assert!(LADDER[4].is_memory() && !LADDER[3].is_memory());
        assert_eq!(
            LADDER[0].describe(),
            "Level 1: two stems, faders scrambled up to 10 dB, flip allowed; pass with 60 points"
        );
        assert_eq!(
            LADDER[3].describe(),
            "Level 4: every stem, faders scrambled up to 8 dB, flip allowed; pass with 80 points"
        );
        assert_eq!(
            LADDER[4].describe(),
            "Level 5 (memory): every stem, faders scrambled up to 8 dB, no flip; pass with 70 \
             points"
        );
        let odd = Level {
            number: 9,
            stems: Some(12),
            scramble_db: 7.5,
            flip: true,
            pass_points: 1,
        };
        assert_eq!(
            odd.describe(),
            "Level 9: 12 stems, faders scrambled up to 7.5 dB, flip allowed; pass with 1 points"
        );
    }

    fn record(exercise: &str, level: Option<u32>, score: Option<f64>) -> Record {
        let mut r = Record::new(exercise, Path::new("s.toml"), SystemTime::UNIX_EPOCH);
        r.level = level;
        r.score = score;
        r
    }

    /// Level 1 always; a pass at level n opens n + 1; nothing opens past the top.
    #[test]
    fn unlocking() {
        assert_eq!(highest_unlocked(&[]), 1);
        let fail = record("drill", Some(1), Some(59.0));
        assert_eq!(highest_unlocked(std::slice::from_ref(&fail)), 1);
        let pass = record("drill", Some(1), Some(60.0));
        assert_eq!(highest_unlocked(&[fail.clone(), pass.clone()]), 2);
        let records = [
            pass,
            record("drill", Some(2), Some(70.0)),
            record("drill", Some(3), Some(74.0)),
            record("blindfold", Some(3), Some(100.0)),
            record("drill", None, Some(100.0)),
            record("drill", Some(3), None),
            record("drill", Some(7), Some(100.0)),
        ];
        assert_eq!(highest_unlocked(&records), 3);
        assert_eq!(highest_unlocked(&[record("drill", Some(4), Some(80.0))]), 5);
        assert_eq!(
            highest_unlocked(&[record("drill", Some(5), Some(100.0))]),
            5
        );
    }

    #[test]
    fn choose_stems_picks_distinct_sorted_candidates() {
        let mut random = rng(7);
        let chosen = choose_stems(&[9, 3, 5, 1, 7], 2, &mut random);
        assert_eq!(chosen.len(), 2);
        assert!(chosen.windows(2).all(|w| w[0] < w[1]), "{chosen:?}");
        assert!(chosen.iter().all(|c| [9, 3, 5, 1, 7].contains(c)));
        assert_eq!(choose_stems(&[4, 2, 0], 3, &mut random), [0, 2, 4]);
        assert_eq!(choose_stems(&[4, 2, 0], 10, &mut random), [0, 2, 4]);
        assert_eq!(choose_stems(&[2, 2, 1], 2, &mut random), [1, 2]);
        assert!(choose_stems(&[], 2, &mut random).is_empty());
        assert!(choose_stems(&[1, 2], 0, &mut random).is_empty());
        // A draw at the top of the range (or outside it) still picks a candidate.
        assert_eq!(choose_stems(&[1, 2, 3], 1, &mut || 1.0), [3]);
        assert_eq!(choose_stems(&[1, 2, 3], 1, &mut || f64::NAN), [1]);
        // Every candidate gets picked sometimes.
        let mut seen = [false; 5];
        for _ in 0..200 {
            for c in choose_stems(&[0, 1, 2, 3, 4], 2, &mut random) {
                seen[c] = true;
            }
        }
        assert_eq!(seen, [true; 5]);
    }

    #[test]
    fn scramble_edge_cases() {
        let mut random = rng(3);
        assert!(scramble(0, 10.0, &mut random).is_empty());
        let one = scramble(1, 10.0, &mut random);
        assert_eq!(one.len(), 1);
        assert!(one[0].abs() <= 10.0);
        // Draws that never vary still end, with what they gave.
        assert_eq!(scramble(3, 8.0, &mut || 0.5), [0.0, 0.0, 0.0]);
        assert_eq!(scramble(2, 0.0, &mut random), [0.0, 0.0]);
        assert!(scramble(2, f64::NAN, &mut random).iter().all(|&x| x == 0.0));
        let negative = scramble(4, -6.0, &mut random);
        assert!(spread(&negative) >= 1.5, "{negative:?}");
        // Two offsets: the first draw (-10 + 20·0.25 = -5, and +5) is spread enough.
        let mut draws = [0.25, 0.75].into_iter();
        assert_eq!(
            scramble(2, 10.0, &mut || draws.next().unwrap_or(0.5)),
            [-5.0, 5.0]
        );
        // Too close together (-1, +1: spread 1 < 2.5) is drawn again.
        let mut draws = [0.45, 0.55, 0.0, 0.9].into_iter();
        assert_eq!(
            scramble(2, 10.0, &mut || draws.next().unwrap_or(0.5)),
            [-10.0, 8.0]
        );
    }

    proptest! {
        /// Offsets are within range, on a 0.1 dB grid, and leave a balance to fix.
        #[test]
        fn scramble_invariants(seed in any::<u64>(), count in 0usize..12, range in 0.5..15.0f64) {
            let offsets = scramble(count, range, &mut rng(seed));
            prop_assert_eq!(offsets.len(), count);
            for &x in &offsets {
                prop_assert!(x.abs() <= range, "{} beyond {}", x, range);
                prop_assert!(((x * 10.0).round() - x * 10.0).abs() < 1e-9, "{}", x);
            }
            if count >= 2 {
                prop_assert!(spread(&offsets) >= range / 4.0, "{:?}", offsets);
            }
        }

        /// The stems chosen are `count` distinct candidates, ascending.
        #[test]
        fn choose_stems_invariants(
            seed in any::<u64>(),
            candidates in proptest::collection::vec(0usize..20, 0..12),
            count in 0usize..14,
        ) {
            let chosen = choose_stems(&candidates, count, &mut rng(seed));
            let mut distinct = candidates.clone();
            distinct.sort_unstable();
            distinct.dedup();
            prop_assert_eq!(chosen.len(), count.min(distinct.len()));
            prop_assert!(chosen.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(chosen.iter().all(|c| candidates.contains(c)));
        }

        /// Moving every fader by the same amount moves the estimated loudness by that amount;
        /// the target played at its own faders needs no gain; matching is antisymmetric.
        #[test]
        fn mix_loudness_invariants(
            parts in proptest::collection::vec(
                (-40.0..-10.0f64, -20.0..0.0f64, -20.0..0.0f64),
                1..8,
            ),
            shift in -10.0..10.0f64,
        ) {
            let levels: Vec<ChannelLevel> = parts
                .iter()
                .map(|p| ChannelLevel { loudness_lufs: Some(p.0), ..ChannelLevel::default() })
                .collect();
            let target: Vec<f64> = parts.iter().map(|p| p.1).collect();
            let own: Vec<f64> = parts.iter().map(|p| p.2).collect();
            let shifted: Vec<f64> = own.iter().map(|f| f + shift).collect();
            let a = mix_loudness(&levels, &target, &own).unwrap();
            let b = mix_loudness(&levels, &target, &shifted).unwrap();
            prop_assert!((b - a - shift).abs() < 1e-9);
            prop_assert!(match_gain_db(&levels, &target, &target).abs() < 1e-9);
            let there = match_gain_db(&levels, &target, &own);
            // Measured at `own`, the channel loudnesses would differ; re-measure them.
            let at_own: Vec<ChannelLevel> = levels
                .iter()
                .zip(target.iter().zip(&own))
                .map(|(l, (t, o))| ChannelLevel {
                    loudness_lufs: l.loudness_lufs.map(|x| x + o - t),
                    ..*l
                })
                .collect();
            let back_measured = match_gain_db(&at_own, &own, &target);
            prop_assert!((there + back_measured).abs() < 1e-9, "{} {}", there, back_measured);
            // The mix is at least as loud as its loudest part.
            let loudest = levels
                .iter()
                .zip(target.iter().zip(&own))
                .map(|(l, (t, o))| l.loudness_lufs.unwrap_or(f64::NEG_INFINITY) + o - t)
                .fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(a >= loudest - 1e-9);
        }
    }

    /// Hand-computed: two equal parts at -20 LUFS sum to -16.99 LUFS; turning one off leaves
    /// -20; turning one up 6 dB gives 10·log10(10^-2 + 10^-1.4).
    #[test]
    fn mix_loudness_by_hand() {
        let lufs = |l: Option<f64>| ChannelLevel {
            loudness_lufs: l,
            ..ChannelLevel::default()
        };
        let levels = [lufs(Some(-20.0)), lufs(Some(-20.0)), lufs(None)];
        let target = [-6.0, 0.0, 0.0];
        let two = mix_loudness(&levels, &target, &target).unwrap();
        assert!((two - (-20.0 + 10.0 * 2f64.log10())).abs() < 1e-9, "{two}");
        let off = f64::NEG_INFINITY;
        let one = mix_loudness(&levels, &target, &[-6.0, off, 5.0]).unwrap();
        assert!((one + 20.0).abs() < 1e-9, "{one}");
        let up = mix_loudness(&levels, &target, &[0.0, 0.0, 0.0]).unwrap();
        let expected = 10.0 * (10f64.powf(-2.0) + 10f64.powf(-1.4)).log10();
        assert!((up - expected).abs() < 1e-9, "{up}");
        assert_eq!(mix_loudness(&levels, &target, &[off, off, 0.0]), None);
        assert_eq!(mix_loudness(&[], &[], &[]), None);
        // The target must come up by the difference to match the louder own mix.
        let gain = match_gain_db(&levels, &target, &[0.0, 0.0, 0.0]);
        assert!((gain - (expected - two)).abs() < 1e-9, "{gain}");
        // Unknown loudness: no matching; far apart: clamped.
        assert_eq!(match_gain_db(&[lufs(None)], &[0.0], &[6.0]), 0.0);
        assert_eq!(match_gain_db(&levels, &target, &[-60.0, -60.0, 0.0]), -24.0);
    }

    /// The band demo session (stems faked) with a scene on Chorus 1 and a mute on Bridge.
    fn band(dir: &Path) -> Session {
        let path = dir.join("session.toml");
        std::fs::write(&path, demo::BAND_SESSION).unwrap();
        let mut session = crate::session::file::load_with(&path, &mut |_: &Path| {
            Ok(crate::engine::streams::StemInfo {
                format: "WAV".into(),
                channels: 2,
                sample_rate: 48_000,
                frames: 48_000 * 120,
            })
        })
        .unwrap();
        let chorus = session.section_index("Chorus 1").unwrap();
        session.sections[chorus].gain_db = vec![
            ("Drums".into(), Decibels(-2.0)),
            ("Keys".into(), Decibels::OFF),
        ];
        let bridge = session.section_index("Bridge").unwrap();
        session.sections[bridge].mute = vec!["Bass".into()];
        session
    }

    #[test]
    fn targets_of_the_band_demo() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = band(dir.path());
        let chorus = s.section_index("Chorus 1").unwrap();
        let bridge = s.section_index("Bridge").unwrap();
        let sources = target_sources(&s);
        let labels: Vec<&str> = sources.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "the reference mix's balance",
                "the scene of Chorus 1",
                "the scene of Bridge",
                "the mix as saved"
            ]
        );
        assert_eq!(sources[0].0, TargetSource::Reference);
        assert_eq!(sources[1].0, TargetSource::Scene { section: chorus });
        assert_eq!(sources[2].0, TargetSource::Scene { section: bridge });
        assert_eq!(sources[3].0, TargetSource::Saved);

        let db = |v: &[f64]| v.iter().copied().map(Decibels).collect::<Vec<_>>();
        let off = f64::NEG_INFINITY;
        // Drums, Bass, Crunch guitar, Clean guitar, Keys, Lead vocal.
        assert_eq!(
            target_faders(&s, &TargetSource::Saved),
            db(&[0.0, 0.0, 0.0, 0.0, 0.0, -3.0])
        );
        assert_eq!(
            target_faders(&s, &TargetSource::Reference),
            db(&[-4.0, -6.0, -10.0, -12.0, -13.0, -1.0])
        );
        assert_eq!(
            target_faders(&s, &TargetSource::Scene { section: chorus }),
            db(&[-2.0, 0.0, 0.0, 0.0, off, -3.0])
        );
        assert_eq!(
            target_faders(&s, &TargetSource::Scene { section: bridge }),
            db(&[0.0, off, 0.0, 0.0, 0.0, -3.0])
        );
        assert_eq!(
            target_faders(&s, &TargetSource::Scene { section: 99 }),
            target_faders(&s, &TargetSource::Saved)
        );

        assert_eq!(target_span(&s, &TargetSource::Saved), None);
        assert_eq!(target_span(&s, &TargetSource::Reference), None);
        assert_eq!(
            target_span(&s, &TargetSource::Scene { section: chorus }),
            Some((Seconds(24.0), Seconds(40.0)))
        );
        let last = s.sections.len() - 1;
        assert_eq!(
            target_span(&s, &TargetSource::Scene { section: last }),
            Some((Seconds(104.0), Seconds(120.0)))
        );
        assert_eq!(target_span(&s, &TargetSource::Scene { section: 99 }), None);

        // A muted channel is off in every target.
        s.channels[0].mute = true;
        assert!(target_faders(&s, &TargetSource::Reference)[0].is_off());
        // A channel the reference does not know: no reference target.
        s.channels[0].name = "Drum loop".into();
        let sources = target_sources(&s);
        assert!(sources.iter().all(|(t, _)| *t != TargetSource::Reference));
        s.sections.clear();
        assert_eq!(
            target_sources(&s),
            [(TargetSource::Saved, "the mix as saved".to_string())]
        );
    }

    fn names(names: &[&str]) -> Vec<(String, Option<Role>)> {
        names.iter().map(|n| ((*n).to_string(), None)).collect()
    }

    fn db(values: &[f64]) -> Vec<Decibels> {
        values.iter().copied().map(Decibels).collect()
    }

    /// Hand-computed: differences +3, 0, -1.5 (mean +0.5): errors +2.5, -0.5, -2; rms
    /// sqrt((6.25 + 0.25 + 4) / 3) ≈ 1.871 → 69 points: a fail at level 2, a pass at level 1.
    #[test]
    fn a_round_scored_and_read() {
        let channels = names(&["Bass", "Drums", "Keys"]);
        let own = db(&[-3.0, -4.0, -11.5]);
        let target = db(&[-6.0, -4.0, -10.0]);
        let r = analyse(LADDER[1], &channels, &own, &target);
        let errors: Vec<f64> = r.channels.iter().map(|c| c.error_db).collect();
        assert_eq!(errors, [2.5, -0.5, -2.0]);
        assert_eq!(
            (r.channels[0].own_db, r.channels[0].target_db),
            (-3.0, -6.0)
        );
        assert_eq!(r.score.points, 69);
        assert!(!r.passed);
        let text = r.reading.join("\n");
        assert!(text.contains("You scored 69 points"), "{text}");
        assert!(text.contains("1.9 dB from the target on average"), "{text}");
        assert!(text.contains("on the way"), "{text}");
        assert!(
            text.contains(
                "You kept Bass 2.5 dB too loud and Keys 2.0 dB too quiet against the rest."
            ),
            "{text}"
        );
        assert!(!text.contains("Drums"), "{text}");
        assert!(text.contains("Level 2 needs 70 points"), "{text}");
        assert!(text.contains("fix Bass first"), "{text}");

        let r = analyse(LADDER[0], &channels, &own, &target);
        assert!(r.passed);
        let text = r.reading.join("\n");
        assert!(
            text.contains(
                "You passed level 1, which needs 60 points, so level 2 is open: three stems, \
                 faders scrambled up to 10 dB, flip allowed."
            ),
            "{text}"
        );
        for paragraph in &r.reading {
            assert!(paragraph.matches(". ").count() <= 1, "{paragraph}");
        }
    }

    /// A perfect round 6 dB louder passes the top level; channels off on one side are named.
    #[test]
    fn the_top_and_off_channels() {
        let channels = names(&["Bass", "Drums"]);
        let r = analyse(LADDER[4], &channels, &db(&[0.0, -2.0]), &db(&[-6.0, -8.0]));
        assert_eq!(r.score.points, 100);
        assert!(r.passed);
        let text = r.reading.join("\n");
        assert!(text.contains("very close"), "{text}");
        assert!(text.contains("Every part is within 1 dB"), "{text}");
        assert!(text.contains("the top of the ladder"), "{text}");

        let off = f64::NEG_INFINITY;
        let channels = names(&["Bass", "Drums", "Keys", "Pad"]);
        let r = analyse(
            LADDER[3],
            &channels,
            &db(&[0.0, 0.0, off, -5.0]),
            &db(&[0.0, 0.0, -6.0, off]),
        );
        assert!(!r.passed);
        let text = r.reading.join("\n");
        assert!(
            text.contains("You turned Keys off, but the target has it playing."),
            "{text}"
        );
        assert!(
            text.contains("You left Pad playing, but the target has it off."),
            "{text}"
        );
        assert!(text.contains("still far from the target"), "{text}");
    }

    /// Mismatched lists are cut to the shortest; NaN counts as off, not as an error.
    #[test]
    fn odd_input_does_not_panic() {
        let r = analyse(
            LADDER[0],
            &names(&["A", "B", "C"]),
            &db(&[0.0, f64::NAN]),
            &db(&[0.0, 0.0, 0.0]),
        );
        assert_eq!(r.channels.len(), 2);
        assert_eq!(r.channels[1].own_db, f64::NEG_INFINITY);
        let r = analyse(LADDER[0], &[], &[], &[]);
        assert_eq!(r.score.points, 100);
        assert!(r.channels.is_empty());
    }
}
