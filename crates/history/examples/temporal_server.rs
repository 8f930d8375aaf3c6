//! A twinisle node with the temporal API, wired the way `twinisle serve` wires it: the embedded
//! store, the core NGSI-LD routes and the history routes on one listener. For benchmarks of the
//! history (the `history-ingest`, `temporal-lastn`, `temporal-aggregate` loadgen scenarios).
//!
//! ```text
//! cargo run --release -p history --example temporal_server -- 127.0.0.1:1026 /var/tmp/tw-bench
//! ```
//!
//! Stops on Ctrl-C (SIGINT), flushing history and the store first.

use std::path::PathBuf;
use std::sync::Arc;

use history::http::TemporalState;
use history::{History, HistoryConfig};

#[tokio::main]
async fn main() -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:1026".into());
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "./twinisle-data".into()));
    let store = store::embedded::Embedded::open(&dir.join("store"), Default::default())
        .map_err(|e| e.detail)?;
    let contexts = ngsi::context::ContextResolver::open(
        &dir.join("contexts"),
        format!("http://{listen}"),
        Default::default(),
    )
    .map_err(|e| e.detail)?;
    let state = api::AppState {
        store: Arc::new(store.clone()),
        contexts: Arc::new(contexts),
        limits: Arc::new(api::Limits::default()),
    };
    let history = History::open(
        &dir.join("history"),
        state.store.clone(),
        HistoryConfig::default(),
    )
    .map_err(|e| e.detail)?;
    let temporal =
        history::http::routes().with_state(TemporalState::new(state.clone(), history.clone()));
    let app = api::finish(api::routes().with_state(state).merge(temporal));
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())?;
    tokio::task::block_in_place(|| history.close());
    store.close();
    Ok(())
}
