//! The offline meters: one EBU R 128 meter (`ebur128`) per span of a source, seeded with the
//! source's audio before the span, and one over the whole pass. Not realtime-safe (they
//! allocate); the realtime master meter is `engine::loudness`.

use ebur128::{EbuR128, Mode};
use serde::Serialize;

use crate::units::Decibels;

/// The figures of one source over one span or the whole song; `None`: nothing to measure, or
/// not asked for ([`Figures`]).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Measures {
    /// Integrated loudness, LUFS.
    pub integrated_lufs: Option<f64>,
    /// The highest short-term (3 s) loudness, LUFS.
    pub short_term_max_lufs: Option<f64>,
    /// Loudness range, LU.
    pub loudness_range_lu: Option<f64>,
    /// Sample peak of the louder channel, dBFS.
    pub sample_peak_dbfs: Option<f64>,
    /// True peak of the louder channel, dBTP.
    pub true_peak_dbtp: Option<f64>,
}

/// One source's figures over one span.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SpanFigures {
    /// The EBU R 128 figures.
    pub measures: Measures,
    /// The RMS of the louder channel over the span, dBFS (with [`Figures::Level`]).
    pub rms_dbfs: Option<f64>,
}

/// Which figures a measurement takes per span. Integrated loudness and sample peak it always
/// takes; the others cost time, true peak most (4x oversampling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figures {
    /// A channel's level: integrated loudness, sample peak and RMS (the exercises).
    Level,
    /// Integrated loudness, loudness range and sample peak (Reference Deconstruction).
    Loudness,
    /// Every EBU R 128 figure: integrated loudness, short-term max, loudness range, sample and
    /// true peak (`earmix report`).
    Ebu,
}

impl Figures {
    /// Whether the loudness range is measured per span (the whole song's always is).
    fn range(self) -> bool {
        matches!(self, Figures::Loudness | Figures::Ebu)
    }

    /// Whether the highest short-term loudness is measured, per span and for the whole song.
    fn short_term_max(self) -> bool {
        self == Figures::Ebu
    }

    /// Whether true peak is measured.
    fn true_peak(self) -> bool {
        self == Figures::Ebu
    }

    /// Whether RMS is measured per span.
    fn rms(self) -> bool {
        self == Figures::Level
    }
}

/// ebur128's 100 ms block at a rate, in frames; also how much audio before a span seeds its
/// meter.
pub fn block_frames(rate: u32) -> usize {
    (rate as usize + 5) / 10
}

/// The 100 ms blocks in a short-term (3 s) window.
pub const SHORT_TERM_BLOCKS: usize = 30;

/// Loudness below this is silence (the absolute gate of BS.1770), LUFS.
pub const SILENCE_LUFS: f64 = -70.0;

/// A finite value, or `None` (-inf, NaN).
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// A linear level in dB, `None` for silence.
pub(crate) fn level_db(linear: f64) -> Option<f64> {
    if linear > 0.0 {
        finite(Decibels::from_amplitude(linear).0)
    } else {
        None
    }
}

/// The mean square of a loudness (the inverse of BS.1770's `-0.691 + 10 log10`).
fn energy_of(lufs: f64) -> f64 {
    if lufs.is_finite() {
        10f64.powf((lufs + 0.691) / 10.0)
    } else {
        0.0
    }
}

/// One stereo `ebur128` meter that also keeps, when asked, the highest short-term loudness
/// (read every 100 ms once 3 s have been fed) and the sums of squares for RMS.
///
/// Reading `loudness_shortterm` every 100 ms would sum 3 s of audio each time; instead each
/// 100 ms block's energy is read (`loudness_window(100)`, 100 ms of audio) and the last 30 are
/// averaged. The blocks are equally long, so the mean of their energies is the 3 s window's
/// energy, as ebur128 computes it. (At rates where 100 ms is not a whole number of frames
/// ebur128's block and window lengths differ, and `loudness_shortterm` is read instead.)
pub(crate) struct Meter {
    ebu: EbuR128,
    short_term: bool,
    rms: bool,
    fed: usize,
    block: usize,
    /// Whether `loudness_window(100)` covers exactly one block.
    pub(crate) by_blocks: bool,
    /// The energies of the last 30 blocks (a ring, indexed by block number).
    energies: [f64; SHORT_TERM_BLOCKS],
    pub(crate) short_term_max: f64,
    /// Per channel, the sum of the squares fed.
    squares: [f64; 2],
}

