//! The per-row losses the solver minimises, as functions of the raw score
//! `z` and the 0/1 label, with their first and second derivatives in `z`.

/// A twice (generalised) differentiable loss of the raw score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loss {
    /// Logistic loss `ln(1 + e^z) - y z`: `z` is the log-odds of fraud.
    Logistic,
    /// Squared hinge `max(0, 1 - s z)^2` with `s = +1` for fraud, `-1`
    /// otherwise (scikit-learn `LinearSVC`'s default loss). Its second
    /// derivative is the generalised one: 2 inside the margin, 0 outside.
    SquaredHinge,
}

impl Loss {
    /// The loss of one row.
    #[inline]
    pub(crate) fn value(self, z: f64, fraud: bool) -> f64 {
        match self {
            Self::Logistic => softplus(z) - if fraud { z } else { 0.0 },
            Self::SquaredHinge => {
                let m = hinge_gap(z, fraud);
                if m > 0.0 { m * m } else { 0.0 }
            }
        }
    }

    /// `(loss, d loss / dz, d2 loss / dz2)` of one row.
    #[inline]
    pub(crate) fn derivatives(self, z: f64, fraud: bool) -> (f64, f64, f64) {
        match self {
            Self::Logistic => {
                let p = sigmoid(z);
                let y = if fraud { 1.0 } else { 0.0 };
                (softplus(z) - y * z, p - y, p * (1.0 - p))
            }
            Self::SquaredHinge => {
                let m = hinge_gap(z, fraud);
                if m > 0.0 {
                    let s = if fraud { 1.0 } else { -1.0 };
                    (m * m, -2.0 * s * m, 2.0)
                } else {
                    (0.0, 0.0, 0.0)
                }
            }
        }
    }

    /// The constant score minimising the loss when the two classes weigh
    /// `negative_mass` and `positive_mass` (both > 0): the solver's start.
    pub(crate) fn best_constant(self, negative_mass: f64, positive_mass: f64) -> f64 {
        match self {
            Self::Logistic => (positive_mass / negative_mass).ln(),
            Self::SquaredHinge => (positive_mass - negative_mass) / (positive_mass + negative_mass),
        }
    }
}

/// `1 - s z`, the distance inside the margin.
#[inline]
fn hinge_gap(z: f64, fraud: bool) -> f64 {
    if fraud { 1.0 - z } else { 1.0 + z }
}

/// `ln(1 + e^z)` without overflow.
#[inline]
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// `1 / (1 + e^-z)` without overflow.
#[inline]
pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_finite_differences() {
        for loss in [Loss::Logistic, Loss::SquaredHinge] {
            for z in [-3.0, -0.7, 0.3, 2.5] {
                for fraud in [false, true] {
                    let h = 1e-6;
                    let (v, d1, d2) = loss.derivatives(z, fraud);
                    assert!((v - loss.value(z, fraud)).abs() < 1e-15);
                    let fd1 = (loss.value(z + h, fraud) - loss.value(z - h, fraud)) / (2.0 * h);
                    assert!((d1 - fd1).abs() < 1e-6, "{loss:?} {z} {fraud}");
                    let fd2 = (loss.derivatives(z + h, fraud).1 - loss.derivatives(z - h, fraud).1)
                        / (2.0 * h);
                    assert!((d2 - fd2).abs() < 1e-5, "{loss:?} {z} {fraud}");
                }
            }
        }
    }

    #[test]
    fn logistic_loss_is_stable_far_out() {
        assert!((Loss::Logistic.value(800.0, false) - 800.0).abs() < 1e-9);
        assert!(Loss::Logistic.value(-800.0, false).abs() < 1e-300);
        assert_eq!(sigmoid(-800.0), 0.0);
        assert_eq!(sigmoid(800.0), 1.0);
    }

    #[test]
    fn best_constant_zeroes_the_gradient() {
        for loss in [Loss::Logistic, Loss::SquaredHinge] {
            let (neg, pos) = (3.0, 1.0);
            let b = loss.best_constant(neg, pos);
            let g = neg * loss.derivatives(b, false).1 + pos * loss.derivatives(b, true).1;
            assert!(g.abs() < 1e-12, "{loss:?}");
        }
    }
}
