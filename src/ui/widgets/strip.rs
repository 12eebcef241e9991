//! A channel strip (UI thread): name, clip lamp, meter with the fader track beside it, fader
//! value, in scene mode what the section's scene does to it, trim, pan and the mute and solo
//! flags, top to bottom.
//!
//! A group strip (a VCA-style group) looks apart: its name is drawn in its own colour and
//! italic, it has no meter (the track alone), and where a channel shows its trim it shows
//! "VCA" and how many channels it moves ("VCA 3"), numbers hidden or not.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style as CellStyle};
use ratatui::widgets::Widget;

use super::clear;

use crate::ui::view::{BlindLevel, Catch, RideMark, RideShown, SceneMark, StripView};
use crate::ui::widgets::Theme;
use crate::ui::widgets::fader;
use crate::ui::widgets::meter::{CLIP, CLIP_SHORT, Meter, lamp};
use crate::ui::widgets::text::{clean, db, pan, put, put_centered, shorten, style_row};

/// Rows a strip needs besides its meter (one more with a scene row).
pub const FIXED_ROWS: u16 = 6;

/// Where each part of a strip goes, top to bottom. Channel and master strips share it, so their
/// rows line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StripRows {
    /// The name.
    pub name: u16,
    /// The clip lamp (and the held peak while it is dark).
    pub lamp: u16,
    /// The meter and fader track's top row.
    pub meter_top: u16,
    /// The meter and fader track's height.
    pub meter_height: u16,
    /// The fader value.
    pub fader: u16,
    /// What the scene being edited does to the fader, in scene mode.
    pub scene: Option<u16>,
    /// The trim.
    pub trim: u16,
    /// The pan.
    pub pan: u16,
    /// Mute and solo.
    pub flags: u16,
}

impl StripRows {
    /// The rows of a strip filling `area`, or `None` when it is too short for a meter row.
    pub fn new(area: Rect) -> Option<Self> {
        Self::with_scene(area, false)
    }

    /// The rows of a strip filling `area`, with a scene row under the fader value when
    /// `scene`, or `None` when it is too short for a meter row.
    pub fn with_scene(area: Rect, scene: bool) -> Option<Self> {
        let extra = u16::from(scene);
        let meter_height = area
            .height
            .checked_sub(FIXED_ROWS + extra)
            .filter(|&h| h > 0)?;
        let meter_top = area.y + 2;
        let fader = meter_top + meter_height;
        Some(Self {
            name: area.y,
            lamp: area.y + 1,
            meter_top,
            meter_height,
            fader,
            scene: scene.then_some(fader + 1),
            trim: fader + 1 + extra,
            pan: fader + 2 + extra,
            flags: fader + 3 + extra,
        })
    }

    /// The meter rows as an area `x`..`x + width`.
    pub fn meter_area(&self, x: u16, width: u16) -> Rect {
        Rect::new(x, self.meter_top, width, self.meter_height)
    }
}

/// How strongly a strip is marked as the selected one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mark {
    /// Not selected.
    #[default]
    None,
    /// Selected while the fader keys act on the master.
    Weak,
    /// Selected, and the fader keys act on it.
    Strong,
}

/// One channel strip.
#[derive(Debug, Clone, Copy)]
pub struct ChannelStrip<'a> {
    strip: &'a StripView,
    theme: &'a Theme,
    blind: BlindLevel,
    mark: Mark,
    trim_mode: bool,
    scene_row: bool,
    label: Option<&'a str>,
}

impl<'a> ChannelStrip<'a> {
    /// The strip for `strip`, drawn with `theme`, unmarked, not blind.
    pub fn new(strip: &'a StripView, theme: &'a Theme) -> Self {
        Self {
            strip,
            theme,
            blind: BlindLevel::Off,
            mark: Mark::None,
            trim_mode: false,
            scene_row: false,
            label: None,
        }
    }

    /// Draws `label` as the name (already shortened to the strip, told apart from the other
    /// strips' names) instead of the name cut to fit.
    #[must_use]
    pub fn label(mut self, label: &'a str) -> Self {
        self.label = Some(label);
        self
    }

