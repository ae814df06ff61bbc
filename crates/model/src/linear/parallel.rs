//! Deterministic data parallelism: work is cut into tasks fixed by the data
//! (never by the thread count), threads pick tasks as they free up, and the
//! results come back in task order, so a caller that folds them in that order
//! gets bit-identical sums with 1 thread or 16.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Rows per block of a data pass. Fixed, so that partial sums (and so their
/// rounding) do not depend on the number of threads.
pub(crate) const BLOCK_ROWS: usize = 8192;

/// Runs `task(i)` for every `i` in `0..n_tasks` on up to `threads` threads
/// (the caller's thread included) and returns the results in task order.
pub(crate) fn map_tasks<R, F>(n_tasks: usize, threads: usize, task: F) -> Vec<R>
where
    R: Send,
    F: Fn(usize) -> R + Sync,
{
    let threads = threads.clamp(1, n_tasks.max(1));
    if threads == 1 {
        return (0..n_tasks).map(task).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n_tasks {
                return done;
            }
            done.push((i, task(i)));
        }
    };
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for helper in helpers {
            match helper.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Runs `task` on each block of [`BLOCK_ROWS`] rows of `0..n_rows` and returns
/// the results in block order.
pub(crate) fn map_blocks<R, F>(n_rows: usize, threads: usize, task: F) -> Vec<R>
where
    R: Send,
    F: Fn(Range<usize>) -> R + Sync,
{
    let n_blocks = n_rows.div_ceil(BLOCK_ROWS);
    map_tasks(n_blocks, threads, |b| {
        task(b * BLOCK_ROWS..((b + 1) * BLOCK_ROWS).min(n_rows))
    })
}

/// Element-wise sum of equal-length vectors, folded in order.
pub(crate) fn sum_in_order(parts: &[Vec<f64>], len: usize) -> Vec<f64> {
    let mut total = vec![0.0; len];
    for part in parts {
        for (t, p) in total.iter_mut().zip(part) {
            *t += p;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_task_order_whatever_the_threads() {
        for threads in [1, 2, 3, 8] {
            let out = map_tasks(100, threads, |i| i * i);
            assert_eq!(out, (0..100).map(|i| i * i).collect::<Vec<_>>());
        }
    }

    #[test]
    fn blocks_cover_the_rows_once() {
        let n = 3 * BLOCK_ROWS + 17;
        let ranges = map_blocks(n, 2, |r| r);
        assert_eq!(ranges.len(), 4);
        assert_eq!(ranges[0], 0..BLOCK_ROWS);
        assert_eq!(ranges[3], 3 * BLOCK_ROWS..n);
        assert!(map_blocks(0, 2, |r| r).is_empty());
    }
}
