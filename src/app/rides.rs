//! Rides in the console (UI thread): each strip's ride mode, recording a ride by ear while the
//! song plays, and the ride edits (clear, trim) of the current section.
//!
//! - A strip's **mode** is read (its ride plays; the default), touch, latch or off (its ride is
//!   not heard: the engine is given the rides without it). Touch and latch **arm** the strip.
//!   A group strip is ridden like a channel strip: its ride adds to every member's.
//! - While playing, a fader nudge (or a control surface's or the mouse's fader move,
//!   `Mixer::record_fader`) on an armed strip moves its ride instead of its fader: the
//!   **take** starts from the ride's level at the play head and moves by each nudge, and the
//!   engine plays that level (`Effect::RideHold`). A touch take lets go
//!   [`crate::config::RidesConfig::touch_release_ms`] after the last nudge, a latch take when
//!   playback stops; either way the ride glides back to what was there over [`RELEASE_GLIDE`].
//!   What a take recorded replaces the old ride over the time it covers, thinned to
//!   [`RIDE_TOLERANCE_DB`].
//! - A **pass** is everything recorded from the first take to the stop: one undo step. Each
//!   take reaches the session, the crash journal and the engine as soon as it lets go, so a
//!   crash keeps it.

use std::time::{Duration, Instant};

mod notice;

pub use notice::RideNotice;

use super::action::Direction;
use super::edit::{Change, MixEdit};
use super::effect::Effect;
use super::mixer::{BURST_GAP, Mixer, round_ms, round2};
use crate::config::RidesConfig;
use crate::session::Session;
use crate::session::automation::{
    RIDE_MAX_DB, RIDE_MIN_DB, RIDE_TOLERANCE_DB, Ride, RidePoint, ride_db_at, thin,
};
use crate::ui::view::{Focus, RideMark, RideShown};
use crate::units::{Decibels, Seconds};

/// How long a recorded ride takes to get back to the ride that was there when a take lets go,
/// in seconds.
pub const RELEASE_GLIDE: f64 = 0.3;
/// How long one nudge takes to reach its level in a recorded ride, in seconds (the engine's
/// own glide for a held ride level is 10 ms).
pub const MOVE_GLIDE: f64 = 0.01;
/// How far a ride trim moves the ride, in dB.
pub const RIDE_TRIM_DB: f64 = 0.5;
/// The glide at each edge of a section whose ride is trimmed or cleared, in seconds: the ride
/// outside the section stays as it was.
pub const EDGE_GLIDE: f64 = 0.05;
/// The play head moving back by more than this while a take records (a loop, a jump) ends the
/// take, in seconds.
const JUMP_BACK: f64 = 0.05;
/// Two ride points closer than this are one time, in seconds.
const SAME_TIME: f64 = 0.0005;

/// What a strip does with its ride.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RideMode {
    /// The ride is not heard.
    Off,
    /// The ride plays back.
    #[default]
    Read,
    /// Armed: fader moves record while they keep coming, then the ride plays again.
    Touch,
    /// Armed: fader moves record until playback stops.
    Latch,
}

impl RideMode {
    /// The mode after this one: read, touch, latch, off, read.
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            RideMode::Read => RideMode::Touch,
            RideMode::Touch => RideMode::Latch,
            RideMode::Latch => RideMode::Off,
            RideMode::Off => RideMode::Read,
        }
    }

    /// Whether fader moves record the ride while playing.
    pub fn armed(self) -> bool {
        matches!(self, RideMode::Touch | RideMode::Latch)
    }
}

/// One strip's recording, from its first nudge until it lets go.
#[derive(Debug, Clone)]
struct Take {
    /// The channel (or group) whose ride it records.
    target: String,
    /// Its strip, counted from 0.
    strip: usize,
    mode: RideMode,
    /// What it recorded, in time order.
    points: Vec<RidePoint>,
    /// The level it holds now, dB.
    level: f64,
    /// The ride's level where it began, dB.
    from: f64,
    /// When the last nudge came.
    last_move: Instant,
}

