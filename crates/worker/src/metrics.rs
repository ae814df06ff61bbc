//! The worker's Prometheus metrics (`prometheus-client`), served on
//! `/metrics` by [`crate::http`]. Names start with `vigie_worker_`;
//! per-partition series carry a `partition` label.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::error::Dependency;

/// Labels of a per-partition series.
pub type PartitionLabel = Vec<(&'static str, String)>;

fn partition(p: u16) -> PartitionLabel {
    vec![("partition", p.to_string())]
}

/// Every metric the worker exports.
pub struct Metrics {
    registry: Registry,
    consumed: Family<PartitionLabel, Counter>,
    scored: Family<PartitionLabel, Counter>,
    acked: Family<PartitionLabel, Counter>,
    redelivered: Family<PartitionLabel, Counter>,
    dead_lettered: Family<PartitionLabel, Counter>,
    lag: Family<PartitionLabel, Gauge>,
    degraded: Family<PartitionLabel, Gauge>,
    failures: Family<PartitionLabel, Counter>,
    failed_checks: Family<PartitionLabel, Counter>,
    owned: Gauge,
    rebuilds: Counter,
    duplicates_without_decision: Counter,
    end_to_end: Histogram,
    batch_seconds: Histogram,
    stage_seconds: Family<StageLabel, Histogram, fn() -> Histogram>,
}

/// Labels of a per-stage series.
pub type StageLabel = Vec<(&'static str, &'static str)>;

/// The steps of a batch whose wall time is measured
/// (`vigie_worker_stage_seconds{stage=...}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Fetching messages from the partition's consumer (including waits).
    Fetch,
    /// Reading the batch's card states from Redis.
    RedisLoad,
    /// Scoring (features, model, rules, reasons) and encoding the decisions.
    Score,
    /// Committing the decisions and the stream position.
    Commit,
    /// Writing the card states to Redis.
    RedisWrite,
    /// Reading back decisions logged earlier, to republish them.
    Republish,
    /// Publishing the decisions and awaiting the stream's acknowledgements.
    Publish,
    /// Acknowledging the transaction messages.
    Ack,
}

impl Stage {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fetch => "fetch",
            Self::RedisLoad => "redis_load",
            Self::Score => "score",
            Self::Commit => "commit",
            Self::RedisWrite => "redis_write",
            Self::Republish => "republish",
            Self::Publish => "publish",
            Self::Ack => "ack",
        }
    }
}

