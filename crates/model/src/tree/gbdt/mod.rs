//! Gradient-boosted decision trees for binary classification (histogram
//! based, leaf-wise, LightGBM-like), scored in log-odds.
//!
//! Invariants: `raw_score = base_score + sum of the trees' leaf values`,
//! where `base_score` is the log-odds of the (`scale_pos_weight`-weighted)
//! training prior; `predict_proba = sigmoid(raw_score)`; explanations are
//! exact TreeSHAP values whose sum plus the bias is the raw score.

mod params;
mod train;

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

pub use params::GbdtParams;
pub(crate) use train::sigmoid;

use super::ensemble::TreeEnsemble;
use super::params::{check_training_data, with_threads};
use crate::dataset::Dataset;
use crate::error::{ModelError, Result};
use crate::{Explanation, ScoreSpace};

/// The format tag written in every saved GBDT.
const FORMAT: &str = "vigie-gbdt/1";

/// Per-round mean log-loss (unweighted, even with `scale_pos_weight`), for
/// every round trained (including those after the best one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingCurves {
    /// Log-loss on the training rows after each round.
    pub train_logloss: Vec<f64>,
    /// Log-loss on the validation rows after each round (empty without a
    /// validation set).
    pub valid_logloss: Vec<f64>,
}

/// A trained gradient-boosted tree model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gbdt {
    format: String,
    params: GbdtParams,
    base_score: f64,
    best_iteration: usize,
    curves: TrainingCurves,
    ensemble: TreeEnsemble,
}

impl Gbdt {
    /// Trains on `train`; with `valid`, records its log-loss each round and
    /// stops early as `params.early_stopping_rounds` says, keeping the best
    /// round's trees. Deterministic for given data and parameters, whatever
    /// `params.n_threads`.
    pub fn fit(train: &Dataset, valid: Option<&Dataset>, params: &GbdtParams) -> Result<Self> {
        params.validate()?;
        check_training_data(train)?;
        if let Some(v) = valid
            && (v.kinds() != train.kinds() || v.n_rows() == 0)
        {
            return Err(ModelError::InvalidData {
                reason: "the validation set is empty or its features differ from training".into(),
            });
        }
        let boosted = with_threads(params.n_threads, || train::boost(train, valid, params))??;
        let ensemble = TreeEnsemble::new(
            train.names().to_vec(),
            train.kinds().to_vec(),
            boosted.trees,
        )
        .map_err(|reason| ModelError::InvalidData { reason })?;
        Ok(Self {
            format: FORMAT.into(),
            params: params.clone(),
            base_score: boosted.base_score,
            best_iteration: boosted.best_iteration,
            curves: boosted.curves,
            ensemble,
        })
    }

    /// Number of features a row must have.
    pub fn n_features(&self) -> usize {
        self.ensemble.n_features()
    }

    /// Feature names, in the order rows must follow.
    pub fn feature_names(&self) -> &[String] {
        self.ensemble.names()
    }

    /// Number of trees kept (= [`Self::best_iteration`]).
    pub fn n_trees(&self) -> usize {
        self.ensemble.n_trees()
    }

    /// The parameters the model was trained with.
    pub fn params(&self) -> &GbdtParams {
        &self.params
    }

    /// Raw scores are log-odds.
    pub fn space(&self) -> ScoreSpace {
        ScoreSpace::LogOdds
    }

    /// The score before any tree: log-odds of the training prior.
    pub fn base_score(&self) -> f64 {
        self.base_score
    }

    /// Log-odds of fraud for one row, in the training feature order.
    /// The row must have [`Self::n_features`] values (checked only in debug
    /// builds; a shorter row panics): see [`Self::try_raw_score`].
    #[inline]
    pub fn raw_score(&self, row: &[f32]) -> f64 {
        debug_assert_eq!(row.len(), self.n_features(), "row length");
        self.base_score + self.ensemble.sum(row)
    }

    /// [`Self::raw_score`], refusing a row of the wrong length.
    pub fn try_raw_score(&self, row: &[f32]) -> Result<f64> {
        self.check_row(row)?;
        Ok(self.raw_score(row))
    }

    /// Probability of fraud for one row: `sigmoid(raw_score)`.
    pub fn predict_proba(&self, row: &[f32]) -> f64 {
        sigmoid(self.raw_score(row))
    }

    /// Raw scores of every row of `data`, in parallel; each equals
    /// [`Self::raw_score`] of that row exactly. `data` must have the
    /// model's features (a dataset with fewer columns panics).
    pub fn raw_scores(&self, data: &Dataset) -> Vec<f64> {
        debug_assert!(self.ensemble.accepts(data), "dataset features");
        let base = self.base_score;
        self.ensemble.sums(data, |sum| base + sum)
    }

    /// [`Self::raw_scores`], refusing a dataset whose features differ
    /// from the model's ([`ModelError::FeatureCount`] or
    /// [`ModelError::InvalidData`]).
    pub fn try_raw_scores(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.ensemble.check(data)?;
        Ok(self.raw_scores(data))
    }

    /// Exact TreeSHAP explanation of one row (same length rule as
    /// [`Self::raw_score`]): `bias` is the cover-weighted expected raw
    /// score over the training rows.
    pub fn explain(&self, row: &[f32]) -> Explanation {
        debug_assert_eq!(row.len(), self.n_features(), "row length");
        Explanation {
            space: ScoreSpace::LogOdds,
            bias: self.base_score + self.ensemble.expected_sum(),
            contributions: self.ensemble.contributions(row, 1.0),
        }
    }

    /// Total split gain of each feature over all trees.
    pub fn feature_importance_gain(&self) -> Vec<f64> {
        self.ensemble.importance_gain()
    }

    /// Per-round training and validation log-loss.
    pub fn curves(&self) -> &TrainingCurves {
        &self.curves
    }

    /// The round with the best validation log-loss (1-based; the number of
    /// rounds trained when there was no validation set or no early stopping).
    pub fn best_iteration(&self) -> usize {
        self.best_iteration
    }

    /// Writes the model as JSON (buffered: pass a plain `File`).
    pub fn save(&self, writer: impl Write) -> std::io::Result<()> {
        let mut writer = std::io::BufWriter::new(writer);
        serde_json::to_writer(&mut writer, self).map_err(std::io::Error::from)?;
        writer.flush()
    }

    /// Reads a model written by [`Self::save`]; anything else (garbage,
    /// truncation, a tree that fails validation) is [`ModelError::Decode`].
    pub fn load(reader: impl Read) -> Result<Self> {
        let model: Self =
            serde_json::from_reader(std::io::BufReader::new(reader)).map_err(|e| {
                ModelError::Decode {
                    reason: e.to_string(),
                }
            })?;
        let problem = if model.format != FORMAT {
            Some(format!("format {:?}, expected {FORMAT:?}", model.format))
        } else if !model.base_score.is_finite() {
            Some("base score is not finite".to_string())
        } else if model.params.validate().is_err() {
            Some("invalid parameters".to_string())
        } else {
            None
        };
        match problem {
            Some(reason) => Err(ModelError::Decode { reason }),
            None => Ok(model),
        }
    }

    fn check_row(&self, row: &[f32]) -> Result<()> {
        if row.len() == self.n_features() {
            Ok(())
        } else {
            Err(ModelError::FeatureCount {
                expected: self.n_features(),
                found: row.len(),
            })
        }
    }
}