impl Take {
    /// Adds a point, or changes the last one's level when `at` is not later than it (several
    /// nudges handled at one play head).
    fn push(&mut self, at: f64, db: f64) {
        match self.points.last_mut() {
            Some(last) if at <= last.at.0 + SAME_TIME => last.db = Decibels(db),
            _ => self.points.push(RidePoint::new(at, db)),
        }
    }

    /// The time of its last point.
    fn last_at(&self) -> f64 {
        self.points.last().map_or(0.0, |p| p.at.0)
    }
}

/// Everything recorded from the first take to the stop: one undo step.
#[derive(Debug, Clone)]
struct Pass {
    /// The rides when it began.
    before: Vec<Ride>,
    /// The targets it recorded, in the order their takes began.
    targets: Vec<String>,
    /// The takes still recording.
    takes: Vec<Take>,
}

/// The rides' part of the mixer: modes, the pass being recorded, the settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rides {
    /// Strips (by name) whose mode is not the default (read).
    modes: Vec<(String, RideMode)>,
    config: Option<RidesConfig>,
    pass: Option<Pass>,
    /// An exercise runs: nothing records.
    pub(crate) suspended: bool,
    /// The levels members of a group being recorded are held at now (channel, dB), so that
    /// following their rides sends only changes.
    member_holds: Vec<(usize, f64)>,
}

impl Rides {
    /// The mode of the channel or group named `target`.
    pub fn mode(&self, target: &str) -> RideMode {
        self.modes
            .iter()
            .find(|(name, _)| name == target)
            .map_or(RideMode::Read, |(_, mode)| *mode)
    }

    fn set_mode(&mut self, target: &str, mode: RideMode) {
        self.modes.retain(|(name, _)| name != target);
        if mode != RideMode::Read {
            self.modes.push((target.to_string(), mode));
        }
    }

    /// Sets the rides' settings (`[rides]`).
    pub fn set_config(&mut self, config: RidesConfig) {
        self.config = Some(config);
    }

    fn touch_release(&self) -> Duration {
        let ms = self.config.map_or(600, |c| c.touch_release_ms);
        Duration::from_millis(u64::from(ms))
    }

    /// Whether a take of `target` is recording.
    pub fn recording(&self, target: &str) -> bool {
        self.pass
            .as_ref()
            .is_some_and(|p| p.takes.iter().any(|t| t.target == target))
    }

    /// While a take records `target`: how far it has moved the ride from where it began, in
    /// dB (a surface's fader follows the level heard); 0 otherwise.
    pub fn take_offset(&self, target: &str) -> f64 {
        self.pass
            .as_ref()
            .and_then(|p| p.takes.iter().find(|t| t.target == target))
            .map_or(0.0, |t| t.level - t.from)
    }

    /// Whether any take is recording.
    pub fn any_recording(&self) -> bool {
        self.pass.as_ref().is_some_and(|p| !p.takes.is_empty())
    }
}

impl Mixer {
    /// The ride mode of the channel or group named `target`.
    pub fn ride_mode(&self, target: &str) -> RideMode {
        self.rides.mode(target)
    }

    /// Whether a pass is recording `target`'s ride now.
    pub fn ride_recording(&self, target: &str) -> bool {
        self.rides.recording(target)
    }

    /// What the strip of `target` shows of its ride.
    pub fn ride_mark(&self, target: &str) -> RideMark {
        RideMark {
            has_ride: self.session.ride(target).is_some(),
            mode: match self.rides.mode(target) {
                RideMode::Read => RideShown::Read,
                RideMode::Touch => RideShown::Touch,
                RideMode::Latch => RideShown::Latch,
                RideMode::Off => RideShown::Off,
            },
            recording: self.rides.recording(target),
        }
    }

