//! The Reference Deconstruction exercise's analysis: how the user's mix and the reference mix
//! rise and fall, section by section, measured offline (UI side, on a background thread; not
//! realtime-safe: opens files, renders and measures).
//!
//! In the exercise the user rebuilds a reference mix's balance by ear from the same stems. At
//! the end, [`compare`] measures both and [`reading`] puts the difference into words.
//!
//! # What is measured
//!
//! The session is rendered once, as it stands, by the engine's [`Processor`] (the code the
//! bounce and playback run: faders, trims, section scenes, mutes and the master fader, stems read
//! in blocking mode) at the session's rate. The reference is read once, alongside, by a
//! [`ReferencePlayer`] locked to the session through [`Session::reference_map`] (the offset and
//! every section's alignment, with the short dips at its jumps), exactly as playback hears it.
//! So both sides are measured on the session's timeline.
//!
//! The timeline is cut into *stretches* at exact frames: one per section (from its start, at
//! [`Seconds::to_frames`], to the next section's start or the session end) and, when the first
//! section starts after 0, one before it named "Before NAME". A session without sections has one
//! stretch, [`WHOLE_SONG`].
//!
//! Per side, one `ebur128` meter (`I | LRA | S`) is fed every frame of the song, and one more per
//! stretch, made at the stretch's start and seeded with the 100 ms before it (the filters start
//! where the song left them; nothing of it is counted), like `earmix report`'s span meters. Per
//! stretch and for the whole song, each side has:
//!
//! - **integrated loudness** (LUFS, BS.1770 gated); `None` when the stretch is digitally silent,
//!   below the -70 LUFS gate, or shorter than one 400 ms block;
//! - **loudness range** (LU, EBU Tech 3342); `None` without integrated loudness or when the
//!   stretch is shorter than one 3 s window;
//! - **shape**: [`SHAPE_POINTS`] short-term (3 s) loudness readings of the song meter, at evenly
//!   spaced moments over the stretch: the k-th reads the 3 s window centred on
//!   `start + (k + ½)·length / SHAPE_POINTS` (moved to lie inside the song near its ends).
//!   Windows near a stretch's edges take in some of its neighbours; that is how the song sounds
//!   there. `None` where the window is quieter than -70 LUFS, or the song is shorter than 3 s.
//!
//! # Comparing fairly
//!
//! The reference may be mastered or peak-normalised, and the exercise plays both matched in
//! loudness, so absolute levels say nothing about the balance. Everything the reading says and
//! every shape drawn is *relative* to the same side's own song: shapes against its whole-song
//! integrated loudness ([`relative_shape`], drawn on one shared scale by
//! [`Comparison::sparklines`]); in the reading, each section against its side's usual level,
//! the median of its sections' loudness (see [`reading`] for why not the whole-song loudness;
//! [`relative_level`] gives that one). A reference 7 dB louder than the mix but rising and
//! falling the same way compares equal.

use std::path::PathBuf;

use ebur128::{EbuR128, Mode};

use crate::engine::processor::Processor;
use crate::engine::reference::{ReferencePlayer, open_reference};
use crate::engine::source::{MAX_BLOCK, ReadMode};
use crate::engine::streams::{StreamConfig, StreamError};
use crate::exercise::measure::Tail;
use crate::session::Session;
use crate::ui::widgets::text::BLOCKS;
use crate::units::Seconds;

/// How many short-term readings make a shape.
pub const SHAPE_POINTS: usize = 8;

/// The name of the one stretch of a session without sections.
pub const WHOLE_SONG: &str = "The whole song";

/// A section whose level against its song differs from the reference's by at least this many
/// LU is named in the reading.
pub const DIFFER_LU: f64 = 1.0;

/// Loudness ranges differing by at least this many LU are called different in the reading.
pub const RANGE_DIFFER_LU: f64 = 1.0;

/// Movements inside a section (quietest to loudest moment) differing by at least this many LU
/// are named in the reading.
pub const MOVEMENT_DIFFER_LU: f64 = 2.0;

/// The smallest span of LU a sparkline scale covers, so near-flat shapes are drawn flat.
pub const SHAPE_MIN_SPAN_LU: f64 = 6.0;

/// The largest span of LU a sparkline scale covers below its top; anything quieter sits on the
/// floor, so a fade to silence does not squash every other shape.
pub const SHAPE_MAX_SPAN_LU: f64 = 18.0;

/// The share of the quietest shape readings a sparkline scale lets sit on its floor: a fade
/// out or a break of a few moments does not set the scale for the whole song.
pub const SHAPE_FLOOR_QUANTILE: f64 = 0.1;

/// Inside a section, readings more than this many LU below their side's whole-song loudness
/// count as this far below (the relative gate of EBU loudness range), so a fade to silence
/// does not read as a huge movement.
pub const MOVEMENT_FLOOR_LU: f64 = 20.0;

/// A section this close to its song's level (LU, either way) is "level" with it in the reading.
const LEVEL_LU: f64 = 0.5;

/// At most this many differing sections are named in the reading.
const NAMED_SECTIONS: usize = 3;

/// Short-term loudness below this is silence (the absolute gate of BS.1770).
const SILENCE_LUFS: f64 = -70.0;

/// One side's loudness over a stretch of the song.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Loudness {
    /// EBU R128 gated integrated loudness, LUFS; `None` when silent or too short.
    pub integrated_lufs: Option<f64>,
    /// EBU R128 loudness range (LRA), LU; `None` when silent or too short to have one.
    pub range_lu: Option<f64>,
    /// Short-term (3 s) loudness at [`SHAPE_POINTS`] evenly spaced moments over the stretch,
    /// LUFS; `None`: silence, or not measurable.
    pub shape: Vec<Option<f64>>,
}

/// One stretch of the song, measured on both sides.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionComparison {
    /// The section's name, "Before NAME" for the stretch before the first section, or
    /// [`WHOLE_SONG`].
    pub name: String,
    /// Where it starts on the session timeline.
    pub start: Seconds,
    /// Where it ends (the next section's start, or the session end).
    pub end: Seconds,
    /// The user's mix there.
    pub mix: Loudness,
    /// The reference there, as playback places it.
    pub reference: Loudness,
}

/// The user's mix and the reference, over the whole song and per section.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The mix over the whole song.
    pub song_mix: Loudness,
    /// The reference over the whole song (where the session plays it).
    pub song_reference: Loudness,
    /// Every stretch, in time order.
    pub sections: Vec<SectionComparison>,
}

