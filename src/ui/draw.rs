//! Drawing one console frame (UI thread): the transport line on top, the channel strips side by
//! side with the fader scale on their left, the meter scale (dBFS) and the master strip on their
//! right, the song's sections on a timeline under them, the status line at the bottom, and an
//! overlay box over it all.
//!
//! The timeline takes its row (two rows on a tall terminal) from the meters, never from the
//! strips' other rows or the transport and status lines; in scene mode every strip, the master
//! too, gets a row under its fader value for what the section's scene does to it.
//!
//! While an exercise runs its banner takes the timeline's place (and the status line shows no
//! edit mode): two rows wherever the meters can spare them, else one. At the smallest sizes,
//! where they cannot, meters that blind mode hides give it a row of theirs (they have nothing
//! to draw); meters that show never go under [`METER_MIN_ROWS`], and the banner takes the
//! status line's row instead.
//!
//! The two scales are kept apart on purpose: the fader labels (+12 to -inf dB) mark where the
//! fader caps sit, the meter labels (0 dBFS down to the floor) where the meter bars reach, and
//! one is no ruler for the other.
//!
//! The screen uses the room it has: strips grow wider (up to [`STRIP_MAX_WIDTH`]) and meters
//! taller, more strips fit side by side, and when they do not all fit the mixer scrolls so the
//! selected strip is always whole on screen, with a count of the strips hidden on each side.
//! Below [`MIN_WIDTH`] x [`MIN_HEIGHT`] only a short note says the terminal is too small.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style as CellStyle;
use ratatui::widgets::{StatefulWidget, Widget};

use crate::ui::hits::{HitMap, StripHits};
use crate::ui::view::{EditMode, Focus, Style, View};
use crate::ui::widgets::Theme;
use crate::ui::widgets::banner::Banner;
use crate::ui::widgets::fader::{self, FaderScale};
use crate::ui::widgets::master::{self, MasterStrip};
use crate::ui::widgets::meter::{MeterScale, SCALE_HEADER, SCALE_HEADER_SHORT};
use crate::ui::widgets::names::strip_names;
use crate::ui::widgets::overlay::OverlayBox;
use crate::ui::widgets::status::{MessageLine, StatusLine};
use crate::ui::widgets::strip::{
    ChannelStrip, FIXED_ROWS, GAIN_WITH_UNIT, Mark, StripRows, flag_columns, meter_width,
    track_column,
};
use crate::ui::widgets::text::{clean, put, put_centered, put_right, width, wrap};
use crate::ui::widgets::timeline::{self, Timeline};
use crate::ui::widgets::transport::TransportLine;

/// The narrowest terminal the console draws in: the fader scale, a strip or two, the meter scale
/// and the master strip.
pub const MIN_WIDTH: u16 = 40;

/// The shortest terminal the console draws in: transport and status lines and strips with a
/// four-row meter.
pub const MIN_HEIGHT: u16 = 12;

/// The narrowest channel strip, its one-column gap to the strip on its left included.
pub const STRIP_MIN_WIDTH: u16 = 7;

/// The widest channel strip, gap included.
pub const STRIP_MAX_WIDTH: u16 = 16;

/// The widest the master strip grows.
pub const MASTER_MAX_WIDTH: u16 = 28;

/// Strips wider than this give columns up to the gutter and the master until those are at
/// their widest (the master's readouts then carry their units).
pub const STRIP_COMFORT_WIDTH: u16 = 10;

/// The narrowest gutter: the columns left of the strips holding the fader scale and the count of
/// strips hidden on the left ("-inf" and "◀ 33" fit).
pub const GUTTER_WIDTH: u16 = 4;

/// The widest gutter, when there is a column to spare ("fader" fits over the labels).
pub const GUTTER_MAX_WIDTH: u16 = 5;

/// The columns right of the strips, just left of the master strip, holding the meter scale
/// (shared by every meter, the master's included) and above it the count of strips hidden on
/// the right.
pub const METER_SCALE_WIDTH: u16 = 4;

/// Terminals at least this tall get a blank row under the transport line and a row of their own
/// for the status message.
pub const ROOMY_HEIGHT: u16 = 30;

/// The shortest meter the timeline leaves the strips: it takes no row below this.
pub const METER_MIN_ROWS: u16 = 4;

/// Said across the strips while blind mode hides the meters.
pub const METERS_OFF: &str = "meters off: listen";

/// Labels the row of held peaks, left of the strips (the meter scale's "dBFS" ends it).
pub const PEAK_LABEL: &str = "peak";

/// Said where the strips go when the session has none.
pub const NO_CHANNELS: &str = "no channels";

/// What the mixer keeps from one frame to the next: where it is scrolled to, and where the
/// mouse can act in the frame drawn last.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MixerState {
    /// The first channel strip on screen (an index into `View::strips`).
    pub first_strip: usize,
    /// What is where on the screen, for the mouse.
    pub hits: HitMap,
}

impl MixerState {
    /// Scrolls as little as needed for `selected` to be among the `visible` strips shown out of
    /// `count`, and never past the last strip.
    pub fn follow(&mut self, selected: usize, visible: usize, count: usize) {
        if visible >= count || visible == 0 {
            self.first_strip = 0;
            return;
        }
        let selected = selected.min(count - 1);
        self.first_strip = self.first_strip.min(count - visible);
        if selected < self.first_strip {
            self.first_strip = selected;
        } else if selected >= self.first_strip + visible {
            self.first_strip = selected + 1 - visible;
        }
    }
}

/// Draws `view` over the whole frame in `style`, scrolling `state` to the selected strip.
pub fn draw(frame: &mut Frame, view: &View, style: &Style, state: &mut MixerState) {
    let area = frame.area();
    frame.render_stateful_widget(Mixer::new(view, style), area, state);
}

/// The whole console screen as a widget.
#[derive(Debug, Clone, Copy)]
pub struct Mixer<'a> {
    view: &'a View,
    style: &'a Style,
}

impl<'a> Mixer<'a> {
    /// The screen for `view`, drawn in `style`.
    pub fn new(view: &'a View, style: &'a Style) -> Self {
        Self { view, style }
    }
}

/// How the columns are shared out at a given width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// Channel strips on screen.
    pub visible: usize,
    /// Each strip's width, gap included.
    pub strip_width: u16,
    /// Whether some strips are off screen (counted above the scales).
    pub scrolls: bool,
    /// The gutter's width.
    pub gutter_width: u16,
    /// The master strip's width, separator included.
    pub master_width: u16,
}

impl Columns {
    /// Shares out `width` columns (at least [`MIN_WIDTH`]) among the gutter, `count` strips, the
    /// meter scale and the master: the strips first up to [`STRIP_COMFORT_WIDTH`], then a column
    /// for the gutter and then the master up to their widest, then the strips again.
    pub fn new(width: u16, count: usize) -> Self {
        Self::with_names(width, count, 0)
    }

    /// Shares out `width` columns like [`Columns::new`], but before the gutter and the master
    /// take spare columns the strips grow (up to [`STRIP_MAX_WIDTH`]) to show names
    /// `name_width` cells wide whole.
    pub fn with_names(width: u16, count: usize, name_width: usize) -> Self {
        let comfort = (name_width.min(usize::from(STRIP_MAX_WIDTH)) as u16 + 1)
            .clamp(STRIP_COMFORT_WIDTH, STRIP_MAX_WIDTH);
        let avail = width.saturating_sub(GUTTER_WIDTH + METER_SCALE_WIDTH + master::MIN_WIDTH);
        let fits_all = count * STRIP_MIN_WIDTH as usize <= avail as usize;
        let visible = if fits_all {
            count
        } else {
            (avail / STRIP_MIN_WIDTH).max(1) as usize
        };
        let wanted = (GUTTER_MAX_WIDTH - GUTTER_WIDTH) + (MASTER_MAX_WIDTH - master::MIN_WIDTH);
        let strip_width = if visible == 0 {
            0
        } else {
            let widest = (avail / visible as u16).clamp(STRIP_MIN_WIDTH, STRIP_MAX_WIDTH);
            let short = wanted.saturating_sub(avail.saturating_sub(widest * visible as u16));
            let give = short.div_ceil(visible as u16);
            widest.saturating_sub(give).max(comfort).min(widest)
        };
        let spare = avail.saturating_sub(strip_width * visible as u16);
        let gutter_extra = spare.min(GUTTER_MAX_WIDTH - GUTTER_WIDTH);
        let spare = spare - gutter_extra;
        let master_width = master::MIN_WIDTH + spare.min(MASTER_MAX_WIDTH - master::MIN_WIDTH);
        Self {
            visible,
            strip_width,
            scrolls: !fits_all,
            gutter_width: GUTTER_WIDTH + gutter_extra,
            master_width,
        }
    }
}

/// The count of strips hidden on one side beside its `arrow`, in at most `room` cells: "◀ 3"
/// (`arrow_first`) or "3 ▶", "◀123" when the space does not fit, the arrow alone when the count
/// does not fit or must not show.
fn hidden_text(arrow: &str, hidden: usize, arrow_first: bool, room: usize, count: bool) -> String {
    let number = hidden.to_string();
    if !count || width(arrow) + width(&number) > room {
        return arrow.to_owned();
    }
    let gap = if width(arrow) + 1 + width(&number) <= room {
        " "
    } else {
        ""
    };
    if arrow_first {
        format!("{arrow}{gap}{number}")
    } else {
        format!("{number}{gap}{arrow}")
    }
}

/// Where the parts of the screen go.
#[derive(Debug, Clone, Copy)]
struct Screen {
    transport: Rect,
    mixer: Rect,
    /// Whether the strips have a scene row.
    scene_row: bool,
    timeline: Option<Rect>,
    /// The exercise banner's rows: under the strips in the timeline's place, or the status
    /// line's row when the strips cannot spare one.
    banner: Option<Rect>,
    message: Option<Rect>,
    status: Rect,
    /// Whether the status line is drawn (the banner may have its row).
    status_shown: bool,
}

