//! Geography, ranges, faults and malformed messages over the long run.

use serde_json::Value;

use super::decode::{decode, device, point};
use super::*;

#[test]
fn vessels_stay_at_sea_at_every_report() {
    let run = long_run();
    let geo = run.world.geo();
    let mut reports = 0;
    for m in run
        .messages
        .iter()
        .filter(|m| !m.malformed && m.topic.starts_with("/json/hn-maritime/"))
    {
        let d = decode(m).expect("vessel report decodes");
        let p = d.get("loc").and_then(point).expect("vessel location");
        assert!(geo.on_water(p), "{} ashore at {p:?}", d.device);
        assert!(
            !geo.coastline().contains(p),
            "{} inside the coastline",
            d.device
        );
        reports += 1;
    }
    assert!(reports > 20_000, "{reports} vessel reports");
    // And where every vessel is at the end of the run.
    for (i, d) in run
        .world
        .devices()
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind == Kind::Vessel)
    {
        let p = run.world.position(i).expect("vessel position");
        assert!(geo.on_water(p), "{} ends ashore", d.device_id);
    }
}

#[test]
fn rangers_stay_in_the_park() {
    let run = long_run();
    let park = run.world.geo().park();
    for m in run
        .messages
        .iter()
        .filter(|m| !m.malformed && m.topic.starts_with("/json/hn-ranger/"))
    {
        let d = decode(m).expect("tracker report decodes");
        let p = d.get("loc").and_then(point).expect("tracker location");
        assert!(park.contains(p), "{} left the park at {p:?}", d.device);
    }
}

#[test]
fn fixed_devices_lie_in_their_divisions() {
    let w = world(11);
    let geo = w.geo();
    for d in w.devices() {
        let on_land = matches!(
            d.kind,
            Kind::Gauge | Kind::Air | Kind::Expressway | Kind::Urban
        );
        if on_land {
            assert!(geo.on_island(d.site), "{} at sea", d.device_id);
        }
        if on_land || d.kind == Kind::Weather {
            let adcode = d
                .adcode
                .as_deref()
                .expect("fixed devices know their division");
            let county = geo.county(adcode).expect("known adcode");
            assert!(
                county.contains(d.site),
                "{} outside {}",
                d.device_id,
                county.name_en
            );
        }
        if d.kind == Kind::Gauge {
            let served = d
                .statics
                .iter()
                .find(|s| s.0 == "areaServed")
                .map(|s| s.2.clone());
            let county = d.adcode.as_deref().and_then(|a| geo.county(a));
            assert_eq!(served, county.map(|c| Value::from(c.name_en)));
        }
        if d.kind == Kind::Buoy {
            assert!(
                geo.at_sea_with_margin(d.site, 5.0),
                "{} near land",
                d.device_id
            );
        }
    }
}

/// Plausible bounds per payload key, by API key.
fn bounds(apikey: &str, key: &str) -> Option<(f64, f64)> {
    let b = match (apikey, key) {
        ("hn-water", "l") => (0.0, 30.0),
        ("hn-water", "q") => (0.0, 30_000.0),
        ("hn-air", "pm25") => (0.0, 500.0),
        ("hn-air", "pm10") => (0.0, 600.0),
        ("hn-air", "no2" | "o3") => (0.0, 400.0),
        ("hn-air", "aqi") => (0.0, 500.0),
        ("hn-air" | "hn-weather", "t") => (5.0, 40.0),
        ("hn-air" | "hn-weather", "h") => (0.0, 1.0),
        ("hn-weather", "p") => (900.0, 1030.0),
        ("hn-weather", "ws") => (0.0, 75.0),
        ("hn-weather", "g") => (0.0, 110.0),
        ("hn-weather", "wd" | "cog" | "hdg") | ("hn-maritime", "cog" | "hdg") => (0.0, 360.0),
        ("hn-weather", "r") => (0.0, 200.0),
        ("hn-ocean", "wh") => (0.0, 16.0),
        ("hn-ocean", "wp") => (2.0, 20.0),
        ("hn-ocean", "wl") => (0.0, 9.0),
        ("hn-ocean", "st") => (15.0, 35.0),
        ("hn-ocean", "sal") => (25.0, 40.0),
        ("hn-traffic" | "hk-traffic", "i") => (0.0, 1000.0),
        ("hn-traffic" | "hk-traffic", "o") => (0.0, 1.0),
        ("hn-traffic" | "hk-traffic", "s") => (0.0, 130.0),
        ("hn-maritime", "sog") => (0.0, 15.0),
        ("hn-ranger", "b") => (0.0, 1.0),
        _ => return None,
    };
    Some(b)
}

#[test]
fn readings_stay_within_physical_ranges() {
    let run = long_run();
    let mut checked = 0;
    for m in run.messages.iter().filter(|m| !m.malformed) {
        let d = decode(m).expect("a well-formed message decodes");
        let dev = device(&run.world, &d.device).expect("a known device");
        // Spiking and drifting sensors are wrong on purpose.
        if matches!(dev.fault, Fault::Spike | Fault::Drift(_)) {
            continue;
        }
        assert_eq!(d.time, crate::timefmt::rfc3339(m.sim_time));
        for (key, value) in &d.values {
            if let (Some((lo, hi)), Some(x)) = (bounds(&d.apikey, key), value.as_f64()) {
                assert!(
                    (lo..=hi).contains(&x),
                    "{} {key}={x} outside {lo}..{hi}",
                    d.device
                );
                checked += 1;
            }
        }
        let statuses: &[&str] = match d.apikey.as_str() {
            "hn-water" => &["Normal", "Alert", "Danger"],
            "hn-maritime" => &[],
            _ => continue,
        };
        if let Some(s) = d.get("s").and_then(Value::as_str) {
            assert!(statuses.contains(&s), "{s}");
        }
        if let Some(nav) = d.number("nav") {
            assert!(
                [0.0, 1.0, 5.0, 7.0].contains(&nav),
                "navigation status {nav}"
            );
        }
    }
    assert!(checked > 200_000, "{checked} values checked");
}

