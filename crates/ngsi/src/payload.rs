//! Request payloads to fragments: validates an NGSI-LD entity or attribute body (normalized or
//! concise, clauses 4.5 and 5.2) and expands its names with the request's compiled @context.
//! The result is an [`EntityPatch`]; whether a fragment must be complete is the operation's call.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::context::{CompiledContext, is_core_member};
use crate::error::{NgsiError, Result};
use crate::model::AttrKind;
use crate::patch::{AttrPatch, EntityPatch, Member, NGSI_LD_NULL, is_null};
use crate::sym::Sym;

/// Bounds on what one payload may contain.
const MAX_DEPTH: usize = 16;

/// What the payload is for, which decides whether `id` and `type` are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityBody {
    /// Create / upsert / replace: `id` and `type` required.
    Complete,
    /// Batch update/merge/delete entries: `id` required, `type` optional.
    WithId,
    /// `PATCH /entities/{id}/attrs`, `PATCH /entities/{id}`: `id` from the path; a body `id`
    /// must match it.
    Fragment,
}

/// Whether `s` is a URI as NGSI-LD needs for entity ids and dataset ids: a scheme, a colon,
/// something after it, and no whitespace or control characters.
pub fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !s.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        })
}

/// Checks an attribute or type name against clause 4.6.2 (`name` or `prefix:name`), or accepts
/// it as an absolute IRI.
pub fn check_name(name: &str, what: &str) -> Result<()> {
    let ok = if name.contains("://") || name.starts_with("urn:") {
        is_uri(name)
    } else {
        let valid = |s: &str| {
            let mut c = s.chars();
            c.next().is_some_and(char::is_alphabetic) && c.all(|c| c.is_alphanumeric() || c == '_')
        };
        match name.split_once(':') {
            Some((prefix, rest)) => valid(prefix) && valid(rest),
            None => valid(name),
        }
    };
    if ok {
        Ok(())
    } else {
        Err(NgsiError::bad_data(format!(
            "{what} name {name:?} is not valid: names are a letter followed by letters, digits or '_' (clause 4.6.2)"
        )))
    }
}

/// Parses an entity body.
pub fn parse_entity(
    body: &Value,
    ctx: &CompiledContext,
    kind: EntityBody,
    path_id: Option<&str>,
) -> Result<EntityPatch> {
    let obj = body
        .as_object()
        .ok_or_else(|| NgsiError::bad_data("the entity must be a JSON object"))?;
    let id = entity_id(obj, kind, path_id)?;
    let types = entity_types(obj, ctx, kind)?;
    let scope = match obj.get("scope") {
        None => Member::Absent,
        Some(v) if is_null(v) && kind == EntityBody::Fragment => Member::Null,
        Some(v) => Member::Set(parse_scope(v)?),
    };
    let mut attrs = Vec::new();
    for (key, value) in obj {
        if is_core_member(key) {
            continue;
        }
        check_name(key, "attribute")?;
        let name = ctx.expand(key);
        parse_attribute_value(&name, value, ctx, 0, &mut attrs)
            .map_err(|e| e.with_instance(&*id))?;
    }
    Ok(EntityPatch {
        id,
        types,
        scope,
        attrs,
    })
}

fn entity_id(
    obj: &Map<String, Value>,
    kind: EntityBody,
    path_id: Option<&str>,
) -> Result<Arc<str>> {
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
        (None, None) => return Err(NgsiError::bad_data("the entity has no id")),
    };
    if !is_uri(id) {
        return Err(
            NgsiError::bad_data(format!("the entity id {id:?} is not a URI")).with_instance(id),
        );
    }
    if kind == EntityBody::Fragment && path_id.is_none() {
        return Err(NgsiError::internal("fragment without a path id"));
    }
    Ok(Arc::from(id))
}

