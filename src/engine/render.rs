//! The offline bounce. Runs on the calling (non-realtime) thread: it drives the very same
//! [`Processor`] the audio thread runs, reading stems in blocking mode, so the bounce equals
//! what playback produces sample for sample.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::bs1770;
use super::health::StemDamage;
use super::processor::{Processor, StripHealth};
use super::source::{MAX_BLOCK, ReadMode, StreamError};
use super::streams::StreamConfig;
use crate::session::Session;
use crate::units::Seconds;

pub mod wav_file;

pub use wav_file::BitDepth;
use wav_file::{RIFF_MAX, WavFormat, WavWriter};

/// Asks a running bounce or report to stop: 0 while it should go on, a signal's number once it
/// should stop (set by the signal handler `main` installs). Checked before every block.
pub type StopFlag = AtomicUsize;

/// The name of a signal ("SIGTERM"), or its number.
pub fn signal_name(signal: usize) -> String {
    i32::try_from(signal)
        .ok()
        .and_then(|n| nix::sys::signal::Signal::try_from(n).ok())
        .map_or_else(|| format!("signal {signal}"), |s| s.as_str().to_string())
}

/// A stem the session plays that was damaged where it was heard: its file as the session names
/// it, and what was wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct DamagedStem {
    /// The file, as written in the session.
    pub file: PathBuf,
    /// What was wrong, and where.
    pub damage: StemDamage,
}

impl std::fmt::Display for DamagedStem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.damage)
    }
}

/// What was wrong with the session's stems over the timeline frames `[from, to)` (at
/// `mix_rate`), one entry per problem, in channel order (a split-stereo stem's left file, then
/// its right). `health` is [`Processor::stem_health`]'s answer (one per channel).
///
/// Not realtime-safe.
pub fn damaged_stems(
    session: &Session,
    health: &[StripHealth],
    mix_rate: u32,
    from: u64,
    to: u64,
) -> Vec<DamagedStem> {
    let mut out = Vec::new();
    for (channel, [left, right]) in session.channels.iter().zip(health) {
        let right_file = channel.right_file.as_ref().unwrap_or(&channel.file);
        for (file, health) in [(&channel.file, left), (right_file, right)] {
            let Some(health) = health else { continue };
            // The stretch of the file those frames play (it starts at the channel's start; its
            // own rate may differ).
            let placed = super::processor::start_at(session, channel, mix_rate);
            let (from, to) = (from.saturating_sub(placed), to.saturating_sub(placed));
            let rate = u128::from(health.sample_rate());
            let mix = u128::from(mix_rate.max(1));
            let start = (u128::from(from) * rate / mix) as u64;
            let end = (u128::from(to) * rate).div_ceil(mix) as u64;
            out.extend(
                health
                    .damage(start..end)
                    .into_iter()
                    .map(|damage| DamagedStem {
                        file: file.clone(),
                        damage,
                    }),
            );
        }
    }
    out
}

/// What to bounce.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BounceOptions {
    /// Output format.
    pub bits: BitDepth,
    /// Start time (default: the session start).
    pub from: Option<Seconds>,
    /// End time (default: the session end).
    pub to: Option<Seconds>,
}

/// What a bounce produced, measured on the samples written.
#[derive(Debug, Clone, PartialEq)]
pub struct BounceReport {
    /// The file written.
    pub path: PathBuf,
    /// Output format.
    pub bits: BitDepth,
    /// Sample rate.
    pub sample_rate: u32,
    /// Frames written.
    pub frames: u64,
    /// Highest absolute sample, dBFS (`-inf` for silence).
    pub sample_peak_dbfs: f64,
    /// Highest inter-sample peak (4x oversampled, as ebur128 measures it), dBTP.
    pub true_peak_dbtp: f64,
    /// Integrated loudness (EBU R 128 / ITU-R BS.1770), LUFS; `-inf` when all is gated out.
    pub integrated_lufs: f64,
    /// Samples that did not fit the integer format and were clipped (always 0 for float).
    pub clipped_samples: u64,
    /// Samples at or above full scale in a float bounce (kept as they are).
    pub over_full_scale: u64,
    /// Stems that were damaged in the bounced stretch (they bounced silence where they were).
    pub damaged: Vec<DamagedStem>,
}

