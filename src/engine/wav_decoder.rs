//! A creek [`Decoder`] for uncompressed WAV (16/24/32-bit integer PCM and 32-bit float), run on
//! creek's I/O thread. It reads whole blocks of bytes and converts them in a tight loop, with the
//! same scaling symphonia uses, so its output is bit-identical to symphonia's and about twice as
//! fast. Anything it does not read is refused at open, so the caller can fall back to symphonia.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;

use creek::{DataBlock, Decoder, FileInfo};

/// `WAVE_FORMAT_PCM`: integer samples.
const FORMAT_PCM: u16 = 0x0001;
/// `WAVE_FORMAT_IEEE_FLOAT`: floating-point samples.
const FORMAT_IEEE_FLOAT: u16 = 0x0003;
/// `WAVE_FORMAT_EXTENSIBLE`: the real format is the sub-format GUID's first two bytes.
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;
/// The last 14 bytes of the `KSDATAFORMAT_SUBTYPE_PCM` and `_IEEE_FLOAT` GUIDs.
const SUBTYPE_GUID_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
];
/// More channels than this is refused (it bounds the block buffer a header can ask for).
const MAX_CHANNELS: u16 = 32;
/// A `fmt ` chunk longer than this is refused rather than read.
const MAX_FMT_LEN: u32 = 1024;

/// How the samples in the `data` chunk are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    /// Signed 16-bit little-endian integers.
    I16,
    /// Signed 24-bit little-endian integers, packed in 3 bytes.
    I24,
    /// Signed 32-bit little-endian integers.
    I32,
    /// 32-bit little-endian IEEE floats.
    F32,
}

impl SampleFormat {
    /// Bytes per sample. Realtime-safe.
    pub fn bytes(self) -> usize {
        match self {
            Self::I16 => 2,
            Self::I24 => 3,
            Self::I32 | Self::F32 => 4,
        }
    }
}

/// What the header of a WAV file says about its audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavSpec {
    pub format: SampleFormat,
    /// Interleaved channels in the `data` chunk (1 to 32).
    pub channels: u16,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Byte offset of the first sample.
    pub data_start: u64,
    /// Whole frames in the `data` chunk.
    pub frames: u64,
}

