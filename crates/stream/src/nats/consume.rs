//! The consumer side, for the scorer worker: one durable pull consumer per
//! partition, batches fetched with a bounded number of unacknowledged
//! messages, decoding into [`Delivery`]s, and the dead-letter path.
//!
//! How workers share partitions (docs/streaming.md): each partition has one
//! durable consumer, `<durable_prefix>-p<partition>`, on the partition's own
//! stream (no subject filter to apply); a worker consumes a partition only
//! while it holds that partition's lease ([`crate::PartitionLeases`]),
//! processes its messages in order and acknowledges each after its
//! decision is committed. When a worker dies, its unacknowledged messages
//! are redelivered after `ack_wait` to whichever worker takes the lease
//! over.

use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::{self, AckKind};
use futures_util::StreamExt;
use vigie_types::{Transaction, redact_card_numbers};

use super::message::{BadMessage, decode_tx};
use super::topology::Topology;
use crate::error::{Result, StreamError};

/// Settings of the per-partition consumers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerSettings {
    /// Durable names are `<durable_prefix>-p<partition>`.
    pub durable_prefix: String,
    /// Redelivery delay of an unacknowledged message.
    pub ack_wait: Duration,
    /// Most unacknowledged messages per partition (bounds what a worker
    /// holds, and what is redelivered when it dies).
    pub max_ack_pending: i64,
    /// Deliveries of one message before the server gives up on it (the
    /// worker dead-letters a message before that).
    pub max_deliver: i64,
}

impl Default for ConsumerSettings {
    /// `vigie-scorer`, 30 s, 1,024 pending, 5 deliveries.
    fn default() -> Self {
        Self {
            durable_prefix: "vigie-scorer".into(),
            ack_wait: Duration::from_secs(30),
            max_ack_pending: 1024,
            max_deliver: 5,
        }
    }
}

impl ConsumerSettings {
    /// The durable consumer name of a partition.
    pub fn durable_name(&self, partition: u16) -> String {
        format!("{}-p{partition}", self.durable_prefix)
    }
}

/// Creates, or binds to, the durable pull consumer of `partition` on the
/// partition's stream. An existing consumer of that name must read the whole
/// stream (no filter, or the partition's own subject).
pub async fn partition_consumer(
    js: &jetstream::Context,
    topology: &Topology,
    partition: u16,
    settings: &ConsumerSettings,
) -> Result<PullConsumer> {
    let stream = partition_stream(js, topology, partition).await?;
    let name = settings.durable_name(partition);
    let config = pull::Config {
        durable_name: Some(name.clone()),
        deliver_policy: DeliverPolicy::All,
        ack_policy: AckPolicy::Explicit,
        ack_wait: settings.ack_wait,
        max_ack_pending: settings.max_ack_pending,
        max_deliver: settings.max_deliver,
        ..pull::Config::default()
    };
    let mut consumer: PullConsumer = stream
        .get_or_create_consumer(&name, config)
        .await
        .map_err(|e| StreamError::nats(format!("binding consumer {name}"), e))?;
    let info = consumer
        .info()
        .await
        .map_err(|e| StreamError::nats(format!("reading consumer {name}"), e))?;
    let filter = &info.config.filter_subject;
    let subject = topology.tx_subject(partition);
    if !filter.is_empty() && *filter != subject {
        return Err(StreamError::StreamMismatch {
            stream: topology.tx_stream(partition),
            reason: format!(
                "consumer {name} filters on '{filter}', expected the whole stream ('{subject}')"
            ),
        });
    }
    Ok(consumer)
}

/// The stream of `partition`'s transactions.
pub async fn partition_stream(
    js: &jetstream::Context,
    topology: &Topology,
    partition: u16,
) -> Result<jetstream::stream::Stream> {
    if partition >= topology.partitions {
        return Err(StreamError::Config {
            reason: format!(
                "partition {partition} does not exist (the topology has {})",
                topology.partitions
            ),
        });
    }
    let name = topology.tx_stream(partition);
    js.get_stream(&name)
        .await
        .map_err(|e| StreamError::nats(format!("looking up stream {name}"), e))
}

