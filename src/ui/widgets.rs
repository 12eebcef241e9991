//! The console's widgets (UI thread): the meter, channel and master strips, the fader and meter
//! scales, the song's timeline, the exercise banner that takes its place while an exercise
//! runs, the transport and status lines, the boxes drawn over the mixer with the arc view and
//! an exercise's results in two of them, plus the [`Theme`] they share.
//!
//! Every widget draws from a [`View`](crate::ui::view::View) part and nothing else, and only
//! inside the area it is given. The theme decides the characters (Unicode blocks or plain ASCII)
//! and whether any colour is used; widgets never pick a colour or a glyph on their own.

pub mod answers;
pub mod arc;
pub mod banner;
pub mod fader;
pub mod master;
pub mod meter;
pub mod names;
pub mod overlay;
pub mod results;
pub mod status;
pub mod strip;
pub mod text;
pub mod timeline;
pub mod transport;

use ratatui::style::{Color, Modifier, Style as CellStyle};

use crate::session::Role;
use crate::ui::ballistics::Scale;
use crate::ui::view::Style;

/// The characters one console frame is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyphs {
    /// The RMS part of a meter bar.
    pub rms: &'static str,
    /// The part of a meter bar between the RMS and the peak level.
    pub peak: &'static str,
    /// The peak-hold line above a bar.
    pub hold: &'static str,
    /// The fader track.
    pub track: &'static str,
    /// The fader cap on its track.
    pub cap: &'static str,
    /// The line between the channel strips and the master strip.
    pub separator: &'static str,
    /// Marks a shortened name.
    pub ellipsis: &'static str,
    /// Stands for lines left out of a list ("… 12 more").
    pub more: &'static str,
    /// Playing.
    pub play: &'static str,
    /// Paused.
    pub pause: &'static str,
    /// Between the two ends of a loop.
    pub range: &'static str,
    /// Strips hidden to the left.
    pub more_left: &'static str,
    /// Strips hidden to the right.
    pub more_right: &'static str,
    /// The unsaved-edits mark.
    pub unsaved: &'static str,
    /// Marks a loudness measurement that is paused.
    pub paused_mark: &'static str,
    /// Box corners, top-left, top-right, bottom-left, bottom-right.
    pub corners: [&'static str; 4],
    /// Box edges, horizontal then vertical.
    pub edges: [&'static str; 2],
    /// The timeline's bar, its stretch under the current section, and where two sections meet.
    pub rule: [&'static str; 3],
    /// The play head on the timeline's bar, pointing up at the section it is in.
    pub playhead: &'static str,
    /// The cursor at the end of typed text.
    pub cursor: &'static str,
    /// Before a fader value: a surface's fader waits below the mix (move it up to take
    /// over), or above it (down).
    pub catch: [&'static str; 2],
}

/// Block and box-drawing characters.
const UNICODE: Glyphs = Glyphs {
    rms: "█",
    peak: "▒",
    hold: "━",
    track: "│",
    cap: "▶",
    separator: "│",
    ellipsis: "…",
    more: "…",
    play: "▶",
    pause: "⏸",
    range: "–",
    more_left: "◀",
    more_right: "▶",
    unsaved: "●",
    paused_mark: "‖",
    corners: ["┌", "┐", "└", "┘"],
    edges: ["─", "│"],
    rule: ["─", "━", "┴"],
    playhead: "▲",
    cursor: "█",
    catch: ["↑", "↓"],
};

/// Plain ASCII, for terminals and fonts without block characters.
const ASCII: Glyphs = Glyphs {
    rms: "=",
    peak: "#",
    hold: "-",
    track: ":",
    cap: ">",
    separator: "|",
    ellipsis: "~",
    more: "...",
    play: ">",
    pause: "||",
    range: "-",
    more_left: "<",
    more_right: ">",
    unsaved: "*",
    paused_mark: "||",
    corners: ["+", "+", "+", "+"],
    edges: ["-", "|"],
    rule: ["-", "=", "+"],
    playhead: "^",
    cursor: "_",
    catch: ["^", "v"],
};

/// Glyphs and colours for one frame, from the user's [`Style`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    /// The characters to draw with.
    pub glyphs: &'static Glyphs,
    /// Plain ASCII only: names and messages are drawn with `?` for anything else.
    pub ascii: bool,
    /// Colours allowed; without them only bold, reverse, dim and underline are used.
    pub color: bool,
    /// How levels are spread up a meter.
    pub scale: Scale,
}

/// A level's place on a meter: the colour it is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// Below -12 dBFS.
    Safe,
    /// -12 to -3 dBFS.
    Hot,
    /// -3 dBFS and above.
    Over,
}

/// Where the hot and over zones begin on a meter, in dBFS.
pub const HOT_DB: f64 = -12.0;
/// See [`HOT_DB`].
pub const OVER_DB: f64 = -3.0;

impl Theme {
    /// The theme for `style`.
    pub fn new(style: &Style) -> Self {
        Self {
            glyphs: if style.ascii { &ASCII } else { &UNICODE },
            ascii: style.ascii,
            color: style.color,
            scale: style.scale,
        }
    }

    /// A style with the foreground `fg` when colours are allowed, plus `modifier` always.
    pub fn fg(&self, fg: Color, modifier: Modifier) -> CellStyle {
        let style = CellStyle::new().add_modifier(modifier);
        if self.color { style.fg(fg) } else { style }
    }

    /// A lit lamp or flag: dark text on `bg` with colour, reverse video without.
    pub fn lit(&self, bg: Color) -> CellStyle {
        if self.color {
            CellStyle::new()
                .fg(Color::Black)
                .bg(bg)
                .add_modifier(Modifier::BOLD)
        } else {
            CellStyle::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    /// Quiet text: scale labels, hints, flags that are off.
    pub fn dim(&self) -> CellStyle {
        if self.color {
            CellStyle::new().fg(Color::DarkGray)
        } else {
            CellStyle::new().add_modifier(Modifier::DIM)
        }
    }

    /// A channel name in its role's colour.
    pub fn role(&self, role: Option<Role>) -> CellStyle {
        let color = match role {
            Some(Role::Kick) => Color::Red,
            Some(Role::Snare) => Color::LightRed,
            Some(Role::Drums | Role::Room | Role::Percussion) => Color::Yellow,
            Some(Role::Bass) => Color::LightBlue,
            Some(Role::Guitar) => Color::LightGreen,
            Some(Role::Keys | Role::Piano | Role::Synth) => Color::Cyan,
            Some(Role::Pad | Role::Strings | Role::Brass | Role::Woodwind) => Color::LightCyan,
            Some(Role::Vocal | Role::LeadVocal | Role::BackingVocal) => Color::LightMagenta,
            Some(Role::Fx) => Color::Magenta,
            Some(Role::Other) | None => return CellStyle::new(),
        };
        self.fg(color, Modifier::empty())
    }

    /// A meter cell in `zone`.
    pub fn zone(&self, zone: Zone) -> CellStyle {
        let color = match zone {
            Zone::Safe => Color::Green,
            Zone::Hot => Color::Yellow,
            Zone::Over => Color::Red,
        };
        self.fg(color, Modifier::empty())
    }

    /// The zone of the meter row whose middle sits at `position` (0..1 up the bar).
    pub fn zone_at(&self, position: f64) -> Zone {
        if position >= self.scale.position(OVER_DB) {
            Zone::Over
        } else if position >= self.scale.position(HOT_DB) {
            Zone::Hot
        } else {
            Zone::Safe
        }
    }

    /// A warning in the text (xruns, a negative headroom).
    pub fn warn(&self) -> CellStyle {
        self.fg(Color::LightRed, Modifier::BOLD)
    }
}

/// Clears `area` to blank cells with no style.
pub fn clear(buf: &mut ratatui::buffer::Buffer, area: ratatui::layout::Rect) {
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            buf[(x, y)].reset();
        }
    }
}
