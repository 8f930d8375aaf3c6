//! End to end: the platform on a real store with the embedded broker and with Mosquitto on
//! 127.0.0.1:1883 (external transport). Measurements published by `mosquitto_pub` (a real
//! third-party client) become entity state and committed history; bad input in between changes
//! nothing else; commands go down and their results come back; silent devices change state.

mod common;

use std::time::Duration;

use common::client::{TestClient, mosquitto_up};
use common::{HAINAN, config, provision_gauge, start, start_in, unique};
use http::StatusCode;
use iot::{IotConfig, TransportKind};
use serde_json::{Value, json};
use store::Store;

fn mosquitto_pub(port: u16, topic: &str, payload: &str, extra: &[&str]) {
    let status = std::process::Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            topic,
            "-m",
            payload,
        ])
        .args(extra)
        .status()
        .expect("mosquitto_pub is installed (Debian: mosquitto-clients)");
    assert!(status.success(), "mosquitto_pub {topic}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_mqtt_measurements_reach_state_and_history_despite_bad_input() {
    let f = start(config()).await;
    let port = f.mqtt_port();
    provision_gauge(&f, "waterkey", "gauge01", "").await;
    f.call(
        "PUT",
        "/iot/services?apikey=waterkey",
        HAINAN,
        Some(r#"{"autoprovision": false}"#),
    )
    .await;
    let mut history = f.store.feed("test-history").unwrap();
    let id = "urn:ngsi-ld:WaterObserved:gauge01";
    mosquitto_pub(port, "/json/waterkey/gauge01/attrs", r#"{"l": 3.2}"#, &[]);
    assert_eq!(
        f.wait_attr("hainan", id, "waterLevel", &json!(3.2)).await,
        json!(3.2)
    );
    mosquitto_pub(port, "/json/waterkey/gauge01/attrs", "{{{ not json", &[]);
    mosquitto_pub(
        port,
        "/json/waterkey/nosuchdevice/attrs",
        r#"{"l": 9.9}"#,
        &[],
    );
    mosquitto_pub(port, "/json/wrongkey/gauge01/attrs", r#"{"l": 9.9}"#, &[]);
    mosquitto_pub(
        port,
        "/ul/waterkey/gauge01/attrs",
        "2026-09-14T00:30:00Z|l|3.7",
        &["-q", "1"],
    );
    assert_eq!(
        f.wait_attr("hainan", id, "waterLevel", &json!(3.7)).await,
        json!(3.7)
    );
    let (_, full) = f
        .call(
            "GET",
            &format!("/ngsi-ld/v1/entities/{id}"),
            &[("NGSILD-Tenant", "hainan")],
            None,
        )
        .await;
    assert_eq!(
        full["waterLevel"]["observedAt"], "2026-09-14T00:30:00.000Z",
        "TimeInstant is observedAt"
    );
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let b = tokio::time::timeout(Duration::from_secs(5), history.next())
            .await
            .unwrap()
            .unwrap();
        for c in b
            .changes
            .iter()
            .filter_map(|c| c.after.as_ref())
            .filter(|e| &*e.id == id)
        {
            if let Some(a) = c.attrs.iter().find(|a| a.name.ends_with("/waterLevel")) {
                seen.push(a.value.json().clone());
            }
        }
    }
    assert_eq!(
        seen,
        vec![json!(3.2), json!(3.7)],
        "every measurement is a committed change"
    );
    let (_, dl) = f.call("GET", "/iot/deadletters", &[], None).await;
    assert_eq!(dl["totals"]["malformed"], 1, "{dl}");
    assert_eq!(dl["totals"]["unknown_device"], 1, "{dl}");
    assert_eq!(dl["totals"]["unknown_apikey"], 1, "{dl}");
    assert!(
        f.platform
            .metrics_text()
            .contains("twinisle_iot_messages_total{transport=\"mqtt\"} 2")
    );
    f.platform.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_go_down_and_results_come_back() {
    let f = start(config()).await;
    let port = f.mqtt_port();
    provision_gauge(
        &f,
        "cmdkey",
        "pump01",
        r#", "commands": [{"name": "ping", "type": "command"}]"#,
    )
    .await;
    let id = "urn:ngsi-ld:WaterObserved:pump01";
    let e = f.entity("hainan", id).await.unwrap();
    assert_eq!(e["ping_status"], "UNKNOWN");
    let mut device = TestClient::connect("pump01", port, None).await;
    device.subscribe("/cmdkey/pump01/cmd").await;
    let patch = r#"{"type": "Property", "value": {"data": "22"}}"#;
    let headers = [
        ("NGSILD-Tenant", "hainan"),
        ("content-type", "application/json"),
    ];
    let (s, v) = f
        .call(
            "PATCH",
            &format!("/ngsi-ld/v1/entities/{id}/attrs/ping"),
            &headers,
            Some(patch),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (topic, payload) = device.next(5).await.expect("the device gets its command");
    assert_eq!(topic, "/cmdkey/pump01/cmd");
    assert_eq!(
        serde_json::from_slice::<Value>(&payload).unwrap(),
        json!({"ping": {"data": "22"}})
    );
    assert_eq!(
        f.wait_attr("hainan", id, "ping_status", &json!("SENT"))
            .await,
        json!("SENT")
    );
    device
        .publish("/json/cmdkey/pump01/cmdexe", br#"{"ping": "pong"}"#, true)
        .await;
    assert_eq!(
        f.wait_attr("hainan", id, "ping_status", &json!("OK")).await,
        json!("OK")
    );
    assert_eq!(f.entity("hainan", id).await.unwrap()["ping_info"], "pong");
    f.platform.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ul_commands_reach_mosquitto_sub_and_unanswered_ones_expire() {
    let mut c = config();
    c.commands.timeout_s = 1;
    let f = start(c).await;
    let port = f.mqtt_port();
    let extra =
        r#", "protocol": "PDI-IoTA-UltraLight", "commands": [{"name": "open", "type": "command"}]"#;
    provision_gauge(&f, "ulkey", "gate01", extra).await;
    let id = "urn:ngsi-ld:WaterObserved:gate01";
    let sub = std::process::Command::new("mosquitto_sub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            "/ulkey/gate01/cmd",
            "-C",
            "1",
            "-W",
            "10",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("mosquitto_sub is installed");
    for _ in 0..50 {
        if f.platform
            .transport()
            .and_then(|t| t.has_subscriber("/ulkey/gate01/cmd"))
            == Some(true)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let headers = [
        ("NGSILD-Tenant", "hainan"),
        ("content-type", "application/json"),
    ];
    let patch = r#"{"type": "Property", "value": {"level": 3}}"#;
    f.call(
        "PATCH",
        &format!("/ngsi-ld/v1/entities/{id}/attrs/open"),
        &headers,
        Some(patch),
    )
    .await;
    let out = tokio::task::spawn_blocking(move || sub.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "gate01@open|level=3"
    );
    assert_eq!(
        f.wait_attr("hainan", id, "open_status", &json!("EXPIRED"))
            .await,
        json!("EXPIRED")
    );
    f.platform.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_devices_go_silent_and_come_back_active() {
    let f = start(config()).await;
    let port = f.mqtt_port();
    provision_gauge(&f, "livekey", "gauge05", r#", "timeout": 1"#).await;
    let dev = "urn:ngsi-ld:Device:gauge05";
    mosquitto_pub(port, "/ul/livekey/gauge05/attrs", "l|1.5", &[]);
    assert_eq!(
        f.wait_attr("hainan", dev, "deviceState", &json!("active"))
            .await,
        json!("active")
    );
    assert_eq!(
        f.wait_attr("hainan", dev, "deviceState", &json!("silent"))
            .await,
        json!("silent")
    );
    mosquitto_pub(port, "/livekey/gauge05/attrs", r#"{"l": 1.6}"#, &[]);
    assert_eq!(
        f.wait_attr("hainan", dev, "deviceState", &json!("active"))
            .await,
        json!("active")
    );
    f.platform.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_packets_drop_only_their_client_and_tokens_are_enforced() {
    let mut c = config();
    c.embedded.max_packet_bytes = 1024;
    let f = start(c).await;
    let port = f.mqtt_port();
    provision_gauge(&f, "bigkey", "gauge07", r#", "token": "s3cret""#).await;
    let good = TestClient::connect("gauge07", port, Some(("gauge07", "s3cret"))).await;
    let big = "x".repeat(5000);
    mosquitto_pub(
        port,
        "/json/bigkey/gauge07/attrs",
        &format!(r#"{{"l": "{big}"}}"#),
        &[],
    );
    mosquitto_pub(port, "/json/bigkey/gauge07/attrs", r#"{"l": 8.8}"#, &[]);
    good.publish("/json/bigkey/gauge07/attrs", br#"{"l": 2.5}"#, true)
        .await;
    let id = "urn:ngsi-ld:WaterObserved:gauge07";
    assert_eq!(
        f.wait_attr("hainan", id, "waterLevel", &json!(2.5)).await,
        json!(2.5)
    );
    let (_, dl) = f.call("GET", "/iot/deadletters", &[], None).await;
    assert_eq!(dl["totals"]["oversized"], 1, "{dl}");
    assert_eq!(
        dl["totals"]["unauthorized"], 1,
        "the anonymous 8.8 was refused: {dl}"
    );
    f.platform.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_survives_a_restart_and_taken_ports_are_named() {
    let f = start(config()).await;
    provision_gauge(&f, "keepkey", "gauge08", "").await;
    let taken = f.platform.mqtt_addrs()[0];
    let clash = IotConfig {
        mqtt_listen: Some(taken),
        ..IotConfig::default()
    };
    let dir2 = tempfile::tempdir().unwrap();
    let store2: std::sync::Arc<dyn Store> = std::sync::Arc::new(
        store::embedded::Embedded::open(&dir2.path().join("d"), Default::default()).unwrap(),
    );
    let ctx = std::sync::Arc::new(
        ngsi::context::ContextResolver::open(
            &dir2.path().join("c"),
            "http://x".into(),
            Default::default(),
        )
        .unwrap(),
    );
    let err = iot::IotPlatform::start(dir2.path(), store2, ctx, clash)
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("--mqtt-listen"), "{err}");
    f.platform.shutdown().await;
    let common::Fixture {
        dir,
        store,
        platform,
        app,
    } = f;
    drop((platform, app));
    store.close();
    drop(store);
    let f = start_in(dir, config()).await;
    let (s, v) = f.call("GET", "/iot/devices/gauge08", HAINAN, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = f
        .call(
            "POST",
            "/iot/json?k=keepkey&i=gauge08",
            &[],
            Some(r#"{"l": 1.25}"#),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    f.platform.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_transport_through_mosquitto() {
    if !mosquitto_up().await {
        eprintln!("SKIPPED: no MQTT broker on 127.0.0.1:1883");
        return;
    }
    let prefix = unique("tw-e2e-");
    let mut c = config();
    c.transport = TransportKind::External;
    c.external.topic_prefix = prefix.clone();
    let f = start(c).await;
    let key = unique("key");
    let extra = r#", "commands": [{"name": "ping", "type": "command"}]"#;
    provision_gauge(&f, &key, "ext01", extra).await;
    let id = "urn:ngsi-ld:WaterObserved:ext01";
    let mut device = TestClient::connect(&unique("ext01-"), 1883, None).await;
    device.subscribe(&format!("{prefix}/{key}/ext01/cmd")).await;
    let topic = format!("{prefix}/json/{key}/ext01/attrs");
    let mut got = Value::Null;
    for i in 0..20 {
        mosquitto_pub(1883, &topic, &format!(r#"{{"l": {i}.5}}"#), &["-q", "1"]);
        got = f
            .wait_attr("hainan", id, "waterLevel", &json!(f64::from(i) + 0.5))
            .await;
        if got == json!(f64::from(i) + 0.5) {
            break;
        }
    }
    assert!(
        got.is_number(),
        "a measurement through Mosquitto arrived: {got}"
    );
    let headers = [
        ("NGSILD-Tenant", "hainan"),
        ("content-type", "application/json"),
    ];
    let patch = r#"{"type": "Property", "value": "now"}"#;
    f.call(
        "PATCH",
        &format!("/ngsi-ld/v1/entities/{id}/attrs/ping"),
        &headers,
        Some(patch),
    )
    .await;
    let (_, payload) = device
        .next(10)
        .await
        .expect("the command went through Mosquitto");
    assert_eq!(
        serde_json::from_slice::<Value>(&payload).unwrap(),
        json!({"ping": "now"})
    );
    device
        .publish(
            &format!("{prefix}/json/{key}/ext01/cmdexe"),
            br#"{"ping": "done"}"#,
            true,
        )
        .await;
    assert_eq!(
        f.wait_attr("hainan", id, "ping_info", &json!("done")).await,
        json!("done")
    );
    f.platform.shutdown().await;
}
