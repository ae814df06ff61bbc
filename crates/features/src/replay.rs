//! The batch path: transactions replayed in event-time order through the
//! same `extract` / `update` as the online path.
//!
//! Input arrives in batches in roughly time order. A reorder buffer holds
//! transactions until the input has moved `max_lateness_secs` past them,
//! then releases them sorted by `(event_time, trans_num)`, which makes the
//! order deterministic even for same-second ties. A transaction that arrives
//! after later ones were already released is an error
//! ([`FeatureError::OutOfOrder`]), never a silently different history.
//!
//! Cards are independent, so released blocks are split by card over
//! `threads` shards, each with its own card states; results are put back in
//! block order. Memory is the card states (bounded per card) plus the reorder
//! buffer (the transactions of `max_lateness_secs`), not the input size.

use vigie_types::{CardMap, CardToken, LabeledTransaction, Timestamp, TransNum};

use crate::error::{FeatureError, Result};
use crate::extract::extract;
use crate::state::CardState;
use crate::vector::FeatureVector;

/// How to replay.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Shards (threads) the cards are split over; at least 1.
    pub threads: usize,
    /// How far out of time order the input may be, in seconds.
    pub max_lateness_secs: i64,
    /// Transactions buffered before a release is attempted (larger blocks
    /// amortise sorting and thread start-up).
    pub release_rows: usize,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(2, usize::from),
            max_lateness_secs: 86_400,
            release_rows: 1 << 15,
        }
    }
}

/// A transaction and its features.
#[derive(Debug, Clone)]
pub struct FeatureRow {
    /// The transaction, with its label if known (the features never saw it).
    pub txn: LabeledTransaction,
    /// Its features.
    pub features: FeatureVector,
}

/// Counts over a replay.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ReplaySummary {
    /// Transactions replayed.
    pub rows: u64,
    /// Distinct cards.
    pub cards: u64,
    /// Transactions that arrived before an earlier-timed one and were put
    /// back in order by the reorder buffer.
    pub reordered: u64,
    /// Earliest event time.
    pub first_event: Option<Timestamp>,
    /// Latest event time.
    pub last_event: Option<Timestamp>,
}

type Shard = CardMap<CardState>;

/// Replays transactions; see the module documentation.
pub struct Replayer {
    options: ReplayOptions,
    pending: Vec<LabeledTransaction>,
    shards: Vec<Shard>,
    released_upto: Option<(Timestamp, TransNum)>,
    max_seen: Option<Timestamp>,
    last_pushed: Option<Timestamp>,
    summary: ReplaySummary,
    /// The block being released, kept to reuse its allocation.
    block: Vec<LabeledTransaction>,
    /// Emptied row vectors handed back by the sink's consumer
    /// ([`Replayer::recycle`]): filling them again touches memory that is
    /// already mapped, where fresh vectors of this size are page-faulted in.
    spare_rows: Vec<Vec<FeatureRow>>,
}

fn key(t: &LabeledTransaction) -> (Timestamp, TransNum) {
    (t.txn.event_time, t.txn.trans_num)
}

fn shard_of(card: &CardToken, shards: usize) -> usize {
    usize::from(card.digest()[1]) % shards
}

impl Replayer {
    /// A replayer with no history.
    pub fn new(options: ReplayOptions) -> Self {
        let threads = options.threads.max(1);
        Self {
            options: ReplayOptions { threads, ..options },
            pending: Vec::new(),
            shards: (0..threads).map(|_| Shard::default()).collect(),
            released_upto: None,
            max_seen: None,
            last_pushed: None,
            summary: ReplaySummary::default(),
            block: Vec::new(),
            spare_rows: Vec::new(),
        }
    }

    /// Hands back a row vector the sink is done with, for the next release
    /// to fill (optional: without it every release allocates).
    pub fn recycle(&mut self, mut rows: Vec<FeatureRow>) {
        rows.clear();
        if self.spare_rows.len() < 4 {
            self.spare_rows.push(rows);
        }
    }

    /// A replayer that continues from known card states (e.g. the states at
    /// the end of the training period, so test-period features carry the
    /// cards' history as a warmed scorer would).
    pub fn with_states(
        options: ReplayOptions,
        states: impl IntoIterator<Item = (CardToken, CardState)>,
    ) -> Self {
        let mut replayer = Self::new(options);
        let n = replayer.shards.len();
        for (card, state) in states {
            replayer.shards[shard_of(&card, n)].insert(card, state);
        }
        replayer
    }

