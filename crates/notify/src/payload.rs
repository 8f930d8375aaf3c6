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

/// The entity of an analysed change as `def` wants it, as JSON bytes.
pub fn changed_entity(
    def: &Def,
    a: &Analysis<'_>,
    fired: Triggers,
    now: Timestamp,
) -> Option<Vec<u8>> {
    if a.kind == Kind::Deleted {
        return a.before.map(|b| to_bytes(&deleted_entity(def, b, now)));
    }
    let after = a.after?;
    let deleted = fired.contains(Triggers::ATTRIBUTE_DELETED)
        && a.deleted_attrs().any(|n| def.shape.projection.keeps(n));
    let previous = def.shape.show_changes && a.before.is_some();
    if !deleted && !previous {
        // The common case: straight from the model to bytes, no JSON tree in between.
        return Some(entity_bytes(def, after));
    }
    let mut v = entity(def, after);
    if let Value::Object(m) = &mut v {
        if deleted {
            for name in a.deleted_attrs().filter(|n| def.shape.projection.keeps(n)) {
                let prev = a.before.and_then(|b| b.attr_any(name));
                let key = def.ctx.compact(name).into_owned();
                m.insert(
                    key,
                    null_attr(def, prev.map(|p| (p.kind(), p.value.json()))),
                );
            }
        }
        if let (true, Some(before)) = (previous, a.before) {
            previous_values(def, before, a, m);
        }
    }
    Some(to_bytes(&v))
}

fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_else(|_| b"null".to_vec())
}

/// [`entity`] as JSON bytes.
pub fn entity_bytes(def: &Def, e: &Entity) -> Vec<u8> {
    let s = &def.shape;
    if s.accept == Accept::GeoJson || s.dataset_ids.is_some() {
        return to_bytes(&entity(def, e));
    }
    let opts = RenderOptions {
        ctx: &def.ctx,
        format: s.format,
        sys_attrs: s.sys_attrs,
        lang: s.lang.as_deref(),
        projection: &s.projection,
        with_context: false,
    };
    ngsi::render::to_vec(e, &opts)
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
/// `data` holds each entity's JSON; it is spliced in, not parsed again.
pub fn notification(
    def: &Def,
    id: &str,
    reason: Option<&str>,
    data: Vec<Vec<u8>>,
    now: Timestamp,
) -> (Bytes, String) {
    let mut head = Map::new();
    head.insert("id".into(), json!(id));
    head.insert("type".into(), json!("Notification"));
    head.insert("subscriptionId".into(), json!(def.stored.id));
    head.insert("notifiedAt".into(), json!(time::format(now)));
    if let Some(r) = reason {
        head.insert("triggerReason".into(), json!(r));
    }
    let context = || to_bytes(def.ctx.response_context());
    let mut out = to_bytes(&Value::Object(head));
    out.pop(); // the closing brace: members follow
    let link = match def.shape.accept {
        Accept::Json => {
            push_data(&mut out, b",\"data\":[", &data, b"]");
            def.ctx.link_url().to_string()
        }
        Accept::JsonLd => {
            push_data(&mut out, b",\"data\":[", &data, b"],\"@context\":");
            out.extend_from_slice(&context());
            String::new()
        }
        Accept::GeoJson => {
            let open = b",\"data\":{\"type\":\"FeatureCollection\",\"features\":[";
            // clause 6.3.8: with Prefer body=json the @context goes in a Link header instead.
            if def.endpoint.receiver_value("Prefer") == Some("body=json") {
                push_data(&mut out, open, &data, b"]}");
                def.ctx.link_url().to_string()
            } else {
                push_data(&mut out, open, &data, b"],\"@context\":");
                out.extend_from_slice(&context());
                out.push(b'}');
                String::new()
            }
        }
    };
    out.push(b'}');
    (Bytes::from(out), link)
}

fn push_data(out: &mut Vec<u8>, open: &[u8], data: &[Vec<u8>], close: &[u8]) {
    out.extend_from_slice(open);
    for (i, e) in data.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(e);
    }
    out.extend_from_slice(close);
}

#[cfg(test)]
mod tests;
