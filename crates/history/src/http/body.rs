//! EntityTemporal request bodies (clause 5.2.20) to instances: each attribute holds an array of
//! instances, one instance, or the simplified form of clause 4.5.9 (`values`, `objects`, ...
//! of `[value, observedAt]` pairs). Instances are validated like any attribute (clause 5.5.4)
//! and expanded with the request's @context.

use std::sync::Arc;

use ngsi::context::{CompiledContext, is_core_member};
use ngsi::model::AttrKind;
use ngsi::payload::{check_name, is_uri, parse_attribute_value};
use ngsi::{NgsiError, Sym, Timestamp};
use serde_json::{Map, Value, json};

use crate::meta;
use crate::model::{Inst, InstKey, Val};
use crate::write::AttrInstances;

/// A parsed EntityTemporal (fragment).
pub struct TemporalBody {
    pub id: Arc<str>,
    pub types: Vec<Sym>,
    pub attrs: Vec<AttrInstances>,
}

/// Parses a body; `path_id` is the entity of the URL (fragments), `need_type` whether `type` is
/// mandatory (creation).
pub fn parse(
    body: &Value,
    ctx: &CompiledContext,
    path_id: Option<&str>,
    need_type: bool,
    now: Timestamp,
) -> Result<TemporalBody, NgsiError> {
    let obj = body
        .as_object()
        .ok_or_else(|| NgsiError::bad_data("an EntityTemporal must be a JSON object"))?;
    let id = entity_id(obj, path_id)?;
    let types = entity_types(obj, ctx, need_type)?;
    let mut attrs: Vec<AttrInstances> = Vec::new();
    for (key, v) in obj {
        if is_core_member(key) || key == "scope" {
            continue;
        }
        check_name(key, "attribute")?;
        let name = ctx.expand(key);
        for elem in elements(&name, v)? {
            let inst = instance(&name, &elem, ctx, now).map_err(|e| e.with_instance(&*id))?;
            push(&mut attrs, &name, inst);
        }
    }
    Ok(TemporalBody { id, types, attrs })
}

fn entity_id(obj: &Map<String, Value>, path_id: Option<&str>) -> Result<Arc<str>, NgsiError> {
    let given = obj.get("id").or_else(|| obj.get("@id"));
    let id = match (given, path_id) {
        (Some(Value::String(s)), Some(p)) if s != p => {
            return Err(NgsiError::bad_data(format!(
                "the body id {s} does not match the entity id {p} of the URL"
            )));
        }
        (Some(Value::String(s)), _) => s.as_str(),
        (Some(_), _) => {
            return Err(NgsiError::bad_data(
                "the entity id must be a string (a URI)",
            ));
        }
        (None, Some(p)) => p,
        (None, None) => return Err(NgsiError::bad_data("the temporal entity has no id")),
    };
    if !is_uri(id) {
        return Err(
            NgsiError::bad_data(format!("the entity id {id:?} is not a URI")).with_instance(id),
        );
    }
    Ok(Arc::from(id))
}