    /// Adds input transactions; calls `sink` with released rows, in order.
    pub fn push(
        &mut self,
        batch: impl IntoIterator<Item = LabeledTransaction>,
        sink: &mut dyn FnMut(Vec<FeatureRow>) -> Result<()>,
    ) -> Result<()> {
        for t in batch {
            let time = t.txn.event_time;
            if let Some(upto) = self.released_upto
                && key(&t) <= upto
            {
                return Err(FeatureError::OutOfOrder {
                    trans_num: t.txn.trans_num.to_string(),
                    event_time: time,
                    emitted_upto: upto.0,
                    max_lateness_secs: self.options.max_lateness_secs,
                });
            }
            if self.last_pushed.is_some_and(|last| time < last) {
                self.summary.reordered += 1;
            }
            self.last_pushed = Some(time);
            self.max_seen = Some(self.max_seen.map_or(time, |m| m.max(time)));
            self.pending.push(t);
        }
        if self.pending.len() >= self.options.release_rows {
            self.release(false, sink)?;
        }
        Ok(())
    }

    /// Releases everything left and returns the counts and the final card
    /// states (to warm an online store).
    pub fn finish(
        mut self,
        sink: &mut dyn FnMut(Vec<FeatureRow>) -> Result<()>,
    ) -> Result<(ReplaySummary, Vec<(CardToken, CardState)>)> {
        self.release(true, sink)?;
        let states: Vec<_> = self.shards.into_iter().flatten().collect();
        self.summary.cards = states.len() as u64;
        Ok((self.summary, states))
    }

    fn release(
        &mut self,
        everything: bool,
        sink: &mut dyn FnMut(Vec<FeatureRow>) -> Result<()>,
    ) -> Result<()> {
        let Some(max_seen) = self.max_seen else {
            return Ok(());
        };
        self.pending.sort_unstable_by_key(key);
        let ready = if everything {
            self.pending.len()
        } else {
            let watermark = max_seen.add_seconds(-self.options.max_lateness_secs);
            self.pending
                .partition_point(|t| t.txn.event_time < watermark)
        };
        if ready == 0 {
            return Ok(());
        }
        // Drained rather than split off: both vectors keep their capacity.
        let mut block = std::mem::take(&mut self.block);
        block.extend(self.pending.drain(..ready));
        self.released_upto = block.last().map(key);
        if self.summary.first_event.is_none() {
            self.summary.first_event = block.first().map(|t| t.txn.event_time);
        }
        self.summary.last_event = self.released_upto.map(|k| k.0);
        self.summary.rows += block.len() as u64;
        let features = self.compute(&block);
        let mut rows = self.spare_rows.pop().unwrap_or_default();
        rows.reserve(block.len());
        rows.extend(
            block
                .drain(..)
                .zip(features)
                .map(|(txn, features)| FeatureRow { txn, features }),
        );
        self.block = block;
        sink(rows)
    }

    /// Features of a sorted block: each shard walks its own cards' rows in
    /// block order; the results are merged back in block order.
    fn compute(&mut self, block: &[LabeledTransaction]) -> Vec<FeatureVector> {
        let n_shards = self.shards.len();
        if n_shards == 1 {
            return run_shard(&mut self.shards[0], block, |_| true);
        }
        let owners: Vec<u8> = block
            .iter()
            .map(|t| shard_of(&t.txn.card, n_shards) as u8)
            .collect();
        let per_shard: Vec<Vec<FeatureVector>> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .shards
                .iter_mut()
                .enumerate()
                .map(|(s, shard)| {
                    let owners = &owners;
                    scope.spawn(move || {
                        let mut row = 0;
                        run_shard(shard, block, |_| {
                            let mine = usize::from(owners[row]) == s;
                            row += 1;
                            mine
                        })
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        let mut out = vec![FeatureVector::default(); block.len()];
        for (s, vectors) in per_shard.into_iter().enumerate() {
            let rows = (0..block.len()).filter(|&i| usize::from(owners[i]) == s);
            for (i, v) in rows.zip(vectors) {
                out[i] = v;
            }
        }
        out
    }
}

/// Features-then-update for the rows of `block` that `mine` selects (called
/// once per row, in order).
fn run_shard(
    shard: &mut Shard,
    block: &[LabeledTransaction],
    mut mine: impl FnMut(&LabeledTransaction) -> bool,
) -> Vec<FeatureVector> {
    let mut out = Vec::new();
    for t in block {
        if !mine(t) {
            continue;
        }
        let state = shard.entry(t.txn.card).or_default();
        // A trans_num already applied to this card (an id reused by the
        // source, kept with --keep-id-conflicts) still gets a row.
        out.push(match state.observe(&t.txn) {
            Some(features) => features,
            None => extract(state, &t.txn),
        });
    }
    out
}
