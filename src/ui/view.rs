//! What one console frame shows, as plain data (UI thread).
//!
//! The console's model (`app`) builds a [`View`] from the session, the engine's meters and its
//! own state; the widgets draw a `View` and nothing else. That keeps drawing testable without an
//! engine, and lets blind mode be decided in one place: when [`View::blind`] is not
//! [`BlindLevel::Off`] the widgets draw no number, scale or fader position at all (names, the
//! section names among them, and the transport times stay).

use crate::engine::monitor::MonitorState;
use crate::session::Role;
use crate::ui::ballistics::Scale;

/// How much blind mode hides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlindLevel {
    /// Everything shows.
    #[default]
    Off,
    /// `b`: every number (dB readouts, fader scales and positions, pan values, loudness, meter
    /// scales) is hidden; names, mute/solo flags, section names and the time stay; meters move.
    Numbers,
    /// `B`: numbers and meters are hidden; only the problem lamps stay (master clip, true peak
    /// above -1 dBTP, a channel clipping).
    MetersOff,
}

impl BlindLevel {
    /// Whether numbers are hidden (any blind level).
    pub fn hides_numbers(self) -> bool {
        self != BlindLevel::Off
    }

    /// Whether meters are hidden too.
    pub fn hides_meters(self) -> bool {
        self == BlindLevel::MetersOff
    }
}

/// Where the fader keys act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    /// The selected channel strip.
    #[default]
    Strip,
    /// The master strip.
    Master,
}

/// A meter as the ballistics leave it. Levels in dBFS; `f64::NEG_INFINITY` is silence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterView {
    /// The peak bar.
    pub peak_db: f64,
    /// The RMS bar (drawn inside the peak bar, in a different shade).
    pub rms_db: f64,
    /// The peak-hold line and the numeric peak.
    pub held_db: f64,
    /// The clip latch: lit from the first clipped sample until reset.
    pub clipped: bool,
}

impl MeterView {
    /// A silent meter with its clip lamp off.
    pub const SILENT: MeterView = MeterView {
        peak_db: f64::NEG_INFINITY,
        rms_db: f64::NEG_INFINITY,
        held_db: f64::NEG_INFINITY,
        clipped: false,
    };
}

/// One strip: a channel's, or a group's ([`StripView::group`]).
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::struct_excessive_bools)] // independent facts about one strip, each drawn apart
pub struct StripView {
    /// The channel's name (may be longer than the strip is wide: shorten it, never wrap it).
    pub name: String,
    /// What the channel carries (picks the strip's colour); `None` draws it neutral.
    pub role: Option<Role>,
    /// The fader in dB, -inf (off) to +12.
    pub gain_db: f64,
    /// The input trim in dB, -24 to +24.
    pub trim_db: f64,
    /// Pan, -1 (left) to +1 (right).
    pub pan: f64,
    /// Muted.
    pub mute: bool,
    /// Soloed.
    pub solo: bool,
    /// Silent because other channels are soloed (draw it dimmed).
    pub soloed_out: bool,
    /// The meter (post fader and pan).
    pub meter: MeterView,
    /// How the section being edited changes this strip, in scene mode ([`EditMode::Scene`]);
    /// `None` in base mode.
    pub scene: Option<SceneMark>,
    /// [`gain_db`](Self::gain_db) is a scene's fader value, not the base fader: the scene of
    /// the section under the play head (or, in scene mode, the one being edited) sets it.
    pub from_scene: bool,
    /// A control surface's fader for this strip disagrees with the mix and waits to take it
    /// over: which way to move it (never while blind).
    pub catch: Option<Catch>,
    /// A group strip (a VCA-style group: its fader, pan, mute and solo act on its members; it
    /// has no trim and no meter of its own): how many channels it moves. `None` for a channel.
    pub group: Option<usize>,
    /// The strip's ride: whether it has one, its mode, whether it is being recorded.
    pub ride: RideMark,
}

/// What a strip shows of its ride (level automation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RideMark {
    /// The strip has a ride.
    pub has_ride: bool,
    /// What the strip does with it.
    pub mode: RideShown,
    /// A take is recording it now.
    pub recording: bool,
}

