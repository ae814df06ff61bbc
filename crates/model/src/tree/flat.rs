//! The flat evaluator: every tree of a model in one contiguous array of
//! 16-byte nodes, walked on raw feature values (no binning at prediction).
//!
//! Invariants: built only from validated trees, so every child reference
//! is in range and points forward (no cycles); a child reference with
//! [`LEAF_BIT`] set names a leaf; `value <= threshold` goes left and NaN
//! goes right; a categorical node sends the levels in its set left and any
//! other value (including codes the training data never had) right. Scores
//! are summed over trees in tree order, so a score is the same bits
//! whether computed alone or in a batch.

use super::quick::QuickScorer;
use super::stored::{Child, SplitRule, Tree};

/// Marks a child reference as a leaf.
pub(crate) const LEAF_BIT: u32 = 1 << 31;
/// Marks a node's feature as categorical.
const CATEGORICAL_BIT: u32 = 1 << 31;

/// One internal node: 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FlatNode {
    /// Feature index, with [`CATEGORICAL_BIT`] for categorical splits.
    feature: u32,
    /// Numeric: the threshold's `f32` bits; categorical: the index of the
    /// node's level set.
    split: u32,
    /// Left child reference.
    pub(crate) left: u32,
    /// Right child reference.
    pub(crate) right: u32,
}

impl FlatNode {
    /// The feature tested.
    #[inline]
    pub(crate) fn feature(&self) -> usize {
        (self.feature & !CATEGORICAL_BIT) as usize
    }

    /// The node's test: `Ok(threshold)` for a numeric split, `Err(set)`
    /// (an index for [`FlatTrees::level_set`]) for a categorical one.
    pub(crate) fn split(&self) -> Result<f32, u32> {
        if self.feature & CATEGORICAL_BIT == 0 {
            Ok(f32::from_bits(self.split))
        } else {
            Err(self.split)
        }
    }
}

/// The category level a value codes, or `None` (NaN, negative, 256 or
/// more): such a value goes right at every categorical split.
#[inline]
pub(crate) fn level_of(value: f32) -> Option<usize> {
    (0.0..256.0).contains(&value).then_some(value as usize)
}

/// Whether `level` is in a categorical split's set (it then goes left).
#[inline]
pub(crate) fn in_level_set(set: &[u64; 4], level: usize) -> bool {
    set[level >> 6] >> (level & 63) & 1 == 1
}

/// All trees of a model, ready to evaluate and explain.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FlatTrees {
    nodes: Vec<FlatNode>,
    roots: Vec<u32>,
    leaf_values: Vec<f64>,
    node_covers: Vec<f64>,
    leaf_covers: Vec<f64>,
    level_sets: Vec<[u64; 4]>,
    /// Per tree, the most distinct features on any root-to-leaf path.
    distinct: Vec<usize>,
    max_depth: usize,
    /// The same trees rearranged for [`Self::sum`], when they qualify.
    quick: Option<QuickScorer>,
}

impl FlatTrees {
    /// Flattens validated trees (see `Tree::validate`).
    pub(crate) fn new(trees: &[Tree]) -> Self {
        let mut flat = Self::default();
        for tree in trees {
            let node_base = flat.nodes.len() as u32;
            let leaf_base = flat.leaf_values.len() as u32;
            // Nodes are laid out in depth-first preorder (a left child right
            // after its parent): paths touch fewer cache lines.
            let order = preorder(tree);
            let mut position = vec![0u32; tree.nodes.len()];
            for (new, &old) in order.iter().enumerate() {
                position[old] = new as u32;
            }
            let reference = |child: Child| match child {
                Child::Node(i) => node_base + position[i as usize],
                Child::Leaf(l) => LEAF_BIT | (leaf_base + l),
            };
            flat.roots.push(reference(if tree.nodes.is_empty() {
                Child::Leaf(0)
            } else {
                Child::Node(0)
            }));
            let mut depth = vec![0usize; tree.nodes.len()];
            for (i, node) in order.iter().map(|&old| &tree.nodes[old]).enumerate() {
                let (feature, split) = match &node.rule {
                    SplitRule::Numeric { threshold } => (node.feature, threshold.to_bits()),
                    SplitRule::Categorical { left_levels } => {
                        let mut set = [0u64; 4];
                        for &level in left_levels {
                            set[usize::from(level >> 6)] |= 1 << (level & 63);
                        }
                        flat.level_sets.push(set);
                        (
                            node.feature | CATEGORICAL_BIT,
                            flat.level_sets.len() as u32 - 1,
                        )
                    }
                };
                for child in [node.left, node.right] {
                    if let Child::Node(c) = child {
                        depth[position[c as usize] as usize] = depth[i] + 1;
                    }
                }
                flat.max_depth = flat.max_depth.max(depth[i] + 1);
                flat.nodes.push(FlatNode {
                    feature,
                    split,
                    left: reference(node.left),
                    right: reference(node.right),
                });
                flat.node_covers.push(node.cover);
            }
            let root = flat.roots[flat.roots.len() - 1];
            flat.distinct
                .push(flat.most_distinct(root, &mut Vec::new(), 0));
            for leaf in &tree.leaves {
                flat.leaf_values.push(leaf.value);
                flat.leaf_covers.push(leaf.cover);
            }
        }
        flat.quick = QuickScorer::new(&flat);
        flat
    }

