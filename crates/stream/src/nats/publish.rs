//! The publisher: transactions to `<prefix>.tx.<partition>`, each with
//! `Nats-Msg-Id = trans_num` (so the stream drops a re-published
//! transaction inside its duplicate window), a bounded window of
//! outstanding acknowledgements, optional open-loop pacing, and retries of
//! failed publishes under the same id (safe: the stream de-duplicates).
//!
//! Order: messages are sent in input order, so one card's transactions
//! reach their partition's subject in order. A publish that fails and is
//! retried can land after later messages of the same card (the scorer's
//! state then sees that transaction late); this happens only when the
//! server fails to acknowledge within the timeout.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use async_nats::{Client, Subject};
use bytes::Bytes;
use serde::Serialize;
use vigie_ingest::{IngestError, ReadOptions, read_file, read_transactions};
use vigie_types::{Tokenizer, Transaction};

use super::message::encode_tx;
use super::publish_acks::{AckInbox, AckOutcome};
use super::topology::Topology;
use crate::error::{Result, StreamError};

/// Most publishes awaiting their acknowledgement: the client's
/// subscription queue holds 65,536 messages, and acknowledgements beyond it
/// would be dropped (then waited for in vain until the timeout).
pub const MAX_WINDOW: usize = 65_536;

/// How to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishOptions {
    /// Most publishes awaiting their acknowledgement.
    pub window: usize,
    /// Target messages per second (open loop: the schedule does not slow
    /// down when the server does), or as fast as acknowledgements allow.
    pub rate: Option<f64>,
    /// Attempts per message before the run fails.
    pub max_attempts: u32,
    /// How long a message waits for its acknowledgement before it is sent
    /// again (under the same id).
    pub ack_timeout: Duration,
}

impl Default for PublishOptions {
    /// A window of 4,096, no pacing, 5 attempts, 10 s per acknowledgement.
    fn default() -> Self {
        Self {
            window: 4096,
            rate: None,
            max_attempts: 5,
            ack_timeout: Duration::from_secs(10),
        }
    }
}

/// Counts of a publisher.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PublishCounts {
    /// Messages the stream stored.
    pub published: u64,
    /// Messages the stream acknowledged as duplicates (`Nats-Msg-Id` seen
    /// within the duplicate window), not stored again. A retry of a publish
    /// whose first acknowledgement was lost also counts here.
    pub duplicates: u64,
    /// Publishes retried after a failure.
    pub retried: u64,
    /// Messages sent per partition.
    pub per_partition: Vec<u64>,
}

/// A message sent and not yet settled.
struct Pending {
    partition: u16,
    trans_num: String,
    payload: Bytes,
    sent_at: Instant,
    attempts: u32,
    /// The server's answer, once it came.
    outcome: Option<AckOutcome>,
}

/// Paces sends to a fixed schedule: message `i` leaves at `start + i / rate`.
struct Pacer {
    start: tokio::time::Instant,
    rate: f64,
    sent: u64,
}

impl Pacer {
    async fn wait(&mut self) {
        let due = self.start + Duration::from_secs_f64(self.sent as f64 / self.rate);
        self.sent += 1;
        if due > tokio::time::Instant::now() {
            tokio::time::sleep_until(due).await;
        }
    }
}

/// Publishes transactions; see the module documentation.
pub struct Publisher {
    client: Client,
    topology: Topology,
    /// Each partition's subject, built once (a clone shares the bytes).
    subjects: Vec<Subject>,
    options: PublishOptions,
    /// Where acknowledgements arrive.
    inbox: AckInbox,
    /// The reply slot of the next message sent: the messages in flight
    /// have the slots just below it, oldest first.
    next_slot: u64,
    in_flight: VecDeque<Pending>,
    counts: PublishCounts,
    pacer: Option<Pacer>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("topology", &self.topology)
            .field("options", &self.options)
            .field("in_flight", &self.in_flight.len())
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    /// A publisher on `client`'s connection (it publishes with core NATS
    /// and reads the streams' acknowledgements on a subscription of its
    /// own: see [`super::publish_acks`]).
    pub async fn new(client: Client, topology: Topology, options: PublishOptions) -> Result<Self> {
        topology.validate()?;
        let mut problems = Vec::new();
        if options.window == 0 || options.window > MAX_WINDOW {
            problems.push(format!(
                "the window must be between 1 and {MAX_WINDOW}, not {}",
                options.window
            ));
        }
        if options.max_attempts == 0 {
            problems.push("max_attempts must be at least 1".to_string());
        }
        if options.ack_timeout.is_zero() {
            problems.push("the acknowledgement timeout must be positive".to_string());
        }
        if let Some(rate) = options.rate
            && !(rate.is_finite() && rate > 0.0)
        {
            problems.push(format!("the rate must be a positive number, not {rate}"));
        }
        if !problems.is_empty() {
            return Err(StreamError::Config {
                reason: problems.join("; "),
            });
        }
        Ok(Self {
            inbox: AckInbox::open(&client).await?,
            pacer: options.rate.map(|rate| Pacer {
                start: tokio::time::Instant::now(),
                rate,
                sent: 0,
            }),
            counts: PublishCounts {
                per_partition: vec![0; usize::from(topology.partitions)],
                ..PublishCounts::default()
            },
            client,
            subjects: (0..topology.partitions)
                .map(|p| Subject::from(topology.tx_subject(p)))
                .collect(),
            topology,
            options,
            next_slot: 0,
            in_flight: VecDeque::new(),
        })
    }

