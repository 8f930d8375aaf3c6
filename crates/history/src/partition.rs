//! One time partition of one retention class: a SQLite file of compressed chunks, indexed by
//! series and time, with the lsn up to which the store's changes are in it (so a replayed commit
//! is never recorded twice). Dropping a partition is deleting its file.
//!
//! Owns the partition's file and schema. Writes come only from the applier; reads use a small
//! pool of read-only connections so that queries run in parallel with ingest.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ngsi::NgsiError;
use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::chunk::Summary;
use crate::model::SeriesId;

/// Read connections kept per partition.
const POOL: usize = 4;

const SCHEMA: &str = "
PRAGMA page_size = 8192;
PRAGMA journal_mode = WAL;
PRAGMA wal_autocheckpoint = 256;
PRAGMA journal_size_limit = 2097152;
CREATE TABLE IF NOT EXISTS chunk(
    id INTEGER PRIMARY KEY,
    series INTEGER NOT NULL,
    tmin INTEGER NOT NULL,
    tmax INTEGER NOT NULL,
    rmin INTEGER NOT NULL,
    rmax INTEGER NOT NULL,
    n INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunk_series ON chunk(series, tmax);
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);
";

/// Which partition: the retention class (µs kept; 0 = forever) and the start of its time span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartKey {
    pub class: i64,
    pub start: i64,
}

/// A stored chunk.
pub struct Row {
    pub id: i64,
    pub summary: Summary,
    pub data: Vec<u8>,
}

pub fn db_error(what: &str, path: &Path, e: rusqlite::Error) -> NgsiError {
    NgsiError::internal(format!("history: {what} ({}): {e}", path.display()))
}

/// One partition file.
pub struct Partition {
    pub key: PartKey,
    /// End of the time span (exclusive).
    pub end: i64,
    pub path: PathBuf,
    /// The lsn up to which the store's commits are recorded in this partition.
    recorded: AtomicU64,
    writer: Mutex<Option<Connection>>,
    readers: Mutex<Vec<Connection>>,
}

/// Which time a read selects chunks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// The instance time (`observedAt`, else recorded).
    T,
    /// Recorded and modified times (`createdAt`, `modifiedAt`, `deletedAt`).
    Rec,
}

