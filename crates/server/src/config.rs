//! Server settings.

use std::net::SocketAddr;
use std::time::Duration;

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// API keys (`Authorization: Bearer <key>` or `X-Api-Key`), checked
    /// against the key store; each route requires a role.
    Keys,
    /// Every request is accepted as an admin. Local demos only.
    Disabled,
}

/// Request limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body accepted, bytes (413 `payload_too_large` above).
    pub body_bytes: usize,
    /// Most transactions in one batch (413 `batch_too_large` above).
    pub batch_size: usize,
    /// A request taking longer is answered 503 `timeout`.
    pub request_timeout: Duration,
    /// How long a duplicate request waits for the first one, still being
    /// decided, before answering 409 `duplicate_in_flight`.
    pub duplicate_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 1024 * 1024,
            batch_size: 500,
            request_timeout: Duration::from_secs(5),
            duplicate_wait: Duration::from_secs(2),
        }
    }
}

/// Everything the server needs to know besides its services.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub addr: SocketAddr,
    /// The registered model whose `champion` and `challenger` aliases are
    /// served.
    pub model: String,
    /// Authentication.
    pub auth: AuthMode,
    /// Request limits.
    pub limits: Limits,
    /// How often the registry is polled for alias moves.
    pub poll_interval: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            model: "card-fraud".into(),
            auth: AuthMode::Keys,
            limits: Limits::default(),
            poll_interval: Duration::from_secs(1),
        }
    }
}
