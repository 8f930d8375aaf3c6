//! Notification payloads (clauses 5.3.1, 5.8.6): the entities of a change in the subscription's
//! format, attributes and @context, deleted attributes as `urn:ngsi-ld:null`, deleted entities
//! as `deletedAt`, previous values with `showChanges`, and the Notification object around them
//! (`@context` inside for JSON-LD, a FeatureCollection for GeoJSON).

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use ngsi::model::AttrKind;
use ngsi::patch::NGSI_LD_NULL;
use ngsi::render::{Format, RenderOptions};
use ngsi::{Entity, Sym, Timestamp, time};
use serde_json::{Map, Value, json};

use crate::change::{Analysis, Kind};
use crate::subscription::{Accept, Def, Triggers};

/// Makes notification ids: `urn:ngsi-ld:Notification:<random per process>-<counter>`. A retry
/// sends the same id, so receivers can drop repeats.
pub struct Ids {
    prefix: String,
    next: AtomicU64,
}

impl Ids {
    pub fn new() -> Self {
        let mut b = [0u8; 6];
        // Without OS randomness the clock still separates processes well enough.
        if getrandom::getrandom(&mut b).is_err() {
            b.copy_from_slice(&time::now().to_le_bytes()[..6]);
        }
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        Self {
            prefix: format!("urn:ngsi-ld:Notification:{hex}-"),
            next: AtomicU64::new(1),
        }
    }

    pub fn next(&self) -> String {
        format!(
            "{}{}",
            self.prefix,
            self.next.fetch_add(1, Ordering::Relaxed)
        )
    }
}

impl Default for Ids {
    fn default() -> Self {
        Self::new()
    }
}

/// The entity of an analysed change as `def` wants it.
pub fn changed_entity(
    def: &Def,
    a: &Analysis<'_>,
    fired: Triggers,
    now: Timestamp,
) -> Option<Value> {
    if a.kind == Kind::Deleted {
        return a.before.map(|b| deleted_entity(def, b, now));
    }
    let after = a.after?;
    let mut v = entity(def, after);
    let Value::Object(m) = &mut v else {
        return Some(v);
    };
    if fired.contains(Triggers::ATTRIBUTE_DELETED) {
        for name in a.deleted_attrs().filter(|n| def.shape.projection.keeps(n)) {
            let prev = a.before.and_then(|b| b.attr_any(name));
            let key = def.ctx.compact(name).into_owned();
            m.insert(
                key,
                null_attr(def, prev.map(|p| (p.kind(), p.value.json()))),
            );
        }
    }
    if def.shape.show_changes
        && let Some(before) = a.before
    {
        previous_values(def, before, a, m);
    }
    Some(v)
}

/// An entity in the subscription's format, attributes, datasetIds and language.
pub fn entity(def: &Def, e: &Entity) -> Value {
    let s = &def.shape;
    let filtered;
    let e = match &s.dataset_ids {
        Some(ids) => {
            let mut c = e.clone();
            c.attrs.retain(|at| ids.contains(&at.dataset_id));
            filtered = c;
            &filtered
        }
        None => e,
    };
    if s.accept == Accept::GeoJson {
        let shape = api::respond::Shape {
            format: s.format,
            sys_attrs: s.sys_attrs,
            lang: s.lang.clone(),
            projection: s.projection.clone(),
            geometry_property: s.geometry_property.clone(),
        };
        return api::respond::feature(e, &shape, &def.ctx);
    }
    let opts = RenderOptions {
        ctx: &def.ctx,
        format: s.format,
        sys_attrs: s.sys_attrs,
        lang: s.lang.as_deref(),
        projection: &s.projection,
        with_context: false,
    };
    ngsi::render::to_value(e, &opts)
}

/// A deleted entity: id, type and `deletedAt` (plus createdAt/modifiedAt with sysAttrs, and
/// every attribute as NGSI-LD Null with its previous value with showChanges).
fn deleted_entity(def: &Def, before: &Entity, now: Timestamp) -> Value {
    let s = &def.shape;
    let mut m = Map::new();
    if !s.projection.drop_id {
        m.insert("id".into(), json!(before.id));
    }
    if !s.projection.drop_type {
        m.insert("type".into(), types(def, &before.types));
    }
    m.insert("deletedAt".into(), json!(time::format(now)));
    if s.sys_attrs {
        m.insert("createdAt".into(), json!(time::format(before.created_at)));
        m.insert("modifiedAt".into(), json!(time::format(before.modified_at)));
    }
    if s.show_changes {
        for name in before.attr_names().filter(|n| s.projection.keeps(n)) {
            let prev = before.attr_any(name).map(|p| (p.kind(), p.value.json()));
            m.insert(def.ctx.compact(name).into_owned(), null_attr(def, prev));
        }
    }
    if s.accept == Accept::GeoJson {
        return json!({"id": before.id, "type": "Feature", "geometry": null, "properties": m});
    }
    Value::Object(m)
}

