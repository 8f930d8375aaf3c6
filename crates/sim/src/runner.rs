//! The closed-loop load engine: N connections, one task each, send / await / record / repeat,
//! for a fixed time or a fixed number of requests.
//!
//! Owns timing and counting. Failures during the run (unexpected status, broken connection,
//! timeout) are counted and sampled, never raised; only failing to connect at all is an error.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http::StatusCode;
use tokio::task::JoinSet;

use crate::client::{Client, Conn, REQUEST_TIMEOUT};
use crate::error::LoadError;
use crate::histogram::Histogram;
use crate::report::snippet;
use crate::scenario::{Request, Scenario};

/// Distinct error messages kept per run.
pub const MAX_ERROR_SAMPLES: usize = 5;
/// Response-body bytes kept for an error sample.
const SAMPLE_BODY_BYTES: usize = 300;
/// Pause before reconnecting, so a dead server is not hammered with SYNs.
const RECONNECT_PAUSE: Duration = Duration::from_millis(20);

/// When a run ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// After this long (requests in flight at the deadline still complete).
    After(Duration),
    /// After this many requests in total, across all connections.
    Count(u64),
}

/// How to drive one run.
#[derive(Clone, Copy, Debug)]
pub struct RunSpec {
    /// Concurrent connections, each with one request in flight.
    pub connections: usize,
    /// When to stop.
    pub stop: Stop,
}

/// What a run measured.
#[derive(Clone, Debug, Default)]
pub struct RunStats {
    /// Requests that got an expected status.
    pub ok: u64,
    /// Requests that failed: unexpected status, connection failure or timeout.
    pub errors: u64,
    /// Items (entities or instances) carried by successful requests.
    pub items: u64,
    /// Latency of every request that got a response.
    pub latency: Histogram,
    /// Wall-clock time from the first request to the last response.
    pub elapsed: Duration,
    /// One description for each of the first few distinct kinds of error (status and method,
    /// or transport failure), so one failure mode on many ids does not crowd out the others.
    pub error_samples: Vec<String>,
    /// The kind of each entry of `error_samples`, in the same order.
    sample_kinds: Vec<String>,
}

impl RunStats {
    /// Requests attempted (successful and failed).
    pub fn requests(&self) -> u64 {
        self.ok + self.errors
    }

    fn merge(&mut self, other: RunStats) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.items += other.items;
        self.latency.merge(&other.latency);
        for (kind, message) in other.sample_kinds.into_iter().zip(other.error_samples) {
            self.sample(kind, || message);
        }
    }

    /// Counts one failed request, describing it if its `kind` is new.
    fn fail(&mut self, kind: String, message: impl FnOnce() -> String) {
        self.errors += 1;
        self.sample(kind, message);
    }

    fn sample(&mut self, kind: String, message: impl FnOnce() -> String) {
        if self.error_samples.len() < MAX_ERROR_SAMPLES && !self.sample_kinds.contains(&kind) {
            self.sample_kinds.push(kind);
            self.error_samples.push(message());
        }
    }
}

/// The part of a run every worker shares.
struct Shared {
    client: Client,
    scenario: Arc<dyn Scenario>,
    deadline: Option<Instant>,
    budget: Option<u64>,
    issued: AtomicU64,
}

impl Shared {
    /// Claims the right to send one more request; false once the run is over.
    fn claim(&self) -> bool {
        if let Some(deadline) = self.deadline {
            return Instant::now() < deadline;
        }
        let budget = self.budget.unwrap_or(0);
        self.issued.fetch_add(1, Ordering::Relaxed) < budget
    }
}

/// Runs `scenario` against `client`'s target. Connections are opened before the clock starts;
/// if the first one cannot be opened the target is reported unreachable.
pub async fn run(
    client: &Client,
    scenario: Arc<dyn Scenario>,
    spec: RunSpec,
) -> Result<RunStats, LoadError> {
    let mut conns = Vec::with_capacity(spec.connections);
    for _ in 0..spec.connections.max(1) {
        conns.push(client.connect().await?);
    }
    let started = Instant::now();
    let shared = Arc::new(Shared {
        client: client.clone(),
        scenario,
        deadline: match spec.stop {
            Stop::After(d) => Some(started + d),
            Stop::Count(_) => None,
        },
        budget: match spec.stop {
            Stop::Count(n) => Some(n),
            Stop::After(_) => None,
        },
        issued: AtomicU64::new(0),
    });
    let mut workers = JoinSet::new();
    for (id, conn) in conns.into_iter().enumerate() {
        workers.spawn(worker(Arc::clone(&shared), id, conn));
    }
    let mut total = RunStats::default();
    while let Some(done) = workers.join_next().await {
        total.merge(done?);
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

/// One connection's closed loop.
async fn worker(shared: Arc<Shared>, id: usize, conn: Conn) -> RunStats {
    let mut stats = RunStats::default();
    let mut conn = Some(conn);
    let mut i = 0u64;
    while shared.claim() {
        let live = match conn.take() {
            Some(c) if !c.is_closed() => Ok(c),
            _ => shared.client.connect().await,
        };
        let mut c = match live {
            Ok(c) => c,
            Err(e) => {
                let text = e.to_string();
                stats.fail(text.clone(), || text);
                tokio::time::sleep(RECONNECT_PAUSE).await;
                continue;
            }
        };
        let req = shared.scenario.next_request(id, i);
        i += 1;
        if exchange_once(&shared.client, &mut c, req, &mut stats).await {
            conn = Some(c);
        }
    }
    stats
}

/// Sends one request and records its outcome; returns whether the connection is still usable.
async fn exchange_once(client: &Client, c: &mut Conn, req: Request, stats: &mut RunStats) -> bool {
    let (expect, items) = (req.expect, req.items);
    // Cheap clones (an enum and a ref-counted path), kept to describe a failure.
    let (method, uri) = (req.method.clone(), req.uri.clone());
    let what = || format!("{method} {}", uri.path());
    let kind = |detail: &dyn std::fmt::Display| format!("{method} {detail}");
    let keep = |s: StatusCode| {
        if expect.contains(&s.as_u16()) {
            0
        } else {
            SAMPLE_BODY_BYTES
        }
    };
    let http = client.to_http(req);
    let t0 = Instant::now();
    match tokio::time::timeout(REQUEST_TIMEOUT, c.exchange(http, keep)).await {
        Ok(Ok((status, body))) => {
            stats.latency.record(t0.elapsed());
            if expect.contains(&status.as_u16()) {
                stats.ok += 1;
                stats.items += u64::from(items);
            } else {
                let text = snippet(&body, SAMPLE_BODY_BYTES);
                let message = || format!("{} {}: {text}", status.as_u16(), what());
                stats.fail(kind(&status.as_u16()), message);
            }
            true
        }
        Ok(Err(e)) => {
            let cause = causes(&e);
            stats.fail(kind(&cause), || format!("{}: {cause}", what()));
            false
        }
        Err(_) => {
            let cause = format!("no response within {} s", REQUEST_TIMEOUT.as_secs());
            stats.fail(kind(&cause), || format!("{}: {cause}", what()));
            false
        }
    }
}

/// An error and its chain of sources, e.g. `connection error: Connection reset by peer`.
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
