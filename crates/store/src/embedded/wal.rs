//! The write-ahead log: length-prefixed, checksummed records in numbered segment files, written by
//! one thread that batches every record queued while the previous fsync ran into the next one
//! (group commit). A record is acknowledged only once `fdatasync` has returned for it.
//!
//! Frame: `len: u32 LE | crc32(lsn ‖ payload): u32 LE | lsn: u64 LE | payload` where `len`
//! counts the lsn and payload. A torn or corrupt tail is cut off at recovery.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::{Condvar, Mutex};
use tokio::sync::{broadcast, watch};

use crate::CommittedBatch;

const HEADER: usize = 16;
/// The largest record accepted on read; anything larger is corruption.
const MAX_RECORD: usize = 1 << 30;

pub(crate) fn segment_path(dir: &Path, first_lsn: u64) -> PathBuf {
    dir.join(format!("wal-{first_lsn:020}.log"))
}

/// Segment files in the directory, sorted by their first lsn.
pub(crate) fn segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if let Some(n) = name
            .strip_prefix("wal-")
            .and_then(|n| n.strip_suffix(".log"))
            && let Ok(lsn) = n.parse()
        {
            out.push((lsn, path));
        }
    }
    out.sort();
    Ok(out)
}

/// Appends one framed record to `buf`.
pub(crate) fn frame(buf: &mut Vec<u8>, lsn: u64, payload: &[u8]) {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&lsn.to_le_bytes());
    crc.update(payload);
    buf.extend_from_slice(&((payload.len() + 8) as u32).to_le_bytes());
    buf.extend_from_slice(&crc.finalize().to_le_bytes());
    buf.extend_from_slice(&lsn.to_le_bytes());
    buf.extend_from_slice(payload);
}

/// Reads the valid records of a segment; returns them and the byte length of the valid prefix.
/// A log record: its lsn and payload.
pub(crate) type Record = (u64, Vec<u8>);

pub(crate) fn read_segment(path: &Path) -> io::Result<(Vec<Record>, u64)> {
    let mut data = Vec::new();
    File::open(path)?.read_to_end(&mut data)?;
    let (mut records, mut pos) = (Vec::new(), 0usize);
    while let Some((lsn, payload, next)) = next_frame(&data, pos) {
        records.push((lsn, payload.to_vec()));
        pos = next;
    }
    Ok((records, pos as u64))
}