    /// Hides what `blind` hides.
    #[must_use]
    pub fn blind(mut self, blind: BlindLevel) -> Self {
        self.blind = blind;
        self
    }

    /// Marks the strip as selected.
    #[must_use]
    pub fn mark(mut self, mark: Mark) -> Self {
        self.mark = mark;
        self
    }

    /// Marks the trim rather than the fader as what the fader keys edit.
    #[must_use]
    pub fn trim_mode(mut self, trim_mode: bool) -> Self {
        self.trim_mode = trim_mode;
        self
    }

    /// Gives the strip a scene row under the fader value (scene mode: all strips alike, so
    /// their rows line up).
    #[must_use]
    pub fn scene_row(mut self, scene_row: bool) -> Self {
        self.scene_row = scene_row;
        self
    }
}

/// How wide a meter is in a strip `content` cells wide.
pub fn meter_width(content: u16) -> u16 {
    (content / 2)
        .clamp(2, 6)
        .min(content.saturating_sub(1))
        .max(1)
}

/// The column of the fader track in a strip drawn in `area` (the meter is right of it, the two
/// centred together).
pub fn track_column(area: Rect) -> u16 {
    let bar = meter_width(area.width);
    area.x + (area.width.saturating_sub(bar + 1)) / 2
}

/// The columns of the M and S flags in a strip drawn in `area`, side by side around the middle.
pub fn flag_columns(area: Rect) -> (u16, u16) {
    let middle = area.x + area.width / 2;
    let mute_x = middle.saturating_sub(2).max(area.x);
    let solo_x = (middle + 1).min(area.right() - 1);
    (mute_x, solo_x)
}

/// The widest fader value with its unit, "-12.0 dB": narrower strips leave the unit out (all of
/// them alike, so values line up).
pub const GAIN_WITH_UNIT: usize = 8;

/// The fader value for a strip `room` cells wide: "-4.5 dB", or "-4.5" when narrower than
/// [`GAIN_WITH_UNIT`]; "-inf" when off.
pub fn gain_text(gain_db: f64, room: usize) -> String {
    let value = db(gain_db);
    if value == "-inf" || room < GAIN_WITH_UNIT {
        value
    } else {
        value + " dB"
    }
}

/// After a fader value that a section's scene sets (so that is what plays, not the base
/// fader): "-3.0*", "-3.0 dB*".
pub const SCENE_MARK: &str = "*";

/// The help's line for [`SCENE_MARK`], the mark first.
pub const SCENE_MARK_HELP: (&str, &str) = (
    "-3.0*",
    "A fader value with a star is the section's scene's: it replaces the base fader there",
);

/// The fader value of a strip `room` cells wide, with [`SCENE_MARK`] at its end when
/// `from_scene`: "-3.0 dB*", or "-3.0*" when the unit does not fit too.
pub fn gain_label(gain_db: f64, room: usize, from_scene: bool) -> String {
    if !from_scene {
        return gain_text(gain_db, room);
    }
    let value = db(gain_db);
    if value == "-inf" || room < GAIN_WITH_UNIT + 1 {
        value + SCENE_MARK
    } else {
        value + " dB" + SCENE_MARK
    }
}

/// The trim for a strip `room` cells wide: "T +0.0", or "T-12.5" when narrower than 7 cells.
pub fn trim_text(trim_db: f64, room: usize) -> String {
    let mut value = db(trim_db);
    if !value.starts_with(['-', '+']) {
        value.insert(0, '+');
    }
    let prefix = if room >= 7 { "T " } else { "T" };
    format!("{prefix}{value}")
}

/// What a group strip shows on its trim row, with its member count after it when there is
/// room: "VCA 3".
pub const GROUP_MARK: &str = "VCA";

/// A group strip's trim row for a strip `room` cells wide: "VCA 3", "VCA" when the count
/// does not fit.
pub fn group_text(members: usize, room: usize) -> String {
    let full = format!("{GROUP_MARK} {members}");
    if full.len() <= room {
        full
    } else {
        GROUP_MARK.to_string()
    }
}

