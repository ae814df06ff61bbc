//! `GET /livez`, `GET /readyz`, `GET /metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use vigie_decisions::WriterHealth;

use crate::error::ApiError;
use crate::state::Shared;

/// The process is up.
pub async fn livez() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// The server can decide and log: a champion is loaded and the decision
/// log's writer is healthy.
pub async fn readyz(State(state): State<Shared>) -> Response {
    let health = state.services.writer.health();
    let champion = state.services.engine.champion().reference.clone();
    let ready = health == WriterHealth::Healthy;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "champion": champion,
        "decision_log": health,
    });
    (status, Json(body)).into_response()
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<Shared>) -> Result<Response, ApiError> {
    let stats = state.services.writer.stats();
    let m = &state.metrics;
    m.log_queue_depth
        .set(i64::try_from(stats.pending).unwrap_or(i64::MAX));
    m.log_failures.set(stats.failures);
    m.log_written.set(stats.written);
    let text = m.encode().map_err(|e| ApiError::internal(&e))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
