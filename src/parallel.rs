//! Work spread over the machine's cores: the stems `earmix check` reads through, the stems
//! `earmix new --gain-stage` measures, the demo's stems.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Calls `work` on each of `items` on as many threads as there are cores (no more than there
/// are items), each thread taking the next item when it is free, for as long as `keep_going`
/// says so. Returns each item's index and result for the items done, in item order. A panic
/// in `work` is passed on to the caller.
///
/// Not realtime-safe (starts threads).
pub fn on_all_cores<T: Sync, R: Send>(
    items: &[T],
    keep_going: impl Fn() -> bool + Sync,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<(usize, R)> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, items.len().max(1));
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = Vec::with_capacity(items.len());
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    while keep_going() {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, work(item)));
                    }
                    mine
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(mine) => done.extend(mine),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    done.sort_by_key(|(i, _)| *i);
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item is done once and the results come back in item order, whatever thread did
    /// each; when told to stop, no item is started after that.
    #[test]
    fn each_item_once_in_order_until_told_to_stop() {
        let items: Vec<u32> = (0..100).collect();
        let done = on_all_cores(&items, || true, |x| x * 2);
        assert_eq!(
            done,
            items
                .iter()
                .map(|&x| (x as usize, x * 2))
                .collect::<Vec<_>>()
        );
        let started = AtomicUsize::new(0);
        let stopped = on_all_cores(
            &items,
            || started.load(Ordering::Relaxed) < 10,
            |x| {
                started.fetch_add(1, Ordering::Relaxed);
                *x
            },
        );
        // Each thread may have checked just before another reached 10.
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        assert!(
            (10..10 + cores).contains(&stopped.len()),
            "{}",
            stopped.len()
        );
    }
}
