//! L2-regularised, class-weighted logistic regression. Raw score: the
//! log-odds of fraud; probability: its sigmoid.

use serde::{Deserialize, Serialize};

use super::loss::{Loss, sigmoid};
use super::params::LogisticParams;
use super::persist::{check_format, decode_error, from_json, to_json};
use super::scorer::LinearScorer;
use super::train::train;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::{Explanation, ScoreSpace};

/// Format tag of a saved logistic regression.
const FORMAT: &str = "vigie.logistic_regression.v1";

/// A trained logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogisticRegression {
    format: String,
    params: LogisticParams,
    scorer: LinearScorer,
    curve: Vec<f64>,
    converged: bool,
}

impl LogisticRegression {
    /// Trains on `train` (both classes needed), minimising the class-weighted
    /// mean logistic loss plus `l2/2 |w|^2` with Newton-CG. Deterministic:
    /// no randomness, bit-identical whatever `params.threads`.
    ///
    /// Errors: invalid params (`InvalidParam`, every problem listed), or a
    /// training set without both classes (`InvalidData`).
    pub fn fit(train_set: &Dataset, params: &LogisticParams) -> Result<Self> {
        let trained = train(train_set, params, Loss::Logistic)?;
        Ok(Self {
            format: FORMAT.to_owned(),
            params: params.clone(),
            scorer: trained.scorer,
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

    /// What [`Self::raw_score`] means: log-odds.
    pub fn space(&self) -> ScoreSpace {
        ScoreSpace::LogOdds
    }

    /// The log-odds of fraud for one row (features in training order).
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

    /// The fraud probability of one row: `sigmoid(raw_score)`.
    ///
    /// # Panics
    /// As [`Self::raw_score`].
    #[inline]
    pub fn predict_proba(&self, row: &[f32]) -> f64 {
        sigmoid(self.raw_score(row))
    }

    /// The raw score of every row of `data` (same values as row by row).
    ///
    /// Errors: `data` lacks this model's features (names, kinds, order).
    pub fn raw_scores(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.scorer.raw_scores(data)
    }

    /// The fraud probability of every row of `data`.
    ///
    /// Errors: as [`Self::raw_scores`].
    pub fn predict_probas(&self, data: &Dataset) -> Result<Vec<f64>> {
        Ok(self.raw_scores(data)?.into_iter().map(sigmoid).collect())
    }

    /// Why the row scored what it did: one contribution per original feature
    /// (coefficient times standardised value; a categorical feature's level
    /// coefficient), bias = intercept, adding up exactly to the raw score.
    ///
    /// # Panics
    /// As [`Self::raw_score`].
    pub fn explain(&self, row: &[f32]) -> Explanation {
        self.scorer.explain(row, self.space())
    }

    /// The training objective (weighted mean loss + penalty) at the start and
    /// after each Newton iteration.
    pub fn curve(&self) -> &[f64] {
        &self.curve
    }

    /// Whether training reached its gradient tolerance.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The parameters it was trained with.
    pub fn params(&self) -> &LogisticParams {
        &self.params
    }

    /// The intercept (log-odds of a row at the training means).
    pub fn intercept(&self) -> f64 {
        self.scorer.intercept
    }

    /// The coefficients of the encoded columns: numeric features in feature
    /// order (per standard deviation), then each categorical feature's
    /// levels.
    pub fn coefficients(&self) -> &[f64] {
        &self.scorer.coefficients
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
        Ok(model)
    }
}
