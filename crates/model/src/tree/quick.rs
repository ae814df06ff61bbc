//! QuickScorer (Lucchese et al., SIGIR 2015): the sum over trees of the
//! leaf each reaches, without walking any tree.
//!
//! A tree's leaves are numbered left to right, and a row's state in a tree
//! is a bitvector of the leaves still reachable (all, at first). A node
//! whose test is false for the row (it goes right) makes every leaf of its
//! left subtree unreachable: its mask clears their bits. Once the masks of
//! all false nodes are applied, the leaf the row reaches is the leftmost
//! one still set (the walk goes left wherever it can, and every detour to
//! the right was caused by a false node on the path, whose mask cleared
//! everything to the left of it). Masks commute, so nodes are visited per
//! feature, not per tree: for each numeric feature the nodes are sorted by
//! threshold, and the false ones (`value > threshold`, or every one when
//! the value is NaN) are a prefix of that list. The work is a few
//! sequential, well-predicted loops instead of a chain of dependent loads
//! and unpredictable branches per tree.
//!
//! Routing is the flat evaluator's exactly (`value <= threshold` goes left,
//! NaN right; a categorical level in the node's set goes left, anything else
//! right), and the leaf values are added in tree order, so the sum has the
//! same bits. Used when every tree has at most 64 leaves (one `u64` per
//! tree) and no threshold is NaN; otherwise the flat walk is used.

use super::flat::{FlatNode, FlatTrees, LEAF_BIT, in_level_set, level_of};

/// The most leaves a tree may have (one bit each in a `u64`).
const MAX_LEAVES: usize = 64;

/// The categorical nodes of one feature: for each level, which of them send
/// it left (one bit per node), so a row's false nodes are the zero bits of
/// its level's row of bits.
#[derive(Debug, Clone, PartialEq)]
struct CategoricalFeature {
    feature: u32,
    /// `u64` words per level.
    words: usize,
    /// `left[level * words..][..words]`: bit `j` set when node `j` sends
    /// `level` left.
    left: Vec<u64>,
    trees: Vec<u32>,
    masks: Vec<u64>,
}

impl CategoricalFeature {
    fn new(feature: u32, nodes: &[([u64; 4], u32, u64)]) -> Self {
        let words = nodes.len().div_ceil(64);
        let mut left = vec![0u64; LEVELS * words];
        for (j, (levels, _, _)) in nodes.iter().enumerate() {
            for level in (0..LEVELS).filter(|&level| in_level_set(levels, level)) {
                left[level * words + j / 64] |= 1 << (j % 64);
            }
        }
        Self {
            feature,
            words,
            left,
            trees: nodes.iter().map(|n| n.1).collect(),
            masks: nodes.iter().map(|n| n.2).collect(),
        }
    }

    /// Applies the masks of the nodes that send `value` right.
    fn apply(&self, value: f32, reachable: &mut [u64]) {
        let Some(level) = level_of(value) else {
            // Not a level: right everywhere.
            for (&tree, &mask) in self.trees.iter().zip(&self.masks) {
                reachable[tree as usize] &= mask;
            }
            return;
        };
        let n = self.trees.len();
        for (w, &bits) in self.left[level * self.words..][..self.words]
            .iter()
            .enumerate()
        {
            let in_word = (n - w * 64).min(64);
            let mut right = !bits & (u64::MAX >> (64 - in_word));
            while right != 0 {
                let j = w * 64 + right.trailing_zeros() as usize;
                reachable[self.trees[j] as usize] &= self.masks[j];
                right &= right - 1;
            }
        }
    }
}

/// Category levels a categorical split can name.
const LEVELS: usize = 256;

/// The ensemble rearranged per feature (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct QuickScorer {
    /// Numeric nodes of feature `f`: `offsets[f]..offsets[f + 1]`, by
    /// ascending threshold.
    offsets: Vec<u32>,
    thresholds: Vec<f32>,
    trees: Vec<u32>,
    masks: Vec<u64>,
    categorical: Vec<CategoricalFeature>,
    /// Tree `t`'s leaf values left to right: `leaf_offsets[t]..`.
    leaf_offsets: Vec<u32>,
    leaf_values: Vec<f64>,
}

