//! "Band": a pop-rock song in A minor / C major at 120 BPM (intro, verse, chorus, verse,
//! chorus, bridge, chorus, outro) for drums, bass, a crunchy and a clean guitar, electric piano
//! and a lead voice, plus the hidden balance its reference mix is made at.

use super::instruments::{
    KickTone, Pluck, SnareTone, StringTone, Strings, VoiceTone, cymbal, epiano, kick, sing, snare,
    sung_notes, synth_bass,
};
use super::music::{
    Arrangement, Bar, C_MAJOR,
    Chord::{Am, C, Dm, F, G},
    SectionKind, SectionPlan, approach_note, melody,
};
use super::synth::{
    Biquad, Humanize, Rng, Sample, add_echo, add_reverb, add_stereo_reverb, run_chain, sin_turns,
    soft_clip, to_samples,
};
use super::{BalanceEntry, StemSpec};
use crate::units::{Decibels, Pan};

const VERSE: &[super::music::Chord] = &[Am, F, C, G, Am, F, C, G];
const CHORUS: &[super::music::Chord] = &[C, G, Am, F, C, G, Am, F];

/// The song: 56 bars of 2 s, sections on bar lines, two seconds of ring-out.
pub(crate) const ARRANGEMENT: Arrangement = Arrangement {
    bpm: 120.0,
    beats_per_bar: 4,
    sections: &[
        SectionPlan {
            name: "Intro",
            kind: SectionKind::Intro,
            chords: &[Am, F, C, G],
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
            name: "Bridge",
            kind: SectionKind::Bridge,
            chords: &[Dm, Dm, F, F, Am, Am, G, G],
        },
        SectionPlan {
            name: "Chorus 3",
            kind: SectionKind::Chorus,
            chords: CHORUS,
        },
        SectionPlan {
            name: "Outro",
            kind: SectionKind::Outro,
            chords: &[G, F, C, C],
        },
    ],
    tail_seconds: 2.0,
};

/// The stems, in session channel order.
pub(crate) const STEMS: &[StemSpec] = &[
    StemSpec {
        file: "stems/drums.wav",
        peak_dbfs: -1.5,
        render: drums,
    },
    StemSpec {
        file: "stems/bass.wav",
        peak_dbfs: -3.0,
        render: bass,
    },
    StemSpec {
        file: "stems/crunch-guitar.wav",
        peak_dbfs: -4.0,
        render: crunch_guitar,
    },
    StemSpec {
        file: "stems/clean-guitar.wav",
        peak_dbfs: -4.0,
        render: clean_guitar,
    },
    StemSpec {
        file: "stems/keys.wav",
        peak_dbfs: -4.0,
        render: keys,
    },
    StemSpec {
        file: "stems/lead-vocal.wav",
        peak_dbfs: -2.0,
        render: lead_vocal,
    },
];

/// The balance `reference.wav` is mixed at (see [`super::BAND_REFERENCE_BALANCE`]): the voice
/// on top, drums and bass under it, guitars tucked in and spread, keys as glue.
pub(crate) const REFERENCE_BALANCE: &[BalanceEntry] = &[
    BalanceEntry {
        channel: "Drums",
        gain: Decibels(-4.0),
        pan: Pan(0.0),
    },
    BalanceEntry {
        channel: "Bass",
        gain: Decibels(-6.0),
        pan: Pan(0.0),
    },
    BalanceEntry {
        channel: "Crunch guitar",
        gain: Decibels(-10.0),
        pan: Pan(-0.55),
    },
    BalanceEntry {
        channel: "Clean guitar",
        gain: Decibels(-12.0),
        pan: Pan(0.6),
    },
    BalanceEntry {
        channel: "Keys",
        gain: Decibels(-13.0),
        pan: Pan(0.2),
    },
    BalanceEntry {
        channel: "Lead vocal",
        gain: Decibels(-1.0),
        pan: Pan(0.0),
    },
];

