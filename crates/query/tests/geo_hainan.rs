//! Geo-queries over real Hainan geometry (see tests/data/README.md for sources and licences):
//! land and sea points against the Natural Earth coastline, Haikou within its county, `near`
//! distances against an independent haversine, a polygon over the South China Sea, holes,
//! `disjoint` and `minDistance`, and the search envelope's soundness.

mod common;

use common::{attr, entity, expand};
use ngsi::model::AttrKind;
use query::geo::{GeoQuery, ResolvedGeoQuery, envelope_of};
use serde_json::{Value, json};

const WUZHISHAN: [f64; 2] = [109.5167, 18.7769];
const QIONGHAI: [f64; 2] = [110.4668, 19.246];
const DANZHOU: [f64; 2] = [109.5768, 19.5175];
const HAIKOU: [f64; 2] = [110.33119, 20.031971];
const SANYA: [f64; 2] = [109.508268, 18.247872];
const SEA_EAST: [f64; 2] = [111.5, 19.0];
const QIONGZHOU_STRAIT: [f64; 2] = [110.3, 20.2];
const BEIBU_GULF: [f64; 2] = [108.3, 19.5];

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn coastline() -> Value {
    load("hainan-coastline-ne10m.geojson")["features"][0]["geometry"].clone()
}

fn county(name: &str) -> Value {
    let all = load("hainan-counties-haikou-sanya.geojson");
    let f = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["name"] == name)
        .unwrap();
    f["geometry"].clone()
}

fn point(p: [f64; 2]) -> Value {
    json!({"type": "Point", "coordinates": p})
}

fn query(georel: &str, g: &Value) -> ResolvedGeoQuery {
    let q = GeoQuery::parse(
        georel,
        g["type"].as_str().unwrap(),
        &g["coordinates"].to_string(),
        None,
    );
    q.unwrap_or_else(|e| panic!("{georel}: {e}"))
        .resolve(&expand)
}

/// Reference haversine, written independently of the crate's.
fn reference_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    let r = 6_371_008.8_f64;
    let (p1, p2) = (a[1].to_radians(), b[1].to_radians());
    let (dp, dl) = (p2 - p1, (b[0] - a[0]).to_radians());
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().atan2((1.0 - h).sqrt())
}

#[test]
fn shared_geometry_is_valid_geojson() {
    assert_eq!(ngsi::geojson::validate_geometry(&coastline()), Ok(()));
    assert_eq!(ngsi::geojson::validate_geometry(&county("海口市")), Ok(()));
    assert_eq!(ngsi::geojson::validate_geometry(&county("三亚市")), Ok(()));
}

#[test]
fn land_and_sea_within_the_coastline() {
    let island = query("within", &coastline());
    for p in [WUZHISHAN, QIONGHAI, DANZHOU, HAIKOU] {
        assert!(island.matches(&point(p)), "{p:?} is on land");
    }
    for p in [SEA_EAST, QIONGZHOU_STRAIT, BEIBU_GULF] {
        assert!(!island.matches(&point(p)), "{p:?} is at sea");
    }
    let disjoint = query("disjoint", &coastline());
    assert!(disjoint.matches(&point(SEA_EAST)) && !disjoint.matches(&point(QIONGHAI)));
    assert!(disjoint.search_envelope().is_none());
    let b = island.search_envelope().unwrap();
    assert!(
        (b[0] - 108.6149).abs() < 1e-3 && (b[3] - 20.1639).abs() < 1e-3,
        "{b:?}"
    );
}

#[test]
fn haikou_within_its_county_and_entities_by_geoproperty() {
    let haikou = query("within", &county("海口市"));
    assert!(haikou.matches(&point(HAIKOU)));
    assert!(!haikou.matches(&point(SANYA)) && !haikou.matches(&point(QIONGHAI)));
    // The county polygon holds the point: `contains` from the other side.
    assert!(query("contains", &point(HAIKOU)).matches(&county("海口市")));
    assert!(query("intersects", &point(HAIKOU)).matches(&county("海口市")));
    let city = entity(
        "urn:ngsi-ld:City:Haikou",
        "City",
        vec![attr(AttrKind::GeoProperty, "location", point(HAIKOU))],
    );
    let q = GeoQuery::parse(
        "within",
        "Polygon",
        &county("海口市")["coordinates"].to_string(),
        None,
    )
    .unwrap();
    assert!(
        q.resolve(&expand).matches_entity(&city),
        "location is the core default"
    );
    let other = GeoQuery::parse(
        "within",
        "Polygon",
        &county("海口市")["coordinates"].to_string(),
        Some("observationSpace"),
    );
    assert!(
        !other.unwrap().resolve(&expand).matches_entity(&city),
        "entities without the geoproperty never match"
    );
}

