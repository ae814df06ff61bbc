//! Integration tests of vigie-synth: one test binary, one module per theme.

// Helpers outside `#[test]` functions panic on purpose too.
#![allow(clippy::unwrap_used)]

mod determinism;
mod fields;
mod reader;
mod scenarios;

use std::sync::Mutex;

use vigie_synth::{GenerateConfig, GenerateSummary, generate};
use vigie_types::{Date, FraudScenario};

/// A small configuration: `customers` over `days` days from 2019-01-01.
pub fn config(customers: u32, days: i32, seed: u64) -> GenerateConfig {
    let from = Date::parse(b"2019-01-01").unwrap();
    GenerateConfig {
        customers,
        from,
        to: from.add_days(days - 1),
        seed,
        scenarios: vec![FraudScenario::ClassicEpisode],
        scenario_column: false,
        max_rows: None,
    }
}

/// Runs the generator into memory, returning the bytes, the summary and the
/// progress values seen.
pub fn run(config: &GenerateConfig) -> (Vec<u8>, GenerateSummary, Vec<u64>) {
    let seen = Mutex::new(Vec::new());
    let progress = |rows: u64| seen.lock().unwrap().push(rows);
    let mut out = Vec::new();
    let summary = generate(config, &mut out, &progress).unwrap();
    (out, summary, seen.into_inner().unwrap())
}

/// The rows of a generated file, split with the `csv` crate.
pub fn records(bytes: &[u8]) -> (csv::ByteRecord, Vec<csv::ByteRecord>) {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header = reader.byte_headers().unwrap().clone();
    let rows = reader.byte_records().map(Result::unwrap).collect();
    (header, rows)
}
