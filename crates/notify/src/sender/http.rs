//! HTTP binding of notifications (clause 6.3.8): a POST of the Notification to `endpoint.uri`
//! with `Content-Type` per `accept`, the @context `Link` header for JSON, `NGSILD-Tenant`, and
//! one header per `receiverInfo` pair. Connections are pooled and reused; each receiver (scheme,
//! host, port) gets a bounded number of concurrent requests, so subscriptions sharing a slow
//! receiver queue behind it while the others go on.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use http::header::{CONTENT_TYPE, LINK};
use parking_lot::Mutex;
use tokio::sync::Semaphore;

use super::{BoxFut, Message, NotificationSender, SendError, link_header};
use crate::metrics::Metrics;

/// Response body bytes read (and dropped) so the connection can be reused.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Sends notifications over HTTP(S).
pub struct HttpSender {
    client: reqwest::Client,
    limits: Mutex<HashMap<String, Arc<Semaphore>>>,
    per_receiver: usize,
    timeout: Duration,
    metrics: Arc<Metrics>,
}

impl HttpSender {
    /// A sender with pooled connections and the given default request timeout.
    pub fn new(
        timeout: Duration,
        connect_timeout: Duration,
        per_receiver: usize,
        metrics: Arc<Metrics>,
    ) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .pool_max_idle_per_host(per_receiver)
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            client,
            limits: Mutex::new(HashMap::new()),
            per_receiver: per_receiver.max(1),
            timeout,
            metrics,
        })
    }

    fn limit(&self, origin: String) -> Arc<Semaphore> {
        self.limits
            .lock()
            .entry(origin)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_receiver)))
            .clone()
    }

    async fn post(&self, msg: Message<'_>) -> Result<(), SendError> {
        let e = msg.endpoint;
        let origin = e.uri.origin().ascii_serialization();
        let limit = self.limit(origin);
        if limit.available_permits() == 0 {
            self.metrics.add(&self.metrics.receiver_waits, 1);
        }
        let _permit = limit
            .acquire_owned()
            .await
            .map_err(|_| SendError("the sender is shutting down".into()))?;
        let mut req = self
            .client
            .post(e.uri.clone())
            .timeout(e.timeout.unwrap_or(self.timeout))
            .header(CONTENT_TYPE, msg.content_type);
        if !msg.link.is_empty() {
            req = req.header(LINK, link_header(msg.link));
        }
        if !msg.tenant.is_empty() {
            req = req.header(api::extract::TENANT_HEADER, msg.tenant);
        }
        for (k, v) in &e.receiver_info {
            req = req.header(k.as_str(), v.as_str());
        }
        let mut resp = req.body(msg.body).send().await.map_err(describe)?;
        let status = resp.status();
        let mut read = 0;
        while read < MAX_RESPONSE_BYTES {
            match resp.chunk().await {
                Ok(Some(c)) => read += c.len(),
                _ => break,
            }
        }
        if status.is_success() {
            Ok(())
        } else {
            Err(SendError(format!("HTTP {}", status.as_u16())))
        }
    }
}

impl NotificationSender for HttpSender {
    fn send<'a>(&'a self, msg: Message<'a>) -> BoxFut<'a, Result<(), SendError>> {
        Box::pin(self.post(msg))
    }
}

/// A transport error with its causes, e.g. "connect: Connection refused".
fn describe(e: reqwest::Error) -> SendError {
    let what = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "request"
    };
    let mut text = what.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    SendError(text)
}
