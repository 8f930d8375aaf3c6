//! The counting receiver of `notify-fanout`: an HTTP server in the load generator's process that
//! takes every notification, checks each probe's sequence (duplicates, reordering) and records
//! update-to-delivery latency from the probes' `sentAt`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

use crate::error::LoadError;
use crate::histogram::Histogram;

/// What the receiver saw, per probe and in total.
pub(super) struct Counts {
    pub(super) started: Instant,
    pub(super) state: Mutex<Tally>,
}

#[derive(Default)]
pub(super) struct Tally {
    /// Per subscription: a bitset of the sequence numbers seen, and the highest.
    pub(super) seen: Vec<(Vec<u64>, u64)>,
    pub(super) notifications: u64,
    pub(super) unique: u64,
    pub(super) duplicates: u64,
    pub(super) reordered: u64,
    pub(super) latency: Histogram,
    pub(super) first: Option<Duration>,
    pub(super) last: Option<Duration>,
}

impl Counts {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one notification body.
    pub(super) fn record(&self, body: &[u8]) {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        // Subscription ids end in `-<index>`; each subscription watches one probe.
        let sub = v["subscriptionId"]
            .as_str()
            .and_then(|id| id.rsplit('-').next())
            .and_then(|s| s.parse::<usize>().ok());
        let Some(sub) = sub else { return };
        let now = now_micros();
        let at = self.started.elapsed();
        let mut t = self.lock();
        t.notifications += 1;
        t.first.get_or_insert(at);
        t.last = Some(at);
        for e in v["data"].as_array().into_iter().flatten() {
            let Some(seq) = e["seq"].as_u64() else {
                continue;
            };
            if let Some(sent) = e["sentAt"].as_u64().filter(|s| *s > 0) {
                t.latency.record_nanos(now.saturating_sub(sent) * 1000);
            }
            let Some((bits, max)) = t.seen.get_mut(sub) else {
                continue;
            };
            let (dup, late) = (bit(bits, seq), seq < *max);
            set_bit(bits, seq);
            *max = (*max).max(seq);
            match (dup, late) {
                (true, _) => t.duplicates += 1,
                (false, true) => {
                    t.reordered += 1;
                    t.unique += 1;
                }
                (false, false) => t.unique += 1,
            }
        }
    }
}

pub(super) fn bit(bits: &[u64], i: u64) -> bool {
    bits.get((i / 64) as usize)
        .is_some_and(|w| w & (1 << (i % 64)) != 0)
}

fn set_bit(bits: &mut Vec<u64>, i: u64) {
    let w = (i / 64) as usize;
    if bits.len() <= w {
        bits.resize(w + 1, 0);
    }
    bits[w] |= 1 << (i % 64);
}

pub(super) fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Starts the counting receiver on `127.0.0.1:0` for the life of the process.
pub(super) async fn start_receiver(counts: Arc<Counts>) -> Result<SocketAddr, LoadError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(LoadError::Baseline)?;
    let addr = listener.local_addr().map_err(LoadError::Baseline)?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let counts = counts.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: hyper::Request<Incoming>| {
                    let counts = counts.clone();
                    async move {
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        // Probe ids are `<prefix><nonce>-<k>`: the number after the dash is k.
                        counts.record(&body);
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::new())))
                    }
                });
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Batch, NotifyFanout};
    use super::*;
    use crate::scenario::ScenarioConfig;

    fn scenario() -> NotifyFanout {
        NotifyFanout::new(&ScenarioConfig {
            seed: 1,
            entities: 25,
            nonce: 0xabc,
            now_unix: 0,
        })
    }

    #[test]
    fn the_tally_finds_duplicates_reordering_and_losses() {
        let s = scenario();
        let counts = Counts {
            started: Instant::now(),
            state: Mutex::new(Tally {
                seen: vec![(Vec::new(), 0); 25],
                ..Tally::default()
            }),
        };
        let n = |k: u64, seq: u64| {
            json!({"subscriptionId": format!("urn:ngsi-ld:Subscription:NotifyProbe-abc-{k}"),
                "data": [{"id": format!("urn:ngsi-ld:NotifyProbe:abc-{k}"), "seq": seq, "sentAt": 1}]})
            .to_string()
        };
        let (batch, _) = s.next_batch(0);
        assert_eq!(batch, Batch { block: 0, seq: 1 });
        let (second, _) = s.next_batch(0);
        for k in 0..10 {
            counts.record(n(k, 1).as_bytes());
        }
        counts.record(n(0, 1).as_bytes());
        counts.record(n(1, 3).as_bytes());
        counts.record(n(1, 2).as_bytes());
        let r = s.sum_up(&counts.lock());
        assert_eq!((r.duplicates, r.reordered, r.delivered), (1, 1, 12));
        assert_eq!(
            (r.acknowledged_updates, r.lost),
            (20, 10),
            "the second batch was never notified"
        );
        s.failed(second);
        assert_eq!(
            s.sum_up(&counts.lock()).lost,
            0,
            "an unacknowledged batch is not a loss"
        );
    }
}
