//! The status line (UI thread): the output device and its settings, the audio thread's
//! realtime priority, xruns, late callbacks, restarts and underruns, the edit mode (the base mix or a section's scene, and the A/B comparison), blind and trim mode,
//! unsaved edits, the latest message and the help hint; and the message line that takes the
//! message when the screen has a row for it.
//!
//! While blind the line gives no level or count away: the device stays, the sample rate and buffer
//! size go, xruns, late callbacks, restarts and underruns become lamps without a count, and
//! numbers in the message are
//! masked (but for a lone digit, which names a key).

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style as CellStyle};
use ratatui::widgets::Widget;

use crate::engine::monitor::StereoMode;
use crate::ui::view::{BlindLevel, EditMode, StatusView};
use crate::ui::widgets::Theme;
use crate::ui::widgets::text::{
    Item, clean, count, fit_line, mask_levels, put, shorten, time, width,
};

/// The hint at the right end of the status line.
pub const HELP_HINT: &str = "? help";

/// The edit mode's tag while the fader keys edit the base mix.
pub const BASE_TAG: &str = "BASE";

/// The edit mode's tag while they edit a section's scene, before the section's name.
pub const SCENE_TAG: &str = "SCENE";

/// Lit while the base mix plays in place of the scene being edited.
pub const COMPARING_TAG: &str = "A/B base";

/// Lit while the mix is heard (sessions with a reference).
pub const MIX_TAG: &str = "MIX";

/// Lit while the reference is heard.
pub const REFERENCE_TAG: &str = "REF";

/// After the mix/reference tag while the reference runs free of the play head.
pub const FREE_TAG: &str = "(ref free)";

/// Lit while the monitor swaps left and right.
pub const SWAP_TAG: &str = "L<>R";

/// Lit while the monitor is muted (the panic key).
pub const MUTED_TAG: &str = "MUTED";

/// Lit while the output safety ceiling turns the monitor down.
pub const CEILING_TAG: &str = "CEILING";

/// Shown when the audio thread runs without realtime priority and there is no room for why.
pub const NO_RT_TAG: &str = "no RT";

/// The status line.
#[derive(Debug, Clone, Copy)]
pub struct StatusLine<'a> {
    status: &'a StatusView,
    theme: &'a Theme,
    blind: BlindLevel,
    with_message: bool,
    mode: Option<&'a EditMode>,
    comparing: bool,
}

impl<'a> StatusLine<'a> {
    /// The line for `status`, drawn with `theme`, not blind, with the message in it.
    pub fn new(status: &'a StatusView, theme: &'a Theme) -> Self {
        Self {
            status,
            theme,
            blind: BlindLevel::Off,
            with_message: true,
            mode: None,
            comparing: false,
        }
    }

    /// Shows the edit mode (`None`: no tag, for a session without sections), and that the
    /// base mix is playing in place of the scene when `comparing`.
    #[must_use]
    pub fn mode(mut self, mode: Option<&'a EditMode>, comparing: bool) -> Self {
        self.mode = mode;
        self.comparing = comparing;
        self
    }

    /// Hides what `blind` hides.
    #[must_use]
    pub fn blind(mut self, blind: BlindLevel) -> Self {
        self.blind = blind;
        self
    }

    /// Leaves the message out (a [`MessageLine`] shows it).
    #[must_use]
    pub fn without_message(mut self) -> Self {
        self.with_message = false;
        self
    }
}

/// The message as it may be shown: cleaned, and with its levels masked while blind (key names
/// stay, see [`mask_levels`]).
fn message_text<'a>(message: &'a str, blind: BlindLevel, theme: &Theme) -> Cow<'a, str> {
    let message = clean(message, theme.ascii);
    if !blind.hides_numbers() {
        return message;
    }
    match message {
        Cow::Borrowed(message) => mask_levels(message),
        Cow::Owned(message) => Cow::Owned(mask_levels(&message).into_owned()),
    }
}

/// A sample rate in a user's words: "48 kHz", "44.1 kHz".
fn rate_text(hz: u32) -> String {
    if hz.is_multiple_of(1000) {
        format!("{} kHz", hz / 1000)
    } else if hz.is_multiple_of(100) {
        format!("{}.{} kHz", hz / 1000, hz % 1000 / 100)
    } else {
        format!("{hz} Hz")
    }
}

