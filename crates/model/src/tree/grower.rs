//! Grows one tree on binned data from per-row gradients and hessians; shared
//! by gradient boosting and the random forest.
//!
//! Two orders: best-first (LightGBM's leaf-wise growth: always split the
//! open leaf with the largest gain, up to `max_leaves`) and depth-first
//! (every splittable leaf is split; the forest's order). Two feature
//! policies: a fixed set for the whole tree (histograms of the larger child
//! come from the parent's minus the smaller child's), or `k` features drawn
//! afresh for every leaf (histograms built for those features only).
//!
//! Invariants: a node's children always have larger node numbers than the
//! node; every choice is a deterministic function of the data, the
//! gradients and the random stream, whatever the number of threads.

use super::bins::BinnedData;
use super::histogram::{self, GradHess, Histogram, RowSet, Stats};
use super::partition::RowPartition;
use super::rng::SplitMix64;
use super::split::{BinDecision, SplitCandidate, SplitRules, best_split};
use super::stored::Child;

/// The deepest a tree may grow (bounds recursion in explanations and
/// validation of loaded models).
pub(crate) const MAX_TREE_DEPTH: usize = 64;

/// In which order leaves are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GrowthOrder {
    /// The open leaf with the largest gain first (ties: lowest leaf number).
    BestFirst,
    /// The most recently created splittable leaf first.
    DepthFirst,
}

/// How a tree is grown.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GrowConfig {
    /// Most leaves.
    pub(crate) max_leaves: usize,
    /// Deepest leaf (root = depth 0), at most [`MAX_TREE_DEPTH`].
    pub(crate) max_depth: usize,
    /// Split constraints.
    pub(crate) rules: SplitRules,
    /// Which leaf is split next.
    pub(crate) order: GrowthOrder,
    /// Whether to spread histogram building over threads (by feature).
    pub(crate) parallel: bool,
}

/// Which features a split may use.
pub(crate) enum FeatureChoice<'a> {
    /// The same features for every leaf (ascending).
    Fixed(&'a [usize]),
    /// `k` features drawn for each leaf from `rng`.
    PerNode {
        /// Features tried per leaf.
        k: usize,
        /// The tree's random stream.
        rng: &'a mut SplitMix64,
    },
}

/// An internal node of a grown tree, with its split in bins.
#[derive(Debug, Clone)]
pub(crate) struct GrownNode {
    /// Feature split on.
    pub(crate) feature: usize,
    /// Which bins go left.
    pub(crate) decision: BinDecision,
    /// Gain of the split.
    pub(crate) gain: f64,
    /// Totals of the node's rows.
    pub(crate) stats: Stats,
    /// Left child.
    pub(crate) left: Child,
    /// Right child.
    pub(crate) right: Child,
}

/// A grown tree: nodes (node 0 is the root unless there are none) and the
/// totals of each leaf; the leaves' rows are in the grower's partition.
#[derive(Debug, Clone)]
pub(crate) struct GrownTree {
    /// Internal nodes.
    pub(crate) nodes: Vec<GrownNode>,
    /// Totals of each leaf's rows.
    pub(crate) leaves: Vec<Stats>,
}

struct OpenLeaf {
    depth: usize,
    stats: Stats,
    parent: Option<(usize, bool)>,
    hist: Option<Histogram>,
    best: Option<SplitCandidate>,
}

/// Reusable buffers for growing trees one after another.
#[derive(Default)]
pub(crate) struct Grower {
    partition: RowPartition,
    buffers: Buffers,
}

/// Histogram buffers and scratch space.
#[derive(Default)]
struct Buffers {
    /// Free leaf histograms.
    pool: Vec<Histogram>,
    /// Per-lane histograms of large subsets.
    lanes: Vec<Histogram>,
    /// Scratch for drawing features.
    features: Vec<usize>,
}

impl Grower {
    /// The rows of each leaf of the last grown tree.
    pub(crate) fn partition(&self) -> &RowPartition {
        &self.partition
    }

