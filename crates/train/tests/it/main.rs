//! Integration tests of training, evaluation, reports and registration.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

mod honest;
mod support;