/// Why the mix and the reference could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum DeconstructError {
    /// The session names no reference mix.
    #[error(
        "{} has no reference mix to compare with: add a [reference] with the file of a mix \
         you admire",
        session.display()
    )]
    NoReference {
        /// The session file.
        session: PathBuf,
    },
    /// A stem or the reference could not be opened.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// Stem reads failed partway through the render, so the figures would be wrong.
    #[error(
        "{failures} stem read(s) failed while rendering your mix (a stem file changed or \
         became unreadable?); the comparison would be wrong, so none is given"
    )]
    StemReads {
        /// How many reads failed.
        failures: u32,
    },
    /// Reading the reference failed partway through, so its figures would be wrong.
    #[error(
        "reading the reference {} failed partway through (the file changed or became \
         unreadable?); the comparison would be wrong, so none is given",
        file.display()
    )]
    ReferenceRead {
        /// The reference file.
        file: PathBuf,
    },
    /// The loudness meter refused the audio or the sample rate.
    #[error("loudness measurement at {sample_rate} Hz failed: {reason}")]
    Loudness {
        /// The session's sample rate.
        sample_rate: u32,
        /// What `ebur128` said.
        reason: String,
    },
}

/// Renders the session as it stands (exactly what the bounce renders) at the session's rate,
/// reads the reference through the session's reference map (locked, exactly as playback does),
/// and measures both over the whole song and per stretch (see the module docs), in one pass.
///
/// Not realtime-safe: opens files, renders and measures; run it off the UI thread.
pub fn compare(session: &Session) -> Result<Comparison, DeconstructError> {
    let no_reference = || DeconstructError::NoReference {
        session: session.path.clone(),
    };
    let reference = session.reference.as_ref().ok_or_else(no_reference)?;
    let rate = session.sample_rate;
    let loudness_error = |e: ebur128::Error| DeconstructError::Loudness {
        sample_rate: rate,
        reason: e.to_string(),
    };
    let plan = Plan::new(session);
    let file = session.resolve(&reference.file);
    let mut sources = Sources::open(session)?.ok_or_else(no_reference)?;
    let mut sides = [
        SideMeter::new(rate).map_err(loudness_error)?,
        SideMeter::new(rate).map_err(loudness_error)?,
    ];
    let outcome = run(&plan, &mut sources, &mut sides);
    if sources.stem_failures > 0 {
        return Err(DeconstructError::StemReads {
            failures: sources.stem_failures,
        });
    }
    if sources.reference_failed {
        return Err(DeconstructError::ReferenceRead { file });
    }
    outcome.map_err(loudness_error)?;
    let [mix, reference] = sides;
    let (song_mix, mix_stretches) = mix.finish(&plan).map_err(loudness_error)?;
    let (song_reference, reference_stretches) = reference.finish(&plan).map_err(loudness_error)?;
    let sections = plan
        .stretches
        .iter()
        .zip(mix_stretches.into_iter().zip(reference_stretches))
        .map(|(stretch, (mix, reference))| SectionComparison {
            name: stretch.name.clone(),
            start: Seconds::from_frames(stretch.start, rate),
            end: Seconds::from_frames(stretch.end, rate),
            mix,
            reference,
        })
        .collect();
    Ok(Comparison {
        song_mix,
        song_reference,
        sections,
    })
}

/// One stretch of the timeline, in session frames, with the readings its shape is made of.
struct Stretch {
    name: String,
    start: u64,
    end: u64,
    /// Indices into [`Plan::readings`]; `None` for an empty stretch.
    points: Option<[usize; SHAPE_POINTS]>,
}

impl Stretch {
    fn is_empty(&self) -> bool {
        self.start >= self.end
    }
}

/// What one pass measures and where.
struct Plan {
    /// The session's length in frames.
    length: u64,
    /// The stretches, in time order; the non-empty ones cover the song end to end.
    stretches: Vec<Stretch>,
    /// The whole song as a stretch (for its shape).
    song: Stretch,
    /// The frames (sorted, distinct) after which the song meters' short-term loudness is read.
    readings: Vec<u64>,
}

impl Plan {
    fn new(session: &Session) -> Self {
        let rate = session.sample_rate;
        let length = session.length_frames;
        let window = u64::from(rate) * 3;
        let at = |t: Seconds| t.to_frames(rate).min(length);
        let mut bounds: Vec<(String, u64, u64)> = Vec::with_capacity(session.sections.len() + 1);
        match session.sections.first() {
            None => bounds.push((WHOLE_SONG.to_string(), 0, length)),
            Some(first) if at(first.start) > 0 => {
                bounds.push((format!("Before {}", first.name), 0, at(first.start)));
            }
            Some(_) => {}
        }
        for (i, section) in session.sections.iter().enumerate() {
            let end = session.sections.get(i + 1).map_or(length, |s| at(s.start));
            bounds.push((section.name.clone(), at(section.start), end));
        }
        let mut readings: Vec<u64> = std::iter::once((0, length))
            .chain(bounds.iter().map(|(_, start, end)| (*start, *end)))
            .filter(|(start, end)| start < end)
            .flat_map(|(start, end)| moments(start, end, length, window))
            .collect();
        readings.sort_unstable();
        readings.dedup();
        let stretch = |name: String, start: u64, end: u64| Stretch {
            points: (start < end).then(|| {
                moments(start, end, length, window)
                    .map(|frame| readings.binary_search(&frame).unwrap_or_else(|place| place))
            }),
            name,
            start,
            end,
        };
        let stretches = bounds
            .into_iter()
            .map(|(name, start, end)| stretch(name, start, end))
            .collect();
        let song = stretch(WHOLE_SONG.to_string(), 0, length);
        Self {
            length,
            stretches,
            song,
            readings,
        }
    }
}

/// The frames after which to read the short-term loudness for a shape of `[start, end)`: the
/// end of the 3 s `window` centred on each of the [`SHAPE_POINTS`] moments, kept inside the song
/// (never before one whole window, when the song is that long).
fn moments(start: u64, end: u64, length: u64, window: u64) -> [u64; SHAPE_POINTS] {
    let points = SHAPE_POINTS as u64;
    std::array::from_fn(|k| {
        let centre = start + (2 * k as u64 + 1) * (end - start) / (2 * points);
        (centre + window / 2).clamp(window.min(length), length)
    })
}

/// The user's mix and the reference, rendered and read block by block.
struct Sources {
    processor: Processor,
    reference: ReferencePlayer,
    mix: [Vec<f32>; 2],
    heard: [Vec<f32>; 2],
    stem_failures: u32,
    reference_failed: bool,
}

impl Sources {
    /// Opens the stems at session frame 0 and the reference at the place the map gives it
    /// (`None` when the session has no reference).
    fn open(session: &Session) -> Result<Option<Self>, StreamError> {
        let rate = session.sample_rate;
        let processor = Processor::for_session(session, rate, 0, &[], StreamConfig::BOUNCE)?;
        let Some(reference) = open_reference(session, rate, 0, &[], StreamConfig::BOUNCE)? else {
            return Ok(None);
        };
        Ok(Some(Self {
            processor,
            reference,
            mix: [vec![0.0; MAX_BLOCK], vec![0.0; MAX_BLOCK]],
            heard: [vec![0.0; MAX_BLOCK], vec![0.0; MAX_BLOCK]],
            stem_failures: 0,
            reference_failed: false,
        }))
    }

