//! What is wrong with a stem's data, recorded where the data is decoded (creek's I/O thread
//! while a stem streams, or the thread that scans it for `earmix check`) and read by the thread
//! that reports it (the UI thread, the bounce or report thread). The audio thread never touches
//! a [`StemHealth`]: it only plays the silence the decoder put in place of what was wrong.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::units::Seconds;

/// Why a stem's data stops before the length it states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The file ends early: a copy cut short, or a download that did not finish.
    EndsEarly,
    /// The decoder could not go on (the reason in its words).
    Failed(String),
}

/// Something wrong with a stem, in the words earmix prints after the file's name: what happened
/// and where, as a time in the stem.
#[derive(Debug, Clone, PartialEq)]
pub enum StemDamage {
    /// The data ends before the length the header states; the stem is silent after it.
    EndsEarly {
        /// Where the data ends.
        at: Seconds,
        /// The length the header states.
        header: Seconds,
    },
    /// Decoding failed at a time; the stem is silent after it.
    Failed {
        /// Where decoding stopped.
        at: Seconds,
        /// What the decoder said.
        reason: String,
    },
    /// Samples that were NaN or infinite, played as silence.
    NonFinite {
        /// How many samples (every channel counted).
        count: u64,
        /// There may be more than `count`: more runs of them than earmix keeps track of.
        more: bool,
        /// The first of them (`None` when `more` leaves it unknown).
        first: Option<Seconds>,
    },
}

impl std::fmt::Display for StemDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StemDamage::EndsEarly { at, header } => write!(
                f,
                "decoding stopped at {at} (the file ends early; its header says {header}); \
                 silent from there"
            ),
            StemDamage::Failed { at, reason } => {
                write!(f, "decoding stopped at {at} ({reason}); silent from there")
            }
            StemDamage::NonFinite {
                count,
                more: false,
                first,
            } => {
                write!(
                    f,
                    "{count} non-finite sample{} (NaN or infinity)",
                    if *count == 1 { "" } else { "s" }
                )?;
                if let Some(first) = first {
                    write!(f, ", the first at {first}")?;
                }
                f.write_str("; played as silence")
            }
            StemDamage::NonFinite { count, .. } => {
                if *count > 0 {
                    write!(f, "{count} or more ")?;
                }
                f.write_str(
                    "non-finite samples (NaN or infinity; more than earmix keeps track of); \
                     played as silence",
                )
            }
        }
    }
}

/// The most runs of non-finite samples a stem keeps track of (a file of nothing but them is one
/// run per channel; only a file where they alternate with real samples comes near this).
#[cfg(not(test))]
const MAX_RUNS: usize = 1 << 20;
/// Few, so the tests reach the limit.
#[cfg(test)]
const MAX_RUNS: usize = 4;

/// What is wrong with one stem file: shared between the thread that decodes it and the thread
/// that reports it. Frames are frames of the file, at its own rate.
#[derive(Debug, Default)]
pub struct StemHealth {
    /// Bumped whenever something new is recorded.
    news: AtomicU64,
    log: Mutex<Log>,
}

#[derive(Debug, Default)]
struct Log {
    sample_rate: u32,
    /// The length the header states, in frames.
    header_frames: u64,
    /// The earliest frame where the data stopped, and why.
    stop: Option<(u64, Stop)>,
    /// Per channel, runs of frames `start -> end` whose samples were not finite, as decoded
    /// (so decoding a stretch again does not count it twice).
    nonfinite: Vec<BTreeMap<u64, u64>>,
    /// Runs kept, over all channels.
    runs: usize,
    /// The first frame of a run that could not be kept ([`MAX_RUNS`]).
    untracked_from: Option<u64>,
}

