//! History after a crash: the data directory of a running node is copied while it writes (what
//! `kill -9` leaves behind), reopened, and every acknowledged write must be in history exactly
//! once, with the instance ids it had before, whether history had flushed it or not.

mod common;

use std::collections::BTreeMap;

use common::{TestApp, at, copy_tree};
use http::Method;
use serde_json::json;

const ID: &str = "urn:ngsi-ld:WaterObserved:crash";

async fn write(app: &TestApp, from: i64, to: i64) {
    for i in from..to {
        let p = json!({"waterLevel": {"type": "Property", "value": i, "observedAt": at(i)},
                       "flow": {"type": "Property", "value": i * 2, "observedAt": at(i)}});
        app.json(
            Method::PATCH,
            &format!("/ngsi-ld/v1/entities/{ID}/attrs"),
            p,
        )
        .await
        .assert_status(204);
    }
}

/// observedAt -> (value, instanceId) of every waterLevel instance.
async fn levels(app: &TestApp) -> BTreeMap<String, (i64, String)> {
    let r = app
        .get(&format!(
            "/ngsi-ld/v1/temporal/entities/{ID}?attrs=waterLevel"
        ))
        .await;
    r.assert_status(200);
    let mut out = BTreeMap::new();
    for i in r.body["waterLevel"].as_array().unwrap() {
        let prev = out.insert(
            i["observedAt"].as_str().unwrap().to_string(),
            (
                i["value"].as_i64().unwrap(),
                i["instanceId"].as_str().unwrap().to_string(),
            ),
        );
        assert!(prev.is_none(), "an instance is recorded twice: {i}");
    }
    out
}

async fn crash_and_reopen(flush_ms: u64) {
    let dir = tempfile::tempdir().unwrap();
    let live_root = dir.path().join("live");
    let config = history::HistoryConfig {
        flush_interval_ms: flush_ms,
        ..common::test_config()
    };
    let live = TestApp::open(&live_root, config.clone());
    let e = json!({"id": ID, "type": "WaterObserved",
        "waterLevel": {"type": "Property", "value": 0, "observedAt": at(0)},
        "flow": {"type": "Property", "value": 0, "observedAt": at(0)}});
    live.json(Method::POST, "/ngsi-ld/v1/entities", e)
        .await
        .assert_status(201);
    write(&live, 1, 60).await;
    if flush_ms < 1000 {
        live.history.flush().await.unwrap();
    }
    write(&live, 60, 120).await;
    let before = levels(&live).await;
    assert_eq!(before.len(), 120);
    // The "kill -9": copy what is on disk now, while the node still runs.
    let crashed = dir.path().join("crashed");
    copy_tree(&live_root, &crashed);
    let back = TestApp::open(&crashed, config);
    let after = levels(&back).await;
    assert_eq!(after.len(), 120, "every acknowledged write is in history");
    for (t, (v, id)) in &before {
        let (v2, id2) = &after[t];
        assert_eq!(v, v2);
        assert_eq!(id, id2, "instance ids survive the crash");
    }
    // Writing goes on after the restart, and a second restart does not duplicate anything.
    write(&back, 120, 130).await;
    back.history.flush().await.unwrap();
    assert_eq!(levels(&back).await.len(), 130);
    back.history.close();
    back.store.close();
    drop(back);
    let again = TestApp::open(&crashed, common::test_config());
    assert_eq!(levels(&again).await.len(), 130);
    live.history.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_complete_after_a_crash_with_flushed_and_buffered_instances() {
    crash_and_reopen(50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_complete_after_a_crash_before_any_flush() {
    crash_and_reopen(3_600_000).await;
}
