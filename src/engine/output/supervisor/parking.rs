//! Parking (supervisor thread): the running stream rests while the transport is idle and
//! wakes for the next command; while it rests, the supervisor still notices a lost device.
//! A stream whose host keeps calling it while paused (JACK) is let go of once it has been parked
//! for [`SupervisorConfig::release_after`](super::SupervisorConfig::release_after) (its client
//! leaves the server, the renderer comes home) and built again, on the path a restart takes, for
//! the next command; neither is a loss, a restart or a gap.

use std::time::{Duration, Instant};

use super::super::liveness::{Liveness, probe_host};
use super::{HealthCounters, OutputState, Supervisor};

/// A parked stream's watch.
#[derive(Debug, Clone, Copy)]
pub(super) struct Parked {
    pub(super) probed: Instant,
    /// When the stream was parked.
    since: Instant,
    /// The stream was let go of (its host keeps calling a paused stream): the next command
    /// builds a new one.
    released: bool,
}

/// How often a parked stream's server is asked whether it still answers, so that a device gone
/// while paused is reopened before Play needs it (each ask connects to the server's socket).
const PARKED_PROBE_INTERVAL: Duration = Duration::from_secs(1);

impl Supervisor {
    /// Parks the running stream when the transport has been idle for
    /// [`SupervisorConfig::park_after`] (in device time) and no command waits for the audio
    /// thread (and lets go of it at once if its host keeps calling it while paused and the
    /// release delay is zero). A stream that cannot park is not asked again. Returns why the
    /// output is lost, when the renderer did not come back from a stream let go of.
    pub(super) fn park_if_idle(&mut self, now: Instant) -> Option<String> {
        let after = self.config.park_after?;
        if self.cannot_park || !self.watch.playing {
            return None;
        }
        let threshold =
            u64::try_from(after.as_nanos() * u128::from(self.info.sample_rate) / 1_000_000_000)
                .unwrap_or(u64::MAX)
                .max(1);
        if self.shared.gate.idle_frames() < threshold || !self.shared.gate.begin_park() {
            return None;
        }
        let Some(stream) = self.stream.as_mut() else {
            self.shared.gate.set_awake();
            return None;
        };
        // Marked first, so that a callback already under way starts the heartbeat afresh too.
        self.shared.health.mark_park();
        if !stream.park() {
            self.cannot_park = true;
            self.shared.gate.set_awake();
            return None;
        }
        self.parked = Some(Parked {
            probed: now,
            since: now,
            released: false,
        });
        self.shared.set_state(OutputState::Parked);
        tracing::debug!("the transport is idle: the stream is parked");
        self.release_if_due(now)
    }

    /// Lets go of a parked stream whose host keeps calling it while paused, once it has been
    /// parked for [`SupervisorConfig::release_after`](super::SupervisorConfig::release_after).
    /// Returns why the output is lost, when the renderer did not come back.
    fn release_if_due(&mut self, now: Instant) -> Option<String> {
        let parked = self.parked?;
        let due = now.saturating_duration_since(parked.since) >= self.config.release_after;
        let keeps_calling = self
            .stream
            .as_ref()
            .is_some_and(|s| s.keeps_calling_while_parked());
        if parked.released || !due || !keeps_calling {
            return None;
        }
        self.parked = Some(Parked {
            released: true,
            ..parked
        });
        // Dropping the stream hands the renderer back, with its state, for the next stream.
        self.stream = None;
        if let Err(error) = self.collect_renderer() {
            return Some(error.to_string());
        }
        // Whatever the host said while the stream closed is not a loss.
        self.watch.lost = self.shared.health.counters().device_lost;
        tracing::debug!(
            "parked for a while: the stream is let go of (the host keeps calling a paused stream)"
        );
        None
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
        if let Some(lost) = self.release_if_due(now) {
            return Some(lost);
        }
        let parked = self.parked?;
        if now.saturating_duration_since(parked.probed) < PARKED_PROBE_INTERVAL {
            return None;
        }
        self.parked = Some(Parked {
            probed: now,
            ..parked
        });
        // A stream let go of is no more: its server is asked.
        let answer = match self.stream.as_ref().map(|s| s.liveness()) {
            Some(Liveness::Unknown) | None => probe_host(&self.info.host),
            Some(answer) => answer,
        };
        (answer == Liveness::Gone)
            .then(|| "the device went away while playback was paused".to_string())
    }

    /// Resumes the parked stream, or builds a new one where it was let go of (as a restart
    /// does, though neither counted nor reported). Its heartbeat starts afresh (warm-up
    /// included) and the stall watch runs from now, as if it had been playing all along; a
    /// stream that does not resume or cannot be built is lost (the reason is returned).
    fn unpark(&mut self, now: Instant, counters: HealthCounters) -> Option<String> {
        let released = self.parked.is_some_and(|p| p.released);
        self.parked = None;
        self.shared.health.mark_park();
        self.shared.gate.set_awake();
        if released {
            let info = self.info.clone();
            if let Err(error) = self.start_stream(info) {
                return Some(format!(
                    "the device could not be opened again after the pause ({error})"
                ));
            }
            tracing::debug!("a command for the audio thread: the stream is built again");
            return None;
        }
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