const VERSE_TUNE: &str = "r:1 E4:0.5e E4:0.5a E4:0.5i D4:0.5o C4:0.5a D4:0.5e | E4:1a C4:1o A3:2a \
    | r:1 E4:0.5e G4:0.5a G4:0.5o E4:0.5i D4:0.5a C4:0.5e | D4:2o B3:1a r:1 \
    | r:1 E4:0.5e E4:0.5a A4:1o G4:0.5e E4:0.5a | F4:1i E4:1o C4:2a \
    | r:0.5 C4:0.5e D4:0.5a E4:0.5i G4:1o E4:1a | D4:3o r:1";
const CHORUS_TUNE: &str = "G4:2a E4:1o G4:1e | G4:1.5a A4:0.5i B4:1o G4:1a | A4:2o G4:1e E4:1a \
    | F4:1i E4:1o C4:2a | G4:2a E4:1o G4:1e | B4:1.5o A4:0.5e G4:1a D4:1o | C5:2a B4:1o A4:1e \
    | A4:3a r:1";
const BRIDGE_TUNE: &str = "r:1 D4:1o F4:1a A4:1e | A4:4o | r:1 C4:1e F4:1a A4:1i | C5:3a A4:1o \
    | r:1 E4:1e A4:1a C5:1o | B4:2a A4:2o | B4:2e A4:1a G4:1o | D4:3a r:1";
const OUTRO_TUNE: &str = "G4:2o E4:2a | F4:2e E4:1a D4:1o | C4:4o | r:4";

/// Every written melody, for the notation test.
#[cfg(test)]
pub(crate) const MELODIES: &[(&str, &str)] = &[
    ("band verse", VERSE_TUNE),
    ("band chorus", CHORUS_TUNE),
    ("band bridge", BRIDGE_TUNE),
    ("band outro", OUTRO_TUNE),
];

fn silence() -> Vec<Sample> {
    vec![0.0; ARRANGEMENT.length_frames()]
}

/// The time of beat `beat` of a bar.
fn at(bar: &Bar, beat: f64) -> f64 {
    ARRANGEMENT.beat_time(bar.start_beat + beat)
}

// ---------------------------------------------------------------------------------------------
// Drums: one stereo kit stem

const KICK: KickTone = KickTone {
    hz_start: 150.0,
    hz_end: 50.0,
    pitch_tau: 0.03,
    t60: 0.45,
    click: 0.35,
    drive: 2.0,
};
const SNARE: SnareTone = SnareTone {
    head_hz: [200.0, 350.0],
    head_t60: 0.16,
    wires_t60: 0.3,
    wires: 1.1,
    wires_hz: 9000.0,
};

/// The drum kit: renders each hit into a scratch buffer, then adds it to a stereo pair at the
/// drum's place in the kit (constant-power pan).
struct Kit {
    left: Vec<Sample>,
    right: Vec<Sample>,
    scratch: Vec<Sample>,
    rng: Rng,
    human: Humanize,
}

impl Kit {
    fn hit(
        &mut self,
        time: f64,
        pan: f64,
        seconds: f64,
        render: impl FnOnce(&mut [Sample], &mut Rng),
    ) {
        let len = to_samples(seconds).min(self.scratch.len());
        let scratch = &mut self.scratch[..len];
        scratch.fill(0.0);
        render(scratch, &mut self.rng);
        let angle = (pan.clamp(-1.0, 1.0) + 1.0) / 8.0;
        let (gl, gr) = (
            sin_turns(angle + 0.25) as Sample,
            sin_turns(angle) as Sample,
        );
        let start = to_samples(self.human.time(time)).min(self.left.len());
        let end = (start + len).min(self.left.len());
        let pairs = self.left[start..end]
            .iter_mut()
            .zip(&mut self.right[start..end]);
        for ((l, r), &x) in pairs.zip(scratch.iter()) {
            *l += x * gl;
            *r += x * gr;
        }
    }

    fn kick(&mut self, t: f64, v: f64) {
        let v = self.human.vel(v);
        self.hit(t, 0.0, KICK.t60 * 1.2, |b, r| kick(b, 0, v, &KICK, r));
    }

