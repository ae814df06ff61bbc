//! The decision log's error types.

use std::path::PathBuf;

use vigie_types::TransNum;

/// Errors from the decision log, its database and the key store.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    /// The database refused or failed a statement.
    #[error("{backend} error: {message}")]
    Database {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// The driver's message.
        message: String,
    },
    /// A schema migration could not be applied.
    #[error("migration {version} ({name}) failed: {message}")]
    Migration {
        /// The migration's number.
        version: i64,
        /// The migration's name.
        name: &'static str,
        /// Why.
        message: String,
    },
    /// The configuration cannot be used.
    #[error("configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// A local file operation failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Feedback names a transaction the log has no decision for.
    #[error("no decision is logged for transaction {trans_num}")]
    UnknownTransaction {
        /// The transaction.
        trans_num: TransNum,
    },
    /// A value given to the log is not acceptable.
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        /// What kind of value (actor, source, key name, ...).
        what: &'static str,
        /// The value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A stored row cannot be read back (corrupt or written by another program).
    #[error("stored row is corrupt: {message}")]
    Corrupt {
        /// What does not parse.
        message: String,
    },
    /// No API key has this id.
    #[error("API key {id} not found")]
    KeyNotFound {
        /// The id asked for.
        id: String,
    },
    /// The operating system's random source failed.
    #[error("random source failed: {message}")]
    Random {
        /// The error.
        message: String,
    },
    /// The batch writer gave up on a batch or was stopped.
    #[error("batch writer: {message}")]
    Writer {
        /// What happened.
        message: String,
    },
}

/// The decision log's result type.
pub type Result<T, E = DecisionError> = std::result::Result<T, E>;

impl From<rusqlite::Error> for DecisionError {
    fn from(err: rusqlite::Error) -> Self {
        Self::Database {
            backend: "sqlite",
            message: err.to_string(),
        }
    }
}

impl From<vigie_pg::ConnectError> for DecisionError {
    fn from(err: vigie_pg::ConnectError) -> Self {
        match err {
            vigie_pg::ConnectError::Config { .. } => Self::Config {
                message: err.to_string(),
            },
            vigie_pg::ConnectError::Postgres(_) => Self::Database {
                backend: "postgres",
                message: err.to_string(),
            },
        }
    }
}

impl From<postgres::Error> for DecisionError {
    fn from(err: postgres::Error) -> Self {
        let message = match err.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => err.to_string(),
        };
        Self::Database {
            backend: "postgres",
            message,
        }
    }
}

impl DecisionError {
    /// A [`DecisionError::Corrupt`] with `message`.
    pub(crate) fn corrupt(message: impl Into<String>) -> Self {
        Self::Corrupt {
            message: message.into(),
        }
    }

    /// Whether retrying the same operation later may succeed (a database
    /// or I/O failure, not a refused value).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Database { .. } | Self::Io { .. })
    }
}

/// Why [`crate::BatchWriter::submit`] refused a decision. The caller still
/// has its decision: it can answer it, and the server turns `Backpressure`
/// into a 503 so the client retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The queue is full: the database is slower than the traffic, or down.
    #[error("decision log queue is full (backpressure)")]
    Backpressure,
    /// The writer has been shut down.
    #[error("decision log writer is shut down")]
    Closed,
}
