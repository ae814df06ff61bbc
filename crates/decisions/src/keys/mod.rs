//! API keys: [`KeyStore`] creates, verifies, lists and revokes keys kept in
//! the decision database (`api_keys`), with a [`Role`] each.
//!
//! Verified keys are cached in memory for `cache_ttl` so the request path
//! does not query the database on every call: a revocation made through
//! this `KeyStore` takes effect at once, one made by another process within
//! `cache_ttl` (30 seconds by default). The cache holds the salted hash,
//! never the key, and every request still compares hashes.

mod role;
mod secret;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

pub use self::role::Role;
pub use self::secret::ApiKeySecret;
use self::secret::{constant_time_eq, generate, key_id, random_bytes, salted_hash};
use crate::error::{DecisionError, Result};
use crate::log::DecisionLog;
use crate::log::check_text;
use crate::store::values::Row;
use crate::time::UnixMillis;

/// An API key's public description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyInfo {
    /// The key's id (the 16 hex digits after `vk_`).
    pub id: String,
    /// A name for people (`checkout-service`, `alice`).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// When it was created.
    pub created_at: UnixMillis,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixMillis>,
}

/// A key as read from the database, kept in the cache.
#[derive(Debug, Clone)]
struct StoredKey {
    info: ApiKeyInfo,
    salt: Vec<u8>,
    hash: [u8; 32],
    fetched: Instant,
}

/// The API key store. Cheap to clone (clones share the cache).
#[derive(Debug, Clone)]
pub struct KeyStore {
    log: DecisionLog,
    cache: Arc<Mutex<HashMap<String, StoredKey>>>,
    cache_ttl: Duration,
}

const KEY_COLUMNS: &str = "id, name, role, created_at, revoked_at, salt, secret_hash";

impl KeyStore {
    /// How long a verified key is trusted without asking the database.
    pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(30);

    /// A key store on the log's database.
    pub fn new(log: &DecisionLog, cache_ttl: Duration) -> Self {
        Self {
            log: log.clone(),
            cache: Arc::new(Mutex::new(HashMap::new())),
            cache_ttl,
        }
    }

    /// Creates a key; the returned secret is the only copy of the key.
    pub fn create(&self, name: &str, role: Role) -> Result<(ApiKeyInfo, ApiKeySecret)> {
        check_text("key name", name, 64, |c| !c.is_control())?;
        let (id, key) = generate()?;
        let salt = random_bytes::<16>()?;
        let hash = salted_hash(&salt, key.expose());
        let info = ApiKeyInfo {
            id,
            name: name.to_owned(),
            role,
            created_at: UnixMillis::now(),
            revoked_at: None,
        };
        self.log.writer().execute(
            "INSERT INTO api_keys (id, name, role, salt, secret_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                info.id.as_str().into(),
                info.name.as_str().into(),
                role.as_str().into(),
                hex::encode(salt).into(),
                hex::encode(hash).into(),
                info.created_at.0.into(),
            ],
        )?;
        Ok((info, key))
    }

    /// The key's description when `presented` is a valid, unrevoked key;
    /// `None` for a malformed, unknown, wrong or revoked key.
    pub fn verify(&self, presented: &str) -> Result<Option<ApiKeyInfo>> {
        let Some(id) = key_id(presented) else {
            return Ok(None);
        };
        let cached = self
            .cache()
            .get(id)
            .filter(|k| k.fetched.elapsed() < self.cache_ttl)
            .cloned();
        let stored = match cached {
            Some(stored) => stored,
            None => match self.fetch(id)? {
                Some(stored) => {
                    self.cache().insert(id.to_owned(), stored.clone());
                    stored
                }
                None => return Ok(None),
            },
        };
        let matches = constant_time_eq(&salted_hash(&stored.salt, presented), &stored.hash);
        Ok((matches && stored.info.revoked_at.is_none()).then_some(stored.info))
    }

    /// Revokes a key; returns whether it was active. Takes effect at once in
    /// this store, within the cache TTL in other processes.
    pub fn revoke(&self, id: &str) -> Result<bool> {
        let changed = self.log.writer().execute(
            "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            &[UnixMillis::now().0.into(), id.into()],
        )?;
        self.cache().remove(id);
        if changed == 0 && self.fetch(id)?.is_none() {
            return Err(DecisionError::KeyNotFound { id: id.to_owned() });
        }
        Ok(changed > 0)
    }

    /// Every key, oldest first (revoked ones included).
    pub fn list(&self) -> Result<Vec<ApiKeyInfo>> {
        let rows = self.log.reader().query(
            &format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id"),
            &[],
        )?;
        rows.iter().map(|r| stored_key(r).map(|k| k.info)).collect()
    }

    fn fetch(&self, id: &str) -> Result<Option<StoredKey>> {
        let row = self.log.reader().query_opt(
            &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1"),
            &[id.into()],
        )?;
        row.as_ref().map(stored_key).transpose()
    }

    fn cache(&self) -> MutexGuard<'_, HashMap<String, StoredKey>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn stored_key(row: &Row) -> Result<StoredKey> {
    let role_text = row.text(2)?;
    let role = Role::parse(&role_text)
        .ok_or_else(|| DecisionError::corrupt(format!("role {role_text:?}")))?;
    let salt = hex::decode(row.text(5)?).map_err(|_| DecisionError::corrupt("key salt"))?;
    let mut hash = [0u8; 32];
    hex::decode_to_slice(row.text(6)?, &mut hash)
        .map_err(|_| DecisionError::corrupt("key hash"))?;
    Ok(StoredKey {
        info: ApiKeyInfo {
            id: row.text(0)?,
            name: row.text(1)?,
            role,
            created_at: UnixMillis(row.int(3)?),
            revoked_at: row.opt_int(4)?.map(UnixMillis),
        },
        salt,
        hash,
        fetched: Instant::now(),
    })
}
