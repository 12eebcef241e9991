//! An exercise's results (UI thread): the panel inside the results box, top to bottom the
//! headline, a table with a bar chart, the reading and the answers.
//!
//! The table has a name column (names shortened, never wrapped), one right-aligned column per
//! heading, and a bar chart filling the rest of the width: a centre line at 0 dB, a bar to the
//! left of it for a negative value and to the right for a positive one, in the channel's role
//! colour, all scaled so the largest value (at least [`SCALE_MIN_DB`]) just fits. The scale's
//! end shows once, after what the chart shows, over the chart ("±6 dB"); when that heading is
//! wider than the chart it takes a row of its own, ending where the chart ends.
//!
//! When the panel is too short for everything, the answers stay whole, then the table (its
//! last rows counted in a "… N more" line when even it does not fit), then the headline; the
//! reading takes what is left and ends in an ellipsis line when cut. Narrow, the chart goes
//! before the columns do.
//!
//! Results are not meant to be shown blind, but when [`BlindLevel`] hides numbers the cells and
//! the scale's value are left blank.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style as CellStyle};
use ratatui::widgets::Widget;

use crate::ui::view::{BlindLevel, ResultRow, ResultsView};
use crate::ui::widgets::Theme;
use crate::ui::widgets::answers::{Answer, draw_answers, pack_answers};
use crate::ui::widgets::text::{clean, put, put_right, shorten, shorten_numbered, width, wrap};

/// The smallest scale the chart uses, in dB each side of its centre line.
pub const SCALE_MIN_DB: f64 = 6.0;

/// The widest the name column grows.
pub const NAME_MAX_WIDTH: usize = 20;

/// The narrowest the name column is squeezed to so the chart can stay.
pub const NAME_MIN_WIDTH: usize = 8;

/// The widest a figures column grows (longer figures are shortened).
pub const COLUMN_MAX_WIDTH: usize = 12;

/// The narrowest chart worth drawing: four cells each side of the centre line.
pub const CHART_MIN_WIDTH: usize = 9;

/// The cells between two columns of the table.
const GAP: usize = 2;

/// Unicode half blocks ending a bar that stops half-way through a cell: to the left of the
/// centre line, to the right of it.
const HALF_TIPS: [&str; 2] = ["▐", "▌"];

/// The chart's scale, in dB each side of the centre line: the largest finite |`bar_db`|,
/// at least [`SCALE_MIN_DB`], rounded up to a whole dB.
pub fn scale_db(rows: &[ResultRow]) -> f64 {
    rows.iter()
        .filter_map(|row| row.bar_db)
        .filter(|value| value.is_finite())
        .map(f64::abs)
        .fold(SCALE_MIN_DB, f64::max)
        .ceil()
}

/// The scale as the chart heading ends: "±6 dB", or "+/-6 dB" in ASCII.
pub fn scale_label(scale_db: f64, ascii: bool) -> String {
    let sign = if ascii { "+/-" } else { "±" };
    format!("{sign}{scale_db:.0} dB")
}

/// How many of `steps` steps (the cells, or half cells, one side of the centre line holds) a
/// bar of `value_db` takes on a chart scaled to `scale_db`; a bar past the scale takes them
/// all, and NaN none.
pub fn bar_steps(value_db: f64, scale_db: f64, steps: usize) -> usize {
    if value_db.is_nan() || scale_db <= 0.0 || scale_db.is_nan() {
        return 0;
    }
    let share = (value_db.abs() / scale_db).min(1.0);
    ((share * steps as f64).round() as usize).min(steps)
}

/// Where the table's parts go, in cells from the panel's left edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableLayout {
    /// The name column's width (it starts at the left edge).
    pub name_width: usize,
    /// The figures columns shown (the first ones, when not all fit): where each ends
    /// (exclusive) and its width; figures are right-aligned.
    pub columns: Vec<(usize, usize)>,
    /// The chart's first cell and width, when there is room for it.
    pub chart: Option<(usize, usize)>,
}

