//! One pass: the session rendered once, offline, its sources measured per span on worker
//! threads (see the [`analysis`](super) docs for what is measured). Not realtime-safe.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender};

use super::MeasureError;
use super::meter::{Figures, SourceFigures, SourceMeter, add_all, block_frames};
use crate::engine::processor::{Processor, StripTaps};
use crate::engine::reference::{ReferencePlayer, open_reference};
use crate::engine::render::{DamagedStem, StopFlag, damaged_stems};
use crate::engine::source::{MAX_BLOCK, ReadMode};
use crate::engine::streams::StreamConfig;
use crate::session::Session;

/// Something a pass measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The mix.
    Mix,
    /// What the channel with this index adds to the mix, times the master fader.
    Channel(usize),
    /// The session's reference mix, where the session's reference map places it.
    Reference,
}

/// What a pass measures.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The spans, `[start, end)` in session frames, in time order, none overlapping the next;
    /// empty ones are allowed (they measure nothing). The pass renders from up to 100 ms before
    /// the first (to seed its meters) to the end of the last.
    pub spans: Vec<Range<u64>>,
    /// The sources, in the order the results come in.
    pub sources: Vec<Source>,
    /// The figures taken besides integrated loudness and sample peak.
    pub figures: Figures,
    /// Whether to meter the whole pass too ([`SourceFigures::song`]).
    pub song: bool,
    /// Frames, sorted and distinct, after which the whole-pass meter's short-term loudness is
    /// read ([`SourceFigures::readings`]; needs `song`).
    pub readings: Vec<u64>,
}

/// What a pass found.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Each source's figures, in plan order.
    pub sources: Vec<SourceFigures>,
    /// Stems that were damaged in the rendered stretch (measured as they play: silent where
    /// their data is missing or was not finite).
    pub damaged: Vec<DamagedStem>,
}

/// Renders the session once and measures every source of `plan`. `progress` is called after
/// each block with (frames done, frames total); `stop` ends the pass at the next block
/// ([`MeasureError::Interrupted`]).
///
/// The calling thread renders; the sources are measured on worker threads (as many as there
/// are cores, up to one per source), each owning the meters of some sources.
///
/// Not realtime-safe: the offline clock driving the realtime core, like the bounce.
pub fn run(
    session: &Session,
    plan: &Plan,
    progress: &mut dyn FnMut(u64, u64),
    stop: &StopFlag,
) -> Result<Measured, MeasureError> {
    let rate = session.sample_rate;
    let first = plan.spans.first().map_or(0, |s| s.start);
    let from = first - first.min(block_frames(rate) as u64);
    let to = plan.spans.last().map_or(first, |s| s.end.max(s.start));
    let mut render = Render::open(session, plan, from)?;

    let sources = plan.sources.len();
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, sources.max(1));
    let mut groups: Vec<Vec<(usize, SourceMeter)>> = (0..workers).map(|_| Vec::new()).collect();
    for source in 0..sources {
        let meter = SourceMeter::new(
            rate,
            plan.figures,
            plan.spans.len(),
            plan.song,
            &plan.readings,
            from,
            first,
        );
        groups[source % workers].push((source, meter));
    }

    // The master fader is constant during a pass: the measuring threads apply it to the
    // channels' taps.
    let master = session.master_db.to_amplitude();
    let mut figures: Vec<Option<SourceFigures>> = vec![None; sources];
    std::thread::scope(|scope| {
        let mut senders = Vec::with_capacity(workers);
        let mut handles = Vec::with_capacity(workers);
        for (w, group) in groups.into_iter().enumerate() {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Arc<Block>>(4);
            let handle = std::thread::Builder::new()
                .name(format!("earmix-measure-{w}"))
                .spawn_scoped(scope, move || {
                    measure_group(group, &plan.sources, master, &rx)
                })
                .map_err(|e| MeasureError::Threads(format!("cannot start one: {e}")))?;
            senders.push(tx);
            handles.push(handle);
        }
        let rendered = render.run(plan, from..to, &senders, progress, stop);
        drop(senders);
        for handle in handles {
            let measured = handle
                .join()
                .map_err(|_| MeasureError::Threads("one stopped unexpectedly".into()))?;
            for (source, measured) in measured {
                figures[source] = Some(measured);
            }
        }
        match rendered {
            Rendered::Done => render.failure().map_or(Ok(()), Err),
            Rendered::WorkerGone => Err(MeasureError::Threads("one stopped early".into())),
            Rendered::Interrupted { signal } => Err(MeasureError::Interrupted { signal }),
        }
    })?;
    let damaged = damaged_stems(session, &render.processor.stem_health(), rate, from, to);
    let sources = figures
        .into_iter()
        .zip(0..)
        .map(|(measured, source)| {
            measured
                .ok_or_else(|| MeasureError::Threads(format!("source {source} was not measured")))
        })
        .collect::<Result<_, _>>()?;
    Ok(Measured { sources, damaged })
}

