//! A source placed later on the timeline: silence until its start, then the source. Built off
//! the audio thread; read on whichever thread mixes (the audio thread for playback, the bounce
//! thread for an offline render).

use std::sync::Arc;

use super::{MAX_CACHED, ReadMode, ReadStatus, Source, StemBuffer, StreamError};
use crate::engine::health::StemHealth;

/// A source whose first frame plays at timeline frame `start`; before it, silence. Timeline
/// frame `f` at or after the start plays the inner source's frame `f - start`.
pub struct Placed {
    inner: Box<dyn Source>,
    start: u64,
    /// The timeline frame the next read plays.
    pos: u64,
}

impl Placed {
    /// Places `inner` at timeline frame `start`, reading next at timeline frame `at`: `inner`
    /// must already be positioned at its frame for `at` (`at - start`, or 0 before the start),
    /// as a stream opened there is.
    ///
    /// Realtime-safe (but the inner source is usually opened just before, which is not).
    pub fn new(inner: Box<dyn Source>, start: u64, at: u64) -> Self {
        Self {
            inner,
            start,
            pos: at,
        }
    }

    /// The inner source's frame for timeline frame `frame`: its first frame before the start.
    ///
    /// Realtime-safe.
    pub fn inner_frame(&self, frame: u64) -> u64 {
        frame.saturating_sub(self.start)
    }
}

impl Source for Placed {
    fn channels(&self) -> usize {
        self.inner.channels()
    }

    fn len_frames(&self) -> u64 {
        self.start.saturating_add(self.inner.len_frames())
    }

    /// Before the start the inner source waits at its first frame, so that it is loaded when
    /// the playhead gets there.
    fn seek(&mut self, frame: u64) {
        self.pos = frame;
        self.inner.seek(self.inner_frame(frame));
    }

    /// Silence up to the start (it is part of the song: counted as data, never an underrun),
    /// then the inner source's data; a read that crosses the start reads the inner source into
    /// the buffer and moves it up behind the silence.
    fn read(&mut self, frames: usize, out: &mut StemBuffer, mode: ReadMode) -> ReadStatus {
        let lead = self.start.saturating_sub(self.pos).min(frames as u64) as usize;
        self.pos += frames as u64;
        if lead == 0 {
            return self.inner.read(frames, out, mode);
        }
        if lead == frames {
            out.silence(0, frames);
            return ReadStatus {
                frames,
                ..ReadStatus::default()
            };
        }
        let rest = frames - lead;
        let mut status = self.inner.read(rest, out, mode);
        for ch in 0..out.channels() {
            let data = out.channel_mut(ch, frames);
            data.copy_within(0..rest, lead);
            data[..lead].fill(0.0);
        }
        status.frames += lead;
        status
    }

    fn wait_ready(&mut self) -> Result<(), StreamError> {
        self.inner.wait_ready()
    }

    fn is_ready(&mut self) -> bool {
        self.inner.is_ready()
    }

    fn health(&self) -> Option<&Arc<StemHealth>> {
        self.inner.health()
    }

    fn right_health(&self) -> Option<&Arc<StemHealth>> {
        self.inner.right_health()
    }

    /// Timeline frames before the start keep the inner source's first frame loaded.
    fn recache(&mut self, frames: &[u64]) {
        let mut inner = [0u64; MAX_CACHED];
        let n = frames.len().min(MAX_CACHED);
        for (to, &frame) in inner.iter_mut().zip(&frames[..n]) {
            *to = self.inner_frame(frame);
        }
        self.inner.recache(&inner[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::source::MemorySource;

    fn ramp(n: usize) -> Vec<f32> {
        (1..=n).map(|i| i as f32).collect()
    }

    /// Reads `total` frames in pieces of `piece` and returns the first channel.
    fn read_all(source: &mut dyn Source, total: usize, piece: usize) -> Vec<f32> {
        let mut out = StemBuffer::new(source.channels());
        let mut got = Vec::new();
        while got.len() < total {
            let n = piece.min(total - got.len());
            source.read(n, &mut out, ReadMode::Realtime);
            got.extend_from_slice(out.channel(0, n));
        }
        got
    }

    /// Silence up to the start and then the source frame for frame, whatever the read sizes
    /// (reads crossing the start included); the length counts the silence.
    #[test]
    fn silence_then_the_source_at_any_read_size() {
        let want: Vec<f32> = std::iter::repeat_n(0.0, 100).chain(ramp(50)).collect();
        for piece in [1, 7, 64, 100, 101, 150, 200] {
            let mut placed = Placed::new(Box::new(MemorySource::new(vec![ramp(50)])), 100, 0);
            assert_eq!(placed.len_frames(), 150);
            let got = read_all(&mut placed, 170, piece);
            assert_eq!(got[..150], want[..], "pieces of {piece}");
            assert!(got[150..].iter().all(|x| *x == 0.0), "pieces of {piece}");
        }
    }

    /// A seek before the start plays the rest of the silence and then the source from its
    /// first frame; a seek past the start plays the source from there; both channels of a
    /// stereo source are moved.
    #[test]
    fn seeks_before_and_after_the_start() {
        let stereo = Box::new(MemorySource::new(vec![
            ramp(50),
            ramp(50).iter().map(|x| -x).collect(),
        ]));
        let mut placed = Placed::new(stereo, 100, 0);
        placed.seek(90);
        assert_eq!(placed.inner_frame(90), 0);
        let mut out = StemBuffer::new(2);
        let status = placed.read(20, &mut out, ReadMode::Realtime);
        assert_eq!(status.frames, 20);
        let left: Vec<f32> = std::iter::repeat_n(0.0, 10).chain(ramp(10)).collect();
        let right: Vec<f32> = left.iter().map(|x| -x).collect();
        assert_eq!(out.channel(0, 20), &left[..]);
        assert_eq!(out.channel(1, 20), &right[..]);
        placed.seek(130);
        placed.read(5, &mut out, ReadMode::Realtime);
        assert_eq!(out.channel(0, 5), &[31.0, 32.0, 33.0, 34.0, 35.0]);
        assert_eq!(out.channel(1, 5), &[-31.0, -32.0, -33.0, -34.0, -35.0]);
    }

    /// A source placed at the timeline start is the source itself.
    #[test]
    fn placed_at_zero_is_the_source() {
        let mut placed = Placed::new(Box::new(MemorySource::new(vec![ramp(50)])), 0, 0);
        assert_eq!(read_all(&mut placed, 50, 16), ramp(50));
    }
}
