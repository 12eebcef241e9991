//! Sample-exact decoding of the stem files earmix does not read itself (MP3, Ogg Vorbis, FLAC,
//! the WAV formats [`super::super::wav_decoder`] refuses), through symphonia, run on creek's I/O
//! thread and on the threads that probe and scan stems. Frame 0 is the first sample the encoder
//! was given: symphonia's gapless mode removes what lossy encoders put before and after the music
//! (MP3's encoder delay and padding from the LAME/Xing tag, Ogg's pre-skip and end trim), so an
//! MP3 lines up sample for sample with the WAV it was made from and is exactly as long. A seek
//! lands on the frame asked for: the decoder starts a little earlier, so a lossy codec's
//! overlapping blocks and MP3's bit reservoir are filled as in a decode from the start, and the
//! frames before the target are dropped.

use std::fs::File;
use std::path::Path;

use creek::{DataBlock, OpenError};
use symphonia::core::audio::{AudioBuffer, Signal};
use symphonia::core::codecs::{self, CodecParameters, DecoderOptions};
use symphonia::core::errors::Error;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// Frames a seek decodes before its target with a lossy codec, to be dropped. MP3 needs the
/// granule before (its transforms overlap) and the frames its bit reservoir reaches into
/// (symphonia's seek adds those), then 512 samples of synthesis filter history; Vorbis needs
/// the block before (at most 8192 frames long, half of which overlaps). 8192 covers both with
/// room; it costs a fifth of a second of decoding at 44.1 kHz per seek.
const LOSSY_PREROLL: u64 = 8_192;

/// What [`GaplessDecoder::open`] found out about the file.
#[derive(Debug, Clone)]
pub(crate) struct GaplessInfo {
    /// The stream's parameters as symphonia reads them (codec, bits per sample...).
    pub codec_params: CodecParameters,
    /// Frames the stem plays, encoder delay and padding removed.
    pub frames: u64,
    /// Channels.
    pub channels: u16,
    /// Frames per second, when the file states it.
    pub sample_rate: Option<u32>,
}

/// A symphonia decoder with gapless trimming and exact seeks: see the module docs.
pub(crate) struct GaplessDecoder {
    reader: Box<dyn FormatReader>,
    decoder: Box<dyn codecs::Decoder>,
    track_id: u32,
    /// The timestamp of frame 0 (Ogg streams may start above 0).
    start_ts: u64,
    frames: u64,
    channels: usize,
    /// Frames a seek decodes before its target.
    preroll: u64,
    /// The frame the next sample given out is.
    playhead: u64,
    /// The last packet decoded, its first frame, and how much of it has been given out.
    buf: Option<AudioBuffer<f32>>,
    buf_frame: u64,
    buf_used: usize,
    buf_len: usize,
}

impl GaplessDecoder {
    /// Opens `path` positioned at `start_frame`.
    ///
    /// Not realtime-safe (file I/O).
    pub(crate) fn open(path: &Path, start_frame: u64) -> Result<(Self, GaplessInfo), OpenError> {
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let source = MediaSourceStream::new(
            Box::new(File::open(path)?),
            MediaSourceStreamOptions::default(),
        );
        let format_opts = FormatOptions {
            enable_gapless: true,
            ..Default::default()
        };
        let probed = symphonia::default::get_probe().format(
            &hint,
            source,
            &format_opts,
            &MetadataOptions::default(),
        )?;
        let reader = probed.format;
        let track = reader
            .tracks()
            .iter()
            .find(|t| t.codec_params.codec != codecs::CODEC_TYPE_NULL)
            .ok_or(OpenError::NoDefaultTrack)?;
        let params = track.codec_params.clone();
        let track_id = track.id;
        let mut frames = params.n_frames.ok_or(OpenError::NoNumFrames)?;
        // symphonia counts an AIFF's length from its sound chunk including the chunk's 8-byte
        // offset/block-size header (up to 4 frames too many); the COMM chunk states it exactly.
        if let Some(stated) = aiff_frames(path) {
            frames = frames.min(stated);
        }
        let decoder =
            symphonia::default::get_codecs().make(&params, &DecoderOptions { verify: false })?;
        // The transform codecs, whose blocks overlap; PCM, ADPCM and the lossless codecs
        // decode each packet on its own.
        let overlapping = [
            codecs::CODEC_TYPE_MP1,
            codecs::CODEC_TYPE_MP2,
            codecs::CODEC_TYPE_MP3,
            codecs::CODEC_TYPE_VORBIS,
            codecs::CODEC_TYPE_AAC,
            codecs::CODEC_TYPE_OPUS,
        ]
        .contains(&params.codec);
        let mut this = Self {
            reader,
            decoder,
            track_id,
            start_ts: params.start_ts,
            frames,
            channels: params
                .channels
                .map_or(0, symphonia::core::audio::Channels::count),
            preroll: if overlapping { LOSSY_PREROLL } else { 0 },
            playhead: 0,
            buf: None,
            buf_frame: 0,
            buf_used: 0,
            buf_len: 0,
        };
        if this.channels == 0 {
            // The container does not say: the first packet that decodes does.
            this.next_buffer()?;
            this.channels = this.buf.as_ref().map_or(0, |b| b.spec().channels.count());
            if this.channels == 0 {
                return Err(OpenError::NoNumChannels);
            }
            this.seek(0)?;
        }
        if start_frame > 0 {
            this.seek(start_frame)?;
        }
        let info = GaplessInfo {
            frames,
            channels: this.channels as u16,
            sample_rate: params.sample_rate,
            codec_params: params,
        };
        Ok((this, info))
    }