impl BounceReport {
    /// The bounce length in seconds.
    pub fn seconds(&self) -> f64 {
        self.frames as f64 / f64::from(self.sample_rate)
    }
}

/// A bounce that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A stem could not be opened or read.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// `--from`/`--to` outside the session or in the wrong order.
    #[error("{0}")]
    Range(String),
    /// Writing the output failed.
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    /// Loudness measurement failed.
    #[error("loudness measurement failed: {0}")]
    Loudness(String),
    /// Stem reads failed partway through, so the mix would be wrong.
    #[error(
        "{failures} stem read(s) failed partway through the render (a stem file changed or \
         became unreadable?)"
    )]
    StemReads {
        /// Strip-blocks whose stream had failed.
        failures: u32,
    },
    /// A signal asked the render to stop.
    #[error("interrupted by {}", signal_name(*.signal))]
    Interrupted {
        /// The signal's number.
        signal: usize,
    },
}

/// The frames `[from, to)` a bounce covers, checked against the session.
pub fn bounce_range(session: &Session, opts: &BounceOptions) -> Result<(u64, u64), RenderError> {
    let rate = session.sample_rate;
    let length = session.length_frames;
    let from = opts.from.map_or(0, |t| t.to_frames(rate));
    let to = opts.to.map_or(length, |t| t.to_frames(rate));
    let len_text = session.length().to_string();
    if from >= length {
        return Err(RenderError::Range(format!(
            "--from {} is at or past the end of the session ({len_text})",
            Seconds::from_frames(from, rate)
        )));
    }
    if to > length {
        return Err(RenderError::Range(format!(
            "--to {} is past the end of the session ({len_text})",
            Seconds::from_frames(to, rate)
        )));
    }
    if to <= from {
        return Err(RenderError::Range(format!(
            "--to {} must be after --from {}",
            Seconds::from_frames(to, rate),
            Seconds::from_frames(from, rate)
        )));
    }
    Ok((from, to))
}

/// What a render found besides the mix.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rendered {
    /// Stems that were damaged in the rendered stretch.
    pub damaged: Vec<DamagedStem>,
}

/// Mixes the session's frames `[from, to)` and hands each block (left, right) to `sink`, until
/// `stop` asks it to stop ([`RenderError::Interrupted`]). Stem reads that fail are an error
/// ([`RenderError::StemReads`]); damaged stems (silent where their data is missing or was not
/// finite) are not, and are returned.
///
/// Not realtime-safe: this is the offline clock driving the realtime core.
pub fn render_blocks<E>(
    session: &Session,
    from: u64,
    to: u64,
    stop: &StopFlag,
    mut sink: impl FnMut(&[f32], &[f32]) -> Result<(), E>,
) -> Result<Rendered, E>
where
    E: From<RenderError>,
{
    let mut processor = Processor::for_session(
        session,
        session.sample_rate,
        from,
        &[],
        StreamConfig::BOUNCE,
    )
    .map_err(|e| E::from(RenderError::Stream(e)))?;
    let mut left = vec![0.0f32; MAX_BLOCK];
    let mut right = vec![0.0f32; MAX_BLOCK];
    let mut pos = from;
    let mut failures = 0;
    while pos < to {
        let signal = stop.load(Ordering::Relaxed);
        if signal != 0 {
            return Err(E::from(RenderError::Interrupted { signal }));
        }
        let n = (to - pos).min(MAX_BLOCK as u64) as usize;
        let status = processor.process(&mut left[..n], &mut right[..n], ReadMode::Blocking);
        failures += status.failures;
        sink(&left[..n], &right[..n])?;
        pos += n as u64;
    }
    if failures > 0 {
        return Err(E::from(RenderError::StemReads { failures }));
    }
    Ok(Rendered {
        damaged: damaged_stems(
            session,
            &processor.stem_health(),
            session.sample_rate,
            from,
            to,
        ),
    })
}

