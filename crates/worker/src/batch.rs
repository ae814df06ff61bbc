//! One batch of a partition, synchronously (Redis, PostgreSQL and the
//! engine are blocking; the async side runs this on the blocking pool).
//!
//! Order of effects, and why each crash point is safe:
//!
//! 1. load the cards' states (one pipeline);
//! 2. score the batch in memory against those states (a card's
//!    transactions in stream order). A transaction its card state already
//!    holds was decided before (states are written only after the commit,
//!    step 4): the engine answers `Duplicate` and its logged decision is
//!    republished;
//! 3. commit the new decisions and the stream position in one transaction
//!    (shared with other partitions' batches: `commit.rs`); the log keeps
//!    the first decision of a `trans_num` and says which it already had.
//!    A crash before this leaves no trace: redelivery scores again from the
//!    same states, giving the same decisions;
//! 4. write the card states (`MULTI`/`EXEC` on the connection that
//!    `WATCH`ed them at step 1; per-card compare-and-set when another
//!    writer touched one meanwhile). A crash between 3
//!    and 4 redelivers decided transactions to states that lack them: they
//!    are scored again (which applies them to their card, so the states
//!    catch up), the log refuses the second decision and the logged one is
//!    republished, so no decision changes;
//! 5. the caller publishes the decisions (one frame per batch, at least once
//!    per decision: `vigie_stream::nats::decision_frames`) and acknowledges.
//!
//! The decision log is not asked beforehand which transactions it holds:
//! redeliveries are rare, and the commit's answer and the card states
//! tell the same without a round trip per batch.
//!
//! A card state can never hold a transaction without a logged decision,
//! because states are written only after the commit.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use vigie_decisions::{DecisionLog, DecisionSource, LoggedDecision, StreamPosition};
use vigie_engine::{Engine, Scored};
use vigie_stream::RedisStateStore;
use vigie_types::{CardMap, CardToken, TransNum, Transaction};

use crate::commit::Committer;
use crate::error::Result;
use crate::fault::{self, FaultPoint};
use crate::fetch::now_ns;
use crate::metrics::{Metrics, Stage};

/// What a batch needs: the engine, the card states, the decision log.
pub(crate) struct Core {
    /// The scoring engine (its champion, challenger and rules).
    pub engine: Arc<Engine>,
    /// Card states.
    pub store: Arc<RedisStateStore>,
    /// Decisions and stream positions: several handles (each its own
    /// database connections), partition `p` using handle `p % len`, so
    /// partitions write in parallel.
    pub logs: Vec<DecisionLog>,
    /// Group commits of the batches (one committer per log handle).
    pub committer: Committer,
    /// The consumer name positions are recorded under.
    pub consumer: String,
    /// Metrics.
    pub metrics: Arc<Metrics>,
}

/// A decodable transaction of the batch.
#[derive(Debug)]
pub(crate) struct Incoming {
    /// Its stream sequence.
    pub sequence: u64,
    /// When it was published, Unix nanoseconds (0 if unknown).
    pub published_ns: i128,
    /// The transaction.
    pub txn: Transaction,
}

/// What the caller publishes once the batch is committed.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Decisions to publish: `trans_num` and the JSON record.
    pub publish: Vec<(TransNum, Vec<u8>)>,
}

impl Core {
    /// The decision-log handle of `partition`.
    pub(crate) fn log(&self, partition: u16) -> &DecisionLog {
        &self.logs[usize::from(partition) % self.logs.len()]
    }
}

