//! AIS vessels: ferries shuttling across the Qiongzhou Strait between Haikou and Xuwen, cargo
//! ships and tankers calling at Yangpu, cruise ships at Sanya, and fishing boats working the
//! grounds off the south coast.
//!
//! Owns vessel motion. Every track is built so a vessel is always at sea: liners follow lanes
//! checked against the coastline, fishing boats wander inside a fishing ground that lies
//! wholly at sea and run for the Sanya shelter along a checked approach when the wind rises.
//! Ferries stay in port while the wind at their terminal blows a gale (Beaufort 8).

use serde_json::Value;

use super::device::{Ctx, Device, Fault, Observation, num};
use super::kinds::Kind;
use crate::hainan::places::{
    CARGO_STRAIT, CARGO_WEST, FERRY_XINHAI, FERRY_XIUYING, FISHING_GROUND, Lane, SANYA,
    SANYA_APPROACH, SHELTER_APPROACH,
};
use crate::hainan::{LonLat, Polyline, ll};
use crate::rng::Rng;

/// Gale force (Beaufort 8): ferries stay in port and boats stay sheltered above it, m/s.
const GALE: f64 = 17.2;
/// Near gale (Beaufort 7): fishing boats head for shelter, m/s.
const NEAR_GALE: f64 = 13.9;
/// AIS reporting intervals: under way and moored, simulated seconds.
const UNDERWAY_S: i64 = 60;
const MOORED_S: i64 = 180;
/// The longest step vessels are moved in, seconds.
const STEP_S: i64 = 60;
/// AIS navigation status codes (ITU-R M.1371).
const UNDER_WAY: u8 = 0;
const AT_ANCHOR: u8 = 1;
const MOORED: u8 = 5;
const FISHING: u8 = 7;

/// What a vessel is, as AIS and the data model classify it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Ro-ro passenger ferry.
    Ferry,
    /// General cargo or container ship.
    Cargo,
    /// Oil or chemical tanker (Yangpu has a refinery).
    Tanker,
    /// Cruise ship.
    Cruise,
    /// Fishing boat.
    Fishing,
}

impl Class {
    /// The data model's `vesselType` and AIS ship-type (`vesselSubType`) codes.
    fn codes(self) -> (u8, u8) {
        match self {
            Class::Ferry | Class::Cruise => (6, 60),
            Class::Cargo => (7, 70),
            Class::Tanker => (8, 80),
            Class::Fishing => (3, 30),
        }
    }
}

/// A vessel's state.
#[derive(Clone, Debug)]
pub struct Vessel {
    class: Class,
    pos: LonLat,
    cog: f64,
    sog: f64,
    nav: u8,
    motion: Motion,
    last_t: i64,
}

#[derive(Clone, Debug)]
enum Motion {
    Liner(Liner),
    Boat(Boat),
}

/// A ship going back and forth along a lane, resting at both ends.
#[derive(Clone, Debug)]
struct Liner {
    lane: Polyline,
    speed: f64,
    dwell_outer: (i64, i64),
    dwell_port: (i64, i64),
    berth_offset: (f64, f64),
    ferry: bool,
    leg: Leg,
}

#[derive(Clone, Copy, Debug)]
enum Leg {
    AtOuter(i64),
    Inbound(f64),
    AtPort(i64),
    Outbound(f64),
}

/// A fishing boat's errand.
#[derive(Clone, Debug)]
struct Boat {
    state: BoatState,
    heading: f64,
    berth: LonLat,
}

#[derive(Clone, Debug)]
enum BoatState {
    Fishing,
    Returning(Polyline, f64),
    Sheltered(i64),
    Departing(Polyline, f64),
}

