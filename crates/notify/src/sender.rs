//! The [`NotificationSender`] trait (one notification to one endpoint, success or a reason for
//! failure) and its bindings: HTTP POST (clause 6.3.8) and MQTT publish (clause 7.2). Delivery
//! retries and ordering are not a sender's business.

mod http;
mod mqtt;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;

use crate::subscription::{Endpoint, Protocol};

pub use self::http::HttpSender;
pub use self::mqtt::MqttSender;

/// A boxed future, so the trait stays object safe.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One notification on its way.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub endpoint: &'a Endpoint,
    /// The tenant ("" = default), sent as `NGSILD-Tenant` (clause 6.3.14).
    pub tenant: &'a str,
    /// `Content-Type` of the body.
    pub content_type: &'static str,
    /// URL of the @context for a `Link` header ("" for none).
    pub link: &'a str,
    pub body: Bytes,
}

/// Why a delivery failed, in words for the dead-letter record.
#[derive(Debug, Clone, PartialEq)]
pub struct SendError(pub String);

/// Delivers one notification.
pub trait NotificationSender: Send + Sync {
    /// Resolves `Ok` once the receiver accepted it (HTTP 2xx; MQTT handed over at QoS 0,
    /// acknowledged at QoS 1 and 2).
    fn send<'a>(&'a self, msg: Message<'a>) -> BoxFut<'a, Result<(), SendError>>;
}

/// The senders of every binding, picked by the endpoint's scheme.
#[derive(Clone)]
pub struct Senders {
    pub http: Arc<dyn NotificationSender>,
    pub mqtt: Arc<dyn NotificationSender>,
}

impl Senders {
    pub fn for_endpoint(&self, e: &Endpoint) -> &Arc<dyn NotificationSender> {
        match e.protocol {
            Protocol::Http => &self.http,
            Protocol::Mqtt => &self.mqtt,
        }
    }
}

/// The JSON-LD context Link header value (clause 6.3.8, JSON-LD section 6.2).
pub fn link_header(url: &str) -> String {
    format!(
        "<{url}>; rel=\"{}\"; type=\"application/ld+json\"",
        ngsi::context::JSONLD_CONTEXT_REL
    )
}
