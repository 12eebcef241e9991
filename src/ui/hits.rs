//! Where the mouse can act on the screen (UI thread): the cells of each channel strip, its fader
//! track, its M and S flags, the master strip and its fader track, and the timeline's sections, recorded as the frame
//! is drawn so a click is tested against what the user sees, at whatever size the terminal is.

use ratatui::layout::{Position, Rect};

use crate::ui::widgets::fader;

/// A channel strip as drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripHits {
    /// The strip's index in the session.
    pub index: usize,
    /// Every cell of the strip.
    pub area: Rect,
    /// The fader track and the meter beside it (`None` while blind mode hides the fader).
    pub track: Option<Rect>,
    /// The M flag's cell (`None` on a strip too short to show it).
    pub mute: Option<Position>,
    /// The S flag's cell.
    pub solo: Option<Position>,
}

/// What is under a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// A channel strip (its name, values, meter), by index in the session.
    Strip(usize),
    /// A strip's fader track, or its meter beside it.
    Track(usize),
    /// A strip's M flag.
    Mute(usize),
    /// A strip's S flag.
    Solo(usize),
    /// The master strip.
    Master,
    /// The master's fader track, or its meter beside it.
    MasterTrack,
    /// A section on the timeline, by index.
    Section(usize),
}

/// Everything the mouse can act on in the last frame drawn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HitMap {
    strips: Vec<StripHits>,
    master: Option<Rect>,
    /// The master's fader track and meter (`None` while blind mode hides the fader).
    master_track: Option<Rect>,
    sections: Vec<(usize, Rect)>,
}

impl HitMap {
    /// Forgets the last frame (a box over the mixer leaves nothing under it to click).
    pub fn clear(&mut self) {
        self.strips.clear();
        self.master = None;
        self.master_track = None;
        self.sections.clear();
    }

    /// Notes a channel strip drawn.
    pub fn strip(&mut self, hits: StripHits) {
        self.strips.push(hits);
    }

    /// Notes the master strip drawn in `area`, with its fader track and meter in `track`.
    pub fn master(&mut self, area: Rect, track: Option<Rect>) {
        self.master = Some(area);
        self.master_track = track;
    }

    /// Notes section `index` drawn in `area` of the timeline.
    pub fn section(&mut self, index: usize, area: Rect) {
        self.sections.push((index, area));
    }

    /// The strips drawn, left to right.
    pub fn strips(&self) -> &[StripHits] {
        &self.strips
    }

    /// What is under the cell at column `x`, row `y` (0-based, as crossterm reports them).
    pub fn at(&self, x: u16, y: u16) -> Option<Hit> {
        let cell = Position::new(x, y);
        if let Some(strip) = self.strips.iter().find(|s| s.area.contains(cell)) {
            let i = strip.index;
            return Some(if strip.mute == Some(cell) {
                Hit::Mute(i)
            } else if strip.solo == Some(cell) {
                Hit::Solo(i)
            } else if strip.track.is_some_and(|t| t.contains(cell)) {
                Hit::Track(i)
            } else {
                Hit::Strip(i)
            });
        }
        if self.master_track.is_some_and(|t| t.contains(cell)) {
            return Some(Hit::MasterTrack);
        }
        if self.master.is_some_and(|m| m.contains(cell)) {
            return Some(Hit::Master);
        }
        self.sections
            .iter()
            .find(|(_, area)| area.contains(cell))
            .map(|&(k, _)| Hit::Section(k))
    }

    /// The row of strip `index`'s fader track at screen row `y`, counted up from the track's
    /// bottom (rows above or below the track count as its top or bottom), and the track's
    /// height: `None` when that strip's track is not on screen.
    pub fn track_row(&self, index: usize, y: u16) -> Option<TrackRow> {
        let track = self.strips.iter().find(|s| s.index == index)?.track?;
        TrackRow::at(track, y)
    }

    /// The row of the master's fader track at screen row `y`, as [`HitMap::track_row`]:
    /// `None` when the master's track is not on screen.
    pub fn master_track_row(&self, y: u16) -> Option<TrackRow> {
        TrackRow::at(self.master_track?, y)
    }
}

/// A row of a fader track, as a drag reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackRow {
    /// The row, counted up from the bottom (0).
    pub row: u16,
    /// How many rows the track has.
    pub rows: u16,
}

