//! Durable change feeds: each named consumer (history, subscriptions, ...) reads every committed
//! batch in lsn order, resumes after its last acknowledged lsn across restarts, and holds back
//! log truncation until it has caught up. Live batches come from the in-process channel; a
//! consumer that falls behind (or starts behind) re-reads them from the log, so none is skipped.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ngsi::NgsiError;
use parking_lot::Mutex;
use tokio::sync::broadcast;

use super::record;
use super::wal::{self, Wal};
use crate::{BoxFut, CommittedBatch, Feed};

/// Most batches read from the log at once; a consumer far behind catches up in steps.
const MAX_BACKLOG: usize = 4096;

/// The acknowledged lsn of every feed, for log retention.
#[derive(Default)]
pub(crate) struct FeedRegistry {
    acked: Mutex<BTreeMap<String, u64>>,
}

impl FeedRegistry {
    /// Loads the checkpoints found in `dir/feeds`.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let feeds = dir.join("feeds");
        std::fs::create_dir_all(&feeds)?;
        let mut acked = BTreeMap::new();
        for entry in std::fs::read_dir(&feeds)? {
            let path = entry?.path();
            if let (Some(name), Ok(text)) = (
                path.file_name().and_then(|n| n.to_str()),
                std::fs::read_to_string(&path),
            ) && let Some(name) = name.strip_suffix(".lsn")
                && let Ok(lsn) = text.trim().parse::<u64>()
            {
                acked.insert(name.to_string(), lsn);
            }
        }
        Ok(Self {
            acked: Mutex::new(acked),
        })
    }

    /// The lowest lsn any feed has acknowledged (log after it must be kept).
    pub fn min_acked(&self) -> Option<u64> {
        self.acked.lock().values().copied().min()
    }

    fn get(&self, name: &str) -> Option<u64> {
        self.acked.lock().get(name).copied()
    }

    fn set(&self, name: &str, lsn: u64) {
        self.acked.lock().insert(name.to_string(), lsn);
    }
}

fn checkpoint_path(dir: &Path, name: &str) -> PathBuf {
    dir.join("feeds").join(format!("{name}.lsn"))
}

fn write_checkpoint(dir: &Path, name: &str, lsn: u64) -> std::io::Result<()> {
    let path = checkpoint_path(dir, name);
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, lsn.to_string())?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    wal::sync_dir(&dir.join("feeds"))
}

/// One consumer's position in the change stream.
pub(crate) struct LogFeed {
    name: String,
    dir: PathBuf,
    next: u64,
    backlog: VecDeque<CommittedBatch>,
    rx: broadcast::Receiver<CommittedBatch>,
    wal: Arc<Wal>,
    registry: Arc<FeedRegistry>,
}

impl LogFeed {
    /// Opens the feed `name`; a new feed starts after everything already durable.
    pub fn open(
        name: &str,
        dir: &Path,
        rx: broadcast::Receiver<CommittedBatch>,
        wal: Arc<Wal>,
        registry: Arc<FeedRegistry>,
    ) -> Result<Self, NgsiError> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(NgsiError::internal(format!(
                "feed name {name:?} must be letters, digits, '-' or '_'"
            )));
        }
        let acked = match registry.get(name) {
            Some(lsn) => lsn,
            None => {
                let lsn = wal.durable_lsn();
                write_checkpoint(dir, name, lsn).map_err(|e| {
                    NgsiError::internal(format!("cannot register feed {name}: {e}"))
                })?;
                registry.set(name, lsn);
                lsn
            }
        };
        Ok(Self {
            name: name.into(),
            dir: dir.into(),
            next: acked + 1,
            backlog: VecDeque::new(),
            rx,
            wal,
            registry,
        })
    }

    /// Reads durable records from `self.next` on out of the log into the backlog.
    fn fill_from_log(&mut self) -> Result<(), NgsiError> {
        let durable = self.wal.durable_lsn();
        let io = |e: std::io::Error| {
            NgsiError::internal(format!("feed {}: cannot read the log: {e}", self.name))
        };
        let segments = wal::segments(&self.dir).map_err(io)?;
        let wanted = self.next + self.backlog.len() as u64;
        'segments: for (i, (_, path)) in segments.iter().enumerate() {
            // A segment whose successor starts at or before the wanted lsn holds nothing new.
            if segments
                .get(i + 1)
                .is_some_and(|(first, _)| *first <= wanted)
            {
                continue;
            }
            let (records, _) = wal::read_segment(path).map_err(io)?;
            for (lsn, payload) in records {
                if lsn < self.next + self.backlog.len() as u64 || lsn > durable {
                    continue;
                }
                if self.backlog.len() >= MAX_BACKLOG {
                    break 'segments;
                }
                let (tenant, changes) = record::decode(&payload)?;
                self.backlog.push_back(CommittedBatch {
                    lsn,
                    tenant: tenant.into(),
                    changes: Arc::new(changes),
                });
            }
        }
        if self.backlog.front().is_some_and(|b| b.lsn != self.next) {
            return Err(NgsiError::internal(format!(
                "feed {}: the log no longer holds lsn {} (it was truncated past this feed)",
                self.name, self.next
            )));
        }
        Ok(())
    }

    async fn next_batch(&mut self) -> Result<CommittedBatch, NgsiError> {
        use broadcast::error::{RecvError, TryRecvError};
        loop {
            if let Some(b) = self.backlog.pop_front() {
                self.next = b.lsn + 1;
                return Ok(b);
            }
            // Live batches come from the channel; the log is read only when the channel cannot
            // give the next lsn (lagged, a gap, or a start behind what is durable).
            let got = match self.rx.try_recv() {
                Ok(b) => Ok(b),
                Err(TryRecvError::Empty) if self.next <= self.wal.durable_lsn() => {
                    Err(RecvError::Lagged(0))
                }
                Err(TryRecvError::Empty) => self.rx.recv().await,
                Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
                Err(TryRecvError::Closed) => Err(RecvError::Closed),
            };
            match got {
                Ok(b) if b.lsn < self.next => continue,
                Ok(b) if b.lsn == self.next => {
                    self.next += 1;
                    return Ok(b);
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {
                    self.fill_from_log()?;
                    if self.backlog.is_empty() {
                        // Published but not yet visible as durable: wait briefly and retry.
                        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    }
                }
                Err(RecvError::Closed) => return Err(NgsiError::internal("the store was closed")),
            }
        }
    }
}

impl Feed for LogFeed {
    fn next(&mut self) -> BoxFut<'_, Result<CommittedBatch, NgsiError>> {
        Box::pin(self.next_batch())
    }

    fn ack(&mut self, lsn: u64) -> Result<(), NgsiError> {
        write_checkpoint(&self.dir, &self.name, lsn).map_err(|e| {
            NgsiError::internal(format!("feed {}: cannot save its position: {e}", self.name))
        })?;
        self.registry.set(&self.name, lsn);
        Ok(())
    }

    fn position(&self) -> u64 {
        self.next.saturating_sub(1)
    }
}
