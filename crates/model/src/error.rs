//! The model crate's one error type.

/// Errors from training, loading or using a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The data cannot be used (shape, labels, values).
    #[error("invalid data: {reason}")]
    InvalidData {
        /// What is wrong.
        reason: String,
    },
    /// A hyper-parameter is out of range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParam {
        /// The parameter.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A row has the wrong number of features for this model.
    #[error("expected {expected} features, got {found}")]
    FeatureCount {
        /// What the model was trained with.
        expected: usize,
        /// What it was given.
        found: usize,
    },
    /// The model was trained on another feature layout.
    #[error(
        "the model was trained on feature schema {found}, this build computes {expected}: retrain it"
    )]
    SchemaMismatch {
        /// This build's schema (short hash).
        expected: String,
        /// The artifact's schema (short hash).
        found: String,
    },
    /// A saved model could not be read.
    #[error("cannot decode model: {reason}")]
    Decode {
        /// What is wrong.
        reason: String,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, ModelError>;