    /// `A`: the selected strip's next ride mode. Off gives the engine the rides without its own; a
    /// take of the strip lets go first.
    pub(crate) fn cycle_ride_mode(&mut self) {
        let Some(strip) = self.channel_for_strip_edit("ride") else {
            return;
        };
        let Some(target) = self.strip_name(strip).map(str::to_string) else {
            return;
        };
        self.finish_takes(|t| t.target == target);
        let was = self.rides.mode(&target);
        let mode = was.next();
        self.rides.set_mode(&target, mode);
        if mode == RideMode::Off || was == RideMode::Off {
            self.emit(Effect::Rides(self.heard_rides()));
        }
        let has_ride = self.session.ride(&target).is_some();
        self.notify(
            RideNotice::Mode {
                target,
                mode,
                has_ride,
            }
            .into(),
        );
    }

    /// A fader nudge of `delta` dB: recorded into the selected strip's ride when the strip is
    /// armed and the song plays (true), else left to the fader (false).
    pub(crate) fn record_nudge(&mut self, delta: f64, now: Instant) -> bool {
        if self.rides.suspended
            || !self.transport.playing
            || self.focus != Focus::Strip
            || self.trim_mode
        {
            return false;
        }
        let strip = self.selected;
        let Some(target) = self.strip_name(strip).map(str::to_string) else {
            return false;
        };
        if !self.rides.mode(&target).armed() {
            return false;
        }
        let at = self.transport.position.0;
        // The play head went back (a loop, a jump): what was recorded so far is kept.
        self.finish_takes(|t| t.target == target && at + JUMP_BACK < t.last_at());
        let from = self
            .session
            .ride(&target)
            .map_or(0.0, |r| r.db_at(Seconds(at)).0);
        let mode = self.rides.mode(&target);
        let pass = self.rides.pass.get_or_insert_with(|| Pass {
            before: self.session.rides.clone(),
            targets: Vec::new(),
            takes: Vec::new(),
        });
        if !pass.targets.contains(&target) {
            pass.targets.push(target.clone());
        }
        let i = if let Some(i) = pass.takes.iter().position(|t| t.target == target) {
            i
        } else {
            pass.takes.push(Take {
                target: target.clone(),
                strip,
                mode,
                points: Vec::new(),
                level: from,
                from,
                last_move: now,
            });
            pass.takes.len() - 1
        };
        let take = &mut pass.takes[i];
        let was = take.level;
        let to = round2((was + delta).clamp(RIDE_MIN_DB, RIDE_MAX_DB));
        take.push(at, was);
        take.push(at + MOVE_GLIDE, to);
        take.level = to;
        take.last_move = now;
        self.hold(strip, Some(to));
        let level = (!self.blind.hides_numbers()).then_some(Decibels(to));
        self.notify(RideNotice::Recording { target, level }.into());
        true
    }

    /// A control surface moves strip `strip`'s fader to `db` (as [`Mixer::fader_value`] reads
    /// it): recorded into its ride as the move it makes when the strip is armed and the song
    /// plays (true), else left to the fader (false).
    pub(crate) fn record_fader(&mut self, strip: usize, db: Decibels, now: Instant) -> bool {
        let fader = super::mixer::Fader::Strip(strip);
        let current = self.fader_value(fader, self.transport.position);
        let delta = if db.is_off() {
            RIDE_MIN_DB - RIDE_MAX_DB
        } else if current.is_off() {
            0.0
        } else {
            db.0 - current.0
        };
        let was = self.address(fader);
        let recorded = self.record_nudge(delta, now);
        self.restore(was);
        recorded
    }

    /// Lets go of touch takes whose last nudge is older than the release time, and ends the
    /// pass when playback has stopped (each frame, and after each action).
    pub(crate) fn tick_rides(&mut self, now: Instant) {
        let Some(pass) = self.rides.pass.as_ref() else {
            return;
        };
        if !self.transport.playing {
            self.end_pass();
            return;
        }
        let release = self.rides.touch_release();
        let at = self.transport.position.0;
        let due: Vec<String> = pass
            .takes
            .iter()
            .filter(|t| {
                at + JUMP_BACK < t.last_at()
                    || t.mode == RideMode::Touch
                        && now.saturating_duration_since(t.last_move) >= release
            })
            .map(|t| t.target.clone())
            .collect();
        if !due.is_empty() {
            self.finish_takes(|t| due.contains(&t.target));
        }
        // A group's take holds each member at the member's own ride plus the take's level:
        // follow the members' rides as the song moves on.
        let groups: Vec<(usize, f64)> = self.rides.pass.as_ref().map_or_else(Vec::new, |p| {
            p.takes
                .iter()
                .filter(|t| t.strip >= self.session.channels.len())
                .map(|t| (t.strip, t.level))
                .collect()
        });
        for (strip, level) in groups {
            self.hold(strip, Some(level));
        }
    }

