//! Run queries: create, log, close, list, show.

use std::collections::BTreeMap;

use super::conn::{Conn, Row};
use crate::artifacts::{ArtifactRef, ArtifactStore};
use crate::error::{RegistryError, Result};
use crate::names::RunId;
use crate::runs::{CurvePoint, NewRun, RunArtifact, RunDetail, RunFilter, RunStatus, RunSummary};
use crate::time::UtcMillis;

fn to_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| RegistryError::Database {
        backend: "sql",
        message: format!("cannot encode JSON: {e}"),
    })
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| RegistryError::Database {
        backend: "sql",
        message: format!("stored JSON does not decode: {e}"),
    })
}

/// Inserts a new `running` run.
pub(crate) fn create(c: &mut Conn, id: &RunId, run: &NewRun, now: UtcMillis) -> Result<()> {
    c.execute(
        "INSERT INTO runs (id, experiment, name, status, params, tags, data_fingerprint, code_version, started_at)
         VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8)",
        &[
            id.as_str().into(),
            run.experiment.as_str().into(),
            run.name.as_str().into(),
            to_json(&run.params)?.into(),
            to_json(&run.tags)?.into(),
            run.data_fingerprint.as_str().into(),
            run.code_version.as_deref().into(),
            now.0.into(),
        ],
    )?;
    Ok(())
}

/// Fails unless the run exists and is still running.
pub(crate) fn ensure_open(c: &mut Conn, id: &RunId) -> Result<()> {
    let row = c
        .query_opt(
            "SELECT status FROM runs WHERE id = $1",
            &[id.as_str().into()],
        )?
        .ok_or_else(|| RegistryError::RunNotFound {
            run_id: id.to_string(),
        })?;
    let status = RunStatus::parse(&row.text(0)?)?;
    if status == RunStatus::Running {
        Ok(())
    } else {
        Err(RegistryError::RunClosed {
            run_id: id.to_string(),
            status: status.to_string(),
        })
    }
}

/// Fails unless the run exists.
pub(crate) fn ensure_exists(c: &mut Conn, id: &RunId) -> Result<()> {
    match c.query_opt("SELECT 1 FROM runs WHERE id = $1", &[id.as_str().into()])? {
        Some(_) => Ok(()),
        None => Err(RegistryError::RunNotFound {
            run_id: id.to_string(),
        }),
    }
}

/// Sets final metrics (a second value for a name replaces the first).
pub(crate) fn log_metrics(c: &mut Conn, id: &RunId, metrics: &[(&str, f64)]) -> Result<()> {
    let now = UtcMillis::now();
    c.write_tx(|c| {
        ensure_open(c, id)?;
        for (name, value) in metrics {
            c.execute(
                "INSERT INTO run_metrics (run_id, name, value, logged_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (run_id, name) DO UPDATE SET value = excluded.value, logged_at = excluded.logged_at",
                &[id.as_str().into(), (*name).into(), (*value).into(), now.0.into()],
            )?;
        }
        Ok(())
    })
}

/// Records a per-iteration curve (a step logged twice keeps the last value).
pub(crate) fn log_curve(c: &mut Conn, id: &RunId, name: &str, points: &[(i64, f64)]) -> Result<()> {
    c.write_tx(|c| {
        ensure_open(c, id)?;
        for (step, value) in points {
            c.execute(
                "INSERT INTO run_curves (run_id, name, step, value) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (run_id, name, step) DO UPDATE SET value = excluded.value",
                &[
                    id.as_str().into(),
                    name.into(),
                    (*step).into(),
                    (*value).into(),
                ],
            )?;
        }
        Ok(())
    })
}

/// Attaches a stored artifact to a run under `name`.
pub(crate) fn add_artifact(
    c: &mut Conn,
    id: &RunId,
    name: &str,
    artifact: &ArtifactRef,
) -> Result<()> {
    c.write_tx(|c| {
        ensure_open(c, id)?;
        c.execute(
            "INSERT INTO run_artifacts (run_id, name, sha256, size, logged_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (run_id, name) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size,
                 logged_at = excluded.logged_at",
            &[
                id.as_str().into(),
                name.into(),
                artifact.sha256.as_str().into(),
                artifact.size.into(),
                UtcMillis::now().0.into(),
            ],
        )?;
        Ok(())
    })
}

