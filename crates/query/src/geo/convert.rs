//! GeoJSON (serde_json) to `geo` types, and bounding boxes read straight from the JSON. The
//! converters check structure only (nesting, ring and line lengths) and return None on
//! anything else, so that no input can reach a `geo` algorithm in a shape it does not expect;
//! full validation happens when entities are written ([`ngsi::geojson::validate_geometry`]).

use ::geo::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};
use ngsi::geojson::{GeometryType, MAX_COLLECTION_DEPTH};
use serde_json::Value;

/// A geometry from its GeoJSON object, or from a string holding one (clause 4.7.2).
pub fn geometry_from_json(v: &Value) -> Option<Geometry<f64>> {
    match v {
        Value::String(text) => object(&serde_json::from_str(text).ok()?, 0),
        other => object(other, 0),
    }
}

fn object(v: &Value, depth: usize) -> Option<Geometry<f64>> {
    let ty = GeometryType::parse(v.get("type")?.as_str()?)?;
    if ty != GeometryType::GeometryCollection {
        return geometry_from_parts(ty, v.get("coordinates")?);
    }
    if depth >= MAX_COLLECTION_DEPTH {
        return None;
    }
    let parts = v.get("geometries")?.as_array()?;
    let parts: Option<Vec<_>> = parts.iter().map(|g| object(g, depth + 1)).collect();
    Some(Geometry::GeometryCollection(GeometryCollection::new_from(
        parts?,
    )))
}

/// A geometry of type `ty` from its `coordinates`.
pub(crate) fn geometry_from_parts(ty: GeometryType, c: &Value) -> Option<Geometry<f64>> {
    Some(match ty {
        GeometryType::Point => Geometry::Point(Point(coord(c)?)),
        GeometryType::MultiPoint => {
            Geometry::MultiPoint(MultiPoint(nonempty(c, |p| coord(p).map(Point))?))
        }
        GeometryType::LineString => Geometry::LineString(line(c)?),
        GeometryType::MultiLineString => {
            Geometry::MultiLineString(MultiLineString(nonempty(c, line)?))
        }
        GeometryType::Polygon => Geometry::Polygon(polygon(c)?),
        GeometryType::MultiPolygon => Geometry::MultiPolygon(MultiPolygon(nonempty(c, polygon)?)),
        GeometryType::GeometryCollection => return None,
    })
}

fn nonempty<T>(v: &Value, f: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    let items = v.as_array()?;
    if items.is_empty() {
        return None;
    }
    items.iter().map(f).collect()
}

/// A position inside WGS84 bounds: anything else never reaches the geometry algorithms.
fn coord(v: &Value) -> Option<Coord<f64>> {
    let (x, y) = match v.as_array()?.as_slice() {
        [x, y] | [x, y, _] => (x.as_f64()?, y.as_f64()?),
        _ => return None,
    };
    ((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)).then_some(Coord { x, y })
}

fn coords(v: &Value, min: usize) -> Option<Vec<Coord<f64>>> {
    let pts = nonempty(v, coord)?;
    (pts.len() >= min).then_some(pts)
}

fn line(v: &Value) -> Option<LineString<f64>> {
    coords(v, 2).map(LineString)
}

fn polygon(v: &Value) -> Option<Polygon<f64>> {
    let mut rings = nonempty(v, |r| {
        coords(r, 4)
            .filter(|pts| pts.first() == pts.last())
            .map(LineString)
    })?;
    let exterior = rings.remove(0);
    Some(Polygon::new(exterior, rings))
}

/// The bounding box `[min lon, min lat, max lon, max lat]` of a GeoJSON geometry (object or
/// string form), without building it: for the store's spatial index.
pub fn envelope_of(v: &Value) -> Option<[f64; 4]> {
    if let Value::String(text) = v {
        return envelope_of(&serde_json::from_str(text).ok()?);
    }
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    match v.get("coordinates") {
        Some(c) => grow(&mut bbox, c, 0),
        None => {
            for g in v.get("geometries")?.as_array()? {
                let b = envelope_of(g)?;
                bbox = [
                    bbox[0].min(b[0]),
                    bbox[1].min(b[1]),
                    bbox[2].max(b[2]),
                    bbox[3].max(b[3]),
                ];
            }
        }
    }
    (bbox[0] <= bbox[2] && bbox[1] <= bbox[3]).then_some(bbox)
}

/// Positions nest at most four arrays deep (MultiPolygon), so recursion stops at depth 4.
fn grow(bbox: &mut [f64; 4], v: &Value, depth: usize) {
    let Some(items) = v.as_array() else { return };
    if let Some(c) = coord(v).filter(|_| items.iter().all(Value::is_number)) {
        *bbox = [
            bbox[0].min(c.x),
            bbox[1].min(c.y),
            bbox[2].max(c.x),
            bbox[3].max(c.y),
        ];
    } else if depth < 4 {
        items.iter().for_each(|i| grow(bbox, i, depth + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_and_bounds() {
        let g = json!({"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 3], [0, 0]]]});
        assert!(matches!(geometry_from_json(&g), Some(Geometry::Polygon(_))));
        assert_eq!(envelope_of(&g), Some([0.0, 0.0, 2.0, 3.0]));
        let s = json!(r#"{"type":"Point","coordinates":[110.3,20.0]}"#);
        assert_eq!(envelope_of(&s), Some([110.3, 20.0, 110.3, 20.0]));
        let open = json!({"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 3], [1, 1]]]});
        assert!(geometry_from_json(&open).is_none());
        assert!(
            geometry_from_json(&json!({"type": "LineString", "coordinates": [[0, 0]]})).is_none()
        );
        assert!(envelope_of(&json!({"type": "Point", "coordinates": []})).is_none());
    }
}
