//! Line-search Newton with preconditioned conjugate gradient (the method of
//! scikit-learn's `newton-cg` and, with a trust region instead of a line
//! search, of liblinear's TRON), for
//!
//! `F(theta) = sum_i c_i loss(x_i . theta, y_i) + lambda/2 |w|^2`
//!
//! where `c_i` is the row's class weight divided by the total weight (so the
//! loss term is a weighted mean), `w` is `theta` without the intercept (not
//! penalised).
//!
//! Each iteration makes one gradient pass over the rows (which also stores
//! each row's curvature), a few Hessian-vector passes for the CG steps, one
//! pass for the search direction's scores, and cheap line-search steps on
//! stored scores. Every pass sums fixed blocks of rows in block order
//! (module `parallel`), so the result is bit-identical whatever the number
//! of threads.

use super::design::Design;
use super::loss::Loss;
use super::parallel::{map_blocks, sum_in_order};

/// The training problem.
pub(crate) struct Problem<'a> {
    /// The preprocessed rows.
    pub design: &'a Design,
    /// 0/1 labels, one per row.
    pub labels: &'a [u8],
    /// `c` of a label-0 row and of a label-1 row.
    pub row_weight: [f64; 2],
    /// The L2 penalty `lambda`.
    pub l2: f64,
    /// The per-row loss.
    pub loss: Loss,
    /// Worker threads.
    pub threads: usize,
}

/// When to stop.
pub(crate) struct Stopping {
    /// Relative gradient-norm tolerance.
    pub tolerance: f64,
    /// Maximum Newton iterations.
    pub max_iterations: usize,
}

/// The minimiser found.
pub(crate) struct Solution {
    /// `theta`: the coefficients, then the intercept.
    pub theta: Vec<f64>,
    /// `F` at the start and after each iteration.
    pub curve: Vec<f64>,
    /// Whether the gradient tolerance was reached.
    pub converged: bool,
}

/// The objective, gradient and per-row curvature at one point.
struct Evaluation {
    objective: f64,
    gradient: Vec<f64>,
    /// `c_i * loss''(z_i)`, the weights of the Hessian `X^T D X`.
    curvature: Vec<f64>,
    /// The diagonal of the Hessian (the preconditioner).
    diagonal: Vec<f64>,
    /// `z_i = x_i . theta`.
    scores: Vec<f64>,
}

/// Armijo sufficient-decrease constant.
const ARMIJO: f64 = 1e-4;
/// Smallest step tried by the line search.
const MIN_STEP: f64 = 1e-10;