fn entity_types(
    obj: &Map<String, Value>,
    ctx: &CompiledContext,
    kind: EntityBody,
) -> Result<Vec<Sym>> {
    let names: Vec<&str> = match obj.get("type").or_else(|| obj.get("@type")) {
        None if kind == EntityBody::Complete => {
            return Err(NgsiError::bad_data("the entity has no type"));
        }
        None => Vec::new(),
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|t| {
                t.as_str()
                    .ok_or_else(|| NgsiError::bad_data("entity types must be strings"))
            })
            .collect::<Result<_>>()?,
        Some(_) => {
            return Err(NgsiError::bad_data(
                "the entity type must be a string or a non-empty array of strings",
            ));
        }
    };
    let mut out: Vec<Sym> = Vec::with_capacity(names.len());
    for n in names {
        check_name(n, "entity type")?;
        let t = ctx.expand(n);
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

fn parse_scope(v: &Value) -> Result<Vec<String>> {
    let list: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    list.into_iter()
        .map(|s| match s.as_str() {
            Some(s) if s.starts_with('/') && !s.contains(char::is_whitespace) => Ok(s.to_string()),
            _ => Err(NgsiError::bad_data(format!(
                "scope {s} is not valid: scopes are strings starting with '/' (clause 4.18)"
            ))),
        })
        .collect()
}

/// Parses the value of attribute `name` (an object, a concise value, or an array of instances)
/// into one or more fragments appended to `out`.
pub fn parse_attribute_value(
    name: &Sym,
    v: &Value,
    ctx: &CompiledContext,
    depth: usize,
    out: &mut Vec<AttrPatch>,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(NgsiError::bad_data(format!(
            "attribute {name} nests sub-attributes deeper than {MAX_DEPTH} levels"
        )));
    }
    match v {
        Value::Array(items) if !items.is_empty() && items.iter().all(is_attribute_object) => {
            for item in items {
                parse_attribute_value(name, item, ctx, depth, out)?;
            }
            check_unique_datasets(name, out)
        }
        _ => {
            out.push(parse_attribute(name, v, ctx, depth)?);
            Ok(())
        }
    }
}

fn check_unique_datasets(name: &Sym, attrs: &[AttrPatch]) -> Result<()> {
    let mine: Vec<_> = attrs
        .iter()
        .filter(|a| &a.name == name)
        .map(|a| a.dataset_id.as_deref())
        .collect();
    for (i, d) in mine.iter().enumerate() {
        if mine[..i].contains(d) {
            let which = d.map_or("the default instance".to_string(), |d| {
                format!("datasetId {d}")
            });
            return Err(NgsiError::bad_data(format!(
                "attribute {name} has {which} more than once"
            )));
        }
    }
    Ok(())
}

/// Whether `v` looks like a (normalized or concise) attribute object rather than a plain value.
fn is_attribute_object(v: &Value) -> bool {
    let Some(o) = v.as_object() else { return false };
    o.contains_key("type")
        && o.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| AttrKind::parse(t).is_some())
        || AttrKind::ALL
            .iter()
            .any(|k| o.contains_key(k.value_member()))
}

/// Whether `v` is a GeoJSON geometry object.
pub fn is_geojson(v: &Value) -> bool {
    const TYPES: [&str; 7] = [
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    ];
    v.get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| TYPES.contains(&t))
        && (v.get("coordinates").is_some() || v.get("geometries").is_some())
}

fn parse_attribute(
    name: &Sym,
    v: &Value,
    ctx: &CompiledContext,
    depth: usize,
) -> Result<AttrPatch> {
    let mut p = AttrPatch::new(name.clone());
    let obj = match v {
        Value::Object(o) if is_attribute_object(v) => o,
        _ if is_null(v) => {
            p.delete = true;
            return Ok(p);
        }
        Value::Object(_) if is_geojson(v) => {
            crate::geojson::validate_geometry(v).map_err(|e| e.with_instance(&**name))?;
            p.kind = Some(AttrKind::GeoProperty);
            p.value = Some(v.clone());
            return Ok(p);
        }
        other => {
            p.kind = Some(AttrKind::Property);
            p.value = Some(other.clone());
            return Ok(p);
        }
    };
    p.kind = attribute_kind(name, obj)?;
    for (key, member) in obj {
        parse_member(&mut p, key, member, ctx, depth)?;
    }
    validate_value(&mut p, ctx)?;
    Ok(p)
}

fn attribute_kind(name: &Sym, obj: &Map<String, Value>) -> Result<Option<AttrKind>> {
    match obj.get("type") {
        Some(Value::String(t)) => AttrKind::parse(t).map(Some).ok_or_else(|| {
            NgsiError::bad_data(format!(
                "attribute {name} has type {t:?}, which is not an NGSI-LD attribute type"
            ))
        }),
        Some(_) => Err(NgsiError::bad_data(format!(
            "attribute {name} has a type that is not a string"
        ))),
        None => Ok(AttrKind::ALL
            .into_iter()
            .find(|k| obj.contains_key(k.value_member()))
            .map(|k| {
                if k == AttrKind::Property && obj.get("value").is_some_and(is_geojson) {
                    AttrKind::GeoProperty
                } else {
                    k
                }
            })),
    }
}

