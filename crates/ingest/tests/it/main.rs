//! Integration tests of the ingestion edge (one test binary, several modules).

mod bad_variants;
mod kaggle_files;
mod pipeline;
mod properties;
mod support;
