//! The answers line of a box: "`[y] quit  [n] stay`", packed into as few rows as fit.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style as CellStyle};

use crate::ui::widgets::Theme;
use crate::ui::widgets::text::{pack, put, shorten, width};

/// A key and what it does, cleaned for drawing.
pub type Answer<'a> = (Cow<'a, str>, Cow<'a, str>);

/// Cells "[y] quit" takes: the key, the brackets, a space and the words.
pub fn answer_width((key, what): &Answer<'_>) -> usize {
    width(key) + 3 + width(what)
}

/// The answers packed into as few rows of `room` cells as they fit, two cells apart; an
/// answer is never split.
pub fn pack_answers(answers: &[Answer<'_>], room: usize) -> Vec<Vec<usize>> {
    pack(answers.iter().map(answer_width), room)
}

/// Draws one row of answers, "`[y] quit  [n] stay`", at row `y` of `inner` (`row` holds
/// indices into `answers`, as [`pack_answers`] gives them).
pub fn draw_answers(
    buf: &mut Buffer,
    inner: Rect,
    y: u16,
    row: &[usize],
    answers: &[Answer<'_>],
    theme: &Theme,
) {
    let key_style = theme.fg(Color::Cyan, Modifier::BOLD);
    let mut x = inner.x;
    for &at in row {
        let (key, what) = &answers[at];
        let room = inner.right().saturating_sub(x) as usize;
        x = put(buf, inner, x, y, "[", 1, key_style);
        x = put(buf, inner, x, y, key, room, key_style);
        x = put(buf, inner, x, y, "]", 1, key_style);
        let left = inner.right().saturating_sub(x + 1) as usize;
        let what = shorten(what, left, theme.glyphs.ellipsis);
        x = put(buf, inner, x + 1, y, &what, left, CellStyle::new()) + 2;
    }
}
