//! What the console model asks of the audio engine, and what it knows of the engine (UI thread).
//!
//! The model never calls the engine. An action changes the model and queues [`Effect`]s; the
//! console applies them to the engine in one place after each batch of keys and each tick, so
//! the engine hears of each change exactly once, and the model is tested by looking at the
//! effects it queued. What the model needs to know of the engine (the play head, whether it
//! plays, the loop, the reference) comes in as a [`Transport`] read just before the action.

use crate::engine::monitor::MonitorState;
use crate::engine::protocol::Listen;
use crate::session::Session;
use crate::units::{Decibels, Pan, Seconds};

/// One change for the engine. Strips are counted from 0 in session order.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A strip's input trim.
    Trim(usize, Decibels),
    /// A strip's fader.
    Gain(usize, Decibels),
    /// A strip's pan.
    Pan(usize, Pan),
    /// Mute a strip (or unmute it).
    Mute(usize, bool),
    /// Solo a strip (or unsolo it).
    Solo(usize, bool),
    /// The master fader.
    Master(Decibels),
    /// Start playing.
    Play,
    /// Pause.
    Pause,
    /// Move the play head.
    Seek(Seconds),
    /// Loop this region, or stop looping.
    Loop(Option<(Seconds, Seconds)>),
    /// Start the integrated loudness again.
    ResetLoudness,
    /// The section scenes (and base levels) of this mix, to follow from now on.
    Scenes(Box<Session>),
    /// Play the base mix in place of the scenes (or the scenes again).
    ScenesBypassed(bool),
    /// The rides (level automation) of this mix, channels' and groups', to play from now on.
    Rides(Box<Session>),
    /// While a ride is recorded: hold a strip's ride at this level (dB added to its fader), or
    /// (`None`) let it follow its recorded ride again.
    RideHold(usize, Option<Decibels>),
    /// Hear the mix or the reference.
    Listen(Listen),
    /// The reference runs free of the play head (or follows it again).
    ReferenceFree(bool),
    /// Move a free-running reference.
    SeekReference(Seconds),
    /// The monitor section's switches.
    Monitor(MonitorState),
}

/// What the model knows of the engine when an action arrives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transport {
    /// The play head.
    pub position: Seconds,
    /// Whether it plays.
    pub playing: bool,
    /// The loop, if one is set.
    pub loop_region: Option<(Seconds, Seconds)>,
    /// Whether the session has a reference the engine plays.
    pub has_reference: bool,
    /// What is heard: the mix or the reference.
    pub listen: Listen,
    /// Whether the reference runs free of the play head.
    pub reference_free: bool,
    /// Where the reference is, when there is one.
    pub reference_position: Option<Seconds>,
}

impl Default for Transport {
    /// Stopped at the start, no loop, no reference.
    fn default() -> Self {
        Self {
            position: Seconds(0.0),
            playing: false,
            loop_region: None,
            has_reference: false,
            listen: Listen::Mix,
            reference_free: false,
            reference_position: None,
        }
    }
}

impl Transport {
    /// What the transport is once `effect` has been applied, as far as the model can tell (so
    /// an action that seeks and then asks where the play head is gets the new place).
    pub fn after(&mut self, effect: &Effect) {
        match effect {
            Effect::Play => self.playing = true,
            Effect::Pause => self.playing = false,
            Effect::Seek(to) => self.position = *to,
            Effect::Loop(region) => self.loop_region = *region,
            Effect::Listen(listen) => self.listen = *listen,
            Effect::ReferenceFree(free) => self.reference_free = *free,
            Effect::SeekReference(to) => self.reference_position = Some(*to),
            _ => {}
        }
    }
}
