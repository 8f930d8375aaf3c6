//! Wiring for `twinisle serve`: logging, the embedded store, the @context resolver, the HTTP
//! router, and a clean shutdown on Ctrl-C / SIGTERM (flush the log, write a snapshot).

use std::sync::Arc;

use axum::http::header as http_header;
use store::embedded::{Embedded, EmbeddedConfig};
use tokio::net::TcpListener;

use crate::config::Config;

/// The parts a running twinisle is made of.
pub struct Node {
    pub store: Embedded,
    pub app: axum::Router,
}

/// Opens the store and builds the application.
pub fn build(config: &Config) -> Result<Node, String> {
    let store_config = EmbeddedConfig {
        segment_bytes: config.store.segment_bytes,
        snapshot_bytes: config.store.snapshot_bytes,
    };
    let data_dir = &config.server.data_dir;
    let store = Embedded::open(data_dir, store_config).map_err(|e| e.detail)?;
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
    let app = api::routes().with_state(state).merge(operations(openapi())).merge(dashboard::routes());
    Ok(Node {
        store,
        app: api::finish(app),
    })
}

/// The OpenAPI document of every capability this binary serves.
fn openapi() -> serde_json::Value {
    api::openapi::document()
}

/// `/metrics` (Prometheus text format) and `/openapi.json`.
fn operations(doc: serde_json::Value) -> axum::Router {
    use axum::response::IntoResponse;
    let prometheus = metrics_handle();
    let doc = Arc::new(doc);
    axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || {
                let body = prometheus.as_ref().map(|h| h.render()).unwrap_or_default();
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

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(config: Config) -> Result<(), String> {
    init_logging(&config.log.level);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(serve(config))
}

async fn serve(config: Config) -> Result<(), String> {
    let node = tokio::task::block_in_place(|| build(&config))?;
    let listener = TcpListener::bind(config.server.listen)
        .await
        .map_err(|e| format!("cannot listen on {} (--listen): {e}", config.server.listen))?;
    tracing::info!(listen = %config.server.listen, data_dir = %config.server.data_dir.display(), "twinisle is serving the NGSI-LD API");
    axum::serve(listener, node.app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))?;
    tracing::info!("shutting down: writing a snapshot");
    if let Err(e) = node.store.snapshot() {
        tracing::warn!(%e, "final snapshot failed; the log still holds every write");
    }
    node.store.close();
    Ok(())
}

async fn shutdown_signal() {
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