/// A WAV file this decoder does not read, or a read that failed.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    /// Reading the file failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A well-formed file in a format this decoder leaves to symphonia.
    #[error("unsupported WAV: {0}")]
    Unsupported(&'static str),
    /// The header contradicts itself or the file.
    #[error("malformed WAV: {0}")]
    Malformed(&'static str),
}

/// Streams the samples of an uncompressed WAV file as planar `f32`.
pub struct WavDecoder {
    reader: BufReader<File>,
    spec: WavSpec,
    channels: usize,
    frame_bytes: usize,
    num_frames: usize,
    block_size: usize,
    /// The next frame `decode` returns.
    playhead: usize,
    /// False after a failed read or seek, when the file position no longer matches `playhead`.
    in_step: bool,
    /// Raw bytes of one block, reused.
    bytes: Vec<u8>,
}

impl WavDecoder {
    /// The header as parsed at open. Realtime-safe.
    pub fn spec(&self) -> &WavSpec {
        &self.spec
    }

    fn seek_file(&mut self, frame: usize) -> io::Result<()> {
        let offset = self.spec.data_start + frame as u64 * self.frame_bytes as u64;
        self.in_step = false;
        self.reader.seek(SeekFrom::Start(offset))?;
        self.in_step = true;
        Ok(())
    }
}

impl Decoder for WavDecoder {
    type T = f32;
    type AdditionalOpts = ();
    type FileParams = WavSpec;
    type OpenError = WavError;
    type FatalError = WavError;

    const DEFAULT_BLOCK_SIZE: usize = 16_384;
    const DEFAULT_NUM_CACHE_BLOCKS: usize = 0;
    const DEFAULT_NUM_LOOK_AHEAD_BLOCKS: usize = 8;

    fn new(
        file: PathBuf,
        start_frame: usize,
        block_size: usize,
        (): (),
    ) -> Result<(Self, FileInfo<WavSpec>), WavError> {
        let file = File::open(file)?;
        let file_len = file.metadata()?.len();
        let mut reader = BufReader::new(file);
        let spec = read_header(&mut reader, file_len)?;
        let num_frames = usize::try_from(spec.frames)
            .map_err(|_| WavError::Unsupported("too many frames for this platform"))?;
        let channels = usize::from(spec.channels);
        let frame_bytes = channels * spec.format.bytes();
        let bytes = vec![0; block_size.min(num_frames) * frame_bytes];
        let info = FileInfo {
            params: spec,
            num_frames,
            num_channels: spec.channels,
            sample_rate: Some(spec.sample_rate),
        };
        let mut decoder = Self {
            reader,
            spec,
            channels,
            frame_bytes,
            num_frames,
            block_size,
            playhead: 0,
            in_step: false,
            bytes,
        };
        decoder.seek(start_frame)?;
        Ok((decoder, info))
    }

    fn seek(&mut self, frame: usize) -> Result<(), WavError> {
        let frame = frame.min(self.num_frames);
        if frame != self.playhead || !self.in_step {
            self.seek_file(frame)?;
        }
        self.playhead = frame;
        Ok(())
    }

    fn decode(&mut self, data_block: &mut DataBlock<f32>) -> Result<(), WavError> {
        let frames = self.block_size.min(self.num_frames - self.playhead);
        if frames == 0 {
            return Ok(());
        }
        if !self.in_step {
            self.seek_file(self.playhead)?;
        }
        let len = frames * self.frame_bytes;
        if self.bytes.len() < len {
            self.bytes.resize(len, 0);
        }
        let bytes = &mut self.bytes[..len];
        if let Err(e) = self.reader.read_exact(bytes) {
            self.in_step = false;
            return Err(e.into());
        }
        let out = &mut data_block.block[..];
        let channels = self.channels;
        match self.spec.format {
            SampleFormat::I16 => deinterleave(bytes, channels, out, |s: [u8; 2]| {
                f32::from(i16::from_le_bytes(s)) * (1.0 / 32_768.0)
            }),
            // The 24 bits go to the top of an i32 and are scaled by 2^-31: the same value as
            // symphonia's i24 / 2^23, exactly.
            SampleFormat::I24 => deinterleave(bytes, channels, out, |s: [u8; 3]| {
                i32::from_le_bytes([0, s[0], s[1], s[2]]) as f32 * (1.0 / 2_147_483_648.0)
            }),
            // One rounding (i32 to f32) then an exact power-of-two scale, as symphonia's
            // `(s as f64 / 2^31) as f32`.
            SampleFormat::I32 => deinterleave(bytes, channels, out, |s: [u8; 4]| {
                i32::from_le_bytes(s) as f32 * (1.0 / 2_147_483_648.0)
            }),
            SampleFormat::F32 => deinterleave(bytes, channels, out, f32::from_le_bytes),
        }
        self.playhead += frames;
        Ok(())
    }

    fn current_frame(&self) -> usize {
        self.playhead
    }
}

/// Appends each channel of the interleaved `bytes` to its Vec in `out`, converting each
/// `W`-byte sample with `convert`.
#[inline]
fn deinterleave<const W: usize>(
    bytes: &[u8],
    channels: usize,
    out: &mut [Vec<f32>],
    convert: impl Fn([u8; W]) -> f32 + Copy,
) {
    let frame_bytes = channels * W;
    for (ch, dst) in out.iter_mut().enumerate().take(channels) {
        let offset = ch * W;
        dst.extend(bytes.chunks_exact(frame_bytes).map(|frame| {
            let mut sample = [0; W];
            sample.copy_from_slice(&frame[offset..offset + W]);
            convert(sample)
        }));
    }
}

fn read_array<const N: usize>(reader: &mut impl Read) -> Result<[u8; N], WavError> {
    let mut buf = [0; N];
    reader.read_exact(&mut buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            WavError::Malformed("the file ends inside its header")
        } else {
            WavError::Io(e)
        }
    })?;
    Ok(buf)
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Walks the RIFF chunks up to `data`, leaving `reader` at the first sample.
fn read_header<R: Read + Seek>(
    reader: &mut BufReader<R>,
    file_len: u64,
) -> Result<WavSpec, WavError> {
    let riff = read_array::<12>(reader)?;
    if &riff[0..4] != b"RIFF" || &riff[8..12] != b"WAVE" {
        return Err(WavError::Unsupported("not a RIFF WAVE file"));
    }
    let mut pos: u64 = 12;
    let mut fmt: Option<(SampleFormat, u16, u32)> = None;
    loop {
        let header = read_array::<8>(reader)?;
        pos += 8;
        let len = u32_at(&header, 4);
        // Chunks are padded to an even length.
        let padded = u64::from(len) + u64::from(len & 1);
        match &header[0..4] {
            b"fmt " => {
                if fmt.is_some() {
                    return Err(WavError::Malformed("more than one fmt chunk"));
                }
                if !(16..=MAX_FMT_LEN).contains(&len) {
                    return Err(WavError::Malformed("fmt chunk length out of range"));
                }
                let mut body = vec![0; padded as usize];
                reader.read_exact(&mut body).map_err(|e| {
                    if e.kind() == io::ErrorKind::UnexpectedEof {
                        WavError::Malformed("the file ends inside its fmt chunk")
                    } else {
                        WavError::Io(e)
                    }
                })?;
                pos += padded;
                fmt = Some(parse_fmt(&body[..len as usize])?);
            }
            b"data" => {
                let (format, channels, sample_rate) =
                    fmt.ok_or(WavError::Malformed("data chunk before fmt chunk"))?;
                if pos + u64::from(len) > file_len {
                    return Err(WavError::Unsupported(
                        "data chunk runs past the end of the file",
                    ));
                }
                let frames = u64::from(len) / (u64::from(channels) * format.bytes() as u64);
                // symphonia refuses a file without a whole frame; keep that behaviour.
                if frames == 0 {
                    return Err(WavError::Unsupported("no audio frames"));
                }
                return Ok(WavSpec {
                    format,
                    channels,
                    sample_rate,
                    data_start: pos,
                    frames,
                });
            }
            _ => {
                if pos + padded > file_len {
                    return Err(WavError::Malformed("a chunk runs past the end of the file"));
                }
                reader.seek_relative(padded as i64)?;
                pos += padded;
            }
        }
    }
}

