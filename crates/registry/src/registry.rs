//! The `Registry` facade: one database connection plus one artifact store.
//!
//! Registration order is fixed so that a crash at any point leaves nothing
//! dangling: store the artifact (atomic, content-addressed) -> read it back
//! and verify its sha256 and size -> insert the version row and its audit
//! entry in one transaction. A version row therefore always points at a
//! complete, verified object; an interrupted registration leaves at most an
//! unreferenced object, never a row without its bytes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::artifacts::{ArtifactRef, ArtifactStore, S3Settings};
use crate::audit::{AuditEntry, AuditFilter, ChainReport};
use crate::error::{RegistryError, Result};
use crate::models::{AliasChange, ModelDetail, ModelSummary, ModelVersion, NewVersion};
use crate::names::{Actor, AliasName, ModelName, RunId};
use crate::runs::{
    NewRun, RunDetail, RunFilter, RunStatus, RunSummary, check_key, check_label, check_value,
};
use crate::store::conn::{BackendKind, Conn};
use crate::store::{audit, migrate, models, runs};
use crate::time::UtcMillis;

/// A point in a registration, reported to the fault hook (crash tests abort
/// the process there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The artifact's bytes are in a temp file, not yet under their name.
    ArtifactWritten,
    /// The artifact is stored under its address.
    ArtifactStored,
    /// The stored artifact was read back and its hash checked.
    ArtifactVerified,
    /// The version row is inserted, its transaction not yet committed.
    VersionInserted,
}

type FaultHook = Arc<dyn Fn(Step) + Send + Sync>;

/// How to open a registry.
#[derive(Debug, Clone, Default)]
pub struct RegistryConfig {
    /// The directory of the SQLite file (`registry.sqlite`) and of the default
    /// artifact directory (`artifacts/`).
    pub data_dir: PathBuf,
    /// `postgres://...` to use PostgreSQL instead of SQLite.
    pub database_url: Option<String>,
    /// `s3://bucket/prefix`, `file:///dir` or a path; default `<data_dir>/artifacts`.
    pub artifacts_url: Option<String>,
    /// Endpoint, region and credentials for an `s3://` artifacts URL.
    pub s3: Option<S3Settings>,
}

/// Runs, models, aliases, audit log and artifacts. Safe to share between
/// threads (one connection behind a mutex); several processes may open the
/// same registry at once.
///
/// With PostgreSQL, every method blocks on the network through the `postgres`
/// client, which panics inside a Tokio runtime: async code must call the
/// registry from `tokio::task::spawn_blocking`.
pub struct Registry {
    conn: Mutex<Conn>,
    artifacts: ArtifactStore,
    fault_hook: Option<FaultHook>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("artifacts", &self.artifacts)
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// Opens (creating and migrating if needed) the registry.
    pub fn open(config: &RegistryConfig) -> Result<Self> {
        let mut conn = match &config.database_url {
            // `vigie_pg` refuses anything but a postgres:// URL.
            Some(url) => Conn::open_postgres(url)?,
            None => {
                std::fs::create_dir_all(&config.data_dir)
                    .map_err(|e| RegistryError::io(&config.data_dir, e))?;
                Conn::open_sqlite(&config.data_dir.join("registry.sqlite"))?
            }
        };
        migrate::migrate(&mut conn)?;
        let artifacts = ArtifactStore::open(
            config.artifacts_url.as_deref(),
            &config.data_dir.join("artifacts"),
            config.s3.as_ref(),
        )?;
        Ok(Self {
            conn: Mutex::new(conn),
            artifacts,
            fault_hook: None,
        })
    }

    /// Installs a hook called at each [`Step`] of a registration. For crash
    /// tests: a hook that aborts the process simulates a kill at that point.
    pub fn set_fault_hook(&mut self, hook: impl Fn(Step) + Send + Sync + 'static) {
        self.fault_hook = Some(Arc::new(hook));
    }

    fn hook(&self, step: Step) {
        if let Some(hook) = &self.fault_hook {
            hook(step);
        }
    }

