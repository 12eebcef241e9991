//! Realtime playback: the [`Engine`] lives on the UI thread, the [`RealtimeProcessor`] on the
//! audio thread. They share nothing but fixed-capacity rtrb rings (`to_engine`, `from_engine`,
//! the master ring to the loudness thread) and atomics (meters, counters).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use rtrb::{Consumer, Producer, RingBuffer};

use super::loudness::{LoudnessMatch, LoudnessMeter, LoudnessReading, master_ring, match_loudness};
use super::meter::{MeterBank, MeterReading};
use super::monitor::{CeilingReading, Monitor, MonitorMeter, MonitorState};
use super::output::{self, Backend, Output, OutputEvent, OutputRequest, Render, StreamInfo};
use super::processor::Processor;
use super::protocol::{
    EngineToUi, FROM_ENGINE_CAPACITY, Listen, LoopRegion, Retired, TO_ENGINE_CAPACITY, UiToEngine,
};
use super::reference::{ReferencePlayer, open_reference};
use super::render::DamagedStem;
use super::scene::SceneTimeline;
use super::smoother::{Smoother, ramp_frames};
use super::source::{MAX_BLOCK, ReadMode, Source};
use super::stream_plan::{MIB, StreamPlan};
use super::streams::{StemDamage, StemHealth, StreamError};
use super::strip::StripParams;
use crate::session::Session;
use crate::units::{Decibels, Pan, Seconds, StripId, frames_at};

/// Counters the audio thread bumps and the UI reads.
#[derive(Debug, Default)]
pub struct EngineCounters {
    /// The transport position (next frame to play, mix rate).
    pub playhead: AtomicU64,
    /// Playing or not.
    pub playing: AtomicBool,
    /// Strip-blocks that underran (played silence because data was late).
    pub underruns: AtomicU64,
    /// Strip-blocks whose stream had failed.
    pub stream_failures: AtomicU64,
    /// Messages to the UI dropped because its ring was full.
    pub dropped_events: AtomicU64,
    /// Master samples the loudness thread missed because its ring was full.
    pub dropped_master: AtomicU64,
    /// Commands the audio thread applied.
    pub commands: AtomicU64,
    /// The reference track's position (its frame at the mix rate; negative before it starts).
    pub reference_frame: AtomicI64,
}

/// The transport and mixer on the audio thread: applies commands, runs the [`Processor`], keeps
/// the transport (play/pause fades, loop, end of session), feeds the loudness ring and reports.
///
/// Everything after construction is realtime-safe.
pub struct RealtimeProcessor {
    processor: Processor,
    from_ui: Consumer<UiToEngine>,
    to_ui: Producer<EngineToUi>,
    master_ring: Producer<f32>,
    counters: Arc<EngineCounters>,
    playing: bool,
    /// The transport gain: 0..1, glides over 10 ms on play and pause.
    fade: Smoother,
    loop_region: Option<LoopRegion>,
    end: u64,
    last_reported: (u64, bool),
    /// After a jump: frames of silence played so far while stems load (`None`: not buffering).
    buffering: Option<u64>,
    /// The longest the transport holds for loading stems before playing on regardless.
    max_buffering: u64,
    /// A jump waiting for the fade-out to end: the frame, and whether to play on after it
    /// (false when a pause came in the meantime).
    pending_jump: Option<(u64, bool)>,
    /// The reference track, its loudness ring and its buffers, when the session has one.
    reference: Option<ReferenceSide>,
    /// 0 plays the mix, 1 the reference; glides over [`CROSSFADE_SECONDS`].
    listen: Smoother,
    /// The loudness match's gain on the mix.
    mix_match: Smoother,
    /// The monitor section: last before the output.
    monitor: Monitor,
}

/// The monitor's dim: how far `dim` turns everything down.
pub const DIM_DB: f64 = -20.0;
/// The monitor's output safety ceiling unless the settings say otherwise, dBFS.
pub const DEFAULT_CEILING_DB: f64 = -1.0;

/// The reference's half of the realtime processor.
struct ReferenceSide {
    player: ReferencePlayer,
    /// The reference, interleaved stereo, to its loudness thread.
    ring: Producer<f32>,
    left: Vec<f32>,
    right: Vec<f32>,
    /// The loudness match's gain on the reference.
    gain: Smoother,
}

/// How long the flip between the mix and the reference crossfades.
pub const CROSSFADE_SECONDS: f64 = 0.020;
/// How long a change of the loudness match glides.
pub const MATCH_GLIDE_SECONDS: f64 = 0.050;

fn glide_frames(rate: u32, seconds: f64) -> u32 {
    ((f64::from(rate) * seconds).round() as u32).max(1)
}

/// How long playback holds after a jump while stems load, before it plays on and lets late
/// stems underrun (and fade in when their data arrives).
pub const MAX_BUFFERING_SECONDS: f64 = 1.0;

impl RealtimeProcessor {
    /// Wraps a processor for the audio thread. `end` is the session length at the mix rate.
    /// Not realtime-safe.
    pub fn new(
        processor: Processor,
        end: u64,
        playing: bool,
        rings: ProcessorRings,
        counters: Arc<EngineCounters>,
    ) -> Self {
        let processor_rate = processor.sample_rate();
        let ramp = ramp_frames(processor_rate);
        let gain = if playing { 1.0 } else { 0.0 };
        counters
            .playhead
            .store(processor.playhead(), Ordering::Relaxed);
        counters.playing.store(playing, Ordering::Relaxed);
        Self {
            last_reported: (processor.playhead(), playing),
            processor,
            from_ui: rings.from_ui,
            to_ui: rings.to_ui,
            master_ring: rings.master,
            counters,
            playing,
            fade: Smoother::new(gain, ramp),
            loop_region: None,
            end,
            buffering: None,
            max_buffering: (MAX_BUFFERING_SECONDS * f64::from(processor_rate)) as u64,
            pending_jump: None,
            reference: None,
            listen: Smoother::new(0.0, glide_frames(processor_rate, CROSSFADE_SECONDS)),
            mix_match: Smoother::new(1.0, glide_frames(processor_rate, MATCH_GLIDE_SECONDS)),
            monitor: Monitor::new(
                processor_rate,
                Decibels(DEFAULT_CEILING_DB),
                Decibels(DIM_DB),
            ),
        }
    }

