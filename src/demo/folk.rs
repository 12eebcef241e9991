//! "Folk Arc": a folk song in G major at 96 BPM, intro / verse / chorus / verse / chorus /
//! outro, whose parts enter and leave with the sections. A fingerpicked guitar carries the
//! intro; voice, bass and a light kick join for the verses; two strummed guitars, full drums
//! and a busier shaker lift the choruses; the outro thins back to the picked guitar.

use super::StemSpec;
use super::instruments::{
    KickTone, Pluck, SnareTone, StringTone, Strings, VoiceTone, kick, round_bass, shaker, sing,
    snare, sung_notes,
};
use super::music::{
    Arrangement, Bar,
    Chord::{C, D, Em, G},
    G_MAJOR, SectionKind, SectionPlan, Voicing, approach_note, melody,
};
use super::synth::{Biquad, Humanize, Rng, Sample, add_reverb, run_chain, to_samples};

const VERSE: &[super::music::Chord] = &[G, Em, C, D, G, Em, C, D];
const CHORUS: &[super::music::Chord] = &[C, G, D, Em, C, G, D, D];

/// The song: 41 bars of 2.5 s, sections on bar lines, two seconds of ring-out.
pub(crate) const ARRANGEMENT: Arrangement = Arrangement {
    bpm: 96.0,
    beats_per_bar: 4,
    sections: &[
        SectionPlan {
            name: "Intro",
            kind: SectionKind::Intro,
            chords: &[G, C, G, D],
        },
        SectionPlan {
            name: "Verse 1",
            kind: SectionKind::Verse,
            chords: VERSE,
        },
        SectionPlan {
            name: "Chorus 1",
            kind: SectionKind::Chorus,
            chords: CHORUS,
        },
        SectionPlan {
            name: "Verse 2",
            kind: SectionKind::Verse,
            chords: VERSE,
        },
        SectionPlan {
            name: "Chorus 2",
            kind: SectionKind::Chorus,
            chords: CHORUS,
        },
        SectionPlan {
            name: "Outro",
            kind: SectionKind::Outro,
            chords: &[G, C, G, D, G],
        },
    ],
    tail_seconds: 2.0,
};

/// The stems, in session channel order.
pub(crate) const STEMS: &[StemSpec] = &[
    StemSpec {
        file: "stems/melody-guitar.wav",
        peak_dbfs: -3.0,
        render: melody_guitar,
    },
    StemSpec {
        file: "stems/rhythm-guitar-1.wav",
        peak_dbfs: -3.0,
        render: rhythm_guitar_1,
    },
    StemSpec {
        file: "stems/rhythm-guitar-2.wav",
        peak_dbfs: -4.0,
        render: rhythm_guitar_2,
    },
    StemSpec {
        file: "stems/bass.wav",
        peak_dbfs: -3.0,
        render: bass,
    },
    StemSpec {
        file: "stems/kick.wav",
        peak_dbfs: -2.0,
        render: kick_drum,
    },
    StemSpec {
        file: "stems/snare.wav",
        peak_dbfs: -3.0,
        render: snare_drum,
    },
    StemSpec {
        file: "stems/shaker.wav",
        peak_dbfs: -6.0,
        render: shaker_part,
    },
    StemSpec {
        file: "stems/voice.wav",
        peak_dbfs: -2.0,
        render: voice,
    },
];

const VERSE_TUNE: &str = "r:1 D4:0.5e D4:0.5a G4:1o G4:0.5a A4:0.5i | B4:1.5o A4:0.5e G4:1a E4:1o \
    | E4:1a G4:0.5e A4:0.5i G4:1o E4:1a | F#4:1.5o E4:0.5e D4:2a \
    | r:1 D4:0.5e D4:0.5a G4:1o A4:0.5e B4:0.5i | B4:1.5o A4:0.5e G4:1a B4:1o \
    | C5:1a B4:0.5e A4:0.5i G4:1o E4:1a | D4:1e F#4:1o A4:1.5a r:0.5";
