//! Registered models, their immutable numbered versions and their aliases.
//!
//! Versions are numbered 1, 2, 3, ... per model, without gaps, and never change
//! once written (a database trigger refuses updates). An alias names one
//! version at a time; moving it is one transaction with its audit entry.

use std::collections::BTreeMap;

use crate::artifacts::ArtifactRef;
use crate::names::{ModelName, RunId};
use crate::time::UtcMillis;

/// What a new version is made of.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// The model (created on its first version).
    pub model: ModelName,
    /// The run that produced it, if any.
    pub run_id: Option<RunId>,
    /// Its artifact, already stored (see [`crate::Registry::store_artifact`]).
    pub artifact: ArtifactRef,
    /// The hash of the feature schema it was trained on.
    pub feature_schema_hash: String,
    /// Free description.
    pub description: String,
}

/// One immutable version of a model.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelVersion {
    /// The model.
    pub model: String,
    /// The version number (1, 2, ...).
    pub version: u64,
    /// The run that produced it.
    pub run_id: Option<RunId>,
    /// Its artifact.
    pub artifact: ArtifactRef,
    /// The feature schema hash it was trained on.
    pub feature_schema_hash: String,
    /// Free description.
    pub description: String,
    /// When it was registered.
    pub created_at: UtcMillis,
    /// Who registered it.
    pub created_by: String,
}

/// A model as listed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelSummary {
    /// The model's name.
    pub name: String,
    /// When its first version was registered.
    pub created_at: UtcMillis,
    /// How many versions it has.
    pub versions: u64,
    /// Its newest version.
    pub latest_version: Option<u64>,
    /// Its aliases (alias -> version).
    pub aliases: BTreeMap<String, u64>,
}

/// The current holder of an alias.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AliasHolder {
    /// The alias.
    pub alias: String,
    /// The version it names.
    pub version: u64,
    /// When it was last moved.
    pub updated_at: UtcMillis,
    /// Who moved it.
    pub updated_by: String,
}

/// A model with all its versions and aliases.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelDetail {
    /// The model's name.
    pub name: String,
    /// When it was created.
    pub created_at: UtcMillis,
    /// Who created it.
    pub created_by: String,
    /// Every version, oldest first.
    pub versions: Vec<ModelVersion>,
    /// Every alias.
    pub aliases: Vec<AliasHolder>,
}

/// The outcome of moving an alias.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AliasChange {
    /// The model.
    pub model: String,
    /// The alias.
    pub alias: String,
    /// The version it named before (none if it is new).
    pub before: Option<u64>,
    /// The version it names now.
    pub after: u64,
    /// False when it already named that version (nothing written).
    pub changed: bool,
}
