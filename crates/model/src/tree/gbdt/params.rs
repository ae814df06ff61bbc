//! Hyper-parameters of gradient boosting, named as in LightGBM.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::tree::bins::MAX_BINS;
use crate::tree::grower::MAX_TREE_DEPTH;
use crate::tree::params::Problems;

/// Gradient-boosted trees on binary log-loss. Defaults follow LightGBM's,
/// except `lambda_l2 = 1` (a safer default on rare positives) and early
/// stopping after 50 rounds without progress when a validation set is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GbdtParams {
    /// Most boosting rounds (trees).
    pub n_trees: usize,
    /// Shrinkage applied to every leaf value, in `(0, 1]`.
    pub learning_rate: f64,
    /// Most leaves per tree (leaf-wise growth), at least 2.
    pub max_leaves: usize,
    /// Deepest leaf (root = 0), if limited; at most 64 either way.
    pub max_depth: Option<usize>,
    /// Fewest training rows in a leaf, at least 1.
    pub min_data_in_leaf: usize,
    /// Smallest hessian sum in a leaf.
    pub min_sum_hessian_in_leaf: f64,
    /// L2 regularisation of leaf values.
    pub lambda_l2: f64,
    /// Smallest gain worth a split.
    pub min_gain_to_split: f64,
    /// Fraction of features each tree may use (drawn per tree), in `(0, 1]`.
    pub feature_fraction: f64,
    /// Fraction of rows each tree is trained on, in `(0, 1]`.
    pub bagging_fraction: f64,
    /// Redraw the bag every this many rounds (0 = no bagging).
    pub bagging_freq: usize,
    /// Weight of positive rows in the loss (e.g. negatives / positives).
    pub scale_pos_weight: f64,
    /// Stop when validation log-loss has not improved for this many rounds
    /// (only with a validation set); the model keeps the best round's trees.
    pub early_stopping_rounds: Option<usize>,
    /// Most bins per numeric feature, in `2..=255`.
    pub max_bins: usize,
    /// Rows sampled (evenly spaced) to place bin bounds.
    pub bin_sample_rows: usize,
    /// Smoothing when ordering categorical levels by gradient/hessian.
    pub cat_smooth: f64,
    /// Seed of every random choice (bagging, feature fraction).
    pub seed: u64,
    /// Threads used for training (0 = one per core); results do not depend
    /// on it.
    pub n_threads: usize,
}

impl Default for GbdtParams {
    fn default() -> Self {
        Self {
            n_trees: 300,
            learning_rate: 0.1,
            max_leaves: 31,
            max_depth: None,
            min_data_in_leaf: 20,
            min_sum_hessian_in_leaf: 1e-3,
            lambda_l2: 1.0,
            min_gain_to_split: 0.0,
            feature_fraction: 1.0,
            bagging_fraction: 1.0,
            bagging_freq: 0,
            scale_pos_weight: 1.0,
            early_stopping_rounds: Some(50),
            max_bins: 255,
            bin_sample_rows: 200_000,
            cat_smooth: 10.0,
            seed: 0,
            n_threads: 0,
        }
    }
}

impl GbdtParams {
    /// Checks every parameter; reports all problems in one
    /// [`crate::ModelError::InvalidParam`] (named after the first).
    pub fn validate(&self) -> Result<()> {
        let mut p = Problems::default();
        let unit = |v: f64| v > 0.0 && v <= 1.0;
        let non_negative = |v: f64| v >= 0.0 && v.is_finite();
        p.check(self.n_trees >= 1, "n_trees", || "must be at least 1".into());
        p.check(unit(self.learning_rate), "learning_rate", || {
            format!("must be in (0, 1], got {}", self.learning_rate)
        });
        p.check(
            (2..=1 << 16).contains(&self.max_leaves),
            "max_leaves",
            || format!("must be in 2..=65536, got {}", self.max_leaves),
        );
        p.check(
            self.max_depth
                .is_none_or(|d| (1..=MAX_TREE_DEPTH).contains(&d)),
            "max_depth",
            || format!("must be in 1..={MAX_TREE_DEPTH}, got {:?}", self.max_depth),
        );
        p.check(
            self.min_data_in_leaf >= 1 && self.min_data_in_leaf < u32::MAX as usize,
            "min_data_in_leaf",
            || "must be at least 1".into(),
        );
        p.check(
            non_negative(self.min_sum_hessian_in_leaf),
            "min_sum_hessian_in_leaf",
            || {
                format!(
                    "must be finite and >= 0, got {}",
                    self.min_sum_hessian_in_leaf
                )
            },
        );
        p.check(non_negative(self.lambda_l2), "lambda_l2", || {
            format!("must be finite and >= 0, got {}", self.lambda_l2)
        });
        p.check(
            non_negative(self.min_gain_to_split),
            "min_gain_to_split",
            || format!("must be finite and >= 0, got {}", self.min_gain_to_split),
        );
        p.check(unit(self.feature_fraction), "feature_fraction", || {
            format!("must be in (0, 1], got {}", self.feature_fraction)
        });
        p.check(unit(self.bagging_fraction), "bagging_fraction", || {
            format!("must be in (0, 1], got {}", self.bagging_fraction)
        });
        p.check(
            self.scale_pos_weight > 0.0 && self.scale_pos_weight.is_finite(),
            "scale_pos_weight",
            || format!("must be finite and > 0, got {}", self.scale_pos_weight),
        );
        p.check(
            self.early_stopping_rounds != Some(0),
            "early_stopping_rounds",
            || "must be at least 1 (or none)".into(),
        );
        p.check((2..MAX_BINS).contains(&self.max_bins), "max_bins", || {
            format!("must be in 2..={}, got {}", MAX_BINS - 1, self.max_bins)
        });
        p.check(self.bin_sample_rows >= 1, "bin_sample_rows", || {
            "must be at least 1".into()
        });
        p.check(non_negative(self.cat_smooth), "cat_smooth", || {
            format!("must be finite and >= 0, got {}", self.cat_smooth)
        });
        p.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ModelError;

    #[test]
    fn defaults_are_valid_and_every_problem_is_reported() {
        assert!(GbdtParams::default().validate().is_ok());
        let bad = GbdtParams {
            learning_rate: 0.0,
            max_leaves: 1,
            bagging_fraction: 1.5,
            ..GbdtParams::default()
        };
        match bad.validate() {
            Err(ModelError::InvalidParam { name, reason }) => {
                assert_eq!(name, "learning_rate");
                for what in ["learning_rate", "max_leaves", "bagging_fraction"] {
                    assert!(reason.contains(what), "{reason}");
                }
            }
            other => panic!("expected InvalidParam, got {other:?}"),
        }
    }

    #[test]
    fn params_read_from_json_with_defaults_and_refuse_unknown_fields() {
        let p: GbdtParams = serde_json::from_str(r#"{"n_trees": 5, "seed": 3}"#).unwrap();
        assert_eq!((p.n_trees, p.seed, p.max_leaves), (5, 3, 31));
        assert!(serde_json::from_str::<GbdtParams>(r#"{"n_tree": 5}"#).is_err());
    }
}
