//! Hashing card tokens for in-memory maps, without hashing them again.
//!
//! A [`CardToken`] is an HMAC-SHA256 digest under a secret key: its bytes are
//! already uniformly distributed and cannot be chosen by whoever sends the
//! transactions (they do not know the key). So `CardToken`'s `Hash` writes
//! one `u64` (the digest's first eight bytes), and [`CardMap`]'s hasher passes
//! that word through unchanged instead of running SipHash over 33 bytes for
//! every lookup. Per-card state lookups are on the hot path of feature
//! replay, scoring and the stream worker (docs/benchmarks.md).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::CardToken;

/// A `HashMap` keyed by card token, with the pass-through hasher.
pub type CardMap<V> = HashMap<CardToken, V, BuildCardTokenHasher>;

/// Builds [`CardTokenHasher`]s.
pub type BuildCardTokenHasher = BuildHasherDefault<CardTokenHasher>;

/// The hasher of [`CardMap`]: a word written with `write_u64` is the hash.
/// Anything else written (it should not happen for card tokens) is still
/// hashed correctly, by a multiplicative mix of its bytes.
#[derive(Debug, Default, Clone, Copy)]
pub struct CardTokenHasher(u64);

impl Hasher for CardTokenHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, word: u64) {
        self.0 ^= word;
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, Hash};

    use super::*;
    use crate::{CardNumber, TokenKey, Tokenizer};

    /// The token of the card number `body` + its Luhn check digit.
    fn token(body: &str) -> CardToken {
        let key = TokenKey::new(&[7; 32], 1).expect("key");
        let card = CardNumber::with_check_digit(body.as_bytes()).expect("card number");
        Tokenizer::new(&key).tokenize(&card)
    }

    #[test]
    fn the_hash_is_the_digest_prefix() {
        let t = token("411111111111111");
        let hash = BuildCardTokenHasher::default().hash_one(t);
        let prefix = u64::from_le_bytes(t.digest()[..8].try_into().expect("8 bytes"));
        assert_eq!(hash, prefix);
    }

    #[test]
    fn a_card_map_finds_every_token_and_keeps_them_apart() {
        let mut map = CardMap::default();
        for i in 0..1000u64 {
            map.insert(token(&format!("4{i:014}")), i);
        }
        assert_eq!(map.len(), 1000);
        for i in 0..1000u64 {
            assert_eq!(map.get(&token(&format!("4{i:014}"))), Some(&i));
        }
    }

    #[test]
    fn bytes_written_directly_still_hash_by_content() {
        let hash = |bytes: &[u8]| {
            let mut h = CardTokenHasher::default();
            bytes.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(b"abc"), hash(b"abc"));
        assert_ne!(hash(b"abc"), hash(b"abd"));
    }
}
