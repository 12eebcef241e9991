//! The bounce's WAV file, written on the bounce thread, and the sample formats it can hold
//! ([`BitDepth`]). The bounce's length is known before the first sample, so the header is
//! written first and never patched: ordinary RIFF WAV (the bytes hound writes) while the file
//! stays under 4 GiB, RF64 (EBU Tech 3306) past it, where a RIFF header's 32-bit sizes would
//! wrap.

use std::io::{self, Write};
use std::str::FromStr;

/// The sample format of a bounce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BitDepth {
    /// 32-bit IEEE float: the mix exactly as computed, nothing clipped or dithered.
    #[default]
    Float32,
    /// 24-bit integer PCM, TPDF-dithered.
    Int24,
    /// 16-bit integer PCM, TPDF-dithered.
    Int16,
}

impl BitDepth {
    /// The bits per sample written.
    pub fn bits(self) -> u16 {
        match self {
            BitDepth::Float32 => 32,
            BitDepth::Int24 => 24,
            BitDepth::Int16 => 16,
        }
    }
}

impl FromStr for BitDepth {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "32f" | "32" | "f32" | "float" => Ok(BitDepth::Float32),
            "24" => Ok(BitDepth::Int24),
            "16" => Ok(BitDepth::Int16),
            other => Err(format!(
                "'{other}' is not a bounce format; use 32f, 24 or 16"
            )),
        }
    }
}

impl std::fmt::Display for BitDepth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BitDepth::Float32 => "32-bit float",
            BitDepth::Int24 => "24-bit PCM (TPDF dither)",
            BitDepth::Int16 => "16-bit PCM (TPDF dither)",
        })
    }
}

/// The largest RIFF size field: a RIFF file is at most this plus 8 bytes.
pub const RIFF_MAX: u64 = u32::MAX as u64;

/// `KSDATAFORMAT_SUBTYPE_PCM` and `_IEEE_FLOAT`: the format tag, then this.
const GUID_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
];

/// What a bounce file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavFormat {
    /// The sample format.
    pub bits: BitDepth,
    /// Interleaved channels.
    pub channels: u16,
    /// Frames per second.
    pub sample_rate: u32,
}

impl WavFormat {
    /// Bytes of one sample.
    pub fn sample_bytes(self) -> u64 {
        u64::from(self.bits.bits() / 8)
    }

    /// Bytes of one frame.
    pub fn frame_bytes(self) -> u64 {
        self.sample_bytes() * u64::from(self.channels)
    }

    /// The `fmt ` chunk's body: `PCMWAVEFORMAT` for 16-bit, `WAVEFORMATEXTENSIBLE` otherwise,
    /// as hound writes them.
    fn fmt_body(self) -> Vec<u8> {
        let bits = self.bits.bits();
        let align = self.frame_bytes() as u16;
        let mut body = Vec::with_capacity(40);
        let tag: u16 = match self.bits {
            BitDepth::Float32 => 3,
            BitDepth::Int16 | BitDepth::Int24 => 1,
        };
        let extensible = bits > 16 || self.channels > 2;
        body.extend(if extensible { 0xfffe } else { tag }.to_le_bytes());
        body.extend(self.channels.to_le_bytes());
        body.extend(self.sample_rate.to_le_bytes());
        body.extend((self.sample_rate * u32::from(align)).to_le_bytes());
        body.extend(align.to_le_bytes());
        body.extend(bits.to_le_bytes());
        if extensible {
            body.extend(22u16.to_le_bytes());
            body.extend(bits.to_le_bytes());
            let mask = (1u32 << self.channels.min(18)) - 1;
            body.extend(mask.to_le_bytes());
            body.extend(tag.to_le_bytes());
            body.extend(GUID_TAIL);
        }
        body
    }
}

