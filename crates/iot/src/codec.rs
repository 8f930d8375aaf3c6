//! Southbound payload codecs: FIWARE IoT Agent JSON and UltraLight 2.0. Decoding turns a raw
//! payload into measure groups (key, raw value, optional `TimeInstant`) and command results;
//! encoding turns a command into what the device expects on its `/cmd` topic or endpoint.
//!
//! Pure and bounded: no lookups, no I/O, never panics on input. What the values mean (types,
//! names, units) is decided later by [`crate::mapping`].

mod json;
mod ul;

use serde_json::Value;

use ngsi::Timestamp;

/// The measure key that carries the observation time (FIWARE `TimeInstant`).
pub const TIME_INSTANT: &str = "TimeInstant";

/// A payload format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// FIWARE IoT Agent JSON (`/json/...`, `/iot/json`).
    Json,
    /// UltraLight 2.0 (`/ul/...`, `/iot/d`).
    Ul,
}

impl Codec {
    /// The codec a FIWARE `protocol` value names, if any.
    pub fn from_protocol(protocol: &str) -> Option<Codec> {
        let p = protocol.to_ascii_lowercase();
        if p.contains("ultralight") || p == "ul" || p.ends_with("-ul") {
            Some(Codec::Ul)
        } else if p.contains("json") {
            Some(Codec::Json)
        } else {
            None
        }
    }

    /// Guesses from the payload when neither topic nor device says: JSON starts with `{`/`[`.
    pub fn sniff(payload: &[u8]) -> Codec {
        match payload.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{' | b'[') => Codec::Json,
            _ => Codec::Ul,
        }
    }

    /// Short name for metrics and dead letters.
    pub fn as_str(self) -> &'static str {
        match self {
            Codec::Json => "json",
            Codec::Ul => "ul",
        }
    }
}

/// One group of measures sent together: what becomes one entity update.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MeasureGroup {
    /// `(key, value)` in payload order; `TimeInstant` is taken out into `time`.
    pub values: Vec<(String, Value)>,
    /// The observation time the device gave, if any.
    pub time: Option<Timestamp>,
}

/// Why a payload could not be decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

impl DecodeError {
    fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}

/// Decodes a multi-measure payload (`.../attrs`).
pub fn decode_measures(
    codec: Codec,
    payload: &[u8],
    max_groups: usize,
) -> Result<Vec<MeasureGroup>, DecodeError> {
    let groups = match codec {
        Codec::Json => json::measures(payload)?,
        Codec::Ul => ul::measures(payload)?,
    };
    if groups.len() > max_groups {
        return Err(DecodeError(format!(
            "{} measure groups in one message; at most {max_groups} are accepted",
            groups.len()
        )));
    }
    if groups.iter().all(|g| g.values.is_empty()) {
        return Err(DecodeError::new("the payload carries no measures"));
    }
    Ok(groups)
}

/// Decodes a single-measure payload (`.../attrs/<attr>`): the whole payload is the value.
pub fn decode_single(
    codec: Codec,
    attr: &str,
    payload: &[u8],
) -> Result<Vec<MeasureGroup>, DecodeError> {
    match codec {
        Codec::Json => json::single(attr, payload),
        Codec::Ul => ul::single(attr, payload),
    }
}

/// Decodes a command result (`.../cmdexe`): `(command name, result)` pairs.
pub fn decode_results(codec: Codec, payload: &[u8]) -> Result<Vec<(String, Value)>, DecodeError> {
    match codec {
        Codec::Json => json::results(payload),
        Codec::Ul => ul::results(payload),
    }
}

/// Encodes a command for the device.
pub fn encode_command(codec: Codec, device_id: &str, name: &str, value: &Value) -> Vec<u8> {
    match codec {
        Codec::Json => json::command(name, value),
        Codec::Ul => ul::command(device_id, name, value),
    }
}

/// Parses a `TimeInstant` value (text; or epoch milliseconds as a number).
fn parse_time(v: &Value) -> Result<Timestamp, DecodeError> {
    let t = match v {
        Value::String(s) => ngsi::time::parse(s.trim()),
        Value::Number(n) => n.as_i64().and_then(|ms| ms.checked_mul(1000)),
        _ => None,
    };
    t.ok_or_else(|| DecodeError(format!("TimeInstant {v} is not an ISO 8601 date-time")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_and_sniffing_pick_codecs() {
        assert_eq!(Codec::from_protocol("PDI-IoTA-UltraLight"), Some(Codec::Ul));
        assert_eq!(Codec::from_protocol("PDI-IoTA-JSON"), Some(Codec::Json));
        assert_eq!(Codec::from_protocol("LoRaWAN"), None);
        assert_eq!(Codec::sniff(b"  {\"t\":1}"), Codec::Json);
        assert_eq!(Codec::sniff(b"t|1"), Codec::Ul);
    }

    #[test]
    fn group_limits_and_empty_payloads_are_errors() {
        assert!(decode_measures(Codec::Ul, b"a|1#b|2#c|3", 2).is_err());
        assert!(decode_measures(Codec::Json, b"{}", 10).is_err());
        assert!(decode_measures(Codec::Json, b"[]", 10).is_err());
    }
}
