//! `history-ingest`: batch upserts (`options=update`) of 100 sensors with 10 freshly observed
//! numeric channels each, every request one new observation round: 1,000 attribute instances
//! per request that the history must record.
//!
//! Measures durable history ingest through the ordinary write path. Its sensors
//! (`urn:ngsi-ld:HistorySensor:ingest-NNNNNN`) are apart from every other scenario's data.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::{Method, Uri};

use super::{BATCH, BoxFuture, Entry, Request, Scenario, ScenarioConfig, Unit};
use crate::client::Client;
use crate::error::LoadError;
use crate::timefmt::rfc3339;

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: NAME,
    about: "POST /entityOperations/upsert?options=update, 100 sensors x 10 observed channels (1,000 instances; expects 201/204)",
    build,
};

const NAME: &str = "history-ingest";
const PATH: &str = "/ngsi-ld/v1/entityOperations/upsert?options=update";
/// Sensors written in turn, 100 per request.
const SENSORS: u64 = 2_000;
/// Numeric channels per sensor.
const CHANNELS: u32 = 10;

struct HistoryIngest {
    next: AtomicU64,
    start_unix: i64,
}

fn build(cfg: &ScenarioConfig) -> Box<dyn Scenario> {
    Box::new(HistoryIngest {
        next: AtomicU64::new(0),
        // Observation rounds one second apart, starting now, so reruns add new instances.
        start_unix: cfg.now_unix,
    })
}

/// A deterministic reading with two decimals, like a real gauge's.
fn reading(sensor: u64, channel: u32, round: u64) -> f64 {
    let x = sensor
        .wrapping_mul(31)
        .wrapping_add(u64::from(channel) * 7919)
        .wrapping_add(round * 17);
    (x % 5_000) as f64 / 100.0
}

/// The body of request `k`: sensors of block `k % blocks`, observed at round `k / blocks`.
fn body(k: u64, start_unix: i64) -> Bytes {
    let blocks = SENSORS / u64::from(BATCH);
    let (block, round) = (k % blocks, k / blocks);
    let at = rfc3339(start_unix + round as i64);
    let mut s = String::with_capacity(100 * 700);
    s.push('[');
    for n in block * u64::from(BATCH)..(block + 1) * u64::from(BATCH) {
        if n > block * u64::from(BATCH) {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"id":"urn:ngsi-ld:HistorySensor:ingest-{n:06}","type":"HistorySensor""#
        );
        for c in 0..CHANNELS {
            let v = reading(n, c, round);
            let _ = write!(
                s,
                r#","c{c}":{{"type":"Property","value":{v},"observedAt":"{at}"}}"#
            );
        }
        s.push('}');
    }
    s.push(']');
    Bytes::from(s)
}

impl Scenario for HistoryIngest {
    fn name(&self) -> &'static str {
        NAME
    }

    fn unit(&self) -> Unit {
        Unit::Instances
    }

    fn prepare<'a>(&'a self, _client: &'a Client) -> BoxFuture<'a, Result<(), LoadError>> {
        // Upsert creates the sensors on first sight: nothing to seed.
        Box::pin(async { Ok(()) })
    }

    fn next_request(&self, _worker: usize, _i: u64) -> Request {
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        let uri = Uri::from_static(PATH);
        Request::with_body(Method::POST, uri, body(k, self.start_unix), &[201, 204])
            .items(BATCH * CHANNELS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_json_arrays_of_observed_sensors() {
        let v: serde_json::Value = serde_json::from_slice(&body(21, 1_788_220_800)).unwrap();
        let list = v.as_array().unwrap();
        assert_eq!(list.len(), BATCH as usize);
        assert_eq!(list[0]["id"], "urn:ngsi-ld:HistorySensor:ingest-000100");
        assert_eq!(list[0]["c9"]["observedAt"], "2026-09-01T00:00:01Z");
        assert!(list[0]["c0"]["value"].is_number());
    }
}
