//! Batch operations, queries with pagination, types/attributes and the @context store, through
//! the real router.

mod common;

use common::*;
use http::Method;
use serde_json::{Value, json};

const OPS: &str = "/ngsi-ld/v1/entityOperations";

fn gauges(range: std::ops::Range<usize>) -> Value {
    Value::Array(range.map(|i| json!({"id": format!("urn:ngsi-ld:Gauge:{i:03}"), "type": "Gauge", "level": {"type": "Property", "value": i}})).collect())
}

#[tokio::test]
async fn batch_create_upsert_update_merge_delete() {
    let t = TestApp::new();
    let r = t
        .json(Method::POST, &format!("{OPS}/create"), gauges(0..3))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body,
        json!([
            "urn:ngsi-ld:Gauge:000",
            "urn:ngsi-ld:Gauge:001",
            "urn:ngsi-ld:Gauge:002"
        ])
    );

    let r = t
        .json(Method::POST, &format!("{OPS}/create"), gauges(2..4))
        .await;
    assert_eq!(r.status, 207);
    assert_eq!(r.body["success"], json!(["urn:ngsi-ld:Gauge:003"]));
    assert_eq!(r.body["errors"][0]["entityId"], "urn:ngsi-ld:Gauge:002");
    assert_eq!(
        r.body["errors"][0]["error"]["type"],
        format!("{ERR}AlreadyExists")
    );

    let r = t
        .json(Method::POST, &format!("{OPS}/upsert"), gauges(3..6))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body,
        json!(["urn:ngsi-ld:Gauge:004", "urn:ngsi-ld:Gauge:005"]),
        "only created ids"
    );
    let r = t
        .json(Method::POST, &format!("{OPS}/upsert"), gauges(3..6))
        .await;
    assert_eq!(r.status, 204, "all existed: {}", r.text);

    // Upsert with options=update keeps attributes the body does not mention.
    t.json(
        Method::POST,
        "/ngsi-ld/v1/entities/urn:ngsi-ld:Gauge:000/attrs",
        json!({"extra": {"type": "Property", "value": true}}),
    )
    .await;
    let body = json!([{"id": "urn:ngsi-ld:Gauge:000", "type": "Gauge", "level": {"type": "Property", "value": 50}}]);
    assert_eq!(
        t.json(
            Method::POST,
            &format!("{OPS}/upsert?options=update"),
            body.clone()
        )
        .await
        .status,
        204
    );
    let e = t
        .get("/ngsi-ld/v1/entities/urn:ngsi-ld:Gauge:000?options=keyValues")
        .await
        .body;
    assert_eq!(
        (e["level"].clone(), e["extra"].clone()),
        (json!(50), json!(true))
    );
    assert_eq!(
        t.json(Method::POST, &format!("{OPS}/upsert"), body)
            .await
            .status,
        204
    );
    assert!(
        t.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Gauge:000?options=keyValues")
            .await
            .body
            .get("extra")
            .is_none(),
        "replace mode drops it"
    );

    let upd = json!([{"id": "urn:ngsi-ld:Gauge:001", "level": {"type": "Property", "value": 11}}, {"id": "urn:ngsi-ld:Gauge:999", "level": {"type": "Property", "value": 1}}]);
    let r = t.json(Method::POST, &format!("{OPS}/update"), upd).await;
    assert_eq!(r.status, 207, "{}", r.text);
    assert_eq!(r.body["success"], json!(["urn:ngsi-ld:Gauge:001"]));
    assert_eq!(
        r.body["errors"][0]["error"]["type"],
        format!("{ERR}ResourceNotFound")
    );

    let merge =
        json!([{"id": "urn:ngsi-ld:Gauge:002", "note": {"type": "Property", "value": "checked"}}]);
    assert_eq!(
        t.json(Method::POST, &format!("{OPS}/merge"), merge)
            .await
            .status,
        204
    );

    let r = t
        .json(
            Method::POST,
            &format!("{OPS}/delete"),
            json!(["urn:ngsi-ld:Gauge:004", "urn:ngsi-ld:Gauge:404"]),
        )
        .await;
    assert_eq!(r.status, 207);
    assert_eq!(r.body["success"], json!(["urn:ngsi-ld:Gauge:004"]));

    t.json(Method::POST, &format!("{OPS}/create"), json!([]))
        .await
        .assert_problem(400, "BadRequestData");
    t.json(Method::POST, &format!("{OPS}/create"), json!({"id": "x"}))
        .await
        .assert_problem(400, "BadRequestData");
    t.json(
        Method::POST,
        &format!("{OPS}/upsert?options=sideways"),
        gauges(0..1),
    )
    .await
    .assert_problem(400, "BadRequestData");
}

