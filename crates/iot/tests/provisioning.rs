//! Router tests of the FIWARE provisioning API and the HTTP southbound, driven with `oneshot`
//! (no socket): FIWARE JSON as-is, tenants from `fiware-service`, pagination, ProblemDetails,
//! and measurements over HTTP becoming entity state.

mod common;

use common::{HAINAN, config, provision_gauge, start};
use http::StatusCode;
use serde_json::json;

fn problem_type(v: &serde_json::Value) -> &str {
    v["type"].as_str().unwrap_or("")
}

#[tokio::test]
async fn fiware_provisioning_creates_entities_in_the_service_tenant() {
    let f = start(config()).await;
    provision_gauge(&f, "waterkey", "gauge01", "").await;
    let (s, v) = f.call("GET", "/iot/services", HAINAN, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["count"], 1);
    assert_eq!(v["services"][0]["apikey"], "waterkey");
    assert_eq!(v["services"][0]["service"], "hainan");
    let (s, v) = f.call("GET", "/iot/devices/gauge01", HAINAN, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["entity_name"], "urn:ngsi-ld:WaterObserved:gauge01");
    assert_eq!(v["apikey"], "waterkey");
    assert_eq!(v["deviceState"], "provisioned");
    let device = f
        .entity("hainan", "urn:ngsi-ld:Device:gauge01")
        .await
        .unwrap();
    assert_eq!(device["deviceState"], "provisioned");
    assert_eq!(
        device["controlledAsset"],
        "urn:ngsi-ld:WaterObserved:gauge01"
    );
    assert!(
        f.entity("hainan", "urn:ngsi-ld:WaterObserved:gauge01")
            .await
            .is_some()
    );
    assert!(
        f.entity("", "urn:ngsi-ld:Device:gauge01").await.is_none(),
        "tenant isolation"
    );
    let (_, v) = f.call("GET", "/iot/devices", &[], None).await;
    assert_eq!(v["count"], 0, "the default tenant has no devices");
}

