//! Query Temporal Evolution of Entities through the router (clauses 5.7.4, 6.18.3.2, 6.24):
//! selection by type, attrs, q (on the states during the interval) and geo-query, entity
//! pagination, POST queries, Content-Range paging of instances (clause 6.3.10), aggregation
//! errors, and parameter validation.

mod common;

use common::{TestApp, at, q};
use http::Method;
use serde_json::{Value, json};

const TQ: &str = "/ngsi-ld/v1/temporal/entities";

async fn gauges(app: &TestApp, n: usize) {
    for g in 0..n {
        let id = format!("urn:ngsi-ld:WaterObserved:g{g}");
        let lon = 110.0 + g as f64 * 0.1;
        let e = json!({"id": id, "type": "WaterObserved",
            "name": {"type": "Property", "value": format!("gauge {g}"), "observedAt": at(-100)},
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, 19.5]}},
            "waterLevel": {"type": "Property", "value": g as f64, "observedAt": at(0)}});
        app.json(Method::POST, "/ngsi-ld/v1/entities", e)
            .await
            .assert_status(201);
        for k in 1..4 {
            let p = json!({"waterLevel": {"type": "Property", "value": g as f64 + k as f64 * 10.0, "observedAt": at(10 * k)}});
            app.json(
                Method::PATCH,
                &format!("/ngsi-ld/v1/entities/{id}/attrs"),
                p,
            )
            .await
            .assert_status(204);
        }
    }
    let air = json!({"id": "urn:ngsi-ld:AirQualityObserved:a1", "type": "AirQualityObserved",
        "pm25": {"type": "Property", "value": 12, "observedAt": at(5)}});
    app.json(Method::POST, "/ngsi-ld/v1/entities", air)
        .await
        .assert_status(201);
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

fn after() -> String {
    format!("timerel=after&timeAt={}", q(&at(-1)))
}

#[tokio::test]
async fn selects_by_type_attrs_q_and_geo() {
    let app = TestApp::new();
    gauges(&app, 4).await;
    let r = app
        .get(&format!("{TQ}?type=WaterObserved&{}", after()))
        .await;
    r.assert_status(200);
    assert_eq!(ids(&r.body).len(), 4);
    assert_eq!(r.body[0]["waterLevel"].as_array().unwrap().len(), 4);
    let r = app.get(&format!("{TQ}?attrs=pm25&{}", after())).await;
    assert_eq!(ids(&r.body), vec!["urn:ngsi-ld:AirQualityObserved:a1"]);
    // q on the states during the interval: gauge 2 reached 32 at minute 30.
    let r = app
        .get(&format!(
            "{TQ}?type=WaterObserved&q=waterLevel%3E31&{}",
            after()
        ))
        .await;
    assert_eq!(
        ids(&r.body),
        vec![
            "urn:ngsi-ld:WaterObserved:g2",
            "urn:ngsi-ld:WaterObserved:g3"
        ]
    );
    // Only the first two instances are in this interval: nobody exceeds 15 then.
    let r = app
        .get(&format!(
            "{TQ}?type=WaterObserved&q=waterLevel%3E15&timerel=before&timeAt={}",
            q(&at(15))
        ))
        .await;
    assert_eq!(ids(&r.body), Vec::<String>::new(), "{}", r.text);
    // The state at the interval's start counts too: names were observed before it.
    let r = app
        .get(&format!(
            "{TQ}?type=WaterObserved&q=name==%22gauge%201%22&timerel=after&timeAt={}",
            q(&at(20))
        ))
        .await;
    assert_eq!(ids(&r.body), vec!["urn:ngsi-ld:WaterObserved:g1"]);
    // Geo: within 15 km of gauge 0's location.
    let r = app
        .get(&format!(
            "{TQ}?type=WaterObserved&georel=near;maxDistance==15000&geometry=Point&coordinates=%5B110.0,19.5%5D&{}",
            after()
        ))
        .await;
    assert_eq!(
        ids(&r.body),
        vec![
            "urn:ngsi-ld:WaterObserved:g0",
            "urn:ngsi-ld:WaterObserved:g1"
        ],
        "{}",
        r.text
    );
}

