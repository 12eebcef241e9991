//! Runs on the device's audio thread: the heartbeat that notices callbacks that came too late,
//! measured with the monotonic clock at the start of each callback (`Instant::now()` reads the
//! vDSO clock: no system call, no lock), or on the host's own timeline where it gives one.
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
//!
//! **Graph cycles** ([`Heartbeat::beat_cycle`]): a host that runs a processing graph on its own
//! clock and says when the cycle asking for the audio began (cpal's `PipeWire` host: the
//! callback's timestamp is the cycle's `pw_time.now`, on the monotonic clock) is judged on that
//! timeline instead of by arrival. Measured on a paced `PipeWire` null sink, cpal runs the
//! callback on its own main loop, one cycle ahead: the audio written for a cycle is taken at the
//! next one. Arrival times there say little: a callback dispatched late within its cycle still
//! made it (it was counted as a gap), and the next one, dispatched at once, looked early, so the
//! heartbeat credited a made-up reserve of nearly a period for up to two drift windows, behind
//! which a skipped cycle went uncounted, as did any gap in the warm-up. On the host's timeline:
//! - a **skipped cycle** (the cycle time moves on by two periods or more) is a gap of the cycles
//!   that got nothing, whenever the callback ran;
//! - a callback that **finished after the next cycle began** handed its audio over too late for
//!   that cycle: a gap of whole periods until the audio was there (in the measured runs such
//!   audio was not heard later either: the timeline stays with the host's cycles);
//! - only the step from the first callback to the second is not counted (the stream's first
//!   buffer is written before the server links it: four cycles went by there, unheard, in most
//!   measured starts; a cycle skipped after that, 28 ms in, was heard).

use std::time::{Duration, Instant};

/// The smallest lateness counted as a gap, whatever the period (scheduling jitter on a busy
/// desktop reaches a millisecond).
pub const MIN_TOLERANCE: Duration = Duration::from_millis(1);

/// How long after a stream's first callback lateness starts to count (arrival timing only).
pub const WARM_UP: Duration = Duration::from_millis(200);

/// How often the reserve that was never used is taken back (see the module's notes on drift).
/// The reserve a drifting clock builds up stays under two windows' worth of drift (a crystal
/// 100 ppm off: 0.1 ms).
pub const DRIFT_WINDOW: Duration = Duration::from_millis(500);

/// When a host's graph cycle began and when the callback it asked for handed its audio over,
/// both on the monotonic clock (`CLOCK_MONOTONIC`, the clock `PipeWire` stamps its cycles with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleTimes {
    /// When the graph cycle began.
    pub cycle: Duration,
    /// When the callback finished writing its audio.
    pub done: Duration,
}

/// The monotonic clock now, as [`CycleTimes`] measure it; `None` where it cannot be read.
/// Realtime-safe: one vDSO read.
pub fn monotonic_now() -> Option<Duration> {
    #[cfg(target_os = "linux")]
    {
        nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
            .ok()
            .map(Duration::from)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// The audio thread's record of when the next callback is due. Realtime-safe: plain arithmetic
/// on durations, no allocation.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    /// What the times below count from: the first callback's arrival (or cycle).
    epoch: Option<Instant>,
    /// When the audio handed over so far runs out; `None` before the first callback.
    due: Option<Duration>,
    /// How long the last callback's audio lasts: half of it is the tolerance for the next one.
    period: Duration,
    /// When the current drift window began.
    window_start: Duration,
    /// The smallest reserve (due minus arrival) seen in the current window.
    window_min: Duration,
    /// When lateness starts to count.
    counts_from: Duration,
    /// Callbacks judged by their graph cycle so far (the first step is not counted).
    cycles: u64,
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
            epoch: None,
            due: None,
            period: Duration::ZERO,
            window_start: Duration::ZERO,
            window_min: Duration::MAX,
            counts_from: Duration::ZERO,
            cycles: 0,
        }
    }

    /// Records a callback that arrived at `now` and hands over `frames` frames at `rate` Hz.
    /// Returns how long the device went without audio before it, when the callback came more
    /// than the tolerance after it was due. Realtime-safe.
    pub fn beat(&mut self, now: Instant, frames: u64, rate: u32) -> Option<Duration> {
        let epoch = *self.epoch.get_or_insert(now);
        let at = now.saturating_duration_since(epoch);
        if self.due.is_none() {
            self.counts_from = at + WARM_UP;
        }
        self.judge(at, frames, rate)
    }

    /// Records a callback of a host that runs a graph on its own clock (see the module's notes
    /// on graph cycles): it was asked for by the cycle that began at `times.cycle`, finished at
    /// `times.done` and handed over `frames` frames at `rate` Hz. Returns how long the device
    /// went without audio before it, if it did. Realtime-safe.
    pub fn beat_cycle(&mut self, times: CycleTimes, frames: u64, rate: u32) -> Option<Duration> {
        self.cycles += 1;
        if self.cycles <= 2 {
            // The first step is the server linking the stream: start the timeline again.
            self.due = None;
        }
        self.counts_from = Duration::ZERO;
        let skipped = self.judge(times.cycle, frames, rate);
        let due = self.due?;
        if self.cycles <= 2 || times.done <= due {
            return skipped;
        }
        // Finished after the next cycle began, which then had nothing to take. The timeline
        // stays with the host's cycles: the next callback is asked for by the next cycle as
        // usual (in the measured runs the late audio never made a reserve).
        let quantum = frames_to_duration(frames, rate).max(MIN_TOLERANCE);
        let missed = whole_periods(times.done.saturating_sub(due), quantum);
        Some(skipped.map_or(missed, |skipped| skipped.max(missed)))
    }

    /// The rule both timings share: `now` is the callback's time on the heartbeat's timeline.
    fn judge(&mut self, now: Duration, frames: u64, rate: u32) -> Option<Duration> {
        let lasts = frames_to_duration(frames, rate);
        let Some(due) = self.due else {
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
            let late = now.saturating_sub(due);
            self.due = Some(now + lasts);
            self.window_min = Duration::ZERO;
            if late > tolerance {
                self.start_window(now);
                return (now >= self.counts_from).then_some(late);
            }
            return None;
        }
        let reserve = due.saturating_sub(now);
        self.window_min = self.window_min.min(reserve);
        let mut due = due + lasts;
        if now.saturating_sub(self.window_start) >= DRIFT_WINDOW {
            // Every callback in the window came with at least `window_min` to spare: the
            // device never needed it, so it is drift (or queueing we must not count on).
            due -= self.window_min;
            self.start_window(now);
        }
        self.due = Some(due);
        None
    }

    fn start_window(&mut self, now: Duration) {
        self.window_start = now;
        self.window_min = Duration::MAX;
    }
}

