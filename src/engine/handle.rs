//! The UI thread: the [`Engine`], its handle on playback. It opens the output and the streams,
//! hands a [`RealtimeProcessor`] to the audio thread, then only sends commands and reads what
//! comes back (events, positions, meters, loudness). Nothing here is realtime-safe: never call
//! it from the audio callback.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use rtrb::{Consumer, Producer};

use super::health::{StemDamage, StemHealth};
use super::loudness::{LoudnessMatch, LoudnessMeter, LoudnessReading, master_ring, match_loudness};
use super::meter::{MeterBank, MeterReading};
use super::monitor::{CeilingReading, MonitorMeter, MonitorState};
use super::output::{self, Backend, Output, OutputEvent, OutputRequest, StreamInfo};
use super::processor::{Processor, StripHealth};
use super::protocol::{EngineCounters, EngineToUi, Listen, LoopRegion, UiToEngine, rings};
use super::realtime::RealtimeProcessor;
use super::reference::{ReferencePlayer, open_reference};
use super::render::DamagedStem;
use super::ride::RideTable;
use super::scene::SceneTimeline;
use super::source::{Source, StreamError};
use super::stem_io::{
    IO_TIMER_SLACK, PARKED_TIMER_SLACK, on_stem_io_thread, open_for_playback, set_io_timer_slack,
};
use super::stream_plan::{MIB, StreamPlan};
use crate::session::Session;
use crate::units::{Decibels, Pan, Seconds, StripId, frames_at};

