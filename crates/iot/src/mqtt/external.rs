//! twinisle as a client of an existing broker (Mosquitto, EMQX, ...), with rumqttc: subscribes
//! to every uplink topic (as a shared subscription when `shared_group` is set, so several
//! twinisle nodes split the traffic), hands publishes to the ingest sink, and acknowledges QoS 1
//! messages only once their writes are durable (manual acks), so the broker redelivers what a
//! crash lost. Resubscribes after every reconnect.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use rumqttc::{AsyncClient, Event, EventLoop, Incoming, MqttOptions, QoS};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::{InboundSink, MqttTransport, TransportError, tls};
use crate::config::ExternalBrokerConfig;
use crate::error::Result;
use crate::ingest::{BoxFuture, Submitted};
use crate::topic;

/// Pause before polling again after a connection error (rumqttc reconnects on poll).
const RECONNECT_PAUSE: Duration = Duration::from_millis(500);
/// Acknowledgements waiting for durability, per client.
const ACK_QUEUE: usize = 4096;

/// A QoS 1 message waiting for its writes to be durable before it is acknowledged.
type AckWait = (
    rumqttc::Publish,
    Option<oneshot::Receiver<std::result::Result<(), String>>>,
);

/// The external-broker transport.
pub struct ExternalClient {
    client: AsyncClient,
    root: String,
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

fn options(cfg: &ExternalBrokerConfig) -> Result<MqttOptions> {
    let id = if cfg.client_id.is_empty() {
        format!("twinisle-{}", std::process::id())
    } else {
        cfg.client_id.clone()
    };
    let mut o = MqttOptions::new(id, cfg.host.clone(), cfg.port);
    o.set_keep_alive(Duration::from_secs(u64::from(cfg.keep_alive_s.max(5))));
    o.set_clean_session(cfg.clean_session);
    o.set_inflight(cfg.inflight.max(1));
    o.set_max_packet_size(cfg.max_packet_bytes, cfg.max_packet_bytes);
    o.set_manual_acks(true);
    if !cfg.username.is_empty() {
        o.set_credentials(cfg.username.clone(), cfg.password.clone());
    }
    if cfg.tls {
        let config = tls::client_config(cfg.ca_path.as_deref())?;
        o.set_transport(rumqttc::Transport::Tls(rumqttc::TlsConfiguration::Rustls(
            config,
        )));
    }
    Ok(o)
}

/// The subscriptions, shared when configured.
pub fn filters(cfg: &ExternalBrokerConfig) -> Vec<String> {
    topic::uplink_filters(&cfg.topic_prefix)
        .into_iter()
        .map(|f| {
            if cfg.shared_group.is_empty() {
                f
            } else {
                format!("$share/{}/{f}", cfg.shared_group)
            }
        })
        .collect()
}

impl ExternalClient {
    /// Connects (in the background; failures are retried and logged) and starts consuming.
    pub fn start(cfg: &ExternalBrokerConfig, sink: Arc<dyn InboundSink>) -> Result<Self> {
        let (client, eventloop) = AsyncClient::new(options(cfg)?, 1024);
        let (stop, stop_rx) = watch::channel(false);
        let (ack_tx, ack_rx) = mpsc::channel(ACK_QUEUE);
        let acker = tokio::spawn(acker(client.clone(), ack_rx));
        let pump = Pump {
            client: client.clone(),
            sink,
            root: cfg.topic_prefix.clone(),
            filters: filters(cfg),
            acks: ack_tx,
        };
        let poller = tokio::spawn(pump.run(eventloop, stop_rx));
        tracing::info!(host = %cfg.host, port = cfg.port, shared = %cfg.shared_group, "MQTT client of an external broker started");
        Ok(Self {
            client,
            root: cfg.topic_prefix.clone(),
            stop,
            tasks: Mutex::new(vec![poller, acker]),
        })
    }
}

struct Pump {
    client: AsyncClient,
    sink: Arc<dyn InboundSink>,
    root: String,
    filters: Vec<String>,
    acks: mpsc::Sender<AckWait>,
}

impl Pump {
    async fn run(self, mut eventloop: EventLoop, mut stop: watch::Receiver<bool>) {
        loop {
            let event = tokio::select! {
                _ = stop.changed() => return,
                e = eventloop.poll() => e,
            };
            match event {
                Ok(Event::Incoming(Incoming::ConnAck(_))) => self.subscribe().await,
                Ok(Event::Incoming(Incoming::Publish(p))) => self.uplink(p).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "external MQTT broker connection failed; retrying");
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                }
            }
        }
    }

    async fn subscribe(&self) {
        for f in &self.filters {
            if let Err(e) = self.client.subscribe(f.clone(), QoS::AtLeastOnce).await {
                tracing::warn!(filter = %f, error = %e, "cannot subscribe");
            }
        }
    }

    async fn uplink(&self, p: rumqttc::Publish) {
        let wants_ack = p.qos != QoS::AtMostOnce;
        let msg = super::uplink(&p.topic, &self.root, p.payload.clone(), None, wants_ack);
        let pending = match msg {
            Some(m) => match self.sink.submit(m).await {
                Ok(Submitted::Pending(rx)) => Some(rx),
                _ => None,
            },
            None => None,
        };
        if wants_ack {
            let _ = self.acks.send((p, pending)).await;
        }
    }
}

/// Acknowledges QoS 1 messages in order, each once its writes are durable.
async fn acker(client: AsyncClient, mut rx: mpsc::Receiver<AckWait>) {
    while let Some((p, pending)) = rx.recv().await {
        if let Some(done) = pending {
            let _ = done.await;
        }
        if client.ack(&p).await.is_err() {
            return;
        }
    }
}

impl MqttTransport for ExternalClient {
    fn name(&self) -> &'static str {
        "external"
    }

    fn root(&self) -> &str {
        &self.root
    }

    fn publish(
        &self,
        topic: String,
        payload: Bytes,
    ) -> BoxFuture<'_, std::result::Result<Option<usize>, TransportError>> {
        Box::pin(async move {
            self.client
                .publish_bytes(topic, QoS::AtLeastOnce, false, payload)
                .await
                .map(|_| None)
                .map_err(|e| TransportError(e.to_string()))
        })
    }

    fn has_subscriber(&self, _topic: &str) -> Option<bool> {
        None
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let _ = self.client.disconnect().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = self.stop.send(true);
            let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *self.tasks.lock());
            for t in tasks {
                t.abort();
                let _ = t.await;
            }
        })
    }
}
