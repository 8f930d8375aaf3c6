//! What one committed change did to an entity, in the terms of notification triggers
//! (clause 5.2.12): entity created, updated or deleted, and per attribute created, updated or
//! deleted. An attribute changed when any member of it, children included, differs; the
//! system timestamps (createdAt, modifiedAt) do not count (clause 5.8.6).

use ngsi::{Attribute, Entity, Sym};
use store::Change;

use crate::subscription::{Def, Triggers};

/// The kind of entity change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Created,
    Updated,
    Deleted,
}

/// One attribute's change.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrChange {
    pub name: Sym,
    pub trigger: Triggers,
}

/// A change, analysed.
#[derive(Debug)]
pub struct Analysis<'a> {
    pub kind: Kind,
    pub before: Option<&'a Entity>,
    pub after: Option<&'a Entity>,
    pub attrs: Vec<AttrChange>,
}

/// Analyses a change; None when nothing a subscriber could see changed.
pub fn analyse(change: &Change) -> Option<Analysis<'_>> {
    let (before, after) = (change.before.as_deref(), change.after.as_deref());
    let (kind, attrs) = match (before, after) {
        (None, Some(a)) => (Kind::Created, all(a, Triggers::ATTRIBUTE_CREATED)),
        (Some(b), None) => (Kind::Deleted, all(b, Triggers::ATTRIBUTE_DELETED)),
        (Some(b), Some(a)) => {
            let attrs = diff(b, a);
            if attrs.is_empty() && b.types == a.types && b.scope == a.scope {
                return None;
            }
            (Kind::Updated, attrs)
        }
        (None, None) => return None,
    };
    Some(Analysis {
        kind,
        before,
        after,
        attrs,
    })
}

impl Analysis<'_> {
    /// The entity filters are evaluated on: the new state, or the last one for a deletion.
    pub fn target(&self) -> Option<&Entity> {
        self.after.or(self.before)
    }

    /// The entities (before and after) the index is asked about.
    pub fn entities(&self) -> Vec<&Entity> {
        self.before.into_iter().chain(self.after).collect()
    }

    /// The attribute names the index is asked about.
    pub fn names(&self) -> Vec<Sym> {
        self.attrs.iter().map(|a| a.name.clone()).collect()
    }

    /// The triggers of `def` this change fires (empty: no notification).
    pub fn fired(&self, def: &Def) -> Triggers {
        let watched_touched =
            def.watched.is_none() || self.attrs.iter().any(|a| def.watches(&a.name));
        let mut fired = Triggers::default();
        match self.kind {
            Kind::Created if def.triggers.contains(Triggers::ENTITY_CREATED) && watched_touched => {
                fired = fired.with(Triggers::ENTITY_CREATED);
            }
            Kind::Deleted if def.triggers.contains(Triggers::ENTITY_DELETED) && watched_touched => {
                return Triggers::ENTITY_DELETED;
            }
            Kind::Deleted => return fired,
            _ => {}
        }
        for a in self.attrs.iter().filter(|a| def.watches(&a.name)) {
            if def.triggers.contains(a.trigger) {
                fired = fired.with(a.trigger);
            }
        }
        let entity_level = self.kind == Kind::Updated && self.attrs.is_empty();
        if entity_level && def.watched.is_none() && def.triggers.contains(Triggers::ENTITY_UPDATED)
        {
            fired = fired.with(Triggers::ENTITY_UPDATED);
        }
        fired
    }

    /// Attributes removed by this change.
    pub fn deleted_attrs(&self) -> impl Iterator<Item = &Sym> {
        self.attrs
            .iter()
            .filter(|a| a.trigger == Triggers::ATTRIBUTE_DELETED)
            .map(|a| &a.name)
    }
}

fn all(e: &Entity, trigger: Triggers) -> Vec<AttrChange> {
    e.attr_names()
        .map(|n| AttrChange {
            name: n.clone(),
            trigger,
        })
        .collect()
}

/// Per attribute name, how `after` differs from `before`.
fn diff(before: &Entity, after: &Entity) -> Vec<AttrChange> {
    let mut names: Vec<&Sym> = before.attr_names().chain(after.attr_names()).collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let b: Vec<&Attribute> = before.attr_instances(name).collect();
        let a: Vec<&Attribute> = after.attr_instances(name).collect();
        let trigger = match (b.is_empty(), a.is_empty()) {
            (true, false) => Triggers::ATTRIBUTE_CREATED,
            (false, true) => Triggers::ATTRIBUTE_DELETED,
            _ if b.len() == a.len() && b.iter().zip(&a).all(|(x, y)| same(x, y)) => continue,
            _ => Triggers::ATTRIBUTE_UPDATED,
        };
        out.push(AttrChange {
            name: name.clone(),
            trigger,
        });
    }
    out
}

/// Equal in every member but the system timestamps.
pub fn same(a: &Attribute, b: &Attribute) -> bool {
    a.name == b.name
        && a.dataset_id == b.dataset_id
        && a.value == b.value
        && a.observed_at == b.observed_at
        && a.unit_code == b.unit_code
        && a.extra == b.extra
        && a.sub.len() == b.sub.len()
        && a.sub.iter().zip(&b.sub).all(|(x, y)| same(x, y))
}

#[cfg(test)]
mod tests;