    /// The monitor's ceiling meter (wire it to the UI before the stream starts).
    ///
    /// Not realtime-safe.
    pub fn monitor_meter(&self) -> Arc<MonitorMeter> {
        self.monitor.meter()
    }

    /// Plays `player` as the reference track next to the mix, feeding its loudness into
    /// `ring` (interleaved stereo, like the master ring). Not realtime-safe (allocates).
    #[must_use]
    pub fn with_reference(mut self, player: ReferencePlayer, ring: Producer<f32>) -> Self {
        let rate = self.processor.sample_rate();
        self.counters
            .reference_frame
            .store(player.position(), Ordering::Relaxed);
        self.reference = Some(ReferenceSide {
            player,
            ring,
            left: vec![0.0; MAX_BLOCK],
            right: vec![0.0; MAX_BLOCK],
            gain: Smoother::new(1.0, glide_frames(rate, MATCH_GLIDE_SECONDS)),
        });
        self
    }

    /// Moves the transport (and a locked reference) to `frame`: a cut.
    fn seek_to(&mut self, frame: u64) {
        self.processor.seek(frame);
        if let Some(reference) = &mut self.reference {
            reference.player.follow_seek(frame);
        }
    }

    /// The mixing core (for tests and inspection).
    pub fn processor(&self) -> &Processor {
        &self.processor
    }

