//! The registry test suite, run once on SQLite and once on PostgreSQL.

use vigie_registry::{
    AliasName, ArtifactRef, AuditFilter, NewVersion, RegistryError, RunFilter, RunStatus,
};

use crate::support::{
    Backend, TestRegistry, alice, model, on_both_backends, register, register_ref, sample_run,
};

on_both_backends!(
    a_run_records_params_metrics_curves_tags_and_artifacts,
    a_closed_run_cannot_change,
    versions_are_numbered_from_one_without_gaps_per_model,
    promote_and_rollback_walk_the_alias_history,
    versions_are_immutable_in_the_database,
    a_version_is_refused_when_its_artifact_is_missing_or_corrupt,
    migrations_apply_once_even_when_processes_race,
);

fn champion() -> AliasName {
    AliasName::parse("champion").unwrap()
}

fn a_run_records_params_metrics_curves_tags_and_artifacts(backend: Backend) {
    let Some(t) = TestRegistry::new(backend) else {
        return;
    };
    let reg = t.open();
    let id = sample_run(&reg, "first");
    reg.log_metrics(&id, &[("auc", 0.991), ("average_precision", 0.8)])
        .unwrap();
    reg.log_metrics(&id, &[("auc", 0.992)]).unwrap(); // replaces
    reg.log_curve(&id, "train_logloss", &[(0, 0.5), (1, 0.3), (2, 0.2)])
        .unwrap();
    let artifact = reg
        .log_artifact(&id, "model.json", b"{\"trees\":[]}")
        .unwrap();
    reg.finish_run(&id, RunStatus::Finished).unwrap();

    let run = reg.run(&id).unwrap();
    assert_eq!(run.summary.status, RunStatus::Finished);
    assert_eq!(run.summary.metrics["auc"], 0.992);
    assert_eq!(run.summary.metrics["average_precision"], 0.8);
    assert_eq!(run.params["trees"], serde_json::json!(300));
    assert_eq!(run.params["objective"], serde_json::json!("binary"));
    assert_eq!(run.tags["team"], "fraud");
    assert_eq!(run.data_fingerprint, "sha256:feedface");
    assert_eq!(run.code_version.as_deref(), Some("abc1234"));
    let curve: Vec<(i64, f64)> = run.curves["train_logloss"]
        .iter()
        .map(|p| (p.step, p.value))
        .collect();
    assert_eq!(curve, vec![(0, 0.5), (1, 0.3), (2, 0.2)]);
    assert_eq!(run.artifacts.len(), 1);
    assert_eq!(run.artifacts[0].name, "model.json");
    assert_eq!(run.artifacts[0].artifact, artifact);
    assert_eq!(reg.fetch_artifact(&artifact).unwrap(), b"{\"trees\":[]}");
    let finished = run.summary.finished_at.unwrap();
    assert!(finished >= run.summary.started_at);
    assert_eq!(
        run.summary.duration_ms,
        Some(finished.0 - run.summary.started_at.0)
    );

    let other = sample_run(&reg, "second");
    let listed = reg.runs(&RunFilter::default()).unwrap();
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .any(|r| r.id == other && r.status == RunStatus::Running)
    );
    let none = reg
        .runs(&RunFilter {
            experiment: Some("other".into()),
            limit: None,
        })
        .unwrap();
    assert!(none.is_empty());
    let one = reg
        .runs(&RunFilter {
            experiment: None,
            limit: Some(1),
        })
        .unwrap();
    assert_eq!(one.len(), 1);
}

fn a_closed_run_cannot_change(backend: Backend) {
    let Some(t) = TestRegistry::new(backend) else {
        return;
    };
    let reg = t.open();
    let id = sample_run(&reg, "closed");
    reg.finish_run(&id, RunStatus::Failed).unwrap();
    assert!(matches!(
        reg.log_metrics(&id, &[("auc", 0.5)]),
        Err(RegistryError::RunClosed { .. })
    ));
    assert!(matches!(
        reg.finish_run(&id, RunStatus::Finished),
        Err(RegistryError::RunClosed { .. })
    ));
    assert!(matches!(
        reg.log_artifact(&id, "late.bin", b"late"),
        Err(RegistryError::RunClosed { .. })
    ));
    assert!(matches!(
        reg.log_metrics(&id, &[("auc", f64::NAN)]),
        Err(RegistryError::Invalid { .. })
    ));
    let unknown = vigie_registry::RunId::random().unwrap();
    assert!(matches!(
        reg.run(&unknown),
        Err(RegistryError::RunNotFound { .. })
    ));
    assert_eq!(reg.run(&id).unwrap().summary.status, RunStatus::Failed);
}

