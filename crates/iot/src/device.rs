//! A provisioned device as the platform holds it: its provisioning, compiled mapping, the two
//! entities it feeds (its measurement entity and its Smart Data Models `Device` entity), and
//! its live counters and life-cycle state (provisioned → active → silent → decommissioned).
//!
//! Owns the shape of the `Device` entity fragments; writing them is the pipeline's and the
//! liveness checker's job, through the store like every other write.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};

use ngsi::context::CompiledContext;
use ngsi::model::AttrKind;
use ngsi::patch::{AttrPatch, EntityPatch, Member};
use ngsi::{Sym, Timestamp};
use serde_json::{Value, json};

use crate::mapping::{Mapping, patch};
use crate::model::DeviceSpec;

/// The Smart Data Models type of device entities.
pub const DEVICE_TYPE: &str = "Device";

/// Where a device is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum DeviceState {
    /// Provisioned, no data yet.
    Provisioned = 0,
    /// Sending data.
    Active = 1,
    /// No data for longer than its timeout.
    Silent = 2,
    /// Deleted from the registry; its entities stay for history.
    Decommissioned = 3,
}

impl DeviceState {
    /// The `deviceState` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provisioned => "provisioned",
            Self::Active => "active",
            Self::Silent => "silent",
            Self::Decommissioned => "decommissioned",
        }
    }

    /// Parses a `deviceState` value.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Provisioned,
            Self::Active,
            Self::Silent,
            Self::Decommissioned,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Active,
            2 => Self::Silent,
            3 => Self::Decommissioned,
            _ => Self::Provisioned,
        }
    }
}

/// Live counters and state of one device; shared across re-provisioning of the same device.
#[derive(Debug, Default)]
pub struct Runtime {
    /// Messages accepted.
    pub messages: AtomicU64,
    /// Messages (or values) rejected.
    pub errors: AtomicU64,
    /// Reception time of the last accepted message (micros; 0 = never).
    pub last_seen: AtomicI64,
    /// When `dateLastValueReported` was last written (micros).
    pub last_reported: AtomicI64,
    state: AtomicU8,
}

impl Runtime {
    /// The current life-cycle state.
    pub fn state(&self) -> DeviceState {
        DeviceState::from_u8(self.state.load(Ordering::Acquire))
    }

    /// Moves to `next`; returns whether the state changed.
    pub fn set_state(&self, next: DeviceState) -> bool {
        self.state.swap(next as u8, Ordering::AcqRel) != next as u8
    }

    /// Moves from `from` to `to` only if still in `from`.
    pub fn transition(&self, from: DeviceState, to: DeviceState) -> bool {
        self.state
            .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// How commands reach a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Downlink {
    /// Published on `/{apikey}/{deviceId}/cmd`.
    Mqtt,
    /// POSTed to the device's endpoint.
    Http(String),
}

/// A provisioned device.
#[derive(Debug)]
pub struct DeviceEntry {
    pub tenant: Arc<str>,
    pub service_path: String,
    pub apikey: String,
    pub spec: DeviceSpec,
    /// The secret the device must present, if any.
    pub token: Option<String>,
    pub entity_id: Arc<str>,
    pub entity_type: Sym,
    /// Id of the SDM `Device` entity.
    pub device_entity_id: Arc<str>,
    pub mapping: Arc<Mapping>,
    pub runtime: Arc<Runtime>,
    /// Seconds without data before `silent` (0: never).
    pub timeout_s: u64,
    pub downlink: Downlink,
    /// Created by its first message rather than by the provisioning API.
    pub autoprovisioned: bool,
}

/// The id of a device's SDM `Device` entity.
pub fn device_entity_id(device_id: &str) -> String {
    format!("urn:ngsi-ld:Device:{device_id}")
}

/// Expanded names of the `Device` entity attributes.
pub struct DeviceTerms {
    pub device_type: Sym,
    pub state: Sym,
    pub last_reported: Sym,
    pub controlled_asset: Sym,
    pub name: Sym,
    pub protocol: Sym,
}

impl DeviceTerms {
    /// Expands the names with `ctx`.
    pub fn new(ctx: &CompiledContext) -> Self {
        Self {
            device_type: ctx.expand(DEVICE_TYPE),
            state: ctx.expand("deviceState"),
            last_reported: ctx.expand("dateLastValueReported"),
            controlled_asset: ctx.expand("controlledAsset"),
            name: ctx.expand("name"),
            protocol: ctx.expand("supportedProtocol"),
        }
    }

    fn fragment(&self, d: &DeviceEntry, attrs: Vec<AttrPatch>) -> EntityPatch {
        EntityPatch {
            id: d.device_entity_id.clone(),
            types: vec![self.device_type.clone()],
            scope: Member::Absent,
            attrs,
        }
    }