/// How a group strip's name is drawn (before the selection's marks).
pub fn group_name_style(theme: &Theme) -> CellStyle {
    theme.fg(Color::LightCyan, Modifier::ITALIC)
}

/// The scene row of a strip that follows the base mix.
pub const SCENE_BASE: &str = "base";

/// The scene row of a strip whose fader the scene sets, while blind.
pub const SCENE_BLIND: &str = "S*";

/// The scene row of a strip the scene mutes.
pub const SCENE_MUTE: &str = "S mute";

/// What the scene does to a strip `room` cells wide, and whether it changes anything: "S mute"
/// when it mutes it; when it sets its fader, how far from the base, "S +3.0" or "S-2.5" when
/// narrower than 7 cells, "S off" / "S on" when the scene or the base is off, or only "S*"
/// while `blind`; "base" when the strip follows the base mix.
pub fn scene_text(mark: &SceneMark, room: usize, blind: bool) -> (String, bool) {
    if mark.muted {
        return (SCENE_MUTE.to_owned(), true);
    }
    if !mark.overridden {
        return (SCENE_BASE.to_owned(), false);
    }
    if blind || mark.delta_db.is_nan() {
        return (SCENE_BLIND.to_owned(), true);
    }
    let prefix = if room >= 7 { "S " } else { "S" };
    let value = if mark.delta_db < -999.0 {
        "off".to_owned()
    } else if mark.delta_db > 999.0 {
        "on".to_owned()
    } else {
        let mut value = db(mark.delta_db);
        if !value.starts_with(['-', '+']) {
            value.insert(0, '+');
        }
        value
    };
    let gap = if value.starts_with(['-', '+']) {
        prefix
    } else {
        "S "
    };
    (format!("{gap}{value}"), true)
}

/// Draws `text` centred in row `y` of `area` with `style`.
fn centred(buf: &mut Buffer, area: Rect, y: u16, text: &str, theme: &Theme, style: CellStyle) {
    put_centered(buf, area, y, text, theme.glyphs.ellipsis, style);
}

/// Draws the fader track and its cap at `gain_db` in the column `x` of the meter rows.
pub fn fader_track(buf: &mut Buffer, rows: &StripRows, x: u16, gain_db: f64, theme: &Theme) {
    let area = rows.meter_area(x, 1);
    let cap = fader::row_from_bottom(gain_db, rows.meter_height);
    for row in 0..rows.meter_height {
        let y = area.bottom() - 1 - row;
        if row == cap {
            put(
                buf,
                area,
                x,
                y,
                theme.glyphs.cap,
                1,
                theme.fg(Color::White, Modifier::BOLD),
            );
        } else {
            put(buf, area, x, y, theme.glyphs.track, 1, theme.dim());
        }
    }
}

/// The strip's name as drawn in `room` cells.
pub fn short_name<'a>(name: &'a str, room: usize, theme: &Theme) -> Cow<'a, str> {
    match clean(name, theme.ascii) {
        Cow::Borrowed(name) => shorten(name, room, theme.glyphs.ellipsis),
        Cow::Owned(name) => Cow::Owned(shorten(&name, room, theme.glyphs.ellipsis).into_owned()),
    }
}

/// How a scene's marks are drawn: the fader values it sets and what it does to a strip.
pub fn scene_style(theme: &Theme) -> CellStyle {
    theme.fg(Color::LightMagenta, Modifier::BOLD)
}

