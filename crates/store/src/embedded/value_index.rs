//! Ordered indexes of numeric attribute values, so that equality and range filters on frequently
//! queried attributes start from the rows in range instead of scanning every candidate.
//! An index holds every numeric value of every instance of its attribute (array elements too),
//! because `q` matches an entity when any instance or element matches; other values never
//! satisfy a numeric comparison, so leaving them out keeps the index sound.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

use ngsi::{AttrValue, Entity, Sym};
use roaring::RoaringBitmap;
use serde_json::Value;

use crate::query::NumRange;

/// An f64 with a total order (NaN never reaches here: JSON numbers are finite).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Key(f64);

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// How many queries on an attribute make it worth an index.
pub(crate) const DEMAND_THRESHOLD: u32 = 3;

/// The value indexes of one tenant, and the demand for new ones.
#[derive(Default)]
pub(crate) struct ValueIndexes {
    by_attr: HashMap<Sym, BTreeSet<(Key, u32)>>,
    demand: parking_lot::Mutex<HashMap<Sym, u32>>,
}

fn numbers(a: &ngsi::Attribute) -> impl Iterator<Item = f64> + '_ {
    let v = match &a.value {
        AttrValue::Property(v) => Some(v),
        _ => None,
    };
    let items: Box<dyn Iterator<Item = &Value>> = match v {
        Some(Value::Array(items)) => Box::new(items.iter()),
        Some(v) => Box::new(std::iter::once(v)),
        None => Box::new(std::iter::empty()),
    };
    items.filter_map(Value::as_f64)
}

impl ValueIndexes {
    pub fn is_indexed(&self, attr: &str) -> bool {
        self.by_attr.contains_key(attr)
    }

    /// Adds (or with `insert = false` removes) the entries of entity `e` at `row`.
    pub fn update(&mut self, row: u32, e: &Entity, insert: bool) {
        if self.by_attr.is_empty() {
            return;
        }
        for a in &e.attrs {
            let Some(index) = self.by_attr.get_mut(&a.name) else {
                continue;
            };
            for n in numbers(a) {
                if insert {
                    index.insert((Key(n), row));
                } else {
                    index.remove(&(Key(n), row));
                }
            }
        }
    }

    /// Builds the index of `attr` from every entity.
    pub fn build<'a>(&mut self, attr: &Sym, rows: impl Iterator<Item = (u32, &'a Entity)>) {
        let mut index = BTreeSet::new();
        for (row, e) in rows {
            for a in e.attr_instances(attr) {
                index.extend(numbers(a).map(|n| (Key(n), row)));
            }
        }
        self.by_attr.insert(attr.clone(), index);
        self.demand.lock().remove(attr);
    }

    /// The rows whose value of `r.attr` may be in range, if that attribute is indexed; else
    /// records the demand and returns None.
    pub fn rows(&self, r: &NumRange) -> Option<RoaringBitmap> {
        let Some(index) = self.by_attr.get(&r.attr) else {
            *self.demand.lock().entry(r.attr.clone()).or_default() += 1;
            return None;
        };
        let lo = match r.lo {
            Bound::Included(v) => Bound::Included((Key(v), 0)),
            Bound::Excluded(v) => Bound::Excluded((Key(v), u32::MAX)),
            Bound::Unbounded => Bound::Unbounded,
        };
        let hi = match r.hi {
            Bound::Included(v) => Bound::Included((Key(v), u32::MAX)),
            Bound::Excluded(v) => Bound::Excluded((Key(v), 0)),
            Bound::Unbounded => Bound::Unbounded,
        };
        if matches!((lo, hi), (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) if a > b)
        {
            return Some(RoaringBitmap::new());
        }
        Some(index.range((lo, hi)).map(|(_, row)| *row).collect())
    }

    /// Attributes queried often enough to deserve an index.
    pub fn wanted(&self) -> Vec<Sym> {
        self.demand
            .lock()
            .iter()
            .filter(|(_, n)| **n >= DEMAND_THRESHOLD)
            .map(|(a, _)| a.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ngsi::{Attribute, intern};
    use serde_json::json;

    fn entity(id: &str, v: Value) -> Entity {
        let mut e = Entity::new(id.into(), vec![intern("T")], 0);
        e.put_attr(Attribute::new(intern("level"), AttrValue::Property(v), 0));
        e
    }

    #[test]
    fn ranges_select_rows_and_track_updates() {
        let mut idx = ValueIndexes::default();
        let es = [
            entity("a", json!(1.5)),
            entity("b", json!([3, 9])),
            entity("c", json!("7")),
            entity("d", json!(5)),
        ];
        let level = intern("level");
        let range = |lo, hi| NumRange {
            attr: level.clone(),
            lo,
            hi,
        };
        assert!(
            idx.rows(&range(Bound::Unbounded, Bound::Unbounded))
                .is_none()
        );
        idx.build(&level, es.iter().enumerate().map(|(i, e)| (i as u32, e)));
        let got =
            |idx: &ValueIndexes, r: NumRange| idx.rows(&r).unwrap().iter().collect::<Vec<_>>();
        assert_eq!(
            got(&idx, range(Bound::Excluded(1.5), Bound::Unbounded)),
            vec![1, 3]
        );
        assert_eq!(
            got(&idx, range(Bound::Included(5.0), Bound::Included(5.0))),
            vec![3]
        );
        assert_eq!(
            got(&idx, range(Bound::Unbounded, Bound::Excluded(3.0))),
            vec![0]
        );
        assert!(got(&idx, range(Bound::Included(9.0), Bound::Included(1.0))).is_empty());
        idx.update(3, &es[3], false);
        assert_eq!(
            got(&idx, range(Bound::Included(5.0), Bound::Included(5.0))),
            Vec::<u32>::new()
        );
    }
}
