//! The mouse in the console's terminal (UI thread): turning the terminal's mouse reports on and
//! off, and turning what it reports into the same inputs a control surface sends.
//!
//! Only buttons and the wheel are reported, never plain motion: `?1000h` reports presses,
//! releases and the wheel, `?1002h` adds motion only while a button is held (a drag), and
//! `?1006h` sends them as SGR sequences (`ESC [ < b ; x ; y M`, `m` on release), which have no
//! column limit and which crossterm reads into [`MouseEvent`]s. crossterm's own
//! `EnableMouseCapture` would turn on `?1003h` (every motion) too, and with it a report for
//! each cell the pointer crosses: over SSH that is traffic the console never needs.
//!
//! Once reporting is on, it is turned off again on every way out: leaving the console, a
//! signal, a terminal that went away (writing fails quietly), and a panic (the hook that gives
//! the terminal back calls [`release`]).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use crate::control::{Input, InputSender, Press, Source, StripRef, Target, Turns};
use crate::ui::hits::{Hit, HitMap, TrackRow};

/// Turns reporting on: buttons and the wheel (1000), motion only while a button is held (1002),
/// SGR coordinates (1006).
pub const ENABLE: &[u8] = b"\x1b[?1000h\x1b[?1002h\x1b[?1006h";

/// Turns it off again, in the reverse order.
pub const DISABLE: &[u8] = b"\x1b[?1006l\x1b[?1002l\x1b[?1000l";

/// Whether the terminal was asked to report the mouse and not yet asked to stop.
static CAPTURED: AtomicBool = AtomicBool::new(false);

/// Asks the terminal on `out` to report buttons, the wheel and drags.
pub fn capture(out: &mut impl Write) -> io::Result<()> {
    // Noted first: if writing fails half way, the way out still turns it off.
    CAPTURED.store(true, Ordering::SeqCst);
    out.write_all(ENABLE)?;
    out.flush()
}

/// Asks the terminal on `out` to stop reporting the mouse, if it was asked to report it (once:
/// the panic hook and the normal way out may both call this). Errors are ignored: the terminal
/// may be gone.
pub fn release(out: &mut impl Write) {
    if CAPTURED.swap(false, Ordering::SeqCst) {
        let _ = out.write_all(DISABLE);
        let _ = out.flush();
    }
}

/// The mouse as a control surface the console reads itself: its events become inputs on the
/// surfaces' queue, applied in the same pass of the loop.
#[derive(Debug)]
pub struct Mouse {
    pointer: Pointer,
    to_console: InputSender,
}

impl Mouse {
    /// The mouse, sending into the surfaces' queue through `to_console`.
    pub fn new(to_console: InputSender) -> Self {
        Self {
            pointer: Pointer::default(),
            to_console,
        }
    }

    /// Sends what `event` asks for, given what the last frame drew where (`hits`).
    pub fn event(&mut self, event: &MouseEvent, hits: &HitMap) {
        if let Some(input) = self.pointer.input(event, hits) {
            self.to_console.send(Source::Mouse, input);
        }
    }
}

/// A fader the left button holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// A channel strip's, by index in the session.
    Strip(usize),
    /// The master's.
    Master,
}

impl Held {
    fn target(self) -> Target {
        match self {
            Self::Strip(i) => Target::Strip(StripRef::Index(i)),
            Self::Master => Target::Master,
        }
    }
}

/// What the mouse is doing between events: which fader a held left button is dragging.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pointer {
    /// The fader whose track the left button went down on, and the track row sent last.
    drag: Option<(Held, Option<TrackRow>)>,
}

