//! `/ngsi-ld/v1/entityOperations/*` (clauses 6.14-6.17, 6.23, 6.31): batch create, upsert,
//! update, delete and merge with BatchOperationResult (clause 5.2.16), and POST query.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use http::StatusCode;
use ngsi::NgsiError;
use ngsi::payload::{EntityBody, parse_entity};
use serde_json::{Value, json};
use store::{Op, OpResult, Outcome, UpsertMode};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{JsonBody, Params};
use crate::{entities, filters, respond};

/// One entity of a batch: its op, or the error that kept it from becoming one.
type Item = (String, Result<Op, NgsiError>);

fn items(
    body: &JsonBody,
    state: &AppState,
    make: impl Fn(ngsi::patch::EntityPatch) -> Op,
    kind: EntityBody,
) -> Result<Vec<Item>, NgsiError> {
    let list = body
        .body
        .as_array()
        .ok_or_else(|| NgsiError::bad_data("a batch body must be a JSON array of entities"))?;
    if list.is_empty() {
        return Err(NgsiError::bad_data("a batch body must not be empty"));
    }
    if list.len() > state.limits.max_batch {
        return Err(NgsiError::bad_data(format!(
            "a batch may hold at most {} entities, this one has {}",
            state.limits.max_batch,
            list.len()
        )));
    }
    Ok(list
        .iter()
        .map(|e| {
            let id = e
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if e.is_null() {
                return (id, Err(NgsiError::bad_data("a batch entry is null")));
            }
            (id, parse_entity(e, &body.ngsi.ctx, kind, None).map(&make))
        })
        .collect())
}

/// Runs the valid ops in one commit and pairs every entry with its result, in input order.
async fn run(
    state: &AppState,
    tenant: &str,
    items: Vec<Item>,
) -> Result<Vec<(String, OpResult)>, NgsiError> {
    let mut ops = Vec::new();
    let mut slots = Vec::with_capacity(items.len());
    for (id, op) in items {
        match op {
            Ok(op) => {
                slots.push((id, None));
                ops.push(op);
            }
            Err(e) => slots.push((id, Some(Err(e)))),
        }
    }
    let mut results = state.store.apply(tenant, ops).await?.into_iter();
    Ok(slots
        .into_iter()
        .map(|(id, r)| {
            (
                id,
                r.unwrap_or_else(|| {
                    results
                        .next()
                        .unwrap_or_else(|| Err(NgsiError::internal("missing batch result")))
                }),
            )
        })
        .collect())
}

fn batch_result(results: &[(String, OpResult)], ngsi: &crate::extract::Ngsi) -> Response {
    let success: Vec<&str> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(id, _)| id.as_str())
        .collect();
    let errors: Vec<Value> = results
        .iter()
        .filter_map(|(id, r)| {
            r.as_ref()
                .err()
                .map(|e| json!({ "entityId": id, "error": e.problem_details() }))
        })
        .collect();
    let body = json!({ "success": success, "errors": errors });
    let mut resp = respond::json(
        StatusCode::MULTI_STATUS,
        serde_json::to_vec(&body).unwrap_or_default(),
        ngsi,
    );
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

fn created_ids(results: &[(String, OpResult)]) -> Vec<&str> {
    results
        .iter()
        .filter(|(_, r)| matches!(r, Ok(Outcome::Created)))
        .map(|(id, _)| id.as_str())
        .collect()
}

fn ids_response(ids: Vec<&str>, ngsi: &crate::extract::Ngsi) -> Response {
    let mut resp = respond::json(
        StatusCode::CREATED,
        serde_json::to_vec(&ids).unwrap_or_default(),
        ngsi,
    );
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// POST /entityOperations/create (clause 6.14.3.1).
pub async fn create(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    Params::parse(q.as_deref(), &["local"])?;
    let items = items(&body, &state, Op::Create, EntityBody::Complete)?;
    let results = run(&state, &body.ngsi.tenant, items).await?;
    if results.iter().all(|(_, r)| r.is_ok()) {
        return Ok(ids_response(
            results.iter().map(|(id, _)| id.as_str()).collect(),
            &body.ngsi,
        ));
    }
    Ok(batch_result(&results, &body.ngsi))
}

/// POST /entityOperations/upsert (clause 6.15.3.1).
pub async fn upsert(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), &["options", "local"])?;
    let mode = match p.list("options").unwrap_or_default().as_slice() {
        [] | ["replace"] => UpsertMode::Replace,
        ["update"] => UpsertMode::Update,
        other => {
            return Err(NgsiError::bad_data(format!(
                "options {other:?} not allowed: use replace or update"
            ))
            .into());
        }
    };
    let items = items(&body, &state, |e| Op::Upsert(e, mode), EntityBody::Complete)?;
    let results = run(&state, &body.ngsi.tenant, items).await?;
    if results.iter().any(|(_, r)| r.is_err()) {
        return Ok(batch_result(&results, &body.ngsi));
    }
    let created = created_ids(&results);
    if created.is_empty() {
        return Ok(respond::no_content());
    }
    Ok(ids_response(created, &body.ngsi))
}

