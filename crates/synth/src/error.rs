//! The crate's one error type.

use vigie_types::ValueError;

/// Everything that can go wrong while generating data.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The configuration is not usable; every problem found is listed.
    #[error("invalid generator configuration: {}", problems.join("; "))]
    InvalidConfig {
        /// One human sentence per problem.
        problems: Vec<String>,
    },
    /// Writing the output failed.
    #[error("cannot write the generated rows: {source}")]
    Io {
        /// The underlying I/O error.
        #[from]
        source: std::io::Error,
    },
    /// A generated value was refused by its checked constructor. This is a
    /// bug in the generator, reported rather than written out.
    #[error("generated an invalid {what}: {source}")]
    InvalidValue {
        /// Which field.
        what: &'static str,
        /// Why it was refused.
        source: ValueError,
    },
    /// A sampling distribution could not be built from its parameters (a bug
    /// in the embedded profile tables).
    #[error("bad distribution parameters for {what}: {message}")]
    Distribution {
        /// Which distribution.
        what: String,
        /// What the sampling library said.
        message: String,
    },
    /// A generation thread stopped without finishing its work.
    #[error("a generator thread stopped unexpectedly")]
    WorkerStopped,
}

/// Shorthand for results whose error is [`SynthError`].
pub type Result<T, E = SynthError> = std::result::Result<T, E>;

/// Wraps a [`ValueError`] with the name of the field being built.
pub(crate) fn invalid(what: &'static str) -> impl FnOnce(ValueError) -> SynthError {
    move |source| SynthError::InvalidValue { what, source }
}
