//! Registry changes: create, update and delete groups and devices, and autoprovisioning. Each
//! change is validated in full first, journaled durably, and only then applied, under the one
//! change lock (lookups never wait for the disk).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::build::{self, Input};
use super::journal::Record;
use super::{GroupEntry, Inner, Registry, path_matches};
use crate::device::DeviceEntry;
use crate::error::{IotError, Result};
use crate::model::{DeviceSpec, GroupSpec};

fn key_conflict(inner: &Inner, apikey: &str, tenant: &str) -> Result<()> {
    match inner.key_tenant.get(apikey) {
        Some((t, _)) if &**t != tenant => Err(IotError::Conflict(format!(
            "apikey {apikey:?} belongs to another service; API keys must be unique across services"
        ))),
        _ => Ok(()),
    }
}

/// Applies a FIWARE partial update (top-level members replace) to a serialisable resource.
fn merged<T: serde::Serialize + serde::de::DeserializeOwned>(
    current: &T,
    patch: Map<String, Value>,
) -> Result<T> {
    let mut v = serde_json::to_value(current).map_err(|e| IotError::BadRequest(e.to_string()))?;
    if let Value::Object(o) = &mut v {
        o.extend(patch);
    }
    serde_json::from_value(v).map_err(|e| IotError::BadRequest(format!("invalid update: {e}")))
}

impl Registry {
    /// Creates service groups in `tenant` under `path`.
    pub fn create_groups(
        &self,
        tenant: &str,
        path: &str,
        specs: Vec<GroupSpec>,
    ) -> Result<Vec<Arc<GroupEntry>>> {
        let _one = self.changes.lock();
        let mut entries = Vec::with_capacity(specs.len());
        {
            let inner = self.inner.read();
            for mut spec in specs {
                spec.check()?;
                spec.service = Some(tenant.to_string());
                spec.subservice = Some(path.to_string());
                if inner.groups.contains_key(&spec.apikey)
                    || entries
                        .iter()
                        .any(|e: &GroupEntry| e.spec.apikey == spec.apikey)
                {
                    return Err(IotError::Conflict(format!(
                        "a service group with apikey {:?} already exists",
                        spec.apikey
                    )));
                }
                key_conflict(&inner, &spec.apikey, tenant)?;
                entries.push(GroupEntry {
                    tenant: tenant.into(),
                    spec,
                });
            }
        }
        let records: Vec<Record> = entries
            .iter()
            .map(|g| Record::PutGroup {
                tenant: tenant.to_string(),
                group: g.spec.clone(),
            })
            .collect();
        self.journal.append(&records)?;
        let mut inner = self.inner.write();
        let out: Vec<Arc<GroupEntry>> = entries.into_iter().map(Arc::new).collect();
        for g in &out {
            inner.hold_key(&g.spec.apikey, &g.tenant);
            inner.groups.insert(g.spec.apikey.clone(), g.clone());
        }
        Ok(out)
    }

    fn owned_group(
        &self,
        tenant: &str,
        path: &str,
        apikey: &str,
        resource: Option<&str>,
    ) -> Result<Arc<GroupEntry>> {
        self.group(apikey)
            .filter(|g| &*g.tenant == tenant && path_matches(path, g.service_path()))
            .filter(|g| resource.is_none_or(|r| r == g.spec.resource))
            .ok_or_else(|| {
                IotError::NotFound(format!(
                    "no service group with apikey {apikey:?} in service {tenant:?} path {path:?}"
                ))
            })
    }

    /// Updates a group (FIWARE partial update); its devices are rebuilt with the new defaults.
    pub fn update_group(
        &self,
        tenant: &str,
        path: &str,
        apikey: &str,
        resource: Option<&str>,
        patch: Map<String, Value>,
    ) -> Result<(Arc<GroupEntry>, Vec<Arc<DeviceEntry>>)> {
        let _one = self.changes.lock();
        let current = self.owned_group(tenant, path, apikey, resource)?;
        let spec: GroupSpec = merged(&current.spec, patch)?;
        spec.check()?;
        if spec.apikey != current.spec.apikey {
            return Err(IotError::BadRequest(
                "the apikey of a service group cannot be changed; create a new group".into(),
            ));
        }
        let entry = GroupEntry {
            tenant: current.tenant.clone(),
            spec,
        };
        let devices = self.rebuild_devices(apikey, Some(&entry))?;
        self.journal.append(&[Record::PutGroup {
            tenant: tenant.to_string(),
            group: entry.spec.clone(),
        }])?;
        let entry = Arc::new(entry);
        let mut inner = self.inner.write();
        inner.groups.insert(apikey.to_string(), entry.clone());
        for d in &devices {
            inner.insert_device(d.clone());
        }
        Ok((entry, devices))
    }

