//! The stem I/O thread: stems and the reference are opened on a thread of low priority whose
//! scheduling class creek's I/O threads (one per stream) inherit. Started and joined from the UI
//! thread (or the thread that opens a processor); never on the audio thread.

use super::processor::Processor;
use super::source::StreamError;
use super::stream_plan::StreamPlan;
use crate::session::Session;

/// The name of the thread that opens the stems, which creek's I/O threads inherit (so they show
/// under this name in `top -H`; Linux keeps 15 characters of a thread name).
pub const STEM_IO_THREAD: &str = "earmix-stem-io";

/// Opens the session's stems for playback as `plan` says ([`Processor::for_session_planned`]),
/// on [`on_stem_io_thread`].
///
/// Not realtime-safe (opens files, starts threads).
pub fn open_for_playback(
    session: &Session,
    mix_rate: u32,
    start: u64,
    plan: &StreamPlan,
) -> Result<Processor, StreamError> {
    on_stem_io_thread(|| Processor::for_session_planned(session, mix_rate, start, plan))
}

/// Runs `open` (which opens streams) on a thread of low scheduling priority (`SCHED_BATCH`,
/// nice 9 on Linux) with a timer slack of [`IO_TIMER_SLACK`], so that the creek I/O threads it
/// starts, one per stem, inherit both. They poll every millisecond; at normal priority a hundred
/// of them on two cores crowd out the audio thread, and each wake-up costs CPU time. Their real
/// work is small and far ahead of the playhead, so a lower priority and a late wake-up cost
/// nothing.
///
/// Not realtime-safe (starts a thread and waits for it).
pub fn on_stem_io_thread<T: Send>(open: impl Fn() -> T + Send + Sync) -> T {
    std::thread::scope(|scope| {
        let opener = std::thread::Builder::new()
            .name(STEM_IO_THREAD.into())
            .spawn_scoped(scope, || {
                lower_current_thread_priority();
                open()
            });
        match opener {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to spare: open here, at normal priority.
            Err(e) => {
                tracing::warn!("opening stems on this thread ({e})");
                open()
            }
        }
    })
}

/// How late the kernel may wake a creek I/O thread from its 1 ms sleep between polls (its timer
/// slack), so that it wakes them together, with each other and with other timers, instead of a
/// thousand times a second each. A stream reads at least 0.34 s ahead (see
/// [`super::stream_plan`]), so a poll this late costs nothing; a jump to a place that is not
/// cached waits this much longer for the disk at most.
pub const IO_TIMER_SLACK: std::time::Duration = std::time::Duration::from_millis(10);

/// The timer slack of creek's I/O threads while the output is parked (the transport idle, the
/// stream paused): nothing reads the streams then, so their 1 ms polls may come 200 ms late and
/// wake the machine five times a second instead of a hundred. The engine sets
/// [`IO_TIMER_SLACK`] back with the first command after the park, before the audio thread
/// can ask for data (at least 0.34 s is buffered ahead of the play head, see
/// [`super::stream_plan`]).
pub const PARKED_TIMER_SLACK: std::time::Duration = std::time::Duration::from_millis(200);

/// Sets the timer slack of every creek I/O thread of this process (the threads named
/// [`STEM_IO_THREAD`]) through `/proc/TID/timerslack_ns`; returns how many it set.
/// A thread that ended meanwhile, or a kernel without the file, is skipped.
///
/// Not realtime-safe (reads and writes files).
#[cfg(target_os = "linux")]
pub fn set_io_timer_slack(slack: std::time::Duration) -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    let nanos = slack.as_nanos().to_string();
    tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|comm| comm.trim_end() == STEM_IO_THREAD)
        })
        // The file is /proc/TID/timerslack_ns (a thread's own entry), not under task/.
        .filter(|task| {
            let tid = std::path::Path::new("/proc").join(task.file_name());
            std::fs::write(tid.join("timerslack_ns"), &nanos).is_ok()
        })
        .count()
}

/// Elsewhere the slack is the system's.
#[cfg(not(target_os = "linux"))]
pub fn set_io_timer_slack(_slack: std::time::Duration) -> usize {
    0
}