impl Screen {
    /// The parts of `area` (at least [`MIN_WIDTH`] x [`MIN_HEIGHT`]) for `view`.
    fn new(area: Rect, view: &View) -> Self {
        let roomy = area.height >= ROOMY_HEIGHT;
        let top = area.y + 1 + u16::from(roomy);
        let status = area.bottom() - 1;
        let message = roomy.then(|| Rect::new(area.x, status - 1, area.width, 1));
        let bottom = message.map_or(status, |row| row.y);
        let scene_row = matches!(view.edit_mode, EditMode::Scene { .. });
        // The timeline's rows, or the banner's, come out of the meters, down to their
        // shortest.
        let fixed = FIXED_ROWS + u16::from(scene_row);
        let spare = (bottom - top).saturating_sub(fixed + METER_MIN_ROWS);
        let (below_rows, banner_on_status) = if view.exercise.is_some() {
            // Two rows wherever the meters can spare them; one at the smallest sizes, where
            // meters that are hidden anyway give it up to their last row; else the status
            // line's row.
            let hidden_spare = (bottom - top).saturating_sub(fixed + 1);
            match spare {
                2.. => (2, false),
                1 => (1, false),
                0 if view.blind.hides_meters() && hidden_spare > 0 => (1, false),
                0 => (0, true),
            }
        } else {
            let rows = match view.timeline {
                None => 0,
                Some(_) => spare.min(if roomy { 2 } else { 1 }),
            };
            (rows, false)
        };
        let below_top = bottom - below_rows;
        let below = (below_rows > 0).then(|| Rect::new(area.x, below_top, area.width, below_rows));
        let status_row = Rect::new(area.x, status, area.width, 1);
        let (timeline, banner) = match (view.exercise.is_some(), banner_on_status) {
            (false, _) => (below, None),
            (true, false) => (None, below),
            (true, true) => (None, Some(status_row)),
        };
        Self {
            transport: Rect::new(area.x, area.y, area.width, 1),
            mixer: Rect::new(area.x, top, area.width, below_top - top),
            scene_row,
            timeline,
            banner,
            message,
            status: status_row,
            status_shown: !banner_on_status,
        }
    }

    /// The rows of a strip as tall as the mixer at `x`.
    fn rows(&self, x: u16, width: u16) -> Option<StripRows> {
        StripRows::with_scene(
            Rect::new(x, self.mixer.y, width, self.mixer.height),
            self.scene_row,
        )
    }
}

impl Mixer<'_> {
    /// The fader scale left of the strips under its header, the unit of their fader values when
    /// they leave it out, and the count of strips hidden on the left.
    fn draw_gutter(
        &self,
        buf: &mut Buffer,
        screen: &Screen,
        columns: Columns,
        first: usize,
        theme: &Theme,
    ) {
        let view = self.view;
        let mixer = screen.mixer;
        let gutter = Rect::new(mixer.x, mixer.y, columns.gutter_width, mixer.height);
        let dim = theme.dim();
        let blind = view.blind.hides_numbers();
        if let Some(rows) = screen.rows(gutter.x, gutter.width)
            && !blind
        {
            FaderScale::new(theme).render(rows.meter_area(gutter.x, gutter.width), buf);
            if !view.strips.is_empty() {
                // The row of held peaks is labelled as such, the row of fader values as the
                // faders' (their unit when the strips leave it out).
                put_right(buf, gutter, gutter.right(), rows.lamp, PEAK_LABEL, dim);
                let narrow = (columns.strip_width as usize).saturating_sub(1) < GAIN_WITH_UNIT;
                let label = if width(fader::HEADER) <= gutter.width as usize {
                    fader::HEADER
                } else if narrow {
                    fader::HEADER_SHORT
                } else {
                    ""
                };
                put_right(buf, gutter, gutter.right(), rows.fader, label, dim);
            }
        }
        if first > 0 {
            let arrow = theme.glyphs.more_left;
            let text = hidden_text(arrow, first, true, gutter.width as usize, !blind);
            put(
                buf,
                gutter,
                gutter.x,
                mixer.y,
                &text,
                gutter.width as usize,
                dim,
            );
        }
    }

    /// The meter scale in `area` (the mixer's rows, left of the master strip) under its header,
    /// and above them the count of strips hidden on the right.
    fn draw_meter_scale(
        &self,
        buf: &mut Buffer,
        area: Rect,
        screen: &Screen,
        columns: Columns,
        first: usize,
        theme: &Theme,
    ) {
        let view = self.view;
        let dim = theme.dim();
        let count = view.strips.len();
        let hidden = count.saturating_sub(first + columns.visible);
        if columns.scrolls && hidden > 0 {
            let arrow = theme.glyphs.more_right;
            let blind = view.blind.hides_numbers();
            let text = hidden_text(arrow, hidden, false, area.width as usize, !blind);
            put_right(buf, area, area.right(), area.y, &text, dim);
        }
        if view.blind.hides_numbers() {
            return;
        }
        if let Some(rows) = screen.rows(area.x, area.width) {
            MeterScale::new(theme).render(rows.meter_area(area.x, area.width), buf);
            let header = if width(SCALE_HEADER) <= area.width as usize {
                SCALE_HEADER
            } else {
                SCALE_HEADER_SHORT
            };
            put_right(buf, area, area.right(), rows.lamp, header, dim);
        }
    }

    /// The channel strips from `first` on, noted in `hits`; returns the column after them.
    fn draw_strips(
        &self,
        buf: &mut Buffer,
        screen: &Screen,
        columns: Columns,
        first: usize,
        theme: &Theme,
        hits: &mut HitMap,
    ) -> u16 {
        let view = self.view;
        let mixer = screen.mixer;
        let count = view.strips.len();
        let shown = columns.visible.min(count - first.min(count));
        let dim = theme.dim();
        let strips_x = mixer.x + columns.gutter_width;
        let names = self.names(theme);
        let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
        let names = strip_names(
            &names,
            (columns.strip_width as usize).saturating_sub(1),
            theme.glyphs.ellipsis,
        );
        for (slot, index) in (first..first + shown).enumerate() {
            let x = strips_x + slot as u16 * columns.strip_width;
            let content = Rect::new(x + 1, mixer.y, columns.strip_width - 1, mixer.height);
            let mark = match (index == view.selected, view.focus) {
                (false, _) => Mark::None,
                (true, Focus::Strip) => Mark::Strong,
                (true, Focus::Master) => Mark::Weak,
            };
            ChannelStrip::new(&view.strips[index], theme)
                .label(&names[index])
                .blind(view.blind)
                .mark(mark)
                .trim_mode(view.status.trim_mode)
                .scene_row(screen.scene_row)
                .render(content, buf);
            note_strip(hits, index, content, screen, !view.blind.hides_numbers());
            // The groups stand apart from the channels: a line before the first of them.
            let first_group = view.strips[index].group.is_some()
                && index
                    .checked_sub(1)
                    .is_none_or(|before| view.strips[before].group.is_none());
            if first_group {
                let line = Rect::new(x, mixer.y, 1, mixer.height);
                for y in line.top()..line.bottom() {
                    put(buf, line, x, y, theme.glyphs.edges[1], 1, dim);
                }
            }
        }
        let end = strips_x + columns.visible as u16 * columns.strip_width;
        if count == 0 {
            put(
                buf,
                mixer,
                strips_x + 1,
                mixer.y,
                NO_CHANNELS,
                mixer.width as usize,
                dim,
            );
            return strips_x + STRIP_MIN_WIDTH * 2;
        }
        if let Some(rows) = screen.rows(mixer.x, mixer.width)
            && view.blind.hides_meters()
        {
            let strips = Rect::new(strips_x, mixer.y, end - strips_x, mixer.height);
            let middle = rows.meter_top + rows.meter_height / 2;
            put_centered(buf, strips, middle, METERS_OFF, theme.glyphs.ellipsis, dim);
        }
        end
    }
}

impl Mixer<'_> {
    /// The channels' names as they may be drawn (see [`clean`]).
    fn names(&self, theme: &Theme) -> Vec<std::borrow::Cow<'_, str>> {
        self.view
            .strips
            .iter()
            .map(|strip| clean(&strip.name, theme.ascii))
            .collect()
    }
}

impl StatefulWidget for Mixer<'_> {
    type State = MixerState;

    fn render(self, area: Rect, buf: &mut Buffer, state: &mut MixerState) {
        state.hits.clear();
        let area = area.intersection(*buf.area());
        if area.is_empty() {
            return;
        }
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            too_small(buf, area);
            return;
        }
        let view = self.view;
        let theme = Theme::new(self.style);
        let screen = Screen::new(area, view);
        let count = view.strips.len();
        let longest = self.names(&theme).iter().map(|n| width(n)).max();
        let columns = Columns::with_names(area.width, count, longest.unwrap_or(0));
        state.follow(view.selected, columns.visible, count);
        let first = state.first_strip;
        let hits = &mut state.hits;

        self.draw_gutter(buf, &screen, columns, first, &theme);
        let strips_end = self.draw_strips(buf, &screen, columns, first, &theme, hits);
        let scale_x = strips_end.min(area.right() - columns.master_width - METER_SCALE_WIDTH);
        let scale = Rect::new(
            scale_x,
            screen.mixer.y,
            METER_SCALE_WIDTH,
            screen.mixer.height,
        );
        self.draw_meter_scale(buf, scale, &screen, columns, first, &theme);
        let master_x = scale.right();
        let master = Rect::new(
            master_x,
            screen.mixer.y,
            columns.master_width,
            screen.mixer.height,
        );
        let master_strip = MasterStrip::new(&view.master, &theme)
            .blind(view.blind)
            .focused(view.focus == Focus::Master)
            .scene_row(screen.scene_row);
        master_strip.render(master, buf);
        hits.master(master, master_strip.track_area(master));
        if let (Some(row), Some(timeline)) = (screen.timeline, &view.timeline) {
            Timeline::new(timeline, &theme).render(row, buf);
            for (k, (from, to)) in timeline::spans(timeline, row.width).into_iter().enumerate() {
                if from < to {
                    hits.section(k, Rect::new(row.x + from, row.y, to - from, row.height));
                }
            }
        }

        let selected = view
            .strips
            .get(view.selected)
            .filter(|_| view.focus == Focus::Strip);
        TransportLine::new(&view.transport, &view.session_name, &theme)
            .selected(selected.map(|strip| (strip.name.as_str(), strip.role)))
            .render(screen.transport, buf);
        // The mode shows wherever there are sections to have scenes, and always in scene mode,
        // but never during an exercise.
        let mode = (view.exercise.is_none() && (view.timeline.is_some() || screen.scene_row))
            .then_some(&view.edit_mode);
        let status = StatusLine::new(&view.status, &theme)
            .blind(view.blind)
            .mode(mode, view.comparing);
        if let Some(row) = screen.message {
            status.without_message().render(screen.status, buf);
            MessageLine::new(&view.status, &theme, view.blind).render(row, buf);
        } else if screen.status_shown {
            status.render(screen.status, buf);
        }
        if let (Some(rows), Some(exercise)) = (screen.banner, &view.exercise) {
            Banner::new(exercise, &theme).render(rows, buf);
        }
        if let Some(overlay) = &view.overlay {
            OverlayBox::new(overlay, &theme)
                .blind(view.blind)
                .render(area, buf);
            hits.clear();
        }
    }
}

