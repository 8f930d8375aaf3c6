//! Aggregated temporal representation (clause 4.5.19) against a straightforward reference
//! computed here over generated data: every method, periods left empty, instances exactly on
//! period boundaries, the range bounds, a whole-range (`PT0S`) period and calendar months.

mod common;

use common::{TestApp, q};
use http::Method;
use serde_json::{Value, json};

const T: &str = "/ngsi-ld/v1/temporal/entities";
const ID: &str = "urn:ngsi-ld:Sensor:agg";
const MIN: i64 = 60_000_000;

fn t0() -> i64 {
    ngsi::time::parse("2026-09-14T00:00:00Z").unwrap()
}

/// (time, value) pairs: a deterministic walk, a gap from hour 3 to hour 6, some instances on
/// exact hour boundaries and one just before the range's end.
fn data() -> Vec<(i64, f64)> {
    let mut x: u64 = 0x2545F4914F6CDD1D;
    let mut out = Vec::new();
    for k in 0..200i64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let minute = k * 3 + (x % 3) as i64;
        if (180..360).contains(&minute) {
            continue;
        }
        let v = ((x % 10_000) as f64) / 100.0 - 20.0;
        out.push((t0() + minute * MIN, v));
    }
    out.push((t0() + 60 * MIN, 99.5));
    out.push((t0() + 600 * MIN - 1, -3.25));
    out.push((t0() + 600 * MIN, 1000.0));
    out.push((t0() - 1, 1000.0));
    out
}

fn reference(data: &[(i64, f64)], lo: i64, hi: i64, len: i64) -> Vec<(i64, i64, Vec<f64>)> {
    let mut periods: Vec<(i64, i64, Vec<f64>)> = Vec::new();
    let mut start = lo;
    while start < hi {
        let end = (start + len).min(hi);
        let vals: Vec<f64> = data
            .iter()
            .filter(|(t, _)| *t >= start && *t < end)
            .map(|(_, v)| *v)
            .collect();
        if !vals.is_empty() {
            periods.push((start, end, vals));
        }
        start = end;
    }
    periods
}

fn stats(v: &[f64], method: &str) -> Value {
    let n = v.len() as f64;
    let sum: f64 = v.iter().sum();
    let mean = sum / n;
    match method {
        "totalCount" => json!(v.len()),
        "distinctCount" => {
            let mut s: Vec<u64> = v.iter().map(|x| x.to_bits()).collect();
            s.sort();
            s.dedup();
            json!(s.len())
        }
        "sum" => json!(sum),
        "avg" => json!(mean),
        "min" => json!(v.iter().cloned().fold(f64::INFINITY, f64::min)),
        "max" => json!(v.iter().cloned().fold(f64::NEG_INFINITY, f64::max)),
        "sumsq" => json!(v.iter().map(|x| x * x).sum::<f64>()),
        "stddev" => json!((v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt()),
        _ => Value::Null,
    }
}

const METHODS: [&str; 8] = [
    "totalCount",
    "distinctCount",
    "sum",
    "avg",
    "min",
    "max",
    "stddev",
    "sumsq",
];

async fn seed(app: &TestApp, via_entity_api: bool) {
    let d = data();
    if via_entity_api {
        let first = json!({"id": ID, "type": "Sensor", "level": {"type": "Property", "value": d[0].1, "observedAt": ngsi::time::format(d[0].0)}});
        app.json(Method::POST, "/ngsi-ld/v1/entities", first)
            .await
            .assert_status(201);
        for (t, v) in &d[1..] {
            let p = json!({"level": {"type": "Property", "value": v, "observedAt": ngsi::time::format(*t)}});
            app.json(
                Method::PATCH,
                &format!("/ngsi-ld/v1/entities/{ID}/attrs"),
                p,
            )
            .await
            .assert_status(204);
        }
        return;
    }
    let inst: Vec<Value> = d
        .iter()
        .map(|(t, v)| json!({"type": "Property", "value": v, "observedAt": ngsi::time::format(*t)}))
        .collect();
    app.json(
        Method::POST,
        T,
        json!({"id": ID, "type": "Sensor", "level": inst}),
    )
    .await
    .assert_status(201);
}

fn close(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * (1.0 + y.abs()),
        _ => a == b,
    }
}

