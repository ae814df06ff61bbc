//! [`RedisStateStore`]: per-card feature state in Redis, shared by several
//! scorer processes, behind the same [`StateStore`] trait as the in-memory
//! store.
//!
//! Invariants:
//! - one key per card, `<prefix>:state:v2:<hex of the token digest>`, whose
//!   value is a write stamp then `vigie_features::codec::encode(state)`
//!   (`value.rs`);
//! - `with_state` is atomic per card across processes (optimistic, see
//!   [`Atomicity`]): a lost race re-reads the card and re-runs `f` on the
//!   fresh state, so no update is ever lost or applied to a stale state;
//! - every operation first checks the epoch marker this store adopted: a
//!   flushed or evicted Redis is a [`StreamError::StateFlushed`], never a
//!   silent fallback to empty histories.

use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::{Connection, Script};
use vigie_features::{CardState, FeatureError, StateStore, codec};
use vigie_types::CardToken;

use super::atomic::{Attempt, cas_script};
use super::batch::store_many_script;
use super::config::{Atomicity, KeyLayout, RedisConfig};
use super::pool::Pool;
use super::value::{self, Stamper, Stored};
use crate::error::{Result, StreamError};

/// Cards written per pipeline when warming the store up.
const WARM_BATCH: usize = 512;

/// Card states in Redis. See the module documentation for the invariants.
pub struct RedisStateStore {
    pool: Pool,
    keys: KeyLayout,
    atomicity: Atomicity,
    max_attempts: u32,
    epoch: RwLock<Option<String>>,
    cas: Script,
    store_many: Script,
    stamper: Stamper,
    races_lost: AtomicU64,
}

impl std::fmt::Debug for RedisStateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStateStore")
            .field("server", &self.pool.server())
            .field("keys", &self.keys)
            .field("atomicity", &self.atomicity)
            .finish_non_exhaustive()
    }
}

/// What a warm-up loaded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WarmReport {
    /// Cards written.
    pub cards: u64,
    /// The epoch in force afterwards (adopted by this store).
    pub epoch: String,
}

/// A fresh epoch id: the Unix time and 64 random bits, so an operator can
/// tell when the states were (re)loaded.
fn new_epoch() -> Result<String> {
    let random = getrandom::u64().map_err(|e| StreamError::Config {
        reason: format!("no randomness from the operating system: {e}"),
    })?;
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(format!("{secs}-{random:016x}"))
}

impl RedisStateStore {
    /// Connects (failing within the connect timeout when Redis is
    /// unreachable) and adopts the current epoch marker if there is one.
    /// Without a marker, state operations fail with
    /// [`StreamError::StateNotInitialised`] until [`Self::initialise`] or a
    /// warm-up. Logs a warning when Redis may evict keys.
    pub fn connect(config: &RedisConfig) -> Result<Self> {
        let pool = Pool::connect(config)?;
        let keys = KeyLayout::new(&config.key_prefix);
        let store = Self {
            pool,
            keys,
            atomicity: config.atomicity,
            max_attempts: config.max_attempts,
            epoch: RwLock::new(None),
            cas: cas_script(),
            store_many: store_many_script(),
            stamper: Stamper::new()?,
            races_lost: AtomicU64::new(0),
        };
        *store.epoch.write().map_err(|_| poisoned())? = store.read_epoch()?;
        for warning in store.server_warnings() {
            tracing::warn!(server = store.pool.server(), "{warning}");
        }
        Ok(store)
    }

    /// The key layout.
    pub fn keys(&self) -> &KeyLayout {
        &self.keys
    }

    /// The epoch this store adopted, if any.
    pub fn epoch(&self) -> Option<String> {
        self.epoch.read().ok().and_then(|e| e.clone())
    }

    /// Optimistic races lost so far (each one re-ran an update).
    pub fn races_lost(&self) -> u64 {
        self.races_lost.load(Ordering::Relaxed)
    }

