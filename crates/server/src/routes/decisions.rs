//! `GET /v1/decisions/{trans_num}` and `POST /v1/feedback`.

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use vigie_decisions::{DecisionError, Feedback};
use vigie_types::{Label, TransNum};

use crate::api::{DecisionView, FeedbackLabel, FeedbackRequest, RecordView};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::{Shared, blocking};

fn parse_trans_num(text: &str) -> Result<TransNum, ApiError> {
    text.parse::<TransNum>().map_err(|_| {
        ApiError::bad_request(
            "invalid_trans_num",
            "trans_num must be 32 hexadecimal digits",
        )
    })
}

fn label_text(label: Label) -> &'static str {
    if label.is_fraud() { "fraud" } else { "legit" }
}

/// A decision, with its label if feedback was given.
pub async fn get_decision(
    State(state): State<Shared>,
    Path(trans_num): Path<String>,
) -> Result<Json<DecisionView>, ApiError> {
    let trans_num = parse_trans_num(&trans_num)?;
    if let Some(record) = state.services.writer.pending(&trans_num) {
        return Ok(Json(DecisionView {
            record: RecordView::from(&record),
            source: "pending".into(),
            logged_at: None,
            label: None,
        }));
    }
    let log = state.services.log.clone();
    let stored = blocking(move || log.get(&trans_num))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::unavailable("decision_log", &e))?
        .ok_or_else(|| {
            ApiError::not_found(
                "decision_not_found",
                format!("no decision is logged for transaction {trans_num}"),
            )
        })?;
    Ok(Json(DecisionView {
        record: RecordView::from(&stored.record),
        source: stored.source.as_str().into(),
        logged_at: Some(stored.logged_at.0),
        label: stored.label.map(|f| label_text(f.label).to_string()),
    }))
}

/// What recording feedback answers.
#[derive(Debug, Serialize)]
pub struct FeedbackResponse {
    /// The transaction.
    pub trans_num: TransNum,
    /// The label now in force.
    pub label: FeedbackLabel,
    /// The label before, if any.
    pub previous: Option<&'static str>,
    /// Whether the label changed.
    pub changed: bool,
}

/// Records a confirmed label for a decided transaction.
pub async fn feedback(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    ApiJson(request): ApiJson<FeedbackRequest>,
) -> Result<Json<FeedbackResponse>, ApiError> {
    let trans_num = parse_trans_num(&request.trans_num)?;
    // A decision still in the writer's queue must be logged before its
    // label can refer to it.
    if state.services.writer.pending(&trans_num).is_some() {
        let writer = state.services.writer.clone();
        blocking(move || writer.flush())
            .await
            .map_err(|e| ApiError::internal(&e))?
            .map_err(|e| ApiError::unavailable("decision_log", &e))?;
    }
    let label = match request.label {
        FeedbackLabel::Fraud => Label::Fraud,
        FeedbackLabel::Legit => Label::Legit,
    };
    let feedback = Feedback::now(trans_num, label, request.source, caller.actor());
    let log = state.services.log.clone();
    let outcome = blocking(move || log.record_feedback(&feedback))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| match e {
            DecisionError::UnknownTransaction { .. } => {
                ApiError::not_found("decision_not_found", e.to_string())
            }
            DecisionError::Invalid { .. } => {
                ApiError::bad_request("invalid_feedback", e.to_string())
            }
            other => ApiError::unavailable("decision_log", &other),
        })?;
    Ok(Json(FeedbackResponse {
        trans_num,
        label: request.label,
        previous: outcome.previous.map(label_text),
        changed: outcome.changed,
    }))
}
