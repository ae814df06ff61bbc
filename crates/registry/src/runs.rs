//! Runs: one training job each, with its parameters, metrics, curves, tags,
//! data fingerprint, code version, timings and artifacts.
//!
//! A run is `running` until [`crate::Registry::finish_run`] closes it; a
//! closed run can no longer be changed.

use std::collections::BTreeMap;
use std::fmt;

use crate::artifacts::ArtifactRef;
use crate::error::{RegistryError, Result};
use crate::names::RunId;
use crate::time::UtcMillis;

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still being written.
    Running,
    /// Ended normally.
    Finished,
    /// Ended with an error.
    Failed,
    /// Stopped from outside.
    Killed,
}

impl RunStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Finished => "finished",
            Self::Failed => "failed",
            Self::Killed => "killed",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "running" => Ok(Self::Running),
            "finished" => Ok(Self::Finished),
            "failed" => Ok(Self::Failed),
            "killed" => Ok(Self::Killed),
            _ => Err(RegistryError::Invalid {
                what: "run status",
                value: text.to_owned(),
                reason: "expected running, finished, failed or killed",
            }),
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a new run is made of.
#[derive(Debug, Clone, Default)]
pub struct NewRun {
    /// The experiment the run belongs to (`fraud-gbdt`, ...).
    pub experiment: String,
    /// A human name for the run.
    pub name: String,
    /// Hyper-parameters and settings, as JSON values.
    pub params: BTreeMap<String, serde_json::Value>,
    /// Free tags.
    pub tags: BTreeMap<String, String>,
    /// The fingerprint (hash) of the training data.
    pub data_fingerprint: String,
    /// The code version (git commit) when known.
    pub code_version: Option<String>,
}

/// A run as listed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunSummary {
    /// The run's id.
    pub id: RunId,
    /// Its experiment.
    pub experiment: String,
    /// Its name.
    pub name: String,
    /// Where it stands.
    pub status: RunStatus,
    /// When it started.
    pub started_at: UtcMillis,
    /// When it was closed.
    pub finished_at: Option<UtcMillis>,
    /// Wall time from start to close, in milliseconds.
    pub duration_ms: Option<i64>,
    /// Final metrics (name -> value).
    pub metrics: BTreeMap<String, f64>,
}

/// One point of a per-iteration curve.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CurvePoint {
    /// The iteration.
    pub step: i64,
    /// The value at that iteration.
    pub value: f64,
}

/// A named artifact of a run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunArtifact {
    /// Its name within the run (`model.json`, `report.json`).
    pub name: String,
    /// Where its bytes are.
    #[serde(flatten)]
    pub artifact: ArtifactRef,
}

/// Everything about one run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunDetail {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: RunSummary,
    /// Parameters.
    pub params: BTreeMap<String, serde_json::Value>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// The training data's fingerprint.
    pub data_fingerprint: String,
    /// The code version, when known.
    pub code_version: Option<String>,
    /// Per-iteration curves (name -> points by step).
    pub curves: BTreeMap<String, Vec<CurvePoint>>,
    /// Artifacts by name.
    pub artifacts: Vec<RunArtifact>,
}

/// Which runs to list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only this experiment.
    pub experiment: Option<String>,
    /// At most this many, newest first.
    pub limit: Option<usize>,
}

/// Checks a free-text label (experiment, run name, tag value): 1-500
/// characters, no control characters.
pub(crate) fn check_label(what: &'static str, value: &str) -> Result<()> {
    if value.is_empty() || value.chars().count() > 500 || value.chars().any(char::is_control) {
        return Err(RegistryError::Invalid {
            what,
            value: value.chars().take(80).collect(),
            reason: "must be 1 to 500 characters without control characters",
        });
    }
    Ok(())
}

/// Checks a key (parameter, metric, tag, artifact name): 1-250 characters among
/// letters, digits, `_`, `-`, `.`, ` ` and `/` (what MLflow accepts).
pub(crate) fn check_key(what: &'static str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= 250
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b' ' | b'/'));
    if !ok || value.starts_with('/') || value.split('/').any(|part| part == "..") {
        return Err(RegistryError::Invalid {
            what,
            value: value.chars().take(80).collect(),
            reason: "must be 1 to 250 of letters, digits, '_', '-', '.', ' ', '/', relative",
        });
    }
    Ok(())
}

/// Checks a metric value: finite.
pub(crate) fn check_value(name: &str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(RegistryError::Invalid {
            what: "metric value",
            value: format!("{name}={value}"),
            reason: "must be finite",
        })
    }
}

impl NewRun {
    /// Checks every field; reports the first problem.
    pub fn validate(&self) -> Result<()> {
        check_label("experiment", &self.experiment)?;
        check_label("run name", &self.name)?;
        check_label("data fingerprint", &self.data_fingerprint)?;
        if let Some(code) = &self.code_version {
            check_label("code version", code)?;
        }
        for key in self.params.keys() {
            check_key("parameter name", key)?;
        }
        for (key, value) in &self.tags {
            check_key("tag name", key)?;
            if value.chars().count() > 5000 || value.chars().any(char::is_control) {
                return Err(RegistryError::Invalid {
                    what: "tag value",
                    value: key.clone(),
                    reason: "must be at most 5000 characters without control characters",
                });
            }
        }
        Ok(())
    }
}
