//! `mqtt-ingest`: N simulated devices (one MQTT connection each) publish FIWARE IoT Agent JSON
//! measurements (`/json/<apikey>/<device>/attrs`, several measures per message) to twinisle's
//! embedded broker or to Mosquitto; plus a raw Mosquitto publish→subscribe baseline with the
//! same payloads, so figures can be given as a ratio to what the broker alone does.
//!
//! The closed-loop HTTP runner cannot drive MQTT, so this file holds two things: the registry
//! entry (its `prepare` provisions the service group and the devices over `/iot/services` and
//! `/iot/devices`; its requests are the HTTP southbound twin, `POST /iot/json?k=&i=` with the
//! same payload), and the MQTT engine ([`publish`], [`subscribe_count`]) that a driver runs
//! (see `crates/iot/examples/mqtt_bench.rs`). Nothing here blocks in `next_request`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Uri};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Barrier, Semaphore};
use tokio::time::Instant;

use super::{BoxFuture, Entry, Request, Scenario, ScenarioConfig, Unit, uri};
use crate::client::Client;
use crate::error::LoadError;
use crate::mqtt::{MqttClient, MqttError, MqttOptions, QoS, connect_packet};
use crate::report::snippet;

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: NAME,
    about: "provision --entities devices (FIWARE JSON); POST /iot/json?k=&i= with 10 measures (MQTT figures: examples/mqtt_bench)",
    build,
};

const NAME: &str = "mqtt-ingest";
/// Measures per message.
pub const MEASURES: u32 = 10;
/// Devices provisioned per `POST /iot/devices`.
const PROVISION_BATCH: u32 = 1000;
/// Connections opened at once (avoids SYN floods on a shared machine).
const CONNECT_PARALLELISM: usize = 64;

struct MqttIngest {
    devices: u32,
    apikey: String,
    uris: Vec<Uri>,
    bodies: Vec<Bytes>,
}

fn build(cfg: &ScenarioConfig) -> Box<dyn Scenario> {
    let devices = cfg.entities.max(1);
    let apikey = format!("loadgen{:x}", cfg.nonce & 0xffff_ffff);
    let uris = (0..devices)
        .filter_map(|d| uri(format!("/iot/json?k={apikey}&i={}", device_id(d))))
        .collect();
    let bodies = (0..64).map(|s| Bytes::from(payload(MEASURES, s))).collect();
    Box::new(MqttIngest {
        devices,
        apikey,
        uris,
        bodies,
    })
}

/// The id of device `n`.
pub fn device_id(n: u32) -> String {
    format!("sim{n:05}")
}

/// A JSON measurement with `measures` numeric values (`m0`, `m1`, ...).
pub fn payload(measures: u32, seq: u64) -> Vec<u8> {
    let mut out = String::from("{");
    for m in 0..measures {
        if m > 0 {
            out.push(',');
        }
        let v = (seq.wrapping_mul(31).wrapping_add(u64::from(m) * 7) % 1000) as f64 / 10.0;
        out.push_str(&format!("\"m{m}\":{v}"));
    }
    out.push('}');
    out.into_bytes()
}

impl Scenario for MqttIngest {
    fn name(&self) -> &'static str {
        NAME
    }

    fn unit(&self) -> Unit {
        Unit::Instances
    }

    fn prepare<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<(), LoadError>> {
        Box::pin(provision(client, &self.apikey, self.devices))
    }

    fn next_request(&self, worker: usize, i: u64) -> Request {
        let n = (worker as u64).wrapping_mul(7919).wrapping_add(i) % u64::from(self.devices);
        let uri = self.uris.get(n as usize).cloned().unwrap_or_default();
        let body = self.bodies[(i % self.bodies.len() as u64) as usize].clone();
        Request::with_body(Method::POST, uri, body, &[200]).items(MEASURES)
    }
}

