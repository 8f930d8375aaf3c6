//! Delivery: one worker per subscription sends its durable notifications in order, one request
//! at a time (a backlog travels as ordered batches, see [`crate::merge`]), retrying a failure with exponential backoff (never below the endpoint's `cooldown`)
//! and, after the configured number of attempts, recording a dead letter and moving on. With
//! `throttling`, consecutive notifications are at least that far apart and what queued in
//! between travels as one notification with the latest state of each entity.
//!
//! Must not block other subscriptions: each worker waits only for its own receiver.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ngsi::time;
use tokio::sync::watch;

use crate::config::NotifyConfig;
use crate::hub::{Handle, Hub};
use crate::merge::{Mode, merge};
use crate::metrics::Metrics;
use crate::outbox::{Outbox, Pending};
use crate::sender::{Message, SendError, Senders};
use crate::status::DeadLetter;
use crate::subscription::{Def, SubStatus};

/// Most queued notifications merged into one throttled notification.
const MAX_COALESCE: usize = 1000;
/// How often a paused or expired subscription looks at its status again.
const INACTIVE_RECHECK: Duration = Duration::from_secs(1);

/// What every worker shares.
pub struct Delivery {
    pub hub: Arc<Hub>,
    pub outbox: Arc<Outbox>,
    pub senders: Senders,
    pub config: Arc<NotifyConfig>,
    pub metrics: Arc<Metrics>,
}

/// A worker's memory between attempts.
#[derive(Default)]
struct State {
    failures: u32,
    last_sent: Option<Instant>,
}

impl Delivery {
    /// Delivers `h`'s queue until it is deleted or `shutdown`.
    pub async fn worker(self: Arc<Self>, h: Arc<Handle>, mut shutdown: watch::Receiver<bool>) {
        let mut st = State::default();
        loop {
            if *shutdown.borrow() {
                return;
            }
            if h.deleted.load(Ordering::Acquire) {
                self.drop_queue(&h);
                return;
            }
            let def = h.def();
            let front = h.queue.lock().front().cloned();
            let (pause, idle) = match front {
                None => (None, true),
                Some(_) if def.status(time::now()) != SubStatus::Active => {
                    (Some(INACTIVE_RECHECK), true)
                }
                Some(front) => match throttle_wait(&def, &st) {
                    Some(wait) => (Some(wait), false),
                    None => (self.attempt(&h, &def, front, &mut st).await, false),
                },
            };
            if pause.is_some_and(|p| p.is_zero()) {
                continue;
            }
            // New entries end an idle wait, but not a retry or throttling pause.
            tokio::select! {
                _ = h.wake.notified(), if idle => {}
                _ = h.changed.notified() => {}
                _ = sleep_opt(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// One attempt; returns how long to wait before the next (zero: go on at once).
    async fn attempt(
        &self,
        h: &Handle,
        def: &Def,
        front: Pending,
        st: &mut State,
    ) -> Option<Duration> {
        let (batch, body) = match def.throttling {
            Some(_) => self.merged(h, front, MAX_COALESCE, Mode::Latest),
            None => self.merged(h, front, self.config.max_batch, Mode::All),
        };
        let Some(last) = batch.last() else {
            return Some(Duration::ZERO);
        };
        st.last_sent = Some(Instant::now());
        let result = match body {
            Ok(body) => self.send(h, def, last, body).await,
            Err(e) => Err(SendError(e.detail)),
        };
        h.status.lock().attempted(time::now(), result.is_ok());
        self.hub.dirty.store(true, Ordering::Release);
        match result {
            Ok(()) => {
                st.failures = 0;
                self.finish(h, batch.len());
                Some(Duration::ZERO)
            }
            Err(e) => self.failed(h, def, &batch, e, st),
        }
    }

    async fn send(&self, h: &Handle, def: &Def, p: &Pending, body: Bytes) -> Result<(), SendError> {
        let msg = Message {
            endpoint: &def.endpoint,
            tenant: &h.key.tenant,
            content_type: p.accept.as_str(),
            link: &p.link,
            body,
        };
        self.senders.for_endpoint(&def.endpoint).send(msg).await
    }

    /// Drops the first `n` entries, delivered.
    fn finish(&self, h: &Handle, n: usize) {
        let done: Vec<Pending> = {
            let mut q = h.queue.lock();
            let n = n.min(q.len());
            q.drain(..n).collect()
        };
        if let Some(last) = done.last() {
            h.cursor.fetch_max(last.seq, Ordering::AcqRel);
        }
        for p in &done {
            self.metrics.delivered_after(p.queued_at.elapsed());
            self.outbox.release(p);
        }
        self.metrics.add(&self.metrics.delivered, done.len() as u64);
    }

    fn failed(
        &self,
        h: &Handle,
        def: &Def,
        batch: &[Pending],
        e: SendError,
        st: &mut State,
    ) -> Option<Duration> {
        self.metrics.add(&self.metrics.failed_attempts, 1);
        st.failures += 1;
        if st.failures < self.config.max_attempts {
            tracing::debug!(subscription = %h.key.id, reason = %e.0, failures = st.failures, "notification failed; will retry");
            return Some(self.config.backoff(st.failures, def.endpoint.cooldown));
        }
        tracing::warn!(subscription = %h.key.id, reason = %e.0, attempts = st.failures, "notification given up: dead letter");
        let keep = self.config.dead_letters_kept;
        let mut status = h.status.lock();
        for p in batch {
            let letter = DeadLetter {
                notification_id: p.notification_id.to_string(),
                failed_at: time::format(time::now()),
                attempts: st.failures,
                reason: e.0.clone(),
            };
            status.dead_letter(letter, keep);
        }
        drop(status);
        self.metrics
            .add(&self.metrics.dead_letters, batch.len() as u64);
        self.finish_dead(h, batch.len());
        st.failures = 0;
        Some(Duration::ZERO)
    }

    fn finish_dead(&self, h: &Handle, n: usize) {
        let done: Vec<Pending> = {
            let mut q = h.queue.lock();
            let n = n.min(q.len());
            q.drain(..n).collect()
        };
        if let Some(last) = done.last() {
            h.cursor.fetch_max(last.seq, Ordering::AcqRel);
        }
        done.iter().for_each(|p| self.outbox.release(p));
    }

    fn drop_queue(&self, h: &Handle) {
        let all: Vec<Pending> = h.queue.lock().drain(..).collect();
        all.iter().for_each(|p| self.outbox.release(p));
    }

    /// Up to `max` queued notifications (same media type as the front) merged into one per
    /// `mode`; the front alone if there is nothing to merge or a body is unreadable.
    fn merged(
        &self,
        h: &Handle,
        front: Pending,
        max: usize,
        mode: Mode,
    ) -> (Vec<Pending>, Result<Bytes, ngsi::NgsiError>) {
        let batch: Vec<Pending> = h
            .queue
            .lock()
            .iter()
            .take(max)
            .take_while(|p| p.accept == front.accept)
            .cloned()
            .collect();
        if batch.len() > 1 {
            let bodies: Result<Vec<Bytes>, _> = batch.iter().map(|p| self.outbox.body(p)).collect();
            if let Ok(Some(merged)) = bodies.map(|b| merge(&b, mode)) {
                return (batch, Ok(merged));
            }
        }
        let body = self.outbox.body(&front);
        (vec![front], body)
    }
}

/// How long throttling still holds the next notification back.
fn throttle_wait(def: &Def, st: &State) -> Option<Duration> {
    let (t, last) = (def.throttling?, st.last_sent?);
    let due = last + t;
    let now = Instant::now();
    (due > now).then(|| due - now)
}

async fn sleep_opt(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
