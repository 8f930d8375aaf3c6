//! One tenant's share of the twin: entities by row (creation order) and the indexes queries start
//! from (id, type, attribute, an R-tree per GeoProperty) plus the statistics behind `/types` and
//! `/attributes`, all maintained incrementally on every put and remove.

use std::collections::HashMap;
use std::sync::Arc;

use ngsi::Sym;
use ngsi::model::{AttrKind, Entity};
use roaring::RoaringBitmap;
use rstar::{AABB, RTree, RTreeObject};
use serde_json::Value;

use super::value_index::ValueIndexes;
use crate::query::{EntityQuery, QueryPage};
use crate::{AttributeInfo, TypeInfo};

/// An entity's geometry bounding box in the R-tree of one GeoProperty.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GeoItem {
    row: u32,
    bbox: [f64; 4],
}

impl RTreeObject for GeoItem {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners([self.bbox[0], self.bbox[1]], [self.bbox[2], self.bbox[3]])
    }
}

#[derive(Default)]
pub(crate) struct Tenant {
    ids: HashMap<Arc<str>, u32>,
    rows: Vec<Option<Arc<Entity>>>,
    live: RoaringBitmap,
    by_type: HashMap<Sym, RoaringBitmap>,
    by_attr: HashMap<Sym, RoaringBitmap>,
    /// type -> attribute -> instance counts per kind.
    type_attrs: HashMap<Sym, HashMap<Sym, [u64; 8]>>,
    geo: HashMap<Sym, RTree<GeoItem>>,
    values: ValueIndexes,
}

fn kind_index(k: AttrKind) -> usize {
    AttrKind::ALL.iter().position(|x| *x == k).unwrap_or(0)
}

/// The bounding box of a GeoJSON geometry (any type), if it has coordinates.
pub fn geometry_bbox_public(g: &Value) -> Option<[f64; 4]> {
    geometry_bbox(g)
}

pub(crate) fn geometry_bbox(g: &Value) -> Option<[f64; 4]> {
    fn walk(v: &Value, b: &mut [f64; 4], seen: &mut bool) {
        match v {
            Value::Array(a) if a.len() >= 2 && a[0].is_number() && a[1].is_number() => {
                let (x, y) = (a[0].as_f64().unwrap_or(0.0), a[1].as_f64().unwrap_or(0.0));
                *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
                *seen = true;
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, b, seen)),
            _ => {}
        }
    }
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut seen = false;
    if let Some(gs) = g.get("geometries").and_then(Value::as_array) {
        gs.iter().filter_map(geometry_bbox).for_each(|x| {
            b = [
                b[0].min(x[0]),
                b[1].min(x[1]),
                b[2].max(x[2]),
                b[3].max(x[3]),
            ];
            seen = true;
        });
    } else {
        walk(g.get("coordinates")?, &mut b, &mut seen);
    }
    seen.then_some(b)
}

impl Tenant {
    pub fn get(&self, id: &str) -> Option<&Arc<Entity>> {
        let row = *self.ids.get(id)?;
        self.rows.get(row as usize)?.as_ref()
    }

    pub fn len(&self) -> u64 {
        self.live.len()
    }

    pub fn next_row(&self) -> u32 {
        self.rows.len() as u32
    }

