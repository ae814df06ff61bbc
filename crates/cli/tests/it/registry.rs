//! `vigie runs`, `vigie models`, `vigie mlflow`: the registry through the binary.
//! The registry is seeded with the library (as `vigie train` would), then
//! read and changed through the command line.

use serde_json::Value;
use vigie_registry::{
    Actor, ModelName, NewRun, NewVersion, Registry, RegistryConfig, RunId, RunStatus,
};

use crate::support::{Vigie, stderr, stdout};

/// A run and three versions of `fraud` in the registry at `config`.
fn seed(config: &RegistryConfig) -> RunId {
    let registry = Registry::open(config).unwrap();
    let mut run = NewRun {
        experiment: "fraud-gbdt".into(),
        name: "nightly".into(),
        data_fingerprint: "sha256:0ddba11".into(),
        code_version: Some("deadbeef".into()),
        ..NewRun::default()
    };
    run.params.insert("trees".into(), serde_json::json!(300));
    let id = registry.create_run(&run).unwrap();
    registry.log_metrics(&id, &[("auc", 0.987)]).unwrap();
    registry
        .log_curve(&id, "train_logloss", &[(0, 0.5), (1, 0.25)])
        .unwrap();
    let trainer = Actor::user("trainer").unwrap();
    for i in 1..=3 {
        let artifact = registry
            .log_artifact(
                &id,
                &format!("model-{i}.json"),
                format!("model {i}").as_bytes(),
            )
            .unwrap();
        registry
            .register_version(
                &NewVersion {
                    model: ModelName::parse("fraud").unwrap(),
                    run_id: Some(id.clone()),
                    artifact,
                    feature_schema_hash: "fs1:abc".into(),
                    description: format!("candidate {i}"),
                },
                &trainer,
            )
            .unwrap();
    }
    registry.finish_run(&id, RunStatus::Finished).unwrap();
    id
}

fn local_config(vigie: &Vigie) -> RegistryConfig {
    RegistryConfig {
        data_dir: vigie.data_dir().join("registry"),
        ..RegistryConfig::default()
    }
}

