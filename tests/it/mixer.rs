//! The mixing core with known signals, offline, under the allocation checker.

use earmix::engine::processor::Processor;
use earmix::engine::smoother::ramp_frames;
use earmix::engine::source::{MemorySource, ReadMode, Source};
use earmix::engine::streams::{StemStream, StreamConfig};
use earmix::engine::strip::StripParams;
use earmix::units::{Decibels, Pan, StripId};
use proptest::prelude::*;

use crate::support::{assert_realtime, signal, write_wav_f32};

const RATE: u32 = 48_000;

fn mem(channels: Vec<Vec<f32>>) -> Box<dyn Source> {
    Box::new(MemorySource::new(channels))
}

fn dc(frames: usize, value: f32) -> Vec<f32> {
    vec![value; frames]
}

fn run(p: &mut Processor, frames: usize) -> (Vec<f32>, Vec<f32>) {
    let mut l = vec![0.0; frames];
    let mut r = vec![0.0; frames];
    p.process(&mut l, &mut r, ReadMode::Realtime);
    (l, r)
}

fn params(gain: f64) -> StripParams {
    StripParams {
        gain: Decibels(gain),
        ..StripParams::default()
    }
}

/// A stereo stem at unity gain, centre pan and 0 dB master comes out bit-exact.
#[test]
fn unity_gain_is_bit_exact() {
    let l = signal(10_000, 1, 0.8);
    let r = signal(10_000, 2, 0.8);
    let mut p = Processor::new(
        RATE,
        vec![(params(0.0), mem(vec![l.clone(), r.clone()]))],
        Decibels(0.0),
    );
    let (ol, or) = run(&mut p, 10_000);
    assert!(ol.iter().zip(&l).all(|(a, b)| a.to_bits() == b.to_bits()));
    assert!(or.iter().zip(&r).all(|(a, b)| a.to_bits() == b.to_bits()));
}

/// A gain of g dB scales by 10^(g/20) once the 10 ms glide has settled, for fader, trim and master.
#[test]
fn gain_scales_by_db_after_the_glide() {
    for (fader, trim, master) in [
        (-6.0, 0.0, 0.0),
        (3.5, -2.0, 0.0),
        (0.0, 0.0, -10.0),
        (12.0, 6.0, -1.0),
    ] {
        let mut p = Processor::new(
            RATE,
            vec![(params(0.0), mem(vec![dc(4000, 0.25), dc(4000, 0.25)]))],
            Decibels(0.0),
        );
        p.set_gain(StripId(0), Decibels(fader));
        p.set_trim(StripId(0), Decibels(trim));
        p.set_master(Decibels(master));
        let (l, r) = run(&mut p, 4000);
        let expected = 0.25 * 10f64.powf((fader + trim + master) / 20.0);
        let settled = ramp_frames(RATE) as usize;
        for (i, (a, b)) in l.iter().zip(&r).enumerate().skip(settled) {
            assert!(
                (f64::from(*a) - expected).abs() < 1e-6 * expected.max(1.0),
                "frame {i}: {a} vs {expected}"
            );
            assert_eq!(a, b);
        }
        // and not before: the change glides
        assert!((f64::from(l[10]) - expected).abs() > 1e-4);
    }
}

/// Mute ramps to exact zeros within the glide time, and unmute ramps back.
#[test]
fn mute_gives_exact_zeros() {
    let s = signal(20_000, 3, 0.9);
    let mut p = Processor::new(
        RATE,
        vec![(params(0.0), mem(vec![s.clone()]))],
        Decibels(0.0),
    );
    p.set_mute(StripId(0), true);
    let (l, r) = run(&mut p, 10_000);
    let ramp = ramp_frames(RATE) as usize;
    assert!(
        l[ramp..].iter().chain(&r[ramp..]).all(|x| x.to_bits() == 0),
        "not exact zeros after the ramp"
    );
    assert!(
        l[..ramp / 2].iter().any(|x| *x != 0.0),
        "mute must ramp, not switch"
    );
    p.set_mute(StripId(0), false);
    let (l, _) = run(&mut p, 10_000);
    let (g, _) = Pan::CENTRE.mono_gains();
    assert_eq!(l[ramp + 5], s[10_000 + ramp + 5] * g);
}

/// A muted strip whose glide has finished is exactly silent even for full-scale input, and a
/// fader at -inf (off) is too.
#[test]
fn off_fader_is_exact_silence() {
    let mut p = Processor::new(
        RATE,
        vec![(
            params(f64::NEG_INFINITY),
            mem(vec![dc(1000, 1.0), dc(1000, -1.0)]),
        )],
        Decibels(0.0),
    );
    let (l, r) = run(&mut p, 1000);
    assert!(l.iter().chain(&r).all(|x| x.to_bits() == 0));
}