/// Reads a `fmt ` chunk body into (format, channels, sample rate), refusing what this decoder
/// does not read.
fn parse_fmt(body: &[u8]) -> Result<(SampleFormat, u16, u32), WavError> {
    let mut tag = u16_at(body, 0);
    let channels = u16_at(body, 2);
    let sample_rate = u32_at(body, 4);
    let block_align = u16_at(body, 12);
    let bits = u16_at(body, 14);
    if tag == FORMAT_EXTENSIBLE {
        if body.len() < 40 || u16_at(body, 16) < 22 {
            return Err(WavError::Malformed("extensible fmt chunk is too short"));
        }
        let valid_bits = u16_at(body, 18);
        if body[26..40] != SUBTYPE_GUID_TAIL {
            return Err(WavError::Unsupported("unknown extensible sub-format"));
        }
        tag = u16_at(body, 24);
        // symphonia scales integers by the container width whatever the valid bits, and so does
        // this decoder; floats must use the whole container.
        let valid_ok = match tag {
            FORMAT_PCM => valid_bits <= bits,
            _ => valid_bits == bits,
        };
        if !valid_ok {
            return Err(WavError::Unsupported(
                "valid bits do not fit the sample width",
            ));
        }
    }
    let format = match (tag, bits) {
        (FORMAT_PCM, 16) => SampleFormat::I16,
        (FORMAT_PCM, 24) => SampleFormat::I24,
        (FORMAT_PCM, 32) => SampleFormat::I32,
        (FORMAT_IEEE_FLOAT, 32) => SampleFormat::F32,
        _ => {
            return Err(WavError::Unsupported(
                "not 16/24/32-bit PCM or 32-bit float",
            ));
        }
    };
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(WavError::Unsupported("channel count out of range"));
    }
    if sample_rate == 0 {
        return Err(WavError::Malformed("sample rate is zero"));
    }
    if usize::from(block_align) != usize::from(channels) * format.bytes() {
        return Err(WavError::Unsupported(
            "block align is not channels x sample width",
        ));
    }
    Ok((format, channels, sample_rate))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use creek::SymphoniaDecoder;

    use super::*;

    /// How a test file's `fmt ` chunk is written.
    #[derive(Debug, Clone, Copy)]
    enum Fmt {
        Plain,
        Extensible,
    }

    /// Deterministic bytes (xorshift), so every bit pattern of a sample turns up.
    fn noise(len: usize, mut state: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    }

    /// Sample bytes for `frames` frames: noise for integers, floats in and beyond [-1, 1] plus
    /// edge values (signed zero, subnormal, the integer extremes at the start).
    fn samples(format: SampleFormat, channels: u16, frames: usize) -> Vec<u8> {
        let count = frames * usize::from(channels);
        if format == SampleFormat::F32 {
            let mut values: Vec<f32> = vec![0.0, -0.0, 1.0, -1.0, 1.5, 1e-40, -1e-40, 0.999_999_9];
            let raw = noise(count * 4, 0x5eed);
            values.extend(raw.chunks_exact(4).map(|b| {
                let u = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                (u as f32 / u32::MAX as f32) * 2.4 - 1.2
            }));
            values.truncate(count);
            return values.iter().flat_map(|v| v.to_le_bytes()).collect();
        }
        let width = format.bytes();
        let mut bytes = noise(count * width, 0xabcd_ef01 + width as u64);
        // Most negative and most positive sample first.
        let extremes = [vec![0; width - 1], vec![0xff; width - 1]];
        for (i, low) in extremes.iter().enumerate() {
            let at = i * width;
            bytes[at..at + width - 1].copy_from_slice(low);
            bytes[at + width - 1] = if i == 0 { 0x80 } else { 0x7f };
        }
        bytes
    }

    fn chunk(id: [u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = id.to_vec();
        out.extend((body.len() as u32).to_le_bytes());
        out.extend(body);
        if body.len() % 2 == 1 {
            out.push(0);
        }
        out
    }

    fn wav_bytes(format: SampleFormat, layout: Fmt, channels: u16, data: &[u8]) -> Vec<u8> {
        let (tag, bits) = match format {
            SampleFormat::I16 => (FORMAT_PCM, 16u16),
            SampleFormat::I24 => (FORMAT_PCM, 24),
            SampleFormat::I32 => (FORMAT_PCM, 32),
            SampleFormat::F32 => (FORMAT_IEEE_FLOAT, 32),
        };
        let rate = 48_000u32;
        let align = channels * bits / 8;
        let mut fmt = Vec::new();
        let written_tag = match layout {
            Fmt::Plain => tag,
            Fmt::Extensible => FORMAT_EXTENSIBLE,
        };
        fmt.extend(written_tag.to_le_bytes());
        fmt.extend(channels.to_le_bytes());
        fmt.extend(rate.to_le_bytes());
        fmt.extend((rate * u32::from(align)).to_le_bytes());
        fmt.extend(align.to_le_bytes());
        fmt.extend(bits.to_le_bytes());
        if let Fmt::Extensible = layout {
            fmt.extend(22u16.to_le_bytes());
            fmt.extend(bits.to_le_bytes());
            let mask: u32 = if channels == 1 { 0x4 } else { 0x3 };
            fmt.extend(mask.to_le_bytes());
            fmt.extend(tag.to_le_bytes());
            fmt.extend(SUBTYPE_GUID_TAIL);
        }
        let mut body = b"WAVE".to_vec();
        // An unknown chunk of odd length, so the pad byte must be skipped.
        body.extend(chunk(*b"junk", &[1, 2, 3, 4, 5]));
        body.extend(chunk(*b"fmt ", &fmt));
        body.extend(chunk(*b"odd ", &[9]));
        body.extend(chunk(*b"data", data));
        let mut out = b"RIFF".to_vec();
        out.extend((body.len() as u32).to_le_bytes());
        out.extend(body);
        out
    }

    /// Decodes from `start` to the end, one block at a time, returning each channel.
    fn decode_all<D: Decoder<T = f32>>(
        path: &Path,
        block: usize,
        start: usize,
        seek_to: Option<usize>,
    ) -> (FileInfo<D::FileParams>, Vec<Vec<f32>>)
    where
        D::OpenError: std::fmt::Debug,
        D::FatalError: std::fmt::Debug,
    {
        let (mut decoder, info) = D::new(
            path.to_path_buf(),
            start,
            block,
            D::AdditionalOpts::default(),
        )
        .unwrap();
        if let Some(frame) = seek_to {
            decoder.seek(frame).unwrap();
        }
        let channels = usize::from(info.num_channels);
        let mut out = vec![Vec::new(); channels];
        let mut data = DataBlock::new(channels, block);
        for _ in 0..=info.num_frames / block + 1 {
            data.clear();
            decoder.decode(&mut data).unwrap();
            if data.block[0].is_empty() {
                break;
            }
            assert!(data.block.iter().all(|ch| ch.len() == data.block[0].len()));
            for (o, ch) in out.iter_mut().zip(&data.block) {
                o.extend_from_slice(ch);
            }
        }
        (info, out)
    }

    fn bits(channels: &[Vec<f32>]) -> Vec<Vec<u32>> {
        channels
            .iter()
            .map(|ch| ch.iter().map(|s| s.to_bits()).collect())
            .collect()
    }

    /// Every supported format, mono and stereo, plain and extensible headers: the samples, frame
    /// count and channel count equal symphonia's bit for bit, for a block size that does not
    /// divide the length, from an odd start frame, and after a seek to an odd frame.
    #[test]
    fn output_is_bit_identical_to_symphonia() {
        let dir = tempfile::tempdir().unwrap();
        let frames = 1_001;
        let formats = [
            SampleFormat::I16,
            SampleFormat::I24,
            SampleFormat::I32,
            SampleFormat::F32,
        ];
        for format in formats {
            for channels in [1u16, 2] {
                for layout in [Fmt::Plain, Fmt::Extensible] {
                    let data = samples(format, channels, frames);
                    let path = dir
                        .path()
                        .join(format!("{format:?}-{channels}-{layout:?}.wav"));
                    std::fs::write(&path, wav_bytes(format, layout, channels, &data)).unwrap();
                    let case = format!("{format:?} {channels} ch {layout:?}");
                    for (block, start, seek) in [
                        (97, 0, None),
                        (1_024, 0, None),
                        (64, 333, None),
                        (97, 0, Some(777)),
                        (50, 10, Some(frames)),
                    ] {
                        let (wav_info, wav) = decode_all::<WavDecoder>(&path, block, start, seek);
                        // creek's symphonia decoder opened at a frame starts at the packet
                        // boundary before it, so the reference opens at 0 and seeks instead.
                        let sym_seek = seek.or(Some(start).filter(|&s| s != 0));
                        let (sym_info, sym) =
                            decode_all::<SymphoniaDecoder>(&path, block, 0, sym_seek);
                        assert_eq!(wav_info.num_frames, frames, "{case}");
                        assert_eq!(wav_info.num_frames, sym_info.num_frames, "{case}");
                        assert_eq!(wav_info.num_channels, sym_info.num_channels, "{case}");
                        assert_eq!(wav_info.sample_rate, sym_info.sample_rate, "{case}");
                        let first = seek.unwrap_or(start);
                        assert_eq!(wav[0].len(), frames - first, "{case} {block} {first}");
                        assert!(
                            bits(&wav) == bits(&sym),
                            "{case}: block {block}, start {start}, seek {seek:?} differ"
                        );
                    }
                }
            }
        }
    }

    /// A seek past the end leaves the decoder at the end, where decode yields nothing.
    #[test]
    fn seek_past_the_end_sets_the_position_to_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.wav");
        let data = samples(SampleFormat::I16, 2, 100);
        std::fs::write(&path, wav_bytes(SampleFormat::I16, Fmt::Plain, 2, &data)).unwrap();
        let (mut decoder, _) = WavDecoder::new(path.clone(), 5_000, 64, ()).unwrap();
        assert_eq!(decoder.current_frame(), 100);
        decoder.seek(0).unwrap();
        decoder.seek(1_000).unwrap();
        assert_eq!(decoder.current_frame(), 100);
        let mut block = DataBlock::new(2, 64);
        decoder.decode(&mut block).unwrap();
        assert!(block.block[0].is_empty());
        decoder.seek(90).unwrap();
        decoder.decode(&mut block).unwrap();
        assert_eq!(block.block[1].len(), 10);
        assert_eq!(decoder.current_frame(), 100);
    }

    /// Formats left to symphonia are refused at open, not misread.
    #[test]
    fn unsupported_formats_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u.wav");
        let data = samples(SampleFormat::I16, 1, 10);
        let good = wav_bytes(SampleFormat::I16, Fmt::Plain, 1, &data);
        let fmt_at = 8 + 4 + 14 + 8; // RIFF header, WAVE, the junk chunk, the fmt header
        let refused = |edit: &dyn Fn(&mut Vec<u8>)| {
            let mut bytes = good.clone();
            edit(&mut bytes);
            std::fs::write(&path, &bytes).unwrap();
            WavDecoder::new(path.clone(), 0, 64, ()).is_err()
        };
        assert!(!refused(&|_| {}));
        // 8-bit.
        assert!(refused(&|b| {
            b[fmt_at + 14] = 8;
            b[fmt_at + 12] = 1;
        }));
        // A-law.
        assert!(refused(&|b| b[fmt_at] = 6));
        // 64-bit float.
        assert!(refused(&|b| {
            b[fmt_at] = 3;
            b[fmt_at + 14] = 64;
            b[fmt_at + 12] = 8;
        }));
        // Block align disagreeing with the sample width.
        assert!(refused(&|b| b[fmt_at + 12] = 4));
        // No channels.
        assert!(refused(&|b| b[fmt_at + 2] = 0));
        // An empty data chunk.
        assert!(refused(&|b| {
            let len = b.len();
            b.truncate(len - 20);
            b[len - 24..len - 20].fill(0);
        }));
        // Data chunk claiming more than the file holds.
        assert!(refused(&|b| {
            let len = b.len();
            b[len - 20 - 2] = 0xff;
        }));
        // RIFX (big-endian) and AIFF-like forms.
        assert!(refused(&|b| b[3] = b'X'));
        assert!(refused(&|b| b[8] = b'A'));
    }

    /// Truncated or corrupted files give errors, never a panic.
    #[test]
    fn malformed_files_do_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.wav");
        let data = samples(SampleFormat::I24, 2, 40);
        let good = wav_bytes(SampleFormat::I24, Fmt::Extensible, 2, &data);
        let try_decode = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            if let Ok((mut decoder, info)) = WavDecoder::new(path.clone(), 3, 16, ()) {
                let mut block = DataBlock::new(usize::from(info.num_channels), 16);
                for _ in 0..10 {
                    block.clear();
                    if decoder.decode(&mut block).is_err() {
                        break;
                    }
                }
            }
        };
        for len in 0..good.len() {
            try_decode(&good[..len]);
        }
        let noise = noise(good.len(), 7);
        for at in 0..100 {
            for value in [0, 1, 0x7f, 0x80, 0xff, noise[at]] {
                let mut bytes = good.clone();
                bytes[at] = value;
                try_decode(&bytes);
            }
        }
    }
}
