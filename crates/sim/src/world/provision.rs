//! What the scenario asks of the platform before devices speak: one IoT Agent service group
//! per department, the devices (in batches) in iotagent-json's provisioning format, and the
//! static NGSI-LD entities created through the API: the 19 divisions, the national park's
//! core zone, the roads, and the typhoon warning with its forecast track.
//!
//! Owns request bodies only; sending them is the demo driver's job.

use serde_json::{Value, json};

use super::device::Device;
use super::kinds::{Attr, Kind};
use super::traffic::G98_ROAD_ID;
use super::weather::{TRACK, TYPHOON_NAME, Weather};
use crate::hainan::places::{G98, HAIKOU_ROADS};
use crate::hainan::{Hainan, Polyline, geom};
use crate::timefmt::rfc3339;

/// Devices per `POST /iot/devices` request.
pub const DEVICE_BATCH: usize = 100;
/// A device is overdue after this many reporting intervals of silence.
const TIMEOUT_INTERVALS: f64 = 3.0;

/// The `POST /iot/services` body: one service group per department.
pub fn service_groups() -> Value {
    let services: Vec<Value> = Kind::ALL
        .iter()
        .map(|&kind| {
            json!({
                "apikey": kind.apikey(),
                "entity_type": kind.entity_type(),
                "resource": kind.resource(),
                "autoprovision": false,
                "attributes": attributes(kind.attributes()),
            })
        })
        .collect();
    json!({ "services": services })
}

/// `POST /iot/devices` bodies of at most [`DEVICE_BATCH`] devices each. `speed` (simulated
/// seconds per wall second) sets each device's wall-clock `timeout`.
pub fn device_batches(devices: &[Device], speed: f64) -> Vec<Value> {
    devices
        .chunks(DEVICE_BATCH)
        .map(|chunk| {
            let list: Vec<Value> = chunk.iter().map(|d| device(d, speed)).collect();
            json!({ "devices": list })
        })
        .collect()
}

fn device(d: &Device, speed: f64) -> Value {
    let statics: Vec<Value> = d
        .statics
        .iter()
        .map(|(name, ty, value)| json!({"name": name, "type": ty, "value": value}))
        .collect();
    let timeout = (TIMEOUT_INTERVALS * d.interval as f64 / speed.max(1e-3))
        .ceil()
        .max(5.0);
    json!({
        "device_id": d.device_id,
        "entity_name": d.entity_id,
        "entity_type": d.kind.entity_type(),
        "apikey": d.kind.apikey(),
        "protocol": d.kind.protocol(),
        "transport": "MQTT",
        "attributes": attributes(d.kind.attributes()),
        "static_attributes": statics,
        "timeout": timeout as u64,
    })
}

/// IoT Agent attribute mappings, with `unitCode` metadata where a unit is stated.
fn attributes(attrs: &[Attr]) -> Vec<Value> {
    attrs
        .iter()
        .map(|a| {
            let mut v = json!({"object_id": a.object_id, "name": a.name, "type": a.ty});
            if let (Some(unit), Some(obj)) = (a.unit, v.as_object_mut()) {
                obj.insert(
                    "metadata".into(),
                    json!({"unitCode": {"type": "Text", "value": unit}}),
                );
            }
            v
        })
        .collect()
}

/// The static entities, normalised NGSI-LD for `POST /entityOperations/upsert`.
pub fn static_entities(geo: &Hainan, weather: &Weather) -> Vec<Value> {
    let mut out: Vec<Value> = geo
        .counties()
        .iter()
        .map(|c| {
            json!({
                "id": format!("urn:ngsi-ld:AdministrativeArea:{}", c.adcode),
                "type": "AdministrativeArea",
                "name": prop(c.name_zh.as_str()),
                "alternateName": prop(c.name_en),
                "adcode": prop(c.adcode.as_str()),
                "location": geoprop(geom::polygon_json(&c.rings)),
            })
        })
        .collect();
    out.push(json!({
        "id": "urn:ngsi-ld:Park:hainan-tropical-rainforest-core",
        "type": "Park",
        "name": prop("海南热带雨林国家公园核心保护区"),
        "alternateName": prop("Hainan Tropical Rainforest National Park, core protection zone"),
        "description": prop("Approximate core zone around Jianfengling, Bawangling, Yinggeling, \
                             Limushan, Wuzhishan and Diaoluoshan"),
        "location": geoprop(geom::polygon_json(std::slice::from_ref(geo.park()))),
    }));
    out.push(road(
        G98_ROAD_ID,
        "G98海南环岛高速",
        "G98 Hainan Ring Expressway",
        "motorway",
        &Polyline::new(G98),
    ));
    for r in &HAIKOU_ROADS {
        let id = format!("urn:ngsi-ld:Road:haikou-{}", r.slug);
        out.push(road(
            &id,
            r.name_zh,
            r.name_en,
            "primary",
            &Polyline::new(r.course),
        ));
    }
    out.push(typhoon_alert(weather));
    out
}

fn road(id: &str, name: &str, english: &str, class: &str, line: &Polyline) -> Value {
    json!({
        "id": id,
        "type": "Road",
        "name": prop(name),
        "alternateName": prop(english),
        "roadClass": prop(class),
        "length": {"type": "Property", "value": (line.length_km() * 10.0).round() / 10.0, "unitCode": "KMT"},
        "location": geoprop(line.to_json()),
    })
}

/// The typhoon warning issued at the start, its forecast track as the location.
pub fn typhoon_alert(weather: &Weather) -> Value {
    let track: Vec<_> = TRACK.iter().map(|f| f.at).collect();
    let first = TRACK.first().map_or(0.0, |f| f.hours);
    let last = TRACK.last().map_or(0.0, |f| f.hours);
    json!({
        "id": "urn:ngsi-ld:WeatherAlert:typhoon-twinisle",
        "type": "WeatherAlert",
        "name": prop(TYPHOON_NAME),
        "category": prop("weather"),
        "subCategory": prop("tropicalCyclone"),
        "severity": prop("high"),
        "dateIssued": prop(rfc3339(weather.at_hours(first)).as_str()),
        "validFrom": prop(rfc3339(weather.at_hours(first)).as_str()),
        "validTo": prop(rfc3339(weather.at_hours(last)).as_str()),
        "description": prop("Forecast track: landfall near Wenchang, across the central \
                             mountains, out over Dongfang into the Gulf of Tonkin"),
        "location": geoprop(Polyline::new(&track).to_json()),
    })
}

fn prop(value: &str) -> Value {
    json!({"type": "Property", "value": value})
}

fn geoprop(value: Value) -> Value {
    json!({"type": "GeoProperty", "value": value})
}
