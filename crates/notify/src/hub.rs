//! The live set of subscriptions: one [`Handle`] per subscription (its compiled definition,
//! its queue of durable notifications, its status and delivery cursor), the per-tenant matching
//! index, and the subscription log that makes them survive restarts.
//!
//! Owns creation, update and deletion (log first, then memory) and the hand-over of durable
//! outbox entries to the subscription queues. Must not send anything (delivery does) or hold a
//! lock across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use ngsi::{Entity, ErrorKind, NgsiError, Sym};
use parking_lot::{Mutex, RwLock};

use crate::index::TenantIndex;
use crate::outbox::{Dispatch, Outbox, Pending};
use crate::status::Status;
use crate::sublog::SubLog;
use crate::subscription::{Def, SubKey};

/// One subscription at run time.
pub struct Handle {
    pub key: SubKey,
    def: RwLock<Arc<Def>>,
    /// Durable notifications not yet delivered, in sequence order.
    pub queue: Mutex<VecDeque<Pending>>,
    /// Wakes an idle delivery worker: new entries.
    pub wake: tokio::sync::Notify,
    /// Wakes the delivery worker even from a retry pause: a changed definition, deletion.
    pub changed: tokio::sync::Notify,
    pub status: Mutex<Status>,
    /// Sequence number of the last entry delivered or given up on.
    pub cursor: AtomicU64,
    pub deleted: AtomicBool,
}

impl Handle {
    fn new(def: Arc<Def>, cursor: u64, status: Status) -> Self {
        Self {
            key: def.key(),
            def: RwLock::new(def),
            queue: Mutex::new(VecDeque::new()),
            wake: tokio::sync::Notify::new(),
            changed: tokio::sync::Notify::new(),
            status: Mutex::new(status),
            cursor: AtomicU64::new(cursor),
            deleted: AtomicBool::new(false),
        }
    }

    /// The current definition.
    pub fn def(&self) -> Arc<Def> {
        self.def.read().clone()
    }

    /// Notifications waiting.
    pub fn queued(&self) -> usize {
        self.queue.lock().len()
    }
}

/// All subscriptions.
pub struct Hub {
    subs: RwLock<HashMap<SubKey, Arc<Handle>>>,
    index: RwLock<HashMap<Arc<str>, TenantIndex>>,
    log: Arc<Mutex<SubLog>>,
    /// Serializes create/update/delete so that "exists?" and "write" agree.
    writes: tokio::sync::Mutex<()>,
    next_order: AtomicU64,
    outbox: std::sync::OnceLock<Arc<Outbox>>,
    /// Set whenever a status or cursor changes, cleared by the checkpoint.
    pub dirty: AtomicBool,
    /// Subscriptions with a `timeInterval` (the periodic task idles when there are none).
    periodic: AtomicUsize,
}

impl Hub {
    pub fn new(log: SubLog) -> Self {
        Self {
            subs: RwLock::new(HashMap::new()),
            index: RwLock::new(HashMap::new()),
            log: Arc::new(Mutex::new(log)),
            writes: tokio::sync::Mutex::new(()),
            next_order: AtomicU64::new(1),
            outbox: std::sync::OnceLock::new(),
            dirty: AtomicBool::new(false),
            periodic: AtomicUsize::new(0),
        }
    }

    /// Connects the outbox (once, at start).
    pub fn set_outbox(&self, outbox: Arc<Outbox>) {
        let _ = self.outbox.set(outbox);
    }

    /// Adds a subscription recovered at start (no log write).
    pub fn load(&self, def: Arc<Def>, cursor: u64, status: Status) -> Arc<Handle> {
        self.next_order
            .fetch_max(def.stored.order + 1, Ordering::Relaxed);
        let h = Arc::new(Handle::new(def.clone(), cursor, status));
        self.count_periodic(None, Some(&def));
        self.index
            .write()
            .entry(h.key.tenant.clone())
            .or_default()
            .insert(&h, &def);
        self.subs.write().insert(h.key.clone(), h.clone());
        h
    }

    /// The next creation-order number.
    pub fn next_order(&self) -> u64 {
        self.next_order.fetch_add(1, Ordering::Relaxed)
    }

    /// Creates a subscription: AlreadyExists if the id is taken in the tenant.
    pub async fn create(&self, def: Def, max_per_tenant: usize) -> Result<Arc<Handle>, NgsiError> {
        let _w = self.writes.lock().await;
        let key = def.key();
        if self.subs.read().contains_key(&key) {
            return Err(NgsiError::new(
                ErrorKind::AlreadyExists,
                format!("subscription {} already exists", key.id),
            )
            .with_instance(key.id.to_string()));
        }
        if self.count(&key.tenant) >= max_per_tenant {
            return Err(NgsiError::bad_data(format!(
                "this tenant already has the maximum of {max_per_tenant} subscriptions"
            )));
        }
        self.persist(Some(def.stored.clone()), &key).await?;
        Ok(self.load(Arc::new(def), 0, Status::default()))
    }

