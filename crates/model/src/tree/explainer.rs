//! Which exact TreeSHAP algorithm explains an ensemble: Lundberg et al.'s
//! (`shap.rs`, O(leaves x depth^2) per tree) or Linear TreeSHAP
//! (`linear_shap.rs`, O(nodes x depth / 2)). Both give the same values up to
//! rounding (property-tested); the choice is only about speed, made per
//! model from its deepest tree (see `docs/benchmarks.md`, "Explanations").
//!
//! Benchmarks can force one algorithm for the whole process with
//! [`force_shap_algorithm`], to measure both side by side through the
//! public `explain` methods.

use std::sync::atomic::{AtomicU8, Ordering};

use super::flat::FlatTrees;
use super::{linear_shap, shap};

/// An exact TreeSHAP algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapAlgorithm {
    /// Lundberg, Erion and Lee's Algorithm 2 (the `shap` package's).
    Lundberg,
    /// Yu et al.'s Linear TreeSHAP, on Gauss-Legendre point values.
    Linear,
}

/// Deepest model (most internal nodes on a path) still explained with
/// [`ShapAlgorithm::Lundberg`].
const LUNDBERG_MAX_DEPTH: usize = 0;

impl ShapAlgorithm {
    /// The faster algorithm for trees of at most `max_depth` internal nodes
    /// on a path.
    pub(crate) fn for_depth(max_depth: usize) -> Self {
        if max_depth <= LUNDBERG_MAX_DEPTH {
            Self::Lundberg
        } else {
            Self::Linear
        }
    }
}

/// 0: no override, 1: Lundberg, 2: Linear.
static FORCED: AtomicU8 = AtomicU8::new(0);

/// Makes every tree model in the process explain with `algorithm` (`None`:
/// back to the per-model choice). For benchmarks and tests only.
#[doc(hidden)]
pub fn force_shap_algorithm(algorithm: Option<ShapAlgorithm>) {
    let code = match algorithm {
        None => 0,
        Some(ShapAlgorithm::Lundberg) => 1,
        Some(ShapAlgorithm::Linear) => 2,
    };
    FORCED.store(code, Ordering::Relaxed);
}

/// Adds the contributions of every tree for `row`, times `scale`, to `phi`
/// with `chosen` (or the forced algorithm).
pub(crate) fn add_contributions(
    chosen: ShapAlgorithm,
    trees: &FlatTrees,
    row: &[f32],
    scale: f64,
    phi: &mut [f64],
) {
    let algorithm = match FORCED.load(Ordering::Relaxed) {
        1 => ShapAlgorithm::Lundberg,
        2 => ShapAlgorithm::Linear,
        _ => chosen,
    };
    match algorithm {
        ShapAlgorithm::Lundberg => shap::add_contributions(trees, row, scale, phi),
        ShapAlgorithm::Linear => linear_shap::add_contributions(trees, row, scale, phi),
    }
}
