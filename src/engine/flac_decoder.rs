//! A creek [`Decoder`] for native FLAC files, run on creek's I/O thread (and on the thread that
//! scans a stem for `earmix check`). It parses STREAMINFO and SEEKTABLE at open, then decodes
//! one frame at a time from a byte buffer it refills itself: a bit reader with a 64-bit cache for
//! the Rice residuals, fixed and LPC predictors in 32-bit arithmetic where the frame's
//! coefficients cannot overflow it and 64-bit where they can, and the stereo decorrelation
//! modes. Every frame's CRC-16 is checked, so damaged data is found where it starts. Samples are
//! scaled to `f32` as symphonia scales them, so the output is bit-identical to symphonia's.
//!
//! It reads 4 to 24 bits per sample and 1 to 8 channels; anything else (32-bit, Ogg FLAC, a
//! file with an ID3 tag in front, an unknown length) is refused at open so the caller can fall
//! back to symphonia. It allocates at open and when a seek searches for a frame, never per
//! block.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;

use creek::{DataBlock, Decoder, FileInfo};

mod bits;
mod crc;
mod subframe;

use bits::Bits;
use crc::{crc8, crc16};
use subframe::read_subframe;

/// More bits per sample than this is left to symphonia (a 32-bit side channel needs 33 bits).
const MAX_BITS: u32 = 24;
/// Bytes read from the file at a time.
const READ_CHUNK: usize = 1 << 18;
/// A frame longer than this is taken for damage rather than buffered.
const MAX_FRAME_BYTES: usize = 1 << 24;
/// Marks an unused point in a SEEKTABLE.
const PLACEHOLDER: u64 = u64::MAX;

/// What STREAMINFO says about a FLAC stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlacSpec {
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channels (1 to 8).
    pub channels: u16,
    /// Bits per sample (4 to 24).
    pub bits: u32,
    /// Frames (samples per channel) in the stream.
    pub frames: u64,
    /// The largest block (frames per FLAC frame) in the stream.
    pub max_block: u16,
    /// The largest FLAC frame in bytes (0 when the encoder did not say).
    pub max_frame_bytes: u32,
    /// Byte offset of the first frame.
    pub audio_start: u64,
}

