//! The `mqtt-ingest` measurements: N devices publishing 10-measure JSON messages, through
//! (1) raw Mosquitto publish→subscribe (baseline), (2) twinisle's embedded broker (QoS 1:
//! acknowledged only once durable), (3) Mosquitto into twinisle's external client; then the
//! publish-to-queryable latency at half the embedded throughput. Prints one JSON report.
//!
//! ```text
//! cargo run --release -p iot --example iot_serve -- --listen 127.0.0.1:28026 --data-dir /tmp/a --mqtt-listen 127.0.0.1:28883
//! cargo run --release -p iot --example iot_serve -- --listen 127.0.0.1:28027 --data-dir /tmp/b --mqtt-listen 127.0.0.1:28884 --external bench
//! cargo run --release -p iot --features bench --example mqtt_bench -- --devices 10000 --duration 10
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use sim::client::{Client, Target};
use sim::histogram::Histogram;
use sim::scenario::Request;
use sim::scenario::mqtt_ingest::{self, Load, MEASURES, device_id};
use tokio::time::Instant;

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn client(url: &str) -> Result<Client, Box<dyn std::error::Error>> {
    Ok(Client::new(Target::resolve(url).await?, None)?)
}

async fn about(c: &Client) -> u64 {
    let req = Request::get(http::Uri::from_static("/iot/about"), &[200], 0);
    match c.send(req).await {
        Ok(r) => serde_json::from_slice::<serde_json::Value>(&r.body)
            .ok()
            .and_then(|v| v["measurements"].as_u64())
            .unwrap_or(0),
        Err(_) => 0,
    }
}

/// Counts what arrives at `count` from the first arrival until it stops growing for 1 s.
async fn window(count: &AtomicU64) -> (u64, Duration) {
    while count.load(Relaxed) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (start, t0) = (count.load(Relaxed), Instant::now());
    let (mut last, mut t_last) = (start, t0);
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = count.load(Relaxed);
        if now == last && t_last.elapsed() >= Duration::from_secs(1) {
            return (last - start, t_last - t0);
        }
        if now != last {
            (last, t_last) = (now, Instant::now());
        }
    }
}

/// Raw Mosquitto: the same devices and payloads (QoS 1 in, so publishers feel the broker's
/// pace), one QoS 0 subscriber on everything, as twinisle's external client would be.
async fn baseline(mosquitto: SocketAddr, devices: u32, secs: u64) -> f64 {
    let prefix = format!("rawbase{}", std::process::id());
    let count = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(3600);
    let (filter, c) = (format!("{prefix}/#"), count.clone());
    let sub =
        tokio::spawn(
            async move { mqtt_ingest::subscribe_count(mosquitto, &filter, until, c).await },
        );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let load = Load {
        broker: mosquitto,
        devices,
        prefix,
        apikey: "raw".into(),
        measures: MEASURES,
        qos1: true,
        duration: Duration::from_secs(secs),
        rate: None,
    };
    let publisher = tokio::spawn(async move { mqtt_ingest::publish(&load).await });
    let (received, took) = window(&count).await;
    let p = publisher.await.unwrap_or_default();
    sub.abort();
    eprintln!("baseline: {p:?}; subscriber received {received} in {took:?}");
    received as f64 * f64::from(MEASURES) / took.as_secs_f64().max(1e-3)
}

/// Publishes through `broker` and counts what twinisle committed (its `/iot/about` counter).
async fn through(server: &Client, load: &Load) -> (f64, Published) {
    let before = about(server).await;
    let p = mqtt_ingest::publish(load).await;
    let t_end = Instant::now();
    let mut last = about(server).await;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = about(server).await;
        if now == last {
            break;
        }
        last = now;
    }
    let drain = t_end.elapsed().saturating_sub(Duration::from_millis(500));
    let committed = last.saturating_sub(before) as f64;
    (committed / (load.duration + drain).as_secs_f64(), p)
}

type Published = mqtt_ingest::Published;

