//! The JSON shapes of requests and answers (documented in
//! `openapi.json`; field names are part of the API).

use serde::{Deserialize, Serialize};
use vigie_engine::{Decision, DecisionRecord, ModelRef, Reason, RuleHit, ShadowScore};
use vigie_types::TransNum;

use crate::error::ErrorBody;
use crate::transaction::TransactionInput;

/// The answer for one scored transaction.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScoreResponse {
    /// The transaction.
    pub trans_num: TransNum,
    /// The champion's fraud probability.
    pub score: f64,
    /// `allow`, `review` or `block`.
    pub decision: Decision,
    /// The model that decided.
    pub model: ModelRef,
    /// The strongest reasons (for review/block decisions).
    pub reasons: Vec<Reason>,
    /// Every rule that fired.
    pub rules_fired: Vec<RuleHit>,
    /// Time the engine spent deciding, microseconds (the first time, for a
    /// replay).
    pub latency_us: u64,
    /// Decided without a dependency (e.g. the card's history).
    pub degraded: bool,
    /// True when this trans_num was decided before: this is that decision,
    /// and the card's history was not updated again.
    pub duplicate: bool,
    /// The challenger's shadow opinion, when a challenger is set.
    pub challenger: Option<ShadowScore>,
}

impl ScoreResponse {
    /// The answer for `record`.
    pub fn from_record(record: &DecisionRecord, duplicate: bool) -> Self {
        Self {
            trans_num: record.trans_num,
            score: record.score,
            decision: record.decision,
            model: record.model.clone(),
            reasons: record.reasons.clone(),
            rules_fired: record.rules_fired.clone(),
            latency_us: record.latency_us,
            degraded: record.degraded,
            duplicate,
            challenger: record.challenger.clone(),
        }
    }
}

/// `POST /v1/score/batch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The transactions, decided in this order.
    pub transactions: Vec<TransactionInput>,
}

/// One item of a batch answer: a decision, or the error for that item.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum BatchItem<'a> {
    /// Decided.
    Decided(ScoreResponse),
    /// Refused.
    Failed(ErrorBody<'a>),
}

/// `POST /v1/score/batch` answer.
#[derive(Debug, Serialize)]
pub struct BatchResponse<'a> {
    /// One item per transaction, in request order.
    pub results: Vec<BatchItem<'a>>,
}

/// `GET /v1/decisions/{trans_num}` answer.
#[derive(Debug, Serialize)]
pub struct DecisionView {
    /// The decision as logged.
    #[serde(flatten)]
    pub record: RecordView,
    /// `http` or `stream`; `pending` while not yet written.
    pub source: String,
    /// When it was written (Unix milliseconds), if it was.
    pub logged_at: Option<i64>,
    /// The confirmed label, if feedback was given (`fraud` or `legit`).
    pub label: Option<String>,
}

/// A logged decision without its feature vector.
#[derive(Debug, Serialize)]
pub struct RecordView {
    /// The transaction.
    pub trans_num: TransNum,
    /// Its card token (never the number).
    pub card: String,
    /// Event time.
    pub event_time: String,
    /// Amount, cents.
    pub amount_cents: i64,
    /// Champion score.
    pub score: f64,
    /// Decision.
    pub decision: Decision,
    /// Model that decided.
    pub model: ModelRef,
    /// Thresholds then in force.
    pub thresholds: vigie_engine::Thresholds,
    /// Reasons.
    pub reasons: Vec<Reason>,
    /// Rules fired.
    pub rules_fired: Vec<RuleHit>,
    /// Shadow score.
    pub challenger: Option<ShadowScore>,
    /// Degraded decision.
    pub degraded: bool,
    /// Engine latency, microseconds.
    pub latency_us: u64,
}

impl From<&DecisionRecord> for RecordView {
    fn from(r: &DecisionRecord) -> Self {
        Self {
            trans_num: r.trans_num,
            card: r.card.to_string(),
            event_time: r.event_time.to_string(),
            amount_cents: r.amount_cents,
            score: r.score,
            decision: r.decision,
            model: r.model.clone(),
            thresholds: r.thresholds,
            reasons: r.reasons.clone(),
            rules_fired: r.rules_fired.clone(),
            challenger: r.challenger.clone(),
            degraded: r.degraded,
            latency_us: r.latency_us,
        }
    }
}

/// The label of a feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackLabel {
    /// Confirmed fraud.
    Fraud,
    /// Confirmed legitimate.
    Legit,
}

/// `POST /v1/feedback`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// The transaction.
    pub trans_num: String,
    /// The confirmed label.
    pub label: FeedbackLabel,
    /// Where the label comes from (`chargeback`, `analyst`, ...).
    #[serde(default = "default_feedback_source")]
    pub source: String,
}

fn default_feedback_source() -> String {
    "analyst".into()
}

/// `PUT /v1/models/{name}/aliases/{alias}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasRequest {
    /// The version the alias should name.
    pub version: u64,
}

/// The models being served.
#[derive(Debug, Serialize)]
pub struct Serving {
    /// The champion.
    pub champion: ModelRef,
    /// The challenger, if any.
    pub challenger: Option<ModelRef>,
}
