//! The transport line (UI thread): play state, position and length, the loop, the section under
//! the play head and the session's name. Times and the section stay in every blind level.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::widgets::Widget;

use crate::session::Role;
use crate::ui::view::TransportView;
use crate::ui::widgets::Theme;
use crate::ui::widgets::text::{Item, clean, fit_line, time};

/// The transport line.
#[derive(Debug, Clone, Copy)]
pub struct TransportLine<'a> {
    transport: &'a TransportView,
    session_name: &'a str,
    theme: &'a Theme,
    selected: Option<(&'a str, Option<Role>)>,
}

impl<'a> TransportLine<'a> {
    /// The line for `transport` in the session called `session_name`, drawn with `theme`.
    pub fn new(transport: &'a TransportView, session_name: &'a str, theme: &'a Theme) -> Self {
        Self {
            transport,
            session_name,
            theme,
            selected: None,
        }
    }

    /// Shows the selected strip's whole name (and its role's colour) before the session's:
    /// a strip may only have room for part of it.
    #[must_use]
    pub fn selected(mut self, selected: Option<(&'a str, Option<Role>)>) -> Self {
        self.selected = selected;
        self
    }

    /// The position and length exactly as drawn, "1:23.4" and "4:05.0".
    pub fn times(&self) -> (String, String) {
        (
            time(self.transport.position_s),
            time(self.transport.length_s),
        )
    }
}

impl Widget for TransportLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(*buf.area());
        if area.is_empty() {
            return;
        }
        let area = Rect::new(area.x, area.y, area.width, 1);
        let theme = self.theme;
        let glyphs = theme.glyphs;
        let transport = self.transport;
        let (icon, word, color) = if transport.buffering {
            (glyphs.play, "buffering", Color::Yellow)
        } else if transport.playing {
            (glyphs.play, "playing", Color::Green)
        } else {
            (glyphs.pause, "paused", Color::White)
        };
        let state = theme.fg(color, Modifier::BOLD);
        let (position, length) = self.times();
        let mut items = vec![
            Item::new(format!("{icon} {word}"), state, 10).or(icon),
            Item::new(
                format!("{position} / {length}"),
                theme.fg(Color::White, Modifier::BOLD),
                10,
            )
            .or(position),
        ];
        if let Some(bar) = &transport.bar {
            let text = format!("bar {bar}");
            items.push(Item::new(
                text,
                theme.fg(Color::White, Modifier::empty()),
                8,
            ));
        }
        if let Some((from, to)) = transport.looping {
            let text = format!("loop {}{}{}", time(from), glyphs.range, time(to));
            items.push(Item::new(text, theme.fg(Color::Cyan, Modifier::empty()), 4).or("loop"));
        }
        if let Some(section) = &transport.section {
            let section = clean(section, theme.ascii).into_owned();
            items.push(
                Item::new(section, theme.fg(Color::LightCyan, Modifier::BOLD), 7).shrink_to(6),
            );
        }
        if let Some((name, role)) = self.selected {
            let name = clean(name, theme.ascii);
            let style = theme.role(role).add_modifier(Modifier::BOLD);
            items.push(Item::new(name, style, 8).shrink_to(8).right());
        }
        let session = clean(self.session_name, theme.ascii);
        items.push(
            Item::new(
                session,
                ratatui::style::Style::new().add_modifier(Modifier::BOLD),
                5,
            )
            .shrink_to(8)
            .right(),
        );
        fit_line(buf, area, &mut items, "  ", glyphs.ellipsis);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::ballistics::{Scale, ScaleKind};
    use crate::ui::view::Style;

    /// With a tempo the line shows the bar and beat beside the time ("bar 9.3"); without one
    /// it shows no bar.
    #[test]
    fn bar_and_beat_beside_the_time() {
        let theme = Theme::new(&Style {
            ascii: true,
            color: false,
            scale: Scale::new(ScaleKind::Linear, -60.0, 0.0),
        });
        let mut transport = TransportView {
            playing: true,
            buffering: false,
            position_s: 17.25,
            length_s: 60.0,
            bar: Some("9.3".to_owned()),
            looping: None,
            section: None,
        };
        let line = |transport: &TransportView| {
            let area = Rect::new(0, 0, 60, 1);
            let mut buf = Buffer::empty(area);
            TransportLine::new(transport, "Song", &theme).render(area, &mut buf);
            (0..area.width)
                .map(|x| buf[(x, 0)].symbol().to_string())
                .collect::<String>()
        };
        assert!(
            line(&transport).contains("0:17.2 / 1:00.0  bar 9.3  "),
            "{}",
            line(&transport)
        );
        transport.bar = None;
        assert!(!line(&transport).contains("bar"), "{}", line(&transport));
    }
}
