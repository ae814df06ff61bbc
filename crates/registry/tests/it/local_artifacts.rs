//! The local artifact store: content addressing, atomic idempotent puts,
//! verified reads.

use vigie_registry::{ArtifactStore, RegistryError, sha256_hex};

use crate::support::files_under;

#[test]
fn objects_are_content_addressed_and_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = ArtifactStore::open(None, dir.path(), None).unwrap();
    let a = store.put(b"alpha").unwrap();
    assert_eq!(a.sha256, sha256_hex(b"alpha"));
    assert_eq!(a.size, 5);
    let path = dir
        .path()
        .join("sha256")
        .join(&a.sha256[..2])
        .join(&a.sha256);
    assert_eq!(std::fs::read(&path).unwrap(), b"alpha");
    assert_eq!(a.uri, format!("file://{}", path.display()));
    assert_eq!(store.put(b"alpha").unwrap(), a);
    store.put(b"beta").unwrap();
    // Two objects, no temp file left behind.
    assert_eq!(files_under(dir.path()).len(), 2);
    assert!(store.exists(&a.sha256).unwrap());
    assert_eq!(store.get(&a.sha256).unwrap(), b"alpha");
}

#[test]
fn reads_never_return_damaged_or_missing_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let store = ArtifactStore::open(Some(&url), std::path::Path::new("/unused"), None).unwrap();
    let a = store.put(b"genuine bytes").unwrap();
    let path = dir
        .path()
        .join("sha256")
        .join(&a.sha256[..2])
        .join(&a.sha256);
    std::fs::write(&path, b"genuine").unwrap();
    assert!(matches!(
        store.get(&a.sha256),
        Err(RegistryError::ArtifactCorrupt { .. })
    ));
    let missing = sha256_hex(b"nothing");
    assert!(!store.exists(&missing).unwrap());
    assert!(matches!(
        store.get(&missing),
        Err(RegistryError::ArtifactMissing { .. })
    ));
    assert!(matches!(
        store.get("../../etc/passwd"),
        Err(RegistryError::Invalid { .. })
    ));
    assert!(ArtifactStore::open(Some("ftp://x/y"), dir.path(), None).is_err());
    assert!(ArtifactStore::open(Some("s3://bucket/p"), dir.path(), None).is_err());
}