/// Processes one batch of `partition` (see the module documentation).
pub(crate) fn process(core: &Core, partition: u16, items: &[Incoming]) -> Result<Outcome> {
    let log = core.log(partition);
    fault::reached(FaultPoint::BeforeScoring);
    let started = Instant::now();

    let mut cards: Vec<CardToken> = Vec::new();
    let mut slot: CardMap<usize> = CardMap::default();
    for item in items {
        slot.entry(item.txn.card).or_insert_with(|| {
            cards.push(item.txn.card);
            cards.len() - 1
        });
    }
    let metrics = &core.metrics;
    let mut states = metrics.timed(Stage::RedisLoad, || core.store.load_many(&cards))?;

    let scoring = Instant::now();
    let mut fresh: Vec<LoggedDecision> = Vec::new();
    let mut published_at: Vec<i128> = Vec::new();
    let mut fresh_ids: HashSet<TransNum> = HashSet::new();
    // Transactions decided before (their card state holds them).
    let mut republish: Vec<TransNum> = Vec::new();
    for item in items {
        let txn = &item.txn;
        let state = &mut states[slot[&txn.card]].state;
        match core
            .engine
            .score_with_state(state, txn, false, Instant::now())?
        {
            Scored::Fresh(record) => {
                fresh_ids.insert(txn.trans_num);
                published_at.push(item.published_ns);
                // Encoded once: the same text goes to the log and the stream.
                fresh.push(LoggedDecision::encoded(*record, DecisionSource::Stream));
            }
            // The same transaction twice in this batch: one decision.
            Scored::Duplicate if fresh_ids.contains(&txn.trans_num) => {}
            Scored::Duplicate => republish.push(txn.trans_num),
        }
    }
    fault::reached(FaultPoint::AfterScoring);

    let mut outcome = Outcome::default();
    for logged in &fresh {
        let json = logged
            .record_json()
            .map_or_else(|| encode(&logged.record), |json| json.as_bytes().to_vec());
        outcome.publish.push((logged.record.trans_num, json));
    }
    let position = items
        .iter()
        .map(|i| i.sequence)
        .max()
        .map(|sequence| StreamPosition {
            consumer: core.consumer.clone(),
            partition,
            sequence,
        });
    metrics.stage(Stage::Score, scoring.elapsed().as_secs_f64());
    let fresh_count = fresh.len();
    let written = metrics.timed(Stage::Commit, || {
        core.committer.commit(partition, fresh, position)
    })?;
    let now = now_ns();
    for at in published_at.iter().filter(|&&at| at > 0) {
        core.metrics.end_to_end((now - at).max(0) as f64 / 1e9);
    }
    fault::reached(FaultPoint::AfterCommit);

    metrics.timed(Stage::RedisWrite, || -> Result<()> {
        let raced = core.store.store_many(&mut states)?;
        for card in raced {
            let mut apply = |state: &mut vigie_features::CardState| {
                for item in items.iter().filter(|i| i.txn.card == card) {
                    state.update(&item.txn);
                }
            };
            core.store.update(&card, &mut apply)?;
        }
        Ok(())
    })?;
    fault::reached(FaultPoint::AfterState);

    // Decisions logged before (redelivered after a crash, or logged by
    // another worker during a hand-over) are published as logged.
    republish.extend(written.existing.iter().copied());
    core.metrics.redelivered(partition, republish.len() as u64);
    if !republish.is_empty() {
        let started = Instant::now();
        outcome
            .publish
            .retain(|(t, _)| !written.existing.contains(t));
        let logged = log.get_many(&republish)?;
        for stored in logged.values() {
            outcome
                .publish
                .push((stored.record.trans_num, encode(&stored.record)));
        }
        let missing = republish.iter().filter(|t| !logged.contains_key(t)).count();
        if missing > 0 {
            // By construction impossible (states are written after the
            // commit); counted so it would show.
            tracing::warn!(
                partition,
                missing,
                "transactions already in their card states have no logged decision"
            );
            core.metrics.duplicates_without_decision(missing as u64);
        }
        metrics.stage(Stage::Republish, started.elapsed().as_secs_f64());
    }
    core.metrics
        .scored(partition, (fresh_count - written.existing.len()) as u64);
    core.metrics.batch_seconds(started.elapsed().as_secs_f64());
    Ok(outcome)
}

fn encode(record: &vigie_engine::DecisionRecord) -> Vec<u8> {
    serde_json::to_vec(record).unwrap_or_default()
}
