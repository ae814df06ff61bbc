//! What the engine answers for a transaction: a decision with its score,
//! the model that made it, the reasons and the rules that fired. This is
//! also what the decision log stores, so every decision can be explained
//! and re-scored later.

use serde::{Deserialize, Serialize};
use vigie_types::{CardToken, Timestamp, TransNum};

use crate::rules::RuleAction;

/// The outcome for a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Let it through.
    Allow,
    /// Let it through and queue it for an analyst.
    Review,
    /// Decline it.
    Block,
}

impl Decision {
    /// `allow`, `review` or `block`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Review => "review",
            Self::Block => "block",
        }
    }

    /// Parses `allow`, `review` or `block`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "allow" => Some(Self::Allow),
            "review" => Some(Self::Review),
            "block" => Some(Self::Block),
            _ => None,
        }
    }
}

impl From<RuleAction> for Decision {
    fn from(action: RuleAction) -> Self {
        match action {
            RuleAction::Review => Self::Review,
            RuleAction::Block => Self::Block,
        }
    }
}

/// Score thresholds: `score >= block` blocks, else `score >= review` reviews.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Probability from which a transaction is reviewed.
    pub review: f64,
    /// Probability from which a transaction is blocked.
    pub block: f64,
}

impl Thresholds {
    /// The decision the score alone gives.
    pub fn decide(&self, score: f64) -> Decision {
        if score >= self.block {
            Decision::Block
        } else if score >= self.review {
            Decision::Review
        } else {
            Decision::Allow
        }
    }
}

/// A model as named in the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    /// Registered model name.
    pub name: String,
    /// Version number.
    pub version: u32,
}

/// One reason for a score: a feature's contribution, with a sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable reason code (the feature name).
    pub code: String,
    /// The feature.
    pub feature: String,
    /// Its value for this transaction.
    pub value: f64,
    /// Its contribution to the model's raw score (positive raises risk).
    pub contribution: f64,
    /// A sentence an analyst or a cardholder can read.
    pub text: String,
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleHit {
    /// The rule's stable code.
    pub code: String,
    /// What it asked for.
    pub action: RuleAction,
    /// Its description.
    pub description: String,
}

/// The challenger's opinion, computed in shadow: logged, never acted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShadowScore {
    /// The challenger model.
    pub model: ModelRef,
    /// Its probability.
    pub score: f64,
    /// The decision it would have given (score thresholds only).
    pub decision: Decision,
}

/// Everything decided about one transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// The transaction.
    pub trans_num: TransNum,
    /// Its card, as a token.
    pub card: CardToken,
    /// Its event time.
    pub event_time: Timestamp,
    /// Its amount in cents.
    pub amount_cents: i64,
    /// The champion's fraud probability.
    pub score: f64,
    /// The decision (the strongest of the score's and the rules').
    pub decision: Decision,
    /// The champion model.
    pub model: ModelRef,
    /// The feature schema hash the model was trained on.
    pub feature_schema_hash: String,
    /// The thresholds in force.
    pub thresholds: Thresholds,
    /// The features that most raised the score, strongest first.
    pub reasons: Vec<Reason>,
    /// Rules that fired, in rules-file order.
    pub rules_fired: Vec<RuleHit>,
    /// The challenger's shadow score, when a challenger is set.
    pub challenger: Option<ShadowScore>,
    /// The feature vector scored (to re-score and audit later).
    pub features: Vec<f32>,
    /// Whether a dependency was unavailable and the decision was made
    /// without it (e.g. without the card's history).
    pub degraded: bool,
    /// Time spent deciding, microseconds.
    pub latency_us: u64,
    /// Time per stage, microseconds.
    pub stages: StageTimings,
}

/// Microseconds spent in each stage of a decision (for per-stage latency
/// histograms).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTimings {
    /// Card state read, feature extraction, state update.
    pub features_us: u64,
    /// Champion model.
    pub model_us: u64,
    /// Challenger model (shadow).
    pub challenger_us: u64,
    /// Rules.
    pub rules_us: u64,
    /// Explanation and reason texts.
    pub explain_us: u64,
}

/// What scoring a transaction gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Scored {
    /// A new transaction, decided.
    Fresh(Box<DecisionRecord>),
    /// This `trans_num` was already applied to its card: nothing changed;
    /// answer with the decision recorded the first time.
    Duplicate,
}