    fn state_attr(&self, state: DeviceState, at: Timestamp) -> AttrPatch {
        patch(
            self.state.clone(),
            AttrKind::Property,
            json!(state.as_str()),
            Some(at),
        )
    }

    /// The `Device` entity as provisioning writes it.
    pub fn provisioned(
        &self,
        d: &DeviceEntry,
        state: Option<DeviceState>,
        at: Timestamp,
    ) -> EntityPatch {
        let mut attrs = vec![patch(
            self.name.clone(),
            AttrKind::Property,
            json!(d.spec.device_id),
            None,
        )];
        if let Some(state) = state {
            attrs.push(self.state_attr(state, at));
        }
        if d.entity_id != d.device_entity_id {
            attrs.push(patch(
                self.controlled_asset.clone(),
                AttrKind::Relationship,
                json!(&*d.entity_id),
                None,
            ));
        }
        if let Some(p) = &d.spec.protocol {
            attrs.push(patch(
                self.protocol.clone(),
                AttrKind::Property,
                json!([p]),
                None,
            ));
        }
        self.fragment(d, attrs)
    }

    /// A state change (e.g. to `silent` or `decommissioned`).
    pub fn state_change(&self, d: &DeviceEntry, state: DeviceState, at: Timestamp) -> EntityPatch {
        self.fragment(d, vec![self.state_attr(state, at)])
    }

    /// After data arrived: optionally a new state, the report time, and `batteryLevel`/`rssi`.
    pub fn reported(
        &self,
        d: &DeviceEntry,
        state: Option<DeviceState>,
        at: Timestamp,
        extras: Vec<AttrPatch>,
    ) -> EntityPatch {
        let mut attrs = extras;
        if let Some(s) = state {
            attrs.push(self.state_attr(s, at));
        }
        let when = json!({"@type": "DateTime", "@value": ngsi::time::format(at)});
        attrs.push(patch(
            self.last_reported.clone(),
            AttrKind::Property,
            when,
            Some(at),
        ));
        self.fragment(d, attrs)
    }
}

/// The writes that provisioning makes: the measurement entity with its static and command
/// attributes (created if missing, other attributes kept), and the `Device` entity, put in
/// `state` when one is given (an update of the provisioning leaves the state alone).
pub fn provisioning_ops(
    d: &DeviceEntry,
    statics: Vec<AttrPatch>,
    terms: &DeviceTerms,
    state: Option<DeviceState>,
    at: Timestamp,
) -> Vec<store::Op> {
    let mut attrs = statics;
    attrs.extend(command_attrs(d));
    let entity = EntityPatch {
        id: d.entity_id.clone(),
        types: vec![d.entity_type.clone()],
        scope: Member::Absent,
        attrs,
    };
    vec![
        store::Op::Upsert(entity, store::UpsertMode::Update),
        store::Op::Upsert(terms.provisioned(d, state, at), store::UpsertMode::Update),
    ]
}

/// The measurement entity's command attributes as provisioning writes them (empty command,
/// status `UNKNOWN`, empty info), so the API can PATCH them.
pub fn command_attrs(d: &DeviceEntry) -> Vec<AttrPatch> {
    let mut out = Vec::new();
    for c in &d.mapping.commands {
        for (sym, v) in [
            (&c.sym, json!("")),
            (&c.status, json!("UNKNOWN")),
            (&c.info, json!("")),
        ] {
            out.push(patch(sym.clone(), AttrKind::Property, v, None));
        }
    }
    out
}

/// The fragment of a command status change on the measurement entity.
pub fn command_status(
    d: &DeviceEntry,
    status_attr: &Sym,
    info_attr: &Sym,
    status: &str,
    info: Option<Value>,
    at: Timestamp,
) -> EntityPatch {
    let mut attrs = vec![patch(
        status_attr.clone(),
        AttrKind::Property,
        json!(status),
        Some(at),
    )];
    if let Some(info) = info {
        attrs.push(patch(info_attr.clone(), AttrKind::Property, info, Some(at)));
    }
    EntityPatch {
        id: d.entity_id.clone(),
        types: vec![d.entity_type.clone()],
        scope: Member::Absent,
        attrs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_transition_once() {
        for s in [
            DeviceState::Provisioned,
            DeviceState::Active,
            DeviceState::Silent,
            DeviceState::Decommissioned,
        ] {
            assert_eq!(DeviceState::parse(s.as_str()), Some(s));
        }
        let r = Runtime::default();
        assert_eq!(r.state(), DeviceState::Provisioned);
        assert!(r.transition(DeviceState::Provisioned, DeviceState::Active));
        assert!(!r.transition(DeviceState::Provisioned, DeviceState::Active));
        assert!(!r.set_state(DeviceState::Active));
        assert!(r.set_state(DeviceState::Silent));
    }
}