#[tokio::test]
async fn pages_entities_and_posts_queries() {
    let app = TestApp::new();
    gauges(&app, 5).await;
    let r = app
        .get(&format!(
            "{TQ}?type=WaterObserved&limit=2&offset=2&count=true&{}",
            after()
        ))
        .await;
    assert_eq!(
        ids(&r.body),
        vec![
            "urn:ngsi-ld:WaterObserved:g2",
            "urn:ngsi-ld:WaterObserved:g3"
        ]
    );
    assert_eq!(r.header("ngsild-results-count"), Some("5"));
    let links: Vec<&str> = r
        .headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        links
            .iter()
            .any(|l| l.contains("rel=\"next\"") && l.contains("offset=4")),
        "{links:?}"
    );
    assert!(
        links
            .iter()
            .any(|l| l.contains("rel=\"prev\"") && l.contains("offset=0")),
        "{links:?}"
    );
    app.get(&format!("{TQ}?type=WaterObserved&limit=100000&{}", after()))
        .await
        .assert_problem(403, "TooManyResults");
    let body = json!({"type": "Query", "entities": [{"type": "WaterObserved", "idPattern": ".*g[34]$"}],
        "attrs": ["waterLevel"],
        "temporalQ": {"timerel": "between", "timeAt": at(10), "endTimeAt": at(30), "lastN": 1}});
    let r = app
        .json(
            Method::POST,
            "/ngsi-ld/v1/temporal/entityOperations/query?options=temporalValues",
            body,
        )
        .await;
    r.assert_status(200);
    assert_eq!(
        r.body,
        json!([
            {"id": "urn:ngsi-ld:WaterObserved:g3", "type": "WaterObserved",
             "waterLevel": {"type": "Property", "values": [[23.0, at(20)]]}},
            {"id": "urn:ngsi-ld:WaterObserved:g4", "type": "WaterObserved",
             "waterLevel": {"type": "Property", "values": [[24.0, at(20)]]}}
        ])
    );
    let no_tq = json!({"type": "Query", "entities": [{"type": "WaterObserved"}]});
    app.json(
        Method::POST,
        "/ngsi-ld/v1/temporal/entityOperations/query",
        no_tq,
    )
    .await
    .assert_problem(400, "BadRequestData");
}

#[tokio::test]
async fn partial_answers_carry_content_range() {
    let cfg = history::HistoryConfig {
        max_instances_per_attribute: 3,
        ..common::test_config()
    };
    let app = TestApp::with_config(cfg);
    let id = "urn:ngsi-ld:Sensor:s";
    let values: Vec<Value> = (0..10)
        .map(|i| json!({"type": "Property", "value": i, "observedAt": at(i)}))
        .collect();
    let body = json!({"id": id, "type": "Sensor", "temperature": values, "humidity": [
        {"type": "Property", "value": 50, "observedAt": at(1)},
        {"type": "Property", "value": 60, "observedAt": at(8)}]});
    app.json(Method::POST, TQ, body).await.assert_status(201);
    let r = app
        .get(&format!("{TQ}/{id}?timerel=after&timeAt={}", q(&at(0))))
        .await;
    r.assert_status(206);
    assert_eq!(
        r.header("content-range"),
        Some(&*format!("DateTime {}-{}/*", at(0), at(2)))
    );
    let temps: Vec<i64> = r.body["temperature"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_i64().unwrap())
        .collect();
    assert_eq!(temps, vec![0, 1, 2]);
    assert_eq!(
        r.body["humidity"].as_array().unwrap().len(),
        1,
        "cut at the same instant"
    );
    // Backwards with lastN above the maximum.
    let r = app
        .get(&format!(
            "{TQ}/{id}?timerel=before&timeAt={}&lastN=5",
            q(&at(100))
        ))
        .await;
    r.assert_status(206);
    assert_eq!(
        r.header("content-range"),
        Some(&*format!("DateTime {}-{}/5", at(100), at(7)))
    );
    let temps: Vec<i64> = r.body["temperature"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_i64().unwrap())
        .collect();
    assert_eq!(temps, vec![9, 8, 7]);
    // lastN within the maximum is a complete answer.
    let r = app.get(&format!("{TQ}/{id}?lastN=2")).await;
    r.assert_status(200);
    assert!(r.header("content-range").is_none());
}

