//! Integration tests of vigie-model's public API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

mod explain;
mod forest;
mod gbdt;
mod persistence;
mod synthetic;