impl Meter {
    /// A meter for one span: integrated loudness and sample peak, and what `figures` asks.
    pub(crate) fn span(rate: u32, figures: Figures) -> Result<Self, ebur128::Error> {
        let mut mode = Mode::I | Mode::SAMPLE_PEAK;
        if figures.range() || figures.short_term_max() {
            mode |= Mode::LRA;
        }
        if figures.true_peak() {
            mode |= Mode::TRUE_PEAK;
        }
        Self::new(rate, mode, figures.short_term_max(), figures.rms())
    }

    /// A meter for the whole pass: integrated loudness, loudness range, short-term readings,
    /// and the highest short-term loudness when `figures` asks.
    pub(crate) fn song(rate: u32, figures: Figures) -> Result<Self, ebur128::Error> {
        Self::new(rate, Mode::I | Mode::LRA, figures.short_term_max(), false)
    }

    fn new(rate: u32, mode: Mode, short_term: bool, rms: bool) -> Result<Self, ebur128::Error> {
        let block = block_frames(rate);
        Ok(Self {
            ebu: EbuR128::new(2, rate, mode)?,
            short_term,
            rms,
            fed: 0,
            block,
            by_blocks: rate as usize * 100 / 1000 == block,
            energies: [0.0; SHORT_TERM_BLOCKS],
            short_term_max: f64::NEG_INFINITY,
            squares: [0.0; 2],
        })
    }

    /// Warms the filters (and the true-peak interpolator) with audio that came before; nothing
    /// of it is counted.
    pub(crate) fn seed(&mut self, left: &[f32], right: &[f32]) -> Result<(), ebur128::Error> {
        if left.is_empty() {
            return Ok(());
        }
        self.ebu.seed_frames_planar_f32(&[left, right])
    }

    /// Measures the next frames.
    pub(crate) fn add(&mut self, left: &[f32], right: &[f32]) -> Result<(), ebur128::Error> {
        if self.rms {
            for (squares, side) in self.squares.iter_mut().zip([left, right]) {
                for &x in side {
                    *squares += f64::from(x) * f64::from(x);
                }
            }
        }
        if !self.short_term {
            self.fed += left.len();
            return self.ebu.add_frames_planar_f32(&[left, right]);
        }
        let mut at = 0;
        while at < left.len() {
            let n = (self.block - self.fed % self.block).min(left.len() - at);
            self.ebu
                .add_frames_planar_f32(&[&left[at..at + n], &right[at..at + n]])?;
            self.fed += n;
            at += n;
            if self.fed.is_multiple_of(self.block) {
                self.block_done()?;
            }
        }
        Ok(())
    }

    /// After each whole 100 ms block: the short-term loudness, once there are 3 s.
    fn block_done(&mut self) -> Result<(), ebur128::Error> {
        let blocks = self.fed / self.block;
        let short_term = if self.by_blocks {
            self.energies[blocks % SHORT_TERM_BLOCKS] = energy_of(self.ebu.loudness_window(100)?);
            if blocks < SHORT_TERM_BLOCKS {
                return Ok(());
            }
            let energy = self.energies.iter().sum::<f64>() / SHORT_TERM_BLOCKS as f64;
            if energy > 0.0 {
                10.0 * energy.log10() - 0.691
            } else {
                f64::NEG_INFINITY
            }
        } else {
            if blocks < SHORT_TERM_BLOCKS {
                return Ok(());
            }
            self.ebu.loudness_shortterm()?
        };
        if short_term > self.short_term_max {
            self.short_term_max = short_term;
        }
        Ok(())
    }

