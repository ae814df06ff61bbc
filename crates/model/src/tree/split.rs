//! Best-split search over a leaf's histograms.
//!
//! The score of a set of rows is `G^2 / (H + lambda)` (LightGBM's convention,
//! no factor 1/2) and a split's gain is `score(left) + score(right) -
//! score(parent)`. With gradients `w*y` and hessians `w` and `lambda = 0` this
//! is, for 0/1 labels, exactly the weighted label-variance decrease and half
//! the weighted Gini decrease, so the random forest uses the same search.
//!
//! Categorical features are split LightGBM-style: the levels present in the
//! leaf are sorted by `G / (H + cat_smooth)` and the best prefix of that
//! order goes left (for 0/1 labels and Gini, Breiman proved this finds the
//! best of all `2^(k-1)` partitions). Levels absent from the leaf go right.
//!
//! Invariant: ties are broken by the lowest feature, then the lowest bin or
//! shortest prefix, so the chosen split never depends on thread scheduling.

use rayon::prelude::*;

use super::bins::{BinnedData, FeatureBins};
use super::histogram::{FeatureHistogram, Histogram, Stats};

/// Constraints and regularisation of a split.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SplitRules {
    /// L2 penalty added to the hessian sum.
    pub(crate) lambda_l2: f64,
    /// Fewest rows in a child.
    pub(crate) min_data_in_leaf: u32,
    /// Smallest hessian sum in a child.
    pub(crate) min_sum_hessian: f64,
    /// Smallest gain worth a split.
    pub(crate) min_gain: f64,
    /// Smoothing of the gradient/hessian ratio used to order categories.
    pub(crate) cat_smooth: f64,
}

impl SplitRules {
    /// The score of a set of rows.
    pub(crate) fn score(&self, s: Stats) -> f64 {
        s.grad * s.grad / (s.hess + self.lambda_l2)
    }

    fn admissible(&self, s: Stats) -> bool {
        s.count >= self.min_data_in_leaf && s.hess >= self.min_sum_hessian
    }

    /// Whether a leaf with these totals could be split at all.
    pub(crate) fn can_split(&self, s: Stats) -> bool {
        s.count >= self.min_data_in_leaf.saturating_mul(2).max(2)
            && s.hess >= 2.0 * self.min_sum_hessian
    }
}

/// Which bins go to the left child.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BinDecision {
    /// Bins `<= bin` go left (numeric features).
    UpTo(u8),
    /// Bins whose bit is set go left (categorical features).
    InSet([u64; 4]),
}

impl BinDecision {
    /// Whether a row in `bin` goes left.
    #[inline]
    pub(crate) fn goes_left(&self, bin: u8) -> bool {
        match self {
            Self::UpTo(threshold) => bin <= *threshold,
            Self::InSet(set) => set[usize::from(bin >> 6)] >> (bin & 63) & 1 == 1,
        }
    }
}

/// The best split found for a leaf.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SplitCandidate {
    /// The feature split on.
    pub(crate) feature: usize,
    /// Gain of the split.
    pub(crate) gain: f64,
    /// Which bins go left.
    pub(crate) decision: BinDecision,
    /// Totals of the left child.
    pub(crate) left: Stats,
    /// Totals of the right child.
    pub(crate) right: Stats,
}

/// The best admissible split of a leaf with totals `total` over `features`,
/// or `None` if no split gains more than the rules ask.
pub(crate) fn best_split(
    hist: &Histogram,
    features: &[usize],
    binned: &BinnedData,
    total: Stats,
    rules: &SplitRules,
    parallel: bool,
) -> Option<SplitCandidate> {
    let search = |&f: &usize| best_for_feature(&hist[f], f, &binned.bins[f], total, rules);
    let per_feature: Vec<Option<SplitCandidate>> = if parallel {
        features.par_iter().map(search).collect()
    } else {
        features.iter().map(search).collect()
    };
    let floor = rules.min_gain.max(1e-12 * rules.score(total).abs());
    per_feature
        .into_iter()
        .flatten()
        .filter(|c| c.gain > floor)
        .fold(None, |best: Option<SplitCandidate>, c| match best {
            Some(b) if b.gain >= c.gain => Some(b),
            _ => Some(c),
        })
}