/// Replaces the durable consumer of `partition` by one that starts right
/// after the old one's acknowledgement floor (every message at or below it
/// was acknowledged), and returns it with that floor. Everything not yet
/// acknowledged is delivered again at once and in stream order, instead of
/// after `ack_wait` and possibly after later messages: what a worker does
/// when it takes a partition over, and after abandoning a batch.
///
/// The new consumer acknowledges cumulatively (`AckPolicy::All`):
/// acknowledging a message acknowledges every earlier one, so a worker
/// acknowledges a processed batch with one acknowledgement, its last
/// message's (the server handles one acknowledgement per batch instead of
/// one per message).
///
/// A previous owner still holding the old consumer can no longer fetch
/// from it; its late acknowledgements only acknowledge messages it has
/// processed.
pub async fn restart_partition_consumer(
    js: &jetstream::Context,
    topology: &Topology,
    partition: u16,
    settings: &ConsumerSettings,
) -> Result<(PullConsumer, u64)> {
    let stream = partition_stream(js, topology, partition).await?;
    let name = settings.durable_name(partition);
    let floor = acknowledged_floor(&stream, &name).await?;
    if floor.is_some() {
        stream
            .delete_consumer(&name)
            .await
            .map_err(|e| StreamError::nats(format!("deleting consumer {name}"), e))?;
    }
    let floor = floor.unwrap_or(0);
    let deliver_policy = if floor == 0 {
        DeliverPolicy::All
    } else {
        DeliverPolicy::ByStartSequence {
            start_sequence: floor + 1,
        }
    };
    let config = pull::Config {
        durable_name: Some(name.clone()),
        deliver_policy,
        ack_policy: AckPolicy::All,
        ack_wait: settings.ack_wait,
        max_ack_pending: settings.max_ack_pending,
        max_deliver: settings.max_deliver,
        ..pull::Config::default()
    };
    let consumer = stream
        .create_consumer(config)
        .await
        .map_err(|e| StreamError::nats(format!("creating consumer {name}"), e))?;
    Ok((consumer, floor))
}

/// The stream sequence at or below which every message of the durable
/// consumer `name` was acknowledged; `None` when the consumer does not
/// exist.
pub async fn acknowledged_floor(
    stream: &jetstream::stream::Stream,
    name: &str,
) -> Result<Option<u64>> {
    use async_nats::jetstream::context::ConsumerInfoErrorKind;
    match stream.consumer_info(name).await {
        // A consumer created to start at sequence `s` reports a floor of 0
        // until its first acknowledgement; its floor is at least `s - 1`.
        Ok(info) => Ok(Some(match info.config.deliver_policy {
            DeliverPolicy::ByStartSequence { start_sequence } => info
                .ack_floor
                .stream_sequence
                .max(start_sequence.saturating_sub(1)),
            _ => info.ack_floor.stream_sequence,
        })),
        Err(e) if e.kind() == ConsumerInfoErrorKind::NotFound => Ok(None),
        Err(e) => Err(StreamError::nats(format!("looking up consumer {name}"), e)),
    }
}

/// A delivered message and what it decoded to.
#[derive(Debug)]
pub struct Delivery {
    /// The message, to acknowledge once its decision is committed.
    pub message: jetstream::Message,
    /// Its partition (from the subject).
    pub partition: Option<u16>,
    /// The transaction, or why the message is unusable (dead-letter it).
    pub transaction: std::result::Result<Transaction, BadMessage>,
}

impl Delivery {
    /// The message's sequence in the stream, when the server says.
    pub fn stream_sequence(&self) -> Option<u64> {
        self.message.info().ok().map(|i| i.stream_sequence)
    }

    /// How many times this message was delivered (1 the first time).
    pub fn delivered(&self) -> Option<i64> {
        self.message.info().ok().map(|i| i.delivered)
    }
}

/// Fetches up to `max_messages` (waiting at most `wait` for them) and
/// decodes each. At most `max_ack_pending` messages are ever outstanding
/// per consumer, so a batch never exceeds what the worker may hold.
pub async fn fetch_batch(
    consumer: &PullConsumer,
    topology: &Topology,
    max_messages: usize,
    wait: Duration,
) -> Result<Vec<Delivery>> {
    let mut messages = consumer
        .batch()
        .max_messages(max_messages.max(1))
        .expires(wait)
        .messages()
        .await
        .map_err(|e| StreamError::nats("fetching a batch", e))?;
    let mut batch = Vec::with_capacity(max_messages);
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| StreamError::nats("receiving a message", e))?;
        batch.push(Delivery {
            partition: topology.partition_of_subject(message.subject.as_str()),
            transaction: decode_tx(&message.payload),
            message,
        });
    }
    Ok(batch)
}

