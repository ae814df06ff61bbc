//! Hyper-parameters of the two linear models (one struct, [`LinearParams`]):
//! plain serde data with defaults, checked by `validate()`, which reports
//! every problem at once.

use serde::{Deserialize, Serialize};

use super::fourier::MAX_DIMS;
use crate::error::{ModelError, Result};

/// How much each class weighs in the training loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ClassWeight {
    /// Every row weighs 1.
    None,
    /// Each class weighs `n_rows / (2 * n_rows_of_that_class)`, so both
    /// classes weigh the same in total (scikit-learn's `"balanced"`).
    Balanced,
    /// Frauds weigh `weight`, legitimate rows 1.
    Positive {
        /// The weight of a fraud row, > 0.
        weight: f64,
    },
}

impl ClassWeight {
    /// `[weight of a label-0 row, weight of a label-1 row]` for a training set
    /// with these class counts (both non-zero).
    pub(crate) fn per_class(self, negatives: usize, positives: usize) -> [f64; 2] {
        match self {
            Self::None => [1.0, 1.0],
            Self::Balanced => {
                let n = (negatives + positives) as f64;
                [n / (2.0 * negatives as f64), n / (2.0 * positives as f64)]
            }
            Self::Positive { weight } => [1.0, weight],
        }
    }

    fn check(self, problems: &mut Problems) {
        if let Self::Positive { weight } = self {
            problems.require(
                weight.is_finite() && weight > 0.0,
                format!("class_weight.positive.weight must be finite and > 0, got {weight}"),
            );
        }
    }
}

/// Optional random Fourier features: an approximate RBF kernel
/// `exp(-gamma |u - u'|^2)` on the preprocessed vector `u`, as `dims` extra
/// features beside the linear ones (module `fourier`). They let the model
/// bend, at a price: training and scoring cost about `dims` times more
/// per row (scoring goes from well under a microsecond to a few), and the
/// model file grows by `dims` x the encoded width.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomFeatures {
    /// Number of random features, in `1..=1024`.
    pub dims: usize,
    /// Kernel width `gamma` on standardised features, > 0. A good start is
    /// about 1 / (number of encoded columns).
    pub gamma: f64,
    /// Seed of the random directions and phases.
    pub seed: u64,
}

impl RandomFeatures {
    fn check(self, problems: &mut Problems) {
        problems.require(
            (1..=MAX_DIMS).contains(&self.dims),
            format!(
                "random_features.dims must be in 1..={MAX_DIMS}, got {}",
                self.dims
            ),
        );
        problems.require(
            self.gamma.is_finite() && self.gamma > 0.0,
            format!(
                "random_features.gamma must be finite and > 0, got {}",
                self.gamma
            ),
        );
    }
}

/// Hyper-parameters of both linear models: regularisation, class weights,
/// solver stopping rule, preprocessing and threads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinearParams {
    /// L2 penalty `lambda` in `weighted mean loss + lambda/2 * |w|^2` (the
    /// intercept is not penalised). scikit-learn's `C` on `n` rows whose
    /// weights sum to `n` (true for `None` and `Balanced`) is
    /// `lambda = 1 / (C * n)`. Default `1e-6`.
    pub l2: f64,
    /// Class weights. Default [`ClassWeight::None`]: on the sparkov7 matrix
    /// (docs/linear-models.md) it doubles average precision over `Balanced`
    /// and keeps probabilities calibrated; `Balanced` buys recall at a low
    /// false-positive rate and a higher ROC AUC.
    pub class_weight: ClassWeight,
    /// Stop when the gradient norm falls below `tolerance` times its value at
    /// the start. Default `1e-4`: on the sparkov7 matrix, `1e-6` changes no
    /// test metric in the 4th decimal and takes 1.5x (linear) to 3x (random
    /// features) longer.
    pub tolerance: f64,
    /// Maximum Newton iterations. Default 50.
    pub max_iterations: usize,
    /// Numeric features are clipped to the training quantiles
    /// `clip_quantile` and `1 - clip_quantile` before standardisation, in
    /// `[0, 0.5)`. Default `0.001` (0.1 % / 99.9 %).
    pub clip_quantile: f64,
    /// Worker threads for training; 0 means all available cores. The model
    /// is bit-identical whatever this is.
    pub threads: usize,
    /// Random Fourier features added to the linear ones. Default none.
    pub random_features: Option<RandomFeatures>,
}

impl Default for LinearParams {
    fn default() -> Self {
        Self {
            l2: 1e-6,
            class_weight: ClassWeight::None,
            tolerance: 1e-4,
            max_iterations: 50,
            clip_quantile: 0.001,
            threads: 0,
            random_features: None,
        }
    }
}

impl LinearParams {
    /// Checks every parameter and reports all problems in one
    /// `ModelError::InvalidParam`.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Problems::default();
        self.check(&mut problems);
        problems.into_result("linear_params")
    }

    fn check(&self, problems: &mut Problems) {
        problems.require(
            self.l2.is_finite() && self.l2 >= 0.0,
            format!("l2 must be finite and >= 0, got {}", self.l2),
        );
        self.class_weight.check(problems);
        problems.require(
            self.tolerance.is_finite() && self.tolerance > 0.0 && self.tolerance < 1.0,
            format!("tolerance must be in (0, 1), got {}", self.tolerance),
        );
        problems.require(
            self.max_iterations > 0,
            "max_iterations must be at least 1".to_owned(),
        );
        problems.require(
            (0.0..0.5).contains(&self.clip_quantile),
            format!(
                "clip_quantile must be in [0, 0.5), got {}",
                self.clip_quantile
            ),
        );
        if let Some(random_features) = self.random_features {
            random_features.check(problems);
        }
    }

    /// The number of threads to train with.
    pub(crate) fn worker_threads(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        }
    }
}

/// Hyper-parameters of [`super::LogisticRegression`] (the same settings as
/// the SVM's: one struct, so the two are always trained alike).
pub type LogisticParams = LinearParams;

/// Hyper-parameters of [`super::LinearSvm`].
pub type SvmParams = LinearParams;

/// Problems found while validating, reported together.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn require(&mut self, ok: bool, problem: String) {
        if !ok {
            self.0.push(problem);
        }
    }

    fn into_result(self, name: &'static str) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ModelError::InvalidParam {
                name,
                reason: self.0.join("; "),
            })
        }
    }
}