fn best_for_feature(
    hist: &FeatureHistogram,
    feature: usize,
    bins: &FeatureBins,
    total: Stats,
    rules: &SplitRules,
) -> Option<SplitCandidate> {
    let parent = rules.score(total);
    let n_bins = bins.n_bins();
    match bins {
        FeatureBins::Numeric { .. } => {
            let mut left = Stats::default();
            let mut best: Option<(f64, usize, Stats)> = None;
            for (bin, stats) in hist.iter().enumerate().take(n_bins.saturating_sub(1)) {
                left = left.add(*stats);
                let right = total.sub(left);
                if left.count == 0 || !rules.admissible(left) || !rules.admissible(right) {
                    continue;
                }
                let gain = rules.score(left) + rules.score(right) - parent;
                if best.is_none_or(|(g, _, _)| gain > g) {
                    best = Some((gain, bin, left));
                }
            }
            best.map(|(gain, bin, left)| SplitCandidate {
                feature,
                gain,
                decision: BinDecision::UpTo(bin as u8),
                left,
                right: total.sub(left),
            })
        }
        FeatureBins::Categorical { .. } => {
            let mut present: Vec<(f64, usize)> = hist[..n_bins]
                .iter()
                .enumerate()
                .filter(|(_, s)| s.count > 0)
                .map(|(bin, s)| (s.grad / (s.hess + rules.cat_smooth), bin))
                .collect();
            present.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut left = Stats::default();
            let mut best: Option<(f64, usize, Stats)> = None;
            for (k, &(_, bin)) in present
                .iter()
                .enumerate()
                .take(present.len().saturating_sub(1))
            {
                left = left.add(hist[bin]);
                let right = total.sub(left);
                if !rules.admissible(left) || !rules.admissible(right) {
                    continue;
                }
                let gain = rules.score(left) + rules.score(right) - parent;
                if best.is_none_or(|(g, _, _)| gain > g) {
                    best = Some((gain, k + 1, left));
                }
            }
            best.map(|(gain, prefix, left)| {
                let mut set = [0u64; 4];
                for &(_, bin) in &present[..prefix] {
                    set[bin >> 6] |= 1 << (bin & 63);
                }
                SplitCandidate {
                    feature,
                    gain,
                    decision: BinDecision::InSet(set),
                    left,
                    right: total.sub(left),
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::histogram::new_histogram;

    const RULES: SplitRules = SplitRules {
        lambda_l2: 0.0,
        min_data_in_leaf: 1,
        min_sum_hessian: 0.0,
        min_gain: 0.0,
        cat_smooth: 0.0,
    };

    fn stats(grad: f64, count: u32) -> Stats {
        Stats {
            grad,
            hess: f64::from(count),
            count,
        }
    }

    #[test]
    fn numeric_split_separates_positive_from_negative_gradients() {
        let bounds = vec![1.0, 2.0, 3.0, f32::INFINITY];
        let binned = BinnedData::from_columns(
            vec![FeatureBins::Numeric {
                upper_bounds: bounds,
            }],
            vec![vec![]],
        );
        let mut hist = new_histogram(1);
        hist[0][..4].copy_from_slice(&[
            stats(-2.0, 2),
            stats(-1.0, 1),
            stats(3.0, 3),
            stats(0.0, 1),
        ]);
        let total = hist[0].iter().fold(Stats::default(), |a, s| a.add(*s));
        let best = best_split(&hist, &[0], &binned, total, &RULES, false).unwrap();
        assert_eq!(best.decision, BinDecision::UpTo(1));
        assert_eq!(best.left.count, 3);
        let strict = SplitRules {
            min_data_in_leaf: 5,
            ..RULES
        };
        assert!(best_split(&hist, &[0], &binned, total, &strict, false).is_none());
    }

    #[test]
    fn categorical_split_groups_levels_by_ratio_whatever_their_codes() {
        let binned =
            BinnedData::from_columns(vec![FeatureBins::Categorical { levels: 70 }], vec![vec![]]);
        let mut hist = new_histogram(1);
        hist[0][3] = stats(5.0, 5);
        hist[0][7] = stats(-4.0, 4);
        hist[0][65] = stats(6.0, 6);
        hist[0][10] = stats(-1.0, 1);
        let total = hist[0].iter().fold(Stats::default(), |a, s| a.add(*s));
        let best = best_split(&hist, &[0], &binned, total, &RULES, true).unwrap();
        let left: Vec<u8> = (0..70).filter(|&b| best.decision.goes_left(b)).collect();
        assert_eq!(left, vec![7, 10]);
        assert_eq!(best.right.count, 11);
    }
}
