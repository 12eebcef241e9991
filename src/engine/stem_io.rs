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
/// nice 9 on Linux), so that the creek I/O threads it starts, one per stem, inherit it. They
/// poll every millisecond; at normal priority a hundred of them on two cores crowd out the
/// audio thread. Their real work is small and far ahead of the playhead, so a lower priority
/// costs nothing.
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

/// Puts the calling thread (and the threads it starts) in the background scheduling class.
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
}

#[cfg(not(target_os = "linux"))]
fn lower_current_thread_priority() {}
