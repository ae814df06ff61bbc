//! Linear TreeSHAP (Yu, Peng, Gao, Zhou and Zhang, "Linear TreeShap",
//! NeurIPS 2022): the same exact path-dependent Shapley values as `shap.rs`,
//! in O(nodes x depth / 2) time per tree instead of O(leaves x depth^2), with
//! 4 x (depth + 1) x points floats of scratch per explanation.
//!
//! For a leaf `v` whose path splits on the unique features `P` (`d` of
//! them), let `o_j` be 1 if the row follows every split on `j` and 0
//! otherwise, and `r_j` the product of `cover(child) / cover(parent)` over
//! those splits. With the Shapley weight `k!(d-1-k)!/d!` written as the Beta
//! integral of `t^k (1-t)^(d-1-k)` over `[0, 1]`, the leaf's share of feature
//! `i`'s Shapley value is
//!
//! `value(v) * (o_i - r_i) * integral of G_v(t) / F_i(t) dt`,
//! with `F_j(t) = o_j t + r_j (1 - t)` and `G_v = product over P of F_j`,
//!
//! where `G_v / F_i` is a polynomial of degree `d - 1 <= depth - 1`. The walk
//! holds polynomials by their values at the points of an `n`-point
//! Gauss-Legendre rule on `[0, 1]`, `n >= ceil(d_max / 2)` per tree (`d_max`:
//! the most distinct features on one of its paths; rounded up to one of 16
//! compiled sizes), which integrates them exactly. Going down,
//! an edge on feature `i` multiplies `G` by the merged factor `F_i` (dividing
//! out the factor of the nearest edge above on the same feature, if any);
//! going up, `S = sum over the subtree's leaves of value * G` is summed; at
//! each edge, `S * (o - r) / F` is integrated into `phi[i]`, and when the edge
//! repeats a feature, the ancestor edge's term for the same leaves is
//! subtracted (by linearity, the difference is an exact polynomial integral).
//!
//! Invariants: covers are positive (`Tree::validate`), so every `F` is
//! positive at the rule's points, which lie strictly inside `(0, 1)`. Every
//! value held is a product of factors in `[0, 1]` times a leaf value, and a
//! repeated feature's factor only shrinks (`F_new / F_prev <= 1`), so nothing
//! grows or cancels catastrophically: stable at depth 64, where a monomial
//! basis is not.

use std::f64::consts::PI;
use std::sync::OnceLock;

use super::flat::{FlatTrees, LEAF_BIT};

/// Points of the largest rule: `ceil(MAX_TREE_DEPTH / 2)`.
const MAX_POINTS: usize = 32;

/// No edge on this feature on the current path.
const NONE: usize = usize::MAX;

/// An `n`-point Gauss-Legendre rule on `[0, 1]` and what the walk derives
/// from it, per point `k`.
#[derive(Debug)]
struct Rule {
    /// `t_k`, ascending, strictly inside `(0, 1)`.
    t: Vec<f64>,
    /// `1 - t_k`, computed without cancellation.
    one_minus_t: Vec<f64>,
    /// The weights `w_k` (summing to 1).
    w: Vec<f64>,
    /// `1 / (1 - t_k)`.
    inv_one_minus_t: Vec<f64>,
    /// `-w_k / (1 - t_k)`: `w_k (o - r) / F(t_k)` for any edge with `o = 0`.
    cold: Vec<f64>,
}

