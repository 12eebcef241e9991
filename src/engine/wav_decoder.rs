//! A creek [`Decoder`] for uncompressed WAV (16/24/32-bit integer PCM and 32-bit float), run on
//! creek's I/O thread. It reads whole blocks of bytes and converts them in a tight loop, with the
//! same scaling symphonia uses, so its output is bit-identical to symphonia's and about twice as
//! fast. Anything it does not read is refused at open, so the caller can fall back to symphonia.
//!
//! It reads RF64 and BW64 files (EBU Tech 3306, ITU-R BS.2088: WAV past 4 GiB, with the real
//! sizes in a `ds64` chunk) as well as RIFF. A file whose `data` chunk claims more bytes than the
//! file holds (a copy cut short) is read as far as its data goes: [`WavSpec::frames`] is what the
//! file holds, [`WavSpec::header_frames`] what its header states.

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
    /// Whole frames of the `data` chunk that the file holds.
    pub frames: u64,
    /// Whole frames the header says the `data` chunk holds: more than `frames` when the file was
    /// cut short (equal when it was not, or when the header does not state the size).
    pub header_frames: u64,
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
        let mut filled = 0;
        while filled < len {
            match self.reader.read(&mut bytes[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.in_step = false;
                    return Err(e.into());
                }
            }
        }
        // The file ended early (it shrank after it was opened): the whole frames that were there,
        // and nothing after them. The short block tells the caller where the data stopped.
        let frames = if filled < len {
            self.in_step = false;
            filled / self.frame_bytes
        } else {
            frames
        };
        let bytes = &bytes[..frames * self.frame_bytes];
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
        self.playhead = if filled < len {
            self.num_frames
        } else {
            self.playhead + frames
        };
        Ok(())
    }

    fn current_frame(&self) -> usize {
        self.playhead
    }
}

