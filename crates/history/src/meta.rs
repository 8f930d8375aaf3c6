//! The members of an instance beyond its value and times: `unitCode`, sub-attributes and the
//! rarer members (`valueType`, `objectType`, `lang`, ...), encoded once per distinct set so that a
//! series whose instances all carry `"unitCode": "MTR"` stores it once per chunk.
//!
//! Sub-attributes keep their names, datasets, kinds, values and `observedAt`; their own
//! `createdAt`/`modifiedAt` are not kept (they render as the instance's).

use std::sync::Arc;

use ngsi::model::{AttrKind, AttrValue, Attribute};
use ngsi::{NgsiError, Timestamp, intern};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Serialize, Deserialize)]
struct Doc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    u: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    s: Vec<Sub>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    x: Vec<(String, Value)>,
}

#[derive(Serialize, Deserialize)]
struct Sub {
    n: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d: Option<String>,
    k: u8,
    v: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    o: Option<Timestamp>,
    #[serde(flatten)]
    doc: Doc,
}

fn kind_code(k: AttrKind) -> u8 {
    AttrKind::ALL.iter().position(|x| *x == k).unwrap_or(0) as u8
}

fn doc_of(a: &Attribute) -> Doc {
    Doc {
        u: a.unit_code.as_deref().map(str::to_string),
        s: a.sub.iter().map(sub_of).collect(),
        x: a.extra
            .iter()
            .flat_map(|x| x.iter())
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}

fn sub_of(a: &Attribute) -> Sub {
    Sub {
        n: a.name.to_string(),
        d: a.dataset_id.as_deref().map(str::to_string),
        k: kind_code(a.kind()),
        v: a.value.json().clone(),
        o: a.observed_at,
        doc: doc_of(a),
    }
}

/// The encoded members of `a` beyond its value and times; None when it has none.
pub fn encode(a: &Attribute) -> Option<Arc<[u8]>> {
    if a.unit_code.is_none() && a.sub.is_empty() && a.extra.is_none() {
        return None;
    }
    serde_json::to_vec(&doc_of(a)).ok().map(Arc::from)
}

/// Whether two attributes carry the same members beyond value and times (sub-attribute
/// timestamps ignored), so an encoded form can be reused.
pub fn same(a: &Attribute, b: &Attribute) -> bool {
    a.unit_code == b.unit_code
        && a.extra == b.extra
        && a.sub.len() == b.sub.len()
        && a.sub.iter().zip(&b.sub).all(|(x, y)| {
            x.name == y.name
                && x.dataset_id == y.dataset_id
                && x.value == y.value
                && x.observed_at == y.observed_at
                && same(x, y)
        })
}

/// Decoded members, ready to be put on a rendered attribute.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub unit_code: Option<ngsi::Sym>,
    pub sub: Vec<Attribute>,
    #[allow(clippy::box_collection)] // the type of `Attribute::extra`
    pub extra: Option<Box<Vec<(ngsi::Sym, Value)>>>,
}

/// Decodes what [`encode`] wrote.
pub fn decode(bytes: &[u8]) -> Result<Meta, NgsiError> {
    let doc: Doc = serde_json::from_slice(bytes)
        .map_err(|e| NgsiError::internal(format!("history: unreadable instance members: {e}")))?;
    Ok(meta_of(doc))
}

fn meta_of(doc: Doc) -> Meta {
    let extra: Vec<(ngsi::Sym, Value)> = doc.x.into_iter().map(|(k, v)| (intern(&k), v)).collect();
    Meta {
        unit_code: doc.u.as_deref().map(intern),
        sub: doc.s.into_iter().map(attr_of).collect(),
        extra: (!extra.is_empty()).then(|| Box::new(extra)),
    }
}

fn attr_of(s: Sub) -> Attribute {
    let kind = AttrKind::ALL
        .get(usize::from(s.k))
        .copied()
        .unwrap_or(AttrKind::Property);
    let mut a = Attribute::new(intern(&s.n), AttrValue::new(kind, s.v), 0);
    a.dataset_id = s.d.as_deref().map(intern);
    a.observed_at = s.o;
    let m = meta_of(s.doc);
    a.unit_code = m.unit_code;
    a.sub = m.sub;
    a.extra = m.extra;
    a
}

/// Puts decoded members on `a`, giving sub-attributes the instance's times.
pub fn apply(m: &Meta, a: &mut Attribute) {
    a.unit_code = m.unit_code.clone();
    a.extra = m.extra.clone();
    a.sub = m.sub.clone();
    stamp(&mut a.sub, a.created_at, a.modified_at);
}

fn stamp(subs: &mut [Attribute], created: Timestamp, modified: Timestamp) {
    for s in subs {
        s.created_at = created;
        s.modified_at = modified;
        stamp(&mut s.sub, created, modified);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_round_trip_and_compare_without_times() {
        let mut a = Attribute::new(intern("urn:p"), AttrValue::Property(json!(1)), 5);
        assert!(encode(&a).is_none());
        a.unit_code = Some(intern("MTR"));
        let mut sub = Attribute::new(
            intern("urn:s"),
            AttrValue::Relationship(json!("urn:x:1")),
            5,
        );
        sub.observed_at = Some(9);
        a.sub.push(sub);
        a.extra = Some(Box::new(vec![(intern("valueType"), json!("xsd:int"))]));
        let bytes = encode(&a).unwrap();
        let m = decode(&bytes).unwrap();
        let mut b = Attribute::new(intern("urn:p"), AttrValue::Property(json!(2)), 7);
        apply(&m, &mut b);
        assert!(same(&a, &b));
        assert_eq!(b.sub[0].modified_at, 7);
        assert_eq!(b.sub[0].kind(), AttrKind::Relationship);
        b.sub[0].value = AttrValue::Relationship(json!("urn:x:2"));
        assert!(!same(&a, &b));
    }
}