fn stage_histogram() -> Histogram {
    // 20 µs .. ~21 s.
    Histogram::new(exponential_buckets(0.000_02, 2.0, 21))
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric registered at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("vigie_worker");
        let metrics = Self {
            consumed: Family::default(),
            scored: Family::default(),
            acked: Family::default(),
            redelivered: Family::default(),
            dead_lettered: Family::default(),
            lag: Family::default(),
            degraded: Family::default(),
            failures: Family::default(),
            failed_checks: Family::default(),
            owned: Gauge::default(),
            rebuilds: Counter::default(),
            duplicates_without_decision: Counter::default(),
            // 100 µs .. ~105 s.
            end_to_end: Histogram::new(exponential_buckets(0.0001, 2.0, 21)),
            batch_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 18)),
            stage_seconds: Family::new_with_constructor(stage_histogram),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "consumed",
            "Transaction messages received",
            metrics.consumed.clone(),
        );
        r.register(
            "scored",
            "Transactions decided (new decisions logged)",
            metrics.scored.clone(),
        );
        r.register(
            "acked",
            "Messages acknowledged after their decision was committed",
            metrics.acked.clone(),
        );
        r.register(
            "redelivered",
            "Messages received again whose decision was already logged",
            metrics.redelivered.clone(),
        );
        r.register(
            "dead_lettered",
            "Unusable messages moved to the dead-letter subject",
            metrics.dead_lettered.clone(),
        );
        r.register(
            "lag",
            "Messages of the partition not yet delivered (as of the last batch)",
            metrics.lag.clone(),
        );
        r.register(
            "degraded",
            "1 while the worker cannot consume because of this dependency",
            metrics.degraded.clone(),
        );
        r.register(
            "batch_failures",
            "Batches abandoned (not acknowledged) because of this dependency",
            metrics.failures.clone(),
        );
        r.register(
            "failed_checks",
            "Health checks of a dependency that failed while waiting for it to return",
            metrics.failed_checks.clone(),
        );
        r.register(
            "partitions_owned",
            "Partitions this worker holds the lease of",
            metrics.owned.clone(),
        );
        r.register(
            "state_rebuilds",
            "Card-state rebuilds this worker performed after a loss",
            metrics.rebuilds.clone(),
        );
        r.register(
            "duplicates_without_decision",
            "Transactions already in the card state but with no logged decision (acknowledged without a decision)",
            metrics.duplicates_without_decision.clone(),
        );
        r.register(
            "publish_to_decision_seconds",
            "End-to-end latency: from the transaction's publication to its committed decision",
            metrics.end_to_end.clone(),
        );
        r.register(
            "batch_seconds",
            "Time to process one batch (load, score, commit, write states)",
            metrics.batch_seconds.clone(),
        );
        r.register(
            "stage_seconds",
            "Wall time of one step of a batch (fetch, redis_load, score, commit, redis_write, republish, publish, ack)",
            metrics.stage_seconds.clone(),
        );
        Self {
            registry,
            ..metrics
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    /// Messages received on a partition.
    pub fn consumed(&self, p: u16, n: u64) {
        self.consumed.get_or_create(&partition(p)).inc_by(n);
    }

    /// New decisions logged.
    pub fn scored(&self, p: u16, n: u64) {
        self.scored.get_or_create(&partition(p)).inc_by(n);
    }

    /// Messages acknowledged.
    pub fn acked(&self, p: u16, n: u64) {
        self.acked.get_or_create(&partition(p)).inc_by(n);
    }

    /// Messages whose decision was already logged.
    pub fn redelivered(&self, p: u16, n: u64) {
        self.redelivered.get_or_create(&partition(p)).inc_by(n);
    }

    /// Messages dead-lettered with `reason`.
    pub fn dead_lettered(&self, p: u16, reason: &str) {
        self.dead_lettered
            .get_or_create(&vec![
                ("partition", p.to_string()),
                ("reason", reason.to_string()),
            ])
            .inc();
    }

    /// Messages still to deliver on a partition.
    pub fn set_lag(&self, p: u16, pending: u64) {
        self.lag
            .get_or_create(&partition(p))
            .set(i64::try_from(pending).unwrap_or(i64::MAX));
    }

    /// Sets the `degraded` gauge of a dependency.
    pub fn set_degraded(&self, dependency: Dependency, on: bool) {
        self.degraded
            .get_or_create(&vec![("dependency", dependency.as_str().to_string())])
            .set(i64::from(on));
    }

    /// Whether the `degraded` gauge of a dependency is set.
    pub fn is_degraded(&self, dependency: Dependency) -> bool {
        self.degraded
            .get_or_create(&vec![("dependency", dependency.as_str().to_string())])
            .get()
            != 0
    }

    /// A batch abandoned because of `dependency`.
    pub fn batch_failed(&self, dependency: Dependency) {
        self.failures
            .get_or_create(&vec![("dependency", dependency.as_str().to_string())])
            .inc();
    }

    /// A health check of `dependency` failed.
    pub fn check_failed(&self, dependency: Dependency) {
        self.failed_checks
            .get_or_create(&vec![("dependency", dependency.as_str().to_string())])
            .inc();
    }

    /// Partitions held.
    pub fn set_owned(&self, n: usize) {
        self.owned.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// A rebuild performed.
    pub fn rebuilt(&self) {
        self.rebuilds.inc();
    }

    /// `n` transactions their card states hold but the decision log does not.
    pub fn duplicates_without_decision(&self, n: u64) {
        self.duplicates_without_decision.inc_by(n);
    }

    /// One end-to-end latency, seconds.
    pub fn end_to_end(&self, seconds: f64) {
        self.end_to_end.observe(seconds);
    }

    /// One batch's processing time, seconds.
    pub fn batch_seconds(&self, seconds: f64) {
        self.batch_seconds.observe(seconds);
    }

    /// The wall time of one step of a batch, seconds.
    pub fn stage(&self, stage: Stage, seconds: f64) {
        self.stage_seconds
            .get_or_create(&vec![("stage", stage.as_str())])
            .observe(seconds);
    }

    /// Runs `f`, recording its wall time under `stage`.
    pub fn timed<T>(&self, stage: Stage, f: impl FnOnce() -> T) -> T {
        let started = std::time::Instant::now();
        let out = f();
        self.stage(stage, started.elapsed().as_secs_f64());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_metrics_carry_names_and_labels() {
        let m = Metrics::new();
        m.consumed(3, 5);
        m.set_degraded(Dependency::Redis, true);
        m.end_to_end(0.002);
        m.stage(Stage::Commit, 0.003);
        let text = m.render();
        assert!(
            text.contains("vigie_worker_consumed_total{partition=\"3\"} 5"),
            "{text}"
        );
        assert!(
            text.contains("vigie_worker_degraded{dependency=\"redis\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("vigie_worker_publish_to_decision_seconds_count 1"),
            "{text}"
        );
        assert!(
            text.contains("vigie_worker_stage_seconds_count{stage=\"commit\"} 1"),
            "{text}"
        );
        assert!(m.is_degraded(Dependency::Redis));
        assert!(!m.is_degraded(Dependency::Postgres));
    }
}
