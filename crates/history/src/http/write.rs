//! Temporal writes: Create or Update Temporal Evolution (6.18.3.1, clause 5.6.11), Add
//! Attributes (6.20.3.1, 5.6.12), Delete Attribute (6.21.3.1, 5.6.13), Modify and Delete an
//! Attribute instance (6.22.3.1-2, 5.6.14-15), Delete Temporal Evolution (6.19.3.2, 5.6.16).
//! Each is durable before it is answered.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use ngsi::{NgsiError, Sym};
use serde_json::Value;

use api::error::ApiResult;
use api::extract::{JsonBody, Ngsi, Params};

use super::body::{self, TemporalBody};
use super::{TEMPORAL_ENTITIES, TemporalState, check_entity_id, check_tenant};
use crate::catalog::{EntityInfo, SeriesInfo};
use crate::model::{InstKey, SeriesId, parse_instance_id};

fn known(st: &TemporalState, tenant: &str, id: &str) -> Result<EntityInfo, NgsiError> {
    st.history
        .db()
        .catalog
        .read()
        .entity(tenant, id)
        .cloned()
        .ok_or_else(|| NgsiError::entity_not_found(id))
}

async fn insert(st: &TemporalState, tenant: &str, b: TemporalBody) -> Result<(), NgsiError> {
    let tenant = tenant.to_string();
    st.history
        .write(move |db| db.insert_direct(&tenant, &b.id, &b.types, b.attrs))
        .await
}

/// POST /temporal/entities.
pub async fn upsert(
    State(st): State<TemporalState>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    Params::parse(q.as_deref(), &["local"])?;
    let ngsi = &body.ngsi;
    let b = body::parse(&body.body, &ngsi.ctx, None, true, ngsi::time::now())?;
    let existed = known(&st, &ngsi.tenant, &b.id).is_ok();
    let id = b.id.clone();
    insert(&st, &ngsi.tenant, b).await?;
    if existed {
        return Ok(api::respond::no_content());
    }
    let mut resp = api::respond::no_content();
    *resp.status_mut() = StatusCode::CREATED;
    let location = format!(
        "{TEMPORAL_ENTITIES}/{}",
        percent_encoding::utf8_percent_encode(&id, api::PATH_SEGMENT)
    );
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// POST /temporal/entities/{id}/attrs.
pub async fn add_attrs(
    State(st): State<TemporalState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    Params::parse(q.as_deref(), &["local"])?;
    check_entity_id(&id)?;
    let ngsi = &body.ngsi;
    known(&st, &ngsi.tenant, &id)?;
    let b = body::parse(&body.body, &ngsi.ctx, Some(&id), false, ngsi::time::now())?;
    insert(&st, &ngsi.tenant, b).await?;
    Ok(api::respond::no_content())
}

/// DELETE /temporal/entities/{id}.
pub async fn delete_entity(
    State(st): State<TemporalState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    ngsi: Ngsi,
) -> ApiResult {
    Params::parse(q.as_deref(), &["local"])?;
    check_entity_id(&id)?;
    check_tenant(&st, &ngsi.tenant)?;
    let e = known(&st, &ngsi.tenant, &id)?;
    let series: Vec<SeriesId> = e.series.iter().map(|s| s.id).collect();
    let tenant = ngsi.tenant.clone();
    st.history
        .write(move |db| db.delete_series(&tenant, &id, &series, true))
        .await?;
    Ok(api::respond::no_content())
}

fn attr_name(ngsi: &Ngsi, attr: &str) -> Result<Sym, NgsiError> {
    ngsi::payload::check_name(attr, "attribute")?;
    Ok(ngsi.ctx.expand(attr))
}

fn no_attr(id: &str, attr: &Sym) -> NgsiError {
    NgsiError::not_found(format!(
        "the temporal evolution of entity {id} has no attribute {attr}"
    ))
    .with_instance(&**attr)
}

/// DELETE /temporal/entities/{id}/attrs/{attr}.
pub async fn delete_attr(
    State(st): State<TemporalState>,
    Path((id, attr)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    ngsi: Ngsi,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), &["datasetId", "deleteAll", "local"])?;
    check_entity_id(&id)?;
    let name = attr_name(&ngsi, &attr)?;
    let delete_all = p.bool("deleteAll")?;
    let dataset = match p.get("datasetId") {
        Some(d) if ngsi::payload::is_uri(d) => Some(ngsi::intern(d)),
        Some(d) => {
            return Err(NgsiError::bad_data(format!("datasetId {d:?} is not a URI")).into());
        }
        None => None,
    };
    check_tenant(&st, &ngsi.tenant)?;
    let e = known(&st, &ngsi.tenant, &id)?;
    if !e.series.iter().any(|s| s.attr == name) {
        return Err(no_attr(&id, &name).into());
    }
    let series: Vec<SeriesId> = e
        .series
        .iter()
        .filter(|s| s.attr == name && (delete_all || s.dataset == dataset))
        .map(|s| s.id)
        .collect();
    if series.is_empty() {
        let which = dataset.as_deref().unwrap_or("the default instance");
        return Err(NgsiError::not_found(format!(
            "attribute {name} of the temporal evolution of {id} has no dataset {which}"
        ))
        .into());
    }
    let tenant = ngsi.tenant.clone();
    st.history
        .write(move |db| db.delete_series(&tenant, &id, &series, false))
        .await?;
    Ok(api::respond::no_content())
}

