//! Downlink commands ("control the real through the virtual"). A PATCH of a command attribute
//! on a device's entity is seen on the store's durable change feed (so commands written while
//! twinisle was down are sent after restart); the command is encoded for the device (JSON or
//! UltraLight) and sent over MQTT (`/{apikey}/{deviceId}/cmd`) or pushed to the device's HTTP
//! endpoint. `<cmd>_status` goes PENDING → SENT → OK / ERROR / EXPIRED, `<cmd>_info` carries the
//! device's result; every status is an entity update through the store.
//!
//! Owns the table of commands awaiting a result; results themselves arrive as uplinks
//! (`cmdexe`) through [`crate::ingest`], which calls [`CommandBook::completed`].

mod send;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ngsi::Timestamp;
use parking_lot::Mutex;
use serde_json::Value;
use store::{CommittedBatch, Store};
use tokio::sync::watch;

use crate::device::DeviceEntry;
use crate::registry::Registry;

pub use send::Sender;

/// Name of the durable change feed the command watcher reads.
pub const FEED: &str = "iot-commands";
/// How often the feed position is saved.
const ACK_EVERY: Duration = Duration::from_secs(1);

type Key = (Arc<str>, Arc<str>, String);

/// A command waiting for its result.
#[derive(Clone)]
pub struct Pending {
    pub device: Arc<DeviceEntry>,
    pub name: String,
    pub value: Value,
    pub issued: Timestamp,
    /// Handed to a transport (SENT) rather than still waiting for a subscriber (PENDING).
    pub sent: bool,
}

/// Commands awaiting a result, bounded.
pub struct CommandBook {
    pending: Mutex<HashMap<Key, Pending>>,
    max: usize,
}

impl CommandBook {
    /// An empty book holding at most `max` commands.
    pub fn new(max: usize) -> Self {
        Self {
            pending: Mutex::new(HashMap::new()),
            max,
        }
    }

    /// Records a command; false when the book is full.
    pub fn insert(&self, p: Pending) -> bool {
        let mut m = self.pending.lock();
        let key = (
            p.device.tenant.clone(),
            p.device.entity_id.clone(),
            p.name.clone(),
        );
        if m.len() >= self.max && !m.contains_key(&key) {
            return false;
        }
        m.insert(key, p);
        true
    }

    /// Marks a command handed to its transport.
    pub fn mark_sent(&self, device: &DeviceEntry, name: &str) {
        let key = (
            device.tenant.clone(),
            device.entity_id.clone(),
            name.to_string(),
        );
        if let Some(p) = self.pending.lock().get_mut(&key) {
            p.sent = true;
        }
    }

    /// A result arrived: forget the command. Returns whether it was pending.
    pub fn completed(&self, tenant: &Arc<str>, entity: &Arc<str>, name: &str) -> bool {
        self.pending
            .lock()
            .remove(&(tenant.clone(), entity.clone(), name.to_string()))
            .is_some()
    }

    /// Removes and returns the commands older than `timeout`.
    pub fn expired(&self, now: Timestamp, timeout: Duration) -> Vec<Pending> {
        let limit = now - timeout.as_micros() as i64;
        let mut m = self.pending.lock();
        let old: Vec<Key> = m
            .iter()
            .filter(|(_, p)| p.issued < limit)
            .map(|(k, _)| k.clone())
            .collect();
        old.into_iter().filter_map(|k| m.remove(&k)).collect()
    }

    /// Commands still waiting for a subscriber (to retry).
    pub fn unsent(&self) -> Vec<Pending> {
        self.pending
            .lock()
            .values()
            .filter(|p| !p.sent)
            .cloned()
            .collect()
    }

    /// How many commands wait.
    pub fn len(&self) -> usize {
        self.pending.lock().len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Watches the change feed for command attribute writes and dispatches them.
pub async fn watch_feed(
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    sender: Arc<Sender>,
    mut stop: watch::Receiver<bool>,
) {
    let mut feed = match store.feed(FEED) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "commands are disabled: cannot open the change feed");
            return;
        }
    };
    let mut last_ack = tokio::time::Instant::now();
    loop {
        let batch = tokio::select! {
            _ = stop.changed() => break,
            b = feed.next() => b,
        };
        match batch {
            Ok(b) => dispatch_batch(&b, &registry, &sender),
            Err(e) => {
                tracing::warn!(error = %e, "command feed interrupted");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        if last_ack.elapsed() >= ACK_EVERY {
            last_ack = tokio::time::Instant::now();
            if let Err(e) = feed.ack(feed.position()) {
                tracing::warn!(error = %e, "cannot save the command feed position");
            }
        }
    }
    let _ = feed.ack(feed.position());
}

fn dispatch_batch(b: &CommittedBatch, registry: &Registry, sender: &Arc<Sender>) {
    for change in b.changes.iter() {
        let Some(after) = &change.after else { continue };
        if !registry.has_entity(&b.tenant, &after.id) {
            continue;
        }
        let Some(device) = registry.device_by_entity(&b.tenant, &after.id) else {
            continue;
        };
        for c in &device.mapping.commands {
            let Some(now) = after.attr(&c.sym, None) else {
                continue;
            };
            let before = change.before.as_ref().and_then(|e| e.attr(&c.sym, None));
            let value = now.value.json();
            let unchanged = before.is_some_and(|b| b.modified_at == now.modified_at);
            if unchanged || value.is_null() || value.as_str() == Some("") {
                continue;
            }
            sender.dispatch(device.clone(), c.name.clone(), value.clone());
        }
    }
}

/// Expires commands without a result and retries those still waiting for a subscriber.
pub async fn housekeeping(sender: &Arc<Sender>, timeout: Duration) {
    let now = ngsi::time::now();
    for p in sender.book.expired(now, timeout) {
        sender.status(&p.device, &p.name, "EXPIRED", None).await;
    }
    for p in sender.book.unsent() {
        sender.clone().send(p).await;
    }
}
