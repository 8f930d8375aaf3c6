//! Evaluation of a resolved `q` against one entity, with the semantics of clause 4.9:
//! a term matches if any instance of the addressed attribute (any datasetId, any matching
//! sub-attribute) has a target value satisfying it. Target values are the value (its elements
//! when it is an array: ListProperty, multi-object Relationship, ListRelationship), the values
//! of a LanguageProperty's map (or one language's with `[en]`), or what a `[x.y]` path reaches.
//! `!=` and `!~=` hold for an instance when no target value equals/matches (the spec's "not
//! included" reading for arrays and language maps). Values of another type never compare:
//! `==`, `>`, `~=`, ... are then false, `!=` true. Relationship targets only take `==`/`!=`.
//!
//! Nothing here allocates per entity: paths are walked with callbacks and names compared as
//! interned pointers first.

use std::cmp::Ordering;
use std::sync::Arc;

use ngsi::model::AttrKind;
use ngsi::{Attribute, Entity, Sym};
use serde_json::Value;

use crate::q::ast::CmpOp;
use crate::q::lexer::parse_time_of_day;
use crate::q::resolve::{Field, RLit, RPath, RTerm, RTest, ResolvedQ, Seg};

/// Access to other entities, for linked-entity paths (`sensor{humidity}==40`).
pub trait EntityLookup {
    /// Calls `f` with entity `id` if it exists and returns what `f` returned (false if absent).
    fn with_entity(&self, id: &str, f: &mut dyn FnMut(&Entity) -> bool) -> bool;
}

/// A lookup that finds nothing: linked-entity terms never match.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLookup;

impl EntityLookup for NoLookup {
    fn with_entity(&self, _id: &str, _f: &mut dyn FnMut(&Entity) -> bool) -> bool {
        false
    }
}

impl ResolvedQ {
    /// Whether `e` matches. Linked-entity terms (`rel{...}`) never match here: use
    /// [`matches_with`](Self::matches_with) when [`needs_lookup`](Self::needs_lookup) is true.
    pub fn matches(&self, e: &Entity) -> bool {
        self.matches_with(e, &NoLookup)
    }

    /// Whether `e` matches, following relationships through `lookup` for linked-entity terms.
    pub fn matches_with(&self, e: &Entity, lookup: &dyn EntityLookup) -> bool {
        self.expr.eval(&mut |t: &RTerm| t.eval(e, lookup))
    }

    /// Whether some term follows relationships to other entities.
    pub fn needs_lookup(&self) -> bool {
        let mut linked = false;
        self.expr
            .for_each_atom(&mut |t| linked |= matches!(t.path, RPath::Linked { .. }));
        linked
    }

    /// Top-level attributes every matching entity has (for starting from an attribute index):
    /// the union over AND, the intersection over OR; `!a` terms contribute nothing.
    pub fn required_attrs(&self) -> Vec<Sym> {
        required(&self.expr)
    }
}

fn required(e: &crate::bool_expr::BoolExpr<RTerm>) -> Vec<Sym> {
    use crate::bool_expr::BoolExpr;
    match e {
        BoolExpr::Atom(t) if matches!(t.test, RTest::NotExists) => Vec::new(),
        BoolExpr::Atom(t) => t.path.head().cloned().into_iter().collect(),
        BoolExpr::And(items) => {
            let mut all: Vec<Sym> = items.iter().flat_map(required).collect();
            all.sort();
            all.dedup();
            all
        }
        BoolExpr::Or(items) => {
            let mut sets = items.iter().map(required);
            let first = sets.next().unwrap_or_default();
            sets.fold(first, |acc, s| {
                acc.into_iter().filter(|a| s.contains(a)).collect()
            })
        }
    }
}

impl RTerm {
    fn eval(&self, e: &Entity, lookup: &dyn EntityLookup) -> bool {
        if let RTest::NotExists = self.test {
            return !any_instance(&self.path, e, lookup, &mut has_target);
        }
        any_instance(&self.path, e, lookup, &mut |a, field, trail| {
            self.test_instance(a, field, trail)
        })
    }

