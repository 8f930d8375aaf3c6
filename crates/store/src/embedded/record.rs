//! Log records: one commit of one tenant, as the list of its entity changes. A change stores the
//! entity after it (or before it, for a deletion) in full, and for updates only the difference to
//! the previous state: the attributes it replaced or removed and the names it added. That is
//! enough to rebuild both sides, so replaying the log yields the same change stream (with
//! previous values) that live consumers saw.

use std::sync::Arc;

use ngsi::model::Attribute;
use ngsi::{Entity, NgsiError, intern};
use serde::Deserialize;

use crate::{Change, codec};

/// Encodes a commit.
pub(crate) fn encode(tenant: &str, changes: &[Change]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(512 * changes.len());
    buf.extend_from_slice(b"{\"t\":");
    let _ = serde_json::to_writer(&mut buf, tenant);
    buf.extend_from_slice(b",\"c\":[");
    for (i, c) in changes.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        encode_change(c, &mut buf);
    }
    buf.extend_from_slice(b"]}");
    buf
}

fn encode_change(c: &Change, buf: &mut Vec<u8>) {
    buf.push(b'{');
    match (&c.before, &c.after) {
        (None, Some(a)) => {
            buf.extend_from_slice(b"\"a\":");
            codec::encode_entity(a, buf);
        }
        (Some(b), None) => {
            buf.extend_from_slice(b"\"b\":");
            codec::encode_entity(b, buf);
        }
        (Some(b), Some(a)) => {
            buf.extend_from_slice(b"\"a\":");
            codec::encode_entity(a, buf);
            buf.extend_from_slice(b",\"d\":");
            encode_delta(b, a, buf);
        }
        (None, None) => {}
    }
    buf.push(b'}');
}

/// The previous state relative to the next: what `decode` needs to rebuild `before` from `after`.
fn encode_delta(before: &Entity, after: &Entity, buf: &mut Vec<u8>) {
    let mut prev = Entity::new(before.id.clone(), before.types.clone(), before.created_at);
    prev.modified_at = before.modified_at;
    prev.scope = before.scope.clone();
    prev.attrs = before
        .attrs
        .iter()
        .filter(|b| after.attr(&b.name, b.dataset_id.as_deref()) != Some(*b))
        .cloned()
        .collect();
    let added: Vec<(&str, Option<&str>)> = after
        .attrs
        .iter()
        .filter(|a| before.attr(&a.name, a.dataset_id.as_deref()) != Some(*a))
        .map(|a| (&*a.name, a.dataset_id.as_deref()))
        .collect();
    buf.extend_from_slice(b"{\"p\":");
    codec::encode_entity(&prev, buf);
    buf.extend_from_slice(b",\"n\":");
    let _ = serde_json::to_writer(&mut *buf, &added);
    buf.push(b'}');
}

#[derive(Deserialize)]
struct RecordIn {
    t: String,
    c: Vec<ChangeIn>,
}

#[derive(Deserialize)]
struct ChangeIn {
    #[serde(default)]
    a: Option<codec::EntityIn>,
    #[serde(default)]
    b: Option<codec::EntityIn>,
    #[serde(default)]
    d: Option<DeltaIn>,
}

#[derive(Deserialize)]
struct DeltaIn {
    p: codec::EntityIn,
    n: Vec<(String, Option<String>)>,
}

/// Decodes a commit into its tenant and changes.
pub(crate) fn decode(payload: &[u8]) -> Result<(String, Vec<Change>), NgsiError> {
    decode_with(&mut codec::Decoder::default(), payload)
}

/// Decodes a commit, reusing `decoder`'s names across records (recovery replays many).
pub(crate) fn decode_with(
    decoder: &mut codec::Decoder,
    payload: &[u8],
) -> Result<(String, Vec<Change>), NgsiError> {
    let rec: RecordIn = serde_json::from_slice(payload)
        .map_err(|e| NgsiError::internal(format!("corrupt log record: {e}")))?;
    let changes = rec
        .c
        .into_iter()
        .map(|c| decode_change(decoder, c))
        .collect::<Result<_, _>>()?;
    Ok((rec.t, changes))
}

fn decode_change(decoder: &mut codec::Decoder, c: ChangeIn) -> Result<Change, NgsiError> {
    let after = c.a.map(|a| decoder.entity(a)).transpose()?;
    let before = match (c.b, c.d, &after) {
        (Some(b), _, _) => Some(decoder.entity(b)?),
        (None, Some(d), Some(after)) => Some(rebuild_before(decoder, after, d)?),
        _ => None,
    };
    Ok(Change {
        before: before.map(Arc::new),
        after: after.map(Arc::new),
    })
}

fn rebuild_before(
    decoder: &mut codec::Decoder,
    after: &Entity,
    d: DeltaIn,
) -> Result<Entity, NgsiError> {
    let prev = decoder.entity(d.p)?;
    let mut before = after.clone();
    before.types = prev.types;
    before.scope = prev.scope;
    before.created_at = prev.created_at;
    before.modified_at = prev.modified_at;
    for (name, ds) in d.n {
        before.remove_attr(&intern(&name), ds.as_deref());
    }
    for a in prev.attrs {
        put(&mut before, a);
    }
    Ok(before)
}

fn put(e: &mut Entity, a: Attribute) {
    e.put_attr(a);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ngsi::AttrValue;
    use serde_json::json;

    fn attr(name: &str, v: i64, t: i64) -> Attribute {
        Attribute::new(intern(name), AttrValue::Property(json!(v)), t)
    }

    #[test]
    fn updates_rebuild_the_previous_state() {
        let mut before = Entity::new("urn:x:1".into(), vec![intern("T")], 1);
        before.put_attr(attr("a", 1, 1));
        before.put_attr(attr("b", 2, 1));
        before.put_attr(attr("c", 3, 1));
        let mut after = before.clone();
        after.types.push(intern("U"));
        after.modified_at = 5;
        after.put_attr(attr("a", 10, 5));
        after.remove_attr("b", None);
        after.put_attr(attr("d", 4, 5));
        let changes = vec![
            Change {
                before: Some(Arc::new(before.clone())),
                after: Some(Arc::new(after.clone())),
            },
            Change {
                before: None,
                after: Some(Arc::new(after.clone())),
            },
            Change {
                before: Some(Arc::new(after.clone())),
                after: None,
            },
        ];
        let (tenant, back) = decode(&encode("sanya", &changes)).unwrap();
        assert_eq!(tenant, "sanya");
        assert_eq!(back[0].before.as_deref(), Some(&before));
        assert_eq!(back[0].after.as_deref(), Some(&after));
        assert!(back[1].before.is_none());
        assert_eq!(back[2].before.as_deref(), Some(&after));
        assert!(back[2].after.is_none());
    }
}
