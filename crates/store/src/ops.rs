//! The NGSI-LD semantics of each write operation (clause 5.6), as pure functions from the current
//! entity to the next. Every backend applies writes through [`execute`], so the rules live once.

use std::sync::Arc;

use ngsi::patch::{AttrPatch, EntityPatch, Member};
use ngsi::{Entity, NgsiError, Sym, Timestamp};

use crate::Change;

/// How an upsert treats an entity that exists (clause 6.15.3.1 `options`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpsertMode {
    #[default]
    Replace,
    Update,
}

/// One write, as the API or a device asked for it.
#[derive(Debug, Clone)]
pub enum Op {
    /// Create Entity (5.6.1); AlreadyExists if the id is taken.
    Create(EntityPatch),
    /// Batch upsert (5.6.8): create, or replace/update.
    Upsert(EntityPatch, UpsertMode),
    /// Append Attributes (5.6.3); batch update (5.6.9) uses it too.
    Append {
        entity: EntityPatch,
        overwrite: bool,
    },
    /// Update Attributes (5.6.2): replace matching instances, append the others, nulls delete.
    Update(EntityPatch),
    /// Partial Attribute Update (5.6.4) of one attribute instance.
    PatchAttr { id: Arc<str>, attr: AttrPatch },
    /// Replace Attribute (5.6.19).
    ReplaceAttr { id: Arc<str>, attr: AttrPatch },
    /// Merge Entity (5.6.17), also batch merge (5.6.20).
    Merge(EntityPatch),
    /// Replace Entity (5.6.18).
    Replace(EntityPatch),
    /// Delete Attribute (5.6.5): one instance, or every instance with `delete_all`.
    DeleteAttr {
        id: Arc<str>,
        name: Sym,
        dataset_id: Option<Sym>,
        delete_all: bool,
    },
    /// Delete Entity (5.6.6).
    Delete { id: Arc<str> },
}

impl Op {
    /// The entity the op is about.
    pub fn entity_id(&self) -> &Arc<str> {
        match self {
            Op::Create(e) | Op::Upsert(e, _) | Op::Append { entity: e, .. } => &e.id,
            Op::Update(e) | Op::Merge(e) | Op::Replace(e) => &e.id,
            Op::PatchAttr { id, .. } | Op::ReplaceAttr { id, .. } => id,
            Op::DeleteAttr { id, .. } | Op::Delete { id } => id,
        }
    }
}

/// An attribute that an update left alone, and why (clause 5.2.19).
#[derive(Debug, Clone, PartialEq)]
pub struct NotUpdated {
    pub name: Sym,
    pub reason: String,
}

/// What an op did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Created,
    Updated {
        updated: Vec<Sym>,
        not_updated: Vec<NotUpdated>,
    },
    Deleted,
}

/// Applies `op` to `current` (the entity with the op's id, if any) at time `now`.
/// Returns the outcome and the change to commit (None when nothing changed).
pub fn execute(
    op: &Op,
    current: Option<&Arc<Entity>>,
    now: Timestamp,
) -> Result<(Outcome, Option<Change>), NgsiError> {
    let id = op.entity_id();
    match (op, current) {
        (Op::Create(p), None) | (Op::Upsert(p, _), None) => created(p.to_entity(now)?),
        (Op::Create(_), Some(_)) => Err(NgsiError::new(
            ngsi::ErrorKind::AlreadyExists,
            format!("entity {id} already exists"),
        )
        .with_instance(&**id)),
        (_, None) => Err(NgsiError::entity_not_found(id)),
        (Op::Upsert(p, UpsertMode::Replace), Some(cur)) | (Op::Replace(p), Some(cur)) => {
            let mut e = p.to_entity(now)?;
            e.created_at = cur.created_at;
            updated(cur, e, names(&p.attrs), Vec::new())
        }
        (Op::Upsert(p, UpsertMode::Update), Some(cur)) | (Op::Update(p), Some(cur)) => {
            update_attrs(cur, p, now)
        }
        (Op::Append { entity, overwrite }, Some(cur)) => append_attrs(cur, entity, *overwrite, now),
        (Op::Merge(p), Some(cur)) => merge_entity(cur, p, now),
        (Op::PatchAttr { attr, .. }, Some(cur)) => patch_attr(cur, attr, now),
        (Op::ReplaceAttr { attr, .. }, Some(cur)) => replace_attr(cur, attr, now),
        (
            Op::DeleteAttr {
                name,
                dataset_id,
                delete_all,
                ..
            },
            Some(cur),
        ) => delete_attr(cur, name, dataset_id.as_deref(), *delete_all, now),
        (Op::Delete { .. }, Some(cur)) => Ok((
            Outcome::Deleted,
            Some(Change {
                before: Some(cur.clone()),
                after: None,
            }),
        )),
    }
}

