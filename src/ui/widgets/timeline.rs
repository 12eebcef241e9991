//! The timeline (UI thread): the song's sections side by side across the screen, each as wide as
//! it is long, under the channel strips.
//!
//! One row holds the section names between `|` separators: the section under the play head is
//! lit, a section with a scene of its own has a `*` after its name, and the play head is a cell
//! drawn the other way round from its neighbours. With a second row, that row is a bar under
//! the names: heavier under the current section, a `▲` (`^`) at the play head and `[`..`]`
//! around the loop, and a `~` wherever the selected strip's ride moves its level. The timeline
//! shows no number, so it stays in every blind level.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style as CellStyle};
use ratatui::widgets::Widget;

use crate::session::automation::{RidePoint, ride_db_at};
use crate::ui::view::TimelineView;
use crate::ui::widgets::Theme;
use crate::ui::widgets::text::{clean, put, shorten_numbered, style_row, width};
use crate::units::Seconds;

/// Follows the name of a section that carries a scene.
pub const SCENE_MARK: &str = "*";

/// On the bar, where the selected strip's ride moves its level away from its fader.
pub const RIDE_MARK: &str = "~";

/// The loop's two ends on the bar.
pub const LOOP_ENDS: [&str; 2] = ["[", "]"];

/// The timeline.
#[derive(Debug, Clone, Copy)]
pub struct Timeline<'a> {
    timeline: &'a TimelineView,
    theme: &'a Theme,
}

impl<'a> Timeline<'a> {
    /// The timeline for `timeline`, drawn with `theme`.
    pub fn new(timeline: &'a TimelineView, theme: &'a Theme) -> Self {
        Self { timeline, theme }
    }
}

/// The time the timeline spans, in seconds: the session's length, or the last section's start
/// if that is later; never zero.
fn span_s(timeline: &TimelineView) -> f64 {
    let last = timeline.sections.last().map_or(0.0, |s| s.start_s);
    let length = if timeline.length_s.is_finite() {
        timeline.length_s
    } else {
        0.0
    };
    let span = length.max(last);
    if span.is_finite() && span > 0.0 {
        span
    } else {
        1.0
    }
}

/// Where the time `t` falls across `width` cells, as a fractional column (0 to `width`).
fn fraction(t: f64, span: f64, width: u16) -> f64 {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, span) };
    t / span * f64::from(width)
}

/// The columns each section takes in a row `width` cells wide, as its first column and the
/// column after it. Sections are as wide as they are long, rounded to whole cells; while
/// there are no more sections than cells each gets at least one.
pub fn spans(timeline: &TimelineView, width: u16) -> Vec<(u16, u16)> {
    let count = timeline.sections.len();
    let span = span_s(timeline);
    let mut cuts: Vec<u16> = timeline
        .sections
        .iter()
        .map(|s| fraction(s.start_s, span, width).round() as u16)
        .collect();
    cuts.push(width);
    for at in 1..cuts.len() {
        cuts[at] = cuts[at].max(cuts[at - 1]);
    }
    if count <= width as usize {
        for at in 1..count {
            cuts[at] = cuts[at].max(cuts[at - 1] + 1);
        }
        for at in (0..count).rev() {
            cuts[at] = cuts[at].min(cuts[at + 1] - 1);
        }
    }
    cuts.windows(2).map(|pair| (pair[0], pair[1])).collect()
}

/// The column of the play head in a row `width` cells wide (never 0 wide): the cell its time
/// falls in, kept inside the current section's cells.
pub fn playhead_column(timeline: &TimelineView, width: u16) -> u16 {
    let span = span_s(timeline);
    let column = (fraction(timeline.playhead_s, span, width).floor() as u16).min(width - 1);
    let current = timeline
        .current
        .and_then(|at| spans(timeline, width).get(at).copied())
        .filter(|&(from, to)| from < to);
    match current {
        Some((from, to)) => column.clamp(from, to - 1),
        None => column,
    }
}

/// The first and last columns of the loop in a row `width` cells wide (never 0 wide), two
/// cells apart at least when there is room, or `None` when not looping.
pub fn loop_columns(timeline: &TimelineView, width: u16) -> Option<(u16, u16)> {
    let (from, to) = timeline.loop_region?;
    let (from, to) = (from.min(to), from.max(to));
    let span = span_s(timeline);
    let last = width - 1;
    let first = (fraction(from, span, width).floor() as u16).min(last);
    let end = (fraction(to, span, width).ceil() as u16).saturating_sub(1);
    let end = end.clamp(first, last);
    let end = if end == first {
        (first + 1).min(last)
    } else {
        end
    };
    Some((first, end))
}

