//! PostgreSQL connections for Vigie's registry and decision log (layer L2).
//!
//! [`connect`] takes a `postgres://` (or `postgresql://`) URL, the one
//! place that checks the scheme, and honours libpq's `sslmode`:
//! `disable` and `prefer` (the default) connect as the driver does without
//! TLS; `require`, `verify-ca` and `verify-full` connect over TLS (rustls)
//! and always verify the server's certificate, against `sslrootcert=FILE`
//! (PEM) when given, else the system's CAs (`sslrootcert=system` says so
//! explicitly). `require` and `verify-full` check the certificate's name
//! against the host; `verify-ca` checks the chain only. Vigie never accepts
//! an unverified server: where libpq's `require` skips verification, this
//! one does not. Client certificates (`sslcert`, `sslkey`) are refused with
//! a clear error: not supported yet. See docs/decisions.md, "TLS to
//! PostgreSQL".

mod target;
mod tls;

pub use target::{Target, TlsMode};

/// Why a connection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL is unusable: not a `postgres://` URL, an unknown `sslmode`,
    /// an unreadable or empty `sslrootcert`, client certificates.
    #[error("PostgreSQL URL: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// The driver's error (unreachable server, refused login, failed TLS
    /// handshake, ...), shown with its causes (the driver's own message
    /// alone says "error performing TLS handshake", not why).
    #[error("{}", with_causes(.0))]
    Postgres(#[from] postgres::Error),
}

/// `error: cause: cause's cause ...`, each once.
fn with_causes(error: &postgres::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.ends_with(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

/// Connects to `url` (see the crate's documentation for `sslmode`).
pub fn connect(url: &str) -> Result<postgres::Client, ConnectError> {
    let target = Target::parse(url)?;
    match &target.tls {
        None => Ok(postgres::Client::connect(&target.url, postgres::NoTls)?),
        Some(tls) => {
            let connector = tls::MakeRustls::new(tls)?;
            Ok(postgres::Client::connect(&target.url, connector)?)
        }
    }
}
