//! `POST /v1/score` and `POST /v1/score/batch`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::api::{BatchItem, BatchRequest, BatchResponse, ScoreResponse};
use crate::error::{ApiError, ErrorBody, ErrorDetail};
use crate::json::ApiJson;
use crate::scoring::score_one;
use crate::state::Shared;
use crate::transaction::TransactionInput;

/// Decides one transaction.
pub async fn score(
    State(state): State<Shared>,
    ApiJson(input): ApiJson<TransactionInput>,
) -> Result<Json<ScoreResponse>, ApiError> {
    score_one(&state, &input).await.map(Json)
}

/// Decides up to the configured number of transactions, in order; each
/// item is a decision or that item's error.
pub async fn score_batch(
    State(state): State<Shared>,
    ApiJson(batch): ApiJson<BatchRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = state.config.limits.batch_size;
    if batch.transactions.len() > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!(
                "a batch holds at most {limit} transactions; this one has {}",
                batch.transactions.len()
            ),
        ));
    }
    let mut outcomes = Vec::with_capacity(batch.transactions.len());
    for input in &batch.transactions {
        outcomes.push(score_one(&state, input).await);
    }
    let results = outcomes
        .iter()
        .map(|outcome| match outcome {
            Ok(answer) => BatchItem::Decided(answer.clone()),
            Err(e) => BatchItem::Failed(ErrorBody {
                error: ErrorDetail {
                    code: &e.code,
                    message: &e.message,
                },
            }),
        })
        .collect();
    let body =
        serde_json::to_value(BatchResponse { results }).map_err(|e| ApiError::internal(&e))?;
    Ok(Json(body))
}
