//! The preprocessing both linear models share, fitted on the training set
//! only and stored in the model: numeric features are clipped to training
//! quantiles then standardised; categorical features are one-hot encoded.
//!
//! Choices, and why:
//! - Clipping to the `q` / `1 - q` training quantiles (default 0.1 % /
//!   99.9 %) bounds what a heavy tail (amounts, counts, ratios) can do to a
//!   dot product, at training and at serving time, without assuming a
//!   distribution. A signed log would also tame the tails, but it changes
//!   the shape the model sees; the feature engine already offers log
//!   features where the log is the better scale, so this stage does not
//!   guess.
//! - When the quantiles coincide (a rare indicator: 99.95 % zeros) clipping
//!   would erase the feature, so the full training range is used instead.
//! - Standardisation uses the mean and population standard deviation of the
//!   clipped training values; a constant feature gets a scale of 0 and so no
//!   weight.
//! - A categorical code gets its own coefficient (all levels kept: the L2
//!   penalty makes the solution unique). A code outside the training levels
//!   contributes 0, like an all-zero one-hot row.
//!
//! Coefficient layout: numeric features first, in feature order, then each
//! categorical feature's block of `levels` coefficients.

use serde::{Deserialize, Serialize};

use super::parallel::map_tasks;
use crate::dataset::{Dataset, FeatureKind};

/// How one original feature maps to coefficients.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub(crate) enum Encoding {
    /// Clipped to `[low, high]`, then `(x - mean) * inv_std`, times the
    /// coefficient at `column`.
    Numeric {
        /// Lower clipping bound.
        low: f32,
        /// Upper clipping bound.
        high: f32,
        /// Mean of the clipped training values.
        mean: f64,
        /// 1 / standard deviation of the clipped training values (0 for a
        /// constant feature).
        inv_std: f64,
        /// Index of the coefficient.
        column: usize,
    },
    /// Code `c` selects the coefficient at `first_column + c`.
    Categorical {
        /// Number of codes.
        levels: u16,
        /// Index of the coefficient of code 0.
        first_column: usize,
    },
}

impl Encoding {
    /// The standardised value of a numeric feature.
    #[inline]
    pub(crate) fn standardise(low: f32, high: f32, mean: f64, inv_std: f64, x: f32) -> f64 {
        (f64::from(x.clamp(low, high)) - mean) * inv_std
    }

    /// The coefficient index a categorical code selects, if it is a known
    /// level (an exact integer in `0..levels`).
    #[inline]
    pub(crate) fn level_column(levels: u16, first_column: usize, x: f32) -> Option<usize> {
        let code = x as usize; // saturating: NaN and negatives become 0
        (code < usize::from(levels) && code as f32 == x).then(|| first_column + code)
    }
}

/// The fitted preprocessing of every feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Preprocessor {
    /// Feature names, in dataset order.
    pub names: Vec<String>,
    /// Feature kinds, in dataset order.
    pub kinds: Vec<FeatureKind>,
    /// One encoding per feature, in dataset order.
    pub encodings: Vec<Encoding>,
    /// Number of coefficients (numeric features + all categorical levels).
    pub width: usize,
}

impl Preprocessor {
    /// Fits the clipping bounds, means and scales on `train`.
    pub(crate) fn fit(train: &Dataset, clip_quantile: f64, threads: usize) -> Self {
        let kinds = train.kinds().to_vec();
        let numeric: Vec<usize> = (0..kinds.len())
            .filter(|&f| kinds[f] == FeatureKind::Numeric)
            .collect();
        let stats = map_tasks(numeric.len(), threads, |i| {
            NumericStats::fit(train.column(numeric[i]), clip_quantile)
        });
        let mut stats = stats.into_iter();
        let mut encodings = Vec::with_capacity(kinds.len());
        let mut next_numeric = 0;
        let mut next_categorical = numeric.len();
        for kind in &kinds {
            match *kind {
                FeatureKind::Numeric => {
                    let s = stats.next().unwrap_or(NumericStats::CONSTANT);
                    encodings.push(Encoding::Numeric {
                        low: s.low,
                        high: s.high,
                        mean: s.mean,
                        inv_std: s.inv_std,
                        column: next_numeric,
                    });
                    next_numeric += 1;
                }
                FeatureKind::Categorical { levels } => {
                    encodings.push(Encoding::Categorical {
                        levels,
                        first_column: next_categorical,
                    });
                    next_categorical += usize::from(levels);
                }
            }
        }
        Self {
            names: train.names().to_vec(),
            kinds,
            encodings,
            width: next_categorical,
        }
    }

    /// Number of original features.
    pub(crate) fn n_features(&self) -> usize {
        self.encodings.len()
    }

