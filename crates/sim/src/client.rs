//! HTTP/1.1 plumbing on hyper 1: target parsing, persistent connections, request building and
//! full response draining.
//!
//! Owns the wire side of a load run. It does not decide what to send (scenarios do) or what to
//! count (the runner does), and it never keeps more of a response body than asked to.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HOST, HeaderName, HeaderValue, LINK};
use http::{StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::error::LoadError;
use crate::scenario::Request;
use crate::workload::LINK_HEADER;

/// How long one request may take before it counts as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How much of a response body [`Client::send`] keeps for error messages.
const REPLY_KEEP_BYTES: usize = 64 * 1024;
/// The NGSI-LD tenant header (HTTP header names are case-insensitive; `http` wants lower case).
const TENANT: HeaderName = HeaderName::from_static("ngsild-tenant");

/// Where the load goes: a resolved `http://host:port`.
#[derive(Clone, Debug)]
pub struct Target {
    url: String,
    addr: SocketAddr,
    host: HeaderValue,
}

impl Target {
    /// Parses and resolves an `http://host[:port]` URL (port 80 by default).
    pub async fn resolve(url: &str) -> Result<Self, LoadError> {
        let bad = |reason| LoadError::BadTarget {
            url: url.to_owned(),
            reason,
        };
        let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
        if uri.scheme_str() != Some("http") {
            return Err(bad("only http:// URLs are supported"));
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(bad("give the server root, without a path"));
        }
        let authority = uri.authority().ok_or_else(|| bad("missing host"))?;
        let port = authority.port_u16().unwrap_or(80);
        let unreachable = |source| LoadError::Unreachable {
            target: url.to_owned(),
            source,
        };
        let mut addrs = tokio::net::lookup_host((authority.host(), port))
            .await
            .map_err(unreachable)?;
        let addr = addrs.next().ok_or_else(|| {
            unreachable(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "host name has no address",
            ))
        })?;
        let host = HeaderValue::from_str(authority.as_str()).map_err(|_| bad("bad host"))?;
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            addr,
            host,
        })
    }

    /// A target for a socket address already known (e.g. the in-process baseline).
    pub fn from_addr(addr: SocketAddr) -> Self {
        let text = addr.to_string();
        // A socket address prints as `ip:port`, which is always a valid header value.
        let host = HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("localhost"));
        Self {
            url: format!("http://{text}"),
            addr,
            host,
        }
    }

    /// The URL as given (without a trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// One persistent HTTP/1.1 connection, used by one task at a time.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    /// Whether the server (or an error) closed the connection.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// Sends `req`, reads the whole response, and keeps the first `keep(status)` body bytes.
    pub async fn exchange(
        &mut self,
        req: hyper::Request<Full<Bytes>>,
        keep: impl FnOnce(StatusCode) -> usize,
    ) -> Result<(StatusCode, Vec<u8>), hyper::Error> {
        self.sender.ready().await?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status();
        let body = drain(resp.into_body(), keep(status)).await?;
        Ok((status, body))
    }
}

/// Reads a body to its end, keeping at most `keep` bytes (no allocation when `keep` is 0).
async fn drain(mut body: Incoming, keep: usize) -> Result<Vec<u8>, hyper::Error> {
    let mut kept = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            let n = keep.saturating_sub(kept.len()).min(data.len());
            kept.extend_from_slice(&data[..n]);
        }
    }
    Ok(kept)
}

/// A complete response to [`Client::send`].
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: StatusCode,
    /// The start of the body (up to 64 KiB).
    pub body: Bytes,
}

/// Builds requests for one target and tenant; cheap to clone (shared inside).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    target: Target,
    tenant: Option<HeaderValue>,
    json: HeaderValue,
    link: HeaderValue,
    /// Connections [`Client::send`] may reuse; never locked across an await.
    idle: Mutex<Vec<Conn>>,
    /// Keys of one-off set-up work already done (see [`Client::first_time`]).
    done: Mutex<HashSet<String>>,
}

impl Client {
    /// A client for `target`, sending `NGSILD-Tenant: tenant` when given.
    pub fn new(target: Target, tenant: Option<&str>) -> Result<Self, LoadError> {
        let tenant = tenant
            .map(|t| HeaderValue::from_str(t).map_err(|_| LoadError::BadTenant(t.to_owned())))
            .transpose()?;
        Ok(Self {
            inner: Arc::new(Inner {
                target,
                tenant,
                json: HeaderValue::from_static("application/json"),
                link: HeaderValue::from_static(LINK_HEADER),
                idle: Mutex::new(Vec::new()),
                done: Mutex::new(HashSet::new()),
            }),
        })
    }

    /// The target this client talks to.
    pub fn target(&self) -> &Target {
        &self.inner.target
    }

    /// Opens a new connection (TCP_NODELAY, HTTP/1.1 keep-alive).
    pub async fn connect(&self) -> Result<Conn, LoadError> {
        let target = &self.inner.target;
        let stream =
            TcpStream::connect(target.addr)
                .await
                .map_err(|source| LoadError::Unreachable {
                    target: target.url.clone(),
                    source,
                })?;
        // Small requests must not wait for Nagle's algorithm; latency is what we measure.
        stream
            .set_nodelay(true)
            .map_err(|source| LoadError::Unreachable {
                target: target.url.clone(),
                source,
            })?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|source| self.http_error(source))?;
        tokio::spawn(async move {
            // A connection error also fails the request in flight, which is where it is
            // counted; the driver task has nothing further to report.
            let _ = conn.await;
        });
        Ok(Conn { sender })
    }

    /// Turns a scenario request into an HTTP request with this client's headers.
    pub fn to_http(&self, req: Request) -> hyper::Request<Full<Bytes>> {
        let has_body = req.body.is_some();
        let mut http = hyper::Request::new(Full::new(req.body.unwrap_or_default()));
        *http.method_mut() = req.method;
        *http.uri_mut() = req.uri;
        let headers = http.headers_mut();
        headers.insert(HOST, self.inner.target.host.clone());
        headers.insert(ACCEPT, self.inner.json.clone());
        if has_body {
            headers.insert(CONTENT_TYPE, self.inner.json.clone());
            headers.insert(LINK, self.inner.link.clone());
        }
        if let Some(tenant) = &self.inner.tenant {
            headers.insert(TENANT, tenant.clone());
        }
        http
    }

    /// Sends one request outside a measured run (for seeding), reusing idle connections.
    pub async fn send(&self, req: Request) -> Result<Reply, LoadError> {
        let pooled = self.lock_idle().pop();
        let mut conn = match pooled {
            Some(conn) if !conn.is_closed() => conn,
            _ => self.connect().await?,
        };
        let exchange = conn.exchange(self.to_http(req), |_| REPLY_KEEP_BYTES);
        let (status, body) = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| LoadError::Timeout {
                target: self.inner.target.url.clone(),
                seconds: REQUEST_TIMEOUT.as_secs(),
            })?
            .map_err(|source| self.http_error(source))?;
        self.lock_idle().push(conn);
        Ok(Reply {
            status,
            body: Bytes::from(body),
        })
    }

    /// True the first time `key` is seen by this client (or any clone), false afterwards.
    ///
    /// Scenarios use it to seed a shared population once even when several of them need it.
    pub fn first_time(&self, key: &str) -> bool {
        let mut done = self
            .inner
            .done
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        done.insert(key.to_owned())
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Conn>> {
        // A panic elsewhere cannot leave a Vec of connections inconsistent, so poison is moot.
        self.inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn http_error(&self, source: hyper::Error) -> LoadError {
        LoadError::Http {
            target: self.inner.target.url.clone(),
            source,
        }
    }
}
