//! TLS files of a connection to NATS or Redis, beyond what its URL says.

use std::path::{Path, PathBuf};

use crate::error::{Result, StreamError};

/// A private CA and a client certificate for a TLS connection. The server's
/// certificate is always verified: against `ca_file` when given, else
/// against the system's CAs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM file of the CA certificates that sign the servers' certificates
    /// (a private CA); requires TLS.
    pub ca_file: Option<PathBuf>,
    /// PEM files of this client's certificate and private key, for servers
    /// that verify their clients (mutual TLS); requires TLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

impl TlsFiles {
    /// Whether these settings require TLS.
    pub fn required(&self) -> bool {
        self.ca_file.is_some() || self.client_cert.is_some()
    }

    /// Every named file must be readable: a typo is a clear error naming
    /// the file before any connection attempt, not a failed handshake.
    /// `service` names the connection in the message (`NATS`, `Redis`).
    pub(crate) fn check_files(&self, service: &str) -> Result<()> {
        for (what, path) in self.named() {
            std::fs::metadata(path).map_err(|e| unreadable(service, what, path, &e))?;
        }
        Ok(())
    }

    /// The files' contents.
    pub(crate) fn read(&self, service: &str) -> Result<TlsBytes> {
        let read = |what: &str, path: &Path| {
            std::fs::read(path).map_err(|e| unreadable(service, what, path, &e))
        };
        let ca = self
            .ca_file
            .as_deref()
            .map(|p| read("CA file", p))
            .transpose()?;
        let client = match &self.client_cert {
            Some((cert, key)) => {
                Some((read("client certificate", cert)?, read("client key", key)?))
            }
            None => None,
        };
        Ok(TlsBytes { ca, client })
    }

    fn named(&self) -> impl Iterator<Item = (&'static str, &PathBuf)> {
        self.ca_file.iter().map(|f| ("CA file", f)).chain(
            self.client_cert
                .iter()
                .flat_map(|(cert, key)| [("client certificate", cert), ("client key", key)]),
        )
    }
}

/// The contents of [`TlsFiles`].
pub(crate) struct TlsBytes {
    /// The CA certificates (PEM).
    pub ca: Option<Vec<u8>>,
    /// The client's certificate and key (PEM).
    pub client: Option<(Vec<u8>, Vec<u8>)>,
}

fn unreadable(service: &str, what: &str, path: &Path, error: &std::io::Error) -> StreamError {
    StreamError::Config {
        reason: format!("{service} TLS {what} {}: {error}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_required_and_named_when_missing() {
        assert!(!TlsFiles::default().required());
        let dir = std::env::temp_dir();
        let files = TlsFiles {
            ca_file: Some(dir.join("vigie-no-such-ca.pem")),
            client_cert: None,
        };
        assert!(files.required());
        let error = files.check_files("Redis").unwrap_err().to_string();
        assert!(
            error.contains("Redis TLS CA file") && error.contains("vigie-no-such-ca.pem"),
            "{error}"
        );
        // (TlsBytes has no Debug: it may hold a private key.)
        let Err(error) = files.read("NATS") else {
            panic!("a missing CA file was read");
        };
        let error = error.to_string();
        assert!(error.contains("NATS TLS CA file"), "{error}");
    }
}
