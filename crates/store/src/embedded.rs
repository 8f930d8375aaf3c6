//! The embedded backend: the whole twin in memory with its indexes, made durable by a
//! group-committed write-ahead log and periodic snapshots in one data directory. Needs nothing
//! installed. Recovery loads the newest snapshot and replays the log after it.

mod feed;
mod record;
mod snapshot;
mod tenant;
mod value_index;
mod wal;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use ngsi::{Entity, NgsiError, Sym};
use parking_lot::RwLock;
use tokio::sync::broadcast;

use crate::query::{EntityQuery, QueryPage};
use crate::{
    AttributeInfo, BoxFut, Change, CommittedBatch, Op, OpResult, Store, TypeInfo,
    nonexistent_tenant, ops,
};
use tenant::Tenant;
use wal::Wal;

pub use tenant::geometry_bbox_public as geometry_bbox;

/// Tuning of the embedded store.
#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// Start a new log segment after this many bytes.
    pub segment_bytes: u64,
    /// Take a snapshot after this many log bytes since the last one.
    pub snapshot_bytes: u64,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        Self {
            segment_bytes: 64 << 20,
            snapshot_bytes: 256 << 20,
        }
    }
}

#[derive(Default)]
struct State {
    tenants: HashMap<String, Tenant>,
    last_lsn: u64,
}

struct Inner {
    state: RwLock<State>,
    wal: Arc<Wal>,
    changes: broadcast::Sender<CommittedBatch>,
    dir: PathBuf,
    snapshot_lock: parking_lot::Mutex<()>,
    feeds: Arc<feed::FeedRegistry>,
    _dir_lock: File,
}

/// The embedded store. Cheap to clone.
#[derive(Clone)]
pub struct Embedded {
    inner: Arc<Inner>,
}

fn io_error(what: &str, dir: &Path, e: std::io::Error) -> NgsiError {
    NgsiError::internal(format!("{what} in {}: {e}", dir.display()))
}

