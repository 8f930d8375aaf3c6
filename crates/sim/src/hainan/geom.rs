//! Plane geometry on longitude/latitude pairs, good enough for an island 300 km across.
//!
//! Owns points, rings, polylines, distances and bearings. Distances use an equirectangular
//! projection around the point pair's mean latitude: over Hainan's extent its error is far
//! below the simulator's resolution, and it keeps every function allocation-free and exact to
//! reason about. Nothing here knows about Hainan itself.

use serde_json::{Value, json};

/// Mean Earth radius, kilometres.
const EARTH_RADIUS_KM: f64 = 6371.0;
/// Kilometres per degree of latitude (and of longitude at the equator).
pub const KM_PER_DEG: f64 = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;

/// A WGS84 position in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LonLat {
    /// Degrees east.
    pub lon: f64,
    /// Degrees north.
    pub lat: f64,
}

/// Shorthand for a [`LonLat`], so coordinate tables stay readable.
pub const fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat { lon, lat }
}

impl LonLat {
    /// The GeoJSON position `[lon, lat]`, rounded to 6 decimals (about 0.1 m).
    pub fn position(self) -> Value {
        json!([round6(self.lon), round6(self.lat)])
    }

    /// A GeoJSON Point geometry.
    pub fn point(self) -> Value {
        json!({"type": "Point", "coordinates": self.position()})
    }

    /// Kilometres east and north from `self` to `to` (local flat approximation).
    pub fn offset_km(self, to: LonLat) -> (f64, f64) {
        let k = ((self.lat + to.lat) / 2.0).to_radians().cos();
        (
            (to.lon - self.lon) * KM_PER_DEG * k,
            (to.lat - self.lat) * KM_PER_DEG,
        )
    }

    /// Distance to `to`, kilometres.
    pub fn distance_km(self, to: LonLat) -> f64 {
        let (dx, dy) = self.offset_km(to);
        dx.hypot(dy)
    }

    /// Initial bearing to `to`, degrees clockwise from north in `[0, 360)`.
    pub fn bearing_deg(self, to: LonLat) -> f64 {
        let (dx, dy) = self.offset_km(to);
        dx.atan2(dy).to_degrees().rem_euclid(360.0)
    }

    /// The point `km` kilometres away along `bearing` degrees.
    pub fn moved(self, bearing: f64, km: f64) -> LonLat {
        let (s, c) = bearing.to_radians().sin_cos();
        let k = self.lat.to_radians().cos();
        ll(
            self.lon + km * s / (KM_PER_DEG * k),
            self.lat + km * c / KM_PER_DEG,
        )
    }

    /// The point a fraction `t` of the way to `to`.
    pub fn lerp(self, to: LonLat, t: f64) -> LonLat {
        ll(
            self.lon + (to.lon - self.lon) * t,
            self.lat + (to.lat - self.lat) * t,
        )
    }
}

/// Rounds to 6 decimals, the precision every published coordinate carries.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A closed ring of positions (first == last), as GeoJSON polygons require.
#[derive(Clone, Debug, PartialEq)]
pub struct Ring {
    points: Vec<LonLat>,
}

impl Ring {
    /// A ring from `points`, dropping consecutive duplicates and closing it if needed.
    /// `None` when fewer than three distinct corners remain (no area, invalid GeoJSON).
    pub fn new(points: impl IntoIterator<Item = LonLat>) -> Option<Ring> {
        let mut out: Vec<LonLat> = Vec::new();
        for p in points {
            if out.last() != Some(&p) {
                out.push(p);
            }
        }
        if out.len() > 1 && out.first() == out.last() {
            out.pop();
        }
        if out.len() < 3 {
            return None;
        }
        out.push(out[0]);
        Some(Ring { points: out })
    }

    /// The positions, closed (the first repeated at the end).
    pub fn points(&self) -> &[LonLat] {
        &self.points
    }