    /// The session as the engine is to play its rides: without the rides of strips whose mode
    /// is off.
    pub(crate) fn heard_rides(&self) -> Box<Session> {
        let mut session = self.session.clone();
        session
            .rides
            .retain(|r| self.rides.mode(&r.target) != RideMode::Off);
        Box::new(session)
    }

    /// Holds strip `strip`'s ride at `level` dB while a take records it (`None`: it follows
    /// its ride again). A channel's ride is held as it is; a group's is held through its
    /// members, each at the rides it plays besides the group's (at the play head) plus `level`.
    fn hold(&mut self, strip: usize, level: Option<f64>) {
        let channels = self.session.channels.len();
        if strip < channels {
            self.emit(Effect::RideHold(strip, level.map(Decibels)));
            return;
        }
        let Some(group) = self.session.groups.get(strip - channels).cloned() else {
            return;
        };
        let at = self.transport.position;
        for member in &group.members {
            let Some(m) = self.session.channel_index(member) else {
                continue;
            };
            let held = level.map(|level| {
                let others: f64 = std::iter::once(member.as_str())
                    .chain(self.session.groups_of(member).map(|g| g.name.as_str()))
                    .filter(|name| *name != group.name)
                    .filter(|name| self.rides.mode(name) != RideMode::Off)
                    .filter_map(|name| self.session.ride(name))
                    .map(|r| r.db_at(at).0)
                    .sum();
                Decibels(round2(others + level))
            });
            let sent = self.rides.member_holds.iter().position(|(c, _)| *c == m);
            match (held, sent) {
                (Some(db), Some(k)) if self.rides.member_holds[k].1 == db.0 => continue,
                (Some(db), Some(k)) => self.rides.member_holds[k].1 = db.0,
                (Some(db), None) => self.rides.member_holds.push((m, db.0)),
                (None, Some(k)) => {
                    self.rides.member_holds.swap_remove(k);
                }
                (None, None) => {}
            }
            self.emit(Effect::RideHold(m, held));
        }
    }

    /// Ends the pass: every take lets go at the play head, and everything the pass recorded
    /// becomes one undo step.
    pub(crate) fn end_pass(&mut self) {
        if self.rides.pass.is_none() {
            return;
        }
        self.finish_takes(|_| true);
        let Some(pass) = self.rides.pass.take() else {
            return;
        };
        let before = Session {
            rides: pass.before,
            ..self.session.clone()
        };
        let changes: Vec<Change> = super::edit::differences(&before, &self.session)
            .into_iter()
            .filter(|c| matches!(&c.after, MixEdit::Ride { channel, .. } if pass.targets.contains(channel)))
            .collect();
        if !changes.is_empty() {
            self.undo.push_group(changes);
        }
    }

    /// Lets go of the takes `which` picks: each one's recording replaces the ride over the time
    /// it covers, gliding back to the old ride; the session, the journal and the engine get the
    /// new ride.
    fn finish_takes(&mut self, which: impl Fn(&Take) -> bool) {
        let Some(pass) = self.rides.pass.as_mut() else {
            return;
        };
        let (done, going): (Vec<Take>, Vec<Take>) =
            std::mem::take(&mut pass.takes).into_iter().partition(which);
        pass.takes = going;
        if done.is_empty() {
            return;
        }
        let at = self.transport.position.0;
        for take in &done {
            let old: Vec<RidePoint> = self
                .session
                .ride(&take.target)
                .map(|r| r.points.clone())
                .unwrap_or_default();
            let points = clip_to_end(recorded_ride(&old, take, at), self.session.length().0);
            let edit = MixEdit::Ride {
                channel: take.target.clone(),
                points: Some(points),
            };
            if edit.apply(&mut self.session).is_ok() {
                self.journal_pending.push(edit);
            }
        }
        self.emit(Effect::Rides(self.heard_rides()));
        for take in &done {
            self.hold(take.strip, None);
        }
    }

