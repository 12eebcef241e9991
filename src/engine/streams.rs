//! Stem files on disk, read through creek. Probing runs on any non-realtime thread; a
//! [`StemStream`] is created off the audio thread and then read from the thread that mixes
//! (the audio thread for playback, the bounce thread for an offline render).

use std::path::{Path, PathBuf};

use creek::read::ReadError;
use creek::{
    DataBlock, Decoder, FileInfo, ReadDiskStream, ReadStreamOptions, SeekMode, SymphoniaDecoder,
};

use super::wav_decoder::{WavDecoder, WavError};

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
}

/// A stem file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// The file is not there or cannot be read.
    #[error("cannot open {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    /// The file is there but is not audio earmix can decode.
    #[error("cannot decode {path}: {reason} (earmix reads WAV, FLAC, MP3 and Ogg Vorbis)")]
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
    let container = path
        .extension()
        .and_then(|e| e.to_str())
        .map_or_else(|| "audio".to_string(), str::to_ascii_uppercase);
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

/// Opens a stem file far enough to learn its format, channels, rate and length.
///
/// Not realtime-safe (file I/O).
pub fn probe(path: &Path) -> Result<StemInfo, StreamError> {
    if !path.is_file() {
        let reason = if path.exists() {
            "not a file"
        } else {
            "no such file"
        };
        return Err(StreamError::Open {
            path: path.to_path_buf(),
            reason: reason.into(),
        });
    }
    let (_decoder, info) =
        SymphoniaDecoder::new(path.to_path_buf(), 0, 1024, ()).map_err(|e| open_error(path, e))?;
    let sample_rate = info.sample_rate.ok_or_else(|| StreamError::UnknownRate {
        path: path.to_path_buf(),
    })?;
    if info.num_channels > 2 {
        return Err(StreamError::TooManyChannels {
            path: path.to_path_buf(),
            channels: info.num_channels,
        });
    }
    Ok(StemInfo {
        format: describe_format(path, &info.params.codec_params),
        channels: info.num_channels,
        sample_rate,
        frames: info.num_frames as u64,
    })
}

/// How a [`StemStream`] buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamConfig {
    /// Frames per block the I/O thread decodes at a time.
    pub block_frames: usize,
    /// Blocks decoded ahead of the read position.
    pub look_ahead_blocks: usize,
}

impl StreamConfig {
    /// creek's defaults: 16384-frame blocks, 8 ahead (~2.7 s at 48 kHz), for playback.
    pub const PLAYBACK: Self = Self {
        block_frames: 16_384,
        look_ahead_blocks: 8,
    };
    /// Larger look-ahead for an offline bounce, which reads as fast as it can.
    pub const BOUNCE: Self = Self {
        block_frames: 16_384,
        look_ahead_blocks: 16,
    };
}

/// The decoder behind a [`StemStream`], on creek's I/O thread: uncompressed WAV through the fast
/// [`WavDecoder`], everything else (and any WAV it refuses) through symphonia.
enum StemDecoder {
    Wav(WavDecoder),
    Other(SymphoniaDecoder),
}

