//! Entity ordering (clause 4.23): `orderBy` terms (a member `id`/`type`/`scope` or an
//! attribute path as in `q`, then `;asc`, `;desc`, `;dist-asc` or `;dist-desc`) and the
//! datatype comparison order of clause 4.23.2 for mixed values: numbers, strings, objects,
//! arrays, booleans, Time, Date, DateTime, null, and last entities without the attribute.
//! Null and absent values stay last in descending order too. Temporal values are JSON-LD
//! value objects (`{"@type": "DateTime", "@value": ...}`) and attribute members such as
//! `observedAt`; plain strings sort as strings, by code point (the spec asks for ICU root
//! collation; `collation` is not supported). Ties keep their order (use a stable sort).

use std::cmp::Ordering;

use ngsi::{Attribute, Entity, Sym};
use serde_json::Value;

use crate::error::{QueryError, Result};
use crate::geo::DistanceOrigin;
use crate::limits::{MAX_PARAM_LEN, MAX_TERMS};
use crate::q::{Field, RPath, Seg, ValuePath, resolve_value_path, standalone_value_path};
use crate::syntax::{self, Cursor};

const PARAM: &str = "orderBy";

/// Sort direction of one term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
    /// By distance from `orderFrom`, nearest first (GeoProperties first, then by value).
    DistAsc,
    DistDesc,
}

/// What one term sorts by.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderKey {
    Id,
    Type,
    Scope,
    Attr(ValuePath),
}

/// A parsed `orderBy`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    pub terms: Vec<(OrderKey, Direction)>,
}

/// An `orderBy` ready to compare entities.
#[derive(Debug, Clone)]
pub struct ResolvedOrder {
    terms: Vec<(RKey, Direction)>,
    origin: Option<DistanceOrigin>,
}

#[derive(Debug, Clone)]
enum RKey {
    Id,
    Type,
    Scope,
    Attr(RPath),
}

/// Parses a URL-decoded `orderBy` value.
pub fn parse_order_by(src: &str) -> Result<OrderBy> {
    syntax::check_len(PARAM, src, MAX_PARAM_LEN)?;
    let mut cur = Cursor::new(PARAM, src);
    let mut terms = Vec::new();
    loop {
        cur.skip_ws();
        if terms.len() == MAX_TERMS {
            return Err(QueryError::too_complex(
                PARAM,
                format!("more than {MAX_TERMS} terms"),
            ));
        }
        terms.push((key(&mut cur)?, direction(&mut cur)?));
        cur.skip_ws();
        if cur.at_end() {
            return Ok(OrderBy { terms });
        }
        if !cur.eat(",") {
            return Err(cur.expected("';', ',' or end of input"));
        }
    }
}

fn key(cur: &mut Cursor<'_>) -> Result<OrderKey> {
    let path = standalone_value_path(cur)?;
    Ok(match (path.attrs.as_slice(), &path.trail) {
        ([m], None) if m == "id" => OrderKey::Id,
        ([m], None) if m == "type" => OrderKey::Type,
        ([m], None) if m == "scope" => OrderKey::Scope,
        _ => OrderKey::Attr(path),
    })
}

fn direction(cur: &mut Cursor<'_>) -> Result<Direction> {
    if !cur.eat(";") {
        return Ok(Direction::Asc);
    }
    // Longest first: "dist-asc" must not be read as a prefix of something else.
    for (text, d) in [
        ("dist-asc", Direction::DistAsc),
        ("dist-desc", Direction::DistDesc),
        ("asc", Direction::Asc),
        ("desc", Direction::Desc),
    ] {
        let next = cur.rest().get(text.len()..).and_then(|r| r.chars().next());
        if cur.starts_with(text) && !next.is_some_and(|c| c.is_alphanumeric() || c == '-') {
            cur.pos += text.len();
            return Ok(d);
        }
    }
    Err(cur.expected("asc, desc, dist-asc or dist-desc"))
}

