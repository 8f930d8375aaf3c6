//! Changes to history made through the temporal API (clauses 5.6.11-5.6.16): adding instances
//! with their own times, correcting or removing one instance, removing an attribute's or an
//! entity's whole temporal evolution. Run by the applier, each durable before it returns.
//!
//! Instances added here get keys above [`DIRECT_BASE`], from a counter that is persisted before
//! the instances are written, so their ids are never handed out twice.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use ngsi::{NgsiError, Sym};

use crate::chunk;
use crate::db::Db;
use crate::model::{DIRECT_BASE, Inst, InstKey, SeriesId};
use crate::partition::{By, PartKey, Partition};
use crate::write::{AttrInstances, Chunks};

/// Where an instance was found.
struct Found {
    part: Arc<Partition>,
    row_id: i64,
    rest: Vec<Inst>,
    inst: Inst,
}

impl Db {
    /// Adds instances (their keys are assigned here) to an entity's temporal evolution.
    pub fn insert_direct(
        &self,
        tenant: &str,
        entity: &Arc<str>,
        types: &[Sym],
        attrs: Vec<AttrInstances>,
    ) -> Result<(), NgsiError> {
        let base = self.direct_next.fetch_add(1, Ordering::AcqRel);
        let mut per_part: BTreeMap<PartKey, Vec<(SeriesId, Vec<Inst>)>> = BTreeMap::new();
        let mut sub = 0u32;
        if attrs.is_empty() {
            self.catalog
                .write()
                .touch_entity(tenant, entity, types, None);
        }
        for a in attrs {
            let s = self.series_of(tenant, entity, types, &a.attr, a.dataset.as_ref());
            let mut by_part: BTreeMap<PartKey, Vec<Inst>> = BTreeMap::new();
            for mut i in a.insts {
                i.id = InstKey {
                    key: DIRECT_BASE + base,
                    sub,
                };
                sub += 1;
                by_part
                    .entry(self.part_key(s.class, i.t))
                    .or_default()
                    .push(i);
            }
            for (k, v) in by_part {
                per_part.entry(k).or_default().push((s.id, v));
            }
        }
        self.persist_catalog(&[("direct_next", base + 1)])?;
        for (key, series) in per_part {
            let mut chunks = Chunks::new();
            for (sid, insts) in series {
                self.encode_into(key, sid, insts, &mut chunks);
            }
            self.partition(key)?.write(&chunks, None)?;
        }
        Ok(())
    }

    /// Replaces one instance (keeping its id and `createdAt`) with `next`.
    /// Returns false when the series has no such instance.
    pub fn replace_instance(
        &self,
        series: SeriesId,
        key: InstKey,
        next: Inst,
    ) -> Result<bool, NgsiError> {
        self.flush()?;
        let Some(found) = self.find(series, key)? else {
            return Ok(false);
        };
        let class = found.part.key.class;
        let target = self.part_key(class, next.t);
        let mut rest = found.rest;
        if target == found.part.key {
            rest.push(next);
            let mut chunks = Chunks::new();
            self.encode_into(target, series, rest, &mut chunks);
            found.part.rewrite(&[found.row_id], &chunks)?;
        } else {
            let mut moved = Chunks::new();
            self.encode_into(target, series, vec![next], &mut moved);
            self.partition(target)?.write(&moved, None)?;
            let mut chunks = Chunks::new();
            self.encode_into(found.part.key, series, rest, &mut chunks);
            found.part.rewrite(&[found.row_id], &chunks)?;
        }
        Ok(true)
    }

    /// Removes one instance. Returns false when the series has no such instance.
    pub fn delete_instance(&self, series: SeriesId, key: InstKey) -> Result<bool, NgsiError> {
        self.flush()?;
        let Some(found) = self.find(series, key)? else {
            return Ok(false);
        };
        let mut chunks = Chunks::new();
        self.encode_into(found.part.key, series, found.rest, &mut chunks);
        found.part.rewrite(&[found.row_id], &chunks)?;
        Ok(true)
    }

    /// The stored instance `key` of `series`, if any.
    pub fn get_instance(&self, series: SeriesId, key: InstKey) -> Result<Option<Inst>, NgsiError> {
        self.flush()?;
        Ok(self.find(series, key)?.map(|f| f.inst))
    }

    fn find(&self, series: SeriesId, key: InstKey) -> Result<Option<Found>, NgsiError> {
        for part in self.parts_for(i64::MIN, i64::MAX, true) {
            let mut rows = Vec::new();
            part.scan(series, By::T, (i64::MIN, i64::MAX), false, &mut |r| {
                rows.push(r);
                true
            })?;
            for row in rows {
                let mut insts = chunk::decode(&row.data)?;
                if let Some(pos) = insts.iter().position(|i| i.id == key) {
                    let inst = insts.remove(pos);
                    return Ok(Some(Found {
                        part,
                        row_id: row.id,
                        rest: insts,
                        inst,
                    }));
                }
            }
        }
        Ok(None)
    }

    /// Removes the temporal evolution of these series of an entity (and the entity itself with
    /// `entity_too`), from memory and from every partition.
    pub fn delete_series(
        &self,
        tenant: &str,
        entity: &str,
        series: &[SeriesId],
        entity_too: bool,
    ) -> Result<(), NgsiError> {
        self.mem.lock().forget(series);
        for part in self.parts_for(i64::MIN, i64::MAX, true) {
            part.delete_series(series)?;
        }
        self.catalog
            .write()
            .remove(tenant, entity, series, entity_too);
        self.small.lock().retain(|(_, s), _| !series.contains(s));
        self.catalog_db
            .lock()
            .remove(tenant, entity, series, entity_too)
    }
}
