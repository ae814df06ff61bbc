//! Vigie's decision log: every decision the engine makes is persisted
//! (SQLite by default, PostgreSQL when configured), idempotently by
//! `trans_num`, with the full [`vigie_engine::DecisionRecord`] for
//! re-scoring and explanation later.
//!
//! - [`DecisionLog`]: batches of decisions and a stream position in one
//!   transaction, reads by transaction / card / decision, counts, feedback
//!   labels, GDPR erasure.
//! - [`BatchWriter`]: writes off the request path (bounded queue,
//!   background thread, batches, retries, `pending` for retries that arrive
//!   before the flush).
//! - [`KeyStore`]: API keys with [`Role`]s, salted hashes, constant-time
//!   comparison, a short-lived cache.
//!
//! Everything here is synchronous and blocks on the database; async
//! callers use `spawn_blocking`. Card numbers never reach this crate: only
//! [`vigie_types::CardToken`]s.

mod batch;
mod error;
mod keys;
mod log;
mod record;
mod store;
mod time;

pub use batch::{BatchWriter, BatchWriterOptions, WriterHealth, WriterStats};
pub use error::{DecisionError, Result, SubmitError};
pub use keys::{ApiKeyInfo, ApiKeySecret, KeyStore, Role};
pub use log::{DecisionLog, DecisionLogConfig};
pub use record::{
    DecisionFilter, DecisionSource, Feedback, FeedbackOutcome, LabelledDecision, LoggedDecision,
    StoredDecision, StreamPosition, WriteOutcome,
};
pub use time::UnixMillis;

/// For the decisions bench only (`encode/group_4096_stream_decisions`), not
/// an API: encodes `decisions` into the column arrays PostgreSQL's group
/// write sends, in its wire format, and returns their length in bytes.
#[doc(hidden)]
pub fn encode_group_for_bench(decisions: &[LoggedDecision]) -> Result<usize> {
    log::encoded_group_len(decisions)
}