/// Parses the frame at `pos`, if it is complete and its checksum holds.
pub(crate) fn next_frame(data: &[u8], pos: usize) -> Option<(u64, &[u8], usize)> {
    let head = data.get(pos..pos + HEADER)?;
    let len = u32::from_le_bytes(head[0..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(head[4..8].try_into().ok()?);
    if !(8..=MAX_RECORD).contains(&len) {
        return None;
    }
    let body = data.get(pos + 8..pos + 8 + len)?;
    if crc32fast::hash(body) != crc {
        return None;
    }
    let lsn = u64::from_le_bytes(body[0..8].try_into().ok()?);
    Some((lsn, &body[8..], pos + 8 + len))
}

/// Makes a rename or a new file in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

struct Pending {
    buf: Vec<u8>,
    batches: Vec<CommittedBatch>,
    last_lsn: u64,
    shutdown: bool,
}

/// The log as seen by writers: queue a record, then wait for it to be durable.
pub(crate) struct Wal {
    pending: Mutex<Pending>,
    wake: Condvar,
    durable: watch::Sender<u64>,
    failed: AtomicBool,
}

/// Where the writer thread tells the store that a segment holds no record after `lsn`.
pub(crate) type SegmentHook = Box<dyn Fn(u64) + Send>;

impl Wal {
    /// Starts the writer thread, appending to a new segment that begins at `next_lsn`.
    pub fn start(
        dir: PathBuf,
        next_lsn: u64,
        segment_bytes: u64,
        published: broadcast::Sender<CommittedBatch>,
        on_bytes: SegmentHook,
    ) -> io::Result<Arc<Wal>> {
        let (durable, _) = watch::channel(next_lsn.saturating_sub(1));
        let wal = Arc::new(Wal {
            pending: Mutex::new(Pending {
                buf: Vec::new(),
                batches: Vec::new(),
                last_lsn: 0,
                shutdown: false,
            }),
            wake: Condvar::new(),
            durable,
            failed: AtomicBool::new(false),
        });
        let file = open_segment(&dir, next_lsn)?;
        let writer = Writer {
            wal: wal.clone(),
            dir,
            file,
            size: 0,
            segment_bytes,
            published,
            on_bytes,
        };
        std::thread::Builder::new()
            .name("twinisle-wal".into())
            .spawn(move || writer.run())?;
        Ok(wal)
    }

    /// Queues a framed record. Called with the state lock held, so lsn order is commit order.
    pub fn append(&self, lsn: u64, payload: &[u8], batch: CommittedBatch) {
        let mut p = self.pending.lock();
        frame(&mut p.buf, lsn, payload);
        p.batches.push(batch);
        p.last_lsn = lsn;
        drop(p);
        self.wake.notify_one();
    }

    /// Resolves once `lsn` is durable; errors if the log can no longer write.
    pub async fn wait_durable(&self, lsn: u64) -> Result<(), ngsi::NgsiError> {
        let mut rx = self.durable.subscribe();
        let failed = || self.failed.load(Ordering::Acquire);
        let res = rx.wait_for(|d| *d >= lsn || failed()).await;
        if res.is_err() || failed() {
            return Err(ngsi::NgsiError::internal(
                "the write-ahead log failed; the write was not made durable",
            ));
        }
        Ok(())
    }

    pub fn is_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// Asks the writer to flush what is queued and stop.
    pub fn shutdown(&self) {
        self.pending.lock().shutdown = true;
        self.wake.notify_one();
    }

    pub fn durable_lsn(&self) -> u64 {
        *self.durable.borrow()
    }
}

fn open_segment(dir: &Path, first_lsn: u64) -> io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(segment_path(dir, first_lsn))?;
    sync_dir(dir)?;
    Ok(file)
}

struct Writer {
    wal: Arc<Wal>,
    dir: PathBuf,
    file: File,
    size: u64,
    segment_bytes: u64,
    published: broadcast::Sender<CommittedBatch>,
    on_bytes: SegmentHook,
}

impl Writer {
    fn run(mut self) {
        let mut spare = Vec::new();
        loop {
            let (batches, last_lsn, shutdown) = {
                let mut p = self.wal.pending.lock();
                while p.buf.is_empty() && !p.shutdown {
                    self.wal.wake.wait(&mut p);
                }
                std::mem::swap(&mut p.buf, &mut spare);
                (std::mem::take(&mut p.batches), p.last_lsn, p.shutdown)
            };
            if !spare.is_empty() {
                if let Err(err) = self.write(&spare, last_lsn) {
                    tracing::error!(%err, "write-ahead log write failed; refusing further writes");
                    self.wal.failed.store(true, Ordering::Release);
                    self.wal.durable.send_modify(|_| {});
                    return;
                }
                spare.clear();
                self.wal.durable.send_replace(last_lsn);
                for b in batches {
                    // No receivers is fine: nothing consumes changes yet.
                    let _ = self.published.send(b);
                }
            }
            if shutdown {
                return;
            }
        }
    }

    fn write(&mut self, bytes: &[u8], last_lsn: u64) -> io::Result<()> {
        let started = std::time::Instant::now();
        self.file.write_all(bytes)?;
        self.file.sync_data()?;
        metrics::histogram!(crate::metrics::WAL_SYNC_SECONDS)
            .record(started.elapsed().as_secs_f64());
        metrics::counter!(crate::metrics::WAL_BYTES).increment(bytes.len() as u64);
        metrics::counter!(crate::metrics::WAL_GROUP_COMMITS).increment(1);
        self.size += bytes.len() as u64;
        (self.on_bytes)(bytes.len() as u64);
        if self.size >= self.segment_bytes {
            self.file = open_segment(&self.dir, last_lsn + 1)?;
            self.size = 0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_a_torn_tail_is_cut() {
        let mut buf = Vec::new();
        frame(&mut buf, 1, b"one");
        frame(&mut buf, 2, b"two");
        let full = buf.len();
        frame(&mut buf, 3, b"three");
        buf.truncate(buf.len() - 2);
        let dir = tempfile::tempdir().unwrap();
        let path = segment_path(dir.path(), 1);
        std::fs::write(&path, &buf).unwrap();
        let (records, valid) = read_segment(&path).unwrap();
        assert_eq!(records, vec![(1, b"one".to_vec()), (2, b"two".to_vec())]);
        assert_eq!(valid as usize, full);
    }

    #[test]
    fn a_flipped_bit_ends_the_valid_prefix() {
        let mut buf = Vec::new();
        frame(&mut buf, 7, b"payload");
        buf[HEADER + 2] ^= 1;
        assert!(next_frame(&buf, 0).is_none());
    }
}
