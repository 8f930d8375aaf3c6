//! The provisioning resources exactly as FIWARE IoT Agents write them: service groups
//! (`POST /iot/services`) and devices (`POST /iot/devices`), so existing provisioning scripts
//! and tools work unchanged. Fields FIWARE defines but twinisle does not act on (`cbHost`,
//! `trust`, `internal_attributes`, ...) are accepted and kept verbatim; anything else is
//! refused with a message naming the field, so a typo never passes silently.
//!
//! Owns the wire shape and its validation. Compiling a resource into the hot-path mapping is
//! [`crate::mapping`]'s job; storing it is [`crate::registry`]'s.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{IotError, Result};

/// FIWARE group fields accepted and returned, but without effect here.
const PASSIVE_GROUP_FIELDS: &[&str] = &[
    "cbHost",
    "trust",
    "internal_attributes",
    "ngsiVersion",
    "payloadType",
    "defaultEntityNameConjunction",
    "entityNameExp",
    "description",
    "polling",
    "cbroker",
    "iotagent",
    "_id",
];

/// FIWARE device fields accepted and returned, but without effect here.
const PASSIVE_DEVICE_FIELDS: &[&str] = &[
    "timezone",
    "internal_attributes",
    "ngsiVersion",
    "payloadType",
    "polling",
    "cbHost",
    "description",
    "_id",
];

/// One active attribute: how a measured value (`object_id`) becomes an entity attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttrSpec {
    /// The key the device uses in its payload; the attribute `name` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// The attribute name on the entity (a term of the core @context, or an IRI).
    pub name: String,
    /// The FIWARE attribute type: `Number`, `Integer`, `Float`, `Boolean`, `Text`,
    /// `DateTime`, `geo:json`, `geo:point`, `Relationship`, ...
    #[serde(rename = "type", default)]
    pub attr_type: String,
    /// A simple arithmetic conversion of the measured values, e.g. `l * 100` or
    /// `(t - 32) / 1.8` (a JEXL subset: numbers, measure names, `+ - * /`, parentheses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// The UN/CEFACT unit code of the value, e.g. `MTR` or `CEL`.
    #[serde(rename = "unitCode", default, skip_serializing_if = "Option::is_none")]
    pub unit_code: Option<String>,
    /// FIWARE metadata; `metadata.unitCode.value` is read as the unit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// FIWARE multi-entity target; refused (one entity per device here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_name: Option<String>,
    /// FIWARE multi-entity target type; refused with `entity_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    /// FIWARE `skipValue`: kept, not evaluated.
    #[serde(rename = "skipValue", default, skip_serializing_if = "Option::is_none")]
    pub skip_value: Option<Value>,
}

impl AttrSpec {
    /// The payload key of this attribute.
    pub fn key(&self) -> &str {
        self.object_id.as_deref().unwrap_or(&self.name)
    }

    /// The unit code from `unitCode` or FIWARE `metadata.unitCode`.
    pub fn unit(&self) -> Option<&str> {
        self.unit_code.as_deref().or_else(|| {
            let m = self.metadata.as_ref()?.get("unitCode")?;
            m.get("value").and_then(Value::as_str).or(m.as_str())
        })
    }
}

/// A static attribute: written on the entity at provisioning, never by the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticAttr {
    /// Attribute name.
    pub name: String,
    /// FIWARE type (`Text`, `Number`, `geo:json`, `Relationship`, ...).
    #[serde(rename = "type", default)]
    pub attr_type: String,
    /// The value.
    pub value: Value,
    /// FIWARE metadata (kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// FIWARE linked-data `link` (kept, not acted on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Value>,
}

