//! The temporal write endpoints through the router (clauses 6.18.3.1, 6.19.3.2, 6.20-6.22):
//! create and upsert of a temporal evolution (normalized and simplified bodies), adding
//! attributes, modifying and deleting instances, deleting attributes and whole evolutions,
//! with the representation compared structurally and every error case's ProblemDetails type.

mod common;

use common::{TestApp, at};
use http::Method;
use serde_json::{Value, json};

const T: &str = "/ngsi-ld/v1/temporal/entities";
const ID: &str = "urn:ngsi-ld:Vehicle:B9211";

/// The representation without instance ids (checked separately), for structural comparison.
fn without_ids(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        for (_, attr) in m.iter_mut() {
            if let Value::Array(items) = attr {
                for i in items.iter_mut() {
                    if let Value::Object(o) = i {
                        assert!(
                            o.remove("instanceId").is_some_and(|x| x.is_string()),
                            "{i:?}"
                        );
                    }
                }
            }
        }
    }
    v
}

async fn create(app: &TestApp) {
    let body = json!({
        "id": ID, "type": "Vehicle",
        "speed": [
            {"type": "Property", "value": 120, "observedAt": "2018-08-01T12:03:00Z", "unitCode": "KMH"},
            {"type": "Property", "value": 80, "observedAt": "2018-08-01T12:05:00Z", "unitCode": "KMH"}
        ],
        "driver": {"type": "Relationship", "objects": [["urn:ngsi-ld:Person:1", "2018-08-01T12:00:00Z"]]}
    });
    let r = app.json(Method::POST, T, body).await;
    r.assert_status(201);
    assert_eq!(r.header("location"), Some(&*format!("{T}/{ID}")));
}

#[tokio::test]
async fn create_then_retrieve_is_the_temporal_representation() {
    let app = TestApp::new();
    create(&app).await;
    let r = app.get(&format!("{T}/{ID}")).await;
    r.assert_status(200);
    assert_eq!(
        without_ids(r.body.clone()),
        json!({
            "id": ID, "type": "Vehicle",
            "driver": [{"type": "Relationship", "object": "urn:ngsi-ld:Person:1", "observedAt": "2018-08-01T12:00:00.000Z"}],
            "speed": [
                {"type": "Property", "value": 120, "observedAt": "2018-08-01T12:03:00.000Z", "unitCode": "KMH"},
                {"type": "Property", "value": 80, "observedAt": "2018-08-01T12:05:00.000Z", "unitCode": "KMH"}
            ]
        })
    );
    // Simplified: clause 4.5.9, example of C.5.6.
    let r = app
        .get(&format!("{T}/{ID}?options=temporalValues&attrs=speed"))
        .await;
    assert_eq!(
        r.body,
        json!({"id": ID, "type": "Vehicle", "speed": {"type": "Property", "values": [
            [120, "2018-08-01T12:03:00.000Z"], [80, "2018-08-01T12:05:00.000Z"]]}})
    );
    // JSON-LD answers carry @context in the body.
    let r = app
        .send(
            Method::GET,
            &format!("{T}/{ID}"),
            &[("accept", "application/ld+json")],
            None,
        )
        .await;
    assert!(
        r.body["@context"].is_string() || r.body["@context"].is_array(),
        "{}",
        r.text
    );
    // Not found, bad id.
    app.get(&format!("{T}/urn:ngsi-ld:Vehicle:nope"))
        .await
        .assert_problem(404, "ResourceNotFound");
    app.get(&format!("{T}/not-a-uri"))
        .await
        .assert_problem(400, "BadRequestData");
}

#[tokio::test]
async fn upsert_adds_instances_and_types_and_sys_attrs_show_times() {
    let app = TestApp::new();
    create(&app).await;
    let more = json!({"id": ID, "type": ["Vehicle", "Car"],
        "speed": {"type": "Property", "value": 100, "observedAt": "2018-08-01T12:07:00Z"}});
    app.json(Method::POST, T, more).await.assert_status(204);
    let r = app
        .get(&format!("{T}/{ID}?attrs=speed&options=sysAttrs"))
        .await;
    assert_eq!(r.body["type"], json!(["Vehicle", "Car"]));
    let speed = r.body["speed"].as_array().unwrap();
    assert_eq!(speed.len(), 3);
    assert_eq!(speed[2]["value"], 100);
    assert!(
        speed
            .iter()
            .all(|i| i["createdAt"].is_string() && i["modifiedAt"].is_string())
    );
    // Add attributes to an existing evolution; unknown entity is 404.
    let add =
        json!({"fuel": [{"type": "Property", "value": 0.5, "observedAt": "2018-08-01T12:06:00Z"}]});
    app.json(Method::POST, &format!("{T}/{ID}/attrs"), add.clone())
        .await
        .assert_status(204);
    let r = app.get(&format!("{T}/{ID}?attrs=fuel")).await;
    assert_eq!(r.body["fuel"][0]["value"], 0.5);
    app.json(Method::POST, &format!("{T}/urn:ngsi-ld:X:none/attrs"), add)
        .await
        .assert_problem(404, "ResourceNotFound");
}

