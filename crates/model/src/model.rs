//! The four model families behind one closed enum: one `match` per
//! operation, so adding a family touches this file and its own module.

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{ModelError, Result};
use crate::linear::{LinearSvm, LogisticRegression};
use crate::tree::{Forest, Gbdt};
use crate::{Explanation, ScoreSpace};

/// A model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// L2-regularised logistic regression.
    Logreg,
    /// Random forest.
    Forest,
    /// Linear SVM (squared hinge) with Platt-calibrated probabilities.
    Svm,
    /// Histogram gradient-boosted trees.
    Gbdt,
}

impl ModelKind {
    /// Every family, in report order.
    pub const ALL: [ModelKind; 4] = [Self::Logreg, Self::Forest, Self::Svm, Self::Gbdt];

    /// The short name used on the command line and in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Logreg => "logreg",
            Self::Forest => "forest",
            Self::Svm => "svm",
            Self::Gbdt => "gbdt",
        }
    }

    /// Parses a short name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A trained model of any family.
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    /// Logistic regression.
    Logreg(LogisticRegression),
    /// Random forest.
    Forest(Forest),
    /// Linear SVM.
    Svm(LinearSvm),
    /// Gradient-boosted trees.
    Gbdt(Gbdt),
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Model {
    /// Its family.
    pub fn kind(&self) -> ModelKind {
        match self {
            Self::Logreg(_) => ModelKind::Logreg,
            Self::Forest(_) => ModelKind::Forest,
            Self::Svm(_) => ModelKind::Svm,
            Self::Gbdt(_) => ModelKind::Gbdt,
        }
    }

    /// Feature names, in the order rows must follow.
    pub fn feature_names(&self) -> &[String] {
        match self {
            Self::Logreg(m) => m.feature_names(),
            Self::Forest(m) => m.feature_names(),
            Self::Svm(m) => m.feature_names(),
            Self::Gbdt(m) => m.feature_names(),
        }
    }

    /// Number of features a row must have.
    pub fn n_features(&self) -> usize {
        self.feature_names().len()
    }

    /// What the raw score means.
    pub fn space(&self) -> ScoreSpace {
        match self {
            Self::Logreg(m) => m.space(),
            Self::Forest(m) => m.space(),
            Self::Svm(m) => m.space(),
            Self::Gbdt(m) => m.space(),
        }
    }

    /// The raw score of one row (see [`Self::space`]). The row must have
    /// [`Self::n_features`] values in the model's order.
    #[inline]
    pub fn raw_score(&self, row: &[f32]) -> f64 {
        match self {
            Self::Logreg(m) => m.raw_score(row),
            Self::Forest(m) => m.raw_score(row),
            Self::Svm(m) => m.raw_score(row),
            Self::Gbdt(m) => m.raw_score(row),
        }
    }

    /// The probability of fraud of one row.
    #[inline]
    pub fn predict_proba(&self, row: &[f32]) -> f64 {
        match self {
            Self::Logreg(m) => m.predict_proba(row),
            Self::Forest(m) => m.predict_proba(row),
            Self::Svm(m) => m.predict_proba(row),
            Self::Gbdt(m) => m.predict_proba(row),
        }
    }

    /// The probability of fraud of every row of `data` (in parallel where
    /// the family supports it; equal to [`Self::predict_proba`] row by row).
    pub fn predict_probas(&self, data: &Dataset) -> Result<Vec<f64>> {
        match self {
            Self::Logreg(m) => m.predict_probas(data),
            Self::Forest(m) => m.try_raw_scores(data),
            Self::Svm(m) => m.predict_probas(data),
            Self::Gbdt(m) => Ok(m.try_raw_scores(data)?.into_iter().map(sigmoid).collect()),
        }
    }

    /// Why one row got its raw score: contributions that add up to it.
    pub fn explain(&self, row: &[f32]) -> Explanation {
        match self {
            Self::Logreg(m) => m.explain(row),
            Self::Forest(m) => m.explain(row),
            Self::Svm(m) => m.explain(row),
            Self::Gbdt(m) => m.explain(row),
        }
    }

    /// Per-iteration training curves, by name (for the run tracker).
    pub fn curves(&self) -> Vec<(String, Vec<f64>)> {
        match self {
            Self::Logreg(m) => vec![("train_objective".into(), m.curve().to_vec())],
            Self::Svm(m) => vec![("train_objective".into(), m.curve().to_vec())],
            Self::Forest(_) => Vec::new(),
            Self::Gbdt(m) => vec![
                ("train_logloss".into(), m.curves().train_logloss.clone()),
                ("valid_logloss".into(), m.curves().valid_logloss.clone()),
            ],
        }
    }

    /// The model as JSON (its family's own format).
    pub fn to_json(&self) -> Result<Vec<u8>> {
        let encode = |e: std::io::Error| ModelError::Decode {
            reason: format!("cannot encode: {e}"),
        };
        match self {
            Self::Logreg(m) => m.to_json(),
            Self::Svm(m) => m.to_json(),
            Self::Forest(m) => {
                let mut out = Vec::new();
                m.save(&mut out).map_err(encode)?;
                Ok(out)
            }
            Self::Gbdt(m) => {
                let mut out = Vec::new();
                m.save(&mut out).map_err(encode)?;
                Ok(out)
            }
        }
    }

    /// Reads a model of family `kind` written by [`Self::to_json`],
    /// validating it (a damaged model is [`ModelError::Decode`]).
    pub fn from_json(kind: ModelKind, bytes: &[u8]) -> Result<Self> {
        Ok(match kind {
            ModelKind::Logreg => Self::Logreg(LogisticRegression::from_json(bytes)?),
            ModelKind::Svm => Self::Svm(LinearSvm::from_json(bytes)?),
            ModelKind::Forest => Self::Forest(Forest::load(bytes)?),
            ModelKind::Gbdt => Self::Gbdt(Gbdt::load(bytes)?),
        })
    }
}
