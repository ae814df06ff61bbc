//! Integration tests of the ingestion edge (one test binary, several modules).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

mod bad_variants;
mod kaggle_files;
mod pipeline;
mod properties;
mod rows;
mod support;
