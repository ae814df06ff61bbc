//! The batch writer's counters and health, readable from any thread (for
//! Prometheus and readiness probes).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Whether the writer is keeping up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum WriterHealth {
    /// The last write succeeded (or nothing was written yet).
    Healthy,
    /// Writes are failing; the batch is kept and retried with backoff.
    Retrying {
        /// Failed attempts in a row.
        consecutive_failures: u64,
        /// The last error.
        last_error: String,
    },
    /// The writer was shut down.
    Stopped,
}

/// A snapshot of the writer's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WriterStats {
    /// Decisions written.
    pub written: u64,
    /// Decisions already logged (the first decision was kept), including
    /// resubmissions while the first was still queued.
    pub duplicates: u64,
    /// Failed write attempts.
    pub failures: u64,
    /// Decisions given up: refused by the database as invalid, or still
    /// failing when the writer was shut down.
    pub dropped: u64,
    /// Batches written.
    pub batches: u64,
    /// Decisions queued, not yet taken by the writer.
    pub queue_depth: u64,
    /// Decisions submitted and not yet durable.
    pub pending: u64,
    /// How long the last successful batch write took, microseconds.
    pub last_flush_latency_us: u64,
}

/// The live counters.
#[derive(Debug)]
pub(super) struct Counters {
    pub(super) written: AtomicU64,
    pub(super) duplicates: AtomicU64,
    pub(super) failures: AtomicU64,
    pub(super) dropped: AtomicU64,
    pub(super) batches: AtomicU64,
    pub(super) queue_depth: AtomicU64,
    pub(super) last_flush_latency_us: AtomicU64,
    pub(super) health: Mutex<WriterHealth>,
}

impl Default for Counters {
    fn default() -> Self {
        Self {
            written: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            queue_depth: AtomicU64::new(0),
            last_flush_latency_us: AtomicU64::new(0),
            health: Mutex::new(WriterHealth::Healthy),
        }
    }
}

impl Counters {
    pub(super) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self, pending: u64) -> WriterStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WriterStats {
            written: get(&self.written),
            duplicates: get(&self.duplicates),
            failures: get(&self.failures),
            dropped: get(&self.dropped),
            batches: get(&self.batches),
            queue_depth: get(&self.queue_depth),
            pending,
            last_flush_latency_us: get(&self.last_flush_latency_us),
        }
    }

    pub(super) fn health(&self) -> WriterHealth {
        self.health
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(super) fn set_health(&self, health: WriterHealth) {
        *self
            .health
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = health;
    }
}