/// A FLAC file this decoder does not read, or a read that failed.
#[derive(Debug, thiserror::Error)]
pub enum FlacError {
    /// Reading the file failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A file left to symphonia.
    #[error("unsupported FLAC: {0}")]
    Unsupported(&'static str),
    /// The metadata contradicts itself or the file.
    #[error("malformed FLAC: {0}")]
    Malformed(&'static str),
    /// A frame that does not decode (its checksum fails, or it is not a valid frame).
    #[error("damaged FLAC data: {0}")]
    Damaged(&'static str),
}

/// Why a frame did not decode from the bytes given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameError {
    /// The bytes end inside the frame.
    Short,
    /// Not a valid frame: what is wrong.
    Bad(&'static str),
}

type FrameResult<T> = Result<T, FrameError>;

/// A frame's header, as far as the decoder needs it.
#[derive(Debug, Clone, Copy)]
struct FrameHeader {
    /// The frame's first sample in the stream.
    first: u64,
    /// Frames (samples per channel) in the frame.
    len: usize,
    /// Bits per sample.
    bits: u32,
    /// Channels and how they are coded.
    assignment: Assignment,
    /// Bytes of the header, its CRC-8 included.
    bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Assignment {
    Independent(usize),
    LeftSide,
    SideRight,
    MidSide,
}

impl Assignment {
    fn channels(self) -> usize {
        match self {
            Self::Independent(n) => n,
            _ => 2,
        }
    }
}

/// Streams the samples of a FLAC file as planar `f32`: see the module docs.
pub struct FlacDecoder {
    file: File,
    spec: FlacSpec,
    /// (first sample, byte offset from `audio_start`) of each SEEKTABLE point, in order.
    seek_points: Vec<(u64, u64)>,
    file_len: u64,
    /// Bytes read from the file: `buf[used..]` is what has not been decoded yet.
    buf: Vec<u8>,
    used: usize,
    /// The file offset of `buf[0]`.
    buf_at: u64,
    /// Whether `buf` reaches the end of the file.
    eof: bool,
    /// The last frame decoded, one plane per channel, and what is left of it to give out.
    planes: Vec<Vec<i32>>,
    frame: Option<FrameHeader>,
    frame_used: usize,
    /// The scale from the last frame's integers to `f32`.
    scale: f32,
    num_frames: usize,
    block_size: usize,
    /// The next frame `decode` returns.
    playhead: u64,
    /// False after a failed read, when the buffer no longer holds the frame `playhead` is in.
    in_step: bool,
}

impl FlacDecoder {
    /// The stream as STREAMINFO describes it. Realtime-safe.
    pub fn spec(&self) -> &FlacSpec {
        &self.spec
    }

    /// Moves the buffer to the file offset `at`. Not realtime-safe (file I/O).
    fn jump(&mut self, at: u64) -> io::Result<()> {
        let end = self.buf_at + self.buf.len() as u64;
        if (self.buf_at..=end).contains(&at) {
            self.used = (at - self.buf_at) as usize;
            return Ok(());
        }
        self.file.seek(SeekFrom::Start(at))?;
        self.buf.clear();
        self.used = 0;
        self.buf_at = at;
        self.eof = at >= self.file_len;
        Ok(())
    }

    /// Reads until the buffer holds `need` bytes past `used`, or the file ends. Not
    /// realtime-safe (file I/O).
    fn fill(&mut self, need: usize) -> io::Result<()> {
        if self.buf.len() - self.used >= need || self.eof {
            return Ok(());
        }
        // Drop what has been decoded, then read in large chunks.
        self.buf.drain(..self.used);
        self.buf_at += self.used as u64;
        self.used = 0;
        while self.buf.len() < need && !self.eof {
            let have = self.buf.len();
            self.buf.resize(have + need.max(READ_CHUNK), 0);
            let mut filled = have;
            while filled < self.buf.len() {
                match self.file.read(&mut self.buf[filled..]) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.buf.truncate(filled);
                        return Err(e);
                    }
                }
            }
            self.buf.truncate(filled);
        }
        Ok(())
    }

    /// Decodes the frame at the buffer's position into `planes` and moves past it. `Ok(false)`
    /// where the data ends (cleanly or inside a frame). Not realtime-safe (file I/O).
    fn next_frame(&mut self) -> Result<bool, FlacError> {
        let mut need = if self.spec.max_frame_bytes > 0 {
            self.spec.max_frame_bytes as usize + 16
        } else {
            READ_CHUNK
        };
        loop {
            self.fill(need)?;
            let data = &self.buf[self.used..];
            if data.is_empty() {
                return Ok(false);
            }
            match decode_frame(data, &self.spec, &mut self.planes) {
                Ok((header, bytes)) => {
                    self.used += bytes;
                    self.scale = 1.0 / (1u32 << (header.bits - 1)) as f32;
                    self.frame = Some(header);
                    self.frame_used = 0;
                    return Ok(true);
                }
                Err(FrameError::Short) if self.eof => return Ok(false),
                Err(FrameError::Short) if need >= MAX_FRAME_BYTES => {
                    return Err(FlacError::Damaged(
                        "a frame longer than any FLAC frame can be",
                    ));
                }
                Err(FrameError::Short) => need *= 2,
                Err(FrameError::Bad(what)) => return Err(FlacError::Damaged(what)),
            }
        }
    }

    /// The file offset of the first frame at or after `at` that decodes, and its header; `None`
    /// when there is none before the end. Not realtime-safe (file I/O).
    fn frame_from(&mut self, at: u64) -> Result<Option<(u64, FrameHeader)>, FlacError> {
        self.jump(at)?;
        loop {
            self.fill(READ_CHUNK)?;
            let data = &self.buf[self.used..];
            let Some(sync) = data
                .windows(2)
                .position(|w| w[0] == 0xFF && w[1] & 0xFE == 0xF8)
            else {
                if self.eof {
                    return Ok(None);
                }
                // Keep the last byte: it may be the first half of a sync code.
                self.used = self.buf.len().saturating_sub(1);
                continue;
            };
            self.used += sync;
            let offset = self.buf_at + self.used as u64;
            match self.next_frame() {
                Ok(true) => {
                    let header = self.frame.ok_or(FlacError::Damaged("no frame"))?;
                    return Ok(Some((offset, header)));
                }
                Ok(false) => return Ok(None),
                Err(FlacError::Damaged(_)) => self.jump(offset + 1)?,
                Err(e) => return Err(e),
            }
        }
    }

    /// Positions the buffer at a frame that starts at or before `target`, as close to it as a
    /// bisection of the bytes finds, starting from the SEEKTABLE's points around it. Not
    /// realtime-safe (file I/O).
    fn seek_file(&mut self, target: u64) -> Result<(), FlacError> {
        self.frame = None;
        let start = self.spec.audio_start;
        // The last point at or before the target and the first after it.
        let after = self.seek_points.partition_point(|&(s, _)| s <= target);
        let (mut lo, mut lo_sample) = after.checked_sub(1).map_or((start, 0), |i| {
            (start + self.seek_points[i].1, self.seek_points[i].0)
        });
        let mut hi = self
            .seek_points
            .get(after)
            .map_or(self.file_len, |&(_, offset)| start + offset);
        // Bisect until one read covers the bounds, unless the target is a few frames on.
        let close = (u64::from(self.spec.max_frame_bytes) * 2).max(READ_CHUNK as u64);
        let few = 4 * u64::from(self.spec.max_block);
        while hi > lo + close && target - lo_sample > few {
            let mid = lo + (hi - lo) / 2;
            match self.frame_from(mid)? {
                Some((offset, header)) if header.first <= target && offset < hi => {
                    lo = offset;
                    lo_sample = header.first;
                }
                _ => hi = mid,
            }
        }
        self.jump(lo)?;
        self.frame = None;
        Ok(())
    }

    /// Appends up to `want` frames of the decoded frame, from `playhead` on, to `out`; returns
    /// how many.
    fn give(&mut self, out: &mut [Vec<f32>], want: usize) -> usize {
        let Some(frame) = self.frame else { return 0 };
        let n = (frame.len - self.frame_used).min(want);
        let scale = self.scale;
        for (dst, src) in out.iter_mut().zip(&self.planes) {
            dst.extend(
                src[self.frame_used..self.frame_used + n]
                    .iter()
                    .map(|&s| s as f32 * scale),
            );
        }
        self.frame_used += n;
        n
    }
}

impl Decoder for FlacDecoder {
    type T = f32;
    type AdditionalOpts = ();
    type FileParams = FlacSpec;
    type OpenError = FlacError;
    type FatalError = FlacError;

    const DEFAULT_BLOCK_SIZE: usize = 16_384;
    const DEFAULT_NUM_CACHE_BLOCKS: usize = 0;
    const DEFAULT_NUM_LOOK_AHEAD_BLOCKS: usize = 8;

    fn new(
        path: PathBuf,
        start_frame: usize,
        block_size: usize,
        (): (),
    ) -> Result<(Self, FileInfo<FlacSpec>), FlacError> {
        let mut file = File::open(path)?;
        let file_len = file.metadata()?.len();
        let (spec, seek_points) = read_metadata(&mut file, file_len)?;
        let num_frames = usize::try_from(spec.frames)
            .map_err(|_| FlacError::Unsupported("too many frames for this platform"))?;
        let info = FileInfo {
            params: spec,
            num_frames,
            num_channels: spec.channels,
            sample_rate: Some(spec.sample_rate),
        };
        let mut decoder = Self {
            file,
            spec,
            seek_points,
            file_len,
            buf: Vec::with_capacity(READ_CHUNK * 2),
            used: 0,
            buf_at: spec.audio_start,
            eof: false,
            planes: vec![vec![0; usize::from(spec.max_block)]; usize::from(spec.channels)],
            frame: None,
            frame_used: 0,
            scale: 1.0,
            num_frames,
            block_size,
            playhead: 0,
            in_step: true,
        };
        decoder.file.seek(SeekFrom::Start(spec.audio_start))?;
        decoder.seek(start_frame)?;
        Ok((decoder, info))
    }

    fn seek(&mut self, frame: usize) -> Result<(), FlacError> {
        let frame = frame.min(self.num_frames) as u64;
        self.playhead = frame;
        if frame >= self.num_frames as u64 {
            return Ok(());
        }
        // Within the frame decoded last: no need to read.
        if let Some(h) = self.frame
            && self.in_step
            && (h.first..h.first + h.len as u64).contains(&frame)
        {
            self.frame_used = (frame - h.first) as usize;
            return Ok(());
        }
        self.in_step = false;
        self.seek_file(frame)?;
        self.in_step = true;
        Ok(())
    }

    fn decode(&mut self, data_block: &mut DataBlock<f32>) -> Result<(), FlacError> {
        let want = self
            .block_size
            .min(self.num_frames.saturating_sub(self.playhead as usize));
        if want == 0 {
            return Ok(());
        }
        if !self.in_step {
            self.seek_file(self.playhead)?;
            self.in_step = true;
        }
        let mut done = 0;
        while done < want {
            let Some(h) = self.frame.filter(|h| self.frame_used < h.len) else {
                match self.next_frame() {
                    Ok(true) => continue,
                    // The data ends early: the short block says where.
                    Ok(false) => {
                        self.in_step = false;
                        self.playhead = self.num_frames as u64;
                        return Ok(());
                    }
                    Err(e) => {
                        self.in_step = false;
                        return Err(e);
                    }
                }
            };
            let at = h.first + self.frame_used as u64;
            if at < self.playhead {
                // Before the target of a seek.
                self.frame_used = (self.frame_used + (self.playhead - at) as usize).min(h.len);
                continue;
            }
            if at > self.playhead {
                self.in_step = false;
                return Err(FlacError::Damaged("a frame out of sequence"));
            }
            let n = self.give(&mut data_block.block, want - done);
            done += n;
            self.playhead += n as u64;
        }
        Ok(())
    }

    fn current_frame(&self) -> usize {
        self.playhead as usize
    }
}

/// Reads the `fLaC` marker and the metadata blocks, leaving `file` anywhere.
fn read_metadata(file: &mut File, file_len: u64) -> Result<(FlacSpec, Vec<(u64, u64)>), FlacError> {
    let mut marker = [0u8; 4];
    read_exact(file, &mut marker)?;
    if &marker != b"fLaC" {
        return Err(FlacError::Unsupported("not a native FLAC file"));
    }
    let mut pos = 4u64;
    let mut spec: Option<FlacSpec> = None;
    let mut points = Vec::new();
    loop {
        let mut head = [0u8; 4];
        read_exact(file, &mut head)?;
        pos += 4;
        let last = head[0] & 0x80 != 0;
        let kind = head[0] & 0x7F;
        let len = u64::from(u32::from_be_bytes([0, head[1], head[2], head[3]]));
        if pos + len > file_len {
            return Err(FlacError::Malformed(
                "a metadata block runs past the end of the file",
            ));
        }
        match kind {
            0 if spec.is_none() => {
                if len != 34 {
                    return Err(FlacError::Malformed("STREAMINFO is not 34 bytes"));
                }
                let mut body = [0u8; 34];
                read_exact(file, &mut body)?;
                spec = Some(parse_streaminfo(&body)?);
            }
            3 if points.is_empty() => {
                let mut body = vec![0u8; len as usize];
                read_exact(file, &mut body)?;
                for p in body.chunks_exact(18) {
                    let sample = u64::from_be_bytes(p[0..8].try_into().unwrap_or_default());
                    let offset = u64::from_be_bytes(p[8..16].try_into().unwrap_or_default());
                    if sample != PLACEHOLDER && points.last().is_none_or(|&(s, _)| s < sample) {
                        points.push((sample, offset));
                    }
                }
            }
            0 => return Err(FlacError::Malformed("more than one STREAMINFO block")),
            _ if spec.is_none() => {
                return Err(FlacError::Malformed(
                    "the first metadata block is not STREAMINFO",
                ));
            }
            _ => {
                file.seek(SeekFrom::Current(len as i64))?;
            }
        }
        pos += len;
        if last {
            break;
        }
    }
    let mut spec = spec.ok_or(FlacError::Malformed("no STREAMINFO block"))?;
    spec.audio_start = pos;
    // A point past the end of the file or out of order is of no use.
    points.retain(|&(s, o)| s < spec.frames && pos + o < file_len);
    points.dedup_by(|b, a| b.1 <= a.1);
    Ok((spec, points))
}

fn read_exact(file: &mut File, buf: &mut [u8]) -> Result<(), FlacError> {
    file.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            FlacError::Malformed("the file ends inside its metadata")
        } else {
            FlacError::Io(e)
        }
    })
}

