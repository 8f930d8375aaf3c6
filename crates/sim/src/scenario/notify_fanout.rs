//! `notify-fanout`: notification delivery under load. `prepare` starts a counting HTTP receiver
//! in this process, creates `--entities` probe entities and one subscription per entity (keyValues,
//! attributes `seq` and `sentAt`); each request is then a batch update of [`BATCH_ENTITIES`]
//! probes, each with the next `seq` of that probe and the send time in `sentAt`.
//!
//! The receiver checks every probe's sequence (duplicates, reordering, gaps) and measures
//! update-to-delivery latency from `sentAt`; [`NotifyFanout::report`] settles and sums it up.
//! A probe's updates are in flight one at a time as long as connections stay below
//! `entities / BATCH_ENTITIES`, so its sequence is also its commit order.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Uri};
use serde::Serialize;
use serde_json::{Value, json};

use super::{API, BoxFuture, Entry, Request, Scenario, ScenarioConfig, Unit};
use crate::client::Client;
use crate::error::LoadError;
use crate::report::snippet;

mod counting;

use counting::{Counts, Tally, bit, now_micros, start_receiver};

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: NAME,
    about: "batch updates of probes, one subscription each, counted by an in-process receiver",
    build,
};

const NAME: &str = "notify-fanout";
/// Probe updates per request.
pub const BATCH_ENTITIES: u64 = 10;
const TYPE: &str = "NotifyProbe";
const UPDATE_PATH: &str = "/ngsi-ld/v1/entityOperations/update";

fn build(cfg: &ScenarioConfig) -> Box<dyn Scenario> {
    Box::new(NotifyFanout::new(cfg))
}

/// The scenario. Public so that drivers other than the closed-loop runner can use it.
pub struct NotifyFanout {
    probes: u64,
    /// Subscriptions per probe.
    fanout: u64,
    nonce: u64,
    /// Probes in groups of [`BATCH_ENTITIES`]: one request updates one block.
    blocks: Vec<Block>,
    cursor: AtomicUsize,
    /// The block each worker has in flight (released by its next request).
    held: Mutex<HashMap<usize, usize>>,
    failed: Mutex<Vec<Batch>>,
    receiver: OnceLock<Arc<Counts>>,
}

/// A block of probes: whether a request for it is in flight, and its last sequence number.
#[derive(Default)]
struct Block {
    busy: AtomicBool,
    seq: AtomicU64,
}

/// One request: a block and the sequence number its probes get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    pub block: usize,
    pub seq: u64,
}

/// The figures of a run.
#[derive(Debug, Clone, Serialize)]
pub struct FanoutReport {
    pub subscriptions: u64,
    /// Probe updates acknowledged by the server (issued minus failed requests).
    pub acknowledged_updates: u64,
    /// Notification requests received (a backlog travels several entities per request).
    pub notifications: u64,
    /// Distinct (subscription, update) pairs notified.
    pub delivered: u64,
    /// Acknowledged (subscription, update) pairs never notified.
    pub lost: u64,
    pub duplicates: u64,
    pub reordered: u64,
    /// Delivered (subscription, update) pairs per second, first to last delivery.
    pub delivered_per_s: f64,
    /// Notification requests per second, first to last delivery.
    pub requests_per_s: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_max_ms: f64,
}

impl NotifyFanout {
    pub fn new(cfg: &ScenarioConfig) -> Self {
        let probes = u64::from(cfg.entities.max(1));
        Self {
            probes,
            fanout: 1,
            nonce: cfg.nonce,
            blocks: (0..probes.div_ceil(BATCH_ENTITIES))
                .map(|_| Block::default())
                .collect(),
            cursor: AtomicUsize::new(0),
            held: Mutex::new(HashMap::new()),
            failed: Mutex::new(Vec::new()),
            receiver: OnceLock::new(),
        }
    }

    /// Each probe watched by `fanout` subscriptions (one by default): every update is then
    /// notified `fanout` times, to measure delivery beyond the write rate.
    pub fn with_fanout(mut self, fanout: u64) -> Self {
        self.fanout = fanout.max(1);
        self
    }

