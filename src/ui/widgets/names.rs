//! Channel names shortened to a strip's width (UI thread), each told apart from the others.
//!
//! Stems exported from a DAW share beginnings: "Kick In" / "Kick Out", "Rhythm Guitar L" /
//! "Rhythm Guitar R", "Rhy gtr 1" / "Rhy gtr 2". Cutting each name at its end shows the same
//! "Rhythm…" twice. [`strip_names`] keeps the part that tells a name from the others: the
//! start of the name, the mark, then the words from where it first differs from the name most
//! like it ("Rhyt…L", "Kic…In", "Rhy…1"). Where that still leaves two alike it cuts those names
//! at their end, as far right as the room allows, so the first character that differs shows
//! whenever there is room for it.

use crate::ui::widgets::text::{char_width, shorten, width};

/// `names` shortened to at most `room` cells each, ending or broken by `ellipsis` where
/// something was cut. A name that fits is kept whole. Distinct names come out distinct
/// whenever each one's start up to the first character that tells it from every other name,
/// plus the mark, fits in `room` (and no name holds the mark itself).
pub fn strip_names(names: &[&str], room: usize, ellipsis: &str) -> Vec<String> {
    let chars: Vec<Vec<char>> = names.iter().map(|n| n.chars().collect()).collect();
    let differs_at: Vec<usize> = (0..names.len())
        .map(|i| {
            (0..names.len())
                .filter(|&j| names[j] != names[i])
                .map(|j| common_prefix(&chars[i], &chars[j]))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out: Vec<String> = names
        .iter()
        .zip(&chars)
        .zip(&differs_at)
        .map(|((name, chars), &at)| abbreviate(name, chars, at, room, ellipsis))
        .collect();
    // Names still alike get their first character and the start of the telling part
    // ("L…Dou…"), then, if still alike, are cut at their end, one round at a time, until none
    // are.
    let mut stage = vec![0u8; names.len()];
    loop {
        let mut changed = false;
        for i in 0..names.len() {
            let clash =
                (0..names.len()).any(|j| j != i && names[j] != names[i] && out[j] == out[i]);
            if !clash || stage[i] >= 2 || width(names[i]) <= room {
                continue;
            }
            let both_cut = (stage[i] == 0)
                .then(|| both_ends(names[i], &chars[i], differs_at[i], room, ellipsis))
                .flatten()
                .filter(|text| *text != out[i]);
            if let Some(text) = both_cut {
                out[i] = text;
                stage[i] = 1;
            } else {
                out[i] = cut_end(names[i], room, ellipsis);
                stage[i] = 2;
            }
            changed = true;
        }
        if !changed {
            return out;
        }
    }
}

/// `name`'s first character, the mark, and the start of its telling part cut to fit with the
/// mark: "L…Dou…" for "Lead Vocal Double" beside "Lead Vocal" in 6 cells.
fn both_ends(
    name: &str,
    chars: &[char],
    differs_at: usize,
    room: usize,
    ellipsis: &str,
) -> Option<String> {
    let start = telling_starts(chars, differs_at).into_iter().next()?;
    let first = *chars.first()?;
    let tail: String = chars[start..].iter().collect();
    let tail_room = room.checked_sub(char_width(first) + width(ellipsis))?;
    let tail = cut_end(tail.trim_start(), tail_room, ellipsis);
    let kept = tail.strip_suffix(ellipsis).unwrap_or(&tail);
    (start > 0 && !kept.is_empty() && width(name) > room)
        .then(|| format!("{first}{ellipsis}{tail}"))
}

/// Where the part of a name that tells it apart may start, best first, given the first
/// character where it differs from the name most like it: the word holding the difference
/// (a space there: the word after it), or the number holding it; in a one-word name, the
/// number or the character itself ("Guitar1"). Empty when the difference is at the end.
fn telling_starts(chars: &[char], differs_at: usize) -> Vec<usize> {
    let mut differs_at = differs_at;
    while differs_at < chars.len() && chars[differs_at].is_whitespace() {
        differs_at += 1;
    }
    if differs_at == 0 || differs_at >= chars.len() {
        return Vec::new();
    }
    let word = chars[..differs_at]
        .iter()
        .rposition(|c| c.is_whitespace())
        .map_or(0, |at| at + 1);
    let mut digits = differs_at;
    while digits > 0 && chars[digits].is_ascii_digit() && chars[digits - 1].is_ascii_digit() {
        digits -= 1;
    }
    let mut starts = Vec::with_capacity(2);
    if word > 0 {
        starts.push(word);
    }
    if word == 0 || (digits > word && chars[digits].is_ascii_digit()) {
        starts.push(digits);
    }
    starts
}

/// How many characters `a` and `b` begin with alike.
fn common_prefix(a: &[char], b: &[char]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// `name` cut after as many characters as fit in `room` cells with `ellipsis`.
fn cut_end(name: &str, room: usize, ellipsis: &str) -> String {
    let Some(budget) = room.checked_sub(width(ellipsis)) else {
        return String::new();
    };
    let mut used = 0;
    let mut end = 0;
    for (at, c) in name.char_indices() {
        used += char_width(c);
        if used > budget {
            break;
        }
        end = at + c.len_utf8();
    }
    format!("{}{ellipsis}", name[..end].trim_end())
}

/// One name (`chars` are its characters) in `room` cells, keeping the part from `differs_at`
/// (the first character where it differs from the name most like it) when that helps.
fn abbreviate(
    name: &str,
    chars: &[char],
    differs_at: usize,
    room: usize,
    ellipsis: &str,
) -> String {
    if width(name) <= room {
        return name.to_owned();
    }
    let plain = || shorten(name, room, ellipsis).into_owned();
    if differs_at == 0 || differs_at >= chars.len() {
        return plain();
    }
    let starts = telling_starts(chars, differs_at);
    let byte = |at: usize| chars[..at].iter().map(|c| c.len_utf8()).sum::<usize>();
    for start in starts {
        let head = name[..byte(start)].trim_end();
        let tail = name[byte(start)..].trim_start();
        if head.is_empty() || tail.is_empty() {
            continue;
        }
        // No space is added between them: a strip's name may fill its width, and the single
        // column between strips must keep reading as the gap between two names.
        let Some(head_room) = room.checked_sub(width(tail)) else {
            continue;
        };
        let first = head.chars().next().map_or(0, char_width);
        if head_room < first + width(ellipsis) {
            continue;
        }
        let head = cut_end(head, head_room, ellipsis);
        let head = head
            .strip_suffix(ellipsis)
            .map_or(head.as_str(), |h| h)
            .trim_end_matches(|c: char| c.is_whitespace() || "-_,;:/(".contains(c));
        if head.is_empty() {
            continue;
        }
        return format!("{head}{ellipsis}{tail}");
    }
    plain()
}

/// Ten channel names as a DAW exports them, several sharing their beginnings: the console's
/// tests read them at many widths.
#[cfg(test)]
pub(crate) const DAW_EXPORT: [&str; 10] = [
    "Kick In",
    "Kick Out",
    "Snare Top",
    "Snare Bottom",
    "Rhythm Guitar L",
    "Rhythm Guitar R",
    "Rhy gtr 1",
    "Rhy gtr 2",
    "Lead Vocal",
    "Lead Vocal Double",
];

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The names of one set at one width, with the unicode mark.
    fn at(names: &[&str], room: usize) -> Vec<String> {
        strip_names(names, room, "…")
    }

    /// Names that share a beginning keep what tells them apart, at the widths strips have
    /// from 80 to 160 columns (5 to 15 cells); names that fit stay whole; names with nothing in
    /// common are cut at their end, after a whole word where that keeps half the room.
    #[test]
    fn shared_beginnings_keep_their_difference() {
        let cases: &[(&[&str], usize, &[&str])] = &[
            (
                &["Rhythm Guitar L", "Rhythm Guitar R"],
                5,
                &["Rhy…L", "Rhy…R"],
            ),
            (
                &["Rhythm Guitar L", "Rhythm Guitar R"],
                6,
                &["Rhyt…L", "Rhyt…R"],
            ),
            (
                &["Rhythm Guitar L", "Rhythm Guitar R"],
                8,
                &["Rhythm…L", "Rhythm…R"],
            ),
            (
                &["Rhythm Guitar L", "Rhythm Guitar R"],
                12,
                &["Rhythm Gui…L", "Rhythm Gui…R"],
            ),
            (
                &["Rhythm Guitar L", "Rhythm Guitar R"],
                15,
                &["Rhythm Guitar L", "Rhythm Guitar R"],
            ),
            (&["Rhy gtr 1", "Rhy gtr 2"], 6, &["Rhy…1", "Rhy…2"]),
            (&["Rhy gtr 1", "Rhy gtr 2"], 8, &["Rhy gt…1", "Rhy gt…2"]),
            (&["Rhy gtr 1", "Rhy gtr 2"], 9, &["Rhy gtr 1", "Rhy gtr 2"]),
            (&["Kick In", "Kick Out"], 5, &["Ki…In", "K…Out"]),
            (&["Kick In", "Kick Out"], 6, &["Kic…In", "Ki…Out"]),
            (&["Kick In", "Kick Out"], 7, &["Kick In", "Kic…Out"]),
            (&["Snare Top", "Snare Bottom"], 6, &["Sn…Top", "Snare…"]),
            (&["Snare Top", "Snare Bottom"], 8, &["Snar…Top", "S…Bottom"]),
            (
                &["Snare Top", "Snare Bottom"],
                10,
                &["Snare Top", "Sna…Bottom"],
            ),
            (&["Melody guitar", "Bass"], 6, &["Melod…", "Bass"]),
            (&["Melody guitar", "Bass"], 10, &["Melody…", "Bass"]),
            (
                &["Lead Vocal", "Lead Vocal Double"],
                8,
                &["Lead…", "L…Double"],
            ),
            (
                &["Lead Vocal", "Lead Vocal Double"],
                10,
                &["Lead Vocal", "Lea…Double"],
            ),
            (&["Guitar1", "Guitar2"], 6, &["Guit…1", "Guit…2"]),
            (&["Vox 12", "Vox 13"], 5, &["Vo…12", "Vo…13"]),
            (
                &["Vox Lead", "Vox Leadership"],
                8,
                &["Vox Lead", "Vox Lea…"],
            ),
            (
                &["Overheads L", "Overheads R", "Room Mic", "Room Mic Crushed"],
                10,
                &["Overhead…L", "Overhead…R", "Room Mic", "Ro…Crushed"],
            ),
            (&["ドラム 1", "ドラム 2"], 6, &["ドラ…1", "ドラ…2"]),
            (&["ドラム 1", "ドラム 2"], 7, &["ドラ…1", "ドラ…2"]),
            (&["Kick", "Snare"], 0, &["", ""]),
            (&["Kick", "Snare"], 1, &["…", "…"]),
        ];
        for &(names, room, want) in cases {
            assert_eq!(at(names, room), want, "{names:?} in {room}");
        }
    }

    /// A DAW export's ten names at the widths an 80- to 160-column console gives them: from 6
    /// cells up no two read alike, and nothing is wider than its room.
    #[test]
    fn a_daw_export_reads_apart() {
        let names = DAW_EXPORT;
        assert_eq!(
            at(&names, 8),
            [
                "Kick In",
                "Kick Out",
                "Snar…Top",
                "S…Bottom",
                "Rhythm…L",
                "Rhythm…R",
                "Rhy gt…1",
                "Rhy gt…2",
                "Lead…",
                "L…Double"
            ]
        );
        for room in 8..=16 {
            let out = at(&names, room);
            for (i, a) in out.iter().enumerate() {
                assert!(width(a) <= room, "{a} in {room}");
                for b in &out[i + 1..] {
                    assert_ne!(a, b, "in {room}");
                }
            }
        }
        // In ASCII the mark is "~".
        assert_eq!(strip_names(&names[4..6], 6, "~"), ["Rhyt~L", "Rhyt~R"]);
    }

    /// A name of up to 12 characters from letters, digits, spaces, an accented letter, wide
    /// CJK characters and an emoji.
    fn name() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                4 => proptest::char::range('a', 'e'),
                2 => Just(' '),
                2 => proptest::char::range('0', '3'),
                1 => Just('é'),
                1 => Just('鼓'),
                1 => Just('🎸'),
            ],
            0..12,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        /// Whatever the names and the room: nothing is wider than the room (wide characters
        /// counted as two cells); a name that fits is kept whole; and distinct names stay
        /// distinct whenever each one's start up to its first character that differs from
        /// every other name fits with the mark.
        #[test]
        fn never_wider_and_distinct_when_room_allows(
            names in proptest::collection::btree_set(name(), 1..8),
            room in 0usize..16,
        ) {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let out = strip_names(&names, room, "…");
            let chars: Vec<Vec<char>> = names.iter().map(|n| n.chars().collect()).collect();
            let mut allows = true;
            for (i, name) in names.iter().enumerate() {
                prop_assert!(width(&out[i]) <= room, "{:?} -> {:?} in {}", name, out[i], room);
                if width(name) <= room {
                    prop_assert_eq!(&out[i], name);
                    continue;
                }
                let differs = (0..names.len())
                    .filter(|&j| j != i)
                    .map(|j| common_prefix(&chars[i], &chars[j]))
                    .max()
                    .unwrap_or(0);
                let telling: String = chars[i][..(differs + 1).min(chars[i].len())].iter().collect();
                allows &= width(&telling) < room;
            }
            if allows {
                for i in 0..out.len() {
                    for j in i + 1..out.len() {
                        prop_assert_ne!(&out[i], &out[j], "{:?} in {}", names, room);
                    }
                }
            }
        }
    }
}