fn types(def: &Def, types: &[Sym]) -> Value {
    let names: Vec<String> = types
        .iter()
        .map(|t| def.ctx.compact(t).into_owned())
        .collect();
    match names.as_slice() {
        [one] => json!(one),
        _ => json!(names),
    }
}

/// A deleted attribute: `"urn:ngsi-ld:null"`, or an object when more must be said (5.8.6).
fn null_attr(def: &Def, prev: Option<(AttrKind, &Value)>) -> Value {
    let s = &def.shape;
    if s.format == Format::Simplified || !(s.show_changes || s.sys_attrs) {
        return json!(NGSI_LD_NULL);
    }
    let kind = prev.map_or(AttrKind::Property, |(k, _)| k);
    let null = match kind {
        AttrKind::LanguageProperty => json!({"@none": NGSI_LD_NULL}),
        _ => json!(NGSI_LD_NULL),
    };
    let mut m = Map::new();
    if s.format == Format::Normalized {
        m.insert("type".into(), json!(kind.as_str()));
    }
    m.insert(kind.value_member().into(), null);
    if let (true, Some((k, v))) = (s.show_changes, prev) {
        m.insert(previous_member(k).into(), v.clone());
    }
    Value::Object(m)
}

/// The member holding an attribute's previous value (clause 5.2.14, `showChanges`).
fn previous_member(kind: AttrKind) -> &'static str {
    match kind {
        AttrKind::Property | AttrKind::GeoProperty => "previousValue",
        AttrKind::Relationship => "previousObject",
        AttrKind::LanguageProperty => "previousLanguageMap",
        AttrKind::VocabProperty => "previousVocab",
        AttrKind::ListProperty => "previousValueList",
        AttrKind::ListRelationship => "previousObjectList",
        AttrKind::JsonProperty => "previousJson",
    }
}

/// Adds the previous value to every updated attribute that existed before.
fn previous_values(def: &Def, before: &Entity, a: &Analysis<'_>, m: &mut Map<String, Value>) {
    let updated = a
        .attrs
        .iter()
        .filter(|c| c.trigger == Triggers::ATTRIBUTE_UPDATED);
    for c in updated {
        let (Some(prev), Some(slot)) = (
            before.attr(&c.name, None),
            m.get_mut(&*def.ctx.compact(&c.name)),
        ) else {
            continue;
        };
        if !slot.is_object() {
            // A concise Property rendered as its bare value: wrap it to carry the previous one.
            *slot = json!({ "value": slot.take() });
        }
        if let Value::Object(o) = slot {
            o.insert(
                previous_member(prev.kind()).into(),
                prev.value.json().clone(),
            );
        }
    }
}

/// The Notification (clause 5.3.1) as bytes, and the Link URL to send with it ("" for none).
pub fn notification(
    def: &Def,
    id: &str,
    reason: Option<&str>,
    data: Vec<Value>,
    now: Timestamp,
) -> (Bytes, String) {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("type".into(), json!("Notification"));
    m.insert("subscriptionId".into(), json!(def.stored.id));
    m.insert("notifiedAt".into(), json!(time::format(now)));
    if let Some(r) = reason {
        m.insert("triggerReason".into(), json!(r));
    }
    let link = def.ctx.link_url().to_string();
    let link = match def.shape.accept {
        Accept::Json => {
            m.insert("data".into(), Value::Array(data));
            link
        }
        Accept::JsonLd => {
            m.insert("data".into(), Value::Array(data));
            m.insert("@context".into(), def.ctx.response_context().clone());
            String::new()
        }
        Accept::GeoJson => {
            let mut fc = Map::new();
            fc.insert("type".into(), json!("FeatureCollection"));
            fc.insert("features".into(), Value::Array(data));
            // clause 6.3.8: with Prefer body=json the @context goes in a Link header instead.
            let plain = def.endpoint.receiver_value("Prefer") == Some("body=json");
            if !plain {
                fc.insert("@context".into(), def.ctx.response_context().clone());
            }
            m.insert("data".into(), Value::Object(fc));
            if plain { link } else { String::new() }
        }
    };
    (
        Bytes::from(serde_json::to_vec(&m).unwrap_or_default()),
        link,
    )
}

#[cfg(test)]
mod tests;
