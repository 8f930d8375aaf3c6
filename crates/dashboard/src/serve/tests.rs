//! The serving rules, checked on a small fixture folder so they hold whether or not `web/dist`
//! has been built on this machine.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use rust_embed::RustEmbed;
use tower::ServiceExt;

use super::{content_type, router};

#[derive(RustEmbed)]
#[folder = "tests/fixture"]
struct Fixture;

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

async fn fetch(app: Router, path: &str, if_none_match: Option<&str>) -> Answer {
    let mut req = Request::get(path);
    if let Some(tag) = if_none_match {
        req = req.header(header::IF_NONE_MATCH, tag);
    }
    let res = app
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

fn header(a: &Answer, name: header::HeaderName) -> &str {
    a.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn fixture() -> Router {
    router::<Fixture, ()>(true)
}

#[tokio::test]
async fn index_is_html_revalidated_and_locked_to_its_origin() {
    let a = fetch(fixture(), "/", None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(header(&a, header::CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(header(&a, header::CACHE_CONTROL), "no-cache");
    assert!(header(&a, header::CONTENT_SECURITY_POLICY).contains("default-src 'self'"));
    assert!(String::from_utf8_lossy(&a.body).contains("<title>fixture</title>"));
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year() {
    let js = fetch(fixture(), "/assets/app-3f9a1c.js", None).await;
    assert_eq!(js.status, StatusCode::OK);
    assert_eq!(
        header(&js, header::CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        header(&js, header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&js, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(js.body, b"console.log(\"fixture\");\n");
    let css = fetch(fixture(), "/assets/app-77b0e2.css", None).await;
    assert_eq!(
        header(&css, header::CONTENT_TYPE),
        "text/css; charset=utf-8"
    );
    assert!(header(&css, header::CONTENT_SECURITY_POLICY).is_empty());
}

#[tokio::test]
async fn map_data_is_geojson_and_revalidated() {
    let a = fetch(fixture(), "/data/coast.geojson", None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(header(&a, header::CONTENT_TYPE), "application/geo+json");
    assert_eq!(header(&a, header::CACHE_CONTROL), "no-cache");
    let notice = fetch(fixture(), "/data/NOTICE", None).await;
    assert_eq!(
        header(&notice, header::CONTENT_TYPE),
        "text/plain; charset=utf-8"
    );
}

#[tokio::test]
async fn a_matching_etag_gets_304_and_a_stale_one_the_file() {
    let first = fetch(fixture(), "/assets/app-3f9a1c.js", None).await;
    let tag = header(&first, header::ETAG).to_owned();
    assert!(
        tag.starts_with('"') && tag.ends_with('"') && tag.len() == 34,
        "{tag}"
    );
    let again = fetch(
        fixture(),
        "/assets/app-3f9a1c.js",
        Some(&format!("\"x\", W/{tag}")),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(header(&again, header::ETAG), tag);
    let stale = fetch(fixture(), "/assets/app-3f9a1c.js", Some("\"0000\"")).await;
    assert_eq!(stale.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_files_are_404_and_unknown_paths_are_left_to_others() {
    let missing = fetch(fixture(), "/assets/nope.js", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // No catch-all: merged with the API, API paths reach the API router.
    let app = fixture().route("/ngsi-ld/v1/types", get(|| async { "api" }));
    let api = fetch(app, "/ngsi-ld/v1/types", None).await;
    assert_eq!(api.body, b"api");
    let other = fetch(fixture(), "/ngsi-ld/v1/entities", None).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unbuilt_dashboard_answers_503_with_its_page() {
    let a = fetch(router::<Fixture, ()>(false), "/", None).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&a, header::CONTENT_TYPE), "text/html; charset=utf-8");
    // Not a validator match either: the 503 page is never turned into a 304.
    let tag = header(&a, header::ETAG).to_owned();
    let again = fetch(router::<Fixture, ()>(false), "/", Some(&tag)).await;
    assert_eq!(again.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[test]
fn content_types_by_extension() {
    assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
    assert_eq!(
        content_type("assets/x.MJS"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(content_type("assets/x.js.map"), "application/json");
    assert_eq!(content_type("assets/font.woff2"), "font/woff2");
    assert_eq!(content_type("data/NOTICE"), "text/plain; charset=utf-8");
    assert_eq!(content_type("data/blob.bin"), "application/octet-stream");
}
