//! Stem files on disk, read through creek. Probing runs on any non-realtime thread; a
//! [`StemStream`] is created off the audio thread and then read from the thread that mixes
//! (the audio thread for playback, the bounce thread for an offline render).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use creek::read::{FatalReadError, ReadError};
use creek::{Decoder, ReadDiskStream, ReadStreamOptions, SeekMode};

mod decoder;
mod gapless;

use decoder::StemDecoder;
use gapless::GaplessDecoder;
// Defined below the streams (the `Source` trait names them too); every stream reports them.
pub use super::health::{StemDamage, StemHealth};
pub use super::source::StreamError;

use super::flac_decoder::FlacDecoder;
use super::resample::Resampled;
use super::smoother::ramp_frames;
use super::source::{MAX_CACHED, ReadMode, ReadStatus, Source, StemBuffer};
use super::wav_decoder::{SampleFormat, WavDecoder};
use crate::units::frames_at;

/// What a stem file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StemInfo {
    /// A short description of the container and coding, e.g. "WAV, PCM 24-bit".
    pub format: String,
    /// Channels in the file (earmix mixes 1 or 2).
    pub channels: u16,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Length in frames.
    pub frames: u64,
}

impl StemInfo {
    /// The length in seconds.
    pub fn seconds(&self) -> f64 {
        self.frames as f64 / f64::from(self.sample_rate.max(1))
    }

    /// The length in frames at `rate`, rounded up ([`frames_at`]): what the resampler plays.
    pub fn frames_at(&self, rate: u32) -> u64 {
        frames_at(self.frames, self.sample_rate, rate)
    }
}

fn open_error(path: &Path, err: creek::OpenError) -> StreamError {
    use creek::OpenError;
    let path = path.to_path_buf();
    match err {
        OpenError::Io(e) => StreamError::Open {
            path,
            reason: e.to_string(),
        },
        OpenError::Format(e) => StreamError::Decode {
            path,
            reason: e.to_string(),
        },
        OpenError::NoDefaultTrack => StreamError::Decode {
            path,
            reason: "no audio track found".into(),
        },
        OpenError::NoNumFrames => StreamError::UnknownLength { path },
        OpenError::NoNumChannels => StreamError::Decode {
            path,
            reason: "the channel count is not stated".into(),
        },
    }
}

fn describe_format(path: &Path, params: &symphonia::core::codecs::CodecParameters) -> String {
    use symphonia::core::codecs as c;
    let container = container(path);
    let coding = match params.codec {
        c::CODEC_TYPE_PCM_S16LE | c::CODEC_TYPE_PCM_S16BE => "PCM 16-bit".to_string(),
        c::CODEC_TYPE_PCM_S24LE | c::CODEC_TYPE_PCM_S24BE => "PCM 24-bit".to_string(),
        c::CODEC_TYPE_PCM_S32LE | c::CODEC_TYPE_PCM_S32BE => "PCM 32-bit".to_string(),
        c::CODEC_TYPE_PCM_U8 | c::CODEC_TYPE_PCM_S8 => "PCM 8-bit".to_string(),
        c::CODEC_TYPE_PCM_F32LE | c::CODEC_TYPE_PCM_F32BE => "float 32-bit".to_string(),
        c::CODEC_TYPE_PCM_F64LE | c::CODEC_TYPE_PCM_F64BE => "float 64-bit".to_string(),
        c::CODEC_TYPE_FLAC => match params.bits_per_sample {
            Some(b) => format!("FLAC {b}-bit"),
            None => "FLAC".to_string(),
        },
        c::CODEC_TYPE_MP3 => "MP3".to_string(),
        c::CODEC_TYPE_VORBIS => "Vorbis".to_string(),
        other => symphonia::default::get_codecs()
            .get_codec(other)
            .map_or_else(|| "unknown coding".to_string(), |d| d.long_name.to_string()),
    };
    format!("{container}, {coding}")
}

/// Why `path` cannot be opened as a stem file, in words; `None` when it is a file (or the reason
/// is left to the decoder).
fn unopenable(path: &Path) -> Option<String> {
    use nix::errno::Errno;
    let err = match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => return None,
        Ok(meta) if meta.is_dir() => return Some("it is a folder, not a file".into()),
        Ok(_) => return Some("not a file".into()),
        Err(err) => err,
    };
    let errno = err.raw_os_error().map(Errno::from_raw);
    Some(match errno {
        Some(Errno::ELOOP) => {
            "it is a symbolic link loop (too many levels of symbolic links)".to_string()
        }
        _ if err.kind() == std::io::ErrorKind::NotFound => match std::fs::read_link(path) {
            Ok(target) => format!(
                "it is a symbolic link to {}, which does not exist",
                target.display()
            ),
            Err(_) => "no such file".to_string(),
        },
        _ => err.to_string(),
    })
}

/// The container as the file's extension says ("WAV", "FLAC"), or "audio".
fn container(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map_or_else(|| "audio".to_string(), str::to_ascii_uppercase)
}

