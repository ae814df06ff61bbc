//! Vigie's HTTP scoring service (layer L4): `vigie serve`.
//!
//! Routes (see `docs/serving.md` and the OpenAPI document at
//! `/api-docs/openapi.json`): `POST /v1/score`, `POST /v1/score/batch`,
//! `GET /v1/decisions/{trans_num}`, `POST /v1/feedback`, `GET /v1/models`,
//! `PUT /v1/models/{name}/aliases/{alias}`, `GET /livez`, `GET /readyz`,
//! `GET /metrics`, `GET /docs`.
//!
//! A request's transaction goes through the ingestion edge's parser (same
//! checks and reason codes as `vigie ingest`; the card number is tokenised
//! there), then [`vigie_engine::Engine`]; every decision goes to the
//! decision log's batch writer, off the request path. A `trans_num` decided
//! before is answered with its first decision (`"duplicate": true`) and
//! never changes the card's history twice. The served models follow the
//! registry's `champion` / `challenger` aliases without a restart.
//!
//! Embedding: build [`Services`], then [`spawn`] (returns a
//! [`ServerHandle`] with the bound address and `shutdown()`) or [`serve`]
//! (runs until a shutdown future completes).

mod api;
mod auth;
mod config;
mod error;
mod inflight;
mod json;
mod metrics;
mod middleware;
mod routes;
mod scoring;
mod seen;
mod server;
mod state;
mod swap;
mod transaction;

pub use api::{ScoreResponse, Serving};
pub use config::{AuthMode, Limits, ServerConfig};
pub use error::{ApiError, ServerError};
pub use routes::route_list;
pub use server::{ServerHandle, serve, spawn};
pub use state::{AppState, Services};
pub use swap::{CHALLENGER, CHAMPION, load_version, sync_aliases};
pub use transaction::{TransactionInput, TransactionParser};

/// The OpenAPI 3 document served at `/api-docs/openapi.json`.
pub const OPENAPI_DOCUMENT: &str = routes::OPENAPI;