    fn probe_id(&self, k: u64) -> String {
        format!("urn:ngsi-ld:{TYPE}:{:x}-{k}", self.nonce & 0xffff_ffff)
    }

    /// The probes of block `b`.
    fn block_probes(&self, b: usize) -> std::ops::Range<u64> {
        let first = b as u64 * BATCH_ENTITIES;
        first..(first + BATCH_ENTITIES).min(self.probes)
    }

    /// The next request of `worker`: a block no other worker has in flight (so each probe's
    /// sequence is also its commit order), each of its probes with the block's next `seq`.
    pub fn next_batch(&self, worker: usize) -> (Batch, Request) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(b) = held.remove(&worker) {
            self.blocks[b].busy.store(false, Ordering::Release);
        }
        let n = self.blocks.len();
        let start = self.cursor.fetch_add(1, Ordering::Relaxed) % n;
        let block = (0..n)
            .map(|i| (start + i) % n)
            .find(|b| !self.blocks[*b].busy.swap(true, Ordering::AcqRel))
            .unwrap_or(start);
        held.insert(worker, block);
        drop(held);
        let seq = self.blocks[block].seq.fetch_add(1, Ordering::Relaxed) + 1;
        let now = now_micros();
        let body: Vec<Value> = self
            .block_probes(block)
            .map(|k| {
                json!({"id": self.probe_id(k), "type": TYPE,
                    "seq": {"type": "Property", "value": seq},
                    "sentAt": {"type": "Property", "value": now}})
            })
            .collect();
        let items = body.len() as u32;
        let uri = Uri::from_static(UPDATE_PATH);
        let body = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
        let req = Request::with_body(Method::POST, uri, body, &[204]).items(items);
        (Batch { block, seq }, req)
    }

    /// Records that a batch was not acknowledged (its updates may be missing).
    pub fn failed(&self, batch: Batch) {
        self.failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(batch);
    }

    /// Waits until deliveries stop arriving (no change for `quiet`, at most `max`), then counts.
    pub async fn report(&self, quiet: Duration, max: Duration) -> Option<FanoutReport> {
        let counts = self.receiver.get()?;
        let deadline = Instant::now() + max;
        let mut last = u64::MAX;
        while Instant::now() < deadline {
            let now = counts.lock().notifications;
            if now == last {
                break;
            }
            last = now;
            tokio::time::sleep(quiet).await;
        }
        Some(self.sum_up(&counts.lock()))
    }

    fn sum_up(&self, t: &Tally) -> FanoutReport {
        let failed = self
            .failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let (mut acknowledged, mut lost) = (0, 0);
        for (block, b) in self.blocks.iter().enumerate() {
            let sent = (1..=b.seq.load(Ordering::Relaxed))
                .filter(|seq| !failed.contains(&Batch { block, seq: *seq }));
            for seq in sent {
                for k in self.block_probes(block) {
                    acknowledged += 1;
                    for j in (0..self.fanout).map(|f| (k + f * self.probes) as usize) {
                        let seen = t.seen.get(j).is_some_and(|(bits, _)| bit(bits, seq));
                        lost += u64::from(!seen);
                    }
                }
            }
        }
        let span = match (t.first, t.last) {
            (Some(a), Some(b)) if b > a => (b - a).as_secs_f64(),
            _ => 0.0,
        };
        FanoutReport {
            subscriptions: self.probes * self.fanout,
            acknowledged_updates: acknowledged,
            notifications: t.notifications,
            delivered: t.unique,
            lost,
            duplicates: t.duplicates,
            reordered: t.reordered,
            requests_per_s: if span > 0.0 {
                t.notifications as f64 / span
            } else {
                0.0
            },
            delivered_per_s: if span > 0.0 {
                t.unique as f64 / span
            } else {
                0.0
            },
            latency_p50_ms: t.latency.quantile_ms(0.5),
            latency_p99_ms: t.latency.quantile_ms(0.99),
            latency_max_ms: t.latency.max_ms(),
        }
    }

    async fn setup(&self, client: &Client) -> Result<(), LoadError> {
        let counts = Arc::new(Counts {
            started: Instant::now(),
            state: Mutex::new(Tally {
                seen: vec![(Vec::new(), 0); (self.probes * self.fanout) as usize],
                ..Tally::default()
            }),
        });
        let addr = start_receiver(counts.clone()).await?;
        let _ = self.receiver.set(counts);
        let probes: Vec<u64> = (0..self.probes).collect();
        for chunk in probes.chunks(100) {
            let body: Vec<Value> = chunk
                .iter()
                .map(|k| json!({"id": self.probe_id(*k), "type": TYPE, "seq": {"type": "Property", "value": 0},
                    "sentAt": {"type": "Property", "value": 0}}))
                .collect();
            must(
                client,
                Method::POST,
                &format!("{API}/entityOperations/upsert"),
                json!(body),
                &[201, 204],
            )
            .await?;
        }
        for j in 0..self.probes * self.fanout {
            let sub = json!({"id": format!("urn:ngsi-ld:Subscription:{TYPE}-{:x}-{j}", self.nonce & 0xffff_ffff),
                "type": "Subscription", "entities": [{"type": TYPE, "id": self.probe_id(j % self.probes)}], "watchedAttributes": ["seq"],
                "notification": {"format": "keyValues", "attributes": ["seq", "sentAt"],
                    "endpoint": {"uri": format!("http://{addr}/notify"), "accept": "application/json"}}});
            must(
                client,
                Method::POST,
                &format!("{API}/subscriptions"),
                sub,
                &[201],
            )
            .await?;
        }
        Ok(())
    }
}

