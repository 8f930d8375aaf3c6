//! Builders shared by the integration tests: entities in expanded form, and an `expand` that
//! maps short terms into the default context the way a request without @context would.
#![allow(dead_code)]

use ngsi::model::AttrKind;
use ngsi::{AttrValue, Attribute, Entity, Sym, intern};
use serde_json::Value;

pub const VOCAB: &str = "https://uri.etsi.org/ngsi-ld/default-context/";

/// Short term to IRI as the core @context would: core GeoProperty names to the core
/// namespace, other terms to the default vocabulary; compact and absolute IRIs stay.
pub fn expand(term: &str) -> Sym {
    match term {
        "location" | "observationSpace" | "operationSpace" => {
            intern(&format!("https://uri.etsi.org/ngsi-ld/{term}"))
        }
        t if t.contains(':') => intern(t),
        t => intern(&format!("{VOCAB}{t}")),
    }
}

pub fn attr(kind: AttrKind, name: &str, v: Value) -> Attribute {
    Attribute::new(expand(name), AttrValue::new(kind, v), 1_000_000)
}

pub fn prop(name: &str, v: Value) -> Attribute {
    attr(AttrKind::Property, name, v)
}

pub fn rel(name: &str, v: Value) -> Attribute {
    attr(AttrKind::Relationship, name, v)
}

pub fn entity(id: &str, ty: &str, attrs: Vec<Attribute>) -> Entity {
    let mut e = Entity::new(id.into(), vec![expand(ty)], 0);
    for a in attrs {
        e.put_attr(a);
    }
    e
}
