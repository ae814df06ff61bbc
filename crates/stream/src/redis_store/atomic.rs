//! One optimistic read-modify-write attempt on a card's state, in either
//! [`Atomicity`](super::Atomicity) flavour. An attempt either commits, or
//! reports that another writer got there first (the caller retries on the
//! fresh state), or fails.
//!
//! Both flavours check the epoch marker in the same atomic step as the
//! write: a store flushed between the read and the write aborts the `EXEC`
//! (`FLUSHALL` touches every watched key that existed) or fails the script's
//! epoch test, so a write never lands in a flushed store unnoticed.

use redis::{Connection, Script, Value};
use vigie_features::CardState;

use super::store::RedisStateStore;
use super::value::{self, Stamper, Stored};
use crate::error::Result;

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// The new state is stored (or nothing needed storing).
    Committed,
    /// Another writer changed the card first.
    Raced,
}

/// The Lua compare-and-set: returns -1 if the epoch is not ours, 0 if the
/// card's value changed since it was read (its stamp compared with the one
/// read: '' = absent, as in `batch.rs`), 1 once the new value is set.
const CAS_LUA: &str = r"
local epoch = redis.call('GET', KEYS[2])
if epoch ~= ARGV[1] then return -1 end
if redis.call('GETRANGE', KEYS[1], 0, 7) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[3])
return 1
";

/// The compare-and-set script (sent with `EVALSHA`, falling back to `EVAL`
/// on `NOSCRIPT`).
pub(crate) fn cas_script() -> Script {
    Script::new(CAS_LUA)
}

/// Applies `f` to the decoded state (or a new one); returns the value to
/// store (with a fresh stamp), or `None` when nothing changed (a duplicate
/// delivery, a no-op).
pub(crate) fn apply(
    stored: Option<&Stored>,
    stamper: &Stamper,
    f: &mut dyn FnMut(&mut CardState),
) -> Result<Option<Vec<u8>>> {
    let mut state = value::state_of(stored)?;
    f(&mut state);
    Ok(stamper.value_if_changed(stored, &state))
}

impl RedisStateStore {
    /// The `WATCH` / `MULTI` / `EXEC` flavour. On any error the pool drops
    /// the connection, watches and all; on success `EXEC` or `UNWATCH`
    /// clears them.
    pub(crate) fn watch_attempt(
        &self,
        con: &mut Connection,
        card_key: &str,
        epoch: &str,
        f: &mut dyn FnMut(&mut CardState),
    ) -> Result<Attempt> {
        let epoch_key = self.keys().epoch();
        let (found, stored): (Option<String>, Option<Vec<u8>>) = redis::pipe()
            .cmd("WATCH")
            .arg(&epoch_key)
            .arg(card_key)
            .ignore()
            .cmd("GET")
            .arg(&epoch_key)
            .cmd("GET")
            .arg(card_key)
            .query(con)
            .map_err(|e| self.redis_error(e))?;
        self.expect_epoch(epoch, found)?;
        let stored = value::decode(stored)?;
        let Some(new) = apply(stored.as_ref(), self.stamper(), f)? else {
            redis::cmd("UNWATCH")
                .query::<()>(con)
                .map_err(|e| self.redis_error(e))?;
            return Ok(Attempt::Committed);
        };
        let exec: Option<Value> = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(card_key)
            .arg(new)
            .query(con)
            .map_err(|e| self.redis_error(e))?;
        Ok(match exec {
            Some(_) => Attempt::Committed,
            None => Attempt::Raced,
        })
    }

    /// The Lua compare-and-set flavour.
    pub(crate) fn cas_attempt(
        &self,
        con: &mut Connection,
        card_key: &str,
        epoch: &str,
        f: &mut dyn FnMut(&mut CardState),
    ) -> Result<Attempt> {
        let epoch_key = self.keys().epoch();
        let (found, stored): (Option<String>, Option<Vec<u8>>) = redis::pipe()
            .cmd("GET")
            .arg(&epoch_key)
            .cmd("GET")
            .arg(card_key)
            .query(con)
            .map_err(|e| self.redis_error(e))?;
        self.expect_epoch(epoch, found)?;
        let stored = value::decode(stored)?;
        let Some(new) = apply(stored.as_ref(), self.stamper(), f)? else {
            return Ok(Attempt::Committed);
        };
        let expected = stored.as_ref().map_or(&[][..], Stored::stamp);
        let answer: i64 = self
            .cas()
            .key(card_key)
            .key(&epoch_key)
            .arg(epoch)
            .arg(expected)
            .arg(new)
            .invoke(con)
            .map_err(|e| self.redis_error(e))?;
        match answer {
            1 => Ok(Attempt::Committed),
            0 => Ok(Attempt::Raced),
            _ => {
                let found: Option<String> = redis::cmd("GET")
                    .arg(&epoch_key)
                    .query(con)
                    .map_err(|e| self.redis_error(e))?;
                self.expect_epoch(epoch, found)?;
                // The marker came back between the script and this read
                // (a flush and a re-initialisation): still not our states.
                Err(self.flushed("changed during the update".into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_state_is_not_written() {
        let stamper = Stamper::new().unwrap();
        let mut nothing = |_: &mut CardState| {};
        assert_eq!(apply(None, &stamper, &mut nothing).unwrap(), None);
        let mut state = CardState::default();
        state.amounts.push(12.5);
        state.by_category[0].push(12.5);
        let stored = Stored::new(stamper.value(&state)).unwrap();
        assert_eq!(apply(Some(&stored), &stamper, &mut nothing).unwrap(), None);
        let mut grow = |s: &mut CardState| {
            s.amounts.push(1.0);
            s.by_category[0].push(1.0);
        };
        let written = apply(Some(&stored), &stamper, &mut grow).unwrap().unwrap();
        let written = Stored::new(written).unwrap();
        assert_ne!(written.stamp(), stored.stamp());
        assert_eq!(written.state().unwrap().amounts.n, 2);
    }

    #[test]
    fn a_corrupt_stored_state_is_an_error_not_a_fresh_card() {
        let stamper = Stamper::new().unwrap();
        let corrupt = Stored::new(vec![9; 12]).unwrap();
        assert!(apply(Some(&corrupt), &stamper, &mut |_| {}).is_err());
    }
}
