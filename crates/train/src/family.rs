//! The candidates tried for each model family (small hyper-parameter grids,
//! chosen on the validation period only) and how each is fitted.

use serde::Serialize;
use vigie_model::{
    Dataset, Forest, ForestParams, Gbdt, GbdtParams, LinearParams, LinearSvm, LogisticRegression,
    Model, ModelKind, RandomFeatures,
};

use crate::error::Result;

/// How hard to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Search {
    /// One well-tried setting per family (fast: demos, tests).
    Quick,
    /// A small grid per family.
    Grid,
    /// Deliberately small models (a few trees), for tests and smoke runs
    /// only: fast, not good.
    Smoke,
}

/// The parameters of one candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Spec {
    /// Logistic regression.
    Logreg(LinearParams),
    /// Random forest.
    Forest(ForestParams),
    /// Linear SVM.
    Svm(LinearParams),
    /// Gradient-boosted trees.
    Gbdt(GbdtParams),
}

/// One setting to try.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Its family.
    pub kind: ModelKind,
    /// A short description for the report.
    pub label: String,
    /// Its parameters.
    pub spec: Spec,
}

impl Candidate {
    /// The parameters as JSON (for the run tracker and the artifact).
    pub fn params_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.spec).unwrap_or(serde_json::Value::Null)
    }
}

fn gbdt(label: &str, seed: u64, tweak: impl FnOnce(&mut GbdtParams)) -> Candidate {
    let mut p = GbdtParams {
        n_trees: 1_000,
        learning_rate: 0.1,
        max_leaves: 31,
        min_data_in_leaf: 50,
        early_stopping_rounds: Some(50),
        seed,
        ..GbdtParams::default()
    };
    tweak(&mut p);
    Candidate {
        kind: ModelKind::Gbdt,
        label: label.into(),
        spec: Spec::Gbdt(p),
    }
}

fn linear(kind: ModelKind, label: &str, tweak: impl FnOnce(&mut LinearParams)) -> Candidate {
    let mut p = LinearParams::default();
    tweak(&mut p);
    let spec = match kind {
        ModelKind::Svm => Spec::Svm(p),
        _ => Spec::Logreg(p),
    };
    Candidate {
        kind,
        label: label.into(),
        spec,
    }
}

fn forest(label: &str, seed: u64, tweak: impl FnOnce(&mut ForestParams)) -> Candidate {
    let mut p = ForestParams {
        n_trees: 100,
        seed,
        ..ForestParams::default()
    };
    tweak(&mut p);
    Candidate {
        kind: ModelKind::Forest,
        label: label.into(),
        spec: Spec::Forest(p),
    }
}

/// The candidates for `kind`.
pub fn candidates(kind: ModelKind, search: Search, seed: u64) -> Vec<Candidate> {
    let mut list = match kind {
        ModelKind::Gbdt => vec![
            gbdt("lr 0.1, 31 leaves", seed, |_| {}),
            gbdt("lr 0.05, 63 leaves, 80% features", seed, |p| {
                p.learning_rate = 0.05;
                p.max_leaves = 63;
                p.feature_fraction = 0.8;
                p.n_trees = 2_000;
            }),
            gbdt("lr 0.1, 15 leaves, l2 10", seed, |p| {
                p.max_leaves = 15;
                p.lambda_l2 = 10.0;
            }),
        ],
        ModelKind::Forest => vec![
            forest("100 trees, depth 16", seed, |_| {}),
            forest("100 trees, unlimited depth, leaves >= 20", seed, |p| {
                p.max_depth = None;
                p.min_data_in_leaf = 20;
            }),
        ],
        ModelKind::Logreg => vec![
            linear(kind, "l2 1e-6", |_| {}),
            linear(kind, "l2 1e-3", |p| p.l2 = 1e-3),
            linear(kind, "l2 1e-6, balanced classes", |p| {
                p.class_weight = vigie_model::ClassWeight::Balanced;
            }),
            linear(
                kind,
                "random Fourier features 512 (approximate RBF kernel)",
                |p| {
                    p.random_features = Some(RandomFeatures {
                        dims: 512,
                        gamma: 0.02,
                        seed,
                    });
                },
            ),
        ],
        ModelKind::Svm => vec![
            linear(kind, "l2 1e-6", |_| {}),
            linear(kind, "l2 1e-3", |p| p.l2 = 1e-3),
            linear(
                kind,
                "random Fourier features 512 (approximate RBF kernel)",
                |p| {
                    p.random_features = Some(RandomFeatures {
                        dims: 512,
                        gamma: 0.02,
                        seed,
                    });
                },
            ),
        ],
    };
    match search {
        Search::Grid => {}
        Search::Quick => list.truncate(1),
        Search::Smoke => {
            list.truncate(1);
            for c in &mut list {
                match &mut c.spec {
                    Spec::Gbdt(p) => p.n_trees = 40,
                    Spec::Forest(p) => {
                        p.n_trees = 10;
                        p.max_depth = Some(10);
                    }
                    Spec::Logreg(_) | Spec::Svm(_) => {}
                }
                c.label.push_str(" (smoke)");
            }
        }
    }
    list
}

/// Fits a candidate on `fit`; `valid` is used only where the family needs
/// held-out rows during training (early stopping, Platt calibration).
pub fn fit(candidate: &Candidate, fit: &Dataset, valid: &Dataset) -> Result<Model> {
    Ok(match &candidate.spec {
        Spec::Logreg(p) => Model::Logreg(LogisticRegression::fit(fit, p)?),
        Spec::Svm(p) => Model::Svm(LinearSvm::fit(fit, valid, p)?),
        Spec::Forest(p) => Model::Forest(Forest::fit(fit, p)?),
        Spec::Gbdt(p) => Model::Gbdt(Gbdt::fit(fit, Some(valid), p)?),
    })
}
