//! The boxes drawn over the mixer (UI thread): help, a question, and information to dismiss.
//!
//! A box is centred, clears what is under it, and fits the screen: lines that do not fit are
//! wrapped at spaces or left out with "… N more", and a question's answers are always shown.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style as CellStyle};
use ratatui::widgets::{Clear, Widget};

use crate::ui::view::Overlay;
use crate::ui::widgets::Theme;
use crate::ui::widgets::text::{clean, put, shorten, width, wrap};

/// The help box's title.
pub const HELP_TITLE: &str = "Help";

/// The last line of an information box.
pub const CLOSE_HINT: &str = "any key to close";

/// The widest a box grows, border included.
pub const MAX_WIDTH: u16 = 100;

/// The widest a question's or information box's text runs before it wraps, for easy reading.
pub const MESSAGE_WIDTH: usize = 60;

/// The box for one overlay.
#[derive(Debug, Clone, Copy)]
pub struct OverlayBox<'a> {
    overlay: &'a Overlay,
    theme: &'a Theme,
}

impl<'a> OverlayBox<'a> {
    /// The box for `overlay`, drawn with `theme`.
    pub fn new(overlay: &'a Overlay, theme: &'a Theme) -> Self {
        Self { overlay, theme }
    }
}

/// "… 12 more": how many lines were left out.
fn more(hidden: usize, theme: &Theme) -> String {
    format!("{} {hidden} more", theme.glyphs.more)
}

/// The largest box that fits in `area`: a margin around it when there is room for one.
fn limits(area: Rect) -> (u16, u16) {
    let w = if area.width >= 30 {
        area.width - 4
    } else {
        area.width
    };
    let h = if area.height >= 10 {
        area.height - 2
    } else {
        area.height
    };
    (w.min(MAX_WIDTH), h)
}

/// A box of `inner` cells (width, height) centred in `area`, border and one column of padding
/// each side added, bordered and titled over cleared rows; returns the inner area.
fn open_box(buf: &mut Buffer, area: Rect, inner: (u16, u16), title: &str, theme: &Theme) -> Rect {
    let (max_w, max_h) = limits(area);
    let w = (inner.0 + 4).min(max_w);
    let h = (inner.1 + 2).min(max_h);
    let outer = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    // The rows under the box are cleared across the screen, so no word is left cut at its
    // sides.
    Clear.render(Rect::new(area.x, outer.y, area.width, outer.height), buf);
    if w < 2 || h < 2 {
        return Rect::new(outer.x, outer.y, 0, 0);
    }
    let glyphs = theme.glyphs;
    let [top_left, top_right, bottom_left, bottom_right] = glyphs.corners;
    let [horizontal, vertical] = glyphs.edges;
    let border = theme.dim();
    let (right, bottom) = (outer.right() - 1, outer.bottom() - 1);
    for x in outer.x + 1..right {
        put(buf, outer, x, outer.y, horizontal, 1, border);
        put(buf, outer, x, bottom, horizontal, 1, border);
    }
    for y in outer.y + 1..bottom {
        put(buf, outer, outer.x, y, vertical, 1, border);
        put(buf, outer, right, y, vertical, 1, border);
    }
    put(buf, outer, outer.x, outer.y, top_left, 1, border);
    put(buf, outer, right, outer.y, top_right, 1, border);
    put(buf, outer, outer.x, bottom, bottom_left, 1, border);
    put(buf, outer, right, bottom, bottom_right, 1, border);
    let title = clean(title, theme.ascii);
    let room = (w as usize).saturating_sub(6);
    if room > 0 {
        let title = shorten(&title, room, glyphs.ellipsis);
        let x = put(buf, outer, outer.x + 2, outer.y, " ", 1, border);
        let x = put(
            buf,
            outer,
            x,
            outer.y,
            &title,
            room,
            CellStyle::new().add_modifier(Modifier::BOLD),
        );
        put(buf, outer, x, outer.y, " ", 1, border);
    }
    Rect::new(
        outer.x + 2,
        outer.y + 1,
        w.saturating_sub(4),
        h.saturating_sub(2),
    )
}

