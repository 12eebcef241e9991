//! The arc view (UI thread): every channel's effective level section by section (its scene's
//! or base fader, plus the mean level its rides add over the section), so the song's level
//! shape shows at a glance.
//!
//! A chart on top draws one line per channel across the sections (x: the sections in time
//! order, named under the axis; y: dB), each channel in its role's colour and tagged with a
//! letter of its own at its points. Without colour, or with `--ascii`, the lines are drawn in
//! the letters themselves. Under the chart a table gives the numbers: one row per channel, one
//! column per section. A section where a channel is muted or off has no point on its line and
//! reads "off" in the table. When the panel is too short for both, the table stays.
//!
//! While blind the panel shows no number: the chart keeps its shape without a dB scale, and a
//! legend of the channels takes the table's place.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style as CellStyle};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Widget};

use crate::ui::view::{ArcChannel, ArcView, BlindLevel};
use crate::ui::widgets::Theme;
use crate::ui::widgets::clear;
use crate::ui::widgets::strip::scene_style;
use crate::ui::widgets::text::{clean, db, pack, put, shorten, shorten_numbered, width};

/// The shortest chart worth drawing, axis and section names included.
pub const CHART_MIN_ROWS: u16 = 7;

/// The narrowest chart worth drawing.
pub const CHART_MIN_WIDTH: u16 = 24;

/// How far the chart's dB range reaches past the loudest and quietest levels.
pub const MARGIN_DB: f64 = 3.0;

/// Stands for a muted or switched-off channel in the table.
pub const OFF: &str = "off";

/// Said in place of the chart and table when there is nothing to draw.
pub const NOTHING: &str = "no channels or no sections";

/// The narrowest and widest table column, its one-cell gap included.
const COLUMN_WIDTH: (u16, u16) = (6, 10);

/// The widest name column of the table, the channel's letter and the gap after it included.
const NAME_WIDTH: usize = 20;

/// The letter that tags channel `index` on the chart and in the table: A-Z, then a-z, then `+`.
pub fn letter(index: usize) -> char {
    match index {
        0..26 => char::from(b'A' + index as u8),
        26..52 => char::from(b'a' + (index - 26) as u8),
        _ => '+',
    }
}

/// A level as the table shows it: "-4.0", "+1.5", or "off".
pub fn level_text(level: Option<f64>) -> String {
    match level {
        Some(db_value) if db_value >= -999.0 && !db_value.is_nan() => db(db_value),
        _ => OFF.to_owned(),
    }
}

/// Whether `level` is the channel's base level (then the table does not stand it out).
fn is_base(channel: &ArcChannel, level: Option<f64>) -> bool {
    let audible = |v: f64| v >= -999.0 && !v.is_nan();
    match level.filter(|&v| audible(v)) {
        Some(v) => audible(channel.base_db) && (v - channel.base_db).abs() < 0.05,
        None => !audible(channel.base_db),
    }
}

/// The chart's dB range and its scale steps: from [`MARGIN_DB`] under the quietest level to
/// [`MARGIN_DB`] over the loudest, in whole dB, widened at the top so `labels` labels fall on
/// whole dB; -12..0 dB (widened alike) when no channel is heard anywhere.
pub fn bounds(arc: &ArcView, labels: usize) -> (f64, f64) {
    let levels = arc
        .channels
        .iter()
        .flat_map(|c| c.levels_db.iter().flatten())
        .copied()
        .filter(|v| v.is_finite() && *v >= -999.0);
    let (min, max) = levels.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (low, high) = if min.is_finite() {
        ((min - MARGIN_DB).floor(), (max + MARGIN_DB).ceil())
    } else {
        (-12.0, 0.0)
    };
    let steps = labels.saturating_sub(1).max(1) as f64;
    let step = ((high - low) / steps).ceil().max(1.0);
    (low, low + step * steps)
}

/// A scale label: "+6", "0", "-12".
fn scale_label(value: f64) -> String {
    let value = value.round();
    if value > 0.0 {
        format!("+{value:.0}")
    } else if value == 0.0 {
        "0".to_owned()
    } else {
        format!("{value:.0}")
    }
}

/// The arc view's chart and table, without a box.
#[derive(Debug, Clone, Copy)]
pub struct ArcPanel<'a> {
    arc: &'a ArcView,
    theme: &'a Theme,
    blind: BlindLevel,
}

impl<'a> ArcPanel<'a> {
    /// The panel for `arc`, drawn with `theme`, not blind.
    pub fn new(arc: &'a ArcView, theme: &'a Theme) -> Self {
        Self {
            arc,
            theme,
            blind: BlindLevel::Off,
        }
    }