fn entity_types(
    obj: &Map<String, Value>,
    ctx: &CompiledContext,
    need: bool,
) -> Result<Vec<Sym>, NgsiError> {
    let names: Vec<&str> = match obj.get("type").or_else(|| obj.get("@type")) {
        None if need => return Err(NgsiError::bad_data("the temporal entity has no type")),
        None => Vec::new(),
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|t| {
                t.as_str()
                    .ok_or_else(|| NgsiError::bad_data("entity types must be strings"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(NgsiError::bad_data(
                "the entity type must be a string or a non-empty array of strings",
            ));
        }
    };
    let mut out: Vec<Sym> = Vec::new();
    for n in names {
        check_name(n, "entity type")?;
        let t = ctx.expand(n);
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// The simplified members of clause 4.5.9: (member, kind, value member, wrapper key).
const SIMPLIFIED: [(&str, AttrKind, &str, Option<&str>); 7] = [
    ("values", AttrKind::Property, "value", None),
    ("objects", AttrKind::Relationship, "object", None),
    (
        "languageMaps",
        AttrKind::LanguageProperty,
        "languageMap",
        Some("languageMap"),
    ),
    ("vocabs", AttrKind::VocabProperty, "vocab", Some("vocab")),
    ("valueLists", AttrKind::ListProperty, "valueList", None),
    (
        "objectLists",
        AttrKind::ListRelationship,
        "objectList",
        None,
    ),
    ("jsons", AttrKind::JsonProperty, "json", Some("json")),
];

/// The attribute instances an attribute member of the body holds, in normalized form.
fn elements(name: &Sym, v: &Value) -> Result<Vec<Value>, NgsiError> {
    match v {
        Value::Array(items) if items.is_empty() => Err(NgsiError::bad_data(format!(
            "attribute {name} has an empty array of instances"
        ))),
        Value::Array(items) => Ok(items
            .iter()
            .map(|i| simplified(name, i))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect()),
        one => simplified(name, one),
    }
}

/// Expands a simplified temporal attribute into instances; anything else is one instance.
fn simplified(name: &Sym, v: &Value) -> Result<Vec<Value>, NgsiError> {
    let Some(obj) = v.as_object() else {
        return Ok(vec![v.clone()]);
    };
    let Some((member, kind, value_key, wrapper)) =
        SIMPLIFIED.iter().find(|(m, ..)| obj.contains_key(*m))
    else {
        return Ok(vec![v.clone()]);
    };
    let kind = match obj.get("type").and_then(Value::as_str) {
        Some("GeoProperty") if *member == "values" => AttrKind::GeoProperty,
        _ => *kind,
    };
    let pairs = obj.get(*member).and_then(Value::as_array).ok_or_else(|| {
        NgsiError::bad_data(format!(
            "{member} of attribute {name} must be an array of [value, time] pairs"
        ))
    })?;
    pairs
        .iter()
        .map(|pair| {
            let (Some(value), Some(Value::String(t)), 2) = (
                pair.get(0),
                pair.get(1),
                pair.as_array().map_or(0, Vec::len),
            ) else {
                return Err(NgsiError::bad_data(format!(
                    "each element of {member} of attribute {name} must be [value, DateTime]"
                )));
            };
            let value = match wrapper {
                Some(w) => value.get(*w).cloned().ok_or_else(|| {
                    NgsiError::bad_data(format!(
                        "elements of {member} of {name} must be {{\"{w}\": ...}}"
                    ))
                })?,
                None => value.clone(),
            };
            let mut inst = Map::new();
            inst.insert("type".into(), json!(kind.as_str()));
            inst.insert((*value_key).into(), value);
            inst.insert("observedAt".into(), json!(t));
            if let Some(d) = obj.get("datasetId") {
                inst.insert("datasetId".into(), d.clone());
            }
            Ok(Value::Object(inst))
        })
        .collect()
}

/// One instance from its normalized JSON; `now` is its `createdAt`/`modifiedAt`, and its time
/// when it has no `observedAt`.
pub fn instance(
    name: &Sym,
    v: &Value,
    ctx: &CompiledContext,
    now: Timestamp,
) -> Result<(Option<Sym>, Inst), NgsiError> {
    let mut patches = Vec::new();
    parse_attribute_value(name, v, ctx, 0, &mut patches)?;
    let [patch] = patches.as_slice() else {
        return Err(NgsiError::bad_data(format!(
            "attribute {name}: each temporal instance must be one attribute object"
        )));
    };
    let a = patch.to_attribute(now)?;
    let inst = Inst {
        t: a.observed_at.unwrap_or(now),
        observed: a.observed_at.is_some(),
        rec: now,
        modified: now,
        kind: a.kind(),
        id: InstKey { key: 0, sub: 0 },
        value: Val::from_json(a.value.json()),
        meta: meta::encode(&a),
    };
    Ok((a.dataset_id, inst))
}

fn push(attrs: &mut Vec<AttrInstances>, name: &Sym, (dataset, inst): (Option<Sym>, Inst)) {
    match attrs
        .iter_mut()
        .find(|a| a.attr == *name && a.dataset == dataset)
    {
        Some(a) => a.insts.push(inst),
        None => attrs.push(AttrInstances {
            attr: name.clone(),
            dataset,
            insts: vec![inst],
        }),
    }
}
