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
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        path[i + 1].weight += one * path[i].weight * (i + 1) as f64 / d1;
        path[i].weight = zero * path[i].weight * (depth - i) as f64 / d1;
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

fn unwound_sum(path: &[PathElement], depth: usize, index: usize) -> f64 {
    let (one, zero) = (path[index].one, path[index].zero);
    let d1 = (depth + 1) as f64;
    let mut next_one = path[depth].weight;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = next_one * d1 / ((i + 1) as f64 * one);
            total += tmp;
            next_one = path[i].weight - tmp * zero * (depth - i) as f64 / d1;
        } else {
            total += path[i].weight / zero / ((depth - i) as f64 / d1);
        }
    }
    total
}
