//! The outbox writer thread: group commit. It takes every queued append, writes them to the
//! active segment with one mark, fsyncs once, and only then hands the entries to delivery, in
//! sequence order (so every subscription's queue is in sequence order whoever appended).
//! A failed write is cut off the file again, so a later append never lands after a torn record.

use std::fs::File;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use ngsi::NgsiError;
use tokio::sync::{mpsc, oneshot};

use super::record::{self, EntryOut};
use super::{NewEntry, Outbox, Pending, Segment, io, segment_path, sync_dir};
use crate::subscription::SubKey;

/// Appends in one group commit at most.
const MAX_GROUP: usize = 4096;

/// Where durable entries go next (the subscription queues).
pub trait Dispatch: Send + Sync {
    /// Called on the writer thread, in sequence order, after the entries are durable.
    fn dispatch(&self, items: Vec<(SubKey, Pending)>);
}

pub(super) struct WriteReq {
    pub entries: Vec<NewEntry>,
    pub mark_lsn: Option<u64>,
    pub done: oneshot::Sender<Result<(), NgsiError>>,
}

pub(super) struct Writer {
    outbox: Arc<Outbox>,
    id: u64,
    file: File,
    len: u64,
    segment_bytes: u64,
    last_mark: u64,
}

impl Writer {
    /// Creates segment `id` and makes it the active one.
    pub fn create(outbox: Arc<Outbox>, id: u64, segment_bytes: u64) -> Result<Self, NgsiError> {
        let path = segment_path(&outbox.dir, id);
        let file = File::options()
            .create_new(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|e| io("create", &path, e))?;
        sync_dir(&outbox.dir).map_err(|e| io("sync", &outbox.dir, e))?;
        let reader = file.try_clone().map_err(|e| io("open", &path, e))?;
        outbox.segments.lock().insert(
            id,
            Segment {
                file: Arc::new(reader),
                path,
                pending: 0,
            },
        );
        outbox.active.store(id, Ordering::Release);
        Ok(Self {
            outbox,
            id,
            file,
            len: 0,
            segment_bytes,
            last_mark: 0,
        })
    }

    /// Writes the first mark, then runs the group-commit loop on its own thread.
    pub fn start(
        mut self,
        rx: mpsc::Receiver<WriteReq>,
        matched_lsn: u64,
        dispatch: Arc<dyn Dispatch>,
    ) -> Result<(), NgsiError> {
        self.last_mark = matched_lsn;
        let mut buf = Vec::new();
        record::encode_mark(&mut buf, matched_lsn, self.outbox.next_seq());
        self.write_synced(&buf)?;
        std::thread::Builder::new()
            .name("notify-outbox".into())
            .spawn(move || self.run(rx, dispatch))
            .map_err(|e| NgsiError::internal(format!("cannot start the outbox writer: {e}")))?;
        Ok(())
    }

    fn run(mut self, mut rx: mpsc::Receiver<WriteReq>, dispatch: Arc<dyn Dispatch>) {
        while let Some(first) = rx.blocking_recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(r) => group.push(r),
                    Err(_) => break,
                }
            }
            let result = self.commit(&group);
            match result {
                Ok(items) => {
                    dispatch.dispatch(items);
                    group.into_iter().for_each(|r| drop(r.done.send(Ok(()))));
                }
                Err(e) => {
                    tracing::error!(detail = %e.detail, "outbox write failed; the matcher will retry");
                    group
                        .into_iter()
                        .for_each(|r| drop(r.done.send(Err(e.clone()))));
                }
            }
        }
    }

    /// Writes one group and fsyncs; returns the pending entries in sequence order.
    fn commit(&mut self, group: &[WriteReq]) -> Result<Vec<(SubKey, Pending)>, NgsiError> {
        if self.len >= self.segment_bytes {
            self.rotate()?;
        }
        let start_seq = self.outbox.next_seq();
        let mut seq = start_seq;
        let mut buf = Vec::new();
        let mut placed = Vec::new();
        for req in group {
            for e in &req.entries {
                let at = record::encode_entry(&mut buf, &entry_out(e, seq));
                placed.push((e, seq, self.len + at as u64));
                seq += 1;
            }
            if let Some(l) = req.mark_lsn {
                self.last_mark = self.last_mark.max(l);
            }
        }
        record::encode_mark(&mut buf, self.last_mark, seq);
        self.write_synced(&buf)?;
        self.outbox.next_seq.store(seq, Ordering::Relaxed);
        let now = Instant::now();
        let items: Vec<(SubKey, Pending)> = placed
            .into_iter()
            .map(|(e, seq, offset)| (e.key.clone(), self.pending(e, seq, offset, now)))
            .collect();
        if let Some(s) = self.outbox.segments.lock().get_mut(&self.id) {
            s.pending += items.len();
        }
        Ok(items)
    }

    fn pending(&self, e: &NewEntry, seq: u64, offset: u64, now: Instant) -> Pending {
        Pending {
            seq,
            seg: self.id,
            offset,
            len: e.body.len() as u32,
            accept: e.accept,
            link: e.link.clone(),
            notification_id: e.notification_id.clone(),
            body: self.outbox.cache(&e.body),
            queued_at: now,
        }
    }

    /// Appends `buf` and fsyncs; on failure cuts the file back to where it was.
    fn write_synced(&mut self, buf: &[u8]) -> Result<(), NgsiError> {
        let path = segment_path(&self.outbox.dir, self.id);
        let result = self
            .file
            .write_all(buf)
            .and_then(|()| self.file.sync_data());
        match result {
            Ok(()) => {
                self.len += buf.len() as u64;
                Ok(())
            }
            Err(e) => {
                if let Err(cut) = self.file.set_len(self.len) {
                    tracing::error!(%cut, "cannot cut a failed outbox write; starting a new segment");
                    self.rotate()?;
                }
                Err(io("write", &path, e))
            }
        }
    }

    /// Continues in a new segment; the old one is deleted once its entries are delivered.
    fn rotate(&mut self) -> Result<(), NgsiError> {
        let next = Self::create(self.outbox.clone(), self.id + 1, self.segment_bytes)?;
        let last_mark = self.last_mark;
        *self = next;
        self.last_mark = last_mark;
        let mut buf = Vec::new();
        record::encode_mark(&mut buf, last_mark, self.outbox.next_seq());
        self.write_synced(&buf)?;
        self.outbox.collect_garbage();
        Ok(())
    }
}

fn entry_out(e: &NewEntry, seq: u64) -> EntryOut<'_> {
    EntryOut {
        seq,
        lsn: e.lsn,
        accept: e.accept.code(),
        key: &e.key,
        link: &e.link,
        notification_id: &e.notification_id,
        body: &e.body,
    }
}