/// Opens a stem file far enough to learn its format, channels, rate and length. The length is
/// what the file holds when that is known to be less than its header states (a WAV cut short);
/// otherwise the header's.
///
/// Not realtime-safe (file I/O).
pub fn probe(path: &Path) -> Result<StemInfo, StreamError> {
    if let Some(reason) = unopenable(path) {
        return Err(StreamError::Open {
            path: path.to_path_buf(),
            reason,
        });
    }
    let too_many = |channels: u16| StreamError::TooManyChannels {
        path: path.to_path_buf(),
        channels,
    };
    if let Ok((decoder, info)) = WavDecoder::new(path.to_path_buf(), 0, 1024, ()) {
        let spec = decoder.spec();
        if spec.channels > 2 {
            return Err(too_many(spec.channels));
        }
        let coding = match spec.format {
            SampleFormat::I16 => "PCM 16-bit",
            SampleFormat::I24 => "PCM 24-bit",
            SampleFormat::I32 => "PCM 32-bit",
            SampleFormat::F32 => "float 32-bit",
        };
        return Ok(StemInfo {
            format: format!("{}, {coding}", container(path)),
            channels: spec.channels,
            sample_rate: spec.sample_rate,
            frames: info.num_frames as u64,
        });
    }
    if let Ok((decoder, info)) = FlacDecoder::new(path.to_path_buf(), 0, 1024, ()) {
        let spec = decoder.spec();
        if spec.channels > 2 {
            return Err(too_many(spec.channels));
        }
        return Ok(StemInfo {
            format: format!("{}, FLAC {}-bit", container(path), spec.bits),
            channels: spec.channels,
            sample_rate: spec.sample_rate,
            frames: info.num_frames as u64,
        });
    }
    let (_decoder, info) = GaplessDecoder::open(path, 0).map_err(|e| open_error(path, e))?;
    let sample_rate = info.sample_rate.ok_or_else(|| StreamError::UnknownRate {
        path: path.to_path_buf(),
    })?;
    if info.channels > 2 {
        return Err(too_many(info.channels));
    }
    let header = info.frames;
    let frames =
        super::wav_decoder::layout_of(path).map_or(header, |layout| layout.frames().0.min(header));
    Ok(StemInfo {
        format: describe_format(path, &info.codec_params),
        channels: info.channels,
        sample_rate,
        frames,
    })
}

/// Frames [`scan`] decodes at a time.
const SCAN_BLOCK: usize = 16_384;

/// Reads a whole stem file, as playing it would, and returns what is wrong with it: where its
/// data stops before the length its header states, where decoding fails, and its non-finite
/// samples. Integer PCM WAV is not read through (its file size and header say all there is to
/// say). `keep_going` is asked before each block; when it says no, the scan stops and returns
/// what it found so far.
///
/// Not realtime-safe (reads the file).
pub fn scan(path: &Path, keep_going: &dyn Fn() -> bool) -> Result<Vec<StemDamage>, StreamError> {
    if let Some(reason) = unopenable(path) {
        return Err(StreamError::Open {
            path: path.to_path_buf(),
            reason,
        });
    }
    let (mut decoder, info) = StemDecoder::new(path.to_path_buf(), 0, SCAN_BLOCK, Arc::default())
        .map_err(|e| open_error(path, e))?;
    if decoder.needs_a_full_read() {
        let mut block = creek::DataBlock::new(usize::from(info.num_channels), SCAN_BLOCK);
        while decoder.current_frame() < decoder.num_frames() && keep_going() {
            block.clear();
            let Ok(()) = decoder.decode(&mut block);
        }
    }
    Ok(decoder.health().all_damage())
}

/// Caches each stem keeps beyond the planned places, for section starts added or moved while
/// the session is open, when the budget allows (allocated only when used).
pub const SPARE_CACHES: usize = 4;

/// How a [`StemStream`] buffers. Every cache holds as much as the read-ahead: `block_frames` x
/// `look_ahead_blocks` frames per channel (see [`super::stream_plan`] for what that costs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamConfig {
    /// Frames per block the I/O thread decodes at a time.
    pub block_frames: usize,
    /// Blocks decoded ahead of the read position.
    pub look_ahead_blocks: usize,
    /// Caches beyond those asked for at open, for section starts added or moved while the
    /// session is open (allocated only when used).
    pub spare_caches: usize,
}

impl StreamConfig {
    /// creek's defaults: 16384-frame blocks, 8 ahead (~2.7 s at 48 kHz), with spare caches: the
    /// longest read-ahead a playback plan chooses (see [`super::stream_plan::StreamPlan`]).
    pub const PLAYBACK: Self = Self {
        block_frames: 16_384,
        look_ahead_blocks: 8,
        spare_caches: SPARE_CACHES,
    };
    /// An offline bounce, which reads as fast as it can and never jumps: 4096-frame blocks, 16
    /// ahead (512 KiB per stereo stem). creek's I/O threads look for work every millisecond,
    /// and a bounce of 16 stems reads 8 blocks of each in under 2 ms: with 8 ahead the mixer
    /// waited for them, and a 16-bit bounce of 16 stems x 180 s took 0.48 s on under one core
    /// of two, against 0.30 s with 16 ahead (24 or 32 ahead were no faster).
    pub const BOUNCE: Self = Self {
        block_frames: 4_096,
        look_ahead_blocks: 16,
        spare_caches: 0,
    };
}

/// A linear fade-in over a fixed number of frames, started when a stream's data comes back
/// after an underrun so the return is not a click.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FadeIn {
    /// Frames faded so far; `len` when idle.
    pos: u32,
    len: u32,
}