    /// Grows a tree on `rows` (ascending; `None` = every row).
    pub(crate) fn grow(
        &mut self,
        binned: &BinnedData,
        gh: &[GradHess],
        rows: Option<&[u32]>,
        config: &GrowConfig,
        mut features: FeatureChoice<'_>,
    ) -> GrownTree {
        let n_rows = binned.columns.first().map_or(0, Vec::len);
        match rows {
            Some(rows) => self.partition.reset(rows.iter().copied()),
            None => self.partition.reset(0..n_rows as u32),
        }
        let root = OpenLeaf {
            depth: 0,
            stats: Stats::of_rows(rows, gh),
            parent: None,
            hist: None,
            best: None,
        };
        let mut leaves = vec![root];
        if self.splittable(&leaves[0], 1, config) {
            let set = match rows {
                None => RowSet::All,
                Some(_) => RowSet::Subset(self.partition.rows(0)),
            };
            let (hist, best) = evaluate(
                &mut self.buffers,
                binned,
                set,
                gh,
                leaves[0].stats,
                config,
                &mut features,
            );
            leaves[0].hist = hist;
            leaves[0].best = best;
        }
        let mut nodes: Vec<GrownNode> = Vec::new();
        let mut stack = vec![0usize];
        while leaves.len() < config.max_leaves {
            let Some(pick) = next_leaf(&leaves, &mut stack, config.order) else {
                break;
            };
            let Some(split) = leaves[pick].best.take() else {
                break;
            };
            let node = nodes.len();
            let right = self
                .partition
                .split(pick, &binned.columns[split.feature], &split.decision);
            nodes.push(GrownNode {
                feature: split.feature,
                decision: split.decision,
                gain: split.gain,
                stats: leaves[pick].stats,
                left: Child::Leaf(pick as u32),
                right: Child::Leaf(right as u32),
            });
            if let Some((parent, is_left)) = leaves[pick].parent {
                let link = if is_left {
                    &mut nodes[parent].left
                } else {
                    &mut nodes[parent].right
                };
                *link = Child::Node(node as u32);
            }
            let depth = leaves[pick].depth + 1;
            let parent_hist = leaves[pick].hist.take();
            leaves[pick] = OpenLeaf {
                depth,
                stats: split.left,
                parent: Some((node, true)),
                hist: None,
                best: None,
            };
            leaves.push(OpenLeaf {
                depth,
                stats: split.right,
                parent: Some((node, false)),
                hist: None,
                best: None,
            });
            self.evaluate_children(
                binned,
                gh,
                config,
                &mut features,
                &mut leaves,
                [pick, right],
                parent_hist,
            );
            if config.order == GrowthOrder::DepthFirst {
                stack.extend([right, pick]);
            }
        }
        for leaf in &mut leaves {
            if let Some(hist) = leaf.hist.take() {
                self.buffers.pool.push(hist);
            }
        }
        GrownTree {
            nodes,
            leaves: leaves.iter().map(|l| l.stats).collect(),
        }
    }

    fn splittable(&self, leaf: &OpenLeaf, n_leaves: usize, config: &GrowConfig) -> bool {
        n_leaves < config.max_leaves
            && leaf.depth < config.max_depth
            && config.rules.can_split(leaf.stats)
    }

    /// Finds the best splits of two new siblings; with a fixed feature set,
    /// builds the smaller one's histogram and derives the larger one's.
    #[allow(clippy::too_many_arguments)]
    fn evaluate_children(
        &mut self,
        binned: &BinnedData,
        gh: &[GradHess],
        config: &GrowConfig,
        features: &mut FeatureChoice<'_>,
        leaves: &mut [OpenLeaf],
        children: [usize; 2],
        parent_hist: Option<Histogram>,
    ) {
        let n_leaves = leaves.len();
        let wanted = children.map(|c| self.splittable(&leaves[c], n_leaves, config));
        if let &mut FeatureChoice::Fixed(fixed) = features {
            let Some(mut parent_hist) = parent_hist else {
                return;
            };
            if !wanted[0] && !wanted[1] {
                self.buffers.pool.push(parent_hist);
                return;
            }
            let (small, large) =
                if leaves[children[1]].stats.count < leaves[children[0]].stats.count {
                    (1, 0)
                } else {
                    (0, 1)
                };
            let set = RowSet::Subset(self.partition.rows(children[small]));
            let total = leaves[children[small]].stats;
            let (small_hist, small_best) =
                evaluate(&mut self.buffers, binned, set, gh, total, config, features);
            let small_hist =
                small_hist.unwrap_or_else(|| histogram::new_histogram(binned.n_features()));
            if wanted[large] {
                histogram::subtract(&mut parent_hist, &small_hist, fixed);
                let total = leaves[children[large]].stats;
                leaves[children[large]].best = best_split(
                    &parent_hist,
                    fixed,
                    binned,
                    total,
                    &config.rules,
                    config.parallel,
                );
                leaves[children[large]].hist = Some(parent_hist);
            } else {
                self.buffers.pool.push(parent_hist);
            }
            if wanted[small] {
                leaves[children[small]].best = small_best;
                leaves[children[small]].hist = Some(small_hist);
            } else {
                self.buffers.pool.push(small_hist);
            }
        } else {
            for (c, wanted) in children.into_iter().zip(wanted) {
                if wanted {
                    let set = RowSet::Subset(self.partition.rows(c));
                    let (_, best) = evaluate(
                        &mut self.buffers,
                        binned,
                        set,
                        gh,
                        leaves[c].stats,
                        config,
                        features,
                    );
                    leaves[c].best = best;
                }
            }
        }
    }
}

