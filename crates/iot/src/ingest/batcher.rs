//! Group commit for measurements: writes queued by [`super::Ingest`] are collected per tenant and
//! committed with one `Store::apply` when `batch_max_ops` are pending or `batch_linger_ms` has
//! passed — the same ops and the same durable path as API writes. Up to
//! `max_inflight_commits` commits wait for fsync at once; each is polled once as it is issued,
//! so the store fixes their order (and so per-device order) at issue time.
//!
//! Owns acknowledgement: a message's waiter is told only after its writes are durable.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use ngsi::NgsiError;
use store::{Op, OpResult, Store};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::deadletter::{DeadLetters, Reason, Rejected};
use crate::device::DeviceEntry;
use crate::metrics::Metrics;

/// The writes of one message, and who waits for them.
pub struct Batch {
    device: Arc<DeviceEntry>,
    ops: Vec<Op>,
    measurements: u64,
    wants_ack: bool,
    done: Option<oneshot::Sender<Result<(), String>>>,
}

impl Batch {
    /// The writes of one message of `device`.
    pub fn new(device: Arc<DeviceEntry>, ops: Vec<Op>, measurements: u64, wants_ack: bool) -> Self {
        Self {
            device,
            ops,
            measurements,
            wants_ack,
            done: None,
        }
    }

    /// Attaches a waiter if the sender wants one.
    pub fn with_ack(mut self) -> (Self, Option<oneshot::Receiver<Result<(), String>>>) {
        if !self.wants_ack {
            return (self, None);
        }
        let (tx, rx) = oneshot::channel();
        self.done = Some(tx);
        (self, Some(rx))
    }
}

/// What a commit covers, to settle its messages afterwards.
struct Meta {
    device: Arc<DeviceEntry>,
    ops: usize,
    measurements: u64,
    done: Option<oneshot::Sender<Result<(), String>>>,
}

#[derive(Default)]
struct Pending {
    ops: Vec<Op>,
    metas: Vec<Meta>,
    since: Option<Instant>,
}

/// A finished commit: its messages and the store's answer.
type Done = (Vec<Meta>, Result<Vec<OpResult>, NgsiError>);
type Commit = Pin<Box<dyn Future<Output = Done> + Send>>;

/// Batching settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub max_ops: usize,
    pub linger: Duration,
    pub max_inflight: usize,
}

/// The committer task: runs until `stop` changes (or every sender is gone), then commits what
/// is queued and finishes every commit in flight.
pub async fn run(
    mut rx: mpsc::Receiver<Batch>,
    store: Arc<dyn Store>,
    settings: Settings,
    metrics: Arc<Metrics>,
    dead: Arc<DeadLetters>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut pending: HashMap<Arc<str>, Pending> = HashMap::new();
    let mut inflight: VecDeque<Commit> = VecDeque::new();
    let mut open = true;
    let settle = |(metas, result)| settle(metas, result, &metrics, &dead);
    while open || !pending.is_empty() || !inflight.is_empty() {
        // Once the queue is closed, whatever is pending is committed at once.
        let linger = if open {
            settings.linger
        } else {
            Duration::ZERO
        };
        let deadline = pending
            .values()
            .filter_map(|p| p.since)
            .min()
            .map(|t| t + linger);
        let room = inflight.len() < settings.max_inflight;
        tokio::select! {
            biased;
            _ = stop.changed(), if open => {
                // Refuse new messages; those already queued are still committed.
                rx.close();
                open = false;
                while let Ok(b) = rx.try_recv() {
                    let tenant = b.device.tenant.clone();
                    add(pending.entry(tenant).or_default(), b);
                }
            }
            done = front(&mut inflight), if !inflight.is_empty() => {
                inflight.pop_front();
                settle(done);
            }
            b = rx.recv(), if open && room => match b {
                Some(b) => {
                    let tenant = b.device.tenant.clone();
                    let p = pending.entry(tenant.clone()).or_default();
                    add(p, b);
                    if p.ops.len() >= settings.max_ops
                        && let Some(p) = pending.remove(&tenant)
                    {
                        issue(&store, tenant, p, &mut inflight, &settle);
                    }
                }
                None => open = false,
            },
            _ = sleep_until(deadline), if room && deadline.is_some() => {
                for (tenant, p) in pending.drain() {
                    issue(&store, tenant, p, &mut inflight, &settle);
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(d) = deadline {
        tokio::time::sleep_until(d).await;
    }
}

fn add(p: &mut Pending, b: Batch) {
    p.since.get_or_insert_with(Instant::now);
    p.metas.push(Meta {
        device: b.device,
        ops: b.ops.len(),
        measurements: b.measurements,
        done: b.done,
    });
    p.ops.extend(b.ops);
}

/// Starts a commit and polls it once, so the store orders it now.
fn issue(
    store: &Arc<dyn Store>,
    tenant: Arc<str>,
    p: Pending,
    inflight: &mut VecDeque<Commit>,
    settle: &dyn Fn(Done),
) {
    let store = store.clone();
    let Pending { ops, metas, .. } = p;
    let mut fut: Commit = Box::pin(async move {
        let result = store.apply(&tenant, ops).await;
        (metas, result)
    });
    let mut cx = Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(out) => settle(out),
        Poll::Pending => inflight.push_back(fut),
    }
}

/// Awaits the oldest commit in flight.
fn front(inflight: &mut VecDeque<Commit>) -> impl Future<Output = Done> + '_ {
    std::future::poll_fn(move |cx| match inflight.front_mut() {
        Some(f) => f.as_mut().poll(cx),
        None => Poll::Pending,
    })
}

/// Tells each message how its writes went; failures become dead letters.
fn settle(
    metas: Vec<Meta>,
    result: Result<Vec<OpResult>, NgsiError>,
    metrics: &Metrics,
    dead: &DeadLetters,
) {
    let total: usize = metas.iter().map(|m| m.ops).sum();
    metrics.commits.fetch_add(1, Ordering::Relaxed);
    metrics
        .commit_ops
        .fetch_add(total as u64, Ordering::Relaxed);
    let results = match result {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, writes = total, "a measurement commit failed");
            (0..total).map(|_| Err(e.clone())).collect()
        }
    };
    let mut results = results.into_iter();
    for m in metas {
        let errors: Vec<NgsiError> = results
            .by_ref()
            .take(m.ops)
            .filter_map(Result::err)
            .collect();
        let outcome = if errors.is_empty() {
            metrics
                .measurements
                .fetch_add(m.measurements, Ordering::Relaxed);
            Ok(())
        } else {
            Err(store_rejected(&m.device, &errors, dead))
        };
        if let Some(done) = m.done {
            let _ = done.send(outcome);
        }
    }
}

fn store_rejected(d: &DeviceEntry, errors: &[NgsiError], dead: &DeadLetters) -> String {
    d.runtime.errors.fetch_add(1, Ordering::Relaxed);
    let detail = errors
        .iter()
        .map(|e| e.detail.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let rejected = Rejected {
        reason: Reason::StoreRejected,
        transport: "store",
        source: &d.entity_id,
        tenant: Some(&d.tenant),
        device_id: Some(&d.spec.device_id),
        detail: detail.clone(),
        payload: b"",
    };
    dead.record(rejected, ngsi::time::now());
    detail
}