#[tokio::test]
async fn parameters_are_validated() {
    let app = TestApp::new();
    gauges(&app, 1).await;
    let g = "urn:ngsi-ld:WaterObserved:g0";
    let bad = [
        (format!("{TQ}?type=WaterObserved"), "BadRequestData"),
        (format!("{TQ}?{}", after()), "BadRequestData"),
        (format!("{TQ}/{g}?lastN=0"), "BadRequestData"),
        (format!("{TQ}/{g}?lastN=x"), "BadRequestData"),
        (
            format!("{TQ}/{g}?timerel=between&timeAt={}", q(&at(0))),
            "BadRequestData",
        ),
        (format!("{TQ}/{g}?timeAt={}", q(&at(0))), "BadRequestData"),
        (
            format!("{TQ}/{g}?timerel=after&timeAt=yesterday"),
            "BadRequestData",
        ),
        (format!("{TQ}/{g}?timeproperty=expiresAt"), "BadRequestData"),
        (
            format!("{TQ}/{g}?options=aggregatedValues"),
            "BadRequestData",
        ),
        (
            format!("{TQ}/{g}?options=aggregatedValues&aggrMethods=median"),
            "BadRequestData",
        ),
        (
            format!("{TQ}/{g}?options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=1H"),
            "BadRequestData",
        ),
        (
            format!("{TQ}/{g}?options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT"),
            "BadRequestData",
        ),
        (
            format!("{TQ}/{g}?options=temporalValues,aggregatedValues&aggrMethods=avg"),
            "BadRequestData",
        ),
        (format!("{TQ}/{g}?options=keyValues"), "InvalidRequest"),
        (format!("{TQ}/{g}?format=keyValues"), "BadRequestData"),
        (format!("{TQ}/{g}?nonsense=1"), "BadRequestData"),
        (
            format!("{TQ}/{g}?datasetId=not%20a%20uri"),
            "BadRequestData",
        ),
        (
            format!("{TQ}/{g}?options=aggregatedValues&aggrMethods=avg&attrs=name"),
            "InvalidRequest",
        ),
    ];
    for (url, kind) in bad {
        let r = app.get(&url).await;
        assert_eq!(
            r.body["type"],
            format!("{}{kind}", common::ERR),
            "{url}: {}",
            r.text
        );
        assert_eq!(r.status.as_u16(), 400, "{url}");
    }
    // Unknown tenant.
    let r = app
        .send(
            Method::GET,
            &format!("{TQ}/{g}"),
            &[("NGSILD-Tenant", "nobody")],
            None,
        )
        .await;
    r.assert_problem(404, "NonexistentTenant");
    // Without attrs, ineligible methods on other attributes do not fail the whole answer.
    let r = app
        .get(&format!(
            "{TQ}/{g}?options=aggregatedValues&aggrMethods=avg,totalCount"
        ))
        .await;
    r.assert_status(200);
    assert_eq!(r.body["waterLevel"]["avg"][0][0], 15.0);
    assert_eq!(r.body["name"]["totalCount"][0][0], 1);
}

#[tokio::test]
async fn tenants_are_separate() {
    let app = TestApp::new();
    let e = json!({"id": "urn:ngsi-ld:T:1", "type": "T", "v": {"type": "Property", "value": 1, "observedAt": at(0)}});
    app.json_h(
        Method::POST,
        "/ngsi-ld/v1/entities",
        e,
        &[("NGSILD-Tenant", "haikou")],
    )
    .await
    .assert_status(201);
    let r = app
        .send(
            Method::GET,
            &format!("{TQ}/urn:ngsi-ld:T:1"),
            &[("NGSILD-Tenant", "haikou")],
            None,
        )
        .await;
    r.assert_status(200);
    app.get(&format!("{TQ}/urn:ngsi-ld:T:1"))
        .await
        .assert_problem(404, "ResourceNotFound");
}
