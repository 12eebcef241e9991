//! The reference track on the audio thread: a mix the user admires, streamed from disk through
//! creek next to the stems (opened on the UI thread by [`open_reference`], then only read).
//!
//! **Locked** (the default), the reference follows the session's playhead through the session's
//! [`ReferenceMap`]: the `[reference]` offset, and from each aligned section's start the place
//! written for it. Transport jumps and loop wraps move it with the stems. Where an aligned
//! section makes the reference jump, it dips over 10 ms either side, so the cut does not click.
//! Before the reference's start (a negative mapping) and after its end it plays silence.
//!
//! **Free-running**, for a reference whose structure differs, it keeps its own position: it
//! plays on while the transport plays, ignores the session's jumps and loops, wraps to its start
//! at its end, and moves only by [`ReferencePlayer::seek_free`].
//!
//! Never part of the bounce: the realtime engine reads it, the offline render does not.

use super::source::{MAX_BLOCK, ReadMode, ReadStatus, Source, StemBuffer, StreamError};
use super::streams::{StreamConfig, open_stem};
use crate::session::{ReferenceMap, Session};

/// The reference track and where it plays.
pub struct ReferencePlayer {
    source: Box<dyn Source>,
    buffer: StemBuffer,
    /// `(session frame, reference frame)` anchors at the mix rate, the first at session frame 0.
    anchors: Vec<(u64, i64)>,
    /// Session frames where the locked reference jumps (it dips around them).
    jumps: Vec<u64>,
    free: bool,
    /// The reference frame the next read plays (negative: silence before the reference starts).
    pos: i64,
    /// The reference's length at the mix rate.
    len: u64,
    /// The dip either side of a jump, in frames.
    dip: u32,
}

impl ReferencePlayer {
    /// A player over an opened reference `source`, locked to the session through `map` (at
    /// `mix_rate`), placed for the session frame `playhead`. Not realtime-safe (allocates).
    pub fn new(source: Box<dyn Source>, map: &ReferenceMap, mix_rate: u32, playhead: u64) -> Self {
        let anchors: Vec<(u64, i64)> = map
            .anchors()
            .iter()
            .map(|(at, to)| (at.to_frames(mix_rate), seconds_to_frames(to.0, mix_rate)))
            .collect();
        let jumps = map.jumps().map(|at| at.to_frames(mix_rate)).collect();
        let channels = source.channels();
        let len = source.len_frames();
        let mut player = Self {
            source,
            buffer: StemBuffer::new(channels),
            anchors,
            jumps,
            free: false,
            pos: 0,
            len,
            dip: super::smoother::ramp_frames(mix_rate),
        };
        player.follow_seek(playhead);
        player
    }

    /// The reference frame that plays at session frame `frame` when locked.
    ///
    /// Realtime-safe.
    pub fn mapped(&self, frame: u64) -> i64 {
        let i = self
            .anchors
            .partition_point(|(at, _)| *at <= frame)
            .saturating_sub(1);
        let (at, to) = self.anchors.get(i).copied().unwrap_or((0, 0));
        to + (frame - at.min(frame)) as i64
    }

    /// The reference frame the next read plays (negative before the reference starts).
    ///
    /// Realtime-safe.
    pub fn position(&self) -> i64 {
        self.pos
    }

    /// True while free-running.
    ///
    /// Realtime-safe.
    pub fn is_free(&self) -> bool {
        self.free
    }

    /// Free-running (true) or locked to the session playhead (false; it goes to the place
    /// mapped from `playhead` at once).
    ///
    /// Realtime-safe.
    pub fn set_free(&mut self, free: bool, playhead: u64) {
        self.free = free;
        if !free {
            self.follow_seek(playhead);
        }
    }

    /// The transport jumped to `playhead`: a locked reference goes to the mapped place; a
    /// free-running one stays where it is.
    ///
    /// Realtime-safe.
    pub fn follow_seek(&mut self, playhead: u64) {
        if !self.free {
            let to = self.mapped(playhead);
            self.seek_to(to);
        }
    }

    /// Moves a free-running reference to `frame` (clamped to its length). Ignored when locked.
    ///
    /// Realtime-safe.
    pub fn seek_free(&mut self, frame: u64) {
        if self.free {
            self.seek_to(frame.min(self.len) as i64);
        }
    }

