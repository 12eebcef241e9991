//! Where a strip's audio comes from. Sources are created off the audio thread and then read on
//! whichever thread mixes; `read` and `seek` are realtime-safe for every source.

use std::path::PathBuf;
use std::sync::Arc;

use super::health::StemHealth;

mod placed;
mod split;

pub use placed::Placed;
pub use split::SplitStereo;

/// A stem file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// The file is not there or cannot be read.
    #[error("cannot open {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    /// The file is there but is not audio earmix can decode.
    #[error("cannot decode {path}: {reason} (earmix reads WAV, FLAC, MP3, Ogg Vorbis and AIFF)")]
    Decode { path: PathBuf, reason: String },
    /// The file does not say how long it is, so it cannot be streamed.
    #[error("{path} does not state its length in frames; convert it to WAV or FLAC")]
    UnknownLength { path: PathBuf },
    /// The file does not say its sample rate.
    #[error("{path} does not state its sample rate")]
    UnknownRate { path: PathBuf },
    /// More than two channels.
    #[error("{path} has {channels} channels; earmix mixes mono or stereo stems only")]
    TooManyChannels { path: PathBuf, channels: u16 },
    /// Reading failed while streaming.
    #[error("reading {path} failed: {reason}")]
    Read { path: PathBuf, reason: String },
    /// The stem's rate cannot be converted to the mix rate.
    #[error("cannot play {path}: {reason}")]
    Resample { path: PathBuf, reason: String },
}

/// How long playback holds after a jump while sources load, before it plays on and lets late
/// ones underrun (and fade in when their data arrives).
pub const MAX_BUFFERING_SECONDS: f64 = 1.0;

/// The largest block a strip input holds; longer requests are processed in pieces.
pub const MAX_BLOCK: usize = 8192;

/// How a source behaves when its data is not ready yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMode {
    /// Return silence at once and report an underrun (the audio thread never waits).
    Realtime,
    /// Wait until the data is there (offline bounce; not realtime-safe).
    Blocking,
}

/// What one read produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadStatus {
    /// Frames of real data written (the rest of the request is silence).
    pub frames: usize,
    /// The data was not ready and silence was played instead.
    pub underrun: bool,
    /// The source has no more data past this read.
    pub ended: bool,
    /// Reading failed; the source now plays silence.
    pub failed: bool,
}

/// A strip's input buffer: one or two planar channels of up to [`MAX_BLOCK`] frames.
#[derive(Debug, Clone)]
pub struct StemBuffer {
    channels: usize,
    data: [Vec<f32>; 2],
}

impl StemBuffer {
    /// A zeroed buffer for `channels` (1 or 2) channels. Not realtime-safe (allocates).
    pub fn new(channels: usize) -> Self {
        let channels = channels.clamp(1, 2);
        Self {
            channels,
            data: [vec![0.0; MAX_BLOCK], vec![0.0; MAX_BLOCK]],
        }
    }

    /// Switches between mono (1) and stereo (2) for a new source; both channel buffers always
    /// exist, so nothing is allocated.
    ///
    /// Realtime-safe.
    pub fn set_channels(&mut self, channels: usize) {
        self.channels = channels.clamp(1, 2);
    }

    /// Exchanges the two channels' samples (their buffers change places; nothing is copied).
    ///
    /// Realtime-safe.
    pub fn swap_channels(&mut self) {
        self.data.swap(0, 1);
    }

    /// 1 for mono, 2 for stereo.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The first `frames` samples of channel `ch`.
    pub fn channel(&self, ch: usize, frames: usize) -> &[f32] {
        &self.data[ch][..frames]
    }

    /// The first `frames` samples of channel `ch`, for writing.
    pub fn channel_mut(&mut self, ch: usize, frames: usize) -> &mut [f32] {
        &mut self.data[ch][..frames]
    }