/// POST /entityOperations/update (clause 6.16.3.1).
pub async fn update(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), &["options", "local"])?;
    let overwrite = match p.list("options").unwrap_or_default().as_slice() {
        [] => true,
        ["noOverwrite"] => false,
        other => {
            return Err(NgsiError::bad_data(format!(
                "options {other:?} not allowed: only noOverwrite"
            ))
            .into());
        }
    };
    let items = items(
        &body,
        &state,
        |entity| Op::Append { entity, overwrite },
        EntityBody::WithId,
    )?;
    let mut results = run(&state, &body.ngsi.tenant, items).await?;
    // An entity whose attributes were all left alone (noOverwrite) is not a success.
    for (_, r) in &mut results {
        if let Ok(Outcome::Updated {
            updated,
            not_updated,
        }) = r
            && updated.is_empty()
            && !not_updated.is_empty()
        {
            *r = Err(NgsiError::bad_data(
                "no attribute was updated: every attribute exists and noOverwrite was requested",
            ));
        }
    }
    finish(results, &body.ngsi)
}

/// POST /entityOperations/merge (clause 6.31.3.1).
pub async fn merge(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    Params::parse(q.as_deref(), &["local"])?;
    let items = items(&body, &state, Op::Merge, EntityBody::WithId)?;
    let results = run(&state, &body.ngsi.tenant, items).await?;
    finish(results, &body.ngsi)
}

/// POST /entityOperations/delete (clause 6.17.3.1): the body is an array of entity ids.
pub async fn delete(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    Params::parse(q.as_deref(), &["local"])?;
    let list = body
        .body
        .as_array()
        .ok_or_else(|| NgsiError::bad_data("the body must be a JSON array of entity ids"))?;
    if list.is_empty() || list.len() > state.limits.max_batch {
        return Err(NgsiError::bad_data(format!(
            "the batch must hold 1 to {} entity ids",
            state.limits.max_batch
        ))
        .into());
    }
    let items: Vec<Item> = list
        .iter()
        .map(|v| match v.as_str() {
            Some(id) if ngsi::payload::is_uri(id) => {
                (id.to_string(), Ok(Op::Delete { id: id.into() }))
            }
            Some(id) => (
                id.to_string(),
                Err(NgsiError::bad_data(format!(
                    "entity id {id:?} is not a URI"
                ))),
            ),
            None => (
                v.to_string(),
                Err(NgsiError::bad_data("entity ids must be strings")),
            ),
        })
        .collect();
    let results = run(&state, &body.ngsi.tenant, items).await?;
    finish(results, &body.ngsi)
}

fn finish(results: Vec<(String, OpResult)>, ngsi: &crate::extract::Ngsi) -> ApiResult {
    if results.iter().all(|(_, r)| r.is_ok()) {
        return Ok(respond::no_content());
    }
    Ok(batch_result(&results, ngsi))
}

/// POST /entityOperations/query (clause 6.23.3.1).
pub async fn query(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    let p = Params::parse(
        q.as_deref(),
        &[
            "limit", "offset", "count", "options", "format", "local", "lang",
        ],
    )?;
    let ngsi = &body.ngsi;
    let eq = filters::query_from_body(&body.body, &p, &ngsi.ctx, &state.limits)?;
    let shape = respond::shape(
        &filters::body_shape_params(&body.body, &p)?,
        &ngsi.ctx,
        ngsi.accept,
    )?;
    let page = state.store.query(&ngsi.tenant, &eq).await?;
    let out = entities::list_body(&page.entities, &shape, ngsi);
    let mut resp = respond::json(StatusCode::OK, out, ngsi);
    filters::page_headers(
        resp.headers_mut(),
        &eq,
        &page,
        crate::ENTITY_QUERY_PATH,
        q.as_deref(),
    );
    Ok(resp)
}
