//! Cutting a session's timeline into spans at exact frames: the one definition `earmix report`
//! and Reference Deconstruction share.
//!
//! One span per `[[section]]`, from its start (rounded to the nearest frame by
//! [`Seconds::to_frames`], as the engine switches scenes there; clamped to the session) to the
//! next section's start or the session end; and, when the first section starts after 0, the
//! *lead-in* before it, named "(before NAME)" ([`lead_in_name`]). The spans cover the song end
//! to end. A session without sections is one span, the whole song ([`WHOLE_SONG`]).
//!
//! [`Seconds::to_frames`]: crate::units::Seconds::to_frames

use serde::Serialize;

use crate::session::Session;

/// The name of the span covering the whole song.
pub const WHOLE_SONG: &str = "Whole song";

/// What a span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    /// The whole song.
    Song,
    /// The lead-in: from 0 to the first section, when that starts later.
    Before,
    /// A `[[section]]`.
    Section,
}

impl SpanKind {
    /// The kind's name in `earmix report`'s JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Song => "song",
            SpanKind::Before => "before",
            SpanKind::Section => "section",
        }
    }
}

/// A span of the timeline: `[start, end)` in frames at the session's rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The section's name, the lead-in's ([`lead_in_name`]) or [`WHOLE_SONG`].
    pub name: String,
    /// What the span is.
    pub kind: SpanKind,
    /// First frame.
    pub start: u64,
    /// One past the last frame (never before `start`; equal for an empty span).
    pub end: u64,
}

impl Span {
    /// Whether the span holds no frames (a section starting where the next one does, or past
    /// the session end).
    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }

    /// `[start, end)`.
    pub fn frames(&self) -> std::ops::Range<u64> {
        self.start..self.end
    }
}

/// The name of the lead-in before the first section, `first`.
pub fn lead_in_name(first: &str) -> String {
    format!("(before {first})")
}

/// The whole song as a span.
pub fn whole_song(session: &Session) -> Span {
    Span {
        name: WHOLE_SONG.to_string(),
        kind: SpanKind::Song,
        start: 0,
        end: session.length_frames,
    }
}

/// The lead-in (when the first section starts after 0) and every section, in time order; empty
/// for a session without sections.
pub fn sections(session: &Session) -> Vec<Span> {
    let rate = session.sample_rate;
    let length = session.length_frames;
    let at = |section: &crate::session::Section| section.start.to_frames(rate).min(length);
    let mut spans = Vec::with_capacity(session.sections.len() + 1);
    if let Some(first) = session.sections.first()
        && at(first) > 0
    {
        spans.push(Span {
            name: lead_in_name(&first.name),
            kind: SpanKind::Before,
            start: 0,
            end: at(first),
        });
    }
    for (i, section) in session.sections.iter().enumerate() {
        let start = at(section);
        let end = session.sections.get(i + 1).map_or(length, at).max(start);
        spans.push(Span {
            name: section.name.clone(),
            kind: SpanKind::Section,
            start,
            end,
        });
    }
    spans
}

/// What a measurement cuts the song at: [`sections`], or the whole song in one span when the
/// session has none. The non-empty spans cover the song end to end.
pub fn cuts(session: &Session) -> Vec<Span> {
    let spans = sections(session);
    if spans.is_empty() {
        vec![whole_song(session)]
    } else {
        spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(sections: &str) -> Session {
        let dir = tempfile::tempdir().unwrap();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(dir.path().join("a.wav"), spec).unwrap();
        for _ in 0..80_000 {
            writer.write_sample(0i16).unwrap();
        }
        writer.finalize().unwrap();
        let path = dir.path().join("session.toml");
        std::fs::write(
            &path,
            format!(
                "version = 1\nname = \"Cuts\"\nsample_rate = 8000\n\n\
                 [[channel]]\nname = \"A\"\nfile = \"a.wav\"\n{sections}"
            ),
        )
        .unwrap();
        crate::session::load(&path).unwrap()
    }

    fn bounds(spans: &[Span]) -> Vec<(&str, SpanKind, u64, u64)> {
        spans
            .iter()
            .map(|s| (s.name.as_str(), s.kind, s.start, s.end))
            .collect()
    }

    /// A first section after 0 gets a lead-in named "(before NAME)" from 0 to it; each section
    /// runs to the next one's start, the last to the session end, at exact frames.
    #[test]
    fn sections_start_with_the_lead_in() {
        let s = session(
            "\n[[section]]\nname = \"Verse\"\nstart = 1.2345\n\n\
             [[section]]\nname = \"Chorus\"\nstart = 4.0\n",
        );
        let spans = sections(&s);
        assert_eq!(
            bounds(&spans),
            [
                ("(before Verse)", SpanKind::Before, 0, 9876),
                ("Verse", SpanKind::Section, 9876, 32_000),
                ("Chorus", SpanKind::Section, 32_000, 80_000),
            ]
        );
        assert_eq!(cuts(&s), spans);
    }

    /// Section starts are rounded to the nearest frame, as the engine switches scenes there: a
    /// first section at 0.0001 s (0.8 of a frame at 8 kHz) leaves a lead-in of exactly one
    /// frame, one at 0.00006 s (0.48 of a frame) none.
    #[test]
    fn starts_round_to_the_nearest_frame() {
        let s = session(
            "\n[[section]]\nname = \"Verse\"\nstart = 0.0001\n\n\
             [[section]]\nname = \"Chorus\"\nstart = 2.00006\n",
        );
        assert_eq!(
            bounds(&sections(&s)),
            [
                ("(before Verse)", SpanKind::Before, 0, 1),
                ("Verse", SpanKind::Section, 1, 16_000),
                ("Chorus", SpanKind::Section, 16_000, 80_000),
            ]
        );
        let s = session("\n[[section]]\nname = \"Verse\"\nstart = 0.00006\n");
        assert_eq!(
            bounds(&sections(&s)),
            [("Verse", SpanKind::Section, 0, 80_000)]
        );
    }

    /// A first section at 0 has no lead-in; a session without sections has no section spans
    /// and is cut as the whole song.
    #[test]
    fn no_lead_in_at_zero_and_the_whole_song_without_sections() {
        let s = session("\n[[section]]\nname = \"Intro\"\nstart = 0.0\n");
        assert_eq!(
            bounds(&sections(&s)),
            [("Intro", SpanKind::Section, 0, 80_000)]
        );
        let s = session("");
        assert!(sections(&s).is_empty());
        assert_eq!(bounds(&cuts(&s)), [(WHOLE_SONG, SpanKind::Song, 0, 80_000)]);
    }
}
