//! Entities to response JSON: the normalized, concise and simplified (keyValues) representations
//! (clauses 4.5.1-4.5.4, 4.5.18-4.5.24), with names compacted by the request's @context, system
//! attributes on request, the language filter and attribute projection. Serialized straight from
//! the model (no intermediate JSON tree) because this is the hottest path of every read.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use crate::context::CompiledContext;
use crate::model::{AttrKind, AttrValue, Attribute, Entity};
use crate::sym::Sym;
use crate::time;

/// The representation asked for with `options`/`format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Normalized,
    Concise,
    /// `keyValues` / `simplified`.
    Simplified,
}

/// Which attributes a response keeps.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    /// Keep only these (expanded names); None keeps all.
    pub keep: Option<Vec<Sym>>,
    /// Drop these.
    pub drop: Vec<Sym>,
    /// Whether `id` and `type` are kept (pick/omit can remove them, clause 4.21).
    pub drop_id: bool,
    pub drop_type: bool,
}

impl Projection {
    pub fn keeps(&self, name: &str) -> bool {
        self.keep
            .as_ref()
            .is_none_or(|k| k.iter().any(|n| &**n == name))
            && !self.drop.iter().any(|n| &**n == name)
    }
}

/// How to render.
pub struct RenderOptions<'a> {
    pub ctx: &'a CompiledContext,
    pub format: Format,
    pub sys_attrs: bool,
    /// Language filter (clause 4.15): LanguageProperties become Properties in this language.
    pub lang: Option<&'a str>,
    pub projection: &'a Projection,
    /// Whether to add `@context` (application/ld+json responses).
    pub with_context: bool,
}

/// An entity, ready to serialize.
pub struct EntityView<'a> {
    pub entity: &'a Entity,
    pub opts: &'a RenderOptions<'a>,
}

impl Serialize for EntityView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (e, o) = (self.entity, self.opts);
        let mut m = s.serialize_map(None)?;
        if !o.projection.drop_id {
            m.serialize_entry("id", &*e.id)?;
        }
        if !o.projection.drop_type {
            m.serialize_entry(
                "type",
                &Types {
                    types: &e.types,
                    ctx: o.ctx,
                },
            )?;
        }
        if let Some(scope) = &e.scope {
            m.serialize_entry("scope", &ScopeView(scope))?;
        }
        let mut i = 0;
        while i < e.attrs.len() {
            let name = &e.attrs[i].name;
            let end = i + e.attrs[i..].iter().take_while(|a| &a.name == name).count();
            if o.projection.keeps(name) {
                m.serialize_entry(
                    &*o.ctx.compact(name),
                    &Instances {
                        attrs: &e.attrs[i..end],
                        opts: o,
                    },
                )?;
            }
            i = end;
        }
        if o.sys_attrs && o.format != Format::Simplified {
            m.serialize_entry("createdAt", &time::format(e.created_at))?;
            m.serialize_entry("modifiedAt", &time::format(e.modified_at))?;
        }
        if o.with_context {
            m.serialize_entry("@context", o.ctx.response_context())?;
        }
        m.end()
    }
}

struct Types<'a> {
    types: &'a [Sym],
    ctx: &'a CompiledContext,
}

impl Serialize for Types<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.types.len() == 1 {
            return s.serialize_str(&self.ctx.compact(&self.types[0]));
        }
        let mut seq = s.serialize_seq(Some(self.types.len()))?;
        for t in self.types {
            seq.serialize_element(&*self.ctx.compact(t))?;
        }
        seq.end()
    }
}

struct ScopeView<'a>(&'a [String]);

impl Serialize for ScopeView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

/// All instances of one attribute: an object, or an array for multi-attributes.
struct Instances<'a> {
    attrs: &'a [Attribute],
    opts: &'a RenderOptions<'a>,
}

impl Serialize for Instances<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = self.opts;
        if self.attrs.len() == 1 || o.format == Format::Simplified {
            let a = self
                .attrs
                .iter()
                .find(|a| a.dataset_id.is_none())
                .unwrap_or(&self.attrs[0]);
            return AttrView { attr: a, opts: o }.serialize(s);
        }
        let mut seq = s.serialize_seq(Some(self.attrs.len()))?;
        for a in self.attrs {
            seq.serialize_element(&AttrView { attr: a, opts: o })?;
        }
        seq.end()
    }
}

/// One attribute instance in the requested format.
pub struct AttrView<'a> {
    pub attr: &'a Attribute,
    pub opts: &'a RenderOptions<'a>,
}