impl Widget for OverlayBox<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(*buf.area());
        if area.width < 3 || area.height < 3 {
            return;
        }
        match self.overlay {
            Overlay::Help(entries) => help(buf, area, entries, self.theme),
            Overlay::Question {
                title,
                lines,
                answers,
            } => message(buf, area, title, lines, Some(answers), self.theme),
            Overlay::Info { title, lines } => message(buf, area, title, lines, None, self.theme),
        }
    }
}

/// The help box: keys and what they do in two columns, in two panels side by side when the
/// list is long and the screen wide.
fn help(buf: &mut Buffer, area: Rect, entries: &[(String, String)], theme: &Theme) {
    let (max_w, max_h) = limits(area);
    let max_inner_w = max_w.saturating_sub(4) as usize;
    let max_rows = max_h.saturating_sub(2) as usize;
    let entries: Vec<(Cow<'_, str>, Cow<'_, str>)> = entries
        .iter()
        .map(|(keys, what)| (clean(keys, theme.ascii), clean(what, theme.ascii)))
        .collect();
    let key_w = entries
        .iter()
        .map(|(keys, _)| width(keys))
        .max()
        .unwrap_or(0)
        .min(max_inner_w / 3)
        .max(1);
    let what_w = entries
        .iter()
        .map(|(_, what)| width(what))
        .max()
        .unwrap_or(0);
    let panel_w = key_w + 2 + what_w;
    let panels = if entries.len() > max_rows && 2 * panel_w + 3 <= max_inner_w {
        2
    } else {
        1
    };
    let rows = entries.len().div_ceil(panels).clamp(1, max_rows.max(1));
    let inner_w = (panels * panel_w + (panels - 1) * 3).min(max_inner_w);
    let inner = open_box(buf, area, (inner_w as u16, rows as u16), HELP_TITLE, theme);
    if inner.is_empty() {
        return;
    }
    let rows = inner.height as usize;
    let panel_w = if panels == 2 {
        (inner.width as usize - 3) / 2
    } else {
        inner.width as usize
    };
    let shown = (rows * panels).min(entries.len());
    // The last visible slot says how many did not fit.
    let hidden = entries.len() - shown;
    let slots = if hidden > 0 { shown - 1 } else { shown };
    let key_style = theme.fg(Color::Cyan, Modifier::BOLD);
    for (at, (keys, what)) in entries.iter().take(slots).enumerate() {
        let x = inner.x + ((at / rows) * (panel_w + 3)) as u16;
        let y = inner.y + (at % rows) as u16;
        let keys = shorten(keys, key_w.min(panel_w), theme.glyphs.ellipsis);
        put(buf, inner, x, y, &keys, key_w, key_style);
        let what_x = x + (key_w + 2) as u16;
        let room = panel_w.saturating_sub(key_w + 2);
        if room > 0 {
            let what = shorten(what, room, theme.glyphs.ellipsis);
            put(buf, inner, what_x, y, &what, room, CellStyle::new());
        }
    }
    if hidden > 0 {
        let at = slots;
        let x = inner.x + ((at / rows) * (panel_w + 3)) as u16;
        let y = inner.y + (at % rows) as u16;
        let text = format!("{} (? shows more)", more(hidden + 1, theme));
        put(buf, inner, x, y, &text, panel_w, theme.dim());
    }
}

/// A key and what it does, cleaned for drawing.
type Answer<'a> = (Cow<'a, str>, Cow<'a, str>);

/// Cells "[y] quit" takes: the key, the brackets, a space and the words.
fn answer_width((key, what): &Answer<'_>) -> usize {
    width(key) + 3 + width(what)
}