impl TableLayout {
    /// Shares `room` cells out for `results`: the names up to [`NAME_MAX_WIDTH`], every
    /// column as wide as its heading and figures, and the chart the rest. When that leaves the
    /// chart under [`CHART_MIN_WIDTH`] the names give way down to [`NAME_MIN_WIDTH`], then the
    /// chart goes, then the columns from the last. Rows with no bar at all (figures that are
    /// not dB, e.g. the pan drill's) have no chart.
    pub fn new(results: &ResultsView, room: usize, ascii: bool) -> Self {
        let name_natural = results
            .rows
            .iter()
            .map(|row| width(&clean(&row.name, ascii)))
            .max()
            .unwrap_or(0)
            .min(NAME_MAX_WIDTH);
        let widths: Vec<usize> = results
            .columns
            .iter()
            .enumerate()
            .map(|(at, heading)| {
                let cells = results
                    .rows
                    .iter()
                    .filter_map(|row| row.cells.get(at))
                    .map(|cell| width(&clean(cell, ascii)));
                cells
                    .fold(width(&clean(heading, ascii)), usize::max)
                    .clamp(1, COLUMN_MAX_WIDTH)
            })
            .collect();
        let name_least = name_natural.min(NAME_MIN_WIDTH);
        let columns_width =
            |count: usize| -> usize { widths[..count].iter().map(|w| GAP + w).sum() };
        let layout = |name_width: usize, count: usize, chart: Option<usize>| {
            let mut x = name_width;
            let columns = widths[..count]
                .iter()
                .map(|&w| {
                    x += GAP + w;
                    (x, w)
                })
                .collect();
            Self {
                name_width,
                columns,
                chart: chart.map(|w| (x + GAP, w)),
            }
        };
        let all = widths.len();
        let fixed = columns_width(all) + GAP;
        let charted = results.rows.iter().any(|row| row.bar_db.is_some());
        if charted && name_least + fixed + CHART_MIN_WIDTH <= room {
            let name_width = name_natural.min(room - fixed - CHART_MIN_WIDTH);
            return layout(name_width, all, Some(room - name_width - fixed));
        }
        for count in (0..=all).rev() {
            let fixed = columns_width(count);
            if name_least + fixed <= room {
                return layout(name_natural.min(room - fixed), count, None);
            }
        }
        layout(name_natural.min(room), 0, None)
    }
}

/// Up to `wanted` of the `avail` rows left, taken from them.
fn take(avail: &mut usize, wanted: usize) -> usize {
    let got = wanted.min(*avail);
    *avail -= got;
    got
}

/// One row of the panel.
#[derive(Debug, Clone, PartialEq)]
enum Line {
    /// A blank row.
    Blank,
    /// A line of the headline.
    Headline(String),
    /// What the chart shows and its scale, on a row of its own.
    ChartHeading,
    /// The columns' headings (and the chart's when it fits over the chart).
    ColumnHeadings,
    /// The table row for `rows[i]`.
    Row(usize),
    /// Says how many table rows did not fit.
    RowsMore(usize),
    /// A line of the reading.
    Reading(String),
    /// Ends a reading that was cut.
    ReadingCut,
    /// A row of answers: indices into the answers.
    Answers(Vec<usize>),
}

/// An exercise's results, without a box.
#[derive(Debug, Clone, Copy)]
pub struct ResultsPanel<'a> {
    results: &'a ResultsView,
    theme: &'a Theme,
    blind: BlindLevel,
}

impl<'a> ResultsPanel<'a> {
    /// The panel for `results`, drawn with `theme`, not blind.
    pub fn new(results: &'a ResultsView, theme: &'a Theme) -> Self {
        Self {
            results,
            theme,
            blind: BlindLevel::Off,
        }
    }

    /// Hides what `blind` hides: the figures and the scale's value.
    #[must_use]
    pub fn blind(mut self, blind: BlindLevel) -> Self {
        self.blind = blind;
        self
    }

    /// The rows the panel takes at `width` when nothing is cut.
    pub fn height(&self, width: u16) -> u16 {
        let room = width as usize;
        let layout = TableLayout::new(self.results, room, self.theme.ascii);
        let answers = self.answers();
        let lines = self.lines(room, usize::MAX, &layout, &answers);
        lines.len().min(u16::MAX as usize) as u16
    }

