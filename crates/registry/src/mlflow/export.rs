//! The export itself: experiments, runs, models, versions, aliases.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::client::MlflowClient;
use crate::artifacts::ArtifactStore;
use crate::error::{RegistryError, Result};
use crate::models::ModelDetail;
use crate::names::ModelName;
use crate::registry::Registry;
use crate::runs::{RunDetail, RunFilter, RunStatus};

/// MLflow's per-request limits for `runs/log-batch`.
const MAX_PARAMS: usize = 100;
const MAX_TAGS: usize = 100;
const MAX_METRICS: usize = 1000;
/// MLflow's longest parameter value.
const MAX_PARAM_LEN: usize = 6000;

/// What an export did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExportReport {
    /// Experiments created in MLflow.
    pub experiments_created: u64,
    /// Runs created in MLflow.
    pub runs_created: u64,
    /// Runs found in MLflow but not yet complete there, completed now.
    pub runs_completed: u64,
    /// Runs already complete in MLflow, left alone.
    pub runs_unchanged: u64,
    /// Registered models created.
    pub models_created: u64,
    /// Model versions created.
    pub versions_created: u64,
    /// Model versions already there.
    pub versions_unchanged: u64,
    /// Aliases set or moved.
    pub aliases_set: u64,
    /// Aliases already right.
    pub aliases_unchanged: u64,
}

fn kv(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": value })
}

fn str_at<'a>(value: &'a Value, pointer: &str, endpoint: &str) -> Result<&'a str> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| RegistryError::Mlflow {
            endpoint: endpoint.to_owned(),
            message: format!("the answer has no {pointer}"),
        })
}