/// Dead-letter headers.
pub mod headers {
    /// The reason code (`not_json`, `invalid_transaction`, ...).
    pub const REASON: &str = "Vigie-Dlq-Reason";
    /// A human explanation (card-number-like digit runs masked).
    pub const DETAIL: &str = "Vigie-Dlq-Detail";
    /// The subject the message came from.
    pub const SUBJECT: &str = "Vigie-Dlq-Subject";
    /// Its sequence in the source stream.
    pub const SEQUENCE: &str = "Vigie-Dlq-Sequence";
    /// How many times it had been delivered.
    pub const DELIVERED: &str = "Vigie-Dlq-Delivered";
}

/// Header values are one line of printable text, at most 512 bytes.
fn header_value(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if out.len() > 512 {
        let mut cut = 512;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

/// Copies `message` to `<prefix>.dlq.tx` with the reason in headers, waits
/// for the dead-letter stream to acknowledge it, then terminates the
/// original (it will not be redelivered). See [`copy_to_dead_letters`].
pub async fn dead_letter(
    js: &jetstream::Context,
    topology: &Topology,
    message: &jetstream::Message,
    reason_code: &str,
    detail: &str,
) -> Result<()> {
    copy_to_dead_letters(js, topology, message, reason_code, detail).await?;
    message
        .ack_with(AckKind::Term)
        .await
        .map_err(|e| StreamError::nats("terminating a dead-lettered message", e))
}

/// Copies `message` to `<prefix>.dlq.tx` with the reason in headers and
/// waits for the dead-letter stream to acknowledge it, leaving the original
/// to its consumer (the scorer worker acknowledges it with its batch). The
/// copy's `Nats-Msg-Id` is derived from the source position, so
/// dead-lettering the same message twice (a crash in between) stores it
/// once. Card-number-like digit runs in the payload are masked: a bad
/// message may come from a broken producer.
pub async fn copy_to_dead_letters(
    js: &jetstream::Context,
    topology: &Topology,
    message: &jetstream::Message,
    reason_code: &str,
    detail: &str,
) -> Result<()> {
    let (stream, sequence, delivered) = match message.info() {
        Ok(info) => (
            info.stream.to_string(),
            info.stream_sequence,
            info.delivered,
        ),
        Err(_) => (topology.tx_stream_stem.clone(), 0, 0),
    };
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", format!("dlq.{stream}.{sequence}").as_str());
    headers.insert(headers::REASON, header_value(reason_code).as_str());
    headers.insert(
        headers::DETAIL,
        header_value(&redact_card_numbers(detail, |_| "[digits]".into())).as_str(),
    );
    headers.insert(
        headers::SUBJECT,
        header_value(message.subject.as_str()).as_str(),
    );
    headers.insert(headers::SEQUENCE, sequence.to_string().as_str());
    headers.insert(headers::DELIVERED, delivered.to_string().as_str());
    let text = String::from_utf8_lossy(&message.payload);
    let payload = redact_card_numbers(&text, |_| "[digits]".into()).into_owned();
    js.publish_with_headers(topology.dlq_subject(), headers, payload.into_bytes().into())
        .await
        .map_err(|e| StreamError::nats("dead-lettering a message", e))?
        .await
        .map_err(|e| StreamError::nats("dead-lettering a message", e))?;
    Ok(())
}

/// [`dead_letter`] for a message that did not decode.
pub async fn dead_letter_bad(
    js: &jetstream::Context,
    topology: &Topology,
    message: &jetstream::Message,
    bad: &BadMessage,
) -> Result<()> {
    dead_letter(js, topology, message, bad.kind.code(), &bad.detail).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_single_bounded_lines() {
        assert_eq!(header_value("a\r\nb\tc"), "a  b c");
        let long = "é".repeat(400);
        let v = header_value(&long);
        assert!(v.len() <= 512 && v.chars().all(|c| c == 'é'));
    }

    #[test]
    fn durable_names_carry_the_partition() {
        assert_eq!(
            ConsumerSettings::default().durable_name(7),
            "vigie-scorer-p7"
        );
    }
}