impl Widget for StatusLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(*buf.area());
        if area.is_empty() {
            return;
        }
        let area = Rect::new(area.x, area.y, area.width, 1);
        let theme = self.theme;
        let status = self.status;
        let blind = self.blind.hides_numbers();
        let plain = CellStyle::new();
        let mut items = Vec::with_capacity(10);
        let device = clean(&status.device, theme.ascii);
        let short = shorten(&device, 12, theme.glyphs.ellipsis).into_owned();
        items.push(Item::new(device, plain, 5).or(short));
        if !blind {
            items.push(Item::new(rate_text(status.sample_rate), plain, 3));
            let frames = format!("{} frames", status.buffer_frames);
            items.push(match &status.buffer_note {
                Some(note) => Item::new(format!("{frames} ({note})"), plain, 2).or(frames),
                None => Item::new(frames, plain, 2),
            });
        }
        if let Some(realtime) = &status.realtime {
            items.push(if realtime.starts_with(NO_RT_TAG) {
                let text = clean(realtime, theme.ascii).into_owned();
                Item::new(text, theme.warn(), 3).or(NO_RT_TAG)
            } else {
                Item::new(realtime.clone(), theme.dim(), 2)
            });
        }
        // Late callbacks and restarts are gaps too, shown only once there was one (xruns and
        // underruns always show, as a reassuring 0).
        let gaps = [
            ("xruns", status.xruns, true),
            ("late", status.late, false),
            ("restarts", u64::from(status.restarts), false),
            ("underruns", status.underruns, true),
        ];
        for (word, n, always) in gaps {
            let item = match (n, blind) {
                (0, _) if !always => continue,
                (0, true) => continue,
                (0, false) => Item::new(format!("{word} 0"), theme.dim(), 1),
                (_, true) => Item::new(format!("{word}!"), theme.warn(), 6),
                (n, false) => Item::new(format!("{word} {}", count(n)), theme.warn(), 6),
            };
            items.push(item);
        }
        if self.with_message
            && let Some(message) = &status.message
        {
            let text = message_text(message, self.blind, theme);
            items.push(Item::new(text, plain.add_modifier(Modifier::BOLD), 7).shrink_to(10));
        }
        let blind_lamp = match self.blind {
            BlindLevel::Off => None,
            BlindLevel::Numbers => Some(Item::new("BLIND", theme.lit(Color::Yellow), 10)),
            BlindLevel::MetersOff => {
                Some(Item::new("BLIND (meters off)", theme.lit(Color::Yellow), 10).or("BLIND"))
            }
        };
        match self.mode {
            None => {}
            Some(EditMode::Base) => {
                let style = CellStyle::new().add_modifier(Modifier::BOLD);
                items.push(Item::new(BASE_TAG, style, 10).right());
            }
            Some(EditMode::Scene { section }) => {
                let section = clean(section, theme.ascii);
                let text = format!("{SCENE_TAG} {section}");
                let min = width(SCENE_TAG) + 3;
                items.push(
                    Item::new(text, theme.lit(Color::Magenta), 10)
                        .shrink_to(min)
                        .right(),
                );
            }
        }
        if self.comparing {
            items.push(Item::new(COMPARING_TAG, theme.lit(Color::LightBlue), 10).right());
        }
        items.extend(blind_lamp.map(Item::right));
        items.extend(listen_items(status, theme, blind));
        items.extend(monitor_items(status, theme, blind));
        if status.trim_mode {
            items.push(Item::new("TRIM", theme.lit(Color::Cyan), 9).right());
        }
        if status.read_only {
            items.push(Item::new("READ-ONLY", theme.lit(Color::Red), 10).right());
        } else if status.unsaved {
            let mark = theme.glyphs.unsaved;
            let style = theme.fg(Color::Yellow, Modifier::BOLD);
            items.push(
                Item::new(format!("{mark} unsaved"), style, 8)
                    .or(mark)
                    .right(),
            );
        }
        items.push(Item::new(HELP_HINT, theme.dim(), 9).right());
        fit_line(buf, area, &mut items, "  ", theme.glyphs.ellipsis);
    }
}

