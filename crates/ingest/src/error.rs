//! File-level errors: the input as a whole cannot be used.

use std::path::PathBuf;

/// Why a file could not be ingested at all (the CLI exits with code 2).
/// Problems with single records are not errors: they are quarantined.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An output file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not CSV data (JSON, a Git LFS pointer, a compressed file...).
    #[error("{path} is not usable: {problem}")]
    NotCsv {
        /// The file.
        path: PathBuf,
        /// What it is instead, and what to do.
        problem: String,
    },
    /// The header lacks columns that every record needs.
    #[error("{path}: missing required column(s) {missing}; found: {found}")]
    MissingColumns {
        /// The file.
        path: PathBuf,
        /// The missing columns, comma-separated.
        missing: String,
        /// The columns found, comma-separated.
        found: String,
    },
    /// The first line is a data row, not a header.
    #[error(
        "{path}: the first line is not a header, it looks like a data row ({excerpt}); add the header line, or pass --no-header if the columns are in the Kaggle order"
    )]
    NoHeader {
        /// The file.
        path: PathBuf,
        /// The start of the first line, card numbers removed.
        excerpt: String,
    },
    /// The column mapping file is invalid.
    #[error("invalid mapping: {0}")]
    Mapping(String),
    /// The Parquet output could not be written or read.
    #[error("parquet {path}: {source}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: parquet::errors::ParquetError,
    },
}

/// Result alias of this crate.
pub type Result<T, E = IngestError> = std::result::Result<T, E>;
