//! `/ngsi-ld/v1/jsonldContexts` (clauses 6.29-6.30): list, serve, add and delete @contexts held
//! by the broker (hosted, cached, implicitly created).

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use ngsi::NgsiError;
use ngsi::context::ContextKind;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Params, RawJson, negotiate};

fn json_response(status: StatusCode, v: &serde_json::Value) -> Response {
    let mut resp = (status, serde_json::to_vec(v).unwrap_or_default()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// GET /jsonldContexts (clause 6.29.3.1).
pub async fn list(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: http::HeaderMap,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), &["details", "kind"])?;
    negotiate(&headers, false)?;
    let kind = p
        .get("kind")
        .map(|k| {
            ContextKind::parse(k).ok_or_else(|| {
                NgsiError::bad_data(format!(
                    "kind {k:?} is not Hosted, Cached or ImplicitlyCreated"
                ))
            })
        })
        .transpose()?;
    Ok(json_response(
        StatusCode::OK,
        &state.contexts.list(p.bool("details")?, kind),
    ))
}

/// POST /jsonldContexts (clause 6.29.3.2): add a hosted @context.
pub async fn add(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    RawJson(body): RawJson,
) -> ApiResult {
    Params::parse(q.as_deref(), &[])?;
    let stored = state.contexts.add_hosted(body).await?;
    let mut resp = StatusCode::CREATED.into_response();
    if let Ok(v) = HeaderValue::from_str(&stored.url) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// GET /jsonldContexts/{id} (clause 6.30.3.1).
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), &["details"])?;
    Ok(json_response(
        StatusCode::OK,
        &state.contexts.get(&id, p.bool("details")?)?,
    ))
}

/// DELETE /jsonldContexts/{id} (clause 6.30.3.2).
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), &["reload"])?;
    state.contexts.delete(&id, p.bool("reload")?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
