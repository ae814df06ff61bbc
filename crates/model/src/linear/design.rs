//! The training design matrix: every row preprocessed once, stored row-major
//! for the solver's passes. Dense values (`f32`): the standardised numeric
//! features, then the random Fourier features if any. Each categorical
//! feature is stored as the index of the one coefficient its code switches
//! on (the one-hot vector, sparsely). The intercept is the implicit last
//! column (always 1).
//!
//! Parameter layout (`theta`): the encoded columns of the preprocessor
//! (numeric, then one-hot blocks: `0..width`), then the random features
//! (`width..width + dims`), then the intercept.
//!
//! Invariant: `dense.len() == rows * (numeric_width + dims)` and
//! `active.len() == rows * categorical_width`; an `active` index is below
//! `width` or [`NO_COLUMN`] (an unknown code, impossible for training data,
//! which the dataset checked).

use super::fourier::FourierMap;
use super::parallel::map_blocks;
use super::preprocess::{Encoding, Preprocessor};
use super::scorer::encoded;
use crate::dataset::Dataset;

/// Marks a categorical value that switches no coefficient on.
const NO_COLUMN: u32 = u32::MAX;

/// The preprocessed training rows.
pub(crate) struct Design {
    rows: usize,
    /// Numeric features (coefficients `0..numeric_width`).
    numeric_width: usize,
    /// Random features (coefficients `width..width + dims`).
    dims: usize,
    categorical_width: usize,
    /// Number of encoded columns of the preprocessor.
    width: usize,
    dense: Vec<f32>,
    active: Vec<u32>,
}

impl Design {
    /// Preprocesses every row of `data`, adding the random features of
    /// `fourier` if given.
    pub(crate) fn build(
        data: &Dataset,
        pre: &Preprocessor,
        fourier: Option<&FourierMap>,
        threads: usize,
    ) -> Self {
        let is_numeric = |e: &Encoding| matches!(e, Encoding::Numeric { .. });
        let numeric: Vec<(usize, Encoding)> = pre
            .encodings
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, e)| is_numeric(e))
            .collect();
        let categorical: Vec<(usize, Encoding)> = pre
            .encodings
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, e)| !is_numeric(e))
            .collect();
        let dims = fourier.map_or(0, |m| m.dims);
        let (nw, cw) = (numeric.len(), categorical.len());
        let blocks = map_blocks(data.n_rows(), threads, |range| {
            let mut dense = Vec::with_capacity(range.len() * (nw + dims));
            let mut active = Vec::with_capacity(range.len() * cw);
            let mut arguments = vec![0.0f64; dims];
            for row in range {
                arguments.fill(0.0);
                for &(f, encoding) in numeric.iter().chain(&categorical) {
                    let value = encoded(encoding, data.column(f)[row]);
                    if let (Some((column, u)), Some(map)) = (value, fourier) {
                        for (a, w) in arguments.iter_mut().zip(map.column(column)) {
                            *a += u * w;
                        }
                    }
                    match (encoding, value) {
                        (Encoding::Numeric { .. }, Some((_, u))) => dense.push(u as f32),
                        (Encoding::Numeric { .. }, None) => dense.push(0.0),
                        (Encoding::Categorical { .. }, column) => active.push(
                            column
                                .and_then(|(c, _)| u32::try_from(c).ok())
                                .unwrap_or(NO_COLUMN),
                        ),
                    }
                }
                if let Some(map) = fourier {
                    let scale = map.scale();
                    for (a, phase) in arguments.iter().zip(&map.phase) {
                        dense.push((scale * (a + phase).cos()) as f32);
                    }
                }
            }
            (dense, active)
        });
        let mut dense = Vec::with_capacity(data.n_rows() * (nw + dims));
        let mut active = Vec::with_capacity(data.n_rows() * cw);
        for (d, a) in blocks {
            dense.extend(d);
            active.extend(a);
        }
        Self {
            rows: data.n_rows(),
            numeric_width: nw,
            dims,
            categorical_width: cw,
            width: pre.width,
            dense,
            active,
        }
    }

    /// Number of rows.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Number of encoded columns of the preprocessor.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Number of parameters: encoded columns, random features, intercept.
    pub(crate) fn dim(&self) -> usize {
        self.width + self.dims + 1
    }

    /// `x_row . theta`, intercept included (`theta.len() == dim()`).
    #[inline]
    pub(crate) fn dot(&self, row: usize, theta: &[f64]) -> f64 {
        let (numeric, random, active) = self.row(row);
        let mut z = theta[self.dim() - 1] + dot(numeric, theta) + dot(random, &theta[self.width..]);
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
        self.add_mapped(row, scale, acc, |x| x);
    }

    /// `acc += scale * x_row^2` element-wise (the diagonal of `x x^T`).
    #[inline]
    pub(crate) fn add_scaled_squares(&self, row: usize, scale: f64, acc: &mut [f64]) {
        self.add_mapped(row, scale, acc, |x| x * x);
    }

    /// `acc += scale * f(x_row)` element-wise, with `f(0) = 0`, `f(1) = 1`.
    #[inline]
    fn add_mapped(&self, row: usize, scale: f64, acc: &mut [f64], f: impl Fn(f64) -> f64) {
        let (numeric, random, active) = self.row(row);
        let intercept = self.dim() - 1;
        for (&x, a) in numeric.iter().zip(acc.iter_mut()) {
            *a += scale * f(f64::from(x));
        }
        for (&x, a) in random.iter().zip(acc[self.width..].iter_mut()) {
            *a += scale * f(f64::from(x));
        }
        for &column in active {
            if let Some(a) = acc.get_mut(column as usize) {
                *a += scale;
            }
        }
        acc[intercept] += scale;
    }

    /// A row's numeric values, random-feature values and active columns.
    #[inline]
    fn row(&self, row: usize) -> (&[f32], &[f32], &[u32]) {
        let (n, d, c) = (self.numeric_width, self.dims, self.categorical_width);
        let dense = &self.dense[row * (n + d)..(row + 1) * (n + d)];
        let (numeric, random) = dense.split_at(n);
        (numeric, random, &self.active[row * c..(row + 1) * c])
    }
}

/// `x . w` over the common length, with eight independent partial sums (a
/// left-to-right sum is one long dependency chain); a fixed order, so
/// always the same result.
#[inline]
fn dot(x: &[f32], w: &[f64]) -> f64 {
    const LANES: usize = 8;
    let n = x.len().min(w.len());
    let (x, w) = (&x[..n], &w[..n]);
    let mut partial = [0.0f64; LANES];
    let (chunks_x, chunks_w) = (x.chunks_exact(LANES), w.chunks_exact(LANES));
    let tail: f64 = chunks_x
        .remainder()
        .iter()
        .zip(chunks_w.remainder())
        .map(|(&a, b)| f64::from(a) * b)
        .sum();
    for (a, b) in chunks_x.zip(chunks_w) {
        for lane in 0..LANES {
            partial[lane] += f64::from(a[lane]) * b[lane];
        }
    }
    partial.iter().sum::<f64>() + tail
}
