//! Evaluation of a resolved geo-query against target geometries, with a bounding-box test
//! first so that most non-matching targets cost a few comparisons.

use std::sync::Arc;

use ::geo::{BoundingRect, Contains, Geometry, Intersects, Relate};
use ngsi::model::AttrKind;
use ngsi::{Entity, Sym};
use serde_json::Value;

use super::convert::geometry_from_json;
use super::distance::{self, Parts};
use super::{GeoQuery, GeoRel, NearDistance, ResolvedGeoQuery};

pub(super) fn resolve(q: &GeoQuery, property: Sym) -> ResolvedGeoQuery {
    let bbox = bbox_of(&q.geometry).unwrap_or([-180.0, -90.0, 180.0, 90.0]);
    let reach = match q.georel {
        GeoRel::Near(NearDistance::Max(d) | NearDistance::Min(d)) => distance::grown(bbox, d),
        _ => bbox,
    };
    let parts = match q.georel {
        GeoRel::Near(_) => Parts::of(&q.geometry),
        _ => Parts::default(),
    };
    ResolvedGeoQuery {
        georel: q.georel,
        geometry: q.geometry.clone(),
        property,
        reach,
        parts,
    }
}

fn bbox_of(g: &Geometry<f64>) -> Option<[f64; 4]> {
    g.bounding_rect()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
}

fn boxes_meet(a: [f64; 4], b: [f64; 4]) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

impl ResolvedGeoQuery {
    /// The expanded name of the target GeoProperty.
    pub fn property(&self) -> &Sym {
        &self.property
    }

    pub fn georel(&self) -> GeoRel {
        self.georel
    }

    /// `[min lon, min lat, max lon, max lat]` containing the bounding box of every target that
    /// can match, for starting from a spatial index; None for `disjoint` and `minDistance`,
    /// whose matches can be anywhere.
    pub fn search_envelope(&self) -> Option<[f64; 4]> {
        match self.georel {
            GeoRel::Disjoint | GeoRel::Near(NearDistance::Min(_)) => None,
            _ => Some(self.reach),
        }
    }

    /// Whether a target GeoJSON geometry (object or string form) matches. Unusable JSON never
    /// matches, for any relation.
    pub fn matches(&self, target: &Value) -> bool {
        geometry_from_json(target).is_some_and(|g| self.matches_geometry(&g))
    }

    /// Whether any GeoProperty instance of the query's property on `e` matches.
    pub fn matches_entity(&self, e: &Entity) -> bool {
        e.attrs
            .iter()
            .filter(|a| Arc::ptr_eq(&a.name, &self.property) || *a.name == *self.property)
            .filter(|a| a.kind() == AttrKind::GeoProperty)
            .any(|a| self.matches(a.value.json()))
    }

    /// [`matches`](Self::matches) for a geometry already built (e.g. kept by a spatial index).
    pub fn matches_geometry(&self, t: &Geometry<f64>) -> bool {
        let Some(tb) = bbox_of(t) else { return false };
        let meets = boxes_meet(tb, self.reach);
        let q = &self.geometry;
        match self.georel {
            GeoRel::Near(NearDistance::Max(d)) => {
                meets && distance::distance_m(q, &self.parts, t) <= d
            }
            GeoRel::Near(NearDistance::Min(d)) => {
                !meets || distance::distance_m(q, &self.parts, t) > d
            }
            GeoRel::Intersects => meets && q.intersects(t),
            GeoRel::Disjoint => !meets || !q.intersects(t),
            GeoRel::Within => meets && q.contains(t),
            GeoRel::Contains => meets && t.contains(q),
            GeoRel::Overlaps => meets && q.relate(t).is_overlaps(),
            GeoRel::Equals => meets && q.relate(t).is_equal_topo(),
        }
    }

    /// Metres from the reference geometry to the nearest point of the target (0 if they
    /// intersect), e.g. for ordering by distance; None for unusable JSON.
    pub fn distance_m(&self, target: &Value) -> Option<f64> {
        let t = geometry_from_json(target)?;
        let parts = if matches!(self.georel, GeoRel::Near(_)) {
            None
        } else {
            Some(Parts::of(&self.geometry))
        };
        Some(distance::distance_m(
            &self.geometry,
            parts.as_ref().unwrap_or(&self.parts),
            &t,
        ))
    }
}

/// A reference geometry for distances alone: `orderBy=...;dist-asc` with `orderFrom` and
/// `orderGeometry` (clause 4.23.3).
#[derive(Debug, Clone)]
pub struct DistanceOrigin {
    geometry: Geometry<f64>,
    parts: Parts,
}

impl DistanceOrigin {
    /// From `orderGeometry` (default `Point`) and `orderFrom` (JSON coordinates text).
    pub fn parse(order_geometry: Option<&str>, order_from: &str) -> crate::Result<Self> {
        let q = GeoQuery::parse(
            "intersects",
            order_geometry.unwrap_or("Point"),
            order_from,
            None,
        )
        .map_err(|e| match e {
            crate::QueryError::Invalid {
                param: "coordinates",
                detail,
            } => crate::QueryError::invalid("orderFrom", detail),
            crate::QueryError::Invalid {
                param: "geometry",
                detail,
            } => crate::QueryError::invalid("orderGeometry", detail),
            other => other,
        })?;
        Ok(Self {
            parts: Parts::of(&q.geometry),
            geometry: q.geometry,
        })
    }

    /// Metres from the origin to the nearest point of a GeoJSON geometry.
    pub fn distance_m(&self, target: &Value) -> Option<f64> {
        let t = geometry_from_json(target)?;
        Some(distance::distance_m(&self.geometry, &self.parts, &t))
    }
}