/// Puts the calling thread (and the threads it starts) in the background scheduling class, with
/// a timer slack of [`IO_TIMER_SLACK`].
#[cfg(target_os = "linux")]
fn lower_current_thread_priority() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    // 25 of 0..100 maps to nice 9.
    let priority = ThreadPriorityValue::try_from(25u8).map(ThreadPriority::Crossplatform);
    let result = priority.and_then(|priority| {
        set_thread_priority_and_policy(
            thread_native_id(),
            priority,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
        )
        .map_err(|e| format!("{e:?}"))
    });
    if let Err(e) = result {
        tracing::info!("stem I/O threads stay at normal priority ({e})");
    }
    if let Err(e) = nix::sys::prctl::set_timerslack(IO_TIMER_SLACK.as_nanos() as _) {
        tracing::info!("stem I/O threads keep the default timer slack ({e})");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_current_thread_priority() {}

/// Threads that open streams at once. Opening a creek stream mostly waits: for its new I/O
/// thread to open the file (creek checks every millisecond, late by the timer slack), then for
/// the first data; so more threads than cores shorten it.
pub const OPENING_THREADS: usize = 16;

/// Calls `open` for each index in `0..count` on up to [`OPENING_THREADS`] threads started from
/// the calling thread (so they, and the creek I/O threads they start, inherit its name,
/// scheduling class and timer slack), each taking the next index when it is free. After an error no index
/// is started; the error returned is that of the lowest index that failed, as if they had been
/// opened one after the other. Otherwise the results come back in index order.
///
/// Not realtime-safe (starts threads and waits for them).
pub fn open_each<T: Send, E: Send>(
    count: usize,
    open: impl Fn(usize) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = || {
        let mut mine = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= count {
                break;
            }
            let result = open(i);
            if result.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            mine.push((i, result));
        }
        mine
    };
    let mut done: Vec<(usize, Result<T, E>)> = Vec::with_capacity(count);
    std::thread::scope(|scope| {
        let threads = OPENING_THREADS.min(count);
        let handles: Vec<_> = (1..threads)
            .map_while(|_| {
                // Unnamed, so they keep the calling thread's name, as creek's threads do.
                std::thread::Builder::new().spawn_scoped(scope, work).ok()
            })
            .collect();
        // This thread opens too (alone when no thread could be started).
        done.extend(work());
        for handle in handles {
            match handle.join() {
                Ok(mine) => done.extend(mine),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Every index is opened once and the results come back in index order, whichever thread
    /// opened each.
    #[test]
    fn open_each_returns_every_result_in_order() {
        let opened = AtomicUsize::new(0);
        let results = open_each(100, |i| {
            opened.fetch_add(1, Ordering::Relaxed);
            Ok::<_, ()>(i * 3)
        });
        assert_eq!(results, Ok((0..100).map(|i| i * 3).collect::<Vec<_>>()));
        assert_eq!(opened.load(Ordering::Relaxed), 100);
        assert_eq!(open_each(0, Ok::<_, ()>), Ok(vec![]));
    }

    /// After a failure no more indices are started, and the error is that of the lowest index
    /// that failed, as opening one after the other would have said.
    #[test]
    fn open_each_stops_at_an_error_and_names_the_first() {
        let started = AtomicUsize::new(0);
        let result = open_each(1000, |i| {
            started.fetch_add(1, Ordering::Relaxed);
            if i == 40 || i == 41 || i == 900 {
                Err(i)
            } else {
                Ok(i)
            }
        });
        assert_eq!(result, Err(40));
        // Each thread may have taken one more index before it saw the failure.
        let started = started.load(Ordering::Relaxed);
        assert!(started < 41 + OPENING_THREADS, "{started} started");
    }

    /// The slack of the threads named as creek's I/O threads can be set from another thread
    /// (the engine relaxes them while the output is parked) and set back.
    #[cfg(target_os = "linux")]
    #[test]
    fn io_threads_slack_is_set_from_outside() {
        use std::sync::mpsc;
        let (ready_tx, ready_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (slack_tx, slack_rx) = mpsc::channel();
        let io = std::thread::Builder::new()
            .name(STEM_IO_THREAD.into())
            .spawn(move || {
                ready_tx.send(()).unwrap();
                for () in go_rx {
                    slack_tx
                        .send(nix::sys::prctl::get_timerslack().unwrap())
                        .unwrap();
                }
            })
            .unwrap();
        ready_rx.recv().unwrap();
        assert!(set_io_timer_slack(PARKED_TIMER_SLACK) >= 1);
        go_tx.send(()).unwrap();
        assert_eq!(
            slack_rx.recv().unwrap(),
            PARKED_TIMER_SLACK.as_nanos() as i32
        );
        assert!(set_io_timer_slack(IO_TIMER_SLACK) >= 1);
        go_tx.send(()).unwrap();
        assert_eq!(slack_rx.recv().unwrap(), IO_TIMER_SLACK.as_nanos() as i32);
        drop(go_tx);
        io.join().unwrap();
    }

    /// The threads that open take the calling thread's name (which creek's I/O threads then
    /// take from them), so the stem I/O thread's class and name reach every stream.
    #[cfg(target_os = "linux")]
    #[test]
    fn opening_threads_keep_the_callers_name() {
        let names = on_stem_io_thread(|| {
            open_each(OPENING_THREADS * 2, |_| {
                std::thread::sleep(std::time::Duration::from_millis(5));
                let tid = nix::unistd::gettid();
                std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
                    .map(|name| name.trim().to_string())
            })
        })
        .unwrap();
        assert!(names.iter().all(|n| n == STEM_IO_THREAD), "{names:?}");
    }
}