impl StemHealth {
    /// Whether anything new was recorded: a number that changes when something is.
    ///
    /// Realtime-safe (one atomic load).
    pub fn news(&self) -> u64 {
        self.news.load(Ordering::Acquire)
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        // A panic while the log was held leaves it as consistent as any partial record.
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn changed(&self) {
        self.news.fetch_add(1, Ordering::AcqRel);
    }

    /// The stem was opened: its rate and the length its header states.
    pub(crate) fn opened(&self, sample_rate: u32, header_frames: u64) {
        let mut log = self.log();
        log.sample_rate = sample_rate;
        log.header_frames = header_frames;
    }

    /// The data stopped at `frame`. The earliest stop is kept.
    pub(crate) fn stopped(&self, frame: u64, why: Stop) {
        let mut log = self.log();
        if log.stop.as_ref().is_some_and(|(at, _)| *at <= frame) {
            return;
        }
        log.stop = Some((frame, why));
        drop(log);
        self.changed();
    }

    /// Channel `channel` of the frames `block` was decoded, and its samples in `runs` (frame
    /// ranges inside `block`, in order) were not finite.
    pub(crate) fn nonfinite(&self, channel: usize, block: Range<u64>, runs: &[Range<u64>]) {
        let mut guard = self.log();
        let log = &mut *guard;
        if log.nonfinite.len() <= channel {
            log.nonfinite.resize_with(channel + 1, BTreeMap::new);
        }
        let map = &mut log.nonfinite[channel];
        // What an earlier decode of this stretch recorded is replaced.
        let old: Vec<(u64, u64)> = map
            .range(..block.end)
            .filter(|&(_, &end)| end > block.start)
            .map(|(&s, &e)| (s, e))
            .collect();
        for (start, end) in old {
            map.remove(&start);
            log.runs -= 1;
            if start < block.start {
                map.insert(start, block.start);
                log.runs += 1;
            }
            if end > block.end {
                map.insert(block.end, end);
                log.runs += 1;
            }
        }
        for run in runs {
            if log.runs >= MAX_RUNS {
                let from = log.untracked_from.map_or(run.start, |f| f.min(run.start));
                log.untracked_from = Some(from);
                continue;
            }
            // Join the runs that end where this one starts and start where it ends.
            let mut start = run.start;
            if let Some((&s, &e)) = map.range(..run.start).next_back()
                && e == run.start
            {
                map.remove(&s);
                start = s;
                log.runs -= 1;
            }
            let mut end = run.end;
            if let Some(e) = map.remove(&run.end) {
                end = e;
                log.runs -= 1;
            }
            map.insert(start, end);
            log.runs += 1;
        }
        drop(guard);
        self.changed();
    }

    /// Everything wrong with the frames `within` of the file: where the data stopped when that
    /// is before `within` ends or at its end (from there on the stem is silent, or the stretch
    /// ends early because the stem's data did), and the non-finite samples decoded inside it.
    ///
    /// Not realtime-safe (locks, allocates).
    pub fn damage(&self, within: Range<u64>) -> Vec<StemDamage> {
        let log = self.log();
        let rate = log.sample_rate.max(1);
        let time = |frame: u64| Seconds::from_frames(frame, rate);
        let mut damage = Vec::new();
        if let Some((at, why)) = &log.stop
            && *at <= within.end
        {
            damage.push(match why {
                Stop::EndsEarly => StemDamage::EndsEarly {
                    at: time(*at),
                    header: time(log.header_frames),
                },
                Stop::Failed(reason) => StemDamage::Failed {
                    at: time(*at),
                    reason: reason.clone(),
                },
            });
        }
        let mut count = 0;
        let mut first = u64::MAX;
        for (&start, &end) in log.nonfinite.iter().flat_map(|runs| runs.iter()) {
            let (s, e) = (start.max(within.start), end.min(within.end));
            if s < e {
                count += e - s;
                first = first.min(s);
            }
        }
        let more = log.untracked_from.is_some_and(|f| f < within.end);
        if count > 0 || more {
            damage.push(StemDamage::NonFinite {
                count,
                more,
                first: (!more).then(|| time(first)),
            });
        }
        damage
    }

    /// Everything wrong with the whole file.
    ///
    /// Not realtime-safe.
    pub fn all_damage(&self) -> Vec<StemDamage> {
        self.damage(0..u64::MAX)
    }

    /// The file's sample rate (0 before it was opened).
    pub fn sample_rate(&self) -> u32 {
        self.log().sample_rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(pairs: &[(u64, u64)]) -> Vec<Range<u64>> {
        pairs.iter().map(|&(s, e)| s..e).collect()
    }

    fn health() -> StemHealth {
        let h = StemHealth::default();
        h.opened(1_000, 10_000);
        h
    }

    /// The earliest stop is kept, and counts in a window only when it lies before the window's
    /// end or at it; every record changes `news`.
    #[test]
    fn the_earliest_stop_is_reported_where_it_matters() {
        let h = health();
        let before = h.news();
        h.stopped(5_000, Stop::EndsEarly);
        assert_ne!(h.news(), before);
        h.stopped(7_000, Stop::Failed("later".into()));
        h.stopped(4_500, Stop::EndsEarly);
        let want = StemDamage::EndsEarly {
            at: Seconds(4.5),
            header: Seconds(10.0),
        };
        assert_eq!(h.all_damage(), std::slice::from_ref(&want));
        assert_eq!(h.damage(0..4_500), [want]);
        assert!(h.damage(0..4_499).is_empty());
    }

    /// Non-finite samples are counted once however often a stretch is decoded, per channel, and
    /// only inside the window asked about, with the first one's time.
    #[test]
    fn non_finite_samples_are_counted_once_per_frame_and_channel() {
        let h = health();
        for _ in 0..3 {
            h.nonfinite(0, 0..100, &runs(&[(10, 20), (30, 31)]));
            h.nonfinite(1, 0..100, &runs(&[(15, 25)]));
        }
        // A later decode from another block boundary, over the same samples.
        h.nonfinite(0, 15..115, &runs(&[(15, 20), (30, 31)]));
        let count = |w: Range<u64>| match h.damage(w).as_slice() {
            [StemDamage::NonFinite { count, more, first }] => {
                assert!(!more);
                Some((*count, first.unwrap()))
            }
            [] => None,
            other => panic!("{other:?}"),
        };
        assert_eq!(count(0..1_000), Some((21, Seconds(0.010))));
        assert_eq!(count(16..31), Some((4 + 9 + 1, Seconds(0.016))));
        assert_eq!(count(25..30), None);
        assert_eq!(count(30..31), Some((1, Seconds(0.030))));
        // Runs that meet are joined.
        h.nonfinite(0, 100..200, &runs(&[(100, 150)]));
        h.nonfinite(0, 0..100, &runs(&[(10, 20), (90, 100)]));
        assert_eq!(h.log().nonfinite[0].get(&90), Some(&150));
    }

    /// Past the runs it keeps track of, the count is a lower bound ("or more") for any stretch
    /// reaching where they were found.
    #[test]
    fn past_the_runs_kept_the_count_says_or_more() {
        let h = health();
        h.nonfinite(
            0,
            0..100,
            &runs(&[(0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (50, 60)]),
        );
        assert_eq!(
            h.damage(0..7),
            [StemDamage::NonFinite {
                count: 4,
                more: false,
                first: Some(Seconds(0.0)),
            }]
        );
        let all = h.damage(0..100);
        assert_eq!(
            all,
            [StemDamage::NonFinite {
                count: 4,
                more: true,
                first: None,
            }]
        );
        assert_eq!(
            all[0].to_string(),
            "4 or more non-finite samples (NaN or infinity; more than earmix keeps track of); \
             played as silence"
        );
        assert_eq!(
            h.damage(20..100)[0].to_string(),
            "non-finite samples (NaN or infinity; more than earmix keeps track of); played as \
             silence"
        );
    }

    /// The messages say what happened and where; one sample is "sample".
    #[test]
    fn damage_reads_as_a_sentence() {
        let ends = StemDamage::EndsEarly {
            at: Seconds(83.456),
            header: Seconds(120.0),
        };
        assert_eq!(
            ends.to_string(),
            "decoding stopped at 1:23.456 (the file ends early; its header says 2:00.000); \
             silent from there"
        );
        let one = StemDamage::NonFinite {
            count: 1,
            more: false,
            first: Some(Seconds(1.0)),
        };
        assert_eq!(
            one.to_string(),
            "1 non-finite sample (NaN or infinity), the first at 0:01.000; played as silence"
        );
    }
}