#[test]
fn static_entities_are_valid_geojson() {
    let w = world(1);
    let entities = static_entities(w.geo(), w.weather());
    let areas = entities
        .iter()
        .filter(|e| e["type"] == "AdministrativeArea")
        .count();
    assert_eq!(areas, 19);
    let mut ids: Vec<&str> = entities.iter().filter_map(|e| e["id"].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), entities.len());
    for e in &entities {
        let geometry = &e["location"]["value"];
        let polygons: Vec<&Value> = match geometry["type"].as_str() {
            Some("Polygon") => vec![&geometry["coordinates"]],
            Some("MultiPolygon") => geometry["coordinates"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default(),
            Some("LineString") => continue,
            other => panic!("unexpected geometry {other:?} in {}", e["id"]),
        };
        let mut positions = 0;
        for poly in polygons {
            for ring in poly.as_array().expect("rings") {
                let ring = ring.as_array().expect("positions");
                assert!(ring.len() >= 4);
                assert_eq!(ring.first(), ring.last(), "open ring in {}", e["id"]);
                positions += ring.len();
                // Re-read exactly what is sent: it must still be a simple ring.
                let parsed = ring.iter().map(|p| {
                    let x = |i: usize| p[i].as_f64().expect("coordinate");
                    crate::hainan::ll(x(0), x(1))
                });
                let simple = crate::hainan::Ring::new(parsed).map(|r| r.is_simple());
                assert_eq!(simple, Some(true), "self-touching ring in {}", e["id"]);
            }
        }
        assert!(positions <= 10_000, "{} has {positions} positions", e["id"]);
    }
}

#[test]
fn malformed_messages_are_rare_and_really_broken() {
    let run = long_run();
    let bad: Vec<&Message> = run.messages.iter().filter(|m| m.malformed).collect();
    let share = bad.len() as f64 / run.messages.len() as f64;
    assert!((0.002..0.01).contains(&share), "malformed share {share}");
    for m in bad {
        let broken = match decode(m) {
            None => true,
            Some(d) => {
                device(&run.world, &d.device).is_none_or(|dev| dev.kind.apikey() != d.apikey)
            }
        };
        assert!(
            broken,
            "{} {:?} decodes as a valid measurement",
            m.topic,
            String::from_utf8_lossy(&m.payload)
        );
    }
    let mut cfg = WorldConfig::new(7, 1.0, START);
    cfg.malformed_rate = 0.0;
    let clean = World::new(cfg).expect("world");
    assert!(clean.take(5_000).all(|m| !m.malformed));
}

#[test]
fn faults_freeze_drift_and_silence_devices() {
    let mut faulty = world(5);
    let mut healthy = world(5);
    for (i, fault) in [
        Fault::Stuck(START + HOUR_S),
        Fault::Silent(START + 2 * HOUR_S),
        Fault::Drift(0.05),
    ]
    .into_iter()
    .enumerate()
    {
        faulty.devices[i].fault = fault;
        healthy.devices[i].fault = Fault::None;
    }
    let ids: Vec<String> = faulty.devices[..3]
        .iter()
        .map(|d| d.device_id.clone())
        .collect();
    let of = |msgs: &[Message], id: &str| -> Vec<Message> {
        msgs.iter()
            .filter(|m| !m.malformed && m.topic.contains(&format!("/{id}/")))
            .cloned()
            .collect()
    };
    let until = |w: World| {
        w.take_while(|m| m.sim_time < START + 4 * HOUR_S)
            .collect::<Vec<_>>()
    };
    let (bad, good) = (until(faulty), until(healthy));

    let stuck: Vec<Vec<(String, Value)>> = of(&bad, &ids[0])
        .iter()
        .filter(|m| m.sim_time > START + HOUR_S)
        .filter_map(|m| decode(m).map(|d| d.values))
        .collect();
    assert!(
        stuck.len() > 10 && stuck.windows(2).all(|w| w[0] == w[1]),
        "stuck sensor varies"
    );

    assert!(
        of(&bad, &ids[1])
            .iter()
            .all(|m| m.sim_time < START + 2 * HOUR_S)
    );
    assert!(
        of(&good, &ids[1])
            .iter()
            .any(|m| m.sim_time > START + 3 * HOUR_S)
    );

    let drifted = of(&bad, &ids[2]);
    let plain = of(&good, &ids[2]);
    let (last_bad, last_good) = (
        drifted.last().and_then(decode),
        plain.last().and_then(decode),
    );
    let level =
        |d: &Option<super::decode::Decoded>| d.as_ref().and_then(|d| d.number("l")).unwrap_or(0.0);
    assert!(
        level(&last_bad) > level(&last_good) * 1.1,
        "drift not visible"
    );
}