#[tokio::test]
async fn queries_filter_page_and_count() {
    let t = TestApp::new();
    assert_eq!(
        t.json(Method::POST, &format!("{OPS}/upsert"), gauges(0..50))
            .await
            .status,
        201
    );
    let r = t
        .get("/ngsi-ld/v1/entities?type=Gauge&count=true&limit=10&offset=10")
        .await;
    assert_eq!(r.header("ngsild-results-count"), Some("50"));
    let ids: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.first(), Some(&"urn:ngsi-ld:Gauge:010"));
    assert_eq!(ids.len(), 10);
    let links: Vec<&str> = r
        .headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        links
            .iter()
            .any(|l| l.contains("rel=\"next\"") && l.contains("offset=20")),
        "{links:?}"
    );
    assert!(
        links
            .iter()
            .any(|l| l.contains("rel=\"prev\"") && l.contains("offset=0")),
        "{links:?}"
    );

    let r = t
        .get("/ngsi-ld/v1/entities?type=Gauge&q=level%3E45&options=keyValues")
        .await;
    let mut levels: Vec<i64> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["level"].as_i64().unwrap())
        .collect();
    levels.sort();
    assert_eq!(levels, vec![46, 47, 48, 49]);

    let r = t
        .get("/ngsi-ld/v1/entities?idPattern=Gauge:00%5B0-4%5D$&options=keyValues")
        .await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(5), "{}", r.text);
    let r = t
        .get("/ngsi-ld/v1/entities?id=urn:ngsi-ld:Gauge:001,urn:ngsi-ld:Gauge:002&type=Gauge")
        .await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(2));
    let r = t
        .get("/ngsi-ld/v1/entities?type=Gauge&count=true&limit=0")
        .await;
    assert_eq!(
        (r.body.clone(), r.header("ngsild-results-count")),
        (json!([]), Some("50"))
    );
    let r = t
        .get("/ngsi-ld/v1/entities?type=Gauge&pick=id,level&limit=1")
        .await;
    assert_eq!(
        r.body[0],
        json!({"id": "urn:ngsi-ld:Gauge:000", "level": {"type": "Property", "value": 0}})
    );
    let r = t
        .get("/ngsi-ld/v1/entities?type=Gauge&omit=type,level&limit=1")
        .await;
    assert_eq!(r.body[0], json!({"id": "urn:ngsi-ld:Gauge:000"}));

    let q = json!({"type": "Query", "entities": [{"type": "Gauge"}], "q": "level<3"});
    let r = t
        .json(Method::POST, &format!("{OPS}/query?options=keyValues"), q)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body.as_array().map(Vec::len), Some(3));

    let geo = t
        .get_h(
            "/ngsi-ld/v1/entities?type=Gauge&limit=2",
            &[("accept", "application/geo+json")],
        )
        .await;
    assert_eq!(geo.body["type"], "FeatureCollection");
    assert_eq!(geo.body["features"].as_array().map(Vec::len), Some(2));

    assert_eq!(
        t.delete("/ngsi-ld/v1/entities?type=Gauge&q=level%3C10")
            .await
            .status,
        204
    );
    let r = t
        .get("/ngsi-ld/v1/entities?type=Gauge&count=true&limit=0")
        .await;
    assert_eq!(r.header("ngsild-results-count"), Some("40"));
}

