//! What the two threads share: the messages between the UI thread's
//! [`Engine`](super::handle::Engine) and the audio thread's
//! [`RealtimeProcessor`](super::realtime::RealtimeProcessor), the fixed-capacity rtrb rings they
//! travel on (`to_engine`: UI -> audio, `from_engine`: audio -> UI, and the master ring to the
//! loudness thread), and the atomic [`EngineCounters`]. Heap items that the audio thread lets go
//! of travel back in [`EngineToUi::Retire`] so they are dropped on the UI thread, never in the
//! callback.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64};

use rtrb::{Consumer, Producer, RingBuffer};

use super::loudness::master_ring;
use super::monitor::MonitorState;
use super::ride::RideTable;
use super::scene::SceneTimeline;
use super::source::Source;
use crate::units::{Decibels, Pan, StripId};

/// Capacity of the UI -> audio ring.
pub const TO_ENGINE_CAPACITY: usize = 1024;
/// Capacity of the audio -> UI ring.
pub const FROM_ENGINE_CAPACITY: usize = 1024;

/// A region the transport loops over, in frames at the mix rate (`start < end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopRegion {
    /// First frame of the loop.
    pub start: u64,
    /// The frame after the last one (playback jumps to `start` here).
    pub end: u64,
}

/// Which of the two the monitor plays: the session's mix or the reference track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Listen {
    /// The mix (what the bounce renders).
    #[default]
    Mix,
    /// The session's reference track.
    Reference,
}

impl Listen {
    /// The other one.
    #[must_use]
    pub fn flipped(self) -> Self {
        match self {
            Listen::Mix => Listen::Reference,
            Listen::Reference => Listen::Mix,
        }
    }
}

/// A command from the UI to the audio thread.
pub enum UiToEngine {
    /// Start (or resume) playback, fading in over 10 ms.
    Play,
    /// Pause playback, fading out over 10 ms.
    Pause,
    /// Jump to a frame (a cut: gains settle, nothing glides across it).
    Seek(u64),
    /// Jump to a frame without a click: while playing, the output fades out over 10 ms, the
    /// transport jumps, and it fades back in from the new place (the section scene there
    /// applies at once). When stopped it is a [`UiToEngine::Seek`].
    Jump(u64),
    /// Loop a region, or stop looping.
    SetLoop(Option<LoopRegion>),
    /// A strip's input trim.
    SetTrim(StripId, Decibels),
    /// A strip's fader.
    SetGain(StripId, Decibels),
    /// A strip's pan or balance.
    SetPan(StripId, Pan),
    /// A strip's mute.
    SetMute(StripId, bool),
    /// A strip's solo.
    SetSolo(StripId, bool),
    /// Clear every solo.
    ClearSolos,
    /// The master fader.
    SetMaster(Decibels),
    /// New section scenes (after a scene or section edit); levels glide to them like a fader
    /// move. The old timeline comes back in [`EngineToUi::Retire`].
    SetScenes(Box<SceneTimeline>),
    /// Compare: play the base mix in place of the section scenes (true), or the scenes (false).
    SetScenesBypassed(bool),
    /// New rides (after a recorded pass or a ride edit), heard from the next frame. The old
    /// table comes back in [`EngineToUi::Retire`].
    SetRides(Box<RideTable>),
    /// While a strip's ride is recorded: play it at this level (dB added to the fader) in place
    /// of its ride, gliding there over 10 ms; `None` glides back onto the ride over 10 ms.
    HoldRide(StripId, Option<Decibels>),
    /// Replace a strip's source (a re-opened stem). The old source comes back in
    /// [`EngineToUi::Retire`].
    ReplaceSource(StripId, Box<dyn Source>),
    /// Play the mix or the reference (a short crossfade; the other one is silent after it).
    SetListen(Listen),
    /// The loudness match: the gains on the mix and on the reference (the louder one is turned
    /// down). They glide over 50 ms.
    SetReferenceMatch {
        /// Gain on the mix.
        mix: Decibels,
        /// Gain on the reference.
        reference: Decibels,
    },
    /// The reference runs free of the session playhead (true) or locked to it (false).
    SetReferenceFree(bool),
    /// Move a free-running reference to this frame (of the reference, at the mix rate).
    SeekReference(u64),
    /// The monitor section's switches (what is heard only; never the bounce).
    SetMonitor(MonitorState),
    /// The monitor's output safety ceiling, dBFS.
    SetCeiling(Decibels),
}

