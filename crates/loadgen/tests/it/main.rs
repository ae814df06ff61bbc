//! Integration tests of vigie-loadgen against an in-process axum server
//! that imitates the scoring answer (a test double for the client).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "tests fail loudly"
)]

mod replay;
mod support;
