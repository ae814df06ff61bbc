//! GDPR erasure of a card's decisions.
//!
//! Erasure DELETES (rather than pseudonymises) the card's decisions, their
//! current labels and their label history: the logged record holds the
//! feature vector, amounts and times, which could re-identify the
//! cardholder, so nothing of it is kept. An `erasures` row records that an
//! erasure happened, when, by whom and how many decisions it removed; it
//! stores the SHA-256 of the token's text form, never the token itself.
//! (The token is already a keyed HMAC of the card number; hashing it again
//! lets an auditor holding a token check it was erased without the audit
//! table listing tokens.)
//!
//! On SQLite the database runs with `secure_delete` (deleted content is
//! overwritten with zeros) and an erasure ends with a WAL checkpoint that
//! truncates the log file, so the erased rows leave the files on disk too
//! (unless another process holds an old read snapshot at that moment: the
//! next checkpoint finishes the job). On PostgreSQL deleted tuples stay in
//! the table's pages until (auto)vacuum reclaims them.
//!
//! Decisions still queued in a [`crate::BatchWriter`] are not in the
//! database yet: flush the writer before erasing.

use sha2::{Digest, Sha256};
use vigie_types::CardToken;

use super::DecisionLog;
use super::rows::check_actor;
use crate::error::Result;
use crate::store::conn::BackendKind;
use crate::time::UnixMillis;

const ERASE_STATEMENTS: [&str; 2] = [
    "DELETE FROM feedback_history WHERE trans_num IN
       (SELECT trans_num FROM decisions WHERE card_token = $1)",
    "DELETE FROM feedback WHERE trans_num IN
       (SELECT trans_num FROM decisions WHERE card_token = $1)",
];

impl DecisionLog {
    /// Erases every decision (and label) of `card`, in one transaction with
    /// its `erasures` audit row; returns how many decisions were erased.
    pub fn erase_card(&self, card: &CardToken, actor: &str) -> Result<u64> {
        check_actor(actor)?;
        let token = card.to_string();
        let token_hash = hex::encode(Sha256::digest(token.as_bytes()));
        let erased = self.writer().write_tx(|c| {
            for sql in ERASE_STATEMENTS {
                c.execute(sql, &[token.as_str().into()])?;
            }
            let erased = c.execute(
                "DELETE FROM decisions WHERE card_token = $1",
                &[token.as_str().into()],
            )?;
            c.execute(
                "INSERT INTO erasures (card_token_sha256, erased_at, rows_affected, actor)
                 VALUES ($1, $2, $3, $4)",
                &[
                    token_hash.as_str().into(),
                    UnixMillis::now().0.into(),
                    erased.into(),
                    actor.into(),
                ],
            )?;
            Ok(erased)
        })?;
        if self.shared.backend == BackendKind::Sqlite {
            let busy = self
                .writer()
                .query_opt("PRAGMA wal_checkpoint(TRUNCATE)", &[])?
                .map(|row| row.int(0))
                .transpose()?;
            if busy != Some(0) {
                tracing::warn!(
                    "WAL checkpoint after erasure was blocked by a reader; the next checkpoint completes it"
                );
            }
        }
        Ok(erased)
    }

    /// How many erasures were recorded for `card` (by its hash).
    pub fn erasures_of(&self, card: &CardToken) -> Result<u64> {
        let token_hash = hex::encode(Sha256::digest(card.to_string().as_bytes()));
        let row = self.reader().query_opt(
            "SELECT COUNT(*) FROM erasures WHERE card_token_sha256 = $1",
            &[token_hash.into()],
        )?;
        row.map_or(Ok(0), |r| r.uint(0))
    }
}
