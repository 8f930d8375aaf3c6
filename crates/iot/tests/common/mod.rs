//! Shared fixtures: a store and @context resolver in a temp dir, the platform on an ephemeral
//! MQTT port, the `/iot` + NGSI-LD app, and small request helpers.
#![allow(dead_code)]

pub mod client;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use iot::{IotConfig, IotPlatform};
use ngsi::context::{ContextConfig, ContextResolver};
use serde_json::Value;
use store::Store;
use store::embedded::{Embedded, EmbeddedConfig};
use tower::ServiceExt;

/// A running platform and everything around it.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub store: Embedded,
    pub platform: IotPlatform,
    pub app: axum::Router,
}

/// A config with the embedded broker on an ephemeral port and fast timers.
pub fn config() -> IotConfig {
    let mut c = IotConfig {
        mqtt_listen: Some("127.0.0.1:0".parse().unwrap()),
        ..IotConfig::default()
    };
    c.liveness.check_interval_ms = 100;
    c
}

pub async fn start(config: IotConfig) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    start_in(dir, config).await
}

pub async fn start_in(dir: tempfile::TempDir, config: IotConfig) -> Fixture {
    let store = Embedded::open(&dir.path().join("data"), EmbeddedConfig::default()).unwrap();
    let contexts = Arc::new(
        ContextResolver::open(
            &dir.path().join("data/contexts"),
            "http://127.0.0.1:1026".into(),
            ContextConfig::default(),
        )
        .unwrap(),
    );
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    let platform = IotPlatform::start(
        &dir.path().join("data"),
        shared.clone(),
        contexts.clone(),
        config,
    )
    .await
    .unwrap();
    let app_state = api::AppState {
        store: shared,
        contexts,
        limits: Arc::new(api::Limits::default()),
    };
    let app = api::finish(
        api::routes()
            .with_state(app_state.clone())
            .merge(iot::router(platform.state(app_state))),
    );
    Fixture {
        dir,
        store,
        platform,
        app,
    }
}

impl Fixture {
    /// Sends a request; returns status and JSON body (Null when empty or not JSON).
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let resp = self
            .app
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// The entity in keyValues form, or None.
    pub async fn entity(&self, tenant: &str, id: &str) -> Option<Value> {
        let uri = format!("/ngsi-ld/v1/entities/{id}?options=keyValues");
        let (status, v) = self
            .call("GET", &uri, &[("NGSILD-Tenant", tenant)], None)
            .await;
        (status == StatusCode::OK).then_some(v)
    }

    /// Polls until `attr` of the entity equals `want` (or 5 s pass); returns the last value.
    pub async fn wait_attr(&self, tenant: &str, id: &str, attr: &str, want: &Value) -> Value {
        let mut last = Value::Null;
        for _ in 0..100 {
            if let Some(e) = self.entity(tenant, id).await {
                last = e.get(attr).cloned().unwrap_or(Value::Null);
                if &last == want {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        last
    }

    pub fn mqtt_port(&self) -> u16 {
        self.platform.mqtt_addrs()[0].port()
    }
}

pub const HAINAN: &[(&str, &str)] = &[
    ("fiware-service", "hainan"),
    ("fiware-servicepath", "/"),
    ("content-type", "application/json"),
];

/// Provisions the acceptance check's water group and gauge under `apikey`.
pub async fn provision_gauge(f: &Fixture, apikey: &str, device: &str, extra: &str) {
    let group = format!(
        r#"{{"services": [{{"apikey": "{apikey}", "entity_type": "WaterObserved", "resource": "/iot/json"}}]}}"#
    );
    let (s, v) = f.call("POST", "/iot/services", HAINAN, Some(&group)).await;
    assert!(
        s == StatusCode::CREATED || s == StatusCode::CONFLICT,
        "{s} {v}"
    );
    let mut dev = serde_json::json!({"device_id": device, "entity_name": format!("urn:ngsi-ld:WaterObserved:{device}"),
        "entity_type": "WaterObserved", "transport": "MQTT", "protocol": "PDI-IoTA-JSON",
        "attributes": [{"object_id": "l", "name": "waterLevel", "type": "Number"}]});
    if !extra.is_empty() {
        let more: Value =
            serde_json::from_str(&format!("{{{}}}", extra.trim_start_matches(','))).unwrap();
        for (k, v) in more.as_object().unwrap() {
            dev[k] = v.clone();
        }
    }
    let dev = serde_json::json!({"devices": [dev]}).to_string();
    let (s, v) = f.call("POST", "/iot/devices", HAINAN, Some(&dev)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

/// A unique suffix per test run, so runs sharing a broker never see each other's topics.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}{}x{}", std::process::id(), nanos % 1_000_000_000)
}
