//! Subscriptions and notifications that never lose an event (ETSI GS CIM 009 clauses 5.8,
//! 5.2.12-5.2.15, 5.3, 6.3.8, 6.10-6.11, 7), and live change streams for browsers.
//!
//! ```text
//! store.feed("notify") ─► matcher ─► outbox (fsync) ─► per-subscription queue ─► HTTP / MQTT
//!   (durable, lsn order)   (index,     (segments,        (one worker each:          senders
//!                           triggers,   cursors)          order, retries, dead
//!                           filters)                      letters, throttling)
//! store.subscribe() ─► /twinisle/v1/stream (SSE, lossy with an explicit resync)
//! ```
//!
//! [`Notifier::start`] recovers subscriptions, cursors and the outbox from the data directory
//! and spawns the tasks; [`Notifier::router`] serves the subscription API and the live stream;
//! [`Notifier::shutdown`] stops the tasks and saves positions. A write acknowledged by the store
//! is matched from the durable feed, and its notifications are on disk before the feed position
//! moves past it, so a crash at any point only repeats notifications, never loses one.

mod change;
mod checkpoint;
mod config;
mod deliver;
mod hub;
mod index;
mod input;
mod matcher;
mod merge;
pub mod metrics;
mod openapi;
mod outbox;
mod payload;
mod periodic;
mod routes;
pub mod sender;
mod status;
mod stream;
mod sublog;
pub mod subscription;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ngsi::NgsiError;
use ngsi::context::ContextResolver;
use parking_lot::Mutex;
use store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::NotifyConfig;
pub use openapi::openapi_paths;
pub use routes::{NotifyState, routes};
pub use stream::STREAM_PATH;

use deliver::Delivery;
use hub::{Handle, Hub};
use metrics::Metrics;
use outbox::{Dispatch, Outbox};
use sender::{HttpSender, MqttSender, Senders};
use subscription::{Def, Stored};

