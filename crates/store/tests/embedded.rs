//! The conformance suite and the durability checks against the embedded backend.

use std::sync::Arc;

use ngsi::model::AttrKind;
use ngsi::patch::{AttrPatch, EntityPatch, Member};
use ngsi::intern;
use serde_json::json;
use store::embedded::{Embedded, EmbeddedConfig};
use store::{Op, Store, conformance};

fn patch(id: &str, n: i64) -> EntityPatch {
    let mut p = AttrPatch::new(intern("n"));
    p.kind = Some(AttrKind::Property);
    p.value = Some(json!(n));
    EntityPatch { id: id.into(), types: vec![intern("T")], scope: Member::Absent, attrs: vec![p] }
}

#[tokio::test]
async fn conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open(dir.path(), EmbeddedConfig::default()).unwrap();
    conformance::run_all(&store).await;
}

#[tokio::test]
async fn reopening_recovers_from_log_and_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let small = EmbeddedConfig { segment_bytes: 4096, snapshot_bytes: 1 << 40 };
    {
        let store = Embedded::open(dir.path(), small.clone()).unwrap();
        for i in 0..50 {
            store.apply("", vec![Op::Create(patch(&format!("urn:r:{i}"), i))]).await.unwrap();
        }
        store.snapshot().unwrap();
        for i in 50..80 {
            store.apply("", vec![Op::Create(patch(&format!("urn:r:{i}"), i))]).await.unwrap();
        }
        store.apply("", vec![Op::Delete { id: "urn:r:3".into() }]).await.unwrap();
        store.apply("", vec![Op::Update(patch("urn:r:60", 600))]).await.unwrap();
        store.close();
    }
    let store = Embedded::open(dir.path(), small).unwrap();
    assert_eq!(store.len(""), 79);
    assert!(store.get("", "urn:r:3").await.unwrap().is_none());
    let e = store.get("", "urn:r:60").await.unwrap().unwrap();
    assert_eq!(e.attr("n", None).unwrap().value.json(), &json!(600));
    let page = store.query("", &store::EntityQuery { limit: 3, ..Default::default() }).await.unwrap();
    let ids: Vec<_> = page.entities.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(ids, vec!["urn:r:0", "urn:r:1", "urn:r:2"], "creation order survives recovery");
    let _ = Arc::new(());
}

#[tokio::test]
async fn a_second_process_cannot_open_the_same_directory() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Embedded::open(dir.path(), EmbeddedConfig::default()).unwrap();
    let second = Embedded::open(dir.path(), EmbeddedConfig::default());
    assert!(second.is_err());
}