    /// `X` (`everywhere` false) clears the selected strip's ride inside the section under the
    /// play head; `ctrl+x` (`everywhere`) removes it. One undo step.
    pub(crate) fn clear_ride(&mut self, everywhere: bool) {
        let Some(strip) = self.channel_for_strip_edit("ride") else {
            return;
        };
        self.end_pass();
        let Some(target) = self.strip_name(strip).map(str::to_string) else {
            return;
        };
        let Some(old) = self.session.ride(&target).map(|r| r.points.clone()) else {
            self.notify(RideNotice::NoRide(target).into());
            return;
        };
        let (points, section) = if everywhere {
            (None, None)
        } else {
            let Some((start, end, section)) = self.section_span() else {
                return;
            };
            (reshape(&old, start, end, |_| 0.0), Some(section))
        };
        let said = RideNotice::Cleared {
            target: target.clone(),
            section,
        };
        if self.edit(MixEdit::Ride {
            channel: target,
            points,
        }) {
            self.notify(said.into());
        }
    }

    /// `+` / `-`: the selected strip's ride up or down [`RIDE_TRIM_DB`] inside the section
    /// under the play head (a held key is one undo step).
    pub(crate) fn trim_ride(&mut self, direction: Direction, now: Instant) {
        let Some(strip) = self.channel_for_strip_edit("ride") else {
            return;
        };
        self.end_pass();
        let Some((start, end, section)) = self.section_span() else {
            return;
        };
        let Some(target) = self.strip_name(strip).map(str::to_string) else {
            return;
        };
        let old = self
            .session
            .ride(&target)
            .map(|r| r.points.clone())
            .unwrap_or_default();
        let delta = match direction {
            Direction::Up => RIDE_TRIM_DB,
            Direction::Down => -RIDE_TRIM_DB,
        };
        let points = reshape(&old, start, end, |db| {
            round2((db + delta).clamp(RIDE_MIN_DB, RIDE_MAX_DB))
        });
        let edit = MixEdit::Ride {
            channel: target.clone(),
            points,
        };
        let burst = match &self.burst {
            Some((control, at, id))
                if control.same_control(&edit) && now.duration_since(*at) < BURST_GAP =>
            {
                *id
            }
            _ => self.new_burst(),
        };
        self.burst = Some((edit.clone(), now, burst));
        if self.edit_in_burst(edit, burst) == Some(true) {
            let blind = self.blind.hides_numbers();
            self.notify(
                RideNotice::Trimmed {
                    target,
                    section,
                    up: delta > 0.0,
                    blind,
                }
                .into(),
            );
        } else {
            self.notify(RideNotice::TrimAtEnd { target, section }.into());
        }
    }

    /// The section under the play head: its start, its end, its name (or a message).
    fn section_span(&mut self) -> Option<(f64, f64, String)> {
        let k = self.section_here()?;
        let section = &self.session.sections[k];
        let end = self
            .session
            .sections
            .get(k + 1)
            .map_or(self.session.length().0, |s| s.start.0);
        Some((section.start.0, end, section.name.clone()))
    }
}

/// The mean level (dB) the ride `points` adds between `start` and `end` seconds: its average
/// over that time (exact, as a ride is straight between its points); its level at `start` when
/// the span is empty.
pub fn mean_ride_db(points: &[RidePoint], start: f64, end: f64) -> f64 {
    let level = |t: f64| ride_db_at(points, Seconds(t)).0;
    if end <= start {
        return level(start);
    }
    let mut times = vec![start];
    times.extend(
        points
            .iter()
            .map(|p| p.at.0)
            .filter(|&t| t > start && t < end),
    );
    times.push(end);
    let area: f64 = times
        .windows(2)
        .map(|w| (w[1] - w[0]) * (level(w[0]) + level(w[1])) / 2.0)
        .sum();
    area / (end - start)
}

