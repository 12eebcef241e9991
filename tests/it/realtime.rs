//! The audio thread's side of playback, offline: the realtime processor fed commands and asked
//! for blocks with no device, under the allocation checker.

use std::sync::Arc;

use earmix::engine::meter::MeterBank;
use earmix::engine::processor::Processor;
use earmix::engine::protocol::{EngineCounters, EngineRings, rings};
use earmix::engine::protocol::{EngineToUi, LoopRegion, Retired, UiToEngine};
use earmix::engine::realtime::RealtimeProcessor;
use earmix::engine::scene::{SceneLevel, SceneTimeline};
use earmix::engine::source::{MemorySource, ReadMode, Source};
use earmix::engine::strip::StripParams;
use earmix::units::{Decibels, Pan, StripId};

use crate::support::{assert_realtime, signal};

const RATE: u32 = 48_000;
const LEN: usize = 48_000;

fn stems() -> Vec<Vec<Vec<f32>>> {
    vec![
        vec![signal(LEN, 11, 0.5)],
        vec![signal(LEN, 12, 0.4), signal(LEN, 13, 0.4)],
    ]
}

fn processor(stems: &[Vec<Vec<f32>>]) -> Processor {
    let strips = stems
        .iter()
        .map(|data| {
            (
                StripParams::default(),
                Box::new(MemorySource::new(data.clone())) as Box<dyn Source>,
            )
        })
        .collect();
    Processor::new(RATE, strips, Decibels(-3.0))
}

/// The whole session as the bounce path computes it (the same core, no transport).
fn reference(stems: &[Vec<Vec<f32>>]) -> (Vec<f32>, Vec<f32>) {
    let mut p = processor(stems);
    let mut l = vec![0.0; LEN];
    let mut r = vec![0.0; LEN];
    p.process(&mut l, &mut r, ReadMode::Blocking);
    (l, r)
}

struct Rig {
    rt: RealtimeProcessor,
    ui: EngineRings,
    counters: Arc<EngineCounters>,
}

fn rig(playing: bool) -> Rig {
    let mut p = processor(&stems());
    p.attach_meters(Arc::new(MeterBank::new(p.strip_count())));
    let (ui, audio) = rings(RATE);
    let counters = Arc::new(EngineCounters::default());
    let rt = RealtimeProcessor::new(p, LEN as u64, playing, audio, Arc::clone(&counters));
    Rig { rt, ui, counters }
}

impl Rig {
    fn send(&mut self, command: UiToEngine) {
        self.ui.to_engine.push(command).unwrap();
    }

    /// Renders `frames` in device-sized blocks with no allocation allowed.
    fn render(&mut self, frames: usize, block: usize) -> (Vec<f32>, Vec<f32>) {
        let mut l = vec![0.0; frames];
        let mut r = vec![0.0; frames];
        let rt = &mut self.rt;
        assert_realtime("rendering", || {
            for (bl, br) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
                rt.render_block(bl, br);
            }
        });
        // Keep the loudness ring from filling up in long tests.
        while self.ui.master.pop().is_ok() {}
        (l, r)
    }

    fn events(&mut self) -> Vec<EngineToUi> {
        let mut out = Vec::new();
        while let Ok(e) = self.ui.from_engine.pop() {
            out.push(e);
        }
        out
    }
}

fn same(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Playing from the top in 256-frame device blocks gives exactly what the bounce path computes,
/// and the transport stops at the end of the session with an `Ended` event and silence after.
#[test]
fn playback_equals_the_bounce_path_and_stops_at_the_end() {
    let (want_l, want_r) = reference(&stems());
    let mut rig = rig(true);
    let (l, r) = rig.render(LEN + 1000, 256);
    assert!(same(&l[..LEN], &want_l) && same(&r[..LEN], &want_r));
    assert!(l[LEN..].iter().chain(&r[LEN..]).all(|&x| x == 0.0));
    assert!(!rig.rt.is_playing());
    let events = rig.events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EngineToUi::Ended { frame } if *frame == LEN as u64))
    );
    assert_eq!(
        rig.counters
            .playhead
            .load(std::sync::atomic::Ordering::Relaxed),
        LEN as u64
    );
}

