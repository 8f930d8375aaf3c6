//! The weather over Hainan as pure functions of place and time: a north-east monsoon
//! background with diurnal cycles and scattered showers, and a typhoon on a fixed schedule.
//!
//! Owns the fields every sensor samples (wind, rain, pressure, temperature, humidity). It keeps
//! no state, so any device may ask about any place at any time and two devices at the same
//! place agree. Randomness comes from hashing (seed, cell, hour), never from a shared stream.

use crate::hainan::{LonLat, ll};
use crate::rng::mix3;

/// Seconds in an hour.
pub const HOUR: i64 = 3600;
/// Hainan's offset from UTC (China Standard Time), seconds.
const CST_OFFSET: i64 = 8 * HOUR;
/// Ambient sea-level pressure outside the typhoon, hPa.
const AMBIENT_HPA: f64 = 1012.0;
/// Size of a background shower cell, degrees.
const SHOWER_CELL_DEG: f64 = 0.3;

/// One fix of the typhoon's forecast track.
#[derive(Clone, Copy, Debug)]
pub struct Fix {
    /// Hours after the scenario starts.
    pub hours: f64,
    /// Centre position.
    pub at: LonLat,
    /// Maximum sustained wind, m/s.
    pub vmax: f64,
    /// Central pressure, hPa.
    pub pressure: f64,
    /// Radius of maximum wind, km.
    pub rmax_km: f64,
}

const fn fix(hours: f64, lon: f64, lat: f64, vmax: f64, pressure: f64, rmax_km: f64) -> Fix {
    Fix {
        hours,
        at: ll(lon, lat),
        vmax,
        pressure,
        rmax_km,
    }
}

/// The track: from the South China Sea east of Wenchang, landfall near Wenchang at +8 h,
/// across Ding'an, Tunchang and the central mountains (weakening over terrain), out over
/// Dongfang into the Gulf of Tonkin. Modelled on the NE→SW crossings of Rammasun (2014).
pub const TRACK: [Fix; 7] = [
    fix(0.0, 112.80, 20.45, 40.0, 955.0, 35.0),
    fix(8.0, 110.98, 19.70, 45.0, 945.0, 30.0),
    fix(12.0, 110.50, 19.50, 38.0, 958.0, 35.0),
    fix(16.0, 110.00, 19.25, 32.0, 968.0, 40.0),
    fix(21.0, 109.40, 18.95, 28.0, 975.0, 45.0),
    fix(27.0, 108.60, 18.60, 27.0, 977.0, 45.0),
    fix(40.0, 107.00, 18.00, 22.0, 985.0, 50.0),
];

/// The English name the scenario gives its typhoon.
pub const TYPHOON_NAME: &str = "Typhoon Twinisle (simulated)";

/// The typhoon's state at one moment.
#[derive(Clone, Copy, Debug)]
pub struct Cyclone {
    /// Centre position.
    pub center: LonLat,
    /// Maximum sustained wind, m/s.
    pub vmax: f64,
    /// Central pressure, hPa.
    pub pressure: f64,
    /// Radius of maximum wind, km.
    pub rmax_km: f64,
    /// Direction of travel, degrees clockwise from north.
    pub heading: f64,
    /// Forward speed, km/h.
    pub speed_kmh: f64,
}

/// Wind at a place: speed, gust and the direction it blows from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wind {
    /// Mean speed, m/s.
    pub speed: f64,
    /// Meteorological direction (where it blows from), degrees clockwise from north.
    pub from_deg: f64,
}

/// The weather of one scenario run: its seed, its start and its typhoon.
#[derive(Clone, Debug)]
pub struct Weather {
    seed: u64,
    start: i64,
}

impl Weather {
    /// The weather for a run seeded with `seed` that starts at Unix second `start`.
    pub fn new(seed: u64, start: i64) -> Self {
        Self { seed, start }
    }

    /// The typhoon at time `t`, or `None` before its first fix or after its last.
    pub fn cyclone(&self, t: i64) -> Option<Cyclone> {
        let h = (t - self.start) as f64 / HOUR as f64;
        let i = TRACK
            .windows(2)
            .position(|w| w[0].hours <= h && h < w[1].hours)?;
        let (a, b) = (TRACK[i], TRACK[i + 1]);
        let f = (h - a.hours) / (b.hours - a.hours);
        let lerp = |x: f64, y: f64| x + (y - x) * f;
        Some(Cyclone {
            center: a.at.lerp(b.at, f),
            vmax: lerp(a.vmax, b.vmax),
            pressure: lerp(a.pressure, b.pressure),
            rmax_km: lerp(a.rmax_km, b.rmax_km),
            heading: a.at.bearing_deg(b.at),
            speed_kmh: a.at.distance_km(b.at) / (b.hours - a.hours),
        })
    }

    /// The Unix second of a track fix (hours after the start).
    pub fn at_hours(&self, hours: f64) -> i64 {
        self.start + (hours * HOUR as f64) as i64
    }

    /// The wind at `p`; `rough` (0 sea, 1 land, up to 1.5 in mountains) slows it down.
    pub fn wind(&self, p: LonLat, t: i64, rough: f64) -> Wind {
        let hour = local_hour(t);
        // The November north-east monsoon, freshening in the afternoon sea breeze.
        let base = 4.5 + 1.5 * bump(hour, 15.0, 4.0);
        let (mut east, mut north) = toward(45.0, base);
        if let Some(c) = self.cyclone(t) {
            let (e, n) = cyclone_wind(&c, p);
            east += e;
            north += n;
        }
        let friction = 1.0 - 0.25 * rough.clamp(0.0, 1.5);
        let speed = east.hypot(north) * friction;
        // A vector (east, north) points where the air goes; meteorology names where it came from.
        let from_deg = (east.atan2(north).to_degrees() + 180.0).rem_euclid(360.0);
        Wind { speed, from_deg }
    }