/// How long after the last command the engine may relax creek's I/O threads once the output
/// is parked: longer than the idle time before a park, so a park seen just after a command
/// (before the supervisor has woken the stream for it) is not taken for a new one.
const RELAX_AFTER_SEND: std::time::Duration = std::time::Duration::from_secs(2);

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
    /// The monitor's output safety ceiling, dBFS (see
    /// [`DEFAULT_CEILING_DB`](super::realtime::DEFAULT_CEILING_DB)).
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
    fn new(session: &Session, health: Vec<StripHealth>) -> Self {
        let stems = session
            .channels
            .iter()
            .zip(health)
            .flat_map(|(channel, [left, right])| {
                let right_file = channel.right_file.clone().unwrap_or_default();
                [(channel.file.clone(), left), (right_file, right)]
            })
            .filter_map(|(file, health)| {
                Some(WatchedStem {
                    file,
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

/// The UI thread's handle on playback: sends commands; reads positions, meters and loudness.
/// The mixer's settings live in the console's model, which sends them here; the engine keeps no
/// copy of them.
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
    loop_region: Option<LoopRegion>,
    unsent: u64,
    /// Commands handed to the audio thread so far.
    sent: u64,
    /// creek's I/O threads sleep with [`PARKED_TIMER_SLACK`] while the output is parked.
    io_relaxed: bool,
    /// When the last command was sent (the output parks only after a second without one).
    last_send: std::time::Instant,
    /// The last jump asked for: its frame, and the count of commands sent with it.
    jump: Option<(u64, u64)>,
    /// The last play (true) or pause (false) asked for, and the count of commands sent with it.
    asked: Option<(bool, u64)>,
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
    /// The reference's length in frames at the mix rate.
    len: u64,
    /// The last move of the free-running reference asked for: its frame, and the count of
    /// commands sent with it.
    jump: Option<(u64, u64)>,
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
        let (ui, audio) = rings(mix_rate);
        let counters = Arc::new(EngineCounters::default());
        let loop_region = opts.looping.map(|(s, e)| LoopRegion {
            start: s.to_frames(mix_rate),
            end: e.to_frames(mix_rate).min(end),
        });
        let mut realtime =
            RealtimeProcessor::new(processor, end, opts.play, audio, Arc::clone(&counters))
                .with_park_gate(pending.park_gate());
        realtime.apply(UiToEngine::SetLoop(loop_region));
        realtime.apply(UiToEngine::SetCeiling(opts.ceiling));
        let monitor_meter = realtime.monitor_meter();
        let mut reference_state = None;
        if let Some(player) = reference {
            let (to_loudness, from_reference) = master_ring(mix_rate);
            let loudness =
                LoudnessMeter::spawn_with(mix_rate, from_reference, Some(pending.park_gate()))
                    .map_err(|e| {
                        EngineError::Output(format!(
                            "cannot start the reference's loudness meter: {e}"
                        ))
                    })?;
            reference_state = Some(ReferenceState {
                loudness,
                listen: Listen::Mix,
                free: false,
                matched: None,
                len: player.len_frames(),
                jump: None,
            });
            realtime = realtime.with_reference(player, to_loudness);
        }
        let loudness = LoudnessMeter::spawn_with(mix_rate, ui.master, Some(pending.park_gate()))
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
            loop_region,
            unsent: 0,
            sent: 0,
            io_relaxed: false,
            last_send: std::time::Instant::now(),
            jump: None,
            asked: None,
            reference: reference_state,
            monitor: MonitorState::default(),
            monitor_meter,
            stem_watch,
        })
    }

    /// Pushes a command to the audio thread, and wakes a parked stream with it (the ring, of
    /// [`TO_ENGINE_CAPACITY`](super::protocol::TO_ENGINE_CAPACITY) commands, is drained again
    /// once the host has restarted the stream, or on JACK built a new one: far sooner than the
    /// console can fill it). The loudness threads, resting while the output is parked, are
    /// woken with it. Returns whether the command was pushed.
    fn send(&mut self, command: UiToEngine) -> bool {
        let pushed = self.to_engine.push(command).is_ok();
        if self.output.command_sent(pushed) {
            self.loudness.wake();
            if let Some(reference) = &self.reference {
                reference.loudness.wake();
            }
        }
        self.last_send = std::time::Instant::now();
        if self.io_relaxed {
            // After the wake-up: the command may need data soon (a play, a jump).
            self.io_relaxed = false;
            set_io_timer_slack(IO_TIMER_SLACK);
        }
        if pushed {
            self.sent += 1;
        } else {
            self.unsent += 1;
            tracing::warn!("the audio thread's command ring is full; a command was dropped");
        }
        pushed
    }

    /// What the output is (host, device, rate, buffer).
    ///
    /// Not realtime-safe.
    pub fn stream_info(&self) -> &StreamInfo {
        &self.info
    }

    /// Why the engine is not on the device that was asked for, if it is not.
    ///
    /// Not realtime-safe.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// The rate the mix runs at (the device's).
    ///
    /// Not realtime-safe.
    pub fn mix_rate(&self) -> u32 {
        self.mix_rate
    }

    /// The session length at the mix rate, in frames.
    ///
    /// Not realtime-safe.
    pub fn end_frame(&self) -> u64 {
        self.end
    }

    /// The session length.
    ///
    /// Not realtime-safe.
    pub fn length(&self) -> Seconds {
        Seconds::from_frames(self.end, self.mix_rate)
    }

    /// Where the transport is, as last reported by the audio thread.
    ///
    /// Not realtime-safe.
    pub fn position(&self) -> Seconds {
        Seconds::from_frames(self.position_frame(), self.mix_rate)
    }

    /// Where the transport is, in frames at the mix rate.
    ///
    /// Right after [`Engine::seek`], until the audio thread has taken the jump, this is the jump
    /// target, so keys pressed in the same instant act on the place jumped to.
    ///
    /// Not realtime-safe.
    pub fn position_frame(&self) -> u64 {
        match self.jump {
            Some((frame, sent)) if self.counters.commands.load(Ordering::Relaxed) < sent => frame,
            _ => self.counters.playhead.load(Ordering::Relaxed),
        }
    }

    /// Whether the transport runs, or is about to: right after [`Engine::play`] or
    /// [`Engine::pause`], until the audio thread has taken it, what was asked, so a play or
    /// pause pressed in the same instant acts on it; after a pause, no longer playing as soon
    /// as the audio thread has taken it, though its 10 ms fade-out still sounds (see
    /// [`Engine::is_sounding`]); otherwise as last reported by the audio thread.
    ///
    /// Not realtime-safe.
    pub fn is_playing(&self) -> bool {
        match self.asked {
            Some((asked, sent)) if self.counters.commands.load(Ordering::Relaxed) < sent => asked,
            // A pause taken is a stop under way: only a play starts the transport again.
            Some((false, _)) => false,
            _ => self.is_sounding(),
        }
    }

    /// Whether the audio thread plays, as it last reported: true during a pause's fade-out.
    ///
    /// Not realtime-safe.
    pub fn is_sounding(&self) -> bool {
        self.counters.playing.load(Ordering::Relaxed)
    }

    /// Starts or resumes playback (from the top when at the end).
    ///
    /// Not realtime-safe.
    pub fn play(&mut self) {
        if self.send(UiToEngine::Play) {
            self.asked = Some((true, self.sent));
        }
    }

    /// Pauses playback (a 10 ms fade).
    ///
    /// Not realtime-safe.
    pub fn pause(&mut self) {
        if self.send(UiToEngine::Pause) {
            self.asked = Some((false, self.sent));
        }
    }

    /// Jumps to a time (clamped to the session), without a click: while playing, the sound
    /// fades out over 10 ms, jumps and fades back in.
    ///
    /// Not realtime-safe.
    pub fn seek(&mut self, to: Seconds) {
        let frame = to.to_frames(self.mix_rate).min(self.end);
        self.send(UiToEngine::Jump(frame));
        self.jump = Some((frame, self.sent));
    }

    /// Loops `[start, end)`, or stops looping with `None`.
    ///
    /// Not realtime-safe.
    pub fn set_loop(&mut self, region: Option<(Seconds, Seconds)>) {
        let region = region.map(|(s, e)| LoopRegion {
            start: s.to_frames(self.mix_rate),
            end: e.to_frames(self.mix_rate),
        });
        self.loop_region = region;
        self.send(UiToEngine::SetLoop(region));
    }

    /// The loop region in force, if any.
    ///
    /// Not realtime-safe.
    pub fn loop_region(&self) -> Option<(Seconds, Seconds)> {
        self.loop_region.map(|r| {
            (
                Seconds::from_frames(r.start, self.mix_rate),
                Seconds::from_frames(r.end, self.mix_rate),
            )
        })
    }

    /// Sets a strip's trim.
    ///
    /// Not realtime-safe.
    pub fn set_trim(&mut self, id: StripId, db: Decibels) {
        self.send(UiToEngine::SetTrim(id, db));
    }

    /// Sets a strip's fader.
    ///
    /// Not realtime-safe.
    pub fn set_gain(&mut self, id: StripId, db: Decibels) {
        self.send(UiToEngine::SetGain(id, db));
    }

    /// Sets a strip's pan.
    ///
    /// Not realtime-safe.
    pub fn set_pan(&mut self, id: StripId, pan: Pan) {
        self.send(UiToEngine::SetPan(id, pan));
    }

    /// Mutes or unmutes a strip.
    ///
    /// Not realtime-safe.
    pub fn set_mute(&mut self, id: StripId, on: bool) {
        self.send(UiToEngine::SetMute(id, on));
    }

    /// Solos or unsolos a strip.
    ///
    /// Not realtime-safe.
    pub fn set_solo(&mut self, id: StripId, on: bool) {
        self.send(UiToEngine::SetSolo(id, on));
    }

    /// Clears every solo.
    ///
    /// Not realtime-safe.
    pub fn clear_solos(&mut self) {
        self.send(UiToEngine::ClearSolos);
    }

    /// Sets the master fader.
    ///
    /// Not realtime-safe.
    pub fn set_master(&mut self, db: Decibels) {
        self.send(UiToEngine::SetMaster(db));
    }

    /// Replaces the section scenes (build them with [`SceneTimeline::for_session`] at
    /// [`Engine::mix_rate`]); levels glide to them like a fader move.
    ///
    /// Not realtime-safe.
    pub fn set_scenes(&mut self, scenes: SceneTimeline) {
        self.send(UiToEngine::SetScenes(Box::new(scenes)));
    }

    /// Compare: plays the base mix in place of the section scenes (true), or the scenes again.
    ///
    /// Not realtime-safe.
    pub fn set_scenes_bypassed(&mut self, bypassed: bool) {
        self.send(UiToEngine::SetScenesBypassed(bypassed));
    }

    /// Replaces the rides (build them with [`RideTable::for_session`] at [`Self::mix_rate`]).
    /// The old table is dropped here when it comes back.
    ///
    /// Not realtime-safe.
    pub fn set_rides(&mut self, rides: RideTable) {
        self.send(UiToEngine::SetRides(Box::new(rides)));
    }

    /// While a strip's ride is recorded: plays it at `db` (added to its fader) in place of its
    /// ride, or (`None`) lets it follow its ride again; each glides over 10 ms.
    ///
    /// Not realtime-safe.
    pub fn hold_ride(&mut self, id: StripId, db: Option<Decibels>) {
        self.send(UiToEngine::HoldRide(id, db));
    }

    /// Replaces a strip's source; the old one is dropped here when the audio thread returns it.
    ///
    /// Not realtime-safe.
    pub fn replace_source(&mut self, id: StripId, source: Box<dyn Source>) {
        self.send(UiToEngine::ReplaceSource(id, source));
    }

    /// Every strip's meter since the last call, and the master's.
    ///
    /// Not realtime-safe.
    pub fn take_meters(&self) -> (Vec<MeterReading>, MeterReading) {
        let strips = (0..self.meters.strip_count())
            .filter_map(|i| self.meters.strip(i).map(super::meter::MeterCell::take))
            .collect();
        (strips, self.meters.master().take())
    }

    /// The master's loudness and true peak (measured off the audio thread).
    ///
    /// Not realtime-safe.
    pub fn loudness(&self) -> LoudnessReading {
        self.loudness.reading()
    }

    /// Restarts integrated loudness and the true-peak maximum (the reference's too: the
    /// loudness match starts over on the span played from now on).
    ///
    /// Not realtime-safe.
    pub fn reset_loudness(&self) {
        self.loudness.reset();
        if let Some(reference) = &self.reference {
            reference.loudness.reset();
        }
    }

    /// Switches the monitor section (stereo image, swap, playback-system preset, dim, mute
    /// all). What is heard only: the bounce never passes through it.
    ///
    /// Not realtime-safe.
    pub fn set_monitor(&mut self, state: MonitorState) {
        self.monitor = state;
        self.send(UiToEngine::SetMonitor(state));
    }

    /// The monitor section's switches as last sent.
    ///
    /// Not realtime-safe.
    pub fn monitor(&self) -> MonitorState {
        self.monitor
    }

    /// How hard the safety ceiling worked since the last call.
    ///
    /// Not realtime-safe.
    pub fn take_ceiling(&self) -> CeilingReading {
        self.monitor_meter.take()
    }

    /// True when the session's reference track is playing next to the mix.
    ///
    /// Not realtime-safe.
    pub fn has_reference(&self) -> bool {
        self.reference.is_some()
    }

    /// Which one the monitor plays.
    ///
    /// Not realtime-safe.
    pub fn listen(&self) -> Listen {
        self.reference.as_ref().map_or(Listen::Mix, |r| r.listen)
    }

    /// Plays the mix or the reference (a 20 ms crossfade). Without a reference it stays on
    /// the mix.
    ///
    /// Not realtime-safe.
    pub fn set_listen(&mut self, listen: Listen) {
        if let Some(reference) = &mut self.reference {
            reference.listen = listen;
            self.send(UiToEngine::SetListen(listen));
        }
    }

    /// True while the reference runs free of the session playhead.
    ///
    /// Not realtime-safe.
    pub fn reference_free(&self) -> bool {
        self.reference.as_ref().is_some_and(|r| r.free)
    }

    /// Lets the reference run free of the session playhead (true), or locks it to it again.
    /// The reference's loudness is measured afresh from here (it plays other music now); the
    /// master's integrated loudness carries on.
    ///
    /// Not realtime-safe.
    pub fn set_reference_free(&mut self, free: bool) {
        if let Some(reference) = &mut self.reference {
            reference.free = free;
            reference.loudness.reset();
            self.send(UiToEngine::SetReferenceFree(free));
        }
    }

    /// Moves a free-running reference (clamped to its length; nothing when locked). The audio
    /// thread takes it as a seek: the reference holds in silence while the data there loads,
    /// and no underrun is counted.
    ///
    /// Not realtime-safe.
    pub fn seek_reference(&mut self, to: Seconds) {
        if !self.reference_free() {
            return;
        }
        let frame = to.to_frames(self.mix_rate);
        self.send(UiToEngine::SeekReference(frame));
        let sent = self.sent;
        if let Some(reference) = &mut self.reference {
            reference.jump = Some((frame.min(reference.len), sent));
        }
    }

    /// Where the reference is, in frames of its own at the mix rate (negative before it
    /// starts), as last reported, and how far that is ahead of the transport (the reference
    /// frame minus the session frame).
    ///
    /// Right after [`Engine::seek_reference`], until the audio thread has taken the move, the
    /// place is the one moved to, as [`Engine::position_frame`] does for the transport.
    ///
    /// Not realtime-safe.
    pub fn reference_frames(&self) -> Option<(i64, i64)> {
        let reference = self.reference.as_ref()?;
        Some(match reference.jump {
            Some((frame, sent)) if self.counters.commands.load(Ordering::Relaxed) < sent => {
                let frame = frame as i64;
                (frame, frame - self.position_frame() as i64)
            }
            _ => {
                let playhead = self.counters.playhead.load(Ordering::Relaxed) as i64;
                let offset = self.counters.reference_offset.load(Ordering::Relaxed);
                (playhead + offset, offset)
            }
        })
    }

    /// Where the reference is, in its own time (negative before it starts): see
    /// [`Engine::reference_frames`].
    ///
    /// Not realtime-safe.
    pub fn reference_position(&self) -> Option<Seconds> {
        let (frame, _) = self.reference_frames()?;
        Some(Seconds(frame as f64 / f64::from(self.mix_rate)))
    }

    /// How far the reference is ahead of the transport (behind when negative). See
    /// [`Engine::reference_frames`].
    ///
    /// Not realtime-safe.
    pub fn reference_offset(&self) -> Option<Seconds> {
        let (_, offset) = self.reference_frames()?;
        Some(Seconds(offset as f64 / f64::from(self.mix_rate)))
    }

    /// The loudness match in force: how far the mix or the reference is turned down.
    ///
    /// Not realtime-safe.
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
    ///
    /// Not realtime-safe.
    pub fn counters(&self) -> &EngineCounters {
        &self.counters
    }

    /// Commands that could not be sent because the ring was full.
    ///
    /// Not realtime-safe.
    pub fn unsent_commands(&self) -> u64 {
        self.unsent
    }

    /// The output's health: frames, xruns, errors and state.
    ///
    /// Not realtime-safe.
    pub fn output(&self) -> &Output {
        &self.output
    }

    /// Collects what happened since the last call: drains the audio thread's messages (dropping
    /// retired heap items here) and the output supervisor's events.
    ///
    /// Not realtime-safe (the UI calls it every frame).
    pub fn update(&mut self) -> Vec<EngineEvent> {
        let mut events = Vec::new();
        // Parked, nothing reads the streams: their I/O threads may poll far less often. (Not
        // just after a command: the supervisor may not have woken the stream for it yet.)
        if !self.io_relaxed
            && self.last_send.elapsed() >= RELAX_AFTER_SEND
            && self.output.health().state == output::OutputState::Parked
        {
            self.io_relaxed = true;
            set_io_timer_slack(PARKED_TIMER_SLACK);
        }
        while let Ok(message) = self.from_engine.pop() {
            match message {
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