/// `late` rounded up to a whole number of `quantum`s (a cycle gets all of its audio or none).
fn whole_periods(late: Duration, quantum: Duration) -> Duration {
    let q = quantum.as_nanos().max(1);
    let n = late.as_nanos().div_ceil(q);
    Duration::from_nanos(u64::try_from(n * q).unwrap_or(u64::MAX))
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

    /// One callback per graph cycle, as cpal's `PipeWire` host gives them: the cycle number
    /// (counted from the window's first), and how long after the cycle began the callback
    /// started, in µs. Recorded on a paced `PipeWire` null sink at 256 frames (48 kHz) under the
    /// load of other builds, with the sink's monitor recorded by pw-record.
    type Recorded = [(u32, u64)];

    /// What rendering one callback took in those runs (a sine), as a bound.
    const RENDER: Duration = Duration::from_micros(30);

    /// Replays `recorded` after `steady` callbacks on time (150 µs after their cycle), through
    /// the heartbeat judging by arrival and the one judging by the host's cycle; returns the
    /// gaps each counted in the recorded part.
    fn replay(steady: u32, recorded: &Recorded) -> (usize, usize) {
        let start = Instant::now();
        // The monotonic clock of the host's cycle times, far from zero as on a real machine.
        let clock = Duration::from_secs(50_000);
        let prefix = (0..steady).map(|n| (n, 150));
        let shifted = recorded.iter().map(|&(n, us)| (n + steady, us));
        let (mut by_arrival, mut by_cycle) = (Heartbeat::new(), Heartbeat::new());
        let (mut arrival_gaps, mut cycle_gaps) = (0, 0);
        for (k, (n, us)) in prefix.chain(shifted).enumerate() {
            let cycle = PERIOD * n;
            let arrival = cycle + Duration::from_micros(us);
            let times = CycleTimes {
                cycle: clock + cycle,
                done: clock + arrival + RENDER,
            };
            let a = by_arrival.beat(start + arrival, 256, RATE);
            let c = by_cycle.beat_cycle(times, 256, RATE);
            if k >= steady as usize {
                arrival_gaps += usize::from(a.is_some());
                cycle_gaps += usize::from(c.is_some());
            }
        }
        (arrival_gaps, cycle_gaps)
    }

    /// The start of a stream whose recording had one gap of a quantum 11 ms into the sound:
    /// cycle 4 asked for nothing. Judged by arrival it fell in the warm-up and went uncounted;
    /// judged by the host's cycles it counts. The first step (cycles 0 to 4 in most starts, no
    /// gap heard) does not.
    #[test]
    fn a_cycle_skipped_at_the_start_counts() {
        let recorded = [
            (0, 344),
            (1, 489),
            (2, 368),
            (3, 310),
            (5, 2242),
            (6, 241),
            (7, 180),
            (8, 138),
            (9, 281),
            (10, 109),
        ];
        assert_eq!(replay(0, &recorded), (0, 1));
        let usual = [(0, 420), (4, 340), (5, 320), (6, 190), (7, 180), (8, 260)];
        assert_eq!(replay(0, &usual), (0, 0));
    }

    /// Three stretches of a run whose recording had no gap at all: one callback each started
    /// 3.6 to 4.3 ms into its 5.3 ms cycle and still made it. Judged by arrival each was a
    /// gap (three "late callbacks" for a clean run, more than the dropouts test allows); judged
    /// by the host's cycles none is.
    #[test]
    fn a_late_dispatch_within_its_cycle_is_no_gap() {
        let stretches: [&Recorded; 3] = [
            &[
                (0, 185),
                (1, 197),
                (2, 167),
                (3, 178),
                (4, 368),
                (5, 224),
                (6, 4310),
                (7, 198),
                (8, 142),
                (9, 404),
                (10, 285),
                (11, 179),
            ],
            &[
                (0, 96),
                (1, 288),
                (2, 121),
                (3, 96),
                (4, 261),
                (5, 126),
                (6, 3606),
                (7, 116),
                (8, 126),
                (9, 105),
                (10, 104),
                (11, 127),
            ],
            &[
                (0, 98),
                (1, 104),
                (2, 128),
                (3, 96),
                (4, 113),
                (5, 123),
                (6, 3640),
                (7, 116),
                (8, 125),
                (9, 109),
                (10, 106),
                (11, 127),
            ],
        ];
        for recorded in stretches {
            assert_eq!(replay(200, recorded), (1, 0), "{recorded:?}");
        }
    }

    /// A quarter of a second in which the recording had 11 gaps, one per skipped cycle, among
    /// callbacks dispatched up to a whole period late. Judged by arrival, the late dispatches
    /// that still made it left a made-up reserve behind which four skipped cycles went
    /// uncounted (and two that made it were counted): 9 for 11. Judged by the host's cycles:
    /// 11.
    #[test]
    fn skipped_cycles_behind_late_dispatches_count() {
        let recorded = [
            (0, 1458),
            (1, 82),
            (2, 80),
            (3, 104),
            (4, 81),
            (5, 82),
            (6, 1128),
            (7, 85),
            (8, 1212),
            (9, 4586),
            (10, 76),
            (11, 98),
            (12, 81),
            (13, 723),
            (15, 4002),
            (16, 75),
            (17, 122),
            (19, 110),
            (20, 5231),
            (21, 87),
            (22, 2580),
            (23, 1274),
            (25, 141),
            (26, 118),
            (27, 218),
            (29, 5383),
            (30, 128),
            (31, 2885),
            (32, 171),
            (33, 93),
            (34, 127),
            (35, 126),
            (36, 130),
            (38, 158),
            (40, 2578),
            (42, 3950),
            (43, 90),
            (44, 102),
            (46, 2569),
            (48, 3886),
            (49, 101),
            (51, 4073),
            (52, 83),
            (54, 132),
            (55, 111),
            (56, 5251),
            (57, 64),
            (58, 114),
        ];
        let (by_arrival, by_cycle) = replay(200, &recorded);
        assert!(by_arrival < 11, "{by_arrival}");
        assert_eq!(by_cycle, 11);
    }

    /// On the host's timeline: a callback that finishes after the next cycle began is a gap of
    /// the whole periods that got nothing (one, then two); one that finishes just before is
    /// not; the next cycle's callback is judged on the cycles as before.
    #[test]
    fn finishing_after_the_next_cycle_is_a_gap() {
        let clock = Duration::from_secs(1000);
        let mut heartbeat = Heartbeat::new();
        let mut beat = |n: u32, done_after: Duration| {
            let cycle = clock + PERIOD * n;
            let times = CycleTimes {
                cycle,
                done: cycle + done_after,
            };
            heartbeat.beat_cycle(times, 256, RATE)
        };
        for n in 0..10 {
            assert_eq!(beat(n, ms(0.2)), None);
        }
        assert_eq!(beat(10, PERIOD.mul_f64(0.98)), None);
        assert_eq!(beat(11, PERIOD + ms(0.1)), Some(PERIOD));
        assert_eq!(beat(12, ms(0.2)), None);
        assert_eq!(beat(13, PERIOD * 2 + ms(0.1)), Some(PERIOD * 2));
        assert_eq!(beat(14, ms(0.2)), None);
    }

    /// On the host's timeline: a stop of earmix (no callback for 450 ms while the server's
    /// cycles go on) is one gap of the cycles that got nothing; the cycles are exact, so
    /// there is no jitter to forgive and no warm-up after the first step.
    #[test]
    fn a_stop_is_one_gap_on_the_host_timeline() {
        let clock = Duration::from_secs(1000);
        let mut heartbeat = Heartbeat::new();
        let mut gaps = Vec::new();
        let stopped = 85; // cycles, 453 ms
        for n in (0..30).chain(30 + stopped..200) {
            let cycle = clock + PERIOD * n;
            let times = CycleTimes {
                cycle,
                done: cycle + ms(0.3),
            };
            gaps.extend(heartbeat.beat_cycle(times, 256, RATE));
        }
        assert_eq!(gaps, [PERIOD * stopped]);
    }
}