    /// Starts an empty store: writes a new epoch marker unless one exists,
    /// and adopts the marker in force. Use it for a new deployment, or when
    /// scoring on with empty histories after a loss is an accepted choice.
    pub fn initialise(&self) -> Result<String> {
        let fresh = new_epoch()?;
        let epoch_key = self.keys.epoch();
        let current: Option<String> = self.pool.run(|con| {
            redis::pipe()
                .cmd("SET")
                .arg(&epoch_key)
                .arg(&fresh)
                .arg("NX")
                .ignore()
                .cmd("GET")
                .arg(&epoch_key)
                .query::<(Option<String>,)>(con)
                .map(|(e,)| e)
        })?;
        let current =
            current.ok_or_else(|| self.flushed("missing right after it was set".into()))?;
        *self.epoch.write().map_err(|_| poisoned())? = Some(current.clone());
        Ok(current)
    }

    /// Adopts the epoch marker now in Redis (after another process rebuilt
    /// the states).
    pub fn adopt_epoch(&self) -> Result<String> {
        let current = self.read_epoch()?.ok_or_else(|| self.not_initialised())?;
        *self.epoch.write().map_err(|_| poisoned())? = Some(current.clone());
        Ok(current)
    }

    /// The typed health check: `Ok` when the marker this store adopted is
    /// still in Redis, else why not.
    pub fn check(&self) -> Result<()> {
        let ours = self.our_epoch()?;
        let found = self.read_epoch()?;
        self.expect_epoch(&ours, found)
    }

    /// Loads states in pipelined batches of 512 `SET`s, then writes a new
    /// epoch marker if none exists and adopts the one in force. Existing
    /// keys are overwritten: warm up while no worker scores (after a loss
    /// they are all degraded anyway).
    pub fn warm_from(
        &self,
        states: impl IntoIterator<Item = (CardToken, CardState)>,
    ) -> Result<WarmReport> {
        let mut batch: Vec<(String, Vec<u8>)> = Vec::with_capacity(WARM_BATCH);
        let mut cards = 0u64;
        for (card, state) in states {
            batch.push((self.keys.card(&card), self.stamper.value(&state)));
            if batch.len() == WARM_BATCH {
                cards += self.write_batch(&mut batch)?;
            }
        }
        cards += self.write_batch(&mut batch)?;
        let epoch = self.initialise()?;
        Ok(WarmReport { cards, epoch })
    }

