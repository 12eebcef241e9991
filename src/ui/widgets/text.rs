//! Text for the console (UI thread): measuring, shortening and wrapping it to fit a cell budget,
//! writing it into a buffer without crossing an area's edge, and the number formats every widget
//! shares (dB, time, pan).

use std::borrow::Cow;
use std::fmt::Write as _;

use ratatui::buffer::{Buffer, CellWidth};
use ratatui::layout::Rect;
use ratatui::style::Style as CellStyle;

/// Cells `c` takes on screen; control characters take none.
pub fn char_width(c: char) -> usize {
    if c.is_control() {
        return 0;
    }
    let mut bytes = [0u8; 4];
    c.encode_utf8(&mut bytes).cell_width() as usize
}

/// Cells `s` takes on screen.
pub fn width(s: &str) -> usize {
    if s.is_ascii() {
        return s.bytes().filter(|b| !b.is_ascii_control()).count();
    }
    s.chars().map(char_width).sum()
}

/// The eight rising block elements a sparkline is drawn with, lowest first.
pub const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Their plain-ASCII stand-ins, lowest first.
pub const ASCII_BLOCKS: [char; 8] = ['_', '.', ',', '-', '=', '+', '*', '#'];

/// `s` made safe to draw: characters a terminal could obey (control characters, bidirectional
/// overrides) are written visibly, as [`escape`](crate::text::escape) does (`\e`, `\t`,
/// `\u{202e}`), so a name from a file shows what it holds; with `ascii` the rising block
/// elements ([`BLOCKS`]) become [`ASCII_BLOCKS`] and anything else outside printable ASCII
/// becomes `?`.
pub fn clean(s: &str, ascii: bool) -> Cow<'_, str> {
    let s = crate::text::escape(s);
    let printable = |c: char| (' '..='~').contains(&c);
    if !ascii || s.chars().all(printable) {
        return s;
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if printable(c) {
                    c
                } else {
                    BLOCKS
                        .iter()
                        .position(|&b| b == c)
                        .map_or('?', |i| ASCII_BLOCKS[i])
                }
            })
            .collect(),
    )
}

/// The longest start of `s` that takes at most `max` cells, as a byte length.
fn prefix_len(s: &str, max: usize) -> usize {
    let mut used = 0;
    for (at, c) in s.char_indices() {
        used += char_width(c);
        if used > max {
            return at;
        }
    }
    s.len()
}

/// `s` shortened to at most `max` cells, ending in `ellipsis` when anything was cut. It cuts
/// after a whole word when that keeps at least half the room, so "Melody guitar" in 10 cells
/// reads "Melody…" rather than "Melody gu…".
pub fn shorten<'a>(s: &'a str, max: usize, ellipsis: &str) -> Cow<'a, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    let room = max.saturating_sub(width(ellipsis));
    if room == 0 {
        // No room for a letter and the mark: the mark alone says "something is here".
        return if width(ellipsis) <= max {
            Cow::Owned(ellipsis.to_owned())
        } else {
            Cow::Borrowed("")
        };
    }
    let cut = prefix_len(s, room);
    let whole_words = s
        .char_indices()
        .take_while(|&(at, _)| at <= cut)
        .filter(|&(_, c)| c.is_whitespace())
        .map(|(at, _)| at)
        .last();
    let keep = match whole_words {
        Some(at) if width(s[..at].trim_end()) * 2 >= room => at,
        _ => cut,
    };
    let kept = s[..keep].trim_end_matches(|c: char| c.is_whitespace() || "-_,;:/(".contains(c));
    let kept = if kept.is_empty() { &s[..cut] } else { kept };
    Cow::Owned(format!("{kept}{ellipsis}"))
}

