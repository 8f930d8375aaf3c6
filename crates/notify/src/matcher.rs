//! Matching on the committed change stream ([`crate::input`]: every lsn once, in order), decides for each
//! change which subscriptions it notifies (index candidates, then triggers, watched attributes,
//! selectors, `q`, `geoQ`, `scopeQ`), renders the notifications and makes them durable in the
//! outbox before acknowledging the feed. Changes of one commit that notify the same
//! subscription for the same reason travel in one notification.
//!
//! Must not deliver or wait for receivers: a dead receiver never slows matching or writers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ngsi::{Timestamp, time};
use store::CommittedBatch;
use tokio::sync::watch;

use crate::change::analyse;
use crate::config::NotifyConfig;
use crate::hub::{Handle, Hub};
use crate::input::Input;
use crate::metrics::Metrics;
use crate::outbox::{NewEntry, Outbox};
use crate::payload::{self, Ids};
use crate::subscription::SubStatus;

/// Committed batches matched in one outbox group at most.
const MAX_BATCHES: usize = 512;
/// How often the feed position is saved (each save is an fsync in the store).
const ACK_EVERY: Duration = Duration::from_millis(200);
/// Pause after a failed outbox write or feed read before trying again.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// What matching needs.
pub struct Matcher {
    pub hub: Arc<Hub>,
    pub outbox: Arc<Outbox>,
    pub ids: Arc<Ids>,
    pub config: Arc<NotifyConfig>,
    pub metrics: Arc<Metrics>,
}

/// One notification being assembled: a subscription, a reason, entities.
struct Group {
    handle: Arc<Handle>,
    reason: &'static str,
    data: Vec<Vec<u8>>,
}

impl Matcher {
    /// Runs until `shutdown`, resuming after `matched_lsn` (what the outbox already holds).
    pub async fn run(
        self,
        mut feed: Input,
        mut matched_lsn: u64,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut last_ack = Instant::now();
        let mut unacked = None;
        loop {
            let first = tokio::select! {
                _ = shutdown.changed() => break,
                b = feed.next() => b,
            };
            let first = match first {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(detail = %e.detail, "notify: cannot read the change feed");
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            };
            let batches = drain(&mut feed, first).await;
            let last = batches.last().map_or(matched_lsn, |b| b.lsn);
            let entries = self.match_batches(&batches, matched_lsn);
            self.append(entries, last).await;
            matched_lsn = matched_lsn.max(last);
            unacked = Some(matched_lsn);
            if last_ack.elapsed() >= ACK_EVERY {
                ack(&mut feed, &mut unacked);
                last_ack = Instant::now();
            }
        }
        ack(&mut feed, &mut unacked);
    }

    /// Appends until the outbox takes it: a change is never skipped.
    async fn append(&self, entries: Vec<NewEntry>, lsn: u64) {
        let n = entries.len() as u64;
        while let Err(e) = self.outbox.append(entries.clone(), Some(lsn)).await {
            tracing::error!(detail = %e.detail, "notify: outbox write failed; retrying");
            tokio::time::sleep(RETRY_PAUSE).await;
        }
        self.metrics.add(&self.metrics.enqueued, n);
    }

    /// The notifications of batches after `matched_lsn`.
    pub fn match_batches(&self, batches: &[CommittedBatch], matched_lsn: u64) -> Vec<NewEntry> {
        let now = time::now();
        let mut out = Vec::new();
        for b in batches.iter().filter(|b| b.lsn > matched_lsn) {
            self.match_batch(b, now, &mut out);
        }
        out
    }

    fn match_batch(&self, b: &CommittedBatch, now: Timestamp, out: &mut Vec<NewEntry>) {
        let mut groups: Vec<Group> = Vec::new();
        let mut at: HashMap<(usize, &'static str), usize> = HashMap::new();
        let mut cands = Vec::new();
        self.metrics
            .add(&self.metrics.changes, b.changes.len() as u64);
        for change in b.changes.iter() {
            let Some(a) = analyse(change) else { continue };
            let Some(target) = a.target() else { continue };
            cands.clear();
            self.hub
                .candidates(&b.tenant, &a.entities(), &a.names(), &mut cands);
            for h in cands.drain(..) {
                let def = h.def();
                if def.status(now) != SubStatus::Active || !def.selects(target) {
                    continue;
                }
                let fired = a.fired(&def);
                if fired.is_empty() {
                    continue;
                }
                let Some(v) = payload::changed_entity(&def, &a, fired, now) else {
                    continue;
                };
                self.metrics.add(&self.metrics.matches, 1);
                let slot = (Arc::as_ptr(&h) as usize, fired.reason());
                let i = *at.entry(slot).or_insert_with(|| {
                    groups.push(Group {
                        handle: h.clone(),
                        reason: slot.1,
                        data: Vec::new(),
                    });
                    groups.len() - 1
                });
                groups[i].data.push(v);
            }
        }
        for g in groups {
            self.render(g, b.lsn, now, out);
        }
    }

    fn render(&self, g: Group, lsn: u64, now: Timestamp, out: &mut Vec<NewEntry>) {
        let def = g.handle.def();
        let size = self.config.max_entities_per_notification.max(1);
        let mut data = g.data;
        while !data.is_empty() {
            let rest = data.split_off(size.min(data.len()));
            let id = self.ids.next();
            let (body, link) = payload::notification(&def, &id, Some(g.reason), data, now);
            out.push(NewEntry {
                key: g.handle.key.clone(),
                lsn,
                accept: def.shape.accept,
                link: link.into(),
                notification_id: id.into(),
                body,
            });
            data = rest;
        }
    }
}

/// The first batch and whatever else is already available, without waiting.
async fn drain(feed: &mut Input, first: CommittedBatch) -> Vec<CommittedBatch> {
    let mut batches = vec![first];
    while batches.len() < MAX_BATCHES {
        // A zero timeout polls the feed once: take what is ready, never wait for more.
        match tokio::time::timeout(Duration::ZERO, feed.next()).await {
            Ok(Ok(b)) => batches.push(b),
            _ => break,
        }
    }
    batches
}

fn ack(feed: &mut Input, unacked: &mut Option<u64>) {
    if let Some(lsn) = unacked.take()
        && let Err(e) = feed.ack(lsn)
    {
        tracing::warn!(detail = %e.detail, "notify: cannot save the feed position");
        *unacked = Some(lsn);
    }
}
