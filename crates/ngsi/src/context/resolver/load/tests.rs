//! Loading through the resolver against a local HTTP server: nesting, failures, expiry,
//! single-flight fetches and cache bounds.

use std::time::Duration;

use serde_json::json;

use crate::context::resolver::tests::{config, fails, open};
use crate::context::test_server::{Reply, Server};
use crate::context::{CORE_CONTEXT_URL, ContextConfig, ContextKind, CoreVersion};
use crate::error::ErrorKind;

#[tokio::test]
async fn nested_remote_contexts_are_followed_within_bounds() {
    let server = Server::start().await;
    server.route(
        "/a.jsonld",
        Reply::json(json!({"@context": ["b.jsonld", {"A": "ex:A"}]})),
    );
    server.route(
        "/b.jsonld",
        Reply::json(json!({"@context": {"ex": "http://example.org/"}})),
    );
    server.route(
        "/loop.jsonld",
        Reply::json(json!({"@context": ["loop2.jsonld"]})),
    );
    server.route(
        "/loop2.jsonld",
        Reply::json(json!({"@context": "loop.jsonld"})),
    );
    for i in 0..4 {
        server.route(
            &format!("/d{i}.jsonld"),
            Reply::json(json!({"@context": format!("d{}.jsonld", i + 1)})),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let r = open(
        dir.path(),
        ContextConfig {
            max_depth: 3,
            ..config()
        },
    );
    let c = r.resolve(&json!(server.url("/a.jsonld"))).await.unwrap();
    assert_eq!(&*c.expand("A"), "http://example.org/A");
    assert_eq!(&*c.expand("ex:B"), "http://example.org/B");
    fails(
        &r,
        json!(server.url("/loop.jsonld")),
        ErrorKind::BadRequestData,
        "recursive context inclusion",
    )
    .await;
    fails(
        &r,
        json!(server.url("/d0.jsonld")),
        ErrorKind::BadRequestData,
        "nested deeper",
    )
    .await;
    assert_eq!(server.hits("/d3.jsonld"), 0);
}

#[tokio::test]
async fn unavailable_and_invalid_remote_contexts() {
    let server = Server::start().await;
    server.route("/hang", Reply::Hang);
    server.route("/html", Reply::Body("<html>".into(), Vec::new()));
    server.route(
        "/plain",
        Reply::json(json!({"speed": "http://example.org/speed"})),
    );
    server.route("/badterm", Reply::json(json!({"@context": {"speed": 3}})));
    server.route(
        "/big",
        Reply::json(json!({"@context": {"t": "x".repeat(2000)}})),
    );
    server.route("/500", Reply::Status(500));
    server.route("/503", Reply::Status(503));
    let dir = tempfile::tempdir().unwrap();
    let r = open(
        dir.path(),
        ContextConfig {
            max_context_bytes: 1000,
            ..config()
        },
    );
    let not_available = ErrorKind::LdContextNotAvailable;
    fails(
        &r,
        json!(server.url("/missing")),
        not_available,
        &server.url("/missing"),
    )
    .await;
    fails(&r, json!(server.url("/missing")), not_available, "404").await;
    fails(&r, json!(server.url("/500")), not_available, "500").await;
    fails(&r, json!(server.url("/503")), not_available, "503").await;
    fails(
        &r,
        json!([{}, server.url("/hang")]),
        not_available,
        "no complete answer",
    )
    .await;
    fails(&r, json!(server.url("/html")), not_available, "not JSON").await;
    fails(
        &r,
        json!(server.url("/big")),
        not_available,
        "larger than 1000 bytes",
    )
    .await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/ctx", l.local_addr().unwrap())
    };
    fails(&r, json!(closed), not_available, &closed).await;
    fails(
        &r,
        json!(server.url("/plain")),
        ErrorKind::BadRequestData,
        "invalid remote context",
    )
    .await;
    fails(
        &r,
        json!(server.url("/badterm")),
        ErrorKind::BadRequestData,
        "\"speed\"",
    )
    .await;
    assert_eq!(
        r.list(false, Some(ContextKind::Cached))
            .as_array()
            .unwrap()
            .len(),
        CoreVersion::ALL.len()
    );
    // Bad @context values.
    fails(&r, json!(3), ErrorKind::BadRequestData, "invalid @context").await;
    fails(
        &r,
        json!(null),
        ErrorKind::BadRequestData,
        "invalid @context",
    )
    .await;
    fails(
        &r,
        json!("ctx.jsonld"),
        ErrorKind::BadRequestData,
        "invalid @context reference",
    )
    .await;
    fails(
        &r,
        json!({"t": "x".repeat(2000)}),
        ErrorKind::BadRequestData,
        "larger than",
    )
    .await;
    fails(
        &r,
        json!({"a": {"@id": "x:a", "@context": {}}}),
        ErrorKind::BadRequestData,
        "scoped",
    )
    .await;
}

#[tokio::test]
async fn expired_contexts_are_refetched_and_stale_copies_survive_failures() {
    let server = Server::start().await;
    server.route(
        "/ctx",
        Reply::json(json!({"@context": {"t": "http://example.org/v1"}})),
    );
    let url = server.url("/ctx");
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path(), config());
    assert_eq!(
        &*r.resolve(&json!(url)).await.unwrap().expand("t"),
        "http://example.org/v1"
    );
    server.route(
        "/ctx",
        Reply::json(json!({"@context": {"t": "http://example.org/v2"}})),
    );
    r.expire(&url);
    assert!(r.cached_url(&url).is_none());
    assert_eq!(
        &*r.resolve(&json!(url)).await.unwrap().expand("t"),
        "http://example.org/v2"
    );
    assert_eq!(server.hits("/ctx"), 2);
    server.route("/ctx", Reply::Status(503));
    r.expire(&url);
    assert_eq!(
        &*r.resolve(&json!(url)).await.unwrap().expand("t"),
        "http://example.org/v2"
    );
    assert_eq!(server.hits("/ctx"), 3);
    // The stale copy got another min_ttl: no refetch per request.
    r.resolve(&json!(url)).await.unwrap();
    assert_eq!(server.hits("/ctx"), 3);
}

