//! The conformance suite every [`Store`] backend must pass: written once as functions over
//! `&dyn Store`, called from each backend's tests.

use std::sync::Arc;

use ngsi::model::AttrKind;
use ngsi::patch::{AttrPatch, EntityPatch, Member};
use ngsi::{ErrorKind, intern};
use serde_json::{Value, json};

use crate::{EntityQuery, Op, Outcome, Store, UpsertMode};

fn prop(name: &str, v: Value) -> AttrPatch {
    let mut p = AttrPatch::new(intern(name));
    p.kind = Some(AttrKind::Property);
    p.value = Some(v);
    p
}

fn entity(id: &str, ty: &str, attrs: Vec<AttrPatch>) -> EntityPatch {
    EntityPatch {
        id: id.into(),
        types: vec![intern(ty)],
        scope: Member::Absent,
        attrs,
    }
}

/// Create, read, conflict, update, delete.
pub async fn crud(store: &dyn Store) {
    let r = store
        .apply(
            "",
            vec![Op::Create(entity(
                "urn:c:1",
                "T",
                vec![prop("a", json!(1))],
            ))],
        )
        .await
        .unwrap();
    assert_eq!(r[0], Ok(Outcome::Created));
    let e = store
        .get("", "urn:c:1")
        .await
        .unwrap()
        .expect("created entity is readable");
    assert_eq!(e.attr("a", None).unwrap().value.json(), &json!(1));
    let r = store
        .apply("", vec![Op::Create(entity("urn:c:1", "T", vec![]))])
        .await
        .unwrap();
    assert_eq!(r[0].as_ref().unwrap_err().kind, ErrorKind::AlreadyExists);
    store
        .apply(
            "",
            vec![Op::Update(entity(
                "urn:c:1",
                "T",
                vec![prop("a", json!(2))],
            ))],
        )
        .await
        .unwrap();
    let e = store.get("", "urn:c:1").await.unwrap().unwrap();
    assert_eq!(e.attr("a", None).unwrap().value.json(), &json!(2));
    let r = store
        .apply(
            "",
            vec![Op::Delete {
                id: "urn:c:1".into(),
            }],
        )
        .await
        .unwrap();
    assert_eq!(r[0], Ok(Outcome::Deleted));
    assert!(store.get("", "urn:c:1").await.unwrap().is_none());
}