const CHORUS_TUNE: &str = "G4:1o C5:2a B4:0.5e A4:0.5i | B4:1.5o A4:0.5e G4:2a \
    | A4:1e F#4:0.5i G4:0.5o A4:1a D5:1a | B4:3o r:1 \
    | G4:1o C5:2a B4:0.5e A4:0.5i | B4:1a D5:1o B4:1e G4:1a \
    | A4:1.5o B4:0.5e A4:1a F#4:1i | G4:0.5o F#4:0.5e E4:1a D4:2o";
const OUTRO_HUM: &str = "B4:2u A4:1u G4:1u | G4:3u r:1";
const GUITAR_LICK: &str = "D5:1 B4:0.5 D5:0.5 G5:1.5 D5:0.5 | E5:1 C5:0.5 E5:0.5 G5:1 E5:1 \
    | D5:1 B4:0.5 G4:0.5 B4:1 D5:1 | A4:1.5 F#4:0.5 A4:1 D5:1";
const GUITAR_LICK_END: &str = "D5:1 B4:0.5 D5:0.5 G5:1.5 D5:0.5 | E5:1 C5:0.5 E5:0.5 G5:1 E5:1 \
    | D5:1 B4:0.5 G4:0.5 B4:1 D5:1 | A4:1.5 F#4:0.5 E4:1 F#4:1";

/// Every written melody, for the notation test.
#[cfg(test)]
pub(crate) const MELODIES: &[(&str, &str)] = &[
    ("folk verse", VERSE_TUNE),
    ("folk chorus", CHORUS_TUNE),
    ("folk outro", OUTRO_HUM),
    ("folk guitar lick", GUITAR_LICK),
    ("folk guitar lick end", GUITAR_LICK_END),
];

fn silence() -> Vec<Sample> {
    vec![0.0; ARRANGEMENT.length_frames()]
}

/// The time of beat `beat` of a bar.
fn at(bar: &Bar, beat: f64) -> f64 {
    ARRANGEMENT.beat_time(bar.start_beat + beat)
}

/// Steel-string body: a boomy low resonance, some presence, no rumble, no fizz.
fn acoustic_body(buf: &mut [Sample], low_cut: f64) {
    run_chain(
        buf,
        &mut [
            Biquad::highpass(low_cut, 0.7),
            Biquad::peaking(110.0, 1.2, 3.0),
            Biquad::peaking(600.0, 1.0, -2.0),
            Biquad::peaking(3200.0, 0.9, 2.5),
        ],
    );
}

/// The lowest string that plays the chord's root, and the string the thumb alternates to.
fn bass_strings(chord: super::music::Chord, voicing: &Voicing) -> (usize, usize) {
    let root = (0..6)
        .find(|&s| voicing[s].is_some_and(|n| n % 12 == chord.root()))
        .unwrap_or(0);
    let alt = if root <= 1 && voicing[root + 2].is_some() {
        root + 2
    } else {
        (root + 1).min(5)
    };
    (root, alt)
}

/// The treble string a melody note is fretted on.
fn melody_string(midi: u8) -> usize {
    match midi {
        64.. => 5,
        59..=63 => 4,
        55..=58 => 3,
        _ => 2,
    }
}

/// A guitarist: the strings, their sound, and the hands' small imperfections.
struct Player {
    strings: Strings,
    tone: StringTone,
    human: Humanize,
}

impl Player {
    fn new(tone: StringTone, seed: u64, timing: f64) -> Self {
        Self {
            strings: Strings::default(),
            tone,
            human: Humanize::new(seed, timing, 0.08),
        }
    }

    /// Plucks one string (if the voicing plays it).
    fn pick(&mut self, string: usize, midi: Option<u8>, t: f64, v: f64) {
        if let Some(midi) = midi {
            let pluck = Pluck {
                time: self.human.time(t),
                midi: f64::from(midi),
                vel: self.human.vel(v),
                max_len: 4.0,
                tone: self.tone,
            };
            self.strings.add(string, pluck);
        }
    }

