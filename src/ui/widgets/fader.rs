//! The fader scale (UI thread): where a gain from -inf to +12 dB sits on a strip's fader track,
//! and the column of scale labels drawn left of the first strip. (The meters have a scale of
//! their own, in dBFS: [`MeterScale`](crate::ui::widgets::meter::MeterScale).)
//!
//! The fader is not spread like the meter: like a console fader, the room around 0 dB is wide and
//! the quiet end is squeezed, so +12 is the top row, 0 dB three quarters up and -inf the bottom
//! row.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::ui::widgets::Theme;
use crate::ui::widgets::text::put_right;

/// The fader's travel at its breakpoints (dB, position 0..1); straight between them.
const TAPER: [(f64, f64); 8] = [
    (-96.0, 0.0),
    (-48.0, 0.1),
    (-24.0, 0.3),
    (-12.0, 0.5),
    (-6.0, 0.625),
    (0.0, 0.75),
    (6.0, 0.875),
    (12.0, 1.0),
];

/// The loudest a fader goes, in dB.
pub const TOP_DB: f64 = 12.0;

/// The scale labels, most important first: when two would share a row on a short track the
/// later one is left out.
pub const LABELS: [(f64, &str); 8] = [
    (0.0, "0"),
    (f64::NEG_INFINITY, "-inf"),
    (12.0, "+12"),
    (-12.0, "-12"),
    (-24.0, "-24"),
    (6.0, "+6"),
    (-6.0, "-6"),
    (-48.0, "-48"),
];

/// The fader scale's header, and the shorter one for a narrow column.
pub const HEADER: &str = "fader";
/// See [`HEADER`].
pub const HEADER_SHORT: &str = "dB";

/// Where `gain_db` sits on the fader's travel, from 0.0 (-inf, off) to 1.0 (+12 dB).
pub fn position(gain_db: f64) -> f64 {
    if gain_db.is_nan() || gain_db <= TAPER[0].0 {
        return 0.0;
    }
    if gain_db >= TOP_DB {
        return 1.0;
    }
    let upper = TAPER
        .iter()
        .position(|&(db, _)| gain_db < db)
        .unwrap_or(TAPER.len() - 1);
    let (x0, y0) = TAPER[upper - 1];
    let (x1, y1) = TAPER[upper];
    y0 + (gain_db - x0) * (y1 - y0) / (x1 - x0)
}

/// The gain at `position` of the fader's travel (the inverse of [`position`]): `None` at the
/// bottom (off), +12 dB at the top.
pub fn gain_at(position: f64) -> Option<f64> {
    if position.is_nan() || position <= 0.0 {
        return None;
    }
    if position >= 1.0 {
        return Some(TOP_DB);
    }
    let upper = TAPER
        .iter()
        .position(|&(_, at)| position < at)
        .unwrap_or(TAPER.len() - 1);
    let (x0, y0) = TAPER[upper - 1];
    let (x1, y1) = TAPER[upper];
    Some(x0 + (position - y0) * (x1 - x0) / (y1 - y0))
}

/// The gain a fader set on `row` (counted up from the bottom, 0) of a `rows`-high track stands
/// for, to 0.1 dB where the cap still sits on that row: `None` (off) on the bottom row.
pub fn gain_at_row(row: u16, rows: u16) -> Option<f64> {
    let top = rows.saturating_sub(1);
    if top == 0 {
        return None;
    }
    let exact = gain_at(f64::from(row.min(top)) / f64::from(top))?;
    let rounded = (exact * 10.0).round() / 10.0;
    Some(if row_from_bottom(rounded, rows) == row.min(top) {
        rounded
    } else {
        exact
    })
}

/// The row of a `rows`-high fader track that shows `gain_db`, counted up from the bottom row (0).
pub fn row_from_bottom(gain_db: f64, rows: u16) -> u16 {
    let top = rows.saturating_sub(1);
    ((position(gain_db) * f64::from(top)).round() as u16).min(top)
}

