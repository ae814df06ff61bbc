//! The worker crate's one error type, and how each failure is handled: a
//! dependency that is down makes the worker wait and retry (never decide
//! without it); lost card states make it rebuild; a bad configuration stops it.

use vigie_decisions::DecisionError;
use vigie_engine::EngineError;
use vigie_stream::StreamError;

/// Errors of the scorer worker.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// Redis, NATS or the card-state store failed.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// The decision log failed.
    #[error("decision log: {0}")]
    Decisions(#[from] DecisionError),
    /// Scoring failed.
    #[error("scoring: {0}")]
    Engine(#[from] EngineError),
    /// The metrics endpoint could not start.
    #[error("metrics endpoint on {addr}: {source}")]
    Metrics {
        /// The address asked for.
        addr: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A blocking task panicked or was cancelled.
    #[error("a worker task failed: {0}")]
    Task(String),
    /// A configuration value is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// Which dependency a failure is about (a label of the `degraded` metric).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dependency {
    /// Redis (card states, leases).
    Redis,
    /// PostgreSQL (the decision log).
    Postgres,
    /// NATS JetStream.
    Nats,
    /// The card states in Redis were flushed or never loaded.
    StateLost,
    /// Anything else (a bug, a model error).
    Other,
}

impl Dependency {
    /// The metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Redis => "redis",
            Self::Postgres => "postgres",
            Self::Nats => "nats",
            Self::StateLost => "state_lost",
            Self::Other => "other",
        }
    }
}

impl WorkerError {
    /// The dependency this failure is about.
    pub fn dependency(&self) -> Dependency {
        match self {
            Self::Stream(e) if e.is_state_lost() => Dependency::StateLost,
            Self::Stream(StreamError::Nats { .. } | StreamError::Publish { .. }) => {
                Dependency::Nats
            }
            // A stored state that does not decode: a data problem, not Redis.
            Self::Stream(StreamError::Features(_)) => Dependency::Other,
            Self::Stream(_) => Dependency::Redis,
            Self::Engine(EngineError::Features(e))
                if e.to_string().contains(vigie_stream::STATE_LOST_TAG) =>
            {
                Dependency::StateLost
            }
            // A value the log refuses, or a row it cannot read back: data.
            Self::Decisions(DecisionError::Invalid { .. } | DecisionError::Corrupt { .. }) => {
                Dependency::Other
            }
            Self::Decisions(_) => Dependency::Postgres,
            _ => Dependency::Other,
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, WorkerError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_attributed_to_their_dependency() {
        let flushed = WorkerError::Stream(StreamError::StateFlushed {
            server: "h:1".into(),
            key: "k".into(),
            found: "gone".into(),
        });
        assert_eq!(flushed.dependency(), Dependency::StateLost);
        let corrupt = WorkerError::Stream(StreamError::Features(
            vigie_features::FeatureError::StateDecode {
                reason: "bad".into(),
            },
        ));
        assert_eq!(corrupt.dependency(), Dependency::Other);
        let contention = WorkerError::Stream(StreamError::Contention { attempts: 3 });
        assert_eq!(contention.dependency(), Dependency::Redis);
        let lost_through_engine = WorkerError::Engine(EngineError::Features(
            StreamError::StateNotInitialised {
                server: "h:1".into(),
                key: "k".into(),
            }
            .into(),
        ));
        assert_eq!(lost_through_engine.dependency(), Dependency::StateLost);
        assert_eq!(
            WorkerError::Task("panic".into()).dependency(),
            Dependency::Other
        );
    }
}
