//! Entities and attributes as the twin holds them: names and types are expanded IRIs (interned),
//! values are kept exactly as the producer sent them, and every attribute carries its system
//! timestamps. Kept compact on purpose: a million entities of eight attributes must fit in
//! well under 2 GiB.

use std::sync::Arc;

use serde_json::Value;

use crate::sym::Sym;
use crate::time::Timestamp;

/// Expanded IRIs of the NGSI-LD core terms that appear as attribute or member names.
pub mod iri {
    pub const CORE: &str = "https://uri.etsi.org/ngsi-ld/";
    pub const DEFAULT_CONTEXT: &str = "https://uri.etsi.org/ngsi-ld/default-context/";
    pub const LOCATION: &str = "https://uri.etsi.org/ngsi-ld/location";
    pub const OBSERVATION_SPACE: &str = "https://uri.etsi.org/ngsi-ld/observationSpace";
    pub const OPERATION_SPACE: &str = "https://uri.etsi.org/ngsi-ld/operationSpace";
}

/// The kind of an attribute, i.e. its NGSI-LD `type` member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttrKind {
    Property,
    Relationship,
    GeoProperty,
    LanguageProperty,
    VocabProperty,
    ListProperty,
    ListRelationship,
    JsonProperty,
}

impl AttrKind {
    pub const ALL: [AttrKind; 8] = [
        Self::Property,
        Self::Relationship,
        Self::GeoProperty,
        Self::LanguageProperty,
        Self::VocabProperty,
        Self::ListProperty,
        Self::ListRelationship,
        Self::JsonProperty,
    ];

    /// The `type` member value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Property => "Property",
            Self::Relationship => "Relationship",
            Self::GeoProperty => "GeoProperty",
            Self::LanguageProperty => "LanguageProperty",
            Self::VocabProperty => "VocabProperty",
            Self::ListProperty => "ListProperty",
            Self::ListRelationship => "ListRelationship",
            Self::JsonProperty => "JsonProperty",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The member that holds the attribute's value in the normalized form.
    pub fn value_member(self) -> &'static str {
        match self {
            Self::Property | Self::GeoProperty => "value",
            Self::Relationship => "object",
            Self::LanguageProperty => "languageMap",
            Self::VocabProperty => "vocab",
            Self::ListProperty => "valueList",
            Self::ListRelationship => "objectList",
            Self::JsonProperty => "json",
        }
    }
}

/// An attribute's value, by kind. Each holds the JSON of its value member.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// `value`: any JSON value.
    Property(Value),
    /// `object`: a URI, or an array of URIs (multi-object relationship).
    Relationship(Value),
    /// `value`: a validated GeoJSON geometry.
    GeoProperty(Value),
    /// `languageMap`: an object of language tag to string (or array of strings).
    LanguageProperty(Value),
    /// `vocab`: an expanded IRI string or an array of them.
    VocabProperty(Value),
    /// `valueList`: an ordered array.
    ListProperty(Value),
    /// `objectList`: an ordered array of URIs (held as plain strings).
    ListRelationship(Value),
    /// `json`: any JSON, never expanded.
    JsonProperty(Value),
}

impl AttrValue {
    pub fn kind(&self) -> AttrKind {
        match self {
            Self::Property(_) => AttrKind::Property,
            Self::Relationship(_) => AttrKind::Relationship,
            Self::GeoProperty(_) => AttrKind::GeoProperty,
            Self::LanguageProperty(_) => AttrKind::LanguageProperty,
            Self::VocabProperty(_) => AttrKind::VocabProperty,
            Self::ListProperty(_) => AttrKind::ListProperty,
            Self::ListRelationship(_) => AttrKind::ListRelationship,
            Self::JsonProperty(_) => AttrKind::JsonProperty,
        }
    }

    /// The JSON of the value member, whatever the kind.
    pub fn json(&self) -> &Value {
        match self {
            Self::Property(v)
            | Self::Relationship(v)
            | Self::GeoProperty(v)
            | Self::LanguageProperty(v)
            | Self::VocabProperty(v)
            | Self::ListProperty(v)
            | Self::ListRelationship(v)
            | Self::JsonProperty(v) => v,
        }
    }

    pub fn new(kind: AttrKind, v: Value) -> Self {
        match kind {
            AttrKind::Property => Self::Property(v),
            AttrKind::Relationship => Self::Relationship(v),
            AttrKind::GeoProperty => Self::GeoProperty(v),
            AttrKind::LanguageProperty => Self::LanguageProperty(v),
            AttrKind::VocabProperty => Self::VocabProperty(v),
            AttrKind::ListProperty => Self::ListProperty(v),
            AttrKind::ListRelationship => Self::ListRelationship(v),
            AttrKind::JsonProperty => Self::JsonProperty(v),
        }
    }
}

/// One attribute instance: an entity's attribute (or a sub-attribute of one), identified by its
/// expanded name and optional `datasetId`. Several instances with the same name and different
/// dataset ids form a multi-attribute (clause 4.5.5).
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Expanded IRI of the attribute name.
    pub name: Sym,
    pub dataset_id: Option<Sym>,
    pub value: AttrValue,
    pub observed_at: Option<Timestamp>,
    pub unit_code: Option<Sym>,
    pub created_at: Timestamp,
    pub modified_at: Timestamp,
    /// Sub-attributes (Properties, Relationships, ... of this attribute), sorted by name.
    pub sub: Vec<Attribute>,
    /// Rare optional members kept verbatim (`valueType`, `objectType`, `expiresAt`, ...), keyed by
    /// their member name. Boxed so that the common attribute stays small.
    pub extra: Option<Box<Vec<(Sym, Value)>>>,
}

