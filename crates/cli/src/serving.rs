//! What the serving commands (`serve`, `stream score`, `demo`) share:
//! loading a model by alias from the registry, the rules file and the warm
//! card state.

use std::path::Path;

use anyhow::{Context, Result};
use vigie_engine::{ServingModel, rules::RuleSet, rules::RulesConfig};
use vigie_features::MemoryStateStore;
use vigie_registry::{AliasName, ModelName, ModelVersion, Registry};

use crate::UnusableInput;

/// The version an alias names and its serving model, or `None` when the
/// alias is not set.
pub fn load_alias(
    registry: &Registry,
    model: &ModelName,
    alias: &str,
) -> Result<Option<(ModelVersion, ServingModel)>> {
    let alias = AliasName::parse(alias).map_err(|e| UnusableInput(e.to_string()))?;
    let Some(version) = registry.alias(model, &alias)? else {
        return Ok(None);
    };
    let serving = load_version(registry, &version)?;
    Ok(Some((version, serving)))
}

/// Fetches and decodes one registered version (its artifact's checksum and
/// feature schema are verified): the server's own loader, with the version
/// named in the error.
pub fn load_version(registry: &Registry, version: &ModelVersion) -> Result<ServingModel> {
    vigie_server::load_version(registry, version)
        .with_context(|| format!("loading {} version {}", version.model, version.version))
}

/// The rules in `path`, or the built-in defaults.
pub fn load_rules(path: Option<&Path>) -> Result<RuleSet> {
    let Some(path) = path else {
        return Ok(RuleSet::defaults()?);
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| UnusableInput(format!("{}: {e}", path.display())))?;
    RulesConfig::from_toml(&text)
        .and_then(|config| config.build())
        .map_err(|e| UnusableInput(format!("{}: {e}", path.display())).into())
}

/// Card states from a snapshot (`vigie features --state-out`, or the one
/// `vigie train` leaves in `<data-dir>/features/`), or empty.
pub fn warm_state(snapshot: Option<&Path>) -> Result<MemoryStateStore> {
    match snapshot {
        Some(path) => MemoryStateStore::load_snapshot(path)
            .with_context(|| format!("loading card states from {}", path.display())),
        None => Ok(MemoryStateStore::default()),
    }
}
