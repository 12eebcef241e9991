//! The monitor section as the audio thread runs it: preset curves measured with sines, level
//! compensation measured with pink noise and an EBU R 128 meter, click-free switching, and no
//! allocation on the realtime path.

use earmix::engine::monitor::{Monitor, MonitorState, Preset, StereoMode, next_preset};
use earmix::units::Decibels;
use ebur128::{EbuR128, Mode};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::support::assert_realtime;

fn monitor(rate: u32) -> Monitor {
    Monitor::new(rate, Decibels(-1.0), Decibels(-20.0))
}

fn with_preset(preset: Option<Preset>) -> MonitorState {
    MonitorState {
        preset,
        ..MonitorState::default()
    }
}

/// Runs a stereo signal through the monitor in blocks of `block` frames.
fn run(m: &mut Monitor, left: &mut [f32], right: &mut [f32], block: usize) {
    for (l, r) in left.chunks_mut(block).zip(right.chunks_mut(block)) {
        m.process(l, r);
    }
}

/// `frames` of a sine at `freq` Hz starting at `phase` radians.
fn sine(rate: u32, frames: usize, freq: f64, amplitude: f64, phase: f64) -> Vec<f32> {
    (0..frames)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            (amplitude * (std::f64::consts::TAU * freq * t + phase).sin()) as f32
        })
        .collect()
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}

/// The gain in dB the monitor gives a steady sine at `freq` Hz: 0.25 s to settle, then one
/// second (a whole number of cycles) measured.
fn measured_gain_db(rate: u32, preset: Preset, freq: f64) -> f64 {
    let mut m = monitor(rate);
    m.set_state(with_preset(Some(preset)));
    let settle = rate as usize / 4;
    let frames = settle + rate as usize;
    let input = sine(rate, frames, freq, 0.25, 0.0);
    let (mut l, mut r) = (input.clone(), input.clone());
    run(&mut m, &mut l, &mut r, 512);
    assert_eq!(l, r);
    20.0 * (rms(&l[settle..]) / rms(&input[settle..])).log10()
}

/// Steady sines through each preset come out at the preset's exact response (within 0.05 dB)
/// and its documented curve (within 0.5 dB) plus the level compensation, at 48 kHz and at
/// 44.1 kHz (where the documented table, made at 48 kHz, is checked up to 5 kHz).
#[test]
fn preset_sines_follow_the_documented_curves() {
    for rate in [48_000, 44_100] {
        for preset in Preset::ALL {
            let compensation = preset.compensation_db(rate);
            for &(freq, documented) in preset.documented_db() {
                let got = measured_gain_db(rate, preset, freq) - compensation;
                let exact = preset.response_db(rate, freq);
                assert!(
                    (got - exact).abs() < 0.05,
                    "{preset:?} at {freq} Hz, {rate} Hz: measured {got:.3} dB, exact {exact:.3} dB"
                );
                if rate == 48_000 || freq <= 5000.0 {
                    assert!(
                        (got - documented).abs() < 0.5,
                        "{preset:?} at {freq} Hz, {rate} Hz: measured {got:.3} dB, \
                         documented {documented} dB"
                    );
                }
            }
        }
    }
}

/// Seeded stereo pink noise (Paul Kellet's refined filter over a xoshiro white source, two
/// independent channels) at about -26 dBFS RMS, well under the ceiling.
fn pink_noise(frames: usize, seed: u64) -> [Vec<f32>; 2] {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    [0, 1].map(|_| {
        let mut b = [0.0f64; 7];
        (0..frames)
            .map(|_| {
                let white = (rng.next_u32() as f64 / 2_147_483_648.0) - 1.0;
                b[0] = 0.99886 * b[0] + white * 0.055_517_9;
                b[1] = 0.99332 * b[1] + white * 0.075_075_9;
                b[2] = 0.96900 * b[2] + white * 0.153_852_0;
                b[3] = 0.86650 * b[3] + white * 0.310_485_6;
                b[4] = 0.55000 * b[4] + white * 0.532_952_2;
                b[5] = -0.7616 * b[5] - white * 0.016_898_0;
                let pink = b[..6].iter().sum::<f64>() + b[6] + white * 0.5362;
                b[6] = white * 0.115_926;
                (pink * 0.015) as f32
            })
            .collect()
    })
}