/// The header of a file of `frames` frames: RIFF when its size fits a RIFF header
/// (`riff_max`, [`RIFF_MAX`] but for tests), RF64 otherwise. The samples follow it.
pub fn header(format: WavFormat, frames: u64, riff_max: u64) -> Vec<u8> {
    let fmt = format.fmt_body();
    let data = frames * format.frame_bytes();
    // "WAVE", the fmt chunk, the data chunk.
    let riff_size = 4 + 8 + fmt.len() as u64 + 8 + data;
    let mut out = Vec::with_capacity(100);
    if riff_size <= riff_max {
        out.extend(b"RIFF");
        out.extend((riff_size as u32).to_le_bytes());
        out.extend(b"WAVE");
    } else {
        // EBU Tech 3306: the sizes are -1 and the real ones are in ds64.
        out.extend(b"RF64");
        out.extend(u32::MAX.to_le_bytes());
        out.extend(b"WAVE");
        out.extend(b"ds64");
        out.extend(28u32.to_le_bytes());
        out.extend((riff_size + 8 + 28).to_le_bytes());
        out.extend(data.to_le_bytes());
        // The sample count per channel (a fact chunk's, which a bounce does not write).
        out.extend(frames.to_le_bytes());
        out.extend(0u32.to_le_bytes());
    }
    out.extend(b"fmt ");
    out.extend((fmt.len() as u32).to_le_bytes());
    out.extend(&fmt);
    out.extend(b"data");
    let data_field = u32::try_from(data).ok().filter(|_| riff_size <= riff_max);
    out.extend(data_field.unwrap_or(u32::MAX).to_le_bytes());
    out
}

/// Writes a WAV file of a length given up front: the header, then the samples block by block.
pub struct WavWriter<W: Write> {
    writer: W,
    format: WavFormat,
    /// Frames the header announced, and frames written.
    frames: u64,
    written: u64,
    bytes: Vec<u8>,
}

impl<W: Write> WavWriter<W> {
    /// Writes the header for `frames` frames.
    pub fn new(mut writer: W, format: WavFormat, frames: u64, riff_max: u64) -> io::Result<Self> {
        writer.write_all(&header(format, frames, riff_max))?;
        Ok(Self {
            writer,
            format,
            frames,
            written: 0,
            bytes: Vec::new(),
        })
    }

    fn push(&mut self, frames: usize) -> io::Result<()> {
        self.written += frames as u64;
        if self.written > self.frames {
            return Err(io::Error::other(format!(
                "more frames than the {} announced",
                self.frames
            )));
        }
        self.writer.write_all(&self.bytes)
    }

    /// Appends stereo float frames (32-bit float files).
    pub fn write_f32(&mut self, left: &[f32], right: &[f32]) -> io::Result<()> {
        self.bytes.clear();
        for (l, r) in left.iter().zip(right) {
            self.bytes.extend(l.to_le_bytes());
            self.bytes.extend(r.to_le_bytes());
        }
        self.push(left.len().min(right.len()))
    }

    /// Appends stereo integer frames, each sample already in the file's range.
    pub fn write_int(&mut self, left: &[i32], right: &[i32]) -> io::Result<()> {
        let width = self.format.sample_bytes() as usize;
        self.bytes.clear();
        for (l, r) in left.iter().zip(right) {
            self.bytes.extend_from_slice(&l.to_le_bytes()[..width]);
            self.bytes.extend_from_slice(&r.to_le_bytes()[..width]);
        }
        self.push(left.len().min(right.len()))
    }

