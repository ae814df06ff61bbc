//! Writing decisions and stream positions: one transaction per batch.

use super::DecisionLog;
use super::rows::{INSERT_DECISION, insert_params};
use crate::error::{DecisionError, Result};
use crate::record::{LoggedDecision, StreamPosition, WriteOutcome};
use crate::store::values::Param;
use crate::time::UnixMillis;

/// Moves a consumer's position forward, never back.
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
        let logged_at = UnixMillis::now();
        let rows = batch
            .iter()
            .map(|d| insert_params(d, logged_at))
            .collect::<Result<Vec<_>>>()?;
        let position = position.map(position_params).transpose()?;
        let changed = self.writer().write_tx(|c| {
            let changed = c.execute_each(INSERT_DECISION, &rows)?;
            if let Some(params) = &position {
                c.execute(UPSERT_POSITION, params)?;
            }
            Ok(changed)
        })?;
        let mut outcome = WriteOutcome::default();
        for (logged, changed) in batch.iter().zip(changed) {
            let trans_num = logged.record.trans_num;
            if changed > 0 {
                outcome.inserted.push(trans_num);
            } else {
                outcome.existing.push(trans_num);
            }
        }
        Ok(outcome)
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