fn versions_are_numbered_from_one_without_gaps_per_model(backend: Backend) {
    let Some(t) = TestRegistry::new(backend) else {
        return;
    };
    let reg = t.open();
    let run = sample_run(&reg, "trainer");
    let artifact = reg.log_artifact(&run, "model.bin", b"model-a").unwrap();
    assert_eq!(
        register_ref(&reg, "fraud", artifact.clone(), Some(run.clone())),
        1
    );
    assert_eq!(register(&reg, "fraud", b"model-b"), 2);
    assert_eq!(register(&reg, "other", b"model-c"), 1);
    assert_eq!(register(&reg, "fraud", b"model-a"), 3); // same bytes, new version

    let detail = reg.model(&model("fraud")).unwrap();
    let numbers: Vec<u64> = detail.versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, vec![1, 2, 3]);
    assert_eq!(detail.versions[0].run_id.as_ref(), Some(&run));
    assert_eq!(detail.versions[0].artifact.sha256, artifact.sha256);
    assert_eq!(detail.versions[2].artifact.sha256, artifact.sha256);
    assert_eq!(detail.created_by, "user:alice");
    let models = reg.models().unwrap();
    assert_eq!(models.len(), 2);
    assert_eq!(
        (
            models[0].name.as_str(),
            models[0].versions,
            models[0].latest_version
        ),
        ("fraud", 3, Some(3))
    );
    assert_eq!(reg.version(&model("other"), 1).unwrap().artifact.size, 7);
    assert!(matches!(
        reg.version(&model("other"), 2),
        Err(RegistryError::VersionNotFound { .. })
    ));
    assert!(matches!(
        reg.model(&model("nope")),
        Err(RegistryError::ModelNotFound { .. })
    ));
    // A version naming an unknown run is refused.
    let err = reg.register_version(
        &NewVersion {
            model: model("fraud"),
            run_id: Some(vigie_registry::RunId::random().unwrap()),
            artifact,
            feature_schema_hash: "fs1".into(),
            description: String::new(),
        },
        &alice(),
    );
    assert!(matches!(err, Err(RegistryError::RunNotFound { .. })));
    assert_eq!(reg.model(&model("fraud")).unwrap().versions.len(), 3);
}

fn promote_and_rollback_walk_the_alias_history(backend: Backend) {
    let Some(t) = TestRegistry::new(backend) else {
        return;
    };
    let reg = t.open();
    for bytes in [b"v1", b"v2", b"v3"] {
        register(&reg, "fraud", bytes);
    }
    let m = model("fraud");
    let a = champion();
    assert!(reg.alias(&m, &a).unwrap().is_none());
    assert!(matches!(
        reg.rollback_alias(&m, &a, &alice()),
        Err(RegistryError::AliasNotFound { .. })
    ));
    for v in 1..=3 {
        let change = reg.set_alias(&m, &a, v, &alice()).unwrap();
        assert_eq!(
            (change.before, change.after, change.changed),
            ((v > 1).then(|| v - 1), v, true)
        );
    }
    let same = reg.set_alias(&m, &a, 3, &alice()).unwrap();
    assert!(!same.changed);
    assert_eq!(reg.alias(&m, &a).unwrap().unwrap().version, 3);

    let back = reg.rollback_alias(&m, &a, &alice()).unwrap();
    assert_eq!((back.before, back.after), (Some(3), 2));
    let back = reg.rollback_alias(&m, &a, &alice()).unwrap();
    assert_eq!((back.before, back.after), (Some(2), 1));
    assert!(matches!(
        reg.rollback_alias(&m, &a, &alice()),
        Err(RegistryError::NothingToRollBack { .. })
    ));
    assert_eq!(reg.alias(&m, &a).unwrap().unwrap().version, 1);
    // A new promotion after rollbacks, then a rollback returns to 1.
    reg.set_alias(&m, &a, 3, &alice()).unwrap();
    assert_eq!(reg.rollback_alias(&m, &a, &alice()).unwrap().after, 1);

    assert!(matches!(
        reg.set_alias(&m, &a, 9, &alice()),
        Err(RegistryError::VersionNotFound { .. })
    ));
    assert!(matches!(
        reg.set_alias(&model("ghost"), &a, 1, &alice()),
        Err(RegistryError::ModelNotFound { .. })
    ));
    let challenger = AliasName::parse("challenger").unwrap();
    reg.set_alias(&m, &challenger, 2, &alice()).unwrap();
    let detail = reg.model(&m).unwrap();
    let aliases: Vec<(String, u64)> = detail
        .aliases
        .iter()
        .map(|a| (a.alias.clone(), a.version))
        .collect();
    assert_eq!(
        aliases,
        vec![("challenger".into(), 2), ("champion".into(), 1)]
    );
    assert_eq!(reg.models().unwrap()[0].aliases["champion"], 1);
}