    fn snare(&mut self, t: f64, v: f64) {
        let v = self.human.vel(v);
        self.hit(t, 0.05, SNARE.wires_t60 * 1.1, |b, r| {
            snare(b, 0, v, &SNARE, r);
        });
    }

    fn hat(&mut self, t: f64, v: f64, open: bool) {
        let v = self.human.vel(v) * 0.6;
        let t60 = if open { 0.35 } else { 0.06 };
        self.hit(t, 0.35, t60 * 1.2, |b, r| cymbal(b, 0, v, t60, r));
    }

    fn crash(&mut self, t: f64, v: f64) {
        self.hit(t, -0.4, 3.0, |b, r| cymbal(b, 0, v, 2.5, r));
    }

    fn tom(&mut self, t: f64, v: f64, hz: f64, pan: f64) {
        let v = self.human.vel(v);
        let tone = KickTone {
            hz_start: hz * 1.5,
            hz_end: hz,
            pitch_tau: 0.05,
            t60: 0.6,
            click: 0.1,
            drive: 1.5,
        };
        self.hit(t, pan, tone.t60 * 1.2, |b, r| kick(b, 0, v, &tone, r));
    }

    /// Hats on every eighth of a bar (off-beats softer), up to but not including `until`.
    fn eighth_hats(&mut self, bar: &Bar, on: f64, off: f64, open_offbeats: bool, until: f64) {
        for e in 0..8 {
            let beat = f64::from(e) * 0.5;
            if beat >= until {
                break;
            }
            let offbeat = e % 2 == 1;
            let open = open_offbeats && offbeat && e != 7;
            self.hat(at(bar, beat), if offbeat { off } else { on }, open);
        }
    }
}

fn drums() -> Vec<Vec<Sample>> {
    let mut kit = Kit {
        left: silence(),
        right: silence(),
        scratch: vec![0.0; to_samples(3.2)],
        rng: Rng::new(0xBA4D_1001),
        human: Humanize::new(0xBA4D_0001, 0.003, 0.07),
    };
    for bar in &ARRANGEMENT.bars() {
        match bar.kind {
            SectionKind::Intro => intro_drums(&mut kit, bar),
            SectionKind::Verse | SectionKind::Chorus => groove_drums(&mut kit, bar),
            SectionKind::Bridge => bridge_drums(&mut kit, bar),
            SectionKind::Outro => outro_drums(&mut kit, bar),
        }
    }
    let Kit {
        mut left,
        mut right,
        ..
    } = kit;
    // A little room: the same small reverb, decorrelated between the sides.
    add_stereo_reverb(&mut left, &mut right, 0.7, 6000.0, 0.18);
    vec![left, right]
}

/// Hats and kick, the snare joining halfway with a fill into the verse.
fn intro_drums(kit: &mut Kit, bar: &Bar) {
    kit.eighth_hats(bar, 0.5, 0.3, false, 4.0);
    kit.kick(at(bar, 0.0), 0.85);
    kit.kick(at(bar, 2.0), 0.8);
    if bar.in_section >= 2 {
        kit.snare(at(bar, 1.0), 0.75);
        if bar.is_last_in_section() {
            for (k, beat) in [2.5, 3.0, 3.25, 3.5, 3.75].into_iter().enumerate() {
                kit.snare(at(bar, beat), 0.5 + 0.1 * k as f64);
            }
        } else {
            kit.snare(at(bar, 3.0), 0.75);
        }
    }
}