impl Rule {
    /// The rule's points are the roots of the Legendre polynomial `P_n`,
    /// found by Newton's method from the usual starting guesses.
    fn gauss_legendre(n: usize) -> Self {
        let mut rule = Rule {
            t: vec![0.0; n],
            one_minus_t: vec![0.0; n],
            w: vec![0.0; n],
            inv_one_minus_t: vec![0.0; n],
            cold: vec![0.0; n],
        };
        for i in 0..n.div_ceil(2) {
            // The i-th largest root z > 0 (or 0 for odd n), mirrored at -z.
            let mut z = (PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            for _ in 0..100 {
                let (p, dp) = legendre(n, z);
                let step = p / dp;
                z -= step;
                if step.abs() <= 1e-16 {
                    break;
                }
            }
            let (_, dp) = legendre(n, z);
            let weight = 1.0 / ((1.0 - z * z) * dp * dp);
            let (low, high) = (i, n - 1 - i);
            rule.t[low] = (1.0 - z) / 2.0;
            rule.one_minus_t[low] = (1.0 + z) / 2.0;
            rule.t[high] = (1.0 + z) / 2.0;
            rule.one_minus_t[high] = (1.0 - z) / 2.0;
            rule.w[low] = weight;
            rule.w[high] = weight;
        }
        for k in 0..n {
            rule.inv_one_minus_t[k] = 1.0 / rule.one_minus_t[k];
            rule.cold[k] = -rule.w[k] * rule.inv_one_minus_t[k];
        }
        rule
    }
}

/// `(P_n(z), P_n'(z))` by the three-term recurrence, for `n >= 1`.
fn legendre(n: usize, z: f64) -> (f64, f64) {
    let (mut before, mut p) = (1.0, z);
    for j in 2..=n {
        let j = j as f64;
        let next = ((2.0 * j - 1.0) * z * p - (j - 1.0) * before) / j;
        (before, p) = (p, next);
    }
    (p, n as f64 * (z * p - before) / (z * z - 1.0))
}

/// The rule with `n` points, `1 <= n <= MAX_POINTS`.
fn rule(n: usize) -> &'static Rule {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    &RULES.get_or_init(|| (1..=MAX_POINTS).map(Rule::gauss_legendre).collect())[n - 1]
}

/// Points needed to integrate exactly the polynomials of degree `d - 1` of a
/// tree with at most `d` distinct features on a path (`d <= depth <= 64`).
fn points(d: usize) -> usize {
    debug_assert!(d <= 2 * MAX_POINTS, "validated trees are shallower");
    d.div_ceil(2).clamp(1, MAX_POINTS)
}

/// Adds each tree's contributions for `row`, times `scale`, to `phi` (one
/// slot per feature): the same values as `shap::add_contributions`.
pub(crate) fn add_contributions(trees: &FlatTrees, row: &[f32], scale: f64, phi: &mut [f64]) {
    let max_depth = trees.max_depth();
    let stride = padded(points(max_depth));
    let mut scratch = Scratch {
        g: vec![0.0; (max_depth + 1) * stride],
        s: vec![0.0; (max_depth + 1) * stride],
        inv: vec![0.0; max_depth * stride],
        a: vec![0.0; max_depth * stride],
        edge_one: vec![false; max_depth],
        edge_zero: vec![0.0; max_depth],
        last: vec![NONE; row.len()],
    };
    for tree in 0..trees.n_trees() {
        let distinct = trees.tree_distinct_features(tree);
        if distinct == 0 {
            continue; // a lone leaf: every feature's contribution is 0
        }
        let root = trees.root(tree);
        let walk = (trees, row, scale, &mut *phi, &mut scratch, root);
        // One copy of the walk per rule size, so that the loops over points
        // have constant bounds; a rule with more points is exact too.
        match padded(points(distinct)) {
            1 => walk_tree::<1>(walk),
            2 => walk_tree::<2>(walk),
            3 => walk_tree::<3>(walk),
            4 => walk_tree::<4>(walk),
            5 => walk_tree::<5>(walk),
            6 => walk_tree::<6>(walk),
            7 => walk_tree::<7>(walk),
            8 => walk_tree::<8>(walk),
            10 => walk_tree::<10>(walk),
            12 => walk_tree::<12>(walk),
            14 => walk_tree::<14>(walk),
            16 => walk_tree::<16>(walk),
            20 => walk_tree::<20>(walk),
            24 => walk_tree::<24>(walk),
            28 => walk_tree::<28>(walk),
            _ => walk_tree::<32>(walk),
        }
    }
}

