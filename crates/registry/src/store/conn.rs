//! One connection, two drivers: the portable SQL layer.
//!
//! Every query of the registry is written once, in the SQL subset that SQLite
//! and PostgreSQL share, with `$1, $2, ...` placeholders numbered in order of
//! first appearance (SQLite binds `$N` names by that order, PostgreSQL by
//! number, so both agree). Values cross the boundary as [`Param`] (typed, so
//! PostgreSQL can bind a NULL) and come back as [`Cell`]. Integers are
//! BIGINT/INTEGER, reals DOUBLE PRECISION/REAL, everything else TEXT.
//!
//! Write transactions take the database's writer lock first: SQLite with
//! `BEGIN IMMEDIATE` (waiting up to the busy timeout), PostgreSQL with
//! `SELECT ... FOR UPDATE` on the single `audit_head` row (see `audit.rs`),
//! so registry changes are serialised and the audit chain stays linear.
//!
//! The blocking `postgres` client runs its own small Tokio runtime and panics
//! if called from inside another one: async callers must use
//! `tokio::task::spawn_blocking`.

use std::time::Duration;

use postgres::types::{ToSql, Type};

use crate::error::{RegistryError, Result};

/// How long a SQLite writer waits for another process's lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Which database a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A statement parameter.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Int(Option<i64>),
    Real(f64),
    Text(Option<String>),
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}
impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}
impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Self::Real(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}
impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Self {
        Self::Text(v.map(str::to_owned))
    }
}

/// A value read back from a row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// One result row.
#[derive(Debug, Clone)]
pub(crate) struct Row(Vec<Cell>);

fn column_error(index: usize, wanted: &str, found: &Cell) -> RegistryError {
    RegistryError::Database {
        backend: "sql",
        message: format!("column {index}: expected {wanted}, found {found:?}"),
    }
}

impl Row {
    fn cell(&self, index: usize) -> &Cell {
        self.0.get(index).unwrap_or(&Cell::Null)
    }

    /// An integer column.
    pub(crate) fn int(&self, index: usize) -> Result<i64> {
        self.opt_int(index)?
            .ok_or_else(|| column_error(index, "an integer", &Cell::Null))
    }

    /// A nullable integer column.
    pub(crate) fn opt_int(&self, index: usize) -> Result<Option<i64>> {
        match self.cell(index) {
            Cell::Null => Ok(None),
            Cell::Int(v) => Ok(Some(*v)),
            other => Err(column_error(index, "an integer", other)),
        }
    }

    /// A non-negative integer column.
    pub(crate) fn uint(&self, index: usize) -> Result<u64> {
        let v = self.int(index)?;
        u64::try_from(v).map_err(|_| column_error(index, "a non-negative integer", &Cell::Int(v)))
    }

    /// A nullable non-negative integer column.
    pub(crate) fn opt_uint(&self, index: usize) -> Result<Option<u64>> {
        match self.opt_int(index)? {
            None => Ok(None),
            Some(v) => u64::try_from(v)
                .map(Some)
                .map_err(|_| column_error(index, "a non-negative integer", &Cell::Int(v))),
        }
    }

    /// A real column (SQLite may hand back an integer-valued real as an integer).
    pub(crate) fn real(&self, index: usize) -> Result<f64> {
        match self.cell(index) {
            Cell::Real(v) => Ok(*v),
            Cell::Int(v) => Ok(*v as f64),
            other => Err(column_error(index, "a real", other)),
        }
    }

    /// A text column.
    pub(crate) fn text(&self, index: usize) -> Result<String> {
        self.opt_text(index)?
            .ok_or_else(|| column_error(index, "text", &Cell::Null))
    }

    /// A nullable text column.
    pub(crate) fn opt_text(&self, index: usize) -> Result<Option<String>> {
        match self.cell(index) {
            Cell::Null => Ok(None),
            Cell::Text(v) => Ok(Some(v.clone())),
            other => Err(column_error(index, "text", other)),
        }
    }
}

/// A database connection of either kind.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<postgres::Client>),
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Conn({:?})", self.kind())
    }
}

