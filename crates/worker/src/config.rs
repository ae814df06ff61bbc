//! The worker's settings.

use std::time::Duration;

use vigie_stream::RedisConfig;
use vigie_stream::nats::{ConsumerSettings, StreamSettings, Topology};

use crate::error::{Result, WorkerError};

/// Everything a worker needs to know besides its engine and decision log.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The NATS server (`nats://host:port`; never logged).
    pub nats_url: String,
    /// Redis for card states and leases (key prefix included).
    pub redis: RedisConfig,
    /// Subjects, partitions and stream names.
    pub topology: Topology,
    /// Settings of the streams, when the worker creates them.
    pub streams: StreamSettings,
    /// The per-partition durable consumers; their prefix is also the lease
    /// group and the decision log's consumer name.
    pub consumer: ConsumerSettings,
    /// Most messages per batch (bounded in-flight work: a worker holds at
    /// most one batch per partition it owns).
    pub batch_size: usize,
    /// Lease duration; a dead worker's partitions move after at most this.
    pub lease_ttl: Duration,
    /// How long an idle fetch waits for a first message.
    pub fetch_wait: Duration,
    /// Most partitions this worker takes (default: its fair share).
    pub max_partitions: Option<usize>,
    /// Where to serve `/metrics` (`host:port`), if anywhere.
    pub metrics_addr: Option<String>,
}

impl WorkerConfig {
    /// Defaults around the given servers: batches of 256, leases of 10 s,
    /// fetches waiting up to 1 s.
    pub fn new(nats_url: impl Into<String>, redis: RedisConfig, topology: Topology) -> Self {
        Self {
            nats_url: nats_url.into(),
            redis,
            topology,
            streams: StreamSettings::default(),
            consumer: ConsumerSettings::default(),
            batch_size: 256,
            lease_ttl: Duration::from_secs(10),
            fetch_wait: Duration::from_secs(1),
            max_partitions: None,
            metrics_addr: None,
        }
    }

    /// The lease group: the consumers' durable prefix.
    pub fn group(&self) -> &str {
        &self.consumer.durable_prefix
    }

    /// How often leases are renewed (a third of the TTL).
    pub fn renew_every(&self) -> Duration {
        self.lease_ttl / 3
    }

    /// Checks the settings, reporting every problem at once.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        if self.batch_size == 0 {
            problems.push("the batch size must be at least 1".to_string());
        }
        if i64::try_from(self.batch_size).unwrap_or(i64::MAX) > self.consumer.max_ack_pending {
            problems.push(format!(
                "the batch size ({}) must not exceed max_ack_pending ({})",
                self.batch_size, self.consumer.max_ack_pending
            ));
        }
        if self.lease_ttl < Duration::from_millis(300) {
            problems.push("the lease TTL must be at least 300 ms".into());
        }
        if self.fetch_wait.is_zero() || self.fetch_wait >= self.lease_ttl / 3 {
            problems
                .push("the fetch wait must be positive and under a third of the lease TTL".into());
        }
        if self.max_partitions == Some(0) {
            problems.push("max partitions must be at least 1".into());
        }
        if let Err(e) = self.topology.validate() {
            problems.push(e.to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(WorkerError::Config(problems.join("; ")))
        }
    }
}
