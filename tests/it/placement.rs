//! Where stems sit in the song: a channel's `start` (silence before it) and split-stereo
//! channels (two mono files, one stereo strip), in the bounce, in realtime playback and in the
//! report, against oracles computed here from the files.

use std::sync::Arc;

use earmix::analysis::report;
use earmix::engine::meter::MeterBank;
use earmix::engine::processor::Processor;
use earmix::engine::protocol::{EngineCounters, UiToEngine, rings};
use earmix::engine::realtime::RealtimeProcessor;
use earmix::engine::render::{BounceOptions, bounce};
use earmix::engine::streams::StreamConfig;
use earmix::units::Pan;

use crate::support::{TempSession, assert_realtime, read_wav, signal, write_wav_f32};

const RATE: u32 = 48_000;
/// 1.5 s at 48 kHz.
const START: usize = 72_000;

fn db(x: f64) -> f64 {
    10f64.powf(x / 20.0)
}

/// A mono stem over the first 2 s, and a stereo stem of 1 s that starts at 1.5 s: the song
/// lasts 2.5 s.
fn started_session(ts: &TempSession) -> std::path::PathBuf {
    write_wav_f32(&ts.path("stems/bed.wav"), RATE, &[signal(96_000, 51, 0.4)]);
    write_wav_f32(
        &ts.path("stems/late.wav"),
        RATE,
        &[signal(48_000, 52, 0.5), signal(48_000, 53, 0.5)],
    );
    ts.write_session(
        r#"version = 1
name = "Late entry"
sample_rate = 48000
master_db = -1.0

[[channel]]
name = "Bed"
file = "stems/bed.wav"
gain_db = -3.0
pan = -0.4

[[channel]]
name = "Late"
file = "stems/late.wav"
start = 1.5
gain_db = 2.0
pan = 0.3

[[section]]
name = "A"
start = 0

[[section]]
name = "B"
start = 1.0
"#,
    )
}

/// The started session mixed here in f64 from the files: Bed from frame 0 (mono pan law), Late
/// from frame `START` (stereo balance), master on top.
fn started_oracle(ts: &TempSession) -> [Vec<f64>; 2] {
    let frames = START + 48_000;
    let mut out = [vec![0.0f64; frames], vec![0.0f64; frames]];
    let (_, bed) = read_wav(&ts.path("stems/bed.wav"));
    let (bl, br) = Pan(-0.4).mono_gains();
    for (i, x) in bed[0].iter().enumerate() {
        let x = f64::from(*x) * db(-3.0);
        out[0][i] += x * f64::from(bl);
        out[1][i] += x * f64::from(br);
    }
    let (_, late) = read_wav(&ts.path("stems/late.wav"));
    // Stereo balance at +0.3: the left side down to 0.7, the right untouched.
    let (gl, gr) = (0.7, 1.0);
    for i in 0..late[0].len() {
        out[0][START + i] += f64::from(late[0][i]) * db(2.0) * gl;
        out[1][START + i] += f64::from(late[1][i]) * db(2.0) * gr;
    }
    for side in &mut out {
        for x in side.iter_mut() {
            *x *= db(-1.0);
        }
    }
    out
}

fn assert_near(what: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (f64::from(*g) - w).abs() <= 1e-6,
            "{what} frame {i}: bounce {g} oracle {w}"
        );
    }
}

/// A stem with `start = 1.5` bounces to silence for exactly 72,000 frames and then the stem:
/// the float bounce equals the oracle (the files summed here with the stem shifted by 72,000
/// frames) within 1e-6 on every frame, and with the other channel muted it is exactly zero up
/// to frame 71,999 and sounding at 72,000.
#[test]
fn a_started_stem_bounces_to_silence_then_the_stem() {
    let ts = TempSession::new();
    let path = started_session(&ts);
    let session = earmix::session::load(&path).unwrap();
    let out = ts.path("mix.wav");
    let report = bounce(&session, &out, &BounceOptions::default(), &mut |_, _| {}).unwrap();
    assert_eq!(report.frames, (START + 48_000) as u64);
    let (_, got) = read_wav(&out);
    let want = started_oracle(&ts);
    assert_near("left", &got[0], &want[0]);
    assert_near("right", &got[1], &want[1]);

    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("pan = -0.4", "pan = -0.4\nmute = true");
    std::fs::write(&path, text).unwrap();
    let session = earmix::session::load(&path).unwrap();
    bounce(&session, &out, &BounceOptions::default(), &mut |_, _| {}).unwrap();
    let (_, got) = read_wav(&out);
    for side in &got {
        assert!(side[..START].iter().all(|x| *x == 0.0), "silence before");
    }
    assert!(
        got[0][START] != 0.0 && got[1][START] != 0.0,
        "the stem at 1.5 s"
    );
}

