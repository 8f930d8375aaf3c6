//! A twinisle app on a temporary embedded store, and a tiny client that drives it through
//! `tower::ServiceExt::oneshot` (the real router, no socket).

#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const CORE: &str = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
pub const ERR: &str = "https://uri.etsi.org/ngsi-ld/errors/";

pub struct TestApp {
    pub app: Router,
    _dir: tempfile::TempDir,
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
        assert_eq!(self.body["status"], status);
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "{}",
            self.text
        );
        assert!(
            self.header("content-type")
                .unwrap_or("")
                .starts_with("application/json")
        );
    }
}

impl TestApp {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store =
            store::embedded::Embedded::open(&dir.path().join("store"), Default::default()).unwrap();
        let contexts = ngsi::context::ContextResolver::open(
            &dir.path().join("contexts"),
            "http://127.0.0.1:1026".into(),
            Default::default(),
        )
        .unwrap();
        let limits = api::Limits {
            max_body_bytes: 64 * 1024,
            ..Default::default()
        };
        let state = api::AppState {
            store: Arc::new(store),
            contexts: Arc::new(contexts),
            limits: Arc::new(limits),
        };
        Self {
            app: api::router(state),
            _dir: dir,
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

    pub async fn get_h(&self, uri: &str, headers: &[(&str, &str)]) -> Resp {
        self.send(Method::GET, uri, headers, None).await
    }

    /// A JSON body with the default (core) context.
    pub async fn json(&self, method: Method, uri: &str, body: Value) -> Resp {
        self.send(
            method,
            uri,
            &[("content-type", "application/json")],
            Some(serde_json::to_vec(&body).unwrap()),
        )
        .await
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

pub fn gauge(id: &str, level: f64) -> Value {
    serde_json::json!({
        "id": id, "type": "WaterObserved",
        "waterLevel": {"type": "Property", "value": level, "unitCode": "MTR", "observedAt": "2026-09-14T08:00:00Z"},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [110.35, 19.98]}},
        "river": {"type": "Relationship", "object": "urn:ngsi-ld:River:nandu"},
    })
}
