//! One connection, two drivers: the portable SQL layer.
//!
//! Adapted from the registry's layer (the two crates do not depend on each
//! other). Every query of the decision log is written once, in the SQL subset that SQLite
//! and PostgreSQL share, with `$1, $2, ...` placeholders numbered in order of
//! first appearance (SQLite binds `$N` names by that order, PostgreSQL by
//! number, so both agree). Values cross the boundary as `Param` (typed, so
//! PostgreSQL can bind a NULL) and come back as `Cell` (`values.rs`). Integers are
//! BIGINT/INTEGER, reals DOUBLE PRECISION/REAL, everything else TEXT.
//!
//! SQLite write transactions take the database's writer lock at `BEGIN
//! IMMEDIATE` (waiting up to the busy timeout); PostgreSQL relies on the
//! unique and primary keys (`ON CONFLICT`) instead of locks.
//!
//! The blocking `postgres` client runs its own small Tokio runtime and panics
//! if called from inside another one: async callers must use
//! `tokio::task::spawn_blocking`.

use std::collections::HashMap;
use std::time::Duration;

use postgres::error::SqlState;

use super::values::{Param, Row, pg_params, pg_row, sqlite_cell, sqlite_params};
use crate::error::{DecisionError, Result};

/// How long a SQLite writer waits for another process's lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Which database a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BackendKind {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Prepared statements a PostgreSQL session keeps (a query then costs one
/// round trip instead of two); beyond this many the cache starts over.
const PG_STATEMENT_CACHE: usize = 64;

/// A PostgreSQL session.
pub(crate) struct PgConn {
    client: postgres::Client,
    /// A statement failed with a connection error: reconnect before the next.
    lost: bool,
    /// Prepared statements by SQL text.
    statements: HashMap<String, postgres::Statement>,
}

impl PgConn {
    /// Runs `call`, noting when its error may mean the session is gone: the
    /// client closed, an error without SQLSTATE (I/O, protocol), or class
    /// 08 (connection exception) / 57P (operator intervention, e.g. a server
    /// shutdown). A needless reconnect costs one connection; a missed one
    /// would fail every later statement.
    fn run<T>(
        &mut self,
        call: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error>,
    ) -> Result<T> {
        call(&mut self.client).map_err(|err| {
            let code = err.code().map(|c| c.code());
            if err.is_closed() || code.is_none_or(|c| c.starts_with("08") || c.starts_with("57P")) {
                self.lost = true;
            }
            err.into()
        })
    }

    /// Runs `call` with `sql` prepared once per session.
    fn run_prepared<T>(
        &mut self,
        sql: &str,
        call: impl FnOnce(&mut postgres::Client, &postgres::Statement) -> Result<T, postgres::Error>,
    ) -> Result<T> {
        let statement = match self.statements.get(sql) {
            Some(statement) => statement.clone(),
            None => {
                let statement = self.run(|client| client.prepare(sql))?;
                if self.statements.len() >= PG_STATEMENT_CACHE {
                    self.statements.clear();
                }
                self.statements.insert(sql.to_owned(), statement.clone());
                statement
            }
        };
        self.run(|client| call(client, &statement))
    }
}

/// A database connection of either kind.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<PgConn>),
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Conn({:?})", self.kind())
    }
}

