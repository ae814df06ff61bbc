//! Hyper-parameters of the random forest, named as in scikit-learn where
//! LightGBM has no equivalent.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::tree::bins::MAX_BINS;
use crate::tree::grower::MAX_TREE_DEPTH;
use crate::tree::params::Problems;

/// How each tree's rows are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowSampling {
    /// `sample_fraction * rows` draws with replacement (a row drawn `k`
    /// times weighs `k`).
    Bootstrap,
    /// Each row kept with probability `sample_fraction`, no replacement.
    Subsample,
}

/// How many features are tried at each split.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxFeatures {
    /// `round(sqrt(features))` (scikit-learn's classifier default).
    Sqrt,
    /// `round(log2(features))`.
    Log2,
    /// Every feature (bagged trees).
    All,
    /// This many (capped at the feature count).
    Count(usize),
    /// This fraction of the features, in `(0, 1]`.
    Fraction(f64),
}

impl MaxFeatures {
    /// Features tried per split among `n`, at least 1.
    pub(crate) fn resolve(self, n: usize) -> usize {
        let k = match self {
            Self::Sqrt => (n as f64).sqrt().round() as usize,
            Self::Log2 => (n as f64).log2().round() as usize,
            Self::All => n,
            Self::Count(k) => k,
            Self::Fraction(f) => (f * n as f64).round() as usize,
        };
        k.clamp(1, n.max(1))
    }
}

/// How classes are weighted in splits and leaf values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeight {
    /// Every row weighs 1: leaves hold fraud frequencies.
    Uniform,
    /// Each class weighs half in total (`rows / (2 * class rows)` per row),
    /// as scikit-learn's "balanced": leaves then over-state fraud
    /// probability, so scores rank well but need calibration.
    Balanced,
}

/// A random forest of classification trees (Gini gain, which for 0/1
/// labels is twice the label-variance gain).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ForestParams {
    /// Number of trees.
    pub n_trees: usize,
    /// How each tree's rows are drawn.
    pub sampling: RowSampling,
    /// Draws (bootstrap) or keep probability (subsample) per row, in `(0, 1]`.
    pub sample_fraction: f64,
    /// Features tried per split.
    pub max_features: MaxFeatures,
    /// Deepest leaf (root = 0), if limited; at most 64 either way.
    pub max_depth: Option<usize>,
    /// Fewest (distinct) training rows in a leaf, at least 1.
    pub min_data_in_leaf: usize,
    /// Class weighting.
    pub class_weight: ClassWeight,
    /// Most bins per numeric feature, in `2..=255`.
    pub max_bins: usize,
    /// Rows sampled (evenly spaced) to place bin bounds.
    pub bin_sample_rows: usize,
    /// Seed; tree `i` uses a stream derived from `(seed, i)`.
    pub seed: u64,
    /// Threads used for training (0 = one per core); results do not depend
    /// on it.
    pub n_threads: usize,
}

impl Default for ForestParams {
    fn default() -> Self {
        Self {
            n_trees: 100,
            sampling: RowSampling::Bootstrap,
            sample_fraction: 1.0,
            max_features: MaxFeatures::Sqrt,
            max_depth: Some(16),
            min_data_in_leaf: 5,
            class_weight: ClassWeight::Uniform,
            max_bins: 255,
            bin_sample_rows: 200_000,
            seed: 0,
            n_threads: 0,
        }
    }
}

impl ForestParams {
    /// Checks every parameter; reports all problems in one
    /// [`crate::ModelError::InvalidParam`] (named after the first).
    pub fn validate(&self) -> Result<()> {
        let mut p = Problems::default();
        let unit = |v: f64| v > 0.0 && v <= 1.0;
        p.check(self.n_trees >= 1, "n_trees", || "must be at least 1".into());
        p.check(unit(self.sample_fraction), "sample_fraction", || {
            format!("must be in (0, 1], got {}", self.sample_fraction)
        });
        let features_ok = match self.max_features {
            MaxFeatures::Count(k) => k >= 1,
            MaxFeatures::Fraction(f) => unit(f),
            MaxFeatures::Sqrt | MaxFeatures::Log2 | MaxFeatures::All => true,
        };
        p.check(features_ok, "max_features", || {
            format!(
                "must be a count >= 1 or a fraction in (0, 1], got {:?}",
                self.max_features
            )
        });
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
        p.check((2..MAX_BINS).contains(&self.max_bins), "max_bins", || {
            format!("must be in 2..={}, got {}", MAX_BINS - 1, self.max_bins)
        });
        p.check(self.bin_sample_rows >= 1, "bin_sample_rows", || {
            "must be at least 1".into()
        });
        p.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_problems_are_all_reported() {
        assert!(ForestParams::default().validate().is_ok());
        let bad = ForestParams {
            n_trees: 0,
            max_features: MaxFeatures::Fraction(0.0),
            ..ForestParams::default()
        };
        let reason = bad.validate().unwrap_err().to_string();
        assert!(
            reason.contains("n_trees") && reason.contains("max_features"),
            "{reason}"
        );
    }

    #[test]
    fn max_features_resolves_to_a_usable_count() {
        assert_eq!(MaxFeatures::Sqrt.resolve(35), 6);
        assert_eq!(MaxFeatures::Log2.resolve(35), 5);
        assert_eq!(MaxFeatures::Count(100).resolve(35), 35);
        assert_eq!(MaxFeatures::Fraction(0.01).resolve(35), 1);
    }
}
