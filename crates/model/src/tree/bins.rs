//! Feature binning: every feature value is mapped once to a `u8` bin code,
//! and training works on those codes only.
//!
//! Invariants:
//! - a numeric feature's bin `b` holds the values `v` with
//!   `upper_bounds[b - 1] < v <= upper_bounds[b]`; the last bound is `+inf`.
//!   So "bin <= b goes left" during training is exactly "raw value <=
//!   upper_bounds[b] goes left" at prediction: a tree trained on bins is
//!   evaluated on raw values with no binning and no disagreement;
//! - bounds are quantiles of a deterministic, evenly spaced sample of rows,
//!   placed halfway between consecutive distinct sample values;
//! - a categorical feature has one bin per level: bin code = level code.

use rayon::prelude::*;

use crate::dataset::{Dataset, FeatureKind};
use crate::error::{ModelError, Result};

/// The most bins a feature may have (codes are `u8`).
pub(crate) const MAX_BINS: usize = 256;

/// How one feature's values map to bins.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FeatureBins {
    /// Ordered values cut at ascending upper bounds (the last is `+inf`).
    Numeric {
        /// Upper bound (inclusive) of each bin.
        upper_bounds: Vec<f32>,
    },
    /// One bin per level.
    Categorical {
        /// Number of levels.
        levels: usize,
    },
}

impl FeatureBins {
    /// Number of bins.
    pub(crate) fn n_bins(&self) -> usize {
        match self {
            Self::Numeric { upper_bounds } => upper_bounds.len(),
            Self::Categorical { levels } => *levels,
        }
    }

    /// The bin of a (finite) value.
    pub(crate) fn bin(&self, value: f32) -> u8 {
        let bin = match self {
            Self::Numeric { upper_bounds } => upper_bounds.partition_point(|&ub| ub < value),
            // Dataset::new guarantees integer codes below `levels`.
            Self::Categorical { .. } => value as usize,
        };
        bin.min(MAX_BINS - 1) as u8
    }

    /// The raw threshold equivalent to "bin <= `bin` goes left" (numeric
    /// features only; `bin` is never the last bin for a useful split).
    pub(crate) fn threshold(&self, bin: usize) -> f32 {
        match self {
            Self::Numeric { upper_bounds } => upper_bounds[bin],
            Self::Categorical { .. } => f32::NAN,
        }
    }

    /// Computes the bins of one feature from a sample of its values.
    fn fit(kind: FeatureKind, sample: &mut [f32], max_bins: usize) -> Result<Self> {
        match kind {
            FeatureKind::Categorical { levels } => {
                let levels = usize::from(levels);
                if levels > MAX_BINS {
                    return Err(ModelError::InvalidData {
                        reason: format!(
                            "a categorical feature has {levels} levels; trees take at most {MAX_BINS}"
                        ),
                    });
                }
                Ok(Self::Categorical { levels })
            }
            FeatureKind::Numeric => Ok(Self::Numeric {
                upper_bounds: quantile_upper_bounds(sample, max_bins),
            }),
        }
    }
}