fn json_of(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// Promote, promote, roll back, then read it all back, on the registry that
/// `extra` flags point at.
fn promote_rollback_and_audit(vigie: &Vigie, extra: &[&str]) {
    let run = |args: &[&str]| vigie.run(&[args, extra].concat(), &[]);

    let listed = json_of(&run(&["models", "list", "--json"]));
    assert_eq!(listed[0]["name"], "fraud");
    assert_eq!(listed[0]["versions"], 3);

    let first = json_of(&run(&[
        "models", "promote", "fraud", "2", "--alias", "champion", "--actor", "alice", "--json",
    ]));
    assert_eq!(
        (first["before"].clone(), first["after"].clone()),
        (Value::Null, Value::from(2))
    );
    let second = run(&[
        "models", "promote", "fraud", "3", "--alias", "champion", "--actor", "key:ci_7",
    ]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("fraud@champion promoted: 2 -> 3"),
        "{}",
        stdout(&second)
    );
    let back = run(&[
        "models", "rollback", "fraud", "--alias", "champion", "--actor", "alice",
    ]);
    assert!(
        stdout(&back).contains("fraud@champion rolled back: 3 -> 2"),
        "{}",
        stdout(&back)
    );

    let shown = json_of(&run(&["models", "show", "fraud", "--json"]));
    assert_eq!(shown["aliases"][0]["alias"], "champion");
    assert_eq!(shown["aliases"][0]["version"], 2);
    assert_eq!(shown["versions"].as_array().unwrap().len(), 3);

    let audit = json_of(&run(&["models", "audit", "--verify", "--json"]));
    let entries = audit["entries"].as_array().unwrap();
    let moves: Vec<(&str, &str, Value, Value)> = entries
        .iter()
        .filter(|e| e["alias"] == "champion")
        .map(|e| {
            (
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["before"].clone(),
                e["after"].clone(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        vec![
            ("user:alice", "alias_set", Value::Null, Value::from(2)),
            ("key:ci_7", "alias_set", Value::from(2), Value::from(3)),
            (
                "user:alice",
                "alias_rolled_back",
                Value::from(3),
                Value::from(2)
            ),
        ]
    );
    assert_eq!(audit["verified"]["entries"], entries.len());
    let text = run(&["models", "audit", "--verify"]);
    assert!(stdout(&text).contains(&format!("audit chain verified: {} entries", entries.len())));

    // Refusals are the user's input: exit code 2 and one clear line.
    let missing = run(&[
        "models", "promote", "fraud", "9", "--alias", "champion", "--actor", "alice",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("has no version 9"),
        "{}",
        stderr(&missing)
    );
    let bad_alias = run(&[
        "models", "promote", "fraud", "1", "--alias", "latest", "--actor", "alice",
    ]);
    assert_eq!(bad_alias.status.code(), Some(2));
}

#[test]
fn models_promote_rollback_and_audit_on_sqlite() {
    let vigie = Vigie::new();
    seed(&local_config(&vigie));
    promote_rollback_and_audit(&vigie, &[]);
    let twice = vigie.run(
        &[
            "models", "rollback", "fraud", "--alias", "champion", "--actor", "alice",
        ],
        &[],
    );
    assert_eq!(twice.status.code(), Some(2), "{}", stderr(&twice));
    assert!(
        stderr(&twice).contains("no earlier holder"),
        "{}",
        stderr(&twice)
    );
}

#[test]
fn models_promote_rollback_and_audit_on_postgres() {
    let Ok(base) = std::env::var("VIGIE_TEST_DATABASE_URL") else {
        println!("skipped: VIGIE_TEST_DATABASE_URL is not set");
        return;
    };
    let schema = format!(
        "t_cli_{}_{}",
        std::process::id(),
        vigie_registry::UtcMillis::now().0
    );
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    let _drop = DropSchema {
        base: base.clone(),
        schema: schema.clone(),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
    let vigie = Vigie::new();
    seed(&RegistryConfig {
        database_url: Some(url.clone()),
        ..local_config(&vigie)
    });
    promote_rollback_and_audit(&vigie, &["--database-url", &url]);
    // The environment variable works as well as the flag.
    let via_env = vigie.run(
        &["models", "list", "--json"],
        &[("VIGIE_DATABASE_URL", &url)],
    );
    assert_eq!(json_of(&via_env)[0]["aliases"]["champion"], 2);
    // Over TLS, the server verified (the local server's certificate is for
    // localhost and serves as its own CA), when the server offers TLS.
    if let Some(server) = vigie_testkit::tls::pg_tls(&base, "registry over TLS") {
        let tls_url = server.verified_url(&format!("options=-csearch_path%3D{schema}"));
        let over_tls = vigie.run(
            &["models", "list", "--json", "--database-url", &tls_url],
            &[],
        );
        assert_eq!(json_of(&over_tls)[0]["aliases"]["champion"], 2);
    }
    // Nothing went to SQLite.
    assert!(!vigie.data_dir().join("registry/registry.sqlite").exists());
}

/// Drops a test's schema when the test ends, passed or failed.
struct DropSchema {
    base: String,
    schema: String,
}

impl Drop for DropSchema {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.base, postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

#[test]
fn runs_list_and_show() {
    let vigie = Vigie::new();
    let id = seed(&local_config(&vigie));
    let listed = json_of(&vigie.run(&["runs", "list", "--json"], &[]));
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["status"], "finished");
    assert_eq!(listed[0]["metrics"]["auc"], 0.987);
    let shown = json_of(&vigie.run(&["runs", "show", id.as_str(), "--json"], &[]));
    assert_eq!(shown["params"]["trees"], 300);
    assert_eq!(shown["data_fingerprint"], "sha256:0ddba11");
    assert_eq!(shown["code_version"], "deadbeef");
    assert_eq!(shown["curves"]["train_logloss"][1]["value"], 0.25);
    assert_eq!(shown["artifacts"].as_array().unwrap().len(), 3);
    let text = vigie.run(&["runs", "show", id.as_str()], &[]);
    assert!(
        stdout(&text).contains("metric      auc = 0.987"),
        "{}",
        stdout(&text)
    );
    let table = vigie.run(&["runs", "list", "--experiment", "fraud-gbdt"], &[]);
    assert!(stdout(&table).contains(id.as_str()));
    let unknown = vigie.run(&["runs", "show", "0123456789abcdef0123456789abcdef"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("not found"));
}

#[test]
fn audit_verify_fails_when_a_row_was_edited() {
    let vigie = Vigie::new();
    seed(&local_config(&vigie));
    let ok = vigie.run(&["models", "audit", "--verify"], &[]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let db = rusqlite::Connection::open(vigie.data_dir().join("registry/registry.sqlite")).unwrap();
    db.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 2;",
    )
    .unwrap();
    let broken = vigie.run(&["models", "audit", "--verify"], &[]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stderr(&broken).contains("audit chain broken at entry 2"),
        "{}",
        stderr(&broken)
    );
}

#[test]
fn mlflow_export_reports_an_unreachable_server() {
    let vigie = Vigie::new();
    seed(&local_config(&vigie));
    let o = vigie.run(
        &["mlflow", "export", "--tracking-uri", "http://127.0.0.1:9"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("MLflow"), "{}", stderr(&o));
    let bad = vigie.run(&["mlflow", "export", "--tracking-uri", "ftp://x"], &[]);
    assert_eq!(bad.status.code(), Some(2));
}