impl Problem<'_> {
    fn weight(&self, row: usize) -> (f64, bool) {
        let fraud = self.labels[row] == 1;
        (self.row_weight[usize::from(fraud)], fraud)
    }

    fn penalty(&self, theta: &[f64]) -> f64 {
        let w = &theta[..theta.len() - 1];
        0.5 * self.l2 * w.iter().map(|v| v * v).sum::<f64>()
    }

    fn evaluate(&self, theta: &[f64]) -> Evaluation {
        let dim = self.design.dim();
        let blocks = map_blocks(self.design.rows(), self.threads, |range| {
            let mut loss = 0.0;
            let mut gradient = vec![0.0; dim];
            let mut diagonal = vec![0.0; dim];
            let mut curvature = Vec::with_capacity(range.len());
            let mut scores = Vec::with_capacity(range.len());
            for row in range {
                let (c, fraud) = self.weight(row);
                let z = self.design.dot(row, theta);
                let (l, d1, d2) = self.loss.derivatives(z, fraud);
                loss += c * l;
                if d1 != 0.0 {
                    self.design.add_scaled(row, c * d1, &mut gradient);
                }
                if d2 != 0.0 {
                    self.design.add_scaled_squares(row, c * d2, &mut diagonal);
                }
                curvature.push(c * d2);
                scores.push(z);
            }
            (loss, gradient, diagonal, curvature, scores)
        });
        let mut evaluation = Evaluation {
            objective: self.penalty(theta),
            gradient: vec![0.0; dim],
            curvature: Vec::with_capacity(self.design.rows()),
            diagonal: vec![0.0; dim],
            scores: Vec::with_capacity(self.design.rows()),
        };
        let mut loss = 0.0;
        for (l, g, d, c, s) in blocks {
            loss += l;
            add_assign(&mut evaluation.gradient, &g);
            add_assign(&mut evaluation.diagonal, &d);
            evaluation.curvature.extend(c);
            evaluation.scores.extend(s);
        }
        evaluation.objective += loss;
        let penalised = dim - 1;
        let coefficients = theta.iter().take(penalised);
        let gradient = evaluation.gradient.iter_mut();
        for ((g, d), &w) in gradient.zip(&mut evaluation.diagonal).zip(coefficients) {
            *g += self.l2 * w;
            *d += self.l2;
        }
        evaluation
    }

    /// `H v = X^T D X v + lambda v` (intercept not penalised).
    fn hessian_times(&self, curvature: &[f64], v: &[f64]) -> Vec<f64> {
        let dim = self.design.dim();
        let parts = map_blocks(self.design.rows(), self.threads, |range| {
            let mut acc = vec![0.0; dim];
            for row in range {
                let h = curvature[row];
                if h != 0.0 {
                    let xv = self.design.dot(row, v);
                    self.design.add_scaled(row, h * xv, &mut acc);
                }
            }
            acc
        });
        let mut hv = sum_in_order(&parts, dim);
        for j in 0..dim - 1 {
            hv[j] += self.l2 * v[j];
        }
        hv
    }

    /// `x_i . p` for every row.
    fn scores_of(&self, p: &[f64]) -> Vec<f64> {
        map_blocks(self.design.rows(), self.threads, |range| {
            range.map(|row| self.design.dot(row, p)).collect::<Vec<_>>()
        })
        .concat()
    }

    /// `F(theta + step * p)` from the stored scores `z` and `x . p`.
    fn objective_along(&self, theta: &[f64], p: &[f64], step: f64, z: &[f64], xp: &[f64]) -> f64 {
        let parts = map_blocks(self.design.rows(), self.threads, |range| {
            range
                .map(|row| {
                    let (c, fraud) = self.weight(row);
                    c * self.loss.value(z[row] + step * xp[row], fraud)
                })
                .sum::<f64>()
        });
        let moved: Vec<f64> = theta.iter().zip(p).map(|(t, d)| t + step * d).collect();
        parts.iter().sum::<f64>() + self.penalty(&moved)
    }

    /// Approximately solves `H p = -g` by Jacobi-preconditioned CG, stopping
    /// when the residual is below `target` (absolute).
    fn newton_direction(&self, at: &Evaluation, target: f64) -> Vec<f64> {
        let dim = self.design.dim();
        let g = &at.gradient;
        let inverse_diagonal: Vec<f64> = at
            .diagonal
            .iter()
            .map(|&d| if d > 0.0 { 1.0 / d } else { 1.0 })
            .collect();
        let mut p = vec![0.0; dim];
        let mut r: Vec<f64> = g.iter().map(|v| -v).collect();
        let mut s: Vec<f64> = r
            .iter()
            .zip(&inverse_diagonal)
            .map(|(a, b)| a * b)
            .collect();
        let mut d = s.clone();
        let mut rs = dot(&r, &s);
        for _ in 0..max_cg_steps(dim) {
            if norm(&r) <= target {
                break;
            }
            let hd = self.hessian_times(&at.curvature, &d);
            let dhd = dot(&d, &hd);
            if dhd <= 0.0 {
                break;
            }
            let alpha = rs / dhd;
            for j in 0..dim {
                p[j] += alpha * d[j];
                r[j] -= alpha * hd[j];
            }
            for j in 0..dim {
                s[j] = r[j] * inverse_diagonal[j];
            }
            let rs_next = dot(&r, &s);
            let beta = rs_next / rs;
            rs = rs_next;
            for j in 0..dim {
                d[j] = s[j] + beta * d[j];
            }
        }
        if p.iter().all(|&v| v == 0.0) {
            // No curvature to use: fall back to steepest descent.
            p = g.iter().map(|v| -v).collect();
        }
        p
    }
}

/// Minimises the problem from `theta = (0, ..., 0, start_intercept)`.
pub(crate) fn minimise(problem: &Problem<'_>, start_intercept: f64, stop: &Stopping) -> Solution {
    let dim = problem.design.dim();
    let mut theta = vec![0.0; dim];
    theta[dim - 1] = start_intercept;
    let mut at = problem.evaluate(&theta);
    let initial_norm = norm(&at.gradient);
    let mut curve = vec![at.objective];
    let converged_at = |g: &[f64]| norm(g) <= stop.tolerance * initial_norm;
    let mut converged = initial_norm == 0.0;
    for _ in 0..stop.max_iterations {
        if converged {
            break;
        }
        // Inexact Newton: the CG residual (the predicted next gradient) must
        // shrink by a forcing factor that tightens as we converge, but need
        // not go far below what the stopping rule asks for.
        let gradient_norm = norm(&at.gradient);
        let forcing = (gradient_norm / initial_norm).sqrt().min(0.5);
        let target = (forcing * gradient_norm).max(0.1 * stop.tolerance * initial_norm);
        let p = problem.newton_direction(&at, target);
        let slope = dot(&at.gradient, &p);
        if slope >= 0.0 {
            break;
        }
        let xp = problem.scores_of(&p);
        let mut step = 1.0;
        let accepted = loop {
            let value = problem.objective_along(&theta, &p, step, &at.scores, &xp);
            if value <= at.objective + ARMIJO * step * slope {
                break true;
            }
            step *= 0.5;
            if step < MIN_STEP {
                break false;
            }
        };
        if !accepted {
            break; // no decrease left at floating-point precision
        }
        for (t, d) in theta.iter_mut().zip(&p) {
            *t += step * d;
        }
        at = problem.evaluate(&theta);
        curve.push(at.objective);
        converged = converged_at(&at.gradient);
    }
    Solution {
        theta,
        curve,
        converged,
    }
}

/// CG steps allowed per Newton iteration.
fn max_cg_steps(dim: usize) -> usize {
    (2 * dim).clamp(20, 500)
}

fn add_assign(total: &mut [f64], part: &[f64]) {
    for (t, p) in total.iter_mut().zip(part) {
        *t += p;
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}
