//! Fragments: what a request says about an entity, before it is applied. Every payload (create,
//! append, update, merge, replace, batch) is parsed into an [`EntityPatch`]; the store then applies
//! it with the semantics of the operation (clauses 5.5.8 partial update, 5.5.12 merge patch).
//! A fragment keeps track of which members were present, so merges leave the others alone.

use std::sync::Arc;

use serde_json::Value;

use crate::error::{NgsiError, Result};
use crate::model::{AttrKind, AttrValue, Attribute, Entity};
use crate::sym::Sym;
use crate::time::Timestamp;

/// The NGSI-LD Null (clause 5.5.4), used in fragments to delete.
pub const NGSI_LD_NULL: &str = "urn:ngsi-ld:null";

/// A member that may be absent, set, or explicitly nulled (NGSI-LD Null) in a fragment.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Member<T> {
    #[default]
    Absent,
    Null,
    Set(T),
}

impl<T> Member<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Member::Absent)
    }

    /// Applies the member onto a target optional field (merge semantics).
    pub fn apply_to(self, target: &mut Option<T>) {
        match self {
            Member::Absent => {}
            Member::Null => *target = None,
            Member::Set(v) => *target = Some(v),
        }
    }

    pub fn into_option(self) -> Option<T> {
        match self {
            Member::Set(v) => Some(v),
            _ => None,
        }
    }
}

/// One attribute (or sub-attribute) as given in a fragment.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrPatch {
    pub name: Sym,
    pub dataset_id: Option<Sym>,
    /// The attribute itself is NGSI-LD Null: delete the targeted instance.
    pub delete: bool,
    pub kind: Option<AttrKind>,
    /// The value member (`value`, `object`, `languageMap`, ...), as given.
    pub value: Option<Value>,
    pub observed_at: Member<Timestamp>,
    pub unit_code: Member<Sym>,
    pub sub: Vec<AttrPatch>,
    pub extra: Vec<(Sym, Member<Value>)>,
}

