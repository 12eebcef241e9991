//! The musical facts of a demo song: tempo, sections on bar lines, one chord per bar, chord
//! voicings, and a compact melody notation. The synthesiser places every note from these, and
//! the section starts written in the session files are checked against them.

use crate::units::Seconds;

use super::synth::SR;

/// What a section does in the song; the parts decide what to play from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    Intro,
    Verse,
    Chorus,
    Bridge,
    Outro,
}

/// A section: its name as the session file spells it, its kind and its chords, one per bar.
#[derive(Debug, Clone, Copy)]
pub struct SectionPlan {
    pub name: &'static str,
    pub kind: SectionKind,
    pub chords: &'static [Chord],
}

/// A whole song: tempo, metre and sections, then a tail so the last chord can ring out.
#[derive(Debug, Clone, Copy)]
pub struct Arrangement {
    pub bpm: f64,
    pub beats_per_bar: u32,
    pub sections: &'static [SectionPlan],
    /// Seconds of ring-out after the last bar.
    pub tail_seconds: f64,
}

/// One bar of a song, with where it sits.
#[derive(Debug, Clone, Copy)]
pub struct Bar {
    /// Bar number from 0.
    pub index: usize,
    pub kind: SectionKind,
    /// Bar number within its section, from 0.
    pub in_section: usize,
    /// Which time this kind of section comes round: 1 for the first verse, 2 for the second.
    pub occurrence: usize,
    /// The section's length in bars.
    pub section_bars: usize,
    pub chord: Chord,
    /// The next bar's chord (the same chord after the last bar).
    pub next_chord: Chord,
    /// The song beat the bar starts on.
    pub start_beat: f64,
}

impl Bar {
    /// True in the last bar of its section.
    pub fn is_last_in_section(&self) -> bool {
        self.in_section + 1 == self.section_bars
    }
}

impl Arrangement {
    /// Seconds per beat.
    pub fn beat_seconds(&self) -> f64 {
        60.0 / self.bpm
    }

    /// The time of a song beat (beat 0 is the start of the first bar).
    pub fn beat_time(&self, beat: f64) -> f64 {
        beat * self.beat_seconds()
    }

    /// Beats per bar, as a float.
    pub fn bar_beats(&self) -> f64 {
        f64::from(self.beats_per_bar)
    }

    /// The number of bars in the song.
    pub fn total_bars(&self) -> usize {
        self.sections.iter().map(|s| s.chords.len()).sum()
    }

    /// Each section's name and start time. Sections start on bar lines.
    pub fn section_starts(&self) -> Vec<(&'static str, Seconds)> {
        let mut bar = 0;
        let mut starts = Vec::with_capacity(self.sections.len());
        for section in self.sections {
            starts.push((
                section.name,
                Seconds(self.beat_time(bar as f64 * self.bar_beats())),
            ));
            bar += section.chords.len();
        }
        starts
    }

    /// The song's length including the ring-out, in frames at the synthesis rate.
    pub fn length_frames(&self) -> usize {
        let seconds =
            self.beat_time(self.total_bars() as f64 * self.bar_beats()) + self.tail_seconds;
        (seconds * SR).round() as usize
    }

    /// Every bar in order.
    pub fn bars(&self) -> Vec<Bar> {
        let chords: Vec<(usize, Chord)> = self
            .sections
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.chords.iter().map(move |&c| (i, c)))
            .collect();
        let mut in_section = 0;
        let occurrence = |section: usize| {
            let kind = self.sections[section].kind;
            self.sections[..=section]
                .iter()
                .filter(|s| s.kind == kind)
                .count()
        };
        chords
            .iter()
            .enumerate()
            .map(|(index, &(section, chord))| {
                if index > 0 && chords[index - 1].0 != section {
                    in_section = 0;
                }
                let bar = Bar {
                    index,
                    kind: self.sections[section].kind,
                    in_section,
                    occurrence: occurrence(section),
                    section_bars: self.sections[section].chords.len(),
                    chord,
                    next_chord: chords.get(index + 1).map_or(chord, |c| c.1),
                    start_beat: index as f64 * self.bar_beats(),
                };
                in_section += 1;
                bar
            })
            .collect()
    }

    /// The song beat a section starts on.
    pub fn section_start_beat(&self, section: usize) -> f64 {
        let bars: usize = self
            .sections
            .iter()
            .take(section)
            .map(|s| s.chords.len())
            .sum();
        bars as f64 * self.bar_beats()
    }
}

/// The chords the demo songs use (diatonic to G major and C major / A minor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chord {
    C,
    D,
    Dm,
    Em,
    F,
    G,
    Am,
}