    /// Deletes a group; its devices stay, with their own (resolved) settings.
    pub fn delete_group(
        &self,
        tenant: &str,
        path: &str,
        apikey: &str,
        resource: Option<&str>,
    ) -> Result<()> {
        let _one = self.changes.lock();
        self.owned_group(tenant, path, apikey, resource)?;
        let devices = self.rebuild_devices(apikey, None)?;
        self.journal.append(&[Record::DelGroup {
            apikey: apikey.to_string(),
        }])?;
        let mut inner = self.inner.write();
        inner.groups.remove(apikey);
        inner.release_key(apikey);
        for d in devices {
            inner.insert_device(d);
        }
        Ok(())
    }

    fn rebuild_devices(
        &self,
        apikey: &str,
        group: Option<&GroupEntry>,
    ) -> Result<Vec<Arc<DeviceEntry>>> {
        let current: Vec<Arc<DeviceEntry>> = self
            .inner
            .read()
            .devices
            .get(apikey)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        current
            .iter()
            .map(|d| self.rebuild(d, d.spec.clone(), group).map(Arc::new))
            .collect()
    }

    fn rebuild(
        &self,
        d: &DeviceEntry,
        spec: DeviceSpec,
        group: Option<&GroupEntry>,
    ) -> Result<DeviceEntry> {
        let input = Input {
            tenant: d.tenant.clone(),
            apikey: d.apikey.clone(),
            spec,
            token: d.token.clone(),
            group,
            auto: d.autoprovisioned,
            runtime: Some(d.runtime.clone()),
        };
        build::device(input, &self.ctx, self.default_timeout_s)
    }

    /// The API key a new device of `tenant`/`path` uses: its own, or its group's.
    fn resolve_key(
        &self,
        inner: &Inner,
        tenant: &str,
        path: &str,
        spec: &DeviceSpec,
    ) -> Result<String> {
        if let Some(k) = &spec.apikey {
            key_conflict(inner, k, tenant)?;
            return Ok(k.clone());
        }
        let candidates: Vec<&Arc<GroupEntry>> = inner
            .groups
            .values()
            .filter(|g| &*g.tenant == tenant && g.service_path() == path)
            .collect();
        let typed: Vec<&Arc<GroupEntry>> = candidates
            .iter()
            .copied()
            .filter(|g| spec.entity_type.is_some() && g.spec.entity_type == spec.entity_type)
            .collect();
        match (candidates.as_slice(), typed.as_slice()) {
            ([one], _) | (_, [one]) => Ok(one.spec.apikey.clone()),
            _ => Err(IotError::BadRequest(format!(
                "device {} gives no apikey and {} service groups of service {tenant:?} path {path:?} could provide one; set \"apikey\"",
                spec.device_id,
                candidates.len()
            ))),
        }
    }

    /// Creates devices in `tenant` under `path`; all or none.
    pub fn create_devices(
        &self,
        tenant: &str,
        path: &str,
        specs: Vec<DeviceSpec>,
    ) -> Result<Vec<Arc<DeviceEntry>>> {
        let _one = self.changes.lock();
        let mut built: Vec<DeviceEntry> = Vec::with_capacity(specs.len());
        {
            let inner = self.inner.read();
            for mut spec in specs {
                spec.check()?;
                spec.service_path = Some(path.to_string());
                let apikey = self.resolve_key(&inner, tenant, path, &spec)?;
                let taken = inner.device(&apikey, &spec.device_id).is_some()
                    || inner
                        .by_tenant
                        .get(tenant)
                        .is_some_and(|m| m.contains_key(&spec.device_id))
                    || built.iter().any(|b| b.spec.device_id == spec.device_id);
                if taken {
                    return Err(IotError::Conflict(format!(
                        "device {:?} already exists in service {tenant:?}",
                        spec.device_id
                    )));
                }
                let group = inner.groups.get(&apikey).cloned();
                let token = spec.token.take();
                let input = Input {
                    tenant: tenant.into(),
                    apikey,
                    spec,
                    token,
                    group: group.as_deref(),
                    auto: false,
                    runtime: None,
                };
                built.push(build::device(input, &self.ctx, self.default_timeout_s)?);
            }
        }
        self.commit_devices(built)
    }

