//! The linear model families: L2-regularised logistic regression and a
//! linear SVM (squared hinge) with Platt-calibrated probabilities.
//!
//! Both share one pipeline: a preprocessing fitted on the training set only
//! and stored in the model (module `preprocess`: numeric features clipped to
//! training quantiles then standardised, categorical features one-hot), a
//! row-major design matrix, and a Newton-CG solver whose data passes run on
//! fixed row blocks summed in block order (module `parallel`), so training is
//! deterministic and bit-identical whatever the number of threads.
//!
//! Serving is a dot product: scoring a row allocates nothing, and the
//! explanation (one contribution per original feature, the score at the
//! training means as bias) adds up exactly to the raw score.
//!
//! Optionally ([`RandomFeatures`]), seeded random Fourier features
//! approximate an RBF kernel so the model can bend; they cost about
//! `dims` times more per row. An exact kernel SVM does not scale to
//! millions of rows (quadratic training, up to one support vector per row
//! at prediction), so it is not offered.

mod design;
mod fourier;
mod logistic;
mod loss;
mod newton;
mod parallel;
mod params;
mod persist;
mod platt;
mod preprocess;
mod scorer;
mod svm;
mod train;

pub use logistic::LogisticRegression;
pub use params::{ClassWeight, LinearParams, LogisticParams, RandomFeatures, SvmParams};
pub use svm::LinearSvm;
