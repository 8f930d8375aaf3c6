//! Hainan-flavoured NGSI-LD payloads: river gauges, air-quality stations and traffic counters
//! with Point locations on the island, generated deterministically from a seed.
//!
//! Owns the shape and plausibility of generated data, shared by `loadgen` and the island
//! simulator. It does no I/O and knows nothing about HTTP beyond the context `Link` header text.

mod hainan;

use std::ops::Range;

use bytes::Bytes;
use serde_json::{Map, Value, json};

pub use hainan::{CITIES, Place, RIVERS, ROADS};

use crate::rng::Rng;
use crate::timefmt::rfc3339;

/// The NGSI-LD core context every generated payload is interpreted against.
pub const CORE_CONTEXT: &str = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";

/// The `Link` header value that attaches [`CORE_CONTEXT`] to a plain `application/json` body.
pub const LINK_HEADER: &str = "<https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld>; \
     rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"";

/// Longitudes of generated points (degrees east), inclusive.
pub const LON_RANGE: (f64, f64) = (108.6, 111.0);
/// Latitudes of generated points (degrees north), inclusive.
pub const LAT_RANGE: (f64, f64) = (18.2, 20.1);

/// How far (degrees) a sensor may sit from its place's centre; about 15 km.
const JITTER_DEG: f64 = 0.15;
/// `observedAt` lies up to this many seconds before the reference time.
const MAX_AGE_S: u64 = 600;
/// The sentinel id [`Template`] splits a body at; it needs no JSON escaping.
const ID_SENTINEL: &str = "@@twinisle-id@@";

/// The kinds of sensor on the island, each an NGSI-LD entity type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `WaterObserved`: a river gauge (waterLevel in MTR, flow in m3/s).
    Water,
    /// `AirQualityObserved`: pm25, pm10, no2, o3 in µg/m3.
    Air,
    /// `TrafficFlowObserved`: intensity, occupancy, averageVehicleSpeed.
    Traffic,
}

impl Kind {
    /// Every kind, in the order populations cycle through them.
    pub const ALL: [Kind; 3] = [Kind::Water, Kind::Air, Kind::Traffic];

    /// The NGSI-LD entity type (a term of the data model, compacted).
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Water => "WaterObserved",
            Kind::Air => "AirQualityObserved",
            Kind::Traffic => "TrafficFlowObserved",
        }
    }

    /// The places sensors of this kind are spread around.
    pub fn places(self) -> &'static [Place] {
        match self {
            Kind::Water => RIVERS,
            Kind::Air => CITIES,
            Kind::Traffic => ROADS,
        }
    }

    /// The position of this kind in [`Kind::ALL`], for per-kind tables.
    pub fn ordinal(self) -> usize {
        match self {
            Kind::Water => 0,
            Kind::Air => 1,
            Kind::Traffic => 2,
        }
    }

    /// How many measured attributes a partial update of this kind carries.
    pub fn patch_len(self) -> usize {
        match self {
            Kind::Water => 2,
            Kind::Air | Kind::Traffic => 3,
        }
    }
}

/// A deterministic set of entities numbered `first..first + count`, cycling through the kinds.
///
/// Entity `n` always has the same id, kind, place and location for a given seed, so a
/// benchmark can address entities it seeded without remembering them.
#[derive(Clone, Copy, Debug)]
pub struct Population {
    seed: u64,
    first: u32,
    count: u32,
}

impl Population {
    /// A population of `count` entities numbered from `first`.
    pub fn new(seed: u64, first: u32, count: u32) -> Self {
        Self { seed, first, count }
    }

    /// The entity numbers in this population.
    pub fn numbers(&self) -> Range<u32> {
        self.first..self.first.saturating_add(self.count)
    }

