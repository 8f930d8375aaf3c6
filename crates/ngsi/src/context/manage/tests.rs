use std::path::Path;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::context::test_server::{Reply, Server};
use crate::context::{CORE_CONTEXT_URL, ContextConfig, CoreVersion, JSONLD_CONTEXTS_PATH};

const BASE: &str = "http://127.0.0.1:1026";

fn open_with(dir: &Path, config: ContextConfig) -> ContextResolver {
    ContextResolver::open(dir, BASE.to_string(), config).unwrap()
}

fn open(dir: &Path) -> ContextResolver {
    open_with(
        dir,
        ContextConfig {
            fetch_timeout: Duration::from_millis(300),
            ..ContextConfig::default()
        },
    )
}

fn urls(v: Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn hosted_contexts_are_added_listed_served_and_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path());
    let body = json!({"@context": {"Vehicle": "http://example.org/Vehicle"}, "ignored": true});
    let added = r.add_hosted(body).await.unwrap();
    assert_eq!(
        added.url,
        format!("{BASE}{JSONLD_CONTEXTS_PATH}{}", added.id)
    );

    assert_eq!(
        urls(r.list(false, Some(ContextKind::Hosted))),
        vec![added.url.clone()]
    );
    let all = urls(r.list(false, None));
    assert!(all.contains(&added.url) && all.contains(&CORE_CONTEXT_URL.to_string()));
    let details = r.list(true, Some(ContextKind::Hosted));
    let d = &details[0];
    assert_eq!(
        (d["URL"].as_str(), d["localId"].as_str()),
        (Some(&*added.url), Some(&*added.id))
    );
    assert_eq!(d["kind"], "Hosted");
    assert_eq!(d["numberOfHits"], 0);
    assert!(d["createdAt"].is_string() && d.get("expiresAt").is_none());

    let served = json!({"@context": {"Vehicle": "http://example.org/Vehicle"}});
    assert_eq!(r.get(&added.id, false).unwrap(), served);
    assert_eq!(r.get(&added.url, false).unwrap(), served);
    assert_eq!(r.get(&added.id, true).unwrap()["kind"], "Hosted");
    let e = r.get("nope", false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ResourceNotFound);

    let c = r.resolve(&json!(added.url)).await.unwrap();
    assert_eq!(&*c.expand("Vehicle"), "http://example.org/Vehicle");
    assert_eq!(c.link_url(), added.url);
    assert_eq!(r.get(&added.id, true).unwrap()["numberOfHits"], 1);

    let core = r.get(CORE_CONTEXT_URL, true).unwrap();
    assert_eq!(
        (
            core["kind"].as_str(),
            core["extraInfo"]["builtIn"].as_bool()
        ),
        (Some("Cached"), Some(true))
    );
}

#[tokio::test]
async fn invalid_hosted_contexts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let r = open_with(
        dir.path(),
        ContextConfig {
            max_hosted: 1,
            max_context_bytes: 200,
            ..ContextConfig::default()
        },
    );
    for (body, kind) in [
        (json!([1]), ErrorKind::BadRequestData),
        (json!({"context": {}}), ErrorKind::BadRequestData),
        (json!({"@context": 3}), ErrorKind::BadRequestData),
        (
            json!({"@context": {"a": {"@id": 1}}}),
            ErrorKind::BadRequestData,
        ),
        (
            json!({"@context": {"a": "x".repeat(300)}}),
            ErrorKind::PayloadTooLarge,
        ),
    ] {
        assert_eq!(
            r.add_hosted(body.clone()).await.unwrap_err().kind,
            kind,
            "{body}"
        );
    }
    // URLs a hosted context references are not fetched when it is added.
    r.add_hosted(json!({"@context": ["http://unreachable.invalid/c.jsonld", {}]}))
        .await
        .unwrap();
    let e = r.add_hosted(json!({"@context": {}})).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::OperationNotSupported);
    assert!(e.detail.contains("maximum of 1"));
}

