//! The boxes drawn over the mixer (UI thread): help, a question, information to dismiss, a line
//! to type, a list to pick from, the arc view, and an exercise's results.
//!
//! A box is centred, clears what is under it, and fits the screen: lines that do not fit are
//! wrapped at spaces or left out with "… N more", a question's answers and a prompt's keys are
//! always shown, and a list scrolls to keep its selected item in view.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style as CellStyle};
use ratatui::widgets::{Clear, Widget};

use crate::ui::view::{ArcView, BlindLevel, Overlay, ResultsView};
use crate::ui::widgets::Theme;
use crate::ui::widgets::answers::{Answer, answer_width, draw_answers, pack_answers};
use crate::ui::widgets::arc::ArcPanel;
use crate::ui::widgets::results::ResultsPanel;
use crate::ui::widgets::text::{char_width, clean, put, shorten, style_row, width, wrap};

/// The help box's title.
pub const HELP_TITLE: &str = "Help";

/// The last line of an information box.
pub const CLOSE_HINT: &str = "any key to close";

/// The widest a box grows, border included.
pub const MAX_WIDTH: u16 = 100;

/// The widest a question's or information box's text runs before it wraps, for easy reading.
pub const MESSAGE_WIDTH: usize = 60;

/// The narrowest a prompt's text field is, label included, when the screen allows.
pub const PROMPT_WIDTH: usize = 40;

/// Marks the selected item of a list.
pub const PICK_MARK: &str = "> ";

/// Said in a list with nothing to pick.
pub const PICK_EMPTY: &str = "nothing to pick";

/// The arc view's title.
pub const ARC_TITLE: &str = "Arc: each channel's level, section by section";

/// The arc view's last line.
pub const ARC_HINT: &str = "Esc or a to close";

/// The widest the arc view grows, border included.
pub const ARC_MAX_WIDTH: u16 = 160;

/// The widest an exercise's results box grows, border included (its reading stays readable).
pub const RESULTS_MAX_WIDTH: u16 = 120;

/// The box for one overlay.
#[derive(Debug, Clone, Copy)]
pub struct OverlayBox<'a> {
    overlay: &'a Overlay,
    theme: &'a Theme,
    blind: BlindLevel,
}

impl<'a> OverlayBox<'a> {
    /// The box for `overlay`, drawn with `theme`, not blind.
    pub fn new(overlay: &'a Overlay, theme: &'a Theme) -> Self {
        Self {
            overlay,
            theme,
            blind: BlindLevel::Off,
        }
    }

    /// Hides what `blind` hides (in the arc view: the dB scale and the table; in the results:
    /// the figures and the chart's scale).
    #[must_use]
    pub fn blind(mut self, blind: BlindLevel) -> Self {
        self.blind = blind;
        self
    }
}

/// "… 12 more": how many lines were left out.
fn more(hidden: usize, theme: &Theme) -> String {
    format!("{} {hidden} more", theme.glyphs.more)
}

/// The largest box that fits in `area`: a margin around it when there is room for one.
fn limits(area: Rect) -> (u16, u16) {
    limits_up_to(area, MAX_WIDTH)
}

/// The largest box no wider than `max_width` that fits in `area`, with a margin around it
/// when there is room for one.
fn limits_up_to(area: Rect, max_width: u16) -> (u16, u16) {
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
    (w.min(max_width), h)
}

/// A box of `inner` cells (width, height) centred in `area`, border and one column of padding
/// each side added, bordered and titled over cleared rows; returns the inner area.
fn open_box(buf: &mut Buffer, area: Rect, inner: (u16, u16), title: &str, theme: &Theme) -> Rect {
    open_box_up_to(buf, area, inner, title, theme, MAX_WIDTH)
}

