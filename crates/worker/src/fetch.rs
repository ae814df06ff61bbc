//! Fetching from a partition's consumer with low latency under light load
//! and full batches under heavy load: take whatever is ready now (no
//! waiting); when nothing is, wait up to `wait` for the first message only.

use std::time::Duration;

use async_nats::jetstream::{self, consumer::PullConsumer};
use futures_util::StreamExt;
use vigie_stream::StreamError;
use vigie_stream::nats::{BadMessage, decode_tx};
use vigie_types::Transaction;

/// A received message and what it decoded to.
#[derive(Debug)]
pub(crate) struct Fetched {
    /// The message (to acknowledge, or to dead-letter).
    pub message: jetstream::Message,
    /// Its stream sequence.
    pub sequence: u64,
    /// Messages of the consumer still to deliver after this one.
    pub pending: u64,
    /// When it was published, Unix nanoseconds (0 if unknown).
    pub published_ns: i128,
    /// The transaction, or why the message is unusable.
    pub transaction: Result<Transaction, BadMessage>,
}

/// Up to `max` messages: those ready now, or (when none is) the first one
/// to arrive within `wait`. Empty when nothing arrived.
pub(crate) async fn next_batch(
    consumer: &PullConsumer,
    max: usize,
    wait: Duration,
) -> Result<Vec<Fetched>, StreamError> {
    let ready = ready_batch(consumer, max).await?;
    if !ready.is_empty() {
        return Ok(ready);
    }
    collect(
        consumer
            .batch()
            .max_messages(1)
            .expires(wait)
            .messages()
            .await
            .map_err(|e| nats("waiting for a message", e))?,
        1,
    )
    .await
}

/// Up to `max` messages ready now (none when nothing is; never waits for
/// new ones).
pub(crate) async fn ready_batch(
    consumer: &PullConsumer,
    max: usize,
) -> Result<Vec<Fetched>, StreamError> {
    collect(
        consumer
            .fetch()
            .max_messages(max)
            .messages()
            .await
            .map_err(|e| nats("fetching a batch", e))?,
        max,
    )
    .await
}

async fn collect(
    mut messages: async_nats::jetstream::consumer::pull::Batch,
    max: usize,
) -> Result<Vec<Fetched>, StreamError> {
    let mut out = Vec::with_capacity(max);
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| nats("receiving a message", e))?;
        let (sequence, pending, published_ns) = match message.info() {
            Ok(info) => (
                info.stream_sequence,
                info.pending,
                info.published.unix_timestamp_nanos(),
            ),
            Err(_) => (0, 0, 0),
        };
        out.push(Fetched {
            transaction: decode_tx(&message.payload),
            message,
            sequence,
            pending,
            published_ns,
        });
    }
    Ok(out)
}

fn nats(operation: &str, source: impl Into<async_nats::Error>) -> StreamError {
    StreamError::Nats {
        operation: operation.into(),
        source: source.into(),
    }
}

/// Unix nanoseconds now.
pub(crate) fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX))
}
