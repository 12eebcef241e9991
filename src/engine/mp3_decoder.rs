//! A creek [`Decoder`] for MP3 (MPEG Layer III) stems, run on creek's I/O thread and on the
//! thread that scans a stem for `earmix check`. It decodes through nanomp3 (a safe port of
//! minimp3), about one and a half times as fast as symphonia on stereo stems, and plays a stem
//! exactly as symphonia's gapless mode does: frame 0 is the first sample the encoder was given
//! (the encoder delay from the LAME tag and the decoder's own 529 frames are dropped) and the
//! stem is as long as the tag says (the padding is dropped too). It reads only files whose
//! Xing/Info tag gives the length symphonia's reader finds: anything else is refused at open, so
//! the caller can fall back to symphonia. The samples differ from symphonia's by float rounding
//! (a different decoder), never in time.
//!
//! A seek lands on the frame asked for with the samples a decode from the start gives there:
//! the decoder starts two MP3 frames before the target's (the transforms overlap by a granule
//! and the synthesis filter keeps 512 samples of history), and earlier still as far as the bit
//! reservoir reaches back, and drops what comes before the target.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use creek::{DataBlock, Decoder, FileInfo};

/// A file this decoder does not read, or a read or seek that failed.
#[derive(Debug, thiserror::Error)]
pub enum Mp3Error {
    /// Reading the file failed (an early end is `UnexpectedEof`).
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The decoder could not go on: the stream changed its rate, layer or channels midway.
    #[error("MP3 stream: {0}")]
    Stream(String),
    /// A file this decoder leaves to symphonia.
    #[error("not read by the MP3 decoder: {0}")]
    Refused(&'static str),
}

impl From<nanomp3::Error> for Mp3Error {
    fn from(e: nanomp3::Error) -> Self {
        match e {
            nanomp3::Error::Io(e) => Self::Io(e),
            other => Self::Stream(other.to_string()),
        }
    }
}

/// The stem file as the reader reads it, noting when a read met its end.
struct Source {
    file: File,
    /// Whether a read met the end of the file since the last seek (shared with the decoder,
    /// which cannot reach the reader's source).
    met_end: Arc<AtomicBool>,
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.met_end.store(true, Ordering::Relaxed);
        }
        Ok(n)
    }
}

impl Seek for Source {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.met_end.store(false, Ordering::Relaxed);
        self.file.seek(pos)
    }
}

/// Streams the samples of an MP3 file as planar `f32`, gapless.
pub struct Mp3Decoder {
    /// Boxed: the decoder's state is some 23 kB.
    reader: Box<nanomp3::Reader<Source, f32>>,
    /// Whether the reader has read to the end of the file since its last seek.
    met_end: Arc<AtomicBool>,
    channels: usize,
    num_frames: usize,
    block_size: usize,
    /// The next frame `decode` returns.
    playhead: usize,
    /// False after a failed or short read or a failed seek, when the reader's position no
    /// longer matches `playhead`.
    in_step: bool,
    /// Interleaved samples, an MP3 frame's worth at most, reused.
    interleaved: Vec<f32>,
}

impl Mp3Decoder {
    fn seek_reader(&mut self, frame: usize) -> Result<(), Mp3Error> {
        self.in_step = false;
        if frame < self.num_frames {
            self.reader.seek(frame as u64)?;
        }
        self.in_step = true;
        Ok(())
    }
}

impl Decoder for Mp3Decoder {
    type T = f32;
    /// The stem's length in frames as symphonia's gapless reader states it: a file whose tag
    /// gives another is refused.
    type AdditionalOpts = u64;
    type FileParams = ();
    type OpenError = Mp3Error;
    type FatalError = Mp3Error;

    const DEFAULT_BLOCK_SIZE: usize = 16_384;
    const DEFAULT_NUM_CACHE_BLOCKS: usize = 0;
    const DEFAULT_NUM_LOOK_AHEAD_BLOCKS: usize = 8;

