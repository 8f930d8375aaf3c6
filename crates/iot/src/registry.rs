//! The device registry: service groups by API key, devices by API key and device id, with the
//! indexes the hot path and the API need (by tenant, by entity). Lookups take a read lock for a
//! hash probe; every change is serialised, journaled durably ([`journal`]) and only then made
//! visible.
//!
//! Owns the uniqueness rules: an API key belongs to exactly one tenant (so a device is found by
//! API key and device id alone, as the southbound needs); a device id is unique per API key and
//! per tenant. Does not write entities: callers turn returned entries into store writes.

mod build;
pub mod journal;
mod provision;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use ngsi::context::CompiledContext;
use parking_lot::{Mutex, RwLock};

use crate::device::DeviceEntry;
use crate::error::Result;
use crate::model::GroupSpec;
use journal::{Journal, Record};

/// A service group and the tenant it belongs to.
#[derive(Debug, Clone)]
pub struct GroupEntry {
    pub tenant: Arc<str>,
    pub spec: GroupSpec,
}

impl GroupEntry {
    /// The FIWARE service path of the group.
    pub fn service_path(&self) -> &str {
        self.spec.subservice.as_deref().unwrap_or("/")
    }

    /// Whether unknown devices are provisioned on their first message.
    pub fn autoprovision(&self) -> bool {
        self.spec.autoprovision.unwrap_or(true)
    }
}

#[derive(Default)]
struct Inner {
    groups: HashMap<String, Arc<GroupEntry>>,
    devices: HashMap<String, HashMap<String, Arc<DeviceEntry>>>,
    /// tenant → device id → API key, sorted for stable pagination.
    by_tenant: HashMap<Arc<str>, BTreeMap<String, String>>,
    by_entity: HashMap<(Arc<str>, Arc<str>), (String, String)>,
    /// API key → (tenant, number of groups and devices using it).
    key_tenant: HashMap<String, (Arc<str>, usize)>,
}

impl Inner {
    fn device(&self, apikey: &str, device_id: &str) -> Option<&Arc<DeviceEntry>> {
        self.devices.get(apikey)?.get(device_id)
    }

    fn hold_key(&mut self, apikey: &str, tenant: &Arc<str>) {
        let e = self
            .key_tenant
            .entry(apikey.to_string())
            .or_insert_with(|| (tenant.clone(), 0));
        e.1 += 1;
    }

    fn release_key(&mut self, apikey: &str) {
        if let Some(e) = self.key_tenant.get_mut(apikey) {
            e.1 = e.1.saturating_sub(1);
            if e.1 == 0 {
                self.key_tenant.remove(apikey);
            }
        }
    }

    fn insert_device(&mut self, d: Arc<DeviceEntry>) {
        let old = self
            .devices
            .entry(d.apikey.clone())
            .or_default()
            .insert(d.spec.device_id.clone(), d.clone());
        if let Some(old) = old {
            self.unindex(&old);
        } else {
            self.hold_key(&d.apikey, &d.tenant);
        }
        self.by_tenant
            .entry(d.tenant.clone())
            .or_default()
            .insert(d.spec.device_id.clone(), d.apikey.clone());
        self.by_entity.insert(
            (d.tenant.clone(), d.entity_id.clone()),
            (d.apikey.clone(), d.spec.device_id.clone()),
        );
    }

    fn unindex(&mut self, d: &DeviceEntry) {
        if let Some(m) = self.by_tenant.get_mut(&d.tenant) {
            m.remove(&d.spec.device_id);
        }
        let key = (d.tenant.clone(), d.entity_id.clone());
        if self
            .by_entity
            .get(&key)
            .is_some_and(|(k, id)| *k == d.apikey && *id == d.spec.device_id)
        {
            self.by_entity.remove(&key);
        }
    }

    fn remove_device(&mut self, apikey: &str, device_id: &str) -> Option<Arc<DeviceEntry>> {
        let d = self.devices.get_mut(apikey)?.remove(device_id)?;
        if self.devices.get(apikey).is_some_and(HashMap::is_empty) {
            self.devices.remove(apikey);
        }
        self.unindex(&d);
        self.release_key(apikey);
        Some(d)
    }
}

/// The registry of service groups and devices.
pub struct Registry {
    ctx: Arc<CompiledContext>,
    journal: Journal,
    /// Serialises changes (validate, journal, apply) without blocking lookups.
    changes: Mutex<()>,
    inner: RwLock<Inner>,
    default_timeout_s: u64,
}

/// Whether a group or device with this service path is visible to a request for `filter`
/// (`/*` sees every path of the tenant).
pub fn path_matches(filter: &str, path: &str) -> bool {
    filter == "/*" || filter == path
}

