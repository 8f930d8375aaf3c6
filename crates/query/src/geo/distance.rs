//! Distances in metres on the sphere (haversine) between GeoJSON geometries, and the search
//! envelope that bounds everything within a distance of a geometry. The two are built to agree:
//! every nearest point this module reports lies on the target's (straight lon/lat) segments,
//! hence inside its bounding box, hence inside the envelope when it is close enough.

use ::geo::{Coord, CoordsIter, Geometry, Intersects, LineString};

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres between two `[lon, lat]` positions (degrees).
pub fn haversine_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    hav(Coord { x: a[0], y: a[1] }, Coord { x: b[0], y: b[1] })
}

fn hav(a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (la, lb) = (a.y.to_radians(), b.y.to_radians());
    let h = ((lb - la) / 2.0).sin().powi(2)
        + la.cos() * lb.cos() * ((b.x - a.x).to_radians() / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Distance from `p` to the segment a-b: the closest point is found in a plane where longitude
/// is scaled by cos(latitude of p), then measured by haversine (an upper bound of the true
/// spherical distance to the segment; see the module tests for its accuracy).
fn to_segment(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let k = p.y.to_radians().cos();
    let (ax, ay) = ((a.x - p.x) * k, a.y - p.y);
    let (dx, dy) = ((b.x - a.x) * k, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    hav(
        p,
        Coord {
            x: a.x + t * (b.x - a.x),
            y: a.y + t * (b.y - a.y),
        },
    )
}

/// A geometry taken apart for distance work: isolated points, segments, and all vertices.
#[derive(Debug, Clone, Default)]
pub(super) struct Parts {
    points: Vec<Coord<f64>>,
    segments: Vec<(Coord<f64>, Coord<f64>)>,
    vertices: Vec<Coord<f64>>,
}

impl Parts {
    pub(super) fn of(g: &Geometry<f64>) -> Self {
        let mut parts = Self {
            vertices: g.coords_iter().collect(),
            ..Self::default()
        };
        parts.add(g);
        parts
    }

    fn add(&mut self, g: &Geometry<f64>) {
        match g {
            Geometry::LineString(l) => self.line(l),
            Geometry::MultiLineString(m) => m.iter().for_each(|l| self.line(l)),
            Geometry::Polygon(p) => self.rings(p),
            Geometry::MultiPolygon(m) => m.iter().for_each(|p| self.rings(p)),
            Geometry::GeometryCollection(c) => c.iter().for_each(|g| self.add(g)),
            // Points, and the non-GeoJSON shapes, count by their vertices.
            other => self.points.extend(other.coords_iter()),
        }
    }

    fn line(&mut self, l: &LineString<f64>) {
        self.segments.extend(l.lines().map(|s| (s.start, s.end)));
    }

    fn rings(&mut self, p: &::geo::Polygon<f64>) {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .for_each(|ring| self.line(ring));
    }

    /// Distance from `p` to the nearest isolated point or segment.
    pub(super) fn distance_to(&self, p: Coord<f64>) -> f64 {
        let to_points = self.points.iter().map(|q| hav(p, *q));
        let to_segments = self.segments.iter().map(|(a, b)| to_segment(p, *a, *b));
        to_points.chain(to_segments).fold(f64::INFINITY, f64::min)
    }

    /// Smallest distance from one of `self`'s vertices to `other`.
    fn to_parts(&self, other: &Parts) -> f64 {
        self.vertices
            .iter()
            .map(|v| other.distance_to(*v))
            .fold(f64::INFINITY, f64::min)
    }
}

/// Distance in metres between the reference geometry `q` (taken apart as `qp`) and a target.
pub(super) fn distance_m(q: &Geometry<f64>, qp: &Parts, t: &Geometry<f64>) -> f64 {
    if q.intersects(t) {
        return 0.0;
    }
    if let Geometry::Point(p) = t {
        return qp.distance_to(p.0);
    }
    let tp = Parts::of(t);
    qp.to_parts(&tp).min(tp.to_parts(qp))
}

/// A box holding every point within `metres` of anything inside `bbox` (`[min lon, min lat,
/// max lon, max lat]`), on the sphere of [`EARTH_RADIUS_M`]. A point at latitude φ sees
/// longitudes up to asin(sin δ / cos φ) away within angular distance δ, which grows with |φ|,
/// so the box's most poleward latitude bounds it. Near a pole, or across the antimeridian,
/// the box spans all longitudes.
pub(super) fn grown(bbox: [f64; 4], metres: f64) -> [f64; 4] {
    // A hair of slack for rounding in the distance computations.
    let delta = metres / EARTH_RADIUS_M * (1.0 + 1e-9) + 1e-12;
    let dlat = delta.to_degrees();
    let (lat_lo, lat_hi) = (bbox[1] - dlat, bbox[3] + dlat);
    let phi = bbox[1].abs().max(bbox[3].abs()).to_radians();
    let world = [-180.0, lat_lo.max(-90.0), 180.0, lat_hi.min(90.0)];
    if lat_lo <= -90.0 || lat_hi >= 90.0 || delta >= std::f64::consts::FRAC_PI_2 - phi {
        return world;
    }
    let dlon = (delta.sin() / phi.cos()).min(1.0).asin().to_degrees();
    let (lon_lo, lon_hi) = (bbox[0] - dlon, bbox[2] + dlon);
    if lon_lo < -180.0 || lon_hi > 180.0 {
        return world;
    }
    [lon_lo, lat_lo, lon_hi, lat_hi]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_known_distance() {
        // Haikou to Sanya, about 216 km on the sphere.
        let d = haversine_m([110.33119, 20.031971], [109.508268, 18.247872]);
        assert!((d - 216_000.0).abs() < 10_000.0, "{d}");
        assert_eq!(haversine_m([10.0, 10.0], [10.0, 10.0]), 0.0);
        let quarter = haversine_m([0.0, 0.0], [90.0, 0.0]);
        assert!((quarter - EARTH_RADIUS_M * std::f64::consts::FRAC_PI_2).abs() < 1e-6);
    }

    /// The segment distance against a brute-force search over a densely sampled segment.
    #[test]
    fn segment_distance_is_close_to_dense_search() {
        let cases = [
            ((110.0, 20.0), (110.5, 20.3), (110.2, 20.4)),
            ((109.0, 18.0), (109.9, 18.0), (109.5, 18.6)),
            ((10.0, 55.0), (10.9, 55.2), (10.4, 55.5)),
            ((110.0, 19.0), (110.0, 19.9), (110.3, 19.4)),
        ];
        for ((ax, ay), (bx, by), (px, py)) in cases {
            let (a, b, p) = (
                Coord { x: ax, y: ay },
                Coord { x: bx, y: by },
                Coord { x: px, y: py },
            );
            let fast = to_segment(p, a, b);
            let dense = (0..=100_000)
                .map(|i| f64::from(i) / 100_000.0)
                .map(|t| {
                    hav(
                        p,
                        Coord {
                            x: ax + t * (bx - ax),
                            y: ay + t * (by - ay),
                        },
                    )
                })
                .fold(f64::INFINITY, f64::min);
            assert!(
                fast >= dense - 0.01 && (fast - dense) / dense < 1e-3,
                "{fast} vs {dense}"
            );
        }
    }

    #[test]
    fn grown_box_contains_the_circle() {
        for (lon, lat, metres) in [
            (110.3, 20.0, 50_000.0),
            (8.0, 40.0, 2_000.0),
            (0.0, 70.0, 300_000.0),
        ] {
            let b = grown([lon, lat, lon, lat], metres);
            for step in 0..360 {
                // Walk the circle of radius `metres` by bisection along each bearing.
                let bearing = f64::from(step).to_radians();
                let (mut lo, mut hi) = (0.0, 10.0);
                for _ in 0..60 {
                    let mid: f64 = (lo + hi) / 2.0;
                    let q = [lon + mid * bearing.sin(), lat + mid * bearing.cos()];
                    if haversine_m([lon, lat], q) < metres {
                        lo = mid
                    } else {
                        hi = mid
                    }
                }
                let q = [lon + lo * bearing.sin(), lat + lo * bearing.cos()];
                assert!(
                    q[0] >= b[0] && q[0] <= b[2] && q[1] >= b[1] && q[1] <= b[3],
                    "{q:?} outside {b:?}"
                );
            }
        }
        assert_eq!(grown([179.9, 0.0, 179.9, 0.0], 50_000.0)[0], -180.0);
    }
}
