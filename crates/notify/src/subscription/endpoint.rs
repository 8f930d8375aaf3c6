//! The Endpoint data type (clause 5.2.15) and the MQTT endpoint conventions of clause 7.2:
//! `uri` (http, https, mqtt, mqtts), `accept`, `receiverInfo`, `notifierInfo` (MQTT-QoS,
//! MQTT-Version), `timeout` and `cooldown`, validated.

use std::time::Duration;

use http::{HeaderName, HeaderValue};
use ngsi::NgsiError;
use reqwest::Url;
use serde_json::{Map, Value};

/// The notification media type (`endpoint.accept`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    Json,
    JsonLd,
    GeoJson,
}

impl Accept {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::JsonLd => "application/ld+json",
            Self::GeoJson => "application/geo+json",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Json, Self::JsonLd, Self::GeoJson]
            .into_iter()
            .find(|a| a.as_str() == s)
    }

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(c: u8) -> Self {
        match c {
            1 => Self::JsonLd,
            2 => Self::GeoJson,
            _ => Self::Json,
        }
    }
}

/// The binding a notification travels by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Mqtt,
}

/// MQTT protocol version (`MQTT-Version`, Table 7.2-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MqttVersion {
    V311,
    V5,
}

/// A validated notification endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub uri: Url,
    pub protocol: Protocol,
    pub accept: Accept,
    pub receiver_info: Vec<(String, String)>,
    pub notifier_info: Vec<(String, String)>,
    pub timeout: Option<Duration>,
    pub cooldown: Option<Duration>,
    /// MQTT QoS 0, 1 or 2 (default 0).
    pub qos: u8,
    pub mqtt_version: MqttVersion,
}

