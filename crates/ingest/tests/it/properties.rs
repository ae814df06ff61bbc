//! Property tests: the row format round-trips, and no input makes the parser panic.

use proptest::prelude::*;
use vigie_ingest::ReadOptions;
use vigie_ingest::kaggle::{write_header, write_row};
use vigie_testkit::kaggle_row;

use crate::rows::to_row;
use crate::support::{temp_csv, tokenizer, try_ingest};

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// CSV row -> Transaction -> back to the row's values.
    #[test]
    fn row_to_transaction_round_trip(specs in proptest::collection::vec(kaggle_row(), 1..20)) {
        let mut text = Vec::new();
        write_header(&mut text, false);
        let mut unique = std::collections::HashSet::new();
        let specs: Vec<_> = specs.into_iter().filter(|s| unique.insert(s.trans_num)).collect();
        for spec in &specs {
            let card = spec.card();
            write_row(&mut text, &to_row(spec, &card), false);
        }
        let (_d, path) = temp_csv(&text);
        let ingested = try_ingest(&path, &ReadOptions::default()).unwrap();
        prop_assert_eq!(ingested.report.summary.rejected, 0, "{:?}", ingested.report.summary.rejected_by_reason);
        for (spec, row) in specs.iter().zip(&ingested.rows) {
            let t = &row.txn.txn;
            prop_assert_eq!(t.trans_num, spec.trans_num);
            prop_assert_eq!(t.event_time, spec.event_time);
            prop_assert_eq!(t.card, tokenizer().tokenize(&spec.card()));
            prop_assert_eq!(&*t.merchant, spec.merchant.trim());
            prop_assert_eq!(t.category, spec.category);
            prop_assert_eq!(t.amount, spec.amount);
            prop_assert_eq!(t.gender, spec.gender);
            prop_assert_eq!(t.birth_date, spec.birth_date);
            prop_assert_eq!(t.city_pop, spec.city_pop);
            prop_assert_eq!((t.home.lat(), t.home.lon()), (spec.lat, spec.long));
            prop_assert_eq!((t.merchant_location.lat(), t.merchant_location.lon()), (spec.merch_lat, spec.merch_long));
            prop_assert_eq!(row.txn.label, Some(spec.label));
        }
    }

    /// Any bytes after a valid header: every record is accepted or rejected
    /// with a reason; nothing panics and nothing is lost.
    #[test]
    fn arbitrary_records_never_panic(body in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let mut text = Vec::new();
        write_header(&mut text, false);
        text.extend_from_slice(&body);
        let (_d, path) = temp_csv(&text);
        match try_ingest(&path, &ReadOptions { chunk_bytes: 256, ..ReadOptions::default() }) {
            Ok(i) => prop_assert_eq!(i.report.summary.accepted + i.report.summary.rejected, i.report.summary.rows_read),
            // A NUL byte near the start marks the file as binary.
            Err(vigie_ingest::IngestError::NotCsv { .. }) => prop_assert!(body.contains(&0)),
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }

    /// Any bytes at all: a report or a typed error, never a panic.
    #[test]
    fn arbitrary_files_never_panic(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let (_d, path) = temp_csv(&body);
        let _ = try_ingest(&path, &ReadOptions::default());
    }
}
