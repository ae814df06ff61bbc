//! Errors: [`ServerError`] for starting and running the server, [`ApiError`]
//! for what a request is answered. Every error answer is JSON
//! `{"error": {"code": "stable_code", "message": "..."}}`; messages never
//! carry internals (driver messages, paths) nor card numbers: those go to
//! the log.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Failures of the server itself.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The server could not be set up.
    #[error("cannot start the server: {0}")]
    Startup(String),
    /// The listening socket failed.
    #[error("socket error: {0}")]
    Io(#[from] std::io::Error),
    /// The model registry failed.
    #[error("registry: {0}")]
    Registry(#[from] vigie_registry::RegistryError),
    /// The engine failed.
    #[error("engine: {0}")]
    Engine(#[from] vigie_engine::EngineError),
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
}

/// An error answer: an HTTP status, a stable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Stable snake_case code clients can match on.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
}

/// The JSON body of an error answer.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// The error.
    pub error: ErrorDetail<'a>,
}

/// The `error` object.
#[derive(Debug, Serialize)]
pub struct ErrorDetail<'a> {
    /// Stable code.
    pub code: &'a str,
    /// Message.
    pub message: &'a str,
}

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// 400 with `code`.
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404 with `code`.
    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 500 `internal`: the cause is logged, the client only learns that the
    /// server failed.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to handle the request; the cause is in its log",
        )
    }

    /// 503 `unavailable` for a dependency that failed; the cause is logged.
    pub fn unavailable(what: &str, cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, dependency = what, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{what}_unavailable"),
            format!("the {} is unavailable; retry later", what.replace('_', " ")),
        )
    }

    /// The JSON body.
    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody {
            error: ErrorDetail {
                code: &self.code,
                message: &self.message,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}

/// The code of an error answer, left on the response for the metrics layer.
#[derive(Debug, Clone)]
pub struct ErrorCode(pub String);

/// A registry error as an answer.
pub fn registry_error(e: vigie_registry::RegistryError) -> ApiError {
    use vigie_registry::RegistryError as E;
    match e {
        E::ModelNotFound { .. } => ApiError::not_found("model_not_found", e.to_string()),
        E::VersionNotFound { .. } => ApiError::not_found("version_not_found", e.to_string()),
        E::AliasNotFound { .. } => ApiError::not_found("alias_not_found", e.to_string()),
        E::Invalid { .. } => ApiError::bad_request("invalid_name", e.to_string()),
        other => ApiError::unavailable("registry", &other),
    }
}