fn created(e: Entity) -> Result<(Outcome, Option<Change>), NgsiError> {
    Ok((
        Outcome::Created,
        Some(Change {
            before: None,
            after: Some(Arc::new(e)),
        }),
    ))
}

fn updated(
    cur: &Arc<Entity>,
    next: Entity,
    updated: Vec<Sym>,
    not_updated: Vec<NotUpdated>,
) -> Result<(Outcome, Option<Change>), NgsiError> {
    let outcome = Outcome::Updated {
        updated,
        not_updated,
    };
    if next == **cur {
        return Ok((outcome, None));
    }
    Ok((
        outcome,
        Some(Change {
            before: Some(cur.clone()),
            after: Some(Arc::new(next)),
        }),
    ))
}

fn names(attrs: &[AttrPatch]) -> Vec<Sym> {
    let mut v: Vec<Sym> = attrs.iter().map(|a| a.name.clone()).collect();
    v.dedup();
    v
}

/// Adds the fragment's types that the entity lacks (5.6.2, 5.6.3).
fn add_types(e: &mut Entity, types: &[Sym]) {
    for t in types {
        if !e.has_type(t) {
            e.types.push(t.clone());
        }
    }
}

fn touched(mut e: Entity, now: Timestamp) -> Entity {
    e.modified_at = now;
    e
}

fn update_attrs(
    cur: &Arc<Entity>,
    p: &EntityPatch,
    now: Timestamp,
) -> Result<(Outcome, Option<Change>), NgsiError> {
    let mut e = (**cur).clone();
    add_types(&mut e, &p.types);
    if let Member::Set(scope) = &p.scope
        && e.scope.is_some()
    {
        e.scope = Some(scope.clone());
    }
    let mut not_updated = Vec::new();
    for a in &p.attrs {
        let existing = e.attr(&a.name, a.dataset_id.as_deref());
        match (existing, a.delete) {
            (Some(_), true) => {
                e.remove_attr(&a.name, a.dataset_id.as_deref());
            }
            (None, true) => not_updated.push(NotUpdated {
                name: a.name.clone(),
                reason: "the attribute to delete does not exist".into(),
            }),
            (Some(old), false) => {
                let attr = a.replace(old, now)?;
                e.put_attr(attr);
            }
            (None, false) => {
                e.put_attr(a.to_attribute(now)?);
            }
        }
    }
    let done = names(&p.attrs)
        .into_iter()
        .filter(|n| !not_updated.iter().any(|nu| &nu.name == n))
        .collect();
    updated(cur, touched(e, now), done, not_updated)
}

fn append_attrs(
    cur: &Arc<Entity>,
    p: &EntityPatch,
    overwrite: bool,
    now: Timestamp,
) -> Result<(Outcome, Option<Change>), NgsiError> {
    let mut e = (**cur).clone();
    add_types(&mut e, &p.types);
    append_scope(&mut e, &p.scope, overwrite);
    let mut done = Vec::new();
    let mut not_updated = Vec::new();
    for a in &p.attrs {
        match e.attr(&a.name, a.dataset_id.as_deref()) {
            Some(_) if !overwrite => not_updated.push(NotUpdated {
                name: a.name.clone(),
                reason: "attribute already exists and noOverwrite was requested".into(),
            }),
            Some(old) => {
                let attr = a.replace(old, now)?;
                e.put_attr(attr);
                done.push(a.name.clone());
            }
            None => {
                e.put_attr(a.to_attribute(now)?);
                done.push(a.name.clone());
            }
        }
    }
    done.dedup();
    updated(cur, touched(e, now), done, not_updated)
}

