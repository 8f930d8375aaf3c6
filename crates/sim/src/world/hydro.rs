//! River gauges on the Nandu, Changhua and Wanquan: rain over the catchment runs off through
//! two linear reservoirs in series (a Nash cascade), so rivers rise hours after the rain and
//! fall slowly; a power-law rating curve turns discharge into stage.
//!
//! Owns each gauge's hydrological state and its alert and danger levels, which are the stages
//! of a bankfull and of a damaging flood at that point of the river. A typhoon's rain takes
//! the lower reaches past alert and the wettest past danger; a dry day never does.

use serde_json::Value;

use super::device::{Ctx, Device, Fault, Observation, num, round_to};
use super::kinds::Kind;
use crate::hainan::places::{RIVERS, River};
use crate::hainan::{LonLat, Polyline};
use crate::rng::Rng;

/// Share of rain that reaches the river during a storm.
const RUNOFF: f64 = 0.13;
/// Dry-season base flow as a share of the mean annual flow (November is the wet season's end).
const BASE_SHARE: f64 = 0.45;
/// Stage (m above gauge datum) = `RATING_A · Q^RATING_B`.
const RATING_A: f64 = 0.55;
const RATING_B: f64 = 0.36;
/// Alert and danger discharges as multiples of the local mean flow.
const ALERT_FLOWS: f64 = 9.0;
const DANGER_FLOWS: f64 = 18.0;
/// Integration step, seconds.
const STEP_S: i64 = 300;
/// Catchment rain is sampled every this many km along the river above the gauge.
const SAMPLE_KM: f64 = 8.0;
/// Gauges per river at scale 1 (Nandu, Changhua, Wanquan).
const PER_RIVER: [usize; 3] = [5, 4, 3];
/// Reporting interval, seconds.
const INTERVAL_S: i64 = 300;

/// A gauge's hydrology.
#[derive(Clone, Debug)]
pub struct Gauge {
    catchment: Vec<LonLat>,
    area_km2: f64,
    mean_flow: f64,
    k_hours: f64,
    q1: f64,
    q2: f64,
    last_t: i64,
    /// Stage at which the river leaves its banks here, m.
    pub alert: f64,
    /// Stage at which the flood does damage here, m.
    pub danger: f64,
}

/// Stage for discharge `q`, m.
pub fn stage(q: f64) -> f64 {
    RATING_A * q.max(0.0).powf(RATING_B)
}

/// The gauges at `scale`, spread along each river's middle and lower course.
pub fn gauges(scale: f64, ctx: &Ctx<'_>) -> Vec<(Device, Gauge)> {
    let mut out = Vec::new();
    for (river, &base) in RIVERS.iter().zip(PER_RIVER.iter()) {
        let n = super::scaled(base, scale);
        let line = Polyline::new(river.course);
        for i in 0..n {
            let f = 0.2 + 0.78 * (i as f64 + 0.5) / n as f64;
            out.push(gauge(river, &line, f, i + 1, ctx));
        }
    }
    out
}

fn gauge(river: &River, line: &Polyline, f: f64, no: usize, ctx: &Ctx<'_>) -> (Device, Gauge) {
    let km = f * line.length_km();
    let site = line.at_km(km);
    // Basin area grows a little faster than length (tributaries join downstream).
    let area_km2 = river.basin_km2 * f.powf(1.3);
    let mean_flow = river.mean_flow * f.powf(1.3);
    let samples = (km / SAMPLE_KM).ceil().max(1.0) as usize;
    let catchment = (0..=samples)
        .map(|j| line.at_km(km * j as f64 / samples as f64))
        .collect();
    let gauge = Gauge {
        catchment,
        area_km2,
        mean_flow,
        k_hours: 3.0 + km / 30.0,
        q1: 0.0,
        q2: 0.0,
        last_t: ctx.start,
        alert: round_to(stage(ALERT_FLOWS * mean_flow), 2),
        danger: round_to(stage(DANGER_FLOWS * mean_flow), 2),
    };
    let county = ctx.geo.county_at(site);
    let device_id = format!("gauge-{}-{no:02}", river.slug);
    let statics = vec![
        (
            "name",
            "Text",
            Value::from(format!("{}{no}号水文站", river.name_zh)),
        ),
        (
            "alternateName",
            "Text",
            Value::from(format!("{} gauge {no}", river.name_en)),
        ),
        ("location", "geo:json", site.point()),
        ("alertLevel", "Number", Value::from(gauge.alert)),
        ("dangerLevel", "Number", Value::from(gauge.danger)),
        ("stationID", "Text", Value::from(device_id.clone())),
        (
            "areaServed",
            "Text",
            Value::from(county.map_or("", |c| c.name_en)),
        ),
        (
            "description",
            "Text",
            Value::from(format!("{:.0} km from the source", km)),
        ),
    ];
    let device = Device {
        kind: Kind::Gauge,
        entity_id: format!("urn:ngsi-ld:FloodMonitoring:{}-{no:02}", river.slug),
        device_id,
        site,
        adcode: county.map(|c| c.adcode.clone()),
        statics,
        interval: INTERVAL_S,
        fault: Fault::None,
    };
    (device, gauge)
}

impl Gauge {
    /// Dry-weather discharge, m³/s.
    pub fn base_flow(&self) -> f64 {
        BASE_SHARE * self.mean_flow
    }

    /// Current discharge, m³/s.
    pub fn flow(&self) -> f64 {
        self.base_flow() + self.q2
    }

    /// Routes the catchment's rain up to `t`, then reads stage, discharge and status.
    pub fn observe(
        &mut self,
        ctx: &Ctx<'_>,
        _device: &Device,
        t: i64,
        rng: &mut Rng,
    ) -> Observation {
        self.advance(ctx, t);
        let q = self.flow() * (1.0 + rng.range_f64(-0.01, 0.01));
        // The status follows the level as reported (rounded), so the two never disagree.
        let level = round_to(stage(q) + rng.range_f64(-0.01, 0.01), 2);
        let status = if level >= self.danger {
            "Danger"
        } else if level >= self.alert {
            "Alert"
        } else {
            "Normal"
        };
        Observation {
            reading: vec![
                ("l", Value::from(level)),
                ("q", num(q, 1)),
                ("s", Value::from(status)),
            ],
            next_in: INTERVAL_S,
        }
    }

    /// Integrates the cascade from the last update to `t` in fixed steps.
    fn advance(&mut self, ctx: &Ctx<'_>, t: i64) {
        while self.last_t < t {
            let dt = STEP_S.min(t - self.last_t);
            let mid = self.last_t + dt / 2;
            let rain = self.catchment_rain(ctx, mid);
            let inflow = RUNOFF * rain * self.area_km2 / 3.6;
            let a = dt as f64 / (self.k_hours * 3600.0);
            self.q1 += (inflow - self.q1) * a;
            self.q2 += (self.q1 - self.q2) * a;
            self.last_t += dt;
        }
    }

    /// Mean rain rate over the catchment samples, mm/h.
    fn catchment_rain(&self, ctx: &Ctx<'_>, t: i64) -> f64 {
        let total: f64 = self
            .catchment
            .iter()
            .map(|&p| ctx.weather.rain_mm_h(p, t))
            .sum();
        total / self.catchment.len().max(1) as f64
    }
}
