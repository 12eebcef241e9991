//! The audio thread: the [`RealtimeProcessor`], the transport and mixer the output's callback
//! runs. It shares nothing with the UI thread's [`Engine`](super::handle::Engine) but the
//! fixed-capacity rtrb rings and atomics of [`super::protocol`]. Realtime-safe after
//! construction: nothing here allocates, locks, blocks or prints once the stream runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rtrb::{Consumer, Producer};

use super::monitor::{Monitor, MonitorMeter};
use super::output::{ParkGate, Render};
use super::processor::Processor;
use super::protocol::{
    EngineCounters, EngineToUi, Listen, LoopRegion, ProcessorRings, Retired, UiToEngine,
};
use super::reference::ReferencePlayer;
use super::smoother::{Smoother, ramp_frames};
use super::source::{MAX_BLOCK, MAX_BUFFERING_SECONDS, ReadMode};
use crate::units::Decibels;

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
    /// Where the transport says it is idle, so the output can park the stream.
    park: Option<Arc<ParkGate>>,
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

impl RealtimeProcessor {
    /// Wraps a processor for the audio thread. `end` is the session length at the mix rate.
    ///
    /// Not realtime-safe (allocates; call before the stream starts).
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
            park: None,
        }
    }

    /// Reports to `gate`, after each block, whether the transport is idle and how many commands
    /// were taken, so the output can park its stream while nothing plays (see [`ParkGate`]).
    ///
    /// Not realtime-safe (call before the stream starts).
    #[must_use]
    pub fn with_park_gate(mut self, gate: Arc<ParkGate>) -> Self {
        self.park = Some(gate);
        self
    }

    /// The monitor's ceiling meter (wire it to the UI before the stream starts).
    ///
    /// Not realtime-safe.
    pub fn monitor_meter(&self) -> Arc<MonitorMeter> {
        self.monitor.meter()
    }

    /// Plays `player` as the reference track next to the mix, feeding its loudness into
    /// `ring` (interleaved stereo, like the master ring).
    ///
    /// Not realtime-safe (allocates).
    #[must_use]
    pub fn with_reference(mut self, player: ReferencePlayer, ring: Producer<f32>) -> Self {
        let rate = self.processor.sample_rate();
        let offset = player.position() - self.processor.playhead() as i64;
        self.counters
            .reference_offset
            .store(offset, Ordering::Relaxed);
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
    ///
    /// Realtime-safe.
    pub fn processor(&self) -> &Processor {
        &self.processor
    }

    /// True while the transport runs (including a pause's fade-out).
    ///
    /// Realtime-safe.
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    fn send(&mut self, event: EngineToUi) {
        if self.to_ui.push(event).is_err() {
            self.counters.dropped_events.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Applies every waiting command, and says how many. A source replacement waits in the ring
    /// until there is room to send the old source back, so nothing is ever dropped on this
    /// thread.
    ///
    /// Realtime-safe.
    pub fn apply_commands(&mut self) -> u64 {
        let mut applied = 0;
        while let Ok(next) = self.from_ui.peek() {
            let retires = matches!(
                next,
                UiToEngine::ReplaceSource(..) | UiToEngine::SetScenes(_) | UiToEngine::SetRides(_)
            );
            if retires && self.to_ui.slots() == 0 {
                break;
            }
            let Ok(command) = self.from_ui.pop() else {
                break;
            };
            self.counters.commands.fetch_add(1, Ordering::Relaxed);
            self.apply(command);
            applied += 1;
        }
        applied
    }

    /// Applies one command at once. The UI thread's set-up uses it before the stream starts;
    /// the callback takes commands through [`Self::apply_commands`], which makes sure there is
    /// room to send a retired item back.
    ///
    /// Realtime-safe when the ring to the UI has room for a retired item (one that does not
    /// fit is dropped here).
    pub(super) fn apply(&mut self, command: UiToEngine) {
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
            UiToEngine::SetRides(rides) => {
                let old = p.set_rides(rides);
                self.send(EngineToUi::Retire(Retired::Rides(old)));
            }
            UiToEngine::HoldRide(id, db) => p.hold_ride(id, db),
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
            // The jump is fading out: it lands, then plays. Raising the fade here would cancel
            // the fade-out, and with it the jump.
            *resume = true;
            return;
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
        let applied = self.apply_commands();
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
        if let Some(gate) = &self.park {
            gate.rendered(n as u64, applied, self.is_idle());
        }
    }

    /// True when nothing needs the audio thread: the transport stopped (its fade-out done), no
    /// jump waiting and no command left in the ring. The reference never plays while the
    /// transport is stopped, free-running or not.
    fn is_idle(&self) -> bool {
        !self.playing && self.pending_jump.is_none() && self.from_ui.is_empty()
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

    /// Publishes where the transport and the reference are: the one way positions reach the UI
    /// (latest value wins, like the meters). The reference's place goes as its offset from the
    /// playhead published with it, so the offset is exact even when the UI reads the two in
    /// different callbacks.
    fn report(&mut self) {
        // A jump waiting for its fade-out already counts as done: report where it goes.
        let playhead = self
            .pending_jump
            .map_or(self.processor.playhead(), |(frame, _)| frame);
        self.counters.playhead.store(playhead, Ordering::Relaxed);
        self.counters.playing.store(self.playing, Ordering::Relaxed);
        if let Some(side) = &self.reference {
            let offset = side.player.position() - playhead as i64;
            self.counters
                .reference_offset
                .store(offset, Ordering::Relaxed);
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