/// The verse and chorus beat: a crash at the top, a busier kick and open hats in the chorus,
/// a tom fill in the last bar.
fn groove_drums(kit: &mut Kit, bar: &Bar) {
    let chorus = bar.kind == SectionKind::Chorus;
    let fill = bar.is_last_in_section();
    if bar.in_section == 0 {
        kit.crash(at(bar, 0.0), if chorus { 0.9 } else { 0.6 });
    }
    let kicks: &[f64] = if chorus {
        &[0.0, 1.5, 2.0, 3.5]
    } else {
        &[0.0, 2.0, 2.5]
    };
    for (k, &beat) in kicks.iter().enumerate() {
        kit.kick(at(bar, beat), if k == 0 { 0.95 } else { 0.8 });
    }
    let lift = if chorus { 0.15 } else { 0.0 };
    kit.eighth_hats(
        bar,
        0.6 + lift,
        0.4 + lift,
        chorus,
        if fill { 3.0 } else { 4.0 },
    );
    let backbeat = if chorus { 0.95 } else { 0.8 };
    kit.snare(at(bar, 1.0), backbeat);
    if fill {
        // Toms down the kit into the next section.
        for (beat, hz, pan) in [
            (3.0, 210.0, -0.3),
            (3.25, 210.0, -0.3),
            (3.5, 150.0, 0.25),
            (3.75, 110.0, 0.4),
        ] {
            kit.tom(at(bar, beat), 0.8, hz, pan);
        }
    } else {
        kit.snare(at(bar, 3.0), backbeat);
        if bar.occurrence == 2 && kit.human.rng().chance(0.4) {
            kit.snare(at(bar, 3.75), 0.2);
        }
    }
}

/// Half time, building over the last four bars to a snare roll.
fn bridge_drums(kit: &mut Kit, bar: &Bar) {
    kit.kick(at(bar, 0.0), 0.85);
    if bar.in_section >= 4 {
        kit.kick(at(bar, 2.5), 0.7);
    }
    for q in 0..4 {
        kit.hat(at(bar, f64::from(q)), 0.45, false);
    }
    match bar.in_section {
        6 => {
            for e in 0..8 {
                kit.snare(at(bar, f64::from(e) * 0.5), 0.3 + 0.05 * f64::from(e));
            }
        }
        7 => {
            for s in 0..16 {
                kit.snare(at(bar, f64::from(s) * 0.25), 0.5 + 0.03 * f64::from(s));
            }
        }
        _ => kit.snare(at(bar, 2.0), 0.85),
    }
}

