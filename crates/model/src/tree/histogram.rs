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

    /// Sums of gradients/hessians over `rows` (or all rows), in row order
    /// within fixed blocks: the same bits whatever the thread count.
    pub(crate) fn of_rows(rows: Option<&[u32]>, gh: &[GradHess]) -> Self {
        const BLOCK: usize = 1 << 16;
        let block_sum = |range: std::ops::Range<usize>| -> Self {
            let mut s = Self::default();
            for i in range {
                let [g, h] = gh[rows.map_or(i, |rows| rows[i] as usize)];
                s.grad += f64::from(g);
                s.hess += f64::from(h);
                s.count += 1;
            }
            s
        };
        let n = rows.map_or(gh.len(), <[u32]>::len);
        let blocks: Vec<Self> = (0..n.div_ceil(BLOCK))
            .into_par_iter()
            .map(|b| block_sum(b * BLOCK..((b + 1) * BLOCK).min(n)))
            .collect();
        blocks.into_iter().fold(Self::default(), Self::add)
    }
}

/// A row's gradient and hessian, side by side (one load per row).
pub(crate) type GradHess = [f32; 2];

/// One feature's histogram.
pub(crate) type FeatureHistogram = [Stats; MAX_BINS];

/// The histograms of every feature for one leaf (only the features in use
/// are filled).
pub(crate) type Histogram = Vec<FeatureHistogram>;

/// A new, zeroed histogram for `n_features` features.
pub(crate) fn new_histogram(n_features: usize) -> Histogram {
    vec![[Stats::default(); MAX_BINS]; n_features]
}

/// The rows whose histogram is built.
#[derive(Clone, Copy)]
pub(crate) enum RowSet<'a> {
    /// Every row of the data, in order.
    All,
    /// Some rows, ascending.
    Subset(&'a [u32]),
}

/// Rows per lane below which a subset is not split further.
const MIN_LANE_ROWS: usize = 1 << 12;
/// Most lanes a subset is split into.
const MAX_LANES: usize = 8;