impl ChannelStrip<'_> {
    /// The name, in the role's colour; reversed across the strip when selected, underlined
    /// when weakly so.
    fn draw_name(&self, buf: &mut Buffer, area: Rect) {
        let theme = self.theme;
        let role = if self.strip.group.is_some() {
            group_name_style(theme)
        } else {
            theme.role(self.strip.role)
        };
        let style = match self.mark {
            Mark::None => role,
            Mark::Weak => role.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            Mark::Strong => role.add_modifier(Modifier::BOLD | Modifier::REVERSED),
        };
        if self.mark == Mark::Strong {
            style_row(buf, area, area.y, style);
        }
        let name = match self.label {
            Some(label) => Cow::Borrowed(label),
            None => short_name(&self.strip.name, area.width as usize, theme),
        };
        centred(buf, area, area.y, &name, theme, style);
    }

    /// The fader value, trim and pan; the one the fader keys edit is reversed when selected.
    fn draw_values(&self, buf: &mut Buffer, area: Rect, rows: &StripRows) {
        let theme = self.theme;
        let strip = self.strip;
        let room = area.width as usize;
        // A group has no trim: the fader keys move its fader in trim mode too.
        let edited = if self.trim_mode && strip.group.is_none() {
            rows.trim
        } else {
            rows.fader
        };
        let base = |row: u16| {
            if self.mark == Mark::Strong && row == edited {
                CellStyle::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
            } else {
                CellStyle::new()
            }
        };
        style_row(buf, area, edited, base(edited));
        let gain = match strip.catch {
            // A surface's fader waits to take over: which way to move it, before the value.
            Some(catch) => {
                let arrow = theme.glyphs.catch[usize::from(catch == Catch::Down)];
                format!(
                    "{arrow}{}",
                    gain_label(strip.gain_db, room.saturating_sub(1), strip.from_scene)
                )
            }
            None => gain_label(strip.gain_db, room, strip.from_scene),
        };
        let gain_style = if strip.from_scene || strip.scene.is_some_and(|mark| mark.overridden) {
            base(rows.fader).patch(scene_style(theme).add_modifier(Modifier::UNDERLINED))
        } else {
            base(rows.fader)
        };
        centred(buf, area, rows.fader, &gain, theme, gain_style);
        if strip.group.is_some() {
            self.draw_group_mark(buf, area, rows);
            centred(buf, area, rows.pan, &pan(strip.pan), theme, base(rows.pan));
            return;
        }
        let trim = trim_text(strip.trim_db, room);
        let trim_style = if strip.trim_db == 0.0 {
            base(rows.trim).patch(theme.dim())
        } else {
            base(rows.trim)
        };
        centred(buf, area, rows.trim, &trim, theme, trim_style);
        centred(buf, area, rows.pan, &pan(strip.pan), theme, base(rows.pan));
    }

    /// A group's "VCA 3" on the trim row.
    fn draw_group_mark(&self, buf: &mut Buffer, area: Rect, rows: &StripRows) {
        if let Some(members) = self.strip.group {
            let text = group_text(members, area.width as usize);
            centred(
                buf,
                area,
                rows.trim,
                &text,
                self.theme,
                group_name_style(self.theme),
            );
        }
    }

    /// What the scene being edited does to the strip, on its scene row.
    fn draw_scene(&self, buf: &mut Buffer, area: Rect, rows: &StripRows) {
        let (Some(y), Some(mark)) = (rows.scene, &self.strip.scene) else {
            return;
        };
        let theme = self.theme;
        let blind = self.blind.hides_numbers();
        let (text, changes) = scene_text(mark, area.width as usize, blind);
        let style = if changes {
            scene_style(theme)
        } else {
            theme.dim()
        };
        centred(buf, area, y, &text, theme, style);
    }

    /// Mute and solo, lit when on, side by side around the middle.
    fn draw_flags(&self, buf: &mut Buffer, area: Rect, rows: &StripRows) {
        let theme = self.theme;
        let (mute_x, solo_x) = flag_columns(area);
        let flags = [
            ("M", self.strip.mute, Color::LightRed, mute_x),
            ("S", self.strip.solo, Color::Yellow, solo_x),
        ];
        for (flag, on, color, x) in flags {
            let style = if on { theme.lit(color) } else { theme.dim() };
            put(buf, area, x, rows.flags, flag, 1, style);
        }
    }
}