impl Mixer {
    /// The mean level the rides heard on channel `channel` (its own and its groups', unless
    /// switched off) add between `start` and `end` seconds, in dB.
    pub fn ride_mean_db(&self, channel: &str, start: f64, end: f64) -> f64 {
        let groups = self.session.groups_of(channel).map(|g| g.name.as_str());
        std::iter::once(channel)
            .chain(groups)
            .filter(|target| self.rides.mode(target) != RideMode::Off)
            .filter_map(|target| self.session.ride(target))
            .map(|ride| mean_ride_db(&ride.points, start, end))
            .sum()
    }
}

/// The ride `old` with `take`'s recording in place of what was there, the take letting go at
/// `at` (or its last point, when that is later): its level holds to then, and glides back to
/// the old ride over [`RELEASE_GLIDE`]. Times are kept to the millisecond.
fn recorded_ride(old: &[RidePoint], take: &Take, at: f64) -> Vec<RidePoint> {
    let mut recorded = take.clone();
    let end = at.max(recorded.last_at());
    recorded.push(end, take.level);
    let back = end + RELEASE_GLIDE;
    recorded.push(back, ride_db_at(old, Seconds(back)).0);
    let points: Vec<RidePoint> = recorded
        .points
        .iter()
        .map(|p| RidePoint {
            at: round_ms(p.at),
            db: p.db,
        })
        .collect();
    let new = thin(&points, RIDE_TOLERANCE_DB);
    let (first, last) = (new[0].at.0, new[new.len() - 1].at.0);
    let mut out: Vec<RidePoint> = old
        .iter()
        .filter(|p| p.at.0 < first - SAME_TIME)
        .copied()
        .collect();
    out.extend(new);
    out.extend(old.iter().filter(|p| p.at.0 > last + SAME_TIME));
    out
}

/// `points` up to the session's end `length` (when known): a point past it is left out, and
/// the ride's level at the end becomes the last point.
fn clip_to_end(mut points: Vec<RidePoint>, length: f64) -> Vec<RidePoint> {
    if length <= 0.0 || points.last().is_none_or(|p| p.at.0 <= length) {
        return points;
    }
    let end = ride_db_at(&points, Seconds(length));
    points.retain(|p| p.at.0 < length - SAME_TIME);
    points.push(RidePoint {
        at: Seconds(length),
        db: end,
    });
    points
}

/// The ride `old` with `f` applied to its level between `start` and `end` (a section), with an
/// [`EDGE_GLIDE`] inside each edge so the ride outside is unchanged. `None` when what is left is
/// 0 dB throughout (no ride).
fn reshape(
    old: &[RidePoint],
    start: f64,
    end: f64,
    f: impl Fn(f64) -> f64,
) -> Option<Vec<RidePoint>> {
    let glide = EDGE_GLIDE.min((end - start) / 2.0);
    let level = |t: f64| ride_db_at(old, Seconds(t)).0;
    let (inner_start, inner_end) = (start + glide, end - glide);
    let mut out: Vec<RidePoint> = old
        .iter()
        .filter(|p| p.at.0 < start - SAME_TIME)
        .copied()
        .collect();
    out.push(RidePoint::new(start, level(start)));
    out.push(RidePoint::new(inner_start, f(level(inner_start))));
    out.extend(
        old.iter()
            .filter(|p| p.at.0 > inner_start + SAME_TIME && p.at.0 < inner_end - SAME_TIME)
            .map(|p| RidePoint::new(p.at.0, f(p.db.0))),
    );
    out.push(RidePoint::new(inner_end, f(level(inner_end))));
    out.push(RidePoint::new(end, level(end)));
    out.extend(old.iter().filter(|p| p.at.0 > end + SAME_TIME).copied());
    let out = thin(&out, 1e-9);
    out.iter().any(|p| p.db.0.abs() > 1e-9).then_some(out)
}

#[cfg(test)]
mod tests;
