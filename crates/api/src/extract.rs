//! Extractors that read a request the NGSI-LD way and turn every malformed part into
//! ProblemDetails: the tenant header, the Accept header, the @context (Link header or body),
//! the JSON body with its size cap and media type, and URL query parameters (decoded once,
//! unknown names rejected).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use http::request::Parts;
use http::{HeaderMap, Method, header};
use ngsi::context::{CompiledContext, ContextResolver};
use ngsi::{ErrorKind, NgsiError};
use serde_json::Value;

use crate::AppState;
use crate::error::ApiError;

/// The header naming the tenant (clause 6.3.14).
pub const TENANT_HEADER: &str = "NGSILD-Tenant";

/// The media type of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Json,
    JsonLd,
    GeoJson,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::JsonLd => "application/ld+json",
            Self::GeoJson => "application/geo+json",
        }
    }
}

/// The tenant a request addresses; "" is the default tenant.
pub fn tenant(headers: &HeaderMap) -> Result<String, NgsiError> {
    let Some(v) = headers.get(TENANT_HEADER) else {
        return Ok(String::new());
    };
    let t = v
        .to_str()
        .map_err(|_| NgsiError::bad_data("the NGSILD-Tenant header is not valid text"))?
        .trim();
    let valid = !t.is_empty()
        && t.len() <= 64
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid {
        return Err(NgsiError::bad_data(format!(
            "tenant {t:?} is not valid: 1-64 characters of letters, digits, '_', '-' or '.'"
        )));
    }
    Ok(t.to_string())
}

/// Chooses the response media type from the Accept header (clause 6.3.4). `geo` says whether
/// the endpoint can answer GeoJSON.
pub fn negotiate(headers: &HeaderMap, geo: bool) -> Result<MediaType, NgsiError> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(MediaType::Json);
    };
    let mut best: Option<(f32, usize, MediaType)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .next()
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let candidates: &[MediaType] = match mime.as_str() {
            "application/json" => &[MediaType::Json],
            "application/ld+json" => &[MediaType::JsonLd],
            "application/geo+json" if geo => &[MediaType::GeoJson],
            "*/*" | "application/*" => &[MediaType::Json],
            _ => &[],
        };
        for (rank, m) in candidates.iter().enumerate() {
            let order = [MediaType::Json, MediaType::JsonLd, MediaType::GeoJson]
                .iter()
                .position(|x| x == m)
                .unwrap_or(3)
                + rank;
            if best.is_none_or(|(bq, bo, _)| q > bq || (q == bq && order < bo)) {
                best = Some((q, order, *m));
            }
        }
    }
    best.map(|(_, _, m)| m).ok_or_else(|| {
        let offered = if geo {
            "application/json, application/ld+json, application/geo+json"
        } else {
            "application/json, application/ld+json"
        };
        NgsiError::new(
            ErrorKind::NotAcceptable,
            format!(
                "none of the accepted media types ({accept}) is available; available: {offered}"
            ),
        )
    })
}

/// The @context URL of the JSON-LD Link header, if any.
fn link_context(headers: &HeaderMap) -> Result<Option<String>, NgsiError> {
    let mut found = None;
    for v in headers.get_all(header::LINK) {
        let text = v
            .to_str()
            .map_err(|_| NgsiError::bad_data("the Link header is not valid text"))?;
        if let Some(url) = ContextResolver::context_url_from_link(text)? {
            if found.is_some() {
                return Err(NgsiError::bad_data(
                    "more than one JSON-LD @context Link header",
                ));
            }
            found = Some(url);
        }
    }
    Ok(found)
}

/// Resolves the context a GET/DELETE (or application/json body) request names in its Link header.
pub async fn link_resolved(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Arc<CompiledContext>, NgsiError> {
    match link_context(headers)? {
        None => Ok(state.contexts.core()),
        Some(url) => match state.contexts.cached_url(&url) {
            Some(c) => Ok(c),
            None => state.contexts.resolve(&Value::String(url)).await,
        },
    }
}

/// What every NGSI-LD request carries: tenant, response type and @context.
pub struct Ngsi {
    pub tenant: String,
    pub accept: MediaType,
    pub ctx: Arc<CompiledContext>,
    pub headers: HeaderMap,
}

impl<S> FromRequestParts<S> for Ngsi
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = &AppState::from_ref(state);
        let geo = parts.method == Method::GET;
        Ok(Ngsi {
            tenant: tenant(&parts.headers)?,
            accept: negotiate(&parts.headers, geo)?,
            ctx: link_resolved(state, &parts.headers).await?,
            headers: parts.headers.clone(),
        })
    }
}

/// A JSON request body with its @context resolved per clause 6.3.5.
pub struct JsonBody {
    pub ngsi: Ngsi,
    pub body: Value,
}

fn content_type(headers: &HeaderMap) -> Result<MediaType, NgsiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" | "application/merge-patch+json" => Ok(MediaType::Json),
        "application/ld+json" => Ok(MediaType::JsonLd),
        "" => Err(NgsiError::new(
            ErrorKind::UnsupportedMediaType,
            "the request has a body but no Content-Type; use application/json or application/ld+json",
        )),
        other => Err(NgsiError::new(
            ErrorKind::UnsupportedMediaType,
            format!(
                "Content-Type {other} is not supported; use application/json or application/ld+json"
            ),
        )),
    }
}