/// `s` shortened to at most `max` cells like [`shorten`], but keeping a number at its end, so
/// numbered names stay apart: "Chorus 12" in 7 cells reads "Chor…12", "Verse 1" in 6 "Verse1".
pub fn shorten_numbered<'a>(s: &'a str, max: usize, ellipsis: &str) -> Cow<'a, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    let numbered = s.rsplit_once(' ').filter(|(head, number)| {
        !head.trim().is_empty() && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
    });
    let Some((head, number)) = numbered else {
        return shorten(s, max, ellipsis);
    };
    let head = head.trim_end();
    // At least a letter and the mark before the number.
    if max < width(number) + width(ellipsis) + 1 {
        return shorten(s, max, ellipsis);
    }
    let head = shorten(head, max - width(number), ellipsis);
    Cow::Owned(format!("{head}{number}"))
}

/// Items of the given widths packed into as few rows of `room` cells as they fit, two cells
/// apart; an item is never split (one wider than the room gets a row of its own). Each row is
/// the indices of its items.
pub fn pack(widths: impl IntoIterator<Item = usize>, room: usize) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut used = 0;
    for (at, w) in widths.into_iter().enumerate() {
        match rows.last_mut() {
            Some(row) if used + 2 + w <= room => {
                row.push(at);
                used += 2 + w;
            }
            _ => {
                rows.push(vec![at]);
                used = w;
            }
        }
    }
    rows
}

/// `s` broken into lines of at most `max` cells at spaces; a word longer than a line is
/// shortened with `ellipsis` rather than split.
pub fn wrap<'a>(s: &'a str, max: usize, ellipsis: &str) -> Vec<Cow<'a, str>> {
    let mut lines = Vec::new();
    if max == 0 {
        return lines;
    }
    let mut start: Option<usize> = None;
    let mut end = 0;
    let mut used = 0;
    for (at, word) in words(s) {
        let w = width(word);
        if let Some(from) = start {
            if used + 1 + w <= max {
                used += 1 + w;
                end = at + word.len();
                continue;
            }
            lines.push(Cow::Borrowed(&s[from..end]));
        }
        if w <= max {
            start = Some(at);
            end = at + word.len();
            used = w;
        } else {
            lines.push(shorten(word, max, ellipsis));
            start = None;
        }
    }
    if let Some(from) = start {
        lines.push(Cow::Borrowed(&s[from..end]));
    }
    lines
}

/// The words of `s` with their byte offsets.
fn words(s: &str) -> impl Iterator<Item = (usize, &str)> {
    s.split(' ')
        .scan(0, |offset, word| {
            let at = *offset;
            *offset += word.len() + 1;
            Some((at, word))
        })
        .filter(|(_, word)| !word.is_empty())
}

/// Writes `s` at `(x, y)` in at most `max` cells, clipped to `area`; returns the column after it.
pub fn put(
    buf: &mut Buffer,
    area: Rect,
    x: u16,
    y: u16,
    s: &str,
    max: usize,
    style: CellStyle,
) -> u16 {
    let area = area.intersection(*buf.area());
    if y < area.top() || y >= area.bottom() || x < area.left() || x >= area.right() {
        return x;
    }
    let room = (area.right() - x) as usize;
    buf.set_stringn(x, y, s, max.min(room), style).0
}

/// Writes `s` centred in the row `y` of `area` (shortened with `ellipsis` if it is too long).
pub fn put_centered(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    s: &str,
    ellipsis: &str,
    style: CellStyle,
) {
    let room = area.width as usize;
    let s = shorten(s, room, ellipsis);
    let x = area.x + ((room - width(&s)) / 2) as u16;
    put(buf, area, x, y, &s, room, style);
}

/// Writes `s` right-aligned so it ends at column `end` (exclusive), no further left than
/// `area`'s left edge.
pub fn put_right(buf: &mut Buffer, area: Rect, end: u16, y: u16, s: &str, style: CellStyle) {
    let w = width(s) as u16;
    let x = end.saturating_sub(w).max(area.x);
    put(buf, area, x, y, s, end.saturating_sub(x) as usize, style);
}

/// Fills the row `y` of `area` with `style` (text already there keeps its characters).
pub fn style_row(buf: &mut Buffer, area: Rect, y: u16, style: CellStyle) {
    if y >= area.top() && y < area.bottom() {
        buf.set_style(Rect::new(area.x, y, area.width, 1), style);
    }
}