/// Notes in `hits` where channel strip `index`, drawn in `content`, has its fader track (with
/// the meter beside it, when the fader is shown) and its M and S flags.
fn note_strip(hits: &mut HitMap, index: usize, content: Rect, screen: &Screen, fader: bool) {
    let rows = StripRows::with_scene(content, screen.scene_row);
    let (mute_x, solo_x) = flag_columns(content);
    let track = rows.filter(|_| fader).map(|rows| {
        rows.meter_area(track_column(content), 1 + meter_width(content.width))
            .intersection(content)
    });
    hits.strip(StripHits {
        index,
        area: content,
        track,
        mute: rows.map(|rows| Position::new(mute_x, rows.flags)),
        solo: rows.map(|rows| Position::new(solo_x, rows.flags)),
    });
}

/// Says the terminal is too small, in the longest wording that fits, wrapped at spaces.
fn too_small(buf: &mut Buffer, area: Rect) {
    let (w, h) = (area.width, area.height);
    let need = format!("{MIN_WIDTH}x{MIN_HEIGHT}");
    let wordings = [
        format!("terminal too small: need at least {need}, have {w}x{h}"),
        format!("terminal too small: need {need}"),
        format!("too small: need {need}"),
        format!("need {need}"),
        "too small".to_owned(),
        "small".to_owned(),
        "!".to_owned(),
    ];
    for wording in &wordings {
        let lines = wrap(wording, w as usize, "");
        let whole = lines.iter().all(|line| width(line) <= w as usize)
            && lines.iter().map(|line| width(line)).sum::<usize>() + lines.len().saturating_sub(1)
                == width(wording);
        if whole && lines.len() <= h as usize {
            for (row, line) in lines.iter().enumerate() {
                put(
                    buf,
                    area,
                    area.x,
                    area.y + row as u16,
                    line,
                    w as usize,
                    CellStyle::new(),
                );
            }
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::buffer::{Buffer, CellWidth};
    use ratatui::style::{Color, Modifier};

    use super::*;
    use crate::session::Role;
    use crate::ui::ballistics::{Scale, ScaleKind};
    use crate::ui::view::{
        ArcChannel, ArcView, BlindLevel, MasterView, MeterView, Overlay, ResultRow, ResultsView,
        SceneMark, StatusView, StripView, TimelineSection, TimelineView, TransportView,
    };
    use crate::ui::widgets::strip::short_name;
    use crate::ui::widgets::text::{shorten_numbered, time};

    /// A meter showing a peak, an RMS level and a held peak.
    fn meter(peak_db: f64, rms_db: f64, held_db: f64) -> MeterView {
        MeterView {
            peak_db,
            rms_db,
            held_db,
            clipped: false,
        }
    }

    /// A channel strip with a plain fader and no flags.
    fn strip(name: &str, role: Role, gain_db: f64, pan: f64, meter: MeterView) -> StripView {
        StripView {
            catch: None,
            group: None,
            name: name.to_owned(),
            role: Some(role),
            gain_db,
            trim_db: 0.0,
            pan,
            mute: false,
            solo: false,
            soloed_out: false,
            meter,
            scene: None,
            from_scene: false,
            ride: crate::ui::view::RideMark::default(),
        }
    }

    /// A folk band mid-song: eight strips with moving meters, the kick clipped, the shaker
    /// muted and the voice soloed (so the others are soloed out); no digit in any name.
    fn folk_band() -> View {
        let mut strips = vec![
            strip(
                "Melody guitar",
                Role::Guitar,
                -4.5,
                -0.3,
                meter(-9.0, -18.0, -6.0),
            ),
            strip(
                "Rhythm guitar",
                Role::Guitar,
                -6.0,
                0.3,
                meter(-12.0, -20.0, -10.0),
            ),
            strip("Bass", Role::Bass, -3.0, 0.0, meter(-6.0, -12.0, -4.0)),
            strip("Kick", Role::Kick, 0.0, 0.0, meter(-1.0, -8.0, 0.0)),
            strip("Snare", Role::Snare, -2.5, -0.1, meter(-10.0, -22.0, -7.0)),
            strip("Shaker", Role::Other, -12.0, 1.0, MeterView::SILENT),
            strip("Voice", Role::Vocal, 2.0, 0.0, meter(-5.0, -14.0, -3.5)),
            strip("Pad", Role::Pad, -9.0, -0.5, meter(-20.0, -26.0, -18.0)),
        ];
        strips[1].trim_db = -2.0;
        strips[2].trim_db = 1.5;
        strips[3].meter.clipped = true;
        strips[5].mute = true;
        strips[6].solo = true;
        for (at, strip) in strips.iter_mut().enumerate() {
            strip.soloed_out = at != 6;
        }
        View {
            session_name: "Folk band demo".to_owned(),
            strips,
            selected: 1,
            focus: Focus::Strip,
            master: MasterView {
                gain_db: 0.0,
                meter: meter(-3.1, -11.0, -1.2),
                true_peak_dbtp: -0.9,
                true_peak_max_dbtp: -0.4,
                momentary_lufs: -12.3,
                short_term_lufs: -13.8,
                integrated_lufs: -14.6,
                integrating: true,
                headroom_db: 1.2,
                clips: 0,
            },
            transport: TransportView {
                playing: true,
                buffering: false,
                position_s: 83.4,
                length_s: 245.0,
                bar: None,
                looping: Some((60.0, 90.0)),
                section: Some("Verse 2".to_owned()),
            },
            status: StatusView {
                device: "default (ALSA)".to_owned(),
                sample_rate: 48_000,
                buffer_frames: 256,
                buffer_note: None,
                xruns: 2,
                late: 0,
                restarts: 0,
                realtime: None,
                underruns: 0,
                unsaved: true,
                read_only: false,
                trim_mode: false,
                message: Some("Saved session.toml".to_owned()),
                listen: None,
                monitor: crate::engine::monitor::MonitorState::default(),
                ceiling_db: None,
            },
            blind: BlindLevel::Off,
            overlay: None,
            timeline: Some(song()),
            edit_mode: EditMode::Base,
            comparing: false,
            exercise: None,
        }
    }

    /// The folk band's song: six sections over its 245 s, the choruses with scenes, the play
    /// head in the second verse, looping 60-90 s.
    fn song() -> TimelineView {
        let sections = [
            ("Intro", 0.0, false),
            ("Verse 1", 12.0, false),
            ("Chorus 1", 44.0, true),
            ("Verse 2", 76.0, false),
            ("Chorus 2", 120.0, true),
            ("Outro", 184.0, false),
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
            length_s: 245.0,
            playhead_s: 83.4,
            current: Some(3),
            loop_region: Some((60.0, 90.0)),
            ride: Vec::new(),
        }
    }

    /// The folk band editing the second chorus's scene: the bass 3 dB up, the voice 2.5 dB
    /// down, the shaker muted, the rest following the base mix.
    fn in_scene(mut view: View) -> View {
        view.edit_mode = EditMode::Scene {
            section: "Chorus 2".to_owned(),
        };
        let follows = SceneMark {
            overridden: false,
            delta_db: 0.0,
            muted: false,
        };
        for strip in &mut view.strips {
            strip.scene = Some(follows);
        }
        let marks = [(2, 3.0, false), (6, -2.5, false), (5, 0.0, true)];
        for (at, delta_db, muted) in marks {
            if let Some(strip) = view.strips.get_mut(at) {
                strip.gain_db += delta_db;
                strip.scene = Some(SceneMark {
                    overridden: !muted,
                    delta_db,
                    muted,
                });
                strip.from_scene = !muted;
            }
        }
        view.transport.position_s = 130.2;
        view.transport.section = Some("Chorus 2".to_owned());
        view.transport.looping = None;
        if let Some(timeline) = &mut view.timeline {
            timeline.playhead_s = 130.2;
            timeline.current = Some(4);
            timeline.loop_region = None;
        }
        view
    }

    /// `count` strips named by two letters ("Aa", "Ab", ...), the first one selected.
    fn many_strips(count: usize) -> View {
        let mut view = folk_band();
        view.strips = (0..count)
            .map(|at| {
                let name: String = [(b'A', at / 26), (b'a', at % 26)]
                    .iter()
                    .map(|&(base, n)| char::from(base + n as u8))
                    .collect();
                let mut strip = strip(&name, Role::Other, -6.0, 0.0, meter(-12.0, -20.0, -10.0));
                strip.meter.clipped = at % 7 == 3;
                strip
            })
            .collect();
        view.selected = 0;
        view
    }

    fn style(ascii: bool, color: bool) -> Style {
        Style {
            ascii,
            color,
            scale: Scale::default(),
        }
    }

    /// Renders through `draw` on a test terminal and returns the buffer.
    fn render(view: &View, style: &Style, size: (u16, u16), state: &mut MixerState) -> Buffer {
        let mut terminal =
            Terminal::new(TestBackend::new(size.0, size.1)).expect("a test terminal");
        terminal
            .draw(|frame| draw(frame, view, style, state))
            .expect("drawing on a test terminal");
        terminal.backend().buffer().clone()
    }

    /// The screen as text, one line per row, trailing spaces cut (wide characters once).
    fn text(buf: &Buffer) -> Vec<String> {
        let area = buf.area;
        (area.top()..area.bottom())
            .map(|y| {
                let mut line = String::new();
                let mut x = area.left();
                while x < area.right() {
                    let symbol = buf[(x, y)].symbol();
                    line.push_str(symbol);
                    x += symbol.cell_width().max(1);
                }
                line.trim_end().to_owned()
            })
            .collect()
    }

    fn screen(view: &View, style: &Style, size: (u16, u16)) -> String {
        text(&render(view, style, size, &mut MixerState::default())).join("\n")
    }

    /// The normal screen at 80x24 and 160x48.
    #[test]
    fn snapshot_normal() {
        let view = folk_band();
        insta::assert_snapshot!("normal_80x24", screen(&view, &style(false, true), (80, 24)));
        insta::assert_snapshot!(
            "normal_160x48",
            screen(&view, &style(false, true), (160, 48))
        );
    }

    /// Blind mode hiding numbers: meters move, no scale, fader, pan, trim or readout.
    #[test]
    fn snapshot_blind() {
        let mut view = folk_band();
        view.blind = BlindLevel::Numbers;
        insta::assert_snapshot!("blind_80x24", screen(&view, &style(false, true), (80, 24)));
        insta::assert_snapshot!(
            "blind_160x48",
            screen(&view, &style(false, true), (160, 48))
        );
    }

    /// Blind mode with meters off: names, flags and the problem lamps only.
    #[test]
    fn snapshot_meters_off() {
        let mut view = folk_band();
        view.blind = BlindLevel::MetersOff;
        insta::assert_snapshot!(
            "meters_off_80x24",
            screen(&view, &style(false, true), (80, 24))
        );
        insta::assert_snapshot!(
            "meters_off_160x48",
            screen(&view, &style(false, true), (160, 48))
        );
    }

    /// The ASCII screen.
    #[test]
    fn snapshot_ascii() {
        let view = folk_band();
        insta::assert_snapshot!("ascii_80x24", screen(&view, &style(true, false), (80, 24)));
        insta::assert_snapshot!(
            "ascii_160x48",
            screen(&view, &style(true, false), (160, 48))
        );
    }

    /// Each overlay over the mixer at 80x24.
    #[test]
    fn snapshot_overlays() {
        let mut view = folk_band();
        view.overlay = Some(help(40));
        insta::assert_snapshot!("help_80x24", screen(&view, &style(false, true), (80, 24)));
        insta::assert_snapshot!("help_160x48", screen(&view, &style(false, true), (160, 48)));
        view.overlay = Some(question());
        insta::assert_snapshot!(
            "question_80x24",
            screen(&view, &style(false, true), (80, 24))
        );
        view.overlay = Some(info());
        insta::assert_snapshot!("info_80x24", screen(&view, &style(true, false), (80, 24)));
    }

    /// Scene mode: every strip has a scene row under its fader value (how far the scene moves
    /// the bass and the voice, the shaker muted, "base" on the others), and the status line says
    /// which section's scene the keys edit; blind, the row keeps no number, and comparing says
    /// so.
    #[test]
    fn snapshot_scene() {
        let mut view = in_scene(folk_band());
        insta::assert_snapshot!("scene_80x24", screen(&view, &style(false, true), (80, 24)));
        insta::assert_snapshot!(
            "scene_160x48",
            screen(&view, &style(false, true), (160, 48))
        );
        view.blind = BlindLevel::Numbers;
        view.comparing = true;
        insta::assert_snapshot!(
            "scene_blind_80x24",
            screen(&view, &style(false, true), (80, 24))
        );
    }

    /// The prompt, the list to pick from and the arc view over the mixer.
    #[test]
    fn snapshot_scene_overlays() {
        let mut view = folk_band();
        view.overlay = Some(prompt());
        insta::assert_snapshot!("prompt_80x24", screen(&view, &style(false, true), (80, 24)));
        view.overlay = Some(pick(5));
        insta::assert_snapshot!("pick_80x24", screen(&view, &style(false, true), (80, 24)));
        view.overlay = Some(pick(30));
        insta::assert_snapshot!(
            "pick_scrolled_ascii_80x24",
            screen(&view, &style(true, false), (80, 24))
        );
        view.overlay = Some(arc());
        insta::assert_snapshot!("arc_80x24", screen(&view, &style(false, true), (80, 24)));
        insta::assert_snapshot!("arc_160x48", screen(&view, &style(false, true), (160, 48)));
        insta::assert_snapshot!(
            "arc_ascii_80x24",
            screen(&view, &style(true, false), (80, 24))
        );
        view.blind = BlindLevel::Numbers;
        insta::assert_snapshot!(
            "arc_blind_80x24",
            screen(&view, &style(false, true), (80, 24))
        );
    }

    /// The exercise banner in the timeline's place, with and without the lit tag saying what
    /// plays, in Unicode and ASCII, at 80x24 and on a roomy terminal; one row at the smallest
    /// size; the status line's row when meters that show leave no other.
    #[test]
    fn snapshot_exercise() {
        for (hearing, tag) in [(Some("YOUR MIX"), "hearing"), (None, "plain")] {
            let view = exercising(hearing);
            for (ascii, set) in [(false, "unicode"), (true, "ascii")] {
                for (w, h) in [(80, 24), (100, 32)] {
                    insta::assert_snapshot!(
                        format!("exercise_{tag}_{set}_{w}x{h}"),
                        screen(&view, &style(ascii, !ascii), (w, h))
                    );
                }
            }
        }
        let mut view = exercising(Some("TARGET"));
        insta::assert_snapshot!(
            "exercise_40x12",
            screen(&view, &style(false, true), (40, 12))
        );
        view.blind = BlindLevel::Numbers;
        insta::assert_snapshot!(
            "exercise_meters_40x12",
            screen(&view, &style(false, true), (40, 12))
        );
    }

    /// An exercise's results over the mixer: the blindfold test at 80x24 (its reading cut)
    /// and 120x40, in ASCII, and a drill's round.
    #[test]
    fn snapshot_results() {
        let mut view = folk_band();
        view.overlay = Some(blindfold_results());
        insta::assert_snapshot!(
            "results_80x24",
            screen(&view, &style(false, true), (80, 24))
        );
        insta::assert_snapshot!(
            "results_120x40",
            screen(&view, &style(false, true), (120, 40))
        );
        insta::assert_snapshot!(
            "results_ascii_80x24",
            screen(&view, &style(true, false), (80, 24))
        );
        view.overlay = Some(drill_results());
        insta::assert_snapshot!("drill_80x24", screen(&view, &style(false, true), (80, 24)));
        insta::assert_snapshot!(
            "drill_ascii_120x40",
            screen(&view, &style(true, false), (120, 40))
        );
    }

    /// The banner's rows: two under the strips where the timeline goes, the meters losing
    /// them; one at the smallest size with meters off; the status line's when meters that
    /// show cannot spare a row. The timeline and the edit mode give way to it.
    #[test]
    fn banner_takes_the_timelines_place() {
        let area = |w, h| Rect::new(0, 0, w, h);
        let view = exercising(Some("TARGET"));
        let screen = Screen::new(area(80, 24), &view);
        assert_eq!(screen.timeline, None);
        assert_eq!(screen.banner, Some(Rect::new(0, 21, 80, 2)));
        assert!(screen.status_shown);
        assert_eq!(screen.mixer.bottom(), 21);
        let roomy = Screen::new(area(100, 32), &view);
        assert_eq!(roomy.banner, Some(Rect::new(0, 28, 100, 2)));
        let smallest = Screen::new(area(40, 12), &view);
        assert_eq!(smallest.banner, Some(Rect::new(0, 10, 40, 1)));
        assert_eq!(smallest.mixer.height, FIXED_ROWS + 3);
        assert_eq!(
            Screen::new(area(40, 13), &view).banner,
            Some(Rect::new(0, 11, 40, 1))
        );
        assert_eq!(
            Screen::new(area(40, 14), &view).banner,
            Some(Rect::new(0, 11, 40, 2))
        );
        let mut scene = in_scene(view.clone());
        scene.exercise = view.exercise.clone();
        let smallest = Screen::new(area(40, 12), &scene);
        assert_eq!(smallest.banner, Some(Rect::new(0, 10, 40, 1)));
        assert!(smallest.rows(0, 10).is_some());
        // Meters that show keep their four rows: the banner takes the status line's row.
        let mut showing = view.clone();
        showing.blind = BlindLevel::Numbers;
        for w in [40, 80] {
            let screen = Screen::new(area(w, 12), &showing);
            assert_eq!(screen.banner, Some(screen.status));
            assert!(!screen.status_shown);
            let meter = screen.rows(0, 10).expect("strip rows").meter_height;
            assert_eq!(meter, METER_MIN_ROWS);
        }
        let lines = text(&render(
            &view,
            &style(false, false),
            (80, 24),
            &mut MixerState::default(),
        ));
        assert!(
            lines[21].contains("Blindfold Balance Test"),
            "{}",
            lines[21]
        );
        assert!(lines[22].starts_with("Balance Verse 1"), "{}", lines[22]);
        assert!(!lines[23].contains("BASE"), "{}", lines[23]);
        assert!(lines[23].contains("BLIND"), "{}", lines[23]);
    }

    /// The tag saying what plays is reversed without colour, lit in colour.
    #[test]
    fn hearing_tag_is_lit() {
        let view = exercising(Some("YOUR MIX"));
        for (color, size) in [(false, (80, 24)), (true, (100, 32)), (false, (40, 12))] {
            let buf = render(
                &view,
                &style(false, color),
                size,
                &mut MixerState::default(),
            );
            let lines = text(&buf);
            let y = lines
                .iter()
                .position(|line| line.contains("YOUR MIX"))
                .expect("the tag");
            let x = lines[y][..lines[y].find("YOUR MIX").unwrap()]
                .chars()
                .count() as u16;
            let cell = &buf[(x, y as u16)];
            if color {
                assert_ne!(cell.bg, Color::Reset, "{size:?}");
            } else {
                assert!(cell.modifier.contains(Modifier::REVERSED), "{size:?}");
            }
        }
    }

    /// The timeline takes its row from the meters: at 80x24 the strips keep every other row
    /// and the status line stays at the bottom; 30 rows high it gets a second row; at the
    /// smallest size, or in scene mode one row up, the meters cannot spare one; without
    /// sections there is none.
    #[test]
    fn timeline_takes_meter_rows() {
        let area = |w, h| Rect::new(0, 0, w, h);
        let view = folk_band();
        let mut none = folk_band();
        none.timeline = None;
        let with = Screen::new(area(80, 24), &view);
        let without = Screen::new(area(80, 24), &none);
        assert_eq!(without.timeline, None);
        assert_eq!(with.timeline, Some(Rect::new(0, 22, 80, 1)));
        assert_eq!(with.status, without.status);
        let rows = |screen: Screen| screen.rows(0, 10).expect("strip rows");
        assert_eq!(rows(with).meter_height + 1, rows(without).meter_height);
        assert_eq!(rows(with).flags, 21);
        let roomy = Screen::new(area(100, 30), &view);
        assert_eq!(roomy.timeline, Some(Rect::new(0, 26, 100, 2)));
        assert_eq!(roomy.message, Some(Rect::new(0, 28, 100, 1)));
        assert_eq!(Screen::new(area(40, 12), &view).timeline, None);
        assert_eq!(
            Screen::new(area(40, 13), &view).timeline,
            Some(Rect::new(0, 11, 40, 1))
        );
        let scene = in_scene(folk_band());
        assert_eq!(Screen::new(area(40, 13), &scene).timeline, None);
        let screen = Screen::new(area(80, 24), &scene);
        assert_eq!(rows(screen).scene, Some(rows(screen).fader + 1));
        assert_eq!(rows(screen).flags, 21);

        let lines = text(&render(
            &view,
            &style(false, true),
            (80, 24),
            &mut MixerState::default(),
        ));
        assert!(
            lines[21].trim_start().starts_with("M  S   M  S"),
            "{}",
            lines[21]
        );
        assert!(lines[22].starts_with("Int…│Verse 1"), "{}", lines[22]);
        assert!(lines[23].starts_with("default (ALSA)"), "{}", lines[23]);
    }

    /// The status line always shows the edit mode when the session has sections: "BASE", or
    /// "SCENE" and the section lit (reversed without colour), and "A/B base" while comparing;
    /// without sections and in base mode it says nothing about it.
    #[test]
    fn edit_mode_tags() {
        let status_of = |view: &View| -> (String, Buffer) {
            let buf = render(
                view,
                &style(false, false),
                (80, 24),
                &mut MixerState::default(),
            );
            (text(&buf)[23].clone(), buf)
        };
        let (line, _) = status_of(&folk_band());
        assert!(line.contains("  BASE  "), "{line}");
        let mut view = in_scene(folk_band());
        let (line, buf) = status_of(&view);
        let at = line.find("SCENE Chorus 2").expect("the scene tag");
        let x = line[..at].chars().count() as u16;
        assert!(buf[(x, 23)].modifier.contains(Modifier::REVERSED));
        assert!(!line.contains("A/B"), "{line}");
        view.comparing = true;
        let (line, _) = status_of(&view);
        assert!(line.contains("SCENE Chorus 2  A/B base"), "{line}");
        let mut view = folk_band();
        view.timeline = None;
        let (line, _) = status_of(&view);
        assert!(!line.contains("BASE"), "{line}");
    }

    fn help(count: usize) -> Overlay {
        let keys = [
            ("Left / h", "select the strip on the left"),
            ("Right / l", "select the strip on the right"),
            ("Up / k", "fader up a step"),
            ("Down / j", "fader down a step"),
            ("K / J", "fader up / down a coarse step"),
            ("m", "mute the selected strip"),
            ("s", "solo the selected strip"),
            ("t", "trim mode: the fader keys edit the trim"),
            ("Space", "play / pause"),
            ("b / B", "blind mode: hide numbers / meters too"),
        ];
        Overlay::Help(
            keys.iter()
                .cycle()
                .take(count)
                .map(|(k, what)| ((*k).to_owned(), (*what).to_owned()))
                .collect(),
        )
    }

    fn question() -> Overlay {
        Overlay::Question {
            title: "Quit without saving?".to_owned(),
            lines: vec![
                "The session has edits that are not saved: three fader moves, a mute and a \
                 pan change on the voice."
                    .to_owned(),
            ],
            answers: vec![
                ("y".to_owned(), "quit".to_owned()),
                ("s".to_owned(), "save and quit".to_owned()),
                ("n".to_owned(), "stay".to_owned()),
            ],
        }
    }

    fn info() -> Overlay {
        Overlay::Info {
            title: "Moved while blind".to_owned(),
            lines: vec![
                "Voice: +2.5 dB".to_owned(),
                "Bass: -1.0 dB".to_owned(),
                String::new(),
                "Your ears moved the faders; these are the numbers.".to_owned(),
            ],
        }
    }

    fn prompt() -> Overlay {
        Overlay::Prompt {
            title: "New section at 1:05.2".to_owned(),
            label: "Name:".to_owned(),
            text: "Verse 1".to_owned(),
            error: Some("a section named Verse 1 exists".to_owned()),
            answers: vec![
                ("Enter".to_owned(), "ok".to_owned()),
                ("Esc".to_owned(), "cancel".to_owned()),
            ],
        }
    }

    fn pick(count: usize) -> Overlay {
        let names = ["Intro", "Verse 1", "Chorus 1", "Verse 2", "Outro"];
        Overlay::Pick {
            title: "Copy which section's scene into Chorus 2?".to_owned(),
            items: (0..count)
                .map(|at| match names.get(at) {
                    Some(name) => (*name).to_owned(),
                    None => format!("Section {}", at + 1),
                })
                .collect(),
            selected: 2.min(count.saturating_sub(1)),
            hint: "Enter copy  Esc cancel".to_owned(),
        }
    }

    /// The folk band's arc: the choruses lift the bass, guitars and drums, the voice dips in
    /// the second one, most of the band is out in the intro and the outro.
    fn arc() -> Overlay {
        let channels = [
            (
                "Melody guitar",
                Role::Guitar,
                -4.5,
                [
                    Some(-4.5),
                    Some(-4.5),
                    Some(-2.0),
                    Some(-4.5),
                    Some(-1.5),
                    Some(-6.0),
                ],
            ),
            (
                "Rhythm guitar",
                Role::Guitar,
                -6.0,
                [
                    Some(-8.0),
                    Some(-6.0),
                    Some(-4.0),
                    Some(-6.0),
                    Some(-4.0),
                    None,
                ],
            ),
            (
                "Bass",
                Role::Bass,
                -3.0,
                [
                    None,
                    Some(-3.0),
                    Some(-1.0),
                    Some(-3.0),
                    Some(0.0),
                    Some(-3.0),
                ],
            ),
            (
                "Kick",
                Role::Kick,
                0.0,
                [None, Some(0.0), Some(0.0), Some(0.0), Some(1.0), None],
            ),
            (
                "Snare",
                Role::Snare,
                -2.5,
                [None, Some(-2.5), Some(-2.5), Some(-2.5), Some(-1.5), None],
            ),
            (
                "Shaker",
                Role::Other,
                -12.0,
                [
                    None,
                    Some(-12.0),
                    Some(-10.0),
                    Some(-12.0),
                    Some(-10.0),
                    None,
                ],
            ),
            (
                "Voice",
                Role::Vocal,
                2.0,
                [None, Some(2.0), Some(3.0), Some(2.0), Some(-0.5), None],
            ),
            (
                "Pad",
                Role::Pad,
                -9.0,
                [
                    Some(-6.0),
                    Some(-9.0),
                    Some(-9.0),
                    Some(-9.0),
                    Some(-7.0),
                    Some(-4.0),
                ],
            ),
        ];
        Overlay::Arc(ArcView {
            sections: song().sections.into_iter().map(|s| s.name).collect(),
            current: Some(3),
            channels: channels
                .iter()
                .map(|(name, role, base_db, levels)| ArcChannel {
                    name: (*name).to_owned(),
                    role: Some(*role),
                    levels_db: levels.to_vec(),
                    base_db: *base_db,
                })
                .collect(),
        })
    }

    /// Every overlay there is.
    fn overlays() -> [Overlay; 8] {
        [
            help(60),
            question(),
            info(),
            prompt(),
            pick(5),
            arc(),
            blindfold_results(),
            drill_results(),
        ]
    }

    use crate::ui::widgets::banner::tests::banner;

    /// The folk band during the blindfold test: blind with meters off, the banner showing
    /// what `hearing` says.
    fn exercising(hearing: Option<&str>) -> View {
        let mut view = folk_band();
        view.blind = BlindLevel::MetersOff;
        view.exercise = Some(banner(hearing));
        view
    }

    /// The blindfold test's results for the folk band: eight channels, five columns, bars
    /// both ways (none for the shaker, which was off), a four-paragraph reading and two
    /// answers.
    fn blindfold_results() -> Overlay {
        let rows = [
            (
                "Melody guitar",
                Role::Guitar,
                ["-4.5", "-12.1", "-20.3", "-18.0", "-2.3"],
            ),
            (
                "Rhythm guitar",
                Role::Guitar,
                ["-6.0", "-14.0", "-22.5", "-21.0", "-1.5"],
            ),
            (
                "Bass",
                Role::Bass,
                ["-3.0", "-8.2", "-16.0", "-18.5", "+2.5"],
            ),
            (
                "Kick",
                Role::Kick,
                ["0.0", "-3.1", "-14.2", "-16.0", "+1.8"],
            ),
            (
                "Snare",
                Role::Snare,
                ["-2.5", "-6.4", "-19.8", "-19.0", "-0.8"],
            ),
            ("Shaker", Role::Other, ["off", "-", "-", "-30.0", "-"]),
            (
                "Voice",
                Role::Vocal,
                ["+2.0", "-5.0", "-13.1", "-16.5", "+3.4"],
            ),
            (
                "Pad",
                Role::Pad,
                ["-9.0", "-20.1", "-27.0", "-24.0", "-3.0"],
            ),
        ];
        Overlay::Results(ResultsView {
            title: "Blindfold Balance Test: what you did".to_owned(),
            headline: vec![
                "Score: 74 / 100".to_owned(),
                "Your mix was 1.2 dB louder overall than the textbook's; the chart leaves \
                 that out."
                    .to_owned(),
            ],
            columns: ["Fader", "Peak", "RMS", "Target", "Diff"]
                .map(str::to_owned)
                .to_vec(),
            rows: rows
                .iter()
                .map(|(name, role, cells)| ResultRow {
                    name: (*name).to_owned(),
                    role: Some(*role),
                    cells: cells.map(str::to_owned).to_vec(),
                    bar_db: cells[4].parse().ok(),
                })
                .collect(),
            chart: "Against the textbook, overall offset removed (dB)".to_owned(),
            reading: vec![
                "The voice sits 3.4 dB above where the textbook puts it. In a folk mix the \
                 voice leads, so a little extra is common, but this much pushes the guitars \
                 back."
                    .to_owned(),
                "The bass and the kick are both up: the low end will feel heavy on small \
                 speakers and boomy in a car."
                    .to_owned(),
                "The pad and the melody guitar are low; the pad is the glue, and 3 dB down \
                 it may vanish on a phone."
                    .to_owned(),
                "Try again with Verse 1 looping, and listen for the guitars against the voice \
                 before anything else."
                    .to_owned(),
            ],
            answers: vec![
                ("k".to_owned(), "keep this balance".to_owned()),
                ("Enter".to_owned(), "close".to_owned()),
            ],
        })
    }

    /// A level-matching drill's round: two channels, your level, the target and the error.
    fn drill_results() -> Overlay {
        let rows = [
            ("Voice", Role::Vocal, ["-3.0", "-6.0", "+3.0"]),
            ("Bass", Role::Bass, ["-8.5", "-7.0", "-1.5"]),
        ];
        Overlay::Results(ResultsView {
            title: "Level-matching drill, level 2".to_owned(),
            headline: vec!["Round 5 of 10: off by 2.3 dB on average".to_owned()],
            columns: ["You", "Target", "Error"].map(str::to_owned).to_vec(),
            rows: rows
                .iter()
                .map(|(name, role, cells)| ResultRow {
                    name: (*name).to_owned(),
                    role: Some(*role),
                    cells: cells.map(str::to_owned).to_vec(),
                    bar_db: cells[2].parse().ok(),
                })
                .collect(),
            chart: "Error (dB)".to_owned(),
            reading: vec![
                "Within 2 dB is the goal at this level; the voice was too loud.".to_owned(),
            ],
            answers: vec![
                ("Enter".to_owned(), "next round".to_owned()),
                ("Esc".to_owned(), "stop".to_owned()),
            ],
        })
    }

    /// The digits on screen once the time texts and the section names (which may hold digits
    /// and stay while blind) are blanked out, outside the exercise banner.
    fn digits_besides_times(buf: &Buffer, view: &View) -> Vec<String> {
        let transport = &view.transport;
        let mut allowed = vec![time(transport.position_s), time(transport.length_s)];
        if let Some((from, to)) = transport.looping {
            allowed.extend([time(from), time(to)]);
        }
        let mut names: Vec<String> = view
            .timeline
            .iter()
            .flat_map(|t| t.sections.iter().map(|s| s.name.clone()))
            .collect();
        names.extend(transport.section.clone());
        if let EditMode::Scene { section } = &view.edit_mode {
            names.push(section.clone());
        }
        // Names stay while blind, whole or shortened to fit ("C…1").
        for name in &names {
            for room in 0..=name.len() {
                for ellipsis in ["…", "~"] {
                    allowed.push(shorten_numbered(name, room, ellipsis).into_owned());
                }
            }
        }
        allowed.retain(|t| !t.is_empty());
        // Longer texts first, so "Chorus 12" goes before "Chorus 1" could cut it.
        allowed.sort_by_key(|t| std::cmp::Reverse(t.len()));
        // The exercise banner's rows hold its own words ("Verse 1", "level 2"): the rest of
        // the screen is checked.
        let area = buf.area;
        let banner = (area.width >= MIN_WIDTH && area.height >= MIN_HEIGHT)
            .then(|| Screen::new(area, view).banner)
            .flatten()
            .filter(|_| view.exercise.is_some());
        text(buf)
            .into_iter()
            .enumerate()
            .filter(|&(y, _)| !banner.is_some_and(|rows| rows.contains((0, y as u16).into())))
            .filter_map(|(_, mut line)| {
                for t in &allowed {
                    line = line.replace(t.as_str(), "");
                }
                line.chars().any(|c| c.is_ascii_digit()).then_some(line)
            })
            .collect()
    }

    /// In both blind levels, at every size, the only digits on screen are the transport times
    /// and the section names, in base and scene mode, comparing and during an exercise (its
    /// banner aside), even with xruns, underruns and a message holding digits.
    #[test]
    fn blind_shows_no_numbers() {
        let mut comparing = in_scene(folk_band());
        comparing.comparing = true;
        let views = [
            ("band", folk_band()),
            ("many", many_strips(40)),
            ("scene", in_scene(folk_band())),
            ("comparing", comparing),
            ("scene many", in_scene(many_strips(40))),
            ("exercise", exercising(Some("TARGET"))),
            ("exercise many", {
                let mut view = many_strips(40);
                view.exercise = Some(banner(None));
                view
            }),
        ];
        for blind in [BlindLevel::Numbers, BlindLevel::MetersOff] {
            for (view_name, view) in &views {
                let mut view = view.clone();
                view.blind = blind;
                view.status.underruns = 3;
                view.status.trim_mode = true;
                view.status.message = Some("Saved take2.toml at -3.0 dB".to_owned());
                view.selected = view.strips.len() / 2;
                for size in [
                    (80, 24),
                    (120, 40),
                    (160, 48),
                    (200, 60),
                    (40, 12),
                    (40, 13),
                    (300, 100),
                ] {
                    for style in [style(false, true), style(true, false)] {
                        let buf = render(&view, &style, size, &mut MixerState::default());
                        let left = digits_besides_times(&buf, &view);
                        assert!(
                            left.is_empty(),
                            "{blind:?} {view_name} at {size:?}: digits on {left:#?}"
                        );
                    }
                }
            }
        }
    }

    /// The arc view while blind shows its shape and a legend but no dB scale or table.
    #[test]
    fn blind_arc_shows_no_numbers() {
        let mut view = folk_band();
        view.overlay = Some(arc());
        for blind in [BlindLevel::Numbers, BlindLevel::MetersOff] {
            view.blind = blind;
            for size in [(80, 24), (120, 40), (160, 48), (40, 12), (300, 100)] {
                for style in [style(false, true), style(true, false)] {
                    let buf = render(&view, &style, size, &mut MixerState::default());
                    let left = digits_besides_times(&buf, &view);
                    assert!(
                        left.is_empty(),
                        "{blind:?} at {size:?}: digits on {left:#?}"
                    );
                }
            }
        }
    }

    /// The same screens out of blind mode do show numbers (so the test above can fail).
    #[test]
    fn numbers_show_when_not_blind() {
        let buf = render(
            &folk_band(),
            &style(false, true),
            (80, 24),
            &mut MixerState::default(),
        );
        assert!(!digits_besides_times(&buf, &folk_band()).is_empty());
    }

    fn sizes() -> impl Iterator<Item = (u16, u16)> {
        [
            (40, 12),
            (41, 13),
            (80, 24),
            (100, 30),
            (120, 40),
            (160, 48),
            (200, 60),
            (300, 100),
        ]
        .into_iter()
    }

    /// With --ascii every cell holds printable ASCII, whatever the names hold.
    #[test]
    fn ascii_is_ascii() {
        let mut view = folk_band();
        view.strips[0].name = "Gitarre (Melodie) – ä".to_owned();
        view.session_name = "Fête…".to_owned();
        view.overlay = Some(arc());
        if let Some(Overlay::Arc(arc)) = &mut view.overlay {
            arc.sections[1] = "Strophe – Ä".to_owned();
            arc.channels[1].name = "Gitarre (Melodie) – ä".to_owned();
        }
        let arc = view.overlay.take();
        if let Some(timeline) = &mut view.timeline {
            timeline.sections[1].name = "Strophe – Ä".to_owned();
        }
        let mut scene = in_scene(view.clone());
        scene.edit_mode = EditMode::Scene {
            section: "Refrain – Ä".to_owned(),
        };
        let mut base = view;
        let mut banner = banner(Some("DEIN MIX – ä"));
        banner.step = "Strophe 1 – ausbalancieren".to_owned();
        banner.keys[0].1 = "fertig – ä".to_owned();
        let mut exercise = base.clone();
        exercise.exercise = Some(banner);
        base.status.message = Some("ä".to_owned());
        let mut results = blindfold_results();
        if let Overlay::Results(results) = &mut results {
            results.rows[0].name = "Gitarre (Melodie) – ä".to_owned();
            results.reading[0].push_str(" – ±½");
            results.answers[0].1 = "behalten – ä".to_owned();
        }
        let overlays = [None, Some(help(30)), Some(question()), Some(info())]
            .into_iter()
            .chain([Some(prompt()), Some(pick(30)), arc])
            .chain([Some(results), Some(drill_results())]);
        for overlay in overlays {
            for blind in [BlindLevel::Off, BlindLevel::Numbers, BlindLevel::MetersOff] {
                for view in [&base, &scene, &exercise] {
                    let mut view = view.clone();
                    view.blind = blind;
                    view.overlay.clone_from(&overlay);
                    view.comparing = true;
                    for size in sizes().chain([(10, 3), (30, 5)]) {
                        let mut state = MixerState::default();
                        let buf = render(&view, &style(true, false), size, &mut state);
                        for cell in buf.content() {
                            let symbol = cell.symbol();
                            assert!(
                                symbol.len() == 1
                                    && (' '..='~').contains(&symbol.chars().next().unwrap_or('\0')),
                                "{symbol:?} at {size:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// Without colour no cell has a foreground or background colour, in base or scene mode,
    /// comparing or not, during an exercise, under every overlay.
    #[test]
    fn no_color_means_no_color() {
        let mut scene = in_scene(folk_band());
        scene.comparing = true;
        for mut view in [folk_band(), scene, exercising(Some("TARGET"))] {
            for (blind, overlay) in [BlindLevel::Off, BlindLevel::MetersOff]
                .into_iter()
                .flat_map(|blind| {
                    let overlays = overlays().into_iter().map(Some).chain([None]);
                    overlays.map(move |overlay| (blind, overlay))
                })
            {
                view.blind = blind;
                view.overlay = overlay;
                for size in sizes() {
                    for ascii in [false, true] {
                        let buf = render(
                            &view,
                            &style(ascii, false),
                            size,
                            &mut MixerState::default(),
                        );
                        for cell in buf.content() {
                            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
                        }
                    }
                }
            }
        }
    }

    /// From 1x1 to 220x70, with 0, 1, 8 and 40 strips, with and without sections, in base and
    /// scene mode, during an exercise, and under every overlay, drawing never panics; from the minimum size up the
    /// selected strip's name and the master strip are on screen.
    #[test]
    fn any_size_draws() {
        let mut no_sections = folk_band();
        no_sections.timeline = None;
        let mut empty_arc = arc();
        if let Overlay::Arc(arc) = &mut empty_arc {
            arc.channels.clear();
        }
        let views = [
            many_strips(0),
            many_strips(1),
            folk_band(),
            many_strips(40),
            no_sections,
            in_scene(folk_band()),
            in_scene(many_strips(40)),
            exercising(Some("YOUR MIX")),
            {
                let mut view = in_scene(many_strips(40));
                view.exercise = Some(banner(None));
                view
            },
        ];
        let overlays: Vec<Overlay> = [pick(40), empty_arc]
            .into_iter()
            .chain(overlays())
            .collect();
        // Every view bare; the boxes, which draw alike over any mixer, over the fullest view
        // and the emptiest.
        let cases = views.iter().map(|view| (view, None)).chain(
            [&views[0], &views[6]]
                .into_iter()
                .flat_map(|view| overlays.iter().map(move |overlay| (view, Some(overlay)))),
        );
        for (view, overlay) in cases {
            let mut view = view.clone();
            view.overlay = overlay.cloned();
            view.selected = view.strips.len().saturating_sub(1) * 2 / 3;
            let mut state = MixerState::default();
            for w in (0..=220).step_by(7).chain([1, 2, 39, 40, 41]) {
                for h in (0..=70).step_by(5).chain([1, 2, 11, 12, 13]) {
                    let buf = render(&view, &style(false, true), (w, h), &mut state);
                    if view.overlay.is_some() || w < MIN_WIDTH || h < MIN_HEIGHT {
                        continue;
                    }
                    let lines = text(&buf);
                    let top = if h >= ROOMY_HEIGHT { 2 } else { 1 };
                    let names = &lines[top];
                    assert!(names.contains(master::TITLE), "no master at {w}x{h}");
                    assert!(lines[0].contains(&time(view.transport.position_s)));
                    // The master's separator runs unbroken down the mixer: nothing
                    // overlaps it.
                    let separator = (0..w)
                        .find(|&x| buf[(x, top as u16)].symbol() == "│")
                        .expect("the master's separator");
                    let bottom = Screen::new(Rect::new(0, 0, w, h), &view).mixer.bottom();
                    for y in top..usize::from(bottom) {
                        assert_eq!(buf[(separator, y as u16)].symbol(), "│", "{w}x{h} row {y}");
                    }
                    if let Some(selected) = view.strips.get(view.selected) {
                        let room = Columns::new(w, view.strips.len()).strip_width - 1;
                        let theme = Theme::new(&style(false, true));
                        let name = short_name(&selected.name, room as usize, &theme);
                        assert!(names.contains(name.as_ref()), "{name} missing at {w}x{h}");
                    }
                }
            }
        }
    }

    /// Below the minimum size a short note says so, in whole words, and nothing else is drawn.
    #[test]
    fn too_small_says_so() {
        let view = folk_band();
        let lines = text(&render(
            &view,
            &style(false, true),
            (60, 8),
            &mut MixerState::default(),
        ));
        assert_eq!(
            lines[0],
            "terminal too small: need at least 40x12, have 60x8"
        );
        assert!(lines[1..].iter().all(String::is_empty));
        let lines = text(&render(
            &view,
            &style(false, true),
            (20, 5),
            &mut MixerState::default(),
        ));
        assert_eq!(
            lines,
            [
                "terminal too small:",
                "need at least 40x12,",
                "have 20x5",
                "",
                ""
            ]
        );
        let lines = text(&render(
            &view,
            &style(false, true),
            (9, 1),
            &mut MixerState::default(),
        ));
        assert_eq!(lines, ["too small"]);
        let lines = text(&render(
            &view,
            &style(false, true),
            (1, 1),
            &mut MixerState::default(),
        ));
        assert_eq!(lines, ["!"]);
    }

    /// The screen rows (from the top) on which the text of the columns `x..x + w` trimmed is
    /// `label`.
    fn rows_labelled(buf: &Buffer, x: u16, w: u16, label: &str) -> Vec<u16> {
        (0..buf.area.height)
            .filter(|&y| {
                let cells: String = (x..x + w).map(|x| buf[(x, y)].symbol()).collect();
                cells.trim() == label
            })
            .collect()
    }

    /// The topmost row on which any column of `x..x + w` holds `symbol`.
    fn top_of(buf: &Buffer, x: u16, w: u16, symbol: &str) -> Option<u16> {
        (0..buf.area.height).find(|&y| (x..x + w).any(|x| buf[(x, y)].symbol() == symbol))
    }

    /// On screen, for both scale kinds and at several sizes, the meter scale's "0" sits on the
    /// row where a meter peaking at 0 dBFS tops out, and its "-12" where a -12 dBFS peak does,
    /// channel and master meters alike; the fader scale's labels are nowhere near them.
    #[test]
    fn meter_scale_lines_up_with_the_meters() {
        let mut view = folk_band();
        let peak = |peak_db| MeterView {
            peak_db,
            ..MeterView::SILENT
        };
        view.strips[0].meter = peak(0.0);
        view.strips[1].meter = peak(-12.0);
        view.master.meter = peak(-12.0);
        for kind in [ScaleKind::Linear, ScaleKind::Iec] {
            let style = Style {
                scale: Scale::new(kind, -60.0, 0.0),
                ..style(false, true)
            };
            for size in [(80, 24), (100, 30), (160, 48)] {
                let buf = render(&view, &style, size, &mut MixerState::default());
                let columns = Columns::new(size.0, view.strips.len());
                let top = if size.1 >= ROOMY_HEIGHT { 2 } else { 1 };
                let master_x = (0..size.0)
                    .find(|&x| buf[(x, top)].symbol() == "│")
                    .expect("the master's separator");
                let scale_x = master_x - METER_SCALE_WIDTH;
                let label = |text| rows_labelled(&buf, scale_x, METER_SCALE_WIDTH, text);
                let strip = |at: u16| {
                    let x = columns.gutter_width + at * columns.strip_width;
                    top_of(&buf, x, columns.strip_width, "▒")
                };
                let at = format!("{kind:?} at {size:?}");
                assert_eq!(label("dBFS").len(), 1, "{at}");
                assert_eq!(label("0"), [strip(0).expect("a 0 dBFS bar")], "{at}");
                assert_eq!(label("-12"), [strip(1).expect("a -12 dBFS bar")], "{at}");
                let master = top_of(&buf, master_x, columns.master_width, "▒");
                assert_eq!(label("-12"), [master.expect("the master bar")], "{at}");
                // The fader scale's 0 dB is lower down: the two scales differ.
                let gutter = |text| rows_labelled(&buf, 0, columns.gutter_width, text);
                assert!(gutter("0")[0] > label("0")[0], "{at}");
            }
        }
    }

    /// On screen, the fader scale's labels sit on the rows of the fader caps at those gains: a
    /// 0 dB fader's cap on the "0" row, +12 dB on "+12", -12 dB on "-12", off on "-inf"; the
    /// scale's header is right over them.
    #[test]
    fn fader_scale_lines_up_with_the_caps() {
        let mut view = folk_band();
        let gains = [12.0, -12.0, f64::NEG_INFINITY, 0.0];
        for (strip, gain) in view.strips.iter_mut().zip(gains) {
            strip.gain_db = gain;
        }
        for size in [(80, 24), (100, 30), (160, 48)] {
            let buf = render(&view, &style(false, true), size, &mut MixerState::default());
            let columns = Columns::new(size.0, view.strips.len());
            let gutter = |text| rows_labelled(&buf, 0, columns.gutter_width, text);
            let cap = |at: u16| {
                let x = columns.gutter_width + at * columns.strip_width;
                top_of(&buf, x, columns.strip_width, "▶")
            };
            for (at, label) in ["+12", "-12", "-inf", "0"].into_iter().enumerate() {
                let row = cap(at as u16).expect("a fader cap");
                assert_eq!(gutter(label), [row], "{label} at {size:?}");
            }
            // The row of fader values is labelled as the faders'; the row over the scale, of
            // held peaks, as peaks.
            let values = gutter("+12")[0] + (gutter("-inf")[0] - gutter("+12")[0]) + 1;
            let header = [fader::HEADER, fader::HEADER_SHORT];
            assert!(
                header.iter().any(|h| gutter(h).contains(&values)),
                "{size:?}"
            );
            assert_eq!(gutter(PEAK_LABEL), [gutter("+12")[0] - 1], "{size:?}");
        }
    }

    /// Ten channels named like a DAW export, at the loudest and quietest values each readout
    /// can show, in base and scene mode.
    fn daw_export() -> View {
        let names = crate::ui::widgets::names::DAW_EXPORT;
        let gains = [
            12.0,
            f64::NEG_INFINITY,
            -60.0,
            -12.5,
            0.0,
            6.0,
            -5.0,
            12.0,
            -24.0,
            -0.1,
        ];
        let peaks = [
            -60.0,
            0.0,
            -12.3,
            -0.1,
            f64::NEG_INFINITY,
            -60.0,
            -5.0,
            -45.5,
            -9.9,
            -10.0,
        ];
        let mut view = folk_band();
        view.strips = names
            .iter()
            .zip(gains.iter().zip(peaks))
            .enumerate()
            .map(|(at, (name, (&gain, peak)))| {
                let mut strip = strip(name, Role::Other, gain, 0.0, meter(peak, peak, peak));
                strip.pan = [-1.0, 1.0, 0.0, -0.55][at % 4];
                strip.trim_db = [24.0, -24.0, 0.0, -12.5][at % 4];
                strip.from_scene = at % 3 == 0;
                strip
            })
            .collect();
        view.selected = 4;
        view.master.meter = meter(-10.0, -20.0, -60.0);
        view.master.true_peak_dbtp = f64::NEG_INFINITY;
        view.master.true_peak_max_dbtp = 3.4;
        view.master.headroom_db = -12.5;
        view.master.clips = 123_456;
        view.master.momentary_lufs = -60.0;
        view.master.short_term_lufs = f64::NEG_INFINITY;
        view.master.integrated_lufs = -10.0;
        view.master.gain_db = 12.0;
        view
    }

    /// Words in `line` where two values run together ("-5.0-12.0", "+12.0 dB-5.0"), a value
    /// runs into its label ("TPmax-0.4") or a unit runs on ("-60.0dBFS"). Times ("1:23.4")
    /// and names are not values.
    fn run_together(line: &str) -> Vec<String> {
        let boxes = ['│', '▶', '◀', '█', '▒', '━', '─', '┴', '▲', '●', '⏸', '–'];
        line.split(|c: char| c.is_whitespace() || boxes.contains(&c))
            .filter(|word| !word.contains(':'))
            .filter(|word| {
                let chars: Vec<char> = word.chars().collect();
                let numbers = chars
                    .iter()
                    .enumerate()
                    .filter(|&(at, c)| {
                        let starts = c.is_ascii_digit()
                            || word[word.char_indices().nth(at).map_or(0, |(b, _)| b)..]
                                .starts_with("inf");
                        let before = at.checked_sub(1).map(|b| chars[b]);
                        starts && !before.is_some_and(|b| b.is_ascii_digit() || b == '.')
                    })
                    .count();
                let glued_unit = chars
                    .windows(3)
                    .any(|w| (w[0].is_ascii_digit() || w[0] == '*') && w[1..] == ['d', 'B']);
                let glued_label = chars.windows(2).enumerate().any(|(at, w)| {
                    at >= 1
                        && chars[at - 1].is_ascii_alphabetic()
                        && w[0].is_ascii_alphabetic()
                        && (w[1] == '-' || w[1] == '+' || w[1].is_ascii_digit())
                });
                numbers > 1 || glued_unit || glued_label
            })
            .map(str::to_owned)
            .collect()
    }

    /// A DAW export's ten channels at 80x24, 100x30 and 160x40, in base and scene mode, with
    /// the loudest and quietest values: no two values run together anywhere on screen; the
    /// strips' names all read apart; the selected strip's whole name is on the transport
    /// line; the held peaks' row is labelled as peaks; and the meter scale's numbers stand
    /// only beside meters: the master's fader track is right of its meter, away from them.
    #[test]
    fn a_daw_export_reads_at_every_size() {
        for scene in [false, true] {
            let view = if scene {
                in_scene(daw_export())
            } else {
                daw_export()
            };
            for size in [(80, 24), (100, 30), (160, 40)] {
                let at = format!("{size:?} scene {scene}");
                let buf = render(&view, &style(false, true), size, &mut MixerState::default());
                let lines = text(&buf);
                for line in &lines {
                    assert_eq!(run_together(line), Vec::<String>::new(), "{at}: {line}");
                }
                assert!(lines[0].contains("Rhythm Guitar L"), "{at}: {}", lines[0]);
                let top = if size.1 >= ROOMY_HEIGHT { 2 } else { 1 };
                let names = &lines[top];
                let count = Columns::new(size.0, 10).visible;
                let strips: Vec<String> = (0..count)
                    .map(|slot| {
                        let columns = Columns::with_names(size.0, 10, width("Lead Vocal Double"));
                        let x = columns.gutter_width + slot as u16 * columns.strip_width;
                        (x..x + columns.strip_width)
                            .map(|x| buf[(x, top as u16)].symbol())
                            .collect::<String>()
                            .trim()
                            .to_owned()
                    })
                    .collect();
                for (i, a) in strips.iter().enumerate() {
                    assert!(!a.is_empty(), "{at}: {names}");
                    assert!(!strips[i + 1..].contains(a), "{at}: {a} twice in {names}");
                }
                assert!(lines[top + 1].trim_start().starts_with(PEAK_LABEL), "{at}");
                let separator = (0..size.0)
                    .find(|&x| buf[(x, top as u16)].symbol() == "│")
                    .expect("the master's separator");
                let master = separator..size.0;
                let in_master = |symbol: &str| {
                    master
                        .clone()
                        .filter(|&x| (0..size.1).any(|y| buf[(x, y)].symbol() == symbol))
                        .collect::<Vec<u16>>()
                };
                let cap = in_master("▶");
                let bar = in_master("▒");
                assert_eq!(cap.len(), 1, "{at}");
                assert!(bar.iter().all(|&x| x < cap[0]), "{at}: {bar:?} {cap:?}");
            }
        }
        insta::assert_snapshot!(
            "daw_export_80x24",
            screen(&daw_export(), &style(false, true), (80, 24))
        );
        insta::assert_snapshot!(
            "daw_export_scene_100x30",
            screen(&in_scene(daw_export()), &style(false, true), (100, 30))
        );
    }

    /// The counts of hidden strips keep their space while it fits, drop it when it does not,
    /// and show the arrow alone rather than a cut number, or when blind.
    #[test]
    fn hidden_counts() {
        assert_eq!(hidden_text("◀", 3, true, 4, true), "◀ 3");
        assert_eq!(hidden_text("◀", 33, true, 4, true), "◀ 33");
        assert_eq!(hidden_text("◀", 133, true, 4, true), "◀133");
        assert_eq!(hidden_text("◀", 1330, true, 4, true), "◀");
        assert_eq!(hidden_text(">", 12, false, 4, true), "12 >");
        assert_eq!(hidden_text(">", 12, false, 4, false), ">");
    }

    /// With 40 strips at 80x24, selecting the first, the last and one in the middle keeps the
    /// selected strip on screen and scrolls no further than needed; more strips than fit are
    /// counted on each side.
    #[test]
    fn scrolls_to_the_selection() {
        let mut view = many_strips(40);
        let style = style(false, true);
        let mut state = MixerState::default();
        let visible = Columns::new(80, 40).visible;
        assert_eq!(visible, 8);

        view.selected = 0;
        let lines = text(&render(&view, &style, (80, 24), &mut state));
        assert_eq!(state.first_strip, 0);
        assert!(lines[1].contains(" Aa "), "{}", lines[1]);
        assert!(lines[1].contains("32 ▶│"), "{}", lines[1]);

        view.selected = 39;
        let lines = text(&render(&view, &style, (80, 24), &mut state));
        assert_eq!(state.first_strip, 40 - visible);
        assert!(lines[1].starts_with("◀ 32"), "{}", lines[1]);
        assert!(lines[1].contains(" Bn "), "{}", lines[1]);

        view.selected = 20;
        let lines = text(&render(&view, &style, (80, 24), &mut state));
        assert_eq!(state.first_strip, 20);
        assert!(lines[1].contains(" Au "), "{}", lines[1]);

        // Moving within the visible strips does not scroll.
        view.selected = 24;
        render(&view, &style, (80, 24), &mut state);
        assert_eq!(state.first_strip, 20);
        view.selected = 28;
        render(&view, &style, (80, 24), &mut state);
        assert_eq!(state.first_strip, 21);

        // A terminal wide enough for all of them shows them from the first.
        assert_eq!(Columns::new(320, 40).visible, 40);
        render(&view, &style, (320, 24), &mut state);
        assert_eq!(state.first_strip, 0);
    }

    /// The hit map names what is drawn where, at 80x24 and at 160x48, in scene mode too: each
    /// strip's M and S cells hold M and S, its track is the column the fader's cap and track
    /// are drawn in (the cap's row reads back as the strip's level), its name is inside it; the
    /// sections lie side by side on the timeline row under their names; the master's title is
    /// the master's. Blind mode hides the tracks from the mouse as from the eye, and nothing
    /// can be clicked under a box.
    #[test]
    fn the_hit_map_matches_the_screen() {
        use crate::ui::hits::{Hit, TrackRow};
        let style = style(true, false);
        let theme = Theme::new(&style);
        for (size, scene) in [((80, 24), false), ((160, 48), false), ((160, 48), true)] {
            let view = if scene {
                in_scene(folk_band())
            } else {
                folk_band()
            };
            let mut state = MixerState::default();
            let buf = render(&view, &style, size, &mut state);
            let rows = text(&buf);
            let hits = &state.hits;
            assert!(hits.strips().len() >= 4, "{size:?}: {:?}", hits.strips());
            for (slot, strip) in hits.strips().iter().enumerate() {
                let i = strip.index;
                assert_eq!(i, state.first_strip + slot);
                for (cell, flag, hit) in [
                    (strip.mute, "M", Hit::Mute(i)),
                    (strip.solo, "S", Hit::Solo(i)),
                ] {
                    let cell = cell.expect("flags drawn");
                    assert_eq!(buf[(cell.x, cell.y)].symbol(), flag, "{size:?} strip {i}");
                    assert_eq!(hits.at(cell.x, cell.y), Some(hit));
                }
                let track = strip.track.expect("a track");
                let mut cap = None;
                for y in track.top()..track.bottom() {
                    let symbol = buf[(track.x, y)].symbol();
                    assert!(
                        symbol == theme.glyphs.track || symbol == theme.glyphs.cap,
                        "{size:?} strip {i} row {y}: {symbol:?}"
                    );
                    if symbol == theme.glyphs.cap {
                        cap = Some(y);
                    }
                    assert_eq!(hits.at(track.right() - 1, y), Some(Hit::Track(i)));
                }
                let cap = cap.expect("a cap");
                let level = hits.track_row(i, cap).and_then(TrackRow::level);
                let level = level.expect("a level");
                let gain = view.strips[i].gain_db;
                assert_eq!(
                    fader::row_from_bottom(level, track.height),
                    fader::row_from_bottom(gain, track.height),
                    "{size:?} strip {i}: {level} dB read back for {gain} dB"
                );
                let name_row = &rows[strip.area.y as usize];
                let name: String = name_row
                    .chars()
                    .skip(strip.area.x as usize)
                    .take(strip.area.width as usize)
                    .collect();
                let start = &view.strips[i].name[..2];
                assert!(name.contains(start), "{size:?}: {name:?}");
            }
            let timeline = view.timeline.as_ref().expect("a timeline");
            let mut next_x = 0;
            for (k, section) in timeline.sections.iter().enumerate() {
                let at = (next_x..size.0)
                    .find(|&x| hits.at(x, timeline_row(&rows)) == Some(Hit::Section(k)))
                    .expect("every section on the timeline");
                assert_eq!(at, next_x, "{size:?}: sections side by side");
                let end = (at..size.0)
                    .find(|&x| hits.at(x, timeline_row(&rows)) != Some(Hit::Section(k)))
                    .unwrap_or(size.0);
                let drawn: String = rows[timeline_row(&rows) as usize]
                    .chars()
                    .skip(at as usize)
                    .take((end - at) as usize)
                    .collect();
                let first_letter = &section.name[..1];
                assert!(drawn.contains(first_letter), "{size:?}: {drawn:?}");
                next_x = end;
            }
            assert_eq!(next_x, size.0, "{size:?}: the sections span the row");
            let title_row = hits.strips()[0].area.y;
            let title_x = rows[title_row as usize]
                .find(master::TITLE)
                .expect("the master's title") as u16;
            assert_eq!(hits.at(title_x, title_row), Some(Hit::Master));
        }
        let mut blind = folk_band();
        blind.blind = BlindLevel::Numbers;
        let mut state = MixerState::default();
        render(&blind, &style, (80, 24), &mut state);
        assert!(state.hits.strips().iter().all(|s| s.track.is_none()));
        assert!(state.hits.strips().iter().all(|s| s.mute.is_some()));
        let mut boxed = folk_band();
        boxed.overlay = Some(info());
        render(&boxed, &style, (80, 24), &mut state);
        assert!(state.hits.strips().is_empty());
        assert!((0..80).all(|x| (0..24).all(|y| state.hits.at(x, y).is_none())));
    }

    /// The row of the timeline's section names: the first row that starts with "Intro".
    fn timeline_row(rows: &[String]) -> u16 {
        rows.iter()
            .position(|row| row.starts_with("Intro") || row.starts_with("Int"))
            .expect("a timeline row") as u16
    }
}
