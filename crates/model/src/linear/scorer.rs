//! The fitted function both models serve: preprocessing, one coefficient per
//! encoded column, an intercept, and optionally random Fourier features with
//! their own coefficients.
//!
//! Invariant (tested): the raw score is computed as
//! `bias + (c_1 + c_2 + ... + c_n)`, summed left to right from 0, where
//! `c_f` is original feature `f`'s contribution; [`Explanation`] reports the
//! same `bias` and `c_f` and sums them the same way, so
//! `bias + sum(contributions) == raw score` holds exactly, not just up to
//! rounding. Scoring one row allocates nothing.

use serde::{Deserialize, Serialize};

use super::fourier::{FourierMap, MAX_DIMS};
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
    /// Random Fourier features, if the model has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fourier: Option<FourierPart>,
}

/// Random Fourier features and their coefficients, with the values scoring
/// derives from them (recomputed when a model is loaded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "FourierPartFile", into = "FourierPartFile")]
pub(crate) struct FourierPart {
    map: FourierMap,
    coefficients: Vec<f64>,
    /// `v_k * sqrt(2 / D)`.
    weights: Vec<f64>,
    /// `cos(b_k)`.
    cos_phase: Vec<f64>,
    /// `sum_k v_k sqrt(2/D) cos(b_k)`: the random part's score at the
    /// training means, moved into the bias.
    bias_shift: f64,
}

/// What a saved model stores of a [`FourierPart`].
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FourierPartFile {
    map: FourierMap,
    coefficients: Vec<f64>,
}

impl From<FourierPartFile> for FourierPart {
    fn from(file: FourierPartFile) -> Self {
        Self::new(file.map, file.coefficients)
    }
}

impl From<FourierPart> for FourierPartFile {
    fn from(part: FourierPart) -> Self {
        Self {
            map: part.map,
            coefficients: part.coefficients,
        }
    }
}

impl FourierPart {
    /// Random features `map` with coefficients `v` (one per feature).
    pub(crate) fn new(map: FourierMap, coefficients: Vec<f64>) -> Self {
        let scale = map.scale();
        let weights: Vec<f64> = coefficients.iter().map(|v| v * scale).collect();
        let cos_phase: Vec<f64> = map.phase.iter().map(|b| b.cos()).collect();
        let bias_shift = weights.iter().zip(&cos_phase).map(|(w, c)| w * c).sum();
        Self {
            map,
            coefficients,
            weights,
            cos_phase,
            bias_shift,
        }
    }
}

impl LinearScorer {
    /// Number of original features a row must have.
    pub(crate) fn n_features(&self) -> usize {
        self.preprocessor.n_features()
    }

    /// The score of a row at the training means: the explanation's bias.
    #[inline]
    pub(crate) fn bias(&self) -> f64 {
        match &self.fourier {
            Some(part) => self.intercept + part.bias_shift,
            None => self.intercept,
        }
    }

    /// Calls `sink` with each original feature's contribution, in feature
    /// order.
    #[inline]
    fn contributions(&self, row: &[f32], mut sink: impl FnMut(f64)) {
        match &self.fourier {
            None => {
                for (&encoding, &x) in self.preprocessor.encodings.iter().zip(row) {
                    sink(encoded(encoding, x).map_or(0.0, |(c, u)| self.linear(c, u)));
                }
            }
            Some(part) => self.contributions_with_random_features(part, row, sink),
        }
    }

