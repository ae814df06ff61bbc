//! Random forest of classification trees on the same binned histograms as
//! boosting; scored as the mean of the trees' leaf fraud fractions.
//!
//! Invariants: tree `i` depends only on the data, the parameters and its
//! own random stream `derive(seed, i)`, so trees are grown in parallel and
//! the forest is identical whatever the number of threads; `raw_score` is a
//! probability (the mean over trees of the weighted fraud fraction of the
//! leaf reached) and explanations add up to it.

mod params;

use std::io::{Read, Write};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use params::{ClassWeight, ForestParams, MaxFeatures, RowSampling};

use super::bins::BinnedData;
use super::ensemble::TreeEnsemble;
use super::grower::{FeatureChoice, GrowConfig, Grower, GrowthOrder, MAX_TREE_DEPTH};
use super::histogram::GradHess;
use super::params::{check_training_data, with_threads};
use super::rng::SplitMix64;
use super::split::SplitRules;
use super::stored::Tree;
use crate::dataset::Dataset;
use crate::error::{ModelError, Result};
use crate::{Explanation, ScoreSpace};

/// The format tag written in every saved forest.
const FORMAT: &str = "vigie-forest/1";

/// A trained random forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forest {
    format: String,
    params: ForestParams,
    ensemble: TreeEnsemble,
}