/// A loop region wraps sample-exactly: the output is the region's audio followed by the region
/// again from its start (a cut, like a seek), and each wrap is reported.
#[test]
fn loop_wraps_sample_exactly() {
    let (want_l, _) = reference(&stems());
    let mut rig = rig(true);
    let (start, end) = (10_000usize, 13_000usize);
    rig.send(UiToEngine::Seek(start as u64));
    rig.send(UiToEngine::SetLoop(Some(LoopRegion {
        start: start as u64,
        end: end as u64,
    })));
    let (l, _) = rig.render(7_000, 100);
    let span = end - start;
    assert!(same(&l[..span], &want_l[start..end]));
    assert!(same(&l[span..2 * span], &want_l[start..end]));
    assert!(same(
        &l[2 * span..],
        &want_l[start..start + 7_000 - 2 * span]
    ));
    let wraps = rig
        .events()
        .iter()
        .filter(|e| matches!(e, EngineToUi::LoopWrapped { to } if *to == start as u64))
        .count();
    assert_eq!(wraps, 2);
}

/// A seek is a cut to the new place: the next sample is the bounce's sample there.
#[test]
fn seek_jumps_to_the_frame() {
    let (want_l, want_r) = reference(&stems());
    let mut rig = rig(true);
    rig.render(1000, 256);
    rig.send(UiToEngine::Seek(30_000));
    let (l, r) = rig.render(2000, 256);
    assert!(same(&l, &want_l[30_000..32_000]) && same(&r, &want_r[30_000..32_000]));
}

/// A jump (what the console's keys send) is click-free: 10 ms of fade-out where playback was,
/// then 10 ms of fade-in from the target, then exactly the bounce from there.
#[test]
fn a_jump_fades_out_jumps_and_fades_in() {
    let (want_l, _) = reference(&stems());
    let mut rig = rig(true);
    rig.render(1000, 256);
    rig.send(UiToEngine::Jump(30_000));
    let (l, _) = rig.render(2000, 100);
    for i in 0..480 {
        let g = 1.0 - (i + 1) as f32 / 480.0;
        assert!(
            (l[i] - want_l[1000 + i] * g).abs() < 1e-6,
            "fade-out at {i}"
        );
        let h = (i + 1) as f32 / 480.0;
        let x = l[480 + i];
        assert!((x - want_l[30_000 + i] * h).abs() < 1e-6, "fade-in at {i}");
    }
    assert!(same(&l[960..], &want_l[30_000 + 480..30_000 + 2000 - 480]));
    assert_eq!(rig.rt.processor().playhead(), 30_000 + 2000 - 480);

    // A pause during the fade-out still jumps, but stays paused there.
    rig.send(UiToEngine::Jump(5_000));
    rig.send(UiToEngine::Pause);
    let (l, _) = rig.render(1000, 100);
    assert!(l[480..].iter().all(|&x| x == 0.0));
    assert!(!rig.rt.is_playing());
    assert_eq!(rig.rt.processor().playhead(), 5_000);

    // Stopped, a jump is a plain seek.
    rig.send(UiToEngine::Jump(7_000));
    rig.render(10, 10);
    assert_eq!(rig.rt.processor().playhead(), 7_000);
}

/// Play arriving while a jump fades out (the console sends a jump and then play for a span it
/// plays) lets the fade-out finish: the jump lands and plays from there, exactly as the jump
/// alone does. It used to raise the fade again, and the jump was lost.
#[test]
fn play_during_a_jumps_fade_out_still_jumps() {
    let mut alone = rig(true);
    alone.render(1000, 256);
    alone.send(UiToEngine::Jump(30_000));
    let (want, _) = alone.render(2000, 100);
    let mut rig = rig(true);
    rig.render(1000, 256);
    rig.send(UiToEngine::Jump(30_000));
    rig.send(UiToEngine::Play);
    let (l, _) = rig.render(2000, 100);
    assert!(
        same(&l, &want),
        "the jump with play after it sounds as the jump alone"
    );
    assert_eq!(rig.rt.processor().playhead(), 30_000 + 2000 - 480);
    assert!(rig.rt.is_playing());

    // A pause and then play during the fade-out: the jump lands and plays too.
    rig.send(UiToEngine::Jump(5_000));
    rig.send(UiToEngine::Pause);
    rig.send(UiToEngine::Play);
    rig.render(1000, 100);
    assert!(rig.rt.is_playing());
    assert_eq!(rig.rt.processor().playhead(), 5_000 + 1000 - 480);
}

/// Section scenes for the two test strips: a 20 dB cut on strip 0 and a mute on strip 1 over
/// 250 ms centred on frame 24,000, and back to the base mix over 100 ms at frame 40,000.
fn glide_scenes() -> SceneTimeline {
    SceneTimeline::new(
        2,
        LEN as u64,
        vec![
            (
                24_000,
                12_000,
                vec![SceneLevel::Fader(Decibels(-20.0)), SceneLevel::Mute],
            ),
            (40_000, 4_800, vec![SceneLevel::Base, SceneLevel::Base]),
        ],
    )
}

