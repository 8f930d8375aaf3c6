//! Temporal representations of an entity (clauses 4.5.6-4.5.9, 4.5.19): normalized (an array of
//! instances per attribute, each with its `instanceId`), simplified (`temporalValues`) and
//! aggregated (`aggregatedValues`). Attribute members are rendered by `ngsi::render` so that
//! names, vocabularies and languages compact exactly as on the entity API.
//!
//! Each instance shows the temporal property the read is keyed by (`createdAt`, `modifiedAt`,
//! `deletedAt`) even without `sysAttrs`; `deletedAt` marks deletion records.

use std::collections::HashMap;

use ngsi::context::CompiledContext;
use ngsi::model::{AttrKind, AttrValue, Attribute};
use ngsi::render::{AttrView, Format, Projection, RenderOptions};
use ngsi::time;
use query::temporal::TimeProperty;
use serde_json::{Map, Value, json};

use crate::aggregate::Aggregated;
use crate::catalog::{EntityInfo, SeriesInfo};
use crate::meta::{self, Meta};
use crate::model::{Inst, instance_id};
use crate::read::Keyed;

use super::params::{Shape, TemporalRead};

/// Decoded instance members, per encoded form, for one response.
pub type Metas = HashMap<usize, Meta>;

/// What was read for one series.
pub enum SeriesData {
    Instances(Vec<Keyed>),
    Aggregated(Aggregated),
}

/// The instance as an NGSI-LD attribute (name and dataset from its series).
pub fn attribute(s: &SeriesInfo, i: &Inst, metas: &mut Metas) -> Attribute {
    let mut a = Attribute::new(
        s.attr.clone(),
        AttrValue::new(i.kind, i.value.to_json()),
        i.rec,
    );
    a.modified_at = i.modified;
    a.dataset_id = s.dataset.clone();
    a.observed_at = i.observed.then_some(i.t);
    if let Some(bytes) = &i.meta {
        let key = bytes.as_ptr() as usize;
        let m = metas.entry(key).or_insert_with(|| {
            meta::decode(bytes).unwrap_or_else(|e| {
                tracing::error!(%e, "history: instance members unreadable; rendering without them");
                Meta::default()
            })
        });
        meta::apply(m, &mut a);
    }
    a
}

/// Renders an entity's temporal representation.
pub fn entity(
    e: &EntityInfo,
    series: &[(std::sync::Arc<SeriesInfo>, SeriesData)],
    r: &TemporalRead,
    ctx: &CompiledContext,
) -> Value {
    let mut m = Map::new();
    if !r.projection.drop_id {
        m.insert("id".into(), json!(&*e.id));
    }
    if !r.projection.drop_type {
        let types: Vec<Value> = e.types.iter().map(|t| json!(&*ctx.compact(t))).collect();
        match types.len() {
            1 => m.insert("type".into(), types[0].clone()),
            _ => m.insert("type".into(), Value::Array(types)),
        };
    }
    let mut metas = Metas::new();
    let mut i = 0;
    while i < series.len() {
        let name = &series[i].0.attr;
        let end = i + series[i..]
            .iter()
            .take_while(|(s, _)| &s.attr == name)
            .count();
        let group = &series[i..end];
        let value = match &r.shape {
            Shape::Normalized => normalized(group, r, ctx, &mut metas),
            Shape::Simplified => one_or_many(group.iter().map(|(s, d)| simplified(s, d, r, ctx))),
            Shape::Aggregated { .. } => one_or_many(group.iter().map(|(s, d)| aggregated(s, d))),
        };
        m.insert(ctx.compact(name).into_owned(), value);
        i = end;
    }
    if r.accept == api::extract::MediaType::JsonLd {
        m.insert("@context".into(), ctx.response_context().clone());
    }
    Value::Object(m)
}

fn one_or_many(items: impl Iterator<Item = Value>) -> Value {
    let mut v: Vec<Value> = items.collect();
    if v.len() == 1 {
        v.remove(0)
    } else {
        Value::Array(v)
    }
}

