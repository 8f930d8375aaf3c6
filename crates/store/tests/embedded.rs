//! The conformance suite and the durability checks against the embedded backend.

use std::sync::Arc;

use ngsi::intern;
use ngsi::model::AttrKind;
use ngsi::patch::{AttrPatch, EntityPatch, Member};
use serde_json::json;
use store::embedded::{Embedded, EmbeddedConfig};
use store::{Op, Store, conformance};

fn patch(id: &str, n: i64) -> EntityPatch {
    let mut p = AttrPatch::new(intern("n"));
    p.kind = Some(AttrKind::Property);
    p.value = Some(json!(n));
    EntityPatch {
        id: id.into(),
        types: vec![intern("T")],
        scope: Member::Absent,
        attrs: vec![p],
    }
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
    let small = EmbeddedConfig {
        segment_bytes: 4096,
        snapshot_bytes: 1 << 40,
    };
    {
        let store = Embedded::open(dir.path(), small.clone()).unwrap();
        for i in 0..50 {
            store
                .apply("", vec![Op::Create(patch(&format!("urn:r:{i}"), i))])
                .await
                .unwrap();
        }
        store.snapshot().unwrap();
        for i in 50..80 {
            store
                .apply("", vec![Op::Create(patch(&format!("urn:r:{i}"), i))])
                .await
                .unwrap();
        }
        store
            .apply(
                "",
                vec![Op::Delete {
                    id: "urn:r:3".into(),
                }],
            )
            .await
            .unwrap();
        store
            .apply("", vec![Op::Update(patch("urn:r:60", 600))])
            .await
            .unwrap();
        store.close();
    }
    let store = Embedded::open(dir.path(), small).unwrap();
    assert_eq!(store.len(""), 79);
    assert!(store.get("", "urn:r:3").await.unwrap().is_none());
    let e = store.get("", "urn:r:60").await.unwrap().unwrap();
    assert_eq!(e.attr("n", None).unwrap().value.json(), &json!(600));
    let page = store
        .query(
            "",
            &store::EntityQuery {
                limit: 3,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let ids: Vec<_> = page.entities.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(
        ids,
        vec!["urn:r:0", "urn:r:1", "urn:r:2"],
        "creation order survives recovery"
    );
    let _ = Arc::new(());
}

#[tokio::test]
async fn a_second_process_cannot_open_the_same_directory() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Embedded::open(dir.path(), EmbeddedConfig::default()).unwrap();
    let second = Embedded::open(dir.path(), EmbeddedConfig::default());
    assert!(second.is_err());
}

#[tokio::test]
async fn a_feed_resumes_after_its_last_ack_across_restarts_and_lagging() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = EmbeddedConfig {
        segment_bytes: 2048,
        snapshot_bytes: 1 << 40,
    };
    {
        let store = Embedded::open(dir.path(), cfg.clone()).unwrap();
        let mut feed = store.feed("history").unwrap();
        for i in 0..10 {
            store
                .apply("", vec![Op::Create(patch(&format!("urn:f:{i}"), i))])
                .await
                .unwrap();
        }
        let mut lsn = 0;
        for _ in 0..4 {
            lsn = feed.next().await.unwrap().lsn;
        }
        feed.ack(lsn).unwrap();
        // A snapshot must not drop log the feed has not acknowledged.
        store.snapshot().unwrap();
        store.close();
    }
    let store = Embedded::open(dir.path(), cfg).unwrap();
    let mut feed = store.feed("history").unwrap();
    let mut ids = Vec::new();
    for _ in 0..6 {
        let b = feed.next().await.unwrap();
        ids.push(b.changes[0].after.as_ref().unwrap().id.to_string());
    }
    assert_eq!(
        ids,
        (4..10).map(|i| format!("urn:f:{i}")).collect::<Vec<_>>()
    );
    // More than the live channel holds: the feed falls back to the log without a gap.
    for chunk in 0..5 {
        let ops = (0..1000)
            .map(|i| {
                Op::Upsert(
                    patch(&format!("urn:g:{chunk}-{i}"), i),
                    store::UpsertMode::Replace,
                )
            })
            .collect();
        store.apply("", ops).await.unwrap();
    }
    for i in 0..5000 {
        store
            .apply(
                "lag",
                vec![Op::Upsert(
                    patch("urn:lag:1", i),
                    store::UpsertMode::Replace,
                )],
            )
            .await
            .unwrap();
        if i == 4999 {
            break;
        }
    }
    let mut seen = 0;
    let mut prev = feed.position();
    while seen < 5005 {
        let b = feed.next().await.unwrap();
        assert_eq!(b.lsn, prev + 1, "no batch may be skipped");
        prev = b.lsn;
        seen += 1;
    }
}
