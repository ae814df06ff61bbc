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
mod pg_write;
mod read;
mod rows;
mod write;

pub(crate) use pg_write::encoded_group_len;
pub(crate) use rows::check_text;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{DecisionError, Result};
use crate::store::conn::{BackendKind, Conn};
use crate::store::migrate::migrate;

/// Where the decision log lives. Its `Debug` hides a password in the URL.
#[derive(Clone, PartialEq, Eq)]
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

impl std::fmt::Debug for DecisionLogConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecisionLogConfig")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_password),
            )
            .finish()
    }
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
        // With a URL, `vigie_pg` refuses anything but postgres://.
        if config.database_url.is_none() {
            std::fs::create_dir_all(&config.data_dir).map_err(|source| DecisionError::Io {
                path: config.data_dir.clone(),
                source,
            })?;
        }
        let mut writer = open_one()?;
        migrate(&mut writer)?;
        // The reader opens after the migration so it sees the tables.
        let mut reader = open_one()?;
        plan_reads_with_their_values(&mut reader);
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
        self.connection(&self.shared.writer, |_| {})
    }

    /// The read connection.
    pub(crate) fn reader(&self) -> MutexGuard<'_, Conn> {
        self.connection(&self.shared.reader, plan_reads_with_their_values)
    }

    /// Locks a connection; a PostgreSQL connection the server closed
    /// (restart, failover, idle timeout) is replaced by a new one first. If
    /// reconnecting fails the closed connection stays, its next statement
    /// fails with a database error, and the next call tries again.
    /// `setup` prepares a new connection's session.
    fn connection<'a>(&self, mutex: &'a Mutex<Conn>, setup: fn(&mut Conn)) -> MutexGuard<'a, Conn> {
        let mut guard = lock_recovering(mutex);
        if guard.is_lost()
            && let Some(url) = &self.shared.database_url
        {
            match Conn::open_postgres(url) {
                Ok(mut fresh) => {
                    setup(&mut fresh);
                    tracing::info!("reconnected to PostgreSQL");
                    *guard = fresh;
                }
                Err(err) => tracing::warn!(error = %err, "cannot reconnect to PostgreSQL"),
            }
        }
        guard
    }
}

/// Makes PostgreSQL plan every read with its parameter values
/// (`plan_cache_mode = force_custom_plan`) instead of switching a prepared
/// statement to a generic plan after five runs. The lookups by `trans_num`
/// list (`contains_many`, `get_many`) are prepared once per session; when
/// the session starts on an empty `decisions` table, the generic plan is a
/// sequential scan, and it stays cached while the table grows (until an
/// ANALYZE, never without autovacuum): the worker's throughput fell from
/// thousands to hundreds of transactions per second. Planning a lookup
/// costs far less than the scan. SQLite connections are left alone, and a
/// server that refuses the setting (PostgreSQL < 12) only gets a warning.
fn plan_reads_with_their_values(conn: &mut Conn) {
    if conn.kind() == BackendKind::Postgres
        && let Err(err) = conn.batch("SET plan_cache_mode = force_custom_plan")
    {
        tracing::warn!(error = %err, "cannot set plan_cache_mode on the read connection");
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

/// `scheme://user:secret@host/...` -> `scheme://user:***@host/...`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::print_stdout,
        reason = "tests fail loudly and say why they skip"
    )]
    use super::{DecisionLog, DecisionLogConfig, redact_password};

    fn setting(conn: &mut crate::store::conn::Conn) -> String {
        let row = conn.query_opt("SHOW plan_cache_mode", &[]).unwrap();
        row.unwrap().text(0).unwrap()
    }

    #[test]
    fn postgres_reads_are_planned_with_their_values_also_after_a_reconnect() {
        let Some(base) = std::env::var("VIGIE_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            println!("skipped: VIGIE_TEST_DATABASE_URL not set");
            return;
        };
        let schema = format!("t_plan_{:016x}", getrandom::u64().unwrap());
        let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let dir = tempfile::tempdir().unwrap();
        let log = DecisionLog::open(&DecisionLogConfig {
            data_dir: dir.path().to_path_buf(),
            database_url: Some(format!(
                "{base}{sep}options=-csearch_path%3D{schema}&application_name={schema}"
            )),
        })
        .unwrap();
        assert_eq!(setting(&mut log.reader()), "force_custom_plan");
        assert_eq!(setting(&mut log.writer()), "auto");
        // The server ends the sessions (a restart): the new reader is set up too.
        admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&schema],
            )
            .unwrap();
        let _ = log.reader().query_opt("SELECT 1", &[]);
        assert_eq!(setting(&mut log.reader()), "force_custom_plan");
        drop(log);
        admin
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .unwrap();
    }

    #[test]
    fn a_password_in_the_url_is_hidden() {
        assert_eq!(
            redact_password("postgres://vigie:s3cr@t@db:5432/vigie?sslmode=disable"),
            "postgres://vigie:***@db:5432/vigie?sslmode=disable"
        );
        assert_eq!(
            redact_password("postgres://vigie@db/x"),
            "postgres://vigie@db/x"
        );
        assert_eq!(redact_password("postgres://db/x"), "postgres://db/x");
        assert_eq!(redact_password("not a url"), "not a url");
    }
}
