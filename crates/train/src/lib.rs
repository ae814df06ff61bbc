//! Vigie's training (layer L2): from feature files to compared, explained,
//! registered models.
//!
//! The comparison is honest by construction: the validation period is the
//! END of the training data (never random rows); hyper-parameters and the
//! decision thresholds are chosen on it alone; the test file, later in
//! time, is scored once. Metrics are imbalance-aware (average precision,
//! recall at 1 % false-positive rate, card precision top-100 per day,
//! fraud amount caught), and every model's prediction latency is measured.

mod analysis;
mod data;
mod error;
mod evaluate;
mod family;
mod latency;
mod register;
mod report;
mod svg;
mod train;

pub use analysis::ErrorAnalysis;
pub use data::{FeatureSet, LabeledSet};
pub use error::{Result, TrainError};
pub use evaluate::{Metrics, ScenarioRecall, choose_thresholds, evaluate};
pub use family::{Candidate, Search, candidates};
pub use latency::Latency;
pub use register::{Registered, promote, record};
pub use report::{ReportFiles, comparison_table, write_report};
pub use train::{CandidateScore, DataSummary, FamilyResult, TrainConfig, TrainReport, train};
