//! The engine crate's one error type.

/// Errors from loading rules or models, or from scoring.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A rule condition does not parse or does not type-check.
    #[error("{message} at position {at} of `{source_text}`")]
    RuleSyntax {
        /// What is wrong.
        message: String,
        /// Byte offset in the condition.
        at: usize,
        /// The condition.
        source_text: String,
    },
    /// The rules file has problems (all of them are listed).
    #[error("rules file: {}", problems.join("; "))]
    RulesFile {
        /// Every problem found.
        problems: Vec<String>,
    },
    /// A model could not be loaded or used.
    #[error(transparent)]
    Model(#[from] vigie_model::ModelError),
    /// A stored feature vector has the wrong length.
    #[error("expected {expected} features, found {found}")]
    FeatureCount {
        /// This build's feature count.
        expected: usize,
        /// What was given.
        found: usize,
    },
    /// A thread panicked while holding the engine's lock.
    #[error("the engine's state is unusable after a panic")]
    Poisoned,
    /// The feature engine failed (state store).
    #[error(transparent)]
    Features(#[from] vigie_features::FeatureError),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, EngineError>;
