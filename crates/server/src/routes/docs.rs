//! `GET /api-docs/openapi.json` (the OpenAPI 3 document, maintained by hand
//! next to the routes and checked against them by a test) and `GET /docs`
//! (a small self-contained page that renders it: no assets downloaded at
//! build time or at run time).

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

/// The OpenAPI document.
pub const OPENAPI: &str = include_str!("../openapi.json");

const PAGE: &str = include_str!("../docs.html");

/// The OpenAPI document.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// The browsable documentation.
pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}
