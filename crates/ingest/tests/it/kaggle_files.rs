//! The real Kaggle rows (from ../shared when present) are all accepted and
//! round-trip exactly.

use std::path::Path;

use vigie_types::{CardNumber, Label};

use crate::support::{assert_no_card_numbers, card_numbers, ingest, tokenizer};

/// Compares every accepted row with an independent reading of the CSV.
fn assert_round_trip(path: &Path) {
    let ingested = ingest(path);
    let s = &ingested.report.summary;
    assert_eq!(s.rejected, 0, "{:?}", s.rejected_by_reason);
    assert_eq!(s.accepted, s.rows_read);

    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
            .unwrap()
    };
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), ingested.rows.len());
    let tok = tokenizer();
    for (record, row) in records.iter().zip(&ingested.rows) {
        let t = &row.txn.txn;
        let f = |name: &str| record.get(col(name)).unwrap();
        let num = |name: &str| f(name).parse::<f64>().unwrap();
        assert_eq!(t.trans_num.to_string(), f("trans_num"));
        assert_eq!(t.event_time.to_string(), f("trans_date_trans_time"));
        assert_eq!(&*t.merchant, f("merchant"));
        assert_eq!(t.category.as_str(), f("category"));
        assert_eq!(t.amount.cents(), (num("amt") * 100.0).round() as i64);
        assert!((t.amount.as_f64() - num("amt")).abs() < 1e-9);
        assert_eq!(t.gender.as_str(), f("gender"));
        assert_eq!(t.birth_date.to_string(), f("dob"));
        assert_eq!(t.city_pop.to_string(), f("city_pop"));
        assert_eq!((t.home.lat(), t.home.lon()), (num("lat"), num("long")));
        assert_eq!(
            (t.merchant_location.lat(), t.merchant_location.lon()),
            (num("merch_lat"), num("merch_long"))
        );
        let card = CardNumber::parse(f("cc_num").as_bytes()).unwrap();
        assert_eq!(t.card, tok.tokenize(&card));
        assert_eq!(
            t.card_last4.to_string(),
            f("cc_num")[f("cc_num").len() - 4..]
        );
        assert_eq!(
            row.txn
                .label
                .map(Label::as_u8)
                .map(|l| l.to_string())
                .as_deref(),
            Some(f("is_fraud"))
        );
    }

    // The card-number grep: raw Parquet bytes, every decoded value, quarantine.
    let decoded = format!("{:?}", ingested.rows);
    assert_no_card_numbers(
        &card_numbers(path),
        &[
            ("parquet", &ingested.parquet_bytes),
            ("decoded parquet", decoded.as_bytes()),
            ("quarantine", ingested.quarantine.as_bytes()),
        ],
    );
}

#[test]
fn first_5039_real_rows_are_all_accepted_and_round_trip() {
    let Some(path) = vigie_testkit::shared_data_file("kaggle/fraudTrain_first_5039.csv") else {
        return;
    };
    assert_round_trip(&path);
    let ingested = ingest(&path);
    assert_eq!(ingested.report.summary.accepted, 5039);
    assert_eq!(ingested.report.summary.frauds, 22);
}

#[test]
fn valid_edge_cases_are_all_accepted_and_round_trip() {
    let Some(path) = vigie_testkit::shared_data_file("kaggle/kaggle_valid_edge_cases.csv") else {
        return;
    };
    assert_round_trip(&path);
}

#[test]
fn personal_fields_are_not_kept() {
    let Some(path) = vigie_testkit::shared_data_file("kaggle/fraudTrain_first_5039.csv") else {
        return;
    };
    let ingested = ingest(&path);
    let text = String::from_utf8_lossy(&ingested.parquet_bytes);
    for absent in ["Jennifer", "Perry Cove", "Psychologist", "Moravian Falls"] {
        assert!(!text.contains(absent), "{absent} should not be stored");
    }
    assert_eq!(
        ingested.report.summary.dropped_columns,
        ["", "first", "last", "street", "city", "state", "zip", "job"]
    );
}