/// Two bars of the chorus beat, then one last crash and kick left to ring.
fn outro_drums(kit: &mut Kit, bar: &Bar) {
    match bar.in_section {
        0 | 1 => {
            if bar.in_section == 0 {
                kit.crash(at(bar, 0.0), 0.8);
            }
            for beat in [0.0, 1.5, 2.0] {
                kit.kick(at(bar, beat), 0.85);
            }
            kit.eighth_hats(bar, 0.6, 0.6, true, 4.0);
            kit.snare(at(bar, 1.0), 0.9);
            kit.snare(at(bar, 3.0), 0.9);
            if bar.in_section == 1 {
                kit.tom(at(bar, 3.5), 0.8, 150.0, 0.3);
                kit.tom(at(bar, 3.75), 0.8, 110.0, 0.3);
            }
        }
        2 => {
            kit.crash(at(bar, 0.0), 1.0);
            kit.kick(at(bar, 0.0), 1.0);
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Bass

fn bass() -> Vec<Vec<Sample>> {
    let mut human = Humanize::new(0xBA4D_0002, 0.003, 0.05);
    let mut out = silence();
    let eighth = ARRANGEMENT.beat_seconds() / 2.0;
    let note = |out: &mut Vec<Sample>, h: &mut Humanize, t: f64, eighths: f64, midi: u8, v: f64| {
        let len = to_samples(eighths * eighth * 0.85);
        synth_bass(out, to_samples(h.time(t)), len, f64::from(midi), h.vel(v));
    };
    for bar in &ARRANGEMENT.bars() {
        let root = bar.chord.bass_root();
        let next = bar.next_chord.bass_root();
        let lead_in = if next == root {
            bar.chord.bass_fifth()
        } else {
            approach_note(next, C_MAJOR)
        };
        match bar.kind {
            SectionKind::Intro if bar.in_section >= 2 => {
                note(&mut out, &mut human, at(bar, 0.0), 8.0, root, 0.7);
            }
            SectionKind::Verse => {
                for e in 0..8 {
                    let v = if e % 2 == 0 { 0.7 } else { 0.5 };
                    let midi = if e == 7 { lead_in } else { root };
                    note(
                        &mut out,
                        &mut human,
                        at(bar, f64::from(e) * 0.5),
                        1.0,
                        midi,
                        v,
                    );
                }
            }
            SectionKind::Chorus => {
                for e in 0..8 {
                    let midi = match e {
                        5 => root + 12,
                        7 => lead_in,
                        _ => root,
                    };
                    let v = if e % 2 == 0 { 0.9 } else { 0.7 };
                    note(
                        &mut out,
                        &mut human,
                        at(bar, f64::from(e) * 0.5),
                        1.0,
                        midi,
                        v,
                    );
                }
            }
            SectionKind::Bridge => {
                note(&mut out, &mut human, at(bar, 0.0), 5.0, root, 0.75);
                note(
                    &mut out,
                    &mut human,
                    at(bar, 3.0),
                    2.0,
                    if bar.in_section % 2 == 1 {
                        lead_in
                    } else {
                        bar.chord.bass_fifth()
                    },
                    0.6,
                );
            }
            SectionKind::Outro => match bar.in_section {
                0 | 1 => {
                    for e in 0..8 {
                        note(
                            &mut out,
                            &mut human,
                            at(bar, f64::from(e) * 0.5),
                            1.0,
                            root,
                            if e % 2 == 0 { 0.9 } else { 0.7 },
                        );
                    }
                }
                2 => note(&mut out, &mut human, at(bar, 0.0), 14.0, root, 0.9),
                _ => {}
            },
            SectionKind::Intro => {}
        }
    }
    run_chain(
        &mut out,
        &mut [Biquad::highpass(32.0, 0.7), Biquad::lowpass(4000.0, 0.7)],
    );
    vec![out]
}

// ---------------------------------------------------------------------------------------------
// Guitars

fn crunch_guitar() -> Vec<Vec<Sample>> {
    let tone = StringTone {
        brightness: 0.8,
        t60: 4.0,
        damping: 0.3,
        position: 0.15,
    };
    let mut human = Humanize::new(0xBA4D_0003, 0.004, 0.06);
    let mut strings = Strings::default();
    for bar in &ARRANGEMENT.bars() {
        let voicing = bar.chord.power_voicing();
        let mut strum = |strings: &mut Strings, beat: f64, v: f64, tone: StringTone| {
            let t = human.time(at(bar, beat));
            strings.strum(&voicing, t, v, true, 0.005, 0..=5, tone, &mut human);
        };
        match bar.kind {
            SectionKind::Intro => {
                strum(&mut strings, 0.0, 0.9, tone);
                if bar.is_last_in_section() {
                    // Out of the way for the first verse.
                    strings.damp(at(bar, 3.9));
                }
            }
            SectionKind::Verse if bar.occurrence == 2 => {
                for e in 0..8 {
                    strum(
                        &mut strings,
                        f64::from(e) * 0.5,
                        if e % 2 == 0 { 0.75 } else { 0.6 },
                        tone.muted(),
                    );
                }
            }
            SectionKind::Chorus => {
                if bar.is_last_in_section() && bar.occurrence < 3 {
                    strings.damp(at(bar, 3.95));
                }
                for e in 0..8 {
                    // Open eighths, a muted chug on the off-beats before the accents.
                    let (v, t) = match e {
                        0 | 3 | 6 => (0.95, tone),
                        _ => (0.7, tone.muted()),
                    };
                    strum(&mut strings, f64::from(e) * 0.5, v, t);
                }
            }
            SectionKind::Bridge if bar.in_section >= 4 => {
                strum(&mut strings, 0.0, 0.85, tone);
                strum(&mut strings, 2.0, 0.75, tone);
            }
            SectionKind::Outro if bar.in_section < 2 => {
                for e in 0..8 {
                    strum(
                        &mut strings,
                        f64::from(e) * 0.5,
                        if e % 2 == 0 { 0.9 } else { 0.7 },
                        tone,
                    );
                }
            }
            SectionKind::Outro if bar.in_section == 2 => strum(&mut strings, 0.0, 1.0, tone),
            _ => {}
        }
    }
    let mut out = silence();
    strings.render(&mut out, &mut Rng::new(0xBA4D_1003));
    // Amp: a tight low end, lots of gain into a soft clipper, then a speaker cabinet.
    run_chain(
        &mut out,
        &mut [
            Biquad::highpass(110.0, 0.7),
            Biquad::peaking(900.0, 0.8, 6.0),
        ],
    );
    for x in &mut out {
        *x = soft_clip(f64::from(*x) * 14.0) as Sample;
    }
    run_chain(
        &mut out,
        &mut [
            Biquad::highpass(90.0, 0.7),
            Biquad::peaking(450.0, 1.0, -4.0),
            Biquad::peaking(1800.0, 1.2, 3.0),
            Biquad::lowpass(4800.0, 0.8),
            Biquad::lowpass(6500.0, 0.7),
        ],
    );
    add_reverb(&mut out, 1.2, 4000.0, 0.14);
    vec![out]
}

fn clean_guitar() -> Vec<Vec<Sample>> {
    let tone = StringTone {
        brightness: 0.65,
        t60: 3.0,
        damping: 0.25,
        position: 0.2,
    };
    let mut human = Humanize::new(0xBA4D_0004, 0.004, 0.08);
    let mut strings = Strings::default();
    for bar in &ARRANGEMENT.bars() {
        let root = bar.chord.root_at_or_above(52);
        let third = bar.chord.third() + 12;
        // (interval above the root, string): root, fifth, octave, ninth, tenth.
        let pattern = [
            (0, 1),
            (7, 2),
            (12, 3),
            (third, 5),
            (14, 4),
            (12, 3),
            (7, 2),
            (12, 3),
        ];
        let level = match bar.kind {
            SectionKind::Verse => 0.6,
            SectionKind::Chorus => 0.45,
            SectionKind::Bridge => 0.75,
            SectionKind::Outro if bar.in_section < 2 => 0.5,
            _ => 0.0,
        };
        if level > 0.0 {
            for (e, &(interval, string)) in pattern.iter().enumerate() {
                let t = human.time(at(bar, e as f64 * 0.5));
                let v = human.vel(if e % 2 == 0 { level } else { level * 0.8 });
                strings.add(
                    string,
                    Pluck {
                        time: t,
                        midi: f64::from(root + interval),
                        vel: v,
                        max_len: 3.0,
                        tone,
                    },
                );
            }
        } else if bar.kind == SectionKind::Outro && bar.in_section == 2 {
            let voicing = bar.chord.high_voicing();
            strings.strum(
                &voicing,
                at(bar, 0.0),
                0.6,
                true,
                0.06,
                0..=5,
                tone,
                &mut human,
            );
        }
    }
    let mut out = silence();
    strings.render(&mut out, &mut Rng::new(0xBA4D_1004));
    run_chain(
        &mut out,
        &mut [
            Biquad::highpass(150.0, 0.7),
            Biquad::peaking(2500.0, 1.0, 2.0),
            Biquad::lowpass(9000.0, 0.7),
        ],
    );
    // A dotted-eighth echo, the classic arpeggio delay, then a room.
    add_echo(
        &mut out,
        ARRANGEMENT.beat_seconds() * 0.75,
        0.35,
        0.45,
        3500.0,
    );
    add_reverb(&mut out, 1.8, 5000.0, 0.28);
    vec![out]
}

// ---------------------------------------------------------------------------------------------
// Keys

fn keys() -> Vec<Vec<Sample>> {
    let mut human = Humanize::new(0xBA4D_0005, 0.004, 0.06);
    let mut mono = silence();
    let beat = ARRANGEMENT.beat_seconds();
    let chord =
        |out: &mut Vec<Sample>, h: &mut Humanize, notes: &[u8], t: f64, beats: f64, v: f64| {
            let t = h.time(t);
            for (k, &n) in notes.iter().enumerate() {
                // A hand never lands all fingers at once.
                let t = t + 0.004 * k as f64;
                epiano(
                    out,
                    to_samples(t),
                    to_samples(beats * beat - 0.03),
                    f64::from(n),
                    h.vel(v),
                );
            }
        };
    for bar in &ARRANGEMENT.bars() {
        let voicing = bar.chord.keys_voicing();
        match bar.kind {
            SectionKind::Intro => chord(&mut mono, &mut human, &voicing, at(bar, 0.0), 4.0, 0.5),
            SectionKind::Verse => {
                for (b, len) in [(0.0, 1.4), (1.5, 1.4), (3.0, 1.0)] {
                    chord(&mut mono, &mut human, &voicing, at(bar, b), len, 0.45);
                }
            }
            SectionKind::Chorus => {
                for b in [0.0, 2.0] {
                    chord(&mut mono, &mut human, &voicing, at(bar, b), 2.0, 0.6);
                }
            }
            SectionKind::Bridge => {
                let up = [
                    voicing[0],
                    voicing[1],
                    voicing[2],
                    voicing[3],
                    voicing[0] + 12,
                    voicing[3],
                    voicing[2],
                    voicing[1],
                ];
                for (e, &n) in up.iter().enumerate() {
                    chord(
                        &mut mono,
                        &mut human,
                        &[n],
                        at(bar, e as f64 * 0.5),
                        1.5,
                        0.55,
                    );
                }
            }
            SectionKind::Outro => match bar.in_section {
                0 | 1 => {
                    for b in [0.0, 2.0] {
                        chord(&mut mono, &mut human, &voicing, at(bar, b), 2.0, 0.55);
                    }
                }
                2 => chord(&mut mono, &mut human, &voicing, at(bar, 0.0), 7.0, 0.6),
                _ => {}
            },
        }
    }
    run_chain(
        &mut mono,
        &mut [
            Biquad::highpass(80.0, 0.7),
            Biquad::peaking(250.0, 1.0, 1.5),
        ],
    );
    // The suitcase piano's stereo tremolo, then a stereo room.
    let rate = 4.2 / super::synth::SR;
    let (mut left, mut right): (Vec<Sample>, Vec<Sample>) = mono
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let lfo = 0.35 * sin_turns(i as f64 * rate);
            let x = f64::from(x);
            ((x * (1.0 + lfo)) as Sample, (x * (1.0 - lfo)) as Sample)
        })
        .unzip();
    drop(mono);
    add_stereo_reverb(&mut left, &mut right, 1.6, 5000.0, 0.25);
    vec![left, right]
}

// ---------------------------------------------------------------------------------------------
// Lead vocal

fn lead_vocal() -> Vec<Vec<Sample>> {
    let tone = VoiceTone {
        formant_scale: 1.0,
        vibrato_hz: 5.6,
        vibrato_cents: 22.0,
        glide: 0.035,
        breath: 0.08,
        softness_hz: 2200.0,
    };
    let mut human = Humanize::new(0xBA4D_0006, 0.006, 0.05);
    let mut notes = Vec::new();
    for (i, section) in ARRANGEMENT.sections.iter().enumerate() {
        let start = ARRANGEMENT.section_start_beat(i);
        let (text, vel) = match section.kind {
            SectionKind::Verse => (VERSE_TUNE, 0.75),
            SectionKind::Chorus => (CHORUS_TUNE, 0.95),
            SectionKind::Bridge => (BRIDGE_TUNE, 0.85),
            SectionKind::Outro => (OUTRO_TUNE, 0.8),
            SectionKind::Intro => continue,
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
    sing(&mut out, &notes, &tone, &mut Rng::new(0xBA4D_1006));
    run_chain(
        &mut out,
        &mut [
            Biquad::highpass(110.0, 0.7),
            Biquad::peaking(3000.0, 1.0, 3.0),
        ],
    );
    add_echo(
        &mut out,
        ARRANGEMENT.beat_seconds() * 0.5,
        0.2,
        0.12,
        3000.0,
    );
    add_reverb(&mut out, 1.6, 5000.0, 0.25);
    vec![out]
}