/// The fleet at `scale`.
pub fn fleet(scale: f64, ctx: &Ctx<'_>, seed: u64) -> Vec<(Device, Vessel)> {
    let groups: [(Class, Lane, usize); 6] = [
        (Class::Ferry, FERRY_XIUYING, 3),
        (Class::Ferry, FERRY_XINHAI, 3),
        (Class::Cargo, CARGO_STRAIT, 4),
        (Class::Cargo, CARGO_WEST, 2),
        (Class::Tanker, CARGO_WEST, 2),
        (Class::Cruise, SANYA_APPROACH, 2),
    ];
    let mut out = Vec::new();
    for (class, lane, base) in groups {
        for _ in 0..super::scaled(base, scale) {
            let index = out.len() as u64;
            let mut rng = Rng::derive(seed, 0x5E55E1, index);
            let liner = liner(class, lane, ctx.start, &mut rng, index);
            out.push(vessel(
                class,
                index,
                Motion::Liner(liner),
                ctx.start,
                &mut rng,
            ));
        }
    }
    for _ in 0..super::scaled(16, scale) {
        let index = out.len() as u64;
        let mut rng = Rng::derive(seed, 0x5E55E1, index);
        let (w, s, e, n) = FISHING_GROUND;
        let start = ll(rng.range_f64(w, e), rng.range_f64(s, n));
        let berth = offset(SANYA.berth, berth_offset(index));
        let boat = Boat {
            state: BoatState::Fishing,
            heading: rng.range_f64(0.0, 360.0),
            berth,
        };
        let (device, mut v) = vessel(
            Class::Fishing,
            index,
            Motion::Boat(boat),
            ctx.start,
            &mut rng,
        );
        v.pos = start;
        out.push((
            Device {
                site: start,
                ..device
            },
            v,
        ));
    }
    out
}

fn liner(class: Class, lane: Lane, start: i64, rng: &mut Rng, index: u64) -> Liner {
    let (speed, dwell_outer, dwell_port) = match class {
        Class::Ferry => (7.0, (2400, 3600), (2400, 3600)),
        Class::Cruise => (8.0, (8 * 3600, 14 * 3600), (8 * 3600, 12 * 3600)),
        _ => (6.0, (2 * 3600, 6 * 3600), (6 * 3600, 10 * 3600)),
    };
    let lane = Polyline::new(lane.waypoints);
    let leg = match rng.below(4) {
        0 => Leg::AtOuter(start + rng.below(dwell_outer.1 as u64) as i64),
        1 => Leg::Inbound(rng.range_f64(0.0, lane.length_km())),
        2 => Leg::AtPort(start + rng.below(dwell_port.1 as u64) as i64),
        _ => Leg::Outbound(rng.range_f64(0.0, lane.length_km())),
    };
    Liner {
        lane,
        speed,
        dwell_outer,
        dwell_port,
        berth_offset: berth_offset(index),
        ferry: class == Class::Ferry,
        leg,
    }
}

/// Spreads moored ships around a berth (at most ~300 m) so markers do not overlap.
fn berth_offset(index: u64) -> (f64, f64) {
    let angle = (index as f64 * 137.5).to_radians();
    let r = 0.0006 * ((index % 5) as f64 + 1.0);
    (r * angle.cos(), r * angle.sin())
}

fn offset(p: LonLat, (dx, dy): (f64, f64)) -> LonLat {
    ll(p.lon + dx, p.lat + dy)
}