impl QuickScorer {
    /// Rearranges `flat`, or `None` when a tree has more than 64 leaves or
    /// a threshold is NaN.
    pub(crate) fn new(flat: &FlatTrees) -> Option<Self> {
        let mut quick = Self::default();
        // (feature, threshold, tree, mask) of every numeric node.
        let mut numeric: Vec<(u32, f32, u32, u64)> = Vec::new();
        // (feature, left levels, tree, mask) of every categorical node.
        let mut categorical: Vec<(u32, [u64; 4], u32, u64)> = Vec::new();
        for tree in 0..flat.n_trees() {
            let tree_id = u32::try_from(tree).ok()?;
            quick.leaf_offsets.push(quick.leaf_values.len() as u32);
            let mut walk = Walk {
                flat,
                leaves: Vec::new(),
                nodes: Vec::new(),
            };
            walk.visit(flat.root(tree));
            if walk.leaves.len() > MAX_LEAVES {
                return None;
            }
            quick
                .leaf_values
                .extend(walk.leaves.iter().map(|&leaf| flat.leaf_value(leaf)));
            for (node, first, end) in walk.nodes {
                // Fewer than 64 leaves on the left: the right has one too.
                let mask = !(((1u64 << (end - first)) - 1) << first);
                match node.split() {
                    Ok(threshold) if threshold.is_nan() => return None,
                    Ok(threshold) => {
                        numeric.push((node.feature() as u32, threshold, tree_id, mask));
                    }
                    Err(set) => {
                        categorical.push((
                            node.feature() as u32,
                            flat.level_set(set),
                            tree_id,
                            mask,
                        ));
                    }
                }
            }
        }
        categorical.sort_by_key(|c| c.0);
        for group in categorical.chunk_by(|a, b| a.0 == b.0) {
            let nodes: Vec<([u64; 4], u32, u64)> = group.iter().map(|c| (c.1, c.2, c.3)).collect();
            quick
                .categorical
                .push(CategoricalFeature::new(group[0].0, &nodes));
        }
        numeric.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let n_features = numeric.last().map_or(0, |n| n.0 as usize + 1);
        quick.offsets = vec![0; n_features + 1];
        for &(feature, threshold, tree, mask) in &numeric {
            quick.offsets[feature as usize + 1] += 1;
            quick.thresholds.push(threshold);
            quick.trees.push(tree);
            quick.masks.push(mask);
        }
        for f in 0..n_features {
            quick.offsets[f + 1] += quick.offsets[f];
        }
        Some(quick)
    }

    /// The sorted thresholds of numeric feature `feature`.
    #[cfg(test)]
    fn thresholds_of(&self, feature: usize) -> &[f32] {
        match self.offsets.get(feature..feature + 2) {
            Some(&[start, end]) => &self.thresholds[start as usize..end as usize],
            _ => &[],
        }
    }

    /// Sum over trees of the leaf each reaches for `row`, in tree order.
    pub(crate) fn sum(&self, row: &[f32]) -> f64 {
        let n_trees = self.leaf_offsets.len();
        let mut reachable = vec![u64::MAX; n_trees];
        for (feature, bounds) in self.offsets.windows(2).enumerate() {
            let (start, end) = (bounds[0] as usize, bounds[1] as usize);
            if start == end {
                continue;
            }
            let value = row[feature];
            let thresholds = &self.thresholds[start..end];
            // The false nodes: a prefix (all of them for NaN).
            let false_nodes = if value.is_nan() {
                thresholds.len()
            } else {
                thresholds.partition_point(|&t| t < value)
            };
            let range = start..start + false_nodes;
            for (&tree, &mask) in self.trees[range.clone()].iter().zip(&self.masks[range]) {
                reachable[tree as usize] &= mask;
            }
        }
        for feature in &self.categorical {
            feature.apply(row[feature.feature as usize], &mut reachable);
        }
        let mut sum = 0.0;
        for (tree, bits) in reachable.iter().enumerate() {
            let leaf = bits.trailing_zeros() as usize;
            sum += self.leaf_values[self.leaf_offsets[tree] as usize + leaf];
        }
        sum
    }
}

