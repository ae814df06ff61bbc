//! Gradient histograms: per feature and bin, the sums of gradients and
//! hessians and the row count of the rows of one leaf.
//!
//! Invariants: a feature's histogram always has [`MAX_BINS`] slots (so a `u8`
//! bin code indexes it without bounds checks); each feature is filled by one
//! thread, in row order, so sums are bit-identical whatever the number of
//! threads; a sibling's histogram is its parent's minus the other child's.

use rayon::prelude::*;

use super::bins::{BinnedData, MAX_BINS};

/// Sums over a set of rows: gradients, hessians (both widened to `f64`) and
/// the number of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Stats {
    /// Sum of gradients.
    pub(crate) grad: f64,
    /// Sum of hessians.
    pub(crate) hess: f64,
    /// Number of rows.
    pub(crate) count: u32,
}

impl Stats {
    /// `self + other`.
    pub(crate) fn add(self, other: Self) -> Self {
        Self {
            grad: self.grad + other.grad,
            hess: self.hess + other.hess,
            count: self.count + other.count,
        }
    }

    /// `self - other` (`other` is a subset of `self`'s rows).
    pub(crate) fn sub(self, other: Self) -> Self {
        Self {
            grad: self.grad - other.grad,
            hess: self.hess - other.hess,
            count: self.count.saturating_sub(other.count),
        }
    }

    /// Sums of `grad`/`hess` over `rows` (or all rows), in row order within
    /// fixed blocks: the same bits whatever the thread count.
    pub(crate) fn of_rows(rows: Option<&[u32]>, grad: &[f32], hess: &[f32]) -> Self {
        const BLOCK: usize = 1 << 16;
        let block_sum = |range: std::ops::Range<usize>| -> Self {
            let mut s = Self::default();
            for i in range {
                let r = rows.map_or(i, |rows| rows[i] as usize);
                s.grad += f64::from(grad[r]);
                s.hess += f64::from(hess[r]);
                s.count += 1;
            }
            s
        };
        let n = rows.map_or(grad.len(), <[u32]>::len);
        let blocks: Vec<Self> = (0..n.div_ceil(BLOCK))
            .into_par_iter()
            .map(|b| block_sum(b * BLOCK..((b + 1) * BLOCK).min(n)))
            .collect();
        blocks.into_iter().fold(Self::default(), Self::add)
    }
}

/// One feature's histogram.
pub(crate) type FeatureHistogram = [Stats; MAX_BINS];

/// The histograms of every feature for one leaf (only the features in use
/// are filled).
pub(crate) type Histogram = Vec<FeatureHistogram>;

/// A new, zeroed histogram for `n_features` features.
pub(crate) fn new_histogram(n_features: usize) -> Histogram {
    vec![[Stats::default(); MAX_BINS]; n_features]
}

/// The rows whose histogram is built, with their gradients and hessians.
pub(crate) enum RowSet<'a> {
    /// Every row of the data, in order; `grad`/`hess` indexed by row.
    All {
        /// Gradient per row.
        grad: &'a [f32],
        /// Hessian per row.
        hess: &'a [f32],
    },
    /// Some rows; `grad[i]`/`hess[i]` belong to `rows[i]` (already gathered).
    Subset {
        /// Row indices, ascending.
        rows: &'a [u32],
        /// Gradient of each listed row.
        grad: &'a [f32],
        /// Hessian of each listed row.
        hess: &'a [f32],
    },
}

/// Fills `hist` for the features in `features` (ascending) from `rows`;
/// features are spread over threads when `parallel`.
pub(crate) fn build(
    hist: &mut Histogram,
    features: &[usize],
    binned: &BinnedData,
    rows: &RowSet<'_>,
    parallel: bool,
) {
    let fill = |(f, h): (usize, &mut FeatureHistogram)| fill_feature(h, &binned.columns[f], rows);
    let selected = select_mut(hist, features);
    if parallel {
        selected.into_par_iter().for_each(fill);
    } else {
        selected.into_iter().for_each(fill);
    }
}