fn append_scope(e: &mut Entity, scope: &Member<Vec<String>>, overwrite: bool) {
    let Member::Set(new) = scope else { return };
    if overwrite {
        e.scope = Some(new.clone());
        return;
    }
    let s = e.scope.get_or_insert_with(Vec::new);
    for x in new {
        if !s.contains(x) {
            s.push(x.clone());
        }
    }
}

fn merge_entity(
    cur: &Arc<Entity>,
    p: &EntityPatch,
    now: Timestamp,
) -> Result<(Outcome, Option<Change>), NgsiError> {
    let mut e = (**cur).clone();
    add_types(&mut e, &p.types);
    p.scope.clone().apply_to(&mut e.scope);
    for a in &p.attrs {
        let ds = a.dataset_id.as_deref();
        if a.delete {
            e.remove_attr(&a.name, ds);
            continue;
        }
        match e
            .attrs
            .iter_mut()
            .find(|x| x.name == a.name && x.has_dataset(ds))
        {
            Some(target) => a.merge_into(target, true, now)?,
            None => {
                e.put_attr(a.to_attribute(now)?);
            }
        }
    }
    updated(cur, touched(e, now), names(&p.attrs), Vec::new())
}

fn attr_not_found(id: &str, a: &Sym, ds: Option<&str>) -> NgsiError {
    let which = ds
        .map(|d| format!(" with datasetId {d}"))
        .unwrap_or_default();
    NgsiError::not_found(format!("entity {id} has no attribute {a}{which}")).with_instance(&**a)
}

fn patch_attr(
    cur: &Arc<Entity>,
    a: &AttrPatch,
    now: Timestamp,
) -> Result<(Outcome, Option<Change>), NgsiError> {
    let ds = a.dataset_id.as_deref();
    let mut e = (**cur).clone();
    if a.delete {
        e.remove_attr(&a.name, ds)
            .ok_or_else(|| attr_not_found(&cur.id, &a.name, ds))?;
    } else {
        let target = e
            .attrs
            .iter_mut()
            .find(|x| x.name == a.name && x.has_dataset(ds))
            .ok_or_else(|| attr_not_found(&cur.id, &a.name, ds))?;
        a.merge_into(target, false, now)?;
    }
    updated(cur, touched(e, now), vec![a.name.clone()], Vec::new())
}

fn replace_attr(
    cur: &Arc<Entity>,
    a: &AttrPatch,
    now: Timestamp,
) -> Result<(Outcome, Option<Change>), NgsiError> {
    let ds = a.dataset_id.as_deref();
    let old = cur
        .attr(&a.name, ds)
        .ok_or_else(|| attr_not_found(&cur.id, &a.name, ds))?;
    let attr = a.replace(old, now)?;
    let mut e = (**cur).clone();
    e.put_attr(attr);
    updated(cur, touched(e, now), vec![a.name.clone()], Vec::new())
}

