//! The in-process baseline responder: a minimal hyper HTTP/1.1 server that answers every request
//! with `200 {"ok":true}` after draining its body.
//!
//! Owns the "how fast can this client go on this machine" reference. Dividing a server's rate by
//! the baseline's separates the server's cost from the client's and the kernel's; both run on the
//! same machine, so the ratio is indicative, not absolute. It must stay trivial.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::error::LoadError;

/// The body of every baseline response.
pub const BODY: &[u8] = br#"{"ok":true}"#;

/// Pause after a failed accept.
const ACCEPT_PAUSE: std::time::Duration = std::time::Duration::from_millis(10);

/// A running responder; dropping it stops the server and every connection it serves.
pub struct Baseline {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Baseline {
    /// Binds `127.0.0.1:0` and starts serving on the current tokio runtime.
    pub async fn start() -> Result<Self, LoadError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(LoadError::Baseline)?;
        let addr = listener.local_addr().map_err(LoadError::Baseline)?;
        let task = tokio::spawn(accept_loop(listener));
        Ok(Self { addr, task })
    }

    /// Where the responder listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection task.
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Accept errors (e.g. too many open files) are transient; pause rather than spin.
            tokio::time::sleep(ACCEPT_PAUSE).await;
            continue;
        };
        // Best effort: without NODELAY only latency suffers, not correctness.
        let _ = stream.set_nodelay(true);
        connections.spawn(async move {
            let service = service_fn(respond);
            // A client closing its socket mid-request is normal at the end of a run.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        // Reap finished connections so the set stays as small as the live connection count.
        while connections.try_join_next().is_some() {}
    }
}

async fn respond(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut body = req.into_body();
    // Drain without storing: the responder must cost the same whatever the client sends.
    while let Some(Ok(_)) = body.frame().await {}
    let mut resp = Response::new(Full::new(Bytes::from_static(BODY)));
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::client::{Client, Target};
    use crate::runner::{RunSpec, Stop, run};
    use crate::scenario::{Probe, REGISTRY, ScenarioConfig};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn loadgen_core_runs_against_baseline() {
        let baseline = Baseline::start().await.expect("bind baseline");
        let client = Client::new(Target::from_addr(baseline.addr()), Some("test")).expect("client");
        let spec = RunSpec {
            connections: 4,
            stop: Stop::After(Duration::from_secs(1)),
        };
        let stats = run(&client, Arc::new(Probe), spec).await.expect("run");
        assert!(stats.ok > 100, "completed only {} requests", stats.ok);
        assert_eq!(stats.errors, 0, "{:?}", stats.error_samples);
        assert_eq!(stats.latency.count(), stats.ok);
        assert!(stats.elapsed >= Duration::from_secs(1));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_scenario_flags_the_baseline_status() {
        // The baseline answers 200 to everything, so scenarios expecting 201/204 count errors:
        // this checks bodies are sent and drained and that error samples are kept.
        let baseline = Baseline::start().await.expect("bind baseline");
        let client = Client::new(Target::from_addr(baseline.addr()), None).expect("client");
        let cfg = ScenarioConfig {
            seed: 1,
            entities: 300,
            nonce: 7,
            now_unix: 1_795_910_400,
        };
        for entry in REGISTRY {
            let scenario: Arc<dyn crate::scenario::Scenario> = Arc::from((entry.build)(&cfg));
            // The baseline answers 200 to everything: exactly the scenarios that expect 200
            // see no errors.
            let expects_200 = scenario.next_request(0, 0).expect.contains(&200);
            let spec = RunSpec {
                connections: 2,
                stop: Stop::Count(20),
            };
            let stats = run(&client, scenario, spec).await.expect("run");
            assert_eq!(stats.requests(), 20, "{}", entry.name);
            assert_eq!(stats.errors == 0, expects_200, "{}", entry.name);
            if !expects_200 {
                assert!(
                    stats.error_samples[0].starts_with("200 "),
                    "{:?}",
                    stats.error_samples
                );
            }
        }
    }

    #[tokio::test]
    async fn unreachable_target_is_an_error() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let client = Client::new(Target::from_addr(addr), None).expect("client");
        let spec = RunSpec {
            connections: 1,
            stop: Stop::Count(1),
        };
        let err = run(&client, Arc::new(Probe), spec).await.err();
        assert!(
            matches!(err, Some(LoadError::Unreachable { .. })),
            "{err:?}"
        );
    }
}
