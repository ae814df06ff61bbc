//! The value of a card key (layout v2): an 8-byte write stamp, then
//! `vigie_features::codec::encode(state)`.
//!
//! The stamp is what the compare-and-set scripts compare (`GETRANGE key 0
//! 7` against the stamp read): every write gives the card a new stamp, so
//! an unchanged stamp means nobody wrote the card since it was read. Layout
//! v1 compared the whole state instead, sent back with the new one: Redis's
//! Lua hashes every byte of every string it creates, and the three copies
//! of a 2.7 KB state per card (the bytes read, sent back; the value `GET`
//! inside the script; the new value) were two fifths of Redis's CPU in the
//! stream worker's profile (docs/benchmarks.md, "Streaming").
//!
//! A stamp is a per-store random base plus a per-store counter: two stores
//! give the same stamp with probability about 2^-64 per pair of writes, and
//! one store never repeats one.

use std::sync::atomic::{AtomicU64, Ordering};

use vigie_features::{CardState, FeatureError, codec};

use crate::error::{Result, StreamError};

/// Bytes of the stamp at the start of a value.
pub(crate) const STAMP_BYTES: usize = 8;

/// Hands out fresh stamps.
#[derive(Debug)]
pub(crate) struct Stamper {
    base: u64,
    counter: AtomicU64,
}

impl Stamper {
    /// A stamper with a random base.
    pub(crate) fn new() -> Result<Self> {
        let base = getrandom::u64().map_err(|e| StreamError::Config {
            reason: format!("no randomness from the operating system: {e}"),
        })?;
        Ok(Self {
            base,
            counter: AtomicU64::new(0),
        })
    }

    /// A stamp never handed out by this stamper before.
    fn next(&self) -> [u8; STAMP_BYTES] {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        self.base.wrapping_add(n).to_le_bytes()
    }

    /// The value storing `state`, with a fresh stamp.
    pub(crate) fn value(&self, state: &CardState) -> Vec<u8> {
        let mut value = unstamped(state);
        value[..STAMP_BYTES].copy_from_slice(&self.next());
        value
    }

    /// The value to write for `state`, read as `stored` (`None`: never
    /// seen), with a fresh stamp; `None` when the state did not change (a
    /// duplicate delivery, a no-op), which is not written.
    pub(crate) fn value_if_changed(
        &self,
        stored: Option<&Stored>,
        state: &CardState,
    ) -> Option<Vec<u8>> {
        let mut value = unstamped(state);
        let unchanged = match stored {
            Some(old) => old.encoded() == &value[STAMP_BYTES..],
            None => *state == CardState::default(),
        };
        if unchanged {
            return None;
        }
        value[..STAMP_BYTES].copy_from_slice(&self.next());
        Some(value)
    }
}

/// A value for `state` whose stamp is still zeros: the state encoded once,
/// straight after the stamp's place (no second buffer to copy it into).
fn unstamped(state: &CardState) -> Vec<u8> {
    let mut value = vec![0u8; STAMP_BYTES];
    codec::encode_into(state, &mut value);
    value
}

/// A stored value split into its stamp and its encoded state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    bytes: Vec<u8>,
}

impl Stored {
    /// Checks the value's length (the state itself is checked by
    /// [`Self::state`]).
    pub(crate) fn new(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() <= STAMP_BYTES {
            return Err(FeatureError::StateDecode {
                reason: format!("a stored value of {} bytes has no state", bytes.len()),
            }
            .into());
        }
        Ok(Self { bytes })
    }

    /// The stamp: what the compare-and-set expects to find.
    pub(crate) fn stamp(&self) -> &[u8] {
        &self.bytes[..STAMP_BYTES]
    }

    /// The encoded state.
    pub(crate) fn encoded(&self) -> &[u8] {
        &self.bytes[STAMP_BYTES..]
    }

    /// The decoded state.
    pub(crate) fn state(&self) -> Result<CardState> {
        Ok(codec::decode(self.encoded())?)
    }
}

/// Decodes an optional stored value (`None`: the card was never seen).
pub(crate) fn decode(bytes: Option<Vec<u8>>) -> Result<Option<Stored>> {
    bytes.map(Stored::new).transpose()
}

/// The state a card has: the stored one, or a new card's.
pub(crate) fn state_of(stored: Option<&Stored>) -> Result<CardState> {
    stored.map_or_else(|| Ok(CardState::default()), Stored::state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_round_trips_with_a_new_stamp_each_time() {
        let stamper = Stamper::new().unwrap();
        let mut state = CardState::default();
        state.amounts.push(12.5);
        state.by_category[0].push(12.5);
        let (first, second) = (stamper.value(&state), stamper.value(&state));
        let (first, second) = (Stored::new(first).unwrap(), Stored::new(second).unwrap());
        assert_ne!(first.stamp(), second.stamp());
        assert_eq!(first.encoded(), second.encoded());
        assert_eq!(first.state().unwrap(), state);
    }

    #[test]
    fn two_stampers_do_not_share_stamps() {
        let (a, b) = (Stamper::new().unwrap(), Stamper::new().unwrap());
        assert_ne!(a.next(), b.next());
    }

    #[test]
    fn a_value_without_a_state_is_an_error() {
        assert!(Stored::new(vec![1; STAMP_BYTES]).is_err());
        let stored = Stored::new(b"12345678garbage".to_vec()).unwrap();
        assert!(stored.state().is_err());
    }
}
