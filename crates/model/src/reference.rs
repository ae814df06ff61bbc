//! Reference distributions: how a feature (or the score) was distributed on
//! the data a model was trained on, as quantile bins. Drift monitoring
//! compares live traffic with them (population stability index).

use serde::{Deserialize, Serialize};

/// A distribution summarised by bin edges and the share of values per bin.
/// Bin `i` holds `edges[i-1] < x <= edges[i]` (first bin: `x <= edges[0]`,
/// last: `x > edges[last]`), so there are `edges.len() + 1` shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Inner bin edges, increasing, distinct.
    pub edges: Vec<f64>,
    /// Share of the reference values in each bin (sums to 1).
    pub shares: Vec<f64>,
}

impl Histogram {
    /// Quantile bins of `values` (at most `bins` bins; fewer when values
    /// repeat, e.g. a flag has two).
    pub fn quantiles(values: &[f64], bins: usize) -> Self {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let mut edges: Vec<f64> = Vec::new();
        if !sorted.is_empty() {
            for i in 1..bins.max(1) {
                let q = sorted[(i * sorted.len() / bins).min(sorted.len() - 1)];
                if edges.last().is_none_or(|&last| q > last) && q < sorted[sorted.len() - 1] {
                    edges.push(q);
                }
            }
        }
        let shares = Self::shares_of(&edges, &sorted);
        Self { edges, shares }
    }

    /// The bin of `x`.
    pub fn bin(&self, x: f64) -> usize {
        self.edges.partition_point(|&e| e < x)
    }

    /// The share of `values` in each of this histogram's bins.
    pub fn shares(&self, values: &[f64]) -> Vec<f64> {
        let mut sorted: Vec<f64> = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Self::shares_of(&self.edges, &sorted)
    }

    fn shares_of(edges: &[f64], sorted: &[f64]) -> Vec<f64> {
        let mut counts = vec![0u64; edges.len() + 1];
        for &x in sorted {
            counts[edges.partition_point(|&e| e < x)] += 1;
        }
        let total = sorted.len().max(1) as f64;
        counts.into_iter().map(|c| c as f64 / total).collect()
    }
}

/// Reference distributions of every model input and of the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// One histogram per model feature, in the model's feature order.
    pub features: Vec<Histogram>,
    /// The distribution of the model's probability.
    pub score: Histogram,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_bins_split_evenly_and_collapse_repeats() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        let h = Histogram::quantiles(&values, 10);
        assert_eq!(h.edges.len(), 9);
        assert!(
            h.shares.iter().all(|s| (s - 0.1).abs() < 0.002),
            "{:?}",
            h.shares
        );
        assert!((h.shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let flags: Vec<f64> = (0..100).map(|i| f64::from(i % 4 == 0)).collect();
        let f = Histogram::quantiles(&flags, 10);
        assert_eq!(f.edges, vec![0.0]);
        assert_eq!(f.shares, vec![0.75, 0.25]);
        assert_eq!(f.bin(0.0), 0);
        assert_eq!(f.bin(1.0), 1);
        assert_eq!(f.shares(&[1.0, 1.0]), vec![0.0, 1.0]);
    }
}
