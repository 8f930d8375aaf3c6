//! The embedded MQTT broker: plain and TLS listeners on tokio, one task pair per connection
//! ([`super::session`]), a subscription table ([`super::router`]) shared by all. Device
//! publishes go to the ingest sink *and* to any subscriber (a `mosquitto_sub -t '#'` sees
//! everything); commands are published to the devices subscribed to their `/cmd` topics.
//!
//! Must not let one client hurt another: queues towards clients are bounded and full ones
//! drop forwards (counted), malformed or oversized packets end only their own connection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::router::{Router, SessionId};
use super::session::{self, Out};
use super::{InboundSink, MqttTransport, TransportError, tls};
use crate::config::EmbeddedBrokerConfig;
use crate::deadletter::DeadLetters;
use crate::error::{IotError, Result};
use crate::ingest::BoxFuture;
use crate::metrics::Metrics;

/// Checks a device's MQTT credentials (username = device id, password = its token).
pub type TokenCheck = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// A live connection as the broker reaches it.
pub(crate) struct Handle {
    pub tx: mpsc::Sender<Out>,
}

/// What every connection shares.
pub(crate) struct Shared {
    pub router: RwLock<Router>,
    pub sessions: Mutex<HashMap<SessionId, Handle>>,
    pub clients: Mutex<HashMap<String, SessionId>>,
    pub sink: Arc<dyn InboundSink>,
    pub metrics: Arc<Metrics>,
    pub dead: Arc<DeadLetters>,
    pub config: EmbeddedBrokerConfig,
    pub tokens: Option<TokenCheck>,
    pub next_id: AtomicU64,
    pub connections: AtomicUsize,
    pub stop: watch::Receiver<bool>,
}

impl Shared {
    /// Forwards a publish to every matching subscriber; returns how many it reached.
    pub fn forward(&self, topic: &str, payload: &Bytes, qos: u8) -> usize {
        let mut targets = Vec::new();
        {
            let router = self.router.read();
            if router.is_empty() {
                return 0;
            }
            router.matches(topic, &mut targets);
        }
        if targets.is_empty() {
            return 0;
        }
        let topic: Arc<str> = topic.into();
        let sessions = self.sessions.lock();
        let mut reached = 0;
        for (sid, granted) in targets {
            let Some(h) = sessions.get(&sid) else {
                continue;
            };
            let out = Out::Forward {
                topic: topic.clone(),
                payload: payload.clone(),
                qos: qos.min(granted),
            };
            if h.tx.try_send(out).is_ok() {
                reached += 1;
            } else {
                self.metrics.mqtt_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        reached
    }
}

/// The embedded broker.
pub struct EmbeddedBroker {
    shared: Arc<Shared>,
    addrs: Vec<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: Mutex<Option<JoinSet<()>>>,
}

/// Everything the embedded broker is started with.
pub struct BrokerSetup {
    pub listen: Option<SocketAddr>,
    pub config: EmbeddedBrokerConfig,
    pub sink: Arc<dyn InboundSink>,
    pub metrics: Arc<Metrics>,
    pub dead: Arc<DeadLetters>,
    pub tokens: Option<TokenCheck>,
}

async fn bind(addr: SocketAddr, flag: &'static str) -> Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| IotError::Bind { addr, flag, source })
}

impl EmbeddedBroker {
    /// Binds the listeners and starts accepting. Fails naming `--mqtt-listen` (or the TLS
    /// setting) when an address is taken.
    pub async fn start(setup: BrokerSetup) -> Result<Self> {
        let (stop, stop_rx) = watch::channel(false);
        let plain = match setup.listen {
            Some(a) => Some(bind(a, "--mqtt-listen").await?),
            None => None,
        };
        let secure = match &setup.config.tls {
            Some(t) => Some((
                bind(t.listen, "iot.embedded.tls.listen").await?,
                tls::acceptor(t)?,
            )),
            None => None,
        };
        let shared = Arc::new(Shared {
            router: RwLock::new(Router::default()),
            sessions: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
            sink: setup.sink,
            metrics: setup.metrics,
            dead: setup.dead,
            config: setup.config,
            tokens: setup.tokens,
            next_id: AtomicU64::new(1),
            connections: AtomicUsize::new(0),
            stop: stop_rx,
        });
        let mut tasks = JoinSet::new();
        let mut addrs = Vec::new();
        if let Some(l) = plain {
            addrs.push(
                l.local_addr()
                    .map_err(|e| IotError::Config(e.to_string()))?,
            );
            tasks.spawn(accept_loop(l, None, shared.clone()));
        }
        if let Some((l, acceptor)) = secure {
            addrs.push(
                l.local_addr()
                    .map_err(|e| IotError::Config(e.to_string()))?,
            );
            tasks.spawn(accept_loop(l, Some(acceptor), shared.clone()));
        }
        tracing::info!(?addrs, "embedded MQTT broker listening");
        Ok(Self {
            shared,
            addrs,
            stop,
            tasks: Mutex::new(Some(tasks)),
        })
    }

    /// The bound addresses (plain first, then TLS).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Open connections.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
) {
    let mut stop = shared.stop.clone();
    loop {
        let accepted = tokio::select! {
            _ = stop.changed() => return,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors or similar: pause instead of spinning.
                tracing::warn!(error = %e, "MQTT accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        match &tls {
            None => {
                tokio::spawn(session::run(stream, peer, shared));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor.accept(stream).await {
                        Ok(s) => session::run(s, peer, shared).await,
                        Err(e) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    }
                });
            }
        }
    }
}

impl MqttTransport for EmbeddedBroker {
    fn name(&self) -> &'static str {
        "embedded"
    }

    fn root(&self) -> &str {
        ""
    }

    fn publish(
        &self,
        topic: String,
        payload: Bytes,
    ) -> BoxFuture<'_, Result<Option<usize>, TransportError>> {
        Box::pin(async move { Ok(Some(self.shared.forward(&topic, &payload, 1))) })
    }

    fn has_subscriber(&self, topic: &str) -> Option<bool> {
        let mut out = Vec::new();
        self.shared.router.read().matches(topic, &mut out);
        Some(!out.is_empty())
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let _ = self.stop.send(true);
            let tasks = self.tasks.lock().take();
            if let Some(mut t) = tasks {
                while t.join_next().await.is_some() {}
            }
            let handles: Vec<mpsc::Sender<Out>> = self
                .shared
                .sessions
                .lock()
                .values()
                .map(|h| h.tx.clone())
                .collect();
            for tx in handles {
                let _ = tx.try_send(Out::Close(super::codec::REASON_SHUTTING_DOWN));
            }
        })
    }
}
