//! Parking (supervisor thread): the running stream rests while the transport is idle and
//! wakes for the next command; while it rests, the supervisor still notices a lost device.

use std::time::{Duration, Instant};

use super::super::liveness::{Liveness, probe_host};
use super::{HealthCounters, OutputState, Supervisor};

/// A parked stream's watch.
#[derive(Debug, Clone, Copy)]
pub(super) struct Parked {
    pub(super) probed: Instant,
}

/// How often a parked stream's server is asked whether it still answers, so that a device gone
/// while paused is reopened before Play needs it (each ask connects to the server's socket).
const PARKED_PROBE_INTERVAL: Duration = Duration::from_secs(1);

impl Supervisor {
    /// Parks the running stream when the transport has been idle for
    /// [`SupervisorConfig::park_after`] (in device time) and no command waits for the audio
    /// thread. A stream that cannot park is not asked again.
    pub(super) fn park_if_idle(&mut self, now: Instant) {
        let Some(after) = self.config.park_after else {
            return;
        };
        if self.cannot_park || !self.watch.playing {
            return;
        }
        let threshold =
            u64::try_from(after.as_nanos() * u128::from(self.info.sample_rate) / 1_000_000_000)
                .unwrap_or(u64::MAX)
                .max(1);
        if self.shared.gate.idle_frames() < threshold || !self.shared.gate.begin_park() {
            return;
        }
        let Some(stream) = self.stream.as_mut() else {
            self.shared.gate.set_awake();
            return;
        };
        // Marked first, so that a callback already under way starts the heartbeat afresh too.
        self.shared.health.mark_park();
        if stream.park() {
            tracing::debug!("the transport is idle: the stream is parked");
            self.parked = Some(Parked { probed: now });
            self.shared.set_state(OutputState::Parked);
        } else {
            self.cannot_park = true;
            self.shared.gate.set_awake();
        }
    }

    /// Watches a parked stream: a command waiting unparks it; a loss its error callback
    /// reported, a failed unpark, or a server that no longer answers (asked every
    /// [`PARKED_PROBE_INTERVAL`]) is a lost stream, handled as when playing. Stalls and late
    /// callbacks are not judged: the silence is wanted.
    pub(super) fn watch_parked(
        &mut self,
        now: Instant,
        counters: HealthCounters,
    ) -> Option<String> {
        if counters.device_lost > self.watch.lost {
            return Some(format!(
                "{} (while playback was paused)",
                self.shared.health.loss_reason()
            ));
        }
        if self.shared.gate.wake_wanted() {
            return self.unpark(now, counters);
        }
        let parked = self.parked?;
        if now.saturating_duration_since(parked.probed) < PARKED_PROBE_INTERVAL {
            return None;
        }
        self.parked = Some(Parked { probed: now });
        let answer = match self.stream.as_ref().map(|s| s.liveness()) {
            Some(Liveness::Unknown) => probe_host(&self.info.host),
            Some(answer) => answer,
            None => Liveness::Gone,
        };
        (answer == Liveness::Gone)
            .then(|| "the device went away while playback was paused".to_string())
    }

    /// Resumes the parked stream. Its heartbeat starts afresh (warm-up included) and the stall
    /// watch runs from now, as if it had been playing all along; a stream that does not resume
    /// is lost (the reason is returned).
    fn unpark(&mut self, now: Instant, counters: HealthCounters) -> Option<String> {
        self.parked = None;
        self.shared.health.mark_park();
        self.shared.gate.set_awake();
        let resumed = self.stream.as_mut().map_or(Ok(()), |s| s.unpark());
        if let Err(error) = resumed {
            return Some(format!(
                "the device did not resume after the pause ({error})"
            ));
        }
        self.watch.frames = counters.frames;
        self.watch.progress = now;
        self.watch.playing = true;
        self.watch.probed = None;
        self.shared.set_state(OutputState::Running);
        tracing::debug!("a command for the audio thread: the stream is unparked");
        None
    }
}
