//! Fetching remote @context documents over HTTP(S): one bounded GET per URL (timeout, size cap,
//! redirect cap), the JSON-LD "remote document" checks, and the cache lifetime the response
//! allows (clause 6.3.16). Failures become `LdContextNotAvailable` naming the URL; a document
//! that is JSON but not a context becomes `BadRequestData` (clause 5.5.6).
//! Must not: cache anything (the resolver's store does) or resolve nested contexts.

use std::error::Error as _;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{self, HeaderMap};
use serde_json::Value;

use super::ContextConfig;
use crate::error::{ErrorKind, NgsiError, Result};

/// What one fetch produced.
#[derive(Debug)]
pub(crate) struct Fetched {
    /// The whole document, an object with a `@context` member.
    pub document: Value,
    /// How long the document may be used before it is fetched again.
    pub ttl: Duration,
}

/// A reusable HTTP client with the configured bounds.
#[derive(Debug)]
pub(crate) struct Loader {
    client: reqwest::Client,
    timeout: Duration,
    max_bytes: usize,
    default_ttl: Duration,
    min_ttl: Duration,
    max_ttl: Duration,
}

const ACCEPT: &str = "application/ld+json, application/json;q=0.9, */*;q=0.1";
const MAX_REDIRECTS: usize = 5;

fn unavailable(url: &str, why: impl std::fmt::Display) -> NgsiError {
    NgsiError::new(
        ErrorKind::LdContextNotAvailable,
        format!("@context {url} is not available: {why}"),
    )
    .with_instance(url)
}

impl Loader {
    pub fn new(config: &ContextConfig) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.fetch_timeout)
            .connect_timeout(config.fetch_timeout)
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .user_agent(concat!(
                "twinisle/",
                env!("CARGO_PKG_VERSION"),
                " (@context loader)"
            ))
            .build()
            .map_err(|e| {
                NgsiError::internal(format!("cannot build the @context HTTP client: {e}"))
            })?;
        Ok(Self {
            client,
            timeout: config.fetch_timeout,
            max_bytes: config.max_context_bytes,
            default_ttl: config.default_ttl,
            min_ttl: config.min_ttl,
            max_ttl: config.max_ttl.max(config.min_ttl),
        })
    }

    /// GETs `url` and checks it is a JSON object with a `@context` member.
    pub async fn fetch(&self, url: &str) -> Result<Fetched> {
        let mut response = self
            .client
            .get(url)
            .header(header::ACCEPT, ACCEPT)
            .send()
            .await
            .map_err(|e| self.transport_error(url, &e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(unavailable(
                url,
                format_args!("the server answered {status}"),
            ));
        }
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes as u64)
        {
            return Err(self.too_large(url));
        }
        let ttl = self.ttl(response.headers());
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(url, &e))?
        {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(self.too_large(url));
            }
            body.extend_from_slice(&chunk);
        }
        let document: Value = serde_json::from_slice(&body)
            .map_err(|e| unavailable(url, format_args!("the response is not JSON ({e})")))?;
        check_remote_document(url, &document)?;
        Ok(Fetched { document, ttl })
    }

    fn too_large(&self, url: &str) -> NgsiError {
        unavailable(
            url,
            format_args!("the document is larger than {} bytes", self.max_bytes),
        )
    }

    fn transport_error(&self, url: &str, e: &reqwest::Error) -> NgsiError {
        if e.is_timeout() {
            return unavailable(
                url,
                format_args!("no complete answer within {:?}", self.timeout),
            );
        }
        // reqwest's own message is terse ("error sending request"); the cause is in the chain.
        let mut why = e.to_string();
        let mut source = e.source();
        while let Some(cause) = source {
            why.push_str(": ");
            why.push_str(&cause.to_string());
            source = cause.source();
        }
        unavailable(url, why)
    }

    /// The lifetime the response allows: `s-maxage`, else `max-age`, else `Expires` (relative to
    /// `Date`), else the heuristic default; `no-store`/`no-cache` mean "as short as allowed".
    /// Clamped to `[min_ttl, max_ttl]` so that no origin can make us refetch per request.
    fn ttl(&self, headers: &HeaderMap) -> Duration {
        let explicit = cache_control_ttl(headers).or_else(|| expires_ttl(headers));
        explicit
            .unwrap_or(self.default_ttl)
            .clamp(self.min_ttl, self.max_ttl)
    }
}