/// A bounce from inside the silence before a started stem, and one from inside the stem, equal
/// the same stretch of the whole bounce bit for bit, and of the oracle.
#[test]
fn a_partial_bounce_places_the_stem_too() {
    let ts = TempSession::new();
    let path = started_session(&ts);
    let session = earmix::session::load(&path).unwrap();
    let whole = ts.path("whole.wav");
    bounce(&session, &whole, &BounceOptions::default(), &mut |_, _| {}).unwrap();
    let (_, whole) = read_wav(&whole);
    let want = started_oracle(&ts);
    for from in [1.0, 2.0] {
        let out = ts.path("part.wav");
        let opts = BounceOptions {
            from: Some(earmix::units::Seconds(from)),
            ..BounceOptions::default()
        };
        bounce(&session, &out, &opts, &mut |_, _| {}).unwrap();
        let (_, part) = read_wav(&out);
        let at = (from * f64::from(RATE)) as usize;
        for side in 0..2 {
            assert_eq!(
                part[side][..],
                whole[side][at..],
                "from {from} s, side {side}"
            );
            assert_near(&format!("from {from} s"), &part[side], &want[side][at..]);
        }
    }
}

/// Plays `session` on the realtime processor (no device, under the allocation checker) from
/// frame 0 with the given seeks: each `(after, to)` plays `after` frames and then seeks to `to`;
/// `tail` frames are played after the last seek. Returns, for each stretch played, where it
/// started on the timeline and what was heard from there, with any silence held while stems
/// loaded after a jump cut off (it is checked to be silence).
fn play_with_seeks(
    session: &earmix::session::Session,
    caches: &[u64],
    seeks: &[(usize, u64)],
    tail: usize,
) -> Vec<(u64, [Vec<f32>; 2])> {
    let mut p = Processor::for_session(session, RATE, 0, caches, StreamConfig::PLAYBACK).unwrap();
    p.wait_ready().unwrap();
    p.attach_meters(Arc::new(MeterBank::new(p.strip_count())));
    let (mut ui, audio) = rings(RATE);
    let counters = Arc::new(EngineCounters::default());
    let end = session.length_frames;
    let mut rt = RealtimeProcessor::new(p, end, true, audio, Arc::clone(&counters));
    let playhead = || counters.playhead.load(std::sync::atomic::Ordering::Relaxed);
    let mut heard = Vec::new();
    let mut from = 0u64;
    let stretches = seeks
        .iter()
        .map(|&(after, to)| (after, Some(to)))
        .chain([(tail, None)]);
    for (frames, next) in stretches {
        let mut l = vec![0.0; frames];
        let mut r = vec![0.0; frames];
        assert_realtime("playing", || {
            for (bl, br) in l.chunks_mut(256).zip(r.chunks_mut(256)) {
                rt.render_block(bl, br);
            }
        });
        // Frames the transport held (silence) while the stems loaded after the jump.
        let held = frames - (playhead() - from) as usize;
        assert!(l[..held].iter().chain(&r[..held]).all(|x| *x == 0.0));
        heard.push((from, [l[held..].to_vec(), r[held..].to_vec()]));
        while ui.master.pop().is_ok() {}
        if let Some(to) = next {
            ui.to_engine.push(UiToEngine::Seek(to)).unwrap();
            from = to;
        }
    }
    heard
}

/// Checks that each run of [`play_with_seeks`] is, from where it started, the bounce `want` bit
/// for bit and the `oracle` within [`assert_near`]'s tolerance.
fn assert_heard_is_the_bounce(
    heard: Vec<(u64, [Vec<f32>; 2])>,
    want: &[Vec<f32>],
    oracle: &[Vec<f64>],
) {
    for (from, [l, r]) in heard {
        let at = from as usize;
        let n = l.len();
        assert!(n > 0, "something played from {from}");
        assert_eq!(l[..], want[0][at..at + n], "left from frame {from}");
        assert_eq!(r[..], want[1][at..at + n], "right from frame {from}");
        assert_near("left", &l, &oracle[0][at..at + n]);
        assert_near("right", &r, &oracle[1][at..at + n]);
    }
}

/// Realtime playback of a session with a started stem equals its bounce bit for bit, and the
/// oracle: from the top across the stem's start, after a seek to a point before the start
/// (silence, then the stem from its first frame) and after a seek to a point inside the stem.
#[test]
fn realtime_with_a_started_stem_equals_the_bounce_across_seeks() {
    let ts = TempSession::new();
    let path = started_session(&ts);
    let session = earmix::session::load(&path).unwrap();
    let out = ts.path("mix.wav");
    bounce(&session, &out, &BounceOptions::default(), &mut |_, _| {}).unwrap();
    let (_, want) = read_wav(&out);
    // Jump targets cached, so the jumps play at once (the processor holds otherwise; either way
    // what is heard from the target on must be the bounce).
    let heard = play_with_seeks(
        &session,
        &[0, 48_000, 96_000],
        &[(80_000, 48_000), (40_000, 96_000)],
        24_000,
    );
    assert_eq!(heard.len(), 3);
    let oracle = started_oracle(&ts);
    assert_heard_is_the_bounce(heard, &want, &oracle);
}

