//! [`History`]: the handle the rest of twinisle holds. Opening it recovers the files and starts
//! the applier; reads run on the blocking pool against the files and the memtable; writes are
//! jobs for the applier thread. Closing flushes and stops the applier.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use ngsi::NgsiError;
use parking_lot::Mutex;
use store::Store;
use tokio::sync::{mpsc, oneshot, watch};

use crate::applier::{self, JOB_QUEUE, Job};
use crate::config::HistoryConfig;
use crate::db::Db;

/// The attribute history of a twin, and the temporal API's access to it. Cheap to clone.
#[derive(Clone)]
pub struct History {
    inner: Arc<Inner>,
}

struct Inner {
    db: Arc<Db>,
    store: Arc<dyn Store>,
    jobs: mpsc::Sender<Job>,
    stop: watch::Sender<bool>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl History {
    /// Opens (or creates) the history in `dir` and starts recording `store`'s commits from its
    /// durable feed `history`. A store that already has data when history is first opened is
    /// recorded from that point on.
    pub fn open(
        dir: &Path,
        store: Arc<dyn Store>,
        config: HistoryConfig,
    ) -> Result<Self, NgsiError> {
        let settings = config.settings()?;
        let db = Arc::new(Db::open(dir, settings)?);
        let (jobs_tx, jobs_rx) = mpsc::channel(JOB_QUEUE);
        let (stop_tx, stop_rx) = watch::channel(false);
        let thread = applier::start(db.clone(), store.clone(), jobs_rx, stop_rx)?;
        tracing::info!(dir = %dir.display(), recorded_lsn = db.recorded_lsn(), "history opened");
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                store,
                jobs: jobs_tx,
                stop: stop_tx,
                thread: Mutex::new(Some(thread)),
            }),
        })
    }

    pub(crate) fn db(&self) -> &Arc<Db> {
        &self.inner.db
    }

    /// Waits (at most the configured catch-up timeout) until every commit the store had made
    /// durable when called is recorded, so a temporal read shows every acknowledged write.
    pub async fn catch_up(&self) {
        let target = self.inner.store.durable_lsn();
        let mut rx = self.inner.db.applied.subscribe();
        if *rx.borrow() >= target || self.is_closed() {
            return;
        }
        let wait = rx.wait_for(|lsn| *lsn >= target);
        if tokio::time::timeout(self.inner.db.settings.catch_up, wait)
            .await
            .is_err()
        {
            tracing::warn!(
                target,
                applied = self.inner.db.applied_lsn(),
                "history: answering a temporal read before it caught up with the store"
            );
        }
    }

    fn is_closed(&self) -> bool {
        self.inner
            .thread
            .lock()
            .as_ref()
            .is_none_or(|t| t.is_finished())
    }

    /// Runs `f` on the applier thread (the only writer) and returns its result.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Db) -> Result<T, NgsiError> + Send + 'static,
    ) -> Result<T, NgsiError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |db| {
            let _ = tx.send(f(db));
        });
        self.inner
            .jobs
            .send(job)
            .await
            .map_err(|_| NgsiError::internal("history: the applier has stopped"))?;
        rx.await
            .map_err(|_| NgsiError::internal("history: the applier stopped during a write"))?
    }

    /// Runs a read on the blocking pool.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Db) -> Result<T, NgsiError> + Send + 'static,
    ) -> Result<T, NgsiError> {
        let db = self.inner.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| NgsiError::internal(format!("history: a read failed: {e}")))?
    }

    /// Writes every recorded instance to disk now; returns the lsn completely on disk.
    pub async fn flush(&self) -> Result<u64, NgsiError> {
        self.write(|db| db.flush()).await
    }

    /// The lsn of the last commit recorded (in memory or on disk).
    pub fn applied_lsn(&self) -> u64 {
        self.inner.db.applied_lsn()
    }

    /// Bytes the history occupies on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.inner.db.disk_bytes()
    }

    /// Drops partitions past their retention now (also done periodically); returns how many.
    pub async fn drop_expired(&self) -> Result<usize, NgsiError> {
        self.write(|db| db.drop_expired(ngsi::time::now())).await
    }

    /// Flushes and stops the applier; blocks until it has stopped. Call before closing the
    /// store. Reads keep working on what is on disk.
    pub fn close(&self) {
        let _ = self.inner.stop.send(true);
        let handle = self.inner.thread.lock().take();
        if let Some(h) = handle {
            let started = Instant::now();
            if h.join().is_err() {
                tracing::error!("history: the applier thread panicked");
            }
            tracing::info!(ms = started.elapsed().as_millis() as u64, "history closed");
        }
    }
}
