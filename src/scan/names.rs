//! Stem file names made into channel names: natural order, cleaning, the words role rules
//! match, and the left/right halves of a split-stereo pair.

use std::cmp::Ordering;

/// Compares two names as a person sorts them: runs of digits by their value ("2" before "10"),
/// everything else ignoring case; ties are broken by the exact text, so the order is total.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let mut left = a.chars().peekable();
    let mut right = b.chars().peekable();
    loop {
        let order = match (left.peek().copied(), right.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(one), Some(other)) if one.is_ascii_digit() && other.is_ascii_digit() => {
                let (m, n) = (digit_run(&mut left), digit_run(&mut right));
                let (m, n) = (m.trim_start_matches('0'), n.trim_start_matches('0'));
                m.len().cmp(&n.len()).then_with(|| m.cmp(n))
            }
            (Some(one), Some(other)) => {
                left.next();
                right.next();
                one.to_lowercase().cmp(other.to_lowercase())
            }
        };
        if order != Ordering::Equal {
            return order;
        }
    }
}

/// The digits at the front of `chars`, taken off it.
fn digit_run(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut digits = String::new();
    while let Some(c) = chars.next_if(char::is_ascii_digit) {
        digits.push(c);
    }
    digits
}

/// A stem's file name made readable, before names are made unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanName {
    /// The name without a take number ("Kick In" from `Kick In_01`).
    pub name: String,
    /// The name with its take number, used when two stems would otherwise share a name
    /// ("Gtr 01" from `Gtr_01`); the same as `name` when there is none.
    pub with_take: String,
}

/// Cleans a file name without its extension: a numeric track prefix ("01 ", "02_", "10-",
/// "3. ") and the song's name (`song`, as a prefix, as Logic writes `Song_Bass#01`) are taken
/// off, underscores and runs of spaces become one space, and a take number at the end
/// ("_01", "#01", Pro Tools and Logic) is held apart. A name that would become empty stays as
/// it was written.
pub fn clean(stem: &str, song: &str) -> CleanName {
    let spaced = tidy(stem);
    let mut name = strip_track_number(&spaced);
    if let Some(rest) = strip_prefix_words(name, &tidy(song)) {
        name = rest;
    }
    let (base, take) = split_take(stem, name);
    let with_take = match take {
        Some(take) => format!("{base} {take}"),
        None => base.to_string(),
    };
    CleanName {
        name: base.to_string(),
        with_take,
    }
}

