//! The NGSI-LD Geoquery Language (clauses 4.10 and 5.2.13): [`GeoQuery::parse`] (query string)
//! or [`GeoQuery::from_json`] / [`GeoQuery::from_geoq`] (request bodies) validate `georel`,
//! `geometry` and `coordinates`; [`GeoQuery::resolve`] expands `geoproperty`; the
//! [`ResolvedGeoQuery`] evaluates entity geometries and tells the store where to look
//! ([`ResolvedGeoQuery::search_envelope`]).
//!
//! Relations follow DE-9IM (via the `geo` crate): the target (entity) geometry `within`,
//! `contains`, `intersects`, `disjoint` from, `overlaps` or `equals` the reference geometry.
//! GeoJSON lines are straight in longitude/latitude (RFC 7946), and so are they here.
//!
//! `near` uses the distance from the reference geometry to the nearest point of the target
//! (0 when they intersect): `maxDistance` matches at most that far (the target intersects the
//! buffer, as PostGIS `ST_DWithin` does; for point targets this is the spec's "within the
//! buffer"), `minDistance` strictly farther (disjoint from the buffer). Distances are in metres
//! on a sphere of radius 6,371,008.8 m (haversine, as clause 4.23.1 prescribes for distance
//! ordering): against the WGS84 ellipsoid the error is at most about 0.5 % (0.2-0.3 % at
//! Hainan's latitudes). The nearest point of a segment is found in a plane scaled at the other
//! point's latitude and then measured by haversine, so segment distances are an upper bound,
//! measured within 0.1 % of a densified great-circle search for segments up to 100 km (see the
//! tests). Geometries that cross the antimeridian are not supported.

mod convert;
mod distance;
mod eval;
mod parse;

use ::geo::Geometry;
use ngsi::Sym;
use ngsi::geojson::GeometryType;

pub use convert::{envelope_of, geometry_from_json};
pub use distance::{EARTH_RADIUS_M, haversine_m};
pub use eval::DistanceOrigin;

/// A geo-relationship (`georel`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GeoRel {
    /// `near;maxDistance==d` / `near;minDistance==d`.
    Near(NearDistance),
    Within,
    Contains,
    Intersects,
    Disjoint,
    Overlaps,
    Equals,
}

/// The distance bound of a `near` relation, in metres (positive, finite).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NearDistance {
    Max(f64),
    Min(f64),
}

/// A validated geo-query, with `geoproperty` still a short term.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoQuery {
    pub georel: GeoRel,
    pub geometry_type: GeometryType,
    /// The reference geometry.
    pub geometry: Geometry<f64>,
    /// The target GeoProperty's short name; `None` means `location`.
    pub geoproperty: Option<String>,
}

/// A geo-query ready to evaluate: see [`ResolvedGeoQuery::matches`].
#[derive(Debug, Clone)]
pub struct ResolvedGeoQuery {
    georel: GeoRel,
    geometry: Geometry<f64>,
    property: Sym,
    /// Targets whose bounding box misses this box cannot intersect the reference geometry
    /// (or, for `near`, come within its distance).
    reach: [f64; 4],
    /// The reference geometry taken apart, for `near` distances.
    parts: distance::Parts,
}

impl GeoQuery {
    /// Expands `geoproperty` (default `location`, the core term) with the request's @context.
    pub fn resolve(&self, expand: &dyn Fn(&str) -> Sym) -> ResolvedGeoQuery {
        let property = match &self.geoproperty {
            Some(term) => expand(term),
            None => ngsi::intern(ngsi::model::iri::LOCATION),
        };
        eval::resolve(self, property)
    }
}
