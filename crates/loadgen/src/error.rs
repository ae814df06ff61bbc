//! The load generator's one error type.
//!
//! Messages never quote a field value of the transaction file: the file holds
//! card numbers in clear, so a bad field is named by line and column only.

use std::path::PathBuf;

/// Why a replay could not start or finish. Failed requests are not errors:
/// they are counted by kind in the [`crate::ReplayReport`].
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// An option is out of range (rate not positive, no connections...).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// The target URL is not an `http://host[:port][/path]` URL.
    #[error("invalid target URL: {0}")]
    InvalidUrl(String),
    /// The transaction file could not be opened or read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: std::io::Error,
    },
    /// The CSV layer refused the file (broken quoting, ragged row...).
    #[error("{path}: {reason}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// What went wrong, with its position.
        reason: csv::Error,
    },
    /// The header lacks a column the scoring request needs.
    #[error("{path}: no `{column}` column in the header")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The missing column.
        column: &'static str,
    },
    /// A numeric field is not a number (its value is not quoted here).
    #[error("{path}: line {line}: `{column}` is not a number")]
    NotANumber {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The column.
        column: &'static str,
    },
    /// Nothing to send: the file has no rows, or limit/duration allow none.
    #[error("nothing to send: {0}")]
    EmptyWorkload(String),
    /// The target could not be resolved or connected to before the clock
    /// started.
    #[error("cannot connect to {authority}: {reason}")]
    Connect {
        /// `host:port` of the target.
        authority: String,
        /// What went wrong.
        reason: std::io::Error,
    },
    /// The runtime or a thread could not be started.
    #[error("load generator runtime: {0}")]
    Runtime(String),
}

/// Results of this crate.
pub type Result<T, E = ReplayError> = std::result::Result<T, E>;
