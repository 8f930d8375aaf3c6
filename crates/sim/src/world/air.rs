//! Air-quality stations in Haikou, Sanya, Danzhou, Qionghai and other towns: PM2.5, PM10, NO₂
//! and O₃ follow traffic rush hours, sunlight, wind and rain, with a day-to-day regional haze
//! factor (the November monsoon sometimes brings mainland air), and each station reports its
//! HJ 633 AQI the way Chinese stations publish it.
//!
//! Owns the pollutant model of a station. Concentrations stay in plausible ranges (a clean
//! island with the odd lightly polluted day); the index arithmetic lives in [`super::aqi`].

use serde_json::Value;

use super::aqi::{Concentrations, aqi};
use super::device::{Ctx, Device, Fault, Observation, num};
use super::weather::{HOUR, bump, local_hour, unit};
use crate::hainan::LonLat;
use crate::hainan::places::AIR_SITES;
use crate::rng::{Rng, mix3};

/// Reporting interval, seconds. Short, so history grows visibly within a sped-up demo.
const INTERVAL_S: i64 = 300;
/// How far (km) extra stations at scale > 1 sit from the listed site.
const EXTRA_SPREAD_KM: f64 = 3.0;

/// One station's character and its slowly varying noise.
#[derive(Clone, Debug)]
pub struct Station {
    /// Typical PM2.5, µg/m³.
    pm25_base: f64,
    /// PM10 to PM2.5 ratio.
    coarse_ratio: f64,
    /// 0 rural .. 1 city centre: how much traffic NO₂ the station sees.
    urban: f64,
    /// A first-order autoregressive noise term, so readings wander instead of jittering.
    noise: f64,
    seed: u64,
}

/// The stations at `scale`: the listed sites, then more around them.
pub fn stations(scale: f64, ctx: &Ctx<'_>, seed: u64) -> Vec<(Device, Station)> {
    let n = super::scaled(AIR_SITES.len(), scale);
    let mut per_city: Vec<(&str, usize)> = Vec::new();
    (0..n)
        .map(|i| {
            let (city, listed) = AIR_SITES[i % AIR_SITES.len()];
            let no = bump_count(&mut per_city, city);
            let site = if i < AIR_SITES.len() {
                listed
            } else {
                spread(ctx, listed, seed, i)
            };
            station(ctx, city, no, site, seed)
        })
        .collect()
}

/// Counts stations per city so ids read `aq-haikou-01`, `aq-haikou-02`, …
fn bump_count<'a>(counts: &mut Vec<(&'a str, usize)>, city: &'a str) -> usize {
    match counts.iter_mut().find(|(c, _)| *c == city) {
        Some((_, n)) => {
            *n += 1;
            *n
        }
        None => {
            counts.push((city, 1));
            1
        }
    }
}

/// A point near `listed` in the same division and on land, or `listed` itself.
fn spread(ctx: &Ctx<'_>, listed: LonLat, seed: u64, i: usize) -> LonLat {
    let home = ctx.geo.county_at(listed).map(|c| c.adcode.as_str());
    let ok =
        |p: LonLat| ctx.geo.on_island(p) && ctx.geo.county_at(p).map(|c| c.adcode.as_str()) == home;
    super::spread(listed, seed ^ 0xA1, i, (0.5, EXTRA_SPREAD_KM), ok)
}