    fn test_instance(&self, a: &Attribute, field: Field, trail: &[Seg]) -> bool {
        let relationship = matches!(
            a.kind(),
            AttrKind::Relationship | AttrKind::ListRelationship
        );
        let eq = |lit: &RLit, t: Target<'_>| {
            equal(
                t,
                lit,
                a.kind() == AttrKind::VocabProperty || self.expand_values,
            )
        };
        match &self.test {
            RTest::Exists => has_target(a, field, trail),
            RTest::NotExists => !has_target(a, field, trail),
            _ if relationship && field == Field::Value && !self.test.is_equality() => false,
            RTest::Any {
                op: CmpOp::Ne,
                lits,
            } => none_of(a, field, trail, &mut |_| true, &mut |t| {
                lits.iter().any(|l| eq(l, t))
            }),
            RTest::Any {
                op: CmpOp::Eq,
                lits,
            } => visit(a, field, trail, &mut |t| lits.iter().any(|l| eq(l, t))),
            RTest::Any { op, lits } => visit(a, field, trail, &mut |t| {
                lits.iter().any(|l| ordered(*op, order(t, l)))
            }),
            RTest::Range {
                negated: false,
                lo,
                hi,
            } => visit(a, field, trail, &mut |t| in_range(t, lo, hi)),
            RTest::Range {
                negated: true,
                lo,
                hi,
            } => none_of(a, field, trail, &mut |_| true, &mut |t| in_range(t, lo, hi)),
            RTest::Pattern { negated: false, re } => visit(a, field, trail, &mut |t| {
                str_of(t).is_some_and(|s| re.is_match(s))
            }),
            RTest::Pattern { negated: true, re } => {
                none_of(a, field, trail, &mut |t| str_of(t).is_some(), &mut |t| {
                    str_of(t).is_some_and(|s| re.is_match(s))
                })
            }
        }
    }
}

impl RTest {
    fn is_equality(&self) -> bool {
        matches!(
            self,
            Self::Any {
                op: CmpOp::Eq | CmpOp::Ne,
                ..
            } | Self::Range { .. }
        )
    }
}