/// A strip's ride mode, as shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RideShown {
    /// The ride plays.
    #[default]
    Read,
    /// Armed: records while the fader moves.
    Touch,
    /// Armed: records until the stop.
    Latch,
    /// The ride is not heard.
    Off,
}

/// Which way a control surface's fader must move to take over the mix (soft takeover).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Catch {
    /// Up: the hardware is below the mix.
    Up,
    /// Down: the hardware is above the mix.
    Down,
}

/// What a section's scene does to one channel strip, relative to the base mix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SceneMark {
    /// The scene sets this channel's fader (so [`StripView::gain_db`] is the scene's value).
    pub overridden: bool,
    /// The scene's fader minus the base fader, in dB (meaningful when `overridden`).
    pub delta_db: f64,
    /// The scene mutes this channel.
    pub muted: bool,
}

/// The master strip.
#[derive(Debug, Clone, PartialEq)]
pub struct MasterView {
    /// The master fader in dB, -inf (off) to +12.
    pub gain_db: f64,
    /// The master meter (sample peak and RMS of the stereo bus).
    pub meter: MeterView,
    /// The highest true peak in dBTP over the last second or so (held like the peak number).
    pub true_peak_dbtp: f64,
    /// The highest true peak since loudness was last reset, in dBTP.
    pub true_peak_max_dbtp: f64,
    /// Momentary loudness (400 ms) in LUFS; -inf when silent.
    pub momentary_lufs: f64,
    /// Short-term loudness (3 s) in LUFS; -inf when silent.
    pub short_term_lufs: f64,
    /// Integrated loudness since the last reset in LUFS; -inf until it has something to gate.
    pub integrated_lufs: f64,
    /// Whether the integrated measurement is running (it pauses with playback).
    pub integrating: bool,
    /// Headroom: how far the highest held sample peak is below 0 dBFS, in dB (negative: over).
    pub headroom_db: f64,
    /// Clipped samples on the master since the last reset.
    pub clips: u64,
}

/// The transport line.
#[derive(Debug, Clone, PartialEq)]
pub struct TransportView {
    /// Playing (else paused/stopped).
    pub playing: bool,
    /// Waiting for stems to load after a jump (playing, but silent for now).
    pub buffering: bool,
    /// Where playback is, in seconds.
    pub position_s: f64,
    /// The session length, in seconds.
    pub length_s: f64,
    /// Where playback is in bars and beats ("9.3"), when the session has a tempo.
    pub bar: Option<String>,
    /// The loop region in seconds, when looping.
    pub looping: Option<(f64, f64)>,
    /// The name of the section under the play head, when the session has sections.
    pub section: Option<String>,
}

/// The status line.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusView {
    /// The output in a user's words: "default (ALSA)", "null output", ...
    pub device: String,
    /// The mix rate in Hz.
    pub sample_rate: u32,
    /// Frames per device buffer.
    pub buffer_frames: u32,
    /// What was asked when the buffer granted differs ("asked 128; the server's smallest").
    pub buffer_note: Option<String>,
    /// Device xruns since the start.
    pub xruns: u64,
    /// Callbacks that came after the audio before them ran out (gaps the device did not
    /// report) since the start.
    pub late: u64,
    /// Times the output was restarted after the device was lost.
    pub restarts: u32,
    /// The audio thread's priority in the status line's words (`RT`, `no RT: <why>`); `None`
    /// while not known.
    pub realtime: Option<String>,
    /// Stem underruns (disk too slow) since the start.
    pub underruns: u64,
    /// Unsaved edits exist.
    pub unsaved: bool,
    /// The session is open in another earmix: this console only listens, nothing is saved.
    pub read_only: bool,
    /// Trim mode: the fader keys edit the trim.
    pub trim_mode: bool,
    /// A one-line message for the user ("Saved session.toml", an error, a hint); shown until
    /// replaced.
    pub message: Option<String>,
    /// The mix/reference flip, when the session has a reference (shown even when blind).
    pub listen: Option<ListenView>,
    /// The monitor section's switches (shown even when blind).
    pub monitor: MonitorState,
    /// The safety ceiling is turning the output down (lately), by this many dB at most.
    pub ceiling_db: Option<f32>,
}

