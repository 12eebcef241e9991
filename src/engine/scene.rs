//! Section scenes on the mixing thread: which fader level each strip plays at each point of the
//! timeline, and how levels glide from one section's scene to the next.
//!
//! A [`SceneTimeline`] is built off the audio thread (from a [`Session`], or by hand in tests)
//! and handed to the [`Processor`](super::processor::Processor), which reads it while mixing.
//! The level a strip plays is a function of the timeline frame alone, so playback and the
//! offline bounce agree sample for sample:
//!
//! - Before the first section's scene starts, every strip plays its own (base) fader.
//! - Section `k` carries, per strip, a [`SceneLevel`]: the base fader, a fader value of its own,
//!   or muted.
//! - Entering section `k`, levels glide **in equal steps of decibels** (as the ear hears a level
//!   change; see [`Smoother::set_glide`](super::smoother::Smoother::set_glide)) from the previous
//!   section's levels to section `k`'s over `ramp` frames, **centred on the section start**: the
//!   glide begins `ramp / 2` frames (rounded down) before the start and ends `ramp - ramp / 2`
//!   frames after it. At frame `ramp_start + j` (`0 <= j < ramp`) the fader is at
//!   `A + (B - A) * (j + 1) / ramp` dB, from level `A` dB to `B` dB, so at the section start a
//!   level is halfway there in dB and the last frame of the glide is `B` exactly. Silence (a
//!   mute, or a fader at -inf) counts as [`SILENCE_SPAN_DB`](super::smoother::SILENCE_SPAN_DB)
//!   (60 dB) below the other end, and is exact zero where the glide reaches it: a fade-out's
//!   last frame is zero, a fade-in's first frame is 60 dB below its level plus one step.
//! - A glide is shortened so it never takes more than a neighbouring section's length: glides
//!   at consecutive boundaries never overlap, and a section starting at frame 0 starts at its
//!   levels at once.
//! - A glide of 0 frames is a cut (the session asked for `ramp_ms = 0`).

use crate::session::automation::add_db;
use crate::session::{DEFAULT_SCENE_RAMP_MS, Section, Session};
use crate::units::{Decibels, frames_at};

/// What one strip's fader does in one section's scene.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SceneLevel {
    /// The strip's own fader (the base mix).
    Base,
    /// A fader value of the section's own.
    Fader(Decibels),
    /// Muted in this section only.
    Mute,
}

/// One section's scene on the timeline.
#[derive(Debug, Clone, PartialEq)]
struct SceneSpan {
    /// The section start (frame at the mix rate).
    start: u64,
    /// The glide into this scene, in frames (already shortened to fit).
    ramp: u32,
    /// One level per strip.
    levels: Vec<SceneLevel>,
}

impl SceneSpan {
    /// The first frame of the glide into this scene.
    fn ramp_start(&self) -> u64 {
        self.start - u64::from(self.ramp / 2)
    }
}

/// Every section's scene, in time order, for a fixed number of strips.
///
/// Segments number the stretches between glide starts: segment 0 is before the first scene's
/// glide begins (base mix), segment `k + 1` begins where the glide into section `k` begins.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneTimeline {
    spans: Vec<SceneSpan>,
    strips: usize,
}

impl SceneTimeline {
    /// No scenes: every strip plays its own fader everywhere.
    pub fn empty(strips: usize) -> Self {
        Self {
            spans: Vec::new(),
            strips,
        }
    }

    /// Scenes for `strips` strips on a timeline ending at frame `end`: for each section (in
    /// strictly increasing start order) its start frame, the glide into it in frames, and one
    /// level per strip (missing levels are [`SceneLevel::Base`], extra ones are ignored).
    /// Glides are shortened as the module docs say. Sections that do not start after the one
    /// before are dropped. Not realtime-safe (allocates).
    pub fn new(strips: usize, end: u64, sections: Vec<(u64, u32, Vec<SceneLevel>)>) -> Self {
        let mut spans: Vec<SceneSpan> = Vec::with_capacity(sections.len());
        for (start, ramp, mut levels) in sections {
            if spans.last().is_some_and(|s| start <= s.start) {
                continue;
            }
            levels.resize(strips, SceneLevel::Base);
            spans.push(SceneSpan {
                start,
                ramp,
                levels,
            });
        }
        for k in 0..spans.len() {
            let before = spans[k].start - k.checked_sub(1).map_or(0, |p| spans[p].start);
            let after = spans
                .get(k + 1)
                .map_or(end, |next| next.start)
                .saturating_sub(spans[k].start);
            let room = before.min(after).min(u64::from(u32::MAX)) as u32;
            spans[k].ramp = spans[k].ramp.min(room);
        }
        Self { spans, strips }
    }

    /// The scenes a session describes, at the mix rate `mix_rate`: each `[[section]]`'s
    /// `gain_db` and `mute`, gliding over its `ramp_ms` (or the session's, or the default). A
    /// group's scene value or mute counts for each of its members (see `levels_of`: a member's
    /// level in a section is its own plus its groups', in dB).
    /// Not realtime-safe (allocates).
    pub fn for_session(session: &Session, mix_rate: u32) -> Self {
        let end = frames_at(session.length_frames, session.sample_rate, mix_rate);
        let sections = session
            .sections
            .iter()
            .map(|section| {
                let ramp_ms = section
                    .ramp_ms
                    .or(session.ramp_ms)
                    .unwrap_or(DEFAULT_SCENE_RAMP_MS);
                let ramp = (f64::from(ramp_ms) * f64::from(mix_rate) / 1000.0).round() as u32;
                (
                    section.start.to_frames(mix_rate),
                    ramp,
                    levels_of(session, section),
                )
            })
            .collect();
        Self::new(session.channels.len(), end, sections)
    }