fn versions_are_immutable_in_the_database(backend: Backend) {
    let Some(t) = TestRegistry::new(backend) else {
        return;
    };
    let reg = t.open();
    register(&reg, "fraud", b"v1");
    let err = t
        .raw_sql("UPDATE model_versions SET artifact_sha256 = 'x' WHERE version = 1")
        .unwrap_err();
    assert!(
        err.contains("immutable") || err.contains("append-only"),
        "{err}"
    );
    assert!(t.raw_sql("DELETE FROM model_versions").is_err());
    assert_eq!(
        reg.version(&model("fraud"), 1).unwrap().artifact.sha256,
        vigie_registry::sha256_hex(b"v1")
    );
}

fn a_version_is_refused_when_its_artifact_is_missing_or_corrupt(backend: Backend) {
    let Some(t) = TestRegistry::new(backend) else {
        return;
    };
    let reg = t.open();
    let never_stored = ArtifactRef {
        sha256: vigie_registry::sha256_hex(b"never stored"),
        size: 12,
        uri: String::new(),
    };
    let new = |artifact: ArtifactRef| NewVersion {
        model: model("fraud"),
        run_id: None,
        artifact,
        feature_schema_hash: "fs1".into(),
        description: String::new(),
    };
    assert!(matches!(
        reg.register_version(&new(never_stored), &alice()),
        Err(RegistryError::ArtifactMissing { .. })
    ));

    let stored = reg.store_artifact(b"the real model").unwrap();
    let wrong_size = ArtifactRef {
        size: 3,
        ..stored.clone()
    };
    assert!(matches!(
        reg.register_version(&new(wrong_size), &alice()),
        Err(RegistryError::ArtifactCorrupt { .. })
    ));
    // Damage the stored file (a partial write by something else): refused, and
    // fetch never returns the damaged bytes.
    let vigie_registry::ArtifactStore::Local(local) = reg.artifacts() else {
        panic!("local store expected")
    };
    std::fs::write(local.path_of(&stored.sha256), b"the real").unwrap();
    assert!(matches!(
        reg.register_version(&new(stored.clone()), &alice()),
        Err(RegistryError::ArtifactCorrupt { .. })
    ));
    assert!(matches!(
        reg.fetch_artifact(&stored),
        Err(RegistryError::ArtifactCorrupt { .. })
    ));
    assert!(
        reg.models().unwrap().is_empty(),
        "no version may point at a bad artifact"
    );
    assert!(reg.audit_log(&AuditFilter::default()).unwrap().is_empty());

    // Storing the bytes again repairs the object; then registration works.
    reg.store_artifact(b"the real model").unwrap();
    assert_eq!(
        reg.register_version(&new(stored.clone()), &alice())
            .unwrap()
            .version,
        1
    );
    assert_eq!(reg.fetch_artifact(&stored).unwrap(), b"the real model");
}

fn migrations_apply_once_even_when_processes_race(backend: Backend) {
    let Some(t) = TestRegistry::new(backend) else {
        return;
    };
    // Four connections migrate a fresh database at the same moment.
    let barrier = std::sync::Barrier::new(4);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                barrier.wait();
                t.open();
            });
        }
    });
    let reg = t.open();
    register(&reg, "fraud", b"v1");
    drop(reg);
    let _again = t.open();
    t.raw_sql("CREATE TABLE probe AS SELECT COUNT(*) AS n FROM schema_migrations")
        .unwrap();
    let reg = t.open();
    assert_eq!(reg.model(&model("fraud")).unwrap().versions.len(), 1);
    match t.backend {
        Backend::Sqlite => {
            let conn =
                rusqlite::Connection::open(t.config.data_dir.join("registry.sqlite")).unwrap();
            let n: i64 = conn
                .query_row("SELECT n FROM probe", [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, vigie_registry::SCHEMA_VERSION);
            let mode: String = conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal");
        }
        Backend::Postgres => {
            let url = t.config.database_url.as_deref().unwrap();
            let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
            let n: i64 = client.query_one("SELECT n FROM probe", &[]).unwrap().get(0);
            assert_eq!(n, vigie_registry::SCHEMA_VERSION);
        }
    }
}
