//! The decoder behind every stem, run on creek's I/O thread (and on the thread that scans a stem
//! for `earmix check`): uncompressed WAV through the fast [`WavDecoder`], native FLAC through the
//! fast [`FlacDecoder`], MP3 through the fast [`Mp3Decoder`] (gapless as symphonia is, and as
//! long), everything else (and any WAV, FLAC or MP3 they refuse) through symphonia,
//! sample-exact ([`GaplessDecoder`]). It never fails the
//! stream: where the data stops early or decoding fails, it records that in the stem's
//! [`StemHealth`] and gives silence from there; samples that are NaN or infinite become silence
//! and are recorded too. So a damaged stem plays as long as its data, the same in the console,
//! the bounce and the report.

use std::convert::Infallible;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use creek::{DataBlock, Decoder, FileInfo, SymphoniaDecoder};

use super::gapless::GaplessDecoder;
use crate::engine::flac_decoder::{FlacDecoder, FlacError};
use crate::engine::health::{StemHealth, Stop};
use crate::engine::mp3_decoder::{Mp3Decoder, Mp3Error};
use crate::engine::wav_decoder::{self, SampleFormat, WavDecoder, WavError};

enum Inner {
    Wav(WavDecoder),
    Flac(FlacDecoder),
    Mp3(Mp3Decoder),
    Other(GaplessDecoder),
}

/// A stem's decoder: see the module docs.
pub(crate) struct StemDecoder {
    /// The stem file (to reopen it, and for the log).
    file: PathBuf,
    inner: Inner,
    health: Arc<StemHealth>,
    /// Frames the stem plays: what its header states, or what the file holds when that is known
    /// to be less (a WAV cut short).
    num_frames: usize,
    block_size: usize,
    /// The first frame the next `decode` gives.
    playhead: usize,
    /// Where the data stopped: silence from here on.
    silent_from: Option<usize>,
    /// Whether the inner decoder's position is `playhead` (false after it failed).
    in_step: bool,
    /// Whether the inner decoder met where the data stops (or failed) since it was opened.
    inner_spent: bool,
    /// Whether the samples can be non-finite (anything but integer PCM read by [`WavDecoder`]).
    may_be_nonfinite: bool,
    /// Runs of non-finite samples in one channel of a block, reused.
    runs: Vec<Range<u64>>,
}

impl StemDecoder {
    /// The stem's health record.
    pub(crate) fn health(&self) -> &Arc<StemHealth> {
        &self.health
    }

    /// Frames the stem plays.
    pub(crate) fn num_frames(&self) -> usize {
        self.num_frames
    }

    /// Whether reading the whole file could find anything its header does not already tell:
    /// false for integer PCM WAV, whose length the file size gives and whose samples are always
    /// finite. FLAC is read through: only decoding finds a frame cut short or damaged.
    pub(crate) fn needs_a_full_read(&self) -> bool {
        match &self.inner {
            Inner::Wav(_) => self.may_be_nonfinite,
            Inner::Flac(_) | Inner::Mp3(_) | Inner::Other(_) => true,
        }
    }

    fn stop(&mut self, frame: usize, why: Stop) {
        tracing::info!(
            "{}: the data stops at frame {frame} ({why:?})",
            self.file.display()
        );
        self.health.stopped(frame as u64, why);
        self.silent_from = Some(self.silent_from.map_or(frame, |s| s.min(frame)));
    }

    /// Replaces the non-finite samples of the `frames` frames just decoded into `block` (which
    /// start at file frame `start`) with silence, and records them.
    fn silence_nonfinite(&mut self, block: &mut DataBlock<f32>, start: usize) {
        let start = start as u64;
        for (channel, samples) in block.block.iter_mut().enumerate() {
            if samples.iter().all(|x| x.is_finite()) {
                continue;
            }
            self.runs.clear();
            let mut run: Option<u64> = None;
            for (i, x) in samples.iter_mut().enumerate() {
                let frame = start + i as u64;
                if x.is_finite() {
                    if let Some(from) = run.take() {
                        self.runs.push(from..frame);
                    }
                } else {
                    *x = 0.0;
                    run.get_or_insert(frame);
                }
            }
            let end = start + samples.len() as u64;
            if let Some(from) = run {
                self.runs.push(from..end);
            }
            self.health.nonfinite(channel, start..end, &self.runs);
        }
    }
}