fn parse_streaminfo(b: &[u8; 34]) -> Result<FlacSpec, FlacError> {
    let min_block = u16::from_be_bytes([b[0], b[1]]);
    let max_block = u16::from_be_bytes([b[2], b[3]]);
    let max_frame_bytes = u32::from_be_bytes([0, b[7], b[8], b[9]]);
    let packed = u64::from_be_bytes([b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17]]);
    let sample_rate = (packed >> 44) as u32;
    let channels = ((packed >> 41) & 0x7) as u16 + 1;
    let bits = ((packed >> 36) & 0x1F) as u32 + 1;
    let frames = packed & 0xF_FFFF_FFFF;
    if max_block < 16 || min_block > max_block {
        return Err(FlacError::Malformed(
            "STREAMINFO's block sizes are out of range",
        ));
    }
    if sample_rate == 0 {
        return Err(FlacError::Malformed("a sample rate of 0"));
    }
    if !(4..=MAX_BITS).contains(&bits) {
        return Err(FlacError::Unsupported("bits per sample other than 4 to 24"));
    }
    if frames == 0 {
        return Err(FlacError::Unsupported("the length is not stated"));
    }
    Ok(FlacSpec {
        sample_rate,
        channels,
        bits,
        frames,
        max_block,
        max_frame_bytes,
        audio_start: 0,
    })
}