/// A command the device accepts (`<name>`, `<name>_status` and `<name>_info` on its entity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// Command (and attribute) name.
    pub name: String,
    /// FIWARE type, usually `command`.
    #[serde(rename = "type", default)]
    pub attr_type: String,
    /// Kept for FIWARE compatibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// Kept for FIWARE compatibility (`expression` on command results is not evaluated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// Kept for FIWARE compatibility.
    #[serde(
        rename = "payloadType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub payload_type: Option<String>,
    /// `Content-Type` of HTTP pushes of this command.
    #[serde(
        rename = "contentType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub content_type: Option<String>,
    /// Kept for FIWARE compatibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// A service group (config group): an API key of a department and the defaults of its devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSpec {
    /// The API key devices of this group send; unique across all tenants.
    pub apikey: String,
    /// The southbound HTTP resource, e.g. `/iot/json` or `/iot/d`.
    #[serde(default)]
    pub resource: String,
    /// Entity type of the group's devices.
    #[serde(default, alias = "type", skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    /// Set from `fiware-service` (the tenant); a body value is overwritten.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Set from `fiware-servicepath`; a body value is overwritten.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subservice: Option<String>,
    /// Active attributes common to the group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttrSpec>,
    /// FIWARE lazy attributes (kept; values are not pulled from devices).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lazy: Vec<AttrSpec>,
    /// Static attributes of every entity of the group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub static_attributes: Vec<StaticAttr>,
    /// Commands every device of the group accepts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<CommandSpec>,
    /// Unknown devices sending with this key are provisioned on their first message
    /// (default true, as in FIWARE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoprovision: Option<bool>,
    /// Drop measures that no attribute maps (default false).
    #[serde(
        rename = "explicitAttrs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub explicit_attrs: Option<bool>,
    /// Stamp `observedAt` with the reception time when a measure has no `TimeInstant`
    /// (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<bool>,
    /// Default protocol of the group's devices (`PDI-IoTA-JSON`, `PDI-IoTA-UltraLight`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Default transport of the group's devices (`MQTT`, `HTTP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// Default HTTP endpoint for pushed commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Seconds without data before a device of the group is `silent` (0: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// FIWARE fields accepted and returned without effect.
    #[serde(flatten)]
    pub passive: Map<String, Value>,
}

/// A device: its id under an API key, the entity it feeds, and its own mappings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceSpec {
    /// Device id, unique per API key and per tenant.
    pub device_id: String,
    /// Entity id the measures go to; default `urn:ngsi-ld:<entity_type>:<device_id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_name: Option<String>,
    /// Entity type; default the group's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    /// Set from `fiware-service`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Set from `fiware-servicepath`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_path: Option<String>,
    /// API key; default the key of the group in the same service and path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apikey: Option<String>,
    /// `PDI-IoTA-JSON` or `PDI-IoTA-UltraLight`: the codec of un-prefixed topics and commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// `MQTT` or `HTTP`: how commands reach the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// HTTP endpoint for pushed commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Active attributes (override the group's with the same key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttrSpec>,
    /// FIWARE lazy attributes (kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lazy: Vec<AttrSpec>,
    /// Commands (added to the group's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<CommandSpec>,
    /// Static attributes (added to the group's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub static_attributes: Vec<StaticAttr>,
    /// See the group's `explicitAttrs`.
    #[serde(
        rename = "explicitAttrs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub explicit_attrs: Option<bool>,
    /// See the group's `timestamp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<bool>,
    /// Secret the device must present (MQTT password with its device id as username, or HTTP
    /// `X-Auth-Token`); unset: the API key alone identifies it. Never returned by GET.
    #[serde(default, skip_serializing)]
    pub token: Option<String>,
    /// Seconds without data before the device is `silent` (0: never); default the group's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// FIWARE fields accepted and returned without effect.
    #[serde(flatten)]
    pub passive: Map<String, Value>,
}

/// `POST /iot/services` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesBody {
    /// The groups to create.
    pub services: Vec<GroupSpec>,
}

/// `POST /iot/devices` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevicesBody {
    /// The devices to create.
    pub devices: Vec<DeviceSpec>,
}