/// Integrated loudness (LUFS) of a stereo signal.
fn loudness(rate: u32, left: &[f32], right: &[f32]) -> f64 {
    let mut meter = EbuR128::new(2, rate, Mode::I).unwrap();
    meter.add_frames_planar_f32(&[left, right]).unwrap();
    meter.loudness_global().unwrap()
}

/// Pink noise through each compensated preset measures within 0.5 LU of the flat path's
/// integrated loudness, at 48 kHz and at 44.1 kHz, without the ceiling acting.
#[test]
fn presets_keep_pink_noise_loudness() {
    for rate in [48_000, 44_100] {
        // Half a second of pre-roll lets the switch fade and the filters settle.
        let skip = rate as usize / 2;
        let frames = skip + 10 * rate as usize;
        let [left, right] = pink_noise(frames, 0x006d_6f6e_6974_6f72);
        let mut m = monitor(rate);
        let (mut l, mut r) = (left.clone(), right.clone());
        run(&mut m, &mut l, &mut r, 1024);
        assert!(l == left && r == right, "the flat path is a bypass");
        let flat = loudness(rate, &l[skip..], &r[skip..]);
        for preset in Preset::ALL {
            let mut m = monitor(rate);
            let meter = m.meter();
            m.set_state(with_preset(Some(preset)));
            let (mut l, mut r) = (left.clone(), right.clone());
            run(&mut m, &mut l, &mut r, 1024);
            let through = loudness(rate, &l[skip..], &r[skip..]);
            println!(
                "{rate} Hz {preset:?}: compensation {:+.3} dB, flat {flat:.2} LUFS, \
                 through {through:.2} LUFS, diff {:+.3} LU",
                preset.compensation_db(rate),
                through - flat
            );
            assert!(
                (through - flat).abs() <= 0.5,
                "{preset:?} at {rate} Hz: {through:.2} LUFS against flat {flat:.2} LUFS"
            );
            assert_eq!(meter.take().samples_limited, 0, "the ceiling acted");
        }
    }
}

/// The largest sample-to-sample step in either channel.
fn max_step(left: &[f32], right: &[f32]) -> f32 {
    [left, right]
        .iter()
        .flat_map(|x| x.windows(2).map(|w| (w[1] - w[0]).abs()))
        .fold(0.0, f32::max)
}

/// Switching stereo image and swap on a DC signal (where an instant switch would step by up to
/// 0.7) moves the output by at most 1/200 of full scale per sample, at any switch point.
#[test]
fn switching_on_dc_does_not_click() {
    let states = [
        MonitorState {
            swap: true,
            ..MonitorState::default()
        },
        MonitorState {
            stereo: StereoMode::Mono,
            ..MonitorState::default()
        },
        MonitorState {
            stereo: StereoMode::Side,
            ..MonitorState::default()
        },
        MonitorState::default(),
        MonitorState {
            mute_all: true,
            ..MonitorState::default()
        },
        MonitorState {
            dim: true,
            stereo: StereoMode::Side,
            ..MonitorState::default()
        },
    ];
    let mut m = monitor(48_000);
    let (mut l, mut r) = (vec![0.5f32; 48_000], vec![-0.2f32; 48_000]);
    let mut at = 0;
    for (i, state) in states.iter().cycle().take(42).enumerate() {
        // Switch points fall mid-block and mid-fade: 37 to 1200 frames apart.
        let len = [37, 300, 1200, 90, 511][i % 5];
        m.process(&mut l[at..at + len], &mut r[at..at + len]);
        at += len;
        m.set_state(*state);
    }
    m.process(&mut l[at..], &mut r[at..]);
    let step = max_step(&l, &r);
    assert!(step < 0.005, "step {step}");
    // The last state (dim, side) has been reached exactly: (0.5 + 0.2) * g * 0.1.
    let want = 0.7 * 10f32.powf(-3.0 / 20.0) * 10f32.powf(-1.0);
    assert!((l[47_999] - want).abs() < 1e-6 && l[47_999] == r[47_999]);
}