/// Provisions the group `apikey` (entity type `SimSensor`, Number attributes) and `devices`
/// devices over the FIWARE provisioning API.
pub async fn provision(client: &Client, apikey: &str, devices: u32) -> Result<(), LoadError> {
    let attrs: Vec<serde_json::Value> = (0..MEASURES)
        .map(|m| serde_json::json!({"object_id": format!("m{m}"), "name": format!("measure{m}"), "type": "Number"}))
        .collect();
    let group = serde_json::json!({"services": [{"apikey": apikey, "entity_type": "SimSensor",
        "resource": "/iot/json", "attributes": attrs, "autoprovision": false}]});
    post(client, "/iot/services", group.to_string(), &[201, 409]).await?;
    let mut start = 0;
    while start < devices {
        let end = (start + PROVISION_BATCH).min(devices);
        let list: Vec<serde_json::Value> = (start..end)
            .map(|d| serde_json::json!({"device_id": device_id(d), "apikey": apikey, "protocol": "PDI-IoTA-JSON", "timeout": 0}))
            .collect();
        let body = serde_json::json!({"devices": list}).to_string();
        post(client, "/iot/devices", body, &[201, 409]).await?;
        start = end;
    }
    Ok(())
}

async fn post(
    client: &Client,
    path: &'static str,
    body: String,
    ok: &'static [u16],
) -> Result<(), LoadError> {
    let req = Request::with_body(Method::POST, Uri::from_static(path), Bytes::from(body), ok);
    let reply = client.send(req).await?;
    if ok.contains(&reply.status.as_u16()) {
        return Ok(());
    }
    Err(LoadError::Prepare {
        scenario: NAME,
        method: "POST".into(),
        path: path.into(),
        status: reply.status.as_u16(),
        body: snippet(&reply.body, 300),
    })
}

/// One MQTT load: `devices` connections publishing to `<prefix>/json/<apikey>/<device>/attrs`.
#[derive(Clone, Debug)]
pub struct Load {
    pub broker: SocketAddr,
    pub devices: u32,
    pub prefix: String,
    pub apikey: String,
    pub measures: u32,
    /// QoS 1 (twinisle's embedded broker acknowledges only durable writes) or QoS 0.
    pub qos1: bool,
    pub duration: Duration,
    /// Messages per second over all devices; None: as fast as acknowledgements allow.
    pub rate: Option<f64>,
}

/// What a load did during its measured window.
#[derive(Clone, Copy, Debug, Default)]
pub struct Published {
    /// Messages sent in the window.
    pub sent: u64,
    /// Messages acknowledged in the window (QoS 1).
    pub acked: u64,
    /// Length of the window.
    pub window: Duration,
    /// Connections that failed.
    pub failed: u32,
}

/// Connects every device, then publishes for `duration` once all are connected.
pub async fn publish(load: &Load) -> Published {
    let devices = load.devices.max(1) as usize;
    let gate = Arc::new(Barrier::new(devices + 1));
    let connecting = Arc::new(Semaphore::new(CONNECT_PARALLELISM));
    let mut tasks = Vec::with_capacity(devices);
    for d in 0..load.devices.max(1) {
        let (load, gate, connecting) = (load.clone(), gate.clone(), connecting.clone());
        tasks.push(tokio::spawn(async move {
            device(load, d, gate, connecting).await
        }));
    }
    gate.wait().await;
    let started = Instant::now();
    let mut total = Published::default();
    for t in tasks {
        match t.await {
            Ok(Ok((sent, acked))) => {
                total.sent += sent;
                total.acked += acked;
            }
            _ => total.failed += 1,
        }
    }
    total.window = load.duration.min(started.elapsed());
    total
}

