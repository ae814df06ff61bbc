//! Between Rust values and table rows: the `decisions` columns, reading a
//! stored decision back, checked text values and `IN (...)` lists.

use vigie_engine::DecisionRecord;
use vigie_types::{Label, TransNum};

use crate::error::{DecisionError, Result};
use crate::record::{DecisionSource, Feedback, LoggedDecision, StoredDecision};
use crate::store::values::{Param, Row, saturating_i64};
use crate::time::UnixMillis;

/// The columns of a decision row, in [`insert_params`] order.
pub(super) const DECISION_COLUMNS: &str =
    "trans_num, card_token, event_time, amount_cents, model_name,
    model_version, feature_schema_hash, score, review_threshold, block_threshold, decision,
    reason_codes, rules_fired, challenger_model, challenger_version, challenger_score,
    challenger_decision, degraded, latency_us, source, logged_at, record";

/// Parameters per decision row.
pub(super) const DECISION_PARAMS: usize = 22;

/// Inserts one decision, keeping the first decision of a known `trans_num`.
pub(super) fn insert_decision_sql() -> String {
    format!(
        "INSERT INTO decisions ({DECISION_COLUMNS}) VALUES ({}) \
         ON CONFLICT (trans_num) DO NOTHING",
        placeholders(1, DECISION_PARAMS)
    )
}

/// The columns [`stored_decision`] reads, `d` being `decisions` and `f` the
/// left-joined `feedback`.
pub(super) const STORED_COLUMNS: &str =
    "d.record, d.source, d.logged_at, f.label, f.source, f.actor, f.noted_at";

/// `decisions d LEFT JOIN feedback f` on the transaction.
pub(super) const STORED_FROM: &str =
    "decisions d LEFT JOIN feedback f ON f.trans_num = d.trans_num";

/// Where [`write_row`] puts a decision row's values, in column order: a
/// parameter list (one row, SQLite) or one array per column (a group,
/// PostgreSQL: `pg_write.rs`).
pub(super) trait RowSink {
    /// An integer column.
    fn int(&mut self, value: Option<i64>);
    /// A float column.
    fn real(&mut self, value: Option<f64>);
    /// A text column.
    fn text(&mut self, value: Option<&str>);
    /// A text column holding `value`'s display form.
    fn display(&mut self, value: &dyn std::fmt::Display);
    /// A text column holding `value` as JSON.
    fn json<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<()>;
}

/// Writes one decision's row: the values of [`DECISION_COLUMNS`], in
/// order, checked (scores must be finite). The one place that knows which
/// value goes in which column.
pub(super) fn write_row(
    logged: &LoggedDecision,
    logged_at: UnixMillis,
    row: &mut impl RowSink,
) -> Result<()> {
    let r = &logged.record;
    let challenger = r.challenger.as_ref();
    // Checked before anything is written, so a refused row writes nothing.
    let score = finite(r.score, "score")?;
    let review = finite(r.thresholds.review, "review threshold")?;
    let block = finite(r.thresholds.block, "block threshold")?;
    let challenger_score = challenger
        .map(|c| finite(c.score, "challenger score"))
        .transpose()?;
    let reason_codes: Vec<&str> = r.reasons.iter().map(|x| x.code.as_str()).collect();
    let rules_fired: Vec<&str> = r.rules_fired.iter().map(|x| x.code.as_str()).collect();
    row.display(&r.trans_num);
    row.display(&r.card);
    row.int(Some(r.event_time.seconds()));
    row.int(Some(r.amount_cents));
    row.text(Some(&r.model.name));
    row.int(Some(i64::from(r.model.version)));
    row.text(Some(&r.feature_schema_hash));
    row.real(Some(score));
    row.real(Some(review));
    row.real(Some(block));
    row.text(Some(r.decision.as_str()));
    row.json(&reason_codes)?;
    row.json(&rules_fired)?;
    row.text(challenger.map(|c| c.model.name.as_str()));
    row.int(challenger.map(|c| i64::from(c.model.version)));
    row.real(challenger_score);
    row.text(challenger.map(|c| c.decision.as_str()));
    row.int(Some(i64::from(r.degraded)));
    row.int(Some(saturating_i64(r.latency_us)));
    row.text(Some(logged.source.as_str()));
    row.int(Some(logged_at.0));
    match logged.record_json() {
        Some(json) => row.text(Some(json)),
        None => row.json(r)?,
    }
    Ok(())
}