    /// One downstroke across every string of the voicing, `spread` seconds between strings.
    fn roll(&mut self, voicing: &Voicing, t: f64, v: f64, spread: f64) {
        let t = self.human.time(t);
        self.strings.strum(
            voicing,
            t,
            v,
            true,
            spread,
            0..=5,
            self.tone,
            &mut self.human,
        );
    }

    /// A bar of a strum pattern at `level`, `late` seconds behind the beat. Upstrokes catch
    /// only the four high strings.
    fn strum_bar(&mut self, bar: &Bar, voicing: &Voicing, pattern: Pattern, level: f64, late: f64) {
        let low = voicing.iter().position(Option::is_some).unwrap_or(0);
        for &(eighth, down, v) in pattern {
            let t = self.human.time(at(bar, f64::from(eighth) * 0.5) + late);
            let (range, spread) = if down {
                (low..=5, 0.011)
            } else {
                (2..=5, 0.008)
            };
            self.strings.strum(
                voicing,
                t,
                v * level,
                down,
                spread,
                range,
                self.tone,
                &mut self.human,
            );
        }
    }

    /// Renders the part through the guitar body and a room.
    fn finish(self, seed: u64, low_cut: f64, t60: f64, wet: f64) -> Vec<Vec<Sample>> {
        let mut out = silence();
        self.strings.render(&mut out, &mut Rng::new(seed));
        acoustic_body(&mut out, low_cut);
        add_reverb(&mut out, t60, 5000.0, wet);
        vec![out]
    }
}

fn melody_guitar() -> Vec<Vec<Sample>> {
    let tone = StringTone {
        brightness: 0.7,
        t60: 3.2,
        damping: 0.28,
        position: 0.16,
    };
    let mut player = Player::new(tone, 0xF01C_0001, 0.006);
    for bar in &ARRANGEMENT.bars() {
        let voicing = bar.chord.open_voicing();
        match (bar.kind, bar.in_section) {
            (SectionKind::Intro, i) => lick_bar(&mut player, bar, &voicing, GUITAR_LICK, i),
            (SectionKind::Outro, i) if i < 4 => {
                lick_bar(&mut player, bar, &voicing, GUITAR_LICK_END, i);
            }
            // The last bar: a slow roll across the chord, left to ring.
            (SectionKind::Outro, _) => player.roll(&voicing, at(bar, 0.0), 0.65, 0.07),
            _ => travis_bar(&mut player, bar, &voicing),
        }
    }
    player.finish(0xF01C_1001, 75.0, 1.6, 0.25)
}

/// Bar `i` of a written lick: thumb on the beat, the tune on top, a soft inner string between.
fn lick_bar(player: &mut Player, bar: &Bar, voicing: &Voicing, lick: &str, i: usize) {
    let (root, alt) = bass_strings(bar.chord, voicing);
    for beat in 0..4 {
        let string = if beat % 2 == 0 { root } else { alt };
        player.pick(string, voicing[string], at(bar, f64::from(beat)), 0.5);
    }
    for beat in [1.5, 3.5] {
        player.pick(3, voicing[3], at(bar, beat), 0.3);
    }
    let bar_start = i as f64 * 4.0;
    for note in melody(lick)
        .iter()
        .filter(|n| (bar_start..bar_start + 4.0).contains(&n.beat))
    {
        if let Some(midi) = note.midi {
            player.pick(
                melody_string(midi),
                Some(midi),
                at(bar, note.beat - bar_start),
                0.8,
            );
        }
    }
}

/// A bar of Travis picking: alternating thumb, fingers between, a pinch on the one.
fn travis_bar(player: &mut Player, bar: &Bar, voicing: &Voicing) {
    let (root, alt) = bass_strings(bar.chord, voicing);
    let (level, top) = if bar.kind == SectionKind::Chorus {
        (0.5, 0.55)
    } else {
        (0.62, 0.7)
    };
    let pattern = [root, 4, alt, 3, root, 5, alt, 4];
    for (eighth, &string) in pattern.iter().enumerate() {
        let t = at(bar, eighth as f64 * 0.5);
        let v = if string == root || string == alt {
            level
        } else {
            top
        };
        player.pick(string, voicing[string], t, v);
        if eighth == 0 {
            player.pick(5, voicing[5], t + 0.004, top * 0.9);
        }
    }
}

