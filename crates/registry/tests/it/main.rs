//! Integration tests of the registry: one suite run against SQLite and
//! PostgreSQL, concurrency across processes, crash safety, artifact stores
//! (local and a real S3-compatible server), and export to a real MLflow server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "tests fail loudly and say why they skip"
)]

mod audit_log;
mod children;
mod concurrency;
mod crash;
mod local_artifacts;
mod mlflow;
mod processes;
mod s3;
mod suite;
mod support;
