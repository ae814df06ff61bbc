//! Where the card-token key comes from.
//!
//! In order: the file named by `VIGIE_TOKEN_KEY_FILE`, the value of
//! `VIGIE_TOKEN_KEY`, else `<data-dir>/keys/card-token.key`, which the first
//! run creates (mode 0600) and announces once. `VIGIE_TOKEN_KEY_VERSION`
//! (1-9, default 1) names the key in the tokens (`ct1_...`).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use vigie_types::TokenKey;

use crate::data_dir::DataDir;

const KEY_FILE: &str = "card-token.key";

/// Loads the key, creating the embedded default on first use.
pub fn load_or_create(data_dir: &DataDir) -> Result<TokenKey> {
    let version = match std::env::var("VIGIE_TOKEN_KEY_VERSION") {
        Ok(v) => v
            .trim()
            .parse::<u8>()
            .context("VIGIE_TOKEN_KEY_VERSION must be a number from 1 to 9")?,
        Err(_) => 1,
    };
    if let Some(path) = std::env::var_os("VIGIE_TOKEN_KEY_FILE") {
        let path = Path::new(&path);
        let material = std::fs::read(path)
            .with_context(|| format!("cannot read VIGIE_TOKEN_KEY_FILE {}", path.display()))?;
        return TokenKey::new(&material, version).context("VIGIE_TOKEN_KEY_FILE");
    }
    if let Ok(material) = std::env::var("VIGIE_TOKEN_KEY") {
        return TokenKey::new(material.as_bytes(), version).context("VIGIE_TOKEN_KEY");
    }
    let path = data_dir.sub("keys")?.join(KEY_FILE);
    match std::fs::read(&path) {
        Ok(material) => TokenKey::new(&material, version)
            .with_context(|| format!("key file {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(&path, version),
        Err(e) => Err(e).with_context(|| format!("cannot read key file {}", path.display())),
    }
}

fn create(path: &Path, version: u8) -> Result<TokenKey> {
    let key = TokenKey::generate(version)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let material = std::fs::read(path)?;
            return Ok(TokenKey::new(&material, version)?);
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot create key file {}", path.display()));
        }
    };
    file.write_all(key.expose_material())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    tracing::warn!(
        path = %path.display(),
        "created a new card-token key; card tokens depend on it: back it up and keep it apart from the data \
         (set VIGIE_TOKEN_KEY_FILE to use a managed key instead)"
    );
    Ok(key)
}