    fn conn(&self) -> Result<MutexGuard<'_, Conn>> {
        self.conn.lock().map_err(|_| RegistryError::Database {
            backend: "registry",
            message: "a thread panicked while using the connection".into(),
        })
    }

    /// Which database backs this registry.
    pub fn backend(&self) -> Result<BackendKind> {
        Ok(self.conn()?.kind())
    }

    /// The artifact store.
    pub fn artifacts(&self) -> &ArtifactStore {
        &self.artifacts
    }

    // ----- runs -----

    /// Starts a run and returns its id.
    pub fn create_run(&self, run: &NewRun) -> Result<RunId> {
        run.validate()?;
        let id = RunId::random()?;
        runs::create(&mut *self.conn()?, &id, run, UtcMillis::now())?;
        Ok(id)
    }

    /// Sets final metrics of a running run.
    pub fn log_metrics(&self, run: &RunId, metrics: &[(&str, f64)]) -> Result<()> {
        for (name, value) in metrics {
            check_key("metric name", name)?;
            check_value(name, *value)?;
        }
        runs::log_metrics(&mut *self.conn()?, run, metrics)
    }

    /// Records a per-iteration curve (`(step, value)` points) of a running run.
    pub fn log_curve(&self, run: &RunId, name: &str, points: &[(i64, f64)]) -> Result<()> {
        check_key("curve name", name)?;
        for (_, value) in points {
            check_value(name, *value)?;
        }
        runs::log_curve(&mut *self.conn()?, run, name, points)
    }

    /// Stores `bytes` in the artifact store, verifies them, and attaches them
    /// to a running run under `name`.
    pub fn log_artifact(&self, run: &RunId, name: &str, bytes: &[u8]) -> Result<ArtifactRef> {
        check_key("artifact name", name)?;
        runs::ensure_open(&mut *self.conn()?, run)?;
        let artifact = self.store_artifact(bytes)?;
        runs::add_artifact(&mut *self.conn()?, run, name, &artifact)?;
        Ok(artifact)
    }

    /// Closes a run as finished, failed or killed.
    pub fn finish_run(&self, run: &RunId, status: RunStatus) -> Result<()> {
        runs::finish(&mut *self.conn()?, run, status)
    }

    /// Runs, newest first.
    pub fn runs(&self, filter: &RunFilter) -> Result<Vec<RunSummary>> {
        runs::list(&mut *self.conn()?, filter)
    }

    /// One run in full.
    pub fn run(&self, id: &RunId) -> Result<RunDetail> {
        runs::detail(&mut *self.conn()?, id, &self.artifacts)
    }

    // ----- artifacts -----

    /// Stores `bytes` and verifies them by reading them back: the reference
    /// returned is safe to register.
    pub fn store_artifact(&self, bytes: &[u8]) -> Result<ArtifactRef> {
        let hook = |step: Step| self.hook(step);
        let artifact = self.artifacts.put_observed(bytes, &hook)?;
        self.verify_artifact(&artifact)?;
        Ok(artifact)
    }

    /// Reads the artifact back and checks its hash and size.
    fn verify_artifact(&self, artifact: &ArtifactRef) -> Result<()> {
        let bytes = self.artifacts.get(&artifact.sha256)?;
        if bytes.len() as u64 != artifact.size {
            return Err(RegistryError::ArtifactCorrupt {
                sha256: artifact.sha256.clone(),
                reason: format!("expected {} bytes, found {}", artifact.size, bytes.len()),
            });
        }
        self.hook(Step::ArtifactVerified);
        Ok(())
    }

    /// The artifact's bytes, re-verified: a mismatch is an error.
    pub fn fetch_artifact(&self, artifact: &ArtifactRef) -> Result<Vec<u8>> {
        let bytes = self.artifacts.get(&artifact.sha256)?;
        if bytes.len() as u64 != artifact.size {
            return Err(RegistryError::ArtifactCorrupt {
                sha256: artifact.sha256.clone(),
                reason: format!("expected {} bytes, found {}", artifact.size, bytes.len()),
            });
        }
        Ok(bytes)
    }

    // ----- models -----

    /// Registers the next version of a model. The artifact is re-read and
    /// verified first; the row is written only if it is intact.
    pub fn register_version(&self, new: &NewVersion, actor: &Actor) -> Result<ModelVersion> {
        check_label("feature schema hash", &new.feature_schema_hash)?;
        crate::artifacts::check_sha256(&new.artifact.sha256)?;
        self.verify_artifact(&new.artifact)?;
        let hook = |step: Step| self.hook(step);
        models::register(&mut *self.conn()?, new, actor, &self.artifacts, &hook)
    }

    /// Points `alias` at `version`, atomically with its audit entry.
    pub fn set_alias(
        &self,
        model: &ModelName,
        alias: &AliasName,
        version: u64,
        actor: &Actor,
    ) -> Result<AliasChange> {
        models::set_alias(&mut *self.conn()?, model, alias, version, actor)
    }

    /// Moves `alias` back to its previous holder, atomically with its audit entry.
    pub fn rollback_alias(
        &self,
        model: &ModelName,
        alias: &AliasName,
        actor: &Actor,
    ) -> Result<AliasChange> {
        models::rollback_alias(&mut *self.conn()?, model, alias, actor)
    }

    /// The version an alias names, if set.
    pub fn alias(&self, model: &ModelName, alias: &AliasName) -> Result<Option<ModelVersion>> {
        models::alias(
            &mut *self.conn()?,
            model.as_str(),
            alias.as_str(),
            &self.artifacts,
        )
    }

    /// One version.
    pub fn version(&self, model: &ModelName, version: u64) -> Result<ModelVersion> {
        models::version_of(&mut *self.conn()?, model.as_str(), version, &self.artifacts)?
            .ok_or_else(|| RegistryError::VersionNotFound {
                model: model.to_string(),
                version,
            })
    }

    /// Every model.
    pub fn models(&self) -> Result<Vec<ModelSummary>> {
        models::list(&mut *self.conn()?)
    }

    /// One model with its versions and aliases.
    pub fn model(&self, name: &ModelName) -> Result<ModelDetail> {
        models::detail(&mut *self.conn()?, name.as_str(), &self.artifacts)
    }

    // ----- audit -----

    /// Audit entries, oldest first.
    pub fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        audit::list(&mut *self.conn()?, filter)
    }

    /// Verifies the whole hash chain; an edited, removed or reordered entry is
    /// an [`RegistryError::AuditChainBroken`].
    pub fn verify_audit_chain(&self) -> Result<ChainReport> {
        audit::verify(&mut *self.conn()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Registry>();
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(&RegistryConfig {
            data_dir: dir.path().into(),
            ..RegistryConfig::default()
        })
        .unwrap();
        assert_eq!(reg.backend().unwrap(), BackendKind::Sqlite);
        let err = Registry::open(&RegistryConfig {
            data_dir: dir.path().into(),
            database_url: Some("mysql://x".into()),
            ..RegistryConfig::default()
        });
        assert!(matches!(err, Err(RegistryError::Config { .. })));
    }
}