    /// The answers, cleaned for drawing.
    fn answers(&self) -> Vec<Answer<'a>> {
        let ascii = self.theme.ascii;
        self.results
            .answers
            .iter()
            .map(|(key, what)| (clean(key, ascii), clean(what, ascii)))
            .collect()
    }

    /// What the chart shows and its scale, in at most `max` cells: the text shortened before
    /// the scale is.
    fn chart_heading(&self, max: usize) -> String {
        let theme = self.theme;
        let text = clean(&self.results.chart, theme.ascii);
        let scale = if self.blind.hides_numbers() || self.results.rows.is_empty() {
            String::new()
        } else {
            scale_label(scale_db(&self.results.rows), theme.ascii)
        };
        let join = |text: &str| match (text.is_empty(), scale.is_empty()) {
            (true, _) => scale.clone(),
            (false, true) => text.to_owned(),
            (false, false) => format!("{text}  {scale}"),
        };
        let full = join(&text);
        if width(&full) <= max {
            return full;
        }
        let text_room = max.saturating_sub(width(&scale) + GAP);
        if text_room >= 4 {
            return join(&shorten(&text, text_room, theme.glyphs.ellipsis));
        }
        if width(&scale) <= max {
            return scale;
        }
        shorten(&text, max, theme.glyphs.ellipsis).into_owned()
    }

    /// Whether the chart heading fits over the chart, on the columns' headings row.
    fn heading_inline(&self, layout: &TableLayout) -> bool {
        layout
            .chart
            .is_some_and(|(_, w)| width(&self.chart_heading(usize::MAX)) <= w)
    }

    /// The panel's rows at `room` cells wide in at most `max_rows` rows.
    fn lines(
        &self,
        room: usize,
        max_rows: usize,
        layout: &TableLayout,
        answers: &[Answer<'_>],
    ) -> Vec<Line> {
        let theme = self.theme;
        let ellipsis = theme.glyphs.ellipsis;
        let results = self.results;
        let wrapped = |text: &str| -> Vec<String> {
            let text = clean(text, theme.ascii);
            wrap(&text, room, ellipsis)
                .into_iter()
                .map(Cow::into_owned)
                .collect()
        };
        let headline: Vec<Line> = results
            .headline
            .iter()
            .flat_map(|line| {
                let lines = wrapped(line);
                if lines.is_empty() {
                    vec![Line::Blank]
                } else {
                    lines.into_iter().map(Line::Headline).collect()
                }
            })
            .collect();
        let mut table = Vec::with_capacity(results.rows.len() + 2);
        let inline = self.heading_inline(layout);
        if layout.chart.is_some() && !inline {
            table.push(Line::ChartHeading);
        }
        if !layout.columns.is_empty() || inline {
            table.push(Line::ColumnHeadings);
        }
        table.extend((0..results.rows.len()).map(Line::Row));
        let mut reading = Vec::new();
        for (at, paragraph) in results.reading.iter().enumerate() {
            if at > 0 {
                reading.push(Line::Blank);
            }
            reading.extend(wrapped(paragraph).into_iter().map(Line::Reading));
        }
        let footer: Vec<Line> = if room == 0 {
            Vec::new()
        } else {
            pack_answers(answers, room)
                .into_iter()
                .map(Line::Answers)
                .collect()
        };

        // The answers first, then the table, a blank above the answers, the headline and a
        // blank under it; the reading gets the rest, a blank above it included.
        let mut avail = max_rows;
        let f = take(&mut avail, footer.len());
        let t = take(&mut avail, table.len());
        let something_above = !(table.is_empty() && headline.is_empty() && reading.is_empty());
        let gap_f = take(&mut avail, usize::from(f > 0 && something_above));
        let h = take(&mut avail, headline.len());
        let gap_h = take(&mut avail, usize::from(h > 0 && t > 0));
        let above = t + h > 0;
        let r = if reading.is_empty() || (above && avail < 2) {
            0
        } else {
            // The blank above the reading.
            take(&mut avail, usize::from(above));
            take(&mut avail, reading.len())
        };

        let mut lines = Vec::with_capacity(max_rows.min(64));
        lines.extend(headline.into_iter().take(h));
        lines.extend((0..gap_h).map(|_| Line::Blank));
        if t < table.len() && t >= 2 {
            let hidden = table[t - 1..]
                .iter()
                .filter(|line| matches!(line, Line::Row(_)))
                .count();
            lines.extend(table.into_iter().take(t - 1));
            lines.push(Line::RowsMore(hidden));
        } else {
            lines.extend(table.into_iter().take(t));
        }
        if r > 0 {
            if above {
                lines.push(Line::Blank);
            }
            if r < reading.len() {
                let mut shown: Vec<Line> = reading.into_iter().take(r - 1).collect();
                while shown.last() == Some(&Line::Blank) {
                    shown.pop();
                }
                lines.extend(shown);
                lines.push(Line::ReadingCut);
            } else {
                lines.extend(reading);
            }
        }
        lines.extend((0..gap_f).map(|_| Line::Blank));
        lines.extend(footer.into_iter().take(f));
        lines
    }

    /// The columns' headings, right-aligned over their figures, and the chart's heading
    /// centred over the chart when it fits there.
    fn draw_headings(&self, buf: &mut Buffer, area: Rect, y: u16, layout: &TableLayout) {
        let theme = self.theme;
        let bold = CellStyle::new().add_modifier(Modifier::BOLD);
        for (heading, &(end, w)) in self.results.columns.iter().zip(&layout.columns) {
            let heading = clean(heading, theme.ascii);
            let heading = shorten(&heading, w, theme.glyphs.ellipsis);
            put_right(buf, area, area.x + end as u16, y, &heading, bold);
        }
        if let Some((x, w)) = layout.chart
            && self.heading_inline(layout)
        {
            let heading = self.chart_heading(w);
            let x = area.x + (x + w.saturating_sub(width(&heading)) / 2) as u16;
            put(buf, area, x, y, &heading, w, bold);
        }
    }

    /// The chart heading on a row of its own, ending where the chart ends.
    fn draw_chart_heading(&self, buf: &mut Buffer, area: Rect, y: u16, layout: &TableLayout) {
        let Some((x, w)) = layout.chart else {
            return;
        };
        let end = x + w;
        let heading = self.chart_heading(end);
        let bold = CellStyle::new().add_modifier(Modifier::BOLD);
        put_right(buf, area, area.x + end as u16, y, &heading, bold);
    }

    /// One table row: the name in its role's colour, the figures, and the bar.
    fn draw_row(&self, buf: &mut Buffer, area: Rect, y: u16, layout: &TableLayout, at: usize) {
        let theme = self.theme;
        let row = &self.results.rows[at];
        let role = theme.role(row.role);
        let name = clean(&row.name, theme.ascii);
        let name = shorten_numbered(&name, layout.name_width, theme.glyphs.ellipsis);
        put(buf, area, area.x, y, &name, layout.name_width, role);
        if !self.blind.hides_numbers() {
            for (cell, &(end, w)) in row.cells.iter().zip(&layout.columns) {
                let cell = clean(cell, theme.ascii);
                let cell = shorten(&cell, w, theme.glyphs.ellipsis);
                put_right(buf, area, area.x + end as u16, y, &cell, CellStyle::new());
            }
        }
        if let Some((x, w)) = layout.chart {
            let chart = Rect::new(area.x + x as u16, y, w as u16, 1).intersection(area);
            self.draw_bar(buf, chart, row.bar_db, role);
        }
    }

    /// The centre line in the middle of the one-row `chart`, and a bar for `value_db` (none
    /// for `None` or NaN) in `style`: whole cells, and in Unicode a half block at its tip.
    fn draw_bar(&self, buf: &mut Buffer, chart: Rect, value_db: Option<f64>, style: CellStyle) {
        if chart.is_empty() {
            return;
        }
        let theme = self.theme;
        let half = (chart.width as usize - 1) / 2;
        let centre = chart.x + half as u16;
        let y = chart.y;
        put(
            buf,
            chart,
            centre,
            y,
            theme.glyphs.separator,
            1,
            theme.dim(),
        );
        let Some(value) = value_db else {
            return;
        };
        let halves = !theme.ascii;
        let steps = bar_steps(
            value,
            scale_db(&self.results.rows),
            half * (1 + usize::from(halves)),
        );
        let (whole, tip) = if halves {
            (steps / 2, steps % 2 == 1)
        } else {
            (steps, false)
        };
        let body = theme.glyphs.rms;
        let left = value < 0.0;
        for at in 1..=whole as u16 {
            let x = if left { centre - at } else { centre + at };
            put(buf, chart, x, y, body, 1, style);
        }
        if tip {
            let at = whole as u16 + 1;
            let (x, glyph) = if left {
                (centre - at, HALF_TIPS[0])
            } else {
                (centre + at, HALF_TIPS[1])
            };
            put(buf, chart, x, y, glyph, 1, style);
        }
    }
}