    /// Checks every announced frame was written and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        if self.written != self.frames {
            return Err(io::Error::other(format!(
                "{} of the {} frames announced were written",
                self.written, self.frames
            )));
        }
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    fn u64_at(b: &[u8], at: usize) -> u64 {
        let mut x = [0; 8];
        x.copy_from_slice(&b[at..at + 8]);
        u64::from_le_bytes(x)
    }

    const STEREO_48K_FLOAT: WavFormat = WavFormat {
        bits: BitDepth::Float32,
        channels: 2,
        sample_rate: 48_000,
    };

    /// Under 4 GiB the file is byte for byte what hound writes, for every bounce format.
    #[test]
    fn small_files_are_what_hound_writes() {
        let left: Vec<f32> = (0..1_001).map(|i| (i as f32 * 0.01).sin() * 0.9).collect();
        let right: Vec<f32> = left.iter().map(|x| -x * 0.5).collect();
        for bits in [BitDepth::Float32, BitDepth::Int24, BitDepth::Int16] {
            let format = WavFormat {
                bits,
                ..STEREO_48K_FLOAT
            };
            let spec = hound::WavSpec {
                channels: 2,
                sample_rate: 48_000,
                bits_per_sample: bits.bits(),
                sample_format: match bits {
                    BitDepth::Float32 => hound::SampleFormat::Float,
                    _ => hound::SampleFormat::Int,
                },
            };
            let mut want = std::io::Cursor::new(Vec::new());
            let mut hound = hound::WavWriter::new(&mut want, spec).unwrap();
            let mut ours = WavWriter::new(Vec::new(), format, 1_001, RIFF_MAX).unwrap();
            let full = f64::from(1u32 << (bits.bits() - 1));
            let ints = |x: &[f32]| -> Vec<i32> {
                x.iter().map(|&v| (f64::from(v) * full) as i32).collect()
            };
            for (l, r) in left.chunks(300).zip(right.chunks(300)) {
                if bits == BitDepth::Float32 {
                    for (a, b) in l.iter().zip(r) {
                        hound.write_sample(*a).unwrap();
                        hound.write_sample(*b).unwrap();
                    }
                    ours.write_f32(l, r).unwrap();
                } else {
                    for (a, b) in ints(l).into_iter().zip(ints(r)) {
                        hound.write_sample(a).unwrap();
                        hound.write_sample(b).unwrap();
                    }
                    ours.write_int(&ints(l), &ints(r)).unwrap();
                }
            }
            hound.finalize().unwrap();
            let got = {
                let WavWriter { writer, .. } = ours;
                writer
            };
            assert!(got == want.into_inner(), "{bits}");
        }
    }

    /// A 10-hour 48 kHz stereo float bounce (13.8 GB) gets an RF64 header: "RF64", -1 for the
    /// RIFF and data sizes, and the real sizes and frame count in ds64; a file one frame under
    /// the RIFF limit stays RIFF and one frame over it is RF64.
    #[test]
    fn past_4_gib_the_header_is_rf64() {
        let frames = 10 * 3_600 * 48_000u64;
        let h = header(STEREO_48K_FLOAT, frames, RIFF_MAX);
        assert_eq!(&h[0..4], b"RF64");
        assert_eq!(u32_at(&h, 4), u32::MAX);
        assert_eq!(&h[8..16], b"WAVEds64");
        assert_eq!(u32_at(&h, 16), 28);
        let data = frames * 8;
        assert_eq!(u64_at(&h, 20), h.len() as u64 - 8 + data, "riffSize");
        assert_eq!(u64_at(&h, 28), data, "dataSize");
        assert_eq!(u64_at(&h, 36), frames, "sampleCount");
        assert_eq!(u32_at(&h, 44), 0, "tableLength");
        assert_eq!(&h[48..52], b"fmt ");
        assert_eq!(&h[h.len() - 8..h.len() - 4], b"data");
        assert_eq!(u32_at(&h, h.len() - 4), u32::MAX);
        // The limit, to the frame.
        let fit = (RIFF_MAX - (4 + 8 + 40 + 8)) / 8;
        assert_eq!(&header(STEREO_48K_FLOAT, fit, RIFF_MAX)[0..4], b"RIFF");
        assert_eq!(&header(STEREO_48K_FLOAT, fit + 1, RIFF_MAX)[0..4], b"RF64");
    }

    /// An RF64 file reads back through earmix's own WAV reader with the same samples, and the
    /// writer refuses to write more or fewer frames than it announced.
    #[test]
    fn rf64_reads_back_and_lengths_are_kept() {
        use creek::Decoder;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rf64.wav");
        let left: Vec<f32> = (0..5_000).map(|i| i as f32 / 5_000.0).collect();
        let right: Vec<f32> = left.iter().map(|x| -x).collect();
        let file = std::fs::File::create(&path).unwrap();
        let mut w = WavWriter::new(file, STEREO_48K_FLOAT, 5_000, 1_000).unwrap();
        w.write_f32(&left, &right).unwrap();
        w.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[0..4], b"RF64");
        let (mut d, info) =
            crate::engine::wav_decoder::WavDecoder::new(path.clone(), 0, 8_192, ()).unwrap();
        assert_eq!(info.num_frames, 5_000);
        let mut block = creek::DataBlock::new(2, 8_192);
        d.decode(&mut block).unwrap();
        assert!(block.block[0] == left && block.block[1] == right);

        let mut short = WavWriter::new(Vec::new(), STEREO_48K_FLOAT, 10, RIFF_MAX).unwrap();
        short.write_f32(&left[..4], &right[..4]).unwrap();
        assert!(short.finish().is_err());
        let mut long = WavWriter::new(Vec::new(), STEREO_48K_FLOAT, 10, RIFF_MAX).unwrap();
        assert!(long.write_f32(&left[..11], &right[..11]).is_err());
    }
}