    /// Whether a whole short-term (3 s) window has been fed.
    fn has_window(&self) -> bool {
        self.fed >= SHORT_TERM_BLOCKS * self.block
    }

    /// The short-term loudness of the last 3 s fed; `None` before 3 s or below
    /// [`SILENCE_LUFS`].
    pub(crate) fn short_term(&self) -> Result<Option<f64>, ebur128::Error> {
        if !self.has_window() {
            return Ok(None);
        }
        Ok(finite(self.ebu.loudness_shortterm()?).filter(|v| *v >= SILENCE_LUFS))
    }

    /// Sample and true peak of the louder channel, linear (0 when not measured).
    pub(crate) fn peaks(&self) -> Result<(f64, f64), ebur128::Error> {
        let mode = self.ebu.mode();
        let louder = |f: &dyn Fn(u32) -> Result<f64, ebur128::Error>| Ok(f(0)?.max(f(1)?));
        let sample = if mode.contains(Mode::SAMPLE_PEAK) {
            louder(&|c| self.ebu.sample_peak(c))?
        } else {
            0.0
        };
        let truep = if mode.contains(Mode::TRUE_PEAK) {
            louder(&|c| self.ebu.true_peak(c))?
        } else {
            0.0
        };
        Ok((sample, truep))
    }

    /// The figures over what was fed, given the sample and true peaks (linear) of the same
    /// audio. Digital silence (a sample peak of 0) has no figures at all, even while the
    /// filters and the true-peak interpolator still ring with the audio the meter was seeded
    /// with.
    pub(crate) fn finish(&self, sample: f64, truep: f64) -> Result<SpanFigures, ebur128::Error> {
        if sample <= 0.0 {
            return Ok(SpanFigures::default());
        }
        let mode = self.ebu.mode();
        let integrated = finite(self.ebu.loudness_global()?);
        let range = if mode.contains(Mode::LRA) && integrated.is_some() && self.has_window() {
            finite(self.ebu.loudness_range()?)
        } else {
            None
        };
        let mean_square = self.squares[0].max(self.squares[1]) / self.fed.max(1) as f64;
        Ok(SpanFigures {
            measures: Measures {
                integrated_lufs: integrated,
                short_term_max_lufs: finite(self.short_term_max),
                loudness_range_lu: range,
                sample_peak_dbfs: level_db(sample),
                true_peak_dbtp: level_db(truep),
            },
            rms_dbfs: if self.rms {
                level_db(mean_square.sqrt())
            } else {
                None
            },
        })
    }
}

/// The last `capacity` frames a source produced, to seed the next span's meter with.
pub(crate) struct Tail {
    pub(crate) left: Vec<f32>,
    pub(crate) right: Vec<f32>,
    capacity: usize,
}

impl Tail {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            left: Vec::with_capacity(capacity),
            right: Vec::with_capacity(capacity),
            capacity,
        }
    }

    /// Adds the frames a source just produced, keeping the last `capacity`.
    pub(crate) fn push(&mut self, left: &[f32], right: &[f32]) {
        for (tail, new) in [(&mut self.left, left), (&mut self.right, right)] {
            if new.len() >= self.capacity {
                tail.clear();
                tail.extend_from_slice(&new[new.len() - self.capacity..]);
            } else {
                let excess = (tail.len() + new.len()).saturating_sub(self.capacity);
                tail.drain(..excess);
                tail.extend_from_slice(new);
            }
        }
    }
}

/// What one source measured in a pass.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceFigures {
    /// The whole pass (from the first span's start to the last one's end), when the plan asks
    /// for it: integrated loudness, loudness range and short-term max from one meter fed every
    /// frame, so its blocks and windows straddle span boundaries as a single meter's would; the
    /// peaks are the highest of the spans'.
    pub song: Measures,
    /// Each span, in plan order.
    pub spans: Vec<SpanFigures>,
    /// The whole-pass meter's short-term loudness ([`SILENCE_LUFS`] and up) after each of the
    /// plan's reading frames, in plan order.
    pub readings: Vec<Option<f64>>,
}