/// A level or gain in dB with one decimal: "-4.5", "+3.0", "0.0", or "-inf" for silence or off.
pub fn db(value: f64) -> String {
    let mut out = String::with_capacity(8);
    push_db(&mut out, value, true);
    out
}

/// Appends `value` as [`db`] does; with `sign` false a positive value has no '+'.
pub fn push_db(out: &mut String, value: f64, sign: bool) {
    if value.is_nan() {
        out.push_str("--");
    } else if value == f64::INFINITY {
        out.push_str("inf");
    } else if value < -999.0 {
        out.push_str("-inf");
    } else {
        let tenths = (value * 10.0).round();
        if tenths == 0.0 {
            out.push_str("0.0");
        } else {
            let plus = if sign && tenths > 0.0 { "+" } else { "" };
            let _ = write!(out, "{plus}{:.1}", tenths / 10.0);
        }
    }
}

/// Seconds as minutes, seconds and tenths, "m:ss.d" (the tenths are cut, not rounded, so the
/// display never runs ahead of the music).
pub fn time(seconds: f64) -> String {
    let tenths = if seconds.is_finite() && seconds > 0.0 {
        (seconds * 10.0).floor() as u64
    } else {
        0
    };
    format!("{}:{:02}.{}", tenths / 600, tenths % 600 / 10, tenths % 10)
}

/// Pan as the product shows it: "C" at the centre, else "L" or "R" and percent, "L30", "R100".
pub fn pan(value: f64) -> String {
    let percent = if value.is_finite() {
        (value.clamp(-1.0, 1.0) * 100.0).round() as i32
    } else {
        0
    };
    match percent {
        0 => "C".to_owned(),
        p if p < 0 => format!("L{}", -p),
        p => format!("R{p}"),
    }
}

/// A count in at most six characters: "12345", "123k", "12M".
pub fn count(n: u64) -> String {
    match n {
        0..100_000 => n.to_string(),
        100_000..100_000_000 => format!("{}k", n / 1000),
        _ => format!("{}M", (n / 1_000_000).min(99_999)),
    }
}

/// Units that make the number before them a measurement ("3 dB", "-14 LUFS", "5 %").
const UNITS: [&str; 13] = [
    "dB", "dBFS", "dBTP", "dBr", "LU", "LUFS", "LKFS", "%", "Hz", "kHz", "ms", "s", "x",
];

/// `s` with the digits of every number replaced by `#`, but for a lone digit that can only be
/// a key name: a message shown while blind must not give a level away, and must still name
/// the keys it mentions ("(0 gives a fader back to the base mix)").
///
/// Network addresses and ports stay as they are (`refused a packet from 10.0.0.5:9000`,
/// `[::1]:9000`, `192.168.1.0/24`, `port 9000`, `localhost:9000`): they name a peer, not a
/// level, and the user needs them whole to act on the notice.
///
/// A digit stays only when it is a number of one digit on its own (no letter, digit, decimal
/// point or sign touching it: not "L3", "take2", "-3", "3.5", "1:02", "12"), with no unit after
/// it ("3 dB", "3%"). Every way earmix writes a level (a sign and a decimal point, a unit, pan
/// as "L30") is hidden; so is any longer number, whatever it counts. A digit that stays tells
/// nothing a key name would not: single digits are the strip keys `1` to `9` and `0`.
pub fn mask_levels(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| b.is_ascii_digit()) {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = chars.clone();
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = network_address(&chars, i) {
            i = end;
            continue;
        }
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < chars.len() && chars[end].is_ascii_digit() {
            end += 1;
        }
        if !lone_digit(&chars, i, end) {
            for c in &mut out[i..end] {
                *c = '#';
            }
        }
        i = end;
    }
    Cow::Owned(out.into_iter().collect())
}