/// `earmix report` measures a started stem in the sections where it plays: Late, starting at
/// 1.5 s, is silent in section A (0-1 s) and measured in B exactly as the same stem with its
/// leading silence written into the file.
#[test]
fn the_report_measures_a_started_stem_where_it_plays() {
    let ts = TempSession::new();
    let path = started_session(&ts);
    let session = earmix::session::load(&path).unwrap();
    let placed = report::measure(&session, &mut |_, _| {}).unwrap();

    // The same song with the silence in the file instead.
    let (_, late) = read_wav(&ts.path("stems/late.wav"));
    let padded: Vec<Vec<f32>> = late
        .iter()
        .map(|side| {
            std::iter::repeat_n(0.0, START)
                .chain(side.iter().copied())
                .collect()
        })
        .collect();
    write_wav_f32(&ts.path("stems/late-padded.wav"), RATE, &padded);
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "file = \"stems/late.wav\"\nstart = 1.5",
        "file = \"stems/late-padded.wav\"",
    );
    let baked_path = ts.path("baked.toml");
    std::fs::write(&baked_path, text).unwrap();
    let baked = earmix::session::load(&baked_path).unwrap();
    let baked = report::measure(&baked, &mut |_, _| {}).unwrap();

    let names: Vec<&str> = placed.spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    let a = &placed.spans[0].channels[1].measures;
    assert_eq!(
        (a.integrated_lufs, a.sample_peak_dbfs),
        (None, None),
        "{a:?}"
    );
    for (got, want) in placed.spans.iter().zip(&baked.spans) {
        assert_eq!(
            got.channels[1].measures, want.channels[1].measures,
            "{}",
            got.name
        );
        assert_eq!(got.mix, want.mix, "{}", got.name);
    }
    let b = &placed.spans[1].channels[1].measures;
    assert!(b.integrated_lufs.is_some(), "{b:?}");
}

/// A session with a split-stereo piano (two mono files of different lengths: the right one is
/// shorter) panned right, a stereo-less bed, and the piano placed at 0.5 s.
fn split_session(ts: &TempSession, pan: f64, start: &str) -> std::path::PathBuf {
    write_wav_f32(&ts.path("stems/bed.wav"), RATE, &[signal(96_000, 61, 0.3)]);
    write_wav_f32(
        &ts.path("stems/Piano L.wav"),
        RATE,
        &[signal(60_000, 62, 0.5)],
    );
    write_wav_f32(
        &ts.path("stems/Piano R.wav"),
        RATE,
        &[signal(40_000, 63, 0.5)],
    );
    ts.write_session(&format!(
        r#"version = 1
name = "Split"
sample_rate = 48000

[[channel]]
name = "Bed"
file = "stems/bed.wav"
gain_db = -6.0

[[channel]]
name = "Piano"
file = ["stems/Piano L.wav", "stems/Piano R.wav"]
gain_db = -1.0
pan = {pan}
{start}
"#
    ))
}

/// The split piano mixed here: the left file on the left only and the right file on the right
/// only, with the stereo balance (`pan`) and fader, from `at` frames; the bed in the middle.
fn split_oracle(ts: &TempSession, pan: f64, at: usize, frames: usize) -> [Vec<f64>; 2] {
    let mut out = [vec![0.0f64; frames], vec![0.0f64; frames]];
    let (_, bed) = read_wav(&ts.path("stems/bed.wav"));
    let (bl, br) = Pan(0.0).mono_gains();
    for (i, x) in bed[0].iter().enumerate() {
        out[0][i] += f64::from(*x) * db(-6.0) * f64::from(bl);
        out[1][i] += f64::from(*x) * db(-6.0) * f64::from(br);
    }
    let (gl, gr) = if pan > 0.0 {
        (1.0 - pan, 1.0)
    } else {
        (1.0, 1.0 + pan)
    };
    let (_, left) = read_wav(&ts.path("stems/Piano L.wav"));
    let (_, right) = read_wav(&ts.path("stems/Piano R.wav"));
    for (i, x) in left[0].iter().enumerate() {
        out[0][at + i] += f64::from(*x) * db(-1.0) * gl;
    }
    for (i, x) in right[0].iter().enumerate() {
        out[1][at + i] += f64::from(*x) * db(-1.0) * gr;
    }
    out
}

