//! Integration tests of the feature engine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

mod files;
mod leakage;
mod naive;
mod paths;
mod store;
mod support;