impl Attribute {
    pub fn new(name: Sym, value: AttrValue, now: Timestamp) -> Self {
        Self {
            name,
            dataset_id: None,
            value,
            observed_at: None,
            unit_code: None,
            created_at: now,
            modified_at: now,
            sub: Vec::new(),
            extra: None,
        }
    }

    pub fn kind(&self) -> AttrKind {
        self.value.kind()
    }

    /// Whether the attribute has this (expanded) name. Names are interned, so the common case
    /// is a pointer comparison rather than a compare of two long IRIs.
    pub fn is_named(&self, name: &str) -> bool {
        std::ptr::eq(self.name.as_ptr(), name.as_ptr()) && self.name.len() == name.len()
            || *self.name == *name
    }

    /// Sub-attribute by expanded name (default dataset).
    pub fn sub_attr(&self, name: &str) -> Option<&Attribute> {
        self.sub.iter().find(|a| a.is_named(name))
    }

    /// Whether this instance has the given dataset id (`None` = the default instance).
    pub fn has_dataset(&self, dataset_id: Option<&str>) -> bool {
        self.dataset_id.as_deref() == dataset_id
    }

    pub fn extra(&self, member: &str) -> Option<&Value> {
        self.extra
            .as_ref()?
            .iter()
            .find(|(k, _)| &**k == member)
            .map(|(_, v)| v)
    }
}

/// An NGSI-LD entity in expanded form.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub id: Arc<str>,
    /// Expanded type IRIs, in the order given, without duplicates.
    pub types: Vec<Sym>,
    /// The `scope` values (clause 4.18), if any.
    pub scope: Option<Vec<String>>,
    /// Attribute instances, sorted by (name, dataset id) so output and comparisons are stable.
    pub attrs: Vec<Attribute>,
    pub created_at: Timestamp,
    pub modified_at: Timestamp,
}

impl Entity {
    pub fn new(id: Arc<str>, types: Vec<Sym>, now: Timestamp) -> Self {
        Self {
            id,
            types,
            scope: None,
            attrs: Vec::new(),
            created_at: now,
            modified_at: now,
        }
    }

    /// All instances of an attribute (every dataset id).
    pub fn attr_instances<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Attribute> + 'a {
        self.attrs.iter().filter(move |a| a.is_named(name))
    }

    /// The instance of `name` with the given dataset id.
    pub fn attr(&self, name: &str, dataset_id: Option<&str>) -> Option<&Attribute> {
        self.attrs
            .iter()
            .find(|a| a.is_named(name) && a.has_dataset(dataset_id))
    }

    /// The default instance of `name`, or else its first instance.
    pub fn attr_any(&self, name: &str) -> Option<&Attribute> {
        self.attr(name, None)
            .or_else(|| self.attrs.iter().find(|a| a.is_named(name)))
    }

    pub fn has_attr(&self, name: &str) -> bool {
        self.attrs.iter().any(|a| a.is_named(name))
    }

    pub fn has_type(&self, ty: &str) -> bool {
        self.types.iter().any(|t| &**t == ty)
    }

    /// Inserts or replaces the instance with the same name and dataset id, keeping the order.
    /// Returns the instance it replaced.
    pub fn put_attr(&mut self, attr: Attribute) -> Option<Attribute> {
        let key = (&*attr.name, attr.dataset_id.as_deref());
        match self
            .attrs
            .binary_search_by(|a| (&*a.name, a.dataset_id.as_deref()).cmp(&key))
        {
            Ok(i) => Some(std::mem::replace(&mut self.attrs[i], attr)),
            Err(i) => {
                self.attrs.insert(i, attr);
                None
            }
        }
    }

    /// Removes the instance of `name` with `dataset_id`, returning it.
    pub fn remove_attr(&mut self, name: &str, dataset_id: Option<&str>) -> Option<Attribute> {
        let i = self
            .attrs
            .iter()
            .position(|a| a.is_named(name) && a.has_dataset(dataset_id))?;
        Some(self.attrs.remove(i))
    }

    /// Removes every instance of `name`, returning them.
    pub fn remove_all_instances(&mut self, name: &str) -> Vec<Attribute> {
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.attrs)
            .into_iter()
            .partition(|a| a.is_named(name));
        self.attrs = kept;
        gone
    }

    /// Distinct attribute names, in order.
    pub fn attr_names(&self) -> impl Iterator<Item = &Sym> {
        let mut last: Option<&Sym> = None;
        self.attrs.iter().filter_map(move |a| {
            if last.is_some_and(|l| *l == a.name) {
                return None;
            }
            last = Some(&a.name);
            Some(&a.name)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sym::intern;
    use serde_json::json;

    fn prop(name: &str, ds: Option<&str>, v: Value) -> Attribute {
        let mut a = Attribute::new(intern(name), AttrValue::Property(v), 1);
        a.dataset_id = ds.map(intern);
        a
    }

    #[test]
    fn put_attr_keeps_sorted_and_replaces_same_dataset() {
        let mut e = Entity::new("urn:a".into(), vec![intern("T")], 0);
        assert!(e.put_attr(prop("b", None, json!(1))).is_none());
        assert!(e.put_attr(prop("a", None, json!(2))).is_none());
        assert!(e.put_attr(prop("b", Some("urn:ds:1"), json!(3))).is_none());
        let old = e.put_attr(prop("b", None, json!(4))).unwrap();
        assert_eq!(old.value, AttrValue::Property(json!(1)));
        let names: Vec<_> = e
            .attrs
            .iter()
            .map(|a| (&*a.name, a.dataset_id.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![("a", None), ("b", None), ("b", Some("urn:ds:1"))]
        );
        assert_eq!(e.attr_names().count(), 2);
        assert_eq!(e.remove_all_instances("b").len(), 2);
        assert!(!e.has_attr("b"));
    }
}
