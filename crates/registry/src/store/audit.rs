//! Audit log queries: lock the chain head, append, list, read for verification.

use super::conn::{Conn, Row};
use crate::audit::{AuditAction, AuditEntry, AuditFilter, ChainReport, verify_chain};
use crate::error::Result;
use crate::names::Actor;
use crate::time::UtcMillis;

/// The newest entry's position and hash, locked for this write transaction.
pub(crate) struct ChainHead {
    seq: i64,
    hash: String,
}

/// A change to record.
pub(crate) struct NewEntry<'a> {
    pub actor: &'a Actor,
    pub action: AuditAction,
    pub model: &'a str,
    pub alias: Option<&'a str>,
    pub before: Option<u64>,
    pub after: Option<u64>,
    pub detail: serde_json::Value,
}

/// Reads the chain head, locking it (PostgreSQL `FOR UPDATE`; SQLite already
/// holds the writer lock). Every audited write calls this first, which
/// serialises registry changes across processes.
pub(crate) fn lock_head(c: &mut Conn) -> Result<ChainHead> {
    let sql = format!(
        "SELECT seq, hash FROM audit_head WHERE id = 1{}",
        c.for_update()
    );
    let row = c
        .query_opt(&sql, &[])?
        .ok_or_else(|| crate::RegistryError::Database {
            backend: "sql",
            message: "audit_head row is missing".into(),
        })?;
    Ok(ChainHead {
        seq: row.int(0)?,
        hash: row.text(1)?,
    })
}

/// Appends one entry after `head` and moves the head.
pub(crate) fn append(c: &mut Conn, head: &mut ChainHead, new: NewEntry<'_>) -> Result<AuditEntry> {
    let mut entry = AuditEntry {
        seq: head.seq + 1,
        at: UtcMillis::now(),
        actor: new.actor.as_str().to_owned(),
        action: new.action,
        model: new.model.to_owned(),
        alias: new.alias.map(str::to_owned),
        before: new.before,
        after: new.after,
        detail: new.detail.to_string(),
        prev_hash: head.hash.clone(),
        hash: String::new(),
    };
    entry.hash = entry.expected_hash();
    c.execute(
        "INSERT INTO audit_log (seq, at, actor, action, model, alias, before_version, after_version, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            entry.seq.into(),
            entry.at.0.into(),
            entry.actor.as_str().into(),
            entry.action.as_str().into(),
            entry.model.as_str().into(),
            entry.alias.as_deref().into(),
            entry.before.into(),
            entry.after.into(),
            entry.detail.as_str().into(),
            entry.prev_hash.as_str().into(),
            entry.hash.as_str().into(),
        ],
    )?;
    c.execute(
        "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
        &[entry.seq.into(), entry.hash.as_str().into()],
    )?;
    head.seq = entry.seq;
    head.hash.clone_from(&entry.hash);
    Ok(entry)
}

const COLUMNS: &str =
    "seq, at, actor, action, model, alias, before_version, after_version, detail, prev_hash, hash";

fn entry_from_row(row: &Row) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: row.int(0)?,
        at: UtcMillis(row.int(1)?),
        actor: row.text(2)?,
        action: AuditAction::parse(&row.text(3)?)?,
        model: row.text(4)?,
        alias: row.opt_text(5)?,
        before: row.opt_uint(6)?,
        after: row.opt_uint(7)?,
        detail: row.text(8)?,
        prev_hash: row.text(9)?,
        hash: row.text(10)?,
    })
}

/// Entries matching `filter`, oldest first.
pub(crate) fn list(c: &mut Conn, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
    let limit = filter
        .limit
        .map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE (CAST($1 AS TEXT) IS NULL OR model = $1) ORDER BY seq DESC LIMIT $2"
    );
    let rows = c.query(&sql, &[filter.model.as_deref().into(), limit.into()])?;
    let mut entries = rows
        .iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>>>()?;
    entries.reverse();
    Ok(entries)
}

/// The history of one alias (oldest first), for rollback.
pub(crate) fn alias_history(
    c: &mut Conn,
    model: &str,
    alias: &str,
) -> Result<Vec<(AuditAction, Option<u64>)>> {
    let rows = c.query(
        "SELECT action, before_version FROM audit_log
         WHERE model = $1 AND alias = $2 AND action IN ('alias_set', 'alias_rolled_back')
         ORDER BY seq",
        &[model.into(), alias.into()],
    )?;
    rows.iter()
        .map(|row| Ok((AuditAction::parse(&row.text(0)?)?, row.opt_uint(1)?)))
        .collect()
}

/// Reads the head, then every entry up to it, and verifies the chain.
pub(crate) fn verify(c: &mut Conn) -> Result<ChainReport> {
    let head = c.query_opt("SELECT seq, hash FROM audit_head WHERE id = 1", &[])?;
    let (head_seq, head_hash) = match head {
        Some(row) => (row.int(0)?, row.text(1)?),
        None => {
            return Err(crate::RegistryError::AuditChainBroken {
                seq: 0,
                reason: "the chain head row is missing".into(),
            });
        }
    };
    let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq <= $1 ORDER BY seq");
    let rows = c.query(&sql, &[head_seq.into()])?;
    let entries = rows
        .iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>>>()?;
    verify_chain(&entries, (head_seq, &head_hash))
}