/// A guitar voicing: the MIDI note on each string, low E first, `None` for a string not played.
pub type Voicing = [Option<u8>; 6];

impl Chord {
    /// The root's pitch class (C = 0).
    pub fn root(self) -> u8 {
        match self {
            Chord::C => 0,
            Chord::D | Chord::Dm => 2,
            Chord::Em => 4,
            Chord::F => 5,
            Chord::G => 7,
            Chord::Am => 9,
        }
    }

    /// True for a minor triad.
    pub fn is_minor(self) -> bool {
        matches!(self, Chord::Dm | Chord::Em | Chord::Am)
    }

    /// Semitones from the root to the third.
    pub fn third(self) -> u8 {
        if self.is_minor() { 3 } else { 4 }
    }

    /// The root as the lowest MIDI note at or above `floor`.
    pub fn root_at_or_above(self, floor: u8) -> u8 {
        let pc = self.root();
        let mut note = floor - floor % 12 + pc;
        if note < floor {
            note += 12;
        }
        note
    }

    /// The bass root, A1..G#2 (the range of an upright or bass guitar's low strings).
    pub fn bass_root(self) -> u8 {
        self.root_at_or_above(33)
    }

    /// The bass fifth: above the root when that stays low, else below it.
    pub fn bass_fifth(self) -> u8 {
        let root = self.bass_root();
        if root + 7 <= 45 { root + 7 } else { root - 5 }
    }

    /// The open-position guitar chord, all strings that ring.
    pub fn open_voicing(self) -> Voicing {
        match self {
            Chord::G => [Some(43), Some(47), Some(50), Some(55), Some(59), Some(67)],
            Chord::Em => [Some(40), Some(47), Some(52), Some(55), Some(59), Some(64)],
            Chord::C => [None, Some(48), Some(52), Some(55), Some(60), Some(64)],
            Chord::D => [None, None, Some(50), Some(57), Some(62), Some(66)],
            Chord::Am => [None, Some(45), Some(52), Some(57), Some(60), Some(64)],
            Chord::F => [Some(41), Some(48), Some(53), Some(57), Some(60), Some(65)],
            Chord::Dm => [None, None, Some(50), Some(57), Some(62), Some(65)],
        }
    }

    /// A four-string triad higher up the neck (D, G, B and E strings).
    pub fn high_voicing(self) -> Voicing {
        let top: [u8; 4] = match self {
            Chord::G => [55, 59, 62, 67],
            Chord::Em => [52, 59, 64, 67],
            Chord::C => [55, 60, 64, 67],
            Chord::D => [57, 62, 66, 69],
            Chord::Am => [57, 60, 64, 69],
            Chord::F => [53, 57, 60, 65],
            Chord::Dm => [57, 62, 65, 69],
        };
        [
            None,
            None,
            Some(top[0]),
            Some(top[1]),
            Some(top[2]),
            Some(top[3]),
        ]
    }

    /// A power chord (root, fifth, octave) on the low strings.
    pub fn power_voicing(self) -> Voicing {
        let root = self.root_at_or_above(40);
        if root < 45 {
            [
                Some(root),
                Some(root + 7),
                Some(root + 12),
                None,
                None,
                None,
            ]
        } else {
            [
                None,
                Some(root),
                Some(root + 7),
                Some(root + 12),
                None,
                None,
            ]
        }
    }

    /// A four-note electric-piano voicing around middle C, with colour tones.
    pub fn keys_voicing(self) -> [u8; 4] {
        match self {
            Chord::Am => [57, 60, 64, 67],
            Chord::F => [53, 57, 60, 64],
            Chord::C => [55, 60, 62, 64],
            Chord::G => [55, 59, 62, 67],
            Chord::Dm => [53, 57, 60, 62],
            Chord::Em => [55, 59, 62, 64],
            Chord::D => [54, 57, 62, 64],
        }
    }
}

/// The vowel a sung note is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vowel {
    A,
    E,
    I,
    O,
    U,
}

/// One note (or rest) of a written melody, in beats from the melody's start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MelodyNote {
    pub beat: f64,
    pub beats: f64,
    /// `None` for a rest.
    pub midi: Option<u8>,
    pub vowel: Option<Vowel>,
}

