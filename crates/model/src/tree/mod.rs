//! Tree models written for Vigie: histogram gradient-boosted trees
//! ([`Gbdt`]) and a random forest ([`Forest`]), sharing one binning and
//! histogram machinery, one flat evaluator and exact TreeSHAP.
//!
//! Layers, bottom up:
//! - `bins`: feature values -> `u8` bin codes (quantiles; one bin per
//!   category level), once per training run;
//! - `histogram`, `split`, `partition`, `grower`: grow one tree on bins
//!   (leaf-wise or depth-wise, histogram subtraction, LightGBM-style
//!   categorical splits), deterministic whatever the thread count;
//! - `stored`: trees as saved (raw-value thresholds, covers), validated on
//!   load; `flat`: all trees in one 16-byte-node array for prediction,
//!   `quick`: the same trees per feature for QuickScorer (single-row and
//!   batch prediction when every tree has at most 64 leaves);
//!   `shap` and `linear_shap`: exact path-dependent TreeSHAP on the flat
//!   arrays (Lundberg et al.'s, and Linear TreeSHAP, the faster one used;
//!   `explainer` dispatches);
//! - `ensemble`: validated trees + evaluator, shared by the two models;
//! - `gbdt`, `forest`: parameters, training loops and the public models.
//!
//! Invariants: a split trained as "bin <= b goes left" is saved as "raw
//! value <= upper bound of bin b goes left", so prediction needs no binning
//! and agrees with training exactly; explanations add up to the raw score.

mod bins;
mod ensemble;
mod explainer;
mod flat;
mod forest;
mod gbdt;
mod grower;
mod histogram;
mod linear_shap;
mod params;
mod partition;
mod quick;
mod rng;
mod shap;
#[cfg(test)]
mod shap_testkit;
mod split;
mod stored;

pub use explainer::ShapAlgorithm;
#[doc(hidden)]
pub use explainer::force_shap_algorithm;
pub use forest::{ClassWeight, Forest, ForestParams, MaxFeatures, RowSampling};
pub use gbdt::{Gbdt, GbdtParams, TrainingCurves};
