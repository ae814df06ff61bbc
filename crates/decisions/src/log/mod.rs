//! [`DecisionLog`]: the handle on the decision database.
//!
//! A log holds two connections, one for writes and one for reads, each
//! behind a mutex: on SQLite (WAL) readers never wait for the writer; on
//! PostgreSQL a read does not queue behind a batch being written. Clones
//! share both connections. Every method blocks on the database: async
//! callers run them in `spawn_blocking` (the blocking `postgres` client
//! panics inside a Tokio runtime).

mod erase;
mod feedback;
mod read;
mod rows;

pub(crate) use rows::check_text;
mod write;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{DecisionError, Result};
use crate::store::conn::{BackendKind, Conn};
use crate::store::migrate::migrate;

/// Where the decision log lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionLogConfig {
    /// Directory of the SQLite file `decisions.sqlite` (created if needed);
    /// unused when `database_url` is set.
    pub data_dir: PathBuf,
    /// A `postgres://` (or `postgresql://`) URL to use PostgreSQL instead.
    pub database_url: Option<String>,
}

impl DecisionLogConfig {
    /// The SQLite file's name inside `data_dir`.
    pub const SQLITE_FILE: &'static str = "decisions.sqlite";
}

/// The decision log. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct DecisionLog {
    shared: Arc<Shared>,
}

struct Shared {
    writer: Mutex<Conn>,
    reader: Mutex<Conn>,
    backend: BackendKind,
    /// Where to reconnect (PostgreSQL only).
    database_url: Option<String>,
}

impl std::fmt::Debug for DecisionLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecisionLog")
            .field("backend", &self.backend())
            .finish()
    }
}

impl DecisionLog {
    /// Opens the log (creating the SQLite file or the PostgreSQL tables if
    /// needed) and applies pending migrations. Safe when several processes
    /// open the same database at once.
    pub fn open(config: &DecisionLogConfig) -> Result<Self> {
        let open_one = || match &config.database_url {
            Some(url) => Conn::open_postgres(url),
            None => Conn::open_sqlite(&config.data_dir.join(DecisionLogConfig::SQLITE_FILE)),
        };
        match &config.database_url {
            Some(url) if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) => {
                return Err(DecisionError::Config {
                    message: "database_url must start with postgres:// or postgresql://".into(),
                });
            }
            Some(_) => {}
            None => {
                std::fs::create_dir_all(&config.data_dir).map_err(|source| DecisionError::Io {
                    path: config.data_dir.clone(),
                    source,
                })?
            }
        }
        let mut writer = open_one()?;
        migrate(&mut writer)?;
        // The reader opens after the migration so it sees the tables.
        let reader = open_one()?;
        let backend = writer.kind();
        Ok(Self {
            shared: Arc::new(Shared {
                writer: Mutex::new(writer),
                reader: Mutex::new(reader),
                backend,
                database_url: config.database_url.clone(),
            }),
        })
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.shared.backend {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
        }
    }

    /// Checks that a decision can be logged (finite scores, serialisable)
    /// without touching the database.
    pub fn validate(&self, decision: &crate::record::LoggedDecision) -> Result<()> {
        rows::insert_params(decision, crate::time::UnixMillis(0)).map(drop)
    }

    /// The write connection. A panic while it was held leaves no open
    /// transaction behind: `write_tx` rolls back on error, and a panic
    /// inside a transaction is answered by a rollback here.
    pub(crate) fn writer(&self) -> MutexGuard<'_, Conn> {
        self.connection(&self.shared.writer)
    }

    /// The read connection.
    pub(crate) fn reader(&self) -> MutexGuard<'_, Conn> {
        self.connection(&self.shared.reader)
    }

    /// Locks a connection; a PostgreSQL connection the server closed
    /// (restart, failover, idle timeout) is replaced by a new one first. If
    /// reconnecting fails the closed connection stays, its next statement
    /// fails with a database error, and the next call tries again.
    fn connection<'a>(&self, mutex: &'a Mutex<Conn>) -> MutexGuard<'a, Conn> {
        let mut guard = lock_recovering(mutex);
        if guard.is_lost()
            && let Some(url) = &self.shared.database_url
        {
            match Conn::open_postgres(url) {
                Ok(fresh) => {
                    tracing::info!("reconnected to PostgreSQL");
                    *guard = fresh;
                }
                Err(err) => tracing::warn!(error = %err, "cannot reconnect to PostgreSQL"),
            }
        }
        guard
    }
}

fn lock_recovering(mutex: &Mutex<Conn>) -> MutexGuard<'_, Conn> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => {
            mutex.clear_poison();
            let mut guard = poisoned.into_inner();
            // Harmless when no transaction is open (SQLite and PostgreSQL
            // both answer with an error or a warning we ignore).
            let _ = guard.batch("ROLLBACK");
            guard
        }
    }
}
