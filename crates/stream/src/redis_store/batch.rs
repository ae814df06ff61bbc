//! Many cards in one round trip, for the stream worker: [`RedisStateStore::load_many`]
//! reads a batch's card states (and checks the epoch) in one pipeline that
//! `WATCH`es them; [`RedisStateStore::store_many`] writes the new states in
//! one `MULTI`/`EXEC` on that connection, which Redis refuses if anyone
//! wrote a card (or the epoch marker) since. Only then does a Lua script
//! set each card only if its stored value is still the one read
//! (compare-and-set of the value's write stamp, per card: `value.rs`) and
//! only if the epoch is ours.
//!
//! A card whose value changed in between (another worker overlapping during
//! a partition hand-over) is not written: `store_many` returns it, and the
//! caller re-applies its transactions with [`RedisStateStore::update`]
//! (idempotent per `trans_num`), so no update is lost or doubled.

use redis::{Connection, Script, Value};
use vigie_features::CardState;
use vigie_types::CardToken;

use super::store::RedisStateStore;
use super::value::{self, Stored};
use crate::error::{Result, StreamError};

/// Sets `KEYS[i+1]` to `ARGV[2i+1]` when its current stamp (its first 8
/// bytes) equals `ARGV[2i]` ('' = absent: `GETRANGE` of a missing key is
/// '', and a stored value is never that short), for every card, after
/// checking the epoch (`KEYS[1]` must equal `ARGV[1]`). Returns `{-1}` when
/// the epoch is not ours, else `{1, i...}` with the 1-based indices of the
/// cards that changed meanwhile.
const STORE_MANY_LUA: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1} end
local out = {1}
for i = 2, #KEYS do
  if redis.call('GETRANGE', KEYS[i], 0, 7) == ARGV[2 * i - 2] then
    redis.call('SET', KEYS[i], ARGV[2 * i - 1])
  else
    out[#out + 1] = i - 1
  end
end
return out
";

/// A card's state as read by [`RedisStateStore::load_many`]; change
/// `state`, then hand it back to [`RedisStateStore::store_many`].
#[derive(Debug, Clone)]
pub struct LoadedState {
    /// The card.
    pub card: CardToken,
    /// Its state (default for a card never seen).
    pub state: CardState,
    /// Its key (computed once, at load).
    key: String,
    /// The stored value: its stamp is the compare-and-set's expected one,
    /// its encoded state tells a card whose state did not change (not
    /// written).
    stored: Option<Stored>,
}

impl LoadedState {
    /// Whether the card had a stored state.
    pub fn existed(&self) -> bool {
        self.stored.is_some()
    }
}

/// Builds the compare-and-set script once per store.
pub(crate) fn store_many_script() -> Script {
    Script::new(STORE_MANY_LUA)
}

/// The states of a batch's cards as [`RedisStateStore::load_many`] read
/// them (a slice of [`LoadedState`]: change their `state`s), holding the
/// connection whose `WATCH` covers the cards and the epoch marker until
/// [`RedisStateStore::store_many`] writes them. Dropped without storing, it
/// closes that connection (and its watch) instead of returning it to the
/// pool.
pub struct LoadedStates {
    states: Vec<LoadedState>,
    watching: Option<Connection>,
}

impl std::fmt::Debug for LoadedStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedStates")
            .field("states", &self.states)
            .field("watching", &self.watching.is_some())
            .finish()
    }
}

impl std::ops::Deref for LoadedStates {
    type Target = [LoadedState];
    fn deref(&self) -> &[LoadedState] {
        &self.states
    }
}

impl std::ops::DerefMut for LoadedStates {
    fn deref_mut(&mut self) -> &mut [LoadedState] {
        &mut self.states
    }
}

