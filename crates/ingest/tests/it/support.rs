//! Helpers shared by the ingest tests.

use std::path::{Path, PathBuf};

use vigie_ingest::{
    Accepted, IngestError, IngestOutputs, IngestReport, ReadOptions, ingest_file, read_transactions,
};
use vigie_types::{TokenKey, Tokenizer};

pub const TEST_KEY: &[u8] = b"test-key-0123456789-0123456789-0123456789";

pub fn tokenizer() -> Tokenizer {
    Tokenizer::new(&TokenKey::new(TEST_KEY, 1).unwrap())
}

/// Everything an ingestion produced.
pub struct Ingested {
    pub report: IngestReport,
    pub rows: Vec<Accepted>,
    pub quarantine: String,
    pub parquet_bytes: Vec<u8>,
    _dir: tempfile::TempDir,
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn try_ingest(input: &Path, options: &ReadOptions) -> Result<Ingested, IngestError> {
    let dir = tempfile::tempdir().unwrap();
    let outputs = IngestOutputs {
        parquet: dir.path().join("out.parquet"),
        quarantine: dir.path().join("quarantine.csv"),
    };
    let report = ingest_file(input, &outputs, &tokenizer(), options, &[], &|_| {})?;
    let mut rows = Vec::new();
    read_transactions(&outputs.parquet, &mut |batch| {
        rows.extend(batch);
        Ok(())
    })
    .unwrap();
    Ok(Ingested {
        report,
        rows,
        quarantine: std::fs::read_to_string(&outputs.quarantine).unwrap(),
        parquet_bytes: std::fs::read(&outputs.parquet).unwrap(),
        _dir: dir,
    })
}

pub fn ingest(input: &Path) -> Ingested {
    try_ingest(input, &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", input.display()))
}

/// Writes `text` to a temporary file and returns its path (kept alive by the dir).
pub fn temp_csv(text: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.csv");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// Every card number of a Kaggle-layout file (column `cc_num`), read with a
/// plain CSV reader independent of Vigie's.
pub fn card_numbers(path: &Path) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap();
    let headers = reader.headers().unwrap().clone();
    let Some(col) = headers.iter().position(|h| h == "cc_num") else {
        return Vec::new();
    };
    reader
        .records()
        .filter_map(|r| r.ok()?.get(col).map(str::to_string))
        .filter(|c| c.len() >= 11)
        .collect()
}

/// Every substring of 11 to 19 digits inside runs of ASCII digits in `bytes`.
fn digit_windows(bytes: &[u8]) -> std::collections::HashSet<&[u8]> {
    let mut out = std::collections::HashSet::new();
    for run in bytes
        .split(|b| !b.is_ascii_digit())
        .filter(|run| run.len() >= 11)
    {
        for len in 11..=19.min(run.len()) {
            out.extend(run.windows(len));
        }
    }
    out
}

/// Asserts that no card number appears in any of the outputs, not even as
/// part of a longer run of digits.
pub fn assert_no_card_numbers(cards: &[String], outputs: &[(&str, &[u8])]) {
    assert!(!cards.is_empty());
    for (name, bytes) in outputs {
        let windows = digit_windows(bytes);
        for card in cards {
            assert!(
                !windows.contains(card.as_bytes()),
                "a card number ending {} appears in {name}",
                &card[card.len() - 4..]
            );
        }
    }
}