/// The columns of a row `width` cells wide over which the timeline's ride is away from 0 dB
/// (by 0.05 dB or more) somewhere in the cell's time.
pub fn ride_columns(timeline: &TimelineView, width: u16) -> Vec<u16> {
    if timeline.ride.is_empty() {
        return Vec::new();
    }
    let points: Vec<RidePoint> = timeline
        .ride
        .iter()
        .map(|&(at, db)| RidePoint::new(at, db))
        .collect();
    let span = span_s(timeline);
    let cell = span / f64::from(width);
    (0..width)
        .filter(|&x| {
            let (from, to) = (f64::from(x) * cell, f64::from(x + 1) * cell);
            // The cell's two ends and every point inside it.
            let inside = points
                .iter()
                .filter(|p| p.at.0 > from && p.at.0 < to)
                .map(|p| p.db.0);
            [from, to]
                .into_iter()
                .map(|t| ride_db_at(&points, Seconds(t)).0)
                .chain(inside)
                .any(|db| db.abs() >= 0.05)
        })
        .collect()
}

impl Timeline<'_> {
    /// The section names in row `y`, each after its separator, the current one lit.
    fn draw_names(&self, buf: &mut Buffer, area: Rect, y: u16, spans: &[(u16, u16)]) {
        let theme = self.theme;
        let lit = theme.lit(Color::LightCyan);
        let mark_style = theme.fg(Color::Magenta, Modifier::BOLD);
        for (at, (section, &(from, to))) in self.timeline.sections.iter().zip(spans).enumerate() {
            if from >= to {
                continue;
            }
            let current = self.timeline.current == Some(at);
            let separated = from > 0;
            let name_x = area.x + from + u16::from(separated);
            let end_x = area.x + to;
            if separated {
                let style = if current && name_x >= end_x {
                    lit
                } else {
                    theme.dim()
                };
                put(
                    buf,
                    area,
                    area.x + from,
                    y,
                    theme.glyphs.separator,
                    1,
                    style,
                );
            }
            let room = end_x.saturating_sub(name_x) as usize;
            if room == 0 {
                continue;
            }
            let name_area = Rect::new(name_x, y, room as u16, 1);
            if current {
                style_row(buf, name_area, y, lit);
            }
            let name = clean(&section.name, theme.ascii);
            let mark = if section.has_scene { SCENE_MARK } else { "" };
            let name_room = room.saturating_sub(width(mark));
            let (name, name_style, mark_style) = if current {
                (name, lit, lit)
            } else {
                (name, CellStyle::new(), mark_style)
            };
            let x = if name_room > 0 {
                let name = shorten_numbered(&name, name_room, theme.glyphs.ellipsis);
                put(buf, name_area, name_x, y, &name, name_room, name_style)
            } else {
                name_x
            };
            put(buf, name_area, x, y, mark, room, mark_style);
        }
    }

    /// The bar in row `y`: its joints under the separators, heavier under the current
    /// section, the loop's ends and the play head.
    fn draw_bar(&self, buf: &mut Buffer, area: Rect, y: u16, spans: &[(u16, u16)]) {
        let theme = self.theme;
        let [rule, heavy, joint] = theme.glyphs.rule;
        for x in area.left()..area.right() {
            put(buf, area, x, y, rule, 1, theme.dim());
        }
        for (at, &(from, to)) in spans.iter().enumerate() {
            if from >= to {
                continue;
            }
            if from > 0 {
                put(buf, area, area.x + from, y, joint, 1, theme.dim());
            }
            if self.timeline.current == Some(at) {
                let style = theme.fg(Color::LightCyan, Modifier::BOLD);
                for x in from + u16::from(from > 0)..to {
                    put(buf, area, area.x + x, y, heavy, 1, style);
                }
            }
        }
        for column in ride_columns(self.timeline, area.width) {
            let style = theme.fg(Color::Magenta, Modifier::BOLD);
            put(buf, area, area.x + column, y, RIDE_MARK, 1, style);
        }
        if let Some((first, last)) = loop_columns(self.timeline, area.width) {
            let inside = theme.fg(Color::Cyan, Modifier::empty());
            for x in first + 1..last {
                buf[(area.x + x, y)].set_style(inside);
            }
            let ends = theme.fg(Color::Cyan, Modifier::BOLD);
            put(buf, area, area.x + first, y, LOOP_ENDS[0], 1, ends);
            put(buf, area, area.x + last, y, LOOP_ENDS[1], 1, ends);
        }
        let x = area.x + playhead_column(self.timeline, area.width);
        let style = theme.fg(Color::Yellow, Modifier::BOLD);
        put(buf, area, x, y, theme.glyphs.playhead, 1, style);
    }

    /// On a names row alone: the loop underlined, the play head's cell turned the other way
    /// round from its neighbours.
    fn mark_names(&self, buf: &mut Buffer, area: Rect, y: u16) {
        let theme = self.theme;
        if let Some((first, last)) = loop_columns(self.timeline, area.width) {
            let underline = CellStyle::new().add_modifier(Modifier::UNDERLINED);
            buf.set_style(Rect::new(area.x + first, y, last - first + 1, 1), underline);
        }
        let cell = &mut buf[(area.x + playhead_column(self.timeline, area.width), y)];
        if theme.color {
            cell.set_style(theme.lit(Color::Yellow));
        } else {
            cell.modifier.toggle(Modifier::REVERSED);
            cell.modifier.insert(Modifier::BOLD | Modifier::UNDERLINED);
        }
    }
}

