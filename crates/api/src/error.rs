//! The one place where errors become HTTP: an [`NgsiError`] is rendered as RFC 7807
//! ProblemDetails (clause 5.5.3) with the status of clause 6.3.2. Server-side failures are logged
//! with their detail; client errors at debug level.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use ngsi::NgsiError;

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError(pub NgsiError);

impl From<NgsiError> for ApiError {
    fn from(e: NgsiError) -> Self {
        Self(e)
    }
}

/// Result of a handler.
pub type ApiResult<T = Response> = Result<T, ApiError>;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(&self.0)
    }
}

/// Renders an error as a ProblemDetails response.
pub fn problem_response(e: &NgsiError) -> Response {
    if e.status() >= 500 {
        tracing::error!(kind = e.kind.type_name(), detail = %e.detail, "request failed");
    } else {
        tracing::debug!(kind = e.kind.type_name(), detail = %e.detail, "request rejected");
    }
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&e.problem_details()).unwrap_or_default();
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