    /// How many entities there are.
    pub fn len(&self) -> u32 {
        self.count
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The `i`-th entity number (wrapping), for picking members by a random draw.
    pub fn nth(&self, i: u64) -> u32 {
        let offset = i % u64::from(self.count.max(1));
        self.first
            .saturating_add(u32::try_from(offset).unwrap_or(0))
    }

    /// The kind of entity `n`.
    pub fn kind(&self, n: u32) -> Kind {
        Kind::ALL[n as usize % Kind::ALL.len()]
    }

    /// The place entity `n` belongs to.
    pub fn place(&self, n: u32) -> Place {
        let places = self.kind(n).places();
        places[n as usize / Kind::ALL.len() % places.len()]
    }

    /// The entity id, e.g. `urn:ngsi-ld:WaterObserved:nandu-000123`.
    pub fn id(&self, n: u32) -> String {
        entity_id(self.kind(n), self.place(n).slug, n)
    }

    /// The fixed `(lon, lat)` of entity `n`.
    pub fn location(&self, n: u32) -> (f64, f64) {
        let mut rng = Rng::derive(self.seed, STREAM_LOCATION, u64::from(n));
        point_near(&self.place(n), &mut rng)
    }

    /// The full entity `n` with measurements observed shortly before `at_unix`.
    pub fn entity(&self, n: u32, at_unix: i64) -> Value {
        let mut rng = Rng::derive(self.seed, STREAM_VALUES, u64::from(n) ^ at_unix as u64);
        let kind = self.kind(n);
        entity(
            kind,
            &self.id(n),
            &self.place(n),
            self.location(n),
            &mut rng,
            at_unix,
        )
    }

    /// A batch-upsert body: a JSON array of the entities numbered in `range`.
    pub fn batch_body(&self, range: Range<u32>, at_unix: i64) -> Bytes {
        let batch: Vec<Value> = range.map(|n| self.entity(n, at_unix)).collect();
        to_body(&Value::Array(batch))
    }
}

/// Named RNG streams, so ids, locations and values never share draws.
const STREAM_LOCATION: u64 = 1;
const STREAM_VALUES: u64 = 2;

/// The id of sensor number `n` of `kind` at the place `slug`.
pub fn entity_id(kind: Kind, slug: &str, n: u32) -> String {
    format!("urn:ngsi-ld:{}:{slug}-{n:06}", kind.type_name())
}

/// A normalised NGSI-LD entity: measurements, a text `name`, and a GeoProperty `location`.
pub fn entity(
    kind: Kind,
    id: &str,
    place: &Place,
    (lon, lat): (f64, f64),
    rng: &mut Rng,
    at_unix: i64,
) -> Value {
    let mut attrs = Map::new();
    attrs.insert("id".into(), Value::from(id));
    attrs.insert("type".into(), Value::from(kind.type_name()));
    for (name, value) in measurements(kind, rng, at_unix) {
        attrs.insert(name.into(), value);
    }
    let (extra_name, extra) = descriptor(kind, rng);
    attrs.insert(extra_name.into(), text(extra));
    attrs.insert("name".into(), text(&format!("{} sensor", place.label)));
    attrs.insert("location".into(), point(lon, lat));
    Value::Object(attrs)
}

/// A partial update: the first [`Kind::patch_len`] measurements, freshly observed.
pub fn patch(kind: Kind, rng: &mut Rng, at_unix: i64) -> Value {
    let fields = measurements(kind, rng, at_unix)
        .into_iter()
        .take(kind.patch_len())
        .map(|(name, value)| (name.to_owned(), value));
    Value::Object(fields.collect())
}

/// Serialises a JSON value into a request body.
pub fn to_body(value: &Value) -> Bytes {
    // Serialising a `Value` cannot fail: every key is a string and every number finite.
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

/// A pre-serialised entity body with a hole for its id, so each request costs one copy.
#[derive(Clone, Debug)]
pub struct Template {
    head: Bytes,
    tail: Bytes,
}

impl Template {
    /// Splits `entity` (whose `"id"` is replaced) around its id value.
    pub fn new(mut entity: Value) -> Self {
        if let Some(obj) = entity.as_object_mut() {
            obj.insert("id".into(), Value::from(ID_SENTINEL));
        }
        let body = to_body(&entity);
        let at = find(&body, ID_SENTINEL.as_bytes()).unwrap_or(body.len());
        let tail_at = (at + ID_SENTINEL.len()).min(body.len());
        Self {
            head: body.slice(..at),
            tail: body.slice(tail_at..),
        }
    }

    /// The body with `id` filled in; `id` must not need JSON escaping (ours never do).
    pub fn fill(&self, id: &str) -> Bytes {
        let mut out = Vec::with_capacity(self.head.len() + id.len() + self.tail.len());
        out.extend_from_slice(&self.head);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&self.tail);
        Bytes::from(out)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The measured Properties of one observation, in patch order.
fn measurements(kind: Kind, rng: &mut Rng, at_unix: i64) -> Vec<(&'static str, Value)> {
    let at = rfc3339(at_unix - rng.below(MAX_AGE_S) as i64);
    match kind {
        Kind::Water => {
            let level = rng.range_f64(0.4, 8.0);
            // A rough rating curve: discharge grows faster than stage, as on real gauges.
            let flow = 11.0 * level.powf(1.8) * rng.range_f64(0.9, 1.1);
            vec![
                ("waterLevel", number(level, Some("MTR"), &at)),
                ("flow", number(flow, Some("MQS"), &at)),
                (
                    "temperature",
                    number(rng.range_f64(22.0, 31.0), Some("CEL"), &at),
                ),
            ]
        }
        Kind::Air => {
            let pm25 = rng.range_f64(5.0, 75.0);
            vec![
                ("pm25", number(pm25, Some("GQ"), &at)),
                (
                    "pm10",
                    number(pm25 * rng.range_f64(1.3, 2.0), Some("GQ"), &at),
                ),
                ("no2", number(rng.range_f64(4.0, 60.0), Some("GQ"), &at)),
                ("o3", number(rng.range_f64(20.0, 160.0), Some("GQ"), &at)),
            ]
        }
        Kind::Traffic => vec![
            (
                "intensity",
                number(rng.range_f64(60.0, 3600.0).round(), None, &at),
            ),
            ("occupancy", number(rng.range_f64(0.02, 0.6), None, &at)),
            (
                "averageVehicleSpeed",
                number(rng.range_f64(20.0, 110.0), Some("KMH"), &at),
            ),
        ],
    }
}

/// A text attribute that completes each kind to about six attributes.
fn descriptor(kind: Kind, rng: &mut Rng) -> (&'static str, &'static str) {
    const ALERTS: [&str; 3] = ["normal", "watch", "warning"];
    const BANDS: [&str; 3] = ["good", "moderate", "unhealthySensitive"];
    const DIRECTIONS: [&str; 2] = ["forward", "backward"];
    let pick = |xs: &[&'static str], rng: &mut Rng| xs[rng.below(xs.len() as u64) as usize];
    match kind {
        Kind::Water => ("alertLevel", pick(&ALERTS, rng)),
        Kind::Air => ("airQualityLevel", pick(&BANDS, rng)),
        Kind::Traffic => ("laneDirection", pick(&DIRECTIONS, rng)),
    }
}

/// A point near `place`, kept inside the island's bounding box.
fn point_near(place: &Place, rng: &mut Rng) -> (f64, f64) {
    let lon = place.lon + rng.range_f64(-JITTER_DEG, JITTER_DEG);
    let lat = place.lat + rng.range_f64(-JITTER_DEG, JITTER_DEG);
    (
        round_to(lon.clamp(LON_RANGE.0, LON_RANGE.1), 5),
        round_to(lat.clamp(LAT_RANGE.0, LAT_RANGE.1), 5),
    )
}

fn number(value: f64, unit: Option<&str>, observed_at: &str) -> Value {
    let mut p = json!({"type": "Property", "value": round_to(value, 2), "observedAt": observed_at});
    if let (Some(unit), Some(obj)) = (unit, p.as_object_mut()) {
        obj.insert("unitCode".into(), Value::from(unit));
    }
    p
}

fn text(value: &str) -> Value {
    json!({"type": "Property", "value": value})
}

fn point(lon: f64, lat: f64) -> Value {
    json!({"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}})
}

/// Rounds to `digits` decimals so payloads look like instrument readings, not float noise.
fn round_to(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests;