/// Publish-to-queryable latency of a probe device while `load` runs.
async fn latency(
    server: &Client,
    broker: SocketAddr,
    apikey: &str,
    probe: u32,
    secs: u64,
) -> Histogram {
    let mut h = Histogram::new();
    let mut opts = sim::mqtt::MqttOptions::new(format!("probe-{}", std::process::id()));
    opts.qos = sim::mqtt::QoS::AtMostOnce;
    let Ok(mut c) = sim::mqtt::MqttClient::connect(broker, &opts).await else {
        return h;
    };
    let topic = format!("/json/{apikey}/{}/attrs", device_id(probe));
    let path = format!(
        "/ngsi-ld/v1/entities/urn:ngsi-ld:SimSensor:{}?options=keyValues&attrs=measure0",
        device_id(probe)
    );
    let Ok(uri) = http::Uri::try_from(path) else {
        return h;
    };
    let end = Instant::now() + Duration::from_secs(secs);
    let mut k = 100_000u64;
    while Instant::now() < end {
        k += 1;
        let t0 = Instant::now();
        if c.publish(&topic, format!("{{\"m0\":{k}}}").as_bytes())
            .await
            .is_err()
            || c.flush().await.is_err()
        {
            break;
        }
        while t0.elapsed() < Duration::from_secs(5) {
            let Ok(r) = server.send(Request::get(uri.clone(), &[200], 0)).await else {
                break;
            };
            let seen = serde_json::from_slice::<serde_json::Value>(&r.body)
                .ok()
                .and_then(|v| v["measure0"].as_u64());
            if seen == Some(k) {
                h.record(t0.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    h
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let devices: u32 = arg("--devices", 10_000);
    let secs: u64 = arg("--duration", 10);
    let mosquitto: SocketAddr = arg("--mosquitto", "127.0.0.1:1883".parse()?);
    let embedded: SocketAddr = arg("--mqtt", "127.0.0.1:28883".parse()?);
    let target: String = arg("--target", "http://127.0.0.1:28026".to_string());
    let external: String = arg("--external-target", "http://127.0.0.1:28027".to_string());
    let prefix: String = arg("--prefix", "bench".to_string());
    let only_latency: f64 = arg("--only-latency", 0.0);
    if only_latency > 0.0 {
        let server = client(&target).await?;
        let key = format!("lat{}", std::process::id());
        mqtt_ingest::provision(&server, &key, devices + 1).await?;
        let load = Load {
            broker: embedded,
            devices,
            prefix: String::new(),
            apikey: key.clone(),
            measures: MEASURES,
            qos1: true,
            duration: Duration::from_secs(secs + 2),
            rate: Some(only_latency),
        };
        let bg = tokio::spawn(async move { mqtt_ingest::publish(&load).await });
        tokio::time::sleep(Duration::from_secs(2)).await;
        let lat = latency(&server, embedded, &key, devices, secs).await;
        let p = bg.await.unwrap_or_default();
        println!(
            "{}",
            serde_json::json!({"rate_msgs_per_s": only_latency, "load": format!("{p:?}"),
            "p50_ms": lat.quantile_ms(0.5), "p99_ms": lat.quantile_ms(0.99), "max_ms": lat.max_ms(), "samples": lat.count()})
        );
        return Ok(());
    }
    let base = baseline(mosquitto, devices, secs).await;
    eprintln!("baseline: {base:.0} measurements/s");
    let server = client(&target).await?;
    let key = format!("emb{}", std::process::id());
    mqtt_ingest::provision(&server, &key, devices + 1).await?;
    let load = Load {
        broker: embedded,
        devices,
        prefix: String::new(),
        apikey: key.clone(),
        measures: MEASURES,
        qos1: true,
        duration: Duration::from_secs(secs),
        rate: None,
    };
    let p = mqtt_ingest::publish(&load).await;
    let emb = p.acked as f64 * f64::from(MEASURES) / p.window.as_secs_f64();
    eprintln!("embedded: {p:?} -> {emb:.0} durable measurements/s");
    let fraction: f64 = arg("--latency-fraction", 0.5);
    let half = Load {
        rate: Some(emb / f64::from(MEASURES) * fraction),
        duration: Duration::from_secs(secs + 2),
        ..load.clone()
    };
    let bg = tokio::spawn(async move { mqtt_ingest::publish(&half).await });
    tokio::time::sleep(Duration::from_secs(2)).await;
    let lat = latency(
        &server,
        embedded,
        &key,
        devices,
        secs.saturating_sub(1).max(1),
    )
    .await;
    let half_stats = bg.await.unwrap_or_default();
    eprintln!(
        "latency under half load ({half_stats:?}): p50 {:.1} ms p99 {:.1} ms n={}",
        lat.quantile_ms(0.5),
        lat.quantile_ms(0.99),
        lat.count()
    );
    let ext_server = client(&external).await?;
    let ext_key = format!("ext{}", std::process::id());
    mqtt_ingest::provision(&ext_server, &ext_key, devices).await?;
    let ext_load = Load {
        broker: mosquitto,
        prefix: prefix.clone(),
        apikey: ext_key,
        qos1: true,
        ..load.clone()
    };
    let (ext, ext_p) = through(&ext_server, &ext_load).await;
    eprintln!("external via mosquitto: {ext_p:?} -> {ext:.0} committed measurements/s");
    let report = serde_json::json!({
        "devices": devices, "measures_per_message": MEASURES, "duration_s": secs,
        "mosquitto_raw_pub_sub_measurements_per_s": base.round(),
        "embedded_durable_measurements_per_s": emb.round(),
        "embedded_ratio_to_raw_mosquitto": (emb / base * 100.0).round() / 100.0,
        "external_committed_measurements_per_s": ext.round(),
        "external_ratio_to_raw_mosquitto": (ext / base * 100.0).round() / 100.0,
        "latency_at_half_rate_ms": {"p50": lat.quantile_ms(0.5), "p99": lat.quantile_ms(0.99), "max": lat.max_ms(), "samples": lat.count()},
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
