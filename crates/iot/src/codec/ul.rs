//! UltraLight 2.0: `key|value|key|value` measure groups separated by `#`, each optionally led by
//! a timestamp; commands `<device>@<command>|<params>` and results `<device>@<command>|<result>`.
//! Values are untyped text; numbers are made numbers by the mapping when the attribute says so.

use serde_json::Value;

use super::{DecodeError, MeasureGroup};

fn text(payload: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(payload)
        .map(str::trim)
        .map_err(|_| DecodeError::new("an UltraLight payload must be UTF-8 text"))
}

pub(super) fn measures(payload: &[u8]) -> Result<Vec<MeasureGroup>, DecodeError> {
    let text = text(payload)?;
    if text.is_empty() {
        return Err(DecodeError::new("the UltraLight payload is empty"));
    }
    text.split('#')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(group)
        .collect()
}

fn group(text: &str) -> Result<MeasureGroup, DecodeError> {
    let mut fields: Vec<&str> = text.split('|').collect();
    let mut g = MeasureGroup::default();
    if fields.len() % 2 == 1 {
        let first = fields.remove(0).trim();
        g.time = Some(ngsi::time::parse(first).ok_or_else(|| {
            DecodeError(format!(
                "UltraLight group {text:?} has an odd number of fields and {first:?} is not a timestamp"
            ))
        })?);
    }
    for pair in fields.chunks(2) {
        let (key, value) = (pair[0].trim(), pair[1].trim());
        if key.is_empty() {
            return Err(DecodeError(format!(
                "UltraLight group {text:?} has an empty key"
            )));
        }
        if key == super::TIME_INSTANT {
            g.time = Some(super::parse_time(&Value::String(value.into()))?);
            continue;
        }
        g.values
            .push((key.to_string(), Value::String(value.to_string())));
    }
    Ok(g)
}

pub(super) fn single(attr: &str, payload: &[u8]) -> Result<Vec<MeasureGroup>, DecodeError> {
    Ok(vec![MeasureGroup {
        values: vec![(attr.to_string(), Value::String(text(payload)?.to_string()))],
        time: None,
    }])
}

pub(super) fn results(payload: &[u8]) -> Result<Vec<(String, Value)>, DecodeError> {
    let text = text(payload)?;
    let mut out = Vec::new();
    for part in text.split('#').map(str::trim).filter(|p| !p.is_empty()) {
        let (head, result) = part.split_once('|').unwrap_or((part, ""));
        let Some((_device, command)) = head.split_once('@') else {
            return Err(DecodeError(format!(
                "UltraLight command result {part:?} must look like <device>@<command>|<result>"
            )));
        };
        if command.is_empty() {
            return Err(DecodeError(format!(
                "UltraLight command result {part:?} names no command"
            )));
        }
        out.push((command.to_string(), Value::String(result.to_string())));
    }
    if out.is_empty() {
        return Err(DecodeError::new("the command result is empty"));
    }
    Ok(out)
}

/// `<device>@<command>|<params>`: an object becomes `k=v|k=v`, anything else its text.
pub(super) fn command(device_id: &str, name: &str, value: &Value) -> Vec<u8> {
    let mut out = format!("{device_id}@{name}");
    match value {
        Value::Object(o) => {
            for (k, v) in o {
                out.push('|');
                out.push_str(k);
                out.push('=');
                out.push_str(&plain(v));
            }
        }
        Value::Null => {}
        other => {
            out.push('|');
            out.push_str(&plain(other));
        }
    }
    out.into_bytes()
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pairs_groups_and_timestamps() {
        let g = measures(b"t|15|k|abc").unwrap();
        assert_eq!(
            g[0].values,
            vec![("t".into(), json!("15")), ("k".into(), json!("abc"))]
        );
        let g = measures(b"gps|1.2/3.4#2016-06-13T00:35:30Z|lle|100").unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[1].time, ngsi::time::parse("2016-06-13T00:35:30Z"));
        assert_eq!(g[1].values, vec![("lle".into(), json!("100"))]);
    }

    #[test]
    fn malformed_payloads_are_errors_not_panics() {
        for bad in [
            &b"t|15|k"[..],
            b"",
            b"|5",
            b"notatime|a|1",
            b"\xff|1",
            b"TimeInstant|never",
        ] {
            assert!(measures(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(results(b"no-at-sign|x").is_err());
        assert!(results(b"dev@|x").is_err());
    }

    #[test]
    fn commands_and_results() {
        let c = command("ws167", "ping", &json!({"param1": 1, "param2": "2"}));
        assert_eq!(c, b"ws167@ping|param1=1|param2=2");
        assert_eq!(command("d", "on", &json!("now")), b"d@on|now");
        assert_eq!(
            results(b"ws167@ping|Ping ok").unwrap(),
            vec![("ping".into(), json!("Ping ok"))]
        );
    }
}