impl OrderBy {
    /// Expands attribute names; `origin` (from `orderFrom`/`orderGeometry`) is required when a
    /// term sorts by distance.
    pub fn resolve(
        &self,
        expand: &dyn Fn(&str) -> Sym,
        origin: Option<DistanceOrigin>,
    ) -> Result<ResolvedOrder> {
        let by_distance = self
            .terms
            .iter()
            .any(|(_, d)| matches!(d, Direction::DistAsc | Direction::DistDesc));
        if by_distance && origin.is_none() {
            return Err(QueryError::invalid(
                "orderFrom",
                "required when orderBy sorts by distance",
            ));
        }
        let mut terms = Vec::with_capacity(self.terms.len());
        for (k, d) in &self.terms {
            let key = match k {
                OrderKey::Id => RKey::Id,
                OrderKey::Type => RKey::Type,
                OrderKey::Scope => RKey::Scope,
                OrderKey::Attr(path) => {
                    RKey::Attr(resolve_value_path(path, expand).map_err(|e| rename(e, PARAM))?)
                }
            };
            terms.push((key, *d));
        }
        Ok(ResolvedOrder { terms, origin })
    }
}

fn rename(e: QueryError, param: &'static str) -> QueryError {
    match e {
        QueryError::Invalid { detail, .. } => QueryError::invalid(param, detail),
        other => other,
    }
}

impl ResolvedOrder {
    /// The order of two entities: each term in turn until one differs.
    pub fn compare(&self, a: &Entity, b: &Entity) -> Ordering {
        self.terms
            .iter()
            .map(|(k, d)| self.compare_by(k, *d, a, b))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }

    fn compare_by(&self, key: &RKey, d: Direction, a: &Entity, b: &Entity) -> Ordering {
        let (ka, kb) = (self.sort_value(key, d, a), self.sort_value(key, d, b));
        // Null and absent values stay last whatever the direction, and by distance the
        // GeoProperties come first, then the others by ascending value (clause 4.23.2).
        let last = ka.rank() >= Sortable::NULL_RANK || kb.rank() >= Sortable::NULL_RANK;
        let both_distances = matches!((ka, kb), (Sortable::Distance(_), Sortable::Distance(_)));
        let reverse = match d {
            Direction::Desc => !last,
            Direction::DistDesc => both_distances,
            Direction::Asc | Direction::DistAsc => false,
        };
        if reverse {
            kb.order(&ka)
        } else {
            ka.order(&kb)
        }
    }

    fn sort_value<'e>(&self, key: &RKey, d: Direction, e: &'e Entity) -> Sortable<'e> {
        match key {
            RKey::Id => Sortable::Str(&e.id),
            RKey::Type => e
                .types
                .first()
                .map_or(Sortable::Absent, |t| Sortable::Str(t)),
            RKey::Scope => e
                .scope
                .as_ref()
                .and_then(|s| s.first())
                .map_or(Sortable::Absent, |s| Sortable::Str(s)),
            RKey::Attr(RPath::Value {
                attrs,
                field,
                trail,
            }) => {
                let Some(attr) = instance(&e.attrs, attrs) else {
                    return Sortable::Absent;
                };
                let by_distance = matches!(d, Direction::DistAsc | Direction::DistDesc);
                if by_distance && attr.kind() == ngsi::model::AttrKind::GeoProperty {
                    let metres = self
                        .origin
                        .as_ref()
                        .and_then(|o| o.distance_m(attr.value.json()));
                    return Sortable::Distance(metres.unwrap_or(f64::INFINITY));
                }
                member(attr, *field, trail)
            }
            RKey::Attr(RPath::Linked { .. }) => Sortable::Absent,
        }
    }
}

