//! Trees as they are saved: readable serde structures, checked on load.
//!
//! Invariants of a valid [`Tree`] (enforced by [`Tree::validate`], so a
//! corrupted file cannot crash prediction or explanation):
//! - node 0 is the root (a tree with no node is a single leaf 0);
//! - a child node's number is larger than its parent's, and every node but
//!   the root and every leaf has exactly one parent: the nodes form a tree,
//!   with no cycle and nothing unreachable;
//! - feature indices are below the model's feature count and agree with
//!   the feature's kind; depth is at most [`MAX_TREE_DEPTH`];
//! - values are finite, covers positive and finite, and a node's cover is
//!   the sum of its children's (what exact TreeSHAP relies on).
//!
//! Thresholds are `f32` saved as `f64` (exact both ways), so a save/load
//! round trip gives bit-identical predictions.

use serde::{Deserialize, Serialize};

use super::bins::{BinnedData, MAX_BINS};
use super::grower::{GrownTree, MAX_TREE_DEPTH};
use super::split::BinDecision;
use crate::dataset::FeatureKind;

/// Where a branch leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Child {
    /// An internal node, by number.
    Node(u32),
    /// A leaf, by number.
    Leaf(u32),
}

/// The test of an internal node: does a row go left?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub(crate) enum SplitRule {
    /// Left when `value <= threshold` (NaN goes right).
    Numeric {
        /// The threshold, an `f32` (saved as an exact `f64`).
        #[serde(with = "exact_f32")]
        threshold: f32,
    },
    /// Left when the value is one of these level codes (anything else goes
    /// right).
    Categorical {
        /// Level codes that go left, ascending.
        left_levels: Vec<u16>,
    },
}

/// An internal node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SplitNode {
    /// Feature tested.
    pub(crate) feature: u32,
    /// The test.
    pub(crate) rule: SplitRule,
    /// Where rows passing the test go.
    pub(crate) left: Child,
    /// Where the other rows go.
    pub(crate) right: Child,
    /// Training rows that reached the node.
    pub(crate) cover: f64,
    /// Gain of the split (for feature importance).
    pub(crate) gain: f64,
}

/// A leaf.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Leaf {
    /// The leaf's contribution to the raw score.
    pub(crate) value: f64,
    /// Training rows that reached the leaf.
    pub(crate) cover: f64,
}

/// One tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tree {
    /// Internal nodes; node 0 is the root.
    pub(crate) nodes: Vec<SplitNode>,
    /// Leaves.
    pub(crate) leaves: Vec<Leaf>,
}

impl Tree {
    /// Converts a tree grown on bins to raw-value thresholds, with leaf
    /// values from `leaf_value` and covers = row counts.
    pub(crate) fn from_grown(
        grown: &GrownTree,
        binned: &BinnedData,
        leaf_value: impl Fn(usize) -> f64,
    ) -> Self {
        let nodes = grown
            .nodes
            .iter()
            .map(|n| {
                let rule = match &n.decision {
                    BinDecision::UpTo(bin) => SplitRule::Numeric {
                        threshold: binned.bins[n.feature].threshold(usize::from(*bin)),
                    },
                    decision @ BinDecision::InSet(_) => SplitRule::Categorical {
                        left_levels: (0..MAX_BINS)
                            .filter(|&b| decision.goes_left(b as u8))
                            .map(|b| b as u16)
                            .collect(),
                    },
                };
                SplitNode {
                    feature: n.feature as u32,
                    rule,
                    left: n.left,
                    right: n.right,
                    cover: f64::from(n.stats.count),
                    gain: n.gain,
                }
            })
            .collect();
        let leaves = grown
            .leaves
            .iter()
            .enumerate()
            .map(|(i, s)| Leaf {
                value: leaf_value(i),
                cover: f64::from(s.count),
            })
            .collect();
        Self { nodes, leaves }
    }

    /// The leaf a row reaches, reading feature `f` with `value(f)`.
    pub(crate) fn leaf_of(&self, value: impl Fn(usize) -> f32) -> usize {
        let mut child = if self.nodes.is_empty() {
            Child::Leaf(0)
        } else {
            Child::Node(0)
        };
        loop {
            match child {
                Child::Leaf(leaf) => return leaf as usize,
                Child::Node(i) => {
                    let node = &self.nodes[i as usize];
                    let v = value(node.feature as usize);
                    child = if node.rule.goes_left(v) {
                        node.left
                    } else {
                        node.right
                    };
                }
            }
        }
    }

