//! The simulated island: every device of the Hainan scenario, advanced through simulated time
//! by one seeded generator per device, producing the deterministic stream of MQTT messages a
//! real deployment's field devices would send.
//!
//! Owns the catalogue (which devices exist at a given `--scale`), the event order (each
//! device reports on its own schedule; ties break by catalogue position), faults and the
//! occasional malformed message. It is pure: no clock, no sockets. The demo driver paces it
//! against wall time; tests and the load generator can drain it as fast as they like.

pub mod air;
pub mod aqi;
mod device;
pub mod hydro;
pub mod kinds;
pub mod patrol;
mod payload;
mod provision;
pub mod stations;
pub mod traffic;
pub mod vessels;
pub mod weather;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

pub use device::{Ctx, Device, Fault, Model, Observation, Reading, Static};
pub use kinds::{Attr, Encoding, Kind};
pub use payload::Message;
pub use provision::{DEVICE_BATCH, device_batches, service_groups, static_entities, typhoon_alert};
pub use weather::{Cyclone, TRACK, TYPHOON_NAME, Weather};

use crate::hainan::{GeoDataError, Hainan, LonLat, hainan};
use crate::rng::Rng;

/// Named RNG streams, so catalogue layout, faults and readings never share draws.
const STREAM_DEVICE: u64 = 0xD3;
const STREAM_FAULT: u64 = 0xFA;
const STREAM_MALFORMED: u64 = 0xBAD;
/// The default share of device messages followed by a malformed one.
pub const MALFORMED_RATE: f64 = 0.005;

/// What a world is built from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorldConfig {
    /// Fixes every draw: the same seed and start give the same messages.
    pub seed: u64,
    /// Multiplies device counts (1.0 is the demo's island; 10.0 a load test's).
    pub scale: f64,
    /// Simulated Unix second the scenario starts at; the typhoon's schedule counts from here.
    pub start: i64,
    /// Share of device messages followed by a malformed message (0 turns them off).
    pub malformed_rate: f64,
}

impl WorldConfig {
    /// A configuration with the default malformed-message rate.
    pub fn new(seed: u64, scale: f64, start: i64) -> Self {
        Self {
            seed,
            scale,
            start,
            malformed_rate: MALFORMED_RATE,
        }
    }
}

/// A device's private generator and its last reading (what a stuck sensor repeats).
#[derive(Clone, Debug)]
struct Runtime {
    rng: Rng,
    last: Option<Reading>,
}

/// The island and its devices at one moment of simulated time.
#[derive(Debug)]
pub struct World {
    cfg: WorldConfig,
    geo: &'static Hainan,
    weather: Weather,
    devices: Vec<Device>,
    models: Vec<Model>,
    runtime: Vec<Runtime>,
    queue: BinaryHeap<Reverse<(i64, usize)>>,
    pending: VecDeque<Message>,
    malformed: Rng,
}

impl World {
    /// Builds the catalogue for `cfg` and schedules every device's first report within its
    /// first interval.
    pub fn new(cfg: WorldConfig) -> Result<World, GeoDataError> {
        let geo = hainan()?;
        let weather = Weather::new(cfg.seed, cfg.start);
        let (devices, models) = catalogue(&cfg, geo, &weather);
        let mut queue = BinaryHeap::with_capacity(devices.len());
        let runtime = devices
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let mut rng = Rng::derive(cfg.seed, STREAM_DEVICE, i as u64);
                let first = cfg.start + rng.below(d.interval.max(1) as u64) as i64;
                queue.push(Reverse((first, i)));
                Runtime { rng, last: None }
            })
            .collect();
        Ok(World {
            malformed: Rng::derive(cfg.seed, STREAM_MALFORMED, 0),
            cfg,
            geo,
            weather,
            devices,
            models,
            runtime,
            queue,
            pending: VecDeque::new(),
        })
    }

    /// The configuration the world was built from.
    pub fn config(&self) -> &WorldConfig {
        &self.cfg
    }

    /// Every device, in catalogue order.
    pub fn devices(&self) -> &[Device] {
        &self.devices
    }

    /// The weather fields (and the typhoon).
    pub fn weather(&self) -> &Weather {
        &self.weather
    }

    /// The geography.
    pub fn geo(&self) -> &'static Hainan {
        self.geo
    }

    /// The model of device `i` (for inspection in tests and tools).
    pub fn model(&self, i: usize) -> Option<&Model> {
        self.models.get(i)
    }

    /// Where moving device `i` is now.
    pub fn position(&self, i: usize) -> Option<LonLat> {
        self.models.get(i).and_then(Model::position)
    }

    /// The simulated time of the next message, if any device is still reporting.
    pub fn next_time(&self) -> Option<i64> {
        match self.pending.front() {
            Some(m) => Some(m.sim_time),
            None => self.queue.peek().map(|Reverse((t, _))| *t),
        }
    }

    /// The next message in simulated-time order; `None` once every device has fallen silent.
    pub fn next_message(&mut self) -> Option<Message> {
        if let Some(m) = self.pending.pop_front() {
            return Some(m);
        }
        loop {
            let Reverse((t, i)) = self.queue.pop()?;
            if matches!(self.devices[i].fault, Fault::Silent(from) if t >= from) {
                continue;
            }
            let message = self.report(i, t);
            if self.cfg.malformed_rate > 0.0 && self.malformed.next_f64() < self.cfg.malformed_rate
            {
                let bad = payload::malformed(&self.devices[i], t, &message, &mut self.malformed);
                self.pending.push_back(bad);
            }
            return Some(message);
        }
    }

    /// Device `i` observes at `t`; its next report is scheduled with a little jitter.
    fn report(&mut self, i: usize, t: i64) -> Message {
        let ctx = Ctx {
            weather: &self.weather,
            geo: self.geo,
            start: self.cfg.start,
        };
        let device = &self.devices[i];
        let rt = &mut self.runtime[i];
        let obs = self.models[i].observe(&ctx, device, t, &mut rt.rng);
        let reading = device::apply_fault(
            device.fault,
            obs.reading,
            rt.last.as_ref(),
            (t, self.cfg.start),
            &mut rt.rng,
        );
        let message = payload::encode(device, &reading, t);
        rt.last = Some(reading);
        let jitter = rt.rng.below((obs.next_in / 20).max(1) as u64) as i64;
        self.queue
            .push(Reverse((t + obs.next_in.max(1) + jitter, i)));
        message
    }
}

