//! The durable outbox: every notification is written (and fsynced) to an append-only segment
//! file before it is handed to delivery, together with a mark of the change-feed position it was
//! matched through. After a crash, [`Outbox::open`] finds every entry a subscription has not yet
//! acknowledged (its cursor) and the feed position to resume matching after.
//!
//! Owns the files under `dir/outbox/` and the memory budget for bodies kept in RAM. Must not
//! decide what to send or when (delivery does), and never deletes a segment that still holds an
//! undelivered entry.

mod record;
mod writer;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use ngsi::NgsiError;
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;
use crate::subscription::{Accept, SubKey};
use record::Record;

pub use writer::Dispatch;

/// One notification to write.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub key: SubKey,
    pub lsn: u64,
    pub accept: Accept,
    pub link: Arc<str>,
    pub notification_id: Arc<str>,
    pub body: Bytes,
}

/// A durable notification waiting for delivery.
#[derive(Debug, Clone)]
pub struct Pending {
    pub seq: u64,
    pub seg: u64,
    pub offset: u64,
    pub len: u32,
    pub accept: Accept,
    pub link: Arc<str>,
    pub notification_id: Arc<str>,
    /// The body, when the memory budget allowed keeping it; else it is read from the segment.
    pub body: Option<Bytes>,
    /// When it became durable (for the update-to-delivery latency metric).
    pub queued_at: Instant,
}

struct Segment {
    file: Arc<File>,
    path: PathBuf,
    pending: usize,
}

/// What recovery found.
pub struct Recovered {
    /// Undelivered entries of live subscriptions, in sequence order.
    pub pending: Vec<(SubKey, Pending)>,
    /// The feed position every entry on disk was matched through.
    pub matched_lsn: u64,
}

/// The outbox. Shared by the matcher (appends), delivery (reads, releases) and the checkpoint.
pub struct Outbox {
    dir: PathBuf,
    segments: Mutex<BTreeMap<u64, Segment>>,
    active: AtomicU64,
    next_seq: AtomicU64,
    cached_bytes: AtomicUsize,
    budget: usize,
    tx: Mutex<Option<mpsc::Sender<writer::WriteReq>>>,
    metrics: Arc<Metrics>,
}

impl Outbox {
    /// Opens `dir/outbox`, recovering what is undelivered: entries whose sequence number is
    /// above their subscription's cursor, for subscriptions `live` accepts.
    pub fn open(
        dir: &Path,
        cursors: &HashMap<SubKey, u64>,
        next_seq_floor: u64,
        budget: usize,
        metrics: Arc<Metrics>,
        live: &dyn Fn(&SubKey) -> bool,
    ) -> Result<(Arc<Self>, Recovered), NgsiError> {
        let dir = dir.join("outbox");
        std::fs::create_dir_all(&dir).map_err(|e| io("create", &dir, e))?;
        let out = Self {
            dir: dir.clone(),
            segments: Mutex::new(BTreeMap::new()),
            active: AtomicU64::new(0),
            next_seq: AtomicU64::new(next_seq_floor.max(1)),
            cached_bytes: AtomicUsize::new(0),
            budget,
            tx: Mutex::new(None),
            metrics,
        };
        let mut rec = Recovered {
            pending: Vec::new(),
            matched_lsn: 0,
        };
        for (id, path) in segment_files(&dir)? {
            out.recover_segment(id, &path, cursors, live, &mut rec)?;
        }
        rec.pending.sort_by_key(|(_, p)| p.seq);
        Ok((Arc::new(out), rec))
    }

