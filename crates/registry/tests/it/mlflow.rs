//! Export to a real MLflow tracking server (MLflow from PyPI in a cached venv,
//! `scripts/py-test-env.sh mlflow`), checked through MLflow's own REST API.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use vigie_registry::{AliasName, RunStatus, mlflow};

use crate::processes::{Server, free_port, python_env, wait_until};
use crate::support::{Backend, TestRegistry, alice, model, register_ref, sample_run};

struct Rest {
    base: String,
    agent: ureq::Agent,
}

impl Rest {
    fn get(&self, endpoint: &str, query: &str) -> Value {
        let url = format!("{}/api/2.0/mlflow/{endpoint}?{query}", self.base);
        let mut resp = self.agent.get(&url).call().unwrap();
        let text = resp.body_mut().read_to_string().unwrap();
        assert!(resp.status().is_success(), "{endpoint}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    fn post(&self, endpoint: &str, body: Value) -> Value {
        let url = format!("{}/api/2.0/mlflow/{endpoint}", self.base);
        let mut resp = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(body.to_string())
            .unwrap();
        let text = resp.body_mut().read_to_string().unwrap();
        assert!(resp.status().is_success(), "{endpoint}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    fn runs_of(&self, experiment_id: &str) -> Vec<Value> {
        let found = self.post(
            "runs/search",
            json!({ "experiment_ids": [experiment_id], "max_results": 100 }),
        );
        found["runs"].as_array().cloned().unwrap_or_default()
    }

    fn versions_of(&self, name: &str) -> Vec<Value> {
        let found = self.get(
            "model-versions/search",
            &format!("filter=name%3D%27{name}%27"),
        );
        found["model_versions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn alias(&self, name: &str, alias: &str) -> String {
        let found = self.get(
            "registered-models/alias",
            &format!("name={name}&alias={alias}"),
        );
        found["model_version"]["version"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

fn tag<'a>(entity: &'a Value, pointer: &str, key: &str) -> Option<&'a str> {
    entity
        .pointer(pointer)?
        .as_array()?
        .iter()
        .find(|t| t["key"] == key)?["value"]
        .as_str()
}

#[test]
fn export_to_a_real_mlflow_server_is_complete_and_idempotent() {
    let Some(bin) = python_env("mlflow") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = Command::new(bin.join("mlflow"));
    cmd.args([
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--workers",
        "1",
    ])
    .arg("--backend-store-uri")
    .arg(format!("sqlite:///{}/mlflow.db", work.path().display()))
    .arg("--default-artifact-root")
    .arg(format!("file://{}/artifacts", work.path().display()))
    .env("MLFLOW_DISABLE_TELEMETRY", "true")
    .env("DO_NOT_TRACK", "true")
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let mut server = Server::spawn(cmd);
    let rest = Rest {
        base: format!("http://127.0.0.1:{port}"),
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent(),
    };
    wait_until("mlflow server /health", Duration::from_secs(180), || {
        assert!(!server.exited(), "mlflow server exited");
        rest.agent
            .get(&format!("{}/health", rest.base))
            .call()
            .is_ok_and(|r| r.status().is_success())
    });

    // A registry with a finished run (metrics and a curve), a running run,
    // two versions and a champion.
    let t = TestRegistry::new(Backend::Sqlite).unwrap();
    let reg = t.open();
    let run = sample_run(&reg, "gbdt-300");
    reg.log_metrics(&run, &[("auc", 0.99), ("average_precision", 0.81)])
        .unwrap();
    reg.log_curve(&run, "train_logloss", &[(0, 0.6), (1, 0.4), (2, 0.3)])
        .unwrap();
    let artifact = reg
        .log_artifact(&run, "model.json", b"{\"model\":1}")
        .unwrap();
    reg.finish_run(&run, RunStatus::Finished).unwrap();
    let running = sample_run(&reg, "still-training");
    register_ref(&reg, "fraud", artifact, Some(run.clone()));
    let second = reg.store_artifact(b"{\"model\":2}").unwrap();
    register_ref(&reg, "fraud", second, None);
    let champion = AliasName::parse("champion").unwrap();
    reg.set_alias(&model("fraud"), &champion, 2, &alice())
        .unwrap();

    let first = mlflow::export(&reg, &rest.base).unwrap();
    assert_eq!(
        (
            first.experiments_created,
            first.runs_created,
            first.models_created,
            first.versions_created,
            first.aliases_set
        ),
        (1, 2, 1, 2, 1)
    );

    let experiment = rest.get("experiments/get-by-name", "experiment_name=fraud-gbdt");
    let experiment_id = experiment["experiment"]["experiment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let runs = rest.runs_of(&experiment_id);
    assert_eq!(runs.len(), 2);
    let finished = runs
        .iter()
        .find(|r| tag(r, "/data/tags", "vigie.run_id") == Some(run.as_str()))
        .expect("the finished run is in MLflow");
    assert_eq!(finished["info"]["status"], "FINISHED");
    assert_eq!(finished["info"]["run_name"], "gbdt-300");
    let params = &finished["data"]["params"];
    assert!(
        params
            .as_array()
            .unwrap()
            .contains(&json!({"key": "learning_rate", "value": "0.1"}))
    );
    assert!(
        params
            .as_array()
            .unwrap()
            .contains(&json!({"key": "objective", "value": "binary"}))
    );
    assert_eq!(
        tag(finished, "/data/tags", "vigie.data_fingerprint"),
        Some("sha256:feedface")
    );
    assert_eq!(
        tag(finished, "/data/tags", "mlflow.source.git.commit"),
        Some("abc1234")
    );
    assert_eq!(
        tag(finished, "/data/tags", "vigie.export"),
        Some("complete")
    );
    let metrics = finished["data"]["metrics"].as_array().unwrap();
    assert!(
        metrics
            .iter()
            .any(|m| m["key"] == "auc" && m["value"] == 0.99)
    );
    let mlflow_run_id = finished["info"]["run_id"].as_str().unwrap().to_owned();
    let history = rest.get(
        "metrics/get-history",
        &format!("run_id={mlflow_run_id}&metric_key=train_logloss"),
    );
    let mut curve: Vec<(i64, f64)> = history["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["step"].as_i64().unwrap_or(0),
                m["value"].as_f64().unwrap(),
            )
        })
        .collect();
    curve.sort_by_key(|p| p.0);
    assert_eq!(curve, vec![(0, 0.6), (1, 0.4), (2, 0.3)]);

    let versions = rest.versions_of("fraud");
    assert_eq!(versions.len(), 2);
    let v1 = versions
        .iter()
        .find(|v| tag(v, "/tags", "vigie.version") == Some("1"))
        .unwrap();
    assert_eq!(v1["run_id"], mlflow_run_id.as_str());
    let v2 = versions
        .iter()
        .find(|v| tag(v, "/tags", "vigie.version") == Some("2"))
        .unwrap();
    assert_eq!(
        rest.alias("fraud", "champion"),
        v2["version"].as_str().unwrap()
    );

    // Twice: nothing new. The running run is finished meanwhile: completed, not duplicated.
    reg.finish_run(&running, RunStatus::Killed).unwrap();
    let again = mlflow::export(&reg, &rest.base).unwrap();
    assert_eq!(
        (
            again.experiments_created,
            again.runs_created,
            again.models_created,
            again.versions_created,
            again.aliases_set
        ),
        (0, 0, 0, 0, 0)
    );
    assert_eq!(
        (
            again.runs_unchanged,
            again.runs_completed,
            again.versions_unchanged,
            again.aliases_unchanged
        ),
        (1, 1, 2, 1)
    );
    let third = mlflow::export(&reg, &rest.base).unwrap();
    assert_eq!(
        (
            third.runs_created,
            third.runs_completed,
            third.runs_unchanged
        ),
        (0, 0, 2)
    );
    assert_eq!(rest.runs_of(&experiment_id).len(), 2);
    assert_eq!(rest.versions_of("fraud").len(), 2);
    let history = rest.get(
        "metrics/get-history",
        &format!("run_id={mlflow_run_id}&metric_key=train_logloss"),
    );
    assert_eq!(history["metrics"].as_array().unwrap().len(), 3);

    // A promotion, then a rollback, in Vigie move the alias in MLflow on the next export.
    reg.set_alias(&model("fraud"), &champion, 1, &alice())
        .unwrap();
    assert_eq!(mlflow::export(&reg, &rest.base).unwrap().aliases_set, 1);
    assert_eq!(
        rest.alias("fraud", "champion"),
        v1["version"].as_str().unwrap()
    );
    reg.rollback_alias(&model("fraud"), &champion, &alice())
        .unwrap();
    assert_eq!(mlflow::export(&reg, &rest.base).unwrap().aliases_set, 1);
    assert_eq!(
        rest.alias("fraud", "champion"),
        v2["version"].as_str().unwrap()
    );
}
