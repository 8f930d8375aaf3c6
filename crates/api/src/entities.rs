//! `/ngsi-ld/v1/entities` and below (clauses 6.4-6.8): create, query, retrieve, merge, replace,
//! delete entities and their attributes.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use ngsi::payload::{EntityBody, parse_attribute_value, parse_entity};
use ngsi::{NgsiError, Sym};
use store::{Op, Outcome};

use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, MediaType, Ngsi, Params};
use crate::filters;
use crate::respond::{self, Shape, feature, render_options};
use crate::{AppState, ENTITIES_PATH};

const RETRIEVE_PARAMS: &[&str] = &[
    "attrs",
    "pick",
    "omit",
    "options",
    "format",
    "lang",
    "geometryProperty",
    "local",
    "via",
    "join",
    "joinLevel",
    "containedBy",
    "datasetId",
];

/// Runs one op and returns its outcome, or its error.
pub(crate) async fn apply_one(state: &AppState, tenant: &str, op: Op) -> Result<Outcome, ApiError> {
    let mut results = state.store.apply(tenant, vec![op]).await?;
    Ok(results
        .pop()
        .ok_or_else(|| NgsiError::internal("the store returned no result"))??)
}

pub(crate) fn check_entity_id(id: &str) -> Result<(), NgsiError> {
    if ngsi::payload::is_uri(id) {
        Ok(())
    } else {
        Err(NgsiError::bad_data(format!("entity id {id:?} is not a URI")).with_instance(id))
    }
}

/// POST /entities (clause 6.4.3.1).
pub async fn create(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    Params::parse(q.as_deref(), &["local"])?;
    let patch = parse_entity(&body.body, &body.ngsi.ctx, EntityBody::Complete, None)?;
    let id = patch.id.clone();
    apply_one(&state, &body.ngsi.tenant, Op::Create(patch)).await?;
    let mut resp = respond::no_content();
    *resp.status_mut() = StatusCode::CREATED;
    let location = format!(
        "{ENTITIES_PATH}/{}",
        percent_encoding::utf8_percent_encode(&id, crate::PATH_SEGMENT)
    );
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// GET /entities/{id} (clause 6.5.3.1).
pub async fn retrieve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    ngsi: Ngsi,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), RETRIEVE_PARAMS)?;
    check_entity_id(&id)?;
    let shape = respond::shape(&p, &ngsi.ctx, ngsi.accept)?;
    let entity = match state.store.get(&ngsi.tenant, &id).await {
        Ok(Some(e)) => e,
        Ok(None) => return Err(NgsiError::entity_not_found(&id).into()),
        Err(e) => return Err(e.into()),
    };
    Ok(entity_response(&entity, &shape, &ngsi))
}

fn entity_response(e: &ngsi::Entity, shape: &Shape, ngsi: &Ngsi) -> Response {
    let body = if ngsi.accept == MediaType::GeoJson {
        serde_json::to_vec(&feature(e, shape, &ngsi.ctx)).unwrap_or_default()
    } else {
        ngsi::render::to_vec(e, &render_options(shape, &ngsi.ctx, ngsi.accept))
    };
    respond::json(StatusCode::OK, body, ngsi)
}

/// GET /entities (clause 6.4.3.2).
pub async fn query(State(state): State<AppState>, RawQuery(q): RawQuery, ngsi: Ngsi) -> ApiResult {
    let p = Params::parse(q.as_deref(), filters::QUERY_PARAMS)?;
    let shape = respond::shape(&p, &ngsi.ctx, ngsi.accept)?;
    let eq = filters::entity_query(&p, &ngsi.ctx, &state.limits, true)?;
    let page = state.store.query(&ngsi.tenant, &eq).await?;
    let body = list_body(&page.entities, &shape, &ngsi);
    let mut resp = respond::json(StatusCode::OK, body, &ngsi);
    filters::page_headers(resp.headers_mut(), &eq, &page, ENTITIES_PATH, q.as_deref());
    Ok(resp)
}

