//! Exact TreeSHAP: Lundberg, Erion and Lee's polynomial-time, path-dependent
//! algorithm (Algorithm 2 of "Consistent Individualized Feature Attribution
//! for Tree Ensembles", 2018), following the reference C++ of the `shap`
//! package.
//!
//! Invariant: for each tree, the contributions are the exact Shapley values
//! of `v(S)` = the expected leaf value when the features in `S` follow the
//! row and every other split is averaged with weights `cover(child) /
//! cover(node)`; so `expected value + sum(contributions) == tree score` up to
//! rounding (tested against brute-force enumeration of subsets).

use super::flat::{FlatTrees, LEAF_BIT};

/// One step of the path of unique features from the root.
#[derive(Debug, Clone, Copy, Default)]
struct PathElement {
    /// Feature index, or `usize::MAX` for the root's placeholder.
    feature: usize,
    /// Fraction of "feature unknown" paths that flow through.
    zero: f64,
    /// Whether the row's own value flows through (1 or 0).
    one: f64,
    /// Permutation weight.
    weight: f64,
}

/// Adds each tree's contributions for `row`, times `scale`, to `phi` (one
/// slot per feature).
pub(crate) fn add_contributions(trees: &FlatTrees, row: &[f32], scale: f64, phi: &mut [f64]) {
    let depth = trees.max_depth() + 2;
    let mut path = vec![PathElement::default(); (depth + 1) * (depth + 2) / 2 + depth + 1];
    let mut walk = Walk {
        trees,
        row,
        scale,
        phi,
    };
    for tree in 0..trees.n_trees() {
        walk.recurse(trees.root(tree), &mut path, 0, 0, 1.0, 1.0, usize::MAX);
    }
}

struct Walk<'a> {
    trees: &'a FlatTrees,
    row: &'a [f32],
    scale: f64,
    phi: &'a mut [f64],
}

impl Walk<'_> {
    /// The reference's `tree_shap_recursive`: the path of this node lives
    /// at `path[parent_offset + depth + 1..]`, a copy of the parent's
    /// extended by the feature that led here.
    #[allow(clippy::too_many_arguments)]
    fn recurse(
        &mut self,
        reference: u32,
        path: &mut [PathElement],
        parent_offset: usize,
        mut depth: usize,
        zero: f64,
        one: f64,
        feature: usize,
    ) {
        let offset = parent_offset + depth + 1;
        path.copy_within(parent_offset..parent_offset + depth, offset);
        let here = &mut path[offset..];
        extend(here, depth, zero, one, feature);
        if reference & LEAF_BIT != 0 {
            let value = self.trees.leaf_value(reference) * self.scale;
            for i in 1..=depth {
                let w = unwound_sum(here, depth, i);
                let el = here[i];
                self.phi[el.feature] += w * (el.one - el.zero) * value;
            }
            return;
        }
        let node = *self.trees.node(reference);
        let (hot, cold) = if self.trees.goes_left(&node, self.row) {
            (node.left, node.right)
        } else {
            (node.right, node.left)
        };
        let cover = self.trees.cover(reference);
        let hot_zero = self.trees.cover(hot) / cover;
        let cold_zero = self.trees.cover(cold) / cover;
        let split_feature = node.feature();
        let (mut incoming_zero, mut incoming_one) = (1.0, 1.0);
        if let Some(k) = here[..=depth]
            .iter()
            .position(|e| e.feature == split_feature)
        {
            incoming_zero = here[k].zero;
            incoming_one = here[k].one;
            unwind(here, depth, k);
            depth -= 1;
        }
        self.recurse(
            hot,
            path,
            offset,
            depth + 1,
            hot_zero * incoming_zero,
            incoming_one,
            split_feature,
        );
        self.recurse(
            cold,
            path,
            offset,
            depth + 1,
            cold_zero * incoming_zero,
            0.0,
            split_feature,
        );
    }
}

fn extend(path: &mut [PathElement], depth: usize, zero: f64, one: f64, feature: usize) {
    path[depth] = PathElement {
        feature,
        zero,
        one,
        weight: if depth == 0 { 1.0 } else { 0.0 },
    };
    let inv_d1 = RECIPROCAL[depth + 1];
    for i in (0..depth).rev() {
        path[i + 1].weight += one * path[i].weight * (i + 1) as f64 * inv_d1;
        path[i].weight = zero * path[i].weight * (depth - i) as f64 * inv_d1;
    }
}

fn unwind(path: &mut [PathElement], depth: usize, index: usize) {
    let (one, zero) = (path[index].one, path[index].zero);
    let d1 = (depth + 1) as f64;
    let mut next_one = path[depth].weight;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = path[i].weight;
            path[i].weight = next_one * d1 / ((i + 1) as f64 * one);
            next_one = tmp - path[i].weight * zero * (depth - i) as f64 / d1;
        } else {
            path[i].weight = path[i].weight * d1 / (zero * (depth - i) as f64);
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero = path[i + 1].zero;
        path[i].one = path[i + 1].one;
    }
}

/// `1 / i` for every path length a tree of depth <= 64 can need.
const RECIPROCAL: [f64; 72] = {
    let mut r = [0.0; 72];
    let mut i = 1;
    while i < 72 {
        r[i] = 1.0 / i as f64;
        i += 1;
    }
    r
};

/// The reference's `unwound_path_sum`, with the branch on `one` hoisted out
/// of the loop and divisions by small integers turned into products.
fn unwound_sum(path: &[PathElement], depth: usize, index: usize) -> f64 {
    let (one, zero) = (path[index].one, path[index].zero);
    let d1 = (depth + 1) as f64;
    let inv_d1 = RECIPROCAL[depth + 1];
    let mut total = 0.0;
    if one != 0.0 {
        let scale = d1 / one;
        let zero_over_d1 = zero * inv_d1;
        let mut next_one = path[depth].weight;
        for i in (0..depth).rev() {
            let tmp = next_one * scale * RECIPROCAL[i + 1];
            total += tmp;
            next_one = path[i].weight - tmp * zero_over_d1 * (depth - i) as f64;
        }
    } else {
        let scale = d1 / zero;
        for i in (0..depth).rev() {
            total += path[i].weight * scale * RECIPROCAL[depth - i];
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::tree::shap_testkit::{brute_force, kinds, random_row, random_tree};
    use crate::tree::stored::Tree;

    proptest! {
        #[test]
        fn tree_shap_equals_brute_force_shapley_values(
            seed in any::<u64>(),
            n_features in 1usize..=6,
            depth in 0usize..=7,
        ) {
            let trees: Vec<Tree> = (0..3).map(|t| random_tree(seed.wrapping_add(t), n_features, depth)).collect();
            for tree in &trees {
                prop_assert!(tree.validate(&kinds(n_features)).is_ok());
            }
            let flat = FlatTrees::new(&trees);
            let row = random_row(seed, n_features);
            let mut phi = vec![0.0; n_features];
            add_contributions(&flat, &row, 0.5, &mut phi);
            let mut expected = vec![0.0; n_features];
            for tree in &trees {
                for (e, b) in expected.iter_mut().zip(brute_force(tree, &row)) {
                    *e += 0.5 * b;
                }
            }
            for (got, want) in phi.iter().zip(&expected) {
                prop_assert!((got - want).abs() < 1e-9, "{phi:?} vs {expected:?}");
            }
            let total = 0.5 * flat.expected_sum() + phi.iter().sum::<f64>();
            let score = 0.5 * flat.sum(&row);
            prop_assert!((total - score).abs() <= 1e-9 * (1.0 + score.abs()), "{total} vs {score}");
        }
    }
}