/// The tag of what is heard when the session has a reference: `MIX` or `REF` (lit), "free"
/// when the reference runs free, and (not blind) the loudness match: which one is turned down
/// and by how much, and where a free-running reference is. The tag stays when blind; the
/// numbers go.
fn listen_items<'a>(status: &StatusView, theme: &Theme, blind: bool) -> Vec<Item<'a>> {
    let Some(listen) = status.listen else {
        return Vec::new();
    };
    let mut items = Vec::with_capacity(2);
    if !blind {
        let text = match listen.matched {
            None => "matching".to_string(),
            Some((mix, _)) if mix < 0.0 => format!("mix {mix:.1} dB"),
            Some((_, reference)) if reference < 0.0 => format!("ref {reference:.1} dB"),
            Some(_) => "matched".to_string(),
        };
        items.push(Item::new(text, theme.dim(), 4).right());
    }
    let (tag, style) = if listen.reference {
        (REFERENCE_TAG, theme.lit(Color::Green))
    } else {
        (MIX_TAG, CellStyle::new().add_modifier(Modifier::BOLD))
    };
    let item = if listen.free.is_some() {
        Item::new(format!("{tag} {FREE_TAG}"), style, 10).or(tag)
    } else {
        Item::new(tag, style, 10)
    };
    items.push(item.right());
    if let Some(free) = listen.free
        && !blind
    {
        // Above the message: it is what `(` and `)` move, and they say nothing else.
        let at = format!("ref at {}", signed_time(free.position_s));
        let text = format!("{at} ({})", offset_text(free.offset_s));
        items.push(Item::new(text, theme.dim(), 8).or(at).right());
    }
    items
}

/// A time as [`time`] writes it, with a '-' before it when negative.
fn signed_time(seconds: f64) -> String {
    if seconds < 0.0 {
        format!("-{}", time(-seconds))
    } else {
        time(seconds)
    }
}

/// How far a free-running reference plays ahead of the play head, in words: "12.3 s ahead",
/// "2.0 s behind", or "in step" (within 0.05 s).
fn offset_text(offset_s: f64) -> String {
    let tenths = (offset_s * 10.0).round();
    if tenths > 0.0 {
        format!("{:.1} s ahead", tenths / 10.0)
    } else if tenths < 0.0 {
        format!("{:.1} s behind", -tenths / 10.0)
    } else {
        "in step".to_string()
    }
}

/// The monitor section's switches that are not at rest, each a lit tag that stays when blind,
/// and the safety ceiling's lamp while it acts (with the amount when not blind).
fn monitor_items<'a>(status: &StatusView, theme: &Theme, blind: bool) -> Vec<Item<'a>> {
    let monitor = status.monitor;
    let mut items = Vec::with_capacity(6);
    let lit = theme.lit(Color::Cyan);
    match monitor.stereo {
        StereoMode::Stereo => {}
        StereoMode::Mono => items.push(Item::new("MONO", lit, 10).right()),
        StereoMode::Side => items.push(Item::new("SIDE", lit, 10).right()),
    }
    if monitor.swap {
        items.push(Item::new(SWAP_TAG, lit, 10).right());
    }
    if let Some(preset) = monitor.preset {
        let label = preset.label().to_uppercase();
        let short = label.split(' ').next().unwrap_or_default().to_string();
        items.push(Item::new(label, lit, 10).or(short).right());
    }
    if monitor.dim {
        items.push(Item::new("DIM", theme.lit(Color::Yellow), 10).right());
    }
    if monitor.mute_all {
        items.push(Item::new(MUTED_TAG, theme.lit(Color::Red), 10).right());
    }
    if let Some(db) = status.ceiling_db {
        let text = if blind {
            CEILING_TAG.to_string()
        } else {
            format!("{CEILING_TAG} -{db:.1}")
        };
        items.push(
            Item::new(text, theme.lit(Color::Red), 10)
                .or(CEILING_TAG)
                .right(),
        );
    }
    items
}

/// The message on a line of its own.
#[derive(Debug, Clone, Copy)]
pub struct MessageLine<'a> {
    status: &'a StatusView,
    theme: &'a Theme,
    blind: BlindLevel,
}

impl<'a> MessageLine<'a> {
    /// The message of `status` (nothing if it has none), masked as `blind` asks.
    pub fn new(status: &'a StatusView, theme: &'a Theme, blind: BlindLevel) -> Self {
        Self {
            status,
            theme,
            blind,
        }
    }
}