    fn seek_to(&mut self, frame: i64) {
        self.pos = frame;
        self.source.seek(frame.max(0) as u64);
    }

    /// False while the data at the read position is still loading.
    ///
    /// Realtime-safe.
    pub fn is_ready(&mut self) -> bool {
        self.source.is_ready()
    }

    /// Waits until the data at the read position is buffered.
    ///
    /// Not realtime-safe (blocks).
    pub fn wait_ready(&mut self) -> Result<(), StreamError> {
        self.source.wait_ready()
    }

    /// Fills `left` and `right` (equal lengths, any length) with the reference for the session
    /// frames from `playhead` on, overwriting them, and advances.
    ///
    /// Realtime-safe with [`ReadMode::Realtime`].
    pub fn read(
        &mut self,
        playhead: u64,
        left: &mut [f32],
        right: &mut [f32],
        mode: ReadMode,
    ) -> ReadStatus {
        let n = left.len().min(right.len());
        let mut status = ReadStatus::default();
        let mut done = 0;
        while done < n {
            let frame = playhead + done as u64;
            let mut chunk = (n - done).min(MAX_BLOCK);
            if self.free {
                if self.pos >= self.len as i64 {
                    self.seek_to(0);
                }
                chunk = chunk.min((self.len as i64 - self.pos).max(1) as usize);
            } else {
                if let Some(next) = self.anchors.iter().map(|a| a.0).find(|&at| at > frame) {
                    chunk = chunk.min((next - frame) as usize);
                }
                let expected = self.mapped(frame);
                if expected != self.pos {
                    self.seek_to(expected);
                }
            }
            let read = self.read_chunk(
                &mut left[done..done + chunk],
                &mut right[done..done + chunk],
                mode,
            );
            status.underrun |= read.underrun;
            status.failed |= read.failed;
            done += chunk;
        }
        if !self.free {
            self.dip_around_jumps(playhead, &mut left[..n], &mut right[..n]);
        }
        status
    }

    /// Reads one piece at the current position (silence before the reference starts).
    fn read_chunk(&mut self, left: &mut [f32], right: &mut [f32], mode: ReadMode) -> ReadStatus {
        let n = left.len();
        let mut done = 0;
        if self.pos < 0 {
            let silent = (-self.pos).min(n as i64) as usize;
            left[..silent].fill(0.0);
            right[..silent].fill(0.0);
            done = silent;
            self.pos += silent as i64;
            if done < n {
                self.source.seek(0);
            }
        }
        if done == n {
            return ReadStatus::default();
        }
        let frames = n - done;
        let status = self.source.read(frames, &mut self.buffer, mode);
        left[done..].copy_from_slice(self.buffer.channel(0, frames));
        let ch = self.buffer.channels() - 1;
        right[done..].copy_from_slice(self.buffer.channel(ch, frames));
        self.pos += frames as i64;
        status
    }

    /// Fades the reference out over the `dip` frames before each jump and in over those after.
    fn dip_around_jumps(&self, playhead: u64, left: &mut [f32], right: &mut [f32]) {
        let end = playhead + left.len() as u64;
        let dip = u64::from(self.dip);
        for &at in &self.jumps {
            let from = at.saturating_sub(dip).max(playhead);
            let to = (at + dip).min(end);
            for frame in from..to {
                let distance = (frame as f64 - at as f64 + 0.5).abs();
                let g = (distance / dip as f64).min(1.0) as f32;
                let i = (frame - playhead) as usize;
                left[i] *= g;
                right[i] *= g;
            }
        }
    }
}

/// Seconds (possibly negative) to frames at `rate`, rounded.
fn seconds_to_frames(seconds: f64, rate: u32) -> i64 {
    (seconds * f64::from(rate)).round() as i64
}