    /// Renders the mix and reads the reference for the `n` (at most [`MAX_BLOCK`]) session
    /// frames from `pos`; returns the mix's and the reference's (left, right) blocks.
    fn next(&mut self, pos: u64, n: usize) -> [[&[f32]; 2]; 2] {
        let [mix_l, mix_r] = &mut self.mix;
        let status = self
            .processor
            .process(&mut mix_l[..n], &mut mix_r[..n], ReadMode::Blocking);
        self.stem_failures += status.failures;
        let [ref_l, ref_r] = &mut self.heard;
        let status = self
            .reference
            .read(pos, &mut ref_l[..n], &mut ref_r[..n], ReadMode::Blocking);
        self.reference_failed |= status.failed;
        [
            [&self.mix[0][..n], &self.mix[1][..n]],
            [&self.heard[0][..n], &self.heard[1][..n]],
        ]
    }
}

/// Feeds both sides the whole song, starting and ending stretch meters at the stretch bounds
/// and reading the short-term loudness at the planned frames.
fn run(
    plan: &Plan,
    sources: &mut Sources,
    sides: &mut [SideMeter; 2],
) -> Result<(), ebur128::Error> {
    let live: Vec<&Stretch> = plan.stretches.iter().filter(|s| !s.is_empty()).collect();
    let mut cuts: Vec<u64> = live
        .iter()
        .map(|s| s.end)
        .chain(plan.readings.iter().copied())
        .chain([plan.length])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    if !live.is_empty() {
        for side in sides.iter_mut() {
            side.begin()?;
        }
    }
    let (mut pos, mut current, mut next_reading) = (0u64, 0usize, 0usize);
    for cut in cuts {
        while pos < cut {
            let n = (cut - pos).min(MAX_BLOCK as u64) as usize;
            let blocks = sources.next(pos, n);
            for (side, [left, right]) in sides.iter_mut().zip(blocks) {
                side.add(left, right)?;
            }
            pos += n as u64;
        }
        while plan.readings.get(next_reading) == Some(&pos) {
            for side in sides.iter_mut() {
                side.read(pos)?;
            }
            next_reading += 1;
        }
        if let Some(stretch) = live.get(current)
            && stretch.end == pos
        {
            for side in sides.iter_mut() {
                side.end(stretch.end - stretch.start)?;
            }
            current += 1;
            if current < live.len() {
                for side in sides.iter_mut() {
                    side.begin()?;
                }
            }
        }
    }
    Ok(())
}

/// A meter for a stretch or the song: integrated loudness, loudness range and short-term.
fn meter(rate: u32) -> Result<EbuR128, ebur128::Error> {
    EbuR128::new(2, rate, Mode::I | Mode::LRA | Mode::S)
}

/// The highest sample magnitude of a block.
fn block_peak(left: &[f32], right: &[f32]) -> f32 {
    left.iter()
        .chain(right)
        .fold(0.0f32, |peak, x| peak.max(x.abs()))
}

/// One side's meters during the pass.
struct SideMeter {
    rate: u32,
    /// Fed every frame of the song.
    song: EbuR128,
    song_peak: f32,
    /// The current stretch's meter and sample peak.
    stretch: Option<(EbuR128, f32)>,
    /// The last 100 ms fed, to seed the next stretch's meter with.
    tail: Tail,
    /// The finished stretches, in order (without shapes).
    done: Vec<Loudness>,
    /// The song meter's short-term loudness at each of the plan's reading frames, in order.
    readings: Vec<Option<f64>>,
}

impl SideMeter {
    fn new(rate: u32) -> Result<Self, ebur128::Error> {
        let seed = u64::from(rate).div_ceil(10) as usize;
        Ok(Self {
            rate,
            song: meter(rate)?,
            song_peak: 0.0,
            stretch: None,
            tail: Tail::new(seed),
            done: Vec::new(),
            readings: Vec::new(),
        })
    }

    /// Starts a stretch: a new meter, seeded with the 100 ms before it.
    fn begin(&mut self) -> Result<(), ebur128::Error> {
        let mut stretch = meter(self.rate)?;
        if !self.tail.left.is_empty() {
            stretch.seed_frames_planar_f32(&[&self.tail.left, &self.tail.right])?;
        }
        self.stretch = Some((stretch, 0.0));
        Ok(())
    }

    fn add(&mut self, left: &[f32], right: &[f32]) -> Result<(), ebur128::Error> {
        let peak = block_peak(left, right);
        self.song.add_frames_planar_f32(&[left, right])?;
        self.song_peak = self.song_peak.max(peak);
        if let Some((stretch, stretch_peak)) = &mut self.stretch {
            stretch.add_frames_planar_f32(&[left, right])?;
            *stretch_peak = stretch_peak.max(peak);
        }
        self.tail.push(left, right);
        Ok(())
    }

    /// Ends the current stretch, `frames` long.
    fn end(&mut self, frames: u64) -> Result<(), ebur128::Error> {
        if let Some((stretch, peak)) = self.stretch.take() {
            let loudness = measured(&stretch, peak, frames, self.window())?;
            self.done.push(loudness);
        }
        Ok(())
    }

    /// Reads the song meter's short-term loudness after `fed` frames.
    fn read(&mut self, fed: u64) -> Result<(), ebur128::Error> {
        let value = if fed >= self.window() {
            Some(self.song.loudness_shortterm()?).filter(|v| v.is_finite() && *v >= SILENCE_LUFS)
        } else {
            None
        };
        self.readings.push(value);
        Ok(())
    }

    /// One 3 s short-term window, in frames.
    fn window(&self) -> u64 {
        u64::from(self.rate) * 3
    }

    /// The whole song's and every stretch's loudness, shapes included.
    fn finish(self, plan: &Plan) -> Result<(Loudness, Vec<Loudness>), ebur128::Error> {
        let shape = |stretch: &Stretch| match stretch.points {
            Some(points) => points
                .iter()
                .map(|&i| self.readings.get(i).copied().flatten())
                .collect(),
            None => vec![None; SHAPE_POINTS],
        };
        let mut song = measured(&self.song, self.song_peak, plan.length, self.window())?;
        song.shape = shape(&plan.song);
        let mut done = self.done.iter();
        let stretches = plan
            .stretches
            .iter()
            .map(|stretch| {
                let mut loudness = if stretch.is_empty() {
                    Loudness::default()
                } else {
                    done.next().cloned().unwrap_or_default()
                };
                loudness.shape = shape(stretch);
                loudness
            })
            .collect();
        Ok((song, stretches))
    }
}

