//! The comparison is honest: thresholds and choices come from validation
//! only, training is deterministic, artifacts and reports are complete,
//! and runs are recorded in the registry.

use vigie_model::{ModelArtifact, ModelKind};
use vigie_registry::{Actor, ModelName, Registry, RegistryConfig};
use vigie_train::{
    FeatureSet, Search, TrainConfig, TrainReport, promote, record, train, write_report,
};

use crate::support::files;

fn config(test: &std::path::Path, kinds: Vec<ModelKind>) -> TrainConfig {
    TrainConfig {
        train: files().train.clone(),
        test: test.to_path_buf(),
        kinds,
        features: FeatureSet::Behaviour,
        valid_fraction: 0.25,
        search: Search::Smoke,
        seed: 3,
    }
}

fn run(config: &TrainConfig, out: &std::path::Path) -> TrainReport {
    train(config, out, &|_| {}).unwrap()
}

#[test]
fn every_family_trains_reports_and_registers() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(&config(&files().test, ModelKind::ALL.to_vec()), dir.path());
    assert_eq!(report.models.len(), 4);
    let json = serde_json::to_value(&report).unwrap();
    for m in json["models"].as_array().unwrap() {
        for key in [
            "model",
            "auc_roc",
            "average_precision",
            "precision",
            "recall",
            "f1",
            "threshold",
            "recall_at_1pct_fpr",
            "card_precision_at_100",
            "fraud_amount_caught_pct",
            "train_seconds",
            "predict_us_p50",
            "predict_us_p99",
            "batch_rows_per_second",
            "model_bytes",
        ] {
            assert!(m.get(key).is_some(), "{key} missing in {m}");
        }
        let auc = m["auc_roc"].as_f64().unwrap();
        assert!(auc > 0.8, "{m}");
    }
    for m in &report.models {
        let bytes = std::fs::read(&m.artifact).unwrap();
        let artifact =
            ModelArtifact::decode(&bytes, Some(vigie_features::feature_schema())).unwrap();
        assert_eq!(artifact.meta.kind, m.model);
        assert_eq!(artifact.meta.thresholds, m.thresholds);
        assert_eq!(ModelArtifact::sha256_of(&bytes), m.artifact_sha256);
        assert!(m.thresholds.review <= m.thresholds.block);
    }
    let files_out = write_report(&report, dir.path()).unwrap();
    let html = std::fs::read_to_string(&files_out.html).unwrap();
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(
        std::fs::read_to_string(&files_out.markdown)
            .unwrap()
            .contains("| gbdt")
    );

    let registry = Registry::open(&RegistryConfig {
        data_dir: dir.path().join("registry"),
        database_url: None,
        artifacts_url: None,
        s3: None,
    })
    .unwrap();
    let name = ModelName::parse("card-fraud").unwrap();
    let actor = Actor::user("test").unwrap();
    let registered = record(&registry, &report, &files_out, &name, &actor, None).unwrap();
    assert_eq!(registered.len(), 4);
    assert!(
        registered
            .windows(2)
            .all(|w| w[0].valid_average_precision >= w[1].valid_average_precision)
    );
    promote(&registry, &registered, &name, &actor).unwrap();
    let alias = |a: &str| {
        registry
            .alias(&name, &vigie_registry::AliasName::parse(a).unwrap())
            .unwrap()
            .unwrap()
            .version
    };
    assert_eq!(alias("champion"), registered[0].version);
    assert_eq!(alias("challenger"), registered[1].version);
    assert_eq!(registry.runs(&Default::default()).unwrap().len(), 4);
}

#[test]
fn thresholds_and_choices_never_depend_on_the_test_file() {
    let kinds = vec![ModelKind::Logreg, ModelKind::Gbdt];
    let a = run(
        &config(&files().test, kinds.clone()),
        tempfile::tempdir().unwrap().path(),
    );
    let b = run(
        &config(&files().other_test, kinds),
        tempfile::tempdir().unwrap().path(),
    );
    for (x, y) in a.models.iter().zip(&b.models) {
        assert_eq!(x.thresholds, y.thresholds, "{}", x.model);
        assert_eq!(x.chosen, y.chosen);
        assert_eq!(x.validation, y.validation);
        // The test files differ, so the test metrics do.
        assert_ne!(x.test.average_precision, y.test.average_precision);
    }
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let kinds = vec![ModelKind::Gbdt, ModelKind::Forest];
    let a = run(
        &config(&files().test, kinds.clone()),
        tempfile::tempdir().unwrap().path(),
    );
    let b = run(
        &config(&files().test, kinds),
        tempfile::tempdir().unwrap().path(),
    );
    for (x, y) in a.models.iter().zip(&b.models) {
        let (x, y) = (x.built.as_ref().unwrap(), y.built.as_ref().unwrap());
        assert_eq!(x.model.to_json().unwrap(), y.model.to_json().unwrap());
    }
}

#[test]
fn a_test_period_before_the_training_end_is_refused() {
    let mut c = config(&files().train, vec![ModelKind::Logreg]);
    c.test = files().train.clone();
    c.train = files().test.clone();
    let err = train(&c, tempfile::tempdir().unwrap().path(), &|_| {}).unwrap_err();
    assert!(
        err.to_string().contains("must come after training"),
        "{err}"
    );
}
