//! `vigie_pg::connect` against the local PostgreSQL (`VIGIE_TEST_DATABASE_URL`;
//! a test prints `skipped:` and passes when it is not configured, or when
//! the server does not offer TLS with a certificate this process can read).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "test helpers fail loudly and say when a test is skipped"
)]

mod tls;
