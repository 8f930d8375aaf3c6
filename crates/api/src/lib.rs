//! The HTTP face of twinisle: the NGSI-LD API routers (`/ngsi-ld/v1/...`) and the operational
//! endpoints. `router(state)` builds the whole app, so tests drive it without a socket.
//!
//! Every failure leaves as RFC 7807 ProblemDetails: handlers return [`error::ApiError`], our own
//! extractors reject malformed input the same way, and [`problems_everywhere`] rewrites the few
//! plain-text errors the framework itself produces (unknown path, wrong method, bad path text).

mod batch;
mod contexts;
mod entities;
pub mod error;
pub mod extract;
pub mod filters;
pub mod metrics;
pub mod openapi;
pub mod respond;
mod types;

use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::{HeaderValue, StatusCode, header};
use ngsi::context::ContextResolver;
use ngsi::{ErrorKind, NgsiError};
use percent_encoding::{AsciiSet, CONTROLS};
use serde::{Deserialize, Serialize};
use store::Store;

/// Base path of the NGSI-LD API.
pub const BASE: &str = "/ngsi-ld/v1";
pub(crate) const ENTITIES_PATH: &str = "/ngsi-ld/v1/entities";
pub(crate) const ENTITY_QUERY_PATH: &str = "/ngsi-ld/v1/entityOperations/query";
/// Characters escaped in an entity id placed in a URL path segment.
pub const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// Bounds on what one request may ask for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest accepted request body in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Page size when a query gives no `limit`.
    pub default_page_size: usize,
    /// Largest `limit` accepted; above it a query gets TooManyResults.
    pub max_page_size: usize,
    /// Most entities in one batch operation.
    pub max_batch: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            default_page_size: 20,
            max_page_size: 1000,
            max_batch: 10_000,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub contexts: Arc<ContextResolver>,
    pub limits: Arc<Limits>,
}

/// The complete HTTP application of the core API (entities, types, contexts, health).
pub fn router(state: AppState) -> Router {
    finish(routes().with_state(state))
}

/// Adds what every twinisle app needs around its routes: ProblemDetails for unknown paths and
/// for the framework's own rejections. Call once, on the fully merged router.
pub fn finish(app: Router) -> Router {
    app.route_layer(axum::middleware::from_fn(metrics::track))
        .fallback(unknown_path)
        .layer(axum::middleware::map_response(problems_everywhere))
        .layer(axum::middleware::from_fn(echo_tenant))
}

/// The core NGSI-LD routes, for merging with the routes of other capabilities.
pub fn routes() -> Router<AppState> {
    let ngsi = Router::new()
        .route(
            "/entities",
            post(entities::create)
                .get(entities::query)
                .delete(entities::purge),
        )
        .route(
            "/entities/{id}",
            get(entities::retrieve)
                .delete(entities::delete)
                .patch(entities::merge)
                .put(entities::replace),
        )
        .route(
            "/entities/{id}/attrs",
            post(entities::append).patch(entities::update),
        )
        .route(
            "/entities/{id}/attrs/{attr}",
            axum::routing::patch(entities::patch_attr)
                .put(entities::replace_attr)
                .delete(entities::delete_attr),
        )
        .route("/entityOperations/create", post(batch::create))
        .route("/entityOperations/upsert", post(batch::upsert))
        .route("/entityOperations/update", post(batch::update))
        .route("/entityOperations/delete", post(batch::delete))
        .route("/entityOperations/merge", post(batch::merge))
        .route("/entityOperations/query", post(batch::query))
        .route("/types", get(types::types))
        .route("/types/{type}", get(types::type_info))
        .route("/attributes", get(types::attributes))
        .route("/attributes/{attr}", get(types::attribute_info))
        .route("/jsonldContexts", get(contexts::list).post(contexts::add))
        .route(
            "/jsonldContexts/{id}",
            get(contexts::get).delete(contexts::delete),
        );
    Router::new().nest(BASE, ngsi).route("/health", get(health))
}

async fn health() -> Response {
    let mut resp = (StatusCode::OK, r#"{"status":"ok"}"#).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Clause 6.3.14: a response to a request naming a tenant names it too.
async fn echo_tenant(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let tenant = req.headers().get(extract::TENANT_HEADER).cloned();
    let mut resp = next.run(req).await;
    if let Some(t) = tenant {
        resp.headers_mut()
            .entry(extract::TENANT_HEADER)
            .or_insert(t);
    }
    resp
}

async fn unknown_path(uri: http::Uri) -> error::ApiError {
    NgsiError::not_found(format!("there is no resource at {}", uri.path())).into()
}

/// Rewrites error responses that are not already JSON (framework rejections) as ProblemDetails.
async fn problems_everywhere(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let kind = match status.as_u16() {
        404 => ErrorKind::ResourceNotFound,
        405 => ErrorKind::MethodNotAllowed,
        406 => ErrorKind::NotAcceptable,
        411 => ErrorKind::LengthRequired,
        413 => ErrorKind::PayloadTooLarge,
        415 => ErrorKind::UnsupportedMediaType,
        400..=499 => ErrorKind::InvalidRequest,
        _ => ErrorKind::InternalError,
    };
    let mut detail = String::from_utf8_lossy(&text).trim().to_string();
    if kind == ErrorKind::MethodNotAllowed {
        let allow = parts
            .headers
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        detail = format!("this resource allows only: {allow}");
    }
    if detail.is_empty() {
        detail = status.canonical_reason().unwrap_or("error").to_string();
    }
    let mut out = error::problem_response(&NgsiError::new(kind, detail));
    *out.status_mut() = status;
    for (k, v) in parts.headers.iter().filter(|(k, _)| *k == header::ALLOW) {
        out.headers_mut().insert(k, v.clone());
    }
    out
}