/// Parses the melody notation: whitespace-separated `<pitch>:<beats>[vowel]` tokens, where a
/// pitch is a letter, an optional `#` or `b` and an octave (`F#4`, `Bb3`; C4 = MIDI 60), `r`
/// is a rest, beats is a decimal (`1.5`), and an optional trailing `a e i o u` picks the vowel
/// a voice sings. `|` bar lines are ignored. Example: `"r:1 D4:0.5 D4:0.5o G4:2a |"`.
pub fn parse_melody(text: &str) -> Result<Vec<MelodyNote>, String> {
    let mut beat = 0.0;
    let mut notes = Vec::new();
    for token in text.split_whitespace().filter(|t| *t != "|") {
        let (pitch, rest) = token
            .split_once(':')
            .ok_or_else(|| format!("no ':' in {token:?}"))?;
        let split = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (len, vowel) = rest.split_at(split);
        let beats: f64 = len
            .parse()
            .map_err(|_| format!("bad length in {token:?}"))?;
        let vowel = match vowel {
            "" => None,
            "a" => Some(Vowel::A),
            "e" => Some(Vowel::E),
            "i" => Some(Vowel::I),
            "o" => Some(Vowel::O),
            "u" => Some(Vowel::U),
            _ => return Err(format!("bad vowel in {token:?}")),
        };
        let midi = if pitch == "r" {
            None
        } else {
            Some(parse_pitch(pitch).ok_or_else(|| format!("bad pitch in {token:?}"))?)
        };
        notes.push(MelodyNote {
            beat,
            beats,
            midi,
            vowel,
        });
        beat += beats;
    }
    Ok(notes)
}

fn parse_pitch(text: &str) -> Option<u8> {
    let mut chars = text.chars();
    let letter = match chars.next()? {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        'B' => 11,
        _ => return None,
    };
    let rest = chars.as_str();
    let (accidental, octave) = if let Some(o) = rest.strip_prefix('#') {
        (1, o)
    } else if let Some(o) = rest.strip_prefix('b') {
        (-1, o)
    } else {
        (0, rest)
    };
    let octave: i32 = octave.parse().ok()?;
    u8::try_from((octave + 1) * 12 + letter + accidental).ok()
}

/// A melody that must parse: written in this crate, checked by a unit test, so a typo gives an
/// empty part rather than a panic.
pub fn melody(text: &str) -> Vec<MelodyNote> {
    parse_melody(text).unwrap_or_default()
}

/// A bass note leading from the current chord to the next: a scale step below the next root
/// (a half step where the key has one, else a whole step).
pub fn approach_note(next_root: u8, scale: [u8; 7]) -> u8 {
    let below = next_root - 1;
    if scale.contains(&(below % 12)) {
        below
    } else {
        next_root - 2
    }
}

/// The pitch classes of G major.
pub const G_MAJOR: [u8; 7] = [7, 9, 11, 0, 2, 4, 6];

/// The pitch classes of C major (and A natural minor).
pub const C_MAJOR: [u8; 7] = [0, 2, 4, 5, 7, 9, 11];

#[cfg(test)]
mod tests {
    use super::*;

    /// Pitches, rests, lengths and vowels of the melody notation parse as documented.
    #[test]
    fn melody_notation_parses() {
        let notes = parse_melody("r:1 D4:0.5 F#4:0.5o | Bb3:2a").unwrap();
        assert_eq!(notes.len(), 4);
        assert_eq!(notes[0].midi, None);
        assert_eq!(notes[1].midi, Some(62));
        assert_eq!(notes[2].midi, Some(66));
        assert_eq!(notes[2].vowel, Some(Vowel::O));
        assert_eq!(notes[3].midi, Some(58));
        assert!((notes[3].beat - 2.0).abs() < 1e-12);
        assert!(parse_melody("H4:1").is_err());
        assert!(parse_melody("C4").is_err());
        assert!(parse_melody("C4:1x").is_err());
    }

    /// Voicings are what their chord names say: the bass root has the chord's pitch class.
    #[test]
    fn voicings_match_chords() {
        for chord in [
            Chord::C,
            Chord::D,
            Chord::Dm,
            Chord::Em,
            Chord::F,
            Chord::G,
            Chord::Am,
        ] {
            assert_eq!(chord.bass_root() % 12, chord.root());
            let third = (chord.root() + chord.third()) % 12;
            for voicing in [chord.open_voicing(), chord.high_voicing()] {
                let pcs: Vec<u8> = voicing.iter().flatten().map(|n| n % 12).collect();
                assert!(
                    pcs.contains(&chord.root()) && pcs.contains(&third),
                    "{chord:?}"
                );
            }
            let power: Vec<u8> = chord.power_voicing().iter().flatten().copied().collect();
            assert_eq!(power[0] % 12, chord.root());
        }
    }
}
