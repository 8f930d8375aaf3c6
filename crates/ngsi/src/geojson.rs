//! GeoJSON geometry validation (IETF RFC 7946) for GeoProperty values (clause 4.7) and for the
//! reference geometries of geo-queries (clause 4.10). It owns the rules only: well-formed
//! nesting, 2-3 number positions inside WGS84 bounds, closed rings of at least four positions
//! that do not cross themselves or each other, and a bound on the number of positions.
//!
//! It must stay dependency-free (serde_json only): geometry algorithms live in the `query` crate.
//! Every error is `BadRequestData` with a detail naming where the problem is, as a path like
//! `coordinates[0][3]`. Polygons inside a MultiPolygon are not checked against each other, and
//! the RFC's winding order is not enforced (the RFC says parsers SHOULD NOT reject on it).

use serde_json::Value;

use crate::error::NgsiError;

/// Most positions a geometry may hold, all parts together: bounds validation and query cost.
pub const MAX_POSITIONS: usize = 10_000;
/// Deepest nesting of GeometryCollections accepted by [`validate_geojson_geometry`].
pub const MAX_COLLECTION_DEPTH: usize = 4;

/// The GeoJSON geometry types (RFC 7946 section 1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeometryType {
    Point,
    MultiPoint,
    LineString,
    MultiLineString,
    Polygon,
    MultiPolygon,
    GeometryCollection,
}

impl GeometryType {
    const ALL: [GeometryType; 7] = [
        Self::Point,
        Self::MultiPoint,
        Self::LineString,
        Self::MultiLineString,
        Self::Polygon,
        Self::MultiPolygon,
        Self::GeometryCollection,
    ];

    /// The type from its GeoJSON name (case-sensitive, as the RFC requires).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The GeoJSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Point => "Point",
            Self::MultiPoint => "MultiPoint",
            Self::LineString => "LineString",
            Self::MultiLineString => "MultiLineString",
            Self::Polygon => "Polygon",
            Self::MultiPolygon => "MultiPolygon",
            Self::GeometryCollection => "GeometryCollection",
        }
    }
}

/// Validates a GeoProperty value (clause 4.7.1): any GeoJSON geometry except
/// GeometryCollection, given as an object or, per clause 4.7.2, as a string holding one.
pub fn validate_geometry(v: &Value) -> Result<(), NgsiError> {
    with_string_form(v, |g| Checker::default().geometry(g, 0, false))
}

/// Validates any RFC 7946 geometry, GeometryCollection included (nested at most
/// [`MAX_COLLECTION_DEPTH`] deep), given as an object or as a string holding one.
pub fn validate_geojson_geometry(v: &Value) -> Result<(), NgsiError> {
    with_string_form(v, |g| Checker::default().geometry(g, 0, true))
}

/// Validates the `coordinates` of a geometry of type `ty` (a geo-query's reference geometry).
pub fn validate_coordinates(ty: GeometryType, coords: &Value) -> Result<(), NgsiError> {
    let mut checker = Checker::default();
    checker.path.push(Seg::Key("coordinates"));
    checker.coordinates(ty, coords).map_err(NgsiError::bad_data)
}

fn with_string_form(
    v: &Value,
    check: impl FnOnce(&Value) -> Result<(), String>,
) -> Result<(), NgsiError> {
    let parsed;
    let geometry = match v {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|e| {
                NgsiError::bad_data(format!(
                    "a geometry given as a string must hold GeoJSON: {e}"
                ))
            })?;
            &parsed
        }
        other => other,
    };
    check(geometry).map_err(NgsiError::bad_data)
}