/// [`open_box`] for a box that may grow to `max_width` cells.
fn open_box_up_to(
    buf: &mut Buffer,
    area: Rect,
    inner: (u16, u16),
    title: &str,
    theme: &Theme,
    max_width: u16,
) -> Rect {
    let (max_w, max_h) = limits_up_to(area, max_width);
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
            Overlay::Prompt {
                title,
                label,
                text,
                error,
                answers,
            } => prompt(
                buf,
                area,
                title,
                (label, text),
                error.as_deref(),
                answers,
                self.theme,
            ),
            Overlay::Pick {
                title,
                items,
                selected,
                hint,
            } => pick(buf, area, title, (items, *selected), hint, self.theme),
            Overlay::Arc(arc) => arc_box(buf, area, arc, self.blind, self.theme),
            Overlay::Results(results) => results_box(buf, area, results, self.blind, self.theme),
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

/// A prompt: the label, the text typed so far ending in the cursor (its end kept in view when
/// it is longer than the field), the error under it, and the keys.
fn prompt(
    buf: &mut Buffer,
    area: Rect,
    title: &str,
    (label, text): (&str, &str),
    error: Option<&str>,
    answers: &[(String, String)],
    theme: &Theme,
) {
    let (max_w, max_h) = limits(area);
    let label = clean(label, theme.ascii);
    let text = clean(text, theme.ascii);
    let keys: Vec<Answer<'_>> = answers
        .iter()
        .map(|(key, what)| (clean(key, theme.ascii), clean(what, theme.ascii)))
        .collect();
    let keys_w = keys.iter().map(answer_width).sum::<usize>() + 2;
    let error = error.map(|error| clean(error, theme.ascii));
    let field_w = width(&label) + 1 + width(&text) + width(theme.glyphs.cursor);
    let inner_w = field_w
        .max(PROMPT_WIDTH)
        .max(error.as_deref().map_or(0, width))
        .max(width(title) + 2)
        .max(keys_w)
        .min(MESSAGE_WIDTH)
        .min(max_w.saturating_sub(4) as usize)
        .max(1);
    let error_lines = error
        .as_deref()
        .map(|error| wrap(error, inner_w, theme.glyphs.ellipsis))
        .unwrap_or_default();
    let wanted = (1 + error_lines.len() + 2).min(max_h.saturating_sub(2) as usize);
    let inner = open_box(buf, area, (inner_w as u16, wanted as u16), title, theme);
    if inner.is_empty() {
        return;
    }
    draw_field(buf, inner, &label, &text, theme);
    let rows = inner.height as usize;
    if rows >= 2 {
        let footer = pack_answers(&keys, inner.width as usize);
        let footer_rows = footer.len().min(rows - 1);
        let top = inner.bottom() - footer_rows as u16;
        for (row, at) in footer.iter().take(footer_rows).enumerate() {
            draw_answers(buf, inner, top + row as u16, at, &keys, theme);
        }
        let room = inner.width as usize;
        for (row, line) in error_lines.iter().enumerate() {
            let y = inner.y + 1 + row as u16;
            if y >= top {
                break;
            }
            put(buf, inner, inner.x, y, line, room, theme.warn());
        }
    }
}

/// The prompt's first row: the label, then as much of the end of the text as fits, and the
/// cursor.
fn draw_field(buf: &mut Buffer, inner: Rect, label: &str, text: &str, theme: &Theme) {
    let room = inner.width as usize;
    let y = inner.y;
    let cursor = theme.glyphs.cursor;
    let label_style = CellStyle::new().add_modifier(Modifier::BOLD);
    // The label gives way to the text when the box is very narrow.
    let label = if width(label) + 1 + width(cursor) + 4 <= room {
        label
    } else {
        ""
    };
    let mut x = put(buf, inner, inner.x, y, label, room, label_style);
    if !label.is_empty() {
        x += 1;
    }
    let text_room = (inner.right().saturating_sub(x) as usize).saturating_sub(width(cursor));
    let shown = tail(text, text_room, theme.glyphs.ellipsis);
    x = put(buf, inner, x, y, &shown, text_room, CellStyle::new());
    let cursor_style = theme.fg(Color::White, Modifier::empty());
    put(buf, inner, x, y, cursor, width(cursor), cursor_style);
}

/// The end of `s` in at most `max` cells, starting with `ellipsis` when its start was cut.
fn tail<'a>(s: &'a str, max: usize, ellipsis: &str) -> Cow<'a, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    let room = max.saturating_sub(width(ellipsis));
    if room == 0 {
        let mark = if width(ellipsis) <= max { ellipsis } else { "" };
        return Cow::Owned(mark.to_owned());
    }
    let mut used = 0;
    let mut start = s.len();
    for (at, c) in s.char_indices().rev() {
        used += char_width(c);
        if used > room {
            break;
        }
        start = at;
    }
    Cow::Owned(format!("{ellipsis}{}", &s[start..]))
}

/// The first item of a `rows`-row window onto `count` items that shows `selected`, and the
/// number shown: a row at the top or bottom says how many are out of view that way when there
/// are any (and at least three rows).
pub fn pick_window(count: usize, selected: usize, rows: usize) -> (usize, usize) {
    if count <= rows {
        return (0, count);
    }
    let selected = selected.min(count - 1);
    if rows < 3 {
        let first = selected.saturating_sub(rows.saturating_sub(1));
        return (first, rows.min(count - first));
    }
    let shown = |first: usize| {
        let up = usize::from(first > 0);
        let n = rows - up;
        if first + n < count { n - 1 } else { n }
    };
    let mut first = 0;
    while selected >= first + shown(first) {
        first += 1;
    }
    (first, shown(first))
}

