//! Measures notification fan-out against a real server process, with the `notify-fanout`
//! scenario of `sim` (counting receiver in this process), at a fixed update rate, optionally
//! killing the server with SIGKILL mid-way and restarting it on the same data directory.
//!
//! ```text
//! cargo build --release -p notify --bin notify-node --example fanout
//! target/release/examples/fanout --server target/release/notify-node --subs 1000 \
//!     --rate 10000 --duration 60 [--kill-at 30] [--connections 32] [--fanout 5]
//! target/release/examples/fanout --server target/release/twinisle --subcommand serve ...
//! ```
//! Prints one JSON object: the scenario's report plus the achieved update rate.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sim::client::{Client, Target};
use sim::scenario::notify_fanout::{BATCH_ENTITIES, NotifyFanout};
use sim::scenario::{Scenario, ScenarioConfig};

struct Opts {
    server: PathBuf,
    /// A subcommand before the flags (`serve` for the twinisle binary).
    subcommand: Option<String>,
    subs: u32,
    rate: u64,
    duration: Duration,
    kill_at: Option<Duration>,
    connections: u64,
    fanout: u64,
}

fn opts() -> Result<Opts, String> {
    let mut o = Opts {
        server: PathBuf::from("target/release/notify-node"),
        subcommand: None,
        subs: 1000,
        rate: 10_000,
        duration: Duration::from_secs(60),
        kill_at: None,
        connections: 32,
        fanout: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--server" => o.server = v.into(),
            "--subcommand" => o.subcommand = Some(v),
            "--subs" => o.subs = num(&v)? as u32,
            "--rate" => o.rate = num(&v)?,
            "--duration" => o.duration = Duration::from_secs(num(&v)?),
            "--kill-at" => o.kill_at = Some(Duration::from_secs(num(&v)?)),
            "--connections" => o.connections = num(&v)?.max(1),
            "--fanout" => o.fanout = num(&v)?.max(1),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(o)
}

fn spawn(o: &Opts, addr: SocketAddr, dir: &Path) -> Result<Child, String> {
    let server = &o.server;
    Command::new(server)
        .args(o.subcommand.iter())
        .args(["--listen", &addr.to_string(), "--data-dir"])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", server.display()))
}

async fn healthy(addr: SocketAddr) {
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let o = opts()?;
    let dir = std::env::temp_dir().join(format!("fanout-{}", std::process::id()));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut child = spawn(&o, addr, &dir)?;
    healthy(addr).await;
    let client = Client::new(Target::from_addr(addr), None).map_err(|e| e.to_string())?;
    let cfg = ScenarioConfig {
        seed: 1,
        entities: o.subs,
        nonce: u64::from(std::process::id()),
        now_unix: 0,
    };
    let scenario = Arc::new(NotifyFanout::new(&cfg).with_fanout(o.fanout));
    scenario.prepare(&client).await.map_err(|e| e.to_string())?;
    eprintln!(
        "fanout: {} subscriptions ready; driving {} updates/s for {:?}",
        o.subs, o.rate, o.duration
    );
    let sent = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + o.duration;
    let per_task = (o.rate as f64 / BATCH_ENTITIES as f64 / o.connections as f64).max(0.001);
    let mut tasks = Vec::new();
    for task in 0..o.connections as usize {
        let (s, c, sent) = (scenario.clone(), client.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_task));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            while Instant::now() < deadline {
                tick.tick().await;
                let (batch, req) = s.next_batch(task);
                let items = req.items;
                let ok = matches!(tokio::time::timeout(Duration::from_secs(10), c.send(req)).await, Ok(Ok(r)) if r.status.as_u16() == 204);
                if ok {
                    sent.fetch_add(u64::from(items), Ordering::Relaxed);
                } else {
                    s.failed(batch);
                }
            }
        }));
    }
    if let Some(at) = o.kill_at {
        tokio::time::sleep(at).await;
        let _ = child.kill();
        let _ = child.wait();
        eprintln!(
            "fanout: server killed (SIGKILL) at {:?}; restarting",
            started.elapsed()
        );
        child = spawn(&o, addr, &dir)?;
        healthy(addr).await;
        eprintln!("fanout: server back at {:?}", started.elapsed());
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let report = scenario
        .report(Duration::from_secs(3), Duration::from_secs(300))
        .await;
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let mut out = serde_json::to_value(&report).map_err(|e| e.to_string())?;
    out["acknowledged_updates_per_s"] =
        serde_json::json!(sent.load(Ordering::Relaxed) as f64 / elapsed);
    println!(
        "{}",
        serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
    );
    Ok(())
}
