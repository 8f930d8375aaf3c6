//! The typhoon's consequences: wind, rain, sea and rivers rise along its track, some gauges
//! pass their alert and danger levels, traffic slows, ferries and boats stay in port.
//!
//! Storm windows are compared with the same hours of the next day, when the typhoon has gone,
//! so the diurnal cycles cancel out.

use std::collections::HashMap;

use serde_json::Value;

use super::decode::{Decoded, decode, device};
use super::*;

/// Decoded healthy messages from `apikey` in hours `[from, to)` of the long run.
fn window(apikey: &str, (from, to): (i64, i64)) -> Vec<(i64, Decoded)> {
    let run = long_run();
    run.messages
        .iter()
        .filter(|m| {
            !m.malformed && (START + from * HOUR_S..START + to * HOUR_S).contains(&m.sim_time)
        })
        .filter_map(|m| decode(m).map(|d| (m.sim_time, d)))
        .filter(|(_, d)| d.apikey == apikey)
        .filter(|(_, d)| device(&run.world, &d.device).is_some_and(|dev| dev.fault == Fault::None))
        .collect()
}

/// The largest value of `key` per device in a window.
fn peaks(rows: &[(i64, Decoded)], key: &str) -> HashMap<String, f64> {
    let mut out: HashMap<String, f64> = HashMap::new();
    for (_, d) in rows {
        if let Some(x) = d.number(key) {
            let e = out.entry(d.device.clone()).or_insert(f64::MIN);
            *e = e.max(x);
        }
    }
    out
}

fn count_above(p: &HashMap<String, f64>, limit: f64) -> usize {
    p.values().filter(|&&x| x > limit).count()
}

#[test]
fn wind_and_rain_rise_along_the_track() {
    let storm = window("hn-weather", (6, 18));
    let after = window("hn-weather", (30, 42));
    let gales = count_above(&peaks(&storm, "ws"), 17.2);
    assert!(gales >= 4, "{gales} stations saw a gale during the typhoon");
    assert_eq!(
        count_above(&peaks(&after, "ws"), 17.2),
        0,
        "gales a day later"
    );
    let downpours = count_above(&peaks(&storm, "r"), 20.0);
    assert!(downpours >= 4, "{downpours} stations had 20 mm in an hour");
    assert!(count_above(&peaks(&after, "r"), 20.0) <= 1);
    // The pressure falls towards the centre: the landfall station reads lowest near landfall.
    let wenchang = peaks(&window("hn-weather", (0, 2)), "p");
    let low: f64 = storm
        .iter()
        .filter(|(_, d)| d.device == "wx-wenchang-01")
        .filter_map(|(_, d)| d.number("p"))
        .fold(f64::MAX, f64::min);
    let before = wenchang
        .get("wx-wenchang-01")
        .expect("Wenchang reports in the first hours");
    assert!(low < before - 20.0, "pressure at Wenchang {before} → {low}");
}

#[test]
fn the_sea_builds_up_and_calms_down() {
    let storm = peaks(&window("hn-ocean", (6, 24)), "wh");
    let before = peaks(&window("hn-ocean", (0, 1)), "wh");
    assert!(count_above(&storm, 4.0) >= 3, "{storm:?}");
    assert!(before.values().all(|&h| h < 3.5), "{before:?}");
}

#[test]
fn rivers_rise_with_lag_and_pass_alert_and_danger() {
    let run = long_run();
    let start = peaks(&window("hn-water", (0, 1)), "l");
    let rows = window("hn-water", (0, 48));
    let peak = peaks(&rows, "l");
    let risen = peak
        .iter()
        .filter(|&(id, &p)| start.get(id).is_some_and(|&s| p > s + 2.0))
        .count();
    assert!(risen >= 6, "{risen} gauges rose by 2 m");
    let status = |s: &str| {
        rows.iter()
            .filter(|(_, d)| d.get("s") == Some(&Value::from(s)))
            .count()
    };
    assert!(status("Alert") > 0 && status("Danger") > 0);
    for (_, d) in &rows {
        let dev = device(&run.world, &d.device).expect("gauge");
        let level = |name: &str| {
            dev.statics
                .iter()
                .find(|s| s.0 == name)
                .and_then(|s| s.2.as_f64())
        };
        let (alert, danger) = (
            level("alertLevel").expect("alert"),
            level("dangerLevel").expect("danger"),
        );
        let l = d.number("l").expect("level");
        let expect = if l >= danger {
            "Danger"
        } else if l >= alert {
            "Alert"
        } else {
            "Normal"
        };
        assert_eq!(
            d.get("s"),
            Some(&Value::from(expect)),
            "{} at {l}",
            d.device
        );
    }
    // Rivers peak hours after the rain (the landfall is at +8 h).
    let (t_peak, _) = rows
        .iter()
        .filter_map(|(t, d)| d.number("l").map(|l| (*t, l)))
        .fold(
            (0, f64::MIN),
            |best, (t, l)| if l > best.1 { (t, l) } else { best },
        );
    assert!(
        t_peak > START + 14 * HOUR_S,
        "peak at +{} h",
        (t_peak - START) / HOUR_S
    );
}

#[test]
fn traffic_slows_in_the_storm() {
    let mean_speed = |hours| {
        let rows = window("hn-traffic", hours);
        let speeds: Vec<f64> = rows.iter().filter_map(|(_, d)| d.number("s")).collect();
        speeds.iter().sum::<f64>() / speeds.len().max(1) as f64
    };
    let (storm, after) = (mean_speed((10, 20)), mean_speed((34, 44)));
    assert!(
        storm < 0.9 * after,
        "G98 mean speed {storm:.1} in the storm vs {after:.1} a day later"
    );
}

#[test]
fn ferries_wait_out_the_gale_and_boats_run_for_shelter() {
    let rows = window("hn-maritime", (0, 48));
    let moored_boats = rows
        .iter()
        .filter(|(_, d)| d.number("nav") == Some(5.0))
        .filter(|(_, d)| d.get("sog").and_then(Value::as_f64) == Some(0.0))
        .filter(|(_, d)| {
            let dev = device(&long_run().world, &d.device);
            dev.is_some_and(|v| v.statics.iter().any(|s| s.0 == "vesselType" && s.2 == 3))
        })
        .count();
    assert!(moored_boats > 0, "no fishing boat sheltered");
    // Once both terminals have had a gale for two hours (longer than any crossing), every
    // ferry is moored: none may sail into it.
    let run = long_run();
    let gale = |t: i64| {
        use crate::hainan::places::{XIUYING, XUWEN};
        let w = |p| run.world.weather().wind(p, t, 0.0).speed;
        w(XIUYING.berth) > 17.2 && w(XUWEN.berth) > 17.2
    };
    let closed = |t: i64| (0..=12).all(|k| gale(t - k * 600));
    let is_ferry = |id: &str| {
        let dev = device(&run.world, id);
        dev.is_some_and(|v| {
            v.statics
                .iter()
                .any(|s| s.0 == "name" && s.2.as_str().is_some_and(|n| n.starts_with("Haixia")))
        })
    };
    let during: Vec<&(i64, Decoded)> = rows
        .iter()
        .filter(|(t, d)| closed(*t) && is_ferry(&d.device))
        .collect();
    assert!(!during.is_empty(), "the strait never closed");
    for (t, d) in during {
        assert_eq!(
            d.number("nav"),
            Some(5.0),
            "{} under way at +{} h",
            d.device,
            (t - START) / HOUR_S
        );
    }
}
