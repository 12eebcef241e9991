//! Rides and groups in what is heard (issue 20): the bounce against oracles written here from
//! the documented rules (a ride adds its dB, a straight line in dB between points, to the fader
//! after the section scene; a group adds its fader, scene value, mute, pan and ride to each
//! member's), playback against the bounce bit for bit, and the ride commands on the audio
//! thread without allocating.

use std::sync::Arc;

use earmix::engine::processor::Processor;
use earmix::engine::protocol::rings;
use earmix::engine::protocol::{EngineCounters, EngineRings, EngineToUi, Retired, UiToEngine};
use earmix::engine::realtime::RealtimeProcessor;
use earmix::engine::render::{BounceOptions, bounce, render_to_vec};
use earmix::engine::ride::{RideCurve, RideTable};
use earmix::engine::scene::SceneTimeline;
use earmix::engine::source::{MemorySource, ReadMode, Source};
use earmix::engine::strip::StripParams;
use earmix::session::{Group, Ride, RidePoint, Section, Session};
use earmix::units::{Decibels, Pan, Seconds, StripId};

use crate::support::{TempSession, assert_realtime, read_wav, signal, write_wav_f32};

const RATE: u32 = 48_000;
const LEN: usize = 96_000;

fn amp(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// A ride's level at frame `f`, from its points (seconds, dB): straight in dB between them,
/// the first level before the first point and the last after the last.
fn ride_db(points: &[(f64, f64)], f: usize) -> f64 {
    let t = f as f64 / f64::from(RATE);
    let Some(after) = points.iter().position(|p| p.0 > t) else {
        return points.last().map_or(0.0, |p| p.1);
    };
    if after == 0 {
        return points[0].1;
    }
    let (a, b) = (points[after - 1], points[after]);
    a.1 + (b.1 - a.1) * (t - a.0) / (b.0 - a.0)
}

fn ride(target: &str, points: &[(f64, f64)]) -> Ride {
    Ride {
        target: target.into(),
        points: points
            .iter()
            .map(|&(t, db)| RidePoint::new(t, db))
            .collect(),
    }
}

/// The left and right gains of a centred-law mono pan.
fn mono(pan: f64) -> (f64, f64) {
    let t = (pan + 1.0) * std::f64::consts::FRAC_PI_4;
    (t.cos(), t.sin())
}

/// One channel in an oracle: its stem (one or two sides), its pan gains and its fader in dB
/// at each frame (`None`: silent), ride included.
struct Heard {
    data: Vec<Vec<f32>>,
    pan: (f64, f64),
    level: Box<dyn Fn(usize) -> Option<f64>>,
}

/// The mix the oracle hears, with the master fader.
fn mix(channels: &[Heard], master_db: f64) -> [Vec<f64>; 2] {
    let mut out = [vec![0.0; LEN], vec![0.0; LEN]];
    for ch in channels {
        let right = ch.data.get(1).unwrap_or(&ch.data[0]);
        for f in 0..LEN {
            let Some(db) = (ch.level)(f) else { continue };
            let g = amp(db);
            out[0][f] += f64::from(ch.data[0][f]) * g * ch.pan.0;
            out[1][f] += f64::from(right[f]) * g * ch.pan.1;
        }
    }
    for side in &mut out {
        for x in side.iter_mut() {
            *x *= amp(master_db);
        }
    }
    out
}

fn assert_matches(got: &[Vec<f32>], want: &[Vec<f64>; 2], tolerance: f64) {
    assert_eq!(got[0].len(), LEN);
    for side in 0..2 {
        for f in 0..LEN {
            let (g, w) = (f64::from(got[side][f]), want[side][f]);
            assert!(
                (g - w).abs() <= tolerance,
                "side {side} frame {f}: bounce {g} oracle {w}"
            );
        }
    }
}

fn bounced(session: &Session, ts: &TempSession) -> Vec<Vec<f32>> {
    let out = ts.path("mix.wav");
    bounce(session, &out, &BounceOptions::default(), &mut |_, _| {}).unwrap();
    read_wav(&out).1
}

const A_RIDE: [(f64, f64); 5] = [
    (0.25, 0.0),
    (0.5, 4.0),
    (1.0, -6.0),
    (1.25, -6.0),
    (1.5, 2.0),
];

/// Three channels: A (mono, left of centre, a section scene value from 0.75 s), B (stereo, no
/// ride) and C (mono, muted).
fn ride_session(ts: &TempSession) -> Session {
    write_wav_f32(&ts.path("a.wav"), RATE, &[signal(LEN, 41, 0.5)]);
    write_wav_f32(
        &ts.path("b.wav"),
        RATE,
        &[signal(LEN, 42, 0.3), signal(LEN, 43, 0.3)],
    );
    write_wav_f32(&ts.path("c.wav"), RATE, &[signal(LEN, 44, 0.4)]);
    let path = ts.write_session(
        r#"version = 1
name = "Rides"
master_db = -2.0

[[channel]]
name = "A"
file = "a.wav"
gain_db = -3.0
pan = -0.5

[[channel]]
name = "B"
file = "b.wav"
gain_db = -1.0

[[channel]]
name = "C"
file = "c.wav"
mute = true

[[section]]
name = "Intro"
start = 0.0

[[section]]
name = "Verse"
start = 0.75
ramp_ms = 0
gain_db = { A = 1.5 }
"#,
    );
    let mut session = earmix::session::load(&path).unwrap();
    session.rides = vec![ride("A", &A_RIDE), ride("C", &[(0.5, 6.0)])];
    session
}

/// The bounce of a ride with several points (rising, falling, flat, rising again) on a channel
/// whose fader a section scene changes equals the ride added in dB to the scene's fader, frame
/// by frame, within 1e-5; a ride on a muted channel stays silent, and the channels without a
/// ride are mixed exactly as without rides.
#[test]
fn bounce_with_rides_matches_the_oracle() {
    let ts = TempSession::new();
    let session = ride_session(&ts);
    let got = bounced(&session, &ts);
    let (_, a) = read_wav(&ts.path("a.wav"));
    let (_, b) = read_wav(&ts.path("b.wav"));
    let want = mix(
        &[
            Heard {
                data: a,
                pan: mono(-0.5),
                level: Box::new(|f| {
                    let fader = if f >= 36_000 { 1.5 } else { -3.0 };
                    Some(fader + ride_db(&A_RIDE, f))
                }),
            },
            Heard {
                data: b,
                pan: (1.0, 1.0),
                level: Box::new(|_| Some(-1.0)),
            },
        ],
        -2.0,
    );
    assert_matches(&got, &want, 1e-5);
    // The ride is heard: 4 dB up at 0.5 s is far from the fader alone.
    let at = 24_000;
    let plain = want[0][at] / amp(4.0);
    assert!((f64::from(got[0][at]) - plain).abs() > 1e-3);

    // A ride on the muted channel alone changes nothing, bit for bit.
    let mut muted_only = session.clone();
    muted_only.rides.retain(|r| r.target == "C");
    let mut none = session.clone();
    none.rides.clear();
    let (ml, mr) = render_to_vec(&muted_only, 0, LEN as u64).unwrap();
    let (nl, nr) = render_to_vec(&none, 0, LEN as u64).unwrap();
    assert!(same(&ml, &nl) && same(&mr, &nr));
}

const BAND_RIDE: [(f64, f64); 3] = [(0.2, 0.0), (0.8, -6.0), (1.6, 3.0)];
const B_RIDE: [(f64, f64); 2] = [(0.5, 0.0), (1.2, 4.0)];

fn section(name: &str, start: f64, ramp_ms: u32, gain: &[(&str, f64)], mute: &[&str]) -> Section {
    Section {
        name: name.into(),
        start: Seconds(start),
        gain_db: gain
            .iter()
            .map(|&(n, db)| (n.to_string(), Decibels(db)))
            .collect(),
        mute: mute.iter().map(|&n| n.to_string()).collect(),
        ramp_ms: Some(ramp_ms),
    }
}

/// Four channels in three groups: A and B in "Drums" (-4 dB), B and C in "Band" (+2 dB, pan
/// +0.3, a ride), D alone in the muted "Quiet". B has a ride of its own too. "Break" (1.0 s)
/// sets Drums to -10 dB; "End" (1.5 s) mutes Drums. Scenes glide over `ramp_ms`.
fn group_session(ts: &TempSession, ramp_ms: u32) -> Session {
    write_wav_f32(&ts.path("a.wav"), RATE, &[signal(LEN, 51, 0.4)]);
    write_wav_f32(&ts.path("b.wav"), RATE, &[signal(LEN, 52, 0.4)]);
    write_wav_f32(
        &ts.path("c.wav"),
        RATE,
        &[signal(LEN, 53, 0.3), signal(LEN, 54, 0.3)],
    );
    write_wav_f32(&ts.path("d.wav"), RATE, &[signal(LEN, 55, 0.5)]);
    let path = ts.write_session(
        r#"version = 1
name = "Groups"
master_db = -1.0

[[channel]]
name = "A"
file = "a.wav"
gain_db = -3.0

[[channel]]
name = "B"
file = "b.wav"

[[channel]]
name = "C"
file = "c.wav"
gain_db = -6.0

[[channel]]
name = "D"
file = "d.wav"
"#,
    );
    let mut session = earmix::session::load(&path).unwrap();
    let mut drums = Group::new("Drums", vec!["A".into(), "B".into()]);
    drums.gain_db = Decibels(-4.0);
    let mut band = Group::new("Band", vec!["B".into(), "C".into()]);
    band.gain_db = Decibels(2.0);
    band.pan = Pan(0.3);
    let mut quiet = Group::new("Quiet", vec!["D".into()]);
    quiet.mute = true;
    session.groups = vec![drums, band, quiet];
    session.rides = vec![ride("Band", &BAND_RIDE), ride("B", &B_RIDE)];
    session.sections = vec![
        section("Top", 0.0, ramp_ms, &[], &[]),
        section("Break", 1.0, ramp_ms, &[("Drums", -10.0)], &[]),
        section("End", 1.5, ramp_ms, &[], &["Drums"]),
    ];
    session
}

/// The bounce of channels in groups equals the oracle: a member plays its fader plus its
/// groups' (a channel in two groups adds both), a group's pan adds to the member's, a muted
/// group silences its member, a group's scene value in a section replaces the group fader
/// there and a group's scene mute mutes its members, and a group's ride adds to each member's
/// own ride.
#[test]
fn bounce_with_groups_matches_the_oracle() {
    let ts = TempSession::new();
    let session = group_session(&ts, 0);
    let got = bounced(&session, &ts);
    let stem = |name: &str| read_wav(&ts.path(name)).1;
    // Frames: Break from 48 000, End from 72 000.
    let want = mix(
        &[
            Heard {
                data: stem("a.wav"),
                pan: mono(0.0),
                level: Box::new(|f| match f {
                    ..48_000 => Some(-3.0 - 4.0),
                    48_000..72_000 => Some(-3.0 - 10.0),
                    _ => None,
                }),
            },
            Heard {
                data: stem("b.wav"),
                pan: mono(0.3),
                level: Box::new(|f| {
                    let ride = ride_db(&BAND_RIDE, f) + ride_db(&B_RIDE, f);
                    match f {
                        ..48_000 => Some(-4.0 + 2.0 + ride),
                        48_000..72_000 => Some(-10.0 + 2.0 + ride),
                        _ => None,
                    }
                }),
            },
            Heard {
                data: stem("c.wav"),
                pan: (0.7, 1.0),
                level: Box::new(|f| Some(-6.0 + 2.0 + ride_db(&BAND_RIDE, f))),
            },
        ],
        -1.0,
    );
    assert_matches(&got, &want, 1e-5);
}

fn same(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// A realtime processor over the session's stems held in memory, with what the session says
/// each strip is heard at (groups, scenes and rides counted), as the console opens it.
fn realtime_rig(session: &Session, ts: &TempSession) -> (RealtimeProcessor, EngineRings) {
    let strips = session
        .channels
        .iter()
        .enumerate()
        .map(|(i, channel)| {
            let heard = session.heard_levels(i).unwrap();
            let params = StripParams {
                trim: channel.trim_db,
                gain: heard.gain,
                pan: heard.pan,
                mute: heard.mute,
                solo: heard.solo,
            };
            let data = read_wav(&ts.path(&channel.file.to_string_lossy())).1;
            (params, Box::new(MemorySource::new(data)) as Box<dyn Source>)
        })
        .collect();
    let mut p = Processor::new(RATE, strips, session.master_db);
    drop(p.set_scenes(Box::new(SceneTimeline::for_session(session, RATE))));
    drop(p.set_rides(Box::new(RideTable::for_session(session, RATE))));
    p.seek(0);
    let (ui, audio) = rings(RATE);
    let counters = Arc::new(EngineCounters::default());
    (
        RealtimeProcessor::new(p, LEN as u64, true, audio, counters),
        ui,
    )
}

/// Renders the whole session in blocks of the given sizes (cycled), allocating nothing.
fn play(rt: &mut RealtimeProcessor, ui: &mut EngineRings, blocks: &[usize]) -> [Vec<f32>; 2] {
    let mut l = vec![0.0; LEN];
    let mut r = vec![0.0; LEN];
    assert_realtime("playing rides", || {
        let mut done = 0;
        for &block in blocks.iter().cycle() {
            if done == LEN {
                break;
            }
            let n = block.min(LEN - done);
            rt.render_block(&mut l[done..done + n], &mut r[done..done + n]);
            done += n;
        }
    });
    while ui.master.pop().is_ok() {}
    [l, r]
}

/// Playback through rides (a channel's and a group's, summed) and group scene changes (a group
/// fader value and a group mute, gliding over 120 ms) equals the bounce bit for bit in blocks
/// of 1, 7, 64, 256 and 1024 frames and in blocks cut at random, with nothing allocated.
#[test]
fn playback_through_rides_and_group_scenes_equals_the_bounce() {
    let ts = TempSession::new();
    let session = group_session(&ts, 120);
    let (want_l, want_r) = render_to_vec(&session, 0, LEN as u64).unwrap();
    let mut state = 0x2545_f491_u32;
    let random: Vec<usize> = (0..4000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            1 + (state % 1500) as usize
        })
        .collect();
    let sizes: [&[usize]; 6] = [&[1], &[7], &[64], &[256], &[1024], &random];
    for blocks in sizes {
        let (mut rt, mut ui) = realtime_rig(&session, &ts);
        let [l, r] = play(&mut rt, &mut ui, blocks);
        assert!(
            same(&l, &want_l) && same(&r, &want_r),
            "blocks {:?}",
            &blocks[..blocks.len().min(3)]
        );
    }
}

/// New rides sent while playing are heard from the next block exactly as a bounce with them
/// from the start has them, and the old table comes back to the UI thread; holding a strip's
/// ride at -6 dB glides there in 10 ms and then plays the strip exactly as a -6 dB fader would,
/// and letting go glides back onto the ride in 10 ms; nothing allocates on the way.
#[test]
fn set_rides_and_hold_ride_are_realtime_safe_and_heard() {
    let ts = TempSession::new();
    let session = ride_session(&ts);
    let mut plain = session.clone();
    plain.rides.clear();
    let (ridden_l, _) = render_to_vec(&session, 0, LEN as u64).unwrap();
    let (plain_l, _) = render_to_vec(&plain, 0, LEN as u64).unwrap();
    let (mut rt, mut ui) = realtime_rig(&plain, &ts);
    let send = |ui: &mut EngineRings, c: UiToEngine| ui.to_engine.push(c).unwrap();
    let block = |rt: &mut RealtimeProcessor, ui: &mut EngineRings, n: usize| {
        let mut l = vec![0.0; n];
        let mut r = vec![0.0; n];
        assert_realtime("ride commands", || rt.render_block(&mut l, &mut r));
        while ui.master.pop().is_ok() {}
        l
    };
    let l = block(&mut rt, &mut ui, 20_000);
    assert!(same(&l, &plain_l[..20_000]));
    send(
        &mut ui,
        UiToEngine::SetRides(Box::new(RideTable::for_session(&session, RATE))),
    );
    let l = block(&mut rt, &mut ui, 20_000);
    assert!(same(&l, &ridden_l[20_000..40_000]), "the new rides");
    let retired = std::iter::from_fn(|| ui.from_engine.pop().ok())
        .filter(|e| matches!(e, EngineToUi::Retire(Retired::Rides(_))))
        .count();
    assert_eq!(retired, 1);

    // Hold B (no ride) at -6 dB: after 10 ms it is a -6 dB fader on B.
    let mut held = session.clone();
    held.channels[1].gain_db = Decibels(-1.0 - 6.0);
    let (held_l, _) = render_to_vec(&held, 0, LEN as u64).unwrap();
    send(
        &mut ui,
        UiToEngine::HoldRide(StripId(1), Some(Decibels(-6.0))),
    );
    let l = block(&mut rt, &mut ui, 10_000);
    assert!(!same(&l[..480], &held_l[40_000..40_480]), "a glide");
    let close = l[480..]
        .iter()
        .zip(&held_l[40_480..50_000])
        .all(|(a, b)| (a - b).abs() <= 1e-6);
    assert!(close, "held at -6 dB");
    send(&mut ui, UiToEngine::HoldRide(StripId(1), None));
    let l = block(&mut rt, &mut ui, 10_000);
    assert!(
        same(&l[480..], &ridden_l[50_480..60_000]),
        "back on the ride"
    );
    send(
        &mut ui,
        UiToEngine::HoldRide(StripId(0), Some(Decibels(0.0))),
    );
    send(
        &mut ui,
        UiToEngine::HoldRide(StripId(7), Some(Decibels(0.0))),
    );
    let l = block(&mut rt, &mut ui, 10_000);
    let mut a_flat = session.clone();
    a_flat.rides.retain(|r| r.target != "A");
    let (flat_l, _) = render_to_vec(&a_flat, 0, LEN as u64).unwrap();
    let close = l[480..]
        .iter()
        .zip(&flat_l[60_480..70_000])
        .all(|(a, b)| (a - b).abs() <= 1e-6);
    assert!(close, "A held at 0 dB plays without its ride");
}

/// Only the strips with a ride are touched: a table with one curve leaves the others'
/// samples exactly as without rides (the processor's own path, no transport).
#[test]
fn a_ride_touches_only_its_strip() {
    let data = |seed| vec![signal(LEN, seed, 0.5)];
    let processor = |rides: Option<RideTable>| {
        let strips = [61, 62]
            .into_iter()
            .map(|seed| {
                (
                    StripParams::default(),
                    Box::new(MemorySource::new(data(seed))) as Box<dyn Source>,
                )
            })
            .collect();
        let mut p = Processor::new(RATE, strips, Decibels(0.0));
        if let Some(rides) = rides {
            drop(p.set_rides(Box::new(rides)));
        }
        p
    };
    let run = |mut p: Processor, tapped: usize| {
        let mut taps = earmix::engine::processor::StripTaps::new(2, 4096);
        let (mut l, mut r) = (vec![0.0; 4096], vec![0.0; 4096]);
        p.process_tapped(&mut l, &mut r, ReadMode::Blocking, &mut taps);
        taps.left(tapped).to_vec()
    };
    let curve = RideCurve::from_frames(&[(100, 0.0), (3000, -12.0)]);
    let table = || RideTable::new(vec![None, curve.clone()]);
    assert!(same(
        &run(processor(None), 0),
        &run(processor(Some(table())), 0)
    ));
    assert!(!same(
        &run(processor(None), 1),
        &run(processor(Some(table())), 1)
    ));
}

/// Runs `program` (from Debian package `package`) with `args` and checks it succeeded.
fn run(program: &str, package: &str, args: &[&std::ffi::OsStr]) {
    let status = std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{program} (Debian package {package}): {e}"));
    assert!(status.success(), "{program} {args:?} failed");
}

/// Rides over stems made by other programs: a FLAC by `flac` and an MP3 by `lame` from one
/// 16-bit WAV made by sox. The bounce with a ride equals the ride applied, frame by frame, to
/// the stem as the engine decodes it (its encoder delay removed, see `gapless`), within 1e-5;
/// and the FLAC, being lossless, bounces exactly as its WAV does.
#[test]
fn rides_over_flac_and_mp3_stems_match_the_oracle() {
    use earmix::engine::source::{MAX_BLOCK, StemBuffer};
    use earmix::engine::streams::{StreamConfig, open_stem};
    use std::ffi::OsStr;

    let ts = TempSession::new();
    let wav = ts.path("noise.wav");
    let seconds = (LEN as f64 / f64::from(RATE)).to_string();
    run(
        "sox",
        "sox",
        &["-R", "-n", "-b", "16", "-r", "48000", "-c", "2"]
            .map(OsStr::new)
            .into_iter()
            .chain([wav.as_os_str()])
            .chain(["synth", &seconds, "pinknoise", "vol", "0.4"].map(OsStr::new))
            .collect::<Vec<_>>(),
    );
    let flac = ts.path("noise.flac");
    run(
        "flac",
        "flac",
        &[OsStr::new("--silent"), OsStr::new("-f"), OsStr::new("-o")]
            .into_iter()
            .chain([flac.as_os_str(), wav.as_os_str()])
            .collect::<Vec<_>>(),
    );
    let mp3 = ts.path("noise.mp3");
    run(
        "lame",
        "lame",
        &[OsStr::new("--quiet"), wav.as_os_str(), mp3.as_os_str()],
    );
    let session_on = |file: &str| {
        let path = ts.write_session(&format!(
            "version = 1\nname = \"Decoded\"\n\n[[channel]]\nname = \"Noise\"\nfile = \"{file}\"\n"
        ));
        let mut session = earmix::session::load(&path).unwrap();
        session.rides = vec![ride("Noise", &A_RIDE)];
        session
    };
    let mut bounces = Vec::new();
    for file in ["noise.flac", "noise.mp3", "noise.wav"] {
        let session = session_on(file);
        let got = bounced(&session, &ts);
        let mut stream = open_stem(&ts.path(file), RATE, 0, &[], StreamConfig::BOUNCE).unwrap();
        stream.wait_ready().unwrap();
        let mut buffer = StemBuffer::new(2);
        let mut data = vec![Vec::with_capacity(LEN), Vec::with_capacity(LEN)];
        let mut done = 0;
        while done < LEN {
            let n = (LEN - done).min(MAX_BLOCK);
            stream.read(n, &mut buffer, ReadMode::Blocking);
            for (ch, side) in data.iter_mut().enumerate() {
                side.extend_from_slice(buffer.channel(ch, n));
            }
            done += n;
        }
        let want = mix(
            &[Heard {
                data,
                pan: (1.0, 1.0),
                level: Box::new(|f| Some(ride_db(&A_RIDE, f))),
            }],
            0.0,
        );
        assert_matches(&got, &want, 1e-5);
        bounces.push(got);
    }
    assert!(
        same(&bounces[0][0], &bounces[2][0]) && same(&bounces[0][1], &bounces[2][1]),
        "the FLAC bounces as its WAV"
    );
    assert!(!same(&bounces[1][0], &bounces[2][0]), "the MP3 is lossy");
}