impl Widget for ResultsPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(*buf.area());
        if area.is_empty() {
            return;
        }
        let theme = self.theme;
        let room = area.width as usize;
        let layout = TableLayout::new(self.results, room, theme.ascii);
        let answers = self.answers();
        let lines = self.lines(room, area.height as usize, &layout, &answers);
        let bold = CellStyle::new().add_modifier(Modifier::BOLD);
        for (at, line) in lines.iter().enumerate() {
            let y = area.y + at as u16;
            match line {
                Line::Blank => {}
                Line::Headline(text) => {
                    put(buf, area, area.x, y, text, room, bold);
                }
                Line::ChartHeading => self.draw_chart_heading(buf, area, y, &layout),
                Line::ColumnHeadings => self.draw_headings(buf, area, y, &layout),
                Line::Row(row) => self.draw_row(buf, area, y, &layout, *row),
                Line::RowsMore(hidden) => {
                    let text = format!("{} {hidden} more", theme.glyphs.more);
                    put(buf, area, area.x, y, &text, room, theme.dim());
                }
                Line::Reading(text) => {
                    put(buf, area, area.x, y, text, room, CellStyle::new());
                }
                Line::ReadingCut => {
                    put(buf, area, area.x, y, theme.glyphs.more, room, theme.dim());
                }
                Line::Answers(row) => draw_answers(buf, area, y, row, &answers, theme),
            }
        }
    }
}

