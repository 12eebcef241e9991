//! The Emotional Arc Exercise's results: two balances of the same song, one per section (a
//! verse and a chorus), made by ear from the same scrambled start, and how the second differs
//! from the first.
//!
//! For each channel on (fader not off) in both balances:
//!
//! 1. **Change**: its fader in the second balance minus its fader in the first, dB.
//! 2. **Common change**: the mean change. Turning the whole mix up for the chorus is a change of
//!    level, not of balance, so it is taken out.
//! 3. **Balance change**: the change minus the common change. At least +1 dB: the part *came
//!    forward* in the second section; at most -1 dB: it *stepped back*.
//! 4. **Contrast**: the RMS of the balance changes, dB: how much the shape of the mix changes.
//!    Under 0.75 dB the two balances are nearly the same.
//!
//! A channel off in one or both balances has no change; the reading names it. Nothing here is
//! scored: there is no right answer, only the user's own arc.

use crate::exercise::blindfold::{join_list, magnitude_db, signed_db};
use crate::session::{Role, Section};
use crate::units::Decibels;

/// A balance change of at least this many dB (either way) is named in the reading.
pub const MOVE_DB: f64 = 1.0;

/// A contrast under this many dB means the two balances are nearly the same.
pub const FLAT_CONTRAST_DB: f64 = 0.75;

/// The default pair of sections to balance: the first whose name has a word starting with
/// "verse" and the first after it whose name has a word starting with "chorus"
/// (case-insensitive; a "pre-chorus" or "post-chorus" is not a chorus); falling back to the
/// first two sections. `None` with fewer than two sections. The two always differ.
pub fn default_pair(sections: &[Section]) -> Option<(usize, usize)> {
    if sections.len() < 2 {
        return None;
    }
    let verse = sections.iter().position(|s| is_verse(&s.name));
    let chorus = verse.and_then(|v| {
        sections
            .iter()
            .enumerate()
            .skip(v + 1)
            .find(|(_, s)| is_chorus(&s.name))
            .map(|(c, _)| (v, c))
    });
    Some(chorus.unwrap_or((0, 1)))
}

/// The words of a name, lower-cased: runs of letters and digits.
fn words(name: &str) -> Vec<String> {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// "Verse 1", "VERSE", "verse2", "Last verse"; not "Universe".
fn is_verse(name: &str) -> bool {
    words(name).iter().any(|w| w.starts_with("verse"))
}

/// "Chorus 1", "Final chorus", "chorus2"; not "Pre-chorus", "Post chorus" or "Prechorus".
fn is_chorus(name: &str) -> bool {
    let words = words(name);
    words.iter().enumerate().any(|(i, w)| {
        w.starts_with("chorus") && !(i > 0 && matches!(words[i - 1].as_str(), "pre" | "post"))
    })
}

/// How one channel changed from the first balance to the second.
#[derive(Debug, Clone, PartialEq)]
pub struct ArcChange {
    /// The channel's name.
    pub name: String,
    /// Its role.
    pub role: Option<Role>,
    /// Its fader in the first balance, dB; `-inf` = off.
    pub first_db: f64,
    /// Its fader in the second balance, dB; `-inf` = off.
    pub second_db: f64,
    /// Second minus first, dB; `None` when off in either.
    pub change_db: Option<f64>,
    /// The change minus the common change, dB: positive means it came forward in the second
    /// section. `None` when off in either.
    pub balance_db: Option<f64>,
}

/// The whole result.
#[derive(Debug, Clone, PartialEq)]
pub struct ArcResult {
    /// The first section's name.
    pub first: String,
    /// The second section's name.
    pub second: String,
    /// Every channel, in the order given.
    pub channels: Vec<ArcChange>,
    /// The mean change over the channels on in both, dB (0 when there are none).
    pub common_db: f64,
    /// The RMS of the balance changes over the channels on in both, dB (0 when there are none).
    pub contrast_db: f64,
    /// What the result means, in short paragraphs for the user.
    pub reading: Vec<String>,
}

/// Compares the `second` balance (faders, one per channel) with the `first`. The three lists
/// go together by position; extra entries in the longer ones are ignored.
pub fn analyse(
    channels: &[(String, Option<Role>)],
    first: &[Decibels],
    second: &[Decibels],
    first_name: &str,
    second_name: &str,
) -> ArcResult {
    let on = |db: Decibels| db.0.is_finite();
    let mut changes: Vec<ArcChange> = channels
        .iter()
        .zip(first.iter().zip(second))
        .map(|((name, role), (&a, &b))| ArcChange {
            name: name.clone(),
            role: *role,
            first_db: a.0,
            second_db: b.0,
            change_db: (on(a) && on(b)).then_some(b.0 - a.0),
            balance_db: None,
        })
        .collect();
    let counted: Vec<f64> = changes.iter().filter_map(|c| c.change_db).collect();
    let common_db = if counted.is_empty() {
        0.0
    } else {
        counted.iter().sum::<f64>() / counted.len() as f64
    };
    for change in &mut changes {
        change.balance_db = change.change_db.map(|d| d - common_db);
    }
    let contrast_db = if counted.is_empty() {
        0.0
    } else {
        (counted.iter().map(|d| (d - common_db).powi(2)).sum::<f64>() / counted.len() as f64).sqrt()
    };
    let reading = reading(
        &changes,
        common_db,
        contrast_db,
        counted.len(),
        first_name,
        second_name,
    );
    ArcResult {
        first: first_name.to_string(),
        second: second_name.to_string(),
        channels: changes,
        common_db,
        contrast_db,
        reading,
    }
}

/// "it" or "they" for a list of `n`.
fn pronoun(n: usize) -> &'static str {
    if n == 1 { "it" } else { "they" }
}

