//! How fast history records what the store commits, measured without HTTP in the way: batch
//! upserts (100 sensors x 10 observed numeric channels = 1,000 instances each) are committed to
//! an embedded store while history records them from the store's change feed (live), then
//! again while history is stopped, which it then records from the log (catch-up); the rates are
//! instances per second until they are durable in history's files. Also prints history's
//! on-disk bytes per instance after a final checkpoint.
//!
//! ```text
//! cargo run --release -p history --example ingest_bench -- /var/tmp/tw-ingest 2000
//! ```
//! (directory, number of batches). The directory is deleted at the end.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use history::{History, HistoryConfig};
use ngsi::payload::{EntityBody, parse_entity};
use store::{Op, Store, UpsertMode};

const SENSORS: usize = 2_000;
const PER_BATCH: usize = 100;
const CHANNELS: usize = 10;

fn batch(k: usize, ctx: &ngsi::context::CompiledContext) -> Vec<Op> {
    let blocks = SENSORS / PER_BATCH;
    let (block, round) = (k % blocks, k / blocks);
    let at = ngsi::time::format(1_788_220_800_000_000 + round as i64 * 1_000_000);
    (block * PER_BATCH..(block + 1) * PER_BATCH)
        .map(|n| {
            let mut e = serde_json::json!({"id": format!("urn:ngsi-ld:HistorySensor:b{n:06}"), "type": "HistorySensor"});
            for c in 0..CHANNELS {
                let v = ((n * 31 + c * 7919 + round * 17) % 5_000) as f64 / 100.0;
                e[format!("c{c}")] = serde_json::json!({"type": "Property", "value": v, "observedAt": at});
            }
            let patch = parse_entity(&e, ctx, EntityBody::Complete, None).expect("valid entity");
            Op::Upsert(patch, UpsertMode::Update)
        })
        .collect()
}

/// Commits the batches with 4 concurrent writers; returns the seconds it took.
async fn commit(store: &Arc<dyn Store>, ops: Vec<Vec<Op>>) -> f64 {
    let started = Instant::now();
    let ops = Arc::new(std::sync::Mutex::new(ops));
    let mut lanes = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (store, ops) = (store.clone(), ops.clone());
        lanes.spawn(async move {
            loop {
                let next = ops.lock().expect("lock").pop();
                let Some(b) = next else { break };
                store.apply("", b).await.expect("apply");
            }
        });
    }
    while lanes.join_next().await.is_some() {}
    started.elapsed().as_secs_f64()
}

/// Waits until history has recorded everything the store made durable, and flushed it.
async fn wait_recorded(history: &History, store: &Arc<dyn Store>) {
    let target = store.durable_lsn();
    while history.applied_lsn() < target {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    history.flush().await.expect("flush");
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "/var/tmp/tw-ingest".into()));
    let batches: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(2_000);
    let _ = std::fs::remove_dir_all(&dir);
    let store =
        store::embedded::Embedded::open(&dir.join("store"), Default::default()).expect("store");
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    let contexts = ngsi::context::ContextResolver::open(
        &dir.join("contexts"),
        "http://localhost".into(),
        Default::default(),
    )
    .expect("contexts");
    let ctx = contexts.core();
    let ops: Vec<Vec<Op>> = (0..batches).map(|k| batch(k, &ctx)).collect();
    let instances = (batches * PER_BATCH * CHANNELS) as f64;

    // 1. Live: history runs while the store commits; time until every instance is durable in
    //    history (the store's own commit rate is printed alongside).
    let history = History::open(
        &dir.join("history"),
        shared.clone(),
        HistoryConfig::default(),
    )
    .expect("history");
    let started = Instant::now();
    let store_s = commit(&shared, ops).await;
    wait_recorded(&history, &shared).await;
    let live_s = started.elapsed().as_secs_f64();
    println!(
        "store: {instances} instances committed in {store_s:.2} s = {:.0} instances/s",
        instances / store_s
    );
    println!(
        "history (live): all {instances} durable in history after {live_s:.2} s = {:.0} instances/s",
        instances / live_s
    );
    tokio::task::block_in_place(|| history.close());

    // 2. Catch-up: the store commits while history is away; history then records the backlog
    //    from the store's log (this includes decoding the log records).
    let more: Vec<Vec<Op>> = (batches..2 * batches).map(|k| batch(k, &ctx)).collect();
    commit(&shared, more).await;
    let started = Instant::now();
    let history = History::open(
        &dir.join("history"),
        shared.clone(),
        HistoryConfig::default(),
    )
    .expect("history");
    wait_recorded(&history, &shared).await;
    let hist_s = started.elapsed().as_secs_f64();
    println!(
        "history (catch-up from the log): {instances} instances durable in {hist_s:.2} s = {:.0} instances/s",
        instances / hist_s
    );
    let instances = 2.0 * instances;
    tokio::task::block_in_place(|| history.close());
    let bytes = history.disk_bytes() as f64;
    println!(
        "history on disk: {bytes} bytes = {:.2} bytes/instance",
        bytes / instances
    );
    store.close();
    let _ = std::fs::remove_dir_all(&dir);
}