impl TrackRow {
    /// The row of `track` at screen row `y`, rows above or below it counting as its top or
    /// bottom.
    fn at(track: Rect, y: u16) -> Option<Self> {
        let top = track.bottom().checked_sub(1)?;
        Some(Self {
            row: top - y.clamp(track.y, top),
            rows: track.height,
        })
    }

    /// The level a fader with its cap on this row stands for (`None`: off, the bottom row).
    pub fn level(self) -> Option<f64> {
        fader::gain_at_row(self.row, self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bass() -> StripHits {
        StripHits {
            index: 3,
            area: Rect::new(10, 2, 9, 20),
            track: Some(Rect::new(12, 4, 4, 11)),
            mute: Some(Position::new(12, 21)),
            solo: Some(Position::new(15, 21)),
        }
    }

    /// The flags and the track win over the strip around them; the master and the sections
    /// answer for their own cells; a cell of nothing is nothing.
    #[test]
    fn the_most_precise_target_answers() {
        let mut hits = HitMap::default();
        hits.strip(bass());
        hits.master(Rect::new(30, 2, 16, 20), Some(Rect::new(31, 4, 4, 11)));
        hits.section(0, Rect::new(0, 22, 20, 1));
        hits.section(1, Rect::new(20, 22, 30, 1));
        assert_eq!(hits.at(12, 21), Some(Hit::Mute(3)));
        assert_eq!(hits.at(15, 21), Some(Hit::Solo(3)));
        assert_eq!(hits.at(13, 21), Some(Hit::Strip(3)));
        assert_eq!(hits.at(12, 4), Some(Hit::Track(3)));
        assert_eq!(hits.at(15, 14), Some(Hit::Track(3)));
        assert_eq!(hits.at(12, 15), Some(Hit::Strip(3)));
        assert_eq!(hits.at(10, 2), Some(Hit::Strip(3)));
        assert_eq!(hits.at(31, 5), Some(Hit::MasterTrack));
        assert_eq!(hits.at(34, 14), Some(Hit::MasterTrack));
        assert_eq!(hits.at(35, 5), Some(Hit::Master));
        assert_eq!(hits.at(31, 3), Some(Hit::Master));
        assert_eq!(hits.at(19, 22), Some(Hit::Section(0)));
        assert_eq!(hits.at(20, 22), Some(Hit::Section(1)));
        assert_eq!(hits.at(0, 0), None);
        hits.clear();
        assert_eq!(hits.at(12, 21), None);
    }

    /// A drag reads the level off the track as drawn: the top row is +12 dB, the bottom row
    /// off, and rows past either end hold the end.
    #[test]
    fn track_rows_map_to_levels() {
        let mut hits = HitMap::default();
        hits.strip(bass());
        let level = |y| hits.track_row(3, y).map(TrackRow::level);
        assert_eq!(level(4), Some(Some(fader::TOP_DB)));
        assert_eq!(level(0), Some(Some(fader::TOP_DB)));
        assert_eq!(level(14), Some(None));
        assert_eq!(level(30), Some(None));
        // 11 rows: 0 dB sits three quarters up, on row 7.5 -> the cap rounds to row 8 from the
        // bottom; row 7 up from the bottom (screen row 14 - 7 = 7) is below 0 dB.
        assert_eq!(hits.track_row(3, 7), Some(TrackRow { row: 7, rows: 11 }));
        let db = level(7).flatten().expect("a level");
        assert_eq!(fader::row_from_bottom(db, 11), 7);
        assert!(db < 0.0, "{db}");
        assert_eq!(hits.track_row(4, 7), None);
        assert_eq!(hits.master_track_row(7), None);
        hits.master(Rect::new(30, 2, 16, 20), Some(Rect::new(31, 4, 4, 11)));
        assert_eq!(hits.master_track_row(7), hits.track_row(3, 7));
        assert_eq!(
            hits.master_track_row(0),
            Some(TrackRow { row: 10, rows: 11 })
        );
        hits.master(Rect::new(30, 2, 16, 20), None);
        assert_eq!(hits.master_track_row(7), None);
        let mut blind = bass();
        blind.track = None;
        hits.clear();
        hits.strip(blind);
        assert_eq!(hits.track_row(3, 7), None);
    }
}
