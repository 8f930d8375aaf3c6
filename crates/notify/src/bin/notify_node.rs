//! `notify-node`: the smallest twinisle node with subscriptions: the embedded store, the NGSI-LD
//! entity API, the subscription API and the live stream, on one port. It shows how to wire the
//! notifier, and gives the crash tests a real process to `kill -9`.
//!
//! ```text
//! notify-node --listen 127.0.0.1:1026 --data-dir ./data
//! ```
//! Stops cleanly on SIGTERM or Ctrl-C (saves delivery positions, closes the store).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use notify::{Notifier, NotifyConfig};

struct Args {
    listen: SocketAddr,
    data_dir: PathBuf,
}

fn args() -> Result<Args, String> {
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 1026));
    let mut data_dir = PathBuf::from("./notify-data");
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => listen = value.parse().map_err(|e| format!("--listen: {e}"))?,
            "--data-dir" => data_dir = value.into(),
            other => {
                return Err(format!(
                    "unknown flag {other}; use --listen ADDR --data-dir DIR"
                ));
            }
        }
    }
    Ok(Args { listen, data_dir })
}

fn main() -> std::process::ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let result = args().and_then(|a| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the runtime: {e}"))?
            .block_on(serve(a))
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("notify-node: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(a: Args) -> Result<(), String> {
    let store = store::embedded::Embedded::open(&a.data_dir.join("store"), Default::default())
        .map_err(|e| e.detail)?;
    let contexts = ngsi::context::ContextResolver::open(
        &a.data_dir.join("contexts"),
        format!("http://{}", a.listen),
        Default::default(),
    )
    .map_err(|e| e.detail)?;
    let state = api::AppState {
        store: Arc::new(store.clone()),
        contexts: Arc::new(contexts),
        limits: Arc::new(api::Limits::default()),
    };
    let notifier = Notifier::start(
        &a.data_dir.join("notify"),
        state.store.clone(),
        state.contexts.clone(),
        NotifyConfig::default(),
    )
    .await
    .map_err(|e| e.detail)?;
    let app = api::finish(
        api::routes()
            .with_state(state.clone())
            .merge(notifier.router(state)),
    );
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", a.listen))?;
    tracing::info!(listen = %a.listen, "notify-node is serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(stop_signal())
        .await
        .map_err(|e| format!("server error: {e}"))?;
    notifier.shutdown().await;
    store.close();
    Ok(())
}

async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
}
