//! Platt scaling: a sigmoid `P(fraud | margin f) = 1 / (1 + exp(a f + b))`
//! fitted by maximum likelihood on a held-out calibration set, with Platt's
//! smoothed targets (`(N+ + 1) / (N+ + 2)` for frauds, `1 / (N- + 2)` for
//! the rest) and the Newton method with backtracking of Lin, Lin and Weng,
//! "A note on Platt's probabilistic outputs for support vector machines"
//! (2007), as libsvm and scikit-learn's `CalibratedClassifierCV(method=
//! "sigmoid")` do.
//!
//! The calibration rows are not class-weighted: the probabilities are meant
//! for the class ratio the calibration period has, which should be the one
//! the model will serve.

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// A fitted sigmoid from margins to probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Platt {
    /// Slope (negative when larger margins mean fraud).
    pub a: f64,
    /// Offset.
    pub b: f64,
}

const MAX_ITERATIONS: usize = 100;
const MIN_STEP: f64 = 1e-10;
/// Regularises the Hessian as in Lin, Lin and Weng.
const SIGMA: f64 = 1e-12;
/// Gradient tolerance relative to the number of rows.
const GRADIENT_TOLERANCE: f64 = 1e-10;

impl Platt {
    /// Fits the sigmoid on `margins` and their labels. Both classes must be
    /// present.
    pub(crate) fn fit(margins: &[f64], labels: &[u8]) -> Result<Self> {
        let positives = labels.iter().filter(|&&l| l == 1).count();
        let negatives = labels.len() - positives;
        if positives == 0 || negatives == 0 {
            return Err(ModelError::InvalidData {
                reason: format!(
                    "Platt calibration needs both classes, got {positives} frauds and \
                     {negatives} legitimate rows"
                ),
            });
        }
        let (np, nn) = (positives as f64, negatives as f64);
        let hi_target = (np + 1.0) / (np + 2.0);
        let lo_target = 1.0 / (nn + 2.0);
        let targets: Vec<f64> = labels
            .iter()
            .map(|&l| if l == 1 { hi_target } else { lo_target })
            .collect();
        let objective = |a: f64, b: f64| -> f64 {
            margins
                .iter()
                .zip(&targets)
                .map(|(&f, &t)| {
                    let v = a * f + b;
                    if v >= 0.0 {
                        t * v + (-v).exp().ln_1p()
                    } else {
                        (t - 1.0) * v + v.exp().ln_1p()
                    }
                })
                .sum()
        };
        let mut a = 0.0;
        let mut b = ((nn + 1.0) / (np + 1.0)).ln();
        let mut value = objective(a, b);
        let tolerance = GRADIENT_TOLERANCE * labels.len() as f64;
        for _ in 0..MAX_ITERATIONS {
            let (mut h11, mut h22, mut h21, mut g1, mut g2) = (SIGMA, SIGMA, 0.0, 0.0, 0.0);
            for (&f, &t) in margins.iter().zip(&targets) {
                let v = a * f + b;
                // p = P(fraud) = 1 / (1 + e^v), q = 1 - p, computed stably.
                let (p, q) = if v >= 0.0 {
                    let e = (-v).exp();
                    (e / (1.0 + e), 1.0 / (1.0 + e))
                } else {
                    let e = v.exp();
                    (1.0 / (1.0 + e), e / (1.0 + e))
                };
                let d2 = p * q;
                h11 += f * f * d2;
                h22 += d2;
                h21 += f * d2;
                let d1 = t - p;
                g1 += f * d1;
                g2 += d1;
            }
            if g1.abs() < tolerance && g2.abs() < tolerance {
                break;
            }
            let det = h11 * h22 - h21 * h21;
            let da = -(h22 * g1 - h21 * g2) / det;
            let db = -(-h21 * g1 + h11 * g2) / det;
            let slope = g1 * da + g2 * db;
            let mut step = 1.0;
            let mut moved = false;
            while step >= MIN_STEP {
                let (na, nb) = (a + step * da, b + step * db);
                let next = objective(na, nb);
                if next < value + 1e-4 * step * slope {
                    (a, b, value) = (na, nb, next);
                    moved = true;
                    break;
                }
                step *= 0.5;
            }
            if !moved {
                break;
            }
        }
        Ok(Self { a, b })
    }

    /// The calibrated fraud probability of a margin.
    #[inline]
    pub(crate) fn probability(&self, margin: f64) -> f64 {
        let v = self.a * margin + self.b;
        if v >= 0.0 {
            let e = (-v).exp();
            e / (1.0 + e)
        } else {
            1.0 / (1.0 + v.exp())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_sigmoid() {
        // Margins on a grid; labels drawn so that the empirical rate at each
        // margin follows 1 / (1 + exp(-2 f + 1)).
        let (mut margins, mut labels) = (Vec::new(), Vec::new());
        for i in -40..=40 {
            let f = f64::from(i) / 10.0;
            let p = 1.0 / (1.0 + (-2.0 * f + 1.0).exp());
            let frauds = (p * 1000.0).round() as usize;
            for k in 0..1000 {
                margins.push(f);
                labels.push(u8::from(k < frauds));
            }
        }
        let platt = Platt::fit(&margins, &labels).unwrap();
        assert!((platt.a + 2.0).abs() < 0.02, "{platt:?}");
        assert!((platt.b - 1.0).abs() < 0.02, "{platt:?}");
        assert!((platt.probability(0.5) - 0.5).abs() < 0.01);
    }

    #[test]
    fn needs_both_classes() {
        assert!(Platt::fit(&[1.0, 2.0], &[0, 0]).is_err());
    }
}