/// Underscores and runs of white space made one space, trimmed.
fn tidy(text: &str) -> String {
    text.replace('_', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` without a leading track number and the separator after it, unless nothing but the
/// number is left ("808" stays "808").
fn strip_track_number(text: &str) -> &str {
    let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return text;
    }
    let rest = &text[digits..];
    let after = rest.trim_start_matches([' ', '.', '-', ')']);
    // "3D Synth": a number run straight into a word is part of the name.
    if after.len() == rest.len() || after.is_empty() {
        return text;
    }
    after
}

/// `text` without `prefix` and a separator after it, when `text` starts with it as whole words
/// (ignoring case) and something is left.
fn strip_prefix_words<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix.is_empty() || text.len() <= prefix.len() {
        return None;
    }
    let (head, rest) = text.split_at_checked(prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let after = rest.trim_start_matches([' ', '-', '.']);
    (after.len() < rest.len() && !after.is_empty()).then_some(after)
}

/// Splits a take number off the end of `name` when the raw file name marks it as one: digits
/// after `#` (Logic) or after `_` (Pro Tools, `Kick In_01`). Returns the name and the take.
fn split_take<'a>(raw: &str, name: &'a str) -> (&'a str, Option<&'a str>) {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits == name.len() {
        return (name, None);
    }
    let raw_digits = raw.len() - raw.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let marked = raw_digits == digits
        && raw[..raw.len() - digits]
            .chars()
            .next_back()
            .is_some_and(|c| c == '#' || c == '_');
    if !marked {
        return (name, None);
    }
    let base = name[..name.len() - digits].trim_end_matches([' ', '#', '-', '.']);
    if base.is_empty() {
        return (name, None);
    }
    (base, Some(&name[name.len() - digits..]))
}

/// The words of a name as role rules see them, lower case: cut at anything not a letter or
/// digit, between letters and digits ("vox2"), and where a lower-case letter meets a capital
/// (`LeadVox`).
pub fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev: Option<char> = None;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            prev = None;
            continue;
        }
        if let Some(p) = prev {
            let boundary = (p.is_alphabetic() && c.is_numeric())
                || (p.is_numeric() && c.is_alphabetic())
                || (p.is_lowercase() && c.is_uppercase());
            if boundary && !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
        }
        word.extend(c.to_lowercase());
        prev = Some(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Which half of a split-stereo pair a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

/// The name of the pair and the side, when `name` ends in a side marker after a separator:
/// `Piano L`, `Piano.L`, `Piano_L`, `Piano-L`, `Piano Left`, `Piano (L)` (any case for the
/// words, an upper- or lower-case single letter).
pub fn side_of(name: &str) -> Option<(String, Side)> {
    let trimmed = name.trim_end();
    let (head, marker) = if let Some(inner) = trimmed.strip_suffix(')') {
        let open = inner.rfind('(')?;
        (&inner[..open], &inner[open + 1..])
    } else {
        let cut = trimmed.rfind([' ', '.', '_', '-'])?;
        (&trimmed[..cut], &trimmed[cut + 1..])
    };
    let side = match marker.to_ascii_lowercase().as_str() {
        "l" | "left" | "lt" => Side::Left,
        "r" | "right" | "rt" => Side::Right,
        _ => return None,
    };
    let base = head.trim_end_matches([' ', '.', '_', '-']).trim_end();
    if base.is_empty() {
        return None;
    }
    Some((base.to_string(), side))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Digits sort by value, letters ignore case, and ties fall back to the exact text.
    #[test]
    fn natural_order_puts_2_before_10() {
        let mut names = vec![
            "10 Vox.wav",
            "9 Gtr.wav",
            "01 Drums.wav",
            "2 Bass.wav",
            "bass.wav",
            "Bass.wav",
            "Tom 10.wav",
            "Tom 2.wav",
            "Tom 02.wav",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "01 Drums.wav",
                "2 Bass.wav",
                "9 Gtr.wav",
                "10 Vox.wav",
                "Bass.wav",
                "bass.wav",
                "Tom 02.wav",
                "Tom 2.wav",
                "Tom 10.wav",
            ]
        );
    }

    /// Track numbers, underscores, the song's name and take numbers come off; what is left is
    /// a name a musician would write.
    #[test]
    fn names_are_cleaned_from_daw_file_names() {
        let cases = [
            ("01 Drums", "", "Drums", "Drums"),
            ("02_Bass_DI", "", "Bass DI", "Bass DI"),
            ("10-Vox", "", "Vox", "Vox"),
            ("3. Piano", "", "Piano", "Piano"),
            ("Kick In_01", "", "Kick In", "Kick In 01"),
            ("My Song_Bass#01", "My Song", "Bass", "Bass 01"),
            ("Song_Bass#01", "song", "Bass", "Bass 01"),
            ("808", "", "808", "808"),
            ("3D Synth", "", "3D Synth", "3D Synth"),
            ("Tom 2", "", "Tom 2", "Tom 2"),
            ("  Lead   Vox  ", "", "Lead Vox", "Lead Vox"),
            ("01", "", "01", "01"),
            ("_01", "", "01", "01"),
            ("Songbird", "Song", "Songbird", "Songbird"),
        ];
        for (stem, song, name, with_take) in cases {
            let clean = clean(stem, song);
            assert_eq!(clean.name, name, "{stem:?}");
            assert_eq!(clean.with_take, with_take, "{stem:?}");
        }
    }

    /// Words split at punctuation, letter/digit changes and camel case, in lower case.
    #[test]
    fn words_split_like_a_reader_would() {
        assert_eq!(words("LeadVox2"), ["lead", "vox", "2"]);
        assert_eq!(words("Sn_Top"), ["sn", "top"]);
        assert_eq!(words("BVs"), ["bvs"]);
        assert_eq!(words("Hi-Hat"), ["hi", "hat"]);
        assert_eq!(words("OH.L"), ["oh", "l"]);
        assert!(words(" - ").is_empty());
    }

    /// Side markers after a separator make a pair's half; a name that is only a marker, or a
    /// word merely ending in L, does not.
    #[test]
    fn sides_are_found_after_a_separator() {
        let left = |base: &str| Some((base.to_string(), Side::Left));
        let right = |base: &str| Some((base.to_string(), Side::Right));
        assert_eq!(side_of("Piano L"), left("Piano"));
        assert_eq!(side_of("Piano.R"), right("Piano"));
        assert_eq!(side_of("Piano_L"), left("Piano"));
        assert_eq!(side_of("OH-r"), right("OH"));
        assert_eq!(side_of("Synth Left"), left("Synth"));
        assert_eq!(side_of("Synth RIGHT"), right("Synth"));
        assert_eq!(side_of("Keys (L)"), left("Keys"));
        assert_eq!(side_of("Bell"), None);
        assert_eq!(side_of("L"), None);
        assert_eq!(side_of(" R"), None);
        assert_eq!(side_of("Guitar Lead"), None);
    }
}