/// Opens the session's reference at `mix_rate` (`None` without a reference), placed for the
/// session frame `start`, with the places that `cache` (session frames: the start, section
/// starts) and the alignment's anchors map to kept loaded so a jump there plays at once.
/// `config` is how it buffers ([`StreamConfig::PLAYBACK`] for playback).
///
/// Not realtime-safe (opens the file, starts creek's I/O thread).
pub fn open_reference(
    session: &Session,
    mix_rate: u32,
    start: u64,
    cache: &[u64],
    config: StreamConfig,
) -> Result<Option<ReferencePlayer>, StreamError> {
    let (Some(reference), Some(map)) = (&session.reference, session.reference_map()) else {
        return Ok(None);
    };
    let to_frames = |t: crate::units::Seconds| seconds_to_frames(t.0, mix_rate).max(0) as u64;
    let mut frames: Vec<u64> = cache
        .iter()
        .map(|&f| to_frames(map.at(crate::units::Seconds::from_frames(f, mix_rate))))
        .chain(map.anchors().iter().map(|(_, to)| to_frames(*to)))
        .chain([0])
        .collect();
    frames.sort_unstable();
    frames.dedup();
    frames.truncate(super::source::MAX_CACHED);
    let start_at = to_frames(map.at(crate::units::Seconds::from_frames(start, mix_rate)));
    let source = open_stem(
        &session.resolve(&reference.file),
        mix_rate,
        start_at,
        &frames,
        config,
    )?;
    Ok(Some(ReferencePlayer::new(source, &map, mix_rate, start)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::source::MemorySource;
    use crate::units::Seconds;

    /// A 100-frame ramp (sample i = i) as a mono reference.
    fn ramp_source() -> Box<dyn Source> {
        Box::new(MemorySource::new(vec![
            (0..100).map(|i| i as f32).collect(),
        ]))
    }

    fn read(player: &mut ReferencePlayer, playhead: u64, n: usize) -> Vec<f32> {
        let (mut l, mut r) = (vec![9.0; n], vec![9.0; n]);
        player.read(playhead, &mut l, &mut r, ReadMode::Blocking);
        assert_eq!(l, r, "a mono reference plays on both sides");
        l
    }

    /// Locked with a positive offset, the reference plays from the offset; with a negative
    /// one, silence first; past its end, silence.
    #[test]
    fn locked_reference_follows_the_offset() {
        let map = ReferenceMap::with_offset(Seconds(10.0));
        let mut p = ReferencePlayer::new(ramp_source(), &map, 1, 0);
        assert_eq!(read(&mut p, 0, 3), [10.0, 11.0, 12.0]);
        assert_eq!(p.position(), 13);
        let map = ReferenceMap::with_offset(Seconds(-2.0));
        let mut p = ReferencePlayer::new(ramp_source(), &map, 1, 0);
        assert_eq!(p.mapped(0), -2);
        assert_eq!(read(&mut p, 0, 4), [0.0, 0.0, 0.0, 1.0]);
        p.follow_seek(100);
        assert_eq!(read(&mut p, 100, 3), [98.0, 99.0, 0.0]);
    }

    /// A transport jump moves a locked reference and not a free-running one, which plays on
    /// from its own place, wraps at its end, and moves by `seek_free`.
    #[test]
    fn free_running_ignores_the_transport() {
        let map = ReferenceMap::with_offset(Seconds(0.0));
        let mut p = ReferencePlayer::new(ramp_source(), &map, 1, 0);
        assert_eq!(read(&mut p, 0, 2), [0.0, 1.0]);
        p.set_free(true, 2);
        p.follow_seek(50);
        assert_eq!(read(&mut p, 50, 2), [2.0, 3.0]);
        p.seek_free(98);
        assert_eq!(read(&mut p, 52, 4), [98.0, 99.0, 0.0, 1.0]);
        p.set_free(false, 56);
        assert_eq!(read(&mut p, 56, 1), [56.0]);
        p.set_free(false, 0);
        p.seek_free(10);
        assert_eq!(p.position(), 0, "seek_free is ignored while locked");
    }

    /// An aligned section jumps the reference at its start, within one read.
    #[test]
    fn aligned_section_jumps_within_a_read() {
        let map = ReferenceMap::new(Seconds(0.0), &[(Seconds(3.0), Seconds(50.0))]);
        // At 1 Hz the 10 ms dip rounds to one frame: only the frames at the jump's edges dip.
        let mut p = ReferencePlayer::new(ramp_source(), &map, 1, 0);
        let got = read(&mut p, 0, 6);
        assert_eq!(got, [0.0, 1.0, 2.0 * 0.5, 50.0 * 0.5, 51.0, 52.0]);
    }
}
