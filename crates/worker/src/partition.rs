//! One owned partition's loop: restart the consumer at the acknowledgement
//! floor, then fetch, dead-letter, process (on the blocking pool), publish
//! the decisions and acknowledge, until told to stop (lease lost, excess
//! partition, shutdown) or the card states are lost.
//!
//! Under a backlog (a full batch), the messages ready for the next batch
//! are fetched while this one is processed, so the fetch's round trips
//! overlap the Redis, engine and database work. The prefetched messages
//! are only processed after this batch is acknowledged, in stream order;
//! when anything fails they are dropped with the consumer, which restarts
//! at the acknowledgement floor and delivers them again.
//!
//! A failure abandons the batch unacknowledged, marks the dependency
//! degraded, waits until it answers again, and restarts the consumer so the
//! abandoned messages come back first and in order: nothing is decided
//! without Redis or PostgreSQL, and nothing is lost.
//!
//! A failure that is not a dependency's (the engine failing on a message, a
//! corrupt card state, a panic) would otherwise repeat forever: after
//! [`ISOLATE_AFTER`] such failures in a row the partition processes one
//! message at a time, and the message that still fails alone is
//! dead-lettered (`processing_failed`), so it cannot block the partition.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::PullConsumer};
use tokio::sync::watch;
use vigie_stream::nats::{
    BatchOrigin, copy_to_dead_letters, dead_letter, decision_frames, restart_partition_consumer,
};

use crate::batch::{Core, Incoming, Outcome, process};
use crate::config::WorkerConfig;
use crate::error::{Dependency, Result, WorkerError};
use crate::fault::{self, FaultPoint};
use crate::fetch::{Fetched, next_batch, ready_batch};
use crate::metrics::Stage;

/// Unexplained failures in a row before messages are processed one at a time.
pub(crate) const ISOLATE_AFTER: u32 = 3;

/// The dead-letter reason of a message that fails on its own.
const PROCESSING_FAILED: &str = "processing_failed";

/// What the partition loops share.
pub(crate) struct Shared {
    /// Engine, states, decision log, metrics.
    pub core: Arc<Core>,
    /// JetStream.
    pub js: jetstream::Context,
    /// Settings.
    pub config: WorkerConfig,
    /// Largest decision frame body the NATS server accepts.
    pub frame_limit: usize,
}

/// Why a partition loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// It was told to stop (its in-flight batch was finished first).
    Stopped,
    /// The card states in Redis are gone: the worker must rebuild.
    StateLost,
}

/// Runs partition `partition` until `stop` turns true or the states are lost.
pub(crate) async fn run(
    shared: Arc<Shared>,
    partition: u16,
    mut stop: watch::Receiver<bool>,
) -> Exit {
    let mut consumer: Option<PullConsumer> = None;
    // Messages fetched ahead for the next batch (see the module documentation).
    let mut ahead: Vec<Fetched> = Vec::new();
    let mut failures = 0u32;
    let mut unexplained = 0u32;
    let mut isolate_left = 0usize;
    loop {
        if *stop.borrow() {
            return Exit::Stopped;
        }
        let isolate = isolate_left > 0;
        let step = match &consumer {
            None => match restart(&shared, partition).await {
                Ok(c) => {
                    consumer = Some(c);
                    continue;
                }
                Err(e) => Err(e),
            },
            Some(c) => step(&shared, partition, c, isolate, &mut ahead).await,
        };
        match step {
            Ok(round) => {
                failures = 0;
                if round.dead_lettered {
                    // Stay isolated until `batch_size` messages in a row pass.
                    isolate_left = shared.config.batch_size;
                } else if isolate {
                    isolate_left -= 1;
                }
                if isolate_left == 0 {
                    unexplained = 0;
                }
                let linger = shared.config.linger;
                if round.partial && !linger.is_zero() && pause(&mut stop, linger).await {
                    return Exit::Stopped;
                }
            }
            Err(e) => {
                let dependency = e.dependency();
                if dependency == Dependency::StateLost {
                    return Exit::StateLost;
                }
                if dependency == Dependency::Other {
                    unexplained += 1;
                    if unexplained >= ISOLATE_AFTER && isolate_left == 0 {
                        tracing::warn!(
                            partition,
                            "repeated failures: processing one message at a time"
                        );
                        isolate_left = shared.config.batch_size;
                    }
                }
                failures += 1;
                shared.core.metrics.batch_failed(dependency);
                shared.core.metrics.set_degraded(dependency, true);
                tracing::warn!(partition, error = %e, dependency = dependency.as_str(),
                    "batch abandoned; waiting for the dependency");
                consumer = None;
                ahead.clear();
                if pause(&mut stop, backoff(failures)).await {
                    return Exit::Stopped;
                }
                if wait_healthy(&shared, partition, dependency, &mut stop).await {
                    shared.core.metrics.set_degraded(dependency, false);
                    tracing::info!(
                        partition,
                        dependency = dependency.as_str(),
                        "dependency answers again: resuming"
                    );
                }
            }
        }
    }
}

