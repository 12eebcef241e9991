//! The Reference Deconstruction exercise's analysis: how the user's mix and the reference mix
//! rise and fall, section by section, measured offline (UI side, on a background thread; not
//! realtime-safe: opens files, renders and measures).
//!
//! In the exercise the user rebuilds a reference mix's balance by ear from the same stems. At
//! the end, [`compare`] measures both and [`reading`] puts the difference into words.
//!
//! # What is measured
//!
//! One pass of the offline analysis ([`pass::run`]; the [`analysis`](crate::analysis) docs say
//! how it measures): the session rendered once, as it stands (faders, trims, section
//! scenes, mutes and the master fader), and the reference read alongside, locked to the session
//! through [`Session::reference_map`] (the offset and every section's alignment, with the short
//! dips at its jumps), exactly as playback hears it. So both sides, the mix and the reference,
//! are measured on the session's timeline.
//!
//! The timeline is cut into *stretches*, the spans of [`span::cuts`]: one per section, and the
//! lead-in before the first, "(before NAME)"; a session without sections has one stretch,
//! [`WHOLE_SONG`](span::WHOLE_SONG). Per stretch and for the whole song, each side has:
//!
//! - **integrated loudness** (LUFS, BS.1770 gated, the stretch's meter seeded with the 100 ms
//!   before it); `None` when the stretch is digitally silent, below the -70 LUFS gate, or
//!   shorter than one 400 ms block;
//! - **loudness range** (LU, EBU Tech 3342); `None` without integrated loudness or when the
//!   stretch is shorter than one 3 s window;
//! - **shape**: [`SHAPE_POINTS`] short-term (3 s) loudness readings of the whole-song meter, at
//!   evenly spaced moments over the stretch: the k-th reads the 3 s window centred on
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

use crate::analysis::MeasureError;
use crate::analysis::meter::{Figures, Measures, SourceFigures};
use crate::analysis::pass::{self, Plan, Source};
use crate::analysis::span::{self, Span, SpanKind};
use crate::engine::render::StopFlag;
use crate::session::Session;
use crate::ui::widgets::text::BLOCKS;
use crate::units::Seconds;

/// How many short-term readings make a shape.
pub const SHAPE_POINTS: usize = 8;

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
    /// The section's name, the lead-in's ("(before NAME)"), or [`span::WHOLE_SONG`].
    pub name: String,
    /// What the stretch is: a section, the lead-in before the first, or the whole song.
    pub kind: SpanKind,
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

