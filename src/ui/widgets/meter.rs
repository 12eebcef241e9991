//! The vertical level meter (UI thread): a peak bar with the RMS level inside it in a denser
//! shade, a peak-hold line above it, the clip lamp that sits on top of a meter, and the meter
//! scale, a column of dBFS labels shared by all meters.
//!
//! The bar's top row is 0 dBFS and its bottom the theme scale's floor; levels are placed with
//! [`Scale::position`](crate::ui::ballistics::Scale::position), a whole row at a time. The
//! meter scale is not the fader scale: a meter reads dBFS, a fader gain.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;

use crate::ui::ballistics::Scale;
use crate::ui::view::MeterView;
use crate::ui::widgets::Theme;
use crate::ui::widgets::text::{put_centered, put_right};

/// The word a lit clip lamp shows, and the shorter one for narrow meters.
pub const CLIP: &str = "CLIP";
/// See [`CLIP`].
pub const CLIP_SHORT: &str = "C";

/// How many of `rows` rows a bar at `db` fills, counted from the bottom.
pub fn lit_rows(scale: &Scale, db: f64, rows: u16) -> u16 {
    ((scale.position(db) * f64::from(rows)).round() as u16).min(rows)
}

/// The row of a `rows`-high meter on which a bar at `db` ends, counted up from the bottom row
/// (0): its top lit row, or the bottom row for a level at or below the floor.
pub fn top_row(scale: &Scale, db: f64, rows: u16) -> u16 {
    lit_rows(scale, db, rows).max(1) - 1
}

/// The meter scale's header, and the shorter one for a narrow column.
pub const SCALE_HEADER: &str = "dBFS";
/// See [`SCALE_HEADER`].
pub const SCALE_HEADER_SHORT: &str = "FS";

/// Levels the meter scale labels between its top and its floor when there is room, most
/// important first (the top and the floor always come first).
const SCALE_MARKS: [f64; 17] = [
    0.0, -12.0, -6.0, -24.0, -18.0, -3.0, -48.0, -40.0, -30.0, -36.0, -9.0, -20.0, -60.0, -80.0,
    -100.0, -72.0, -90.0,
];

/// A meter scale label: "0", "-12", "+6".
fn scale_label(db: f64) -> String {
    let db = db.round();
    if db == 0.0 {
        "0".to_owned()
    } else if db > 0.0 {
        format!("+{db}")
    } else {
        format!("{db}")
    }
}

/// The meter scale's labels for a `rows`-high meter on `scale`, each with the row (counted up
/// from the bottom, 0) that a bar at its level ends on: the top and the floor, then as many of
/// the usual marks as fit with a blank row between any two labels (more on a tall meter, so it
/// reads as a scale rather than a list).
pub fn scale_labels(scale: &Scale, rows: u16) -> Vec<(u16, String)> {
    let apart = (rows / 12).max(2);
    let (bottom, top) = (scale.bottom_db(), scale.top_db());
    let marks = SCALE_MARKS
        .iter()
        .copied()
        .filter(|&db| db > bottom && db < top);
    let mut labels: Vec<(u16, String)> = Vec::with_capacity(12);
    for db in [top, bottom].into_iter().chain(marks) {
        let row = top_row(scale, db, rows);
        if labels
            .iter()
            .all(|&(taken, _)| taken.abs_diff(row) >= apart)
        {
            labels.push((row, scale_label(db)));
        }
    }
    labels
}

/// The meter scale: dBFS labels right-aligned in their area, on the rows the meters beside them
/// reach at those levels (the area is as high as the meters).
#[derive(Debug, Clone, Copy)]
pub struct MeterScale<'a> {
    theme: &'a Theme,
}

impl<'a> MeterScale<'a> {
    /// Labels drawn with `theme` (and on its scale).
    pub fn new(theme: &'a Theme) -> Self {
        Self { theme }
    }
}

impl Widget for MeterScale<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(*buf.area());
        if area.is_empty() {
            return;
        }
        super::clear(buf, area);
        for (row, label) in scale_labels(&self.theme.scale, area.height) {
            let y = area.bottom() - 1 - row;
            put_right(buf, area, area.right(), y, &label, self.theme.dim());
        }
    }
}

/// A meter bar filling its whole area: as wide as the area, a row per step.
#[derive(Debug, Clone, Copy)]
pub struct Meter<'a> {
    meter: &'a MeterView,
    theme: &'a Theme,
}

impl<'a> Meter<'a> {
    /// The bar for `meter`, drawn with `theme` (and on its scale).
    pub fn new(meter: &'a MeterView, theme: &'a Theme) -> Self {
        Self { meter, theme }
    }
}

