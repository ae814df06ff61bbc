//! Evaluation metrics for imbalanced fraud scoring: pure functions of scores
//! and 0/1 labels, computed in `f64`, each with its definition written on it.
//!
//! Invariants:
//! - exact: ranking metrics sort once (O(n log n)) and group tied scores, so
//!   a tie never depends on row order; no sampling, no binning;
//! - one decision rule: a row is flagged when `score >= threshold`;
//! - undefined is an error, never a silent 0 or NaN: a metric that needs
//!   both classes returns `ModelError::InvalidData` when one is missing, as
//!   it does for mismatched lengths, labels other than 0/1 and NaN scores;
//! - scores may be in any space (log-odds, margin, probability): every
//!   metric here except [`log_loss`] only uses their order or a threshold in
//!   the same space.
//!
//! Thresholds (e.g. [`best_f1_threshold`]) are chosen on the validation
//! period and applied to the test period; nothing here can check that, so
//! the caller must.

mod card;
mod curves;
mod loss;
mod ranking;
mod threshold;

pub use card::card_precision_at_k;
pub use curves::{CurvePoint, PrPoint, RocPoint, downsample, pr_curve, roc_curve};
pub use loss::log_loss;
pub use ranking::{average_precision, roc_auc};
pub use threshold::{
    ConfusionAt, best_f1_threshold, confusion_at, fraud_amount_caught, recall_at_fpr,
};
