//! `vigie features` through the real binary.

use crate::support::{Vigie, card_numbers, digit_windows, files_under, stderr, stdout};

#[test]
fn features_from_csv_and_from_ingested_parquet_agree_and_hide_card_numbers() {
    let vigie = Vigie::new();
    let csv = vigie.generate(30);
    let from_csv = vigie.dir.path().join("a.parquet");
    let o = vigie.run(
        &[
            "features",
            csv.to_str().unwrap(),
            "--out",
            from_csv.to_str().unwrap(),
            "--state-out",
            vigie.dir.path().join("cards.bin").to_str().unwrap(),
            "--json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    for key in [
        "rows",
        "cards",
        "frauds",
        "feature_count",
        "feature_schema_hash",
        "seconds",
    ] {
        assert!(report.get(key).is_some(), "missing {key} in {report}");
    }
    assert_eq!(report["cards"], 30);
    assert_eq!(report["rejected"], 0);
    assert_eq!(report["feature_count"], vigie_features::FEATURE_COUNT);

    let o = vigie.run(&["ingest", csv.to_str().unwrap(), "--json"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ingested: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let from_parquet = vigie.dir.path().join("b.parquet");
    let o = vigie.run(
        &[
            "features",
            ingested["output"].as_str().unwrap(),
            "--out",
            from_parquet.to_str().unwrap(),
            "--threads",
            "1",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("30 cards"), "{}", stdout(&o));
    let a = vigie_features::FeatureTable::read(&from_csv).unwrap();
    let b = vigie_features::FeatureTable::read(&from_parquet).unwrap();
    assert_eq!(a.len() as u64, report["rows"].as_u64().unwrap());
    assert_eq!(a.trans_num, b.trans_num);
    assert_eq!(a.features, b.features);

    let cards = card_numbers(&csv);
    for path in files_under(vigie.dir.path())
        .into_iter()
        .filter(|p| p != &csv)
    {
        let windows = digit_windows(&std::fs::read(&path).unwrap());
        for card in &cards {
            assert!(
                !windows.contains(card.as_bytes()),
                "card number in {}",
                path.display()
            );
        }
    }
}

#[test]
fn input_too_far_out_of_order_exits_2() {
    let vigie = Vigie::new();
    // More rows than the replay buffers before its first release (32,768).
    let csv = vigie.generate(300);
    let text = std::fs::read_to_string(&csv).unwrap();
    // The earliest row arrives last, months late.
    let mut lines: Vec<&str> = text.lines().collect();
    let first = lines.remove(1);
    lines.push(first);
    let shuffled = vigie.dir.path().join("shuffled.csv");
    std::fs::write(&shuffled, lines.join("\n")).unwrap();
    let o = vigie.run(
        &[
            "features",
            shuffled.to_str().unwrap(),
            "--max-lateness",
            "3600",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("out of time order"), "{}", stderr(&o));
    // With enough tolerance the same file replays fine.
    let o = vigie.run(
        &[
            "features",
            shuffled.to_str().unwrap(),
            "--max-lateness",
            "100000000",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("reordered"), "{}", stdout(&o));
}