/// Fills `hist` for the features in `features` (ascending) from `rows`,
/// with `gh` indexed by row.
///
/// One pass over the rows reads each row's bin codes (row-major: one or two
/// cache lines per row). The rows are cut into a number of lanes that
/// depends only on how many there are; lanes run in parallel into `lanes`
/// buffers and are added in lane order, so the result never depends on the
/// thread count.
pub(crate) fn build(
    hist: &mut Histogram,
    features: &[usize],
    binned: &BinnedData,
    rows: RowSet<'_>,
    gh: &[GradHess],
    parallel: bool,
    lanes: &mut Vec<Histogram>,
) {
    let len = match rows {
        RowSet::All => gh.len(),
        RowSet::Subset(rows) => rows.len(),
    };
    let fill = |h: &mut Histogram, part: std::ops::Range<usize>| match rows {
        RowSet::All => fill_range(h, features, binned, part, gh),
        RowSet::Subset(rows) => fill_rows(h, features, binned, &rows[part], gh),
    };
    let n_lanes = (len / MIN_LANE_ROWS).clamp(1, MAX_LANES);
    if n_lanes == 1 {
        fill(hist, 0..len);
        return;
    }
    while lanes.len() < n_lanes {
        lanes.push(new_histogram(binned.n_features()));
    }
    let per_lane = len.div_ceil(n_lanes);
    let lane_fill = |(lane, h): (usize, &mut Histogram)| {
        fill(
            h,
            (lane * per_lane).min(len)..((lane + 1) * per_lane).min(len),
        );
    };
    if parallel {
        lanes[..n_lanes]
            .par_iter_mut()
            .enumerate()
            .for_each(lane_fill);
    } else {
        lanes[..n_lanes].iter_mut().enumerate().for_each(lane_fill);
    }
    for &f in features {
        let target = &mut hist[f];
        target.copy_from_slice(&lanes[0][f]);
        for lane in &lanes[1..n_lanes] {
            for (t, s) in target.iter_mut().zip(lane[f].iter()) {
                *t = t.add(*s);
            }
        }
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

/// Rows whose cache lines are touched before their codes are counted.
const STAGE_ROWS: usize = 64;

/// Counts `rows` (ascending, possibly sparse). Rows are taken in stages:
/// first one independent load per cache line of the stage's codes (their
/// misses overlap, like a prefetch), then the counting, which then hits L1.
fn fill_rows(
    hist: &mut Histogram,
    features: &[usize],
    binned: &BinnedData,
    rows: &[u32],
    gh: &[GradHess],
) {
    for &f in features {
        hist[f].fill(Stats::default());
    }
    let width = binned.n_features();
    let codes = &binned.row_major;
    let mut staged_gh = [[0f32; 2]; STAGE_ROWS];
    let mut touched = 0u8;
    for stage in rows.chunks(STAGE_ROWS) {
        for (&row, slot) in stage.iter().zip(&mut staged_gh) {
            let start = row as usize * width;
            touched ^= codes[start] ^ codes[start + width - 1];
            *slot = gh[row as usize];
        }
        for (&row, &gh) in stage.iter().zip(&staged_gh) {
            let start = row as usize * width;
            count_row(hist, features, &codes[start..start + width], gh);
        }
    }
    std::hint::black_box(touched);
}

/// Counts the rows `range` (all rows of a block), reading codes in order.
fn fill_range(
    hist: &mut Histogram,
    features: &[usize],
    binned: &BinnedData,
    range: std::ops::Range<usize>,
    gh: &[GradHess],
) {
    for &f in features {
        hist[f].fill(Stats::default());
    }
    let width = binned.n_features();
    let codes = &binned.row_major[range.start * width..range.end * width];
    for (row_codes, &gh) in codes.chunks_exact(width).zip(&gh[range]) {
        count_row(hist, features, row_codes, gh);
    }
}

#[inline(always)]
fn count_row(hist: &mut Histogram, features: &[usize], codes: &[u8], [g, h]: GradHess) {
    let (g, h) = (f64::from(g), f64::from(h));
    if features.len() == codes.len() {
        for (feature_hist, &bin) in hist.iter_mut().zip(codes) {
            let s = &mut feature_hist[usize::from(bin)];
            s.grad += g;
            s.hess += h;
            s.count += 1;
        }
    } else {
        for &f in features {
            let s = &mut hist[f][usize::from(codes[f])];
            s.grad += g;
            s.hess += h;
            s.count += 1;
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
        BinnedData::from_columns(bins, columns)
    }

    #[test]
    fn subset_histogram_plus_sibling_equals_whole() {
        let data = binned(vec![vec![0, 1, 2, 3, 1, 1], vec![3, 3, 0, 0, 2, 1]]);
        let gh = [
            [1.0, 1.0],
            [-2.0, 2.0],
            [0.5, 3.0],
            [0.25, 4.0],
            [4.0, 5.0],
            [-1.0, 6.0],
        ];
        let mut lanes = Vec::new();
        let mut whole = new_histogram(2);
        build(
            &mut whole,
            &[0, 1],
            &data,
            RowSet::All,
            &gh,
            true,
            &mut lanes,
        );
        assert_eq!(whole[0][1].count, 3);
        assert_eq!(whole[0][1].grad, 1.0);
        let mut part = new_histogram(2);
        build(
            &mut part,
            &[1],
            &data,
            RowSet::Subset(&[1, 4]),
            &gh,
            false,
            &mut lanes,
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
    fn large_subsets_split_into_lanes_give_the_same_bits_serial_or_parallel() {
        let n = 100_000;
        let columns: Vec<Vec<u8>> = (0..3)
            .map(|f| (0..n).map(|r| ((r * (f + 3)) % 4) as u8).collect())
            .collect();
        let data = binned(columns);
        let gh: Vec<GradHess> = (0..n)
            .map(|r| [(r % 13) as f32 * 0.1 - 0.6, 0.25])
            .collect();
        let rows: Vec<u32> = (0..n as u32).filter(|r| r % 3 != 0).collect();
        let (mut lanes, mut serial, mut parallel) =
            (Vec::new(), new_histogram(3), new_histogram(3));
        build(
            &mut serial,
            &[0, 2],
            &data,
            RowSet::Subset(&rows),
            &gh,
            false,
            &mut lanes,
        );
        build(
            &mut parallel,
            &[0, 2],
            &data,
            RowSet::Subset(&rows),
            &gh,
            true,
            &mut lanes,
        );
        assert!(lanes.len() > 1, "the subset was split");
        assert_eq!(serial, parallel);
        for f in [0, 2] {
            let mut expected = [Stats::default(); 4];
            for &r in &rows {
                let s = &mut expected[usize::from(data.columns[f][r as usize])];
                s.grad += f64::from(gh[r as usize][0]);
                s.hess += 0.25;
                s.count += 1;
            }
            for (got, want) in serial[f][..4].iter().zip(&expected) {
                assert_eq!(got.count, want.count);
                assert!((got.grad - want.grad).abs() < 1e-6 && got.hess == want.hess);
            }
        }
        assert_eq!(serial[1][0].count, 0, "feature 1 was not asked for");
    }

    #[test]
    fn row_sums_match_a_plain_loop() {
        let gh: Vec<GradHess> = (0..200_000).map(|i| [(i % 7) as f32 - 3.0, 0.5]).collect();
        let s = Stats::of_rows(None, &gh);
        assert_eq!(s.count, 200_000);
        assert_eq!(s.hess, 100_000.0);
        let rows = [0u32, 1, 7];
        assert_eq!(Stats::of_rows(Some(&rows), &gh).grad, -8.0);
    }
}