#[test]
fn near_distances_match_a_reference_haversine() {
    let targets = [
        WUZHISHAN,
        QIONGHAI,
        DANZHOU,
        SANYA,
        SEA_EAST,
        QIONGZHOU_STRAIT,
        BEIBU_GULF,
    ];
    for d in [5_000.0, 50_000.0, 150_000.0, 250_000.0] {
        let q = query(&format!("near;maxDistance=={d}"), &point(HAIKOU));
        let far = query(&format!("near;minDistance=={d}"), &point(HAIKOU));
        assert!(far.search_envelope().is_none());
        let env = q.search_envelope().unwrap();
        for t in targets {
            let reference = reference_m(HAIKOU, t);
            let measured = q.distance_m(&point(t)).unwrap();
            assert!(
                (measured - reference).abs() <= 1e-6 * reference + 1e-6,
                "{t:?}: {measured} vs {reference}"
            );
            // Away from the threshold the answer must agree with the reference.
            if (reference - d).abs() > 1.0 {
                assert_eq!(
                    q.matches(&point(t)),
                    reference <= d,
                    "{t:?} at {reference} m, max {d}"
                );
                assert_eq!(
                    far.matches(&point(t)),
                    reference > d,
                    "{t:?} at {reference} m, min {d}"
                );
            }
            if reference <= d {
                assert!(
                    t[0] >= env[0] && t[0] <= env[2] && t[1] >= env[1] && t[1] <= env[3],
                    "{t:?} outside {env:?}"
                );
            }
        }
    }
}

#[test]
fn near_a_polygon_is_the_distance_to_its_nearest_point() {
    let sanya = county("三亚市");
    let q = query("near;maxDistance==1000000", &point(HAIKOU));
    let measured = q.distance_m(&sanya).unwrap();
    // Reference: dense sampling of the county boundary.
    let ring: Vec<[f64; 2]> = serde_json::from_value(sanya["coordinates"][0].clone()).unwrap();
    let dense = ring
        .windows(2)
        .flat_map(|w| {
            (0..=50).map(move |i| f64::from(i) / 50.0).map(move |t| {
                [
                    w[0][0] + t * (w[1][0] - w[0][0]),
                    w[0][1] + t * (w[1][1] - w[0][1]),
                ]
            })
        })
        .map(|p| reference_m(HAIKOU, p))
        .fold(f64::INFINITY, f64::min);
    assert!(
        measured <= dense + 1e-6 && (dense - measured) / dense < 1e-3,
        "{measured} vs {dense}"
    );
    assert_eq!(
        query("near;maxDistance==10", &point(SANYA)).distance_m(&sanya),
        Some(0.0),
        "inside: 0"
    );
    // The coastline itself is within 60 km of the strait, and farther than 1 km.
    let strait = query("near;maxDistance==60000", &point(QIONGZHOU_STRAIT));
    assert!(strait.matches(&coastline()));
    assert!(query("near;minDistance==1000", &point(QIONGZHOU_STRAIT)).matches(&coastline()));
}

#[test]
fn a_large_polygon_over_the_south_china_sea_and_holes() {
    let scs = json!({"type": "Polygon", "coordinates": [[[105, 5], [121, 5], [121, 23], [105, 23], [105, 5]]]});
    let within = query("within", &scs);
    assert!(
        within.matches(&coastline())
            && within.matches(&county("三亚市"))
            && within.matches(&point(SEA_EAST))
    );
    assert!(
        !within.matches(&point([100.5, 13.75])),
        "Bangkok is outside"
    );
    assert!(query("contains", &point(WUZHISHAN)).matches(&coastline()));
    assert!(!query("contains", &scs).matches(&coastline()));
    // The same sea with Hainan cut out as a hole.
    let hole = json!([
        [108.5, 18.0],
        [111.2, 18.0],
        [111.2, 20.3],
        [108.5, 20.3],
        [108.5, 18.0]
    ]);
    let holed = json!({"type": "Polygon", "coordinates": [scs["coordinates"][0], hole]});
    assert_eq!(ngsi::geojson::validate_geometry(&holed), Ok(()));
    let q = query("within", &holed);
    assert!(!q.matches(&point(QIONGHAI)) && q.matches(&point([112.0, 16.8])));
    assert!(query("disjoint", &holed).matches(&coastline()));
    assert!(!query("intersects", &holed).matches(&coastline()));
    assert!(query("intersects", &holed).matches(&point([112.0, 16.8])));
}

#[test]
fn overlaps_and_equals() {
    let square = |x: f64, y: f64| json!({"type": "Polygon", "coordinates": [[[x, y], [x + 1.0, y], [x + 1.0, y + 1.0], [x, y + 1.0], [x, y]]]});
    let a = square(109.0, 18.5);
    assert!(query("overlaps", &a).matches(&square(109.5, 19.0)));
    assert!(!query("overlaps", &a).matches(&square(111.0, 19.0)));
    assert!(!query("overlaps", &a).matches(&point([109.5, 19.0])));
    assert!(query("equals", &a).matches(&a));
    assert!(query("equals", &coastline()).matches(&coastline()));
    assert!(!query("equals", &a).matches(&square(109.0, 18.6)));
    let line = json!({"type": "LineString", "coordinates": [[108.0, 19.0], [112.0, 19.5]]});
    assert!(query("intersects", &line).matches(&coastline()));
    assert!(!query("within", &line).matches(&coastline()));
}

