//! Merging queued notifications of one subscription into one request. With `throttling`
//! ([`Mode::Latest`]) only the latest state of each entity is kept, in the order entities first
//! changed. With a backlog ([`Mode::All`]) every entity is kept in chronological order, as
//! clause 4.6.6 orders several instances of one entity in an array: fewer, larger requests,
//! same content and order.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::Value;

/// How entities of merged notifications are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The latest state of each entity.
    Latest,
    /// Every entity, in order.
    All,
}

/// One notification with the members of the last of `bodies` and the entities of all of them
/// (`data`, or a FeatureCollection's `features`). `triggerReason` stays only if they agree.
/// None if a body is not a notification.
pub fn merge(bodies: &[Bytes], mode: Mode) -> Option<Bytes> {
    let mut parsed: Vec<Value> = bodies
        .iter()
        .map(|b| serde_json::from_slice(b).ok())
        .collect::<Option<_>>()?;
    let same_reason = parsed
        .windows(2)
        .all(|w| w[0].get("triggerReason") == w[1].get("triggerReason"));
    let mut entities = Vec::new();
    for n in parsed.iter_mut() {
        entities.extend(take_data(n)?);
    }
    let mut last = parsed.pop()?;
    let data = match mode {
        Mode::All => entities,
        Mode::Latest => latest(entities),
    };
    let obj = last.as_object_mut()?;
    if !same_reason {
        obj.remove("triggerReason");
    }
    match obj.get_mut("data") {
        Some(Value::Object(fc)) => {
            fc.insert("features".into(), Value::Array(data));
        }
        _ => {
            obj.insert("data".into(), Value::Array(data));
        }
    }
    serde_json::to_vec(&last).ok().map(Bytes::from)
}

/// The last state of each entity id, in the order ids first appear.
fn latest(entities: Vec<Value>) -> Vec<Value> {
    let mut order: Vec<String> = Vec::new();
    let mut last: HashMap<String, Value> = HashMap::new();
    for e in entities {
        let id = e
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if !last.contains_key(&id) {
            order.push(id.clone());
        }
        last.insert(id, e);
    }
    order.iter().filter_map(|id| last.remove(id)).collect()
}

/// The entities of a notification.
fn take_data(n: &mut Value) -> Option<Vec<Value>> {
    match n.get_mut("data")? {
        Value::Array(a) => Some(std::mem::take(a)),
        Value::Object(fc) => match fc.get_mut("features")? {
            Value::Array(a) => Some(std::mem::take(a)),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn n(id: &str, reason: &str, data: Value) -> Bytes {
        let v = json!({"id": id, "type": "Notification", "triggerReason": reason, "data": data});
        Bytes::from(serde_json::to_vec(&v).unwrap())
    }

    fn bodies() -> [Bytes; 3] {
        [
            n(
                "n1",
                "attributeUpdated",
                json!([{"id": "a", "v": 1}, {"id": "b", "v": 1}]),
            ),
            n("n2", "attributeUpdated", json!([{"id": "a", "v": 2}])),
            n("n3", "attributeCreated", json!([{"id": "c", "v": 1}])),
        ]
    }

    #[test]
    fn latest_keeps_the_last_state_of_each_entity_in_first_change_order() {
        let m: Value = serde_json::from_slice(&merge(&bodies(), Mode::Latest).unwrap()).unwrap();
        assert_eq!(m["id"], "n3");
        assert_eq!(
            m["data"],
            json!([{"id": "a", "v": 2}, {"id": "b", "v": 1}, {"id": "c", "v": 1}])
        );
        assert!(m.get("triggerReason").is_none(), "the reasons differ");
    }

    #[test]
    fn all_keeps_every_entity_in_order_and_an_agreed_reason() {
        let m: Value = serde_json::from_slice(&merge(&bodies()[..2], Mode::All).unwrap()).unwrap();
        assert_eq!(
            m["data"],
            json!([{"id": "a", "v": 1}, {"id": "b", "v": 1}, {"id": "a", "v": 2}])
        );
        assert_eq!(m["triggerReason"], "attributeUpdated");
        let fc = Bytes::from(
            json!({"data": {"type": "FeatureCollection", "features": [{"id": "f"}]}}).to_string(),
        );
        let m: Value =
            serde_json::from_slice(&merge(&[fc.clone(), fc], Mode::All).unwrap()).unwrap();
        assert_eq!(m["data"]["features"], json!([{"id": "f"}, {"id": "f"}]));
        assert!(merge(&[Bytes::from_static(b"not json")], Mode::All).is_none());
    }
}