/// The render side of a pass: the processor, the reference when measured, their buffers and
/// what failed.
struct Render {
    processor: Processor,
    reference: Option<ReferencePlayer>,
    /// The reference file, as the session resolves it.
    reference_file: std::path::PathBuf,
    /// Whether channels are measured (the render then taps every strip).
    tapped: bool,
    stem_failures: u32,
    reference_failed: bool,
    /// Blocks sent, oldest first: their buffers are reused once every measuring thread is done
    /// with them.
    sent: std::collections::VecDeque<Arc<Block>>,
}

impl Render {
    /// Opens the stems (and the reference, when a source) at session frame `from`.
    fn open(session: &Session, plan: &Plan, from: u64) -> Result<Self, MeasureError> {
        let rate = session.sample_rate;
        let processor = Processor::for_session(session, rate, from, &[], StreamConfig::BOUNCE)?;
        let (reference, reference_file) = if plan.sources.contains(&Source::Reference) {
            let no_reference = || MeasureError::NoReference {
                session: session.path.clone(),
            };
            let file = session
                .reference
                .as_ref()
                .ok_or_else(no_reference)?
                .file
                .clone();
            let player = open_reference(session, rate, from, &[], StreamConfig::BOUNCE)?
                .ok_or_else(no_reference)?;
            (Some(player), session.resolve(&file))
        } else {
            (None, std::path::PathBuf::new())
        };
        let tapped = plan.sources.iter().any(|s| matches!(s, Source::Channel(_)));
        Ok(Self {
            processor,
            reference,
            reference_file,
            tapped,
            stem_failures: 0,
            reference_failed: false,
            sent: std::collections::VecDeque::new(),
        })
    }

    /// Renders `frames` block by block (never across a span boundary or a reading) and sends
    /// each block, every source's audio, to every measuring thread.
    fn run(
        &mut self,
        plan: &Plan,
        frames: Range<u64>,
        senders: &[SyncSender<Arc<Block>>],
        progress: &mut dyn FnMut(u64, u64),
        stop: &StopFlag,
    ) -> Rendered {
        let mut bounds: Vec<u64> = plan
            .spans
            .iter()
            .flat_map(|s| [s.start, s.end])
            .chain(plan.readings.iter().copied())
            .chain([frames.end])
            .filter(|b| *b > frames.start && *b <= frames.end)
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        let first = plan.spans.first().map_or(frames.end, |s| s.start);
        let total = frames.end - frames.start;
        let (mut pos, mut span, mut reading) = (frames.start, 0, 0);
        for bound in bounds {
            while pos < bound {
                let signal = stop.load(Ordering::Relaxed);
                if signal != 0 {
                    return Rendered::Interrupted { signal };
                }
                let n = (bound - pos).min(MAX_BLOCK as u64) as usize;
                while plan.spans.get(span).is_some_and(|s| s.end <= pos) {
                    span += 1;
                }
                let place = if pos < first {
                    Place::Seed
                } else {
                    Place::Span(
                        plan.spans
                            .get(span)
                            .filter(|s| s.contains(&pos))
                            .map(|_| span),
                    )
                };
                while plan
                    .readings
                    .get(reading)
                    .is_some_and(|r| *r < pos + n as u64)
                {
                    reading += 1;
                }
                let read = (plan.readings.get(reading) == Some(&(pos + n as u64))).then(|| {
                    reading += 1;
                    reading - 1
                });
                let block = Arc::new(self.block(pos, n, place, read));
                for tx in senders {
                    if tx.send(Arc::clone(&block)).is_err() {
                        return Rendered::WorkerGone;
                    }
                }
                self.sent.push_back(block);
                pos += n as u64;
                progress(pos - frames.start, total);
            }
        }
        Rendered::Done
    }

