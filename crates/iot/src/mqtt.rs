//! MQTT southbound behind one trait. [`MqttTransport`] is what the rest of the platform sees:
//! uplinks arrive at the [`InboundSink`] given at start, downlinks (commands) leave through
//! [`MqttTransport::publish`]. Two implementations: [`broker::EmbeddedBroker`] (twinisle is the
//! broker, MQTT 3.1.1 and 5.0 on tokio) and [`external::ExternalClient`] (twinisle subscribes to
//! an existing broker with rumqttc). One conformance suite (`tests/transport.rs`) runs on both.
//!
//! This module holds the trait, the shared helpers to turn a publish into an [`Inbound`], and
//! TLS loading; it must not know about devices beyond topic shapes.

pub mod broker;
pub mod codec;
pub mod external;
mod router;
mod session;
pub mod tls;

use std::sync::Arc;

use bytes::Bytes;

use crate::ingest::{BoxFuture, Credentials, Inbound, Transport, UplinkKind};
use crate::topic::{self, TopicKind};

pub use crate::ingest::InboundSink;

/// A downlink could not be handed to MQTT.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("MQTT: {0}")]
pub struct TransportError(pub String);

/// An MQTT transport: the embedded broker or a client of an external broker.
pub trait MqttTransport: Send + Sync + 'static {
    /// `embedded` or `external`.
    fn name(&self) -> &'static str;

    /// The prefix of device topics (`""` for plain FIWARE topics).
    fn root(&self) -> &str;

    /// Publishes a downlink message at QoS 1. Resolves with the number of subscribers it
    /// reached when the transport knows it (embedded), None when the broker took it (external).
    fn publish(
        &self,
        topic: String,
        payload: Bytes,
    ) -> BoxFuture<'_, Result<Option<usize>, TransportError>>;

    /// Whether some client subscribes to `topic`, when the transport can know (embedded).
    fn has_subscriber(&self, topic: &str) -> Option<bool>;

    /// Stops taking messages and closes connections.
    fn shutdown(&self) -> BoxFuture<'_, ()>;
}

/// The uplink a publish on `topic` is, if it is a device topic.
pub fn uplink(
    topic: &str,
    root: &str,
    payload: Bytes,
    credentials: Option<Arc<Credentials>>,
    wants_ack: bool,
) -> Option<Inbound> {
    let t = topic::parse(topic, root)?;
    let kind = match t.kind {
        TopicKind::Attrs => UplinkKind::Attrs,
        TopicKind::Attr(a) => UplinkKind::Attr(a.to_string()),
        TopicKind::CmdExe => UplinkKind::CmdExe,
    };
    Some(Inbound {
        transport: Transport::Mqtt,
        source: topic.to_string(),
        codec: t.codec,
        apikey: t.apikey.to_string(),
        device_id: t.device_id.to_string(),
        kind,
        payload,
        time: None,
        credentials,
        wants_ack,
    })
}