/// Decodes the frame at the start of `data` into `planes` (one per channel, each at least the
/// stream's largest block long). Returns its header and its length in bytes.
fn decode_frame(
    data: &[u8],
    spec: &FlacSpec,
    planes: &mut [Vec<i32>],
) -> FrameResult<(FrameHeader, usize)> {
    let header = read_frame_header(data, spec)?;
    if header.assignment.channels() != planes.len() {
        return Err(FrameError::Bad(
            "a frame with a channel count other than the stream's",
        ));
    }
    if header.len > usize::from(spec.max_block) {
        return Err(FrameError::Bad(
            "a frame longer than the stream's largest block",
        ));
    }
    let mut bits = Bits::new(&data[header.bytes..]);
    let n = header.len;
    let b = header.bits;
    match header.assignment {
        Assignment::Independent(_) => {
            for plane in planes.iter_mut() {
                read_subframe(&mut bits, b, &mut plane[..n])?;
            }
        }
        Assignment::LeftSide | Assignment::SideRight | Assignment::MidSide => {
            let [a, s, ..] = planes else {
                return Err(FrameError::Bad("a stereo frame in a mono stream"));
            };
            let (a, s) = (&mut a[..n], &mut s[..n]);
            let side_first = header.assignment == Assignment::SideRight;
            read_subframe(&mut bits, if side_first { b + 1 } else { b }, a)?;
            read_subframe(&mut bits, if side_first { b } else { b + 1 }, s)?;
            match header.assignment {
                Assignment::LeftSide => {
                    for (l, s) in a.iter().zip(s.iter_mut()) {
                        *s = l.wrapping_sub(*s);
                    }
                }
                Assignment::SideRight => {
                    for (s, r) in a.iter_mut().zip(s.iter()) {
                        *s = s.wrapping_add(*r);
                    }
                }
                _ => {
                    for (m, s) in a.iter_mut().zip(s.iter_mut()) {
                        let mid = (*m << 1) | (*s & 1);
                        *m = mid.wrapping_add(*s) >> 1;
                        *s = mid.wrapping_sub(*s) >> 1;
                    }
                }
            }
        }
    }
    let end = header.bytes + bits.byte_end()?;
    if data.len() < end + 2 {
        return Err(FrameError::Short);
    }
    let stated = u16::from_be_bytes([data[end], data[end + 1]]);
    if crc16(&data[..end]) != stated {
        return Err(FrameError::Bad(
            "a frame's checksum does not match its data",
        ));
    }
    Ok((header, end + 2))
}