impl AttrPatch {
    pub fn new(name: Sym) -> Self {
        Self {
            name,
            dataset_id: None,
            delete: false,
            kind: None,
            value: None,
            observed_at: Member::Absent,
            unit_code: Member::Absent,
            sub: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// A complete attribute, for operations that create or replace whole attributes. Sub-attributes
    /// must be complete too; nulls are not allowed here (clause 5.5.4).
    pub fn to_attribute(&self, now: Timestamp) -> Result<Attribute> {
        if self.delete {
            return Err(NgsiError::bad_data(format!(
                "attribute {} is NGSI-LD Null, which is only allowed in update and merge operations",
                self.name
            ))
            .with_instance(&*self.name));
        }
        let (Some(kind), Some(value)) = (self.kind, self.value.clone()) else {
            return Err(NgsiError::bad_data(format!(
                "attribute {} needs a type and a value member",
                self.name
            ))
            .with_instance(&*self.name));
        };
        let mut attr = Attribute::new(self.name.clone(), AttrValue::new(kind, value), now);
        attr.dataset_id = self.dataset_id.clone();
        attr.observed_at = self.observed_at.clone().into_option();
        attr.unit_code = self.unit_code.clone().into_option();
        let mut sub = self
            .sub
            .iter()
            .map(|s| s.to_attribute(now))
            .collect::<Result<Vec<_>>>()?;
        sub.sort_by(|a, b| a.name.cmp(&b.name));
        attr.sub = sub;
        let extra: Vec<(Sym, Value)> = self
            .extra
            .iter()
            .filter_map(|(k, v)| v.clone().into_option().map(|v| (k.clone(), v)))
            .collect();
        if !extra.is_empty() {
            attr.extra = Some(Box::new(extra));
        }
        Ok(attr)
    }

    /// Replaces `target` by this attribute, keeping its `createdAt` (clause 5.6.2).
    pub fn replace(&self, target: &Attribute, now: Timestamp) -> Result<Attribute> {
        let mut attr = self.to_attribute(now)?;
        attr.created_at = target.created_at;
        Ok(attr)
    }

    /// Merges this fragment into `target`: members present here overwrite, absent ones stay, nulls
    /// remove. With `deep`, JSON object values are merged per RFC 7396 (clause 5.5.12); otherwise
    /// the value is replaced (partial attribute update, clause 5.5.8).
    pub fn merge_into(&self, target: &mut Attribute, deep: bool, now: Timestamp) -> Result<()> {
        if let Some(kind) = self.kind
            && kind != target.kind()
            && self.value.is_none()
        {
            return Err(NgsiError::bad_data(format!(
                "attribute {} is a {}; a {} fragment needs its value member",
                self.name,
                target.kind().as_str(),
                kind.as_str()
            )));
        }
        if let Some(v) = &self.value {
            let kind = self.kind.unwrap_or(target.kind());
            let merged = if deep && kind == target.kind() {
                merge_json(target.value.json().clone(), v)
            } else {
                v.clone()
            };
            target.value = AttrValue::new(kind, merged);
        }
        self.observed_at.clone().apply_to(&mut target.observed_at);
        self.unit_code.clone().apply_to(&mut target.unit_code);
        for (k, v) in &self.extra {
            merge_extra(target, k, v.clone());
        }
        for s in &self.sub {
            merge_sub(target, s, deep, now)?;
        }
        target.modified_at = now;
        Ok(())
    }
}

fn merge_extra(target: &mut Attribute, key: &Sym, v: Member<Value>) {
    let list = target.extra.get_or_insert_with(Default::default);
    list.retain(|(k, _)| k != key);
    if let Member::Set(v) = v {
        list.push((key.clone(), v));
    }
    if list.is_empty() {
        target.extra = None;
    }
}

fn merge_sub(target: &mut Attribute, s: &AttrPatch, deep: bool, now: Timestamp) -> Result<()> {
    let pos = target
        .sub
        .iter()
        .position(|a| a.name == s.name && a.dataset_id == s.dataset_id);
    match (pos, s.delete) {
        (Some(i), true) => {
            target.sub.remove(i);
        }
        (None, true) => {}
        (Some(i), false) => s.merge_into(&mut target.sub[i], deep, now)?,
        (None, false) => {
            let attr = s.to_attribute(now)?;
            let at = target.sub.partition_point(|a| a.name < attr.name);
            target.sub.insert(at, attr);
        }
    }
    Ok(())
}

/// RFC 7396 JSON merge patch, with NGSI-LD Null (and JSON null) removing members.
pub fn merge_json(target: Value, patch: &Value) -> Value {
    match (target, patch) {
        (Value::Object(mut t), Value::Object(p)) => {
            for (k, pv) in p {
                if is_null(pv) {
                    t.remove(k);
                } else {
                    let old = t.remove(k).unwrap_or(Value::Null);
                    t.insert(k.clone(), merge_json(old, pv));
                }
            }
            Value::Object(t)
        }
        (_, p) => p.clone(),
    }
}

/// Whether a JSON value is an NGSI-LD Null.
pub fn is_null(v: &Value) -> bool {
    v.is_null() || v.as_str() == Some(NGSI_LD_NULL)
}

/// An entity as given in a request body: its id and types, and attribute fragments.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityPatch {
    pub id: Arc<str>,
    /// Expanded types (may be empty in fragments).
    pub types: Vec<Sym>,
    pub scope: Member<Vec<String>>,
    pub attrs: Vec<AttrPatch>,
}

impl EntityPatch {
    /// A complete new entity (create, replace, upsert in replace mode).
    pub fn to_entity(&self, now: Timestamp) -> Result<Entity> {
        if self.types.is_empty() {
            return Err(
                NgsiError::bad_data(format!("entity {} has no type", self.id))
                    .with_instance(&*self.id),
            );
        }
        let mut e = Entity::new(self.id.clone(), self.types.clone(), now);
        e.scope = self.scope.clone().into_option();
        for a in &self.attrs {
            let attr = a.to_attribute(now)?;
            if e.put_attr(attr).is_some() {
                return Err(NgsiError::bad_data(format!(
                    "attribute {} appears twice with the same datasetId",
                    a.name
                ))
                .with_instance(&*self.id));
            }
        }
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sym::intern;
    use serde_json::json;

    fn prop_patch(v: Value) -> AttrPatch {
        let mut p = AttrPatch::new(intern("t"));
        p.kind = Some(AttrKind::Property);
        p.value = Some(v);
        p
    }

    #[test]
    fn merge_keeps_absent_members_and_deep_merges_objects() {
        let mut target = prop_patch(json!({"street": "A", "city": "Haikou", "country": "CN"}))
            .to_attribute(1)
            .unwrap();
        target.unit_code = Some(intern("CEL"));
        let mut patch = prop_patch(json!({"street": "B", "country": NGSI_LD_NULL}));
        patch.observed_at = Member::Set(5);
        patch.merge_into(&mut target, true, 9).unwrap();
        assert_eq!(
            target.value.json(),
            &json!({"street": "B", "city": "Haikou"})
        );
        assert_eq!(target.unit_code.as_deref(), Some("CEL"));
        assert_eq!(
            (target.observed_at, target.created_at, target.modified_at),
            (Some(5), 1, 9)
        );
    }

    #[test]
    fn shallow_merge_replaces_the_value() {
        let mut target = prop_patch(json!({"a": 1, "b": 2})).to_attribute(1).unwrap();
        prop_patch(json!({"a": 3}))
            .merge_into(&mut target, false, 2)
            .unwrap();
        assert_eq!(target.value.json(), &json!({"a": 3}));
    }

    #[test]
    fn nulls_are_refused_where_whole_attributes_are_needed() {
        let mut p = prop_patch(json!(1));
        p.delete = true;
        assert!(p.to_attribute(0).is_err());
        let mut incomplete = AttrPatch::new(intern("x"));
        incomplete.kind = Some(AttrKind::Property);
        assert!(incomplete.to_attribute(0).is_err());
    }
}