    /// Moves to `frame`: the next [`Self::decode`] starts exactly there.
    ///
    /// Not realtime-safe (file I/O).
    pub(crate) fn seek(&mut self, frame: u64) -> Result<(), Error> {
        let frame = frame.min(self.frames);
        self.playhead = frame;
        self.buf_used = self.buf_len;
        if frame >= self.frames {
            return Ok(());
        }
        let from = frame.saturating_sub(self.preroll);
        self.reader.seek(
            SeekMode::Accurate,
            SeekTo::TimeStamp {
                ts: self.start_ts + from,
                track_id: self.track_id,
            },
        )?;
        self.decoder.reset();
        Ok(())
    }

    /// Reads the next packet of the stem's track and decodes it into `buf`; a packet that does
    /// not decode is skipped (its frames become silence: see [`Self::decode`]). Returns false
    /// at the end of the stream.
    fn next_buffer(&mut self) -> Result<bool, Error> {
        loop {
            let packet = match self.reader.next_packet() {
                Ok(p) => p,
                Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Ok(false);
                }
                Err(e) => return Err(e),
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            let decoded = match self.decoder.decode(&packet) {
                Ok(d) => d,
                Err(Error::DecodeError(e)) => {
                    tracing::debug!("a packet at {} does not decode: {e}", packet.ts());
                    continue;
                }
                Err(e) => return Err(e),
            };
            let spec = *decoded.spec();
            let buf = match &mut self.buf {
                Some(b) if b.capacity() >= decoded.capacity() && *b.spec() == spec => b,
                slot => slot.insert(AudioBuffer::new(decoded.capacity() as u64, spec)),
            };
            decoded.convert(buf);
            self.buf_len = buf.frames();
            self.buf_used = 0;
            self.buf_frame = packet.ts().saturating_sub(self.start_ts);
            return Ok(true);
        }
    }

    /// Appends the next `block_size` frames (fewer at the end of the stem) to every channel of
    /// `block`. Frames the file lacks (a packet that does not decode) are silence; where the
    /// stream ends before the stem's length, the block is short.
    ///
    /// Not realtime-safe (file I/O).
    pub(crate) fn decode(
        &mut self,
        block: &mut DataBlock<f32>,
        block_size: usize,
    ) -> Result<(), Error> {
        let want = (block_size as u64).min(self.frames.saturating_sub(self.playhead)) as usize;
        let mut done = 0;
        while done < want {
            if self.buf_used >= self.buf_len {
                if !self.next_buffer()? {
                    break;
                }
                continue;
            }
            let Some(buf) = &self.buf else { break };
            // The frame `buf_used` is.
            let at = self.buf_frame + self.buf_used as u64;
            if at < self.playhead {
                // Before the target of a seek (or a packet that overlaps one already given).
                self.buf_used +=
                    (self.playhead - at).min((self.buf_len - self.buf_used) as u64) as usize;
                continue;
            }
            if at > self.playhead {
                // A gap (a packet that did not decode): silence up to the data.
                let gap = (at - self.playhead).min((want - done) as u64) as usize;
                for channel in &mut block.block {
                    channel.resize(channel.len() + gap, 0.0);
                }
                done += gap;
                self.playhead += gap as u64;
                continue;
            }
            let n = (self.buf_len - self.buf_used).min(want - done);
            let planes = buf.spec().channels.count();
            for (ch, channel) in block.block.iter_mut().enumerate() {
                let src = buf.chan(ch.min(planes - 1));
                channel.extend_from_slice(&src[self.buf_used..self.buf_used + n]);
            }
            self.buf_used += n;
            done += n;
            self.playhead += n as u64;
        }
        Ok(())
    }
}

/// The number of sample frames an AIFF or AIFF-C file's `COMM` chunk states; `None` for any
/// other file, or one whose chunks cannot be read.
///
/// Not realtime-safe (file I/O).
fn aiff_frames(path: &Path) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = File::open(path).ok()?;
    let mut header = [0u8; 12];
    file.read_exact(&mut header).ok()?;
    if &header[0..4] != b"FORM" || !(&header[8..12] == b"AIFF" || &header[8..12] == b"AIFC") {
        return None;
    }
    let form_end = 8 + u64::from(u32::from_be_bytes([
        header[4], header[5], header[6], header[7],
    ]));
    let mut at = 12u64;
    while at + 8 <= form_end {
        let mut chunk = [0u8; 8];
        file.read_exact(&mut chunk).ok()?;
        let size = u64::from(u32::from_be_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]));
        if &chunk[0..4] == b"COMM" {
            // numChannels (2 bytes), then numSampleFrames (4 bytes, big-endian).
            let mut comm = [0u8; 6];
            file.read_exact(&mut comm).ok()?;
            return Some(u64::from(u32::from_be_bytes([
                comm[2], comm[3], comm[4], comm[5],
            ])));
        }
        // Chunks are padded to an even length.
        at += 8 + size + (size & 1);
        file.seek(SeekFrom::Start(at)).ok()?;
    }
    None
}
