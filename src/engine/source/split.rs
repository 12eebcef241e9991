//! A stereo source made of two mono sources, one per side (a split-stereo stem: `Piano L.wav`
//! and `Piano R.wav`). Built off the audio thread; read on whichever thread mixes.

use std::sync::Arc;

use super::{ReadMode, ReadStatus, Source, StemBuffer, StreamError};
use crate::engine::health::StemHealth;

/// Two mono sources played as one stereo source: the left one on channel 0, the right one on
/// channel 1. They may differ in length: the shorter is silent after its end.
pub struct SplitStereo {
    left: Box<dyn Source>,
    right: Box<dyn Source>,
}

impl SplitStereo {
    /// The stereo source of `left` and `right`, or the reason it cannot be (one is not mono).
    ///
    /// Not realtime-safe (the sources are usually opened just before).
    pub fn new(left: Box<dyn Source>, right: Box<dyn Source>) -> Result<Self, (usize, usize)> {
        if left.channels() != 1 || right.channels() != 1 {
            return Err((left.channels(), right.channels()));
        }
        Ok(Self { left, right })
    }
}

impl Source for SplitStereo {
    fn channels(&self) -> usize {
        2
    }

    fn len_frames(&self) -> u64 {
        self.left.len_frames().max(self.right.len_frames())
    }

    fn seek(&mut self, frame: u64) {
        self.left.seek(frame);
        self.right.seek(frame);
    }

    /// Reads the right source into channel 0, swaps the channels (which moves no samples), then
    /// reads the left source into channel 0. While the sides read, the buffer is mono, so the
    /// silence either pads with stays on its own side.
    fn read(&mut self, frames: usize, out: &mut StemBuffer, mode: ReadMode) -> ReadStatus {
        out.set_channels(1);
        let right = self.right.read(frames, out, mode);
        out.swap_channels();
        let left = self.left.read(frames, out, mode);
        out.set_channels(2);
        ReadStatus {
            frames: left.frames.max(right.frames),
            underrun: left.underrun || right.underrun,
            ended: left.ended && right.ended,
            failed: left.failed || right.failed,
        }
    }

    fn wait_ready(&mut self) -> Result<(), StreamError> {
        self.left.wait_ready()?;
        self.right.wait_ready()
    }

    fn is_ready(&mut self) -> bool {
        // Both are asked: asking is what lets a stream retry a seek it could not send.
        let left = self.left.is_ready();
        let right = self.right.is_ready();
        left && right
    }

    fn health(&self) -> Option<&Arc<StemHealth>> {
        self.left.health()
    }

    fn right_health(&self) -> Option<&Arc<StemHealth>> {
        self.right.health()
    }

    fn recache(&mut self, frames: &[u64]) {
        self.left.recache(frames);
        self.right.recache(frames);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::source::MemorySource;

    fn mono(data: Vec<f32>) -> Box<dyn Source> {
        Box::new(MemorySource::new(vec![data]))
    }

    /// The left source plays on channel 0 and the right on channel 1, each on its own side
    /// only; the shorter one is silent after its end, and the pair ends with the longer.
    #[test]
    fn each_side_plays_its_own_source() {
        let mut pair = SplitStereo::new(mono(vec![1.0, 2.0, 3.0]), mono(vec![-1.0; 5])).unwrap();
        assert_eq!((pair.channels(), pair.len_frames()), (2, 5));
        let mut out = StemBuffer::new(2);
        let status = pair.read(4, &mut out, ReadMode::Realtime);
        assert_eq!(out.channels(), 2);
        assert_eq!(out.channel(0, 4), &[1.0, 2.0, 3.0, 0.0]);
        assert_eq!(out.channel(1, 4), &[-1.0; 4]);
        assert!(!status.ended);
        pair.seek(2);
        let status = pair.read(4, &mut out, ReadMode::Realtime);
        assert_eq!(out.channel(0, 4), &[3.0, 0.0, 0.0, 0.0]);
        assert_eq!(out.channel(1, 4), &[-1.0, -1.0, -1.0, 0.0]);
        assert!(status.ended);
    }

    /// A stereo source on either side is refused.
    #[test]
    fn both_sides_must_be_mono() {
        let stereo = Box::new(MemorySource::new(vec![vec![0.0], vec![0.0]]));
        assert_eq!(
            SplitStereo::new(mono(vec![0.0]), stereo).err(),
            Some((1, 2))
        );
    }
}