async fn check(app: &TestApp, lo: i64, hi: i64, len: i64, duration: &str) {
    let url = format!(
        "{T}/{ID}?timerel=between&timeAt={}&endTimeAt={}&aggrMethods={}&aggrPeriodDuration={duration}&format=aggregatedValues",
        q(&ngsi::time::format(lo)),
        q(&ngsi::time::format(hi)),
        METHODS.join(",")
    );
    let r = app.get(&url).await;
    r.assert_status(200);
    let want = reference(&data(), lo, hi, len);
    for m in METHODS {
        let got = r.body["level"][m]
            .as_array()
            .unwrap_or_else(|| panic!("{m}: {}", r.text));
        assert_eq!(
            got.len(),
            want.len(),
            "{m} {duration}: one row per non-empty period"
        );
        for (row, (start, end, vals)) in got.iter().zip(&want) {
            assert_eq!(row[1], ngsi::time::format(*start), "{m} start");
            assert_eq!(row[2], ngsi::time::format(*end), "{m} end");
            assert!(
                close(&row[0], &stats(vals, m)),
                "{m} {duration} at {}: {} vs {}",
                row[1],
                row[0],
                stats(vals, m)
            );
        }
    }
}

#[tokio::test]
async fn aggregations_match_the_reference() {
    let app = TestApp::new();
    seed(&app, false).await;
    let (lo, hi) = (t0(), t0() + 600 * MIN);
    check(&app, lo, hi, 60 * MIN, "PT1H").await;
    check(&app, lo, hi, 25 * MIN, "PT25M").await;
    check(&app, lo + 7 * MIN, hi, 60 * MIN, "PT1H").await;
    check(&app, lo, hi, hi - lo, "PT0S").await;
    check(&app, lo, hi, 86_400_000_000, "P1D").await;
}

#[tokio::test]
async fn recorded_history_aggregates_the_same() {
    let app = TestApp::new();
    seed(&app, true).await;
    check(&app, t0(), t0() + 600 * MIN, 60 * MIN, "PT1H").await;
    check(&app, t0(), t0() + 600 * MIN, 30 * MIN, "PT30M").await;
}

#[tokio::test]
async fn months_follow_the_calendar_and_open_ranges_start_at_the_data() {
    let app = TestApp::new();
    let day = 86_400_000_000i64;
    let jan31 = ngsi::time::parse("2026-01-31T00:00:00Z").unwrap();
    let inst: Vec<Value> = (0..100)
        .map(|d| json!({"type": "Property", "value": d, "observedAt": ngsi::time::format(jan31 + d * day)}))
        .collect();
    app.json(
        Method::POST,
        T,
        json!({"id": ID, "type": "Sensor", "n": inst}),
    )
    .await
    .assert_status(201);
    let r = app
        .get(&format!("{T}/{ID}?timerel=before&timeAt={}&aggrMethods=totalCount&aggrPeriodDuration=P1M&options=aggregatedValues",
            q("2026-05-11T00:00:00Z")))
        .await;
    let rows = r.body["n"]["totalCount"].as_array().unwrap();
    let starts: Vec<&str> = rows.iter().map(|r| r[1].as_str().unwrap()).collect();
    assert_eq!(
        starts,
        [
            "2026-01-31T00:00:00.000Z",
            "2026-02-28T00:00:00.000Z",
            "2026-03-31T00:00:00.000Z",
            "2026-04-30T00:00:00.000Z"
        ]
    );
    let counts: Vec<i64> = rows.iter().map(|r| r[0].as_i64().unwrap()).collect();
    assert_eq!(counts, [28, 31, 30, 11]);
    assert_eq!(
        rows[3][2], "2026-05-11T00:00:00.000Z",
        "the last period ends at timeAt"
    );
}
