//! Where Hainan's sensors are: rivers with gauges, cities with air-quality stations, and roads
//! with traffic counters, each with an approximate centre so generated points land near it.
//!
//! Owns only static geography; the values measured there are made in the parent module.

/// A named place that entities are spread around.
#[derive(Clone, Copy, Debug)]
pub struct Place {
    /// Lower-case token used inside entity ids, e.g. `nandu`.
    pub slug: &'static str,
    /// Human-readable name used in the `name` Property.
    pub label: &'static str,
    /// Approximate centre, degrees east.
    pub lon: f64,
    /// Approximate centre, degrees north.
    pub lat: f64,
}

const fn place(slug: &'static str, label: &'static str, lon: f64, lat: f64) -> Place {
    Place {
        slug,
        label,
        lon,
        lat,
    }
}

/// River gauges (`WaterObserved`).
pub const RIVERS: &[Place] = &[
    place("nandu", "Nandu River", 110.10, 19.65),
    place("changhua", "Changhua River", 109.20, 19.20),
    place("wanquan", "Wanquan River", 110.35, 19.15),
    place("ningyuan", "Ningyuan River", 109.50, 18.45),
    place("lingshui", "Lingshui River", 110.00, 18.55),
    place("wenlan", "Wenlan River", 109.75, 19.70),
];

/// Air-quality stations (`AirQualityObserved`).
pub const CITIES: &[Place] = &[
    place("haikou", "Haikou", 110.33, 20.02),
    place("sanya", "Sanya", 109.51, 18.26),
    place("danzhou", "Danzhou", 109.58, 19.52),
    place("qionghai", "Qionghai", 110.47, 19.25),
    place("wenchang", "Wenchang", 110.75, 19.61),
    place("wanning", "Wanning", 110.39, 18.80),
    place("dongfang", "Dongfang", 108.65, 19.10),
    place("wuzhishan", "Wuzhishan", 109.52, 18.78),
];

/// Traffic counters (`TrafficFlowObserved`).
pub const ROADS: &[Place] = &[
    place("g98", "G98 Hainan Ring Expressway", 110.20, 19.90),
    place(
        "g9811",
        "G9811 Haikou-Sanya Central Expressway",
        109.90,
        19.30,
    ),
    place("g225", "G225 West Coast Highway", 109.10, 19.40),
    place("haiwen", "Haiwen Expressway", 110.55, 19.85),
    place("sanya-ring", "Sanya Ring Road", 109.50, 18.30),
];