fn tags_of(value: &Value) -> BTreeMap<String, String> {
    value
        .as_array()
        .map(|tags| {
            tags.iter()
                .filter_map(|t| {
                    Some((
                        t["key"].as_str()?.to_owned(),
                        t["value"].as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn mlflow_status(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running => "RUNNING",
        RunStatus::Finished => "FINISHED",
        RunStatus::Failed => "FAILED",
        RunStatus::Killed => "KILLED",
    }
}

/// Exports everything in `registry` to the MLflow server at `tracking_uri`.
pub fn export(registry: &Registry, tracking_uri: &str) -> Result<ExportReport> {
    let client = MlflowClient::new(tracking_uri)?;
    let mut report = ExportReport::default();
    let mut experiments: BTreeMap<String, String> = BTreeMap::new();
    let mut run_ids: BTreeMap<String, String> = BTreeMap::new();
    let mut summaries = registry.runs(&RunFilter::default())?;
    summaries.reverse(); // oldest first
    for summary in summaries {
        let run = registry.run(&summary.id)?;
        let experiment_id = match experiments.get(&run.summary.experiment) {
            Some(id) => id.clone(),
            None => {
                let id = experiment(&client, &run.summary.experiment, &mut report)?;
                experiments.insert(run.summary.experiment.clone(), id.clone());
                id
            }
        };
        let mlflow_id = export_run(&client, &experiment_id, &run, &mut report)?;
        run_ids.insert(run.summary.id.to_string(), mlflow_id);
    }
    for summary in registry.models()? {
        let detail = registry.model(&ModelName::parse(&summary.name)?)?;
        export_model(
            &client,
            &detail,
            &run_ids,
            registry.artifacts(),
            &mut report,
        )?;
    }
    tracing::info!(?report, tracking_uri, "MLflow export done");
    Ok(report)
}

fn experiment(client: &MlflowClient, name: &str, report: &mut ExportReport) -> Result<String> {
    let endpoint = "experiments/get-by-name";
    if let Some(found) = client.get(endpoint, &[("experiment_name", name)])? {
        return Ok(str_at(&found, "/experiment/experiment_id", endpoint)?.to_owned());
    }
    let created = client.post("experiments/create", &json!({ "name": name }))?;
    report.experiments_created += 1;
    Ok(str_at(&created, "/experiment_id", "experiments/create")?.to_owned())
}

fn export_run(
    client: &MlflowClient,
    experiment_id: &str,
    run: &RunDetail,
    report: &mut ExportReport,
) -> Result<String> {
    let vigie_id = run.summary.id.as_str();
    let search = client.post(
        "runs/search",
        &json!({
            "experiment_ids": [experiment_id],
            "filter": format!("tags.`vigie.run_id` = '{vigie_id}'"),
            "max_results": 1,
            "run_view_type": "ALL",
        }),
    )?;
    let existing = search["runs"].as_array().and_then(|runs| runs.first());
    let run_id = match existing {
        Some(found) => {
            let id = str_at(found, "/info/run_id", "runs/search")?.to_owned();
            if tags_of(&found["data"]["tags"])
                .get("vigie.export")
                .map(String::as_str)
                == Some("complete")
            {
                report.runs_unchanged += 1;
                return Ok(id);
            }
            report.runs_completed += 1;
            id
        }
        None => {
            let created = client.post(
                "runs/create",
                &json!({
                    "experiment_id": experiment_id,
                    "run_name": run.summary.name,
                    "start_time": run.summary.started_at.0,
                    "tags": [kv("vigie.run_id", vigie_id)],
                }),
            )?;
            report.runs_created += 1;
            str_at(&created, "/run/info/run_id", "runs/create")?.to_owned()
        }
    };
    log_run_data(client, &run_id, run)?;
    let mut update = json!({ "run_id": run_id, "status": mlflow_status(run.summary.status) });
    if let Some(end) = run.summary.finished_at {
        update["end_time"] = json!(end.0);
    }
    client.post("runs/update", &update)?;
    if run.summary.status != RunStatus::Running {
        client.post(
            "runs/set-tag",
            &json!({ "run_id": run_id, "key": "vigie.export", "value": "complete" }),
        )?;
    }
    Ok(run_id)
}

fn log_run_data(client: &MlflowClient, run_id: &str, run: &RunDetail) -> Result<()> {
    let params: Vec<Value> = run
        .params
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            kv(k, &text.chars().take(MAX_PARAM_LEN).collect::<String>())
        })
        .collect();
    let mut tags: Vec<Value> = run.tags.iter().map(|(k, v)| kv(k, v)).collect();
    tags.push(kv("vigie.data_fingerprint", &run.data_fingerprint));
    if let Some(code) = &run.code_version {
        tags.push(kv("mlflow.source.git.commit", code));
    }
    let timestamp = run.summary.finished_at.unwrap_or(run.summary.started_at).0;
    let mut metrics: Vec<Value> = run
        .summary
        .metrics
        .iter()
        .map(|(k, v)| json!({ "key": k, "value": v, "timestamp": timestamp, "step": 0 }))
        .collect();
    for (name, points) in &run.curves {
        metrics.extend(points.iter().map(|p| {
            json!({ "key": name, "value": p.value, "timestamp": run.summary.started_at.0, "step": p.step })
        }));
    }
    for chunk in params.chunks(MAX_PARAMS) {
        client.post(
            "runs/log-batch",
            &json!({ "run_id": run_id, "params": chunk }),
        )?;
    }
    for chunk in tags.chunks(MAX_TAGS) {
        client.post(
            "runs/log-batch",
            &json!({ "run_id": run_id, "tags": chunk }),
        )?;
    }
    for chunk in metrics.chunks(MAX_METRICS) {
        client.post(
            "runs/log-batch",
            &json!({ "run_id": run_id, "metrics": chunk }),
        )?;
    }
    Ok(())
}

fn export_model(
    client: &MlflowClient,
    model: &ModelDetail,
    run_ids: &BTreeMap<String, String>,
    artifacts: &ArtifactStore,
    report: &mut ExportReport,
) -> Result<()> {
    let name = model.name.as_str();
    let registered = match client.get("registered-models/get", &[("name", name)])? {
        Some(found) => found,
        None => {
            let created = client.post(
                "registered-models/create",
                &json!({ "name": name, "tags": [kv("vigie.model", name)] }),
            )?;
            report.models_created += 1;
            created
        }
    };
    let current_aliases: BTreeMap<String, String> = registered["registered_model"]["aliases"]
        .as_array()
        .map(|aliases| {
            aliases
                .iter()
                .filter_map(|a| {
                    Some((
                        a["alias"].as_str()?.to_owned(),
                        a["version"].as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();

    // vigie version -> MLflow version, from the `vigie.version` tags.
    let mut versions: BTreeMap<u64, String> = BTreeMap::new();
    let endpoint = "model-versions/search";
    if let Some(found) = client.get(
        endpoint,
        &[
            ("filter", &format!("name='{name}'")),
            ("max_results", "200000"),
        ],
    )? {
        for version in found["model_versions"].as_array().into_iter().flatten() {
            let tags = tags_of(&version["tags"]);
            if let Some(ours) = tags
                .get("vigie.version")
                .and_then(|v| v.parse::<u64>().ok())
            {
                versions.insert(ours, str_at(version, "/version", endpoint)?.to_owned());
            }
        }
    }
    for version in &model.versions {
        if versions.contains_key(&version.version) {
            report.versions_unchanged += 1;
            continue;
        }
        let source = match artifacts {
            ArtifactStore::S3(_) => version.artifact.uri.clone(),
            ArtifactStore::Local(_) => format!(
                "vigie-artifacts:/sha256/{}/{}",
                &version.artifact.sha256[..2],
                version.artifact.sha256
            ),
        };
        let mut body = json!({
            "name": name,
            "source": source,
            "description": version.description,
            "tags": [
                kv("vigie.version", &version.version.to_string()),
                kv("vigie.sha256", &version.artifact.sha256),
                kv("vigie.feature_schema_hash", &version.feature_schema_hash),
                kv("vigie.created_by", &version.created_by),
            ],
        });
        if let Some(run_id) = version
            .run_id
            .as_ref()
            .and_then(|id| run_ids.get(id.as_str()))
        {
            body["run_id"] = json!(run_id);
        }
        let created = client.post("model-versions/create", &body)?;
        report.versions_created += 1;
        versions.insert(
            version.version,
            str_at(&created, "/model_version/version", "model-versions/create")?.to_owned(),
        );
    }
    for holder in &model.aliases {
        let Some(target) = versions.get(&holder.version) else {
            continue;
        };
        if current_aliases.get(&holder.alias) == Some(target) {
            report.aliases_unchanged += 1;
            continue;
        }
        client.post(
            "registered-models/alias",
            &json!({ "name": name, "alias": holder.alias, "version": target }),
        )?;
        report.aliases_set += 1;
    }
    Ok(())
}
