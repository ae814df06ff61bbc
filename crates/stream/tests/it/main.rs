//! Integration tests of vigie-stream, against the real local Redis and NATS
//! JetStream (`VIGIE_TEST_REDIS_URL`, `VIGIE_TEST_NATS_URL`; a test prints
//! `skipped:` and passes when its service is not configured).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "test helpers fail loudly and say when a test is skipped"
)]

mod consume;
mod decisions;
mod leases;
mod partition;
mod publish;
mod redis_batch;
mod redis_store;
mod support;
mod tls;