impl Embedded {
    /// Opens (or creates) the store in `dir`, recovering the acknowledged state.
    pub fn open(dir: &Path, config: EmbeddedConfig) -> Result<Self, NgsiError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| io_error("cannot create the data directory", dir, e))?;
        let dir_lock = lock_dir(dir)?;
        let started = std::time::Instant::now();
        let state = recover(dir)?;
        tracing::info!(
            lsn = state.last_lsn,
            tenants = state.tenants.len(),
            ms = started.elapsed().as_millis() as u64,
            "store recovered"
        );
        let feeds = Arc::new(
            feed::FeedRegistry::load(dir)
                .map_err(|e| io_error("cannot read feed checkpoints", dir, e))?,
        );
        let (changes, _) = broadcast::channel(4096);
        let (snap_tx, snap_rx) = mpsc::sync_channel::<()>(1);
        let since = Arc::new(AtomicU64::new(0));
        let hook = {
            let since = since.clone();
            let threshold = config.snapshot_bytes;
            Box::new(move |n: u64| {
                if since.fetch_add(n, Ordering::Relaxed) + n >= threshold {
                    since.store(0, Ordering::Relaxed);
                    let _ = snap_tx.try_send(());
                }
            })
        };
        let wal = Wal::start(
            dir.to_path_buf(),
            state.last_lsn + 1,
            config.segment_bytes,
            changes.clone(),
            hook,
        )
        .map_err(|e| io_error("cannot open the write-ahead log", dir, e))?;
        let inner = Arc::new(Inner {
            state: RwLock::new(state),
            wal,
            changes,
            dir: dir.to_path_buf(),
            snapshot_lock: parking_lot::Mutex::new(()),
            feeds,
            _dir_lock: dir_lock,
        });
        spawn_snapshotter(Arc::downgrade(&inner), snap_rx);
        Ok(Self { inner })
    }

    /// Writes a snapshot now and drops the log it covers.
    pub fn snapshot(&self) -> Result<(), NgsiError> {
        take_snapshot(&self.inner)
    }

    /// Flushes the log and stops its writer; further writes fail.
    pub fn close(&self) {
        self.inner.wal.shutdown();
    }

    /// Number of entities in a tenant.
    pub fn len(&self, tenant: &str) -> u64 {
        self.inner
            .state
            .read()
            .tenants
            .get(tenant)
            .map_or(0, Tenant::len)
    }

    pub fn is_empty(&self, tenant: &str) -> bool {
        self.len(tenant) == 0
    }

    fn apply_locked(
        &self,
        tenant: &str,
        ops: Vec<Op>,
    ) -> Result<(Vec<OpResult>, Option<u64>), NgsiError> {
        if self.inner.wal.is_failed() {
            return Err(NgsiError::internal(
                "the write-ahead log failed earlier; writes are refused",
            ));
        }
        let mut guard = self.inner.state.write();
        let state = &mut *guard;
        let now = ngsi::time::now();
        let existed = state.tenants.contains_key(tenant);
        let t = state.tenants.entry(tenant.to_string()).or_default();
        let mut results = Vec::with_capacity(ops.len());
        let mut changes = Vec::new();
        for op in &ops {
            let current = t.get(op.entity_id()).cloned();
            match ops::execute(op, current.as_ref(), now) {
                Ok((outcome, change)) => {
                    if let Some(change) = change {
                        apply_change(t, &change);
                        changes.push(change);
                    }
                    results.push(Ok(outcome));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        if changes.is_empty() {
            if !existed {
                state.tenants.remove(tenant);
            }
            return Ok((results, None));
        }
        state.last_lsn += 1;
        let lsn = state.last_lsn;
        metrics::counter!(crate::metrics::ENTITY_CHANGES).increment(changes.len() as u64);
        let payload = record::encode(tenant, &changes);
        let batch = CommittedBatch {
            lsn,
            tenant: tenant.into(),
            changes: Arc::new(changes),
        };
        self.inner.wal.append(lsn, &payload, batch);
        Ok((results, Some(lsn)))
    }

    /// Builds value indexes that queries keep asking for, off the request path. The build holds
    /// the write lock for one scan of the tenant.
    fn build_indexes_later(&self, tenant: &str, attrs: Vec<Sym>) {
        let (store, tenant) = (self.clone(), tenant.to_string());
        let build = move || {
            let mut state = store.inner.state.write();
            if let Some(t) = state.tenants.get_mut(&tenant) {
                for a in &attrs {
                    let started = std::time::Instant::now();
                    t.build_value_index(a);
                    tracing::info!(attribute = %a, ms = started.elapsed().as_millis() as u64, "value index built");
                }
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn_blocking(build);
            }
            Err(_) => build(),
        }
    }

    fn read_tenant<T>(&self, tenant: &str, f: impl FnOnce(&Tenant) -> T) -> Result<T, NgsiError> {
        /// The default tenant before its first write: it exists, and it is empty.
        static EMPTY: std::sync::LazyLock<Tenant> = std::sync::LazyLock::new(Tenant::default);
        let state = self.inner.state.read();
        match state.tenants.get(tenant) {
            Some(t) => Ok(f(t)),
            None if tenant.is_empty() => Ok(f(&EMPTY)),
            None => Err(nonexistent_tenant(tenant)),
        }
    }
}

fn lock_dir(dir: &Path) -> Result<File, NgsiError> {
    let path = dir.join("LOCK");
    let file = File::create(&path).map_err(|e| io_error("cannot create the lock file", dir, e))?;
    file.try_lock().map_err(|_| {
        NgsiError::internal(format!(
            "the data directory {} is in use by another twinisle process",
            dir.display()
        ))
    })?;
    Ok(file)
}

fn apply_change(t: &mut Tenant, change: &Change) {
    match (&change.before, &change.after) {
        (_, Some(after)) => t.put(after.clone()),
        (Some(before), None) => {
            t.remove(&before.id);
        }
        (None, None) => {}
    }
}

fn recover(dir: &Path) -> Result<State, NgsiError> {
    let mut state = State::default();
    for (_, path) in snapshot::list(dir).map_err(|e| io_error("cannot list snapshots", dir, e))? {
        match snapshot::read(&path) {
            Ok(image) => {
                load_image(&mut state, image);
                break;
            }
            Err(e) => tracing::warn!(%e, "skipping unreadable snapshot"),
        }
    }
    replay_log(dir, &mut state)?;
    Ok(state)
}

fn load_image(state: &mut State, image: snapshot::Image) {
    state.last_lsn = image.lsn;
    for (name, next_row, rows) in image.tenants {
        let t = state.tenants.entry(name).or_default();
        for (row, e) in rows {
            t.put_at(row, e);
        }
        t.reserve_rows(next_row);
    }
}

fn replay_log(dir: &Path, state: &mut State) -> Result<(), NgsiError> {
    let segments = wal::segments(dir).map_err(|e| io_error("cannot list log segments", dir, e))?;
    let mut decoder = crate::codec::Decoder::default();
    for (i, (_, path)) in segments.iter().enumerate() {
        let (records, valid) =
            wal::read_segment(path).map_err(|e| io_error("cannot read the log", dir, e))?;
        for (lsn, payload) in records {
            if lsn <= state.last_lsn {
                continue;
            }
            replay_record(state, &mut decoder, &payload)?;
            state.last_lsn = lsn;
        }
        let len = std::fs::metadata(path)
            .map_err(|e| io_error("cannot stat the log", dir, e))?
            .len();
        if valid < len {
            if i + 1 < segments.len() {
                return Err(NgsiError::internal(format!(
                    "log segment {} is corrupt at byte {valid} and later segments exist; refusing to guess",
                    path.display()
                )));
            }
            tracing::warn!(segment = %path.display(), valid, len, "cutting a torn log tail (an unacknowledged write)");
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| io_error("cannot open the log", dir, e))?;
            f.set_len(valid)
                .and_then(|_| f.sync_all())
                .map_err(|e| io_error("cannot truncate the log", dir, e))?;
        }
    }
    Ok(())
}

fn replay_record(
    state: &mut State,
    decoder: &mut crate::codec::Decoder,
    payload: &[u8],
) -> Result<(), NgsiError> {
    let (tenant, changes) = record::decode_with(decoder, payload)?;
    let t = state.tenants.entry(tenant).or_default();
    for change in &changes {
        apply_change(t, change);
    }
    Ok(())
}

fn spawn_snapshotter(inner: std::sync::Weak<Inner>, rx: mpsc::Receiver<()>) {
    let _ = std::thread::Builder::new().name("twinisle-snapshot".into()).spawn(move || {
        while rx.recv().is_ok() {
            let Some(inner) = inner.upgrade() else { return };
            if let Err(e) = take_snapshot(&inner) {
                tracing::error!(%e, "snapshot failed; the log keeps growing until one succeeds");
            }
        }
    });
}

fn take_snapshot(inner: &Inner) -> Result<(), NgsiError> {
    let _one_at_a_time = inner.snapshot_lock.lock();
    let image = {
        let state = inner.state.read();
        let tenants = state
            .tenants
            .iter()
            .map(|(name, t)| {
                (
                    name.clone(),
                    t.next_row(),
                    t.rows().map(|(r, e)| (r, e.clone())).collect(),
                )
            })
            .collect();
        snapshot::Image {
            lsn: state.last_lsn,
            tenants,
        }
    };
    // The image may hold records still being fsynced; wait so a snapshot never gets ahead of the log.
    while inner.wal.durable_lsn() < image.lsn && !inner.wal.is_failed() {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let started = std::time::Instant::now();
    snapshot::write(&inner.dir, &image)
        .map_err(|e| io_error("cannot write a snapshot", &inner.dir, e))?;
    let keep_after = inner
        .feeds
        .min_acked()
        .map_or(image.lsn, |f| f.min(image.lsn));
    drop_covered_segments(&inner.dir, keep_after)
        .map_err(|e| io_error("cannot remove old log segments", &inner.dir, e))?;
    tracing::info!(
        lsn = image.lsn,
        ms = started.elapsed().as_millis() as u64,
        "snapshot written"
    );
    metrics::histogram!(crate::metrics::SNAPSHOT_SECONDS).record(started.elapsed().as_secs_f64());
    Ok(())
}

/// Removes segments whose every record is at or before `lsn` (never the newest segment).
fn drop_covered_segments(dir: &Path, lsn: u64) -> std::io::Result<()> {
    let segments = wal::segments(dir)?;
    for pair in segments.windows(2) {
        if pair[1].0 <= lsn + 1 {
            std::fs::remove_file(&pair[0].1)?;
        }
    }
    Ok(())
}

impl Store for Embedded {
    fn apply<'a>(
        &'a self,
        tenant: &'a str,
        ops: Vec<Op>,
    ) -> BoxFut<'a, Result<Vec<OpResult>, NgsiError>> {
        Box::pin(async move {
            let (results, lsn) = self.apply_locked(tenant, ops)?;
            if let Some(lsn) = lsn {
                self.inner.wal.wait_durable(lsn).await?;
            }
            Ok(results)
        })
    }

    fn get<'a>(
        &'a self,
        tenant: &'a str,
        id: &'a str,
    ) -> BoxFut<'a, Result<Option<Arc<Entity>>, NgsiError>> {
        Box::pin(async move { self.read_tenant(tenant, |t| t.get(id).cloned()) })
    }

    fn query<'a>(
        &'a self,
        tenant: &'a str,
        q: &'a EntityQuery,
    ) -> BoxFut<'a, Result<QueryPage, NgsiError>> {
        Box::pin(async move {
            let (page, wanted) = self.read_tenant(tenant, |t| (t.query(q), t.wanted_indexes()))?;
            if !wanted.is_empty() {
                self.build_indexes_later(tenant, wanted);
            }
            Ok(page)
        })
    }

    fn types<'a>(&'a self, tenant: &'a str) -> BoxFut<'a, Result<Vec<(Sym, TypeInfo)>, NgsiError>> {
        Box::pin(async move { self.read_tenant(tenant, Tenant::types) })
    }

    fn attributes<'a>(
        &'a self,
        tenant: &'a str,
    ) -> BoxFut<'a, Result<Vec<(Sym, AttributeInfo)>, NgsiError>> {
        Box::pin(async move { self.read_tenant(tenant, Tenant::attributes) })
    }

    fn tenant_exists(&self, tenant: &str) -> bool {
        tenant.is_empty() || self.inner.state.read().tenants.contains_key(tenant)
    }

    fn tenants(&self) -> Vec<String> {
        let mut v: Vec<String> = self.inner.state.read().tenants.keys().cloned().collect();
        v.sort();
        v
    }

    fn subscribe(&self) -> broadcast::Receiver<CommittedBatch> {
        self.inner.changes.subscribe()
    }

    fn feed(&self, consumer: &str) -> Result<Box<dyn crate::Feed>, NgsiError> {
        let rx = self.inner.changes.subscribe();
        let f = feed::LogFeed::open(
            consumer,
            &self.inner.dir,
            rx,
            self.inner.wal.clone(),
            self.inner.feeds.clone(),
        )?;
        Ok(Box::new(f))
    }

    fn durable_lsn(&self) -> u64 {
        self.inner.wal.durable_lsn()
    }
}