async fn restart(shared: &Shared, partition: u16) -> Result<PullConsumer> {
    let (consumer, floor) = restart_partition_consumer(
        &shared.js,
        &shared.config.topology,
        partition,
        &shared.config.consumer,
    )
    .await?;
    tracing::debug!(
        partition,
        floor,
        "consumer restarted after its acknowledgement floor"
    );
    Ok(consumer)
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default)]
struct Round {
    /// It dead-lettered a message that failed alone.
    dead_lettered: bool,
    /// It processed fewer messages than a batch holds (no backlog).
    partial: bool,
}

/// One fetch-process-publish-acknowledge round (of one message when
/// isolating). `ahead` holds messages fetched ahead by the previous round,
/// and receives this round's.
async fn step(
    shared: &Arc<Shared>,
    partition: u16,
    consumer: &PullConsumer,
    isolate: bool,
    ahead: &mut Vec<Fetched>,
) -> Result<Round> {
    let metrics = &shared.core.metrics;
    let size = if isolate { 1 } else { shared.config.batch_size };
    let batch = if ahead.is_empty() {
        let fetching = std::time::Instant::now();
        let batch = next_batch(consumer, size, shared.config.fetch_wait).await?;
        metrics.stage(Stage::Fetch, fetching.elapsed().as_secs_f64());
        batch
    } else {
        std::mem::take(ahead)
    };
    let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
        return Ok(Round::default());
    };
    let sequences = (first.sequence, last.sequence);
    // A full batch means a backlog: fetch ahead while this one is processed.
    let full = batch.len() >= size;
    let fetch_ahead = !isolate && full;
    let round = Round {
        dead_lettered: false,
        partial: !isolate && !full,
    };
    metrics.consumed(partition, batch.len() as u64);
    metrics.set_lag(partition, last.pending);

    // The consumer acknowledges cumulatively: the batch's last message (of
    // either kind), acknowledged once everything before it is done,
    // acknowledges all.
    let mut incoming = Vec::with_capacity(batch.len());
    let mut messages = Vec::with_capacity(batch.len());
    for fetched in batch {
        let Fetched {
            message,
            sequence,
            published_ns,
            transaction,
            ..
        } = fetched;
        match transaction {
            Ok(txn) => {
                incoming.push(Incoming {
                    sequence,
                    published_ns,
                    txn,
                });
            }
            Err(bad) => {
                let (topology, reason) = (&shared.config.topology, bad.kind.code());
                copy_to_dead_letters(&shared.js, topology, &message, reason, &bad.detail).await?;
                metrics.dead_lettered(partition, reason);
                tracing::warn!(partition, sequence, reason, "message dead-lettered");
            }
        }
        messages.push(message);
    }
    let scored = incoming.len() as u64;
    if incoming.is_empty() {
        if let Some(message) = messages.last() {
            acknowledge(shared, partition, message, 0).await?;
        }
        return Ok(round);
    }
    let core = Arc::clone(&shared.core);
    let processing = tokio::task::spawn_blocking(move || process(&core, partition, &incoming));
    let (processed, next) = if fetch_ahead {
        let fetching = async {
            let started = std::time::Instant::now();
            let next = ready_batch(consumer, size).await;
            metrics.stage(Stage::Fetch, started.elapsed().as_secs_f64());
            next
        };
        let (processed, next) = tokio::join!(processing, fetching);
        (processed, Some(next))
    } else {
        (processing.await, None)
    };
    let processed = processed
        .map_err(|e| WorkerError::Task(e.to_string()))
        .and_then(|r| r);
    let outcome = match (processed, messages.as_slice()) {
        (Err(e), [alone]) if isolate && e.dependency() == Dependency::Other => {
            dead_letter(
                &shared.js,
                &shared.config.topology,
                alone,
                PROCESSING_FAILED,
                &e.to_string(),
            )
            .await?;
            metrics.dead_lettered(partition, PROCESSING_FAILED);
            tracing::error!(partition, error = %e, "a message failing on its own was dead-lettered");
            return Ok(Round {
                dead_lettered: true,
                partial: false,
            });
        }
        (processed, _) => processed?,
    };
    let publishing = std::time::Instant::now();
    publish(shared, partition, sequences, outcome).await?;
    metrics.stage(Stage::Publish, publishing.elapsed().as_secs_f64());
    fault::reached(FaultPoint::BeforeAck);
    if let Some(message) = messages.last() {
        acknowledge(shared, partition, message, scored).await?;
    }
    if let Some(next) = next {
        *ahead = next?;
    }
    Ok(round)
}

