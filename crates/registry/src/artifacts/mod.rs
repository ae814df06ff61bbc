//! Artifacts in an object store, content-addressed by sha256.
//!
//! One interface, two places: a local directory (default) or an
//! S3-compatible bucket (`s3://bucket/prefix`). Objects live at
//! `sha256/<first two hex digits>/<all 64 hex digits>`. `put` is atomic (a
//! reader sees the whole object or none: temp file + fsync + rename locally,
//! one PUT on S3) and idempotent; `get` re-hashes what it read and never
//! returns bytes that do not match their address.

mod local;
mod s3;
pub(crate) mod sigv4;

use std::path::Path;

use sha2::{Digest, Sha256};

pub use local::LocalStore;
pub use s3::{S3Settings, S3Store};

use crate::Step;
use crate::error::{RegistryError, Result};

/// Where an artifact's bytes are: its sha256 (its identity), size and a URI in
/// the configured store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArtifactRef {
    /// Lowercase hex sha256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// `file:///...` or `s3://bucket/...`: informative, the sha256 is what counts.
    pub uri: String,
}

/// The artifact store of a registry.
#[derive(Debug)]
pub enum ArtifactStore {
    /// A directory on the local file system.
    Local(LocalStore),
    /// An S3-compatible bucket.
    S3(Box<S3Store>),
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks that `sha256` is 64 lowercase hex digits (it becomes a path or key).
pub(crate) fn check_sha256(sha256: &str) -> Result<()> {
    if sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(RegistryError::Invalid {
            what: "sha256",
            value: sha256.chars().take(80).collect(),
            reason: "must be 64 lowercase hex digits",
        })
    }
}

/// The object's key below the store's root.
pub(crate) fn object_key(sha256: &str) -> String {
    format!("sha256/{}/{sha256}", &sha256[..2])
}

/// Fails unless `bytes` hash to `sha256`.
pub(crate) fn verify(sha256: &str, bytes: &[u8]) -> Result<()> {
    let actual = sha256_hex(bytes);
    if actual == sha256 {
        Ok(())
    } else {
        Err(RegistryError::ArtifactCorrupt {
            sha256: sha256.to_owned(),
            reason: format!("its {} bytes hash to {actual}", bytes.len()),
        })
    }
}

impl ArtifactStore {
    /// Opens the store named by `url`: `None` means the local directory
    /// `default_dir`; `file:///path` or a plain path a local directory;
    /// `s3://bucket[/prefix]` a bucket, reached with `s3` settings.
    pub fn open(url: Option<&str>, default_dir: &Path, s3: Option<&S3Settings>) -> Result<Self> {
        match url {
            None => Ok(Self::Local(LocalStore::new(default_dir))),
            Some(url) if url.starts_with("s3://") => {
                let settings = s3.ok_or_else(|| RegistryError::Config {
                    message: format!("{url}: S3 settings (region, credentials) are missing"),
                })?;
                Ok(Self::S3(Box::new(S3Store::new(url, settings.clone())?)))
            }
            Some(url) => {
                let path = url.strip_prefix("file://").unwrap_or(url);
                if path.is_empty() || url.contains("://") && !url.starts_with("file://") {
                    return Err(RegistryError::Config {
                        message: format!(
                            "{url}: artifacts URL must be s3://..., file://... or a path"
                        ),
                    });
                }
                Ok(Self::Local(LocalStore::new(Path::new(path))))
            }
        }
    }

    /// Stores `bytes` and returns their reference (idempotent).
    pub fn put(&self, bytes: &[u8]) -> Result<ArtifactRef> {
        self.put_observed(bytes, &|_| {})
    }

    /// [`Self::put`], telling `hook` when the bytes are written and stored.
    pub(crate) fn put_observed(&self, bytes: &[u8], hook: &dyn Fn(Step)) -> Result<ArtifactRef> {
        let sha256 = sha256_hex(bytes);
        match self {
            Self::Local(store) => store.put(&sha256, bytes, hook)?,
            Self::S3(store) => {
                store.put(&sha256, bytes)?;
                hook(Step::ArtifactStored);
            }
        }
        Ok(ArtifactRef {
            uri: self.uri(&sha256),
            size: bytes.len() as u64,
            sha256,
        })
    }

    /// Reads an artifact back, verifying its hash: corrupt bytes are an error.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>> {
        check_sha256(sha256)?;
        let bytes = match self {
            Self::Local(store) => store.get(sha256)?,
            Self::S3(store) => store.get(sha256)?,
        };
        verify(sha256, &bytes)?;
        Ok(bytes)
    }

    /// Whether an object with this address exists (its content is not checked).
    pub fn exists(&self, sha256: &str) -> Result<bool> {
        check_sha256(sha256)?;
        match self {
            Self::Local(store) => Ok(store.exists(sha256)),
            Self::S3(store) => store.exists(sha256),
        }
    }

    /// The URI an object has (or would have) in this store.
    pub fn uri(&self, sha256: &str) -> String {
        match self {
            Self::Local(store) => store.uri(sha256),
            Self::S3(store) => store.uri(sha256),
        }
    }

    /// The store's root, for messages.
    pub fn location(&self) -> String {
        match self {
            Self::Local(store) => store.location(),
            Self::S3(store) => store.location(),
        }
    }
}
