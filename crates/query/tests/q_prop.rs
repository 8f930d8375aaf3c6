//! Property tests for `q`: printing a generated expression and parsing it back gives the same
//! tree; and on generated entities the evaluator agrees with a naive reference evaluator
//! written here from the clause 4.9 rules, over the same tree.

mod common;

use common::{entity, expand, prop};
use ngsi::{Entity, intern};
use proptest::prelude::*;
use query::BoolExpr;
use query::q::{
    AttrPath, CmpOp, LinkedPath, Literal, QExpr, QTerm, QValue, Test, TimeLit, ValuePath, parse_q,
};
use serde_json::{Value, json};

const NAMES: [&str; 3] = ["a", "b", "c"];

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "temperature", "x1", "café", "ex:size"])
        .prop_map(String::from)
}

/// A value path; `prefixed` allows `prefix:name` first (not inside `{...}`, where `X:` is a
/// type hint, as in the spec's `sensor{Device:humidity}`).
fn value_path(prefixed: bool) -> BoxedStrategy<AttrPath> {
    let member = prop::sample::select(vec!["x", "y", "city", "en", "*", "fr-CH", "@value"])
        .prop_map(String::from);
    let plain = || name().prop_filter("no prefix", |n| !n.contains(':'));
    let first = if prefixed {
        name().boxed()
    } else {
        plain().boxed()
    };
    (
        prop::collection::vec(plain(), 0..3),
        first,
        prop::option::of(prop::collection::vec(member, 1..3)),
    )
        .prop_map(|(subs, first, trail)| {
            let mut attrs = vec![first];
            attrs.extend(subs);
            AttrPath::Value(ValuePath { attrs, trail })
        })
        .boxed()
}

fn path() -> impl Strategy<Value = AttrPath> {
    let types = prop::collection::vec(
        prop::sample::select(vec!["Device", "T2"]).prop_map(String::from),
        0..3,
    );
    prop_oneof![
        4 => value_path(true),
        1 => (types, value_path(false))
            .prop_map(|(types, inner)| AttrPath::Linked(LinkedPath { rel: "sensor".into(), types, inner: Box::new(inner) })),
    ]
}

fn time_lit(text: String, parse: fn(&str) -> Option<i64>) -> TimeLit {
    let micros = parse(&text).unwrap_or_else(|| panic!("generated {text}"));
    TimeLit { text, micros }
}