    /// Renders `n` frames from `pos` into the buffers of a block: the mix, the strips' taps
    /// and the reference, as the sources read them (no copy).
    fn block(&mut self, pos: u64, n: usize, place: Place, read: Option<usize>) -> Block {
        let mut audio = self.spare_audio();
        let [mix_l, mix_r] = &mut audio.mix;
        let status = if self.tapped {
            self.processor.process_tapped(
                &mut mix_l[..n],
                &mut mix_r[..n],
                ReadMode::Blocking,
                &mut audio.taps,
            )
        } else {
            self.processor
                .process(&mut mix_l[..n], &mut mix_r[..n], ReadMode::Blocking)
        };
        self.stem_failures += status.failures;
        if let Some(reference) = &mut self.reference {
            let [ref_l, ref_r] = &mut audio.heard;
            let status = reference.read(pos, &mut ref_l[..n], &mut ref_r[..n], ReadMode::Blocking);
            self.reference_failed |= status.failed;
        }
        Block {
            place,
            read,
            frames: n,
            audio,
        }
    }

    /// The buffers of the oldest block sent, when every measuring thread is done with it;
    /// else new ones.
    fn spare_audio(&mut self) -> Audio {
        if let Some(oldest) = self.sent.front()
            && Arc::strong_count(oldest) == 1
            && let Some(block) = self.sent.pop_front()
            && let Ok(block) = Arc::try_unwrap(block)
        {
            return block.audio;
        }
        let taps = if self.tapped {
            self.processor.strip_count()
        } else {
            0
        };
        let reference = if self.reference.is_some() {
            MAX_BLOCK
        } else {
            0
        };
        Audio {
            mix: [vec![0.0; MAX_BLOCK], vec![0.0; MAX_BLOCK]],
            heard: [vec![0.0; reference], vec![0.0; reference]],
            taps: StripTaps::new(taps, MAX_BLOCK),
        }
    }

    /// What went wrong while rendering, if anything: failed stem reads first.
    fn failure(&self) -> Option<MeasureError> {
        if self.stem_failures > 0 {
            Some(MeasureError::StemReads {
                failures: self.stem_failures,
            })
        } else if self.reference_failed {
            Some(MeasureError::ReferenceRead {
                file: self.reference_file.clone(),
            })
        } else {
            None
        }
    }
}

/// Where a block lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before the first span: only seeds its meters.
    Seed,
    /// In the span with this index, or between spans (`None`).
    Span(Option<usize>),
}

/// One rendered block for the measuring threads.
struct Block {
    place: Place,
    /// The reading due after this block.
    read: Option<usize>,
    frames: usize,
    audio: Audio,
}

/// What a block's sources read: the mix, the reference and every strip's tap (before the
/// master fader), each `MAX_BLOCK` frames long (`frames` of them rendered).
struct Audio {
    mix: [Vec<f32>; 2],
    heard: [Vec<f32>; 2],
    taps: StripTaps,
}