#[tokio::test]
async fn bad_bodies_are_bad_request_data() {
    let app = TestApp::new();
    let cases = [
        json!({"id": ID, "speed": {"type": "Property", "value": 1}}),
        json!({"type": "Vehicle"}),
        json!({"id": "no uri", "type": "Vehicle"}),
        json!({"id": ID, "type": "Vehicle", "driver": {"type": "Relationship", "object": "not a uri"}}),
        json!({"id": ID, "type": "Vehicle", "speed": []}),
        json!({"id": ID, "type": "Vehicle", "speed": {"type": "Property", "values": [[1]]}}),
        json!({"id": ID, "type": "Vehicle", "speed": {"type": "Property", "value": 1, "observedAt": "yesterday"}}),
        json!([1, 2]),
    ];
    for body in cases {
        let r = app.json(Method::POST, T, body.clone()).await;
        assert_eq!(r.status.as_u16(), 400, "{body}: {}", r.text);
    }
}

async fn speed_ids(app: &TestApp) -> Vec<String> {
    let r = app.get(&format!("{T}/{ID}?attrs=speed")).await;
    r.body["speed"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| i["instanceId"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn instances_are_modified_and_deleted_by_instance_id() {
    let app = TestApp::new();
    create(&app).await;
    let ids = speed_ids(&app).await;
    let url = format!("{T}/{ID}/attrs/speed/{}", ids[0]);
    let before = app
        .get(&format!("{T}/{ID}?attrs=speed&options=sysAttrs"))
        .await;
    let patch = json!({"speed": [{"type": "Property", "value": 125, "observedAt": "2018-08-01T12:03:00Z"}]});
    app.json(Method::PATCH, &url, patch.clone())
        .await
        .assert_status(204);
    let after = app
        .get(&format!("{T}/{ID}?attrs=speed&options=sysAttrs"))
        .await;
    let (b, a) = (&before.body["speed"][0], &after.body["speed"][0]);
    assert_eq!(a["value"], 125);
    assert_eq!(a["instanceId"], b["instanceId"]);
    assert_eq!(
        a["createdAt"], b["createdAt"],
        "createdAt stays (clause 5.6.14.4)"
    );
    assert!(
        a.get("unitCode").is_none(),
        "the instance is replaced as a whole"
    );
    // Errors: unknown instance, instance of another attribute, bad instance id, wrong body.
    let other = ids[1].replace("urn:ngsi-ld:instance:", "urn:ngsi-ld:instance:ff");
    app.json(
        Method::PATCH,
        &format!("{T}/{ID}/attrs/speed/{other}"),
        patch.clone(),
    )
    .await
    .assert_problem(404, "ResourceNotFound");
    app.json(
        Method::PATCH,
        &format!("{T}/{ID}/attrs/speed/urn:x:1"),
        patch.clone(),
    )
    .await
    .assert_problem(404, "ResourceNotFound");
    app.json(
        Method::PATCH,
        &format!("{T}/{ID}/attrs/driver/{}", ids[0]),
        patch.clone(),
    )
    .await
    .assert_problem(404, "ResourceNotFound");
    app.json(Method::PATCH, &format!("{T}/{ID}/attrs/speed/nouri"), patch)
        .await
        .assert_problem(400, "BadRequestData");
    let wrong = json!({"driver": [{"type": "Property", "value": 1}]});
    app.json(Method::PATCH, &url, wrong)
        .await
        .assert_problem(400, "BadRequestData");
    // Delete one instance, then it is gone (and deleting it again is 404).
    app.delete(&url).await.assert_status(204);
    assert_eq!(speed_ids(&app).await, vec![ids[1].clone()]);
    app.delete(&url)
        .await
        .assert_problem(404, "ResourceNotFound");
}

#[tokio::test]
async fn attributes_and_evolutions_are_deleted() {
    let app = TestApp::new();
    create(&app).await;
    let ds = json!({"speed": [{"type": "Property", "value": 7, "datasetId": "urn:ngsi-ld:Dataset:gps", "observedAt": "2018-08-01T12:09:00Z"}]});
    app.json(Method::POST, &format!("{T}/{ID}/attrs"), ds)
        .await
        .assert_status(204);
    let r = app.get(&format!("{T}/{ID}?attrs=speed")).await;
    assert_eq!(r.body["speed"].as_array().unwrap().len(), 3);
    // datasetId selects instances (clause 5.7.3.4), @none the default ones.
    let r = app
        .get(&format!(
            "{T}/{ID}?attrs=speed&datasetId=urn:ngsi-ld:Dataset:gps"
        ))
        .await;
    assert_eq!(r.body["speed"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["speed"][0]["datasetId"], "urn:ngsi-ld:Dataset:gps");
    let r = app
        .get(&format!("{T}/{ID}?attrs=speed&datasetId=@none"))
        .await;
    assert_eq!(r.body["speed"].as_array().unwrap().len(), 2);
    // Delete the default instances only, then the dataset.
    app.delete(&format!("{T}/{ID}/attrs/speed"))
        .await
        .assert_status(204);
    let r = app.get(&format!("{T}/{ID}?attrs=speed")).await;
    assert_eq!(r.body["speed"].as_array().unwrap().len(), 1);
    app.delete(&format!(
        "{T}/{ID}/attrs/speed?datasetId=urn:ngsi-ld:Dataset:other"
    ))
    .await
    .assert_problem(404, "ResourceNotFound");
    app.delete(&format!("{T}/{ID}/attrs/speed?deleteAll=true"))
        .await
        .assert_status(204);
    let r = app.get(&format!("{T}/{ID}")).await;
    assert!(r.body.get("speed").is_none(), "{}", r.text);
    app.delete(&format!("{T}/{ID}/attrs/speed"))
        .await
        .assert_problem(404, "ResourceNotFound");
    app.delete(&format!("{T}/{ID}/attrs/bad%20name"))
        .await
        .assert_problem(400, "BadRequestData");
    // The whole evolution.
    app.delete(&format!("{T}/{ID}")).await.assert_status(204);
    app.get(&format!("{T}/{ID}"))
        .await
        .assert_problem(404, "ResourceNotFound");
    app.delete(&format!("{T}/{ID}"))
        .await
        .assert_problem(404, "ResourceNotFound");
}

#[tokio::test]
async fn entity_api_deletions_are_recorded_with_deleted_at() {
    let app = TestApp::new();
    let id = "urn:ngsi-ld:Gauge:1";
    let e = json!({"id": id, "type": "Gauge", "level": {"type": "Property", "value": 1, "observedAt": at(0)},
                   "name": {"type": "Property", "value": "Nandu"}});
    app.json(Method::POST, "/ngsi-ld/v1/entities", e)
        .await
        .assert_status(201);
    app.delete(&format!("/ngsi-ld/v1/entities/{id}/attrs/name"))
        .await
        .assert_status(204);
    app.delete(&format!("/ngsi-ld/v1/entities/{id}"))
        .await
        .assert_status(204);
    // Without a temporal query every instance shows, deletion records included.
    let r = app.get(&format!("{T}/{id}?options=sysAttrs")).await;
    r.assert_status(200);
    let name = r.body["name"].as_array().unwrap();
    assert_eq!(name.len(), 2, "{}", r.text);
    assert_eq!(name[0]["value"], "Nandu");
    assert_eq!(name[1]["value"], "urn:ngsi-ld:null");
    assert!(name[1]["deletedAt"].is_string());
    let level = r.body["level"].as_array().unwrap();
    assert_eq!(level.len(), 2);
    assert_eq!(level[1]["value"], "urn:ngsi-ld:null");
    // timeproperty=deletedAt selects the deletion records only.
    let r = app
        .get(&format!(
            "{T}/{id}?timerel=after&timeAt=2000-01-01T00:00:00Z&timeproperty=deletedAt"
        ))
        .await;
    assert_eq!(r.body["name"].as_array().unwrap().len(), 1);
    assert!(r.body["name"][0]["deletedAt"].is_string());
    // observedAt (the default) leaves out instances that have none.
    let r = app
        .get(&format!(
            "{T}/{id}?timerel=after&timeAt=2000-01-01T00:00:00Z"
        ))
        .await;
    assert!(r.body.get("name").is_none(), "{}", r.text);
    assert_eq!(r.body["level"].as_array().unwrap().len(), 1);
}