/// A split-stereo channel bounces its first file on the left only and its second on the right
/// only, with the stereo balance law as for a stereo stem; the shorter file is silent after its
/// end; placed with `start`, both files start there. Equal to the oracle within 1e-6.
#[test]
fn a_split_stereo_channel_bounces_left_and_right_files_to_their_sides() {
    for (pan, start, at) in [(0.0, "", 0), (0.4, "start = 0.5", 24_000), (-0.7, "", 0)] {
        let ts = TempSession::new();
        let path = split_session(&ts, pan, start);
        let session = earmix::session::load(&path).unwrap();
        assert_eq!(session.stems[1].channels, 2);
        let out = ts.path("mix.wav");
        let report = bounce(&session, &out, &BounceOptions::default(), &mut |_, _| {}).unwrap();
        let frames = 96_000.max(at + 60_000);
        assert_eq!(report.frames, frames as u64, "pan {pan} {start}");
        let (_, got) = read_wav(&out);
        let want = split_oracle(&ts, pan, at, frames);
        assert_near(&format!("left, pan {pan} {start}"), &got[0], &want[0]);
        assert_near(&format!("right, pan {pan} {start}"), &got[1], &want[1]);
    }
}

/// Realtime playback of a split-stereo channel placed at 0.5 s equals its bounce bit for bit,
/// from the top and after seeks before the start and inside it, past the shorter file's end.
#[test]
fn realtime_with_a_split_stereo_channel_equals_the_bounce() {
    let ts = TempSession::new();
    let path = split_session(&ts, 0.4, "start = 0.5");
    let session = earmix::session::load(&path).unwrap();
    let out = ts.path("mix.wav");
    bounce(&session, &out, &BounceOptions::default(), &mut |_, _| {}).unwrap();
    let (_, want) = read_wav(&out);
    let oracle = split_oracle(&ts, 0.4, 24_000, 96_000);
    let heard = play_with_seeks(
        &session,
        &[0, 12_000, 48_000],
        &[(30_000, 12_000), (20_000, 48_000)],
        40_000,
    );
    assert_heard_is_the_bounce(heard, &want, &oracle);
}

/// `earmix check` on a split-stereo channel whose files are not both mono at one rate, or that
/// names other than two files, says so for each file, with the file, line, column, key and
/// value; a good one is summed up as one stereo channel naming both files.
#[test]
fn split_stereo_files_are_checked() {
    let ts = TempSession::new();
    write_wav_f32(&ts.path("L.wav"), RATE, &[signal(1_000, 1, 0.5)]);
    write_wav_f32(&ts.path("R.wav"), RATE, &[signal(2_000, 2, 0.5)]);
    write_wav_f32(&ts.path("R44.wav"), 44_100, &[signal(1_000, 3, 0.5)]);
    write_wav_f32(
        &ts.path("stereo.wav"),
        RATE,
        &[signal(1_000, 4, 0.5), signal(1_000, 5, 0.5)],
    );
    let check = |channel_lines: &str| {
        let path = ts.write_session(&format!(
            "version = 1\nname = \"S\"\n[[channel]]\nname = \"P\"\n{channel_lines}\n"
        ));
        let out = crate::support::earmix()
            .arg("check")
            .arg(&path)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text, path.display().to_string())
    };
    let (ok, text, _) = check("file = [\"L.wav\", \"R.wav\"]");
    assert!(ok, "{text}");
    assert!(
        text.contains("L.wav + R.wav (split stereo: left + right)"),
        "{text}"
    );

    let (ok, text, file) = check("file = [\"stereo.wav\", \"R44.wav\"]");
    assert!(!ok, "{text}");
    assert!(
        text.contains(&format!(
            "{file}:5:9: channel[1].file = \"stereo.wav\": the left file of a split-stereo \
             channel must be mono; this one has 2 channels"
        )),
        "{text}"
    );
    let (ok, text, file) = check("file = [\"L.wav\", \"R44.wav\"]");
    assert!(!ok, "{text}");
    assert!(
        text.contains(&format!(
            "{file}:5:18: channel[1].file = \"R44.wav\": this file is at 44100 Hz and the left \
             one at 48000 Hz; both files of a split-stereo channel must have the same sample rate"
        )),
        "{text}"
    );
    let (ok, text, file) = check("file = [\"L.wav\", \"R.wav\", \"R.wav\"]");
    assert!(!ok, "{text}");
    assert!(
        text.contains(&format!("{file}:5:8: channel[1].file = ")),
        "{text}"
    );
    assert!(
        text.contains(
            "a split-stereo channel names two mono files, left then right, like \
             [\"Piano L.wav\", \"Piano R.wav\"]; this names 3"
        ),
        "{text}"
    );
    let (ok, text, file) = check("file = [\"L.wav\", \"missing.wav\"]");
    assert!(!ok, "{text}");
    assert!(
        text.contains(&format!(
            "{file}:5:18: channel[1].file = \"missing.wav\": cannot open"
        )),
        "{text}"
    );
}
