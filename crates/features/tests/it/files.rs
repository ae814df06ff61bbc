//! The file job: CSV or ingested Parquet in, a feature file out.

use std::path::Path;

use vigie_features::{
    FEATURE_COUNT, FeatureError, FeatureOutputs, FeatureTable, MemoryStateStore, ReplayOptions,
    Source, StateStore, compute_features, feature_schema,
};
use vigie_ingest::{IngestOutputs, ReadOptions, ingest_file};
use vigie_synth::GenerateConfig;
use vigie_types::{Date, FraudScenario, TokenKey, Tokenizer};

fn generate(path: &Path) {
    let config = GenerateConfig {
        customers: 40,
        from: Date::from_ymd(2020, 1, 1).unwrap(),
        to: Date::from_ymd(2020, 3, 31).unwrap(),
        seed: 11,
        scenarios: FraudScenario::ALL.to_vec(),
        scenario_column: true,
        max_rows: None,
    };
    let file = std::fs::File::create(path).unwrap();
    vigie_synth::generate(&config, std::io::BufWriter::new(file), &|_| {}).unwrap();
}

fn tokenizer() -> Tokenizer {
    Tokenizer::new(&TokenKey::new(&[7u8; 32], 1).unwrap())
}

#[test]
fn csv_and_ingested_parquet_give_the_same_feature_file() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("tx.csv");
    generate(&csv);
    let tokenizer = tokenizer();
    let read = ReadOptions::default();
    let from_csv = FeatureOutputs {
        parquet: dir.path().join("from_csv.parquet"),
        state_snapshot: Some(dir.path().join("state.bin")),
    };
    let source = Source::Csv {
        path: &csv,
        tokenizer: &tokenizer,
        options: &read,
        quarantine: &dir.path().join("q.csv"),
    };
    let report = compute_features(
        &source,
        &from_csv,
        &ReplayOptions::default(),
        None,
        &[],
        &|_| {},
    )
    .unwrap();
    assert!(report.rows > 1_000, "{report:?}");
    assert_eq!(report.rows, report.rows_read - report.rejected);
    assert_eq!(report.rejected, 0);
    assert!(report.frauds > 0);
    assert_eq!(report.feature_schema_hash, feature_schema().hash);

    let ingested = dir.path().join("tx.parquet");
    ingest_file(
        &csv,
        &IngestOutputs {
            parquet: ingested.clone(),
            quarantine: dir.path().join("q2.csv"),
        },
        &tokenizer,
        &read,
        &[],
        &|_| {},
    )
    .unwrap();
    let from_parquet = FeatureOutputs {
        parquet: dir.path().join("from_parquet.parquet"),
        state_snapshot: None,
    };
    let one_thread = ReplayOptions {
        threads: 1,
        ..ReplayOptions::default()
    };
    compute_features(
        &Source::Parquet { path: &ingested },
        &from_parquet,
        &one_thread,
        None,
        &[],
        &|_| {},
    )
    .unwrap();

    let a = FeatureTable::read(&from_csv.parquet).unwrap();
    let b = FeatureTable::read(&from_parquet.parquet).unwrap();
    assert_eq!(a.len() as u64, report.rows);
    assert_eq!(a.trans_num, b.trans_num);
    assert_eq!(a.card, b.card);
    assert_eq!(a.label, b.label);
    assert_eq!(a.scenario, b.scenario);
    assert_eq!(a.amount_cents, b.amount_cents);
    assert_eq!(a.features.len(), FEATURE_COUNT);
    for f in 0..FEATURE_COUNT {
        let same = a.features[f]
            .iter()
            .zip(&b.features[f])
            .all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "feature {} differs", feature_schema().names[f]);
    }
    // Rows come out sorted by (event time, trans_num).
    let keys: Vec<_> = a.event_time.iter().zip(&a.trans_num).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    let frauds = a
        .label
        .iter()
        .filter(|l| l.is_some_and(|l| l.is_fraud()))
        .count();
    assert_eq!(frauds as u64, report.frauds);
    assert!(
        a.scenario.iter().any(Option::is_some),
        "{:?}",
        &a.scenario[..5]
    );

    // The snapshot holds every card's final state.
    let store = MemoryStateStore::load_snapshot(from_csv.state_snapshot.as_ref().unwrap()).unwrap();
    assert_eq!(store.card_count().unwrap(), report.replay.cards);
}

#[test]
fn a_file_of_another_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("tx.csv");
    generate(&csv);
    let ingested = dir.path().join("tx.parquet");
    ingest_file(
        &csv,
        &IngestOutputs {
            parquet: ingested.clone(),
            quarantine: dir.path().join("q.csv"),
        },
        &tokenizer(),
        &ReadOptions::default(),
        &[],
        &|_| {},
    )
    .unwrap();
    // An ingested transactions file is not a feature file.
    let err = FeatureTable::read(&ingested).unwrap_err();
    assert!(matches!(err, FeatureError::NotFeatureFile { .. }), "{err}");
    assert!(err.to_string().contains(feature_schema().short_hash()));
}