/// An in-order walk of one tree: its leaves left to right, and for each
/// internal node the range of leaf numbers of its left subtree.
struct Walk<'a> {
    flat: &'a FlatTrees,
    leaves: Vec<u32>,
    nodes: Vec<(FlatNode, usize, usize)>,
}

impl Walk<'_> {
    fn visit(&mut self, reference: u32) {
        if reference & LEAF_BIT != 0 {
            self.leaves.push(reference);
            return;
        }
        let node = *self.flat.node(reference);
        let first = self.leaves.len();
        self.visit(node.left);
        let end = self.leaves.len();
        self.nodes.push((node, first, end));
        self.visit(node.right);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::shap_testkit::{deep_tree, random_row, random_tree};
    use crate::tree::stored::Tree;

    /// Random rows with NaNs, out-of-range and unseen levels, and values
    /// equal to thresholds.
    fn rows(seed: u64, n_features: usize, flat: &FlatTrees) -> Vec<Vec<f32>> {
        let mut out = Vec::new();
        for r in 0..60u64 {
            let mut row = random_row(seed * 1000 + r, n_features);
            match r % 6 {
                1 => row[(r as usize / 6) % n_features] = f32::NAN,
                2 => row[0] = 300.0,
                3 => row[0] = -1.0,
                4 => {
                    // A value exactly on a threshold of feature 1.
                    if let Some(&t) = QuickScorer::new(flat)
                        .as_ref()
                        .and_then(|q| q.thresholds_of(1).get(r as usize % 7))
                    {
                        row[1] = t;
                    }
                }
                _ => {}
            }
            out.push(row);
        }
        out
    }

    #[test]
    fn quick_scorer_has_the_bits_of_the_flat_walk() {
        for n_trees in [1usize, 2, 9, 40] {
            for depth in [0usize, 1, 3, 5, 6] {
                let trees: Vec<Tree> = (0..n_trees)
                    .map(|t| random_tree(97 * n_trees as u64 + t as u64 + depth as u64, 5, depth))
                    .collect();
                let flat = FlatTrees::new(&trees);
                let quick = QuickScorer::new(&flat).expect("at most 64 leaves");
                for row in rows(n_trees as u64 * 10 + depth as u64, 5, &flat) {
                    assert_eq!(
                        quick.sum(&row).to_bits(),
                        flat.walk_sum(&row).to_bits(),
                        "{n_trees} trees of depth {depth}, row {row:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn deep_narrow_trees_are_scored_like_the_walk() {
        // Spines of depth 7 with bushy side branches: at most 57 leaves.
        let trees: Vec<Tree> = (0..6).map(|t| deep_tree(t, 5, 7)).collect();
        let flat = FlatTrees::new(&trees);
        let quick = QuickScorer::new(&flat).expect("at most 57 leaves each");
        for row in rows(7, 5, &flat) {
            assert_eq!(quick.sum(&row).to_bits(), flat.walk_sum(&row).to_bits());
        }
    }

    #[test]
    fn trees_with_more_than_64_leaves_are_left_to_the_walk() {
        let big = (0..100)
            .map(|seed| deep_tree(seed, 5, 40))
            .find(|t| t.leaves.len() > MAX_LEAVES)
            .expect("a spine of depth 40 with more than 64 leaves");
        let trees = vec![random_tree(3, 5, 4), big];
        let flat = FlatTrees::new(&trees);
        let leaves = trees[1].leaves.len();
        assert!(leaves > MAX_LEAVES, "the test tree has {leaves} leaves");
        assert!(QuickScorer::new(&flat).is_none());
        assert!(!flat.is_quick());
    }
}
