//! The driver against in-process stand-ins for twinisle's HTTP API and MQTT broker.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

use super::*;
use crate::mqtt::tests::FakeBroker;

type Log = Arc<Mutex<Vec<(String, String, Value)>>>;

/// Answers every POST with 201 and every GET with `[]`, recording method, path and body.
async fn fake_api() -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let log: Log = Arc::default();
    let sink = Arc::clone(&log);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sink = Arc::clone(&sink);
            tokio::spawn(async move {
                let service = service_fn(move |req| record(req, Arc::clone(&sink)));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, log)
}

async fn record(req: Request<Incoming>, log: Log) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let status = if method == "POST" { 201 } else { 200 };
    if let Ok(mut v) = log.lock() {
        v.push((method, path, body));
    }
    let mut resp = Response::new(Full::new(Bytes::from_static(b"[]")));
    *resp.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
    Ok(resp)
}

fn posted(log: &Log, path: &str) -> Vec<Value> {
    let entries = log.lock().map(|v| v.clone()).unwrap_or_default();
    entries
        .into_iter()
        .filter(|(m, p, _)| m == "POST" && p == path)
        .map(|(_, _, b)| b)
        .collect()
}

#[tokio::test]
async fn provisions_then_publishes_in_simulated_time() {
    let (url, log) = fake_api().await;
    let broker = FakeBroker::start().await;
    let mut opts = DemoOptions::new(url, broker.addr);
    opts.speed = 900.0;
    opts.duration = Some(Duration::from_secs(3));
    opts.start = Some(1_795_910_400);
    let stats = run(opts, std::future::pending()).await.expect("demo runs");

    let groups = posted(&log, "/iot/services");
    assert_eq!(groups.len(), 1);
    assert_eq!(
        groups[0]["services"].as_array().map(Vec::len),
        Some(stats.service_groups)
    );
    let provisioned: usize = posted(&log, "/iot/devices")
        .iter()
        .map(|b| b["devices"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(provisioned, stats.devices);
    let upserted: usize = posted(&log, "/ngsi-ld/v1/entityOperations/upsert")
        .iter()
        .map(|b| b.as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(upserted, stats.static_entities);

    // About 3 s × 900 = 45 simulated minutes: every device has reported, most several times.
    let messages = broker.messages();
    assert_eq!(messages.len() as u64, stats.published);
    assert!(stats.sim_reached - stats.sim_start >= 30 * 60, "{stats:?}");
    let vessels = messages
        .iter()
        .filter(|(t, _)| t.starts_with("/json/hn-maritime/ais-"))
        .count();
    assert!(vessels >= 30, "{vessels} vessel reports");
    let air = messages
        .iter()
        .filter(|(t, _)| t.starts_with("/json/hn-air/aq-haikou-01/"))
        .count();
    assert!(air >= 3, "{air} reports from one air station");
    assert!(
        messages
            .iter()
            .any(|(t, _)| t.starts_with("/ul/hn-traffic/tc-g98-"))
    );
}

#[tokio::test]
async fn shutdown_stops_a_run_cleanly() {
    let (url, _log) = fake_api().await;
    let broker = FakeBroker::start().await;
    let opts = DemoOptions::new(url, broker.addr);
    let began = std::time::Instant::now();
    let stop = tokio::time::sleep(Duration::from_millis(800));
    let stats = run(opts, stop).await.expect("demo runs");
    assert!(began.elapsed() < Duration::from_secs(5));
    assert!(stats.published > 0, "{stats:?}");
}

#[tokio::test]
async fn an_absent_server_is_reported_not_awaited_forever() {
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = closed.local_addr().expect("addr");
    drop(closed);
    let mut opts = DemoOptions::new(format!("http://{addr}"), addr);
    opts.ready_timeout = Duration::from_millis(300);
    let err = run(opts, std::future::pending()).await;
    assert!(matches!(err, Err(DemoError::NotReady { .. })), "{err:?}");
    let bad = DemoOptions {
        speed: 0.0,
        ..DemoOptions::new("http://127.0.0.1:1", addr)
    };
    assert!(matches!(
        run(bad, std::future::pending()).await,
        Err(DemoError::Options(_))
    ));
}

#[test]
fn guide_names_the_doors_and_the_schedule() {
    let text = guide("http://127.0.0.1:8080/", 120.0);
    assert!(text.contains("http://127.0.0.1:8080/ngsi-ld/v1/types"));
    // Landfall at +8 h is 4 minutes of wall time at speed 120.
    assert!(text.contains("4:00"), "{text}");
    assert!(text.contains("Wenchang"));
    assert_eq!(wall(3725.0), "1:02:05");
}