    /// Hides what `blind` hides.
    #[must_use]
    pub fn blind(mut self, blind: BlindLevel) -> Self {
        self.blind = blind;
        self
    }
}

/// The channel's letter and name in `room` cells, "A Melody guitar".
fn tagged_name(at: usize, channel: &ArcChannel, room: usize, theme: &Theme) -> String {
    let name = clean(&channel.name, theme.ascii);
    let name = shorten(&name, room.saturating_sub(2), theme.glyphs.ellipsis);
    format!("{} {name}", letter(at))
}

impl ArcPanel<'_> {
    /// Rows the legend takes in `room` cells: the channels' tagged names side by side, two
    /// cells apart, wrapped; each line as the indices of its channels.
    fn legend_lines(&self, room: usize) -> Vec<Vec<usize>> {
        let widths = (self.arc.channels.iter().enumerate())
            .map(|(at, channel)| width(&tagged_name(at, channel, room, self.theme)));
        pack(widths, room)
    }

    /// The legend: each channel's letter and name in its role's colour.
    fn draw_legend(&self, buf: &mut Buffer, area: Rect, lines: &[Vec<usize>]) {
        let theme = self.theme;
        let room = area.width as usize;
        for (row, line) in lines.iter().take(area.height as usize).enumerate() {
            let y = area.y + row as u16;
            let mut x = area.x;
            for &at in line {
                let channel = &self.arc.channels[at];
                let text = tagged_name(at, channel, room, theme);
                let style = theme.role(channel.role).add_modifier(Modifier::BOLD);
                x = put(buf, area, x, y, &text, room, style) + 2;
            }
        }
    }

    /// The sections the table has room for in `room` cells, around the current one, and each
    /// column's width.
    fn table_columns(&self, room: u16) -> (std::ops::Range<usize>, u16) {
        let count = self.arc.sections.len();
        let fit = (room / COLUMN_WIDTH.0) as usize;
        if fit == 0 {
            return (0..0, COLUMN_WIDTH.0);
        }
        let shown = fit.min(count);
        let current = self.arc.current.unwrap_or(0).min(count.saturating_sub(1));
        let first = current.saturating_sub(shown / 2).min(count - shown);
        let column = (room / shown as u16).clamp(COLUMN_WIDTH.0, COLUMN_WIDTH.1);
        (first..first + shown, column)
    }

    /// The table: a header of section names, then each channel's tagged name and its level in
    /// each section, levels that differ from its base in the scene colour.
    fn draw_table(&self, buf: &mut Buffer, area: Rect) {
        let theme = self.theme;
        let arc = self.arc;
        // The letter, a space, the name and a gap before the first column.
        let longest = arc
            .channels
            .iter()
            .map(|c| width(&clean(&c.name, theme.ascii)) + 3)
            .max()
            .unwrap_or(0);
        let name_w = longest.clamp(6, NAME_WIDTH).min(area.width as usize / 3) as u16;
        let (sections, column) = self.table_columns(area.width - name_w);
        let x_of = |slot: usize| area.x + name_w + slot as u16 * column;
        let room = column as usize - 1;
        let right = |buf: &mut Buffer, slot: usize, y: u16, text: &str, style: CellStyle| {
            let text = shorten(text, room, theme.glyphs.ellipsis);
            let x = x_of(slot) + column - width(&text) as u16;
            put(buf, area, x, y, &text, room, style);
        };
        if sections.start > 0 {
            put(
                buf,
                area,
                area.x,
                area.y,
                theme.glyphs.more_left,
                2,
                theme.dim(),
            );
        }
        if sections.end < arc.sections.len() {
            let x = (area.x + name_w).saturating_sub(2).max(area.x);
            put(
                buf,
                area,
                x,
                area.y,
                theme.glyphs.more_right,
                2,
                theme.dim(),
            );
        }
        for (slot, at) in sections.clone().enumerate() {
            let name = clean(&arc.sections[at], theme.ascii);
            let name = shorten_numbered(&name, room, theme.glyphs.ellipsis);
            let style = if arc.current == Some(at) {
                theme.lit(Color::LightCyan)
            } else {
                CellStyle::new().add_modifier(Modifier::BOLD)
            };
            right(buf, slot, area.y, &name, style);
        }
        let rows = area.height.saturating_sub(1) as usize;
        let count = arc.channels.len();
        let shown = if count > rows {
            rows.saturating_sub(1)
        } else {
            count
        };
        for (at, channel) in arc.channels.iter().enumerate().take(shown) {
            let y = area.y + 1 + at as u16;
            let name_room = (name_w as usize).saturating_sub(1);
            let name = tagged_name(at, channel, name_room, theme);
            let style = theme.role(channel.role);
            put(buf, area, area.x, y, &name, name_room, style);
            for (slot, section) in sections.clone().enumerate() {
                let level = channel.levels_db.get(section).copied().flatten();
                let style = if is_base(channel, level) {
                    CellStyle::new()
                } else {
                    scene_style(theme)
                };
                right(buf, slot, y, &level_text(level), style);
            }
        }
        if shown < count && rows > 0 {
            let text = format!("{} {} more", theme.glyphs.more, count - shown);
            let y = area.y + 1 + shown as u16;
            put(
                buf,
                area,
                area.x,
                y,
                &text,
                area.width as usize,
                theme.dim(),
            );
        }
    }

    /// Each channel's points, one run per stretch of sections where it is heard.
    fn runs(&self) -> Vec<(usize, Vec<(f64, f64)>)> {
        let mut runs = Vec::new();
        for (at, channel) in self.arc.channels.iter().enumerate() {
            let mut run = Vec::new();
            for (section, level) in channel.levels_db.iter().enumerate() {
                match level.filter(|v| v.is_finite() && *v >= -999.0) {
                    Some(v) if section < self.arc.sections.len() => run.push((section as f64, v)),
                    _ if !run.is_empty() => runs.push((at, std::mem::take(&mut run))),
                    _ => {}
                }
            }
            if !run.is_empty() {
                runs.push((at, run));
            }
        }
        runs
    }

    /// The chart: the lines, the dB scale (not while blind) and the section names under the
    /// axis, the current one lit.
    fn draw_chart(&self, buf: &mut Buffer, area: Rect) {
        let theme = self.theme;
        let count = self.arc.sections.len();
        let graph_rows = area.height.saturating_sub(2);
        let labels = match graph_rows {
            9.. => 5,
            4..9 => 3,
            _ => 2,
        };
        let (low, high) = bounds(self.arc, labels);
        let y_labels: Vec<Line<'_>> = if self.blind.hides_numbers() {
            vec![Line::from(""); 2]
        } else {
            let step = (high - low) / (labels - 1) as f64;
            (0..labels)
                .map(|i| Line::from(scale_label(low + step * i as f64)))
                .collect()
        };
        let runs = self.runs();
        let letters = theme.ascii || !theme.color;
        let mut datasets = Vec::with_capacity(runs.len() * 2);
        for (at, points) in &runs {
            let role = theme.role(self.arc.channels[*at].role);
            let marker = if letters {
                Marker::Custom(letter(*at))
            } else {
                Marker::Braille
            };
            datasets.push(
                Dataset::default()
                    .marker(marker)
                    .graph_type(GraphType::Line)
                    .style(role)
                    .data(points),
            );
        }
        if !letters {
            for (at, points) in &runs {
                let role = theme.role(self.arc.channels[*at].role);
                datasets.push(
                    Dataset::default()
                        .marker(Marker::Custom(letter(*at)))
                        .graph_type(GraphType::Scatter)
                        .style(role)
                        .data(points),
                );
            }
        }
        let x_labels = vec![Line::from(""); count.max(2)];
        Chart::new(datasets)
            .x_axis(
                Axis::default()
                    .bounds([-0.5, count as f64 - 0.5])
                    .labels(x_labels)
                    .style(theme.dim()),
            )
            .y_axis(
                Axis::default()
                    .bounds([low, high])
                    .labels(y_labels)
                    .style(theme.dim()),
            )
            .legend_position(None)
            .render(area, buf);
        self.draw_section_names(buf, area);
        if theme.ascii {
            asciify(buf, area);
        }
    }

    /// The section names under the chart's x axis, each centred under its points.
    fn draw_section_names(&self, buf: &mut Buffer, area: Rect) {
        let theme = self.theme;
        let count = self.arc.sections.len();
        let corner = (area.top()..area.bottom())
            .flat_map(|y| (area.left()..area.right()).map(move |x| (x, y)))
            .find(|&(x, y)| buf[(x, y)].symbol() == "└");
        let Some((axis_x, axis_y)) = corner else {
            return;
        };
        let left = axis_x + 1;
        let graph_w = area.right().saturating_sub(left);
        let y = axis_y + 1;
        if graph_w == 0 || count == 0 || y >= area.bottom() {
            return;
        }
        let band = (graph_w as usize / count).max(1);
        let mut free = left;
        for (at, name) in self.arc.sections.iter().enumerate() {
            let centre = f64::from(left)
                + ((at as f64 + 0.5) * f64::from(graph_w - 1) / count as f64).round();
            let name = clean(name, theme.ascii);
            let room = band.saturating_sub(1).max(1);
            let name = shorten_numbered(&name, room, theme.glyphs.ellipsis);
            let w = width(&name) as u16;
            let x = ((centre - f64::from(w / 2)).max(0.0) as u16)
                .max(free)
                .min(area.right().saturating_sub(w));
            if x < free {
                continue;
            }
            let style = if self.arc.current == Some(at) {
                theme.lit(Color::LightCyan)
            } else {
                CellStyle::new()
            };
            free = put(buf, area, x, y, &name, w as usize, style) + 1;
        }
    }
}

