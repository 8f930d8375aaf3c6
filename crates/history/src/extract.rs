//! Which attribute instances a committed change records (clauses 4.5.7, 4.5.8): every attribute
//! instance that is new or differs between the entity before and after the commit, and a
//! deletion record for every instance that disappeared.
//!
//! Times: a recorded instance is stamped with its `modifiedAt` in the new state, which the store
//! sets to the commit time. A deletion record's `deletedAt` is the commit time too, read from the
//! entity's new `modifiedAt`; when the whole entity was deleted there is no new state, and the
//! caller supplies the time the commit was processed. Pure: no I/O.

use ngsi::{Attribute, Entity, Timestamp};
use store::Change;

/// One attribute instance a change records.
#[derive(Debug)]
pub enum Event<'a> {
    /// Created or changed: record the new instance.
    Set(&'a Attribute),
    /// Removed: record a deletion at the given time.
    Removed(&'a Attribute, Timestamp),
}

/// The entity a change is about, in its newest known state.
pub fn entity_of(change: &Change) -> Option<&Entity> {
    change.after.as_deref().or(change.before.as_deref())
}

/// The instances `change` records; `deleted_at` is used when the entity itself was deleted.
pub fn events(change: &Change, deleted_at: Timestamp) -> Vec<Event<'_>> {
    let mut out = Vec::new();
    match (&change.before, &change.after) {
        (before, Some(after)) => {
            for a in &after.attrs {
                let old = before
                    .as_ref()
                    .and_then(|b| b.attr(&a.name, a.dataset_id.as_deref()));
                if old != Some(a) {
                    out.push(Event::Set(a));
                }
            }
            for b in before.iter().flat_map(|b| b.attrs.iter()) {
                if after.attr(&b.name, b.dataset_id.as_deref()).is_none() {
                    out.push(Event::Removed(b, after.modified_at));
                }
            }
        }
        (Some(before), None) => {
            out.extend(before.attrs.iter().map(|b| Event::Removed(b, deleted_at)));
        }
        (None, None) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ngsi::{AttrValue, intern};
    use serde_json::json;
    use std::sync::Arc;

    fn entity(attrs: &[(&str, Option<&str>, i64)], modified: i64) -> Arc<Entity> {
        let mut e = Entity::new("urn:e:1".into(), vec![intern("T")], 1);
        e.modified_at = modified;
        for (name, ds, v) in attrs {
            let mut a = Attribute::new(intern(name), AttrValue::Property(json!(v)), modified);
            a.dataset_id = ds.map(intern);
            e.put_attr(a);
        }
        Arc::new(e)
    }

    fn names(ev: &[Event<'_>]) -> Vec<String> {
        ev.iter()
            .map(|e| match e {
                Event::Set(a) => format!("set {} {:?}", a.name, a.dataset_id),
                Event::Removed(a, t) => format!("del {} {:?} @{t}", a.name, a.dataset_id),
            })
            .collect()
    }

    #[test]
    fn records_new_changed_and_removed_instances_only() {
        let before = entity(
            &[("a", None, 1), ("b", None, 2), ("b", Some("urn:d"), 3)],
            10,
        );
        let mut after = (*before).clone();
        after.modified_at = 20;
        after.put_attr(Attribute::new(
            intern("a"),
            AttrValue::Property(json!(5)),
            20,
        ));
        after.remove_attr("b", Some("urn:d"));
        after.put_attr(Attribute::new(
            intern("c"),
            AttrValue::Property(json!(6)),
            20,
        ));
        let change = Change {
            before: Some(before.clone()),
            after: Some(Arc::new(after)),
        };
        assert_eq!(
            names(&events(&change, 99)),
            vec!["set a None", "set c None", "del b Some(\"urn:d\") @20"]
        );
        let gone = Change {
            before: Some(before.clone()),
            after: None,
        };
        assert_eq!(events(&gone, 99).len(), 3);
        assert!(matches!(events(&gone, 99)[0], Event::Removed(_, 99)));
        let created = Change {
            before: None,
            after: Some(before),
        };
        assert_eq!(events(&created, 0).len(), 3);
    }
}
