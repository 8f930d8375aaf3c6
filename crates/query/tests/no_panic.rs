//! The parsers and validators against arbitrary input: they may refuse it, never panic. The
//! same entry points as the `fuzz/` targets, for machines without cargo-fuzz.

mod common;

use common::{entity, expand, prop};
use proptest::prelude::*;
use query::geo::{GeoQuery, envelope_of, geometry_from_json};
use query::projection::{ProjectionKind, parse_projection};
use query::q::parse_q;
use query::scope::parse_scope_q;
use query::temporal::TemporalQuery;
use query::types::parse_type_expr;
use serde_json::{Value, json};

/// Text made mostly of the grammars' own characters, so that parsers get deep.
fn grammar_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "b.c",
        "x[y.z]",
        "r{T:a}",
        "==",
        "!=",
        ">",
        ">=",
        "<",
        "<=",
        "~=",
        "!~=",
        ";",
        "|",
        ",",
        "(",
        ")",
        "\"",
        "\\",
        "..",
        "1",
        "-2.5e3",
        "true",
        "2018-12-04T12:00:00Z",
        "12:00:00Z",
        "2018-12-04",
        "urn:x:1",
        "/",
        "#",
        "+",
        "{",
        "}",
        "[",
        "]",
        "*",
        " ",
        "%3D",
        "é",
        "\u{0}",
    ]);
    prop::collection::vec(pieces, 0..24).prop_map(|p| p.concat())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-200.0f64..200.0).prop_map(Value::from),
        prop::sample::select(vec![
            "Point",
            "Polygon",
            "MultiPolygon",
            "LineString",
            "MultiPoint",
            "MultiLineString",
            "GeometryCollection",
            "x"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            (inner.clone(), inner.clone(), inner)
                .prop_map(|(t, c, g)| json!({"type": t, "coordinates": c, "geometries": g})),
        ]
    })
}

/// Structurally well-formed geometries with random (often self-intersecting) coordinates:
/// what reaches the `geo` algorithms when a caller skips validation.
fn rough_geometry() -> impl Strategy<Value = Value> {
    let pos = || (108.0f64..112.0, 18.0f64..21.0).prop_map(|(x, y)| json!([x, y]));
    let ring = prop::collection::vec(pos(), 3..8).prop_map(|mut pts| {
        pts.push(pts[0].clone());
        Value::Array(pts)
    });
    prop_oneof![
        pos().prop_map(|c| json!({"type": "Point", "coordinates": c})),
        prop::collection::vec(pos(), 1..5)
            .prop_map(|c| json!({"type": "MultiPoint", "coordinates": c})),
        prop::collection::vec(pos(), 2..6)
            .prop_map(|c| json!({"type": "LineString", "coordinates": c})),
        prop::collection::vec(ring.clone(), 1..3)
            .prop_map(|c| json!({"type": "Polygon", "coordinates": c})),
        prop::collection::vec(prop::collection::vec(ring, 1..3), 1..3)
            .prop_map(|c| json!({"type": "MultiPolygon", "coordinates": c})),
    ]
}

fn every_parser(s: &str) {
    if let Ok(q) = parse_q(s) {
        let e = entity(
            "urn:x:1",
            "T",
            vec![prop("a", json!([1, "x", {"y": {"z": 2}}]))],
        );
        if let Ok(r) = q.resolve(&expand) {
            let _ = r.matches(&e);
        }
        assert!(
            parse_q(&q.to_string()).is_ok(),
            "printed form of {s:?} re-parses"
        );
    }
    let _ = parse_scope_q(s).map(|q| q.matches_scopes(&["/a/b".into()]));
    let _ = parse_type_expr(s).map(|t| t.resolve(&expand).candidate_types());
    let _ = parse_projection(ProjectionKind::Pick, s);
    let _ = GeoQuery::parse(s, "Polygon", s, Some(s));
    let _ = GeoQuery::parse("near;maxDistance==10", "Point", s, None);
    let _ = TemporalQuery::parse(Some(s), Some(s), Some(s), Some(s));
    let _ = query::order::parse_order_by(s).map(|o| o.resolve(&expand, None));
    let _ = query::lang::LangFilter::parse(s);
    let _ = query::geo::DistanceOrigin::parse(Some(s), s);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_grammar_soup(s in grammar_text()) {
        every_parser(&s);
    }

    #[test]
    fn parsers_never_panic_on_any_text(s in any::<String>()) {
        every_parser(&s);
    }

    #[test]
    fn relations_never_panic_on_unvalidated_geometry(a in rough_geometry(), b in rough_geometry()) {
        let _ = ngsi::geojson::validate_geometry(&a);
        for georel in ["within", "contains", "intersects", "disjoint", "overlaps", "equals", "near;maxDistance==20000", "near;minDistance==20000"] {
            let q = GeoQuery::from_json(georel, a["type"].as_str().unwrap(), &a["coordinates"], None);
            if let Ok(q) = q {
                let r = q.resolve(&expand);
                let _ = r.matches(&b);
                let _ = r.distance_m(&b);
            }
        }
    }

    #[test]
    fn geometry_code_never_panics(v in json_value()) {
        if ngsi::geojson::validate_geometry(&v).is_ok() {
            prop_assert!(geometry_from_json(&v).is_some(), "a valid geometry converts: {}", v);
        }
        let _ = ngsi::geojson::validate_geojson_geometry(&v);
        let _ = envelope_of(&v);
        let _ = geometry_from_json(&v);
        for georel in ["within", "near;maxDistance==1000", "near;minDistance==5", "overlaps", "equals", "contains"] {
            let q = GeoQuery::parse(georel, "Point", "[110,20]", None).unwrap().resolve(&expand);
            let _ = q.matches(&v);
            let _ = q.distance_m(&v);
        }
        if let (Some(t), Some(c)) = (v.get("type").and_then(Value::as_str), v.get("coordinates")) {
            let _ = GeoQuery::from_json("intersects", t, c, None).map(|q| q.resolve(&expand).matches(&v));
        }
    }
}
