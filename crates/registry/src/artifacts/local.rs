//! The local-directory artifact store.
//!
//! A put writes `<root>/sha256/ab/.<sha>.<random>.tmp`, fsyncs it, renames it
//! to `<root>/sha256/ab/<sha>` and fsyncs the directory: after a crash the
//! final name holds either nothing or the whole, durable content. Stray temp
//! files are harmless (never read) and may be deleted.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::{object_key, sha256_hex};
use crate::Step;
use crate::error::{RegistryError, Result};

/// Artifacts in a local directory.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root` (created on first put).
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    /// The file an object lives in.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(object_key(sha256))
    }

    pub(crate) fn put(&self, sha256: &str, bytes: &[u8], hook: &dyn Fn(Step)) -> Result<()> {
        let path = self.path_of(sha256);
        // Already there and intact: nothing to do. A damaged copy is replaced.
        if let Ok(existing) = fs::read(&path)
            && sha256_hex(&existing) == sha256
        {
            hook(Step::ArtifactStored);
            return Ok(());
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| RegistryError::io(&dir, e))?;
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|e| RegistryError::Config {
            message: format!("no random numbers from the OS: {e}"),
        })?;
        let tmp = dir.join(format!(".{sha256}.{}.tmp", hex::encode(suffix)));
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(RegistryError::io(&tmp, e));
        }
        hook(Step::ArtifactWritten);
        fs::rename(&tmp, &path).map_err(|e| RegistryError::io(&path, e))?;
        sync_dir(&dir)?;
        hook(Step::ArtifactStored);
        Ok(())
    }

    pub(crate) fn get(&self, sha256: &str) -> Result<Vec<u8>> {
        let path = self.path_of(sha256);
        fs::read(&path).map_err(|e| match e.kind() {
            ErrorKind::NotFound => RegistryError::ArtifactMissing {
                sha256: sha256.to_owned(),
                store: self.location(),
            },
            _ => RegistryError::io(&path, e),
        })
    }

    pub(crate) fn exists(&self, sha256: &str) -> bool {
        self.path_of(sha256).is_file()
    }

    pub(crate) fn uri(&self, sha256: &str) -> String {
        format!("file://{}", self.path_of(sha256).display())
    }

    pub(crate) fn location(&self) -> String {
        self.root.display().to_string()
    }
}

/// Makes a rename durable (directory entries are data too).
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| RegistryError::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