/// The answers packed into as few rows of `room` cells as they fit, two cells apart; an
/// answer is never split.
fn pack_answers(answers: &[Answer<'_>], room: usize) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut used = 0;
    for (at, answer) in answers.iter().enumerate() {
        let w = answer_width(answer);
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

/// Draws one row of answers, "[y] quit  [n] stay", at row `y` of `inner`.
fn draw_answers(
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

/// Draws `body` from the top of `inner` in at most `rows` rows, the last of them saying how
/// many lines were left out when they do not all fit.
fn draw_body(buf: &mut Buffer, inner: Rect, body: &[Cow<'_, str>], rows: usize, theme: &Theme) {
    let room = inner.width as usize;
    let shown = if body.len() > rows {
        rows.saturating_sub(1)
    } else {
        body.len()
    };
    for (at, line) in body.iter().take(shown).enumerate() {
        let y = inner.y + at as u16;
        put(buf, inner, inner.x, y, line, room, CellStyle::new());
    }
    if shown < body.len() && rows > 0 {
        let text = more(body.len() - shown, theme);
        put(
            buf,
            inner,
            inner.x,
            inner.y + shown as u16,
            &text,
            room,
            theme.dim(),
        );
    }
}

/// A question (with its answers) or an information box (with the close hint).
fn message(
    buf: &mut Buffer,
    area: Rect,
    title: &str,
    lines: &[String],
    answers: Option<&Vec<(String, String)>>,
    theme: &Theme,
) {
    let (max_w, max_h) = limits(area);
    let lines: Vec<Cow<'_, str>> = lines.iter().map(|line| clean(line, theme.ascii)).collect();
    let answers: Vec<Answer<'_>> = answers
        .into_iter()
        .flatten()
        .map(|(key, what)| (clean(key, theme.ascii), clean(what, theme.ascii)))
        .collect();
    let footer_w = if answers.is_empty() {
        width(CLOSE_HINT)
    } else {
        answers.iter().map(answer_width).sum::<usize>() + 2 * (answers.len() - 1)
    };
    let natural_w = lines
        .iter()
        .map(|line| width(line))
        .max()
        .unwrap_or(0)
        .max(footer_w)
        .max(width(title) + 2)
        .max(20);
    let inner_w = natural_w
        .min(MESSAGE_WIDTH)
        .min(max_w.saturating_sub(4) as usize)
        .max(1);
    let footer = if answers.is_empty() {
        vec![Vec::new()]
    } else {
        pack_answers(&answers, inner_w)
    };
    let body: Vec<Cow<'_, str>> = lines
        .iter()
        .flat_map(|line| {
            if line.is_empty() {
                vec![Cow::Borrowed("")]
            } else {
                wrap(line, inner_w, theme.glyphs.ellipsis)
            }
        })
        .collect();
    let wanted = (body.len() + 1 + footer.len()).min(max_h.saturating_sub(2) as usize);
    let inner = open_box(buf, area, (inner_w as u16, wanted as u16), title, theme);
    if inner.is_empty() {
        return;
    }
    // The footer keeps its rows; the body gets the rest, less a blank line above the footer.
    let rows = inner.height as usize;
    let footer_rows = footer.len().min(rows);
    let avail = rows - footer_rows;
    let body_rows = if body.len() >= avail && avail >= 2 {
        avail - 1
    } else {
        avail.min(body.len())
    };
    draw_body(buf, inner, &body, body_rows, theme);
    let footer_top = inner.bottom() - footer_rows as u16;
    for (row, at) in footer.iter().take(footer_rows).enumerate() {
        let y = footer_top + row as u16;
        if answers.is_empty() {
            let room = inner.width as usize;
            let hint = shorten(CLOSE_HINT, room, theme.glyphs.ellipsis);
            put(buf, inner, inner.x, y, &hint, room, theme.dim());
        } else {
            draw_answers(buf, inner, y, at, &answers, theme);
        }
    }
}
