//! Integration tests of the decision log: one suite run against SQLite and
//! (when `VIGIE_TEST_DATABASE_URL` is set) PostgreSQL: the log, the batch
//! writer and the key store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "tests fail loudly and say why they skip"
)]

mod batch;
mod erasure;
mod keys;
mod log;
mod support;
