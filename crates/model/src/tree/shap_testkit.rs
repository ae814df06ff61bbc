//! Test helpers shared by the two TreeSHAP implementations: random valid
//! trees (bushy or deep, with duplicate features on a path), random rows,
//! and the brute-force Shapley values they are checked against.

use crate::dataset::FeatureKind;
use crate::tree::rng::SplitMix64;
use crate::tree::stored::{Child, Leaf, SplitNode, SplitRule, Tree};

const LEVELS: u16 = 4;

/// Feature 0 is categorical (4 levels), the others numeric in [0, 1).
pub(crate) fn kinds(n: usize) -> Vec<FeatureKind> {
    (0..n)
        .map(|f| match f {
            0 => FeatureKind::Categorical { levels: LEVELS },
            _ => FeatureKind::Numeric,
        })
        .collect()
}

/// How a random tree is shaped.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// Each node is a leaf with probability 1/4, until the depth runs out.
    Bushy,
    /// A spine of `depth` nodes, each with a bushy subtree of depth <= 3 on
    /// a random side: deep but of bounded size.
    Spine,
}

fn push_leaf(rng: &mut SplitMix64, tree: &mut Tree) -> (Child, f64) {
    let leaf = Leaf {
        value: rng.next_f64() * 2.0 - 1.0,
        // Row counts from 1 to 100,000: cover ratios down to 1e-5.
        cover: 10f64.powf(rng.next_f64() * 5.0).round(),
    };
    tree.leaves.push(leaf);
    (Child::Leaf(tree.leaves.len() as u32 - 1), leaf.cover)
}

fn grow(
    rng: &mut SplitMix64,
    tree: &mut Tree,
    n_features: usize,
    depth: usize,
    shape: Shape,
) -> (Child, f64) {
    if depth == 0 || matches!(shape, Shape::Bushy) && rng.next_f64() < 0.25 {
        return push_leaf(rng, tree);
    }
    let feature = rng.below(n_features);
    let rule = if feature == 0 {
        let left_levels = (0..LEVELS).filter(|_| rng.next_f64() < 0.5).collect();
        SplitRule::Categorical { left_levels }
    } else {
        SplitRule::Numeric {
            threshold: rng.next_f64() as f32,
        }
    };
    let index = tree.nodes.len();
    tree.nodes.push(SplitNode {
        feature: feature as u32,
        rule,
        left: Child::Leaf(0),
        right: Child::Leaf(0),
        cover: 0.0,
        gain: 0.0,
    });
    let (left_shape, right_shape, left_depth, right_depth) = match shape {
        Shape::Bushy => (Shape::Bushy, Shape::Bushy, depth - 1, depth - 1),
        Shape::Spine if rng.next_f64() < 0.5 => {
            (Shape::Spine, Shape::Bushy, depth - 1, (depth - 1).min(3))
        }
        Shape::Spine => (Shape::Bushy, Shape::Spine, (depth - 1).min(3), depth - 1),
    };
    let (left, left_cover) = grow(rng, tree, n_features, left_depth, left_shape);
    let (right, right_cover) = grow(rng, tree, n_features, right_depth, right_shape);
    let node = &mut tree.nodes[index];
    (node.left, node.right, node.cover) = (left, right, left_cover + right_cover);
    (Child::Node(index as u32), node.cover)
}

fn tree_of(seed: u64, n_features: usize, depth: usize, shape: Shape) -> Tree {
    let mut rng = SplitMix64::new(seed);
    let mut tree = Tree {
        nodes: Vec::new(),
        leaves: Vec::new(),
    };
    grow(&mut rng, &mut tree, n_features, depth, shape);
    tree
}

/// A random valid tree of depth at most `depth` (often less).
pub(crate) fn random_tree(seed: u64, n_features: usize, depth: usize) -> Tree {
    tree_of(seed, n_features, depth, Shape::Bushy)
}

/// A random valid tree of depth exactly `depth`, of size O(depth).
pub(crate) fn deep_tree(seed: u64, n_features: usize, depth: usize) -> Tree {
    tree_of(seed, n_features, depth, Shape::Spine)
}

/// A random row: a level code for feature 0, values in [0, 1) otherwise.
pub(crate) fn random_row(seed: u64, n_features: usize) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed ^ 0xABCD);
    (0..n_features)
        .map(|f| {
            if f == 0 {
                rng.below(usize::from(LEVELS)) as f32
            } else {
                rng.next_f64() as f32
            }
        })
        .collect()
}

/// `v(S)`: expected value with the features of `known` fixed to `row`.
fn conditional(tree: &Tree, at: Child, row: &[f32], known: u32) -> f64 {
    match at {
        Child::Leaf(l) => tree.leaves[l as usize].value,
        Child::Node(i) => {
            let node = &tree.nodes[i as usize];
            if known >> node.feature & 1 == 1 {
                let next = if node.rule.goes_left(row[node.feature as usize]) {
                    node.left
                } else {
                    node.right
                };
                conditional(tree, next, row, known)
            } else {
                let cover = |c: Child| match c {
                    Child::Leaf(l) => tree.leaves[l as usize].cover,
                    Child::Node(n) => tree.nodes[n as usize].cover,
                };
                (cover(node.left) * conditional(tree, node.left, row, known)
                    + cover(node.right) * conditional(tree, node.right, row, known))
                    / node.cover
            }
        }
    }
}

/// Shapley values by enumerating every subset (at most ~10 features).
pub(crate) fn brute_force(tree: &Tree, row: &[f32]) -> Vec<f64> {
    let m = row.len();
    let root = if tree.nodes.is_empty() {
        Child::Leaf(0)
    } else {
        Child::Node(0)
    };
    let factorial = |k: usize| (1..=k).map(|x| x as f64).product::<f64>();
    (0..m)
        .map(|i| {
            (0u32..1 << m)
                .filter(|s| s >> i & 1 == 0)
                .map(|s| {
                    let size = s.count_ones() as usize;
                    let weight = factorial(size) * factorial(m - size - 1) / factorial(m);
                    weight
                        * (conditional(tree, root, row, s | 1 << i)
                            - conditional(tree, root, row, s))
                })
                .sum()
        })
        .collect()
}