impl Pointer {
    /// The input `event` asks for, given what the last frame drew where (`hits`), if any.
    ///
    /// - A left click on a strip selects it; on its M or S, mutes or solos it (the selection
    ///   stays); on the master strip, gives the master the focus as the focus key does; on a
    ///   section of the timeline, jumps there.
    /// - A left click on a fader track (or the meter beside it), a strip's or the master's,
    ///   selects that strip (or focuses the master) and takes hold of its fader without moving
    ///   it; moving the pointer up and down with the button held sets the fader to the level
    ///   of the row under the pointer, as the track is drawn (rows above or below the track
    ///   hold its top or bottom).
    /// - The wheel over a strip or the master nudges its fader by the fine step, by the
    ///   coarse step with shift or ctrl held (where the terminal reports them).
    pub fn input(&mut self, event: &MouseEvent, hits: &HitMap) -> Option<Input> {
        let here = hits.at(event.column, event.row);
        match event.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                self.drag = None;
                let press = match here? {
                    Hit::Strip(i) => Press::Select(StripRef::Index(i)),
                    Hit::Track(i) => {
                        self.drag = Some((Held::Strip(i), None));
                        Press::Select(StripRef::Index(i))
                    }
                    Hit::Mute(i) => Press::Mute(StripRef::Index(i)),
                    Hit::Solo(i) => Press::Solo(StripRef::Index(i)),
                    Hit::Section(k) => Press::Section(k),
                    Hit::MasterTrack => {
                        self.drag = Some((Held::Master, None));
                        Press::FocusMaster
                    }
                    Hit::Master => Press::FocusMaster,
                };
                Some(Input::Press(press))
            }
            MouseEventKind::Drag(MouseButton::Left) => {
                let (held, sent) = self.drag.as_mut()?;
                let row = match *held {
                    Held::Strip(i) => hits.track_row(i, event.row),
                    Held::Master => hits.master_track_row(event.row),
                }?;
                if *sent == Some(row) {
                    return None;
                }
                *sent = Some(row);
                Some(Input::FaderDb {
                    target: held.target(),
                    db: row.level(),
                })
            }
            MouseEventKind::Up(MouseButton::Left) => {
                self.drag = None;
                None
            }
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let target = match here? {
                    Hit::Strip(i) | Hit::Track(i) | Hit::Mute(i) | Hit::Solo(i) => {
                        Target::Strip(StripRef::Index(i))
                    }
                    Hit::Master | Hit::MasterTrack => Target::Master,
                    Hit::Section(_) => return None,
                };
                let coarse = event
                    .modifiers
                    .intersects(KeyModifiers::SHIFT | KeyModifiers::CONTROL);
                let steps = if event.kind == MouseEventKind::ScrollUp {
                    1
                } else {
                    -1
                };
                Some(Input::Turn {
                    turns: Turns::Fader { coarse },
                    target,
                    steps,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::layout::{Position, Rect};

    use super::*;
    use crate::ui::hits::StripHits;
    use crate::ui::widgets::fader;

    /// Two strips side by side with 11-row tracks, the master, two sections.
    fn hits() -> HitMap {
        let mut hits = HitMap::default();
        for (i, x) in [(4, 10), (5, 20)] {
            hits.strip(StripHits {
                index: i,
                area: Rect::new(x, 2, 9, 17),
                track: Some(Rect::new(x + 2, 4, 4, 11)),
                mute: Some(Position::new(x + 2, 18)),
                solo: Some(Position::new(x + 5, 18)),
            });
        }
        hits.master(Rect::new(30, 2, 16, 17), Some(Rect::new(31, 4, 4, 11)));
        hits.section(0, Rect::new(0, 20, 25, 1));
        hits.section(1, Rect::new(25, 20, 55, 1));
        hits
    }

    fn event(kind: MouseEventKind, column: u16, row: u16, modifiers: KeyModifiers) -> MouseEvent {
        MouseEvent {
            kind,
            column,
            row,
            modifiers,
        }
    }

    fn left(kind: fn(MouseButton) -> MouseEventKind, column: u16, row: u16) -> MouseEvent {
        event(kind(MouseButton::Left), column, row, KeyModifiers::NONE)
    }

    #[allow(clippy::unnecessary_wraps)] // compared with what `input` returns
    fn press(press: Press) -> Option<Input> {
        Some(Input::Press(press))
    }

    /// Left clicks select a strip, mute or solo it on its M or S, and jump to a section; other
    /// buttons, releases and clicks on nothing ask for nothing.
    #[test]
    fn clicks_select_mute_solo_and_jump() {
        let hits = hits();
        let mut p = Pointer::default();
        let down = MouseEventKind::Down;
        assert_eq!(
            p.input(&left(down, 11, 2), &hits),
            press(Press::Select(StripRef::Index(4)))
        );
        assert_eq!(
            p.input(&left(down, 22, 18), &hits),
            press(Press::Mute(StripRef::Index(5)))
        );
        assert_eq!(
            p.input(&left(down, 15, 18), &hits),
            press(Press::Solo(StripRef::Index(4)))
        );
        assert_eq!(
            p.input(&left(down, 40, 20), &hits),
            press(Press::Section(1))
        );
        assert_eq!(p.input(&left(down, 3, 20), &hits), press(Press::Section(0)));
        assert_eq!(p.input(&left(down, 0, 0), &hits), None);
        assert_eq!(
            p.input(&left(down, 40, 5), &hits),
            press(Press::FocusMaster)
        );
        assert_eq!(p.input(&left(MouseEventKind::Up, 11, 2), &hits), None);
        let right = event(down(MouseButton::Right), 11, 2, KeyModifiers::NONE);
        assert_eq!(p.input(&right, &hits), None);
        let moved = event(MouseEventKind::Moved, 12, 5, KeyModifiers::NONE);
        assert_eq!(p.input(&moved, &hits), None);
    }

    /// The wheel nudges the fader under the pointer, a strip's or the master's, by the fine
    /// step, coarse with shift or ctrl; over the timeline or nothing it does nothing.
    #[test]
    fn the_wheel_nudges_the_fader_under_it() {
        let hits = hits();
        let mut p = Pointer::default();
        let turn = |target, coarse, steps| {
            Some(Input::Turn {
                turns: Turns::Fader { coarse },
                target,
                steps,
            })
        };
        let strip5 = || Target::Strip(StripRef::Index(5));
        let none = KeyModifiers::NONE;
        let up = MouseEventKind::ScrollUp;
        let down = MouseEventKind::ScrollDown;
        assert_eq!(
            p.input(&event(up, 21, 3, none), &hits),
            turn(strip5(), false, 1)
        );
        assert_eq!(
            p.input(&event(down, 23, 8, none), &hits),
            turn(strip5(), false, -1)
        );
        assert_eq!(
            p.input(&event(up, 22, 18, KeyModifiers::SHIFT), &hits),
            turn(strip5(), true, 1)
        );
        assert_eq!(
            p.input(&event(down, 40, 10, KeyModifiers::CONTROL), &hits),
            turn(Target::Master, true, -1)
        );
        assert_eq!(p.input(&event(up, 40, 20, none), &hits), None);
        assert_eq!(p.input(&event(up, 0, 0, none), &hits), None);
    }

    /// A press on a track selects the strip and holds its fader without moving it; dragging
    /// sets the level of the row under the pointer (once per row), past the ends holds the
    /// ends, the bottom is off; after the release, motion moves nothing. A drag that did not
    /// start on a track moves nothing.
    #[test]
    fn dragging_a_track_sets_its_level() {
        let hits = hits();
        let mut p = Pointer::default();
        let level = |db| {
            Some(Input::FaderDb {
                target: Target::Strip(StripRef::Index(4)),
                db,
            })
        };
        let drag = MouseEventKind::Drag;
        assert_eq!(
            p.input(&left(MouseEventKind::Down, 12, 7), &hits),
            press(Press::Select(StripRef::Index(4)))
        );
        // Row 7 of a track on rows 4..15 is row 7 from its bottom.
        let at7 = fader::gain_at_row(7, 11);
        assert_eq!(p.input(&left(drag, 12, 7), &hits), level(at7));
        assert_eq!(p.input(&left(drag, 13, 7), &hits), None);
        assert_eq!(
            p.input(&left(drag, 30, 1), &hits),
            level(Some(fader::TOP_DB))
        );
        assert_eq!(p.input(&left(drag, 12, 23), &hits), level(None));
        assert_eq!(p.input(&left(MouseEventKind::Up, 12, 23), &hits), None);
        assert_eq!(p.input(&left(drag, 12, 7), &hits), None);
        assert_eq!(
            p.input(&left(MouseEventKind::Down, 11, 2), &hits),
            press(Press::Select(StripRef::Index(4)))
        );
        assert_eq!(p.input(&left(drag, 12, 7), &hits), None);
    }

    /// The master's fader drags like a strip's: a press on its track focuses the master
    /// without moving the fader, a drag sets the level of the row under the pointer, once per
    /// row; a press elsewhere on the master focuses it and drags nothing.
    #[test]
    fn dragging_the_master_track_sets_its_level() {
        let hits = hits();
        let mut p = Pointer::default();
        let level = |db| {
            Some(Input::FaderDb {
                target: Target::Master,
                db,
            })
        };
        let drag = MouseEventKind::Drag;
        assert_eq!(
            p.input(&left(MouseEventKind::Down, 34, 9), &hits),
            press(Press::FocusMaster)
        );
        assert_eq!(
            p.input(&left(drag, 34, 7), &hits),
            level(fader::gain_at_row(7, 11))
        );
        assert_eq!(p.input(&left(drag, 20, 7), &hits), None);
        assert_eq!(
            p.input(&left(drag, 31, 0), &hits),
            level(Some(fader::TOP_DB))
        );
        assert_eq!(p.input(&left(drag, 31, 29), &hits), level(None));
        assert_eq!(p.input(&left(MouseEventKind::Up, 31, 29), &hits), None);
        assert_eq!(
            p.input(&left(MouseEventKind::Down, 40, 9), &hits),
            press(Press::FocusMaster)
        );
        assert_eq!(p.input(&left(drag, 34, 7), &hits), None);
    }

    /// Reporting is turned off once after it was turned on, and not at all when it never was,
    /// so the normal way out and the panic hook can both call `release`.
    #[test]
    fn release_undoes_capture_once() {
        let mut out = Vec::new();
        release(&mut out);
        assert!(out.is_empty());
        capture(&mut out).unwrap();
        assert_eq!(out, ENABLE);
        release(&mut out);
        release(&mut out);
        assert_eq!(out, [ENABLE, DISABLE].concat());
    }
}