/// Why a read or seek failed, as a [`Stop`].
fn stop_for_symphonia(err: &symphonia::core::errors::Error) -> Stop {
    use symphonia::core::errors::Error;
    match err {
        Error::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Stop::EndsEarly,
        other => Stop::Failed(other.to_string()),
    }
}

/// An error of one of earmix's own decoders, which may be an I/O error.
trait DecoderError: std::fmt::Display {
    /// The I/O error behind it, if that is what it is.
    fn io(&self) -> Option<&std::io::Error>;
}

impl DecoderError for WavError {
    fn io(&self) -> Option<&std::io::Error> {
        match self {
            WavError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl DecoderError for FlacError {
    fn io(&self) -> Option<&std::io::Error> {
        match self {
            FlacError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl DecoderError for Mp3Error {
    fn io(&self) -> Option<&std::io::Error> {
        match self {
            Mp3Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Why a read or seek of one of earmix's own decoders failed, as a [`Stop`]: the file ending
/// where more was read is where the data ends early; anything else is a failure.
fn stop_for(err: &impl DecoderError) -> Stop {
    match err.io() {
        Some(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Stop::EndsEarly,
        _ => Stop::Failed(err.to_string()),
    }
}

/// Opens `file` through symphonia, then, for MP3, through the [`Mp3Decoder`] when it reads the
/// file as symphonia does.
fn open_other(
    file: &std::path::Path,
    start_frame: usize,
    block_size: usize,
) -> Result<Opened, creek::OpenError> {
    // At frame 0: symphonia's seek, which may read the file up to the start, is made only when
    // symphonia keeps the file.
    let (mut decoder, info) = GaplessDecoder::open(file, 0)?;
    let header = info.frames;
    let is_mp3 = info.codec_params.codec == symphonia::core::codecs::CODEC_TYPE_MP3;
    // symphonia believes a WAV header about the length; the file size says how much of it is
    // there.
    let data = wav_decoder::layout_of(file).map_or(header, |layout| layout.frames().0.min(header));
    let info = FileInfo {
        num_frames: usize::try_from(header).map_err(|_| creek::OpenError::NoNumFrames)?,
        num_channels: info.channels,
        sample_rate: info.sample_rate,
        params: (),
    };
    if is_mp3 {
        match Mp3Decoder::new(file.to_path_buf(), start_frame, block_size, header) {
            Ok((mp3, mp3_info))
                if (mp3_info.num_channels, mp3_info.sample_rate)
                    == (info.num_channels, info.sample_rate) =>
            {
                return Ok(Opened::other(Inner::Mp3(mp3), info, header, data));
            }
            Ok(_) => tracing::debug!("{}: reading through symphonia (its format)", file.display()),
            Err(e) => tracing::debug!("{}: reading through symphonia ({e})", file.display()),
        }
    }
    if start_frame > 0 {
        decoder.seek(start_frame as u64)?;
    }
    Ok(Opened::other(Inner::Other(decoder), info, header, data))
}

impl Decoder for StemDecoder {
    type T = f32;
    /// The record the decoder writes what it finds into.
    type AdditionalOpts = Arc<StemHealth>;
    /// [`super::StemStream`] needs only the channel count and length, which [`FileInfo`] carries.
    type FileParams = ();
    /// The WAV decoder's refusals are not errors (symphonia gets the file), so an open error is
    /// always symphonia's.
    type OpenError = creek::OpenError;
    /// Nothing fails the stream once it is open (see the module docs).
    type FatalError = Infallible;

    const DEFAULT_BLOCK_SIZE: usize = SymphoniaDecoder::DEFAULT_BLOCK_SIZE;
    const DEFAULT_NUM_CACHE_BLOCKS: usize = SymphoniaDecoder::DEFAULT_NUM_CACHE_BLOCKS;
    const DEFAULT_NUM_LOOK_AHEAD_BLOCKS: usize = SymphoniaDecoder::DEFAULT_NUM_LOOK_AHEAD_BLOCKS;

    fn new(
        file: PathBuf,
        start_frame: usize,
        block_size: usize,
        health: Arc<StemHealth>,
    ) -> Result<(Self, FileInfo<()>), creek::OpenError> {
        let Opened {
            inner,
            info,
            may_be_nonfinite,
            header_frames,
            data_frames,
        } = open_inner(&file, start_frame, block_size)?;
        health.opened(info.sample_rate.unwrap_or(0), header_frames);
        let mut info = info;
        let mut decoder = Self {
            file,
            inner,
            health,
            num_frames: info.num_frames,
            block_size,
            playhead: start_frame.min(info.num_frames),
            silent_from: None,
            in_step: true,
            inner_spent: false,
            may_be_nonfinite,
            runs: Vec::new(),
        };
        if data_frames < header_frames
            && let Ok(data) = usize::try_from(data_frames)
        {
            decoder.stop(data, Stop::EndsEarly);
            decoder.num_frames = decoder.num_frames.min(data);
            info.num_frames = decoder.num_frames;
            decoder.playhead = decoder.playhead.min(decoder.num_frames);
        }
        Ok((decoder, info))
    }

    fn seek(&mut self, frame: usize) -> Result<(), Infallible> {
        let frame = frame.min(self.num_frames);
        self.playhead = frame;
        if self.silent_from.is_some_and(|s| frame >= s) {
            // Silence from here: the inner decoder is left where it is until a seek before it.
            self.in_step = false;
            return Ok(());
        }
        let result = match &mut self.inner {
            Inner::Wav(d) => d.seek(frame).map_err(|e| stop_for(&e)),
            Inner::Flac(d) => d.seek(frame).map_err(|e| stop_for(&e)),
            Inner::Mp3(d) => d.seek(frame).map_err(|e| stop_for(&e)),
            // symphonia's readers do not always find their way back from where a file ends
            // early (a FLAC reader, seeked back to the start, gave one packet and then the end
            // again): after that, start afresh.
            Inner::Other(d) if self.inner_spent => match GaplessDecoder::open(&self.file, 0) {
                Ok((fresh, _)) => {
                    *d = fresh;
                    self.inner_spent = false;
                    d.seek(frame as u64).map_err(|e| stop_for_symphonia(&e))
                }
                Err(e) => Err(Stop::Failed(e.to_string())),
            },
            Inner::Other(d) => d.seek(frame as u64).map_err(|e| stop_for_symphonia(&e)),
        };
        self.in_step = result.is_ok();
        if let Err(why) = result {
            self.inner_spent = true;
            self.stop(frame, why);
        }
        Ok(())
    }

    fn decode(&mut self, data_block: &mut DataBlock<f32>) -> Result<(), Infallible> {
        if self.playhead >= self.num_frames {
            return Ok(());
        }
        let start = self.playhead;
        let want = self.block_size.min(self.num_frames - start);
        self.playhead = start + want;
        if !self.in_step || self.silent_from.is_some_and(|s| start >= s) {
            // creek fills what a block lacks with silence.
            return Ok(());
        }
        let result = match &mut self.inner {
            Inner::Wav(d) => d.decode(data_block).map_err(|e| stop_for(&e)),
            Inner::Flac(d) => d.decode(data_block).map_err(|e| stop_for(&e)),
            Inner::Mp3(d) => d.decode(data_block).map_err(|e| stop_for(&e)),
            Inner::Other(d) => d
                .decode(data_block, self.block_size)
                .map_err(|e| stop_for_symphonia(&e)),
        };
        // Whole frames only, and no more than the stem plays.
        let got = data_block
            .block
            .iter()
            .map(Vec::len)
            .min()
            .unwrap_or(0)
            .min(want);
        for channel in &mut data_block.block {
            channel.truncate(got);
        }
        match result {
            Ok(()) if got == want => {}
            // The inner decoder met the end of the file before the stated length.
            Ok(()) => {
                self.inner_spent = true;
                self.stop(start + got, Stop::EndsEarly);
            }
            Err(why) => {
                self.in_step = false;
                self.inner_spent = true;
                self.stop(start + got, why);
            }
        }
        if self.may_be_nonfinite && got > 0 {
            self.silence_nonfinite(data_block, start);
        }
        Ok(())
    }

    fn current_frame(&self) -> usize {
        self.playhead
    }
}

/// The inner decoder [`StemDecoder::new`] opened, and what it found.
struct Opened {
    inner: Inner,
    info: FileInfo<()>,
    may_be_nonfinite: bool,
    /// Frames the header states.
    header_frames: u64,
    /// Frames the file holds, where that is known at open (a WAV cut short); else the header's.
    data_frames: u64,
}

impl Opened {
    /// A file read through symphonia or the MP3 decoder, whose samples may be non-finite.
    fn other(inner: Inner, info: FileInfo<()>, header_frames: u64, data_frames: u64) -> Self {
        Self {
            inner,
            info,
            may_be_nonfinite: true,
            header_frames,
            data_frames,
        }
    }
}

/// Opens `file` with the fast WAV decoder, else the fast FLAC decoder, else symphonia (and the
/// fast MP3 decoder, see [`open_other`]).
///
/// Not realtime-safe (file I/O).
fn open_inner(
    file: &std::path::Path,
    start_frame: usize,
    block_size: usize,
) -> Result<Opened, creek::OpenError> {
    let wav = match WavDecoder::new(file.to_path_buf(), start_frame, block_size, ()) {
        Ok((decoder, info)) => {
            let spec = *decoder.spec();
            return Ok(Opened {
                inner: Inner::Wav(decoder),
                info: without_params(&info),
                may_be_nonfinite: spec.format == SampleFormat::F32,
                header_frames: spec.header_frames,
                data_frames: spec.frames,
            });
        }
        Err(e) => e,
    };
    let flac = match FlacDecoder::new(file.to_path_buf(), start_frame, block_size, ()) {
        Ok((decoder, info)) => {
            let frames = decoder.spec().frames;
            return Ok(Opened {
                inner: Inner::Flac(decoder),
                info: without_params(&info),
                may_be_nonfinite: false,
                header_frames: frames,
                data_frames: frames,
            });
        }
        Err(e) => e,
    };
    tracing::debug!(
        "{}: not read as WAV ({wav}) nor as native FLAC ({flac})",
        file.display()
    );
    open_other(file, start_frame, block_size)
}

fn without_params<P>(info: &FileInfo<P>) -> FileInfo<()> {
    FileInfo {
        num_frames: info.num_frames,
        num_channels: info.num_channels,
        sample_rate: info.sample_rate,
        params: (),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::health::StemDamage;
    use crate::units::Seconds;

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
            let (decoder, info) = StemDecoder::new(path, 0, 64, Arc::default()).unwrap();
            assert_eq!(matches!(decoder.inner, Inner::Wav(_)), fast, "{bits}-bit");
            assert_eq!((info.num_frames, info.num_channels), (100, 2), "{bits}-bit");
        }
    }

    /// Decodes every block to the end, filling short blocks with silence as creek does;
    /// returns each channel.
    fn decode_all(decoder: &mut StemDecoder, channels: usize, block: usize) -> Vec<Vec<f32>> {
        let mut out = vec![Vec::new(); channels];
        let mut data = DataBlock::new(channels, block);
        while decoder.current_frame() < decoder.num_frames() {
            let want = block.min(decoder.num_frames() - decoder.current_frame());
            data.clear();
            decoder.decode(&mut data).unwrap();
            let n = data.block[0].len();
            assert!(data.block.iter().all(|c| c.len() == n) && n <= want);
            for (o, c) in out.iter_mut().zip(&data.block) {
                o.extend_from_slice(c);
                o.resize(o.len() + want - n, 0.0);
            }
        }
        out
    }

    /// NaN and infinite samples in a float WAV become exact silence, everything else is left as
    /// it is, and the health record counts them, once per sample, with the first one's time.
    #[test]
    fn non_finite_samples_become_silence_and_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nan.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 1_000,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::create(&path, spec).unwrap();
        let mut want = [Vec::new(), Vec::new()];
        for i in 0..3_000 {
            for (ch, want) in want.iter_mut().enumerate() {
                let good = (i * (ch + 1)) as f32 / 10_000.0;
                let x = match (i, ch) {
                    (1_500..1_510, 0) => f32::NAN,
                    (2_999, 1) => f32::INFINITY,
                    (700, 1) => f32::NEG_INFINITY,
                    _ => good,
                };
                writer.write_sample(x).unwrap();
                want.push(if x.is_finite() { x } else { 0.0 });
            }
        }
        writer.finalize().unwrap();
        let (mut decoder, _) = StemDecoder::new(path, 0, 256, Arc::default()).unwrap();
        assert!(decoder.needs_a_full_read());
        let got = decode_all(&mut decoder, 2, 256);
        assert!(got[0] == want[0] && got[1] == want[1]);
        assert_eq!(
            decoder.health().all_damage(),
            [StemDamage::NonFinite {
                count: 12,
                more: false,
                first: Some(Seconds(0.7)),
            }]
        );
    }

    /// A FLAC file made by the flac tool takes the fast FLAC decoder; with a byte flipped in its
    /// second half it plays its frames up to the damaged one, is silent from there, and the
    /// health record names the failed checksum at that frame's start; a read from the start
    /// again gives the same.
    #[test]
    fn a_flac_with_a_flipped_byte_plays_until_the_damaged_frame() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("tone.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 48_000,
            bits_per_sample: 24,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&wav, spec).unwrap();
        for i in 0..48_000 {
            let x = (i as f32 * 0.031).sin() * 4_000_000.0;
            writer.write_sample(x as i32).unwrap();
            writer
                .write_sample((x * 0.5) as i32 + (i % 7) * 1_000)
                .unwrap();
        }
        writer.finalize().unwrap();
        let flac = dir.path().join("tone.flac");
        let status = std::process::Command::new("flac")
            .args(["-s", "-f", "-b", "4096", "-o"])
            .arg(&flac)
            .arg(&wav)
            .status()
            .expect("the flac tool (Debian package flac)");
        assert!(status.success());
        let (mut decoder, _) = StemDecoder::new(flac.clone(), 0, 1_000, Arc::default()).unwrap();
        assert!(matches!(decoder.inner, Inner::Flac(_)));
        assert!(decoder.needs_a_full_read());
        let whole = decode_all(&mut decoder, 2, 1_000);
        assert!(decoder.health().all_damage().is_empty());
        let mut bytes = std::fs::read(&flac).unwrap();
        let at = bytes.len() * 2 / 3;
        bytes[at] ^= 0x04;
        std::fs::write(&flac, &bytes).unwrap();
        let (mut decoder, _) = StemDecoder::new(flac, 0, 1_000, Arc::default()).unwrap();
        let got = decode_all(&mut decoder, 2, 1_000);
        let damage = decoder.health().all_damage();
        let [StemDamage::Failed { at, reason }] = damage.as_slice() else {
            panic!("{damage:?}");
        };
        assert!(reason.contains("checksum"), "{reason}");
        let stop = at.to_frames(48_000) as usize;
        assert!(
            stop.is_multiple_of(4_096) && (16_000..40_000).contains(&stop),
            "{at}"
        );
        for (g, w) in got.iter().zip(&whole) {
            assert_eq!(g.len(), 48_000);
            assert!(
                g[..stop] == w[..stop],
                "the frames before the damage play as they are"
            );
            assert!(
                g[stop..].iter().all(|x| *x == 0.0),
                "silent from the damage on"
            );
        }
        decoder.seek(0).unwrap();
        assert!(decode_all(&mut decoder, 2, 1_000) == got);
    }

    /// A FLAC file cut in half (made by the flac tool) plays as long as its data and is silent
    /// after it, and the health record says where decoding stopped; decoding never fails.
    #[test]
    fn a_truncated_flac_stops_where_its_data_does() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("tone.wav");
        let samples: Vec<f32> = (0..48_000).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&wav, spec).unwrap();
        for &x in &samples {
            writer.write_sample((x * 32_767.0) as i16).unwrap();
        }
        writer.finalize().unwrap();
        let flac = dir.path().join("tone.flac");
        let status = std::process::Command::new("flac")
            .args(["-s", "-f", "-o"])
            .arg(&flac)
            .arg(&wav)
            .status()
            .expect("the flac tool (Debian package flac)");
        assert!(status.success());
        let bytes = std::fs::read(&flac).unwrap();
        std::fs::write(&flac, &bytes[..bytes.len() / 2]).unwrap();
        let (mut decoder, info) = StemDecoder::new(flac, 0, 4_096, Arc::default()).unwrap();
        assert_eq!(info.num_frames, 48_000);
        let got = decode_all(&mut decoder, 1, 4_096);
        assert_eq!(got[0].len(), 48_000);
        let damage = decoder.health().all_damage();
        let [StemDamage::EndsEarly { at, header }] = damage.as_slice() else {
            panic!("{damage:?}");
        };
        assert_eq!(*header, Seconds(1.0));
        let stop = at.to_frames(48_000) as usize;
        assert!((10_000..40_000).contains(&stop), "{at}");
        assert!(got[0][stop..].iter().all(|x| *x == 0.0));
        let heard = got[0][..stop]
            .iter()
            .zip(&samples)
            .all(|(g, w)| (g - w).abs() < 1e-4);
        assert!(heard, "the data before the stop plays as it is");
        // Played again from the start (a loop, a jump back), it is the same: symphonia's FLAC
        // reader, seeked back after meeting the cut, gave one packet and then the end again.
        for from in [0, 5_000, 0] {
            decoder.seek(from).unwrap();
            let again = decode_all(&mut decoder, 1, 4_096);
            assert!(again[0] == got[0][from..], "played again from {from}");
        }
        assert_eq!(decoder.health().all_damage(), damage);
    }

    /// Every frame symphonia's gapless decoder gives for `path` from the start, per channel,
    /// and the length it states.
    fn symphonia_all(path: &Path) -> (Vec<Vec<f32>>, u64) {
        let (mut decoder, info) = GaplessDecoder::open(path, 0).unwrap();
        let channels = usize::from(info.channels);
        let mut out = vec![Vec::new(); channels];
        let mut data = DataBlock::new(channels, 4_096);
        loop {
            data.clear();
            decoder.decode(&mut data, 4_096).unwrap();
            if data.block[0].is_empty() {
                return (out, info.frames);
            }
            for (o, c) in out.iter_mut().zip(&data.block) {
                o.extend_from_slice(c);
            }
        }
    }

    /// The lag in frames, within +-1200, at which `got` best matches `want` over 0.2 s from
    /// frame `from` (the peak of their cross-correlation).
    fn lag(want: &[f32], got: &[f32], from: usize, len: usize) -> i64 {
        let correlation = |lag: i64| -> f64 {
            (from..from + len)
                .map(|i| f64::from(want[i]) * f64::from(got[(i as i64 + lag) as usize]))
                .sum()
        };
        (-1_200..=1_200)
            .max_by(|a, b| correlation(*a).total_cmp(&correlation(*b)))
            .unwrap()
    }

    /// An MP3 made by lame (CBR and VBR, 44.1 and 48 kHz, mono and stereo, music-like sound)
    /// takes the MP3 decoder and plays as symphonia's gapless decoder plays it: exactly as long
    /// (the WAV's length), in time with it (the cross-correlation peaks at lag 0, at the start
    /// and later on), and the same within 1e-3 of full scale everywhere.
    #[test]
    fn an_mp3_plays_in_time_with_symphonia_and_as_long() {
        use crate::engine::mp3_decoder::tests::{lame, music_wav};
        let dir = tempfile::tempdir().unwrap();
        for (rate, channels, args) in [
            (44_100, 1, &["-V2"][..]),
            (44_100, 2, &["-b", "256"]),
            (48_000, 1, &["-b", "256"]),
            (48_000, 2, &["-V2"]),
        ] {
            let wav = music_wav(dir.path(), rate, channels, 3.0);
            let what = format!("{rate} Hz, {channels} channels, lame {args:?}");
            let mp3 = lame(&wav, "stem.mp3", args);
            let (mut decoder, info) =
                StemDecoder::new(mp3.clone(), 0, 4_096, Arc::default()).unwrap();
            assert!(matches!(decoder.inner, Inner::Mp3(_)), "{what}");
            assert_eq!(info.num_frames, 3 * rate as usize, "{what}");
            let got = decode_all(&mut decoder, usize::from(channels), 4_096);
            let (want, frames) = symphonia_all(&mp3);
            assert_eq!(frames, info.num_frames as u64, "{what}");
            assert!(decoder.health().all_damage().is_empty(), "{what}");
            for (ch, (got, want)) in got.iter().zip(&want).enumerate() {
                assert_eq!((got.len(), want.len()), (info.num_frames, info.num_frames));
                let window = rate as usize / 5;
                for from in [1_300, rate as usize, 2 * rate as usize] {
                    assert_eq!(
                        lag(want, got, from, window),
                        0,
                        "{what}: channel {ch} at {from}"
                    );
                }
                let most = got
                    .iter()
                    .zip(want)
                    .map(|(g, w)| (g - w).abs())
                    .fold(0.0, f32::max);
                assert!(most < 1e-3, "{what}: channel {ch} differs by {most}");
            }
        }
    }

    /// An MP3 cut short, and one with a stretch of garbage in the middle, play as far as
    /// their good data through the MP3 decoder, never fail, and are recorded as symphonia's
    /// reading of them is.
    #[test]
    fn damaged_mp3s_are_read_as_symphonia_reads_them() {
        use crate::engine::mp3_decoder::tests::{lame, music_wav};
        let dir = tempfile::tempdir().unwrap();
        let wav = music_wav(dir.path(), 44_100, 2, 4.0);
        let mp3 = lame(&wav, "stem.mp3", &[]);
        let (mut decoder, _) = StemDecoder::new(mp3.clone(), 0, 4_096, Arc::default()).unwrap();
        let full = decode_all(&mut decoder, 2, 4_096);
        let bytes = std::fs::read(&mp3).unwrap();
        let cut = dir.path().join("cut.mp3");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let mut garbled_bytes = bytes.clone();
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for b in &mut garbled_bytes[bytes.len() / 2..bytes.len() / 2 + 3_000] {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let garbled = dir.path().join("garbled.mp3");
        std::fs::write(&garbled, &garbled_bytes).unwrap();
        for (path, cut_short) in [(cut, true), (garbled, false)] {
            let what = path.display().to_string();
            let (mut decoder, info) =
                StemDecoder::new(path.clone(), 0, 4_096, Arc::default()).unwrap();
            assert!(matches!(decoder.inner, Inner::Mp3(_)), "{what}");
            assert_eq!(info.num_frames, 176_400, "{what}: the tag's length");
            let got = decode_all(&mut decoder, 2, 4_096);
            let damage = decoder.health().all_damage();
            let [StemDamage::EndsEarly { at, header }] = damage.as_slice() else {
                panic!("{what}: {damage:?}");
            };
            assert_eq!(*header, Seconds(4.0), "{what}");
            let stop = at.to_frames(44_100) as usize;
            // Where symphonia's gapless decoder stops giving frames.
            let symphonia_stop = symphonia_all(&path).0[0].len();
            assert!(
                symphonia_stop < 176_400,
                "{what}: symphonia reads it to the end"
            );
            if cut_short {
                // symphonia decodes the last whole frame before the cut, nanomp3 stops a frame
                // (1152 frames) before it.
                assert!(stop.abs_diff(symphonia_stop) <= 2_304, "{what}: {at}");
            }
            // The garbage starts half-way through the file, about 2 s in.
            let good = if cut_short { stop } else { 80_000 };
            assert!(stop >= good, "{what}: {at}");
            for (got, full) in got.iter().zip(&full) {
                assert!(got[..good] == full[..good], "{what}: the good data");
                assert!(
                    got[stop..].iter().all(|x| *x == 0.0),
                    "{what}: silence after"
                );
            }
        }
    }
}
