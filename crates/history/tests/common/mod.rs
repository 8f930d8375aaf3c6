//! A twinisle app (core API plus the temporal API) on a temporary embedded store and history,
//! driven through `tower::ServiceExt::oneshot` (the real router, no socket).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use history::History;
use history::http::TemporalState;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const ERR: &str = "https://uri.etsi.org/ngsi-ld/errors/";

pub struct TestApp {
    pub app: Router,
    pub history: History,
    pub store: store::embedded::Embedded,
    pub root: PathBuf,
    _dir: Option<tempfile::TempDir>,
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

    /// Asserts a ProblemDetails body of the given ETSI type and status.
    pub fn assert_problem(&self, status: u16, kind: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.body["type"], format!("{ERR}{kind}"), "{}", self.text);
        assert_eq!(self.body["status"], status, "{}", self.text);
        assert!(self.body["detail"].is_string(), "{}", self.text);
    }

    pub fn assert_status(&self, status: u16) {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
    }
}

/// A small config for tests: short flushes, small chunks (so merges and many chunks happen).
pub fn test_config() -> history::HistoryConfig {
    history::HistoryConfig {
        flush_interval_ms: 50,
        chunk_instances: 16,
        ..Default::default()
    }
}

impl TestApp {
    pub fn new() -> Self {
        Self::with_config(test_config())
    }

    pub fn with_config(config: history::HistoryConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut app = Self::open(dir.path(), config);
        app._dir = Some(dir);
        app
    }

    /// Opens (or reopens) an app whose data lives under `root`.
    pub fn open(root: &Path, config: history::HistoryConfig) -> Self {
        let store =
            store::embedded::Embedded::open(&root.join("store"), Default::default()).unwrap();
        let contexts = ngsi::context::ContextResolver::open(
            &root.join("contexts"),
            "http://127.0.0.1:1026".into(),
            Default::default(),
        )
        .unwrap();
        let state = api::AppState {
            store: Arc::new(store.clone()),
            contexts: Arc::new(contexts),
            limits: Arc::new(api::Limits::default()),
        };
        let history = History::open(&root.join("history"), state.store.clone(), config).unwrap();
        let temporal =
            history::http::routes().with_state(TemporalState::new(state.clone(), history.clone()));
        let app = api::finish(api::routes().with_state(state).merge(temporal));
        Self {
            app,
            history,
            store,
            root: root.to_path_buf(),
            _dir: None,
        }
    }

    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, uri: &str) -> Resp {
        self.send(Method::GET, uri, &[], None).await
    }

    pub async fn json(&self, method: Method, uri: &str, body: Value) -> Resp {
        self.json_h(method, uri, body, &[]).await
    }

    pub async fn json_h(
        &self,
        method: Method,
        uri: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut h = vec![("content-type", "application/json")];
        h.extend_from_slice(headers);
        self.send(method, uri, &h, Some(serde_json::to_vec(&body).unwrap()))
            .await
    }

    pub async fn delete(&self, uri: &str) -> Resp {
        self.send(Method::DELETE, uri, &[], None).await
    }
}

/// `2026-09-14T00:00:00Z` plus `minutes`.
pub fn at(minutes: i64) -> String {
    let t0 = ngsi::time::parse("2026-09-14T00:00:00Z").unwrap();
    ngsi::time::format(t0 + minutes * 60_000_000)
}

/// Percent-encodes a query value.
pub fn q(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

/// Copies a directory tree (a "crash image" of a running node's data).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
