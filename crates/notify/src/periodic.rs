//! Periodic notifications (`timeInterval`, clause 5.8.6): every interval, all subscribed
//! entities that match `q`, `geoQ` and `scopeQ`, whether they changed or not; none when nothing
//! matches. The schedule keeps its cadence (the next is due one interval after the previous was
//! due, not after it was sent); notifications go through the outbox like any other.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ngsi::{Entity, ErrorKind, Sym, time};
use query::types::ResolvedTypes;
use store::{EntityQuery, Store};
use tokio::sync::watch;

use crate::config::NotifyConfig;
use crate::hub::{Handle, Hub};
use crate::outbox::{NewEntry, Outbox};
use crate::payload::{self, Ids};
use crate::subscription::{Def, SubKey, SubStatus};

/// How often schedules are looked at: the precision of `timeInterval`.
const TICK: Duration = Duration::from_millis(20);

pub struct Periodic {
    pub hub: Arc<Hub>,
    pub outbox: Arc<Outbox>,
    pub store: Arc<dyn Store>,
    pub ids: Arc<Ids>,
    pub config: Arc<NotifyConfig>,
}

impl Periodic {
    /// Runs the schedules until `shutdown`.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut due: HashMap<SubKey, (Duration, Instant)> = HashMap::new();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tick.tick() => {}
            }
            if !self.hub.any_periodic() {
                due.clear();
                continue;
            }
            let now = Instant::now();
            let subs: Vec<Arc<Handle>> = self.hub.all();
            due.retain(|k, _| subs.iter().any(|h| h.key == *k));
            for h in subs {
                let def = h.def();
                let Some(every) = def.time_interval else {
                    due.remove(&h.key);
                    continue;
                };
                let slot = due.entry(h.key.clone()).or_insert((every, now + every));
                if slot.0 != every {
                    *slot = (every, now + every);
                }
                if slot.1 > now {
                    continue;
                }
                slot.1 = if slot.1 + every > now {
                    slot.1 + every
                } else {
                    now + every
                };
                if def.status(time::now()) == SubStatus::Active {
                    self.notify(&h, &def).await;
                }
            }
        }
    }

    /// Sends the current matching entities, if any.
    async fn notify(&self, h: &Handle, def: &Arc<Def>) {
        let q = query_for(def, self.config.periodic_max_entities);
        let page = match self.store.query(&h.key.tenant, &q).await {
            Ok(p) => p,
            Err(e) if e.kind == ErrorKind::NonexistentTenant => return,
            Err(e) => {
                tracing::warn!(subscription = %h.key.id, detail = %e.detail, "periodic notification query failed");
                return;
            }
        };
        if page.entities.is_empty() {
            return;
        }
        let now = time::now();
        let data = page
            .entities
            .iter()
            .map(|e| payload::entity_bytes(def, e))
            .collect();
        let id = self.ids.next();
        let (body, link) = payload::notification(def, &id, None, data, now);
        let entry = NewEntry {
            key: h.key.clone(),
            lsn: 0,
            accept: def.shape.accept,
            link: link.into(),
            notification_id: id.into(),
            body,
        };
        if let Err(e) = self.outbox.append(vec![entry], None).await {
            tracing::error!(subscription = %h.key.id, detail = %e.detail, "periodic notification not written");
        }
    }
}

/// The store query for a periodic subscription: index hints from its selectors, and the
/// whole subscription as the filter.
fn query_for(def: &Arc<Def>, limit: usize) -> EntityQuery {
    let mut q = EntityQuery {
        limit,
        ..EntityQuery::default()
    };
    if let Some(sel) = &def.selectors {
        if sel.iter().all(|s| s.ids.is_some()) {
            q.ids = Some(
                sel.iter()
                    .flat_map(|s| s.ids.iter().flatten().cloned())
                    .collect(),
            );
        } else {
            let types: Option<Vec<Vec<Sym>>> = sel
                .iter()
                .map(|s| match &s.types {
                    ResolvedTypes::All => None,
                    t => t.candidate_types(),
                })
                .collect();
            q.types = types.map(|t| t.into_iter().flatten().collect());
        }
    }
    let def = def.clone();
    q.filter = Some(Arc::new(move |e: &Entity| def.selects(e)));
    q
}