    /// Counts so far (acknowledged messages only).
    pub fn counts(&self) -> &PublishCounts {
        &self.counts
    }

    /// Sends one transaction (waiting first for the oldest acknowledgement
    /// when the window is full, and for its slot when paced).
    pub async fn publish(&mut self, txn: &Transaction) -> Result<()> {
        if let Some(pacer) = &mut self.pacer {
            pacer.wait().await;
        }
        while self.in_flight.len() >= self.options.window {
            self.settle_oldest().await?;
        }
        let partition = self.topology.partition_of(&txn.card);
        let trans_num = txn.trans_num.to_string();
        let payload = Bytes::from(encode_tx(txn));
        let slot = self.next_slot;
        self.next_slot += 1;
        let outcome = self.send(slot, partition, &trans_num, &payload).await;
        self.in_flight.push_back(Pending {
            partition,
            trans_num,
            payload,
            sent_at: Instant::now(),
            attempts: 1,
            outcome,
        });
        self.counts.per_partition[usize::from(partition)] += 1;
        Ok(())
    }

    /// Waits for every outstanding acknowledgement; returns the counts.
    pub async fn finish(mut self) -> Result<PublishCounts> {
        while !self.in_flight.is_empty() {
            self.settle_oldest().await?;
        }
        Ok(self.counts)
    }

    /// Sends one message with its reply slot; the subject and payload are
    /// shared, not copied. A send that fails is the message's outcome
    /// (`Failed`): it is retried like a refused message once it is the
    /// oldest ([`Self::settle_oldest`]).
    async fn send(
        &self,
        slot: u64,
        partition: u16,
        trans_num: &str,
        payload: &Bytes,
    ) -> Option<AckOutcome> {
        let reply = self.inbox.reply_subject(slot);
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", trans_num);
        let subject = self.subjects[usize::from(partition)].clone();
        self.client
            .publish_with_reply_and_headers(subject, reply, headers, payload.clone())
            .await
            .err()
            .map(|e| AckOutcome::Failed(e.to_string()))
    }

    /// Waits until the oldest message is settled (sending it again, under
    /// the same id, when it failed or its acknowledgement is late), counts
    /// it and drops it from the window.
    async fn settle_oldest(&mut self) -> Result<()> {
        loop {
            let Some(front) = self.in_flight.front() else {
                return Ok(());
            };
            match &front.outcome {
                Some(AckOutcome::Stored) => self.counts.published += 1,
                Some(AckOutcome::Duplicate) => self.counts.duplicates += 1,
                Some(AckOutcome::Failed(reason)) => {
                    let reason = reason.clone();
                    self.send_front_again(reason).await?;
                    continue;
                }
                None => {
                    let waited = front.sent_at.elapsed();
                    if waited >= self.options.ack_timeout {
                        let reason =
                            format!("no acknowledgement within {:?}", self.options.ack_timeout);
                        self.send_front_again(reason).await?;
                        continue;
                    }
                    let wait = self.options.ack_timeout - waited;
                    if let Some((slot, outcome)) = self.inbox.next(wait).await? {
                        self.record(slot, outcome);
                    }
                    continue;
                }
            }
            self.in_flight.pop_front();
            return Ok(());
        }
    }

    /// The reply slot of the oldest message in flight.
    fn first_slot(&self) -> u64 {
        self.next_slot - self.in_flight.len() as u64
    }

    /// Notes the answer for `slot` (the first one, if it was sent twice).
    fn record(&mut self, slot: u64, outcome: AckOutcome) {
        let Some(index) = slot.checked_sub(self.first_slot()) else {
            return; // settled already
        };
        if let Some(pending) = self.in_flight.get_mut(index as usize)
            && pending.outcome.is_none()
        {
            pending.outcome = Some(outcome);
        }
    }