/// A meter's integrated loudness and range over `frames` frames whose sample peak was `peak`
/// (digital silence has no loudness, even while the filters ring from before).
fn measured(
    meter: &EbuR128,
    peak: f32,
    frames: u64,
    window: u64,
) -> Result<Loudness, ebur128::Error> {
    let integrated_lufs = Some(meter.loudness_global()?).filter(|l| l.is_finite() && peak > 0.0);
    let range_lu = if integrated_lufs.is_some() && frames >= window {
        Some(meter.loudness_range()?).filter(|r| r.is_finite())
    } else {
        None
    };
    Ok(Loudness {
        integrated_lufs,
        range_lu,
        shape: Vec::new(),
    })
}

/// A stretch's integrated loudness against its own side's whole song, LU (positive: louder than
/// the song); `None` when either is not measured.
pub fn relative_level(stretch: &Loudness, song: &Loudness) -> Option<f64> {
    Some(stretch.integrated_lufs? - song.integrated_lufs?)
}

/// A stretch's shape against its own side's whole-song integrated loudness, LU; all `None` when
/// the song has no loudness.
pub fn relative_shape(stretch: &Loudness, song: &Loudness) -> Vec<Option<f64>> {
    stretch
        .shape
        .iter()
        .map(|point| Some((*point)? - song.integrated_lufs?))
        .collect()
}

impl Comparison {
    /// Each side's usual level, LUFS: the median of the integrated loudness of its sections
    /// that are measured on both sides (0 when none is). The reading and the sections table
    /// measure every section against it.
    pub fn usual_levels(&self) -> (f64, f64) {
        let measured: Vec<(f64, f64)> = self
            .sections
            .iter()
            .filter_map(|s| Some((s.mix.integrated_lufs?, s.reference.integrated_lufs?)))
            .collect();
        (
            median(measured.iter().map(|m| m.0).collect()),
            median(measured.iter().map(|m| m.1).collect()),
        )
    }

    /// The floor and top, in LU relative to each side's own whole-song loudness, to draw every
    /// shape of the comparison with ([`relative_shape`] then [`sparkline`]), so the mix's and
    /// the reference's shapes compare whatever their overall levels.
    ///
    /// Over every relative short-term reading of both sides (the songs and every section):
    /// the top is the highest; the floor the [`SHAPE_FLOOR_QUANTILE`] quantile (nearest rank:
    /// the quietest tenth may sit on the floor, so a fade out does not flatten everything
    /// else), but at most [`SHAPE_MAX_SPAN_LU`] below the top. A span under
    /// [`SHAPE_MIN_SPAN_LU`] is widened to it around its middle, so a nearly flat song draws
    /// flat at mid height. With no readings at all: ±3 LU around the song's level.
    pub fn shape_scale(&self) -> (f64, f64) {
        let mut values: Vec<f64> = self
            .pairs()
            .flat_map(|(stretch, song)| relative_shape(stretch, song))
            .flatten()
            .filter(|v| v.is_finite())
            .collect();
        values.sort_by(f64::total_cmp);
        let (Some(&low), Some(&top)) = (
            values.get(
                ((values.len().saturating_sub(1)) as f64 * SHAPE_FLOOR_QUANTILE).round() as usize,
            ),
            values.last(),
        ) else {
            return (-SHAPE_MIN_SPAN_LU / 2.0, SHAPE_MIN_SPAN_LU / 2.0);
        };
        let floor = low.max(top - SHAPE_MAX_SPAN_LU);
        if top - floor < SHAPE_MIN_SPAN_LU {
            let middle = f64::midpoint(top, floor);
            (
                middle - SHAPE_MIN_SPAN_LU / 2.0,
                middle + SHAPE_MIN_SPAN_LU / 2.0,
            )
        } else {
            (floor, top)
        }
    }

    /// The mix's and the reference's shapes of one stretch (pass a section's `mix` and
    /// `reference`, or the song's), drawn on the comparison's [`Comparison::shape_scale`], each
    /// relative to its own side's whole-song loudness.
    pub fn sparklines(&self, mix: &Loudness, reference: &Loudness) -> (String, String) {
        let (floor, top) = self.shape_scale();
        (
            sparkline(&relative_shape(mix, &self.song_mix), floor, top),
            sparkline(&relative_shape(reference, &self.song_reference), floor, top),
        )
    }

    /// Every (stretch, its side's song) pair: the songs, then each section's mix and reference.
    fn pairs(&self) -> impl Iterator<Item = (&Loudness, &Loudness)> {
        [
            (&self.song_mix, &self.song_mix),
            (&self.song_reference, &self.song_reference),
        ]
        .into_iter()
        .chain(self.sections.iter().flat_map(|s| {
            [
                (&s.mix, &self.song_mix),
                (&s.reference, &self.song_reference),
            ]
        }))
    }
}

/// A shape as one character per point from "▁▂▃▄▅▆▇█": `floor` (or below) draws ▁, `top` (or
/// above) draws █, values between are spread evenly over the eight heights (rounded to the
/// nearest); `None` or NaN draws a space. Pass the same `floor` and `top` for every shape that
/// should compare. With `top` not above `floor`, values at or above `top` draw █, others ▁.
pub fn sparkline(shape: &[Option<f64>], floor: f64, top: f64) -> String {
    shape
        .iter()
        .map(|point| match point {
            Some(v) if !v.is_nan() => {
                let height = if top > floor {
                    ((v - floor) / (top - floor) * 7.0).round().clamp(0.0, 7.0) as usize
                } else if *v >= top {
                    7
                } else {
                    0
                };
                BLOCKS[height]
            }
            _ => ' ',
        })
        .collect()
}

/// One stretch measured on both sides, each against its own side's usual level.
struct Row<'a> {
    name: &'a str,
    /// The mix's stretch minus the mix's usual level, LU.
    mix: f64,
    /// The reference's stretch minus the reference's usual level, LU.
    reference: f64,
}

impl Row<'_> {
    /// How much higher the stretch sits against its song in the mix than in the reference.
    fn difference(&self) -> f64 {
        self.mix - self.reference
    }

    /// The difference as the reading shows it: of the two levels as shown, so the sums add up.
    fn shown_difference(&self) -> f64 {
        round_tenth(round_tenth(self.mix) - round_tenth(self.reference))
    }
}