/// Playback through section scene glides (a cut, a mute, and back) equals the bounce path bit
/// for bit in any device block size, with nothing allocated; a seek into the middle of a glide
/// lands where the bounce has it.
#[test]
fn scene_glides_play_exactly_as_the_bounce_computes_them() {
    let mut bounce = processor(&stems());
    drop(bounce.set_scenes(Box::new(glide_scenes())));
    let mut want_l = vec![0.0; LEN];
    let mut want_r = vec![0.0; LEN];
    bounce.process(&mut want_l, &mut want_r, ReadMode::Blocking);
    // The scenes are there: the mix is the base mix until the first glide starts, not after.
    let (plain_l, _) = reference(&stems());
    assert!(same(&want_l[..18_000], &plain_l[..18_000]));
    assert!(!same(&want_l[18_000..19_000], &plain_l[18_000..19_000]));
    for block in [1, 64, 256, 999] {
        let mut rig = rig(true);
        rig.send(UiToEngine::SetScenes(Box::new(glide_scenes())));
        let (l, r) = rig.render(LEN, block);
        assert!(
            same(&l, &want_l) && same(&r, &want_r),
            "{block}-frame blocks"
        );
    }
    let mut rig = rig(true);
    rig.send(UiToEngine::SetScenes(Box::new(glide_scenes())));
    rig.render(1000, 256);
    rig.send(UiToEngine::Seek(21_000));
    let (l, r) = rig.render(20_000, 256);
    assert!(same(&l, &want_l[21_000..41_000]) && same(&r, &want_r[21_000..41_000]));
}

/// Pause fades out over 10 ms and then gives silence without moving; play fades back in from
/// where it paused.
#[test]
fn pause_fades_out_and_play_fades_in() {
    let (want_l, _) = reference(&stems());
    let mut rig = rig(true);
    rig.render(1000, 256);
    rig.send(UiToEngine::Pause);
    let (l, _) = rig.render(2000, 256);
    // 480 frames of fade, each frame scaled by a falling gain, then silence.
    for (i, &x) in l[..480].iter().enumerate() {
        let g = 1.0 - (i + 1) as f32 / 480.0;
        assert!((x - want_l[1000 + i] * g).abs() < 1e-6, "frame {i}");
    }
    assert!(l[480..].iter().all(|&x| x == 0.0));
    assert!(!rig.rt.is_playing());
    assert_eq!(rig.rt.processor().playhead(), 1480);

    rig.send(UiToEngine::Play);
    let (l, _) = rig.render(1000, 256);
    assert!((l[0] - want_l[1480] / 480.0).abs() < 1e-6);
    assert!(same(&l[480..], &want_l[1960..2480]));
}

/// Every command is applied on the audio thread without allocating, and the mixer follows:
/// gain, trim, pan, mute, solo, clear solos, master and a scene override.
#[test]
fn every_command_is_realtime_safe_and_applied() {
    let mut rig = rig(true);
    let id = StripId(0);
    let commands = vec![
        UiToEngine::SetGain(id, Decibels(-6.0)),
        UiToEngine::SetTrim(id, Decibels(2.0)),
        UiToEngine::SetPan(id, Pan(-0.5)),
        UiToEngine::SetMute(StripId(1), true),
        UiToEngine::SetSolo(StripId(1), true),
        UiToEngine::ClearSolos,
        UiToEngine::SetMaster(Decibels(-1.0)),
        UiToEngine::SetScenes(Box::new(SceneTimeline::new(
            2,
            LEN as u64,
            vec![(
                1000,
                480,
                vec![SceneLevel::Fader(Decibels(-10.0)), SceneLevel::Mute],
            )],
        ))),
        UiToEngine::SetScenesBypassed(true),
        UiToEngine::SetScenesBypassed(false),
        UiToEngine::SetLoop(Some(LoopRegion {
            start: 100,
            end: 5000,
        })),
        UiToEngine::SetLoop(None),
        UiToEngine::Seek(2000),
        UiToEngine::Jump(2500),
        UiToEngine::Pause,
        UiToEngine::Play,
    ];
    let n = commands.len() as u64;
    for c in commands {
        rig.send(c);
    }
    rig.render(4096, 512);
    let p = rig.rt.processor().strip_params(id).copied().unwrap();
    assert_eq!(p.gain, Decibels(-6.0));
    assert_eq!(p.trim, Decibels(2.0));
    assert_eq!(p.pan, Pan(-0.5));
    let p1 = rig
        .rt
        .processor()
        .strip_params(StripId(1))
        .copied()
        .unwrap();
    assert!(p1.mute && !p1.solo);
    assert_eq!(rig.rt.processor().master_db(), Decibels(-1.0));
    assert_eq!(rig.rt.processor().scenes().sections(), 1);
    assert!(!rig.rt.processor().scenes_bypassed());
    assert!(
        rig.events()
            .iter()
            .any(|e| matches!(e, EngineToUi::Retire(Retired::Scenes(_))))
    );
    assert_eq!(
        rig.counters
            .commands
            .load(std::sync::atomic::Ordering::Relaxed),
        n
    );
}

