//! Export to an MLflow tracking server over its REST API 2.0.
//!
//! Pushes runs (params, metrics, curves as metric history, tags), registered
//! models, versions and aliases. Idempotent: each exported MLflow run carries
//! the tag `vigie.run_id` and is looked up before being created, and is marked
//! `vigie.export=complete` once its data is in (a finished run so marked is
//! never touched again); each model version carries `vigie.version`; an alias
//! is set only when it differs. Running the export twice creates nothing new.
//!
//! MLflow refuses local file paths as a version's source unless they lie in
//! the run's own artifact directory, so a local artifact is named by its
//! content address (`vigie-artifacts:/sha256/ab/<sha256>`); S3 artifacts keep
//! their `s3://` URI. Artifacts themselves are not uploaded.

mod client;
mod export;

pub use client::MlflowClient;
pub use export::{ExportReport, export};
