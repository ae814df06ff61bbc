//! Every field of every row passes the strict checks of `vigie_types`.

use std::collections::HashSet;

use vigie_ingest::kaggle::write_header;
use vigie_synth::GenerateConfig;
use vigie_types::{
    Amount, CardNumber, Category, Date, FraudScenario, Gender, GeoPoint, Label, Timestamp, TransNum,
};

use crate::{config, records, run};

fn check_rows(config: &GenerateConfig) -> (u64, u64) {
    let (bytes, summary, _) = run(config);
    let (header, rows) = records(&bytes);
    let mut expected = Vec::new();
    write_header(&mut expected, config.scenario_column);
    let expected_header = String::from_utf8(expected).unwrap();
    assert_eq!(
        header
            .iter()
            .map(|f| String::from_utf8_lossy(f))
            .collect::<Vec<_>>()
            .join(",")
            + "\n",
        expected_header
    );
    let width = if config.scenario_column { 24 } else { 23 };
    let mut ids = HashSet::new();
    let mut frauds = 0;
    for row in &rows {
        assert_eq!(row.len(), width);
        let event = Timestamp::parse(&row[1]).unwrap();
        assert!(event.date() >= config.from && event.date() <= config.to);
        let card = CardNumber::parse(&row[2]).unwrap();
        assert!((11..=19).contains(&card.expose_digits().len()));
        assert!(row[3].starts_with(b"fraud_"));
        Category::parse(&row[4]).unwrap();
        let amount = Amount::parse(&row[5]).unwrap();
        assert!(amount.cents() >= 100 && amount.cents() <= 3_000_000);
        assert!(!row[6].is_empty() && !row[7].is_empty());
        Gender::parse(&row[8]).unwrap();
        assert!(!row[9].is_empty() && !row[10].is_empty() && row[11].len() == 2);
        let zip: u32 = std::str::from_utf8(&row[12]).unwrap().parse().unwrap();
        assert!((1000..100_000).contains(&zip));
        let home = GeoPoint::parse(&row[13], &row[14]).unwrap();
        assert!((24.0..50.0).contains(&home.lat()) && (-125.0..-66.0).contains(&home.lon()));
        let pop: u32 = std::str::from_utf8(&row[15]).unwrap().parse().unwrap();
        assert!(pop > 0);
        assert!(!row[16].is_empty());
        let dob = Date::parse(&row[17]).unwrap();
        assert!(dob < event.date() && dob.years_until(event.date()) < 100);
        let id = TransNum::parse(&row[18]).unwrap();
        assert!(ids.insert(id), "duplicate trans_num");
        let unix: i64 = std::str::from_utf8(&row[19]).unwrap().parse().unwrap();
        assert_eq!(unix, event.seconds());
        GeoPoint::parse(&row[20], &row[21]).unwrap();
        for (field, decimals) in [(13, 4), (14, 4), (20, 6), (21, 6)] {
            let text = std::str::from_utf8(&row[field]).unwrap();
            let after = text.split_once('.').map_or(0, |(_, d)| d.len());
            assert!(
                after <= decimals,
                "{text} has more than {decimals} decimals"
            );
        }
        let label = Label::parse(&row[22]).unwrap();
        frauds += u64::from(label.is_fraud());
        if config.scenario_column {
            if label.is_fraud() {
                FraudScenario::parse(&row[23]).unwrap();
            } else {
                assert!(row[23].is_empty());
            }
        }
    }
    assert_eq!(summary.frauds, frauds);
    assert_eq!(summary.by_scenario.values().sum::<u64>(), frauds);
    (rows.len() as u64, frauds)
}

#[test]
fn every_field_of_every_row_is_valid() {
    let mut all = config(150, 40, 21);
    all.scenarios = FraudScenario::ALL.to_vec();
    all.scenario_column = true;
    check_rows(&all);
    check_rows(&config(80, 10, 22));
}

#[test]
fn classic_fraud_rate_is_plausible() {
    // 120 days: about 16 % of the customers have an episode.
    let (rows, frauds) = check_rows(&config(400, 120, 9));
    let rate = frauds as f64 / rows as f64;
    assert!((0.003..0.01).contains(&rate), "fraud rate {rate}");
}
