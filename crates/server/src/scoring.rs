//! Deciding one transaction: parse (ingestion checks) -> claim its
//! `trans_num` -> engine -> decision log -> answer; and the idempotent
//! replay of a transaction decided before.

use std::sync::Arc;

use axum::http::StatusCode;
use vigie_decisions::{DecisionSource, LoggedDecision, SubmitError};
use vigie_engine::{DecisionRecord, EngineError, Scored};
use vigie_types::TransNum;

use crate::api::ScoreResponse;
use crate::error::ApiError;
use crate::inflight::{Claim, wait};
use crate::metrics::ReasonLabels;
use crate::state::{AppState, blocking};
use crate::transaction::TransactionInput;

/// Decides `input`, or answers the decision already made for its
/// `trans_num` (marked `duplicate`).
pub async fn score_one(
    state: &Arc<AppState>,
    input: &TransactionInput,
) -> Result<ScoreResponse, ApiError> {
    let txn = state.parser.parse(input).map_err(|problem| {
        state
            .metrics
            .rejected
            .get_or_create(&ReasonLabels {
                reason: problem.reason.clone(),
            })
            .inc();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            problem.reason,
            problem.message,
        )
    })?;

    let guard = match state.inflight.claim(txn.trans_num) {
        Claim::Owner(guard) => guard,
        Claim::Waiter(slot) => {
            // The same trans_num is being decided by another request right
            // now: answer its decision.
            let first = wait(slot, state.config.limits.duplicate_wait).await;
            return match first {
                Some(record) => Ok(replay_answer(state, &record)),
                None => replay(state, txn.trans_num).await,
            };
        }
    };

    // The card state forgets a trans_num after 30 days of card history (or
    // 512 events), so it cannot alone vouch that a transaction is new: when
    // the filter of decided trans_nums says "maybe", the writer's queue and
    // the log are asked first (see seen.rs).
    if state.seen.may_contain(txn.trans_num)
        && let Some(record) = find_decision(state, txn.trans_num).await?
    {
        drop(guard);
        return Ok(replay_answer(state, &record));
    }

    // The engine call is synchronous and CPU-bound but short (~20 µs with
    // the in-memory card store, measured in docs/serving.md): running it
    // inline costs less than a hop to the blocking pool would.
    let scored = state.services.engine.score(&txn).map_err(engine_error)?;
    let record = match scored {
        Scored::Fresh(record) => Arc::new(*record),
        Scored::Duplicate => {
            drop(guard);
            return replay(state, txn.trans_num).await;
        }
    };
    state.metrics.observe_decision(&record);
    log_decision(state, &record).await?;
    state.seen.insert(record.trans_num);
    guard.publish(Arc::clone(&record));
    tracing::debug!(
        trans_num = %record.trans_num,
        decision = record.decision.as_str(),
        score = record.score,
        "decided"
    );
    Ok(ScoreResponse::from_record(&record, false))
}

/// Hands the decision to the batch writer; when its queue is full, writes
/// it directly so no decision goes unlogged.
async fn log_decision(state: &Arc<AppState>, record: &DecisionRecord) -> Result<(), ApiError> {
    let logged = LoggedDecision::new(record.clone(), DecisionSource::Http);
    match state.services.writer.submit(logged) {
        Ok(()) => Ok(()),
        Err(SubmitError::Backpressure) => {
            tracing::warn!("decision log queue full: writing the decision directly");
            let log = state.services.log.clone();
            let logged = LoggedDecision::new(record.clone(), DecisionSource::Http);
            blocking(move || log.write_batch(&[logged], None))
                .await
                .map_err(|e| ApiError::internal(&e))?
                .map(|_| ())
                .map_err(|e| ApiError::unavailable("decision_log", &e))
        }
        Err(e @ SubmitError::Closed) => Err(ApiError::unavailable("decision_log", &e)),
    }
}

/// The decision already made for `trans_num`: from the writer's queue if
/// it is not written yet, else from the log.
async fn replay(state: &Arc<AppState>, trans_num: TransNum) -> Result<ScoreResponse, ApiError> {
    if let Some(record) = find_decision(state, trans_num).await? {
        return Ok(replay_answer(state, &record));
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "already_applied",
        format!(
            "transaction {trans_num} is already in the card's history but no decision is logged \
             for it (it was part of the warm-up history, or is still being decided)"
        ),
    ))
}

fn replay_answer(state: &AppState, record: &DecisionRecord) -> ScoreResponse {
    state.metrics.duplicates.inc();
    ScoreResponse::from_record(record, true)
}

/// A decision by `trans_num`: pending in the writer, or logged.
pub async fn find_decision(
    state: &Arc<AppState>,
    trans_num: TransNum,
) -> Result<Option<DecisionRecord>, ApiError> {
    if let Some(record) = state.services.writer.pending(&trans_num) {
        return Ok(Some(record));
    }
    let log = state.services.log.clone();
    let stored = blocking(move || log.get(&trans_num))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::unavailable("decision_log", &e))?;
    Ok(stored.map(|s| s.record))
}

fn engine_error(e: EngineError) -> ApiError {
    match e {
        EngineError::Features(_) => ApiError::unavailable("state_store", &e),
        other => ApiError::internal(&other),
    }
}
