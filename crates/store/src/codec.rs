//! The storage form of entities: compact JSON with one-letter keys, used by the write-ahead log
//! and snapshots (and by any backend that keeps entities as documents). Names are interned on
//! decode so a recovered twin shares one copy of every attribute IRI.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use ngsi::model::{AttrKind, AttrValue, Attribute, Entity};
use ngsi::{NgsiError, Timestamp, intern};

/// Stored IRIs drop the two prefixes nearly every name has (`~` and `^` cannot start an IRI,
/// which always begins with a scheme letter), cutting log and snapshot size and encoding time.
const PREFIXES: [(&str, &str); 2] = [
    ("~", "https://uri.etsi.org/ngsi-ld/default-context/"),
    ("^", "https://uri.etsi.org/ngsi-ld/"),
];

/// An IRI written in its stored (prefix-compressed) form.
struct Iri<'a>(&'a str);

impl Serialize for Iri<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        for (mark, prefix) in PREFIXES {
            if let Some(rest) = self.0.strip_prefix(prefix) {
                return s.collect_str(&format_args!("{mark}{rest}"));
            }
        }
        s.serialize_str(self.0)
    }
}

/// The IRI a stored name stands for, interned.
fn iri(stored: &str) -> ngsi::Sym {
    for (mark, prefix) in PREFIXES {
        if let Some(rest) = stored.strip_prefix(mark) {
            return intern(&format!("{prefix}{rest}"));
        }
    }
    intern(stored)
}

#[derive(Serialize)]
struct AttrOut<'a> {
    n: Iri<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<&'a str>,
    k: u8,
    v: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    o: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    u: Option<&'a str>,
    c: Timestamp,
    m: Timestamp,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    s: Vec<AttrOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    x: Vec<(&'a str, &'a Value)>,
}

#[derive(Serialize)]
struct EntityOut<'a> {
    i: &'a str,
    t: Vec<Iri<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    s: Option<&'a Vec<String>>,
    c: Timestamp,
    m: Timestamp,
    a: Vec<AttrOut<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct AttrIn {
    n: String,
    #[serde(default)]
    d: Option<String>,
    k: u8,
    v: Value,
    #[serde(default)]
    o: Option<Timestamp>,
    #[serde(default)]
    u: Option<String>,
    c: Timestamp,
    m: Timestamp,
    #[serde(default)]
    s: Vec<AttrIn>,
    #[serde(default)]
    x: Vec<(String, Value)>,
}

/// An entity in storage form, as read (decode it with a [`Decoder`]).
#[derive(Deserialize)]
pub(crate) struct EntityIn {
    i: String,
    t: Vec<String>,
    #[serde(default)]
    s: Option<Vec<String>>,
    c: Timestamp,
    m: Timestamp,
    a: Vec<AttrIn>,
}

fn kind_code(k: AttrKind) -> u8 {
    AttrKind::ALL.iter().position(|x| *x == k).unwrap_or(0) as u8
}

fn attr_out(a: &Attribute) -> AttrOut<'_> {
    AttrOut {
        n: Iri(&a.name),
        d: a.dataset_id.as_deref(),
        k: kind_code(a.kind()),
        v: a.value.json(),
        o: a.observed_at,
        u: a.unit_code.as_deref(),
        c: a.created_at,
        m: a.modified_at,
        s: a.sub.iter().map(attr_out).collect(),
        x: a.extra
            .iter()
            .flat_map(|x| x.iter())
            .map(|(k, v)| (&**k, v))
            .collect(),
    }
}

/// Appends the storage form of `e` to `buf`.
pub fn encode_entity(e: &Entity, buf: &mut Vec<u8>) {
    let out = EntityOut {
        i: &e.id,
        t: e.types.iter().map(|t| Iri(t)).collect(),
        s: e.scope.as_ref(),
        c: e.created_at,
        m: e.modified_at,
        a: e.attrs.iter().map(attr_out).collect(),
    };
    // Serializing plain structs of strings and JSON values into a Vec cannot fail.
    let _ = serde_json::to_writer(buf, &out);
}