/// Closes a running run.
pub(crate) fn finish(c: &mut Conn, id: &RunId, status: RunStatus) -> Result<()> {
    if status == RunStatus::Running {
        return Err(RegistryError::Invalid {
            what: "final run status",
            value: status.to_string(),
            reason: "a run is closed as finished, failed or killed",
        });
    }
    c.write_tx(|c| {
        ensure_open(c, id)?;
        c.execute(
            "UPDATE runs SET status = $1, finished_at = $2 WHERE id = $3",
            &[
                status.as_str().into(),
                UtcMillis::now().0.into(),
                id.as_str().into(),
            ],
        )?;
        Ok(())
    })
}

const SUMMARY_COLUMNS: &str = "id, experiment, name, status, started_at, finished_at";

fn summary_from_row(row: &Row) -> Result<RunSummary> {
    let started_at = row.int(4)?;
    let finished_at = row.opt_int(5)?;
    Ok(RunSummary {
        id: RunId::parse(&row.text(0)?)?,
        experiment: row.text(1)?,
        name: row.text(2)?,
        status: RunStatus::parse(&row.text(3)?)?,
        started_at: UtcMillis(started_at),
        finished_at: finished_at.map(UtcMillis),
        duration_ms: finished_at.map(|end| end - started_at),
        metrics: BTreeMap::new(),
    })
}

fn metrics_of(c: &mut Conn, id: &RunId) -> Result<BTreeMap<String, f64>> {
    let rows = c.query(
        "SELECT name, value FROM run_metrics WHERE run_id = $1 ORDER BY name",
        &[id.as_str().into()],
    )?;
    rows.iter().map(|r| Ok((r.text(0)?, r.real(1)?))).collect()
}

/// Runs matching `filter`, newest first, with their final metrics.
pub(crate) fn list(c: &mut Conn, filter: &RunFilter) -> Result<Vec<RunSummary>> {
    let limit = filter
        .limit
        .map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM runs WHERE (CAST($1 AS TEXT) IS NULL OR experiment = $1)
         ORDER BY started_at DESC, id LIMIT $2"
    );
    let rows = c.query(&sql, &[filter.experiment.as_deref().into(), limit.into()])?;
    let mut runs = rows
        .iter()
        .map(summary_from_row)
        .collect::<Result<Vec<_>>>()?;
    for run in &mut runs {
        run.metrics = metrics_of(c, &run.id)?;
    }
    Ok(runs)
}

/// Everything about one run.
pub(crate) fn detail(c: &mut Conn, id: &RunId, artifacts: &ArtifactStore) -> Result<RunDetail> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, params, tags, data_fingerprint, code_version FROM runs WHERE id = $1"
    );
    let row =
        c.query_opt(&sql, &[id.as_str().into()])?
            .ok_or_else(|| RegistryError::RunNotFound {
                run_id: id.to_string(),
            })?;
    let mut summary = summary_from_row(&row)?;
    summary.metrics = metrics_of(c, id)?;
    let mut curves: BTreeMap<String, Vec<CurvePoint>> = BTreeMap::new();
    for r in c.query(
        "SELECT name, step, value FROM run_curves WHERE run_id = $1 ORDER BY name, step",
        &[id.as_str().into()],
    )? {
        curves.entry(r.text(0)?).or_default().push(CurvePoint {
            step: r.int(1)?,
            value: r.real(2)?,
        });
    }
    let run_artifacts = c
        .query(
            "SELECT name, sha256, size FROM run_artifacts WHERE run_id = $1 ORDER BY name",
            &[id.as_str().into()],
        )?
        .iter()
        .map(|r| {
            let sha256 = r.text(1)?;
            Ok(RunArtifact {
                name: r.text(0)?,
                artifact: ArtifactRef {
                    uri: artifacts.uri(&sha256),
                    sha256,
                    size: r.uint(2)?,
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RunDetail {
        summary,
        params: from_json(&row.text(6)?)?,
        tags: from_json(&row.text(7)?)?,
        data_fingerprint: row.text(8)?,
        code_version: row.opt_text(9)?,
        curves,
        artifacts: run_artifacts,
    })
}
