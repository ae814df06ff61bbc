//! What goes into the log and what comes back out of it.

use serde::{Deserialize, Serialize};
use vigie_engine::{Decision, DecisionRecord};
use vigie_types::{CardToken, Label, TransNum};

use crate::time::UnixMillis;

/// Which path decided a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionSource {
    /// The HTTP scoring service.
    Http,
    /// The stream worker.
    Stream,
}

impl DecisionSource {
    /// `http` or `stream`, as stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Stream => "stream",
        }
    }

    /// Parses `http` or `stream`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "http" => Some(Self::Http),
            "stream" => Some(Self::Stream),
            _ => None,
        }
    }
}

/// A decision to log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoggedDecision {
    /// Everything the engine decided.
    pub record: DecisionRecord,
    /// Where it was decided.
    pub source: DecisionSource,
    /// `record` as JSON (`serde_json::to_string`), when made with
    /// [`Self::encoded`]: the stream worker encodes each record once, for the
    /// log's `record` column and for the decisions stream (encoding was a
    /// fifth of the worker's CPU when done twice). `None`: the log encodes
    /// it. Private, so it always matches `record`.
    #[serde(skip)]
    record_json: Option<String>,
}

/// Room reserved for a record's JSON (most are 0.8-1 KB).
const RECORD_JSON_CAPACITY: usize = 1280;

impl LoggedDecision {
    /// A decision to log; the log encodes the record.
    pub fn new(record: DecisionRecord, source: DecisionSource) -> Self {
        Self {
            record,
            source,
            record_json: None,
        }
    }

    /// A decision to log with its record already encoded, as JSON (see
    /// [`Self::record_json`]). Build it last: the text is taken now, so a
    /// later change to `record` would not be in what the log stores.
    pub fn encoded(record: DecisionRecord, source: DecisionSource) -> Self {
        // A record is 0.8-1 KB: one allocation instead of growing from 128
        // bytes through four reallocations.
        let mut json = Vec::with_capacity(RECORD_JSON_CAPACITY);
        let record_json = serde_json::to_writer(&mut json, &record)
            .ok()
            .and_then(|()| String::from_utf8(json).ok());
        Self {
            record,
            source,
            record_json,
        }
    }

    /// The record as JSON, when this decision was made with
    /// [`Self::encoded`] (and the encoding succeeded).
    pub fn record_json(&self) -> Option<&str> {
        self.record_json.as_deref()
    }
}

/// Equal when the decisions are (the cached encoding is not compared).
impl PartialEq for LoggedDecision {
    fn eq(&self, other: &Self) -> bool {
        self.record == other.record && self.source == other.source
    }
}

/// How far a stream consumer has durably processed one partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StreamPosition {
    /// The consumer's durable name.
    pub consumer: String,
    /// The partition.
    pub partition: u16,
    /// The last stream sequence whose decision is logged.
    pub sequence: u64,
}

/// What [`crate::DecisionLog::write_batch`] did with each decision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    /// Decisions written now, in batch order.
    pub inserted: Vec<TransNum>,
    /// Decisions whose `trans_num` was already logged (the first decision is
    /// kept), in batch order.
    pub existing: Vec<TransNum>,
}

/// A label given to a transaction after the fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    /// The transaction.
    pub trans_num: TransNum,
    /// Fraud or legit.
    pub label: Label,
    /// Where the label comes from: `chargeback`, `analyst`, `customer`, ...
    /// (lower-case letters, digits, `_` and `-`).
    pub source: String,
    /// Who gave it (an analyst, a service).
    pub actor: String,
    /// When it was given.
    pub noted_at: UnixMillis,
}

impl Feedback {
    /// Feedback noted now.
    pub fn now(
        trans_num: TransNum,
        label: Label,
        source: impl Into<String>,
        actor: impl Into<String>,
    ) -> Self {
        Self {
            trans_num,
            label,
            source: source.into(),
            actor: actor.into(),
            noted_at: UnixMillis::now(),
        }
    }
}

/// What recording feedback changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackOutcome {
    /// The label in force before, if any.
    pub previous: Option<Label>,
    /// Whether the current label changed (the history records every call).
    pub changed: bool,
}

/// A logged decision, as read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredDecision {
    /// Everything the engine decided, exactly as logged.
    pub record: DecisionRecord,
    /// Where it was decided.
    pub source: DecisionSource,
    /// When it was logged.
    pub logged_at: UnixMillis,
    /// The current label, when feedback was given.
    pub label: Option<Feedback>,
}

/// Which decisions [`crate::DecisionLog::recent`] returns, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionFilter {
    /// Only this card's decisions.
    pub card: Option<CardToken>,
    /// Only this decision.
    pub decision: Option<Decision>,
    /// Only decisions logged at or after this instant.
    pub since: Option<UnixMillis>,
    /// At most this many (capped at [`DecisionFilter::MAX_LIMIT`]).
    pub limit: usize,
}

impl DecisionFilter {
    /// The largest `limit` honoured.
    pub const MAX_LIMIT: usize = 10_000;
}

impl Default for DecisionFilter {
    fn default() -> Self {
        Self {
            card: None,
            decision: None,
            since: None,
            limit: 100,
        }
    }
}

/// A decision with its label, for delayed-label performance monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LabelledDecision {
    /// The transaction.
    pub trans_num: TransNum,
    /// The champion's score.
    pub score: f64,
    /// The decision given.
    pub decision: Decision,
    /// The current label.
    pub label: Label,
    /// When the decision was logged.
    pub logged_at: UnixMillis,
}
