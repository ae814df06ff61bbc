//! Model artifacts: round trips for every family, corruption and schema
//! mismatches refused with clear errors.

use std::collections::BTreeMap;

use vigie_model::{
    ARTIFACT_FORMAT, ArtifactMeta, Dataset, DecisionThresholds, Forest, ForestParams, Gbdt,
    GbdtParams, Histogram, LinearParams, LinearSvm, LogisticRegression, Model, ModelArtifact,
    ModelError, ModelKind, Reference, TrainingInfo,
};
use vigie_types::FeatureSchema;

use crate::synthetic::fraud_like;

fn models(data: &Dataset) -> Vec<Model> {
    let small_gbdt = GbdtParams {
        n_trees: 10,
        ..GbdtParams::default()
    };
    let small_forest = ForestParams {
        n_trees: 5,
        ..ForestParams::default()
    };
    vec![
        Model::Gbdt(Gbdt::fit(data, None, &small_gbdt).unwrap()),
        Model::Forest(Forest::fit(data, &small_forest).unwrap()),
        Model::Logreg(LogisticRegression::fit(data, &LinearParams::default()).unwrap()),
        Model::Svm(LinearSvm::fit(data, data, &LinearParams::default()).unwrap()),
    ]
}

fn artifact(model: Model, schema: &FeatureSchema, data: &Dataset) -> ModelArtifact {
    let features = model.feature_names().to_vec();
    let reference = Reference {
        features: (0..data.n_features())
            .map(|f| {
                let v: Vec<f64> = data.column(f).iter().map(|&x| f64::from(x)).collect();
                Histogram::quantiles(&v, 10)
            })
            .collect(),
        score: Histogram::quantiles(&[0.1, 0.2, 0.9], 10),
    };
    let meta = ArtifactMeta {
        format: ARTIFACT_FORMAT.into(),
        kind: model.kind(),
        feature_schema: schema.clone(),
        features,
        thresholds: DecisionThresholds {
            review: 0.2,
            block: 0.6,
        },
        training: TrainingInfo {
            data_fingerprint: "ab".repeat(32),
            train_rows: data.n_rows() as u64,
            valid_rows: 0,
            train_frauds: data.positives() as u64,
            period: ("2020-01-01 00:00:00".into(), "2020-02-01 00:00:00".into()),
            valid_from: "2020-01-25 00:00:00".into(),
            params: serde_json::json!({"n": 1}),
            seed: 7,
            train_seconds: 0.5,
            vigie_version: "test".into(),
        },
        metrics: BTreeMap::from([("average_precision".to_string(), 0.9)]),
        reference,
    };
    ModelArtifact::new(meta, model).unwrap()
}

/// A schema whose names include the dataset's, plus one more in front (so
/// the model's inputs are a strict subset at shifted positions).
fn schema_for(data: &Dataset) -> FeatureSchema {
    let mut names = vec!["unused".to_string()];
    names.extend(data.names().iter().cloned());
    FeatureSchema::new(3, names)
}

#[test]
fn every_family_round_trips_with_identical_scores() {
    let data = fraud_like(3_000, 5, 4);
    let schema = schema_for(&data);
    for model in models(&data) {
        let kind = model.kind();
        let a = artifact(model, &schema, &data);
        let bytes = a.encode().unwrap();
        let b = ModelArtifact::decode(&bytes, Some(&schema)).unwrap();
        assert_eq!(a, b, "{kind}");
        assert_eq!(b.feature_indices(), &[1, 2, 3, 4, 5]);
        let mut full = vec![0.0f32; 6];
        let mut row = Vec::new();
        for r in 0..200 {
            data.row_into(r, &mut row);
            full[1..].copy_from_slice(&row);
            let mut selected = Vec::new();
            b.select(&full, &mut selected);
            assert_eq!(selected, row);
            assert_eq!(
                a.model.predict_proba(&row).to_bits(),
                b.model.predict_proba(&selected).to_bits(),
                "{kind}"
            );
            let e = b.model.explain(&row);
            assert!(
                (e.raw_score() - b.model.raw_score(&row)).abs() < 1e-9,
                "{kind}"
            );
        }
        assert_eq!(ModelKind::parse(kind.as_str()), Some(kind));
    }
}

#[test]
fn corrupted_truncated_and_mismatched_artifacts_are_refused() {
    let data = fraud_like(2_000, 5, 9);
    let schema = schema_for(&data);
    let a = artifact(models(&data).remove(0), &schema, &data);
    let bytes = a.encode().unwrap();

    let mut flipped = bytes.clone();
    let at = flipped.len() - 40;
    flipped[at] ^= 0x20;
    let err = ModelArtifact::decode(&flipped, None).unwrap_err();
    assert!(err.to_string().contains("checksum mismatch"), "{err}");

    for cut in [0, 10, 30, bytes.len() / 2, bytes.len() - 1] {
        assert!(matches!(
            ModelArtifact::decode(&bytes[..cut], None),
            Err(ModelError::Decode { .. })
        ));
    }
    assert!(ModelArtifact::decode(b"{\"meta\": {}}", None).is_err());

    let other = FeatureSchema::new(4, schema.names.clone());
    let err = ModelArtifact::decode(&bytes, Some(&other)).unwrap_err();
    assert!(matches!(err, ModelError::SchemaMismatch { .. }), "{err}");
    assert!(err.to_string().contains("retrain"), "{err}");
}

#[test]
fn metadata_must_match_the_model() {
    let data = fraud_like(2_000, 5, 10);
    let schema = schema_for(&data);
    let a = artifact(models(&data).remove(2), &schema, &data);
    let mut meta = a.meta.clone();
    meta.kind = ModelKind::Gbdt;
    assert!(ModelArtifact::new(meta, a.model.clone()).is_err());
    let mut meta = a.meta.clone();
    meta.features.reverse();
    assert!(ModelArtifact::new(meta, a.model.clone()).is_err());
    let mut meta = a.meta.clone();
    meta.feature_schema = FeatureSchema::new(1, vec!["x".into()]);
    assert!(ModelArtifact::new(meta, a.model).is_err());
}