fn audible(p: &mut Processor, frames: usize) -> Vec<bool> {
    // Each strip is a distinct DC level on the left: 1, 2, 4, ... so the sum tells who sounds.
    let (l, _) = run(p, frames);
    let last = l[frames - 1] / std::f32::consts::FRAC_1_SQRT_2;
    let bits = last.round() as u32;
    (0..p.strip_count()).map(|i| bits & (1 << i) != 0).collect()
}

/// Solo is in place; un-soloing restores the previous mute states exactly.
#[test]
fn solo_and_unsolo_restore_mutes() {
    let strips = (0..4)
        .map(|i| {
            let p = StripParams {
                mute: i == 1,
                ..StripParams::default()
            };
            (p, mem(vec![dc(100_000, (1 << i) as f32 / 16.0)]))
        })
        .collect();
    let mut p = Processor::new(RATE, strips, Decibels(24.082_4)); // x16, so levels are 1,2,4,8
    assert_eq!(audible(&mut p, 2000), [true, false, true, true]);
    p.set_solo(StripId(2), true);
    assert_eq!(audible(&mut p, 2000), [false, false, true, false]);
    p.set_solo(StripId(1), true); // soloing a muted strip: solo does not override mute
    assert_eq!(audible(&mut p, 2000), [false, false, true, false]);
    p.set_solo(StripId(2), false);
    p.set_solo(StripId(1), false);
    assert_eq!(audible(&mut p, 2000), [true, false, true, true]);
    p.set_solo(StripId(3), true);
    p.set_mute(StripId(0), true);
    p.clear_solos();
    assert_eq!(audible(&mut p, 2000), [false, false, true, true]);
    assert!(
        p.strip_params(StripId(1)).unwrap().mute,
        "mute flags are never touched by solo"
    );
}

/// The pan law at -1, 0 and +1: constant power for mono stems, balance for stereo stems.
#[test]
fn pan_law_values() {
    let h = std::f32::consts::FRAC_1_SQRT_2;
    for (pan, mono, stereo) in [
        (-1.0, (1.0, 0.0), (1.0, 0.0)),
        (0.0, (h, h), (1.0, 1.0)),
        (1.0, (0.0, 1.0), (0.0, 1.0)),
    ] {
        let mp = StripParams {
            pan: Pan(pan),
            ..StripParams::default()
        };
        let mut p = Processor::new(RATE, vec![(mp, mem(vec![dc(100, 1.0)]))], Decibels(0.0));
        let (l, r) = run(&mut p, 100);
        assert!(
            (l[50] - mono.0).abs() < 1e-7 && (r[50] - mono.1).abs() < 1e-7,
            "mono at {pan}: {} {}",
            l[50],
            r[50]
        );
        let mut p = Processor::new(
            RATE,
            vec![(mp, mem(vec![dc(100, 0.5), dc(100, -0.5)]))],
            Decibels(0.0),
        );
        let (l, r) = run(&mut p, 100);
        assert_eq!(
            (l[50], r[50]),
            (0.5 * stereo.0, -0.5 * stereo.1),
            "stereo at {pan}"
        );
    }
    // half right on a stereo stem: left scaled by 0.5
    let mp = StripParams {
        pan: Pan(0.5),
        ..StripParams::default()
    };
    let mut p = Processor::new(
        RATE,
        vec![(mp, mem(vec![dc(100, 1.0), dc(100, 1.0)]))],
        Decibels(0.0),
    );
    let (l, r) = run(&mut p, 100);
    assert_eq!((l[50], r[50]), (0.5, 1.0));
}

/// A burst of fader changes (a held key) never moves the gain by more than the largest change
/// divided by the glide length in one sample: no zipper steps.
#[test]
fn smoothing_is_bounded_per_sample() {
    let mut p = Processor::new(
        RATE,
        vec![(
            params(f64::NEG_INFINITY),
            mem(vec![dc(200_000, 1.0), dc(200_000, 1.0)]),
        )],
        Decibels(0.0),
    );
    let ramp = ramp_frames(RATE) as f32;
    let mut prev = 0.0f32;
    let mut gain = -60.0;
    let mut max_step = 0.0f32;
    // 100 key repeats, one every 64 samples (about 750 per second), 0.5 dB each, then a jump to +12.
    for i in 0..101 {
        gain = if i == 100 { 12.0 } else { gain + 0.5 };
        p.set_gain(StripId(0), Decibels(gain));
        let (l, _) = run(&mut p, 64);
        for x in l {
            max_step = max_step.max((x - prev).abs());
            prev = x;
        }
    }
    // The largest single change was from about -10 dB to +12 dB (< 4.0 in amplitude).
    assert!(
        max_step <= 4.0 / ramp + 1e-6,
        "largest step per sample {max_step}"
    );
    assert!(max_step > 0.0);
}

