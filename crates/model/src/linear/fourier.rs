//! Random Fourier features (Rahimi and Recht, 2007): an optional, seeded
//! approximation of the RBF kernel `exp(-gamma |u - u'|^2)` on the
//! preprocessed vector `u`, appended to the linear features so that a linear
//! model can bend.
//!
//! Feature `k` is `sqrt(2/D) cos(omega_k . u + b_k)`, `omega_k ~ N(0, 2 gamma I)`,
//! `b_k ~ U[0, 2 pi)`, drawn from a SplitMix64 stream of the seed (so a seed
//! means the same features on every platform and version).
//!
//! Explanations stay exact: with `a_k = omega_k . u = sum_f a_kf` split by
//! original feature `f`, the random part of the score is written as
//! `sum_k v_k s cos(b_k)` (the score at `u = 0`, the training means, which
//! goes into the bias) plus, for each feature, `sum_k r_k a_kf` with
//! `r_k = v_k s (cos(a_k + b_k) - cos(b_k)) / a_k` (0 when `a_k == 0`): each
//! feature gets the share of each random feature's change that its part of
//! the argument carries. The shares add up to the score by construction.

use serde::{Deserialize, Serialize};

/// Most random features a model may have (scoring keeps one `f64` per
/// feature on the stack).
pub(crate) const MAX_DIMS: usize = 1024;

/// A drawn random feature map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FourierMap {
    /// Number of random features `D`.
    pub dims: usize,
    /// `omega[c * dims + k]`: weight of encoded column `c` in feature `k`
    /// (grouped by encoded column, which is how scoring reads it).
    pub omega: Vec<f64>,
    /// `b_k`.
    pub phase: Vec<f64>,
}

impl FourierMap {
    /// Draws `dims` features over `width` encoded columns.
    pub(crate) fn draw(width: usize, dims: usize, gamma: f64, seed: u64) -> Self {
        let mut rng = SplitMix64(seed);
        let sd = (2.0 * gamma).sqrt();
        let mut omega = vec![0.0; width * dims];
        for k in 0..dims {
            for c in 0..width {
                omega[c * dims + k] = sd * rng.normal();
            }
        }
        let phase = (0..dims)
            .map(|_| std::f64::consts::TAU * rng.uniform())
            .collect();
        Self { dims, omega, phase }
    }

    /// `sqrt(2 / D)`.
    #[inline]
    pub(crate) fn scale(&self) -> f64 {
        (2.0 / self.dims as f64).sqrt()
    }

    /// The weights of encoded column `column` in every feature.
    #[inline]
    pub(crate) fn column(&self, column: usize) -> &[f64] {
        let start = column * self.dims;
        self.omega.get(start..start + self.dims).unwrap_or(&[])
    }

    /// Checks a decoded map against the number of encoded columns.
    pub(crate) fn check(&self, width: usize) -> Result<(), String> {
        let finite = self.omega.iter().chain(&self.phase).all(|v| v.is_finite());
        if self.dims == 0
            || self.dims > MAX_DIMS
            || self.omega.len() != width * self.dims
            || self.phase.len() != self.dims
            || !finite
        {
            return Err("bad random feature map".to_owned());
        }
        Ok(())
    }
}

/// SplitMix64 with Box-Muller normals: tiny and fixed forever.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal.
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.uniform(); // in (0, 1]
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approximates_the_rbf_kernel() {
        let (width, dims, gamma) = (3, 1024, 0.5);
        let map = FourierMap::draw(width, dims, gamma, 42);
        let features = |u: &[f64]| -> Vec<f64> {
            (0..dims)
                .map(|k| {
                    let a: f64 = (0..width).map(|c| u[c] * map.omega[c * dims + k]).sum();
                    map.scale() * (a + map.phase[k]).cos()
                })
                .collect()
        };
        let (x, y) = ([0.3, -0.2, 0.5], [-0.4, 0.1, 0.9]);
        let approx: f64 = features(&x)
            .iter()
            .zip(features(&y))
            .map(|(a, b)| a * b)
            .sum();
        let distance2: f64 = x.iter().zip(&y).map(|(a, b)| (a - b) * (a - b)).sum();
        let exact = (-gamma * distance2).exp();
        assert!((approx - exact).abs() < 0.08, "{approx} vs {exact}");
        assert_eq!(map, FourierMap::draw(width, dims, gamma, 42));
        assert_ne!(map, FourierMap::draw(width, dims, gamma, 43));
    }
}
