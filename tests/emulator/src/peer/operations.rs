//! A peer's operations endpoint (Fabric `core/operations/system.go`): HTTPS with the peer's TLS
//! certificate and, as the operator configures it, no client certificate required. Only
//! `/healthz` is emulated (docs/dev/emulator-peer.md#operations-endpoint).

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The operations routes.
pub fn router() -> Router {
    Router::new()
        .route("/healthz", any(healthz))
        .fallback(not_found)
}

/// fabric-lib-go `healthz.HealthHandler.ServeHTTP`: GET only (405 with no body otherwise), then
/// `{"status":"OK","time":<now>}` with 200 while every registered check passes. The emulated
/// peer registers no failing check.
async fn healthz(method: Method) -> Response {
    if method != Method::GET {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    // Go marshals a time.Time as RFC 3339 with nanoseconds, trailing zeros dropped.
    let now = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let body = json!({"status": "OK", "time": now}).to_string();
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// Go's `http.ServeMux` answer for an unknown path.
async fn not_found() -> Response {
    let mut resp = (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}
