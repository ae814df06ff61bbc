//! Training shared by both models: check the data, fit the preprocessing,
//! draw the random features if asked, build the design matrix, weight the
//! classes, run the Newton solver.

use super::design::Design;
use super::fourier::FourierMap;
use super::loss::Loss;
use super::newton::{Problem, Stopping, minimise};
use super::params::LinearParams;
use super::preprocess::Preprocessor;
use super::scorer::{FourierPart, LinearScorer};
use crate::dataset::Dataset;
use crate::error::{ModelError, Result};

/// A trained linear function and how the solver got there.
pub(crate) struct Trained {
    /// The function.
    pub scorer: LinearScorer,
    /// Objective at the start and after each Newton iteration.
    pub curve: Vec<f64>,
    /// Whether the gradient tolerance was reached.
    pub converged: bool,
}

/// Fits `loss` on `train` with `params` (validated here).
pub(crate) fn train(train: &Dataset, params: &LinearParams, loss: Loss) -> Result<Trained> {
    params.validate()?;
    let positives = train.positives();
    let negatives = train.n_rows() - positives;
    if positives == 0 || negatives == 0 {
        return Err(ModelError::InvalidData {
            reason: format!(
                "training needs both classes, got {positives} frauds and {negatives} \
                 legitimate rows"
            ),
        });
    }
    let threads = params.worker_threads();
    let preprocessor = Preprocessor::fit(train, params.clip_quantile, threads);
    let fourier = params
        .random_features
        .map(|r| FourierMap::draw(preprocessor.width, r.dims, r.gamma, r.seed));
    let design = Design::build(train, &preprocessor, fourier.as_ref(), threads);
    let [w0, w1] = params.class_weight.per_class(negatives, positives);
    let (negative_mass, positive_mass) = (w0 * negatives as f64, w1 * positives as f64);
    let total = negative_mass + positive_mass;
    let problem = Problem {
        design: &design,
        labels: train.labels(),
        row_weight: [w0 / total, w1 / total],
        l2: params.l2,
        loss,
        threads,
    };
    let stop = Stopping {
        tolerance: params.tolerance,
        max_iterations: params.max_iterations,
    };
    let solution = minimise(
        &problem,
        loss.best_constant(negative_mass, positive_mass),
        &stop,
    );
    let mut coefficients = solution.theta;
    let intercept = coefficients.pop().unwrap_or(0.0);
    let random_coefficients = coefficients.split_off(design.width());
    Ok(Trained {
        scorer: LinearScorer {
            preprocessor,
            coefficients,
            intercept,
            fourier: fourier.map(|map| FourierPart::new(map, random_coefficients)),
        },
        curve: solution.curve,
        converged: solution.converged,
    })
}
