//! The demo instruments, each a function that adds one note or hit into a buffer: plucked
//! strings (Karplus–Strong) and strums, a formant-filtered singing voice, drums and a shaker,
//! an FM electric piano and two basses. Every note has an attack and a release ramp, so none
//! starts or stops with a click.

use std::f64::consts::{LOG2_10, TAU};

use super::music::{Arrangement, MelodyNote, Voicing, Vowel};
use super::synth::{
    Biquad, Humanize, OnePole, Rng, Rotor, SR, Sample, decay_per_sample, edge_fade, exp, exp2,
    midi_to_hz, poly_blep, sin_turns, smoothing_coeff, soft_clip, to_samples,
};

/// The region of `out` a note starting at `start` and lasting `len` samples may write.
fn span(out: &mut [Sample], start: usize, len: usize) -> &mut [Sample] {
    let start = start.min(out.len());
    let end = start.saturating_add(len).min(out.len());
    &mut out[start..end]
}

// ---------------------------------------------------------------------------------------------
// Plucked strings

/// The sound of a plucked string.
#[derive(Debug, Clone, Copy)]
pub struct StringTone {
    /// Brightness of the pluck at full velocity, 0..1.
    pub brightness: f64,
    /// Seconds for the fundamental to fall 60 dB.
    pub t60: f64,
    /// Weight of the loop's low-pass, 0..0.5: more is darker (high partials die sooner).
    pub damping: f64,
    /// Where the string is plucked, as a fraction of its length (0.1 near the bridge is thin,
    /// 0.3 is round).
    pub position: f64,
}

impl StringTone {
    /// The same string, palm-muted: short and dark.
    pub fn muted(self) -> Self {
        Self {
            brightness: self.brightness * 0.5,
            t60: 0.18,
            damping: 0.5,
            ..self
        }
    }
}

/// One pluck of one string.
#[derive(Debug, Clone, Copy)]
pub struct Pluck {
    /// Onset in seconds.
    pub time: f64,
    pub midi: f64,
    /// 0..1.
    pub vel: f64,
    /// The longest the note may ring, in seconds (a later pluck on the string stops it sooner).
    pub max_len: f64,
    pub tone: StringTone,
}

/// Adds one Karplus–Strong string note: a burst of filtered noise circulating in a tuned delay
/// loop with a damping low-pass and an all-pass for fine tuning.
pub fn pluck(
    out: &mut [Sample],
    start: usize,
    len: usize,
    midi: f64,
    vel: f64,
    tone: &StringTone,
    rng: &mut Rng,
) {
    let freq = midi_to_hz(midi);
    let period = SR / freq;
    // The loop: `delay` samples, a two-point low-pass weighted `smooth` (which delays by
    // `smooth` samples), and an all-pass making up the fraction `frac` of a sample.
    let smooth = tone.damping.clamp(0.0, 0.5);
    let delay = (period - smooth - 0.5).floor().max(2.0) as usize;
    let frac = period - delay as f64 - smooth;
    let ap_coeff = (1.0 - frac) / (1.0 + frac);
    let loop_gain = exp2(-3.0 * LOG2_10 / (tone.t60.max(0.01) * freq));
    // Never longer than it takes to fall ~80 dB.
    let len = len.min(to_samples(tone.t60 * 1.35) + 64);

    // The excitation: low-passed noise (brighter when harder), combed for the pluck position.
    let mut buf = vec![0.0; delay];
    let brightness = (0.04 + 0.96 * tone.brightness * (0.35 + 0.65 * vel)).clamp(0.02, 1.0);
    let mut noise = 0.0;
    for x in &mut buf {
        noise += brightness * (rng.bipolar() - noise);
        *x = noise;
    }
    let position = ((tone.position * delay as f64).round() as usize).clamp(1, delay - 1);
    let raw = buf.clone();
    for (i, x) in buf.iter_mut().enumerate() {
        *x = raw[i] - raw[(i + delay - position) % delay];
    }
    let mean = buf.iter().sum::<f64>() / delay as f64;
    let peak = buf
        .iter()
        .fold(0.0_f64, |m, x| m.max((x - mean).abs()))
        .max(1e-9);
    for x in &mut buf {
        *x = (*x - mean) * vel / peak;
    }

    let region = span(out, start, len);
    let len = region.len();
    let fade_out = (len / 2).min(to_samples(0.008));
    let (mut idx, mut prev, mut ap_x, mut ap_y) = (0, 0.0, 0.0, 0.0);
    for (i, o) in region.iter_mut().enumerate() {
        let x = buf[idx];
        let lp = (1.0 - smooth) * x + smooth * prev;
        prev = x;
        let ap = ap_coeff * lp + ap_x - ap_coeff * ap_y;
        ap_x = lp;
        ap_y = ap;
        buf[idx] = ap * loop_gain;
        idx += 1;
        if idx == delay {
            idx = 0;
        }
        *o += (x * edge_fade(i, len, 24, fade_out)) as Sample;
    }
}