/// Acknowledges `message` and, the consumer acknowledging cumulatively,
/// every earlier message of the partition (`acked` of them scored), then
/// flushes: the client buffers acknowledgements, and a crash right after
/// the batch must not redeliver it.
async fn acknowledge(
    shared: &Shared,
    partition: u16,
    message: &jetstream::Message,
    acked: u64,
) -> Result<()> {
    let acking = std::time::Instant::now();
    message
        .ack()
        .await
        .map_err(|e| vigie_stream::StreamError::Nats {
            operation: "acknowledging a message".into(),
            source: e,
        })?;
    shared
        .js
        .client()
        .flush()
        .await
        .map_err(|e| nats_error("flushing acknowledgements", e))?;
    let metrics = &shared.core.metrics;
    metrics.stage(Stage::Ack, acking.elapsed().as_secs_f64());
    metrics.acked(partition, acked);
    Ok(())
}

/// Publishes the batch's decisions on `<prefix>.decisions.<partition>` as
/// frames (`vigie_stream::nats::decision_frames`: one message per batch,
/// JSON Lines, `Nats-Msg-Id` from the batch's sequences) and waits for the
/// stream's acknowledgements.
async fn publish(
    shared: &Shared,
    partition: u16,
    (first, last): (u64, u64),
    outcome: Outcome,
) -> Result<()> {
    let origin = BatchOrigin {
        group: shared.config.group(),
        partition,
        first,
        last,
    };
    let records = outcome.publish.iter().map(|(_, json)| json.as_slice());
    let frames = decision_frames(origin, records, shared.frame_limit);
    let subject = shared.config.topology.decision_subject(partition);
    let mut pending = Vec::with_capacity(frames.len());
    for frame in frames {
        let headers = frame.headers();
        let ack = shared
            .js
            .publish_with_headers(subject.clone(), headers, frame.body.into())
            .await
            .map_err(|e| nats_error("publishing decisions", e))?;
        pending.push(ack);
    }
    for ack in pending {
        ack.await
            .map_err(|e| nats_error("publishing decisions", e))?;
    }
    Ok(())
}

fn nats_error(operation: &str, source: impl Into<async_nats::Error>) -> WorkerError {
    WorkerError::Stream(vigie_stream::StreamError::Nats {
        operation: operation.into(),
        source: source.into(),
    })
}

/// 200 ms doubling to 5 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << failures.min(5)).min(5_000))
}

/// Waits `duration` or until `stop` turns true; `true` means stop.
pub(crate) async fn pause(stop: &mut watch::Receiver<bool>, duration: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    let _ = tokio::time::timeout(duration, stop.changed()).await;
    *stop.borrow()
}

/// Polls the failed dependency until it answers (`true`) or `stop`.
async fn wait_healthy(
    shared: &Arc<Shared>,
    partition: u16,
    dependency: Dependency,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    let mut attempt = 0;
    loop {
        let core = Arc::clone(&shared.core);
        let consumer = shared.config.group().to_string();
        let healthy = tokio::task::spawn_blocking(move || match dependency {
            Dependency::Redis => core.store.check().is_ok(),
            Dependency::Postgres => core
                .log(partition)
                .stream_position(&consumer, partition)
                .is_ok(),
            _ => true,
        })
        .await
        .unwrap_or(false);
        if healthy {
            return true;
        }
        shared.core.metrics.check_failed(dependency);
        attempt += 1;
        if pause(stop, backoff(attempt)).await {
            return false;
        }
    }
}