/// The paragraphs of the reading.
fn reading(
    changes: &[ArcChange],
    common: f64,
    contrast: f64,
    counted: usize,
    first: &str,
    second: &str,
) -> Vec<String> {
    let mut paragraphs = Vec::with_capacity(4);
    let off = off_paragraph(changes, first, second);
    if counted == 0 {
        paragraphs.push(format!(
            "No part was on in both {first} and {second}, so there is no change of balance to \
             show."
        ));
        paragraphs.extend(off);
        return paragraphs;
    }
    paragraphs.push(if common.abs() < 0.5 {
        format!(
            "From {first} to {second} the whole mix stayed at about the same level. Any change \
             is in the balance."
        )
    } else {
        format!(
            "From {first} to {second} you brought the whole mix {} by {}. That is the overall \
             level, not the balance, so it is taken out of what follows.",
            if common > 0.0 { "up" } else { "down" },
            magnitude_db(common)
        )
    });

    let mut moved: Vec<(&str, f64)> = changes
        .iter()
        .filter_map(|c| c.balance_db.map(|b| (c.name.as_str(), b)))
        .filter(|(_, b)| b.abs() >= MOVE_DB)
        .collect();
    moved.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let named = |forward: bool| -> Vec<String> {
        moved
            .iter()
            .filter(|(_, b)| (*b > 0.0) == forward)
            .map(|(name, b)| format!("{name} ({})", signed_db(*b)))
            .collect()
    };
    let (forward, back) = (named(true), named(false));
    let mut sentences = Vec::with_capacity(2);
    if !forward.is_empty() {
        sentences.push(format!(
            "In {second}, {} came forward.",
            join_list(&forward)
        ));
    }
    if !back.is_empty() {
        sentences.push(format!(
            "{} stepped back{}.",
            join_list(&back),
            if forward.is_empty() {
                format!(" in {second}")
            } else {
                String::new()
            }
        ));
    }
    if sentences.is_empty() {
        sentences.push(format!(
            "No part moved by {MOVE_DB} dB or more against the rest from {first} to {second}."
        ));
    }
    paragraphs.push(sentences.join(" "));
    paragraphs.extend(off);

    paragraphs.push(if contrast < FLAT_CONTRAST_DB {
        format!(
            "Your two balances are nearly the same: the parts moved only {} against each other \
             on average. That suits a steady song; if {second} should lift, try bringing one or \
             two parts forward.",
            magnitude_db(contrast)
        )
    } else {
        format!(
            "On average the parts moved {} against each other: the song changes shape from \
             {first} to {second}.",
            magnitude_db(contrast)
        )
    });
    paragraphs
}