/// A replaced source is handed back to the UI thread in a `Retire` message (never dropped on
/// the audio thread), and the strip plays the new source from the current position.
#[test]
fn replaced_source_is_retired_to_the_ui() {
    let mut rig = rig(true);
    rig.render(1000, 256);
    let new: Box<dyn Source> = Box::new(MemorySource::new(vec![vec![0.25; LEN]]));
    rig.send(UiToEngine::ReplaceSource(StripId(1), new));
    rig.send(UiToEngine::SetMute(StripId(0), true));
    rig.render(2000, 256);
    let (l, r) = rig.render(256, 256);
    // Strip 1 is now a centred mono DC of 0.25; master -3 dB; strip 0 muted.
    let want = 0.25 * std::f32::consts::FRAC_1_SQRT_2 * Decibels(-3.0).to_amplitude();
    assert!(
        l.iter().chain(&r).all(|&x| (x - want).abs() < 1e-6),
        "{}",
        l[0]
    );
    let retired = rig
        .events()
        .into_iter()
        .filter(|e| matches!(e, EngineToUi::Retire(Retired::Source(_))))
        .count();
    assert_eq!(retired, 1);
}

/// Meters are max-since-last-read: a strip's peak is measured after its fader, the master's
/// clip counter counts samples at or above full scale, and reading resets them.
#[test]
fn meters_are_post_fader_and_max_since_last_read() {
    let strips = vec![vec![vec![0.8; LEN]], vec![vec![0.9; LEN], vec![0.9; LEN]]];
    let mut p = processor(&strips);
    p.set_gain(StripId(0), Decibels(-6.0));
    p.set_master(Decibels(6.0));
    let meters = Arc::new(MeterBank::new(2));
    p.attach_meters(Arc::clone(&meters));
    let mut l = vec![0.0; 4800];
    let mut r = vec![0.0; 4800];
    assert_realtime("metering", || p.process(&mut l, &mut r, ReadMode::Realtime));
    let m0 = meters.strip(0).unwrap().take();
    let m1 = meters.strip(1).unwrap().take();
    let master = meters.master().take();
    // Strip 0: mono 0.8 at -6 dB, centre pan (0.707 each side); the glide starts at 0 dB.
    let settled = 0.8 * Decibels(-6.0).to_amplitude() * std::f32::consts::FRAC_1_SQRT_2;
    assert!(m0.peak >= settled && m0.peak <= 0.8 * std::f32::consts::FRAC_1_SQRT_2 + 1e-6);
    assert!((m1.peak - 0.9).abs() < 1e-6);
    assert_eq!(m1.clips, 0);
    assert!(master.clips > 0, "the +6 dB master clips");
    assert!(master.peak > 1.0);
    assert_eq!(
        meters.master().take().clips,
        0,
        "reading resets the counter"
    );
}

