//! The history store: the catalog, the partition files, and the memtable, opened from one
//! directory. Reads ([`crate::read`]) and writes ([`crate::write`]) are methods on [`Db`]; only
//! the applier thread writes.
//!
//! Layout: `catalog.db`, and `parts/<class>/<start>.db` where the class is `keep` (kept forever)
//! or `r<retention µs>`, and `<start>` the partition's first µs since the epoch.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ngsi::NgsiError;
use parking_lot::{Mutex, RwLock};
use tokio::sync::watch;

use crate::catalog::{Catalog, CatalogDb};
use crate::config::Settings;
use crate::mem::Mem;
use crate::model::SeriesId;
use crate::partition::{PartKey, Partition};

/// Everything history holds.
pub struct Db {
    pub dir: PathBuf,
    pub settings: Settings,
    pub catalog: RwLock<Catalog>,
    pub catalog_db: Mutex<CatalogDb>,
    pub parts: RwLock<BTreeMap<PartKey, Arc<Partition>>>,
    pub mem: Mutex<Mem>,
    /// Every commit up to this lsn is completely on disk.
    pub recorded: AtomicU64,
    /// Every commit up to this lsn is applied (on disk or in the memtable).
    pub applied: watch::Sender<u64>,
    /// Next key for instances written through the temporal API.
    pub direct_next: AtomicU64,
    /// Small chunks written per (partition, series) since the last merge.
    pub small: Mutex<HashMap<(PartKey, SeriesId), u32>>,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> NgsiError {
    NgsiError::internal(format!("history: {what} {}: {e}", path.display()))
}

fn class_dir(class: i64) -> String {
    if class == 0 {
        "keep".into()
    } else {
        format!("r{class}")
    }
}

fn parse_class_dir(name: &str) -> Option<i64> {
    match name {
        "keep" => Some(0),
        _ => name.strip_prefix('r')?.parse().ok(),
    }
}

impl Db {
    /// Opens (or creates) the history in `dir`.
    pub fn open(dir: &Path, settings: Settings) -> Result<Self, NgsiError> {
        std::fs::create_dir_all(dir.join("parts")).map_err(|e| io("cannot create", dir, e))?;
        let (catalog_db, catalog, recorded) = CatalogDb::open(dir)?;
        let direct_next = catalog_db.get_meta("direct_next")?;
        let mut parts = BTreeMap::new();
        for (key, path) in list_parts(dir)? {
            let p = Partition::open(path, key, key.start + settings.partition_us)?;
            parts.insert(key, Arc::new(p));
        }
        let (applied, _) = watch::channel(recorded);
        Ok(Self {
            dir: dir.to_path_buf(),
            settings,
            catalog: RwLock::new(catalog),
            catalog_db: Mutex::new(catalog_db),
            parts: RwLock::new(parts),
            mem: Mutex::new(Mem::default()),
            recorded: AtomicU64::new(recorded),
            applied,
            direct_next: AtomicU64::new(direct_next),
            small: Mutex::new(HashMap::new()),
        })
    }

    /// The partition key of an instance at time `t` in retention class `class`.
    pub fn part_key(&self, class: i64, t: i64) -> PartKey {
        let len = self.settings.partition_us;
        PartKey {
            class,
            start: t.div_euclid(len).saturating_mul(len),
        }
    }

    /// The partition for `key`, created if it does not exist yet.
    pub fn partition(&self, key: PartKey) -> Result<Arc<Partition>, NgsiError> {
        if let Some(p) = self.parts.read().get(&key) {
            return Ok(p.clone());
        }
        let dir = self.dir.join("parts").join(class_dir(key.class));
        std::fs::create_dir_all(&dir).map_err(|e| io("cannot create", &dir, e))?;
        let path = dir.join(format!("{}.db", key.start));
        let p = Arc::new(Partition::open(
            path,
            key,
            key.start.saturating_add(self.settings.partition_us),
        )?);
        self.parts.write().insert(key, p.clone());
        Ok(p)
    }

    /// Partitions whose time span meets `[lo, hi)` (all of them with `all`), in time order.
    pub fn parts_for(&self, lo: i64, hi: i64, all: bool) -> Vec<Arc<Partition>> {
        let mut v: Vec<Arc<Partition>> = self
            .parts
            .read()
            .values()
            .filter(|p| all || (p.key.start < hi && p.end > lo))
            .cloned()
            .collect();
        v.sort_by_key(|p| (p.key.start, p.key.class));
        v
    }

    /// The lsn every commit up to which is applied.
    pub fn applied_lsn(&self) -> u64 {
        *self.applied.borrow()
    }

    pub fn set_applied(&self, lsn: u64) {
        self.applied.send_if_modified(|v| {
            if lsn > *v {
                *v = lsn;
                true
            } else {
                false
            }
        });
    }

    pub fn recorded_lsn(&self) -> u64 {
        self.recorded.load(Ordering::Acquire)
    }

    /// Bytes on disk of every partition and the catalog.
    pub fn disk_bytes(&self) -> u64 {
        let parts: u64 = self.parts.read().values().map(|p| p.disk_bytes()).sum();
        let cat = ["catalog.db", "catalog.db-wal"]
            .iter()
            .map(|f| std::fs::metadata(self.dir.join(f)).map_or(0, |m| m.len()))
            .sum::<u64>();
        parts + cat
    }
}

fn list_parts(dir: &Path) -> Result<Vec<(PartKey, PathBuf)>, NgsiError> {
    let root = dir.join("parts");
    let mut out = Vec::new();
    for class_entry in std::fs::read_dir(&root).map_err(|e| io("cannot list", &root, e))? {
        let class_entry = class_entry.map_err(|e| io("cannot list", &root, e))?;
        let name = class_entry.file_name();
        let Some(class) = name.to_str().and_then(parse_class_dir) else {
            continue;
        };
        let sub = class_entry.path();
        for f in std::fs::read_dir(&sub).map_err(|e| io("cannot list", &sub, e))? {
            let path = f.map_err(|e| io("cannot list", &sub, e))?.path();
            let start = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".db"))
                .and_then(|n| n.parse::<i64>().ok());
            if let Some(start) = start {
                out.push((PartKey { class, start }, path));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "db/tests.rs"]
mod tests;
