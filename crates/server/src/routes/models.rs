//! `GET /v1/models` and `PUT /v1/models/{name}/aliases/{alias}`.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use vigie_registry::{Actor, AliasChange, AliasName, ModelName, ModelSummary};

use crate::api::{AliasRequest, Serving};
use crate::auth::Caller;
use crate::error::{ApiError, registry_error};
use crate::json::ApiJson;
use crate::state::{AppState, Shared, blocking};
use crate::swap::sync_aliases;

/// `GET /v1/models` answer.
#[derive(Debug, Serialize)]
pub struct ModelsResponse {
    /// What this server decides with now.
    pub serving: Serving,
    /// Every registered model with its aliases.
    pub models: Vec<ModelSummary>,
}

fn serving(state: &AppState) -> Serving {
    Serving {
        champion: state.services.engine.champion().reference.clone(),
        challenger: state
            .services
            .engine
            .challenger()
            .map(|c| c.reference.clone()),
    }
}

/// The models served and registered.
pub async fn list(State(state): State<Shared>) -> Result<Json<ModelsResponse>, ApiError> {
    let registry = Arc::clone(&state.services.registry);
    let models = blocking(move || registry.models())
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(registry_error)?;
    Ok(Json(ModelsResponse {
        serving: serving(&state),
        models,
    }))
}

/// `PUT` alias answer.
#[derive(Debug, Serialize)]
pub struct AliasResponse {
    /// What moved.
    #[serde(flatten)]
    pub change: AliasChange,
    /// What this server decides with now (already swapped).
    pub serving: Serving,
}

/// Moves an alias in the registry (audited as `key:<id>`), then swaps the
/// served model at once when it is this server's champion or challenger.
pub async fn set_alias(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path((name, alias)): Path<(String, String)>,
    ApiJson(request): ApiJson<AliasRequest>,
) -> Result<Json<AliasResponse>, ApiError> {
    let model = ModelName::parse(&name).map_err(registry_error)?;
    let alias = AliasName::parse(&alias).map_err(registry_error)?;
    let actor = Actor::parse(&caller.actor()).map_err(registry_error)?;
    let registry = Arc::clone(&state.services.registry);
    let change = blocking(move || registry.set_alias(&model, &alias, request.version, &actor))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(registry_error)?;
    tracing::info!(
        model = %change.model,
        alias = %change.alias,
        before = ?change.before,
        after = change.after,
        actor = %caller.actor(),
        "alias moved"
    );
    if change.model == state.config.model {
        sync_aliases(&state)
            .await
            .map_err(|e| ApiError::unavailable("model_loading", &e))?;
    }
    Ok(Json(AliasResponse {
        change,
        serving: serving(&state),
    }))
}