/// The rule size a walk uses for `n` needed points: `n` up to 8, then the
/// next multiple of 2 up to 16, then of 4.
fn padded(n: usize) -> usize {
    match n {
        0..=8 => n,
        9..=16 => n.next_multiple_of(2),
        _ => n.next_multiple_of(4).min(MAX_POINTS),
    }
}

/// Buffers shared by the walks of one explanation, sized for its deepest
/// tree and largest rule.
struct Scratch {
    g: Vec<f64>,
    s: Vec<f64>,
    inv: Vec<f64>,
    a: Vec<f64>,
    edge_one: Vec<bool>,
    edge_zero: Vec<f64>,
    last: Vec<usize>,
}

/// Walks one tree with the `N`-point rule.
fn walk_tree<const N: usize>(
    (trees, row, scale, phi, scratch, root): (
        &FlatTrees,
        &[f32],
        f64,
        &mut [f64],
        &mut Scratch,
        u32,
    ),
) {
    let rule = rule(N);
    let fixed = |v: &'static Vec<f64>| std::array::from_fn(|k| v[k]);
    let mut walk = Walk::<N> {
        trees,
        row,
        phi,
        t: fixed(&rule.t),
        one_minus_t: fixed(&rule.one_minus_t),
        w: fixed(&rule.w),
        inv_one_minus_t: fixed(&rule.inv_one_minus_t),
        cold: fixed(&rule.cold),
        g: scratch.g.as_chunks_mut::<N>().0,
        s: scratch.s.as_chunks_mut::<N>().0,
        inv: scratch.inv.as_chunks_mut::<N>().0,
        a: scratch.a.as_chunks_mut::<N>().0,
        edge_one: &mut scratch.edge_one,
        edge_zero: &mut scratch.edge_zero,
        last: &mut scratch.last,
    };
    walk.g[0] = [scale; N];
    walk.visit(root, 0);
}

/// The state of one tree's walk. Level `l` (the node at depth `l` on the
/// current path) owns `g[l]` and `s[l]`; the edge from level `l` to `l + 1`
/// owns `inv[l]`, `a[l]`, `edge_one[l]` and `edge_zero[l]`.
struct Walk<'a, const N: usize> {
    trees: &'a FlatTrees,
    row: &'a [f32],
    phi: &'a mut [f64],
    /// The rule: see [`Rule`].
    t: [f64; N],
    one_minus_t: [f64; N],
    w: [f64; N],
    inv_one_minus_t: [f64; N],
    cold: [f64; N],
    /// `scale * G` at the node: the product of the path's merged factors.
    g: &'a mut [[f64; N]],
    /// `sum over the node's leaves of value * G`, once the node is done.
    s: &'a mut [[f64; N]],
    /// `1 / F(t_k)` of the edge's merged factor.
    inv: &'a mut [[f64; N]],
    /// `w_k (o - r) / F(t_k)` of the edge's merged factor.
    a: &'a mut [[f64; N]],
    /// Merged `o` of the edge's feature (the row followed every split on it).
    edge_one: &'a mut [bool],
    /// Merged `r` of the edge's feature.
    edge_zero: &'a mut [f64],
    /// Per feature, the level of the nearest edge on it above, or [`NONE`].
    last: &'a mut [usize],
}