pub(crate) fn list_body(entities: &[Arc<ngsi::Entity>], shape: &Shape, ngsi: &Ngsi) -> Vec<u8> {
    if ngsi.accept == MediaType::GeoJson {
        let features: Vec<_> = entities
            .iter()
            .map(|e| feature(e, shape, &ngsi.ctx))
            .collect();
        return serde_json::to_vec(
            &serde_json::json!({ "type": "FeatureCollection", "features": features }),
        )
        .unwrap_or_default();
    }
    let opts = render_options(shape, &ngsi.ctx, ngsi.accept);
    let views: Vec<_> = entities
        .iter()
        .map(|e| ngsi::render::EntityView {
            entity: e,
            opts: &opts,
        })
        .collect();
    serde_json::to_vec(&views).unwrap_or_default()
}

/// DELETE /entities?type=... (Purge Entities, clause 5.6.21).
pub async fn purge(State(state): State<AppState>, RawQuery(q): RawQuery, ngsi: Ngsi) -> ApiResult {
    let p = Params::parse(q.as_deref(), filters::PURGE_PARAMS)?;
    if p.get("type").is_none()
        && p.get("id").is_none()
        && p.get("idPattern").is_none()
        && p.get("q").is_none()
    {
        return Err(NgsiError::bad_data(
            "purging entities needs at least one of type, id, idPattern or q",
        )
        .into());
    }
    let mut eq = filters::entity_query(&p, &ngsi.ctx, &state.limits, false)?;
    eq.limit = usize::MAX;
    let page = state.store.query(&ngsi.tenant, &eq).await?;
    let ops: Vec<Op> = page
        .entities
        .iter()
        .map(|e| Op::Delete { id: e.id.clone() })
        .collect();
    for chunk in ops.chunks(1000) {
        state.store.apply(&ngsi.tenant, chunk.to_vec()).await?;
    }
    Ok(respond::no_content())
}

/// DELETE /entities/{id} (clause 6.5.3.2).
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    ngsi: Ngsi,
) -> ApiResult {
    Params::parse(q.as_deref(), &["type", "local"])?;
    check_entity_id(&id)?;
    apply_one(&state, &ngsi.tenant, Op::Delete { id: id.into() }).await?;
    Ok(respond::no_content())
}

/// PATCH /entities/{id} (Merge Entity, clause 6.5.3.4).
pub async fn merge(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    Params::parse(
        q.as_deref(),
        &["options", "format", "observedAt", "lang", "type", "local"],
    )?;
    check_entity_id(&id)?;
    let patch = parse_entity(&body.body, &body.ngsi.ctx, EntityBody::Fragment, Some(&id))?;
    apply_one(&state, &body.ngsi.tenant, Op::Merge(patch)).await?;
    Ok(respond::no_content())
}

/// PUT /entities/{id} (Replace Entity, clause 6.5.3.3).
pub async fn replace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    Params::parse(q.as_deref(), &["type", "local"])?;
    check_entity_id(&id)?;
    let mut patch = parse_entity(&body.body, &body.ngsi.ctx, EntityBody::Fragment, Some(&id))?;
    if patch.types.is_empty() {
        return Err(NgsiError::bad_data("a replacement entity needs a type").into());
    }
    patch.id = id.into();
    apply_one(&state, &body.ngsi.tenant, Op::Replace(patch)).await?;
    Ok(respond::no_content())
}

/// POST /entities/{id}/attrs (Append Attributes, clause 6.6.3.1).
pub async fn append(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), &["options", "type", "local"])?;
    check_entity_id(&id)?;
    let no_overwrite = match p.list("options").unwrap_or_default().as_slice() {
        [] => false,
        ["noOverwrite"] => true,
        other => {
            return Err(NgsiError::bad_data(format!(
                "unknown options {other:?}: only noOverwrite is allowed here"
            ))
            .into());
        }
    };
    let patch = parse_entity(&body.body, &body.ngsi.ctx, EntityBody::Fragment, Some(&id))?;
    let outcome = apply_one(
        &state,
        &body.ngsi.tenant,
        Op::Append {
            entity: patch,
            overwrite: !no_overwrite,
        },
    )
    .await?;
    Ok(update_result(outcome, &body.ngsi))
}

/// PATCH /entities/{id}/attrs (Update Attributes, clause 6.6.3.2).
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    Params::parse(q.as_deref(), &["type", "local"])?;
    check_entity_id(&id)?;
    let patch = parse_entity(&body.body, &body.ngsi.ctx, EntityBody::Fragment, Some(&id))?;
    let outcome = apply_one(&state, &body.ngsi.tenant, Op::Update(patch)).await?;
    Ok(update_result(outcome, &body.ngsi))
}

