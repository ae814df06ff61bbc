//! The routes: one table saying path, method, required role and handler,
//! from which both the router and the route list the OpenAPI test checks
//! are built. Handlers stay thin: they parse, call a service, shape JSON.

mod decisions;
mod docs;

pub use docs::OPENAPI;
mod health;
mod models;
mod score;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodRouter, get, post, put};
use vigie_decisions::Role;

use crate::auth;
use crate::error::ApiError;
use crate::middleware;
use crate::state::Shared;

/// One route.
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path template, OpenAPI style (`/v1/decisions/{trans_num}`).
    pub path: &'static str,
    /// The role a key needs; `None` for public routes.
    pub role: Option<Role>,
    handler: MethodRouter<Shared>,
}

fn route(
    method: Method,
    path: &'static str,
    role: Option<Role>,
    handler: MethodRouter<Shared>,
) -> Route {
    Route {
        method,
        path,
        role,
        handler,
    }
}

/// Every route the server answers.
pub fn table() -> Vec<Route> {
    use Role::{Admin, Analyst, Scorer};
    vec![
        route(Method::POST, "/v1/score", Some(Scorer), post(score::score)),
        route(
            Method::POST,
            "/v1/score/batch",
            Some(Scorer),
            post(score::score_batch),
        ),
        route(
            Method::GET,
            "/v1/decisions/{trans_num}",
            Some(Analyst),
            get(decisions::get_decision),
        ),
        route(
            Method::POST,
            "/v1/feedback",
            Some(Analyst),
            post(decisions::feedback),
        ),
        route(Method::GET, "/v1/models", Some(Analyst), get(models::list)),
        route(
            Method::PUT,
            "/v1/models/{name}/aliases/{alias}",
            Some(Admin),
            put(models::set_alias),
        ),
        route(Method::GET, "/livez", None, get(health::livez)),
        route(Method::GET, "/readyz", None, get(health::readyz)),
        route(Method::GET, "/metrics", None, get(health::metrics)),
        route(
            Method::GET,
            "/api-docs/openapi.json",
            None,
            get(docs::openapi),
        ),
        route(Method::GET, "/docs", None, get(docs::page)),
    ]
}

/// The (method, path) of every route.
pub fn route_list() -> Vec<(Method, &'static str)> {
    table().into_iter().map(|r| (r.method, r.path)).collect()
}

/// The application: routes with their role checks, then limits, timeout
/// and metrics around everything.
pub fn router(state: Shared) -> Router {
    let mut router = Router::new();
    for r in table() {
        let handler = match r.role {
            Some(role) => r
                .handler
                .route_layer(from_fn_with_state((state.clone(), role), auth::require)),
            None => r.handler,
        };
        router = router.route(r.path, handler);
    }
    let limits = state.config.limits;
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(from_fn_with_state(state.clone(), middleware::timeout))
        .layer(from_fn_with_state(state.clone(), middleware::observe))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such route (the API is described at /docs)")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not answer this method (the API is described at /docs)",
    )
}
