//! The identity of a feature layout, carried by every feature file and every
//! model, so that a model can never be served with features it was not
//! trained on.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A feature layout: the names in order, a version bumped whenever a
/// definition changes, and a hash of both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureSchema {
    /// Feature names, in vector order.
    pub names: Vec<String>,
    /// Version of the definitions.
    pub version: u32,
    /// Hex SHA-256 of the version and the names.
    pub hash: String,
}

impl FeatureSchema {
    /// Builds the schema and its hash.
    pub fn new(version: u32, names: Vec<String>) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"vigie.feature_schema\0");
        hasher.update(version.to_le_bytes());
        for name in &names {
            hasher.update(name.as_bytes());
            hasher.update([0]);
        }
        let hash = hex::encode(hasher.finalize());
        Self {
            names,
            version,
            hash,
        }
    }

    /// The first 12 hex digits of the hash, for display.
    pub fn short_hash(&self) -> &str {
        &self.hash[..12]
    }

    /// Whether `hash` is this schema's hash.
    pub fn matches(&self, hash: &str) -> bool {
        self.hash == hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_version_names_and_order() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        let a = FeatureSchema::new(1, names(&["a", "b"]));
        assert_eq!(a.hash.len(), 64);
        assert_eq!(a, FeatureSchema::new(1, names(&["a", "b"])));
        assert_ne!(a.hash, FeatureSchema::new(2, names(&["a", "b"])).hash);
        assert_ne!(a.hash, FeatureSchema::new(1, names(&["b", "a"])).hash);
        assert_ne!(a.hash, FeatureSchema::new(1, names(&["ab"])).hash);
        assert!(a.matches(&a.hash.clone()));
        assert_eq!(a.short_hash(), &a.hash[..12]);
    }
}