impl FadeIn {
    /// An idle fade that, once started, lasts `len` frames (at least 1).
    fn new(len: u32) -> Self {
        let len = len.max(1);
        Self { pos: len, len }
    }

    /// Fades in the next data from silence.
    fn start(&mut self) {
        self.pos = 0;
    }

    /// Leaves the data as it is.
    fn stop(&mut self) {
        self.pos = self.len;
    }

    /// Applies the fade to frames `offset..offset + n` of every channel of `out`: the k-th frame
    /// of the fade is scaled by `(k + 1) / len`, so it ends at exactly unity.
    fn apply(&mut self, out: &mut StemBuffer, channels: usize, offset: usize, n: usize) {
        if self.pos >= self.len {
            return;
        }
        let count = n.min((self.len - self.pos) as usize);
        let len = self.len as f32;
        for ch in 0..channels {
            let data = &mut out.channel_mut(ch, offset + count)[offset..];
            for (i, x) in data.iter_mut().enumerate() {
                *x *= (self.pos as f32 + i as f32 + 1.0) / len;
            }
        }
        self.pos += count as u32;
    }
}

/// A stem streamed from disk through creek. Created off the audio thread (it opens the file and
/// starts creek's I/O thread); `read` and `seek` are then realtime-safe. When data comes back
/// after an underrun it fades in over 10 ms.
pub struct StemStream {
    stream: ReadDiskStream<StemDecoder>,
    path: PathBuf,
    channels: usize,
    frames: u64,
    sample_rate: u32,
    fade: FadeIn,
    failed: bool,
    /// What the decoder found wrong with the file.
    health: Arc<StemHealth>,
    /// A seek creek could not take yet because its message channel to the I/O thread was full
    /// (the I/O thread was starved of CPU); retried on the next read.
    pending_seek: Option<usize>,
    /// The caches asked for at open, as (cache index, file frame), ascending. They are requested
    /// from creek right after the first seek (see [`Self::request_caches`]).
    caches: Vec<(usize, usize)>,
    /// How many of `caches` have been requested from creek.
    caches_requested: usize,
    /// Whether [`Self::wait_ready`] has waited for `caches` to arrive (or given up).
    caches_awaited: bool,
    /// When the stream was opened: the first [`Self::wait_ready`] waits for the caches until
    /// [`CACHE_WAIT`] after it.
    opened: Instant,
}

/// Room for messages to creek's I/O thread: many times what steady playback needs, so a
/// starved I/O thread does not fill it (creek's default is 48 for our options).
const SERVER_CHANNEL_SIZE: usize = 512;

/// How long after a stream is opened its first [`StemStream::wait_ready`] waits at most for the
/// stream's caches to arrive. Past it, playback starts anyway (with a warning): a seek to a cache
/// that has not arrived yet then waits for its data like any uncached seek.
const CACHE_WAIT: Duration = Duration::from_secs(3);

/// The longest pause between two checks of whether a cache has arrived.
const CACHE_POLL_MAX: Duration = Duration::from_millis(32);

impl StemStream {
    /// Opens `path` positioned at `start_frame` and starts buffering.
    ///
    /// Not realtime-safe.
    pub fn open(path: &Path, start_frame: u64, config: StreamConfig) -> Result<Self, StreamError> {
        Self::open_cached(path, start_frame, &[], config)
    }

    /// Opens `path` positioned at `start_frame` and starts buffering, and keeps the data from
    /// each of `cache_frames` (frames of the file) buffered, so a seek to exactly one of them is
    /// ready at once. Each cache holds as much as the read-ahead does (see [`StreamConfig`]),
    /// and the stream has room for the config's spare caches beside them. The caches are
    /// filled in the background; the first [`Self::wait_ready`] also waits for them.
    ///
    /// Not realtime-safe.
    pub fn open_cached(
        path: &Path,
        start_frame: u64,
        cache_frames: &[u64],
        config: StreamConfig,
    ) -> Result<Self, StreamError> {
        let mut stream = Self::unstarted(path, cache_frames.len() + config.spare_caches, config)?;
        stream.cache_at(cache_frames);
        stream.start(start_frame)?;
        Ok(stream)
    }

    /// Opens `path` with room for `num_caches` caches, but does not seek: creek does no I/O
    /// until it is cached or seeked, and the caller must seek before reading or waiting.
    fn unstarted(
        path: &Path,
        num_caches: usize,
        config: StreamConfig,
    ) -> Result<Self, StreamError> {
        let health = Arc::new(StemHealth::default());
        let opts = ReadStreamOptions {
            additional_opts: Arc::clone(&health),
            block_size: config.block_frames,
            num_look_ahead_blocks: config.look_ahead_blocks,
            num_cache_blocks: 0,
            num_caches: num_caches.max(1),
            server_msg_channel_size: Some(SERVER_CHANNEL_SIZE),
        };
        // Open at the file start: a start past the end of a short stem is legal (it is silent
        // there) but creek cannot open a file positioned past its end.
        let stream = ReadDiskStream::<StemDecoder>::new(path.to_path_buf(), 0, opts)
            .map_err(|e| open_error(path, e))?;
        let channels = usize::from(stream.info().num_channels);
        if channels > 2 {
            return Err(StreamError::TooManyChannels {
                path: path.to_path_buf(),
                channels: stream.info().num_channels,
            });
        }
        let sample_rate = stream
            .info()
            .sample_rate
            .filter(|&r| r > 0)
            .ok_or_else(|| StreamError::UnknownRate {
                path: path.to_path_buf(),
            })?;
        let frames = stream.info().num_frames as u64;
        Ok(Self {
            stream,
            path: path.to_path_buf(),
            channels,
            frames,
            sample_rate,
            fade: FadeIn::new(ramp_frames(sample_rate)),
            failed: false,
            health,
            pending_seek: None,
            caches: Vec::new(),
            caches_requested: 0,
            caches_awaited: false,
            opened: Instant::now(),
        })
    }

