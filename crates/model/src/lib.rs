//! Vigie's models (layer L1): the four model families (logistic regression,
//! linear SVM with calibrated probabilities, random forest, gradient-boosted
//! trees), the metrics used to compare them, and per-prediction explanations.
//!
//! Invariants:
//! - training is deterministic for a given seed, whatever the number of
//!   threads (parallel reductions are made in a fixed order);
//! - every model explains every score: per-feature contributions plus a bias
//!   add up to the model's raw score (log-odds, margin or mean probability,
//!   as [`ScoreSpace`] says);
//! - this crate knows nothing of transactions: it sees a [`Dataset`] of named
//!   `f32` columns and 0/1 labels, built by the feature engine.

mod artifact;
mod dataset;
mod error;
pub mod linear;
pub mod metrics;
mod model;
mod reference;
pub mod tree;

pub use artifact::{
    ARTIFACT_FORMAT, ArtifactMeta, DecisionThresholds, ModelArtifact, TrainingInfo,
};
pub use dataset::{Dataset, FeatureKind};
pub use error::{ModelError, Result};
pub use linear::{
    ClassWeight, LinearParams, LinearSvm, LogisticParams, LogisticRegression, RandomFeatures,
    SvmParams,
};
pub use model::{Model, ModelKind};
pub use reference::{Histogram, Reference};
pub use tree::{
    ClassWeight as ForestClassWeight, Forest, ForestParams, Gbdt, GbdtParams, MaxFeatures,
    RowSampling, TrainingCurves,
};

/// What a model's raw score means, and so what its contributions add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreSpace {
    /// Log-odds of fraud (logistic regression, gradient boosting).
    LogOdds,
    /// Signed distance to the separating hyperplane (linear SVM), turned
    /// into a probability by a calibration map.
    Margin,
    /// The probability itself (random forest: the mean of the trees).
    Probability,
}

/// Why a model gave a score: `bias + contributions.iter().sum() == raw score`
/// (up to floating-point rounding).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Explanation {
    /// The space the raw score lives in.
    pub space: ScoreSpace,
    /// The model's expected raw score (the score with no information).
    pub bias: f64,
    /// One contribution per feature, in the dataset's feature order.
    pub contributions: Vec<f64>,
}

impl Explanation {
    /// The raw score these contributions explain.
    pub fn raw_score(&self) -> f64 {
        self.bias + self.contributions.iter().sum::<f64>()
    }
}
