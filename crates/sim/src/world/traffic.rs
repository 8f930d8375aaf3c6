//! Traffic counters on the G98 ring expressway (UltraLight devices of the provincial transport
//! department) and on Haikou's main roads (JSON devices of the city traffic police).
//!
//! Owns demand (rush hours in town, daytime humps on the expressway, more on weekends near
//! the resorts), a speed-flow curve, incidents that choke a road for an hour, and the
//! typhoon's effect: fewer cars, and slower ones in wind and rain.

use serde_json::Value;

use super::device::{Ctx, Device, Fault, Observation, num};
use super::kinds::Kind;
use super::weather::{HOUR, bump, is_weekend, local_hour, unit};
use crate::hainan::places::{G98, HAIKOU_ROADS};
use crate::hainan::{LonLat, Polyline, ll};
use crate::rng::{Rng, mix3};

/// Reporting interval (the counting period), seconds.
const INTERVAL_S: i64 = 300;
/// Counters on the G98 and per Haikou road, at scale 1.
const ON_G98: usize = 16;
const PER_CITY_ROAD: usize = 2;
/// Effective length of a vehicle on the detector loop, km (for occupancy).
const VEHICLE_KM: f64 = 0.0065;
/// The id of the G98 `Road` entity the expressway counters refer to.
pub const G98_ROAD_ID: &str = "urn:ngsi-ld:Road:G98";

/// One counter's road and character.
#[derive(Clone, Debug)]
pub struct Counter {
    urban: bool,
    lanes: f64,
    lane_capacity: f64,
    free_speed: f64,
    peak_demand: f64,
    seed: u64,
    index: u64,
}

/// The counters at `scale`: along the G98 ring, then on Haikou's roads.
pub fn counters(scale: f64, ctx: &Ctx<'_>, seed: u64) -> Vec<(Device, Counter)> {
    let ring = Polyline::new(G98);
    let n = super::scaled(ON_G98, scale);
    let mut out: Vec<(Device, Counter)> = (0..n)
        .map(|i| {
            let site = ring.at_fraction((i as f64 + 0.5) / n as f64);
            expressway(ctx, site, i + 1, seed)
        })
        .collect();
    let per_road = super::scaled(PER_CITY_ROAD, scale);
    for road in &HAIKOU_ROADS {
        let line = Polyline::new(road.course);
        for j in 0..per_road {
            let site = line.at_fraction((j as f64 + 0.5) / per_road as f64);
            let id = out.len() as u64;
            out.push(urban(ctx, road.slug, road.name_en, site, j + 1, seed, id));
        }
    }
    out
}

fn expressway(ctx: &Ctx<'_>, site: LonLat, no: usize, seed: u64) -> (Device, Counter) {
    // Busier near the two cities, where commuters and tourists join the through traffic.
    let near_city = [ll(110.33, 20.03), ll(109.51, 18.25)]
        .iter()
        .any(|c| c.distance_km(site) < 45.0);
    let model = Counter {
        urban: false,
        lanes: 2.0,
        lane_capacity: 2000.0,
        free_speed: 105.0,
        peak_demand: if near_city { 2600.0 } else { 1300.0 },
        seed,
        index: no as u64,
    };
    let area = ctx.geo.county_at(site).map(|c| c.name_en).unwrap_or("");
    let device = counter_device(
        ctx,
        Kind::Expressway,
        (format!("tc-g98-{no:02}"), format!("g98-{no:02}")),
        site,
        vec![
            (
                "name",
                "Text",
                Value::from(format!("G98 counter {no} ({area})")),
            ),
            ("refRoadSegment", "Relationship", Value::from(G98_ROAD_ID)),
        ],
    );
    (device, model)
}

