//! One uplink message to store writes: device lookup (and autoprovisioning), token check,
//! decoding, mapping, life-cycle bookkeeping, command results.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use ngsi::Timestamp;
use ngsi::patch::{AttrPatch, EntityPatch, Member};
use store::{Op, UpsertMode};

use super::batcher::Batch;
use super::{Inbound, Ingest, Rejection, Transport, UplinkKind};
use crate::codec::{self, Codec, MeasureGroup};
use crate::deadletter::Reason;
use crate::device::{DeviceEntry, DeviceState, command_status, provisioning_ops};
use crate::mapping::static_patches;

impl Ingest {
    /// Everything up to the queue: returns the writes to commit, or the rejection.
    pub(crate) fn prepare(&self, msg: &Inbound) -> Result<Option<Batch>, Rejection> {
        if msg.payload.len() > self.config.max_payload_bytes {
            let detail = format!(
                "{} bytes; the limit is {}",
                msg.payload.len(),
                self.config.max_payload_bytes
            );
            return Err(self.reject(msg, None, Reason::Oversized, detail));
        }
        let now = ngsi::time::now();
        let (device, mut ops) = self.find_device(msg, now)?;
        self.check_token(msg, &device)?;
        let codec = msg
            .codec
            .or(device.mapping.codec)
            .unwrap_or_else(|| Codec::sniff(&msg.payload));
        let measurements = match &msg.kind {
            UplinkKind::CmdExe => self.command_results(msg, &device, codec, now, &mut ops)?,
            _ => self.measures(msg, &device, codec, now, &mut ops)?,
        };
        let counter = match msg.transport {
            Transport::Mqtt => &self.metrics.messages_mqtt,
            Transport::Http => &self.metrics.messages_http,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        device.runtime.messages.fetch_add(1, Ordering::Relaxed);
        device.runtime.last_seen.store(now, Ordering::Relaxed);
        if ops.is_empty() {
            return Ok(None);
        }
        Ok(Some(Batch::new(device, ops, measurements, msg.wants_ack)))
    }

    fn find_device(
        &self,
        msg: &Inbound,
        now: Timestamp,
    ) -> Result<(Arc<DeviceEntry>, Vec<Op>), Rejection> {
        if let Some(d) = self.registry.device(&msg.apikey, &msg.device_id) {
            return Ok((d, Vec::new()));
        }
        let Some(group) = self.registry.group(&msg.apikey) else {
            let (reason, detail) = if self.registry.knows_key(&msg.apikey) {
                (
                    Reason::UnknownDevice,
                    format!("no device {:?} under this apikey", msg.device_id),
                )
            } else {
                (
                    Reason::UnknownApikey,
                    "no service group or device uses this apikey".to_string(),
                )
            };
            return Err(self.reject(msg, None, reason, detail));
        };
        if !group.autoprovision() {
            let detail = format!(
                "no device {:?} in service group of apikey {:?} and autoprovision is off",
                msg.device_id, msg.apikey
            );
            return Err(self.reject(msg, None, Reason::UnknownDevice, detail));
        }
        let d = self
            .registry
            .autoprovision(&group, &msg.device_id)
            .map_err(|e| self.reject(msg, None, Reason::UnknownDevice, e.to_string()))?;
        let statics: Vec<_> = group.spec.static_attributes.iter().collect();
        let statics = static_patches(&statics, &self.ctx)
            .map_err(|e| self.reject(msg, Some(&d), Reason::MappingFailed, e.to_string()))?;
        tracing::info!(device = %msg.device_id, tenant = %d.tenant, "device autoprovisioned");
        let ops = provisioning_ops(
            &d,
            statics,
            &self.device_terms,
            Some(DeviceState::Provisioned),
            now,
        );
        Ok((d, ops))
    }

    fn check_token(&self, msg: &Inbound, d: &DeviceEntry) -> Result<(), Rejection> {
        let Some(token) = &d.token else {
            return Ok(());
        };
        let presented = msg.credentials.as_deref().and_then(|c| {
            let user_ok = c.username.as_deref().is_none_or(|u| u == d.spec.device_id);
            user_ok.then_some(c.password.as_deref()).flatten()
        });
        if presented == Some(token.as_str()) {
            return Ok(());
        }
        let detail = "the device requires its token (MQTT password with the device id as username, or HTTP X-Auth-Token)";
        Err(self.reject(msg, Some(d), Reason::Unauthorized, detail.into()))
    }

    fn decode(
        &self,
        msg: &Inbound,
        d: &DeviceEntry,
        codec: Codec,
    ) -> Result<Vec<MeasureGroup>, Rejection> {
        let decoded = match &msg.kind {
            UplinkKind::Attr(a) => codec::decode_single(codec, a, &msg.payload),
            _ => codec::decode_measures(codec, &msg.payload, self.config.max_groups),
        };
        decoded.map_err(|e| {
            let detail = format!("{} payload: {e}", codec.as_str());
            self.reject(msg, Some(d), Reason::Malformed, detail)
        })
    }

    fn measures(
        &self,
        msg: &Inbound,
        d: &Arc<DeviceEntry>,
        codec: Codec,
        now: Timestamp,
        ops: &mut Vec<Op>,
    ) -> Result<u64, Rejection> {
        let mut groups = self.decode(msg, d, codec)?;
        let mut failures = Vec::new();
        let mut measurements = 0u64;
        let mut extras = Vec::new();
        for g in &mut groups {
            g.time = g.time.or(msg.time);
            let mapped = d.mapping.map_group(g, now, &self.ctx);
            failures.extend(mapped.failures);
            if mapped.attrs.is_empty() {
                continue;
            }
            measurements += mapped.attrs.len() as u64;
            self.device_extras(d, &mapped.attrs, &mut extras);
            ops.push(Op::Upsert(self.entity(d, mapped.attrs), UpsertMode::Update));
        }
        if !failures.is_empty() {
            let detail = failures.join("; ");
            let r = self.reject(msg, Some(d), Reason::MappingFailed, detail);
            if measurements == 0 {
                return Err(r);
            }
        }
        if measurements == 0 {
            return Ok(0);
        }
        if let Some(op) = self.device_report(d, now, extras) {
            ops.push(op);
        }
        Ok(measurements)
    }

    fn entity(&self, d: &DeviceEntry, attrs: Vec<AttrPatch>) -> EntityPatch {
        EntityPatch {
            id: d.entity_id.clone(),
            types: vec![d.entity_type.clone()],
            scope: Member::Absent,
            attrs,
        }
    }

    /// `batteryLevel` and `rssi` also belong on the `Device` entity.
    fn device_extras(&self, d: &DeviceEntry, attrs: &[AttrPatch], out: &mut Vec<AttrPatch>) {
        if d.entity_id == d.device_entity_id {
            return;
        }
        for a in attrs {
            if a.name == self.terms.battery_level || a.name == self.terms.rssi {
                out.retain(|x: &AttrPatch| x.name != a.name);
                out.push(a.clone());
            }
        }
    }

    /// The `Device` entity write after data arrived: on a state change, when it carries
    /// `batteryLevel`/`rssi`, or when `dateLastValueReported` is older than the interval.
    fn device_report(&self, d: &DeviceEntry, now: Timestamp, extras: Vec<AttrPatch>) -> Option<Op> {
        let rt = &d.runtime;
        let changed = [DeviceState::Provisioned, DeviceState::Silent]
            .into_iter()
            .any(|from| rt.transition(from, DeviceState::Active));
        let last = rt.last_reported.load(Ordering::Relaxed);
        let due = now - last >= self.report_interval_us;
        if !(changed || due || !extras.is_empty()) {
            return None;
        }
        rt.last_reported.store(now, Ordering::Relaxed);
        let state = changed.then_some(DeviceState::Active);
        let patch = self.device_terms.reported(d, state, now, extras);
        Some(Op::Upsert(patch, UpsertMode::Update))
    }

    fn command_results(
        &self,
        msg: &Inbound,
        d: &DeviceEntry,
        codec: Codec,
        now: Timestamp,
        ops: &mut Vec<Op>,
    ) -> Result<u64, Rejection> {
        let results = codec::decode_results(codec, &msg.payload).map_err(|e| {
            self.reject(
                msg,
                Some(d),
                Reason::Malformed,
                format!("command result: {e}"),
            )
        })?;
        for (name, result) in results {
            let Some(c) = d.mapping.command(&name) else {
                let detail = format!("device has no command {name:?}");
                return Err(self.reject(msg, Some(d), Reason::MappingFailed, detail));
            };
            self.book.completed(&d.tenant, &d.entity_id, &name);
            self.metrics.command("OK");
            ops.push(Op::Upsert(
                command_status(d, &c.status, &c.info, "OK", Some(result), now),
                UpsertMode::Update,
            ));
        }
        Ok(0)
    }
}