fn normalized(
    group: &[(std::sync::Arc<SeriesInfo>, SeriesData)],
    r: &TemporalRead,
    ctx: &CompiledContext,
    metas: &mut Metas,
) -> Value {
    let projection = Projection::default();
    let opts = RenderOptions {
        ctx,
        format: Format::Normalized,
        sys_attrs: r.sys_attrs,
        lang: r.lang.as_deref(),
        projection: &projection,
        with_context: false,
    };
    let mut all: Vec<(&SeriesInfo, &Keyed)> = Vec::new();
    for (s, d) in group {
        if let SeriesData::Instances(v) = d {
            all.extend(v.iter().map(|k| (&**s, k)));
        }
    }
    if r.last_n.is_some() {
        // The last N, most recent first (clause 5.7.3.4: "in descending ordering").
        all.sort_by_key(|(_, (t, i))| std::cmp::Reverse((*t, i.id)));
    } else {
        all.sort_by_key(|(_, (t, i))| (*t, i.id));
    }
    let prop = r.prop();
    let instances = all.into_iter().map(|(s, (_, i))| {
        let attr = attribute(s, i, metas);
        let mut v = serde_json::to_value(AttrView {
            attr: &attr,
            opts: &opts,
        })
        .unwrap_or(Value::Null);
        if let Value::Object(o) = &mut v {
            o.insert("instanceId".into(), json!(instance_id(s.id, i.id)));
            if i.deleted() && (r.sys_attrs || prop == TimeProperty::DeletedAt) {
                o.insert("deletedAt".into(), json!(time::format(i.rec)));
            }
            match prop {
                TimeProperty::CreatedAt if !r.sys_attrs => {
                    o.insert("createdAt".into(), json!(time::format(i.rec)));
                }
                TimeProperty::ModifiedAt if !r.sys_attrs => {
                    o.insert("modifiedAt".into(), json!(time::format(i.modified)));
                }
                _ => {}
            }
        }
        v
    });
    Value::Array(instances.collect())
}

/// The member and element form of a simplified temporal attribute (clause 4.5.9).
fn simple_member(kind: AttrKind) -> &'static str {
    match kind {
        AttrKind::Property | AttrKind::GeoProperty => "values",
        AttrKind::Relationship => "objects",
        AttrKind::LanguageProperty => "languageMaps",
        AttrKind::VocabProperty => "vocabs",
        AttrKind::ListProperty => "valueLists",
        AttrKind::ListRelationship => "objectLists",
        AttrKind::JsonProperty => "jsons",
    }
}

fn simple_value(i: &Inst, ctx: &CompiledContext) -> Value {
    let v = i.value.to_json();
    match i.kind {
        AttrKind::LanguageProperty => json!({ "languageMap": v }),
        AttrKind::JsonProperty => json!({ "json": v }),
        AttrKind::VocabProperty => json!({ "vocab": compact_vocab(&v, ctx) }),
        _ => v,
    }
}

fn compact_vocab(v: &Value, ctx: &CompiledContext) -> Value {
    match v {
        Value::String(s) => Value::String(ctx.compact_vocab(s).into_owned()),
        Value::Array(a) => Value::Array(a.iter().map(|x| compact_vocab(x, ctx)).collect()),
        other => other.clone(),
    }
}

fn with_dataset(mut m: Map<String, Value>, s: &SeriesInfo) -> Value {
    if let Some(d) = &s.dataset {
        m.insert("datasetId".into(), json!(&**d));
    }
    Value::Object(m)
}

fn simplified(s: &SeriesInfo, d: &SeriesData, r: &TemporalRead, ctx: &CompiledContext) -> Value {
    let SeriesData::Instances(v) = d else {
        return Value::Null;
    };
    let kind = v.last().map_or(AttrKind::Property, |(_, i)| i.kind);
    let pair = |(t, i): &Keyed| json!([simple_value(i, ctx), time::format(*t)]);
    // The last N come most recent first, as in the normalized form.
    let pairs: Vec<Value> = if r.last_n.is_some() {
        v.iter().rev().map(pair).collect()
    } else {
        v.iter().map(pair).collect()
    };
    let mut m = Map::new();
    m.insert("type".into(), json!(kind.as_str()));
    m.insert(simple_member(kind).into(), Value::Array(pairs));
    with_dataset(m, s)
}

fn aggregated(s: &SeriesInfo, d: &SeriesData) -> Value {
    let SeriesData::Aggregated(a) = d else {
        return Value::Null;
    };
    let mut m = Map::new();
    m.insert(
        "type".into(),
        json!(a.kind.unwrap_or(AttrKind::Property).as_str()),
    );
    // Every method has the same periods: format their bounds once.
    let bounds: Vec<(Value, Value)> = a.methods.first().map_or_else(Vec::new, |(_, rows)| {
        rows.iter()
            .map(|(_, s, e)| (json!(time::format(*s)), json!(time::format(*e))))
            .collect()
    });
    for (method, rows) in &a.methods {
        let rows: Vec<Value> = rows
            .iter()
            .zip(&bounds)
            .map(|((v, _, _), (s, e))| Value::Array(vec![v.clone(), s.clone(), e.clone()]))
            .collect();
        m.insert(method.name().into(), Value::Array(rows));
    }
    with_dataset(m, s)
}