    /// Number of trees.
    pub(crate) fn n_trees(&self) -> usize {
        self.roots.len()
    }

    /// The most internal nodes on any root-to-leaf path.
    pub(crate) fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// The most distinct features on any root-to-leaf path of tree `tree`
    /// (at most its depth): the degree Linear TreeSHAP integrates.
    pub(crate) fn tree_distinct_features(&self, tree: usize) -> usize {
        self.distinct[tree]
    }

    /// The most distinct features on a path from `reference` down, given
    /// `seen` distinct ones above it (`counts`: splits per feature above).
    fn most_distinct(&self, reference: u32, counts: &mut Vec<u32>, seen: usize) -> usize {
        if reference & LEAF_BIT != 0 {
            return seen;
        }
        let node = self.nodes[reference as usize];
        let feature = node.feature();
        if counts.len() <= feature {
            counts.resize(feature + 1, 0);
        }
        let seen = seen + usize::from(counts[feature] == 0);
        counts[feature] += 1;
        let most = self
            .most_distinct(node.left, counts, seen)
            .max(self.most_distinct(node.right, counts, seen));
        counts[feature] -= 1;
        most
    }

    /// Sum over trees of the leaf each reaches for `row`, in tree order:
    /// by the quick scorer when the trees qualify (at most 64 leaves each,
    /// docs/benchmarks.md), else by walking each tree. Both give the same
    /// bits.
    ///
    /// Walking 8 trees in lockstep (to overlap their dependent loads) was
    /// tried and measured slower on a 31-leaf GBDT (single-row p50 12.3 µs
    /// against 8.6 µs, docs/benchmarks.md).
    #[inline]
    pub(crate) fn sum(&self, row: &[f32]) -> f64 {
        match &self.quick {
            Some(quick) => quick.sum(row),
            None => self.walk_sum(row),
        }
    }

    /// [`Self::sum`] by walking each tree.
    pub(crate) fn walk_sum(&self, row: &[f32]) -> f64 {
        let mut sum = 0.0;
        for &root in &self.roots {
            sum += self.leaf_values[(self.leaf_of(root, row) & !LEAF_BIT) as usize];
        }
        sum
    }

    /// Whether [`Self::sum`] uses the quick scorer.
    #[cfg(test)]
    pub(crate) fn is_quick(&self) -> bool {
        self.quick.is_some()
    }

    /// The leaf reference `row` reaches from node reference `from`.
    #[inline]
    pub(crate) fn leaf_of(&self, from: u32, row: &[f32]) -> u32 {
        let mut at = from;
        while at & LEAF_BIT == 0 {
            let node = &self.nodes[at as usize];
            at = if self.goes_left(node, row) {
                node.left
            } else {
                node.right
            };
        }
        at
    }

    /// Whether `row` goes left at `node`.
    #[inline]
    pub(crate) fn goes_left(&self, node: &FlatNode, row: &[f32]) -> bool {
        let value = row[node.feature()];
        if node.feature & CATEGORICAL_BIT == 0 {
            value <= f32::from_bits(node.split)
        } else {
            level_of(value)
                .is_some_and(|level| in_level_set(&self.level_sets[node.split as usize], level))
        }
    }

    /// The root reference of tree `tree`.
    pub(crate) fn root(&self, tree: usize) -> u32 {
        self.roots[tree]
    }

    /// The internal node of a (non-leaf) reference.
    pub(crate) fn node(&self, reference: u32) -> &FlatNode {
        &self.nodes[reference as usize]
    }

