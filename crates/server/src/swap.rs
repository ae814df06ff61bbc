//! Hot swap: the served model follows the registry's `champion` and
//! `challenger` aliases without a restart.
//!
//! A background task polls the registry; when an alias names another
//! version, that version's artifact is fetched, verified and decoded, then
//! handed to the engine (`set_champion` / `set_challenger`), which replaces
//! an `Arc`: requests in flight finish with the model they started with, no
//! request fails. The `PUT` alias route runs the same synchronisation at
//! once. Both hold one lock, so an older registry read is never applied
//! after a newer one.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use vigie_engine::{ModelRef, ServingModel};
use vigie_registry::{AliasName, ModelName, ModelVersion, Registry};

use crate::error::ServerError;
use crate::state::{Shared, blocking};

/// The alias whose version decides.
pub const CHAMPION: &str = "champion";
/// The alias whose version scores in shadow.
pub const CHALLENGER: &str = "challenger";

/// Fetches and decodes one registered version (checksum and feature schema
/// verified).
pub fn load_version(
    registry: &Registry,
    version: &ModelVersion,
) -> Result<ServingModel, ServerError> {
    let bytes = registry.fetch_artifact(&version.artifact)?;
    let reference = ModelRef {
        name: version.model.clone(),
        version: u32::try_from(version.version)
            .map_err(|_| ServerError::Startup("version number out of range".into()))?,
    };
    Ok(ServingModel::from_bytes(reference, &bytes)?)
}

/// What the registry's aliases say now, with the models to load.
struct AliasState {
    champion: Option<ServingModel>,
    challenger: Change,
}

enum Change {
    Keep,
    Set(ServingModel),
    Remove,
}

fn read_aliases(
    registry: &Registry,
    model: &str,
    champion_now: u32,
    challenger_now: Option<u32>,
) -> Result<AliasState, ServerError> {
    let name = ModelName::parse(model)?;
    let alias = |text: &str| -> Result<Option<ModelVersion>, ServerError> {
        Ok(registry.alias(&name, &AliasName::parse(text)?)?)
    };
    let champion = match alias(CHAMPION)? {
        Some(v) if v.version != u64::from(champion_now) => Some(load_version(registry, &v)?),
        _ => None,
    };
    let challenger = match (alias(CHALLENGER)?, challenger_now) {
        (Some(v), Some(now)) if v.version == u64::from(now) => Change::Keep,
        (Some(v), _) => Change::Set(load_version(registry, &v)?),
        (None, Some(_)) => Change::Remove,
        (None, None) => Change::Keep,
    };
    Ok(AliasState {
        champion,
        challenger,
    })
}

/// Brings the engine in line with the registry's aliases. Returns whether
/// anything changed.
pub async fn sync_aliases(state: &Shared) -> Result<bool, ServerError> {
    let _serialised = state.swap_lock.lock().await;
    let engine = &state.services.engine;
    let champion_now = engine.champion().reference.version;
    let challenger_now = engine.challenger().map(|c| c.reference.version);
    let registry = Arc::clone(&state.services.registry);
    let model = state.config.model.clone();
    let read =
        blocking(move || read_aliases(&registry, &model, champion_now, challenger_now)).await??;
    let mut changed = false;
    if let Some(champion) = read.champion {
        tracing::info!(
            model = %champion.reference.name,
            from = champion_now,
            to = champion.reference.version,
            "champion swapped"
        );
        engine.set_champion(champion)?;
        changed = true;
    }
    match read.challenger {
        Change::Keep => {}
        Change::Set(challenger) => {
            tracing::info!(
                model = %challenger.reference.name,
                to = challenger.reference.version,
                "challenger swapped"
            );
            engine.set_challenger(Some(challenger))?;
            changed = true;
        }
        Change::Remove => {
            tracing::info!("challenger removed");
            engine.set_challenger(None)?;
            changed = true;
        }
    }
    if changed {
        state.metrics.model_swaps.inc();
        state.publish_models();
    }
    Ok(changed)
}

/// Polls the registry every `interval` until `stop` turns true.
pub async fn poll(state: Shared, interval: Duration, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        if let Err(e) = sync_aliases(&state).await {
            tracing::warn!(error = %e, "cannot follow the registry's aliases; serving the current models");
        }
    }
}
