//! Integration tests of the `vigie` binary (one test binary, several modules).

mod cli_ingest;
mod keys;
mod support;