fn check_passive(fields: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<()> {
    match fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(IotError::BadRequest(format!(
            "unknown {what} field {k:?}; accepted FIWARE fields without effect here: {}",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

/// Checks what serde cannot: required text, names, and refused features.
pub fn check_attrs(attrs: &[AttrSpec], owner: &str) -> Result<()> {
    for a in attrs {
        ngsi::payload::check_name(&a.name, "attribute")
            .map_err(|e| IotError::BadRequest(format!("{owner}: {}", e.detail)))?;
        if let Some(e) = &a.expression {
            crate::expr::Expr::parse(e).map_err(|why| {
                IotError::BadRequest(format!("{owner}: attribute {}: {why}", a.name))
            })?;
        }
        if a.entity_name.is_some() || a.entity_type.is_some() {
            return Err(IotError::BadRequest(format!(
                "{owner}: attribute {} targets another entity (entity_name/entity_type); multi-entity mapping is not supported",
                a.name
            )));
        }
    }
    Ok(())
}

fn check_commands(commands: &[CommandSpec], owner: &str) -> Result<()> {
    for c in commands {
        ngsi::payload::check_name(&c.name, "command")
            .map_err(|e| IotError::BadRequest(format!("{owner}: {}", e.detail)))?;
    }
    Ok(())
}

/// Whether an API key or device id can appear as one MQTT topic level and in a URL.
pub fn is_id_text(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && !s
            .chars()
            .any(|c| matches!(c, '/' | '+' | '#' | '?' | '&' | '=') || c.is_control() || c == ' ')
}

impl GroupSpec {
    /// Validates a group as received.
    pub fn check(&self) -> Result<()> {
        if !is_id_text(&self.apikey) {
            return Err(IotError::BadRequest(format!(
                "apikey {:?} must be 1-256 characters without '/', '+', '#', '?', '&', '=' or spaces",
                self.apikey
            )));
        }
        if !self.resource.is_empty() && !self.resource.starts_with('/') {
            return Err(IotError::BadRequest(format!(
                "resource {:?} must be a path starting with '/'",
                self.resource
            )));
        }
        if let Some(t) = &self.entity_type {
            ngsi::payload::check_name(t, "entity type")
                .map_err(|e| IotError::BadRequest(e.detail))?;
        }
        let owner = format!("service group {}", self.apikey);
        check_attrs(&self.attributes, &owner)?;
        check_commands(&self.commands, &owner)?;
        check_passive(&self.passive, PASSIVE_GROUP_FIELDS, "service group")
    }
}

impl DeviceSpec {
    /// Validates a device as received.
    pub fn check(&self) -> Result<()> {
        if !is_id_text(&self.device_id) {
            return Err(IotError::BadRequest(format!(
                "device_id {:?} must be 1-256 characters without '/', '+', '#', '?', '&', '=' or spaces",
                self.device_id
            )));
        }
        if let Some(k) = self.apikey.as_deref().filter(|k| !is_id_text(k)) {
            return Err(IotError::BadRequest(format!("apikey {k:?} is not valid")));
        }
        if let Some(id) = self
            .entity_name
            .as_deref()
            .filter(|id| !ngsi::payload::is_uri(id))
        {
            return Err(IotError::BadRequest(format!(
                "entity_name {id:?} must be a URI, e.g. urn:ngsi-ld:WaterObserved:gauge01"
            )));
        }
        if let Some(t) = &self.entity_type {
            ngsi::payload::check_name(t, "entity type")
                .map_err(|e| IotError::BadRequest(e.detail))?;
        }
        let owner = format!("device {}", self.device_id);
        check_attrs(&self.attributes, &owner)?;
        check_commands(&self.commands, &owner)?;
        check_passive(&self.passive, PASSIVE_DEVICE_FIELDS, "device")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fiware_bodies_parse_as_they_are() {
        let body: ServicesBody = serde_json::from_value(json!({"services": [{
            "apikey": "waterkey", "entity_type": "WaterObserved", "resource": "/iot/json",
            "cbHost": "http://orion:1026", "attributes": [{"object_id": "l", "name": "waterLevel",
            "type": "Number", "metadata": {"unitCode": {"type": "Text", "value": "MTR"}}}]}]}))
        .unwrap();
        let g = &body.services[0];
        assert!(g.check().is_ok());
        assert_eq!(g.attributes[0].unit(), Some("MTR"));
        assert_eq!(g.attributes[0].key(), "l");
        assert_eq!(g.passive["cbHost"], "http://orion:1026");
    }

    #[test]
    fn typos_and_unsafe_ids_are_refused() {
        let g: GroupSpec =
            serde_json::from_value(json!({"apikey": "k", "entitytype": "X"})).unwrap();
        let e = g.check().unwrap_err().to_string();
        assert!(e.contains("entitytype"), "{e}");
        let d: DeviceSpec = serde_json::from_value(json!({"device_id": "a/b"})).unwrap();
        assert!(d.check().is_err());
        let d: DeviceSpec =
            serde_json::from_value(json!({"device_id": "a", "entity_name": "no uri"})).unwrap();
        assert!(d.check().is_err());
    }

    #[test]
    fn tokens_are_never_serialized() {
        let d: DeviceSpec =
            serde_json::from_value(json!({"device_id": "a", "token": "s3cret"})).unwrap();
        assert_eq!(d.token.as_deref(), Some("s3cret"));
        assert!(!serde_json::to_string(&d).unwrap().contains("s3cret"));
    }
}