/// The end of the network address or port that starts at `chars[start]`, if one does (see
/// [`mask_levels`]): an IPv4 address (four numbers of at most three digits joined by dots)
/// with its port or network prefix; an IPv6 address in brackets with its port, or bare with a
/// `::` in it; a host name's port (`localhost:9000`); the number after the word "port" or
/// "ports".
fn network_address(chars: &[char], start: usize) -> Option<usize> {
    let at = |i: usize| chars.get(i).copied();
    let digits_from = |i: usize| {
        let mut end = i;
        while at(end).is_some_and(|c| c.is_ascii_digit()) {
            end += 1;
        }
        end
    };
    // A port or prefix after an address: ":9000", "/24".
    let suffix = |end: usize| match at(end) {
        Some(':' | '/') if at(end + 1).is_some_and(|c| c.is_ascii_digit()) => digits_from(end + 1),
        _ => end,
    };
    let before = start.checked_sub(1).and_then(at);
    let free = !before.is_some_and(|c| c.is_alphanumeric() || c == '.' || c == ':');
    let c = at(start)?;
    if c.is_ascii_digit() && free {
        let mut end = start;
        for group in 0..4 {
            if group > 0 {
                if at(end) != Some('.') {
                    break;
                }
                end += 1;
            }
            let stop = digits_from(end);
            if stop == end || stop - end > 3 {
                break;
            }
            end = stop;
            if group == 3 && !at(end).is_some_and(|c| c.is_alphanumeric() || c == '.') {
                return Some(suffix(end));
            }
        }
    }
    if c == '[' {
        let close = (start + 1..chars.len()).find(|&i| at(i) == Some(']'))?;
        let inside = &chars[start + 1..close];
        let ipv6 = inside.contains(&':')
            && inside
                .iter()
                .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.' | '%'));
        return ipv6.then(|| suffix(close + 1));
    }
    if (c.is_ascii_hexdigit() || c == ':') && free {
        let mut end = start;
        while at(end).is_some_and(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            end += 1;
        }
        let token: String = chars[start..end].iter().collect();
        if token.contains("::") && !at(end).is_some_and(char::is_alphanumeric) {
            return Some(suffix(end));
        }
    }
    if c.is_alphabetic() && !before.is_some_and(char::is_alphanumeric) {
        let mut end = start;
        while at(end).is_some_and(|c| c.is_alphanumeric() || matches!(c, '-' | '.')) {
            end += 1;
        }
        let word: String = chars[start..end].iter().collect();
        let number = |from: usize| {
            let stop = digits_from(from);
            (stop > from && !at(stop).is_some_and(|c| c.is_alphanumeric() || c == '.'))
                .then_some(stop)
        };
        if word.eq_ignore_ascii_case("localhost") && at(end) == Some(':') {
            return number(end + 1);
        }
        if (word.eq_ignore_ascii_case("port") || word.eq_ignore_ascii_case("ports"))
            && at(end) == Some(' ')
        {
            return number(end + 1);
        }
    }
    None
}

/// Whether the digits `chars[start..end]` are one digit on its own with no unit after it (see
/// [`mask_levels`]).
fn lone_digit(chars: &[char], start: usize, end: usize) -> bool {
    const SIGNS: [char; 4] = ['+', '-', '\u{2212}', '\u{b1}'];
    let at = |i: usize| chars.get(i).copied();
    let digit_at = |i: usize| at(i).is_some_and(|c| c.is_ascii_digit());
    if end - start != 1 {
        return false;
    }
    if let Some(before) = start.checked_sub(1).and_then(at) {
        // A sign or a joint (decimal point, time, thousands) before: part of a number.
        let word_before = start >= 2 && at(start - 2).is_some_and(char::is_alphanumeric);
        if before.is_alphanumeric()
            || SIGNS.contains(&before) && !word_before
            || matches!(before, '.' | ',' | ':') && start >= 2 && digit_at(start - 2)
        {
            return false;
        }
    }
    match at(end) {
        None => return true,
        Some(c) if c.is_alphanumeric() || c == '%' => return false,
        Some('.' | ',' | ':') if digit_at(end + 1) => return false,
        Some(_) => {}
    }
    // A unit after a space: "3 dB", "3 s."
    if at(end) == Some(' ') {
        let word: String = chars[end + 1..]
            .iter()
            .take_while(|c| c.is_alphanumeric() || **c == '%')
            .collect();
        if UNITS.contains(&word.as_str()) {
            return false;
        }
    }
    true
}

