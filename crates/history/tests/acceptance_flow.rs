//! The temporal acceptance flow through the router: instances recorded from entity API writes
//! (create + 47 PATCHes with observedAt), all of them in one answer, lastN, between with
//! temporalValues, hourly aggregation against a reference, and 400s for bad parameters.

mod common;

use common::{TestApp, at, q};
use http::Method;
use serde_json::{Value, json};

const EID: &str = "urn:ngsi-ld:WaterObserved:temporal-1";

fn vals() -> Vec<f64> {
    (0..48)
        .map(|i| {
            let v = 1.0 + 0.1 * i as f64 + if i % 3 == 0 { 0.37 } else { 0.0 };
            (v * 1000.0).round() / 1000.0
        })
        .collect()
}

async fn seed(app: &TestApp) {
    let v = vals();
    let r = app
        .json(
            Method::POST,
            "/ngsi-ld/v1/entities",
            json!({"id": EID, "type": "WaterObserved",
                   "waterLevel": {"type": "Property", "value": v[0], "observedAt": at(0)}}),
        )
        .await;
    r.assert_status(201);
    for (i, x) in v.iter().enumerate().skip(1) {
        let body = json!({"waterLevel": {"type": "Property", "value": x, "observedAt": at(30 * i as i64)}});
        let r = app
            .json(
                Method::PATCH,
                &format!("/ngsi-ld/v1/entities/{EID}/attrs"),
                body,
            )
            .await;
        r.assert_status(204);
    }
}

fn sorted_values(inst: &[Value]) -> Vec<f64> {
    let mut pairs: Vec<(String, f64)> = inst
        .iter()
        .map(|i| {
            (
                i["observedAt"].as_str().unwrap().to_string(),
                i["value"].as_f64().unwrap(),
            )
        })
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs.into_iter().map(|p| p.1).collect()
}

#[tokio::test]
async fn recorded_history_answers_like_the_acceptance_checks() {
    let app = TestApp::new();
    seed(&app).await;
    let v = vals();
    let base = format!("/ngsi-ld/v1/temporal/entities/{EID}");
    let r = app
        .get(&format!("{base}?timerel=after&timeAt={}", q(&at(-60))))
        .await;
    r.assert_status(200);
    let inst = r.body["waterLevel"].as_array().unwrap();
    assert_eq!(inst.len(), 48, "{}", r.text);
    assert_eq!(sorted_values(inst), v);
    assert!(inst.iter().all(|i| {
        i["instanceId"]
            .as_str()
            .unwrap()
            .starts_with("urn:ngsi-ld:instance:")
    }));
    let ids: std::collections::HashSet<_> = inst.iter().map(|i| i["instanceId"].clone()).collect();
    assert_eq!(ids.len(), 48);
    assert_eq!(r.body["id"], EID);
    assert_eq!(r.body["type"], "WaterObserved");

    let r = app
        .get(&format!(
            "{base}?timerel=after&timeAt={}&lastN=10",
            q(&at(-60))
        ))
        .await;
    let inst = r.body["waterLevel"].as_array().unwrap();
    let got: Vec<f64> = inst.iter().map(|i| i["value"].as_f64().unwrap()).collect();
    let mut want: Vec<f64> = v[38..].to_vec();
    want.reverse();
    assert_eq!(got, want, "lastN gives the last 10, most recent first");

    let r = app
        .get(&format!(
            "{base}?timerel=between&timeAt={}&endTimeAt={}&options=temporalValues",
            q(&at(120)),
            q(&at(240))
        ))
        .await;
    r.assert_status(200);
    let tv = r.body["waterLevel"]["values"].as_array().unwrap();
    assert_eq!(r.body["waterLevel"]["type"], "Property");
    let got: Vec<f64> = tv.iter().map(|p| p[0].as_f64().unwrap()).collect();
    assert_eq!(got, v[4..8].to_vec(), "between is [timeAt, endTimeAt)");
    assert_eq!(tv[0][1], at(120));

    let r = app
        .get(&format!(
            "{base}?timerel=between&timeAt={}&endTimeAt={}&options=aggregatedValues&aggrMethods=avg,max,totalCount&aggrPeriodDuration=PT1H",
            q(&at(0)),
            q(&at(24 * 60))
        ))
        .await;
    r.assert_status(200);
    let agg = &r.body["waterLevel"];
    let avg = agg["avg"].as_array().unwrap();
    assert_eq!(avg.len(), 24);
    for (h, row) in avg.iter().enumerate() {
        let want = (v[2 * h] + v[2 * h + 1]) / 2.0;
        assert!(
            (row[0].as_f64().unwrap() - want).abs() < 1e-9,
            "hour {h}: {row}"
        );
        assert_eq!(row[1], at(60 * h as i64));
        assert_eq!(row[2], at(60 * (h as i64 + 1)));
    }
    assert!(
        agg["totalCount"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r[0] == 2)
    );
    assert_eq!(agg["max"][0][0].as_f64().unwrap(), v[0].max(v[1]));

    app.get(&format!("{base}?timerel=sometime&timeAt={}", q(&at(0))))
        .await
        .assert_problem(400, "BadRequestData");
    app.get(&format!("{base}?timerel=before"))
        .await
        .assert_problem(400, "BadRequestData");
}
