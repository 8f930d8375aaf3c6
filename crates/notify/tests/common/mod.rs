//! Test harness: a twinisle node (embedded store, @context resolver, notifier, the merged
//! router) on a temporary directory, driven through `oneshot`; and a real local HTTP receiver
//! that records every notification with its headers and can be told to fail.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use notify::{Notifier, NotifyConfig};
use parking_lot::Mutex;
use serde_json::Value;
use tower::ServiceExt;

pub const CORE: &str = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
pub const ERR: &str = "https://uri.etsi.org/ngsi-ld/errors/";

/// A running node.
pub struct Node {
    pub app: Router,
    pub notifier: Notifier,
    pub store: store::embedded::Embedded,
}

/// A config with fast retries, for tests.
pub fn fast_config() -> NotifyConfig {
    NotifyConfig {
        retry_initial_ms: 50,
        retry_max_ms: 400,
        checkpoint_interval_ms: 50,
        ..NotifyConfig::default()
    }
}

impl Node {
    pub async fn start(dir: &Path, config: NotifyConfig) -> Self {
        let store =
            store::embedded::Embedded::open(&dir.join("store"), Default::default()).unwrap();
        let contexts = Arc::new(
            ngsi::context::ContextResolver::open(
                &dir.join("contexts"),
                "http://127.0.0.1:1026".into(),
                Default::default(),
            )
            .unwrap(),
        );
        let state = api::AppState {
            store: Arc::new(store.clone()),
            contexts: contexts.clone(),
            limits: Arc::new(api::Limits::default()),
        };
        let notifier = Notifier::start(&dir.join("notify"), state.store.clone(), contexts, config)
            .await
            .unwrap();
        let app = api::finish(
            api::routes()
                .with_state(state.clone())
                .merge(notifier.router(state)),
        );
        Self {
            app,
            notifier,
            store,
        }
    }

    pub async fn stop(self) {
        self.notifier.shutdown().await;
        self.store.close();
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path);
        let has_ct = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        if body.is_some() && !has_ct {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = body.map_or(Body::empty(), |b| {
            Body::from(serde_json::to_vec(&b).unwrap())
        });
        let resp = self
            .app
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        Resp {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
        }
    }

    pub async fn ok(&self, method: &str, path: &str, body: Option<Value>, expect: u16) -> Resp {
        let r = self.call(method, path, body, &[]).await;
        assert_eq!(r.status.as_u16(), expect, "{method} {path}: {}", r.text);
        r
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn assert_problem(&self, status: u16, kind: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.body["type"], format!("{ERR}{kind}"), "{}", self.text);
        assert_eq!(self.body["status"], status);
    }
}

/// One received notification.
#[derive(Clone, Debug)]
pub struct Got {
    pub headers: HeaderMap,
    pub body: Value,
    pub at: Instant,
}

/// A local HTTP receiver.
pub struct Receiver {
    pub addr: SocketAddr,
    pub got: Arc<Mutex<Vec<Got>>>,
    status: Arc<AtomicU16>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Self {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_on(addr: SocketAddr) -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (g, s) = (got.clone(), status.clone());
        let app = Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let (g, s) = (g.clone(), s.clone());
            async move {
                let code = s.load(Ordering::SeqCst);
                if code == 200 {
                    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    g.lock().push(Got {
                        headers,
                        body,
                        at: Instant::now(),
                    });
                }
                StatusCode::from_u16(code).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            addr,
            got,
            status,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers every request with this status (non-200 ones are not recorded).
    pub fn answer(&self, code: u16) {
        self.status.store(code, Ordering::SeqCst);
    }

    /// Waits until `n` notifications arrived (or panics after `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Got> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.got.lock().clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} notifications arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until the notified entities carry `n` values of `attr` (several entities may
    /// travel in one request); returns them in arrival order.
    pub async fn wait_values(&self, attr: &str, n: usize, within: Duration) -> Vec<i64> {
        let deadline = Instant::now() + within;
        loop {
            let v = values(&self.got.lock(), attr);
            if v.len() >= n {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} values arrived: {v:?}",
                v.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

/// A subscription body notifying `uri`.
pub fn subscription(uri: &str, extra: Value) -> Value {
    let mut s = serde_json::json!({
        "type": "Subscription",
        "entities": [{"type": "Counter"}],
        "notification": {"endpoint": {"uri": uri, "accept": "application/json"}}
    });
    if let (Some(s), Some(e)) = (s.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            s.insert(k.clone(), v.clone());
        }
    }
    s
}

/// The `n` values carried by a keyValues notification list, in arrival order.
pub fn values(got: &[Got], attr: &str) -> Vec<i64> {
    got.iter()
        .flat_map(|g| g.body["data"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| {
            let v = &e[attr];
            v.as_i64().or_else(|| v["value"].as_i64())
        })
        .collect()
}