fn cache_control_ttl(headers: &HeaderMap) -> Option<Duration> {
    let mut max_age = None;
    let mut s_maxage = None;
    for value in headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for directive in value.split(',').map(str::trim) {
            let (name, arg) = directive.split_once('=').unwrap_or((directive, ""));
            let secs = || {
                arg.trim_matches('"')
                    .parse::<u64>()
                    .ok()
                    .map(Duration::from_secs)
            };
            match name.to_ascii_lowercase().as_str() {
                "no-store" | "no-cache" => return Some(Duration::ZERO),
                "max-age" => max_age = secs(),
                "s-maxage" => s_maxage = secs(),
                _ => {}
            }
        }
    }
    s_maxage.or(max_age)
}

fn expires_ttl(headers: &HeaderMap) -> Option<Duration> {
    let date = |name| {
        let text = headers.get(name)?.to_str().ok()?;
        chrono::DateTime::parse_from_rfc2822(text).ok()
    };
    let Some(expires) = date(header::EXPIRES) else {
        // An invalid Expires value means "already expired" (RFC 7234, 5.3).
        return headers
            .contains_key(header::EXPIRES)
            .then_some(Duration::ZERO);
    };
    let now = date(header::DATE).map_or_else(chrono::Utc::now, |d| d.to_utc());
    Some((expires.to_utc() - now).to_std().unwrap_or(Duration::ZERO))
}

/// A JSON-LD remote context document must be an object with a `@context` member.
pub(crate) fn check_remote_document(url: &str, document: &Value) -> Result<()> {
    match document.get("@context") {
        Some(Value::String(_) | Value::Object(_) | Value::Array(_)) => Ok(()),
        Some(_) => Err(NgsiError::bad_data(format!(
            "invalid remote context: the @context of {url} must be a URL, an object or an array"
        ))),
        None => Err(NgsiError::bad_data(format!(
            "invalid remote context: {url} is not a JSON object with a @context member"
        ))),
    }
}

/// Resolves a context reference against the URL of the document it appeared in (JSON-LD allows
/// relative references there); at the top level it must be an absolute http(s) URL.
pub(crate) fn resolve_ref(base: Option<&str>, reference: &str) -> Result<String> {
    let parsed = match base {
        Some(base) => Url::parse(base).and_then(|b| b.join(reference)),
        None => Url::parse(reference),
    };
    let url = parsed.map_err(|e| {
        NgsiError::bad_data(format!("invalid @context reference \"{reference}\": {e}"))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(NgsiError::bad_data(format!(
            "invalid @context reference \"{reference}\": only http and https URLs can be loaded"
        )));
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn loader() -> Loader {
        Loader::new(&ContextConfig::default()).unwrap()
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn ttl_follows_cache_headers_within_bounds() {
        let l = loader();
        let c = ContextConfig::default();
        assert_eq!(l.ttl(&HeaderMap::new()), c.default_ttl);
        let h = headers(&[(header::CACHE_CONTROL, "public, max-age=600")]);
        assert_eq!(l.ttl(&h), Duration::from_secs(600));
        let h = headers(&[(header::CACHE_CONTROL, "max-age=600, s-maxage=900")]);
        assert_eq!(l.ttl(&h), Duration::from_secs(900));
        let h = headers(&[(header::CACHE_CONTROL, "no-cache")]);
        assert_eq!(l.ttl(&h), c.min_ttl);
        let h = headers(&[(header::CACHE_CONTROL, "max-age=99999999")]);
        assert_eq!(l.ttl(&h), c.max_ttl);
        let h = headers(&[
            (header::DATE, "Wed, 21 Oct 2015 07:28:00 GMT"),
            (header::EXPIRES, "Wed, 21 Oct 2015 08:28:00 GMT"),
        ]);
        assert_eq!(l.ttl(&h), Duration::from_secs(3600));
        let h = headers(&[(header::EXPIRES, "0")]);
        assert_eq!(l.ttl(&h), c.min_ttl);
    }

    #[test]
    fn references_resolve_against_their_document() {
        let base = Some("http://example.org/ctx/a.jsonld");
        assert_eq!(
            resolve_ref(base, "b.jsonld").unwrap(),
            "http://example.org/ctx/b.jsonld"
        );
        assert_eq!(
            resolve_ref(None, "https://x.org/c").unwrap(),
            "https://x.org/c"
        );
        for bad in [
            "relative.jsonld",
            "urn:ngsi-ld:ctx",
            "file:///etc/passwd",
            "http://",
        ] {
            let e = resolve_ref(None, bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::BadRequestData, "{bad}");
        }
    }

    #[test]
    fn remote_documents_need_a_context_member() {
        assert!(check_remote_document("u", &serde_json::json!({"@context": {}})).is_ok());
        assert!(check_remote_document("u", &serde_json::json!({"a": 1})).is_err());
        assert!(check_remote_document("u", &serde_json::json!({"@context": 3})).is_err());
        assert!(check_remote_document("u", &serde_json::json!([1])).is_err());
    }
}
