//! Writing decisions and stream positions: one transaction per batch, or
//! per group of batches.

use super::DecisionLog;
use super::pg_write::{DecisionColumns, write_group};
use super::rows::{insert_decision_sql, insert_params};
use crate::error::{DecisionError, Result};
use crate::record::{LoggedDecision, StreamPosition, WriteOutcome};
use crate::store::conn::{BackendKind, Conn};
use crate::store::values::Param;
use crate::time::UnixMillis;

/// Moves a consumer's position forward, never back (SQLite; PostgreSQL:
/// `pg_write.rs`).
const UPSERT_POSITION: &str =
    "INSERT INTO stream_positions (consumer, partition, last_sequence, updated_at)
  VALUES ($1, $2, $3, $4)
  ON CONFLICT (consumer, partition) DO UPDATE SET
    last_sequence = CASE WHEN excluded.last_sequence > stream_positions.last_sequence
                         THEN excluded.last_sequence ELSE stream_positions.last_sequence END,
    updated_at = excluded.updated_at";

impl DecisionLog {
    /// Logs `batch` and, when given, moves `position` forward to
    /// `max(stored, position.sequence)`, all in ONE transaction: either every
    /// decision and the position are durable, or nothing is.
    ///
    /// Idempotent: a `trans_num` already logged (before, or earlier in the
    /// same batch) keeps its first decision and is reported in
    /// [`WriteOutcome::existing`].
    pub fn write_batch(
        &self,
        batch: &[LoggedDecision],
        position: Option<&StreamPosition>,
    ) -> Result<WriteOutcome> {
        let mut outcomes = self.write_batches(&[(batch, position)])?;
        Ok(outcomes.pop().unwrap_or_default())
    }

    /// [`Self::write_batch`] for several batches (typically several stream
    /// partitions' batches) in ONE transaction: one commit, hence one disk
    /// flush, for all of them. Either every batch's decisions and position
    /// are durable, or nothing is. Returns one outcome per batch, in order;
    /// a `trans_num` in two batches is inserted for the first.
    pub fn write_batches(
        &self,
        batches: &[(&[LoggedDecision], Option<&StreamPosition>)],
    ) -> Result<Vec<WriteOutcome>> {
        let logged_at = UnixMillis::now();
        let decisions = batches.iter().flat_map(|(batch, _)| batch.iter());
        let positions = batches
            .iter()
            .filter_map(|(_, position)| position.map(position_params))
            .collect::<Result<Vec<_>>>()?;
        let inserted = match self.shared.backend {
            // One statement: its own (implicit) transaction.
            BackendKind::Postgres => {
                let rows = batches.iter().map(|(batch, _)| batch.len()).sum();
                let columns = DecisionColumns::of(rows, decisions, logged_at)?;
                write_group(&mut self.writer(), columns, &positions)?
            }
            BackendKind::Sqlite => self.writer().write_tx(|c| {
                let rows = decisions
                    .map(|d| insert_params(d, logged_at))
                    .collect::<Result<Vec<_>>>()?;
                let inserted = insert_one_by_one(c, &rows)?;
                for params in &positions {
                    c.execute(UPSERT_POSITION, params)?;
                }
                Ok(inserted)
            })?,
        };
        // `inserted` has one flag per row, the rows being the batches' in order.
        let mut inserted = inserted.into_iter();
        Ok(batches
            .iter()
            .map(|(batch, _)| {
                let mut outcome = WriteOutcome::default();
                for (logged, inserted) in batch.iter().zip(inserted.by_ref()) {
                    let trans_num = logged.record.trans_num;
                    if inserted {
                        outcome.inserted.push(trans_num);
                    } else {
                        outcome.existing.push(trans_num);
                    }
                }
                outcome
            })
            .collect())
    }

    /// The last sequence logged for a consumer's partition.
    pub fn stream_position(&self, consumer: &str, partition: u16) -> Result<Option<u64>> {
        let row = self.reader().query_opt(
            "SELECT last_sequence FROM stream_positions WHERE consumer = $1 AND partition = $2",
            &[consumer.into(), i64::from(partition).into()],
        )?;
        row.map(|r| r.uint(0)).transpose()
    }
}

/// SQLite: one prepared single-row `INSERT` run per decision (no round trips
/// to save; SQLite looks every `$N` name up in a list while parsing, so a
/// 256-row statement parses ten times slower than 256 runs of one row).
/// Returns whether each row was inserted.
fn insert_one_by_one(c: &mut Conn, rows: &[Vec<Param>]) -> Result<Vec<bool>> {
    let changed = c.execute_each(&insert_decision_sql(), rows)?;
    Ok(changed.into_iter().map(|changed| changed > 0).collect())
}

fn position_params(position: &StreamPosition) -> Result<Vec<Param>> {
    super::rows::check_text("consumer", &position.consumer, 256, |c| !c.is_control())?;
    let sequence = i64::try_from(position.sequence).map_err(|_| DecisionError::Invalid {
        what: "stream sequence",
        value: position.sequence.to_string(),
        reason: "is larger than the database's 64-bit signed integers",
    })?;
    Ok(vec![
        position.consumer.as_str().into(),
        i64::from(position.partition).into(),
        sequence.into(),
        UnixMillis::now().0.into(),
    ])
}