/// Output does not depend on how the timeline is cut into blocks, commands included: the
/// property that keeps a bounce sample-identical to playback.
fn render_in_blocks(blocks: &[usize], commands: &[(usize, f64)]) -> Vec<f32> {
    let a = signal(6000, 5, 0.7);
    let b = signal(6000, 6, 0.7);
    let mut p = Processor::new(
        RATE,
        vec![
            (params(-3.0), mem(vec![a])),
            (
                StripParams {
                    pan: Pan(0.3),
                    ..params(2.0)
                },
                mem(vec![b.clone(), b]),
            ),
        ],
        Decibels(-1.0),
    );
    let mut out = Vec::new();
    let mut pos = 0;
    let mut cmd = 0;
    for &n in blocks.iter().cycle() {
        if pos >= 6000 {
            break;
        }
        while cmd < commands.len() && commands[cmd].0 <= pos {
            p.set_gain(StripId(cmd % 2), Decibels(commands[cmd].1));
            cmd += 1;
        }
        // A block never straddles a command: cut it at the next command frame.
        let next = commands.get(cmd).map_or(6000, |c| c.0).min(6000);
        let n = n.min(next - pos).max(1);
        let (l, r) = run(&mut p, n);
        for i in 0..n {
            out.push(l[i]);
            out.push(r[i]);
        }
        pos += n;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Any block sizes (1..8192 frames) give bit-identical output to one 6000-frame call.
    #[test]
    fn block_size_does_not_change_output(blocks in prop::collection::vec(1usize..8192, 1..12)) {
        let commands = [(0, -3.0), (700, -20.0), (713, 6.0), (2500, f64::NEG_INFINITY), (4000, 0.0)];
        let reference = render_in_blocks(&[6000], &commands);
        let cut = render_in_blocks(&blocks, &commands);
        prop_assert!(reference.iter().zip(&cut).all(|(a, b)| a.to_bits() == b.to_bits()));
        prop_assert_eq!(reference.len(), cut.len());
    }
}

/// Every operation of the processor, and processing itself, allocates nothing, with in-memory
/// sources and with creek streams reading real files.
#[test]
fn every_operation_is_allocation_free() {
    let dir = tempfile::tempdir().unwrap();
    let mono = dir.path().join("mono.wav");
    let stereo = dir.path().join("stereo.wav");
    write_wav_f32(&mono, RATE, &[signal(96_000, 7, 0.5)]);
    write_wav_f32(
        &stereo,
        RATE,
        &[signal(96_000, 8, 0.5), signal(96_000, 9, 0.5)],
    );
    let mut s1 = StemStream::open(&mono, 0, StreamConfig::PLAYBACK).unwrap();
    let mut s2 = StemStream::open(&stereo, 0, StreamConfig::PLAYBACK).unwrap();
    s1.wait_ready().unwrap();
    s2.wait_ready().unwrap();
    let mut p = Processor::new(
        RATE,
        vec![
            (params(0.0), Box::new(s1) as Box<dyn Source>),
            (params(-3.0), Box::new(s2)),
            (params(-6.0), mem(vec![signal(96_000, 10, 0.5)])),
        ],
        Decibels(0.0),
    );
    let mut l = vec![0.0; 8192];
    let mut r = vec![0.0; 8192];
    assert_realtime("every command and block size", || {
        for (i, n) in [1usize, 64, 256, 1000, 8192, 17].into_iter().enumerate() {
            let id = StripId(i % 3);
            p.set_gain(id, Decibels(-(i as f64)));
            p.set_trim(id, Decibels(1.5));
            p.set_pan(id, Pan(-0.5));
            p.set_mute(id, i % 2 == 0);
            p.set_solo(id, i == 3);
            p.set_master(Decibels(-2.0));
            p.process(&mut l[..n], &mut r[..n], ReadMode::Realtime);
        }
        p.clear_solos();
        p.seek(0);
        p.process(&mut l[..512], &mut r[..512], ReadMode::Realtime);
        p.seek(200_000); // past the end: silence, no allocation
        p.process(&mut l[..512], &mut r[..512], ReadMode::Realtime);
    });
}

/// The allocation checker itself works: an allocation inside a checked section is counted (so
/// the realtime tests above can fail).
#[test]
fn allocation_checker_catches_allocations() {
    assert_no_alloc::reset_violation_count();
    let v = assert_no_alloc::assert_no_alloc(|| std::hint::black_box(vec![1u8; 16]));
    assert!(assert_no_alloc::violation_count() > 0);
    drop(v);
    assert_no_alloc::reset_violation_count();
}
