//! Delivery over real HTTP to a local receiver: payload content and headers (clauses 5.3.1,
//! 5.8.6, 6.3.8, 6.3.14), order, triggers and filters, a receiver that fails and heals, dead
//! letters, throttling and periodic notifications timed within tolerance, and a restart with
//! undelivered notifications.

mod common;

use std::time::Duration;

use common::{CORE, Node, Receiver, fast_config, subscription, values};
use notify::NotifyConfig;
use serde_json::{Value, json};

const SUBS: &str = "/ngsi-ld/v1/subscriptions";
const ENTITIES: &str = "/ngsi-ld/v1/entities";
const WAIT: Duration = Duration::from_secs(10);

async fn counter(n: &Node, id: &str, v: i64) {
    let body = json!({"id": id, "type": "Counter", "n": {"type": "Property", "value": v}, "other": {"type": "Property", "value": "x"}});
    n.ok("POST", ENTITIES, Some(body), 201).await;
}

async fn set(n: &Node, id: &str, attrs: Value) {
    n.ok("PATCH", &format!("{ENTITIES}/{id}/attrs"), Some(attrs), 204)
        .await;
}

async fn set_n(n: &Node, id: &str, v: i64) {
    set(n, id, json!({"n": {"type": "Property", "value": v}})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_values_notifications_arrive_in_order_with_spec_headers() {
    let dir = tempfile::tempdir().unwrap();
    let one_each = NotifyConfig {
        max_batch: 1,
        ..fast_config()
    };
    let (n, rx) = (
        Node::start(dir.path(), one_each).await,
        Receiver::start().await,
    );
    let sub = subscription(
        &rx.url("/notify"),
        json!({"id": "urn:ngsi-ld:Subscription:kv", "watchedAttributes": ["n"],
        "notification": {"format": "keyValues", "attributes": ["n"], "endpoint": {"uri": rx.url("/notify"), "accept": "application/json"}}}),
    );
    n.ok("POST", SUBS, Some(sub), 201).await;
    counter(&n, "urn:ngsi-ld:Counter:1", 0).await;
    for v in 1..=60 {
        set_n(&n, "urn:ngsi-ld:Counter:1", v).await;
    }
    set(
        &n,
        "urn:ngsi-ld:Counter:1",
        json!({"other": {"type": "Property", "value": "unwatched"}}),
    )
    .await;
    let got = rx.wait_for(61, WAIT).await;
    assert_eq!(values(&got, "n"), (0..=60).collect::<Vec<_>>());
    let first = &got[0];
    assert_eq!(first.headers["content-type"], "application/json");
    let link = first.headers["link"].to_str().unwrap();
    assert_eq!(
        link,
        format!(
            "<{CORE}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\""
        )
    );
    assert!(
        first.headers.get("ngsild-tenant").is_none(),
        "default tenant: no header"
    );
    let b = &first.body;
    assert_eq!(b["type"], "Notification");
    assert!(
        b["id"]
            .as_str()
            .unwrap()
            .starts_with("urn:ngsi-ld:Notification:")
    );
    assert_eq!(b["subscriptionId"], "urn:ngsi-ld:Subscription:kv");
    assert!(ngsi::time::parse(b["notifiedAt"].as_str().unwrap()).is_some());
    assert_eq!(b["triggerReason"], "attributeCreated");
    assert_eq!(got[1].body["triggerReason"], "attributeUpdated");
    assert_eq!(
        b["data"],
        json!([{"id": "urn:ngsi-ld:Counter:1", "type": "Counter", "n": 0}])
    );
    let ids: std::collections::HashSet<_> = got.iter().map(|g| g.body["id"].to_string()).collect();
    assert_eq!(ids.len(), got.len(), "notification ids are unique");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        rx.got.lock().len(),
        61,
        "the unwatched attribute notified nothing"
    );
    let status = n
        .ok(
            "GET",
            &format!("{SUBS}/urn:ngsi-ld:Subscription:kv"),
            None,
            200,
        )
        .await
        .body;
    assert_eq!(status["notification"]["timesSent"], 61);
    assert_eq!(status["notification"]["status"], "ok");
    assert!(status["notification"]["lastSuccess"].is_string());
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_ld_tenant_and_receiver_info_travel_with_the_notification() {
    let dir = tempfile::tempdir().unwrap();
    let (n, rx) = (
        Node::start(dir.path(), fast_config()).await,
        Receiver::start().await,
    );
    let ep = json!({"uri": rx.url("/ld"), "accept": "application/ld+json",
        "receiverInfo": [{"key": "Authorization", "value": "Bearer abc"}, {"key": "X-Island", "value": "Hainan"}]});
    let sub = subscription("", json!({"notification": {"endpoint": ep}}));
    let h = [("NGSILD-Tenant", "sanya")];
    assert_eq!(
        n.call("POST", SUBS, Some(sub), &h).await.status.as_u16(),
        201
    );
    let e = json!({"id": "urn:ngsi-ld:Counter:t", "type": "Counter", "n": {"type": "Property", "value": 1}});
    assert_eq!(
        n.call("POST", ENTITIES, Some(e), &h).await.status.as_u16(),
        201
    );
    let got = rx.wait_for(1, WAIT).await;
    let g = &got[0];
    assert_eq!(g.headers["content-type"], "application/ld+json");
    assert!(g.headers.get("link").is_none());
    assert_eq!(g.headers["ngsild-tenant"], "sanya");
    assert_eq!(g.headers["authorization"], "Bearer abc");
    assert_eq!(g.headers["x-island"], "Hainan");
    assert_eq!(g.body["@context"], CORE);
    assert_eq!(
        g.body["data"][0]["n"],
        json!({"type": "Property", "value": 1}),
        "normalized by default"
    );
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triggers_show_changes_and_deletions() {
    let dir = tempfile::tempdir().unwrap();
    let one_each = NotifyConfig {
        max_batch: 1,
        ..fast_config()
    };
    let (n, rx) = (
        Node::start(dir.path(), one_each).await,
        Receiver::start().await,
    );
    let sub = subscription(
        &rx.url("/t"),
        json!({
        "notificationTrigger": ["entityCreated", "attributeUpdated", "attributeDeleted", "entityDeleted"],
        "notification": {"showChanges": true, "endpoint": {"uri": rx.url("/t")}}}),
    );
    n.ok("POST", SUBS, Some(sub), 201).await;
    let id = "urn:ngsi-ld:Counter:c";
    counter(&n, id, 1).await;
    set_n(&n, id, 2).await;
    n.ok("DELETE", &format!("{ENTITIES}/{id}/attrs/other"), None, 204)
        .await;
    n.ok("DELETE", &format!("{ENTITIES}/{id}"), None, 204).await;
    let got = rx.wait_for(4, WAIT).await;
    let reasons: Vec<&str> = got
        .iter()
        .map(|g| g.body["triggerReason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "entityCreated",
            "attributeUpdated",
            "attributeDeleted",
            "entityDeleted"
        ]
    );
    let updated = &got[1].body["data"][0]["n"];
    assert_eq!(
        (updated["value"].as_i64(), updated["previousValue"].as_i64()),
        (Some(2), Some(1))
    );
    let deleted_attr = &got[2].body["data"][0]["other"];
    assert_eq!(deleted_attr["value"], "urn:ngsi-ld:null");
    assert_eq!(deleted_attr["previousValue"], "x");
    let gone = &got[3].body["data"][0];
    assert_eq!(gone["id"], id);
    assert!(gone["deletedAt"].is_string(), "{gone}");
    assert_eq!(gone["n"]["previousValue"], 2);
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn q_and_paused_subscriptions_filter_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let (n, rx) = (
        Node::start(dir.path(), fast_config()).await,
        Receiver::start().await,
    );
    let sub = subscription(
        &rx.url("/q"),
        json!({"id": "urn:ngsi-ld:Subscription:q", "q": "n>10",
        "notification": {"format": "keyValues", "endpoint": {"uri": rx.url("/q")}}}),
    );
    n.ok("POST", SUBS, Some(sub), 201).await;
    let id = "urn:ngsi-ld:Counter:q";
    counter(&n, id, 5).await;
    set_n(&n, id, 11).await;
    set_n(&n, id, 7).await;
    let path = format!("{SUBS}/urn:ngsi-ld:Subscription:q");
    rx.wait_for(1, WAIT).await;
    n.ok("PATCH", &path, Some(json!({"isActive": false})), 204)
        .await;
    set_n(&n, id, 12).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    n.ok("PATCH", &path, Some(json!({"isActive": true})), 204)
        .await;
    set_n(&n, id, 13).await;
    let got = rx.wait_for(2, WAIT).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(values(&rx.got.lock(), "n"), [11, 13], "{got:?}");
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_everything_in_order_once_it_heals() {
    let dir = tempfile::tempdir().unwrap();
    let (n, rx) = (
        Node::start(dir.path(), fast_config()).await,
        Receiver::start().await,
    );
    let sub = subscription(
        &rx.url("/f"),
        json!({"id": "urn:ngsi-ld:Subscription:f",
        "notification": {"format": "keyValues", "attributes": ["n"], "endpoint": {"uri": rx.url("/f")}}}),
    );
    n.ok("POST", SUBS, Some(sub), 201).await;
    rx.answer(503);
    counter(&n, "urn:ngsi-ld:Counter:f", 0).await;
    for v in 1..=40 {
        set_n(&n, "urn:ngsi-ld:Counter:f", v).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let failing = n
        .ok(
            "GET",
            &format!("{SUBS}/urn:ngsi-ld:Subscription:f"),
            None,
            200,
        )
        .await
        .body;
    assert_eq!(failing["notification"]["status"], "failed");
    assert!(
        failing["notification"]["timesFailed"].as_u64() >= Some(2),
        "{failing}"
    );
    assert!(
        failing["notification"]["queued"].as_u64() >= Some(40),
        "{failing}"
    );
    rx.answer(200);
    let got = rx.wait_values("n", 41, WAIT).await;
    assert_eq!(got, (0..=40).collect::<Vec<_>>());
    let requests = rx.got.lock().len();
    assert!(
        requests < 41,
        "the backlog travels as ordered batches: {requests} requests"
    );
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_max_attempts_a_dead_letter_is_recorded_and_delivery_moves_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = NotifyConfig {
        max_attempts: 3,
        ..fast_config()
    };
    let (n, rx) = (
        Node::start(dir.path(), config).await,
        Receiver::start().await,
    );
    let sub = subscription(
        &rx.url("/d"),
        json!({"id": "urn:ngsi-ld:Subscription:d",
        "notification": {"format": "keyValues", "attributes": ["n"], "endpoint": {"uri": rx.url("/d")}}}),
    );
    n.ok("POST", SUBS, Some(sub), 201).await;
    rx.answer(500);
    counter(&n, "urn:ngsi-ld:Counter:d", 0).await;
    let path = format!("{SUBS}/urn:ngsi-ld:Subscription:d");
    let mut letters = Value::Null;
    for _ in 0..100 {
        letters = n.ok("GET", &path, None, 200).await.body["notification"]["deadLetters"].clone();
        if letters.is_array() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(letters[0]["attempts"], 3, "{letters}");
    assert_eq!(letters[0]["reason"], "HTTP 500");
    assert!(
        letters[0]["notificationId"]
            .as_str()
            .unwrap()
            .starts_with("urn:ngsi-ld:Notification:")
    );
    rx.answer(200);
    set_n(&n, "urn:ngsi-ld:Counter:d", 1).await;
    assert_eq!(values(&rx.wait_for(1, WAIT).await, "n"), [1]);
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_spaces_notifications_and_keeps_the_latest_state() {
    let dir = tempfile::tempdir().unwrap();
    let (n, rx) = (
        Node::start(dir.path(), fast_config()).await,
        Receiver::start().await,
    );
    let sub = subscription(
        &rx.url("/th"),
        json!({"throttling": 0.4,
        "notification": {"format": "keyValues", "attributes": ["n"], "endpoint": {"uri": rx.url("/th")}}}),
    );
    n.ok("POST", SUBS, Some(sub), 201).await;
    counter(&n, "urn:ngsi-ld:Counter:th", 0).await;
    for v in 1..=30 {
        set_n(&n, "urn:ngsi-ld:Counter:th", v).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let mut got = rx.wait_for(2, WAIT).await;
    for _ in 0..50 {
        got = rx.got.lock().clone();
        if values(&got, "n").last() == Some(&30) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        values(&got, "n").last(),
        Some(&30),
        "the latest state arrives"
    );
    for w in got.windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(
            gap >= Duration::from_millis(380),
            "notifications {gap:?} apart"
        );
    }
    assert!(
        got.len() >= 3 && got.len() <= 6,
        "{} notifications in ~0.9 s at 0.4 s",
        got.len()
    );
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_notifications_keep_their_interval() {
    let dir = tempfile::tempdir().unwrap();
    let (n, rx) = (
        Node::start(dir.path(), fast_config()).await,
        Receiver::start().await,
    );
    counter(&n, "urn:ngsi-ld:Counter:p", 7).await;
    let sub = subscription(
        &rx.url("/p"),
        json!({"timeInterval": 0.3,
        "notification": {"format": "keyValues", "attributes": ["n"], "endpoint": {"uri": rx.url("/p")}}}),
    );
    n.ok("POST", SUBS, Some(sub), 201).await;
    let got = rx.wait_for(5, WAIT).await;
    assert!(values(&got, "n").iter().all(|v| *v == 7));
    assert!(got[0].body.get("triggerReason").is_none());
    let gaps: Vec<Duration> = got.windows(2).map(|w| w[1].at - w[0].at).collect();
    for g in &gaps {
        assert!(
            *g >= Duration::from_millis(250) && *g <= Duration::from_millis(380),
            "gaps {gaps:?}"
        );
    }
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undelivered_notifications_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Receiver::start().await;
    rx.answer(503);
    let n = Node::start(dir.path(), fast_config()).await;
    let sub = subscription(
        &rx.url("/r"),
        json!({
        "notification": {"format": "keyValues", "attributes": ["n"], "endpoint": {"uri": rx.url("/r")}}}),
    );
    n.ok("POST", SUBS, Some(sub), 201).await;
    counter(&n, "urn:ngsi-ld:Counter:r", 0).await;
    for v in 1..=25 {
        set_n(&n, "urn:ngsi-ld:Counter:r", v).await;
    }
    n.stop().await;
    rx.answer(200);
    let n = Node::start(dir.path(), fast_config()).await;
    let got = rx.wait_values("n", 26, WAIT).await;
    assert_eq!(got, (0..=25).collect::<Vec<_>>());
    n.stop().await;
}