impl Conn {
    /// Opens (creating if needed) a SQLite database file with WAL journaling,
    /// `synchronous=FULL`, foreign keys, `secure_delete`, a 32 MiB page
    /// cache and a busy timeout.
    pub(crate) fn open_sqlite(path: &std::path::Path) -> Result<Self> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
        let mode = enable_wal(&conn)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(DecisionError::Config {
                message: format!("SQLite refused WAL journaling (mode is {mode})"),
            });
        }
        // secure_delete: erased rows are overwritten with zeros, not left
        // in free pages (GDPR erasure, see `log/erase.rs`).
        // cache_size (KiB when negative): the decision log's indexes are
        // keyed by random trans_nums and card tokens, so with SQLite's 2 MB
        // default every insert and lookup read pages back from the OS
        // (measured: pread was 4 % of a serving process's CPU).
        // The WAL checkpoint interval stays at SQLite's 1,000 pages: 4,000
        // did not lower the writer's CPU per decision (docs/serving.md) and
        // makes each checkpoint a longer burst on a 2-core machine.
        conn.execute_batch(
            "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON; \
             PRAGMA cache_size=-32768;",
        )?;
        Ok(Self::Sqlite(conn))
    }

    /// Connects to PostgreSQL (`postgres://user@host:port/db?options=...`;
    /// `sslmode=verify-full&sslrootcert=FILE` and the other TLS modes of
    /// `vigie_pg`).
    pub(crate) fn open_postgres(url: &str) -> Result<Self> {
        let client = vigie_pg::connect(url)?;
        Ok(Self::Postgres(Box::new(PgConn {
            client,
            lost: false,
            statements: HashMap::new(),
        })))
    }

    /// Which database this is.
    pub(crate) fn kind(&self) -> BackendKind {
        match self {
            Self::Sqlite(_) => BackendKind::Sqlite,
            Self::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Whether the connection is lost (PostgreSQL closed it, or a statement
    /// failed in a way that ends the session); a SQLite file never is.
    pub(crate) fn is_lost(&self) -> bool {
        match self {
            Self::Sqlite(_) => false,
            Self::Postgres(c) => c.lost || c.client.is_closed(),
        }
    }

    /// Runs one or more statements without parameters.
    pub(crate) fn batch(&mut self, sql: &str) -> Result<()> {
        match self {
            Self::Sqlite(c) => c.execute_batch(sql)?,
            Self::Postgres(c) => c.run(|client| client.batch_execute(sql))?,
        }
        Ok(())
    }

    /// Runs one statement; returns the number of rows changed.
    pub(crate) fn execute(&mut self, sql: &str, params: &[Param]) -> Result<u64> {
        match self {
            Self::Sqlite(c) => {
                let values = sqlite_params(params);
                let changed = c.execute(sql, rusqlite::params_from_iter(values.iter()))?;
                Ok(changed as u64)
            }
            Self::Postgres(c) => c.run_prepared(sql, |client, statement| {
                client.execute(statement, &pg_params(params))
            }),
        }
    }

    /// Runs one statement that may break a unique constraint: `Ok(false)`
    /// when it did (the statement, atomic, wrote nothing), `Ok(true)` when
    /// it ran.
    pub(crate) fn execute_unless_duplicate(&mut self, sql: &str, params: &[Param]) -> Result<bool> {
        match self {
            Self::Sqlite(c) => {
                let values = sqlite_params(params);
                match c.execute(sql, rusqlite::params_from_iter(values.iter())) {
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
                    {
                        Ok(false)
                    }
                    other => Ok(other.map(|_| true)?),
                }
            }
            Self::Postgres(c) => c.run_prepared(sql, |client, statement| {
                match client.execute(statement, &pg_params(params)) {
                    Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Ok(false),
                    other => other.map(|_| true),
                }
            }),
        }
    }

    /// Runs one statement once per parameter list, prepared once; returns
    /// the number of rows each run changed.
    pub(crate) fn execute_each(&mut self, sql: &str, runs: &[Vec<Param>]) -> Result<Vec<u64>> {
        let mut changed = Vec::with_capacity(runs.len());
        match self {
            Self::Sqlite(c) => {
                let mut stmt = c.prepare(sql)?;
                for params in runs {
                    let values = sqlite_params(params);
                    changed.push(stmt.execute(rusqlite::params_from_iter(values.iter()))? as u64);
                }
            }
            Self::Postgres(c) => c.run_prepared(sql, |client, statement| {
                for params in runs {
                    changed.push(client.execute(statement, &pg_params(params))?);
                }
                Ok(())
            })?,
        }
        Ok(changed)
    }

    /// Runs a query and collects its rows.
    pub(crate) fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>> {
        match self {
            Self::Sqlite(c) => {
                let values = sqlite_params(params);
                let mut stmt = c.prepare(sql)?;
                let width = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    let mut cells = Vec::with_capacity(width);
                    for i in 0..width {
                        cells.push(sqlite_cell(row.get_ref(i)?));
                    }
                    out.push(Row(cells));
                }
                Ok(out)
            }
            Self::Postgres(c) => {
                let rows = c.run_prepared(sql, |client, statement| {
                    client.query(statement, &pg_params(params))
                })?;
                rows.iter().map(pg_row).collect()
            }
        }
    }

    /// Runs a query expected to return at most one row.
    pub(crate) fn query_opt(&mut self, sql: &str, params: &[Param]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs `body` inside a write transaction: committed if it returns `Ok`,
    /// rolled back otherwise. SQLite takes the writer lock at `BEGIN`.
    pub(crate) fn write_tx<T>(&mut self, body: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let begin = match self.kind() {
            BackendKind::Sqlite => "BEGIN IMMEDIATE",
            BackendKind::Postgres => "BEGIN",
        };
        self.batch(begin)?;
        match body(self) {
            Ok(value) => {
                self.batch("COMMIT")?;
                Ok(value)
            }
            Err(err) => {
                // The original error matters more than a failed rollback; a
                // dropped connection rolls back anyway.
                if let Err(rollback) = self.batch("ROLLBACK") {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                Err(err)
            }
        }
    }
}

/// Switches a SQLite file to WAL journaling; returns the mode in force.
///
/// Switching needs an exclusive lock, and SQLite may answer `SQLITE_BUSY`
/// at once (without the busy handler) while another process opens the same
/// new file: retry until the busy timeout.
fn enable_wal(conn: &rusqlite::Connection) -> Result<String> {
    let deadline = std::time::Instant::now() + SQLITE_BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(2);
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(mode) => return Ok(mode),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::Conn;

    #[test]
    fn a_unique_violation_is_an_answer_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Conn::open_sqlite(&dir.path().join("t.db")).unwrap();
        conn.batch("CREATE TABLE t (k TEXT NOT NULL UNIQUE, v INTEGER CHECK (v > 0))")
            .unwrap();
        let insert = "INSERT INTO t (k, v) VALUES ($1, $2)";
        assert!(
            conn.execute_unless_duplicate(insert, &["a".into(), 1i64.into()])
                .unwrap()
        );
        assert!(
            !conn
                .execute_unless_duplicate(insert, &["a".into(), 2i64.into()])
                .unwrap()
        );
        // Any other refusal stays an error.
        assert!(
            conn.execute_unless_duplicate(insert, &["b".into(), 0i64.into()])
                .is_err()
        );
        let row = conn
            .query_opt("SELECT v FROM t WHERE k = 'a'", &[])
            .unwrap();
        assert_eq!(row.unwrap().int(0).unwrap(), 1);
    }
}
