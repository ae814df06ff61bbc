//! The training design matrix: every row preprocessed once, stored row-major
//! for the solver's passes. Numeric features are dense standardised `f32`
//! values; each categorical feature is stored as the index of the one
//! coefficient its code switches on (the one-hot vector, sparsely). The
//! intercept is the implicit last column (always 1).
//!
//! Invariant: `numeric.len() == rows * numeric_width` and
//! `active.len() == rows * categorical_width`, every `active` index is below
//! `width`, and an unknown code (impossible for training data, which the
//! dataset checked) would point at no coefficient.

use super::parallel::map_blocks;
use super::preprocess::{Encoding, Preprocessor};
use crate::dataset::Dataset;

/// Marks a categorical value that switches no coefficient on.
const NO_COLUMN: u32 = u32::MAX;

/// The preprocessed training rows.
pub(crate) struct Design {
    rows: usize,
    numeric_width: usize,
    categorical_width: usize,
    /// Number of coefficients, intercept excluded.
    width: usize,
    numeric: Vec<f32>,
    active: Vec<u32>,
}

impl Design {
    /// Preprocesses every row of `data`.
    pub(crate) fn build(data: &Dataset, pre: &Preprocessor, threads: usize) -> Self {
        let numeric_features: Vec<(usize, Encoding)> = pre
            .encodings
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, e)| matches!(e, Encoding::Numeric { .. }))
            .collect();
        let categorical_features: Vec<(usize, Encoding)> = pre
            .encodings
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, e)| matches!(e, Encoding::Categorical { .. }))
            .collect();
        let (nw, cw) = (numeric_features.len(), categorical_features.len());
        let blocks = map_blocks(data.n_rows(), threads, |range| {
            let mut numeric = Vec::with_capacity(range.len() * nw);
            let mut active = Vec::with_capacity(range.len() * cw);
            for row in range {
                for &(f, encoding) in &numeric_features {
                    if let Encoding::Numeric {
                        low,
                        high,
                        mean,
                        inv_std,
                        ..
                    } = encoding
                    {
                        let x = data.column(f)[row];
                        numeric.push(Encoding::standardise(low, high, mean, inv_std, x) as f32);
                    }
                }
                for &(f, encoding) in &categorical_features {
                    if let Encoding::Categorical {
                        levels,
                        first_column,
                    } = encoding
                    {
                        let x = data.column(f)[row];
                        let column = Encoding::level_column(levels, first_column, x)
                            .and_then(|c| u32::try_from(c).ok());
                        active.push(column.unwrap_or(NO_COLUMN));
                    }
                }
            }
            (numeric, active)
        });
        let mut numeric = Vec::with_capacity(data.n_rows() * nw);
        let mut active = Vec::with_capacity(data.n_rows() * cw);
        for (n, a) in blocks {
            numeric.extend(n);
            active.extend(a);
        }
        Self {
            rows: data.n_rows(),
            numeric_width: nw,
            categorical_width: cw,
            width: pre.width,
            numeric,
            active,
        }
    }

    /// Number of rows.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Number of parameters: coefficients plus the intercept (last).
    pub(crate) fn dim(&self) -> usize {
        self.width + 1
    }

    /// `x_row . theta`, intercept included (`theta.len() == dim()`).
    #[inline]
    pub(crate) fn dot(&self, row: usize, theta: &[f64]) -> f64 {
        let (numeric, active) = self.row(row);
        let mut z = theta[self.width];
        for (&x, &w) in numeric.iter().zip(theta) {
            z += f64::from(x) * w;
        }
        for &column in active {
            if let Some(w) = theta.get(column as usize) {
                z += w;
            }
        }
        z
    }

    /// `acc += scale * x_row`, intercept included.
    #[inline]
    pub(crate) fn add_scaled(&self, row: usize, scale: f64, acc: &mut [f64]) {
        let (numeric, active) = self.row(row);
        for (&x, a) in numeric.iter().zip(acc.iter_mut()) {
            *a += scale * f64::from(x);
        }
        for &column in active {
            if let Some(a) = acc.get_mut(column as usize) {
                *a += scale;
            }
        }
        acc[self.width] += scale;
    }

    /// `acc += scale * x_row^2` element-wise (the diagonal of `x x^T`).
    #[inline]
    pub(crate) fn add_scaled_squares(&self, row: usize, scale: f64, acc: &mut [f64]) {
        let (numeric, active) = self.row(row);
        for (&x, a) in numeric.iter().zip(acc.iter_mut()) {
            let x = f64::from(x);
            *a += scale * x * x;
        }
        for &column in active {
            if let Some(a) = acc.get_mut(column as usize) {
                *a += scale;
            }
        }
        acc[self.width] += scale;
    }

    #[inline]
    fn row(&self, row: usize) -> (&[f32], &[u32]) {
        let n = self.numeric_width;
        let c = self.categorical_width;
        (
            &self.numeric[row * n..(row + 1) * n],
            &self.active[row * c..(row + 1) * c],
        )
    }
}