impl Registry {
    /// Opens the registry in `dir`, replaying and compacting its journal.
    pub fn open(dir: &Path, ctx: Arc<CompiledContext>, default_timeout_s: u64) -> Result<Self> {
        let records = Journal::read(dir)?;
        let (groups, devices) = replay(records);
        let mut inner = Inner::default();
        for (_, g) in groups {
            inner.hold_key(&g.spec.apikey, &g.tenant);
            inner.groups.insert(g.spec.apikey.clone(), Arc::new(g));
        }
        let mut compacted: Vec<Record> = inner
            .groups
            .values()
            .map(|g| Record::PutGroup {
                tenant: g.tenant.to_string(),
                group: g.spec.clone(),
            })
            .collect();
        for rec in devices.into_values() {
            let Record::PutDevice {
                tenant,
                apikey,
                device,
                token,
                auto,
            } = rec
            else {
                continue;
            };
            let group = inner.groups.get(&apikey).cloned();
            let input = build::Input {
                tenant: tenant.as_str().into(),
                apikey: apikey.clone(),
                spec: device.clone(),
                token: token.clone(),
                group: group.as_deref(),
                auto,
                runtime: None,
            };
            match build::device(input, &ctx, default_timeout_s) {
                Ok(d) => inner.insert_device(Arc::new(d)),
                Err(e) => {
                    tracing::warn!(device = %device.device_id, error = %e, "skipping a device that no longer compiles");
                    continue;
                }
            }
            compacted.push(Record::PutDevice {
                tenant,
                apikey,
                device,
                token,
                auto,
            });
        }
        let journal = Journal::rewrite(dir, &compacted)?;
        Ok(Self {
            ctx,
            journal,
            changes: Mutex::new(()),
            inner: RwLock::new(inner),
            default_timeout_s,
        })
    }

    /// The device sending with this API key and id (the southbound lookup).
    pub fn device(&self, apikey: &str, device_id: &str) -> Option<Arc<DeviceEntry>> {
        self.inner.read().device(apikey, device_id).cloned()
    }

    /// The group of an API key.
    pub fn group(&self, apikey: &str) -> Option<Arc<GroupEntry>> {
        self.inner.read().groups.get(apikey).cloned()
    }

    /// Whether any group or device uses this API key.
    pub fn knows_key(&self, apikey: &str) -> bool {
        self.inner.read().key_tenant.contains_key(apikey)
    }

    /// The device whose measurement entity is `entity_id` in `tenant`.
    pub fn device_by_entity(&self, tenant: &str, entity_id: &str) -> Option<Arc<DeviceEntry>> {
        let inner = self.inner.read();
        let (k, id) = inner.by_entity.get(&(tenant.into(), entity_id.into()))?;
        inner.device(k, id).cloned()
    }

    /// Whether some device of `tenant` has its measurement entity `entity_id` (cheap filter for
    /// the command watcher).
    pub fn has_entity(&self, tenant: &Arc<str>, entity_id: &Arc<str>) -> bool {
        self.inner
            .read()
            .by_entity
            .contains_key(&(tenant.clone(), entity_id.clone()))
    }

    /// A device of `tenant` by id.
    pub fn device_in(&self, tenant: &str, device_id: &str) -> Option<Arc<DeviceEntry>> {
        let inner = self.inner.read();
        let apikey = inner.by_tenant.get(tenant)?.get(device_id)?;
        inner.device(apikey, device_id).cloned()
    }

    /// Whether some device has id `device_id` and token `token` (MQTT CONNECT credentials).
    pub fn token_matches(&self, device_id: &str, token: &str) -> bool {
        let inner = self.inner.read();
        inner.by_tenant.values().any(|ids| {
            ids.get(device_id)
                .and_then(|k| inner.device(k, device_id))
                .is_some_and(|d| d.token.as_deref() == Some(token))
        })
    }

    /// Every device (for the liveness checker).
    pub fn all_devices(&self) -> Vec<Arc<DeviceEntry>> {
        let inner = self.inner.read();
        inner
            .devices
            .values()
            .flat_map(|m| m.values().cloned())
            .collect()
    }

    /// Every group (for metrics).
    pub fn all_groups(&self) -> Vec<Arc<GroupEntry>> {
        self.inner.read().groups.values().cloned().collect()
    }

    /// The groups of `tenant` visible under `path`, sorted by API key.
    pub fn groups_in(&self, tenant: &str, path: &str) -> Vec<Arc<GroupEntry>> {
        let mut v: Vec<_> = self
            .inner
            .read()
            .groups
            .values()
            .filter(|g| &*g.tenant == tenant && path_matches(path, g.service_path()))
            .cloned()
            .collect();
        v.sort_by(|a, b| a.spec.apikey.cmp(&b.spec.apikey));
        v
    }

    /// A page of the devices of `tenant` under `path`, by device id; and how many there are.
    pub fn devices_in(
        &self,
        tenant: &str,
        path: &str,
        offset: usize,
        limit: usize,
    ) -> (usize, Vec<Arc<DeviceEntry>>) {
        let inner = self.inner.read();
        let Some(ids) = inner.by_tenant.get(tenant) else {
            return (0, Vec::new());
        };
        let all = ids
            .iter()
            .filter_map(|(id, k)| inner.device(k, id))
            .filter(|d| path_matches(path, &d.service_path));
        let matching: Vec<&Arc<DeviceEntry>> = all.collect();
        let page = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|d| (*d).clone())
            .collect();
        (matching.len(), page)
    }
}

/// Folds journal records into the last state of each group and device.
fn replay(
    records: Vec<Record>,
) -> (
    BTreeMap<String, GroupEntry>,
    BTreeMap<(String, String), Record>,
) {
    let mut groups = BTreeMap::new();
    let mut devices = BTreeMap::new();
    for r in records {
        match r {
            Record::PutGroup { tenant, group } => {
                let entry = GroupEntry {
                    tenant: tenant.as_str().into(),
                    spec: group,
                };
                groups.insert(entry.spec.apikey.clone(), entry);
            }
            Record::DelGroup { apikey } => {
                groups.remove(&apikey);
            }
            Record::PutDevice {
                ref apikey,
                ref device,
                ..
            } => {
                devices.insert((apikey.clone(), device.device_id.clone()), r);
            }
            Record::DelDevice { apikey, device_id } => {
                devices.remove(&(apikey, device_id));
            }
        }
    }
    (groups, devices)
}

#[cfg(test)]
mod tests;
