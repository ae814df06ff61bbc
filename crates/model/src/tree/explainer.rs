//! Which exact TreeSHAP algorithm explains the tree models: Linear TreeSHAP
//! (`linear_shap.rs`, O(nodes x depth / 2) per tree), measured faster than
//! Lundberg et al.'s (`shap.rs`, O(leaves x depth^2)) for every model shape
//! tried, from 300 trees of 7 leaves (2x) to 100 trees of depth 20 (6x); see
//! `docs/benchmarks.md`, "Explanations". Both give the same values up to
//! rounding (property-tested); Lundberg's stays as the reference.
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

/// 0: no override, 1: Lundberg, 2: Linear.
static FORCED: AtomicU8 = AtomicU8::new(0);

/// Makes every tree model in the process explain with `algorithm` (`None`:
/// back to the default, Linear TreeSHAP). For benchmarks only.
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
/// with Linear TreeSHAP (or the forced algorithm).
pub(crate) fn add_contributions(trees: &FlatTrees, row: &[f32], scale: f64, phi: &mut [f64]) {
    let algorithm = match FORCED.load(Ordering::Relaxed) {
        1 => ShapAlgorithm::Lundberg,
        _ => ShapAlgorithm::Linear,
    };
    match algorithm {
        ShapAlgorithm::Lundberg => shap::add_contributions(trees, row, scale, phi),
        ShapAlgorithm::Linear => linear_shap::add_contributions(trees, row, scale, phi),
    }
}
