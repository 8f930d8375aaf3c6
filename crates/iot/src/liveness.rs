//! Device liveness. Every `check_interval_ms` an active device that has sent nothing for its
//! timeout becomes `silent` — an update of its `Device` entity through the store, so it can be
//! subscribed to and appears in history. The same tick expires commands without result.
//! At start, each device's state and last report are read back from its `Device` entity.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use store::{Op, Store, UpsertMode};
use tokio::sync::watch;

use crate::commands::{self, Sender};
use crate::device::{DeviceState, DeviceTerms};
use crate::registry::Registry;

/// What the liveness task needs.
pub struct Liveness {
    pub store: Arc<dyn Store>,
    pub registry: Arc<Registry>,
    pub terms: Arc<DeviceTerms>,
    pub sender: Arc<Sender>,
    pub interval: Duration,
    pub command_timeout: Duration,
}

impl Liveness {
    /// Runs until `stop` changes.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = tick.tick() => {}
            }
            self.check().await;
            commands::housekeeping(&self.sender, self.command_timeout).await;
        }
    }

    /// Marks silent devices; returns how many changed.
    pub async fn check(&self) -> usize {
        let now = ngsi::time::now();
        let mut by_tenant: HashMap<Arc<str>, Vec<Op>> = HashMap::new();
        for d in self.registry.all_devices() {
            let rt = &d.runtime;
            let quiet = now - rt.last_seen.load(Ordering::Relaxed);
            let limit = (d.timeout_s as i64).saturating_mul(1_000_000);
            if d.timeout_s == 0 || quiet <= limit {
                continue;
            }
            if rt.transition(DeviceState::Active, DeviceState::Silent) {
                tracing::info!(device = %d.spec.device_id, tenant = %d.tenant, "device went silent");
                let patch = self.terms.state_change(&d, DeviceState::Silent, now);
                by_tenant
                    .entry(d.tenant.clone())
                    .or_default()
                    .push(Op::Upsert(patch, UpsertMode::Update));
            }
        }
        let mut changed = 0;
        for (tenant, ops) in by_tenant {
            changed += ops.len();
            if let Err(e) = self.store.apply(&tenant, ops).await {
                tracing::warn!(error = %e, "device states were not written");
            }
        }
        changed
    }
}

/// Restores each device's state and last report from its `Device` entity.
pub async fn restore(store: &dyn Store, registry: &Registry, terms: &DeviceTerms) {
    for d in registry.all_devices() {
        let Ok(Some(e)) = store.get(&d.tenant, &d.device_entity_id).await else {
            continue;
        };
        let state = e
            .attr(&terms.state, None)
            .and_then(|a| a.value.json().as_str())
            .and_then(DeviceState::parse);
        if let Some(s) = state.filter(|s| *s != DeviceState::Decommissioned) {
            d.runtime.set_state(s);
        }
        let reported = e
            .attr(&terms.last_reported, None)
            .and_then(|a| {
                a.value
                    .json()
                    .get("@value")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .and_then(|t| ngsi::time::parse(&t));
        if let Some(t) = reported {
            d.runtime.last_seen.store(t, Ordering::Relaxed);
            d.runtime.last_reported.store(t, Ordering::Relaxed);
        }
    }
}
