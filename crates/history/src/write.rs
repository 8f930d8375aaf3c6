//! The write side of [`Db`], run only by the applier: recording committed batches into the
//! memtable, flushing it to partition files (idempotently, per-partition lsn checkpoints), and
//! merging small chunks. Temporal API writes and corrections are in [`crate::edit`].
//!
//! Order of a flush, which crash recovery relies on: new series reach the catalog before any
//! chunk that refers to them; each partition records the lsn it is complete up to in the same
//! transaction as its chunks; the catalog's lsn (everything before it is on disk) comes last.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use ngsi::{Attribute, NgsiError, Timestamp};
use store::CommittedBatch;

use crate::catalog::SeriesInfo;
use crate::chunk::{self, Summary};
use crate::db::Db;
use crate::extract::{self, Event};
use crate::meta;
use crate::model::{DIRECT_BASE, Inst, InstKey, SeriesId, Val};
use crate::partition::PartKey;

/// Small chunks of one series in one partition that trigger a merge.
const MERGE_AT: u32 = 8;
/// Most series merged after one flush, so a flush stays short.
const MERGES_PER_FLUSH: usize = 2000;

/// Per-series cache of the last encoded members, so equal `unitCode`s are shared, not re-encoded.
pub type MetaCache = HashMap<SeriesId, (Attribute, Arc<[u8]>)>;

/// Chunks on their way to a partition.
pub type Chunks = Vec<(SeriesId, Summary, Vec<u8>)>;

impl Db {
    /// The retention class of a new series of an entity with these types.
    pub fn class_of(&self, types: &[ngsi::Sym]) -> i64 {
        self.settings.retention_for(types).unwrap_or(0)
    }

    /// Records a committed batch in the memtable; a batch already on disk is skipped.
    pub fn apply_batch(&self, b: &CommittedBatch, now: Timestamp, cache: &mut MetaCache) {
        if b.lsn <= self.recorded_lsn() {
            self.set_applied(b.lsn);
            return;
        }
        let mut pending = Vec::new();
        {
            let mut cat = self.catalog.write();
            for (ci, change) in b.changes.iter().enumerate() {
                let Some(e) = extract::entity_of(change) else {
                    continue;
                };
                cat.touch_entity(&b.tenant, &e.id, &e.types, e.scope.as_ref());
                let id = InstKey {
                    key: b.lsn,
                    sub: ci as u32,
                };
                for ev in extract::events(change, now) {
                    let (a, deleted_at) = match ev {
                        Event::Set(a) => (a, None),
                        Event::Removed(a, t) => (a, Some(t)),
                    };
                    let s = cat.series_for(&b.tenant, &e.id, &a.name, a.dataset_id.as_ref(), |t| {
                        self.class_of(t)
                    });
                    pending.push((s.id, recorded(a, deleted_at, id, cache.entry(s.id))));
                }
            }
        }
        let mut mem = self.mem.lock();
        for (s, i) in pending {
            mem.push(s, i);
        }
        drop(mem);
        self.set_applied(b.lsn);
    }

    /// Writes everything applied so far to disk; returns the lsn now completely recorded.
    pub fn flush(&self) -> Result<u64, NgsiError> {
        let lsn = self.applied_lsn();
        if self.mem.lock().len() == 0 && lsn <= self.recorded_lsn() {
            return Ok(lsn);
        }
        let bufs = self.mem.lock().begin_flush();
        if let Err(e) = self.write_out(&bufs, lsn) {
            self.mem.lock().flush_failed();
            return Err(e);
        }
        self.mem.lock().flushed();
        self.recorded.fetch_max(lsn, Ordering::AcqRel);
        self.merge_due()?;
        Ok(lsn)
    }

    /// Persists catalog changes (and meta values) without holding the catalog lock over I/O.
    pub fn persist_catalog(&self, meta: &[(&str, u64)]) -> Result<(), NgsiError> {
        let dirty = self.catalog.write().take_dirty();
        if dirty.is_empty() && meta.is_empty() {
            return Ok(());
        }
        let result = self.catalog_db.lock().persist(dirty, meta);
        result.map_err(|failed| {
            let (e, dirty) = *failed;
            self.catalog.write().restore_dirty(dirty);
            e
        })
    }

    fn write_out(&self, bufs: &crate::mem::Buffers, lsn: u64) -> Result<(), NgsiError> {
        self.persist_catalog(&[])?;
        let mut groups: BTreeMap<PartKey, Vec<(SeriesId, Vec<Inst>)>> = BTreeMap::new();
        {
            let cat = self.catalog.read();
            for (sid, insts) in bufs.iter() {
                let Some(info) = cat.series.get(sid) else {
                    continue; // its history was deleted meanwhile
                };
                let mut by_part: BTreeMap<PartKey, Vec<Inst>> = BTreeMap::new();
                for i in insts {
                    let key = self.part_key(info.class, i.t);
                    by_part.entry(key).or_default().push(i.clone());
                }
                for (key, v) in by_part {
                    groups.entry(key).or_default().push((*sid, v));
                }
            }
        }
        for (key, per_series) in groups {
            let p = self.partition(key)?;
            let done = p.recorded();
            let mut chunks = Chunks::new();
            for (sid, mut insts) in per_series {
                insts.retain(|i| i.id.key >= DIRECT_BASE || i.id.key > done);
                self.encode_into(key, sid, insts, &mut chunks);
            }
            p.write(&chunks, Some(lsn))?;
        }
        self.persist_catalog(&[("lsn", lsn)])
    }

