//! Integration tests of the `vigie` binary (one test binary, several modules).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

mod api_keys;
mod cli_features;
mod cli_ingest;
mod keys;
mod proxy;
mod registry;
mod serve;
mod stream;
mod support;
mod worker;
mod worker_check;
mod worker_degraded;
mod worker_model;
mod worker_support;
mod worker_tls;
