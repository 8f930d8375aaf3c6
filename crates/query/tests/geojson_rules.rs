//! The GeoJSON rules of `ngsi::geojson` (RFC 7946, clause 4.7) beyond its own unit tests:
//! holes, touching and crossing rings, collections, string forms, the position bound.

use ngsi::geojson::{
    GeometryType, MAX_POSITIONS, validate_coordinates, validate_geojson_geometry, validate_geometry,
};
use serde_json::{Value, json};

fn detail(v: Value) -> String {
    validate_geometry(&v).unwrap_err().detail
}

fn polygon(rings: Value) -> Value {
    json!({"type": "Polygon", "coordinates": rings})
}

#[test]
fn holes_must_be_inside_and_not_cross() {
    let shell = json!([[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]);
    let hole = json!([[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]]);
    assert_eq!(validate_geometry(&polygon(json!([shell, hole]))), Ok(()));
    let outside = json!([[20, 20], [24, 20], [24, 24], [20, 20]]);
    assert!(detail(polygon(json!([shell, outside]))).contains("hole 1 is not inside"));
    let crossing = json!([[5, 5], [15, 5], [15, 6], [5, 5]]);
    assert_eq!(
        detail(polygon(json!([shell, crossing]))),
        "geometry coordinates: rings 0 and 1 cross each other"
    );
    // A hole touching the shell at one vertex is valid (OGC).
    let touching = json!([[0, 5], [3, 4], [3, 6], [0, 5]]);
    assert_eq!(
        validate_geometry(&polygon(json!([shell, touching]))),
        Ok(())
    );
}

#[test]
fn self_intersections_and_degenerate_rings() {
    let figure_eight = json!([[[0, 0], [2, 0], [1, 1], [2, 2], [0, 2], [1, 1], [0, 0]]]);
    assert!(detail(polygon(figure_eight)).contains("intersects itself"));
    let backtrack = json!([[[0, 0], [2, 0], [1, 0], [1, 1], [0, 0]]]);
    assert!(detail(polygon(backtrack)).contains("intersects itself"));
    let flat = json!([[[0, 0], [1, 0], [2, 0], [0, 0]]]);
    assert!(detail(polygon(flat)).contains("intersects itself"));
    let repeated = json!([[[0, 0], [0, 0], [1, 0], [0, 0]]]);
    assert!(detail(polygon(repeated)).contains("fewer than 3 distinct positions"));
    let with_duplicates = json!([[[0, 0], [1, 0], [1, 0], [1, 1], [0, 0]]]);
    assert_eq!(validate_geometry(&polygon(with_duplicates)), Ok(()));
}

#[test]
fn paths_in_multi_geometries_and_collections() {
    let bad = json!({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[0, 0], [1, 0], [1, 91], [0, 0]]]]});
    assert_eq!(
        detail(bad),
        "geometry coordinates[1][0][2]: latitude 91 is outside [-90, 90]"
    );
    let gc = json!({"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1, 2]}, {"type": "LineString", "coordinates": [[1, 2]]}]});
    let d = validate_geojson_geometry(&gc).unwrap_err().detail;
    assert!(
        d.starts_with("geometry geometries[1].coordinates: expected a LineString"),
        "{d}"
    );
    let mut deep = json!({"type": "Point", "coordinates": [0, 0]});
    for _ in 0..5 {
        deep = json!({"type": "GeometryCollection", "geometries": [deep]});
    }
    assert!(
        validate_geojson_geometry(&deep)
            .unwrap_err()
            .detail
            .contains("nest deeper than 4")
    );
    assert!(
        detail(json!("{not json")).starts_with("a geometry given as a string must hold GeoJSON")
    );
    assert!(detail(json!({"coordinates": [0, 0]})).contains("\"type\" (a string) is missing"));
    assert!(detail(json!({"type": "Point"})).contains("\"coordinates\" is missing"));
    assert!(
        detail(json!({"type": "MultiPoint", "coordinates": []})).contains("found 0 position(s)")
    );
    assert!(
        detail(json!({"type": "Point", "coordinates": [1, 2, 3, 4]})).contains("2 or 3 numbers")
    );
}

#[test]
fn coordinates_alone_for_geo_queries() {
    assert_eq!(
        validate_coordinates(GeometryType::Point, &json!([110.3, 20.0])),
        Ok(())
    );
    let e = validate_coordinates(GeometryType::LineString, &json!([[110.3, 20.0]])).unwrap_err();
    assert_eq!(
        e.detail,
        "geometry coordinates: expected a LineString: an array of at least 2 positions, found 1 position(s)"
    );
}

#[test]
fn bounds_the_number_of_positions() {
    let many: Vec<Value> = (0..=MAX_POSITIONS)
        .map(|i| json!([i as f64 * 1e-4, 0]))
        .collect();
    let d = detail(json!({"type": "MultiPoint", "coordinates": many}));
    assert!(d.contains("more than 10000 positions"), "{d}");
    let ring: Vec<Value> = (0..MAX_POSITIONS - 1)
        .map(|i| {
            let a = i as f64 / (MAX_POSITIONS - 1) as f64 * std::f64::consts::TAU;
            json!([110.0 + a.cos(), 19.0 + a.sin()])
        })
        .chain(std::iter::once(json!([111.0, 19.0])))
        .collect();
    let started = std::time::Instant::now();
    assert_eq!(validate_geometry(&polygon(json!([ring]))), Ok(()));
    assert!(
        started.elapsed().as_secs_f64() < 5.0,
        "a 10,000-vertex ring validates quickly"
    );
}