    /// True while the transport runs (including a pause's fade-out).
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    fn send(&mut self, event: EngineToUi) {
        if self.to_ui.push(event).is_err() {
            self.counters.dropped_events.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Applies every waiting command. A source replacement waits in the ring until there is room
    /// to send the old source back, so nothing is ever dropped on this thread.
    ///
    /// Realtime-safe.
    pub fn apply_commands(&mut self) {
        while let Ok(next) = self.from_ui.peek() {
            let retires = matches!(
                next,
                UiToEngine::ReplaceSource(..) | UiToEngine::SetScenes(_)
            );
            if retires && self.to_ui.slots() == 0 {
                break;
            }
            let Ok(command) = self.from_ui.pop() else {
                break;
            };
            self.counters.commands.fetch_add(1, Ordering::Relaxed);
            self.apply(command);
        }
    }

    fn apply(&mut self, command: UiToEngine) {
        let p = &mut self.processor;
        match command {
            UiToEngine::Play => self.play(),
            UiToEngine::Pause => {
                if let Some((_, resume)) = &mut self.pending_jump {
                    *resume = false;
                }
                if self.playing {
                    self.fade.set_target(0.0);
                }
            }
            UiToEngine::Seek(frame) => {
                self.pending_jump = None;
                self.seek_to(frame.min(self.end));
                self.buffering = Some(0);
            }
            UiToEngine::Jump(frame) => {
                let frame = frame.min(self.end);
                let resume = self
                    .pending_jump
                    .map_or(self.fade.target() > 0.0, |(_, r)| r);
                if self.playing && resume {
                    self.pending_jump = Some((frame, true));
                    self.fade.set_target(0.0);
                } else if self.pending_jump.is_some() {
                    self.pending_jump = Some((frame, false));
                } else {
                    self.seek_to(frame);
                    self.buffering = Some(0);
                }
            }
            UiToEngine::SetLoop(region) => {
                self.loop_region = region
                    .map(|r| LoopRegion {
                        start: r.start.min(self.end),
                        end: r.end.min(self.end),
                    })
                    .filter(|r| r.start < r.end);
            }
            UiToEngine::SetTrim(id, db) => p.set_trim(id, db),
            UiToEngine::SetGain(id, db) => p.set_gain(id, db),
            UiToEngine::SetPan(id, pan) => p.set_pan(id, pan),
            UiToEngine::SetMute(id, on) => p.set_mute(id, on),
            UiToEngine::SetSolo(id, on) => p.set_solo(id, on),
            UiToEngine::ClearSolos => p.clear_solos(),
            UiToEngine::SetMaster(db) => p.set_master(db),
            UiToEngine::SetScenes(scenes) => {
                let old = p.set_scenes(scenes);
                self.send(EngineToUi::Retire(Retired::Scenes(old)));
            }
            UiToEngine::SetScenesBypassed(on) => p.set_scenes_bypassed(on),
            UiToEngine::ReplaceSource(id, source) => {
                let old = match p.replace_source(id, source) {
                    Ok(old) | Err(old) => old,
                };
                self.send(EngineToUi::Retire(Retired::Source(old)));
            }
            UiToEngine::SetListen(listen) => {
                if self.reference.is_some() {
                    self.listen.set_target(match listen {
                        Listen::Mix => 0.0,
                        Listen::Reference => 1.0,
                    });
                }
            }
            UiToEngine::SetReferenceMatch { mix, reference } => {
                self.mix_match.set_target(mix.to_amplitude());
                if let Some(side) = &mut self.reference {
                    side.gain.set_target(reference.to_amplitude());
                }
            }
            UiToEngine::SetReferenceFree(on) => {
                let playhead = self.processor.playhead();
                if let Some(side) = &mut self.reference {
                    side.player.set_free(on, playhead);
                }
            }
            UiToEngine::SeekReference(frame) => {
                if let Some(side) = &mut self.reference {
                    side.player.seek_free(frame);
                }
            }
            UiToEngine::SetMonitor(state) => self.monitor.set_state(state),
            UiToEngine::SetCeiling(db) => self.monitor.set_ceiling(db),
        }
    }

    fn play(&mut self) {
        if let Some((_, resume)) = &mut self.pending_jump {
            *resume = true;
        }
        if self.processor.playhead() >= self.end {
            let start = self.loop_region.map_or(0, |r| r.start);
            self.seek_to(start);
        }
        if !self.playing {
            self.playing = true;
            self.fade.set_immediate(0.0);
        }
        self.fade.set_target(1.0);
    }

    /// The frame the transport must stop or jump at next: the loop end when inside the loop,
    /// else the session end.
    fn boundary(&self) -> u64 {
        let playhead = self.processor.playhead();
        match self.loop_region {
            Some(r) if playhead < r.end => r.end,
            _ => self.end,
        }
    }

    /// Renders the next frames: commands first, then the mix (or silence when stopped).
    ///
    /// Realtime-safe.
    pub fn render_block(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.apply_commands();
        let n = left.len().min(right.len());
        let mut done = 0;
        while done < n {
            if !self.playing {
                left[done..n].fill(0.0);
                right[done..n].fill(0.0);
                break;
            }
            if self.hold_for_loading(n - done) {
                left[done..n].fill(0.0);
                right[done..n].fill(0.0);
                break;
            }
            let playhead = self.processor.playhead();
            let boundary = self.boundary();
            if playhead >= boundary {
                self.reach(boundary);
                continue;
            }
            let mut frames = (n - done).min((boundary - playhead) as usize);
            if self.reference.is_some() {
                frames = frames.min(MAX_BLOCK);
            }
            let fading = !self.fade.is_settled();
            if fading {
                frames = frames.min(self.fade.remaining() as usize);
            }
            let (l, r) = (
                &mut left[done..done + frames],
                &mut right[done..done + frames],
            );
            let mut status = self.processor.process(l, r, ReadMode::Realtime);
            if let Some(side) = &mut self.reference {
                let (rl, rr) = (&mut side.left[..frames], &mut side.right[..frames]);
                let read = side.player.read(playhead, rl, rr, ReadMode::Realtime);
                status.underruns += u32::from(read.underrun);
                status.failures += u32::from(read.failed);
            }
            if fading {
                let mut reference = self.reference.as_mut();
                for i in 0..frames {
                    let g = self.fade.next_value();
                    l[i] *= g;
                    r[i] *= g;
                    if let Some(side) = reference.as_deref_mut() {
                        side.left[i] *= g;
                        side.right[i] *= g;
                    }
                }
            }
            self.feed_loudness(l, r);
            self.feed_reference(frames);
            self.blend(l, r);
            if status.underruns > 0 {
                self.counters
                    .underruns
                    .fetch_add(u64::from(status.underruns), Ordering::Relaxed);
                self.send(EngineToUi::Underrun {
                    strips: status.underruns,
                    frame: playhead,
                });
            }
            if status.failures > 0 {
                self.counters
                    .stream_failures
                    .fetch_add(u64::from(status.failures), Ordering::Relaxed);
                self.send(EngineToUi::StreamFailed {
                    strips: status.failures,
                });
            }
            done += frames;
            if fading && self.fade.is_settled() && self.fade.target() == 0.0 {
                match self.pending_jump.take() {
                    Some((frame, resume)) => {
                        self.seek_to(frame);
                        self.buffering = Some(0);
                        if resume {
                            self.fade.set_target(1.0);
                        } else {
                            self.playing = false;
                        }
                    }
                    None => self.playing = false,
                }
                continue;
            }
            if self.processor.playhead() >= boundary {
                self.reach(boundary);
            }
        }
        self.monitor.process(&mut left[..n], &mut right[..n]);
        self.report();
    }

    /// After a jump, true while stems are still loading and the hold has not timed out: the
    /// transport then plays `frames` of silence without moving.
    fn hold_for_loading(&mut self, frames: usize) -> bool {
        let Some(waited) = self.buffering else {
            return false;
        };
        let loading = self.processor.sources_loading()
            + self
                .reference
                .as_mut()
                .map_or(0, |side| u32::from(!side.player.is_ready()));
        if loading == 0 || waited >= self.max_buffering {
            self.buffering = None;
            return false;
        }
        if waited == 0 {
            self.send(EngineToUi::Buffering { waiting: loading });
        }
        self.buffering = Some(waited + frames as u64);
        true
    }

    /// The transport arrived at `boundary`: wrap to the loop start, or stop at the session end.
    fn reach(&mut self, boundary: u64) {
        // A jump asked for during the last 10 ms: go there rather than wrap or stop.
        if let Some((frame, resume)) = self.pending_jump.take() {
            self.seek_to(frame);
            self.buffering = Some(0);
            self.fade.set_immediate(0.0);
            if resume {
                self.fade.set_target(1.0);
            } else {
                self.playing = false;
            }
            return;
        }
        match self.loop_region {
            Some(r) if boundary == r.end => {
                self.seek_to(r.start);
                self.buffering = Some(0);
                self.send(EngineToUi::LoopWrapped { to: r.start });
            }
            _ => {
                self.playing = false;
                self.fade.set_immediate(0.0);
                self.send(EngineToUi::Ended { frame: boundary });
            }
        }
    }

    /// Hands the reference's last `frames` to its loudness thread.
    fn feed_reference(&mut self, frames: usize) {
        if let Some(side) = &mut self.reference {
            let (left, right) = (&side.left[..frames], &side.right[..frames]);
            feed(&mut side.ring, left, right, &self.counters.dropped_master);
        }
    }

    /// Puts the mix or the reference (or, during a flip, both crossfading) into `left` and
    /// `right`, which hold the mix, with the loudness match's gains. With no reference and no
    /// match gain the mix passes untouched, bit for bit.
    fn blend(&mut self, left: &mut [f32], right: &mut [f32]) {
        let Some(side) = &mut self.reference else {
            return;
        };
        let frames = left.len();
        let (ref_l, ref_r) = (&side.left[..frames], &side.right[..frames]);
        let settled =
            self.listen.is_settled() && self.mix_match.is_settled() && side.gain.is_settled();
        if settled && self.listen.target() == 0.0 {
            let g = self.mix_match.target();
            if g != 1.0 {
                for x in left.iter_mut().chain(right.iter_mut()) {
                    *x *= g;
                }
            }
            return;
        }
        if settled && self.listen.target() == 1.0 {
            let g = side.gain.target();
            for (out, x) in left
                .iter_mut()
                .zip(ref_l)
                .chain(right.iter_mut().zip(ref_r))
            {
                *out = x * g;
            }
            return;
        }
        for i in 0..frames {
            let x = self.listen.next_value();
            let mix = self.mix_match.next_value() * (1.0 - x);
            let reference = side.gain.next_value() * x;
            left[i] = left[i] * mix + ref_l[i] * reference;
            right[i] = right[i] * mix + ref_r[i] * reference;
        }
    }

    fn feed_loudness(&mut self, left: &[f32], right: &[f32]) {
        feed(
            &mut self.master_ring,
            left,
            right,
            &self.counters.dropped_master,
        );
    }

    fn report(&mut self) {
        // A jump waiting for its fade-out already counts as done: report where it goes.
        let playhead = self
            .pending_jump
            .map_or(self.processor.playhead(), |(frame, _)| frame);
        let state = (playhead, self.playing);
        self.counters.playhead.store(state.0, Ordering::Relaxed);
        self.counters.playing.store(state.1, Ordering::Relaxed);
        if let Some(side) = &self.reference {
            self.counters
                .reference_frame
                .store(side.player.position(), Ordering::Relaxed);
        }
        if state != self.last_reported {
            self.last_reported = state;
            self.send(EngineToUi::Position {
                frame: state.0,
                playing: state.1,
            });
        }
    }
}

/// Pushes `left` and `right` into a loudness `ring`, interleaved; when the ring has no room the
/// samples are counted in `dropped` instead.
///
/// Realtime-safe.
fn feed(ring: &mut Producer<f32>, left: &[f32], right: &[f32], dropped: &AtomicU64) {
    let wanted = left.len() * 2;
    match ring.write_chunk_uninit(wanted) {
        Ok(chunk) => {
            let samples = left.iter().zip(right).flat_map(|(&l, &r)| [l, r]);
            chunk.fill_from_iter(samples);
        }
        Err(_) => {
            dropped.fetch_add(wanted as u64, Ordering::Relaxed);
        }
    }
}

impl Render for RealtimeProcessor {
    fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.render_block(left, right);
    }
}

/// The audio thread's ends of the rings.
pub struct ProcessorRings {
    /// Commands from the UI.
    pub from_ui: Consumer<UiToEngine>,
    /// News to the UI.
    pub to_ui: Producer<EngineToUi>,
    /// The master bus, interleaved stereo, to the loudness thread.
    pub master: Producer<f32>,
}

/// The UI thread's ends of the rings.
pub struct EngineRings {
    /// Commands to the audio thread.
    pub to_engine: Producer<UiToEngine>,
    /// News from the audio thread.
    pub from_engine: Consumer<EngineToUi>,
    /// The master bus, for the loudness thread.
    pub master: Consumer<f32>,
}

/// Creates the rings between the UI and audio threads. Not realtime-safe.
pub fn rings(sample_rate: u32) -> (EngineRings, ProcessorRings) {
    let (to_engine, from_ui) = RingBuffer::new(TO_ENGINE_CAPACITY);
    let (to_ui, from_engine) = RingBuffer::new(FROM_ENGINE_CAPACITY);
    let (master_tx, master_rx) = master_ring(sample_rate);
    (
        EngineRings {
            to_engine,
            from_engine,
            master: master_rx,
        },
        ProcessorRings {
            from_ui,
            to_ui,
            master: master_tx,
        },
    )
}

/// How to open the engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Where the sound goes.
    pub output: OutputRequest,
    /// Where playback starts.
    pub start: Seconds,
    /// Start playing at once (no fade-in), or wait for [`Engine::play`].
    pub play: bool,
    /// Loop this region from the first frame on.
    pub looping: Option<(Seconds, Seconds)>,
    /// The monitor's output safety ceiling, dBFS (see [`DEFAULT_CEILING_DB`]).
    pub ceiling: Decibels,
    /// What the stem streams may hold, in MiB (`[audio] stream_memory_mb`; see
    /// [`StreamPlan`]).
    pub stream_memory_mib: u32,
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A stem could not be opened.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// No output could be opened, not even the null output.
    #[error("cannot start audio output: {0}")]
    Output(String),
    /// The start time is past the end of the session.
    #[error("the start time {start} is at or past the end of the session ({length})")]
    StartPastEnd { start: Seconds, length: Seconds },
}