/// When the UI's ring is full, the audio thread drops news and counts it, never blocking.
#[test]
fn full_event_ring_drops_and_counts() {
    let mut rig = rig(true);
    // A 10-frame loop wraps at least once per 16-frame block: more news than the ring holds.
    rig.send(UiToEngine::SetLoop(Some(LoopRegion { start: 0, end: 10 })));
    for _ in 0..2000 {
        let mut l = [0.0; 16];
        let mut r = [0.0; 16];
        rig.rt.render_block(&mut l, &mut r);
    }
    assert!(
        rig.counters
            .dropped_events
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
}

/// A source that says it is still loading for its first `loading` readiness checks after each
/// seek (a stem jumped to a place that was not cached).
struct SlowSource {
    inner: MemorySource,
    loading: u32,
    left: u32,
}

impl Source for SlowSource {
    fn channels(&self) -> usize {
        self.inner.channels()
    }
    fn len_frames(&self) -> u64 {
        self.inner.len_frames()
    }
    fn seek(&mut self, frame: u64) {
        self.left = self.loading;
        self.inner.seek(frame);
    }
    fn read(
        &mut self,
        frames: usize,
        out: &mut earmix::engine::source::StemBuffer,
        mode: ReadMode,
    ) -> earmix::engine::source::ReadStatus {
        self.inner.read(frames, out, mode)
    }
    fn is_ready(&mut self) -> bool {
        self.left = self.left.saturating_sub(1);
        self.left == 0
    }
}

fn slow_rig(loading: u32) -> (Rig, Vec<f32>) {
    let data = signal(LEN, 31, 0.5);
    let slow = SlowSource {
        inner: MemorySource::new(vec![data.clone()]),
        loading,
        left: 0,
    };
    let p = Processor::new(
        RATE,
        vec![(StripParams::default(), Box::new(slow) as Box<dyn Source>)],
        Decibels(0.0),
    );
    let (ui, audio) = rings(RATE);
    let counters = Arc::new(EngineCounters::default());
    let rt = RealtimeProcessor::new(p, LEN as u64, true, audio, Arc::clone(&counters));
    let centre = std::f32::consts::FRAC_1_SQRT_2;
    (
        Rig { rt, ui, counters },
        data.iter().map(|x| x * centre).collect(),
    )
}

/// After a jump to a place whose data is still loading, the transport holds (silence, position
/// unchanged) and reports buffering, then plays from exactly the jump target once it is ready.
#[test]
fn jump_to_an_uncached_place_buffers_then_plays_from_the_target() {
    let (mut rig, want) = slow_rig(4);
    rig.send(UiToEngine::Seek(20_000));
    let (l, _) = rig.render(256 * 3, 256);
    assert!(l.iter().all(|&x| x == 0.0), "silent while loading");
    assert_eq!(rig.rt.processor().playhead(), 20_000, "held in place");
    let (l, _) = rig.render(512, 256);
    assert!(same(&l, &want[20_000..20_512]), "plays from the target");
    assert!(
        rig.events()
            .iter()
            .any(|e| matches!(e, EngineToUi::Buffering { waiting: 1 }))
    );
}

/// A stem that never becomes ready does not hold the transport for ever: after a second of
/// silence playback goes on (the late stem underruns instead).
#[test]
fn buffering_gives_up_after_a_second() {
    let (mut rig, _) = slow_rig(u32::MAX);
    rig.send(UiToEngine::Seek(1000));
    rig.render(RATE as usize + 2048, 256);
    assert!(rig.rt.processor().playhead() > 1000, "moved on");
    assert!(rig.rt.processor().playhead() <= 1000 + 2048 + 256);
}

/// The realtime path with real streamed stems (creek, one of them resampled from 44.1 kHz)
/// allocates nothing through playback, seeks (cached and not), a loop wrap and every command.
#[test]
fn streamed_and_resampled_stems_render_without_allocating() {
    use crate::support::{TempSession, write_wav_f32};
    use earmix::engine::streams::StreamConfig;
    let ts = TempSession::new();
    write_wav_f32(&ts.path("a.wav"), RATE, &[signal(96_000, 41, 0.3)]);
    write_wav_f32(
        &ts.path("b.wav"),
        44_100,
        &[signal(88_200, 42, 0.3), signal(88_200, 43, 0.3)],
    );
    let path = ts.write_session(
        "version = 1\nname = \"S\"\nsample_rate = 48000\n[[channel]]\nname = \"A\"\nfile = \"a.wav\"\n\
         [[channel]]\nname = \"B\"\nfile = \"b.wav\"\n",
    );
    let session = earmix::session::load(&path).unwrap();
    let mut p =
        Processor::for_session(&session, RATE, 0, &[0, 48_000], StreamConfig::PLAYBACK).unwrap();
    p.wait_ready().unwrap();
    p.attach_meters(Arc::new(MeterBank::new(2)));
    let (ui, audio) = rings(RATE);
    let counters = Arc::new(EngineCounters::default());
    let rt = RealtimeProcessor::new(p, 96_000, true, audio, Arc::clone(&counters));
    let mut rig = Rig { rt, ui, counters };
    rig.render(10_000, 256);
    rig.send(UiToEngine::Seek(48_000));
    rig.send(UiToEngine::SetLoop(Some(LoopRegion {
        start: 48_000,
        end: 50_000,
    })));
    rig.send(UiToEngine::SetGain(StripId(1), Decibels(-5.0)));
    rig.send(UiToEngine::SetPan(StripId(0), Pan(0.3)));
    // New sections: both stems (one resampled) re-point caches at their starts.
    rig.send(UiToEngine::SetScenes(Box::new(SceneTimeline::new(
        2,
        96_000,
        vec![(30_000, 480, vec![SceneLevel::Mute]), (60_000, 480, vec![])],
    ))));
    // Long enough to wrap even if the stems were still loading after the jump and playback
    // held for its full second first.
    rig.render(60_000, 256);
    rig.send(UiToEngine::SetLoop(None));
    rig.send(UiToEngine::Seek(70_000));
    rig.send(UiToEngine::Pause);
    rig.send(UiToEngine::Play);
    rig.render(30_000, 256);
    assert!(
        rig.events()
            .iter()
            .any(|e| matches!(e, EngineToUi::LoopWrapped { .. }))
    );
}

/// Stems opened for playback stream on I/O threads in the background scheduling class
/// (`SCHED_BATCH`, nice 9), named `earmix-stem-io`, so a hundred of them cannot crowd out the
/// audio thread.
#[cfg(target_os = "linux")]
#[test]
fn stem_io_threads_run_in_the_background_class() {
    use crate::support::{TempSession, write_wav_f32};
    use earmix::engine::stem_io::{STEM_IO_THREAD, open_for_playback};
    let ts = TempSession::new();
    write_wav_f32(&ts.path("a.wav"), RATE, &[signal(48_000, 51, 0.3)]);
    let path = ts
        .write_session("version = 1\nname = \"S\"\n[[channel]]\nname = \"A\"\nfile = \"a.wav\"\n");
    let session = earmix::session::load(&path).unwrap();
    let plan =
        earmix::engine::stream_plan::StreamPlan::for_session(&session, RATE, 0, 1 << 29, 256);
    let processor = open_for_playback(&session, RATE, 0, &plan).unwrap();
    let mut found = 0;
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = task.unwrap().path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim() != STEM_IO_THREAD {
            continue;
        }
        // Another test's stream may end between the two reads.
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
            continue;
        };
        // Fields after the parenthesised name: state is field 3; nice 19; policy 41.
        let rest: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        let nice: i32 = rest[19 - 3].parse().unwrap();
        let policy: u32 = rest[41 - 3].parse().unwrap();
        assert_eq!((nice, policy), (9, 3), "nice and policy (3 = SCHED_BATCH)");
        found += 1;
    }
    assert!(found >= 1, "no {STEM_IO_THREAD} thread found");
    drop(processor);
}

