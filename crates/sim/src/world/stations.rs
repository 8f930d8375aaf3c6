//! Fixed meteorological and ocean stations: an automatic weather station in every division and
//! wave buoys moored around the island.
//!
//! Owns how a station samples the weather fields (with instrument noise, gusts, the last
//! hour's rain) and how the sea answers the wind: waves build and decay over hours, and a
//! typhoon's mixing cools the surface for days.

use serde_json::Value;

use super::device::{Ctx, Device, Fault, Observation, num};
use super::kinds::Kind;
use super::weather::HOUR;
use crate::hainan::LonLat;
use crate::hainan::places::{BUOYS, WEATHER_SITES};
use crate::rng::Rng;

/// Weather stations report every 5 simulated minutes, buoys every 10.
const WEATHER_INTERVAL_S: i64 = 300;
const BUOY_INTERVAL_S: i64 = 600;
/// The sea's response time to a change of wind, hours; and the surface's recovery time.
const WAVE_TAU_H: f64 = 3.0;
const SST_TAU_H: f64 = 18.0;

/// A weather station: its height and how much the land around it slows the wind.
#[derive(Clone, Debug)]
pub struct WeatherStation {
    elevation_m: f64,
    roughness: f64,
}

/// A wave buoy: the sea state it has seen build up.
#[derive(Clone, Debug)]
pub struct Buoy {
    wave_height: f64,
    sst_drop: f64,
    last_t: i64,
}

/// The weather stations at `scale`: one per division, then more inside the same divisions.
pub fn weather_stations(scale: f64, ctx: &Ctx<'_>, seed: u64) -> Vec<(Device, WeatherStation)> {
    let n = super::scaled(WEATHER_SITES.len(), scale);
    (0..n)
        .map(|i| {
            let (adcode, listed) = WEATHER_SITES[i % WEATHER_SITES.len()];
            let no = i / WEATHER_SITES.len() + 1;
            let site = if no == 1 {
                listed
            } else {
                let ok = |p: LonLat| ctx.geo.county_at(p).is_some_and(|c| c.adcode == adcode);
                super::spread(listed, seed ^ 0x3E, i, (2.0, 8.0), ok)
            };
            weather_station(ctx, adcode, no, site)
        })
        .collect()
}

fn weather_station(
    ctx: &Ctx<'_>,
    adcode: &str,
    no: usize,
    site: LonLat,
) -> (Device, WeatherStation) {
    let county = ctx.geo.county(adcode);
    let (slug, name) = county.map_or(("hainan", "Hainan"), |c| (c.slug, c.name_en));
    // The mountain counties' stations sit a few hundred metres up.
    let elevation_m = match slug {
        "wuzhishan" => 330.0,
        "qiongzhong" | "baisha" | "baoting" => 230.0,
        "tunchang" | "ledong" => 120.0,
        _ => 15.0,
    };
    let roughness = match slug {
        "sansha" => 0.2,
        _ if elevation_m > 100.0 => 1.3,
        _ => 1.0,
    };
    let device_id = format!("wx-{slug}-{no:02}");
    let statics = vec![
        (
            "name",
            "Text",
            Value::from(format!("{name} weather station {no}")),
        ),
        ("location", "geo:json", site.point()),
        ("areaServed", "Text", Value::from(name)),
        ("stationCode", "Text", Value::from(device_id.clone())),
    ];
    let device = Device {
        kind: Kind::Weather,
        entity_id: format!("urn:ngsi-ld:WeatherObserved:{slug}-{no:02}"),
        device_id,
        site,
        adcode: Some(adcode.to_owned()),
        statics,
        interval: WEATHER_INTERVAL_S,
        fault: Fault::None,
    };
    (
        device,
        WeatherStation {
            elevation_m,
            roughness,
        },
    )
}

impl WeatherStation {
    /// Reads the station at `t`.
    pub fn observe(
        &mut self,
        ctx: &Ctx<'_>,
        device: &Device,
        t: i64,
        rng: &mut Rng,
    ) -> Observation {
        let p = device.site;
        let w = ctx.weather;
        let wind = w.wind(p, t, self.roughness);
        let speed = (wind.speed * rng.range_f64(0.92, 1.08)).max(0.0);
        let direction = (wind.from_deg + rng.range_f64(-8.0, 8.0)).rem_euclid(360.0);
        // The last hour's rain, summed over ten-minute slices.
        let rain: f64 = (0..6)
            .map(|k| w.rain_mm_h(p, t - k * HOUR / 6 - HOUR / 12) / 6.0)
            .sum();
        let reading = vec![
            (
                "t",
                num(
                    w.temperature_c(p, t, self.elevation_m) + rng.range_f64(-0.2, 0.2),
                    1,
                ),
            ),
            ("h", num(w.humidity(p, t), 2)),
            ("p", num(w.pressure_hpa(p, t) - self.elevation_m / 8.3, 1)),
            ("ws", num(speed, 1)),
            ("wd", num(direction, 0)),
            ("g", num(speed * rng.range_f64(1.25, 1.6), 1)),
            ("r", num(rain, 1)),
        ];
        Observation {
            reading,
            next_in: WEATHER_INTERVAL_S,
        }
    }
}