/// The strum pattern of a bar: (eighth note, downstroke, velocity).
type Pattern = &'static [(u32, bool, f64)];

/// Down, down-up, up-down-up: the folk strum.
const FOLK_STRUM: Pattern = &[
    (0, true, 0.9),
    (2, true, 0.75),
    (3, false, 0.5),
    (5, false, 0.55),
    (6, true, 0.75),
    (7, false, 0.5),
];
/// Straight eighths with the backbeat accented, on the high strings.
const CHOP_STRUM: Pattern = &[
    (0, true, 0.55),
    (1, false, 0.4),
    (2, true, 0.9),
    (3, false, 0.45),
    (4, true, 0.55),
    (5, false, 0.4),
    (6, true, 0.9),
    (7, false, 0.5),
];

fn rhythm_guitar_1() -> Vec<Vec<Sample>> {
    let tone = StringTone {
        brightness: 0.6,
        t60: 2.5,
        damping: 0.35,
        position: 0.22,
    };
    let mut player = Player::new(tone, 0xF01C_0002, 0.005);
    for bar in &ARRANGEMENT.bars() {
        let voicing = bar.chord.open_voicing();
        match bar.kind {
            SectionKind::Chorus => player.strum_bar(bar, &voicing, FOLK_STRUM, 1.0, 0.0),
            // The second verse builds: one ringing strum a bar.
            SectionKind::Verse if bar.occurrence == 2 => {
                player.roll(&voicing, at(bar, 0.0), 0.5, 0.03);
            }
            SectionKind::Outro if bar.in_section < 2 => {
                let level = 0.7 - 0.15 * bar.in_section as f64;
                player.strum_bar(bar, &voicing, FOLK_STRUM, level, 0.0);
            }
            SectionKind::Outro if bar.is_last_in_section() => {
                player.roll(&voicing, at(bar, 0.0), 0.5, 0.04);
            }
            _ => {}
        }
    }
    player.finish(0xF01C_1002, 80.0, 1.4, 0.18)
}

fn rhythm_guitar_2() -> Vec<Vec<Sample>> {
    let tone = StringTone {
        brightness: 0.9,
        t60: 1.8,
        damping: 0.22,
        position: 0.12,
    };
    let mut player = Player::new(tone, 0xF01C_0003, 0.005);
    for bar in &ARRANGEMENT.bars() {
        let voicing = bar.chord.high_voicing();
        match bar.kind {
            // Sits a hair behind the beat, which (with the voicing) keeps it apart from guitar 1.
            SectionKind::Chorus => player.strum_bar(bar, &voicing, CHOP_STRUM, 1.0, 0.012),
            SectionKind::Outro if bar.in_section < 2 => {
                let level = 0.6 - 0.15 * bar.in_section as f64;
                player.strum_bar(bar, &voicing, CHOP_STRUM, level, 0.012);
            }
            _ => {}
        }
    }
    player.finish(0xF01C_1003, 160.0, 1.4, 0.18)
}

