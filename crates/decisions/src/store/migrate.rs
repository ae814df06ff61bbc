//! Schema migrations: SQL files in `migrations/{sqlite,postgres}/NNNN_name.sql`,
//! embedded in the binary and applied in order.
//!
//! Each pending migration runs in one transaction together with its row in
//! `decisions_schema_migrations` (its own table: the registry may share the
//! PostgreSQL schema and keeps its own `schema_migrations`), so a migration is
//! either fully applied and recorded or not at all. Applying twice is a no-op.
//! Two processes migrating at once are serialised: SQLite by `BEGIN
//! IMMEDIATE`, PostgreSQL by a transaction-scoped advisory lock keyed on the
//! current schema.

use super::conn::{BackendKind, Conn};
use crate::error::{DecisionError, Result};
use crate::time::UnixMillis;

/// One migration: its number, name and the SQL of each dialect.
struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// Every migration, in order. Append only: never edit a released one.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "decisions",
        sqlite: include_str!("../../migrations/sqlite/0001_decisions.sql"),
        postgres: include_str!("../../migrations/postgres/0001_decisions.sql"),
    },
    Migration {
        version: 2,
        name: "bytewise_ids",
        sqlite: include_str!("../../migrations/sqlite/0002_bytewise_ids.sql"),
        postgres: include_str!("../../migrations/postgres/0002_bytewise_ids.sql"),
    },
    Migration {
        version: 3,
        name: "card_index",
        sqlite: include_str!("../../migrations/sqlite/0003_card_index.sql"),
        postgres: include_str!("../../migrations/postgres/0003_card_index.sql"),
    },
];

/// The newest schema version this build knows: the last migration's.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS decisions_schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// Brings the schema up to [`SCHEMA_VERSION`]; returns the migrations applied now.
pub(crate) fn migrate(conn: &mut Conn) -> Result<Vec<i64>> {
    let mut applied_now = Vec::new();
    for migration in MIGRATIONS {
        let applied = conn.write_tx(|c| {
            if c.kind() == BackendKind::Postgres {
                c.batch(
                    "SELECT pg_advisory_xact_lock(hashtext('vigie_decisions_migrate:' || current_schema()))",
                )?;
            }
            c.batch(CREATE_TABLE)?;
            let done = c.query_opt(
                "SELECT version FROM decisions_schema_migrations WHERE version = $1",
                &[migration.version.into()],
            )?;
            if done.is_some() {
                return Ok(false);
            }
            let sql = match c.kind() {
                BackendKind::Sqlite => migration.sqlite,
                BackendKind::Postgres => migration.postgres,
            };
            c.batch(sql).map_err(|e| DecisionError::Migration {
                version: migration.version,
                name: migration.name,
                message: e.to_string(),
            })?;
            c.execute(
                "INSERT INTO decisions_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[
                    migration.version.into(),
                    migration.name.into(),
                    UnixMillis::now().0.into(),
                ],
            )?;
            Ok(true)
        })?;
        if applied {
            tracing::info!(
                version = migration.version,
                name = migration.name,
                "applied decision log migration"
            );
            applied_now.push(migration.version);
        }
    }
    let newest = conn
        .query_opt("SELECT MAX(version) FROM decisions_schema_migrations", &[])?
        .and_then(|row| row.opt_int(0).ok().flatten())
        .unwrap_or(0);
    if newest > SCHEMA_VERSION {
        return Err(DecisionError::Config {
            message: format!(
                "the decision log schema is version {newest}, newer than this build ({SCHEMA_VERSION}): upgrade Vigie"
            ),
        });
    }
    Ok(applied_now)
}
