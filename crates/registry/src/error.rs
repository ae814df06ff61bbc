//! The registry's one error type.

use std::path::PathBuf;

/// Errors from the registry, its database, its artifact store and the MLflow export.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
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
    /// A value given to the registry is not acceptable.
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        /// What kind of value (model name, alias, actor, ...).
        what: &'static str,
        /// The value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The configuration cannot be used.
    #[error("configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// No run has this id.
    #[error("run {run_id} not found")]
    RunNotFound {
        /// The id asked for.
        run_id: String,
    },
    /// The run is finished: it can no longer be changed.
    #[error("run {run_id} is {status} and can no longer be changed")]
    RunClosed {
        /// The run.
        run_id: String,
        /// Its final status.
        status: String,
    },
    /// No model has this name.
    #[error("model {model} not found")]
    ModelNotFound {
        /// The name asked for.
        model: String,
    },
    /// The model has no such version.
    #[error("model {model} has no version {version}")]
    VersionNotFound {
        /// The model.
        model: String,
        /// The version asked for.
        version: u64,
    },
    /// The model has no such alias.
    #[error("model {model} has no alias {alias}")]
    AliasNotFound {
        /// The model.
        model: String,
        /// The alias asked for.
        alias: String,
    },
    /// The alias has no earlier holder to go back to.
    #[error("alias {model}@{alias} has no earlier holder to roll back to")]
    NothingToRollBack {
        /// The model.
        model: String,
        /// The alias.
        alias: String,
    },
    /// The artifact is not in the store.
    #[error("artifact sha256:{sha256} is missing from {store}")]
    ArtifactMissing {
        /// The content address.
        sha256: String,
        /// The store's location.
        store: String,
    },
    /// The stored bytes do not hash to their address (or have the wrong size).
    #[error("artifact sha256:{sha256} is corrupt: {reason}")]
    ArtifactCorrupt {
        /// The content address.
        sha256: String,
        /// What was found instead.
        reason: String,
    },
    /// A local file operation failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// An S3-compatible object store answered with an error or not at all.
    #[error("object store: {method} {url} failed: {message}")]
    ObjectStore {
        /// The HTTP method.
        method: &'static str,
        /// The object's URL.
        url: String,
        /// Status and body, or the transport error.
        message: String,
    },
    /// The audit log's hash chain does not verify.
    #[error("audit chain broken at entry {seq}: {reason}")]
    AuditChainBroken {
        /// The first entry that does not verify.
        seq: i64,
        /// What does not match.
        reason: String,
    },
    /// A call to an MLflow tracking server failed.
    #[error("MLflow {endpoint} failed: {message}")]
    Mlflow {
        /// The REST endpoint (`runs/create`, ...).
        endpoint: String,
        /// Status and body, or the transport error.
        message: String,
    },
}

/// The registry's result type.
pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

impl From<rusqlite::Error> for RegistryError {
    fn from(err: rusqlite::Error) -> Self {
        Self::Database {
            backend: "sqlite",
            message: err.to_string(),
        }
    }
}

impl From<vigie_pg::ConnectError> for RegistryError {
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

impl From<postgres::Error> for RegistryError {
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

impl RegistryError {
    /// An [`RegistryError::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