/// A read that failed while streaming.
#[derive(Debug, thiserror::Error)]
enum StemDecodeError {
    #[error(transparent)]
    Wav(#[from] WavError),
    #[error(transparent)]
    Other(#[from] symphonia::core::errors::Error),
}

impl Decoder for StemDecoder {
    type T = f32;
    type AdditionalOpts = ();
    /// [`StemStream`] needs only the channel count and length, which [`FileInfo`] carries.
    type FileParams = ();
    /// The WAV decoder's refusals are not errors (symphonia gets the file), so an open error is
    /// always symphonia's.
    type OpenError = creek::OpenError;
    type FatalError = StemDecodeError;

    const DEFAULT_BLOCK_SIZE: usize = SymphoniaDecoder::DEFAULT_BLOCK_SIZE;
    const DEFAULT_NUM_CACHE_BLOCKS: usize = SymphoniaDecoder::DEFAULT_NUM_CACHE_BLOCKS;
    const DEFAULT_NUM_LOOK_AHEAD_BLOCKS: usize = SymphoniaDecoder::DEFAULT_NUM_LOOK_AHEAD_BLOCKS;

    fn new(
        file: PathBuf,
        start_frame: usize,
        block_size: usize,
        (): (),
    ) -> Result<(Self, FileInfo<()>), creek::OpenError> {
        match WavDecoder::new(file.clone(), start_frame, block_size, ()) {
            Ok((decoder, info)) => Ok((Self::Wav(decoder), without_params(&info))),
            Err(e) => {
                tracing::debug!("{}: reading through symphonia ({e})", file.display());
                let (decoder, info) = SymphoniaDecoder::new(file, start_frame, block_size, ())?;
                Ok((Self::Other(decoder), without_params(&info)))
            }
        }
    }

    fn seek(&mut self, frame: usize) -> Result<(), StemDecodeError> {
        match self {
            Self::Wav(d) => d.seek(frame)?,
            Self::Other(d) => d.seek(frame)?,
        }
        Ok(())
    }

    fn decode(&mut self, data_block: &mut DataBlock<f32>) -> Result<(), StemDecodeError> {
        match self {
            Self::Wav(d) => d.decode(data_block)?,
            Self::Other(d) => d.decode(data_block)?,
        }
        Ok(())
    }

    fn current_frame(&self) -> usize {
        match self {
            Self::Wav(d) => d.current_frame(),
            Self::Other(d) => d.current_frame(),
        }
    }
}

fn without_params<P>(info: &FileInfo<P>) -> FileInfo<()> {
    FileInfo {
        num_frames: info.num_frames,
        num_channels: info.num_channels,
        sample_rate: info.sample_rate,
        params: (),
    }
}

/// A stem streamed from disk through creek. Created off the audio thread (it opens the file and
/// starts creek's I/O thread); `read` and `seek` are then realtime-safe.
pub struct StemStream {
    stream: ReadDiskStream<StemDecoder>,
    path: PathBuf,
    channels: usize,
    frames: u64,
    failed: bool,
}

impl StemStream {
    /// Opens `path` positioned at `start_frame` and starts buffering.
    ///
    /// Not realtime-safe.
    pub fn open(path: &Path, start_frame: u64, config: StreamConfig) -> Result<Self, StreamError> {
        let opts = ReadStreamOptions {
            block_size: config.block_frames,
            num_look_ahead_blocks: config.look_ahead_blocks,
            num_caches: 1,
            ..Default::default()
        };
        // Open at the file start: a start past the end of a short stem is legal (it is silent
        // there) but creek cannot open a file positioned past its end.
        let mut stream = ReadDiskStream::<StemDecoder>::new(path.to_path_buf(), 0, opts)
            .map_err(|e| open_error(path, e))?;
        let channels = usize::from(stream.info().num_channels);
        if channels > 2 {
            return Err(StreamError::TooManyChannels {
                path: path.to_path_buf(),
                channels: stream.info().num_channels,
            });
        }
        let frames = stream.info().num_frames as u64;
        // creek does no I/O until it is seeked or cached; start the read-ahead now.
        stream
            .seek(start_frame.min(frames) as usize, SeekMode::Auto)
            .map_err(|e| read_error(path, &e))?;
        Ok(Self {
            stream,
            path: path.to_path_buf(),
            channels,
            frames,
            failed: false,
        })
    }

    /// Waits until data at the read position is buffered.
    ///
    /// Not realtime-safe.
    pub fn wait_ready(&mut self) -> Result<(), StreamError> {
        self.stream
            .block_until_ready()
            .map_err(|e| read_error(&self.path, &e))
    }

    /// The file being streamed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when data at the read position is buffered.
    ///
    /// Realtime-safe.
    pub fn is_ready(&mut self) -> bool {
        !self.failed && self.stream.is_ready().unwrap_or(false)
    }
}

fn read_error<E: std::fmt::Debug>(path: &Path, err: &E) -> StreamError {
    StreamError::Read {
        path: path.to_path_buf(),
        reason: format!("{err:?}"),
    }
}

impl super::source::Source for StemStream {
    fn channels(&self) -> usize {
        self.channels
    }

    fn len_frames(&self) -> u64 {
        self.frames
    }

    fn seek(&mut self, frame: u64) {
        if self.failed {
            return;
        }
        let frame = frame.min(self.frames) as usize;
        if self.stream.seek(frame, SeekMode::Auto).is_err() {
            self.failed = true;
        }
    }

    fn read(
        &mut self,
        frames: usize,
        out: &mut super::source::StemBuffer,
        mode: super::source::ReadMode,
    ) -> super::source::ReadStatus {
        use super::source::{ReadMode, ReadStatus};
        let mut status = ReadStatus::default();
        let mut done = 0;
        while done < frames {
            if self.failed {
                status.failed = true;
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
                Ok(false) => {
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
                Err(_) => self.failed = true,
            }
        }
        if done < frames {
            out.silence(done, frames - done);
            if status.underrun {
                // creek's playhead only moves on reads; keep the timeline moving so the stem
                // stays in step with the others once its data arrives.
                let target = (self.stream.playhead() + (frames - done)).min(self.frames as usize);
                if self.stream.seek(target, SeekMode::Auto).is_err() {
                    self.failed = true;
                }
            }
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(path: &Path, bits: u16, format: hound::SampleFormat) {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 48_000,
            bits_per_sample: bits,
            sample_format: format,
        };
        let mut writer = hound::WavWriter::create(path, spec).unwrap();
        for i in 0..200 {
            match format {
                hound::SampleFormat::Float => writer.write_sample(i as f32 / 400.0).unwrap(),
                hound::SampleFormat::Int => writer.write_sample(i % 100 - 50).unwrap(),
            }
        }
        writer.finalize().unwrap();
    }

    /// 24-bit and float WAVs take the fast decoder; 8-bit WAV falls back to symphonia with the
    /// same length and channels.
    #[test]
    fn wav_takes_the_fast_path_and_other_formats_fall_back() {
        let dir = tempfile::tempdir().unwrap();
        for (bits, format, fast) in [
            (24, hound::SampleFormat::Int, true),
            (32, hound::SampleFormat::Float, true),
            (8, hound::SampleFormat::Int, false),
        ] {
            let path = dir.path().join(format!("{bits}.wav"));
            write_wav(&path, bits, format);
            let (decoder, info) = StemDecoder::new(path, 0, 64, ()).unwrap();
            assert_eq!(matches!(decoder, StemDecoder::Wav(_)), fast, "{bits}-bit");
            assert_eq!((info.num_frames, info.num_channels), (100, 2), "{bits}-bit");
        }
    }

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
}