/// Everything measured on one source.
pub(crate) struct SourceMeter {
    rate: u32,
    figures: Figures,
    song: Option<Meter>,
    /// The span being measured and its meter.
    current: Option<(usize, Meter)>,
    tail: Tail,
    /// Per span: the figures, and the linear sample and true peaks.
    spans: Vec<Option<(SpanFigures, f64, f64)>>,
    readings: Vec<Option<f64>>,
}

impl SourceMeter {
    /// A source's meters for `spans` spans and `readings` short-term readings; `song`: meter
    /// the whole pass too.
    pub(crate) fn new(
        rate: u32,
        figures: Figures,
        spans: usize,
        song: bool,
        readings: usize,
    ) -> Result<Self, ebur128::Error> {
        Ok(Self {
            rate,
            figures,
            song: song.then(|| Meter::song(rate, figures)).transpose()?,
            current: None,
            tail: Tail::new(block_frames(rate)),
            spans: vec![None; spans],
            readings: vec![None; readings],
        })
    }

    /// Audio from before the first span: only kept to seed it with.
    pub(crate) fn seed(&mut self, left: &[f32], right: &[f32]) {
        self.tail.push(left, right);
    }

    /// Measures the next frames, which lie in span `span` (`None`: between spans).
    pub(crate) fn add(
        &mut self,
        span: Option<usize>,
        left: &[f32],
        right: &[f32],
    ) -> Result<(), ebur128::Error> {
        if self.current.as_ref().map(|(s, _)| *s) != span {
            self.finish_span()?;
            if let Some(span) = span {
                let mut meter = Meter::span(self.rate, self.figures)?;
                meter.seed(&self.tail.left, &self.tail.right)?;
                self.current = Some((span, meter));
            }
        }
        if let Some((_, meter)) = &mut self.current {
            meter.add(left, right)?;
        }
        self.tail.push(left, right);
        match &mut self.song {
            Some(song) => song.add(left, right),
            None => Ok(()),
        }
    }

    /// Takes reading number `index` of the whole-pass meter's short-term loudness.
    pub(crate) fn read(&mut self, index: usize) -> Result<(), ebur128::Error> {
        if let (Some(song), Some(slot)) = (&self.song, self.readings.get_mut(index)) {
            *slot = song.short_term()?;
        }
        Ok(())
    }

    fn finish_span(&mut self) -> Result<(), ebur128::Error> {
        if let Some((span, meter)) = self.current.take() {
            let (sample, truep) = meter.peaks()?;
            self.spans[span] = Some((meter.finish(sample, truep)?, sample, truep));
        }
        Ok(())
    }