/// Turns stored entities back into model entities, remembering the names it has seen so that a
/// recovery of millions of entities interns (and un-compresses) each distinct name once instead
/// of taking the global interner's lock for every attribute.
#[derive(Default)]
pub(crate) struct Decoder {
    names: std::collections::HashMap<String, ngsi::Sym>,
}

impl Decoder {
    fn name(&mut self, stored: &str) -> ngsi::Sym {
        if let Some(s) = self.names.get(stored) {
            return s.clone();
        }
        let sym = iri(stored);
        self.names.insert(stored.to_string(), sym.clone());
        sym
    }

    fn attr(&mut self, a: AttrIn) -> Result<Attribute, NgsiError> {
        let kind = *AttrKind::ALL.get(a.k as usize).ok_or_else(|| {
            NgsiError::internal(format!("stored attribute {} has unknown kind {}", a.n, a.k))
        })?;
        let extra: Vec<_> = a.x.into_iter().map(|(k, v)| (self.name(&k), v)).collect();
        Ok(Attribute {
            name: self.name(&a.n),
            dataset_id: a.d.as_deref().map(|d| self.name(d)),
            value: AttrValue::new(kind, a.v),
            observed_at: a.o,
            unit_code: a.u.as_deref().map(|u| self.name(u)),
            created_at: a.c,
            modified_at: a.m,
            sub: a
                .s
                .into_iter()
                .map(|s| self.attr(s))
                .collect::<Result<_, _>>()?,
            extra: (!extra.is_empty()).then(|| Box::new(extra)),
        })
    }

    /// An entity from its storage form.
    pub(crate) fn entity(&mut self, e: EntityIn) -> Result<Entity, NgsiError> {
        Ok(Entity {
            id: e.i.into(),
            types: e.t.iter().map(|t| self.name(t)).collect(),
            scope: e.s,
            attrs: e
                .a
                .into_iter()
                .map(|a| self.attr(a))
                .collect::<Result<_, _>>()?,
            created_at: e.c,
            modified_at: e.m,
        })
    }
}

/// Reads an entity from its storage form.
pub fn decode_entity(v: Value) -> Result<Entity, NgsiError> {
    let e: EntityIn = serde_json::from_value(v)
        .map_err(|err| NgsiError::internal(format!("corrupt stored entity: {err}")))?;
    Decoder::default().entity(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entity_round_trips() {
        let mut e = Entity::new("urn:ngsi-ld:T:1".into(), vec![intern("https://x/T")], 5);
        e.scope = Some(vec!["/Hainan/Haikou".into()]);
        let mut a = Attribute::new(
            intern("https://x/level"),
            AttrValue::Property(json!(2.5)),
            7,
        );
        a.observed_at = Some(9);
        a.unit_code = Some(intern("MTR"));
        a.dataset_id = Some(intern("urn:ds:1"));
        a.sub.push(Attribute::new(
            intern("https://x/q"),
            AttrValue::Relationship(json!("urn:a")),
            7,
        ));
        a.extra = Some(Box::new(vec![(intern("valueType"), json!("xsd:double"))]));
        e.put_attr(a);
        let flow = intern("https://uri.etsi.org/ngsi-ld/default-context/flow");
        e.put_attr(Attribute::new(flow, AttrValue::Property(json!(1)), 7));
        let loc = intern("https://uri.etsi.org/ngsi-ld/location");
        e.put_attr(Attribute::new(
            loc,
            AttrValue::GeoProperty(json!({"type": "Point", "coordinates": [1, 2]})),
            7,
        ));
        let mut buf = Vec::new();
        encode_entity(&e, &mut buf);
        let text = String::from_utf8(buf.clone()).unwrap();
        assert!(
            text.contains("\"~flow\"") && text.contains("\"^location\""),
            "{text}"
        );
        let back = decode_entity(serde_json::from_slice(&buf).unwrap()).unwrap();
        assert_eq!(back, e);
    }
}