#[test]
fn table_round_trips_missing_labels_and_scenarios() {
    use vigie_features::{FeatureRow, FeatureVector, FeatureWriter};
    use vigie_testkit::build_transaction;
    use vigie_types::{Category, Label};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.parquet");
    let mut writer = FeatureWriter::create(&path, &[("vigie.test", "1".into())]).unwrap();
    let rows: Vec<FeatureRow> = (0..300u32)
        .map(|i| {
            let mut txn = build_transaction(
                i % 7,
                1_600_000_000 + i64::from(i),
                100 + i64::from(i),
                Category::ALL[i as usize % 14],
                0,
                u128::from(i),
                i % 5 == 0,
            );
            if i % 3 == 0 {
                txn.label = None;
            }
            if txn.label == Some(Label::Fraud) && i % 2 == 0 {
                txn.scenario = Some(FraudScenario::CardTesting);
            }
            let mut v = FeatureVector::default();
            v.0.iter_mut()
                .enumerate()
                .for_each(|(f, x)| *x = (i as f32) * 0.5 + f as f32);
            FeatureRow { txn, features: v }
        })
        .collect();
    writer.write(&rows).unwrap();
    assert_eq!(writer.finish().unwrap(), 300);
    let table = FeatureTable::read(&path).unwrap();
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(table.label[i], row.txn.label, "row {i}");
        assert_eq!(table.scenario[i], row.txn.scenario, "row {i}");
        assert_eq!(table.trans_num[i], row.txn.txn.trans_num);
        assert_eq!(table.card[i], row.txn.txn.card);
        for f in 0..FEATURE_COUNT {
            assert_eq!(table.features[f][i], row.features.0[f]);
        }
    }
    assert!(table.scenario.iter().any(Option::is_some));
    assert!(table.label.iter().any(Option::is_none));
}

/// Test-period features continued from the training period's final states
/// equal the features of one replay over both periods.
#[test]
fn a_later_period_continues_from_a_snapshot() {
    use vigie_ingest::{TransactionWriter, read_transactions};
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("tx.csv");
    generate(&csv);
    let whole = dir.path().join("whole.parquet");
    ingest_file(
        &csv,
        &IngestOutputs {
            parquet: whole.clone(),
            quarantine: dir.path().join("q.csv"),
        },
        &tokenizer(),
        &ReadOptions::default(),
        &[],
        &|_| {},
    )
    .unwrap();
    let mut rows = Vec::new();
    read_transactions(&whole, &mut |batch| {
        rows.extend(batch);
        Ok(())
    })
    .unwrap();
    let cut = rows.len() * 2 / 3;
    let cut_time = rows[cut].txn.txn.event_time;
    let (early, late): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|a| a.txn.txn.event_time < cut_time);
    for (name, part) in [("early.parquet", &early), ("late.parquet", &late)] {
        let mut w = TransactionWriter::create(&dir.path().join(name), &[]).unwrap();
        w.write(part).unwrap();
        w.finish().unwrap();
    }
    let run = |input: &str, out: &str, snapshot_in: Option<&str>, snapshot_out: Option<&str>| {
        let initial =
            snapshot_in.map(|p| MemoryStateStore::load_snapshot(&dir.path().join(p)).unwrap());
        compute_features(
            &Source::Parquet {
                path: &dir.path().join(input),
            },
            &FeatureOutputs {
                parquet: dir.path().join(out),
                state_snapshot: snapshot_out.map(|p| dir.path().join(p)),
            },
            &ReplayOptions::default(),
            initial,
            &[],
            &|_| {},
        )
        .unwrap();
        FeatureTable::read(&dir.path().join(out)).unwrap()
    };
    let all = run("whole.parquet", "f_all.parquet", None, None);
    run(
        "early.parquet",
        "f_early.parquet",
        None,
        Some("early.state"),
    );
    let continued = run("late.parquet", "f_late.parquet", Some("early.state"), None);
    let cold = run("late.parquet", "f_cold.parquet", None, None);
    let offset = all.len() - continued.len();
    assert_eq!(offset, early.len());
    assert_eq!(&all.trans_num[offset..], &continued.trans_num[..]);
    for f in 0..FEATURE_COUNT {
        assert_eq!(
            &all.features[f][offset..],
            &continued.features[f][..],
            "feature {f}"
        );
    }
    // Without the snapshot the history starts empty: features differ.
    assert_ne!(cold.features, continued.features);
}