fn ymd() -> impl Strategy<Value = String> {
    (1970u32..2100, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn clock() -> impl Strategy<Value = String> {
    (
        0u32..24,
        0u32..60,
        0u32..60,
        prop::option::of(0u32..1_000_000),
    )
        .prop_map(|(h, m, s, f)| match f {
            Some(f) => format!("{h:02}:{m:02}:{s:02}.{f:06}"),
            None => format!("{h:02}:{m:02}:{s:02}"),
        })
}

/// Comparable literals, one strategy per kind (a range needs two of the same kind).
fn kinds() -> Vec<BoxedStrategy<Literal>> {
    vec![
        prop_oneof![
            (-1e6f64..1e6).prop_map(Literal::Number),
            (-1000i32..1000).prop_map(|n| Literal::Number(f64::from(n)))
        ]
        .boxed(),
        any::<String>().prop_map(Literal::Str).boxed(),
        ymd()
            .prop_map(|t| Literal::Date(time_lit(t, ngsi::time::parse_date)))
            .boxed(),
        (ymd(), clock())
            .prop_map(|(d, c)| Literal::DateTime(time_lit(format!("{d}T{c}Z"), ngsi::time::parse)))
            .boxed(),
        clock()
            .prop_map(|c| Literal::Time(time_lit(format!("{c}Z"), query::q::parse_time_of_day)))
            .boxed(),
    ]
}

fn comparable() -> impl Strategy<Value = Literal> {
    prop::strategy::Union::new(kinds())
}

fn range() -> impl Strategy<Value = (Literal, Literal)> {
    prop::strategy::Union::new(kinds().into_iter().map(|k| (k.clone(), k).boxed()))
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        4 => comparable(),
        1 => any::<bool>().prop_map(Literal::Bool),
        1 => (1u32..99).prop_map(|n| Literal::Uri(format!("urn:ngsi-ld:Car:{n}"))),
        1 => prop::sample::select(vec!["Male", "Female", "ñandú"]).prop_map(|s| Literal::Term(s.into())),
    ]
}

fn test() -> impl Strategy<Value = Test> {
    let eq_op = prop::sample::select(vec![CmpOp::Eq, CmpOp::Ne]);
    let rel_op = prop::sample::select(vec![CmpOp::Gt, CmpOp::Ge, CmpOp::Lt, CmpOp::Le]);
    prop_oneof![
        Just(Test::Exists),
        Just(Test::NotExists),
        (eq_op.clone(), literal()).prop_map(|(op, l)| Test::Compare {
            op,
            value: QValue::One(l)
        }),
        (rel_op, comparable()).prop_map(|(op, l)| Test::Compare {
            op,
            value: QValue::One(l)
        }),
        (eq_op.clone(), prop::collection::vec(literal(), 2..4)).prop_map(|(op, ls)| {
            Test::Compare {
                op,
                value: QValue::List(ls),
            }
        }),
        (eq_op, range()).prop_map(|(op, (lo, hi))| Test::Compare {
            op,
            value: QValue::Range(lo, hi)
        }),
        (
            any::<bool>(),
            any::<String>().prop_filter("non-empty", |s| !s.is_empty())
        )
            .prop_map(|(negated, regex)| Test::Pattern { negated, regex }),
    ]
}

/// Trees built with the flattening constructors, as the parser builds them.
fn tree<T: std::fmt::Debug + Clone + 'static>(
    leaf: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = BoolExpr<T>> {
    leaf.prop_map(BoolExpr::Atom)
        .prop_recursive(4, 12, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(BoolExpr::and),
                prop::collection::vec(inner, 2..4).prop_map(BoolExpr::or),
            ]
        })
}

proptest! {
    #[test]
    fn printing_then_parsing_gives_the_same_tree(expr in tree((path(), test()).prop_map(|(path, test)| QTerm { path, test }))) {
        let text = expr.to_string();
        let parsed = parse_q(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(parsed, expr, "{}", text);
    }
}

// ---- evaluation against a reference ----

fn small_value() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        (-3i64..4).prop_map(Value::from),
        prop::sample::select(vec!["x", "y", "z"]).prop_map(Value::from)
    ];
    prop_oneof![3 => scalar.clone(), 1 => prop::collection::vec(scalar, 0..3).prop_map(Value::Array), 1 => Just(Value::Null)]
}

fn entities() -> impl Strategy<Value = Entity> {
    let instance = (
        prop::sample::select(NAMES.to_vec()),
        prop::option::of(0u8..2),
        small_value(),
    );
    prop::collection::vec(instance, 0..6).prop_map(|attrs| {
        let attrs = attrs.into_iter().map(|(n, ds, v)| {
            let mut a = prop(n, v);
            a.dataset_id = ds.map(|d| intern(&format!("urn:ds:{d}")));
            a
        });
        entity("urn:x:1", "T", attrs.collect())
    })
}

fn small_lit() -> impl Strategy<Value = Literal> {
    prop_oneof![
        (-3i32..4).prop_map(|n| Literal::Number(f64::from(n))),
        prop::sample::select(vec!["x", "y", "z"]).prop_map(|s| Literal::Str(s.into()))
    ]
}

