//! Ranger patrol trackers in the core zone of the Hainan Tropical Rainforest National Park.
//!
//! Owns a patrol's movement: rangers walk out from their station by day, camp at night, stay
//! in when a gale blows, and never leave the core zone (a step that would is turned back).
//! Trackers drain their battery while walking and are charged at night.

use serde_json::Value;

use super::device::{Ctx, Device, Fault, Observation, num};
use super::kinds::Kind;
use super::weather::local_hour;
use crate::hainan::LonLat;
use crate::hainan::places::RANGER_STATIONS;
use crate::rng::Rng;

/// Reports every two simulated minutes on patrol, every ten in camp.
const MOVING_S: i64 = 120;
const RESTING_S: i64 = 600;
/// Walking pace, km/h.
const PACE_KMH: f64 = 2.5;

/// A patrol's state.
#[derive(Clone, Debug)]
pub struct Ranger {
    pos: LonLat,
    heading: f64,
    battery: f64,
    last_t: i64,
    walking: bool,
}

/// The trackers at `scale`, shared out among the ranger stations.
pub fn rangers(scale: f64, ctx: &Ctx<'_>, seed: u64) -> Vec<(Device, Ranger)> {
    let n = super::scaled(RANGER_STATIONS.len(), scale);
    (0..n)
        .map(|i| {
            let (station, site) = RANGER_STATIONS[i % RANGER_STATIONS.len()];
            let no = i / RANGER_STATIONS.len() + 1;
            let mut rng = Rng::derive(seed, 0x4A6E, i as u64);
            let device_id = format!("ranger-{station}-{no:02}");
            let statics = vec![
                (
                    "name",
                    "Text",
                    Value::from(format!("{station} patrol tracker {no}")),
                ),
                // Lists travel as `Array`: an IoT Agent passes them through as they are.
                ("category", "Array", Value::from(vec!["sensor"])),
                ("controlledProperty", "Array", Value::from(vec!["location"])),
                ("owner", "Text", Value::from(Kind::Ranger.department())),
            ];
            let device = Device {
                kind: Kind::Ranger,
                entity_id: format!("urn:ngsi-ld:Device:{device_id}"),
                device_id,
                site,
                adcode: None,
                statics,
                interval: MOVING_S,
                fault: Fault::None,
            };
            let ranger = Ranger {
                pos: site,
                heading: rng.range_f64(0.0, 360.0),
                battery: rng.range_f64(0.7, 1.0),
                last_t: ctx.start,
                walking: false,
            };
            (device, ranger)
        })
        .collect()
}

impl Ranger {
    /// Where the tracker is.
    pub fn position(&self) -> LonLat {
        self.pos
    }

    /// Walks (or rests) until `t`, then reports.
    pub fn observe(&mut self, ctx: &Ctx<'_>, t: i64, rng: &mut Rng) -> Observation {
        while self.last_t < t {
            let dt = (t - self.last_t).min(MOVING_S);
            self.last_t += dt;
            self.step(ctx, dt, rng);
        }
        let state = if self.walking {
            "patrolling"
        } else {
            "resting"
        };
        Observation {
            reading: vec![
                ("loc", self.pos.point()),
                ("b", num(self.battery, 2)),
                ("st", Value::from(state)),
            ],
            next_in: if self.walking { MOVING_S } else { RESTING_S },
        }
    }

    fn step(&mut self, ctx: &Ctx<'_>, dt: i64, rng: &mut Rng) {
        let hour = local_hour(self.last_t);
        let gale = ctx.weather.wind(self.pos, self.last_t, 1.3).speed > 17.2;
        self.walking = (7.0..18.0).contains(&hour) && !gale;
        if !self.walking {
            // Charged overnight in camp.
            if !(7.0..20.0).contains(&hour) {
                self.battery = (self.battery + 0.1 * dt as f64 / 3600.0).min(1.0);
            }
            return;
        }
        self.battery = (self.battery - 0.03 * dt as f64 / 3600.0).max(0.05);
        self.heading = (self.heading + rng.range_f64(-35.0, 35.0)).rem_euclid(360.0);
        let next = self.pos.moved(self.heading, PACE_KMH * dt as f64 / 3600.0);
        if ctx.geo.park().contains(next) {
            self.pos = next;
        } else {
            self.heading = (self.heading + 180.0).rem_euclid(360.0);
        }
    }
}
