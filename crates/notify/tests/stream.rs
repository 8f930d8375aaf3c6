//! The live stream over a real socket (`GET /twinisle/v1/stream`, server-sent events): type,
//! attrs and bbox filters, the event format the dashboard relies on, and a bad parameter.
//! Also: matching through the index never misses a subscription, whichever key files it.

mod common;

use std::time::Duration;

use common::{Node, Receiver, fast_config, values};
use serde_json::{Value, json};

async fn serve(n: &Node) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = n.app.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// Reads SSE frames until `n` events of kind `change` arrived.
async fn events(resp: &mut reqwest::Response, n: usize) -> Vec<(String, String, Value)> {
    let mut buf = String::new();
    let mut out = Vec::new();
    while out.len() < n {
        let chunk = tokio::time::timeout(Duration::from_secs(10), resp.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let field = |name: &str| {
                frame
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix(&format!("{name}:"))
                            .map(|v| v.trim().to_string())
                    })
                    .unwrap_or_default()
            };
            if !field("event").is_empty() {
                out.push((
                    field("event"),
                    field("id"),
                    serde_json::from_str(&field("data")).unwrap_or(Value::Null),
                ));
            }
        }
    }
    out
}

async fn patch(n: &Node, id: &str, body: Value) {
    n.ok(
        "PATCH",
        &format!("/ngsi-ld/v1/entities/{id}/attrs"),
        Some(body),
        204,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_filters_by_type_attrs_and_bbox() {
    let dir = tempfile::tempdir().unwrap();
    let n = Node::start(dir.path(), fast_config()).await;
    let base = serve(&n).await;
    let url =
        format!("{base}/twinisle/v1/stream?type=Gauge&attrs=level&bbox=108,18,112,21&tenant=water");
    let mut resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let h = [("NGSILD-Tenant", "water")];
    let inside =
        json!({"type": "GeoProperty", "value": {"type": "Point", "coordinates": [110.3, 20.0]}});
    let gauge = json!({"id": "urn:ngsi-ld:Gauge:1", "type": "Gauge", "level": {"type": "Property", "value": 1.5},
        "note": {"type": "Property", "value": "a"}, "location": inside});
    let other = json!({"id": "urn:ngsi-ld:Buoy:1", "type": "Buoy", "level": {"type": "Property", "value": 9}, "location": inside});
    for e in [other, gauge] {
        assert_eq!(
            n.call("POST", "/ngsi-ld/v1/entities", Some(e), &h)
                .await
                .status
                .as_u16(),
            201
        );
    }
    n.ok("POST", "/ngsi-ld/v1/entities", Some(json!({"id": "urn:ngsi-ld:Gauge:default", "type": "Gauge", "level": {"type": "Property", "value": 0}, "location": inside})), 201).await;
    let up = |body: Value| async {
        assert_eq!(
            n.call(
                "PATCH",
                "/ngsi-ld/v1/entities/urn:ngsi-ld:Gauge:1/attrs",
                Some(body),
                &h
            )
            .await
            .status
            .as_u16(),
            204
        )
    };
    up(json!({"note": {"type": "Property", "value": "b"}})).await;
    up(json!({"level": {"type": "Property", "value": 2.5}})).await;
    up(json!({"location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [100.0, 10.0]}}})).await;
    let got = events(&mut resp, 3).await;
    let ops: Vec<(&str, &str)> = got
        .iter()
        .map(|(e, _, d)| (e.as_str(), d["op"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        ops,
        [
            ("change", "upsert"),
            ("change", "upsert"),
            ("change", "delete")
        ]
    );
    assert_eq!(
        got[0].2["entity"],
        json!({"id": "urn:ngsi-ld:Gauge:1", "type": "Gauge", "level": 1.5})
    );
    assert_eq!(got[1].2["entity"]["level"], 2.5);
    assert_eq!(
        (got[2].2["id"].as_str(), got[2].2["type"].as_str()),
        (Some("urn:ngsi-ld:Gauge:1"), Some("Gauge"))
    );
    assert!(got[2].2["entity"].is_null());
    let lsns: Vec<u64> = got
        .iter()
        .map(|(_, id, d)| {
            assert_eq!(id.parse::<u64>().ok(), d["lsn"].as_u64());
            d["lsn"].as_u64().unwrap()
        })
        .collect();
    assert!(lsns.windows(2).all(|w| w[0] < w[1]), "{lsns:?}");
    let bad = reqwest::get(format!("{base}/twinisle/v1/stream?bbox=1,2"))
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_narrows_without_missing_a_subscription() {
    let dir = tempfile::tempdir().unwrap();
    let n = Node::start(dir.path(), fast_config()).await;
    let rx = Receiver::start().await;
    let sub = |id: &str, extra: Value| {
        let mut s = json!({"id": format!("urn:ngsi-ld:Subscription:{id}"), "type": "Subscription",
            "notification": {"format": "keyValues", "attributes": ["n"], "endpoint": {"uri": rx.url(&format!("/{id}"))}}});
        s.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        s
    };
    for i in 0..300 {
        n.ok(
            "POST",
            "/ngsi-ld/v1/subscriptions",
            Some(sub(
                &format!("id{i}"),
                json!({"entities": [{"type": "Meter", "id": format!("urn:ngsi-ld:Meter:{i}")}]}),
            )),
            201,
        )
        .await;
    }
    let kinds = [
        ("bytype", json!({"entities": [{"type": "Meter"}]})),
        ("byattr", json!({"watchedAttributes": ["n"]})),
        (
            "bypattern",
            json!({"entities": [{"type": "*", "idPattern": "Meter:7$"}]}),
        ),
        ("either", json!({"entities": [{"type": "Pump,Meter"}]})),
        ("otherattr", json!({"watchedAttributes": ["m"]})),
        ("othertype", json!({"entities": [{"type": "Pump"}]})),
    ];
    for (id, extra) in kinds {
        n.ok(
            "POST",
            "/ngsi-ld/v1/subscriptions",
            Some(sub(id, extra)),
            201,
        )
        .await;
    }
    let e = json!({"id": "urn:ngsi-ld:Meter:7", "type": "Meter", "n": {"type": "Property", "value": 0}});
    n.ok("POST", "/ngsi-ld/v1/entities", Some(e), 201).await;
    patch(
        &n,
        "urn:ngsi-ld:Meter:7",
        json!({"n": {"type": "Property", "value": 1}}),
    )
    .await;
    let got = rx.wait_values("n", 10, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got_all = rx.got.lock().clone();
    assert_eq!(values(&got_all, "n").len(), 10, "{got:?}");
    let mut subs: Vec<String> = got_all
        .iter()
        .map(|g| {
            g.body["subscriptionId"]
                .as_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    subs.sort();
    subs.dedup();
    assert_eq!(subs, ["byattr", "bypattern", "bytype", "either", "id7"]);
    assert_eq!(values(&got_all, "n").len(), 10);
    n.stop().await;
}