#[test]
fn envelopes_for_the_store() {
    assert_eq!(
        envelope_of(&point(HAIKOU)),
        Some([HAIKOU[0], HAIKOU[1], HAIKOU[0], HAIKOU[1]])
    );
    let b = envelope_of(&coastline()).unwrap();
    assert!(b[0] < 108.62 && b[2] > 111.03 && b[1] < 18.17 && b[3] > 20.16);
    // 111 km is one degree of latitude, and 1/cos(20°) ≈ 1.064 degrees of longitude here.
    let env = query("near;maxDistance==111195", &point(HAIKOU))
        .search_envelope()
        .unwrap();
    assert!((env[3] - HAIKOU[1] - 1.0).abs() < 1e-3, "{env:?}");
    assert!(
        (env[2] - HAIKOU[0] - 1.0 / 20.0_f64.to_radians().cos()).abs() < 0.01,
        "{env:?}"
    );
}

#[test]
fn geoq_bodies_take_arrays_or_strings() {
    let body = json!({"georel": "near;maxDistance==2000", "geometry": "Point", "coordinates": "[110.33119,20.031971]"});
    let q = GeoQuery::from_geoq(&body).unwrap().resolve(&expand);
    assert!(q.matches(&point(HAIKOU)));
    let body = json!({"georel": "within", "geometry": "Polygon", "coordinates": coastline()["coordinates"], "geoproperty": "location"});
    assert!(
        GeoQuery::from_geoq(&body)
            .unwrap()
            .resolve(&expand)
            .matches(&point(DANZHOU))
    );
    let e = GeoQuery::from_geoq(&json!({"geometry": "Point", "coordinates": [1, 2]})).unwrap_err();
    assert_eq!(e.to_string(), "georel: missing from the GeoQuery");
}

fn err(georel: &str, geometry: &str, coordinates: &str) -> String {
    GeoQuery::parse(georel, geometry, coordinates, None)
        .map(drop)
        .map_err(ngsi::NgsiError::from)
        .unwrap_err()
        .detail
}

#[test]
fn validation_errors_are_precise() {
    let p = "[110.3,20.0]";
    assert!(
        err("nearby", "Point", p)
            .starts_with("georel: unknown relation \"nearby\"; expected near;maxDistance==N")
    );
    assert!(err("near", "Point", p).contains("near needs a distance"));
    assert!(err("near;maxDistance==-5", "Point", p).contains("must be positive, found -5"));
    assert!(err("near;maxDistance==0", "Point", p).contains("must be positive, found 0"));
    assert!(err("near;maxDistance==abc", "Point", p).contains("positive number of metres"));
    assert!(err("near;distance==5", "Point", p).contains("expected maxDistance or minDistance"));
    assert!(err("within;x", "Polygon", p).contains("takes no modifier"));
    assert!(err("within", "Circle", p).starts_with("geometry: unknown geometry type \"Circle\""));
    assert!(err("within", "GeometryCollection", p).contains("not allowed in a geo-query"));
    assert!(err("within", "Point", "[110.3").starts_with("coordinates: not a JSON array"));
    assert_eq!(
        err("within", "Polygon", p),
        "coordinates: at [0]: expected a linear ring: an array of at least 4 positions, found a number 110.3"
    );
    assert_eq!(
        err("within", "Point", "[190,20]"),
        "coordinates: longitude 190 is outside [-180, 180]"
    );
    assert_eq!(
        err("within", "Point", "[110,-95]"),
        "coordinates: latitude -95 is outside [-90, 90]"
    );
    let unclosed = "[[[0,0],[1,0],[1,1],[0,1]]]";
    assert_eq!(
        err("within", "Polygon", unclosed),
        "coordinates: at [0]: the linear ring is not closed: its first and last positions differ"
    );
    assert!(
        err("within", "Polygon", "[[[0,0],[1,0],[0,0]]]").contains("at least 4 positions, found 3")
    );
    assert!(
        err("within", "Polygon", "[[[0,0],[2,2],[2,0],[0,2],[0,0]]]").contains("self-intersecting")
    );
    assert!(
        err("within", "MultiPolygon", "[[[0,0],[1,0],[1,1],[0,0]]]")
            .contains("at [0][0][0]: expected a position")
    );
    let many: Vec<[f64; 2]> = (0..10_001).map(|i| [f64::from(i) * 1e-4, 0.0]).collect();
    let many = serde_json::to_string(&many).unwrap();
    assert!(err("intersects", "LineString", &many).contains("more than 10000 positions"));
}
