//! The matching index of one tenant: from what a change is about (entity id, entity types,
//! attribute names) to the subscriptions that could care, so that an update costs a few hash
//! lookups and a handful of full evaluations, not one evaluation per subscription.
//!
//! Each subscription is filed under its most selective keys: the ids of its EntitySelectors,
//! else their types, else its watched attributes, else under "any". The index only narrows;
//! [`crate::subscription::Def::selects`] and the triggers decide. Periodic (`timeInterval`)
//! subscriptions are not filed: changes do not trigger them.

use std::collections::HashMap;
use std::sync::Arc;

use ngsi::{Entity, Sym};
use query::types::ResolvedTypes;

use crate::hub::Handle;
use crate::subscription::Def;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Id(Arc<str>),
    Type(Sym),
    Attr(Sym),
    Any,
}

/// The index of one tenant's change-triggered subscriptions.
#[derive(Default)]
pub struct TenantIndex {
    map: HashMap<Key, Vec<Arc<Handle>>>,
}

impl TenantIndex {
    /// Files `h` under the keys of `def`.
    pub fn insert(&mut self, h: &Arc<Handle>, def: &Def) {
        if def.time_interval.is_some() {
            return;
        }
        for k in keys(def) {
            self.map.entry(k).or_default().push(h.clone());
        }
    }

    /// Removes `h`, filed under the keys of `def` (the definition it was inserted with).
    pub fn remove(&mut self, h: &Arc<Handle>, def: &Def) {
        if def.time_interval.is_some() {
            return;
        }
        for k in keys(def) {
            if let Some(list) = self.map.get_mut(&k) {
                list.retain(|x| !Arc::ptr_eq(x, h));
                if list.is_empty() {
                    self.map.remove(&k);
                }
            }
        }
    }

    /// The candidates for a change of `entities` (before and/or after) touching `attrs`,
    /// without duplicates, into `out`.
    pub fn candidates(&self, entities: &[&Entity], attrs: &[Sym], out: &mut Vec<Arc<Handle>>) {
        let start = out.len();
        let mut add = |k: Key| {
            if let Some(list) = self.map.get(&k) {
                out.extend(list.iter().cloned());
            }
        };
        add(Key::Any);
        for e in entities {
            add(Key::Id(e.id.clone()));
            for t in &e.types {
                add(Key::Type(t.clone()));
            }
        }
        for a in attrs {
            add(Key::Attr(a.clone()));
        }
        // A subscription filed under several keys is evaluated once.
        let mut tail = out.split_off(start);
        tail.sort_by_key(|h| Arc::as_ptr(h) as usize);
        tail.dedup_by(|a, b| Arc::ptr_eq(a, b));
        out.extend(tail);
    }
}

/// The keys a subscription is filed under.
fn keys(def: &Def) -> Vec<Key> {
    let fallback = || match &def.watched {
        Some(w) => w.iter().map(|a| Key::Attr(a.clone())).collect(),
        None => vec![Key::Any],
    };
    let Some(selectors) = &def.selectors else {
        return fallback();
    };
    let mut keys = Vec::new();
    for s in selectors {
        if let Some(ids) = &s.ids {
            keys.extend(ids.iter().map(|i| Key::Id(i.clone())));
            continue;
        }
        let types = match &s.types {
            ResolvedTypes::All => None,
            t => t.candidate_types(),
        };
        match types {
            Some(ts) if !ts.is_empty() => keys.extend(ts.into_iter().map(Key::Type)),
            _ => return fallback(),
        }
    }
    keys.sort_by_key(|k| format!("{k:?}"));
    keys.dedup();
    keys
}