    /// The whole pass's figures, each span's and the readings.
    pub(crate) fn finish(mut self) -> Result<SourceFigures, ebur128::Error> {
        self.finish_span()?;
        let song = match &self.song {
            Some(song) => {
                let (sample, truep) = self
                    .spans
                    .iter()
                    .flatten()
                    .fold((0.0f64, 0.0f64), |(s, t), m| (s.max(m.1), t.max(m.2)));
                song.finish(sample, truep)?.measures
            }
            None => Measures::default(),
        };
        Ok(SourceFigures {
            song,
            spans: self
                .spans
                .into_iter()
                .map(|m| m.map(|m| m.0).unwrap_or_default())
                .collect(),
            readings: self.readings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(frames: usize, freq: f64, amp: f64) -> Vec<f32> {
        (0..frames)
            .map(|i| (amp * (std::f64::consts::TAU * freq * i as f64 / 48_000.0).sin()) as f32)
            .collect()
    }

    /// The short-term max from 100 ms block energies equals reading `loudness_shortterm` every
    /// 100 ms (what it replaces), on a signal whose level changes, fed in uneven pieces; and
    /// nothing is read before 3 s.
    #[test]
    fn short_term_max_by_blocks_equals_the_direct_reading() {
        let mut signal = sine(48_000 * 2, 1000.0, 0.1);
        signal.extend(sine(48_000 * 3, 440.0, 0.6));
        signal.extend(sine(48_000 * 2, 2000.0, 0.05));
        let mut meter = Meter::span(48_000, Figures::Ebu).unwrap();
        assert!(meter.by_blocks);
        let mut direct = EbuR128::new(2, 48_000, Mode::I | Mode::LRA).unwrap();
        let mut direct_max = f64::NEG_INFINITY;
        for (i, chunk) in signal.chunks(4800).enumerate() {
            direct.add_frames_planar_f32(&[chunk, chunk]).unwrap();
            if i + 1 >= 30 {
                direct_max = direct_max.max(direct.loudness_shortterm().unwrap());
            }
        }
        let mut at = 0;
        for (k, piece) in [1000, 7, 4800, 9000, 123].iter().cycle().enumerate() {
            if at >= signal.len() {
                break;
            }
            let end = (at + piece).min(signal.len());
            meter.add(&signal[at..end], &signal[at..end]).unwrap();
            at = end;
            if at < 30 * 4800 {
                assert_eq!(meter.short_term_max, f64::NEG_INFINITY, "piece {k}");
            }
        }
        assert!(
            (meter.short_term_max - direct_max).abs() < 1e-9,
            "{} vs {direct_max}",
            meter.short_term_max
        );
    }

    /// At a rate where 100 ms is not a whole number of frames the direct reading is used.
    #[test]
    fn odd_rates_read_short_term_directly() {
        let meter = Meter::span(11_025, Figures::Ebu).unwrap();
        assert!(!meter.by_blocks);
        assert!(Meter::span(44_100, Figures::Ebu).unwrap().by_blocks);
    }

    /// The tail keeps the last frames whatever the piece sizes.
    #[test]
    fn tail_keeps_the_last_frames() {
        let mut tail = Tail::new(4);
        tail.push(&[1.0, 2.0], &[-1.0, -2.0]);
        assert_eq!(tail.left, [1.0, 2.0]);
        tail.push(&[3.0, 4.0, 5.0], &[-3.0, -4.0, -5.0]);
        assert_eq!(tail.left, [2.0, 3.0, 4.0, 5.0]);
        assert_eq!(tail.right, [-2.0, -3.0, -4.0, -5.0]);
        tail.push(&[6.0, 7.0, 8.0, 9.0, 10.0], &[0.0; 5]);
        assert_eq!(tail.left, [7.0, 8.0, 9.0, 10.0]);
    }

    /// A digitally silent span seeded with a loud sine measures nothing at all: the filters'
    /// and the true-peak interpolator's ringing is not a loudness or a peak.
    #[test]
    fn silence_after_a_seed_measures_nothing() {
        let loud = sine(4800, 1000.0, 0.5);
        let silence = vec![0.0f32; 4 * 48_000];
        let mut meter = Meter::span(48_000, Figures::Ebu).unwrap();
        meter.seed(&loud, &loud).unwrap();
        meter.add(&silence, &silence).unwrap();
        let (sample, truep) = meter.peaks().unwrap();
        assert_eq!(sample, 0.0);
        assert!(truep > 0.0, "the interpolator rings: {truep}");
        assert!(meter.ebu.loudness_global().unwrap() > SILENCE_LUFS);
        assert_eq!(meter.finish(sample, truep).unwrap(), SpanFigures::default());
    }

    /// RMS is of the louder channel over the frames fed: a full-scale square wave on the left
    /// reads 0 dBFS, the quieter right is not counted.
    #[test]
    fn rms_is_of_the_louder_channel() {
        let left: Vec<f32> = (0..4800)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let right = vec![0.1f32; 4800];
        let mut meter = Meter::span(48_000, Figures::Level).unwrap();
        meter.add(&left, &right).unwrap();
        let (sample, truep) = meter.peaks().unwrap();
        let figures = meter.finish(sample, truep).unwrap();
        assert!(figures.rms_dbfs.unwrap().abs() < 1e-9, "{figures:?}");
        assert_eq!(figures.measures.true_peak_dbtp, None);
        assert_eq!(figures.measures.loudness_range_lu, None);
    }
}
