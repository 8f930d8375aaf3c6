//! Entity endpoints through the real router: content, headers and errors.

mod common;

use common::*;
use http::Method;
use serde_json::json;

const E: &str = "/ngsi-ld/v1/entities";

#[tokio::test]
async fn create_then_retrieve_in_every_representation() {
    let t = TestApp::new();
    let r = t
        .json(Method::POST, E, gauge("urn:ngsi-ld:WaterObserved:1", 2.5))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.header("location"),
        Some("/ngsi-ld/v1/entities/urn:ngsi-ld:WaterObserved:1")
    );

    let r = t.get(&format!("{E}/urn:ngsi-ld:WaterObserved:1")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"], "urn:ngsi-ld:WaterObserved:1");
    assert_eq!(r.body["type"], "WaterObserved");
    assert_eq!(
        r.body["waterLevel"],
        json!({"type": "Property", "value": 2.5, "observedAt": "2026-09-14T08:00:00.000Z", "unitCode": "MTR"})
    );
    assert_eq!(
        r.body["river"],
        json!({"type": "Relationship", "object": "urn:ngsi-ld:River:nandu"})
    );
    assert_eq!(r.body["location"]["type"], "GeoProperty");
    let link = r.header("link").unwrap();
    assert!(
        link.contains(CORE) && link.contains("rel=\"http://www.w3.org/ns/json-ld#context\""),
        "{link}"
    );
    assert_eq!(r.header("content-type"), Some("application/json"));

    let kv = t
        .get(&format!(
            "{E}/urn:ngsi-ld:WaterObserved:1?options=keyValues"
        ))
        .await;
    assert_eq!(kv.body["waterLevel"], 2.5);
    assert_eq!(kv.body["river"], "urn:ngsi-ld:River:nandu");
    assert_eq!(
        kv.body["location"],
        json!({"type": "Point", "coordinates": [110.35, 19.98]})
    );

    let concise = t
        .get(&format!("{E}/urn:ngsi-ld:WaterObserved:1?format=concise"))
        .await;
    assert_eq!(
        concise.body["waterLevel"],
        json!({"value": 2.5, "observedAt": "2026-09-14T08:00:00.000Z", "unitCode": "MTR"})
    );
    assert_eq!(
        concise.body["river"],
        json!({"object": "urn:ngsi-ld:River:nandu"})
    );

    let sys = t
        .get(&format!("{E}/urn:ngsi-ld:WaterObserved:1?options=sysAttrs"))
        .await;
    assert!(
        sys.body["createdAt"].is_string() && sys.body["waterLevel"]["modifiedAt"].is_string(),
        "{}",
        sys.text
    );

    let ld = t
        .get_h(
            &format!("{E}/urn:ngsi-ld:WaterObserved:1"),
            &[("accept", "application/ld+json")],
        )
        .await;
    assert_eq!(ld.header("content-type"), Some("application/ld+json"));
    assert!(ld.header("link").is_none());
    assert_eq!(ld.body["@context"], CORE);

    let geo = t
        .get_h(
            &format!("{E}/urn:ngsi-ld:WaterObserved:1"),
            &[("accept", "application/geo+json")],
        )
        .await;
    assert_eq!(geo.body["type"], "Feature");
    assert_eq!(geo.body["geometry"]["coordinates"], json!([110.35, 19.98]));
    assert_eq!(geo.body["properties"]["type"], "WaterObserved");
}