/// The plain-language reading of a comparison: a few short paragraphs, for the user.
///
/// 1. How the mix's sections rise and fall next to the reference's, naming the (at most three)
///    that differ most by [`DIFFER_LU`] or more, with a hint on the biggest. Each side's
///    section is measured against that side's *usual level*: the median of its sections'
///    integrated loudness (the stretches measured on both sides). Like a section against its
///    whole-song loudness, this takes out the overall level (the loudness match, a mastered or
///    peak-normalised reference), but the whole-song loudness follows the loudest sections: a
///    chorus pushed up would pull the song up with it and read as the verses dropping. The
///    median follows the sections that stayed put, so the one that moved is the one named.
/// 2. The whole song's loudness range on both sides.
/// 3. The section whose movement inside itself differs most (by [`MOVEMENT_DIFFER_LU`]).
/// 4. A closing line: this is about shape, not matching numbers.
///
/// Stretches without sound on both sides are left out; a silent side gets one paragraph
/// saying so.
pub fn reading(comparison: &Comparison) -> Vec<String> {
    let (mix_song, reference_song) = (&comparison.song_mix, &comparison.song_reference);
    if let Some(silent) = silence_paragraph(mix_song, reference_song) {
        return vec![silent];
    }
    let measured: Vec<(&str, f64, f64)> = comparison
        .sections
        .iter()
        .filter_map(|s| {
            Some((
                s.name.as_str(),
                s.mix.integrated_lufs?,
                s.reference.integrated_lufs?,
            ))
        })
        .collect();
    let (usual_mix, usual_reference) = comparison.usual_levels();
    let rows: Vec<Row> = measured
        .iter()
        .map(|&(name, mix, reference)| Row {
            name,
            mix: mix - usual_mix,
            reference: reference - usual_reference,
        })
        .collect();
    let mut paragraphs = sections_paragraphs(comparison, &rows);
    paragraphs.extend(range_paragraph(mix_song, reference_song));
    paragraphs.extend(movement_paragraph(comparison));
    paragraphs.push(
        "This is about shape, not about matching numbers. The reference's overall level \
         (mastered, normalised or just louder) is taken out: every figure here is a part of \
         the song against the rest of its own song. If your sections rise and fall where the \
         reference's do, your balance tells the song's story the same way."
            .to_string(),
    );
    paragraphs
}

/// The median of `values` (0 for none).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => f64::midpoint(values[n / 2 - 1], values[n / 2]),
    }
}

/// What to say when either side has no sound at all; `None` when both have.
fn silence_paragraph(mix: &Loudness, reference: &Loudness) -> Option<String> {
    let text = match (mix.integrated_lufs, reference.integrated_lufs) {
        (Some(_), Some(_)) => return None,
        (None, None) => {
            "Neither your mix nor the reference has any sound to measure, so there is nothing \
             to compare."
        }
        (None, Some(_)) => {
            "Your mix is silent, so there is nothing to compare: bring some faders up and try \
             again."
        }
        (Some(_), None) => {
            "The reference is silent where your song plays, so there is nothing to compare it \
             with. Check that its offset puts it under your song."
        }
    };
    Some(text.to_string())
}

/// A level against a usual level: "2.1 LU above its own", "at your song's usual level".
fn against(lu: f64, song: &str) -> String {
    let rounded = round_tenth(lu);
    if rounded == 0.0 {
        format!("at {song}")
    } else if rounded > 0.0 {
        format!("{rounded:.1} LU above {song}")
    } else {
        format!("{:.1} LU below {song}", -rounded)
    }
}

/// `x` rounded to a tenth, with -0.0 turned into 0.0.
fn round_tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0 + 0.0
}

/// How the mix treats a section next to how the reference does ("Yours lifts it less").
fn verdict(mix: f64, reference: f64) -> &'static str {
    let lifts = |x: f64| x >= LEVEL_LU;
    let drops = |x: f64| x <= -LEVEL_LU;
    let higher = mix > reference;
    if lifts(reference) && lifts(mix) {
        if higher {
            "Yours lifts it more"
        } else {
            "Yours lifts it less"
        }
    } else if drops(reference) && drops(mix) {
        if higher {
            "Yours drops it less"
        } else {
            "Yours drops it further"
        }
    } else if lifts(reference) {
        if drops(mix) {
            "Yours drops it where the reference lifts it"
        } else {
            "Yours keeps it level where the reference lifts it"
        }
    } else if drops(reference) {
        if lifts(mix) {
            "Yours lifts it where the reference drops it"
        } else {
            "Yours keeps it level where the reference drops it"
        }
    } else if higher {
        "Yours lifts it where the reference keeps it level"
    } else {
        "Yours drops it where the reference keeps it level"
    }
}

/// One differing section, in a sentence.
fn section_sentence(row: &Row) -> String {
    let difference = row.shown_difference();
    format!(
        "{}: your mix puts it {}, the reference {}. {}, so it stands {:.1} LU {} against the \
         rest of the song than in the reference.",
        row.name,
        against(row.mix, "your song's usual level"),
        against(row.reference, "its own"),
        verdict(row.mix, row.reference),
        difference.abs(),
        if row.difference() > 0.0 {
            "higher"
        } else {
            "lower"
        },
    )
}

/// The paragraphs on how the sections rise and fall: one or two.
fn sections_paragraphs(comparison: &Comparison, rows: &[Row]) -> Vec<String> {
    if comparison.sections.len() < 2 {
        return vec![
            "You have no sections marked, so only the whole song is compared. Mark the verses \
             and choruses to see how each part of your mix rises and falls next to the \
             reference's."
                .to_string(),
        ];
    }
    if rows.len() < 2 {
        return vec![
            "Too few sections have sound in both mixes to compare how they rise and fall."
                .to_string(),
        ];
    }
    let mut differing: Vec<&Row> = rows
        .iter()
        .filter(|r| r.difference().abs() >= DIFFER_LU)
        .collect();
    // Biggest first; of two equal (as shown), the one standing higher in the mix first.
    differing.sort_by(|a, b| {
        let size = |r: &Row| round_tenth(r.difference().abs());
        size(b)
            .total_cmp(&size(a))
            .then(b.difference().total_cmp(&a.difference()))
    });
    let Some(biggest) = differing.first() else {
        return vec![alike_paragraph(rows)];
    };
    let how_many = match (differing.len(), rows.len()) {
        (2, 2) => "Both sections".to_string(),
        (k, n) if k == n => format!("All {} sections", count_word(n, false)),
        (k, n) => format!(
            "{} of the {} sections",
            count_word(k, true),
            count_word(n, false)
        ),
    };
    let mut sentences = vec![format!(
        "{how_many} {} differently against the rest of the song in your mix than in the \
         reference. (Each mix's sections are measured against that mix's usual level, the \
         middle of its sections, so how loud either is overall does not count.)",
        if differing.len() == 1 { "sits" } else { "sit" }
    )];
    sentences.extend(
        differing
            .iter()
            .take(NAMED_SECTIONS)
            .map(|row| section_sentence(row)),
    );
    if differing.len() > NAMED_SECTIONS {
        let more = differing.len() - NAMED_SECTIONS;
        sentences.push(format!(
            "{} more {} by less.",
            count_word(more, true),
            if more == 1 { "differs" } else { "differ" }
        ));
    }
    let hint = if biggest.difference() < 0.0 {
        format!(
            "When a section sits lower in your mix than in the reference, the parts that play \
             mostly there are usually lower in your balance than in the reference's. Listen to \
             what carries {} and flip between the two.",
            biggest.name
        )
    } else {
        format!(
            "When a section stands out more in your mix than in the reference, the parts that \
             play mostly there are usually louder in your balance than in the reference's. \
             Listen to what carries {} and flip between the two.",
            biggest.name
        )
    };
    vec![sentences.join(" "), hint]
}