async fn read_body(
    body: Body,
    limit: usize,
    headers: &HeaderMap,
) -> Result<bytes::Bytes, NgsiError> {
    let too_large = || {
        NgsiError::new(
            ErrorKind::PayloadTooLarge,
            format!("the request body is larger than the {limit}-byte limit"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let is_limit =
            std::error::Error::source(&e).is_some_and(|s| s.to_string().contains("length limit"));
        if is_limit || e.to_string().contains("length limit") {
            too_large()
        } else {
            NgsiError::invalid(format!("cannot read the request body: {e}"))
        }
    })
}

impl<S> FromRequest<S> for JsonBody
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let state = &AppState::from_ref(state);
        let (mut parts, body) = req.into_parts();
        let media = content_type(&parts.headers)?;
        let tenant = tenant(&parts.headers)?;
        let accept = negotiate(&parts.headers, false)?;
        let bytes = read_body(body, state.limits.max_body_bytes, &parts.headers).await?;
        let body: Value = serde_json::from_slice(&bytes)
            .map_err(|e| NgsiError::invalid(format!("the request body is not valid JSON: {e}")))?;
        let ctx = match media {
            MediaType::JsonLd => body_context(state, &parts.headers, &body).await?,
            _ => {
                if has_context_member(&body) {
                    return Err(NgsiError::bad_data("an application/json body must not contain @context: send it in a Link header, or use application/ld+json").into());
                }
                link_resolved(state, &parts.headers).await?
            }
        };
        let headers = std::mem::take(&mut parts.headers);
        Ok(JsonBody {
            ngsi: Ngsi {
                tenant,
                accept,
                ctx,
                headers,
            },
            body,
        })
    }
}

/// A JSON body read with the size cap and media-type check, but without NGSI-LD @context rules
/// (for documents that are not entities, such as a @context to host).
pub struct RawJson(pub Value);

impl<S> FromRequest<S> for RawJson
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let (parts, body) = req.into_parts();
        content_type(&parts.headers)?;
        let bytes = read_body(body, state.limits.max_body_bytes, &parts.headers).await?;
        let value = serde_json::from_slice(&bytes)
            .map_err(|e| NgsiError::invalid(format!("the request body is not valid JSON: {e}")))?;
        Ok(RawJson(value))
    }
}

fn has_context_member(body: &Value) -> bool {
    match body {
        Value::Object(o) => o.contains_key("@context"),
        Value::Array(a) => a
            .iter()
            .any(|x| x.as_object().is_some_and(|o| o.contains_key("@context"))),
        _ => false,
    }
}

async fn body_context(
    state: &AppState,
    headers: &HeaderMap,
    body: &Value,
) -> Result<Arc<CompiledContext>, NgsiError> {
    if link_context(headers)?.is_some() {
        return Err(NgsiError::bad_data(
            "a JSON-LD Link header is not allowed with Content-Type application/ld+json: put @context in the body",
        ));
    }
    let ctx = match body {
        Value::Object(o) => o.get("@context"),
        // Batch bodies: every entity carries its @context; the first one is used for all (they
        // are required to agree).
        Value::Array(a) => a.first().and_then(|e| e.get("@context")),
        _ => None,
    };
    let ctx = ctx
        .ok_or_else(|| NgsiError::bad_data("an application/ld+json body must contain @context"))?;
    if let Some(url) = ctx.as_str()
        && let Some(c) = state.contexts.cached_url(url)
    {
        return Ok(c);
    }
    state.contexts.resolve(ctx).await
}

/// URL query parameters, decoded, with unknown names rejected.
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses a raw query string, allowing only `known` parameter names.
    pub fn parse(raw: Option<&str>, known: &[&str]) -> Result<Self, NgsiError> {
        let mut pairs = Vec::new();
        for part in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let k = decode(k)?;
            if !known.contains(&k.as_str()) {
                return Err(NgsiError::bad_data(format!(
                    "unknown query parameter {k:?}; this endpoint accepts: {}",
                    known.join(", ")
                )));
            }
            if pairs.iter().any(|(x, _): &(String, String)| *x == k) {
                return Err(NgsiError::bad_data(format!(
                    "query parameter {k:?} is given more than once"
                )));
            }
            pairs.push((k, decode(v)?));
        }
        Ok(Self { pairs })
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A comma-separated list parameter.
    pub fn list(&self, name: &str) -> Option<Vec<&str>> {
        self.get(name).map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
    }

    /// Whether `options` (or `format`) includes `flag`.
    pub fn option(&self, flag: &str) -> bool {
        self.list("options").is_some_and(|l| l.contains(&flag))
    }

    pub fn bool(&self, name: &str) -> Result<bool, NgsiError> {
        match self.get(name) {
            None => Ok(false),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(v) => Err(NgsiError::bad_data(format!(
                "{name} must be true or false, not {v:?}"
            ))),
        }
    }

    pub fn usize(&self, name: &str) -> Result<Option<usize>, NgsiError> {
        self.get(name)
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    NgsiError::bad_data(format!("{name} must be a non-negative integer, not {v:?}"))
                })
            })
            .transpose()
    }
}

fn decode(s: &str) -> Result<String, NgsiError> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| {
            NgsiError::bad_data(format!(
                "query parameter text {s:?} is not valid percent-encoded UTF-8"
            ))
        })
}