    fn new(
        file: PathBuf,
        start_frame: usize,
        block_size: usize,
        expected_frames: u64,
    ) -> Result<(Self, FileInfo<()>), Mp3Error> {
        // Without a VBR tag the reader would scan the whole file for its length: such a file
        // is symphonia's anyway.
        let options = nanomp3::Options::default().skip_scan(true);
        let met_end = Arc::new(AtomicBool::new(false));
        let source = Source {
            file: File::open(file)?,
            met_end: Arc::clone(&met_end),
        };
        let reader = Box::new(nanomp3::Reader::<_, f32>::with_options(source, options)?);
        if !reader.has_vbr_tag() {
            return Err(Mp3Error::Refused("no Xing/Info tag"));
        }
        let frames = reader
            .total_samples()
            .ok_or(Mp3Error::Refused("no length in its tag"))?;
        if frames != expected_frames {
            return Err(Mp3Error::Refused("its tag reads as another length"));
        }
        let channels = reader
            .channels()
            .ok_or(Mp3Error::Refused("no audio frames"))?
            .num();
        let num_frames =
            usize::try_from(frames).map_err(|_| Mp3Error::Refused("too long for this platform"))?;
        let info = FileInfo {
            num_frames,
            num_channels: u16::from(channels),
            sample_rate: Some(reader.sample_rate()),
            params: (),
        };
        let channels = usize::from(channels);
        let mut decoder = Self {
            reader,
            met_end,
            channels,
            num_frames,
            block_size,
            playhead: 0,
            in_step: true,
            interleaved: vec![0.0; nanomp3::MAX_SAMPLES_PER_FRAME],
        };
        decoder.seek(start_frame)?;
        Ok((decoder, info))
    }

    fn seek(&mut self, frame: usize) -> Result<(), Mp3Error> {
        let frame = frame.min(self.num_frames);
        if frame != self.playhead || !self.in_step {
            self.seek_reader(frame)?;
        }
        self.playhead = frame;
        Ok(())
    }

    fn decode(&mut self, data_block: &mut DataBlock<f32>) -> Result<(), Mp3Error> {
        let frames = self.block_size.min(self.num_frames - self.playhead);
        if frames == 0 {
            return Ok(());
        }
        if !self.in_step {
            self.seek_reader(self.playhead)?;
        }
        let mut got_frames = 0;
        let mut failed = None;
        while got_frames < frames {
            let want = ((frames - got_frames) * self.channels).min(self.interleaved.len());
            let got = match self.reader.read(&mut self.interleaved[..want]) {
                Ok(0) => break,
                Ok(n) => n,
                // The reader reads ahead: a stream that "changes its format" where the whole
                // file has been read is a file cut short, whose last frame was cut in two (or
                // damage in its last few kilobytes), not a new stream. It ends early there.
                Err(nanomp3::Error::FormatChanged) if self.met_end.load(Ordering::Relaxed) => {
                    failed = Some(Mp3Error::Io(io::ErrorKind::UnexpectedEof.into()));
                    break;
                }
                Err(e) => {
                    failed = Some(e.into());
                    break;
                }
            };
            let whole = got / self.channels * self.channels;
            deinterleave(
                &self.interleaved[..whole],
                self.channels,
                &mut data_block.block,
            );
            got_frames += whole / self.channels;
        }
        self.playhead += got_frames;
        // Where the data stopped early, the next read starts with a seek (which finds the end
        // again): the short block tells the caller where.
        if got_frames < frames {
            self.in_step = false;
        }
        failed.map_or(Ok(()), Err)
    }

    fn current_frame(&self) -> usize {
        self.playhead
    }
}

