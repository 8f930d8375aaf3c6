//! Value conversion by FIWARE attribute type: `Number` makes numbers (also out of UL text),
//! `Boolean` booleans, `DateTime` NGSI-LD DateTime values, `geo:*` GeoProperties, and
//! `Relationship` relationships. A value that does not fit its type is refused, never guessed.

use ngsi::model::AttrKind;
use serde_json::{Value, json};

/// How a raw measured value becomes an attribute value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// Any number (`Number`, `Float`, `Double`).
    Number,
    /// A whole number (`Integer`).
    Integer,
    /// `Boolean`.
    Boolean,
    /// `Text`, `String`: text as is, anything else as its JSON text.
    Text,
    /// `DateTime`: `{"@type": "DateTime", "@value": ...}`.
    DateTime,
    /// `geo:json`, `geo:point`, `GeoProperty`, `Point`, ...: a GeoProperty.
    Geo,
    /// `Relationship`: the value is the object URI.
    Relationship,
    /// Anything else: the value as sent.
    Raw,
}

impl Conversion {
    /// The conversion for a FIWARE type name.
    pub fn of(fiware_type: &str) -> Self {
        match fiware_type.to_ascii_lowercase().as_str() {
            "number" | "float" | "double" | "decimal" | "real" | "percentage" => Self::Number,
            "integer" | "int" | "long" => Self::Integer,
            "boolean" | "bool" => Self::Boolean,
            "text" | "string" => Self::Text,
            "datetime" | "date-time" | "iso8601" => Self::DateTime,
            "geo:json" | "geo:point" | "geoproperty" | "point" | "geo:line" | "geo:polygon"
            | "linestring" | "polygon" => Self::Geo,
            "relationship" => Self::Relationship,
            _ => Self::Raw,
        }
    }

    /// Converts `raw`, or says why it does not fit.
    pub fn apply(self, raw: &Value) -> Result<(AttrKind, Value), String> {
        if raw.is_null() {
            return Err("null is not a value".into());
        }
        let prop = |v| Ok((AttrKind::Property, v));
        match self {
            Self::Number => number_of(raw)
                .map(|_| number_value(raw))
                .map_or_else(|| Err(format!("{raw} is not a number")), prop),
            Self::Integer => integer_of(raw).map_or_else(
                || Err(format!("{raw} is not an integer")),
                |i| prop(json!(i)),
            ),
            Self::Boolean => bool_of(raw).map_or_else(
                || Err(format!("{raw} is not a boolean")),
                |b| prop(json!(b)),
            ),
            Self::Text => prop(Value::String(match raw {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })),
            Self::DateTime => date_time(raw).map(|v| (AttrKind::Property, v)),
            Self::Geo => geo(raw).map(|v| (AttrKind::GeoProperty, v)),
            Self::Relationship => match raw.as_str() {
                Some(s) if ngsi::payload::is_uri(s) => Ok((AttrKind::Relationship, raw.clone())),
                _ => Err(format!("{raw} is not a URI, as a Relationship needs")),
            },
            Self::Raw => prop(raw.clone()),
        }
    }
}

/// The numeric value of a JSON number or of text holding one.
pub fn number_of(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// A number as JSON: integral text stays an integer, other text a float, numbers unchanged.
fn number_value(raw: &Value) -> Value {
    match raw {
        Value::Number(_) => raw.clone(),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| json_number(s.parse::<f64>().unwrap_or(0.0)))
        }
        _ => Value::Null,
    }
}

/// An f64 as JSON, integral values as integers (so `3.0 * 100` reads `300`).
pub fn json_number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