/// A guitar's six strings, each holding its plucks; a new pluck on a string stops the last,
/// and the player can damp every string at once.
#[derive(Debug, Clone, Default)]
pub struct Strings {
    strings: [Vec<Pluck>; 6],
    damps: Vec<f64>,
}

impl Strings {
    /// Adds a pluck on string `string` (0 = low E).
    pub fn add(&mut self, string: usize, pluck: Pluck) {
        if let Some(s) = self.strings.get_mut(string) {
            s.push(pluck);
        }
    }

    /// Damps every string at `time` (the palm comes down).
    pub fn damp(&mut self, time: f64) {
        self.damps.push(time);
    }

    /// Strums a voicing: strings sound one after another, `spread` seconds apart (low to high
    /// on a downstroke, high to low on an upstroke), only those in `strings`.
    #[allow(clippy::too_many_arguments)]
    pub fn strum(
        &mut self,
        voicing: &Voicing,
        time: f64,
        vel: f64,
        down: bool,
        spread: f64,
        strings: std::ops::RangeInclusive<usize>,
        tone: StringTone,
        human: &mut Humanize,
    ) {
        let mut order: Vec<usize> = strings.filter(|&s| s < 6 && voicing[s].is_some()).collect();
        if !down {
            order.reverse();
        }
        let count = order.len().max(1) as f64;
        let mut t = time;
        for (k, &string) in order.iter().enumerate() {
            if let Some(midi) = voicing[string] {
                // The pick slows slightly through the strings and hits the first ones hardest.
                let v = human.vel(vel * (1.0 - 0.25 * k as f64 / count));
                self.add(
                    string,
                    Pluck {
                        time: t,
                        midi: f64::from(midi),
                        vel: v,
                        max_len: 6.0,
                        tone,
                    },
                );
                t += spread * (1.0 + 0.25 * human.rng().normal()).max(0.3);
            }
        }
    }