/// A rig whose session has a reference track: `reference` (stereo, same length), locked to the
/// playhead with `offset_frames` (reference frame = session frame + offset).
fn rig_with_reference(reference: Vec<Vec<f32>>, offset_frames: u64) -> (Rig, rtrb::Consumer<f32>) {
    rig_with_reference_source(Box::new(MemorySource::new(reference)), offset_frames)
}

/// [`rig_with_reference`] with the reference read from `source`.
fn rig_with_reference_source(
    source: Box<dyn Source>,
    offset_frames: u64,
) -> (Rig, rtrb::Consumer<f32>) {
    use earmix::engine::reference::ReferencePlayer;
    use earmix::session::ReferenceMap;
    let Rig { rt, ui, counters } = rig(true);
    let map = ReferenceMap::with_offset(earmix::units::Seconds(
        offset_frames as f64 / f64::from(RATE),
    ));
    let player = ReferencePlayer::new(source, &map, RATE, 0);
    let (to_loudness, from_reference) = earmix::engine::loudness::master_ring(RATE);
    let rt = rt.with_reference(player, to_loudness);
    (Rig { rt, ui, counters }, from_reference)
}

/// With a reference playing next to it, the mix is still heard bit for bit while listening to
/// the mix; R's flip crossfades in 20 ms and then plays exactly the reference (at its offset);
/// the loudness match turns the louder one down; the reference's loudness ring gets the
/// reference, never the mix; nothing allocates through every command.
#[test]
fn reference_flip_is_exact_outside_the_crossfade_and_matched_in_level() {
    use earmix::engine::protocol::Listen;
    let (mix_l, mix_r) = reference(&stems());
    let track = vec![signal(LEN + 4800, 21, 0.3), signal(LEN + 4800, 22, 0.3)];
    let offset = 4800;
    let (mut rig, mut from_reference) = rig_with_reference(track.clone(), offset as u64);
    let (l, r) = rig.render(4800, 256);
    assert!(
        same(&l, &mix_l[..4800]) && same(&r, &mix_r[..4800]),
        "the mix, untouched"
    );
    let fed: Vec<f32> = std::iter::from_fn(|| from_reference.pop().ok()).collect();
    assert_eq!(fed.len(), 4800 * 2);
    assert_eq!(
        fed[0], track[0][offset],
        "the reference at its offset, measured"
    );
    assert_eq!(fed[1], track[1][offset]);

    rig.send(UiToEngine::SetListen(Listen::Reference));
    let crossfade = 960;
    let (l, r) = rig.render(4800, 256);
    let at = 4800 + crossfade;
    assert!(
        same(&l[crossfade..], &track[0][offset + at..offset + 9600])
            && same(&r[crossfade..], &track[1][offset + at..offset + 9600]),
        "after the crossfade, exactly the reference"
    );
    // Halfway through the crossfade both are heard at about half.
    let mid = crossfade / 2;
    let expected = 0.5 * mix_l[4800 + mid] + 0.5 * track[0][offset + 4800 + mid];
    assert!((l[mid] - expected).abs() < 0.01, "{} vs {expected}", l[mid]);

    rig.send(UiToEngine::SetReferenceMatch {
        mix: Decibels(0.0),
        reference: Decibels(-6.0),
    });
    let (l, _) = rig.render(4800, 256);
    let g = Decibels(-6.0).to_amplitude();
    let i = 4000;
    assert!(
        (l[i] - track[0][offset + 9600 + i] * g).abs() < 1e-6,
        "the reference turned down"
    );

    rig.send(UiToEngine::SetListen(Listen::Mix));
    rig.send(UiToEngine::SetReferenceMatch {
        mix: Decibels(-6.0),
        reference: Decibels(0.0),
    });
    let (l, _) = rig.render(4800, 256);
    assert!(
        (l[i] - mix_l[14_400 + i] * g).abs() < 1e-6,
        "the mix turned down"
    );
    while from_reference.pop().is_ok() {}
}