/// Something the UI should know about, from the audio thread or the output supervisor.
#[derive(Debug)]
pub enum EngineEvent {
    /// Stems played silence because their data was late.
    Underrun { strips: u32, at: Seconds },
    /// A stem stopped being readable.
    StreamFailed { strips: u32 },
    /// After a jump, stems are still loading.
    Buffering { waiting: u32 },
    /// The loop wrapped.
    LoopWrapped { to: Seconds },
    /// Playback reached the end of the session.
    Ended,
    /// The output device changed state (lost, retrying, resumed, xruns).
    Output(OutputEvent),
    /// A stem's data turned out damaged where it was decoded (it ends early, decoding failed,
    /// or it holds non-finite samples); it plays silence there. Sent once per stem and kind.
    StemDamaged(DamagedStem),
}

/// The stems' health records, and what of them was reported.
struct StemWatch {
    stems: Vec<WatchedStem>,
}

struct WatchedStem {
    /// The file, as the session names it.
    file: std::path::PathBuf,
    health: Arc<StemHealth>,
    /// The record's news when last looked at.
    seen: u64,
    /// Whether where its data stopped was reported.
    stop_told: bool,
    /// Whether its non-finite samples were reported.
    nonfinite_told: bool,
}

impl StemWatch {
    fn new(session: &Session, health: Vec<Option<Arc<StemHealth>>>) -> Self {
        let stems = session
            .channels
            .iter()
            .zip(health)
            .filter_map(|(channel, health)| {
                Some(WatchedStem {
                    file: channel.file.clone(),
                    health: health?,
                    seen: 0,
                    stop_told: false,
                    nonfinite_told: false,
                })
            })
            .collect();
        Self { stems }
    }