    /// Sorts, cuts into chunks and encodes instances of one series for partition `key`.
    pub fn encode_into(&self, key: PartKey, sid: SeriesId, mut insts: Vec<Inst>, out: &mut Chunks) {
        if insts.is_empty() {
            return;
        }
        insts.sort_by_key(|i| (i.t, i.id));
        let size = self.settings.chunk_instances;
        for piece in insts.chunks(size) {
            if piece.len() < size {
                *self.small.lock().entry((key, sid)).or_default() += 1;
            }
            out.push((sid, chunk::summary(piece), chunk::encode(piece)));
        }
    }

    /// Merges the small chunks of series that have accumulated enough of them.
    fn merge_due(&self) -> Result<(), NgsiError> {
        let due: Vec<(PartKey, SeriesId)> = {
            let mut small = self.small.lock();
            let keys: Vec<_> = small
                .iter()
                .filter(|(_, n)| **n >= MERGE_AT)
                .map(|(k, _)| *k)
                .take(MERGES_PER_FLUSH)
                .collect();
            for k in &keys {
                small.remove(k);
            }
            keys
        };
        let mut per_part: BTreeMap<PartKey, Vec<SeriesId>> = BTreeMap::new();
        for (key, sid) in due {
            per_part.entry(key).or_default().push(sid);
        }
        for (key, series) in per_part {
            self.merge_part(key, &series)?;
        }
        Ok(())
    }

    /// Rewrites the small chunks of `series` in partition `key` as full ones, in one transaction.
    pub fn merge_part(&self, key: PartKey, series: &[SeriesId]) -> Result<(), NgsiError> {
        let p = self.partition(key)?;
        let size = self.settings.chunk_instances;
        let (mut remove, mut add) = (Vec::new(), Chunks::new());
        for &sid in series {
            let rows = p.small_chunks(sid, size)?;
            if rows.len() < 2 {
                continue;
            }
            let mut all = Vec::new();
            for r in &rows {
                all.extend(chunk::decode(&r.data)?);
                remove.push(r.id);
            }
            all.sort_by_key(|i| (i.t, i.id));
            all.dedup_by_key(|i| i.id);
            for piece in all.chunks(size) {
                add.push((sid, chunk::summary(piece), chunk::encode(piece)));
            }
        }
        p.rewrite(&remove, &add)
    }

    /// Checkpoints every partition's write-ahead log into its file.
    pub fn checkpoint_all(&self) {
        for p in self.parts_for(i64::MIN, i64::MAX, true) {
            if let Err(e) = p.checkpoint() {
                tracing::warn!(%e, "history: checkpoint failed");
            }
        }
    }

    /// Drops partitions whose whole time span is older than their class's retention.
    pub fn drop_expired(&self, now: Timestamp) -> Result<usize, NgsiError> {
        let expired: Vec<_> = self
            .parts
            .read()
            .values()
            .filter(|p| p.key.class > 0 && p.end <= now.saturating_sub(p.key.class))
            .cloned()
            .collect();
        for p in &expired {
            self.parts.write().remove(&p.key);
            self.small.lock().retain(|(k, _), _| *k != p.key);
            p.drop_file()?;
            tracing::info!(partition = %p.path.display(), "history: dropped an expired partition");
        }
        Ok(expired.len())
    }
}

/// The instance recorded for attribute `a` (a deletion record when `deleted_at` is set).
fn recorded(
    a: &Attribute,
    deleted_at: Option<Timestamp>,
    id: InstKey,
    cache: std::collections::hash_map::Entry<'_, SeriesId, (Attribute, Arc<[u8]>)>,
) -> Inst {
    if let Some(t) = deleted_at {
        return Inst {
            t,
            observed: false,
            rec: t,
            modified: t,
            kind: a.kind(),
            id,
            value: Val::Deleted,
            meta: None,
        };
    }
    Inst {
        t: a.observed_at.unwrap_or(a.modified_at),
        observed: a.observed_at.is_some(),
        rec: a.modified_at,
        modified: a.modified_at,
        kind: a.kind(),
        id,
        value: Val::from_json(a.value.json()),
        meta: shared_meta(a, cache),
    }
}

fn shared_meta(
    a: &Attribute,
    cache: std::collections::hash_map::Entry<'_, SeriesId, (Attribute, Arc<[u8]>)>,
) -> Option<Arc<[u8]>> {
    use std::collections::hash_map::Entry;
    if let Entry::Occupied(o) = &cache
        && meta::same(&o.get().0, a)
    {
        return Some(o.get().1.clone());
    }
    let bytes = meta::encode(a)?;
    let mut model = Attribute::new(
        a.name.clone(),
        ngsi::AttrValue::Property(serde_json::Value::Null),
        0,
    );
    model.unit_code = a.unit_code.clone();
    model.sub = a.sub.clone();
    model.extra = a.extra.clone();
    match cache {
        Entry::Occupied(mut o) => {
            o.insert((model, bytes.clone()));
        }
        Entry::Vacant(v) => {
            v.insert((model, bytes.clone()));
        }
    }
    Some(bytes)
}

/// Instances of one attribute of one entity, for a direct write.
pub struct AttrInstances {
    pub attr: ngsi::Sym,
    pub dataset: Option<ngsi::Sym>,
    pub insts: Vec<Inst>,
}

impl Db {
    /// The series of an attribute, creating the entity and series if needed.
    pub fn series_of(
        &self,
        tenant: &str,
        entity: &Arc<str>,
        types: &[ngsi::Sym],
        attr: &ngsi::Sym,
        dataset: Option<&ngsi::Sym>,
    ) -> Arc<SeriesInfo> {
        let mut cat = self.catalog.write();
        cat.touch_entity(tenant, entity, types, None);
        cat.series_for(tenant, entity, attr, dataset, |t| self.class_of(t))
    }
}