/// A locked reference follows the transport's jumps and loop wraps; a free-running one plays
/// on from its own place, and moves only when told.
#[test]
fn locked_reference_follows_jumps_and_free_reference_does_not() {
    use earmix::engine::protocol::Listen;
    let track = vec![signal(LEN, 31, 0.3), signal(LEN, 32, 0.3)];
    let (mut rig, mut from_reference) = rig_with_reference(track.clone(), 0);
    rig.send(UiToEngine::SetListen(Listen::Reference));
    rig.render(2048, 256);
    rig.send(UiToEngine::SetLoop(Some(LoopRegion {
        start: 10_000,
        end: 12_000,
    })));
    rig.send(UiToEngine::Seek(10_000));
    let (l, _) = rig.render(3000, 250);
    assert!(
        same(&l[..2000], &track[0][10_000..12_000]),
        "locked: plays the loop"
    );
    assert!(
        same(&l[2000..3000], &track[0][10_000..11_000]),
        "and wraps with it"
    );
    rig.send(UiToEngine::SetReferenceFree(true));
    rig.send(UiToEngine::SetLoop(None));
    rig.send(UiToEngine::Seek(30_000));
    let (l, _) = rig.render(1000, 250);
    assert!(
        same(&l, &track[0][11_000..12_000]),
        "free: carries on where it was"
    );
    rig.send(UiToEngine::SeekReference(40_000));
    let (l, _) = rig.render(1000, 250);
    assert!(same(&l, &track[0][40_000..41_000]), "free: moves when told");
    // The reference's place goes out as its offset from the playhead: 41,000 - 32,000.
    assert_eq!(rig.rt.processor().playhead(), 32_000);
    assert_eq!(
        rig.counters
            .reference_offset
            .load(std::sync::atomic::Ordering::Relaxed),
        9_000
    );
    while from_reference.pop().is_ok() {}
}

/// A source streamed from disk as the engine sees it: after each seek its data is not there
/// for the first `loading` readiness checks or reads, and a read meanwhile plays silence, does
/// not move, and reports an underrun (as a creek stream does).
struct LateSource {
    inner: MemorySource,
    loading: u32,
    left: u32,
}

impl Source for LateSource {
    fn channels(&self) -> usize {
        self.inner.channels()
    }
    fn len_frames(&self) -> u64 {
        self.inner.len_frames()
    }
    fn seek(&mut self, frame: u64) {
        self.left = self.loading;
        self.inner.seek(frame);
    }
    fn read(
        &mut self,
        frames: usize,
        out: &mut earmix::engine::source::StemBuffer,
        mode: ReadMode,
    ) -> earmix::engine::source::ReadStatus {
        if self.left == 0 {
            return self.inner.read(frames, out, mode);
        }
        self.left -= 1;
        for ch in 0..self.channels() {
            out.channel_mut(ch, frames).fill(0.0);
        }
        earmix::engine::source::ReadStatus {
            underrun: true,
            ..Default::default()
        }
    }
    fn is_ready(&mut self) -> bool {
        self.left = self.left.saturating_sub(1);
        self.left == 0
    }
}

