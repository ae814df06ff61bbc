//! The fitted linear function both models serve: preprocessing, one
//! coefficient per encoded column, an intercept.
//!
//! Invariant (tested): the raw score is computed as
//! `intercept + (c_1 + c_2 + ... + c_n)`, summed left to right from 0,
//! where `c_f` is original feature `f`'s contribution; [`Explanation`]
//! reports the same `c_f` and sums them the same way, so
//! `bias + sum(contributions) == raw score` holds exactly, not just up to
//! rounding. Scoring one row allocates nothing.

use serde::{Deserialize, Serialize};

use super::preprocess::{Encoding, Preprocessor};
use crate::dataset::Dataset;
use crate::error::{ModelError, Result};
use crate::{Explanation, ScoreSpace};

/// A preprocessed linear function of the original features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LinearScorer {
    /// The fitted preprocessing.
    pub preprocessor: Preprocessor,
    /// One coefficient per encoded column.
    pub coefficients: Vec<f64>,
    /// The intercept (not penalised in training).
    pub intercept: f64,
}

impl LinearScorer {
    /// Number of original features a row must have.
    pub(crate) fn n_features(&self) -> usize {
        self.preprocessor.n_features()
    }

    /// Feature `f`'s contribution for value `x`: coefficient times
    /// standardised value (numeric), or the coefficient of the active level
    /// (categorical; 0 for an unknown code).
    #[inline]
    fn contribution(&self, encoding: Encoding, x: f32) -> f64 {
        match encoding {
            Encoding::Numeric {
                low,
                high,
                mean,
                inv_std,
                column,
            } => {
                let w = self.coefficients.get(column).copied().unwrap_or(0.0);
                w * Encoding::standardise(low, high, mean, inv_std, x)
            }
            Encoding::Categorical {
                levels,
                first_column,
            } => Encoding::level_column(levels, first_column, x)
                .and_then(|c| self.coefficients.get(c).copied())
                .unwrap_or(0.0),
        }
    }

    /// The raw score of one row.
    ///
    /// # Panics
    /// If `row.len() != self.n_features()`.
    #[inline]
    pub(crate) fn raw_score(&self, row: &[f32]) -> f64 {
        assert_eq!(
            row.len(),
            self.n_features(),
            "row has the wrong number of features"
        );
        let mut sum = 0.0;
        for (&encoding, &x) in self.preprocessor.encodings.iter().zip(row) {
            sum += self.contribution(encoding, x);
        }
        self.intercept + sum
    }

    /// The raw score of one row, or `FeatureCount` if its length is wrong.
    pub(crate) fn try_raw_score(&self, row: &[f32]) -> Result<f64> {
        self.check_row(row.len())?;
        Ok(self.raw_score(row))
    }

    /// The raw score of every row of `data`, identical to [`Self::raw_score`]
    /// row by row (same additions in the same order).
    pub(crate) fn raw_scores(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.check_dataset(data)?;
        let mut sums = vec![0.0; data.n_rows()];
        for (f, &encoding) in self.preprocessor.encodings.iter().enumerate() {
            for (sum, &x) in sums.iter_mut().zip(data.column(f)) {
                *sum += self.contribution(encoding, x);
            }
        }
        Ok(sums.into_iter().map(|s| self.intercept + s).collect())
    }

    /// Per-feature contributions and the intercept as bias.
    ///
    /// # Panics
    /// If `row.len() != self.n_features()`.
    pub(crate) fn explain(&self, row: &[f32], space: ScoreSpace) -> Explanation {
        assert_eq!(
            row.len(),
            self.n_features(),
            "row has the wrong number of features"
        );
        Explanation {
            space,
            bias: self.intercept,
            contributions: self
                .preprocessor
                .encodings
                .iter()
                .zip(row)
                .map(|(&encoding, &x)| self.contribution(encoding, x))
                .collect(),
        }
    }

    /// `FeatureCount` unless a row of `found` features fits.
    pub(crate) fn check_row(&self, found: usize) -> Result<()> {
        if found == self.n_features() {
            Ok(())
        } else {
            Err(ModelError::FeatureCount {
                expected: self.n_features(),
                found,
            })
        }
    }

    /// Checks that `data` has this model's features: same names, same
    /// kinds, same order.
    pub(crate) fn check_dataset(&self, data: &Dataset) -> Result<()> {
        self.check_row(data.n_features())?;
        let same = data.names() == self.preprocessor.names.as_slice()
            && data.kinds() == self.preprocessor.kinds.as_slice();
        if !same {
            return Err(ModelError::InvalidData {
                reason: "feature names or kinds differ from the model's".to_owned(),
            });
        }
        Ok(())
    }

    /// Checks a decoded scorer: a valid preprocessor, one finite coefficient
    /// per encoded column, a finite intercept.
    pub(crate) fn check(&self) -> std::result::Result<(), String> {
        self.preprocessor.check()?;
        if self.coefficients.len() != self.preprocessor.width {
            return Err(format!(
                "{} coefficients for {} encoded columns",
                self.coefficients.len(),
                self.preprocessor.width
            ));
        }
        if !self.intercept.is_finite() || self.coefficients.iter().any(|c| !c.is_finite()) {
            return Err("a coefficient is not finite".to_owned());
        }
        Ok(())
    }
}
