//! The master strip (UI thread): the stereo bus meter and fader, and beside them the readouts a
//! mix is checked by: held sample peak, true peak, headroom, clips and loudness (momentary,
//! short-term, integrated).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style as CellStyle};
use ratatui::widgets::Widget;

use crate::ui::view::{BlindLevel, MasterView};
use crate::ui::widgets::Theme;
use crate::ui::widgets::clear;
use crate::ui::widgets::meter::{CLIP, CLIP_SHORT, Meter, lamp};
use crate::ui::widgets::strip::{StripRows, fader_track, gain_text};
use crate::ui::widgets::text::{
    count, db, push_db, put, put_centered, put_right, style_row, width,
};

/// The master strip's title.
pub const TITLE: &str = "MASTER";

/// The true-peak lamp's word, lit when the true peak has gone above [`TRUE_PEAK_LIMIT_DBTP`].
pub const TRUE_PEAK: &str = "TP";

/// The true peak above which the TP lamp lights, in dBTP (the common delivery ceiling).
pub const TRUE_PEAK_LIMIT_DBTP: f64 = -1.0;

/// The narrowest master strip, separator included.
pub const MIN_WIDTH: u16 = 16;

/// The master strip.
#[derive(Debug, Clone, Copy)]
pub struct MasterStrip<'a> {
    master: &'a MasterView,
    theme: &'a Theme,
    blind: BlindLevel,
    focused: bool,
    scene_row: bool,
}

impl<'a> MasterStrip<'a> {
    /// The strip for `master`, drawn with `theme`, not focused, not blind.
    pub fn new(master: &'a MasterView, theme: &'a Theme) -> Self {
        Self {
            master,
            theme,
            blind: BlindLevel::Off,
            focused: false,
            scene_row: false,
        }
    }

    /// Hides what `blind` hides.
    #[must_use]
    pub fn blind(mut self, blind: BlindLevel) -> Self {
        self.blind = blind;
        self
    }

    /// Marks the master as where the fader keys act.
    #[must_use]
    pub fn focused(mut self, focused: bool) -> Self {
        self.focused = focused;
        self
    }

    /// Lays the strip out like channel strips with a scene row, so the fader rows line up
    /// (the master has no scene of its own: its readouts use the row).
    #[must_use]
    pub fn scene_row(mut self, scene_row: bool) -> Self {
        self.scene_row = scene_row;
        self
    }
}

/// Where the parts of a master strip drawn in an area go.
struct Layout {
    /// Everything right of the separator.
    content: Rect,
    rows: StripRows,
    /// One blank column each side of the meter and track, when the strip is wide.
    pad: u16,
    /// The meter's width.
    bar: u16,
}

impl Layout {
    fn new(area: Rect, scene_row: bool) -> Option<Self> {
        let content = Rect::new(area.x + 1, area.y, area.width.checked_sub(1)?, area.height);
        let rows = StripRows::with_scene(content, scene_row)?;
        let wide = content.width >= 21;
        Some(Self {
            content,
            rows,
            pad: u16::from(wide),
            bar: if wide { 4 } else { 3 },
        })
    }

    /// The meter's left column.
    fn meter_x(&self) -> u16 {
        self.content.x + self.pad
    }

    /// The fader track's column, right of the meter.
    fn track_x(&self) -> u16 {
        self.meter_x() + self.bar
    }
}

impl MasterStrip<'_> {
    /// The cells of the fader track and the meter beside it when the strip is drawn in
    /// `area`, as a drag reads them; `None` when the fader is not drawn (blind mode hides it,
    /// or the strip is too short).
    pub fn track_area(&self, area: Rect) -> Option<Rect> {
        if self.blind.hides_numbers() {
            return None;
        }
        let layout = Layout::new(area, self.scene_row)?;
        let track = layout
            .rows
            .meter_area(layout.meter_x(), layout.bar + 1)
            .intersection(layout.content);
        (!track.is_empty()).then_some(track)
    }
}

/// One readout: label, value, unit, and how the value is drawn.
struct Readout {
    label: &'static str,
    value: String,
    unit: &'static str,
    style: CellStyle,
}

