//! Reads messages back the way the platform's southbound codecs would.

use serde_json::Value;

use super::*;

/// A well-formed measurement message, decoded.
pub struct Decoded {
    /// The API key in the topic.
    pub apikey: String,
    /// The device id in the topic.
    pub device: String,
    /// Payload keys and values (without the timestamp).
    pub values: Vec<(String, Value)>,
    /// The timestamp the device sent.
    pub time: String,
}

impl Decoded {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn number(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(Value::as_f64)
    }
}

/// Decodes `m`, or `None` when the topic or payload is not a valid measurement.
pub fn decode(m: &Message) -> Option<Decoded> {
    let parts: Vec<&str> = m.topic.split('/').collect();
    let [_, codec, apikey, device, "attrs"] = parts.as_slice() else {
        return None;
    };
    let (values, time) = match *codec {
        "json" => json(&m.payload)?,
        "ul" => ultralight(&m.payload)?,
        _ => return None,
    };
    Some(Decoded {
        apikey: (*apikey).to_owned(),
        device: (*device).to_owned(),
        values,
        time,
    })
}

fn json(payload: &[u8]) -> Option<(Vec<(String, Value)>, String)> {
    let Value::Object(map) = serde_json::from_slice(payload).ok()? else {
        return None;
    };
    let time = map.get("TimeInstant")?.as_str()?.to_owned();
    let values = map
        .into_iter()
        .filter(|(k, _)| k != "TimeInstant")
        .collect();
    Some((values, time))
}

fn ultralight(payload: &[u8]) -> Option<(Vec<(String, Value)>, String)> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut tokens = text.split('|');
    let time = tokens.next()?.to_owned();
    let rest: Vec<&str> = tokens.collect();
    if !rest.len().is_multiple_of(2) || !time.ends_with('Z') {
        return None;
    }
    let values = rest
        .chunks(2)
        .map(|kv| {
            let v = match kv[1] {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                s => s
                    .parse::<f64>()
                    .map_or_else(|_| Value::from(s), Value::from),
            };
            (kv[0].to_owned(), v)
        })
        .collect();
    Some((values, time))
}

/// The device a decoded message came from.
pub fn device<'a>(world: &'a World, id: &str) -> Option<&'a Device> {
    world.devices().iter().find(|d| d.device_id == id)
}

/// The `[lon, lat]` of a GeoJSON Point value.
pub fn point(v: &Value) -> Option<LonLat> {
    let c = v.get("coordinates")?;
    Some(crate::hainan::ll(c.get(0)?.as_f64()?, c.get(1)?.as_f64()?))
}