    /// What is newly wrong: each stem's stop and its non-finite samples, once each.
    fn news(&mut self) -> Vec<DamagedStem> {
        let mut out = Vec::new();
        for stem in &mut self.stems {
            let news = stem.health.news();
            if news == stem.seen {
                continue;
            }
            stem.seen = news;
            for damage in stem.health.all_damage() {
                let told = match damage {
                    StemDamage::NonFinite { .. } => &mut stem.nonfinite_told,
                    _ => &mut stem.stop_told,
                };
                if !std::mem::replace(told, true) {
                    out.push(DamagedStem {
                        file: stem.file.clone(),
                        damage,
                    });
                }
            }
        }
        out
    }
}

/// The UI thread's handle on playback: sends commands, reads position, meters and loudness,
/// and keeps a mirror of every setting it sent.
// The ring ends are named for what they carry, as everywhere in the engine.
#[allow(clippy::struct_field_names)]
pub struct Engine {
    to_engine: Producer<UiToEngine>,
    from_engine: Consumer<EngineToUi>,
    counters: Arc<EngineCounters>,
    meters: Arc<MeterBank>,
    loudness: LoudnessMeter,
    output: Output,
    info: StreamInfo,
    notice: Option<String>,
    mix_rate: u32,
    end: u64,
    strips: Vec<StripParams>,
    master_db: Decibels,
    loop_region: Option<LoopRegion>,
    unsent: u64,
    /// Commands handed to the audio thread so far.
    sent: u64,
    /// The last jump asked for: its frame, and the count of commands sent with it.
    jump: Option<(u64, u64)>,
    /// The reference track's state on this side, when the session has one that opened.
    reference: Option<ReferenceState>,
    /// The monitor section's switches as last sent.
    monitor: MonitorState,
    /// How hard the monitor's safety ceiling worked.
    monitor_meter: Arc<MonitorMeter>,
    /// What the stems' decoders find wrong, watched for [`EngineEvent::StemDamaged`].
    stem_watch: StemWatch,
}

/// The UI thread's view of the reference track.
struct ReferenceState {
    /// Measures the reference as it plays (the match compares it with the master meter).
    loudness: LoudnessMeter,
    listen: Listen,
    free: bool,
    /// The match in force (sent to the audio thread), when one has been measured.
    matched: Option<LoudnessMatch>,
}

impl Engine {
    /// Opens the output the options ask for (falling back to the null output, with a notice,
    /// when no device can be opened), opens every stem at the start position and starts the
    /// audio thread.
    ///
    /// Not realtime-safe (opens files and the device; waits for the stems' first data).
    pub fn open(session: &Session, opts: &EngineOptions) -> Result<Self, EngineError> {
        let (pending, notice) = output::open(&opts.output, session.sample_rate)
            .map_err(|e| EngineError::Output(e.to_string()))?;
        Self::start(session, opts, pending, notice)
    }

    /// Like [`Engine::open`] but on a given output backend (tests, benchmarks).
    ///
    /// Not realtime-safe.
    pub fn open_with_backend(
        session: &Session,
        opts: &EngineOptions,
        backend: Box<dyn Backend>,
    ) -> Result<Self, EngineError> {
        let pending = Output::negotiate(backend, session.sample_rate)
            .map_err(|e| EngineError::Output(e.to_string()))?;
        Self::start(session, opts, pending, None)
    }

    fn start(
        session: &Session,
        opts: &EngineOptions,
        pending: output::PendingOutput,
        notice: Option<String>,
    ) -> Result<Self, EngineError> {
        let info = pending.info().clone();
        let mix_rate = info.sample_rate;
        let end = frames_at(session.length_frames, session.sample_rate, mix_rate);
        let start = opts.start.to_frames(mix_rate);
        if start >= end {
            return Err(EngineError::StartPastEnd {
                start: opts.start,
                length: session.length(),
            });
        }
        let opened = open_streams(session, opts, mix_rate, start, info.buffer_frames)?;
        let (mut processor, reference) = (opened.processor, opened.reference);
        let stem_watch = StemWatch::new(session, processor.stem_health());
        let meters = Arc::new(MeterBank::new(processor.strip_count()));
        processor.attach_meters(Arc::clone(&meters));
        let strips = (0..processor.strip_count())
            .filter_map(|i| processor.strip_params(StripId(i)).copied())
            .collect();
        let master_db = processor.master_db();
        let (ui, audio) = rings(mix_rate);
        let counters = Arc::new(EngineCounters::default());
        let loop_region = opts.looping.map(|(s, e)| LoopRegion {
            start: s.to_frames(mix_rate),
            end: e.to_frames(mix_rate).min(end),
        });
        let mut realtime =
            RealtimeProcessor::new(processor, end, opts.play, audio, Arc::clone(&counters));
        realtime.apply(UiToEngine::SetLoop(loop_region));
        realtime.apply(UiToEngine::SetCeiling(opts.ceiling));
        let monitor_meter = realtime.monitor_meter();
        let mut reference_state = None;
        if let Some(player) = reference {
            let (to_loudness, from_reference) = master_ring(mix_rate);
            let loudness = LoudnessMeter::spawn(mix_rate, from_reference).map_err(|e| {
                EngineError::Output(format!("cannot start the reference's loudness meter: {e}"))
            })?;
            reference_state = Some(ReferenceState {
                loudness,
                listen: Listen::Mix,
                free: false,
                matched: None,
            });
            realtime = realtime.with_reference(player, to_loudness);
        }
        let loudness = LoudnessMeter::spawn(mix_rate, ui.master)
            .map_err(|e| EngineError::Output(format!("cannot start the loudness meter: {e}")))?;
        let output = pending
            .start(Box::new(realtime))
            .map_err(|e| EngineError::Output(e.to_string()))?;
        // Starting may have fallen back to the null output: ask the output what it is now.
        let info = output.info();
        let notice = output.notice().map(str::to_string).or(notice);
        let notices: Vec<String> = [notice, opened.plan_notice, opened.reference_notice]
            .into_iter()
            .flatten()
            .collect();
        let notice = (!notices.is_empty()).then(|| notices.join("; "));
        Ok(Self {
            to_engine: ui.to_engine,
            from_engine: ui.from_engine,
            counters,
            meters,
            loudness,
            output,
            info,
            notice,
            mix_rate,
            end,
            strips,
            master_db,
            loop_region,
            unsent: 0,
            sent: 0,
            jump: None,
            reference: reference_state,
            monitor: MonitorState::default(),
            monitor_meter,
            stem_watch,
        })
    }