fn station(ctx: &Ctx<'_>, city: &str, no: usize, site: LonLat, seed: u64) -> (Device, Station) {
    let mut rng = Rng::derive(
        seed,
        0xA2,
        mix3(site.lon.to_bits(), site.lat.to_bits(), no as u64),
    );
    let (pm25_base, urban) = match city {
        "haikou" => (17.0, 0.9),
        "sanya" => (12.0, 0.7),
        "danzhou" | "dongfang" | "chengmai" => (19.0, 0.5),
        _ => (14.0, 0.3),
    };
    let county = ctx.geo.county_at(site);
    let area = county.map_or(city, |c| c.name_en);
    let device_id = format!("aq-{city}-{no:02}");
    let statics = vec![
        (
            "name",
            "Text",
            Value::from(format!("{area} air quality station {no}")),
        ),
        ("location", "geo:json", site.point()),
        ("areaServed", "Text", Value::from(area)),
        ("stationCode", "Text", Value::from(device_id.clone())),
        ("typeofLocation", "Text", Value::from("outdoor")),
    ];
    let device = Device {
        kind: super::kinds::Kind::Air,
        entity_id: format!("urn:ngsi-ld:AirQualityObserved:{city}-{no:02}"),
        device_id,
        site,
        adcode: county.map(|c| c.adcode.clone()),
        statics,
        interval: INTERVAL_S,
        fault: Fault::None,
    };
    let model = Station {
        pm25_base: pm25_base * rng.range_f64(0.85, 1.15),
        coarse_ratio: rng.range_f64(1.5, 1.9),
        urban,
        noise: 0.0,
        seed,
    };
    (device, model)
}

impl Station {
    /// The station's hourly concentrations at `t`.
    pub fn concentrations(
        &mut self,
        ctx: &Ctx<'_>,
        p: LonLat,
        t: i64,
        rng: &mut Rng,
    ) -> Concentrations {
        self.noise = 0.9 * self.noise + rng.range_f64(-0.06, 0.06);
        let hour = local_hour(t);
        let wind = ctx.weather.wind(p, t, 1.0).speed;
        let rain = ctx.weather.rain_mm_h(p, t);
        let dilution = 1.0 / (1.0 + wind / 9.0);
        let washout = (-rain / 4.0).exp();
        let night = 1.0 + 0.25 * bump(hour, 2.0, 5.0);
        let haze = self.regional_haze(t);
        let pm25 =
            self.pm25_base * haze * night * washout * (1.6 * dilution + 0.3) * (1.0 + self.noise);
        let rush = bump(hour, 8.0, 1.5) + bump(hour, 18.5, 2.0);
        let no2 = (6.0 + 32.0 * self.urban * rush + 8.0 * self.urban) * (1.5 * dilution + 0.3);
        let sun = bump(hour, 14.0, 3.0) * (1.0 - (rain / 3.0).min(0.8));
        let o3 = (45.0 + 95.0 * sun) * (1.0 + 0.3 * (haze - 1.0)) * (1.0 + self.noise);
        Concentrations {
            pm25: pm25.max(1.0),
            pm10: (pm25 * self.coarse_ratio + 4.0 * wind.min(15.0) * washout).max(2.0),
            no2: no2.max(1.0),
            o3: o3.max(2.0),
        }
    }

    /// Island-wide haze for the day: usually 1, sometimes up to 3.5 (mainland outflow).
    fn regional_haze(&self, t: i64) -> f64 {
        let day = (t + 8 * HOUR).div_euclid(24 * HOUR);
        let draw = unit(mix3(self.seed, 0x4A2E, day as u64));
        let frac = (t + 8 * HOUR).rem_euclid(24 * HOUR) as f64 / (24 * HOUR) as f64;
        // Episodes build through the day rather than switching on at midnight.
        if draw < 0.25 {
            1.0 + 2.5 * (draw / 0.25) * (0.5 + 0.5 * frac)
        } else {
            1.0
        }
    }

    /// Reads the station at `t`.
    pub fn observe(
        &mut self,
        ctx: &Ctx<'_>,
        device: &Device,
        t: i64,
        rng: &mut Rng,
    ) -> Observation {
        let p = device.site;
        let c = self.concentrations(ctx, p, t, rng);
        let index = aqi(&c);
        let reading = vec![
            ("pm25", num(c.pm25, 1)),
            ("pm10", num(c.pm10, 1)),
            ("no2", num(c.no2, 1)),
            ("o3", num(c.o3, 1)),
            ("aqi", Value::from(index.value)),
            ("lvl", Value::from(index.level())),
            ("t", num(ctx.weather.temperature_c(p, t, 20.0), 1)),
            ("h", num(ctx.weather.humidity(p, t), 2)),
        ];
        Observation {
            reading,
            next_in: INTERVAL_S,
        }
    }
}
