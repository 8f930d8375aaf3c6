//! Hainan's geography for the simulator: the coastline, the 19 divisions with adcodes, rivers,
//! roads, the national park, ports and sea lanes, with point-in-polygon and on-water checks.
//!
//! Owns static geography and the questions asked of it ("is this at sea?", "which county is
//! this in?"). The map data is embedded (`data/hainan/`, attribution in its NOTICE) and parsed
//! once. Nothing here moves or measures anything; the world model in [`crate::world`] does.

mod counties;
pub mod geom;
pub mod places;

use std::sync::OnceLock;

use serde_json::Value;

pub use counties::County;
pub use geom::{LonLat, Polyline, Ring, ll};

/// The Natural Earth coastline (see `data/hainan/NOTICE`).
const COASTLINE_GEOJSON: &str = include_str!("../data/hainan/coastline-naturalearth-10m.geojson");

/// Embedded map data that could not be read: a build defect, reported rather than panicking.
#[derive(Clone, Debug, thiserror::Error)]
#[error("embedded Hainan {file} data is unusable: {reason}")]
pub struct GeoDataError {
    /// Which data file.
    pub file: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl GeoDataError {
    fn new(file: &'static str, reason: impl Into<String>) -> Self {
        Self {
            file,
            reason: reason.into(),
        }
    }
}

/// The island's geography, parsed once per process.
#[derive(Debug)]
pub struct Hainan {
    coastline: Ring,
    mainland: Ring,
    park: Ring,
    counties: Vec<County>,
}

/// The shared, lazily parsed geography.
pub fn hainan() -> Result<&'static Hainan, GeoDataError> {
    static CELL: OnceLock<Result<Hainan, GeoDataError>> = OnceLock::new();
    CELL.get_or_init(Hainan::load)
        .as_ref()
        .map_err(Clone::clone)
}

impl Hainan {
    fn load() -> Result<Hainan, GeoDataError> {
        Ok(Hainan {
            coastline: coastline()?,
            mainland: fixed_ring("mainland mask", places::MAINLAND)?,
            park: fixed_ring("park", places::PARK_CORE)?,
            counties: counties::load()?,
        })
    }

    /// The island's coastline (the largest and only ring of the Natural Earth polygon).
    pub fn coastline(&self) -> &Ring {
        &self.coastline
    }

    /// The core zone of the Hainan Tropical Rainforest National Park.
    pub fn park(&self) -> &Ring {
        &self.park
    }

    /// The 19 divisions: 18 island cities and counties, then Sansha, in file order.
    pub fn counties(&self) -> &[County] {
        &self.counties
    }

    /// Whether `p` is on the island (inside the coastline).
    pub fn on_island(&self, p: LonLat) -> bool {
        self.coastline.contains(p)
    }

    /// Whether `p` is at sea: neither on the island nor on the Leizhou peninsula opposite.
    pub fn on_water(&self, p: LonLat) -> bool {
        !self.coastline.contains(p) && !self.mainland.contains(p)
    }

    /// Whether `p` is at sea and at least `km` from the island's coast, so rounding or a
    /// slightly different coastline cannot put it ashore.
    pub fn at_sea_with_margin(&self, p: LonLat, km: f64) -> bool {
        self.on_water(p) && self.coastline.distance_km(p) >= km
    }

    /// The division whose boundary contains `p`, if any (outlines overlap nowhere).
    pub fn county_at(&self, p: LonLat) -> Option<&County> {
        self.counties.iter().find(|c| c.contains(p))
    }

    /// The division with this adcode.
    pub fn county(&self, adcode: &str) -> Option<&County> {
        self.counties.iter().find(|c| c.adcode == adcode)
    }
}

/// The coastline polygon's largest ring.
fn coastline() -> Result<Ring, GeoDataError> {
    let doc: Value = serde_json::from_str(COASTLINE_GEOJSON)
        .map_err(|e| GeoDataError::new("coastline", e.to_string()))?;
    let ring = doc["features"][0]["geometry"]["coordinates"][0]
        .as_array()
        .ok_or_else(|| GeoDataError::new("coastline", "no polygon ring"))?;
    let points = ring
        .iter()
        .filter_map(|p| Some(ll(p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)));
    Ring::new(points).ok_or_else(|| GeoDataError::new("coastline", "degenerate ring"))
}

/// A ring from a coordinate table in [`places`].
fn fixed_ring(name: &'static str, points: &[LonLat]) -> Result<Ring, GeoDataError> {
    Ring::new(points.iter().copied()).ok_or_else(|| GeoDataError::new(name, "degenerate ring"))
}

#[cfg(test)]
mod tests;
