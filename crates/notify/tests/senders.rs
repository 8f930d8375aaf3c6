//! One conformance suite for every [`NotificationSender`] (HTTP, clause 6.3.8; MQTT, clause 7.2),
//! run against a real local HTTP receiver and the real Mosquitto broker at 127.0.0.1:1883: the
//! body arrives unchanged, with the media type, the @context Link (JSON only), the tenant and
//! the receiverInfo pairs; messages arrive in order; an unreachable endpoint is an error. Then
//! MQTT end to end through a subscription, for both MQTT versions and QoS 0 and 1.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{Node, Receiver, fast_config, values};
use notify::metrics::Metrics;
use notify::sender::{HttpSender, Message, MqttSender, NotificationSender};
use notify::subscription::Endpoint;
use parking_lot::Mutex;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};

const BROKER: (&str, u16) = ("127.0.0.1", 1883);
const CTX: &str = "https://example.org/ctx.jsonld";

/// What a receiver saw: its metadata (HTTP headers or MQTT metadata) and the notification.
type Seen = (HashMap<String, String>, Value);

fn broker_up() -> bool {
    std::net::TcpStream::connect_timeout(
        &"127.0.0.1:1883".parse().unwrap(),
        Duration::from_millis(300),
    )
    .is_ok()
}

/// A topic subscriber on Mosquitto that records messages as metadata + body.
async fn mqtt_listener(topic: &str) -> Arc<Mutex<Vec<Seen>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut o = MqttOptions::new(
        format!("test-{}", std::process::id() as u64 * 1000 + rand_suffix()),
        BROKER.0,
        BROKER.1,
    );
    o.set_keep_alive(Duration::from_secs(10));
    let (client, mut el) = AsyncClient::new(o, 100);
    client.subscribe(topic, QoS::AtLeastOnce).await.unwrap();
    let (s, ready) = (seen.clone(), Arc::new(tokio::sync::Notify::new()));
    let r = ready.clone();
    tokio::spawn(async move {
        loop {
            match el.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => r.notify_one(),
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let v: Value = serde_json::from_slice(&p.payload).unwrap_or(Value::Null);
                    let meta = v["metadata"]
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| {
                                    (k.to_lowercase(), v.as_str().unwrap_or("").to_string())
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    s.lock().push((meta, v["body"].clone()));
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(5), ready.notified())
        .await
        .unwrap();
    seen
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        % 1000
}

async fn wait(seen: &Mutex<Vec<Seen>>, n: usize) -> Vec<Seen> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = seen.lock().clone();
        if s.len() >= n {
            return s;
        }
        assert!(Instant::now() < deadline, "{} of {n} arrived", s.len());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn endpoint(uri: &str, accept: &str, extra: Value) -> Endpoint {
    let mut e =
        json!({"uri": uri, "accept": accept, "receiverInfo": [{"key": "X-Auth", "value": "k1"}]});
    if let (Some(e), Some(x)) = (e.as_object_mut(), extra.as_object()) {
        e.extend(x.clone());
    }
    Endpoint::parse(&e).unwrap()
}

/// The suite: `sender` delivers to `ep`, and `seen` fills with what arrived.
async fn conformance(
    sender: &dyn NotificationSender,
    json_ep: Endpoint,
    ld_ep: Endpoint,
    seen: &Mutex<Vec<Seen>>,
) {
    for i in 0..20 {
        let body = Bytes::from(json!({"id": format!("urn:ngsi-ld:Notification:{i}"), "type": "Notification", "data": [{"i": i}]}).to_string());
        let msg = Message {
            endpoint: &json_ep,
            tenant: "haikou",
            content_type: "application/json",
            link: CTX,
            body,
        };
        sender.send(msg).await.unwrap();
    }
    let body =
        Bytes::from(json!({"type": "Notification", "@context": CTX, "data": []}).to_string());
    let msg = Message {
        endpoint: &ld_ep,
        tenant: "",
        content_type: "application/ld+json",
        link: "",
        body,
    };
    sender.send(msg).await.unwrap();
    let got = wait(seen, 21).await;
    let order: Vec<i64> = got[..20]
        .iter()
        .map(|(_, b)| b["data"][0]["i"].as_i64().unwrap())
        .collect();
    assert_eq!(order, (0..20).collect::<Vec<_>>(), "in order");
    let (meta, body) = &got[0];
    assert_eq!(meta["content-type"], "application/json");
    assert_eq!(
        meta["link"],
        format!(
            "<{CTX}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\""
        )
    );
    assert_eq!(meta["ngsild-tenant"], "haikou");
    assert_eq!(meta["x-auth"], "k1");
    assert_eq!(body["id"], "urn:ngsi-ld:Notification:0");
    let (meta, body) = &got[20];
    assert_eq!(meta["content-type"], "application/ld+json");
    assert!(!meta.contains_key("link") && !meta.contains_key("ngsild-tenant"));
    assert_eq!(body["@context"], CTX);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_sender_conforms() {
    let rx = Receiver::start().await;
    let s = HttpSender::new(
        Duration::from_secs(5),
        Duration::from_secs(2),
        4,
        Arc::new(Metrics::default()),
    )
    .unwrap();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::new(Mutex::new(Vec::new()));
    let (rx_got, out) = (rx.got.clone(), seen.clone());
    let copy = tokio::spawn(async move {
        loop {
            let all: Vec<Seen> = rx_got
                .lock()
                .iter()
                .map(|g| {
                    (
                        g.headers
                            .iter()
                            .map(|(k, v)| {
                                (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())
                            })
                            .collect(),
                        g.body.clone(),
                    )
                })
                .collect();
            *out.lock() = all;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    let ep = |accept| endpoint(&rx.url("/n"), accept, json!({}));
    conformance(&s, ep("application/json"), ep("application/ld+json"), &seen).await;
    copy.abort();
    let dead = endpoint("http://127.0.0.1:9/n", "application/json", json!({}));
    let msg = Message {
        endpoint: &dead,
        tenant: "",
        content_type: "application/json",
        link: "",
        body: Bytes::from_static(b"{}"),
    };
    assert!(s.send(msg).await.is_err());
    rx.answer(503);
    let ok_ep = ep("application/json");
    let msg = Message {
        endpoint: &ok_ep,
        tenant: "",
        content_type: "application/json",
        link: "",
        body: Bytes::from_static(b"{}"),
    };
    assert_eq!(s.send(msg).await.unwrap_err().0, "HTTP 503");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_sender_conforms_on_both_versions_and_qos() {
    if !broker_up() {
        eprintln!("SKIPPED: no MQTT broker at 127.0.0.1:1883 (Debian: mosquitto)");
        return;
    }
    let s = MqttSender::new(
        Duration::from_secs(10),
        Duration::from_secs(2),
        10,
        Duration::from_secs(5),
    );
    for (version, qos) in [
        ("mqtt5.0", "1"),
        ("mqtt3.1.1", "0"),
        ("mqtt3.1.1", "1"),
        ("mqtt5.0", "2"),
    ] {
        let topic = format!("twinisle/test/{}/{version}/{qos}", std::process::id());
        let seen = mqtt_listener(&topic).await;
        let info = json!({"notifierInfo": [{"key": "MQTT-Version", "value": version}, {"key": "MQTT-QoS", "value": qos}]});
        let ep = |accept| {
            endpoint(
                &format!("mqtt://127.0.0.1:1883/{topic}"),
                accept,
                info.clone(),
            )
        };
        conformance(&s, ep("application/json"), ep("application/ld+json"), &seen).await;
    }
    let dead = endpoint("mqtt://127.0.0.1:9/t", "application/json", json!({}));
    let msg = Message {
        endpoint: &dead,
        tenant: "",
        content_type: "application/json",
        link: "",
        body: Bytes::from_static(b"{}"),
    };
    assert!(s.send(msg).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_subscriptions_deliver_every_update_in_order() {
    if !broker_up() {
        eprintln!("SKIPPED: no MQTT broker at 127.0.0.1:1883 (Debian: mosquitto)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let n = Node::start(dir.path(), fast_config()).await;
    let topic = format!("twinisle/e2e/{}", std::process::id());
    let seen = mqtt_listener(&topic).await;
    let sub = json!({"type": "Subscription", "entities": [{"type": "Counter"}],
        "notification": {"format": "keyValues", "attributes": ["n"], "endpoint": {
            "uri": format!("mqtt://127.0.0.1/{topic}"), "accept": "application/json",
            "notifierInfo": [{"key": "MQTT-QoS", "value": "1"}]}}});
    n.ok("POST", "/ngsi-ld/v1/subscriptions", Some(sub), 201)
        .await;
    let e = json!({"id": "urn:ngsi-ld:Counter:m", "type": "Counter", "n": {"type": "Property", "value": 0}});
    n.ok("POST", "/ngsi-ld/v1/entities", Some(e), 201).await;
    for v in 1..=50 {
        let body = json!({"n": {"type": "Property", "value": v}});
        n.ok(
            "PATCH",
            "/ngsi-ld/v1/entities/urn:ngsi-ld:Counter:m/attrs",
            Some(body),
            204,
        )
        .await;
    }
    let as_got = |got: &[Seen]| -> Vec<common::Got> {
        got.iter()
            .map(|(_, b)| common::Got {
                headers: Default::default(),
                body: b.clone(),
                at: Instant::now(),
            })
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let (got, as_got) = loop {
        let got = seen.lock().clone();
        let g = as_got(&got);
        if values(&g, "n").len() >= 51 || Instant::now() > deadline {
            break (got, g);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(values(&as_got, "n"), (0..=50).collect::<Vec<_>>());
    assert_eq!(got[0].0["content-type"], "application/json");
    assert!(got[0].0["link"].contains("ngsi-ld-core-context"));
    assert_eq!(got[0].1["type"], "Notification");
    n.stop().await;
}