    fn commit_devices(&self, built: Vec<DeviceEntry>) -> Result<Vec<Arc<DeviceEntry>>> {
        let records: Vec<Record> = built.iter().map(record_of).collect();
        self.journal.append(&records)?;
        let mut inner = self.inner.write();
        let out: Vec<Arc<DeviceEntry>> = built.into_iter().map(Arc::new).collect();
        for d in &out {
            inner.insert_device(d.clone());
        }
        Ok(out)
    }

    /// Updates a device (FIWARE partial update). Its id, entity and API key cannot change.
    pub fn update_device(
        &self,
        tenant: &str,
        path: &str,
        device_id: &str,
        patch: Map<String, Value>,
    ) -> Result<Arc<DeviceEntry>> {
        let _one = self.changes.lock();
        let current = self.visible_device(tenant, path, device_id)?;
        for fixed in ["device_id", "entity_name", "entity_type", "apikey"] {
            if patch.get(fixed).is_some_and(|v| {
                Some(v)
                    != serde_json::to_value(&current.spec)
                        .ok()
                        .as_ref()
                        .and_then(|s| s.get(fixed))
            }) {
                return Err(IotError::BadRequest(format!(
                    "{fixed} of a device cannot be changed; delete and provision it again"
                )));
            }
        }
        let mut spec: DeviceSpec = merged(&current.spec, patch.clone())?;
        spec.check()?;
        let token = match spec.token.take() {
            Some(t) => Some(t),
            None => current.token.clone(),
        };
        let group = self.group(&current.apikey);
        let mut d = self.rebuild(&current, spec, group.as_deref())?;
        d.token = token;
        let mut out = self.commit_devices(vec![d])?;
        out.pop()
            .ok_or_else(|| IotError::BadRequest("nothing was updated".into()))
    }

    /// The device `device_id` of `tenant` if visible under `path`.
    pub fn visible_device(
        &self,
        tenant: &str,
        path: &str,
        device_id: &str,
    ) -> Result<Arc<DeviceEntry>> {
        self.device_in(tenant, device_id)
            .filter(|d| path_matches(path, &d.service_path))
            .ok_or_else(|| {
                IotError::NotFound(format!(
                    "no device {device_id:?} in service {tenant:?} path {path:?}"
                ))
            })
    }

    /// Deletes a device; returns it so its entities can be marked decommissioned.
    pub fn delete_device(
        &self,
        tenant: &str,
        path: &str,
        device_id: &str,
    ) -> Result<Arc<DeviceEntry>> {
        let _one = self.changes.lock();
        let d = self.visible_device(tenant, path, device_id)?;
        self.journal.append(&[Record::DelDevice {
            apikey: d.apikey.clone(),
            device_id: device_id.to_string(),
        }])?;
        self.inner.write().remove_device(&d.apikey, device_id);
        Ok(d)
    }

    /// Provisions an unknown device of `group` on its first message.
    pub fn autoprovision(&self, group: &GroupEntry, device_id: &str) -> Result<Arc<DeviceEntry>> {
        let _one = self.changes.lock();
        if let Some(d) = self.device(&group.spec.apikey, device_id) {
            return Ok(d);
        }
        if self.device_in(&group.tenant, device_id).is_some() {
            return Err(IotError::Conflict(format!(
                "device id {device_id:?} is already used under another apikey of this service"
            )));
        }
        let spec: DeviceSpec = serde_json::from_value(serde_json::json!({"device_id": device_id}))
            .map_err(|e| IotError::BadRequest(e.to_string()))?;
        spec.check()?;
        let input = Input {
            tenant: group.tenant.clone(),
            apikey: group.spec.apikey.clone(),
            spec,
            token: None,
            group: Some(group),
            auto: true,
            runtime: None,
        };
        let d = build::device(input, &self.ctx, self.default_timeout_s)?;
        let mut out = self.commit_devices(vec![d])?;
        out.pop()
            .ok_or_else(|| IotError::BadRequest("nothing was provisioned".into()))
    }
}

fn record_of(d: &DeviceEntry) -> Record {
    Record::PutDevice {
        tenant: d.tenant.to_string(),
        apikey: d.apikey.clone(),
        device: d.spec.clone(),
        token: d.token.clone(),
        auto: d.autoprovisioned,
    }
}