/// Parses the frame header at the start of `data`, checking its CRC-8.
fn read_frame_header(data: &[u8], spec: &FlacSpec) -> FrameResult<FrameHeader> {
    if data.len() < 4 {
        return Err(FrameError::Short);
    }
    if data[0] != 0xFF || data[1] & 0xFE != 0xF8 {
        return Err(FrameError::Bad("no frame where one should start"));
    }
    let variable = data[1] & 1 != 0;
    let block_code = data[2] >> 4;
    let rate_code = data[2] & 0xF;
    let channel_code = data[3] >> 4;
    let bits_code = (data[3] >> 1) & 0x7;
    if data[3] & 1 != 0 || rate_code == 0xF || bits_code == 3 || block_code == 0 {
        return Err(FrameError::Bad("a frame header with reserved values"));
    }
    let mut at = 4;
    let byte = |at: usize| data.get(at).copied().ok_or(FrameError::Short);
    // The frame or sample number, coded like UTF-8 (up to 36 bits).
    let lead = byte(at)?;
    at += 1;
    let extra = lead.leading_ones() as usize;
    if extra == 1 || extra > 7 {
        return Err(FrameError::Bad(
            "a frame number that is not coded as it must be",
        ));
    }
    // The lead byte's bits after its leading ones (the first of them is 0).
    let extra = extra.saturating_sub(1);
    let mut number = u64::from(lead & (0x7F >> extra));
    for _ in 0..extra {
        let b = byte(at)?;
        at += 1;
        if b & 0xC0 != 0x80 {
            return Err(FrameError::Bad(
                "a frame number that is not coded as it must be",
            ));
        }
        number = (number << 6) | u64::from(b & 0x3F);
    }
    let len = match block_code {
        1 => 192,
        2..=5 => 576 << (block_code - 2),
        6 => {
            at += 1;
            usize::from(byte(at - 1)?) + 1
        }
        7 => {
            at += 2;
            usize::from(u16::from_be_bytes([byte(at - 2)?, byte(at - 1)?])) + 1
        }
        _ => 256 << (block_code - 8),
    };
    at += match rate_code {
        12 => 1,
        13 | 14 => 2,
        _ => 0,
    };
    let crc = byte(at)?;
    if crc8(&data[..at]) != crc {
        return Err(FrameError::Bad("a frame header's checksum does not match"));
    }
    let bits = match bits_code {
        0 => spec.bits,
        1 => 8,
        2 => 12,
        4 => 16,
        5 => 20,
        6 => 24,
        _ => 32,
    };
    if bits > MAX_BITS {
        return Err(FrameError::Bad("a frame with more bits per sample than 24"));
    }
    let assignment = match channel_code {
        0..=7 => Assignment::Independent(usize::from(channel_code) + 1),
        8 => Assignment::LeftSide,
        9 => Assignment::SideRight,
        10 => Assignment::MidSide,
        _ => {
            return Err(FrameError::Bad(
                "a frame with a reserved channel assignment",
            ));
        }
    };
    let first = if variable {
        number
    } else {
        number * u64::from(spec.max_block)
    };
    Ok(FrameHeader {
        first,
        len,
        bits,
        assignment,
        bytes: at + 1,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use creek::SymphoniaDecoder;

    use super::*;
    use crate::engine::decoder_tests::{bits as bits_of, decode_all};

    /// Music-like integer samples of `bits` bits: two tones, a slow sweep of noise, a stretch of
    /// exact silence (constant subframes), a stretch with the low bits zero (wasted bits), and a
    /// burst at full scale. Interleaved, `channels` per frame.
    fn music(bits: u32, channels: usize, frames: usize) -> Vec<i32> {
        let full = f64::from((1u32 << (bits - 1)) - 1);
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut out = Vec::with_capacity(frames * channels);
        for i in 0..frames {
            for ch in 0..channels {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let noise = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                let t = i as f64 / 48_000.0;
                let tone = (t * 440.0 * (ch + 1) as f64 * std::f64::consts::TAU).sin() * 0.4
                    + (t * 97.0 * std::f64::consts::TAU).sin() * 0.2;
                let x = match i * 10 / frames {
                    3 => 0.0,
                    7 => ((tone + noise) * 0.9).signum(),
                    _ => tone + noise * 0.3 * (i as f64 / frames as f64),
                };
                let mut s = (x.clamp(-1.0, 1.0) * full).round() as i32;
                if i * 10 / frames == 5 {
                    s &= !0xF;
                }
                out.push(s);
            }
        }
        out
    }

    /// Writes `samples` as a WAV and encodes it with the flac tool, with `args`.
    fn flac_file(
        dir: &Path,
        name: &str,
        bits: u32,
        channels: usize,
        samples: &[i32],
        args: &[&str],
    ) -> PathBuf {
        let wav = dir.join(format!("{name}.wav"));
        let spec = hound::WavSpec {
            channels: channels as u16,
            sample_rate: 48_000,
            bits_per_sample: bits as u16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&wav, spec).unwrap();
        for &s in samples {
            if bits == 8 {
                writer.write_sample(s as i8).unwrap();
            } else {
                writer.write_sample(s).unwrap();
            }
        }
        writer.finalize().unwrap();
        let flac = dir.join(format!("{name}.flac"));
        let status = Command::new("flac")
            .args(["-s", "-f"])
            .args(args)
            .arg("-o")
            .arg(&flac)
            .arg(&wav)
            .status()
            .expect("the flac tool (Debian package flac)");
        assert!(status.success(), "flac {args:?}");
        flac
    }

    /// Files the flac tool made (8, 16 and 24 bits, mono and stereo, -0 -5 -8, fixed block sizes
    /// from 192 to 4608, a length no block size divides) decode bit for bit as symphonia decodes
    /// them, with the same length, channels and rate, from the start, from an odd start frame and
    /// after a seek to an odd frame.
    #[test]
    fn output_is_bit_identical_to_symphonia() {
        let dir = tempfile::tempdir().unwrap();
        let frames = 20_011;
        let mut cases = 0;
        for bits in [8, 16, 24] {
            for channels in [1, 2] {
                let samples = music(bits, channels, frames);
                for args in [
                    &["-0"][..],
                    &["-5"],
                    &["-8"],
                    &["-8", "-b", "192"],
                    &["-5", "-b", "4608"],
                    &["-3", "-b", "1152"],
                ] {
                    let name = format!("{bits}-{channels}-{}", args.join(""));
                    let path = flac_file(dir.path(), &name, bits, channels, &samples, args);
                    for (block, start, seek) in [
                        (4_096, 0, None),
                        (97, 1_001, None),
                        (1_000, 0, Some(13_337)),
                    ] {
                        let (ours_info, ours) =
                            decode_all::<FlacDecoder>(&path, block, start, seek);
                        let sym_seek = seek.or(Some(start).filter(|&s| s != 0));
                        let (sym_info, sym) =
                            decode_all::<SymphoniaDecoder>(&path, block, 0, sym_seek);
                        assert_eq!(ours_info.num_frames, frames, "{name}");
                        assert_eq!(ours_info.num_channels, sym_info.num_channels, "{name}");
                        assert_eq!(ours_info.sample_rate, sym_info.sample_rate, "{name}");
                        assert_eq!(ours[0].len(), frames - seek.unwrap_or(start), "{name}");
                        assert!(
                            bits_of(&ours) == bits_of(&sym),
                            "{name}: block {block}, start {start}, seek {seek:?} differ"
                        );
                        cases += 1;
                    }
                }
            }
        }
        assert_eq!(cases, 3 * 2 * 6 * 3);
    }

    /// Files whose LPC orders are 1 to 4 (`flac -l`), where each sample is restored as its
    /// residual is decoded, and 5 to 8, where the block is restored after it, decode bit for bit
    /// as symphonia decodes them: 16 and 24 bits, mono and stereo.
    #[test]
    fn low_order_lpc_is_bit_identical_to_symphonia() {
        let dir = tempfile::tempdir().unwrap();
        let frames = 30_011;
        for (bits, channels) in [(24, 2), (16, 1)] {
            let samples = music(bits, channels, frames);
            for max_order in ["1", "2", "3", "4", "6", "8"] {
                let name = format!("{bits}-{channels}-l{max_order}");
                let args = ["-5", "-l", max_order];
                let path = flac_file(dir.path(), &name, bits, channels, &samples, &args);
                let (_, ours) = decode_all::<FlacDecoder>(&path, 4_096, 0, None);
                let (_, sym) = decode_all::<SymphoniaDecoder>(&path, 4_096, 0, None);
                assert_eq!(ours[0].len(), frames, "{name}");
                assert!(bits_of(&ours) == bits_of(&sym), "{name} differs");
            }
        }
    }

    /// A seek to any frame gives the samples that decoding from the start gives there, with a
    /// SEEKTABLE and without one (where the decoder bisects the file for a frame).
    #[test]
    fn seeks_give_the_samples_decoding_from_the_start_gives() {
        let dir = tempfile::tempdir().unwrap();
        let frames = 48_000 * 12 + 17;
        let samples = music(16, 2, frames);
        for args in [&["-5", "-S", "2s"][..], &["-5", "--no-seektable"]] {
            let path = flac_file(dir.path(), "seek", 16, 2, &samples, args);
            let (_, whole) = decode_all::<FlacDecoder>(&path, 8_192, 0, None);
            let (mut decoder, _) = FlacDecoder::new(path.clone(), 0, 1_000, ()).unwrap();
            let mut block = DataBlock::new(2, 1_000);
            for target in [
                400_000,
                0,
                4_095,
                4_096,
                4_097,
                250_001,
                frames - 10,
                77,
                575_000,
            ] {
                decoder.seek(target).unwrap();
                block.clear();
                decoder.decode(&mut block).unwrap();
                let n = 1_000.min(frames - target);
                assert_eq!(block.block[0].len(), n, "{args:?} {target}");
                for (got, want) in block.block.iter().zip(&whole) {
                    assert!(
                        got[..] == want[target..target + n],
                        "{args:?}: seek to {target}"
                    );
                }
                assert_eq!(decoder.current_frame(), target + n);
            }
        }
    }

    /// A file cut short gives every whole frame before the cut and then a short block; a flipped
    /// byte gives the frames before the damaged one and then an error that says the checksum
    /// fails. Neither panics.
    #[test]
    fn damage_stops_the_data_at_the_last_good_frame() {
        let dir = tempfile::tempdir().unwrap();
        let frames = 40_000;
        let path = flac_file(
            dir.path(),
            "d",
            16,
            1,
            &music(16, 1, frames),
            &["-5", "-b", "4096"],
        );
        let (_, whole) = decode_all::<FlacDecoder>(&path, 4_096, 0, None);
        let bytes = std::fs::read(&path).unwrap();
        let cut = dir.path().join("cut.flac");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let (_, got) = decode_all::<FlacDecoder>(&cut, 1_000, 0, None);
        let n = got[0].len();
        assert!(n.is_multiple_of(4_096) && n > 8_000 && n < 32_000, "{n}");
        assert!(got[0][..] == whole[0][..n]);
        let flipped = dir.path().join("flipped.flac");
        let mut damaged = bytes.clone();
        let at = bytes.len() * 3 / 4;
        damaged[at] ^= 0x10;
        std::fs::write(&flipped, &damaged).unwrap();
        let (mut decoder, _) = FlacDecoder::new(flipped, 0, 1_000, ()).unwrap();
        let mut out = Vec::new();
        let mut block = DataBlock::new(1, 1_000);
        let err = loop {
            block.clear();
            match decoder.decode(&mut block) {
                Ok(()) => out.extend_from_slice(&block.block[0]),
                Err(e) => {
                    out.extend_from_slice(&block.block[0]);
                    break e;
                }
            }
            assert!(out.len() < frames, "the damage is not found");
        };
        assert!(err.to_string().contains("checksum"), "{err}");
        assert!(
            out.len().is_multiple_of(4_096) && out.len() > 20_000,
            "{}",
            out.len()
        );
        assert!(out[..] == whole[0][..out.len()]);
    }

    /// Truncated or garbled files give errors or short data, never a panic.
    #[test]
    fn malformed_files_do_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let good = std::fs::read(flac_file(
            dir.path(),
            "m",
            24,
            2,
            &music(24, 2, 3_000),
            &["-5", "-b", "1024"],
        ))
        .unwrap();
        let path = dir.path().join("bad.flac");
        let try_decode = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            if let Ok((mut decoder, info)) = FlacDecoder::new(path.clone(), 7, 500, ()) {
                let mut block = DataBlock::new(usize::from(info.num_channels), 500);
                for _ in 0..10 {
                    block.clear();
                    if decoder.decode(&mut block).is_err() {
                        let _ = decoder.seek(1_500);
                    }
                }
            }
        };
        for len in (0..good.len()).step_by(7) {
            try_decode(&good[..len]);
        }
        let mut state = 7u64;
        for _ in 0..300 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut bytes = good.clone();
            let at = (state >> 20) as usize % bytes.len();
            bytes[at] = (state >> 8) as u8;
            try_decode(&bytes);
        }
    }
}
