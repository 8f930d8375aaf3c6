//! Sending one command and writing its status. SENT is written before the command leaves, so a
//! device that answers at once can never have its OK overwritten by a late SENT.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use store::{Op, Store, UpsertMode};

use super::{CommandBook, Pending};
use crate::codec::{self, Codec};
use crate::device::{DeviceEntry, Downlink, command_status};
use crate::metrics::Metrics;
use crate::mqtt::MqttTransport;
use crate::topic::command_topic;

/// Bytes of an HTTP push response kept as the command result.
const MAX_RESPONSE: usize = 64 * 1024;

/// Sends commands and records their status.
pub struct Sender {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) transport: Option<Arc<dyn MqttTransport>>,
    pub(crate) book: Arc<CommandBook>,
    pub(crate) metrics: Arc<Metrics>,
    http: reqwest::Client,
}

impl Sender {
    /// A sender using `transport` for MQTT devices and HTTP pushes with `http_timeout`.
    pub fn new(
        store: Arc<dyn Store>,
        transport: Option<Arc<dyn MqttTransport>>,
        book: Arc<CommandBook>,
        metrics: Arc<Metrics>,
        http_timeout: Duration,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(http_timeout)
            .build()
            .unwrap_or_default();
        Self {
            store,
            transport,
            book,
            metrics,
            http,
        }
    }

    /// Starts a command in the background.
    pub fn dispatch(self: &Arc<Self>, device: Arc<DeviceEntry>, name: String, value: Value) {
        let this = self.clone();
        tokio::spawn(async move {
            let p = Pending {
                device: device.clone(),
                name: name.clone(),
                value,
                issued: ngsi::time::now(),
                sent: false,
            };
            if !this.book.insert(p.clone()) {
                let info = json!("too many commands are waiting for results");
                this.status(&device, &name, "ERROR", Some(info)).await;
                return;
            }
            this.status(&device, &name, "PENDING", None).await;
            this.send(p).await;
        });
    }

    /// Sends (or re-sends) a pending command.
    pub async fn send(self: Arc<Self>, p: Pending) {
        match &p.device.downlink {
            Downlink::Mqtt => self.send_mqtt(p).await,
            Downlink::Http(url) => {
                let url = url.clone();
                self.send_http(p, &url).await;
            }
        }
    }

    async fn send_mqtt(&self, p: Pending) {
        let d = &p.device;
        let Some(t) = &self.transport else {
            self.fail(&p, "no MQTT transport is running".into()).await;
            return;
        };
        let topic = command_topic(t.root(), &d.apikey, &d.spec.device_id);
        if t.has_subscriber(&topic) == Some(false) {
            // Stays PENDING; housekeeping retries once the device subscribes.
            return;
        }
        let codec = d.mapping.codec.unwrap_or(Codec::Json);
        let payload = codec::encode_command(codec, &d.spec.device_id, &p.name, &p.value);
        self.book.mark_sent(d, &p.name);
        self.status(d, &p.name, "SENT", None).await;
        match t.publish(topic, payload.into()).await {
            Ok(Some(0)) => {
                // Nobody listens on the command topic yet: back to PENDING, retried later.
                self.book.mark_unsent(d, &p.name);
                self.status(d, &p.name, "PENDING", None).await;
            }
            Ok(_) => {}
            Err(e) => self.fail(&p, e.to_string()).await,
        }
    }

    async fn send_http(&self, p: Pending, url: &str) {
        let d = &p.device;
        let codec = d.mapping.codec.unwrap_or(Codec::Json);
        let body = codec::encode_command(codec, &d.spec.device_id, &p.name, &p.value);
        let content_type = d
            .mapping
            .command(&p.name)
            .and_then(|c| c.content_type.clone())
            .unwrap_or_else(|| match codec {
                Codec::Json => "application/json".into(),
                Codec::Ul => "text/plain".into(),
            });
        self.book.mark_sent(d, &p.name);
        self.status(d, &p.name, "SENT", None).await;
        let request = self
            .http
            .post(url)
            .header("content-type", content_type)
            .header("fiware-service", &*d.tenant)
            .header("fiware-servicepath", &d.service_path)
            .body(body);
        let result = match request.send().await {
            Ok(r) if r.status().is_success() => r.bytes().await.map_err(|e| e.to_string()),
            Ok(r) => Err(format!("the device endpoint answered {}", r.status())),
            Err(e) => Err(format!("cannot reach the device endpoint: {e}")),
        };
        match result {
            Ok(bytes) => {
                let info = push_result(codec, &p.name, &bytes);
                if self.book.completed(&d.tenant, &d.entity_id, &p.name) {
                    self.status(d, &p.name, "OK", Some(info)).await;
                }
            }
            Err(why) => self.fail(&p, why).await,
        }
    }

    async fn fail(&self, p: &Pending, why: String) {
        tracing::debug!(device = %p.device.spec.device_id, command = %p.name, %why, "command failed");
        if self
            .book
            .completed(&p.device.tenant, &p.device.entity_id, &p.name)
        {
            self.status(&p.device, &p.name, "ERROR", Some(Value::String(why)))
                .await;
        }
    }

    /// Writes `<cmd>_status` (and `<cmd>_info`) through the store.
    pub async fn status(&self, d: &DeviceEntry, name: &str, status: &str, info: Option<Value>) {
        self.metrics.command(status);
        let Some(c) = d.mapping.command(name) else {
            return;
        };
        let patch = command_status(d, &c.status, &c.info, status, info, ngsi::time::now());
        let op = Op::Upsert(patch, UpsertMode::Update);
        match self.store.apply(&d.tenant, vec![op]).await {
            Ok(results) => {
                for e in results.into_iter().filter_map(Result::err) {
                    tracing::warn!(error = %e, "command status was not written");
                }
            }
            Err(e) => tracing::warn!(error = %e, "command status was not written"),
        }
    }
}

/// The result of an HTTP push: the command's member of a JSON or UL result, else the body.
fn push_result(codec: Codec, name: &str, body: &[u8]) -> Value {
    let body = &body[..body.len().min(MAX_RESPONSE)];
    if let Ok(results) = codec::decode_results(codec, body)
        && let Some((_, v)) = results.into_iter().find(|(n, _)| n == name)
    {
        return v;
    }
    Value::String(String::from_utf8_lossy(body).trim().to_string())
}

impl CommandBook {
    /// Marks a command as waiting for a subscriber again.
    pub fn mark_unsent(&self, device: &DeviceEntry, name: &str) {
        let key = (
            device.tenant.clone(),
            device.entity_id.clone(),
            name.to_string(),
        );
        if let Some(p) = self.pending.lock().get_mut(&key) {
            p.sent = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_results_are_read_from_json_ul_or_text() {
        assert_eq!(
            push_result(Codec::Json, "ping", br#"{"ping": "pong"}"#),
            json!("pong")
        );
        assert_eq!(
            push_result(Codec::Ul, "ping", b"d@ping|done"),
            json!("done")
        );
        assert_eq!(push_result(Codec::Json, "ping", b" ok "), json!("ok"));
    }
}