    /// Replaces a subscription's definition (its queue and status are kept).
    pub async fn update(&self, def: Def) -> Result<(), NgsiError> {
        let _w = self.writes.lock().await;
        let key = def.key();
        let h = self.get(&key).ok_or_else(|| not_found(&key))?;
        self.persist(Some(def.stored.clone()), &key).await?;
        let def = Arc::new(def);
        let old = std::mem::replace(&mut *h.def.write(), def.clone());
        self.count_periodic(Some(&old), Some(&def));
        let mut index = self.index.write();
        let idx = index.entry(key.tenant.clone()).or_default();
        idx.remove(&h, &old);
        idx.insert(&h, &def);
        drop(index);
        h.changed.notify_one();
        Ok(())
    }

    /// Deletes a subscription; its undelivered notifications are dropped.
    pub async fn delete(&self, key: &SubKey) -> Result<(), NgsiError> {
        let _w = self.writes.lock().await;
        let h = self.get(key).ok_or_else(|| not_found(key))?;
        self.persist(None, key).await?;
        self.subs.write().remove(key);
        if let Some(idx) = self.index.write().get_mut(&key.tenant) {
            idx.remove(&h, &h.def());
        }
        self.count_periodic(Some(&h.def()), None);
        h.deleted.store(true, Ordering::Release);
        h.changed.notify_one();
        Ok(())
    }

    async fn persist(
        &self,
        put: Option<crate::subscription::Stored>,
        key: &SubKey,
    ) -> Result<(), NgsiError> {
        let log = self.log.clone();
        let key = key.clone();
        tokio::task::spawn_blocking(move || match put {
            Some(s) => log.lock().put(&s),
            None => log.lock().delete(&key),
        })
        .await
        .map_err(|e| NgsiError::internal(format!("subscription log task failed: {e}")))?
    }

    fn count_periodic(&self, old: Option<&Def>, new: Option<&Def>) {
        let is = |d: Option<&Def>| d.is_some_and(|d| d.time_interval.is_some());
        match (is(old), is(new)) {
            (false, true) => drop(self.periodic.fetch_add(1, Ordering::AcqRel)),
            (true, false) => drop(self.periodic.fetch_sub(1, Ordering::AcqRel)),
            _ => {}
        }
    }

    /// Whether any subscription is periodic.
    pub fn any_periodic(&self) -> bool {
        self.periodic.load(Ordering::Acquire) > 0
    }

    pub fn get(&self, key: &SubKey) -> Option<Arc<Handle>> {
        self.subs.read().get(key).cloned()
    }

    /// A tenant's subscriptions in creation order.
    pub fn list(&self, tenant: &str) -> Vec<Arc<Handle>> {
        let mut out: Vec<Arc<Handle>> = self
            .subs
            .read()
            .values()
            .filter(|h| &*h.key.tenant == tenant)
            .cloned()
            .collect();
        out.sort_by_key(|h| h.def().stored.order);
        out
    }

    /// Every subscription.
    pub fn all(&self) -> Vec<Arc<Handle>> {
        self.subs.read().values().cloned().collect()
    }

    pub fn count(&self, tenant: &str) -> usize {
        self.subs
            .read()
            .keys()
            .filter(|k| &*k.tenant == tenant)
            .count()
    }

    /// Whether any subscription exists in the tenant.
    pub fn has_tenant(&self, tenant: &str) -> bool {
        self.subs.read().keys().any(|k| &*k.tenant == tenant)
    }

    /// Change-triggered candidates for a change in `tenant`.
    pub fn candidates(
        &self,
        tenant: &str,
        entities: &[&Entity],
        attrs: &[Sym],
        out: &mut Vec<Arc<Handle>>,
    ) {
        if let Some(idx) = self.index.read().get(tenant) {
            idx.candidates(entities, attrs, out);
        }
    }

    /// Releases an entry nobody will deliver.
    pub fn release(&self, p: &Pending) {
        if let Some(o) = self.outbox.get() {
            o.release(p);
        }
    }
}

impl Dispatch for Hub {
    fn dispatch(&self, items: Vec<(SubKey, Pending)>) {
        let subs = self.subs.read();
        for (key, p) in items {
            match subs.get(&key) {
                Some(h) => {
                    h.queue.lock().push_back(p);
                    h.wake.notify_one();
                }
                None => self.release(&p),
            }
        }
    }
}

fn not_found(key: &SubKey) -> NgsiError {
    NgsiError::not_found(format!("subscription {} was not found", key.id))
        .with_instance(key.id.to_string())
}