impl AttrView<'_> {
    fn lang_value(&self) -> Option<(String, Value)> {
        let (AttrValue::LanguageProperty(map), Some(lang)) = (&self.attr.value, self.opts.lang)
        else {
            return None;
        };
        let map = map.as_object()?;
        let pick = map.get(lang).map(|v| (lang.to_string(), v.clone()));
        pick.or_else(|| map.get("@none").map(|v| ("@none".to_string(), v.clone())))
            .or_else(|| map.iter().next().map(|(k, v)| (k.clone(), v.clone())))
    }

    fn has_metadata(&self) -> bool {
        let a = self.attr;
        a.observed_at.is_some()
            || a.unit_code.is_some()
            || a.dataset_id.is_some()
            || !a.sub.is_empty()
            || a.extra.is_some()
            || self.opts.sys_attrs
    }

    fn value_json(&self) -> Value {
        match &self.attr.value {
            AttrValue::VocabProperty(v) => compact_vocab(v, self.opts.ctx),
            AttrValue::ListRelationship(v) if self.opts.format == Format::Normalized => {
                Value::Array(
                    v.as_array()
                        .into_iter()
                        .flatten()
                        .map(|o| serde_json::json!({ "object": o }))
                        .collect(),
                )
            }
            other => other.json().clone(),
        }
    }
}

fn compact_vocab(v: &Value, ctx: &CompiledContext) -> Value {
    match v {
        Value::String(s) => Value::String(ctx.compact_vocab(s).into_owned()),
        Value::Array(a) => Value::Array(a.iter().map(|x| compact_vocab(x, ctx)).collect()),
        other => other.clone(),
    }
}

impl Serialize for AttrView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (a, o) = (self.attr, self.opts);
        let lang = self.lang_value();
        if o.format == Format::Simplified {
            return match lang {
                Some((_, v)) => v.serialize(s),
                None => self.value_json().serialize(s),
            };
        }
        let kind = if lang.is_some() {
            AttrKind::Property
        } else {
            a.kind()
        };
        let concise = o.format == Format::Concise;
        if concise && kind == AttrKind::Property && !self.has_metadata() {
            let v = lang
                .as_ref()
                .map_or_else(|| self.value_json(), |(_, v)| v.clone());
            if !needs_wrapping(&v) {
                return v.serialize(s);
            }
        }
        let mut m = s.serialize_map(None)?;
        if !concise {
            m.serialize_entry("type", kind.as_str())?;
        }
        match &lang {
            Some((tag, v)) => {
                m.serialize_entry("value", v)?;
                m.serialize_entry("lang", tag)?;
            }
            None => m.serialize_entry(kind.value_member(), &self.value_json())?,
        }
        if let Some(d) = &a.dataset_id {
            m.serialize_entry("datasetId", &**d)?;
        }
        if let Some(t) = a.observed_at {
            m.serialize_entry("observedAt", &time::format(t))?;
        }
        if let Some(u) = &a.unit_code {
            m.serialize_entry("unitCode", &**u)?;
        }
        for (k, v) in a.extra.iter().flat_map(|x| x.iter()) {
            m.serialize_entry(&**k, v)?;
        }
        if o.sys_attrs {
            m.serialize_entry("createdAt", &time::format(a.created_at))?;
            m.serialize_entry("modifiedAt", &time::format(a.modified_at))?;
        }
        let mut i = 0;
        while i < a.sub.len() {
            let name = &a.sub[i].name;
            let end = i + a.sub[i..].iter().take_while(|x| &x.name == name).count();
            m.serialize_entry(
                &*o.ctx.compact(name),
                &Instances {
                    attrs: &a.sub[i..end],
                    opts: o,
                },
            )?;
            i = end;
        }
        m.end()
    }
}

/// Whether a concise Property value must keep its `{"value": ...}` wrapper to read back as the
/// same Property: objects and arrays of objects would parse as attributes, the NGSI-LD Null as
/// a deletion.
fn needs_wrapping(v: &Value) -> bool {
    v.is_object()
        || v.as_array().is_some_and(|a| a.iter().any(Value::is_object))
        || v.as_str() == Some(crate::patch::NGSI_LD_NULL)
}

/// Serializes an entity to JSON bytes.
pub fn to_vec(entity: &Entity, opts: &RenderOptions<'_>) -> Vec<u8> {
    serde_json::to_vec(&EntityView { entity, opts }).unwrap_or_default()
}

/// The entity as a JSON value (for GeoJSON wrapping and tests).
pub fn to_value(entity: &Entity, opts: &RenderOptions<'_>) -> Value {
    serde_json::to_value(EntityView { entity, opts }).unwrap_or(Value::Null)
}
