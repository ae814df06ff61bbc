//! Vigie's production edges (layer L4): per-card feature state in Redis,
//! shared by several scorer processes, and transactions, decisions and dead
//! letters on NATS JetStream.
//!
//! - [`RedisStateStore`] implements [`vigie_features::StateStore`]: one key
//!   per card holding the versioned binary state, an optimistic atomic
//!   read-modify-write per card across processes, an epoch marker that turns
//!   a flushed Redis into a typed error, warm-up in pipelined batches.
//! - [`PartitionLeases`] decide which worker consumes which partition
//!   (Redis `SET NX PX` with fencing tokens).
//! - [`nats`]: the partition function, the JSON message schema, stream
//!   set-up with production settings, a windowed publisher with
//!   `Nats-Msg-Id` de-duplication and pacing, pull consumers per partition,
//!   the dead-letter path, and the decision frames (one JSON Lines message
//!   per batch of decisions) with their reader.
//!
//! Invariants: no card number crosses this crate (tokens only; dead-lettered
//! payloads and error details have card-number-like digit runs masked);
//! nothing here blocks without a timeout; the feature code stays synchronous
//! (the Redis store is sync; async lives only in the NATS module).
//! See docs/streaming.md.

mod error;
mod lease;
pub mod nats;
mod redis_store;
mod tls;

pub use error::{Result, STATE_LOST_TAG, StreamError};
pub use lease::{Lease, PartitionLeases, new_owner_id};
pub use redis_store::{
    Atomicity, KeyLayout, LoadedState, LoadedStates, RedisConfig, RedisStateStore, WarmReport,
};
pub use tls::TlsFiles;
