//! Parking the stream while the transport is idle. Threads: the audio thread reports, once per
//! callback, whether the transport is idle and how many commands it took; the UI thread counts
//! the commands it sends and wakes the supervisor when one goes to a parked stream; the
//! supervisor (`earmix-output`) decides to park and unpark, and makes the calls on the stream.
//! Atomics only, so every method is realtime-safe.
//!
//! A paused transport still costs a running stream a callback every period (187 a second at 256
//! frames), each rendering silence, and the sound server's thread that calls it. Parked, the
//! stream is paused at the host (cpal's `pause`: a PipeWire node set inactive, the null output's
//! thread asleep), so a paused console costs next to nothing. Where the host keeps calling a
//! paused stream (JACK: cpal's pause only makes the process callback return at once, and jackd
//! still wakes the client every period), the supervisor lets go of the parked stream altogether
//! and builds it again for the next command.
//!
//! The order that keeps a command from waiting in a ring nobody drains: the UI pushes its command,
//! then bumps `sent`, then reads the state; the supervisor sets the state to parked, then reads
//! `sent`. Both sides use sequentially consistent operations, so at least one sees the other:
//! either the supervisor sees the command and does not park, or the UI sees the stream parked
//! and wakes the supervisor, which unparks it at once.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// How long the transport must stay idle (stopped, its fade-out done, no jump waiting, no
/// command taken) before the stream is parked. Long enough that pausing and playing again, a
/// nudge while paused or a burst of edits never parks in between (an unpark costs the host's
/// restart and a new heartbeat warm-up); short enough that a paused console is quiet within a
/// second. Counted in frames the device took, so a scripted device at 4x real time parks after
/// a quarter of a second.
pub const PARK_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a parked stream whose host keeps calling it while paused (JACK: cpal's pause leaves
/// the client active) stays parked before it is let go of, its client leaving the server. Building
/// the stream again costs the next Play a new client (0.2-0.5 s measured on a JACK dummy), so a
/// short pause (listening back, a word with the singer) keeps the fast resume; a longer one costs
/// the server nothing. Wall-clock time on the supervisor's clock.
pub const RELEASE_AFTER: std::time::Duration = std::time::Duration::from_secs(10);

const AWAKE: u8 = 0;
const PARKED: u8 = 1;
/// Parked, and the supervisor has been asked to unpark.
const WAKING: u8 = 2;

/// What the audio thread, the UI thread and the supervisor share to park the stream while the
/// transport is idle (see the module's notes).
#[derive(Debug, Default)]
pub struct ParkGate {
    /// Frames rendered in a row with the transport idle (the audio thread's).
    idle_frames: AtomicU64,
    /// Commands the UI pushed into the ring.
    sent: AtomicU64,
    /// Commands the audio thread took from the ring.
    taken: AtomicU64,
    state: AtomicU8,
}

impl ParkGate {
    /// A gate with the stream awake.
    pub fn new() -> Self {
        Self::default()
    }

    /// The audio thread rendered `frames` frames and took `commands` commands; `idle` says the
    /// transport is stopped with nothing under way (no fade, no jump waiting, no command left in
    /// the ring). Realtime-safe.
    pub fn rendered(&self, frames: u64, commands: u64, idle: bool) {
        if commands > 0 {
            self.taken.fetch_add(commands, Ordering::SeqCst);
        }
        if idle && commands == 0 {
            self.idle_frames.fetch_add(frames, Ordering::Relaxed);
        } else {
            self.idle_frames.store(0, Ordering::Relaxed);
        }
    }

    /// The UI thread pushed a command (`pushed`), or could not because the ring was full. True
    /// when the stream is parked and nobody has asked the supervisor to unpark it yet: the caller
    /// must wake it. Realtime-safe (but meant for the UI thread).
    pub fn sent(&self, pushed: bool) -> bool {
        if pushed {
            self.sent.fetch_add(1, Ordering::SeqCst);
        }
        self.state
            .compare_exchange(PARKED, WAKING, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// Frames rendered in a row with the transport idle. Realtime-safe.
    pub fn idle_frames(&self) -> u64 {
        self.idle_frames.load(Ordering::Relaxed)
    }

    /// Commands sent that the audio thread has not taken yet. Realtime-safe.
    pub fn pending(&self) -> u64 {
        self.sent
            .load(Ordering::SeqCst)
            .saturating_sub(self.taken.load(Ordering::SeqCst))
    }

    /// True while the stream is parked (whether or not it was asked to wake). Realtime-safe.
    pub fn is_parked(&self) -> bool {
        self.state.load(Ordering::SeqCst) != AWAKE
    }

    /// True while the stream is parked and nobody has asked it to wake yet: nothing will be
    /// played until a command comes (a thread that only serves playback may rest). The first
    /// command ends it before the stream is woken (see [`ParkGate::sent`]). Realtime-safe.
    pub fn is_resting(&self) -> bool {
        self.state.load(Ordering::SeqCst) == PARKED
    }

    /// The supervisor is about to park the stream: marks it parked, and then says whether that
    /// may go ahead (no command is waiting). When it may not, the gate is awake again.
    /// Realtime-safe.
    pub(crate) fn begin_park(&self) -> bool {
        self.state.store(PARKED, Ordering::SeqCst);
        if self.pending() > 0 {
            self.state.store(AWAKE, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// The stream runs (unparked, restarted, or it could not park): the idle count starts over,
    /// so a new stream runs a whole [`PARK_AFTER`] before it parks. Realtime-safe.
    pub(crate) fn set_awake(&self) {
        self.idle_frames.store(0, Ordering::Relaxed);
        self.state.store(AWAKE, Ordering::SeqCst);
    }

    /// Whether a parked stream must wake: the UI asked, or a command is waiting. Realtime-safe.
    pub(crate) fn wake_wanted(&self) -> bool {
        self.state.load(Ordering::SeqCst) == WAKING || self.pending() > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Idle frames add up only while idle and without commands; a command starts them over.
    #[test]
    fn idle_frames_count_and_reset() {
        let gate = ParkGate::new();
        gate.rendered(256, 0, true);
        gate.rendered(256, 0, true);
        assert_eq!(gate.idle_frames(), 512);
        gate.rendered(256, 1, true);
        assert_eq!(gate.idle_frames(), 0);
        gate.rendered(256, 0, true);
        gate.rendered(256, 0, false);
        assert_eq!(gate.idle_frames(), 0);
    }

    /// A command sent and not yet taken stops a park; once taken, the park goes ahead, and the
    /// next command sent asks (once) for a wake.
    #[test]
    fn park_and_wake_handshake() {
        let gate = ParkGate::new();
        assert!(!gate.sent(true), "awake: nothing to wake");
        assert!(!gate.begin_park(), "a command is waiting");
        assert!(!gate.is_parked());
        gate.rendered(256, 1, true);
        assert!(gate.begin_park());
        assert!(gate.is_parked() && !gate.wake_wanted());
        assert!(gate.is_resting());
        assert!(gate.sent(true), "the first command wakes");
        assert!(gate.is_parked() && !gate.is_resting(), "waking is no rest");
        assert!(!gate.sent(true), "the second one finds it waking");
        assert!(gate.wake_wanted());
        gate.set_awake();
        assert!(!gate.is_parked());
        // A full ring (nothing pushed) still wakes a parked stream.
        gate.rendered(256, 2, true);
        assert!(gate.begin_park());
        assert!(gate.sent(false));
    }
}