/// Appends each channel of the interleaved `samples` to its Vec in `out`: mono and stereo in
/// one pass into slices of known length.
fn deinterleave(samples: &[f32], channels: usize, out: &mut [Vec<f32>]) {
    match (channels, out) {
        (1, [mono, ..]) => mono.extend_from_slice(samples),
        (2, [left, right, ..]) => {
            let frames = samples.len() / 2;
            let start = left.len();
            left.resize(start + frames, 0.0);
            let start_r = right.len();
            right.resize(start_r + frames, 0.0);
            for ((l, r), s) in left[start..]
                .iter_mut()
                .zip(&mut right[start_r..])
                .zip(samples.chunks_exact(2))
            {
                *l = s[0];
                *r = s[1];
            }
        }
        (_, out) => {
            for (ch, dst) in out.iter_mut().enumerate().take(channels) {
                dst.extend(samples.iter().skip(ch).step_by(channels));
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use super::*;

    /// Runs a command-line tool (from the Debian package `package`) and checks it succeeded.
    fn run(command: &mut Command, package: &str) {
        let status = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("{command:?} (Debian package {package}): {e}"));
        assert!(status.success(), "{command:?} failed");
    }

    /// A 16-bit WAV of `seconds` of music-like sound made by sox: two sweeping sines, a square
    /// wave and pink noise, with tremolo and reverb.
    pub(crate) fn music_wav(dir: &Path, rate: u32, channels: u16, seconds: f64) -> PathBuf {
        let path = dir.join(format!("music-{rate}-{channels}.wav"));
        let mut sox = Command::new("sox");
        sox.args(["-R", "-n", "-b", "16", "-r", &rate.to_string(), "-c", "2"])
            .arg(&path)
            .args(["synth", &seconds.to_string()])
            .args([
                "sine",
                "110-880",
                "sine",
                "165-660",
                "square",
                "220",
                "pinknoise",
            ])
            .args(["remix", "1,2v0.3,3v0.2,4v0.3", "2,3v0.3,4v0.4"])
            .args(["tremolo", "5", "60", "reverb", "50", "vol", "0.5"]);
        if channels == 1 {
            sox.args(["channels", "1"]);
        }
        run(&mut sox, "sox");
        path
    }

    /// Encodes `wav` with lame and `args` (lame writes a Xing/LAME tag unless told not to).
    pub(crate) fn lame(wav: &Path, name: &str, args: &[&str]) -> PathBuf {
        let mp3 = wav.with_file_name(name);
        run(
            Command::new("lame")
                .arg("--quiet")
                .args(args)
                .arg(wav)
                .arg(&mp3),
            "lame",
        );
        mp3
    }

    /// The frames `decoder` gives from where it is to the end, per channel, in blocks.
    pub(crate) fn rest(decoder: &mut Mp3Decoder, channels: usize, block: usize) -> Vec<Vec<f32>> {
        let mut out = vec![Vec::new(); channels];
        let mut data = DataBlock::new(channels, block);
        loop {
            data.clear();
            decoder.decode(&mut data).unwrap();
            if data.block[0].is_empty() {
                return out;
            }
            for (o, c) in out.iter_mut().zip(&data.block) {
                o.extend_from_slice(c);
            }
        }
    }

    /// Opening the decoder at frame N, or seeking it to N, gives exactly frames N.. of a decode
    /// from the start, sample for sample, whatever the block size: the bit reservoir, the
    /// overlap and the synthesis filter are filled as in a decode from the start, and the
    /// encoder delay is trimmed the same way.
    #[test]
    fn a_seek_gives_the_samples_of_a_decode_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let wav = music_wav(dir.path(), 44_100, 2, 6.0);
        for (name, args) in [("v2.mp3", &["-V2"][..]), ("cbr.mp3", &["-b", "128"])] {
            let mp3 = lame(&wav, name, args);
            let (mut decoder, info) = Mp3Decoder::new(mp3.clone(), 0, 4_096, 264_600).unwrap();
            assert_eq!((info.num_frames, info.num_channels), (264_600, 2));
            let full = rest(&mut decoder, 2, 4_096);
            assert_eq!(full[0].len(), 264_600, "{name}");
            for at in [1, 577, 1_105, 1_152, 22_050, 100_003, 264_600 - 4_000] {
                let want: Vec<&[f32]> = full.iter().map(|c| &c[at..]).collect();
                let (mut opened, _) = Mp3Decoder::new(mp3.clone(), at, 1_000, 264_600).unwrap();
                assert!(
                    rest(&mut opened, 2, 1_000) == want,
                    "{name}: opened at {at}"
                );
                decoder.seek(at).unwrap();
                assert!(
                    rest(&mut decoder, 2, 4_096) == want,
                    "{name}: seeked to {at}"
                );
            }
            decoder.seek(264_600).unwrap();
            assert!(rest(&mut decoder, 2, 4_096).iter().all(Vec::is_empty));
        }
    }

    /// A file whose tag reads as another length than the one symphonia found, or an MP3 with
    /// no Xing/Info tag (lame -t), is refused, so that symphonia reads it.
    #[test]
    fn files_read_otherwise_by_symphonia_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let wav = music_wav(dir.path(), 48_000, 1, 1.0);
        let tagged = lame(&wav, "tagged.mp3", &[]);
        assert!(Mp3Decoder::new(tagged.clone(), 0, 1_024, 48_000).is_ok());
        let Err(err) = Mp3Decoder::new(tagged, 0, 1_024, 48_001) else {
            panic!("another length was taken");
        };
        assert!(matches!(err, Mp3Error::Refused(_)), "{err}");
        let untagged = lame(&wav, "untagged.mp3", &["-t"]);
        let Err(err) = Mp3Decoder::new(untagged, 0, 1_024, 48_000) else {
            panic!("a file without a tag was taken");
        };
        assert_eq!(
            err.to_string(),
            "not read by the MP3 decoder: no Xing/Info tag"
        );
    }
}
