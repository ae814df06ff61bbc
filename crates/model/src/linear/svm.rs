//! L2-regularised linear SVM with the squared hinge loss (scikit-learn
//! `LinearSVC`'s default), trained in the primal by Newton-CG with the
//! generalised Hessian (as liblinear's primal L2-loss solver), then mapped to
//! probabilities by Platt scaling fitted on a separate calibration set.
//!
//! Raw score: the margin `w . x + b` ([`ScoreSpace::Margin`]).
//!
//! Why not a kernel SVM: kernel SVC training costs O(n^2) to O(n^3) in the
//! number of rows and keeps up to n support vectors for prediction, which
//! does not scale to millions of transactions (tried on 20 k-row samples
//! only in the library survey). Non-linear effects belong to the tree
//! models.

use serde::{Deserialize, Serialize};

use super::loss::Loss;
use super::params::SvmParams;
use super::persist::{check_format, decode_error, from_json, to_json};
use super::platt::Platt;
use super::scorer::LinearScorer;
use super::train::train;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::{Explanation, ScoreSpace};

/// Format tag of a saved linear SVM.
const FORMAT: &str = "vigie.linear_svm.v1";

/// A trained, calibrated linear SVM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearSvm {
    format: String,
    params: SvmParams,
    scorer: LinearScorer,
    calibration: Platt,
    curve: Vec<f64>,
    converged: bool,
}

impl LinearSvm {
    /// Trains the SVM on `train` and fits Platt scaling on its margins over
    /// `calibration` (the validation period: rows the SVM did not see).
    /// Deterministic: no randomness, bit-identical whatever `params.threads`.
    ///
    /// Errors: invalid params (`InvalidParam`, every problem listed); a
    /// training or calibration set without both classes, or a calibration
    /// set with other features (`InvalidData`).
    pub fn fit(train_set: &Dataset, calibration: &Dataset, params: &SvmParams) -> Result<Self> {
        let trained = train(train_set, params, Loss::SquaredHinge)?;
        let margins = trained.scorer.raw_scores(calibration)?;
        let platt = Platt::fit(&margins, calibration.labels())?;
        Ok(Self {
            format: FORMAT.to_owned(),
            params: params.clone(),
            scorer: trained.scorer,
            calibration: platt,
            curve: trained.curve,
            converged: trained.converged,
        })
    }

    /// Number of features a row must have.
    pub fn n_features(&self) -> usize {
        self.scorer.n_features()
    }

    /// The training features' names, in row order.
    pub fn feature_names(&self) -> &[String] {
        &self.scorer.preprocessor.names
    }

    /// What [`Self::raw_score`] means: the margin.
    pub fn space(&self) -> ScoreSpace {
        ScoreSpace::Margin
    }

    /// The margin of one row (features in training order).
    /// Allocation-free.
    ///
    /// # Panics
    /// If `row.len() != self.n_features()`; see [`Self::try_raw_score`].
    #[inline]
    pub fn raw_score(&self, row: &[f32]) -> f64 {
        self.scorer.raw_score(row)
    }

    /// [`Self::raw_score`], or `ModelError::FeatureCount` for a row of the
    /// wrong length.
    pub fn try_raw_score(&self, row: &[f32]) -> Result<f64> {
        self.scorer.try_raw_score(row)
    }

    /// The calibrated fraud probability of one row (Platt scaling of the
    /// margin).
    ///
    /// # Panics
    /// As [`Self::raw_score`].
    #[inline]
    pub fn predict_proba(&self, row: &[f32]) -> f64 {
        self.calibration.probability(self.raw_score(row))
    }

    /// The margin of every row of `data` (same values as row by row).
    ///
    /// Errors: `data` lacks this model's features (names, kinds, order).
    pub fn raw_scores(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.scorer.raw_scores(data)
    }

    /// The calibrated fraud probability of every row of `data`.
    ///
    /// Errors: as [`Self::raw_scores`].
    pub fn predict_probas(&self, data: &Dataset) -> Result<Vec<f64>> {
        Ok(self
            .raw_scores(data)?
            .into_iter()
            .map(|m| self.calibration.probability(m))
            .collect())
    }

    /// Why the row got its margin: one contribution per original feature
    /// (coefficient times standardised value; a categorical feature's level
    /// coefficient), bias = intercept, adding up exactly to the margin.
    ///
    /// # Panics
    /// As [`Self::raw_score`].
    pub fn explain(&self, row: &[f32]) -> Explanation {
        self.scorer.explain(row, self.space())
    }

    /// The training objective (weighted mean squared hinge + penalty) at the
    /// start and after each Newton iteration.
    pub fn curve(&self) -> &[f64] {
        &self.curve
    }

    /// Whether training reached its gradient tolerance.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The parameters it was trained with.
    pub fn params(&self) -> &SvmParams {
        &self.params
    }

    /// The intercept (margin of a row at the training means).
    pub fn intercept(&self) -> f64 {
        self.scorer.intercept
    }

    /// The coefficients of the encoded columns: numeric features in feature
    /// order (per standard deviation), then each categorical feature's
    /// levels.
    pub fn coefficients(&self) -> &[f64] {
        &self.scorer.coefficients
    }

    /// The Platt sigmoid `P = 1 / (1 + exp(a * margin + b))` as `(a, b)`.
    pub fn calibration(&self) -> (f64, f64) {
        (self.calibration.a, self.calibration.b)
    }

    /// Saves the model as JSON.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        to_json(self)
    }

    /// Loads a model saved by [`Self::to_json`], checking its format tag and
    /// shapes. Errors: `ModelError::Decode`, never a panic.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let model: Self = from_json(bytes)?;
        check_format(&model.format, FORMAT)?;
        model.scorer.check().map_err(decode_error)?;
        model
            .params
            .validate()
            .map_err(|e| decode_error(e.to_string()))?;
        if !model.calibration.a.is_finite() || !model.calibration.b.is_finite() {
            return Err(decode_error("calibration is not finite".to_owned()));
        }
        Ok(model)
    }
}