/// Upper bounds of at most `max_bins` bins holding about the same number of
/// sample values each; a value repeated more than a bin's share gets its own
/// bin.
fn quantile_upper_bounds(sample: &mut [f32], max_bins: usize) -> Vec<f32> {
    sample.sort_unstable_by(f32::total_cmp);
    let mut distinct: Vec<(f32, usize)> = Vec::new();
    for &v in sample.iter() {
        match distinct.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let mut bounds = Vec::new();
    let mut rest = sample.len() as f64;
    let mut bins_left = max_bins.max(1);
    let mut in_bin = 0usize;
    for pair in distinct.windows(2) {
        if bins_left == 1 {
            break;
        }
        let (value, count) = pair[0];
        in_bin += count;
        let cut = if distinct.len() <= max_bins {
            true
        } else {
            in_bin as f64 >= rest / bins_left as f64
        };
        if cut {
            bounds.push(midpoint(value, pair[1].0));
            rest -= in_bin as f64;
            bins_left -= 1;
            in_bin = 0;
        }
    }
    bounds.push(f32::INFINITY);
    bounds
}

/// A value `m` with `low <= m < high`, halfway if `f32` allows.
fn midpoint(low: f32, high: f32) -> f32 {
    let mid = ((f64::from(low) + f64::from(high)) / 2.0) as f32;
    if mid >= high { low } else { mid }
}

/// A dataset's features as bin codes, column-major.
#[derive(Debug, Clone)]
pub(crate) struct BinnedData {
    /// How each feature was binned.
    pub(crate) bins: Vec<FeatureBins>,
    /// One bin code per row, per feature.
    pub(crate) columns: Vec<Vec<u8>>,
    /// The same codes row-major: row `r`'s codes at `r * n_features..`.
    pub(crate) row_major: Vec<u8>,
}

impl BinnedData {
    /// Bins every feature of `data`; numeric bounds come from at most
    /// `sample_rows` evenly spaced rows.
    pub(crate) fn build(data: &Dataset, max_bins: usize, sample_rows: usize) -> Result<Self> {
        let n = data.n_rows();
        let sample_rows = sample_rows.clamp(1, n.max(1));
        let picks: Vec<usize> = (0..sample_rows.min(n))
            .map(|i| i * n / sample_rows)
            .collect();
        let bins = (0..data.n_features())
            .into_par_iter()
            .map(|f| {
                let column = data.column(f);
                let mut sample: Vec<f32> = picks.iter().map(|&r| column[r]).collect();
                FeatureBins::fit(data.kinds()[f], &mut sample, max_bins)
            })
            .collect::<Result<Vec<_>>>()?;
        let columns = bins
            .par_iter()
            .enumerate()
            .map(|(f, b)| data.column(f).iter().map(|&v| b.bin(v)).collect())
            .collect();
        Ok(Self::from_columns(bins, columns))
    }

    /// Assembles binned data from bin codes already computed per column.
    pub(crate) fn from_columns(bins: Vec<FeatureBins>, columns: Vec<Vec<u8>>) -> Self {
        let width = columns.len();
        let n_rows = columns.first().map_or(0, Vec::len);
        let mut row_major = vec![0u8; n_rows * width];
        row_major
            .par_chunks_mut(width.max(1) * 4096)
            .enumerate()
            .for_each(|(block, chunk)| {
                for (i, codes) in chunk.chunks_mut(width.max(1)).enumerate() {
                    let row = block * 4096 + i;
                    for (code, column) in codes.iter_mut().zip(&columns) {
                        *code = column[row];
                    }
                }
            });
        Self {
            bins,
            columns,
            row_major,
        }
    }

    /// Number of features.
    pub(crate) fn n_features(&self) -> usize {
        self.bins.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_get_one_bin_each_and_bounds_sit_between() {
        let mut values = vec![3.0, 1.0, 2.0, 2.0, 1.0];
        let bounds = quantile_upper_bounds(&mut values, 255);
        assert_eq!(bounds, vec![1.5, 2.5, f32::INFINITY]);
        let bins = FeatureBins::Numeric {
            upper_bounds: bounds,
        };
        assert_eq!(
            [1.0, 1.5, 1.6, 2.0, 3.0, 99.0].map(|v| bins.bin(v)),
            [0, 0, 1, 1, 2, 2]
        );
    }

    #[test]
    fn many_values_are_cut_into_at_most_max_bins_of_similar_size() {
        let mut values: Vec<f32> = (0..10_000).map(|i| (i as f32).sqrt()).collect();
        let bounds = quantile_upper_bounds(&mut values.clone(), 16);
        assert_eq!(bounds.len(), 16);
        let bins = FeatureBins::Numeric {
            upper_bounds: bounds,
        };
        let mut counts = [0usize; 16];
        for v in &mut values {
            counts[usize::from(bins.bin(*v))] += 1;
        }
        assert!(
            counts.iter().all(|&c| (500..760).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn a_heavy_value_gets_its_own_bin() {
        let mut values: Vec<f32> = (0..1000)
            .map(|i| if i < 600 { 0.0 } else { i as f32 })
            .collect();
        let bounds = quantile_upper_bounds(&mut values, 8);
        assert!(bounds.len() <= 8);
        assert!(bounds[0] > 0.0 && bounds[0] < 600.0, "{bounds:?}");
    }

    #[test]
    fn bin_and_threshold_agree_on_every_value() {
        let mut values: Vec<f32> = (0..3000)
            .map(|i| ((i * 7919) % 1013) as f32 * 0.37 - 50.0)
            .collect();
        let bins = FeatureBins::Numeric {
            upper_bounds: quantile_upper_bounds(&mut values.clone(), 32),
        };
        values.extend([-1e30, 1e30, f32::MIN_POSITIVE, -0.0]);
        for b in 0..bins.n_bins() - 1 {
            let t = bins.threshold(b);
            for &v in &values {
                assert_eq!(usize::from(bins.bin(v)) <= b, v <= t, "value {v} bin {b}");
            }
        }
    }

    #[test]
    fn categorical_levels_map_to_their_code_and_too_many_levels_are_refused() {
        let mut none: Vec<f32> = Vec::new();
        let bins =
            FeatureBins::fit(FeatureKind::Categorical { levels: 14 }, &mut none, 255).unwrap();
        assert_eq!((bins.n_bins(), bins.bin(13.0)), (14, 13));
        assert!(
            FeatureBins::fit(FeatureKind::Categorical { levels: 300 }, &mut none, 255).is_err()
        );
    }
}