/// Renders the session as it stands (exactly what the bounce renders) at the session's rate,
/// reads the reference through the session's reference map (locked, exactly as playback does),
/// and measures both over the whole song and per stretch (see the module docs), in one pass.
///
/// Not realtime-safe: opens files, renders and measures; run it off the UI thread.
pub fn compare(session: &Session) -> Result<Comparison, MeasureError> {
    let rate = session.sample_rate;
    let length = session.length_frames;
    let window = u64::from(rate) * 3;
    let song = span::whole_song(session);
    let stretches = span::cuts(session);
    let mut readings: Vec<u64> = std::iter::once(&song)
        .chain(&stretches)
        .filter(|s| !s.is_empty())
        .flat_map(|s| moments(s.start, s.end, length, window))
        .collect();
    readings.sort_unstable();
    readings.dedup();
    let plan = Plan {
        spans: stretches.iter().map(Span::frames).collect(),
        sources: vec![Source::Mix, Source::Reference],
        figures: Figures::Loudness,
        song: true,
        readings,
    };
    let measured = pass::run(session, &plan, &mut |_, _| {}, &StopFlag::new(0))?;
    let shape = |side: &SourceFigures, stretch: &Span| {
        if stretch.is_empty() {
            return vec![None; SHAPE_POINTS];
        }
        moments(stretch.start, stretch.end, length, window)
            .iter()
            .map(|frame| {
                let reading = plan.readings.binary_search(frame).ok();
                reading.and_then(|i| side.readings[i])
            })
            .collect()
    };
    let loudness = |side: &SourceFigures, measures: &Measures, stretch: &Span| Loudness {
        integrated_lufs: measures.integrated_lufs,
        range_lu: measures.loudness_range_lu,
        shape: shape(side, stretch),
    };
    let (mix, reference) = (&measured.sources[0], &measured.sources[1]);
    let sections = stretches
        .iter()
        .enumerate()
        .map(|(k, stretch)| SectionComparison {
            name: stretch.name.clone(),
            kind: stretch.kind,
            start: Seconds::from_frames(stretch.start, rate),
            end: Seconds::from_frames(stretch.end, rate),
            mix: loudness(mix, &mix.spans[k].measures, stretch),
            reference: loudness(reference, &reference.spans[k].measures, stretch),
        })
        .collect();
    Ok(Comparison {
        song_mix: loudness(mix, &mix.song, &song),
        song_reference: loudness(reference, &reference.song, &song),
        sections,
    })
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
struct Row {
    /// How a sentence names it ([`spoken`]).
    name: String,
    /// The mix's stretch minus the mix's usual level, LU.
    mix: f64,
    /// The reference's stretch minus the reference's usual level, LU.
    reference: f64,
}

impl Row {
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
    let (usual_mix, usual_reference) = comparison.usual_levels();
    let rows: Vec<Row> = comparison
        .sections
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            Some(Row {
                name: spoken(&comparison.sections, i),
                mix: s.mix.integrated_lufs? - usual_mix,
                reference: s.reference.integrated_lufs? - usual_reference,
            })
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

/// How the reading names stretch `i` of `sections` in a sentence: its section's name, or "the
/// lead-in before NAME" for the stretch before the first section (its name in tables is
/// "(before NAME)").
fn spoken(sections: &[SectionComparison], i: usize) -> String {
    match (sections[i].kind, sections.get(i + 1)) {
        (SpanKind::Before, Some(first)) => format!("the lead-in before {}", first.name),
        _ => sections[i].name.clone(),
    }
}

/// `text` with its first letter capitalised, to start a sentence.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
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
        capitalised(&row.name),
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
    let (i, mix, reference) = comparison
        .sections
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            Some((
                i,
                movement(s, &s.mix.shape, &comparison.song_mix)?,
                movement(s, &s.reference.shape, &comparison.song_reference)?,
            ))
        })
        .filter(|(_, m, r)| (m - r).abs() >= MOVEMENT_DIFFER_LU)
        .max_by(|a, b| (a.1 - a.2).abs().total_cmp(&(b.1 - b.2).abs()))?;
    let place = if comparison.sections[i].kind == SpanKind::Song {
        "Through the song".to_string()
    } else {
        format!("Inside {}", spoken(&comparison.sections, i))
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
                kind: SpanKind::Section,
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
    /// "Whole song", measuring what the song measures.
    #[test]
    fn no_reference_is_an_error_and_no_sections_is_the_whole_song() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = session(dir.path(), false);
        let error = compare(&s).unwrap_err();
        assert!(matches!(error, MeasureError::NoReference { .. }));
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
        assert_eq!(whole.name, span::WHOLE_SONG);
        assert_eq!(whole.kind, SpanKind::Song);
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
        assert!(matches!(error, MeasureError::Stream(_)), "{error}");
        assert!(error.to_string().contains("gone.wav"), "{error}");
    }

    /// The lead-in is "(before Verse)" in the tables, as in `earmix report`, and the reading
    /// calls it "the lead-in before Verse", capitalised where a sentence starts with it.
    #[test]
    fn the_reading_names_the_lead_in_in_words() {
        let loud = |lufs: f64| Loudness {
            integrated_lufs: Some(lufs),
            range_lu: None,
            shape: vec![None; SHAPE_POINTS],
        };
        let stretch = |name: &str, kind: SpanKind, mix: f64, reference: f64| SectionComparison {
            name: name.into(),
            kind,
            start: Seconds(0.0),
            end: Seconds(1.0),
            mix: loud(mix),
            reference: loud(reference),
        };
        let comparison = Comparison {
            song_mix: loud(-20.0),
            song_reference: loud(-10.0),
            sections: vec![
                stretch("(before Verse)", SpanKind::Before, -22.0, -17.0),
                stretch("Verse", SpanKind::Section, -20.0, -10.0),
                stretch("Chorus", SpanKind::Section, -18.0, -8.0),
            ],
        };
        let text = reading(&comparison).join("\n");
        assert!(
            text.contains("The lead-in before Verse: your mix puts it 2.0 LU below"),
            "{text}"
        );
        assert!(
            text.contains("what carries the lead-in before Verse"),
            "{text}"
        );
        assert!(!text.contains("(before"), "{text}");
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
            kind: SpanKind::Section,
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