fn urban(
    ctx: &Ctx<'_>,
    road: &str,
    road_name: &str,
    site: LonLat,
    no: usize,
    seed: u64,
    index: u64,
) -> (Device, Counter) {
    let model = Counter {
        urban: true,
        lanes: 3.0,
        lane_capacity: 800.0,
        free_speed: 50.0,
        peak_demand: 2200.0,
        seed,
        index,
    };
    let device = counter_device(
        ctx,
        Kind::Urban,
        (
            format!("tc-haikou-{road}-{no:02}"),
            format!("haikou-{road}-{no:02}"),
        ),
        site,
        vec![
            (
                "name",
                "Text",
                Value::from(format!("{road_name} counter {no}")),
            ),
            (
                "refRoadSegment",
                "Relationship",
                Value::from(format!("urn:ngsi-ld:Road:haikou-{road}")),
            ),
        ],
    );
    (device, model)
}

fn counter_device(
    ctx: &Ctx<'_>,
    kind: Kind,
    (device_id, slug): (String, String),
    site: LonLat,
    mut statics: Vec<super::device::Static>,
) -> Device {
    let county = ctx.geo.county_at(site);
    statics.extend([
        ("location", "geo:json", site.point()),
        ("laneDirection", "Text", Value::from("forward")),
        (
            "areaServed",
            "Text",
            Value::from(county.map_or("", |c| c.name_en)),
        ),
    ]);
    Device {
        kind,
        entity_id: format!("urn:ngsi-ld:TrafficFlowObserved:{slug}"),
        device_id,
        site,
        adcode: county.map(|c| c.adcode.clone()),
        statics,
        interval: INTERVAL_S,
        fault: Fault::None,
    }
}

/// Share of the peak demand at local `hour`.
fn profile(urban: bool, hour: f64, weekend: bool) -> f64 {
    match (urban, weekend) {
        (true, false) => {
            let peaks = bump(hour, 8.0, 1.3).max(bump(hour, 18.0, 1.6));
            0.08 + 0.92 * peaks.max(0.6 * bump(hour, 13.0, 3.0))
        }
        (true, true) => 0.08 + 0.7 * bump(hour, 15.0, 4.5),
        (false, weekend) => {
            let day = bump(hour, 10.5, 3.0).max(0.95 * bump(hour, 17.0, 3.0));
            (0.1 + 0.9 * day) * if weekend { 1.15 } else { 1.0 }
        }
    }
}

impl Counter {
    /// Counts the last period at `t`.
    pub fn observe(
        &mut self,
        ctx: &Ctx<'_>,
        device: &Device,
        t: i64,
        rng: &mut Rng,
    ) -> Observation {
        let p = device.site;
        let wind = ctx.weather.wind(p, t, 1.0).speed;
        let rain = ctx.weather.rain_mm_h(p, t);
        // Storm warnings keep people home; gales and rain slow those who drive.
        let stay_home = if wind > 17.2 {
            0.3
        } else if wind > 10.8 {
            0.75
        } else {
            1.0
        };
        let mut free = self.free_speed * (1.0 - (rain / 60.0).min(0.35));
        if wind > 20.0 {
            free = free.min(60.0);
        }
        let incident = unit(mix3(
            self.seed ^ 0x7AF,
            self.index,
            t.div_euclid(HOUR) as u64,
        )) < 0.01;
        let capacity = self.lanes * self.lane_capacity * if incident { 0.35 } else { 1.0 };
        let demand = self.peak_demand
            * profile(self.urban, local_hour(t), is_weekend(t))
            * stay_home
            * rng.range_f64(0.9, 1.1);
        let (flow, speed) = if demand > capacity {
            (
                capacity * rng.range_f64(0.85, 0.95),
                rng.range_f64(12.0, 25.0),
            )
        } else {
            let x = demand / capacity;
            (
                demand,
                free * (1.0 - 0.55 * x.powi(3)) * rng.range_f64(0.97, 1.03),
            )
        };
        let occupancy = (flow / self.lanes / speed.max(1.0) * VEHICLE_KM).clamp(0.0, 0.95);
        let congested = speed < 0.5 * self.free_speed || occupancy > 0.25;
        let count = (flow / 12.0).round() as u64;
        Observation {
            reading: vec![
                ("i", Value::from(count)),
                ("o", num(occupancy, 3)),
                ("s", num(speed, 1)),
                ("c", Value::from(congested)),
            ],
            next_in: INTERVAL_S,
        }
    }
}
