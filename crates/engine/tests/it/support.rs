//! A small but real model, trained on generated data, for engine tests.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use vigie_engine::{ModelRef, ServingModel};
use vigie_features::{FeatureRow, ReplayOptions, Replayer, feature_schema};
use vigie_ingest::{ReadOptions, read_file};
use vigie_model::{
    ARTIFACT_FORMAT, ArtifactMeta, Dataset, DecisionThresholds, FeatureKind, Gbdt, GbdtParams,
    Histogram, Model, ModelArtifact, Reference, TrainingInfo,
};
use vigie_synth::GenerateConfig;
use vigie_types::{Date, FraudScenario, TokenKey, Tokenizer};

/// Generated transactions with their features, in replay order.
pub fn rows() -> &'static Vec<FeatureRow> {
    static ROWS: OnceLock<Vec<FeatureRow>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("tx.csv");
        let config = GenerateConfig {
            customers: 40,
            from: Date::from_ymd(2020, 1, 1).unwrap(),
            to: Date::from_ymd(2020, 3, 31).unwrap(),
            seed: 3,
            scenarios: FraudScenario::ALL.to_vec(),
            scenario_column: true,
            max_rows: None,
        };
        let file = std::fs::File::create(&csv).unwrap();
        vigie_synth::generate(&config, std::io::BufWriter::new(file), &|_| {}).unwrap();
        let tokenizer = Tokenizer::new(&TokenKey::new(&[b'k'; 32], 1).unwrap());
        let mut replayer = Replayer::new(ReplayOptions::default());
        let mut out = Vec::new();
        read_file(
            &csv,
            &tokenizer,
            &ReadOptions::default(),
            &|_| {},
            &mut |batch| {
                let txns: Vec<_> = batch.accepted.into_iter().map(|a| a.txn).collect();
                replayer
                    .push(txns, &mut |rows| {
                        out.extend(rows);
                        Ok(())
                    })
                    .unwrap();
                Ok(())
            },
        )
        .unwrap();
        replayer
            .finish(&mut |rows| {
                out.extend(rows);
                Ok(())
            })
            .unwrap();
        out
    })
}

/// A GBDT on every feature of the catalogue; `trees` varies the model.
/// Trained once per `(version, trees)` for the whole test binary.
pub fn model(version: u32, trees: usize) -> ServingModel {
    static CACHE: OnceLock<Mutex<HashMap<(u32, usize), ServingModel>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(m) = cache.lock().unwrap().get(&(version, trees)) {
        return m.clone();
    }
    let m = train_model(version, trees);
    cache.lock().unwrap().insert((version, trees), m.clone());
    m
}

fn train_model(version: u32, trees: usize) -> ServingModel {
    let rows = rows();
    let schema = feature_schema();
    let columns: Vec<Vec<f32>> = (0..schema.names.len())
        .map(|f| rows.iter().map(|r| r.features.0[f]).collect())
        .collect();
    let labels = rows
        .iter()
        .map(|r| u8::from(r.txn.label.is_some_and(|l| l.is_fraud())))
        .collect();
    let kinds = vigie_features::Feature::ALL
        .iter()
        .map(|f| match f.kind() {
            vigie_features::Kind::Numeric => FeatureKind::Numeric,
            vigie_features::Kind::Categorical { levels } => FeatureKind::Categorical { levels },
        })
        .collect();
    let data = Dataset::new(schema.names.clone(), kinds, columns, labels).unwrap();
    let params = GbdtParams {
        n_trees: trees,
        min_data_in_leaf: 5,
        ..GbdtParams::default()
    };
    let gbdt = Gbdt::fit(&data, None, &params).unwrap();
    let meta = ArtifactMeta {
        format: ARTIFACT_FORMAT.into(),
        kind: vigie_model::ModelKind::Gbdt,
        feature_schema: schema.clone(),
        features: schema.names.clone(),
        thresholds: DecisionThresholds {
            review: 0.3,
            block: 0.7,
        },
        training: TrainingInfo {
            data_fingerprint: String::new(),
            train_rows: data.n_rows() as u64,
            valid_rows: 0,
            train_frauds: data.positives() as u64,
            period: (String::new(), String::new()),
            valid_from: String::new(),
            params: serde_json::Value::Null,
            seed: 0,
            train_seconds: 0.0,
            vigie_version: "test".into(),
        },
        metrics: Default::default(),
        reference: Reference {
            features: (0..data.n_features())
                .map(|f| {
                    let v: Vec<f64> = data.column(f).iter().map(|&x| f64::from(x)).collect();
                    Histogram::quantiles(&v, 10)
                })
                .collect(),
            score: Histogram::quantiles(&[0.5], 10),
        },
    };
    let artifact = ModelArtifact::new(meta, Model::Gbdt(gbdt)).unwrap();
    let bytes = artifact.encode().unwrap();
    ServingModel::from_bytes(
        ModelRef {
            name: "card-fraud".into(),
            version,
        },
        &bytes,
    )
    .unwrap()
}