/// Renders the session's frames `[from, to)` into memory (left, right).
///
/// Not realtime-safe.
pub fn render_to_vec(
    session: &Session,
    from: u64,
    to: u64,
) -> Result<(Vec<f32>, Vec<f32>), RenderError> {
    let mut l = Vec::with_capacity((to - from) as usize);
    let mut r = Vec::with_capacity((to - from) as usize);
    render_blocks::<RenderError>(session, from, to, &StopFlag::new(0), |bl, br| {
        l.extend_from_slice(bl);
        r.extend_from_slice(br);
        Ok(())
    })?;
    Ok((l, r))
}

/// TPDF dither and quantisation to a signed integer format.
struct Quantiser {
    scale: f64,
    min: i32,
    max: i32,
    rng: Xoshiro256PlusPlus,
    clipped: u64,
}

impl Quantiser {
    fn new(bits: u16) -> Self {
        let full = 1i64 << (bits - 1);
        Self {
            scale: full as f64,
            min: -(full as i32),
            max: (full - 1) as i32,
            // A fixed seed: the same session bounces to the same bytes every time.
            rng: Xoshiro256PlusPlus::seed_from_u64(0x6561_726d_6978),
            clipped: 0,
        }
    }

    /// One uniform value in [-0.5, 0.5) LSB.
    fn uniform(&mut self) -> f64 {
        (self.rng.next_u32() as f64 / 4_294_967_296.0) - 0.5
    }

    /// Quantises with triangular (TPDF) dither of +-1 LSB peak; counts clipped samples.
    fn quantise(&mut self, x: f32) -> i32 {
        let dither = self.uniform() + self.uniform();
        let v = (f64::from(x) * self.scale + dither).round();
        if v > f64::from(self.max) {
            self.clipped += 1;
            self.max
        } else if v < f64::from(self.min) {
            self.clipped += 1;
            self.min
        } else {
            v as i32
        }
    }

    fn to_float(&self, v: i32) -> f32 {
        (f64::from(v) / self.scale) as f32
    }
}

/// Sample peak, true peak (both linear) and integrated loudness (LUFS) of a bounce.
type Loudness = (f64, f64, f64);

/// Measures loudness and peaks on its own thread, so the measurement (true peak's 4x
/// oversampling is the costly part) runs beside the mixing instead of after each block.
struct LoudnessWorker {
    blocks: std::sync::mpsc::SyncSender<(Vec<f32>, Vec<f32>)>,
    handle: std::thread::JoinHandle<Result<Loudness, String>>,
}

/// The figures of a bounce, measured as the report measures the mix ([`super::bs1770`]): the
/// K-weighting, 100 ms block energies and BS.1770's gating for the integrated loudness, and the
/// 4x true-peak interpolator, which skips stretches that cannot beat the peak found so far.
struct MixMeter {
    weighting: bs1770::KWeighting,
    blocks: bs1770::Blocks,
    /// `None` at 192 kHz and above, where the true peak is the sample peak.
    interpolator: Option<bs1770::TruePeak>,
    peaks: bs1770::Peaks,
}

impl MixMeter {
    fn new(sample_rate: u32) -> Self {
        Self {
            weighting: bs1770::KWeighting::new(sample_rate),
            blocks: bs1770::Blocks::new(
                crate::analysis::meter::block_frames(sample_rate),
                false,
                false,
            ),
            interpolator: bs1770::TruePeak::new(sample_rate),
            peaks: bs1770::Peaks::default(),
        }
    }

    fn add(&mut self, left: &[f32], right: &[f32]) {
        self.peaks.add(left, right, self.interpolator.as_mut());
        let mut at = 0;
        while at < left.len() {
            let n = self.blocks.room().min(left.len() - at);
            let sum = self.weighting.run(&left[at..at + n], &right[at..at + n]);
            self.blocks.add(n, sum);
            at += n;
        }
    }

    /// Sample peak and true peak (linear, the higher channel) and integrated loudness (LUFS).
    fn finish(&self) -> Loudness {
        let (sample, true_peak) = self.peaks.louder();
        (sample, true_peak, self.blocks.integrated())
    }
}