#[derive(Debug, Clone, Copy)]
enum Seg {
    Key(&'static str),
    Idx(usize),
}

/// Walks one geometry, tracking where it is (for the error detail) and how many positions it saw.
#[derive(Default)]
struct Checker {
    path: Vec<Seg>,
    positions: usize,
}

type Pt = (f64, f64);

impl Checker {
    fn fail(&self, what: impl std::fmt::Display) -> String {
        let mut at = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) if at.is_empty() => at.push_str(k),
                Seg::Key(k) => at.push_str(&format!(".{k}")),
                Seg::Idx(i) => at.push_str(&format!("[{i}]")),
            }
        }
        if at.is_empty() {
            format!("geometry: {what}")
        } else {
            format!("geometry {at}: {what}")
        }
    }

    fn geometry(&mut self, v: &Value, depth: usize, allow_collection: bool) -> Result<(), String> {
        let Some(obj) = v.as_object() else {
            return Err(self.fail(format!(
                "expected a GeoJSON geometry object, found {}",
                kind(v)
            )));
        };
        let Some(name) = obj.get("type").and_then(Value::as_str) else {
            return Err(self.fail("the member \"type\" (a string) is missing"));
        };
        let Some(ty) = GeometryType::parse(name) else {
            return Err(self.fail(format!("unknown geometry type {name:?}")));
        };
        if ty != GeometryType::GeometryCollection {
            let coords = obj
                .get("coordinates")
                .ok_or_else(|| self.fail("\"coordinates\" is missing"))?;
            self.path.push(Seg::Key("coordinates"));
            self.coordinates(ty, coords)?;
            self.path.pop();
            return Ok(());
        }
        if !allow_collection {
            return Err(self.fail("GeometryCollection is not allowed here (clause 4.7.1)"));
        }
        if depth >= MAX_COLLECTION_DEPTH {
            return Err(self.fail(format!(
                "GeometryCollections nest deeper than {MAX_COLLECTION_DEPTH}"
            )));
        }
        self.path.push(Seg::Key("geometries"));
        let parts = self.array(
            obj.get("geometries").unwrap_or(&Value::Null),
            "an array of geometries",
        )?;
        self.each(parts, |c, g| c.geometry(g, depth + 1, true))?;
        self.path.pop();
        Ok(())
    }

    fn coordinates(&mut self, ty: GeometryType, v: &Value) -> Result<(), String> {
        match ty {
            GeometryType::Point => self.position(v).map(drop),
            GeometryType::MultiPoint => self.positions(v, 1, "an array of positions").map(drop),
            GeometryType::LineString => self.line(v),
            GeometryType::MultiLineString => self.multi(v, "an array of LineStrings", Self::line),
            GeometryType::Polygon => self.polygon(v),
            GeometryType::MultiPolygon => self.multi(v, "an array of Polygons", Self::polygon),
            GeometryType::GeometryCollection => {
                Err(self.fail("GeometryCollection has no coordinates"))
            }
        }
    }

    fn multi(
        &mut self,
        v: &Value,
        what: &str,
        part: fn(&mut Self, &Value) -> Result<(), String>,
    ) -> Result<(), String> {
        let items = self.array(v, what)?;
        if items.is_empty() {
            return Err(self.fail(format!("expected {what}, found an empty array")));
        }
        self.each(items, part)
    }

    fn line(&mut self, v: &Value) -> Result<(), String> {
        self.positions(v, 2, "a LineString: an array of at least 2 positions")
            .map(drop)
    }

    fn polygon(&mut self, v: &Value) -> Result<(), String> {
        let rings = self.array(v, "a Polygon: an array of linear rings")?;
        if rings.is_empty() {
            return Err(self.fail("a Polygon needs at least one linear ring"));
        }
        let mut parsed = Vec::with_capacity(rings.len());
        for (i, ring) in rings.iter().enumerate() {
            self.path.push(Seg::Idx(i));
            parsed.push(self.ring(ring)?);
            self.path.pop();
        }
        self.rings_are_simple(&parsed)
    }

    fn ring(&mut self, v: &Value) -> Result<Vec<Pt>, String> {
        let what = "a linear ring: an array of at least 4 positions";
        let pts = self.positions(v, 4, what)?;
        if pts.first() != pts.last() {
            return Err(
                self.fail("the linear ring is not closed: its first and last positions differ")
            );
        }
        let mut distinct = pts;
        distinct.dedup();
        if distinct.len() < 4 {
            return Err(self.fail("the linear ring has fewer than 3 distinct positions"));
        }
        Ok(distinct)
    }

    fn positions(&mut self, v: &Value, min: usize, what: &str) -> Result<Vec<Pt>, String> {
        let items = self.array(v, what)?;
        let mut pts = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            self.path.push(Seg::Idx(i));
            pts.push(self.position(item)?);
            self.path.pop();
        }
        // Counted after the items are known to be positions, so that a level of nesting too
        // few is reported as such rather than as a short list.
        if pts.len() < min {
            return Err(self.fail(format!("expected {what}, found {} position(s)", pts.len())));
        }
        Ok(pts)
    }

    fn position(&mut self, v: &Value) -> Result<Pt, String> {
        let nums = self.array(v, "a position: an array of 2 or 3 numbers")?;
        let coords: Option<Vec<f64>> = nums.iter().map(Value::as_f64).collect();
        let (Some(coords), 2..=3) = (coords, nums.len()) else {
            return Err(self.fail(format!(
                "expected a position: 2 or 3 numbers, found {}",
                brief(v)
            )));
        };
        let (lon, lat) = (coords[0], coords[1]);
        if !(-180.0..=180.0).contains(&lon) {
            return Err(self.fail(format!("longitude {lon} is outside [-180, 180]")));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(self.fail(format!("latitude {lat} is outside [-90, 90]")));
        }
        self.positions += 1;
        if self.positions > MAX_POSITIONS {
            return Err(self.fail(format!(
                "the geometry has more than {MAX_POSITIONS} positions"
            )));
        }
        Ok((lon, lat))
    }

    fn array<'v>(&self, v: &'v Value, what: &str) -> Result<&'v [Value], String> {
        v.as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| self.fail(format!("expected {what}, found {}", brief(v))))
    }

    fn each(
        &mut self,
        items: &[Value],
        mut f: impl FnMut(&mut Self, &Value) -> Result<(), String>,
    ) -> Result<(), String> {
        for (i, item) in items.iter().enumerate() {
            self.path.push(Seg::Idx(i));
            f(self, item)?;
            self.path.pop();
        }
        Ok(())
    }

    /// Rings must not cross or touch themselves, must not cross each other, and holes must lie
    /// inside the exterior ring. Segments are swept in x order so that real-world polygons cost
    /// close to O(n log n); the worst case is O(n²) over at most [`MAX_POSITIONS`] segments.
    fn rings_are_simple(&self, rings: &[Vec<Pt>]) -> Result<(), String> {
        let mut segs: Vec<(usize, usize)> = rings
            .iter()
            .enumerate()
            .flat_map(|(r, pts)| (0..pts.len() - 1).map(move |i| (r, i)))
            .collect();
        let seg = |&(r, i): &(usize, usize)| (rings[r][i], rings[r][i + 1]);
        segs.sort_by(|a, b| min_x(seg(a)).total_cmp(&min_x(seg(b))));
        for (k, a) in segs.iter().enumerate() {
            let (sa, max_xa) = (seg(a), max_x(seg(a)));
            for b in segs[k + 1..].iter().take_while(|b| min_x(seg(b)) <= max_xa) {
                if let Some(problem) = conflict(*a, *b, sa, seg(b), rings) {
                    return Err(self.fail(problem));
                }
            }
        }
        for (h, hole) in rings.iter().enumerate().skip(1) {
            let off_boundary = hole.iter().find(|p| !on_ring(&rings[0], **p));
            if off_boundary.is_some_and(|p| !inside_ring(&rings[0], *p)) {
                return Err(self.fail(format!("hole {h} is not inside the exterior ring")));
            }
        }
        Ok(())
    }
}