/// Which one is heard, the mix or the reference, and the loudness match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListenView {
    /// The reference is heard (else the mix).
    pub reference: bool,
    /// While the reference runs free of the play head, where it is; `None` while it follows
    /// the play head.
    pub free: Option<FreePlace>,
    /// The match: the gain on the mix and on the reference (the louder one is turned down),
    /// dB; `None` until both have been measured.
    pub matched: Option<(f64, f64)>,
}

/// Where a free-running reference is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FreePlace {
    /// Its place in its own time, seconds (negative before it starts).
    pub position_s: f64,
    /// How far it is ahead of the play head, seconds (negative: behind).
    pub offset_s: f64,
}

/// A box drawn over the mixer.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// The help screen: one line per action, keys then description, from the keymap.
    Help(Vec<(String, String)>),
    /// A question the user answers with a key, e.g. "Quit without saving?".
    Question {
        /// The box title.
        title: String,
        /// What to show (may be long: shorten or scroll, never overlap).
        lines: Vec<String>,
        /// The answers, e.g. `[("y", "quit"), ("s", "save and quit"), ("n", "stay")]`.
        answers: Vec<(String, String)>,
    },
    /// Information the user dismisses with any key (e.g. the "moved while blind" summary).
    Info {
        /// The box title.
        title: String,
        /// The lines.
        lines: Vec<String>,
    },
    /// A line of text to type, e.g. a new section's name; Enter takes it, Esc cancels.
    Prompt {
        /// The box title, e.g. "New section at 1:05.2".
        title: String,
        /// What to type, before the text, e.g. "Name:".
        label: String,
        /// What has been typed so far (the cursor is at its end).
        text: String,
        /// Why the text cannot be taken, e.g. "a section named Verse 1 exists".
        error: Option<String>,
        /// The keys, e.g. `[("Enter", "ok"), ("Esc", "cancel")]`.
        answers: Vec<(String, String)>,
    },
    /// A list to pick one item from with the arrow keys.
    Pick {
        /// The box title, e.g. "Copy which section's scene into Chorus 2?".
        title: String,
        /// The items.
        items: Vec<String>,
        /// The highlighted item (an index into `items`).
        selected: usize,
        /// The keys, e.g. "Enter copy  Esc cancel".
        hint: String,
    },
    /// The arc view: each channel's level across the song's sections.
    Arc(ArcView),
    /// An exercise's results: a table with a bar chart, a reading and the keys.
    Results(ResultsView),
}

/// The panel an exercise in progress shows (the console is blind meanwhile: it holds no
/// number, no level, nothing that gives the answer away).
#[derive(Debug, Clone, PartialEq)]
pub struct ExerciseBanner {
    /// The exercise's title, e.g. "Blindfold Balance Test" or "Level-matching drill, level 2".
    pub title: String,
    /// What to do now, e.g. "Balance Verse 1 by ear, then press Enter".
    pub step: String,
    /// The keys that matter now, e.g. `[("Enter", "done"), ("t", "target/yours"),
    /// ("?", "help"), ("Esc", "leave")]`.
    pub keys: Vec<(String, String)>,
    /// What is playing when that can change, e.g. "TARGET" or "YOUR MIX" (drawn lit, so a
    /// glance says which one is heard).
    pub hearing: Option<String>,
}

/// One row of an exercise's results.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    /// The channel's name.
    pub name: String,
    /// What the channel carries (picks its colour); `None` draws it neutral.
    pub role: Option<Role>,
    /// The row's figures, already formatted, one per [`ResultsView::columns`] entry
    /// (e.g. "-3.5", "-17.2", "off", "-").
    pub cells: Vec<String>,
    /// The value the chart draws for this row, in dB (negative to the left of the centre line,
    /// positive to the right); `None`: no bar (e.g. a silent channel).
    pub bar_db: Option<f64>,
}

/// An exercise's results screen.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultsView {
    /// The box title, e.g. "Blindfold Balance Test: what you did".
    pub title: String,
    /// Lines above the table (e.g. the score), drawn first.
    pub headline: Vec<String>,
    /// The table's column headings after the name column, e.g. `["Fader", "Peak", "RMS",
    /// "Target", "Diff"]`.
    pub columns: Vec<String>,
    /// The rows, one per channel.
    pub rows: Vec<ResultRow>,
    /// What the chart shows, drawn over it, e.g. "Against the textbook, overall offset
    /// removed (dB)".
    pub chart: String,
    /// The plain-language reading under the table: paragraphs, wrapped to the box.
    pub reading: Vec<String>,
    /// The answers, e.g. `[("k", "keep this balance"), ("Enter", "close")]`.
    pub answers: Vec<(String, String)>,
}