fn small_term() -> impl Strategy<Value = QTerm> {
    let op = prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::Lt,
        CmpOp::Le,
    ]);
    let value = prop_oneof![
        3 => small_lit().prop_map(QValue::One),
        1 => prop::collection::vec(small_lit(), 2..4).prop_map(QValue::List),
        1 => ((-3i32..4), (-3i32..4)).prop_map(|(a, b)| QValue::Range(Literal::Number(f64::from(a)), Literal::Number(f64::from(b)))),
    ];
    let compare = (op, value).prop_map(|(op, value)| match value {
        QValue::One(l) => Test::Compare {
            op,
            value: QValue::One(l),
        },
        other => Test::Compare {
            op: if op == CmpOp::Ne {
                CmpOp::Ne
            } else {
                CmpOp::Eq
            },
            value: other,
        },
    });
    let test = prop_oneof![1 => Just(Test::Exists), 1 => Just(Test::NotExists), 4 => compare];
    (prop::sample::select(NAMES.to_vec()), test).prop_map(|(n, test)| QTerm {
        path: AttrPath::Value(ValuePath {
            attrs: vec![n.into()],
            trail: None,
        }),
        test,
    })
}

/// Clause 4.9, spelled out naively: any instance; array values by element; types must agree.
fn reference(expr: &QExpr, e: &Entity) -> bool {
    expr.eval(&mut |t: &QTerm| {
        let AttrPath::Value(p) = &t.path else {
            unreachable!("generated value paths only")
        };
        let name = expand(&p.attrs[0]);
        let values: Vec<&Value> = e
            .attrs
            .iter()
            .filter(|a| a.name == name)
            .map(|a| a.value.json())
            .collect();
        match &t.test {
            Test::Exists => !values.is_empty(),
            Test::NotExists => values.is_empty(),
            Test::Compare { op, value } => values.iter().any(|v| {
                let targets: Vec<&Value> = match v {
                    Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                let hit = |t: &Value| satisfies(t, value);
                match op {
                    CmpOp::Eq => targets.iter().any(|t| hit(t)),
                    CmpOp::Ne => !targets.is_empty() && !targets.iter().any(|t| hit(t)),
                    _ => targets
                        .iter()
                        .any(|t| compare(t, single(value)).is_some_and(|o| accepts(*op, o))),
                }
            }),
            Test::Pattern { .. } => unreachable!("not generated"),
        }
    })
}

fn single(v: &QValue) -> &Literal {
    match v {
        QValue::One(l) => l,
        _ => unreachable!("relational operators take one value"),
    }
}

fn satisfies(t: &Value, v: &QValue) -> bool {
    let eq = |l: &Literal| compare(t, l) == Some(std::cmp::Ordering::Equal);
    match v {
        QValue::One(l) => eq(l),
        QValue::List(ls) => ls.iter().any(eq),
        QValue::Range(lo, hi) => {
            compare(t, lo).is_some_and(|o| o.is_ge()) && compare(t, hi).is_some_and(|o| o.is_le())
        }
    }
}

fn compare(t: &Value, l: &Literal) -> Option<std::cmp::Ordering> {
    match (t, l) {
        (Value::Number(n), Literal::Number(x)) => n.as_f64()?.partial_cmp(x),
        (Value::String(s), Literal::Str(x)) => Some(s.as_str().cmp(x.as_str())),
        _ => None,
    }
}

fn accepts(op: CmpOp, o: std::cmp::Ordering) -> bool {
    match op {
        CmpOp::Gt => o.is_gt(),
        CmpOp::Ge => o.is_ge(),
        CmpOp::Lt => o.is_lt(),
        CmpOp::Le => o.is_le(),
        CmpOp::Eq => o.is_eq(),
        CmpOp::Ne => o.is_ne(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn evaluator_agrees_with_the_reference(expr in tree(small_term()), e in entities()) {
        let text = expr.to_string();
        let resolved = parse_q(&text).unwrap().resolve(&expand).unwrap();
        prop_assert_eq!(resolved.matches(&e), reference(&expr, &e), "{} on {:?}", text, json!(e.attrs.iter().map(|a| a.value.json()).collect::<Vec<_>>()));
    }
}