fn min_x((a, b): (Pt, Pt)) -> f64 {
    a.0.min(b.0)
}

fn max_x((a, b): (Pt, Pt)) -> f64 {
    a.0.max(b.0)
}

/// What is wrong between two segments of a polygon's rings, if anything.
fn conflict(
    a: (usize, usize),
    b: (usize, usize),
    sa: (Pt, Pt),
    sb: (Pt, Pt),
    rings: &[Vec<Pt>],
) -> Option<String> {
    if a.0 != b.0 {
        let (r1, r2) = (a.0.min(b.0), a.0.max(b.0));
        return proper_cross(sa, sb).then(|| format!("rings {r1} and {r2} cross each other"));
    }
    let n = rings[a.0].len() - 1;
    let (i, j) = (a.1.min(b.1), a.1.max(b.1));
    let bad = if j == i + 1 {
        folds_back(rings[a.0][i], rings[a.0][j], rings[a.0][j + 1])
    } else if i == 0 && j == n - 1 {
        folds_back(rings[a.0][j], rings[a.0][0], rings[a.0][1])
    } else {
        intersects(sa, sb)
    };
    bad.then(|| {
        format!(
            "linear ring {} intersects itself (the polygon is self-intersecting)",
            a.0
        )
    })
}

fn orient(a: Pt, b: Pt, c: Pt) -> f64 {
    (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
}

fn within_box(a: Pt, b: Pt, p: Pt) -> bool {
    p.0 >= a.0.min(b.0) && p.0 <= a.0.max(b.0) && p.1 >= a.1.min(b.1) && p.1 <= a.1.max(b.1)
}

fn on_segment(a: Pt, b: Pt, p: Pt) -> bool {
    orient(a, b, p) == 0.0 && within_box(a, b, p)
}

/// Whether two consecutive segments a-b and b-c double back over each other.
fn folds_back(a: Pt, b: Pt, c: Pt) -> bool {
    orient(a, b, c) == 0.0 && (a.0 - b.0) * (c.0 - b.0) + (a.1 - b.1) * (c.1 - b.1) > 0.0
}

fn proper_cross((a, b): (Pt, Pt), (c, d): (Pt, Pt)) -> bool {
    let (o1, o2) = (orient(a, b, c), orient(a, b, d));
    let (o3, o4) = (orient(c, d, a), orient(c, d, b));
    o1 * o2 < 0.0 && o3 * o4 < 0.0
}

fn intersects(s: (Pt, Pt), t: (Pt, Pt)) -> bool {
    proper_cross(s, t)
        || on_segment(s.0, s.1, t.0)
        || on_segment(s.0, s.1, t.1)
        || on_segment(t.0, t.1, s.0)
        || on_segment(t.0, t.1, s.1)
}

fn on_ring(ring: &[Pt], p: Pt) -> bool {
    ring.windows(2).any(|w| on_segment(w[0], w[1], p))
}

/// Even-odd point-in-ring test for a point known not to be on the ring.
fn inside_ring(ring: &[Pt], p: Pt) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.1 > p.1) != (b.1 > p.1) && p.0 < a.0 + (p.1 - a.1) / (b.1 - a.1) * (b.0 - a.0) {
            inside = !inside;
        }
    }
    inside
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The value's kind, with its text when that is short enough to quote in an error.
fn brief(v: &Value) -> String {
    let text = v.to_string();
    if text.len() <= 40 {
        format!("{} {text}", kind(v))
    } else {
        kind(v).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn detail(v: Value) -> String {
        validate_geometry(&v).unwrap_err().detail
    }

    #[test]
    fn accepts_every_type_and_the_string_form() {
        let square = json!([[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]);
        for g in [
            json!({"type": "Point", "coordinates": [110.3, 20.0, 12.5]}),
            json!({"type": "MultiPoint", "coordinates": [[1, 2], [3, 4]]}),
            json!({"type": "LineString", "coordinates": [[1, 2], [1, 2], [3, 4]]}),
            json!({"type": "MultiLineString", "coordinates": [[[1, 2], [3, 4]]]}),
            json!({"type": "Polygon", "coordinates": square}),
            json!({"type": "MultiPolygon", "coordinates": [square]}),
            json!(r#"{"type": "Point", "coordinates": [1, 2]}"#),
        ] {
            assert_eq!(validate_geometry(&g), Ok(()), "{g}");
        }
        let gc = json!({"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1, 2]}]});
        assert!(detail(gc.clone()).contains("not allowed"));
        assert_eq!(validate_geojson_geometry(&gc), Ok(()));
    }

    #[test]
    fn details_say_where_and_what() {
        let d =
            detail(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 95], [0, 0]]]}));
        assert_eq!(
            d,
            "geometry coordinates[0][2]: latitude 95 is outside [-90, 90]"
        );
        let d =
            detail(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}));
        assert!(
            d.contains("coordinates[0]: the linear ring is not closed"),
            "{d}"
        );
        let d = detail(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}));
        assert!(d.contains("at least 4 positions, found 3"), "{d}");
        let d = detail(json!({"type": "Polygon", "coordinates": [[0, 0], [1, 0], [1, 1], [0, 0]]}));
        assert!(d.contains("coordinates[0][0]: expected a position"), "{d}");
        let bowtie =
            json!({"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]});
        assert!(detail(bowtie).contains("intersects itself"));
        assert!(
            detail(json!({"type": "Point", "coordinates": [181, 0]})).contains("longitude 181")
        );
        assert!(
            detail(json!({"type": "Pointy", "coordinates": [1, 0]}))
                .contains("unknown geometry type")
        );
    }
}