impl Forest {
    /// Trains a forest on `train`. Deterministic for given data and
    /// parameters, whatever `params.n_threads`.
    pub fn fit(train: &Dataset, params: &ForestParams) -> Result<Self> {
        params.validate()?;
        check_training_data(train)?;
        let trees = with_threads(params.n_threads, || grow_forest(train, params))??;
        let ensemble = TreeEnsemble::new(train.names().to_vec(), train.kinds().to_vec(), trees)
            .map_err(|reason| ModelError::InvalidData { reason })?;
        Ok(Self {
            format: FORMAT.into(),
            params: params.clone(),
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

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.ensemble.n_trees()
    }

    /// The parameters the forest was trained with.
    pub fn params(&self) -> &ForestParams {
        &self.params
    }

    /// Raw scores are probabilities.
    pub fn space(&self) -> ScoreSpace {
        ScoreSpace::Probability
    }

    /// Mean over trees of the leaf fraud fraction for one row. The row
    /// must have [`Self::n_features`] values (checked only in debug builds;
    /// a shorter row panics): see [`Self::try_raw_score`].
    #[inline]
    pub fn raw_score(&self, row: &[f32]) -> f64 {
        debug_assert_eq!(row.len(), self.n_features(), "row length");
        self.ensemble.sum(row) / self.n_trees() as f64
    }

    /// [`Self::raw_score`], refusing a row of the wrong length.
    pub fn try_raw_score(&self, row: &[f32]) -> Result<f64> {
        if row.len() != self.n_features() {
            return Err(ModelError::FeatureCount {
                expected: self.n_features(),
                found: row.len(),
            });
        }
        Ok(self.raw_score(row))
    }

    /// Probability of fraud: the raw score itself (already in `[0, 1]`).
    pub fn predict_proba(&self, row: &[f32]) -> f64 {
        self.raw_score(row)
    }

    /// Raw scores of every row of `data`, in parallel; each equals
    /// [`Self::raw_score`] of that row exactly.
    pub fn raw_scores(&self, data: &Dataset) -> Vec<f64> {
        debug_assert!(self.ensemble.accepts(data), "dataset features");
        let n = self.n_trees() as f64;
        self.ensemble.sums(data, |sum| sum / n)
    }

    /// [`Self::raw_scores`], refusing a dataset whose features differ
    /// from the model's ([`ModelError::FeatureCount`] or
    /// [`ModelError::InvalidData`]).
    pub fn try_raw_scores(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.ensemble.check(data)?;
        Ok(self.raw_scores(data))
    }

    /// Exact TreeSHAP explanation of one row, averaged over trees: `bias`
    /// is the mean over trees of the cover-weighted mean leaf value.
    pub fn explain(&self, row: &[f32]) -> Explanation {
        debug_assert_eq!(row.len(), self.n_features(), "row length");
        let n = self.n_trees() as f64;
        Explanation {
            space: ScoreSpace::Probability,
            bias: self.ensemble.expected_sum() / n,
            contributions: self.ensemble.contributions(row, 1.0 / n),
        }
    }

    /// Total Gini gain (weighted impurity decrease) of each feature over all
    /// trees.
    pub fn feature_importance_gain(&self) -> Vec<f64> {
        self.ensemble.importance_gain()
    }

    /// Writes the forest as JSON (buffered: pass a plain `File`).
    pub fn save(&self, writer: impl Write) -> std::io::Result<()> {
        let mut writer = std::io::BufWriter::new(writer);
        serde_json::to_writer(&mut writer, self).map_err(std::io::Error::from)?;
        writer.flush()
    }

    /// Reads a forest written by [`Self::save`]; anything else is
    /// [`ModelError::Decode`].
    pub fn load(reader: impl Read) -> Result<Self> {
        let model: Self =
            serde_json::from_reader(std::io::BufReader::new(reader)).map_err(|e| {
                ModelError::Decode {
                    reason: e.to_string(),
                }
            })?;
        if model.format != FORMAT
            || model.ensemble.n_trees() == 0
            || model.params.validate().is_err()
        {
            return Err(ModelError::Decode {
                reason: format!("not a valid {FORMAT} model"),
            });
        }
        Ok(model)
    }
}

/// Grows every tree, in parallel over trees (each tree single-threaded).
fn grow_forest(train: &Dataset, params: &ForestParams) -> Result<Vec<Tree>> {
    let binned = BinnedData::build(train, params.max_bins, params.bin_sample_rows)?;
    let labels = train.labels();
    let n = labels.len();
    let (w_neg, w_pos) = match params.class_weight {
        ClassWeight::Uniform => (1.0, 1.0),
        ClassWeight::Balanced => {
            let pos = train.positives() as f64;
            (n as f64 / (2.0 * (n as f64 - pos)), n as f64 / (2.0 * pos))
        }
    };
    let config = GrowConfig {
        max_leaves: usize::MAX,
        max_depth: params
            .max_depth
            .unwrap_or(MAX_TREE_DEPTH)
            .min(MAX_TREE_DEPTH),
        rules: SplitRules {
            lambda_l2: 0.0,
            min_data_in_leaf: params.min_data_in_leaf as u32,
            min_sum_hessian: 0.0,
            min_gain: 0.0,
            cat_smooth: 0.0,
        },
        order: GrowthOrder::DepthFirst,
        parallel: false,
    };
    let k = params.max_features.resolve(train.n_features());
    let trees = (0..params.n_trees)
        .into_par_iter()
        .map_init(Grower::default, |grower, t| {
            let mut rng = SplitMix64::derive(params.seed, t as u64);
            let weight = draw_rows(&mut rng, n, params);
            let mut gh: Vec<GradHess> = vec![[0.0; 2]; n];
            let mut rows = Vec::new();
            for (r, &m) in weight.iter().enumerate() {
                if m > 0 {
                    let w = f64::from(m) * if labels[r] == 1 { w_pos } else { w_neg };
                    gh[r] = [if labels[r] == 1 { w as f32 } else { 0.0 }, w as f32];
                    rows.push(r as u32);
                }
            }
            let choice = FeatureChoice::PerNode { k, rng: &mut rng };
            let grown = grower.grow(&binned, &gh, Some(&rows), &config, choice);
            Tree::from_grown(&grown, &binned, |leaf| {
                let s = grown.leaves[leaf];
                if s.hess > 0.0 {
                    (s.grad / s.hess).clamp(0.0, 1.0)
                } else {
                    0.0
                }
            })
        })
        .collect();
    Ok(trees)
}

/// How many times each row is drawn for one tree.
fn draw_rows(rng: &mut SplitMix64, n: usize, params: &ForestParams) -> Vec<u32> {
    let mut times = vec![0u32; n];
    match params.sampling {
        RowSampling::Bootstrap => {
            let draws = ((params.sample_fraction * n as f64).round() as usize).max(1);
            for _ in 0..draws {
                times[rng.below(n)] += 1;
            }
        }
        RowSampling::Subsample => {
            for t in &mut times {
                *t = u32::from(rng.next_f64() < params.sample_fraction);
            }
            if times.iter().all(|&t| t == 0) {
                times[rng.below(n)] = 1;
            }
        }
    }
    times
}