impl Partition {
    /// Opens (creating if needed) the partition file.
    pub fn open(path: PathBuf, key: PartKey, end: i64) -> Result<Self, NgsiError> {
        let conn = Connection::open(&path).map_err(|e| db_error("cannot open", &path, e))?;
        conn.execute_batch(SCHEMA)
            .and_then(|_| conn.pragma_update(None, "synchronous", "FULL"))
            .map_err(|e| db_error("cannot prepare", &path, e))?;
        let recorded = conn
            .query_row("SELECT v FROM meta WHERE k = 'lsn'", [], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
            .map_err(|e| db_error("cannot read", &path, e))?
            .unwrap_or(0) as u64;
        Ok(Self {
            key,
            end,
            path,
            recorded: AtomicU64::new(recorded),
            writer: Mutex::new(Some(conn)),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// The lsn up to which the store's commits are recorded here.
    pub fn recorded(&self) -> u64 {
        self.recorded.load(Ordering::Acquire)
    }

    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, NgsiError> {
        let mut guard = self.writer.lock();
        let conn = guard
            .as_mut()
            .ok_or_else(|| NgsiError::internal("history: partition was dropped"))?;
        f(conn).map_err(|e| db_error("write failed", &self.path, e))
    }

    /// Runs `f` on a pooled read connection.
    pub fn with_reader<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, NgsiError> {
        let pooled = self.readers.lock().pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                Connection::open_with_flags(&self.path, flags)
                    .map_err(|e| db_error("cannot open for reading", &self.path, e))?
            }
        };
        let out = f(&conn).map_err(|e| db_error("read failed", &self.path, e));
        let mut pool = self.readers.lock();
        if pool.len() < POOL {
            pool.push(conn);
        }
        out
    }

    /// Writes chunks in one durable transaction, and the lsn they bring this partition up to.
    pub fn write(
        &self,
        chunks: &[(SeriesId, Summary, Vec<u8>)],
        lsn: Option<u64>,
    ) -> Result<(), NgsiError> {
        self.with_writer(|c| {
            let tx = c.transaction()?;
            insert_all(&tx, chunks)?;
            if let Some(lsn) = lsn {
                tx.execute(
                    "INSERT INTO meta(k, v) VALUES('lsn', ?1) ON CONFLICT(k) DO UPDATE SET v = max(v, ?1)",
                    [lsn as i64],
                )?;
            }
            tx.commit()
        })?;
        if let Some(lsn) = lsn {
            self.recorded.fetch_max(lsn, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Replaces chunks `remove` by `add` atomically (merges, corrections, deletions).
    pub fn rewrite(
        &self,
        remove: &[i64],
        add: &[(SeriesId, Summary, Vec<u8>)],
    ) -> Result<(), NgsiError> {
        self.with_writer(|c| {
            let tx = c.transaction()?;
            {
                let mut del = tx.prepare_cached("DELETE FROM chunk WHERE id = ?1")?;
                for id in remove {
                    del.execute([id])?;
                }
            }
            insert_all(&tx, add)?;
            tx.commit()
        })
    }

    /// Removes every chunk of these series.
    pub fn delete_series(&self, series: &[SeriesId]) -> Result<(), NgsiError> {
        self.with_writer(|c| {
            let tx = c.transaction()?;
            {
                let mut del = tx.prepare_cached("DELETE FROM chunk WHERE series = ?1")?;
                for s in series {
                    del.execute([s])?;
                }
            }
            tx.commit()
        })
    }

    /// Chunks of `series` that may hold instances with a time in `[lo, hi)`, in ascending (or,
    /// with `desc`, descending) order of their latest time; `f` returns false to stop.
    pub fn scan(
        &self,
        series: SeriesId,
        by: By,
        (lo, hi): (i64, i64),
        desc: bool,
        f: &mut dyn FnMut(Row) -> bool,
    ) -> Result<(), NgsiError> {
        let sql = match (by, desc) {
            (By::T, false) => {
                "SELECT id, tmin, tmax, rmin, rmax, n, data FROM chunk WHERE series = ?1 AND tmax >= ?2 AND tmin < ?3 ORDER BY tmax"
            }
            (By::T, true) => {
                "SELECT id, tmin, tmax, rmin, rmax, n, data FROM chunk WHERE series = ?1 AND tmax >= ?2 AND tmin < ?3 ORDER BY tmax DESC"
            }
            (By::Rec, _) => {
                "SELECT id, tmin, tmax, rmin, rmax, n, data FROM chunk WHERE series = ?1 AND rmax >= ?2 AND rmin < ?3"
            }
        };
        self.with_reader(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            let mut rows = stmt.query(params![series, lo, hi])?;
            while let Some(r) = rows.next()? {
                let row = Row {
                    id: r.get(0)?,
                    summary: Summary {
                        tmin: r.get(1)?,
                        tmax: r.get(2)?,
                        rmin: r.get(3)?,
                        rmax: r.get(4)?,
                        n: r.get::<_, i64>(5)? as usize,
                    },
                    data: r.get(6)?,
                };
                if !f(row) {
                    break;
                }
            }
            Ok(())
        })
    }

    /// Chunks of `series` holding fewer than `below` instances (merge candidates), via the writer.
    pub fn small_chunks(&self, series: SeriesId, below: usize) -> Result<Vec<Row>, NgsiError> {
        self.with_writer(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, tmin, tmax, rmin, rmax, n, data FROM chunk WHERE series = ?1 AND n < ?2",
            )?;
            let rows = stmt.query_map(params![series, below as i64], |r| {
                Ok(Row {
                    id: r.get(0)?,
                    summary: Summary {
                        tmin: r.get(1)?,
                        tmax: r.get(2)?,
                        rmin: r.get(3)?,
                        rmax: r.get(4)?,
                        n: r.get::<_, i64>(5)? as usize,
                    },
                    data: r.get(6)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Moves the write-ahead log into the file and truncates it (for partitions that are no
    /// longer written, whose log would otherwise stay at its last size).
    pub fn checkpoint(&self) -> Result<(), NgsiError> {
        self.with_writer(|c| c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())))
    }

    /// Closes the connections and deletes the file (and SQLite's side files).
    pub fn drop_file(&self) -> Result<(), NgsiError> {
        self.writer.lock().take();
        self.readers.lock().clear();
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(NgsiError::internal(format!(
                        "history: cannot delete {}: {e}",
                        self.path.display()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Bytes on disk (file plus write-ahead log).
    pub fn disk_bytes(&self) -> u64 {
        ["", "-wal"]
            .iter()
            .map(|s| {
                let mut p = self.path.clone().into_os_string();
                p.push(s);
                std::fs::metadata(&p).map_or(0, |m| m.len())
            })
            .sum()
    }
}

fn insert_all(
    tx: &rusqlite::Transaction<'_>,
    chunks: &[(SeriesId, Summary, Vec<u8>)],
) -> rusqlite::Result<()> {
    let mut ins = tx.prepare_cached(
        "INSERT INTO chunk(series, tmin, tmax, rmin, rmax, n, data) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (series, s, data) in chunks {
        ins.execute(params![
            series, s.tmin, s.tmax, s.rmin, s.rmax, s.n as i64, data
        ])?;
    }
    Ok(())
}
