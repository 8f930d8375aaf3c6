//! FIWARE provisioning API: `/iot/services` (service groups) and `/iot/devices`. Creating or
//! changing a device also writes its entities (static and command attributes on the
//! measurement entity, the SDM `Device` entity) through the store; deleting it marks its
//! `Device` entity `decommissioned` (entities stay, for history).

use std::sync::Arc;

use api::error::ApiResult;
use api::extract::Params;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};
use store::{Op, UpsertMode};

use super::{IotState, body_bytes, empty, json, page, parse_json, scope};
use crate::Core;
use crate::device::{DeviceEntry, DeviceState, provisioning_ops};
use crate::error::IotError;
use crate::mapping::static_patches;
use crate::model::{DevicesBody, ServicesBody};

const LIST_PARAMS: &[&str] = &[
    "limit", "offset", "resource", "apikey", "detailed", "protocol",
];
const GROUP_KEY_PARAMS: &[&str] = &["resource", "apikey", "device"];

pub async fn create_groups(State(s): State<IotState>, headers: HeaderMap, body: Body) -> ApiResult {
    let (tenant, path) = scope(&headers, false)?;
    let bytes = body_bytes(body, s.app.limits.max_body_bytes).await?;
    let body: ServicesBody = parse_json(&bytes)?;
    for g in &body.services {
        g.check()?;
        let statics: Vec<_> = g.static_attributes.iter().collect();
        static_patches(&statics, &s.iot.ctx)?;
    }
    s.iot
        .registry
        .create_groups(&tenant, &path, body.services)?;
    empty(StatusCode::CREATED)
}

pub async fn list_groups(
    State(s): State<IotState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let (tenant, path) = scope(&headers, true)?;
    let p = Params::parse(q.as_deref(), LIST_PARAMS)?;
    let (offset, limit) = page(&p, &s.app.limits)?;
    let groups: Vec<_> = s
        .iot
        .registry
        .groups_in(&tenant, &path)
        .into_iter()
        .filter(|g| p.get("resource").is_none_or(|r| r == g.spec.resource))
        .filter(|g| p.get("apikey").is_none_or(|k| k == g.spec.apikey))
        .collect();
    let services: Vec<Value> = groups
        .iter()
        .skip(offset)
        .take(limit)
        .map(|g| serde_json::to_value(&g.spec).unwrap_or(Value::Null))
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({"count": groups.len(), "services": services}),
    ))
}

fn group_key(q: Option<&str>) -> Result<(String, Option<String>), IotError> {
    let p = Params::parse(q, GROUP_KEY_PARAMS).map_err(|e| IotError::BadRequest(e.detail))?;
    let apikey = p
        .get("apikey")
        .ok_or_else(|| IotError::BadRequest("the apikey query parameter is required".into()))?;
    Ok((apikey.to_string(), p.get("resource").map(str::to_string)))
}

