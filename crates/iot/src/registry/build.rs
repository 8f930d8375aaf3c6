//! Turns a device's provisioning (plus its group's defaults) into a [`DeviceEntry`]: resolved
//! entity id and type, compiled mapping, timeout and downlink. The resolved values are written
//! back into the spec, as FIWARE does, so the device stands on its own if its group goes.

use std::sync::Arc;

use ngsi::context::CompiledContext;

use crate::device::{DeviceEntry, Downlink, Runtime, device_entity_id};
use crate::error::{IotError, Result};
use crate::mapping::{Mapping, MappingSpec};
use crate::model::{CommandSpec, DeviceSpec};
use crate::registry::GroupEntry;

/// What a device entry is built from.
pub struct Input<'a> {
    pub tenant: Arc<str>,
    pub apikey: String,
    pub spec: DeviceSpec,
    pub token: Option<String>,
    pub group: Option<&'a GroupEntry>,
    pub auto: bool,
    /// The live counters to keep (re-provisioning), or None for new ones.
    pub runtime: Option<Arc<Runtime>>,
}

/// Builds the entry, or says what is missing or wrong.
pub fn device(
    input: Input<'_>,
    ctx: &CompiledContext,
    default_timeout_s: u64,
) -> Result<DeviceEntry> {
    let Input {
        tenant,
        apikey,
        mut spec,
        token,
        group,
        auto,
        runtime,
    } = input;
    let g = group.map(|g| &g.spec);
    let entity_type = spec
        .entity_type
        .clone()
        .or_else(|| g.and_then(|g| g.entity_type.clone()))
        .ok_or_else(|| {
            IotError::BadRequest(format!(
                "device {} has no entity_type and its service group gives none",
                spec.device_id
            ))
        })?;
    let entity_id = spec
        .entity_name
        .clone()
        .unwrap_or_else(|| format!("urn:ngsi-ld:{entity_type}:{}", spec.device_id));
    let device_entity = device_entity_id(&spec.device_id);
    for id in [&entity_id, &device_entity] {
        if !ngsi::payload::is_uri(id) {
            return Err(IotError::BadRequest(format!(
                "device {}: {id:?} is not a valid entity id",
                spec.device_id
            )));
        }
    }
    let mapping = compile(&spec, g, ctx)?;
    spec.entity_type = Some(entity_type.clone());
    spec.entity_name = Some(entity_id.clone());
    spec.apikey = Some(apikey.clone());
    spec.service = Some(tenant.to_string());
    let service_path = spec
        .service_path
        .clone()
        .or_else(|| g.and_then(|g| g.subservice.clone()))
        .unwrap_or_else(|| "/".into());
    spec.service_path = Some(service_path.clone());
    let timeout_s = spec
        .timeout
        .or_else(|| g.and_then(|g| g.timeout))
        .unwrap_or(default_timeout_s);
    let downlink = downlink(&spec, g);
    Ok(DeviceEntry {
        tenant,
        service_path,
        apikey,
        token,
        entity_id: entity_id.into(),
        entity_type: ctx.expand(&entity_type),
        device_entity_id: device_entity.into(),
        mapping: Arc::new(mapping),
        runtime: runtime.unwrap_or_default(),
        timeout_s,
        downlink,
        autoprovisioned: auto,
        spec,
    })
}

fn compile(
    spec: &DeviceSpec,
    g: Option<&crate::model::GroupSpec>,
    ctx: &CompiledContext,
) -> Result<Mapping> {
    let mut commands: Vec<&CommandSpec> =
        g.map(|g| g.commands.iter().collect()).unwrap_or_default();
    for c in &spec.commands {
        commands.retain(|x| x.name != c.name);
        commands.push(c);
    }
    let protocol = spec
        .protocol
        .as_deref()
        .or_else(|| g.and_then(|g| g.protocol.as_deref()));
    let ms = MappingSpec {
        group_attrs: g.map(|g| g.attributes.as_slice()).unwrap_or(&[]),
        device_attrs: &spec.attributes,
        commands,
        explicit: spec
            .explicit_attrs
            .or_else(|| g.and_then(|g| g.explicit_attrs))
            .unwrap_or(false),
        timestamp: spec
            .timestamp
            .or_else(|| g.and_then(|g| g.timestamp))
            .unwrap_or(true),
        protocol,
    };
    Mapping::compile(&ms, ctx)
        .map_err(|e| IotError::BadRequest(format!("device {}: {e}", spec.device_id)))
}

fn downlink(spec: &DeviceSpec, g: Option<&crate::model::GroupSpec>) -> Downlink {
    let transport = spec
        .transport
        .as_deref()
        .or_else(|| g.and_then(|g| g.transport.as_deref()))
        .unwrap_or("MQTT");
    let endpoint = spec
        .endpoint
        .clone()
        .or_else(|| g.and_then(|g| g.endpoint.clone()));
    match endpoint {
        Some(url) if !transport.eq_ignore_ascii_case("MQTT") => Downlink::Http(url),
        _ => Downlink::Mqtt,
    }
}