/// The help's line for the ride marks at the ends of a strip's mute and solo row.
pub const RIDE_MARK_HELP: (&str, &str) = (
    "R T L O ~ @",
    "Ride: R plays, T L armed, O off; ~ has a ride, @ recording",
);

/// The ride marks on a strip's mute and solo row (strips 6 cells wide or more; shown while
/// blind too, as they hold no level): its mode at the left end, lit when armed, and at the
/// right end `~` when it has a ride or `@` while a take records it. A strip in read mode
/// without a ride (the default) shows none.
fn draw_ride(buf: &mut Buffer, area: Rect, y: u16, ride: RideMark, theme: &Theme) {
    if area.width < 6 || ride == RideMark::default() {
        return;
    }
    let (letter, style) = match ride.mode {
        RideShown::Read => ("R", CellStyle::new()),
        RideShown::Touch => ("T", theme.lit(Color::LightMagenta)),
        RideShown::Latch => ("L", theme.lit(Color::LightMagenta)),
        RideShown::Off => ("O", theme.dim()),
    };
    put(buf, area, area.x, y, letter, 1, style);
    let right = area.right() - 1;
    if ride.recording {
        put(buf, area, right, y, "@", 1, theme.lit(Color::Red));
    } else if ride.has_ride {
        put(buf, area, right, y, "~", 1, CellStyle::new());
    }
}