impl MasterStrip<'_> {
    /// The readouts, in the order they are listed; `room` rows are available.
    fn readouts(&self, room: usize) -> Vec<Readout> {
        let master = self.master;
        let theme = self.theme;
        let plain = CellStyle::new();
        // Nothing on the master is meaningful below -99.9 dB, and it keeps values 5 cells wide.
        let level = |value: f64| {
            if value < -99.9 {
                db(f64::NEG_INFINITY)
            } else {
                db(value)
            }
        };
        let mut lines = Vec::with_capacity(10);
        lines.push(Readout {
            label: "Peak",
            value: level(master.meter.held_db),
            unit: "dBFS",
            style: plain,
        });
        let over = |value: f64, limit: f64| if value > limit { theme.warn() } else { plain };
        lines.push(Readout {
            label: "TP",
            value: level(master.true_peak_dbtp),
            unit: "dBTP",
            style: over(master.true_peak_dbtp, TRUE_PEAK_LIMIT_DBTP),
        });
        let mut headroom = String::with_capacity(8);
        push_db(&mut headroom, master.headroom_db, false);
        lines.push(Readout {
            label: "HR",
            value: headroom,
            unit: "dB",
            style: if master.headroom_db < 0.0 {
                theme.warn()
            } else {
                plain
            },
        });
        lines.push(Readout {
            label: "Clips",
            value: count(master.clips),
            unit: "",
            style: if master.clips > 0 {
                theme.warn()
            } else {
                plain
            },
        });
        let loudness = [
            ("M", master.momentary_lufs),
            ("S", master.short_term_lufs),
            ("I", master.integrated_lufs),
        ];
        // A blank line between the peak and the loudness groups, and the highest true peak,
        // when there is room for them.
        let spare = room.saturating_sub(lines.len() + loudness.len());
        if spare >= 2 {
            lines.insert(
                2,
                Readout {
                    label: "TPmax",
                    value: level(master.true_peak_max_dbtp),
                    unit: "dBTP",
                    style: over(master.true_peak_max_dbtp, TRUE_PEAK_LIMIT_DBTP),
                },
            );
        }
        if spare >= 1 {
            lines.push(Readout {
                label: "",
                value: String::new(),
                unit: "",
                style: plain,
            });
        }
        for (label, value) in loudness {
            let paused = label == "I" && !master.integrating;
            lines.push(Readout {
                label,
                value: level(value),
                unit: "LUFS",
                style: if paused { theme.dim() } else { plain },
            });
        }
        lines
    }
}

impl MasterStrip<'_> {
    /// The readouts in `readouts`, down beside the meter and on below the fader row.
    fn draw_readouts(&self, buf: &mut Buffer, readouts: Rect, rows: &StripRows) {
        let theme = self.theme;
        let readout_rows = (rows.meter_top..rows.fader).chain(rows.fader + 1..=rows.flags);
        let lines = self.readouts(readout_rows.clone().count());
        // Labels take five cells, values the next six, units follow when there is room.
        let value_end = (readouts.x + 11).min(readouts.right());
        // Units go on every line or none, so the column reads alike.
        let units = value_end as usize + 1 + 4 <= readouts.right() as usize;
        let plain = CellStyle::new();
        for (line, y) in lines.iter().zip(readout_rows) {
            put(buf, readouts, readouts.x, y, line.label, 5, plain);
            put_right(buf, readouts, value_end, y, &line.value, line.style);
            let paused = line.label == "I" && !self.master.integrating;
            let note = match (paused, units) {
                (true, _) => "paused",
                (false, true) => line.unit,
                (false, false) => "",
            };
            let note_x = value_end + 1;
            if !note.is_empty() && note_x as usize + width(note) <= readouts.right() as usize {
                put(buf, readouts, note_x, y, note, width(note), theme.dim());
            } else if paused {
                // No room for the word: the pause mark goes after the label instead.
                let mark = theme.glyphs.paused_mark;
                put(buf, readouts, readouts.x + 2, y, mark, 2, theme.dim());
            }
        }
    }
}

