//! The training crate's one error type.

use std::path::PathBuf;

/// Errors from training, evaluating or recording models.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The configuration or the data cannot be used as asked.
    #[error("{problem}")]
    Config {
        /// What is wrong.
        problem: String,
    },
    /// Reading a feature file failed.
    #[error(transparent)]
    Features(#[from] vigie_features::FeatureError),
    /// A model failed to train, predict or encode.
    #[error(transparent)]
    Model(#[from] vigie_model::ModelError),
    /// The registry refused a record.
    #[error(transparent)]
    Registry(#[from] vigie_registry::RegistryError),
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, TrainError>;
