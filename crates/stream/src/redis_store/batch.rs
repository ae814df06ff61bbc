//! Many cards in one round trip, for the stream worker: [`RedisStateStore::load_many`]
//! reads a batch's card states (and checks the epoch) in one pipeline;
//! [`RedisStateStore::store_many`] writes the new states in one Lua script
//! that sets each card only if its stored value is still the one read
//! (compare-and-set of the value's write stamp, per card: `value.rs`) and
//! only if the epoch is ours.
//!
//! A card whose value changed in between (another worker overlapping during
//! a partition hand-over) is not written: `store_many` returns it, and the
//! caller re-applies its transactions with [`RedisStateStore::update`]
//! (idempotent per `trans_num`), so no update is lost or doubled.

use redis::Script;
use vigie_features::{CardState, codec};
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

impl RedisStateStore {
    /// Reads the states of `cards` (and the epoch marker) in one pipeline.
    /// Fails with [`StreamError::StateFlushed`] when the marker is not the
    /// one this store adopted.
    pub fn load_many(&self, cards: &[CardToken]) -> Result<Vec<LoadedState>> {
        let epoch = self.our_epoch()?;
        if cards.is_empty() {
            self.check()?;
            return Ok(Vec::new());
        }
        let epoch_key = self.keys().epoch();
        let keys: Vec<String> = cards.iter().map(|c| self.keys().card(c)).collect();
        let (found, values): (Option<String>, Vec<Option<Vec<u8>>>) = self.pool().run(|con| {
            redis::pipe()
                .cmd("GET")
                .arg(&epoch_key)
                .cmd("MGET")
                .arg(&keys)
                .query(con)
        })?;
        self.expect_epoch(&epoch, found)?;
        cards
            .iter()
            .zip(values)
            .map(|(card, bytes)| {
                let stored = value::decode(bytes)?;
                let state = match &stored {
                    Some(stored) => stored.state()?,
                    None => CardState::default(),
                };
                Ok(LoadedState {
                    card: *card,
                    state,
                    stored,
                })
            })
            .collect()
    }

    /// Writes the changed states of `loaded` in one script, each only if
    /// its stored value is still the one [`Self::load_many`] read. Returns
    /// the cards that another writer changed in between (not written: apply
    /// their updates again with [`Self::update`]). Fails with
    /// [`StreamError::StateFlushed`], writing nothing, when the epoch is not
    /// ours.
    pub fn store_many(&self, loaded: &[LoadedState]) -> Result<Vec<CardToken>> {
        let epoch = self.our_epoch()?;
        let mut changed: Vec<(&LoadedState, Vec<u8>)> = Vec::new();
        for item in loaded {
            let new = codec::encode(&item.state);
            let unchanged = match &item.stored {
                Some(stored) => stored.encoded() == new,
                None => item.state == CardState::default(),
            };
            if !unchanged {
                changed.push((item, self.stamper().value_of(&new)));
            }
        }
        if changed.is_empty() {
            return Ok(Vec::new());
        }
        let mut invocation = self.store_many_script().prepare_invoke();
        invocation.key(self.keys().epoch()).arg(&epoch);
        for (item, new) in &changed {
            invocation
                .key(self.keys().card(&item.card))
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
                self.expect_epoch(&epoch, found)?;
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