impl Widget for MasterStrip<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(*buf.area());
        if area.is_empty() {
            return;
        }
        clear(buf, area);
        let theme = self.theme;
        let master = self.master;
        for y in area.top()..area.bottom() {
            put(buf, area, area.x, y, theme.glyphs.separator, 1, theme.dim());
        }
        let content = Rect::new(area.x + 1, area.y, area.width - 1, area.height);
        if content.is_empty() {
            return;
        }
        let layout = Layout::new(area, self.scene_row);
        let focus = if self.focused {
            CellStyle::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            CellStyle::new()
        };
        style_row(buf, content, content.y, focus);
        let title = focus.add_modifier(Modifier::BOLD);
        put_centered(buf, content, content.y, TITLE, theme.glyphs.ellipsis, title);
        let Some(layout) = layout else {
            return;
        };
        let rows = layout.rows;
        let (pad, bar) = (layout.pad, layout.bar);

        // The fader track and meter on the left, the readouts on the right.
        // The meter next to the meter scale on the left, the fader track right of it: the
        // scale's numbers are the meter's, never the fader's.
        let meter_x = layout.meter_x();
        let track_x = layout.track_x();
        let readout_x = (track_x + 1 + 1 + pad).min(content.right());
        let readouts = Rect::new(
            readout_x,
            content.y,
            content.right() - readout_x,
            content.height,
        );

        // The lamps stay in every blind level.
        let clipped = master.meter.clipped || master.clips > 0;
        let clip_area = Rect::new(meter_x, rows.lamp, (1 + bar).min(content.width), 1);
        lamp(buf, clip_area, CLIP, CLIP_SHORT, clipped, Color::Red, theme);
        let tp_lit = master.true_peak_max_dbtp > TRUE_PEAK_LIMIT_DBTP;
        let tp_area = Rect::new(readouts.x, rows.lamp, readouts.width.min(2), 1);
        lamp(buf, tp_area, TRUE_PEAK, "T", tp_lit, Color::Red, theme);

        if !self.blind.hides_meters() {
            Meter::new(&master.meter, theme).render(rows.meter_area(meter_x, bar), buf);
        }
        if self.blind.hides_numbers() {
            return;
        }
        fader_track(buf, &rows, track_x, master.gain_db, theme);
        style_row(buf, content, rows.fader, focus);
        let gain = gain_text(master.gain_db, content.width as usize);
        put(
            buf,
            content,
            meter_x,
            rows.fader,
            &gain,
            content.width as usize,
            focus,
        );
        self.draw_readouts(buf, readouts, &rows);
    }
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Cell;

    use super::*;
    use crate::ui::ballistics::{Scale, ScaleKind};
    use crate::ui::view::{MeterView, Style};

    fn theme() -> Theme {
        Theme::new(&Style {
            ascii: true,
            color: false,
            scale: Scale::new(ScaleKind::Linear, -60.0, 0.0),
        })
    }

    fn master() -> MasterView {
        MasterView {
            gain_db: 0.0,
            meter: MeterView {
                peak_db: -10.0,
                rms_db: -20.0,
                held_db: -1.2,
                clipped: false,
            },
            true_peak_dbtp: -0.9,
            true_peak_max_dbtp: -0.4,
            momentary_lufs: -12.3,
            short_term_lufs: -13.8,
            integrated_lufs: -14.6,
            integrating: false,
            headroom_db: 1.2,
            clips: 2,
        }
    }

    /// Renders `strip` at its narrowest, twelve rows high (a six-row meter), into a buffer
    /// pre-filled with 'x' with one column of margin on the right.
    fn render(strip: MasterStrip<'_>) -> (Vec<String>, Buffer) {
        let mut buf = Buffer::filled(Rect::new(0, 0, MIN_WIDTH + 1, 12), Cell::new("x"));
        strip.render(Rect::new(0, 0, MIN_WIDTH, 12), &mut buf);
        let rows = (0..12)
            .map(|y| (0..=MIN_WIDTH).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        (rows, buf)
    }

    /// The narrowest master strip: title, the clip and true-peak lamps, the meter with the
    /// fader at 0 dB, and every readout, the paused integrated loudness marked.
    #[test]
    fn master_rows() {
        let master = master();
        let theme = theme();
        let (rows, buf) = render(MasterStrip::new(&master, &theme));
        assert_eq!(
            rows,
            [
                "|    MASTER     x",
                "|CLIP TP        x",
                "|---: Peak  -1.2x",
                "|###> TP    -0.9x",
                "|===: TPmax -0.4x",
                "|===: HR     1.2x",
                "|===: Clips    2x",
                "|===:           x",
                "|0.0 dB         x",
                "|     M    -12.3x",
                "|     S    -13.8x",
                "|     I || -14.6x",
            ]
        );
        assert!(buf[(1, 1)].modifier.contains(Modifier::REVERSED));
        assert!(buf[(6, 1)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(5, 0)].modifier.contains(Modifier::REVERSED));
    }

    /// Wider, the readouts carry their units and the paused integrated loudness says so in a
    /// word; focused, the title and the fader value are reversed.
    #[test]
    fn wide_focused_master() {
        let master = master();
        let theme = theme();
        let mut buf = Buffer::empty(Rect::new(0, 0, 28, 12));
        MasterStrip::new(&master, &theme)
            .focused(true)
            .render(buf.area, &mut buf);
        let row = |y: u16| -> String { (0..28).map(|x| buf[(x, y)].symbol()).collect() };
        assert_eq!(row(2), "| ----:  Peak   -1.2 dBFS   ");
        assert_eq!(row(11), "|        I     -14.6 paused ");
        assert!(buf[(1, 0)].modifier.contains(Modifier::REVERSED));
        assert!(buf[(27, 8)].modifier.contains(Modifier::REVERSED));
    }

    /// With a scene row (scene mode) the master's fader row moves up one with the channel
    /// strips' and its readouts fill the row under it.
    #[test]
    fn scene_row_master() {
        let master = master();
        let theme = theme();
        let (rows, _) = render(MasterStrip::new(&master, &theme).scene_row(true));
        assert_eq!(
            &rows[6..],
            [
                "|===: Clips    2x",
                "|0.0 dB         x",
                "|               x",
                "|     M    -12.3x",
                "|     S    -13.8x",
                "|     I || -14.6x",
            ]
        );
    }

    /// The master's track area, where a drag moves its fader, is its meter and fader track
    /// as drawn, narrow and wide, with a scene row or not; blind, there is none.
    #[test]
    fn track_area_is_the_meter_and_track_drawn() {
        let master = master();
        let theme = theme();
        let strip = MasterStrip::new(&master, &theme);
        // Narrow: the meter in columns 1 to 3, the track in 4, rows 2 to 7 (see master_rows).
        assert_eq!(
            strip.track_area(Rect::new(0, 0, MIN_WIDTH, 12)),
            Some(Rect::new(1, 2, 4, 6))
        );
        let (rows, _) = render(strip);
        assert!(
            rows[2..8]
                .iter()
                .all(|r| &r[4..5] == ":" || &r[4..5] == ">")
        );
        // Wide and placed elsewhere: one blank column, a four-column meter.
        assert_eq!(
            strip.track_area(Rect::new(50, 3, 28, 12)),
            Some(Rect::new(52, 5, 5, 6))
        );
        assert_eq!(
            strip
                .scene_row(true)
                .track_area(Rect::new(0, 0, MIN_WIDTH, 12)),
            Some(Rect::new(1, 2, 4, 5))
        );
        assert_eq!(
            strip
                .blind(BlindLevel::Numbers)
                .track_area(Rect::new(0, 0, MIN_WIDTH, 12)),
            None
        );
        assert_eq!(strip.track_area(Rect::new(0, 0, MIN_WIDTH, 3)), None);
    }

    /// Blind, the master keeps its meter and lamps and shows no number; with meters off only
    /// the lamps stay.
    #[test]
    fn blind_master() {
        let master = master();
        let theme = theme();
        let (rows, _) = render(MasterStrip::new(&master, &theme).blind(BlindLevel::Numbers));
        assert_eq!(rows[1], "|CLIP TP        x");
        assert_eq!(rows[2], "|---            x");
        assert_eq!(rows[8], "|               x");
        assert_eq!(rows[11], "|               x");
        let (rows, _) = render(MasterStrip::new(&master, &theme).blind(BlindLevel::MetersOff));
        assert_eq!(rows[1], "|CLIP TP        x");
        assert!(rows[2..].iter().all(|row| row == "|               x"));
        // Dark lamps draw nothing.
        let mut quiet = master.clone();
        quiet.clips = 0;
        quiet.true_peak_max_dbtp = -3.0;
        let (rows, _) = render(MasterStrip::new(&quiet, &theme).blind(BlindLevel::MetersOff));
        assert_eq!(rows[1], "|               x");
    }
}