/// The buoys at `scale`: the listed moorings, then more nearby, always well offshore.
pub fn buoys(scale: f64, ctx: &Ctx<'_>, seed: u64) -> Vec<(Device, Buoy)> {
    let n = super::scaled(BUOYS.len(), scale);
    (0..n)
        .map(|i| {
            let (slug, listed) = BUOYS[i % BUOYS.len()];
            let no = i / BUOYS.len() + 1;
            let site = if no == 1 {
                listed
            } else {
                let ok = |p: LonLat| ctx.geo.at_sea_with_margin(p, 5.0);
                super::spread(listed, seed ^ 0xB0, i, (5.0, 15.0), ok)
            };
            buoy(ctx, slug, no, site)
        })
        .collect()
}

fn buoy(ctx: &Ctx<'_>, slug: &str, no: usize, site: LonLat) -> (Device, Buoy) {
    let device_id = format!("buoy-{slug}-{no:02}");
    let statics = vec![
        (
            "name",
            "Text",
            Value::from(format!("{slug} wave buoy {no}")),
        ),
        ("location", "geo:json", site.point()),
    ];
    let device = Device {
        kind: Kind::Buoy,
        entity_id: format!("urn:ngsi-ld:SeaConditions:{slug}-{no:02}"),
        device_id,
        site,
        adcode: None,
        statics,
        interval: BUOY_INTERVAL_S,
        fault: Fault::None,
    };
    let model = Buoy {
        wave_height: 0.8,
        sst_drop: 0.0,
        last_t: ctx.start,
    };
    (device, model)
}

/// Significant wave height of a sea fully developed under wind `u` m/s, capped at 14 m.
pub fn developed_wave_height(u: f64) -> f64 {
    (0.4 + 0.0125 * u * u).min(14.0)
}

/// The Douglas sea scale (0 glassy .. 9 phenomenal) for significant wave height `h` m.
pub fn douglas(h: f64) -> u8 {
    const UPPER: [f64; 9] = [0.0, 0.1, 0.5, 1.25, 2.5, 4.0, 6.0, 9.0, 14.0];
    UPPER.iter().position(|&u| h <= u).unwrap_or(9) as u8
}

impl Buoy {
    /// Current significant wave height, m.
    pub fn wave_height(&self) -> f64 {
        self.wave_height
    }

    /// Lets the sea answer the wind up to `t`, then reads the buoy.
    pub fn observe(
        &mut self,
        ctx: &Ctx<'_>,
        device: &Device,
        t: i64,
        rng: &mut Rng,
    ) -> Observation {
        let p = device.site;
        while self.last_t < t {
            let dt = (t - self.last_t).min(HOUR / 2);
            let u = ctx.weather.wind(p, self.last_t + dt / 2, 0.0).speed;
            let a = dt as f64 / (WAVE_TAU_H * HOUR as f64);
            self.wave_height += (developed_wave_height(u) - self.wave_height) * a.min(1.0);
            let cooling = (0.12 * (u - 15.0)).clamp(0.0, 3.0);
            let b = dt as f64 / (SST_TAU_H * HOUR as f64);
            self.sst_drop += (cooling - self.sst_drop) * b.min(1.0);
            self.last_t += dt;
        }
        let h = self.wave_height * rng.range_f64(0.95, 1.05);
        // Warmer to the south; the typhoon's stirring brings cooler water up.
        let sst = 27.2 + 0.4 * (20.0 - p.lat) - self.sst_drop;
        let rain = ctx.weather.rain_mm_h(p, t);
        let reading = vec![
            ("wh", num(h, 2)),
            (
                "wp",
                num(3.5 + 2.4 * h.sqrt() + rng.range_f64(-0.3, 0.3), 1),
            ),
            ("wl", Value::from(douglas(h))),
            ("st", num(sst + rng.range_f64(-0.1, 0.1), 1)),
            (
                "sal",
                num(
                    33.8 - (rain / 20.0).min(1.5) + rng.range_f64(-0.05, 0.05),
                    2,
                ),
            ),
        ];
        Observation {
            reading,
            next_in: BUOY_INTERVAL_S,
        }
    }
}
