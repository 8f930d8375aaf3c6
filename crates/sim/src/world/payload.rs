//! Measurement payloads as field devices send them: IoT Agent JSON objects of short keys with
//! a `TimeInstant`, or UltraLight 2.0 `timestamp|key|value|…` lines; plus the malformed
//! messages a real field produces now and then (truncated JSON, unknown devices and keys).
//!
//! Owns the wire text only. Topics follow the IoT Agent MQTT convention
//! `/{json|ul}/{apikey}/{device_id}/attrs`.

use serde_json::{Map, Value};

use super::device::{Device, Reading};
use super::kinds::Encoding;
use crate::rng::Rng;
use crate::timefmt::rfc3339;

/// One MQTT publication of the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The topic, e.g. `/json/hn-water/gauge-nandu-01/attrs`.
    pub topic: String,
    /// The payload bytes.
    pub payload: Vec<u8>,
    /// Simulated Unix second the message belongs to.
    pub sim_time: i64,
    /// Whether the message is deliberately broken (the platform should dead-letter it).
    pub malformed: bool,
}

/// Encodes `reading`, taken at `t`, the way `device` sends it.
pub fn encode(device: &Device, reading: &Reading, t: i64) -> Message {
    let payload = match device.kind.encoding() {
        Encoding::Json => json(reading, t),
        Encoding::UltraLight => ultralight(reading, t),
    };
    Message {
        topic: device.kind.topic(&device.device_id),
        payload,
        sim_time: t,
        malformed: false,
    }
}

/// `{"key": value, …, "TimeInstant": "…"}`.
fn json(reading: &Reading, t: i64) -> Vec<u8> {
    let mut obj: Map<String, Value> = reading
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    obj.insert("TimeInstant".into(), Value::from(rfc3339(t)));
    // A map of strings and finite numbers always serialises.
    serde_json::to_vec(&Value::Object(obj)).unwrap_or_default()
}

/// `2026-11-29T08:00:00Z|i|123|o|0.05|…`: UltraLight 2.0 with the measure group's timestamp
/// as its first field, which the IoT Agent turns into `TimeInstant`.
fn ultralight(reading: &Reading, t: i64) -> Vec<u8> {
    let mut out = rfc3339(t);
    for (key, value) in reading {
        out.push('|');
        out.push_str(key);
        out.push('|');
        match value {
            Value::String(s) => out.push_str(s),
            other => out.push_str(&other.to_string()),
        }
    }
    out.into_bytes()
}

/// The first half of `payload`, made certainly invalid: half a JSON object never parses; an
/// UltraLight line loses its timestamp and keeps an odd number of fields, so its first field
/// would have to be a timestamp and is not.
fn truncated(encoding: Encoding, payload: &[u8]) -> Vec<u8> {
    let half = |bytes: &[u8]| bytes[..bytes.len() / 2].to_vec();
    if encoding == Encoding::Json {
        return half(payload);
    }
    let after_time = payload
        .iter()
        .position(|&b| b == b'|')
        .map_or(payload, |i| &payload[i + 1..]);
    let mut cut = half(after_time);
    if cut.is_empty() {
        cut.push(b'i');
    }
    if cut.iter().filter(|&&b| b == b'|').count() % 2 == 1 {
        cut.push(b'|');
    }
    cut
}

/// A broken message in the style of `good` (sent by `device` at `t`).
pub fn malformed(device: &Device, t: i64, good: &Message, rng: &mut Rng) -> Message {
    let apikey = device.kind.apikey();
    let (topic, payload) = match rng.below(4) {
        // A truncated payload on a real device's topic: the radio dropped the tail.
        0 => (
            good.topic.clone(),
            truncated(device.kind.encoding(), &good.payload),
        ),
        // A device nobody provisioned, with a well-formed payload.
        1 => {
            let ghost = format!("ghost-{:04}", rng.below(10_000));
            (
                good.topic.replace(&device.device_id, &ghost),
                good.payload.clone(),
            )
        }
        // A key that no service group has.
        2 => (
            good.topic.replace(apikey, "no-such-key"),
            good.payload.clone(),
        ),
        // Valid JSON that is not an object, or UltraLight with a dangling key.
        _ => {
            let text: &[u8] = match device.kind.encoding() {
                Encoding::Json => b"[\"not\", \"an\", \"object\"]",
                Encoding::UltraLight => b"i|12|o",
            };
            (good.topic.clone(), text.to_vec())
        }
    };
    Message {
        topic,
        payload,
        sim_time: t,
        malformed: true,
    }
}