/// A list to pick from: the items with the selected one lit and marked, scrolled to keep it in
/// view, and the hint.
fn pick(
    buf: &mut Buffer,
    area: Rect,
    title: &str,
    (items, selected): (&[String], usize),
    hint: &str,
    theme: &Theme,
) {
    let (max_w, max_h) = limits(area);
    let items: Vec<Cow<'_, str>> = items.iter().map(|item| clean(item, theme.ascii)).collect();
    let hint = clean(hint, theme.ascii);
    let mark_w = width(PICK_MARK);
    let natural = items
        .iter()
        .map(|item| width(item) + mark_w)
        .max()
        .unwrap_or(width(PICK_EMPTY))
        .max(width(&hint))
        .max(width(title) + 2);
    let inner_w = natural
        .clamp(24, MESSAGE_WIDTH)
        .min(max_w.saturating_sub(4) as usize)
        .max(1);
    let wanted = (items.len().max(1) + 2).min(max_h.saturating_sub(2) as usize);
    let inner = open_box(buf, area, (inner_w as u16, wanted as u16), title, theme);
    if inner.is_empty() {
        return;
    }
    let room = inner.width as usize;
    let rows = inner.height as usize;
    // The hint keeps the last row, and a blank row above it when there is room to spare.
    let list_rows = match rows {
        0..=1 => rows,
        _ if rows > items.len() + 1 => rows - 2,
        _ => rows - 1,
    };
    if rows >= 2 {
        let hint = shorten(&hint, room, theme.glyphs.ellipsis);
        put(
            buf,
            inner,
            inner.x,
            inner.bottom() - 1,
            &hint,
            room,
            theme.dim(),
        );
    }
    if items.is_empty() {
        put(buf, inner, inner.x, inner.y, PICK_EMPTY, room, theme.dim());
        return;
    }
    let (first, shown) = pick_window(items.len(), selected, list_rows);
    let mut y = inner.y;
    if first > 0 {
        let text = format!("{} {first} above", theme.glyphs.more);
        put(buf, inner, inner.x, y, &text, room, theme.dim());
        y += 1;
    }
    let lit = theme.lit(Color::LightCyan);
    for (at, item) in items.iter().enumerate().skip(first).take(shown) {
        let chosen = at == selected;
        let (mark, style) = if chosen {
            (PICK_MARK, lit)
        } else {
            ("", CellStyle::new())
        };
        if chosen {
            style_row(buf, inner, y, lit);
        }
        let x = put(buf, inner, inner.x, y, mark, room, style);
        let x = if chosen { x } else { inner.x + mark_w as u16 };
        let left = inner.right().saturating_sub(x) as usize;
        let item = shorten(item, left, theme.glyphs.ellipsis);
        put(buf, inner, x, y, &item, left, style);
        y += 1;
    }
    let below = items.len() - first - shown;
    if below > 0 && y < inner.y + list_rows as u16 {
        let text = format!("{} {below} below", theme.glyphs.more);
        put(buf, inner, inner.x, y, &text, room, theme.dim());
    }
}

/// The arc view: a box over most of the screen holding the arc panel and the close hint.
fn arc_box(buf: &mut Buffer, area: Rect, arc: &ArcView, blind: BlindLevel, theme: &Theme) {
    let (max_w, max_h) = limits_up_to(area, ARC_MAX_WIDTH);
    let inner = (max_w.saturating_sub(4), max_h.saturating_sub(2));
    let inner = open_box_up_to(buf, area, inner, ARC_TITLE, theme, ARC_MAX_WIDTH);
    if inner.is_empty() {
        return;
    }
    let room = inner.width as usize;
    let hint = shorten(ARC_HINT, room, theme.glyphs.ellipsis);
    let panel = if inner.height >= 2 {
        put(
            buf,
            inner,
            inner.x,
            inner.bottom() - 1,
            &hint,
            room,
            theme.dim(),
        );
        Rect::new(inner.x, inner.y, inner.width, inner.height - 1)
    } else {
        inner
    };
    ArcPanel::new(arc, theme).blind(blind).render(panel, buf);
}