/// The paragraph about channels turned off in one balance or both; `None` when none were.
fn off_paragraph(changes: &[ArcChange], first: &str, second: &str) -> Option<String> {
    let off = |db: f64| !db.is_finite();
    let names = |keep: &dyn Fn(&ArcChange) -> bool| -> Vec<String> {
        changes
            .iter()
            .filter(|c| keep(c))
            .map(|c| c.name.clone())
            .collect()
    };
    let only_first = names(&|c| off(c.first_db) && !off(c.second_db));
    let only_second = names(&|c| !off(c.first_db) && off(c.second_db));
    let both = names(&|c| off(c.first_db) && off(c.second_db));
    let mut sentences = Vec::with_capacity(3);
    if !only_first.is_empty() {
        sentences.push(format!(
            "You turned {} off in {first} only, so {} {} in for {second}.",
            join_list(&only_first),
            pronoun(only_first.len()),
            if only_first.len() == 1 {
                "comes"
            } else {
                "come"
            }
        ));
    }
    if !only_second.is_empty() {
        sentences.push(format!(
            "You turned {} off in {second} only, so {} {} out there.",
            join_list(&only_second),
            pronoun(only_second.len()),
            if only_second.len() == 1 {
                "sits"
            } else {
                "sit"
            }
        ));
    }
    if !both.is_empty() {
        sentences.push(format!("{} stayed off in both.", join_list(&both)));
    }
    (!sentences.is_empty()).then(|| sentences.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Seconds;

    fn sections(names: &[&str]) -> Vec<Section> {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| Section {
                name: (*name).to_string(),
                start: Seconds(i as f64 * 10.0),
                gain_db: Vec::new(),
                mute: Vec::new(),
                ramp_ms: None,
            })
            .collect()
    }

    /// The first verse and the first chorus after it, case-insensitive, skipping pre-choruses;
    /// otherwise the first two sections; nothing with fewer than two.
    #[test]
    fn default_pair_finds_a_verse_and_its_chorus() {
        let pair = |names: &[&str]| default_pair(&sections(names));
        assert_eq!(
            pair(&["Intro", "Verse 1", "Chorus 1", "Verse 2"]),
            Some((1, 2))
        );
        assert_eq!(
            pair(&["Intro", "VERSE", "Pre-chorus", "Prechorus", "final CHORUS"]),
            Some((1, 4))
        );
        // A chorus before the first verse does not count; the one after does.
        assert_eq!(
            pair(&["Chorus", "Verse", "Bridge", "Chorus 2"]),
            Some((1, 3))
        );
        // No chorus after the verse, no verse, or no such words at all: the first two.
        assert_eq!(pair(&["Chorus", "Verse"]), Some((0, 1)));
        assert_eq!(pair(&["Intro", "Chorus", "Outro"]), Some((0, 1)));
        assert_eq!(pair(&["A", "B", "C"]), Some((0, 1)));
        assert_eq!(pair(&["Universe", "Chorus"]), Some((0, 1)));
        assert_eq!(pair(&["verse2", "chorus2"]), Some((0, 1)));
        assert_eq!(pair(&["Verse"]), None);
        assert_eq!(pair(&[]), None);
    }

    fn channels(names: &[&str]) -> Vec<(String, Option<Role>)> {
        names.iter().map(|n| ((*n).to_string(), None)).collect()
    }

    fn db(values: &[f64]) -> Vec<Decibels> {
        values.iter().copied().map(Decibels).collect()
    }

    const OFF: f64 = f64::NEG_INFINITY;

    /// Hand-computed: changes +4, +1, -2 (Keys off in the verse, Pad off in both); common +1;
    /// balance +3, 0, -3; contrast sqrt(6).
    #[test]
    fn changes_common_balance_and_contrast() {
        let names = channels(&["Drums", "Bass", "Vocal", "Keys", "Pad"]);
        let verse = db(&[-6.0, -8.0, -2.0, OFF, OFF]);
        let chorus = db(&[-2.0, -7.0, -4.0, -10.0, OFF]);
        let r = analyse(&names, &verse, &chorus, "Verse 1", "Chorus 1");
        assert_eq!(
            (r.first.as_str(), r.second.as_str()),
            ("Verse 1", "Chorus 1")
        );
        assert_eq!(r.common_db, 1.0);
        assert!((r.contrast_db - 6f64.sqrt()).abs() < 1e-12);
        let changes: Vec<Option<f64>> = r.channels.iter().map(|c| c.change_db).collect();
        assert_eq!(changes, [Some(4.0), Some(1.0), Some(-2.0), None, None]);
        let balance: Vec<Option<f64>> = r.channels.iter().map(|c| c.balance_db).collect();
        assert_eq!(balance, [Some(3.0), Some(0.0), Some(-3.0), None, None]);
        assert_eq!(
            (r.channels[3].first_db, r.channels[3].second_db),
            (OFF, -10.0)
        );

        let text = r.reading.join("\n");
        assert!(
            text.contains("you brought the whole mix up by 1.0 dB"),
            "{text}"
        );
        assert!(text.contains("not the balance"), "{text}");
        assert!(
            text.contains("In Chorus 1, Drums (+3.0 dB) came forward."),
            "{text}"
        );
        assert!(text.contains("Vocal (-3.0 dB) stepped back."), "{text}");
        assert!(!text.contains("Bass"), "{text}");
        assert!(
            text.contains("You turned Keys off in Verse 1 only, so it comes in for Chorus 1."),
            "{text}"
        );
        assert!(text.contains("Pad stayed off in both."), "{text}");
        assert!(text.contains("moved 2.4 dB against each other"), "{text}");
    }

    /// Movers are named biggest first; a near-zero contrast says the balances are the same.
    #[test]
    fn ordering_and_a_flat_arc() {
        let names = channels(&["A", "B", "C", "D"]);
        // Changes +1.5, -3, +2.5, -1; common 0.
        let r = analyse(
            &names,
            &db(&[0.0; 4]),
            &db(&[1.5, -3.0, 2.5, -1.0]),
            "Verse",
            "Chorus",
        );
        let text = r.reading.join("\n");
        assert!(text.contains("stayed at about the same level"), "{text}");
        assert!(
            text.contains("In Chorus, C (+2.5 dB) and A (+1.5 dB) came forward."),
            "{text}"
        );
        assert!(
            text.contains("B (-3.0 dB) and D (-1.0 dB) stepped back."),
            "{text}"
        );

        // Everything 4 dB down, one part 0.6 dB off the rest: contrast under 0.75.
        let r = analyse(
            &channels(&["A", "B"]),
            &db(&[0.0, 0.0]),
            &db(&[-4.6, -3.4]),
            "Verse",
            "Chorus",
        );
        assert!((r.common_db + 4.0).abs() < 1e-12);
        assert!((r.contrast_db - 0.6).abs() < 1e-9);
        let text = r.reading.join("\n");
        assert!(text.contains("down by 4.0 dB"), "{text}");
        assert!(text.contains("No part moved by 1 dB or more"), "{text}");
        assert!(text.contains("nearly the same"), "{text}");
        assert!(text.contains("if Chorus should lift"), "{text}");
        for paragraph in &r.reading {
            assert!(paragraph.matches(". ").count() <= 1, "{paragraph}");
        }
    }

    /// Channels turned off in the second section are named; with nothing on in both there is
    /// nothing to compare; mismatched lists are cut to the shortest.
    #[test]
    fn off_channels_and_edge_cases() {
        let names = channels(&["A", "B", "C"]);
        let r = analyse(
            &names,
            &db(&[0.0, 0.0, -3.0]),
            &db(&[0.0, OFF, OFF]),
            "V",
            "C",
        );
        let text = r.reading.join("\n");
        assert!(
            text.contains("You turned B and C off in C only, so they sit out there."),
            "{text}"
        );
        assert_eq!((r.common_db, r.contrast_db), (0.0, 0.0));

        let r = analyse(&names, &db(&[OFF, 0.0]), &db(&[0.0, OFF]), "V", "C");
        assert_eq!(r.channels.len(), 2);
        assert_eq!((r.common_db, r.contrast_db), (0.0, 0.0));
        assert!(
            r.reading[0].contains("No part was on in both"),
            "{:?}",
            r.reading
        );
        assert_eq!(r.reading.len(), 2);
    }
}
