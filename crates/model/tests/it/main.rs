//! Integration tests of vigie-model's public API (one test binary, several
//! modules).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

mod artifact;
mod explain;
mod forest;
mod gbdt;
mod linear_models;
mod linear_persistence;
mod metrics_properties;
mod metrics_reference;
mod support;
mod synthetic;
mod tree_persistence;