/// Appends each channel of the interleaved `bytes` to its Vec in `out`, converting each
/// `W`-byte sample with `convert`. Mono and stereo (nearly every stem) take one pass over the
/// bytes into slices of known length, which the compiler turns into a tight loop; the per-channel
/// passes of the general case cost several times as much per sample.
#[inline]
fn deinterleave<const W: usize>(
    bytes: &[u8],
    channels: usize,
    out: &mut [Vec<f32>],
    convert: impl Fn([u8; W]) -> f32 + Copy,
) {
    let sample = |b: &[u8]| -> [u8; W] {
        let mut s = [0; W];
        s.copy_from_slice(&b[..W]);
        s
    };
    let frames = bytes.len() / (channels * W);
    match (channels, out) {
        (1, [mono, ..]) => {
            let start = mono.len();
            mono.resize(start + frames, 0.0);
            for (d, b) in mono[start..].iter_mut().zip(bytes.chunks_exact(W)) {
                *d = convert(sample(b));
            }
        }
        (2, [left, right, ..]) => {
            let start = left.len();
            left.resize(start + frames, 0.0);
            let start_r = right.len();
            right.resize(start_r + frames, 0.0);
            for ((l, r), b) in left[start..]
                .iter_mut()
                .zip(&mut right[start_r..])
                .zip(bytes.chunks_exact(2 * W))
            {
                *l = convert(sample(b));
                *r = convert(sample(&b[W..]));
            }
        }
        (_, out) => {
            let frame_bytes = channels * W;
            for (ch, dst) in out.iter_mut().enumerate().take(channels) {
                let offset = ch * W;
                dst.extend(
                    bytes
                        .chunks_exact(frame_bytes)
                        .map(|frame| convert(sample(&frame[offset..]))),
                );
            }
        }
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

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

/// A size field that does not state the size: RF64's "look in ds64", and what streaming
/// writers put in a RIFF file whose length they could not know.
const SIZE_IN_DS64: u32 = 0xFFFF_FFFF;

/// Where a WAV file's samples are, whatever their format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavLayout {
    /// The `fmt ` chunk's body.
    pub fmt: Vec<u8>,
    /// Byte offset of the first sample.
    pub data_start: u64,
    /// Bytes the file holds of the `data` chunk.
    pub data_bytes: u64,
    /// Bytes the header gives the `data` chunk (as `data_bytes` when it does not say).
    pub header_bytes: u64,
}

impl WavLayout {
    /// The bytes per frame (`fmt`'s block align; at least 1).
    pub fn block_align(&self) -> u64 {
        u64::from(u16_at(&self.fmt, 12)).max(1)
    }

    /// Whole frames the file holds and whole frames its header states.
    pub fn frames(&self) -> (u64, u64) {
        let align = self.block_align();
        (self.data_bytes / align, self.header_bytes / align)
    }
}

/// Reads the layout of a RIFF, RF64 or BW64 WAVE file; `None` for any other file (or a WAV too
/// malformed to say). For the callers that leave the decoding to symphonia, which believes the
/// header about the length.
///
/// Not realtime-safe (file I/O).
pub fn layout_of(path: &std::path::Path) -> Option<WavLayout> {
    let file = File::open(path).ok()?;
    let file_len = file.metadata().ok()?.len();
    read_layout(&mut BufReader::new(file), file_len).ok()
}

/// Walks the chunks up to `data`, leaving `reader` at the first sample.
fn read_layout<R: Read + Seek>(
    reader: &mut BufReader<R>,
    file_len: u64,
) -> Result<WavLayout, WavError> {
    let riff = read_array::<12>(reader)?;
    let sixty_four = matches!(&riff[0..4], b"RF64" | b"BW64");
    if !(sixty_four || &riff[0..4] == b"RIFF") || &riff[8..12] != b"WAVE" {
        return Err(WavError::Unsupported("not a RIFF WAVE file"));
    }
    let mut pos: u64 = 12;
    let mut ds64_data: Option<u64> = None;
    let mut fmt: Option<Vec<u8>> = None;
    loop {
        let header = read_array::<8>(reader)?;
        pos += 8;
        let len = u32_at(&header, 4);
        // Chunks are padded to an even length.
        let padded = u64::from(len) + u64::from(len & 1);
        match &header[0..4] {
            b"ds64" if sixty_four && ds64_data.is_none() => {
                if !(28..=MAX_FMT_LEN).contains(&len) {
                    return Err(WavError::Malformed("ds64 chunk length out of range"));
                }
                let body = read_body(reader, padded, "the file ends inside its ds64 chunk")?;
                pos += padded;
                // riffSize (8 bytes), dataSize (8), sampleCount (8), tableLength (4), table.
                ds64_data = Some(u64_at(&body, 8));
            }
            b"fmt " => {
                if fmt.is_some() {
                    return Err(WavError::Malformed("more than one fmt chunk"));
                }
                if !(16..=MAX_FMT_LEN).contains(&len) {
                    return Err(WavError::Malformed("fmt chunk length out of range"));
                }
                let mut body = read_body(reader, padded, "the file ends inside its fmt chunk")?;
                body.truncate(len as usize);
                pos += padded;
                fmt = Some(body);
            }
            b"data" => {
                let fmt = fmt.ok_or(WavError::Malformed("data chunk before fmt chunk"))?;
                if sixty_four && ds64_data.is_none() {
                    return Err(WavError::Malformed("an RF64 file without a ds64 chunk"));
                }
                let stated = match (len, ds64_data) {
                    (SIZE_IN_DS64, Some(size)) => Some(size),
                    (SIZE_IN_DS64, None) => None,
                    (len, _) => Some(u64::from(len)),
                };
                let present = file_len.saturating_sub(pos);
                let data_bytes = stated.map_or(present, |s| s.min(present));
                return Ok(WavLayout {
                    fmt,
                    data_start: pos,
                    data_bytes,
                    header_bytes: stated.unwrap_or(data_bytes),
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

/// Reads a chunk body of `len` bytes.
fn read_body(reader: &mut impl Read, len: u64, short: &'static str) -> Result<Vec<u8>, WavError> {
    let mut body = vec![0; len as usize];
    reader.read_exact(&mut body).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            WavError::Malformed(short)
        } else {
            WavError::Io(e)
        }
    })?;
    Ok(body)
}

/// Reads the header of a WAV file this decoder reads, leaving `reader` at the first sample.
fn read_header<R: Read + Seek>(
    reader: &mut BufReader<R>,
    file_len: u64,
) -> Result<WavSpec, WavError> {
    let layout = read_layout(reader, file_len)?;
    let (format, channels, sample_rate) = parse_fmt(&layout.fmt)?;
    let frame_bytes = u64::from(channels) * format.bytes() as u64;
    let frames = layout.data_bytes / frame_bytes;
    // symphonia refuses a file without a whole frame; keep that behaviour.
    if frames == 0 {
        return Err(WavError::Unsupported("no audio frames"));
    }
    Ok(WavSpec {
        format,
        channels,
        sample_rate,
        data_start: layout.data_start,
        frames,
        header_frames: (layout.header_bytes / frame_bytes).max(frames),
    })
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

    use creek::SymphoniaDecoder;

    use super::*;
    use crate::engine::decoder_tests::{bits, decode_all};

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

    /// The RIFF bytes of `wav_bytes` as an RF64 file (EBU Tech 3306): "RF64", a ds64 chunk with
    /// the real sizes, and -1 in the RIFF and data size fields.
    fn rf64_bytes(riff: &[u8], id: [u8; 4]) -> Vec<u8> {
        // Find the data chunk (the last).
        let mut pos = 12;
        let mut chunks = Vec::new();
        while pos < riff.len() {
            let len = u32_at(riff, pos + 4) as usize;
            let padded = len + (len & 1);
            chunks.push((pos, len));
            pos += 8 + padded;
        }
        let (data_at, data_len) = *chunks.last().unwrap();
        let mut out = id.to_vec();
        out.extend(u32::MAX.to_le_bytes());
        out.extend(b"WAVE");
        out.extend(b"ds64");
        out.extend(28u32.to_le_bytes());
        let riff_size = (riff.len() + 36 - 8) as u64;
        out.extend(riff_size.to_le_bytes());
        out.extend((data_len as u64).to_le_bytes());
        out.extend(0u64.to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend(&riff[12..data_at]);
        out.extend(b"data");
        out.extend(u32::MAX.to_le_bytes());
        out.extend(&riff[data_at + 8..]);
        out
    }

    /// RF64 and BW64 files read like the RIFF file with the same samples, bit for bit, with the
    /// data size taken from the ds64 chunk.
    #[test]
    fn rf64_reads_like_riff() {
        let dir = tempfile::tempdir().unwrap();
        let data = samples(SampleFormat::F32, 2, 777);
        let riff = wav_bytes(SampleFormat::F32, Fmt::Extensible, 2, &data);
        let riff_path = dir.path().join("riff.wav");
        std::fs::write(&riff_path, &riff).unwrap();
        let (_, want) = decode_all::<WavDecoder>(&riff_path, 100, 0, None);
        for id in [*b"RF64", *b"BW64"] {
            let path = dir.path().join("rf64.wav");
            std::fs::write(&path, rf64_bytes(&riff, id)).unwrap();
            let (info, got) = decode_all::<WavDecoder>(&path, 100, 0, None);
            assert_eq!(info.num_frames, 777);
            assert_eq!(info.params.header_frames, 777);
            assert!(bits(&got) == bits(&want));
        }
        // RF64 without its ds64 chunk is refused.
        let mut bytes = riff.clone();
        bytes[..4].copy_from_slice(b"RF64");
        std::fs::write(dir.path().join("bad.wav"), &bytes).unwrap();
        assert!(WavDecoder::new(dir.path().join("bad.wav"), 0, 64, ()).is_err());
    }

    /// A file cut short (its data chunk claims more than the file holds) reads as far as its
    /// data goes: the frames it holds, the samples unchanged, and the header's length kept. A
    /// header claiming 2 hours over 5 frames reads as those 5 frames.
    #[test]
    fn a_file_cut_short_reads_as_far_as_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let data = samples(SampleFormat::I24, 2, 1_000);
        let whole = wav_bytes(SampleFormat::I24, Fmt::Plain, 2, &data);
        let path = dir.path().join("whole.wav");
        std::fs::write(&path, &whole).unwrap();
        let (_, want) = decode_all::<WavDecoder>(&path, 64, 0, None);
        // Cut in the middle of frame 400 (6 bytes a frame).
        let cut = whole.len() - (1_000 - 400) * 6 + 3;
        std::fs::write(&path, &whole[..cut]).unwrap();
        let (info, got) = decode_all::<WavDecoder>(&path, 64, 0, None);
        assert_eq!((info.num_frames, info.params.header_frames), (400, 1_000));
        assert_eq!(got[0].len(), 400);
        assert!(bits(&got) == bits(&[want[0][..400].to_vec(), want[1][..400].to_vec()]));
        let layout = layout_of(&path).unwrap();
        assert_eq!(layout.frames(), (400, 1_000));
        // A header claiming two hours of 48 kHz stereo 24-bit over 5 frames.
        let mut bytes = whole[..whole.len() - (1_000 - 5) * 6].to_vec();
        let data_len_at = bytes.len() - 5 * 6 - 4;
        let two_hours = 2 * 3_600 * 48_000 * 6u32;
        bytes[data_len_at..data_len_at + 4].copy_from_slice(&two_hours.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let (_, info) = WavDecoder::new(path.clone(), 0, 64, ()).unwrap();
        assert_eq!(
            (info.num_frames, info.params.header_frames),
            (5, 2 * 3_600 * 48_000)
        );
        // A RIFF data size of -1 (a streaming writer's "unknown") is not a claim.
        bytes[data_len_at..data_len_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let (_, info) = WavDecoder::new(path.clone(), 0, 64, ()).unwrap();
        assert_eq!((info.num_frames, info.params.header_frames), (5, 5));
    }

    /// A file that shrinks while it is read gives the whole frames that are left and then a
    /// short block: no error, the position at the end.
    #[test]
    fn a_file_that_shrinks_while_read_gives_a_short_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.wav");
        let data = samples(SampleFormat::I16, 2, 10_000);
        let whole = wav_bytes(SampleFormat::I16, Fmt::Plain, 2, &data);
        std::fs::write(&path, &whole).unwrap();
        let (mut decoder, _) = WavDecoder::new(path.clone(), 0, 1_024, ()).unwrap();
        // Cut the file 6000 frames and 1 byte into its data (past what the open buffered).
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len((whole.len() - 10_000 * 4 + 6_000 * 4 + 1) as u64)
            .unwrap();
        let mut block = DataBlock::new(2, 1_024);
        let mut lengths = Vec::new();
        while decoder.current_frame() < 10_000 {
            block.clear();
            decoder.decode(&mut block).unwrap();
            assert_eq!(block.block[0].len(), block.block[1].len());
            lengths.push(block.block[0].len());
        }
        assert_eq!(lengths, [1_024, 1_024, 1_024, 1_024, 1_024, 880]);
    }
}