fn parse_member(
    p: &mut AttrPatch,
    key: &str,
    v: &Value,
    ctx: &CompiledContext,
    depth: usize,
) -> Result<()> {
    let name = p.name.clone();
    match key {
        "type" | "createdAt" | "modifiedAt" | "instanceId" | "deletedAt" => {}
        "value" | "object" | "languageMap" | "vocab" | "valueList" | "objectList" | "json" => {
            let expected = p.kind.map(AttrKind::value_member);
            if expected.is_some_and(|m| m != key) {
                let kind = p.kind.map_or("", AttrKind::as_str);
                return Err(NgsiError::bad_data(format!(
                    "attribute {name} is a {kind} but has a {key:?} member"
                )));
            }
            p.value = Some(v.clone());
        }
        "observedAt" => p.observed_at = timestamp_member(&name, key, v)?,
        "unitCode" => {
            p.unit_code = match v {
                _ if is_null(v) => Member::Null,
                Value::String(s) => Member::Set(crate::sym::intern(s)),
                _ => {
                    return Err(NgsiError::bad_data(format!(
                        "unitCode of {name} must be a string"
                    )));
                }
            }
        }
        "datasetId" => {
            let s = v
                .as_str()
                .filter(|s| is_uri(s))
                .ok_or_else(|| NgsiError::bad_data(format!("datasetId of {name} must be a URI")))?;
            p.dataset_id = Some(crate::sym::intern(s));
        }
        "objectType" | "valueType" | "expiresAt" | "lang" => {
            let m = if is_null(v) {
                Member::Null
            } else {
                Member::Set(v.clone())
            };
            p.extra.push((crate::sym::intern(key), m));
        }
        _ if is_core_member(key) => {}
        _ => {
            check_name(key, "sub-attribute")?;
            let sub = ctx.expand(key);
            parse_attribute_value(&sub, v, ctx, depth + 1, &mut p.sub)?;
        }
    }
    Ok(())
}

fn timestamp_member(name: &Sym, key: &str, v: &Value) -> Result<Member<crate::Timestamp>> {
    if is_null(v) {
        return Ok(Member::Null);
    }
    let ts = v.as_str().and_then(crate::time::parse);
    ts.map(Member::Set).ok_or_else(|| {
        NgsiError::bad_data(format!(
            "{key} of {name} must be a DateTime (e.g. 2026-01-01T00:00:00Z), got {v}"
        ))
    })
}

/// Checks the value member against the kind, normalizing where the stored form differs.
fn validate_value(p: &mut AttrPatch, ctx: &CompiledContext) -> Result<()> {
    let name = p.name.clone();
    let Some(v) = p.value.as_mut() else {
        return Ok(());
    };
    if v.as_str() == Some(NGSI_LD_NULL) || v.is_null() {
        p.delete = true;
        return Ok(());
    }
    let err = |what: &str| NgsiError::bad_data(format!("attribute {name}: {what}"));
    let bad = |what: &str| Err(err(what));
    match p.kind {
        Some(AttrKind::Relationship) => {
            let ok = match &*v {
                Value::String(s) => is_uri(s),
                Value::Array(a) => {
                    !a.is_empty() && a.iter().all(|o| o.as_str().is_some_and(is_uri))
                }
                _ => false,
            };
            if !ok {
                return bad("a Relationship's object must be a URI or a non-empty array of URIs");
            }
        }
        Some(AttrKind::GeoProperty) => {
            crate::geojson::validate_geometry(v).map_err(|e| e.with_instance(&*name))?
        }
        Some(AttrKind::LanguageProperty) => {
            let ok = v.as_object().is_some_and(|m| {
                m.values().all(|s| {
                    s.is_string() || s.as_array().is_some_and(|a| a.iter().all(Value::is_string))
                })
            });
            if !ok {
                return bad("a LanguageProperty's languageMap must map language tags to strings");
            }
        }
        Some(AttrKind::VocabProperty) => {
            *v = expand_vocab(v, ctx)
                .ok_or_else(|| err("vocab must be a string or an array of strings"))?
        }
        Some(AttrKind::ListProperty) if !v.is_array() => {
            return bad("a ListProperty's valueList must be an array");
        }
        Some(AttrKind::ListRelationship) => {
            *v = object_list(v)
                .ok_or_else(|| err("objectList must be an array of URIs or of {\"object\": URI}"))?
        }
        _ => {}
    }
    Ok(())
}

fn expand_vocab(v: &Value, ctx: &CompiledContext) -> Option<Value> {
    match v {
        Value::String(s) => Some(Value::String(ctx.expand_vocab(s).to_string())),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(|s| Value::String(ctx.expand_vocab(s).to_string()))
            })
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        _ => None,
    }
}

fn object_list(v: &Value) -> Option<Value> {
    let items = v.as_array()?;
    let uris = items.iter().map(|x| {
        let s = x
            .as_str()
            .or_else(|| x.get("object").and_then(Value::as_str))?;
        is_uri(s).then(|| Value::String(s.to_string()))
    });
    uris.collect::<Option<Vec<_>>>().map(Value::Array)
}