/// The sections paragraph when none differs by [`DIFFER_LU`] or more.
fn alike_paragraph(rows: &[Row]) -> String {
    let alike = format!(
        "Section by section, your mix rises and falls like the reference: every section sits \
         within {DIFFER_LU:.1} LU of where the reference puts it against the rest of its song."
    );
    let loudest = |key: fn(&Row) -> f64| {
        rows.iter()
            .enumerate()
            .max_by(|a, b| key(a.1).total_cmp(&key(b.1)))
            .map(|(i, _)| i)
    };
    match (loudest(|r| r.mix), loudest(|r| r.reference)) {
        (Some(mix), Some(reference)) if mix == reference && rows[mix].reference >= LEVEL_LU => {
            let row = &rows[mix];
            format!(
                "{alike} Both lift {} the most: yours {}, the reference {}.",
                row.name,
                against(row.mix, "your song's usual level"),
                against(row.reference, "its own")
            )
        }
        _ => alike,
    }
}

/// A small count in words ("Two", "three"), digits from 11 on; capitalised when `first`.
fn count_word(n: usize, first: bool) -> String {
    const WORDS: [&str; 11] = [
        "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    let word = WORDS
        .get(n)
        .map_or_else(|| n.to_string(), |w| (*w).to_string());
    if first {
        let mut chars = word.chars();
        chars.next().map_or_else(String::new, |c| {
            c.to_uppercase().chain(chars).collect::<String>()
        })
    } else {
        word
    }
}

/// The paragraph on the whole song's loudness range; `None` when either side has none.
fn range_paragraph(mix: &Loudness, reference: &Loudness) -> Option<String> {
    let (m, r) = (mix.range_lu?, reference.range_lu?);
    let verdict = if (m - r).abs() < RANGE_DIFFER_LU {
        "about as much: your song moves as the reference does"
    } else if m < r {
        "yours is steadier, so your song builds and settles less than the reference"
    } else {
        "yours moves more, so its quiet parts sit further below its loud ones than in the \
         reference"
    };
    Some(format!(
        "From its quieter moments to its louder ones, your mix spans {:.1} LU (its loudness \
         range) and the reference {:.1} LU: {verdict}.",
        round_tenth(m),
        round_tenth(r)
    ))
}

/// How far a stretch moves inside itself: its loudest short-term reading minus its quietest,
/// LU, over the readings whose 3 s window lies within the stretch, none counted lower than
/// [`MOVEMENT_FLOOR_LU`] under the side's `song` loudness; `None` with fewer than two.
fn movement(section: &SectionComparison, shape: &[Option<f64>], song: &Loudness) -> Option<f64> {
    let floor = song.integrated_lufs? - MOVEMENT_FLOOR_LU;
    let (start, end) = (section.start.0, section.end.0);
    let step = (end - start) / shape.len().max(1) as f64;
    let inside: Vec<f64> = shape
        .iter()
        .enumerate()
        .filter(|(k, _)| {
            let centre = start + (*k as f64 + 0.5) * step;
            centre - 1.5 >= start - 1e-6 && centre + 1.5 <= end + 1e-6
        })
        .filter_map(|(_, v)| v.map(|v| v.max(floor)))
        .collect();
    if inside.len() < 2 {
        return None;
    }
    let top = inside.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let bottom = inside.iter().copied().fold(f64::INFINITY, f64::min);
    Some(top - bottom)
}

/// The paragraph on the section whose inner movement differs most; `None` when none differs by
/// [`MOVEMENT_DIFFER_LU`] or more.
fn movement_paragraph(comparison: &Comparison) -> Option<String> {
    let (section, mix, reference) = comparison
        .sections
        .iter()
        .filter_map(|s| {
            Some((
                s,
                movement(s, &s.mix.shape, &comparison.song_mix)?,
                movement(s, &s.reference.shape, &comparison.song_reference)?,
            ))
        })
        .filter(|(_, m, r)| (m - r).abs() >= MOVEMENT_DIFFER_LU)
        .max_by(|a, b| (a.1 - a.2).abs().total_cmp(&(b.1 - b.2).abs()))?;
    let place = if section.name == WHOLE_SONG {
        "Through the song".to_string()
    } else {
        format!("Inside {}", section.name)
    };
    Some(format!(
        "{place}, the reference moves through {:.1} LU from its quietest moment to its loudest \
         and yours through {:.1} LU: yours {} there.",
        round_tenth(reference),
        round_tenth(mix),
        if mix < reference {
            "stays flatter"
        } else {
            "moves more"
        }
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::render::render_to_vec;
    use crate::session::Reference;
    use crate::units::Decibels;

    const RATE: u32 = 48_000;

    /// Deterministic noise, louder by `levels[s]` (amplitude) in second `s`.
    fn noise(seed: u32, levels: &[f32]) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        let second = RATE as usize;
        (0..levels.len() * second)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                levels[i / second] * ((state as f32 / u32::MAX as f32) - 0.5)
            })
            .collect()
    }

    /// A sine at `hz` with a constant peak `peak`, `seconds` long.
    fn tone(hz: f64, peak: f64, seconds: usize) -> Vec<f32> {
        (0..seconds * RATE as usize)
            .map(|i| (peak * (std::f64::consts::TAU * hz * i as f64 / 48_000.0).sin()) as f32)
            .collect()
    }

    /// Writes 32-bit float WAV with one or two channels.
    fn write_wav(path: &Path, channels: &[&[f32]]) {
        let spec = hound::WavSpec {
            channels: channels.len() as u16,
            sample_rate: RATE,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::create(path, spec).unwrap();
        for i in 0..channels[0].len() {
            for channel in channels {
                writer.write_sample(channel[i]).unwrap();
            }
        }
        writer.finalize().unwrap();
    }

    /// An 8 s session in `dir` with mono stems "Drums" (noise, quieter in its first four
    /// seconds) and "Tone" (a steady 220 Hz sine), and, when `sections`, "Verse" at 0 s and
    /// "Chorus" at 4 s (no scene glide). No reference yet.
    fn session(dir: &Path, sections: bool) -> Session {
        let levels = [0.2, 0.3, 0.15, 0.25, 0.5, 0.6, 0.45, 0.7];
        write_wav(&dir.join("drums.wav"), &[&noise(7, &levels)]);
        write_wav(&dir.join("tone.wav"), &[&tone(220.0, 0.1, 8)]);
        let sections = if sections {
            "\n[[section]]\nname = \"Verse\"\nstart = 0.0\n\n\
             [[section]]\nname = \"Chorus\"\nstart = 4.0\nramp_ms = 0\n"
        } else {
            ""
        };
        let text = format!(
            "version = 1\nname = \"Deconstruct\"\nsample_rate = 48000\n\n\
             [[channel]]\nname = \"Drums\"\nfile = \"drums.wav\"\nrole = \"drums\"\n\
             gain_db = 0.0\npan = 0.0\n\n\
             [[channel]]\nname = \"Tone\"\nfile = \"tone.wav\"\nrole = \"keys\"\n\
             gain_db = -3.0\npan = 0.2\n{sections}"
        );
        let path = dir.join("session.toml");
        std::fs::write(&path, text).unwrap();
        crate::session::load(&path).unwrap()
    }

    /// The session's bounce, (left, right).
    fn bounce(session: &Session) -> (Vec<f32>, Vec<f32>) {
        render_to_vec(session, 0, session.length_frames).unwrap()
    }

    /// Writes `left`/`right` as the session's reference "ref.wav", placed by `offset` and
    /// `aligned`.
    fn set_reference(
        session: &mut Session,
        left: &[f32],
        right: &[f32],
        offset: f64,
        aligned: &[(&str, f64)],
    ) {
        write_wav(&session.dir().join("ref.wav"), &[left, right]);
        session.reference = Some(Reference {
            file: "ref.wav".into(),
            offset: Seconds(offset),
            sections: aligned
                .iter()
                .map(|(name, at)| ((*name).to_string(), Seconds(*at)))
                .collect(),
        });
    }

    fn close(a: Option<f64>, b: Option<f64>, tolerance: f64) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= tolerance,
            (None, None) => true,
            _ => false,
        }
    }

    /// Mix and reference agree within `tolerance` LU on every integrated loudness, range and
    /// shape point, once `shift` (reference minus mix, LU) is taken off the reference.
    fn assert_alike(comparison: &Comparison, shift: f64, tolerance: f64, shapes: bool) {
        let pairs = std::iter::once((&comparison.song_mix, &comparison.song_reference))
            .chain(comparison.sections.iter().map(|s| (&s.mix, &s.reference)));
        for (mix, reference) in pairs {
            let unshifted = |v: Option<f64>| v.map(|v| v - shift);
            assert!(
                close(
                    mix.integrated_lufs,
                    unshifted(reference.integrated_lufs),
                    tolerance
                ),
                "{comparison:#?}"
            );
            assert!(mix.integrated_lufs.is_some(), "{comparison:#?}");
            assert!(
                close(mix.range_lu, reference.range_lu, tolerance),
                "{comparison:#?}"
            );
            if shapes {
                assert_eq!(mix.shape.len(), SHAPE_POINTS);
                for (m, r) in mix.shape.iter().zip(&reference.shape) {
                    assert!(close(*m, unshifted(*r), tolerance), "{comparison:#?}");
                }
            }
        }
    }

    /// A reference that is exactly the bounce compares equal: loudness, range and shape of the
    /// song and of each section agree, and the reading names no difference.
    #[test]
    fn a_reference_equal_to_the_mix_compares_equal() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = session(dir.path(), true);
        let (left, right) = bounce(&s);
        set_reference(&mut s, &left, &right, 0.0, &[]);
        let comparison = compare(&s).unwrap();
        assert_eq!(comparison.sections.len(), 2);
        assert_eq!(comparison.sections[1].name, "Chorus");
        assert_eq!(comparison.sections[1].start, Seconds(4.0));
        assert_eq!(comparison.sections[1].end, Seconds(8.0));
        assert_alike(&comparison, 0.0, 0.1, true);
        let chorus = &comparison.sections[1];
        assert!(relative_level(&chorus.mix, &comparison.song_mix).unwrap() > 1.0);
        let text = reading(&comparison).join("\n");
        assert!(
            text.contains("rises and falls like the reference"),
            "{text}"
        );
        assert!(!text.contains("Yours"), "{text}");
        let (mix, reference) = comparison.sparklines(&chorus.mix, &chorus.reference);
        assert_eq!(mix, reference);
        assert_eq!(mix.chars().count(), SHAPE_POINTS);
    }

    /// A reference 6 dB quieter reads 6 LU lower everywhere, yet rises and falls the same: its
    /// shapes draw the same and the reading claims no difference.
    #[test]
    fn a_quieter_reference_rises_and_falls_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = session(dir.path(), true);
        let (left, right) = bounce(&s);
        let gain = Decibels(-6.0).to_amplitude();
        let scaled = |side: &[f32]| side.iter().map(|x| x * gain).collect::<Vec<f32>>();
        set_reference(&mut s, &scaled(&left), &scaled(&right), 0.0, &[]);
        let comparison = compare(&s).unwrap();
        assert_alike(&comparison, -6.0, 0.1, true);
        for section in &comparison.sections {
            let (mix, reference) = comparison.sparklines(&section.mix, &section.reference);
            assert_eq!(mix, reference, "{}", section.name);
        }
        let text = reading(&comparison).join("\n");
        assert!(
            text.contains("rises and falls like the reference"),
            "{text}"
        );
        assert!(text.contains("about as much"), "{text}");
        assert!(
            !text.contains("Yours") && !text.contains("higher") && !text.contains("lower"),
            "{text}"
        );
    }

    /// A chorus pushed 6 dB louder in the mix's scene than in the reference is named, with
    /// the direction: it sits higher against the rest of the song in the mix.
    #[test]
    fn a_louder_section_in_the_mix_is_named_with_its_direction() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = session(dir.path(), true);
        let (left, right) = bounce(&s);
        set_reference(&mut s, &left, &right, 0.0, &[]);
        s.sections[1].gain_db = vec![("Drums".into(), Decibels(6.0))];
        let comparison = compare(&s).unwrap();
        let paragraphs = reading(&comparison);
        for paragraph in &paragraphs {
            println!("{paragraph}\n");
        }
        let text = paragraphs.join("\n");
        let at = text.find("Chorus:").unwrap_or_else(|| panic!("{text}"));
        let chorus = &text[at..at + text[at..].find("than in the reference.").unwrap()];
        assert!(chorus.contains("Yours lifts it more"), "{chorus}");
        assert!(chorus.contains("higher against the rest"), "{chorus}");
        assert!(text.contains("what carries Chorus"), "{text}");
        assert!(paragraphs.len() <= 6, "{paragraphs:#?}");
    }

    /// The reference is read where the session's map places it: a reference delayed by 1 s
    /// with offset 1 s compares equal, and so does one with its sections swapped and aligned.
    #[test]
    fn the_reference_is_read_through_offset_and_alignment() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = session(dir.path(), true);
        let (left, right) = bounce(&s);
        let delayed = |side: &[f32]| {
            let mut out = vec![0.0; RATE as usize];
            out.extend_from_slice(side);
            out
        };
        set_reference(&mut s, &delayed(&left), &delayed(&right), 1.0, &[]);
        assert_alike(&compare(&s).unwrap(), 0.0, 0.1, true);

        let half = 4 * RATE as usize;
        let swapped = |side: &[f32]| [&side[half..], &side[..half]].concat();
        set_reference(
            &mut s,
            &swapped(&left),
            &swapped(&right),
            0.0,
            &[("Verse", 4.0), ("Chorus", 0.0)],
        );
        // The shapes read 3 s windows across the jump, which the reference dips around.
        assert_alike(&compare(&s).unwrap(), 0.0, 0.1, false);
        // Without the alignment, the swapped reference is not the mix.
        s.reference.as_mut().unwrap().sections.clear();
        let unaligned = compare(&s).unwrap();
        let chorus = &unaligned.sections[1];
        assert!(
            !close(
                chorus.mix.integrated_lufs,
                chorus.reference.integrated_lufs,
                1.0
            ),
            "{unaligned:#?}"
        );
    }

    /// Sparkline heights: the floor draws ▁, the top █, values between in even steps, values
    /// outside clamp, and a missing point is a space.
    #[test]
    fn sparkline_maps_values_onto_eight_heights() {
        let shape = [
            Some(-20.0),
            Some(-18.0),
            None,
            Some(-10.0),
            Some(-6.0),
            Some(-40.0),
            Some(3.0),
            Some(f64::NAN),
        ];
        assert_eq!(sparkline(&shape, -20.0, -6.0), "▁▂ ▆█▁█ ");
        assert_eq!(sparkline(&[Some(1.0), Some(-1.0)], 0.0, 0.0), "█▁");
        assert_eq!(sparkline(&[], -1.0, 1.0), "");
    }

    /// Shapes are drawn relative to their own song: a reference 7 LU louder that moves the same
    /// draws the same line; the scale spans the readings, at least 6 LU.
    #[test]
    fn shapes_compare_relative_to_their_own_song() {
        let side = |song: f64, points: &[f64]| Loudness {
            integrated_lufs: Some(song),
            range_lu: Some(4.0),
            shape: points.iter().map(|p| Some(song + p)).collect(),
        };
        let comparison = Comparison {
            song_mix: side(-21.0, &[-1.0, 0.0, 1.0]),
            song_reference: side(-14.0, &[-1.0, 0.0, 1.0]),
            sections: vec![SectionComparison {
                name: "Verse".into(),
                start: Seconds(0.0),
                end: Seconds(10.0),
                mix: side(-21.0, &[-9.0, -4.5, 0.0]),
                reference: side(-14.0, &[-9.0, -4.5, 0.0]),
            }],
        };
        let (floor, top) = comparison.shape_scale();
        assert!((floor + 9.0).abs() < 1e-9 && (top - 1.0).abs() < 1e-9);
        let (mix, reference) = comparison.sparklines(&comparison.sections[0].mix, &{
            comparison.sections[0].reference.clone()
        });
        assert_eq!(mix, "▁▄▇");
        assert_eq!(mix, reference);
        let (mix, reference) =
            comparison.sparklines(&comparison.song_mix, &comparison.song_reference);
        assert_eq!((mix.as_str(), reference.as_str()), ("▇▇█", "▇▇█"));
    }

    /// No reference is an error naming the session file; no sections gives one stretch,
    /// "The whole song", measuring what the song measures.
    #[test]
    fn no_reference_is_an_error_and_no_sections_is_the_whole_song() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = session(dir.path(), false);
        let error = compare(&s).unwrap_err();
        assert!(matches!(error, DeconstructError::NoReference { .. }));
        let text = error.to_string();
        assert!(
            text.contains("session.toml") && text.contains("no reference mix"),
            "{text}"
        );
        let (left, right) = bounce(&s);
        set_reference(&mut s, &left, &right, 0.0, &[]);
        let comparison = compare(&s).unwrap();
        assert_eq!(comparison.sections.len(), 1);
        let whole = &comparison.sections[0];
        assert_eq!(whole.name, WHOLE_SONG);
        assert_eq!((whole.start, whole.end), (Seconds(0.0), Seconds(8.0)));
        assert!(close(
            whole.mix.integrated_lufs,
            comparison.song_mix.integrated_lufs,
            0.01
        ));
        assert_eq!(whole.mix.shape, comparison.song_mix.shape);
        let text = reading(&comparison).join("\n");
        assert!(text.contains("no sections marked"), "{text}");
    }

    /// A missing reference file is a stream error naming it.
    #[test]
    fn an_unreadable_reference_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = session(dir.path(), true);
        s.reference = Some(Reference {
            file: "gone.wav".into(),
            offset: Seconds(0.0),
            sections: Vec::new(),
        });
        let error = compare(&s).unwrap_err();
        assert!(matches!(error, DeconstructError::Stream(_)), "{error}");
        assert!(error.to_string().contains("gone.wav"), "{error}");
    }

    /// The reading skips stretches without sound on both sides, and says so when a whole side
    /// is silent.
    #[test]
    fn the_reading_handles_silence() {
        let loud = |lufs: f64| Loudness {
            integrated_lufs: Some(lufs),
            range_lu: None,
            shape: vec![None; SHAPE_POINTS],
        };
        let section = |name: &str, mix: Loudness, reference: Loudness| SectionComparison {
            name: name.into(),
            start: Seconds(0.0),
            end: Seconds(1.0),
            mix,
            reference,
        };
        let mut comparison = Comparison {
            song_mix: loud(-20.0),
            song_reference: loud(-10.0),
            sections: vec![
                section("Intro", Loudness::default(), loud(-30.0)),
                section("Verse", loud(-22.0), loud(-15.0)),
                section("Chorus", loud(-18.0), loud(-7.0)),
            ],
        };
        let text = reading(&comparison).join("\n");
        assert!(!text.contains("Intro"), "{text}");
        assert!(text.contains("Both sections sit differently"), "{text}");
        assert!(
            text.contains(
                "Chorus: your mix puts it 2.0 LU above your song's usual level, the reference \
                 4.0 LU above its own. Yours lifts it less, so it stands 2.0 LU lower"
            ),
            "{text}"
        );
        assert!(
            text.contains("Verse: your mix puts it 2.0 LU below your song's usual level"),
            "{text}"
        );
        assert!(text.contains("what carries Verse"), "{text}");
        comparison.song_reference = Loudness::default();
        let paragraphs = reading(&comparison);
        assert_eq!(paragraphs.len(), 1);
        assert!(
            paragraphs[0].contains("reference is silent"),
            "{paragraphs:?}"
        );
    }
}
