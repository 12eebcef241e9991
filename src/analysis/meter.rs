//! The offline meters: per source, one EBU R 128 meter per span and one over the whole pass,
//! sharing one K-weighting filter and one true-peak interpolator that run through the pass
//! (`engine::bs1770`). Not realtime-safe (they allocate); the realtime master meter is
//! `engine::loudness`.

use serde::Serialize;

use crate::engine::bs1770::{Blocks, KWeighting, Peaks, TruePeak, loudness_of};
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

/// One source's meter over one span: the 100 ms block energies from the source's K-weighting
/// (which runs on through the pass, so the span's filters start where the song left them),
/// the sample and true peaks and the sums of squares per channel.
struct SpanMeter {
    blocks: Blocks,
    peaks: Peaks,
    squares: [f64; 2],
    frames: usize,
}

impl SpanMeter {
    fn new(block: usize, figures: Figures) -> Self {
        Self {
            blocks: Blocks::new(
                block,
                figures.range() || figures.short_term_max(),
                figures.short_term_max(),
            ),
            peaks: Peaks::default(),
            squares: [0.0; 2],
            frames: 0,
        }
    }

    /// The sample and true peaks of the louder channel, linear; the true peak is never below
    /// the sample peak (as `ebur128` reads it), and 0 when not measured.
    fn peaks(&self, figures: Figures) -> (f64, f64) {
        let (sample, truep) = self.peaks.louder();
        (sample, if figures.true_peak() { truep } else { 0.0 })
    }

    /// The span's figures.
    fn finish(&self, figures: Figures) -> SpanFigures {
        let (sample, truep) = self.peaks(figures);
        let measured = measures(&self.blocks, figures, sample, truep);
        let mean_square = self.squares[0].max(self.squares[1]) / self.frames.max(1) as f64;
        SpanFigures {
            measures: measured,
            rms_dbfs: if figures.rms() && sample > 0.0 {
                level_db(mean_square.sqrt())
            } else {
                None
            },
        }
    }
}

/// The figures read from `blocks`, given the sample and true peaks (linear) of the same
/// audio. Digital silence (a sample peak of 0) has no figures at all, even while the filters
/// ring with the audio before it.
fn measures(blocks: &Blocks, figures: Figures, sample: f64, truep: f64) -> Measures {
    if sample <= 0.0 {
        return Measures::default();
    }
    let integrated = finite(blocks.integrated());
    Measures {
        integrated_lufs: integrated,
        short_term_max_lufs: finite(blocks.short_term_max()),
        loudness_range_lu: (blocks.keeps_range() && integrated.is_some() && blocks.has_window())
            .then(|| finite(blocks.range()))
            .flatten(),
        sample_peak_dbfs: level_db(sample),
        true_peak_dbtp: if figures.true_peak() {
            level_db(truep)
        } else {
            None
        },
    }
}

/// The short-term readings of the whole-pass meter: each reading's window (the 3 s before its
/// frame) summed as the pass goes.
struct Readings {
    /// The reading frames (session frames), in order.
    at: Vec<u64>,
    /// The sums of squares of each reading's window so far.
    sums: Vec<f64>,
    /// How many windows have started (or would have started before the pass did).
    opened: usize,
    /// How many readings have been taken.
    taken: usize,
    /// Frames in a window.
    window: u64,
    /// The first frame the whole-pass meter counts.
    song_start: u64,
    values: Vec<Option<f64>>,
}

impl Readings {
    /// The frame the next window starts at, if one is still to start.
    fn next_start(&self) -> Option<u64> {
        self.at
            .get(self.opened)
            .map(|r| r.saturating_sub(self.window))
    }

    /// Opens the windows that start at or before `pos`.
    fn open(&mut self, pos: u64) {
        while self.next_start().is_some_and(|s| s <= pos) {
            self.opened += 1;
        }
    }

    fn add(&mut self, sum: f64) {
        for s in &mut self.sums[self.taken..self.opened] {
            *s += sum;
        }
    }

    /// Takes reading `index`: its window's short-term loudness, when the whole-pass meter
    /// has been fed a whole window by then.
    fn take(&mut self, index: usize) {
        let (Some(&at), Some(&sum)) = (self.at.get(index), self.sums.get(index)) else {
            return;
        };
        self.taken = self.taken.max(index + 1);
        if at >= self.song_start + self.window {
            let lufs = loudness_of(sum / self.window as f64);
            self.values[index] = finite(lufs).filter(|v| *v >= SILENCE_LUFS);
        }
    }
}