/// A pseudo-random burst of state changes (every state the keys can reach, including every
/// preset, in block sizes from 1 frame up) on a 100 Hz sine steps no further per sample than
/// the loudest steady state does, plus a small margin.
#[test]
fn any_switching_sequence_is_click_free() {
    let rate = 48_000;
    let frames = rate as usize * 2;
    let left = sine(rate, frames, 100.0, 0.3, 0.0);
    let right = sine(rate, frames, 100.0, 0.3, std::f64::consts::FRAC_PI_2);
    let input_step = max_step(&left, &right);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut state = MonitorState::default();
    let mut m = monitor(rate);
    let (mut l, mut r) = (left.clone(), right.clone());
    let mut at = 0;
    while at < frames {
        let len = match rng.next_u32() % 4 {
            0 => 1 + rng.next_u32() as usize % 8,
            1 => 1 + rng.next_u32() as usize % 300,
            _ => 1 + rng.next_u32() as usize % 3000,
        }
        .min(frames - at);
        m.process(&mut l[at..at + len], &mut r[at..at + len]);
        at += len;
        match rng.next_u32() % 5 {
            0 => state.stereo = state.stereo.next(),
            1 => state.swap = !state.swap,
            2 => state.preset = next_preset(state.preset),
            3 => state.dim = !state.dim,
            _ => state.mute_all = rng.next_u32() % 4 == 0,
        }
        m.set_state(state);
        assert_eq!(m.state(), state);
    }
    // The steepest steady output: the largest gain any preset (with compensation) gives 100 Hz,
    // mono's +3 dB on this signal's sum, and a margin for the filters' restart.
    let loudest = Preset::ALL
        .iter()
        .map(|p| p.response_db(rate, 100.0) + p.compensation_db(rate))
        .fold(0.0, f64::max);
    let bound = input_step * 10f32.powf(loudest as f32 / 20.0) * 1.5 + 1e-3;
    let step = max_step(&l, &r);
    assert!(
        step < bound,
        "step {step}, bound {bound} (input steps {input_step})"
    );
}

/// Every state combination, `set_ceiling` and reading the meter run without allocating.
#[test]
fn monitor_is_realtime_safe() {
    let mut m = monitor(48_000);
    let mut l = sine(48_000, 512, 220.0, 1.5, 0.0);
    let mut r = sine(48_000, 512, 330.0, 1.5, 0.0);
    let mut states = Vec::new();
    let mut preset = None;
    for _ in 0..5 {
        for stereo in [StereoMode::Stereo, StereoMode::Mono, StereoMode::Side] {
            for bits in 0..8 {
                states.push(MonitorState {
                    stereo,
                    swap: bits & 1 != 0,
                    dim: bits & 2 != 0,
                    mute_all: bits & 4 != 0,
                    preset,
                });
            }
        }
        preset = next_preset(preset);
    }
    let readings = assert_realtime("the monitor section", || {
        let mut limited = 0;
        for (i, state) in states.iter().enumerate() {
            m.set_state(*state);
            m.set_ceiling(Decibels(if i % 2 == 0 { -1.0 } else { -6.0 }));
            let len = 1 + i * 37 % 512;
            m.process(&mut l[..len], &mut r[..len]);
            m.process(&mut l[len..], &mut r[len..]);
            limited += m.meter().take().samples_limited;
        }
        limited
    });
    assert!(readings > 0);
}
