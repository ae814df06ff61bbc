//! Integration tests of the scoring engine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

mod scoring;
mod support;