fn bass() -> Vec<Vec<Sample>> {
    let mut human = Humanize::new(0xF01C_0004, 0.004, 0.06);
    let mut out = silence();
    let beat = ARRANGEMENT.beat_seconds();
    let note = |out: &mut Vec<Sample>, h: &mut Humanize, t: f64, beats: f64, midi: u8, v: f64| {
        let len = to_samples(beats * beat - 0.04);
        round_bass(out, to_samples(h.time(t)), len, f64::from(midi), h.vel(v));
    };
    for bar in &ARRANGEMENT.bars() {
        let (root, fifth) = (bar.chord.bass_root(), bar.chord.bass_fifth());
        let next = bar.next_chord.bass_root();
        let lead_in = if next == root {
            fifth
        } else {
            approach_note(next, G_MAJOR)
        };
        match bar.kind {
            SectionKind::Intro => {}
            SectionKind::Verse => {
                note(&mut out, &mut human, at(bar, 0.0), 2.0, root, 0.75);
                note(&mut out, &mut human, at(bar, 2.0), 1.0, fifth, 0.6);
                note(&mut out, &mut human, at(bar, 3.0), 1.0, lead_in, 0.55);
            }
            SectionKind::Chorus | SectionKind::Bridge => {
                note(&mut out, &mut human, at(bar, 0.0), 1.5, root, 0.9);
                note(&mut out, &mut human, at(bar, 1.5), 0.5, root, 0.6);
                note(&mut out, &mut human, at(bar, 2.0), 1.0, fifth, 0.75);
                note(&mut out, &mut human, at(bar, 3.0), 1.0, lead_in, 0.7);
            }
            SectionKind::Outro => {
                let beats = if bar.is_last_in_section() { 7.0 } else { 3.9 };
                note(&mut out, &mut human, at(bar, 0.0), beats, root, 0.7);
            }
        }
    }
    run_chain(
        &mut out,
        &mut [Biquad::highpass(35.0, 0.7), Biquad::lowpass(1800.0, 0.7)],
    );
    vec![out]
}

fn kick_drum() -> Vec<Vec<Sample>> {
    let tone = KickTone {
        hz_start: 120.0,
        hz_end: 52.0,
        pitch_tau: 0.035,
        t60: 0.5,
        click: 0.12,
        drive: 1.3,
    };
    let mut human = Humanize::new(0xF01C_0005, 0.003, 0.05);
    let mut rng = Rng::new(0xF01C_1005);
    let mut out = silence();
    for bar in &ARRANGEMENT.bars() {
        let hits: &[(f64, f64)] = match bar.kind {
            SectionKind::Verse => &[(0.0, 0.55), (2.0, 0.5)],
            SectionKind::Chorus if bar.index % 2 == 1 => &[(0.0, 0.9), (2.0, 0.85), (2.5, 0.6)],
            SectionKind::Chorus | SectionKind::Bridge => &[(0.0, 0.9), (2.0, 0.85)],
            SectionKind::Outro if bar.in_section < 2 => &[(0.0, 0.6), (2.0, 0.5)],
            SectionKind::Outro if bar.is_last_in_section() => &[(0.0, 0.7)],
            _ => &[],
        };
        for &(beat, v) in hits {
            kick(
                &mut out,
                to_samples(human.time(at(bar, beat))),
                human.vel(v),
                &tone,
                &mut rng,
            );
        }
    }
    vec![out]
}