    /// [`Self::contributions`] for a model with random features. Kept out of
    /// line: its stack buffer would otherwise slow the linear path.
    #[inline(never)]
    fn contributions_with_random_features(
        &self,
        part: &FourierPart,
        row: &[f32],
        mut sink: impl FnMut(f64),
    ) {
        let encodings = &self.preprocessor.encodings;
        // ratio_k starts as a_k = omega_k . u, then becomes
        // v_k s (cos(a_k + b_k) - cos b_k) / a_k (module `fourier`); feature
        // f's random share is then u_f * sum_k ratio_k omega_k,col(f).
        let mut buffer = [0.0f64; MAX_DIMS];
        let ratio = &mut buffer[..part.map.dims.min(MAX_DIMS)];
        for (&encoding, &x) in encodings.iter().zip(row) {
            if let Some((column, u)) = encoded(encoding, x) {
                for (a, w) in ratio.iter_mut().zip(part.map.column(column)) {
                    *a += u * w;
                }
            }
        }
        for ((a, &weight), (&phase, &cos_phase)) in ratio
            .iter_mut()
            .zip(&part.weights)
            .zip(part.map.phase.iter().zip(&part.cos_phase))
        {
            *a = if *a == 0.0 {
                0.0
            } else {
                weight * ((*a + phase).cos() - cos_phase) / *a
            };
        }
        for (&encoding, &x) in encodings.iter().zip(row) {
            sink(encoded(encoding, x).map_or(0.0, |(column, u)| {
                self.linear(column, u) + u * dot(ratio, part.map.column(column))
            }));
        }
    }

    /// The linear term of encoded column `column` at value `u`.
    #[inline]
    fn linear(&self, column: usize, u: f64) -> f64 {
        self.coefficients.get(column).copied().unwrap_or(0.0) * u
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
        self.contributions(row, |c| sum += c);
        self.bias() + sum
    }

    /// The raw score of one row, or `FeatureCount` if its length is wrong.
    pub(crate) fn try_raw_score(&self, row: &[f32]) -> Result<f64> {
        self.check_row(row.len())?;
        Ok(self.raw_score(row))
    }

    /// The raw score of every row of `data`, identical to [`Self::raw_score`]
    /// row by row (it is the same code).
    pub(crate) fn raw_scores(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.check_dataset(data)?;
        let mut row = Vec::with_capacity(data.n_features());
        Ok((0..data.n_rows())
            .map(|i| {
                data.row_into(i, &mut row);
                self.raw_score(&row)
            })
            .collect())
    }

    /// Per-feature contributions and the score at the training means as
    /// bias.
    ///
    /// # Panics
    /// If `row.len() != self.n_features()`.
    pub(crate) fn explain(&self, row: &[f32], space: ScoreSpace) -> Explanation {
        assert_eq!(
            row.len(),
            self.n_features(),
            "row has the wrong number of features"
        );
        let mut contributions = Vec::with_capacity(row.len());
        self.contributions(row, |c| contributions.push(c));
        Explanation {
            space,
            bias: self.bias(),
            contributions,
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
    /// per encoded column, a finite intercept, a consistent random part.
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
        if let Some(part) = &self.fourier {
            part.map.check(self.preprocessor.width)?;
            let finite = part.coefficients.iter().all(|c| c.is_finite());
            if part.coefficients.len() != part.map.dims || !finite {
                return Err("bad random feature coefficients".to_owned());
            }
        }
        Ok(())
    }
}

/// `a . b` with eight independent partial sums (a plain left-to-right sum
/// cannot be vectorised); a fixed order, so always the same result.
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    const LANES: usize = 8;
    let mut partial = [0.0f64; LANES];
    let (chunks_a, chunks_b) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in chunks_a.zip(chunks_b) {
        for lane in 0..LANES {
            partial[lane] += x[lane] * y[lane];
        }
    }
    partial.iter().sum::<f64>() + tail
}

/// The encoded column a feature value switches on and its value there: the
/// standardised value for a numeric feature, 1 for a known categorical
/// level, nothing for an unknown code.
#[inline]
pub(crate) fn encoded(encoding: Encoding, x: f32) -> Option<(usize, f64)> {
    match encoding {
        Encoding::Numeric {
            low,
            high,
            mean,
            inv_std,
            column,
        } => Some((column, Encoding::standardise(low, high, mean, inv_std, x))),
        Encoding::Categorical {
            levels,
            first_column,
        } => Encoding::level_column(levels, first_column, x).map(|c| (c, 1.0)),
    }
}
