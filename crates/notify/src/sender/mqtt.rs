//! MQTT binding of notifications (clause 7.2): the endpoint `mqtt[s]://[user[:pass]@]host[:port]/topic`
//! names the broker and topic; the message is `{"metadata": {...}, "body": <Notification>}` with
//! `Content-Type`, the @context `Link` for JSON, `NGSILD-Tenant` and the `receiverInfo` pairs in
//! the metadata; `notifierInfo` gives `MQTT-QoS` (0, 1, 2) and `MQTT-Version` (mqtt3.1.1,
//! mqtt5.0). One connection per broker, shared by every subscription publishing to it.

mod driver;
mod proto;

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};

use super::{BoxFut, Message, NotificationSender, SendError, link_header};
use crate::subscription::MqttVersion;
use driver::Publish;

/// Which broker, as whom: one connection each.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Broker {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub user: Option<(String, String)>,
    pub version: MqttVersion,
}

/// Connection settings shared by every broker connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub keep_alive: Duration,
    pub connect_timeout: Duration,
    pub max_in_flight: usize,
}

/// Publishes notifications to MQTT brokers.
pub struct MqttSender {
    conns: Mutex<HashMap<Broker, mpsc::Sender<Publish>>>,
    settings: Settings,
    timeout: Duration,
}

impl MqttSender {
    pub fn new(
        keep_alive: Duration,
        connect_timeout: Duration,
        max_in_flight: usize,
        timeout: Duration,
    ) -> Self {
        Self {
            conns: Mutex::new(HashMap::new()),
            settings: Settings {
                keep_alive,
                connect_timeout,
                max_in_flight: max_in_flight.max(1),
            },
            timeout,
        }
    }

    /// The connection to `broker`, started on first use.
    fn conn(&self, broker: Broker) -> mpsc::Sender<Publish> {
        let mut conns = self.conns.lock();
        if let Some(tx) = conns.get(&broker).filter(|tx| !tx.is_closed()) {
            return tx.clone();
        }
        let (tx, rx) = mpsc::channel(self.settings.max_in_flight * 4);
        tokio::spawn(driver::run(broker.clone(), self.settings, rx));
        conns.insert(broker, tx.clone());
        tx
    }

    async fn publish(&self, msg: Message<'_>) -> Result<(), SendError> {
        let e = msg.endpoint;
        let broker = broker_of(&e.uri, e.mqtt_version)?;
        let topic = percent_decode_str(e.uri.path().trim_start_matches('/'))
            .decode_utf8_lossy()
            .into_owned();
        let payload = envelope(&msg);
        let (done, rx) = oneshot::channel();
        let publish = Publish {
            topic,
            qos: e.qos,
            payload,
            done,
        };
        let wait = e.timeout.unwrap_or(self.timeout);
        let tx = self.conn(broker);
        let sent = async {
            tx.send(publish)
                .await
                .map_err(|_| SendError("the MQTT connection task stopped".into()))?;
            rx.await
                .map_err(|_| SendError("the MQTT connection was reset".into()))?
        };
        tokio::time::timeout(wait, sent).await.map_err(|_| {
            SendError(format!(
                "no MQTT acknowledgement within {} ms",
                wait.as_millis()
            ))
        })?
    }
}

impl NotificationSender for MqttSender {
    fn send<'a>(&'a self, msg: Message<'a>) -> BoxFut<'a, Result<(), SendError>> {
        Box::pin(self.publish(msg))
    }
}

fn broker_of(uri: &reqwest::Url, version: MqttVersion) -> Result<Broker, SendError> {
    let tls = uri.scheme() == "mqtts";
    let host = uri
        .host_str()
        .ok_or_else(|| SendError("the MQTT endpoint has no host".into()))?
        .trim_matches(['[', ']'])
        .to_string();
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let user = (!uri.username().is_empty())
        .then(|| (decode(uri.username()), decode(uri.password().unwrap_or(""))));
    Ok(Broker {
        tls,
        host,
        port: uri.port().unwrap_or(if tls { 8883 } else { 1883 }),
        user,
        version,
    })
}

/// The MQTT message: metadata (Table 7.2-2 and receiverInfo) and the notification as body.
pub(crate) fn envelope(msg: &Message<'_>) -> Bytes {
    let mut meta = Map::new();
    meta.insert("Content-Type".into(), json!(msg.content_type));
    if !msg.link.is_empty() {
        meta.insert("Link".into(), json!(link_header(msg.link)));
    }
    if !msg.tenant.is_empty() {
        meta.insert(api::extract::TENANT_HEADER.into(), json!(msg.tenant));
    }
    for (k, v) in &msg.endpoint.receiver_info {
        meta.insert(k.clone(), json!(v));
    }
    let meta = serde_json::to_vec(&Value::Object(meta)).unwrap_or_else(|_| b"{}".to_vec());
    // The body is already JSON: splice it in rather than parse and print it again.
    let mut out = Vec::with_capacity(meta.len() + msg.body.len() + 24);
    out.extend_from_slice(b"{\"metadata\":");
    out.extend_from_slice(&meta);
    out.extend_from_slice(b",\"body\":");
    out.extend_from_slice(&msg.body);
    out.push(b'}');
    Bytes::from(out)
}