impl Scenario for NotifyFanout {
    fn name(&self) -> &'static str {
        NAME
    }

    fn unit(&self) -> Unit {
        Unit::Instances
    }

    fn prepare<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<(), LoadError>> {
        Box::pin(self.setup(client))
    }

    fn next_request(&self, worker: usize, _i: u64) -> Request {
        self.next_batch(worker).1
    }
}

/// One set-up request that must answer one of `expect`.
async fn must(
    client: &Client,
    method: Method,
    path: &str,
    body: Value,
    expect: &'static [u16],
) -> Result<(), LoadError> {
    let uri = super::uri(path.to_string()).unwrap_or_default();
    let body = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
    let reply = client
        .send(Request::with_body(method.clone(), uri, body, expect))
        .await?;
    if expect.contains(&reply.status.as_u16()) {
        return Ok(());
    }
    Err(LoadError::Prepare {
        scenario: NAME,
        method: method.to_string(),
        path: path.to_string(),
        status: reply.status.as_u16(),
        body: snippet(&reply.body, 300),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> NotifyFanout {
        NotifyFanout::new(&ScenarioConfig {
            seed: 1,
            entities: 25,
            nonce: 0xabc,
            now_unix: 0,
        })
    }

    #[test]
    fn workers_hold_distinct_blocks_and_sequences_grow_per_block() {
        let s = scenario();
        let (a, req) = s.next_batch(0);
        let (b, _) = s.next_batch(1);
        assert_ne!(
            a.block, b.block,
            "a block in flight is not handed out twice"
        );
        let body: Value = serde_json::from_slice(req.body.as_deref().unwrap_or_default()).unwrap();
        let first = &body.as_array().unwrap()[0];
        assert_eq!(
            first["id"],
            format!(
                "urn:ngsi-ld:NotifyProbe:abc-{}",
                a.block as u64 * BATCH_ENTITIES
            )
        );
        assert_eq!(first["seq"]["value"], 1);
        let mut seqs = Vec::new();
        for _ in 0..6 {
            let (x, _) = s.next_batch(0);
            if x.block == a.block {
                seqs.push(x.seq);
            }
        }
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]) && !seqs.is_empty(),
            "{seqs:?}"
        );
    }
}