impl Widget for ChannelStrip<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(*buf.area());
        if area.is_empty() {
            return;
        }
        clear(buf, area);
        let theme = self.theme;
        let strip = self.strip;
        self.draw_name(buf, area);
        let Some(rows) = StripRows::with_scene(area, self.scene_row) else {
            return;
        };
        let numbers = !self.blind.hides_numbers();
        let lamp_row = Rect::new(area.x, rows.lamp, area.width, 1);
        if strip.group.is_some() {
            // No meter, so no clip lamp or peak.
        } else if strip.meter.clipped {
            lamp(buf, lamp_row, CLIP, CLIP_SHORT, true, Color::Red, theme);
        } else if numbers && strip.meter.held_db > f64::NEG_INFINITY {
            let held = db(strip.meter.held_db);
            centred(buf, area, rows.lamp, &held, theme, theme.dim());
        }

        // The fader track with the meter on its right, centred together.
        let bar = meter_width(area.width);
        let track_x = track_column(area);
        // A group has no meter of its own.
        if !self.blind.hides_meters() && strip.group.is_none() {
            Meter::new(&strip.meter, theme).render(rows.meter_area(track_x + 1, bar), buf);
        }
        if numbers {
            fader_track(buf, &rows, track_x, strip.gain_db, theme);
            self.draw_values(buf, area, &rows);
        } else {
            self.draw_group_mark(buf, area, &rows);
        }
        self.draw_scene(buf, area, &rows);
        self.draw_flags(buf, area, &rows);
        draw_ride(buf, area, rows.flags, self.strip.ride, theme);
        if strip.soloed_out {
            buf.set_style(area, CellStyle::new().add_modifier(Modifier::DIM));
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Cell;

    use super::*;
    use crate::session::Role;
    use crate::ui::ballistics::{Scale, ScaleKind};
    use crate::ui::view::{MeterView, Style};

    fn theme() -> Theme {
        Theme::new(&Style {
            ascii: true,
            color: false,
            scale: Scale::new(ScaleKind::Linear, -60.0, 0.0),
        })
    }

    fn bass() -> StripView {
        StripView {
            catch: None,
            group: None,
            name: "Bass".to_owned(),
            role: Some(Role::Bass),
            gain_db: -6.0,
            trim_db: 0.0,
            pan: -0.3,
            mute: true,
            solo: false,
            soloed_out: false,
            meter: MeterView {
                peak_db: -12.0,
                rms_db: -24.0,
                held_db: -6.0,
                clipped: false,
            },
            scene: None,
            from_scene: false,
            ride: RideMark::default(),
        }
    }

    /// Renders `strip` six cells wide and eleven high (a five-row meter, four with a scene
    /// row) into a buffer pre-filled with 'x', one column of margin each side.
    fn render(strip: ChannelStrip<'_>) -> (Vec<String>, Buffer) {
        let mut buf = Buffer::filled(Rect::new(0, 0, 8, 11), Cell::new("x"));
        strip.render(Rect::new(1, 0, 6, 11), &mut buf);
        let rows = (0..11)
            .map(|y| (0..8).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        (rows, buf)
    }

    /// A group strip: its name in italic, the fader track with no meter beside it, "VCA" and
    /// its member count where a channel has its trim (the fader value edited in trim mode, as
    /// a group has no trim), pan and flags as a channel's; blind, the VCA row stays.
    #[test]
    fn group_strip() {
        let mut strip = bass();
        strip.name = "Band".to_owned();
        strip.role = None;
        strip.group = Some(3);
        let theme = theme();
        let (rows, buf) = render(
            ChannelStrip::new(&strip, &theme)
                .mark(Mark::Strong)
                .trim_mode(true),
        );
        assert_eq!(
            rows,
            [
                "x Band x", "x      x", "x :    x", "x >    x", "x :    x", "x :    x", "x :    x",
                "x -6.0 x", "xVCA 3 x", "x L30  x", "x M  S x",
            ]
        );
        assert!(buf[(2, 0)].modifier.contains(Modifier::ITALIC));
        assert!(
            buf[(2, 7)].modifier.contains(Modifier::REVERSED),
            "the fader is edited"
        );
        let (rows, _) = render(ChannelStrip::new(&strip, &theme).blind(BlindLevel::Numbers));
        assert_eq!(rows[8], "xVCA 3 x");
        assert_eq!(rows[7], "x      x");
        assert_eq!(group_text(12, 5), "VCA");
    }

    /// In scene mode the strip has a scene row under its fader value, the meter giving up a
    /// row: how far the scene moves the fader, the fader value (the scene's) underlined; blind,
    /// only that the scene sets it; a muted channel says so; one following the base says
    /// "base", dimmed.
    #[test]
    fn scene_row() {
        let mut strip = bass();
        strip.gain_db = -3.0;
        strip.scene = Some(SceneMark {
            overridden: true,
            delta_db: 3.0,
            muted: false,
        });
        let theme = theme();
        let (rows, buf) = render(ChannelStrip::new(&strip, &theme).scene_row(true));
        assert_eq!(
            rows[..2].iter().chain(&rows[6..]).collect::<Vec<_>>(),
            [
                "x Bass x", "x -6.0 x", "x -3.0 x", "xS+3.0 x", "xT+0.0 x", "x L30  x", "x M  S x",
            ]
        );
        assert!(buf[(2, 6)].modifier.contains(Modifier::UNDERLINED));
        assert!(!buf[(2, 8)].modifier.contains(Modifier::UNDERLINED));
        let blind = ChannelStrip::new(&strip, &theme)
            .scene_row(true)
            .blind(BlindLevel::Numbers);
        let (rows, _) = render(blind);
        assert_eq!(&rows[6..8], ["x      x", "x  S*  x"]);
        strip.scene = Some(SceneMark {
            overridden: false,
            delta_db: 0.0,
            muted: true,
        });
        let (rows, _) = render(ChannelStrip::new(&strip, &theme).scene_row(true));
        assert_eq!(rows[7], "xS mutex");
        strip.scene = Some(SceneMark {
            overridden: false,
            delta_db: 0.0,
            muted: false,
        });
        let (rows, buf) = render(ChannelStrip::new(&strip, &theme).scene_row(true));
        assert_eq!(rows[7], "x base x");
        assert!(buf[(2, 7)].modifier.contains(Modifier::DIM));
        assert!(!buf[(2, 6)].modifier.contains(Modifier::UNDERLINED));
        // Without a scene row the mark is not drawn and the layout is the base one.
        let (rows, _) = render(ChannelStrip::new(&strip, &theme));
        assert_eq!(rows[7], "x -3.0 x");
    }

    /// The scene row's words at each width.
    #[test]
    fn scene_texts() {
        let mark = |delta_db: f64| SceneMark {
            overridden: true,
            delta_db,
            muted: false,
        };
        let text = |m: SceneMark, room: usize, blind: bool| scene_text(&m, room, blind).0;
        assert_eq!(text(mark(-2.5), 6, false), "S-2.5");
        assert_eq!(text(mark(-12.5), 6, false), "S-12.5");
        assert_eq!(text(mark(3.0), 7, false), "S +3.0");
        assert_eq!(text(mark(0.0), 6, false), "S+0.0");
        assert_eq!(text(mark(f64::NEG_INFINITY), 6, false), "S off");
        assert_eq!(text(mark(f64::INFINITY), 6, false), "S on");
        assert_eq!(text(mark(f64::NAN), 6, false), "S*");
        assert_eq!(text(mark(-2.5), 12, true), "S*");
        let muted = SceneMark {
            muted: true,
            ..mark(-2.5)
        };
        assert_eq!(scene_text(&muted, 12, false), ("S mute".to_owned(), true));
        let follows = SceneMark {
            overridden: false,
            ..mark(0.0)
        };
        assert_eq!(scene_text(&follows, 12, true), ("base".to_owned(), false));
    }

    /// A strip shows, top to bottom: name, held peak, the meter with the fader cap at -6 dB on
    /// its track and the hold line above the bar, fader value, trim, pan, and the flags.
    #[test]
    fn strip_rows() {
        let strip = bass();
        let theme = theme();
        let (rows, buf) = render(ChannelStrip::new(&strip, &theme));
        assert_eq!(
            rows,
            [
                "x Bass x", "x -6.0 x", "x :--- x", "x >### x", "x :=== x", "x :=== x", "x :=== x",
                "x -6.0 x", "xT+0.0 x", "x L30  x", "x M  S x",
            ]
        );
        // Mute is lit, solo is not.
        assert!(buf[(2, 10)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(5, 10)].modifier.contains(Modifier::REVERSED));
        assert!(buf[(5, 10)].modifier.contains(Modifier::DIM));
    }

    /// A clipped strip lights its lamp in place of the peak; the selected strip's name and
    /// fader rows are reversed across the strip, or its trim row in trim mode.
    #[test]
    fn clip_and_selection() {
        let mut strip = bass();
        strip.meter.clipped = true;
        strip.name = "Rhythm guitar".to_owned();
        let theme = theme();
        let (rows, buf) = render(ChannelStrip::new(&strip, &theme).mark(Mark::Strong));
        assert_eq!(&rows[..2], ["xRhyth~x", "x CLIP x"]);
        for x in 1..7 {
            assert!(buf[(x, 0)].modifier.contains(Modifier::REVERSED));
            assert!(buf[(x, 7)].modifier.contains(Modifier::REVERSED));
            assert!(!buf[(x, 8)].modifier.contains(Modifier::REVERSED));
        }
        let (_, buf) = render(
            ChannelStrip::new(&strip, &theme)
                .mark(Mark::Strong)
                .trim_mode(true),
        );
        assert!(buf[(1, 8)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(1, 7)].modifier.contains(Modifier::REVERSED));
        let (_, buf) = render(ChannelStrip::new(&strip, &theme).mark(Mark::Weak));
        assert!(buf[(2, 0)].modifier.contains(Modifier::UNDERLINED));
        assert!(!buf[(2, 0)].modifier.contains(Modifier::REVERSED));
    }

    /// Blind, the strip keeps its name, meter, lamp and flags and loses every number and the
    /// fader; with meters off the meter goes too.
    #[test]
    fn blind_strip() {
        let mut strip = bass();
        let theme = theme();
        let (rows, _) = render(ChannelStrip::new(&strip, &theme).blind(BlindLevel::Numbers));
        assert_eq!(
            rows,
            [
                "x Bass x", "x      x", "x  --- x", "x  ### x", "x  === x", "x  === x", "x  === x",
                "x      x", "x      x", "x      x", "x M  S x",
            ]
        );
        strip.meter.clipped = true;
        let (rows, _) = render(ChannelStrip::new(&strip, &theme).blind(BlindLevel::MetersOff));
        assert_eq!(
            rows,
            [
                "x Bass x", "x CLIP x", "x      x", "x      x", "x      x", "x      x", "x      x",
                "x      x", "x      x", "x      x", "x M  S x",
            ]
        );
    }

    /// A surface's fader waiting to take over shows which way to move it before the fader
    /// value; while blind, with the value, it is not drawn.
    #[test]
    fn takeover_arrow() {
        let mut strip = bass();
        let theme = theme();
        strip.catch = Some(Catch::Up);
        let (rows, _) = render(ChannelStrip::new(&strip, &theme));
        assert_eq!(rows[7], "x^-6.0 x");
        strip.catch = Some(Catch::Down);
        let (rows, _) = render(ChannelStrip::new(&strip, &theme));
        assert_eq!(rows[7], "xv-6.0 x");
        let (rows, _) = render(ChannelStrip::new(&strip, &theme).blind(BlindLevel::Numbers));
        assert_eq!(rows[7], "x      x");
    }

    /// The ride marks sit at the ends of the mute and solo row, blind or not: none in read
    /// mode without a ride, the mode's letter (lit when armed), `~` for a ride, `@` while
    /// recording.
    #[test]
    fn ride_marks() {
        let mut strip = bass();
        let theme = theme();
        let flags = |strip: &StripView, blind| {
            let (rows, buf) = render(ChannelStrip::new(strip, &theme).blind(blind));
            (rows[10].clone(), buf)
        };
        assert_eq!(flags(&strip, BlindLevel::Off).0, "x M  S x");
        strip.ride.has_ride = true;
        assert_eq!(flags(&strip, BlindLevel::Off).0, "xRM  S~x");
        strip.ride.mode = RideShown::Touch;
        let (row, buf) = flags(&strip, BlindLevel::Numbers);
        assert_eq!(row, "xTM  S~x");
        assert!(buf[(1, 10)].modifier.contains(Modifier::BOLD));
        strip.ride.mode = RideShown::Latch;
        strip.ride.recording = true;
        assert_eq!(flags(&strip, BlindLevel::MetersOff).0, "xLM  S@x");
        strip.ride = RideMark {
            has_ride: false,
            mode: RideShown::Off,
            recording: false,
        };
        assert_eq!(flags(&strip, BlindLevel::Off).0, "xOM  S x");
    }

    /// A strip silent because of another's solo is drawn dimmed throughout.
    #[test]
    fn soloed_out_is_dim() {
        let mut strip = bass();
        strip.soloed_out = true;
        let theme = theme();
        let (_, buf) = render(ChannelStrip::new(&strip, &theme));
        for y in 0..11 {
            for x in 1..7 {
                assert!(buf[(x, y)].modifier.contains(Modifier::DIM), "({x}, {y})");
            }
        }
        assert!(!buf[(0, 0)].modifier.contains(Modifier::DIM));
    }

    /// Values follow the product's formats at each width.
    #[test]
    fn value_texts() {
        assert_eq!(gain_text(-4.5, 8), "-4.5 dB");
        assert_eq!(gain_text(-4.5, 7), "-4.5");
        assert_eq!(gain_text(f64::NEG_INFINITY, 12), "-inf");
        assert_eq!(gain_label(-4.5, 9, true), "-4.5 dB*");
        assert_eq!(gain_label(-4.5, 8, true), "-4.5*");
        assert_eq!(gain_label(12.0, 6, true), "+12.0*");
        assert_eq!(gain_label(f64::NEG_INFINITY, 12, true), "-inf*");
        assert_eq!(gain_label(-4.5, 8, false), "-4.5 dB");
        assert_eq!(trim_text(0.0, 7), "T +0.0");
        assert_eq!(trim_text(-12.5, 6), "T-12.5");
        assert_eq!(trim_text(3.0, 6), "T+3.0");
    }
}