/// 204 when every attribute was handled, else 207 with an UpdateResult (clause 5.2.18).
fn update_result(outcome: Outcome, ngsi: &Ngsi) -> Response {
    let Outcome::Updated {
        updated,
        not_updated,
    } = outcome
    else {
        return respond::no_content();
    };
    if not_updated.is_empty() {
        return respond::no_content();
    }
    let compact = |n: &Sym| ngsi.ctx.compact(n).into_owned();
    let body = serde_json::json!({
        "updated": updated.iter().map(compact).collect::<Vec<_>>(),
        "notUpdated": not_updated.iter().map(|n| serde_json::json!({"attributeName": compact(&n.name), "reason": n.reason})).collect::<Vec<_>>(),
    });
    let mut resp = respond::json(
        StatusCode::MULTI_STATUS,
        serde_json::to_vec(&body).unwrap_or_default(),
        ngsi,
    );
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Parses the body of an attribute-level request: the attribute fragment named by the path.
fn attr_fragment(body: &JsonBody, attr: &str) -> Result<ngsi::patch::AttrPatch, NgsiError> {
    ngsi::payload::check_name(attr, "attribute")?;
    let name = body.ngsi.ctx.expand(attr);
    let mut value = body.body.clone();
    if let Some(o) = value.as_object_mut() {
        o.remove("@context");
    }
    let mut out = Vec::new();
    parse_attribute_value(&name, &value, &body.ngsi.ctx, 0, &mut out)?;
    match out.len() {
        1 => Ok(out.remove(0)),
        _ => Err(NgsiError::bad_data(
            "an attribute-level request takes one attribute instance",
        )),
    }
}

/// The shared part of the two attribute-body operations: validate, parse, apply one op.
async fn attr_op(
    state: &AppState,
    (id, attr): (String, String),
    q: Option<&str>,
    body: JsonBody,
    make: fn(std::sync::Arc<str>, ngsi::patch::AttrPatch) -> Op,
) -> ApiResult {
    Params::parse(q, &["type", "local"])?;
    check_entity_id(&id)?;
    let fragment = attr_fragment(&body, &attr)?;
    apply_one(state, &body.ngsi.tenant, make(id.into(), fragment)).await?;
    Ok(respond::no_content())
}

/// PATCH /entities/{id}/attrs/{attrId} (Partial Attribute Update, clause 6.7.3.1).
pub async fn patch_attr(
    State(state): State<AppState>,
    Path(path): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    attr_op(&state, path, q.as_deref(), body, |id, attr| Op::PatchAttr {
        id,
        attr,
    })
    .await
}

/// PUT /entities/{id}/attrs/{attrId} (Replace Attribute, clause 6.7.3.3).
pub async fn replace_attr(
    State(state): State<AppState>,
    Path(path): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    attr_op(&state, path, q.as_deref(), body, |id, attr| {
        Op::ReplaceAttr { id, attr }
    })
    .await
}

/// DELETE /entities/{id}/attrs/{attrId} (Delete Attribute, clause 6.7.3.2).
pub async fn delete_attr(
    State(state): State<AppState>,
    Path((id, attr)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    ngsi: Ngsi,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), &["datasetId", "deleteAll", "type", "local"])?;
    check_entity_id(&id)?;
    ngsi::payload::check_name(&attr, "attribute")?;
    let delete_all = p.bool("deleteAll")?;
    let dataset_id = p
        .get("datasetId")
        .map(|d| {
            if ngsi::payload::is_uri(d) {
                Ok(ngsi::intern(d))
            } else {
                Err(NgsiError::bad_data(format!("datasetId {d:?} is not a URI")))
            }
        })
        .transpose()?;
    if delete_all && dataset_id.is_some() {
        return Err(NgsiError::bad_data("datasetId and deleteAll=true cannot be combined").into());
    }
    let op = Op::DeleteAttr {
        id: id.into(),
        name: ngsi.ctx.expand(&attr),
        dataset_id,
        delete_all,
    };
    apply_one(&state, &ngsi.tenant, op).await?;
    Ok(respond::no_content())
}