    /// Sends the oldest message again under the same id (the stream
    /// de-duplicates it if the first copy was stored after all), or fails
    /// the run once it has had all its attempts.
    async fn send_front_again(&mut self, reason: String) -> Result<()> {
        let (max_attempts, slot) = (self.options.max_attempts, self.first_slot());
        let Some(front) = self.in_flight.front_mut() else {
            return Ok(());
        };
        if front.attempts >= max_attempts {
            return Err(publish_error(&front.trans_num, front.attempts, reason));
        }
        tracing::warn!(trans_num = front.trans_num, attempt = front.attempts, error = %reason,
            "not stored, publishing again under the same id");
        front.attempts += 1;
        front.sent_at = Instant::now();
        let (partition, trans_num, payload) = (
            front.partition,
            front.trans_num.clone(),
            front.payload.clone(),
        );
        self.counts.retried += 1;
        let outcome = self.send(slot, partition, &trans_num, &payload).await;
        if let Some(front) = self.in_flight.front_mut() {
            front.outcome = outcome;
        }
        Ok(())
    }
}

fn publish_error(trans_num: &str, attempts: u32, e: impl Into<async_nats::Error>) -> StreamError {
    StreamError::Publish {
        trans_num: trans_num.to_string(),
        attempts,
        source: e.into(),
    }
}

/// A transaction file to publish.
#[derive(Debug, Clone)]
pub enum FileSource {
    /// A CSV file, read and validated as `vigie ingest` does (card numbers
    /// become tokens as each record is parsed; refused records are counted,
    /// not published).
    Csv {
        /// The file.
        path: PathBuf,
        /// Turns card numbers into tokens (the data directory's key).
        tokenizer: Box<Tokenizer>,
        /// Layout and reader settings.
        options: Box<ReadOptions>,
    },
    /// A Parquet file written by `vigie ingest`.
    Parquet {
        /// The file.
        path: PathBuf,
    },
}

impl FileSource {
    fn path(&self) -> &PathBuf {
        match self {
            Self::Csv { path, .. } | Self::Parquet { path } => path,
        }
    }
}

/// What [`publish_file`] did.
#[derive(Debug, Clone, Serialize)]
pub struct PublishReport {
    /// The input file.
    pub input: PathBuf,
    /// Records read (CSV: before validation).
    pub rows_read: u64,
    /// Records refused by validation (CSV only), not published.
    pub rejected: u64,
    /// Refusals per reason code.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Acknowledgement counts.
    #[serde(flatten)]
    pub counts: PublishCounts,
    /// Number of partitions.
    pub partitions: u16,
    /// The requested rate, if paced.
    pub target_rate: Option<f64>,
    /// Wall-clock seconds, from the first read to the last acknowledgement.
    pub seconds: f64,
    /// Messages acknowledged per second.
    pub messages_per_sec: f64,
}

struct ReadCounts {
    rows_read: u64,
    rejected: u64,
    rejected_by_reason: BTreeMap<String, u64>,
}

fn publisher_stopped(path: &std::path::Path) -> IngestError {
    IngestError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::other("the publisher stopped"),
    }
}

/// Reads `source` on a blocking thread and publishes every accepted
/// transaction in file order. `progress` receives the number of messages
/// sent so far.
pub async fn publish_file(
    client: Client,
    topology: &Topology,
    source: FileSource,
    options: PublishOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<PublishReport> {
    let started = Instant::now();
    let input = source.path().clone();
    let mut publisher = Publisher::new(client, topology.clone(), options.clone()).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Transaction>>(4);
    let reader = tokio::task::spawn_blocking(move || -> Result<ReadCounts> {
        match source {
            FileSource::Csv {
                path,
                tokenizer,
                options,
            } => {
                let summary = read_file(&path, &tokenizer, &options, &|_| {}, &mut |batch| {
                    let txns = batch.accepted.into_iter().map(|a| a.txn.txn).collect();
                    tx.blocking_send(txns).map_err(|_| publisher_stopped(&path))
                })?;
                Ok(ReadCounts {
                    rows_read: summary.rows_read,
                    rejected: summary.rejected,
                    rejected_by_reason: summary.rejected_by_reason,
                })
            }
            FileSource::Parquet { path } => {
                let rows = read_transactions(&path, &mut |batch| {
                    let txns = batch.into_iter().map(|a| a.txn.txn).collect();
                    tx.blocking_send(txns).map_err(|_| publisher_stopped(&path))
                })?;
                Ok(ReadCounts {
                    rows_read: rows,
                    rejected: 0,
                    rejected_by_reason: BTreeMap::new(),
                })
            }
        }
    });
    let mut sent = 0u64;
    while let Some(batch) = rx.recv().await {
        for txn in &batch {
            publisher.publish(txn).await?;
        }
        sent += batch.len() as u64;
        progress(sent);
    }
    let read = reader.await.map_err(|e| StreamError::Io {
        path: input.clone(),
        source: std::io::Error::other(format!("the reader thread failed: {e}")),
    })??;
    let counts = publisher.finish().await?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(PublishReport {
        input,
        rows_read: read.rows_read,
        rejected: read.rejected,
        rejected_by_reason: read.rejected_by_reason,
        messages_per_sec: (counts.published + counts.duplicates) as f64 / seconds.max(1e-9),
        counts,
        partitions: topology.partitions,
        target_rate: options.rate,
        seconds,
    })
}
