//! The stream crate's one error type.
//!
//! Messages name servers by `host:port` only (never a URL, which may carry a
//! password) and never contain a card number: everything this crate handles
//! past the ingestion edge carries tokens.

use vigie_features::FeatureError;

/// Errors from the Redis state store, the partition leases and the NATS
/// JetStream edges.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// A Redis command failed (unreachable, timed out, refused...).
    #[error("redis at {server}: {source}")]
    Redis {
        /// `host:port` of the server.
        server: String,
        /// What went wrong.
        source: redis::RedisError,
    },
    /// The epoch marker disappeared or changed: Redis was flushed, restarted
    /// without persistence, or evicted keys. The card histories it held are
    /// gone or were replaced; scoring on would use empty histories.
    #[error(
        "redis at {server}: the card states were flushed or evicted (epoch marker {key} {found}); \
         rebuild them (warm-up) and adopt the new epoch, or report degraded"
    )]
    StateFlushed {
        /// `host:port` of the server.
        server: String,
        /// The marker key.
        key: String,
        /// What was found instead of the expected epoch.
        found: String,
    },
    /// No epoch marker yet: the store was never initialised or warmed up.
    #[error(
        "redis at {server}: no card states loaded (epoch marker {key} is missing): \
         warm the store up from a snapshot, or initialise it empty"
    )]
    StateNotInitialised {
        /// `host:port` of the server.
        server: String,
        /// The marker key.
        key: String,
    },
    /// A card's read-modify-write lost the optimistic race too many times in
    /// a row (another process kept updating the same card).
    #[error("card state update lost {attempts} optimistic races in a row")]
    Contention {
        /// Attempts made.
        attempts: u32,
    },
    /// A stored card state or snapshot could not be decoded.
    #[error(transparent)]
    Features(#[from] FeatureError),
    /// Reading the transaction file failed.
    #[error(transparent)]
    Ingest(#[from] vigie_ingest::IngestError),
    /// A snapshot file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A NATS or JetStream operation failed.
    #[error("nats: {operation}: {source}")]
    Nats {
        /// What was being done.
        operation: String,
        /// What went wrong.
        source: async_nats::Error,
    },
    /// A stream exists with settings this topology cannot use.
    #[error("stream {stream}: {reason}")]
    StreamMismatch {
        /// The stream name.
        stream: String,
        /// What does not match.
        reason: String,
    },
    /// A transaction could not be published (after retries).
    #[error("publishing transaction {trans_num} failed after {attempts} attempt(s): {source}")]
    Publish {
        /// The transaction's id.
        trans_num: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        source: async_nats::Error,
    },
    /// A configuration value is unusable.
    #[error("invalid configuration: {reason}")]
    Config {
        /// What is wrong (every problem found).
        reason: String,
    },
}

impl StreamError {
    /// Whether the error means the Redis card states are gone (flushed,
    /// evicted, never loaded): the caller should rebuild or report degraded
    /// rather than retry.
    pub fn is_state_lost(&self) -> bool {
        matches!(
            self,
            Self::StateFlushed { .. } | Self::StateNotInitialised { .. }
        )
    }

    pub(crate) fn nats(operation: impl Into<String>, source: impl Into<async_nats::Error>) -> Self {
        Self::Nats {
            operation: operation.into(),
            source: source.into(),
        }
    }
}

/// The feature crate sees store failures as [`FeatureError::Store`]; the
/// reason starts with a stable tag (`state_lost:` for a flushed or empty
/// store) so a caller holding only the feature error can still tell them
/// apart. [`crate::RedisStateStore::check`] gives the typed answer.
impl From<StreamError> for FeatureError {
    fn from(e: StreamError) -> Self {
        match e {
            StreamError::Features(inner) => inner,
            e if e.is_state_lost() => FeatureError::Store {
                reason: format!("{STATE_LOST_TAG} {e}"),
            },
            e => FeatureError::Store {
                reason: e.to_string(),
            },
        }
    }
}

/// The prefix of a [`FeatureError::Store`] reason that means the Redis card
/// states are gone (see [`StreamError::is_state_lost`]).
pub const STATE_LOST_TAG: &str = "state_lost:";

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, StreamError>;