/// A batch applies each op on its own: one failure leaves the others applied.
pub async fn batches_are_per_op(store: &dyn Store) {
    let ops = vec![
        Op::Upsert(
            entity("urn:b:1", "B", vec![prop("n", json!(1))]),
            UpsertMode::Replace,
        ),
        Op::Create(EntityPatch {
            types: vec![],
            ..entity("urn:b:2", "B", vec![])
        }),
        Op::Upsert(
            entity("urn:b:3", "B", vec![prop("n", json!(3))]),
            UpsertMode::Update,
        ),
    ];
    let r = store.apply("batch", ops).await.unwrap();
    assert!(r[0].is_ok() && r[1].is_err() && r[2].is_ok());
    let page = store
        .query(
            "batch",
            &EntityQuery {
                types: Some(vec![intern("B")]),
                limit: 10,
                count: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, Some(2));
    assert_eq!(
        page.entities.iter().map(|e| &*e.id).collect::<Vec<_>>(),
        vec!["urn:b:1", "urn:b:3"]
    );
}

/// Tenants are isolated, and reading an unknown tenant is NonexistentTenant.
pub async fn tenants_are_isolated(store: &dyn Store) {
    store
        .apply("sanya", vec![Op::Create(entity("urn:t:1", "S", vec![]))])
        .await
        .unwrap();
    assert!(store.get("sanya", "urn:t:1").await.unwrap().is_some());
    assert!(store.get("haikou", "urn:t:1").await.unwrap_err().kind == ErrorKind::NonexistentTenant);
    let failed = store
        .apply("nowhere", vec![Op::Delete { id: "urn:x".into() }])
        .await
        .unwrap();
    assert!(failed[0].is_err());
    assert!(
        !store.tenant_exists("nowhere"),
        "a failed write must not create a tenant"
    );
}

/// Stable pagination, counting, filters and type/attribute statistics.
pub async fn queries_page_and_count(store: &dyn Store) {
    let ops = (0..25)
        .map(|i| {
            Op::Create(entity(
                &format!("urn:q:{i:02}"),
                if i % 2 == 0 { "Even" } else { "Odd" },
                vec![prop("n", json!(i))],
            ))
        })
        .collect();
    store.apply("q", ops).await.unwrap();
    let mut seen = Vec::new();
    for offset in (0..25).step_by(10) {
        let page = store
            .query(
                "q",
                &EntityQuery {
                    offset,
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        seen.extend(page.entities.iter().map(|e| e.id.to_string()));
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(seen[0], "urn:q:00");
    let filter: crate::EntityFilter = Arc::new(|e| {
        e.attr("n", None)
            .and_then(|a| a.value.json().as_i64())
            .is_some_and(|n| n >= 20)
    });
    let q = EntityQuery {
        types: Some(vec![intern("Even")]),
        filter: Some(filter),
        limit: 2,
        count: true,
        ..Default::default()
    };
    let page = store.query("q", &q).await.unwrap();
    assert_eq!(page.total, Some(3));
    assert_eq!(page.entities.len(), 2);
    let types = store.types("q").await.unwrap();
    assert_eq!(
        types
            .iter()
            .map(|(t, i)| (&**t, i.entity_count))
            .collect::<Vec<_>>(),
        vec![("Even", 13), ("Odd", 12)]
    );
    let attrs = store.attributes("q").await.unwrap();
    assert_eq!(attrs.len(), 1);
    assert_eq!(attrs[0].1.entity_count, 25);
}

/// Committed changes are published in commit order after they are durable.
pub async fn changes_are_published(store: &dyn Store) {
    let mut rx = store.subscribe();
    store
        .apply(
            "pub",
            vec![Op::Create(entity(
                "urn:p:1",
                "P",
                vec![prop("n", json!(1))],
            ))],
        )
        .await
        .unwrap();
    store
        .apply(
            "pub",
            vec![Op::Delete {
                id: "urn:p:1".into(),
            }],
        )
        .await
        .unwrap();
    let first = rx.recv().await.unwrap();
    let second = rx.recv().await.unwrap();
    assert!(first.lsn < second.lsn);
    assert!(first.changes[0].before.is_none() && first.changes[0].after.is_some());
    assert!(second.changes[0].after.is_none());
}

/// A durable feed delivers every batch in order, with the state before and after.
pub async fn feeds_see_every_batch(store: &dyn Store) {
    let mut feed = store.feed("conformance").unwrap();
    for i in 0..20 {
        store
            .apply(
                "feed",
                vec![Op::Upsert(
                    entity("urn:f:1", "F", vec![prop("n", json!(i))]),
                    UpsertMode::Update,
                )],
            )
            .await
            .unwrap();
    }
    let mut last = feed.position();
    for i in 0..20 {
        let b = feed.next().await.unwrap();
        assert!(b.lsn > last);
        last = b.lsn;
        let after = b.changes[0].after.as_ref().unwrap();
        assert_eq!(after.attr("n", None).unwrap().value.json(), &json!(i));
        if i > 0 {
            let before = b.changes[0].before.as_ref().unwrap();
            assert_eq!(before.attr("n", None).unwrap().value.json(), &json!(i - 1));
        }
    }
    feed.ack(last).unwrap();
}

/// Runs every case against one store.
pub async fn run_all(store: &dyn Store) {
    crud(store).await;
    batches_are_per_op(store).await;
    tenants_are_isolated(store).await;
    queries_page_and_count(store).await;
    changes_are_published(store).await;
    feeds_see_every_batch(store).await;
}