/// The fader scale labels for a fader track as high as `area`, right-aligned in `area`.
#[derive(Debug, Clone, Copy)]
pub struct FaderScale<'a> {
    theme: &'a Theme,
}

impl<'a> FaderScale<'a> {
    /// Labels drawn with `theme`.
    pub fn new(theme: &'a Theme) -> Self {
        Self { theme }
    }
}

impl Widget for FaderScale<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(*buf.area());
        if area.is_empty() {
            return;
        }
        super::clear(buf, area);
        let mut taken = [u16::MAX; LABELS.len()];
        for (slot, &(db, label)) in LABELS.iter().enumerate() {
            let row = row_from_bottom(db, area.height);
            if taken.contains(&row) {
                continue;
            }
            taken[slot] = row;
            let y = area.bottom() - 1 - row;
            put_right(buf, area, area.right(), y, label, self.theme.dim());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::view::Style;

    /// A gain read back from the travel is the gain that put the fader there, and a fader set
    /// on any row of a track 2 to 48 rows high draws its cap on that row (off on the bottom).
    #[test]
    fn gain_at_inverts_the_taper() {
        for tenth in -959..=120 {
            let db = f64::from(tenth) / 10.0;
            let back = gain_at(position(db)).expect("above the bottom");
            assert!((back - db).abs() < 1e-9, "{db} came back as {back}");
        }
        assert_eq!(gain_at(0.0), None);
        assert_eq!(gain_at(1.0), Some(TOP_DB));
        for rows in 2..=48 {
            assert_eq!(gain_at_row(0, rows), None);
            assert_eq!(gain_at_row(rows - 1, rows), Some(TOP_DB));
            for row in 1..rows {
                let db = gain_at_row(row, rows).expect("above the bottom");
                assert_eq!(row_from_bottom(db, rows), row, "{db} dB on {rows} rows");
            }
        }
    }

    /// The taper puts 0 dB three quarters up, +12 at the top and -inf (and anything below
    /// -96 dB) at the bottom, and never runs backwards.
    #[test]
    fn taper_positions() {
        assert_eq!(position(12.0), 1.0);
        assert_eq!(position(0.0), 0.75);
        assert_eq!(position(-12.0), 0.5);
        assert_eq!(position(f64::NEG_INFINITY), 0.0);
        assert_eq!(position(-200.0), 0.0);
        assert_eq!(position(40.0), 1.0);
        let mut previous = 0.0;
        for tenth in -1000..=120 {
            let p = position(f64::from(tenth) / 10.0);
            assert!(p >= previous, "runs backwards at {tenth}");
            previous = p;
        }
    }

    /// On a 16-row track the labels sit on the rows the taper gives, each on its own row,
    /// right-aligned in their column and never outside it.
    #[test]
    fn labels_on_a_sixteen_row_track() {
        let theme = Theme::new(&Style {
            ascii: true,
            color: false,
            scale: crate::ui::ballistics::Scale::default(),
        });
        let mut buf = Buffer::filled(Rect::new(0, 0, 5, 16), ratatui::buffer::Cell::new("x"));
        FaderScale::new(&theme).render(Rect::new(0, 0, 4, 16), &mut buf);
        let expected = Buffer::with_lines([
            " +12x", "    x", "  +6x", "    x", "   0x", "    x", "  -6x", " -12x", "    x",
            "    x", " -24x", "    x", "    x", " -48x", "    x", "-infx",
        ]);
        assert_eq!(rows(&buf), rows(&expected));
    }

    /// On a four-row track only the most important labels that fit are drawn.
    #[test]
    fn labels_on_a_short_track() {
        let theme = Theme::new(&Style {
            ascii: true,
            color: false,
            scale: crate::ui::ballistics::Scale::default(),
        });
        let mut buf = Buffer::filled(Rect::new(0, 0, 5, 4), ratatui::buffer::Cell::new("x"));
        FaderScale::new(&theme).render(Rect::new(0, 0, 4, 4), &mut buf);
        assert_eq!(rows(&buf), [" +12x", "   0x", " -24x", "-infx"]);
    }

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
}
