//! Rows in the Kaggle layout built from the testkit's random row specs.
//! Shared by the integration tests and the criterion benches
//! (`#[path]`-included there), so both use exactly the same data.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use vigie_ingest::kaggle::{KaggleRow, write_header, write_row};
use vigie_testkit::kaggle_row;
use vigie_types::GeoPoint;

/// A valid file of `n` random rows in the Kaggle layout.
pub fn random_file(n: usize) -> Vec<u8> {
    let mut runner = TestRunner::deterministic();
    let mut out = Vec::new();
    write_header(&mut out, false);
    for _ in 0..n {
        let spec = kaggle_row().new_tree(&mut runner).unwrap().current();
        let card = spec.card();
        write_row(&mut out, &to_row(&spec, &card), false);
    }
    out
}

pub fn to_row<'a>(
    s: &'a vigie_testkit::RowSpec,
    card: &'a vigie_types::CardNumber,
) -> KaggleRow<'a> {
    KaggleRow {
        index: s.index,
        event_time: s.event_time,
        card_number: card,
        merchant: &s.merchant,
        category: s.category,
        amount: s.amount,
        first: &s.first,
        last: &s.last,
        gender: s.gender,
        street: &s.street,
        city: &s.city,
        state: &s.state,
        zip: s.zip,
        home: GeoPoint::new(s.lat, s.long).unwrap(),
        city_pop: s.city_pop,
        job: &s.job,
        birth_date: s.birth_date,
        trans_num: s.trans_num,
        unix_time: s.unix_time,
        merchant_location: GeoPoint::new(s.merch_lat, s.merch_long).unwrap(),
        label: s.label,
        scenario: None,
    }
}