    /// Zeroes `frames` samples from `offset` in every channel.
    ///
    /// Realtime-safe.
    pub fn silence(&mut self, offset: usize, frames: usize) {
        for ch in 0..self.channels {
            self.data[ch][offset..offset + frames].fill(0.0);
        }
    }
}

/// A strip's audio: a stem streamed from disk, or samples in memory.
pub trait Source: Send {
    /// 1 (mono) or 2 (stereo).
    fn channels(&self) -> usize;

    /// Length in frames; reads past it give silence.
    fn len_frames(&self) -> u64;

    /// Moves the read position to `frame`.
    ///
    /// Realtime-safe.
    fn seek(&mut self, frame: u64);

    /// Fills the first `frames` samples of each channel of `out` (`frames <= MAX_BLOCK`) from the
    /// read position and advances it. What is not data is silence.
    ///
    /// Realtime-safe in [`ReadMode::Realtime`].
    fn read(&mut self, frames: usize, out: &mut StemBuffer, mode: ReadMode) -> ReadStatus;

    /// Waits until data at the read position is buffered (sources in memory always are), so
    /// playback can start without an underrun.
    ///
    /// Not realtime-safe (blocks).
    fn wait_ready(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    /// False while data at the read position is still loading (after a jump to a place that was
    /// not cached). A source that failed or is past its end has nothing to wait for.
    ///
    /// Realtime-safe.
    fn is_ready(&mut self) -> bool {
        true
    }

    /// What the decoder found wrong with the stem file behind this source (`None` for sources
    /// in memory).
    ///
    /// Realtime-safe.
    fn health(&self) -> Option<&Arc<StemHealth>> {
        None
    }

    /// What the decoder found wrong with the right-hand file of a split-stereo stem (`None`
    /// for every other source: [`Self::health`] covers its one file).
    ///
    /// Realtime-safe.
    fn right_health(&self) -> Option<&Arc<StemHealth>> {
        None
    }

    /// Keeps the data at each of `frames` (timeline frames, at most [`MAX_CACHED`]) loaded from
    /// now on, so a jump to one of them plays at once (after the sections changed). Caches no
    /// longer wanted are reused; frames beyond the source's caches are left uncached. Sources in
    /// memory have nothing to load.
    ///
    /// Realtime-safe.
    fn recache(&mut self, frames: &[u64]) {
        let _ = frames;
    }
}

/// The most positions a source keeps cached.
pub const MAX_CACHED: usize = 64;

/// Samples held in memory (tests, generated signals).
#[derive(Debug, Clone)]
pub struct MemorySource {
    data: Vec<Vec<f32>>,
    pos: u64,
}

impl MemorySource {
    /// A source over planar channels (1 or 2, of equal length). Not realtime-safe.
    pub fn new(data: Vec<Vec<f32>>) -> Self {
        assert!(
            matches!(data.len(), 1 | 2),
            "a memory source has 1 or 2 channels"
        );
        assert!(
            data.iter().all(|c| c.len() == data[0].len()),
            "channels differ in length"
        );
        Self { data, pos: 0 }
    }
}

impl Source for MemorySource {
    fn channels(&self) -> usize {
        self.data.len()
    }

    fn len_frames(&self) -> u64 {
        self.data[0].len() as u64
    }

    fn seek(&mut self, frame: u64) {
        self.pos = frame;
    }

    fn read(&mut self, frames: usize, out: &mut StemBuffer, _mode: ReadMode) -> ReadStatus {
        let len = self.len_frames();
        let start = self.pos.min(len) as usize;
        let available = (len as usize - start).min(frames);
        for (ch, data) in self.data.iter().enumerate() {
            let dst = out.channel_mut(ch, frames);
            dst[..available].copy_from_slice(&data[start..start + available]);
            dst[available..].fill(0.0);
        }
        self.pos += frames as u64;
        ReadStatus {
            frames: available,
            underrun: false,
            ended: self.pos >= len,
            failed: false,
        }
    }
}