    /// Keeps one cache filled from each of `frames` (frames of the file; duplicates and frames
    /// past the end are skipped; at most as many distinct frames as the stream has caches are
    /// used). Call before the first seek: the caches are requested right after it (see
    /// [`Self::request_caches`]).
    fn cache_at(&mut self, frames: &[u64]) {
        let mut wanted: Vec<u64> = frames
            .iter()
            .copied()
            .filter(|&f| f < self.frames)
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        wanted.truncate(self.stream.num_caches());
        self.caches = wanted
            .into_iter()
            .enumerate()
            .map(|(index, frame)| (index, frame as usize))
            .collect();
        // Room for every cache the stream has, so `recache` never allocates.
        let room = self.stream.num_caches().saturating_sub(self.caches.len());
        self.caches.reserve_exact(room);
    }

    /// Points the stream's caches at `frames` (frames of the file, most wanted first, at most
    /// [`MAX_CACHED`]): of them, the first as many distinct frames inside the file as the
    /// stream has caches are wanted. A frame already cached stays; a wanted one not yet cached
    /// takes a cache not yet used, or one whose frame is no longer wanted. The rest are left
    /// out.
    ///
    /// Realtime-safe (no allocation: `caches` has room for every cache).
    fn recache_file_frames(&mut self, frames: &[u64]) {
        if self.failed {
            return;
        }
        let slots = self.stream.num_caches().min(self.caches.capacity());
        let mut wanted = [0u64; MAX_CACHED];
        let mut count = 0;
        for &frame in frames {
            if count == slots.min(MAX_CACHED) {
                break;
            }
            if frame < self.frames && !wanted[..count].contains(&frame) {
                wanted[count] = frame;
                count += 1;
            }
        }
        let wanted = &wanted[..count];
        for &frame in wanted {
            let frame = frame as usize;
            if self.caches.iter().any(|&(_, f)| f == frame) {
                continue;
            }
            let index = if self.caches.len() < slots {
                let index = self.caches.len();
                self.caches.push((index, frame));
                index
            } else if let Some(slot) = self
                .caches
                .iter_mut()
                .find(|(_, f)| !wanted.contains(&(*f as u64)))
            {
                slot.1 = frame;
                slot.0
            } else {
                continue;
            };
            match self.stream.cache(index, frame) {
                Ok(_) | Err(ReadError::IOServerChannelFull) => {}
                Err(_) => self.failed = true,
            }
        }
        self.caches_requested = self.caches.len();
    }

    /// Whether the data at `frame` (of the file) is cached and has arrived. Asks creek for that
    /// cache again when it has not arrived (which is harmless). For tests and diagnostics.
    ///
    /// Not for the audio thread.
    pub fn has_cached(&mut self, frame: u64) -> bool {
        let _ = self.stream.is_ready();
        let Some(&(index, at)) = self.caches.iter().find(|&&(_, f)| f as u64 == frame) else {
            return false;
        };
        matches!(self.stream.cache(index, at), Ok(false))
    }