pub async fn update_group(
    State(s): State<IotState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult {
    let (tenant, path) = scope(&headers, false)?;
    let (apikey, resource) = group_key(q.as_deref())?;
    let bytes = body_bytes(body, s.app.limits.max_body_bytes).await?;
    let patch: Map<String, Value> = parse_json(&bytes)?;
    let (group, devices) =
        s.iot
            .registry
            .update_group(&tenant, &path, &apikey, resource.as_deref(), patch)?;
    let statics: Vec<_> = group.spec.static_attributes.iter().collect();
    static_patches(&statics, &s.iot.ctx)?;
    write_entities(&s.iot, &devices, None).await?;
    empty(StatusCode::NO_CONTENT)
}

pub async fn delete_group(
    State(s): State<IotState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let (tenant, path) = scope(&headers, false)?;
    let (apikey, resource) = group_key(q.as_deref())?;
    s.iot
        .registry
        .delete_group(&tenant, &path, &apikey, resource.as_deref())?;
    empty(StatusCode::NO_CONTENT)
}

pub async fn create_devices(
    State(s): State<IotState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let (tenant, path) = scope(&headers, false)?;
    let bytes = body_bytes(body, s.app.limits.max_body_bytes).await?;
    let body: DevicesBody = parse_json(&bytes)?;
    for d in &body.devices {
        let statics: Vec<_> = d.static_attributes.iter().collect();
        static_patches(&statics, &s.iot.ctx)?;
    }
    let devices = s
        .iot
        .registry
        .create_devices(&tenant, &path, body.devices)?;
    write_entities(&s.iot, &devices, Some(DeviceState::Provisioned)).await?;
    empty(StatusCode::CREATED)
}

/// Writes the provisioning entities of `devices` (all in one tenant) in one commit.
pub(crate) async fn write_entities(
    core: &Core,
    devices: &[Arc<DeviceEntry>],
    state: Option<DeviceState>,
) -> Result<(), IotError> {
    let Some(tenant) = devices.first().map(|d| d.tenant.clone()) else {
        return Ok(());
    };
    let now = ngsi::time::now();
    let mut ops = Vec::new();
    for d in devices {
        let group = core.registry.group(&d.apikey);
        let mut statics: Vec<_> = group
            .iter()
            .flat_map(|g| g.spec.static_attributes.iter())
            .collect();
        statics.extend(d.spec.static_attributes.iter());
        let statics = static_patches(&statics, &core.ctx)?;
        ops.extend(provisioning_ops(d, statics, &core.device_terms, state, now));
    }
    let results = core.store.apply(&tenant, ops).await?;
    if let Some(e) = results.into_iter().find_map(Result::err) {
        return Err(IotError::Store(e));
    }
    Ok(())
}

pub async fn list_devices(
    State(s): State<IotState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let (tenant, path) = scope(&headers, true)?;
    let p = Params::parse(q.as_deref(), LIST_PARAMS)?;
    let (offset, limit) = page(&p, &s.app.limits)?;
    let (total, devices) = s.iot.registry.devices_in(&tenant, &path, offset, limit);
    let devices: Vec<Value> = devices.iter().map(|d| device_json(d)).collect();
    Ok(json(
        StatusCode::OK,
        &json!({"count": total, "devices": devices}),
    ))
}

fn device_json(d: &DeviceEntry) -> Value {
    let mut v = serde_json::to_value(&d.spec).unwrap_or(Value::Null);
    if let Value::Object(o) = &mut v {
        o.insert("deviceState".into(), json!(d.runtime.state().as_str()));
    }
    v
}

pub async fn get_device(
    State(s): State<IotState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let (tenant, path) = scope(&headers, true)?;
    let d = s.iot.registry.visible_device(&tenant, &path, &id)?;
    Ok(json(StatusCode::OK, &device_json(&d)))
}

pub async fn update_device(
    State(s): State<IotState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    let (tenant, path) = scope(&headers, false)?;
    let bytes = body_bytes(body, s.app.limits.max_body_bytes).await?;
    let mut patch: Map<String, Value> = parse_json(&bytes)?;
    patch.remove("deviceState");
    let d = s.iot.registry.update_device(&tenant, &path, &id, patch)?;
    write_entities(&s.iot, &[d], None).await?;
    empty(StatusCode::NO_CONTENT)
}

pub async fn delete_device(
    State(s): State<IotState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, api::error::ApiError> {
    let (tenant, path) = scope(&headers, false)?;
    let d = s.iot.registry.delete_device(&tenant, &path, &id)?;
    d.runtime.set_state(DeviceState::Decommissioned);
    let patch = s
        .iot
        .device_terms
        .state_change(&d, DeviceState::Decommissioned, ngsi::time::now());
    s.iot
        .store
        .apply(&d.tenant, vec![Op::Upsert(patch, UpsertMode::Update)])
        .await
        .map_err(IotError::Store)?;
    empty(StatusCode::NO_CONTENT)
}