/// Replaces the chart's box-drawing characters in `area` with ASCII ones.
fn asciify(buf: &mut Buffer, area: Rect) {
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let ascii = match buf[(x, y)].symbol() {
                "─" => "-",
                "│" => "|",
                "└" | "┌" | "┐" | "┘" => "+",
                _ => continue,
            };
            buf[(x, y)].set_symbol(ascii);
        }
    }
}

impl Widget for ArcPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(*buf.area());
        if area.is_empty() {
            return;
        }
        clear(buf, area);
        let theme = self.theme;
        if self.arc.channels.is_empty() || self.arc.sections.is_empty() {
            let text = shorten(NOTHING, area.width as usize, theme.glyphs.ellipsis);
            put(
                buf,
                area,
                area.x,
                area.y,
                &text,
                area.width as usize,
                theme.dim(),
            );
            return;
        }
        let chart_fits = |rows: u16| rows >= CHART_MIN_ROWS && area.width >= CHART_MIN_WIDTH;
        if self.blind.hides_numbers() {
            let lines = self.legend_lines(area.width as usize);
            let legend_rows = (lines.len() as u16).min(area.height);
            let chart_rows = area.height.saturating_sub(legend_rows + 1);
            // The chart's letters mean nothing without the legend: it goes first.
            if chart_fits(chart_rows) {
                self.draw_chart(buf, Rect::new(area.x, area.y, area.width, chart_rows));
                let legend =
                    Rect::new(area.x, area.bottom() - legend_rows, area.width, legend_rows);
                self.draw_legend(buf, legend, &lines);
            } else {
                self.draw_legend(buf, area, &lines);
            }
            return;
        }
        let table_rows = (self.arc.channels.len() as u16 + 1).min(area.height);
        let chart_rows = area.height.saturating_sub(table_rows + 1);
        let table = Rect::new(area.x, area.bottom() - table_rows, area.width, table_rows);
        if chart_fits(chart_rows) {
            self.draw_chart(buf, Rect::new(area.x, area.y, area.width, chart_rows));
            self.draw_table(buf, table);
        } else {
            self.draw_table(buf, area);
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Cell;

    use super::*;
    use crate::session::Role;
    use crate::ui::ballistics::Scale;
    use crate::ui::view::Style;

    fn theme(ascii: bool, color: bool) -> Theme {
        Theme::new(&Style {
            ascii,
            color,
            scale: Scale::default(),
        })
    }

    /// Three sections; the bass steps up in the chorus, the voice is out in the intro.
    fn arc() -> ArcView {
        ArcView {
            sections: vec!["Intro".to_owned(), "Verse".to_owned(), "Chorus".to_owned()],
            current: Some(1),
            channels: vec![
                ArcChannel {
                    name: "Bass".to_owned(),
                    role: Some(Role::Bass),
                    levels_db: vec![Some(-6.0), Some(-6.0), Some(0.0)],
                    base_db: -6.0,
                },
                ArcChannel {
                    name: "Voice".to_owned(),
                    role: Some(Role::Vocal),
                    levels_db: vec![None, Some(-3.0), Some(-3.0)],
                    base_db: -3.0,
                },
            ],
        }
    }

    /// Renders the panel `w` x `h` into a buffer pre-filled with 'x'.
    fn render(panel: ArcPanel<'_>, w: u16, h: u16) -> (Vec<String>, Buffer) {
        let mut buf = Buffer::filled(Rect::new(0, 0, w, h), Cell::new("x"));
        panel.render(buf.area, &mut buf);
        let rows = (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        (rows, buf)
    }

    /// Letters, level texts and the chart's range read as the view promises.
    #[test]
    fn letters_levels_and_bounds() {
        assert_eq!(
            [letter(0), letter(25), letter(26), letter(60)],
            ['A', 'Z', 'a', '+']
        );
        assert_eq!(level_text(Some(-4.0)), "-4.0");
        assert_eq!(level_text(Some(1.5)), "+1.5");
        assert_eq!(level_text(None), "off");
        assert_eq!(level_text(Some(f64::NEG_INFINITY)), "off");
        // -6..0 dB with 3 dB each side is -9..+3: 12 dB, four steps of 3 for five labels.
        assert_eq!(bounds(&arc(), 5), (-9.0, 3.0));
        // Three labels need an even span: -9..+3 is already one.
        assert_eq!(bounds(&arc(), 3), (-9.0, 3.0));
        let mut odd = arc();
        odd.channels[0].levels_db[2] = Some(0.5);
        assert_eq!(bounds(&odd, 3), (-9.0, 5.0));
        let mut silent = arc();
        for channel in &mut silent.channels {
            channel.levels_db = vec![None; 3];
        }
        assert_eq!(bounds(&silent, 5), (-12.0, 0.0));
    }

    /// With room for both, the chart (a line per channel in its letter, the dB scale, the
    /// section names under the axis) sits over the table (each channel's level per section,
    /// "off" where it is muted); a missing level breaks the line.
    #[test]
    fn chart_over_table() {
        let arc = arc();
        let theme = theme(true, false);
        let (rows, _) = render(ArcPanel::new(&arc, &theme), 40, 11);
        assert_eq!(
            rows,
            [
                "+3|                                     ",
                "  |                            AAA      ",
                "-3|                  BBBBBBBBBBBBB      ",
                "  |      AAAAAAAAAAAAAAAA               ",
                "-9|                                     ",
                "  +-------------------------------------",
                "       Intro       Verse      Chorus    ",
                "                                        ",
                "             Intro     Verse    Chorus  ",
                "A Bass        -6.0      -6.0       0.0  ",
                "B Voice        off      -3.0      -3.0  ",
            ]
        );
    }

    /// Too short for a chart, the panel is the table alone, cut with a count of the channels
    /// left out; levels off the base stand out, the current section's name is lit.
    #[test]
    fn table_alone() {
        let mut arc = arc();
        arc.channels.push(ArcChannel {
            name: "Kick".to_owned(),
            role: Some(Role::Kick),
            levels_db: vec![Some(0.0); 3],
            base_db: 0.0,
        });
        let theme = theme(false, false);
        let (rows, buf) = render(ArcPanel::new(&arc, &theme), 30, 3);
        assert_eq!(
            rows,
            [
                "          Intro  Verse Chorus ",
                "A Bass     -6.0   -6.0    0.0 ",
                "… 2 more                      ",
            ]
        );
        assert!(
            buf[(17, 0)].modifier.contains(Modifier::REVERSED),
            "Verse lit"
        );
        assert!(
            buf[(26, 1)].modifier.contains(Modifier::BOLD),
            "0.0 is the scene's"
        );
        assert!(
            !buf[(18, 1)].modifier.contains(Modifier::BOLD),
            "-6.0 is the base"
        );
    }

    /// Blind, the panel shows no number: the chart has no dB scale and a legend of the
    /// channels takes the table's place.
    #[test]
    fn blind_panel() {
        let arc = arc();
        let theme = theme(false, true);
        for (w, h) in [(40, 11), (40, 3), (80, 24), (24, 9), (24, 8)] {
            let panel = ArcPanel::new(&arc, &theme).blind(BlindLevel::Numbers);
            let (rows, _) = render(panel, w, h);
            let text = rows.concat();
            assert!(!text.chars().any(|c| c.is_ascii_digit()), "{rows:#?}");
            assert!(text.contains("A Bass  B Voice"), "{rows:#?}");
        }
    }

    /// Nothing to draw says so; any size draws without panicking.
    #[test]
    fn odd_panels() {
        let theme = theme(false, true);
        let mut empty = arc();
        empty.channels.clear();
        let (rows, _) = render(ArcPanel::new(&empty, &theme), 30, 2);
        assert_eq!(rows[0], "no channels or no sections    ");
        let mut one = arc();
        one.sections.truncate(1);
        one.current = Some(7);
        for w in 0..60 {
            for h in 0..14 {
                for arc in [&one, &empty] {
                    render(ArcPanel::new(arc, &theme), w, h);
                    render(ArcPanel::new(arc, &theme).blind(BlindLevel::Numbers), w, h);
                }
            }
        }
    }
}