/// The parameters of [`insert_decision_sql`] for one decision.
pub(super) fn insert_params(logged: &LoggedDecision, logged_at: UnixMillis) -> Result<Vec<Param>> {
    struct Params(Vec<Param>);
    impl RowSink for Params {
        fn int(&mut self, value: Option<i64>) {
            self.0.push(Param::Int(value));
        }
        fn real(&mut self, value: Option<f64>) {
            self.0.push(Param::Real(value));
        }
        fn text(&mut self, value: Option<&str>) {
            self.0.push(value.into());
        }
        fn display(&mut self, value: &dyn std::fmt::Display) {
            self.0.push(value.to_string().into());
        }
        fn json<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
            self.0.push(to_json(value)?.into());
            Ok(())
        }
    }
    let mut params = Params(Vec::with_capacity(DECISION_PARAMS));
    write_row(logged, logged_at, &mut params)?;
    Ok(params.0)
}

/// A score must be a number: SQLite would store NaN as NULL.
fn finite(value: f64, what: &'static str) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(DecisionError::Invalid {
            what,
            value: value.to_string(),
            reason: "must be a finite number",
        })
    }
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(json_error)
}

/// A record that JSON cannot encode.
pub(super) fn json_error(e: serde_json::Error) -> DecisionError {
    DecisionError::Invalid {
        what: "decision record",
        value: String::new(),
        reason: if e.is_data() {
            "cannot be serialised"
        } else {
            "serialisation failed"
        },
    }
}

/// Reads a row of [`STORED_COLUMNS`].
pub(super) fn stored_decision(row: &Row) -> Result<StoredDecision> {
    let record: DecisionRecord = serde_json::from_str(&row.text(0)?)
        .map_err(|e| DecisionError::corrupt(format!("decision record: {e}")))?;
    let source_text = row.text(1)?;
    let source = DecisionSource::parse(&source_text)
        .ok_or_else(|| DecisionError::corrupt(format!("decision source {source_text:?}")))?;
    let label = match row.opt_int(3)? {
        None => None,
        Some(label) => Some(Feedback {
            trans_num: record.trans_num,
            label: label_from_int(label)?,
            source: row.text(4)?,
            actor: row.text(5)?,
            noted_at: UnixMillis(row.int(6)?),
        }),
    };
    Ok(StoredDecision {
        logged_at: UnixMillis(row.int(2)?),
        source,
        label,
        record,
    })
}

/// A stored 0/1 label.
pub(super) fn label_from_int(value: i64) -> Result<Label> {
    match value {
        0 => Ok(Label::Legit),
        1 => Ok(Label::Fraud),
        other => Err(DecisionError::corrupt(format!("label {other}"))),
    }
}

/// A stored transaction id.
pub(super) fn trans_num(text: &str) -> Result<TransNum> {
    text.parse()
        .map_err(|_| DecisionError::corrupt(format!("trans_num {text:?}")))
}

/// `$first, $first+1, ...` for `count` parameters.
pub(super) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many ids one `IN (...)` query carries (well under SQLite's 32766
/// and PostgreSQL's 65535 parameter limits).
pub(super) const IN_CHUNK: usize = 500;

/// Checks an actor name: 1 to 128 characters, no control characters.
pub(crate) fn check_actor(actor: &str) -> Result<()> {
    check_text("actor", actor, 128, |c| !c.is_control())
}

/// Checks a label source: 1 to 64 of `a-z 0-9 _ -`.
pub(super) fn check_source(source: &str) -> Result<()> {
    check_text("feedback source", source, 64, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
    })
}

/// Checks a text value's length and characters.
pub(crate) fn check_text(
    what: &'static str,
    value: &str,
    max_chars: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<()> {
    let invalid = |reason| {
        Err(DecisionError::Invalid {
            what,
            value: value.chars().take(max_chars).collect(),
            reason,
        })
    };
    if value.is_empty() {
        return invalid("must not be empty");
    }
    if value.chars().count() > max_chars {
        return invalid("is too long");
    }
    if !value.chars().all(allowed) {
        return invalid("has characters that are not allowed");
    }
    Ok(())
}