/// One item of a line that is fitted to its width by dropping the least important items first.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    /// The text.
    pub text: Cow<'a, str>,
    /// How it is drawn.
    pub style: CellStyle,
    /// Higher stays longer.
    pub priority: u8,
    /// The fewest cells it may be shortened to when it is the least important item left (its
    /// full width: never shortened).
    pub min_width: usize,
    /// Drawn in the right-hand group rather than the left.
    pub right: bool,
    /// A shorter form used before the item is dropped.
    pub short: Option<Cow<'a, str>>,
}

impl<'a> Item<'a> {
    /// An item that is shown whole or not at all.
    pub fn new(text: impl Into<Cow<'a, str>>, style: CellStyle, priority: u8) -> Self {
        let text = text.into();
        let min_width = width(&text);
        Self {
            text,
            style,
            priority,
            min_width,
            right: false,
            short: None,
        }
    }

    /// Gives the item a shorter form, used when it does not fit before it is dropped.
    #[must_use]
    pub fn or(mut self, short: impl Into<Cow<'a, str>>) -> Self {
        self.short = Some(short.into());
        self
    }

    /// Lets the item be shortened down to `cells` before it is dropped.
    #[must_use]
    pub fn shrink_to(mut self, cells: usize) -> Self {
        self.min_width = cells.min(self.min_width);
        self
    }

    /// Puts the item in the right-hand group.
    #[must_use]
    pub fn right(mut self) -> Self {
        self.right = true;
        self
    }
}