/// The series and key an instance URL names, checked against the entity and attribute.
fn target(
    st: &TemporalState,
    ngsi: &Ngsi,
    (id, attr, instance): (&str, &str, &str),
) -> Result<(Arc<SeriesInfo>, InstKey), NgsiError> {
    check_entity_id(id)?;
    let name = attr_name(ngsi, attr)?;
    if !ngsi::payload::is_uri(instance) {
        return Err(NgsiError::bad_data(format!(
            "instanceId {instance:?} is not a URI"
        )));
    }
    check_tenant(st, &ngsi.tenant)?;
    let e = known(st, &ngsi.tenant, id)?;
    if !e.series.iter().any(|s| s.attr == name) {
        return Err(no_attr(id, &name));
    }
    let missing = || {
        NgsiError::not_found(format!(
            "attribute {name} of {id} has no instance {instance}"
        ))
        .with_instance(instance)
    };
    let (sid, key) = parse_instance_id(instance).ok_or_else(missing)?;
    let s = e
        .series
        .iter()
        .find(|s| s.id == sid && s.attr == name)
        .ok_or_else(missing)?;
    Ok((s.clone(), key))
}

/// PATCH /temporal/entities/{id}/attrs/{attr}/{instanceId}.
pub async fn patch_instance(
    State(st): State<TemporalState>,
    Path((id, attr, instance)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    Params::parse(q.as_deref(), &["local"])?;
    let ngsi = &body.ngsi;
    let (s, key) = target(&st, ngsi, (&id, &attr, &instance))?;
    let value = replacement(&body.body, ngsi, &s)?;
    let (_, mut next) = body::instance(&s.attr, &value, &ngsi.ctx, ngsi::time::now())?;
    let found = st
        .history
        .write(move |db| {
            let Some(old) = db.get_instance(s.id, key)? else {
                return Ok(false);
            };
            next.id = key;
            next.rec = old.rec;
            if !next.observed {
                next.t = old.rec;
            }
            db.replace_instance(s.id, key, next)
        })
        .await?;
    finish(found, &id, &instance)
}

/// The one instance a modification body holds for the attribute (clause 5.6.14.3).
fn replacement(body: &Value, ngsi: &Ngsi, s: &SeriesInfo) -> Result<Value, NgsiError> {
    let obj = body.as_object().ok_or_else(|| {
        NgsiError::bad_data("the body must be an EntityTemporal fragment (an object)")
    })?;
    let mut found = None;
    for (k, v) in obj {
        if ngsi::context::is_core_member(k) {
            continue;
        }
        if ngsi.ctx.expand(k) != s.attr {
            return Err(NgsiError::bad_data(format!(
                "the body may only hold attribute {}, not {k}",
                ngsi.ctx.compact(&s.attr)
            )));
        }
        found = Some(match v {
            Value::Array(a) if a.len() == 1 => a[0].clone(),
            Value::Array(_) => {
                return Err(NgsiError::bad_data(
                    "the attribute must hold an array of exactly one instance",
                ));
            }
            other => other.clone(),
        });
    }
    let v = found.ok_or_else(|| NgsiError::bad_data("the body holds no attribute instance"))?;
    if v.get("datasetId").and_then(Value::as_str) != s.dataset.as_deref() {
        return Err(NgsiError::bad_data(
            "the instance's datasetId cannot be changed by a modification",
        ));
    }
    Ok(v)
}

/// DELETE /temporal/entities/{id}/attrs/{attr}/{instanceId}.
pub async fn delete_instance(
    State(st): State<TemporalState>,
    Path((id, attr, instance)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    ngsi: Ngsi,
) -> ApiResult {
    Params::parse(q.as_deref(), &["local"])?;
    let (s, key) = target(&st, &ngsi, (&id, &attr, &instance))?;
    let found = st
        .history
        .write(move |db| db.delete_instance(s.id, key))
        .await?;
    finish(found, &id, &instance)
}

fn finish(found: bool, id: &str, instance: &str) -> ApiResult<Response> {
    if found {
        Ok(api::respond::no_content())
    } else {
        Err(NgsiError::not_found(format!(
            "the temporal evolution of {id} has no instance {instance}"
        ))
        .with_instance(instance)
        .into())
    }
}
