//! The worker's settings.

use std::time::Duration;

use vigie_stream::RedisConfig;
use vigie_stream::TlsFiles;
use vigie_stream::nats::{ConsumerSettings, StreamSettings, Topology};

use crate::error::{Result, WorkerError};

/// Everything a worker needs to know besides its engine and decision log.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The NATS server (`nats://host:port`; never logged).
    pub nats_url: String,
    /// TLS beyond what the URL says: a private CA, a client certificate.
    pub nats_tls: TlsFiles,
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
    /// After a partial batch, how long a partition waits before fetching
    /// again (more messages per batch at moderate load; zero: no wait).
    pub linger: Duration,
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
            nats_tls: TlsFiles::default(),
            redis,
            topology,
            streams: StreamSettings::default(),
            consumer: ConsumerSettings::default(),
            batch_size: 256,
            lease_ttl: Duration::from_secs(10),
            fetch_wait: Duration::from_secs(1),
            linger: Duration::ZERO,
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

    /// How many decision publications may await their stream acknowledgement
    /// at once, across all the partitions of this worker.
    ///
    /// A partition publishes its whole batch (up to `batch_size` decisions),
    /// then awaits the acknowledgements; each unawaited one holds a permit of
    /// the JetStream context's window, and `publish` waits (without a deadline)
    /// for a free permit. With a window smaller than every partition's batch
    /// together, two partitions publishing at once could each hold part of it
    /// while waiting for more: neither ever reached its acknowledgements, every
    /// other partition blocked on its next publication, and a partition told
    /// to stop (hand-over) never finished its batch, so its lease was renewed
    /// forever and the new owner never got it. A worker may own every
    /// partition and holds at most one batch per partition, so a window of
    /// `batch_size * partitions` is never exhausted.
    pub fn publish_window(&self) -> usize {
        self.batch_size
            .saturating_mul(usize::from(self.topology.partitions))
            .max(64)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_publish_window_holds_a_full_batch_of_every_partition() {
        let topology = Topology::new("window", 8).unwrap();
        let mut config = WorkerConfig::new(
            "nats://127.0.0.1:4222",
            RedisConfig::new("redis://127.0.0.1:6379"),
            topology,
        );
        assert_eq!(config.publish_window(), 256 * 8);
        config.batch_size = 1;
        assert_eq!(config.publish_window(), 64);
    }
}