#[tokio::test]
async fn http_southbound_finds_the_device_by_apikey_across_tenants() {
    let f = start(config()).await;
    provision_gauge(&f, "waterkey", "gauge01", "").await;
    let json_ct = [("content-type", "application/json")];
    let (s, v) = f
        .call(
            "POST",
            "/iot/json?k=waterkey&i=gauge01",
            &json_ct,
            Some(r#"{"l": 4.1}"#),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let e = f
        .entity("hainan", "urn:ngsi-ld:WaterObserved:gauge01")
        .await
        .unwrap();
    assert_eq!(e["waterLevel"], json!(4.1), "durable before the answer");
    let (s, _) = f
        .call("POST", "/iot/d?k=waterkey&i=gauge01", &[], Some("l|5.5"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let e = f
        .entity("hainan", "urn:ngsi-ld:WaterObserved:gauge01")
        .await
        .unwrap();
    assert_eq!(e["waterLevel"], json!(5.5), "UL text made a number");
    let (s, _) = f
        .call("GET", "/iot/d?k=waterkey&i=gauge01&d=l%7C6", &[], None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let device = f
        .entity("hainan", "urn:ngsi-ld:Device:gauge01")
        .await
        .unwrap();
    assert_eq!(device["deviceState"], "active");
    assert!(device["dateLastValueReported"]["@value"].is_string());
}

#[tokio::test]
async fn southbound_rejections_are_problem_details_and_dead_letters() {
    let f = start(config()).await;
    provision_gauge(&f, "waterkey", "gauge01", "").await;
    f.call(
        "PUT",
        "/iot/services?apikey=waterkey",
        HAINAN,
        Some(r#"{"autoprovision": false}"#),
    )
    .await;
    let cases = [
        (
            "/iot/json?k=waterkey&i=gauge01",
            "{{{ not json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/iot/json?k=waterkey&i=nosuch",
            r#"{"l": 1}"#,
            StatusCode::NOT_FOUND,
        ),
        (
            "/iot/json?k=wrongkey&i=gauge01",
            r#"{"l": 1}"#,
            StatusCode::NOT_FOUND,
        ),
        (
            "/iot/json?k=waterkey&i=gauge01",
            r#"{"l": "high"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            "/iot/json?i=gauge01",
            r#"{"l": 1}"#,
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (uri, body, want) in cases {
        let (s, v) = f.call("POST", uri, &[], Some(body)).await;
        assert_eq!(s, want, "{uri} {body}: {v}");
        assert!(
            problem_type(&v).starts_with("https://uri.etsi.org/ngsi-ld/errors/"),
            "{v}"
        );
    }
    let big = format!(r#"{{"l": "{}"}}"#, "x".repeat(70_000));
    let (s, _) = f
        .call("POST", "/iot/json?k=waterkey&i=gauge01", &[], Some(&big))
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, v) = f.call("GET", "/iot/deadletters?limit=50", &[], None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["count"], 5, "{v}");
    for reason in [
        "malformed",
        "unknown_device",
        "unknown_apikey",
        "mapping_failed",
        "oversized",
    ] {
        assert_eq!(v["totals"][reason], 1, "{reason}: {v}");
    }
    let (_, v) = f
        .call("GET", "/iot/deadletters?reason=malformed", &[], None)
        .await;
    assert_eq!(v["deadletters"][0]["payload"], "{{{ not json");
    let metrics = f.platform.metrics_text();
    assert!(
        metrics.contains("twinisle_iot_rejected_total{reason=\"malformed\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "twinisle_iot_device_errors_total{service=\"hainan\",device_id=\"gauge01\"} 2"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn provisioning_errors_and_conflicts() {
    let f = start(config()).await;
    provision_gauge(&f, "waterkey", "gauge01", "").await;
    let (s, v) = f
        .call(
            "POST",
            "/iot/services",
            HAINAN,
            Some(r#"{"services": [{"apikey": "waterkey"}]}"#),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(
        problem_type(&v),
        "https://uri.etsi.org/ngsi-ld/errors/AlreadyExists"
    );
    let other = [("fiware-service", "other")];
    let (s, _) = f
        .call(
            "POST",
            "/iot/services",
            &other,
            Some(r#"{"services": [{"apikey": "waterkey"}]}"#),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "API keys are unique across services"
    );
    let bad = [
        r#"{"services": [{"apikey": "k/1"}]}"#,
        r#"{"services": [{"apikey": "k2", "entitytype": "X"}]}"#,
        r#"{"services": [{"apikey": "k3", "attributes": [{"name": "x", "type": "Number", "expression": "x | trim"}]}]}"#,
        r#"{"services": [{"apikey": "k4", "static_attributes": [{"name": "n", "type": "Number", "value": "abc"}]}]}"#,
        r#"{"nope": []}"#,
        "[",
    ];
    for body in bad {
        let (s, v) = f.call("POST", "/iot/services", HAINAN, Some(body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
    }
    let (s, _) = f.call("GET", "/iot/devices/nosuch", HAINAN, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = f.call("GET", "/iot/devices?limit=5000", HAINAN, None).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "TooManyResults above the page cap"
    );
    let star = [("fiware-service", "hainan"), ("fiware-servicepath", "/*")];
    let (s, _) = f
        .call("POST", "/iot/devices", &star, Some(r#"{"devices": []}"#))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "no wildcard path for writes");
}

#[tokio::test]
async fn list_update_delete_and_pagination() {
    let f = start(config()).await;
    provision_gauge(&f, "waterkey", "gauge00", "").await;
    for i in 1..5 {
        let body = format!(r#"{{"devices": [{{"device_id": "gauge0{i}"}}]}}"#);
        let (s, v) = f.call("POST", "/iot/devices", HAINAN, Some(&body)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (_, v) = f
        .call("GET", "/iot/devices?limit=2&offset=1", HAINAN, None)
        .await;
    assert_eq!(v["count"], 5);
    let ids: Vec<&str> = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["gauge01", "gauge02"]);
    let (s, _) = f
        .call(
            "PUT",
            "/iot/devices/gauge01",
            HAINAN,
            Some(r#"{"static_attributes": [{"name": "river", "type": "Text", "value": "Nandu"}]}"#),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let e = f
        .entity("hainan", "urn:ngsi-ld:WaterObserved:gauge01")
        .await
        .unwrap();
    assert_eq!(e["river"], "Nandu");
    let (s, _) = f
        .call(
            "PUT",
            "/iot/devices/gauge01",
            HAINAN,
            Some(r#"{"entity_name": "urn:x:y"}"#),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = f
        .call(
            "PUT",
            "/iot/services?apikey=waterkey",
            HAINAN,
            Some(r#"{"autoprovision": false}"#),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = f
        .call("GET", "/iot/services?apikey=waterkey", HAINAN, None)
        .await;
    assert_eq!(v["services"][0]["autoprovision"], false);
    let (s, _) = f.call("DELETE", "/iot/devices/gauge01", HAINAN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let device = f
        .entity("hainan", "urn:ngsi-ld:Device:gauge01")
        .await
        .unwrap();
    assert_eq!(device["deviceState"], "decommissioned");
    let (s, _) = f
        .call(
            "DELETE",
            "/iot/services?apikey=waterkey&resource=/iot/json",
            HAINAN,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = f.call("GET", "/iot/devices", HAINAN, None).await;
    assert_eq!(v["count"], 4, "devices outlive their group");
}

#[tokio::test]
async fn autoprovisioning_follows_the_group_flag() {
    let f = start(config()).await;
    let group = r#"{"services": [{"apikey": "airkey", "entity_type": "AirQualityObserved",
        "attributes": [{"object_id": "p", "name": "pm25", "type": "Number", "unitCode": "GQ"}]}]}"#;
    f.call("POST", "/iot/services", HAINAN, Some(group)).await;
    let (s, v) = f
        .call(
            "POST",
            "/iot/json?k=airkey&i=haikou7",
            &[],
            Some(r#"{"p": "12"}"#),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let e = f
        .entity("hainan", "urn:ngsi-ld:AirQualityObserved:haikou7")
        .await
        .unwrap();
    assert_eq!(e["pm25"], 12);
    let (_, v) = f.call("GET", "/iot/devices/haikou7", HAINAN, None).await;
    assert_eq!(v["entity_type"], "AirQualityObserved");
    f.call(
        "PUT",
        "/iot/services?apikey=airkey",
        HAINAN,
        Some(r#"{"autoprovision": false}"#),
    )
    .await;
    let (s, _) = f
        .call(
            "POST",
            "/iot/json?k=airkey&i=sanya1",
            &[],
            Some(r#"{"p": 3}"#),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn device_tokens_are_required_over_http() {
    let f = start(config()).await;
    provision_gauge(&f, "waterkey", "gauge09", r#", "token": "t0ken""#).await;
    let (_, v) = f.call("GET", "/iot/devices/gauge09", HAINAN, None).await;
    assert!(v.get("token").is_none(), "tokens are never returned");
    let (s, _) = f
        .call(
            "POST",
            "/iot/json?k=waterkey&i=gauge09",
            &[],
            Some(r#"{"l": 1}"#),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let auth = [("x-auth-token", "t0ken")];
    let (s, _) = f
        .call(
            "POST",
            "/iot/json?k=waterkey&i=gauge09",
            &auth,
            Some(r#"{"l": 1}"#),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = f.call("GET", "/iot/about", &[], None).await;
    assert_eq!(v["transport"], "embedded");
}
