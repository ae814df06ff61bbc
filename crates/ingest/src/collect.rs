//! The collector: puts chunk results back in file order and applies the
//! checks that need the whole file (duplicate ids, order), on the caller's
//! thread. Per-record work is done by the parsing threads; what is left here
//! is one map lookup and a few counters per record.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, SyncSender};

use vigie_types::{Label, LabeledTransaction, Timestamp, TokenCache, Tokenizer, TransNum};

use crate::error::Result;
use crate::id_index::IdIndex;
use crate::reader::{Batch, ChunkResult, ReadSummary, Rejection, RowCheck};
use crate::record::{Problem, Repairs, redact_record};

pub(crate) struct Collector {
    next_seq: u64,
    pending: BTreeMap<u64, ChunkResult>,
    /// `trans_num` -> content fingerprint of the first record that used it.
    seen: IdIndex,
    keep_id_conflicts: bool,
    next_line: u64,
    last_event: Option<Timestamp>,
    /// Tokenises the card numbers of records quarantined here.
    tokens: TokenCache,
    /// Where chunk buffers go once absorbed (back to the reader).
    spare_buffers: Option<SyncSender<Vec<u8>>>,
}

impl Collector {
    pub(crate) fn new(
        tokenizer: Tokenizer,
        first_line: u64,
        expected_rows: usize,
        keep_id_conflicts: bool,
    ) -> Self {
        Self {
            next_seq: 0,
            pending: BTreeMap::new(),
            seen: IdIndex::with_capacity(expected_rows.min(1 << 26)),
            keep_id_conflicts,
            next_line: first_line,
            last_event: None,
            tokens: TokenCache::new(tokenizer),
            spare_buffers: None,
        }
    }

    /// Sends each chunk's buffer to `spare` once absorbed, for the reader
    /// to fill again (dropped when `spare` is full or closed).
    pub(crate) fn returning_buffers(mut self, spare: SyncSender<Vec<u8>>) -> Self {
        self.spare_buffers = Some(spare);
        self
    }

    pub(crate) fn run(
        &mut self,
        rx: &Receiver<ChunkResult>,
        summary: &mut ReadSummary,
        sink: &mut dyn FnMut(Batch) -> Result<()>,
    ) -> Result<()> {
        for result in rx {
            self.pending.insert(result.seq, result);
            while let Some(ready) = self.pending.remove(&self.next_seq) {
                self.next_seq += 1;
                let batch = self.absorb(ready, summary);
                sink(batch)?;
            }
        }
        Ok(())
    }

    fn absorb(&mut self, chunk: ChunkResult, summary: &mut ReadSummary) -> Batch {
        let ChunkResult {
            data,
            newlines,
            mut accepted,
            checks,
            mut rejected,
            ..
        } = chunk;
        let offset = self.next_line - 1;
        self.next_line += newlines;
        summary.rows_read += (accepted.len() + rejected.len()) as u64;
        let rejected_by_parser = rejected.len();

        // Each insert first loads the slot of the row LOOKAHEAD rows on: those
        // loads do not wait on each other, so the CPU overlaps their cache
        // misses, and the row's own slot is usually in cache by its turn.
        const LOOKAHEAD: usize = 16;
        let mut touched = 0;
        for row in accepted.iter().take(LOOKAHEAD) {
            touched ^= self.seen.touch(id_key(row.txn.txn.trans_num));
        }
        let mut keep = vec![true; accepted.len()];
        for (i, (row, check)) in accepted.iter().zip(&checks).enumerate() {
            if let Some(ahead) = accepted.get(i + LOOKAHEAD) {
                touched ^= self.seen.touch(id_key(ahead.txn.txn.trans_num));
            }
            match self.check_unique(row.txn.txn.trans_num, check.fingerprint, summary) {
                Ok(()) => self.count_accepted(&row.txn, check, summary),
                Err(problem) => {
                    keep[i] = false;
                    let raw = &data[check.start as usize..check.end as usize];
                    rejected.push(Rejection {
                        line: row.line,
                        problem,
                        record: redact_record(raw, &mut self.tokens),
                    });
                }
            }
        }
        std::hint::black_box(touched);
        if rejected.len() > rejected_by_parser {
            let mut flags = keep.iter();
            accepted.retain(|_| flags.next().copied().unwrap_or(true));
            rejected.sort_by_key(|r| r.line);
        }
        for row in &mut accepted {
            row.line += offset;
        }
        for r in &mut rejected {
            r.line += offset;
            summary.rejected += 1;
            // Looked up before inserting: most refusals share a reason, and
            // `entry` would clone the reason for every one.
            match summary.rejected_by_reason.get_mut(&r.problem.reason) {
                Some(count) => *count += 1,
                None => {
                    summary
                        .rejected_by_reason
                        .insert(r.problem.reason.clone(), 1);
                }
            }
        }
        if let Some(spare) = &self.spare_buffers {
            let _ = spare.try_send(data);
        }
        Batch { accepted, rejected }
    }

    /// Checks a record's `trans_num` against the earlier ones.
    fn check_unique(
        &mut self,
        id: TransNum,
        fingerprint: u64,
        summary: &mut ReadSummary,
    ) -> Result<(), Problem> {
        let Some(first) = self.seen.insert(id_key(id), fingerprint) else {
            return Ok(());
        };
        if IdIndex::same(first, fingerprint) {
            summary.duplicates += 1;
            return Err(Problem::record(
                "duplicate_trans_num",
                format!("the same transaction {id} already appeared earlier in the file"),
            ));
        }
        summary.id_conflicts += 1;
        if self.keep_id_conflicts {
            return Ok(());
        }
        Err(Problem::record(
            "trans_num_conflict",
            format!(
                "trans_num {id} was already used by a different transaction earlier in the file (keep both with --keep-id-conflicts)"
            ),
        ))
    }

    fn count_accepted(
        &mut self,
        txn: &LabeledTransaction,
        check: &RowCheck,
        summary: &mut ReadSummary,
    ) {
        summary.accepted += 1;
        let t = txn.txn.event_time;
        if self.last_event.is_some_and(|last| t < last) {
            summary.out_of_order += 1;
        }
        self.last_event = Some(t);
        summary.first_event = Some(summary.first_event.map_or(t, |f| f.min(t)));
        summary.last_event = Some(summary.last_event.map_or(t, |l| l.max(t)));
        if txn.label == Some(Label::Fraud) {
            summary.frauds += 1;
        }
        let Repairs {
            amount_float_noise,
            unwrapped_line,
            short_record,
        } = check.repairs;
        for (applied, name) in [
            (amount_float_noise, "amount_float_noise"),
            (unwrapped_line, "unwrapped_quoted_line"),
            (short_record, "missing_trailing_unknown_columns"),
        ] {
            if applied {
                *summary.repaired.entry(name.into()).or_default() += 1;
            }
        }
    }
}

/// A `trans_num` as the index's key.
fn id_key(id: TransNum) -> [u64; 2] {
    let value = id.as_u128();
    [(value >> 64) as u64, value as u64]
}