    /// Checks a decoded preprocessor: one name, kind and encoding per
    /// feature, encodings matching kinds, finite ordered bounds, and
    /// coefficient indices that tile `0..width` exactly.
    pub(crate) fn check(&self) -> Result<(), String> {
        let n = self.encodings.len();
        if self.names.len() != n || self.kinds.len() != n {
            return Err(format!(
                "{} names, {} kinds, {} encodings",
                self.names.len(),
                self.kinds.len(),
                n
            ));
        }
        let mut covered = vec![false; self.width];
        let mut claim = |column: usize, feature: usize| -> Result<(), String> {
            match covered.get_mut(column) {
                Some(seen) if !*seen => {
                    *seen = true;
                    Ok(())
                }
                _ => Err(format!("feature {feature}: bad coefficient index {column}")),
            }
        };
        for (f, (encoding, kind)) in self.encodings.iter().zip(&self.kinds).enumerate() {
            match (*encoding, *kind) {
                (
                    Encoding::Numeric {
                        low,
                        high,
                        mean,
                        inv_std,
                        column,
                    },
                    FeatureKind::Numeric,
                ) => {
                    let finite = low.is_finite() && high.is_finite() && mean.is_finite();
                    if !finite || low > high || !inv_std.is_finite() || inv_std < 0.0 {
                        return Err(format!("feature {f}: bad numeric scaling"));
                    }
                    claim(column, f)?;
                }
                (
                    Encoding::Categorical {
                        levels,
                        first_column,
                    },
                    FeatureKind::Categorical {
                        levels: kind_levels,
                    },
                ) if levels == kind_levels => {
                    for level in 0..usize::from(levels) {
                        claim(first_column.saturating_add(level), f)?;
                    }
                }
                _ => return Err(format!("feature {f}: encoding does not match its kind")),
            }
        }
        if covered.iter().any(|c| !c) {
            return Err("some coefficients belong to no feature".to_owned());
        }
        Ok(())
    }
}

/// Clipping bounds and scale of one numeric feature.
#[derive(Debug, Clone, Copy)]
struct NumericStats {
    low: f32,
    high: f32,
    mean: f64,
    inv_std: f64,
}

impl NumericStats {
    const CONSTANT: Self = Self {
        low: 0.0,
        high: 0.0,
        mean: 0.0,
        inv_std: 0.0,
    };

    /// Bounds are the values of 0-based rank `floor(q (n-1))` and
    /// `ceil((1-q) (n-1))` in sorted order; if they coincide, the minimum and
    /// maximum.
    fn fit(column: &[f32], q: f64) -> Self {
        if column.is_empty() {
            return Self::CONSTANT;
        }
        let mut sorted = column.to_vec();
        let last = (sorted.len() - 1) as f64;
        let mut low = select(&mut sorted, (q * last).floor() as usize);
        let mut high = select(&mut sorted, ((1.0 - q) * last).ceil() as usize);
        if low == high {
            low = select(&mut sorted, 0);
            high = select(&mut sorted, usize::MAX);
        }
        if low == high {
            return Self {
                low,
                high,
                mean: f64::from(low),
                inv_std: 0.0,
            };
        }
        let n = column.len() as f64;
        let clipped = || column.iter().map(|&x| f64::from(x.clamp(low, high)));
        let mean = clipped().sum::<f64>() / n;
        let variance = clipped().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        let inv_std = if variance > 0.0 {
            1.0 / variance.sqrt()
        } else {
            0.0
        };
        Self {
            low,
            high,
            mean,
            inv_std,
        }
    }
}

/// The value of 0-based rank `rank` (capped at the last) in sorted order
/// (reorders `values`).
fn select(values: &mut [f32], rank: usize) -> f32 {
    let rank = rank.min(values.len() - 1);
    *values.select_nth_unstable_by(rank, f32::total_cmp).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_to_quantiles_and_standardises() {
        let column: Vec<f32> = (0..1001).map(|i| i as f32).collect();
        let s = NumericStats::fit(&column, 0.01);
        assert_eq!((s.low, s.high), (10.0, 990.0));
        assert!((s.mean - 500.0).abs() < 1e-9);
        let clipped: Vec<f64> = column
            .iter()
            .map(|&x| f64::from(x.clamp(10.0, 990.0)))
            .collect();
        let var = clipped.iter().map(|x| (x - 500.0).powi(2)).sum::<f64>() / 1001.0;
        assert!((s.inv_std - 1.0 / var.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn a_rare_indicator_survives_clipping_and_a_constant_gets_no_scale() {
        let mut rare = vec![0.0f32; 10_000];
        rare[17] = 1.0;
        let s = NumericStats::fit(&rare, 0.001);
        assert_eq!((s.low, s.high), (0.0, 1.0));
        assert!(s.inv_std > 0.0);
        let constant = NumericStats::fit(&[3.5; 100], 0.001);
        assert_eq!(constant.inv_std, 0.0);
    }

    #[test]
    fn unknown_categorical_codes_select_nothing() {
        assert_eq!(Encoding::level_column(3, 10, 2.0), Some(12));
        for x in [3.0, -1.0, 0.5, f32::NAN, f32::INFINITY] {
            assert_eq!(Encoding::level_column(3, 10, x), None, "{x}");
        }
    }
}
