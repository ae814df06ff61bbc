//! The one data directory: `--data-dir`, else `$VIGIE_HOME`, else `./vigie-data`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Vigie's data directory and the places inside it.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Resolves the directory (creating it if needed).
    pub fn resolve(flag: Option<&Path>) -> Result<Self> {
        let root = match (flag, std::env::var_os("VIGIE_HOME")) {
            (Some(dir), _) => dir.to_path_buf(),
            (None, Some(home)) if !home.is_empty() => PathBuf::from(home),
            _ => PathBuf::from("vigie-data"),
        };
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create data directory {}", root.display()))?;
        Ok(Self { root })
    }

    /// A sub-directory, created if needed.
    pub fn sub(&self, name: &str) -> Result<PathBuf> {
        let dir = self.root.join(name);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(dir)
    }
}
