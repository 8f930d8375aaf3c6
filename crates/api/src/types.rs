//! `/types` and `/attributes` (clauses 6.25-6.28): entity types and attributes present in the
//! twin, answered from the store's incremental statistics, not by scanning entities.

use axum::extract::{Path, RawQuery, State};
use http::StatusCode;
use ngsi::model::AttrKind;
use ngsi::{NgsiError, Sym};
use serde_json::{Value, json};
use store::{AttributeInfo, TypeInfo};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Ngsi, Params};
use crate::respond;

fn kinds(counts: &[u64; 8]) -> Vec<&'static str> {
    AttrKind::ALL
        .iter()
        .zip(counts)
        .filter(|(_, n)| **n > 0)
        .map(|(k, _)| k.as_str())
        .collect()
}

fn list_id(prefix: &str) -> String {
    format!("urn:ngsi-ld:{prefix}:{}", uuid_like())
}

/// A unique enough id for the synthetic list objects of clauses 5.2.24 / 5.2.27.
fn uuid_like() -> String {
    let t = ngsi::time::now();
    format!("{:016x}", t as u64 ^ 0x9e37_79b9_7f4a_7c15)
}

fn respond_json(v: &Value, ngsi: &Ngsi) -> ApiResult {
    Ok(respond::json(
        StatusCode::OK,
        serde_json::to_vec(v).unwrap_or_default(),
        ngsi,
    ))
}

/// GET /types (clause 6.25.3.1).
pub async fn types(State(state): State<AppState>, RawQuery(q): RawQuery, ngsi: Ngsi) -> ApiResult {
    let p = Params::parse(q.as_deref(), &["details", "local", "limit", "offset"])?;
    let tenant = ngsi.tenant.clone();
    let list = state.store.types(&tenant).await?;
    let c = |t: &Sym| ngsi.ctx.compact(t).into_owned();
    let mut list = list;
    list.sort_by_cached_key(|(t, _)| c(t));
    let body = if p.bool("details")? {
        Value::Array(list.iter().map(|(t, info)| json!({
            "id": t.to_string(), "type": "EntityType", "typeName": c(t),
            "attributeNames": info.attributes.iter().map(|(a, _)| c(a)).collect::<Vec<_>>(),
        })).collect())
    } else {
        json!({ "id": list_id("EntityTypeList"), "type": "EntityTypeList", "typeList": list.iter().map(|(t, _)| c(t)).collect::<Vec<_>>() })
    };
    respond_json(&body, &ngsi)
}

/// GET /types/{type} (clause 6.26.3.1).
pub async fn type_info(
    State(state): State<AppState>,
    Path(ty): Path<String>,
    RawQuery(q): RawQuery,
    ngsi: Ngsi,
) -> ApiResult {
    Params::parse(q.as_deref(), &["local"])?;
    let iri = ngsi.ctx.expand(&ty);
    let tenant = ngsi.tenant.clone();
    let list = state.store.types(&tenant).await?;
    let Some((t, info)) = list.iter().find(|(t, _)| *t == iri) else {
        return Err(
            NgsiError::not_found(format!("no entity of type {ty} exists"))
                .with_instance(ty)
                .into(),
        );
    };
    respond_json(&type_info_json(t, info, &ngsi), &ngsi)
}

fn type_info_json(t: &Sym, info: &TypeInfo, ngsi: &Ngsi) -> Value {
    let c = |t: &Sym| ngsi.ctx.compact(t).into_owned();
    json!({
        "id": t.to_string(), "type": "EntityTypeInfo", "typeName": c(t), "entityCount": info.entity_count,
        "attributeDetails": info.attributes.iter().map(|(a, counts)| json!({
            "id": a.to_string(), "type": "Attribute", "attributeName": c(a), "attributeTypes": kinds(counts),
        })).collect::<Vec<_>>(),
    })
}

/// GET /attributes (clause 6.27.3.1).
pub async fn attributes(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    ngsi: Ngsi,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), &["details", "local", "limit", "offset"])?;
    let tenant = ngsi.tenant.clone();
    let mut list = state.store.attributes(&tenant).await?;
    let c = |t: &Sym| ngsi.ctx.compact(t).into_owned();
    list.sort_by_cached_key(|(a, _)| c(a));
    let body = if p.bool("details")? {
        Value::Array(
            list.iter()
                .map(|(a, info)| attribute_json(a, info, &ngsi, false))
                .collect(),
        )
    } else {
        json!({ "id": list_id("AttributeList"), "type": "AttributeList", "attributeList": list.iter().map(|(a, _)| c(a)).collect::<Vec<_>>() })
    };
    respond_json(&body, &ngsi)
}

fn attribute_json(a: &Sym, info: &AttributeInfo, ngsi: &Ngsi, full: bool) -> Value {
    let c = |t: &Sym| ngsi.ctx.compact(t).into_owned();
    let mut v = json!({
        "id": a.to_string(), "type": "Attribute", "attributeName": c(a),
        "typeNames": info.types.iter().map(c).collect::<Vec<_>>(),
    });
    if full {
        v["attributeCount"] = json!(info.entity_count);
        v["attributeTypes"] = json!(kinds(&info.kinds));
    }
    v
}

/// GET /attributes/{attr} (clause 6.28.3.1).
pub async fn attribute_info(
    State(state): State<AppState>,
    Path(attr): Path<String>,
    RawQuery(q): RawQuery,
    ngsi: Ngsi,
) -> ApiResult {
    Params::parse(q.as_deref(), &["local"])?;
    let iri = ngsi.ctx.expand(&attr);
    let tenant = ngsi.tenant.clone();
    let list = state.store.attributes(&tenant).await?;
    let Some((a, info)) = list.iter().find(|(a, _)| *a == iri) else {
        return Err(
            NgsiError::not_found(format!("no entity has attribute {attr}"))
                .with_instance(attr)
                .into(),
        );
    };
    respond_json(&attribute_json(a, info, &ngsi, true), &ngsi)
}
