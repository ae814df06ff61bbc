//! Model queries: register a version, move and roll back aliases, list, show.
//!
//! Every change runs in one write transaction that first locks the audit
//! chain head, then checks, writes and appends its audit entry: two processes
//! changing the registry at once are serialised, version numbers have no gaps
//! and the audit log always agrees with the alias table.

use std::collections::BTreeMap;

use super::audit::{self, NewEntry};
use super::conn::{Conn, Row};
use super::runs;
use crate::Step;
use crate::artifacts::{ArtifactRef, ArtifactStore};
use crate::audit::{AuditAction, rollback_target};
use crate::error::{RegistryError, Result};
use crate::models::{
    AliasChange, AliasHolder, ModelDetail, ModelSummary, ModelVersion, NewVersion,
};
use crate::names::{Actor, AliasName, ModelName, RunId};
use crate::time::UtcMillis;

const VERSION_COLUMNS: &str = "model, version, run_id, artifact_sha256, artifact_size, feature_schema_hash, description, created_at, created_by";

fn version_from_row(row: &Row, artifacts: &ArtifactStore) -> Result<ModelVersion> {
    let sha256 = row.text(3)?;
    Ok(ModelVersion {
        model: row.text(0)?,
        version: row.uint(1)?,
        run_id: row.opt_text(2)?.map(|id| RunId::parse(&id)).transpose()?,
        artifact: ArtifactRef {
            uri: artifacts.uri(&sha256),
            sha256,
            size: row.uint(4)?,
        },
        feature_schema_hash: row.text(5)?,
        description: row.text(6)?,
        created_at: UtcMillis(row.int(7)?),
        created_by: row.text(8)?,
    })
}

/// Registers the next version of a model (creating the model on its first).
/// The caller has verified the artifact; `hook` sees the row inserted before commit.
pub(crate) fn register(
    c: &mut Conn,
    new: &NewVersion,
    actor: &Actor,
    artifacts: &ArtifactStore,
    hook: &dyn Fn(Step),
) -> Result<ModelVersion> {
    let model = new.model.as_str();
    c.write_tx(|c| {
        let mut head = audit::lock_head(c)?;
        if let Some(run_id) = &new.run_id {
            runs::ensure_exists(c, run_id)?;
        }
        let now = UtcMillis::now();
        let exists = c
            .query_opt("SELECT 1 FROM models WHERE name = $1", &[model.into()])?
            .is_some();
        if !exists {
            c.execute(
                "INSERT INTO models (name, created_at, created_by) VALUES ($1, $2, $3)",
                &[model.into(), now.0.into(), actor.as_str().into()],
            )?;
            audit::append(
                c,
                &mut head,
                NewEntry {
                    actor,
                    action: AuditAction::ModelCreated,
                    model,
                    alias: None,
                    before: None,
                    after: None,
                    detail: serde_json::json!({}),
                },
            )?;
        }
        let next = c
            .query_opt(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE model = $1",
                &[model.into()],
            )?
            .map(|row| row.uint(0))
            .transpose()?
            .unwrap_or(1);
        c.execute(
            "INSERT INTO model_versions (model, version, run_id, artifact_sha256, artifact_size,
                 feature_schema_hash, description, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                model.into(),
                next.into(),
                new.run_id.as_ref().map(RunId::as_str).into(),
                new.artifact.sha256.as_str().into(),
                new.artifact.size.into(),
                new.feature_schema_hash.as_str().into(),
                new.description.as_str().into(),
                now.0.into(),
                actor.as_str().into(),
            ],
        )?;
        audit::append(
            c,
            &mut head,
            NewEntry {
                actor,
                action: AuditAction::VersionRegistered,
                model,
                alias: None,
                before: None,
                after: Some(next),
                detail: serde_json::json!({
                    "sha256": new.artifact.sha256,
                    "size": new.artifact.size,
                    "run_id": new.run_id,
                    "feature_schema_hash": new.feature_schema_hash,
                }),
            },
        )?;
        hook(Step::VersionInserted);
        version_of(c, model, next, artifacts)?.ok_or_else(|| RegistryError::VersionNotFound {
            model: model.to_owned(),
            version: next,
        })
    })
}

/// One version, if it exists.
pub(crate) fn version_of(
    c: &mut Conn,
    model: &str,
    version: u64,
    artifacts: &ArtifactStore,
) -> Result<Option<ModelVersion>> {
    let sql =
        format!("SELECT {VERSION_COLUMNS} FROM model_versions WHERE model = $1 AND version = $2");
    c.query_opt(&sql, &[model.into(), version.into()])?
        .map(|row| version_from_row(&row, artifacts))
        .transpose()
}

fn require_model(c: &mut Conn, model: &str) -> Result<()> {
    match c.query_opt("SELECT 1 FROM models WHERE name = $1", &[model.into()])? {
        Some(_) => Ok(()),
        None => Err(RegistryError::ModelNotFound {
            model: model.to_owned(),
        }),
    }
}

fn holder(c: &mut Conn, model: &str, alias: &str) -> Result<Option<u64>> {
    c.query_opt(
        "SELECT version FROM aliases WHERE model = $1 AND alias = $2",
        &[model.into(), alias.into()],
    )?
    .map(|row| row.uint(0))
    .transpose()
}