    fn send(&mut self, command: UiToEngine) {
        if self.to_engine.push(command).is_ok() {
            self.sent += 1;
        } else {
            self.unsent += 1;
            tracing::warn!("the audio thread's command ring is full; a command was dropped");
        }
    }

    /// What the output is (host, device, rate, buffer).
    pub fn stream_info(&self) -> &StreamInfo {
        &self.info
    }

    /// Why the engine is not on the device that was asked for, if it is not.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// The rate the mix runs at (the device's).
    pub fn mix_rate(&self) -> u32 {
        self.mix_rate
    }

    /// The session length at the mix rate, in frames.
    pub fn end_frame(&self) -> u64 {
        self.end
    }

    /// The session length.
    pub fn length(&self) -> Seconds {
        Seconds::from_frames(self.end, self.mix_rate)
    }

    /// Where the transport is, as last reported by the audio thread.
    pub fn position(&self) -> Seconds {
        Seconds::from_frames(self.position_frame(), self.mix_rate)
    }

    /// Where the transport is, in frames at the mix rate.
    ///
    /// Right after [`Engine::seek`], until the audio thread has taken the jump, this is the jump
    /// target, so keys pressed in the same instant act on the place jumped to.
    pub fn position_frame(&self) -> u64 {
        match self.jump {
            Some((frame, sent)) if self.counters.commands.load(Ordering::Relaxed) < sent => frame,
            _ => self.counters.playhead.load(Ordering::Relaxed),
        }
    }

    /// Whether the transport runs, as last reported by the audio thread.
    pub fn is_playing(&self) -> bool {
        self.counters.playing.load(Ordering::Relaxed)
    }

    /// Starts or resumes playback (from the top when at the end).
    pub fn play(&mut self) {
        self.send(UiToEngine::Play);
    }

    /// Pauses playback (a 10 ms fade).
    pub fn pause(&mut self) {
        self.send(UiToEngine::Pause);
    }

    /// Jumps to a time (clamped to the session), without a click: while playing, the sound
    /// fades out over 10 ms, jumps and fades back in.
    pub fn seek(&mut self, to: Seconds) {
        let frame = to.to_frames(self.mix_rate).min(self.end);
        self.send(UiToEngine::Jump(frame));
        self.jump = Some((frame, self.sent));
    }

    /// Loops `[start, end)`, or stops looping with `None`.
    pub fn set_loop(&mut self, region: Option<(Seconds, Seconds)>) {
        let region = region.map(|(s, e)| LoopRegion {
            start: s.to_frames(self.mix_rate),
            end: e.to_frames(self.mix_rate),
        });
        self.loop_region = region;
        self.send(UiToEngine::SetLoop(region));
    }

    /// The loop region in force, if any.
    pub fn loop_region(&self) -> Option<(Seconds, Seconds)> {
        self.loop_region.map(|r| {
            (
                Seconds::from_frames(r.start, self.mix_rate),
                Seconds::from_frames(r.end, self.mix_rate),
            )
        })
    }

    /// Changes the mirror of a strip's settings and sends the command (nothing for a strip
    /// that does not exist).
    fn edit(&mut self, id: StripId, change: impl FnOnce(&mut StripParams), command: UiToEngine) {
        if let Some(p) = self.strips.get_mut(id.0) {
            change(p);
            self.send(command);
        }
    }

    /// A strip's settings as last sent.
    pub fn strip(&self, id: StripId) -> Option<&StripParams> {
        self.strips.get(id.0)
    }

    /// The number of strips.
    pub fn strip_count(&self) -> usize {
        self.strips.len()
    }

    /// Sets a strip's trim.
    pub fn set_trim(&mut self, id: StripId, db: Decibels) {
        self.edit(id, |p| p.trim = db, UiToEngine::SetTrim(id, db));
    }

    /// Sets a strip's fader.
    pub fn set_gain(&mut self, id: StripId, db: Decibels) {
        self.edit(id, |p| p.gain = db, UiToEngine::SetGain(id, db));
    }

    /// Sets a strip's pan.
    pub fn set_pan(&mut self, id: StripId, pan: Pan) {
        self.edit(id, |p| p.pan = pan, UiToEngine::SetPan(id, pan));
    }

    /// Mutes or unmutes a strip.
    pub fn set_mute(&mut self, id: StripId, on: bool) {
        self.edit(id, |p| p.mute = on, UiToEngine::SetMute(id, on));
    }