#[tokio::test]
async fn geo_queries_use_real_distances() {
    let t = TestApp::new();
    let haikou = json!({"id": "urn:ngsi-ld:City:haikou", "type": "City", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [110.33, 20.02]}}});
    let sanya = json!({"id": "urn:ngsi-ld:City:sanya", "type": "City", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [109.51, 18.25]}}});
    t.json(
        Method::POST,
        &format!("{OPS}/create"),
        json!([haikou, sanya]),
    )
    .await;
    let near = |m: u32| {
        format!(
            "/ngsi-ld/v1/entities?type=City&georel=near%3BmaxDistance%3D%3D{m}&geometry=Point&coordinates=%5B110.35%2C20.0%5D"
        )
    };
    assert_eq!(
        t.get(&near(5_000)).await.body.as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        t.get(&near(300_000)).await.body.as_array().map(Vec::len),
        Some(2)
    );
    let within = "/ngsi-ld/v1/entities?type=City&georel=within&geometry=Polygon&coordinates=%5B%5B%5B109%2C18%5D%2C%5B110%2C18%5D%2C%5B110%2C19%5D%2C%5B109%2C19%5D%2C%5B109%2C18%5D%5D%5D";
    let r = t.get(within).await;
    assert_eq!(r.body[0]["id"], "urn:ngsi-ld:City:sanya", "{}", r.text);
    t.get("/ngsi-ld/v1/entities?type=City&georel=near%3BmaxDistance%3D%3D10&geometry=Point&coordinates=%5B200%2C100%5D").await.assert_problem(400, "BadRequestData");
}

#[tokio::test]
async fn types_and_attributes_summarise_the_twin() {
    let t = TestApp::new();
    t.json(Method::POST, &format!("{OPS}/upsert"), gauges(0..3))
        .await;
    t.json(
        Method::POST,
        "/ngsi-ld/v1/entities",
        gauge("urn:ngsi-ld:WaterObserved:ta", 1.0),
    )
    .await;
    let r = t.get("/ngsi-ld/v1/types").await;
    assert_eq!(r.body["type"], "EntityTypeList");
    assert_eq!(r.body["typeList"], json!(["Gauge", "WaterObserved"]));
    let r = t.get("/ngsi-ld/v1/types?details=true").await;
    assert_eq!(r.body[0]["typeName"], "Gauge");
    assert_eq!(r.body[0]["attributeNames"], json!(["level"]));
    let r = t.get("/ngsi-ld/v1/types/WaterObserved").await;
    assert_eq!(r.body["entityCount"], 1);
    let details: Vec<(String, Value)> = r.body["attributeDetails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["attributeName"].as_str().unwrap().to_string(),
                a["attributeTypes"].clone(),
            )
        })
        .collect();
    assert!(
        details.contains(&("river".into(), json!(["Relationship"]))),
        "{details:?}"
    );
    t.get("/ngsi-ld/v1/types/Nothing")
        .await
        .assert_problem(404, "ResourceNotFound");
    let r = t.get("/ngsi-ld/v1/attributes").await;
    assert_eq!(
        r.body["attributeList"],
        json!(["level", "location", "river", "waterLevel"])
    );
    let r = t.get("/ngsi-ld/v1/attributes/level").await;
    assert_eq!(
        (
            r.body["attributeCount"].clone(),
            r.body["typeNames"].clone()
        ),
        (json!(3), json!(["Gauge"]))
    );
}

#[tokio::test]
async fn hosted_contexts_can_be_added_listed_used_and_deleted() {
    let t = TestApp::new();
    let doc = json!({"@context": {"level": "https://hainan.example/vocab#level"}});
    let r = t
        .json(Method::POST, "/ngsi-ld/v1/jsonldContexts", doc)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let url = r
        .header("location")
        .unwrap_or_else(|| panic!("{:?} {}", r.headers, r.text))
        .to_string();
    let list = t.get("/ngsi-ld/v1/jsonldContexts?kind=Hosted").await;
    assert!(
        list.body
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u == &json!(url)),
        "{}",
        list.text
    );
    let served = t.get(&url.replace("http://127.0.0.1:1026", "")).await;
    assert_eq!(
        served.body["@context"]["level"],
        "https://hainan.example/vocab#level"
    );
    // Use it in a Link header: `level` now expands to the hosted IRI.
    let link = format!(
        "<{url}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\""
    );
    let e =
        json!({"id": "urn:ngsi-ld:G:1", "type": "G", "level": {"type": "Property", "value": 1}});
    assert_eq!(
        t.json_h(Method::POST, "/ngsi-ld/v1/entities", e, &[("link", &link)])
            .await
            .status,
        201
    );
    let kv = t
        .get("/ngsi-ld/v1/entities/urn:ngsi-ld:G:1?options=keyValues")
        .await
        .body;
    assert_eq!(kv["https://hainan.example/vocab#level"], 1);
    let del = t.delete(&url.replace("http://127.0.0.1:1026", "")).await;
    assert_eq!(del.status, 204, "{}", del.text);
    t.get(&url.replace("http://127.0.0.1:1026", ""))
        .await
        .assert_problem(404, "ResourceNotFound");
}