    /// Asks creek for the caches not asked for yet. Called right after the first seek: creek's
    /// I/O thread takes every message waiting for it at once and then fills the caches asked
    /// for last first, so the caches sent after the seek are (normally) filled before the
    /// seek's own data, and once the seek's data is there, so are they (which
    /// [`Self::wait_ready`] checks). When the message channel is full, the rest are asked for on
    /// the next seek or wait.
    ///
    /// Realtime-safe.
    fn request_caches(&mut self) -> Result<(), ReadError<std::convert::Infallible>> {
        while let Some(&(index, frame)) = self.caches.get(self.caches_requested) {
            match self.stream.cache(index, frame) {
                Ok(_) => self.caches_requested += 1,
                Err(ReadError::IOServerChannelFull) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The first seek of an [`Self::unstarted`] stream, which starts its I/O.
    fn start(&mut self, frame: u64) -> Result<(), StreamError> {
        self.stream
            .seek(frame.min(self.frames) as usize, SeekMode::Auto)
            .map_err(|e| read_error(&self.path, &e))?;
        self.request_caches()
            .map_err(|e| read_error(&self.path, &e))
    }

    /// Seeks creek's stream; when its channel to the I/O thread is full, remembers the frame to
    /// try again on the next read. Only a fatal error fails the stream.
    ///
    /// Realtime-safe.
    fn try_seek(&mut self, frame: usize) {
        match self.stream.seek(frame, SeekMode::Auto) {
            Ok(_) => {
                self.pending_seek = None;
                if self.caches_requested < self.caches.len() && self.request_caches().is_err() {
                    self.failed = true;
                }
            }
            Err(ReadError::IOServerChannelFull) => self.pending_seek = Some(frame),
            Err(_) => {
                self.pending_seek = None;
                self.failed = true;
            }
        }
    }

    /// Waits until data at the read position is buffered. The first call also waits until every
    /// cache asked for at open has arrived, so that a later seek to one of them (a loop wrap, a
    /// jump to a section) plays at once; it waits for those until `CACHE_WAIT` (3 s) after the
    /// open at most, then warns and returns.
    ///
    /// Not realtime-safe.
    pub fn wait_ready(&mut self) -> Result<(), StreamError> {
        while let Some(frame) = self.pending_seek.filter(|_| !self.failed) {
            std::thread::sleep(Duration::from_millis(1));
            self.try_seek(frame);
        }
        if self.failed {
            return Err(StreamError::Read {
                path: self.path.clone(),
                reason: "the stream stopped after an earlier error".into(),
            });
        }
        while self.caches_requested < self.caches.len() {
            // The message channel was full: wait for the I/O thread to take some.
            std::thread::sleep(Duration::from_millis(1));
            self.stream
                .is_ready()
                .and_then(|_| self.request_caches())
                .map_err(|e| read_error(&self.path, &e))?;
        }
        self.stream
            .block_until_ready()
            .map_err(|e| read_error(&self.path, &e))?;
        if !self.caches_awaited {
            self.caches_awaited = true;
            self.wait_for_caches()?;
        }
        Ok(())
    }

    /// Waits until every cache asked for at open has arrived from creek's I/O thread, until
    /// [`CACHE_WAIT`] after the open at most. creek offers no way to look at a cache, but asking
    /// for a cache again at the same frame does nothing (and says so) once it has arrived; before
    /// that, it asks the I/O thread again, which then fills that cache next (it serves the latest
    /// request first). Arrivals are only taken in when the stream is polled (`is_ready`), which
    /// has no other effect before playback reads.
    ///
    /// Normally the caches have arrived with the data at the read position (see
    /// [`Self::request_caches`]) and each is checked once. Otherwise each failed check costs the
    /// I/O thread one more fill of that cache, so the checks back off.
    ///
    /// Not realtime-safe (sleeps).
    fn wait_for_caches(&mut self) -> Result<(), StreamError> {
        if self.caches.is_empty() {
            return Ok(());
        }
        let deadline = self.opened + CACHE_WAIT;
        let waiting = Instant::now();
        let mut pause = Duration::from_millis(1);
        let mut asked_again = 0;
        // Check in the order the I/O thread fills them: the latest request first.
        let mut left = self.caches.len();
        while left > 0 {
            let (index, frame) = self.caches[left - 1];
            match self.stream.is_ready() {
                Ok(_) | Err(ReadError::IOServerChannelFull) => {}
                Err(e) => return Err(read_error(&self.path, &e)),
            }
            match self.stream.cache(index, frame) {
                // It was there already: nothing was sent.
                Ok(false) => {
                    left -= 1;
                    continue;
                }
                // It was not: it has been asked for again.
                Ok(true) => asked_again += 1,
                // No room to check: later.
                Err(ReadError::IOServerChannelFull) => {}
                Err(e) => return Err(read_error(&self.path, &e)),
            }
            if Instant::now() >= deadline {
                tracing::warn!(
                    "{}: {left} of {} cached positions had not loaded {:.1} s after opening; \
                     a jump to one of them may wait for its data",
                    self.path.display(),
                    self.caches.len(),
                    CACHE_WAIT.as_secs_f32()
                );
                return Ok(());
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(CACHE_POLL_MAX);
        }
        tracing::debug!(
            "{}: {} caches loaded {:.1} ms after opening (waited {:.1} ms, asked again {asked_again} \
             times)",
            self.path.display(),
            self.caches.len(),
            self.opened.elapsed().as_secs_f64() * 1e3,
            waiting.elapsed().as_secs_f64() * 1e3
        );
        Ok(())
    }

    /// The file being streamed.
    ///
    /// Realtime-safe.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's sample rate.
    ///
    /// Realtime-safe.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }
}

/// Opens a stem for a mix running at `mix_rate`: a [`StemStream`], wrapped in a [`Resampled`]
/// when the file is at another rate. It starts at timeline frame `start_frame` and keeps the
/// data at each of `cache_frames` buffered (timeline frames at `mix_rate`, e.g. section starts),
/// so a seek to exactly one of them plays at once (the first `wait_ready` waits for them).
///
/// Not realtime-safe (opens the file, starts creek's I/O thread, allocates).
pub fn open_stem(
    path: &Path,
    mix_rate: u32,
    start_frame: u64,
    cache_frames: &[u64],
    config: StreamConfig,
) -> Result<Box<dyn Source>, StreamError> {
    let mut stream = StemStream::unstarted(path, cache_frames.len() + config.spare_caches, config)?;
    let rate = stream.sample_rate;
    if rate == mix_rate {
        stream.cache_at(cache_frames);
        stream.start(start_frame)?;
        return Ok(Box::new(stream));
    }
    let resample_error = |e: super::resample::ResampleError| StreamError::Resample {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let caches = cache_frames
        .iter()
        .map(|&frame| Resampled::<StemStream>::source_frame(rate, mix_rate, frame))
        .collect::<Result<Vec<u64>, _>>()
        .map_err(resample_error)?;
    stream.cache_at(&caches);
    // This seeks the stream, which starts its I/O and asks for the caches.
    let resampled = Resampled::new(stream, rate, mix_rate, start_frame).map_err(resample_error)?;
    if resampled.inner().failed {
        return Err(StreamError::Read {
            path: path.to_path_buf(),
            reason: "the first seek failed".into(),
        });
    }
    Ok(Box::new(resampled))
}

fn read_error(path: &Path, err: &ReadError<std::convert::Infallible>) -> StreamError {
    let reason = match err {
        ReadError::FatalError(FatalReadError::StreamClosed) => {
            "the stream stopped after an earlier error".to_string()
        }
        ReadError::IOServerChannelFull => {
            "its reading thread fell behind (the machine is too busy?)".to_string()
        }
        other => other.to_string(),
    };
    StreamError::Read {
        path: path.to_path_buf(),
        reason,
    }
}

impl Source for StemStream {
    fn channels(&self) -> usize {
        self.channels
    }

    fn health(&self) -> Option<&Arc<StemHealth>> {
        Some(&self.health)
    }

    fn recache(&mut self, frames: &[u64]) {
        self.recache_file_frames(frames);
    }

    fn len_frames(&self) -> u64 {
        self.frames
    }

    /// A seek is a cut: a fade-in still pending from an underrun is dropped.
    fn seek(&mut self, frame: u64) {
        if self.failed {
            return;
        }
        self.fade.stop();
        self.try_seek(frame.min(self.frames) as usize);
    }

    fn read(&mut self, frames: usize, out: &mut StemBuffer, mode: ReadMode) -> ReadStatus {
        let mut status = ReadStatus::default();
        let mut done = 0;
        while done < frames {
            if let Some(frame) = self.pending_seek {
                self.try_seek(frame);
            }
            if self.failed {
                status.failed = true;
                break;
            }
            if self.pending_seek.is_some() {
                if mode == ReadMode::Blocking {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                    continue;
                }
                status.underrun = true;
                break;
            }
            if self.stream.playhead() as u64 >= self.frames {
                status.ended = true;
                break;
            }
            match self.stream.is_ready() {
                Ok(true) => {}
                Ok(false) if mode == ReadMode::Blocking => {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                    continue;
                }
                Ok(false) | Err(ReadError::IOServerChannelFull) => {
                    status.underrun = true;
                    break;
                }
                Err(_) => {
                    self.failed = true;
                    continue;
                }
            }
            let want = frames - done;
            match self.stream.read(want) {
                Ok(data) => {
                    let n = data.num_frames();
                    for ch in 0..self.channels {
                        out.channel_mut(ch, frames)[done..done + n]
                            .copy_from_slice(data.read_channel(ch));
                    }
                    self.fade.apply(out, self.channels, done, n);
                    done += n;
                    status.frames = done;
                    if data.reached_end_of_file() {
                        status.ended = true;
                        break;
                    }
                }
                Err(ReadError::EndOfFile) => {
                    status.ended = true;
                    break;
                }
                Err(ReadError::IOServerChannelFull) => {
                    status.underrun = true;
                    break;
                }
                Err(_) => self.failed = true,
            }
        }
        if done < frames {
            out.silence(done, frames - done);
            if status.underrun {
                // Silence was played: the data fades in when it comes back.
                self.fade.start();
                // creek's playhead only moves on reads; keep the timeline moving so the stem
                // stays in step with the others once its data arrives.
                let from = self.pending_seek.unwrap_or_else(|| self.stream.playhead());
                self.try_seek((from + (frames - done)).min(self.frames as usize));
            }
        }
        status
    }

    fn wait_ready(&mut self) -> Result<(), StreamError> {
        StemStream::wait_ready(self)
    }

    fn is_ready(&mut self) -> bool {
        if let Some(frame) = self.pending_seek {
            self.try_seek(frame);
        }
        if self.failed {
            return true;
        }
        if self.pending_seek.is_some() {
            return false;
        }
        if self.stream.playhead() as u64 >= self.frames {
            return true;
        }
        match self.stream.is_ready() {
            Ok(ready) => ready,
            Err(ReadError::IOServerChannelFull) => false,
            Err(_) => {
                self.failed = true;
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file that is neither WAV nor anything symphonia reads is a decode error naming it.
    #[test]
    fn unreadable_file_is_a_decode_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("noise.wav");
        std::fs::write(&path, b"RIFF\x04\x00\x00\x00WAVEjunk").unwrap();
        let err = StemStream::open(&path, 0, StreamConfig::PLAYBACK)
            .err()
            .unwrap();
        assert!(
            matches!(&err, StreamError::Decode { path: p, .. } if *p == path),
            "{err}"
        );
    }

    /// Writes a mono float WAV.
    fn write_mono(path: &Path, rate: u32, samples: &[f32]) {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::create(path, spec).unwrap();
        for &x in samples {
            writer.write_sample(x).unwrap();
        }
        writer.finalize().unwrap();
    }

    /// Small blocks, so tests decode little.
    const SMALL: StreamConfig = StreamConfig {
        block_frames: 4096,
        look_ahead_blocks: 4,
        spare_caches: 0,
    };

    /// Seeks and reads `frames` frames in realtime mode at once; false if the data was not
    /// there yet.
    fn ready_at_once(source: &mut dyn Source, frame: u64, frames: usize) -> bool {
        let mut buf = StemBuffer::new(source.channels());
        source.seek(frame);
        !source.read(frames, &mut buf, ReadMode::Realtime).underrun
    }

    /// Polls until a seek to `frame` is ready at once (its cache has been filled), for at most
    /// ten seconds.
    fn wait_for_cache(source: &mut dyn Source, frame: u64) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if ready_at_once(source, frame, 256) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        false
    }

    /// A fade-in scales the k-th frame by (k + 1) / len across reads of any size, ends at
    /// exactly unity, leaves data alone when idle, and stops when told.
    #[test]
    fn fade_in_is_linear_and_ends_at_unity() {
        let mut fade = FadeIn::new(10);
        let mut buf = StemBuffer::new(2);
        let mut faded = Vec::new();
        fade.start();
        for n in [3, 1, 4, 6] {
            buf.channel_mut(0, n).fill(1.0);
            buf.channel_mut(1, n).fill(-2.0);
            fade.apply(&mut buf, 2, 0, n);
            assert_eq!(buf.channel(1, n)[0], -2.0 * buf.channel(0, n)[0]);
            faded.extend_from_slice(buf.channel(0, n));
        }
        let want: Vec<f32> = (1..=10).map(|k| k as f32 / 10.0).chain([1.0; 4]).collect();
        assert_eq!(faded, want);
        // Idle: untouched, at an offset too.
        buf.channel_mut(0, 8).fill(0.5);
        fade.apply(&mut buf, 1, 2, 6);
        assert!(buf.channel(0, 8).iter().all(|x| *x == 0.5));
        fade.start();
        fade.stop();
        fade.apply(&mut buf, 1, 0, 8);
        assert!(buf.channel(0, 8).iter().all(|x| *x == 0.5));
    }

    /// When a stream underruns (it plays silence), the data that comes back fades in linearly
    /// over 10 ms (480 frames at 48 kHz) instead of starting with a click.
    #[test]
    fn data_after_an_underrun_fades_in_over_10_ms() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dc.wav");
        write_mono(&path, 48_000, &vec![0.5; 200_000]);
        let mut stream = StemStream::open(&path, 0, SMALL).unwrap();
        stream.wait_ready().unwrap();
        let mut buf = StemBuffer::new(1);
        // Data that is buffered plays at full level.
        let status = stream.read(100, &mut buf, ReadMode::Realtime);
        assert!(!status.underrun && buf.channel(0, 100).iter().all(|x| *x == 0.5));
        // A seek far away is not buffered yet: reading at once underruns.
        let underran = (0..50u64).any(|i| !ready_at_once(&mut stream, 100_000 + i * 1_000, 64));
        assert!(
            underran,
            "the I/O thread was always faster than a read straight after a seek"
        );
        stream.wait_ready().unwrap();
        let status = stream.read(1_000, &mut buf, ReadMode::Realtime);
        assert_eq!((status.frames, status.underrun), (1_000, false));
        let got = buf.channel(0, 1_000);
        for (k, x) in got[..480].iter().enumerate() {
            let want = 0.5 * (k as f32 + 1.0) / 480.0;
            assert!((x - want).abs() < 1e-6, "frame {k}: {x} vs {want}");
        }
        assert!(got[480..].iter().all(|x| *x == 0.5));
    }

    /// A seek to a cached frame plays at once, even after the stream has read elsewhere.
    #[test]
    fn seek_to_a_cached_frame_is_ready_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ramp.wav");
        let ramp: Vec<f32> = (0..300_000).map(|i| i as f32 / 300_000.0).collect();
        write_mono(&path, 48_000, &ramp);
        let mut stream = open_stem(&path, 48_000, 0, &[150_000, 250_000], SMALL).unwrap();
        stream.wait_ready().unwrap();
        assert!(wait_for_cache(stream.as_mut(), 150_000));
        assert!(wait_for_cache(stream.as_mut(), 250_000));
        for frame in [150_000, 250_000, 150_000] {
            stream.seek(60_000);
            stream.wait_ready().unwrap();
            let mut buf = StemBuffer::new(1);
            stream.seek(frame);
            let status = stream.read(4_096, &mut buf, ReadMode::Realtime);
            assert!(!status.underrun, "seek to {frame} had to wait");
            assert_eq!(
                buf.channel(0, 4_096),
                &ramp[frame as usize..frame as usize + 4_096]
            );
        }
    }

    /// With more places wanted than caches, the stream keeps the first ones in the caller's
    /// order: a cache whose frame fell out of them is re-pointed at a wanted one, whose data
    /// then arrives, and the session start stays.
    #[test]
    fn recache_keeps_the_most_wanted_frames() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ramp.wav");
        let ramp: Vec<f32> = (0..300_000).map(|i| i as f32 / 300_000.0).collect();
        write_mono(&path, 48_000, &ramp);
        // Two caches, no spare.
        let mut stream = StemStream::open_cached(&path, 0, &[0, 100_000], SMALL).unwrap();
        stream.wait_ready().unwrap();
        assert!(stream.has_cached(0) && stream.has_cached(100_000));
        // 250 000 is now wanted before 100 000, and there is room for two.
        crate::engine::source::Source::recache(&mut stream, &[0, 250_000, 100_000]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !stream.has_cached(250_000) {
            assert!(Instant::now() < deadline, "the cache never arrived");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(stream.has_cached(0));
        assert!(!stream.has_cached(100_000));
    }

    /// When the caches are asked for, relative to the first seek.
    #[derive(Debug, Clone, Copy)]
    enum Asked {
        /// Right after it, as streams do: they come with the seek's data.
        WithTheSeek,
        /// Before it: creek's I/O thread fills them after the seek's data.
        BeforeTheSeek,
        /// Once the seek's data is there: none has arrived when `wait_ready` first checks.
        AfterTheSeeksData,
    }

    /// The first `wait_ready` returns only once every cache has arrived, whenever they were
    /// asked for and whatever order creek's I/O thread fills them in: a seek to any of them
    /// straight after plays at once.
    #[test]
    fn the_first_wait_ready_waits_for_every_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ramp.wav");
        let ramp: Vec<f32> = (0..300_000).map(|i| i as f32 / 300_000.0).collect();
        write_mono(&path, 48_000, &ramp);
        let frames = [0, 100_000, 150_000, 250_000];
        for asked in [
            Asked::WithTheSeek,
            Asked::BeforeTheSeek,
            Asked::AfterTheSeeksData,
        ] {
            let mut stream = StemStream::unstarted(&path, frames.len(), SMALL).unwrap();
            match asked {
                Asked::WithTheSeek => {
                    stream.cache_at(&frames);
                    stream.start(60_000).unwrap();
                }
                Asked::BeforeTheSeek => {
                    stream.cache_at(&frames);
                    stream.request_caches().unwrap();
                    stream.start(60_000).unwrap();
                }
                Asked::AfterTheSeeksData => {
                    stream.start(60_000).unwrap();
                    stream.stream.block_until_ready().unwrap();
                    stream.cache_at(&frames);
                    stream.request_caches().unwrap();
                }
            }
            stream.wait_ready().unwrap();
            for frame in frames {
                let mut buf = StemBuffer::new(1);
                crate::engine::source::Source::seek(&mut stream, frame);
                let status = stream.read(4_096, &mut buf, ReadMode::Realtime);
                assert!(
                    !status.underrun,
                    "seek to {frame} had to wait (caches asked for {asked:?})"
                );
                let frame = frame as usize;
                assert_eq!(buf.channel(0, 4_096), &ramp[frame..frame + 4_096]);
            }
        }
    }

    /// A burst of seeks faster than creek's I/O thread can answer (its message channel fills)
    /// never fails the stream: the last seek is kept and taken later, and the stream then plays
    /// the file's data from there.
    #[test]
    fn a_flood_of_seeks_does_not_fail_the_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ramp.wav");
        let ramp: Vec<f32> = (0..200_000).map(|i| i as f32 / 200_000.0).collect();
        write_mono(&path, 48_000, &ramp);
        let mut stream = StemStream::open(&path, 0, SMALL).unwrap();
        stream.wait_ready().unwrap();
        let mut full = false;
        for i in 0..20_000u64 {
            crate::engine::source::Source::seek(&mut stream, (i * 7919) % 190_000);
            full |= stream.pending_seek.is_some();
        }
        let target = 123_456;
        crate::engine::source::Source::seek(&mut stream, target);
        crate::engine::source::Source::wait_ready(&mut stream).unwrap();
        let mut buf = StemBuffer::new(1);
        let status =
            crate::engine::source::Source::read(&mut stream, 1_000, &mut buf, ReadMode::Blocking);
        assert!(!status.failed, "the stream failed (channel filled: {full})");
        assert_eq!(buf.channel(0, 1_000), &ramp[123_456..124_456]);
    }

    /// A stem at another rate than the mix is resampled: its length is at the mix rate, it
    /// plays what [`Resampled`] makes of the file, and a seek to a cached timeline frame plays
    /// at once.
    #[test]
    fn a_stem_at_another_rate_is_resampled_and_cached() {
        use crate::engine::source::MemorySource;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("44k.wav");
        let wave: Vec<f32> = (0..100_001)
            .map(|i| (i as f32 * 0.0123).sin() * 0.7)
            .collect();
        write_mono(&path, 44_100, &wave);
        let cached = 80_000;
        let mut stream = open_stem(&path, 48_000, 10_000, &[cached], SMALL).unwrap();
        assert_eq!(stream.len_frames(), 108_845); // ceil(100001 * 48000 / 44100 = 108844.9)
        stream.wait_ready().unwrap();
        let mut reference =
            Resampled::new(MemorySource::new(vec![wave]), 44_100, 48_000, 10_000).unwrap();
        let (mut got, mut want) = (StemBuffer::new(1), StemBuffer::new(1));
        stream.read(3_000, &mut got, ReadMode::Blocking);
        reference.read(3_000, &mut want, ReadMode::Blocking);
        assert_eq!(got.channel(0, 3_000), want.channel(0, 3_000));
        assert!(wait_for_cache(stream.as_mut(), cached));
        stream.seek(20_000);
        stream.wait_ready().unwrap();
        stream.seek(cached);
        let status = stream.read(4_096, &mut got, ReadMode::Realtime);
        assert!(!status.underrun, "seek to the cached frame had to wait");
        reference.seek(cached);
        reference.read(4_096, &mut want, ReadMode::Blocking);
        assert_eq!(got.channel(0, 4_096), want.channel(0, 4_096));
    }
}
