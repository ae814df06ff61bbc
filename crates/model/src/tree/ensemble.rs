//! A validated set of trees with the features they read: what both tree
//! models save, load, evaluate and explain.
//!
//! Invariant: a `TreeEnsemble` exists only if every tree passed
//! `Tree::validate` against its feature kinds, and its flat evaluator was
//! built from exactly those trees (deserialisation goes through the same
//! check, so a corrupted file is refused, never evaluated).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::explainer;
use super::flat::FlatTrees;
use super::stored::Tree;
use crate::dataset::{Dataset, FeatureKind};
use crate::error::{ModelError, Result};

/// Trees, their feature names and kinds, and the flat evaluator.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "EnsembleFile")]
pub(crate) struct TreeEnsemble {
    names: Vec<String>,
    kinds: Vec<FeatureKind>,
    trees: Vec<Tree>,
    flat: FlatTrees,
    expected_sum: f64,
}

/// The saved form.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnsembleFile {
    feature_names: Vec<String>,
    feature_kinds: Vec<FeatureKind>,
    trees: Vec<Tree>,
}

#[derive(Serialize)]
struct EnsembleView<'a> {
    feature_names: &'a [String],
    feature_kinds: &'a [FeatureKind],
    trees: &'a [Tree],
}

impl Serialize for TreeEnsemble {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        EnsembleView {
            feature_names: &self.names,
            feature_kinds: &self.kinds,
            trees: &self.trees,
        }
        .serialize(serializer)
    }
}

impl TryFrom<EnsembleFile> for TreeEnsemble {
    type Error = String;

    fn try_from(file: EnsembleFile) -> std::result::Result<Self, String> {
        Self::new(file.feature_names, file.feature_kinds, file.trees)
    }
}

impl TreeEnsemble {
    /// Checks the trees against the features and builds the evaluator.
    pub(crate) fn new(
        names: Vec<String>,
        kinds: Vec<FeatureKind>,
        trees: Vec<Tree>,
    ) -> std::result::Result<Self, String> {
        if names.len() != kinds.len() {
            return Err(format!(
                "{} feature names for {} kinds",
                names.len(),
                kinds.len()
            ));
        }
        let (mut nodes, mut leaves) = (0usize, 0usize);
        for (t, tree) in trees.iter().enumerate() {
            tree.validate(&kinds)
                .map_err(|e| format!("tree {t}: {e}"))?;
            nodes += tree.nodes.len();
            leaves += tree.leaves.len();
        }
        if nodes >= 1 << 31 || leaves >= 1 << 31 {
            return Err("too many nodes".into());
        }
        let flat = FlatTrees::new(&trees);
        let expected_sum = flat.expected_sum();
        Ok(Self {
            names,
            kinds,
            trees,
            flat,
            expected_sum,
        })
    }

    /// Feature names, in column order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of features a row must have.
    pub(crate) fn n_features(&self) -> usize {
        self.kinds.len()
    }

    /// Number of trees.
    pub(crate) fn n_trees(&self) -> usize {
        self.trees.len()
    }

    /// Sum over trees of the leaf values `row` reaches.
    #[inline]
    pub(crate) fn sum(&self, row: &[f32]) -> f64 {
        self.flat.sum(row)
    }

    /// [`Self::sum`] of every row of `data`, then `finish`ed, in parallel
    /// over blocks of rows (each row's score is computed exactly as alone).
    pub(crate) fn sums(&self, data: &Dataset, finish: impl Fn(f64) -> f64 + Sync) -> Vec<f64> {
        const BLOCK: usize = 2048;
        let mut out = vec![0.0; data.n_rows()];
        out.par_chunks_mut(BLOCK)
            .enumerate()
            .for_each(|(block, chunk)| {
                let mut row = Vec::with_capacity(data.n_features());
                for (i, slot) in chunk.iter_mut().enumerate() {
                    data.row_into(block * BLOCK + i, &mut row);
                    *slot = finish(self.sum(&row));
                }
            });
        out
    }

    /// Cover-weighted expected sum over trees.
    pub(crate) fn expected_sum(&self) -> f64 {
        self.expected_sum
    }

    /// Exact TreeSHAP contributions of every feature, times `scale`.
    pub(crate) fn contributions(&self, row: &[f32], scale: f64) -> Vec<f64> {
        let mut phi = vec![0.0; self.n_features()];
        explainer::add_contributions(&self.flat, row, scale, &mut phi);
        phi
    }

    /// Sum of split gains per feature.
    pub(crate) fn importance_gain(&self) -> Vec<f64> {
        let mut gain = vec![0.0; self.n_features()];
        for node in self.trees.iter().flat_map(|t| &t.nodes) {
            gain[node.feature as usize] += node.gain;
        }
        gain
    }

    /// Whether `data` has this ensemble's features (same count and kinds).
    pub(crate) fn accepts(&self, data: &Dataset) -> bool {
        data.kinds() == self.kinds.as_slice()
    }

    /// `Ok` if `data` has this ensemble's features, else the error to report.
    pub(crate) fn check(&self, data: &Dataset) -> Result<()> {
        if data.n_features() != self.n_features() {
            return Err(ModelError::FeatureCount {
                expected: self.n_features(),
                found: data.n_features(),
            });
        }
        if !self.accepts(data) {
            return Err(ModelError::InvalidData {
                reason: "feature kinds differ from the model's".into(),
            });
        }
        Ok(())
    }
}
