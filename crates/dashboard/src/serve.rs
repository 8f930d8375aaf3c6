//! Serving embedded files over HTTP: content types, validators (ETag / If-None-Match) and caching.
//! Vite puts content-hashed names under `assets/`, which may be cached for a year; everything else
//! (`index.html`, `data/`) is revalidated on each use, so a new binary is picked up at once.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use axum::routing::get;
use http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use rust_embed::{EmbeddedFile, RustEmbed};

const INDEX: &str = "index.html";
/// Folder of content-hashed file names (Vite's `build.assetsDir`).
const HASHED_DIR: &str = "assets/";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
/// The dashboard loads nothing from elsewhere; the policy makes the browser hold it to that.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self'; \
                   object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// Routes for every file of `E`: `/` (the index), `/{file}` for top-level files and
/// `/{folder}/{*path}` for each top-level folder.
pub(crate) fn router<E: RustEmbed + 'static, S: Clone + Send + Sync + 'static>(
    built: bool,
) -> Router<S> {
    let mut files = BTreeSet::new();
    let mut folders = BTreeSet::new();
    for name in E::iter() {
        match name.split_once('/') {
            Some((folder, _)) => folders.insert(folder.to_owned()),
            None => files.insert(name.into_owned()),
        };
    }
    let index_status = if built {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut router = Router::new().route(
        "/",
        get(move |headers: HeaderMap| async move { serve::<E>(INDEX, &headers, index_status) }),
    );
    for file in &files {
        router = router.route(&format!("/{file}"), get(asset::<E>));
    }
    for folder in &folders {
        router = router.route(&format!("/{folder}/{{*path}}"), get(asset::<E>));
    }
    router
}

async fn asset<E: RustEmbed>(uri: Uri, headers: HeaderMap) -> Response {
    serve::<E>(uri.path().trim_start_matches('/'), &headers, StatusCode::OK)
}

fn serve<E: RustEmbed>(name: &str, headers: &HeaderMap, status: StatusCode) -> Response {
    match E::get(name) {
        Some(file) => respond(name, file, headers, status),
        None => plain(StatusCode::NOT_FOUND, "not found"),
    }
}

fn respond(name: &str, file: EmbeddedFile, headers: &HeaderMap, status: StatusCode) -> Response {
    let etag = etag(&file);
    let cache = if name.starts_with(HASHED_DIR) {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let mut builder = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, cache)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if status == StatusCode::OK && matches_etag(headers, &etag) {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "response"));
    }
    let content_type = content_type(name);
    if content_type.starts_with("text/html") {
        builder = builder.header(header::CONTENT_SECURITY_POLICY, CSP);
    }
    builder
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(file.data))
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "response"))
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut res = Response::new(Body::from(text));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

/// A strong validator from the content hash rust-embed computes at build time.
fn etag(file: &EmbeddedFile) -> String {
    let mut tag = String::with_capacity(66);
    tag.push('"');
    for byte in &file.metadata.sha256_hash()[..16] {
        let _ = write!(tag, "{byte:02x}");
    }
    tag.push('"');
    tag
}

/// Whether `If-None-Match` names `etag` (or `*`); weak comparison, as RFC 9110 asks for GET.
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// The media type of a file by its extension; files without one (NOTICE) are text.
pub(crate) fn content_type(name: &str) -> &'static str {
    let file = name.rsplit('/').next().unwrap_or(name);
    let ext = file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("geojson") => "application/geo+json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("ico") => "image/vnd.microsoft.icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("wasm") => "application/wasm",
        Some("txt") | None => "text/plain; charset=utf-8",
        Some(_) => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests;