impl Widget for MessageLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(*buf.area());
        let Some(message) = &self.status.message else {
            return;
        };
        if area.is_empty() {
            return;
        }
        let text = message_text(message, self.blind, self.theme);
        let room = area.width as usize;
        let text = shorten(&text, room, self.theme.glyphs.ellipsis);
        let style = CellStyle::new().add_modifier(Modifier::BOLD);
        put(buf, area, area.x, area.y, &text, room, style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::monitor::MonitorState;
    use crate::ui::ballistics::Scale;
    use crate::ui::view::Style;

    fn status(realtime: Option<&str>, late: u64, restarts: u32) -> StatusView {
        StatusView {
            device: "earmix (pipewire)".into(),
            sample_rate: 48_000,
            buffer_frames: 256,
            buffer_note: None,
            xruns: 0,
            late,
            restarts,
            realtime: realtime.map(str::to_string),
            underruns: 0,
            unsaved: false,
            read_only: false,
            trim_mode: false,
            message: None,
            listen: None,
            monitor: MonitorState::default(),
            ceiling_db: None,
        }
    }

    /// The status line drawn `width` cells wide, as text.
    fn line(status: &StatusView, width: u16, blind: BlindLevel) -> String {
        let style = Style {
            ascii: true,
            color: false,
            scale: Scale::default(),
        };
        let theme = Theme::new(&style);
        let area = Rect::new(0, 0, width, 1);
        let mut buf = Buffer::filled(area, ratatui::buffer::Cell::new("x"));
        StatusLine::new(status, &theme)
            .blind(blind)
            .render(area, &mut buf);
        (0..width).map(|x| buf[(x, 0)].symbol()).collect()
    }

    /// `left` and `right` on a line `width` wide, the cells between them untouched ('x').
    fn pad(left: &str, right: &str, width: usize) -> String {
        format!(
            "{left}{}{right}",
            "x".repeat(width - left.len() - right.len())
        )
    }

    /// The audio thread's priority shows as "RT" or "no RT: <why>" (just "no RT" when short of
    /// room); late callbacks and restarts show once there was one, as lamps when blind.
    #[test]
    fn realtime_and_dropouts() {
        let granted = status(Some("RT"), 0, 0);
        assert_eq!(
            line(&granted, 80, BlindLevel::Off),
            pad(
                "earmix (pipewire)  48 kHz  256 frames  RT  xruns 0  underruns 0",
                HELP_HINT,
                80
            )
        );
        let refused = status(
            Some("no RT: RLIMIT_RTPRIO is 0 and rtkit did not answer"),
            3,
            1,
        );
        assert_eq!(
            line(&refused, 140, BlindLevel::Off),
            pad(
                "earmix (pipewire)  48 kHz  256 frames  no RT: RLIMIT_RTPRIO is 0 and rtkit did \
                 not answer  xruns 0  late 3  restarts 1  underruns 0",
                HELP_HINT,
                140
            )
        );
        assert_eq!(
            line(&refused, 80, BlindLevel::Off),
            pad(
                "earmix (pipewire)  48 kHz  no RT  late 3  restarts 1",
                HELP_HINT,
                80
            )
        );
        assert_eq!(
            line(&refused, 110, BlindLevel::Numbers),
            pad(
                "earmix (pipewire)  no RT: RLIMIT_RTPRIO is 0 and rtkit did not answer  late!  \
                 restarts!",
                "BLIND  ? help",
                110
            )
        );
    }

    /// A buffer other than the one asked for says what was asked and why when there is room,
    /// and just the frames on a narrow line.
    #[test]
    fn buffer_note_when_the_buffer_was_negotiated() {
        let mut status = status(None, 0, 0);
        status.device = "JACK Output (JACK)".into();
        status.buffer_note = Some("asked 128; the server's period".into());
        let wide = line(&status, 120, BlindLevel::Off);
        assert!(
            wide.starts_with(
                "JACK Output (JACK)  48 kHz  256 frames (asked 128; the server's period)  xruns 0"
            ),
            "{wide}"
        );
        let narrow = line(&status, 60, BlindLevel::Off);
        assert!(narrow.contains("256 frames"), "{narrow}");
        assert!(!narrow.contains("asked"), "{narrow}");
    }

    /// A free-running reference's offset reads as seconds ahead or behind to a tenth, or "in
    /// step"; a place before the reference starts keeps its minus sign.
    #[test]
    fn free_reference_offset_and_place_in_words() {
        assert_eq!(offset_text(12.04), "12.0 s ahead");
        assert_eq!(offset_text(-2.26), "2.3 s behind");
        assert_eq!(offset_text(0.04), "in step");
        assert_eq!(offset_text(-0.04), "in step");
        assert_eq!(signed_time(83.45), "1:23.4");
        assert_eq!(signed_time(-1.25), "-0:01.2");
    }
}
