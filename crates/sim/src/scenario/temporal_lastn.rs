//! `temporal-lastn`: `GET /ngsi-ld/v1/temporal/entities/{id}?lastN=100` on random sensors of a
//! seeded history: `HISTORY_SENSORS` sensors x 10,000 instances of one numeric Property (a daily
//! wave plus noise, two decimals), five minutes apart with up to a second of clock jitter,
//! ending 2026-09-01T00:00:00Z (about 35 days).
//!
//! Also owns that seeded history, shared with `temporal-aggregate`. The number of sensors comes
//! from the environment variable `TWINISLE_LOADGEN_HISTORY_SENSORS` (default 100, i.e. one
//! million instances); the target figures use 10,000 (100 million instances). Seeding writes
//! through `POST /temporal/entities` and is skipped when the server already holds the history.

use bytes::Bytes;
use http::{Method, Uri};
use tokio::task::JoinSet;

use super::{BoxFuture, Entry, Request, Scenario, ScenarioConfig, uri};
use crate::client::Client;
use crate::error::LoadError;
use crate::report::snippet;
use crate::rng::mix3;
use crate::timefmt::rfc3339;

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: NAME,
    about: "GET /temporal/entities/{id}?lastN=100 on a seeded history (expects 200)",
    build,
};

const NAME: &str = "temporal-lastn";
const STREAM: u64 = 0x6c61_7374;
/// The environment variable holding the number of seeded sensors.
pub const SENSORS_VAR: &str = "TWINISLE_LOADGEN_HISTORY_SENSORS";
const DEFAULT_SENSORS: u32 = 100;
/// Instances per sensor.
pub const DEPTH: i64 = 10_000;
/// Seconds between instances.
pub const STEP_S: i64 = 300;
/// The end of the seeded history: 2026-09-01T00:00:00Z.
pub const END_UNIX: i64 = 1_788_220_800;
/// Instances per seeding request (simplified representation, about 35 bytes each).
const PER_REQUEST: i64 = 5_000;
const SEED_PARALLELISM: usize = 2;
const TEMPORAL: &str = "/ngsi-ld/v1/temporal/entities";

/// How many sensors the seeded history has.
pub fn sensors() -> u32 {
    std::env::var(SENSORS_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_SENSORS)
}

/// The id of seeded sensor `n`.
pub fn sensor_id(n: u32) -> String {
    format!("urn:ngsi-ld:HistorySensor:h{n:06}")
}

/// The value of instance `k` of sensor `n`: a daily wave plus noise, two decimals.
fn value(n: u32, k: i64) -> f64 {
    let noise = (mix3(u64::from(n), k as u64, 1) % 61) as i64 - 30;
    let wave = (k % 288 - 144).abs() * 3;
    // One division of an integer: the f64 nearest to the two-decimal text, as a gauge sends it.
    (1_000 + i64::from(n % 500) + wave + noise) as f64 / 100.0
}

/// When instance `k` was observed: every five minutes, with up to a second of clock jitter.
fn observed_at(n: u32, k: i64) -> String {
    let ms = (mix3(u64::from(n), k as u64, 2) % 1_000) as i64;
    let t = rfc3339(END_UNIX - (DEPTH - k) * STEP_S);
    format!("{}.{ms:03}Z", t.trim_end_matches('Z'))
}

fn seed_body(n: u32, ks: std::ops::Range<i64>) -> Bytes {
    let values: Vec<serde_json::Value> = ks
        .map(|k| serde_json::json!([value(n, k), observed_at(n, k)]))
        .collect();
    let body = serde_json::json!({"id": sensor_id(n), "type": "HistorySensor",
        "level": {"type": "Property", "values": values}});
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}

async fn post(client: &Client, scenario: &'static str, body: Bytes) -> Result<(), LoadError> {
    let req = Request::with_body(Method::POST, Uri::from_static(TEMPORAL), body, &[201, 204]);
    let reply = client.send(req).await?;
    if matches!(reply.status.as_u16(), 201 | 204) {
        return Ok(());
    }
    Err(LoadError::Prepare {
        scenario,
        method: "POST".into(),
        path: TEMPORAL.into(),
        status: reply.status.as_u16(),
        body: snippet(&reply.body, 300),
    })
}

/// Whether the server already holds the whole seeded history (its last instance is there).
async fn seeded(client: &Client, sensors: u32) -> Result<bool, LoadError> {
    let Some(u) = uri(format!("{TEMPORAL}/{}?lastN=1", sensor_id(sensors - 1))) else {
        return Ok(false);
    };
    let reply = client.send(Request::get(u, &[200, 404], 1)).await?;
    let want = observed_at(sensors - 1, DEPTH - 1);
    Ok(reply.status.as_u16() == 200 && String::from_utf8_lossy(&reply.body).contains(&want))
}

/// Seeds the history once per client (and not at all when the server has it already).
pub async fn seed_history(client: &Client, scenario: &'static str) -> Result<(), LoadError> {
    let sensors = sensors();
    if !client.first_time("history:seeded") || seeded(client, sensors).await? {
        return Ok(());
    }
    let mut tasks = JoinSet::new();
    for lane in 0..SEED_PARALLELISM {
        let client = client.clone();
        tasks.spawn(async move {
            for n in (0..sensors).skip(lane).step_by(SEED_PARALLELISM) {
                for start in (0..DEPTH).step_by(PER_REQUEST as usize) {
                    let body = seed_body(n, start..(start + PER_REQUEST).min(DEPTH));
                    post(&client, scenario, body).await?;
                }
            }
            Ok::<(), LoadError>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| LoadError::Prepare {
            scenario,
            method: "POST".into(),
            path: TEMPORAL.into(),
            status: 0,
            body: e.to_string(),
        })??;
    }
    Ok(())
}

struct TemporalLastN {
    seed: u64,
    uris: Vec<Uri>,
}

fn build(cfg: &ScenarioConfig) -> Box<dyn Scenario> {
    let uris = (0..sensors())
        .filter_map(|n| uri(format!("{TEMPORAL}/{}?lastN=100", sensor_id(n))))
        .collect();
    Box::new(TemporalLastN {
        seed: cfg.seed,
        uris,
    })
}

impl Scenario for TemporalLastN {
    fn name(&self) -> &'static str {
        NAME
    }

    fn prepare<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<(), LoadError>> {
        Box::pin(seed_history(client, NAME))
    }

    fn next_request(&self, worker: usize, i: u64) -> Request {
        let r = mix3(self.seed ^ STREAM, worker as u64, i);
        let len = self.uris.len().max(1) as u64;
        let uri = self
            .uris
            .get((r % len) as usize)
            .cloned()
            .unwrap_or_default();
        Request::get(uri, &[200], 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_bodies_are_simplified_temporal_entities() {
        let v: serde_json::Value = serde_json::from_slice(&seed_body(3, 9_998..10_000)).unwrap();
        assert_eq!(v["id"], "urn:ngsi-ld:HistorySensor:h000003");
        let values = v["level"]["values"].as_array().unwrap();
        assert_eq!(values.len(), 2);
        assert!(
            values[1][1]
                .as_str()
                .unwrap()
                .starts_with("2026-08-31T23:55:00.")
        );
        assert!(
            values[0][1]
                .as_str()
                .unwrap()
                .starts_with("2026-08-31T23:50:00.")
        );
        assert!(values[0][0].as_f64().unwrap() > 5.0);
    }
}