fn snare_drum() -> Vec<Vec<Sample>> {
    let tone = SnareTone {
        head_hz: [190.0, 335.0],
        head_t60: 0.14,
        wires_t60: 0.25,
        wires: 0.9,
        wires_hz: 7000.0,
    };
    let rim = SnareTone {
        head_hz: [420.0, 910.0],
        head_t60: 0.05,
        wires_t60: 0.06,
        wires: 0.25,
        wires_hz: 5000.0,
    };
    let mut human = Humanize::new(0xF01C_0006, 0.004, 0.08);
    let mut rng = Rng::new(0xF01C_1006);
    let mut out = silence();
    for bar in &ARRANGEMENT.bars() {
        match bar.kind {
            SectionKind::Chorus => {
                for beat in [1.0, 3.0] {
                    snare(
                        &mut out,
                        to_samples(human.time(at(bar, beat))),
                        human.vel(0.85),
                        &tone,
                        &mut rng,
                    );
                }
                if bar.is_last_in_section() {
                    // A small fill into the next section.
                    for (k, beat) in [3.5, 3.75].into_iter().enumerate() {
                        let v = 0.45 + 0.15 * k as f64;
                        snare(
                            &mut out,
                            to_samples(human.time(at(bar, beat))),
                            human.vel(v),
                            &tone,
                            &mut rng,
                        );
                    }
                } else if human.rng().chance(0.5) {
                    snare(
                        &mut out,
                        to_samples(human.time(at(bar, 3.75))),
                        human.vel(0.18),
                        &tone,
                        &mut rng,
                    );
                }
            }
            // Second verse: a soft cross-stick on the backbeat.
            SectionKind::Verse if bar.occurrence == 2 => {
                for beat in [1.0, 3.0] {
                    snare(
                        &mut out,
                        to_samples(human.time(at(bar, beat))),
                        human.vel(0.35),
                        &rim,
                        &mut rng,
                    );
                }
            }
            SectionKind::Outro if bar.in_section < 2 => {
                for beat in [1.0, 3.0] {
                    snare(
                        &mut out,
                        to_samples(human.time(at(bar, beat))),
                        human.vel(0.5),
                        &tone,
                        &mut rng,
                    );
                }
            }
            _ => {}
        }
    }
    add_reverb(&mut out, 1.2, 5000.0, 0.28);
    vec![out]
}

fn shaker_part() -> Vec<Vec<Sample>> {
    let mut human = Humanize::new(0xF01C_0007, 0.004, 0.1);
    let mut rng = Rng::new(0xF01C_1007);
    let mut out = silence();
    for bar in &ARRANGEMENT.bars() {
        // (sixteenths per beat, level on the beat, on the off-beat eighth, on other sixteenths)
        let feel = match bar.kind {
            SectionKind::Intro if bar.in_section >= 2 => Some((2, 0.25, 0.4, 0.0)),
            SectionKind::Verse => Some((2, 0.35, 0.6, 0.0)),
            SectionKind::Chorus => Some((4, 0.55, 0.9, 0.35)),
            SectionKind::Outro if bar.in_section < 2 => {
                Some((2, 0.4 - 0.1 * bar.in_section as f64, 0.55, 0.0))
            }
            _ => None,
        };
        let Some((per_beat, on, off, other)) = feel else {
            continue;
        };
        for k in 0..4 * per_beat {
            let pos = k % per_beat;
            let v = if pos == 0 {
                on
            } else if pos * 2 == per_beat {
                off
            } else {
                other
            };
            let t = at(bar, f64::from(k) / f64::from(per_beat));
            shaker(&mut out, to_samples(human.time(t)), human.vel(v), &mut rng);
        }
    }
    vec![out]
}

fn voice() -> Vec<Vec<Sample>> {
    let tone = VoiceTone {
        formant_scale: 1.15,
        vibrato_hz: 5.2,
        vibrato_cents: 28.0,
        glide: 0.04,
        breath: 0.12,
        softness_hz: 1600.0,
    };
    let mut human = Humanize::new(0xF01C_0008, 0.008, 0.05);
    let mut notes = Vec::new();
    for (i, section) in ARRANGEMENT.sections.iter().enumerate() {
        let start = ARRANGEMENT.section_start_beat(i);
        let (text, vel) = match section.kind {
            SectionKind::Verse => (VERSE_TUNE, 0.75),
            SectionKind::Chorus => (CHORUS_TUNE, 0.95),
            SectionKind::Outro => (OUTRO_HUM, 0.6),
            SectionKind::Intro | SectionKind::Bridge => continue,
        };
        notes.extend(sung_notes(
            &ARRANGEMENT,
            &melody(text),
            start,
            vel,
            &mut human,
        ));
    }
    let mut out = silence();
    sing(&mut out, &notes, &tone, &mut Rng::new(0xF01C_1008));
    run_chain(
        &mut out,
        &mut [
            Biquad::highpass(100.0, 0.7),
            Biquad::peaking(3000.0, 1.0, 2.0),
        ],
    );
    add_reverb(&mut out, 1.8, 5000.0, 0.28);
    vec![out]
}
