//! Validation of the geo-query parameters: `georel` per the clause 4.10 grammar, `geometry` a
//! GeoJSON type other than GeometryCollection, `coordinates` JSON text (query string) or a JSON
//! value (request body; a string there is JSON text too, clause 5.2.13) checked with
//! [`ngsi::geojson::validate_coordinates`], `geoproperty` a name or IRI.

use ngsi::geojson::{self, GeometryType};
use serde_json::Value;

use super::convert::geometry_from_parts;
use super::{GeoQuery, GeoRel, NearDistance};
use crate::error::{QueryError, Result};
use crate::limits::MAX_COORDINATES_LEN;

const RELATIONS: &str = "near;maxDistance==N, near;minDistance==N, within, contains, intersects, disjoint, overlaps or equals";

impl GeoQuery {
    /// From query-string parameters (URL-decoded): `coordinates` is JSON text like `[8,40]`.
    pub fn parse(
        georel: &str,
        geometry: &str,
        coordinates: &str,
        geoproperty: Option<&str>,
    ) -> Result<Self> {
        if coordinates.len() > MAX_COORDINATES_LEN {
            let detail = format!("longer than {MAX_COORDINATES_LEN} bytes");
            return Err(QueryError::invalid("coordinates", detail));
        }
        let coords: Value = serde_json::from_str(coordinates)
            .map_err(|e| QueryError::invalid("coordinates", format!("not a JSON array: {e}")))?;
        Self::from_json(georel, geometry, &coords, geoproperty)
    }

    /// From a request body's members; `coordinates` may be the array or its JSON text.
    pub fn from_json(
        georel: &str,
        geometry: &str,
        coordinates: &Value,
        geoproperty: Option<&str>,
    ) -> Result<Self> {
        if let Value::String(text) = coordinates {
            return Self::parse(georel, geometry, text, geoproperty);
        }
        let georel = parse_georel(georel)?;
        let geometry_type = parse_geometry_type(geometry)?;
        geojson::validate_coordinates(geometry_type, coordinates).map_err(|e| {
            let at = e
                .detail
                .strip_prefix("geometry coordinates")
                .unwrap_or(&e.detail);
            let detail = match at.strip_prefix(": ") {
                Some(what) => what.to_string(),
                None => format!("at {at}"),
            };
            QueryError::invalid("coordinates", detail)
        })?;
        let geometry = geometry_from_parts(geometry_type, coordinates)
            .ok_or_else(|| QueryError::invalid("coordinates", "not a valid geometry"))?;
        let geoproperty = geoproperty.map(parse_geoproperty).transpose()?;
        Ok(Self {
            georel,
            geometry_type,
            geometry,
            geoproperty,
        })
    }

    /// From a GeoQuery object (clause 5.2.13), e.g. a subscription's or a POST query's `geoQ`.
    pub fn from_geoq(v: &Value) -> Result<Self> {
        let member = |name: &'static str| {
            v.get(name)
                .ok_or_else(|| QueryError::invalid(name, "missing from the GeoQuery"))
        };
        let string = |name: &'static str| {
            member(name)?
                .as_str()
                .ok_or_else(|| QueryError::invalid(name, "must be a string"))
        };
        let geoproperty = match v.get("geoproperty") {
            None => None,
            Some(p) => Some(
                p.as_str()
                    .ok_or_else(|| QueryError::invalid("geoproperty", "must be a string"))?,
            ),
        };
        Self::from_json(
            string("georel")?,
            string("geometry")?,
            member("coordinates")?,
            geoproperty,
        )
    }
}

/// Parses `georel` (clause 4.10 grammar).
pub fn parse_georel(text: &str) -> Result<GeoRel> {
    let unknown = || {
        QueryError::invalid(
            "georel",
            format!("unknown relation {text:?}; expected {RELATIONS}"),
        )
    };
    let (name, modifier) = match text.split_once(';') {
        Some((name, m)) => (name, Some(m)),
        None => (text, None),
    };
    let rel = match name {
        "near" => return near(modifier),
        "within" => GeoRel::Within,
        "contains" => GeoRel::Contains,
        "intersects" => GeoRel::Intersects,
        "disjoint" => GeoRel::Disjoint,
        "overlaps" => GeoRel::Overlaps,
        "equals" => GeoRel::Equals,
        _ => return Err(unknown()),
    };
    match modifier {
        None => Ok(rel),
        Some(_) => Err(QueryError::invalid(
            "georel",
            format!("{name} takes no modifier; found {text:?}"),
        )),
    }
}

fn near(modifier: Option<&str>) -> Result<GeoRel> {
    let err = |detail: String| Err(QueryError::invalid("georel", detail));
    let Some(modifier) = modifier else {
        return err(
            "near needs a distance: near;maxDistance==N or near;minDistance==N (metres)".into(),
        );
    };
    let Some((kind, number)) = modifier.split_once("==") else {
        return err(format!(
            "expected maxDistance==N or minDistance==N after 'near;', found {modifier:?}"
        ));
    };
    let distance = match number.parse::<f64>() {
        Ok(d) if number.starts_with('-') || d < 0.0 => {
            return err(format!("the distance must be positive, found {number}"));
        }
        Ok(0.0) => return err("the distance must be positive, found 0".into()),
        Ok(d) if d.is_finite() && is_plain_number(number) => d,
        _ => {
            return err(format!(
                "the distance must be a positive number of metres, found {number:?}"
            ));
        }
    };
    match kind {
        "maxDistance" => Ok(GeoRel::Near(NearDistance::Max(distance))),
        "minDistance" => Ok(GeoRel::Near(NearDistance::Min(distance))),
        _ => err(format!(
            "expected maxDistance or minDistance, found {kind:?}"
        )),
    }
}

/// A JSON number without sign (PositiveNumber), so "inf", "1_0" or "+5" are refused.
fn is_plain_number(s: &str) -> bool {
    serde_json::from_str::<serde_json::Number>(s).is_ok() && !s.starts_with('-')
}

fn parse_geometry_type(name: &str) -> Result<GeometryType> {
    match GeometryType::parse(name) {
        Some(GeometryType::GeometryCollection) => Err(QueryError::invalid(
            "geometry",
            "GeometryCollection is not allowed in a geo-query (clause 4.10)",
        )),
        Some(t) => Ok(t),
        None => Err(QueryError::invalid(
            "geometry",
            format!(
                "unknown geometry type {name:?}; expected Point, MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon"
            ),
        )),
    }
}

fn parse_geoproperty(name: &str) -> Result<String> {
    let ok = !name.is_empty()
        && !name.contains(|c: char| c.is_whitespace() || ",;|()[]{}\"".contains(c));
    if ok {
        Ok(name.to_string())
    } else {
        Err(QueryError::invalid(
            "geoproperty",
            format!("not an attribute name: {name:?}"),
        ))
    }
}
