//! API-key authentication and role checks, as a per-route middleware.
//!
//! The key comes in `Authorization: Bearer <key>` or `X-Api-Key: <key>`.
//! No key, or a key the store does not know (or revoked): 401. A valid key
//! whose role is below the route's: 403. The caller's identity is left on
//! the request for handlers (the registry audit names `key:<id>`).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use vigie_decisions::Role;

use crate::config::AuthMode;
use crate::error::ApiError;
use crate::state::{Shared, blocking};

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The key's id (`None` with authentication disabled).
    pub key_id: Option<String>,
    /// The key's role.
    pub role: Role,
}

impl Caller {
    /// The registry actor: `key:<id>`, or `user:anonymous` without auth.
    pub fn actor(&self) -> String {
        match &self.key_id {
            Some(id) => format!("key:{id}"),
            None => "user:anonymous".into(),
        }
    }
}

/// The key a request presents, if any.
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let text = value.to_str().ok()?;
        let (scheme, key) = text.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| key.trim());
    }
    headers.get("x-api-key")?.to_str().ok().map(str::trim)
}

/// The middleware: admits the request when its key's role allows
/// `required`.
pub async fn require(
    State((state, required)): State<(Shared, Role)>,
    mut request: Request,
    next: Next,
) -> Response {
    match authenticate(&state, request.headers(), required).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

async fn authenticate(
    state: &Shared,
    headers: &HeaderMap,
    required: Role,
) -> Result<Caller, ApiError> {
    if state.config.auth == AuthMode::Disabled {
        return Ok(Caller {
            key_id: None,
            role: Role::Admin,
        });
    }
    let Some(secret) = presented_key(headers).filter(|k| !k.is_empty()) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing_api_key",
            "send an API key: Authorization: Bearer <key> (or X-Api-Key)",
        ));
    };
    let keys = state.services.keys.clone();
    let secret = secret.to_string();
    // Verified keys are cached by the key store; the first check of a key
    // may hit the database, hence the blocking pool.
    let info = blocking(move || keys.verify(&secret))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::unavailable("key_store", &e))?;
    let Some(info) = info else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            "the API key is unknown or revoked",
        ));
    };
    if !info.role.allows(required) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "this route needs the {} role; the key has the {} role",
                required.as_str(),
                info.role.as_str()
            ),
        ));
    }
    Ok(Caller {
        key_id: Some(info.id),
        role: info.role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn keys_are_read_from_either_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(presented_key(&headers), None);
        headers.insert("x-api-key", HeaderValue::from_static("vk_a_b"));
        assert_eq!(presented_key(&headers), Some("vk_a_b"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer vk_c_d"),
        );
        assert_eq!(presented_key(&headers), Some("vk_c_d"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic xyz"));
        assert_eq!(presented_key(&headers), None);
    }
}
