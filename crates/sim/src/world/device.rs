//! What every simulated device shares: its identity and static attributes, its fault, and the
//! dispatch from a device to the model that produces its readings.
//!
//! Owns the device record and the fault behaviours (a flat-lined sensor, a drifting one, one
//! that spikes, one that falls silent). Models know nothing about faults: the world applies
//! them to whatever a healthy model reports, so every kind can fail the same ways.

use serde_json::Value;

use super::kinds::Kind;
use super::weather::{HOUR, Weather};
use super::{air, hydro, patrol, stations, traffic, vessels};
use crate::hainan::{Hainan, LonLat};
use crate::rng::Rng;

/// A static attribute set at provisioning: name, IoT Agent type, value.
pub type Static = (&'static str, &'static str, Value);

/// A device of the scenario, as provisioned.
#[derive(Clone, Debug)]
pub struct Device {
    /// Its kind (entity type, service group, attribute mapping).
    pub kind: Kind,
    /// The IoT Agent `device_id`, e.g. `gauge-nandu-03`.
    pub device_id: String,
    /// The NGSI-LD entity id its measurements update.
    pub entity_id: String,
    /// Where it is installed (fixed devices) or where it starts (vessels, trackers).
    pub site: LonLat,
    /// Adcode of the division it reports for (fixed devices on land).
    pub adcode: Option<String>,
    /// Static attributes (name, location, thresholds, …).
    pub statics: Vec<Static>,
    /// Nominal reporting interval, simulated seconds.
    pub interval: i64,
    /// How the device misbehaves, if it does.
    pub fault: Fault,
}

/// How a device misbehaves. Most are [`Fault::None`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    /// Healthy.
    None,
    /// From this Unix second on, repeats its last reading forever (a frozen sensor).
    Stuck(i64),
    /// Its first measurement drifts upwards by this fraction per hour since the start.
    Drift(f64),
    /// Now and then reports -999, the classic logger error code, in its first measurement.
    Spike,
    /// Stops reporting at this Unix second (flat battery, vandalism, AIS switched off).
    Silent(i64),
}

impl Fault {
    /// Draws a fault: 90 % healthy; location devices only ever go silent.
    pub fn draw(kind: Kind, start: i64, rng: &mut Rng) -> Fault {
        let roll = rng.next_f64();
        // Silence starts two hours in at the earliest, so a short demo always sees every kind.
        let later = |rng: &mut Rng, lo: i64, hi: i64| {
            start + lo * HOUR + rng.below((hi - lo) as u64 * 3600) as i64
        };
        let moving = matches!(kind, Kind::Vessel | Kind::Ranger);
        match roll {
            r if r < 0.90 => Fault::None,
            r if r < 0.94 && !moving => Fault::Stuck(later(rng, 1, 12)),
            r if r < 0.97 && !moving => Fault::Drift(rng.range_f64(0.002, 0.006)),
            r if r < 0.98 && !moving => Fault::Spike,
            _ => Fault::Silent(later(rng, 2, 24)),
        }
    }
}

/// A reading: payload keys and values, in the kind's attribute order.
pub type Reading = Vec<(&'static str, Value)>;

/// What a model reports at one moment, and when it wants to report next.
#[derive(Clone, Debug)]
pub struct Observation {
    /// The measurements.
    pub reading: Reading,
    /// Seconds until the next report.
    pub next_in: i64,
}

/// Shared, read-only context for models.
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    /// The weather fields.
    pub weather: &'a Weather,
    /// The geography.
    pub geo: &'a Hainan,
    /// When the scenario started (Unix seconds).
    pub start: i64,
}

/// The model behind a device: one variant per kind, each owning its own state.
#[derive(Clone, Debug)]
pub enum Model {
    /// A river gauge.
    Gauge(hydro::Gauge),
    /// An air-quality station.
    Air(air::Station),
    /// A weather station.
    Weather(stations::WeatherStation),
    /// A wave buoy.
    Buoy(stations::Buoy),
    /// A traffic counter.
    Traffic(traffic::Counter),
    /// A vessel.
    Vessel(vessels::Vessel),
    /// A ranger's tracker.
    Ranger(patrol::Ranger),
}

impl Model {
    /// Advances the model to `t` and reads it.
    pub fn observe(
        &mut self,
        ctx: &Ctx<'_>,
        device: &Device,
        t: i64,
        rng: &mut Rng,
    ) -> Observation {
        match self {
            Model::Gauge(m) => m.observe(ctx, device, t, rng),
            Model::Air(m) => m.observe(ctx, device, t, rng),
            Model::Weather(m) => m.observe(ctx, device, t, rng),
            Model::Buoy(m) => m.observe(ctx, device, t, rng),
            Model::Traffic(m) => m.observe(ctx, device, t, rng),
            Model::Vessel(m) => m.observe(ctx, t, rng),
            Model::Ranger(m) => m.observe(ctx, t, rng),
        }
    }

    /// The current position of a moving device (vessels, trackers), for invariants and maps.
    pub fn position(&self) -> Option<LonLat> {
        match self {
            Model::Vessel(v) => Some(v.position()),
            Model::Ranger(r) => Some(r.position()),
            _ => None,
        }
    }
}

/// Applies `fault` at time `t` to a healthy reading; `last` is the previous reading sent.
pub fn apply_fault(
    fault: Fault,
    reading: Reading,
    last: Option<&Reading>,
    (t, start): (i64, i64),
    rng: &mut Rng,
) -> Reading {
    let hours = (t - start) as f64 / HOUR as f64;
    match fault {
        Fault::Stuck(from) if t >= from => last.cloned().unwrap_or(reading),
        Fault::Drift(rate) => scale_first_number(reading, 1.0 + rate * hours),
        Fault::Spike if rng.next_f64() < 0.05 => replace_first_number(reading, -999.0),
        _ => reading,
    }
}

fn scale_first_number(mut reading: Reading, factor: f64) -> Reading {
    if let Some((_, v)) = reading.iter_mut().find(|(_, v)| v.is_f64()) {
        let x = v.as_f64().unwrap_or(0.0);
        *v = Value::from(round_to(x * factor, 2));
    }
    reading
}

fn replace_first_number(mut reading: Reading, value: f64) -> Reading {
    if let Some((_, v)) = reading.iter_mut().find(|(_, v)| v.is_number()) {
        *v = Value::from(value);
    }
    reading
}

/// Rounds to `digits` decimals, so payloads look like instrument readings.
pub fn round_to(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// A JSON number rounded to `digits` decimals.
pub fn num(x: f64, digits: i32) -> Value {
    Value::from(round_to(x, digits))
}