/// An exercise's results: a box as wide as the screen allows (up to [`RESULTS_MAX_WIDTH`]) and
/// as tall as its panel needs, or the screen's height when that is less.
fn results_box(
    buf: &mut Buffer,
    area: Rect,
    results: &ResultsView,
    blind: BlindLevel,
    theme: &Theme,
) {
    let (max_w, max_h) = limits_up_to(area, RESULTS_MAX_WIDTH);
    let inner_w = max_w.saturating_sub(4);
    let panel = ResultsPanel::new(results, theme).blind(blind);
    let inner_h = panel.height(inner_w).min(max_h.saturating_sub(2));
    let inner = open_box_up_to(
        buf,
        area,
        (inner_w, inner_h),
        &results.title,
        theme,
        RESULTS_MAX_WIDTH,
    );
    if inner.is_empty() {
        return;
    }
    panel.render(inner, buf);
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Cell;

    use super::*;
    use crate::ui::ballistics::Scale;
    use crate::ui::view::Style;

    fn theme() -> Theme {
        Theme::new(&Style {
            ascii: true,
            color: false,
            scale: Scale::default(),
        })
    }

    /// Renders `overlay` over a `w` x `h` screen pre-filled with 'x'.
    fn render(overlay: &Overlay, w: u16, h: u16) -> Vec<String> {
        let mut buf = Buffer::filled(Rect::new(0, 0, w, h), Cell::new("x"));
        OverlayBox::new(overlay, &theme()).render(buf.area, &mut buf);
        (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect())
            .collect()
    }

    /// A list window always holds the selected item, scrolls no further than needed, and
    /// gives a row to each "more" line it needs.
    #[test]
    fn pick_windows() {
        assert_eq!(pick_window(5, 4, 8), (0, 5));
        assert_eq!(pick_window(30, 0, 8), (0, 7));
        assert_eq!(pick_window(30, 6, 8), (0, 7));
        assert_eq!(pick_window(30, 7, 8), (2, 6));
        assert_eq!(pick_window(30, 29, 8), (23, 7));
        assert_eq!(pick_window(30, 99, 8), (23, 7));
        assert_eq!(pick_window(30, 10, 2), (9, 2));
        assert_eq!(pick_window(30, 10, 1), (10, 1));
        assert_eq!(pick_window(0, 0, 4), (0, 0));
        for count in 0..12 {
            for rows in 1..10 {
                for selected in 0..count {
                    let (first, shown) = pick_window(count, selected, rows);
                    assert!((first..first + shown).contains(&selected));
                    let more = usize::from(first > 0) + usize::from(first + shown < count);
                    assert!(shown + if rows >= 3 { more } else { 0 } <= rows);
                }
            }
        }
    }

    /// A prompt shows the label, the text and the cursor, the error, and its keys; text longer
    /// than the field keeps its end in view, and keys that do not fit on a row take two.
    #[test]
    fn prompt_box() {
        let mut prompt = Overlay::Prompt {
            title: "New section at 1:05.2".to_owned(),
            label: "Name:".to_owned(),
            text: "Verse 1".to_owned(),
            error: Some("a section named Verse 1 exists".to_owned()),
            answers: vec![
                ("Enter".to_owned(), "ok".to_owned()),
                ("Esc".to_owned(), "cancel".to_owned()),
            ],
        };
        let rows = render(&prompt, 40, 8);
        assert_eq!(
            rows,
            [
                "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                "  +- New section at 1:05.2 ----------+  ",
                "  | Name: Verse 1_                   |  ",
                "  | a section named Verse 1 exists   |  ",
                "  |                                  |  ",
                "  | [Enter] ok  [Esc] cancel         |  ",
                "  +----------------------------------+  ",
                "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            ]
        );
        if let Overlay::Prompt { text, error, .. } = &mut prompt {
            *text = "A very long section name indeed".to_owned();
            *error = None;
        }
        let rows = render(&prompt, 30, 6);
        assert_eq!(
            rows,
            [
                "  +- New section at~ ------+  ",
                "  | Name: ~on name indeed_ |  ",
                "  | [Enter] ok             |  ",
                "  | [Esc] cancel           |  ",
                "  +------------------------+  ",
                "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            ]
        );
        assert_eq!(tail("abcdef", 4, "~"), "~def");
        assert_eq!(tail("abcdef", 6, "~"), "abcdef");
        assert_eq!(tail("abcdef", 1, "~"), "~");
        assert_eq!(tail("abcdef", 0, "~"), "");
    }

    /// A list marks and lights its selected item and scrolls to it, saying how many items are
    /// out of view each way; the hint is on the last row.
    #[test]
    fn pick_box() {
        let pick = Overlay::Pick {
            title: "Copy which scene?".to_owned(),
            items: (1..=9).map(|n| format!("Section {n}")).collect(),
            selected: 6,
            hint: "Enter copy  Esc cancel".to_owned(),
        };
        let rows = render(&pick, 34, 8);
        assert_eq!(
            rows,
            [
                "   +- Copy which scene? ------+   ",
                "   | ... 4 above              |   ",
                "   |   Section 5              |   ",
                "   |   Section 6              |   ",
                "   | > Section 7              |   ",
                "   | ... 2 below              |   ",
                "   | Enter copy  Esc cancel   |   ",
                "   +--------------------------+   ",
            ]
        );
    }
}