    /// Solos or unsolos a strip.
    pub fn set_solo(&mut self, id: StripId, on: bool) {
        self.edit(id, |p| p.solo = on, UiToEngine::SetSolo(id, on));
    }

    /// Clears every solo.
    pub fn clear_solos(&mut self) {
        for p in &mut self.strips {
            p.solo = false;
        }
        self.send(UiToEngine::ClearSolos);
    }

    /// Sets the master fader.
    pub fn set_master(&mut self, db: Decibels) {
        self.master_db = db;
        self.send(UiToEngine::SetMaster(db));
    }

    /// The master fader as last sent.
    pub fn master_db(&self) -> Decibels {
        self.master_db
    }

    /// Replaces the section scenes (build them with [`SceneTimeline::for_session`] at
    /// [`Engine::mix_rate`]); levels glide to them like a fader move.
    pub fn set_scenes(&mut self, scenes: SceneTimeline) {
        self.send(UiToEngine::SetScenes(Box::new(scenes)));
    }

    /// Compare: plays the base mix in place of the section scenes (true), or the scenes again.
    pub fn set_scenes_bypassed(&mut self, bypassed: bool) {
        self.send(UiToEngine::SetScenesBypassed(bypassed));
    }

    /// Replaces a strip's source; the old one is dropped here when the audio thread returns it.
    pub fn replace_source(&mut self, id: StripId, source: Box<dyn Source>) {
        self.send(UiToEngine::ReplaceSource(id, source));
    }

    /// Every strip's meter since the last call, and the master's.
    pub fn take_meters(&self) -> (Vec<MeterReading>, MeterReading) {
        let strips = (0..self.meters.strip_count())
            .filter_map(|i| self.meters.strip(i).map(super::meter::MeterCell::take))
            .collect();
        (strips, self.meters.master().take())
    }

    /// The master's loudness and true peak (measured off the audio thread).
    pub fn loudness(&self) -> LoudnessReading {
        self.loudness.reading()
    }

    /// Restarts integrated loudness and the true-peak maximum (the reference's too: the
    /// loudness match starts over on the span played from now on).
    pub fn reset_loudness(&self) {
        self.loudness.reset();
        if let Some(reference) = &self.reference {
            reference.loudness.reset();
        }
    }

    /// Switches the monitor section (stereo image, swap, playback-system preset, dim, mute
    /// all). What is heard only: the bounce never passes through it.
    pub fn set_monitor(&mut self, state: MonitorState) {
        self.monitor = state;
        self.send(UiToEngine::SetMonitor(state));
    }

    /// The monitor section's switches as last sent.
    pub fn monitor(&self) -> MonitorState {
        self.monitor
    }

    /// How hard the safety ceiling worked since the last call.
    pub fn take_ceiling(&self) -> CeilingReading {
        self.monitor_meter.take()
    }

    /// True when the session's reference track is playing next to the mix.
    pub fn has_reference(&self) -> bool {
        self.reference.is_some()
    }

    /// Which one the monitor plays.
    pub fn listen(&self) -> Listen {
        self.reference.as_ref().map_or(Listen::Mix, |r| r.listen)
    }

    /// Plays the mix or the reference (a 20 ms crossfade). Without a reference it stays on
    /// the mix.
    pub fn set_listen(&mut self, listen: Listen) {
        if let Some(reference) = &mut self.reference {
            reference.listen = listen;
            self.send(UiToEngine::SetListen(listen));
        }
    }

    /// True while the reference runs free of the session playhead.
    pub fn reference_free(&self) -> bool {
        self.reference.as_ref().is_some_and(|r| r.free)
    }

    /// Lets the reference run free of the session playhead (true), or locks it to it again.
    /// The reference's loudness is measured afresh from here (it plays other music now); the
    /// master's integrated loudness carries on.
    pub fn set_reference_free(&mut self, free: bool) {
        if let Some(reference) = &mut self.reference {
            reference.free = free;
            reference.loudness.reset();
            self.send(UiToEngine::SetReferenceFree(free));
        }
    }

    /// Moves a free-running reference (clamped to its length; nothing when locked).
    pub fn seek_reference(&mut self, to: Seconds) {
        if self.reference_free() {
            let frame = to.0.max(0.0) * f64::from(self.mix_rate);
            self.send(UiToEngine::SeekReference(frame.round() as u64));
        }
    }

    /// Where the reference is, in its own time (negative before it starts), as last reported.
    pub fn reference_position(&self) -> Option<Seconds> {
        self.reference.as_ref()?;
        let frame = self.counters.reference_frame.load(Ordering::Relaxed);
        Some(Seconds(frame as f64 / f64::from(self.mix_rate)))
    }

    /// The loudness match in force: how far the mix or the reference is turned down.
    pub fn reference_match(&self) -> Option<LoudnessMatch> {
        self.reference.as_ref()?.matched
    }

    /// Measures both sides again and sends a new match when it moved by 0.05 dB or more.
    fn update_match(&mut self) {
        let Some(reference) = &mut self.reference else {
            return;
        };
        let mix = self.loudness.peek();
        let Some(new) = match_loudness(&mix, &reference.loudness.peek(), self.mix_rate) else {
            return;
        };
        let moved = reference.matched.is_none_or(|old| {
            (old.mix_db - new.mix_db).abs() >= 0.05
                || (old.reference_db - new.reference_db).abs() >= 0.05
                || old.basis != new.basis
        });
        if moved {
            reference.matched = Some(new);
            self.send(UiToEngine::SetReferenceMatch {
                mix: Decibels(new.mix_db),
                reference: Decibels(new.reference_db),
            });
        }
    }

    /// The audio thread's counters (underruns, dropped messages, ...).
    pub fn counters(&self) -> &EngineCounters {
        &self.counters
    }

