//! Rebuilding the card states after Redis lost them (a flush, a restart
//! without persistence, eviction), from the transaction stream itself.
//!
//! For each partition (its own stream), the durable consumer's
//! acknowledgement floor is the last stream sequence at or below which
//! every message was decided and applied to its card. Replaying the partition's messages up to that floor,
//! in stream order, through `CardState::update` gives exactly the states a
//! worker that never lost them would hold (the same transactions, per card
//! in the same order). The states are written in pipelines, then a new
//! epoch marker makes them visible; every worker then restarts its
//! consumers at the floors, so messages past them are delivered again:
//! decided ones are re-applied (idempotent), the others scored against the
//! rebuilt history, as in a clean run.
//!
//! Limits: only what the stream still retains is replayed (7 days by
//! default); a card whose history is older restarts from the retained part.
//! Workers do not score while the rebuild runs (they are all degraded).

use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use futures_util::StreamExt;
use vigie_features::CardState;
use vigie_stream::nats::{acknowledged_floor, decode_tx, partition_stream};
use vigie_stream::{StreamError, WarmReport};
use vigie_types::CardMap;

use crate::error::{Result, WorkerError};
use crate::partition::Shared;

const REPLAY_BATCH: usize = 2_000;

/// Replays every partition up to its floor and warms Redis with the result.
pub(crate) async fn rebuild(shared: &Shared) -> Result<WarmReport> {
    let started = Instant::now();
    let topology = &shared.config.topology;
    let mut states: CardMap<CardState> = CardMap::default();
    let mut replayed = 0u64;
    for partition in 0..topology.partitions {
        let stream = partition_stream(&shared.js, topology, partition).await?;
        let name = shared.config.consumer.durable_name(partition);
        let floor = acknowledged_floor(&stream, &name).await?.unwrap_or(0);
        if floor == 0 {
            continue;
        }
        let consumer = stream
            .create_consumer(pull::Config {
                deliver_policy: DeliverPolicy::All,
                ack_policy: AckPolicy::None,
                inactive_threshold: Duration::from_secs(60),
                ..pull::Config::default()
            })
            .await
            .map_err(|e| nats(format!("replaying partition {partition}"), e))?;
        'replay: loop {
            let mut messages = consumer
                .fetch()
                .max_messages(REPLAY_BATCH)
                .messages()
                .await
                .map_err(|e| nats(format!("replaying partition {partition}"), e))?;
            let mut got = 0;
            while let Some(message) = messages.next().await {
                let message =
                    message.map_err(|e| nats(format!("replaying partition {partition}"), e))?;
                got += 1;
                let sequence = message.info().map_or(0, |i| i.stream_sequence);
                if sequence > floor {
                    break 'replay;
                }
                if let Ok(txn) = decode_tx(&message.payload) {
                    states.entry(txn.card).or_default().update(&txn);
                    replayed += 1;
                }
                if sequence == floor {
                    break 'replay;
                }
            }
            if got == 0 {
                break;
            }
        }
    }
    let store = std::sync::Arc::clone(&shared.core.store);
    let cards = states.len();
    let report = tokio::task::spawn_blocking(move || store.warm_from(states))
        .await
        .map_err(|e| WorkerError::Task(e.to_string()))??;
    tracing::info!(
        cards,
        replayed,
        seconds = started.elapsed().as_secs_f64(),
        epoch = %report.epoch,
        "card states rebuilt from the transaction stream"
    );
    Ok(report)
}

fn nats(operation: String, source: impl Into<async_nats::Error>) -> WorkerError {
    WorkerError::Stream(StreamError::Nats {
        operation,
        source: source.into(),
    })
}