/// Everything measured on one source: one K-weighting filter and one true-peak interpolator
/// running through the pass, feeding the whole-pass meter and the meter of the span at hand.
pub(crate) struct SourceMeter {
    figures: Figures,
    block: usize,
    /// The session frame of the next frame.
    pos: u64,
    weighting: KWeighting,
    /// With [`Figures::Ebu`], at rates under 192 kHz.
    interpolator: Option<TruePeak>,
    song: Option<Blocks>,
    /// The span being measured and its meter.
    current: Option<(usize, SpanMeter)>,
    /// Per span: the figures, and the linear sample and true peaks.
    spans: Vec<Option<(SpanFigures, f64, f64)>>,
    readings: Readings,
}

impl SourceMeter {
    /// A source's meters for `spans` spans in a pass from session frame `from` whose first
    /// span starts at `song_start`; `song`: meter the whole pass too, with short-term readings
    /// after the frames `readings`.
    pub(crate) fn new(
        rate: u32,
        figures: Figures,
        spans: usize,
        song: bool,
        readings: &[u64],
        from: u64,
        song_start: u64,
    ) -> Self {
        let block = block_frames(rate);
        let at = if song { readings.to_vec() } else { Vec::new() };
        Self {
            figures,
            block,
            pos: from,
            weighting: KWeighting::new(rate),
            interpolator: figures.true_peak().then(|| TruePeak::new(rate)).flatten(),
            song: song.then(|| Blocks::new(block, true, figures.short_term_max())),
            current: None,
            spans: vec![None; spans],
            readings: Readings {
                sums: vec![0.0; at.len()],
                values: vec![None; readings.len()],
                at,
                opened: 0,
                taken: 0,
                window: (SHORT_TERM_BLOCKS * block) as u64,
                song_start,
            },
        }
    }

    /// Audio from before the first span: it only warms the filter and the interpolator.
    pub(crate) fn seed(&mut self, left: &[f32], right: &[f32]) {
        self.weighting.run(left, right);
        if let Some(interpolator) = &mut self.interpolator {
            interpolator.seed(left, right);
        }
        self.pos += left.len() as u64;
    }

    /// Measures the next frames, which lie in span `span` (`None`: between spans).
    #[cfg(test)]
    pub(crate) fn add(&mut self, span: Option<usize>, left: &[f32], right: &[f32]) {
        add_all(std::slice::from_mut(self), span, &[(left, right)]);
    }

    /// Enters span `span` (`None`: between spans), finishing the one before.
    fn enter(&mut self, span: Option<usize>) {
        if self.current.as_ref().map(|(s, _)| *s) != span {
            self.finish_span();
            self.current = span.map(|span| (span, SpanMeter::new(self.block, self.figures)));
        }
    }

    /// Opens the readings' windows due at `at` frames on, and returns how many of the next
    /// `frames` frames the filter may feed at once: up to the end of a 100 ms block (the
    /// song's or the span's) or the start of a reading's window.
    fn piece(&mut self, at: usize, frames: usize) -> usize {
        let pos = self.pos + at as u64;
        self.readings.open(pos);
        let mut n = frames - at;
        if let Some(song) = &self.song {
            n = n.min(song.room());
        }
        if let Some((_, meter)) = &self.current {
            n = n.min(meter.blocks.room());
        }
        if let Some(start) = self.readings.next_start() {
            n = n.min((start - pos) as usize);
        }
        n
    }

    /// Takes a piece of `n` frames whose K-weighted squares sum to `sum`.
    fn feed(&mut self, n: usize, sum: f64) {
        if let Some(song) = &mut self.song {
            song.add(n, sum);
        }
        if let Some((_, meter)) = &mut self.current {
            meter.blocks.add(n, sum);
        }
        self.readings.add(sum);
    }

    /// The span's sample and true peaks over the next frames.
    fn peaks(&mut self, left: &[f32], right: &[f32]) {
        let Some((_, meter)) = &mut self.current else {
            if let Some(interpolator) = &mut self.interpolator {
                interpolator.seed(left, right);
            }
            return;
        };
        meter.frames += left.len();
        meter.peaks.add(left, right, self.interpolator.as_mut());
    }