/// The default instance (no datasetId) of the path's attribute, else its first instance.
fn instance<'e>(attrs: &'e [Attribute], names: &[Sym]) -> Option<&'e Attribute> {
    let (first, rest) = names.split_first()?;
    let named = || attrs.iter().filter(|a| *a.name == **first);
    let a = named()
        .find(|a| a.dataset_id.is_none())
        .or_else(|| named().next())?;
    if rest.is_empty() {
        Some(a)
    } else {
        instance(&a.sub, rest)
    }
}

fn member<'e>(a: &'e Attribute, field: Field, trail: &[Seg]) -> Sortable<'e> {
    let time = |t: Option<i64>| t.map_or(Sortable::Absent, Sortable::DateTime);
    match field {
        Field::ObservedAt => time(a.observed_at),
        Field::CreatedAt => time(Some(a.created_at)),
        Field::ModifiedAt => time(Some(a.modified_at)),
        Field::UnitCode => a
            .unit_code
            .as_deref()
            .map_or(Sortable::Absent, Sortable::Str),
        Field::DatasetId => a
            .dataset_id
            .as_deref()
            .map_or(Sortable::Absent, Sortable::Str),
        Field::Value => {
            let mut v = a.value.json();
            for seg in trail {
                match (v, seg) {
                    (Value::Object(m), Seg::Key(k)) => v = m.get(&**k).unwrap_or(&Value::Null),
                    _ => return Sortable::Absent,
                }
            }
            Sortable::of(v)
        }
    }
}

/// A value placed in the clause 4.23.2 order.
#[derive(Debug, Clone, Copy)]
enum Sortable<'a> {
    Distance(f64),
    Number(f64),
    Str(&'a str),
    Object(&'a Value),
    Array(&'a [Value]),
    Bool(bool),
    Time(i64),
    Date(i64),
    DateTime(i64),
    Null,
    Absent,
}

impl<'a> Sortable<'a> {
    const NULL_RANK: u8 = 9;

    fn of(v: &'a Value) -> Self {
        match v {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(*b),
            Value::Number(n) => n.as_f64().map_or(Self::Null, Self::Number),
            Value::String(s) => Self::Str(s),
            Value::Array(items) => Self::Array(items),
            Value::Object(o) => match (
                o.get("@type").and_then(Value::as_str),
                o.get("@value").and_then(Value::as_str),
            ) {
                (Some("DateTime"), Some(s)) => {
                    ngsi::time::parse(s).map_or(Self::Object(v), Self::DateTime)
                }
                (Some("Date"), Some(s)) => {
                    ngsi::time::parse_date(s).map_or(Self::Object(v), Self::Date)
                }
                (Some("Time"), Some(s)) => {
                    crate::q::parse_time_of_day(s).map_or(Self::Object(v), Self::Time)
                }
                _ => Self::Object(v),
            },
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Self::Distance(_) => 0,
            Self::Number(_) => 1,
            Self::Str(_) => 2,
            Self::Object(_) => 3,
            Self::Array(_) => 4,
            Self::Bool(_) => 5,
            Self::Time(_) => 6,
            Self::Date(_) => 7,
            Self::DateTime(_) => 8,
            Self::Null => Self::NULL_RANK,
            Self::Absent => 10,
        }
    }

    fn order(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Distance(a), Self::Distance(b)) | (Self::Number(a), Self::Number(b)) => {
                a.total_cmp(b)
            }
            (Self::Str(a), Self::Str(b)) => a.cmp(b),
            (Self::Object(a), Self::Object(b)) => a.to_string().cmp(&b.to_string()),
            (Self::Array(a), Self::Array(b)) => {
                let pairs = a
                    .iter()
                    .zip(b.iter())
                    .map(|(x, y)| Sortable::of(x).order(&Sortable::of(y)));
                pairs
                    .into_iter()
                    .find(|o| o.is_ne())
                    .unwrap_or_else(|| a.len().cmp(&b.len()))
            }
            (Self::Bool(a), Self::Bool(b)) => a.cmp(b),
            (Self::Time(a), Self::Time(b))
            | (Self::Date(a), Self::Date(b))
            | (Self::DateTime(a), Self::DateTime(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}
