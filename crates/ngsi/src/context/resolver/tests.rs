use std::time::Duration;

use serde_json::json;

use super::*;
use crate::context::test_server::{Reply, Server};
use crate::context::{CORE_CONTEXT_URL, DEFAULT_VOCAB, JSONLD_CONTEXTS_PATH};
use crate::error::ErrorKind;

const BASE: &str = "http://broker.test:1026";

pub(crate) fn config() -> ContextConfig {
    ContextConfig {
        fetch_timeout: Duration::from_millis(300),
        ..ContextConfig::default()
    }
}

pub(crate) fn open(dir: &Path, config: ContextConfig) -> ContextResolver {
    ContextResolver::open(dir, BASE.to_string(), config).unwrap()
}

pub(crate) async fn fails(r: &ContextResolver, ctx: Value, kind: ErrorKind, needle: &str) {
    let e = r.resolve(&ctx).await.unwrap_err();
    assert_eq!(e.kind, kind, "{ctx}: {}", e.detail);
    assert!(
        e.detail.contains(needle),
        "{ctx}: {} lacks {needle:?}",
        e.detail
    );
}

#[tokio::test]
async fn core_contexts_resolve_without_network() {
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path(), config());
    let core = r.resolve(&json!(CORE_CONTEXT_URL)).await.unwrap();
    assert!(Arc::ptr_eq(&core, &r.core()));
    assert!(core.is_core_only());
    assert_eq!(core.link_url(), CORE_CONTEXT_URL);
    assert_eq!(core.source(), &json!(CORE_CONTEXT_URL));
    assert_eq!(core.response_context(), &json!(CORE_CONTEXT_URL));
    assert!(r.cached_url(CORE_CONTEXT_URL).is_some());

    let v19 = r.resolve(&json!(CoreVersion::V1_9.url())).await.unwrap();
    assert_eq!(v19.core_url(), CoreVersion::V1_9.url());
    assert_eq!(
        &*v19.expand("attributeCount"),
        "https://uri.etsi.org/ngsi-ld/attributeCount"
    );
    assert_eq!(
        &*core.expand("attributeCount"),
        format!("{DEFAULT_VOCAB}attributeCount")
    );

    let alias = r.resolve(&json!(CORE_CONTEXT_ALIAS_URL)).await.unwrap();
    assert_eq!(alias.core_url(), CORE_CONTEXT_URL);
    let http = "http://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
    let plain = r.resolve(&json!(http)).await.unwrap();
    assert!(plain.is_core_only());
    assert_eq!(plain.link_url(), http);
    // Only the core: nothing to host.
    let empty = r.resolve(&json!([{}, CORE_CONTEXT_URL])).await.unwrap();
    assert!(empty.is_core_only() && empty.link_url() == CORE_CONTEXT_URL);
    assert_eq!(
        r.list(false, Some(ContextKind::ImplicitlyCreated)),
        json!([])
    );
}

#[tokio::test]
async fn inline_contexts_compile_once_and_get_an_implicit_copy() {
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path(), config());
    let ctx = json!({"ex": "http://example.org/", "Vehicle": "ex:Vehicle"});
    let a = r.resolve(&ctx).await.unwrap();
    assert_eq!(&*a.expand("Vehicle"), "http://example.org/Vehicle");
    assert_eq!(a.source(), &ctx);
    assert_eq!(a.response_context(), &json!([ctx, CORE_CONTEXT_URL]));
    let b = r
        .resolve(&serde_json::from_str(&ctx.to_string()).unwrap())
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&a, &b), "the same source text compiles once");

    let link = a.link_url().to_string();
    assert!(
        link.starts_with(&format!("{BASE}{JSONLD_CONTEXTS_PATH}")),
        "{link}"
    );
    assert_eq!(
        r.list(false, Some(ContextKind::ImplicitlyCreated)),
        json!([link])
    );
    assert_eq!(r.get(&link, false).unwrap(), json!({"@context": ctx}));
    // The link resolves locally (broker.test does not exist).
    let via_link = r.resolve(&json!(link)).await.unwrap();
    assert_eq!(&*via_link.expand("Vehicle"), "http://example.org/Vehicle");
    assert_eq!(via_link.link_url(), link);

    // The core is rendered last whatever its position (clause 4.4).
    let first = json!([CORE_CONTEXT_URL, {"a": "http://example.org/a"}]);
    let reordered = r.resolve(&first).await.unwrap();
    assert_eq!(
        reordered.response_context(),
        &json!([{"a": "http://example.org/a"}, CORE_CONTEXT_URL])
    );
    assert_eq!(reordered.source(), &first);

    // The id is derived from the source text: stable across restarts.
    drop(r);
    let again = open(dir.path(), config()).resolve(&ctx).await.unwrap();
    assert_eq!(again.link_url(), link);
}

#[tokio::test]
async fn remote_contexts_are_fetched_once_and_cached() {
    let server = Server::start().await;
    server.route(
        "/ctx.jsonld",
        Reply::json(json!({"@context": {"speed": "http://example.org/speed"}})),
    );
    let url = server.url("/ctx.jsonld");
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path(), config());
    assert!(r.cached_url(&url).is_none());
    let c = r.resolve(&json!(url)).await.unwrap();
    assert_eq!(&*c.expand("speed"), "http://example.org/speed");
    assert_eq!(c.link_url(), url);
    assert_eq!(c.response_context(), &json!([url, CORE_CONTEXT_URL]));
    assert!(Arc::ptr_eq(&r.cached_url(&url).unwrap(), &c));
    r.resolve(&json!(url)).await.unwrap();
    // An array naming the same URL compiles anew but reuses the stored document.
    let arr = r.resolve(&json!([url, CORE_CONTEXT_URL])).await.unwrap();
    assert_eq!(arr.link_url(), url);
    assert_eq!(arr.response_context(), &json!([url, CORE_CONTEXT_URL]));
    assert_eq!(server.hits("/ctx.jsonld"), 1);

    let listed = r.list(true, Some(ContextKind::Cached));
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["URL"] == json!(url))
        .unwrap()
        .clone();
    assert_eq!(entry["kind"], "Cached");
    assert!(entry["numberOfHits"].as_u64().unwrap() >= 3, "{entry}");
    assert!(entry["expiresAt"].is_string() && entry["lastUsage"].is_string());
    assert_eq!(r.get(&url, true).unwrap()["localId"], entry["localId"]);
    let e = r
        .get(entry["localId"].as_str().unwrap(), false)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::OperationNotSupported);
}

#[test]
fn link_header_parsing_is_exposed() {
    let h = r#"<http://a.org/c.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json""#;
    assert_eq!(
        ContextResolver::context_url_from_link(h)
            .unwrap()
            .as_deref(),
        Some("http://a.org/c.jsonld")
    );
}

#[test]
fn open_rejects_an_unknown_default_core() {
    let dir = tempfile::tempdir().unwrap();
    let config = ContextConfig {
        core_context: CORE_CONTEXT_ALIAS_URL.into(),
        ..config()
    };
    let e = ContextResolver::open(dir.path(), BASE.into(), config).unwrap_err();
    assert!(e.detail.contains("core_context"), "{}", e.detail);
    let v19 = ContextConfig {
        core_context: CoreVersion::V1_9.url().into(),
        ..ContextConfig::default()
    };
    let r = ContextResolver::open(dir.path(), BASE.into(), v19).unwrap();
    assert_eq!(r.core().core_url(), CoreVersion::V1_9.url());
}