fn write_alias(c: &mut Conn, model: &str, alias: &str, version: u64, actor: &Actor) -> Result<()> {
    c.execute(
        "INSERT INTO aliases (model, alias, version, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version,
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        &[
            model.into(),
            alias.into(),
            version.into(),
            UtcMillis::now().0.into(),
            actor.as_str().into(),
        ],
    )?;
    Ok(())
}

/// Points `alias` at `version` (no-op if it already does), with its audit entry.
pub(crate) fn set_alias(
    c: &mut Conn,
    model: &ModelName,
    alias: &AliasName,
    version: u64,
    actor: &Actor,
) -> Result<AliasChange> {
    let (model, alias) = (model.as_str(), alias.as_str());
    c.write_tx(|c| {
        let mut head = audit::lock_head(c)?;
        require_model(c, model)?;
        let exists = c
            .query_opt(
                "SELECT 1 FROM model_versions WHERE model = $1 AND version = $2",
                &[model.into(), version.into()],
            )?
            .is_some();
        if !exists {
            return Err(RegistryError::VersionNotFound {
                model: model.to_owned(),
                version,
            });
        }
        let before = holder(c, model, alias)?;
        let change = AliasChange {
            model: model.to_owned(),
            alias: alias.to_owned(),
            before,
            after: version,
            changed: before != Some(version),
        };
        if change.changed {
            write_alias(c, model, alias, version, actor)?;
            audit::append(
                c,
                &mut head,
                NewEntry {
                    actor,
                    action: AuditAction::AliasSet,
                    model,
                    alias: Some(alias),
                    before,
                    after: Some(version),
                    detail: serde_json::json!({}),
                },
            )?;
        }
        Ok(change)
    })
}

/// Moves `alias` back to the holder it had before its current one.
pub(crate) fn rollback_alias(
    c: &mut Conn,
    model: &ModelName,
    alias: &AliasName,
    actor: &Actor,
) -> Result<AliasChange> {
    let (model, alias) = (model.as_str(), alias.as_str());
    c.write_tx(|c| {
        let mut head = audit::lock_head(c)?;
        require_model(c, model)?;
        let current = holder(c, model, alias)?.ok_or_else(|| RegistryError::AliasNotFound {
            model: model.to_owned(),
            alias: alias.to_owned(),
        })?;
        let history = audit::alias_history(c, model, alias)?;
        let target = rollback_target(&history).ok_or_else(|| RegistryError::NothingToRollBack {
            model: model.to_owned(),
            alias: alias.to_owned(),
        })?;
        write_alias(c, model, alias, target, actor)?;
        audit::append(
            c,
            &mut head,
            NewEntry {
                actor,
                action: AuditAction::AliasRolledBack,
                model,
                alias: Some(alias),
                before: Some(current),
                after: Some(target),
                detail: serde_json::json!({}),
            },
        )?;
        Ok(AliasChange {
            model: model.to_owned(),
            alias: alias.to_owned(),
            before: Some(current),
            after: target,
            changed: true,
        })
    })
}

/// The version an alias names, if it is set.
pub(crate) fn alias(
    c: &mut Conn,
    model: &str,
    alias: &str,
    artifacts: &ArtifactStore,
) -> Result<Option<ModelVersion>> {
    match holder(c, model, alias)? {
        Some(version) => version_of(c, model, version, artifacts),
        None => Ok(None),
    }
}

fn aliases_of(c: &mut Conn, model: &str) -> Result<Vec<AliasHolder>> {
    c.query(
        "SELECT alias, version, updated_at, updated_by FROM aliases WHERE model = $1 ORDER BY alias",
        &[model.into()],
    )?
    .iter()
    .map(|r| {
        Ok(AliasHolder {
            alias: r.text(0)?,
            version: r.uint(1)?,
            updated_at: UtcMillis(r.int(2)?),
            updated_by: r.text(3)?,
        })
    })
    .collect()
}

/// Every model, by name.
pub(crate) fn list(c: &mut Conn) -> Result<Vec<ModelSummary>> {
    let rows = c.query(
        "SELECT m.name, m.created_at, COUNT(v.version), MAX(v.version)
         FROM models m LEFT JOIN model_versions v ON v.model = m.name
         GROUP BY m.name, m.created_at ORDER BY m.name",
        &[],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let name = row.text(0)?;
        let aliases: BTreeMap<String, u64> = aliases_of(c, &name)?
            .into_iter()
            .map(|a| (a.alias, a.version))
            .collect();
        out.push(ModelSummary {
            created_at: UtcMillis(row.int(1)?),
            versions: row.uint(2)?,
            latest_version: row.opt_uint(3)?,
            aliases,
            name,
        });
    }
    Ok(out)
}

/// One model with its versions and aliases.
pub(crate) fn detail(c: &mut Conn, model: &str, artifacts: &ArtifactStore) -> Result<ModelDetail> {
    let row = c
        .query_opt(
            "SELECT name, created_at, created_by FROM models WHERE name = $1",
            &[model.into()],
        )?
        .ok_or_else(|| RegistryError::ModelNotFound {
            model: model.to_owned(),
        })?;
    let sql =
        format!("SELECT {VERSION_COLUMNS} FROM model_versions WHERE model = $1 ORDER BY version");
    let versions = c
        .query(&sql, &[model.into()])?
        .iter()
        .map(|r| version_from_row(r, artifacts))
        .collect::<Result<Vec<_>>>()?;
    Ok(ModelDetail {
        name: row.text(0)?,
        created_at: UtcMillis(row.int(1)?),
        created_by: row.text(2)?,
        versions,
        aliases: aliases_of(c, model)?,
    })
}
