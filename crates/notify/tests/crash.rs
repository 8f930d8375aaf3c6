//! Fault tests against a real process (`notify-node`): `kill -9` with undelivered notifications
//! in the outbox, and `kill -9` in the middle of a stream of deliveries; after a restart every
//! acknowledged update is notified, in order.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Receiver, values};
use serde_json::{Value, json};

struct Proc {
    child: Child,
    base: String,
}

impl Drop for Proc {
    /// A failed assertion must not leave the server running (it would also hold the test's
    /// output open).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

async fn start(dir: &Path, port: u16) -> Proc {
    let listen = SocketAddr::from(([127, 0, 0, 1], port));
    let child = Command::new(env!("CARGO_BIN_EXE_notify-node"))
        .args(["--listen", &listen.to_string(), "--data-dir"])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://{listen}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{base}/health")).await.is_err() {
        assert!(Instant::now() < deadline, "notify-node did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Proc { child, base }
}

async fn call(p: &Proc, method: reqwest::Method, path: &str, body: Value) -> u16 {
    let c = reqwest::Client::new();
    let r = c
        .request(method, format!("{}/ngsi-ld/v1{path}", p.base))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

async fn setup(p: &Proc, rx: &Receiver) {
    let sub = json!({"type": "Subscription", "entities": [{"type": "Counter"}], "watchedAttributes": ["n"],
        "notification": {"format": "keyValues", "attributes": ["n"], "endpoint": {"uri": rx.url("/notify"), "accept": "application/json"}}});
    assert_eq!(
        call(p, reqwest::Method::POST, "/subscriptions", sub).await,
        201
    );
    let e = json!({"id": "urn:ngsi-ld:Counter:1", "type": "Counter", "n": {"type": "Property", "value": 0}});
    assert_eq!(call(p, reqwest::Method::POST, "/entities", e).await, 201);
}

async fn patch(p: &Proc, from: i64, to: i64) {
    for v in from..=to {
        let body = json!({"n": {"type": "Property", "value": v}});
        assert_eq!(
            call(
                p,
                reqwest::Method::PATCH,
                "/entities/urn:ngsi-ld:Counter:1/attrs",
                body
            )
            .await,
            204
        );
    }
}

fn kill9(p: Proc) {
    drop(p);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_a_full_outbox_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Receiver::start().await;
    rx.answer(503);
    let port = free_port();
    let p = start(dir.path(), port).await;
    setup(&p, &rx).await;
    patch(&p, 1, 100).await;
    kill9(p);
    rx.answer(200);
    let p = start(dir.path(), port).await;
    let got = rx.wait_values("n", 101, Duration::from_secs(20)).await;
    assert_eq!(got, (0..=100).collect::<Vec<_>>());
    kill9(p);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_delivery_repeats_at_most_and_keeps_order() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Receiver::start().await;
    let port = free_port();
    let p = start(dir.path(), port).await;
    setup(&p, &rx).await;
    patch(&p, 1, 150).await;
    kill9(p);
    let p = start(dir.path(), port).await;
    patch(&p, 151, 200).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = values(&rx.got.lock(), "n");
        if (0..=200).all(|x| v.contains(&x)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "missing values: {:?}",
            (0..=200).filter(|x| !v.contains(x)).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let v = values(&rx.got.lock(), "n");
    let resent = v.len() - 201;
    assert!(resent <= 150, "{resent} repeats");
    // Repeats are a resent stretch; the first arrival of each value is in order.
    let mut firsts = Vec::new();
    for x in &v {
        if !firsts.contains(x) {
            firsts.push(*x);
        }
    }
    assert_eq!(firsts, (0..=200).collect::<Vec<_>>());
    kill9(p);
}
