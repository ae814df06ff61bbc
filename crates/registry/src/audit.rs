//! The audit log: an append-only, hash-chained record of every registry change.
//!
//! Entry `n` stores `prev_hash` (the hash of entry `n-1`, or 64 zeros for the
//! first) and `hash = sha256(prev_hash || "\n" || canonical JSON of its own
//! fields)`. The single-row `audit_head` table holds the newest `(seq, hash)`
//! and is updated in the same transaction as each append, so editing,
//! deleting, reordering or truncating entries is detected by
//! [`crate::Registry::verify_audit_chain`]. The API has no way to change an
//! entry, and database triggers refuse UPDATE and DELETE on the table.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::{RegistryError, Result};
use crate::time::UtcMillis;

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A model was created (with its first version).
    ModelCreated,
    /// A version was registered (`after` is its number).
    VersionRegistered,
    /// An alias was set or moved (`before` -> `after`).
    AliasSet,
    /// An alias went back to its previous holder (`before` -> `after`).
    AliasRolledBack,
}

impl AuditAction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ModelCreated => "model_created",
            Self::VersionRegistered => "version_registered",
            Self::AliasSet => "alias_set",
            Self::AliasRolledBack => "alias_rolled_back",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "model_created" => Ok(Self::ModelCreated),
            "version_registered" => Ok(Self::VersionRegistered),
            "alias_set" => Ok(Self::AliasSet),
            "alias_rolled_back" => Ok(Self::AliasRolledBack),
            _ => Err(RegistryError::Invalid {
                what: "audit action",
                value: text.to_owned(),
                reason: "unknown action",
            }),
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEntry {
    /// Position in the chain (1, 2, ...).
    pub seq: i64,
    /// When.
    pub at: UtcMillis,
    /// Who (`user:<name>` or `key:<id>`).
    pub actor: String,
    /// What.
    pub action: AuditAction,
    /// The model concerned.
    pub model: String,
    /// The alias concerned, for alias changes.
    pub alias: Option<String>,
    /// The version before the change (alias changes).
    pub before: Option<u64>,
    /// The version after the change.
    pub after: Option<u64>,
    /// Extra facts (artifact hash, run id, ...) as a JSON object text.
    pub detail: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl AuditEntry {
    /// The target as text: `model` or `model@alias`.
    pub fn target(&self) -> String {
        match &self.alias {
            Some(alias) => format!("{}@{alias}", self.model),
            None => self.model.clone(),
        }
    }

    /// The hash this entry should have, from its fields and `prev_hash`.
    pub fn expected_hash(&self) -> String {
        let canonical = serde_json::json!([
            self.seq,
            self.at.0,
            self.actor,
            self.action.as_str(),
            self.model,
            self.alias,
            self.before,
            self.after,
            self.detail,
        ]);
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(canonical.to_string().as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// Which audit entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only entries about this model.
    pub model: Option<String>,
    /// Only the newest this many (still returned oldest first).
    pub limit: Option<usize>,
}

/// The result of a successful chain verification.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainReport {
    /// Entries checked.
    pub entries: u64,
    /// The newest entry's hash (the genesis hash for an empty log).
    pub head: String,
}

/// Checks a whole chain, oldest first, against the stored head.
pub(crate) fn verify_chain(entries: &[AuditEntry], head: (i64, &str)) -> Result<ChainReport> {
    let mut prev = GENESIS_HASH.to_owned();
    for (i, entry) in entries.iter().enumerate() {
        let broken = |reason: String| RegistryError::AuditChainBroken {
            seq: entry.seq,
            reason,
        };
        let expected_seq = i as i64 + 1;
        if entry.seq != expected_seq {
            return Err(broken(format!(
                "expected entry {expected_seq} here (a gap or reordering)"
            )));
        }
        if entry.prev_hash != prev {
            return Err(broken(
                "prev_hash does not match the previous entry's hash".into(),
            ));
        }
        if entry.expected_hash() != entry.hash {
            return Err(broken(
                "the content does not match its hash (edited)".into(),
            ));
        }
        prev.clone_from(&entry.hash);
    }
    let count = entries.len() as i64;
    if head.0 != count || head.1 != prev {
        return Err(RegistryError::AuditChainBroken {
            seq: count,
            reason: format!(
                "the chain head records entry {} but the log ends at entry {count} (entries removed?)",
                head.0
            ),
        });
    }
    Ok(ChainReport {
        entries: count as u64,
        head: prev,
    })
}

/// Where an alias goes back to on rollback, from its history (oldest first):
/// each `alias_set` pushes the holder it replaced, each rollback pops one, so
/// successive rollbacks walk back through earlier holders.
pub(crate) fn rollback_target(history: &[(AuditAction, Option<u64>)]) -> Option<u64> {
    let mut stack = Vec::new();
    for (action, before) in history {
        match action {
            AuditAction::AliasSet => {
                if let Some(version) = before {
                    stack.push(*version);
                }
            }
            AuditAction::AliasRolledBack => {
                stack.pop();
            }
            AuditAction::ModelCreated | AuditAction::VersionRegistered => {}
        }
    }
    stack.last().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, prev: &str) -> AuditEntry {
        let mut e = AuditEntry {
            seq,
            at: UtcMillis(1_000 + seq),
            actor: "user:alice".into(),
            action: AuditAction::AliasSet,
            model: "m".into(),
            alias: Some("champion".into()),
            before: None,
            after: Some(seq as u64),
            detail: "{}".into(),
            prev_hash: prev.into(),
            hash: String::new(),
        };
        e.hash = e.expected_hash();
        e
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for seq in 1..=n {
            let prev = out
                .last()
                .map_or(GENESIS_HASH.to_owned(), |e| e.hash.clone());
            out.push(entry(seq, &prev));
        }
        out
    }

    #[test]
    fn a_valid_chain_verifies_and_every_tampering_is_caught() {
        let good = chain(4);
        let head = good[3].hash.clone();
        assert_eq!(verify_chain(&good, (4, &head)).unwrap().entries, 4);

        let mut edited = good.clone();
        edited[1].actor = "user:mallory".into();
        assert!(matches!(
            verify_chain(&edited, (4, &head)),
            Err(RegistryError::AuditChainBroken { seq: 2, .. })
        ));

        let mut removed = good.clone();
        removed.remove(2);
        assert!(verify_chain(&removed, (4, &head)).is_err());

        let truncated = &good[..3];
        assert!(verify_chain(truncated, (4, &head)).is_err());
        assert!(verify_chain(&[], (0, GENESIS_HASH)).is_ok());
    }

    #[test]
    fn rollback_walks_back_through_earlier_holders() {
        use AuditAction::{AliasRolledBack as R, AliasSet as S};
        assert_eq!(rollback_target(&[(S, None)]), None);
        let h = [(S, None), (S, Some(1)), (S, Some(2))]; // 1 -> 2 -> 3
        assert_eq!(rollback_target(&h), Some(2));
        let h2 = [&h[..], &[(R, Some(3))]].concat(); // now 2
        assert_eq!(rollback_target(&h2), Some(1));
        let h3 = [&h2[..], &[(R, Some(2))]].concat(); // now 1
        assert_eq!(rollback_target(&h3), None);
    }
}
