//! Generated files go through Vigie's own reader without a single refusal
//! or repair.

use std::io::Write;

use vigie_ingest::{ReadOptions, read_file};
use vigie_types::{FraudScenario, TokenKey, Tokenizer};

use crate::{config, run};

#[test]
fn the_ingest_reader_accepts_every_generated_row() {
    let mut cfg = config(150, 30, 17);
    cfg.scenarios = FraudScenario::ALL.to_vec();
    cfg.scenario_column = true;
    let (bytes, summary, _) = run(&cfg);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&bytes).unwrap();
    file.flush().unwrap();

    let key = TokenKey::new(b"synth test key, thirty-two bytes!", 1).unwrap();
    let tokenizer = Tokenizer::new(&key);
    let mut scenarios = 0;
    let mut sink = |batch: vigie_ingest::Batch| {
        assert!(batch.rejected.is_empty(), "{:?}", batch.rejected.first());
        scenarios += batch
            .accepted
            .iter()
            .filter(|a| a.txn.scenario.is_some())
            .count() as u64;
        Ok(())
    };
    let read = read_file(
        file.path(),
        &tokenizer,
        &ReadOptions::default(),
        &|_| {},
        &mut sink,
    )
    .unwrap();
    assert_eq!(read.rows_read, summary.rows);
    assert_eq!(read.accepted, summary.rows);
    assert_eq!(read.rejected, 0);
    assert_eq!(read.out_of_order, 0);
    assert!(read.repaired.is_empty(), "{:?}", read.repaired);
    assert_eq!(read.frauds, summary.frauds);
    assert_eq!(scenarios, summary.frauds);
}
