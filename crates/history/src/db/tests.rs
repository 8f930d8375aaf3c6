use std::sync::Arc;

use ngsi::{AttrValue, Attribute, Entity, intern};
use query::temporal::TimeProperty;
use serde_json::json;
use store::{Change, CommittedBatch};

use super::*;
use crate::config::HistoryConfig;
use crate::model::Inst;
use crate::partition::By;
use crate::read::{Select, Take};
use crate::write::MetaCache;

const HOUR: i64 = 3_600_000_000;

fn settings(partition: &str, retention: &str) -> Settings {
    HistoryConfig {
        partition: partition.into(),
        default_retention: retention.into(),
        chunk_instances: 8,
        ..HistoryConfig::default()
    }
    .settings()
    .unwrap()
}

fn entity(v: i64, observed: i64) -> Arc<Entity> {
    let mut e = Entity::new("urn:e:1".into(), vec![intern("urn:T")], observed);
    let mut a = Attribute::new(
        intern("urn:level"),
        AttrValue::Property(json!(v)),
        observed + 5,
    );
    a.observed_at = Some(observed);
    e.put_attr(a);
    Arc::new(e)
}

/// Batch `lsn` sets level to `lsn` observed at `t`.
fn batch(lsn: u64, t: i64, prev: Option<Arc<Entity>>) -> (CommittedBatch, Arc<Entity>) {
    let after = entity(lsn as i64, t);
    let b = CommittedBatch {
        lsn,
        tenant: "".into(),
        changes: Arc::new(vec![Change {
            before: prev,
            after: Some(after.clone()),
        }]),
    };
    (b, after)
}

fn series(db: &Db) -> SeriesId {
    let cat = db.catalog.read();
    cat.entity("", "urn:e:1").unwrap().series[0].id
}

fn values(v: &[(i64, Inst)]) -> Vec<i64> {
    v.iter()
        .map(|(_, i)| i.value.to_json().as_i64().unwrap())
        .collect()
}

fn record(db: &Db, lsns: std::ops::RangeInclusive<u64>, t0: i64, step: i64) {
    let mut cache = MetaCache::new();
    let mut prev = None;
    for lsn in lsns {
        let (b, after) = batch(lsn, t0 + lsn as i64 * step, prev);
        db.apply_batch(&b, 0, &mut cache);
        prev = Some(after);
    }
}

fn chunk_count(db: &Db, s: SeriesId) -> usize {
    let mut n = 0;
    for p in db.parts_for(i64::MIN, i64::MAX, true) {
        p.scan(s, By::T, (i64::MIN, i64::MAX), false, &mut |_| {
            n += 1;
            true
        })
        .unwrap();
    }
    n
}

#[test]
fn replayed_commits_are_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = 1_789_000_000_000_000;
    {
        let db = Db::open(dir.path(), settings("1h", "")).unwrap();
        record(&db, 1..=3, t0, 60_000_000);
        assert_eq!(db.flush().unwrap(), 3);
        record(&db, 4..=4, t0, 60_000_000);
        db.flush().unwrap();
        // A crash after the partition commit but before the catalog's: its lsn says 3.
        db.persist_catalog(&[("lsn", 3)]).unwrap();
    }
    let db = Db::open(dir.path(), settings("1h", "")).unwrap();
    assert_eq!(db.recorded_lsn(), 3);
    record(&db, 1..=5, t0, 60_000_000);
    db.flush().unwrap();
    let all = db
        .instances(
            series(&db),
            &Select::all(TimeProperty::ObservedAt),
            Take::All,
        )
        .unwrap();
    assert_eq!(values(&all), vec![1, 2, 3, 4, 5]);
}

#[test]
fn first_and_last_n_prune_across_partitions_and_the_memtable() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), settings("1h", "")).unwrap();
    let t0 = 1_789_000_000_000_000 / HOUR * HOUR;
    record(&db, 1..=100, t0, 5 * 60_000_000);
    db.flush().unwrap();
    record(&db, 101..=110, t0, 5 * 60_000_000);
    assert!(db.parts.read().len() >= 8, "spread over partitions");
    let s = series(&db);
    let all = Select::all(TimeProperty::ObservedAt);
    assert_eq!(
        values(&db.instances(s, &all, Take::Last(4)).unwrap()),
        vec![107, 108, 109, 110]
    );
    assert_eq!(
        values(&db.instances(s, &all, Take::First(3)).unwrap()),
        vec![1, 2, 3]
    );
    let window = Select {
        prop: TimeProperty::ObservedAt,
        lo: t0 + 20 * 5 * 60_000_000,
        hi: t0 + 30 * 5 * 60_000_000,
        filter: true,
    };
    assert_eq!(
        values(&db.instances(s, &window, Take::Last(2)).unwrap()),
        vec![28, 29]
    );
    assert_eq!(db.instances(s, &window, Take::All).unwrap().len(), 10);
    let by_created = Select {
        prop: TimeProperty::CreatedAt,
        lo: t0 + 50 * 5 * 60_000_000,
        hi: i64::MAX,
        filter: true,
    };
    assert_eq!(db.instances(s, &by_created, Take::All).unwrap().len(), 61);
    let prev = db
        .as_of(s, TimeProperty::ObservedAt, t0 + 10 * 5 * 60_000_000)
        .unwrap();
    assert_eq!(prev.unwrap().value.to_json(), json!(9));
}

#[test]
fn small_chunks_are_merged() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), settings("7d", "")).unwrap();
    let t0 = 1_789_000_000_000_000;
    for lsn in 1..=20u64 {
        record(&db, lsn..=lsn, t0, 1_000_000);
        db.flush().unwrap();
    }
    let s = series(&db);
    assert!(chunk_count(&db, s) <= 8, "{} chunks", chunk_count(&db, s));
    let all = db
        .instances(s, &Select::all(TimeProperty::ObservedAt), Take::All)
        .unwrap();
    assert_eq!(values(&all), (1..=20).collect::<Vec<_>>());
}

#[test]
fn expired_partitions_are_dropped_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), settings("1h", "1d")).unwrap();
    let now = ngsi::time::now();
    record(&db, 1..=2, now - 3 * 24 * HOUR, 1);
    record(&db, 3..=3, now - 2 * HOUR, 1);
    db.flush().unwrap();
    let files = db.parts.read().len();
    assert_eq!(files, 2);
    let old = db.parts.read().values().next().unwrap().path.clone();
    assert_eq!(db.drop_expired(now).unwrap(), 1);
    assert!(!old.exists());
    let all = db
        .instances(
            series(&db),
            &Select::all(TimeProperty::ObservedAt),
            Take::All,
        )
        .unwrap();
    assert_eq!(values(&all), vec![3]);
}
