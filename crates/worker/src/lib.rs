//! The stream scorer worker (layer L4): `vigie stream score`.
//!
//! Several workers share a topic's partitions through Redis leases; each
//! consumes the partitions it holds, one batch at a time:
//!
//! ```text
//! fetch ─► dead-letter unusable messages (copied to the DLQ)
//!       ─► load the batch's card states (Redis, one round trip)
//!       ─► score in memory (the engine, card by card in order); a
//!          transaction its card state holds was decided before
//!       ─► commit decisions + stream position (PostgreSQL, one transaction,
//!          the first decision of a trans_num kept)
//!       ─► write the card states (Redis, compare-and-set per card)
//!       ─► publish the new decisions, republish the earlier ones as logged
//!          (NATS) ─► acknowledge the batch (one cumulative acknowledgement)
//! ```
//!
//! Under a backlog the next batch's messages are fetched while a batch goes
//! from the card states to the commit.
//!
//! Invariants: a message is acknowledged only after its decision is
//! committed and its card state written; a decision is never made without
//! the card's history (a dependency that is down stops consumption; lost
//! card states are rebuilt before scoring resumes); every crash point is
//! safe to redeliver (the decision log is unique per `trans_num`, card
//! updates are idempotent per `trans_num`). See docs/streaming.md.

mod batch;
mod commit;
mod config;
mod error;
pub mod fault;
mod fetch;
mod http;
mod metrics;
mod partition;
mod rebuild;
mod signals;
mod supervisor;

pub use config::WorkerConfig;
pub use error::{Dependency, Result, WorkerError};
pub use metrics::{Metrics, Stage};
pub use signals::shutdown_on_signals;
pub use supervisor::{Worker, WorkerReport};