/// Moving a free-running reference (`(` and `)`) is a seek, not a dropout: while the data at
/// the new place loads, the reference holds there in silence and no underrun is counted; then
/// it plays from exactly that place, and its offset from the playhead is reported. (Each move
/// counted an underrun before.)
#[test]
fn moving_a_free_reference_holds_while_loading_and_counts_no_underrun() {
    use earmix::engine::protocol::Listen;
    use std::sync::atomic::Ordering;
    let track = vec![signal(LEN, 31, 0.3), signal(LEN, 32, 0.3)];
    let late = LateSource {
        inner: MemorySource::new(track.clone()),
        loading: 3,
        left: 0,
    };
    let (mut rig, mut from_reference) = rig_with_reference_source(Box::new(late), 0);
    rig.send(UiToEngine::SetListen(Listen::Reference));
    rig.send(UiToEngine::SetReferenceFree(true));
    // The reference's first data loads as it opens (counted: that is no deliberate jump).
    rig.render(2048, 256);
    let underruns = |rig: &Rig| rig.counters.underruns.load(Ordering::Relaxed);
    let before = underruns(&rig);

    rig.send(UiToEngine::SeekReference(30_000));
    let (l, r) = rig.render(2048, 256);
    assert_eq!(underruns(&rig), before, "a move is not an underrun");
    // Two callbacks of 256 frames hold while the data loads (ready at the third check).
    assert!(l[..512].iter().chain(&r[..512]).all(|&x| x == 0.0));
    assert!(
        same(&l[512..], &track[0][30_000..30_000 + 1536])
            && same(&r[512..], &track[1][30_000..30_000 + 1536]),
        "then exactly the reference from where it was moved to"
    );
    let playhead = rig.rt.processor().playhead() as i64;
    assert_eq!(playhead, 4096, "the mix played on meanwhile");
    assert_eq!(
        rig.counters.reference_offset.load(Ordering::Relaxed),
        30_000 + 1536 - playhead
    );
    while from_reference.pop().is_ok() {}
}

/// The monitor section changes what is heard and never what is mixed: in every monitor state
/// (each stereo image, swap, dim, mute all, each preset), the loudness ring (the mix the
/// meters and the bounce see) carries exactly the bounce path's samples, while the output is
/// the monitored version.
#[test]
fn monitor_changes_the_output_never_the_mix() {
    use earmix::engine::monitor::{MonitorState, Preset, StereoMode};
    let (want_l, want_r) = reference(&stems());
    let mut states = vec![
        MonitorState {
            stereo: StereoMode::Mono,
            ..MonitorState::default()
        },
        MonitorState {
            stereo: StereoMode::Side,
            swap: true,
            ..MonitorState::default()
        },
        MonitorState {
            dim: true,
            mute_all: true,
            ..MonitorState::default()
        },
    ];
    states.extend(Preset::ALL.map(|preset| MonitorState {
        preset: Some(preset),
        ..MonitorState::default()
    }));
    for state in states {
        let mut rig = rig(true);
        rig.send(UiToEngine::SetMonitor(state));
        let mut l = vec![0.0; 9600];
        let mut r = vec![0.0; 9600];
        let rt = &mut rig.rt;
        assert_realtime("monitored rendering", || {
            for (bl, br) in l.chunks_mut(256).zip(r.chunks_mut(256)) {
                rt.render_block(bl, br);
            }
        });
        let fed: Vec<f32> = std::iter::from_fn(|| rig.ui.master.pop().ok()).collect();
        let (mix_l, mix_r): (Vec<f32>, Vec<f32>) = fed.chunks(2).map(|p| (p[0], p[1])).unzip();
        assert!(
            same(&mix_l, &want_l[..9600]) && same(&mix_r, &want_r[..9600]),
            "{state:?} changed the mix"
        );
        assert!(
            !same(&l, &want_l[..9600]),
            "{state:?}: the output is monitored"
        );
        if state.stereo == StereoMode::Mono {
            // Once the 5 ms switching fade is over, mono: both sides the same.
            assert!(same(&l[480..], &r[480..]), "mono: both sides the same");
        }
        if state.mute_all {
            assert!(l[960..].iter().chain(&r[960..]).all(|&x| x == 0.0), "muted");
        }
    }
}