/// `parent[f] -= child[f]` for the features in `features`: `parent` becomes
/// the histogram of the sibling of `child`.
pub(crate) fn subtract(parent: &mut Histogram, child: &Histogram, features: &[usize]) {
    for &f in features {
        for (p, c) in parent[f].iter_mut().zip(child[f].iter()) {
            *p = p.sub(*c);
        }
    }
}

/// Mutable references to the histograms of `features` (ascending), paired
/// with their feature index.
fn select_mut<'h>(
    hist: &'h mut Histogram,
    features: &[usize],
) -> Vec<(usize, &'h mut FeatureHistogram)> {
    let mut wanted = features.iter().peekable();
    hist.iter_mut()
        .enumerate()
        .filter(|(f, _)| {
            if wanted.peek() == Some(&f) {
                wanted.next();
                true
            } else {
                false
            }
        })
        .collect()
}

fn fill_feature(hist: &mut FeatureHistogram, column: &[u8], rows: &RowSet<'_>) {
    hist.fill(Stats::default());
    match rows {
        RowSet::All { grad, hess } => {
            for ((&bin, &g), &h) in column.iter().zip(grad.iter()).zip(hess.iter()) {
                let s = &mut hist[usize::from(bin)];
                s.grad += f64::from(g);
                s.hess += f64::from(h);
                s.count += 1;
            }
        }
        RowSet::Subset { rows, grad, hess } => {
            for ((&row, &g), &h) in rows.iter().zip(grad.iter()).zip(hess.iter()) {
                let s = &mut hist[usize::from(column[row as usize])];
                s.grad += f64::from(g);
                s.hess += f64::from(h);
                s.count += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::bins::FeatureBins;

    fn binned(columns: Vec<Vec<u8>>) -> BinnedData {
        let bins = columns
            .iter()
            .map(|_| FeatureBins::Categorical { levels: 4 })
            .collect();
        BinnedData { bins, columns }
    }

    #[test]
    fn subset_histogram_plus_sibling_equals_whole() {
        let data = binned(vec![vec![0, 1, 2, 3, 1, 1], vec![3, 3, 0, 0, 2, 1]]);
        let grad = [1.0, -2.0, 0.5, 0.25, 4.0, -1.0];
        let hess = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut whole = new_histogram(2);
        build(
            &mut whole,
            &[0, 1],
            &data,
            &RowSet::All {
                grad: &grad,
                hess: &hess,
            },
            true,
        );
        assert_eq!(whole[0][1].count, 3);
        assert_eq!(whole[0][1].grad, 1.0);
        let rows = [1u32, 4];
        let (g, h): (Vec<f32>, Vec<f32>) = rows
            .iter()
            .map(|&r| (grad[r as usize], hess[r as usize]))
            .unzip();
        let mut part = new_histogram(2);
        build(
            &mut part,
            &[1],
            &data,
            &RowSet::Subset {
                rows: &rows,
                grad: &g,
                hess: &h,
            },
            false,
        );
        assert_eq!(part[0][1].count, 0, "feature 0 was not asked for");
        assert_eq!(
            part[1][3],
            Stats {
                grad: -2.0,
                hess: 2.0,
                count: 1
            }
        );
        subtract(&mut whole, &part, &[1]);
        assert_eq!(
            whole[1][2],
            Stats {
                grad: 0.0,
                hess: 0.0,
                count: 0
            }
        );
        assert_eq!(
            whole[1][3],
            Stats {
                grad: 1.0,
                hess: 1.0,
                count: 1
            }
        );
    }

    #[test]
    fn row_sums_match_a_plain_loop() {
        let grad: Vec<f32> = (0..200_000).map(|i| (i % 7) as f32 - 3.0).collect();
        let hess = vec![0.5f32; grad.len()];
        let s = Stats::of_rows(None, &grad, &hess);
        assert_eq!(s.count, 200_000);
        assert_eq!(s.hess, 100_000.0);
        let rows = [0u32, 1, 7];
        assert_eq!(Stats::of_rows(Some(&rows), &grad, &hess).grad, -8.0);
    }
}