/// The durable feed consumer name of the matcher.
pub const FEED_NAME: &str = "notify";
/// How long shutdown waits for tasks before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The running notification service. Cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    hub: Arc<Hub>,
    outbox: Arc<Outbox>,
    store: Arc<dyn Store>,
    contexts: Arc<ContextResolver>,
    config: Arc<NotifyConfig>,
    metrics: Arc<Metrics>,
    delivery: Arc<Delivery>,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Notifier {
    /// Recovers subscriptions, delivery positions and the outbox from `dir` and starts matching,
    /// delivery, periodic notifications and checkpoints on the current tokio runtime.
    pub async fn start(
        dir: &Path,
        store: Arc<dyn Store>,
        contexts: Arc<ContextResolver>,
        config: NotifyConfig,
    ) -> Result<Self, NgsiError> {
        config.validate().map_err(NgsiError::internal)?;
        let config = Arc::new(config);
        let metrics = Arc::new(Metrics::default());
        let (log, stored) = sublog::SubLog::open(dir)?;
        let saved = checkpoint::Saved::load(dir)?;
        let next_seq = saved.next_seq;
        let mut positions = saved.into_map();
        let hub = Arc::new(Hub::new(log));
        for s in stored {
            let key = s.key();
            if let Some(def) = compile_recovered(s, &contexts).await {
                let (cursor, status) = positions.remove(&key).unwrap_or_default();
                hub.load(Arc::new(def), cursor, status);
            }
        }
        let cursors = hub
            .all()
            .iter()
            .map(|h| {
                (
                    h.key.clone(),
                    h.cursor.load(std::sync::atomic::Ordering::Acquire),
                )
            })
            .collect();
        let live = |k: &subscription::SubKey| hub.get(k).is_some();
        let (outbox, recovered) = Outbox::open(
            dir,
            &cursors,
            next_seq,
            config.memory_budget_bytes,
            metrics.clone(),
            &live,
        )?;
        hub.set_outbox(outbox.clone());
        tracing::info!(
            subscriptions = hub.all().len(),
            pending = recovered.pending.len(),
            matched_lsn = recovered.matched_lsn,
            "notify: recovered"
        );
        hub.dispatch(recovered.pending);
        let feed = input::Input::open(store.clone(), FEED_NAME, recovered.matched_lsn)?;
        outbox.start_writer(recovered.matched_lsn, config.segment_bytes, hub.clone())?;
        let senders = senders(&config, &metrics)?;
        let delivery = Arc::new(Delivery {
            hub: hub.clone(),
            outbox: outbox.clone(),
            senders,
            config: config.clone(),
            metrics: metrics.clone(),
        });
        let (shutdown, _) = watch::channel(false);
        let n = Self {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                hub,
                outbox,
                store,
                contexts,
                config,
                metrics,
                delivery,
                shutdown,
                tasks: Mutex::new(Vec::new()),
            }),
        };
        n.spawn_tasks(feed, recovered.matched_lsn);
        Ok(n)
    }

    fn spawn_tasks(&self, feed: input::Input, matched_lsn: u64) {
        let i = &self.inner;
        let ids = Arc::new(payload::Ids::new());
        let matcher = matcher::Matcher {
            hub: i.hub.clone(),
            outbox: i.outbox.clone(),
            ids: ids.clone(),
            config: i.config.clone(),
            metrics: i.metrics.clone(),
        };
        let periodic = periodic::Periodic {
            hub: i.hub.clone(),
            outbox: i.outbox.clone(),
            store: i.store.clone(),
            ids,
            config: i.config.clone(),
        };
        let mut tasks = vec![
            tokio::spawn(matcher.run(feed, matched_lsn, i.shutdown.subscribe())),
            tokio::spawn(periodic.run(i.shutdown.subscribe())),
            tokio::spawn(checkpoint::run(
                i.dir.clone(),
                i.hub.clone(),
                i.outbox.clone(),
                i.config.checkpoint_interval(),
                i.shutdown.subscribe(),
            )),
        ];
        for h in i.hub.all() {
            tasks.push(self.worker(h));
        }
        i.tasks.lock().extend(tasks);
    }

    fn worker(&self, h: Arc<Handle>) -> JoinHandle<()> {
        let d = self.inner.delivery.clone();
        tokio::spawn(d.worker(h, self.inner.shutdown.subscribe()))
    }

    /// Starts delivery for a subscription created through the API.
    fn started(&self, h: Arc<Handle>) {
        let task = self.worker(h);
        let mut tasks = self.inner.tasks.lock();
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
    }

    /// Stops every task, saves delivery positions and closes the outbox. Undelivered
    /// notifications stay on disk for the next start.
    pub async fn shutdown(&self) {
        let i = &self.inner;
        let _ = i.shutdown.send(true);
        let tasks: Vec<JoinHandle<()>> = i.tasks.lock().drain(..).collect();
        let aborts: Vec<_> = tasks.iter().map(|t| t.abort_handle()).collect();
        let all = futures_util::future::join_all(tasks);
        if tokio::time::timeout(SHUTDOWN_GRACE, all).await.is_err() {
            aborts.iter().for_each(|a| a.abort());
        }
        i.outbox.close();
        let (d, h, o) = (i.dir.clone(), i.hub.clone(), i.outbox.clone());
        match tokio::task::spawn_blocking(move || checkpoint::save(&d, &h, &o)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(detail = %e.detail, "notify: final checkpoint failed"),
            Err(e) => tracing::warn!(%e, "notify: final checkpoint task failed"),
        }
    }

    /// The subscription API and the live stream, ready to merge with `api::routes()`.
    pub fn router(&self, app: api::AppState) -> axum::Router {
        routes().with_state(NotifyState {
            app,
            notifier: self.clone(),
        })
    }

    /// Counters of matching, delivery and streams.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Notifications durable but not yet delivered, over all subscriptions.
    pub fn queued(&self) -> usize {
        self.inner.hub.all().iter().map(|h| h.queued()).sum()
    }

    fn hub(&self) -> &Arc<Hub> {
        &self.inner.hub
    }

    fn config(&self) -> &NotifyConfig {
        &self.inner.config
    }

    fn contexts(&self) -> &Arc<ContextResolver> {
        &self.inner.contexts
    }
}

/// Compiles a subscription read back from disk. If its @context cannot be had now, names are
/// read with the core context rather than dropping the subscription (logged).
async fn compile_recovered(s: Stored, contexts: &ContextResolver) -> Option<Def> {
    let id = s.id.clone();
    match Def::compile(s.clone(), contexts).await {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::error!(subscription = %id, detail = %e.detail, "notify: subscription @context unavailable; using the core context");
            match Def::compile_with(s, contexts.core()) {
                Ok(d) => Some(d),
                Err(e) => {
                    tracing::error!(subscription = %id, detail = %e.detail, "notify: subscription cannot be loaded");
                    None
                }
            }
        }
    }
}

fn senders(config: &NotifyConfig, metrics: &Arc<Metrics>) -> Result<Senders, NgsiError> {
    let http = HttpSender::new(
        config.request_timeout(),
        config.connect_timeout(),
        config.max_in_flight_per_receiver,
        metrics.clone(),
    )
    .map_err(NgsiError::internal)?;
    let mqtt = MqttSender::new(
        Duration::from_secs(config.mqtt_keep_alive_secs.max(5)),
        config.connect_timeout(),
        config.mqtt_max_in_flight,
        config.request_timeout(),
    );
    Ok(Senders {
        http: Arc::new(http),
        mqtt: Arc::new(mqtt),
    })
}