fn vessel(class: Class, index: u64, motion: Motion, start: i64, rng: &mut Rng) -> (Device, Vessel) {
    let mmsi = 413_000_000 + index as u32 * 9_973 + rng.below(9_973) as u32;
    let (vessel_type, sub_type) = class.codes();
    let (name, length, beam) = match class {
        Class::Ferry => (format!("Haixia {}", index + 1), 128.0, 20.0),
        Class::Cargo => (format!("Yangpu Trader {}", index + 1), 180.0, 28.0),
        Class::Tanker => (format!("Qiongyou {}", index + 1), 228.0, 32.0),
        Class::Cruise => (format!("Sanya Star {}", index + 1), 260.0, 32.0),
        Class::Fishing => (
            format!("琼三亚渔{:05}", 10_000 + index * 37 % 90_000),
            24.0,
            6.0,
        ),
    };
    let mut v = Vessel {
        class,
        pos: ll(0.0, 0.0),
        cog: 0.0,
        sog: 0.0,
        nav: MOORED,
        motion,
        last_t: start,
    };
    v.settle();
    let statics = vec![
        ("name", "Text", Value::from(name)),
        ("mmsi", "Number", Value::from(mmsi)),
        ("vesselType", "Number", Value::from(vessel_type)),
        ("vesselSubType", "Number", Value::from(sub_type)),
        ("flagCode", "Text", Value::from("CN")),
        ("length", "Number", Value::from(length)),
        ("beam", "Number", Value::from(beam)),
    ];
    let device = Device {
        kind: Kind::Vessel,
        device_id: format!("ais-{mmsi}"),
        entity_id: format!("urn:ngsi-ld:Vessel:{mmsi}"),
        site: v.pos,
        adcode: None,
        statics,
        interval: UNDERWAY_S,
        fault: Fault::None,
    };
    (device, v)
}

impl Vessel {
    /// Where the vessel is now.
    pub fn position(&self) -> LonLat {
        self.pos
    }

    /// What kind of vessel it is.
    pub fn class(&self) -> Class {
        self.class
    }

    /// Sails until `t`, then reports position, speed, course and status.
    pub fn observe(&mut self, ctx: &Ctx<'_>, t: i64, rng: &mut Rng) -> Observation {
        while self.last_t < t {
            let dt = STEP_S.min(t - self.last_t);
            self.last_t += dt;
            self.step(ctx, dt, rng);
        }
        let moving = self.sog > 0.1;
        let reading = vec![
            ("loc", self.pos.point()),
            ("sog", num(self.sog, 1)),
            ("cog", num(self.cog, 1)),
            ("hdg", num(self.cog.round() % 360.0, 0)),
            ("nav", Value::from(self.nav)),
        ];
        Observation {
            reading,
            next_in: if moving { UNDERWAY_S } else { MOORED_S },
        }
    }

    fn step(&mut self, ctx: &Ctx<'_>, dt: i64, rng: &mut Rng) {
        let t = self.last_t;
        let wind_at = |p: LonLat| ctx.weather.wind(p, t, 0.0).speed;
        match &mut self.motion {
            Motion::Liner(l) => l.step(t, dt, rng, wind_at),
            Motion::Boat(b) => b.step(&mut self.pos, dt, rng, wind_at, t),
        }
        self.settle();
    }

    /// Derives position, course, speed and status from the motion state.
    fn settle(&mut self) {
        let (pos, cog, sog, nav) = match &self.motion {
            Motion::Liner(l) => l.fix(),
            Motion::Boat(b) => b.fix(self.pos, self.cog),
        };
        self.pos = pos;
        self.cog = cog;
        self.sog = sog;
        self.nav = nav;
    }
}

impl Liner {
    fn step(&mut self, t: i64, dt: i64, rng: &mut Rng, wind_at: impl Fn(LonLat) -> f64) {
        let km = self.speed * dt as f64 / 1000.0;
        let length = self.lane.length_km();
        let (outer, port) = (self.lane.at_km(0.0), self.lane.at_km(length));
        self.leg = match self.leg {
            Leg::AtOuter(until) if t >= until && self.can_sail(outer, &wind_at) => {
                Leg::Inbound(0.0)
            }
            Leg::Inbound(d) if d + km >= length => Leg::AtPort(t + draw(rng, self.dwell_port)),
            Leg::Inbound(d) => Leg::Inbound(d + km),
            Leg::AtPort(until) if t >= until && self.can_sail(port, &wind_at) => Leg::Outbound(0.0),
            Leg::Outbound(d) if d + km >= length => Leg::AtOuter(t + draw(rng, self.dwell_outer)),
            Leg::Outbound(d) => Leg::Outbound(d + km),
            waiting => waiting,
        };
    }

    /// Ferries do not leave in a gale; ships bigger than a ferry sail in it.
    fn can_sail(&self, from: LonLat, wind_at: &impl Fn(LonLat) -> f64) -> bool {
        !self.ferry || wind_at(from) < GALE
    }

