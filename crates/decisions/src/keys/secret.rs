//! API key secrets: `vk_<id>_<secret>`, where `id` is 16 hex digits (the
//! lookup key, not secret) and `secret` 64 hex digits (32 random bytes).
//!
//! Only `SHA-256(salt || key)` is stored, with a random 16-byte salt per
//! key. A fast hash is enough here (no password-hashing function needed):
//! the key holds 256 random bits, so there is nothing to guess by brute
//! force, and the salt keeps equal inputs from giving equal rows. Hashes are
//! compared in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{DecisionError, Result};

/// Hex digits of a key id.
const ID_HEX: usize = 16;
/// Hex digits of the random part.
const SECRET_HEX: usize = 64;

/// A newly created key, shown once. Its `Debug` hides the secret part.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

impl ApiKeySecret {
    /// The full key, to hand to the client (`vk_<id>_<secret>`).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = self.0.get(..3 + ID_HEX).unwrap_or("vk_");
        write!(f, "ApiKeySecret({shown}_…)")
    }
}

/// Random bytes from the operating system.
pub(super) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| DecisionError::Random {
        message: e.to_string(),
    })?;
    Ok(bytes)
}

/// A fresh key: (id, full key).
pub(super) fn generate() -> Result<(String, ApiKeySecret)> {
    let id = hex::encode(random_bytes::<{ ID_HEX / 2 }>()?);
    let secret = hex::encode(random_bytes::<{ SECRET_HEX / 2 }>()?);
    let key = ApiKeySecret(format!("vk_{id}_{secret}"));
    Ok((id, key))
}

/// The id of a well-formed key, or `None`.
pub(super) fn key_id(presented: &str) -> Option<&str> {
    let rest = presented.strip_prefix("vk_")?;
    let (id, secret) = rest.split_once('_')?;
    let hex = |s: &str, len: usize| {
        s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    (hex(id, ID_HEX) && hex(secret, SECRET_HEX)).then_some(id)
}

/// `SHA-256(salt || key)`.
pub(super) fn salted_hash(salt: &[u8], presented: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(presented.as_bytes());
    hasher.finalize().into()
}

/// Equal, in time that does not depend on where the inputs differ.
pub(super) fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn generated_keys_parse_and_differ() {
        let (id, key) = generate().unwrap();
        assert_eq!(key_id(key.expose()), Some(id.as_str()));
        let (other_id, other) = generate().unwrap();
        assert_ne!(id, other_id);
        assert_ne!(key, other);
        assert!(!format!("{key:?}").contains(&key.expose()[20..]));
    }

    #[test]
    fn malformed_keys_have_no_id() {
        let (_, key) = generate().unwrap();
        let good = key.expose();
        for bad in [
            "",
            "vk_",
            &good[..good.len() - 1],
            &good.replace("vk_", "vx_"),
            &good.to_uppercase(),
            &format!("{good}0"),
        ] {
            assert_eq!(key_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn constant_time_compare_tells_every_byte() {
        let a = salted_hash(b"salt", "key");
        assert!(constant_time_eq(&a, &a.clone()));
        for i in 0..32 {
            let mut b = a;
            b[i] ^= 1;
            assert!(!constant_time_eq(&a, &b), "byte {i}");
        }
        assert_ne!(salted_hash(b"salt", "key"), salted_hash(b"pepper", "key"));
    }
}
