//! Vigie's experiment tracking and model registry (layer L2).
//!
//! - **Runs**: every training job, with parameters, final metrics,
//!   per-iteration curves, tags, the training data's fingerprint, the code
//!   version, timings and artifacts.
//! - **Registry**: named models with immutable versions numbered 1, 2, 3, ...
//!   without gaps; aliases (`champion`, `challenger`, any name) moved
//!   atomically; rollback to an alias's previous holder.
//! - **Audit log**: append-only and hash-chained; every change records actor,
//!   action, target, before, after and time; [`Registry::verify_audit_chain`]
//!   detects an edited row.
//! - **Backends**: SQLite in the data directory (default, WAL,
//!   `synchronous=FULL`) or PostgreSQL, behind one closed enum; the queries are
//!   written once for both. Schema migrations live in `migrations/`.
//! - **Artifacts**: a content-addressed object store (local directory or
//!   S3-compatible bucket); a version row is written only after its artifact
//!   is stored and verified.
//! - **MLflow**: [`mlflow::export`] pushes runs, models, versions and aliases
//!   to an MLflow tracking server, idempotently.
//!
//! The crate is synchronous. With PostgreSQL it uses the blocking `postgres`
//! client, which panics when called from inside a Tokio runtime: async callers
//! must go through `tokio::task::spawn_blocking`.

mod artifacts;
mod audit;
mod error;
pub mod mlflow;
mod models;
mod names;
mod registry;
mod runs;
mod store;
mod time;

pub use artifacts::{ArtifactRef, ArtifactStore, LocalStore, S3Settings, S3Store, sha256_hex};
pub use audit::{AuditAction, AuditEntry, AuditFilter, ChainReport, GENESIS_HASH};
pub use error::{RegistryError, Result};
pub use models::{AliasChange, AliasHolder, ModelDetail, ModelSummary, ModelVersion, NewVersion};
pub use names::{Actor, AliasName, ModelName, RunId};
pub use registry::{Registry, RegistryConfig, Step};
pub use runs::{CurvePoint, NewRun, RunArtifact, RunDetail, RunFilter, RunStatus, RunSummary};
pub use store::conn::BackendKind;
pub use store::migrate::SCHEMA_VERSION;
pub use time::UtcMillis;