/// HTTP headers a `receiverInfo` may not set: they belong to the transport.
const RESERVED_HEADERS: &[&str] = &[
    "connection",
    "content-length",
    "host",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

impl Endpoint {
    /// Validates `notification.endpoint`.
    pub fn parse(v: &Value) -> Result<Self, NgsiError> {
        let obj = v
            .as_object()
            .ok_or_else(|| NgsiError::bad_data("notification.endpoint must be an object"))?;
        let uri = parse_uri(obj)?;
        let protocol = match uri.scheme() {
            "http" | "https" => Protocol::Http,
            _ => Protocol::Mqtt,
        };
        let accept = match obj.get("accept") {
            None => Accept::Json,
            Some(Value::String(s)) => Accept::parse(s).ok_or_else(|| {
                NgsiError::bad_data(format!(
                    "endpoint.accept {s:?} must be application/json, application/ld+json or application/geo+json"
                ))
            })?,
            Some(_) => return Err(NgsiError::bad_data("endpoint.accept must be a string")),
        };
        if protocol == Protocol::Mqtt && accept == Accept::GeoJson {
            return Err(NgsiError::bad_data(
                "MQTT notifications are application/json or application/ld+json (clause 7.2)",
            ));
        }
        let receiver_info = key_values(obj, "receiverInfo")?;
        if protocol == Protocol::Http {
            check_headers(&receiver_info)?;
        }
        let notifier_info = key_values(obj, "notifierInfo")?;
        let (qos, mqtt_version) = mqtt_params(&notifier_info)?;
        Ok(Self {
            uri,
            protocol,
            accept,
            receiver_info,
            notifier_info,
            timeout: millis(obj, "timeout")?,
            cooldown: millis(obj, "cooldown")?,
            qos,
            mqtt_version,
        })
    }

    /// The value of a `receiverInfo` key (case-insensitive, as for HTTP headers).
    pub fn receiver_value(&self, key: &str) -> Option<&str> {
        self.receiver_info
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

fn parse_uri(obj: &Map<String, Value>) -> Result<Url, NgsiError> {
    let text = obj
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| NgsiError::bad_data("notification.endpoint.uri is required (a URI)"))?;
    let uri = Url::parse(text)
        .map_err(|e| NgsiError::bad_data(format!("endpoint.uri {text:?} is not a URI: {e}")))?;
    if !matches!(uri.scheme(), "http" | "https" | "mqtt" | "mqtts") {
        return Err(NgsiError::bad_data(format!(
            "endpoint.uri scheme {:?} is not supported: use http, https, mqtt or mqtts",
            uri.scheme()
        )));
    }
    if uri.host_str().is_none_or(str::is_empty) {
        return Err(NgsiError::bad_data(format!(
            "endpoint.uri {text:?} has no host"
        )));
    }
    if matches!(uri.scheme(), "mqtt" | "mqtts") && uri.path().trim_start_matches('/').is_empty() {
        return Err(NgsiError::bad_data(format!(
            "MQTT endpoint {text:?} has no topic: mqtt[s]://[user[:password]@]host[:port]/topic"
        )));
    }
    Ok(uri)
}

fn key_values(obj: &Map<String, Value>, name: &str) -> Result<Vec<(String, String)>, NgsiError> {
    let Some(v) = obj.get(name) else {
        return Ok(Vec::new());
    };
    let bad = || {
        NgsiError::bad_data(format!(
            "endpoint.{name} must be an array of {{\"key\", \"value\"}} strings (KeyValuePair, clause 5.2.22)"
        ))
    };
    let list = v.as_array().ok_or_else(bad)?;
    list.iter()
        .map(|kv| {
            let key = kv.get("key").and_then(Value::as_str).ok_or_else(bad)?;
            let value = kv.get("value").and_then(Value::as_str).ok_or_else(bad)?;
            if key.is_empty() {
                return Err(bad());
            }
            Ok((key.to_string(), value.to_string()))
        })
        .collect()
}

fn check_headers(pairs: &[(String, String)]) -> Result<(), NgsiError> {
    for (k, v) in pairs {
        let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| {
            NgsiError::bad_data(format!(
                "receiverInfo key {k:?} is not a valid HTTP header name (RFC 7230)"
            ))
        })?;
        if RESERVED_HEADERS.contains(&name.as_str()) {
            return Err(NgsiError::bad_data(format!(
                "receiverInfo key {k:?} names a header the transport sets itself"
            )));
        }
        HeaderValue::from_str(v).map_err(|_| {
            NgsiError::bad_data(format!(
                "receiverInfo value of {k:?} is not a valid HTTP header value (RFC 7230)"
            ))
        })?;
    }
    Ok(())
}

fn mqtt_params(info: &[(String, String)]) -> Result<(u8, MqttVersion), NgsiError> {
    let mut qos = 0;
    let mut version = MqttVersion::V5;
    for (k, v) in info {
        match k.as_str() {
            "MQTT-QoS" => {
                qos = match v.as_str() {
                    "0" => 0,
                    "1" => 1,
                    "2" => 2,
                    _ => {
                        return Err(NgsiError::bad_data(format!(
                            "notifierInfo MQTT-QoS must be 0, 1 or 2, not {v:?}"
                        )));
                    }
                }
            }
            "MQTT-Version" => {
                version = match v.as_str() {
                    "mqtt3.1.1" => MqttVersion::V311,
                    "mqtt5.0" => MqttVersion::V5,
                    _ => {
                        return Err(NgsiError::bad_data(format!(
                            "notifierInfo MQTT-Version must be mqtt3.1.1 or mqtt5.0, not {v:?}"
                        )));
                    }
                }
            }
            _ => {}
        }
    }
    Ok((qos, version))
}

fn millis(obj: &Map<String, Value>, name: &str) -> Result<Option<Duration>, NgsiError> {
    match obj.get(name) {
        None => Ok(None),
        Some(v) => {
            let ms = v
                .as_f64()
                .filter(|n| *n > 0.0 && n.is_finite() && *n < 1e12);
            ms.map(|ms| Some(Duration::from_secs_f64(ms / 1000.0)))
                .ok_or_else(|| {
                    NgsiError::bad_data(format!(
                        "endpoint.{name} must be a number of milliseconds greater than 0"
                    ))
                })
        }
    }
}