    /// Commands that could not be sent because the ring was full.
    pub fn unsent_commands(&self) -> u64 {
        self.unsent
    }

    /// The output's health: frames, xruns, errors and state.
    pub fn output(&self) -> &Output {
        &self.output
    }

    /// Collects what happened since the last call: drains the audio thread's messages (dropping
    /// retired heap items here) and the output supervisor's events.
    ///
    /// Not realtime-safe (the UI calls it every frame).
    pub fn update(&mut self) -> Vec<EngineEvent> {
        let mut events = Vec::new();
        while let Ok(message) = self.from_engine.pop() {
            match message {
                // The position also lands in the shared counters, which `position` reads.
                EngineToUi::Position { .. } => {}
                EngineToUi::Buffering { waiting } => {
                    events.push(EngineEvent::Buffering { waiting });
                }
                EngineToUi::Underrun { strips, frame } => events.push(EngineEvent::Underrun {
                    strips,
                    at: Seconds::from_frames(frame, self.mix_rate),
                }),
                EngineToUi::StreamFailed { strips } => {
                    events.push(EngineEvent::StreamFailed { strips });
                }
                EngineToUi::LoopWrapped { to } => events.push(EngineEvent::LoopWrapped {
                    to: Seconds::from_frames(to, self.mix_rate),
                }),
                EngineToUi::Ended { .. } => events.push(EngineEvent::Ended),
                EngineToUi::Retire(item) => drop(item),
            }
        }
        self.update_match();
        events.extend(
            self.output
                .poll_events()
                .into_iter()
                .map(EngineEvent::Output),
        );
        events.extend(
            self.stem_watch
                .news()
                .into_iter()
                .map(EngineEvent::StemDamaged),
        );
        events
    }
}

/// The name of the thread that opens the stems, which creek's I/O threads inherit (so they show
/// under this name in `top -H`; Linux keeps 15 characters of a thread name).
pub const STEM_IO_THREAD: &str = "earmix-stem-io";

/// The streams [`Engine::start`] opened, and what it has to say about them.
struct OpenedStreams {
    processor: Processor,
    reference: Option<ReferencePlayer>,
    /// What the stream plan gave up, if anything.
    plan_notice: Option<String>,
    /// Why the reference does not play, when it does not.
    reference_notice: Option<String>,
}

/// Plans the streams within the memory budget (see [`StreamPlan`]), opens the stems and the
/// reference at timeline frame `start` and waits for their first data.
///
/// Not realtime-safe (opens files, starts threads, waits).
fn open_streams(
    session: &Session,
    opts: &EngineOptions,
    mix_rate: u32,
    start: u64,
    buffer_frames: u32,
) -> Result<OpenedStreams, EngineError> {
    let plan = StreamPlan::for_session(
        session,
        mix_rate,
        start,
        u64::from(opts.stream_memory_mib) * MIB,
        buffer_frames,
    );
    tracing::info!("{}", plan.summary());
    let plan_notice = plan.notice();
    if let Some(notice) = &plan_notice {
        tracing::warn!("{notice}");
    }
    let mut processor = open_for_playback(session, mix_rate, start, &plan)?;
    processor.wait_ready()?;
    let (reference, reference_notice) = match on_stem_io_thread(|| {
        open_reference(
            session,
            mix_rate,
            start,
            plan.cached(),
            plan.reference_config(mix_rate),
        )
    }) {
        Ok(Some(mut player)) => match player.wait_ready() {
            Ok(()) => (Some(player), None),
            Err(e) => (None, Some(format!("playing without the reference: {e}"))),
        },
        Ok(None) => (None, None),
        Err(e) => (None, Some(format!("playing without the reference: {e}"))),
    };
    if let Some(notice) = &reference_notice {
        tracing::warn!("{notice}");
    }
    Ok(OpenedStreams {
        processor,
        reference,
        plan_notice,
        reference_notice,
    })
}

/// Opens the session's stems for playback as `plan` says ([`Processor::for_session_planned`]),
/// on [`on_stem_io_thread`].
///
/// Not realtime-safe (opens files, starts threads).
pub fn open_for_playback(
    session: &Session,
    mix_rate: u32,
    start: u64,
    plan: &StreamPlan,
) -> Result<Processor, StreamError> {
    on_stem_io_thread(|| Processor::for_session_planned(session, mix_rate, start, plan))
}

/// Runs `open` (which opens streams) on a thread of low scheduling priority (`SCHED_BATCH`,
/// nice 9 on Linux), so that the creek I/O threads it starts, one per stem, inherit it. They
/// poll every millisecond; at normal priority a hundred of them on two cores crowd out the
/// audio thread. Their real work is small and far ahead of the playhead, so a lower priority
/// costs nothing.
///
/// Not realtime-safe (starts a thread and waits for it).
pub fn on_stem_io_thread<T: Send>(open: impl Fn() -> T + Send + Sync) -> T {
    std::thread::scope(|scope| {
        let opener = std::thread::Builder::new()
            .name(STEM_IO_THREAD.into())
            .spawn_scoped(scope, || {
                lower_current_thread_priority();
                open()
            });
        match opener {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to spare: open here, at normal priority.
            Err(e) => {
                tracing::warn!("opening stems on this thread ({e})");
                open()
            }
        }
    })
}

/// Puts the calling thread (and the threads it starts) in the background scheduling class.
#[cfg(target_os = "linux")]
fn lower_current_thread_priority() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    // 25 of 0..100 maps to nice 9.
    let priority = ThreadPriorityValue::try_from(25u8).map(ThreadPriority::Crossplatform);
    let result = priority.and_then(|priority| {
        set_thread_priority_and_policy(
            thread_native_id(),
            priority,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
        )
        .map_err(|e| format!("{e:?}"))
    });
    if let Err(e) = result {
        tracing::info!("stem I/O threads stay at normal priority ({e})");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_current_thread_priority() {}
