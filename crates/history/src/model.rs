//! What history holds: attribute instances, grouped into series (one per entity, attribute and
//! datasetId), and the identity that makes recording idempotent and instance ids stable.
//!
//! Owns the in-memory form of an instance and the `instanceId` URN format; it knows nothing of
//! files, HTTP or the store.

use std::sync::Arc;

use ngsi::Timestamp;
use ngsi::model::AttrKind;
use serde_json::Value;

/// A series: the instances of one attribute (name + datasetId) of one entity in one tenant.
pub type SeriesId = u32;

/// Instance keys at or above this come from temporal API writes; below, they are store lsns.
pub const DIRECT_BASE: u64 = 1 << 62;

/// The identity of an instance within its series. Recorded instances use the lsn of the commit
/// that produced them and the index of the change within that commit, so replaying a commit
/// yields the same identities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstKey {
    pub key: u64,
    pub sub: u32,
}

/// An instance's value. Numbers are kept apart so that chunks can compress them.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// A JSON integer (exactly representable in an f64).
    Int(i64),
    /// A JSON number with a fraction or exponent.
    Float(f64),
    /// Anything else (strings, booleans, objects, arrays, URIs of relationships, ...).
    Json(Arc<Value>),
    /// The value of a deletion record (`urn:ngsi-ld:null`).
    Deleted,
}

impl Val {
    /// From the JSON of a value member.
    pub fn from_json(v: &Value) -> Self {
        if let Value::Number(n) = v {
            if let Some(i) = n.as_i64()
                && i.unsigned_abs() < (1 << 53)
            {
                return Self::Int(i);
            }
            if n.is_f64()
                && let Some(f) = n.as_f64()
            {
                return Self::Float(f);
            }
        }
        Self::Json(Arc::new(v.clone()))
    }

    /// The JSON of the value member.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Int(i) => Value::from(*i),
            Self::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Self::Json(v) => (**v).clone(),
            Self::Deleted => Value::String(ngsi::patch::NGSI_LD_NULL.into()),
        }
    }

    /// The number this value counts as in sums and averages (booleans as 1/0, clause 4.5.19.1).
    pub fn number(&self) -> Option<f64> {
        match self {
            Self::Int(i) => Some(*i as f64),
            Self::Float(f) => Some(*f),
            Self::Json(v) => v.as_bool().map(|b| if b { 1.0 } else { 0.0 }),
            Self::Deleted => None,
        }
    }
}

/// One attribute instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Inst {
    /// The instance's place in time: `observedAt`, or when it was recorded if it has none.
    pub t: Timestamp,
    /// Whether `t` is an `observedAt`.
    pub observed: bool,
    /// When the instance was recorded (its `createdAt`; for a deletion record also `deletedAt`).
    pub rec: Timestamp,
    /// Its `modifiedAt`: `rec` unless the instance was corrected later (clause 5.6.14).
    pub modified: Timestamp,
    pub kind: AttrKind,
    pub id: InstKey,
    pub value: Val,
    /// Encoded `unitCode`, sub-attributes and other members (see [`crate::meta`]), if any.
    pub meta: Option<Arc<[u8]>>,
}

impl Inst {
    pub fn deleted(&self) -> bool {
        self.value == Val::Deleted
    }

    /// The value of a temporal property of this instance, if it has it.
    pub fn time_of(&self, p: query::temporal::TimeProperty) -> Option<Timestamp> {
        use query::temporal::TimeProperty as P;
        match p {
            P::ObservedAt => self.observed.then_some(self.t),
            P::CreatedAt => Some(self.rec),
            P::ModifiedAt => Some(self.modified),
            P::DeletedAt => self.deleted().then_some(self.rec),
        }
    }
}

/// The URN of an instance: `urn:ngsi-ld:instance:<series>-<key>-<sub>` in hex.
pub fn instance_id(series: SeriesId, id: InstKey) -> String {
    format!("urn:ngsi-ld:instance:{series:x}-{:x}-{:x}", id.key, id.sub)
}

/// Parses an instance URN made by [`instance_id`].
pub fn parse_instance_id(text: &str) -> Option<(SeriesId, InstKey)> {
    let rest = text.strip_prefix("urn:ngsi-ld:instance:")?;
    let mut parts = rest.split('-');
    let series = SeriesId::from_str_radix(parts.next()?, 16).ok()?;
    let key = u64::from_str_radix(parts.next()?, 16).ok()?;
    let sub = u32::from_str_radix(parts.next()?, 16).ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((series, InstKey { key, sub }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn instance_ids_round_trip() {
        let k = InstKey {
            key: DIRECT_BASE + 7,
            sub: 3,
        };
        let id = instance_id(42, k);
        assert_eq!(parse_instance_id(&id), Some((42, k)));
        assert_eq!(parse_instance_id("urn:ngsi-ld:instance:1-2"), None);
        assert_eq!(parse_instance_id("urn:x:1-2-3"), None);
    }

    #[test]
    fn numbers_keep_their_json_form() {
        assert_eq!(Val::from_json(&json!(5)), Val::Int(5));
        assert_eq!(Val::from_json(&json!(5.5)).to_json(), json!(5.5));
        assert_eq!(Val::from_json(&json!(true)).number(), Some(1.0));
        assert_eq!(Val::from_json(&json!("x")).number(), None);
        assert_eq!(Val::from_json(&json!(u64::MAX)).to_json(), json!(u64::MAX));
    }
}