fn integer_of(v: &Value) -> Option<i64> {
    if let Some(i) = v.as_i64() {
        return Some(i);
    }
    let f = number_of(v)?;
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

fn bool_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) if n.as_i64() == Some(1) => Some(true),
        Value::Number(n) if n.as_i64() == Some(0) => Some(false),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "on" => Some(true),
            "false" | "0" | "off" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn date_time(raw: &Value) -> Result<Value, String> {
    let ts = match raw {
        Value::String(s) => ngsi::time::parse(s.trim()),
        Value::Number(n) => n.as_i64().and_then(|ms| ms.checked_mul(1000)),
        _ => None,
    };
    let ts = ts.ok_or_else(|| format!("{raw} is not a date-time"))?;
    Ok(json!({"@type": "DateTime", "@value": ngsi::time::format(ts)}))
}

/// A GeoJSON geometry from GeoJSON, `[lon, lat]`, or FIWARE's `"lat, lon"` text.
fn geo(raw: &Value) -> Result<Value, String> {
    let bad = || format!("{raw} is not a GeoJSON geometry, [lon, lat] or \"lat, lon\"");
    match raw {
        Value::Object(_) if ngsi::payload::is_geojson(raw) => Ok(raw.clone()),
        Value::Array(a) if a.len() == 2 => {
            let (x, y) = (
                number_of(&a[0]).ok_or_else(bad)?,
                number_of(&a[1]).ok_or_else(bad)?,
            );
            Ok(point(x, y))
        }
        Value::String(s) => {
            let (lat, lon) = s.split_once(',').ok_or_else(bad)?;
            let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
            let lon: f64 = lon.trim().parse().map_err(|_| bad())?;
            Ok(point(lon, lat))
        }
        _ => Err(bad()),
    }
}

fn point(lon: f64, lat: f64) -> Value {
    json!({"type": "Point", "coordinates": [lon, lat]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_from_numbers_and_text() {
        let c = Conversion::of("Number");
        assert_eq!(c.apply(&json!(3.2)), Ok((AttrKind::Property, json!(3.2))));
        assert_eq!(c.apply(&json!("15")), Ok((AttrKind::Property, json!(15))));
        assert_eq!(
            c.apply(&json!(" 2.5 ")),
            Ok((AttrKind::Property, json!(2.5)))
        );
        assert!(c.apply(&json!("abc")).is_err());
        assert!(c.apply(&json!("NaN")).is_err());
        assert!(c.apply(&json!(null)).is_err());
        let i = Conversion::of("Integer");
        assert_eq!(i.apply(&json!("7")), Ok((AttrKind::Property, json!(7))));
        assert!(i.apply(&json!(7.5)).is_err());
    }

    #[test]
    fn booleans_dates_geo_and_relationships() {
        assert_eq!(
            Conversion::of("Boolean").apply(&json!("true")),
            Ok((AttrKind::Property, json!(true)))
        );
        let (_, d) = Conversion::of("DateTime")
            .apply(&json!("2026-09-14T08:30:00+08:00"))
            .unwrap();
        assert_eq!(d["@value"], "2026-09-14T00:30:00.000Z");
        let (k, g) = Conversion::of("geo:point")
            .apply(&json!("19.9, 110.3"))
            .unwrap();
        assert_eq!(k, AttrKind::GeoProperty);
        assert_eq!(g["coordinates"], json!([110.3, 19.9]));
        assert!(
            Conversion::of("geo:json")
                .apply(&json!({"type": "Nope"}))
                .is_err()
        );
        let (k, _) = Conversion::of("Relationship")
            .apply(&json!("urn:ngsi-ld:Building:1"))
            .unwrap();
        assert_eq!(k, AttrKind::Relationship);
        assert!(Conversion::of("Relationship").apply(&json!("x y")).is_err());
    }

    #[test]
    fn text_and_raw_keep_what_was_sent() {
        assert_eq!(
            Conversion::of("Text").apply(&json!(12)),
            Ok((AttrKind::Property, json!("12")))
        );
        assert_eq!(
            Conversion::of("whatever").apply(&json!({"a": 1})),
            Ok((AttrKind::Property, json!({"a": 1})))
        );
        assert_eq!(json_number(300.0), json!(300));
    }
}
