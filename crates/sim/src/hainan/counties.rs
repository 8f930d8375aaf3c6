//! The 18 island cities and counties of Hainan plus Sansha: names, adcodes and boundaries.
//!
//! Owns parsing the embedded echarts outlines and the cpca adcode table and joining them by
//! Chinese name. The outlines run a few kilometres out to sea, so they are district
//! boundaries only: land and sea are decided by the coastline in the parent module.

use serde_json::Value;

use super::GeoDataError;
use super::geom::{LonLat, Ring, ll};

/// The echarts 4.9 county outlines (see `data/hainan/NOTICE`).
const COUNTIES_GEOJSON: &str = include_str!("../../data/hainan/counties-echarts-4.9.geojson");
/// The cpca adcode table (see `data/hainan/NOTICE`).
const ADCODES_CSV: &str = include_str!("../../data/hainan/adcodes-cpca.csv");

/// English names and id slugs for the Chinese names the data files use.
const NAMES: [(&str, &str, &str); 19] = [
    ("海口市", "Haikou", "haikou"),
    ("三亚市", "Sanya", "sanya"),
    ("三沙市", "Sansha", "sansha"),
    ("儋州市", "Danzhou", "danzhou"),
    ("五指山市", "Wuzhishan", "wuzhishan"),
    ("琼海市", "Qionghai", "qionghai"),
    ("文昌市", "Wenchang", "wenchang"),
    ("万宁市", "Wanning", "wanning"),
    ("东方市", "Dongfang", "dongfang"),
    ("定安县", "Ding'an County", "dingan"),
    ("屯昌县", "Tunchang County", "tunchang"),
    ("澄迈县", "Chengmai County", "chengmai"),
    ("临高县", "Lingao County", "lingao"),
    ("白沙黎族自治县", "Baisha Li Autonomous County", "baisha"),
    (
        "昌江黎族自治县",
        "Changjiang Li Autonomous County",
        "changjiang",
    ),
    ("乐东黎族自治县", "Ledong Li Autonomous County", "ledong"),
    (
        "陵水黎族自治县",
        "Lingshui Li Autonomous County",
        "lingshui",
    ),
    (
        "保亭黎族苗族自治县",
        "Baoting Li and Miao Autonomous County",
        "baoting",
    ),
    (
        "琼中黎族苗族自治县",
        "Qiongzhong Li and Miao Autonomous County",
        "qiongzhong",
    ),
];

/// A prefecture- or county-level division of Hainan province.
#[derive(Clone, Debug)]
pub struct County {
    /// The 6-digit administrative division code, e.g. `460100`.
    pub adcode: String,
    /// The Chinese name, e.g. `海口市`.
    pub name_zh: String,
    /// The English name, e.g. `Haikou`.
    pub name_en: &'static str,
    /// A lower-case token for ids, e.g. `haikou`.
    pub slug: &'static str,
    /// Outer rings of the division's polygons (Sansha has many islands).
    pub rings: Vec<Ring>,
    /// The label point from the outline file.
    pub label: LonLat,
}

impl County {
    /// Whether `p` lies inside any of the division's polygons.
    pub fn contains(&self, p: LonLat) -> bool {
        self.rings.iter().any(|r| r.contains(p))
    }

    /// How many positions the boundary has in all.
    pub fn positions(&self) -> usize {
        self.rings.iter().map(|r| r.points().len()).sum()
    }
}

/// Parses both embedded files and joins them; every named division must have an adcode.
pub fn load() -> Result<Vec<County>, GeoDataError> {
    let doc: Value = serde_json::from_str(COUNTIES_GEOJSON)
        .map_err(|e| GeoDataError::new("counties", e.to_string()))?;
    let features = doc["features"]
        .as_array()
        .ok_or_else(|| GeoDataError::new("counties", "no features array"))?;
    features.iter().map(county).collect()
}

/// One feature of the outline file as a [`County`].
fn county(feature: &Value) -> Result<County, GeoDataError> {
    let props = &feature["properties"];
    let name_zh = props["name"]
        .as_str()
        .ok_or_else(|| GeoDataError::new("counties", "feature without a name"))?;
    let &(_, name_en, slug) = NAMES
        .iter()
        .find(|(zh, _, _)| *zh == name_zh)
        .ok_or_else(|| GeoDataError::new("counties", format!("unknown division {name_zh}")))?;
    let adcode = adcode_of(name_zh)?;
    let label = position(&props["cp"])
        .ok_or_else(|| GeoDataError::new("counties", format!("{name_zh}: no label point")))?;
    let rings = outer_rings(&feature["geometry"]);
    if rings.is_empty() {
        return Err(GeoDataError::new(
            "counties",
            format!("{name_zh}: no polygon"),
        ));
    }
    Ok(County {
        adcode,
        name_zh: name_zh.to_owned(),
        name_en,
        slug,
        rings,
        label,
    })
}

/// The outer ring of each polygon, repaired where the digitising left a corner on another
/// edge; degenerate rings (echarts has a few 3-point slivers) and holes are dropped, since no
/// division here has a real hole.
fn outer_rings(geometry: &Value) -> Vec<Ring> {
    let polygons: Vec<&Value> = match geometry["type"].as_str() {
        Some("Polygon") => vec![&geometry["coordinates"]],
        Some("MultiPolygon") => geometry["coordinates"]
            .as_array()
            .map(|ps| ps.iter().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    polygons
        .into_iter()
        .filter_map(|poly| {
            let outer = poly.get(0)?.as_array()?;
            Ring::new(outer.iter().filter_map(position))?.into_simple()
        })
        .collect()
}

/// A `[lon, lat]` JSON array as a point.
fn position(v: &Value) -> Option<LonLat> {
    Some(ll(v.get(0)?.as_f64()?, v.get(1)?.as_f64()?))
}

/// The 6-digit adcode of the division named `name_zh` in the cpca table.
fn adcode_of(name_zh: &str) -> Result<String, GeoDataError> {
    ADCODES_CSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split(',');
            Some((cols.next()?, cols.next()?))
        })
        .find(|&(_, name)| name == name_zh)
        .and_then(|(code, _)| code.get(..6))
        .map(str::to_owned)
        .ok_or_else(|| GeoDataError::new("adcodes", format!("no adcode for {name_zh}")))
}