    /// Loads a snapshot written by
    /// [`vigie_features::MemoryStateStore::save_snapshot`] (every state is
    /// decoded and checked before it is written).
    pub fn warm_from_snapshot(&self, path: &Path) -> Result<WarmReport> {
        let states = SnapshotReader::open(path)?;
        let mut failure = None;
        let report = self.warm_from(states.map_while(|item| match item {
            Ok(pair) => Some(pair),
            Err(e) => {
                failure = Some(e);
                None
            }
        }))?;
        match failure {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    fn write_batch(&self, batch: &mut Vec<(String, Vec<u8>)>) -> Result<u64> {
        if batch.is_empty() {
            return Ok(0);
        }
        let mut pipe = redis::pipe();
        for (key, value) in batch.iter() {
            pipe.cmd("SET").arg(key).arg(value).ignore();
        }
        self.pool.run(|con| pipe.query::<()>(con))?;
        let n = batch.len() as u64;
        batch.clear();
        Ok(n)
    }

    /// Deletes every key of this store (card states and the marker): a
    /// reset, and how tests clean up. Returns the number of keys deleted.
    pub fn purge_all(&self) -> Result<u64> {
        self.pool.delete_matching(&self.keys.scan_pattern())
    }

    /// Settings of the server that put the states at risk, as sentences:
    /// an eviction policy other than `noeviction` can drop card states (and
    /// the marker) under memory pressure. Empty when all is well; says so
    /// when `CONFIG GET` is not allowed (managed services).
    pub fn server_warnings(&self) -> Vec<String> {
        let policy = self.pool.run(|con| {
            redis::cmd("CONFIG")
                .arg("GET")
                .arg("maxmemory-policy")
                .query::<Vec<String>>(con)
        });
        match policy.as_deref() {
            Ok([_, policy]) if policy == "noeviction" => Vec::new(),
            Ok([_, policy]) => vec![format!(
                "maxmemory-policy is {policy}: Redis may evict card states under memory \
                 pressure; use noeviction (a full Redis then refuses writes, which the \
                 scorer reports, instead of silently forgetting histories)"
            )],
            _ => vec![
                "cannot read maxmemory-policy (CONFIG GET refused): make sure it is \
                 noeviction, or card states may be evicted silently"
                    .into(),
            ],
        }
    }

    // --- epoch bookkeeping -------------------------------------------------

    pub(crate) fn read_epoch(&self) -> Result<Option<String>> {
        let key = self.keys.epoch();
        self.pool
            .run(|con| redis::cmd("GET").arg(&key).query::<Option<String>>(con))
    }

    pub(crate) fn our_epoch(&self) -> Result<String> {
        self.epoch
            .read()
            .map_err(|_| poisoned())?
            .clone()
            .ok_or_else(|| self.not_initialised())
    }

    /// Checks that `found` (the marker just read) is `ours`.
    pub(crate) fn expect_epoch(&self, ours: &str, found: Option<String>) -> Result<()> {
        match found {
            Some(found) if found == ours => Ok(()),
            Some(found) => Err(self.flushed(format!("changed from {ours} to {found}"))),
            None => Err(self.flushed(format!("{ours} is missing"))),
        }
    }

    pub(crate) fn flushed(&self, found: String) -> StreamError {
        StreamError::StateFlushed {
            server: self.pool.server().to_string(),
            key: self.keys.epoch(),
            found,
        }
    }

    fn not_initialised(&self) -> StreamError {
        StreamError::StateNotInitialised {
            server: self.pool.server().to_string(),
            key: self.keys.epoch(),
        }
    }

    pub(crate) fn redis_error(&self, source: redis::RedisError) -> StreamError {
        self.pool.error(source)
    }

    pub(crate) fn cas(&self) -> &Script {
        &self.cas
    }

    pub(crate) fn store_many_script(&self) -> &Script {
        &self.store_many
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    pub(crate) fn stamper(&self) -> &Stamper {
        &self.stamper
    }

    // --- the state operations, typed -------------------------------------

    /// [`StateStore::with_state`] with the typed error.
    pub fn update(&self, card: &CardToken, f: &mut dyn FnMut(&mut CardState)) -> Result<()> {
        let epoch = self.our_epoch()?;
        let key = self.keys.card(card);
        for attempt in 1..=self.max_attempts {
            let outcome = self
                .pool
                .session(|con: &mut Connection| match self.atomicity {
                    Atomicity::Watch => self.watch_attempt(con, &key, &epoch, f),
                    Atomicity::LuaCompareAndSet => self.cas_attempt(con, &key, &epoch, f),
                })?;
            match outcome {
                Attempt::Committed => return Ok(()),
                Attempt::Raced => {
                    self.races_lost.fetch_add(1, Ordering::Relaxed);
                    back_off(attempt);
                }
            }
        }
        Err(StreamError::Contention {
            attempts: self.max_attempts,
        })
    }

    /// [`StateStore::get`] with the typed error.
    pub fn load(&self, card: &CardToken) -> Result<Option<CardState>> {
        let epoch = self.our_epoch()?;
        let (epoch_key, key) = (self.keys.epoch(), self.keys.card(card));
        let (found, stored): (Option<String>, Option<Vec<u8>>) = self.pool.run(|con| {
            redis::pipe()
                .cmd("GET")
                .arg(&epoch_key)
                .cmd("GET")
                .arg(&key)
                .query(con)
        })?;
        self.expect_epoch(&epoch, found)?;
        value::decode(stored)?
            .as_ref()
            .map(Stored::state)
            .transpose()
    }

    /// [`StateStore::remove`] with the typed error: `DEL` of the card's key
    /// (GDPR erasure). Snapshots and the transaction stream are erased
    /// separately, or a rebuild would bring the card back.
    pub fn erase(&self, card: &CardToken) -> Result<bool> {
        let epoch = self.our_epoch()?;
        let (epoch_key, key) = (self.keys.epoch(), self.keys.card(card));
        let (found, deleted): (Option<String>, u64) = self.pool.run(|con| {
            redis::pipe()
                .cmd("GET")
                .arg(&epoch_key)
                .cmd("DEL")
                .arg(&key)
                .query(con)
        })?;
        self.expect_epoch(&epoch, found)?;
        Ok(deleted > 0)
    }

    /// [`StateStore::card_count`] with the typed error: a `SCAN` over the
    /// store's keys, O(cards) (an admin operation, not for the hot path).
    pub fn count_cards(&self) -> Result<u64> {
        self.check()?;
        let pattern = self.keys.scan_pattern();
        self.pool.run(|con| {
            let mut cursor = 0u64;
            let mut cards = 0u64;
            loop {
                let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query(con)?;
                cards += keys.iter().filter(|k| self.keys.is_card_key(k)).count() as u64;
                if next == 0 {
                    return Ok(cards);
                }
                cursor = next;
            }
        })
    }
}

/// A short, growing, jittered pause after a lost race, so writers that keep
/// colliding on one card fall out of step.
fn back_off(attempt: u32) {
    let ceiling = 20 * u64::from(attempt.min(50));
    let jitter = getrandom::u64().map_or(ceiling / 2, |r| r % (ceiling + 1));
    std::thread::sleep(Duration::from_micros(jitter));
}

fn poisoned() -> StreamError {
    StreamError::Config {
        reason: "a thread panicked while holding the epoch lock".into(),
    }
}

impl StateStore for RedisStateStore {
    fn with_state(
        &self,
        card: &CardToken,
        f: &mut dyn FnMut(&mut CardState),
    ) -> vigie_features::Result<()> {
        Ok(self.update(card, f)?)
    }

    fn get(&self, card: &CardToken) -> vigie_features::Result<Option<CardState>> {
        Ok(self.load(card)?)
    }

    fn remove(&self, card: &CardToken) -> vigie_features::Result<bool> {
        Ok(self.erase(card)?)
    }

    fn card_count(&self) -> vigie_features::Result<u64> {
        Ok(self.count_cards()?)
    }
}

/// Reads the snapshot format of `MemoryStateStore::save_snapshot`: a
/// 12-byte magic, then per card the token's text form, a little-endian
/// `u32` length and the codec bytes.
struct SnapshotReader {
    path: std::path::PathBuf,
    input: BufReader<std::fs::File>,
}

const SNAPSHOT_MAGIC: &[u8; 12] = b"VIGIESTATE1\n";

/// Larger than any valid encoded state (about 21 KiB at most).
const MAX_STATE_BYTES: usize = 1 << 20;

impl SnapshotReader {
    fn open(path: &Path) -> Result<Self> {
        let io = |source| StreamError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut input = BufReader::new(std::fs::File::open(path).map_err(io)?);
        let mut magic = [0u8; 12];
        input.read_exact(&mut magic).map_err(io)?;
        if &magic != SNAPSHOT_MAGIC {
            return Err(FeatureError::StateDecode {
                reason: format!("{} is not a Vigie state snapshot", path.display()),
            }
            .into());
        }
        Ok(Self {
            path: path.to_path_buf(),
            input,
        })
    }

    fn next_state(&mut self) -> Result<Option<(CardToken, CardState)>> {
        let io = |source| StreamError::Io {
            path: self.path.clone(),
            source,
        };
        let mut token = [0u8; CardToken::TEXT_LEN];
        match self.input.read_exact(&mut token) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(io(e)),
        }
        let card = CardToken::parse(&token).map_err(|e| FeatureError::StateDecode {
            reason: e.to_string(),
        })?;
        let mut len = [0u8; 4];
        self.input.read_exact(&mut len).map_err(io)?;
        let len = u32::from_le_bytes(len) as usize;
        if len > MAX_STATE_BYTES {
            return Err(FeatureError::StateDecode {
                reason: format!("a state of {len} bytes in {}", self.path.display()),
            }
            .into());
        }
        let mut bytes = vec![0u8; len];
        self.input.read_exact(&mut bytes).map_err(io)?;
        Ok(Some((card, codec::decode(&bytes)?)))
    }
}

impl Iterator for SnapshotReader {
    type Item = Result<(CardToken, CardState)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_state().transpose()
    }
}