async fn device(
    load: Load,
    d: u32,
    gate: Arc<Barrier>,
    connecting: Arc<Semaphore>,
) -> Result<(u64, u64), MqttError> {
    let mut opts = MqttOptions::new(format!("{}-{}", load.apikey, device_id(d)));
    opts.qos = if load.qos1 {
        QoS::AtLeastOnce
    } else {
        QoS::AtMostOnce
    };
    let connected = {
        let _slot = connecting.acquire().await;
        MqttClient::connect(load.broker, &opts).await
    };
    gate.wait().await;
    let mut c = connected?;
    let topic = format!(
        "{}/json/{}/{}/attrs",
        load.prefix,
        load.apikey,
        device_id(d)
    );
    let bodies: Vec<Vec<u8>> = (0..8)
        .map(|s| payload(load.measures, u64::from(d) + s))
        .collect();
    let interval = load
        .rate
        .map(|r| Duration::from_secs_f64(f64::from(load.devices) / r.max(1e-3)));
    let deadline = Instant::now() + load.duration;
    let mut next = Instant::now()
        + interval.map_or(Duration::ZERO, |i| i.mul_f64(f64::from(d % 1000) / 1000.0));
    let mut i = 0usize;
    while Instant::now() < deadline {
        if let Some(iv) = interval {
            tokio::time::sleep_until(next).await;
            next += iv;
        }
        c.publish(&topic, &bodies[i % bodies.len()]).await?;
        i += 1;
        if interval.is_some() || i.is_multiple_of(16) {
            c.flush().await?;
        }
    }
    let (sent, acked) = (c.published(), c.acknowledged());
    let _ = c.disconnect(Duration::from_millis(200)).await;
    Ok((sent, if load.qos1 { acked } else { sent }))
}

/// Subscribes to `filter` at QoS 0 and adds every PUBLISH received to `count` until `until`.
pub async fn subscribe_count(
    broker: SocketAddr,
    filter: &str,
    until: Instant,
    count: Arc<std::sync::atomic::AtomicU64>,
) -> Result<(), MqttError> {
    let io = |source| MqttError::Io {
        addr: broker,
        source,
    };
    let mut s = TcpStream::connect(broker).await.map_err(io)?;
    let opts = MqttOptions::new(format!("bench-sub-{}", std::process::id()));
    s.write_all(&connect_packet(&opts)?).await.map_err(io)?;
    let mut sub = vec![0x82u8, 0, 0, 1];
    sub.extend_from_slice(&(filter.len() as u16).to_be_bytes());
    sub.extend_from_slice(filter.as_bytes());
    sub.push(0);
    sub[1] = (sub.len() - 2) as u8;
    s.write_all(&sub).await.map_err(io)?;
    let mut buf = Vec::with_capacity(1 << 20);
    let mut chunk = vec![0u8; 1 << 16];
    while let Ok(read) = tokio::time::timeout_at(until, s.read(&mut chunk)).await {
        let n = read.map_err(io)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let got = drain_publishes(&mut buf);
        count.fetch_add(got, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(())
}

/// Removes complete packets from the front of `buf`; returns how many were PUBLISH.
fn drain_publishes(buf: &mut Vec<u8>) -> u64 {
    let (mut pos, mut count) = (0usize, 0u64);
    while let Some(&first) = buf.get(pos) {
        let (mut len, mut shift, mut i) = (0usize, 0, 1);
        let complete = loop {
            let Some(&b) = buf.get(pos + i) else {
                break false;
            };
            len |= usize::from(b & 0x7f) << shift;
            i += 1;
            if b & 0x80 == 0 {
                break true;
            }
            shift += 7;
        };
        if !complete || buf.len() < pos + i + len {
            break;
        }
        if first & 0xf0 == 0x30 {
            count += 1;
        }
        pos += i + len;
    }
    buf.drain(..pos);
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_carry_the_measures_and_packets_are_counted() {
        let p: serde_json::Value = serde_json::from_slice(&payload(10, 3)).unwrap_or_default();
        assert_eq!(p.as_object().map(|o| o.len()), Some(10));
        let mut buf = vec![0x30, 3, 0, 1, b't', 0x90, 3, 0, 1, 0, 0x30, 5, 0];
        assert_eq!(drain_publishes(&mut buf), 1);
        assert_eq!(buf, vec![0x30, 5, 0]);
    }
}
