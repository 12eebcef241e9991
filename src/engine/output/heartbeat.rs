//! Runs on the device's audio thread: the heartbeat that notices callbacks that came too late,
//! measured with the monotonic clock at the start of each callback (`Instant::now()` reads the
//! vDSO clock: no system call, no lock).
//!
//! Every callback hands the device some audio; from then on the device can play until that
//! audio (and whatever was still queued) runs out: the next callback is *due* then. A callback
//! that comes more than a tolerance after it was due means the device had nothing to play: a
//! gap the listener hears.
//! - **Jitter**: a callback late by less than the tolerance (half a period, at least
//!   [`MIN_TOLERANCE`]) is not a gap, and the clock is taken up again from it, so small delays
//!   never add up. Half a period, because a host that skips one cycle (`PipeWire` when the client
//!   missed its deadline) calls back one period late: that is a gap of one period and must
//!   count.
//! - **Bursts**: a host that calls several times in a row (ALSA refilling several periods) hands
//!   over more audio; the due time moves on by all of it, so the long wait after a burst is not
//!   counted.
//! - **Drift**: the device's clock runs a little faster or slower than the monotonic clock. A
//!   slow device makes callbacks a little late, which re-anchors the clock (see jitter); a fast
//!   one makes them a little early, which would pile up as a reserve that hides real gaps, so
//!   once per [`DRIFT_WINDOW`] the smallest reserve seen in that window is taken back: what
//!   was never needed was drift.
//! - **Start**: for the first [`WARM_UP`] of a stream lateness is not counted. The server is
//!   still linking the new stream to its device (nothing is heard yet) and the supervisor has
//!   not yet raised the thread's priority.

use std::time::{Duration, Instant};

/// The smallest lateness counted as a gap, whatever the period (scheduling jitter on a busy
/// desktop reaches a millisecond).
pub const MIN_TOLERANCE: Duration = Duration::from_millis(1);

/// How often the reserve that was never used is taken back (see the module's notes on drift).
/// How long after a stream's first callback lateness starts to count.
pub const WARM_UP: Duration = Duration::from_millis(200);

/// The reserve a drifting clock builds up stays under two windows' worth of drift (a crystal
/// 100 ppm off: 0.1 ms).
pub const DRIFT_WINDOW: Duration = Duration::from_millis(500);

/// The audio thread's record of when the next callback is due. Realtime-safe: plain arithmetic
/// on `Instant`s, no allocation.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    /// When the audio handed over so far runs out; `None` before the first callback.
    due: Option<Instant>,
    /// How long the last callback's audio lasts: half of it is the tolerance for the next one.
    period: Duration,
    /// When the current drift window began.
    window_start: Instant,
    /// The smallest reserve (due minus arrival) seen in the current window.
    window_min: Duration,
    /// When lateness starts to count (the first callback plus [`WARM_UP`]).
    counts_from: Option<Instant>,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Self::new()
    }
}

impl Heartbeat {
    /// A heartbeat that has not seen a callback yet. Realtime-safe.
    pub fn new() -> Self {
        Self {
            due: None,
            period: Duration::ZERO,
            window_start: Instant::now(),
            window_min: Duration::MAX,
            counts_from: None,
        }
    }

    /// Records a callback that arrived at `now` and hands over `frames` frames at `rate` Hz.
    /// Returns how long the device went without audio before it, when the callback came more
    /// than the tolerance after it was due. Realtime-safe.
    pub fn beat(&mut self, now: Instant, frames: u64, rate: u32) -> Option<Duration> {
        let lasts = frames_to_duration(frames, rate);
        let Some(due) = self.due else {
            self.counts_from = now.checked_add(WARM_UP);
            self.start_window(now);
            self.due = Some(now + lasts);
            self.period = lasts;
            return None;
        };
        let tolerance = (self.period / 2).max(MIN_TOLERANCE);
        self.period = lasts;
        if now > due {
            // Late: within the tolerance it is jitter, beyond it a gap. Either way the clock
            // starts again from this callback.
            let late = now - due;
            self.due = Some(now + lasts);
            self.window_min = Duration::ZERO;
            if late > tolerance {
                self.start_window(now);
                let counts = self.counts_from.is_none_or(|from| now >= from);
                return counts.then_some(late);
            }
            return None;
        }
        let reserve = due - now;
        self.window_min = self.window_min.min(reserve);
        let mut due = due + lasts;
        if now.saturating_duration_since(self.window_start) >= DRIFT_WINDOW {
            // Every callback in the window came with at least `window_min` to spare: the
            // device never needed it, so it is drift (or queueing we must not count on).
            due -= self.window_min;
            self.start_window(now);
        }
        self.due = Some(due);
        None
    }

    fn start_window(&mut self, now: Instant) {
        self.window_start = now;
        self.window_min = Duration::MAX;
    }
}

