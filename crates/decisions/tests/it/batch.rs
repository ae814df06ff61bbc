//! The batch writer.
