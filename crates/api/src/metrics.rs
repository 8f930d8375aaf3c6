//! HTTP request metrics: a counter and a latency histogram per route template (never per raw
//! path, which would explode cardinality with entity ids) and status class.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Requests served, by method, route template and status.
pub const HTTP_REQUESTS: &str = "twinisle_http_requests_total";
/// Request latency in seconds, by method and route template.
pub const HTTP_DURATION: &str = "twinisle_http_request_duration_seconds";

/// Records one request's outcome.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!(HTTP_REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    resp
}
