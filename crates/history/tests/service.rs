//! The Rust API of history: values recorded directly and through the store are read back with
//! `last_n` and aggregated with `aggregate`.

use std::sync::Arc;

use history::{History, HistoryConfig};
use ngsi::intern;
use serde_json::json;

#[tokio::test]
async fn record_last_n_and_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        store::embedded::Embedded::open(&dir.path().join("store"), Default::default()).unwrap();
    let h = History::open(
        &dir.path().join("history"),
        Arc::new(store),
        HistoryConfig::default(),
    )
    .unwrap();
    let (e, attr) = ("urn:ngsi-ld:Gauge:r", intern("urn:level"));
    let t0 = 1_789_000_000_000_000i64;
    let hour = 3_600_000_000i64;
    let points = (0..10).map(|k| (t0 + k * hour / 2, json!(k))).collect();
    h.record("", e, &[intern("urn:Gauge")], &attr, points)
        .await
        .unwrap();
    let last = h.last_n("", e, &attr, 3).await.unwrap();
    let values: Vec<_> = last.iter().map(|p| p.value.clone()).collect();
    assert_eq!(values, vec![json!(9), json!(8), json!(7)]);
    assert!(last[0].instance_id.starts_with("urn:ngsi-ld:instance:"));
    let agg = h
        .aggregate(
            "",
            e,
            &attr,
            (t0, t0 + 5 * hour),
            "PT1H",
            &["sum", "totalCount"],
        )
        .await
        .unwrap();
    assert_eq!(agg[0].0, "sum");
    let sums: Vec<_> = agg[0].1.iter().map(|r| r.0.clone()).collect();
    assert_eq!(
        sums,
        vec![json!(1.0), json!(5.0), json!(9.0), json!(13.0), json!(17.0)]
    );
    assert_eq!(agg[1].1[0], (json!(2), t0, t0 + hour));
    assert!(
        h.aggregate("", e, &attr, (t0, t0 + hour), "PT1H", &["median"])
            .await
            .is_err()
    );
    assert!(h.last_n("", "urn:none", &attr, 3).await.unwrap().is_empty());
    h.close();
}
