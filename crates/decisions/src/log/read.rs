//! Reading the log back: by transaction, recent decisions, counts and
//! labelled decisions.

use std::collections::{BTreeMap, HashMap, HashSet};

use vigie_engine::Decision;
use vigie_types::TransNum;

use super::DecisionLog;
use super::rows::{
    IN_CHUNK, STORED_COLUMNS, STORED_FROM, label_from_int, placeholders, stored_decision, trans_num,
};
use crate::error::{DecisionError, Result};
use crate::record::{DecisionFilter, LabelledDecision, StoredDecision};
use crate::store::values::Param;
use crate::time::UnixMillis;

impl DecisionLog {
    /// The decision logged for a transaction, with its current label.
    pub fn get(&self, trans_num: &TransNum) -> Result<Option<StoredDecision>> {
        let sql = format!("SELECT {STORED_COLUMNS} FROM {STORED_FROM} WHERE d.trans_num = $1");
        let row = self
            .reader()
            .query_opt(&sql, &[trans_num.to_string().into()])?;
        row.as_ref().map(stored_decision).transpose()
    }

    /// The decisions logged for any of these transactions (one query per
    /// 500 ids); unknown ones are absent from the map.
    pub fn get_many(&self, trans_nums: &[TransNum]) -> Result<HashMap<TransNum, StoredDecision>> {
        let mut found = HashMap::with_capacity(trans_nums.len());
        let mut conn = self.reader();
        for chunk in trans_nums.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT {STORED_COLUMNS} FROM {STORED_FROM} WHERE d.trans_num IN ({})",
                placeholders(1, chunk.len())
            );
            for row in conn.query(&sql, &id_params(chunk))? {
                let stored = stored_decision(&row)?;
                found.insert(stored.record.trans_num, stored);
            }
        }
        Ok(found)
    }

    /// Every logged `trans_num` (for an in-memory membership filter built
    /// at start-up; 10 million decisions are 10 million short rows).
    pub fn all_trans_nums(&self) -> Result<Vec<TransNum>> {
        let rows = self
            .reader()
            .query("SELECT trans_num FROM decisions", &[])?;
        rows.iter().map(|row| trans_num(&row.text(0)?)).collect()
    }

    /// Which of these transactions have a logged decision.
    pub fn contains_many(&self, trans_nums: &[TransNum]) -> Result<HashSet<TransNum>> {
        let mut found = HashSet::with_capacity(trans_nums.len());
        let mut conn = self.reader();
        for chunk in trans_nums.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT trans_num FROM decisions WHERE trans_num IN ({})",
                placeholders(1, chunk.len())
            );
            for row in conn.query(&sql, &id_params(chunk))? {
                found.insert(trans_num(&row.text(0)?)?);
            }
        }
        Ok(found)
    }

    /// Decisions matching `filter`, newest first.
    pub fn recent(&self, filter: &DecisionFilter) -> Result<Vec<StoredDecision>> {
        let mut conditions = Vec::new();
        let mut params: Vec<Param> = Vec::new();
        if let Some(card) = &filter.card {
            params.push(card.to_string().into());
            conditions.push(format!("d.card_token = ${}", params.len()));
        }
        if let Some(decision) = filter.decision {
            params.push(decision.as_str().into());
            conditions.push(format!("d.decision = ${}", params.len()));
        }
        if let Some(since) = filter.since {
            params.push(since.0.into());
            conditions.push(format!("d.logged_at >= ${}", params.len()));
        }
        let limit = filter.limit.min(DecisionFilter::MAX_LIMIT);
        params.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        let where_clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {STORED_COLUMNS} FROM {STORED_FROM} {where_clause} ORDER BY d.id DESC LIMIT ${}",
            params.len()
        );
        let rows = self.reader().query(&sql, &params)?;
        rows.iter().map(stored_decision).collect()
    }

    /// How many decisions are logged.
    pub fn count(&self) -> Result<u64> {
        let row = self
            .reader()
            .query_opt("SELECT COUNT(*) FROM decisions", &[])?;
        row.map_or(Ok(0), |r| r.uint(0))
    }

    /// How many decisions of each kind are logged (kinds never given are absent).
    pub fn counts_by_decision(&self) -> Result<BTreeMap<Decision, u64>> {
        let rows = self.reader().query(
            "SELECT decision, COUNT(*) FROM decisions GROUP BY decision",
            &[],
        )?;
        rows.iter()
            .map(|row| {
                let text = row.text(0)?;
                let decision = Decision::parse(&text)
                    .ok_or_else(|| DecisionError::corrupt(format!("decision {text:?}")))?;
                Ok((decision, row.uint(1)?))
            })
            .collect()
    }

    /// Labelled decisions logged at or after `since`, oldest first, at most
    /// `limit`: (score, decision, label) for delayed-label monitoring.
    pub fn labelled_since(&self, since: UnixMillis, limit: usize) -> Result<Vec<LabelledDecision>> {
        let rows = self.reader().query(
            "SELECT d.trans_num, d.score, d.decision, f.label, d.logged_at
               FROM decisions d JOIN feedback f ON f.trans_num = d.trans_num
              WHERE d.logged_at >= $1 ORDER BY d.id LIMIT $2",
            &[
                since.0.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ],
        )?;
        rows.iter()
            .map(|row| {
                let text = row.text(2)?;
                Ok(LabelledDecision {
                    trans_num: trans_num(&row.text(0)?)?,
                    score: row.real(1)?,
                    decision: Decision::parse(&text)
                        .ok_or_else(|| DecisionError::corrupt(format!("decision {text:?}")))?,
                    label: label_from_int(row.int(3)?)?,
                    logged_at: UnixMillis(row.int(4)?),
                })
            })
            .collect()
    }
}

fn id_params(ids: &[TransNum]) -> Vec<Param> {
    ids.iter().map(|t| t.to_string().into()).collect()
}
