//! The feature vector: one `f32` per feature of the catalogue, in order.

use crate::catalogue::{FEATURE_COUNT, Feature};

/// A transaction's features, in [`Feature::ALL`] order. Every value is
/// finite: undefined quantities take a documented neutral value instead of
/// NaN, so every model family can use the vector as it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureVector(pub [f32; FEATURE_COUNT]);

impl FeatureVector {
    /// The value of one feature.
    pub fn get(&self, feature: Feature) -> f32 {
        self.0[feature.index()]
    }

    /// The values, in order.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// Bit-for-bit equality (what "the same features" means here).
    pub fn bit_eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl Default for FeatureVector {
    fn default() -> Self {
        Self([0.0; FEATURE_COUNT])
    }
}
