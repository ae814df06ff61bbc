//! Labels given after the fact (chargebacks, analysts): the current label in
//! `feedback`, every label ever given in `feedback_history`.

use super::DecisionLog;
use super::rows::{check_actor, check_source, label_from_int};
use crate::error::{DecisionError, Result};
use crate::record::{Feedback, FeedbackOutcome};

impl DecisionLog {
    /// Records a label for a logged transaction, in one transaction: the
    /// history row and the new current label. A transaction without a
    /// logged decision is refused with [`DecisionError::UnknownTransaction`].
    pub fn record_feedback(&self, feedback: &Feedback) -> Result<FeedbackOutcome> {
        check_source(&feedback.source)?;
        check_actor(&feedback.actor)?;
        let id = feedback.trans_num.to_string();
        let label = i64::from(feedback.label.as_u8());
        self.writer().write_tx(|c| {
            let known = c.query_opt(
                "SELECT 1 FROM decisions WHERE trans_num = $1",
                &[id.as_str().into()],
            )?;
            if known.is_none() {
                return Err(DecisionError::UnknownTransaction {
                    trans_num: feedback.trans_num,
                });
            }
            let previous = c
                .query_opt(
                    "SELECT label FROM feedback WHERE trans_num = $1",
                    &[id.as_str().into()],
                )?
                .map(|row| row.int(0).and_then(label_from_int))
                .transpose()?;
            let params = [
                id.as_str().into(),
                label.into(),
                feedback.source.as_str().into(),
                feedback.actor.as_str().into(),
                feedback.noted_at.0.into(),
            ];
            c.execute(
                "INSERT INTO feedback_history (trans_num, label, source, actor, noted_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &params,
            )?;
            c.execute(
                "INSERT INTO feedback (trans_num, label, source, actor, noted_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (trans_num) DO UPDATE SET label = excluded.label,
                   source = excluded.source, actor = excluded.actor, noted_at = excluded.noted_at",
                &params,
            )?;
            Ok(FeedbackOutcome {
                previous,
                changed: previous != Some(feedback.label),
            })
        })
    }

    /// Every label given to a transaction, oldest first.
    pub fn feedback_history(&self, trans_num: &vigie_types::TransNum) -> Result<Vec<Feedback>> {
        let rows = self.reader().query(
            "SELECT label, source, actor, noted_at FROM feedback_history
              WHERE trans_num = $1 ORDER BY id",
            &[trans_num.to_string().into()],
        )?;
        rows.iter()
            .map(|row| {
                Ok(Feedback {
                    trans_num: *trans_num,
                    label: label_from_int(row.int(0)?)?,
                    source: row.text(1)?,
                    actor: row.text(2)?,
                    noted_at: crate::time::UnixMillis(row.int(3)?),
                })
            })
            .collect()
    }
}