    fn fix(&self) -> (LonLat, f64, f64, u8) {
        let length = self.lane.length_km();
        match self.leg {
            Leg::AtOuter(_) if self.ferry => (
                offset(self.lane.at_km(0.0), self.berth_offset),
                0.0,
                0.0,
                MOORED,
            ),
            Leg::AtOuter(_) => (self.lane.at_km(0.0), 0.0, 0.0, AT_ANCHOR),
            Leg::AtPort(_) => (
                offset(self.lane.at_km(length), self.berth_offset),
                0.0,
                0.0,
                MOORED,
            ),
            Leg::Inbound(d) => (
                self.lane.at_km(d),
                self.lane.bearing_at_km(d),
                self.speed,
                UNDER_WAY,
            ),
            Leg::Outbound(d) => {
                let back = (self.lane.bearing_at_km(length - d) + 180.0) % 360.0;
                (self.lane.at_km(length - d), back, self.speed, UNDER_WAY)
            }
        }
    }
}

fn draw(rng: &mut Rng, (lo, hi): (i64, i64)) -> i64 {
    lo + rng.below((hi - lo).max(1) as u64) as i64
}

impl Boat {
    fn step(
        &mut self,
        pos: &mut LonLat,
        dt: i64,
        rng: &mut Rng,
        wind_at: impl Fn(LonLat) -> f64,
        t: i64,
    ) {
        const TRANSIT: f64 = 5.0;
        let transit_km = TRANSIT * dt as f64 / 1000.0;
        self.state = match std::mem::replace(&mut self.state, BoatState::Fishing) {
            BoatState::Fishing if wind_at(*pos) > NEAR_GALE => {
                let path = Polyline::new(&[*pos, SHELTER_APPROACH, self.berth]);
                BoatState::Returning(path, 0.0)
            }
            BoatState::Fishing => {
                self.trawl(pos, dt, rng);
                BoatState::Fishing
            }
            BoatState::Returning(path, d) if d + transit_km >= path.length_km() => {
                BoatState::Sheltered(t)
            }
            BoatState::Returning(path, d) => BoatState::Returning(path, d + transit_km),
            BoatState::Sheltered(since) if t - since > 3 * 3600 && wind_at(self.berth) < 10.0 => {
                let (w, s, e, n) = FISHING_GROUND;
                let ground = ll(rng.range_f64(w, e), rng.range_f64(s, n));
                BoatState::Departing(Polyline::new(&[self.berth, SHELTER_APPROACH, ground]), 0.0)
            }
            BoatState::Departing(path, d) if d + transit_km >= path.length_km() => {
                BoatState::Fishing
            }
            BoatState::Departing(path, d) => BoatState::Departing(path, d + transit_km),
            other => other,
        };
    }

    /// A slow random walk that turns back at the edge of the fishing ground.
    fn trawl(&mut self, pos: &mut LonLat, dt: i64, rng: &mut Rng) {
        let (w, s, e, n) = FISHING_GROUND;
        self.heading = (self.heading + rng.range_f64(-25.0, 25.0)).rem_euclid(360.0);
        let next = pos.moved(self.heading, rng.range_f64(1.5, 3.0) * dt as f64 / 1000.0);
        if (w..=e).contains(&next.lon) && (s..=n).contains(&next.lat) {
            *pos = next;
        } else {
            self.heading = pos.bearing_deg(ll((w + e) / 2.0, (s + n) / 2.0));
        }
    }

    fn fix(&self, pos: LonLat, cog: f64) -> (LonLat, f64, f64, u8) {
        match &self.state {
            BoatState::Fishing => (pos, self.heading, 2.2, FISHING),
            BoatState::Returning(path, d) | BoatState::Departing(path, d) => {
                (path.at_km(*d), path.bearing_at_km(*d), 5.0, UNDER_WAY)
            }
            BoatState::Sheltered(_) => (self.berth, cog, 0.0, MOORED),
        }
    }
}
