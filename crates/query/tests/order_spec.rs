//! `orderBy` (clause 4.23): the spec's examples, the datatype comparison order, directions,
//! and ordering by distance from `orderFrom` over Hainan.

mod common;

use common::{attr, entity, expand, prop};
use ngsi::model::AttrKind;
use ngsi::{Entity, intern};
use query::geo::DistanceOrigin;
use query::order::{Direction, OrderKey, parse_order_by};
use serde_json::{Value, json};

fn sorted(order_by: &str, origin: Option<DistanceOrigin>, mut es: Vec<Entity>) -> Vec<String> {
    let order = parse_order_by(order_by)
        .unwrap()
        .resolve(&expand, origin)
        .unwrap();
    es.sort_by(|a, b| order.compare(a, b));
    es.iter().map(|e| e.id.to_string()).collect()
}

fn with(id: &str, name: &str, v: Value) -> Entity {
    entity(id, "T", vec![prop(name, v)])
}

#[test]
fn parses_the_spec_examples() {
    let o = parse_order_by("name,age;desc").unwrap();
    assert_eq!(o.terms.len(), 2);
    assert_eq!(o.terms[1].1, Direction::Desc);
    assert!(matches!(&o.terms[0].0, OrderKey::Attr(p) if p.attrs == ["name"]));
    assert!(
        matches!(&parse_order_by("address[city]").unwrap().terms[0].0, OrderKey::Attr(p) if p.trail.is_some())
    );
    assert!(matches!(
        parse_order_by("id;desc").unwrap().terms[0],
        (OrderKey::Id, Direction::Desc)
    ));
    assert_eq!(
        parse_order_by("location;dist-asc").unwrap().terms[0].1,
        Direction::DistAsc
    );
    let e = parse_order_by("name;up").unwrap_err().to_string();
    assert_eq!(
        e,
        "orderBy: expected asc, desc, dist-asc or dist-desc at position 5, found 'up'"
    );
    let e = parse_order_by("location;dist-asc")
        .unwrap()
        .resolve(&expand, None)
        .unwrap_err()
        .to_string();
    assert_eq!(e, "orderFrom: required when orderBy sorts by distance");
}

#[test]
fn datatype_comparison_order_with_nulls_last() {
    let es = vec![
        with("absent", "other", json!(1)),
        with("null", "v", Value::Null),
        with(
            "datetime",
            "v",
            json!({"@type": "DateTime", "@value": "2020-01-01T00:00:00Z"}),
        ),
        with(
            "date",
            "v",
            json!({"@type": "Date", "@value": "2020-01-01"}),
        ),
        with("time", "v", json!({"@type": "Time", "@value": "12:00:00Z"})),
        with("bool", "v", json!(true)),
        with("array", "v", json!([1, 2])),
        with("object", "v", json!({"a": 1})),
        with("string", "v", json!("abc")),
        with("number", "v", json!(5)),
    ];
    let asc = sorted("v", None, es.clone());
    assert_eq!(
        asc,
        [
            "number", "string", "object", "array", "bool", "time", "date", "datetime", "null",
            "absent"
        ]
    );
    let desc = sorted("v;desc", None, es);
    assert_eq!(
        desc,
        [
            "datetime", "date", "time", "bool", "array", "object", "string", "number", "null",
            "absent"
        ]
    );
}

#[test]
fn then_by_and_members() {
    let es = vec![
        entity(
            "urn:c",
            "T",
            vec![prop("name", json!("Ann")), prop("age", json!(30))],
        ),
        entity(
            "urn:a",
            "T",
            vec![prop("name", json!("Bob")), prop("age", json!(20))],
        ),
        entity(
            "urn:b",
            "T",
            vec![prop("name", json!("Ann")), prop("age", json!(40))],
        ),
    ];
    assert_eq!(
        sorted("name,age;desc", None, es.clone()),
        ["urn:b", "urn:c", "urn:a"]
    );
    assert_eq!(sorted("id", None, es.clone()), ["urn:a", "urn:b", "urn:c"]);
    let mut observed = es;
    for (i, e) in observed.iter_mut().enumerate() {
        let mut a = prop("name", json!("x"));
        a.observed_at = Some(10 - i as i64);
        e.put_attr(a);
    }
    assert_eq!(
        sorted("name.observedAt", None, observed),
        ["urn:b", "urn:a", "urn:c"]
    );
    let mut scoped = entity("urn:s", "T", vec![]);
    scoped.scope = Some(vec!["/b".into()]);
    let unscoped = entity("urn:u", "T", vec![]);
    assert_eq!(
        sorted("scope;desc", None, vec![unscoped, scoped]),
        ["urn:s", "urn:u"]
    );
    assert_eq!(intern("x"), intern("x"));
}

#[test]
fn by_distance_from_haikou() {
    let place = |id: &str, lon: f64, lat: f64| {
        entity(
            id,
            "T",
            vec![attr(
                AttrKind::GeoProperty,
                "location",
                json!({"type": "Point", "coordinates": [lon, lat]}),
            )],
        )
    };
    let es = vec![
        place("sanya", 109.508268, 18.247872),
        place("haikou", 110.33119, 20.031971),
        entity("no-geo", "T", vec![prop("location", json!("somewhere"))]),
        place("qionghai", 110.4668, 19.246),
        entity("absent", "T", vec![]),
    ];
    let origin = || Some(DistanceOrigin::parse(None, "[110.33,20.03]").unwrap());
    assert_eq!(
        sorted("location;dist-asc", origin(), es.clone()),
        ["haikou", "qionghai", "sanya", "no-geo", "absent"]
    );
    assert_eq!(
        sorted("location;dist-desc", origin(), es),
        ["sanya", "qionghai", "haikou", "no-geo", "absent"]
    );
    let line = DistanceOrigin::parse(Some("LineString"), "[[8,40],[9,42],[9,45],[8,40]]");
    assert!(line.is_ok());
    let e = DistanceOrigin::parse(Some("Circle"), "[8,40]")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("orderGeometry: unknown geometry type"), "{e}");
    assert!(
        DistanceOrigin::parse(None, "[8,400]")
            .unwrap_err()
            .to_string()
            .starts_with("orderFrom: latitude 400")
    );
}