impl LoudnessWorker {
    fn start(sample_rate: u32) -> Result<Self, RenderError> {
        let mut meter = MixMeter::new(sample_rate);
        let (blocks, rx) = std::sync::mpsc::sync_channel::<(Vec<f32>, Vec<f32>)>(16);
        let handle = std::thread::Builder::new()
            .name("earmix-loudness".into())
            .spawn(move || {
                for (l, r) in rx {
                    meter.add(&l, &r);
                }
                Ok(meter.finish())
            })
            .map_err(|e| RenderError::Loudness(e.to_string()))?;
        Ok(Self { blocks, handle })
    }

    fn add(&self, left: &[f32], right: &[f32]) -> Result<(), RenderError> {
        self.blocks
            .send((left.to_vec(), right.to_vec()))
            .map_err(|_| RenderError::Loudness("the measuring thread stopped".into()))
    }

    fn finish(self) -> Result<Loudness, RenderError> {
        drop(self.blocks);
        match self.handle.join() {
            Ok(result) => result.map_err(RenderError::Loudness),
            Err(_) => Err(RenderError::Loudness(
                "the measuring thread panicked".into(),
            )),
        }
    }
}

/// Writes the whole interleaved stereo stream of a bounce as WAV.
struct WavSink<'a> {
    writer: WavWriter<BufWriter<&'a File>>,
    quantiser: Option<Quantiser>,
    meter: LoudnessWorker,
    over: u64,
    quantised_l: Vec<i32>,
    quantised_r: Vec<i32>,
    measured_l: Vec<f32>,
    measured_r: Vec<f32>,
    path: &'a Path,
}

impl WavSink<'_> {
    fn push(&mut self, left: &[f32], right: &[f32]) -> Result<(), RenderError> {
        let written = if let Some(q) = &mut self.quantiser {
            self.quantised_l.clear();
            self.quantised_r.clear();
            self.measured_l.clear();
            self.measured_r.clear();
            for (&l, &r) in left.iter().zip(right) {
                let (ql, qr) = (q.quantise(l), q.quantise(r));
                self.quantised_l.push(ql);
                self.quantised_r.push(qr);
                self.measured_l.push(q.to_float(ql));
                self.measured_r.push(q.to_float(qr));
            }
            self.writer
                .write_int(&self.quantised_l, &self.quantised_r)
                .map(|()| [&self.measured_l[..], &self.measured_r[..]])
        } else {
            for (&l, &r) in left.iter().zip(right) {
                self.over += u64::from(l.abs() >= 1.0) + u64::from(r.abs() >= 1.0);
            }
            self.writer.write_f32(left, right).map(|()| [left, right])
        };
        let measured = written.map_err(|e| RenderError::Write {
            path: self.path.to_path_buf(),
            reason: e.to_string(),
        })?;
        self.meter.add(measured[0], measured[1])
    }
}