    /// Takes reading number `index` of the whole-pass meter's short-term loudness.
    pub(crate) fn read(&mut self, index: usize) {
        self.readings.take(index);
    }

    fn finish_span(&mut self) {
        if let Some((span, meter)) = self.current.take() {
            let (sample, truep) = meter.peaks(self.figures);
            self.spans[span] = Some((meter.finish(self.figures), sample, truep));
        }
    }

    /// The whole pass's figures, each span's and the readings.
    pub(crate) fn finish(mut self) -> SourceFigures {
        self.finish_span();
        let song = match &self.song {
            Some(song) => {
                let (sample, truep) = self
                    .spans
                    .iter()
                    .flatten()
                    .fold((0.0f64, 0.0f64), |(s, t), m| (s.max(m.1), t.max(m.2)));
                measures(song, self.figures, sample, truep)
            }
            None => Measures::default(),
        };
        SourceFigures {
            song,
            spans: self
                .spans
                .into_iter()
                .map(|m| m.map(|m| m.0).unwrap_or_default())
                .collect(),
            readings: self.readings.values,
        }
    }
}

/// Sources whose K-weighting runs in one loop (see [`KWeighting::run_many`]): 4 stereo
/// sources are 8 independent recurrences, enough to keep the floating-point units busy.
const LOCKSTEP: usize = 4;

/// Measures the next frames of several sources, `audio[k]` (left, right; all of one length)
/// for `meters[k]`, which lie in span `span` (`None`: between spans). The meters must have
/// been made alike and fed alike (one pass's), so that their 100 ms blocks and readings fall
/// on the same frames: their K-weighting then runs [`LOCKSTEP`] sources at a time, piece by
/// piece, each source's figures bit for bit as measured alone.
pub(crate) fn add_all(meters: &mut [SourceMeter], span: Option<usize>, audio: &[(&[f32], &[f32])]) {
    assert_eq!(meters.len(), audio.len(), "one source's audio per meter");
    let Some(frames) = audio.first().map(|(left, _)| left.len()) else {
        return;
    };
    for (meter, &(left, right)) in meters.iter_mut().zip(audio) {
        meter.enter(span);
        meter.peaks(left, right);
    }
    // Per meter, this call's sums of squared inputs per channel (RMS), added to its span's
    // at the end, as one sum over the call's frames.
    let mut squares: Vec<Option<[f64; 2]>> = meters
        .iter()
        .map(|m| (m.figures.rms() && m.current.is_some()).then_some([0.0; 2]))
        .collect();
    let mut sums = vec![0.0; meters.len()];
    let mut at = 0;
    while at < frames {
        // Every meter opens its readings' windows here; all agree on the piece.
        let mut frames_now = frames - at;
        for (k, meter) in meters.iter_mut().enumerate() {
            let piece = meter.piece(at, frames);
            debug_assert!(k == 0 || piece == frames_now, "meters out of step");
            frames_now = piece;
        }
        let piece = at..at + frames_now;
        let groups = meters
            .chunks_mut(LOCKSTEP)
            .zip(audio.chunks(LOCKSTEP))
            .zip(squares.chunks_mut(LOCKSTEP))
            .zip(sums.chunks_mut(LOCKSTEP));
        for (((group, sounds), summing), got_sums) in groups {
            let part = |k: usize| (&sounds[k].0[piece.clone()], &sounds[k].1[piece.clone()]);
            if let ([m0, m1, m2, m3], [q0, q1, q2, q3]) = (&mut *group, &mut *summing) {
                let got = KWeighting::run_many(
                    [
                        &mut m0.weighting,
                        &mut m1.weighting,
                        &mut m2.weighting,
                        &mut m3.weighting,
                    ],
                    [part(0), part(1), part(2), part(3)],
                    [q0.as_mut(), q1.as_mut(), q2.as_mut(), q3.as_mut()],
                );
                got_sums.copy_from_slice(&got);
            } else {
                // The last, short group: one source at a time.
                for (k, ((meter, q), got)) in group
                    .iter_mut()
                    .zip(summing.iter_mut())
                    .zip(got_sums.iter_mut())
                    .enumerate()
                {
                    [*got] = KWeighting::run_many([&mut meter.weighting], [part(k)], [q.as_mut()]);
                }
            }
        }
        for (meter, &sum) in meters.iter_mut().zip(&sums) {
            meter.feed(frames_now, sum);
        }
        at += frames_now;
    }
    for ((meter, squares), &(left, _)) in meters.iter_mut().zip(squares).zip(audio) {
        if let (Some(squares), Some((_, span))) = (squares, &mut meter.current) {
            span.squares[0] += squares[0];
            span.squares[1] += squares[1];
        }
        meter.pos += left.len() as u64;
    }
}

