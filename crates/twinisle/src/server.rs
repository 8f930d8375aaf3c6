//! Wiring for `twinisle serve` (and `demo`): logging, the embedded store, the @context resolver,
//! the IoT platform, the HTTP router, and a clean shutdown on Ctrl-C / SIGTERM (commit what the
//! IoT pipeline accepted, write a snapshot, flush the log).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::header as http_header;
use store::embedded::{Embedded, EmbeddedConfig};
use tokio::net::TcpListener;

use crate::config::Config;

/// A running twinisle: its store, its capabilities and the HTTP app that serves them.
pub struct Node {
    pub store: Embedded,
    pub history: history::History,
    pub notifier: notify::Notifier,
    pub iot: iot::IotPlatform,
    pub app: axum::Router,
}

impl Node {
    /// Opens the store, starts every capability and builds the application.
    pub async fn start(config: &Config) -> Result<Node, String> {
        let data_dir = &config.server.data_dir;
        let store_config = EmbeddedConfig {
            segment_bytes: config.store.segment_bytes,
            snapshot_bytes: config.store.snapshot_bytes,
        };
        let store = tokio::task::block_in_place(|| Embedded::open(data_dir, store_config))
            .map_err(|e| e.detail)?;
        let contexts = ngsi::context::ContextResolver::open(
            &data_dir.join("contexts"),
            config.server.base_url(),
            config.contexts.clone(),
        )
        .map_err(|e| e.detail)?;
        let state = api::AppState {
            store: Arc::new(store.clone()),
            contexts: Arc::new(contexts),
            limits: Arc::new(config.limits.clone()),
        };
        let history = history::History::open(
            &data_dir.join("history"),
            state.store.clone(),
            config.history.clone(),
        )
        .map_err(|e| e.detail)?;
        let temporal = history::http::routes().with_state(history::http::TemporalState::new(
            state.clone(),
            history.clone(),
        ));
        let notifier = notify::Notifier::start(
            &data_dir.join("notify"),
            state.store.clone(),
            state.contexts.clone(),
            config.notify.clone(),
        )
        .await
        .map_err(|e| e.detail)?;
        let iot = iot::IotPlatform::start(
            data_dir,
            state.store.clone(),
            state.contexts.clone(),
            config.iot.clone(),
        )
        .await
        .map_err(|e| e.to_string())?;
        let app = api::routes()
            .with_state(state.clone())
            .merge(temporal)
            .merge(notifier.router(state.clone()))
            .merge(iot::router(iot.state(state)))
            .merge(operations(openapi(), iot.core().clone()))
            .merge(dashboard::routes());
        Ok(Node {
            store,
            history,
            notifier,
            iot,
            app: api::finish(app),
        })
    }

    /// Stops the capabilities and leaves the store clean: everything acknowledged is in the log,
    /// and a snapshot makes the next start fast.
    pub async fn shutdown(self) {
        self.iot.shutdown().await;
        self.notifier.shutdown().await;
        let history = self.history.clone();
        tokio::task::block_in_place(|| history.close());
        if let Err(e) = tokio::task::block_in_place(|| self.store.snapshot()) {
            tracing::warn!(%e, "final snapshot failed; the log still holds every write");
        }
        self.store.close();
    }

    /// The MQTT listener's address, when the embedded broker runs.
    pub fn mqtt_addr(&self) -> Option<SocketAddr> {
        self.iot.mqtt_addrs().into_iter().next()
    }
}

/// The OpenAPI document of every capability this binary serves.
fn openapi() -> serde_json::Value {
    let mut doc = api::openapi::document();
    api::openapi::merge(&mut doc, &notify::openapi_paths());
    doc
}

/// `/metrics` (Prometheus text format) and `/openapi.json`.
fn operations(doc: serde_json::Value, iot: Arc<iot::Core>) -> axum::Router {
    use axum::response::IntoResponse;
    let prometheus = metrics_handle();
    let doc = Arc::new(doc);
    axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || {
                let mut body = prometheus.as_ref().map(|h| h.render()).unwrap_or_default();
                body.push_str(&iot.metrics.render(
                    &iot.registry,
                    &iot.dead,
                    iot.config.device_metrics,
                ));
                async move {
                    (
                        [(http_header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        body,
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { axum::Json((*doc).clone()).into_response() }
            }),
        )
}

/// The process-wide Prometheus recorder (installed once; later calls reuse it).
fn metrics_handle() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            match metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder() {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!(%e, "metrics recorder not installed; /metrics will be empty");
                    None
                }
            }
        })
        .clone()
}

pub fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A multi-threaded runtime for the server.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(config: Config) -> Result<(), String> {
    init_logging(&config.log.level);
    runtime()?.block_on(async {
        let node = Node::start(&config).await?;
        let listener = bind(config.server.listen).await?;
        tracing::info!(listen = %config.server.listen, data_dir = %config.server.data_dir.display(), mqtt = ?node.mqtt_addr(), "twinisle is serving");
        axum::serve(listener, node.app.clone()).with_graceful_shutdown(shutdown_signal()).await.map_err(|e| format!("server error: {e}"))?;
        tracing::info!("shutting down");
        node.shutdown().await;
        Ok(())
    })
}

/// Binds the HTTP listener, naming the flag to change when the address is taken.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (--listen): {e}"))
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