impl Conn {
    /// Opens (creating if needed) a SQLite database file with WAL journaling,
    /// `synchronous=FULL`, foreign keys and a busy timeout.
    pub(crate) fn open_sqlite(path: &std::path::Path) -> Result<Self> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
        // journal_mode answers with the mode in force: check it took.
        let mode = switch_to_wal(&conn)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(RegistryError::Config {
                message: format!("SQLite refused WAL journaling (mode is {mode})"),
            });
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
        Ok(Self::Sqlite(conn))
    }

    /// Connects to PostgreSQL (`postgres://user@host:port/db?options=...`;
    /// `sslmode=verify-full&sslrootcert=FILE` and the other TLS modes of
    /// `vigie_pg`).
    pub(crate) fn open_postgres(url: &str) -> Result<Self> {
        let client = vigie_pg::connect(url)?;
        Ok(Self::Postgres(Box::new(client)))
    }

    /// Which database this is.
    pub(crate) fn kind(&self) -> BackendKind {
        match self {
            Self::Sqlite(_) => BackendKind::Sqlite,
            Self::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Runs one or more statements without parameters.
    pub(crate) fn batch(&mut self, sql: &str) -> Result<()> {
        match self {
            Self::Sqlite(c) => c.execute_batch(sql)?,
            Self::Postgres(c) => c.batch_execute(sql)?,
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
            Self::Postgres(c) => Ok(c.execute(sql, &pg_params(params))?),
        }
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
                let rows = c.query(sql, &pg_params(params))?;
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

    /// `FOR UPDATE` where the dialect has it (PostgreSQL); SQLite already holds
    /// the database's single writer lock inside a write transaction.
    pub(crate) fn for_update(&self) -> &'static str {
        match self.kind() {
            BackendKind::Sqlite => "",
            BackendKind::Postgres => " FOR UPDATE",
        }
    }
}

fn sqlite_params(params: &[Param]) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value;
    params
        .iter()
        .map(|p| match p {
            Param::Int(Some(v)) => Value::Integer(*v),
            Param::Real(v) => Value::Real(*v),
            Param::Text(Some(v)) => Value::Text(v.clone()),
            Param::Int(None) | Param::Text(None) => Value::Null,
        })
        .collect()
}

fn sqlite_cell(value: rusqlite::types::ValueRef<'_>) -> Cell {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(v) => Cell::Int(v),
        ValueRef::Real(v) => Cell::Real(v),
        ValueRef::Text(v) | ValueRef::Blob(v) => {
            Cell::Text(String::from_utf8_lossy(v).into_owned())
        }
    }
}

fn pg_params(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| match p {
            Param::Int(v) => v as &(dyn ToSql + Sync),
            Param::Real(v) => v as &(dyn ToSql + Sync),
            Param::Text(v) => v as &(dyn ToSql + Sync),
        })
        .collect()
}

fn pg_row(row: &postgres::Row) -> Result<Row> {
    let mut cells = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let cell = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?.map(Cell::Int)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?
                .map(|v| Cell::Int(v.into()))
        } else if *ty == Type::FLOAT8 {
            row.try_get::<_, Option<f64>>(i)?.map(Cell::Real)
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)?
                .map(|v| Cell::Int(v.into()))
        } else if *ty == Type::TEXT || *ty == Type::VARCHAR || *ty == Type::NAME {
            row.try_get::<_, Option<String>>(i)?.map(Cell::Text)
        } else {
            return Err(RegistryError::Database {
                backend: "postgres",
                message: format!("column {} has unsupported type {ty}", column.name()),
            });
        };
        cells.push(cell.unwrap_or(Cell::Null));
    }
    Ok(Row(cells))
}

impl From<u64> for Param {
    fn from(v: u64) -> Self {
        Self::Int(Some(i64::try_from(v).unwrap_or(i64::MAX)))
    }
}
impl From<Option<u64>> for Param {
    fn from(v: Option<u64>) -> Self {
        Self::Int(v.map(|v| i64::try_from(v).unwrap_or(i64::MAX)))
    }
}

/// `PRAGMA journal_mode=WAL`, answering the mode in force. Switching a new
/// file to WAL needs an exclusive lock, and SQLite answers `SQLITE_BUSY` at
/// once, without calling the busy handler, while another process opens the
/// same file (seen in the migration race test): such an answer is retried,
/// with a growing pause, within the busy timeout. The decision log opens its
/// SQLite file the same way (`vigie-decisions`' `enable_wal`); the two
/// crates share no dependency to hold one copy.
fn switch_to_wal(conn: &rusqlite::Connection) -> Result<String> {
    let started = std::time::Instant::now();
    let mut attempt = 0u32;
    loop {
        let answer = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0));
        let busy = matches!(
            answer.as_ref().map_err(rusqlite::Error::sqlite_error_code),
            Err(Some(
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ))
        );
        if !busy || started.elapsed() >= SQLITE_BUSY_TIMEOUT {
            return Ok(answer?);
        }
        attempt += 1;
        std::thread::sleep(Duration::from_millis(u64::from(attempt.min(50)) * 2));
    }
}