#[tokio::test]
async fn concise_and_multi_attribute_input() {
    let t = TestApp::new();
    let body = json!({
        "id": "urn:ngsi-ld:Sensor:c1", "type": "Sensor",
        "name": "Nandu bridge",
        "temperature": [
            {"type": "Property", "value": 28.0, "datasetId": "urn:ngsi-ld:ds:air"},
            {"type": "Property", "value": 25.5, "datasetId": "urn:ngsi-ld:ds:water"}
        ],
        "position": {"type": "Point", "coordinates": [110.1, 19.5]},
        "owner": {"object": "urn:ngsi-ld:Dept:water"},
        "label": {"languageMap": {"zh": "南渡江", "en": "Nandu River"}},
        "tags": {"type": "ListProperty", "valueList": [1, 2, 3]},
        "raw": {"type": "JsonProperty", "json": {"any": {"nested": true}}}
    });
    let r = t.json(Method::POST, E, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = t.get(&format!("{E}/urn:ngsi-ld:Sensor:c1")).await;
    assert_eq!(
        r.body["name"],
        json!({"type": "Property", "value": "Nandu bridge"})
    );
    let temps = r.body["temperature"]
        .as_array()
        .expect("multi-attribute as an array");
    assert_eq!(temps.len(), 2);
    assert_eq!(r.body["position"]["type"], "GeoProperty");
    assert_eq!(r.body["owner"]["type"], "Relationship");
    assert_eq!(
        r.body["label"],
        json!({"type": "LanguageProperty", "languageMap": {"zh": "南渡江", "en": "Nandu River"}})
    );
    assert_eq!(r.body["tags"]["valueList"], json!([1, 2, 3]));
    assert_eq!(r.body["raw"]["json"], json!({"any": {"nested": true}}));
    let en = t
        .get(&format!(
            "{E}/urn:ngsi-ld:Sensor:c1?lang=en&options=keyValues"
        ))
        .await;
    assert_eq!(en.body["label"], "Nandu River");
    let en = t
        .get(&format!("{E}/urn:ngsi-ld:Sensor:c1?lang=en&attrs=label"))
        .await;
    assert_eq!(
        en.body["label"],
        json!({"type": "Property", "value": "Nandu River", "lang": "en"})
    );
    assert!(en.body.get("temperature").is_none());
}

#[tokio::test]
async fn update_append_merge_replace_and_delete_attributes() {
    let t = TestApp::new();
    let id = "urn:ngsi-ld:WaterObserved:u1";
    t.json(Method::POST, E, gauge(id, 1.0)).await;
    let url = |s: &str| format!("{E}/{id}{s}");

    let r = t.json(Method::PATCH, &url("/attrs"), json!({"waterLevel": {"type": "Property", "value": 3.75}, "flow": {"type": "Property", "value": 12}})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let e = t.get(&url("?options=keyValues")).await.body;
    assert_eq!(
        (e["waterLevel"].clone(), e["flow"].clone()),
        (json!(3.75), json!(12))
    );

    let r = t.json(Method::POST, &url("/attrs?options=noOverwrite"), json!({"flow": {"type": "Property", "value": 99}, "alertLevel": {"type": "Property", "value": 5}})).await;
    assert_eq!(r.status, 207, "{}", r.text);
    assert_eq!(r.body["updated"], json!(["alertLevel"]));
    assert_eq!(r.body["notUpdated"][0]["attributeName"], "flow");

    // Update Attributes replaced the whole attribute (clause 5.5.8 ex. 2): unitCode is gone.
    assert!(
        t.get(&url("")).await.body["waterLevel"]
            .get("unitCode")
            .is_none()
    );
    t.json(
        Method::PUT,
        &url("/attrs/waterLevel"),
        json!({"type": "Property", "value": 4.0, "unitCode": "MTR"}),
    )
    .await;
    // Partial attribute update keeps members the fragment does not mention (clause 5.5.8 ex. 1).
    let r = t
        .json(
            Method::PATCH,
            &url("/attrs/waterLevel"),
            json!({"type": "Property", "value": 4.2}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let e = t.get(&url("")).await.body;
    assert_eq!(e["waterLevel"]["unitCode"], "MTR");
    assert_eq!(e["waterLevel"]["value"], 4.2);

    let r = t
        .json(
            Method::PUT,
            &url("/attrs/waterLevel"),
            json!({"type": "Property", "value": 5}),
        )
        .await;
    assert_eq!(r.status, 204);
    assert!(
        t.get(&url("")).await.body["waterLevel"]
            .get("unitCode")
            .is_none()
    );

    // Merge: deep merge of object values, NGSI-LD null deletes.
    t.json(
        Method::PATCH,
        &url("/attrs"),
        json!({"address": {"type": "Property", "value": {"street": "A", "city": "Haikou"}}}),
    )
    .await;
    let r = t.json(Method::PATCH, &url(""), json!({"address": {"type": "Property", "value": {"street": "B"}}, "flow": "urn:ngsi-ld:null"})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let e = t.get(&url("?options=keyValues")).await.body;
    assert_eq!(e["address"], json!({"street": "B", "city": "Haikou"}));
    assert!(e.get("flow").is_none());

    let r = t.delete(&url("/attrs/alertLevel")).await;
    assert_eq!(r.status, 204);
    t.delete(&url("/attrs/alertLevel"))
        .await
        .assert_problem(404, "ResourceNotFound");
    t.json(
        Method::PATCH,
        &url("/attrs/nothere"),
        json!({"type": "Property", "value": 1}),
    )
    .await
    .assert_problem(404, "ResourceNotFound");

    let r = t
        .json(
            Method::PUT,
            &url(""),
            json!({"type": "WaterObserved", "waterLevel": {"type": "Property", "value": 0.5}}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let e = t.get(&url("?options=keyValues")).await.body;
    assert_eq!(
        e,
        json!({"id": id, "type": "WaterObserved", "waterLevel": 0.5})
    );

    assert_eq!(t.delete(&url("")).await.status, 204);
    t.get(&url(""))
        .await
        .assert_problem(404, "ResourceNotFound");
    t.delete(&url(""))
        .await
        .assert_problem(404, "ResourceNotFound");
}

#[tokio::test]
async fn datasets_are_deleted_one_at_a_time_or_all() {
    let t = TestApp::new();
    let id = "urn:ngsi-ld:Sensor:ds";
    t.json(
        Method::POST,
        E,
        json!({"id": id, "type": "Sensor", "t": [
        {"type": "Property", "value": 1},
        {"type": "Property", "value": 2, "datasetId": "urn:ngsi-ld:ds:b"}]}),
    )
    .await;
    assert_eq!(
        t.delete(&format!("{E}/{id}/attrs/t?datasetId=urn:ngsi-ld:ds:b"))
            .await
            .status,
        204
    );
    assert_eq!(t.get(&format!("{E}/{id}")).await.body["t"]["value"], 1);
    t.json(
        Method::POST,
        &format!("{E}/{id}/attrs"),
        json!({"t": {"type": "Property", "value": 3, "datasetId": "urn:ngsi-ld:ds:c"}}),
    )
    .await;
    assert_eq!(
        t.delete(&format!("{E}/{id}/attrs/t?deleteAll=true"))
            .await
            .status,
        204
    );
    assert!(t.get(&format!("{E}/{id}")).await.body.get("t").is_none());
}

#[tokio::test]
async fn bad_input_gets_problem_details() {
    let t = TestApp::new();
    let raw = |ct: &str, body: &str| (ct.to_string(), body.as_bytes().to_vec());
    let cases = [
        (
            raw("application/json", "{\"id\": \"urn:x\", \"type\": "),
            400,
            "InvalidRequest",
        ),
        (
            raw(
                "application/json",
                "{\"id\": \"not a uri\", \"type\": \"T\"}",
            ),
            400,
            "BadRequestData",
        ),
        (
            raw("application/json", "{\"id\": \"urn:a:1\"}"),
            400,
            "BadRequestData",
        ),
        (
            raw(
                "application/json",
                "{\"id\": \"urn:a:1\", \"type\": \"T\", \"bad name!\": 1}",
            ),
            400,
            "BadRequestData",
        ),
        (
            raw(
                "application/json",
                "{\"id\": \"urn:a:1\", \"type\": \"T\", \"loc\": {\"type\": \"GeoProperty\", \"value\": {\"type\": \"Point\", \"coordinates\": [500, 1]}}}",
            ),
            400,
            "BadRequestData",
        ),
        (
            raw(
                "application/json",
                "{\"id\": \"urn:a:1\", \"type\": \"T\", \"r\": {\"type\": \"Relationship\", \"object\": \"no uri\"}}",
            ),
            400,
            "BadRequestData",
        ),
        (
            raw(
                "application/json",
                "{\"id\": \"urn:a:1\", \"type\": \"T\", \"@context\": \"x\"}",
            ),
            400,
            "BadRequestData",
        ),
        (
            raw(
                "application/ld+json",
                "{\"id\": \"urn:a:1\", \"type\": \"T\"}",
            ),
            400,
            "BadRequestData",
        ),
        (raw("text/plain", "{}"), 415, "InvalidRequest"),
    ];
    for ((ct, body), status, kind) in cases {
        let r = t
            .send(Method::POST, E, &[("content-type", &ct)], Some(body))
            .await;
        r.assert_problem(status, kind);
    }
    let big = format!(
        "{{\"id\": \"urn:a:1\", \"type\": \"T\", \"x\": \"{}\"}}",
        "a".repeat(70_000)
    );
    t.send(
        Method::POST,
        E,
        &[("content-type", "application/json")],
        Some(big.into_bytes()),
    )
    .await
    .assert_problem(413, "InvalidRequest");
    t.get(&format!("{E}/urn:a:1?bogus=1"))
        .await
        .assert_problem(400, "BadRequestData");
    t.get(&format!("{E}/not-a-uri"))
        .await
        .assert_problem(400, "BadRequestData");
    t.get_h(&format!("{E}/urn:a:1"), &[("accept", "text/html")])
        .await
        .assert_problem(406, "InvalidRequest");
    t.get(&format!("{E}?limit=5"))
        .await
        .assert_problem(400, "BadRequestData");
    t.get(&format!("{E}?type=T&limit=5000"))
        .await
        .assert_problem(403, "TooManyResults");
    t.get(&format!("{E}?type=T&q=a%3E%3E3"))
        .await
        .assert_problem(400, "BadRequestData");
    let r = t.send(Method::PUT, E, &[], None).await;
    r.assert_problem(405, "InvalidRequest");
    assert!(
        r.header("allow").is_some_and(|a| a.contains("POST")),
        "{:?}",
        r.headers
    );
    t.get("/ngsi-ld/v1/nothing-here")
        .await
        .assert_problem(404, "ResourceNotFound");
    let link = format!("<{CORE}>; rel=\"http://www.w3.org/ns/json-ld#context\"");
    let r = t.send(Method::POST, E, &[("content-type", "application/ld+json"), ("link", &link)], Some(br#"{"id":"urn:a:2","type":"T","@context":"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"}"#.to_vec())).await;
    r.assert_problem(400, "BadRequestData");
    t.json(Method::POST, E, gauge("urn:ngsi-ld:WaterObserved:dup", 1.0))
        .await;
    t.json(Method::POST, E, gauge("urn:ngsi-ld:WaterObserved:dup", 1.0))
        .await
        .assert_problem(409, "AlreadyExists");
}

#[tokio::test]
async fn user_contexts_expand_and_compact() {
    let t = TestApp::new();
    let body = json!({
        "@context": [{"level": "https://hainan.example/vocab#waterLevel", "Gauge": "https://hainan.example/vocab#Gauge"}, CORE],
        "id": "urn:ngsi-ld:Gauge:ctx", "type": "Gauge", "level": {"type": "Property", "value": 7}
    });
    let r = t
        .send(
            Method::POST,
            E,
            &[("content-type", "application/ld+json")],
            Some(serde_json::to_vec(&body).unwrap()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Without the user context, names come back as full IRIs.
    let plain = t
        .get(&format!("{E}/urn:ngsi-ld:Gauge:ctx?options=keyValues"))
        .await
        .body;
    assert_eq!(plain["type"], "https://hainan.example/vocab#Gauge");
    assert_eq!(plain["https://hainan.example/vocab#waterLevel"], 7);
    // A query by the full IRI type finds it.
    let r = t
        .get(&format!(
            "{E}?type={}",
            "https%3A%2F%2Fhainan.example%2Fvocab%23Gauge"
        ))
        .await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1), "{}", r.text);
}

#[tokio::test]
async fn tenants_are_isolated() {
    let t = TestApp::new();
    let h = [("NGSILD-Tenant", "sanya")];
    assert_eq!(
        t.json_h(
            Method::POST,
            E,
            gauge("urn:ngsi-ld:WaterObserved:t", 1.0),
            &h
        )
        .await
        .status,
        201
    );
    t.get(&format!("{E}/urn:ngsi-ld:WaterObserved:t"))
        .await
        .assert_problem(404, "ResourceNotFound");
    assert_eq!(
        t.get_h(&format!("{E}/urn:ngsi-ld:WaterObserved:t"), &h)
            .await
            .status,
        200
    );
    t.get_h(
        &format!("{E}?type=WaterObserved"),
        &[("NGSILD-Tenant", "nowhere")],
    )
    .await
    .assert_problem(404, "NonexistentTenant");
    let r = t.get(&format!("{E}?type=WaterObserved")).await;
    assert_eq!(r.body, json!([]), "the default tenant exists and is empty");
    t.get_h(&format!("{E}?type=T"), &[("NGSILD-Tenant", "bad tenant!")])
        .await
        .assert_problem(400, "BadRequestData");
}