impl Widget for Timeline<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(*buf.area());
        if area.is_empty() {
            return;
        }
        for y in area.top()..area.bottom() {
            for x in area.left()..area.right() {
                buf[(x, y)].reset();
            }
        }
        let spans = spans(self.timeline, area.width);
        self.draw_names(buf, area, area.y, &spans);
        if area.height >= 2 {
            self.draw_bar(buf, area, area.y + 1, &spans);
        } else {
            self.mark_names(buf, area, area.y);
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Cell;

    use super::*;
    use crate::ui::ballistics::Scale;
    use crate::ui::view::{Style, TimelineSection};

    fn theme(ascii: bool, color: bool) -> Theme {
        Theme::new(&Style {
            ascii,
            color,
            scale: Scale::default(),
        })
    }

    /// Six sections over 240 s, the two choruses with scenes, the play head at 100 s in the
    /// second verse, looping 80-120 s.
    fn song() -> TimelineView {
        let sections = [
            ("Intro", 0.0, false),
            ("Verse 1", 20.0, false),
            ("Chorus 1", 60.0, true),
            ("Verse 2", 90.0, false),
            ("Chorus 2", 140.0, true),
            ("Outro", 200.0, false),
        ];
        TimelineView {
            sections: sections
                .iter()
                .map(|&(name, start_s, has_scene)| TimelineSection {
                    name: name.to_owned(),
                    start_s,
                    has_scene,
                })
                .collect(),
            length_s: 240.0,
            playhead_s: 100.0,
            current: Some(3),
            loop_region: Some((80.0, 120.0)),
            ride: Vec::new(),
        }
    }

    /// The selected strip's ride marks the bar where it moves the level (a rise from 30 s,
    /// back at 0 dB by 60 s, and a cut over the last section); the loop and the play head
    /// are drawn over it.
    #[test]
    fn the_selected_strips_ride_is_marked_on_the_bar() {
        let mut timeline = song();
        timeline.ride = vec![
            (30.0, 0.0),
            (31.0, 2.0),
            (59.0, 2.0),
            (60.0, 0.0),
            (200.0, 0.0),
            (200.05, -3.0),
        ];
        assert_eq!(ride_columns(&timeline, 24), [3, 4, 5, 20, 21, 22, 23]);
        let (rows, _) = render(&timeline, &theme(true, false), 24, 2);
        assert_eq!(rows[1], "x--+~~~+-[+^]==+-----~~~~x");
        timeline.ride.clear();
        assert!(ride_columns(&timeline, 24).is_empty());
    }

    /// Renders `timeline` `w` cells wide and `h` high into a buffer pre-filled with 'x', one
    /// column of margin each side; returns the rows and the buffer.
    fn render(timeline: &TimelineView, theme: &Theme, w: u16, h: u16) -> (Vec<String>, Buffer) {
        let mut buf = Buffer::filled(Rect::new(0, 0, w + 2, h), Cell::new("x"));
        Timeline::new(timeline, theme).render(Rect::new(1, 0, w, h), &mut buf);
        let rows = (0..h)
            .map(|y| (0..w + 2).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        (rows, buf)
    }

    /// Sections take cells in proportion to their length, each starting at its separator; a
    /// scene's section has a `*` after its name; the bar joins under the separators, is heavy
    /// under the current section, brackets the loop and points at the play head.
    #[test]
    fn proportional_names_and_bar() {
        let (rows, _) = render(&song(), &theme(false, true), 48, 2);
        assert_eq!(
            rows,
            [
                "xInt…│Verse 1│Ch…1*│Verse 2  │Chorus 2*  │Outro  x",
                "x────┴───────┴───[─┴━▲━━]━━━━┴───────────┴───────x",
            ]
        );
        assert_eq!(
            spans(&song(), 48),
            [(0, 4), (4, 12), (12, 18), (18, 28), (28, 40), (40, 48)]
        );
    }

    /// With --ascii the same timeline uses `|`, `~`, `-`, `=`, `+` and `^`.
    #[test]
    fn ascii_timeline() {
        let (rows, _) = render(&song(), &theme(true, false), 48, 2);
        assert_eq!(
            rows,
            [
                "xInt~|Verse 1|Ch~1*|Verse 2  |Chorus 2*  |Outro  x",
                "x----+-------+---[-+=^==]====+-----------+-------x",
            ]
        );
    }

    /// Narrow, names shorten to their cells, keeping their number and the scene mark while
    /// one letter fits; a one-cell section is its separator alone.
    #[test]
    fn shortening() {
        let (rows, _) = render(&song(), &theme(false, true), 20, 1);
        assert_eq!(rows, ["xI…│V…│…*│V…2│C…2*│O…x"]);
        let (rows, _) = render(&song(), &theme(true, false), 8, 1);
        assert_eq!(rows, ["x~|||~|*|x"]);
        assert_eq!(
            spans(&song(), 8),
            [(0, 1), (1, 2), (2, 3), (3, 5), (5, 7), (7, 8)]
        );
    }

    /// The current section's cells are lit (reversed without colour), its separator is not;
    /// on a names row alone the play head's cell is turned back and underlined, and the loop
    /// is underlined.
    #[test]
    fn current_playhead_and_loop_on_one_row() {
        let timeline = song();
        let (_, buf) = render(&timeline, &theme(false, false), 48, 1);
        let reversed = |x: u16| buf[(x + 1, 0)].modifier.contains(Modifier::REVERSED);
        let underlined = |x: u16| buf[(x + 1, 0)].modifier.contains(Modifier::UNDERLINED);
        assert_eq!(playhead_column(&timeline, 48), 20);
        assert!(!reversed(18), "the separator");
        for x in (19..28).filter(|&x| x != 20) {
            assert!(reversed(x), "column {x}");
        }
        assert!(!reversed(20) && underlined(20), "the play head");
        assert!(!reversed(17) && !reversed(28));
        assert_eq!(loop_columns(&timeline, 48), Some((16, 23)));
        assert!((16..=23).all(underlined));
        assert!(!underlined(15) && !underlined(24));
        // In colour the play head is a lit cell of its own.
        let (_, buf) = render(&timeline, &theme(false, true), 48, 1);
        assert_eq!(buf[(21, 0)].bg, Color::Yellow);
        assert_eq!(buf[(22, 0)].bg, Color::LightCyan);
        assert_eq!(buf[(19, 0)].bg, Color::Reset);
    }

    /// The play head stays inside the current section's cells even where rounding puts its
    /// time in the cell before; not looping, the bar has no brackets; with no current section
    /// nothing is lit.
    #[test]
    fn playhead_follows_the_current_section() {
        let mut timeline = song();
        timeline.playhead_s = 90.1;
        timeline.loop_region = None;
        // 4.8 s a cell: the verse starts at 18.75 cells, rounded to 19; 90.1 s is in cell 18.
        assert_eq!(spans(&timeline, 50)[3], (19, 29));
        assert_eq!(playhead_column(&timeline, 50), 19);
        let (rows, _) = render(&timeline, &theme(true, false), 48, 2);
        assert_eq!(
            rows[1],
            "x----+-------+-----^=========+-----------+-------x"
        );
        timeline.current = None;
        let (_, buf) = render(&timeline, &theme(false, false), 48, 2);
        assert!(
            (0..50).all(|x| !buf[(x, 0)].modifier.contains(Modifier::REVERSED)),
            "nothing lit"
        );
    }

    /// Odd input draws something sensible and never panics: no sections, a zero or endless
    /// length, a play head and loop outside the song, one-cell areas.
    #[test]
    fn odd_timelines() {
        let mut timeline = song();
        timeline.length_s = 0.0;
        timeline.playhead_s = f64::NAN;
        timeline.loop_region = Some((500.0, -3.0));
        for w in 1..60 {
            for h in 1..3 {
                render(&timeline, &theme(false, true), w, h);
            }
        }
        timeline.length_s = f64::INFINITY;
        timeline.sections.clear();
        timeline.current = Some(4);
        let (rows, _) = render(&timeline, &theme(true, false), 10, 2);
        assert_eq!(rows, ["x          x", "x^--------]x"]);
    }
}