#[cfg(test)]
mod tests {
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

    fn row(name: &str, cells: &[&str], bar_db: Option<f64>) -> ResultRow {
        ResultRow {
            name: name.to_owned(),
            role: Some(Role::Guitar),
            cells: cells.iter().map(|&cell| cell.to_owned()).collect(),
            bar_db,
        }
    }

    /// A drill's results: two rows, three columns, one reading paragraph.
    fn drill() -> ResultsView {
        ResultsView {
            title: "Level-matching drill, level 2".to_owned(),
            headline: vec!["Off by 2.3 dB on average".to_owned()],
            columns: vec!["You".to_owned(), "Target".to_owned(), "Error".to_owned()],
            rows: vec![
                row("Voice", &["-3.0", "-6.0", "+3.0"], Some(3.0)),
                row("Bass", &["-8.5", "-7.0", "-1.5"], Some(-1.5)),
            ],
            chart: "Error (dB)".to_owned(),
            reading: vec!["The voice was too loud.".to_owned()],
            answers: vec![
                ("Enter".to_owned(), "next".to_owned()),
                ("Esc".to_owned(), "stop".to_owned()),
            ],
        }
    }

    /// Renders `results` `w` x `h` into a buffer pre-filled with 'x'.
    fn render(
        results: &ResultsView,
        theme: &Theme,
        blind: BlindLevel,
        w: u16,
        h: u16,
    ) -> Vec<String> {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        ResultsPanel::new(results, theme)
            .blind(blind)
            .render(buf.area, &mut buf);
        (0..h)
            .map(|y| {
                (0..w)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_owned()
            })
            .collect()
    }

    /// The scale is the largest finite value, at least 6 dB, rounded up; bars take their share
    /// of it, rounded, and never more than the room.
    #[test]
    fn scale_and_bars() {
        let mut results = drill();
        assert_eq!(scale_db(&results.rows), 6.0);
        results.rows[1].bar_db = Some(-8.2);
        results.rows[0].bar_db = Some(f64::NEG_INFINITY);
        assert_eq!(scale_db(&results.rows), 9.0);
        assert_eq!(scale_label(9.0, false), "±9 dB");
        assert_eq!(scale_label(6.0, true), "+/-6 dB");
        assert_eq!(bar_steps(3.0, 6.0, 10), 5);
        assert_eq!(bar_steps(-6.0, 6.0, 10), 10);
        assert_eq!(bar_steps(-60.0, 6.0, 10), 10);
        assert_eq!(bar_steps(f64::NEG_INFINITY, 6.0, 10), 10);
        assert_eq!(bar_steps(f64::NAN, 6.0, 10), 0);
        assert_eq!(bar_steps(0.2, 6.0, 10), 0);
    }

    /// The name column, the figures right-aligned under their headings, the chart heading over
    /// the chart with its scale, bars left and right of the centre line, the reading and the
    /// answers.
    #[test]
    fn drill_panel() {
        let rows = render(&drill(), &theme(true, false), BlindLevel::Off, 50, 9);
        assert_eq!(
            rows,
            [
                "Off by 2.3 dB on average",
                "",
                "        You  Target  Error   Error (dB)  +/-6 dB",
                "Voice  -3.0    -6.0   +3.0            |=====",
                "Bass   -8.5    -7.0   -1.5         ===|",
                "",
                "The voice was too loud.",
                "",
                "[Enter] next  [Esc] stop",
            ]
        );
        // Half blocks: +3 dB is ten half cells of twenty, -1.5 dB five.
        let unicode = render(&drill(), &theme(false, true), BlindLevel::Off, 50, 9);
        assert!(unicode[3].ends_with(" │█████"), "{}", unicode[3]);
        assert!(unicode[4].ends_with(" ▐██│"), "{}", unicode[4]);
        // One row short, the reading goes first.
        let rows = render(&drill(), &theme(true, false), BlindLevel::Off, 50, 8);
        assert_eq!(rows[5..], ["", "[Enter] next  [Esc] stop", ""]);
    }