impl Widget for Meter<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(*buf.area());
        if area.is_empty() {
            return;
        }
        let rows = area.height;
        let scale = &self.theme.scale;
        let peak = lit_rows(scale, self.meter.peak_db, rows);
        let rms = lit_rows(scale, self.meter.rms_db, rows).min(peak);
        // The row a bar at the held level would end on; drawn only above the bar.
        let hold = (scale.position(self.meter.held_db) > 0.0)
            .then(|| top_row(scale, self.meter.held_db, rows))
            .filter(|&row| row >= peak);
        let glyphs = self.theme.glyphs;
        for row in 0..rows {
            let y = area.bottom() - 1 - row;
            let symbol = if row < rms {
                glyphs.rms
            } else if row < peak {
                glyphs.peak
            } else if hold == Some(row) {
                glyphs.hold
            } else {
                " "
            };
            let middle = (f64::from(row) + 0.5) / f64::from(rows);
            let style = if symbol == " " {
                ratatui::style::Style::new()
            } else {
                self.theme.zone(self.theme.zone_at(middle))
            };
            for x in area.left()..area.right() {
                buf[(x, y)].reset();
                buf[(x, y)].set_symbol(symbol).set_style(style);
            }
        }
    }
}

/// Draws a lamp in the one-row `area`: `word` centred and lit in `color` when `lit`, shortened
/// to `short` when the row is narrower than `word`, nothing when dark.
pub fn lamp(
    buf: &mut Buffer,
    area: Rect,
    word: &str,
    short: &str,
    lit: bool,
    color: Color,
    theme: &Theme,
) {
    if !lit || area.is_empty() {
        return;
    }
    let word = if crate::ui::widgets::text::width(word) <= area.width as usize {
        word
    } else {
        short
    };
    put_centered(
        buf,
        area,
        area.y,
        word,
        theme.glyphs.ellipsis,
        theme.lit(color),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::ballistics::ScaleKind;
    use crate::ui::view::Style;
    use ratatui::buffer::Cell;
    use ratatui::style::Modifier;

    fn theme(ascii: bool) -> Theme {
        Theme::new(&Style {
            ascii,
            color: false,
            scale: Scale::new(ScaleKind::Linear, -60.0, 0.0),
        })
    }

    /// The buffer's rows as strings.
    fn rows(buf: &Buffer) -> Vec<String> {
        let area = buf.area;
        (area.top()..area.bottom())
            .map(|y| {
                (area.left()..area.right())
                    .map(|x| buf[(x, y)].symbol())
                    .collect()
            })
            .collect()
    }

    /// Renders `meter` into a buffer pre-filled with 'x', two columns by `height`, one column of
    /// margin each side left untouched.
    fn render(meter: &MeterView, ascii: bool, height: u16) -> Vec<String> {
        let theme = theme(ascii);
        let mut buf = Buffer::filled(Rect::new(0, 0, 4, height), Cell::new("x"));
        Meter::new(meter, &theme).render(Rect::new(1, 0, 2, height), &mut buf);
        rows(&buf)
    }

    /// On a linear -60..0 scale ten rows high, a -6 dB peak fills nine rows, a -30 dB RMS the
    /// bottom five of them, and a -3 dB hold draws its line on the top row.
    #[test]
    fn peak_rms_and_hold() {
        let meter = MeterView {
            peak_db: -6.0,
            rms_db: -30.0,
            held_db: -3.0,
            clipped: false,
        };
        assert_eq!(
            render(&meter, true, 10),
            [
                "x--x", "x##x", "x##x", "x##x", "x##x", "x==x", "x==x", "x==x", "x==x", "x==x"
            ]
        );
        assert_eq!(
            render(&meter, false, 10),
            [
                "x━━x", "x▒▒x", "x▒▒x", "x▒▒x", "x▒▒x", "x██x", "x██x", "x██x", "x██x", "x██x"
            ]
        );
    }

    /// A hold line at the bar's own top is hidden by the bar; a silent meter draws nothing but
    /// still clears its area.
    #[test]
    fn hold_at_bar_and_silence() {
        let meter = MeterView {
            peak_db: -30.0,
            rms_db: -30.0,
            held_db: -30.0,
            clipped: false,
        };
        assert_eq!(render(&meter, true, 4), ["x  x", "x  x", "x==x", "x==x"]);
        assert_eq!(
            render(&MeterView::SILENT, true, 3),
            ["x  x", "x  x", "x  x"]
        );
        // Over full scale the bar is full; it never draws outside its area.
        let loud = MeterView {
            peak_db: 3.0,
            rms_db: -1.0,
            held_db: 3.0,
            clipped: true,
        };
        assert_eq!(render(&loud, true, 3), ["x==x", "x==x", "x==x"]);
    }

    /// The zones colour the rows: green low, yellow from -12 dBFS, red from -3 dBFS.
    #[test]
    fn zone_colours() {
        let theme = Theme {
            color: true,
            ..theme(false)
        };
        let meter = MeterView {
            peak_db: 0.0,
            rms_db: 0.0,
            held_db: 0.0,
            clipped: false,
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 1, 20));
        Meter::new(&meter, &theme).render(buf.area, &mut buf);
        let colours: Vec<Color> = (0..20).map(|y| buf[(0, y)].fg).collect();
        assert_eq!(colours[0], Color::Red);
        assert_eq!(colours[1], Color::Yellow);
        assert_eq!(colours[3], Color::Yellow);
        assert_eq!(colours[4], Color::Green);
        assert_eq!(colours[19], Color::Green);
    }

    /// A meter scale drawn beside two meters `height` rows high, one peaking at 0 dBFS and one
    /// at -12 dBFS (no RMS, no hold), on a -60..0 scale of `kind`, in a buffer pre-filled with
    /// 'x'.
    fn scale_beside_meters(kind: ScaleKind, height: u16) -> Vec<String> {
        let theme = Theme::new(&Style {
            ascii: true,
            color: false,
            scale: Scale::new(kind, -60.0, 0.0),
        });
        let peak = |peak_db| MeterView {
            peak_db,
            ..MeterView::SILENT
        };
        let mut buf = Buffer::filled(Rect::new(0, 0, 7, height), Cell::new("x"));
        MeterScale::new(&theme).render(Rect::new(0, 0, 4, height), &mut buf);
        Meter::new(&peak(0.0), &theme).render(Rect::new(4, 0, 1, height), &mut buf);
        Meter::new(&peak(-12.0), &theme).render(Rect::new(5, 0, 1, height), &mut buf);
        rows(&buf)
    }

    /// On a linear scale the meter scale labels 0 dBFS on the top row, where a 0 dBFS bar ends,
    /// -12 on the row where a -12 dBFS bar ends, the floor on the bottom row, and in between
    /// only marks with a blank row around them.
    #[test]
    fn linear_meter_scale() {
        assert_eq!(
            scale_beside_meters(ScaleKind::Linear, 16),
            [
                "   0# x", "    # x", "    # x", " -12##x", "    ##x", "    ##x", " -24##x",
                "    ##x", " -30##x", "    ##x", "    ##x", " -40##x", "    ##x", " -48##x",
                "    ##x", " -60##x",
            ]
        );
        // A short meter keeps the top and the floor.
        assert_eq!(
            scale_beside_meters(ScaleKind::Linear, 4),
            ["   0# x", "    ##x", "    ##x", " -60##x"]
        );
    }

    /// On the IEC scale the labels follow its curve: more of them near the top, where it gives
    /// more room, each on the row a bar at its level ends on.
    #[test]
    fn iec_meter_scale() {
        assert_eq!(
            scale_beside_meters(ScaleKind::Iec, 16),
            [
                "   0# x", "    # x", "  -6# x", "    # x", "    # x", " -12##x", "    ##x",
                " -18##x", "    ##x", "    ##x", " -24##x", "    ##x", "    ##x", " -36##x",
                "    ##x", " -60##x",
            ]
        );
    }

    /// Labels are whole dB with a sign below zero, and floors down to -120 dBFS fit the four
    /// columns the console gives the scale.
    #[test]
    fn meter_scale_labels() {
        let labels = scale_labels(&Scale::new(ScaleKind::Linear, -120.0, 0.0), 8);
        assert_eq!(labels[..2], [(7, "0".to_owned()), (0, "-120".to_owned())]);
        let labels = scale_labels(&Scale::new(ScaleKind::Iec, -80.0, 6.0), 30);
        assert_eq!(labels[0], (29, "+6".to_owned()));
        assert!(labels.iter().any(|(_, label)| label == "0"));
        for rows in 1..60 {
            for scale in [
                Scale::new(ScaleKind::Linear, -120.0, 0.0),
                Scale::new(ScaleKind::Iec, -20.0, 0.0),
            ] {
                for (row, label) in scale_labels(&scale, rows) {
                    assert!(row < rows && label.len() <= 4, "{label} at {row} of {rows}");
                }
            }
        }
    }

    /// A lit lamp shows its word centred in reverse video (without colour); a narrow lamp shows
    /// the short word; a dark lamp draws nothing.
    #[test]
    fn clip_lamp() {
        let theme = theme(true);
        let mut buf = Buffer::filled(Rect::new(0, 0, 6, 3), Cell::new("x"));
        lamp(
            &mut buf,
            Rect::new(0, 0, 6, 1),
            CLIP,
            CLIP_SHORT,
            true,
            Color::Red,
            &theme,
        );
        lamp(
            &mut buf,
            Rect::new(0, 1, 3, 1),
            CLIP,
            CLIP_SHORT,
            true,
            Color::Red,
            &theme,
        );
        lamp(
            &mut buf,
            Rect::new(0, 2, 6, 1),
            CLIP,
            CLIP_SHORT,
            false,
            Color::Red,
            &theme,
        );
        assert_eq!(rows(&buf), ["xCLIPx", "xCxxxx", "xxxxxx"]);
        assert!(buf[(1, 0)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(0, 0)].modifier.contains(Modifier::REVERSED));
    }
}
