//! The FIWARE IoT Agent JSON payloads: a flat object of measures, an array of such objects
//! (multi-measure), a bare value on single-attribute topics, and `{"cmd": result}` results.

use serde_json::{Map, Value};

use super::{DecodeError, MeasureGroup, TIME_INSTANT, parse_time};

fn parse(payload: &[u8]) -> Result<Value, DecodeError> {
    serde_json::from_slice(payload)
        .map_err(|e| DecodeError(format!("the payload is not valid JSON: {e}")))
}

fn group(obj: Map<String, Value>) -> Result<MeasureGroup, DecodeError> {
    let mut g = MeasureGroup::default();
    for (k, v) in obj {
        if k == TIME_INSTANT {
            g.time = Some(parse_time(&v)?);
        } else if k.is_empty() {
            return Err(DecodeError::new("a measure has an empty name"));
        } else {
            g.values.push((k, v));
        }
    }
    Ok(g)
}

pub(super) fn measures(payload: &[u8]) -> Result<Vec<MeasureGroup>, DecodeError> {
    match parse(payload)? {
        Value::Object(o) => Ok(vec![group(o)?]),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(o) => group(o),
                other => Err(DecodeError(format!(
                    "a multi-measure array must hold objects, not {}",
                    kind(&other)
                ))),
            })
            .collect(),
        other => Err(DecodeError(format!(
            "a measure payload must be a JSON object or an array of objects, not {}",
            kind(&other)
        ))),
    }
}

/// A single measure: JSON if it parses, else the text itself (FIWARE accepts plain values
/// there); an array of `{"value", "timestamp"}` objects gives one group per element.
pub(super) fn single(attr: &str, payload: &[u8]) -> Result<Vec<MeasureGroup>, DecodeError> {
    let value = match serde_json::from_slice::<Value>(payload) {
        Ok(v) => v,
        Err(_) => match std::str::from_utf8(payload) {
            Ok(text) => Value::String(text.trim().to_string()),
            Err(_) => {
                return Err(DecodeError::new(
                    "the payload is neither JSON nor UTF-8 text",
                ));
            }
        },
    };
    if let Value::Array(items) = &value
        && !items.is_empty()
        && items.iter().all(|i| i.get("value").is_some())
    {
        return items.iter().map(|i| timed(attr, i)).collect();
    }
    Ok(vec![MeasureGroup {
        values: vec![(attr.to_string(), value)],
        time: None,
    }])
}

fn timed(attr: &str, item: &Value) -> Result<MeasureGroup, DecodeError> {
    let time = match item.get("timestamp").or_else(|| item.get(TIME_INSTANT)) {
        Some(t) => Some(parse_time(t)?),
        None => None,
    };
    let value = item.get("value").cloned().unwrap_or(Value::Null);
    Ok(MeasureGroup {
        values: vec![(attr.to_string(), value)],
        time,
    })
}

pub(super) fn results(payload: &[u8]) -> Result<Vec<(String, Value)>, DecodeError> {
    match parse(payload)? {
        Value::Object(o) if !o.is_empty() => Ok(o.into_iter().collect()),
        other => Err(DecodeError(format!(
            "a command result must be an object like {{\"<command>\": <result>}}, not {}",
            kind(&other)
        ))),
    }
}

pub(super) fn command(name: &str, value: &Value) -> Vec<u8> {
    let mut o = Map::new();
    o.insert(name.to_string(), value.clone());
    serde_json::to_vec(&Value::Object(o)).unwrap_or_default()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_arrays_and_time_instant() {
        let g =
            measures(br#"{"l": 3.2, "TimeInstant": "2026-09-14T00:30:00Z", "s": "ok"}"#).unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(
            g[0].values,
            vec![("l".into(), json!(3.2)), ("s".into(), json!("ok"))]
        );
        assert_eq!(g[0].time, ngsi::time::parse("2026-09-14T00:30:00Z"));
        let multi = measures(br#"[{"t": 1}, {"t": 2, "h": 3}]"#).unwrap();
        assert_eq!(multi.len(), 2);
        assert_eq!(multi[1].values.len(), 2);
    }

    #[test]
    fn malformed_payloads_are_errors_not_panics() {
        for bad in [
            &b"{{{ not json"[..],
            b"",
            b"42",
            b"[1, 2]",
            b"{\"TimeInstant\": \"yesterday\"}",
            b"{\"\": 1}",
            b"\xff\xfe",
            b"{\"a\": 1",
        ] {
            assert!(measures(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(results(b"[]").is_err());
        assert!(results(b"{}").is_err());
    }

    #[test]
    fn single_values_and_timed_arrays() {
        assert_eq!(single("h", b"70").unwrap()[0].values[0].1, json!(70));
        assert_eq!(single("h", b"up ").unwrap()[0].values[0].1, json!("up"));
        let g = single(
            "h",
            br#"[{"timestamp": "2025-01-26T12:00:00Z", "value": 44}, {"value": 33}]"#,
        )
        .unwrap();
        assert_eq!(g.len(), 2);
        assert!(g[0].time.is_some() && g[1].time.is_none());
        assert!(single("h", b"\xff").is_err());
    }

    #[test]
    fn commands_and_results_round_trip() {
        let c = command("ping", &json!({"data": "22"}));
        assert_eq!(
            serde_json::from_slice::<Value>(&c).unwrap(),
            json!({"ping": {"data": "22"}})
        );
        assert_eq!(
            results(br#"{"ping": "pong"}"#).unwrap(),
            vec![("ping".into(), json!("pong"))]
        );
    }
}
