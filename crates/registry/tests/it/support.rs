//! Test registries on either backend: a temporary data directory, and for
//! PostgreSQL a fresh schema (dropped at the end) selected through the
//! connection URL's `options=-csearch_path=...`, so tests run in parallel.

use std::path::PathBuf;

use vigie_registry::{
    Actor, ArtifactRef, ModelName, NewRun, NewVersion, Registry, RegistryConfig, RunId,
};

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `sqlite::<name>` and `postgres::<name>` tests from `fn <name>(Backend)`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::support::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name($crate::support::Backend::Postgres) } )*
        }
    };
}
pub(crate) use on_both_backends;

/// A PostgreSQL schema owned by one test.
struct PgSchema {
    base_url: String,
    name: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.base_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

/// A registry location for one test.
pub struct TestRegistry {
    pub config: RegistryConfig,
    _dir: tempfile::TempDir,
    pub backend: Backend,
    _schema: Option<PgSchema>,
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).unwrap();
    hex::encode(buf)
}

impl TestRegistry {
    /// A fresh location, or `None` (after printing `skipped: ...`) when the
    /// backend is PostgreSQL and `VIGIE_TEST_DATABASE_URL` is not set.
    pub fn new(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let (database_url, schema) = match backend {
            Backend::Sqlite => (None, None),
            Backend::Postgres => {
                let Some(base_url) = std::env::var("VIGIE_TEST_DATABASE_URL")
                    .ok()
                    .filter(|u| !u.is_empty())
                else {
                    println!("skipped: VIGIE_TEST_DATABASE_URL is not set");
                    return None;
                };
                let name = format!("t_{}", random_hex(8));
                let mut admin = postgres::Client::connect(&base_url, postgres::NoTls)
                    .expect("VIGIE_TEST_DATABASE_URL is set but PostgreSQL is unreachable");
                admin
                    .batch_execute(&format!("CREATE SCHEMA {name}"))
                    .unwrap();
                let sep = if base_url.contains('?') { '&' } else { '?' };
                let url = format!("{base_url}{sep}options=-csearch_path%3D{name}");
                (Some(url), Some(PgSchema { base_url, name }))
            }
        };
        Some(Self {
            config: RegistryConfig {
                data_dir: dir.path().join("registry"),
                database_url,
                artifacts_url: None,
                s3: None,
            },
            _dir: dir,
            backend,
            _schema: schema,
        })
    }

    /// Opens a registry (a new connection each call).
    pub fn open(&self) -> Registry {
        Registry::open(&self.config).unwrap()
    }

    /// Runs raw SQL on the database, bypassing the API (to play an attacker
    /// with direct database access). Returns the database's error text.
    pub fn raw_sql(&self, sql: &str) -> Result<(), String> {
        match &self.config.database_url {
            None => {
                let conn = rusqlite::Connection::open(self.config.data_dir.join("registry.sqlite"))
                    .unwrap();
                conn.execute_batch(sql).map_err(|e| e.to_string())
            }
            Some(url) => {
                let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
                client.batch_execute(sql).map_err(|e| {
                    e.as_db_error()
                        .map_or(e.to_string(), |db| db.message().to_owned())
                })
            }
        }
    }

    /// SQL that lets the next statements modify the audit log (drops or
    /// disables the append-only triggers).
    pub fn disable_audit_triggers_sql(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => {
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
            }
            Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER USER;",
        }
    }
}

pub fn alice() -> Actor {
    Actor::user("alice").unwrap()
}

pub fn model(name: &str) -> ModelName {
    ModelName::parse(name).unwrap()
}

/// A small finished run.
pub fn sample_run(registry: &Registry, name: &str) -> RunId {
    let mut run = NewRun {
        experiment: "fraud-gbdt".into(),
        name: name.into(),
        data_fingerprint: "sha256:feedface".into(),
        code_version: Some("abc1234".into()),
        ..NewRun::default()
    };
    run.params
        .insert("learning_rate".into(), serde_json::json!(0.1));
    run.params.insert("trees".into(), serde_json::json!(300));
    run.params
        .insert("objective".into(), serde_json::json!("binary"));
    run.tags.insert("team".into(), "fraud".into());
    registry.create_run(&run).unwrap()
}

/// Stores `bytes` and registers them as the next version of `model`.
pub fn register(registry: &Registry, model_name: &str, bytes: &[u8]) -> u64 {
    let artifact = registry.store_artifact(bytes).unwrap();
    register_ref(registry, model_name, artifact, None)
}

/// Registers an already stored artifact.
pub fn register_ref(
    registry: &Registry,
    model_name: &str,
    artifact: ArtifactRef,
    run_id: Option<RunId>,
) -> u64 {
    registry
        .register_version(
            &NewVersion {
                model: model(model_name),
                run_id,
                artifact,
                feature_schema_hash: "fs1:0123abcd".into(),
                description: "test model".into(),
            },
            &alice(),
        )
        .unwrap()
        .version
}

/// All files under `dir`, recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}