/// How long `frames` frames last at `rate` Hz (zero for a zero rate).
fn frames_to_duration(frames: u64, rate: u32) -> Duration {
    if rate == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos((u128::from(frames) * 1_000_000_000 / u128::from(rate)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;
    /// 256 frames at 48 kHz.
    const PERIOD: Duration = Duration::from_nanos(5_333_333);

    fn ms(ms: f64) -> Duration {
        Duration::from_secs_f64(ms / 1000.0)
    }

    /// Runs callbacks of `frames` frames arriving at the given offsets from a common start;
    /// returns the gaps found.
    fn run(offsets: impl IntoIterator<Item = Duration>, frames: u64) -> Vec<Duration> {
        let start = Instant::now();
        let mut heartbeat = Heartbeat::new();
        offsets
            .into_iter()
            .filter_map(|at| heartbeat.beat(start + at, frames, RATE))
            .collect()
    }

    /// A steady device, callbacks exactly a period apart for an hour of periods: no gap.
    #[test]
    fn steady_callbacks_are_no_gap() {
        let gaps = run((0..675_000).map(|n| PERIOD * n), 256);
        assert!(gaps.is_empty(), "{} gaps", gaps.len());
    }

    /// Callbacks that come up to 45% of a period late (and the next one early again) are
    /// jitter, not gaps, even many in a row.
    #[test]
    fn jitter_is_no_gap() {
        let jitter = |n: u32| match n % 4 {
            1 => PERIOD.mul_f64(0.45),
            3 => PERIOD.mul_f64(0.3),
            _ => Duration::ZERO,
        };
        let gaps = run((0..10_000).map(|n| PERIOD * n + jitter(n)), 256);
        assert!(gaps.is_empty(), "{gaps:?}");
    }

    /// A host that calls in bursts of four periods (ALSA refilling its buffer) and then waits
    /// four periods: no gap.
    #[test]
    fn bursts_are_no_gap() {
        let burst = |n: u32| PERIOD * (n / 4 * 4) + Duration::from_micros(u64::from(n % 4) * 20);
        let gaps = run((0..10_000).map(burst), 256);
        assert!(gaps.is_empty(), "{gaps:?}");
    }

    /// Lateness in the first 200 ms of a stream is not counted; after that it is.
    #[test]
    fn warm_up_is_not_counted() {
        let offsets = (0..200).map(|n| {
            PERIOD * n
                + match n {
                    10..100 => ms(20.0),
                    100.. => ms(40.0),
                    _ => Duration::ZERO,
                }
        });
        let gaps = run(offsets, 256);
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert!(gaps[0] > ms(19.0) && gaps[0] < ms(21.0), "{:?}", gaps[0]);
    }

    /// A callback stopped for 100 ms is one gap of about 100 ms less the period that was
    /// already handed over.
    #[test]
    fn a_stop_is_one_gap_of_its_length() {
        let stop = ms(100.0);
        let offsets = (0..1000).map(|n| PERIOD * n + if n >= 500 { stop } else { Duration::ZERO });
        let gaps = run(offsets, 256);
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        let error = gaps[0].as_secs_f64() - stop.as_secs_f64();
        assert!(error.abs() < 1e-6, "gap {:?}", gaps[0]);
    }

    /// A callback late by just over half a period is a gap; by just under it, it is not; a
    /// skipped cycle (one whole period late) is a gap.
    #[test]
    fn tolerance_is_half_a_period() {
        let late = |extra: Duration| {
            run(
                (0..100).map(move |n| PERIOD * n + if n >= 50 { extra } else { Duration::ZERO }),
                256,
            )
        };
        assert_eq!(late(PERIOD.mul_f64(0.48)).len(), 0);
        assert_eq!(late(PERIOD.mul_f64(0.52)).len(), 1);
        assert_eq!(late(PERIOD).len(), 1);
    }

    /// A device clock 0.1% slow (10x a real crystal's error) over two hours: callbacks drift
    /// later and later against the monotonic clock, yet no gap is counted.
    #[test]
    fn slow_device_clock_is_no_gap() {
        let slow = PERIOD.mul_f64(1.001);
        let gaps = run((0..1_350_000).map(|n| slow * n), 256);
        assert!(gaps.is_empty(), "{} gaps", gaps.len());
    }

    /// A device clock 0.1% fast over two hours: the reserve it builds up is taken back, so a
    /// 10 ms stop at the end is still caught, short by no more than two drift windows' worth
    /// of drift (without the correction it would hide behind seconds of made-up reserve).
    #[test]
    fn fast_device_clock_does_not_hide_gaps() {
        let fast = PERIOD.mul_f64(0.999);
        let n_stop = 1_350_000;
        let offsets = (0..n_stop + 100).map(|n| {
            fast * n
                + if n >= n_stop {
                    ms(10.0)
                } else {
                    Duration::ZERO
                }
        });
        let gaps = run(offsets, 256);
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert!(gaps[0] > ms(8.9) && gaps[0] < ms(10.0), "{:?}", gaps[0]);
    }

    /// Callbacks of varying size (a host that hands over what it can) are judged by what each
    /// one handed over.
    #[test]
    fn varying_sizes() {
        let mut heartbeat = Heartbeat::new();
        // A first second of audio, past the warm-up.
        let start = Instant::now();
        assert_eq!(heartbeat.beat(start, 48_000, RATE), None);
        let start = start + Duration::from_secs(1);
        // 512 frames (10.7 ms) then a callback 10 ms later: on time.
        assert_eq!(heartbeat.beat(start, 512, RATE), None);
        assert_eq!(heartbeat.beat(start + ms(10.0), 128, RATE), None);
        // That audio runs out at 13.3 ms; the next callback comes at 30 ms: a 16.7 ms gap.
        let gap = heartbeat.beat(start + ms(30.0), 128, RATE).expect("a gap");
        assert!(gap > ms(16.6) && gap < ms(16.7), "{gap:?}");
    }
}