#[tokio::test]
async fn concurrent_resolutions_share_one_fetch() {
    let server = Server::start().await;
    let body = json!({"@context": {"t": "http://example.org/t"}}).to_string();
    server.route("/slow", Reply::Slow(Duration::from_millis(50), body));
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path(), config());
    let a = json!(server.url("/slow"));
    let b = json!([server.url("/slow"), {"u": "http://example.org/u"}]);
    let (x, y, z) = tokio::join!(r.resolve(&a), r.resolve(&b), r.resolve(&a));
    assert!(x.is_ok() && y.is_ok() && z.is_ok());
    assert_eq!(server.hits("/slow"), 1);
    assert_eq!(&*y.unwrap().expand("t"), "http://example.org/t");
}

#[tokio::test]
async fn caches_are_bounded() {
    let server = Server::start().await;
    for i in 0..3 {
        server.route(
            &format!("/c{i}"),
            Reply::json(json!({"@context": {format!("t{i}"): "http://example.org/"}})),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let r = open(
        dir.path(),
        ContextConfig {
            max_cached: 2,
            max_implicit: 2,
            max_compiled: 2,
            ..config()
        },
    );
    for i in 0..3 {
        r.resolve(&json!(server.url(&format!("/c{i}"))))
            .await
            .unwrap();
        r.resolve(&json!({format!("i{i}"): "http://example.org/i"}))
            .await
            .unwrap();
    }
    let cached = r
        .list(false, Some(ContextKind::Cached))
        .as_array()
        .unwrap()
        .len();
    assert_eq!(cached, CoreVersion::ALL.len() + 2);
    assert_eq!(
        r.list(false, Some(ContextKind::ImplicitlyCreated))
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(r.cached_url(&server.url("/c0")).is_none());
    assert!(
        r.cached_url(CORE_CONTEXT_URL).is_some(),
        "core contexts are never evicted"
    );
    assert!(r.compiled.read().len() <= 2 + CoreVersion::ALL.len() + 1);
}
