//! Musical time: a session's tempo map (tempo and meter, with changes at bar lines) and the
//! positions in bars and beats it turns into seconds and back.
//!
//! Bar 1 starts at session time 0. A beat is the note value under the meter's line (a quarter
//! note in 4/4 and 3/4, an eighth in 6/8), and the tempo counts those beats per minute. A change
//! takes effect at the first beat of its bar and holds until the next change.

use std::fmt;

use crate::units::Seconds;

/// Slowest tempo a session may give, in beats per minute.
pub const MIN_BPM: f64 = 10.0;
/// Fastest tempo a session may give, in beats per minute.
pub const MAX_BPM: f64 = 1000.0;
/// Most beats a bar may have.
pub const MAX_BEATS: u32 = 64;
/// Note values a meter may count (the number under its line).
pub const BEAT_UNITS: [u32; 7] = [1, 2, 4, 8, 16, 32, 64];

/// A time signature: `beats` beats of `1/unit` notes to the bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meter {
    /// Beats to the bar (the upper number).
    pub beats: u32,
    /// The note value of a beat (the lower number): 4 for quarter notes, 8 for eighths.
    pub unit: u32,
}

impl Meter {
    /// Common time, what a session has when it gives no meter.
    pub const COMMON: Meter = Meter { beats: 4, unit: 4 };

    /// Reads a meter as written in a session file: `"4/4"`, `"6/8"`, `"7/8"`. `None` when the
    /// text is not one ([`Meter::RULE`] says what is allowed).
    pub fn parse(text: &str) -> Option<Meter> {
        let (beats, unit) = text.trim().split_once('/')?;
        let beats: u32 = beats.trim().parse().ok()?;
        let unit: u32 = unit.trim().parse().ok()?;
        ((1..=MAX_BEATS).contains(&beats) && BEAT_UNITS.contains(&unit))
            .then_some(Meter { beats, unit })
    }

    /// What a meter may be, in a session file's words.
    pub const RULE: &'static str = "a meter is beats to the bar over the note value of a beat, \
                                    like \"4/4\", \"3/4\" or \"6/8\": 1 to 64 beats of 1, 2, 4, \
                                    8, 16, 32 or 64";
}

impl fmt::Display for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.beats, self.unit)
    }
}

/// A place in the song in bars and beats, both counted from 1: bar 9, beat 3 is the third beat
/// of the ninth bar. `beat` may have a fraction (beat 2.5 is halfway through the second beat).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarBeat {
    /// The bar, from 1.
    pub bar: u32,
    /// The beat in the bar, from 1 up to (not including) the bar's beats + 1.
    pub beat: f64,
}

impl BarBeat {
    /// Reads a position as written in a session file: `"bar 9"` or `"bar 9 beat 3"` (words in
    /// any case, any spacing). `None` when the text does not start with the word `bar` (it is
    /// not meant as bars); `Some(None)` when it does but is not a position.
    pub fn parse(text: &str) -> Option<Option<BarBeat>> {
        let mut words = text.split_whitespace();
        if !words.next()?.eq_ignore_ascii_case("bar") {
            return None;
        }
        let mut position = || {
            let bar: u32 = words.next()?.parse().ok()?;
            let beat = match words.next() {
                None => 1.0,
                Some(word) if word.eq_ignore_ascii_case("beat") => {
                    words.next()?.parse::<f64>().ok()?
                }
                Some(_) => return None,
            };
            let whole = words.next().is_none() && bar >= 1;
            (whole && beat.is_finite() && beat >= 1.0).then_some(BarBeat { bar, beat })
        };
        Some(position())
    }
}

impl fmt::Display for BarBeat {
    /// `bar.beat` with the beat's whole number only, as the console shows it: `9.3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.bar, self.beat.floor() as u64)
    }
}

/// A tempo and meter from a bar on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tempo {
    /// Beats (of the meter's note value) per minute.
    pub bpm: f64,
    /// The time signature.
    pub meter: Meter,
}

impl Tempo {
    /// How long one beat lasts, in seconds.
    pub fn beat_seconds(&self) -> f64 {
        60.0 / self.bpm
    }

    /// How long one bar lasts, in seconds.
    pub fn bar_seconds(&self) -> f64 {
        self.beat_seconds() * f64::from(self.meter.beats)
    }
}

/// One stretch of the song at one tempo and meter.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    /// The first bar at this tempo.
    bar: u32,
    /// Where that bar starts, in seconds.
    start: f64,
    tempo: Tempo,
}

/// A session's tempo and meter through the song: what turns bars and beats into seconds and
/// back. Built from the session file's `tempo`, `meter` and `[[tempo_change]]` tables.
#[derive(Debug, Clone, PartialEq)]
pub struct TempoMap {
    /// In bar order, the first at bar 1 (time 0).
    segments: Vec<Segment>,
}