/// True when some target is `applicable` and none satisfies `hit`.
fn none_of(
    a: &Attribute,
    field: Field,
    trail: &[Seg],
    applicable: &mut dyn FnMut(Target<'_>) -> bool,
    hit: &mut dyn FnMut(Target<'_>) -> bool,
) -> bool {
    let mut seen = false;
    let found = visit(a, field, trail, &mut |t| {
        seen |= applicable(t);
        hit(t)
    });
    seen && !found
}

type InstanceTest<'f> = dyn FnMut(&Attribute, Field, &[Seg]) -> bool + 'f;

/// Whether `f` holds for some attribute instance the path reaches from `e`.
fn any_instance(
    path: &RPath,
    e: &Entity,
    lookup: &dyn EntityLookup,
    f: &mut InstanceTest<'_>,
) -> bool {
    match path {
        RPath::Value {
            attrs,
            field,
            trail,
        } => walk(&e.attrs, attrs, &mut |a| f(a, *field, trail)),
        RPath::Linked { rel, types, inner } => {
            walk(&e.attrs, std::slice::from_ref(rel), &mut |a| {
                if !matches!(
                    a.kind(),
                    AttrKind::Relationship | AttrKind::ListRelationship
                ) {
                    return false;
                }
                for_each_str(a.value.json(), &mut |id| {
                    lookup.with_entity(id, &mut |linked| {
                        let typed = types.is_empty()
                            || linked
                                .types
                                .iter()
                                .any(|t| types.iter().any(|h| same(t, h)));
                        typed && any_instance(inner, linked, lookup, f)
                    })
                })
            })
        }
    }
}

fn walk(attrs: &[Attribute], names: &[Sym], f: &mut dyn FnMut(&Attribute) -> bool) -> bool {
    let Some((first, rest)) = names.split_first() else {
        return false;
    };
    attrs.iter().filter(|a| same(&a.name, first)).any(|a| {
        if rest.is_empty() {
            f(a)
        } else {
            walk(&a.sub, rest, f)
        }
    })
}

/// Interned names share one allocation; the string comparison covers names built otherwise.
fn same(a: &Sym, b: &Sym) -> bool {
    Arc::ptr_eq(a, b) || **a == **b
}

fn for_each_str(v: &Value, f: &mut dyn FnMut(&str) -> bool) -> bool {
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().filter_map(Value::as_str).any(f),
        _ => false,
    }
}

/// One target value.
#[derive(Clone, Copy)]
enum Target<'a> {
    Json(&'a Value),
    Time(i64),
    Str(&'a str),
}

/// Whether the instance defines the target element (clause 4.9: existence ignores the value;
/// a `[...]` path must reach a defined member).
fn has_target(a: &Attribute, field: Field, trail: &[Seg]) -> bool {
    match field {
        Field::Value if trail.is_empty() => true,
        Field::Value => follow(a.value.json(), trail, &mut |_| true),
        _ => visit(a, field, trail, &mut |_| true),
    }
}

/// Calls `f` on each target value of the instance until it returns true.
fn visit(
    a: &Attribute,
    field: Field,
    trail: &[Seg],
    f: &mut dyn FnMut(Target<'_>) -> bool,
) -> bool {
    match field {
        Field::ObservedAt => a.observed_at.is_some_and(|t| f(Target::Time(t))),
        Field::CreatedAt => f(Target::Time(a.created_at)),
        Field::ModifiedAt => f(Target::Time(a.modified_at)),
        Field::UnitCode => a.unit_code.as_deref().is_some_and(|u| f(Target::Str(u))),
        Field::DatasetId => a.dataset_id.as_deref().is_some_and(|d| f(Target::Str(d))),
        Field::Value => {
            let root = a.value.json();
            let mut each = |v: &Value| flatten(v, f);
            match a.kind() {
                _ if !trail.is_empty() => follow(root, trail, &mut each),
                AttrKind::LanguageProperty => follow(root, &[Seg::Any], &mut each),
                AttrKind::JsonProperty => each(root),
                _ => each(unwrap_value_object(root)),
            }
        }
    }
}

/// Follows a `[x.y]` path (ECMA-262 member access; arrays met on the way are searched element
/// by element), calling `at_end` on each value reached.
fn follow(v: &Value, trail: &[Seg], at_end: &mut dyn FnMut(&Value) -> bool) -> bool {
    let Some((seg, rest)) = trail.split_first() else {
        return at_end(v);
    };
    match (v, seg) {
        (Value::Array(items), _) => items.iter().any(|i| follow(i, trail, at_end)),
        (Value::Object(map), Seg::Key(k)) => map.get(&**k).is_some_and(|c| follow(c, rest, at_end)),
        (Value::Object(map), Seg::Any) => map.values().any(|c| follow(c, rest, at_end)),
        _ => false,
    }
}

fn flatten(v: &Value, f: &mut dyn FnMut(Target<'_>) -> bool) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|i| f(Target::Json(i))),
        other => f(Target::Json(other)),
    }
}

/// A JSON-LD value object (`{"@type": "DateTime", "@value": "..."}`) compares as its value.
fn unwrap_value_object(v: &Value) -> &Value {
    v.as_object().and_then(|o| o.get("@value")).unwrap_or(v)
}

fn str_of(t: Target<'_>) -> Option<&str> {
    match t {
        Target::Json(v) => v.as_str(),
        Target::Str(s) => Some(s),
        Target::Time(_) => None,
    }
}

fn equal(t: Target<'_>, lit: &RLit, with_expanded: bool) -> bool {
    if let (RLit::Str { raw, expanded }, Some(s)) = (lit, str_of(t)) {
        return s == &**raw || (with_expanded && expanded.as_deref() == Some(s));
    }
    order(t, lit) == Some(Ordering::Equal)
}

fn ordered(op: CmpOp, o: Option<Ordering>) -> bool {
    let Some(o) = o else { return false };
    match op {
        CmpOp::Eq => o.is_eq(),
        CmpOp::Ne => o.is_ne(),
        CmpOp::Gt => o.is_gt(),
        CmpOp::Ge => o.is_ge(),
        CmpOp::Lt => o.is_lt(),
        CmpOp::Le => o.is_le(),
    }
}

fn in_range(t: Target<'_>, lo: &RLit, hi: &RLit) -> bool {
    ordered(CmpOp::Ge, order(t, lo)) && ordered(CmpOp::Le, order(t, hi))
}

/// How the target compares with the literal, or None when their types differ. Strings compare
/// by code point (RFC 8259 section 8.3); temporal literals compare with strings that parse
/// as the same kind (DateTime, Date or Time).
fn order(t: Target<'_>, lit: &RLit) -> Option<Ordering> {
    match lit {
        RLit::Number(n) => json(t)?.as_f64()?.partial_cmp(n),
        RLit::Str { raw, .. } => Some(str_of(t)?.cmp(raw)),
        RLit::Bool(b) => Some(json(t)?.as_bool()?.cmp(b)),
        RLit::DateTime(ts) => Some(date_time(t)?.cmp(ts)),
        RLit::Date(d) => Some(ngsi::time::parse_date(str_of(t)?)?.cmp(d)),
        RLit::Time(x) => Some(parse_time_of_day(str_of(t)?)?.cmp(x)),
    }
}

fn json(t: Target<'_>) -> Option<&Value> {
    match t {
        Target::Json(v) => Some(v),
        _ => None,
    }
}

fn date_time(t: Target<'_>) -> Option<i64> {
    if let Target::Time(ts) = t {
        return Some(ts);
    }
    let s = str_of(t)?;
    // Cheap shape check first: most strings are not DateTimes and chrono tries several formats.
    let b = s.as_bytes();
    let shaped =
        b.len() >= 16 && b[4] == b'-' && b[10] == b'T' && b[..4].iter().all(u8::is_ascii_digit);
    if shaped { ngsi::time::parse(s) } else { None }
}
