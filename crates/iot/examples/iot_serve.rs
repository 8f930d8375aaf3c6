//! A minimal server: the NGSI-LD API and the IoT platform on the embedded store, as
//! `twinisle serve` will run them once wired. Used by `mqtt_bench` for measurements.
//!
//! ```text
//! cargo run --release -p iot --example iot_serve -- --listen 127.0.0.1:1026 \
//!     --data-dir /tmp/tw --mqtt-listen 127.0.0.1:1884 [--external <topic-prefix>]
//! ```
//! `--external P` uses Mosquitto on 127.0.0.1:1883 (device topics under `P/`) instead of the
//! embedded broker. Stops on Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use iot::{IotConfig, IotPlatform, TransportKind};
use ngsi::context::{ContextConfig, ContextResolver};
use store::Store;
use store::embedded::{Embedded, EmbeddedConfig};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen: SocketAddr = arg("--listen").unwrap_or("127.0.0.1:1026".into()).parse()?;
    let dir = PathBuf::from(arg("--data-dir").unwrap_or("./iot-serve-data".into()));
    let mut config = IotConfig {
        mqtt_listen: Some(
            arg("--mqtt-listen")
                .unwrap_or("127.0.0.1:1883".into())
                .parse()?,
        ),
        ..IotConfig::default()
    };
    if let Some(n) = arg("--inflight").and_then(|n| n.parse().ok()) {
        config.ingest.max_inflight_commits = n;
    }
    if let Some(prefix) = arg("--external") {
        config.transport = TransportKind::External;
        config.external.topic_prefix = prefix;
        config.external.inflight = 1000;
    }
    let embedded = Embedded::open(&dir, EmbeddedConfig::default())?;
    let store: Arc<dyn Store> = Arc::new(embedded.clone());
    let contexts = Arc::new(ContextResolver::open(
        &dir.join("contexts"),
        format!("http://{listen}"),
        ContextConfig::default(),
    )?);
    let platform = IotPlatform::start(&dir, store.clone(), contexts.clone(), config).await?;
    let app_state = api::AppState {
        store,
        contexts,
        limits: Arc::new(api::Limits::default()),
    };
    let app = api::finish(
        api::routes()
            .with_state(app_state.clone())
            .merge(iot::router(platform.state(app_state))),
    );
    let listener = tokio::net::TcpListener::bind(listen).await?;
    eprintln!(
        "iot_serve: http://{listen}, MQTT {:?}",
        platform.mqtt_addrs()
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    platform.shutdown().await;
    embedded.close();
    Ok(())
}