#[cfg(test)]
mod tests {
    use std::ops::Range;

    use ebur128::{EbuR128, Mode};

    use super::*;

    const RATE: u32 = 48_000;

    /// 12 s of varied stereo material: noise whose level steps every 0.7 s, a left-only
    /// tone burst near full scale, an fs/4 tone at 45 degrees (its true peak is 3 dB over its
    /// samples), and a second of digital silence.
    fn material() -> (Vec<f32>, Vec<f32>) {
        let levels = [0.2f32, 0.5, 0.02, 0.3, 0.6, 0.05, 0.4, 0.25, 0.001];
        let mut state = 0x2545_f491_u32;
        let mut noise = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as f32 / u32::MAX as f32 - 0.5
        };
        let frames = 12 * RATE as usize;
        let (mut left, mut right) = (Vec::with_capacity(frames), Vec::with_capacity(frames));
        for i in 0..frames {
            let t = i as f64 / f64::from(RATE);
            let level = levels[(t / 0.7) as usize % levels.len()];
            let (mut l, mut r) = (level * noise(), level * noise());
            if (3.0..3.5).contains(&t) {
                l += (0.45 * (std::f64::consts::TAU * 997.0 * t).sin()) as f32;
            }
            if (6.0..6.2).contains(&t) {
                let quarter = std::f64::consts::FRAC_PI_2 * i as f64 + std::f64::consts::FRAC_PI_4;
                r = (0.6 * quarter.sin()) as f32;
            }
            if (8.0..9.0).contains(&t) {
                (l, r) = (0.0, 0.0);
            }
            left.push(l);
            right.push(r);
        }
        (left, right)
    }

    /// One `ebur128` meter seeded with the 100 ms before `span` and fed the span: its
    /// integrated loudness, loudness range, sample and true peaks (linear, louder channel).
    fn oracle(left: &[f32], right: &[f32], span: Range<usize>) -> [f64; 4] {
        let mode = Mode::I | Mode::LRA | Mode::SAMPLE_PEAK | Mode::TRUE_PEAK;
        let mut meter = EbuR128::new(2, RATE, mode).unwrap();
        let seed = span.start.saturating_sub(block_frames(RATE));
        if seed < span.start {
            meter
                .seed_frames_planar_f32(&[&left[seed..span.start], &right[seed..span.start]])
                .unwrap();
        }
        meter
            .add_frames_planar_f32(&[&left[span.clone()], &right[span]])
            .unwrap();
        let louder = |f: &dyn Fn(u32) -> f64| f(0).max(f(1));
        [
            meter.loudness_global().unwrap(),
            meter.loudness_range().unwrap(),
            louder(&|c| meter.sample_peak(c).unwrap()),
            louder(&|c| meter.true_peak(c).unwrap()),
        ]
    }

    fn close(got: Option<f64>, want: f64, tolerance: f64, what: &str) {
        let got = got.unwrap_or_else(|| panic!("{what}: nothing measured, want {want}"));
        assert!((got - want).abs() <= tolerance, "{what}: {got} vs {want}");
    }

    /// On varied material cut into spans of many lengths (a few frames, under 400 ms, under
    /// 3 s, long), fed in uneven pieces, each span reads what one `ebur128` meter seeded with
    /// the 100 ms before it reads (loudness to 1e-6 LU, sample and true peak exactly), and the
    /// whole pass what one meter over it reads; a span of digital silence reads nothing.
    #[test]
    fn spans_and_the_song_read_as_ebur128_does() {
        let (left, right) = material();
        let cuts = [
            0, 3, 17_000, 40_000, 130_000, 150_001, 288_000, 300_000, 384_000, 432_000, 440_000,
            520_000, 576_000,
        ];
        let spans: Vec<Range<usize>> = cuts.windows(2).map(|w| w[0]..w[1]).collect();
        let mut meter = SourceMeter::new(RATE, Figures::Ebu, spans.len(), true, &[], 0, 0);
        let mut at = 0;
        for (k, piece) in [1000, 7, 4800, 9000, 123, 8192].iter().cycle().enumerate() {
            if at >= left.len() {
                break;
            }
            let span = spans.iter().position(|s| s.contains(&at)).unwrap();
            let end = (at + piece).min(spans[span].end);
            meter.add(Some(span), &left[at..end], &right[at..end]);
            at = end;
            assert!(k < 100_000);
        }
        let measured = meter.finish();
        for (span, figures) in spans.iter().zip(&measured.spans) {
            let what = format!("span {span:?}");
            let m = figures.measures;
            if span.start >= 384_000 && span.end <= 432_000 {
                assert_eq!(*figures, SpanFigures::default(), "{what}");
                continue;
            }
            let [integrated, range, sample, truep] = oracle(&left, &right, span.clone());
            if integrated.is_finite() {
                close(m.integrated_lufs, integrated, 1e-6, &what);
            } else {
                assert_eq!(m.integrated_lufs, None, "{what}");
            }
            if span.len() >= 30 * 4800 {
                close(m.loudness_range_lu, range, 1e-6, &what);
            } else {
                assert_eq!(m.loudness_range_lu, None, "{what}");
            }
            close(m.sample_peak_dbfs, 20.0 * sample.log10(), 0.0, &what);
            close(m.true_peak_dbtp, 20.0 * truep.log10(), 0.0, &what);
        }
        let [integrated, range, sample, truep] = oracle(&left, &right, 0..left.len());
        let song = measured.song;
        close(song.integrated_lufs, integrated, 1e-6, "song");
        close(song.loudness_range_lu, range, 1e-6, "song");
        close(song.sample_peak_dbfs, 20.0 * sample.log10(), 0.0, "song");
        close(song.true_peak_dbtp, 20.0 * truep.log10(), 0.0, "song");
        // The material has overs between samples, and the interpolator found them.
        assert!(truep > sample * 1.1, "{truep} vs {sample}");
    }

    /// The short-term max equals reading `loudness_shortterm` every 100 ms once 3 s have been
    /// fed, on a signal whose level changes, fed in uneven pieces; the readings equal
    /// `loudness_shortterm` after their frames (none before 3 s), whether or not a reading's
    /// window starts before the pass; and nothing is read before 3 s.
    #[test]
    fn short_term_max_and_readings_equal_the_direct_reading() {
        let (left, right) = material();
        let mut direct = EbuR128::new(2, RATE, Mode::I | Mode::LRA).unwrap();
        let mut direct_max = f64::NEG_INFINITY;
        for (i, (l, r)) in left.chunks(4800).zip(right.chunks(4800)).enumerate() {
            direct.add_frames_planar_f32(&[l, r]).unwrap();
            if i + 1 >= 30 {
                direct_max = direct_max.max(direct.loudness_shortterm().unwrap());
            }
        }
        let readings = [1000, 143_999, 144_000, 150_007, 151_000, 300_000, 575_000];
        let mut meter = SourceMeter::new(RATE, Figures::Ebu, 1, true, &readings, 0, 0);
        let mut direct = EbuR128::new(2, RATE, Mode::I | Mode::LRA).unwrap();
        let mut expected = Vec::new();
        let mut at = 0;
        for &frame in &readings {
            let to = frame as usize;
            meter.add(Some(0), &left[at..to], &right[at..to]);
            direct
                .add_frames_planar_f32(&[&left[at..to], &right[at..to]])
                .unwrap();
            meter.read(expected.len());
            expected.push((to >= 144_000).then(|| direct.loudness_shortterm().unwrap()));
            at = to;
        }
        meter.add(Some(0), &left[at..], &right[at..]);
        let measured = meter.finish();
        for (got, want) in measured.readings.iter().zip(&expected) {
            match (got, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{got:?} {want:?}"),
                _ => assert_eq!(got, want),
            }
        }
        assert_eq!(measured.readings[0], None);
        let max = measured.spans[0].measures.short_term_max_lufs.unwrap();
        assert!((max - direct_max).abs() < 1e-9, "{max} vs {direct_max}");
    }

    /// A digitally silent span after loud audio measures nothing at all, though the filters
    /// and the interpolator ring with what came before.
    #[test]
    fn silence_after_loud_audio_measures_nothing() {
        let loud: Vec<f32> = (0..48_000)
            .map(|i| {
                (0.5 * (std::f64::consts::TAU * 1000.0 * f64::from(i) / 48_000.0).sin()) as f32
            })
            .collect();
        let silence = vec![0.0f32; 4 * 48_000];
        let mut meter = SourceMeter::new(RATE, Figures::Ebu, 2, true, &[], 0, 0);
        meter.add(Some(0), &loud, &loud);
        meter.add(Some(1), &silence, &silence);
        let measured = meter.finish();
        assert!(measured.spans[0].measures.integrated_lufs.is_some());
        assert_eq!(measured.spans[1], SpanFigures::default());
    }

    /// RMS is of the louder channel over the frames fed: a full-scale square wave on the left
    /// reads 0 dBFS, the quieter right is not counted; the level figures take no true peak
    /// or loudness range.
    #[test]
    fn rms_is_of_the_louder_channel() {
        let left: Vec<f32> = (0..4800)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let right = vec![0.1f32; 4800];
        let mut meter = SourceMeter::new(RATE, Figures::Level, 1, false, &[], 0, 0);
        meter.add(Some(0), &left, &right);
        let figures = meter.finish().spans[0];
        assert!(figures.rms_dbfs.unwrap().abs() < 1e-9, "{figures:?}");
        assert_eq!(figures.measures.true_peak_dbtp, None);
        assert_eq!(figures.measures.loudness_range_lu, None);
        assert_eq!(figures.measures.short_term_max_lufs, None);
    }

    /// Five sources measured together (their K-weighting four in one loop, the fifth alone)
    /// read exactly what each reads measured alone, with every figure set, readings and RMS,
    /// fed in uneven pieces across spans.
    #[test]
    fn sources_measured_together_read_as_measured_alone() {
        let (left, right) = material();
        let gains = [1.0f32, 0.5, 0.25, 1.3, 0.7];
        let sources: Vec<(Vec<f32>, Vec<f32>)> = gains
            .iter()
            .enumerate()
            .map(|(k, g)| {
                let (l, r) = if k % 2 == 0 {
                    (&left, &right)
                } else {
                    (&right, &left)
                };
                (
                    l.iter().map(|x| x * g).collect(),
                    r.iter().map(|x| x * g).collect(),
                )
            })
            .collect();
        let spans = [0..200_000usize, 200_000..420_000, 420_000..576_000];
        let readings = [150_007, 300_000, 575_000];
        for figures in [Figures::Level, Figures::Loudness, Figures::Ebu] {
            let new = || SourceMeter::new(RATE, figures, spans.len(), true, &readings, 0, 0);
            let mut together: Vec<SourceMeter> = sources.iter().map(|_| new()).collect();
            let mut alone: Vec<SourceMeter> = sources.iter().map(|_| new()).collect();
            let mut at = 0;
            for piece in [1000, 7, 4800, 9000, 123, 8192].iter().cycle() {
                if at >= left.len() {
                    break;
                }
                let span = spans.iter().position(|s| s.contains(&at)).unwrap();
                let next_reading = readings.iter().find(|r| **r > at as u64);
                let end = (at + piece)
                    .min(spans[span].end)
                    .min(next_reading.map_or(usize::MAX, |r| *r as usize));
                let audio: Vec<(&[f32], &[f32])> = sources
                    .iter()
                    .map(|(l, r)| (&l[at..end], &r[at..end]))
                    .collect();
                add_all(&mut together, Some(span), &audio);
                for (meter, &(l, r)) in alone.iter_mut().zip(&audio) {
                    meter.add(Some(span), l, r);
                }
                if let Some(reading) = readings.iter().position(|r| *r == end as u64) {
                    for meter in together.iter_mut().chain(alone.iter_mut()) {
                        meter.read(reading);
                    }
                }
                at = end;
            }
            for (k, (t, a)) in together.into_iter().zip(alone).enumerate() {
                let (t, a) = (t.finish(), a.finish());
                assert!(t.song.integrated_lufs.is_some(), "{figures:?} source {k}");
                assert!(
                    t.readings.iter().all(Option::is_some),
                    "{figures:?} source {k}"
                );
                assert_eq!(t, a, "{figures:?} source {k}");
            }
        }
    }
}
