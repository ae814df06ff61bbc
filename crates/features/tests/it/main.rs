//! Integration tests of the feature engine.

mod files;
mod leakage;
mod naive;
mod paths;
mod store;
mod support;
