//! The history's only writer: a dedicated thread that reads the store's durable change feed,
//! records every commit, flushes on a timer (or when the memtable is full), runs the temporal
//! API's writes as jobs, drops expired partitions, and acknowledges the feed only for commits
//! that are completely on disk.
//!
//! The feed is read by its own task and handed over a bounded channel, so the applier never
//! cancels a `Feed::next` in flight. A crash loses nothing: the feed replays from the last
//! acknowledgement and recording skips what is already on disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ngsi::NgsiError;
use store::{CommittedBatch, Feed, Store};
use tokio::sync::{mpsc, watch};

use crate::db::Db;
use crate::write::MetaCache;

/// The name of history's durable feed in the store.
pub const FEED: &str = "history";
/// Batches buffered between the feed reader and the applier.
const BATCH_QUEUE: usize = 256;
/// Jobs queued for the applier.
pub const JOB_QUEUE: usize = 1024;

/// Work for the applier thread.
pub type Job = Box<dyn FnOnce(&Db) + Send>;

/// Starts the applier thread.
pub fn start(
    db: Arc<Db>,
    store: Arc<dyn Store>,
    jobs: mpsc::Receiver<Job>,
    stop: watch::Receiver<bool>,
) -> Result<std::thread::JoinHandle<()>, NgsiError> {
    let feed = store.feed(FEED)?;
    db.set_applied(feed.position());
    std::thread::Builder::new()
        .name("twinisle-history".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(%e, "history: cannot start its runtime; history is not recorded");
                    return;
                }
            };
            rt.block_on(run(db, feed, jobs, stop));
        })
        .map_err(|e| NgsiError::internal(format!("history: cannot start its thread: {e}")))
}

/// Reads the feed, forwarding batches, and acknowledges what the applier says is on disk.
async fn read_feed(mut feed: Box<dyn Feed>, tx: mpsc::Sender<CommittedBatch>, ack: Arc<AtomicU64>) {
    let mut acked = feed.position();
    loop {
        let want = ack.load(Ordering::Acquire);
        if want > acked {
            match feed.ack(want) {
                Ok(()) => acked = want,
                Err(e) => tracing::warn!(%e, "history: cannot acknowledge the change feed"),
            }
        }
        let batch = match feed.next().await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(%e, "history: the change feed failed; recording stops");
                return;
            }
        };
        if tx.send(batch).await.is_err() {
            return;
        }
    }
}

async fn run(
    db: Arc<Db>,
    feed: Box<dyn Feed>,
    mut jobs: mpsc::Receiver<Job>,
    mut stop: watch::Receiver<bool>,
) {
    let (tx, mut batches) = mpsc::channel(BATCH_QUEUE);
    let ack = Arc::new(AtomicU64::new(0));
    let reader = tokio::spawn(read_feed(feed, tx, ack.clone()));
    let mut cache = MetaCache::new();
    let mut tick = tokio::time::interval(db.settings.flush_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next_retention = Instant::now();
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            Some(job) = jobs.recv() => job(&db),
            Some(b) = batches.recv() => {
                db.apply_batch(&b, ngsi::time::now(), &mut cache);
                if db.mem.lock().len() >= db.settings.max_buffered {
                    flush(&db, &ack);
                }
            }
            _ = tick.tick() => {
                flush(&db, &ack);
                if Instant::now() >= next_retention {
                    next_retention = Instant::now() + db.settings.retention_check;
                    if let Err(e) = db.drop_expired(ngsi::time::now()) {
                        tracing::error!(%e, "history: dropping expired partitions failed");
                    }
                    db.checkpoint_all();
                }
            }
        }
    }
    // Record what is already queued, then write everything out.
    while let Ok(b) = batches.try_recv() {
        db.apply_batch(&b, ngsi::time::now(), &mut cache);
    }
    while let Ok(job) = jobs.try_recv() {
        job(&db);
    }
    flush(&db, &ack);
    db.checkpoint_all();
    reader.abort();
}

fn flush(db: &Db, ack: &AtomicU64) {
    let started = Instant::now();
    match db.flush() {
        Ok(lsn) => {
            ack.fetch_max(lsn, Ordering::AcqRel);
            let took = started.elapsed();
            if took > Duration::from_secs(1) {
                tracing::warn!(ms = took.as_millis() as u64, "history: slow flush");
            }
        }
        Err(e) => tracing::error!(%e, "history: flush failed; will retry"),
    }
}