    /// Blind, the figures and the scale's value are blank; names and bars stay.
    #[test]
    fn blind_panel() {
        let rows = render(&drill(), &theme(true, false), BlindLevel::Numbers, 50, 10);
        for row in &rows[2..5] {
            let digits = row.chars().filter(char::is_ascii_digit).count();
            assert_eq!(digits, 0, "{row}");
        }
        assert!(rows[3].starts_with("Voice"));
    }

    /// Too short for everything: the answers and the table stay, the reading is cut with an
    /// ellipsis line; shorter still, the table counts the rows it leaves out.
    #[test]
    fn cutting() {
        let mut results = drill();
        results.reading = vec![
            "One two three four five six seven eight nine ten eleven twelve".to_owned(),
            "Thirteen fourteen fifteen".to_owned(),
        ];
        let panel_theme = theme(true, false);
        let panel = ResultsPanel::new(&results, &panel_theme);
        assert_eq!(panel.height(30), 13);
        let rows = render(&results, &panel_theme, BlindLevel::Off, 30, 10);
        assert_eq!(rows[6], "One two three four five six");
        assert_eq!(rows[7], "...");
        assert_eq!(rows[9], "[Enter] next  [Esc] stop");
        let rows = render(&results, &panel_theme, BlindLevel::Off, 30, 4);
        assert_eq!(rows[1], "Voice  -3.0    -6.0   +3.0");
        assert_eq!(rows[3], "[Enter] next  [Esc] stop");
        let rows = render(&results, &panel_theme, BlindLevel::Off, 30, 3);
        assert_eq!(rows[1..], ["... 2 more", "[Enter] next  [Esc] stop"]);
    }

    /// Narrow, the names give way, then the chart, then the columns from the last.
    #[test]
    fn table_layouts() {
        let results = drill();
        let wide = TableLayout::new(&results, 60, true);
        assert_eq!(wide.name_width, 5);
        assert_eq!(wide.columns, [(11, 4), (19, 6), (26, 5)]);
        assert_eq!(wide.chart, Some((28, 32)));
        let tight = TableLayout::new(&results, 30, true);
        assert_eq!(tight.chart, None);
        let tiny = TableLayout::new(&results, 14, true);
        assert_eq!(tiny.columns.len(), 1);
        for room in 0..80 {
            let layout = TableLayout::new(&results, room, false);
            let end = layout
                .chart
                .map(|(x, w)| x + w)
                .or(layout.columns.last().map(|&(end, _)| end))
                .unwrap_or(layout.name_width);
            assert!(end <= room, "{room}: {layout:?}");
        }
    }

    /// Rows without a bar have no chart and no dB scale: the columns and names take the room.
    #[test]
    fn rows_without_bars_have_no_chart() {
        let mut results = drill();
        for row in &mut results.rows {
            row.bar_db = None;
        }
        results.chart.clear();
        results.headline = vec!["Score: 80 points".to_owned()];
        let layout = TableLayout::new(&results, 60, true);
        assert_eq!(layout.chart, None);
        assert_eq!(layout.columns.len(), 3);
        let rows = render(&results, &theme(true, false), BlindLevel::Off, 60, 10);
        assert!(rows.iter().all(|r| !r.contains("dB")), "{rows:?}");
    }

    /// Odd results draw without panic at any size: no rows, no columns, missing and extra
    /// cells, endless and NaN values, empty texts.
    #[test]
    fn odd_results() {
        let mut odd = drill();
        odd.rows[0].cells.truncate(1);
        odd.rows[1].cells.push("extra".to_owned());
        odd.rows[0].bar_db = Some(f64::NAN);
        odd.rows[1].bar_db = Some(f64::INFINITY);
        odd.rows[1].name = "A channel with a very long name indeed 12".to_owned();
        let mut empty = drill();
        empty.rows.clear();
        empty.columns.clear();
        empty.headline.clear();
        empty.reading = vec![String::new(), String::new()];
        empty.answers.clear();
        empty.chart.clear();
        for results in [odd, empty, drill()] {
            for ascii in [false, true] {
                for w in 0..70 {
                    for h in 0..12 {
                        render(&results, &theme(ascii, true), BlindLevel::Off, w, h);
                    }
                }
            }
        }
    }
}
