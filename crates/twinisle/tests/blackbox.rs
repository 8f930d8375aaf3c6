//! Black-box tests against the real `twinisle` binary: start it, drive it over sockets, kill it
//! with SIGKILL, restart it, and check that every acknowledged write is there and no batch is
//! half there.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_twinisle");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(data: &Path, port: u16) -> Server {
        let child = Command::new(BIN)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let s = Server { child, base };
        s.wait_ready();
        s
    }

    fn wait_ready(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if ureq_get(&format!("{}/health", self.base)).is_some_and(|(st, _)| st == 200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("twinisle did not become ready");
    }

    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal blocking HTTP/1.1 client, so the test needs no HTTP crate.
fn request(method: &str, url: &str, body: Option<&Value>) -> Option<(u16, Value)> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}")))?;
    let mut s = std::net::TcpStream::connect(host).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let payload = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        payload.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(&payload).ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    let text = String::from_utf8_lossy(&out);
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

fn ureq_get(url: &str) -> Option<(u16, Value)> {
    request("GET", url, None)
}

#[test]
fn acknowledged_writes_survive_kill_9_and_batches_are_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = Server::start(dir.path(), port);
    let base = server.base.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (base, stop) = (base.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    // Each request is a batch of five entities: after the crash either all five
                    // exist or none does.
                    let batch: Vec<Value> = (0..5)
                        .map(|k| json!({"id": format!("urn:ngsi-ld:Crash:{w}-{i}-{k}"), "type": "Crash", "seq": {"type": "Property", "value": i}}))
                        .collect();
                    match request("POST", &format!("{base}/ngsi-ld/v1/entityOperations/upsert"), Some(&Value::Array(batch))) {
                        Some((201, _)) => acked.push((w, i)),
                        _ => break,
                    }
                }
                acked
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    server.kill9();
    stop.store(true, Ordering::Relaxed);
    let acked: Vec<(usize, usize)> = writers
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(
        acked.len() > 50,
        "too few writes before the kill to judge: {}",
        acked.len()
    );

    let server = Server::start(dir.path(), port);
    for (w, i) in &acked {
        for k in 0..5 {
            let url = format!(
                "{}/ngsi-ld/v1/entities/urn:ngsi-ld:Crash:{w}-{i}-{k}",
                server.base
            );
            let (status, body) = ureq_get(&url).unwrap();
            assert_eq!(
                status, 200,
                "acknowledged entity {w}-{i}-{k} lost after kill -9"
            );
            assert_eq!(body["seq"]["value"], *i as i64);
        }
    }
    // Whatever else is there came in whole batches.
    let (_, all) = ureq_get(&format!(
        "{}/ngsi-ld/v1/entities?type=Crash&limit=1000&count=true&options=keyValues",
        server.base
    ))
    .unwrap();
    let mut per_batch = std::collections::HashMap::<String, usize>::new();
    let mut offset = 0;
    let mut page = all;
    loop {
        let items = page.as_array().cloned().unwrap_or_default();
        for e in &items {
            let id = e["id"].as_str().unwrap();
            let batch = id.rsplit_once('-').unwrap().0.to_string();
            *per_batch.entry(batch).or_default() += 1;
        }
        if items.len() < 1000 {
            break;
        }
        offset += 1000;
        page = ureq_get(&format!(
            "{}/ngsi-ld/v1/entities?type=Crash&limit=1000&offset={offset}&options=keyValues",
            server.base
        ))
        .unwrap()
        .1;
    }
    assert!(
        per_batch.values().all(|n| *n == 5),
        "a batch is half there: {:?}",
        per_batch.iter().find(|(_, n)| **n != 5)
    );
}

#[test]
fn config_prints_layers_and_names_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tw.toml");
    std::fs::write(&file, "[limits]\nmax_page_size = 77\n").unwrap();
    let out = Command::new(BIN)
        .args(["config", "--config"])
        .arg(&file)
        .env("TWINISLE__SERVER__PUBLIC_URL", "https://twin.example")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("max_page_size = 77")
            && text.contains("public_url = \"https://twin.example\""),
        "{text}"
    );
    std::fs::write(&file, "[limits]\nmax_pagesize = 77\n").unwrap();
    let out = Command::new(BIN)
        .args(["config", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_pagesize"));
}

#[test]
fn a_taken_port_is_reported_with_the_flag_to_change() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--listen"), "{err}");
}

#[test]
fn metrics_and_openapi_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), free_port());
    let e = json!({"id": "urn:ngsi-ld:T:m", "type": "T"});
    assert_eq!(
        request(
            "POST",
            &format!("{}/ngsi-ld/v1/entities", server.base),
            Some(&e)
        )
        .unwrap()
        .0,
        201
    );
    let text = raw_get(&format!("{}/metrics", server.base));
    assert!(
        text.contains("twinisle_http_requests_total")
            && text.contains("route=\"/ngsi-ld/v1/entities\""),
        "{text}"
    );
    assert!(text.contains("twinisle_wal_sync_seconds"), "{text}");
    let (status, doc) = ureq_get(&format!("{}/openapi.json", server.base)).unwrap();
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["paths"]["/ngsi-ld/v1/entities"]["post"].is_object());
}

fn raw_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn the_demo_fills_the_twin_through_the_device_path() {
    let (port, mport) = (free_port(), free_port());
    let mut child = Command::new(BIN)
        .args([
            "demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--mqtt-listen",
            &format!("127.0.0.1:{mport}"),
        ])
        .args(["--duration", "20s", "--speed", "60", "--seed", "7"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    std::thread::sleep(Duration::from_secs(15));
    let (_, types) =
        ureq_get(&format!("{base}/ngsi-ld/v1/types")).expect("the demo serves the API");
    let names = types["typeList"].to_string();
    for t in [
        "FloodMonitoring",
        "AirQualityObserved",
        "WeatherObserved",
        "TrafficFlowObserved",
        "Vessel",
        "AdministrativeArea",
        "Device",
    ] {
        assert!(names.contains(t), "{t} missing from {names}");
    }
    let (_, gauges) = ureq_get(&format!(
        "{base}/ngsi-ld/v1/entities?type=FloodMonitoring&options=keyValues&limit=100"
    ))
    .unwrap();
    let gauges = gauges.as_array().cloned().unwrap_or_default();
    assert!(gauges.len() >= 10, "{}", gauges.len());
    assert!(
        gauges
            .iter()
            .all(|g| g["currentLevel"].is_number() && g["alertLevel"].is_number())
    );
    let id = gauges[0]["id"].as_str().unwrap();
    let (_, hist) = ureq_get(&format!("{base}/ngsi-ld/v1/temporal/entities/{id}?timerel=after&timeAt=2000-01-01T00:00:00Z&options=temporalValues")).unwrap();
    let values = hist["currentLevel"]["values"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(values >= 2, "history has grown through MQTT: {hist}");
    // It stops by itself at --duration, cleanly.
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let status = child
        .try_wait()
        .unwrap()
        .expect("the demo stops at --duration");
    assert!(status.success());
}