    /// The edges as (start, end) pairs.
    pub fn edges(&self) -> impl Iterator<Item = (LonLat, LonLat)> + '_ {
        self.points.windows(2).map(|w| (w[0], w[1]))
    }

    /// Even-odd ray casting: whether `p` lies inside (points on an edge may go either way).
    pub fn contains(&self, p: LonLat) -> bool {
        let mut inside = false;
        for (a, b) in self.edges() {
            if (a.lat > p.lat) != (b.lat > p.lat) {
                let x = (b.lon - a.lon) * (p.lat - a.lat) / (b.lat - a.lat) + a.lon;
                if p.lon < x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Distance from `p` to the nearest edge, kilometres.
    pub fn distance_km(&self, p: LonLat) -> f64 {
        self.edges()
            .map(|(a, b)| segment_distance_km(p, a, b))
            .fold(f64::INFINITY, f64::min)
    }

    /// Whether no two edges cross or touch except neighbours at their shared corner, and no
    /// corner repeats: what a strict GeoJSON validator accepts as a simple ring.
    pub fn is_simple(&self) -> bool {
        self.first_defect().is_none()
    }

    /// Repairs small defects of digitised outlines (a corner lying on another edge, a pinch,
    /// a tiny crossing) by dropping the offending corners; `None` if too little remains.
    pub fn into_simple(self) -> Option<Ring> {
        let mut ring = self;
        // Each pass removes one corner; outlines here need a handful at most.
        for _ in 0..ring.points.len() {
            let Some(bad) = ring.first_defect() else {
                return Some(ring);
            };
            let mut corners = ring.points;
            corners.pop();
            corners.remove(bad);
            ring = Ring::new(corners)?;
        }
        None
    }

    /// The corner to drop to fix the first defect found, if any.
    fn first_defect(&self) -> Option<usize> {
        let n = self.points.len() - 1;
        let corners = &self.points[..n];
        for (i, a) in corners.iter().enumerate() {
            if let Some(k) = corners[i + 1..].iter().position(|b| b == a) {
                return Some(i + 1 + k);
            }
        }
        // A corner where the outline doubles back along itself (a zero-width spike).
        for i in 0..n {
            let (a, b, c) = (corners[(i + n - 1) % n], corners[i], corners[(i + 1) % n]);
            let back = (a.lon - b.lon) * (c.lon - b.lon) + (a.lat - b.lat) * (c.lat - b.lat);
            if orient(a, b, c) == 0 && back > 0.0 {
                return Some(i);
            }
        }
        let edge = |i: usize| (self.points[i], self.points[i + 1]);
        for i in 0..n {
            for j in (i + 2..n).filter(|&j| !(i == 0 && j == n - 1)) {
                if let Some(which) = touching_corner(edge(i), edge(j)) {
                    let picks = [i, i + 1, j, j + 1];
                    return Some(picks[which] % n);
                }
            }
        }
        None
    }

    /// Twice the signed area in square degrees (positive when counter-clockwise).
    pub fn signed_area2(&self) -> f64 {
        self.edges()
            .map(|(a, b)| a.lon * b.lat - b.lon * a.lat)
            .sum()
    }

    /// The GeoJSON linear ring (array of positions), coordinates exactly as held: rounding
    /// could move a corner onto another edge and make a valid ring invalid.
    pub fn to_json(&self) -> Value {
        Value::Array(self.points.iter().map(|p| json!([p.lon, p.lat])).collect())
    }
}

/// A GeoJSON Polygon (one ring) or MultiPolygon (several), one outer ring each.
pub fn polygon_json(rings: &[Ring]) -> Value {
    match rings {
        [one] => json!({"type": "Polygon", "coordinates": [one.to_json()]}),
        many => {
            let polys: Vec<Value> = many.iter().map(|r| json!([r.to_json()])).collect();
            json!({"type": "MultiPolygon", "coordinates": polys})
        }
    }
}

/// A polyline with its cumulative length, for placing things along rivers, roads and routes.
#[derive(Clone, Debug)]
pub struct Polyline {
    points: Vec<LonLat>,
    /// Kilometres from the start to each vertex.
    cumulative: Vec<f64>,
}

impl Polyline {
    /// A polyline through `points` (at least one).
    pub fn new(points: &[LonLat]) -> Polyline {
        let mut cumulative = Vec::with_capacity(points.len());
        let mut total = 0.0;
        for (i, p) in points.iter().enumerate() {
            if i > 0 {
                total += points[i - 1].distance_km(*p);
            }
            cumulative.push(total);
        }
        Polyline {
            points: points.to_vec(),
            cumulative,
        }
    }

    /// The vertices.
    pub fn points(&self) -> &[LonLat] {
        &self.points
    }

    /// Total length, kilometres.
    pub fn length_km(&self) -> f64 {
        self.cumulative.last().copied().unwrap_or(0.0)
    }

    /// The point `km` kilometres from the start (clamped to the ends).
    pub fn at_km(&self, km: f64) -> LonLat {
        let i = self.cumulative.partition_point(|&c| c <= km);
        match (i, self.points.len()) {
            (_, 0) => ll(0.0, 0.0),
            (0, _) => self.points[0],
            (i, n) if i >= n => self.points[n - 1],
            (i, _) => {
                let (c0, c1) = (self.cumulative[i - 1], self.cumulative[i]);
                let t = if c1 > c0 { (km - c0) / (c1 - c0) } else { 0.0 };
                self.points[i - 1].lerp(self.points[i], t)
            }
        }
    }

    /// The point a fraction `f` (0..=1) of the way along.
    pub fn at_fraction(&self, f: f64) -> LonLat {
        self.at_km(f.clamp(0.0, 1.0) * self.length_km())
    }

    /// The direction of travel at `km`, degrees clockwise from north.
    pub fn bearing_at_km(&self, km: f64) -> f64 {
        let a = self.at_km((km - 0.05).max(0.0));
        let b = self.at_km((km + 0.05).min(self.length_km()));
        a.bearing_deg(b)
    }

    /// Points every `step_km` along the line, both ends included (for tests and sampling).
    pub fn sample(&self, step_km: f64) -> Vec<LonLat> {
        let n = (self.length_km() / step_km.max(1e-6)).ceil() as usize;
        (0..=n).map(|i| self.at_km(i as f64 * step_km)).collect()
    }

    /// The GeoJSON LineString geometry.
    pub fn to_json(&self) -> Value {
        let coords: Vec<Value> = self.points.iter().map(|p| p.position()).collect();
        json!({"type": "LineString", "coordinates": coords})
    }
}

/// Distance from `p` to the segment `a`-`b`, kilometres.
pub fn segment_distance_km(p: LonLat, a: LonLat, b: LonLat) -> f64 {
    let (bx, by) = a.offset_km(b);
    let (px, py) = a.offset_km(p);
    let len2 = bx * bx + by * by;
    let t = if len2 > 0.0 {
        ((px * bx + py * by) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (px - t * bx).hypot(py - t * by)
}

/// Whether segments `a`-`b` and `c`-`d` share a point, and if so which of the four corners
/// (0 a, 1 b, 2 c, 3 d) to drop: the one lying on the other segment, or `d` for a crossing.
fn touching_corner((a, b): (LonLat, LonLat), (c, d): (LonLat, LonLat)) -> Option<usize> {
    let (o1, o2) = (orient(a, b, c), orient(a, b, d));
    let (o3, o4) = (orient(c, d, a), orient(c, d, b));
    if o1 * o2 < 0 && o3 * o4 < 0 {
        return Some(3);
    }
    [
        (o3 == 0 && on_segment(c, d, a), 0),
        (o4 == 0 && on_segment(c, d, b), 1),
        (o1 == 0 && on_segment(a, b, c), 2),
        (o2 == 0 && on_segment(a, b, d), 3),
    ]
    .into_iter()
    .find_map(|(hit, which)| hit.then_some(which))
}

/// The sign of the turn a→b→c: 1 left, -1 right, 0 collinear.
fn orient(a: LonLat, b: LonLat, c: LonLat) -> i8 {
    let v = (b.lon - a.lon) * (c.lat - a.lat) - (b.lat - a.lat) * (c.lon - a.lon);
    if v > 0.0 {
        1
    } else if v < 0.0 {
        -1
    } else {
        0
    }
}

/// Whether `p`, known collinear with `a`-`b`, lies within the segment's box.
fn on_segment(a: LonLat, b: LonLat, p: LonLat) -> bool {
    p.lon >= a.lon.min(b.lon)
        && p.lon <= a.lon.max(b.lon)
        && p.lat >= a.lat.min(b.lat)
        && p.lat <= a.lat.max(b.lat)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Ring {
        let pts = [ll(0.0, 0.0), ll(1.0, 0.0), ll(1.0, 1.0), ll(0.0, 1.0)];
        Ring::new(pts).expect("a square is a ring")
    }

    #[test]
    fn ring_closes_and_contains() {
        let sq = square();
        assert_eq!(sq.points().len(), 5);
        assert_eq!(sq.points().first(), sq.points().last());
        assert!(sq.contains(ll(0.5, 0.5)));
        assert!(!sq.contains(ll(1.5, 0.5)));
        assert!(sq.is_simple());
        assert!(sq.signed_area2() > 0.0);
        assert!(Ring::new([ll(0.0, 0.0), ll(1.0, 1.0), ll(0.0, 0.0)]).is_none());
        let spike = [
            ll(0.0, 0.0),
            ll(2.0, 0.0),
            ll(3.0, 0.0),
            ll(2.5, 0.0),
            ll(1.0, 1.0),
        ];
        assert_eq!(Ring::new(spike).map(|r| r.is_simple()), Some(false));
    }

    #[test]
    fn bow_tie_and_repeated_corner_are_not_simple() {
        let bow = [ll(0.0, 0.0), ll(1.0, 1.0), ll(1.0, 0.0), ll(0.0, 1.0)];
        assert_eq!(Ring::new(bow).map(|r| r.is_simple()), Some(false));
        let pinch = [
            ll(0.0, 0.0),
            ll(2.0, 0.0),
            ll(1.0, 1.0),
            ll(2.0, 2.0),
            ll(0.0, 2.0),
            ll(1.0, 1.0),
        ];
        assert_eq!(Ring::new(pinch).map(|r| r.is_simple()), Some(false));
        let repaired = Ring::new(pinch).and_then(Ring::into_simple);
        assert_eq!(repaired.as_ref().map(Ring::is_simple), Some(true));
        assert_eq!(repaired.map(|r| r.points().len()), Some(6));
        // A corner lying on a non-adjacent edge, as in one digitised county outline.
        let touch = [
            ll(0.0, 0.0),
            ll(2.0, 0.0),
            ll(2.0, 2.0),
            ll(1.0, 2.0),
            ll(1.0, 0.0),
            ll(0.5, 1.0),
        ];
        assert_eq!(Ring::new(touch).map(|r| r.is_simple()), Some(false));
        let fixed = Ring::new(touch).and_then(Ring::into_simple);
        assert_eq!(fixed.map(|r| r.is_simple()), Some(true));
    }

    #[test]
    fn distances_and_bearings() {
        let haikou = ll(110.33, 20.03);
        let sanya = ll(109.51, 18.25);
        let d = haikou.distance_km(sanya);
        // The two cities are about 215 km apart as the crow flies.
        assert!((200.0..230.0).contains(&d), "{d}");
        let b = haikou.bearing_deg(sanya);
        assert!((200.0..215.0).contains(&b), "{b}");
        let there = haikou.moved(b, d);
        assert!(there.distance_km(sanya) < 0.5);
        assert!((ll(110.0, 19.0).bearing_deg(ll(110.0, 20.0))).abs() < 1e-9);
    }

    #[test]
    fn polyline_walks_its_length() {
        let line = Polyline::new(&[ll(110.0, 19.0), ll(110.0, 20.0), ll(111.0, 20.0)]);
        // One degree of latitude (111.2 km) plus one of longitude at 20°N (104.5 km).
        assert!(
            (214.0..217.0).contains(&line.length_km()),
            "{}",
            line.length_km()
        );
        assert_eq!(line.at_km(-5.0), ll(110.0, 19.0));
        assert_eq!(line.at_km(1e9), ll(111.0, 20.0));
        let mid = line.at_km(line.cumulative[1] / 2.0);
        assert!((mid.lat - 19.5).abs() < 1e-9);
        assert!((line.bearing_at_km(10.0)).abs() < 1e-6);
        assert!((line.bearing_at_km(line.length_km() - 1.0) - 90.0).abs() < 1.0);
        assert!(line.sample(5.0).len() > 40);
        let d = segment_distance_km(ll(110.5, 19.5), ll(110.0, 19.0), ll(110.0, 20.0));
        assert!((d - 0.5 * KM_PER_DEG * 19.5f64.to_radians().cos()).abs() < 0.5);
    }
}
