//! Starting and stopping the platform: opens the registry, restores device states, starts the
//! committer, the MQTT transport, the command watcher and the liveness ticker; stops them in
//! the reverse order so every accepted measurement is committed before `shutdown` returns.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use api::AppState;
use ngsi::context::ContextResolver;
use parking_lot::Mutex;
use store::Store;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::Core;
use crate::commands::{self, CommandBook, Sender};
use crate::config::{IotConfig, TransportKind};
use crate::deadletter::DeadLetters;
use crate::device::DeviceTerms;
use crate::error::{IotError, Result};
use crate::http::IotState;
use crate::ingest::{Ingest, batcher};
use crate::liveness::{self, Liveness};
use crate::mapping::Terms;
use crate::metrics::Metrics;
use crate::mqtt::MqttTransport;
use crate::mqtt::broker::{BrokerSetup, EmbeddedBroker, TokenCheck};
use crate::mqtt::external::ExternalClient;
use crate::registry::Registry;

/// The running IoT platform.
pub struct IotPlatform {
    core: Arc<Core>,
    transport: Option<Arc<dyn MqttTransport>>,
    embedded: Option<Arc<EmbeddedBroker>>,
    stop: watch::Sender<bool>,
    batcher: Mutex<Option<JoinHandle<()>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl IotPlatform {
    /// Opens the registry in `dir/iot`, and starts the MQTT transport, the committer, the
    /// command watcher and the liveness checker. Fails (naming `--mqtt-listen`) when the MQTT
    /// address is taken.
    pub async fn start(
        dir: &Path,
        store: Arc<dyn Store>,
        contexts: Arc<ContextResolver>,
        config: IotConfig,
    ) -> Result<Self> {
        config
            .validate()
            .map_err(|errors| IotError::Config(errors.join("; ")))?;
        let ctx = contexts.core();
        let registry = Arc::new(Registry::open(
            &dir.join("iot"),
            ctx.clone(),
            config.liveness.default_timeout_s,
        )?);
        let device_terms = Arc::new(DeviceTerms::new(&ctx));
        liveness::restore(&*store, &registry, &device_terms).await;
        let dead = Arc::new(DeadLetters::new(config.dead_letters));
        let metrics = Arc::new(Metrics::default());
        let book = Arc::new(CommandBook::new(config.commands.max_pending));
        let (stop, stop_rx) = watch::channel(false);
        let (tx, rx) = mpsc::channel(config.ingest.queue_capacity);
        let settings = batcher::Settings {
            max_ops: config.ingest.batch_max_ops,
            linger: Duration::from_millis(config.ingest.batch_linger_ms),
            max_inflight: config.ingest.max_inflight_commits,
        };
        let batcher = tokio::spawn(batcher::run(
            rx,
            store.clone(),
            settings,
            metrics.clone(),
            dead.clone(),
            stop_rx.clone(),
        ));
        let ingest = Arc::new(Ingest {
            registry: registry.clone(),
            ctx: ctx.clone(),
            dead: dead.clone(),
            metrics: metrics.clone(),
            book: book.clone(),
            device_terms: device_terms.clone(),
            terms: Terms::new(&ctx),
            config: config.ingest.clone(),
            report_interval_us: (config.liveness.report_interval_s as i64)
                .saturating_mul(1_000_000),
            tx,
        });
        let (transport, embedded) =
            start_transport(&config, &ingest, &registry, &metrics, &dead).await?;
        let sender = Arc::new(Sender::new(
            store.clone(),
            transport.clone(),
            book,
            metrics.clone(),
            Duration::from_secs(config.commands.http_timeout_s),
        ));
        let live = Liveness {
            store: store.clone(),
            registry: registry.clone(),
            terms: device_terms.clone(),
            sender: sender.clone(),
            interval: Duration::from_millis(config.liveness.check_interval_ms),
            command_timeout: Duration::from_secs(config.commands.timeout_s),
        };
        let tasks = vec![
            tokio::spawn(commands::watch_feed(
                store.clone(),
                registry.clone(),
                sender,
                stop_rx.clone(),
            )),
            tokio::spawn(live.run(stop_rx)),
        ];
        let transport_name = match config.transport {
            TransportKind::Embedded => "embedded",
            TransportKind::External => "external",
            TransportKind::None => "none",
        };
        let core = Arc::new(Core {
            registry,
            ingest,
            dead,
            metrics,
            store,
            ctx,
            device_terms,
            config,
            transport_name,
        });
        Ok(Self {
            core,
            transport,
            embedded,
            stop,
            batcher: Mutex::new(Some(batcher)),
            tasks: Mutex::new(tasks),
        })
    }

    /// The state of the `/iot` routes.
    pub fn state(&self, app: AppState) -> IotState {
        IotState {
            app,
            iot: self.core.clone(),
        }
    }

    /// The shared core (registry, ingest, counters).
    pub fn core(&self) -> &Arc<Core> {
        &self.core
    }

    /// The addresses the embedded broker listens on (empty for other transports).
    pub fn mqtt_addrs(&self) -> Vec<std::net::SocketAddr> {
        self.embedded
            .as_ref()
            .map(|b| b.local_addrs().to_vec())
            .unwrap_or_default()
    }

    /// The MQTT transport, if one runs.
    pub fn transport(&self) -> Option<&Arc<dyn MqttTransport>> {
        self.transport.as_ref()
    }

    /// Every counter in Prometheus text format (serve it from `/metrics`).
    pub fn metrics_text(&self) -> String {
        let c = &self.core;
        c.metrics
            .render(&c.registry, &c.dead, c.config.device_metrics)
    }

    /// Stops taking messages, commits everything accepted, stops the background tasks.
    pub async fn shutdown(&self) {
        if let Some(t) = &self.transport {
            t.shutdown().await;
        }
        let _ = self.stop.send(true);
        let batcher = self.batcher.lock().take();
        if let Some(b) = batcher {
            let _ = b.await;
        }
        let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *self.tasks.lock());
        for t in tasks {
            let _ = t.await;
        }
        tracing::info!("IoT platform stopped");
    }
}

async fn start_transport(
    config: &IotConfig,
    ingest: &Arc<Ingest>,
    registry: &Arc<Registry>,
    metrics: &Arc<Metrics>,
    dead: &Arc<DeadLetters>,
) -> Result<(Option<Arc<dyn MqttTransport>>, Option<Arc<EmbeddedBroker>>)> {
    match config.transport {
        TransportKind::None => Ok((None, None)),
        TransportKind::External => {
            let c = ExternalClient::start(&config.external, ingest.clone())?;
            Ok((Some(Arc::new(c)), None))
        }
        TransportKind::Embedded => {
            let reg = registry.clone();
            let tokens: TokenCheck =
                Arc::new(move |user: &str, pass: &str| reg.token_matches(user, pass));
            let setup = BrokerSetup {
                listen: config.mqtt_listen,
                config: config.embedded.clone(),
                sink: ingest.clone(),
                metrics: metrics.clone(),
                dead: dead.clone(),
                tokens: Some(tokens),
            };
            let b = Arc::new(EmbeddedBroker::start(setup).await?);
            Ok((Some(b.clone()), Some(b)))
        }
    }
}