/// Draws `items` in the one-row `area`: the left group from the left edge, the right group
/// against the right edge, items separated by `gap`. While they do not fit, the least important
/// item (the later of equals) takes its short form, or is shortened with `ellipsis` if that
/// leaves it at least its `min_width`, or else is dropped.
pub fn fit_line(
    buf: &mut Buffer,
    area: Rect,
    items: &mut Vec<Item<'_>>,
    gap: &str,
    ellipsis: &str,
) {
    let room = area.width as usize;
    let gap_w = width(gap);
    let need = |items: &[Item<'_>]| -> usize {
        let left = items.iter().filter(|item| !item.right).count();
        let right = items.len() - left;
        let gaps =
            left.saturating_sub(1) + right.saturating_sub(1) + usize::from(left > 0 && right > 0);
        items.iter().map(|item| width(&item.text)).sum::<usize>() + gaps * gap_w
    };
    loop {
        let total = need(items);
        if total <= room || items.is_empty() {
            break;
        }
        let at = items
            .iter()
            .enumerate()
            .min_by_key(|(at, item)| (item.priority, usize::MAX - at))
            .map_or(0, |(at, _)| at);
        let item = &mut items[at];
        if let Some(short) = item.short.take() {
            item.text = short;
            continue;
        }
        let target = width(&item.text).saturating_sub(total - room);
        if target >= item.min_width && target > 0 {
            item.text = Cow::Owned(shorten(&item.text, target, ellipsis).into_owned());
            break;
        }
        items.remove(at);
    }
    let mut x = area.x;
    let mut first = true;
    for item in items.iter().filter(|item| !item.right) {
        if !first {
            x = put(buf, area, x, area.y, gap, gap_w, CellStyle::new());
        }
        first = false;
        x = put(buf, area, x, area.y, &item.text, room, item.style);
    }
    let right_w: usize = items
        .iter()
        .filter(|item| item.right)
        .map(|item| width(&item.text) + gap_w)
        .sum::<usize>()
        .saturating_sub(gap_w);
    let mut x = area.right().saturating_sub(right_w as u16).max(x);
    let mut first = true;
    for item in items.iter().filter(|item| item.right) {
        if !first {
            x = put(buf, area, x, area.y, gap, gap_w, CellStyle::new());
        }
        first = false;
        x = put(buf, area, x, area.y, &item.text, room, item.style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blind masking hides levels but leaves peers' addresses and ports whole, so an OSC
    /// notice still says who was refused.
    #[test]
    fn masking_keeps_addresses_and_ports() {
        let kept = [
            "OSC: refused a packet from 10.0.0.5:9000",
            "from 127.0.0.1:53012)",
            "peer [::1]:9000 went away",
            "listening on [fe80::1%2]:9000",
            "allow 192.168.1.0/24 and fe80::/10",
            "nothing listens at localhost:9000",
            "UDP port 9000 is taken",
        ];
        for text in kept {
            assert_eq!(mask_levels(text), text);
        }
        let first = "(first: /earmix/strip/9/fader (float) from 127.0.0.1:53012)";
        assert_eq!(
            mask_levels(&format!("OSC: refused 12: 9 unknown address {first}")),
            format!("OSC: refused ##: 9 unknown address {first}")
        );
        assert_eq!(
            mask_levels("Bass -3.5 dB at 1:02.500, 10.5 LUFS, take 1.2.3.4567"),
            "Bass -#.# dB at #:##.###, ##.# LUFS, take #.#.#.####"
        );
        assert_eq!(mask_levels("Keys at 12:30"), "Keys at ##:##");
    }

    /// Names that fit are kept; long ones end at a whole word when that keeps half the room, and
    /// the result never exceeds the room.
    #[test]
    fn shorten_prefers_whole_words() {
        assert_eq!(shorten("Bass", 6, "…"), "Bass");
        assert_eq!(shorten("Melody guitar", 6, "…"), "Melod…");
        assert_eq!(shorten("Melody guitar", 10, "…"), "Melody…");
        assert_eq!(shorten("Melody guitar", 12, "…"), "Melody…");
        assert_eq!(shorten("Melody guitar", 13, "…"), "Melody guitar");
        assert_eq!(shorten("Melody guitar", 6, "."), "Melod.");
        assert_eq!(shorten("A b-side take", 9, "."), "A b-side.");
        assert_eq!(shorten("Voice", 1, "…"), "…");
        assert_eq!(shorten("Voice", 0, "…"), "");
        assert_eq!(shorten("Wide 漢字漢字", 8, "…"), "Wide…");
        for max in 0..20 {
            assert!(width(&shorten("Melody guitar (double-tracked)", max, "…")) <= max);
        }
    }

    /// A number ending a name outlasts its letters when the name is shortened.
    #[test]
    fn shorten_keeps_numbers() {
        assert_eq!(shorten_numbered("Chorus 1", 8, "…"), "Chorus 1");
        assert_eq!(shorten_numbered("Chorus 1", 6, "…"), "Chor…1");
        assert_eq!(shorten_numbered("Chorus 12", 7, "~"), "Chor~12");
        assert_eq!(shorten_numbered("Verse 1", 6, "…"), "Verse1");
        assert_eq!(shorten_numbered("Chorus 1", 3, "…"), "C…1");
        assert_eq!(shorten_numbered("Chorus 1", 2, "…"), "C…");
        assert_eq!(shorten_numbered("Intro", 3, "…"), "In…");
        assert_eq!(shorten_numbered("Take 2b", 5, "…"), "Take…");
        for max in 0..12 {
            assert!(width(&shorten_numbered("Chorus 12", max, "…")) <= max);
        }
    }

    /// Wrapping breaks at spaces and never splits a word.
    #[test]
    fn wrap_keeps_words_whole() {
        assert_eq!(
            wrap("terminal too small: need at least 40x12", 16, "…"),
            ["terminal too", "small: need at", "least 40x12"]
        );
        assert_eq!(wrap("abcdefgh ij", 4, "."), ["abc.", "ij"]);
        assert!(wrap("anything", 0, ".").is_empty());
    }

    /// Numbers read the way the product writes them.
    #[test]
    fn number_formats() {
        assert_eq!(db(-4.5), "-4.5");
        assert_eq!(db(3.0), "+3.0");
        assert_eq!(db(-0.01), "0.0");
        assert_eq!(db(f64::NEG_INFINITY), "-inf");
        assert_eq!(time(83.49), "1:23.4");
        assert_eq!(time(59.99), "0:59.9");
        assert_eq!(time(-1.0), "0:00.0");
        assert_eq!(time(3600.0), "60:00.0");
        assert_eq!(pan(0.0), "C");
        assert_eq!(pan(-0.3), "L30");
        assert_eq!(pan(1.0), "R100");
        assert_eq!(pan(0.004), "C");
        assert_eq!(count(123_456), "123k");
    }

    /// While blind, every number a message can show a level with is masked (signed, decimal,
    /// with a unit, a pan, a time, a file or section number, any longer number) and a lone
    /// digit that names a key stays: `0` in "(0 gives a fader back…)" and `1` to `9`.
    #[test]
    fn masking_hides_levels_and_keeps_key_names() {
        for (message, masked) in [
            ("Saved take2.toml at -3.0 dB", "Saved take#.toml at -#.# dB"),
            (
                "Bass fader -3.0 dB -> -4.5 dB",
                "Bass fader -#.# dB -> -#.# dB",
            ),
            ("Master +0.5 dB", "Master +#.# dB"),
            (
                "moved 3 dB up, 5dB down, 2 LU over",
                "moved # dB up, #dB down, # LU over",
            ),
            ("at -14 LUFS, 6 % over", "at -## LUFS, # % over"),
            ("Keys pan C -> L30, R5", "Keys pan C -> L##, R#"),
            ("Chorus 2 starts at 1:02.500", "Chorus 2 starts at #:##.###"),
            (
                "gain 0.0, step 0,5 or +3 or -4 or \u{b1}2",
                "gain #.#, step #,# or +# or -# or \u{b1}#",
            ),
            (
                "12 frames, 48000 Hz, 5 s, 4x",
                "## frames, ##### Hz, # s, #x",
            ),
            ("Chorus 12", "Chorus ##"),
        ] {
            assert_eq!(mask_levels(message), masked, "{message:?}");
        }
        for kept in [
            "Scene mode: the fader and mute keys edit the scene of Chorus (0 gives a fader back \
             to the base mix)",
            "1 to 9 select a strip, 0 goes to the master",
            "Press 5.",
            "ctrl-1 jumps",
            "Blind mode off",
        ] {
            assert_eq!(mask_levels(kept), kept);
        }
        for key in 0..=9 {
            let message = format!("press {key}: next, or {key}, ({key}) '{key}'");
            assert_eq!(mask_levels(&message), message);
        }
    }

    /// Every way the product writes a level comes out with no digit at all when masked.
    #[test]
    fn masking_hides_every_level_format() {
        use crate::units::{Decibels, Pan, Seconds};
        for value in [-60.0, -12.34, -3.0, -0.04, 0.0, 0.5, 3.0, 9.0, 12.0] {
            let written = [
                db(value),
                format!("{}", Decibels(value)),
                format!("{value:+.1}"),
                format!("{value:.1}"),
                format!("{}", Pan(value / 60.0)),
                pan(value / 12.0),
                time(value.abs() * 10.0),
                format!("{}", Seconds(value.abs())),
                format!("{value} dB"),
            ];
            for text in written {
                let message = format!("Bass at {text} now");
                let masked = mask_levels(&message);
                assert!(
                    !masked.chars().any(|c| c.is_ascii_digit()),
                    "{message:?} -> {masked:?}"
                );
            }
        }
    }

    /// Control characters never reach the screen but show as escapes, and ASCII mode replaces
    /// the rest.
    #[test]
    fn clean_replaces_unsafe_characters() {
        assert_eq!(clean("Bass", true), "Bass");
        assert_eq!(clean("Voix\téa", false), "Voix\\téa");
        assert_eq!(clean("Voix\téa", true), "Voix\\t?a");
        assert_eq!(
            clean("\u{1b}]0;pwned\u{7}\u{202e}ä", false),
            "\\e]0;pwned\\a\\u{202e}ä"
        );
        assert_eq!(clean("▁▂▃▄▅▆▇█ ▀", true), "_.,-=+*# ?");
        assert_eq!(clean("▁▂▃▄▅▆▇█", false), "▁▂▃▄▅▆▇█");
    }
}