/// One song section on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineSection {
    /// The section's name.
    pub name: String,
    /// Where it starts, in seconds; it runs to the next section's start (the last one to the
    /// session's end).
    pub start_s: f64,
    /// The section carries a scene (fader values of its own).
    pub has_scene: bool,
}

/// The song's sections laid out in time, with the play head and the loop.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineView {
    /// The sections in time order.
    pub sections: Vec<TimelineSection>,
    /// The session length, in seconds.
    pub length_s: f64,
    /// Where playback is, in seconds.
    pub playhead_s: f64,
    /// The section under the play head (an index into `sections`).
    pub current: Option<usize>,
    /// The loop region in seconds, when looping.
    pub loop_region: Option<(f64, f64)>,
    /// The selected strip's ride as (time in seconds, dB) points; empty without one.
    pub ride: Vec<(f64, f64)>,
}

impl TimelineView {
    /// Where section `index` ends, in seconds: the next one's start, or the session's end.
    pub fn end_of(&self, index: usize) -> f64 {
        self.sections
            .get(index + 1)
            .map_or(self.length_s, |next| next.start_s)
    }
}

/// What the fader keys edit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum EditMode {
    /// The base mix: the faders every section starts from.
    #[default]
    Base,
    /// The scene of one section: fader values that replace the base while it plays.
    Scene {
        /// The section's name.
        section: String,
    },
}

/// One channel in the arc view.
#[derive(Debug, Clone, PartialEq)]
pub struct ArcChannel {
    /// The channel's name.
    pub name: String,
    /// What the channel carries (picks its colour); `None` draws it neutral.
    pub role: Option<Role>,
    /// The channel's effective level in each section, in dB; `None`: muted or off there.
    pub levels_db: Vec<Option<f64>>,
    /// The base fader, in dB.
    pub base_db: f64,
}

/// The song's level shape: every channel's effective level section by section.
#[derive(Debug, Clone, PartialEq)]
pub struct ArcView {
    /// The section names in time order.
    pub sections: Vec<String>,
    /// The section under the play head (an index into `sections`).
    pub current: Option<usize>,
    /// The channels in session order.
    pub channels: Vec<ArcChannel>,
}

/// How to draw: character set and colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Plain ASCII only, no block or box-drawing characters: meter bars of `=` (RMS) and `#`
    /// (peak) under a `-` hold line, fader tracks of `:` with a `>` cap, `|` and `+`/`-` for
    /// separators and boxes, `~` ending a shortened name, `<`/`>` for hidden strips, a timeline
    /// bar of `-` (`=` under the current section) with `^` at the play head, `_` for a text
    /// cursor, the arc view's lines drawn in letters, and the scale labels and readouts in plain
    /// digits and signs.
    pub ascii: bool,
    /// Colours allowed (false: `NO_COLOR`, `--no-color`); bold/reverse/dim may still be used.
    pub color: bool,
    /// How levels are spread up a meter (its bottom is the meter floor, its top 0 dBFS).
    pub scale: Scale,
}

/// Everything one frame shows.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// The session's display name.
    pub session_name: String,
    /// The channel strips in session order.
    pub strips: Vec<StripView>,
    /// The selected strip (an index into `strips`).
    pub selected: usize,
    /// Where the fader keys act.
    pub focus: Focus,
    /// The master strip.
    pub master: MasterView,
    /// The transport line.
    pub transport: TransportView,
    /// The status line.
    pub status: StatusView,
    /// How much is hidden.
    pub blind: BlindLevel,
    /// A box over the mixer, if any.
    pub overlay: Option<Overlay>,
    /// The song's sections under the strips; `None` when the session has none.
    pub timeline: Option<TimelineView>,
    /// What the fader keys edit: the base mix or a section's scene.
    pub edit_mode: EditMode,
    /// A/B: the base mix is playing in place of the scene being edited.
    pub comparing: bool,
    /// The exercise in progress, if any (its panel replaces the timeline and the mode).
    pub exercise: Option<ExerciseBanner>,
}
