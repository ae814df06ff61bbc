//! Recording a training run in the registry: one run per family (its
//! parameters, metrics, curves, artifact and the report), each model
//! registered as a new version, and optionally promoted.

use std::collections::BTreeMap;

use serde::Serialize;
use vigie_registry::{Actor, AliasName, ModelName, NewRun, NewVersion, Registry, RunStatus};

use crate::error::{Result, TrainError};
use crate::report::ReportFiles;
use crate::train::{TrainReport, metric_pairs};

/// A model version registered by a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Registered {
    /// The family.
    pub model: String,
    /// The run id.
    pub run_id: String,
    /// The registered model name.
    pub name: String,
    /// Its new version.
    pub version: u64,
    /// Validation average precision (what promotion compares).
    pub valid_average_precision: f64,
}

fn read(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Records every family of `report` as a run and registers its model as a
/// version of `name`. Returns them best-first (by validation AP).
pub fn record(
    registry: &Registry,
    report: &TrainReport,
    files: &ReportFiles,
    name: &ModelName,
    actor: &Actor,
    code_version: Option<String>,
) -> Result<Vec<Registered>> {
    let markdown = read(&files.markdown)?;
    let html = read(&files.html)?;
    let mut out = Vec::new();
    for m in &report.models {
        let artifact = m.built.as_ref().ok_or_else(|| TrainError::Config {
            problem: format!("{} has no artifact", m.model),
        })?;
        let mut params = BTreeMap::new();
        params.insert("model".to_string(), serde_json::json!(m.model));
        params.insert("candidate".to_string(), serde_json::json!(m.chosen));
        params.insert(
            "hyperparameters".to_string(),
            artifact.meta.training.params.clone(),
        );
        params.insert(
            "feature_set".to_string(),
            serde_json::json!(report.feature_set),
        );
        params.insert("features".to_string(), serde_json::json!(report.features));
        params.insert("seed".to_string(), serde_json::json!(report.seed));
        params.insert(
            "valid_from".to_string(),
            serde_json::json!(report.data.valid_from),
        );
        let tags = BTreeMap::from([
            (
                "feature_schema".to_string(),
                report.feature_schema_hash.clone(),
            ),
            (
                "train_period".to_string(),
                format!(
                    "{} .. {}",
                    report.data.train_period.0, report.data.train_period.1
                ),
            ),
            (
                "test_period".to_string(),
                format!(
                    "{} .. {}",
                    report.data.test_period.0, report.data.test_period.1
                ),
            ),
        ]);
        let run = registry.create_run(&NewRun {
            experiment: format!("fraud-{}", m.model),
            name: format!("{} {}", m.model, m.chosen),
            params,
            tags,
            data_fingerprint: report.data.train_fingerprint.clone(),
            code_version: code_version.clone(),
        })?;
        let mut metrics: Vec<(String, f64)> = Vec::new();
        for (prefix, set) in [("valid", &m.validation), ("test", &m.test)] {
            for (k, v) in metric_pairs(set) {
                metrics.push((format!("{prefix}_{k}"), v));
            }
        }
        metrics.extend([
            ("train_seconds".to_string(), m.train_seconds),
            ("predict_us_p50".to_string(), m.latency.predict_us_p50),
            ("predict_us_p99".to_string(), m.latency.predict_us_p99),
            (
                "batch_rows_per_second".to_string(),
                m.latency.batch_rows_per_second,
            ),
            ("model_bytes".to_string(), m.model_bytes as f64),
            ("review_threshold".to_string(), m.thresholds.review),
        ]);
        let pairs: Vec<(&str, f64)> = metrics.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        registry.log_metrics(&run, &pairs)?;
        for (curve, values) in artifact.model.curves() {
            if values.is_empty() {
                continue;
            }
            let points: Vec<(i64, f64)> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (i as i64 + 1, *v))
                .collect();
            registry.log_curve(&run, &curve, &points)?;
        }
        let bytes = read(&m.artifact)?;
        let stored = registry.log_artifact(&run, &format!("{}.vmodel", m.model), &bytes)?;
        registry.log_artifact(&run, "report.md", &markdown)?;
        registry.log_artifact(&run, "report.html", &html)?;
        let version = registry.register_version(
            &NewVersion {
                model: name.clone(),
                run_id: Some(run.clone()),
                artifact: stored,
                feature_schema_hash: report.feature_schema_hash.clone(),
                description: format!(
                    "{} ({}): validation AP {:.4}, test AP {:.4}, F1 {:.4}",
                    m.model,
                    m.chosen,
                    m.validation.average_precision,
                    m.test.average_precision,
                    m.test.f1
                ),
            },
            actor,
        )?;
        registry.finish_run(&run, RunStatus::Finished)?;
        out.push(Registered {
            model: m.model.to_string(),
            run_id: run.to_string(),
            name: name.to_string(),
            version: version.version,
            valid_average_precision: m.validation.average_precision,
        });
    }
    out.sort_by(|a, b| {
        b.valid_average_precision
            .total_cmp(&a.valid_average_precision)
    });
    Ok(out)
}

/// Makes the best version the `champion` and the runner-up the `challenger`.
pub fn promote(
    registry: &Registry,
    registered: &[Registered],
    name: &ModelName,
    actor: &Actor,
) -> Result<()> {
    for (version, alias) in registered.iter().zip(["champion", "challenger"]) {
        registry.set_alias(name, &AliasName::parse(alias)?, version.version, actor)?;
    }
    Ok(())
}