    /// The number of strips the timeline has levels for.
    pub fn strips(&self) -> usize {
        self.strips
    }

    /// The number of sections.
    pub fn sections(&self) -> usize {
        self.spans.len()
    }

    /// Where each section starts (frames at the mix rate), in order.
    ///
    /// Realtime-safe.
    pub fn starts(&self) -> impl Iterator<Item = u64> + '_ {
        self.spans.iter().map(|s| s.start)
    }

    /// The segment playing at `frame`.
    ///
    /// Realtime-safe.
    pub fn segment_at(&self, frame: u64) -> usize {
        self.spans.partition_point(|s| s.ramp_start() <= frame)
    }

    /// The frame where segment `segment + 1` begins (the next glide start), if any.
    ///
    /// Realtime-safe.
    pub fn next_change(&self, segment: usize) -> Option<u64> {
        self.spans.get(segment).map(SceneSpan::ramp_start)
    }

    /// The glide that begins segment `segment` (0 frames for segment 0).
    ///
    /// Realtime-safe.
    pub fn ramp_into(&self, segment: usize) -> u32 {
        segment
            .checked_sub(1)
            .and_then(|k| self.spans.get(k))
            .map_or(0, |s| s.ramp)
    }

    /// Where segment `segment` begins (0 for segment 0).
    ///
    /// Realtime-safe.
    pub fn segment_start(&self, segment: usize) -> u64 {
        segment
            .checked_sub(1)
            .and_then(|k| self.spans.get(k))
            .map_or(0, SceneSpan::ramp_start)
    }

    /// A strip's level in a segment.
    ///
    /// Realtime-safe.
    pub fn level(&self, segment: usize, strip: usize) -> SceneLevel {
        segment
            .checked_sub(1)
            .and_then(|k| self.spans.get(k))
            .and_then(|s| s.levels.get(strip).copied())
            .unwrap_or(SceneLevel::Base)
    }
}

/// One level per channel of the session for a section's scene, with the channel's groups
/// counted: muted when the section mutes the channel or any of its groups; else, when the
/// section gives the channel or any of its groups a fader value, the sum in dB of the channel's
/// (the section's value or its own fader) and each group's (the section's value or the group
/// fader); else the base fader (the channel's heard fader, groups included).
fn levels_of(session: &Session, section: &Section) -> Vec<SceneLevel> {
    let value = |name: &str| {
        section
            .gain_db
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, db)| *db)
    };
    let muted = |name: &str| section.mute.iter().any(|n| n == name);
    session
        .channels
        .iter()
        .map(|channel| {
            let groups = || session.groups_of(&channel.name);
            if muted(&channel.name) || groups().any(|g| muted(&g.name)) {
                return SceneLevel::Mute;
            }
            if value(&channel.name).is_none() && groups().all(|g| value(&g.name).is_none()) {
                return SceneLevel::Base;
            }
            let own = value(&channel.name).unwrap_or(channel.gain_db);
            SceneLevel::Fader(groups().fold(own, |sum, g| {
                add_db(sum, value(&g.name).unwrap_or(g.gain_db))
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline(end: u64, sections: &[(u64, u32)]) -> SceneTimeline {
        SceneTimeline::new(
            1,
            end,
            sections
                .iter()
                .map(|&(start, ramp)| (start, ramp, vec![SceneLevel::Mute]))
                .collect(),
        )
    }

    /// Glides are centred on the section start and shortened to fit their neighbours.
    #[test]
    fn glides_are_centred_and_fit() {
        let t = timeline(1000, &[(0, 100), (300, 100), (350, 100), (900, 500)]);
        // A section at 0 has nothing before it: no glide.
        assert_eq!(t.ramp_into(1), 0);
        assert_eq!(t.next_change(0), Some(0));
        // 300: room 300 before, 50 after -> 50 frames from 275.
        assert_eq!(t.ramp_into(2), 50);
        assert_eq!(t.next_change(1), Some(275));
        // 350: 50 before, 550 after -> 50 from 325 (ends at 375; the one before ended at 325).
        assert_eq!(t.ramp_into(3), 50);
        assert_eq!(t.next_change(2), Some(325));
        // 900: 550 before, 100 after the start (end 1000) -> 100 from 850.
        assert_eq!(t.ramp_into(4), 100);
        assert_eq!(t.next_change(3), Some(850));
        assert_eq!(t.next_change(4), None);
    }

    /// The segment at a frame counts the glides begun by then.
    #[test]
    fn segments_follow_glide_starts() {
        let t = timeline(1000, &[(100, 40), (500, 0)]);
        assert_eq!(t.segment_at(0), 0);
        assert_eq!(t.segment_at(79), 0);
        assert_eq!(t.segment_at(80), 1);
        assert_eq!(t.segment_at(499), 1);
        assert_eq!(t.segment_at(500), 2);
        assert_eq!(t.level(0, 0), SceneLevel::Base);
        assert_eq!(t.level(1, 0), SceneLevel::Mute);
        assert_eq!(t.level(2, 5), SceneLevel::Base);
        assert_eq!(t.segment_start(1), 80);
    }

    /// Sections out of order are dropped, and missing levels are the base fader.
    #[test]
    fn out_of_order_sections_are_dropped() {
        let t = SceneTimeline::new(
            2,
            100,
            vec![
                (10, 0, vec![]),
                (5, 0, vec![SceneLevel::Mute]),
                (10, 0, vec![]),
            ],
        );
        assert_eq!(t.sections(), 1);
        assert_eq!(t.level(1, 1), SceneLevel::Base);
    }
}