impl Iterator for World {
    type Item = Message;

    fn next(&mut self) -> Option<Message> {
        self.next_message()
    }
}

/// Every device of the scenario at `cfg.scale`, with faults drawn.
fn catalogue(
    cfg: &WorldConfig,
    geo: &'static Hainan,
    weather: &Weather,
) -> (Vec<Device>, Vec<Model>) {
    let ctx = Ctx {
        weather,
        geo,
        start: cfg.start,
    };
    let (scale, seed) = (cfg.scale, cfg.seed);
    let mut all: Vec<(Device, Model)> = Vec::new();
    all.extend(
        hydro::gauges(scale, &ctx)
            .into_iter()
            .map(|(d, m)| (d, Model::Gauge(m))),
    );
    all.extend(
        air::stations(scale, &ctx, seed)
            .into_iter()
            .map(|(d, m)| (d, Model::Air(m))),
    );
    all.extend(
        stations::weather_stations(scale, &ctx, seed)
            .into_iter()
            .map(|(d, m)| (d, Model::Weather(m))),
    );
    all.extend(
        stations::buoys(scale, &ctx, seed)
            .into_iter()
            .map(|(d, m)| (d, Model::Buoy(m))),
    );
    all.extend(
        traffic::counters(scale, &ctx, seed)
            .into_iter()
            .map(|(d, m)| (d, Model::Traffic(m))),
    );
    all.extend(
        vessels::fleet(scale, &ctx, seed)
            .into_iter()
            .map(|(d, m)| (d, Model::Vessel(m))),
    );
    all.extend(
        patrol::rangers(scale, &ctx, seed)
            .into_iter()
            .map(|(d, m)| (d, Model::Ranger(m))),
    );
    all.into_iter()
        .enumerate()
        .map(|(i, (mut d, m))| {
            let mut rng = Rng::derive(seed, STREAM_FAULT, i as u64);
            d.fault = Fault::draw(d.kind, cfg.start, &mut rng);
            (d, m)
        })
        .unzip()
}

/// `base` scaled and rounded, at least one while `scale` is positive.
fn scaled(base: usize, scale: f64) -> usize {
    if scale <= 0.0 || !scale.is_finite() {
        return 0;
    }
    ((base as f64 * scale).round() as usize).max(1)
}

/// A point 1..`km` kilometres from `around` that passes `ok`, else `around` itself; used to
/// place the extra stations of a scaled-up island.
fn spread(
    around: LonLat,
    seed: u64,
    i: usize,
    (min_km, max_km): (f64, f64),
    ok: impl Fn(LonLat) -> bool,
) -> LonLat {
    let mut rng = Rng::derive(seed, 0x5B, i as u64);
    (0..12)
        .map(|_| around.moved(rng.range_f64(0.0, 360.0), rng.range_f64(min_km, max_km)))
        .find(|&p| ok(p))
        .unwrap_or(around)
}

#[cfg(test)]
mod tests;