impl TempoMap {
    /// A map starting at `first` on bar 1 and changing to each `(bar, tempo)` of `changes` at
    /// that bar. Changes are expected in increasing bar order from bar 2 (the session file's
    /// rules); one that is not after the one before is ignored.
    pub fn new(first: Tempo, changes: &[(u32, Tempo)]) -> Self {
        let mut segments = vec![Segment {
            bar: 1,
            start: 0.0,
            tempo: first,
        }];
        for &(bar, tempo) in changes {
            let last = segments[segments.len() - 1];
            if bar <= last.bar {
                continue;
            }
            let start = last.start + f64::from(bar - last.bar) * last.tempo.bar_seconds();
            segments.push(Segment { bar, start, tempo });
        }
        Self { segments }
    }

    /// The tempo and meter in force at `bar`.
    pub fn tempo_at_bar(&self, bar: u32) -> Tempo {
        self.segment_at_bar(bar).tempo
    }

    /// The tempo and meter at the start and at each change, with the bar each starts at.
    pub fn changes(&self) -> impl Iterator<Item = (u32, Tempo)> + '_ {
        self.segments.iter().map(|s| (s.bar, s.tempo))
    }

    fn segment_at_bar(&self, bar: u32) -> &Segment {
        let i = self
            .segments
            .partition_point(|s| s.bar <= bar)
            .saturating_sub(1);
        &self.segments[i]
    }

    /// Where a position falls in the song. `None` when its beat is past the last beat of its
    /// bar (beat 5 of a 4/4 bar); the bar's [`Tempo`] says how many it has.
    pub fn seconds(&self, at: BarBeat) -> Option<Seconds> {
        let segment = self.segment_at_bar(at.bar.max(1));
        let tempo = segment.tempo;
        if at.beat < 1.0 || at.beat >= f64::from(tempo.meter.beats) + 1.0 {
            return None;
        }
        let bars = f64::from(at.bar.max(1) - segment.bar);
        Some(Seconds(
            segment.start + bars * tempo.bar_seconds() + (at.beat - 1.0) * tempo.beat_seconds(),
        ))
    }

    /// The bar and beat playing at `t` (0 before the song, so bar 1 beat 1).
    pub fn position(&self, t: Seconds) -> BarBeat {
        // Times a hair before a bar line or beat (from rounding seconds) count as on it: 0.1 µs,
        // far less than a sample.
        const EPSILON: f64 = 1e-7;
        let t = if t.0.is_finite() { t.0.max(0.0) } else { 0.0 };
        let i = self
            .segments
            .partition_point(|s| s.start <= t + EPSILON)
            .saturating_sub(1);
        let segment = self.segments[i];
        let tempo = segment.tempo;
        let into = t - segment.start;
        let bars = ((into + EPSILON) / tempo.bar_seconds()).floor().max(0.0);
        let beats = (into - bars * tempo.bar_seconds()) / tempo.beat_seconds();
        let beats = if (beats - beats.round()).abs() * tempo.beat_seconds() < EPSILON {
            beats.round()
        } else {
            beats
        };
        let beat = (1.0 + beats).clamp(1.0, f64::from(tempo.meter.beats) + 1.0 - EPSILON);
        BarBeat {
            bar: segment
                .bar
                .saturating_add(bars.min(f64::from(u32::MAX)) as u32),
            beat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tempo(bpm: f64, beats: u32, unit: u32) -> Tempo {
        Tempo {
            bpm,
            meter: Meter { beats, unit },
        }
    }

    fn at(bar: u32, beat: f64) -> BarBeat {
        BarBeat { bar, beat }
    }

    /// At 120 in 4/4 a bar is 2 s: bar 1 is time 0, bar 9 is 16 s, beat 3 of it 17 s, and back.
    #[test]
    fn steady_tempo_counts_bars_from_zero() {
        let map = TempoMap::new(tempo(120.0, 4, 4), &[]);
        assert_eq!(map.seconds(at(1, 1.0)), Some(Seconds(0.0)));
        assert_eq!(map.seconds(at(9, 1.0)), Some(Seconds(16.0)));
        assert_eq!(map.seconds(at(9, 3.0)), Some(Seconds(17.0)));
        assert_eq!(map.seconds(at(9, 4.5)), Some(Seconds(17.75)));
        assert_eq!(map.seconds(at(9, 5.0)), None);
        assert_eq!(map.position(Seconds(17.0)), at(9, 3.0));
        assert_eq!(map.position(Seconds(-1.0)), at(1, 1.0));
        assert_eq!(map.position(Seconds(17.25)).to_string(), "9.3");
    }

    /// A tempo change at bar 5 (100 -> 150 BPM, 4/4) starts where bar 5 falls at the old tempo
    /// (4 bars of 2.4 s) and bars after it are 1.6 s long.
    #[test]
    fn tempo_change_starts_at_its_bar() {
        let map = TempoMap::new(tempo(100.0, 4, 4), &[(5, tempo(150.0, 4, 4))]);
        let close = |a: Option<Seconds>, b: f64| (a.unwrap().0 - b).abs() < 1e-9;
        assert!(close(map.seconds(at(4, 4.0)), 3.0 * 2.4 + 3.0 * 0.6));
        assert!(close(map.seconds(at(5, 1.0)), 9.6));
        assert!(close(map.seconds(at(7, 2.0)), 9.6 + 2.0 * 1.6 + 0.4));
        assert_eq!(map.position(Seconds(9.6)), at(5, 1.0));
        assert_eq!(map.position(Seconds(9.59)).bar, 4);
        assert_eq!(map.tempo_at_bar(4).bpm, 100.0);
        assert_eq!(map.tempo_at_bar(5).bpm, 150.0);
    }

    /// 3/4 at 90 has 3 beats of 2/3 s; a change to 6/8 at bar 3 counts eighths (6 per bar):
    /// at 180 eighths a minute a 6/8 bar is 2 s, and beat 7 does not exist.
    #[test]
    fn three_four_then_six_eight() {
        let map = TempoMap::new(tempo(90.0, 3, 4), &[(3, tempo(180.0, 6, 8))]);
        assert!((map.seconds(at(2, 3.0)).unwrap().0 - (2.0 + 4.0 / 3.0)).abs() < 1e-9);
        assert_eq!(map.seconds(at(2, 4.0)), None);
        assert!((map.seconds(at(3, 1.0)).unwrap().0 - 4.0).abs() < 1e-9);
        assert!((map.seconds(at(4, 4.0)).unwrap().0 - 7.0).abs() < 1e-9);
        assert_eq!(map.seconds(at(4, 7.0)), None);
        assert_eq!(map.position(Seconds(7.0)), at(4, 4.0));
        assert_eq!(map.tempo_at_bar(3).meter.to_string(), "6/8");
    }

    /// Changes not after the one before are ignored rather than making time run backwards.
    #[test]
    fn out_of_order_changes_are_ignored() {
        let map = TempoMap::new(
            tempo(120.0, 4, 4),
            &[
                (1, tempo(60.0, 4, 4)),
                (3, tempo(60.0, 4, 4)),
                (2, tempo(240.0, 4, 4)),
            ],
        );
        assert_eq!(map.changes().count(), 2);
        assert_eq!(map.seconds(at(3, 1.0)), Some(Seconds(4.0)));
    }

    /// Positions read as "bar N" or "bar N beat B"; other words are not bars; bad bars are
    /// refused.
    #[test]
    fn positions_parse() {
        assert_eq!(BarBeat::parse("bar 9"), Some(Some(at(9, 1.0))));
        assert_eq!(BarBeat::parse("  Bar 9  beat 3 "), Some(Some(at(9, 3.0))));
        assert_eq!(BarBeat::parse("bar 9 beat 2.5"), Some(Some(at(9, 2.5))));
        assert_eq!(BarBeat::parse("1:23.5"), None);
        assert_eq!(BarBeat::parse(""), None);
        for bad in [
            "bar",
            "bar 0",
            "bar -1",
            "bar 9 beat",
            "bar 9 beat 0",
            "bar 9.3",
            "bar 9 3",
        ] {
            assert_eq!(BarBeat::parse(bad), Some(None), "{bad}");
        }
    }

    /// Meters read as "N/D" with a note value that is a power of two up to 64.
    #[test]
    fn meters_parse() {
        assert_eq!(Meter::parse("6/8"), Some(Meter { beats: 6, unit: 8 }));
        assert_eq!(Meter::parse(" 7 / 8 "), Some(Meter { beats: 7, unit: 8 }));
        for bad in ["4", "4/3", "0/4", "65/4", "a/4", "4/4/4", ""] {
            assert_eq!(Meter::parse(bad), None, "{bad}");
        }
    }

    proptest! {
        /// Any bar and beat of a map with changes goes to seconds and back to the same place.
        #[test]
        fn bar_to_seconds_to_bar_round_trips(
            bpm in 20.0f64..400.0,
            beats in 1u32..13,
            change_bar in 2u32..200,
            bpm2 in 20.0f64..400.0,
            beats2 in 1u32..13,
            bar in 1u32..2000,
            beat_fraction in 0.0f64..1.0,
        ) {
            let map = TempoMap::new(
                tempo(bpm, beats, 4),
                &[(change_bar, tempo(bpm2, beats2, 8))],
            );
            let bar_beats = map.tempo_at_bar(bar).meter.beats;
            let beat = 1.0 + beat_fraction * f64::from(bar_beats);
            let seconds = map.seconds(at(bar, beat)).unwrap();
            let back = map.position(seconds);
            prop_assert_eq!(back.bar, bar);
            prop_assert!((back.beat - beat).abs() < 1e-6, "{} vs {}", back.beat, beat);
            // Whole beats land on their beat, never a hair before it.
            let whole = map.seconds(at(bar, beat.floor())).unwrap();
            prop_assert_eq!(map.position(whole).to_string(), format!("{bar}.{}", beat.floor()));
        }
    }
}
