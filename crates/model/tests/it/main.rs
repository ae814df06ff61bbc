//! Integration tests of the model crate (one test binary, several modules).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

mod linear_models;
mod metrics_properties;
mod metrics_reference;
mod persistence;
mod support;
