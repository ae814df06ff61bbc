//! How to reach Redis and how the store lays out its keys.

use std::fmt;
use std::time::Duration;

use vigie_types::CardToken;

use crate::error::{Result, StreamError};
use crate::tls::TlsFiles;

/// How a card's read-modify-write is made atomic across processes. Both are
/// optimistic (no lock is held while the feature code runs) and both re-run
/// the update on the fresh state when another process won the race; see
/// docs/streaming.md for the measurements behind the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Atomicity {
    /// `WATCH` the card and epoch keys, read, compute, then `MULTI`/`SET`/
    /// `EXEC`; an `EXEC` aborted by a concurrent write retries. Two round
    /// trips, no server-side script.
    #[default]
    Watch,
    /// Read, compute, then a Lua script sets the new value only if the
    /// stored value's SHA-1 still equals the one read (and the epoch is
    /// ours). Two round trips; the old value is compared by content.
    LuaCompareAndSet,
}

/// Settings of a Redis state store or lease table.
#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS.
    /// Never logged.
    pub url: String,
    /// A private CA and a client certificate for a `rediss://` URL (the
    /// server's certificate is verified against the system's CAs when no CA
    /// file is given).
    pub tls: TlsFiles,
    /// First segment of every key (`<prefix>:state:v2:...`); tests use a
    /// unique prefix each, so they can share one server.
    pub key_prefix: String,
    /// Longest wait for a new connection (TCP connect and handshake).
    pub connect_timeout: Duration,
    /// Longest wait for a reply or a write on an open connection.
    pub io_timeout: Duration,
    /// Connections kept open between calls (more are opened on demand when
    /// many threads call at once, and closed when returned beyond this).
    pub max_idle: usize,
    /// How `with_state` is made atomic.
    pub atomicity: Atomicity,
    /// Optimistic attempts per `with_state` before giving up with
    /// [`StreamError::Contention`].
    pub max_attempts: u32,
}

impl RedisConfig {
    /// Defaults for `url`: prefix `vigie`, 1 s connect and 2 s I/O timeouts,
    /// 16 idle connections, `WATCH`, 64 attempts.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            tls: TlsFiles::default(),
            key_prefix: "vigie".into(),
            connect_timeout: Duration::from_secs(1),
            io_timeout: Duration::from_secs(2),
            max_idle: 16,
            atomicity: Atomicity::default(),
            max_attempts: 64,
        }
    }

    /// Checks the settings, reporting every problem at once.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        if self.key_prefix.is_empty()
            || !self
                .key_prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
        {
            problems.push("key_prefix must be non-empty ASCII letters, digits, _ - . :");
        }
        if self.connect_timeout.is_zero() || self.io_timeout.is_zero() {
            problems.push("timeouts must be positive (a zero timeout would wait forever)");
        }
        if self.max_attempts == 0 {
            problems.push("max_attempts must be at least 1");
        }
        if self.tls.required() && !self.url.starts_with("rediss://") {
            problems.push("a Redis CA file or client certificate needs a rediss:// URL");
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(StreamError::Config {
                reason: problems.join("; "),
            })
        }
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("server", &server_of(&self.url))
            .field("tls", &self.tls)
            .field("key_prefix", &self.key_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("io_timeout", &self.io_timeout)
            .field("max_idle", &self.max_idle)
            .field("atomicity", &self.atomicity)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// `host:port[/db]` of a Redis URL, without scheme, user or password.
pub(crate) fn server_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split('?').next().unwrap_or_default().to_string()
}

/// The store's keys. One string key per card holds a write stamp and
/// `vigie_features::codec::encode(state)`; nothing card-number-derived other
/// than the token's HMAC digest appears in a key.
///
/// The `v2` segment is the value's layout (v1 had no stamp). The epoch
/// marker lives under it too, so a worker of a new layout finds no marker
/// in a store of the old one and rebuilds the states from the transaction
/// stream, instead of misreading them.
#[derive(Debug, Clone)]
pub struct KeyLayout {
    state_prefix: String,
}

/// Hex characters of a card key's suffix (a 32-byte digest).
const DIGEST_HEX: usize = 64;

impl KeyLayout {
    /// The layout under `prefix`.
    pub fn new(prefix: &str) -> Self {
        Self {
            state_prefix: format!("{prefix}:state:v2:"),
        }
    }

    /// `<prefix>:state:v2:<hex of the token digest>`.
    pub fn card(&self, card: &CardToken) -> String {
        let mut key = String::with_capacity(self.state_prefix.len() + DIGEST_HEX);
        key.push_str(&self.state_prefix);
        key.push_str(&hex::encode(card.digest()));
        key
    }

    /// `<prefix>:state:v2:epoch`, the marker whose disappearance means the
    /// states were lost.
    pub fn epoch(&self) -> String {
        format!("{}epoch", self.state_prefix)
    }

    /// A `SCAN` pattern matching every card key (and the epoch marker).
    pub fn scan_pattern(&self) -> String {
        format!("{}*", self.state_prefix)
    }

    /// Whether `key` is a card key (not the marker).
    pub fn is_card_key(&self, key: &[u8]) -> bool {
        key.len() == self.state_prefix.len() + DIGEST_HEX
            && key.starts_with(self.state_prefix.as_bytes())
            && key[self.state_prefix.len()..]
                .iter()
                .all(u8::is_ascii_hexdigit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_drop_credentials() {
        assert_eq!(
            server_of("redis://:s3cret@db.local:6380/2"),
            "db.local:6380/2"
        );
        assert_eq!(server_of("redis://user:pw@h:1"), "h:1");
        assert_eq!(server_of("redis://127.0.0.1:6379"), "127.0.0.1:6379");
        let shown = format!("{:?}", RedisConfig::new("redis://:s3cret@h:1"));
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn card_keys_are_the_digest_hex_under_the_prefix() {
        let keys = KeyLayout::new("vigie");
        let card = CardToken::parse(format!("ct1_{}", "ab".repeat(32)).as_bytes()).unwrap();
        let key = keys.card(&card);
        assert_eq!(key, format!("vigie:state:v2:{}", "ab".repeat(32)));
        assert!(keys.is_card_key(key.as_bytes()));
        assert!(!keys.is_card_key(keys.epoch().as_bytes()));
        assert_eq!(keys.epoch(), "vigie:state:v2:epoch");
    }

    #[test]
    fn validation_reports_every_problem() {
        let mut config = RedisConfig::new("redis://h:1");
        config.key_prefix = "bad prefix".into();
        config.io_timeout = Duration::ZERO;
        config.max_attempts = 0;
        let reason = config.validate().unwrap_err().to_string();
        assert_eq!(reason.matches("must").count(), 3, "{reason}");
    }
}