impl std::fmt::Debug for UiToEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Play => f.write_str("Play"),
            Self::Pause => f.write_str("Pause"),
            Self::Seek(frame) => write!(f, "Seek({frame})"),
            Self::Jump(frame) => write!(f, "Jump({frame})"),
            Self::SetLoop(region) => write!(f, "SetLoop({region:?})"),
            Self::SetTrim(id, db) => write!(f, "SetTrim({id:?}, {db:?})"),
            Self::SetGain(id, db) => write!(f, "SetGain({id:?}, {db:?})"),
            Self::SetPan(id, pan) => write!(f, "SetPan({id:?}, {pan:?})"),
            Self::SetMute(id, on) => write!(f, "SetMute({id:?}, {on})"),
            Self::SetSolo(id, on) => write!(f, "SetSolo({id:?}, {on})"),
            Self::ClearSolos => f.write_str("ClearSolos"),
            Self::SetMaster(db) => write!(f, "SetMaster({db:?})"),
            Self::SetScenes(scenes) => write!(f, "SetScenes({} sections)", scenes.sections()),
            Self::SetScenesBypassed(on) => write!(f, "SetScenesBypassed({on})"),
            Self::SetRides(rides) => write!(f, "SetRides({} ridden)", rides.ridden()),
            Self::HoldRide(id, db) => write!(f, "HoldRide({id:?}, {db:?})"),
            Self::ReplaceSource(id, _) => write!(f, "ReplaceSource({id:?}, ..)"),
            Self::SetListen(listen) => write!(f, "SetListen({listen:?})"),
            Self::SetReferenceMatch { mix, reference } => {
                write!(f, "SetReferenceMatch({mix:?}, {reference:?})")
            }
            Self::SetReferenceFree(on) => write!(f, "SetReferenceFree({on})"),
            Self::SeekReference(frame) => write!(f, "SeekReference({frame})"),
            Self::SetMonitor(state) => write!(f, "SetMonitor({state:?})"),
            Self::SetCeiling(db) => write!(f, "SetCeiling({db:?})"),
        }
    }
}

/// A heap item the audio thread no longer needs, to be dropped on the UI thread.
pub enum Retired {
    /// A source replaced by [`UiToEngine::ReplaceSource`].
    Source(Box<dyn Source>),
    /// Section scenes replaced by [`UiToEngine::SetScenes`].
    Scenes(Box<SceneTimeline>),
    /// Rides replaced by [`UiToEngine::SetRides`].
    Rides(Box<RideTable>),
}

impl std::fmt::Debug for Retired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Source(_) => f.write_str("Source(..)"),
            Self::Scenes(_) => f.write_str("Scenes(..)"),
            Self::Rides(_) => f.write_str("Rides(..)"),
        }
    }
}

/// News from the audio thread: events, in order. Where the transport and the reference are is
/// not news but a latest value, in [`EngineCounters`].
#[derive(Debug)]
pub enum EngineToUi {
    /// After a jump, some stems were not ready yet; playback holds (silent) until they are.
    Buffering {
        /// Strips still waiting for data.
        waiting: u32,
    },
    /// Stems whose data was not ready in time played silence.
    Underrun {
        /// Strip-blocks that underran in one callback.
        strips: u32,
        /// The frame where it happened.
        frame: u64,
    },
    /// A stem stopped being readable; its strip plays silence from here.
    StreamFailed {
        /// Number of strips that failed in this callback.
        strips: u32,
    },
    /// Playback reached the loop end and jumped back to its start.
    LoopWrapped {
        /// The loop start it jumped to.
        to: u64,
    },
    /// Playback reached the end of the session and stopped.
    Ended {
        /// The end frame.
        frame: u64,
    },
    /// A heap item to drop off the audio thread.
    Retire(Retired),
}

/// Counters and positions the audio thread publishes and the UI reads (latest value wins).
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
    /// Where the reference track is, as its offset from `playhead`: the reference frame (at
    /// the mix rate; negative before it starts) minus the playhead published with it.
    pub reference_offset: AtomicI64,
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

/// Creates the rings between the UI and audio threads.
///
/// Not realtime-safe (allocates).
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