#[tokio::test]
async fn hosted_contexts_survive_restart_and_deletion_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let (keep, gone) = {
        let r = open(dir.path());
        let keep = r
            .add_hosted(json!({"@context": {"a": "http://example.org/a"}}))
            .await
            .unwrap();
        let gone = r
            .add_hosted(json!({"@context": {"b": "http://example.org/b"}}))
            .await
            .unwrap();
        r.delete(&gone.id, false).await.unwrap();
        (keep, gone)
    };
    std::fs::write(dir.path().join(".x.json.tmp"), b"partial").unwrap();
    std::fs::write(dir.path().join("corrupt.json"), b"{not json").unwrap();
    let before = open(dir.path()).get(&keep.id, true).unwrap();
    let r = open(dir.path());
    assert_eq!(
        urls(r.list(false, Some(ContextKind::Hosted))),
        vec![keep.url.clone()]
    );
    assert_eq!(
        r.get(&keep.id, true).unwrap()["createdAt"],
        before["createdAt"]
    );
    assert_eq!(
        r.get(&gone.id, false).unwrap_err().kind,
        ErrorKind::ResourceNotFound
    );
    assert!(
        !dir.path().join(".x.json.tmp").exists(),
        "leftover temp files are removed"
    );
    let c = r.resolve(&json!(keep.url)).await.unwrap();
    assert_eq!(&*c.expand("a"), "http://example.org/a");
    let e = r.resolve(&json!(gone.url)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::LdContextNotAvailable);
}

#[tokio::test]
async fn delete_follows_clause_5_13_5() {
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path());
    let hosted = r
        .add_hosted(json!({"@context": {"a": "http://example.org/a"}}))
        .await
        .unwrap();
    let c = r.resolve(&json!(hosted.url)).await.unwrap();
    assert_eq!(&*c.expand("a"), "http://example.org/a");
    let implicit = r
        .resolve(&json!({"i": "http://example.org/i"}))
        .await
        .unwrap();

    assert_eq!(
        r.delete("", false).await.unwrap_err().kind,
        ErrorKind::BadRequestData
    );
    assert_eq!(
        r.delete("unknown", false).await.unwrap_err().kind,
        ErrorKind::ResourceNotFound
    );
    let e = r.delete(&hosted.id, true).await.unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::BadRequestData,
        "only Cached can be reloaded"
    );
    let e = r.delete(CORE_CONTEXT_URL, false).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequestData);
    assert!(e.detail.contains("cannot be deleted"));
    r.delete(CoreVersion::V1_9.url(), true).await.unwrap();

    r.delete(&hosted.url, false).await.unwrap();
    assert!(
        r.cached_url(&hosted.url).is_none(),
        "compiled copies go with the document"
    );
    assert_eq!(
        r.resolve(&json!(hosted.url)).await.unwrap_err().kind,
        ErrorKind::LdContextNotAvailable
    );
    r.delete(implicit.link_url(), false).await.unwrap();
    assert_eq!(
        r.get(implicit.link_url(), true).unwrap_err().kind,
        ErrorKind::ResourceNotFound
    );
    // Using the inline context again creates the implicit copy again, under the same URL.
    let again = r
        .resolve(&json!({"i": "http://example.org/i"}))
        .await
        .unwrap();
    assert_eq!(again.link_url(), implicit.link_url());
    assert!(r.get(again.link_url(), false).is_ok());
}

#[tokio::test]
async fn cached_contexts_can_be_reloaded_or_deleted() {
    let server = Server::start().await;
    server.route(
        "/ctx",
        Reply::json(json!({"@context": {"t": "http://example.org/v1"}})),
    );
    let url = server.url("/ctx");
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path());
    r.resolve(&json!(url)).await.unwrap();
    let id = r.get(&url, true).unwrap()["localId"].clone();

    server.route(
        "/ctx",
        Reply::json(json!({"@context": {"t": "http://example.org/v2"}})),
    );
    r.delete(&url, true).await.unwrap();
    assert_eq!(
        &*r.resolve(&json!(url)).await.unwrap().expand("t"),
        "http://example.org/v2"
    );
    assert_eq!(
        r.get(&url, true).unwrap()["localId"],
        id,
        "a reload keeps the local id"
    );

    server.route("/ctx", Reply::Status(404));
    let e = r.delete(id.as_str().unwrap(), true).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::LdContextNotAvailable);
    assert!(e.detail.contains("404"), "{}", e.detail);
    server.route("/ctx", Reply::json(json!({"@context": {"t": 1}})));
    assert_eq!(
        r.delete(&url, true).await.unwrap_err().kind,
        ErrorKind::LdContextNotAvailable
    );
    assert_eq!(
        &*r.resolve(&json!(url)).await.unwrap().expand("t"),
        "http://example.org/v2"
    );
    assert_eq!(server.hits("/ctx"), 4);

    r.delete(&url, false).await.unwrap();
    assert!(r.get(&url, true).is_err() && r.cached_url(&url).is_none());
    server.route(
        "/ctx",
        Reply::json(json!({"@context": {"t": "http://example.org/v3"}})),
    );
    assert_eq!(
        &*r.resolve(&json!(url)).await.unwrap().expand("t"),
        "http://example.org/v3"
    );
}
