//! Router tests of the subscription API (clauses 5.8.1-5.8.5, 6.10, 6.11): every operation,
//! its errors with their ETSI types, tenants, pagination, and persistence across a restart.

mod common;

use common::{CORE, Node, fast_config, subscription};
use serde_json::{Value, json};

const SUBS: &str = "/ngsi-ld/v1/subscriptions";
const URI: &str = "http://127.0.0.1:9/notify";

async fn node() -> (tempfile::TempDir, Node) {
    let dir = tempfile::tempdir().unwrap();
    let n = Node::start(dir.path(), fast_config()).await;
    (dir, n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_retrieve_list_and_delete() {
    let (_d, n) = node().await;
    let r = n
        .ok(
            "POST",
            SUBS,
            Some(subscription(
                URI,
                json!({"watchedAttributes": ["n"], "description": "counter"}),
            )),
            201,
        )
        .await;
    let loc = r.header("location").unwrap().to_string();
    assert!(
        loc.starts_with("/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:"),
        "{loc}"
    );
    let got = n.ok("GET", &loc, None, 200).await.body;
    assert_eq!(got["type"], "Subscription");
    assert_eq!(got["status"], "active");
    assert_eq!(got["isActive"], true);
    assert_eq!(got["watchedAttributes"], json!(["n"]));
    assert_eq!(got["description"], "counter");
    assert_eq!(got["jsonldContext"], CORE);
    assert_eq!(got["notification"]["endpoint"]["uri"], URI);
    assert_eq!(format!("{SUBS}/{}", got["id"].as_str().unwrap()), loc);
    let list = n
        .call("GET", &format!("{SUBS}?count=true"), None, &[])
        .await;
    assert_eq!(list.header("ngsild-results-count"), Some("1"));
    assert_eq!(list.body.as_array().map(Vec::len), Some(1));
    n.ok("DELETE", &loc, None, 204).await;
    n.call("GET", &loc, None, &[])
        .await
        .assert_problem(404, "ResourceNotFound");
    n.call("DELETE", &loc, None, &[])
        .await
        .assert_problem(404, "ResourceNotFound");
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_given_id_is_kept_and_a_duplicate_is_already_exists() {
    let (_d, n) = node().await;
    let body = subscription(URI, json!({"id": "urn:ngsi-ld:Subscription:mine"}));
    let r = n.ok("POST", SUBS, Some(body.clone()), 201).await;
    assert_eq!(
        r.header("location"),
        Some("/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:mine")
    );
    n.call("POST", SUBS, Some(body), &[])
        .await
        .assert_problem(409, "AlreadyExists");
    n.call(
        "POST",
        SUBS,
        Some(subscription(URI, json!({"id": "not a uri"}))),
        &[],
    )
    .await
    .assert_problem(400, "BadRequestData");
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_subscriptions_are_bad_request_data() {
    let (_d, n) = node().await;
    let ep = json!({"uri": URI});
    let cases: Vec<(&str, Value)> = vec![
        (
            "no type",
            json!({"entities": [{"type": "T"}], "notification": {"endpoint": ep}}),
        ),
        (
            "wrong type",
            json!({"type": "Sub", "entities": [{"type": "T"}], "notification": {"endpoint": ep}}),
        ),
        (
            "no entities nor watchedAttributes",
            json!({"type": "Subscription", "notification": {"endpoint": ep}}),
        ),
        (
            "empty entities",
            json!({"type": "Subscription", "entities": [], "notification": {"endpoint": ep}}),
        ),
        (
            "selector without type",
            json!({"type": "Subscription", "entities": [{"id": "urn:a"}], "notification": {"endpoint": ep}}),
        ),
        (
            "selector id not a URI",
            json!({"type": "Subscription", "entities": [{"type": "T", "id": "nope"}], "notification": {"endpoint": ep}}),
        ),
        (
            "bad idPattern",
            json!({"type": "Subscription", "entities": [{"type": "T", "idPattern": "(("}], "notification": {"endpoint": ep}}),
        ),
        (
            "empty watchedAttributes",
            json!({"type": "Subscription", "watchedAttributes": [], "notification": {"endpoint": ep}}),
        ),
        (
            "timeInterval with watchedAttributes",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "watchedAttributes": ["a"], "timeInterval": 5, "notification": {"endpoint": ep}}),
        ),
        (
            "throttling with timeInterval",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "throttling": 1, "timeInterval": 5, "notification": {"endpoint": ep}}),
        ),
        (
            "throttling zero",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "throttling": 0, "notification": {"endpoint": ep}}),
        ),
        (
            "unknown trigger",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "notificationTrigger": ["entityTouched"], "notification": {"endpoint": ep}}),
        ),
        (
            "bad q",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "q": "a==", "notification": {"endpoint": ep}}),
        ),
        (
            "bad geoQ",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "geoQ": {"georel": "near", "geometry": "Point", "coordinates": [1, 2]}, "notification": {"endpoint": ep}}),
        ),
        (
            "bad scopeQ",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "scopeQ": "no spaces allowed", "notification": {"endpoint": ep}}),
        ),
        (
            "expiresAt in the past",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "expiresAt": "2001-01-01T00:00:00Z", "notification": {"endpoint": ep}}),
        ),
        (
            "expiresAt not a date",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "expiresAt": "soon", "notification": {"endpoint": ep}}),
        ),
        (
            "no notification",
            json!({"type": "Subscription", "entities": [{"type": "T"}]}),
        ),
        (
            "no endpoint",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "notification": {}}),
        ),
        (
            "ftp endpoint",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "notification": {"endpoint": {"uri": "ftp://x/y"}}}),
        ),
        (
            "bad accept",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "notification": {"endpoint": {"uri": URI, "accept": "text/plain"}}}),
        ),
        (
            "bad receiverInfo",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "notification": {"endpoint": {"uri": URI, "receiverInfo": [{"key": "bad header", "value": "x"}]}}}),
        ),
        (
            "MQTT without topic",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "notification": {"endpoint": {"uri": "mqtt://127.0.0.1:1883"}}}),
        ),
        (
            "bad MQTT-QoS",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "notification": {"endpoint": {"uri": "mqtt://h/t", "notifierInfo": [{"key": "MQTT-QoS", "value": "3"}]}}}),
        ),
        (
            "bad format",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "notification": {"format": "flat", "endpoint": ep}}),
        ),
        (
            "showChanges with keyValues",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "notification": {"format": "keyValues", "showChanges": true, "endpoint": ep}}),
        ),
        (
            "empty attributes",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "notification": {"attributes": [], "endpoint": ep}}),
        ),
        (
            "attributes and pick",
            json!({"type": "Subscription", "entities": [{"type": "T"}], "notification": {"attributes": ["a"], "pick": ["b"], "endpoint": ep}}),
        ),
    ];
    for (what, body) in cases {
        let r = n.call("POST", SUBS, Some(body), &[]).await;
        assert_eq!(r.status.as_u16(), 400, "{what}: {}", r.text);
        assert_eq!(
            r.body["type"],
            format!("{}BadRequestData", common::ERR),
            "{what}: {}",
            r.text
        );
    }
    let r = n.call("POST", SUBS, Some(json!([1])), &[]).await;
    r.assert_problem(400, "BadRequestData");
    let r = n
        .call(
            "POST",
            SUBS,
            Some(subscription(
                URI,
                json!({"notification": {"endpoint": {"uri": URI}, "join": "flat"}}),
            )),
            &[],
        )
        .await;
    r.assert_problem(422, "OperationNotSupported");
    let list = n.ok("GET", SUBS, None, 200).await;
    assert_eq!(list.body, json!([]), "nothing was created");
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_merges_and_follows_the_status_rules() {
    let (_d, n) = node().await;
    let id = "urn:ngsi-ld:Subscription:p";
    let path = format!("{SUBS}/{id}");
    n.ok(
        "POST",
        SUBS,
        Some(subscription(URI, json!({"id": id}))),
        201,
    )
    .await;
    n.ok("PATCH", &path, Some(json!({"isActive": false})), 204)
        .await;
    assert_eq!(n.ok("GET", &path, None, 200).await.body["status"], "paused");
    n.ok(
        "PATCH",
        &path,
        Some(json!({"notification": {"format": "keyValues"}})),
        204,
    )
    .await;
    let got = n.ok("GET", &path, None, 200).await.body;
    assert_eq!(got["notification"]["format"], "keyValues");
    assert_eq!(
        got["notification"]["endpoint"]["uri"], URI,
        "the endpoint is kept"
    );
    let future = "2099-01-01T00:00:00Z";
    n.ok(
        "PATCH",
        &path,
        Some(json!({"isActive": true, "expiresAt": future})),
        204,
    )
    .await;
    let got = n.ok("GET", &path, None, 200).await.body;
    assert_eq!(
        (got["status"].as_str(), got["expiresAt"].as_str()),
        (Some("active"), Some(future))
    );
    n.call(
        "PATCH",
        &path,
        Some(json!({"expiresAt": "2001-01-01T00:00:00Z"})),
        &[],
    )
    .await
    .assert_problem(400, "BadRequestData");
    n.call("PATCH", &path, Some(json!({"id": "urn:other"})), &[])
        .await
        .assert_problem(400, "BadRequestData");
    n.call("PATCH", &path, Some(json!({"throttling": -1})), &[])
        .await
        .assert_problem(400, "BadRequestData");
    n.call(
        "PATCH",
        &format!("{SUBS}/urn:nope"),
        Some(json!({"isActive": true})),
        &[],
    )
    .await
    .assert_problem(404, "ResourceNotFound");
    n.call(
        "PATCH",
        &format!("{SUBS}/nope"),
        Some(json!({"isActive": true})),
        &[],
    )
    .await
    .assert_problem(400, "BadRequestData");
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_isolated_and_an_unknown_tenant_is_nonexistent() {
    let (_d, n) = node().await;
    let h = [("NGSILD-Tenant", "island")];
    let r = n
        .call("POST", SUBS, Some(subscription(URI, json!({}))), &h)
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    assert_eq!(r.header("ngsild-tenant"), Some("island"));
    let loc = r.header("location").unwrap().to_string();
    let own = n.call("GET", SUBS, None, &h).await;
    assert_eq!(own.body.as_array().map(Vec::len), Some(1));
    assert_eq!(n.ok("GET", SUBS, None, 200).await.body, json!([]));
    n.call("GET", &loc, None, &[])
        .await
        .assert_problem(404, "ResourceNotFound");
    n.call("GET", SUBS, None, &[("NGSILD-Tenant", "nobody")])
        .await
        .assert_problem(404, "NonexistentTenant");
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_have_links_and_limits() {
    let (_d, n) = node().await;
    for i in 0..5 {
        let body = subscription(URI, json!({"id": format!("urn:ngsi-ld:Subscription:{i}")}));
        n.ok("POST", SUBS, Some(body), 201).await;
    }
    let r = n
        .ok("GET", &format!("{SUBS}?limit=2&offset=2"), None, 200)
        .await;
    let ids: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["urn:ngsi-ld:Subscription:2", "urn:ngsi-ld:Subscription:3"],
        "creation order"
    );
    let links: Vec<&str> = r
        .headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        links
            .iter()
            .any(|l| l.contains("offset=4") && l.contains("rel=\"next\"")),
        "{links:?}"
    );
    assert!(
        links
            .iter()
            .any(|l| l.contains("offset=0") && l.contains("rel=\"prev\"")),
        "{links:?}"
    );
    n.call("GET", &format!("{SUBS}?limit=100000"), None, &[])
        .await
        .assert_problem(403, "TooManyResults");
    n.call("GET", &format!("{SUBS}?limit=0"), None, &[])
        .await
        .assert_problem(400, "BadRequestData");
    n.call("GET", &format!("{SUBS}?color=red"), None, &[])
        .await
        .assert_problem(400, "BadRequestData");
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_ld_bodies_and_responses_carry_at_context() {
    let (_d, n) = node().await;
    let mut body = subscription(
        URI,
        json!({"id": "urn:ngsi-ld:Subscription:ld", "watchedAttributes": ["speed"]}),
    );
    body["@context"] = json!({"speed": "https://example.org/speed"});
    let h = [("content-type", "application/ld+json")];
    let r = n.call("POST", SUBS, Some(body), &h).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let path = format!("{SUBS}/urn:ngsi-ld:Subscription:ld");
    let plain = n.ok("GET", &path, None, 200).await.body;
    assert_eq!(
        plain["watchedAttributes"],
        json!(["https://example.org/speed"]),
        "compacted with the core context"
    );
    let ld = n
        .call("GET", &path, None, &[("accept", "application/ld+json")])
        .await;
    assert_eq!(ld.header("content-type"), Some("application/ld+json"));
    assert!(
        ld.body["@context"].is_array() || ld.body["@context"].is_string(),
        "{}",
        ld.text
    );
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_json_ld_context_is_ld_context_not_available() {
    let (_d, n) = node().await;
    let body = subscription(
        URI,
        json!({"jsonldContext": "http://127.0.0.1:9/context.jsonld"}),
    );
    n.call("POST", SUBS, Some(body), &[])
        .await
        .assert_problem(503, "LdContextNotAvailable");
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let n = Node::start(dir.path(), fast_config()).await;
    n.ok(
        "POST",
        SUBS,
        Some(subscription(
            URI,
            json!({"id": "urn:ngsi-ld:Subscription:keep"}),
        )),
        201,
    )
    .await;
    n.ok(
        "POST",
        SUBS,
        Some(subscription(
            URI,
            json!({"id": "urn:ngsi-ld:Subscription:gone"}),
        )),
        201,
    )
    .await;
    n.ok(
        "PATCH",
        &format!("{SUBS}/urn:ngsi-ld:Subscription:keep"),
        Some(json!({"isActive": false})),
        204,
    )
    .await;
    n.ok(
        "DELETE",
        &format!("{SUBS}/urn:ngsi-ld:Subscription:gone"),
        None,
        204,
    )
    .await;
    n.stop().await;
    let n = Node::start(dir.path(), fast_config()).await;
    let list = n.ok("GET", SUBS, None, 200).await.body;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0]["id"].as_str(), list[0]["status"].as_str()),
        (Some("urn:ngsi-ld:Subscription:keep"), Some("paused"))
    );
    n.stop().await;
}