    /// Rain rate at `p`, mm/h: scattered afternoon showers plus the typhoon's rain shield.
    pub fn rain_mm_h(&self, p: LonLat, t: i64) -> f64 {
        let showers = self.showers(p, t);
        let storm = self.cyclone(t).map_or(0.0, |c| {
            let r = c.center.distance_km(p);
            // Heaviest just outside the eye wall, in the rain bands out to a few hundred km.
            let core = 22.0 * (c.vmax / 40.0) * (-(r - c.rmax_km).abs() / 70.0).exp();
            let bands = 5.0 * (-r / 200.0).exp();
            core + bands
        });
        showers + storm
    }

    /// Sea-level pressure at `p`, hPa: `Pc + ΔP·exp(-Rmax/r)` (Holland's profile with B = 1),
    /// plus the 12-hour atmospheric tide.
    pub fn pressure_hpa(&self, p: LonLat, t: i64) -> f64 {
        let tide = 1.2 * (2.0 * std::f64::consts::TAU * (local_hour(t) - 10.0) / 24.0).cos();
        let drop = self.cyclone(t).map_or(0.0, |c| {
            let r = c.center.distance_km(p).max(1.0);
            (AMBIENT_HPA - c.pressure) * (1.0 - (-c.rmax_km / r).exp())
        });
        AMBIENT_HPA + tide - drop
    }

    /// Air temperature at `p`, °C; `elevation_m` cools it by the standard lapse rate.
    pub fn temperature_c(&self, p: LonLat, t: i64, elevation_m: f64) -> f64 {
        let hour = local_hour(t);
        let diurnal = 4.0 * ((hour - 14.0) / 24.0 * std::f64::consts::TAU).cos();
        let latitude = (20.0 - p.lat) * 0.8;
        let rain_cooling = (self.rain_mm_h(p, t) / 4.0).min(3.5);
        24.0 + latitude + diurnal - rain_cooling - 0.0065 * elevation_m
    }

    /// Relative humidity at `p`, as a fraction.
    pub fn humidity(&self, p: LonLat, t: i64) -> f64 {
        let hour = local_hour(t);
        let dry_afternoon = 0.12 * bump(hour, 14.0, 5.0);
        let wet = (self.rain_mm_h(p, t) / 10.0).min(1.0) * 0.2;
        (0.80 - dry_afternoon + wet).clamp(0.35, 0.99)
    }

    /// Shower rain at `p`: each 0.3° cell and hour may hold a shower, afternoons more often,
    /// blended between hours so rain ramps rather than jumps.
    fn showers(&self, p: LonLat, t: i64) -> f64 {
        let col = (p.lon / SHOWER_CELL_DEG).floor() as i64 as u64;
        let row = (p.lat / SHOWER_CELL_DEG).floor() as i64 as u64;
        let cell = (col << 32) | (row & 0xFFFF_FFFF);
        let hour_no = t.div_euclid(HOUR);
        let frac = t.rem_euclid(HOUR) as f64 / HOUR as f64;
        let at = |h: i64| {
            let draw = unit(mix3(self.seed, cell, h as u64));
            let chance = 0.03 + 0.07 * bump(local_hour(h * HOUR), 15.0, 3.0);
            if draw < chance {
                2.0 + 10.0 * (draw / chance)
            } else {
                0.0
            }
        };
        at(hour_no) * (1.0 - frac) + at(hour_no + 1) * frac
    }
}

/// The cyclone's wind vector (east, north) at `p`, m/s: a modified Rankine vortex turning
/// anticlockwise with 20° inflow, plus half the forward motion on the right-hand side.
fn cyclone_wind(c: &Cyclone, p: LonLat) -> (f64, f64) {
    let r = c.center.distance_km(p).max(0.5);
    let profile = if r < c.rmax_km {
        r / c.rmax_km
    } else {
        (c.rmax_km / r).powf(0.55)
    };
    // Fade the far field out so a storm 1,000 km away does not stir Hainan.
    let taper = (1.0 - ((r - 500.0) / 400.0).clamp(0.0, 1.0)).powi(2);
    let v = c.vmax * profile * taper;
    let from_center = c.center.bearing_deg(p);
    let going = from_center - 90.0 - 20.0;
    let (e, n) = toward(going, v);
    let (me, mn) = toward(c.heading, 0.5 * c.speed_kmh / 3.6 * profile * taper);
    (e + me, n + mn)
}

/// The (east, north) components of a vector of length `len` pointing to `bearing`.
fn toward(bearing: f64, len: f64) -> (f64, f64) {
    let (s, c) = bearing.to_radians().sin_cos();
    (len * s, len * c)
}

/// A smooth bump of height 1 at `center` hours with half-width `width` (wraps round midnight).
pub fn bump(hour: f64, center: f64, width: f64) -> f64 {
    let d = (hour - center + 12.0).rem_euclid(24.0) - 12.0;
    (-(d / width).powi(2)).exp()
}

/// Local (China Standard Time) hour of day at Unix second `t`, 0.0..24.0.
pub fn local_hour(t: i64) -> f64 {
    (t + CST_OFFSET).rem_euclid(24 * HOUR) as f64 / HOUR as f64
}

/// Whether `t` falls on a Saturday or Sunday, local time.
pub fn is_weekend(t: i64) -> bool {
    // 1970-01-01 was a Thursday: day 0 → 4 with Sunday as 0.
    let weekday = ((t + CST_OFFSET).div_euclid(24 * HOUR) + 4).rem_euclid(7);
    weekday == 0 || weekday == 6
}

/// A hash as a uniform float in `[0, 1)`.
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}
