//! Integration tests of `vigie-server` through a real socket.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

mod auth_limits;
mod hot_swap;
mod openapi;
mod scoring;
mod support;