    /// Checks every invariant listed in the module documentation.
    pub(crate) fn validate(&self, kinds: &[FeatureKind]) -> Result<(), String> {
        let (n_nodes, n_leaves) = (self.nodes.len(), self.leaves.len());
        if n_leaves != n_nodes + 1 {
            return Err(format!(
                "{n_nodes} nodes need {} leaves, found {n_leaves}",
                n_nodes + 1
            ));
        }
        let mut node_parents = vec![0u8; n_nodes];
        let mut leaf_parents = vec![0u8; n_leaves];
        let mut depth = vec![0usize; n_nodes];
        for (i, node) in self.nodes.iter().enumerate() {
            let feature = node.feature as usize;
            match (kinds.get(feature), &node.rule) {
                (None, _) => return Err(format!("node {i}: feature {feature} out of range")),
                (Some(FeatureKind::Numeric), SplitRule::Numeric { threshold })
                    if !threshold.is_nan() => {}
                (
                    Some(FeatureKind::Categorical { levels }),
                    SplitRule::Categorical { left_levels },
                ) if left_levels
                    .iter()
                    .all(|&l| l < *levels && usize::from(l) < MAX_BINS) => {}
                _ => return Err(format!("node {i}: split does not fit feature {feature}")),
            }
            if !node.gain.is_finite() {
                return Err(format!("node {i}: gain is not finite"));
            }
            let mut children_cover = 0.0;
            for child in [node.left, node.right] {
                children_cover += match child {
                    Child::Node(c) => {
                        let c = c as usize;
                        if c <= i || c >= n_nodes {
                            return Err(format!("node {i}: child node {c} out of order or range"));
                        }
                        node_parents[c] += 1;
                        depth[c] = depth[i] + 1;
                        if depth[c] > MAX_TREE_DEPTH {
                            return Err(format!("deeper than {MAX_TREE_DEPTH}"));
                        }
                        self.nodes[c].cover
                    }
                    Child::Leaf(l) => {
                        let l = l as usize;
                        if l >= n_leaves {
                            return Err(format!("node {i}: leaf {l} out of range"));
                        }
                        leaf_parents[l] += 1;
                        self.leaves[l].cover
                    }
                };
            }
            if !(node.cover > 0.0 && node.cover.is_finite())
                || (children_cover - node.cover).abs() > 1e-9 * node.cover
            {
                return Err(format!(
                    "node {i}: cover {} is not its children's {children_cover}",
                    node.cover
                ));
            }
        }
        if node_parents.iter().skip(1).any(|&p| p != 1)
            || node_parents.first().is_some_and(|&p| p != 0)
        {
            return Err("a node has no parent or several".into());
        }
        if n_nodes > 0 && leaf_parents.iter().any(|&p| p != 1) {
            return Err("a leaf has no parent or several".into());
        }
        if let Some(l) = self
            .leaves
            .iter()
            .position(|l| !(l.value.is_finite() && l.cover > 0.0 && l.cover.is_finite()))
        {
            return Err(format!("leaf {l}: value or cover not finite and positive"));
        }
        Ok(())
    }
}

impl SplitRule {
    /// Whether a row with `value` for the node's feature goes left.
    pub(crate) fn goes_left(&self, value: f32) -> bool {
        match self {
            Self::Numeric { threshold } => value <= *threshold,
            Self::Categorical { left_levels } => {
                (0.0..65536.0).contains(&value)
                    && left_levels.binary_search(&(value as u16)).is_ok()
            }
        }
    }
}

/// Serde for an `f32` saved as the `f64` of the same value: JSON float
/// text of an `f64` reads back exactly (with serde_json's
/// `float_roundtrip`), and a value that is not an `f32` is refused.
mod exact_f32 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(value: &f32, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(f64::from(*value))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f32, D::Error> {
        let wide = f64::deserialize(deserializer)?;
        let narrow = wide as f32;
        if f64::from(narrow) == wide {
            Ok(narrow)
        } else {
            Err(D::Error::custom(format!("threshold {wide} is not an f32")))
        }
    }
}