/// Builds the histograms of `rows` for the features the policy gives and
/// finds the best split; with a fixed policy the histogram is returned for
/// later subtraction, otherwise it goes back to the pool.
fn evaluate(
    buffers: &mut Buffers,
    binned: &BinnedData,
    rows: RowSet<'_>,
    gh: &[GradHess],
    total: Stats,
    config: &GrowConfig,
    features: &mut FeatureChoice<'_>,
) -> (Option<Histogram>, Option<SplitCandidate>) {
    let mut hist = buffers
        .pool
        .pop()
        .unwrap_or_else(|| histogram::new_histogram(binned.n_features()));
    let chosen;
    let used: &[usize] = match features {
        FeatureChoice::Fixed(fixed) => fixed,
        FeatureChoice::PerNode { k, rng } => {
            chosen = rng.choose_sorted(binned.n_features(), *k, &mut buffers.features);
            &chosen
        }
    };
    histogram::build(
        &mut hist,
        used,
        binned,
        rows,
        gh,
        config.parallel,
        &mut buffers.lanes,
    );
    let best = best_split(&hist, used, binned, total, &config.rules, config.parallel);
    if let FeatureChoice::Fixed(_) = features {
        (Some(hist), best)
    } else {
        buffers.pool.push(hist);
        (None, best)
    }
}

/// The next leaf to split, if any has a candidate split.
fn next_leaf(leaves: &[OpenLeaf], stack: &mut Vec<usize>, order: GrowthOrder) -> Option<usize> {
    match order {
        GrowthOrder::BestFirst => leaves
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.best.as_ref().map(|b| (i, b.gain)))
            .fold(None, |best: Option<(usize, f64)>, (i, g)| match best {
                Some((_, bg)) if bg >= g => best,
                _ => Some((i, g)),
            })
            .map(|(i, _)| i),
        GrowthOrder::DepthFirst => {
            while let Some(leaf) = stack.pop() {
                if leaves[leaf].best.is_some() {
                    return Some(leaf);
                }
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::dataset::{Dataset, FeatureKind};
    use crate::tree::flat::{FlatTrees, LEAF_BIT};
    use crate::tree::stored::Tree;

    /// Columns with ties, a heavy value, negatives, a categorical feature.
    fn dataset(seed: u64, rows: usize) -> Dataset {
        let mut rng = SplitMix64::new(seed);
        let columns = vec![
            (0..rows).map(|_| rng.below(6) as f32).collect(),
            (0..rows)
                .map(|_| {
                    if rng.next_f64() < 0.5 {
                        0.0
                    } else {
                        (rng.next_f64() * 1e4) as f32 - 5e3
                    }
                })
                .collect(),
            (0..rows)
                .map(|_| (rng.next_f64() * 3.0).exp() as f32)
                .collect(),
            (0..rows).map(|_| rng.below(3) as f32 - 1.0).collect(),
        ];
        let labels = (0..rows).map(|_| u8::from(rng.next_f64() < 0.3)).collect();
        let kinds = vec![
            FeatureKind::Categorical { levels: 6 },
            FeatureKind::Numeric,
            FeatureKind::Numeric,
            FeatureKind::Numeric,
        ];
        let names = (0..4).map(|f| format!("f{f}")).collect();
        Dataset::new(names, kinds, columns, labels).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// The leaf each training row reached through bins (the partition)
        /// is the leaf its raw values reach in the saved tree and in the
        /// flat evaluator.
        #[test]
        fn raw_value_predictions_agree_with_training_bins(
            seed in any::<u64>(),
            rows in 50usize..2000,
            max_bins in 2usize..40,
            depth_first in any::<bool>(),
        ) {
            let data = dataset(seed, rows);
            let binned = BinnedData::build(&data, max_bins, rows / 2).unwrap();
            let gh: Vec<GradHess> = data.labels().iter().map(|&y| [0.3 - f32::from(y), 0.21]).collect();
            let config = GrowConfig {
                max_leaves: 40,
                max_depth: 10,
                rules: SplitRules { lambda_l2: 0.0, min_data_in_leaf: 1, min_sum_hessian: 0.0, min_gain: 0.0, cat_smooth: 1.0 },
                order: if depth_first { GrowthOrder::DepthFirst } else { GrowthOrder::BestFirst },
                parallel: true,
            };
            let mut grower = Grower::default();
            let grown = grower.grow(&binned, &gh, None, &config, FeatureChoice::Fixed(&[0, 1, 2, 3]));
            prop_assert!(!grown.nodes.is_empty());
            let tree = Tree::from_grown(&grown, &binned, |leaf| leaf as f64);
            prop_assert!(tree.validate(data.kinds()).is_ok());
            let flat = FlatTrees::new(std::slice::from_ref(&tree));
            let mut row = Vec::new();
            for leaf in 0..grower.partition().n_leaves() {
                for &r in grower.partition().rows(leaf) {
                    data.row_into(r as usize, &mut row);
                    prop_assert_eq!(tree.leaf_of(|f| row[f]), leaf);
                    prop_assert_eq!(flat.leaf_of(flat.root(0), &row), LEAF_BIT | leaf as u32);
                }
            }
        }
    }
}
