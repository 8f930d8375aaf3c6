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

#[tokio::test]
async fn value_indexes_built_on_demand_agree_with_the_filter() {
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open(dir.path(), EmbeddedConfig::default()).unwrap();
    let ops = (0..300)
        .map(|i| Op::Create(patch(&format!("urn:v:{i}"), i % 50)))
        .collect();
    store.apply("", ops).await.unwrap();
    let n = intern("n");
    let query = |lo: i64, hi: i64| {
        let filter: store::EntityFilter = Arc::new(move |e: &ngsi::Entity| {
            e.attr("n", None)
                .and_then(|a| a.value.json().as_i64())
                .is_some_and(|v| v > lo && v <= hi)
        });
        store::EntityQuery {
            ranges: vec![store::NumRange {
                attr: n.clone(),
                lo: std::ops::Bound::Excluded(lo as f64),
                hi: std::ops::Bound::Included(hi as f64),
            }],
            filter: Some(filter),
            limit: 1000,
            count: true,
            ..Default::default()
        }
    };
    let mut before = Vec::new();
    for _ in 0..6 {
        let page = store.query("", &query(10, 20)).await.unwrap();
        before.push(page.total);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(before.iter().all(|t| *t == Some(60)), "{before:?}");
    // Writes keep the (now built) index current.
    store
        .apply(
            "",
            vec![
                Op::Update(patch("urn:v:0", 15)),
                Op::Update(patch("urn:v:11", 99)),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        store.query("", &query(10, 20)).await.unwrap().total,
        Some(60)
    );
    assert_eq!(
        store.query("", &query(90, 100)).await.unwrap().total,
        Some(1)
    );
}