    /// Renders every string into `out`.
    pub fn render(mut self, out: &mut [Sample], rng: &mut Rng) {
        for string in &mut self.strings {
            string.sort_by(|a, b| a.time.total_cmp(&b.time));
            for (k, p) in string.iter().enumerate() {
                let mut end = p.time + p.max_len;
                if let Some(next) = string.get(k + 1) {
                    end = end.min(next.time + 0.004);
                }
                for &damp in &self.damps {
                    if damp > p.time + 0.05 {
                        end = end.min(damp + 0.03);
                    }
                }
                let len = to_samples(end - p.time);
                pluck(out, to_samples(p.time), len, p.midi, p.vel, &p.tone, rng);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The voice

/// A sung note.
#[derive(Debug, Clone, Copy)]
pub struct SungNote {
    pub time: f64,
    pub dur: f64,
    pub midi: f64,
    pub vel: f64,
    pub vowel: Vowel,
}

/// The vowels a melody is sung on where a note does not name one, in turn.
const VOWELS: [Vowel; 8] = [
    Vowel::A,
    Vowel::O,
    Vowel::E,
    Vowel::A,
    Vowel::I,
    Vowel::O,
    Vowel::A,
    Vowel::U,
];

/// Places a written melody from song beat `start_beat` as sung notes (rests dropped), each held
/// until just before the next.
pub fn sung_notes(
    arr: &Arrangement,
    melody: &[MelodyNote],
    start_beat: f64,
    vel: f64,
    human: &mut Humanize,
) -> Vec<SungNote> {
    let mut notes = Vec::new();
    for (k, n) in melody.iter().enumerate() {
        let Some(midi) = n.midi else { continue };
        let time = human.time(arr.beat_time(start_beat + n.beat));
        let end = arr.beat_time(start_beat + n.beat + n.beats);
        notes.push(SungNote {
            time,
            dur: (end - time - 0.03).max(0.08),
            midi: f64::from(midi),
            vel: human.vel(vel),
            vowel: n.vowel.unwrap_or(VOWELS[k % VOWELS.len()]),
        });
    }
    notes
}

/// How a voice sings.
#[derive(Debug, Clone, Copy)]
pub struct VoiceTone {
    /// Scales every formant (1 is a tenor; above 1 is a smaller, brighter head).
    pub formant_scale: f64,
    pub vibrato_hz: f64,
    /// Vibrato depth, in cents either side.
    pub vibrato_cents: f64,
    /// Portamento time constant between legato notes, in seconds.
    pub glide: f64,
    /// Breath noise, 0..1.
    pub breath: f64,
    /// The source's spectral tilt: a low-pass at this many Hz (lower is softer).
    pub softness_hz: f64,
}

/// Five formants (frequency Hz, level dB, bandwidth Hz) of a tenor's vowels.
fn formants(vowel: Vowel) -> [(f64, f64, f64); 5] {
    match vowel {
        Vowel::A => [
            (650.0, 0.0, 80.0),
            (1080.0, -6.0, 90.0),
            (2650.0, -7.0, 120.0),
            (2900.0, -8.0, 130.0),
            (3250.0, -22.0, 140.0),
        ],
        Vowel::E => [
            (400.0, 0.0, 70.0),
            (1700.0, -14.0, 80.0),
            (2600.0, -12.0, 100.0),
            (3200.0, -14.0, 120.0),
            (3580.0, -20.0, 120.0),
        ],
        Vowel::I => [
            (290.0, 0.0, 40.0),
            (1870.0, -15.0, 90.0),
            (2800.0, -18.0, 100.0),
            (3250.0, -20.0, 120.0),
            (3540.0, -30.0, 120.0),
        ],
        Vowel::O => [
            (400.0, 0.0, 40.0),
            (800.0, -10.0, 80.0),
            (2600.0, -12.0, 100.0),
            (2800.0, -12.0, 120.0),
            (3000.0, -26.0, 120.0),
        ],
        Vowel::U => [
            (350.0, 0.0, 40.0),
            (600.0, -20.0, 60.0),
            (2700.0, -17.0, 100.0),
            (2900.0, -14.0, 120.0),
            (3300.0, -26.0, 120.0),
        ],
    }
}

/// The formant state as plain numbers, so it can glide from one vowel to the next.
#[derive(Debug, Clone, Copy)]
struct FormantSet {
    freq: [f64; 5],
    amp: [f64; 5],
    bw: [f64; 5],
}

impl FormantSet {
    fn of(vowel: Vowel, scale: f64) -> Self {
        let table = formants(vowel);
        let mut set = Self {
            freq: [0.0; 5],
            amp: [0.0; 5],
            bw: [0.0; 5],
        };
        for (k, (f, db, bw)) in table.into_iter().enumerate() {
            set.freq[k] = f * scale;
            set.amp[k] = super::synth::db_to_amp(db);
            set.bw[k] = bw.max(60.0) * scale;
        }
        set
    }

    fn approach(&mut self, target: &Self, k: f64) {
        for i in 0..5 {
            self.freq[i] += (target.freq[i] - self.freq[i]) * k;
            self.amp[i] += (target.amp[i] - self.amp[i]) * k;
            self.bw[i] += (target.bw[i] - self.bw[i]) * k;
        }
    }
}

/// Sings `notes` (in time order) into `out`: a band-limited sawtooth with vibrato, drift and
/// portamento through five moving formant band-passes. Notes closer than 80 ms are sung legato
/// in one breath, with a short dip in level where a consonant would be.
pub fn sing(out: &mut [Sample], notes: &[SungNote], tone: &VoiceTone, rng: &mut Rng) {
    let mut phrases: Vec<&[SungNote]> = Vec::new();
    let mut first = 0;
    for i in 1..=notes.len() {
        let split =
            i == notes.len() || notes[i].time - (notes[i - 1].time + notes[i - 1].dur) > 0.08;
        if split {
            phrases.push(&notes[first..i]);
            first = i;
        }
    }
    for phrase in phrases.into_iter().filter(|p| !p.is_empty()) {
        sing_phrase(out, phrase, tone, rng);
    }
}

const CONTROL_BLOCK: usize = 32;

fn sing_phrase(out: &mut [Sample], notes: &[SungNote], tone: &VoiceTone, rng: &mut Rng) {
    let start_t = notes[0].time;
    let last = notes[notes.len() - 1];
    let end_t = last.time + last.dur + 0.4;
    let start = to_samples(start_t);
    let region = span(out, start, to_samples(end_t - start_t));
    let len = region.len();

    // Smoothing coefficients per control block.
    let per_block = |tau: f64| smoothing_coeff(tau / CONTROL_BLOCK as f64);
    let k_glide = per_block(tone.glide);
    let k_attack = per_block(0.035);
    let k_release = per_block(0.07);
    let k_formant = per_block(0.035);
    let k_drift = per_block(0.25);

    // Start a little under the first note and scoop up to it.
    let mut pitch = notes[0].midi - 0.6;
    let mut amp = 0.0;
    let mut formant = FormantSet::of(notes[0].vowel, tone.formant_scale);
    let mut filters = [Biquad::default(); 5];
    let mut tilt = OnePole::new(tone.softness_hz);
    let mut phase = 0.0;
    let mut vib_phase = rng.unit();
    let (mut drift, mut drift_target) = (0.0, 0.0);
    let mut k = 0;
    // Pitch, level and formants move at a control rate (every 32 samples, 0.7 ms); the
    // oscillator and filters run per sample, with the phase step interpolated between.
    let (mut dt, mut dt_step, mut amp_step) = (0.0, 0.0, 0.0);
    let mut amp_now = 0.0;
    for (i, o) in region.iter_mut().enumerate() {
        if i % CONTROL_BLOCK == 0 {
            let t = start_t + (i + CONTROL_BLOCK / 2) as f64 / SR;
            while k + 1 < notes.len() && t >= notes[k + 1].time {
                k += 1;
            }
            let note = notes[k];
            let since = t - note.time;
            let target = FormantSet::of(note.vowel, tone.formant_scale);
            formant.approach(&target, k_formant);
            for (f, filter) in filters.iter_mut().enumerate() {
                filter.set_bandpass(formant.freq[f], formant.freq[f] / formant.bw[f]);
            }
            if i % (CONTROL_BLOCK * 64) == 0 {
                drift_target = rng.normal() * 0.06;
            }
            // Level: rise into a note, dip briefly at each new syllable, fall after the last.
            let mut target_amp = if since < note.dur { note.vel } else { 0.0 };
            if k > 0 && (0.0..0.05).contains(&since) {
                target_amp *= 0.55 + 0.45 * since / 0.05;
            }
            let ka = if target_amp > amp {
                k_attack
            } else {
                k_release
            };
            amp += (target_amp - amp) * ka;
            // Pitch: glide to the note, then a vibrato that grows in after a moment.
            pitch += (note.midi - pitch) * k_glide;
            drift += (drift_target - drift) * k_drift;
            let vib_depth = ((since - 0.18) / 0.35).clamp(0.0, 1.0) * tone.vibrato_cents / 100.0;
            vib_phase += tone.vibrato_hz * (1.0 + 0.05 * drift) * CONTROL_BLOCK as f64 / SR;
            let freq = midi_to_hz(pitch + drift + vib_depth * sin_turns(vib_phase));
            let next_dt = (freq / SR).min(0.5);
            let block = CONTROL_BLOCK as f64;
            dt_step = if i == 0 { 0.0 } else { (next_dt - dt) / block };
            if i == 0 {
                dt = next_dt;
            }
            amp_step = (amp - amp_now) / block;
        }
        dt += dt_step;
        amp_now += amp_step;
        phase += dt;
        if phase >= 1.0 {
            phase -= 1.0;
        }
        let saw = 2.0 * phase - 1.0 - poly_blep(phase, dt);
        let source = tilt.lowpass(saw) + rng.bipolar() * tone.breath * 0.25;
        let mut y = 0.0;
        for (f, filter) in filters.iter_mut().enumerate() {
            y += formant.amp[f] * filter.process(source);
        }
        *o += (y * amp_now * edge_fade(i, len, 48, to_samples(0.03))) as Sample;
    }
}

// ---------------------------------------------------------------------------------------------
// Drums and percussion

/// A synthesised bass drum.
#[derive(Debug, Clone, Copy)]
pub struct KickTone {
    /// Pitch at the hit and where it falls to, in Hz.
    pub hz_start: f64,
    pub hz_end: f64,
    /// Time constant of the pitch fall, seconds.
    pub pitch_tau: f64,
    /// Seconds to fall 60 dB.
    pub t60: f64,
    /// Level of the beater click, 0..1.
    pub click: f64,
    /// Saturation drive (1 is clean).
    pub drive: f64,
}

/// Adds a kick (or, tuned higher, a tom): a sine falling in pitch, a beater click, saturation.
pub fn kick(out: &mut [Sample], start: usize, vel: f64, tone: &KickTone, rng: &mut Rng) {
    let region = span(out, start, to_samples(tone.t60 * 1.2));
    let len = region.len();
    let decay = decay_per_sample(tone.t60);
    let click_decay = decay_per_sample(0.012);
    let pitch_k = exp(-1.0 / (tone.pitch_tau * SR));
    let mut lp = OnePole::new(3000.0);
    let (mut env, mut click_env, mut phase, mut bend) = (1.0, 1.0, 0.0, 1.0);
    let norm = soft_clip(tone.drive);
    for (i, o) in region.iter_mut().enumerate() {
        let f = tone.hz_end + (tone.hz_start - tone.hz_end) * bend;
        bend *= pitch_k;
        phase += f / SR;
        let body = sin_turns(phase) * env;
        let click = lp.lowpass(rng.bipolar()) * click_env * tone.click;
        env *= decay;
        click_env *= click_decay;
        let y = soft_clip((body + click) * tone.drive) / norm;
        *o += (y * vel * edge_fade(i, len, 24, to_samples(0.02))) as Sample;
    }
}

/// A synthesised snare drum.
#[derive(Debug, Clone, Copy)]
pub struct SnareTone {
    /// The two drum-head modes, Hz.
    pub head_hz: [f64; 2],
    /// Seconds for the head to fall 60 dB.
    pub head_t60: f64,
    /// Seconds for the wires (noise) to fall 60 dB.
    pub wires_t60: f64,
    /// Level of the wires against the head.
    pub wires: f64,
    /// Low-pass on the wires, Hz (lower is a brushier, softer snare).
    pub wires_hz: f64,
}

/// Adds a snare hit: two decaying drum-head modes plus band-limited noise for the wires.
pub fn snare(out: &mut [Sample], start: usize, vel: f64, tone: &SnareTone, rng: &mut Rng) {
    let region = span(
        out,
        start,
        to_samples(tone.wires_t60.max(tone.head_t60) * 1.1),
    );
    let len = region.len();
    let head_decay = decay_per_sample(tone.head_t60);
    let wire_decay = decay_per_sample(tone.wires_t60);
    let mut hp = Biquad::highpass(900.0, 0.7);
    let mut lp = Biquad::lowpass(tone.wires_hz, 0.7);
    let (mut head_env, mut wire_env) = (1.0, 1.0);
    let (mut p0, mut p1) = (0.0, 0.25);
    // Harder hits are brighter.
    let wire_level = tone.wires * (0.6 + 0.4 * vel);
    for (i, o) in region.iter_mut().enumerate() {
        let bend = 1.0 + 0.4 * head_env * head_env;
        p0 += tone.head_hz[0] * bend / SR;
        p1 += tone.head_hz[1] * bend / SR;
        let head = (sin_turns(p0) + 0.6 * sin_turns(p1)) * head_env;
        let wires = lp.process(hp.process(rng.bipolar())) * wire_env * wire_level;
        head_env *= head_decay;
        wire_env *= wire_decay;
        *o += ((head * 0.6 + wires) * vel * edge_fade(i, len, 16, to_samples(0.02))) as Sample;
    }
}

/// Adds a cymbal: six detuned square waves (the classic analogue metal) plus noise,
/// high-passed. `t60` makes it a closed hat (0.05), an open hat (0.4) or a crash (2.5).
pub fn cymbal(out: &mut [Sample], start: usize, vel: f64, t60: f64, rng: &mut Rng) {
    const RATIOS: [f64; 6] = [1.0, 1.483, 1.801, 2.546, 2.630, 3.897];
    let region = span(out, start, to_samples(t60 * 1.2));
    let len = region.len();
    let decay = decay_per_sample(t60);
    let cutoff = if t60 > 1.0 { 4500.0 } else { 7000.0 };
    let mut hp1 = Biquad::highpass(cutoff, 0.7);
    let mut hp2 = Biquad::highpass(cutoff, 0.7);
    let mut bp = Biquad::bandpass(10_000.0, 0.8);
    let mut phases = [0.0; 6];
    for p in &mut phases {
        *p = rng.unit();
    }
    let base = 335.0;
    let mut env = 1.0;
    for (i, o) in region.iter_mut().enumerate() {
        let mut metal = 0.0;
        for (p, r) in phases.iter_mut().zip(RATIOS) {
            *p += base * r / SR;
            if *p >= 1.0 {
                *p -= 1.0;
            }
            metal += if *p < 0.5 { 1.0 } else { -1.0 };
        }
        let x = metal * 0.12 + rng.bipolar() * 0.6;
        let y = hp2.process(hp1.process(x));
        let y = 0.6 * y + 0.8 * bp.process(y);
        env *= decay;
        *o += (y * env * vel * edge_fade(i, len, 8, to_samples(0.02))) as Sample;
    }
}

/// Adds a shaker grain: band-passed noise that swells for a few milliseconds (the beads
/// travelling) and dies quickly.
pub fn shaker(out: &mut [Sample], start: usize, vel: f64, rng: &mut Rng) {
    let region = span(out, start, to_samples(0.14));
    let len = region.len();
    let mut bp = Biquad::bandpass(6500.0 + 800.0 * rng.bipolar(), 1.1);
    let mut hp = Biquad::highpass(3000.0, 0.7);
    let swell = to_samples(0.012) as f64;
    let decay = decay_per_sample(0.09);
    let mut env = 1.0;
    for (i, o) in region.iter_mut().enumerate() {
        let rise = (i as f64 / swell).min(1.0);
        let y = bp.process(hp.process(rng.bipolar()));
        if i as f64 > swell {
            env *= decay;
        }
        *o += (y * rise * rise * env * vel * edge_fade(i, len, 4, to_samples(0.02))) as Sample;
    }
}

// ---------------------------------------------------------------------------------------------
// Keys and basses

/// Adds an electric-piano note (two-operator FM with a decaying index, plus the tine's bell
/// partial): held for `len` samples, then the damper falls over 80 ms.
pub fn epiano(out: &mut [Sample], start: usize, len: usize, midi: f64, vel: f64) {
    let f = midi_to_hz(midi);
    let release = to_samples(0.25);
    let region = span(out, start, len + release);
    let total = region.len();
    let t60 = (3.5 - (midi - 60.0) * 0.05).clamp(1.2, 5.0);
    let decay = decay_per_sample(t60);
    let index_decay = decay_per_sample(0.9);
    let bell_decay = decay_per_sample(0.12);
    let damper = exp(-1.0 / (0.045 * SR));
    let bell_ratio = 14.0;
    let bell = if f * bell_ratio < 16_000.0 {
        0.1 * vel * vel
    } else {
        0.0
    };
    let mut modulator = Rotor::new(f);
    let mut tine = Rotor::new(f * bell_ratio);
    let (mut env, mut index, mut bell_env, mut phase) = (1.0, 0.4 + 2.2 * vel, 1.0, 0.0);
    let step = f / SR;
    for (i, o) in region.iter_mut().enumerate() {
        // The modulator runs at the carrier's frequency and phase (ratio 1:1).
        let m = modulator.next_sample() * (index + 0.25) / TAU;
        let y = sin_turns(phase + m) + bell * bell_env * tine.next_sample();
        phase += step;
        if phase >= 1.0 {
            phase -= 1.0;
        }
        env *= decay;
        if i >= len {
            env *= damper;
        }
        index *= index_decay;
        bell_env *= bell_decay;
        *o += (y * env * vel * edge_fade(i, total, 48, to_samples(0.02))) as Sample;
    }
}

/// Adds a note of a warm sine bass with a few decaying harmonics (the folk song's upright-like
/// bass), held `len` samples then released over 60 ms.
pub fn round_bass(out: &mut [Sample], start: usize, len: usize, midi: f64, vel: f64) {
    let f = midi_to_hz(midi);
    let release = to_samples(0.06);
    let region = span(out, start, len + release);
    let total = region.len();
    let decays = [
        decay_per_sample(2.2),
        decay_per_sample(0.9),
        decay_per_sample(0.45),
        decay_per_sample(0.25),
    ];
    let levels = [1.0, 0.45 * vel, 0.25 * vel, 0.12 * vel];
    let mut env = [1.0; 4];
    let mut partials = [
        Rotor::new(f),
        Rotor::new(2.0 * f),
        Rotor::new(3.0 * f),
        Rotor::new(4.0 * f),
    ];
    for (i, o) in region.iter_mut().enumerate() {
        let mut y = 0.0;
        for h in 0..4 {
            y += partials[h].next_sample() * levels[h] * env[h];
            env[h] *= decays[h];
        }
        let gate = if i < len {
            1.0
        } else {
            1.0 - (i - len) as f64 / release as f64
        };
        *o += (y * vel * gate * edge_fade(i, total, 96, 48)) as Sample;
    }
}

/// Adds a note of a synth bass for the band: a sawtooth and a sub sine through a low-pass that
/// opens at the attack, lightly saturated; held `len` samples then released over 25 ms.
pub fn synth_bass(out: &mut [Sample], start: usize, len: usize, midi: f64, vel: f64) {
    let f = midi_to_hz(midi);
    let release = to_samples(0.025);
    let region = span(out, start, len + release);
    let total = region.len();
    let dt = f / SR;
    let mut lp = Biquad::lowpass(300.0, 0.9);
    let env_decay = decay_per_sample(3.0);
    let sweep_decay = decay_per_sample(0.35);
    let (mut phase, mut env, mut sweep) = (0.0, 1.0, 1.0);
    for (i, o) in region.iter_mut().enumerate() {
        if i % CONTROL_BLOCK == 0 {
            lp.set_lowpass(180.0 + 1600.0 * vel * sweep, 0.9);
        }
        phase += dt;
        if phase >= 1.0 {
            phase -= 1.0;
        }
        let saw = 2.0 * phase - 1.0 - poly_blep(phase, dt);
        let sub = sin_turns(phase);
        let y = lp.process(saw * 0.7) + sub * 0.8;
        env *= env_decay;
        sweep *= sweep_decay;
        let gate = if i < len {
            1.0
        } else {
            1.0 - (i - len) as f64 / release as f64
        };
        *o += (soft_clip(y * 1.4) * env * vel * gate * edge_fade(i, total, 48, 24)) as Sample;
    }
}