    fn recover_segment(
        &self,
        id: u64,
        path: &Path,
        cursors: &HashMap<SubKey, u64>,
        live: &dyn Fn(&SubKey) -> bool,
        rec: &mut Recovered,
    ) -> Result<(), NgsiError> {
        let file = File::options()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| io("open", path, e))?;
        let (records, valid) = record::read_all(&mut std::io::BufReader::new(&file))
            .map_err(|e| io("read", path, e))?;
        // A torn tail was never acknowledged to anyone: drop it so the file reads cleanly.
        file.set_len(valid).map_err(|e| io("truncate", path, e))?;
        let mut pending = 0;
        for r in records {
            match r {
                Record::Mark { lsn, next_seq } => {
                    rec.matched_lsn = rec.matched_lsn.max(lsn);
                    self.next_seq.fetch_max(next_seq, Ordering::Relaxed);
                }
                Record::Entry(h) => {
                    self.next_seq.fetch_max(h.seq + 1, Ordering::Relaxed);
                    rec.matched_lsn = rec.matched_lsn.max(h.lsn);
                    let done = cursors.get(&h.key).is_some_and(|c| *c >= h.seq);
                    if done || !live(&h.key) {
                        continue;
                    }
                    pending += 1;
                    rec.pending.push((h.key.clone(), pending_of(h, id)));
                }
            }
        }
        self.segments.lock().insert(
            id,
            Segment {
                file: Arc::new(file),
                path: path.to_path_buf(),
                pending,
            },
        );
        Ok(())
    }

    /// Starts the writer thread on a new segment, first writing a mark of `matched_lsn`.
    pub fn start_writer(
        self: &Arc<Self>,
        matched_lsn: u64,
        segment_bytes: u64,
        dispatch: Arc<dyn Dispatch>,
    ) -> Result<(), NgsiError> {
        let id = self.segments.lock().keys().next_back().map_or(1, |k| k + 1);
        let w = writer::Writer::create(self.clone(), id, segment_bytes)?;
        let (tx, rx) = mpsc::channel(1024);
        *self.tx.lock() = Some(tx);
        w.start(rx, matched_lsn, dispatch)?;
        self.collect_garbage();
        Ok(())
    }

    /// Durably appends entries (and a mark of `mark_lsn`), then hands them to dispatch in
    /// sequence order. Resolves once they are on disk.
    pub async fn append(
        &self,
        entries: Vec<NewEntry>,
        mark_lsn: Option<u64>,
    ) -> Result<(), NgsiError> {
        let tx = self
            .tx
            .lock()
            .clone()
            .ok_or_else(|| NgsiError::internal("the outbox is closed"))?;
        let (done, rx) = oneshot::channel();
        let req = writer::WriteReq {
            entries,
            mark_lsn,
            done,
        };
        tx.send(req)
            .await
            .map_err(|_| NgsiError::internal("the outbox writer stopped"))?;
        rx.await
            .map_err(|_| NgsiError::internal("the outbox writer stopped"))?
    }

    /// Stops accepting appends; the writer thread ends after the queued ones.
    pub fn close(&self) {
        self.tx.lock().take();
    }

    /// The body of a pending entry, from memory or from its segment.
    pub fn body(&self, p: &Pending) -> Result<Bytes, NgsiError> {
        if let Some(b) = &p.body {
            return Ok(b.clone());
        }
        let file = self
            .segments
            .lock()
            .get(&p.seg)
            .map(|s| s.file.clone())
            .ok_or_else(|| NgsiError::internal(format!("outbox segment {} is gone", p.seg)))?;
        let mut buf = vec![0u8; p.len as usize];
        // A small read, normally from the page cache; only taken for entries queued beyond the
        // memory budget.
        file.read_exact_at(&mut buf, p.offset).map_err(|e| {
            NgsiError::internal(format!("cannot read outbox segment {}: {e}", p.seg))
        })?;
        Ok(Bytes::from(buf))
    }

    /// Records that a pending entry is finished (delivered, dead-lettered or dropped).
    pub fn release(&self, p: &Pending) {
        if let Some(b) = &p.body {
            self.cached_bytes.fetch_sub(b.len(), Ordering::Relaxed);
        }
        let mut segs = self.segments.lock();
        if let Some(s) = segs.get_mut(&p.seg) {
            s.pending = s.pending.saturating_sub(1);
        }
        drop(segs);
        self.collect_garbage();
    }

    /// Deletes finished segments other than the active one.
    fn collect_garbage(&self) {
        let active = self.active.load(Ordering::Acquire);
        let done: Vec<Segment> = {
            let mut segs = self.segments.lock();
            let ids: Vec<u64> = segs
                .iter()
                .filter(|(id, s)| s.pending == 0 && **id != active)
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter().filter_map(|id| segs.remove(&id)).collect()
        };
        for s in done {
            if let Err(e) = std::fs::remove_file(&s.path) {
                tracing::warn!(path = %s.path.display(), %e, "cannot delete a finished outbox segment");
            }
        }
    }

    /// The next sequence number (saved with the cursors so numbering never goes back).
    pub fn next_seq(&self) -> u64 {
        self.next_seq.load(Ordering::Relaxed)
    }

    /// Segment files on disk.
    #[cfg(test)]
    pub fn segment_count(&self) -> usize {
        self.segments.lock().len()
    }

    /// Keeps `body` in memory if the budget allows.
    fn cache(&self, body: &Bytes) -> Option<Bytes> {
        let n = body.len();
        let before = self.cached_bytes.fetch_add(n, Ordering::Relaxed);
        if before + n <= self.budget {
            Some(body.clone())
        } else {
            self.cached_bytes.fetch_sub(n, Ordering::Relaxed);
            self.metrics.add(&self.metrics.spilled, 1);
            None
        }
    }
}

fn pending_of(h: record::EntryHead, seg: u64) -> Pending {
    Pending {
        seq: h.seq,
        seg,
        offset: h.body_offset,
        len: h.body_len,
        accept: Accept::from_code(h.accept),
        link: h.link.into(),
        notification_id: h.notification_id.into(),
        body: None,
        queued_at: Instant::now(),
    }
}

fn segment_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>, NgsiError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io("list", dir, e))? {
        let path = entry.map_err(|e| io("list", dir, e))?.path();
        let id = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".seg"))
            .and_then(|n| u64::from_str_radix(n, 16).ok());
        if let Some(id) = id {
            out.push((id, path));
        }
    }
    out.sort();
    Ok(out)
}

fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:016x}.seg"))
}

fn io(what: &str, path: &Path, e: std::io::Error) -> NgsiError {
    NgsiError::internal(format!("outbox: cannot {what} {}: {e}", path.display()))
}

/// fsyncs a directory so that created and renamed files in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests;
