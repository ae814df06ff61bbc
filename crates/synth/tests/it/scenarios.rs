//! Each selected scenario appears, is labelled, and has its shape.

use std::collections::{HashMap, HashSet};

use vigie_types::{Amount, FraudScenario, GeoPoint, Timestamp, haversine_km};

use crate::{config, records, run};

#[test]
fn every_selected_scenario_appears_labelled_and_shaped() {
    let mut cfg = config(300, 60, 4);
    cfg.scenarios = FraudScenario::ALL.to_vec();
    cfg.scenario_column = true;
    let (bytes, summary, _) = run(&cfg);
    let (_, rows) = records(&bytes);
    let mut by_scenario: HashMap<FraudScenario, Vec<&csv::ByteRecord>> = HashMap::new();
    for row in &rows {
        if !row[23].is_empty() {
            assert_eq!(&row[22], b"1");
            by_scenario
                .entry(FraudScenario::parse(&row[23]).unwrap())
                .or_default()
                .push(row);
        }
    }
    for s in FraudScenario::ALL {
        let n = by_scenario.get(&s).map_or(0, Vec::len) as u64;
        assert!(n > 0, "{s} missing");
        assert_eq!(summary.by_scenario[s.as_str()], n);
    }

    // Card testing: bursts of tiny amounts across different merchants.
    let tests = &by_scenario[&FraudScenario::CardTesting];
    let tiny: Vec<_> = tests
        .iter()
        .filter(|r| Amount::parse(&r[5]).unwrap().cents() <= 300)
        .collect();
    assert!(
        tiny.len() * 10 >= tests.len() * 8,
        "card testing is mostly tiny amounts"
    );
    let mut per_card: HashMap<&[u8], (HashSet<&[u8]>, usize)> = HashMap::new();
    for r in &tiny {
        let entry = per_card.entry(&r[2]).or_default();
        entry.0.insert(&r[3]);
        entry.1 += 1;
    }
    for (merchants, count) in per_card.values() {
        assert!(*count >= 8);
        assert!(
            merchants.len() * 10 >= count * 8,
            "tests hit many merchants"
        );
    }

    // Account takeover: far from home.
    for r in &by_scenario[&FraudScenario::AccountTakeover] {
        let home = GeoPoint::parse(&r[13], &r[14]).unwrap();
        let shop = GeoPoint::parse(&r[20], &r[21]).unwrap();
        assert!(haversine_km(home, shop) > 500.0);
    }

    // Compromised merchant: one merchant charging several cards.
    let mut cards_per_merchant: HashMap<&[u8], HashSet<&[u8]>> = HashMap::new();
    for r in &by_scenario[&FraudScenario::CompromisedMerchant] {
        cards_per_merchant.entry(&r[3]).or_default().insert(&r[2]);
    }
    assert!(cards_per_merchant.values().any(|cards| cards.len() >= 3));

    // Classic episodes: mostly at night, and no genuine purchase that day.
    let classic = &by_scenario[&FraudScenario::ClassicEpisode];
    let night = classic
        .iter()
        .filter(|r| {
            let h = Timestamp::parse(&r[1]).unwrap().hour();
            !(4..22).contains(&h)
        })
        .count();
    assert!(
        night * 10 >= classic.len() * 6,
        "{night} of {}",
        classic.len()
    );
    let episode_days: HashSet<(&[u8], &[u8])> =
        classic.iter().map(|r| (&r[2], &r[1][..10])).collect();
    for r in &rows {
        if r[23].is_empty() {
            assert!(!episode_days.contains(&(&r[2], &r[1][..10])));
        }
    }
}

#[test]
fn no_scenario_means_no_fraud() {
    let mut cfg = config(50, 20, 8);
    cfg.scenarios.clear();
    let (_, summary, _) = run(&cfg);
    assert!(summary.rows > 0);
    assert_eq!(summary.frauds, 0);
    assert!(summary.by_scenario.is_empty());
}
