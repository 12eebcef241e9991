//! The messages between the UI thread's [`Engine`](super::realtime::Engine) and the audio
//! thread's [`RealtimeProcessor`](super::realtime::RealtimeProcessor). Both directions travel
//! over fixed-capacity rtrb rings: `to_engine` (UI -> audio) and `from_engine` (audio -> UI).
//! Heap items that the audio thread lets go of travel back in [`EngineToUi::Retire`] so they are
//! dropped on the UI thread, never in the callback.

use super::monitor::MonitorState;
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
}

impl std::fmt::Debug for Retired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Source(_) => f.write_str("Source(..)"),
            Self::Scenes(_) => f.write_str("Scenes(..)"),
        }
    }
}

/// News from the audio thread.
#[derive(Debug)]
pub enum EngineToUi {
    /// Where the transport is, sent after every callback that moved it or changed play state.
    Position {
        /// The next frame to be played (mix rate).
        frame: u64,
        /// Playing (true) or paused/stopped.
        playing: bool,
    },
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