    /// The level set of a categorical node (see [`FlatNode::split`]).
    pub(crate) fn level_set(&self, set: u32) -> [u64; 4] {
        self.level_sets[set as usize]
    }

    /// The value of a leaf reference.
    pub(crate) fn leaf_value(&self, reference: u32) -> f64 {
        self.leaf_values[(reference & !LEAF_BIT) as usize]
    }

    /// The training cover of a node or leaf reference.
    pub(crate) fn cover(&self, reference: u32) -> f64 {
        if reference & LEAF_BIT == 0 {
            self.node_covers[reference as usize]
        } else {
            self.leaf_covers[(reference & !LEAF_BIT) as usize]
        }
    }

    /// Sum over trees of each tree's cover-weighted mean leaf value: the
    /// expected score over the training rows.
    pub(crate) fn expected_sum(&self) -> f64 {
        let mut sum = 0.0;
        for &root in &self.roots {
            sum += self.expected_from(root);
        }
        sum
    }

    fn expected_from(&self, reference: u32) -> f64 {
        if reference & LEAF_BIT != 0 {
            return self.leaf_value(reference);
        }
        let node = self.node(reference);
        let (left, right) = (self.cover(node.left), self.cover(node.right));
        let cover = self.cover(reference);
        (left * self.expected_from(node.left) + right * self.expected_from(node.right)) / cover
    }
}

/// The tree's internal nodes in depth-first preorder, left before right.
fn preorder(tree: &Tree) -> Vec<usize> {
    let mut order = Vec::with_capacity(tree.nodes.len());
    let mut stack = if tree.nodes.is_empty() {
        vec![]
    } else {
        vec![0usize]
    };
    while let Some(i) = stack.pop() {
        order.push(i);
        for child in [tree.nodes[i].right, tree.nodes[i].left] {
            if let Child::Node(c) = child {
                stack.push(c as usize);
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::stored::{Leaf, SplitNode};

    #[test]
    fn thresholds_and_level_sets_route_rows_as_documented() {
        let leaf = |value| Leaf { value, cover: 1.0 };
        let tree = Tree {
            nodes: vec![
                SplitNode {
                    feature: 0,
                    rule: SplitRule::Categorical {
                        left_levels: vec![1, 3, 200],
                    },
                    left: Child::Leaf(0),
                    right: Child::Node(1),
                    cover: 3.0,
                    gain: 1.0,
                },
                SplitNode {
                    feature: 1,
                    rule: SplitRule::Numeric { threshold: 0.5 },
                    left: Child::Leaf(1),
                    right: Child::Leaf(2),
                    cover: 2.0,
                    gain: 1.0,
                },
            ],
            leaves: vec![leaf(10.0), leaf(20.0), leaf(30.0)],
        };
        let flat = FlatTrees::new(std::slice::from_ref(&tree));
        let cases = [
            ([3.0, 9.0], 10.0),
            ([200.0, 9.0], 10.0),
            ([2.0, 0.5], 20.0),
            ([7.0, 0.6], 30.0),
            ([-1.0, f32::NAN], 30.0),
            ([300.0, 0.0], 20.0),
            ([f32::NAN, 1.0], 30.0),
        ];
        for (row, want) in cases {
            assert_eq!(flat.sum(&row), want, "{row:?}");
            assert_eq!(tree.leaves[tree.leaf_of(|f| row[f])].value, want, "{row:?}");
        }
        assert_eq!(flat.expected_sum(), (10.0 + 20.0 + 30.0) / 3.0);
    }

    /// The flattened ensemble reaches the same leaves as the stored trees
    /// and adds them in tree order: the same bits, for any number of trees
    /// and depths.
    #[test]
    fn flat_sum_has_the_bits_of_the_stored_trees() {
        use crate::tree::shap_testkit::{random_row, random_tree};
        for n_trees in [1usize, 3, 8, 9, 17, 40] {
            let trees: Vec<Tree> = (0..n_trees)
                .map(|t| random_tree(31 * n_trees as u64 + t as u64, 5, t % 9))
                .collect();
            let flat = FlatTrees::new(&trees);
            for r in 0..50u64 {
                let row = random_row(1000 * n_trees as u64 + r, 5);
                let mut want = 0.0;
                for tree in &trees {
                    want += tree.leaves[tree.leaf_of(|f| row[f])].value;
                }
                assert_eq!(flat.sum(&row).to_bits(), want.to_bits(), "{n_trees} trees");
            }
        }
    }
}