fn delete_attr(
    cur: &Arc<Entity>,
    name: &Sym,
    ds: Option<&str>,
    delete_all: bool,
    now: Timestamp,
) -> Result<(Outcome, Option<Change>), NgsiError> {
    let mut e = (**cur).clone();
    let removed = if delete_all {
        e.remove_all_instances(name).len()
    } else {
        e.remove_attr(name, ds).map_or(0, |_| 1)
    };
    if removed == 0 {
        return Err(attr_not_found(&cur.id, name, ds));
    }
    updated(cur, touched(e, now), vec![name.clone()], Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ngsi::intern;
    use ngsi::model::AttrKind;
    use serde_json::{Value, json};

    fn prop(name: &str, v: Value) -> AttrPatch {
        let mut p = AttrPatch::new(intern(name));
        p.kind = Some(AttrKind::Property);
        p.value = Some(v);
        p
    }

    fn entity(attrs: Vec<AttrPatch>) -> EntityPatch {
        EntityPatch {
            id: "urn:ngsi-ld:T:1".into(),
            types: vec![intern("T")],
            scope: Member::Absent,
            attrs,
        }
    }

    fn apply(op: Op, cur: Option<&Arc<Entity>>, now: i64) -> (Outcome, Option<Arc<Entity>>) {
        let (o, ch) = execute(&op, cur, now).unwrap();
        (o, ch.and_then(|c| c.after).or_else(|| cur.cloned()))
    }

    #[test]
    fn update_replaces_appends_and_deletes_keeping_created_at() {
        let (_, e) = apply(
            Op::Create(entity(vec![prop("a", json!(1)), prop("b", json!(2))])),
            None,
            10,
        );
        let e = e.unwrap();
        let mut gone = prop("b", json!(null));
        gone.delete = true;
        let (_, e2) = apply(
            Op::Update(entity(vec![prop("a", json!(5)), prop("c", json!(3)), gone])),
            Some(&e),
            20,
        );
        let e2 = e2.unwrap();
        let a = e2.attr("a", None).unwrap();
        assert_eq!(
            (a.value.json(), a.created_at, a.modified_at),
            (&json!(5), 10, 20)
        );
        assert!(e2.attr("b", None).is_none());
        assert_eq!(e2.attr("c", None).unwrap().created_at, 20);
        assert_eq!((e2.created_at, e2.modified_at), (10, 20));
    }

    #[test]
    fn append_without_overwrite_reports_not_updated() {
        let (_, e) = apply(Op::Create(entity(vec![prop("a", json!(1))])), None, 1);
        let op = Op::Append {
            entity: entity(vec![prop("a", json!(2)), prop("b", json!(3))]),
            overwrite: false,
        };
        let (o, e2) = apply(op, e.as_ref(), 2);
        let Outcome::Updated {
            updated,
            not_updated,
        } = o
        else {
            panic!("{o:?}")
        };
        assert_eq!(updated, vec![intern("b")]);
        assert_eq!(not_updated[0].name, intern("a"));
        assert_eq!(e2.unwrap().attr("a", None).unwrap().value.json(), &json!(1));
    }

    #[test]
    fn create_conflicts_and_missing_entities_are_errors() {
        let (_, e) = apply(Op::Create(entity(vec![])), None, 1);
        let err = execute(&Op::Create(entity(vec![])), e.as_ref(), 2).unwrap_err();
        assert_eq!(err.kind, ngsi::ErrorKind::AlreadyExists);
        let err = execute(&Op::Update(entity(vec![])), None, 2).unwrap_err();
        assert_eq!(err.kind, ngsi::ErrorKind::ResourceNotFound);
    }

    #[test]
    fn delete_attr_needs_an_instance() {
        let (_, e) = apply(Op::Create(entity(vec![prop("a", json!(1))])), None, 1);
        let del = |name: &str| Op::DeleteAttr {
            id: "urn:ngsi-ld:T:1".into(),
            name: intern(name),
            dataset_id: None,
            delete_all: false,
        };
        assert!(execute(&del("zz"), e.as_ref(), 2).is_err());
        let (_, e2) = apply(del("a"), e.as_ref(), 2);
        assert!(!e2.unwrap().has_attr("a"));
    }

    #[test]
    fn an_unchanged_replace_commits_nothing() {
        let (_, e) = apply(Op::Create(entity(vec![prop("a", json!(1))])), None, 1);
        let (_, ch) = execute(
            &Op::Replace(entity(vec![prop("a", json!(1))])),
            e.as_ref(),
            1,
        )
        .unwrap();
        assert!(ch.is_none());
    }
}