impl RedisStateStore {
    /// Reads the states of `cards` (and the epoch marker) in one pipeline
    /// that also `WATCH`es them. Fails with [`StreamError::StateFlushed`]
    /// when the marker is not the one this store adopted.
    pub fn load_many(&self, cards: &[CardToken]) -> Result<LoadedStates> {
        let epoch = self.our_epoch()?;
        if cards.is_empty() {
            self.check()?;
            return Ok(LoadedStates {
                states: Vec::new(),
                watching: None,
            });
        }
        let epoch_key = self.keys().epoch();
        let keys: Vec<String> = cards.iter().map(|c| self.keys().card(c)).collect();
        let mut con = self.pool().take()?;
        let (found, values): (Option<String>, Vec<Option<Vec<u8>>>) = redis::pipe()
            .cmd("WATCH")
            .arg(&epoch_key)
            .arg(&keys)
            .ignore()
            .cmd("GET")
            .arg(&epoch_key)
            .cmd("MGET")
            .arg(&keys)
            .query(&mut con)
            .map_err(|e| self.redis_error(e))?;
        self.expect_epoch(&epoch, found)?;
        let states = cards
            .iter()
            .zip(keys)
            .zip(values)
            .map(|((card, key), bytes)| {
                let stored = value::decode(bytes)?;
                Ok(LoadedState {
                    card: *card,
                    state: value::state_of(stored.as_ref())?,
                    key,
                    stored,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(LoadedStates {
            states,
            watching: Some(con),
        })
    }

    /// Writes the changed states of `loaded`, each only if its stored value
    /// is still the one [`Self::load_many`] read. Returns the cards that
    /// another writer changed in between (not written: apply their updates
    /// again with [`Self::update`]). Fails with
    /// [`StreamError::StateFlushed`], writing nothing, when the epoch is not
    /// ours.
    ///
    /// The usual case is one `MULTI` / `SET`... / `EXEC` on the watching
    /// connection: no script, so Redis copies each state once (its Lua
    /// hashes every byte of every string a script receives: docs/streaming.md).
    /// When another writer touched a watched key, `EXEC` writes nothing;
    /// then, unless the epoch changed, the per-card compare-and-set script
    /// writes the cards nobody touched and names the others.
    pub fn store_many(&self, loaded: &mut LoadedStates) -> Result<Vec<CardToken>> {
        let epoch = self.our_epoch()?;
        let changed: Vec<(&LoadedState, Vec<u8>)> = loaded
            .states
            .iter()
            .filter_map(|item| {
                let new = self
                    .stamper()
                    .value_if_changed(item.stored.as_ref(), &item.state)?;
                Some((item, new))
            })
            .collect();
        let Some(mut con) = loaded.watching.take() else {
            // Empty, or stored before: no watch to rely on.
            return self.compare_and_set(&epoch, &changed);
        };
        if changed.is_empty() {
            redis::cmd("UNWATCH")
                .query::<()>(&mut con)
                .map_err(|e| self.redis_error(e))?;
            self.pool().give_back(con);
            return Ok(Vec::new());
        }
        let mut transaction = redis::pipe();
        transaction.atomic();
        for (item, new) in &changed {
            transaction.cmd("SET").arg(&item.key).arg(new.as_slice());
        }
        let exec: Option<Value> = transaction
            .query(&mut con)
            .map_err(|e| self.redis_error(e))?;
        // `EXEC` ended the watch either way.
        self.pool().give_back(con);
        if exec.is_some() {
            return Ok(Vec::new());
        }
        // The script checks the epoch too: a flush ends as `StateFlushed`.
        self.compare_and_set(&epoch, &changed)
    }

    /// The per-card compare-and-set of `changed` (each with its new value)
    /// in one script; returns the cards another writer changed.
    fn compare_and_set(
        &self,
        epoch: &str,
        changed: &[(&LoadedState, Vec<u8>)],
    ) -> Result<Vec<CardToken>> {
        if changed.is_empty() {
            return Ok(Vec::new());
        }
        let mut invocation = self.store_many_script().prepare_invoke();
        invocation.key(self.keys().epoch()).arg(epoch);
        for (item, new) in changed {
            invocation
                .key(&item.key)
                .arg(item.stored.as_ref().map_or(&[][..], Stored::stamp))
                .arg(new.as_slice());
        }
        let answer: Vec<i64> = self.pool().run(|con| invocation.invoke(con))?;
        match answer.split_first() {
            Some((1, raced)) => raced
                .iter()
                .map(|&i| {
                    usize::try_from(i)
                        .ok()
                        .and_then(|i| changed.get(i.wrapping_sub(1)))
                        .map(|(item, _)| item.card)
                        .ok_or_else(|| unexpected(&answer))
                })
                .collect(),
            Some((-1, _)) => {
                let found = self.read_epoch()?;
                self.expect_epoch(epoch, found)?;
                Err(self.flushed("changed during the update".into()))
            }
            _ => Err(unexpected(&answer)),
        }
    }
}

fn unexpected(answer: &[i64]) -> StreamError {
    StreamError::Redis {
        server: String::new(),
        source: redis::RedisError::from((
            redis::ErrorKind::Client,
            "unexpected answer from the store_many script",
            format!("{answer:?}"),
        )),
    }
}