impl<const N: usize> Walk<'_, N> {
    /// Walks the subtree at `reference`, whose `G` is at `level`, leaving
    /// its `S` at `level`.
    fn visit(&mut self, reference: u32, level: usize) {
        if reference & LEAF_BIT != 0 {
            let value = self.trees.leaf_value(reference);
            let g = &self.g[level];
            self.s[level] = std::array::from_fn(|k| value * g[k]);
            return;
        }
        let node = *self.trees.node(reference);
        let feature = node.feature();
        let hot = if self.trees.goes_left(&node, self.row) {
            node.left
        } else {
            node.right
        };
        let cover = self.trees.cover(reference);
        let previous = self.last[feature];
        self.s[level] = [0.0; N];
        for child in [node.left, node.right] {
            self.descend(
                level,
                previous,
                child == hot,
                self.trees.cover(child) / cover,
            );
            self.last[feature] = level;
            self.visit(child, level + 1);
            self.last[feature] = previous;
            self.phi[feature] += self.ascend(level, previous);
        }
    }

    /// Sets up the edge below `level` (the row follows it if `one`; it
    /// keeps `zero` of the cover) and the child's `G`.
    fn descend(&mut self, level: usize, previous: usize, one: bool, zero: f64) {
        let (one, zero) = if previous == NONE {
            (one, zero)
        } else {
            (
                one && self.edge_one[previous],
                zero * self.edge_zero[previous],
            )
        };
        self.edge_one[level] = one;
        self.edge_zero[level] = zero;
        let parent = self.g[level];
        let mut child = [0.0; N];
        if one {
            // F(t) = r + (1 - r) t
            let rest = 1.0 - zero;
            let (inv, a) = (&mut self.inv[level], &mut self.a[level]);
            for k in 0..N {
                let f = zero + rest * self.t[k];
                inv[k] = 1.0 / f;
                a[k] = self.w[k] * rest * inv[k];
                child[k] = parent[k] * f;
            }
        } else {
            // F(t) = r (1 - t)
            let inv_zero = 1.0 / zero;
            self.a[level] = self.cold;
            for k in 0..N {
                self.inv[level][k] = self.inv_one_minus_t[k] * inv_zero;
                child[k] = parent[k] * zero * self.one_minus_t[k];
            }
        }
        if previous != NONE {
            let inv_previous = &self.inv[previous];
            for k in 0..N {
                child[k] *= inv_previous[k];
            }
        }
        self.g[level + 1] = child;
    }

    /// Adds the child's `S` to the node's at `level` and returns the edge's
    /// contribution to its feature.
    fn ascend(&mut self, level: usize, previous: usize) -> f64 {
        let child = self.s[level + 1];
        let a = &self.a[level];
        let mut total = [0.0; N];
        if previous == NONE {
            for k in 0..N {
                total[k] = a[k] * child[k];
            }
        } else {
            let a_previous = &self.a[previous];
            for k in 0..N {
                total[k] = (a[k] - a_previous[k]) * child[k];
            }
        }
        let parent = &mut self.s[level];
        for k in 0..N {
            parent[k] += child[k];
        }
        total.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::tree::shap;
    use crate::tree::shap_testkit::{brute_force, deep_tree, kinds, random_row, random_tree};
    use crate::tree::stored::Tree;

    /// Linear and classic TreeSHAP of `trees` for `row`, times `scale`.
    fn both(trees: &[Tree], row: &[f32], scale: f64) -> (Vec<f64>, Vec<f64>) {
        let flat = FlatTrees::new(trees);
        let mut linear = vec![0.0; row.len()];
        add_contributions(&flat, row, scale, &mut linear);
        let mut classic = vec![0.0; row.len()];
        shap::add_contributions(&flat, row, scale, &mut classic);
        (linear, classic)
    }

    /// `|got - want| <= 1e-9 (1 + sum |want|)` for every feature.
    fn close(got: &[f64], want: &[f64]) -> bool {
        let tolerance = 1e-9 * (1.0 + want.iter().map(|w| w.abs()).sum::<f64>());
        got.iter()
            .zip(want)
            .all(|(g, w)| (g - w).abs() <= tolerance)
    }

    /// Bias + contributions add up to the score, within 1e-9 relative.
    fn adds_up(trees: &[Tree], row: &[f32], phi: &[f64]) -> bool {
        let flat = FlatTrees::new(trees);
        let score = flat.sum(row);
        let total = flat.expected_sum() + phi.iter().sum::<f64>();
        (total - score).abs() <= 1e-9 * (1.0 + score.abs())
    }

    #[test]
    fn rules_integrate_polynomials_of_degree_below_twice_their_points_exactly() {
        for n in 1..=MAX_POINTS {
            let rule = rule(n);
            for k in 0..n {
                assert!(rule.t[k] > 0.0 && rule.one_minus_t[k] > 0.0, "n {n}");
                assert!((rule.t[k] + rule.one_minus_t[k] - 1.0).abs() < 1e-15);
            }
            for degree in 0..2 * n {
                let integral: f64 = (0..n)
                    .map(|k| rule.w[k] * rule.t[k].powi(degree as i32))
                    .sum();
                let exact = 1.0 / (degree + 1) as f64;
                assert!(
                    (integral - exact).abs() < 1e-14,
                    "n {n} degree {degree}: {integral} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn every_depth_gets_a_dispatched_rule_with_enough_points() {
        const SIZES: [usize; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32];
        for depth in 1..=64 {
            let n = padded(points(depth));
            assert!(SIZES.contains(&n), "depth {depth}: {n}");
            assert!(2 * n >= depth, "depth {depth}: {n}");
        }
    }

    #[test]
    fn a_lone_leaf_gets_no_contribution() {
        let tree = random_tree(1, 3, 0);
        assert!(tree.nodes.is_empty());
        let (linear, _) = both(std::slice::from_ref(&tree), &random_row(1, 3), 1.0);
        assert_eq!(linear, vec![0.0; 3]);
    }

    proptest! {
        #[test]
        fn linear_tree_shap_equals_brute_force_shapley_values(
            seed in any::<u64>(),
            n_features in 1usize..=6,
            depth in 0usize..=7,
        ) {
            let trees: Vec<Tree> = (0..3)
                .map(|t| random_tree(seed.wrapping_add(t), n_features, depth))
                .collect();
            for tree in &trees {
                prop_assert!(tree.validate(&kinds(n_features)).is_ok());
            }
            let row = random_row(seed, n_features);
            let (linear, _) = both(&trees, &row, 0.5);
            let mut expected = vec![0.0; n_features];
            for tree in &trees {
                for (e, b) in expected.iter_mut().zip(brute_force(tree, &row)) {
                    *e += 0.5 * b;
                }
            }
            prop_assert!(close(&linear, &expected), "{linear:?} vs {expected:?}");
        }

        #[test]
        fn deep_trees_with_repeated_features_match_brute_force_and_classic(
            seed in any::<u64>(),
            n_features in 1usize..=6,
            depth in 1usize..=64,
        ) {
            let tree = deep_tree(seed, n_features, depth);
            prop_assert!(tree.validate(&kinds(n_features)).is_ok());
            let trees = [tree];
            prop_assert_eq!(FlatTrees::new(&trees).max_depth(), depth);
            let row = random_row(seed, n_features);
            let (linear, classic) = both(&trees, &row, 1.0);
            let expected = brute_force(&trees[0], &row);
            prop_assert!(close(&linear, &expected), "{linear:?} vs {expected:?}");
            prop_assert!(close(&linear, &classic), "{linear:?} vs {classic:?}");
            prop_assert!(adds_up(&trees, &row, &linear));
        }

        #[test]
        fn forests_of_mixed_depths_match_classic_and_add_up(
            seed in any::<u64>(),
            n_features in 1usize..=64,
            depth in 0usize..=14,
        ) {
            // Trees of different depths share one walk's buffers.
            let trees: Vec<Tree> = (0..6)
                .map(|t| {
                    let seed = seed.wrapping_add(t);
                    if t % 2 == 0 {
                        random_tree(seed, n_features, depth)
                    } else {
                        deep_tree(seed, n_features, depth * t as usize % 65)
                    }
                })
                .collect();
            for tree in &trees {
                prop_assert!(tree.validate(&kinds(n_features)).is_ok());
            }
            let row = random_row(seed, n_features);
            let (linear, classic) = both(&trees, &row, 1.0);
            prop_assert!(close(&linear, &classic), "{linear:?} vs {classic:?}");
            prop_assert!(adds_up(&trees, &row, &linear));
        }
    }
}
