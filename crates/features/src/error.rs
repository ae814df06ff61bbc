//! The feature crate's one error type.

use std::path::PathBuf;

use vigie_types::Timestamp;

/// Errors from computing, storing or reading features.
#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    /// Reading the input transactions failed.
    #[error(transparent)]
    Ingest(#[from] vigie_ingest::IngestError),
    /// The input is further out of time order than the replay tolerates.
    #[error(
        "transaction {trans_num} at {event_time} arrives after transactions up to {emitted_upto} were replayed: \
         the input is more than {max_lateness_secs} s out of time order (sort it, or raise --max-lateness)"
    )]
    OutOfOrder {
        /// The late transaction.
        trans_num: String,
        /// Its event time.
        event_time: Timestamp,
        /// The latest event time already replayed.
        emitted_upto: Timestamp,
        /// The tolerance in force.
        max_lateness_secs: i64,
    },
    /// A Parquet file could not be written or read.
    #[error("parquet file {path}: {source}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: parquet::errors::ParquetError,
    },
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The file is not a feature file, or not of this feature schema.
    #[error("{path} is not a Vigie feature file of schema {expected}: {found}")]
    NotFeatureFile {
        /// The file.
        path: PathBuf,
        /// The schema hash this build computes.
        expected: String,
        /// What the file says.
        found: String,
    },
    /// A serialised card state is corrupt.
    #[error("cannot decode card state: {reason}")]
    StateDecode {
        /// What is wrong.
        reason: String,
    },
    /// A state store backend failed.
    #[error("state store: {reason}")]
    Store {
        /// What went wrong.
        reason: String,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, FeatureError>;