/// Bounces a session to a WAV file, atomically: the file appears complete or not at all.
///
/// `progress` is called after each block with (frames done, frames total).
/// Not realtime-safe.
pub fn bounce(
    session: &Session,
    out: &Path,
    opts: &BounceOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<BounceReport, RenderError> {
    bounce_until(session, out, opts, progress, &StopFlag::new(0))
}

/// [`bounce`], stopping when `stop` asks ([`RenderError::Interrupted`]). On that and every
/// other error the temporary file is removed and `out` is left as it was.
///
/// The file is RIFF WAV, or RF64 (EBU Tech 3306) when it would pass 4 GiB.
///
/// Not realtime-safe.
pub fn bounce_until(
    session: &Session,
    out: &Path,
    opts: &BounceOptions,
    progress: &mut dyn FnMut(u64, u64),
    stop: &StopFlag,
) -> Result<BounceReport, RenderError> {
    bounce_with_limit(session, out, opts, progress, stop, RIFF_MAX)
}

/// [`bounce_until`] with the largest RIFF size before RF64 is written (tests lower it).
#[doc(hidden)]
pub fn bounce_with_limit(
    session: &Session,
    out: &Path,
    opts: &BounceOptions,
    progress: &mut dyn FnMut(u64, u64),
    stop: &StopFlag,
    riff_max: u64,
) -> Result<BounceReport, RenderError> {
    let (from, to) = bounce_range(session, opts)?;
    let write_err = |reason: String| RenderError::Write {
        path: out.to_path_buf(),
        reason,
    };
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Removed when dropped: on every error and interruption below.
    let tmp =
        crate::session::file::user_temp_file(&dir, ".earmix-bounce-", ".wav.tmp").map_err(|e| {
            write_err(format!(
                "cannot create a temporary file in {}: {e}",
                dir.display()
            ))
        })?;

    let total = to - from;
    let format = WavFormat {
        bits: opts.bits,
        channels: 2,
        sample_rate: session.sample_rate,
    };
    let writer = WavWriter::new(
        BufWriter::with_capacity(1 << 20, tmp.as_file()),
        format,
        total,
        riff_max,
    )
    .map_err(|e| write_err(e.to_string()))?;
    let meter = LoudnessWorker::start(session.sample_rate)?;
    let mut sink = WavSink {
        writer,
        quantiser: match opts.bits {
            BitDepth::Float32 => None,
            other => Some(Quantiser::new(other.bits())),
        },
        meter,
        over: 0,
        quantised_l: Vec::with_capacity(MAX_BLOCK),
        quantised_r: Vec::with_capacity(MAX_BLOCK),
        measured_l: Vec::with_capacity(MAX_BLOCK),
        measured_r: Vec::with_capacity(MAX_BLOCK),
        path: out,
    };
    let mut done = 0;
    let rendered = render_blocks::<RenderError>(session, from, to, stop, |l, r| {
        sink.push(l, r)?;
        done += l.len() as u64;
        progress(done, total);
        Ok(())
    })?;
    let (quantiser, meter, over) = {
        // Moved here so that what is left of it is dropped here, before `tmp` is persisted.
        let owned = sink;
        let WavSink {
            writer,
            quantiser,
            meter,
            over,
            ..
        } = owned;
        writer.finish().map_err(|e| write_err(e.to_string()))?;
        (quantiser, meter, over)
    };
    let (sample_peak, true_peak, integrated) = meter.finish()?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| write_err(e.to_string()))?;
    // The last moment to stop with nothing left behind.
    let signal = stop.load(Ordering::Relaxed);
    if signal != 0 {
        return Err(RenderError::Interrupted { signal });
    }
    tmp.persist(out)
        .map_err(|e| write_err(e.error.to_string()))?;
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }

    Ok(BounceReport {
        path: out.to_path_buf(),
        bits: opts.bits,
        sample_rate: session.sample_rate,
        frames: total,
        sample_peak_dbfs: crate::units::Decibels::from_amplitude(sample_peak).0,
        true_peak_dbtp: crate::units::Decibels::from_amplitude(true_peak).0,
        integrated_lufs: integrated,
        clipped_samples: quantiser.map_or(0, |q| q.clipped),
        over_full_scale: over,
        damaged: rendered.damaged,
    })
}

impl std::fmt::Display for BounceReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let db = |v: f64| {
            if v.is_finite() {
                format!("{v:.1}")
            } else {
                "-inf".to_string()
            }
        };
        writeln!(
            f,
            "wrote {} ({}, {} Hz, {})",
            self.path.display(),
            self.bits,
            self.sample_rate,
            Seconds(self.seconds())
        )?;
        writeln!(f, "  sample peak   {:>7} dBFS", db(self.sample_peak_dbfs))?;
        writeln!(f, "  true peak     {:>7} dBTP", db(self.true_peak_dbtp))?;
        writeln!(f, "  integrated    {:>7} LUFS", db(self.integrated_lufs))?;
        if self.bits == BitDepth::Float32 {
            if self.over_full_scale > 0 {
                writeln!(
                    f,
                    "  {} samples at or above 0 dBFS (kept in the float file; they would clip \
                     in a 16/24-bit file)",
                    self.over_full_scale
                )?;
            }
        } else if self.clipped_samples > 0 {
            writeln!(
                f,
                "  CLIPPED: {} samples did not fit and were clipped",
                self.clipped_samples
            )?;
        } else {
            writeln!(f, "  no clipped samples")?;
        }
        if !self.damaged.is_empty() {
            writeln!(
                f,
                "  {} damaged stem problem(s) bounced as silence (see the warnings)",
                self.damaged.len()
            )?;
        }
        Ok(())
    }
}