    /// Entities with their rows, in row order (for snapshots).
    pub fn rows(&self) -> impl Iterator<Item = (u32, &Arc<Entity>)> {
        self.rows
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (i as u32, e)))
    }

    /// Inserts or replaces an entity, keeping its row if it exists.
    pub fn put(&mut self, e: Arc<Entity>) {
        match self.ids.get(&e.id).copied() {
            Some(row) => {
                let old = self.rows[row as usize].take();
                if let Some(old) = &old {
                    self.unindex(row, old, Some(&e));
                }
                self.index(row, &e, old.as_deref());
                self.rows[row as usize] = Some(e);
            }
            None => {
                let row = self.rows.len() as u32;
                self.put_at(row, e);
            }
        }
    }

    /// Places a new entity at a given row (snapshot load).
    pub fn put_at(&mut self, row: u32, e: Arc<Entity>) {
        if self.rows.len() <= row as usize {
            self.rows.resize(row as usize + 1, None);
        }
        self.ids.insert(e.id.clone(), row);
        self.index(row, &e, None);
        self.rows[row as usize] = Some(e);
    }

    /// Extends the row space to `n` (rows of entities deleted before a snapshot stay unused).
    pub fn reserve_rows(&mut self, n: u32) {
        if self.rows.len() < n as usize {
            self.rows.resize(n as usize, None);
        }
    }

    pub fn remove(&mut self, id: &str) -> Option<Arc<Entity>> {
        let row = self.ids.remove(id)?;
        let old = self.rows.get_mut(row as usize)?.take()?;
        self.unindex(row, &old, None);
        Some(old)
    }

    fn index(&mut self, row: u32, e: &Entity, old: Option<&Entity>) {
        self.live.insert(row);
        self.values.update(row, e, true);
        for t in &e.types {
            self.by_type.entry(t.clone()).or_default().insert(row);
            let per_type = self.type_attrs.entry(t.clone()).or_default();
            for a in &e.attrs {
                per_type.entry(a.name.clone()).or_default()[kind_index(a.kind())] += 1;
            }
        }
        for a in &e.attrs {
            self.by_attr.entry(a.name.clone()).or_default().insert(row);
            if let ngsi::AttrValue::GeoProperty(g) = &a.value {
                let unchanged = old
                    .and_then(|o| o.attr(&a.name, a.dataset_id.as_deref()))
                    .is_some_and(|o| o.value == a.value);
                if !unchanged && let Some(bbox) = geometry_bbox(g) {
                    self.geo
                        .entry(a.name.clone())
                        .or_default()
                        .insert(GeoItem { row, bbox });
                }
            }
        }
    }

    /// Removes `e`'s index entries; geometry entries that `next` keeps unchanged stay.
    fn unindex(&mut self, row: u32, e: &Entity, next: Option<&Entity>) {
        self.live.remove(row);
        self.values.update(row, e, false);
        for t in &e.types {
            remove_row(&mut self.by_type, t, row);
            if let Some(per_type) = self.type_attrs.get_mut(t) {
                for a in &e.attrs {
                    if let Some(c) = per_type.get_mut(&a.name) {
                        c[kind_index(a.kind())] = c[kind_index(a.kind())].saturating_sub(1);
                        if c.iter().all(|x| *x == 0) {
                            per_type.remove(&a.name);
                        }
                    }
                }
                if per_type.is_empty() {
                    self.type_attrs.remove(t);
                }
            }
        }
        for a in &e.attrs {
            remove_row(&mut self.by_attr, &a.name, row);
            if let ngsi::AttrValue::GeoProperty(g) = &a.value {
                let kept = next
                    .and_then(|n| n.attr(&a.name, a.dataset_id.as_deref()))
                    .is_some_and(|n| n.value == a.value);
                if !kept
                    && let (Some(bbox), Some(tree)) = (geometry_bbox(g), self.geo.get_mut(&a.name))
                {
                    tree.remove(&GeoItem { row, bbox });
                }
            }
        }
    }

    /// Candidate rows from the most selective hints, then the residual filter, in row order.
    pub fn query(&self, q: &EntityQuery) -> QueryPage {
        let candidates = self.candidates(q);
        let mut page = QueryPage::default();
        let Some(filter) = &q.filter else {
            page.total = q.count.then_some(candidates.len() as usize);
            let start = candidates.select(q.offset as u32);
            if let Some(start) = start {
                page.entities = candidates
                    .range(start..)
                    .take(q.limit)
                    .filter_map(|r| self.row(r).cloned())
                    .collect();
            }
            return page;
        };
        let mut matched = 0usize;
        for row in &candidates {
            let Some(e) = self.row(row) else { continue };
            if !filter(e) {
                continue;
            }
            if matched >= q.offset && page.entities.len() < q.limit {
                page.entities.push(e.clone());
            }
            matched += 1;
            if !q.count && page.entities.len() >= q.limit {
                break;
            }
        }
        page.total = q.count.then_some(matched);
        page
    }

    fn row(&self, row: u32) -> Option<&Arc<Entity>> {
        self.rows.get(row as usize)?.as_ref()
    }

    /// The rows every hint allows, intersected smallest first (every index holds live rows
    /// only, so a query with any hint never touches the full live set).
    fn candidates(&self, q: &EntityQuery) -> RoaringBitmap {
        let mut sets: Vec<RoaringBitmap> = Vec::new();
        if let Some(ids) = &q.ids {
            sets.push(
                ids.iter()
                    .filter_map(|id| self.ids.get(id).copied())
                    .collect(),
            );
        }
        if let Some(types) = &q.types {
            sets.push(union(types.iter().filter_map(|t| self.by_type.get(t))));
        }
        if let Some(attrs) = &q.attrs_any {
            sets.push(union(attrs.iter().filter_map(|a| self.by_attr.get(a))));
        }
        sets.extend(q.ranges.iter().filter_map(|r| self.values.rows(r)));
        if let Some((prop, env)) = &q.envelope {
            let aabb = AABB::from_corners([env[0], env[1]], [env[2], env[3]]);
            let hits = self.geo.get(prop).map(|t| {
                t.locate_in_envelope_intersecting(&aabb)
                    .map(|g| g.row)
                    .collect()
            });
            sets.push(hits.unwrap_or_default());
        }
        sets.sort_by_key(RoaringBitmap::len);
        let mut sets = sets.into_iter();
        let Some(mut set) = sets.next() else {
            return self.live.clone();
        };
        for other in sets {
            if set.is_empty() {
                break;
            }
            set &= other;
        }
        set
    }

    /// Attributes whose queries asked for a value index that does not exist yet.
    pub fn wanted_indexes(&self) -> Vec<Sym> {
        self.values.wanted()
    }

    /// Builds the value index of `attr` (a scan, once; then kept up to date on every write).
    pub fn build_value_index(&mut self, attr: &Sym) {
        if self.values.is_indexed(attr) {
            return;
        }
        let rows = self
            .rows
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_deref().map(|e| (i as u32, e)));
        self.values.build(attr, rows);
    }

    pub fn types(&self) -> Vec<(Sym, TypeInfo)> {
        let mut out: Vec<(Sym, TypeInfo)> = self
            .by_type
            .iter()
            .filter(|(_, rows)| !rows.is_empty())
            .map(|(t, rows)| {
                let mut attributes: Vec<(Sym, [u64; 8])> = self
                    .type_attrs
                    .get(t)
                    .map(|m| m.iter().map(|(a, c)| (a.clone(), *c)).collect())
                    .unwrap_or_default();
                attributes.sort_by(|a, b| a.0.cmp(&b.0));
                (
                    t.clone(),
                    TypeInfo {
                        entity_count: rows.len(),
                        attributes,
                    },
                )
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    pub fn attributes(&self) -> Vec<(Sym, AttributeInfo)> {
        let mut out: Vec<(Sym, AttributeInfo)> = self
            .by_attr
            .iter()
            .filter(|(_, rows)| !rows.is_empty())
            .map(|(a, rows)| {
                let mut info = AttributeInfo {
                    entity_count: rows.len(),
                    ..Default::default()
                };
                for (t, per_type) in &self.type_attrs {
                    if let Some(c) = per_type.get(a) {
                        info.types.push(t.clone());
                        for (i, n) in c.iter().enumerate() {
                            info.kinds[i] += n;
                        }
                    }
                }
                info.types.sort();
                (a.clone(), info)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

fn remove_row(map: &mut HashMap<Sym, RoaringBitmap>, key: &Sym, row: u32) {
    if let Some(b) = map.get_mut(key) {
        b.remove(row);
        if b.is_empty() {
            map.remove(key);
        }
    }
}

fn union<'a>(sets: impl Iterator<Item = &'a RoaringBitmap>) -> RoaringBitmap {
    let mut out = RoaringBitmap::new();
    for s in sets {
        out |= s;
    }
    out
}