impl Block {
    /// One side of a source as rendered (a channel's before the master fader).
    fn channel(&self, source: Source, side: usize) -> &[f32] {
        match source {
            Source::Mix => &self.audio.mix[side][..self.frames],
            Source::Reference => &self.audio.heard[side][..self.frames],
            Source::Channel(strip) if side == 0 => self.audio.taps.left(strip),
            Source::Channel(strip) => self.audio.taps.right(strip),
        }
    }
}

/// How a render ended.
enum Rendered {
    /// Every frame was rendered and sent.
    Done,
    /// A measuring thread stopped taking blocks (it failed).
    WorkerGone,
    /// A signal asked the render to stop.
    Interrupted { signal: usize },
}

/// A measuring thread: feeds every block to its sources' meters (in lockstep, see
/// [`add_all`]), then reads them.
fn measure_group(
    group: Vec<(usize, SourceMeter)>,
    plan_sources: &[Source],
    master: f32,
    blocks: &Receiver<Arc<Block>>,
) -> Vec<(usize, SourceFigures)> {
    let (indices, mut meters): (Vec<usize>, Vec<SourceMeter>) = group.into_iter().unzip();
    let sources: Vec<Source> = indices.iter().map(|&i| plan_sources[i]).collect();
    // A channel is measured as the mix has it, times the master fader: the tap times the
    // master, taken here (at unity, the tap itself).
    let by_master = |source: &Source| master != 1.0 && matches!(source, Source::Channel(_));
    let mut scaled: Vec<[Vec<f32>; 2]> = sources.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    for block in blocks {
        for (source, buffers) in sources.iter().zip(&mut scaled) {
            if by_master(source) {
                for (side, buffer) in buffers.iter_mut().enumerate() {
                    buffer.clear();
                    buffer.extend(block.channel(*source, side).iter().map(|x| x * master));
                }
            }
        }
        let audio: Vec<(&[f32], &[f32])> = sources
            .iter()
            .zip(&scaled)
            .map(|(source, [left, right])| {
                if by_master(source) {
                    (&left[..], &right[..])
                } else {
                    (block.channel(*source, 0), block.channel(*source, 1))
                }
            })
            .collect();
        match block.place {
            Place::Seed => {
                for (meter, &(left, right)) in meters.iter_mut().zip(&audio) {
                    meter.seed(left, right);
                }
            }
            Place::Span(span) => add_all(&mut meters, span, &audio),
        }
        if let Some(index) = block.read {
            for meter in &mut meters {
                meter.read(index);
            }
        }
    }
    indices
        .into_iter()
        .zip(meters)
        .map(|(index, meter)| (index, meter.finish()))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use ebur128::{EbuR128, Mode};

    use super::*;
    use crate::analysis::meter::{Measures, SpanFigures};
    use crate::engine::render::render_to_vec;

    const RATE: u32 = 48_000;

    /// 8 s of deterministic noise, its level changing every second.
    fn noise() -> Vec<f32> {
        let levels = [0.2f32, 0.5, 0.1, 0.3, 0.6, 0.05, 0.4, 0.25];
        let mut state = 0x2545_f491_u32;
        (0..8 * RATE as usize)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                levels[i / RATE as usize] * ((state as f32 / u32::MAX as f32) - 0.5)
            })
            .collect()
    }

    /// A session in `dir` with one mono stem of [`noise`], at 0 dB, centre, master 0 dB.
    fn session(dir: &Path) -> Session {
        session_of(dir, &noise())
    }

    /// A session in `dir` with one mono stem of `samples`, at 0 dB, centre, master 0 dB.
    fn session_of(dir: &Path, samples: &[f32]) -> Session {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: RATE,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::create(dir.join("noise.wav"), spec).unwrap();
        for &s in samples {
            writer.write_sample(s).unwrap();
        }
        writer.finalize().unwrap();
        let path = dir.join("session.toml");
        std::fs::write(
            &path,
            "version = 1\nname = \"Pass\"\nsample_rate = 48000\n\n\
             [[channel]]\nname = \"Noise\"\nfile = \"noise.wav\"\ngain_db = 0.0\npan = 0.0\n",
        )
        .unwrap();
        crate::session::load(&path).unwrap()
    }

    /// A 1 kHz sine of peak `amp`, `seconds` long.
    fn tone(seconds: f64, amp: f64) -> Vec<f32> {
        (0..second(seconds))
            .map(|i| (amp * (std::f64::consts::TAU * 1000.0 * i as f64 / 48_000.0).sin()) as f32)
            .collect()
    }

    /// A plan measuring the mix over `spans`, every figure `earmix report` takes, and the whole
    /// pass.
    fn mix_plan(spans: Vec<Range<u64>>) -> Plan {
        Plan {
            spans,
            sources: vec![Source::Mix],
            figures: Figures::Ebu,
            song: true,
            readings: Vec::new(),
        }
    }

    /// On a steady tone every span reads the whole file's integrated loudness within 0.1 LU,
    /// whether cut from a pass over the whole file or measured alone in a pass that starts
    /// there (its meter seeded with the 100 ms before it); and the whole file reads what one
    /// fresh meter fed the bounce reads.
    #[test]
    fn a_span_of_a_steady_tone_reads_the_whole_files_loudness() {
        let dir = tempfile::tempdir().unwrap();
        let s = session_of(dir.path(), &tone(8.0, 0.25));
        let stop = StopFlag::new(0);
        let cuts = vec![
            0..second(1.3),
            second(1.3)..second(4.05),
            second(4.05)..second(8.0),
        ];
        let whole = run(&s, &mix_plan(cuts.clone()), &mut |_, _| {}, &stop).unwrap();
        let song = whole.sources[0].song.integrated_lufs.unwrap();

        let (left, right) = render_to_vec(&s, 0, s.length_frames).unwrap();
        let mut direct = EbuR128::new(2, RATE, Mode::I).unwrap();
        direct.add_frames_planar_f32(&[&left, &right]).unwrap();
        let file = direct.loudness_global().unwrap();
        assert!((song - file).abs() < 1e-9, "{song} vs {file}");

        let mut spans: Vec<f64> = whole.sources[0]
            .spans
            .iter()
            .map(|f| f.measures.integrated_lufs.unwrap())
            .collect();
        for cut in &cuts[1..] {
            let alone = run(&s, &mix_plan(vec![cut.clone()]), &mut |_, _| {}, &stop).unwrap();
            spans.push(alone.sources[0].spans[0].measures.integrated_lufs.unwrap());
        }
        assert_eq!(spans.len(), 5);
        for span in spans {
            assert!((span - file).abs() <= 0.1, "{span} vs {file}");
        }
    }

    /// A digitally silent span right after a tone measures nothing (every figure `None`), though
    /// its meter was seeded with the tone and rings with it; a pass over the silence alone
    /// measures nothing either; the whole pass still measures the tone.
    #[test]
    fn a_silent_span_after_a_tone_measures_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut samples = tone(4.0, 0.5);
        samples.extend(vec![0.0; second(4.0) as usize]);
        let s = session_of(dir.path(), &samples);
        let stop = StopFlag::new(0);
        let mut plan = mix_plan(vec![0..second(4.0), second(4.0)..second(8.0)]);
        plan.sources.push(Source::Channel(0));
        for figures in [Figures::Level, Figures::Loudness, Figures::Ebu] {
            plan.figures = figures;
            let measured = run(&s, &plan, &mut |_, _| {}, &stop).unwrap();
            for source in &measured.sources {
                assert!(
                    source.spans[0].measures.integrated_lufs.is_some(),
                    "{figures:?}"
                );
                assert_eq!(source.spans[1], SpanFigures::default(), "{figures:?}");
                assert!(source.song.integrated_lufs.is_some(), "{figures:?}");
            }
        }
        plan.spans = one(second(4.0)..second(8.0));
        let alone = run(&s, &plan, &mut |_, _| {}, &stop).unwrap();
        for source in &alone.sources {
            assert_eq!(source.spans[0], SpanFigures::default());
            assert_eq!(source.song, Measures::default());
        }
    }

    fn second(s: f64) -> u64 {
        (s * f64::from(RATE)) as u64
    }

    /// A plan's list of one span.
    fn one(span: Range<u64>) -> Vec<Range<u64>> {
        std::iter::once(span).collect()
    }

    /// The whole-pass meter reads what one meter fed the bounce reads: integrated loudness,
    /// and short-term loudness after each reading frame (none before 3 s); a lone channel's
    /// tap at master 0 dB measures exactly as the mix; progress reaches the total.
    #[test]
    fn readings_and_the_song_match_one_meter_over_the_bounce() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(dir.path());
        let readings = vec![second(1.0), second(3.0), second(5.5), second(8.0)];
        let plan = Plan {
            spans: vec![0..second(3.0), second(3.0)..second(8.0)],
            sources: vec![Source::Mix, Source::Channel(0)],
            figures: Figures::Loudness,
            song: true,
            readings: readings.clone(),
        };
        let mut last = (0, 0);
        let measured = run(
            &s,
            &plan,
            &mut |done, total| last = (done, total),
            &StopFlag::new(0),
        )
        .unwrap();
        assert_eq!(last, (second(8.0), second(8.0)));
        assert_eq!(measured.sources[0], measured.sources[1]);
        let mix = &measured.sources[0];

        let (left, right) = render_to_vec(&s, 0, s.length_frames).unwrap();
        let mut direct = EbuR128::new(2, RATE, Mode::I | Mode::LRA).unwrap();
        let mut fed = 0;
        let mut expected = Vec::new();
        for &frame in &readings {
            let (from, to) = (fed as usize, frame as usize);
            direct
                .add_frames_planar_f32(&[&left[from..to], &right[from..to]])
                .unwrap();
            fed = frame;
            expected.push((frame >= second(3.0)).then(|| direct.loudness_shortterm().unwrap()));
        }
        assert_eq!(mix.readings[0], None);
        for (got, want) in mix.readings.iter().zip(&expected) {
            match (got, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{got:?} {want:?}"),
                _ => assert_eq!(got, want),
            }
        }
        let integrated = direct.loudness_global().unwrap();
        let song = mix.song.integrated_lufs.unwrap();
        assert!((song - integrated).abs() < 1e-9, "{song} vs {integrated}");
        assert!(
            mix.spans
                .iter()
                .all(|s| s.measures.loudness_range_lu.is_some())
        );
    }

    /// A span measured by a pass that starts there, its meters seeded with the 100 ms before
    /// it, reads what the same span reads in a pass over the whole song.
    #[test]
    fn a_seeded_span_reads_as_in_the_whole_song() {
        let dir = tempfile::tempdir().unwrap();
        let session = session(dir.path());
        let plan = |spans: Vec<Range<u64>>| Plan {
            spans,
            sources: vec![Source::Mix],
            figures: Figures::Ebu,
            song: false,
            readings: Vec::new(),
        };
        let stop = StopFlag::new(0);
        let whole = run(
            &session,
            &plan(vec![0..second(2.5), second(2.5)..second(8.0)]),
            &mut |_, _| {},
            &stop,
        )
        .unwrap();
        let alone = run(
            &session,
            &plan(one(second(2.5)..second(8.0))),
            &mut |_, _| {},
            &stop,
        )
        .unwrap();
        let in_whole = whole.sources[0].spans[1].measures;
        let by_itself = alone.sources[0].spans[0].measures;
        for (x, y) in [
            (in_whole.integrated_lufs, by_itself.integrated_lufs),
            (in_whole.short_term_max_lufs, by_itself.short_term_max_lufs),
            (in_whole.loudness_range_lu, by_itself.loudness_range_lu),
            (in_whole.sample_peak_dbfs, by_itself.sample_peak_dbfs),
            (in_whole.true_peak_dbtp, by_itself.true_peak_dbtp),
        ] {
            let (x, y) = (x.unwrap(), y.unwrap());
            assert!((x - y).abs() < 1e-6, "{in_whole:?}\n{by_itself:?}");
        }
        assert_eq!(alone.sources[0].song, Measures::default());
    }

    /// A span's meter starts where the song left it. A span cut at a crest of a steady tone
    /// reads the true peak a fresh meter seeded with the 100 ms of the bounce before it
    /// (`seed_frames`, nothing counted) reads, which is the whole file's, and the same
    /// integrated loudness (1e-9); a meter fed the span from silence sees a jump from 0 to
    /// the crest, and its interpolator overshoots (so the seed is what makes them equal).
    #[test]
    fn a_spans_meter_is_seeded_with_the_100_ms_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let session = session_of(dir.path(), &tone(8.0, 0.5));
        // 1 kHz at 48 kHz: a crest every 48 frames, the first at frame 12.
        let span = second(2.5) + 12..second(8.0);
        let plan = Plan {
            spans: one(span.clone()),
            sources: vec![Source::Mix],
            figures: Figures::Ebu,
            song: false,
            readings: Vec::new(),
        };
        let measured = run(&session, &plan, &mut |_, _| {}, &StopFlag::new(0)).unwrap();
        let got = measured.sources[0].spans[0].measures;

        let (left, right) = render_to_vec(&session, 0, session.length_frames).unwrap();
        let (from, to) = (span.start as usize, span.end as usize);
        let seed = from - second(0.1) as usize;
        let fresh = |frames: Range<usize>, seed: Option<usize>| {
            let mode = Mode::I | Mode::TRUE_PEAK;
            let mut meter = EbuR128::new(2, RATE, mode).unwrap();
            if let Some(seed) = seed {
                meter
                    .seed_frames_planar_f32(&[&left[seed..from], &right[seed..from]])
                    .unwrap();
            }
            meter
                .add_frames_planar_f32(&[&left[frames.clone()], &right[frames]])
                .unwrap();
            let true_peak = meter.true_peak(0).unwrap().max(meter.true_peak(1).unwrap());
            (meter.loudness_global().unwrap(), 20.0 * true_peak.log10())
        };
        let (integrated, true_peak) = (got.integrated_lufs.unwrap(), got.true_peak_dbtp.unwrap());
        let (seeded_i, seeded_tp) = fresh(from..to, Some(seed));
        assert!(
            (integrated - seeded_i).abs() < 1e-9,
            "{integrated} vs {seeded_i}"
        );
        assert!(
            (true_peak - seeded_tp).abs() < 1e-9,
            "{true_peak} vs {seeded_tp}"
        );
        let (_, file_tp) = fresh(0..left.len(), None);
        assert!(
            (true_peak - file_tp).abs() < 0.01,
            "{true_peak} vs {file_tp}"
        );
        let (_, cold_tp) = fresh(from..to, None);
        assert!(cold_tp > true_peak + 0.1, "{cold_tp} vs {true_peak}");
    }

    /// A stop asked for ends the pass with the signal's number; a reference asked for in a
    /// session without one is an error naming the session.
    #[test]
    fn stops_and_a_missing_reference_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(dir.path());
        let mut plan = Plan {
            spans: one(0..second(8.0)),
            sources: vec![Source::Mix],
            figures: Figures::Level,
            song: false,
            readings: Vec::new(),
        };
        let error = run(&s, &plan, &mut |_, _| {}, &StopFlag::new(15)).unwrap_err();
        assert!(
            matches!(error, MeasureError::Interrupted { signal: 15 }),
            "{error}"
        );
        plan.sources.push(Source::Reference);
        let error = run(&s, &plan, &mut |_, _| {}, &StopFlag::new(0)).unwrap_err();
        assert!(matches!(error, MeasureError::NoReference { .. }), "{error}");
        assert!(error.to_string().contains("session.toml"), "{error}");
    }
}
